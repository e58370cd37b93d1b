#ifndef F2O_WAIT_H
#define F2O_WAIT_H
/*
 * Wait steps: wait:ServicesStable and wait:ServicesInactive poll
 * DescribeServices until every service is stable (or gone), with the
 * expectations the steps before the wait set (task definition, drained);
 * wait:ContainerInstancesGone polls ListContainerInstances (the request,
 * e.g. filtered on f2o's node group attribute) until it lists nothing.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "ctx.h"
#include "http.h"
#include "plan.h"

/*
 * Run the wait step (op "ServicesStable" or "ServicesInactive", req the
 * DescribeServices input; op "ContainerInstancesGone", req the
 * ListContainerInstances input): poll until reached, failed for good,
 * timed out or stopped. A wait that fails or times out prints what ECS
 * says about its services (waitdiag.h). Returns 0 with *result (the last reply), or -1 (logged, err
 * filled).
 */
int	wait_services(struct run_ctx *, cJSON **result, struct http_apierr *err,
	    const struct plan_step *step, const char *op, const cJSON *req);
#define WAIT_WHY_MAX	1024	/* bytes of "where it stands" text */

/* What a wait on services judges each reply against. */
struct wait_expect {
	bool	 inactive;	/* wait:ServicesInactive */
	cJSON	*expect;	/* serviceName -> task definition, or NULL */
	cJSON	*drain;		/* serviceName -> true, or NULL */
};

/*
 * op "ServicesStable" or "ServicesInactive" -> *we (cleared, no
 * expectations yet): 0, or -1 for another op.
 */
int	wait_kind(const char *op, struct wait_expect *we);
/* Free we's expectations; NULL-safe. */
void	wait_expect_cleanup(struct wait_expect *we);
/*
 * One poll's reply to wait step (req its input) judged against we
 * (run_services_check): 1 reached, 0 not yet (why says where it
 * stands), -1 failed for good (logged, diagnostics printed, err filled).
 */
int	wait_judge(struct run_ctx *, const struct plan_step *step,
	    const cJSON *req, const cJSON *reply, const struct wait_expect *we,
	    char *why, size_t whysz, struct http_apierr *err);
/* Whether a wait started at t0 after polls polls may poll once more. */
bool	wait_in_time(const struct run_ctx *, double t0, int polls);
/* A wait out of time: logged, diagnostics of reply, err filled. */
void	wait_timed_out(struct run_ctx *, const struct plan_step *step,
	    const cJSON *req, const cJSON *reply, const struct wait_expect *we,
	    double t0, int polls, const char *why, struct http_apierr *err);
/*
 * From the steps in step->after: serviceName -> expected task definition
 * (a CreateService) into *expect, serviceName -> true (an UpdateService
 * to desiredCount 0: a service that is gone is drained too) into *drain.
 * Both NULL when there are none.
 */
void	wait_expectations(struct run_ctx *, const struct plan_step *step,
	    cJSON **expect, cJSON **drain);
/*
 * Judge one DescribeServices reply. inactive: every service INACTIVE or
 * MISSING. Otherwise every service ACTIVE, its PRIMARY deployment not
 * FAILED and (when expect names one for the service: an object
 * serviceName -> task definition) on the expected task definition,
 * exactly one deployment, rolloutState COMPLETED when present and
 * runningCount == desiredCount (desiredCount 0: runningCount 0 and one
 * deployment). A service named in drain (serviceName -> true: it was
 * scaled to 0) is drained when DRAINING, INACTIVE or MISSING, or when
 * ACTIVE with desiredCount, runningCount and pendingCount 0, whatever
 * its deployments (a FAILED rollout of a service being removed is not a
 * failure).
 * Returns 1 reached, 0 not yet, -1 failed for good; buf says where
 * things stand or why. Pure.
 */
int	run_services_check(const cJSON *reply, bool inactive,
	    const cJSON *expect, const cJSON *drain, char *buf, size_t bufsz);
/*
 * Judge the container instance ARNs a ListContainerInstances listed: 1
 * none left, 0 some (buf names the first ones). Pure.
 */
int	run_instances_check(const cJSON *arns, char *buf, size_t bufsz);

#endif
