/*
 * The run context shared by the runner's layers: the stop flag, test
 * hook events, the calling thread's step, sleeping, the clock. See ctx.h.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctx.h"
#include "log.h"
#include "xalloc.h"

const char *
ctx_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

bool
run_stopping(const struct run_ctx *ctx)
{
	return ctx->stop != NULL && *ctx->stop;
}

void
ctx_hooks_init(struct run_ctx *ctx)
{
	const char *pa;
	char *end;

	pa = getenv("F2O_EXEC_PAUSE_AT");
	if (pa != NULL && *pa != '\0') {
		ctx->pause_at = strtol(pa, &end, 10);
		if (*end != '\0' || ctx->pause_at < 0)
			ctx->pause_at = 0;
	}
	pa = getenv("F2O_EXEC_PAUSE_ON");
	if (pa != NULL && *pa != '\0')
		ctx->pause_on = xstrdup(pa);
	pa = getenv("F2O_EXEC_PAUSE_FILE");
	if (pa != NULL && *pa != '\0')
		ctx->pause_file = xstrdup(pa);
	pa = getenv("F2O_EXEC_EVENT_LOG");
	if (pa != NULL && *pa != '\0')
		ctx->event_log = xstrdup(pa);
	pa = getenv("F2O_EXEC_BACKOFF_MS");
	if (backoff_set_ms(&ctx->backoff, pa) == -1)
		log_warnx("F2O_EXEC_BACKOFF_MS=%s: want BASE[,CAP] in ms, 1 <= "
		    "BASE <= CAP <= %u; ignored", pa, BACKOFF_CAP_MS);
}

/* Sleep ms milliseconds in slices; false when a stop was requested. */
bool
ctx_sleep_ms(struct run_ctx *ctx, uint64_t ms)
{
	struct timespec ts;
	uint64_t slice;

	while (ms > 0) {
		if (run_stopping(ctx))
			return false;
		slice = ms > 100 ? 100 : ms;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(slice * 1000000);
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		ms -= slice;
	}
	return !run_stopping(ctx);
}

double
ctx_now_s(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The step this thread works on, and whether it is looking one up. */
static _Thread_local const char *cur_step;
static _Thread_local bool cur_lookup;
static _Thread_local bool cur_preflight;

void
run_set_step(const char *id, bool lookup)
{
	cur_step = id;
	cur_lookup = lookup;
}

void
ctx_set_preflight(bool on)
{
	cur_preflight = on;
}

const char *
ctx_reply_kind(void)
{
	return cur_preflight ? "preflight" : cur_lookup ? "lookup" : "reply";
}

const char *
ctx_step(bool *lookup)
{
	if (lookup != NULL)
		*lookup = cur_lookup;
	return cur_step;
}

static void
append_line(const char *path, const char *kind, const char *id)
{
	FILE *f;

	f = fopen(path, "a");
	if (f == NULL)
		return;
	fprintf(f, "%s %s\n", kind, id != NULL ? id : "-");
	(void)fclose(f);
}

void
run_event(struct run_ctx *ctx, const char *kind, const char *id)
{
	char line[PLAN_ID_MAX + 32];
	bool hit;

	if (ctx->pause_at <= 0 && ctx->pause_on == NULL &&
	    ctx->event_log == NULL)
		return;
	(void)snprintf(line, sizeof(line), "%s %s", kind, id != NULL ? id :
	    "-");
	(void)pthread_mutex_lock(&ctx->mu);
	ctx->events++;
	if (ctx->event_log != NULL)
		append_line(ctx->event_log, kind, id);
	hit = !ctx->paused && ((ctx->pause_at > 0 &&
	    ctx->events == ctx->pause_at) || (ctx->pause_on != NULL &&
	    strcmp(ctx->pause_on, line) == 0));
	if (hit) {
		ctx->paused = true;
		if (ctx->pause_file != NULL)
			append_line(ctx->pause_file, kind, id);
	}
	(void)pthread_mutex_unlock(&ctx->mu);
	if (hit)
		(void)raise(SIGSTOP);
}
