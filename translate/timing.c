/* Stage timings for make bench (F2O_TIMINGS=FILE); see timing.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timing.h"

static FILE	*timing_fp;
static double	 timing_wall, timing_cpu;

static double
now(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts) == -1)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Before the warning hook (xlate_run): its warning is not the bundle's. */
void
timing_start(void)
{
	const char *path = getenv("F2O_TIMINGS");

	if (path == NULL || *path == '\0' || timing_fp != NULL)
		return;
	if ((timing_fp = fopen(path, "a")) == NULL) {
		log_warnx("F2O_TIMINGS=%s: %s: no timings", path,
		    strerror(errno));
		return;
	}
	timing_wall = now(CLOCK_MONOTONIC);
	timing_cpu = now(CLOCK_PROCESS_CPUTIME_ID);
}

void
timing_mark(const char *stage)
{
	double w, c;

	if (timing_fp == NULL)
		return;
	w = now(CLOCK_MONOTONIC);
	c = now(CLOCK_PROCESS_CPUTIME_ID);
	(void)fprintf(timing_fp, "%s %.3f %.3f\n", stage, w - timing_wall,
	    c - timing_cpu);
	timing_wall = w;
	timing_cpu = c;
}

void
timing_end(void)
{
	if (timing_fp != NULL)
		(void)fclose(timing_fp);
	timing_fp = NULL;
}
