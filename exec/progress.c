/*
 * Progress output of f2o-exec. See progress.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jsonutil.h"
#include "progress.h"
#include "xalloc.h"

#define PROGRESS_REDRAW_MS	250

struct progress {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_t	 thread;
	bool		 json;
	bool		 live;
	bool		 thread_on;
	bool		 quit;
	bool		 drawn;
	size_t		 total;
	size_t		 ndone;
	unsigned long	 retries;
	char		*phase;
	char		*digest;
	char		**running;	/* ids in flight */
	size_t		 nrunning;
	size_t		 caprunning;
	struct timespec	 t0;
};

static double
elapsed(const struct progress *p)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - p->t0.tv_sec) +
	    (double)(now.tv_nsec - p->t0.tv_nsec) / 1e9;
}

/* Called with p->mu held. */
static void
clear_line(struct progress *p)
{
	if (p->live && p->drawn) {
		fputs("\r\033[K", stdout);
		p->drawn = false;
	}
}

/* Called with p->mu held. */
static void
draw_line(struct progress *p)
{
	double t;
	size_t i;

	if (!p->live)
		return;
	t = elapsed(p);
	printf("\r\033[K[%zu/%zu] %d:%02d", p->ndone, p->total,
	    (int)(t / 60), (int)t % 60);
	if (p->retries > 0)
		printf("  retries %lu", p->retries);
	if (p->nrunning > 0) {
		printf("  running:");
		for (i = 0; i < p->nrunning && i < PROGRESS_MAX_SHOWN; i++)
			printf(" %s", p->running[i]);
		if (p->nrunning > PROGRESS_MAX_SHOWN)
			printf(" +%zu", p->nrunning - PROGRESS_MAX_SHOWN);
	}
	(void)fflush(stdout);
	p->drawn = true;
}

static void *
redraw_main(void *arg)
{
	struct progress *p = arg;
	struct timespec ts;

	(void)pthread_mutex_lock(&p->mu);
	while (!p->quit) {
		draw_line(p);
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += PROGRESS_REDRAW_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	clear_line(p);
	(void)fflush(stdout);
	(void)pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct progress *
progress_new(bool json, int mode, size_t total, const char *phase,
    const char *digest)
{
	struct progress *p;

	p = xcalloc(1, sizeof(*p));
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		(void)pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	p->json = json;
	p->live = !json && (mode == 1 || (mode == -1 && isatty(STDOUT_FILENO)));
	p->total = total;
	p->phase = xstrdup(phase != NULL ? phase : "");
	p->digest = xstrdup(digest != NULL ? digest : "");
	(void)clock_gettime(CLOCK_MONOTONIC, &p->t0);
	if (p->live && pthread_create(&p->thread, NULL, redraw_main, p) == 0)
		p->thread_on = true;
	else
		p->live = false;
	return p;
}

static void
stop_thread(struct progress *p)
{
	if (!p->thread_on)
		return;
	(void)pthread_mutex_lock(&p->mu);
	p->quit = true;
	(void)pthread_cond_broadcast(&p->cv);
	(void)pthread_mutex_unlock(&p->mu);
	(void)pthread_join(p->thread, NULL);
	p->thread_on = false;
	p->live = false;
}

void
progress_free(struct progress *p)
{
	size_t i;

	if (p == NULL)
		return;
	stop_thread(p);
	for (i = 0; i < p->nrunning; i++)
		free(p->running[i]);
	free(p->running);
	free(p->phase);
	free(p->digest);
	(void)pthread_cond_destroy(&p->cv);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
}

bool
progress_json(const struct progress *p)
{
	return p != NULL && p->json;
}

/* Called with p->mu held. */
static void
emit(cJSON *ev)
{
	char *s;

	s = cJSON_PrintUnformatted(ev);
	if (s != NULL) {
		printf("%s\n", s);
		cJSON_free(s);
	}
	(void)fflush(stdout);
	cJSON_Delete(ev);
}

void
progress_event(struct progress *p, cJSON *ev)
{
	if (p == NULL || !p->json) {
		cJSON_Delete(ev);
		return;
	}
	(void)pthread_mutex_lock(&p->mu);
	emit(ev);
	(void)pthread_mutex_unlock(&p->mu);
}

void
progress_start(struct progress *p, const char *id)
{
	if (p == NULL)
		return;
	(void)pthread_mutex_lock(&p->mu);
	if (p->nrunning == p->caprunning) {
		p->caprunning = p->caprunning ? p->caprunning * 2 : 8;
		p->running = xreallocarray(p->running, p->caprunning,
		    sizeof(*p->running));
	}
	p->running[p->nrunning++] = xstrdup(id);
	(void)pthread_mutex_unlock(&p->mu);
}

/* Called with p->mu held. */
static void
forget(struct progress *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->nrunning; i++) {
		if (strcmp(p->running[i], id) == 0) {
			free(p->running[i]);
			memmove(&p->running[i], &p->running[i + 1],
			    (p->nrunning - i - 1) * sizeof(*p->running));
			p->nrunning--;
			return;
		}
	}
}

void
progress_step(struct progress *p, const char *id, const char *action,
    const char *status, const cJSON *outputs, const struct http_apierr *err,
    const char *note)
{
	cJSON *ev, *e;
	const cJSON *o;
	const char *sep = "  ";

	if (p == NULL)
		return;
	(void)pthread_mutex_lock(&p->mu);
	forget(p, id);
	if (strcmp(status, "failed") != 0 && strcmp(status, "stopped") != 0 &&
	    strcmp(status, "in-doubt") != 0)
		p->ndone++;
	if (p->json) {
		ev = cJSON_CreateObject();
		json_add_str(ev, "event", "step");
		json_add_str(ev, "id", id);
		json_add_str(ev, "action", action);
		json_add_str(ev, "status", status);
		if (outputs != NULL)
			cJSON_AddItemToObject(ev, "outputs",
			    cJSON_Duplicate(outputs, 1));
		if (note != NULL)
			json_add_str(ev, "note", note);
		if (err != NULL && err->code != NULL) {
			e = cJSON_AddObjectToObject(ev, "error");
			json_add_str(e, "code", err->code);
			if (err->message != NULL)
				json_add_str(e, "message", err->message);
			if (err->field != NULL)
				json_add_str(e, "field", err->field);
			if (err->request_id != NULL)
				json_add_str(e, "requestId", err->request_id);
			json_add_num(e, "httpStatus", (double)err->status);
			json_add_bool(e, "retryable", err->retryable);
			if (err->wait_seconds >= 0)
				json_add_num(e, "waitSeconds",
				    (double)err->wait_seconds);
		}
		emit(ev);
		(void)pthread_mutex_unlock(&p->mu);
		return;
	}
	clear_line(p);
	printf("%-8s %s  %s", status, id, action);
	if (outputs != NULL) {
		cJSON_ArrayForEach(o, outputs) {
			printf("%s%s=%s", sep, o->string, cJSON_IsString(o) ?
			    o->valuestring : "...");
			sep = " ";
		}
	}
	if (note != NULL)
		printf("  (%s)", note);
	if (err != NULL && err->code != NULL)
		printf("  %s%s%s%s", err->code, err->message != NULL ? ": " :
		    "", err->message != NULL ? err->message : "",
		    err->retryable ? " (resumable)" : "");
	printf("\n");
	(void)fflush(stdout);
	(void)pthread_mutex_unlock(&p->mu);
}

void
progress_retry(struct progress *p, const char *id, const char *code,
    unsigned delay_ms)
{
	cJSON *ev;

	if (p == NULL)
		return;
	(void)pthread_mutex_lock(&p->mu);
	p->retries++;
	if (p->json) {
		ev = cJSON_CreateObject();
		json_add_str(ev, "event", "retry");
		json_add_str(ev, "id", id != NULL ? id : "");
		json_add_str(ev, "code", code != NULL ? code : "");
		json_add_num(ev, "delayMs", (double)delay_ms);
		emit(ev);
	}
	(void)pthread_mutex_unlock(&p->mu);
}

void
progress_done(struct progress *p, const char *status, size_t ndone, int code,
    const char *extra)
{
	cJSON *ev;
	double t;

	if (p == NULL)
		return;
	stop_thread(p);
	(void)pthread_mutex_lock(&p->mu);
	t = elapsed(p);
	if (p->json) {
		ev = cJSON_CreateObject();
		json_add_str(ev, "event", "done");
		json_add_str(ev, "status", status);
		json_add_str(ev, "phase", p->phase);
		json_add_num(ev, "steps", (double)ndone);
		json_add_num(ev, "total", (double)p->total);
		json_add_num(ev, "retries", (double)p->retries);
		json_add_num(ev, "seconds", (double)((long)(t * 1000)) / 1000);
		json_add_num(ev, "exit", code);
		json_add_str(ev, "digest", p->digest);
		emit(ev);
	} else {
		printf("%s: %zu of %zu step(s) of phase %s done, %lu "
		    "retr%s, %.1f s, bundle %s%s%s\n", status, ndone, p->total,
		    p->phase, p->retries, p->retries == 1 ? "y" : "ies", t,
		    p->digest, extra != NULL ? "; " : "",
		    extra != NULL ? extra : "");
		(void)fflush(stdout);
	}
	(void)pthread_mutex_unlock(&p->mu);
}
