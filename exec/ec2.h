#ifndef F2O_EC2_H
#define F2O_EC2_H
/*
 * Amazon EC2 over the ec2Query protocol: POST / with a form body
 * (Action, Version=2016-11-15, then the input serialized with the
 * model's EC2 rules), SigV4 service "ec2", XML replies.
 *
 * The serialization tables are generated into ec2_shapes.c by
 * tests/tools/gen_ec2_shapes.py from tests/models/ec2/.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "ecs.h"
#include "http.h"

#define EC2_API_VERSION		"2016-11-15"
#define EC2_CONTENT_TYPE	"application/x-www-form-urlencoded; charset=utf-8"
#define EC2_MAX_BODY		(1024L * 1024)	/* form body bytes */
#define EC2_MAX_DEPTH		16		/* nesting of the input */
#define EC2_MAX_LIST		10000		/* entries in one list */

enum ec2_kind {
	EC2_STRUCT = 1,
	EC2_LIST,
	EC2_STRING,
	EC2_INTEGER,
	EC2_BOOLEAN,
	EC2_DOUBLE,
	EC2__MAX
};

struct ec2_member {
	const char	*name;		/* JSON (boto3) member name */
	const char	*qname;		/* query key */
	int		 shape;		/* index into ec2_shapes */
};

struct ec2_shape {
	const char	*name;
	enum ec2_kind	 kind;
	const struct ec2_member *members;	/* EC2_STRUCT */
	size_t		 nmembers;
	int		 elem;		/* EC2_LIST: element shape index */
};

struct ec2_op {
	const char	*name;
	int		 input;		/* shape index, or -1 */
};

/* Generated tables (ec2_shapes.c). */
extern const struct ec2_shape ec2_shapes[];
extern const size_t ec2_nshapes;
extern const struct ec2_op ec2_ops[];
extern const size_t ec2_nops;

/* Borrowed operation, or NULL when op is not in the tables. */
const struct ec2_op *ec2_op_find(const char *op);
/*
 * Serialize input (an object in the model's member names) for op as a
 * form body beginning "Action=OP&Version=2016-11-15". Unknown members
 * and wrong types are errors (logged with a JSON path). *out is freed
 * with free(). Returns 0 or -1.
 */
int	ec2_serialize(char **out, size_t *outlen, const char *op,
	    const cJSON *input);
/*
 * Call op. On HTTP 200 *out is the reply as JSON (xmlresp_parse) and 0
 * is returned; otherwise -1 with err filled and the error logged once.
 */
int	ec2_call(cJSON **out, struct http_apierr *err, const struct ecs_aws *,
	    const char *op, const cJSON *input);
/* The EC2 send function of the API table (api.h); see ec2_call. */
/*
 * DescribeSecurityGroups input filtered by group-name (and vpc-id when vpc
 * is not NULL): how f2o looks a group it creates up. Free with cJSON_Delete.
 */
cJSON	*ec2_sg_name_query(const char *name, const char *vpc);
int	ec2_send(const struct conn *, const char *op, const char *method,
	    const char *path, const cJSON *req, cJSON **result,
	    struct http_apierr *err);
/* Turn an EC2 error reply into err. Pure. */
void	ec2_error_parse(struct http_apierr *err, long status,
	    const char *body, size_t len);

#endif
