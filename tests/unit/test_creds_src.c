/*
 * Credential sources: INI parsing, the profile order, source_profile chains
 * and cycles, SSO cache lookup and expiry, process / STS / container
 * output, and the refreshing provider.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "creds.h"
#include "jsonutil.h"
#include "fsio.h"
#include "http.h"
#include "xalloc.h"

static char tmpdir[] = "/tmp/f2o-test-creds-src.XXXXXX";

static const char *const envs[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_REGION",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC",
	"F2O_CREDS_REFRESH_MARGIN", NULL
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
	setenv("HOME", tmpdir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	/* Nothing listens there: an STS call fails at once. */
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/f2o", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/f2o", 1);
	creds_profile_set(NULL);
	return 0;
}

static void
iso(char *buf, size_t len, time_t t)
{
	struct tm tm;

	assert_non_null(gmtime_r(&t, &tm));
	assert_true(strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0);
}

static void
test_ini(void **state)
{
	const char *text = "# comment\n[default]\nregion = eu-west-1\n"
	    "s3 =\n  max_concurrent_requests = 2\n; other\n"
	    "[profile dev]\n  role_arn = indented-ignored\n"
	    "role_arn = arn:aws:iam::1:role/r \r\nempty =\n"
	    "[sso-session corp]\nsso_region = us-east-2\n";
	struct creds_files f;
	char *v;

	(void)state;
	v = creds_ini_get(text, "default", "region");
	assert_string_equal(v, "eu-west-1");
	free(v);
	assert_null(creds_ini_get(text, "default", "max_concurrent_requests"));
	v = creds_ini_get(text, "profile dev", "role_arn");
	assert_string_equal(v, "arn:aws:iam::1:role/r");
	free(v);
	assert_null(creds_ini_get(text, "profile dev", "empty"));
	assert_null(creds_ini_get(text, "dev", "role_arn"));
	assert_true(creds_ini_has(text, "sso-session corp"));
	assert_false(creds_ini_has(text, "sso-session other"));
	assert_false(creds_ini_has(NULL, "default"));

	f.config = xstrdup(text);
	f.credentials = xstrdup("[dev]\nrole_arn = from-credentials\n");
	v = creds_files_get(&f, "dev", "role_arn");
	assert_string_equal(v, "from-credentials");
	free(v);
	v = creds_files_conf(&f, "dev", "role_arn");
	assert_string_equal(v, "arn:aws:iam::1:role/r");
	free(v);
	v = creds_files_conf(&f, "default", "region");
	assert_string_equal(v, "eu-west-1");
	free(v);
	assert_true(creds_files_has(&f, "dev"));
	assert_true(creds_files_has(&f, "default"));
	assert_false(creds_files_has(&f, "corp"));
	creds_files_cleanup(&f);
	assert_null(f.config);
}

static void
test_time(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(creds_time_parse("2030-01-02T03:04:05Z", &t), 0);
	assert_int_equal((long long)t, 1893553445LL);
	assert_int_equal(creds_time_parse("2030-01-02T03:04:05.123Z", &t), 0);
	assert_int_equal((long long)t, 1893553445LL);
	assert_int_equal(creds_time_parse("2030-01-02T03:04:05+00:00", &t),
	    0);
	assert_int_equal(creds_time_parse("2030-01-02T03:04:05+02:00", &t),
	    -1);
	assert_int_equal(creds_time_parse("2030-13-02T03:04:05Z", &t), -1);
	assert_int_equal(creds_time_parse("tomorrow", &t), -1);
	assert_int_equal(creds_time_parse(NULL, &t), -1);
}

/* Which source each profile uses, in botocore's order. */
static void
test_profile_kind(void **state)
{
	struct creds_files f;

	(void)state;
	f.credentials = xstrdup("[keys]\naws_access_key_id = A\n"
	    "aws_secret_access_key = S\n"
	    "[half]\naws_access_key_id = A\n"
	    "[both]\naws_access_key_id = A\naws_secret_access_key = S\n");
	f.config = xstrdup("[profile role]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "source_profile = keys\naws_access_key_id = A\n"
	    "aws_secret_access_key = S\n"
	    "[profile csrc]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "credential_source = Environment\n"
	    "[profile lonely]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "[profile web]\nrole_arn = arn:aws:iam::1:role/r\n"
	    "web_identity_token_file = /t\n"
	    "[profile sso]\nsso_session = corp\n"
	    "credential_process = /bin/false\n"
	    "[profile legacy]\nsso_start_url = https://x/start\n"
	    "[profile both]\ncredential_process = /bin/false\n"
	    "[profile proc]\ncredential_process = /bin/false\n"
	    "aws_access_key_id = A\naws_secret_access_key = S\n"
	    "[profile conf]\naws_access_key_id = A\n"
	    "aws_secret_access_key = S\n");
	assert_int_equal(creds_profile_kind(&f, "role", true),
	    CREDS_KIND_ROLE);
	assert_int_equal(creds_profile_kind(&f, "csrc", true),
	    CREDS_KIND_ROLE);
	assert_int_equal(creds_profile_kind(&f, "lonely", true),
	    CREDS_KIND_NONE);
	assert_int_equal(creds_profile_kind(&f, "web", true), CREDS_KIND_WEB);
	assert_int_equal(creds_profile_kind(&f, "sso", true), CREDS_KIND_SSO);
	assert_int_equal(creds_profile_kind(&f, "legacy", true),
	    CREDS_KIND_SSO);
	assert_int_equal(creds_profile_kind(&f, "keys", true),
	    CREDS_KIND_FILE_KEYS);
	assert_int_equal(creds_profile_kind(&f, "half", true),
	    CREDS_KIND_NONE);
	/* Credentials-file keys before credential_process. */
	assert_int_equal(creds_profile_kind(&f, "both", true),
	    CREDS_KIND_FILE_KEYS);
	/* credential_process before config-file keys. */
	assert_int_equal(creds_profile_kind(&f, "proc", true),
	    CREDS_KIND_PROCESS);
	assert_int_equal(creds_profile_kind(&f, "conf", true),
	    CREDS_KIND_CONFIG_KEYS);
	/* The environment's web identity only where env_ok. */
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/t", 1);
	assert_int_equal(creds_profile_kind(&f, "conf", true),
	    CREDS_KIND_WEB);
	assert_int_equal(creds_profile_kind(&f, "conf", false),
	    CREDS_KIND_CONFIG_KEYS);
	assert_int_equal(creds_profile_kind(&f, "role", true),
	    CREDS_KIND_ROLE);
	creds_files_cleanup(&f);
}

/*
 * A source_profile chain reaches its root (a credential_process that
 * leaves a mark) unless it is a cycle or too deep. STS is unreachable,
 * so every load fails after the root ran.
 */
static void
chain_case(const char *config, bool want_mark)
{
	struct creds *c = NULL;
	char *proc, *conf, *mark;

	mark = xasprintf("%s/mark", tmpdir);
	(void)unlink(mark);
	proc = write_tmp("root.sh", "#!/bin/sh\n: > \"$MARK\"\nprintf "
	    "'{\"Version\": 1, \"AccessKeyId\": \"ROOT\", "
	    "\"SecretAccessKey\": \"rs\"}'\n");
	assert_int_equal(chmod(proc, 0700), 0);
	setenv("MARK", mark, 1);
	conf = xasprintf("[profile root]\ncredential_process = %s\n%s", proc,
	    config);
	free(proc);
	proc = write_tmp("chain.conf", conf);
	setenv("AWS_CONFIG_FILE", proc, 1);
	setenv("AWS_PROFILE", "p0", 1);
	assert_int_equal(creds_load(&c, "us-east-1"), -1);
	assert_null(c);
	assert_int_equal(access(mark, F_OK) == 0, want_mark);
	free(proc);
	free(conf);
	free(mark);
}

static void
test_chain(void **state)
{
	char *deep, *t;
	int i;

	(void)state;
	/* p0 -> p1 -> root: the root runs, then AssumeRole fails. */
	chain_case("[profile p0]\nrole_arn = arn:aws:iam::1:role/a\n"
	    "source_profile = p1\n[profile p1]\nrole_arn = "
	    "arn:aws:iam::1:role/b\nsource_profile = root\n", true);
	/* A cycle never reaches anything. */
	chain_case("[profile p0]\nrole_arn = arn:aws:iam::1:role/a\n"
	    "source_profile = p1\n[profile p1]\nrole_arn = "
	    "arn:aws:iam::1:role/b\nsource_profile = p0\n", false);
	/* A source_profile that does not exist. */
	chain_case("[profile p0]\nrole_arn = arn:aws:iam::1:role/a\n"
	    "source_profile = nowhere\n", false);
	/* Both a source_profile and a credential_source. */
	chain_case("[profile p0]\nrole_arn = arn:aws:iam::1:role/a\n"
	    "source_profile = root\ncredential_source = Environment\n",
	    false);
	/* mfa_serial cannot be answered without a prompt. */
	chain_case("[profile p0]\nrole_arn = arn:aws:iam::1:role/a\n"
	    "source_profile = root\nmfa_serial = arn:aws:iam::1:mfa/u\n",
	    false);
	/* Deeper than CREDS_MAX_CHAIN hops. */
	deep = xstrdup("");
	for (i = 0; i < CREDS_MAX_CHAIN + 2; i++) {
		t = xasprintf("%s[profile p%d]\nrole_arn = "
		    "arn:aws:iam::1:role/r%d\nsource_profile = p%d\n", deep, i,
		    i, i + 1);
		free(deep);
		deep = t;
	}
	t = xasprintf("%s[profile p%d]\nrole_arn = arn:aws:iam::1:role/x\n"
	    "source_profile = root\n", deep, CREDS_MAX_CHAIN + 2);
	chain_case(t, false);
	free(t);
	free(deep);
}

/* A profile naming itself uses its own keys; --profile skips the env. */
static void
test_self_and_explicit(void **state)
{
	struct creds *c = NULL;
	char *f;

	(void)state;
	f = write_tmp("self.conf", "[profile me]\nrole_arn = "
	    "arn:aws:iam::1:role/a\nsource_profile = me\n"
	    "aws_access_key_id = A\naws_secret_access_key = S\n"
	    "[profile plain]\naws_access_key_id = PLAIN\n"
	    "aws_secret_access_key = S\n");
	setenv("AWS_CONFIG_FILE", f, 1);
	setenv("AWS_PROFILE", "me", 1);
	/* Reaches STS (unreachable): -1, but not for lack of keys. */
	assert_int_equal(creds_load(&c, "us-east-1"), -1);
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_PROFILE", "plain", 1);
	assert_int_equal(creds_load(&c, "us-east-1"), 0);
	assert_string_equal(c->access_key, "ENVKEY");
	creds_free(c);
	creds_profile_set("plain");
	assert_int_equal(creds_load(&c, "us-east-1"), 0);
	assert_string_equal(c->access_key, "PLAIN");
	assert_string_equal(c->source, "profile plain");
	creds_free(c);
	creds_profile_set("missing");
	assert_int_equal(creds_load(&c, "us-east-1"), -1);
	creds_profile_set(NULL);
	free(f);
}

static void
test_sso_cache(void **state)
{
	char *p, *text, *tok, *dir, exp[32];

	(void)state;
	p = creds_sso_cache_path("corp");
	/* sha1("corp") */
	text = xasprintf("%s/.aws/sso/cache/"
	    "ee0bfd2552fbd840c02cc48b6e823320543c450f.json", tmpdir);
	assert_non_null(p);
	assert_int_equal(strlen(p), strlen(text));
	assert_string_equal(p, text);
	free(text);
	dir = xasprintf("%s/.aws/sso/cache", tmpdir);
	assert_int_equal(fsio_mkdir_p(dir), 0);
	/* Absent. */
	assert_int_equal(creds_sso_token(&tok, p, NULL, time(NULL), false), -1);
	assert_null(tok);
	/* Valid for an hour. */
	iso(exp, sizeof(exp), time(NULL) + 3600);
	text = xasprintf("{\"startUrl\": \"https://x/start\", \"region\": "
	    "\"us-east-1\", \"accessToken\": \"sso-tok\", \"expiresAt\": "
	    "\"%s\"}", exp);
	assert_int_equal(fsio_write_atomic_path(p, text, strlen(text)), 0);
	free(text);
	assert_int_equal(creds_sso_token(&tok, p, NULL, time(NULL), false), 0);
	assert_string_equal(tok, "sso-tok");
	creds_wipe_free(tok);
	/* Expired by then. */
	assert_int_equal(creds_sso_token(&tok, p, NULL, time(NULL) + 7200, false), -1);
	assert_null(tok);
	/* No accessToken. */
	text = xasprintf("{\"expiresAt\": \"%s\"}", exp);
	assert_int_equal(fsio_write_atomic_path(p, text, strlen(text)), 0);
	assert_int_equal(creds_sso_token(&tok, p, NULL, time(NULL), false), -1);
	free(text);
	free(dir);
	free(p);
}

/* The pieces of an sso-session token's renewal that need no server. */
static void
test_oidc_cache(void **state)
{
	const struct creds_sso_session ss = { "corp",
	    "https://corp.awsapps.com/start", "eu-west-1" };
	const char *reply = "{\"accessToken\": \"new-at\", \"expiresIn\": "
	    "3600, \"refreshToken\": \"new-rt\", \"tokenType\": "
	    "\"Bearer\"}";
	const char *keep = "{\"accessToken\": \"new-at\", \"expiresIn\": "
	    "60}";
	const char *bad = "{\"expiresIn\": 60}";
	char later[32], want[32], *text, *url;
	time_t now = time(NULL);
	cJSON *old, *o;

	(void)state;
	iso(later, sizeof(later), now + 86400);
	text = xasprintf("{\"startUrl\": \"https://corp.awsapps.com/start\", "
	    "\"region\": \"eu-west-1\", \"accessToken\": \"old-at\", "
	    "\"expiresAt\": \"2020-01-01T00:00:00Z\", \"clientId\": \"cid\", "
	    "\"clientSecret\": \"cs\", \"registrationExpiresAt\": \"%s\", "
	    "\"refreshToken\": \"old-rt\"}", later);
	old = cJSON_Parse(text);
	free(text);
	assert_non_null(old);
	assert_int_equal(creds_oidc_renewable(old, now), 1);
	/* The registration ended: a new "aws sso login" is needed. */
	assert_int_equal(creds_oidc_renewable(old, now + 2 * 86400), 0);
	o = creds_oidc_cache(old, &ss, reply, strlen(reply), now);
	assert_non_null(o);
	iso(want, sizeof(want), now + 3600);
	assert_string_equal(json_str(o, "accessToken"), "new-at");
	assert_string_equal(json_str(o, "expiresAt"), want);
	assert_string_equal(json_str(o, "refreshToken"), "new-rt");
	assert_string_equal(json_str(o, "clientId"), "cid");
	assert_string_equal(json_str(o, "clientSecret"), "cs");
	assert_string_equal(json_str(o, "registrationExpiresAt"), later);
	assert_string_equal(json_str(o, "startUrl"), ss.start_url);
	assert_string_equal(json_str(o, "region"), "eu-west-1");
	/* Renewable again with what it holds. */
	assert_int_equal(creds_oidc_renewable(o, now), 1);
	cJSON_Delete(o);
	/* No new refresh token: the old one is kept. */
	o = creds_oidc_cache(old, &ss, keep, strlen(keep), now);
	assert_non_null(o);
	assert_string_equal(json_str(o, "refreshToken"), "old-rt");
	cJSON_Delete(o);
	assert_null(creds_oidc_cache(old, &ss, bad, strlen(bad), now));
	assert_null(creds_oidc_cache(old, &ss, "[", 1, now));
	/* Without a refresh token: not renewable. */
	cJSON_DeleteItemFromObjectCaseSensitive(old, "refreshToken");
	assert_int_equal(creds_oidc_renewable(old, now), 0);
	cJSON_Delete(old);
	url = creds_oidc_url("eu-west-1");
	assert_string_equal(url, "https://oidc.eu-west-1.amazonaws.com/token");
	free(url);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9//", 1);
	url = creds_oidc_url("eu-west-1");
	assert_string_equal(url, "http://127.0.0.1:9/token");
	free(url);
	setenv("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:8", 1);
	url = creds_oidc_url("eu-west-1");
	assert_string_equal(url, "http://127.0.0.1:8/token");
	free(url);
}

/*
 * An expired sso-session token whose renewal cannot be reached is
 * refused, naming the cache and "aws sso login"; the cache is unchanged.
 */
static void
test_oidc_unreachable(void **state)
{
	const struct creds_sso_session ss = { "corp",
	    "https://corp.awsapps.com/start", "us-east-1" };
	char later[32], *p, *text, *after, *tok;
	size_t n;

	(void)state;
	setenv("AWS_ENDPOINT_URL_SSO_OIDC", "http://127.0.0.1:9", 1);
	iso(later, sizeof(later), time(NULL) + 86400);
	text = xasprintf("{\"accessToken\": \"old-at\", \"expiresAt\": "
	    "\"2020-01-01T00:00:00Z\", \"clientId\": \"cid\", "
	    "\"clientSecret\": \"cs\", \"registrationExpiresAt\": \"%s\", "
	    "\"refreshToken\": \"old-rt\"}", later);
	p = write_tmp("oidc-cache.json", text);
	assert_int_equal(creds_sso_token(&tok, p, &ss, time(NULL), false), -1);
	assert_null(tok);
	/* A token the cache says lasts, refused: nothing new to try. */
	assert_int_equal(creds_sso_token(&tok, p, &ss, 1577800000, true), 1);
	assert_null(tok);
	assert_int_equal(creds_read_optional(&after, p, 65536), 1);
	n = strlen(after);
	assert_int_equal(n, strlen(text));
	assert_memory_equal(after, text, n);
	free(after);
	free(text);
	free(p);
}

static void
test_sso_parse(void **state)
{
	const char *ok = "{\"roleCredentials\": {\"accessKeyId\": \"ASIA1\", "
	    "\"secretAccessKey\": \"s\", \"sessionToken\": \"t\", "
	    "\"expiration\": 1893553445000}}";
	const char *bad = "{\"roleCredentials\": {\"accessKeyId\": \"ASIA1\"}}";
	struct creds *c;

	(void)state;
	assert_int_equal(creds_sso_parse(&c, "sso", ok, strlen(ok)), 0);
	assert_string_equal(c->access_key, "ASIA1");
	assert_string_equal(c->session_token, "t");
	assert_int_equal((long long)c->expiration, 1893553445LL);
	creds_free(c);
	assert_int_equal(creds_sso_parse(&c, "sso", bad, strlen(bad)), -1);
	assert_null(c);
}

static void
test_sso_incomplete(void **state)
{
	struct creds_files f;
	struct creds *c;

	(void)state;
	f.credentials = NULL;
	f.config = xstrdup("[profile a]\nsso_session = corp\n"
	    "sso_account_id = 1\nsso_role_name = R\n"
	    "[profile none]\nregion = x\n");
	/* The sso-session section is missing. */
	assert_int_equal(creds_sso_load(&c, &f, "a"), -1);
	assert_int_equal(creds_sso_load(&c, &f, "none"), 0);
	creds_files_cleanup(&f);
}

static void
test_process_expiration(void **state)
{
	const char *ok = "{\"Version\": 1, \"AccessKeyId\": \"K\", "
	    "\"SecretAccessKey\": \"S\", \"Expiration\": "
	    "\"2030-01-02T03:04:05Z\"}";
	const char *badexp = "{\"Version\": 1, \"AccessKeyId\": \"K\", "
	    "\"SecretAccessKey\": \"S\", \"Expiration\": \"soon\"}";
	struct creds *c;

	(void)state;
	assert_int_equal(creds_process_parse(&c, "t", ok, strlen(ok)), 0);
	assert_int_equal((long long)c->expiration, 1893553445LL);
	assert_null(c->session_token);
	creds_free(c);
	assert_int_equal(creds_process_parse(&c, "t", badexp,
	    strlen(badexp)), -1);
	/* A failing command. */
	assert_int_equal(creds_process_run(&c, "/bin/false"), -1);
	assert_int_equal(creds_process_run(&c, "\"unterminated"), -1);
}

static void
test_sts_parse(void **state)
{
	const char *ok = "<AssumeRoleResponse xmlns=\"https://sts.amazonaws."
	    "com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>"
	    "<AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>sk"
	    "</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>"
	    "2030-01-02T03:04:05Z</Expiration></Credentials><AssumedRoleUser>"
	    "<Arn>arn</Arn></AssumedRoleUser></AssumeRoleResult>"
	    "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
	    "</AssumeRoleResponse>";
	const char *nocreds = "<AssumeRoleResponse><AssumeRoleResult>"
	    "</AssumeRoleResult></AssumeRoleResponse>";
	const char *dtd = "<!DOCTYPE x [<!ENTITY a \"b\">]><AssumeRoleResponse/>";
	struct creds *c;
	char *u;

	(void)state;
	assert_int_equal(creds_sts_parse(&c, "AssumeRole", "role", ok,
	    strlen(ok)), 0);
	assert_string_equal(c->access_key, "ASIAX");
	assert_string_equal(c->secret_key, "sk");
	assert_string_equal(c->session_token, "tok");
	assert_string_equal(c->source, "role");
	assert_int_equal((long long)c->expiration, 1893553445LL);
	creds_free(c);
	/* The result element must match the action. */
	assert_int_equal(creds_sts_parse(&c, "AssumeRoleWithWebIdentity", "r",
	    ok, strlen(ok)), -1);
	assert_int_equal(creds_sts_parse(&c, "AssumeRole", "r", nocreds,
	    strlen(nocreds)), -1);
	assert_int_equal(creds_sts_parse(&c, "AssumeRole", "r", dtd,
	    strlen(dtd)), -1);
	/* Endpoints. */
	unsetenv("AWS_ENDPOINT_URL_STS");
	u = creds_sts_url("eu-west-3");
	assert_string_equal(u, "https://sts.eu-west-3.amazonaws.com");
	free(u);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1", 1);
	u = creds_sts_url("eu-west-3");
	assert_string_equal(u, "http://127.0.0.1:1");
	free(u);
	setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2", 1);
	u = creds_sts_url("eu-west-3");
	assert_string_equal(u, "http://127.0.0.1:2");
	free(u);
}

static void
test_json_parse(void **state)
{
	const char *imds = "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", "
	    "\"AccessKeyId\": \"ASIAI\", \"SecretAccessKey\": \"s\", "
	    "\"Token\": \"t\", \"Expiration\": \"2030-01-02T03:04:05Z\"}";
	const char *fail = "{\"Code\": \"Failure\", \"AccessKeyId\": \"A\", "
	    "\"SecretAccessKey\": \"s\"}";
	struct creds *c;

	(void)state;
	assert_int_equal(creds_json_parse(&c, "imds", imds, strlen(imds)), 0);
	assert_string_equal(c->session_token, "t");
	assert_int_equal((long long)c->expiration, 1893553445LL);
	creds_free(c);
	assert_int_equal(creds_json_parse(&c, "imds", fail, strlen(fail)), -1);
	assert_int_equal(creds_json_parse(&c, "x", "[]", 2), -1);
}

static void
test_container_config(void **state)
{
	struct creds *c;

	(void)state;
	assert_int_equal(creds_container_load(&c), 0);
	/* Plain http only to loopback or the agent's addresses. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://example.com/creds", 1);
	assert_int_equal(creds_container_load(&c), -1);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://127.0.0.1.example.com/creds", 1);
	assert_int_equal(creds_container_load(&c), -1);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://169.254.169.254/creds", 1);
	assert_int_equal(creds_container_load(&c), -1);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://user@127.0.0.1:9/creds", 1);
	assert_int_equal(creds_container_load(&c), -1);
	/* Allowed, but nothing listens: a transport error. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/c",
	    1);
	assert_int_equal(creds_container_load(&c), -1);
	/* A missing token file is an error, not "no token". */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/nonexistent/t", 1);
	assert_int_equal(creds_container_load(&c), -1);
	/* IMDS disabled: nothing found, nothing sent. */
	assert_int_equal(creds_imds_load(&c), 0);
}

static void
test_code_expired(void **state)
{
	(void)state;
	assert_true(creds_code_expired("ExpiredToken", false));
	assert_true(creds_code_expired("ExpiredTokenException", false));
	assert_true(creds_code_expired("RequestExpired", true));
	assert_false(creds_code_expired("RequestExpired", false));
	assert_false(creds_code_expired("ThrottlingException", true));
	assert_false(creds_code_expired(NULL, true));
}

/*
 * The provider with a credential_process that counts its runs and
 * expires after `life` seconds.
 */
static char *
counting_process(long life)
{
	char exp[32], *script, *path, *conf;

	iso(exp, sizeof(exp), time(NULL) + life);
	script = xasprintf("#!/bin/sh\nn=$(cat \"$COUNT\" 2>/dev/null || "
	    "echo 0)\nn=$((n + 1))\necho $n > \"$COUNT\"\nprintf "
	    "'{\"Version\": 1, \"AccessKeyId\": \"KEY%%s\", "
	    "\"SecretAccessKey\": \"s\", \"SessionToken\": \"t\", "
	    "\"Expiration\": \"%s\"}' \"$n\"\n", exp);
	path = write_tmp("count.sh", script);
	assert_int_equal(chmod(path, 0700), 0);
	conf = xasprintf("[default]\ncredential_process = %s\n", path);
	free(path);
	path = write_tmp("count.conf", conf);
	setenv("AWS_CONFIG_FILE", path, 1);
	free(conf);
	free(script);
	conf = xasprintf("%s/count", tmpdir);
	(void)unlink(conf);
	setenv("COUNT", conf, 1);
	free(path);
	return conf;
}

static void
test_provider_refresh(void **state)
{
	struct creds_provider *p;
	const struct creds *c;
	char *count;

	(void)state;
	/* Lasts an hour: no refresh. */
	count = counting_process(3600);
	assert_int_equal(creds_provider_new(&p, "us-east-1"), 0);
	c = creds_provider_get(p);
	assert_string_equal(c->access_key, "KEY1");
	c = creds_provider_get(p);
	assert_string_equal(c->access_key, "KEY1");
	/* Refused as expired: one refresh, the next get sees it. */
	assert_false(creds_provider_expired(p, "ThrottlingException"));
	assert_true(creds_provider_expired(p, "ExpiredTokenException"));
	/* This thread's snapshot is still the old generation: no second
	 * refresh for the same refusal. */
	assert_true(creds_provider_expired(p, "ExpiredToken"));
	c = creds_provider_get(p);
	assert_string_equal(c->access_key, "KEY2");
	creds_provider_free(p);
	free(count);

	/* Within the margin (300 s): each get fetches again. */
	count = counting_process(100);
	assert_int_equal(creds_provider_new(&p, "us-east-1"), 0);
	c = creds_provider_get(p);
	assert_string_equal(c->access_key, "KEY2");
	c = creds_provider_get(p);
	assert_string_equal(c->access_key, "KEY3");
	creds_provider_free(p);
	/* A smaller margin: no refresh. */
	setenv("F2O_CREDS_REFRESH_MARGIN", "10", 1);
	(void)unlink(count);
	assert_int_equal(creds_provider_new(&p, "us-east-1"), 0);
	c = creds_provider_get(p);
	assert_string_equal(c->access_key, "KEY1");
	c = creds_provider_get(p);
	assert_string_equal(c->access_key, "KEY1");
	creds_provider_free(p);
	free(count);
}

/* A failed early refresh keeps the valid keys and waits before retrying. */
static void
test_provider_refresh_fails(void **state)
{
	struct creds_provider *p;
	const struct creds *c;
	char exp[32], *script, *path, *conf, *count, *text;

	(void)state;
	iso(exp, sizeof(exp), time(NULL) + 100);
	count = xasprintf("%s/count2", tmpdir);
	(void)unlink(count);
	setenv("COUNT", count, 1);
	script = xasprintf("#!/bin/sh\nn=$(cat \"$COUNT\" 2>/dev/null || "
	    "echo 0)\nn=$((n + 1))\necho $n > \"$COUNT\"\n"
	    "[ $n -gt 1 ] && exit 1\nprintf '{\"Version\": 1, "
	    "\"AccessKeyId\": \"ONCE\", \"SecretAccessKey\": \"s\", "
	    "\"Expiration\": \"%s\"}'\n", exp);
	path = write_tmp("once.sh", script);
	assert_int_equal(chmod(path, 0700), 0);
	conf = xasprintf("[default]\ncredential_process = %s\n", path);
	free(path);
	path = write_tmp("once.conf", conf);
	setenv("AWS_CONFIG_FILE", path, 1);
	assert_int_equal(creds_provider_new(&p, "us-east-1"), 0);
	c = creds_provider_get(p);	/* refresh fails: still valid */
	assert_non_null(c);
	assert_string_equal(c->access_key, "ONCE");
	c = creds_provider_get(p);	/* no new try within the wait */
	assert_string_equal(c->access_key, "ONCE");
	text = NULL;
	assert_int_equal(creds_read_optional(&text, count, 64), 1);
	assert_int_equal(atoi(text), 2);
	free(text);
	creds_provider_free(p);
	free(path);
	free(conf);
	free(script);
	free(count);
}

static void
test_provider_static(void **state)
{
	struct creds_provider *p;
	const struct creds *c;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	assert_int_equal(creds_provider_new(&p, "us-east-1"), 0);
	c = creds_provider_get(p);
	assert_string_equal(c->access_key, "ENVKEY");
	assert_int_equal((long long)c->expiration, 0);
	/* Nothing to refresh: the refusal stands. */
	assert_false(creds_provider_expired(p, "ExpiredTokenException"));
	creds_provider_free(p);
	unsetenv("AWS_ACCESS_KEY_ID");
	assert_int_equal(creds_provider_new(&p, "us-east-1"), -1);
	assert_null(p);
	creds_provider_free(NULL);
}

struct worker {
	struct creds_provider	*p;
	int			 bad;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	const struct creds *c;
	int i;

	for (i = 0; i < 200; i++) {
		c = creds_provider_get(w->p);
		if (c == NULL || strncmp(c->access_key, "KEY", 3) != 0)
			w->bad++;
		if (i == 100)
			(void)creds_provider_expired(w->p, "ExpiredToken");
	}
	return NULL;
}

static void
test_provider_threads(void **state)
{
	struct creds_provider *p;
	struct worker w[4];
	pthread_t t[4];
	char *count, *text;
	int i, n;

	(void)state;
	count = counting_process(3600);
	assert_int_equal(creds_provider_new(&p, "us-east-1"), 0);
	for (i = 0; i < 4; i++) {
		w[i].p = p;
		w[i].bad = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run,
		    &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	/* 1 load + at most one refresh per worker, often fewer. */
	text = NULL;
	assert_int_equal(creds_read_optional(&text, count, 64), 1);
	n = atoi(text);
	assert_true(n >= 2 && n <= 5);
	free(text);
	creds_provider_free(p);
	free(count);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ini, setup),
		cmocka_unit_test_setup(test_time, setup),
		cmocka_unit_test_setup(test_profile_kind, setup),
		cmocka_unit_test_setup(test_chain, setup),
		cmocka_unit_test_setup(test_self_and_explicit, setup),
		cmocka_unit_test_setup(test_sso_cache, setup),
		cmocka_unit_test_setup(test_oidc_cache, setup),
		cmocka_unit_test_setup(test_oidc_unreachable, setup),
		cmocka_unit_test_setup(test_sso_parse, setup),
		cmocka_unit_test_setup(test_sso_incomplete, setup),
		cmocka_unit_test_setup(test_process_expiration, setup),
		cmocka_unit_test_setup(test_sts_parse, setup),
		cmocka_unit_test_setup(test_json_parse, setup),
		cmocka_unit_test_setup(test_container_config, setup),
		cmocka_unit_test_setup(test_code_expired, setup),
		cmocka_unit_test_setup(test_provider_refresh, setup),
		cmocka_unit_test_setup(test_provider_refresh_fails, setup),
		cmocka_unit_test_setup(test_provider_static, setup),
		cmocka_unit_test_setup(test_provider_threads, setup),
	};
	int rc;

	if (mkdtemp(tmpdir) == NULL || http_global_init() == -1)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	(void)fsio_remove_tree(tmpdir);
	return rc;
}
