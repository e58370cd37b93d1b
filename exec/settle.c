/*
 * Settling at start: every step whose INTENT has no RESULT (the run
 * stopped while it was in doubt) is looked up, adopted or marked to send.
 */
#include <pthread.h>
#include <string.h>

#include "action.h"
#include "journal.h"
#include "outputs.h"
#include "progress.h"
#include "reconcile.h"
#include "settle.h"

/* Settle every step whose INTENT has no RESULT. 0, or a RUN_EXIT_*. */
int
settle_indoubt(struct run_ctx *ctx)
{
	const struct plan_step *st;
	const struct run_action *act;
	struct http_apierr err;
	cJSON *req, *outs;
	size_t i;
	int r, code = 0, jr;

	memset(&err, 0, sizeof(err));
	err.wait_seconds = -1;
	for (i = 0; i < ctx->plan->nsteps && code == 0; i++) {
		st = &ctx->plan->steps[i];
		if (journal_state(ctx->journal, st->id) != JSTEP_INDOUBT)
			continue;
		act = run_action_find(st->action);
		outs = NULL;
		if (act != NULL && !act->create &&
		    (strcmp(st->action, "ecs:DeleteService") == 0 ||
		    strcmp(st->action, "ecs:UpdateService") == 0)) {
			/* Look at the service: did the request land? */
			req = run_step_request(ctx, st, true);
			if (req == NULL)
				return RUN_EXIT_FAIL;
			run_set_step(st->id, true);
			r = reconcile_effect(ctx, st, req, &err);
			run_set_step(NULL, false);
			cJSON_Delete(req);
			if (r == -1) {
				progress_step(ctx->progress, st->id,
				    st->action, "in-doubt", NULL, &err, "the "
				    "look-up failed; nothing else was started");
				code = err.retryable ? RUN_EXIT_STOPPED :
				    RUN_EXIT_FAIL;
				http_apierr_cleanup(&err);
				continue;
			}
			http_apierr_cleanup(&err);
			if (r == 1) {
				(void)pthread_mutex_lock(&ctx->mu);
				jr = journal_append_result(ctx->journal, st->id,
				    JOURNAL_OK, NULL, NULL);
				(void)pthread_mutex_unlock(&ctx->mu);
				if (jr == -1)
					return RUN_EXIT_FAIL;
				run_event(ctx, "settle", st->id);
				progress_step(ctx->progress, st->id,
				    st->action, "adopted", NULL, NULL,
				    "interrupted request had taken effect");
				continue;
			}
		}
		if (act == NULL || !act->create) {
			(void)pthread_mutex_lock(&ctx->mu);
			jr = journal_append_result(ctx->journal, st->id,
			    JOURNAL_FAILED, NULL, "interrupted before the "
			    "outcome was known; safe to send again");
			(void)pthread_mutex_unlock(&ctx->mu);
			if (jr == -1)
				return RUN_EXIT_FAIL;
			run_event(ctx, "settle", st->id);
			progress_step(ctx->progress, st->id, st->action,
			    "settled", NULL, NULL, "interrupted; will be sent "
			    "again");
			continue;
		}
		req = run_step_request(ctx, st, true);
		if (req == NULL)
			return RUN_EXIT_FAIL;
		run_set_step(st->id, true);
		r = reconcile_find(ctx, st, req, &outs, &err);
		run_set_step(NULL, false);
		cJSON_Delete(req);
		(void)pthread_mutex_lock(&ctx->mu);
		if (r == 1) {
			jr = journal_append_result(ctx->journal, st->id,
			    JOURNAL_OK, outputs_has(outs) ? outs : NULL, NULL);
			if (jr == 0) {
				outputs_set(ctx, st->id, outs);
				ctx->stats.adopted++;
			}
		} else if (r == 0)
			jr = journal_append_result(ctx->journal, st->id,
			    JOURNAL_FAILED, NULL, "interrupted before the "
			    "outcome was known; looked up: not created; will "
			    "be sent again");
		else
			jr = 0;
		(void)pthread_mutex_unlock(&ctx->mu);
		if (jr == -1) {
			cJSON_Delete(outs);
			return RUN_EXIT_FAIL;
		}
		if (r == -1) {
			progress_step(ctx->progress, st->id, st->action,
			    "in-doubt", NULL, &err, "the look-up failed; "
			    "nothing else was started");
			code = err.retryable ? RUN_EXIT_STOPPED : RUN_EXIT_FAIL;
		} else {
			run_event(ctx, "settle", st->id);
			progress_step(ctx->progress, st->id, st->action,
			    r == 1 ? "adopted" : "settled", r == 1 &&
			    outputs_has(outs) ? outs : NULL, NULL, r == 1 ?
			    "interrupted create found and adopted" :
			    "interrupted create not found; will be sent again");
		}
		cJSON_Delete(outs);
		http_apierr_cleanup(&err);
	}
	return code;
}
