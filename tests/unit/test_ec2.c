/*
 * EC2 Query serialization from boto3-style JSON, and EC2 error replies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "ecs.h"
#include "fsio.h"
#include "jsonutil.h"

static char *
ser(const char *op, const char *json)
{
	cJSON *in = json_parse_quiet(json, strlen(json));
	char *out = NULL;
	int rc;

	assert_non_null(in);
	rc = ec2_serialize(&out, NULL, op, in);
	cJSON_Delete(in);
	return rc == 0 ? out : NULL;
}

static void
test_ec2_create_sg(void **state)
{
	char *s;

	(void)state;
	s = ser("CreateSecurityGroup", "{\"GroupName\": \"web-ec2\", "
	    "\"Description\": \"migrated\", \"VpcId\": \"vpc-1\", "
	    "\"TagSpecifications\": [{\"ResourceType\": \"security-group\", "
	    "\"Tags\": [{\"Key\": \"Name\", \"Value\": \"web-ec2\"}]}]}");
	assert_non_null(s);
	assert_string_equal(s, "Action=CreateSecurityGroup&Version=2016-11-15"
	    "&GroupName=web-ec2&GroupDescription=migrated&VpcId=vpc-1"
	    "&TagSpecification.1.ResourceType=security-group"
	    "&TagSpecification.1.Tag.1.Key=Name"
	    "&TagSpecification.1.Tag.1.Value=web-ec2");
	free(s);
}

static void
test_ec2_authorize(void **state)
{
	char *s;

	(void)state;
	s = ser("AuthorizeSecurityGroupIngress", "{\"GroupId\": \"sg-0123\", "
	    "\"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 443, "
	    "\"ToPort\": 443, \"IpRanges\": [{\"CidrIp\": \"10.0.0.0/16\", "
	    "\"Description\": \"https\"}], \"Ipv6Ranges\": [{\"CidrIpv6\": "
	    "\"2001:db8::/32\"}], \"PrefixListIds\": [{\"PrefixListId\": "
	    "\"pl-1\"}], \"UserIdGroupPairs\": [{\"GroupId\": \"sg-9\", "
	    "\"UserId\": \"123456789012\", \"Description\": \"peer\"}]}]}");
	assert_non_null(s);
	assert_string_equal(s, "Action=AuthorizeSecurityGroupIngress"
	    "&Version=2016-11-15&GroupId=sg-0123"
	    "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=443"
	    "&IpPermissions.1.ToPort=443"
	    "&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0%2F16"
	    "&IpPermissions.1.IpRanges.1.Description=https"
	    "&IpPermissions.1.Ipv6Ranges.1.CidrIpv6=2001%3Adb8%3A%3A%2F32"
	    "&IpPermissions.1.PrefixListIds.1.PrefixListId=pl-1"
	    "&IpPermissions.1.Groups.1.GroupId=sg-9"
	    "&IpPermissions.1.Groups.1.UserId=123456789012"
	    "&IpPermissions.1.Groups.1.Description=peer");
	free(s);
}

static void
test_ec2_describe(void **state)
{
	char *s;

	(void)state;
	s = ser("DescribeSecurityGroups", "{\"GroupIds\": [\"sg-1\", "
	    "\"sg-2\"], \"Filters\": [{\"Name\": \"vpc-id\", \"Values\": "
	    "[\"vpc-1\"]}], \"DryRun\": false}");
	assert_non_null(s);
	assert_string_equal(s, "Action=DescribeSecurityGroups"
	    "&Version=2016-11-15&GroupId.1=sg-1&GroupId.2=sg-2"
	    "&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&DryRun=false");
	free(s);
	s = ser("RevokeSecurityGroupIngress", "{\"GroupId\": \"sg-1\", "
	    "\"SecurityGroupRuleIds\": [\"sgr-1\"]}");
	assert_non_null(s);
	assert_string_equal(s, "Action=RevokeSecurityGroupIngress"
	    "&Version=2016-11-15&GroupId=sg-1&SecurityGroupRuleId.1=sgr-1");
	free(s);
	s = ser("DeleteSecurityGroup", "{\"GroupId\": \"sg-1\"}");
	assert_non_null(s);
	free(s);
	s = ser("AuthorizeSecurityGroupEgress", "{\"GroupId\": \"sg-1\", "
	    "\"IpPermissions\": [{\"IpProtocol\": \"-1\", \"IpRanges\": []}]}");
	assert_non_null(s);
	assert_string_equal(s, "Action=AuthorizeSecurityGroupEgress"
	    "&Version=2016-11-15&GroupId=sg-1&IpPermissions.1.IpProtocol=-1");
	free(s);
}

static void
test_ec2_bad_input(void **state)
{
	(void)state;
	assert_null(ser("CreateSecurityGroup", "{\"Nope\": 1}"));
	assert_null(ser("CreateSecurityGroup", "{\"GroupName\": 1}"));
	assert_null(ser("AuthorizeSecurityGroupIngress", "{\"IpPermissions\":"
	    " [{\"FromPort\": 1.5}]}"));
	assert_null(ser("AuthorizeSecurityGroupIngress", "{\"IpPermissions\":"
	    " {\"FromPort\": 1}}"));
	assert_null(ser("RunInstances", "{}"));
}

static void
test_ec2_errors(void **state)
{
	struct http_apierr e;
	char *buf = NULL;
	size_t len;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(fsio_read_bounded(&buf, &len,
	    "fixtures/responses/ec2-error-throttle.xml", 1 << 20), 0);
	ec2_error_parse(&e, 503, buf, len);
	assert_string_equal(e.code, "RequestLimitExceeded");
	assert_true(e.retryable);
	http_apierr_cleanup(&e);
	free(buf);
	assert_int_equal(fsio_read_bounded(&buf, &len,
	    "fixtures/responses/ec2-error-duplicate.xml", 1 << 20), 0);
	ec2_error_parse(&e, 400, buf, len);
	assert_string_equal(e.code, "InvalidPermission.Duplicate");
	assert_false(e.retryable);
	assert_string_equal(e.request_id, "0b0a4d57-6a9a-4f4f-9c1a-2b0example");
	http_apierr_cleanup(&e);
	free(buf);
	ec2_error_parse(&e, 502, "<html>bad gateway</html>", 24);
	assert_string_equal(e.code, "502");
	assert_true(e.retryable);
	http_apierr_cleanup(&e);
}

static void
test_ec2_ecs_errors(void **state)
{
	struct http_apierr e;
	char *buf = NULL, *c;
	size_t len;

	(void)state;
	memset(&e, 0, sizeof(e));
	assert_int_equal(fsio_read_bounded(&buf, &len,
	    "fixtures/responses/ecs-error-throttle.json", 1 << 20), 0);
	ecs_error_parse(&e, 400, buf, len);
	assert_string_equal(e.code, "ThrottlingException");
	assert_string_equal(e.message, "Rate exceeded");
	assert_true(e.retryable);
	http_apierr_cleanup(&e);
	free(buf);
	assert_int_equal(fsio_read_bounded(&buf, &len,
	    "fixtures/responses/ecs-error-prefixed.json", 1 << 20), 0);
	ecs_error_parse(&e, 400, buf, len);
	assert_string_equal(e.code, "ClusterNotFoundException");
	assert_false(e.retryable);
	http_apierr_cleanup(&e);
	free(buf);
	c = ecs_error_code("aws.protocoltests#FooError:bar#baz");
	assert_string_equal(c, "FooError");
	free(c);
	assert_true(ecs_op_valid("PutAccountSettingDefault"));
	assert_false(ecs_op_valid("Bad.Op"));
}

static int
check_file(const char *path, bool inactive, const char **why)
{
	char *buf = NULL;
	size_t len;
	const char *name;
	cJSON *j;
	int r;

	assert_int_equal(fsio_read_bounded(&buf, &len, path, 1 << 20), 0);
	j = json_parse_quiet(buf, len);
	assert_non_null(j);
	r = ecs_services_check(j, inactive, why, &name);
	cJSON_Delete(j);
	free(buf);
	return r;
}

static void
test_ec2_ecs_services_check(void **state)
{
	const char *why, *name;
	const char *draining = "{\"services\": [{\"serviceName\": \"w\", "
	    "\"status\": \"DRAINING\"}], \"failures\": []}";
	const char *inactive = "{\"services\": [{\"serviceName\": \"w\", "
	    "\"status\": \"INACTIVE\"}], \"failures\": []}";
	cJSON *j;

	(void)state;
	assert_int_equal(check_file(
	    "fixtures/responses/ecs-describe-services-stable.json", false,
	    &why), 1);
	assert_int_equal(check_file(
	    "fixtures/responses/ecs-describe-services-rolling.json", false,
	    &why), 0);
	assert_int_equal(check_file(
	    "fixtures/responses/ecs-describe-services-missing.json", false,
	    &why), -1);
	assert_string_equal(why, "MISSING");
	assert_int_equal(check_file(
	    "fixtures/responses/ecs-describe-services-missing.json", true,
	    &why), -1);
	assert_int_equal(check_file(
	    "fixtures/responses/ecs-describe-services-stable.json", true,
	    &why), 0);
	j = json_parse_quiet(draining, strlen(draining));
	assert_int_equal(ecs_services_check(j, false, &why, &name), -1);
	assert_string_equal(why, "DRAINING");
	assert_int_equal(ecs_services_check(j, true, &why, &name), 0);
	cJSON_Delete(j);
	j = json_parse_quiet(inactive, strlen(inactive));
	assert_int_equal(ecs_services_check(j, true, &why, &name), 1);
	assert_int_equal(ecs_services_check(j, false, &why, &name), -1);
	cJSON_Delete(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec2_create_sg),
		cmocka_unit_test(test_ec2_authorize),
		cmocka_unit_test(test_ec2_describe),
		cmocka_unit_test(test_ec2_bad_input),
		cmocka_unit_test(test_ec2_errors),
		cmocka_unit_test(test_ec2_ecs_errors),
		cmocka_unit_test(test_ec2_ecs_services_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
