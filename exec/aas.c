/*
 * Application Auto Scaling client of the API table: the awsJson 1.1 call
 * of ecs.c with AAS's target prefix (RegisterScalableTarget, ...).
 */
#include "aas.h"
#include "ecs.h"

int
aas_send(const struct conn *c, const char *op, const char *method,
    const char *path, const cJSON *req, cJSON **result,
    struct http_apierr *err)
{
	static const struct ecs_json_proto proto = {
	    "application-autoscaling", AAS_TARGET_PREFIX, AAS_CONTENT_TYPE };

	(void)method;
	(void)path;
	return ecs_json_send(&proto, c, op, req, result, err);
}
