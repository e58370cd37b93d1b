/*
 * Requests checked against the model input shapes (ecs_shapes.c,
 * aas_shapes.c, cw_shapes.c): member names, types, required members, enums.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "log.h"
#include "modelcheck.h"

/* One model's generated tables. */
struct mc_model {
	const char	*name;		/* "ECS", as messages show it */
	const struct ecsm_shape *shapes;
	const struct ecsm_op *ops;
	const size_t	*nops;
};

static const struct mc_model mc_ecs = { "ECS", ecsm_shapes, ecsm_ops,
    &ecsm_nops };
static const struct mc_model mc_aas = { "Application Auto Scaling",
    aasm_shapes, aasm_ops, &aasm_nops };
static const struct mc_model mc_cw = { "CloudWatch", cwm_shapes, cwm_ops,
    &cwm_nops };

struct mc {
	const struct mc_model *model;
	const char	*src;
	struct jpath	 jp;
	int		 errors;
};

static int allow_unknown;

void
modelcheck_allow_unknown(int on)
{
	allow_unknown = on;
}

/*
 * A value the model does not allow: an error, or with
 * --allow-unknown-values a warning (the model may be older than AWS).
 */
static void
unknown(struct mc *m, const char *value, const char *msg)
{
	if (allow_unknown) {
		log_diag(0, m->src, m->jp.buf, value, "let through by "
		    "--allow-unknown-values: AWS may refuse it", "%s", msg);
		return;
	}
	if (m->errors++ < MODELCHECK_MAX_ERRORS) {
		char hint[200];

		(void)snprintf(hint, sizeof(hint), "no describe output holds "
		    "it and AWS would refuse it: fix the value, or pass "
		    "--allow-unknown-values if it is newer than f2o's %s model",
		    m->model->name);
		log_diag(1, m->src, m->jp.buf, value, hint, "%s", msg);
	}
}

/* Whether v is within the model's min/max (if any). */
static bool
in_range(const struct ecsm_shape *sh, double v)
{
	return sh->range == 0 || (!((sh->range & MODELCHECK_MIN) &&
	    v < sh->min) && !((sh->range & MODELCHECK_MAX) && v > sh->max));
}

/* The model's min/max on a value, string length or list count. */
static void
range(struct mc *m, const struct ecsm_shape *sh, double v, const char *what,
    const char *shown)
{
	char msg[160];

	if (in_range(sh, v))
		return;
	if (sh->range == (MODELCHECK_MIN | MODELCHECK_MAX))
		(void)snprintf(msg, sizeof(msg), "%s out of the range of %s "
		    "model shape %s (from %g to %g)", what, m->model->name,
		    sh->name, sh->min, sh->max);
	else if (sh->range & MODELCHECK_MIN)
		(void)snprintf(msg, sizeof(msg), "%s below the minimum of %s "
		    "model shape %s (%g)", what, m->model->name, sh->name,
		    sh->min);
	else
		(void)snprintf(msg, sizeof(msg), "%s above the maximum of %s "
		    "model shape %s (%g)", what, m->model->name, sh->name,
		    sh->max);
	unknown(m, shown, msg);
}

static void
fault(struct mc *m, const char *what, const char *detail)
{
	if (m->errors++ < MODELCHECK_MAX_ERRORS)
		log_errx("%s: %s: %s%s", m->src, m->jp.buf, what,
		    detail != NULL ? detail : "");
}

static const char *
kind_name(enum ecsm_kind k)
{
	switch (k) {
	case ECSM_STRUCT:
		return "an object";
	case ECSM_LIST:
		return "an array";
	case ECSM_MAP:
		return "an object of name/value pairs";
	case ECSM_STRING:
		return "a string";
	case ECSM_INTEGER:
		return "a whole number";
	case ECSM_BOOLEAN:
		return "true or false";
	case ECSM_NUMBER:
		return "a number";
	case ECSM_TIMESTAMP:
		return "a time";
	default:
		return "?";
	}
}

static void check(struct mc *, const struct ecsm_shape *, const cJSON *,
    int);

static void
wrong_type(struct mc *m, const struct ecsm_shape *sh, const cJSON *v)
{
	char detail[160];

	(void)snprintf(detail, sizeof(detail), "%s, not %s (%s model shape "
	    "%s)", kind_name(sh->kind), json_type_name(v), m->model->name,
	    sh->name);
	fault(m, "must be ", detail);
}

static void
check_struct(struct mc *m, const struct ecsm_shape *sh, const cJSON *v,
    int depth)
{
	const cJSON *c;
	size_t i;

	cJSON_ArrayForEach(c, v) {
		const struct ecsm_member *mem = NULL;
		size_t mark;

		/* (the first byte first: a strcmp per member is the cost) */
		for (i = 0; i < sh->nmembers; i++)
			if (sh->members[i].name[0] == c->string[0] &&
			    strcmp(sh->members[i].name, c->string) == 0) {
				mem = &sh->members[i];
				break;
			}
		mark = jpath_key(&m->jp, c->string);
		if (mem == NULL)
			fault(m, "not a member of ", sh->name);
		else
			check(m, &m->model->shapes[mem->shape], c, depth + 1);
		jpath_pop(&m->jp, mark);
	}
	for (i = 0; i < sh->nmembers; i++) {
		size_t mark;

		if (!sh->members[i].required ||
		    cJSON_GetObjectItemCaseSensitive(v,
		    sh->members[i].name) != NULL)
			continue;
		mark = jpath_key(&m->jp, sh->members[i].name);
		if (m->errors++ < MODELCHECK_MAX_ERRORS)
			log_errx("%s: %s: required by the %s model and missing",
			    m->src, m->jp.buf, m->model->name);
		jpath_pop(&m->jp, mark);
	}
}

static void
check(struct mc *m, const struct ecsm_shape *sh, const cJSON *v, int depth)
{
	const cJSON *c;
	size_t i, mark;
	double d;

	if (depth > MODELCHECK_MAX_DEPTH) {
		fault(m, "nested too deep", NULL);
		return;
	}
	switch (sh->kind) {
	case ECSM_STRUCT:
		if (!cJSON_IsObject(v)) {
			wrong_type(m, sh, v);
			return;
		}
		check_struct(m, sh, v, depth);
		return;
	case ECSM_LIST:
		if (!cJSON_IsArray(v)) {
			wrong_type(m, sh, v);
			return;
		}
		i = 0;
		if (!in_range(sh, (double)cJSON_GetArraySize(v))) {
			char shown[32];

			(void)snprintf(shown, sizeof(shown), "%d items",
			    cJSON_GetArraySize(v));
			range(m, sh, (double)cJSON_GetArraySize(v), "count",
			    shown);
		}
		cJSON_ArrayForEach(c, v) {
			mark = jpath_index(&m->jp, i++);
			check(m, &m->model->shapes[sh->member], c, depth + 1);
			jpath_pop(&m->jp, mark);
		}
		return;
	case ECSM_MAP:
		if (!cJSON_IsObject(v)) {
			wrong_type(m, sh, v);
			return;
		}
		cJSON_ArrayForEach(c, v) {
			mark = jpath_key(&m->jp, c->string);
			check(m, &m->model->shapes[sh->value], c, depth + 1);
			jpath_pop(&m->jp, mark);
		}
		return;
	case ECSM_STRING:
		if (!cJSON_IsString(v)) {
			wrong_type(m, sh, v);
			return;
		}
		range(m, sh, (double)strlen(v->valuestring), "length",
		    v->valuestring);
		if (sh->nenums == 0)
			return;
		for (i = 0; i < sh->nenums; i++)
			if (strcmp(sh->enums[i], v->valuestring) == 0)
				return;
		{
			char msg[160];

			(void)snprintf(msg, sizeof(msg), "not a value the %s "
			    "model knows for %s (first: %s)", m->model->name,
			    sh->name, sh->enums[0]);
			unknown(m, v->valuestring, msg);
		}
		return;
	case ECSM_INTEGER:
		d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
		if (!cJSON_IsNumber(v) || !isfinite(d) || d != floor(d)) {
			wrong_type(m, sh, v);
			return;
		}
		if (!in_range(sh, d)) {
			char shown[32];

			(void)snprintf(shown, sizeof(shown), "%.0f", d);
			range(m, sh, d, "value", shown);
		}
		return;
	case ECSM_BOOLEAN:
		if (!cJSON_IsBool(v))
			wrong_type(m, sh, v);
		return;
	case ECSM_NUMBER:
		if (!cJSON_IsNumber(v)) {
			wrong_type(m, sh, v);
			return;
		}
		if (!in_range(sh, v->valuedouble)) {
			char shown[32];

			(void)snprintf(shown, sizeof(shown), "%g",
			    v->valuedouble);
			range(m, sh, v->valuedouble, "value", shown);
		}
		return;
	case ECSM_TIMESTAMP:
		if (!cJSON_IsNumber(v) && !cJSON_IsString(v))
			wrong_type(m, sh, v);
		return;
	default:
		fault(m, "unknown shape kind", NULL);
		return;
	}
}

static int
modelcheck_run(const struct mc_model *model, const char *op,
    const cJSON *req, const char *src, const char *prefix)
{
	struct mc m;
	size_t i;

	for (i = 0; i < *model->nops; i++)
		if (strcmp(model->ops[i].name, op) == 0)
			break;
	if (i == *model->nops) {
		log_errx("model check: %s operation %s is not in the tables",
		    model->name, op);
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.model = model;
	m.src = src;
	jpath_init(&m.jp, prefix);
	check(&m, &model->shapes[model->ops[i].input], req, 0);
	if (m.errors > MODELCHECK_MAX_ERRORS)
		log_errx("%s: %d more problems", src,
		    m.errors - MODELCHECK_MAX_ERRORS);
	return m.errors > 0 ? -1 : 0;
}

int
modelcheck_ecs(const char *op, const cJSON *req, const char *src,
    const char *prefix)
{
	return modelcheck_run(&mc_ecs, op, req, src, prefix);
}

int
modelcheck_aas(const char *op, const cJSON *req, const char *src,
    const char *prefix)
{
	return modelcheck_run(&mc_aas, op, req, src, prefix);
}

int
modelcheck_cw(const char *op, const cJSON *req, const char *src,
    const char *prefix)
{
	return modelcheck_run(&mc_cw, op, req, src, prefix);
}
