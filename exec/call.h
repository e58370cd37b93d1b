#ifndef F2O_CALL_H
#define F2O_CALL_H
/*
 * The API call layer: one call with credentials loaded on first use, the
 * API's token bucket, the retry policy (backoff.c) and the test hook
 * events, sent through the API table (api.h).
 */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "api.h"
#include "ctx.h"
#include "http.h"

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

#endif
