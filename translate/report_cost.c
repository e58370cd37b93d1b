/*
 * Cost report, computation: the catalog, prices and chosen types loaded,
 * each service's Fargate cost and needs, each scenario packed and priced.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ctx.h"
#include "fargate.h"
#include "jsonutil.h"
#include "options.h"
#include "report.h"
#include "report_int.h"
#include "taskdef.h"
#include "xalloc.h"

const char *const report_scen_name[REPORT_NSCEN] = { "fargate",
    "containers" };
const char *const report_arch_name[REPORT_NARCH] = { "x86_64", "arm64" };

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
	const struct plan_step *s;
	struct plan_reader rd;
	size_t i;

	plan_reader_init(&rd, p);
	for (i = 0; i < p->nsteps; i++) {
		cJSON *req;

		if ((s = plan_reader_get(&rd, i)) == NULL)
			break;	/* logged: the plan is not written */
		if (s->request == NULL || strncmp(s->action, "spot:", 5) != 0)
			continue;
		if (bundle_find(c->x->bundle, s->request) == NULL)
			continue;
		req = bundle_json(c->x->bundle, s->request);
		if (req != NULL)
			chosen_walk(c, req, 0);
		cJSON_Delete(req);
	}
	plan_reader_cleanup(&rd);
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

void
report_cost_types(struct rctx *c)
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

void
report_cost_cleanup(struct rctx *c)
{
	size_t i;

	catalog_free(c->cat);
	fargate_sizes_free(c->sizes);
	fargate_prices_free(c->prices);
	free(c->sv);
	for (i = 0; i < c->nchosen; i++)
		free(c->chosen[i]);
	free(c->chosen);
	for (i = 0; i < REPORT_NARCH; i++)
		free(c->types[i]);
}

int
report_cost_load(struct rctx *c)
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
int
report_cost_svc(struct rctx *c, struct rsvc *r, const struct xsvc *s)
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
	ocean_share_of(c->x, s, &r->share);
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

cJSON *
report_cost_size_json(int cpu, int mem)
{
	cJSON *o = cJSON_CreateObject();

	json_add_num(o, "cpu", cpu);
	json_add_num(o, "memoryMiB", mem);
	json_add_num(o, "vcpu", r4(cpu / 1024.0));
	json_add_num(o, "gib", r4(mem / 1024.0));
	return o;
}

/* Pack one scenario; fill sv[].ec2_hour[sc] and return its JSON. */
cJSON *
report_cost_scenario(struct rctx *c, int sc, struct stot *tot)
{
	cJSON *o = cJSON_CreateObject(), *groups, *g, *insts, *in, *cand;
	struct report_item *items;
	struct report_pack *p;
	size_t i, k, n, b, *count;
	int a;

	memset(tot, 0, sizeof(*tot));
	json_add_str(o, "taskSize", report_scen_name[sc]);
	json_add_bool(o, "selected", strcmp(opt_str(c->x->opt, "task-size"),
	    report_scen_name[sc]) == 0);
	groups = cJSON_AddArrayToObject(o, "groups");
	items = xcalloc(c->nsv + 1, sizeof(*items));
	for (a = 0; a < REPORT_NARCH; a++) {
		double ucpu = 0, umem = 0, tcpu = 0, tmem = 0, *w, prem, spot;

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
		json_add_str(g, "arch", report_arch_name[a]);
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
		/* The on-demand share of each service forgoes the discount. */
		prem = 0;
		for (i = 0; i < c->nsv; i++)
			if (c->sv[i].arch == a)
				prem += c->sv[i].ec2_hour[sc] *
				    c->sv[i].share.ondemand / 100.0 *
				    c->spot_discount;
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
		spot = p->hour * FARGATE_HOURS_MONTH * (1 - c->spot_discount) +
		    prem * FARGATE_HOURS_MONTH;
		json_add_num(g, "monthlySpot", cents(spot));
		tot->od_month += p->hour * FARGATE_HOURS_MONTH;
		tot->spot_month += spot;
		tot->tasks += (long long)p->ntasks - p->unplaced;
		tot->unplaced += p->unplaced;
		tot->instances += (long long)p->nbins;
		if (p->unplaced > 0)
			ctx_warn(c->x, "cost report", "task size %s: %lld "
			    "%s tasks fit none of the %zu instance types: "
			    "not costed on EC2", report_scen_name[sc], p->unplaced,
			    report_arch_name[a], c->ntypes[a]);
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
