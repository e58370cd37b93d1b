/*
 * Spot Ocean, step 1: parameters (region, cluster, AMIs, subnets) and
 * the node groups' sizing: tasks per group, instance types selected.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ctx.h"
#include "jsonutil.h"
#include "log.h"
#include "ocean.h"
#include "ocean_int.h"
#include "ocean_share.h"
#include "options.h"
#include "strbuf.h"
#include "taskdef.h"
#include "xalloc.h"

/* ---------------------------------------------------------------- */

void
ocean_size_cleanup(struct octx *c)
{
	size_t i;

	catalog_free(c->cat);
	free(c->tasks);
	for (i = 0; i < c->ng; i++) {
		free(c->g[i].tasks);
		free(c->g[i].types);
		free(c->g[i].step);
	}
	free(c->g);
	for (i = 0; i < c->nsubnets; i++)
		free(c->subnets[i]);
	free(c->subnets);
}

int
ocean_size_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
subnet_add(struct octx *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->nsubnets; i++)
		if (strcmp(c->subnets[i], id) == 0)
			return;
	c->subnets = xreallocarray(c->subnets, c->nsubnets + 1,
	    sizeof(char *));
	c->subnets[c->nsubnets++] = xstrdup(id);
}

static bool
ami_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (strncmp(s, "ami-", 4) != 0 || n < 12 || n > 21)
		return false;
	for (i = 4; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* ECS cluster names: letters, digits, '-' and '_', up to 255. */
static bool
name_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > OCEAN_MAX_NAME)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* A region code: [a-z]{2}(-[a-z]+)+-[0-9]+ ("us-gov-west-1"). */
static bool
region_valid(const char *s)
{
	size_t i = 0, words = 0, n = strlen(s);

	if (n > OCEAN_MAX_PLACEHOLDER || n < 2 || !islower((unsigned char)s[0]) ||
	    !islower((unsigned char)s[1]))
		return false;
	i = 2;
	while (s[i] == '-' && islower((unsigned char)s[i + 1])) {
		i++;
		while (islower((unsigned char)s[i]))
			i++;
		words++;
	}
	if (words == 0 || s[i] != '-' || !isdigit((unsigned char)s[i + 1]))
		return false;
	for (i++; s[i] != '\0'; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

void
ocean_missing_params(const struct xlate *x, struct strbuf *sb)
{
	const struct options *o = x->opt;
	bool need_x86 = false, need_arm = false, subnets = false;
	size_t i;

	for (i = 0; i < x->nmig; i++) {
		const struct xtd *td = x->mig[i]->td;

		if (x->mig[i]->nsubnets > 0)
			subnets = true;
		if (td == NULL)
			continue;
		if (td->arch != NULL && strcmp(td->arch, "ARM64") == 0)
			need_arm = true;
		else
			need_x86 = true;
	}
	if (cJSON_GetArraySize(opt_list(o, "subnets")) > 0)
		subnets = true;
	if (opt_str(o, "region") == NULL && (x->ex == NULL ||
	    x->ex->region == NULL))
		(void)strbuf_puts(sb, "\n  --region (the export's ARNs do "
		    "not name it)");
	if (opt_str(o, "ecs-cluster") == NULL && (x->ex == NULL ||
	    x->ex->cluster == NULL))
		(void)strbuf_puts(sb, "\n  --ecs-cluster (the export does "
		    "not name it)");
	if (need_x86 && opt_str(o, "ami-x86_64") == NULL)
		(void)strbuf_puts(sb, "\n  --ami-x86_64 (ECS-optimized AMI "
		    "for the X86_64 tasks)");
	if (need_arm && opt_str(o, "ami-arm64") == NULL)
		(void)strbuf_puts(sb, "\n  --ami-arm64 (ECS-optimized AMI "
		    "for the ARM64 tasks)");
	if (opt_str(o, "instance-profile") == NULL)
		(void)strbuf_puts(sb, "\n  --instance-profile (IAM instance "
		    "profile with the ECS container-instance role, ARN or "
		    "name)");
	if (!subnets)
		(void)strbuf_puts(sb, "\n  --subnets (the services name no "
		    "subnets)");
}

/* Parameters: defaults from the export, one error listing what lacks. */
int
ocean_size_params(struct octx *c)
{
	struct xlate *x = c->x;
	const cJSON *e;
	struct strbuf miss;
	size_t i, j;
	int rc = -1, bad = 0;

	c->region = opt_str(x->opt, "region");
	if (c->region == NULL && x->ex != NULL)
		c->region = x->ex->region;
	c->cluster = opt_str(x->opt, "ecs-cluster");
	if (c->cluster == NULL && x->ex != NULL)
		c->cluster = x->ex->cluster;
	c->name = opt_str(x->opt, "ocean-name");
	if (c->name == NULL)
		c->name = c->cluster;
	c->ami_x86 = opt_str(x->opt, "ami-x86_64");
	c->ami_arm = opt_str(x->opt, "ami-arm64");
	c->profile = opt_str(x->opt, "instance-profile");
	c->trunking = opt_bool(x->opt, "enable-trunking");
	cJSON_ArrayForEach(e, opt_list(x->opt, "subnets"))
		subnet_add(c, e->valuestring);
	if (c->nsubnets == 0) {
		for (i = 0; i < x->nmig; i++)
			for (j = 0; j < x->mig[i]->nsubnets; j++)
				subnet_add(c, x->mig[i]->subnets[j]);
		if (c->nsubnets > 1)
			qsort(c->subnets, c->nsubnets, sizeof(char *), ocean_size_cmp_str);
	}
	if (opt_str(x->opt, "ocean-name") == NULL && c->name != NULL)
		ctx_resolved(x, "ocean-name", cJSON_CreateString(c->name));
	if (cJSON_GetArraySize(opt_list(x->opt, "subnets")) == 0) {
		cJSON *a = cJSON_CreateArray();

		for (i = 0; i < c->nsubnets; i++)
			cJSON_AddItemToArray(a,
			    cJSON_CreateString(c->subnets[i]));
		ctx_resolved(x, "subnets", a);
	}
	strbuf_init(&miss, MODEL_MD_MAX);
	ocean_missing_params(x, &miss);
	if (miss.len > 0) {
		log_errx("Ocean cluster: missing parameters (command line or "
		    "--config file):%s", miss.buf);
		goto out;
	}
	if (!region_valid(c->region)) {
		log_errx("region \"%s\" (from --region or the export's ARNs) "
		    "is not a region code such as us-east-1: give --region",
		    c->region);
		bad++;
	}
	if (!name_valid(c->cluster)) {
		log_errx("ECS cluster \"%s\" (from --ecs-cluster or the "
		    "export) is not an ECS cluster name (letters, digits, - "
		    "and _, at most %d)", c->cluster, OCEAN_MAX_NAME);
		bad++;
	}
	if (!name_valid(c->name)) {
		log_errx("--ocean-name: \"%s\": use letters, digits, - and _ "
		    "(at most %d)", c->name, OCEAN_MAX_NAME);
		bad++;
	}
	if (c->ami_x86 != NULL && !ami_valid(c->ami_x86)) {
		log_errx("--ami-x86_64: \"%s\" is not an AMI id (ami-...)",
		    c->ami_x86);
		bad++;
	}
	if (c->ami_arm != NULL && !ami_valid(c->ami_arm)) {
		log_errx("--ami-arm64: \"%s\" is not an AMI id (ami-...)",
		    c->ami_arm);
		bad++;
	}
	if (strncmp(c->profile, "arn:", 4) == 0 &&
	    strstr(c->profile, ":instance-profile/") == NULL) {
		log_errx("--instance-profile: \"%s\" is an ARN but not an "
		    "instance profile's (a role ARN?): give the instance "
		    "profile's ARN or name", c->profile);
		bad++;
	}
	if (bad == 0)
		rc = 0;
out:
	strbuf_cleanup(&miss);
	return rc;
}

int
ocean_size_tasks(struct octx *c)
{
	struct xlate *x = c->x;
	size_t i, gi;
	int bad = 0;

	c->tasks = xcalloc(x->nmig > 0 ? x->nmig : 1, sizeof(*c->tasks));
	for (i = 0; i < x->nmig; i++) {
		struct xsvc *s = x->mig[i];
		struct ocean_share sh;
		struct otask *t;
		struct ogroup *g;

		if (s->td == NULL)
			continue;
		if (s->td->os != NULL && strcmp(s->td->os, "LINUX") != 0) {
			log_errx("%s: %s: service %s: task definition %s runs "
			    "on Windows: f2o's Ocean payloads are for Linux "
			    "instances only", s->td->src, s->td->jpath, s->name,
			    s->td->key);
			bad++;
			continue;
		}
		t = &c->tasks[c->ntasks];
		t->s = s;
		ocean_task_size(x, s->td, &t->cpu, &t->memory);
		t->awsvpc = taskdef_awsvpc(s->td);
		s->vng[0] = '\0';
		for (gi = 0; gi < OCEAN_NGROUPS; gi++)
			if (strcmp(ocean_group_names[gi], ocean_vng_name(s)) == 0)
				break;
		/* The cluster's strategy carries --spot-percentage. */
		ocean_share_of(x, s, &sh);
		g = ocean_share_group(c, (int)gi, sh.src ==
		    OCEAN_SHARE_STRATEGY ? sh.ondemand : 0);
		(void)snprintf(s->vng, sizeof(s->vng), "%s", g->name);
		g->tasks = xreallocarray(g->tasks, g->ntasks + 1,
		    sizeof(size_t));
		g->tasks[g->ntasks++] = c->ntasks;
		if (t->cpu > g->max_cpu)
			g->max_cpu = t->cpu;
		if (t->memory > g->max_memory)
			g->max_memory = t->memory;
		if (s->td->ephemeral_gib > g->eph_gib)
			g->eph_gib = s->td->ephemeral_gib;
		if (t->awsvpc)
			g->awsvpc = true;
		c->ntasks++;
	}
	ocean_share_finish(c);
	return bad > 0 ? -1 : 0;
}

/* Candidate types of g before the size rules. */
static bool
type_allowed(struct octx *c, struct ogroup *g, const struct catalog_type *t,
    bool count)
{
	if (t->arm64 != g->arm64) {
		if (count)
			g->n_arch++;
		return false;
	}
	if (t->gpu > 0) {
		if (count)
			g->n_gpu++;
		return false;
	}
	if (t->metal && c->cat->sel_no_metal) {
		if (count)
			g->n_metal++;
		return false;
	}
	if (t->burstable && c->cat->sel_no_burstable) {
		if (count)
			g->n_burst++;
		return false;
	}
	if (g->awsvpc && (t->tasks_trunk < 0 || !t->nitro)) {
		if (count)
			g->n_trunk++;
		return false;
	}
	return true;
}

/* The largest usable type of the group's kind, for messages. */
static const struct catalog_type *
largest_type(struct octx *c, struct ogroup *g)
{
	const struct catalog_type *best = NULL;
	size_t i;

	for (i = 0; i < c->cat->ntypes; i++) {
		const struct catalog_type *t = &c->cat->types[i];

		if (!type_allowed(c, g, t, false))
			continue;
		if (best == NULL ||
		    catalog_usable_memory(c->cat, t) >
		    catalog_usable_memory(c->cat, best))
			best = t;
	}
	return best;
}

int
ocean_size_select(struct octx *c, struct ogroup *g)
{
	const struct catalog *cat = c->cat;
	size_t i, k;
	int bad = 0, need = 0;
	const char *mode = opt_str(c->x->opt, "task-size");
	bool containers = mode != NULL && strcmp(mode, "containers") == 0;

	/* Every task must fit one allowed type; the cap yields to that. */
	for (k = 0; k < g->ntasks; k++) {
		const struct otask *t = &c->tasks[g->tasks[k]];
		int smallest = 0;

		for (i = 0; i < cat->ntypes; i++) {
			const struct catalog_type *ty = &cat->types[i];

			if (!type_allowed(c, g, ty, false) ||
			    catalog_fit(cat, ty, t->cpu, t->memory) < 1)
				continue;
			if (smallest == 0 || ty->vcpu < smallest)
				smallest = ty->vcpu;
		}
		if (smallest == 0) {
			const struct catalog_type *big = largest_type(c, g);

			log_errx("%s: %s: service %s: task definition %s "
			    "(%d CPU units, %d MiB, %s) fits no %s%s instance "
			    "type of "
			    "%s after the ECS reservation (%d%% of memory + "
			    "%d MiB)%s%s%s; list larger types in %s "
			    "(--templates)%s", t->s->td->src, t->s->td->jpath,
			    t->s->name, t->s->td->key, t->cpu,
			    t->memory, t->s->td->arch, g->arm64 ? "arm64" :
			    "x86_64", g->awsvpc ? " trunking-capable" : "",
			    CATALOG_FILE, cat->os_memory_pct, cat->agent_memory,
			    big != NULL ? "; the largest, " : "",
			    big != NULL ? big->name : "",
			    big != NULL ? ", is too small" : "", CATALOG_FILE,
			    containers ? "" : " or size tasks from their "
			    "containers (--task-size containers)");
			bad++;
			continue;
		}
		if (smallest > need)
			need = smallest;
	}
	if (bad > 0)
		return -1;
	g->cap = cat->sel_max_vcpu;
	if (g->cap > 0 && need > g->cap)
		g->cap = need;
	g->types = xcalloc(cat->ntypes, sizeof(*g->types));
	for (i = 0; i < cat->ntypes; i++) {
		const struct catalog_type *ty = &cat->types[i];
		bool fits = false;

		if (!type_allowed(c, g, ty, true))
			continue;
		if (g->cap > 0 && ty->vcpu > g->cap) {
			g->n_cap++;
			continue;
		}
		for (k = 0; k < g->ntasks && !fits; k++)
			fits = catalog_fit(cat, ty, c->tasks[g->tasks[k]].cpu,
			    c->tasks[g->tasks[k]].memory) >= 1;
		if (!fits) {
			g->n_small++;
			continue;
		}
		g->types[g->ntypes++] = ty;
	}
	return 0;
}
