#ifndef F2O_CONSIST_H
#define F2O_CONSIST_H
/*
 * EC2 eventual consistency (aws-api.md: "EC2 API eventual consistency"):
 * right after CreateSecurityGroup, requests naming the new group may
 * answer InvalidGroup.NotFound for a while. Such an answer about a group
 * whose id is an output of a step done in this run or journal is retried
 * with backoff for up to CONSIST_TIMEOUT_S seconds, not fatal.
 */
#include <stdbool.h>

#include "ctx.h"
#include "http.h"
#include "plan.h"

#define CONSIST_TIMEOUT_S	60.0	/* retry a NotFound this long */
#define CONSIST_FIRST_MS	500U	/* first delay, doubled, ... */
#define CONSIST_CAP_MS		5000U	/* ... up to this */

/*
 * Whether err is a NotFound of a resource that step's request names by an
 * output of a done step (a "${STEP.OUTPUT}" reference): EC2
 * InvalidGroup.NotFound, InvalidGroupId.NotFound,
 * InvalidSecurityGroupID.NotFound, or ECS InvalidParameterException whose
 * message carries one of those codes.
 */
bool	consist_notfound_own(struct run_ctx *, const struct plan_step *step,
	    const struct http_apierr *err);
/* Delay before retry round (1-based) of a NotFound, milliseconds. */
unsigned consist_delay_ms(unsigned round);

#endif
