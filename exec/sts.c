/*
 * STS query client of the API table: GetCallerIdentity (the preflight's
 * "which account are these credentials in"), XML replies via xmlresp.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "ecs.h"
#include "log.h"
#include "sts.h"
#include "xalloc.h"
#include "xmlresp.h"

int
sts_send(const struct conn *c, const char *op, const char *method,
    const char *path, const cJSON *req, cJSON **result,
    struct http_apierr *err)
{
	struct ecs_aws aws;
	struct http_response resp;
	struct http_header h[1];
	cJSON *doc = NULL, *res;
	char *body = NULL, *what = NULL, *rname = NULL;
	int rc = -1;

	(void)method;
	(void)path;
	*result = NULL;
	memset(&resp, 0, sizeof(resp));
	if (strcmp(op, "GetCallerIdentity") != 0 || (req != NULL &&
	    !cJSON_IsNull(req) && (!cJSON_IsObject(req) ||
	    cJSON_GetArraySize(req) != 0))) {
		log_errx("sts %s: not supported (GetCallerIdentity, no input)",
		    op);
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		return -1;
	}
	aws.region = c->region;
	aws.creds = c->creds;
	aws.url = c->url;
	aws.service = c->service;
	body = xasprintf("Action=%s&Version=%s", op, STS_API_VERSION);
	h[0] = (struct http_header){ "Content-Type", STS_CONTENT_TYPE };
	if (ecs_aws_post(&resp, &aws, h, 1, body, strlen(body)) == -1) {
		http_apierr_transport(err, &resp);
		goto out;
	}
	if (resp.status != 200) {
		/* <ErrorResponse><Error><Code>: the EC2 parser reads it. */
		ec2_error_parse(err, resp.status, resp.body, resp.len);
		err->server_date = resp.date;
		log_errx("sts %s: HTTP %ld %s%s%s", op, resp.status, err->code,
		    err->message != NULL ? ": " : "",
		    err->message != NULL ? err->message : "");
		goto out;
	}
	what = xasprintf("sts %s reply", op);
	if (xmlresp_parse(&doc, NULL, what, resp.body, resp.len) == -1) {
		http_apierr_set(err, resp.status, "BadReply", NULL, false);
		goto out;
	}
	rname = xasprintf("%sResult", op);
	res = cJSON_DetachItemFromObjectCaseSensitive(doc, rname);
	if (!cJSON_IsObject(res)) {
		cJSON_Delete(res);
		log_errx("sts %s: reply without <%s>", op, rname);
		http_apierr_set(err, resp.status, "BadReply", NULL, false);
		goto out;
	}
	*result = res;
	rc = 0;
out:
	cJSON_Delete(doc);
	free(rname);
	free(what);
	free(body);
	http_response_cleanup(&resp);
	return rc;
}
