/*
 * Service policies: deployment controllers and strategies the copy cannot
 * inherit, and Service Connect servers whose names cannot have a twin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "export.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "planmd.h"
#include "strbuf.h"
#include "svcpolicy.h"
#include "taskdef.h"
#include "xalloc.h"

/* The discovery gap estimate, seconds (see BUNDLE.md "Service Connect"). */
#define SVCPOL_POLL_S		15	/* f2o-exec's default --poll-interval */
#define SVCPOL_DEREG_S		300	/* ELB deregistration delay default */
#define SVCPOL_STOP_S		30	/* ECS default container stopTimeout */
#define SVCPOL_START_S		60	/* task start when no grace period */
#define SVCPOL_INSTANCE_S	180	/* Ocean launches an instance, agent joins */
#define SVCPOL_NAMES_MAX	1024	/* bytes of names in a message */
#define SVCPOL_PATH_MAX		512

struct gap {
	long long drain, inactive, start, bake, total, stop, grace;
	bool	 lb;
};

static const char *strategy_of(const struct xsvc *);
static bool	strategy_missing(const struct xsvc *, char *, size_t);

static const cJSON *
sc_config(const struct xsvc *s, char *path, size_t pathsz)
{
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(s->svc,
	    "serviceConnectConfiguration"), *d;
	int i = 0;

	if (sc != NULL && !json_is_unset(sc)) {
		(void)snprintf(path, pathsz, "%s.serviceConnectConfiguration",
		    s->jpath);
		return sc;
	}
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(s->svc,
	    "deployments")) {
		if (json_str(d, "status") != NULL &&
		    strcmp(json_str(d, "status"), "PRIMARY") == 0) {
			sc = cJSON_GetObjectItemCaseSensitive(d,
			    "serviceConnectConfiguration");
			(void)snprintf(path, pathsz, "%s.deployments[%d]."
			    "serviceConnectConfiguration", s->jpath, i);
			return sc == NULL || json_is_unset(sc) ? NULL : sc;
		}
		i++;
	}
	return NULL;
}

bool
svcpol_sc_server(const struct xsvc *s)
{
	char path[SVCPOL_PATH_MAX];
	const cJSON *sc = sc_config(s, path, sizeof(path));

	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "enabled")) &&
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sc,
	    "services")) > 0;
}

/* "orders (aliases orders:8080), ..." into sb. */
static void
sc_names(const struct xsvc *s, struct strbuf *sb)
{
	char path[SVCPOL_PATH_MAX];
	const cJSON *sc = sc_config(s, path, sizeof(path)), *e, *a;
	const char *dn;
	int n = 0, k;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(sc,
	    "services")) {
		dn = json_str(e, "discoveryName") != NULL ?
		    json_str(e, "discoveryName") : json_str(e, "portName");
		(void)strbuf_printf(sb, "%s%s", n++ > 0 ? ", " : "",
		    dn != NULL ? dn : "?");
		k = 0;
		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(e,
		    "clientAliases")) {
			const cJSON *port = cJSON_GetObjectItemCaseSensitive(a,
			    "port");

			(void)strbuf_printf(sb, "%s%s:%.0f", k++ == 0 ?
			    " (aliases " : ", ", json_str(a, "dnsName") != NULL ?
			    json_str(a, "dnsName") : (dn != NULL ? dn : "?"),
			    cJSON_IsNumber(port) ? port->valuedouble : 0);
		}
		if (k > 0)
			(void)strbuf_puts(sb, ")");
	}
}

/*
 * The waits of a strategy the re-created service keeps, seconds, counted
 * in full (an upper bound: ECS may not shift traffic on a first
 * deployment): the linear steps' or the canary's bake, then the bake time.
 */
static long long
bake_of(const struct xsvc *s)
{
	const cJSON *dc = cJSON_GetObjectItemCaseSensitive(s->svc,
	    "deploymentConfiguration"), *c;
	const char *st = strategy_of(s);
	char miss[SVCPOL_PATH_MAX];
	long long min = 0, v;
	double pct;

	if (strcmp(st, "ROLLING") == 0 || strategy_missing(s, miss,
	    sizeof(miss)))
		return 0;
	if (json_int(dc, "bakeTimeInMinutes", 0, 1440, &v) == 0)
		min += v;
	c = cJSON_GetObjectItemCaseSensitive(dc, "linearConfiguration");
	pct = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c,
	    "stepPercent"));
	if (strcmp(st, "LINEAR") == 0 && pct >= 1 && pct <= 100 &&
	    json_int(c, "stepBakeTimeInMinutes", 0, 1440, &v) == 0)
		min += ((long long)((100 + pct - 1) / pct) - 1) * v;
	c = cJSON_GetObjectItemCaseSensitive(dc, "canaryConfiguration");
	if (strcmp(st, "CANARY") == 0 &&
	    json_int(c, "canaryBakeTimeInMinutes", 0, 1440, &v) == 0)
		min += v;
	return min * 60;
}

/*
 * From the original's scale-down to the EC2 service being stable: its
 * tasks drain (the load balancer's deregistration delay, then the
 * containers' stop timeout), it turns INACTIVE, the EC2 service starts
 * and passes its health checks (grace period), each seen by one poll.
 */
static void
gap_of(const struct xsvc *s, struct gap *g)
{
	long long v;

	memset(g, 0, sizeof(*g));
	g->stop = s->td != NULL ? taskdef_stop_max(s->td) : 0;
	if (g->stop == 0)
		g->stop = SVCPOL_STOP_S;
	g->lb = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s->svc,
	    "loadBalancers")) > 0;
	if (json_int(s->svc, "healthCheckGracePeriodSeconds", 0, 2147483647,
	    &v) == 0)
		g->grace = v;
	g->drain = (g->lb ? SVCPOL_DEREG_S : 0) + g->stop + SVCPOL_POLL_S;
	g->inactive = 2 * SVCPOL_POLL_S;
	g->start = (g->grace > SVCPOL_START_S ? g->grace : SVCPOL_START_S) +
	    SVCPOL_POLL_S;
	g->bake = bake_of(s);
	g->total = g->drain + g->inactive + g->start + g->bake;
}

int
svcpol_controller(const struct xsvc *s)
{
	const char *type = json_str(cJSON_GetObjectItemCaseSensitive(s->svc,
	    "deploymentController"), "type");
	char *path;
	bool cd;

	if (type == NULL || strcmp(type, "ECS") == 0)
		return 0;
	cd = strcmp(type, "CODE_DEPLOY") == 0;
	path = xasprintf("%s.deploymentController.type", s->jpath);
	log_diag(1, s->src, path, type, cd ? "move it with CodeDeploy (a "
	    "deployment group for an EC2 service), or switch it to the ECS "
	    "controller first (UpdateService deploymentController ECS; "
	    "strategy BLUE_GREEN keeps blue/green) and export it again, or "
	    "leave it out of the export" : "move it with the controller that "
	    "owns its task sets, or leave it out of the export",
	    "service \"%s\": its deployments are run by %s, not by ECS: a "
	    "side-by-side copy would be a service that controller does not "
	    "know, and the cutover would delete the service it manages",
	    s->name, cd ? "CodeDeploy" : "an external controller");
	free(path);
	return -1;
}

static const char *
strategy_of(const struct xsvc *s)
{
	const char *st = json_str(cJSON_GetObjectItemCaseSensitive(s->svc,
	    "deploymentConfiguration"), "strategy");

	return st != NULL ? st : "ROLLING";
}

/*
 * The first resource a BLUE_GREEN / LINEAR / CANARY strategy needs that
 * the export does not carry, as a JSON path under the service (into
 * path), or false when all are there.
 */
static bool
strategy_missing(const struct xsvc *s, char *path, size_t pathsz)
{
	const cJSON *lb, *ac, *h, *dc = cJSON_GetObjectItemCaseSensitive(s->svc,
	    "deploymentConfiguration");
	const char *tt;
	int i = 0;

	cJSON_ArrayForEach(lb, cJSON_GetObjectItemCaseSensitive(s->svc,
	    "loadBalancers")) {
		ac = cJSON_GetObjectItemCaseSensitive(lb,
		    "advancedConfiguration");
		if (json_str(ac, "alternateTargetGroupArn") == NULL ||
		    json_str(ac, "roleArn") == NULL ||
		    (json_str(lb, "targetGroupArn") != NULL &&
		    json_str(ac, "productionListenerRule") == NULL)) {
			(void)snprintf(path, pathsz, "%s.loadBalancers[%d]."
			    "advancedConfiguration", s->jpath, i);
			return true;
		}
		i++;
	}
	i = 0;
	cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(dc,
	    "lifecycleHooks")) {
		tt = json_str(h, "targetType");
		if ((tt == NULL || strcmp(tt, "PAUSE") != 0) &&
		    (json_str(h, "hookTargetArn") == NULL ||
		    json_str(h, "roleArn") == NULL)) {
			(void)snprintf(path, pathsz, "%s.deploymentConfiguration."
			    "lifecycleHooks[%d]", s->jpath, i);
			return true;
		}
		i++;
	}
	return false;
}

/* Warnings: what the copy and the re-created service deploy with. */
static void
strategy_check(struct xlate *x, const struct xsvc *s)
{
	const char *st = strategy_of(s);
	char path[SVCPOL_PATH_MAX], miss[SVCPOL_PATH_MAX];
	bool lb;

	if (strcmp(st, "ROLLING") == 0)
		return;
	(void)snprintf(path, sizeof(path), "%s.deploymentConfiguration."
	    "strategy", s->jpath);
	lb = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s->svc,
	    "loadBalancers")) > 0;
	ctx_diag_warn(x, s->name, s->src, path, st, lb ? "check that the "
	    "production listener rule forwards to the primary target group "
	    "(loadBalancers[].targetGroupArn) before the import" : "none: "
	    "the copy serves only until the cutover",
	    "the copy %s deploys ROLLING: the strategy's resources (%s) stay "
	    "with %s", s->newname, lb ? "alternate target groups, listener "
	    "rules, lifecycle hooks; the copy registers its tasks in the "
	    "primary target group" : "lifecycle hooks, bake time", s->name);
	if (strategy_missing(s, miss, sizeof(miss)))
		ctx_diag_warn(x, s->name, s->src, miss, NULL, "export the "
		    "service with an AWS CLI that prints it (2025 or later), "
		    "or set the strategy again after the cutover", "the EC2 "
		    "service %s re-created at cutover deploys ROLLING too: "
		    "strategy %s needs this, and the export does not carry it",
		    s->name, st);
}

int
svcpol_check(struct xlate *x, struct xsvc *s)
{
	char path[SVCPOL_PATH_MAX];
	struct strbuf names;
	struct gap g;
	int rc = 0;

	/* What svcpol_md and report.json look at first, without the tree. */
	s->sc_server = svcpol_sc_server(s);
	s->strategy_other = strcmp(strategy_of(s), "ROLLING") != 0;
	strategy_check(x, s);
	if (!svcpol_sc_server(s))
		return 0;
	(void)sc_config(s, path, sizeof(path));
	strbuf_init(&names, SVCPOL_NAMES_MAX);
	sc_names(s, &names);
	gap_of(s, &g);
	(void)strncat(path, ".services", sizeof(path) - strlen(path) - 1);
	if (!opt_bool(x->opt, "accept-discovery-gap")) {
		log_diag(1, s->src, path, names.buf != NULL ? names.buf : "",
		    "pass --accept-discovery-gap to migrate it with that gap (the "
		    "copy joins the namespace as a client only; PLAN.md and "
		    "report.json give the window), or leave it out of the "
		    "export", "service \"%s\" is a Service Connect server: no "
		    "twin can claim its discovery names and client aliases, so "
		    "callers of those names get no answer from the scale-down "
		    "of the original until the EC2 service %s is stable (about "
		    "%lld s)", s->name, s->name, g.total);
		rc = -1;
	} else
		ctx_diag_warn(x, s->name, s->src, path, names.buf != NULL ?
		    names.buf : "", "run the cutover of this service when its "
		    "callers can wait",
		    "Service Connect server (--accept-discovery-gap): the copy "
		    "%s joins the namespace as a client only; callers lose "
		    "these names for about %lld s at cutover, from the "
		    "scale-down of %s until the EC2 service %s is stable",
		    s->newname, g.total, s->name, s->name);
	strbuf_cleanup(&names);
	return rc;
}

static void
strategy_rolling(cJSON *req)
{
	cJSON *dc = cJSON_GetObjectItemCaseSensitive(req,
	    "deploymentConfiguration"), *lb;
	static const char *const dropped[] = { "bakeTimeInMinutes",
	    "lifecycleHooks", "linearConfiguration", "canaryConfiguration",
	    NULL };
	const char *const *k;

	if (json_str(dc, "strategy") != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(dc, "strategy",
		    cJSON_CreateString("ROLLING"));
	for (k = dropped; *k != NULL; k++)
		json_del(dc, *k);
	cJSON_ArrayForEach(lb, cJSON_GetObjectItemCaseSensitive(req,
	    "loadBalancers"))
		json_del(lb, "advancedConfiguration");
}

void
svcpol_twin(cJSON *req)
{
	cJSON *sc = cJSON_GetObjectItemCaseSensitive(req,
	    "serviceConnectConfiguration");

	if (req == NULL)
		return;
	json_del(sc, "serviceConnectResources");
	json_del(sc, "services");
	strategy_rolling(req);
}

void
svcpol_recreate(const struct xsvc *s, cJSON *req)
{
	char miss[SVCPOL_PATH_MAX];

	if (req != NULL && strcmp(strategy_of(s), "ROLLING") != 0 &&
	    strategy_missing(s, miss, sizeof(miss)))
		strategy_rolling(req);
}

void
svcpol_md(struct xlate *x)
{
	struct strbuf *sb = &x->md_services, names;
	char miss[SVCPOL_PATH_MAX];
	size_t i, nsc = 0, nst = 0;
	struct gap g;

	for (i = 0; i < x->nmig; i++) {
		nsc += x->mig[i]->sc_server;
		nst += x->mig[i]->strategy_other;
	}
	if (nsc > 0) {
		(void)strbuf_printf(sb, "## Service Connect: the discovery "
		    "gap at cutover\n\nA Service Connect server's discovery "
		    "names and client aliases belong to one service at a time: "
		    "the copy joins the namespace as a client only, and the "
		    "names move with the cutover (`--accept-discovery-gap`). "
		    "The chain keeps the gap to the minimum: the original is "
		    "scaled down only once the copy is stable and healthy, and "
		    "the EC2 service with the original name and the full "
		    "`serviceConnectConfiguration` is created as soon as the "
		    "original is INACTIVE. Callers of the names get no answer "
		    "from `cut/NAME:scale-down` until `cut/NAME:stable` (the "
		    "load balancer, if any, keeps reaching the copy). A "
		    "rollback after the cutover has the same gap: its temporary "
		    "Fargate service `f2o-rb-NAME` is a client only too.\n\n"
		    "The estimate adds: the drain (the target group's "
		    "deregistration delay, %d s by default as the export does "
		    "not carry it, then the longest container `stopTimeout`, "
		    "%d s if unset), the original turning INACTIVE, the start "
		    "of the EC2 service's tasks (the health check grace period, "
		    "at least %d s), one %d s poll of f2o-exec after each, and "
		    "the bake times of a BLUE_GREEN, LINEAR or CANARY strategy "
		    "the EC2 service keeps (counted in full). "
		    "Add about %d s when Ocean must launch an instance for the "
		    "new tasks (no headroom beside the copy).\n\n"
		    "| service | discovery names | drain | INACTIVE | start | "
		    "strategy | expected window |\n"
		    "|---|---|---:|---:|---:|---:|---:|\n",
		    SVCPOL_DEREG_S, SVCPOL_STOP_S, SVCPOL_START_S,
		    SVCPOL_POLL_S, SVCPOL_INSTANCE_S);
		for (i = 0; i < x->nmig; i++) {
			const struct xsvc *s = x->mig[i];

			if (!s->sc_server)
				continue;
			(void)export_svc_hold(x->ex, s);
			gap_of(s, &g);
			strbuf_init(&names, SVCPOL_NAMES_MAX);
			sc_names(s, &names);
			(void)strbuf_puts(sb, "| ");
			planmd_cell(sb, s->name);
			(void)strbuf_puts(sb, " | ");
			planmd_cell(sb, names.buf != NULL ? names.buf : "");
			(void)strbuf_printf(sb, " | %lld s (", g.drain);
			if (g.lb)
				(void)strbuf_printf(sb, "%d s deregistration + ",
				    SVCPOL_DEREG_S);
			(void)strbuf_printf(sb, "%lld s stop) | %lld s | %lld s "
			    "(grace %lld s) | %lld s | **%lld s** |\n", g.stop,
			    g.inactive, g.start, g.grace, g.bake, g.total);
			strbuf_cleanup(&names);
		}
		(void)strbuf_puts(sb, "\n");
	}
	if (nst == 0)
		return;
	(void)strbuf_puts(sb, "## Deployment strategies\n\nThe copy and the "
	    "rollback's temporary Fargate service deploy ROLLING: the "
	    "alternate target groups, listener rules and lifecycle hooks "
	    "belong to the original, and the copy registers its tasks in the "
	    "primary target group. Check that the production listener rule "
	    "forwards there before the import.\n\n| service | strategy | copy "
	    "| EC2 service re-created at cutover |\n|---|---|---|---|\n");
	for (i = 0; i < x->nmig; i++) {
		const struct xsvc *s = x->mig[i];
		const char *st;

		if (!s->strategy_other)
			continue;
		st = export_svc_hold(x->ex, s) == -1 ? "ROLLING" :
		    strategy_of(s);
		if (strcmp(st, "ROLLING") == 0)
			continue;
		(void)strbuf_puts(sb, "| ");
		planmd_cell(sb, s->name);
		(void)strbuf_printf(sb, " | %s | ROLLING | ", st);
		if (strategy_missing(s, miss, sizeof(miss))) {
			(void)strbuf_puts(sb, "ROLLING: the export lacks `");
			planmd_cell(sb, miss);
			(void)strbuf_puts(sb, "` |\n");
		} else
			(void)strbuf_printf(sb, "%s, with the exported target "
			    "groups, listener rules and hooks |\n", st);
	}
	(void)strbuf_puts(sb, "\n");
}

void
svcpol_report(const struct xsvc *s, cJSON *o)
{
	struct strbuf names;
	struct gap g;
	cJSON *d;

	if (!svcpol_sc_server(s))
		return;
	gap_of(s, &g);
	strbuf_init(&names, SVCPOL_NAMES_MAX);
	sc_names(s, &names);
	d = cJSON_AddObjectToObject(o, "discoveryGap");
	json_add_str(d, "discoveryNames", names.buf != NULL ? names.buf :
	    "");
	json_add_num(d, "seconds", (double)g.total);
	json_add_num(d, "drainSeconds", (double)g.drain);
	json_add_num(d, "inactiveSeconds", (double)g.inactive);
	json_add_num(d, "startSeconds", (double)g.start);
	json_add_num(d, "strategySeconds", (double)g.bake);
	json_add_num(d, "newInstanceSeconds", SVCPOL_INSTANCE_S);
	json_add_str(d, "why", "callers lose the names from the original's "
	    "scale-down until the EC2 service is stable: drain (deregistration "
	    "delay, stop timeout), INACTIVE, create, start within the health "
	    "check grace period; newInstanceSeconds more if Ocean must launch "
	    "an instance");
	strbuf_cleanup(&names);
}
