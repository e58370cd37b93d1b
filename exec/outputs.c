/*
 * Step requests and outputs: ${STEP.OUTPUT} resolution, dotted paths,
 * outputs of a create, request digests. See outputs.h.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "xalloc.h"

#define RUN_MAX_PATH_DEPTH	32

const cJSON *
run_path_get(const cJSON *result, const char *path)
{
	const cJSON *cur = result;
	const char *p = path, *dot;
	char *part, *end;
	unsigned long idx;
	int depth = 0;

	while (cur != NULL && *p != '\0') {
		if (++depth > RUN_MAX_PATH_DEPTH)
			return NULL;
		dot = strchr(p, '.');
		part = dot != NULL ? xstrndup(p, (size_t)(dot - p)) :
		    xstrdup(p);
		if (cJSON_IsArray(cur) && isdigit((unsigned char)part[0])) {
			errno = 0;
			idx = strtoul(part, &end, 10);
			cur = (*end == '\0' && errno == 0 && idx < 100000) ?
			    cJSON_GetArrayItem(cur, (int)idx) : NULL;
		} else if (cJSON_IsObject(cur))
			cur = cJSON_GetObjectItemCaseSensitive(cur, part);
		else
			cur = NULL;
		free(part);
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	return cur;
}

/* Members whose value is an integer (outputs are journaled as strings). */
static bool
int_member(const char *key)
{
	return key != NULL && (strcmp(key, "desiredCount") == 0 ||
	    strcmp(key, "healthCheckGracePeriodSeconds") == 0);
}

/* "4" -> 4 for an integer member; another value is copied as it is. */
static cJSON *
int_value(const cJSON *val)
{
	char *end;
	double d;

	if (cJSON_IsString(val) && val->valuestring[0] != '\0' &&
	    strspn(val->valuestring, "0123456789") ==
	    strlen(val->valuestring) && strlen(val->valuestring) <= 15) {
		errno = 0;
		d = strtod(val->valuestring, &end);
		if (errno == 0 && *end == '\0')
			return cJSON_CreateNumber(d);
	}
	return cJSON_Duplicate(val, 1);
}

int
run_resolve(cJSON *item, const cJSON *outputs, const char *what)
{
	cJSON *c, *repl;
	const cJSON *stepout, *val;
	char *id = NULL, *out = NULL;
	int rc = -1;

	cJSON_ArrayForEach(c, item) {
		if (cJSON_IsString(c) && c->valuestring != NULL &&
		    plan_ref_parse(c->valuestring, &id, &out)) {
			stepout = cJSON_GetObjectItemCaseSensitive(outputs, id);
			val = stepout != NULL ?
			    cJSON_GetObjectItemCaseSensitive(stepout, out) :
			    NULL;
			if (val == NULL) {
				log_errx("%s: %s: step %s has not produced "
				    "output %s", what, c->valuestring, id, out);
				goto out;
			}
			repl = int_member(c->string) ? int_value(val) :
			    cJSON_Duplicate(val, 1);
			/* ReplaceItemViaPointer keeps no key: name it. */
			if (repl == NULL || !(cJSON_IsObject(item) ?
			    cJSON_ReplaceItemInObjectCaseSensitive(item,
			    c->string, repl) :
			    cJSON_ReplaceItemViaPointer(item, c, repl))) {
				cJSON_Delete(repl);
				log_errx("%s: cannot replace %s", what, id);
				goto out;
			}
			c = repl;
			free(id);
			free(out);
			id = out = NULL;
		} else if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    run_resolve(c, outputs, what) == -1)
			goto out;
	}
	rc = 0;
out:
	free(id);
	free(out);
	return rc;
}

int
run_outputs(const struct plan_step *step, const cJSON *result,
    cJSON **outputs, struct http_apierr *err)
{
	const cJSON *v;
	cJSON *outs;
	size_t i;

	outs = cJSON_CreateObject();
	for (i = 0; i < step->noutputs; i++) {
		v = run_path_get(result, step->outputs[i].path);
		if (v == NULL || !(cJSON_IsString(v) || cJSON_IsNumber(v))) {
			log_errx("%s: output %s: no %s in the reply", step->id,
			    step->outputs[i].name, step->outputs[i].path);
			http_apierr_set(err, 200, "MissingOutput", NULL,
			    false);
			cJSON_Delete(outs);
			return -1;
		}
		if (cJSON_IsString(v))
			json_add_str(outs, step->outputs[i].name,
			    v->valuestring);
		else {
			char num[64];

			(void)snprintf(num, sizeof(num), "%.17g",
			    v->valuedouble);
			json_add_str(outs, step->outputs[i].name, num);
		}
	}
	*outputs = outs;
	return 0;
}


int
run_request_digest(const cJSON *req, char out[65])
{
	char *s;
	int rc;

	s = cJSON_PrintUnformatted(req);
	if (s == NULL)
		return -1;
	rc = digest_sha256_hex(out, s, strlen(s));
	cJSON_free(s);
	return rc;
}

cJSON *
run_step_request(struct run_ctx *ctx, const struct plan_step *step,
    bool resolve)
{
	cJSON *req;
	int rc;

	if (step->request == NULL)
		return cJSON_CreateObject();
	req = bundle_json(ctx->bundle, step->request);
	if (req == NULL)
		return NULL;
	if (resolve) {
		(void)pthread_mutex_lock(&ctx->mu);
		rc = run_resolve(req, ctx->outputs, step->request);
		(void)pthread_mutex_unlock(&ctx->mu);
		if (rc == -1) {
			cJSON_Delete(req);
			return NULL;
		}
	}
	return req;
}

/* Record outputs of a done step (called with ctx->mu held). */
void
outputs_set(struct run_ctx *ctx, const char *id, const cJSON *outs)
{
	cJSON_DeleteItemFromObjectCaseSensitive(ctx->outputs, id);
	cJSON_AddItemToObject(ctx->outputs, id, outs != NULL ?
	    cJSON_Duplicate(outs, 1) : cJSON_CreateObject());
}

bool
outputs_has(const cJSON *outs)
{
	return outs != NULL && cJSON_GetArraySize(outs) > 0;
}
