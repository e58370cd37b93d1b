/*
 * The preflight's reads of scaling policies, scheduled actions (Application
 * Auto Scaling) and step scaling alarms (CloudWatch), compared by drift_aas.c.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "aas.h"
#include "call.h"
#include "drift.h"
#include "jsonutil.h"
#include "log.h"
#include "preflight.h"
#include "xalloc.h"

struct rd {
	struct run_ctx	*ctx;
	bool		*retryable;
	const cJSON	*fpa;		/* fingerprints.alarms, or NULL */
	bool		 drop;		/* made with --drop-step-scaling */
};

int
preflight_read_pages(struct run_ctx *ctx, bool *retryable, enum run_api api,
    const char *op, cJSON *req, const char *list, const char *name,
    cJSON *live)
{
	struct http_apierr err;
	cJSON *res = NULL;
	const cJSON *it, *tok;
	const char *n;
	int pages, rc = -1;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	for (pages = 0; pages < PREFLIGHT_MAX_PAGES; pages++) {
		cJSON_Delete(res);
		res = NULL;
		if (run_call(ctx, api, op, NULL, NULL, req, true, &res, &err,
		    NULL) == -1) {
			if (err.retryable)
				*retryable = true;
			log_errx("preflight: %s: %s%s%s", op, err.code != NULL ?
			    err.code : "failed", err.message != NULL ? ": " :
			    "", err.message != NULL ? err.message : "");
			goto out;
		}
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(res,
		    list))
			if ((n = json_str(it, name)) != NULL &&
			    !cJSON_HasObjectItem(live, n))
				cJSON_AddItemToObject(live, n,
				    cJSON_Duplicate(it, 1));
		tok = cJSON_GetObjectItemCaseSensitive(res, "NextToken");
		json_del(req, "NextToken");
		if (!cJSON_IsString(tok) || tok->valuestring[0] == '\0')
			break;
		json_add_str(req, "NextToken", tok->valuestring);
	}
	rc = 0;
out:
	cJSON_Delete(res);
	http_apierr_cleanup(&err);
	return rc;
}

/* True when a fingerprinted alarm of fpa acts on policy name of rid. */
static bool
tracked(const cJSON *fpa, const char *rid, const char *name)
{
	const cJSON *a, *x;
	char *want;
	bool found = false;

	want = xasprintf("scalingPolicy:ecs/%s:policyName/%s", rid, name);
	cJSON_ArrayForEach(a, fpa)
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(a,
		    "AlarmActions"))
			if (cJSON_IsString(x) && strcmp(x->valuestring, want) ==
			    0)
				found = true;
	free(want);
	return found;
}

/*
 * A step scaling alarm added live: one the live step policy of rid lists
 * that fingerprints.alarms lacks (target tracking alarms belong to AWS).
 * With --drop-step-scaling only policies a fingerprinted alarm acts on
 * are looked at: a dropped one's alarms were never exported.
 */
static void
check_added_alarms(struct drift *d, const cJSON *fpa, bool drop,
    const char *rid, const cJSON *live)
{
	const cJSON *p, *a;
	const char *pn, *an;
	cJSON *have;
	char *name;

	if (fpa == NULL)
		return;
	cJSON_ArrayForEach(p, live) {
		pn = json_str(p, "PolicyName");
		if (pn == NULL || json_str(p, "PolicyType") == NULL ||
		    strcmp(json_str(p, "PolicyType"), "StepScaling") != 0 ||
		    (drop && !tracked(fpa, rid, pn)))
			continue;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(p,
		    "Alarms")) {
			an = json_str(a, "AlarmName");
			if (an == NULL || strncmp(an, "TargetTracking-", 15) ==
			    0 || cJSON_HasObjectItem(fpa, an))
				continue;
			name = xasprintf("%s (acting on scaling policy %s of %s)",
			    an, pn, rid);
			have = cJSON_Duplicate(a, 1);
			drift_compare(d, "alarm", name, false, NULL, have);
			cJSON_Delete(have);
			free(name);
		}
	}
}

/*
 * The policies or scheduled actions of every resource id of fps (op: the
 * Describe call, list and name: its items and their name member).
 */
static int
check_scoped(struct rd *rd, struct drift *d, const struct journal *j,
    enum drift_aas kind, enum run_api api, const char *op,
    const char *list, const char *name, const cJSON *fps, size_t *n)
{
	const cJSON *fp;
	cJSON *req, *live;
	int rc = 0;

	cJSON_ArrayForEach(fp, fps) {
		req = cJSON_CreateObject();
		json_add_str(req, "ServiceNamespace", AAS_NAMESPACE);
		json_add_str(req, "ResourceId", fp->string);
		json_add_str(req, "ScalableDimension", AAS_DIMENSION);
		live = cJSON_CreateObject();
		if (preflight_read_pages(rd->ctx, rd->retryable, api, op, req,
		    list, name, live) == -1 ||
		    drift_aas(d, j, kind, fp->string, fp, live) == -1)
			rc = -1;
		else if (kind == DRIFT_AAS_POLICY)
			check_added_alarms(d, rd->fpa, rd->drop, fp->string,
			    live);
		*n += (size_t)cJSON_GetArraySize(fp);
		cJSON_Delete(live);
		cJSON_Delete(req);
		if (rc == -1)
			break;
	}
	return rc;
}

/* The fingerprinted alarms by name, PREFLIGHT_ALARM_BATCH a request. */
static int
check_alarms(struct rd *rd, struct drift *d, const struct journal *j,
    const cJSON *fpa, size_t *n)
{
	const cJSON *start, *fp;
	cJSON *req, *names, *live;
	int k, rc = 0;

	if (cJSON_GetArraySize(fpa) == 0)
		return 0;
	live = cJSON_CreateObject();
	for (start = fpa->child; start != NULL && rc == 0; start = fp) {
		req = cJSON_CreateObject();
		names = cJSON_AddArrayToObject(req, "AlarmNames");
		for (fp = start, k = 0; fp != NULL && k <
		    PREFLIGHT_ALARM_BATCH; fp = fp->next, k++)
			cJSON_AddItemToArray(names,
			    cJSON_CreateString(fp->string));
		json_add_num(req, "MaxRecords", PREFLIGHT_ALARM_BATCH);
		rc = preflight_read_pages(rd->ctx, rd->retryable, RUN_API_CW,
		    "DescribeAlarms", req, "MetricAlarms", "AlarmName", live);
		cJSON_Delete(req);
	}
	if (rc == 0)
		rc = drift_aas(d, j, DRIFT_AAS_ALARM, NULL, fpa, live);
	*n += (size_t)cJSON_GetArraySize(fpa);
	cJSON_Delete(live);
	return rc;
}

int
preflight_aas(struct run_ctx *ctx, struct drift *d, const struct journal *j,
    const cJSON *fingerprints, size_t *nitems, bool *retryable)
{
	struct rd rd = { ctx, retryable, NULL, false };

	rd.fpa = cJSON_GetObjectItemCaseSensitive(fingerprints, "alarms");
	rd.drop = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(ctx->bundle->meta, "parameters"),
	    "drop-step-scaling"));

	if (check_scoped(&rd, d, j, DRIFT_AAS_POLICY, RUN_API_AAS,
	    "DescribeScalingPolicies", "ScalingPolicies", "PolicyName",
	    cJSON_GetObjectItemCaseSensitive(fingerprints, "scalingPolicies"),
	    nitems) == -1 || check_scoped(&rd, d, j, DRIFT_AAS_ACTION,
	    RUN_API_AAS, "DescribeScheduledActions", "ScheduledActions",
	    "ScheduledActionName", cJSON_GetObjectItemCaseSensitive(
	    fingerprints, "scheduledActions"), nitems) == -1 ||
	    check_alarms(&rd, d, j,
	    cJSON_GetObjectItemCaseSensitive(fingerprints, "alarms"),
	    nitems) == -1)
		return -1;
	return 0;
}
