/*
 * The action table (API, operation, idempotency, "already done" codes)
 * and per-action handlers (rules one by one, DRAINING names). See action.h.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "call.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

static const struct run_action actions[] = {
	{ "ecs:RegisterTaskDefinition", RUN_API_ECS, "RegisterTaskDefinition",
	    NULL, NULL, NULL, false, true, { NULL }, NULL },
	{ "ecs:CreateService", RUN_API_ECS, "CreateService", NULL, NULL, NULL,
	    false, true, { NULL }, NULL },
	{ "ecs:UpdateService", RUN_API_ECS, "UpdateService", NULL, NULL, NULL,
	    true, false, { NULL }, NULL },
	{ "ecs:DeleteService", RUN_API_ECS, "DeleteService", NULL, NULL, NULL,
	    true, false, { "ServiceNotFoundException",
	    "ServiceNotActiveException", NULL }, NULL },
	{ "ecs:DeregisterTaskDefinition", RUN_API_ECS,
	    "DeregisterTaskDefinition", NULL, NULL, NULL, true, false,
	    { NULL }, NULL },
	{ "ecs:PutAccountSettingDefault", RUN_API_ECS,
	    "PutAccountSettingDefault", NULL, NULL, NULL, true, false,
	    { NULL }, NULL },
	{ "ecs:PutAccountSetting", RUN_API_ECS, "PutAccountSetting", NULL,
	    NULL, NULL, true, false, { NULL }, NULL },
	{ "ecs:TagResource", RUN_API_ECS, "TagResource", NULL, NULL, NULL,
	    true, false, { NULL }, NULL },
	/* A read step (live/NAME): the live desiredCount the creates use. */
	{ "ecs:DescribeServices", RUN_API_ECS, "DescribeServices", NULL, NULL,
	    NULL, true, false, { NULL }, NULL },
	/*
	 * Application Auto Scaling and CloudWatch: upserts (Register, Put)
	 * and deletes, all safe to resend, so none is a "create" to look up
	 * when in doubt. A delete of something gone is done; CloudWatch's
	 * DeleteAlarms already succeeds for missing names (ResourceNotFound
	 * is kept as "gone" should it ever answer so).
	 */
	{ "application-autoscaling:RegisterScalableTarget", RUN_API_AAS,
	    "RegisterScalableTarget", NULL, NULL, NULL, true, false,
	    { NULL }, NULL },
	{ "application-autoscaling:PutScalingPolicy", RUN_API_AAS,
	    "PutScalingPolicy", NULL, NULL, NULL, true, false, { NULL },
	    NULL },
	{ "application-autoscaling:PutScheduledAction", RUN_API_AAS,
	    "PutScheduledAction", NULL, NULL, NULL, true, false, { NULL },
	    NULL },
	{ "application-autoscaling:DeregisterScalableTarget", RUN_API_AAS,
	    "DeregisterScalableTarget", NULL, NULL, NULL, true, false,
	    { "ObjectNotFoundException", NULL }, NULL },
	{ "application-autoscaling:DeleteScalingPolicy", RUN_API_AAS,
	    "DeleteScalingPolicy", NULL, NULL, NULL, true, false,
	    { "ObjectNotFoundException", NULL }, NULL },
	{ "application-autoscaling:DeleteScheduledAction", RUN_API_AAS,
	    "DeleteScheduledAction", NULL, NULL, NULL, true, false,
	    { "ObjectNotFoundException", NULL }, NULL },
	{ "cloudwatch:PutMetricAlarm", RUN_API_CW, "PutMetricAlarm", NULL,
	    NULL, NULL, true, false, { NULL }, NULL },
	{ "cloudwatch:DeleteAlarms", RUN_API_CW, "DeleteAlarms", NULL, NULL,
	    NULL, true, false, { "ResourceNotFound", NULL }, NULL },
	{ "ec2:CreateSecurityGroup", RUN_API_EC2, "CreateSecurityGroup", NULL,
	    NULL, NULL, false, true, { NULL }, NULL },
	{ "ec2:AuthorizeSecurityGroupIngress", RUN_API_EC2,
	    "AuthorizeSecurityGroupIngress", NULL, NULL, NULL, true, false,
	    { "InvalidPermission.Duplicate", NULL }, NULL },
	{ "ec2:AuthorizeSecurityGroupEgress", RUN_API_EC2,
	    "AuthorizeSecurityGroupEgress", NULL, NULL, NULL, true, false,
	    { "InvalidPermission.Duplicate", NULL }, NULL },
	{ "ec2:RevokeSecurityGroupIngress", RUN_API_EC2,
	    "RevokeSecurityGroupIngress", NULL, NULL, NULL, true, false,
	    { "InvalidPermission.NotFound", NULL }, NULL },
	{ "ec2:RevokeSecurityGroupEgress", RUN_API_EC2,
	    "RevokeSecurityGroupEgress", NULL, NULL, NULL, true, false,
	    { "InvalidPermission.NotFound", NULL }, NULL },
	{ "ec2:DeleteSecurityGroup", RUN_API_EC2, "DeleteSecurityGroup", NULL,
	    NULL, NULL, true, false, { "InvalidGroup.NotFound", NULL },
	    NULL },
	{ "spot:CreateOceanCluster", RUN_API_SPOT, "CreateOceanCluster",
	    "POST", "/ocean/aws/ecs/cluster", NULL, false, true, { NULL },
	    NULL },
	{ "spot:CreateOceanLaunchSpec", RUN_API_SPOT, "CreateOceanLaunchSpec",
	    "POST", "/ocean/aws/ecs/launchSpec", NULL, false, true, { NULL },
	    NULL },
	{ "spot:DeleteOceanLaunchSpec", RUN_API_SPOT, "DeleteOceanLaunchSpec",
	    "DELETE", "/ocean/aws/ecs/launchSpec/", "launchSpecId", true, false,
	    { "404", "CANT_GET_OCEAN_ECS_LAUNCH_SPEC", NULL },
	    "deleteContainerInstances" },
	{ "spot:DeleteOceanCluster", RUN_API_SPOT, "DeleteOceanCluster",
	    "DELETE", "/ocean/aws/ecs/cluster/", "oceanId", true, false,
	    { "404", "CANT_GET_OCEAN_CLUSTER", NULL }, NULL },
	{ NULL, 0, NULL, NULL, NULL, NULL, false, false, { NULL }, NULL }
};

const struct run_action *
run_action_find(const char *action)
{
	size_t i;

	for (i = 0; actions[i].action != NULL; i++)
		if (strcmp(actions[i].action, action) == 0)
			return &actions[i];
	return NULL;
}

bool
action_gone(const struct run_action *act, const char *code)
{
	size_t i;

	if (code == NULL)
		return false;
	for (i = 0; act->gone[i] != NULL; i++)
		if (strcmp(act->gone[i], code) == 0)
			return true;
	return false;
}

/* Split "svc:Op" into a new svc string and a borrowed op. */
int
action_split(const char *action, char **svc, const char **op)
{
	const char *colon = strchr(action, ':');

	*svc = NULL;
	*op = NULL;
	if (colon == NULL || colon == action || colon[1] == '\0') {
		log_errx("plan.json: action \"%s\" is not SERVICE:OPERATION",
		    action);
		return -1;
	}
	*svc = xstrndup(action, (size_t)(colon - action));
	*op = colon + 1;
	return 0;
}

/* An id for a URL path: [A-Za-z0-9_-], 1..128. */
static bool
path_id_valid(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 128)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

cJSON *
action_split_rules(const cJSON *req)
{
	static const char *const lists[] = { "IpRanges", "Ipv6Ranges",
	    "PrefixListIds", "UserIdGroupPairs", NULL };
	const cJSON *perms, *p, *l, *e;
	cJSON *out, *one, *perm, *arr;
	size_t i, k;
	bool any;

	out = cJSON_CreateArray();
	perms = cJSON_GetObjectItemCaseSensitive(req, "IpPermissions");
	cJSON_ArrayForEach(p, perms) {
		any = false;
		for (i = 0; lists[i] != NULL; i++) {
			l = cJSON_GetObjectItemCaseSensitive(p, lists[i]);
			cJSON_ArrayForEach(e, l) {
				any = true;
				one = cJSON_Duplicate(req, 1);
				json_del(one, "IpPermissions");
				perm = cJSON_Duplicate(p, 1);
				for (k = 0; lists[k] != NULL; k++)
					json_del(perm, lists[k]);
				arr = cJSON_AddArrayToObject(perm, lists[i]);
				cJSON_AddItemToArray(arr,
				    cJSON_Duplicate(e, 1));
				arr = cJSON_AddArrayToObject(one,
				    "IpPermissions");
				cJSON_AddItemToArray(arr, perm);
				cJSON_AddItemToArray(out, one);
			}
		}
		if (!any) {
			one = cJSON_Duplicate(req, 1);
			json_del(one, "IpPermissions");
			arr = cJSON_AddArrayToObject(one, "IpPermissions");
			cJSON_AddItemToArray(arr, cJSON_Duplicate(p, 1));
			cJSON_AddItemToArray(out, one);
		}
	}
	return out;
}

/* InvalidPermission.Duplicate on a batch: send rule by rule. */
int
action_rules_one_by_one(struct run_ctx *ctx, const struct plan_step *step,
    const struct run_action *act, const cJSON *req, struct http_apierr *err)
{
	cJSON *reqs, *one, *res = NULL;
	int n, dup = 0, sent = 0, rc = -1;

	reqs = action_split_rules(req);
	n = cJSON_GetArraySize(reqs);
	log_warnx("%s: InvalidPermission.Duplicate for the batch: sending its "
	    "%d rule(s) one by one", step->id, n);
	cJSON_ArrayForEach(one, reqs) {
		cJSON_Delete(res);
		res = NULL;
		if (run_call(ctx, act->api, act->op, NULL, NULL, one, true,
		    &res, err, NULL) == 0) {
			sent++;
			continue;
		}
		if (action_gone(act, err->code)) {
			dup++;
			http_apierr_cleanup(err);
			continue;
		}
		goto out;
	}
	log_warnx("%s: %d rule(s) added, %d already present", step->id, sent,
	    dup);
	rc = 0;
out:
	cJSON_Delete(res);
	cJSON_Delete(reqs);
	return rc;
}

/*
 * CreateService refused as "not idempotent": is the name held by a
 * service that is still DRAINING (deleted, not yet INACTIVE)? 1 yes, 0
 * no, -1 the look-up failed.
 */
int
action_service_draining(struct run_ctx *ctx, const cJSON *req)
{
	const char *name = json_str(req, "serviceName");
	const char *cluster = json_str(req, "cluster");
	const cJSON *s;
	const char *st;
	cJSON *q, *reply = NULL;
	struct http_apierr err;
	int rc = 0;

	if (name == NULL)
		return 0;
	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	q = cJSON_CreateObject();
	if (cluster != NULL)
		json_add_str(q, "cluster", cluster);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(q, "services"),
	    cJSON_CreateString(name));
	if (run_call(ctx, RUN_API_ECS, "DescribeServices", NULL, NULL, q, true,
	    &reply, &err, NULL) == -1)
		rc = -1;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(reply,
	    "services")) {
		st = json_str(s, "status");
		if (st != NULL && strcmp(st, "DRAINING") == 0)
			rc = 1;
	}
	http_apierr_cleanup(&err);
	cJSON_Delete(q);
	cJSON_Delete(reply);
	return rc;
}

int
action_path(const struct run_action *act, const cJSON *req, const char *what,
    char **path)
{
	const cJSON *q;
	const char *id;

	*path = NULL;
	if (act->id_member != NULL) {
		id = json_str(req, act->id_member);
		if (!path_id_valid(id)) {
			log_errx("%s: %s: %s is not a valid id", what,
			    act->id_member, id != NULL ? id : "(none)");
			return -1;
		}
		q = act->query != NULL ? cJSON_GetObjectItemCaseSensitive(req,
		    act->query) : NULL;
		if (q != NULL && !cJSON_IsBool(q)) {
			log_errx("%s: %s: not true or false", what,
			    act->query);
			return -1;
		}
		/* spot.c puts a query in the path after accountId. */
		if (q != NULL)
			*path = xasprintf("%s%s?%s=%s", act->path, id,
			    act->query, cJSON_IsTrue(q) ? "true" : "false");
		else
			*path = xasprintf("%s%s", act->path, id);
	} else if (act->path != NULL)
		*path = xstrdup(act->path);
	return 0;
}
