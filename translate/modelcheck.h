#ifndef F2O_MODELCHECK_H
#define F2O_MODELCHECK_H
/*
 * Check an ECS request against the operation's input shape in the ECS
 * model (tables generated into ecs_shapes.c): member names, JSON types,
 * required members, whole numbers, enum values. A wrong type in an export
 * is then an error at translate time, not a failure in the change window.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

enum ecsm_kind {
	ECSM_STRUCT = 1,
	ECSM_LIST,
	ECSM_MAP,
	ECSM_STRING,
	ECSM_INTEGER,
	ECSM_BOOLEAN,
	ECSM_NUMBER,
	ECSM_TIMESTAMP,
	ECSM__MAX
};

struct ecsm_member {
	const char	*name;
	int		 shape;		/* index into ecsm_shapes */
	int		 required;
};

struct ecsm_shape {
	const char	*name;
	enum ecsm_kind	 kind;
	const struct ecsm_member *members;	/* ECSM_STRUCT */
	size_t		 nmembers;
	int		 member;	/* ECSM_LIST: element shape */
	int		 key;		/* ECSM_MAP */
	int		 value;
	const char *const *enums;	/* ECSM_STRING with an enum */
	size_t		 nenums;
	int		 range;		/* MODELCHECK_MIN | MODELCHECK_MAX */
	double		 min;		/* value, string length, list count */
	double		 max;
};
#define MODELCHECK_MIN	1
#define MODELCHECK_MAX	2

struct ecsm_op {
	const char	*name;
	int		 input;
};

extern const struct ecsm_shape ecsm_shapes[];
extern const size_t ecsm_nshapes;
extern const struct ecsm_op ecsm_ops[];
extern const size_t ecsm_nops;
/* The same tables for Application Auto Scaling (aas_shapes.c) and
 * CloudWatch (cw_shapes.c). */
extern const struct ecsm_shape aasm_shapes[];
extern const size_t aasm_nshapes;
extern const struct ecsm_op aasm_ops[];
extern const size_t aasm_nops;
extern const struct ecsm_shape cwm_shapes[];
extern const size_t cwm_nshapes;
extern const struct ecsm_op cwm_ops[];
extern const size_t cwm_nops;

#define MODELCHECK_MAX_ERRORS	20	/* logged per request */
#define MODELCHECK_MAX_DEPTH	32

/*
 * Check req as the input of ECS operation op. Every problem is logged as
 * "src: PREFIX.path: reason" (at most MODELCHECK_MAX_ERRORS). An enum
 * value the model does not know or a value outside the model's range is
 * an error, unless modelcheck_allow_unknown(1) made it a warning per value
 * (a model older than the export). Returns 0, or -1 when anything is wrong.
 */
void	modelcheck_allow_unknown(int on);
int	modelcheck_ecs(const char *op, const cJSON *req, const char *src,
	    const char *prefix);
/* The same against the Application Auto Scaling / CloudWatch model. */
int	modelcheck_aas(const char *op, const cJSON *req, const char *src,
	    const char *prefix);
int	modelcheck_cw(const char *op, const cJSON *req, const char *src,
	    const char *prefix);

#endif
