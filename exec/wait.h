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
