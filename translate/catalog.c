/*
 * The EC2 instance-type catalog (templates/instance-types.json) loaded and
 * queried: usable size after the ECS reservation, tasks per instance.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

#define CATALOG_MAX_NAME	64	/* bytes of an instance type name */
#define CATALOG_MAX_PRICE	10000.0	/* USD per hour, sanity bound */

void
catalog_free(struct catalog *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ntypes; i++) {
		free(c->types[i].name);
		free(c->types[i].family);
		free(c->types[i].size);
	}
	free(c->types);
	free(c->generated);
	free(c);
}

/* "m7g.large": lower-case letters, digits, '-', one '.'. */
static bool
name_valid(const char *s)
{
	size_t n = strlen(s), dots = 0, i;

	if (n == 0 || n > CATALOG_MAX_NAME)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.')
			dots++;
		else if (!islower(ch) && !isdigit(ch) && ch != '-')
			return false;
	}
	return dots == 1 && s[0] != '.' && s[n - 1] != '.';
}

static int
get_int(const cJSON *o, const char *key, long long min, long long max,
    int *out, const char *what, struct jpath *jp)
{
	long long v;
	size_t l;

	if (json_int(o, key, min, max, &v) == -1) {
		l = jpath_key(jp, key);
		log_errx("%s: %s: must be a whole number from %lld to %lld", what,
		    jp->buf, min, max);
		jpath_pop(jp, l);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int
get_bool(const cJSON *o, const char *key, bool def, bool *out,
    const char *what, struct jpath *jp)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	size_t l;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!cJSON_IsBool(v)) {
		l = jpath_key(jp, key);
		log_errx("%s: %s: must be true or false", what, jp->buf);
		jpath_pop(jp, l);
		return -1;
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

static int
type_load(struct catalog_type *t, const cJSON *o, const char *what,
    struct jpath *jp)
{
	const char *name, *arch, *hv, *dot;
	const cJSON *v;
	size_t l;

	if (!cJSON_IsObject(o)) {
		log_errx("%s: %s: must be an object", what, jp->buf);
		return -1;
	}
	name = json_str(o, "type");
	if (name == NULL || !name_valid(name)) {
		l = jpath_key(jp, "type");
		log_errx("%s: %s: must be an instance type name such as "
		    "\"m5.large\"", what, jp->buf);
		jpath_pop(jp, l);
		return -1;
	}
	t->name = xstrdup(name);
	dot = strchr(name, '.');
	t->family = xstrndup(name, (size_t)(dot - name));
	t->size = xstrdup(dot + 1);
	t->burstable = name[0] == 't';
	arch = json_str(o, "arch");
	if (arch == NULL || (strcmp(arch, "x86_64") != 0 &&
	    strcmp(arch, "arm64") != 0)) {
		l = jpath_key(jp, "arch");
		log_errx("%s: %s: must be \"x86_64\" or \"arm64\"", what,
		    jp->buf);
		jpath_pop(jp, l);
		return -1;
	}
	t->arm64 = strcmp(arch, "arm64") == 0;
	if (get_int(o, "vcpu", 1, CATALOG_MAX_VCPU, &t->vcpu, what, jp) == -1 ||
	    get_int(o, "memoryMiB", 1, CATALOG_MAX_MEMORY, &t->memory, what,
	    jp) == -1 ||
	    get_int(o, "maxEnis", 1, CATALOG_MAX_ENIS, &t->max_enis, what,
	    jp) == -1 ||
	    get_bool(o, "bareMetal", false, &t->metal, what, jp) == -1)
		return -1;
	t->gpu = 0;
	if (cJSON_GetObjectItemCaseSensitive(o, "gpu") != NULL &&
	    get_int(o, "gpu", 0, CATALOG_MAX_ENIS, &t->gpu, what, jp) == -1)
		return -1;
	/* ecsTasksNoTrunk defaults to the ECS rule maxEnis - 1. */
	t->tasks_no_trunk = t->max_enis - 1;
	if (cJSON_GetObjectItemCaseSensitive(o, "ecsTasksNoTrunk") != NULL &&
	    get_int(o, "ecsTasksNoTrunk", 0, CATALOG_MAX_ENIS,
	    &t->tasks_no_trunk, what, jp) == -1)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(o, "ecsTrunkTaskEnis");
	t->tasks_trunk = -1;
	if (v != NULL && !cJSON_IsNull(v) && get_int(o, "ecsTrunkTaskEnis", 0,
	    CATALOG_MAX_TASKS, &t->tasks_trunk, what, jp) == -1)
		return -1;
	/* No hypervisor given: ECS trunking support implies Nitro. */
	hv = json_str(o, "hypervisor");
	t->nitro = hv != NULL ? strcmp(hv, "nitro") == 0 : t->tasks_trunk >= 0;
	v = cJSON_GetObjectItemCaseSensitive(o, "onDemandUsdPerHourUsEast1");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
		    v->valuedouble < 0 || v->valuedouble > CATALOG_MAX_PRICE) {
			l = jpath_key(jp, "onDemandUsdPerHourUsEast1");
			log_errx("%s: %s: must be a price in USD per hour", what,
			    jp->buf);
			jpath_pop(jp, l);
			return -1;
		}
		t->od_hour = v->valuedouble;
	}
	return 0;
}

static int
settings_load(struct catalog *c, const cJSON *root, const char *what)
{
	const cJSON *r, *s;
	struct jpath jp;

	c->os_memory_pct = CATALOG_OS_MEMORY_PCT;
	c->agent_memory = CATALOG_AGENT_MEMORY;
	c->agent_cpu = CATALOG_AGENT_CPU;
	c->sel_no_metal = true;
	c->sel_no_burstable = true;
	c->sel_max_vcpu = CATALOG_SEL_MAX_VCPU;
	r = cJSON_GetObjectItemCaseSensitive(root, "ecsReservation");
	if (r != NULL) {
		jpath_init(&jp, "$.ecsReservation");
		if (!cJSON_IsObject(r)) {
			log_errx("%s: %s: must be an object", what, jp.buf);
			return -1;
		}
		if ((cJSON_GetObjectItemCaseSensitive(r, "osMemoryPercent") &&
		    get_int(r, "osMemoryPercent", 0, CATALOG_PCT - 1,
		    &c->os_memory_pct, what, &jp) == -1) ||
		    (cJSON_GetObjectItemCaseSensitive(r, "agentMemoryMiB") &&
		    get_int(r, "agentMemoryMiB", 0, CATALOG_MAX_MEMORY,
		    &c->agent_memory, what, &jp) == -1) ||
		    (cJSON_GetObjectItemCaseSensitive(r, "agentCpuUnits") &&
		    get_int(r, "agentCpuUnits", 0,
		    (long long)CATALOG_MAX_VCPU * CATALOG_CPU_UNITS,
		    &c->agent_cpu, what, &jp) == -1))
			return -1;
	}
	s = cJSON_GetObjectItemCaseSensitive(root, "selection");
	if (s != NULL) {
		jpath_init(&jp, "$.selection");
		if (!cJSON_IsObject(s)) {
			log_errx("%s: %s: must be an object", what, jp.buf);
			return -1;
		}
		if (get_bool(s, "excludeMetal", true, &c->sel_no_metal, what,
		    &jp) == -1 ||
		    get_bool(s, "excludeBurstable", true, &c->sel_no_burstable,
		    what, &jp) == -1 ||
		    (cJSON_GetObjectItemCaseSensitive(s, "maxVcpu") &&
		    get_int(s, "maxVcpu", 0, CATALOG_MAX_VCPU, &c->sel_max_vcpu,
		    what, &jp) == -1))
			return -1;
	}
	return 0;
}

int
catalog_load(struct catalog **out, const cJSON *root, const char *what)
{
	struct catalog *c;
	const cJSON *types, *o;
	struct jpath jp;
	size_t i = 0, l;
	int n;

	*out = NULL;
	if (!cJSON_IsObject(root)) {
		log_errx("%s: $: must be an object with \"types\"", what);
		return -1;
	}
	types = cJSON_GetObjectItemCaseSensitive(root, "types");
	n = cJSON_GetArraySize(types);
	if (!cJSON_IsArray(types) || n == 0 || n > CATALOG_MAX_TYPES) {
		log_errx("%s: $.types: must be an array of 1 to %d instance "
		    "types", what, CATALOG_MAX_TYPES);
		return -1;
	}
	c = xcalloc(1, sizeof(*c));
	if (settings_load(c, root, what) == -1)
		goto fail;
	if (json_str(root, "generated") != NULL)
		c->generated = xstrdup(json_str(root, "generated"));
	c->types = xcalloc((size_t)n, sizeof(*c->types));
	jpath_init(&jp, "$.types");
	cJSON_ArrayForEach(o, types) {
		l = jpath_index(&jp, i);
		c->ntypes = i + 1;
		if (type_load(&c->types[i], o, what, &jp) == -1)
			goto fail;
		if (catalog_find(c, c->types[i].name) != &c->types[i]) {
			log_errx("%s: %s.type: \"%s\" listed twice", what, jp.buf,
			    c->types[i].name);
			goto fail;
		}
		jpath_pop(&jp, l);
		i++;
	}
	*out = c;
	return 0;
fail:
	catalog_free(c);
	return -1;
}

int
catalog_parse(struct catalog **out, const char *buf, size_t len,
    const char *what)
{
	cJSON *root = NULL;
	int rc;

	*out = NULL;
	if (json_parse(&root, what, buf, len) == -1)
		return -1;
	rc = catalog_load(out, root, what);
	cJSON_Delete(root);
	return rc;
}

const struct catalog_type *
catalog_find(const struct catalog *c, const char *name)
{
	size_t i;

	if (c == NULL || name == NULL)
		return NULL;
	for (i = 0; i < c->ntypes; i++)
		if (strcmp(c->types[i].name, name) == 0)
			return &c->types[i];
	return NULL;
}

int
catalog_usable_cpu(const struct catalog *c, const struct catalog_type *t)
{
	long long v = (long long)t->vcpu * CATALOG_CPU_UNITS - c->agent_cpu;

	return v > 0 ? (int)v : 0;
}

int
catalog_usable_memory(const struct catalog *c, const struct catalog_type *t)
{
	long long reg, v;

	/* ECS registers MemTotal: the nominal size less the OS's share. */
	reg = (long long)t->memory * (CATALOG_PCT - c->os_memory_pct) /
	    CATALOG_PCT;
	v = reg - c->agent_memory;
	return v > 0 ? (int)v : 0;
}

int
catalog_fit(const struct catalog *c, const struct catalog_type *t, int cpu,
    int memory)
{
	long long n = CATALOG_MAX_TASKS, m;

	if (cpu > 0) {
		m = catalog_usable_cpu(c, t) / cpu;
		if (m < n)
			n = m;
	}
	if (memory > 0) {
		m = catalog_usable_memory(c, t) / memory;
		if (m < n)
			n = m;
	}
	return (int)n;
}

int
catalog_eni_limit(const struct catalog_type *t, bool trunking)
{
	if (trunking && t->tasks_trunk >= 0)
		return t->tasks_trunk;
	return t->tasks_no_trunk;
}

int
catalog_tasks_per_instance(const struct catalog *c,
    const struct catalog_type *t, int cpu, int memory, bool awsvpc,
    bool trunking)
{
	int n = catalog_fit(c, t, cpu, memory), e;

	if (awsvpc) {
		e = catalog_eni_limit(t, trunking);
		if (e < n)
			n = e;
	}
	return n;
}

const char *
catalog_arch(const struct catalog_type *t)
{
	return t->arm64 ? "arm64" : "x86_64";
}
