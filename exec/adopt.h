#ifndef F2O_ADOPT_H
#define F2O_ADOPT_H
/*
 * Adoption without a journal: before every create, f2o-exec looks for the
 * resource the step would make and adopts an identical one (its id or ARN
 * become the step's outputs, journaled as done with a NOTE "adopted")
 * or refuses, naming the resource, the field that differs and what to do.
 * A fresh journal over a half-applied bundle then neither duplicates nor
 * wedges. Look-ups, one read each (read token buckets):
 *
 *   ec2:CreateSecurityGroup      DescribeSecurityGroups, filters group-name
 *                                and vpc-id; same description and
 *                                f2o:bundle-id tag
 *   ecs:RegisterTaskDefinition   DescribeTaskDefinition FAMILY (the newest
 *                                ACTIVE revision) with TAGS: adopted when
 *                                its f2o:content tag is the request's, else
 *                                a new revision is registered (inert)
 *   ecs:CreateService            DescribeServices NAME with TAGS: ACTIVE
 *                                with the same task definition, launch type
 *                                and f2o:bundle-id is adopted, ACTIVE and
 *                                different refused; DRAINING is waited for
 *   spot:CreateOceanCluster      ListOceanClusters: one Ocean per ECS
 *                                cluster and region; same name, subnets,
 *                                security groups, image, f2o:bundle-id
 *   spot:CreateOceanLaunchSpec   ListOceanLaunchSpecs of the Ocean: same
 *                                name; same image and f2o:bundle-id
 *
 * adopt_pass() (adopt_pass.c) runs these for the import phase's services
 * (batched), security groups, Ocean clusters and VNGs before anything is
 * sent (a conflict stops the run with no write); task definitions, a
 * create whose request needs an output not known yet, and every create of
 * the cutover and rollback (which re-use names that their earlier steps
 * free) are looked up just before they are sent.
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctx.h"
#include "http.h"
#include "plan.h"

/*
 * Look for what step (a create; req resolved) would make. fresh: a
 * resource it refers to is about to be made anew, so anything found is a
 * conflict. Returns 1 with *outputs (adopt; free with cJSON_Delete), 0
 * (absent: create; *draining set when a service of that name is
 * DRAINING), or -1 with err filled (code "Conflict", logged with what to
 * do; or the look-up failed).
 */
int	adopt_check(struct run_ctx *, const struct plan_step *step,
	    const cJSON *req, bool fresh, cJSON **outputs, bool *draining,
	    struct http_apierr *err);
#define ADOPT_MAX_TEXT	512

/* The value of tag key in tags (key/Key/tagKey, value/Value/tagValue). */
const char *adopt_tag(const cJSON *tags, const char *key);
/*
 * Refuse: what (the resource), field, have (found) and want (the
 * request's); logged with what to do, err filled ("Conflict"). Always -1.
 */
int	adopt_conflict(const struct plan_step *step, const char *what,
	    const char *field, const char *have, const char *want,
	    struct http_apierr *err);
/*
 * Judge the ACTIVE service found for a CreateService step (req resolved,
 * or, with fresh, not): 1 adopt (*outputs), -1 refuse (err filled).
 */
int	adopt_service_judge(const struct plan_step *step, const cJSON *req,
	    const cJSON *active, bool fresh, cJSON **outputs,
	    struct http_apierr *err);
/* DescribeServices of names (an array) with TAGS; as run_call(). */
int	adopt_describe_services(struct run_ctx *, const char *cluster,
	    const cJSON *names, cJSON **reply, struct http_apierr *err);
/*
 * The import phase's creates not done in the journal, in plan order,
 * before the scheduler starts: adopt (journal INTENT, NOTE, RESULT) or refuse.
 * Returns 0 or a RUN_EXIT_* code.
 */
int	adopt_pass(struct run_ctx *);
/* Whether adopt_pass already found step absent (no second look-up). */
bool	adopt_checked(struct run_ctx *, const char *step_id);
/* Journal the NOTE "adopted" for a step adopted while running. */
void	adopt_note(struct run_ctx *, const struct plan_step *step,
	    const cJSON *outputs);

#endif
