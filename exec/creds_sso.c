/*
 * IAM Identity Center (SSO): the "aws sso login" token cache and the
 * portal's GetRoleCredentials. See creds.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "creds.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "sigv4.h"
#include "strbuf.h"
#include "xalloc.h"

#define SSO_MAX_CACHE	(256 * 1024)	/* bytes, one cache file */

char *
creds_sso_cache_path(const char *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const char *home;

	home = creds_env("HOME");
	if (home == NULL)
		return NULL;
	if (EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha1(), NULL) != 1) {
		log_errx("sso: SHA-1 failed");
		return NULL;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	return xasprintf("%s/.aws/sso/cache/%s.json", home, hex);
}

int
creds_sso_token(char **token, const char *path, time_t now)
{
	char *text = NULL;
	cJSON *j = NULL;
	const char *tok, *exp;
	time_t t;
	int rc = -1, r;

	*token = NULL;
	r = creds_read_optional(&text, path, SSO_MAX_CACHE);
	if (r != 1) {
		if (r == 0)
			log_errx("sso: no cached token %s: run \"aws sso "
			    "login\"", path);
		goto out;
	}
	j = json_parse_quiet(text, strlen(text));
	tok = json_str(j, "accessToken");
	exp = json_str(j, "expiresAt");
	if (tok == NULL || *tok == '\0' || exp == NULL) {
		log_errx("sso: %s: accessToken and expiresAt are required",
		    path);
		goto out;
	}
	if (creds_time_parse(exp, &t) == -1) {
		log_errx("sso: %s: expiresAt \"%s\" is not an ISO 8601 UTC "
		    "time", path, exp);
		goto out;
	}
	if (t <= now) {
		log_errx("sso: the cached token %s expired at %s: run \"aws "
		    "sso login\"", path, exp);
		goto out;
	}
	*token = xstrdup(tok);
	rc = 0;
out:
	creds_json_wipe(j);
	cJSON_Delete(j);
	creds_wipe_free(text);
	return rc;
}

int
creds_sso_parse(struct creds **out, const char *source, const char *buf,
    size_t len)
{
	cJSON *j, *rc_;
	const char *ak, *sk, *tok;
	long long ms;
	int rc = -1;

	*out = NULL;
	j = json_parse_quiet(buf, len);
	rc_ = cJSON_GetObjectItemCaseSensitive(j, "roleCredentials");
	ak = json_str(rc_, "accessKeyId");
	sk = json_str(rc_, "secretAccessKey");
	tok = json_str(rc_, "sessionToken");
	if (ak == NULL || sk == NULL || tok == NULL || *ak == '\0' ||
	    *sk == '\0' || *tok == '\0' || json_int(rc_, "expiration", 1,
	    (long long)1 << 50, &ms) == -1) {
		log_errx("sso GetRoleCredentials: reply without "
		    "roleCredentials (accessKeyId, secretAccessKey, "
		    "sessionToken, expiration)");
		goto out;
	}
	*out = creds_new(ak, sk, tok, source, (time_t)(ms / 1000));
	rc = 0;
out:
	creds_json_wipe(j);
	cJSON_Delete(j);
	return rc;
}

static char *
sso_url(const char *region, const char *account, const char *role)
{
	struct strbuf sb;
	const char *u;
	char *base, *s;
	size_t n;

	u = creds_env("AWS_ENDPOINT_URL_SSO");
	if (u == NULL)
		u = creds_env("AWS_ENDPOINT_URL");
	base = u != NULL ? xstrdup(u) : xasprintf(
	    "https://portal.sso.%s.amazonaws.com", region);
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	strbuf_init(&sb, 8192);
	if (strbuf_printf(&sb, "%s/federation/credentials?account_id=",
	    base) == -1 || sigv4_uri_encode(&sb, account, strlen(account),
	    0) == -1 || strbuf_puts(&sb, "&role_name=") == -1 ||
	    sigv4_uri_encode(&sb, role, strlen(role), 0) == -1) {
		strbuf_cleanup(&sb);
		free(base);
		log_errx("sso: URL too long");
		return NULL;
	}
	free(base);
	s = strbuf_take(&sb, &n);
	strbuf_cleanup(&sb);
	return s;
}

/* Settings of profile; 0 none, 1 complete, -1 incomplete (logged). */
static int
sso_settings(const struct creds_files *f, const char *profile, char **key,
    char **region, char **account, char **role)
{
	char *sess, *sec, *url = NULL;

	*key = *region = *account = *role = NULL;
	sess = creds_files_conf(f, profile, "sso_session");
	if (sess != NULL) {
		sec = xasprintf("sso-session %s", sess);
		url = creds_ini_get(f->config, sec, "sso_start_url");
		*region = creds_ini_get(f->config, sec, "sso_region");
		free(sec);
		*key = sess;
	} else {
		url = creds_files_conf(f, profile, "sso_start_url");
		if (url == NULL)
			return 0;
		*region = creds_files_conf(f, profile, "sso_region");
		*key = xstrdup(url);
	}
	*account = creds_files_conf(f, profile, "sso_account_id");
	*role = creds_files_conf(f, profile, "sso_role_name");
	if (url == NULL || *region == NULL || *account == NULL ||
	    *role == NULL) {
		log_errx("profile %s: incomplete SSO settings (need %s, "
		    "sso_region, sso_account_id, sso_role_name)", profile,
		    sess != NULL ? "a [sso-session] with sso_start_url" :
		    "sso_start_url");
		free(url);
		return -1;
	}
	free(url);
	return 1;
}

int
creds_sso_load(struct creds **out, const struct creds_files *f,
    const char *profile)
{
	struct http_header h[1];
	struct http_request req;
	struct http_response resp;
	char *key, *region, *account, *role, *path = NULL, *tok = NULL;
	char *url = NULL, *source = NULL;
	int rc = -1, r;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	r = sso_settings(f, profile, &key, &region, &account, &role);
	if (r <= 0) {
		rc = r;
		goto out;
	}
	path = creds_sso_cache_path(key);
	if (path == NULL) {
		log_errx("sso: HOME is not set: no token cache");
		goto out;
	}
	if (creds_sso_token(&tok, path, time(NULL)) == -1)
		goto out;
	url = sso_url(region, account, role);
	if (url == NULL)
		goto out;
	h[0].name = "x-amz-sso_bearer_token";
	h[0].value = tok;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.headers = h;
	req.nheaders = 1;
	if (http_send(&resp, &req) == -1) {
		log_errx("sso GetRoleCredentials %s/%s: no reply", account,
		    role);
		goto out;
	}
	if (resp.status != 200) {
		log_errx("sso GetRoleCredentials %s/%s: HTTP %ld%s", account,
		    role, resp.status, resp.status == 401 ? " (the SSO "
		    "session expired: run \"aws sso login\")" : "");
		goto out;
	}
	source = xasprintf("sso %s/%s (profile %s)", account, role, profile);
	if (creds_sso_parse(out, source, resp.body, resp.len) == -1)
		goto out;
	rc = 1;
out:
	if (resp.body != NULL)
		OPENSSL_cleanse(resp.body, resp.len);
	http_response_cleanup(&resp);
	creds_wipe_free(tok);
	free(key);
	free(region);
	free(account);
	free(role);
	free(path);
	free(url);
	free(source);
	return rc;
}
