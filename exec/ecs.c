/*
 * ECS JSON 1.1 client; the awsJson call shared with aas.c and cw.c, and
 * the signed AWS POST shared with ec2.c and sts.c.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ecs.h"
#include "jsonutil.h"
#include "log.h"
#include "sigv4.h"
#include "xalloc.h"

#define ECS_MAX_SIGNED	(HTTP_MAX_HEADERS - 2)

/* botocore "standard" retry mode: throttling and transient codes. */
static const char *const retry_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "RequestThrottled", "SlowDown",
	"PriorRequestNotComplete", "EC2ThrottledException", "RateExceeded",
	"ConcurrentUpdateException", "RequestTimeout",
	"RequestTimeoutException", "InternalError",
	"ServiceUnavailable", "Unavailable", NULL
};

bool
ecs_code_retryable(const char *code)
{
	size_t i;

	if (code == NULL)
		return false;
	for (i = 0; retry_codes[i] != NULL; i++)
		if (strcmp(code, retry_codes[i]) == 0)
			return true;
	return false;
}

bool
ecs_op_valid(const char *op)
{
	size_t i;

	if (op == NULL || op[0] == '\0' || strlen(op) > ECS_MAX_OP)
		return false;
	for (i = 0; op[i] != '\0'; i++)
		if (!isalnum((unsigned char)op[i]))
			return false;
	return true;
}

int
ecs_aws_post(struct http_response *out, const struct ecs_aws *aws,
    const struct http_header *headers, size_t nheaders, const char *body,
    size_t len)
{
	struct sigv4_header sh[ECS_MAX_SIGNED + 3];
	struct http_header hh[HTTP_MAX_HEADERS];
	struct sigv4_request sreq;
	struct sigv4_key key;
	struct sigv4_result res;
	struct http_request hreq;
	struct http_url u;
	char date[SIGV4_DATE_LEN + 1];
	size_t i, ns = 0, nh = 0;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	memset(out, 0, sizeof(*out));
	out->not_sent = true;	/* until http_send says otherwise */
	if (http_url_parse(&u, aws->service, aws->url) == -1)
		return -1;
	if (nheaders > ECS_MAX_SIGNED - 2) {
		log_errx("%s: too many headers", aws->service);
		goto out;
	}
	if (sigv4_date_now(date) == -1)
		goto out;
	sh[ns].name = "host";
	sh[ns++].value = u.host;
	sh[ns].name = "x-amz-date";
	sh[ns++].value = date;
	for (i = 0; i < nheaders; i++) {
		sh[ns++] = (struct sigv4_header){ headers[i].name,
		    headers[i].value };
		hh[nh++] = headers[i];
	}
	if (aws->creds->session_token != NULL) {
		sh[ns].name = "x-amz-security-token";
		sh[ns++].value = aws->creds->session_token;
	}
	sreq.method = "POST";
	sreq.path = u.path;
	sreq.query = NULL;
	sreq.headers = sh;
	sreq.nheaders = ns;
	sreq.body = body;
	sreq.bodylen = len;
	key.access_key = aws->creds->access_key;
	key.secret_key = aws->creds->secret_key;
	if (sigv4_sign(&res, &sreq, &key, aws->region, aws->service, date) ==
	    -1)
		goto out;
	hh[nh++] = (struct http_header){ "X-Amz-Date", date };
	if (aws->creds->session_token != NULL)
		hh[nh++] = (struct http_header){ "X-Amz-Security-Token",
		    aws->creds->session_token };
	hh[nh++] = (struct http_header){ "Authorization", res.authorization };
	hreq.method = "POST";
	hreq.url = aws->url;
	hreq.headers = hh;
	hreq.nheaders = nh;
	hreq.body = body;
	hreq.bodylen = len;
	if (http_send(out, &hreq) == -1)
		goto out;
	rc = 0;
out:
	if (res.authorization != NULL)
		OPENSSL_cleanse(res.authorization, strlen(res.authorization));
	sigv4_result_cleanup(&res);
	http_url_cleanup(&u);
	return rc;
}

char *
ecs_error_code(const char *type)
{
	const char *colon, *hash;
	size_t n;

	colon = strchr(type, ':');
	n = colon != NULL ? (size_t)(colon - type) : strlen(type);
	hash = memchr(type, '#', n);
	if (hash != NULL) {
		n -= (size_t)(hash + 1 - type);
		type = hash + 1;
	}
	return xstrndup(type, n);
}

void
ecs_error_parse(struct http_apierr *err, long status, const char *body,
    size_t len)
{
	cJSON *j;
	const char *type = NULL, *msg = NULL;
	char *code = NULL, *st;

	j = json_parse_quiet(body, len);
	if (j != NULL && cJSON_IsObject(j)) {
		type = json_str(j, "__type");
		if (type == NULL)
			type = json_str(j, "code");
		msg = json_str(j, "message");
		if (msg == NULL)
			msg = json_str(j, "Message");
	}
	if (type != NULL && *type != '\0')
		code = ecs_error_code(type);
	st = xasprintf("%ld", status);
	http_apierr_set(err, status, code != NULL && *code != '\0' ? code :
	    st, msg, status >= 500 || ecs_code_retryable(code));
	free(st);
	free(code);
	cJSON_Delete(j);
}

int
ecs_json_call(cJSON **out, struct http_apierr *err, const struct ecs_aws *aws,
    const struct ecs_json_proto *proto, const char *op, const char *body,
    size_t len)
{
	struct http_response resp;
	struct http_header h[2];
	char *target = NULL;
	int rc = -1;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	if (!ecs_op_valid(op)) {
		log_errx("%s: bad operation name \"%s\"", proto->what, op);
		http_apierr_set(err, 0, "InvalidOperation", NULL, false);
		return -1;
	}
	target = xasprintf("%s.%s", proto->target_prefix, op);
	h[0] = (struct http_header){ "Content-Type", proto->content_type };
	h[1] = (struct http_header){ "X-Amz-Target", target };
	if (ecs_aws_post(&resp, aws, h, 2, body, len) == -1) {
		http_apierr_transport(err, &resp);
		goto out;
	}
	if (resp.status != 200) {
		ecs_error_parse(err, resp.status, resp.body, resp.len);
		err->server_date = resp.date;
		if (resp.request_id != NULL)
			err->request_id = xstrdup(resp.request_id);
		log_errx("%s %s: HTTP %ld %s%s%s", proto->what, op,
		    resp.status, err->code, err->message != NULL ? ": " : "",
		    err->message != NULL ? err->message : "");
		goto out;
	}
	if (resp.len == 0)
		*out = cJSON_CreateObject();
	else
		*out = json_parse_quiet(resp.body, resp.len);
	if (*out == NULL || !cJSON_IsObject(*out)) {
		log_errx("%s %s: reply is not a JSON object", proto->what, op);
		cJSON_Delete(*out);
		*out = NULL;
		http_apierr_set(err, resp.status, "BadReply", NULL, false);
		goto out;
	}
	rc = 0;
out:
	free(target);
	http_response_cleanup(&resp);
	return rc;
}

int
ecs_call(cJSON **out, struct http_apierr *err, const struct ecs_aws *aws,
    const char *op, const char *body, size_t len)
{
	static const struct ecs_json_proto proto = { "ecs",
	    ECS_TARGET_PREFIX, ECS_CONTENT_TYPE };

	return ecs_json_call(out, err, aws, &proto, op, body, len);
}

int
ecs_services_check(const cJSON *reply, bool inactive, const char **why,
    const char **name)
{
	const cJSON *svcs, *fails, *f, *s, *deps, *d;
	const char *st, *rs;
	long long desired, running;

	*why = NULL;
	*name = NULL;
	fails = cJSON_GetObjectItemCaseSensitive(reply, "failures");
	cJSON_ArrayForEach(f, fails) {
		*name = json_str(f, "arn");
		*why = json_str(f, "reason") != NULL &&
		    strcmp(json_str(f, "reason"), "MISSING") == 0 ?
		    "MISSING" : "DescribeServices failure";
		return -1;
	}
	svcs = cJSON_GetObjectItemCaseSensitive(reply, "services");
	if (!cJSON_IsArray(svcs) || cJSON_GetArraySize(svcs) == 0) {
		*why = "no services in the reply";
		return -1;
	}
	cJSON_ArrayForEach(s, svcs) {
		*name = json_str(s, "serviceName");
		st = json_str(s, "status");
		if (inactive) {
			if (st == NULL || strcmp(st, "INACTIVE") != 0)
				return 0;
			continue;
		}
		if (st == NULL || strcmp(st, "ACTIVE") != 0) {
			*why = st != NULL ? st : "no status";
			return -1;
		}
		deps = cJSON_GetObjectItemCaseSensitive(s, "deployments");
		if (!cJSON_IsArray(deps) || cJSON_GetArraySize(deps) != 1)
			return 0;
		d = cJSON_GetArrayItem(deps, 0);
		rs = json_str(d, "rolloutState");
		if (rs != NULL && strcmp(rs, "FAILED") == 0) {
			*why = "deployment rolloutState FAILED";
			return -1;
		}
		if (rs != NULL && strcmp(rs, "COMPLETED") != 0)
			return 0;
		if (json_int(s, "desiredCount", 0, 1LL << 31, &desired) == -1 ||
		    json_int(s, "runningCount", 0, 1LL << 31, &running) == -1 ||
		    desired != running)
			return 0;
	}
	*name = NULL;
	return 1;
}

int
ecs_json_send(const struct ecs_json_proto *proto, const struct conn *c,
    const char *op, const cJSON *req, cJSON **result,
    struct http_apierr *err)
{
	struct ecs_aws aws;
	char *body;
	int rc;

	aws.region = c->region;
	aws.creds = c->creds;
	aws.url = c->url;
	aws.service = c->service;
	body = req != NULL ? cJSON_PrintUnformatted(req) : NULL;
	if (body == NULL) {
		log_errx("%s %s: cannot print the request", proto->what, op);
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		return -1;
	}
	rc = ecs_json_call(result, err, &aws, proto, op, body, strlen(body));
	cJSON_free(body);
	return rc;
}

int
ecs_send(const struct conn *c, const char *op, const char *method,
    const char *path, const cJSON *req, cJSON **result,
    struct http_apierr *err)
{
	static const struct ecs_json_proto proto = { "ecs",
	    ECS_TARGET_PREFIX, ECS_CONTENT_TYPE };

	(void)method;
	(void)path;
	return ecs_json_send(&proto, c, op, req, result, err);
}
