/*
 * The cutover phase (each migrated service gets its name back, on EC2) and
 * the rollback phase (undo only what the journal says was done).
 */
/*
 * Cutover, per service N with side-by-side copy C (all checked, never a
 * fixed sleep):
 *   1. C is stable (strict wait)          cut/N:copy-stable
 *   2. N scaled to 0 and drained          cut/N:scale-down, cut/N:drained
 *   3. N deleted, waited until INACTIVE   cut/N:delete, cut/N:inactive
 *   4. N created on EC2 with everything   cut/N:create, cut/N:stable
 *   5. only then C scaled to 0, deleted   cut/N:copy-scale-down, ...
 * Services are independent: each chain depends only on its own steps.
 *
 * Rollback steps carry "undoes": f2o-exec runs one only when the journal
 * says that step was done, so nothing f2o did not create is touched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoscale.h"
#include "ctx.h"
#include "cutover.h"
#include "export.h"
#include "jsonutil.h"
#include "ocean.h"
#include "options.h"
#include "service.h"
#include "svcpolicy.h"
#include "xalloc.h"

struct chain {
	struct xlate *x;
	const char *phase;
	char	*prev;			/* the previous step of this chain */
};

/* Add a step after the chain's previous one (and extra, if given). */
static struct plan_step *
chain_add(struct chain *c, const char *id, const char *action,
    const char *title, cJSON *req, const char *extra, const char *undoes)
{
	struct plan_step *st;
	char *path = NULL;

	if (req != NULL) {
		path = ctx_request_take(c->x, id, req);
		if (path == NULL)
			return NULL;
	}
	st = plan_add(c->x->plan, id, c->phase, action, title, path, NULL);
	free(path);
	if (st == NULL)
		return NULL;
	if (c->prev != NULL)
		plan_step_after(st, c->prev);
	if (extra != NULL)
		plan_step_after(st, extra);
	if (undoes != NULL)
		plan_step_undoes(st, undoes);
	free(c->prev);
	c->prev = xstrdup(id);
	return st;
}

/*
 * prefix + name + ":" + suffix in id (PLAN_ID_MAX + 1 bytes, cut as
 * snprintf would cut it), without printf: ~30 ids per service.
 */
static char *
step_id(char *id, const char *prefix, const char *name, const char *suffix)
{
	const char *part[] = { prefix, name, ":", suffix };
	size_t i, n, len = 0;

	for (i = 0; i < sizeof(part) / sizeof(part[0]); i++) {
		n = strlen(part[i]);
		if (n > PLAN_ID_MAX - len)
			n = PLAN_ID_MAX - len;
		memcpy(id + len, part[i], n);
		len += n;
	}
	id[len] = '\0';
	return id;
}

/*
 * Add a step to chain c (title is a new string, freed here); on failure
 * leave through the function's "out" label. Expects st in scope.
 */
#define STEP(sid, act, ttl, rq, extra, und) do {			\
	char *title_ = (ttl);						\
									\
	st = chain_add(&c, sid, act, title_, rq, extra, und);		\
	free(title_);							\
	if (st == NULL)							\
		goto out;						\
} while (0)

static cJSON *
req_names(const struct xlate *x, const char *name)
{
	cJSON *r = cJSON_CreateObject(), *a;

	json_add_str(r, "cluster", opt_str(x->opt, "ecs-cluster"));
	a = cJSON_AddArrayToObject(r, "services");
	cJSON_AddItemToArray(a, cJSON_CreateString(name));
	return r;
}

static cJSON *
req_scale(const struct xlate *x, const char *name, long long n)
{
	cJSON *r = cJSON_CreateObject();

	json_add_str(r, "cluster", opt_str(x->opt, "ecs-cluster"));
	json_add_str(r, "service", name);
	json_add_num(r, "desiredCount", (double)n);
	return r;
}

static cJSON *
req_delete(const struct xlate *x, const char *name)
{
	cJSON *r = cJSON_CreateObject();

	json_add_str(r, "cluster", opt_str(x->opt, "ecs-cluster"));
	json_add_str(r, "service", name);
	return r;
}

/*
 * The original Fargate service as exported: launch type or capacity
 * provider strategy, platform version, public IP setting, original task
 * definition revision.
 */
static cJSON *
req_fargate(struct xlate *x, struct xsvc *s, const char *name,
    const char *step)
{
	const char *td = json_str(s->svc, "taskDefinition");
	const cJSON *cps = cJSON_GetObjectItemCaseSensitive(s->svc,
	    "capacityProviderStrategy"), *net;
	cJSON *r = service_request(x, s, name, td, false, step), *c;
	const char *pv = json_str(s->svc, "platformVersion");

	if (r == NULL)
		return NULL;
	json_del(r, "launchType");
	if (cJSON_GetArraySize(cps) > 0) {
		c = cJSON_Duplicate(cps, 1);
		cJSON_AddItemToObject(r, "capacityProviderStrategy", c);
	} else
		json_add_str(r, "launchType", "FARGATE");
	if (pv != NULL && pv[0] != '\0')
		json_add_str(r, "platformVersion", pv);
	/* Fargate takes no placement: back to what the export had. */
	json_del(r, "placementConstraints");
	json_del(r, "placementStrategy");
	net = cJSON_GetObjectItemCaseSensitive(s->svc, "networkConfiguration");
	if (net != NULL && !json_is_unset(net)) {
		json_del(r, "networkConfiguration");
		cJSON_AddItemToObject(r, "networkConfiguration",
		    cJSON_Duplicate(net, 1));
	}
	return r;
}

static int
service_cutover(struct xlate *x, struct xsvc *s)
{
	struct chain c = { x, MODEL_PHASE_CUTOVER, NULL };
	const char *n = s->name, *cp = s->newname;
	char id[PLAN_ID_MAX + 1], *ref, live[PLAN_ID_MAX + 1];
	struct plan_step *st;
	cJSON *req;
	int rc = -1;

	(void)step_id(live, "live/", n, "cutover");
#define ID(suffix) step_id(id, "cut/", n, suffix)
	STEP(ID("copy-stable"), "wait:ServicesStable", xasprintf("check that "
	    "%s is stable and healthy before touching %s", cp, n),
	    req_names(x, cp), s->wait_step, NULL);
	if (autoscale_cut_suspend(x, s, &c.prev) == -1)
		goto out;
	STEP(live, "ecs:DescribeServices", xasprintf("read the live "
	    "desiredCount of %s before it is scaled to 0 (export had %lld)", n,
	    s->desired), service_live_request(x, n), NULL, NULL);
	plan_step_output(st, "desiredCount", "services.0.desiredCount");
	STEP(ID("scale-down"), "ecs:UpdateService", xasprintf("scale Fargate "
	    "service %s to 0 (%s keeps serving)", n, cp), req_scale(x, n, 0),
	    NULL, NULL);
	STEP(ID("drained"), "wait:ServicesStable", xasprintf("wait until %s has "
	    "no task left (targets deregistered)", n), req_names(x, n), NULL,
	    NULL);
	STEP(ID("delete"), "ecs:DeleteService", xasprintf("delete Fargate "
	    "service %s", n), req_delete(x, n), NULL, NULL);
	STEP(ID("inactive"), "wait:ServicesInactive", xasprintf("wait until %s "
	    "is INACTIVE, so its name can be reused", n), req_names(x, n), NULL,
	    NULL);
	ref = plan_ref(s->td->step, "taskDefinitionArn");
	req = service_request(x, s, n, ref, false, ID("create"));
	free(ref);
	if (req == NULL)
		goto out;
	svcpol_recreate(s, req);
	service_live_count(req, live);
	STEP(ID("create"), "ecs:CreateService", xasprintf("create %s on EC2 "
	    "with everything the original had (desiredCount: read live by "
	    "%s, export had %lld)", n, live, s->desired), req, s->td->step,
	    NULL);
	plan_step_output(st, "serviceArn", "service.serviceArn");
	STEP(ID("stable"), "wait:ServicesStable", xasprintf("wait until the new "
	    "%s is stable", n), req_names(x, n), NULL, NULL);
	if (autoscale_cut_carry(x, s, &c.prev) == -1 ||
	    autoscale_cut_copy_off(x, s, &c.prev) == -1)
		goto out;
	STEP(ID("copy-scale-down"), "ecs:UpdateService", xasprintf("scale the "
	    "copy %s to 0", cp), req_scale(x, cp, 0), NULL, NULL);
	STEP(ID("copy-drained"), "wait:ServicesStable", xasprintf("wait until %s "
	    "has no task left", cp), req_names(x, cp), NULL, NULL);
	STEP(ID("copy-delete"), "ecs:DeleteService", xasprintf("delete the "
	    "copy %s", cp), req_delete(x, cp), NULL, NULL);
	rc = 0;
#undef ID
out:
	free(c.prev);
	return rc;
}

static int
service_rollback(struct xlate *x, struct xsvc *s)
{
	struct chain c = { x, MODEL_PHASE_ROLLBACK, NULL };
	const char *n = s->name, *cp = s->newname;
	char id[PLAN_ID_MAX + 1], *tmp, *u_create, *u_delete, *u_down;
	char live[PLAN_ID_MAX + 1], cutlive[PLAN_ID_MAX + 1];
	struct plan_step *st;
	cJSON *req;
	int rc = -1;

	tmp = xasprintf("%s%s", CUTOVER_TEMP_PREFIX, n);
	u_create = xasprintf("cut/%s:create", n);
	u_delete = xasprintf("cut/%s:delete", n);
	u_down = xasprintf("cut/%s:scale-down", n);
#define ID(suffix) step_id(id, "rb/", n, suffix)
#define ADD(sfx, act, ttl, rq, und) STEP(ID(sfx), act, ttl, rq, NULL, und)
	/* After a cutover: Fargate back under a temporary name first. */
	(void)step_id(live, "live/", n, "rollback");
	STEP(live, "ecs:DescribeServices", xasprintf("read the live "
	    "desiredCount of EC2 service %s before it is scaled to 0", n),
	    service_live_request(x, n), NULL, u_create);
	plan_step_output(st, "desiredCount", "services.0.desiredCount");
	req = req_fargate(x, s, tmp, ID("fargate-temp"));
	if (req == NULL)
		goto out;
	/* Beside the EC2 service that holds the names: a twin. */
	svcpol_twin(req);
	service_live_count(req, live);
	ADD("fargate-temp", "ecs:CreateService", xasprintf("recreate Fargate "
	    "%s from the export as %s, so traffic never lacks a task "
	    "(desiredCount: read live by %s)", n, tmp, live), req, u_create);
	ADD("fargate-temp-stable", "wait:ServicesStable", xasprintf("wait "
	    "until %s is stable", tmp), req_names(x, tmp), u_create);
	if (autoscale_rb_ec2_off(x, s, &c.prev) == -1)
		goto out;
	ADD("ec2-scale-down", "ecs:UpdateService", xasprintf("scale the EC2 "
	    "service %s to 0", n), req_scale(x, n, 0), u_create);
	ADD("ec2-drained", "wait:ServicesStable", xasprintf("wait until EC2 "
	    "%s has no task left", n), req_names(x, n), u_create);
	ADD("ec2-delete", "ecs:DeleteService", xasprintf("delete the EC2 "
	    "service %s (created by f2o)", n), req_delete(x, n), u_create);
	ADD("ec2-inactive", "wait:ServicesInactive", xasprintf("wait until "
	    "%s is INACTIVE", n), req_names(x, n), u_create);
	/*
	 * The original name back on Fargate, once it was deleted. If the
	 * cutover stopped between the delete and the re-creation, the name
	 * may still be DRAINING: ECS refuses it until INACTIVE.
	 */
	ADD("original-inactive", "wait:ServicesInactive", xasprintf("wait "
	    "until the deleted %s is INACTIVE, so its name can be reused", n),
	    req_names(x, n), u_delete);
	req = req_fargate(x, s, n, ID("fargate"));
	if (req == NULL)
		goto out;
	/* The cutover read it before scaling the original down. */
	(void)step_id(cutlive, "live/", n, "cutover");
	service_live_count(req, cutlive);
	ADD("fargate", "ecs:CreateService", xasprintf("recreate Fargate %s "
	    "from the export (launch type, platform version, capacity "
	    "providers, public IP as they were; desiredCount: read live by "
	    "%s)", n, cutlive), req, u_delete);
	ADD("fargate-stable", "wait:ServicesStable", xasprintf("wait until "
	    "Fargate %s is stable", n), req_names(x, n), u_delete);
	req = req_scale(x, n, s->desired);
	service_live_count(req, cutlive);
	ADD("fargate-scale-up", "ecs:UpdateService", xasprintf("give %s the "
	    "desired count read live by %s back (export had %lld)", n, cutlive,
	    s->desired), req, u_down);
	ADD("fargate-scaled", "wait:ServicesStable", xasprintf("wait until %s "
	    "runs its desired count of tasks", n), req_names(x, n), u_down);
	if (autoscale_rb_restore(x, s, &c.prev) == -1)
		goto out;
	ADD("temp-scale-down", "ecs:UpdateService", xasprintf("scale %s to 0",
	    tmp), req_scale(x, tmp, 0), u_create);
	ADD("temp-drained", "wait:ServicesStable", xasprintf("wait until %s "
	    "has no task left", tmp), req_names(x, tmp), u_create);
	ADD("temp-delete", "ecs:DeleteService", xasprintf("delete %s", tmp),
	    req_delete(x, tmp), u_create);
	/* The side-by-side copy (its scaling first). */
	if (autoscale_rb_copy_off(x, s, &c.prev) == -1)
		goto out;
	ADD("copy-scale-down", "ecs:UpdateService", xasprintf("scale the copy "
	    "%s to 0", cp), req_scale(x, cp, 0), s->svc_step);
	ADD("copy-drained", "wait:ServicesStable", xasprintf("wait until %s "
	    "has no task left", cp), req_names(x, cp), s->svc_step);
	ADD("copy-delete", "ecs:DeleteService", xasprintf("delete the copy "
	    "%s", cp), req_delete(x, cp), s->svc_step);
	ADD("copy-inactive", "wait:ServicesInactive", xasprintf("wait until "
	    "%s is INACTIVE", cp), req_names(x, cp), s->svc_step);
#undef ADD
#undef ID
	rc = 0;
out:
	free(c.prev);
	free(tmp);
	free(u_create);
	free(u_delete);
	free(u_down);
	return rc;
}

/*
 * Before the first security group delete: wait until the ECS cluster
 * lists no container instance launched by f2o's node groups (they carry
 * the OCEAN_VNG_ATTRIBUTE attribute), as the instances use the group.
 * Runs when the Ocean cluster (ocean_step) was created.
 */
static struct plan_step *
instances_gone(struct chain *c, const char *ocean_step)
{
	struct plan_step *st;
	cJSON *req = cJSON_CreateObject();
	char *title;

	json_add_str(req, "cluster", opt_str(c->x->opt, "ecs-cluster"));
	json_add_str(req, "filter", "attribute:" OCEAN_VNG_ATTRIBUTE
	    " exists");
	title = xasprintf("wait until cluster %s has no container instance "
	    "f2o's Ocean launched (they use the security group)",
	    opt_str(c->x->opt, "ecs-cluster"));
	st = chain_add(c, CUTOVER_STEP_INSTANCES_GONE,
	    "wait:ContainerInstancesGone", title, req, NULL, ocean_step);
	free(title);
	return st;
}

/*
 * Shared resources, after every service's rollback, in reverse creation
 * order: node groups (their instances terminated), cluster, the wait
 * until no instance is left, security group, task definitions.
 */
/* The rollback action undoing an import step's action, or NULL. */
static const char *
undo_action(const struct plan_step *s)
{
	if (strcmp(s->phase, MODEL_PHASE_IMPORT) != 0)
		return NULL;
	if (strcmp(s->action, "ecs:RegisterTaskDefinition") == 0)
		return "ecs:DeregisterTaskDefinition";
	if (strcmp(s->action, "spot:CreateOceanLaunchSpec") == 0)
		return "spot:DeleteOceanLaunchSpec";
	if (strcmp(s->action, "spot:CreateOceanCluster") == 0)
		return "spot:DeleteOceanCluster";
	if (strcmp(s->action, "ec2:CreateSecurityGroup") == 0)
		return "ec2:DeleteSecurityGroup";
	return NULL;
}

/* The steps to undo, in plan order: one pass over a spilled plan. */
struct undo {
	char	*sid;
	const char *action;
};

static int
undo_list(struct xlate *x, struct undo **out, size_t *n, char **ocean)
{
	struct plan_reader rd;
	const struct plan_step *s;
	struct undo *u = NULL;
	const char *action;
	size_t i, cap = 0;
	int rc = 0;

	*n = 0;
	plan_reader_init(&rd, x->plan);
	for (i = 0; i < x->plan->nsteps; i++) {
		if ((s = plan_reader_get(&rd, i)) == NULL) {
			rc = -1;
			break;
		}
		if ((action = undo_action(s)) == NULL)
			continue;
		if (strcmp(action, "spot:DeleteOceanCluster") == 0 &&
		    *ocean == NULL)
			*ocean = xstrdup(s->id);
		if (*n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			u = xreallocarray(u, cap, sizeof(*u));
		}
		u[*n].sid = xstrdup(s->id);
		u[(*n)++].action = action;
	}
	plan_reader_cleanup(&rd);
	*out = u;
	return rc;
}

static int
shared_rollback(struct xlate *x)
{
	struct chain c = { x, MODEL_PHASE_ROLLBACK, NULL };
	struct undo *u = NULL;
	char *ocean = NULL;
	bool first = true;
	size_t i, j, nu = 0;
	int rc = -1;

	if (undo_list(x, &u, &nu, &ocean) == -1)
		goto out;
	for (i = nu; i-- > 0;) {
		const char *action = u[i].action, *out, *member;
		char *id, *ref, *title, *sid = u[i].sid;
		struct plan_step *st;
		cJSON *req;

		if (strcmp(action, "ecs:DeregisterTaskDefinition") == 0) {
			out = "taskDefinitionArn";
			member = "taskDefinition";
		} else if (strcmp(action, "ec2:DeleteSecurityGroup") == 0) {
			out = "GroupId";
			member = "GroupId";
		} else {
			out = "id";
			member = strcmp(action, "spot:DeleteOceanCluster") == 0 ?
			    "oceanId" : "launchSpecId";
		}
		ref = plan_ref(sid, out);
		req = cJSON_CreateObject();
		json_add_str(req, member, ref);
		free(ref);
		/* The node group's instances go with it (spot-api.md 3.1). */
		if (strcmp(action, "spot:DeleteOceanLaunchSpec") == 0)
			json_add_bool(req, "deleteContainerInstances", true);
		if (strcmp(action, "ec2:DeleteSecurityGroup") == 0 &&
		    ocean != NULL && !first) {
			if (instances_gone(&c, ocean) == NULL) {
				cJSON_Delete(req);
				goto out;
			}
			free(ocean);
			ocean = NULL;
		}
		id = xasprintf("rb/%s", sid);
		title = xasprintf("undo %s: %s", sid, action);
		st = chain_add(&c, id, action, title, req, NULL, sid);
		free(title);
		free(id);
		if (st == NULL)
			goto out;
		if (first) {
			for (j = 0; j < x->nmig; j++) {
				char *last = xasprintf("rb/%s:copy-inactive",
				    x->mig[j]->name);

				plan_step_after(st, last);
				free(last);
			}
			first = false;
		}
	}
	rc = 0;
out:
	for (i = 0; i < nu; i++)
		free(u[i].sid);
	free(u);
	free(ocean);
	free(c.prev);
	return rc;
}

static void
phases_md(struct xlate *x)
{
	struct strbuf *sb = &x->md_phases;
	size_t i;

	(void)strbuf_puts(sb, "\n## Cutover (phase `cutover`, run only with "
	    "`f2o-exec run --phase cutover`)\n\nApproving the import and "
	    "approving the cutover are separate decisions. Per service, in "
	    "this order, each step checked before the next; services are "
	    "independent (one failing stops only itself):\n\n"
	    "1. the copy is stable and healthy (one deployment, rollout "
	    "COMPLETED, running = desired);\n"
	    "2. the Fargate original is scaled to 0 and waited on until no "
	    "task is left (the copy serves the traffic meanwhile; the load "
	    "balancer deregisters the stopped tasks);\n"
	    "3. the original is deleted and waited on until INACTIVE (never "
	    "a fixed sleep: ECS refuses the name while it is DRAINING);\n"
	    "4. an EC2 service with the original name is created with "
	    "everything the original had and waited on strictly;\n"
	    "5. only then the copy is scaled to 0 and deleted.\n\n"
	    "| service | copy | serves traffic during cutover |\n"
	    "|---|---|---|\n");
	for (i = 0; i < x->nmig; i++)
		(void)strbuf_printf(sb, "| %s | %s | %s until step 4 is "
		    "stable, then %s |\n", x->mig[i]->name, x->mig[i]->newname,
		    x->mig[i]->newname, x->mig[i]->name);
	if (autoscale_any(x))
		(void)strbuf_puts(sb, "\nApplication Auto Scaling (services "
		    "with a scalable target in the export): the original's "
		    "scaling is suspended (`cut/<name>:suspend`) before it is "
		    "scaled down; once the EC2 service is stable it gets the "
		    "target, policies, scheduled actions and step scaling "
		    "alarms (`cut/<name>:target`, `:policy-N`, `:action-N`, "
		    "`:alarm-N`); the copy is deregistered and its alarms "
		    "deleted before it is scaled down. Services without a "
		    "scalable target in the export get none.\n");
	else
		(void)strbuf_puts(sb, "\nNot moved by f2o: Application Auto "
		    "Scaling targets and policies of the originals (register "
		    "them for the new services after cutover); a desired count "
		    "changed by autoscaling after the export is not followed "
		    "(the new service starts at the exported count).\n");
	(void)strbuf_printf(sb, "\n## Rollback (`f2o-exec rollback`)\n\n"
	    "Undoes what the journal says was done, from any point, and "
	    "never deletes what f2o did not create: each rollback step names "
	    "the step it undoes and runs only if that step is done. Per "
	    "service: after a cutover, the Fargate service is recreated from "
	    "the export under the temporary name `%s<name>` and waited on "
	    "before the EC2 service is removed; the original name then goes "
	    "back to Fargate with its exported launch type, platform "
	    "version, capacity providers and public IP setting; then the "
	    "copy is removed%s. Last, the Ocean node groups (their instances "
	    "terminated: `deleteContainerInstances=true`), the cluster, a "
	    "wait until the ECS cluster has no container instance f2o's "
	    "Ocean launched, the instances' security group and the "
	    "registered task definition revisions.\n", CUTOVER_TEMP_PREFIX,
	    autoscale_any(x) ? " (Application Auto Scaling: the EC2 "
	    "service is deregistered before it is scaled down; the "
	    "original's target, policies, scheduled actions and alarms are "
	    "put back as exported once it runs on Fargate again, which also "
	    "lifts the cutover's suspension; the copy is deregistered and "
	    "its alarms deleted before it is scaled down)" : "");
}

int
cutover_plan(struct xlate *x)
{
	size_t i;

	for (i = 0; i < x->nmig; i++)
		if (export_svc_hold(x->ex, x->mig[i]) == -1 ||
		    service_cutover(x, x->mig[i]) == -1)
			return -1;
	for (i = 0; i < x->nmig; i++)
		if (export_svc_hold(x->ex, x->mig[i]) == -1 ||
		    service_rollback(x, x->mig[i]) == -1)
			return -1;
	if (shared_rollback(x) == -1)
		return -1;
	phases_md(x);
	svcpol_md(x);
	return 0;
}
