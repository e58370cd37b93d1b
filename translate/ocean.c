/*
 * Spot Ocean cluster and virtual node groups (issue 4). See ocean.h.
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
#include "options.h"
#include "plan.h"
#include "report.h"
#include "xalloc.h"

#define OCEAN_NGROUPS		4	/* {x86_64, arm64} x {plain, disk} */

static const char *const group_names[OCEAN_NGROUPS] = {
	"x86_64", "x86_64-disk", "arm64", "arm64-disk"
};

struct otask {
	const struct xsvc *s;
	int	 cpu;
	int	 memory;
	bool	 awsvpc;
};

struct ogroup {
	const char *name;
	bool	 arm64;
	bool	 disk;
	int	 eph_gib;		/* largest Fargate ephemeral storage */
	int	 volume;		/* root volume GiB, disk groups */
	size_t	*tasks;			/* indexes into ctx.tasks */
	size_t	 ntasks;
	bool	 awsvpc;		/* some task uses awsvpc */
	int	 max_cpu;
	int	 max_memory;
	int	 cap;			/* vCPU cap applied, 0 = none */
	const struct catalog_type **types;
	size_t	 ntypes;
	/* What the selection removed, for PLAN.md. */
	size_t	 n_arch, n_gpu, n_metal, n_burst, n_trunk, n_cap, n_small;
	char	*step;
};

struct octx {
	struct xlate *x;
	struct catalog *cat;
	struct otask *tasks;
	size_t	 ntasks;
	struct ogroup g[OCEAN_NGROUPS];
	const char *region;
	const char *cluster;
	const char *name;
	const char *ami_x86;
	const char *ami_arm;
	const char *profile;
	char	**subnets;
	size_t	 nsubnets;
	bool	 trunking;
	int	 root_gib;		/* template root volume size */
	bool	 sgs_from_template;	/* no planned groups, template's */
};

/* ---------------------------------------------------------------- */
/* Helpers usable alone (and unit-tested). */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
ocean_base64(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 0x03) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 0x0f) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 0x3f];
	}
	if (len - i == 1) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[(p[i] & 0x03) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 0x03) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[(p[i + 1] & 0x0f) << 2];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

char *
ocean_render(const char *tmpl, size_t len, const char *const *vars,
    const char *what)
{
	struct strbuf sb;
	size_t i = 0, line = 1, n, k;
	const char *val;
	char name[OCEAN_MAX_PLACEHOLDER + 1];

	strbuf_init(&sb, OCEAN_MAX_USERDATA);
	while (i < len) {
		if (tmpl[i] == '\0') {
			log_errx("%s: line %zu: NUL byte", what, line);
			goto fail;
		}
		if (tmpl[i] == '\n')
			line++;
		if (tmpl[i] != '{' || i + 1 >= len || tmpl[i + 1] != '{') {
			if (strbuf_add(&sb, &tmpl[i], 1) == -1)
				goto toolong;
			i++;
			continue;
		}
		/* {{NAME}} with NAME in [A-Z0-9_]; other braces are text. */
		for (k = i + 2; k < len && k - i - 2 <= OCEAN_MAX_PLACEHOLDER &&
		    (isupper((unsigned char)tmpl[k]) ||
		    isdigit((unsigned char)tmpl[k]) || tmpl[k] == '_'); k++)
			;
		n = k - i - 2;
		if (n == 0 || n > OCEAN_MAX_PLACEHOLDER || k + 1 >= len ||
		    tmpl[k] != '}' || tmpl[k + 1] != '}') {
			if (strbuf_add(&sb, &tmpl[i], 1) == -1)
				goto toolong;
			i++;
			continue;
		}
		memcpy(name, &tmpl[i + 2], n);
		name[n] = '\0';
		val = NULL;
		for (k = 0; vars[k] != NULL && vars[k + 1] != NULL; k += 2)
			if (strcmp(vars[k], name) == 0) {
				val = vars[k + 1];
				break;
			}
		if (val == NULL) {
			struct strbuf known;

			strbuf_init(&known, OCEAN_MAX_USERDATA);
			for (k = 0; vars[k] != NULL && vars[k + 1] != NULL;
			    k += 2)
				(void)strbuf_printf(&known, "%s{{%s}}",
				    k > 0 ? ", " : "", vars[k]);
			log_errx("%s: line %zu: unknown placeholder {{%s}} "
			    "(known: %s)", what, line, name,
			    known.buf != NULL ? known.buf : "none");
			strbuf_cleanup(&known);
			goto fail;
		}
		if (strbuf_puts(&sb, val) == -1)
			goto toolong;
		i += n + 4;
	}
	if (sb.buf == NULL)
		(void)strbuf_puts(&sb, "");
	return strbuf_take(&sb, NULL);
toolong:
	log_errx("%s: the rendered script exceeds the %d bytes EC2 allows "
	    "for user data", what, OCEAN_MAX_USERDATA);
fail:
	strbuf_cleanup(&sb);
	return NULL;
}

const char *
ocean_vng_name(const struct xsvc *s)
{
	size_t i;

	if (s == NULL || s->td == NULL)
		return NULL;
	i = (s->td->arch != NULL && strcmp(s->td->arch, "ARM64") == 0) ? 2 : 0;
	if (s->td->ephemeral_gib > OCEAN_FARGATE_EPH_GIB)
		i++;
	return group_names[i];
}

cJSON *
ocean_placement(const struct xsvc *s)
{
	const char *g = ocean_vng_name(s);
	cJSON *o;
	char *e;

	if (g == NULL)
		return NULL;
	o = cJSON_CreateObject();
	json_add_str(o, "type", "memberOf");
	e = xasprintf("attribute:%s == %s", OCEAN_VNG_ATTRIBUTE, g);
	json_add_str(o, "expression", e);
	free(e);
	return o;
}

void
ocean_task_size(const struct xlate *x, const struct xtd *t, int *cpu,
    int *memory)
{
	const char *mode = opt_str(x->opt, "task-size");
	int ctr_mem = t->ctr_memory > t->ctr_reservation ? t->ctr_memory :
	    t->ctr_reservation;

	/* The same size the cost report packs (report.c). */
	if (mode != NULL && strcmp(mode, "containers") == 0) {
		(void)report_container_size(t, cpu, memory);
		return;
	}
	*cpu = t->cpu > 0 ? t->cpu : t->ctr_cpu;
	*memory = t->memory > 0 ? t->memory : ctr_mem;
}

/* ---------------------------------------------------------------- */

static void
ctx_free(struct octx *c)
{
	size_t i;

	catalog_free(c->cat);
	free(c->tasks);
	for (i = 0; i < OCEAN_NGROUPS; i++) {
		free(c->g[i].tasks);
		free(c->g[i].types);
		free(c->g[i].step);
	}
	for (i = 0; i < c->nsubnets; i++)
		free(c->subnets[i]);
	free(c->subnets);
}

static int
cmp_str(const void *a, const void *b)
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
static int
params_resolve(struct octx *c)
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
			qsort(c->subnets, c->nsubnets, sizeof(char *), cmp_str);
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
	strbuf_init(&miss, XLATE_MD_MAX);
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

static bool
task_awsvpc(const struct xtd *t)
{
	const char *m = json_str(t->td, "networkMode");

	return m == NULL || strcmp(m, "awsvpc") == 0;
}

static int
tasks_collect(struct octx *c)
{
	struct xlate *x = c->x;
	size_t i, gi;
	int bad = 0;

	c->tasks = xcalloc(x->nmig > 0 ? x->nmig : 1, sizeof(*c->tasks));
	for (i = 0; i < OCEAN_NGROUPS; i++) {
		c->g[i].name = group_names[i];
		c->g[i].arm64 = i >= 2;
		c->g[i].disk = (i % 2) == 1;
	}
	for (i = 0; i < x->nmig; i++) {
		const struct xsvc *s = x->mig[i];
		struct otask *t;
		struct ogroup *g;

		if (s->td == NULL)
			continue;
		if (s->td->os != NULL && strcmp(s->td->os, "LINUX") != 0) {
			log_errx("service %s: task definition %s runs on "
			    "Windows: f2o's Ocean payloads are for Linux "
			    "instances only", s->name, s->td->key);
			bad++;
			continue;
		}
		t = &c->tasks[c->ntasks];
		t->s = s;
		ocean_task_size(x, s->td, &t->cpu, &t->memory);
		t->awsvpc = task_awsvpc(s->td);
		for (gi = 0; gi < OCEAN_NGROUPS; gi++)
			if (strcmp(group_names[gi], ocean_vng_name(s)) == 0)
				break;
		g = &c->g[gi];
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

static int
group_select(struct octx *c, struct ogroup *g)
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

			log_errx("service %s: task definition %s (%d CPU units, "
			    "%d MiB, %s) fits no %s%s instance type of "
			    "%s after the ECS reservation (%d%% of memory + "
			    "%d MiB)%s%s%s; list larger types in %s "
			    "(--templates)%s", t->s->name, t->s->td->key, t->cpu,
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

/* ---------------------------------------------------------------- */
/* Payloads. */

static void
set_item(cJSON *obj, const char *key, cJSON *item)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
	else
		cJSON_AddItemToObject(obj, key, item);
}

/* Move the named members (NULL-terminated) to the front, in that order. */
static void
obj_front(cJSON *obj, const char *const *keys)
{
	cJSON *front = cJSON_CreateArray(), *m;
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		m = cJSON_DetachItemFromObjectCaseSensitive(obj, keys[i]);
		if (m != NULL)
			cJSON_AddItemToArray(front, m);	/* keeps m->string */
	}
	while (obj->child != NULL) {
		m = cJSON_DetachItemViaPointer(obj, obj->child);
		cJSON_AddItemToArray(front, m);
	}
	while (front->child != NULL) {
		m = cJSON_DetachItemViaPointer(front, front->child);
		cJSON_AddItemToArray(obj, m);
	}
	cJSON_Delete(front);
}

static cJSON *
obj_get(cJSON *obj, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsObject(o)) {
		o = cJSON_CreateObject();
		set_item(obj, key, o);
	}
	return o;
}

/* The template's {"<root>": {...}}, checked. */
static cJSON *
template_body(struct xlate *x, const char *file, const char *root)
{
	cJSON *t = ctx_template_json(x, file);

	if (t == NULL)
		return NULL;
	if (!cJSON_IsObject(t) ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(t, root))) {
		log_errx("template %s: $.%s: must be an object (the body "
		    "POSTed to Spot, {\"%s\": {...}})", file, root, root);
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

static bool
tags_have(const cJSON *tags, const char *key)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, tags) {
		const char *k = json_str(e, "tagKey");

		if (k != NULL && strcmp(k, key) == 0)
			return true;
	}
	return false;
}

/* Template tags, then a Name tag unless given, then f2o's. */
static void
tags_set(struct octx *c, cJSON *spec, const char *name)
{
	cJSON *tags = cJSON_GetObjectItemCaseSensitive(spec, "tags"), *f2o,
	    *o;

	if (!cJSON_IsArray(tags)) {
		tags = cJSON_CreateArray();
		set_item(spec, "tags", tags);
	}
	f2o = ctx_tags(c->x, "tagKey", "tagValue");
	if (!tags_have(tags, "Name") && !tags_have(f2o, "Name")) {
		o = cJSON_CreateObject();
		json_add_str(o, "tagKey", "Name");
		json_add_str(o, "tagValue", name);
		cJSON_AddItemToArray(tags, o);
	}
	while (f2o->child != NULL) {
		cJSON *m = cJSON_DetachItemViaPointer(f2o, f2o->child);
		const char *k = json_str(m, "tagKey");

		if (k != NULL && tags_have(tags, k)) {
			cJSON_Delete(m);
			continue;
		}
		cJSON_AddItemToArray(tags, m);
	}
	cJSON_Delete(f2o);
}

static cJSON *
str_array(char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static char *
userdata_make(struct octx *c)
{
	char mem[32], *tmpl, *script, *enc;
	size_t len;
	const char *vars[] = {
		"ECS_CLUSTER", c->cluster,
		"OCEAN_NAME", c->name,
		"REGION", c->region,
		"ECS_RESERVED_MEMORY", mem,
		NULL, NULL
	};

	(void)snprintf(mem, sizeof(mem), "%d", c->cat->agent_memory);
	tmpl = ctx_template(c->x, OCEAN_TEMPLATE_USERDATA, &len);
	if (tmpl == NULL)
		return NULL;
	script = ocean_render(tmpl, len, vars, "template "
	    OCEAN_TEMPLATE_USERDATA);
	free(tmpl);
	if (script == NULL)
		return NULL;
	enc = ocean_base64(script, strlen(script));
	free(script);
	return enc;
}

static void
headroom_fill(cJSON *h, int cpu, int memory)
{
	set_item(h, "cpuPerUnit", cJSON_CreateNumber(cpu));
	set_item(h, "memoryPerUnit", cJSON_CreateNumber(memory));
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(h, "numOfUnits")))
		set_item(h, "numOfUnits", cJSON_CreateNumber(1));
}

static cJSON *
cluster_body(struct octx *c)
{
	cJSON *t, *cl, *compute, *ls, *it, *wl, *as, *h, *p, *bdm, *ebs;
	char *ud, **names = NULL;
	size_t i, j, n = 0;
	int cpu = 0, mem = 0;
	const char *ami;

	if ((t = template_body(c->x, OCEAN_TEMPLATE_CLUSTER, "cluster")) ==
	    NULL)
		return NULL;
	cl = cJSON_GetObjectItemCaseSensitive(t, "cluster");
	set_item(cl, "name", cJSON_CreateString(c->name));
	set_item(cl, "clusterName", cJSON_CreateString(c->cluster));
	set_item(cl, "region", cJSON_CreateString(c->region));
	obj_front(cl, (const char *const[]){ "name", "clusterName", "region",
	    NULL });

	/* Headroom: the largest task of the cluster. */
	for (i = 0; i < OCEAN_NGROUPS; i++) {
		if (c->g[i].max_cpu > cpu)
			cpu = c->g[i].max_cpu;
		if (c->g[i].max_memory > mem)
			mem = c->g[i].max_memory;
	}
	as = obj_get(cl, "autoScaler");
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(as,
	    "isAutoConfig"))) {
		h = obj_get(as, "headroom");
		headroom_fill(h, cpu, mem);
	}

	compute = obj_get(cl, "compute");
	set_item(compute, "subnetIds", str_array(c->subnets, c->nsubnets));
	/* Types: every node group's, the cluster list bounds theirs. */
	for (i = 0; i < OCEAN_NGROUPS; i++)
		for (j = 0; j < c->g[i].ntypes; j++) {
			size_t k;

			for (k = 0; k < n; k++)
				if (strcmp(names[k], c->g[i].types[j]->name) == 0)
					break;
			if (k < n)
				continue;
			names = xreallocarray(names, n + 1, sizeof(char *));
			names[n++] = c->g[i].types[j]->name;
		}
	qsort(names, n, sizeof(char *), cmp_str);
	it = cJSON_CreateObject();
	wl = str_array(names, n);
	free(names);
	cJSON_AddItemToObject(it, "whitelist", wl);
	set_item(compute, "instanceTypes", it);

	ls = obj_get(compute, "launchSpecification");
	ami = c->ami_x86;
	if (c->g[0].ntasks == 0 && c->g[1].ntasks == 0)
		ami = c->ami_arm;
	set_item(ls, "imageId", cJSON_CreateString(ami));
	if ((ud = userdata_make(c)) == NULL) {
		cJSON_Delete(t);
		return NULL;
	}
	set_item(ls, "userData", cJSON_CreateString(ud));
	free(ud);
	if (c->x->ninstance_sgs > 0)
		set_item(ls, "securityGroupIds", str_array(c->x->instance_sgs,
		    c->x->ninstance_sgs));
	else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ls,
	    "securityGroupIds")) == 0) {
		json_del(ls, "securityGroupIds");
		ctx_warn(c->x, "Ocean cluster", "no instance security group "
		    "was planned: compute.launchSpecification.securityGroupIds "
		    "is left out, which Spot requires; add it before running "
		    "the bundle");
	} else
		c->sgs_from_template = true;
	p = cJSON_CreateObject();
	json_add_str(p, strncmp(c->profile, "arn:", 4) == 0 ? "arn" : "name",
	    c->profile);
	set_item(ls, "iamInstanceProfile", p);
	if (opt_str(c->x->opt, "key-pair") != NULL)
		set_item(ls, "keyPair",
		    cJSON_CreateString(opt_str(c->x->opt, "key-pair")));
	tags_set(c, ls, c->name);
	set_item(ls, "useAsTemplateOnly", cJSON_CreateTrue());
	/* Remember the template's root volume size for the disk groups. */
	bdm = cJSON_GetObjectItemCaseSensitive(ls, "blockDeviceMappings");
	ebs = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bdm, 0),
	    "ebs");
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ebs,
	    "volumeSize")))
		c->root_gib = cJSON_GetObjectItemCaseSensitive(ebs,
		    "volumeSize")->valueint;
	return t;
}

static cJSON *
vng_body(struct octx *c, struct ogroup *g, cJSON *tmpl)
{
	cJSON *t = cJSON_Duplicate(tmpl, 1), *ls, *as, *hs, *h, *attrs, *a,
	    *types, *bdm, *m, *ebs;
	char *ref, **names, *tagname;
	size_t i;

	ls = cJSON_GetObjectItemCaseSensitive(t, "launchSpec");
	ref = plan_ref(OCEAN_STEP_CLUSTER, "id");
	set_item(ls, "oceanId", cJSON_CreateString(ref));
	free(ref);
	set_item(ls, "name", cJSON_CreateString(g->name));
	obj_front(ls, (const char *const[]){ "oceanId", "name", NULL });
	set_item(ls, "imageId", cJSON_CreateString(g->arm64 ? c->ami_arm :
	    c->ami_x86));
	json_del(ls, "images");
	names = xcalloc(g->ntypes + 1, sizeof(char *));
	for (i = 0; i < g->ntypes; i++)
		names[i] = g->types[i]->name;
	qsort(names, g->ntypes, sizeof(char *), cmp_str);
	types = str_array(names, g->ntypes);
	free(names);
	set_item(ls, "instanceTypes", types);

	attrs = cJSON_GetObjectItemCaseSensitive(ls, "attributes");
	if (!cJSON_IsArray(attrs)) {
		attrs = cJSON_CreateArray();
		set_item(ls, "attributes", attrs);
	}
	a = cJSON_CreateObject();
	json_add_str(a, "key", OCEAN_VNG_ATTRIBUTE);
	json_add_str(a, "value", g->name);
	cJSON_AddItemToArray(attrs, a);

	as = obj_get(ls, "autoScale");
	hs = cJSON_GetObjectItemCaseSensitive(as, "headrooms");
	if (!cJSON_IsArray(hs)) {
		hs = cJSON_CreateArray();
		set_item(as, "headrooms", hs);
	}
	h = cJSON_GetArrayItem(hs, 0);
	if (!cJSON_IsObject(h)) {
		h = cJSON_CreateObject();
		cJSON_AddItemToArray(hs, h);
	}
	headroom_fill(h, g->max_cpu, g->max_memory);

	/* Root volume: the template's, plus the Fargate storage above 20. */
	bdm = cJSON_GetObjectItemCaseSensitive(ls, "blockDeviceMappings");
	if (g->disk) {
		if (!cJSON_IsArray(bdm) || cJSON_GetArraySize(bdm) == 0) {
			bdm = cJSON_CreateArray();
			m = cJSON_CreateObject();
			json_add_str(m, "deviceName", "/dev/xvda");
			cJSON_AddItemToArray(bdm, m);
			set_item(ls, "blockDeviceMappings", bdm);
		}
		m = cJSON_GetArrayItem(bdm, 0);
		ebs = obj_get(m, "ebs");
		g->volume = (c->root_gib > 0 ? c->root_gib : OCEAN_ROOT_GIB) +
		    g->eph_gib;
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ebs,
		    "volumeSize")))
			g->volume = cJSON_GetObjectItemCaseSensitive(ebs,
			    "volumeSize")->valueint + g->eph_gib;
		json_del(ebs, "dynamicVolumeSize");
		set_item(ebs, "volumeSize", cJSON_CreateNumber(g->volume));
	}
	tagname = xasprintf("%s-%s", c->name, g->name);
	tags_set(c, ls, tagname);
	free(tagname);
	return t;
}

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

static void
md_write(struct octx *c)
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

	for (i = 0; i < OCEAN_NGROUPS; i++) {
		const struct ogroup *g = &c->g[i];

		if (g->ntasks == 0)
			continue;
		(void)strbuf_printf(sb, "### Node group `%s` (step `%s`)\n\n",
		    g->name, g->step);
		(void)strbuf_printf(sb, "- AMI `%s` (%s)\n", g->arm64 ?
		    c->ami_arm : c->ami_x86, g->arm64 ? "arm64" : "x86_64");
		if (g->disk)
			(void)strbuf_printf(sb, "- root volume %d GiB: the "
			    "template's size plus the largest Fargate "
			    "ephemeral storage of its tasks (%d GiB); tasks on "
			    "one instance share it\n", g->volume, g->eph_gib);
		(void)strbuf_printf(sb, "- headroom: %d CPU units, %d MiB "
		    "(its largest task)\n", g->max_cpu, g->max_memory);
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
}

/* ---------------------------------------------------------------- */

static int
catalog_get(struct octx *c)
{
	cJSON *root = ctx_template_json(c->x, CATALOG_FILE);
	int rc;

	if (root == NULL)
		return -1;
	rc = catalog_load(&c->cat, root, "template " CATALOG_FILE);
	cJSON_Delete(root);
	return rc;
}

static int
steps_add(struct octx *c, cJSON *cluster, cJSON *vtmpl)
{
	struct xlate *x = c->x;
	struct plan_step *st;
	cJSON *req;
	char *path, *title;
	size_t i;

	if (c->trunking) {
		req = cJSON_CreateObject();
		json_add_str(req, "name", "awsvpcTrunking");
		json_add_str(req, "value", "enabled");
		path = ctx_request(x, OCEAN_STEP_TRUNKING, req);
		cJSON_Delete(req);
		if (path == NULL)
			return -1;
		st = plan_add(x->plan, OCEAN_STEP_TRUNKING, XLATE_PHASE_IMPORT,
		    "ecs:PutAccountSettingDefault", "turn on ENI trunking "
		    "(awsvpcTrunking) for the account's new instances", path,
		    NULL);
		free(path);
		if (st == NULL)
			return -1;
	}
	path = ctx_request(x, OCEAN_STEP_CLUSTER, cluster);
	if (path == NULL)
		return -1;
	title = xasprintf("create Spot Ocean cluster %s for ECS cluster %s",
	    c->name, c->cluster);
	st = plan_add(x->plan, OCEAN_STEP_CLUSTER, XLATE_PHASE_IMPORT,
	    "spot:CreateOceanCluster", title, path, NULL);
	free(title);
	free(path);
	if (st == NULL)
		return -1;
	for (i = 0; i < x->nsg_steps; i++)
		plan_step_after(st, x->sg_steps[i]);
	if (c->trunking)
		plan_step_after(st, OCEAN_STEP_TRUNKING);
	plan_step_output(st, "id", "id");
	x->ocean_step = xstrdup(OCEAN_STEP_CLUSTER);

	for (i = 0; i < OCEAN_NGROUPS; i++) {
		struct ogroup *g = &c->g[i];

		if (g->ntasks == 0)
			continue;
		req = vng_body(c, g, vtmpl);
		g->step = xasprintf("vng/%s", g->name);
		path = ctx_request(x, g->step, req);
		cJSON_Delete(req);
		if (path == NULL)
			return -1;
		title = xasprintf("create Ocean node group %s (%zu %s, %zu "
		    "instance types)", g->name, g->ntasks, g->ntasks == 1 ?
		    "service" : "services", g->ntypes);
		st = plan_add(x->plan, g->step, XLATE_PHASE_IMPORT,
		    "spot:CreateOceanLaunchSpec", title, path, NULL);
		free(title);
		free(path);
		if (st == NULL)
			return -1;
		plan_step_after(st, OCEAN_STEP_CLUSTER);
		plan_step_output(st, "id", "id");
		x->vng_steps = xreallocarray(x->vng_steps, x->nvng_steps + 1,
		    sizeof(char *));
		x->vng_steps[x->nvng_steps++] = xstrdup(g->step);
	}
	return 0;
}

int
ocean_plan(struct xlate *x)
{
	struct octx c;
	cJSON *cluster = NULL, *vtmpl = NULL;
	size_t i;
	int rc = -1, bad = 0;

	memset(&c, 0, sizeof(c));
	c.x = x;
	if (x->nmig == 0)
		return 0;
	if (tasks_collect(&c) == -1 || params_resolve(&c) == -1 ||
	    catalog_get(&c) == -1)
		goto out;
	for (i = 0; i < OCEAN_NGROUPS; i++)
		if (c.g[i].ntasks > 0 && group_select(&c, &c.g[i]) == -1)
			bad++;
	if (bad > 0)
		goto out;
	if ((cluster = cluster_body(&c)) == NULL)
		goto out;
	if ((vtmpl = template_body(x, OCEAN_TEMPLATE_VNG, "launchSpec")) ==
	    NULL)
		goto out;
	if (steps_add(&c, cluster, vtmpl) == -1)
		goto out;
	md_write(&c);
	rc = 0;
out:
	cJSON_Delete(cluster);
	cJSON_Delete(vtmpl);
	ctx_free(&c);
	return rc;
}
