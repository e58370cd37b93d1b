/*
 * CloudWatch client of the API table: the awsJson call of ecs.c in its
 * 1.0 flavour with CloudWatch's target prefix (PutMetricAlarm, ...).
 */
#include "cw.h"
#include "ecs.h"

int
cw_send(const struct conn *c, const char *op, const char *method,
    const char *path, const cJSON *req, cJSON **result,
    struct http_apierr *err)
{
	static const struct ecs_json_proto proto = { "cloudwatch",
	    CW_TARGET_PREFIX, CW_CONTENT_TYPE };

	(void)method;
	(void)path;
	return ecs_json_send(&proto, c, op, req, result, err);
}
