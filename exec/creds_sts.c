/*
 * STS AssumeRole (SigV4-signed with the source credentials) and
 * AssumeRoleWithWebIdentity (unsigned), query protocol. See creds.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "creds.h"
#include "ecs.h"
#include "fsio.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "sigv4.h"
#include "strbuf.h"
#include "xalloc.h"
#include "xmlresp.h"

#define STS_VERSION	"2011-06-15"
#define STS_FORM	"application/x-www-form-urlencoded; charset=utf-8"
#define STS_MAX_BODY	(256 * 1024)

char *
creds_sts_url(const char *region)
{
	const char *u;

	u = creds_env("AWS_ENDPOINT_URL_STS");
	if (u == NULL)
		u = creds_env("AWS_ENDPOINT_URL");
	if (u != NULL)
		return xstrdup(u);
	return xasprintf("https://sts.%s.amazonaws.com%s", region,
	    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
}

static int
form_add(struct strbuf *sb, const char *key, const char *value)
{
	if (value == NULL)
		return 0;
	if (strbuf_printf(sb, "&%s=", key) == -1 ||
	    sigv4_uri_encode(sb, value, strlen(value), 0) == -1) {
		log_errx("sts: request too large");
		return -1;
	}
	return 0;
}

int
creds_sts_parse(struct creds **out, const char *action, const char *source,
    const char *buf, size_t len)
{
	cJSON *j = NULL, *res, *cr;
	char *rname;
	const char *ak, *sk, *tok, *exp;
	time_t t;
	int rc = -1;

	*out = NULL;
	rname = xasprintf("%sResult", action);
	if (xmlresp_parse(&j, NULL, action, buf, len) == -1)
		goto out;
	res = cJSON_GetObjectItemCaseSensitive(j, rname);
	cr = cJSON_GetObjectItemCaseSensitive(res, "Credentials");
	ak = json_str(cr, "AccessKeyId");
	sk = json_str(cr, "SecretAccessKey");
	tok = json_str(cr, "SessionToken");
	exp = json_str(cr, "Expiration");
	if (ak == NULL || sk == NULL || tok == NULL || exp == NULL ||
	    *ak == '\0' || *sk == '\0' || *tok == '\0') {
		log_errx("sts %s: reply without Credentials (AccessKeyId, "
		    "SecretAccessKey, SessionToken, Expiration)", action);
		goto out;
	}
	if (creds_time_parse(exp, &t) == -1) {
		log_errx("sts %s: Credentials.Expiration \"%s\" is not an ISO "
		    "8601 UTC time", action, exp);
		goto out;
	}
	*out = creds_new(ak, sk, tok, source, t);
	rc = 0;
out:
	creds_json_wipe(j);
	cJSON_Delete(j);
	free(rname);
	return rc;
}

/* Judge an STS reply; 0 with *out, -1 logged. */
static int
sts_reply(struct creds **out, const char *action, const char *role,
    const char *source, struct http_response *resp)
{
	struct xmlresp_error e;

	if (resp->status == 200)
		return creds_sts_parse(out, action, source, resp->body,
		    resp->len);
	memset(&e, 0, sizeof(e));
	if (xmlresp_error_parse(&e, action, resp->body, resp->len) == 0) {
		log_errx("sts %s %s: HTTP %ld %s%s%s", action, role,
		    resp->status, e.code, e.message != NULL ? ": " : "",
		    e.message != NULL ? e.message : "");
		xmlresp_error_cleanup(&e);
	} else
		log_errx("sts %s %s: HTTP %ld", action, role, resp->status);
	return -1;
}

static char *
session_name(const struct creds_sts_role *r)
{
	if (r->session_name != NULL)
		return xstrdup(r->session_name);
	return xasprintf("f2o-exec-%lld", (long long)time(NULL));
}

static void
body_wipe(struct strbuf *sb)
{
	if (sb->buf != NULL)
		OPENSSL_cleanse(sb->buf, sb->len);
	strbuf_cleanup(sb);
}

static void
resp_wipe(struct http_response *resp)
{
	if (resp->body != NULL)
		OPENSSL_cleanse(resp->body, resp->len);
	http_response_cleanup(resp);
}

int
creds_sts_assume_role(struct creds **out, const struct creds *src,
    const char *region, const struct creds_sts_role *r)
{
	struct http_header h[1] = { { "Content-Type", STS_FORM } };
	struct http_response resp;
	struct ecs_aws aws;
	struct strbuf sb;
	char *url, *name, *source;
	int rc = -1;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	url = creds_sts_url(region);
	name = session_name(r);
	source = xasprintf("assumed role %s", r->role_arn);
	strbuf_init(&sb, STS_MAX_BODY);
	if (strbuf_puts(&sb, "Action=AssumeRole&Version=" STS_VERSION) ==
	    -1 || form_add(&sb, "RoleArn", r->role_arn) == -1 ||
	    form_add(&sb, "RoleSessionName", name) == -1 ||
	    form_add(&sb, "ExternalId", r->external_id) == -1 ||
	    form_add(&sb, "DurationSeconds", r->duration) == -1)
		goto out;
	aws.url = url;
	aws.region = region;
	aws.service = "sts";
	aws.creds = src;
	if (ecs_aws_post(&resp, &aws, h, 1, sb.buf, sb.len) == -1) {
		log_errx("sts AssumeRole %s: no reply", r->role_arn);
		goto out;
	}
	rc = sts_reply(out, "AssumeRole", r->role_arn, source, &resp);
out:
	resp_wipe(&resp);
	body_wipe(&sb);
	free(url);
	free(name);
	free(source);
	return rc;
}

int
creds_sts_web_identity(struct creds **out, const char *token_file,
    const char *region, const struct creds_sts_role *r)
{
	struct http_header h[1] = { { "Content-Type", STS_FORM } };
	struct http_response resp;
	struct http_request req;
	struct strbuf sb;
	char *url, *name, *source, *tok = NULL, *e;
	int rc = -1, got;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	url = creds_sts_url(region);
	name = session_name(r);
	source = xasprintf("web identity %s", r->role_arn);
	strbuf_init(&sb, STS_MAX_BODY);
	got = creds_read_optional(&tok, token_file, CREDS_MAX_TOKEN);
	if (got != 1) {
		if (got == 0)
			log_errx("web identity: token file %s: not found",
			    token_file);
		goto out;
	}
	e = tok + strlen(tok);
	while (e > tok && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' '))
		*--e = '\0';
	if (*tok == '\0') {
		log_errx("web identity: token file %s is empty", token_file);
		goto out;
	}
	if (strbuf_puts(&sb, "Action=AssumeRoleWithWebIdentity&Version="
	    STS_VERSION) == -1 || form_add(&sb, "RoleArn", r->role_arn) ==
	    -1 || form_add(&sb, "RoleSessionName", name) == -1 ||
	    form_add(&sb, "DurationSeconds", r->duration) == -1 ||
	    form_add(&sb, "WebIdentityToken", tok) == -1)
		goto out;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.headers = h;
	req.nheaders = 1;
	req.body = sb.buf;
	req.bodylen = sb.len;
	if (http_send(&resp, &req) == -1) {
		log_errx("sts AssumeRoleWithWebIdentity %s: no reply",
		    r->role_arn);
		goto out;
	}
	rc = sts_reply(out, "AssumeRoleWithWebIdentity", r->role_arn, source,
	    &resp);
out:
	resp_wipe(&resp);
	body_wipe(&sb);
	creds_wipe_free(tok);
	free(url);
	free(name);
	free(source);
	return rc;
}
