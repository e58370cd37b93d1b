/*
 * The service poller: waits on services and live reads handed over by the
 * scheduler, polled together, up to 10 services per DescribeServices call.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "action.h"
#include "call.h"
#include "log.h"
#include "outputs.h"
#include "svcbatch.h"
#include "svcpoll.h"
#include "wait.h"
#include "xalloc.h"

#define SVCPOLL_TICK_MS	100	/* longest sleep: a stop is seen this soon */

struct entry {
	const struct plan_step	*step;
	cJSON			*req;
	const cJSON		*names;		/* req's services */
	char			*key;		/* svcbatch_key, or NULL: alone */
	void			*tag;
	bool			 wait;		/* a wait; else a read */
	struct wait_expect	 we;
	double			 t0, due;
	int			 polls;
	char			 why[WAIT_WHY_MAX];
	struct entry		*next;
};

struct svcpoll {
	struct run_ctx		*ctx;
	svcpoll_done_fn		*done;
	void			*arg;
	pthread_mutex_t		 mu;		/* guards head, closing */
	pthread_cond_t		 cv;
	pthread_t		 th;
	struct entry		*head;
	bool			 closing;
};

bool
svcpoll_takes(const struct plan_step *step)
{
	return strcmp(step->action, "wait:ServicesStable") == 0 ||
	    strcmp(step->action, "wait:ServicesInactive") == 0 ||
	    strcmp(step->action, "ecs:DescribeServices") == 0;
}

static void
entry_free(struct entry *e)
{
	if (e == NULL)
		return;
	cJSON_Delete(e->req);
	free(e->key);
	wait_expect_cleanup(&e->we);
	free(e);
}

/* Unlink e (p->mu held). */
static void
entry_unlink(struct svcpoll *p, struct entry *e)
{
	struct entry **pp;

	for (pp = &p->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			return;
		}
}

/* e is finished: tell the scheduler, free it (p->mu not held). */
static void
entry_done(struct svcpoll *p, struct entry *e, int rc, const cJSON *outs,
    struct http_apierr *err)
{
	(void)pthread_mutex_lock(&p->mu);
	entry_unlink(p, e);
	(void)pthread_mutex_unlock(&p->mu);
	p->done(p->arg, e->tag, rc, outs, err);
	entry_free(e);
}

/*
 * The next batch (p->mu held): the entry due first, if due, and others of
 * its key due within half an interval, up to SVCBATCH_MAX names, merged
 * into *names. Returns the count, or 0 with *next the time of the next
 * due poll (or now + a tick).
 */
static size_t
batch_pick(struct svcpoll *p, double now, struct entry **batch, cJSON **names,
    double *next)
{
	struct entry *e, *first = NULL;
	double early = p->ctx->opts->poll_interval / 2;
	size_t n = 0;

	*next = now + SVCPOLL_TICK_MS / 1000.0;
	for (e = p->head; e != NULL; e = e->next)
		if (first == NULL || e->due < first->due)
			first = e;
	if (first == NULL)
		return 0;
	if (first->due > now) {
		if (first->due < *next)
			*next = first->due;
		return 0;
	}
	*names = cJSON_CreateArray();
	(void)svcbatch_merge(*names, first->names, SVCBATCH_MAX);
	batch[n++] = first;
	if (first->key == NULL)
		return n;
	for (e = p->head; e != NULL && n < SVCBATCH_MAX; e = e->next) {
		if (e == first || e->key == NULL || e->due > now + early ||
		    strcmp(e->key, first->key) != 0)
			continue;
		if (svcbatch_merge(*names, e->names, SVCBATCH_MAX) >
		    SVCBATCH_MAX)
			continue;
		batch[n++] = e;
	}
	return n;
}

/* Judge e's part of a reply; 1 finished (done called), 0 poll again. */
static int
entry_judge(struct svcpoll *p, struct entry *e, const cJSON *part)
{
	struct run_ctx *ctx = p->ctx;
	struct http_apierr err;
	cJSON *outs = NULL;
	int r;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	if (!e->wait) {
		r = run_outputs(e->step, part, &outs, &err);
		entry_done(p, e, r, outs, &err);
		cJSON_Delete(outs);
		http_apierr_cleanup(&err);
		return 1;
	}
	r = wait_judge(ctx, e->step, e->req, part, &e->we, e->why,
	    sizeof(e->why), &err);
	if (r == 0 && wait_in_time(ctx, e->t0, e->polls)) {
		e->due = ctx_now_s() + ctx->opts->poll_interval;
		return 0;
	}
	if (r == 0)
		wait_timed_out(ctx, e->step, e->req, part, &e->we, e->t0,
		    e->polls, e->why, &err);
	outs = r == 1 ? cJSON_CreateObject() : NULL;
	entry_done(p, e, r == 1 ? 0 : -1, outs, &err);
	cJSON_Delete(outs);
	http_apierr_cleanup(&err);
	return 1;
}

/* One DescribeServices call for the n entries of batch (p->mu not held). */
static void
batch_poll(struct svcpoll *p, struct entry **batch, size_t n, cJSON *names)
{
	struct run_ctx *ctx = p->ctx;
	struct http_apierr err, one;
	cJSON *q, *reply = NULL, *part;
	size_t i;
	int rc;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	q = cJSON_Duplicate(batch[0]->req, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(q, "services");
	cJSON_AddItemToObject(q, "services", names);
	run_set_step(batch[0]->step->id, false);
	rc = run_call(ctx, RUN_API_ECS, "DescribeServices", NULL, NULL, n > 1 ?
	    q : batch[0]->req, true, &reply, &err, NULL);
	run_set_step(NULL, false);
	cJSON_Delete(q);
	for (i = 1; i < n; i++)
		if (rc == 0 || err.status != 0)
			run_event(ctx, "reply", batch[i]->step->id);
	for (i = 0; i < n; i++) {
		batch[i]->polls++;
		if (rc == -1) {
			memset(&one, 0, sizeof(one));
			http_apierr_set(&one, err.status, err.code,
			    err.message, err.retryable);
			one.wait_seconds = err.wait_seconds;
			entry_done(p, batch[i], -1, NULL, &one);
			http_apierr_cleanup(&one);
			continue;
		}
		part = n > 1 ? svcbatch_split(reply, batch[i]->names) :
		    cJSON_Duplicate(reply, 1);
		if (part == NULL) {
			/* Not answered in the shared reply: alone, now. */
			log_warnx("%s: DescribeServices did not answer for "
			    "its services in a shared call; asking alone",
			    batch[i]->step->id);
			batch[i]->polls--;
			free(batch[i]->key);
			batch[i]->key = NULL;
			batch[i]->due = ctx_now_s();
			continue;
		}
		(void)entry_judge(p, batch[i], part);
		cJSON_Delete(part);
	}
	cJSON_Delete(reply);
	http_apierr_cleanup(&err);
}

/* A stop was requested: every entry ends as interrupted (p->mu held). */
static void
poll_interrupt(struct svcpoll *p)
{
	struct http_apierr err;
	struct entry *e;

	while ((e = p->head) != NULL) {
		(void)pthread_mutex_unlock(&p->mu);
		memset(&err, 0, sizeof(err));
		err.wait_seconds = -1;
		http_apierr_set(&err, 0, "Interrupted", e->wait ? "stopped "
		    "by a signal while waiting" : "stopped by a signal "
		    "before sending", true);
		entry_done(p, e, -1, NULL, &err);
		http_apierr_cleanup(&err);
		(void)pthread_mutex_lock(&p->mu);
	}
}

static void
cond_wait_until(struct svcpoll *p, double when)
{
	struct timespec ts;
	double ms = (when - ctx_now_s()) * 1000;
	long ns;

	if (ms > SVCPOLL_TICK_MS)
		ms = SVCPOLL_TICK_MS;
	if (ms < 1)
		ms = 1;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	ns = ts.tv_nsec + (long)(ms * 1e6);
	ts.tv_sec += ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	(void)pthread_cond_timedwait(&p->cv, &p->mu, &ts);
}

static void *
poll_main(void *arg)
{
	struct svcpoll *p = arg;
	struct entry *batch[SVCBATCH_MAX];
	cJSON *names = NULL;
	double next;
	size_t n;

	(void)pthread_mutex_lock(&p->mu);
	for (;;) {
		if (run_stopping(p->ctx))
			poll_interrupt(p);
		if (p->head == NULL && p->closing)
			break;
		n = batch_pick(p, ctx_now_s(), batch, &names, &next);
		if (n == 0) {
			cond_wait_until(p, next);
			continue;
		}
		(void)pthread_mutex_unlock(&p->mu);
		batch_poll(p, batch, n, names);
		(void)pthread_mutex_lock(&p->mu);
	}
	(void)pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct svcpoll *
svcpoll_start(struct run_ctx *ctx, svcpoll_done_fn *done, void *arg)
{
	struct svcpoll *p = xcalloc(1, sizeof(*p));
	int e;

	p->ctx = ctx;
	p->done = done;
	p->arg = arg;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		log_errx("cannot create the poller's mutex");
		return NULL;
	}
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		(void)pthread_mutex_destroy(&p->mu);
		free(p);
		log_errx("cannot create the poller's condition variable");
		return NULL;
	}
	if ((e = pthread_create(&p->th, NULL, poll_main, p)) != 0) {
		(void)pthread_cond_destroy(&p->cv);
		(void)pthread_mutex_destroy(&p->mu);
		free(p);
		log_errx("cannot start the poller thread: %s", strerror(e));
		return NULL;
	}
	return p;
}

void
svcpoll_add(struct svcpoll *p, const struct plan_step *step, cJSON *req,
    void *tag)
{
	struct entry *e = xcalloc(1, sizeof(*e)), **pp;
	const char *op = strchr(step->action, ':') + 1;

	e->step = step;
	e->req = req;
	e->names = cJSON_GetObjectItemCaseSensitive(req, "services");
	e->key = svcbatch_key(req);
	e->tag = tag;
	e->wait = wait_kind(op, &e->we) == 0;
	if (e->wait && !e->we.inactive)
		wait_expectations(p->ctx, step, &e->we.expect, &e->we.drain);
	e->t0 = e->due = ctx_now_s();
	(void)pthread_mutex_lock(&p->mu);
	for (pp = &p->head; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = e;
	(void)pthread_cond_signal(&p->cv);
	(void)pthread_mutex_unlock(&p->mu);
}

void
svcpoll_stop(struct svcpoll *p)
{
	if (p == NULL)
		return;
	(void)pthread_mutex_lock(&p->mu);
	p->closing = true;
	(void)pthread_cond_signal(&p->cv);
	(void)pthread_mutex_unlock(&p->mu);
	(void)pthread_join(p->th, NULL);
	(void)pthread_cond_destroy(&p->cv);
	(void)pthread_mutex_destroy(&p->mu);
	free(p);
}
