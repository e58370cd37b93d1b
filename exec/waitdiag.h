#ifndef F2O_WAITDIAG_H
#define F2O_WAITDIAG_H
/*
 * What ECS says about the services of a wait that failed or timed out:
 * the service's last events (newest first), the failed (else PRIMARY)
 * deployment's rolloutState and rolloutStateReason, and the stopped
 * tasks' reasons (ListTasks desiredStatus STOPPED, DescribeTasks:
 * stoppedReason, stopCode, each container's reason and exit code).
 * Printed on stderr and, under --json, as "wait-diagnostics" events.
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctx.h"
#include "plan.h"

#define WAITDIAG_EVENTS		5	/* service events shown */
#define WAITDIAG_TASKS		5	/* stopped tasks shown */
#define WAITDIAG_SERVICES	10	/* services of one wait looked at */
#define WAITDIAG_TEXT_MAX	400	/* bytes of one AWS message shown */

/*
 * One Service object of a DescribeServices reply -> a new object
 * {"service", "status", "events": [{"createdAt", "message"}] (the last
 * WAITDIAG_EVENTS, newest first), "deployment": {"id", "status",
 * "rolloutState", "rolloutStateReason", "failedTasks"}} (members absent
 * when ECS did not say). Messages cut and freed of control characters.
 * Pure.
 */
cJSON	*waitdiag_service(const cJSON *svc);
/*
 * A DescribeTasks reply -> a new array of {"task" (id), "stopCode",
 * "stoppedReason", "containers": [{"name", "reason", "exitCode"}]}, at
 * most WAITDIAG_TASKS. Pure.
 */
cJSON	*waitdiag_tasks(const cJSON *reply);
/* Print one diagnostics object (waitdiag_service + "stoppedTasks"). */
void	waitdiag_print(const char *step, const cJSON *diag);
/*
 * For every service of the last DescribeServices reply of wait step
 * (req its input; tasks: look the stopped tasks up too): gather, print on
 * stderr, emit the JSON event. Look-up failures only shorten the output.
 */
void	waitdiag_report(struct run_ctx *, const struct plan_step *step,
	    const cJSON *req, const cJSON *reply, bool tasks);

#endif
