/*
 * The drift rule for scaling policies, scheduled actions and step scaling
 * alarms: expected state (export, or f2o's journal), comparison. See drift.h.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "fingerprint.h"
#include "jstate.h"
#include "jsonutil.h"
#include "outputs.h"
#include "xalloc.h"

#define A_PREFIX	"application-autoscaling:"

struct aaskind {
	const char	*what;		/* "scaling policy" */
	const char	*put;		/* the action that puts one */
	const char	*del;		/* the action that deletes one */
	const char	*name;		/* the name member */
	bool		 scoped;	/* per ResourceId (gone on deregister) */
	cJSON		*(*fp)(const cJSON *);
};

static const struct aaskind kinds[DRIFT_AAS__MAX] = {
	{ "scaling policy", A_PREFIX "PutScalingPolicy", A_PREFIX
	    "DeleteScalingPolicy", "PolicyName", true,
	    fingerprint_scaling_policy },
	{ "scheduled action", A_PREFIX "PutScheduledAction", A_PREFIX
	    "DeleteScheduledAction", "ScheduledActionName", true,
	    fingerprint_scheduled_action },
	{ "alarm", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms",
	    "AlarmName", false, fingerprint_alarm },
};

/* want[name] = fp (f2o's request fingerprinted), or deleted when NULL. */
static void
expect(cJSON *want, cJSON *mine, const char *name, cJSON *fp)
{
	/* name may be the key of the item deleted: use it first. */
	if (!cJSON_HasObjectItem(mine, name))
		json_add_bool(mine, name, true);
	if (fp != NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(want, name);
		cJSON_AddItemToObject(want, name, fp);
	} else
		cJSON_DeleteItemFromObjectCaseSensitive(want, name);
}

/* A done step of the plan applied to the expected items of rid. */
static void
apply(const struct aaskind *k, const char *rid, const cJSON *fp,
    const char *action, const cJSON *r, cJSON *want, cJSON *mine)
{
	const char *n = json_str(r, k->name), *q = json_str(r, "ResourceId");
	const cJSON *c, *next;

	if (k->scoped && (q == NULL || strcmp(q, rid) != 0))
		return;
	if (k->scoped && strcmp(action, A_PREFIX
	    "DeregisterScalableTarget") == 0) {
		/* Deregistering a target takes its policies and actions. */
		for (c = want->child; c != NULL; c = next) {
			next = c->next;
			expect(want, mine, c->string, NULL);
		}
		return;
	}
	if (strcmp(action, k->put) == 0 && n != NULL && (k->scoped ||
	    cJSON_HasObjectItem(fp, n)))
		expect(want, mine, n, k->fp(r));
	else if (strcmp(action, k->del) == 0 && k->scoped && n != NULL)
		expect(want, mine, n, NULL);
	else if (strcmp(action, k->del) == 0 && !k->scoped)
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(r,
		    "AlarmNames"))
			if (cJSON_IsString(c) && cJSON_HasObjectItem(fp,
			    c->valuestring))
				expect(want, mine, c->valuestring, NULL);
}

int
drift_aas(struct drift *d, const struct journal *j, enum drift_aas kind,
    const char *rid, const cJSON *fp, const cJSON *live)
{
	const struct aaskind *k = &kinds[kind];
	const struct plan_step *st;
	cJSON *want, *mine, *r, *have;
	const cJSON *c;
	char *name;
	size_t i;

	if (!cJSON_IsObject(fp))
		return 0;
	want = cJSON_Duplicate(fp, 1);
	mine = cJSON_CreateObject();
	/* The resume rule: what f2o's done steps put or removed. */
	for (i = 0; j != NULL && i < d->ctx->plan->nsteps; i++) {
		st = &d->ctx->plan->steps[i];
		if ((strcmp(st->action, k->put) != 0 && strcmp(st->action,
		    k->del) != 0 && !(k->scoped && strcmp(st->action, A_PREFIX
		    "DeregisterScalableTarget") == 0)) ||
		    journal_state(j, st->id) != JSTEP_DONE)
			continue;
		r = run_step_request(d->ctx, st, true);
		if (r == NULL) {
			cJSON_Delete(want);
			cJSON_Delete(mine);
			return -1;
		}
		apply(k, rid, fp, st->action, r, want, mine);
		cJSON_Delete(r);
	}
	cJSON_ArrayForEach(c, want) {
		name = rid != NULL ? xasprintf("%s of %s", c->string, rid) :
		    xstrdup(c->string);
		have = k->fp(cJSON_GetObjectItemCaseSensitive(live,
		    c->string));
		drift_compare(d, k->what, name, cJSON_HasObjectItem(mine,
		    c->string), c, have);
		cJSON_Delete(have);
		free(name);
	}
	cJSON_ArrayForEach(c, live) {
		if (cJSON_HasObjectItem(want, c->string))
			continue;
		name = rid != NULL ? xasprintf("%s of %s", c->string, rid) :
		    xstrdup(c->string);
		have = k->fp(c);
		drift_compare(d, k->what, name, cJSON_HasObjectItem(mine,
		    c->string), NULL, have);
		cJSON_Delete(have);
		free(name);
	}
	cJSON_Delete(want);
	cJSON_Delete(mine);
	return 0;
}
