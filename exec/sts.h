#ifndef F2O_STS_H
#define F2O_STS_H
/*
 * AWS STS over the query protocol for f2o-exec's preflight: POST / with
 * a form body (Action, Version=2011-06-15; GetCallerIdentity takes no
 * input), SigV4 service "sts", XML replies (xmlresp.c). Errors are
 * <ErrorResponse><Error><Code>; throttling and 5xx are retryable as for
 * EC2. (The credential chain's AssumeRole lives in creds_sts.c: it runs
 * before there are credentials to sign with through the API table.)
 */
#include <cjson/cJSON.h>

#include "conn.h"
#include "http.h"

#define STS_API_VERSION		"2011-06-15"
#define STS_CONTENT_TYPE	"application/x-www-form-urlencoded; charset=utf-8"

/*
 * The STS send function of the API table (api.h): op (only
 * "GetCallerIdentity", which takes no input; req must be NULL or {}).
 * Returns 0 with *result the <OpResult> element as JSON ({"Account",
 * "Arn", "UserId"}), or -1 with err filled (logged once).
 */
int	sts_send(const struct conn *, const char *op, const char *method,
	    const char *path, const cJSON *req, cJSON **result,
	    struct http_apierr *err);

#endif
