#ifndef F2O_AAS_H
#define F2O_AAS_H
/*
 * Application Auto Scaling over awsJson1_1: POST / with X-Amz-Target
 * AnyScaleFrontendService.<Op>, Content-Type application/x-amz-json-1.1,
 * SigV4 service "application-autoscaling". Errors as ECS's (__type,
 * message); ThrottlingException and RateExceeded are throttling,
 * ConcurrentUpdateException transient (backoff.c).
 */
#include <cjson/cJSON.h>

#include "conn.h"
#include "http.h"

#define AAS_TARGET_PREFIX	"AnyScaleFrontendService"
#define AAS_CONTENT_TYPE	"application/x-amz-json-1.1"
#define AAS_NAMESPACE		"ecs"
#define AAS_DIMENSION		"ecs:service:DesiredCount"

/*
 * The send function of the API table (api.h): op with input req over
 * conn. Returns 0 with *result, or -1 with err filled (logged once).
 */
int	aas_send(const struct conn *, const char *op, const char *method,
	    const char *path, const cJSON *req, cJSON **result,
	    struct http_apierr *err);

#endif
