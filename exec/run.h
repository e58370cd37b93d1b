#ifndef F2O_RUN_H
#define F2O_RUN_H
/*
 * The run loop of f2o-exec: the steps of one phase of a loaded bundle, in
 * dependency order, with bounded parallelism (sched.c), a checkpoint
 * journal (journal.c), retries (backoff.c) and client-side rate limits
 * (ratelimit.c).
 *
 * run_step_exec() executes one step: it reads and resolves the request,
 * sends it (retrying what may be retried), looks the resource up when the
 * outcome is in doubt (reconcile.c), and extracts the step's outputs. The
 * scheduler wraps it in a journal INTENT record before and a RESULT record
 * after.
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

#include "backoff.h"
#include "bundle.h"
#include "creds.h"
#include "http.h"
#include "plan.h"
#include "ratelimit.h"

struct journal;
struct progress;

#define RUN_EXIT_OK		0
#define RUN_EXIT_FAIL		1
#define RUN_EXIT_USAGE		2
#define RUN_EXIT_STOPPED	3	/* stopped early; rerun resumes */

#define RUN_DEFAULT_PHASE	"import"
#define RUN_DEFAULT_PARALLEL	4
#define RUN_WAIT_TIMEOUT	1800.0	/* seconds, one wait step */
#define RUN_WAIT_INTERVAL	15.0	/* seconds between polls */
#define RUN_DEFAULT_ATTEMPTS	8U	/* tries of one request */
#define RUN_DELETE_SG_TIMEOUT	600.0	/* DependencyViolation, seconds */
#define RUN_MAX_REQUEST		BUNDLE_MAX_FILE

enum run_api {
	RUN_API_ECS = 0,
	RUN_API_EC2,
	RUN_API_SPOT,
	RUN_API_ECS_READ,	/* a token bucket only: ECS Describe*, List* */
	RUN_API__MAX
};

/*
 * ECS throttles per API group; read groups have larger buckets than
 * mutating calls (aws-api.md 1.3: "cluster read" APIs a 50-token bucket).
 * Polls (DescribeServices) and look-ups use this bucket, so they do not
 * eat the budget of RegisterTaskDefinition and CreateService (ratelimit.h).
 */
#define RUN_ECS_READ_RATE	10.0	/* tokens per second */
#define RUN_ECS_READ_BURST	50U

/* How f2o-exec sends one action (run.c). */
struct run_action {
	const char	*action;	/* "ecs:CreateService" */
	enum run_api	 api;
	const char	*op;		/* operation name */
	const char	*method;	/* Spot: HTTP method */
	const char	*path;		/* Spot: path (prefix when id_member) */
	const char	*id_member;	/* Spot: request member for the path */
	bool		 idempotent;	/* a lost reply may be resent */
	bool		 create;	/* in doubt: look the resource up */
	const char	*gone[4];	/* error codes meaning "already done" */
};

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
	const char		*region;
	char			*ecs_url;
	char			*ec2_url;
	char			*spot_url;
	struct creds_provider	*creds;		/* loaded on first AWS step */
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

/*
 * Set up ctx for bundle/plan: region (AWS_REGION, else manifest
 * $.parameters.region) and endpoints (AWS_ENDPOINT_URL_ECS/_EC2,
 * AWS_ENDPOINT_URL, SPOTINST_BASE_URL, else the public ones), token
 * buckets and the retry policy. Release with run_cleanup(). Returns 0 or
 * -1 (logged).
 */
int	run_init(struct run_ctx *, const struct run_opts *,
	    const struct bundle *, const struct plan *);
void	run_cleanup(struct run_ctx *);
/* Whether SIGINT/SIGTERM asked to stop. */
bool	run_stopping(const struct run_ctx *);
/*
 * Replace every whole-string "${STEP.OUTPUT}" in item (recursively, in
 * place) with the value recorded in outputs. what names the request for
 * messages. Returns 0, or -1 (logged) for an unknown reference.
 */
int	run_resolve(cJSON *item, const cJSON *outputs, const char *what);
/*
 * Value at a dotted path ("service.serviceArn", "items.0.id") in result;
 * borrowed, or NULL.
 */
const cJSON *run_path_get(const cJSON *result, const char *path);
/*
 * The step's request file (or {}), references resolved from ctx->outputs
 * when resolve is set. Free with cJSON_Delete; NULL (logged) on error.
 */
cJSON	*run_step_request(struct run_ctx *, const struct plan_step *,
	    bool resolve);
/*
 * One API call with rate limiting and retries. api RUN_API_ECS / EC2: op
 * is the operation, req the input. RUN_API_SPOT: method and path (which
 * may carry a query), req the body or NULL. idempotent: a 5xx or a lost
 * connection may be retried blindly. Returns 0 with *result (free with
 * cJSON_Delete; for Spot the whole "response" object), or -1 with err
 * filled; *indoubt (may be NULL) tells that the request may have taken
 * effect. Logs failures once.
 */
int	run_call(struct run_ctx *, enum run_api api, const char *op,
	    const char *method, const char *path, const cJSON *req,
	    bool idempotent, cJSON **result, struct http_apierr *err,
	    bool *indoubt);
/* Borrowed action description, or NULL when not supported. */
const struct run_action *run_action_find(const char *action);
/*
 * The step's outputs (strings) from result, a create reply (for Spot its
 * items[0]). Returns 0 with *outputs (free with cJSON_Delete), or -1
 * (logged, err filled).
 */
int	run_outputs(const struct plan_step *, const cJSON *result,
	    cJSON **outputs, struct http_apierr *err);
/*
 * Execute one step: read and resolve its request, call the service (or
 * poll, for wait:), and extract the step's outputs into *outputs (an
 * object name -> value; free with cJSON_Delete). Returns 0, or -1 with
 * err filled (logged once; err->retryable: a rerun may succeed).
 */
int	run_step_exec(struct run_ctx *, const struct plan_step *,
	    cJSON **outputs, struct http_apierr *err);
/*
 * Judge one DescribeServices reply. inactive: every service INACTIVE or
 * MISSING. Otherwise every service ACTIVE, its PRIMARY deployment not
 * FAILED and (when expect names one for the service: an object
 * serviceName -> task definition) on the expected task definition,
 * exactly one deployment, rolloutState COMPLETED when present and
 * runningCount == desiredCount (desiredCount 0: runningCount 0 and one
 * deployment); a service named in drain (serviceName -> true: it was
 * scaled to 0) that is DRAINING, INACTIVE or MISSING counts as drained.
 * Returns 1 reached, 0 not yet, -1 failed for good; buf says where
 * things stand or why. Pure.
 */
int	run_services_check(const cJSON *reply, bool inactive,
	    const cJSON *expect, const cJSON *drain, char *buf, size_t bufsz);
/* Digest (64 hex) of the resolved request text; 0 or -1. */
int	run_request_digest(const cJSON *req, char out[65]);
/*
 * Test hooks, so that a test can SIGKILL f2o-exec at a chosen point from
 * outside. Events, as "KIND STEP": "open -" (new journal), "intent S",
 * "reply S" (a reply to a request of step S, polls included), "lookup S"
 * (a reply while looking S up), "result S" (RESULT of a run), "settle S"
 * (RESULT written when settling an in-doubt step at start).
 * F2O_EXEC_EVENT_LOG=PATH appends every event to PATH. At the event
 * F2O_EXEC_PAUSE_AT=N (Nth of the process) or F2O_EXEC_PAUSE_ON="KIND S"
 * (first match), the event is appended to F2O_EXEC_PAUSE_FILE and the
 * process stops itself with SIGSTOP (it does not kill itself).
 */
void	run_event(struct run_ctx *, const char *kind, const char *id);
/* The step the calling thread works on (for events); lookup: a look-up. */
void	run_set_step(const char *id, bool lookup);
/* Run the phase (journal, resume, schedule); returns a RUN_EXIT_* code. */
int	run_plan(struct run_ctx *);
/* Print each request of the phase as it would be sent; RUN_EXIT_*. */
int	run_dry(struct run_ctx *);
/* f2o-exec status: each step of the phase with its journal state. */
int	run_status(struct run_ctx *);

#endif
