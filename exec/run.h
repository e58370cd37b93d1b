#ifndef F2O_RUN_H
#define F2O_RUN_H
/*
 * The runner of f2o-exec: the steps of one phase of a loaded bundle, in
 * dependency order, with bounded parallelism (sched.c), a checkpoint
 * journal (journal*.c), retries (call.c, backoff.c) and client-side rate
 * limits (ratelimit.c), or printed only (dryrun.c).
 *
 * run_step_exec() (run.c) executes one step: it reads and resolves the
 * request (outputs.c), sends it through the action table (action.c) and
 * the call layer (call.c), polls for wait: steps (wait.c), looks the
 * resource up when the outcome is in doubt (reconcile.c), and extracts
 * the step's outputs. The scheduler wraps it in a journal INTENT record
 * before and a RESULT record after.
 *
 * Layers, each including only those below it: main -> run, sched,
 * dryrun -> action, wait, reconcile -> call, outputs -> ctx -> api ->
 * ecs, ec2, spot -> http, sigv4, creds -> common.
 */
#include <cjson/cJSON.h>

#include "bundle.h"
#include "ctx.h"
#include "http.h"
#include "plan.h"

/*
 * Set up ctx for bundle/plan: region (AWS_REGION, else manifest
 * $.parameters.region) and endpoints (per API in api.c: e.g.
 * AWS_ENDPOINT_URL_ECS/_EC2, AWS_ENDPOINT_URL, SPOTINST_BASE_URL, else
 * the public ones), token buckets and the retry policy. Release with
 * run_cleanup(). Returns 0 or -1 (logged).
 */
int	run_init(struct run_ctx *, const struct run_opts *,
	    const struct bundle *, const struct plan *);
void	run_cleanup(struct run_ctx *);
/*
 * Execute one step: read and resolve its request, call the service (or
 * poll, for wait:), and extract the step's outputs into *outputs (an
 * object name -> value; free with cJSON_Delete). Returns 0, or -1 with
 * err filled (logged once; err->retryable: a rerun may succeed).
 */
int	run_step_exec(struct run_ctx *, const struct plan_step *,
	    cJSON **outputs, struct http_apierr *err);
/* The journal's path: --journal, else "<bundle>.journal". Free with free(). */
char	*run_journal_path(const struct run_opts *);
/* Run the phase (journal, resume, schedule); returns a RUN_EXIT_* code. */
int	run_plan(struct run_ctx *);
/* Print each request of the phase as it would be sent; RUN_EXIT_*. */
int	run_dry(struct run_ctx *);
/* f2o-exec status: each step of the phase with its journal state. */
int	run_status(struct run_ctx *);
/*
 * f2o-exec check: the preflight alone (preflight.h), against the journal
 * read without its lock and without changing it; prints the verdict and
 * what to do. RUN_EXIT_OK, RUN_EXIT_DRIFT or RUN_EXIT_FAIL.
 */
int	run_check(struct run_ctx *);

#endif
