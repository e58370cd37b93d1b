#ifndef F2O_SVCPOLL_H
#define F2O_SVCPOLL_H
/*
 * The service poller: one thread beside the workers (sched.c) that runs
 * the steps reading services, wait:ServicesStable, wait:ServicesInactive
 * and ecs:DescribeServices (the live/ reads), without holding a worker
 * while a wait sleeps. Requests of one cluster (and options) due at once
 * share one DescribeServices call of up to SVCBATCH_MAX names
 * (svcbatch.h); each step keeps its own deadline (--wait-timeout,
 * --wait-attempts, counted per step), its own verdict (wait.h: failures
 * such as MISSING, rollbacks), diagnostics and outputs. A step's poll
 * may come up to half a --poll-interval early, so that waits started
 * apart share calls. Rate limits, retries and the test hook events
 * ("reply S" for every step of a call) are those of call.h. A failed
 * call fails every step that shared it, with the call's error.
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctx.h"
#include "http.h"
#include "plan.h"

struct svcpoll;

/*
 * A step handed over is finished: rc 0 with outs (the step's outputs,
 * borrowed), or -1 with err (logged). Called on the poller's thread,
 * without any lock held.
 */
typedef void svcpoll_done_fn(void *arg, void *tag, int rc,
    const cJSON *outs, struct http_apierr *err);

/* Whether step is one the poller runs (by its action). */
bool	svcpoll_takes(const struct plan_step *step);
/*
 * Start the poller thread; done is called once per step handed over.
 * NULL (logged) when the thread cannot start: run the steps inline.
 */
struct svcpoll *svcpoll_start(struct run_ctx *, svcpoll_done_fn *done,
	    void *arg);
/*
 * Hand step over with its resolved request req (taken over). Its first
 * poll is due now. tag is passed back to done.
 */
void	svcpoll_add(struct svcpoll *, const struct plan_step *step,
	    cJSON *req, void *tag);
/*
 * Let the steps handed over finish (a stop request ends them as
 * "Interrupted"), end the thread and free p. NULL-safe.
 */
void	svcpoll_stop(struct svcpoll *p);

#endif
