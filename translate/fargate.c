/*
 * Fargate facts for the cost report: valid task sizes (and rounding up to
 * one), prices from templates/fargate-*.json, a task's hourly rate.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fargate.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

static int
size_cmp(const void *a, const void *b)
{
	const struct fargate_size *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->memory != y->memory)
		return x->memory < y->memory ? -1 : 1;
	return 0;
}

/* Does the "sizes" entry for cpu list Windows among its systems? */
static bool
size_windows(const cJSON *root, int cpu)
{
	const cJSON *s, *os;
	long long c;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(root, "sizes")) {
		if (json_int(s, "cpu", 1, 1LL << 30, &c) == -1 || c != cpu)
			continue;
		cJSON_ArrayForEach(os,
		    cJSON_GetObjectItemCaseSensitive(s, "operatingSystems"))
			if (cJSON_IsString(os) &&
			    strcmp(os->valuestring, "Windows") == 0)
				return true;
	}
	return false;
}

int
fargate_sizes_load(struct fargate_sizes **out, const cJSON *root,
    const char *what)
{
	struct fargate_sizes *fs;
	const cJSON *c, *e, *eph;
	long long cpu, mem, v;
	size_t i = 0;

	*out = NULL;
	c = cJSON_GetObjectItemCaseSensitive(root, "combinations");
	if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) < 1 ||
	    cJSON_GetArraySize(c) > FARGATE_MAX_SIZES) {
		log_errx("%s: $.combinations: must be an array of 1 to %d "
		    "sizes", what, FARGATE_MAX_SIZES);
		return -1;
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->v = xcalloc((size_t)cJSON_GetArraySize(c), sizeof(*fs->v));
	cJSON_ArrayForEach(e, c) {
		if (json_int(e, "cpu", 1, 1 << 20, &cpu) == -1 ||
		    json_int(e, "memoryMiB", 1, 1 << 24, &mem) == -1) {
			log_errx("%s: $.combinations[%zu]: needs integer cpu "
			    "and memoryMiB", what, i);
			fargate_sizes_free(fs);
			return -1;
		}
		fs->v[i].cpu = (int)cpu;
		fs->v[i].memory = (int)mem;
		fs->v[i].windows = size_windows(root, (int)cpu);
		i++;
	}
	fs->n = i;
	qsort(fs->v, fs->n, sizeof(*fs->v), size_cmp);
	fs->eph_included_gib = 20;
	fs->eph_max_gib = 200;
	eph = cJSON_GetObjectItemCaseSensitive(root, "ephemeralStorage");
	if (json_int(eph, "defaultGiB", 0, 1 << 20, &v) == 0)
		fs->eph_included_gib = (int)v;
	if (json_int(eph, "maxGiB", 0, 1 << 20, &v) == 0)
		fs->eph_max_gib = (int)v;
	fs->generated = xstrdup(json_str(root, "generated") != NULL ?
	    json_str(root, "generated") : "undated");
	*out = fs;
	return 0;
}

void
fargate_sizes_free(struct fargate_sizes *fs)
{
	if (fs == NULL)
		return;
	free(fs->v);
	free(fs->generated);
	free(fs);
}

bool
fargate_size_valid(const struct fargate_sizes *fs, int cpu, int memory)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (fs->v[i].cpu == cpu && fs->v[i].memory == memory)
			return true;
	return false;
}

int
fargate_round(const struct fargate_sizes *fs, int cpu, int memory,
    bool windows, int *bcpu, int *bmemory)
{
	size_t i;

	/* Sorted by cpu then memory: the first fit is the smallest. */
	for (i = 0; i < fs->n; i++) {
		if (windows && !fs->v[i].windows)
			continue;
		if (fs->v[i].cpu >= cpu && fs->v[i].memory >= memory) {
			*bcpu = fs->v[i].cpu;
			*bmemory = fs->v[i].memory;
			return 0;
		}
	}
	return -1;
}

static bool
num_get(const cJSON *obj, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < 0)
		return false;
	*out = v->valuedouble;
	return true;
}

struct fargate_prices *
fargate_prices_take(cJSON *root, const char *what)
{
	struct fargate_prices *fp;
	const cJSON *spot, *d;
	struct fargate_rate r;

	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root,
	    "regions"))) {
		log_errx("%s: $.regions: missing or not an object", what);
		cJSON_Delete(root);
		return NULL;
	}
	fp = xcalloc(1, sizeof(*fp));
	fp->root = root;
	fp->generated = json_str(root, "generated") != NULL ?
	    json_str(root, "generated") : "undated";
	fp->currency = json_str(root, "currency") != NULL ?
	    json_str(root, "currency") : "USD";
	fp->spot_discount = 0.70;
	spot = cJSON_GetObjectItemCaseSensitive(root, "fargateSpot");
	d = cJSON_GetObjectItemCaseSensitive(spot, "suggestedPlanningDiscount");
	if (!num_get(d, "value", &fp->spot_discount) &&
	    !num_get(spot, "discountUpTo", &fp->spot_discount))
		fp->spot_discount = 0.70;
	if (fp->spot_discount >= 1)
		fp->spot_discount = 0.70;
	if (fargate_rate_find(fp, "us-east-1", "X86_64", &r) == -1) {
		log_errx("%s: $.regions.us-east-1: needs linuxX86 vcpuHour and "
		    "gbHour (the fallback region)", what);
		fargate_prices_free(fp);
		return NULL;
	}
	return fp;
}

void
fargate_prices_free(struct fargate_prices *fp)
{
	if (fp == NULL)
		return;
	cJSON_Delete(fp->root);
	free(fp);
}

/* Fill r from one region object; false when arch has no figures. */
static bool
rate_from(const cJSON *reg, const char *arch, struct fargate_rate *r)
{
	const cJSON *a;
	double v;

	a = cJSON_GetObjectItemCaseSensitive(reg,
	    strcmp(arch, "ARM64") == 0 ? "linuxArm" : "linuxX86");
	if (!num_get(a, "vcpuHour", &r->vcpu_hour) ||
	    !num_get(a, "gbHour", &r->gb_hour))
		return false;
	r->eph_gb_hour = 0;
	r->eph_included_gb = 20;
	if (num_get(reg, "ephemeralStorageGbHour", &v))
		r->eph_gb_hour = v;
	if (num_get(reg, "ephemeralStorageIncludedGB", &v) && v <= 1 << 20)
		r->eph_included_gb = (int)v;
	r->confidence = json_str(reg, "confidence") != NULL ?
	    json_str(reg, "confidence") : "unknown";
	r->as_of = json_str(reg, "asOf");
	return true;
}

int
fargate_rate_find(const struct fargate_prices *fp, const char *region,
    const char *arch, struct fargate_rate *r)
{
	const cJSON *regs, *unc, *reg, *use1;

	memset(r, 0, sizeof(*r));
	if (arch == NULL)
		arch = "X86_64";
	regs = cJSON_GetObjectItemCaseSensitive(fp->root, "regions");
	unc = cJSON_GetObjectItemCaseSensitive(fp->root, "unconfirmedRegions");
	use1 = cJSON_GetObjectItemCaseSensitive(regs, "us-east-1");
	if (region != NULL) {
		reg = cJSON_GetObjectItemCaseSensitive(regs, region);
		if (reg != NULL && rate_from(reg, arch, r)) {
			r->region = region;
			r->exact = true;
			return 0;
		}
		reg = cJSON_GetObjectItemCaseSensitive(unc, region);
		if (reg != NULL && rate_from(reg, arch, r)) {
			r->region = region;
			r->exact = false;
			/* Unconfirmed regions often omit storage. */
			if (r->eph_gb_hour == 0 && use1 != NULL) {
				struct fargate_rate u;

				if (rate_from(use1, arch, &u))
					r->eph_gb_hour = u.eph_gb_hour;
			}
			return 0;
		}
	}
	if (use1 != NULL && rate_from(use1, arch, r)) {
		r->region = "us-east-1";
		r->exact = region != NULL && strcmp(region, "us-east-1") == 0;
		return 0;
	}
	log_errx("fargate-pricing.json: no %s rates for %s nor us-east-1",
	    arch, region != NULL ? region : "(no region)");
	return -1;
}

double
fargate_task_hour(const struct fargate_rate *r, int cpu, int memory,
    int ephemeral_gib)
{
	double h;

	h = r->vcpu_hour * (cpu / 1024.0) +
	    r->gb_hour * (memory / FARGATE_GIB_MIB);
	if (ephemeral_gib > r->eph_included_gb)
		h += r->eph_gb_hour * (ephemeral_gib - r->eph_included_gb);
	return h;
}

double
fargate_cents(double usd)
{
	return round(usd * 100.0) / 100.0;
}

double
fargate_round4(double v)
{
	return round(v * 10000.0) / 10000.0;
}
