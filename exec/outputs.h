#ifndef F2O_OUTPUTS_H
#define F2O_OUTPUTS_H
/*
 * Step requests and outputs: reading a step's request with its
 * "${STEP.OUTPUT}" references resolved, dotted paths into replies, the
 * outputs of a create, and the digest of a resolved request.
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "ctx.h"
#include "http.h"
#include "plan.h"

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
 * The step's outputs (strings) from result, a create reply (for Spot its
 * items[0]). Returns 0 with *outputs (free with cJSON_Delete), or -1
 * (logged, err filled).
 */
int	run_outputs(const struct plan_step *, const cJSON *result,
	    cJSON **outputs, struct http_apierr *err);
/* Digest (64 hex) of the resolved request text; 0 or -1. */
int	run_request_digest(const cJSON *req, char out[65]);

/* Record outputs (or {}) of the done step id (call with ctx->mu held). */
void	outputs_set(struct run_ctx *, const char *id, const cJSON *outs);
/* Whether outs has any member. */
bool	outputs_has(const cJSON *outs);

#endif
