/*
 * Renewing the IAM Identity Center token cache of an sso-session profile
 * with its refresh token (SSO OIDC CreateToken), as botocore's
 * SSOTokenProvider does: the token "aws sso login" cached lasts about an
 * hour, a change window longer. See creds.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "creds.h"
#include "fsio.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

#define OIDC_MAX_EXPIRES	((long long)1 << 31)	/* seconds */

char *
creds_oidc_url(const char *region)
{
	char *base = creds_sso_base("AWS_ENDPOINT_URL_SSO_OIDC", "oidc",
	    region), *s;

	s = xasprintf("%s/token", base);
	free(base);
	return s;
}

/* A string member, copied into o; false when absent or empty. */
static bool
copy_str(cJSON *o, const cJSON *from, const char *key)
{
	const char *v = json_str(from, key);

	if (v == NULL || *v == '\0')
		return false;
	json_add_str(o, key, v);
	return true;
}

cJSON *
creds_oidc_cache(const cJSON *old, const struct creds_sso_session *s,
    const char *reply, size_t len, time_t now)
{
	cJSON *r, *o = NULL;
	const char *tok, *rt;
	long long secs;
	char when[32];
	time_t t;
	struct tm tm;

	r = json_parse_quiet(reply, len);
	tok = json_str(r, "accessToken");
	if (tok == NULL || *tok == '\0' || json_int(r, "expiresIn", 1,
	    OIDC_MAX_EXPIRES, &secs) == -1) {
		log_warnx("sso session %s: CreateToken reply without "
		    "accessToken and expiresIn", s->name);
		goto out;
	}
	t = now + (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		log_warnx("sso session %s: CreateToken expiresIn %lld: out "
		    "of range", s->name, secs);
		goto out;
	}
	/* The keys botocore writes, in its order. */
	o = cJSON_CreateObject();
	json_add_str(o, "startUrl", s->start_url);
	json_add_str(o, "region", s->region);
	json_add_str(o, "accessToken", tok);
	json_add_str(o, "expiresAt", when);
	(void)copy_str(o, old, "clientId");
	(void)copy_str(o, old, "clientSecret");
	(void)copy_str(o, old, "registrationExpiresAt");
	/* A reply without one keeps the old refresh token. */
	rt = json_str(r, "refreshToken");
	if (rt != NULL && *rt != '\0')
		json_add_str(o, "refreshToken", rt);
	else
		(void)copy_str(o, old, "refreshToken");
out:
	creds_json_wipe(r);
	cJSON_Delete(r);
	return o;
}

int
creds_oidc_renewable(const cJSON *j, time_t now)
{
	static const char *const need[] = { "refreshToken", "clientId",
	    "clientSecret", "registrationExpiresAt" };
	const char *v;
	time_t t;
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if ((v = json_str(j, need[i])) == NULL || *v == '\0')
			return 0;
	if (creds_time_parse(json_str(j, "registrationExpiresAt"), &t) == -1 ||
	    t <= now)
		return 0;
	return 1;
}

/* The cache text to path, replaced whole (0600); 0 or -1 (logged). */
static int
save(const char *path, const cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	int rc;

	if (text == NULL) {
		log_errx("%s: out of memory", path);
		return -1;
	}
	rc = fsio_write_atomic_mode(path, text, strlen(text), 0600);
	creds_wipe_free(text);
	return rc;
}

cJSON *
creds_oidc_renew(const cJSON *j, const char *path,
    const struct creds_sso_session *s, time_t now)
{
	struct http_header h[1];
	struct http_request req;
	struct http_response resp;
	cJSON *body, *o = NULL;
	char *text, *url;
	const char *code;

	if (creds_oidc_renewable(j, now) != 1)
		return NULL;
	body = cJSON_CreateObject();
	json_add_str(body, "clientId", json_str(j, "clientId"));
	json_add_str(body, "clientSecret", json_str(j, "clientSecret"));
	json_add_str(body, "grantType", "refresh_token");
	json_add_str(body, "refreshToken", json_str(j, "refreshToken"));
	text = cJSON_PrintUnformatted(body);
	creds_json_wipe(body);
	cJSON_Delete(body);
	if (text == NULL) {
		log_warnx("sso session %s: out of memory", s->name);
		return NULL;
	}
	url = creds_oidc_url(s->region);
	h[0].name = "Content-Type";
	h[0].value = "application/json";
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.method = "POST";
	req.url = url;
	req.headers = h;
	req.nheaders = 1;
	req.body = text;
	req.bodylen = strlen(text);
	if (http_send(&resp, &req) == -1)
		log_warnx("sso session %s: renewing the token: no reply from "
		    "%s", s->name, url);
	else if (resp.status != 200) {
		/* {"error": "invalid_grant", ...}: no secret in it */
		cJSON *e = json_parse_quiet(resp.body, resp.len);

		code = json_str(e, "error");
		log_warnx("sso session %s: renewing the token: HTTP %ld%s%s",
		    s->name, resp.status, code != NULL ? " " : "",
		    code != NULL ? code : "");
		creds_json_wipe(e);
		cJSON_Delete(e);
	} else if ((o = creds_oidc_cache(j, s, resp.body, resp.len, now)) !=
	    NULL) {
		/* Used for this run even when it cannot be kept. */
		if (save(path, o) == -1)
			log_warnx("sso session %s: the renewed token is not "
			    "saved: \"aws\" will ask for \"aws sso login\"",
			    s->name);
		log_info("sso session %s: token renewed until %s", s->name,
		    json_str(o, "expiresAt"));
	}
	if (resp.body != NULL)
		OPENSSL_cleanse(resp.body, resp.len);
	http_response_cleanup(&resp);
	creds_wipe_free(text);
	free(url);
	return o;
}
