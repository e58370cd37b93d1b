/*
 * Task definitions: strip what only DescribeTaskDefinition returns, keep
 * everything a user set, make it EC2-compatible; size from the containers.
 */
/* See BUNDLE.md "Task definitions". */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "digest.h"
#include "export.h"
#include "jsonutil.h"
#include "log.h"
#include "modelcheck.h"
#include "options.h"
#include "taskdef.h"
#include "xalloc.h"

#define TASKDEF_MAX_CPU		196608	/* units: 192 vCPU, the EC2 maximum */
#define TASKDEF_MAX_MEMORY	(4 * 1024 * 1024)	/* MiB */
#define TASKDEF_MAX_TAGS	50

/* Members of TaskDefinition that RegisterTaskDefinition does not take. */
static const char *const output_only[] = {
	"taskDefinitionArn", "revision", "status", "requiresAttributes",
	"compatibilities", "registeredAt", "registeredBy", "deregisteredAt",
	"deleteRequestedAt", NULL
};

/* Objects whose members are user data (maps): only nulls are unset. */
static const char *const map_members[] = {
	"options", "dockerLabels", "driverOpts", "labels", NULL
};

static bool
in_list(const char *const *list, const char *s)
{
	for (; s != NULL && *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

/*
 * Remove members that mean "unset": null everywhere, and "" and {} except
 * inside maps and as the value of a name/value pair (an environment
 * variable may be empty on purpose).
 */
static void
prune_unset(cJSON *item, bool is_map)
{
	cJSON *c, *next;
	bool pair = cJSON_IsObject(item) &&
	    cJSON_GetObjectItemCaseSensitive(item, "name") != NULL;

	for (c = item->child; c != NULL; c = next) {
		next = c->next;
		if (cJSON_IsObject(c) || cJSON_IsArray(c))
			prune_unset(c, cJSON_IsObject(c) &&
			    in_list(map_members, c->string));
		if (!cJSON_IsObject(item))
			continue;
		if (cJSON_IsNull(c) || (!is_map && json_is_unset(c) &&
		    !(pair && strcmp(c->string, "value") == 0)))
			cJSON_DeleteItemFromObjectCaseSensitive(item, c->string);
	}
}

int
taskdef_units(const char *s, bool is_cpu, int *out)
{
	char *end;
	double v;

	while (isspace((unsigned char)*s))
		s++;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	if (*end != '\0') {
		if (is_cpu && strcasecmp(end, "vcpu") == 0)
			v *= 1024;
		else if (!is_cpu && strcasecmp(end, "gb") == 0)
			v *= 1024;
		else if (!is_cpu && strcasecmp(end, "mb") == 0)
			;
		else
			return -1;
	}
	if (v != floor(v) || v > (is_cpu ? TASKDEF_MAX_CPU : TASKDEF_MAX_MEMORY))
		return -1;
	*out = (int)v;
	return 0;
}

/* Task-level size member: string (units allowed) or number. */
static int
size_member(const struct xtd *t, const char *key, bool is_cpu, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->td, key);

	*out = 0;
	if (v == NULL || json_is_unset(v))
		return 0;
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble == floor(v->valuedouble) &&
	    v->valuedouble <= (is_cpu ? TASKDEF_MAX_CPU : TASKDEF_MAX_MEMORY)) {
		*out = (int)v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v) && taskdef_units(v->valuestring, is_cpu,
	    out) == 0)
		return 0;
	log_errx("%s: %s.%s: invalid task %s %s (expected %s)", t->src,
	    t->jpath, key, is_cpu ? "CPU" : "memory",
	    cJSON_IsString(v) ? v->valuestring : json_type_name(v),
	    is_cpu ? "CPU units such as \"1024\" or \"1 vCPU\"" :
	    "MiB such as \"2048\" or \"2 GB\"");
	return -1;
}

/* Integer member of a container: 0 when absent/null; -1 when invalid. */
static int
ctr_int(const struct xtd *t, const cJSON *c, size_t i, const char *key,
    long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);

	*out = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (json_int(c, key, 0, TASKDEF_MAX_MEMORY, out) == 0)
		return 0;
	log_errx("%s: %s.containerDefinitions[%zu].%s: must be a whole number, "
	    "not %s", t->src, t->jpath, i, key, json_type_name(v));
	return -1;
}

/* Shapes users get wrong; the full check is the model validation. */
static int
check_container(const struct xtd *t, const cJSON *c, size_t i)
{
	static const char *const arrays[] = { "portMappings", "environment",
	    "secrets", "mountPoints", "volumesFrom", "dependsOn", "ulimits",
	    "command", "entryPoint", "links", "extraHosts", "systemControls",
	    "environmentFiles", "dnsServers", "dnsSearchDomains",
	    "dockerSecurityOptions", "resourceRequirements", NULL };
	const char *const *a;
	const cJSON *arr, *e;
	size_t j;

	if (!cJSON_IsObject(c)) {
		log_errx("%s: %s.containerDefinitions[%zu]: must be an object, "
		    "not %s", t->src, t->jpath, i, json_type_name(c));
		return -1;
	}
	if (json_str(c, "name") == NULL || json_str(c, "image") == NULL) {
		log_errx("%s: %s.containerDefinitions[%zu]: \"name\" and "
		    "\"image\" must be strings", t->src, t->jpath, i);
		return -1;
	}
	for (a = arrays; *a != NULL; a++) {
		arr = cJSON_GetObjectItemCaseSensitive(c, *a);
		if (arr != NULL && !cJSON_IsNull(arr) && !cJSON_IsArray(arr)) {
			log_errx("%s: %s.containerDefinitions[%zu].%s: must be "
			    "an array, not %s", t->src, t->jpath, i, *a,
			    json_type_name(arr));
			return -1;
		}
	}
	j = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c,
	    "environment")) {
		if (!cJSON_IsObject(e) || json_str(e, "name") == NULL) {
			log_errx("%s: %s.containerDefinitions[%zu].environment"
			    "[%zu]: must be {\"name\": ..., \"value\": ...}",
			    t->src, t->jpath, i, j);
			return -1;
		}
		if (cJSON_GetObjectItemCaseSensitive(e, "valueFrom") != NULL) {
			log_errx("%s: %s.containerDefinitions[%zu].environment"
			    "[%zu].valueFrom: \"valueFrom\" belongs in "
			    "\"secrets\", not \"environment\"", t->src, t->jpath,
			    i, j);
			return -1;
		}
		j++;
	}
	j = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c,
	    "portMappings")) {
		if (!cJSON_IsObject(e)) {
			log_errx("%s: %s.containerDefinitions[%zu].portMappings"
			    "[%zu]: must be an object", t->src, t->jpath, i, j);
			return -1;
		}
		j++;
	}
	return 0;
}

static bool
has_container(const cJSON *ctrs, const char *name)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, ctrs)
		if (json_str(c, "name") != NULL &&
		    strcmp(json_str(c, "name"), name) == 0)
			return true;
	return false;
}

static bool
has_volume(const cJSON *vols, const char *name)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, vols)
		if (json_str(v, "name") != NULL &&
		    strcmp(json_str(v, "name"), name) == 0)
			return true;
	return false;
}

/* Names that must resolve inside the task definition (ECS rejects them). */
static int
check_names(const struct xtd *t)
{
	const cJSON *ctrs = cJSON_GetObjectItemCaseSensitive(t->td,
	    "containerDefinitions"), *vols = cJSON_GetObjectItemCaseSensitive(
	    t->td, "volumes"), *c, *e;
	const char *n;
	size_t i = 0, j;

	n = json_str(cJSON_GetObjectItemCaseSensitive(t->td,
	    "proxyConfiguration"), "containerName");
	if (n != NULL && !has_container(ctrs, n)) {
		log_errx("%s: %s.proxyConfiguration.containerName: no container "
		    "is named \"%s\"", t->src, t->jpath, n);
		return -1;
	}
	cJSON_ArrayForEach(c, ctrs) {
		j = 0;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c,
		    "dependsOn")) {
			n = json_str(e, "containerName");
			if (n != NULL && !has_container(ctrs, n)) {
				log_errx("%s: %s.containerDefinitions[%zu]."
				    "dependsOn[%zu].containerName: no container "
				    "is named \"%s\"", t->src, t->jpath, i, j, n);
				return -1;
			}
			j++;
		}
		j = 0;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(c,
		    "mountPoints")) {
			n = json_str(e, "sourceVolume");
			if (n != NULL && !has_volume(vols, n)) {
				log_errx("%s: %s.containerDefinitions[%zu]."
				    "mountPoints[%zu].sourceVolume: no volume is "
				    "named \"%s\"", t->src, t->jpath, i, j, n);
				return -1;
			}
			j++;
		}
		i++;
	}
	return 0;
}

int
taskdef_analyze(struct xtd *t)
{
	const cJSON *ctrs, *c, *rp, *es;
	long long v, cpu = 0, mem = 0, res = 0;
	size_t i = 0;
	const char *arch, *os;

	if (size_member(t, "cpu", true, &t->cpu) == -1 ||
	    size_member(t, "memory", false, &t->memory) == -1)
		return -1;
	ctrs = cJSON_GetObjectItemCaseSensitive(t->td, "containerDefinitions");
	if (cJSON_GetArraySize(ctrs) == 0) {
		log_errx("%s: %s.containerDefinitions: no containers", t->src,
		    t->jpath);
		return -1;
	}
	cJSON_ArrayForEach(c, ctrs) {
		long long m, r;

		if (check_container(t, c, i) == -1 ||
		    ctr_int(t, c, i, "cpu", &v) == -1 ||
		    ctr_int(t, c, i, "memory", &m) == -1 ||
		    ctr_int(t, c, i, "memoryReservation", &r) == -1)
			return -1;
		cpu += v;
		mem += m;
		res += r > 0 ? r : m;
		i++;
	}
	t->ctr_cpu = (int)cpu;
	t->ctr_memory = (int)mem;
	t->ctr_reservation = (int)res;
	rp = cJSON_GetObjectItemCaseSensitive(t->td, "runtimePlatform");
	arch = json_str(rp, "cpuArchitecture");
	os = json_str(rp, "operatingSystemFamily");
	t->arch = arch != NULL && strcasecmp(arch, "ARM64") == 0 ? "ARM64" :
	    "X86_64";
	if (arch != NULL && arch[0] != '\0' && strcasecmp(arch, "ARM64") != 0 &&
	    strcasecmp(arch, "X86_64") != 0) {
		log_errx("%s: %s.runtimePlatform.cpuArchitecture: unknown "
		    "architecture \"%s\" (X86_64 or ARM64)", t->src, t->jpath,
		    arch);
		return -1;
	}
	t->os = os != NULL && os[0] != '\0' && strcmp(os, "LINUX") != 0 ?
	    "WINDOWS" : "LINUX";
	if (strcmp(t->os, "LINUX") != 0) {
		log_errx("%s: %s.runtimePlatform.operatingSystemFamily: %s tasks "
		    "need Windows container instances, which f2o's Ocean "
		    "templates do not launch", t->src, t->jpath, os);
		return -1;
	}
	if (check_names(t) == -1)
		return -1;
	es = cJSON_GetObjectItemCaseSensitive(t->td, "ephemeralStorage");
	if (es != NULL && !json_is_unset(es)) {
		if (json_int(es, "sizeInGiB", 0, 200, &v) == -1) {
			log_errx("%s: %s.ephemeralStorage.sizeInGiB: must be a "
			    "whole number of GiB up to 200", t->src, t->jpath);
			return -1;
		}
		t->ephemeral_gib = (int)v;
	}
	return 0;
}

static void
add_tag(cJSON *tags, const char *k, const char *v)
{
	cJSON *o = cJSON_CreateObject();

	json_add_str(o, "key", k);
	json_add_str(o, "value", v);
	cJSON_AddItemToArray(tags, o);
}

cJSON *
taskdef_request(struct xlate *x, struct xtd *t)
{
	cJSON *req = cJSON_Duplicate(t->td, 1), *tags, *c, *f2o, *rc;
	const char *const *k;
	char *s, hex[DIGEST_HEX_LEN + 1];
	int n = 0, cpu, mem;

	for (k = output_only; *k != NULL; k++)
		json_del(req, *k);
	c = cJSON_GetObjectItemCaseSensitive(req, "inferenceAccelerators");
	if (cJSON_GetArraySize(c) > 0)
		ctx_warn(x, t->key, "inferenceAccelerators dropped: Elastic "
		    "Inference no longer exists");
	json_del(req, "inferenceAccelerators");
	if (t->ephemeral_gib > 0) {
		ctx_warn(x, t->key, "ephemeralStorage of %d GiB is Fargate-only "
		    "and was dropped: the instances' volume is sized for it",
		    t->ephemeral_gib);
		json_del(req, "ephemeralStorage");
	}
	json_del(req, "ephemeralStorage");
	prune_unset(req, false);
	/* Container memory 0 is how some SDKs write "unset". */
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(req,
	    "containerDefinitions")) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(c, "memory");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(c,
		    "memoryReservation");

		if (cJSON_IsNumber(m) && m->valuedouble == 0)
			json_del(c, "memory");
		if (cJSON_IsNumber(r) && r->valuedouble == 0)
			json_del(c, "memoryReservation");
	}
	rc = cJSON_CreateStringArray((const char *const[]){ "EC2" }, 1);
	if (cJSON_GetObjectItemCaseSensitive(req, "requiresCompatibilities"))
		cJSON_ReplaceItemInObjectCaseSensitive(req,
		    "requiresCompatibilities", rc);
	else
		cJSON_AddItemToObject(req, "requiresCompatibilities", rc);
	if (json_str(req, "networkMode") == NULL)
		json_add_str(req, "networkMode", "awsvpc");
	/*
	 * Task-level sizes as the strings the API takes, units resolved.
	 * --task-size containers: what the containers reserve instead of the
	 * Fargate-shaped size (the same rule the cost report and the Ocean
	 * node groups use: taskdef_container_size()).
	 */
	cpu = t->cpu;
	mem = t->memory;
	if (strcmp(opt_str(x->opt, "task-size"), "containers") == 0)
		(void)taskdef_container_size(t, &cpu, &mem);
	if (cpu > 0) {
		s = xasprintf("%d", cpu);
		json_del(req, "cpu");
		json_add_str(req, "cpu", s);
		free(s);
	}
	if (mem > 0) {
		s = xasprintf("%d", mem);
		json_del(req, "memory");
		json_add_str(req, "memory", s);
		free(s);
	}
	/* Tags: the export's, then f2o's, which name the bundle. */
	tags = cJSON_CreateArray();
	cJSON_ArrayForEach(c, t->tags) {
		const char *key = json_str(c, "key");

		if (key == NULL || json_str(c, "value") == NULL)
			continue;
		if (strncmp(key, "aws:", 4) == 0 || strncmp(key, "f2o:", 4) == 0)
			continue;
		cJSON_AddItemToArray(tags, cJSON_Duplicate(c, 1));
		n++;
	}
	f2o = ctx_tags(x, "key", "value");
	/* Content tag: finds this registration again after a crash. */
	json_del(req, "tags");
	s = json_canonical(req);
	if (digest_sha256_hex(hex, s, strlen(s)) == -1) {
		free(s);
		cJSON_Delete(tags);
		cJSON_Delete(f2o);
		cJSON_Delete(req);
		return NULL;
	}
	free(s);
	hex[32] = '\0';
	add_tag(f2o, "f2o:content", hex);
	add_tag(f2o, "f2o:source", t->key);
	while ((c = f2o->child) != NULL) {
		cJSON_DetachItemViaPointer(f2o, c);
		cJSON_AddItemToArray(tags, c);
		n++;
	}
	cJSON_Delete(f2o);
	if (n > TASKDEF_MAX_TAGS) {
		log_errx("%s: task definition %s would carry %d tags with f2o's, "
		    "more than the %d ECS allows", t->src, t->key, n,
		    TASKDEF_MAX_TAGS);
		cJSON_Delete(tags);
		cJSON_Delete(req);
		return NULL;
	}
	cJSON_AddItemToObject(req, "tags", tags);
	/* Paths in the request are the export's, minus what was removed. */
	if (modelcheck_ecs("RegisterTaskDefinition", req, t->src,
	    t->jpath) == -1) {
		cJSON_Delete(req);
		return NULL;
	}
	return req;
}

static char *
step_id(const struct hashmap *families, const struct xtd *t)
{
	size_t same = 0;

	(void)hashmap_get(families, t->family, &same);
	if (same > 1 && t->revision > 0)
		return xasprintf("td/%s:%lld", t->family, t->revision);
	return xasprintf("td/%s", t->family);
}

/* What the containers of td reserve (sums), as the sizes read them. */
static void
ctr_sums(const cJSON *td, struct xtd_sums *m)
{
	const cJSON *c;
	long long v, res, hard;

	memset(m, 0, sizeof(*m));
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(td,
	    "containerDefinitions")) {
		if (json_int(c, "cpu", 0, 1 << 24, &v) == 0 && v > 0) {
			m->cpu += v;
			m->anycpu = true;
		}
		hard = res = 0;
		if (json_int(c, "memory", 0, 1 << 24, &v) == 0 && v > 0)
			hard = v;
		if (json_int(c, "memoryReservation", 0, 1 << 24, &v) == 0 &&
		    v > 0)
			res = v;
		if (res == 0)
			res = hard;
		if (res > 0)
			m->anymem = true;
		m->res += res;
		if (hard > m->maxhard)
			m->maxhard = hard;
	}
}

/*
 * Once its request is made, a task definition keeps only what later
 * stages read (taskDefinitionArn, networkMode, the containers' sizes and
 * longest stop timeout) as summaries: the export's largest part leaves
 * memory.
 */
static void
taskdef_slim(struct xtd *t)
{
	const char *arn = json_str(t->td, "taskDefinitionArn");
	const char *m = json_str(t->td, "networkMode");
	const cJSON *c;
	long long v;

	t->arn = arn != NULL ? xstrdup(arn) : NULL;
	t->awsvpc = m == NULL || strcmp(m, "awsvpc") == 0;
	t->stop_max = 0;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t->td,
	    "containerDefinitions"))
		if (json_int(c, "stopTimeout", 0, 86400, &v) == 0 &&
		    v > t->stop_max)
			t->stop_max = v;
	ctr_sums(t->td, &t->sums);
	cJSON_Delete(t->td);
	cJSON_Delete(t->tags);
	t->td = NULL;
	t->tags = NULL;
}

const char *
taskdef_arn(const struct xtd *t)
{
	return t->td != NULL ? json_str(t->td, "taskDefinitionArn") : t->arn;
}

bool
taskdef_awsvpc(const struct xtd *t)
{
	const char *m = json_str(t->td, "networkMode");

	if (t->td == NULL)
		return t->awsvpc;
	return m == NULL || strcmp(m, "awsvpc") == 0;
}

long long
taskdef_stop_max(const struct xtd *t)
{
	const cJSON *c;
	long long v, max = 0;

	if (t->td == NULL)
		return t->stop_max;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(t->td,
	    "containerDefinitions"))
		if (json_int(c, "stopTimeout", 0, 86400, &v) == 0 && v > max)
			max = v;
	return max;
}

int
taskdef_plan(struct xlate *x)
{
	struct hashmap families;	/* family -> used revisions */
	size_t i, n;
	int rc = -1;

	hashmap_init(&families);
	for (i = 0; i < x->ex->ntds; i++) {
		if (!x->ex->tds[i].used)
			continue;
		n = 0;
		(void)hashmap_get(&families, x->ex->tds[i].family, &n);
		hashmap_put(&families, x->ex->tds[i].family, n + 1);
	}
	for (i = 0; i < x->ex->ntds; i++) {
		struct xtd *t = &x->ex->tds[i];
		struct plan_step *st;
		cJSON *req;
		char *path, *title;

		/* Its tree back for the request and the summaries. */
		if (export_td_hold(x->ex, t) == -1)
			goto out;
		if (!t->used) {
			taskdef_slim(t);
			continue;
		}
		req = taskdef_request(x, t);
		if (req == NULL)
			goto out;
		taskdef_slim(t);
		t->step = step_id(&families, t);
		path = ctx_request_take(x, t->step, req);
		if (path == NULL)
			goto out;
		title = xasprintf("register %s for EC2 (from %s)", t->family,
		    t->key);
		st = plan_add(x->plan, t->step, MODEL_PHASE_IMPORT,
		    "ecs:RegisterTaskDefinition", title, path, NULL);
		free(title);
		free(path);
		if (st == NULL)
			goto out;
		plan_step_output(st, "taskDefinitionArn",
		    "taskDefinition.taskDefinitionArn");
	}
	rc = 0;
out:
	hashmap_cleanup(&families);
	return rc;
}

int
taskdef_container_size(const struct xtd *t, int *cpu, int *memory)
{
	struct xtd_sums m;
	long long sumres, sumcpu, maxhard;
	bool anycpu, anymem;
	int flags = 0;

	if (t->td != NULL)
		ctr_sums(t->td, &m);
	else
		m = t->sums;		/* slimmed */
	sumcpu = m.cpu;
	sumres = m.res;
	maxhard = m.maxhard;
	anycpu = m.anycpu;
	anymem = m.anymem;
	/* The analyzed sums win when the JSON holds unit strings. */
	if (t->ctr_cpu > sumcpu) {
		sumcpu = t->ctr_cpu;
		anycpu = true;
	}
	if (t->ctr_reservation > sumres) {
		sumres = t->ctr_reservation;
		anymem = true;
	}
	if (anycpu) {
		*cpu = (int)(sumcpu < TASKDEF_EC2_MIN_CPU ? TASKDEF_EC2_MIN_CPU :
		    sumcpu);
	} else {
		*cpu = t->cpu > 0 ? t->cpu : TASKDEF_EC2_MIN_CPU;
		flags |= TASKDEF_SIZE_NO_CPU;
	}
	if (anymem) {
		if (maxhard > sumres)
			sumres = maxhard;
		*memory = (int)(sumres < TASKDEF_EC2_MIN_MEMORY ?
		    TASKDEF_EC2_MIN_MEMORY : sumres);
	} else {
		*memory = t->memory > 0 ? t->memory : TASKDEF_EC2_MIN_MEMORY;
		flags |= TASKDEF_SIZE_NO_MEMORY;
	}
	return flags;
}
