/*
 * IAM Identity Center (SSO): the "aws sso login" token cache (renewed by
 * creds_oidc.c) and the portal's GetRoleCredentials. See creds.h.
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
/* A token with less left is renewed (botocore SSOTokenProvider). */
#define SSO_RENEW_WINDOW	(15 * 60)	/* seconds */

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
creds_sso_token(char **token, const char *path,
    const struct creds_sso_session *renew, time_t now, bool force)
{
	char *text = NULL;
	cJSON *j = NULL, *n;
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
	/* Renewed within the window (or when the portal refused it). */
	if (renew != NULL && (force || t - now < SSO_RENEW_WINDOW)) {
		if ((n = creds_oidc_renew(j, path, renew, now)) != NULL) {
			creds_json_wipe(j);
			cJSON_Delete(j);
			j = n;
			tok = json_str(j, "accessToken");
			exp = json_str(j, "expiresAt");
			if (creds_time_parse(exp, &t) == -1)
				goto out;	/* made here: cannot be */
		} else if (force) {
			rc = 1;		/* nothing new to try */
			goto out;
		}
	}
	if (t <= now) {
		log_errx("sso: the cached token %s expired at %s%s: run \"aws "
		    "sso login\"", path, exp, renew != NULL &&
		    creds_oidc_renewable(j, now) == 1 ? " and could not be "
		    "renewed" : "");
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

char *
creds_sso_base(const char *env, const char *host, const char *region)
{
	const char *u;
	char *base;
	size_t n;

	u = creds_env(env);
	if (u == NULL)
		u = creds_env("AWS_ENDPOINT_URL");
	base = u != NULL ? xstrdup(u) : xasprintf("https://%s.%s.amazonaws.com",
	    host, region);
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	return base;
}

static char *
sso_url(const char *region, const char *account, const char *role)
{
	struct strbuf sb;
	char *base, *s;
	size_t n;

	base = creds_sso_base("AWS_ENDPOINT_URL_SSO", "portal.sso", region);
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

/*
 * Settings of profile; 0 none, 1 complete, -1 incomplete (logged). An
 * sso-session profile also gives its session (*sess, renewable), a legacy
 * one *sess NULL.
 */
static int
sso_settings(const struct creds_files *f, const char *profile, char **key,
    char **url, char **region, char **account, char **role, char **sess)
{
	char *sec;

	*key = *url = *region = *account = *role = NULL;
	*sess = creds_files_conf(f, profile, "sso_session");
	if (*sess != NULL) {
		sec = xasprintf("sso-session %s", *sess);
		*url = creds_ini_get(f->config, sec, "sso_start_url");
		*region = creds_ini_get(f->config, sec, "sso_region");
		free(sec);
		*key = xstrdup(*sess);
	} else {
		*url = creds_files_conf(f, profile, "sso_start_url");
		if (*url == NULL)
			return 0;
		*region = creds_files_conf(f, profile, "sso_region");
		*key = xstrdup(*url);
	}
	*account = creds_files_conf(f, profile, "sso_account_id");
	*role = creds_files_conf(f, profile, "sso_role_name");
	if (*url == NULL || *region == NULL || *account == NULL ||
	    *role == NULL) {
		log_errx("profile %s: incomplete SSO settings (need %s, "
		    "sso_region, sso_account_id, sso_role_name)", profile,
		    *sess != NULL ? "a [sso-session] with sso_start_url" :
		    "sso_start_url");
		return -1;
	}
	return 1;
}

/* GetRoleCredentials with tok: 0 (resp filled), -1 no reply (logged). */
static int
get_role(struct http_response *resp, const char *url, const char *tok,
    const char *account, const char *role)
{
	struct http_header h[1];
	struct http_request req;

	h[0].name = "x-amz-sso_bearer_token";
	h[0].value = tok;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url;
	req.headers = h;
	req.nheaders = 1;
	if (http_send(resp, &req) == -1) {
		log_errx("sso GetRoleCredentials %s/%s: no reply", account,
		    role);
		return -1;
	}
	return 0;
}

static void
resp_wipe(struct http_response *resp)
{
	if (resp->body != NULL)
		OPENSSL_cleanse(resp->body, resp->len);
	http_response_cleanup(resp);
	memset(resp, 0, sizeof(*resp));
}

int
creds_sso_load(struct creds **out, const struct creds_files *f,
    const char *profile)
{
	struct creds_sso_session ss, *renew = NULL;
	struct http_response resp;
	char *key, *url0, *region, *account, *role, *sess, *path = NULL;
	char *tok = NULL, *url = NULL, *source = NULL;
	int rc = -1, r;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	r = sso_settings(f, profile, &key, &url0, &region, &account, &role,
	    &sess);
	if (r <= 0) {
		rc = r;
		goto out;
	}
	if (sess != NULL) {
		ss.name = sess;
		ss.start_url = url0;
		ss.region = region;
		renew = &ss;
	}
	path = creds_sso_cache_path(key);
	if (path == NULL) {
		log_errx("sso: HOME is not set: no token cache");
		goto out;
	}
	if (creds_sso_token(&tok, path, renew, time(NULL), false) == -1)
		goto out;
	url = sso_url(region, account, role);
	if (url == NULL || get_role(&resp, url, tok, account, role) == -1)
		goto out;
	/*
	 * Refused although the cache says it lasts (the portal's clock ahead
	 * of ours, or the session ended): renewed once and asked again.
	 */
	if (resp.status == 401 && renew != NULL) {
		log_warnx("sso GetRoleCredentials %s/%s: HTTP 401 with a "
		    "token the cache says lasts: renewing it", account, role);
		creds_wipe_free(tok);
		r = creds_sso_token(&tok, path, renew, time(NULL), true);
		if (r == -1)
			goto out;
		if (r == 0) {
			resp_wipe(&resp);
			if (get_role(&resp, url, tok, account, role) == -1)
				goto out;
		}
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
	resp_wipe(&resp);
	creds_wipe_free(tok);
	free(key);
	free(url0);
	free(region);
	free(account);
	free(role);
	free(sess);
	free(path);
	free(url);
	free(source);
	return rc;
}
