/*
 * Application Auto Scaling and CloudWatch requests of the autoscale stage,
 * and its cutover and rollback steps (hooks called from cutover.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale.h"
#include "autoscale_int.h"
#include "ctx.h"
#include "export.h"
#include "fingerprint.h"
#include "jsonutil.h"
#include "modelcheck.h"
#include "options.h"
#include "xalloc.h"

static const char *const action_lists[] = { "AlarmActions", "OKActions",
	"InsufficientDataActions", NULL };
static const char *const policy_configs[] = {
	"StepScalingPolicyConfiguration",
	"TargetTrackingScalingPolicyConfiguration",
	"PredictiveScalingPolicyConfiguration", NULL
};

static const char *
cluster_of(const struct xlate *x, const struct xsvc *s)
{
	return s->cluster != NULL ? s->cluster : opt_str(x->opt,
	    "ecs-cluster");
}

char *
as_resource(const struct xlate *x, const struct xsvc *s, enum as_for f)
{
	return xasprintf("service/%s/%s", cluster_of(x, s), f == AS_COPY ?
	    s->newname : s->name);
}

char *
as_prefix(const struct xsvc *s, enum as_for f)
{
	if (f == AS_COPY)
		return xasprintf("as/%s:", s->newname);
	return xasprintf("%s/%s:", f == AS_CUT ? "cut" : "rb", s->name);
}

char *
as_policy_step(const struct xsvc *s, size_t i, enum as_for f)
{
	char *p = as_prefix(s, f), *id = xasprintf("%spolicy-%zu", p, i + 1);

	free(p);
	return id;
}

char *
as_copy_alarm_name(const struct xsvc *s, const char *name)
{
	char *n = xasprintf("f2o-%s-%s", s->newname, name);
	size_t len = strlen(n);

	if (len > AUTOSCALE_ALARM_MAX) {
		len = AUTOSCALE_ALARM_MAX;
		/* Never cut inside a UTF-8 sequence. */
		while (len > 0 && ((unsigned char)n[len] & 0xc0) == 0x80)
			len--;
		n[len] = '\0';
	}
	return n;
}

/* Dimension {"Name": "ServiceName", "Value": from} -> to, anywhere. */
static void
rename_service(cJSON *node, const char *from, const char *to)
{
	cJSON *c;
	const char *n = json_str(node, "Name"), *v = json_str(node, "Value");

	if (cJSON_IsObject(node) && n != NULL && v != NULL &&
	    strcmp(n, "ServiceName") == 0 && strcmp(v, from) == 0)
		cJSON_ReplaceItemInObjectCaseSensitive(node, "Value",
		    cJSON_CreateString(to));
	for (c = node != NULL ? node->child : NULL; c != NULL; c = c->next)
		rename_service(c, from, to);
}

static cJSON *
req_base(const struct xlate *x, const struct xsvc *s, enum as_for f)
{
	cJSON *r = cJSON_CreateObject();
	char *rid = as_resource(x, s, f);

	json_add_str(r, "ServiceNamespace", "ecs");
	json_add_str(r, "ResourceId", rid);
	json_add_str(r, "ScalableDimension", AUTOSCALE_DIMENSION);
	free(rid);
	return r;
}

static cJSON *
checked(cJSON *r, bool cw, const char *op, const struct xaas *a)
{
	if ((cw ? modelcheck_cw(op, r, a->src, a->jpath) :
	    modelcheck_aas(op, r, a->src, a->jpath)) == -1) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

cJSON *
as_req_target(const struct xlate *x, const struct xsvc *s, enum as_for f,
    bool suspend_all)
{
	const cJSON *t = s->scaling->target->obj, *ss;
	cJSON *r = req_base(x, s, f), *o;

	if (suspend_all) {
		o = cJSON_AddObjectToObject(r, "SuspendedState");
		json_add_bool(o, "DynamicScalingInSuspended", true);
		json_add_bool(o, "DynamicScalingOutSuspended", true);
		json_add_bool(o, "ScheduledScalingSuspended", true);
		return checked(r, false, "RegisterScalableTarget",
		    s->scaling->target);
	}
	cJSON_AddItemToObject(r, "MinCapacity", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(t, "MinCapacity"), 1));
	cJSON_AddItemToObject(r, "MaxCapacity", cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(t, "MaxCapacity"), 1));
	/* No RoleARN: ECS scaling uses the service-linked role. */
	ss = cJSON_GetObjectItemCaseSensitive(t, "SuspendedState");
	o = cJSON_AddObjectToObject(r, "SuspendedState");
	json_add_bool(o, "DynamicScalingInSuspended", cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(ss, "DynamicScalingInSuspended")));
	json_add_bool(o, "DynamicScalingOutSuspended", cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(ss,
	    "DynamicScalingOutSuspended")));
	json_add_bool(o, "ScheduledScalingSuspended", cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(ss, "ScheduledScalingSuspended")));
	return checked(r, false, "RegisterScalableTarget", s->scaling->target);
}

cJSON *
as_req_deregister(const struct xlate *x, const struct xsvc *s, enum as_for f)
{
	return checked(req_base(x, s, f), false, "DeregisterScalableTarget",
	    s->scaling->target);
}

cJSON *
as_req_policy(const struct xlate *x, const struct xsvc *s, size_t i,
    enum as_for f)
{
	const struct xaas *p = s->scaling->policies[i];
	const char *const *k;
	cJSON *r = cJSON_CreateObject(), *b = req_base(x, s, f), *c;

	json_add_str(r, "PolicyName", json_str(p->obj, "PolicyName"));
	while ((c = b->child) != NULL)
		cJSON_AddItemToObject(r, c->string,
		    cJSON_DetachItemViaPointer(b, c));
	cJSON_Delete(b);
	json_add_str(r, "PolicyType", json_str(p->obj, "PolicyType"));
	for (k = policy_configs; *k != NULL; k++) {
		c = cJSON_GetObjectItemCaseSensitive(p->obj, *k);
		if (c == NULL || json_is_unset(c))
			continue;
		c = cJSON_Duplicate(c, 1);
		if (f == AS_COPY)
			rename_service(c, s->name, s->newname);
		cJSON_AddItemToObject(r, *k, c);
	}
	return checked(r, false, "PutScalingPolicy", p);
}

cJSON *
as_req_action(const struct xlate *x, const struct xsvc *s, size_t i,
    enum as_for f)
{
	static const char *const times[] = { "StartTime", "EndTime", NULL };
	const struct xaas *a = s->scaling->actions[i];
	const char *const *k;
	cJSON *r = req_base(x, s, f), *c;
	double t;

	json_add_str(r, "ScheduledActionName", json_str(a->obj,
	    "ScheduledActionName"));
	json_add_str(r, "Schedule", json_str(a->obj, "Schedule"));
	if (json_str(a->obj, "Timezone") != NULL)
		json_add_str(r, "Timezone", json_str(a->obj, "Timezone"));
	/* The JSON protocol's timestamps: seconds since 1970. */
	for (k = times; *k != NULL; k++) {
		c = cJSON_GetObjectItemCaseSensitive(a->obj, *k);
		if (c != NULL && !cJSON_IsNull(c) && export_time(c, &t) == 0)
			json_add_num(r, *k, t);
	}
	c = cJSON_GetObjectItemCaseSensitive(a->obj, "ScalableTargetAction");
	if (c != NULL && !json_is_unset(c))
		cJSON_AddItemToObject(r, "ScalableTargetAction",
		    cJSON_Duplicate(c, 1));
	return checked(r, false, "PutScheduledAction", a);
}

/* In the action lists, each carried policy's ARN -> its step's PolicyARN. */
static void
point_actions(cJSON *r, const struct xsvc *s, enum as_for f)
{
	const char *const *k;
	cJSON *list, *c, *next;
	size_t i;

	for (k = action_lists; *k != NULL; k++) {
		list = cJSON_GetObjectItemCaseSensitive(r, *k);
		for (c = list != NULL ? list->child : NULL; c != NULL;
		    c = next) {
			next = c->next;
			for (i = 0; cJSON_IsString(c) &&
			    i < s->scaling->npolicies; i++) {
				const char *arn = json_str(
				    s->scaling->policies[i]->obj, "PolicyARN");
				char *id, *ref;

				if (arn == NULL || strcmp(arn,
				    c->valuestring) != 0)
					continue;
				if (s->scaling->dropped[i] && f != AS_RB) {
					cJSON_Delete(cJSON_DetachItemViaPointer(
					    list, c));
					break;
				}
				id = as_policy_step(s, i, f);
				ref = plan_ref(id, "PolicyARN");
				cJSON_ReplaceItemViaPointer(list, c,
				    cJSON_CreateString(ref));
				free(ref);
				free(id);
				break;
			}
		}
	}
}

cJSON *
as_req_alarm(const struct xlate *x, const struct xsvc *s, size_t i,
    enum as_for f)
{
	const struct xaas *al = s->scaling->alarms[i];
	const char *const *k;
	const cJSON *c;
	cJSON *r = cJSON_CreateObject();
	char *name;

	(void)x;
	name = f == AS_COPY ? as_copy_alarm_name(s, json_str(al->obj,
	    "AlarmName")) : xstrdup(json_str(al->obj, "AlarmName"));
	json_add_str(r, "AlarmName", name);
	free(name);
	for (k = fingerprint_alarm_members; *k != NULL; k++) {
		c = cJSON_GetObjectItemCaseSensitive(al->obj, *k);
		if (c != NULL && !cJSON_IsNull(c))
			cJSON_AddItemToObject(r, *k, cJSON_Duplicate(c, 1));
	}
	if (f == AS_COPY) {
		rename_service(cJSON_GetObjectItemCaseSensitive(r,
		    "Dimensions"), s->name, s->newname);
		rename_service(cJSON_GetObjectItemCaseSensitive(r, "Metrics"),
		    s->name, s->newname);
	}
	point_actions(r, s, f);
	return checked(r, true, "PutMetricAlarm", al);
}

cJSON *
as_req_copy_alarms_delete(const struct xlate *x, const struct xsvc *s)
{
	cJSON *r, *names;
	size_t i;

	(void)x;
	if (s->scaling->nalarms == 0)
		return NULL;
	r = cJSON_CreateObject();
	names = cJSON_AddArrayToObject(r, "AlarmNames");
	for (i = 0; i < s->scaling->nalarms; i++) {
		char *n = as_copy_alarm_name(s, json_str(
		    s->scaling->alarms[i]->obj, "AlarmName"));

		cJSON_AddItemToArray(names, cJSON_CreateString(n));
		free(n);
	}
	return checked(r, true, "DeleteAlarms", s->scaling->alarms[0]);
}

struct plan_step *
as_step(struct xlate *x, const char *phase, const char *id,
    const char *action, char *title, cJSON *req, char **prev,
    const char *extra, const char *undoes)
{
	struct plan_step *st = NULL;
	char *path;

	if (req == NULL) {
		free(title);
		return NULL;
	}
	path = ctx_request_take(x, id, req);
	if (path != NULL)
		st = plan_add(x->plan, id, phase, action, title, path, NULL);
	free(path);
	free(title);
	if (st == NULL)
		return NULL;
	if (prev != NULL && *prev != NULL)
		plan_step_after(st, *prev);
	if (extra != NULL)
		plan_step_after(st, extra);
	if (undoes != NULL)
		plan_step_undoes(st, undoes);
	if (strcmp(action, "application-autoscaling:RegisterScalableTarget") ==
	    0)
		plan_step_output(st, "ScalableTargetARN", "ScalableTargetARN");
	if (strcmp(action, "application-autoscaling:PutScalingPolicy") == 0)
		plan_step_output(st, "PolicyARN", "PolicyARN");
	if (prev != NULL) {
		free(*prev);
		*prev = xstrdup(id);
	}
	return st;
}

#define A_TARGET	"application-autoscaling:RegisterScalableTarget"
#define A_DEREGISTER	"application-autoscaling:DeregisterScalableTarget"
#define A_POLICY	"application-autoscaling:PutScalingPolicy"
#define A_ACTION	"application-autoscaling:PutScheduledAction"
#define A_ALARM		"cloudwatch:PutMetricAlarm"
#define A_DELALARMS	"cloudwatch:DeleteAlarms"

int
autoscale_cut_suspend(struct xlate *x, const struct xsvc *s, char **prev)
{
	char *id;
	int rc;

	if (s->scaling == NULL)
		return 0;
	id = xasprintf("cut/%s:suspend", s->name);
	rc = as_step(x, MODEL_PHASE_CUTOVER, id, A_TARGET, xasprintf("suspend "
	    "the scaling of %s (dynamic in/out, scheduled), so its autoscaler "
	    "does not fight the scale-down", s->name), as_req_target(x, s,
	    AS_CUT, true), prev, NULL, NULL) != NULL ? 0 : -1;
	free(id);
	return rc;
}

/*
 * Target, policies, scheduled actions and alarms of f, one after the
 * other (undoes: for the rollback's restore).
 */
static int
carry(struct xlate *x, const struct xsvc *s, enum as_for f, char **prev,
    const char *undoes)
{
	const char *phase = f == AS_RB ? MODEL_PHASE_ROLLBACK :
	    MODEL_PHASE_CUTOVER;
	const struct xscaling *sc = s->scaling;
	char *pfx = as_prefix(s, f), *id, *rid = as_resource(x, s, f);
	size_t i;
	int rc = -1;

	id = xasprintf("%starget", pfx);
	if (as_step(x, phase, id, A_TARGET, xasprintf("register %s as a "
	    "scalable target: min %.0f, max %.0f, suspended state as exported",
	    rid, cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
	    sc->target->obj, "MinCapacity")), cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(sc->target->obj, "MaxCapacity"))),
	    as_req_target(x, s, f,
	    false), prev, NULL, undoes) == NULL)
		goto out;
	for (i = 0; i < sc->npolicies; i++) {
		if (sc->dropped[i] && f != AS_RB)
			continue;
		free(id);
		id = as_policy_step(s, i, f);
		if (as_step(x, phase, id, A_POLICY, xasprintf("put %s policy "
		    "%s on %s", json_str(sc->policies[i]->obj, "PolicyType"),
		    json_str(sc->policies[i]->obj, "PolicyName"), rid),
		    as_req_policy(x, s, i, f), prev, NULL, undoes) == NULL)
			goto out;
	}
	for (i = 0; i < sc->nactions; i++) {
		free(id);
		id = xasprintf("%saction-%zu", pfx, i + 1);
		if (as_step(x, phase, id, A_ACTION, xasprintf("put scheduled "
		    "action %s (%s) on %s", json_str(sc->actions[i]->obj,
		    "ScheduledActionName"), json_str(sc->actions[i]->obj,
		    "Schedule"), rid), as_req_action(x, s, i, f), prev, NULL,
		    undoes) == NULL)
			goto out;
	}
	for (i = 0; i < sc->nalarms; i++) {
		free(id);
		id = xasprintf("%salarm-%zu", pfx, i + 1);
		if (as_step(x, phase, id, A_ALARM, xasprintf("put alarm %s "
		    "(its original name), its actions pointing at the %s "
		    "policies", json_str(sc->alarms[i]->obj, "AlarmName"),
		    f == AS_RB ? "restored" : "new service's"),
		    as_req_alarm(x, s, i, f), prev, NULL, undoes) == NULL)
			goto out;
	}
	rc = 0;
out:
	free(id);
	free(rid);
	free(pfx);
	return rc;
}

int
autoscale_cut_carry(struct xlate *x, const struct xsvc *s, char **prev)
{
	if (s->scaling == NULL)
		return 0;
	return carry(x, s, AS_CUT, prev, NULL);
}

/* Deregister the copy's target and delete its alarms. */
static int
copy_off(struct xlate *x, const struct xsvc *s, const char *phase,
    const char *pfx, char **prev, const char *undoes)
{
	char *id = xasprintf("%scopy-deregister", pfx);
	cJSON *del;
	int rc = -1;

	if (as_step(x, phase, id, A_DEREGISTER, xasprintf("deregister the "
	    "copy %s from Application Auto Scaling (its policies and "
	    "scheduled actions go with it), so nothing scales it back up",
	    s->newname), as_req_deregister(x, s, AS_COPY), prev, NULL,
	    undoes) == NULL)
		goto out;
	del = as_req_copy_alarms_delete(x, s);
	free(id);
	id = xasprintf("%scopy-alarms-delete", pfx);
	if (del != NULL && as_step(x, phase, id, A_DELALARMS,
	    xasprintf("delete the copy's alarms (f2o-%s-...)", s->newname),
	    del, prev, NULL, undoes) == NULL)
		goto out;
	rc = 0;
out:
	free(id);
	return rc;
}

int
autoscale_cut_copy_off(struct xlate *x, const struct xsvc *s, char **prev)
{
	char *pfx;
	int rc;

	if (s->scaling == NULL)
		return 0;
	pfx = xasprintf("cut/%s:", s->name);
	rc = copy_off(x, s, MODEL_PHASE_CUTOVER, pfx, prev, NULL);
	free(pfx);
	return rc;
}

int
autoscale_rb_ec2_off(struct xlate *x, const struct xsvc *s, char **prev)
{
	char *id, *u;
	int rc;

	if (s->scaling == NULL)
		return 0;
	id = xasprintf("rb/%s:ec2-deregister", s->name);
	u = xasprintf("cut/%s:target", s->name);
	rc = as_step(x, MODEL_PHASE_ROLLBACK, id, A_DEREGISTER,
	    xasprintf("deregister the EC2 service %s from Application Auto "
	    "Scaling (f2o registered it), so nothing scales it back up",
	    s->name), as_req_deregister(x, s, AS_CUT), prev, NULL, u) !=
	    NULL ? 0 : -1;
	free(u);
	free(id);
	return rc;
}

int
autoscale_rb_restore(struct xlate *x, const struct xsvc *s, char **prev)
{
	char *u;
	int rc;

	if (s->scaling == NULL)
		return 0;
	/* Every cutover that touched the original began by suspending it. */
	u = xasprintf("cut/%s:suspend", s->name);
	rc = carry(x, s, AS_RB, prev, u);
	free(u);
	return rc;
}

int
autoscale_rb_copy_off(struct xlate *x, const struct xsvc *s, char **prev)
{
	char *pfx, *u;
	int rc;

	if (s->scaling == NULL)
		return 0;
	pfx = xasprintf("rb/%s:", s->name);
	u = xasprintf("as/%s:target", s->newname);
	rc = copy_off(x, s, MODEL_PHASE_ROLLBACK, pfx, prev, u);
	free(u);
	free(pfx);
	return rc;
}
