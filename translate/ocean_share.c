/*
 * On-demand share: what a capacity provider strategy keeps on FARGATE, the
 * node groups that keep it (strategy.spotPercentage), their PLAN.md part.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "jsonutil.h"
#include "ocean.h"
#include "ocean_int.h"
#include "ocean_share.h"
#include "options.h"
#include "strbuf.h"
#include "xalloc.h"

/* ---------------------------------------------------------------- */
/* The share (pure, unit-tested). */

/* A whole number member in [0, max]; absent or invalid: 0. */
static long long
member(const cJSON *e, const char *key, long long max)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
	double d;

	if (!cJSON_IsNumber(v))
		return 0;
	d = v->valuedouble;
	if (!(d > 0))
		return 0;
	if (d > (double)max)
		return max;
	return (long long)d;
}

double
ocean_share_split(const cJSON *cps, long long desired, bool *mixed,
    int *ondemand)
{
	long long d, left, b_od = 0, b_spot = 0, w_od = 0, w_spot = 0, w;
	long long od_num, spot_num, den;
	bool has_od = false, has_spot = false, od;
	const cJSON *e;
	int pct;

	d = desired < 0 ? 0 : desired > OCEAN_SHARE_MAX_TASKS ?
	    OCEAN_SHARE_MAX_TASKS : desired;
	left = d;
	/* Base tasks first, in the strategy's order. */
	cJSON_ArrayForEach(e, cps) {
		const char *cp = json_str(e, "capacityProvider");
		long long base, take;

		if (cp == NULL)
			continue;
		if (strcmp(cp, "FARGATE") == 0)
			od = true;
		else if (strcmp(cp, "FARGATE_SPOT") == 0)
			od = false;
		else
			continue;
		base = member(e, "base", OCEAN_SHARE_MAX_BASE);
		take = base < left ? base : left;
		left -= take;
		if (od) {
			has_od = true;
			b_od += take;
			if (w_od < OCEAN_SHARE_MAX_TASKS)
				w_od += member(e, "weight",
				    OCEAN_SHARE_MAX_WEIGHT);
		} else {
			has_spot = true;
			b_spot += take;
			if (w_spot < OCEAN_SHARE_MAX_TASKS)
				w_spot += member(e, "weight",
				    OCEAN_SHARE_MAX_WEIGHT);
		}
	}
	if (mixed != NULL)
		*mixed = has_od && has_spot;
	if (!has_od && !has_spot) {
		if (ondemand != NULL)
			*ondemand = 0;
		return 0;
	}
	/* The rest by weight; no weight at all counts as on-demand. */
	w = w_od + w_spot;
	if (w == 0) {
		w_od = 1;
		w = 1;
	}
	if (d == 0) {
		/* No task to count: the weights alone. */
		od_num = w_od;
		spot_num = w_spot;
		den = w;
	} else {
		od_num = b_od * w + left * w_od;
		spot_num = b_spot * w + left * w_spot;
		den = d * w;
	}
	pct = (int)((100 * od_num + den - 1) / den);
	if (ondemand != NULL)
		*ondemand = pct > 100 ? 100 : pct;
	return (double)spot_num / (double)den;
}

void
ocean_share_note(struct xsvc *s)
{
	const cJSON *cps = cJSON_GetObjectItemCaseSensitive(s->svc,
	    "capacityProviderStrategy"), *e;
	const char *cp;

	s->names_spot = false;
	cJSON_ArrayForEach(e, cps)
		if ((cp = json_str(e, "capacityProvider")) != NULL &&
		    strcmp(cp, "FARGATE_SPOT") == 0)
			s->names_spot = true;
	s->spot_share = ocean_share_split(cps, s->desired, &s->share_mixed,
	    &s->share_od);
}

void
ocean_share_of(const struct xlate *x, const struct xsvc *s,
    struct ocean_share *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(x->opt->values,
	    "spot-percentage");

	if (cJSON_IsNumber(v)) {
		out->src = OCEAN_SHARE_OVERRIDE;
		out->ondemand = 100 - (int)v->valuedouble;
		return;
	}
	/* Split when the export was read (export_kinds_service). */
	out->src = s->share_mixed ? OCEAN_SHARE_STRATEGY : OCEAN_SHARE_NONE;
	out->ondemand = s->share_mixed ? s->share_od : 0;
}

bool
ocean_share_shown(const struct xlate *x)
{
	size_t i;

	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x->opt->values,
	    "spot-percentage")))
		return true;
	for (i = 0; i < x->nmig; i++)
		if (x->mig[i]->names_spot)
			return true;
	return false;
}

const char *
ocean_share_why(const struct ocean_share *sh)
{
	switch (sh->src) {
	case OCEAN_SHARE_STRATEGY:
		return "stated by the capacity provider strategy (FARGATE and "
		    "FARGATE_SPOT)";
	case OCEAN_SHARE_OVERRIDE:
		return "--spot-percentage";
	default:
		return "no on-demand requirement: the cluster's strategy";
	}
}

/* ---------------------------------------------------------------- */
/* Node groups and payloads. */

struct ogroup *
ocean_share_group(struct octx *c, int base, int od)
{
	struct ogroup *g;
	size_t i;

	for (i = 0; i < c->ng; i++)
		if (c->g[i].base == base && c->g[i].ondemand == od)
			return &c->g[i];
	c->g = xreallocarray(c->g, c->ng + 1, sizeof(*c->g));
	g = &c->g[c->ng++];
	memset(g, 0, sizeof(*g));
	g->base = base;
	g->ondemand = od;
	g->arm64 = base >= 2;
	g->disk = (base % 2) == 1;
	if (od > 0)
		(void)snprintf(g->name, sizeof(g->name), "%s-od%d",
		    ocean_group_names[base], od);
	else
		(void)snprintf(g->name, sizeof(g->name), "%s",
		    ocean_group_names[base]);
	return g;
}

static int
group_cmp(const void *a, const void *b)
{
	const struct ogroup *x = a, *y = b;

	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return x->ondemand < y->ondemand ? -1 : x->ondemand > y->ondemand;
}

void
ocean_share_finish(struct octx *c)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->x->opt->values,
	    "spot-percentage");
	size_t i;

	if (c->ng > 1)
		qsort(c->g, c->ng, sizeof(*c->g), group_cmp);
	c->spot_override = cJSON_IsNumber(v) ? (int)v->valuedouble : -1;
	c->vng_strategy = false;
	for (i = 0; i < c->ng; i++)
		if (c->g[i].ondemand > 0)
			c->vng_strategy = true;
}

static cJSON *
strategy_of(cJSON *obj)
{
	cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "strategy");

	if (!cJSON_IsObject(st)) {
		json_del(obj, "strategy");
		st = cJSON_AddObjectToObject(obj, "strategy");
	}
	return st;
}

static void
percent_set(cJSON *st, int v)
{
	cJSON *n = cJSON_CreateNumber(v);

	/* In place: the member keeps its position in the template's order. */
	if (!cJSON_ReplaceItemInObjectCaseSensitive(st, "spotPercentage", n))
		cJSON_AddItemToObject(st, "spotPercentage", n);
}

void
ocean_share_cluster(struct octx *c, cJSON *cl)
{
	cJSON *st;

	if (c->spot_override >= 0) {
		percent_set(strategy_of(cl), c->spot_override);
		return;
	}
	/* Spot takes a VNG's spotPercentage only without the cluster's. */
	if (c->vng_strategy) {
		st = cJSON_GetObjectItemCaseSensitive(cl, "strategy");
		json_del(st, "spotPercentage");
	}
}

void
ocean_share_vng(struct octx *c, const struct ogroup *g, cJSON *ls)
{
	cJSON *st = cJSON_GetObjectItemCaseSensitive(ls, "strategy");

	if (c->vng_strategy) {
		percent_set(strategy_of(ls), 100 - g->ondemand);
		return;
	}
	if (c->spot_override >= 0 && cJSON_IsObject(st)) {
		/* The cluster carries it: a template's would be refused. */
		json_del(st, "spotPercentage");
		if (st->child == NULL)
			json_del(ls, "strategy");
	}
}

/* ---------------------------------------------------------------- */
/* PLAN.md */

static void
md_strategy(struct strbuf *sb, const struct xsvc *s)
{
	const cJSON *cps = cJSON_GetObjectItemCaseSensitive(s->svc,
	    "capacityProviderStrategy"), *e;
	const char *lt = json_str(s->svc, "launchType");
	size_t n = 0;

	cJSON_ArrayForEach(e, cps) {
		const char *cp = json_str(e, "capacityProvider");

		if (cp == NULL)
			continue;
		(void)strbuf_printf(sb, "%s%s base %lld weight %lld",
		    n++ > 0 ? ", " : "", cp,
		    member(e, "base", OCEAN_SHARE_MAX_BASE),
		    member(e, "weight", OCEAN_SHARE_MAX_WEIGHT));
	}
	if (n == 0)
		(void)strbuf_printf(sb, "launch type %s", lt != NULL ? lt :
		    "(none)");
}

void
ocean_share_md(struct octx *c)
{
	struct strbuf *sb = &c->x->md_ocean;
	struct ocean_share sh;
	size_t i;

	if (!ocean_share_shown(c->x))
		return;
	(void)strbuf_puts(sb, "### On-demand share\n\n");
	if (c->spot_override >= 0)
		(void)strbuf_printf(sb, "`--spot-percentage %d`: every service "
		    "runs %d%% on spot and %d%% on on-demand instances, through "
		    "the cluster's `strategy.spotPercentage` (%d), whatever its "
		    "capacity provider strategy stated.\n\n", c->spot_override,
		    c->spot_override, 100 - c->spot_override,
		    c->spot_override);
	else
		(void)strbuf_puts(sb, "A capacity provider strategy that names "
		    "both FARGATE and FARGATE_SPOT states an on-demand share, "
		    "and the bundle keeps it: the percent of the service's "
		    "tasks on FARGATE at its exported desiredCount (base tasks "
		    "first, in the strategy's order, then the rest split by "
		    "weight), rounded up to a whole percent in favour of "
		    "on-demand; with desiredCount 0, the weights alone. Such a "
		    "service runs on a node group of its architecture whose "
		    "`strategy.spotPercentage` is 100 minus that percent "
		    "(named `-od<percent>`; services with the same share "
		    "share it), and the cluster's strategy then carries no "
		    "`spotPercentage` (Spot allows a VNG's only without it; "
		    "`fallbackToOd` stays). The FARGATE launch type, FARGATE "
		    "alone and FARGATE_SPOT alone state no requirement: such "
		    "services run at the cluster's strategy, 100% spot with "
		    "fallback to on-demand. `--spot-percentage N` overrides "
		    "this for every service. The share is fixed at translation: "
		    "a desiredCount changed later (or read live at run time) "
		    "does not change it.\n\n");
	(void)strbuf_puts(sb, "| service | capacity provider strategy | "
	    "desiredCount | on-demand share | why | node group |\n"
	    "|---|---|---:|---:|---|---|\n");
	for (i = 0; i < c->x->nmig; i++) {
		const struct xsvc *s = c->x->mig[i];

		if (s->td == NULL)
			continue;
		ocean_share_of(c->x, s, &sh);
		(void)strbuf_printf(sb, "| %s | ", s->name);
		(void)export_svc_hold(c->x->ex, s);
		md_strategy(sb, s);
		(void)strbuf_printf(sb, " | %lld | %d%% | %s | `%s` |\n",
		    s->desired, sh.ondemand, ocean_share_why(&sh),
		    ocean_vng_name(s) != NULL ? ocean_vng_name(s) : "-");
	}
	(void)strbuf_puts(sb, "\n");
}
