#ifndef F2O_CTX_H
#define F2O_CTX_H
/*
 * The run context of f2o-exec, shared by every layer of the runner: the
 * options, the loaded bundle and plan, the outputs so far, endpoints and
 * credentials, token buckets, the retry policy, counters, the stop flag
 * and the test hooks (events). ctx.c holds what every layer needs of it:
 * the stop flag, events, the current step, sleeping and the clock.
 *
 * Threads: the scheduler runs up to --parallel workers; each request uses
 * its own curl easy handle (http.c). Everything shared (outputs, journal,
 * token buckets, retry quota, counters, stdout) is behind ctx->mu.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "backoff.h"
#include "bundle.h"
#include "creds.h"
#include "plan.h"
#include "ratelimit.h"

struct journal;
struct progress;

#define RUN_EXIT_OK		0
#define RUN_EXIT_FAIL		1
#define RUN_EXIT_USAGE		2
#define RUN_EXIT_STOPPED	3	/* stopped early; rerun resumes */
#define RUN_EXIT_DRIFT		4	/* preflight: the account drifted from
					   the bundle or a precondition failed;
					   nothing was sent */

#define RUN_DEFAULT_PHASE	"import"
#define RUN_DEFAULT_PARALLEL	4
#define RUN_WAIT_TIMEOUT	1800.0	/* seconds, one wait step */
#define RUN_WAIT_INTERVAL	15.0	/* seconds between polls */
#define RUN_DEFAULT_ATTEMPTS	8U	/* tries of one request */
#define RUN_DELETE_SG_TIMEOUT	600.0	/* DependencyViolation, seconds */
#define RUN_MAX_REQUEST		BUNDLE_MAX_FILE

struct run_opts {
	bool		 json;		/* one JSON event per line */
	bool		 dry_run;	/* print requests, send nothing */
	bool		 keep_going;	/* independent chains go on */
	bool		 phase_set;	/* --phase given (status: one phase) */
	const char	*phase;
	const char	*bundle_path;	/* as given on the command line */
	const char	*journal;	/* path, or NULL: <bundle>.journal */
	int		 parallel;	/* worker threads */
	int		 wait_attempts;	/* polls per wait step, 0: no limit */
	double		 wait_timeout;	/* seconds */
	double		 poll_interval;	/* seconds */
	double		 sg_timeout;	/* DependencyViolation retry, s */
	unsigned	 max_attempts;	/* tries of one request */
	double		 rate[RUN_API__MAX];	/* tokens/s, 0: default */
	unsigned	 burst[RUN_API__MAX];	/* 0: default */
	int		 progress;	/* -1 auto, 0 plain, 1 live */
};

struct run_stats {
	unsigned long	 requests;	/* sent */
	unsigned long	 retries;	/* resent after a retryable outcome */
	unsigned long	 throttled;	/* throttling replies */
	unsigned long	 indoubt;	/* outcomes that needed a look-up */
	unsigned long	 adopted;	/* resources found and adopted */
};

struct run_ctx {
	const struct run_opts	*opts;
	const struct bundle	*bundle;
	const struct plan	*plan;
	cJSON			*outputs;	/* step id -> {name: value} */
	cJSON			*adopt_checked;	/* step id -> true (adopt.h) */
	const char		*region;
	char			*url[RUN_API__MAX];	/* endpoints (api.h) */
	struct creds_provider	*creds;		/* made on first AWS step */
	struct spot_creds	*spot;		/* loaded on first Spot step */
	volatile sig_atomic_t	*stop;		/* set by SIGINT/SIGTERM */
	struct journal		*journal;	/* or NULL (dry run, tests) */
	pthread_mutex_t		 mu;		/* guards all below + above */
	bool			 mu_ok;
	struct ratelimit	 buckets[RUN_API__MAX];
	struct backoff		 backoff;
	struct run_stats	 stats;
	struct progress		*progress;	/* or NULL */
	long			 pause_at;	/* test hooks, see run_event */
	long			 events;
	bool			 paused;
	char			*pause_on;
	char			*pause_file;
	char			*event_log;
};

/* Whether SIGINT/SIGTERM asked to stop. */
bool	run_stopping(const struct run_ctx *);
/*
 * Test hooks, so that a test can SIGKILL f2o-exec at a chosen point from
 * outside. Events, as "KIND STEP": "open -" (new journal), "intent S",
 * "reply S" (a reply to a request of step S, polls included), "lookup S"
 * (a reply while looking S up), "preflight OP" (a reply to a read of the
 * preflight: OP the operation, or the Spot path), "result S" (RESULT of a run), "settle S"
 * (RESULT written when settling an in-doubt step at start).
 * F2O_EXEC_EVENT_LOG=PATH appends every event to PATH. At the event
 * F2O_EXEC_PAUSE_AT=N (Nth of the process) or F2O_EXEC_PAUSE_ON="KIND S"
 * (first match), the event is appended to F2O_EXEC_PAUSE_FILE and the
 * process stops itself with SIGSTOP (it does not kill itself).
 */
void	run_event(struct run_ctx *, const char *kind, const char *id);
/* The step the calling thread works on (for events); lookup: a look-up. */
void	run_set_step(const char *id, bool lookup);
/* The calling thread runs the preflight (events "preflight OP"). */
void	ctx_set_preflight(bool on);
/* The event kind of a reply on this thread: preflight, lookup, reply. */
const char *ctx_reply_kind(void);
/* The calling thread's step (or NULL); *lookup: whether looking it up. */
const char *ctx_step(bool *lookup);
/* Read the test hooks (F2O_EXEC_PAUSE_*, F2O_EXEC_EVENT_LOG) into ctx. */
void	ctx_hooks_init(struct run_ctx *);
/* Sleep ms milliseconds in slices; false when a stop was requested. */
bool	ctx_sleep_ms(struct run_ctx *, uint64_t ms);
/* Monotonic clock, seconds. */
double	ctx_now_s(void);
/* An environment variable, NULL when unset or empty. */
const char *ctx_env(const char *name);

#endif
