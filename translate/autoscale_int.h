#ifndef F2O_AUTOSCALE_INT_H
#define F2O_AUTOSCALE_INT_H
/*
 * Inside the autoscale stage (autoscale*.c only): the request builders and
 * the step helper. The public interface is autoscale.h.
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "model.h"
#include "plan.h"

/* Which service a request is for. */
enum as_for {
	AS_COPY,		/* the side-by-side copy (import) */
	AS_CUT,			/* the EC2 service with the original name */
	AS_RB			/* the original, restored by the rollback */
};

/* "service/CLUSTER/NAME" of the copy or of the original name. */
char	*as_resource(const struct xlate *, const struct xsvc *, enum as_for);
/* The step id prefix: "as/COPY:", "cut/NAME:" or "rb/NAME:". */
char	*as_prefix(const struct xsvc *, enum as_for);
/* "f2o-COPY-<name>" cut to AUTOSCALE_ALARM_MAX bytes. */
char	*as_copy_alarm_name(const struct xsvc *, const char *name);

/*
 * Requests (free with cJSON_Delete), each checked against the model with
 * the exported item's file and JSON path; NULL (logged) when it fails.
 */
cJSON	*as_req_target(const struct xlate *, const struct xsvc *,
	    enum as_for, bool suspend_all);
cJSON	*as_req_deregister(const struct xlate *, const struct xsvc *,
	    enum as_for);
cJSON	*as_req_policy(const struct xlate *, const struct xsvc *, size_t i,
	    enum as_for);
cJSON	*as_req_action(const struct xlate *, const struct xsvc *, size_t i,
	    enum as_for);
cJSON	*as_req_alarm(const struct xlate *, const struct xsvc *, size_t i,
	    enum as_for);
/* DeleteAlarms of the copy's alarms, or NULL when it has none. */
cJSON	*as_req_copy_alarms_delete(const struct xlate *, const struct xsvc *);

/*
 * Add step id (request req, taken; title freed) in phase after *prev (if
 * prev and *prev) and after extra (or NULL); undoes (or NULL). *prev
 * becomes id. Returns the step (borrowed) or NULL (logged).
 */
struct plan_step *as_step(struct xlate *, const char *phase, const char *id,
	    const char *action, char *title, cJSON *req, char **prev,
	    const char *extra, const char *undoes);
/* The plan step id of policy i's PutScalingPolicy for f (a new string). */
char	*as_policy_step(const struct xsvc *, size_t i, enum as_for);

#endif
