/*
 * Credential lookup order with temporary files and environment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "fsio.h"
#include "xalloc.h"

static char tmpdir[] = "/tmp/f2o-test-creds.XXXXXX";

static const char *const envs[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_REGION",
	"AWS_DEFAULT_REGION", "SPOTINST_TOKEN", "SPOTINST_ACCOUNT",
	"SPOTINST_CREDENTIALS_FILE", "SPOTINST_CREDENTIALS_PROFILE", NULL
};

static char *
write_tmp(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", tmpdir, name);

	assert_int_equal(fsio_write_atomic_path(p, text, strlen(text)), 0);
	return p;
}

static int
setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; envs[i] != NULL; i++)
		unsetenv(envs[i]);
	/* Never read the developer's real ~/.aws or ~/.spotinst. */
	setenv("HOME", tmpdir, 1);
	/* Nor ask a real instance metadata service. */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	return 0;
}

static void
test_creds_env_first(void **state)
{
	struct creds *c;
	char *f;

	(void)state;
	f = write_tmp("cred1", "[default]\naws_access_key_id = FILEKEY\n"
	    "aws_secret_access_key = filesecret\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", f, 1);
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	assert_int_equal(creds_load(&c, "us-east-1"), 0);
	assert_string_equal(c->access_key, "ENVKEY");
	assert_string_equal(c->secret_key, "envsecret");
	assert_string_equal(c->session_token, "envtoken");
	assert_string_equal(c->source, "environment");
	creds_free(c);
	free(f);
}

static void
test_creds_profile_file(void **state)
{
	struct creds *c;
	char *f, *g;

	(void)state;
	f = write_tmp("cred2", "# comment\n[default]\naws_access_key_id=D\n"
	    "aws_secret_access_key=d\n\n[dev]\naws_access_key_id = DEVKEY \n"
	    "aws_secret_access_key = devsecret\naws_session_token = devtok\n");
	g = write_tmp("conf2", "[profile dev]\naws_access_key_id = CONF\n"
	    "aws_secret_access_key = conf\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", f, 1);
	setenv("AWS_CONFIG_FILE", g, 1);
	assert_int_equal(creds_load(&c, "us-east-1"), 0);
	assert_string_equal(c->access_key, "D");
	creds_free(c);
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(creds_load(&c, "us-east-1"), 0);
	assert_string_equal(c->access_key, "DEVKEY");
	assert_string_equal(c->session_token, "devtok");
	assert_string_equal(c->source, "profile dev");
	creds_free(c);
	free(f);
	free(g);
}

static void
test_creds_config_profile(void **state)
{
	struct creds *c;
	char *g;

	(void)state;
	g = write_tmp("conf3", "[dev]\naws_access_key_id = WRONG\n"
	    "aws_secret_access_key = wrong\n[profile dev]\nregion = x\n"
	    "aws_access_key_id = CONFKEY\naws_secret_access_key = c\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/f2o", 1);
	setenv("AWS_CONFIG_FILE", g, 1);
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(creds_load(&c, "us-east-1"), 0);
	assert_string_equal(c->access_key, "CONFKEY");
	creds_free(c);
	free(g);
}

static void
test_creds_process(void **state)
{
	struct creds *c;
	char *g, *s, *conf;

	(void)state;
	s = write_tmp("proc.sh", "#!/bin/sh\nprintf '%s' '{\"Version\": 1, "
	    "\"AccessKeyId\": \"PROCKEY\", \"SecretAccessKey\": \"ps\", "
	    "\"SessionToken\": \"pt\", \"Expiration\": "
	    "\"2030-01-01T00:00:00Z\"}'\n");
	assert_int_equal(chmod(s, 0700), 0);
	conf = xasprintf("[profile p]\ncredential_process = %s --flag "
	    "'a b'\n", s);
	g = write_tmp("conf4", conf);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/f2o", 1);
	setenv("AWS_CONFIG_FILE", g, 1);
	setenv("AWS_PROFILE", "p", 1);
	assert_int_equal(creds_load(&c, "us-east-1"), 0);
	assert_string_equal(c->access_key, "PROCKEY");
	assert_string_equal(c->secret_key, "ps");
	assert_string_equal(c->session_token, "pt");
	creds_free(c);
	free(g);
	free(s);
	free(conf);
}

static void
test_creds_process_bad(void **state)
{
	struct creds *c;
	const char *v2 = "{\"Version\": 2, \"AccessKeyId\": \"a\", "
	    "\"SecretAccessKey\": \"b\"}";
	const char *nokey = "{\"Version\": 1, \"AccessKeyId\": \"a\"}";

	(void)state;
	assert_int_equal(creds_process_parse(&c, "t", v2, strlen(v2)), -1);
	assert_null(c);
	assert_int_equal(creds_process_parse(&c, "t", nokey, strlen(nokey)),
	    -1);
	assert_int_equal(creds_process_parse(&c, "t", "nope", 4), -1);
}

static void
test_creds_none(void **state)
{
	struct creds *c;

	(void)state;
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/f2o", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/f2o", 1);
	assert_int_equal(creds_load(&c, "us-east-1"), -1);
	assert_null(c);
}

static void
test_creds_region(void **state)
{
	(void)state;
	assert_string_equal(creds_region("eu-west-1"), "eu-west-1");
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	assert_string_equal(creds_region("eu-west-1"), "eu-west-1");
	setenv("AWS_REGION", "us-east-2", 1);
	assert_string_equal(creds_region("eu-west-1"), "us-east-2");
}

static void
test_creds_spot(void **state)
{
	struct spot_creds *c;
	char *f, *j;

	(void)state;
	f = write_tmp("spot1", "[default]\ntoken = filetok\n"
	    "account = act-file\n[other]\ntoken = othertok\n");
	setenv("SPOTINST_CREDENTIALS_FILE", f, 1);
	assert_int_equal(creds_spot_load(&c), 0);
	assert_string_equal(c->token, "filetok");
	assert_string_equal(c->account, "act-file");
	creds_spot_free(c);
	setenv("SPOTINST_CREDENTIALS_PROFILE", "other", 1);
	setenv("SPOTINST_ACCOUNT", "act-env", 1);
	assert_int_equal(creds_spot_load(&c), 0);
	assert_string_equal(c->token, "othertok");
	assert_string_equal(c->account, "act-env");
	creds_spot_free(c);
	setenv("SPOTINST_TOKEN", "envtok", 1);
	assert_int_equal(creds_spot_load(&c), 0);
	assert_string_equal(c->token, "envtok");
	creds_spot_free(c);
	unsetenv("SPOTINST_TOKEN");
	unsetenv("SPOTINST_ACCOUNT");
	j = write_tmp("spot2", "{\"token\": \"jtok\", \"account\": \"act-j\"}");
	setenv("SPOTINST_CREDENTIALS_FILE", j, 1);
	assert_int_equal(creds_spot_load(&c), 0);
	assert_string_equal(c->token, "jtok");
	assert_string_equal(c->account, "act-j");
	creds_spot_free(c);
	setenv("SPOTINST_CREDENTIALS_FILE", "/nonexistent/f2o", 1);
	assert_int_equal(creds_spot_load(&c), -1);
	free(f);
	free(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_creds_env_first, setup),
		cmocka_unit_test_setup(test_creds_profile_file, setup),
		cmocka_unit_test_setup(test_creds_config_profile, setup),
		cmocka_unit_test_setup(test_creds_process, setup),
		cmocka_unit_test_setup(test_creds_process_bad, setup),
		cmocka_unit_test_setup(test_creds_none, setup),
		cmocka_unit_test_setup(test_creds_region, setup),
		cmocka_unit_test_setup(test_creds_spot, setup),
	};
	int rc;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	(void)fsio_remove_tree(tmpdir);
	return rc;
}
