#ifndef F2O_RUN_H
#define F2O_RUN_H
/*
 * The run loop of f2o-exec: the steps of one phase of a loaded bundle, in
 * plan order, one at a time. run_step_exec() executes one step and
 * extracts its outputs; it is the unit a journal wraps (an intent record
 * before it, a result record with the outputs after it).
 */
#include <signal.h>
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "bundle.h"
#include "creds.h"
#include "http.h"
#include "plan.h"

#define RUN_EXIT_OK		0
#define RUN_EXIT_FAIL		1
#define RUN_EXIT_USAGE		2
#define RUN_EXIT_STOPPED	3	/* stopped early; rerun resumes */

#define RUN_DEFAULT_PHASE	"import"
#define RUN_WAIT_ATTEMPTS	40	/* DescribeServices polls */
#define RUN_WAIT_INTERVAL	15	/* seconds between polls */
#define RUN_MAX_REQUEST		BUNDLE_MAX_FILE

struct run_opts {
	bool		 json;		/* one JSON event per line */
	bool		 dry_run;	/* print requests, send nothing */
	const char	*phase;
	const char	*journal;	/* path, or NULL (issue 6) */
	int		 parallel;	/* accepted; steps run one at a time */
	int		 wait_attempts;
	int		 wait_interval;	/* seconds */
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
	struct creds		*creds;		/* loaded on first AWS step */
	struct spot_creds	*spot;		/* loaded on first Spot step */
	volatile sig_atomic_t	*stop;		/* set by SIGINT/SIGTERM */
};

/*
 * Set up ctx for bundle/plan: region (AWS_REGION, else manifest
 * $.parameters.region) and endpoints (AWS_ENDPOINT_URL_ECS/_EC2,
 * AWS_ENDPOINT_URL, SPOTINST_BASE_URL, else the public ones). Release
 * with run_cleanup(). Returns 0 or -1 (logged).
 */
int	run_init(struct run_ctx *, const struct run_opts *,
	    const struct bundle *, const struct plan *);
void	run_cleanup(struct run_ctx *);
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
 * Execute one step: read and resolve its request, call the service (or
 * poll, for wait:), and extract the step's outputs into *outputs (an
 * object name -> value; free with cJSON_Delete). Returns 0, or -1 with
 * err filled (logged once).
 */
int	run_step_exec(struct run_ctx *, const struct plan_step *,
	    cJSON **outputs, struct http_apierr *err);
/* Run the phase; returns a RUN_EXIT_* code. */
int	run_plan(struct run_ctx *);
/* Print each request of the phase as it would be sent; RUN_EXIT_*. */
int	run_dry(struct run_ctx *);

#endif
