/*
 * Cost report, packing: tasks placed first-fit decreasing onto instance
 * types, cheapest type per instance (report_pack). See report.h.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "report.h"
#include "report_int.h"
#include "xalloc.h"

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
