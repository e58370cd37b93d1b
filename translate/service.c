/*
 * Services: the side-by-side copy "<prefix><name>" on the EC2 launch type,
 * carrying everything the original had. See BUNDLE.md "Services".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consist.h"
#include "ctx.h"
#include "digest.h"
#include "jsonutil.h"
#include "log.h"
#include "modelcheck.h"
#include "export.h"
#include "ocean.h"
#include "options.h"
#include "service.h"
#include "svcpolicy.h"
#include "xalloc.h"

#define SERVICE_NAME_MAX	255
#define SERVICE_MAX_TAGS	50
#define SERVICE_TOKEN_LEN	32	/* clientToken: at most 36 */
#define SERVICE_MAX_CONSTRAINTS	10	/* placementConstraints */

/* Service members copied as they are (CreateService takes them). */
static const char *const copied[] = {
	"loadBalancers", "serviceRegistries", "healthCheckGracePeriodSeconds",
	"deploymentConfiguration", "placementConstraints", "placementStrategy",
	"schedulingStrategy", "enableECSManagedTags", "propagateTags",
	"enableExecuteCommand", "availabilityZoneRebalancing", NULL
};

/* Members that live on the PRIMARY deployment in describe output. */
static const char *const from_deployment[] = {
	"serviceConnectConfiguration", "volumeConfigurations",
	"vpcLatticeConfigurations", NULL
};

static const cJSON *
primary_deployment(const cJSON *svc)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(svc,
	    "deployments"))
		if (json_str(d, "status") != NULL &&
		    strcmp(json_str(d, "status"), "PRIMARY") == 0)
			return d;
	return NULL;
}

static void
prune_nulls(cJSON *item)
{
	cJSON *c, *next;

	for (c = item != NULL ? item->child : NULL; c != NULL; c = next) {
		next = c->next;
		if (cJSON_IsNull(c) && cJSON_IsObject(item))
			cJSON_DeleteItemFromObjectCaseSensitive(item, c->string);
		else
			prune_nulls(c);
	}
}

int
service_select(struct xlate *x, struct xsvc *s)
{
	const char *ref, *st;
	const char *want = opt_str(x->opt, "ecs-cluster");

	if (want != NULL && s->cluster != NULL && strcmp(want, s->cluster) != 0)
		return 0;
	/*
	 * Deleted (INACTIVE, which describe-services still answers for a
	 * while) or being deleted (DRAINING): nothing to move.
	 */
	st = json_str(s->svc, "status");
	if (st != NULL && (strcmp(st, "INACTIVE") == 0 ||
	    strcmp(st, "DRAINING") == 0)) {
		ctx_warn(x, s->name, "status %s in the export: the service %s "
		    "deleted, left alone (export it again if it was created "
		    "anew)", st, strcmp(st, "INACTIVE") == 0 ? "was" :
		    "is being");
		return 0;
	}
	if (!s->fargate) {
		ctx_warn(x, s->name, "not a Fargate service (no FARGATE launch "
		    "type or capacity provider): left alone");
		return 0;
	}
	if (svcpol_controller(s) == -1)
		return -1;
	ref = json_str(s->svc, "taskDefinition");
	if (ref == NULL) {
		log_errx("%s: %s.taskDefinition: a Fargate service without a "
		    "task definition", s->src, s->jpath);
		return -1;
	}
	s->td = export_find_td(x->ex, ref);
	if (s->td == NULL) {
		if (opt_bool(x->opt, "skip-missing-taskdef")) {
			ctx_warn(x, s->name, "task definition %s is not in the "
			    "export: service skipped (--skip-missing-taskdef)",
			    ref);
			return 0;
		}
		log_errx("%s: %s.taskDefinition: service \"%s\" uses task "
		    "definition %s, which is not in the export (add its `aws ecs "
		    "describe-task-definition` output, or pass "
		    "--skip-missing-taskdef)", s->src, s->jpath, s->name, ref);
		return -1;
	}
	if (consist_taskdef_ref(x, s) == -1)
		return -1;
	s->newname = xasprintf("%s%s", opt_str(x->opt, "prefix"), s->name);
	if (strlen(s->newname) > SERVICE_NAME_MAX) {
		log_errx("%s: %s.serviceName: \"%s\" is longer than %d characters "
		    "with the prefix", s->src, s->jpath, s->newname,
		    SERVICE_NAME_MAX);
		return -1;
	}
	s->td->used = true;
	s->svc_step = xasprintf("svc/%s", s->newname);
	s->wait_step = xasprintf("wait/%s", s->newname);
	return svcpol_check(x, s) == -1 ? -1 : 1;
}

static char *
client_token(const struct xlate *x, const char *step)
{
	char hex[DIGEST_HEX_LEN + 1], *in = xasprintf("%s/%s", x->bundle_id,
	    step);

	if (digest_sha256_hex(hex, in, strlen(in)) == -1)
		hex[0] = '\0';
	free(in);
	hex[SERVICE_TOKEN_LEN] = '\0';
	return xstrdup(hex);
}

cJSON *
service_request(struct xlate *x, struct xsvc *s, const char *name,
    const char *td_ref, bool for_copy, const char *step_id)
{
	const cJSON *dep = primary_deployment(s->svc), *src, *c;
	const char *const *k;
	cJSON *req = cJSON_CreateObject(), *net, *awsvpc, *tags, *f2o, *pc;
	const char *pub;
	char *tok;
	int n = 0;

	json_add_str(req, "cluster", opt_str(x->opt, "ecs-cluster"));
	json_add_str(req, "serviceName", name);
	json_add_str(req, "taskDefinition", td_ref);
	json_add_num(req, "desiredCount", (double)s->desired);
	json_add_str(req, "launchType", "EC2");
	for (k = copied; *k != NULL; k++) {
		src = cJSON_GetObjectItemCaseSensitive(s->svc, *k);
		if (src == NULL || json_is_unset(src) ||
		    (cJSON_IsArray(src) && cJSON_GetArraySize(src) == 0))
			continue;
		cJSON_AddItemToObject(req, *k, cJSON_Duplicate(src, 1));
	}
	for (k = from_deployment; *k != NULL; k++) {
		src = cJSON_GetObjectItemCaseSensitive(s->svc, *k);
		if (src == NULL || json_is_unset(src))
			src = cJSON_GetObjectItemCaseSensitive(dep, *k);
		if (src == NULL || json_is_unset(src) ||
		    (cJSON_IsArray(src) && cJSON_GetArraySize(src) == 0))
			continue;
		cJSON_AddItemToObject(req, *k, cJSON_Duplicate(src, 1));
	}
	/* The copy may not claim the original's names or resources. */
	if (for_copy)
		svcpol_twin(req);
	/* Land on the Ocean node group built for this service's tasks. */
	pc = ocean_placement(s);
	if (pc != NULL) {
		cJSON *list = cJSON_GetObjectItemCaseSensitive(req,
		    "placementConstraints");

		if (list == NULL)
			list = cJSON_AddArrayToObject(req,
			    "placementConstraints");
		cJSON_AddItemToArray(list, pc);
		if (cJSON_GetArraySize(list) > SERVICE_MAX_CONSTRAINTS) {
			log_errx("%s: %s.placementConstraints: with f2o's node "
			    "group constraint the service has %d, more than the "
			    "%d ECS allows", s->src, s->jpath,
			    cJSON_GetArraySize(list), SERVICE_MAX_CONSTRAINTS);
			cJSON_Delete(req);
			return NULL;
		}
	}
	net = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(s->svc,
	    "networkConfiguration"), 1);
	awsvpc = cJSON_GetObjectItemCaseSensitive(net, "awsvpcConfiguration");
	pub = json_str(awsvpc, "assignPublicIp");
	if (pub != NULL && strcmp(pub, "ENABLED") == 0) {
		cJSON_ReplaceItemInObjectCaseSensitive(awsvpc, "assignPublicIp",
		    cJSON_CreateString("DISABLED"));
		if (for_copy)
			ctx_warn(x, s->name, "assignPublicIp ENABLED is not "
			    "allowed on the EC2 launch type and becomes DISABLED: "
			    "the tasks reach the internet (image pulls, AWS APIs) "
			    "only through a NAT gateway or VPC endpoints in "
			    "subnets %s", s->nsubnets > 0 ? s->subnets[0] : "?");
	}
	if (net != NULL && !json_is_unset(net))
		cJSON_AddItemToObject(req, "networkConfiguration", net);
	else
		cJSON_Delete(net);
	/* Tags: the service's, then f2o's. */
	tags = cJSON_CreateArray();
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(s->svc, "tags")) {
		const char *key = json_str(c, "key");

		if (key == NULL || json_str(c, "value") == NULL ||
		    strncmp(key, "aws:", 4) == 0 || strncmp(key, "f2o:", 4) == 0)
			continue;
		cJSON_AddItemToArray(tags, cJSON_Duplicate(c, 1));
		n++;
	}
	f2o = ctx_tags(x, "key", "value");
	{
		cJSON *o = cJSON_CreateObject();
		char *v = xasprintf("%s/%s", s->cluster != NULL ? s->cluster :
		    opt_str(x->opt, "ecs-cluster"), s->name);

		json_add_str(o, "key", "f2o:source");
		json_add_str(o, "value", v);
		free(v);
		cJSON_AddItemToArray(f2o, o);
	}
	while (f2o->child != NULL) {
		cJSON *m = cJSON_DetachItemViaPointer(f2o, f2o->child);

		cJSON_AddItemToArray(tags, m);
		n++;
	}
	cJSON_Delete(f2o);
	if (n > SERVICE_MAX_TAGS) {
		log_errx("%s: %s.tags: service %s would carry %d tags with f2o's, "
		    "more than the %d ECS allows", s->src, s->jpath, s->name, n,
		    SERVICE_MAX_TAGS);
		cJSON_Delete(tags);
		cJSON_Delete(req);
		return NULL;
	}
	cJSON_AddItemToObject(req, "tags", tags);
	tok = client_token(x, step_id);
	json_add_str(req, "clientToken", tok);
	free(tok);
	prune_nulls(req);
	/* Members copied from the export keep their names. */
	if (modelcheck_ecs("CreateService", req, s->src, s->jpath) == -1) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

cJSON *
service_live_request(const struct xlate *x, const char *name)
{
	cJSON *r = cJSON_CreateObject(), *a;

	json_add_str(r, "cluster", opt_str(x->opt, "ecs-cluster"));
	a = cJSON_AddArrayToObject(r, "services");
	cJSON_AddItemToArray(a, cJSON_CreateString(name));
	return r;
}

void
service_live_count(cJSON *req, const char *live_step)
{
	char *ref = plan_ref(live_step, "desiredCount");

	/* In place: the member keeps its position in the request file. */
	if (!cJSON_ReplaceItemInObjectCaseSensitive(req, "desiredCount",
	    cJSON_CreateString(ref)))
		json_add_str(req, "desiredCount", ref);
	free(ref);
}

/* live/<name>: the original's desiredCount, read just before the copy. */
static char *
live_import(struct xlate *x, struct xsvc *s)
{
	char *id = xasprintf("live/%s", s->name), *path, *title;
	struct plan_step *st;
	cJSON *req = service_live_request(x, s->name);

	path = ctx_request_take(x, id, req);
	if (path == NULL) {
		free(id);
		return NULL;
	}
	title = xasprintf("read the live desiredCount of %s (export had %lld)",
	    s->name, s->desired);
	st = plan_add(x->plan, id, MODEL_PHASE_IMPORT, "ecs:DescribeServices",
	    title, path, NULL);
	free(title);
	free(path);
	if (st == NULL) {
		free(id);
		return NULL;
	}
	plan_step_output(st, "desiredCount", "services.0.desiredCount");
	return id;
}

int
service_plan(struct xlate *x)
{
	size_t i, j;

	for (i = 0; i < x->nmig; i++) {
		struct xsvc *s = x->mig[i];
		struct plan_step *st;
		cJSON *req, *w, *names;
		char *path, *ref, *title, *vng, *live;

		if (export_svc_hold(x->ex, s) == -1)
			return -1;
		live = live_import(x, s);
		if (live == NULL)
			return -1;
		ref = plan_ref(s->td->step, "taskDefinitionArn");
		req = service_request(x, s, s->newname, ref, true, s->svc_step);
		free(ref);
		if (req == NULL) {
			free(live);
			return -1;
		}
		service_live_count(req, live);
		path = ctx_request_take(x, s->svc_step, req);
		if (path == NULL)
			return -1;
		title = xasprintf("create %s on EC2 beside Fargate service %s "
		    "(desiredCount: read live by %s, export had %lld)",
		    s->newname, s->name, live, s->desired);
		st = plan_add(x->plan, s->svc_step, MODEL_PHASE_IMPORT,
		    "ecs:CreateService", title, path, NULL);
		free(title);
		free(path);
		if (st == NULL) {
			free(live);
			return -1;
		}
		plan_step_after(st, s->td->step);
		plan_step_after(st, live);
		free(live);
		if (x->ocean_step != NULL)
			plan_step_after(st, x->ocean_step);
		/* Its own node group; all of them if it has none. */
		vng = ocean_vng_name(s) != NULL ?
		    xasprintf("vng/%s", ocean_vng_name(s)) : NULL;
		if (vng != NULL && plan_has(x->plan, vng))
			plan_step_after(st, vng);
		else
			for (j = 0; j < x->nvng_steps; j++)
				plan_step_after(st, x->vng_steps[j]);
		free(vng);
		plan_step_output(st, "serviceArn", "service.serviceArn");

		w = cJSON_CreateObject();
		json_add_str(w, "cluster", opt_str(x->opt, "ecs-cluster"));
		names = cJSON_AddArrayToObject(w, "services");
		cJSON_AddItemToArray(names, cJSON_CreateString(s->newname));
		path = ctx_request_take(x, s->wait_step, w);
		if (path == NULL)
			return -1;
		title = xasprintf("wait until %s is stable (%lld running, one "
		    "deployment, rollout COMPLETED)", s->newname, s->desired);
		st = plan_add(x->plan, s->wait_step, MODEL_PHASE_IMPORT,
		    "wait:ServicesStable", title, path, NULL);
		free(title);
		free(path);
		if (st == NULL)
			return -1;
		plan_step_after(st, s->svc_step);
	}
	return 0;
}
