/*
 * The cost and waste report. Figures are computed here once, put in
 * report.json, and the HTML page and the PLAN.md section are rendered
 * from that same object, so every view shows the same numbers.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ctx.h"
#include "fargate.h"
#include "fsio.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "report.h"
#include "strbuf.h"
#include "taskdef.h"
#include "xalloc.h"

#define REPORT_TYPES_FILE	"instance-types.json"
#define REPORT_SIZES_FILE	"fargate-sizes.json"
#define REPORT_PRICES_FILE	"fargate-pricing.json"

/* ------------------------------------------------------------------ */
/* Packing                                                             */

struct ptask {
	int	 cpu;
	int	 mem;
	size_t	 svc;
};

static int
ptask_cmp(const void *a, const void *b)
{
	const struct ptask *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu > y->cpu ? -1 : 1;
	if (x->mem != y->mem)
		return x->mem > y->mem ? -1 : 1;
	if (x->svc != y->svc)
		return x->svc < y->svc ? -1 : 1;
	return 0;
}

static bool
type_holds(const struct report_itype *t, long long cpu, long long mem,
    long long ntasks)
{
	return t->max_tasks >= ntasks && t->cpu >= cpu && t->memory >= mem;
}

/* Cheapest type holding cpu/mem/ntasks (ties: earlier), or SIZE_MAX. */
static size_t
type_cheapest(const struct report_itype *types, size_t ntypes, long long cpu,
    long long mem, long long ntasks)
{
	size_t i, best = SIZE_MAX;

	for (i = 0; i < ntypes; i++)
		if (type_holds(&types[i], cpu, mem, ntasks) &&
		    (best == SIZE_MAX || types[i].hour < types[best].hour))
			best = i;
	return best;
}

/*
 * First-fit decreasing of the placeable tasks. fixed is a type index, or
 * SIZE_MAX to open each new instance with the cheapest type that holds
 * the task. Returns the bins and fills bin_of; -1 when fixed cannot hold
 * some task.
 */
static int
ffd(const struct ptask *tk, size_t n, const bool *placeable,
    const struct report_itype *types, size_t ntypes, size_t fixed,
    struct report_bin **binsp, size_t *nbinsp, size_t *bin_of)
{
	struct report_bin *bins = NULL;
	size_t nbins = 0, cap = 0, i, b, t, lo = 0, from = 0, prev = SIZE_MAX;
	long long min_cpu = LLONG_MAX, min_mem = LLONG_MAX;

	/*
	 * A bin that cannot hold the smallest task is closed for good (bins
	 * only fill up): skipping the closed prefix keeps first-fit's result
	 * and makes it near linear on large clusters.
	 */
	for (i = 0; i < n; i++) {
		if (placeable[i] && tk[i].cpu < min_cpu)
			min_cpu = tk[i].cpu;
		if (placeable[i] && tk[i].mem < min_mem)
			min_mem = tk[i].mem;
	}
	for (i = 0; i < n; i++) {
		if (!placeable[i]) {
			bin_of[i] = SIZE_MAX;
			continue;
		}
		while (lo < nbins && !type_holds(&types[bins[lo].type],
		    (long long)bins[lo].cpu + min_cpu,
		    (long long)bins[lo].memory + min_mem,
		    (long long)bins[lo].tasks + 1))
			lo++;
		/*
		 * The same size as the previous task: bins before the one it
		 * went to could not hold this size then and are fuller now.
		 */
		if (prev == SIZE_MAX || tk[prev].cpu != tk[i].cpu ||
		    tk[prev].mem != tk[i].mem)
			from = lo;
		if (from < lo)
			from = lo;
		prev = i;
		for (b = from; b < nbins; b++)
			if (type_holds(&types[bins[b].type],
			    (long long)bins[b].cpu + tk[i].cpu,
			    (long long)bins[b].memory + tk[i].mem,
			    (long long)bins[b].tasks + 1))
				break;
		if (b == nbins) {
			t = fixed != SIZE_MAX ? fixed : type_cheapest(types,
			    ntypes, tk[i].cpu, tk[i].mem, 1);
			if (t == SIZE_MAX ||
			    !type_holds(&types[t], tk[i].cpu, tk[i].mem, 1)) {
				free(bins);
				return -1;
			}
			if (nbins == cap) {
				cap = cap ? cap * 2 : 16;
				bins = xreallocarray(bins, cap, sizeof(*bins));
			}
			memset(&bins[nbins], 0, sizeof(bins[nbins]));
			bins[nbins].type = t;
			nbins++;
		}
		bins[b].cpu += tk[i].cpu;
		bins[b].memory += tk[i].mem;
		bins[b].tasks++;
		bin_of[i] = b;
		from = b;
	}
	*binsp = bins;
	*nbinsp = nbins;
	return 0;
}

static double
bins_hour(const struct report_bin *bins, size_t nbins,
    const struct report_itype *types)
{
	double h = 0;
	size_t b;

	for (b = 0; b < nbins; b++)
		h += types[bins[b].type].hour;
	return h;
}

void
report_pack_free(struct report_pack *p)
{
	if (p == NULL)
		return;
	free(p->bins);
	free(p->task_bin);
	free(p->task_svc);
	free(p->task_cpu);
	free(p->task_mem);
	free(p);
}

int
report_pack(struct report_pack **out, const struct report_item *items,
    size_t nitems, const struct report_itype *types, size_t ntypes)
{
	struct report_pack *p;
	struct ptask *tk = NULL;
	struct report_bin *best = NULL, *bins;
	size_t *bin_of = NULL, *best_of = NULL, n = 0, i, t, nbins, nbest = 0;
	bool *placeable = NULL;
	double besth = 0, h;
	long long k, total = 0;

	*out = NULL;
	for (i = 0; i < nitems; i++) {
		if (items[i].n < 0 || items[i].n > REPORT_MAX_TASKS ||
		    (total += items[i].n) > REPORT_MAX_TASKS) {
			log_errx("cost report: more than %d tasks to pack",
			    REPORT_MAX_TASKS);
			return -1;
		}
	}
	p = xcalloc(1, sizeof(*p));
	tk = xcalloc((size_t)total + 1, sizeof(*tk));
	for (i = 0; i < nitems; i++)
		for (k = 0; k < items[i].n; k++) {
			tk[n].cpu = items[i].cpu;
			tk[n].mem = items[i].memory;
			tk[n].svc = items[i].svc;
			n++;
		}
	qsort(tk, n, sizeof(*tk), ptask_cmp);
	placeable = xcalloc(n + 1, sizeof(*placeable));
	bin_of = xcalloc(n + 1, sizeof(*bin_of));
	best_of = xcalloc(n + 1, sizeof(*best_of));
	for (i = 0; i < n; i++) {
		placeable[i] = type_cheapest(types, ntypes, tk[i].cpu,
		    tk[i].mem, 1) != SIZE_MAX;
		if (!placeable[i])
			p->unplaced++;
	}
	/* Each type alone, then "cheapest type that holds the task". */
	for (t = 0; t <= ntypes; t++) {
		if (ffd(tk, n, placeable, types, ntypes,
		    t < ntypes ? t : SIZE_MAX, &bins, &nbins, bin_of) == -1)
			continue;
		h = bins_hour(bins, nbins, types);
		if (best == NULL || h < besth - 1e-9 ||
		    (fabs(h - besth) <= 1e-9 && nbins < nbest)) {
			free(best);
			best = bins;
			nbest = nbins;
			besth = h;
			memcpy(best_of, bin_of, (n + 1) * sizeof(*bin_of));
		} else
			free(bins);
	}
	/* Right-size: each instance becomes the cheapest type holding it. */
	for (i = 0; i < nbest; i++) {
		t = type_cheapest(types, ntypes, best[i].cpu, best[i].memory,
		    best[i].tasks);
		if (t != SIZE_MAX && types[t].hour < types[best[i].type].hour)
			best[i].type = t;
	}
	p->bins = best;
	p->nbins = nbest;
	p->hour = bins_hour(best, nbest, types);
	p->task_bin = xcalloc(n + 1, sizeof(*p->task_bin));
	p->task_svc = xcalloc(n + 1, sizeof(*p->task_svc));
	p->task_cpu = xcalloc(n + 1, sizeof(*p->task_cpu));
	p->task_mem = xcalloc(n + 1, sizeof(*p->task_mem));
	for (i = 0; i < n; i++) {
		p->task_bin[i] = best != NULL ? best_of[i] : SIZE_MAX;
		p->task_svc[i] = tk[i].svc;
		p->task_cpu[i] = tk[i].cpu;
		p->task_mem[i] = tk[i].mem;
	}
	p->ntasks = n;
	free(tk);
	free(placeable);
	free(bin_of);
	free(best_of);
	*out = p;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The report                                                          */

#define NSCEN	2		/* 0: Fargate-shaped task size, 1: containers */
#define NARCH	2		/* 0: x86_64, 1: arm64 */

static const char *const scen_name[NSCEN] = { "fargate", "containers" };
static const char *const arch_name[NARCH] = { "x86_64", "arm64" };

struct rsvc {
	const struct xsvc *s;
	int	 arch;			/* 0 x86_64, 1 arm64 */
	int	 task_cpu, task_mem;	/* task level as exported */
	int	 need_cpu, need_mem;	/* taskdef_container_size */
	int	 need_flags;
	int	 bill_cpu, bill_mem;	/* Fargate billed size */
	bool	 rounded;		/* billed differs from task level */
	int	 eph, eph_billed;	/* GiB */
	struct fargate_rate rate;
	double	 hour_task;		/* Fargate on-demand USD/h per task */
	double	 fargate_month;		/* with the FARGATE_SPOT share */
	int	 ec2_cpu[NSCEN], ec2_mem[NSCEN];
	double	 ec2_hour[NSCEN];	/* share of instance cost, USD/h */
};

struct rctx {
	struct xlate *x;
	struct catalog *cat;
	struct fargate_sizes *sizes;
	struct fargate_prices *prices;
	struct rsvc *sv;
	size_t	 nsv;
	const char *region;
	double	 spot_discount;		/* EC2 spot assumption */
	char	**chosen;		/* type names found in the bundle */
	size_t	 nchosen;
	bool	 from_bundle;
	struct report_itype *types[NARCH];
	size_t	 ntypes[NARCH];
	bool	 price_warned[NARCH];	/* Fargate price fallback said */
};

static double
r4(double v)
{
	return fargate_round4(v);
}

static double
cents(double v)
{
	return fargate_cents(v);
}

static void
chosen_add(struct rctx *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nchosen; i++)
		if (strcmp(c->chosen[i], name) == 0)
			return;
	c->chosen = xreallocarray(c->chosen, c->nchosen + 1, sizeof(char *));
	c->chosen[c->nchosen++] = xstrdup(name);
}

/* Collect "instanceTypes": [...] and "whitelist": [...] names. */
static void
chosen_walk(struct rctx *c, const cJSON *j, int depth)
{
	const cJSON *e, *v;

	if (depth > JSON_MAX_DEPTH)
		return;
	cJSON_ArrayForEach(e, j) {
		if (e->string != NULL && (strcmp(e->string, "instanceTypes")
		    == 0 || strcmp(e->string, "whitelist") == 0) &&
		    cJSON_IsArray(e)) {
			cJSON_ArrayForEach(v, e)
				if (cJSON_IsString(v))
					chosen_add(c, v->valuestring);
			continue;
		}
		if (cJSON_IsObject(e) || cJSON_IsArray(e))
			chosen_walk(c, e, depth + 1);
	}
}

/* The instance types the bundle's Ocean requests name. */
static void
chosen_load(struct rctx *c)
{
	const struct plan *p = c->x->plan;
	size_t i;

	for (i = 0; i < p->nsteps; i++) {
		cJSON *req;

		if (p->steps[i].request == NULL ||
		    strncmp(p->steps[i].action, "spot:", 5) != 0)
			continue;
		if (bundle_find(c->x->bundle, p->steps[i].request) == NULL)
			continue;
		req = bundle_json(c->x->bundle, p->steps[i].request);
		if (req != NULL)
			chosen_walk(c, req, 0);
		cJSON_Delete(req);
	}
}

static bool
type_selectable(const struct catalog *cat, const struct catalog_type *t)
{
	if (t->gpu > 0 || t->od_hour <= 0 || t->tasks_trunk <= 0)
		return false;
	if (cat->sel_no_metal && t->metal)
		return false;
	if (cat->sel_no_burstable && t->burstable)
		return false;
	if (cat->sel_max_vcpu > 0 && t->vcpu > cat->sel_max_vcpu)
		return false;
	return true;
}

static void
types_add(struct rctx *c, const struct catalog_type *t)
{
	struct report_itype *it;
	int a = t->arm64 ? 1 : 0;

	if (c->ntypes[a] >= REPORT_MAX_TYPES || t->od_hour <= 0)
		return;
	c->types[a] = xreallocarray(c->types[a], c->ntypes[a] + 1,
	    sizeof(*c->types[a]));
	it = &c->types[a][c->ntypes[a]++];
	it->name = t->name;
	it->cpu = catalog_usable_cpu(c->cat, t);
	it->memory = catalog_usable_memory(c->cat, t);
	it->max_tasks = catalog_eni_limit(t, true);
	it->hour = t->od_hour;
}

static void
types_build(struct rctx *c)
{
	const struct catalog_type *t;
	size_t i;

	chosen_load(c);
	for (i = 0; i < c->nchosen; i++) {
		t = catalog_find(c->cat, c->chosen[i]);
		if (t == NULL) {
			ctx_warn(c->x, "cost report", "instance type %s is "
			    "not in %s: left out of the packing", c->chosen[i],
			    CATALOG_FILE);
			continue;
		}
		if (t->od_hour <= 0) {
			ctx_warn(c->x, "cost report", "instance type %s has "
			    "no on-demand price in %s: left out of the "
			    "packing", t->name, CATALOG_FILE);
			continue;
		}
		types_add(c, t);
		c->from_bundle = true;
	}
	if (c->from_bundle)
		return;
	/* No node group in the bundle: the catalog's selection rules. */
	for (i = 0; i < c->cat->ntypes; i++)
		if (type_selectable(c->cat, &c->cat->types[i]))
			types_add(c, &c->cat->types[i]);
}

static void
rctx_cleanup(struct rctx *c)
{
	size_t i;

	catalog_free(c->cat);
	fargate_sizes_free(c->sizes);
	fargate_prices_free(c->prices);
	free(c->sv);
	for (i = 0; i < c->nchosen; i++)
		free(c->chosen[i]);
	free(c->chosen);
	for (i = 0; i < NARCH; i++)
		free(c->types[i]);
}

static int
rctx_load(struct rctx *c)
{
	cJSON *j;
	int rc;

	if ((j = ctx_template_json(c->x, CATALOG_FILE)) == NULL)
		return -1;
	rc = catalog_load(&c->cat, j, CATALOG_FILE);
	cJSON_Delete(j);
	if (rc == -1)
		return -1;
	if ((j = ctx_template_json(c->x, REPORT_SIZES_FILE)) == NULL)
		return -1;
	rc = fargate_sizes_load(&c->sizes, j, REPORT_SIZES_FILE);
	cJSON_Delete(j);
	if (rc == -1)
		return -1;
	if ((j = ctx_template_json(c->x, REPORT_PRICES_FILE)) == NULL)
		return -1;
	if ((c->prices = fargate_prices_take(j, REPORT_PRICES_FILE)) == NULL)
		return -1;
	return 0;
}

/* Fargate side of one service. */
static int
svc_compute(struct rctx *c, struct rsvc *r, const struct xsvc *s)
{
	const struct xtd *t = s->td;
	char subj[512];
	bool windows;
	int rc, rq_cpu, rq_mem;
	double share;

	(void)snprintf(subj, sizeof(subj), "service %s", s->name);
	r->s = s;
	r->arch = t->arch != NULL && strcmp(t->arch, "ARM64") == 0;
	windows = t->os != NULL && strncmp(t->os, "WINDOWS", 7) == 0;
	r->task_cpu = t->cpu;
	r->task_mem = t->memory;
	r->need_flags = taskdef_container_size(t, &r->need_cpu, &r->need_mem);
	rq_cpu = t->cpu > 0 ? t->cpu : r->need_cpu;
	rq_mem = t->memory > 0 ? t->memory : r->need_mem;
	if (fargate_round(c->sizes, rq_cpu, rq_mem, windows, &r->bill_cpu,
	    &r->bill_mem) == -1) {
		ctx_warn(c->x, subj, "task size %d CPU units / %d MiB is "
		    "above every Fargate size in %s: costed as is", rq_cpu,
		    rq_mem, REPORT_SIZES_FILE);
		r->bill_cpu = rq_cpu;
		r->bill_mem = rq_mem;
	}
	r->rounded = r->bill_cpu != t->cpu || r->bill_mem != t->memory;
	r->eph = t->ephemeral_gib > 0 ? t->ephemeral_gib :
	    c->sizes->eph_included_gib;
	if (fargate_rate_find(c->prices, c->region, t->arch, &r->rate) == -1)
		return -1;
	if (!r->rate.exact && !c->price_warned[r->arch]) {
		c->price_warned[r->arch] = true;
		ctx_warn(c->x, "cost report", "no confirmed Fargate %s price "
		    "for %s in %s: using %s figures (%s confidence)",
		    r->arch ? "ARM64" : "X86_64",
		    c->region != NULL ? c->region : "(no region)",
		    REPORT_PRICES_FILE, r->rate.region, r->rate.confidence);
	}
	r->eph_billed = r->eph > r->rate.eph_included_gb ?
	    r->eph - r->rate.eph_included_gb : 0;
	r->hour_task = fargate_task_hour(&r->rate, r->bill_cpu, r->bill_mem,
	    r->eph);
	share = s->spot_share < 0 ? 0 : s->spot_share > 1 ? 1 : s->spot_share;
	r->fargate_month = r->hour_task * (double)s->desired *
	    FARGATE_HOURS_MONTH *
	    ((1 - share) + share * (1 - c->prices->spot_discount));
	/* What each EC2 task definition asks for, per scenario. */
	r->ec2_cpu[0] = t->cpu > 0 ? t->cpu : r->need_cpu;
	r->ec2_mem[0] = t->memory > 0 ? t->memory : r->need_mem;
	r->ec2_cpu[1] = r->need_cpu;
	r->ec2_mem[1] = r->need_mem;
	rc = 0;
	if (strcmp(opt_str(c->x->opt, "task-size"), "containers") == 0) {
		if (r->need_flags & TASKDEF_SIZE_NO_CPU)
			ctx_warn(c->x, subj, "--task-size containers: no "
			    "container reserves CPU; the EC2 task keeps the "
			    "task-level %d CPU units", r->need_cpu);
		if (r->need_flags & TASKDEF_SIZE_NO_MEMORY)
			ctx_warn(c->x, subj, "--task-size containers: no "
			    "container reserves memory; the EC2 task keeps "
			    "the task-level %d MiB", r->need_mem);
	}
	return rc;
}

static cJSON *
size_json(int cpu, int mem)
{
	cJSON *o = cJSON_CreateObject();

	json_add_num(o, "cpu", cpu);
	json_add_num(o, "memoryMiB", mem);
	json_add_num(o, "vcpu", r4(cpu / 1024.0));
	json_add_num(o, "gib", r4(mem / 1024.0));
	return o;
}

struct stot {
	double	 od_month;
	double	 spot_month;
	long long tasks;
	long long unplaced;
	long long instances;
};

/* Pack one scenario; fill sv[].ec2_hour[sc] and return its JSON. */
static cJSON *
scenario_pack(struct rctx *c, int sc, struct stot *tot)
{
	cJSON *o = cJSON_CreateObject(), *groups, *g, *insts, *in, *cand;
	struct report_item *items;
	struct report_pack *p;
	size_t i, k, n, b, *count;
	int a;

	memset(tot, 0, sizeof(*tot));
	json_add_str(o, "taskSize", scen_name[sc]);
	json_add_bool(o, "selected", strcmp(opt_str(c->x->opt, "task-size"),
	    scen_name[sc]) == 0);
	groups = cJSON_AddArrayToObject(o, "groups");
	items = xcalloc(c->nsv + 1, sizeof(*items));
	for (a = 0; a < NARCH; a++) {
		double ucpu = 0, umem = 0, tcpu = 0, tmem = 0, *w;

		for (n = 0, i = 0; i < c->nsv; i++) {
			if (c->sv[i].arch != a)
				continue;
			items[n].cpu = c->sv[i].ec2_cpu[sc];
			items[n].memory = c->sv[i].ec2_mem[sc];
			items[n].svc = i;
			items[n].n = c->sv[i].s->desired;
			n++;
		}
		if (n == 0)
			continue;
		if (report_pack(&p, items, n, c->types[a], c->ntypes[a]) == -1)
			goto fail;
		g = cJSON_CreateObject();
		cJSON_AddItemToArray(groups, g);
		json_add_str(g, "arch", arch_name[a]);
		cand = cJSON_AddArrayToObject(g, "candidateTypes");
		for (k = 0; k < c->ntypes[a]; k++)
			cJSON_AddItemToArray(cand,
			    cJSON_CreateString(c->types[a][k].name));
		/* Split each instance's cost over its tasks. */
		w = xcalloc(p->nbins + 1, sizeof(*w));
		for (k = 0; k < p->ntasks; k++) {
			const struct report_itype *ty;

			if ((b = p->task_bin[k]) == SIZE_MAX)
				continue;
			ty = &c->types[a][p->bins[b].type];
			w[b] += (double)p->task_cpu[k] / ty->cpu +
			    (double)p->task_mem[k] / ty->memory;
		}
		for (k = 0; k < p->ntasks; k++) {
			const struct report_itype *ty;

			if ((b = p->task_bin[k]) == SIZE_MAX || w[b] <= 0)
				continue;
			ty = &c->types[a][p->bins[b].type];
			c->sv[p->task_svc[k]].ec2_hour[sc] += ty->hour *
			    ((double)p->task_cpu[k] / ty->cpu +
			    (double)p->task_mem[k] / ty->memory) / w[b];
		}
		free(w);
		count = xcalloc(c->ntypes[a] + 1, sizeof(*count));
		for (b = 0; b < p->nbins; b++) {
			const struct report_itype *ty =
			    &c->types[a][p->bins[b].type];

			count[p->bins[b].type]++;
			ucpu += p->bins[b].cpu;
			umem += p->bins[b].memory;
			tcpu += ty->cpu;
			tmem += ty->memory;
		}
		insts = cJSON_AddArrayToObject(g, "instances");
		for (k = 0; k < c->ntypes[a]; k++) {
			const struct report_itype *ty = &c->types[a][k];

			if (count[k] == 0)
				continue;
			in = cJSON_CreateObject();
			json_add_str(in, "type", ty->name);
			json_add_num(in, "count", (double)count[k]);
			json_add_num(in, "vcpuRegistered", r4(ty->cpu /
			    1024.0));
			json_add_num(in, "memoryMiBUsable", ty->memory);
			json_add_num(in, "maxTasks", ty->max_tasks);
			json_add_num(in, "onDemandHour", r4(ty->hour));
			json_add_num(in, "monthlyOnDemand", cents(ty->hour *
			    (double)count[k] * FARGATE_HOURS_MONTH));
			cJSON_AddItemToArray(insts, in);
		}
		free(count);
		json_add_num(g, "instanceCount", (double)p->nbins);
		json_add_num(g, "tasks", (double)(p->ntasks -
		    (size_t)p->unplaced));
		json_add_num(g, "unplacedTasks", (double)p->unplaced);
		json_add_num(g, "cpuUtilization", r4(tcpu > 0 ? ucpu / tcpu :
		    0));
		json_add_num(g, "memoryUtilization", r4(tmem > 0 ? umem / tmem
		    : 0));
		json_add_num(g, "monthlyOnDemand", cents(p->hour *
		    FARGATE_HOURS_MONTH));
		json_add_num(g, "monthlySpot", cents(p->hour *
		    FARGATE_HOURS_MONTH * (1 - c->spot_discount)));
		tot->od_month += p->hour * FARGATE_HOURS_MONTH;
		tot->spot_month += p->hour * FARGATE_HOURS_MONTH *
		    (1 - c->spot_discount);
		tot->tasks += (long long)p->ntasks - p->unplaced;
		tot->unplaced += p->unplaced;
		tot->instances += (long long)p->nbins;
		if (p->unplaced > 0)
			ctx_warn(c->x, "cost report", "task size %s: %lld "
			    "%s tasks fit none of the %zu instance types: "
			    "not costed on EC2", scen_name[sc], p->unplaced,
			    arch_name[a], c->ntypes[a]);
		report_pack_free(p);
	}
	free(items);
	json_add_num(o, "instanceCount", (double)tot->instances);
	json_add_num(o, "tasks", (double)tot->tasks);
	json_add_num(o, "unplacedTasks", (double)tot->unplaced);
	json_add_num(o, "monthlyOnDemand", cents(tot->od_month));
	json_add_num(o, "monthlySpot", cents(tot->spot_month));
	return o;
fail:
	free(items);
	cJSON_Delete(o);
	return NULL;
}

static double
pct(double saved, double base)
{
	return base > 0 ? round(saved / base * 1000.0) / 10.0 : 0;
}

static cJSON *
svc_json(const struct rctx *c, const struct rsvc *r, int sel)
{
	cJSON *o = cJSON_CreateObject(), *ctr, *f, *e, *w, *sz;
	const struct xtd *t = r->s->td;
	double d = (double)r->s->desired, wc, wm, od, sp;
	int sc;

	json_add_str(o, "name", r->s->name);
	if (r->s->newname != NULL)
		json_add_str(o, "ec2Service", r->s->newname);
	json_add_str(o, "taskDefinition", t->key);
	json_add_str(o, "arch", arch_name[r->arch]);
	json_add_num(o, "desired", d);
	json_add_num(o, "fargateSpotShare", r4(r->s->spot_share));
	ctr = cJSON_AddObjectToObject(o, "containers");
	json_add_num(ctr, "cpu", t->ctr_cpu);
	json_add_num(ctr, "memoryMiB", t->ctr_memory);
	json_add_num(ctr, "memoryReservationMiB", t->ctr_reservation);
	json_add_bool(ctr, "cpuSet", !(r->need_flags & TASKDEF_SIZE_NO_CPU));
	json_add_bool(ctr, "memorySet",
	    !(r->need_flags & TASKDEF_SIZE_NO_MEMORY));
	cJSON_AddItemToObject(o, "taskSize", size_json(r->task_cpu,
	    r->task_mem));
	cJSON_AddItemToObject(o, "needed", size_json(r->need_cpu,
	    r->need_mem));
	cJSON_AddItemToObject(o, "billed", size_json(r->bill_cpu,
	    r->bill_mem));
	json_add_bool(o, "roundedUp", r->rounded);
	json_add_num(o, "ephemeralGiB", r->eph);
	json_add_num(o, "ephemeralBilledGiB", r->eph_billed);
	wc = (r->bill_cpu - r->need_cpu) / 1024.0;
	wm = (r->bill_mem - r->need_mem) / 1024.0;
	if (wc < 0)
		wc = 0;
	if (wm < 0)
		wm = 0;
	w = cJSON_AddObjectToObject(o, "waste");
	json_add_num(w, "vcpuPerTask", r4(wc));
	json_add_num(w, "gibPerTask", r4(wm));
	json_add_num(w, "vcpu", r4(wc * d));
	json_add_num(w, "gib", r4(wm * d));
	f = cJSON_AddObjectToObject(o, "fargate");
	json_add_str(f, "priceRegion", r->rate.region);
	json_add_str(f, "priceConfidence", r->rate.confidence);
	json_add_num(f, "vcpuHour", r->rate.vcpu_hour);
	json_add_num(f, "gbHour", r->rate.gb_hour);
	json_add_num(f, "ephemeralGbHour", r->rate.eph_gb_hour);
	json_add_num(f, "taskHour", r4(r->hour_task));
	json_add_num(f, "monthly", cents(r->fargate_month));
	for (sc = 0; sc < NSCEN; sc++) {
		e = cJSON_AddObjectToObject(o, sc == 0 ? "ec2" :
		    "ec2Containers");
		sz = size_json(r->ec2_cpu[sc], r->ec2_mem[sc]);
		cJSON_AddItemToObject(e, "taskSize", sz);
		od = r->ec2_hour[sc] * FARGATE_HOURS_MONTH;
		sp = od * (1 - c->spot_discount);
		json_add_num(e, "monthlyOnDemand", cents(od));
		json_add_num(e, "monthlySpot", cents(sp));
		json_add_num(e, "savingsOnDemand", cents(r->fargate_month -
		    od));
		json_add_num(e, "savingsSpot", cents(r->fargate_month - sp));
		json_add_bool(e, "selected", sc == sel);
	}
	return o;
}

static void
md_write(struct rctx *c, const cJSON *rep)
{
	struct strbuf *sb = &c->x->md_cost;
	const cJSON *s, *tot = cJSON_GetObjectItemCaseSensitive(rep, "totals");
	const cJSON *g, *in, *sc, *e;
	const char *sel = opt_str(c->x->opt, "task-size");

	(void)strbuf_puts(sb, "\n## Cost and waste (estimates)\n\n");
	(void)strbuf_printf(sb, "Monthly figures in USD for %.0f hours a "
	    "month. Fargate prices: `%s` (%s); EC2 on-demand prices: `%s` "
	    "(us-east-1 Linux); the spot figure assumes a %.0f%% discount "
	    "off on-demand (`--spot-discount`). All EC2 figures are "
	    "estimates from a packing model; see report.html and "
	    "report.json.\n\n", FARGATE_HOURS_MONTH, REPORT_PRICES_FILE,
	    c->prices->generated, CATALOG_FILE, c->spot_discount * 100);
	(void)strbuf_puts(sb, "| service | tasks | containers reserve "
	    "(vCPU / MiB) | task size | Fargate bills | waste per task "
	    "(vCPU / GiB) | Fargate $/month | EC2 on-demand | EC2 spot |\n"
	    "|---|---:|---|---|---|---|---:|---:|---:|\n");
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(rep,
	    "services")) {
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(s, "waste");

		e = cJSON_GetObjectItemCaseSensitive(s,
		    strcmp(sel, "containers") == 0 ? "ec2Containers" : "ec2");
#define N(o, k)	cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k))
#define O(o, k)	cJSON_GetObjectItemCaseSensitive(o, k)
		(void)strbuf_printf(sb, "| %s | %.0f | %.4g / %.0f | %.4g / "
		    "%.0f | %.4g / %.0f%s | %.4g / %.4g | %.2f | %.2f | %.2f "
		    "|\n", json_str(s, "name"), N(s, "desired"),
		    N(O(s, "needed"), "vcpu"), N(O(s, "needed"), "memoryMiB"),
		    N(O(s, "taskSize"), "vcpu"),
		    N(O(s, "taskSize"), "memoryMiB"),
		    N(O(s, "billed"), "vcpu"), N(O(s, "billed"), "memoryMiB"),
		    N(s, "ephemeralBilledGiB") > 0 ? " + storage" : "",
		    N(w, "vcpuPerTask"), N(w, "gibPerTask"),
		    N(O(s, "fargate"), "monthly"), N(e, "monthlyOnDemand"),
		    N(e, "monthlySpot"));
	}
	(void)strbuf_printf(sb, "| **total** | | | | | %.4g vCPU / %.4g GiB "
	    "| **%.2f** | **%.2f** | **%.2f** |\n\n", N(tot, "wasteVcpu"),
	    N(tot, "wasteGiB"), N(tot, "fargateMonthly"),
	    N(tot, "oceanMonthlyOnDemand"), N(tot, "oceanMonthlySpot"));
	(void)strbuf_printf(sb, "Savings per month: %.2f on-demand (%.1f%%), "
	    "%.2f with spot (%.1f%%).\n\n", N(tot, "savingsMonthlyOnDemand"),
	    N(tot, "savingsPctOnDemand"), N(tot, "savingsMonthlySpot"),
	    N(tot, "savingsPctSpot"));
	cJSON_ArrayForEach(sc, O(O(rep, "ocean"), "scenarios")) {
		(void)strbuf_printf(sb, "Packing with task size `%s`%s: ",
		    json_str(sc, "taskSize"),
		    cJSON_IsTrue(O(sc, "selected")) ? " (this bundle)" : "");
		cJSON_ArrayForEach(g, O(sc, "groups")) {
			(void)strbuf_printf(sb, "%s: ", json_str(g, "arch"));
			cJSON_ArrayForEach(in, O(g, "instances"))
				(void)strbuf_printf(sb, "%.0f x %s, ",
				    N(in, "count"), json_str(in, "type"));
			(void)strbuf_printf(sb, "utilization %.0f%% CPU / "
			    "%.0f%% memory; ",
			    N(g, "cpuUtilization") * 100,
			    N(g, "memoryUtilization") * 100);
		}
		(void)strbuf_printf(sb, "%.2f on-demand, %.2f spot per "
		    "month.\n\n", N(sc, "monthlyOnDemand"),
		    N(sc, "monthlySpot"));
	}
#undef N
#undef O
}

int
report_plan(struct xlate *x)
{
	struct rctx c;
	cJSON *rep = NULL, *a, *o, *src, *scen[NSCEN] = { NULL, NULL };
	struct stot st[NSCEN];
	char *html = NULL;
	size_t i, len;
	int sel, sc, rc = -1;
	double fm = 0, need_c = 0, need_m = 0, bill_c = 0, bill_m = 0, wc = 0,
	    wm = 0, d;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.region = opt_str(x->opt, "region") != NULL ?
	    opt_str(x->opt, "region") : x->ex->region;
	c.spot_discount = opt_num(x->opt, "spot-discount");
	sel = strcmp(opt_str(x->opt, "task-size"), "containers") == 0;
	if (rctx_load(&c) == -1)
		goto out;
	types_build(&c);
	c.sv = xcalloc(x->nmig + 1, sizeof(*c.sv));
	for (i = 0; i < x->nmig; i++) {
		if (x->mig[i]->td == NULL)
			continue;
		if (svc_compute(&c, &c.sv[c.nsv], x->mig[i]) == -1)
			goto out;
		c.nsv++;
	}
	for (sc = 0; sc < NSCEN; sc++)
		if ((scen[sc] = scenario_pack(&c, sc, &st[sc])) == NULL)
			goto out;

	rep = cJSON_CreateObject();
	json_add_str(rep, "about", "Cost and waste estimate of moving these "
	    "services from Fargate to EC2 instances run by Spot Ocean. "
	    "Offline: prices come from the template files named below.");
	json_add_str(rep, "currency", c.prices->currency);
	json_add_num(rep, "hoursPerMonth", FARGATE_HOURS_MONTH);
	if (c.region != NULL)
		json_add_str(rep, "region", c.region);
	json_add_str(rep, "taskSize", scen_name[sel]);
	json_add_num(rep, "spotDiscount", r4(c.spot_discount));
	json_add_num(rep, "fargateSpotDiscount", r4(c.prices->spot_discount));
	src = cJSON_AddObjectToObject(rep, "prices");
	o = cJSON_AddObjectToObject(src, "fargate");
	json_add_str(o, "file", REPORT_PRICES_FILE);
	json_add_str(o, "date", c.prices->generated);
	json_add_str(o, "source", "secondary sources listed in the file's "
	    "sourceIndex; the AWS pricing page was not read");
	o = cJSON_AddObjectToObject(src, "fargateSizes");
	json_add_str(o, "file", REPORT_SIZES_FILE);
	json_add_str(o, "date", c.sizes->generated);
	o = cJSON_AddObjectToObject(src, "ec2");
	json_add_str(o, "file", CATALOG_FILE);
	json_add_str(o, "date", c.cat->generated != NULL ? c.cat->generated :
	    "undated");
	json_add_str(o, "source", "Linux on-demand us-east-1 prices "
	    "(onDemandUsdPerHourUsEast1) as listed in the file");
	json_add_str(o, "region", "us-east-1");
	a = cJSON_AddArrayToObject(rep, "estimates");
	cJSON_AddItemToArray(a, cJSON_CreateString("Fargate costs: list "
	    "prices from the template file times the billed task size, "
	    "desired count and hours per month; FARGATE_SPOT tasks at the "
	    "file's planning discount (an assumption: real Fargate Spot "
	    "rates vary)."));
	cJSON_AddItemToArray(a, cJSON_CreateString("EC2 on-demand costs: "
	    "a packing model of the desired tasks onto the instance types "
	    "(the real scheduler and Ocean's autoscaler may differ; "
	    "headroom, scaling and daemon tasks are not counted)."));
	cJSON_AddItemToArray(a, cJSON_CreateString("EC2 spot costs: the "
	    "on-demand cost less the assumed spot discount (spotDiscount), "
	    "not a market price."));
	for (i = 0; i < NARCH; i++)
		if (c.price_warned[i])
			cJSON_AddItemToArray(a, cJSON_CreateString(i == 0 ?
			    "Fargate x86_64 prices for this region are not "
			    "confirmed in the price file: see each service's "
			    "priceRegion and priceConfidence." :
			    "Fargate arm64 prices for this region are not "
			    "confirmed in the price file: see each service's "
			    "priceRegion and priceConfidence."));
	if (c.region == NULL || strcmp(c.region, "us-east-1") != 0)
		cJSON_AddItemToArray(a, cJSON_CreateString("EC2 prices are "
		    "us-east-1's; other regions usually cost more."));
	o = cJSON_AddObjectToObject(rep, "method");
	json_add_str(o, "packing", "Per architecture, the tasks (desired "
	    "count of each) sorted by CPU then memory, largest first; "
	    "first-fit decreasing onto instances of each candidate type "
	    "alone, and onto instances opened with the cheapest type that "
	    "holds the task; the cheapest result wins (ties: fewer "
	    "instances); then each instance is replaced by the cheapest "
	    "type that still holds its tasks.");
	json_add_str(o, "candidateTypes", c.from_bundle ? "the instance "
	    "types the bundle's Ocean requests name" : "no Ocean node group "
	    "in the bundle: every catalog type passing its selection rules");
	json_add_num(o, "osMemoryPercent", c.cat->os_memory_pct);
	json_add_num(o, "agentMemoryMiB", c.cat->agent_memory);
	json_add_num(o, "agentCpuUnits", c.cat->agent_cpu);
	json_add_str(o, "taskLimit", "awsvpc tasks per instance: the ECS "
	    "ENI trunking limit of the type (awsvpcTrunking on)");
	json_add_str(o, "costSplit", "an instance's cost is shared by its "
	    "tasks in proportion to (CPU share + memory share); idle "
	    "capacity is spread the same way");
	json_add_str(o, "fargateRounding", "the task-level size rounded up "
	    "to the valid Fargate combination with the least CPU, then the "
	    "least memory");
	a = cJSON_AddArrayToObject(rep, "services");
	for (i = 0; i < c.nsv; i++) {
		const struct rsvc *r = &c.sv[i];

		cJSON_AddItemToArray(a, svc_json(&c, r, sel));
		d = (double)r->s->desired;
		/* The total is the sum of the cents shown per service. */
		fm += cents(r->fargate_month);
		need_c += d * r->need_cpu / 1024.0;
		need_m += d * r->need_mem / 1024.0;
		bill_c += d * r->bill_cpu / 1024.0;
		bill_m += d * r->bill_mem / 1024.0;
		if (r->bill_cpu > r->need_cpu)
			wc += d * (r->bill_cpu - r->need_cpu) / 1024.0;
		if (r->bill_mem > r->need_mem)
			wm += d * (r->bill_mem - r->need_mem) / 1024.0;
	}
	o = cJSON_AddObjectToObject(rep, "ocean");
	json_add_str(o, "selected", scen_name[sel]);
	a = cJSON_AddArrayToObject(o, "scenarios");
	for (sc = 0; sc < NSCEN; sc++) {
		cJSON_AddItemToArray(a, scen[sc]);
		scen[sc] = NULL;
	}
	o = cJSON_AddObjectToObject(rep, "totals");
	json_add_num(o, "neededVcpu", r4(need_c));
	json_add_num(o, "neededGiB", r4(need_m));
	json_add_num(o, "billedVcpu", r4(bill_c));
	json_add_num(o, "billedGiB", r4(bill_m));
	json_add_num(o, "wasteVcpu", r4(wc));
	json_add_num(o, "wasteGiB", r4(wm));
	json_add_num(o, "fargateMonthly", cents(fm));
	json_add_num(o, "oceanInstances", (double)st[sel].instances);
	json_add_num(o, "oceanMonthlyOnDemand", cents(st[sel].od_month));
	json_add_num(o, "oceanMonthlySpot", cents(st[sel].spot_month));
	json_add_num(o, "savingsMonthlyOnDemand", cents(fm -
	    st[sel].od_month));
	json_add_num(o, "savingsMonthlySpot", cents(fm - st[sel].spot_month));
	json_add_num(o, "savingsPctOnDemand", pct(fm - st[sel].od_month, fm));
	json_add_num(o, "savingsPctSpot", pct(fm - st[sel].spot_month, fm));
	json_add_num(o, "unplacedTasks", (double)st[sel].unplaced);

	if (bundle_add_json(x->bundle, "report.json", rep) == -1)
		goto out;
	if ((html = report_html(rep, &len)) == NULL ||
	    bundle_add(x->bundle, "report.html", html, len) == -1)
		goto out;
	md_write(&c, rep);
	rc = 0;
out:
	for (sc = 0; sc < NSCEN; sc++)
		cJSON_Delete(scen[sc]);
	cJSON_Delete(rep);
	free(html);
	rctx_cleanup(&c);
	return rc;
}
