#ifndef F2O_SPOT_H
#define F2O_SPOT_H
/*
 * Spot (spotinst) API client: Authorization: Bearer, accountId query
 * parameter, JSON bodies, the {request, response} envelope. Only HTTP
 * 200 is success; 429 is retryable after X-RateLimit-Reset seconds.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "conn.h"
#include "creds.h"
#include "http.h"

#define SPOT_DEFAULT_URL	"https://api.spotinst.io"
#define SPOT_MAX_URL		2048

struct spot_api {
	const char	*base_url;	/* SPOTINST_BASE_URL or default */
	const struct spot_creds *creds;
};

/*
 * The request URL: base + path + "?accountId=ACCOUNT" (when there is an
 * account). Free with free(); NULL (logged) when too long or bad.
 */
char	*spot_url(const char *base, const char *path, const char *account);
/*
 * "/ocean/aws/ecs/launchSpec?oceanId=ID" (ID encoded): the path that lists
 * an Ocean's launch specs; a new string, or NULL (err set).
 */
char	*spot_launchspec_list_path(const char *ocean_id,
	    struct http_apierr *err);
/*
 * Call method path with body (NULL for none). On success *out is a copy
 * of response.items[0] (an empty object when there are no items; free
 * with cJSON_Delete) and 0 is returned; otherwise -1 with err filled
 * (logged once).
 */
int	spot_call(cJSON **out, struct http_apierr *err, const struct spot_api *,
	    const char *method, const char *path, const char *body,
	    size_t len);
/*
 * Parse a reply (pure; the fuzz target): status is the HTTP status,
 * ratelimit_reset the X-RateLimit-Reset seconds or -1. Returns 0 with
 * *out as in spot_call for a 200 with a valid envelope; -1 with err
 * filled otherwise. Does not log.
 */
int	spot_response_parse(cJSON **out, struct http_apierr *err, long status,
	    long ratelimit_reset, const char *body, size_t len);

/*
 * The Spot send function of the API table (api.h): method path (a query
 * in path goes after accountId) with body req (or NULL) over conn, the
 * Bearer token from conn->spot. Returns 0 with *result the envelope's
 * "response" object, or -1 with err filled (logged once).
 */
int	spot_send(const struct conn *, const char *op, const char *method,
	    const char *path, const cJSON *req, cJSON **result,
	    struct http_apierr *err);

#endif
