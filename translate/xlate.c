/*
 * The translation pipeline: read exports, pick the services to migrate,
 * run the stages, write the bundle (all or nothing).
 */
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autoscale.h"
#include "consist.h"
#include "ctx.h"
#include "cutover.h"
#include "digest.h"
#include "export.h"
#include "fsio.h"
#include "iac.h"
#include "iampolicy.h"
#include "jsonutil.h"
#include "log.h"
#include "modelcheck.h"
#include "ocean.h"
#include "options.h"
#include "plan.h"
#include "planmd.h"
#include "preflight.h"
#include "report.h"
#include "service.h"
#include "sg.h"
#include "strbuf.h"
#include "taskdef.h"
#include "timing.h"
#include "xalloc.h"
#include "xlate.h"

/*
 * The default templates: a "templates" directory next to the binary's
 * directory or up to two levels higher (build/f2o-translate and
 * build/san/f2o-translate in a source tree), or PREFIX/share/f2o/templates
 * of an installed tree that was moved (DESTDIR), else the configured
 * DATADIR.
 */
static char *
default_templates_dir(void)
{
	char exe[PATH_MAX], *slash, *d;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int up;

	if (n > 0) {
		exe[n] = '\0';
		for (up = 0; up < 3; up++) {
			slash = strrchr(exe, '/');
			if (slash == NULL || slash == exe)
				break;
			*slash = '\0';
			d = xasprintf("%s/templates", exe);
			if (fsio_is_dir(d))
				return d;
			free(d);
			/* An installed tree, wherever its prefix now is. */
			d = xasprintf("%s/share/f2o/templates", exe);
			if (fsio_is_dir(d))
				return d;
			free(d);
		}
	}
	return xstrdup(F2O_DATADIR "/templates");
}

/* Region, account and cluster: options first, then the export. */
/* A region code: "us-east-1", "cn-north-1", "us-gov-west-1". */
static bool
region_valid(const char *r)
{
	size_t i, parts = 1;

	if (strlen(r) < 6 || strlen(r) > 32)
		return false;
	for (i = 0; r[i] != '\0'; i++) {
		if (r[i] == '-') {
			if (i == 0 || r[i + 1] == '\0' || r[i + 1] == '-')
				return false;
			parts++;
		} else if (!((r[i] >= 'a' && r[i] <= 'z') ||
		    (r[i] >= '0' && r[i] <= '9')))
			return false;
	}
	i = strlen(r) - 1;
	return parts >= 3 && r[i] >= '0' && r[i] <= '9';
}

static int
resolve_target(struct xlate *x, struct options *opt)
{
	const char *cl = NULL, *given_region = opt_str(opt, "region");
	size_t i;

	if (opt_str(opt, "region") == NULL && x->ex->region != NULL)
		opt_set_str(opt, "region", x->ex->region);
	if (opt_str(opt, "ecs-cluster") == NULL) {
		for (i = 0; i < x->ex->nsvcs; i++) {
			const char *c = x->ex->svcs[i].cluster;

			if (c == NULL || !x->ex->svcs[i].fargate)
				continue;
			if (cl != NULL && strcmp(cl, c) != 0) {
				log_errx("the export holds services of clusters "
				    "\"%s\" and \"%s\": choose one with "
				    "--ecs-cluster", cl, c);
				return -1;
			}
			cl = c;
		}
		if (cl != NULL)
			opt_set_str(opt, "ecs-cluster", cl);
	}
	if (opt_str(opt, "ecs-cluster") == NULL) {
		log_errx("the export does not name the ECS cluster "
		    "(no clusterArn): give --ecs-cluster");
		return -1;
	}
	if (opt_str(opt, "region") == NULL) {
		log_errx("the export does not name the region (no ARNs): give "
		    "--region");
		return -1;
	}
	if (!region_valid(opt_str(opt, "region"))) {
		if (given_region == NULL && x->ex->region_src != NULL)
			log_errx("%s: region \"%s\" in the ARN is not a region "
			    "code such as us-east-1 (a documentation "
			    "placeholder?): give --region", x->ex->region_src,
			    opt_str(opt, "region"));
		else
			log_errx("--region \"%s\" is not a region code such as "
			    "us-east-1", opt_str(opt, "region"));
		return -1;
	}
	return 0;
}

/*
 * The manifest's "inputs" (BUNDLE.md), made as a tree (tree set) or as
 * the text json_print() gives it at depth 1, on w a member at a time.
 */
struct inputs_out {
	cJSON	*tree, *sect;
	struct json_objw w, sw;
};

static void
inputs_section(struct inputs_out *o, const char *name)
{
	if (o->tree != NULL) {
		o->sect = cJSON_AddObjectToObject(o->tree, name);
		return;
	}
	if (o->sw.sb != NULL)
		json_objw_close(&o->sw);
	json_objw_key(&o->w, name);
	json_objw_open(&o->sw, o->w.sb, 2);
}

static void
inputs_member(struct inputs_out *o, const char *key, const char *hex)
{
	cJSON *v;

	if (o->tree != NULL) {
		json_add_str(o->sect, key, hex);
		return;
	}
	v = cJSON_CreateStringReference(hex);
	json_objw_key(&o->sw, key);
	json_objw_value(&o->sw, v);
	cJSON_Delete(v);
}

static void
inputs_walk(const struct export *ex, struct inputs_out *o)
{
	static const char *const aas_keys[XAAS__MAX] = { "scalableTargets",
	    "scalingPolicies", "scheduledActions", "alarms" };
	char hex[DIGEST_HEX_LEN + 1];
	size_t i;
	int kind;

	inputs_section(o, "services");
	for (i = 0; i < ex->nsvcs; i++) {
		char *k = xasprintf("%s/%s", ex->svcs[i].cluster != NULL ?
		    ex->svcs[i].cluster : "-", ex->svcs[i].name);

		digest_hex(hex, ex->svcs[i].digest);
		inputs_member(o, k, hex);
		free(k);
	}
	inputs_section(o, "taskDefinitions");
	for (i = 0; i < ex->ntds; i++) {
		digest_hex(hex, ex->tds[i].digest);
		inputs_member(o, ex->tds[i].key, hex);
	}
	inputs_section(o, "securityGroups");
	for (i = 0; i < ex->nsgs; i++)
		inputs_member(o, ex->sgs[i].id, ex->sgs[i].digest);
	/* Scaling inputs: only when given (BUNDLE.md "manifest.json"). */
	for (kind = 0; kind < XAAS__MAX; kind++) {
		const struct xaas_list *l = &ex->aas[kind];

		if (l->pages == 0)
			continue;
		inputs_section(o, aas_keys[kind]);
		for (i = 0; i < l->n; i++)
			inputs_member(o, l->items[i].key, l->items[i].digest);
	}
}

static cJSON *
inputs_json(const struct export *ex)
{
	struct inputs_out o;

	memset(&o, 0, sizeof(o));
	o.tree = cJSON_CreateObject();
	inputs_walk(ex, &o);
	return o.tree;
}

/*
 * The same as raw text for the manifest: a fifth of the tree's memory
 * (10,000 services: 2.3 MB, not 6), none of it until the end.
 */
static cJSON *
inputs_raw(const struct export *ex)
{
	struct inputs_out o;
	struct strbuf sb;
	cJSON *raw;
	char *t;

	memset(&o, 0, sizeof(o));
	strbuf_init(&sb, BUNDLE_MAX_FILE);
	json_objw_open(&o.w, &sb, 1);
	inputs_walk(ex, &o);
	json_objw_close(&o.sw);
	json_objw_close(&o.w);
	if (sb.full) {
		strbuf_cleanup(&sb);
		log_errx("bundle: %s: its inputs are larger than %lu bytes",
		    BUNDLE_MANIFEST, BUNDLE_MAX_FILE);
		return NULL;
	}
	t = strbuf_take(&sb, NULL);
	raw = cJSON_CreateRaw(t);
	free(t);
	return raw;
}

/* The parsed export and what stages hung on its services leave memory. */
static void
drop_export(struct xlate *x)
{
	size_t i;

	for (i = 0; x->ex != NULL && i < x->ex->nsvcs; i++)
		autoscale_free(x->ex->svcs[i].scaling);
	export_free(x->ex);
	x->ex = NULL;
#ifdef __GLIBC__
	/*
	 * Its many small pieces lay among those of every stage: the pages
	 * they leave whole go back to the system before the manifest and
	 * the sorted file list are made (10,000 services: 7 MiB less peak).
	 */
	(void)malloc_trim(0);
#endif
}

/* PLAN.md's section texts. */
#define MD_SECTION_HELD	(64 * 1024)	/* bytes kept in memory */
static void
md_sections_free(struct xlate *x)
{
	strbuf_cleanup(&x->md_steps_intro);
	strbuf_cleanup(&x->md_services);
	strbuf_cleanup(&x->md_sg);
	strbuf_cleanup(&x->md_ocean);
	strbuf_cleanup(&x->md_cost);
	strbuf_cleanup(&x->md_phases);
}

/*
 * PLAN.md's larger sections wait in temporary files between stages (each
 * a MiB or more for 10,000 services); md_steps_intro stays (planmd.c
 * reads its buffer).
 */
static void
md_sections_spill(struct xlate *x)
{
	strbuf_spill(&x->md_services, MD_SECTION_HELD);
	strbuf_spill(&x->md_sg, MD_SECTION_HELD);
	strbuf_spill(&x->md_ocean, MD_SECTION_HELD);
	strbuf_spill(&x->md_cost, MD_SECTION_HELD);
	strbuf_spill(&x->md_phases, MD_SECTION_HELD);
}

static void
xlate_cleanup(struct xlate *x)
{
	size_t i;

	for (i = 0; i < x->nwarns; i++) {
		free(x->warns[i].subject);
		free(x->warns[i].message);
	}
	free(x->warns);
	free(x->mig);
	plan_free(x->plan);
	bundle_free(x->bundle);
	cJSON_Delete(x->templates);
	cJSON_Delete(x->resolved);
	free(x->templates_dir);
	free(x->bundle_id);
	iampolicy_free(x->iam);
	ctx_cleanup(x);
	for (i = 0; i < x->ninstance_sgs; i++)
		free(x->instance_sgs[i]);
	free(x->instance_sgs);
	for (i = 0; i < x->nsg_steps; i++)
		free(x->sg_steps[i]);
	free(x->sg_steps);
	free(x->ocean_step);
	for (i = 0; i < x->nvng_steps; i++)
		free(x->vng_steps[i]);
	free(x->vng_steps);
	md_sections_free(x);
	drop_export(x);
}

static int
finish(struct xlate *x, cJSON *params)
{
	cJSON *meta, *w, *o, *in, *fp;
	size_t i;
	char *gen, *acct;

	w = cJSON_CreateArray();
	for (i = 0; i < x->nwarns; i++) {
		o = cJSON_CreateObject();
		json_add_str(o, "subject", x->warns[i].subject);
		json_add_str(o, "message", x->warns[i].message);
		cJSON_AddItemToArray(w, o);
	}
	if (bundle_add_json(x->bundle, "warnings.json", w) == -1) {
		cJSON_Delete(w);
		return -1;
	}
	cJSON_Delete(w);
	if (plan_write(x->plan, x->bundle, "plan.json") == -1)
		return -1;
	timing_mark("plan.json");
	if (planmd_write(x) == -1)
		return -1;
	timing_mark("PLAN.md");
	md_sections_free(x);	/* in PLAN.md now */
	acct = preflight_account(x);
	if (acct == NULL || iampolicy_write(x, acct) == -1) {
		free(acct);
		return -1;
	}
	timing_mark("iam-policy.json");
	/* Written: the policy's actions and resources leave memory. */
	iampolicy_free(x->iam);
	x->iam = NULL;
	/* The last file is in: none is looked up by name any more. */
	bundle_forget_names(x->bundle);
	/*
	 * The plan leaves memory before the manifest's members are made
	 * (inputs as text, fingerprints), the export before its text.
	 */
	x->nsteps = x->plan->nsteps;
	plan_free(x->plan);
	x->plan = NULL;
	in = inputs_raw(x->ex);
	fp = preflight_fingerprints(x);
	if (in == NULL || x->ex->failed) {	/* a service's file read
						   again (logged) */
		free(acct);
		cJSON_Delete(in);
		cJSON_Delete(fp);
		return -1;
	}
	drop_export(x);
	meta = cJSON_CreateObject();
	gen = xasprintf("f2o-translate %s", F2O_VERSION);
	json_add_str(meta, "generator", gen);
	free(gen);
	json_add_str(meta, "bundleId", x->bundle_id);
	cJSON_AddItemToObject(meta, "parameters", cJSON_Duplicate(params, 1));
	cJSON_AddItemToObject(meta, "inputs", in);
	cJSON_AddItemToObject(meta, "templates",
	    cJSON_Duplicate(x->templates, 1));
	json_add_str(meta, "account", acct);
	free(acct);
	cJSON_AddItemToObject(meta, "fingerprints", fp);
	return bundle_seal(x->bundle, meta);
}

int
xlate_run(struct options *opt, char **inputs, size_t ninputs)
{
	struct xlate xl, *x = &xl;
	cJSON *params = NULL, *in = NULL;
	char *pc = NULL, *ic = NULL, *both = NULL, hex[DIGEST_HEX_LEN + 1];
	size_t i, bad;
	int rc = -1, r;

	memset(x, 0, sizeof(*x));
	x->opt = opt;
	timing_start();
#ifdef __GLIBC__
	/*
	 * Buffers of a MiB and more (pages read again, the manifest's text,
	 * the sorted file list) each in a mapping of its own, given back
	 * when freed and grown in place, never in the heap: glibc's own
	 * threshold rises to the largest freed (13 MiB for 10,000 services)
	 * and the manifest's text then doubled its way through pages of the
	 * heap (10,000 services: 8 MiB less peak).
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
#endif
	x->plan = plan_new();
	/* A large plan is never whole in memory: spilled beside the output. */
	plan_spill(x->plan, opt_str(opt, "output"));
	x->bundle = bundle_new();
	x->templates = cJSON_CreateObject();
	x->resolved = cJSON_CreateObject();
	x->templates_dir = default_templates_dir();
	x->iam = iampolicy_new();
	strbuf_init(&x->md_steps_intro, MODEL_MD_MAX);
	strbuf_init(&x->md_services, MODEL_MD_MAX);
	strbuf_init(&x->md_sg, MODEL_MD_MAX);
	strbuf_init(&x->md_ocean, MODEL_MD_MAX);
	strbuf_init(&x->md_cost, MODEL_MD_MAX);
	strbuf_init(&x->md_phases, MODEL_MD_MAX);

	log_set_warn_hook(ctx_warn_hook, x);
	modelcheck_allow_unknown(opt_bool(opt, "allow-unknown-values"));
	if (export_load(&x->ex, inputs, ninputs, opt_str(opt, "config"),
	    opt_str(opt, "duplicate-keys") != NULL &&
	    strcmp(opt_str(opt, "duplicate-keys"), "last") == 0 ?
	    JSON_DUP_LAST : JSON_DUP_ERROR, opt_str(opt, "output")) == -1)
		goto out;
	timing_mark("read-export");
	ctx_warns_rename(x);
	/* Every service is looked at: all their errors are reported. */
	for (i = 0, bad = 0; i < x->ex->nsvcs; i++) {
		r = export_svc_hold(x->ex, &x->ex->svcs[i]) == -1 ? -1 :
		    service_select(x, &x->ex->svcs[i]);
		if (r == -1)
			bad++;
		if (r == 1) {
			x->mig = xreallocarray(x->mig, x->nmig + 1,
			    sizeof(*x->mig));
			x->mig[x->nmig++] = &x->ex->svcs[i];
		}
	}
	/* Owned by a stack: refused unless --allow-iac-owned. */
	if (iac_check(x) == -1)
		bad++;
	if (bad > 0)
		goto out;
	if (x->nmig == 0) {
		if (x->ex->nsvcs > 0)
			log_errx("%s: %s: no Fargate service to migrate: %zu "
			    "services read, none of them on Fargate with an ECS "
			    "deployment controller (see the warnings above)",
			    x->ex->svcs[0].src, x->ex->svcs[0].jpath,
			    x->ex->nsvcs);
		else if (x->ex->ntds > 0)
			log_errx("%s: %s: task definition %s, but no service "
			    "in the export: add the output of `aws ecs "
			    "describe-services` for the services that use it",
			    x->ex->tds[0].src, x->ex->tds[0].jpath,
			    x->ex->tds[0].key);
		else
			log_errx("no service in the export: give the output of "
			    "`aws ecs describe-services` with the task "
			    "definitions");
		goto out;
	}
	if (consist_clusters(x) == -1 || resolve_target(x, opt) == -1 ||
	    consist_check(x) == -1)
		goto out;
	for (i = 0; i < x->ex->ntds; i++)
		if (x->ex->tds[i].used && (export_td_hold(x->ex,
		    &x->ex->tds[i]) == -1 || taskdef_analyze(&x->ex->tds[i]) ==
		    -1))
			goto out;
	/* The bundle id names parameters + inputs, before any stage. */
	params = options_manifest(opt);
	in = inputs_json(x->ex);
	pc = json_canonical(params);
	ic = json_canonical(in);
	both = xasprintf("%s\n%s", pc, ic);
	if (digest_sha256_hex(hex, both, strlen(both)) == -1)
		goto out;
	hex[16] = '\0';
	x->bundle_id = xstrdup(hex);
	/* Made again for the manifest: out of memory meanwhile. */
	cJSON_Delete(in);
	in = NULL;
	free(pc);	/* the inputs' canonical text: MBs for a large export */
	free(ic);
	free(both);
	pc = ic = both = NULL;
	timing_mark("check-services");
	/* Each request file leaves memory as soon as it is made. */
	if (bundle_stream(x->bundle, opt_str(opt, "output"),
	    opt_bool(opt, "force")) == -1)
		goto out;

	if (taskdef_plan(x) == -1)
		goto out;
	md_sections_spill(x);
	timing_mark("taskdefs");
	if (sg_plan(x) == -1)
		goto out;
	md_sections_spill(x);
	timing_mark("security-groups");
	if (ocean_plan(x) == -1)
		goto out;
	md_sections_spill(x);
	timing_mark("ocean");
	if (service_plan(x) == -1)
		goto out;
	md_sections_spill(x);
	timing_mark("services");
	if (autoscale_plan(x) == -1)
		goto out;
	md_sections_spill(x);
	timing_mark("autoscaling");
	if (cutover_plan(x) == -1)
		goto out;
	md_sections_spill(x);
	timing_mark("cutover+rollback");
	plan_close(x->plan);	/* every step is in: its id map leaves memory */
	if (report_plan(x) == -1)
		goto out;
	md_sections_spill(x);
	timing_mark("report");
	cJSON_Delete(params);
	params = options_manifest(opt);	/* with what the stages resolved */
	{
		const cJSON *rv;

		cJSON_ArrayForEach(rv, x->resolved)
			if (cJSON_GetObjectItemCaseSensitive(params,
			    rv->string) == NULL)
				cJSON_AddItemToObject(params, rv->string,
				    cJSON_Duplicate(rv, 1));
	}
	r = finish(x, params);
	if (r == -1)
		goto out;
	timing_mark("manifest");
	if (bundle_write(x->bundle, opt_str(opt, "output"),
	    opt_bool(opt, "force")) == -1)
		goto out;
	timing_mark("write-bundle");
	log_info("%zu services to migrate, %zu steps, %zu warnings",
	    x->nmig, x->nsteps, x->nwarns);
	log_info("bundle written to %s", opt_str(opt, "output"));
	printf("%s\n", x->bundle->digest);
	if (fflush(stdout) != 0)
		goto out;
	rc = 0;
out:
	free(pc);
	free(ic);
	free(both);
	cJSON_Delete(params);
	cJSON_Delete(in);
	log_set_warn_hook(NULL, NULL);
	xlate_cleanup(x);
	timing_end();
	return rc;
}
