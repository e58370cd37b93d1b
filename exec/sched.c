/*
 * The f2o-exec scheduler: open the journal, restore what is done, settle
 * what is in doubt, then run the steps of the phase in dependency order
 * on up to --parallel worker threads. See run.h.
 *
 * Journal protocol per step: INTENT (fsync'd) before the first request,
 * RESULT after the outcome is known. An outcome still in doubt (the
 * request may have taken effect and the look-up failed) gets no RESULT,
 * so the next run looks again before anything else.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "action.h"
#include "adopt.h"
#include "fsio.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "preflight.h"
#include "progress.h"
#include "reconcile.h"
#include "run.h"
#include "settle.h"
#include "svcpoll.h"
#include "xalloc.h"

#define SCHED_TICK_MS		200
#define SCHED_MAX_LISTED	5

enum task_state {
	T_PENDING = 0,
	T_RUNNING,
	T_DONE,
	T_FAILED,
	T_SKIPPED,
	T_BLOCKED
};

struct task {
	const struct plan_step *step;
	enum task_state	 st;
	bool		 skip;		/* rollback: undoes what f2o did not do;
					   completes without a request once
					   its dependencies are complete */
	size_t		*deps;		/* indices into sched.t */
	size_t		 ndeps;
};

struct sched {
	struct run_ctx	*ctx;
	struct task	*t;
	size_t		 n;
	pthread_cond_t	 cv;
	size_t		 running;
	size_t		 ndone;		/* done in this run */
	bool		 failed;	/* some step failed */
	bool		 fatal;		/* a failure a rerun will not fix */
	bool		 resumable;	/* a failure a rerun may fix */
	bool		 broken;	/* the journal cannot be written */
	struct svcpoll	*poll;		/* waits and reads of services, or
					   NULL: the workers run them */
};

char *
run_journal_path(const struct run_opts *o)
{
	size_t n;

	if (o->journal != NULL)
		return xstrdup(o->journal);
	n = strlen(o->bundle_path);
	while (n > 1 && o->bundle_path[n - 1] == '/')
		n--;
	return xasprintf("%.*s.journal", (int)n, o->bundle_path);
}

static void
err_text(char *buf, size_t sz, const struct http_apierr *err)
{
	(void)snprintf(buf, sz, "%s%s%s", err->code != NULL ? err->code :
	    "failed", err->message != NULL ? ": " : "", err->message != NULL ?
	    err->message : "");
}

/* ------------------------------------------------------------------ */

/*
 * The end of task t: "result" event, progress line, one task less
 * running (called without ctx->mu).
 */
static void
task_report(struct sched *s, struct task *t, const char *status,
    const cJSON *outs, const struct http_apierr *err)
{
	struct run_ctx *ctx = s->ctx;
	const struct plan_step *st = t->step;

	if (strcmp(status, "ok") == 0 || strcmp(status, "failed") == 0)
		run_event(ctx, "result", st->id);
	progress_step(ctx->progress, st->id, st->action, status,
	    outputs_has(outs) ? outs : NULL, err->code != NULL ? err : NULL,
	    NULL);
	(void)pthread_mutex_lock(&ctx->mu);
	s->running--;
	(void)pthread_cond_broadcast(&s->cv);
	(void)pthread_mutex_unlock(&ctx->mu);
}

/*
 * The outcome of t's request (rc, outs, err): its RESULT record and
 * state, then task_report (called without ctx->mu, by a worker or by the
 * poller).
 */
static void
task_end(struct sched *s, struct task *t, int rc, const cJSON *outs,
    struct http_apierr *err)
{
	struct run_ctx *ctx = s->ctx;
	const struct plan_step *st = t->step;
	char text[JOURNAL_MAX_ERROR];
	const char *status;

	(void)pthread_mutex_lock(&ctx->mu);
	if (rc == 0) {
		if (journal_append_result(ctx->journal, st->id, JOURNAL_OK,
		    outputs_has(outs) ? outs : NULL, NULL) == -1) {
			s->broken = s->failed = s->fatal = true;
			t->st = T_FAILED;
			http_apierr_set(err, 0, "JournalError", "done, but "
			    "the journal cannot record it", false);
			status = "failed";
			goto report;
		}
		outputs_set(ctx, st->id, outs);
		t->st = T_DONE;
		s->ndone++;
		status = "ok";
	} else if (err->code != NULL && strcmp(err->code, "InDoubt") == 0) {
		/* No RESULT: the next run looks the resource up first. */
		t->st = T_FAILED;
		s->failed = s->resumable = true;
		status = "in-doubt";
	} else {
		err_text(text, sizeof(text), err);
		if (journal_append_result(ctx->journal, st->id, JOURNAL_FAILED,
		    NULL, text) == -1)
			s->broken = s->fatal = true;
		t->st = T_FAILED;
		s->failed = true;
		if (err->retryable)
			s->resumable = true;
		else
			s->fatal = true;
		status = err->code != NULL && strcmp(err->code,
		    "Interrupted") == 0 ? "stopped" : "failed";
	}
report:
	(void)pthread_mutex_unlock(&ctx->mu);
	task_report(s, t, status, outs, err);
}

/* The poller finished a step handed over (svcpoll.h). */
static void
task_polled(void *arg, void *tag, int rc, const cJSON *outs,
    struct http_apierr *err)
{
	task_end(arg, tag, rc, outs, err);
}

/*
 * Run task t (called with ctx->mu held, returns with it held): INTENT,
 * then the request here, or handed to the poller (svcpoll.h) which ends
 * the task when its wait or read is over.
 */
static void
task_run(struct sched *s, struct task *t)
{
	struct run_ctx *ctx = s->ctx;
	const struct plan_step *st = t->step;
	struct http_apierr err;
	cJSON *req = NULL, *outs = NULL;
	char digest[65];
	int rc;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	t->st = T_RUNNING;
	s->running++;
	(void)pthread_mutex_unlock(&ctx->mu);
	progress_start(ctx->progress, st->id);

	req = run_step_request(ctx, st, true);
	if (req == NULL || run_request_digest(req, digest) == -1) {
		http_apierr_set(&err, 0, "InvalidRequest", NULL, false);
		(void)pthread_mutex_lock(&ctx->mu);
		t->st = T_FAILED;
		s->failed = s->fatal = true;
		(void)pthread_mutex_unlock(&ctx->mu);
		task_report(s, t, "failed", NULL, &err);
		goto out;
	}
	(void)pthread_mutex_lock(&ctx->mu);
	rc = journal_append_intent(ctx->journal, st->id, digest,
	    reconcile_key(st, req));
	if (rc == -1) {
		s->broken = s->failed = s->fatal = true;
		t->st = T_FAILED;
		(void)pthread_mutex_unlock(&ctx->mu);
		http_apierr_set(&err, 0, "JournalError", "cannot write the "
		    "journal; nothing was sent", false);
		task_report(s, t, "failed", NULL, &err);
		goto out;
	}
	(void)pthread_mutex_unlock(&ctx->mu);
	run_event(ctx, "intent", st->id);

	if (s->poll != NULL && svcpoll_takes(st)) {
		svcpoll_add(s->poll, st, req, t);
		req = NULL;
		goto out;
	}
	rc = run_step_exec(ctx, st, &outs, &err);
	task_end(s, t, rc, outs, &err);
out:
	cJSON_Delete(outs);
	cJSON_Delete(req);
	http_apierr_cleanup(&err);
	(void)pthread_mutex_lock(&ctx->mu);
}

/* Next runnable task (called with ctx->mu held); marks blocked ones. */
static struct task *
task_next(struct sched *s)
{
	struct task *t;
	size_t i, k;
	bool ready;
	enum task_state d;

	for (i = 0; i < s->n; i++) {
		t = &s->t[i];
		if (t->st != T_PENDING)
			continue;
		ready = true;
		for (k = 0; k < t->ndeps; k++) {
			d = s->t[t->deps[k]].st;
			if (d == T_FAILED || d == T_BLOCKED) {
				t->st = T_BLOCKED;
				ready = false;
				break;
			}
			if (d != T_DONE && d != T_SKIPPED)
				ready = false;
		}
		if (ready && t->skip) {
			/* In order, like a step: later ones may be ready now. */
			t->st = T_SKIPPED;
			continue;
		}
		if (ready)
			return t;
	}
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct sched *s = arg;
	struct run_ctx *ctx = s->ctx;
	struct timespec ts;
	struct task *t;

	(void)pthread_mutex_lock(&ctx->mu);
	for (;;) {
		if (run_stopping(ctx) || s->broken ||
		    (s->failed && !ctx->opts->keep_going))
			break;
		t = task_next(s);
		if (t != NULL) {
			task_run(s, t);
			continue;
		}
		if (s->running == 0)
			break;
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SCHED_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&s->cv, &ctx->mu, &ts);
	}
	(void)pthread_cond_broadcast(&s->cv);
	(void)pthread_mutex_unlock(&ctx->mu);
	return NULL;
}

/* ------------------------------------------------------------------ */

static bool
file_is_new(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == -1 ? errno == ENOENT : sb.st_size == 0;
}

/* A step of the import phase that the journal does not hold as done. */
static bool
import_pending(struct run_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->plan->nsteps; i++)
		if (strcmp(ctx->plan->steps[i].phase, "import") == 0 &&
		    journal_state(ctx->journal, ctx->plan->steps[i].id) !=
		    JSTEP_DONE)
			return true;
	return false;
}

/* Cutover needs the whole import phase done. */
static int
check_import_done(struct run_ctx *ctx)
{
	const struct plan_step *st;
	size_t i, n = 0;

	for (i = 0; i < ctx->plan->nsteps; i++) {
		st = &ctx->plan->steps[i];
		if (strcmp(st->phase, "import") != 0 ||
		    journal_state(ctx->journal, st->id) == JSTEP_DONE)
			continue;
		if (n++ < SCHED_MAX_LISTED)
			log_errx("phase cutover: import step %s is not done",
			    st->id);
	}
	if (n == 0)
		return 0;
	log_errx("refusing to start the cutover: %zu import step(s) are not "
	    "done in the journal; run \"f2o-exec run\" (phase import) to the "
	    "end first", n);
	return -1;
}

/* Build the task list of the phase. 0, or -1 (logged). */
static int
sched_build(struct sched *s, size_t *already, size_t *skipped)
{
	struct run_ctx *ctx = s->ctx;
	const struct plan_step *st, *dep;
	const cJSON *idx;
	struct task *t;
	cJSON *pos;
	char *note;
	size_t i, k;
	bool rb = strcmp(ctx->opts->phase, "rollback") == 0;

	pos = cJSON_CreateObject();
	s->t = xcalloc(ctx->plan->nsteps + 1, sizeof(*s->t));
	for (i = 0; i < ctx->plan->nsteps; i++) {
		st = &ctx->plan->steps[i];
		if (strcmp(st->phase, ctx->opts->phase) != 0)
			continue;
		t = &s->t[s->n];
		t->step = st;
		t->deps = xcalloc(st->nafter + 1, sizeof(*t->deps));
		json_add_num(pos, st->id, (double)s->n);
		s->n++;
		if (journal_state(ctx->journal, st->id) == JSTEP_DONE) {
			t->st = T_DONE;
			(*already)++;
			continue;
		}
		if (rb && st->undoes != NULL && journal_state(ctx->journal,
		    st->undoes) != JSTEP_DONE) {
			t->skip = true;
			(*skipped)++;
			note = xasprintf("skipped %s: it undoes %s, which f2o "
			    "has not done", st->id, st->undoes);
			(void)journal_append_note(ctx->journal, note);
			progress_step(ctx->progress, st->id, st->action,
			    "skipped", NULL, NULL, note);
			free(note);
		}
		for (k = 0; k < st->nafter; k++) {
			idx = cJSON_GetObjectItemCaseSensitive(pos,
			    st->after[k]);
			if (idx != NULL) {
				t->deps[t->ndeps++] = (size_t)idx->valuedouble;
				continue;
			}
			dep = plan_find(ctx->plan, st->after[k]);
			if (dep != NULL && journal_state(ctx->journal,
			    dep->id) == JSTEP_DONE)
				continue;
			if (t->st == T_PENDING) {
				log_errx("%s: depends on %s (phase %s), which "
				    "is not done", st->id, st->after[k],
				    dep != NULL ? dep->phase : "?");
				t->st = T_BLOCKED;
				s->failed = s->fatal = true;
			}
		}
	}
	cJSON_Delete(pos);
	return 0;
}

static void
sched_free(struct sched *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->t[i].deps);
	free(s->t);
}

int
run_plan(struct run_ctx *ctx)
{
	struct sched s;
	pthread_t th[64];
	char *jpath, extra[256];
	size_t i, nth = 0, already = 0, skipped = 0, total = 0, blocked = 0;
	size_t pending = 0;
	bool fresh, preflown = false;
	int code = RUN_EXIT_OK, r;

	memset(&s, 0, sizeof(s));
	s.ctx = ctx;
	for (i = 0; i < ctx->plan->nsteps; i++)
		if (strcmp(ctx->plan->steps[i].phase, ctx->opts->phase) == 0)
			total++;
	jpath = run_journal_path(ctx->opts);
	fresh = file_is_new(jpath);
	if (journal_open(&ctx->journal, jpath, ctx->bundle->digest) == -1) {
		free(jpath);
		return RUN_EXIT_FAIL;
	}
	if (fresh)
		run_event(ctx, "open", "-");
	free(jpath);
	ctx->progress = progress_new(ctx->opts->json, ctx->opts->progress,
	    total, ctx->opts->phase, ctx->bundle->digest);

	/* Outputs of every done step, of every phase. */
	for (i = 0; i < ctx->plan->nsteps; i++)
		if (journal_state(ctx->journal, ctx->plan->steps[i].id) ==
		    JSTEP_DONE)
			outputs_set(ctx, ctx->plan->steps[i].id,
			    journal_outputs(ctx->journal,
			    ctx->plan->steps[i].id));
	r = settle_indoubt(ctx);
	if (r != 0) {
		code = r;
		goto done;
	}
	if (strcmp(ctx->opts->phase, "cutover") == 0 &&
	    check_import_done(ctx) == -1) {
		code = RUN_EXIT_FAIL;
		goto done;
	}
	/*
	 * Import: the preflight runs before the adoption pass's look-ups, so
	 * a wrong account, region or cluster is named as such (exit 4).
	 */
	if (strcmp(ctx->opts->phase, "import") == 0 && import_pending(ctx)) {
		r = preflight_run(ctx, ctx->journal, NULL);
		if (r != RUN_EXIT_OK) {
			code = r;
			goto done;
		}
		preflown = true;
	}
	/* Look before creating: adopt what exists, refuse a conflict. */
	r = adopt_pass(ctx);
	if (r != 0) {
		code = r;
		goto done;
	}
	if (pthread_cond_init(&s.cv, NULL) != 0) {
		log_errx("cannot create a condition variable");
		code = RUN_EXIT_FAIL;
		goto done;
	}
	(void)sched_build(&s, &already, &skipped);
	/* Read-only, before the first write: refuse a drifted account. */
	for (i = 0; i < s.n; i++)
		if (s.t[i].st == T_PENDING && !s.t[i].skip)
			break;
	if (!preflown && i < s.n &&
	    (r = preflight_run(ctx, ctx->journal, NULL)) != RUN_EXIT_OK) {
		(void)pthread_cond_destroy(&s.cv);
		code = r;
		goto done;
	}
	if (already > 0 && !ctx->opts->json)
		printf("resuming: %zu of %zu step(s) of phase %s already "
		    "done (journal)\n", already, total, ctx->opts->phase);
	if (!s.failed || ctx->opts->keep_going) {
		nth = (size_t)ctx->opts->parallel;
		if (nth > sizeof(th) / sizeof(th[0]))
			nth = sizeof(th) / sizeof(th[0]);
		/* --parallel 1: one request at a time, waits included. */
		if (nth > 1)
			s.poll = svcpoll_start(ctx, task_polled, &s);
		for (i = 0; i < nth; i++) {
			if (pthread_create(&th[i], NULL, worker_main, &s) !=
			    0) {
				log_errx("cannot start a worker thread");
				break;
			}
		}
		nth = i;
		if (nth == 0) {
			s.failed = s.fatal = true;
		}
		for (i = 0; i < nth; i++)
			(void)pthread_join(th[i], NULL);
		/* Steps still polled after a failure finish first. */
		svcpoll_stop(s.poll);
		s.poll = NULL;
	}
	(void)pthread_cond_destroy(&s.cv);
	skipped = 0;
	for (i = 0; i < s.n; i++) {
		if (s.t[i].st == T_SKIPPED)
			skipped++;
		if (s.t[i].st == T_BLOCKED)
			blocked++;
		else if (s.t[i].st == T_PENDING)
			pending++;
	}
	if (s.broken || s.fatal)
		code = RUN_EXIT_FAIL;
	else if (s.resumable || pending > 0 || blocked > 0)
		code = RUN_EXIT_STOPPED;
	if (run_stopping(ctx) && code == RUN_EXIT_OK && pending > 0)
		code = RUN_EXIT_STOPPED;
done:
	(void)snprintf(extra, sizeof(extra), "%zu skipped, %zu blocked, %zu "
	    "not started; %lu request(s), %lu throttled, %lu in doubt, %lu "
	    "adopted", skipped, blocked, pending, ctx->stats.requests,
	    ctx->stats.throttled, ctx->stats.indoubt, ctx->stats.adopted);
	if (run_stopping(ctx) && code == RUN_EXIT_STOPPED)
		log_warnx("stopped by a signal: in-flight requests finished "
		    "and the journal is consistent; rerun to resume");
	progress_done(ctx->progress, code == RUN_EXIT_OK ? "ok" : code ==
	    RUN_EXIT_STOPPED ? "stopped" : code == RUN_EXIT_DRIFT ? "refused" :
	    "failed", already + s.ndone +
	    skipped, code, extra);
	progress_free(ctx->progress);
	ctx->progress = NULL;
	sched_free(&s);
	if (journal_close(ctx->journal) == -1 && code == RUN_EXIT_OK)
		code = RUN_EXIT_FAIL;
	ctx->journal = NULL;
	return code;
}
