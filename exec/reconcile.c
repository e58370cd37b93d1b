/*
 * Look-ups for creates whose outcome is in doubt. See reconcile.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "ec2.h"
#include "reconcile.h"
#include "spot.h"
#include "xalloc.h"

static const char *
tag_value(const cJSON *tags, const char *key)
{
	const cJSON *t;
	const char *k;

	cJSON_ArrayForEach(t, tags) {
		k = json_str(t, "key");
		if (k == NULL)
			k = json_str(t, "Key");
		if (k != NULL && strcmp(k, key) == 0)
			return json_str(t, "value") != NULL ?
			    json_str(t, "value") : json_str(t, "Value");
	}
	return NULL;
}

const char *
reconcile_key(const struct plan_step *step, const cJSON *req)
{
	const cJSON *o;

	if (strcmp(step->action, "ecs:CreateService") == 0)
		return json_str(req, "clientToken");
	if (strcmp(step->action, "ecs:RegisterTaskDefinition") == 0)
		return tag_value(cJSON_GetObjectItemCaseSensitive(req, "tags"),
		    "f2o:content");
	if (strcmp(step->action, "ec2:CreateSecurityGroup") == 0)
		return json_str(req, "GroupName");
	if (strcmp(step->action, "spot:CreateOceanCluster") == 0) {
		o = cJSON_GetObjectItemCaseSensitive(req, "cluster");
		return json_str(o, "name");
	}
	if (strcmp(step->action, "spot:CreateOceanLaunchSpec") == 0) {
		o = cJSON_GetObjectItemCaseSensitive(req, "launchSpec");
		return json_str(o, "name");
	}
	return NULL;
}

static int
ambiguous(const struct plan_step *step, struct http_apierr *err, int n,
    const char *what)
{
	log_errx("%s: %d resources match %s; f2o cannot tell which one the "
	    "interrupted request made: remove the extra one(s) and rerun",
	    step->id, n, what);
	http_apierr_set(err, 0, "Ambiguous", "more than one match", false);
	return -1;
}

static int
find_sg(struct run_ctx *ctx, const struct plan_step *step, const cJSON *req,
    cJSON **outputs, struct http_apierr *err)
{
	const char *name = json_str(req, "GroupName");
	const char *vpc = json_str(req, "VpcId");
	const cJSON *groups, *g;
	cJSON *q, *reply = NULL, *fake = NULL;
	const char *gid = NULL, *gname;
	int n = 0, rc = -1;

	if (name == NULL) {
		log_errx("%s: no GroupName to look the group up by", step->id);
		http_apierr_set(err, 0, "NoLookupKey", NULL, false);
		return -1;
	}
	q = ec2_sg_name_query(name, vpc);
	if (run_call(ctx, RUN_API_EC2, "DescribeSecurityGroups", NULL, NULL, q,
	    true, &reply, err, NULL) == -1)
		goto out;
	groups = cJSON_GetObjectItemCaseSensitive(reply, "securityGroupInfo");
	cJSON_ArrayForEach(g, groups) {
		gname = json_str(g, "groupName");
		if (gname == NULL || strcmp(gname, name) != 0)
			continue;
		gid = json_str(g, "groupId");
		n++;
	}
	if (n > 1) {
		rc = ambiguous(step, err, n, name);
		goto out;
	}
	if (n == 0 || gid == NULL) {
		rc = 0;
		goto out;
	}
	fake = cJSON_CreateObject();
	json_add_str(fake, "groupId", gid);
	rc = run_outputs(step, fake, outputs, err) == 0 ? 1 : -1;
out:
	cJSON_Delete(q);
	cJSON_Delete(reply);
	cJSON_Delete(fake);
	return rc;
}

/* "arn:...:task-definition/FAMILY:REV" -> does FAMILY equal family? */
static bool
arn_family(const char *arn, const char *family)
{
	const char *s = strstr(arn, ":task-definition/");
	size_t n = strlen(family);

	if (s == NULL)
		return false;
	s += strlen(":task-definition/");
	return strncmp(s, family, n) == 0 && s[n] == ':';
}

static int
find_td(struct run_ctx *ctx, const struct plan_step *step, const cJSON *req,
    cJSON **outputs, struct http_apierr *err)
{
	const char *family = json_str(req, "family");
	const char *want = tag_value(cJSON_GetObjectItemCaseSensitive(req,
	    "tags"), "f2o:content");
	const cJSON *arns, *a, *td;
	cJSON *q = NULL, *reply = NULL, *d = NULL, *dreply = NULL;
	const char *have;
	int seen = 0, n = 0, rc = -1;
	cJSON *match = NULL;

	if (family == NULL || want == NULL) {
		log_errx("%s: the request has no family or no f2o:content tag: "
		    "f2o cannot tell whether the interrupted registration "
		    "took effect; check the family's newest revisions, then "
		    "remove the journal entry by hand", step->id);
		http_apierr_set(err, 0, "NoLookupKey", NULL, false);
		return -1;
	}
	q = cJSON_CreateObject();
	json_add_str(q, "familyPrefix", family);
	json_add_str(q, "status", "ACTIVE");
	json_add_str(q, "sort", "DESC");
	json_add_num(q, "maxResults", 100);
	if (run_call(ctx, RUN_API_ECS, "ListTaskDefinitions", NULL, NULL, q,
	    true, &reply, err, NULL) == -1)
		goto out;
	arns = cJSON_GetObjectItemCaseSensitive(reply, "taskDefinitionArns");
	cJSON_ArrayForEach(a, arns) {
		if (!cJSON_IsString(a) || !arn_family(a->valuestring, family))
			continue;
		if (++seen > RECONCILE_MAX_TD)
			break;
		cJSON_Delete(d);
		d = cJSON_CreateObject();
		json_add_str(d, "taskDefinition", a->valuestring);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(d, "include"),
		    cJSON_CreateString("TAGS"));
		cJSON_Delete(dreply);
		dreply = NULL;
		if (run_call(ctx, RUN_API_ECS, "DescribeTaskDefinition", NULL,
		    NULL, d, true, &dreply, err, NULL) == -1)
			goto out;
		have = tag_value(cJSON_GetObjectItemCaseSensitive(dreply,
		    "tags"), "f2o:content");
		td = cJSON_GetObjectItemCaseSensitive(dreply,
		    "taskDefinition");
		if (have != NULL && strcmp(have, want) == 0 &&
		    cJSON_IsObject(td)) {
			n++;
			if (match == NULL) {
				match = cJSON_CreateObject();
				cJSON_AddItemToObject(match, "taskDefinition",
				    cJSON_Duplicate(td, 1));
			}
		}
	}
	/*
	 * Two revisions with the same content: an earlier run (with another
	 * journal) registered one too. Take the newest: a task definition
	 * revision is inert, and the newest is the one just registered.
	 */
	if (n > 1)
		log_warnx("%s: %d revisions of %s carry f2o:content %s; "
		    "adopting the newest", step->id, n, family, want);
	if (match == NULL) {
		rc = 0;
		goto out;
	}
	rc = run_outputs(step, match, outputs, err) == 0 ? 1 : -1;
out:
	cJSON_Delete(match);
	cJSON_Delete(q);
	cJSON_Delete(reply);
	cJSON_Delete(d);
	cJSON_Delete(dreply);
	return rc;
}

/* DescribeServices of one service; *reply freed with cJSON_Delete. */
static int
describe_service(struct run_ctx *ctx, const char *cluster, const char *name,
    cJSON **reply, struct http_apierr *err)
{
	cJSON *q = cJSON_CreateObject();
	int rc;

	if (cluster != NULL)
		json_add_str(q, "cluster", cluster);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(q, "services"),
	    cJSON_CreateString(name));
	rc = run_call(ctx, RUN_API_ECS, "DescribeServices", NULL, NULL, q, true,
	    reply, err, NULL);
	cJSON_Delete(q);
	return rc;
}

static int
find_service(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, cJSON **outputs, struct http_apierr *err)
{
	const char *name = json_str(req, "serviceName");
	const char *cluster = json_str(req, "cluster");
	const cJSON *svcs, *s;
	cJSON *reply = NULL, *fake = NULL;
	const char *st;
	int rc = -1;

	if (name == NULL) {
		log_errx("%s: no serviceName to look the service up by",
		    step->id);
		http_apierr_set(err, 0, "NoLookupKey", NULL, false);
		return -1;
	}
	if (describe_service(ctx, cluster, name, &reply, err) == -1)
		goto out;
	svcs = cJSON_GetObjectItemCaseSensitive(reply, "services");
	rc = 0;
	cJSON_ArrayForEach(s, svcs) {
		st = json_str(s, "status");
		if (st == NULL || strcmp(st, "ACTIVE") != 0)
			continue;
		fake = cJSON_CreateObject();
		cJSON_AddItemToObject(fake, "service", cJSON_Duplicate(s, 1));
		rc = run_outputs(step, fake, outputs, err) == 0 ? 1 : -1;
		break;
	}
out:
	cJSON_Delete(reply);
	cJSON_Delete(fake);
	return rc;
}

static bool
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
find_spot(struct run_ctx *ctx, const struct plan_step *step, const cJSON *req,
    cJSON **outputs, struct http_apierr *err, bool cluster)
{
	const cJSON *want, *items, *it, *match = NULL;
	cJSON *reply = NULL;
	char *path = NULL;
	const char *oid;
	int n = 0, rc = -1;

	want = cJSON_GetObjectItemCaseSensitive(req, cluster ? "cluster" :
	    "launchSpec");
	if (!cJSON_IsObject(want) || json_str(want, "name") == NULL) {
		log_errx("%s: no name to look the resource up by", step->id);
		http_apierr_set(err, 0, "NoLookupKey", NULL, false);
		return -1;
	}
	if (cluster)
		path = xstrdup("/ocean/aws/ecs/cluster");
	else {
		oid = json_str(want, "oceanId");
		if (oid == NULL) {
			log_errx("%s: no oceanId to look the launch spec up "
			    "by", step->id);
			http_apierr_set(err, 0, "NoLookupKey", NULL, false);
			return -1;
		}
		if ((path = spot_launchspec_list_path(oid, err)) == NULL)
			return -1;
	}
	if (run_call(ctx, RUN_API_SPOT, cluster ? "ListOceanClusters" :
	    "ListOceanLaunchSpecs", "GET", path, NULL, true, &reply, err,
	    NULL) == -1)
		goto out;
	items = cJSON_GetObjectItemCaseSensitive(reply, "items");
	cJSON_ArrayForEach(it, items) {
		if (!str_eq(json_str(it, "name"), json_str(want, "name")))
			continue;
		if (cluster && (!str_eq(json_str(it, "clusterName"),
		    json_str(want, "clusterName")) ||
		    !str_eq(json_str(it, "region"), json_str(want, "region"))))
			continue;
		if (!cluster && !str_eq(json_str(it, "oceanId"),
		    json_str(want, "oceanId")))
			continue;
		match = it;
		n++;
	}
	if (n > 1) {
		rc = ambiguous(step, err, n, json_str(want, "name"));
		goto out;
	}
	if (match == NULL) {
		rc = 0;
		goto out;
	}
	rc = run_outputs(step, match, outputs, err) == 0 ? 1 : -1;
out:
	cJSON_Delete(reply);
	free(path);
	return rc;
}

int
reconcile_find(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, cJSON **outputs, struct http_apierr *err)
{
	*outputs = NULL;
	if (strcmp(step->action, "ec2:CreateSecurityGroup") == 0)
		return find_sg(ctx, step, req, outputs, err);
	if (strcmp(step->action, "ecs:RegisterTaskDefinition") == 0)
		return find_td(ctx, step, req, outputs, err);
	if (strcmp(step->action, "ecs:CreateService") == 0)
		return find_service(ctx, step, req, outputs, err);
	if (strcmp(step->action, "spot:CreateOceanCluster") == 0)
		return find_spot(ctx, step, req, outputs, err, true);
	if (strcmp(step->action, "spot:CreateOceanLaunchSpec") == 0)
		return find_spot(ctx, step, req, outputs, err, false);
	log_errx("%s: f2o cannot look up what %s creates", step->id,
	    step->action);
	http_apierr_set(err, 0, "NoLookup", NULL, false);
	return -1;
}

/*
 * Did an interrupted ecs:DeleteService or ecs:UpdateService take effect?
 * DescribeServices on the service: a delete took effect when the service
 * is no longer ACTIVE (DRAINING, INACTIVE or MISSING); an UpdateService of
 * desiredCount took effect when the ACTIVE service has that count.
 * Returns 1 (took effect), 0 (did not, or f2o cannot tell: send again),
 * -1 (look-up failed; err filled).
 */
int
reconcile_effect(struct run_ctx *ctx, const struct plan_step *step,
    const cJSON *req, struct http_apierr *err)
{
	const char *name = json_str(req, "service");
	const char *cluster = json_str(req, "cluster");
	bool del = strcmp(step->action, "ecs:DeleteService") == 0;
	const cJSON *svcs, *s, *want;
	cJSON *reply = NULL;
	const char *st;
	int rc = -1, active = 0;

	if (name == NULL || (!del &&
	    strcmp(step->action, "ecs:UpdateService") != 0))
		return 0;
	want = cJSON_GetObjectItemCaseSensitive(req, "desiredCount");
	if (!del && !cJSON_IsNumber(want))
		return 0;
	if (describe_service(ctx, cluster, name, &reply, err) == -1)
		goto out;
	svcs = cJSON_GetObjectItemCaseSensitive(reply, "services");
	rc = del ? 1 : 0;
	cJSON_ArrayForEach(s, svcs) {
		st = json_str(s, "status");
		if (st == NULL || strcmp(st, "ACTIVE") != 0)
			continue;
		active++;
		if (del)
			rc = 0;
		else if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s,
		    "desiredCount")) && cJSON_GetObjectItemCaseSensitive(s,
		    "desiredCount")->valuedouble == want->valuedouble)
			rc = 1;
	}
	if (!del && active == 0)
		rc = 0;
out:
	cJSON_Delete(reply);
	return rc;
}
