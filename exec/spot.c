/*
 * Spot API client. See spot.h and the Spot API reference section 1.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "jsonutil.h"
#include "log.h"
#include "sigv4.h"
#include "spot.h"
#include "strbuf.h"
#include "xalloc.h"

#define SPOT_RATELIMIT_DEFAULT	60	/* seconds: the limit window */

char *
spot_url(const char *base, const char *path, const char *account)
{
	struct strbuf sb;
	size_t blen;

	strbuf_init(&sb, SPOT_MAX_URL);
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if (strbuf_add(&sb, base, blen) == -1 || strbuf_puts(&sb, path) == -1)
		goto fail;
	if (account != NULL && (strbuf_puts(&sb, "?accountId=") == -1 ||
	    sigv4_uri_encode(&sb, account, strlen(account), 0) == -1))
		goto fail;
	return strbuf_take(&sb, NULL);
fail:
	log_errx("spot: URL longer than %d bytes", SPOT_MAX_URL);
	strbuf_cleanup(&sb);
	return NULL;
}

int
spot_response_parse(cJSON **out, struct http_apierr *err, long status,
    long ratelimit_reset, const char *body, size_t len)
{
	cJSON *j = NULL, *resp, *items, *errs, *e0, *st, *req;
	const char *code = NULL, *msg = NULL, *field = NULL, *rid = NULL;
	char num[32];
	int rc = -1;

	*out = NULL;
	j = json_parse_quiet(body, len);
	resp = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j,
	    "response") : NULL;
	req = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j,
	    "request") : NULL;
	if (cJSON_IsObject(req))
		rid = json_str(req, "id");
	if (status == 200) {
		if (!cJSON_IsObject(resp)) {
			http_apierr_set(err, status, "BadReply",
			    "reply is not a {request, response} envelope",
			    false);
			goto out;
		}
		items = cJSON_GetObjectItemCaseSensitive(resp, "items");
		if (items == NULL || (cJSON_IsArray(items) &&
		    cJSON_GetArraySize(items) == 0)) {
			*out = cJSON_CreateObject();
		} else if (cJSON_IsArray(items) &&
		    cJSON_IsObject(cJSON_GetArrayItem(items, 0))) {
			*out = cJSON_Duplicate(cJSON_GetArrayItem(items, 0), 1);
		} else {
			http_apierr_set(err, status, "BadReply",
			    "response.items[0] is not an object", false);
			goto out;
		}
		rc = 0;
		goto out;
	}
	(void)snprintf(num, sizeof(num), "%ld", status);
	if (cJSON_IsObject(resp)) {
		errs = cJSON_GetObjectItemCaseSensitive(resp, "errors");
		e0 = cJSON_IsArray(errs) ? cJSON_GetArrayItem(errs, 0) : NULL;
		if (cJSON_IsObject(e0)) {
			code = json_str(e0, "code");
			msg = json_str(e0, "message");
			field = json_str(e0, "field");
		}
		st = cJSON_GetObjectItemCaseSensitive(resp, "status");
		if (msg == NULL && cJSON_IsObject(st))
			msg = json_str(st, "message");
	}
	http_apierr_set(err, status, code != NULL && *code != '\0' ? code :
	    num, msg, status == 429 || status >= 500);
	if (field != NULL && *field != '\0')
		err->field = xstrdup(field);
	if (status == 429)
		err->wait_seconds = ratelimit_reset >= 0 ? ratelimit_reset :
		    SPOT_RATELIMIT_DEFAULT;
out:
	if (rid != NULL && err->request_id == NULL && rc == -1)
		err->request_id = xstrdup(rid);
	cJSON_Delete(j);
	return rc;
}

int
spot_call(cJSON **out, struct http_apierr *err, const struct spot_api *api,
    const char *method, const char *path, const char *body, size_t len)
{
	struct http_request req;
	struct http_response resp;
	struct http_header h[3];
	char *url = NULL, *auth = NULL;
	size_t nh = 0;
	int rc = -1;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	url = spot_url(api->base_url, path, api->creds->account);
	if (url == NULL) {
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		return -1;
	}
	auth = xasprintf("Bearer %s", api->creds->token);
	h[nh++] = (struct http_header){ "Authorization", auth };
	h[nh++] = (struct http_header){ "Accept", "application/json" };
	if (body != NULL)
		h[nh++] = (struct http_header){ "Content-Type",
		    "application/json" };
	req.method = method;
	req.url = url;
	req.headers = h;
	req.nheaders = nh;
	req.body = body;
	req.bodylen = body != NULL ? len : 0;
	if (http_send(&resp, &req) == -1) {
		http_apierr_transport(err, &resp);
		goto out;
	}
	if (spot_response_parse(out, err, resp.status, resp.ratelimit_reset,
	    resp.body, resp.len) == -1) {
		if (err->wait_seconds >= 0)
			log_errx("spot %s %s: HTTP %ld %s%s%s (retry after "
			    "%ld s)", method, path, resp.status, err->code,
			    err->message != NULL ? ": " : "",
			    err->message != NULL ? err->message : "",
			    err->wait_seconds);
		else
			log_errx("spot %s %s: HTTP %ld %s%s%s%s%s", method,
			    path, resp.status, err->code,
			    err->message != NULL ? ": " : "",
			    err->message != NULL ? err->message : "",
			    err->field != NULL ? " at " : "",
			    err->field != NULL ? err->field : "");
		goto out;
	}
	rc = 0;
out:
	if (auth != NULL) {
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	free(url);
	http_response_cleanup(&resp);
	return rc;
}

/* One Spot request; *out is the envelope's "response" object. */
int
spot_send(const struct conn *c, const char *op, const char *method,
    const char *path, const cJSON *body, cJSON **out,
    struct http_apierr *err)
{
	struct http_request req;
	struct http_response resp;
	struct http_header h[3];
	cJSON *j = NULL, *items = NULL;
	char *url = NULL, *auth = NULL, *text = NULL, *q, *p;
	const char *qs;
	size_t nh = 0;
	int rc = -1;

	(void)op;
	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	/* A query in path goes after accountId. */
	q = xstrdup(path);
	qs = strchr(path, '?');
	if (qs != NULL)
		q[qs - path] = '\0';
	url = spot_url(c->url, q, c->spot->account);
	if (url != NULL && qs != NULL) {
		text = xasprintf("%s%c%s", url, c->spot->account != NULL ?
		    '&' : '?', qs + 1);
		free(url);
		url = text;
		text = NULL;
	}
	free(q);
	if (url == NULL) {
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		return -1;
	}
	if (body != NULL) {
		p = cJSON_PrintUnformatted(body);
		if (p == NULL) {
			http_apierr_set(err, 0, "InvalidRequest", NULL, false);
			goto out;
		}
		text = xstrdup(p);
		cJSON_free(p);
	}
	auth = xasprintf("Bearer %s", c->spot->token);
	h[nh++] = (struct http_header){ "Authorization", auth };
	h[nh++] = (struct http_header){ "Accept", "application/json" };
	if (text != NULL)
		h[nh++] = (struct http_header){ "Content-Type",
		    "application/json" };
	req.method = method;
	req.url = url;
	req.headers = h;
	req.nheaders = nh;
	req.body = text;
	req.bodylen = text != NULL ? strlen(text) : 0;
	if (http_send(&resp, &req) == -1) {
		http_apierr_transport(err, &resp);
		goto out;
	}
	if (resp.status != 200) {
		(void)spot_response_parse(&items, err, resp.status,
		    resp.ratelimit_reset, resp.body, resp.len);
		cJSON_Delete(items);
		log_errx("spot %s %s: HTTP %ld %s%s%s", method, path,
		    resp.status, err->code, err->message != NULL ? ": " : "",
		    err->message != NULL ? err->message : "");
		goto out;
	}
	j = json_parse_quiet(resp.body, resp.len);
	if (!cJSON_IsObject(j) || !cJSON_IsObject(
	    cJSON_GetObjectItemCaseSensitive(j, "response"))) {
		log_errx("spot %s %s: reply is not a {request, response} "
		    "envelope", method, path);
		http_apierr_set(err, resp.status, "BadReply", NULL, false);
		goto out;
	}
	*out = cJSON_DetachItemFromObjectCaseSensitive(j, "response");
	rc = 0;
out:
	cJSON_Delete(j);
	if (auth != NULL) {
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	free(text);
	free(url);
	http_response_cleanup(&resp);
	return rc;
}


char *
spot_launchspec_list_path(const char *ocean_id, struct http_apierr *err)
{
	struct strbuf sb;

	strbuf_init(&sb, SPOT_MAX_URL);
	if (strbuf_puts(&sb, "/ocean/aws/ecs/launchSpec?oceanId=") == -1 ||
	    sigv4_uri_encode(&sb, ocean_id, strlen(ocean_id), 0) == -1) {
		strbuf_cleanup(&sb);
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		return NULL;
	}
	return strbuf_take(&sb, NULL);
}
