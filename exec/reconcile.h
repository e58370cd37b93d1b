#ifndef F2O_RECONCILE_H
#define F2O_RECONCILE_H
/*
 * Finding what an interrupted create may have made, so that f2o-exec
 * adopts it instead of making a second one (shared/reference/spot-api.md
 * section 6, aws-api.md 4.4):
 *
 *   ec2:CreateSecurityGroup      DescribeSecurityGroups, filters
 *                                group-name and vpc-id
 *   ecs:RegisterTaskDefinition   ListTaskDefinitions(familyPrefix, DESC,
 *                                ACTIVE), the RECONCILE_MAX_TD newest of
 *                                the family, DescribeTaskDefinition with
 *                                TAGS: the revision whose f2o:content tag
 *                                equals the request's
 *   ecs:CreateService            DescribeServices: ACTIVE counts as created
 *   spot:CreateOceanCluster      GET /ocean/aws/ecs/cluster: name,
 *                                clusterName and region equal
 *   spot:CreateOceanLaunchSpec   GET /ocean/aws/ecs/launchSpec?oceanId=:
 *                                name equal
 *
 * More than one match is an error (never pick one silently); a failed
 * look-up is an error, never "absent".
 */
#include <cjson/cJSON.h>

#include "ctx.h"
#include "http.h"
#include "plan.h"

#define RECONCILE_MAX_TD	20	/* revisions examined, newest first */

/*
 * Look up the resource step (a create, request req already resolved)
 * would have made. Returns 1 with *outputs (the step's outputs; free with
 * cJSON_Delete) when found, 0 when proven absent, -1 (logged, err filled)
 * when the look-up failed or is ambiguous.
 */
int	reconcile_find(struct run_ctx *, const struct plan_step *step,
	    const cJSON *req, cJSON **outputs, struct http_apierr *err);
/*
 * Whether an interrupted ecs:DeleteService (the service is no longer
 * ACTIVE) or ecs:UpdateService of desiredCount (the ACTIVE service has
 * that count) took effect: 1 yes, 0 no or cannot tell (send again), -1
 * look-up failed (logged, err filled). Rollback relies on it: an undo
 * runs only for what was done.
 */
int	reconcile_effect(struct run_ctx *, const struct plan_step *step,
	    const cJSON *req, struct http_apierr *err);
/* The name a create is found by (for the journal's INTENT), or NULL. */
const char *reconcile_key(const struct plan_step *step, const cJSON *req);

#endif
