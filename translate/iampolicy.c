/*
 * iam-policy.json from the plan: each step's action (and each read
 * f2o-exec makes on its own) mapped to IAM actions scoped to resources.
 */
/*
 * The one table below maps a plan action or executor operation to its IAM
 * action and resource kind; a new operation is one row. Statements are
 * one per IAM action, resources sorted, so the document is deterministic.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "hashmap.h"
#include "iampolicy.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "plan.h"
#include "strbuf.h"
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
#define IAM_MAX_PENDING	64	/* request summaries waiting for a step */
#define IAM_MAX_PIECES	4	/* of a resource made by pol_arnv() */
#define IAM_SPILL	(1024 * 1024)	/* policy text held, then spilled */
#define IAM_SEEN	64		/* pairs noted lately, by hash */

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

/* A request waiting for the plan step that sends it. */
struct iam_pending {
	char	*path;		/* the request file */
	cJSON	*req;		/* its request */
};

/*
 * The policy taken in a step at a time, in plan order, as the stages add
 * them: each request is kept when ctx_request() stores it (the last
 * IAM_MAX_PENDING of them), so no request file is read back.
 */
struct iampolicy {
	/*
	 * The set: pairs of an IAM action and a resource, "Lresource" (as
	 * written) or "Tsvc:rest" (an ARN of this account,
	 * "arn:PART:svc:REGION:ACCOUNT:rest", completed once the account is
	 * known), each kept once and numbered (a service's ARN is named by
	 * several actions); the set of each action is sorted at the end.
	 */
	struct hashmap acts;	/* IAM action -> its number */
	struct hashmap res;	/* resource -> its number */
	size_t	 near_act[2], near_res[2];	/* number()'s last two */
	uint64_t *pairs;	/* action number << 32 | resource number */
	size_t	 npairs;
	struct idxmap pairset;	/* pairs, found */
	uint64_t seen[IAM_SEEN];	/* pairs + 1 noted lately, or 0 */
	char	*key;		/* room to make a resource in */
	size_t	 keycap;
	cJSON	*conds;		/* IAM action -> Condition */
	size_t	 next;		/* first plan step not taken in yet */
	struct plan_reader rd;	/* the steps, read back (a spilled plan) */
	struct iam_pending pend[IAM_MAX_PENDING];
	size_t	 npend;
	bool	 aas;		/* the plan has Application Auto Scaling steps */
	const char *region, *cluster;	/* the options (x->opt's) */
};

struct pol {
	struct iampolicy *ip;
	const char *part, *region, *cluster;
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

/* The number of key in m, numbered in the order added; the last two
 * numbered (near) come back often: a service's steps, one by one. */
static uint64_t
number(struct hashmap *m, const char *key, size_t near[2])
{
	size_t v;

	if (near[0] < m->len && strcmp(m->keys[near[0]], key) == 0)
		return near[0];
	if (near[1] < m->len && strcmp(m->keys[near[1]], key) == 0)
		v = near[1];
	else if (!hashmap_get(m, key, &v)) {
		v = m->len;
		hashmap_put(m, key, v);
	}
	near[1] = near[0];
	near[0] = v;
	return v;
}

/* Whether pair i is the pair at key (idxmap_eq_fn). */
static int
pair_is(void *arg, size_t i, const char *key)
{
	const struct iampolicy *ip = arg;
	uint64_t k;

	memcpy(&k, key, sizeof(k));
	return ip->pairs[i] == k;
}

/*
 * Note iam with "KIND" followed by the n pieces (a NULL one reads
 * "(null)", as printf wrote it) in the set; the resource is made in a
 * buffer kept for the next one, not printed anew.
 */
static void
pol_key(struct pol *p, const char *iam, char kind, const char *const *piece,
    size_t n)
{
	struct iampolicy *ip = p->ip;
	size_t i, len = 2, at = 0;
	const char *s;
	uint64_t pair;
	uint32_t h;

	for (i = 0; i < n; i++)
		len += strlen(piece[i] != NULL ? piece[i] : "(null)");
	if (len > ip->keycap) {
		ip->keycap = len * 2;
		free(ip->key);
		ip->key = xmalloc(ip->keycap);
	}
	ip->key[at++] = kind;
	for (i = 0; i < n; i++) {
		s = piece[i] != NULL ? piece[i] : "(null)";
		memcpy(ip->key + at, s, strlen(s));
		at += strlen(s);
	}
	ip->key[at] = '\0';
	pair = number(&ip->acts, iam, ip->near_act) << 32 |
	    number(&ip->res, ip->key, ip->near_res);
	h = (uint32_t)((pair * 0x9E3779B97F4A7C15ULL) >> 32);
	if (ip->seen[h % IAM_SEEN] == pair + 1)
		return;		/* noted lately: no look-up in the set */
	ip->seen[h % IAM_SEEN] = pair + 1;
	if (idxmap_find(&ip->pairset, (const char *)&pair, h, pair_is, ip,
	    &i) == 1)
		return;
	ip->pairs = xgrow(ip->pairs, ip->npairs, sizeof(*ip->pairs));
	ip->pairs[ip->npairs] = pair;
	idxmap_add(&ip->pairset, h, ip->npairs++);
}

/* Add res to iam's set, as written. */
static void
pol_add(struct pol *p, const char *iam, const char *res)
{
	pol_key(p, iam, 'L', &res, 1);
}

/* Add "arn:PART:svc:REGION:ACCOUNT:" + rest... (n pieces) to iam's set. */
static void
pol_arnv(struct pol *p, const char *iam, const char *svc,
    const char *const *rest, size_t n)
{
	const char *piece[IAM_MAX_PIECES + 2];
	size_t i;

	piece[0] = svc;
	piece[1] = ":";
	for (i = 0; i < n && i < IAM_MAX_PIECES; i++)
		piece[i + 2] = rest[i];
	pol_key(p, iam, 'T', piece, i + 2);
}

/* Add "arn:PART:svc:REGION:ACCOUNT:rest" to iam's set. */
static void
pol_arn(struct pol *p, const char *iam, const char *svc, const char *rest)
{
	pol_arnv(p, iam, svc, &rest, 1);
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
	const char *rest[] = { "service/", cluster, "/", name };

	if (is_ref(name) || is_ref(cluster)) {
		pol_add(p, iam, "*");
		return;
	}
	pol_arnv(p, iam, "ecs", rest, sizeof(rest) / sizeof(rest[0]));
}

static void
add_alarm(struct pol *p, const char *iam, const char *name)
{
	const char *rest[] = { "alarm:", name };

	if (is_ref(name)) {
		pol_add(p, iam, "*");
		return;
	}
	pol_arnv(p, iam, "cloudwatch", rest, sizeof(rest) / sizeof(rest[0]));
}

static void
add_row(struct pol *p, const struct iam_row *r, const cJSON *req)
{
	const char *cl = req != NULL ? json_str(req, "cluster") : NULL, *s;
	const cJSON *it;
	char *rest;

	if (cl == NULL)
		cl = p->cluster;
	switch (r->res) {
	case RES_ANY:
		pol_add(p, r->iam, "*");
		break;
	case RES_SERVICE:
		if ((s = json_str(req, "serviceName")) != NULL)
			add_service(p, r->iam, cl, s);
		if ((s = json_str(req, "service")) != NULL)
			add_service(p, r->iam, cl, s);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(req,
		    "services"))
			add_service(p, r->iam, cl, cJSON_GetStringValue(it));
		break;
	case RES_CLUSTER:
		rest = xasprintf("cluster/%s", p->cluster);
		pol_arn(p, r->iam, "ecs", rest);
		free(rest);
		break;
	case RES_SG_VPC:
		rest = xasprintf("vpc/%s", is_ref(json_str(req, "VpcId")) ?
		    "*" : json_str(req, "VpcId"));
		pol_arn(p, r->iam, "ec2", rest);
		free(rest);
		/* FALLTHROUGH */
	case RES_SG:
		pol_arn(p, r->iam, "ec2", "security-group/*");
		break;
	case RES_TAG_ARN:
		pol_add(p, r->iam, is_ref(json_str(req, "resourceArn")) ? "*" :
		    json_str(req, "resourceArn"));
		break;
	case RES_ALARM:
		if ((s = json_str(req, "AlarmName")) != NULL)
			add_alarm(p, r->iam, s);
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
	cJSON *c = cJSON_GetObjectItemCaseSensitive(p->ip->conds, iam), *se,
	    *v;

	if (c == NULL) {
		c = cJSON_AddObjectToObject(p->ip->conds, iam);
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
		pol_arn(p, "iam:CreateServiceLinkedRole", "iam",
		    "role/aws-service-role/" IAMPOLICY_AAS_ECS "/"
		    "AWSServiceRoleForApplicationAutoScaling_ECSService");
		set_cond(p, "iam:CreateServiceLinkedRole", "StringEquals",
		    "iam:AWSServiceName", IAMPOLICY_AAS_ECS);
	}
	if ((strcmp(action, IAMPOLICY_AAS "PutScalingPolicy") == 0 &&
	    json_str(req, "PolicyType") != NULL &&
	    strcmp(json_str(req, "PolicyType"), "TargetTrackingScaling") ==
	    0) || strcmp(action, IAMPOLICY_AAS "DeregisterScalableTarget") ==
	    0) {
		arn = xasprintf("alarm:TargetTracking-%s-*", rid);
		for (k = cw; *k != NULL; k++)
			pol_arn(p, *k, "cloudwatch", arn);
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
		pol_arn(p, "ec2:CreateTags", "ec2", "security-group/*");
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

struct iampolicy *
iampolicy_new(void)
{
	struct iampolicy *ip = xcalloc(1, sizeof(*ip));

	hashmap_init(&ip->acts);
	hashmap_init(&ip->res);
	ip->conds = cJSON_CreateObject();
	return ip;
}

static void
pend_drop(struct iampolicy *ip, size_t i)
{
	free(ip->pend[i].path);
	cJSON_Delete(ip->pend[i].req);
	memmove(&ip->pend[i], &ip->pend[i + 1], (ip->npend - i - 1) *
	    sizeof(ip->pend[0]));
	ip->npend--;
}

void
iampolicy_free(struct iampolicy *ip)
{
	if (ip == NULL)
		return;
	while (ip->npend > 0)
		pend_drop(ip, ip->npend - 1);
	hashmap_cleanup(&ip->acts);
	hashmap_cleanup(&ip->res);
	free(ip->pairs);
	idxmap_cleanup(&ip->pairset);
	free(ip->key);
	cJSON_Delete(ip->conds);
	plan_reader_cleanup(&ip->rd);
	free(ip);
}

/* The summary noted for path (taken: free it), or NULL. */
static cJSON *
pend_take(struct iampolicy *ip, const char *path)
{
	cJSON *req;
	size_t i;

	for (i = 0; i < ip->npend; i++)
		if (strcmp(ip->pend[i].path, path) == 0) {
			req = ip->pend[i].req;
			ip->pend[i].req = NULL;
			pend_drop(ip, i);
			return req;
		}
	return NULL;
}

/*
 * Take in the plan steps added since the last call, in plan order. Before
 * the end (final false) stop at a step whose request file is not made yet
 * or whose action has no row: the end reports that. A request noted by
 * iampolicy_note_take() is used as noted; any other is read back.
 */
static int
take_steps(struct xlate *x, struct iampolicy *ip, bool final)
{
	struct pol p;
	const struct iam_row *r;
	cJSON *req;

	p.ip = ip;
	p.part = x->ex != NULL && x->ex->partition != NULL ?
	    x->ex->partition : "aws";
	if (ip->cluster == NULL) {	/* looked up once, not per step */
		ip->region = opt_str(x->opt, "region");
		ip->cluster = opt_str(x->opt, "ecs-cluster");
	}
	p.region = ip->region;
	p.cluster = ip->cluster;
	if (ip->rd.p != x->plan) {
		plan_reader_cleanup(&ip->rd);
		plan_reader_init(&ip->rd, x->plan);
	}
	for (; ip->next < x->plan->nsteps; ip->next++) {
		const struct plan_step *s = plan_reader_get(&ip->rd, ip->next);

		if (s == NULL)
			return -1;

		if (strncmp(s->action, "spot:", 5) == 0)
			continue;	/* Spot API: not IAM */
		r = row_find(s->action);
		if (r == NULL) {
			if (!final)
				return 0;
			log_errx("%s: no IAM mapping for action %s "
			    "(translate/iampolicy.c)", s->id, s->action);
			return -1;
		}
		req = NULL;
		if (s->request != NULL) {
			req = pend_take(ip, s->request);
			if (req == NULL && !final &&
			    bundle_find(x->bundle, s->request) == NULL)
				return 0;
			if (req == NULL)
				req = bundle_json(x->bundle, s->request);
		}
		if (strncmp(s->action, IAMPOLICY_AAS,
		    strlen(IAMPOLICY_AAS)) == 0)
			ip->aas = true;
		add_row(&p, r, req);
		add_implicit(&p, s->action, req);
		cJSON_Delete(req);
	}
	return 0;
}

void
iampolicy_note_take(struct xlate *x, const char *path, cJSON *req)
{
	struct iampolicy *ip = x->iam;

	if (ip == NULL) {
		cJSON_Delete(req);
		return;
	}
	(void)take_steps(x, ip, false);
	if (ip->npend == IAM_MAX_PENDING)
		pend_drop(ip, 0);	/* read back at the end */
	ip->pend[ip->npend].path = xstrdup(path);
	ip->pend[ip->npend].req = req;
	ip->npend++;
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

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A resource of the set ("Lres" or "Tsvc:rest"), complete. */
static char *
key_res(const char *key, const char *part, const char *region,
    const char *account)
{
	const char *colon;

	if (key[0] != 'T')
		return xstrdup(key + 1);
	colon = strchr(key + 1, ':');
	/* IAM is global: its ARNs name no region */
	return xasprintf("arn:%s:%.*s:%s:%s:%s", part,
	    (int)(colon - (key + 1)), key + 1,
	    strncmp(key + 1, "iam:", 4) == 0 ? "" : region, account,
	    colon + 1);
}

/*
 * The statements: one per action in name order, its resources complete,
 * sorted and unique ("*" alone when the set holds "*"). Only one action's
 * resources are made at a time (one can name every service twice). The
 * set is spent: its pairs sorted by the rank of their action.
 */
static int
pol_document(struct xlate *x, struct iampolicy *ip, const char *account,
    struct strbuf *sb)
{
	cJSON *doc = cJSON_CreateObject(), *st = NULL, *arr = NULL, *c;
	struct json_stream js;
	const char *part = x->ex != NULL && x->ex->partition != NULL ?
	    x->ex->partition : "aws", *region = opt_str(x->opt, "region"),
	    *act;
	char **acts = xreallocarray(NULL, ip->acts.len + 1, sizeof(*acts));
	uint64_t *rank = xreallocarray(NULL, ip->acts.len + 1, sizeof(*rank));
	char **res, *sid;
	size_t i, j, k, n = ip->npairs;
	bool any;
	int rc;

	/* The actions by name: each one's rank. */
	memcpy(acts, ip->acts.keys, ip->acts.len * sizeof(*acts));
	qsort(acts, ip->acts.len, sizeof(*acts), cmp_str);
	for (i = 0; i < ip->acts.len; i++)
		if (hashmap_get(&ip->acts, acts[i], &k))
			rank[k] = i;
	idxmap_cleanup(&ip->pairset);
	memset(ip->seen, 0, sizeof(ip->seen));
	for (i = 0; i < n; i++)
		ip->pairs[i] = rank[ip->pairs[i] >> 32] << 32 |
		    (ip->pairs[i] & UINT32_MAX);
	qsort(ip->pairs, n, sizeof(*ip->pairs), cmp_u64);
	json_add_str(doc, "Version", "2012-10-17");
	/* A statement at a time. */
	(void)cJSON_AddArrayToObject(doc, "Statement");
	rc = json_stream_open(&js, sb, doc, "Statement");
	for (i = 0; rc == 0 && i < n; i = j) {
		for (j = i + 1; j < n && ip->pairs[j] >> 32 ==
		    ip->pairs[i] >> 32; j++)
			;
		act = acts[ip->pairs[i] >> 32];
		res = xreallocarray(NULL, j - i, sizeof(*res));
		any = false;
		for (k = 0; k < j - i; k++) {
			res[k] = key_res(ip->res.keys[ip->pairs[i + k] &
			    UINT32_MAX], part, region, account);
			if (strcmp(res[k], "*") == 0)
				any = true;
		}
		qsort(res, j - i, sizeof(*res), cmp_str);
		st = cJSON_CreateObject();
		sid = sid_of(act);
		json_add_str(st, "Sid", sid);
		free(sid);
		json_add_str(st, "Effect", "Allow");
		json_add_str(st, "Action", act);
		if (any)
			json_add_str(st, "Resource", "*");
		else {
			/* References: res outlives the statement. */
			arr = cJSON_AddArrayToObject(st, "Resource");
			for (k = 0; k < j - i; k++)
				if (k == 0 || strcmp(res[k], res[k - 1]) != 0)
					cJSON_AddItemToArray(arr,
					    cJSON_CreateStringReference(res[k]));
		}
		c = cJSON_GetObjectItemCaseSensitive(ip->conds, act);
		if (c != NULL)
			cJSON_AddItemToObject(st, "Condition",
			    cJSON_Duplicate(c, 1));
		json_stream_item(&js, st);
		cJSON_Delete(st);
		for (k = 0; k < j - i; k++)
			free(res[k]);
		free(res);
		strbuf_spill(sb, IAM_SPILL);
	}
	if (rc == 0)
		json_stream_close(&js);
	ip->npairs = 0;		/* spent */
	free(acts);
	free(rank);
	cJSON_Delete(doc);
	return rc;
}

int
iampolicy_write(struct xlate *x, const char *account)
{
	struct iampolicy *ip = x->iam != NULL ? x->iam : iampolicy_new();
	struct pol p;
	struct strbuf sb;
	const struct iam_row *r;
	size_t i;
	int rc = -1;

	if (take_steps(x, ip, true) == -1)
		goto out;
	p.ip = ip;
	p.part = x->ex->partition != NULL ? x->ex->partition : "aws";
	p.region = opt_str(x->opt, "region");
	p.cluster = opt_str(x->opt, "ecs-cluster");
	/* The executor's reads: preflight and reconcile, on every service. */
	for (r = iam_table; r->op != NULL; r++) {
		if (strncmp(r->op, "exec:", 5) != 0 || (!ip->aas &&
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
	strbuf_init(&sb, SIZE_MAX / 2);	/* the bundle's limit applies */
	if (pol_document(x, ip, account, &sb) == 0)
		rc = bundle_add_strbuf(x->bundle, "iam-policy.json", &sb);
	strbuf_cleanup(&sb);
out:
	if (ip != x->iam)
		iampolicy_free(ip);
	return rc;
}
