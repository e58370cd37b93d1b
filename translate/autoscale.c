/*
 * Application Auto Scaling stage: the export's targets, policies, scheduled
 * actions and alarms matched to the migrated services; the copy's steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale.h"
#include "autoscale_int.h"
#include "ctx.h"
#include "export.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "xalloc.h"

#define ALARMS_CMD	"aws cloudwatch describe-alarms"
#define TARGETS_CMD	"aws application-autoscaling describe-scalable-targets " \
	"--service-namespace ecs"

static const char *const kind_what[XAAS__MAX] = { "scalable target",
	"scaling policy", "scheduled action", "alarm" };

void
autoscale_free(struct xscaling *sc)
{
	if (sc == NULL)
		return;
	free(sc->policies);
	free(sc->dropped);
	free(sc->actions);
	free(sc->alarms);
	free(sc);
}

bool
autoscale_any(const struct xlate *x)
{
	size_t i;

	for (i = 0; i < x->nmig; i++)
		if (x->mig[i]->scaling != NULL)
			return true;
	return false;
}

/*
 * The migrated service an item's ResourceId names, or NULL (a warning
 * for other namespaces and services not in the export). *bad on a
 * malformed ResourceId.
 */
static struct xsvc *
item_service(struct xlate *x, const struct xaas *a, int kind, int *bad)
{
	const char *ns = json_str(a->obj, "ServiceNamespace");
	const char *rid = json_str(a->obj, "ResourceId");
	const char *dim = json_str(a->obj, "ScalableDimension");
	const char *p, *q;
	char *key;
	size_t i;

	if (strcmp(ns, "ecs") != 0) {
		ctx_diag_warn(x, rid, a->src, a->jpath, ns, "export with "
		    "--service-namespace ecs to leave it out", "%s of another "
		    "namespace than ecs: ignored", kind_what[kind]);
		return NULL;
	}
	if (dim != NULL && strcmp(dim, AUTOSCALE_DIMENSION) != 0) {
		ctx_diag_warn(x, rid, a->src, a->jpath, dim, "f2o carries "
		    "only " AUTOSCALE_DIMENSION, "%s of another scalable "
		    "dimension: ignored", kind_what[kind]);
		return NULL;
	}
	p = strncmp(rid, "service/", 8) == 0 ? rid + 8 : NULL;
	q = p != NULL ? strchr(p, '/') : NULL;
	if (q == NULL || q == p || q[1] == '\0' || strchr(q + 1, '/') != NULL) {
		log_diag(1, a->src, a->jpath, rid, "export it again with the "
		    "AWS CLI", "ResourceId of an ECS %s must be "
		    "service/CLUSTER/SERVICE", kind_what[kind]);
		*bad = 1;
		return NULL;
	}
	key = xstrdup(p);
	/* A service exported without its clusterArn is in --ecs-cluster. */
	if (!hashmap_get(&x->ex->svc_idx, key, &i) &&
	    opt_str(x->opt, "ecs-cluster") != NULL &&
	    strlen(opt_str(x->opt, "ecs-cluster")) == (size_t)(q - p) &&
	    strncmp(opt_str(x->opt, "ecs-cluster"), p, (size_t)(q - p)) == 0) {
		free(key);
		key = xstrdup(q);	/* "/NAME": export_svc_key(NULL, NAME) */
	}
	if (!hashmap_get(&x->ex->svc_idx, key, &i)) {
		ctx_diag_warn(x, rid, a->src, a->jpath, rid, "add the "
		    "service's `aws ecs describe-services` output to migrate "
		    "it", "%s of a service that is not in the export: ignored",
		    kind_what[kind]);
		free(key);
		return NULL;
	}
	free(key);
	/* A service left alone was reported when it was not selected. */
	return x->ex->svcs[i].newname != NULL ? &x->ex->svcs[i] : NULL;
}

static struct xscaling *
scaling_of(struct xsvc *s)
{
	if (s->scaling == NULL)
		s->scaling = xcalloc(1, sizeof(*s->scaling));
	return s->scaling;
}

/* Targets, policies and actions attached to their services. */
static int
attach(struct xlate *x)
{
	struct xscaling *sc;
	struct xsvc *s;
	size_t i;
	int k, bad = 0;

	for (k = XAAS_TARGET; k <= XAAS_ACTION; k++) {
		const struct xaas_list *l = &x->ex->aas[k];

		for (i = 0; i < l->n; i++) {
			s = item_service(x, &l->items[i], k, &bad);
			if (s == NULL)
				continue;
			sc = scaling_of(s);
			if (k == XAAS_TARGET) {
				const char *role = json_str(l->items[i].obj,
				    "RoleARN");

				sc->target = &l->items[i];
				if (role != NULL && strstr(role,
				    ":role/aws-service-role/") == NULL)
					ctx_diag_warn(x, s->name,
					    l->items[i].src,
					    l->items[i].jpath, role, "grant "
					    "that role's permissions to the "
					    "service-linked role if it had "
					    "more", "custom RoleARN of the "
					    "scalable target not carried: the "
					    "copy and the EC2 service use "
					    "Application Auto Scaling's "
					    "service-linked role");
			}
			else if (k == XAAS_POLICY) {
				sc->policies = xreallocarray(sc->policies,
				    sc->npolicies + 1, sizeof(*sc->policies));
				sc->dropped = xreallocarray(sc->dropped,
				    sc->npolicies + 1, sizeof(*sc->dropped));
				sc->dropped[sc->npolicies] = false;
				sc->policies[sc->npolicies++] = &l->items[i];
			} else {
				sc->actions = xreallocarray(sc->actions,
				    sc->nactions + 1, sizeof(*sc->actions));
				sc->actions[sc->nactions++] = &l->items[i];
			}
		}
	}
	for (i = 0; i < x->nmig; i++) {
		const struct xaas *a;

		sc = x->mig[i]->scaling;
		if (sc == NULL || sc->target != NULL)
			continue;
		a = sc->npolicies > 0 ? sc->policies[0] : sc->actions[0];
		log_diag(1, a->src, a->jpath, json_str(a->obj, "ResourceId"),
		    "add the output of `" TARGETS_CMD "` (every page)", "%s of "
		    "service %s, whose scalable target is not in the export",
		    sc->npolicies > 0 ? "scaling policy" : "scheduled action",
		    x->mig[i]->name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

static bool
is_step(const struct xaas *p)
{
	return strcmp(json_str(p->obj, "PolicyType"), "StepScaling") == 0;
}

/* True when one of alarm al's action lists holds arn. */
static bool
alarm_points_at(const struct xaas *al, const char *arn)
{
	static const char *const lists[] = { "AlarmActions", "OKActions",
	    "InsufficientDataActions", NULL };
	const char *const *k;
	const cJSON *c;

	if (arn == NULL)
		return false;
	for (k = lists; *k != NULL; k++)
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(al->obj,
		    *k))
			if (cJSON_IsString(c) && strcmp(c->valuestring, arn) == 0)
				return true;
	return false;
}

/*
 * Step policy p of s: mark used[] with its alarms (by the policy's Alarms
 * list and by alarms whose actions name its ARN). Returns 0, 1 when the
 * alarms are missing (reported: error, or dropped with a warning), -1 on
 * an error.
 */
static int
step_alarms(struct xlate *x, struct xsvc *s, size_t pi, bool *used)
{
	const struct xaas *p = s->scaling->policies[pi];
	const struct xaas_list *al = &x->ex->aas[XAAS_ALARM];
	const cJSON *c;
	char names[512] = "", hint[900], why[700];
	const char *missing = NULL;
	size_t i, n = 0;
	bool drop = opt_bool(x->opt, "drop-step-scaling");

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(p->obj,
	    "Alarms")) {
		const char *name = json_str(c, "AlarmName");

		if (name == NULL || strncmp(name, AUTOSCALE_TT_PREFIX,
		    strlen(AUTOSCALE_TT_PREFIX)) == 0)
			continue;
		if (strlen(names) + strlen(name) + 2 < sizeof(names))
			(void)snprintf(names + strlen(names), sizeof(names) -
			    strlen(names), "%s%s", n++ > 0 ? " " : "", name);
		if (al->pages == 0)
			continue;
		if (hashmap_get(&al->idx, name, &i))
			used[i] = true;
		else if (missing == NULL)
			missing = name;
	}
	for (i = 0; i < al->n; i++)
		if (alarm_points_at(&al->items[i], json_str(p->obj,
		    "PolicyARN")) && strncmp(al->items[i].key,
		    AUTOSCALE_TT_PREFIX, strlen(AUTOSCALE_TT_PREFIX)) != 0)
			used[i] = true;
	/* No alarm invokes it: nothing to re-create. */
	if (n == 0 || (al->pages > 0 && missing == NULL))
		return 0;
	(void)snprintf(hint, sizeof(hint), "add the output of `" ALARMS_CMD
	    "%s%s` to the inputs, or pass --drop-step-scaling to leave step "
	    "scaling policies out", n > 0 ? " --alarm-names " : "", names);
	if (missing != NULL)
		(void)snprintf(why, sizeof(why), "alarm %s is not in the "
		    ALARMS_CMD " export", missing);
	else
		(void)snprintf(why, sizeof(why), "no " ALARMS_CMD " export "
		    "for alarms %s", names);
	if (drop) {
		s->scaling->dropped[pi] = true;
		ctx_diag_warn(x, s->name, p->src, p->jpath, json_str(p->obj,
		    "PolicyName"), "re-create it and its alarms by hand after "
		    "the cutover", "step scaling policy of service %s left out "
		    "by --drop-step-scaling (%s): neither the copy nor the EC2 "
		    "service gets it", s->name, why);
		return 1;
	}
	if (missing != NULL)
		log_diag(1, p->src, p->jpath, json_str(p->obj, "PolicyName"),
		    hint, "step scaling policy of service %s needs CloudWatch "
		    "alarm %s, which is not in the `" ALARMS_CMD "` export",
		    s->name, missing);
	else
		log_diag(1, p->src, p->jpath, json_str(p->obj, "PolicyName"),
		    hint, "step scaling policy of service %s needs its "
		    "CloudWatch alarms (%s), and no `" ALARMS_CMD "` export "
		    "is among the inputs", s->name, n > 0 ? names : "none "
		    "listed");
	return -1;
}

/* s->scaling->alarms: alarms of carried step policies, export order. */
static int
pick_alarms(struct xlate *x, struct xsvc *s)
{
	const struct xaas_list *al = &x->ex->aas[XAAS_ALARM];
	struct xscaling *sc = s->scaling;
	bool *used = xcalloc(al->n + 1, sizeof(bool)), *keep;
	size_t i, j;
	int rc = 0, r;

	keep = xcalloc(al->n + 1, sizeof(bool));
	for (i = 0; i < sc->npolicies; i++) {
		if (!is_step(sc->policies[i]))
			continue;
		memset(used, 0, (al->n + 1) * sizeof(bool));
		r = step_alarms(x, s, i, used);
		if (r == -1)
			rc = -1;
		for (j = 0; r == 0 && j < al->n; j++)
			keep[j] = keep[j] || used[j];
	}
	for (i = 0; rc == 0 && i < al->n; i++) {
		if (!keep[i])
			continue;
		sc->alarms = xreallocarray(sc->alarms, sc->nalarms + 1,
		    sizeof(*sc->alarms));
		sc->alarms[sc->nalarms++] = &al->items[i];
	}
	if (rc == 0 && sc->nalarms > AUTOSCALE_MAX_ALARMS) {
		log_diag(1, sc->alarms[0]->src, sc->alarms[0]->jpath, s->name,
		    "carry the service's step scaling by hand", "service %s has "
		    "%zu step scaling alarms, more than the %d f2o carries",
		    s->name, sc->nalarms, AUTOSCALE_MAX_ALARMS);
		rc = -1;
	}
	/* The copy's names are cut to 255 bytes: they must stay distinct. */
	for (i = 0; rc == 0 && i < sc->nalarms; i++)
		for (j = 0; j < i; j++) {
			char *a = as_copy_alarm_name(s, sc->alarms[i]->key);
			char *b = as_copy_alarm_name(s, sc->alarms[j]->key);
			int same = strcmp(a, b) == 0;

			free(a);
			free(b);
			if (!same)
				continue;
			log_diag(1, sc->alarms[i]->src, sc->alarms[i]->jpath,
			    sc->alarms[i]->key, "shorten the alarm names",
			    "alarm name cut to %d bytes for the copy equals "
			    "that of %s", AUTOSCALE_ALARM_MAX,
			    sc->alarms[j]->key);
			rc = -1;
			break;
		}
	free(used);
	free(keep);
	return rc;
}

/* The copy's steps: target, policies, scheduled actions, alarms. */
static int
import_steps(struct xlate *x, struct xsvc *s)
{
	struct xscaling *sc = s->scaling;
	char *tid = xasprintf("as/%s:target", s->newname), *id = NULL, *rid;
	struct plan_step *st;
	size_t i, j;
	int rc = -1;

	rid = as_resource(x, s, AS_COPY);
	if (as_step(x, MODEL_PHASE_IMPORT, tid,
	    "application-autoscaling:RegisterScalableTarget", xasprintf(
	    "register the copy %s as a scalable target like %s (min/max and "
	    "suspended state as exported)", rid, s->name), as_req_target(x,
	    s, AS_COPY, false), NULL, s->svc_step, NULL) == NULL)
		goto out;
	for (i = 0; i < sc->npolicies; i++) {
		if (sc->dropped[i])
			continue;
		free(id);
		id = as_policy_step(s, i, AS_COPY);
		if (as_step(x, MODEL_PHASE_IMPORT, id,
		    "application-autoscaling:PutScalingPolicy", xasprintf("put "
		    "%s policy %s on the copy %s", json_str(sc->policies[i]->obj,
		    "PolicyType"), json_str(sc->policies[i]->obj, "PolicyName"),
		    s->newname), as_req_policy(x, s, i, AS_COPY), NULL, tid,
		    NULL) == NULL)
			goto out;
	}
	for (i = 0; i < sc->nactions; i++) {
		free(id);
		id = xasprintf("as/%s:action-%zu", s->newname, i + 1);
		if (as_step(x, MODEL_PHASE_IMPORT, id,
		    "application-autoscaling:PutScheduledAction", xasprintf(
		    "put scheduled action %s (%s) on the copy %s", json_str(
		    sc->actions[i]->obj, "ScheduledActionName"), json_str(
		    sc->actions[i]->obj, "Schedule"), s->newname),
		    as_req_action(x, s, i, AS_COPY), NULL, tid, NULL) == NULL)
			goto out;
	}
	for (i = 0; i < sc->nalarms; i++) {
		char *name = as_copy_alarm_name(s, sc->alarms[i]->key);

		free(id);
		id = xasprintf("cw/%s:alarm-%zu", s->newname, i + 1);
		st = as_step(x, MODEL_PHASE_IMPORT, id,
		    "cloudwatch:PutMetricAlarm", xasprintf("create alarm %s "
		    "like %s, on the copy's metrics, its actions pointing at "
		    "the copy's policies", name, sc->alarms[i]->key),
		    as_req_alarm(x, s, i, AS_COPY), NULL, NULL, NULL);
		free(name);
		if (st == NULL)
			goto out;
		for (j = 0; j < sc->npolicies; j++) {
			char *pid;

			if (sc->dropped[j] || !alarm_points_at(sc->alarms[i],
			    json_str(sc->policies[j]->obj, "PolicyARN")))
				continue;
			pid = as_policy_step(s, j, AS_COPY);
			plan_step_after(st, pid);
			free(pid);
		}
		if (st->nafter == 0)
			plan_step_after(st, tid);
	}
	rc = 0;
out:
	free(rid);
	free(id);
	free(tid);
	return rc;
}

static void
md_service(struct xlate *x, const struct xsvc *s)
{
	const struct xscaling *sc = s->scaling;
	const cJSON *ss = cJSON_GetObjectItemCaseSensitive(sc->target->obj,
	    "SuspendedState");
	struct strbuf *sb = &x->md_services;
	size_t i;

	(void)strbuf_printf(sb, "### %s\n\n- Scalable target: min %.0f, max "
	    "%.0f", s->name, cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(sc->target->obj, "MinCapacity")),
	    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
	    sc->target->obj, "MaxCapacity")));
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ss,
	    "DynamicScalingInSuspended")) || cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(ss, "DynamicScalingOutSuspended"))
	    || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ss,
	    "ScheduledScalingSuspended")))
		(void)strbuf_puts(sb, ", **suspended as exported** (kept so on "
		    "the copy and the EC2 service)");
	(void)strbuf_printf(sb, " -> `as/%s:target`, `cut/%s:target`.\n",
	    s->newname, s->name);
	for (i = 0; i < sc->npolicies; i++)
		(void)strbuf_printf(sb, "- Policy `%s` (%s): %s.\n", json_str(
		    sc->policies[i]->obj, "PolicyName"), json_str(
		    sc->policies[i]->obj, "PolicyType"), sc->dropped[i] ?
		    "**left out** (--drop-step-scaling): restored on the "
		    "original only by a rollback" : "carried to the copy and "
		    "the EC2 service");
	for (i = 0; i < sc->nactions; i++)
		(void)strbuf_printf(sb, "- Scheduled action `%s` (`%s`): "
		    "carried.\n", json_str(sc->actions[i]->obj,
		    "ScheduledActionName"), json_str(sc->actions[i]->obj,
		    "Schedule"));
	for (i = 0; i < sc->nalarms; i++)
		(void)strbuf_printf(sb, "- Alarm `%s`: the copy gets `f2o-%s-"
		    "...` on its own metrics; at cutover the original name is "
		    "put again, pointing at the EC2 service's policies.\n",
		    sc->alarms[i]->key, s->newname);
	(void)strbuf_puts(sb, "\n");
}

static void
md_write(struct xlate *x)
{
	size_t i;

	(void)strbuf_puts(&x->md_services, "\n## Application Auto Scaling\n\n"
	    "Carried per service: the scalable target, target tracking and "
	    "step scaling policies, scheduled actions and the step scaling "
	    "alarms (target tracking alarms belong to AWS and follow their "
	    "policy). Cutover: the original's scaling is suspended before it "
	    "is scaled down; the copy is deregistered and its alarms deleted "
	    "before it is scaled down; the EC2 service gets everything once "
	    "stable. Rollback: the original's scaling is restored as "
	    "exported, f2o's is removed.\n\n");
	for (i = 0; i < x->nmig; i++)
		if (x->mig[i]->scaling != NULL)
			md_service(x, x->mig[i]);
}

int
autoscale_plan(struct xlate *x)
{
	size_t i;
	int k, any = 0, bad = 0;

	for (k = 0; k < XAAS__MAX; k++)
		any |= x->ex->aas[k].pages > 0;
	if (!any)
		return 0;
	ctx_resolved(x, "drop-step-scaling", cJSON_CreateBool(opt_bool(x->opt,
	    "drop-step-scaling")));
	if (attach(x) == -1)
		return -1;
	for (i = 0; i < x->nmig; i++)
		if (x->mig[i]->scaling != NULL && pick_alarms(x,
		    x->mig[i]) == -1)
			bad = 1;
	if (bad)
		return -1;
	for (i = 0; i < x->nmig; i++)
		if (x->mig[i]->scaling != NULL && import_steps(x,
		    x->mig[i]) == -1)
			return -1;
	if (autoscale_any(x))
		md_write(x);
	return 0;
}
