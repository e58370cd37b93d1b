/*
 * EC2 Query client: form serialization (Smithy aws-ec2-query-protocol:
 * lists always flattened as Name.N, key = queryName, else capitalized
 * locationName, else capitalized member name), XML replies via xmlresp.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ec2.h"
#include "jsonutil.h"
#include "log.h"
#include "sigv4.h"
#include "strbuf.h"
#include "xalloc.h"
#include "xmlresp.h"

struct ser {
	struct strbuf	 sb;
	struct jpath	 path;
	const char	*op;
};

const struct ec2_op *
ec2_op_find(const char *op)
{
	size_t i;

	for (i = 0; i < ec2_nops; i++)
		if (strcmp(ec2_ops[i].name, op) == 0)
			return &ec2_ops[i];
	return NULL;
}

static int
emit(struct ser *s, const char *key, const char *val)
{
	if (strbuf_puts(&s->sb, "&") == -1 ||
	    sigv4_uri_encode(&s->sb, key, strlen(key), 0) == -1 ||
	    strbuf_puts(&s->sb, "=") == -1 ||
	    sigv4_uri_encode(&s->sb, val, strlen(val), 0) == -1) {
		log_errx("ec2 %s: request larger than %ld bytes", s->op,
		    EC2_MAX_BODY);
		return -1;
	}
	return 0;
}

static int
type_error(struct ser *s, const char *want, const cJSON *v)
{
	log_errx("ec2 %s: %s: expected %s, found %s", s->op, s->path.buf,
	    want, json_type_name(v));
	return -1;
}

static int
ser_value(struct ser *s, const char *key, int shape, const cJSON *v,
    int depth)
{
	const struct ec2_shape *sh;
	const struct ec2_member *m;
	const cJSON *c;
	char num[64], *k;
	size_t i, n, save;
	int rc;

	if (shape < 0 || (size_t)shape >= ec2_nshapes) {
		log_errx("ec2 %s: %s: no shape", s->op, s->path.buf);
		return -1;
	}
	if (depth > EC2_MAX_DEPTH) {
		log_errx("ec2 %s: %s: nested too deep", s->op, s->path.buf);
		return -1;
	}
	sh = &ec2_shapes[shape];
	switch (sh->kind) {
	case EC2_STRUCT:
		if (!cJSON_IsObject(v))
			return type_error(s, "an object", v);
		cJSON_ArrayForEach(c, v) {
			save = jpath_key(&s->path, c->string);
			m = NULL;
			for (i = 0; i < sh->nmembers; i++)
				if (strcmp(sh->members[i].name, c->string) ==
				    0)
					m = &sh->members[i];
			if (m == NULL) {
				log_errx("ec2 %s: %s: not a member of %s",
				    s->op, s->path.buf, sh->name);
				return -1;
			}
			if (!cJSON_IsNull(c)) {
				k = key != NULL ? xasprintf("%s.%s", key,
				    m->qname) : xstrdup(m->qname);
				rc = ser_value(s, k, m->shape, c, depth + 1);
				free(k);
				if (rc == -1)
					return -1;
			}
			jpath_pop(&s->path, save);
		}
		return 0;
	case EC2_LIST:
		if (!cJSON_IsArray(v))
			return type_error(s, "an array", v);
		n = 0;
		cJSON_ArrayForEach(c, v) {
			if (++n > EC2_MAX_LIST) {
				log_errx("ec2 %s: %s: more than %d entries",
				    s->op, s->path.buf, EC2_MAX_LIST);
				return -1;
			}
			save = jpath_index(&s->path, n - 1);
			k = xasprintf("%s.%zu", key, n);
			rc = ser_value(s, k, sh->elem, c, depth + 1);
			free(k);
			if (rc == -1)
				return -1;
			jpath_pop(&s->path, save);
		}
		return 0;
	case EC2_STRING:
		if (!cJSON_IsString(v))
			return type_error(s, "a string", v);
		return emit(s, key, v->valuestring);
	case EC2_INTEGER:
		if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)
		    || fabs(v->valuedouble) > 9007199254740992.0)
			return type_error(s, "an integer", v);
		(void)snprintf(num, sizeof(num), "%lld",
		    (long long)v->valuedouble);
		return emit(s, key, num);
	case EC2_BOOLEAN:
		if (!cJSON_IsBool(v))
			return type_error(s, "a boolean", v);
		return emit(s, key, cJSON_IsTrue(v) ? "true" : "false");
	case EC2_DOUBLE:
		if (!cJSON_IsNumber(v))
			return type_error(s, "a number", v);
		(void)snprintf(num, sizeof(num), "%.17g", v->valuedouble);
		return emit(s, key, num);
	default:
		break;
	}
	log_errx("ec2 %s: %s: unsupported shape %s", s->op, s->path.buf,
	    sh->name);
	return -1;
}

int
ec2_serialize(char **out, size_t *outlen, const char *op,
    const cJSON *input)
{
	const struct ec2_op *o;
	struct ser s;
	int rc = -1;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	o = ec2_op_find(op);
	if (o == NULL) {
		log_errx("ec2: operation %s is not supported", op);
		return -1;
	}
	strbuf_init(&s.sb, EC2_MAX_BODY);
	jpath_init(&s.path, "$");
	s.op = op;
	if (strbuf_printf(&s.sb, "Action=%s&Version=%s", op,
	    EC2_API_VERSION) == -1)
		goto out;
	if (input != NULL && !cJSON_IsNull(input)) {
		if (o->input < 0) {
			if (!cJSON_IsObject(input) ||
			    cJSON_GetArraySize(input) != 0) {
				log_errx("ec2 %s: takes no input", op);
				goto out;
			}
		} else if (ser_value(&s, NULL, o->input, input, 0) == -1)
			goto out;
	}
	*out = strbuf_take(&s.sb, outlen);
	rc = 0;
out:
	strbuf_cleanup(&s.sb);
	return rc;
}

void
ec2_error_parse(struct http_apierr *err, long status, const char *body,
    size_t len)
{
	struct xmlresp_error xe;
	char *st;

	st = xasprintf("%ld", status);
	if (len > 0 && xmlresp_error_parse(&xe, "ec2 error reply", body,
	    len) == 0) {
		http_apierr_set(err, status, xe.code, xe.message,
		    status >= 500 || ecs_code_retryable(xe.code));
		err->request_id = xe.request_id;
		xe.request_id = NULL;
		xmlresp_error_cleanup(&xe);
	} else
		http_apierr_set(err, status, st, NULL, status >= 500);
	free(st);
}

int
ec2_call(cJSON **out, struct http_apierr *err, const struct ecs_aws *aws,
    const char *op, const cJSON *input)
{
	struct http_response resp;
	struct http_header h[1];
	char *body = NULL, *what = NULL;
	size_t len;
	int rc = -1;

	*out = NULL;
	memset(&resp, 0, sizeof(resp));
	if (ec2_serialize(&body, &len, op, input) == -1) {
		http_apierr_set(err, 0, "InvalidRequest", NULL, false);
		return -1;
	}
	h[0] = (struct http_header){ "Content-Type", EC2_CONTENT_TYPE };
	if (ecs_aws_post(&resp, aws, h, 1, body, len) == -1) {
		http_apierr_transport(err, &resp);
		goto out;
	}
	if (resp.status != 200) {
		ec2_error_parse(err, resp.status, resp.body, resp.len);
		err->server_date = resp.date;
		log_errx("ec2 %s: HTTP %ld %s%s%s", op, resp.status, err->code,
		    err->message != NULL ? ": " : "",
		    err->message != NULL ? err->message : "");
		goto out;
	}
	what = xasprintf("ec2 %s reply", op);
	if (xmlresp_parse(out, NULL, what, resp.body, resp.len) == -1) {
		http_apierr_set(err, resp.status, "BadReply", NULL, false);
		goto out;
	}
	rc = 0;
out:
	free(what);
	free(body);
	http_response_cleanup(&resp);
	return rc;
}

int
ec2_send(const struct conn *c, const char *op, const char *method,
    const char *path, const cJSON *req, cJSON **result,
    struct http_apierr *err)
{
	struct ecs_aws aws;

	(void)method;
	(void)path;
	aws.region = c->region;
	aws.creds = c->creds;
	aws.url = c->url;
	aws.service = c->service;
	return ec2_call(result, err, &aws, op, req);
}

static void
filter_add(cJSON *filters, const char *name, const char *value)
{
	cJSON *f = cJSON_CreateObject();

	json_add_str(f, "Name", name);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(f, "Values"),
	    cJSON_CreateString(value));
	cJSON_AddItemToArray(filters, f);
}

cJSON *
ec2_sg_name_query(const char *name, const char *vpc)
{
	cJSON *q = cJSON_CreateObject();
	cJSON *filters = cJSON_AddArrayToObject(q, "Filters");

	filter_add(filters, "group-name", name);
	if (vpc != NULL)
		filter_add(filters, "vpc-id", vpc);
	return q;
}
