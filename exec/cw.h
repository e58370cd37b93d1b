#ifndef F2O_CW_H
#define F2O_CW_H
/*
 * Amazon CloudWatch over awsJson1_0 (one of the three protocols its model
 * lists; f2o-exec sends no CBOR and no query form): POST / with
 * X-Amz-Target GraniteServiceVersion20100801.<Op>, Content-Type
 * application/x-amz-json-1.0, SigV4 service "monitoring". Errors carry
 * __type "com.amazonaws.cloudwatch#CODE" (the code after '#' is kept);
 * Throttling is throttling (backoff.c).
 */
#include <cjson/cJSON.h>

#include "conn.h"
#include "http.h"

#define CW_TARGET_PREFIX	"GraniteServiceVersion20100801"
#define CW_CONTENT_TYPE		"application/x-amz-json-1.0"

/*
 * The send function of the API table (api.h): op with input req over
 * conn. Returns 0 with *result, or -1 with err filled (logged once).
 */
int	cw_send(const struct conn *, const char *op, const char *method,
	    const char *path, const cJSON *req, cJSON **result,
	    struct http_apierr *err);

#endif
