#ifndef F2O_ECS_H
#define F2O_ECS_H
/*
 * Amazon ECS over the awsJson1_1 protocol: POST / with X-Amz-Target
 * AmazonEC2ContainerServiceV20141113.<Op>, Content-Type
 * application/x-amz-json-1.1, SigV4 service "ecs". Also holds the signed
 * AWS POST shared with ec2.c.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "conn.h"
#include "creds.h"
#include "http.h"

#define ECS_TARGET_PREFIX	"AmazonEC2ContainerServiceV20141113"
#define ECS_CONTENT_TYPE	"application/x-amz-json-1.1"
#define ECS_MAX_OP		64

/* One AWS service endpoint (borrowed strings). */
struct ecs_aws {
	const char	*url;		/* endpoint URL */
	const char	*region;
	const char	*service;	/* signing name: "ecs", "ec2" */
	const struct creds *creds;
};

/*
 * Sign (SigV4: host, x-amz-date, the given headers, x-amz-security-token
 * when there is a session token) and POST body to aws->url. Returns 0
 * when a reply arrived (release out with http_response_cleanup), -1 on
 * a transport or signing error (logged).
 */
int	ecs_aws_post(struct http_response *out, const struct ecs_aws *aws,
	    const struct http_header *headers, size_t nheaders,
	    const char *body, size_t len);
/* One awsJson protocol: the name in messages, target prefix, type. */
struct ecs_json_proto {
	const char	*what;		/* "ecs", "application-autoscaling" */
	const char	*target_prefix;	/* X-Amz-Target before ".Op" */
	const char	*content_type;	/* application/x-amz-json-1.x */
};

/*
 * Call operation op of an awsJson protocol (POST /, X-Amz-Target
 * PREFIX.op) with the JSON request body; as ecs_call otherwise.
 */
int	ecs_json_call(cJSON **out, struct http_apierr *err,
	    const struct ecs_aws *, const struct ecs_json_proto *,
	    const char *op, const char *body, size_t len);
/* ecs_json_call with req printed, over conn: the body of a *_send. */
int	ecs_json_send(const struct ecs_json_proto *, const struct conn *,
	    const char *op, const cJSON *req, cJSON **result,
	    struct http_apierr *err);
/*
 * Call operation op with the JSON request body. On HTTP 200 *out is the
 * parsed reply ({} when empty; free with cJSON_Delete) and 0 is
 * returned. Otherwise -1, with err filled (ThrottlingException and 5xx
 * are retryable) and the error logged once.
 */
int	ecs_call(cJSON **out, struct http_apierr *err, const struct ecs_aws *,
	    const char *op, const char *body, size_t len);
/*
 * Parse an ECS error reply into err: "__type" (sanitized: cut at ':',
 * keep what follows '#'), "message" or "Message"; the HTTP status as
 * the code when there is none. Pure.
 */
void	ecs_error_parse(struct http_apierr *err, long status,
	    const char *body, size_t len);
/* The code part of an error type; a new string, free with free(). */
char	*ecs_error_code(const char *type);
/* Whether code is a throttling or transient AWS error code. */
bool	ecs_code_retryable(const char *code);
/*
 * Judge one DescribeServices reply for wait:ServicesStable (inactive
 * false: every service ACTIVE with exactly one deployment, rolloutState
 * COMPLETED when present, runningCount == desiredCount) or
 * wait:ServicesInactive (every service INACTIVE). Returns 1 reached,
 * 0 not yet, -1 failed for good (a MISSING failure, DRAINING/INACTIVE
 * while waiting for stable, rolloutState FAILED); *why (static) and
 * *name (borrowed from reply) then say why. Pure.
 */
int	ecs_services_check(const cJSON *reply, bool inactive,
	    const char **why, const char **name);
/*
 * The ECS send function of the API table (api.h): op with input req over
 * conn. Returns 0 with *result, or -1 with err filled (logged once).
 */
int	ecs_send(const struct conn *, const char *op, const char *method,
	    const char *path, const cJSON *req, cJSON **result,
	    struct http_apierr *err);
/* An operation name is [A-Za-z0-9]{1,64}. */
bool	ecs_op_valid(const char *op);

#endif
