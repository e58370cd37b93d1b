/*
 * EC2 XML responses: success to JSON, error envelope, hostile input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "jsonutil.h"
#include "strbuf.h"
#include "xmlresp.h"

static char *
load(const char *path, size_t *len)
{
	char *buf = NULL;

	assert_int_equal(fsio_read_bounded(&buf, len, path, 1 << 20), 0);
	return buf;
}

static void
test_xmlresp_create_sg(void **state)
{
	size_t len;
	char *buf = load("fixtures/responses/ec2-create-security-group.xml",
	    &len), *rid = NULL, *s;
	cJSON *j;

	(void)state;
	assert_int_equal(xmlresp_parse(&j, &rid, "t", buf, len), 0);
	s = json_canonical(j);
	assert_string_equal(s,
	    "{\"groupId\":\"sg-0a1b2c3d4e5f67890\",\"return\":\"true\"}");
	assert_string_equal(rid, "59dbff89-35bd-4eac-99ed-be587EXAMPLE");
	free(s);
	free(rid);
	cJSON_Delete(j);
	free(buf);
}

static void
test_xmlresp_lists(void **state)
{
	size_t len;
	char *buf = load("fixtures/responses/ec2-describe-security-groups.xml",
	    &len);
	cJSON *j, *sg, *perm;

	(void)state;
	assert_int_equal(xmlresp_parse(&j, NULL, "t", buf, len), 0);
	sg = cJSON_GetObjectItem(j, "securityGroupInfo");
	assert_true(cJSON_IsArray(sg));
	assert_int_equal(cJSON_GetArraySize(sg), 1);
	sg = cJSON_GetArrayItem(sg, 0);
	assert_string_equal(json_str(sg, "groupId"), "sg-1a2b3c4d");
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(sg, "tagSet")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(sg,
	    "tagSet")), 0);
	perm = cJSON_GetArrayItem(cJSON_GetObjectItem(sg, "ipPermissions"),
	    0);
	assert_non_null(perm);
	assert_string_equal(json_str(perm, "fromPort"), "80");
	assert_true(cJSON_IsArray(cJSON_GetObjectItem(perm, "ipv6Ranges")));
	assert_string_equal(json_str(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(perm, "groups"), 0), "groupId"), "sg-9");
	cJSON_Delete(j);
	free(buf);

	buf = load("fixtures/responses/ec2-authorize-ingress.xml", &len);
	assert_int_equal(xmlresp_parse(&j, NULL, "t", buf, len), 0);
	assert_string_equal(json_str(cJSON_GetArrayItem(cJSON_GetObjectItem(j,
	    "securityGroupRuleSet"), 0), "securityGroupRuleId"), "sgr-0abc");
	cJSON_Delete(j);
	free(buf);
}

static void
test_xmlresp_errors(void **state)
{
	struct xmlresp_error e;
	size_t len;
	char *buf = load("fixtures/responses/ec2-error-duplicate.xml", &len);

	(void)state;
	assert_int_equal(xmlresp_error_parse(&e, "t", buf, len), 0);
	assert_string_equal(e.code, "InvalidPermission.Duplicate");
	assert_non_null(strstr(e.message, "already exists"));
	assert_string_equal(e.request_id,
	    "0b0a4d57-6a9a-4f4f-9c1a-2b0example");
	xmlresp_error_cleanup(&e);
	free(buf);
	buf = load("fixtures/responses/ec2-error-throttle.xml", &len);
	assert_int_equal(xmlresp_error_parse(&e, "t", buf, len), 0);
	assert_string_equal(e.code, "RequestLimitExceeded");
	assert_string_equal(e.request_id, "6a7c3e3e-example");
	xmlresp_error_cleanup(&e);
	free(buf);
	/* A success document is not an error envelope. */
	buf = load("fixtures/responses/ec2-create-security-group.xml", &len);
	assert_int_equal(xmlresp_error_parse(&e, "t", buf, len), -1);
	assert_null(e.code);
	free(buf);
}

static void
test_xmlresp_hostile(void **state)
{
	struct xmlresp_error e;
	size_t len;
	char *buf;
	cJSON *j;

	(void)state;
	buf = load("fixtures/hostile/xxe.xml", &len);
	assert_int_equal(xmlresp_parse(&j, NULL, "t", buf, len), -1);
	assert_null(j);
	assert_int_equal(xmlresp_error_parse(&e, "t", buf, len), -1);
	free(buf);
	buf = load("fixtures/hostile/billion-laughs.xml", &len);
	assert_int_equal(xmlresp_parse(&j, NULL, "t", buf, len), -1);
	free(buf);
	assert_int_equal(xmlresp_parse(&j, NULL, "t", "<a>", 3), -1);
	assert_int_equal(xmlresp_parse(&j, NULL, "t", "", 0), -1);
	assert_int_equal(xmlresp_parse(&j, NULL, "t",
	    "<Response></Response>", 21), -1);
}

static void
test_xmlresp_depth(void **state)
{
	struct strbuf sb;
	char *s;
	size_t len;
	int i;
	cJSON *j;

	(void)state;
	strbuf_init(&sb, 1 << 20);
	assert_int_equal(strbuf_puts(&sb, "<XResponse>"), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(strbuf_puts(&sb, "<a>"), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(strbuf_puts(&sb, "</a>"), 0);
	assert_int_equal(strbuf_puts(&sb, "</XResponse>"), 0);
	s = strbuf_take(&sb, &len);
	assert_int_equal(xmlresp_parse(&j, NULL, "t", s, len), -1);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmlresp_create_sg),
		cmocka_unit_test(test_xmlresp_lists),
		cmocka_unit_test(test_xmlresp_errors),
		cmocka_unit_test(test_xmlresp_hostile),
		cmocka_unit_test(test_xmlresp_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
