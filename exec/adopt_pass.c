/*
 * The adoption pass at the start of an import run (creates looked up
 * before anything is sent; services in batches) and its journal records.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "adopt.h"
#include "call.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "progress.h"
#include "reconcile.h"
#include "xalloc.h"

#define ADOPT_BATCH	10	/* DescribeServices names per call */

/*
 * Add to ids the step ids of item's "${STEP.OUTPUT}" references that
 * outputs cannot resolve yet.
 */
/* A read step (live/NAME): it creates nothing, so it decides nothing. */
static bool
read_step(const struct plan *plan, const char *id)
{
	const struct plan_step *st = plan_find(plan, id);

	return st != NULL && strcmp(st->action, "ecs:DescribeServices") == 0;
}

static void
refs_missing(const struct plan *plan, const cJSON *item,
    const cJSON *outputs, cJSON *ids)
{
	const cJSON *c;
	char *id, *out;

	cJSON_ArrayForEach(c, item) {
		if (cJSON_IsString(c) && c->valuestring != NULL &&
		    plan_ref_parse(c->valuestring, &id, &out)) {
			if (!read_step(plan, id) &&
			    cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItemCaseSensitive(outputs, id),
			    out) == NULL &&
			    cJSON_GetObjectItemCaseSensitive(ids, id) == NULL)
				cJSON_AddItemToObject(ids, id,
				    cJSON_CreateTrue());
			free(id);
			free(out);
		} else if (cJSON_IsObject(c) || cJSON_IsArray(c))
			refs_missing(plan, c, outputs, ids);
	}
}

/* Every member of ids is in set. */
static bool
all_in(const cJSON *ids, const cJSON *set)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, ids)
		if (cJSON_GetObjectItemCaseSensitive(set, c->string) == NULL)
			return false;
	return true;
}

static void
mark(cJSON *set, const char *id)
{
	if (cJSON_GetObjectItemCaseSensitive(set, id) == NULL)
		cJSON_AddItemToObject(set, id, cJSON_CreateTrue());
}

/*
 * The request resolved but for a desiredCount read live by a later read
 * step (the judge compares task definition, launch type and tags only).
 */
static cJSON *
request_wo_live(struct run_ctx *ctx, const struct plan_step *st,
    const cJSON *raw)
{
	cJSON *req = cJSON_Duplicate(raw, 1);
	const char *dc = json_str(req, "desiredCount");
	char *id, *out;
	int rc;

	if (dc != NULL && plan_ref_parse(dc, &id, &out)) {
		if (read_step(ctx->plan, id))
			cJSON_DeleteItemFromObjectCaseSensitive(req,
			    "desiredCount");
		free(id);
		free(out);
	}
	(void)pthread_mutex_lock(&ctx->mu);
	rc = run_resolve(req, ctx->outputs, st->id);
	(void)pthread_mutex_unlock(&ctx->mu);
	if (rc == -1) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

bool
adopt_checked(struct run_ctx *ctx, const char *step_id)
{
	bool r;

	(void)pthread_mutex_lock(&ctx->mu);
	r = cJSON_GetObjectItemCaseSensitive(ctx->adopt_checked, step_id) !=
	    NULL;
	(void)pthread_mutex_unlock(&ctx->mu);
	return r;
}

void
adopt_note(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *outputs)
{
	const cJSON *o = outputs != NULL ? outputs->child : NULL;
	char *note;

	note = xasprintf("%s: adopted %s: found an identical resource "
	    "(%s); nothing was created", step->id, o != NULL &&
	    cJSON_IsString(o) ? o->valuestring : "it", step->action);
	(void)pthread_mutex_lock(&ctx->mu);
	ctx->stats.adopted++;
	if (ctx->journal != NULL)
		(void)journal_append_note(ctx->journal, note);
	(void)pthread_mutex_unlock(&ctx->mu);
	log_info("%s", note);
	free(note);
}

/* Journal an adoption found by the pass: INTENT, NOTE, RESULT. */
static int
adopt_record(struct run_ctx *ctx, const struct plan_step *st,
    const cJSON *req, const cJSON *outs)
{
	char digest[65];
	int jr;

	if (run_request_digest(req, digest) == -1)
		return -1;
	(void)pthread_mutex_lock(&ctx->mu);
	jr = journal_append_intent(ctx->journal, st->id, digest,
	    reconcile_key(st, req));
	(void)pthread_mutex_unlock(&ctx->mu);
	if (jr == -1)
		return -1;
	adopt_note(ctx, st, outs);
	(void)pthread_mutex_lock(&ctx->mu);
	jr = journal_append_result(ctx->journal, st->id, JOURNAL_OK,
	    outputs_has(outs) ? outs : NULL, NULL);
	if (jr == 0)
		outputs_set(ctx, st->id, outs);
	(void)pthread_mutex_unlock(&ctx->mu);
	return jr;
}

static int
fail_code(struct run_ctx *ctx, const struct plan_step *st,
    const struct http_apierr *err)
{
	progress_step(ctx->progress, st->id, st->action, strcmp(err->code !=
	    NULL ? err->code : "", "Conflict") == 0 ? "refused" : "failed",
	    NULL, err, "nothing was sent");
	return err->retryable ? RUN_EXIT_STOPPED : RUN_EXIT_FAIL;
}

static int
record_done(struct run_ctx *ctx, const struct plan_step *st,
    const cJSON *req, const cJSON *outs)
{
	if (adopt_record(ctx, st, req, outs) == -1)
		return RUN_EXIT_FAIL;
	progress_step(ctx->progress, st->id, st->action, "adopted",
	    outputs_has(outs) ? outs : NULL, NULL,
	    "found an identical resource; nothing created");
	return 0;
}

/*
 * An ACTIVE service of the name exists and its task definition step is
 * not done: the service's task definition is f2o's when its f2o:content
 * tag is the step's. Then adopt both; else refuse. 0 or RUN_EXIT_*.
 */
static int
service_via_td(struct run_ctx *ctx, const struct plan_step *st,
    const struct plan_step *td, const cJSON *active, const char *cluster)
{
	struct http_apierr err;
	cJSON *q, *reply = NULL, *treq, *touts = NULL, *req = NULL, *raw;
	cJSON *outs = NULL;
	const char *want, *have;
	char hv[ADOPT_MAX_TEXT], wv[ADOPT_MAX_TEXT], what[ADOPT_MAX_TEXT];
	int code = 0, r;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	treq = run_step_request(ctx, td, true);
	if (treq == NULL)
		return RUN_EXIT_FAIL;
	want = adopt_tag(cJSON_GetObjectItemCaseSensitive(treq, "tags"),
	    "f2o:content");
	q = cJSON_CreateObject();
	json_add_str(q, "taskDefinition", json_str(active, "taskDefinition") !=
	    NULL ? json_str(active, "taskDefinition") : "");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(q, "include"),
	    cJSON_CreateString("TAGS"));
	run_set_step(st->id, true);
	r = run_call(ctx, RUN_API_ECS, "DescribeTaskDefinition", NULL, NULL, q,
	    true, &reply, &err, NULL);
	run_set_step(st->id, false);
	if (r == -1) {
		code = fail_code(ctx, st, &err);
		goto out;
	}
	have = adopt_tag(cJSON_GetObjectItemCaseSensitive(reply, "tags"),
	    "f2o:content");
	if (want == NULL || !(have != NULL && strcmp(have, want) == 0)) {
		(void)snprintf(what, sizeof(what), "service %s in cluster %s "
		    "(ACTIVE)", json_str(active, "serviceName"),
		    cluster != NULL ? cluster : "default");
		(void)snprintf(hv, sizeof(hv), "%s (f2o:content %s)",
		    json_str(active, "taskDefinition"), have != NULL ? have :
		    "none");
		(void)snprintf(wv, sizeof(wv), "a new revision of %s "
		    "(f2o:content %s)", json_str(treq, "family"), want != NULL ?
		    want : "none");
		(void)adopt_conflict(st, what, "the task definition", hv, wv,
		    &err);
		code = fail_code(ctx, st, &err);
		goto out;
	}
	if (run_outputs(td, reply, &touts, &err) == -1 ||
	    (code = record_done(ctx, td, treq, touts)) != 0) {
		code = RUN_EXIT_FAIL;
		goto out;
	}
	req = NULL;
	if ((raw = run_step_request(ctx, st, false)) != NULL)
		req = request_wo_live(ctx, st, raw);
	cJSON_Delete(raw);
	if (req == NULL) {
		code = RUN_EXIT_FAIL;
		goto out;
	}
	r = adopt_service_judge(st, req, active, false, &outs, &err);
	if (r == 1)
		code = record_done(ctx, st, req, outs);
	else
		code = fail_code(ctx, st, &err);
out:
	http_apierr_cleanup(&err);
	cJSON_Delete(q);
	cJSON_Delete(reply);
	cJSON_Delete(treq);
	cJSON_Delete(touts);
	cJSON_Delete(req);
	cJSON_Delete(outs);
	return code;
}

/* One service step, given what DescribeServices said of its name. */
static int
service_one(struct run_ctx *ctx, const struct plan_step *st, const cJSON *raw,
    const cJSON *active, bool draining, cJSON *absent)
{
	struct http_apierr err;
	const struct plan_step *td = NULL;
	cJSON *missing, *req = NULL, *outs = NULL;
	char *id = NULL, *out = NULL;
	int code = 0, r;

	if (active == NULL) {
		mark(absent, st->id);
		if (!draining) {
			(void)pthread_mutex_lock(&ctx->mu);
			mark(ctx->adopt_checked, st->id);
			(void)pthread_mutex_unlock(&ctx->mu);
		}
		return 0;
	}
	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	missing = cJSON_CreateObject();
	(void)pthread_mutex_lock(&ctx->mu);
	refs_missing(ctx->plan, raw, ctx->outputs, missing);
	(void)pthread_mutex_unlock(&ctx->mu);
	if (json_str(raw, "taskDefinition") != NULL &&
	    plan_ref_parse(json_str(raw, "taskDefinition"), &id, &out) &&
	    cJSON_GetObjectItemCaseSensitive(missing, id) != NULL) {
		td = plan_find(ctx->plan, id);
		if (td != NULL && strcmp(td->action,
		    "ecs:RegisterTaskDefinition") == 0)
			cJSON_DeleteItemFromObjectCaseSensitive(missing, id);
		else
			td = NULL;
	}
	if (missing->child != NULL) {
		/* Refers to something else not done: new, or later. */
		if (all_in(missing, absent) &&
		    adopt_service_judge(st, raw, active, true, &outs, &err) ==
		    -1)
			code = fail_code(ctx, st, &err);
	} else if (td != NULL)
		code = service_via_td(ctx, st, td, active,
		    json_str(raw, "cluster"));
	else if ((req = request_wo_live(ctx, st, raw)) == NULL)
		code = RUN_EXIT_FAIL;
	else if ((r = adopt_service_judge(st, req, active, false, &outs,
	    &err)) == 1)
		code = record_done(ctx, st, req, outs);
	else
		code = fail_code(ctx, st, &err);
	http_apierr_cleanup(&err);
	cJSON_Delete(missing);
	cJSON_Delete(req);
	cJSON_Delete(outs);
	free(id);
	free(out);
	return code;
}

/*
 * The import phase's CreateService steps not done: DescribeServices of up
 * to ADOPT_BATCH names of one cluster at a time. 0 or RUN_EXIT_*.
 */
static int
pass_services(struct run_ctx *ctx, cJSON *absent)
{
	const struct plan_step *st, *batch[ADOPT_BATCH];
	const struct run_action *act;
	enum journal_step_state js;
	struct http_apierr err;
	cJSON *names, *reply, *raw[ADOPT_BATCH];
	const cJSON *s, *active;
	const char *cluster, *c2, *nm;
	bool *taken, draining;
	size_t i, k, j, n;
	int code = 0;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	taken = xcalloc(ctx->plan->nsteps + 1, sizeof(*taken));
	for (i = 0; i < ctx->plan->nsteps && code == 0; i++) {
		st = &ctx->plan->steps[i];
		act = run_action_find(st->action);
		js = journal_state(ctx->journal, st->id);
		if (taken[i] || strcmp(st->phase, ctx->opts->phase) != 0 ||
		    act == NULL || strcmp(st->action, "ecs:CreateService") !=
		    0 || js == JSTEP_DONE || js == JSTEP_INDOUBT)
			continue;
		/* A batch: this step and the next of the same cluster. */
		n = 0;
		cluster = NULL;
		names = cJSON_CreateArray();
		for (k = i; k < ctx->plan->nsteps && n < ADOPT_BATCH; k++) {
			st = &ctx->plan->steps[k];
			js = journal_state(ctx->journal, st->id);
			if (taken[k] || strcmp(st->phase, ctx->opts->phase) !=
			    0 || strcmp(st->action, "ecs:CreateService") != 0 ||
			    js == JSTEP_DONE || js == JSTEP_INDOUBT)
				continue;
			raw[n] = run_step_request(ctx, st, false);
			if (raw[n] == NULL) {
				code = RUN_EXIT_FAIL;
				break;
			}
			c2 = json_str(raw[n], "cluster");
			nm = json_str(raw[n], "serviceName");
			if (nm == NULL || (n > 0 && !((c2 == NULL &&
			    cluster == NULL) || (c2 != NULL && cluster != NULL
			    && strcmp(c2, cluster) == 0)))) {
				cJSON_Delete(raw[n]);
				continue;
			}
			if (n == 0)
				cluster = c2;
			cJSON_AddItemToArray(names, cJSON_CreateString(nm));
			taken[k] = true;
			batch[n++] = st;
		}
		reply = NULL;
		if (code == 0 && n > 0) {
			run_set_step(batch[0]->id, true);
			if (adopt_describe_services(ctx, cluster, names, &reply,
			    &err) == -1)
				code = fail_code(ctx, batch[0], &err);
			run_set_step(batch[0]->id, false);
		}
		for (j = 0; j < n; j++) {
			active = NULL;
			draining = false;
			nm = json_str(raw[j], "serviceName");
			cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(
			    reply, "services")) {
				if (json_str(s, "serviceName") == NULL ||
				    strcmp(json_str(s, "serviceName"), nm) != 0)
					continue;
				if (json_str(s, "status") != NULL &&
				    strcmp(json_str(s, "status"), "ACTIVE") ==
				    0)
					active = s;
				else if (json_str(s, "status") != NULL &&
				    strcmp(json_str(s, "status"), "DRAINING") ==
				    0)
					draining = true;
			}
			if (code == 0)
				code = service_one(ctx, batch[j], raw[j], active,
				    draining, absent);
			cJSON_Delete(raw[j]);
		}
		http_apierr_cleanup(&err);
		cJSON_Delete(names);
		cJSON_Delete(reply);
	}
	free(taken);
	return code;
}

int
adopt_pass(struct run_ctx *ctx)
{
	const struct plan_step *st;
	const struct run_action *act;
	enum journal_step_state js;
	struct http_apierr err;
	cJSON *raw, *req, *outs, *missing, *absent;
	bool fresh, draining;
	size_t i;
	int r, code = 0;

	/*
	 * Cutover and rollback create under names that earlier steps of the
	 * same phase free: look those up only just before sending.
	 */
	if (strcmp(ctx->opts->phase, "import") != 0)
		return 0;
	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	absent = cJSON_CreateObject();
	(void)pthread_mutex_lock(&ctx->mu);
	if (ctx->adopt_checked == NULL)
		ctx->adopt_checked = cJSON_CreateObject();
	(void)pthread_mutex_unlock(&ctx->mu);
	/*
	 * Services first (an ECS read: the first request, as without the
	 * pass, checks the clock and credentials with ECS's clear errors).
	 */
	code = pass_services(ctx, absent);
	for (i = 0; i < ctx->plan->nsteps && code == 0; i++) {
		st = &ctx->plan->steps[i];
		act = run_action_find(st->action);
		/* Task definitions: by the workers; services: batched below. */
		if (strcmp(st->phase, ctx->opts->phase) != 0 || act == NULL ||
		    !act->create || run_stopping(ctx) ||
		    strcmp(st->action, "ecs:RegisterTaskDefinition") == 0 ||
		    strcmp(st->action, "ecs:CreateService") == 0)
			continue;
		js = journal_state(ctx->journal, st->id);
		if (js == JSTEP_DONE || js == JSTEP_INDOUBT)
			continue;
		raw = run_step_request(ctx, st, false);
		if (raw == NULL) {
			code = RUN_EXIT_FAIL;
			break;
		}
		missing = cJSON_CreateObject();
		(void)pthread_mutex_lock(&ctx->mu);
		refs_missing(ctx->plan, raw, ctx->outputs, missing);
		(void)pthread_mutex_unlock(&ctx->mu);
		fresh = missing->child != NULL;
		req = NULL;
		if (!fresh)
			req = request_wo_live(ctx, st, raw);
		/* Needs an output of a step not looked up: just before. */
		if ((fresh && !all_in(missing, absent)) ||
		    (!fresh && req == NULL)) {
			cJSON_Delete(missing);
			cJSON_Delete(raw);
			continue;
		}
		r = adopt_check(ctx, st, fresh ? raw : req, fresh, &outs,
		    &draining, &err);
		if (r == 1 && adopt_record(ctx, st, req, outs) == -1)
			code = RUN_EXIT_FAIL;
		else if (r == 1)
			progress_step(ctx->progress, st->id, st->action,
			    "adopted", outputs_has(outs) ? outs : NULL, NULL,
			    "found an identical resource; nothing created");
		else if (r == 0) {
			mark(absent, st->id);
			if (!draining) {
				(void)pthread_mutex_lock(&ctx->mu);
				mark(ctx->adopt_checked, st->id);
				(void)pthread_mutex_unlock(&ctx->mu);
			}
		} else {
			progress_step(ctx->progress, st->id, st->action,
			    strcmp(err.code != NULL ? err.code : "",
			    "Conflict") == 0 ? "refused" : "failed", NULL,
			    &err, "nothing was sent");
			code = err.retryable ? RUN_EXIT_STOPPED :
			    RUN_EXIT_FAIL;
		}
		http_apierr_cleanup(&err);
		cJSON_Delete(outs);
		cJSON_Delete(missing);
		cJSON_Delete(req);
		cJSON_Delete(raw);
	}
	cJSON_Delete(absent);
	return code;
}
