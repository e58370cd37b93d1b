/*
 * Adoption before creating: look the resource up, adopt an identical one
 * or refuse naming the conflict; the pass over a phase at start. adopt.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "adopt.h"
#include "ec2.h"
#include "call.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "progress.h"
#include "reconcile.h"
#include "spot.h"
#include "xalloc.h"

/* The value of tag key in tags (key/Key/tagKey, value/Value/tagValue). */
const char *
adopt_tag(const cJSON *tags, const char *key)
{
	static const char *const kn[] = { "key", "Key", "tagKey", NULL };
	static const char *const vn[] = { "value", "Value", "tagValue", NULL };
	const cJSON *t;
	const char *k;
	size_t i;

	cJSON_ArrayForEach(t, tags) {
		for (i = 0; kn[i] != NULL; i++) {
			k = json_str(t, kn[i]);
			if (k != NULL && strcmp(k, key) == 0)
				return json_str(t, vn[i]);
		}
	}
	return NULL;
}

/* The f2o:bundle-id of TagSpecifications (EC2 request) or tags. */
static const char *
req_bundle_id(const cJSON *tags)
{
	const cJSON *ts;

	cJSON_ArrayForEach(ts, tags)
		if (cJSON_IsObject(ts) &&
		    cJSON_GetObjectItemCaseSensitive(ts, "Tags") != NULL)
			return adopt_tag(cJSON_GetObjectItemCaseSensitive(ts,
			    "Tags"), "f2o:bundle-id");
	return adopt_tag(tags, "f2o:bundle-id");
}

static bool
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Do two arrays of strings hold the same set? */
static bool
set_eq(const cJSON *a, const cJSON *b)
{
	const cJSON *x, *y;
	bool hit;

	if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return false;
	cJSON_ArrayForEach(x, a) {
		hit = false;
		cJSON_ArrayForEach(y, b)
			if (cJSON_IsString(x) && cJSON_IsString(y) &&
			    strcmp(x->valuestring, y->valuestring) == 0)
				hit = true;
		if (!hit)
			return false;
	}
	return true;
}

static const char *
show(const char *s)
{
	return s != NULL ? s : "(none)";
}

/*
 * Refuse: what (the resource), field, have (found) and want (the
 * request's), and what to do. Always -1.
 */
int
adopt_conflict(const struct plan_step *step, const char *what, const char *field,
    const char *have, const char *want, struct http_apierr *err)
{
	char text[ADOPT_MAX_TEXT];

	log_errx("%s: %s already exists and is not what this step would "
	    "create: %s is %s, the bundle wants %s. f2o does not adopt it: "
	    "delete or rename it (or restore the journal of the run that "
	    "made it), then rerun", step->id, what, field, show(have),
	    show(want));
	(void)snprintf(text, sizeof(text), "%s exists with %s %s, not %s",
	    what, field, show(have), show(want));
	http_apierr_set(err, 0, "Conflict", text, false);
	return -1;
}

static int
ambiguous(const struct plan_step *step, int n, const char *what,
    struct http_apierr *err)
{
	log_errx("%s: %d resources match %s; f2o cannot tell which one to "
	    "adopt: remove the extra one(s) and rerun", step->id, n, what);
	http_apierr_set(err, 0, "Conflict", "more than one match", false);
	return -1;
}

/* A resource exists though what it refers to is about to be made anew. */
static int
not_ours(const struct plan_step *step, const char *what,
    struct http_apierr *err)
{
	log_errx("%s: %s already exists, but a resource it must refer to "
	    "is about to be created anew, so it is not the one this bundle "
	    "made: delete or rename it (or restore the journal of the run "
	    "that made it), then rerun", step->id, what);
	http_apierr_set(err, 0, "Conflict", "exists, not made by this run",
	    false);
	return -1;
}

static int
check_sg(struct run_ctx *ctx, const struct plan_step *step, const cJSON *req,
    cJSON **outputs, struct http_apierr *err)
{
	const char *name = json_str(req, "GroupName");
	const char *vpc = json_str(req, "VpcId");
	const cJSON *g, *match = NULL;
	cJSON *q, *reply = NULL, *fake = NULL;
	char what[ADOPT_MAX_TEXT];
	int n = 0, rc = -1;

	if (name == NULL)
		return 0;
	q = ec2_sg_name_query(name, vpc);
	if (run_call(ctx, RUN_API_EC2, "DescribeSecurityGroups", NULL, NULL, q,
	    true, &reply, err, NULL) == -1)
		goto out;
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(reply,
	    "securityGroupInfo")) {
		if (json_str(g, "groupName") == NULL ||
		    strcasecmp(json_str(g, "groupName"), name) != 0)
			continue;
		match = g;
		n++;
	}
	(void)snprintf(what, sizeof(what), "security group %s (%s) in %s",
	    name, match != NULL ? show(json_str(match, "groupId")) : "-",
	    show(vpc));
	if (n > 1) {
		rc = ambiguous(step, n, what, err);
		goto out;
	}
	rc = 0;
	if (match == NULL)
		goto out;
	if (!str_eq(json_str(match, "groupName"), name))
		rc = adopt_conflict(step, what, "the name", json_str(match,
		    "groupName"), name, err);
	else if (!str_eq(json_str(match, "groupDescription"),
	    json_str(req, "Description")))
		rc = adopt_conflict(step, what, "the description", json_str(match,
		    "groupDescription"), json_str(req, "Description"), err);
	else if (!str_eq(adopt_tag(cJSON_GetObjectItemCaseSensitive(match,
	    "tagSet"), "f2o:bundle-id"), req_bundle_id(
	    cJSON_GetObjectItemCaseSensitive(req, "TagSpecifications"))))
		rc = adopt_conflict(step, what, "tag f2o:bundle-id", adopt_tag(
		    cJSON_GetObjectItemCaseSensitive(match, "tagSet"),
		    "f2o:bundle-id"), req_bundle_id(
		    cJSON_GetObjectItemCaseSensitive(req, "TagSpecifications")),
		    err);
	else {
		fake = cJSON_CreateObject();
		json_add_str(fake, "groupId", json_str(match, "groupId"));
		rc = run_outputs(step, fake, outputs, err) == 0 ? 1 : -1;
	}
out:
	cJSON_Delete(q);
	cJSON_Delete(reply);
	cJSON_Delete(fake);
	return rc;
}

/* The newest ACTIVE revision of the family, adopted if same content. */
static int
check_td(struct run_ctx *ctx, const struct plan_step *step, const cJSON *req,
    cJSON **outputs, struct http_apierr *err)
{
	const char *family = json_str(req, "family");
	const char *want = adopt_tag(cJSON_GetObjectItemCaseSensitive(req,
	    "tags"), "f2o:content");
	cJSON *q, *reply = NULL;
	int rc = -1;

	if (family == NULL || want == NULL)
		return 0;
	q = cJSON_CreateObject();
	json_add_str(q, "taskDefinition", family);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(q, "include"),
	    cJSON_CreateString("TAGS"));
	if (run_call(ctx, RUN_API_ECS, "DescribeTaskDefinition", NULL, NULL, q,
	    true, &reply, err, NULL) == -1) {
		/* No revision of the family: nothing to adopt. */
		if (err->code != NULL && strcmp(err->code, "ClientException") ==
		    0) {
			http_apierr_cleanup(err);
			rc = 0;
		}
		goto out;
	}
	rc = 0;
	if (str_eq(adopt_tag(cJSON_GetObjectItemCaseSensitive(reply, "tags"),
	    "f2o:content"), want))
		rc = run_outputs(step, reply, outputs, err) == 0 ? 1 : -1;
out:
	cJSON_Delete(q);
	cJSON_Delete(reply);
	return rc;
}

int
adopt_service_judge(const struct plan_step *step, const cJSON *req,
    const cJSON *active, bool fresh, cJSON **outputs, struct http_apierr *err)
{
	const char *name = json_str(req, "serviceName");
	const char *cluster = json_str(req, "cluster");
	const char *want = json_str(req, "launchType");
	const cJSON *htags = cJSON_GetObjectItemCaseSensitive(active, "tags");
	const char *wbid = req_bundle_id(cJSON_GetObjectItemCaseSensitive(req,
	    "tags"));
	cJSON *fake;
	char what[ADOPT_MAX_TEXT];
	int rc;

	(void)snprintf(what, sizeof(what), "service %s in cluster %s (ACTIVE)",
	    show(name), cluster != NULL ? cluster : "default");
	if (fresh)
		return not_ours(step, what, err);
	if (!str_eq(json_str(active, "taskDefinition"),
	    json_str(req, "taskDefinition")))
		return adopt_conflict(step, what, "the task definition",
		    json_str(active, "taskDefinition"),
		    json_str(req, "taskDefinition"), err);
	if (want != NULL && !str_eq(json_str(active, "launchType"), want))
		return adopt_conflict(step, what, "the launch type",
		    json_str(active, "launchType"), want, err);
	if (wbid != NULL && cJSON_GetArraySize(htags) > 0 &&
	    !str_eq(adopt_tag(htags, "f2o:bundle-id"), wbid))
		return adopt_conflict(step, what, "tag f2o:bundle-id",
		    adopt_tag(htags, "f2o:bundle-id"), wbid, err);
	fake = cJSON_CreateObject();
	cJSON_AddItemToObject(fake, "service", cJSON_Duplicate(active, 1));
	rc = run_outputs(step, fake, outputs, err) == 0 ? 1 : -1;
	cJSON_Delete(fake);
	return rc;
}

int
adopt_describe_services(struct run_ctx *ctx, const char *cluster,
    const cJSON *names, cJSON **reply, struct http_apierr *err)
{
	cJSON *q = cJSON_CreateObject();
	int rc;

	if (cluster != NULL)
		json_add_str(q, "cluster", cluster);
	cJSON_AddItemToObject(q, "services", cJSON_Duplicate(names, 1));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(q, "include"),
	    cJSON_CreateString("TAGS"));
	rc = run_call(ctx, RUN_API_ECS, "DescribeServices", NULL, NULL, q, true,
	    reply, err, NULL);
	cJSON_Delete(q);
	return rc;
}

static int
check_service(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, bool fresh, cJSON **outputs, bool *draining,
    struct http_apierr *err)
{
	const char *name = json_str(req, "serviceName");
	const char *st;
	const cJSON *s, *active = NULL;
	cJSON *names, *reply = NULL;
	int rc = -1;

	if (name == NULL)
		return 0;
	names = cJSON_CreateArray();
	cJSON_AddItemToArray(names, cJSON_CreateString(name));
	if (adopt_describe_services(ctx, json_str(req, "cluster"), names,
	    &reply, err) == -1)
		goto out;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(reply,
	    "services")) {
		st = json_str(s, "status");
		if (str_eq(st, "ACTIVE"))
			active = s;
		else if (str_eq(st, "DRAINING"))
			*draining = true;
	}
	rc = active == NULL ? 0 : adopt_service_judge(step, req, active, fresh,
	    outputs, err);
out:
	cJSON_Delete(names);
	cJSON_Delete(reply);
	return rc;
}

/* The image, tags and (cluster) subnets and groups an Ocean item has. */
static int
spot_compare(const struct plan_step *step, const char *what,
    const cJSON *have, const cJSON *want, bool cluster,
    struct http_apierr *err)
{
	const cJSON *hl = have, *wl = want;

	if (!str_eq(json_str(have, "name"), json_str(want, "name")))
		return adopt_conflict(step, what, "the name", json_str(have, "name"),
		    json_str(want, "name"), err);
	if (cluster) {
		if (!set_eq(run_path_get(have, "compute.subnetIds"),
		    run_path_get(want, "compute.subnetIds")))
			return adopt_conflict(step, what, "compute.subnetIds",
			    "another list", "the bundle's", err);
		hl = run_path_get(have, "compute.launchSpecification");
		wl = run_path_get(want, "compute.launchSpecification");
		if (!set_eq(cJSON_GetObjectItemCaseSensitive(hl,
		    "securityGroupIds"), cJSON_GetObjectItemCaseSensitive(wl,
		    "securityGroupIds")))
			return adopt_conflict(step, what, "the security groups",
			    "another list", "the bundle's", err);
	}
	if (json_str(wl, "imageId") != NULL &&
	    !str_eq(json_str(hl, "imageId"), json_str(wl, "imageId")))
		return adopt_conflict(step, what, "imageId", json_str(hl, "imageId"),
		    json_str(wl, "imageId"), err);
	if (!str_eq(adopt_tag(cJSON_GetObjectItemCaseSensitive(hl, "tags"),
	    "f2o:bundle-id"), adopt_tag(cJSON_GetObjectItemCaseSensitive(wl,
	    "tags"), "f2o:bundle-id")))
		return adopt_conflict(step, what, "tag f2o:bundle-id", adopt_tag(
		    cJSON_GetObjectItemCaseSensitive(hl, "tags"),
		    "f2o:bundle-id"), adopt_tag(cJSON_GetObjectItemCaseSensitive(
		    wl, "tags"), "f2o:bundle-id"), err);
	return 0;
}

static int
check_spot(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, bool fresh, bool cluster, cJSON **outputs,
    struct http_apierr *err)
{
	const cJSON *want, *it, *match = NULL;
	cJSON *reply = NULL;
	char *path = NULL, what[ADOPT_MAX_TEXT];
	const char *oid = NULL, *name;
	int n = 0, rc = -1;

	want = cJSON_GetObjectItemCaseSensitive(req, cluster ? "cluster" :
	    "launchSpec");
	name = json_str(want, "name");
	if (!cJSON_IsObject(want) || name == NULL)
		return 0;
	if (cluster)
		path = xstrdup("/ocean/aws/ecs/cluster");
	else {
		oid = json_str(want, "oceanId");
		if (oid == NULL || fresh)
			return 0;	/* a new Ocean has no VNG yet */
		if ((path = spot_launchspec_list_path(oid, err)) == NULL)
			return -1;
	}
	if (run_call(ctx, RUN_API_SPOT, cluster ? "ListOceanClusters" :
	    "ListOceanLaunchSpecs", "GET", path, NULL, true, &reply, err,
	    NULL) == -1)
		goto out;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(reply,
	    "items")) {
		/* One Ocean per ECS cluster; a VNG by name in its Ocean. */
		if (cluster && (!str_eq(json_str(it, "clusterName"),
		    json_str(want, "clusterName")) || !str_eq(json_str(it,
		    "region"), json_str(want, "region"))))
			continue;
		if (!cluster && (!str_eq(json_str(it, "name"), name) ||
		    !str_eq(json_str(it, "oceanId"), oid)))
			continue;
		match = it;
		n++;
	}
	if (cluster)
		(void)snprintf(what, sizeof(what), "Ocean cluster %s (%s) "
		    "for ECS cluster %s in %s", match != NULL ?
		    show(json_str(match, "name")) : name, match != NULL ?
		    show(json_str(match, "id")) : "-",
		    show(json_str(want, "clusterName")),
		    show(json_str(want, "region")));
	else
		(void)snprintf(what, sizeof(what), "VNG %s (%s) of Ocean %s",
		    name, match != NULL ? show(json_str(match, "id")) : "-",
		    oid);
	if (n > 1) {
		rc = ambiguous(step, n, what, err);
		goto out;
	}
	rc = 0;
	if (match == NULL)
		goto out;
	if (fresh)
		rc = not_ours(step, what, err);
	else if ((rc = spot_compare(step, what, match, want, cluster, err)) ==
	    0)
		rc = run_outputs(step, match, outputs, err) == 0 ? 1 : -1;
out:
	cJSON_Delete(reply);
	free(path);
	return rc;
}

/*
 * No look-up for Application Auto Scaling and CloudWatch steps (they are
 * not "create" rows of action.c, so this is never called for them):
 * RegisterScalableTarget, PutScalingPolicy, PutScheduledAction and
 * PutMetricAlarm are upserts keyed by (namespace, resource id, dimension
 * [, name]) or by alarm name, so sending one again, with or without a
 * journal, leaves exactly one object in the state the request describes
 * (a policy keeps its ARN); there is nothing to adopt and nothing made
 * twice. What an upsert could revert is a change someone made after the
 * export to an object of the ORIGINAL service: its scalable target,
 * policies, scheduled actions and step scaling alarms are fingerprinted
 * in the manifest and checked before the first write by the preflight
 * (preflight_aas.c, drift_aas.c: exit 4 on drift).
 */
int
adopt_check(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, bool fresh, cJSON **outputs, bool *draining,
    struct http_apierr *err)
{
	int rc = 0;

	*outputs = NULL;
	*draining = false;
	run_set_step(step->id, true);
	if (strcmp(step->action, "ec2:CreateSecurityGroup") == 0)
		rc = check_sg(ctx, step, req, outputs, err);
	else if (strcmp(step->action, "ecs:RegisterTaskDefinition") == 0)
		rc = fresh ? 0 : check_td(ctx, step, req, outputs, err);
	else if (strcmp(step->action, "ecs:CreateService") == 0)
		rc = check_service(ctx, step, req, fresh, outputs, draining,
		    err);
	else if (strcmp(step->action, "spot:CreateOceanCluster") == 0)
		rc = check_spot(ctx, step, req, fresh, true, outputs, err);
	else if (strcmp(step->action, "spot:CreateOceanLaunchSpec") == 0)
		rc = check_spot(ctx, step, req, fresh, false, outputs, err);
	run_set_step(step->id, false);
	return rc;
}
