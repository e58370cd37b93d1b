#ifndef F2O_API_H
#define F2O_API_H
/*
 * The API families f2o-exec calls, as one table (api.c): a row per
 * family names its signing service, its endpoint (environment variables
 * and default), its send function (in the family's client file), its
 * retry class and its token bucket. A new service (STS, Application Auto
 * Scaling...) is one client file with a *_send function plus one row
 * here and in api.c.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "backoff.h"
#include "conn.h"
#include "http.h"

enum run_api {
	RUN_API_ECS = 0,
	RUN_API_EC2,
	RUN_API_SPOT,
	RUN_API_ECS_READ,	/* a token bucket only: ECS Describe*, List* */
	RUN_API_STS,		/* GetCallerIdentity (preflight) */
	RUN_API_AAS,		/* Application Auto Scaling */
	RUN_API_CW,		/* CloudWatch (alarms) */
	RUN_API__MAX
};

/*
 * ECS throttles per API group; read groups have larger buckets than
 * mutating calls (aws-api.md 1.3: "cluster read" APIs a 50-token bucket).
 * Polls (DescribeServices) and look-ups use this bucket, so they do not
 * eat the budget of RegisterTaskDefinition and CreateService (ratelimit.h).
 */
#define RUN_ECS_READ_RATE	10.0	/* tokens per second */
#define RUN_ECS_READ_BURST	50U
/*
 * Application Auto Scaling and CloudWatch publish no per-API buckets for
 * these calls; a few per second (AWS's documented defaults for the
 * control planes are higher) keeps a large bundle from throttling.
 */
#define RUN_AAS_RATE		2.0
#define RUN_AAS_BURST		10U
#define RUN_CW_RATE		2.0
#define RUN_CW_BURST		10U

/*
 * Send one request over conn: op the operation (AWS), method and path
 * (Spot, path may carry a query), req the input or body (may be NULL for
 * Spot). Returns 0 with *result (for Spot the "response" object), or -1
 * with err filled (logged once).
 */
typedef int (*api_send_fn)(const struct conn *, const char *op,
    const char *method, const char *path, const cJSON *req, cJSON **result,
    struct http_apierr *err);

struct api_desc {
	const char	*name;		/* --rate key: "ecs", "ecs-read" */
	const char	*what;		/* endpoint in messages */
	const char	*service;	/* SigV4 signing name, NULL: Spot */
	const char	*endpoint_env;	/* "AWS_ENDPOINT_URL_ECS" */
	const char	*fallback_env;	/* "AWS_ENDPOINT_URL", or NULL */
	const char	*default_url;	/* NULL: public AWS endpoint */
	enum run_api	 endpoint;	/* row whose endpoint is used */
	enum run_api	 read_bucket;	/* bucket of Describe*, List* */
	enum backoff_api backoff;	/* retry class */
	double		 rate;		/* default tokens per second */
	unsigned	 burst;		/* default bucket size */
	api_send_fn	 send;		/* NULL: a bucket only */
};

/* The row of api (borrowed), or NULL when out of range. */
const struct api_desc *api_get(enum run_api api);
/* The API whose name is the len bytes at name, or -1. */
int	api_find(const char *name, size_t len);
/* The bucket a call of op to api takes. */
enum run_api api_bucket(enum run_api api, const char *op);

#endif
