/*
 * Endpoint resolution: partitions, FIPS, dual-stack, overrides, the
 * profile settings and the refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoint.h"

/*
 * Expected URLs: what botocore 1.43.67's EndpointProvider returns for
 * each service's endpoint-rule-set-1.json and partitions.json (Apache
 * 2.0; generated once, not read at run time), except the NULL rows: FIPS
 * where botocore's endpoints.json lists no FIPS endpoint for the service
 * (there the rules build a host name that does not exist), refused.
 */
struct row {
	const char	*service;
	const char	*region;
	int		 fips;
	int		 dualstack;
	const char	*url;		/* NULL: refused */
};

static const struct row rows[] = {
	{ "ecs", "us-east-1", 0, 0,
	    "https://ecs.us-east-1.amazonaws.com" },
	{ "ecs", "us-east-1", 0, 1,
	    "https://ecs.us-east-1.api.aws" },
	{ "ecs", "us-east-1", 1, 0,
	    "https://ecs-fips.us-east-1.amazonaws.com" },
	{ "ecs", "us-east-1", 1, 1,
	    "https://ecs-fips.us-east-1.api.aws" },
	{ "ecs", "cn-north-1", 0, 0,
	    "https://ecs.cn-north-1.amazonaws.com.cn" },
	{ "ecs", "cn-north-1", 0, 1,
	    "https://ecs.cn-north-1.api.amazonwebservices.com.cn" },
	{ "ecs", "cn-north-1", 1, 0,
	    NULL },
	{ "ecs", "cn-north-1", 1, 1,
	    NULL },
	{ "ecs", "us-gov-west-1", 0, 0,
	    "https://ecs.us-gov-west-1.amazonaws.com" },
	{ "ecs", "us-gov-west-1", 0, 1,
	    "https://ecs.us-gov-west-1.api.aws" },
	{ "ecs", "us-gov-west-1", 1, 0,
	    "https://ecs-fips.us-gov-west-1.amazonaws.com" },
	{ "ecs", "us-gov-west-1", 1, 1,
	    "https://ecs-fips.us-gov-west-1.api.aws" },
	{ "ecs", "eu-west-1", 0, 0,
	    "https://ecs.eu-west-1.amazonaws.com" },
	{ "ecs", "eu-west-1", 0, 1,
	    "https://ecs.eu-west-1.api.aws" },
	{ "ecs", "eu-west-1", 1, 0,
	    NULL },
	{ "ecs", "eu-west-1", 1, 1,
	    NULL },
	{ "ec2", "us-east-1", 0, 0,
	    "https://ec2.us-east-1.amazonaws.com" },
	{ "ec2", "us-east-1", 0, 1,
	    "https://ec2.us-east-1.api.aws" },
	{ "ec2", "us-east-1", 1, 0,
	    "https://ec2-fips.us-east-1.amazonaws.com" },
	{ "ec2", "us-east-1", 1, 1,
	    "https://ec2-fips.us-east-1.api.aws" },
	{ "ec2", "cn-northwest-1", 0, 0,
	    "https://ec2.cn-northwest-1.amazonaws.com.cn" },
	{ "ec2", "cn-northwest-1", 0, 1,
	    "https://ec2.cn-northwest-1.api.amazonwebservices.com.cn" },
	{ "ec2", "cn-northwest-1", 1, 0,
	    NULL },
	{ "ec2", "cn-northwest-1", 1, 1,
	    NULL },
	{ "ec2", "us-gov-west-1", 0, 0,
	    "https://ec2.us-gov-west-1.amazonaws.com" },
	{ "ec2", "us-gov-west-1", 0, 1,
	    "https://ec2.us-gov-west-1.api.aws" },
	{ "ec2", "us-gov-west-1", 1, 0,
	    "https://ec2.us-gov-west-1.amazonaws.com" },
	{ "ec2", "us-gov-west-1", 1, 1,
	    "https://ec2-fips.us-gov-west-1.api.aws" },
	{ "ec2", "ca-central-1", 0, 0,
	    "https://ec2.ca-central-1.amazonaws.com" },
	{ "ec2", "ca-central-1", 0, 1,
	    "https://ec2.ca-central-1.api.aws" },
	{ "ec2", "ca-central-1", 1, 0,
	    "https://ec2-fips.ca-central-1.amazonaws.com" },
	{ "ec2", "ca-central-1", 1, 1,
	    "https://ec2-fips.ca-central-1.api.aws" },
	{ "ec2", "ap-southeast-2", 0, 0,
	    "https://ec2.ap-southeast-2.amazonaws.com" },
	{ "ec2", "ap-southeast-2", 0, 1,
	    "https://ec2.ap-southeast-2.api.aws" },
	{ "ec2", "ap-southeast-2", 1, 0,
	    NULL },
	{ "ec2", "ap-southeast-2", 1, 1,
	    NULL },
	{ "sts", "us-west-2", 0, 0,
	    "https://sts.us-west-2.amazonaws.com" },
	{ "sts", "us-west-2", 0, 1,
	    "https://sts.us-west-2.api.aws" },
	{ "sts", "us-west-2", 1, 0,
	    "https://sts-fips.us-west-2.amazonaws.com" },
	{ "sts", "us-west-2", 1, 1,
	    "https://sts-fips.us-west-2.api.aws" },
	{ "sts", "us-gov-east-1", 0, 0,
	    "https://sts.us-gov-east-1.amazonaws.com" },
	{ "sts", "us-gov-east-1", 0, 1,
	    "https://sts.us-gov-east-1.api.aws" },
	{ "sts", "us-gov-east-1", 1, 0,
	    "https://sts.us-gov-east-1.amazonaws.com" },
	{ "sts", "us-gov-east-1", 1, 1,
	    "https://sts-fips.us-gov-east-1.api.aws" },
	{ "sts", "cn-north-1", 0, 0,
	    "https://sts.cn-north-1.amazonaws.com.cn" },
	{ "sts", "cn-north-1", 0, 1,
	    "https://sts.cn-north-1.api.amazonwebservices.com.cn" },
	{ "sts", "cn-north-1", 1, 0,
	    NULL },
	{ "sts", "cn-north-1", 1, 1,
	    NULL },
	{ "application-autoscaling", "us-gov-west-1", 0, 0,
	    "https://application-autoscaling.us-gov-west-1.amazonaws.com" },
	{ "application-autoscaling", "us-gov-west-1", 0, 1,
	    "https://application-autoscaling.us-gov-west-1.api.aws" },
	{ "application-autoscaling", "us-gov-west-1", 1, 0,
	    "https://application-autoscaling.us-gov-west-1.amazonaws.com" },
	{ "application-autoscaling", "us-gov-west-1", 1, 1,
	    "https://application-autoscaling-fips.us-gov-west-1.api.aws" },
	{ "application-autoscaling", "sa-east-1", 0, 0,
	    "https://application-autoscaling.sa-east-1.amazonaws.com" },
	{ "application-autoscaling", "sa-east-1", 0, 1,
	    "https://application-autoscaling.sa-east-1.api.aws" },
	{ "application-autoscaling", "sa-east-1", 1, 0,
	    NULL },
	{ "application-autoscaling", "sa-east-1", 1, 1,
	    NULL },
	{ "application-autoscaling", "cn-north-1", 0, 0,
	    "https://application-autoscaling.cn-north-1.amazonaws.com.cn" },
	{ "application-autoscaling", "cn-north-1", 1, 0, NULL },
	{ "monitoring", "cn-northwest-1", 0, 0,
	    "https://monitoring.cn-northwest-1.amazonaws.com.cn" },
	{ "monitoring", "cn-northwest-1", 0, 1,
	    "https://monitoring.cn-northwest-1.api.amazonwebservices.com.cn" },
	{ "monitoring", "cn-northwest-1", 1, 0, NULL },
	{ "monitoring", "us-east-2", 0, 0,
	    "https://monitoring.us-east-2.amazonaws.com" },
	{ "monitoring", "us-east-2", 0, 1,
	    "https://monitoring.us-east-2.api.aws" },
	{ "monitoring", "us-east-2", 1, 0,
	    "https://monitoring-fips.us-east-2.amazonaws.com" },
	{ "monitoring", "us-east-2", 1, 1,
	    "https://monitoring-fips.us-east-2.api.aws" },
	{ "monitoring", "us-gov-west-1", 0, 0,
	    "https://monitoring.us-gov-west-1.amazonaws.com" },
	{ "monitoring", "us-gov-west-1", 0, 1,
	    "https://monitoring.us-gov-west-1.api.aws" },
	{ "monitoring", "us-gov-west-1", 1, 0,
	    "https://monitoring.us-gov-west-1.amazonaws.com" },
	{ "monitoring", "us-gov-west-1", 1, 1,
	    "https://monitoring.us-gov-west-1.api.aws" },
	{ "monitoring", "us-iso-east-1", 0, 0,
	    "https://monitoring.us-iso-east-1.c2s.ic.gov" },
	{ "monitoring", "us-iso-east-1", 0, 1,
	    "https://monitoring.us-iso-east-1.api.aws.ic.gov" },
	{ "monitoring", "us-iso-east-1", 1, 0,
	    NULL },
	{ "monitoring", "us-iso-east-1", 1, 1,
	    NULL },
	{ "ecs", "us-isob-east-1", 0, 0,
	    "https://ecs.us-isob-east-1.sc2s.sgov.gov" },
	{ "ecs", "us-isob-east-1", 0, 1,
	    "https://ecs.us-isob-east-1.api.aws.scloud" },
	{ "ecs", "us-isob-east-1", 1, 0,
	    NULL },
	{ "ecs", "us-isob-east-1", 1, 1,
	    NULL },
};

static void
clear_env(void)
{
	static const char *const names[] = { "AWS_ENDPOINT_URL",
	    "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_EC2",
	    "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_CLOUDWATCH",
	    "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
	    "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
	    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", NULL };
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		unsetenv(names[i]);
	setenv("AWS_CONFIG_FILE", "/nonexistent/f2o-test-config", 1);
}

static void
test_endpoint_table(void **state)
{
	size_t i;
	char *u;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		u = endpoint_default(rows[i].service, rows[i].region,
		    rows[i].fips != 0, rows[i].dualstack != 0);
		if (rows[i].url == NULL) {
			if (u != NULL)
				fprintf(stderr, "row %zu: %s\n", i, u);
			assert_null(u);
			continue;
		}
		if (u == NULL || strcmp(u, rows[i].url) != 0)
			fprintf(stderr, "row %zu: %s %s %d %d: got %s\n", i,
			    rows[i].service, rows[i].region, rows[i].fips,
			    rows[i].dualstack, u != NULL ? u : "NULL");
		assert_non_null(u);
		assert_string_equal(u, rows[i].url);
		free(u);
	}
}

static void
test_endpoint_partition(void **state)
{
	(void)state;
	assert_string_equal(endpoint_partition("us-east-1"), "aws");
	assert_string_equal(endpoint_partition("il-central-1"), "aws");
	assert_string_equal(endpoint_partition("cn-north-1"), "aws-cn");
	assert_string_equal(endpoint_partition("us-gov-west-1"),
	    "aws-us-gov");
	assert_string_equal(endpoint_partition("us-iso-east-1"), "aws-iso");
	assert_string_equal(endpoint_partition("us-isob-east-1"),
	    "aws-iso-b");
	assert_string_equal(endpoint_partition("eusc-de-east-1"),
	    "aws-eusc");
	assert_null(endpoint_partition("us-east1"));
	assert_null(endpoint_partition("local"));
	assert_null(endpoint_partition("xx-moon-1"));
	assert_null(endpoint_partition("US-EAST-1"));
	assert_null(endpoint_partition(NULL));
	assert_true(endpoint_region_valid("local"));
	assert_false(endpoint_region_valid("us_east_1"));
	assert_false(endpoint_region_valid(""));
	/* Errors: unknown service, region in no partition. */
	assert_null(endpoint_default("s3", "us-east-1", false, false));
	assert_null(endpoint_default("ecs", "xx-moon-1", false, false));
	assert_null(endpoint_default("ecs", "local", false, false));
}

static void
test_endpoint_resolve_env(void **state)
{
	char *u;

	(void)state;
	clear_env();
	u = endpoint_resolve("ecs", "cn-north-1");
	assert_string_equal(u, "https://ecs.cn-north-1.amazonaws.com.cn");
	free(u);
	setenv("AWS_USE_FIPS_ENDPOINT", "TRUE", 1);
	u = endpoint_resolve("ec2", "us-gov-west-1");
	assert_string_equal(u, "https://ec2.us-gov-west-1.amazonaws.com");
	free(u);
	setenv("AWS_USE_DUALSTACK_ENDPOINT", "true", 1);
	u = endpoint_resolve("ec2", "us-gov-west-1");
	assert_string_equal(u, "https://ec2-fips.us-gov-west-1.api.aws");
	free(u);
	assert_null(endpoint_resolve("ecs", "eu-west-1"));
	/* An override wins and FIPS / dual-stack do not apply to it. */
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1/", 1);
	setenv("AWS_ENDPOINT_URL_ECS", "http://127.0.0.1:2/", 1);
	u = endpoint_resolve("ecs", "eu-west-1");
	assert_string_equal(u, "http://127.0.0.1:2/");
	free(u);
	u = endpoint_resolve("ec2", "eu-west-1");
	assert_string_equal(u, "http://127.0.0.1:1/");
	free(u);
	setenv("AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING",
	    "http://127.0.0.1:3/", 1);
	u = endpoint_resolve("application-autoscaling", "eu-west-1");
	assert_string_equal(u, "http://127.0.0.1:3/");
	free(u);
	/* A value other than true/false is refused. */
	clear_env();
	setenv("AWS_USE_FIPS_ENDPOINT", "1", 1);
	assert_null(endpoint_resolve("ecs", "us-east-1"));
	clear_env();
	setenv("AWS_USE_DUALSTACK_ENDPOINT", "yes", 1);
	assert_null(endpoint_resolve("ecs", "us-east-1"));
	setenv("AWS_USE_DUALSTACK_ENDPOINT", "false", 1);
	u = endpoint_resolve("ecs", "us-east-1");
	assert_string_equal(u, "https://ecs.us-east-1.amazonaws.com");
	free(u);
	clear_env();
}

static void
test_endpoint_profile(void **state)
{
	char path[] = "/tmp/f2o-test-endpoint-XXXXXX";
	static const char text[] =
	    "[default]\nregion = us-east-1\nuse_fips_endpoint = true\n"
	    "[profile ds]\nuse_dualstack_endpoint = True\n"
	    "[profile bad]\nuse_fips_endpoint = on\n";
	bool fips, ds;
	char *u;
	int fd;

	(void)state;
	clear_env();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
	    (ssize_t)(sizeof(text) - 1));
	(void)close(fd);
	setenv("AWS_CONFIG_FILE", path, 1);
	assert_int_equal(endpoint_settings(&fips, &ds), 0);
	assert_true(fips);
	assert_false(ds);
	u = endpoint_resolve("sts", "us-west-2");
	assert_string_equal(u, "https://sts-fips.us-west-2.amazonaws.com");
	free(u);
	/* The environment wins over the profile. */
	setenv("AWS_USE_FIPS_ENDPOINT", "false", 1);
	u = endpoint_resolve("sts", "us-west-2");
	assert_string_equal(u, "https://sts.us-west-2.amazonaws.com");
	free(u);
	unsetenv("AWS_USE_FIPS_ENDPOINT");
	setenv("AWS_PROFILE", "ds", 1);
	u = endpoint_resolve("ecs", "ap-southeast-2");
	assert_string_equal(u, "https://ecs.ap-southeast-2.api.aws");
	free(u);
	setenv("AWS_PROFILE", "bad", 1);
	assert_int_equal(endpoint_settings(&fips, &ds), -1);
	assert_null(endpoint_resolve("ecs", "us-east-1"));
	(void)unlink(path);
	clear_env();
}

static void
test_endpoint_check(void **state)
{
	(void)state;
	assert_int_equal(endpoint_check("t", "https://ecs.us-east-1."
	    "amazonaws.com"), 0);
	assert_int_equal(endpoint_check("t", "http://127.0.0.1:9/"), 0);
	assert_int_equal(endpoint_check("t", "http://example.com/"), -1);
	assert_int_equal(endpoint_check("t", "https://h.example/?a=b"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_table),
		cmocka_unit_test(test_endpoint_partition),
		cmocka_unit_test(test_endpoint_resolve_env),
		cmocka_unit_test(test_endpoint_profile),
		cmocka_unit_test(test_endpoint_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
