/*
 * Spot Ocean, step 3: the PLAN.md section (node groups, the types chosen
 * and why others were left out, the cheapest fit per service).
 */
#include <string.h>

#include "catalog.h"
#include "ocean_int.h"
#include "options.h"
#include "strbuf.h"

/* ---------------------------------------------------------------- */
/* PLAN.md */

static void
md_types(struct strbuf *sb, const struct ogroup *g)
{
	size_t i, j, n;
	const char *fam = NULL;

	/* One line per family, sizes in catalog order. */
	for (i = 0; i < g->ntypes; i++) {
		bool seen = false;

		for (j = 0; j < i; j++)
			if (strcmp(g->types[j]->family, g->types[i]->family) == 0)
				seen = true;
		if (seen)
			continue;
		fam = g->types[i]->family;
		(void)strbuf_printf(sb, "  - `%s`:", fam);
		n = 0;
		for (j = i; j < g->ntypes; j++) {
			if (strcmp(g->types[j]->family, fam) != 0)
				continue;
			(void)strbuf_printf(sb, "%s %s", n > 0 ? "," : "",
			    g->types[j]->size);
			n++;
		}
		(void)strbuf_puts(sb, "\n");
	}
}

/* The cheapest type of g that holds task t (by price, then vCPU). */
static const struct catalog_type *
cheapest_fit(const struct octx *c, const struct ogroup *g,
    const struct otask *t)
{
	const struct catalog_type *best = NULL;
	size_t i;

	for (i = 0; i < g->ntypes; i++) {
		const struct catalog_type *ty = g->types[i];

		if (catalog_fit(c->cat, ty, t->cpu, t->memory) < 1)
			continue;
		if (best == NULL || ty->od_hour < best->od_hour ||
		    (ty->od_hour == best->od_hour && (ty->vcpu < best->vcpu ||
		    (ty->vcpu == best->vcpu && ty->memory < best->memory))))
			best = ty;
	}
	return best;
}

/* Why the node group exists, with the services that need it. */
static void
md_why(struct strbuf *sb, const struct octx *c, const struct ogroup *g)
{
	size_t k;

	(void)strbuf_puts(sb, "- Why this node group: ");
	if (g->arm64)
		(void)strbuf_puts(sb, "its tasks are ARM64 "
		    "(`runtimePlatform.cpuArchitecture`), so they need arm64 "
		    "(Graviton) instances and the arm64 AMI");
	else
		(void)strbuf_puts(sb, "its tasks are x86_64 (the default "
		    "architecture)");
	if (g->disk)
		(void)strbuf_printf(sb, "; they ask for Fargate ephemeral "
		    "storage (up to %d GiB) above what the default root volume "
		    "(%d GiB) leaves them, so its instances get a %d GiB root "
		    "volume, and a node group of their own keeps every other "
		    "service's instances at the default size", g->eph_gib,
		    c->root_gib, g->volume);
	if (g->ondemand > 0)
		(void)strbuf_printf(sb, "; their capacity provider strategies "
		    "keep %d%% of their tasks on on-demand (FARGATE), so its "
		    "`strategy.spotPercentage` is %d (see \"On-demand share\" "
		    "below)", g->ondemand, 100 - g->ondemand);
	(void)strbuf_puts(sb, ". Services:");
	for (k = 0; k < g->ntasks; k++)
		(void)strbuf_printf(sb, "%s `%s`", k > 0 ? "," : "",
		    c->tasks[g->tasks[k]].s->name);
	(void)strbuf_puts(sb, ".\n");
}

void
ocean_report_write(struct octx *c)
{
	struct strbuf *sb = &c->x->md_ocean;
	const struct catalog *cat = c->cat;
	size_t i, k;

	(void)strbuf_printf(sb, "## Spot Ocean cluster\n\n"
	    "Ocean cluster `%s` for ECS cluster `%s` in `%s` (step `%s`), "
	    "instances in subnets", c->name, c->cluster, c->region,
	    OCEAN_STEP_CLUSTER);
	for (i = 0; i < c->nsubnets; i++)
		(void)strbuf_printf(sb, "%s `%s`", i > 0 ? "," : "",
		    c->subnets[i]);
	(void)strbuf_printf(sb, ", instance profile `%s`.\n"
	    "The cluster's launch specification is a template only: every "
	    "instance comes from one of the node groups below, each with "
	    "the AMI of its architecture, so no AMI meets an instance type "
	    "it cannot boot.\n\n", c->profile);
	if (c->x->ninstance_sgs == 0 && !c->sgs_from_template)
		(void)strbuf_puts(sb, "**No instance security group was "
		    "planned: `securityGroupIds` is missing from the cluster "
		    "body.**\n\n");
	(void)strbuf_printf(sb, "How types are chosen (from `%s`, %zu "
	    "types", CATALOG_FILE, cat->ntypes);
	if (cat->generated != NULL)
		(void)strbuf_printf(sb, ", generated %s", cat->generated);
	(void)strbuf_printf(sb, "): the node group's architecture; no "
	    "GPU%s%s; for awsvpc tasks only Nitro types on which ECS supports "
	    "ENI trunking; ", cat->sel_no_metal ? ", no bare metal" : "",
	    cat->sel_no_burstable ? ", no burstable (t*)" : "");
	if (cat->sel_max_vcpu > 0)
		(void)strbuf_printf(sb, "at most %d vCPUs unless a task needs "
		    "more; ", cat->sel_max_vcpu);
	(void)strbuf_printf(sb, "and a type must hold at least one of the "
	    "group's tasks after what the container instance keeps (%d%% of "
	    "memory for the OS, ECS_RESERVED_MEMORY %d MiB, %d CPU units). "
	    "Task sizes follow `--task-size %s`. Headroom is one unit of the "
	    "group's largest task in ECS CPU units (1024 per vCPU) and MiB, "
	    "times the template's `numOfUnits`.\n\n", cat->os_memory_pct,
	    cat->agent_memory, cat->agent_cpu,
	    opt_str(c->x->opt, "task-size") != NULL ?
	    opt_str(c->x->opt, "task-size") : "fargate");
	if (c->trunking)
		(void)strbuf_printf(sb, "ENI trunking: step `%s` turns on the "
		    "`awsvpcTrunking` account setting before the cluster is "
		    "created, so each instance holds the \"with trunking\" "
		    "number of awsvpc tasks.\n\n", OCEAN_STEP_TRUNKING);
	else
		(void)strbuf_puts(sb, "ENI trunking: not turned on by this "
		    "bundle (`--enable-trunking`). Unless the account already "
		    "has `awsvpcTrunking` enabled, each instance holds only "
		    "max ENIs - 1 awsvpc tasks (2 on a `.large`).\n\n");

	for (i = 0; i < c->ng; i++) {
		const struct ogroup *g = &c->g[i];

		if (g->ntasks == 0)
			continue;
		(void)strbuf_printf(sb, "### Node group `%s` (step `%s`)\n\n",
		    g->name, g->step);
		md_why(sb, c, g);
		(void)strbuf_printf(sb, "- AMI `%s` (%s)\n", g->arm64 ?
		    c->ami_arm : c->ami_x86, g->arm64 ? "arm64" : "x86_64");
		if (g->disk)
			(void)strbuf_printf(sb, "- root volume %d GiB: the "
			    "template's size plus the largest Fargate "
			    "ephemeral storage of its tasks (%d GiB); tasks on "
			    "one instance share it\n", g->volume, g->eph_gib);
		(void)strbuf_printf(sb, "- headroom: %d CPU units, %d MiB "
		    "(its largest task)\n", g->max_cpu, g->max_memory);
		if (c->vng_strategy && g->ondemand > 0)
			(void)strbuf_printf(sb, "- `strategy.spotPercentage` "
			    "%d: %d%% of its instances on-demand\n",
			    100 - g->ondemand, g->ondemand);
		else if (c->vng_strategy)
			(void)strbuf_puts(sb, "- `strategy.spotPercentage` "
			    "100: spot, on-demand only as the cluster's "
			    "fallback\n");
		(void)strbuf_printf(sb, "- instance attribute `%s=%s` "
		    "(placement constraint `attribute:%s == %s`)\n",
		    OCEAN_VNG_ATTRIBUTE, g->name, OCEAN_VNG_ATTRIBUTE, g->name);
		(void)strbuf_printf(sb, "- %zu instance types. Left out: %zu "
		    "of the other architecture, %zu with GPUs, %zu bare metal, "
		    "%zu burstable, %zu without ECS trunking support, ",
		    g->ntypes, g->n_arch, g->n_gpu, g->n_metal, g->n_burst,
		    g->n_trunk);
		if (g->cap > 0)
			(void)strbuf_printf(sb, "%zu above %d vCPUs, ",
			    g->n_cap, g->cap);
		(void)strbuf_printf(sb, "%zu too small for every task:\n",
		    g->n_small);
		md_types(sb, g);
		(void)strbuf_puts(sb, "\n| service | task size | cheapest "
		    "type that holds it | tasks per instance (resources) | "
		    "ENI limit (no trunking / trunking) |\n"
		    "|---|---|---|---|---|\n");
		for (k = 0; k < g->ntasks; k++) {
			const struct otask *t = &c->tasks[g->tasks[k]];
			const struct catalog_type *ty = cheapest_fit(c, g, t);

			if (ty == NULL)
				continue;
			(void)strbuf_printf(sb, "| %s | %d CPU, %d MiB | `%s` "
			    "(%d vCPU, %d MiB) | %d | %d / %d |\n", t->s->name,
			    t->cpu, t->memory, ty->name, ty->vcpu, ty->memory,
			    catalog_fit(cat, ty, t->cpu, t->memory),
			    catalog_eni_limit(ty, false),
			    catalog_eni_limit(ty, true));
		}
		(void)strbuf_puts(sb, "\n");
	}
	ocean_share_md(c);
}
