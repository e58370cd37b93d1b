/*
 * iam-policy.json from the plan: each step's action (and each read
 * f2o-exec makes on its own) mapped to IAM actions scoped to resources.
 */
/*
 * The one table below maps a plan action or executor operation to its IAM
 * action and resource kind; a new operation is one row. Statements are
 * one per IAM action, resources sorted, so the document is deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "iampolicy.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "plan.h"
#include "xalloc.h"

enum res_kind {
	RES_ANY,		/* "*": IAM has no resource type */
	RES_SERVICE,		/* service/CLUSTER/NAME of the request */
	RES_CLUSTER,		/* cluster/CLUSTER */
	RES_SG,			/* every security group of account and region */
	RES_SG_VPC,		/* every security group, and the vpc VpcId */
	RES_TAG_ARN,		/* the request's resourceArn, else "*" */
	RES_ALARM,		/* alarm:NAME of AlarmName / AlarmNames */
};

#define IAMPOLICY_AAS	"application-autoscaling:"
#define IAMPOLICY_AAS_ECS	"ecs.application-autoscaling.amazonaws.com"

struct iam_row {
	const char *op;		/* plan action, or "exec:" + operation */
	const char *iam;	/* IAM action */
	enum res_kind res;
};

/* Plan actions, then what f2o-exec reads on its own (exec/reconcile.c,
 * exec/run.c: preflight, reconcile after a lost reply, waits). */
static const struct iam_row iam_table[] = {
	{ "ecs:RegisterTaskDefinition", "ecs:RegisterTaskDefinition", RES_ANY },
	{ "ecs:DeregisterTaskDefinition", "ecs:DeregisterTaskDefinition",
	    RES_ANY },
	{ "ecs:CreateService", "ecs:CreateService", RES_SERVICE },
	{ "ecs:UpdateService", "ecs:UpdateService", RES_SERVICE },
	{ "ecs:DeleteService", "ecs:DeleteService", RES_SERVICE },
	{ "ecs:DescribeServices", "ecs:DescribeServices", RES_SERVICE },
	{ "ecs:PutAccountSettingDefault", "ecs:PutAccountSettingDefault",
	    RES_ANY },
	{ "ecs:PutAccountSetting", "ecs:PutAccountSetting", RES_ANY },
	{ "ecs:TagResource", "ecs:TagResource", RES_TAG_ARN },
	{ "wait:ServicesStable", "ecs:DescribeServices", RES_SERVICE },
	{ "wait:ServicesInactive", "ecs:DescribeServices", RES_SERVICE },
	{ "wait:ContainerInstancesGone", "ecs:ListContainerInstances",
	    RES_CLUSTER },
	{ "ec2:CreateSecurityGroup", "ec2:CreateSecurityGroup", RES_SG_VPC },
	{ "ec2:AuthorizeSecurityGroupIngress",
	    "ec2:AuthorizeSecurityGroupIngress", RES_SG },
	{ "ec2:AuthorizeSecurityGroupEgress",
	    "ec2:AuthorizeSecurityGroupEgress", RES_SG },
	{ "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress",
	    RES_SG },
	{ "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress",
	    RES_SG },
	{ "ec2:DeleteSecurityGroup", "ec2:DeleteSecurityGroup", RES_SG },
	/* Application Auto Scaling has no resource-level permissions. */
	{ "application-autoscaling:RegisterScalableTarget",
	    "application-autoscaling:RegisterScalableTarget", RES_ANY },
	{ "application-autoscaling:DeregisterScalableTarget",
	    "application-autoscaling:DeregisterScalableTarget", RES_ANY },
	{ "application-autoscaling:PutScalingPolicy",
	    "application-autoscaling:PutScalingPolicy", RES_ANY },
	{ "application-autoscaling:DeleteScalingPolicy",
	    "application-autoscaling:DeleteScalingPolicy", RES_ANY },
	{ "application-autoscaling:PutScheduledAction",
	    "application-autoscaling:PutScheduledAction", RES_ANY },
	{ "application-autoscaling:DeleteScheduledAction",
	    "application-autoscaling:DeleteScheduledAction", RES_ANY },
	{ "cloudwatch:PutMetricAlarm", "cloudwatch:PutMetricAlarm", RES_ALARM },
	{ "cloudwatch:DeleteAlarms", "cloudwatch:DeleteAlarms", RES_ALARM },
	/* f2o-exec's own reads. */
	{ "exec:DescribeClusters", "ecs:DescribeClusters", RES_CLUSTER },
	{ "exec:DescribeServices", "ecs:DescribeServices", RES_SERVICE },
	{ "exec:ListTaskDefinitions", "ecs:ListTaskDefinitions", RES_ANY },
	{ "exec:DescribeTaskDefinition", "ecs:DescribeTaskDefinition",
	    RES_ANY },
	{ "exec:DescribeSecurityGroups", "ec2:DescribeSecurityGroups",
	    RES_ANY },
	/* A wait that failed: stopped tasks and their reasons (waitdiag.c). */
	{ "exec:ListTasks", "ecs:ListTasks", RES_ANY },
	{ "exec:DescribeTasks", "ecs:DescribeTasks", RES_ANY },
	/* Preflight of a bundle with scaling steps: the targets' drift. */
	{ "exec:DescribeScalableTargets",
	    "application-autoscaling:DescribeScalableTargets", RES_ANY },
	/* ... and of their policies and scheduled actions (preflight_aas.c) */
	{ "exec:DescribeScalingPolicies",
	    "application-autoscaling:DescribeScalingPolicies", RES_ANY },
	{ "exec:DescribeScheduledActions",
	    "application-autoscaling:DescribeScheduledActions", RES_ANY },
	{ NULL, NULL, RES_ANY }
};

struct pol {
	cJSON	*acts;		/* IAM action -> {resource: true} */
	cJSON	*conds;		/* IAM action -> Condition */
	const char *part, *region, *account, *cluster;
};

static const struct iam_row *
row_find(const char *op)
{
	const struct iam_row *r;

	for (r = iam_table; r->op != NULL; r++)
		if (strcmp(r->op, op) == 0)
			return r;
	return NULL;
}

static void
pol_add(struct pol *p, const char *iam, const char *res)
{
	cJSON *set = cJSON_GetObjectItemCaseSensitive(p->acts, iam);

	if (set == NULL)
		set = cJSON_AddObjectToObject(p->acts, iam);
	if (cJSON_GetObjectItemCaseSensitive(set, res) == NULL)
		cJSON_AddTrueToObject(set, res);
}

static int
is_ref(const char *s)
{
	return s == NULL || strncmp(s, "${", 2) == 0;
}

static void
add_service(struct pol *p, const char *iam, const char *cluster,
    const char *name)
{
	char *arn;

	if (is_ref(name) || is_ref(cluster)) {
		pol_add(p, iam, "*");
		return;
	}
	arn = xasprintf("arn:%s:ecs:%s:%s:service/%s/%s", p->part, p->region,
	    p->account, cluster, name);
	pol_add(p, iam, arn);
	free(arn);
}

static void
add_alarm(struct pol *p, const char *iam, const char *name)
{
	char *arn;

	if (is_ref(name)) {
		pol_add(p, iam, "*");
		return;
	}
	arn = xasprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", p->part,
	    p->region, p->account, name);
	pol_add(p, iam, arn);
	free(arn);
}

static void
add_row(struct pol *p, const struct iam_row *r, const cJSON *req)
{
	const char *cl = req != NULL ? json_str(req, "cluster") : NULL;
	const cJSON *it;
	char *arn;

	if (cl == NULL)
		cl = p->cluster;
	switch (r->res) {
	case RES_ANY:
		pol_add(p, r->iam, "*");
		break;
	case RES_SERVICE:
		if (json_str(req, "serviceName") != NULL)
			add_service(p, r->iam, cl, json_str(req, "serviceName"));
		if (json_str(req, "service") != NULL)
			add_service(p, r->iam, cl, json_str(req, "service"));
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(req,
		    "services"))
			add_service(p, r->iam, cl, cJSON_GetStringValue(it));
		break;
	case RES_CLUSTER:
		arn = xasprintf("arn:%s:ecs:%s:%s:cluster/%s", p->part,
		    p->region, p->account, p->cluster);
		pol_add(p, r->iam, arn);
		free(arn);
		break;
	case RES_SG_VPC:
		arn = xasprintf("arn:%s:ec2:%s:%s:vpc/%s", p->part, p->region,
		    p->account, is_ref(json_str(req, "VpcId")) ? "*" :
		    json_str(req, "VpcId"));
		pol_add(p, r->iam, arn);
		free(arn);
		/* FALLTHROUGH */
	case RES_SG:
		arn = xasprintf("arn:%s:ec2:%s:%s:security-group/*", p->part,
		    p->region, p->account);
		pol_add(p, r->iam, arn);
		free(arn);
		break;
	case RES_TAG_ARN:
		pol_add(p, r->iam, is_ref(json_str(req, "resourceArn")) ? "*" :
		    json_str(req, "resourceArn"));
		break;
	case RES_ALARM:
		if (json_str(req, "AlarmName") != NULL)
			add_alarm(p, r->iam, json_str(req, "AlarmName"));
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(req,
		    "AlarmNames"))
			add_alarm(p, r->iam, cJSON_GetStringValue(it));
		break;
	}
}

static void
set_cond(struct pol *p, const char *iam, const char *op, const char *key,
    const char *val)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(p->conds, iam), *se, *v;

	if (c == NULL) {
		c = cJSON_AddObjectToObject(p->conds, iam);
		se = cJSON_AddObjectToObject(c, op);
		cJSON_AddItemToObject(se, key, cJSON_CreateArray());
	}
	v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    c, op), key);
	for (se = v != NULL ? v->child : NULL; se != NULL; se = se->next)
		if (strcmp(se->valuestring, val) == 0)
			return;
	if (v != NULL)
		cJSON_AddItemToArray(v, cJSON_CreateString(val));
}

/*
 * Application Auto Scaling checks that the caller may do what it will do
 * for it (ECS: describe and update the service, the target tracking
 * alarms, the service-linked role on first use).
 */
static void
add_implicit_aas(struct pol *p, const char *action, const cJSON *req)
{
	static const char *const cw[] = { "cloudwatch:PutMetricAlarm",
	    "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", NULL };
	const char *rid = json_str(req, "ResourceId"), *sl, *name;
	const char *const *k;
	char *cl, *arn;

	if (rid == NULL || strncmp(rid, "service/", 8) != 0 ||
	    (sl = strchr(rid + 8, '/')) == NULL)
		return;
	cl = xstrndup(rid + 8, (size_t)(sl - rid - 8));
	name = sl + 1;
	if (strcmp(action, IAMPOLICY_AAS "RegisterScalableTarget") == 0) {
		add_service(p, "ecs:DescribeServices", cl, name);
		add_service(p, "ecs:UpdateService", cl, name);
		arn = xasprintf("arn:%s:iam::%s:role/aws-service-role/"
		    IAMPOLICY_AAS_ECS "/"
		    "AWSServiceRoleForApplicationAutoScaling_ECSService",
		    p->part, p->account);
		pol_add(p, "iam:CreateServiceLinkedRole", arn);
		free(arn);
		set_cond(p, "iam:CreateServiceLinkedRole", "StringEquals",
		    "iam:AWSServiceName", IAMPOLICY_AAS_ECS);
	}
	if ((strcmp(action, IAMPOLICY_AAS "PutScalingPolicy") == 0 &&
	    json_str(req, "PolicyType") != NULL &&
	    strcmp(json_str(req, "PolicyType"), "TargetTrackingScaling") ==
	    0) || strcmp(action, IAMPOLICY_AAS "DeregisterScalableTarget") ==
	    0) {
		arn = xasprintf("arn:%s:cloudwatch:%s:%s:alarm:TargetTracking-"
		    "%s-*", p->part, p->region, p->account, rid);
		for (k = cw; *k != NULL; k++)
			pol_add(p, *k, arn);
		free(arn);
	}
	free(cl);
}

static void
add_ecs_role(struct pol *p, const char *r)
{
	if (r == NULL || r[0] == '\0')
		return;
	pol_add(p, "iam:PassRole", is_ref(r) ? "*" : r);
	set_cond(p, "iam:PassRole", "StringEquals", "iam:PassedToService",
	    "ecs.amazonaws.com");
}

/*
 * An ECS-native blue/green, linear or canary service passes ECS the roles
 * of its load balancers' advancedConfiguration and of its lifecycle hooks.
 */
static void
add_deploy_roles(struct pol *p, const cJSON *req)
{
	const cJSON *lb, *h;

	cJSON_ArrayForEach(lb, cJSON_GetObjectItemCaseSensitive(req,
	    "loadBalancers"))
		add_ecs_role(p, json_str(cJSON_GetObjectItemCaseSensitive(lb,
		    "advancedConfiguration"), "roleArn"));
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(req, "deploymentConfiguration"),
	    "lifecycleHooks"))
		add_ecs_role(p, json_str(h, "roleArn"));
}

/* What AWS authorises implicitly: tags on create, roles passed. */
static void
add_implicit(struct pol *p, const char *action, const cJSON *req)
{
	static const char *const roles[] = { "taskRoleArn", "executionRoleArn" };
	const cJSON *tags = cJSON_GetObjectItemCaseSensitive(req, "tags");
	size_t i;

	if (strncmp(action, IAMPOLICY_AAS, strlen(IAMPOLICY_AAS)) == 0)
		add_implicit_aas(p, action, req);
	if ((strcmp(action, "ecs:CreateService") == 0 ||
	    strcmp(action, "ecs:RegisterTaskDefinition") == 0) &&
	    cJSON_GetArraySize(tags) > 0) {
		pol_add(p, "ecs:TagResource", "*");
		set_cond(p, "ecs:TagResource", "StringEquals",
		    "ecs:CreateAction", action + 4);
	}
	if (strcmp(action, "ec2:CreateSecurityGroup") == 0 &&
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(req,
	    "TagSpecifications")) > 0) {
		char *arn = xasprintf("arn:%s:ec2:%s:%s:security-group/*",
		    p->part, p->region, p->account);

		pol_add(p, "ec2:CreateTags", arn);
		free(arn);
		set_cond(p, "ec2:CreateTags", "StringEquals",
		    "ec2:CreateAction", "CreateSecurityGroup");
	}
	if (strcmp(action, "ecs:CreateService") == 0)
		add_deploy_roles(p, req);
	if (strcmp(action, "ecs:RegisterTaskDefinition") != 0)
		return;
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		const char *r = json_str(req, roles[i]);

		if (r == NULL || r[0] == '\0')
			continue;
		pol_add(p, "iam:PassRole", is_ref(r) ? "*" : r);
		set_cond(p, "iam:PassRole", "StringEquals",
		    "iam:PassedToService", "ecs-tasks.amazonaws.com");
	}
}

/* A request file of the bundle (streamed files are read back). */
static cJSON *
request_json(const struct xlate *x, const char *path)
{
	if (path == NULL)
		return NULL;
	return bundle_json(x->bundle, path);
}

/* "ecs:CreateService" -> "EcsCreateService" */
static char *
sid_of(const char *iam)
{
	char *s = xmalloc(strlen(iam) + 1), *d = s;

	for (; *iam != '\0'; iam++)
		if ((*iam >= 'A' && *iam <= 'Z') || (*iam >= 'a' &&
		    *iam <= 'z') || (*iam >= '0' && *iam <= '9'))
			*d++ = *iam;
	*d = '\0';
	if (s[0] >= 'a' && s[0] <= 'z')
		s[0] = (char)(s[0] - 'a' + 'A');
	return s;
}

static cJSON *
pol_document(struct pol *p)
{
	cJSON *doc = cJSON_CreateObject(), *sts, *st, *a, *r, *c;
	char *sid;

	json_sort_keys(p->acts);
	json_add_str(doc, "Version", "2012-10-17");
	sts = cJSON_AddArrayToObject(doc, "Statement");
	cJSON_ArrayForEach(a, p->acts) {
		st = cJSON_CreateObject();
		sid = sid_of(a->string);
		json_add_str(st, "Sid", sid);
		free(sid);
		json_add_str(st, "Effect", "Allow");
		json_add_str(st, "Action", a->string);
		if (cJSON_GetObjectItemCaseSensitive(a, "*") != NULL)
			json_add_str(st, "Resource", "*");
		else {
			cJSON *arr = cJSON_AddArrayToObject(st, "Resource");

			cJSON_ArrayForEach(r, a)
				cJSON_AddItemToArray(arr,
				    cJSON_CreateString(r->string));
		}
		c = cJSON_GetObjectItemCaseSensitive(p->conds, a->string);
		if (c != NULL)
			cJSON_AddItemToObject(st, "Condition",
			    cJSON_Duplicate(c, 1));
		cJSON_AddItemToArray(sts, st);
	}
	return doc;
}

int
iampolicy_write(struct xlate *x, const char *account)
{
	struct pol p;
	cJSON *doc, *req;
	const struct iam_row *r;
	size_t i;
	int rc;
	bool aas = false;

	memset(&p, 0, sizeof(p));
	p.acts = cJSON_CreateObject();
	p.conds = cJSON_CreateObject();
	p.part = x->ex->partition != NULL ? x->ex->partition : "aws";
	p.region = opt_str(x->opt, "region");
	p.account = account;
	p.cluster = opt_str(x->opt, "ecs-cluster");
	for (i = 0; i < x->plan->nsteps; i++) {
		const struct plan_step *s = &x->plan->steps[i];

		if (strncmp(s->action, "spot:", 5) == 0)
			continue;	/* Spot API: not IAM */
		r = row_find(s->action);
		if (r == NULL) {
			log_errx("%s: no IAM mapping for action %s "
			    "(translate/iampolicy.c)", s->id, s->action);
			cJSON_Delete(p.acts);
			cJSON_Delete(p.conds);
			return -1;
		}
		if (strncmp(s->action, IAMPOLICY_AAS, strlen(IAMPOLICY_AAS)) ==
		    0)
			aas = true;
		req = request_json(x, s->request);
		add_row(&p, r, req);
		add_implicit(&p, s->action, req);
		cJSON_Delete(req);
	}
	/* The executor's reads: preflight and reconcile, on every service. */
	for (r = iam_table; r->op != NULL; r++) {
		if (strncmp(r->op, "exec:", 5) != 0 || (!aas &&
		    strncmp(r->iam, IAMPOLICY_AAS, strlen(IAMPOLICY_AAS)) == 0))
			continue;
		if (r->res == RES_SERVICE) {
			for (i = 0; i < x->nmig; i++) {
				add_service(&p, r->iam, x->mig[i]->cluster !=
				    NULL ? x->mig[i]->cluster : p.cluster,
				    x->mig[i]->name);
				add_service(&p, r->iam, x->mig[i]->cluster !=
				    NULL ? x->mig[i]->cluster : p.cluster,
				    x->mig[i]->newname);
			}
		} else
			add_row(&p, r, NULL);
	}
	/* The preflight reads the alarms the manifest fingerprints. */
	for (i = 0; x->ex->aas[XAAS_ALARM].pages > 0 && i < x->nmig; i++) {
		const struct xscaling *sc = x->mig[i]->scaling;
		size_t k;

		for (k = 0; sc != NULL && sc->target != NULL &&
		    k < sc->nalarms; k++)
			add_alarm(&p, "cloudwatch:DescribeAlarms",
			    sc->alarms[k]->key);
	}
	doc = pol_document(&p);
	rc = bundle_add_json(x->bundle, "iam-policy.json", doc);
	cJSON_Delete(doc);
	cJSON_Delete(p.acts);
	cJSON_Delete(p.conds);
	return rc;
}
