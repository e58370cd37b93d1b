/*
 * The API family table: signing service, endpoint, send function, retry
 * class and token bucket of each service f2o-exec calls. See api.h.
 */
#include <string.h>

#include "aas.h"
#include "api.h"
#include "cw.h"
#include "ec2.h"
#include "ecs.h"
#include "ratelimit.h"
#include "spot.h"
#include "sts.h"

static const struct api_desc apis[RUN_API__MAX] = {
	[RUN_API_ECS] = { "ecs", "ECS endpoint", "ecs",
	    "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL", NULL, RUN_API_ECS,
	    RUN_API_ECS_READ, BACKOFF_API_ECS, RATELIMIT_ECS_RATE,
	    RATELIMIT_ECS_BURST, ecs_send },
	[RUN_API_EC2] = { "ec2", "EC2 endpoint", "ec2",
	    "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL", NULL, RUN_API_EC2,
	    RUN_API_EC2, BACKOFF_API_EC2, RATELIMIT_EC2_RATE,
	    RATELIMIT_EC2_BURST, ec2_send },
	[RUN_API_SPOT] = { "spot", "SPOTINST_BASE_URL", NULL,
	    "SPOTINST_BASE_URL", NULL, SPOT_DEFAULT_URL, RUN_API_SPOT,
	    RUN_API_SPOT, BACKOFF_API_SPOT, RATELIMIT_SPOT_RATE,
	    RATELIMIT_SPOT_BURST, spot_send },
	[RUN_API_ECS_READ] = { "ecs-read", NULL, "ecs", NULL, NULL, NULL,
	    RUN_API_ECS, RUN_API_ECS_READ, BACKOFF_API_ECS, RUN_ECS_READ_RATE,
	    RUN_ECS_READ_BURST, NULL },
	/* Query protocol like EC2: the same retry class and bucket size. */
	[RUN_API_STS] = { "sts", "STS endpoint", "sts",
	    "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL", NULL, RUN_API_STS,
	    RUN_API_STS, BACKOFF_API_EC2, RATELIMIT_EC2_RATE,
	    RATELIMIT_EC2_BURST, sts_send },
	/* awsJson like ECS: the same retry class (codes decide). */
	[RUN_API_AAS] = { "application-autoscaling",
	    "Application Auto Scaling endpoint", "application-autoscaling",
	    "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING", "AWS_ENDPOINT_URL",
	    NULL, RUN_API_AAS, RUN_API_AAS, BACKOFF_API_ECS, RUN_AAS_RATE,
	    RUN_AAS_BURST, aas_send },
	[RUN_API_CW] = { "cloudwatch", "CloudWatch endpoint", "monitoring",
	    "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL", NULL,
	    RUN_API_CW, RUN_API_CW, BACKOFF_API_ECS, RUN_CW_RATE,
	    RUN_CW_BURST, cw_send },
};

const struct api_desc *
api_get(enum run_api api)
{
	if ((int)api < 0 || api >= RUN_API__MAX)
		return NULL;
	return &apis[api];
}

int
api_find(const char *name, size_t len)
{
	int i;

	for (i = 0; i < RUN_API__MAX; i++)
		if (strlen(apis[i].name) == len &&
		    strncmp(name, apis[i].name, len) == 0)
			return i;
	return -1;
}

enum run_api
api_bucket(enum run_api api, const char *op)
{
	if (op != NULL && (strncmp(op, "Describe", 8) == 0 ||
	    strncmp(op, "List", 4) == 0))
		return apis[api].read_bucket;
	return api;
}
