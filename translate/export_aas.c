/*
 * Export reader, scaling kinds: Application Auto Scaling targets, policies,
 * scheduled actions and CloudWatch alarms, pages checked and items kept.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export.h"
#include "export_int.h"
#include "jsonutil.h"
#include "log.h"
#include "utctime.h"
#include "xalloc.h"

enum want_type { W_STR, W_INT, W_OBJ, W_ARR, W_BOOL, W_TIME };

struct want {
	const char	*key;
	enum want_type	 type;
	bool		 required;
};

static const struct want w_target[] = {
	{ "ServiceNamespace", W_STR, true }, { "ResourceId", W_STR, true },
	{ "ScalableDimension", W_STR, true }, { "MinCapacity", W_INT, true },
	{ "MaxCapacity", W_INT, true }, { "SuspendedState", W_OBJ, false },
	{ "RoleARN", W_STR, false }, { NULL, W_STR, false }
};
static const struct want w_policy[] = {
	{ "PolicyName", W_STR, true }, { "ServiceNamespace", W_STR, true },
	{ "ResourceId", W_STR, true }, { "ScalableDimension", W_STR, true },
	{ "PolicyType", W_STR, true }, { "PolicyARN", W_STR, false },
	{ "StepScalingPolicyConfiguration", W_OBJ, false },
	{ "TargetTrackingScalingPolicyConfiguration", W_OBJ, false },
	{ "PredictiveScalingPolicyConfiguration", W_OBJ, false },
	{ "Alarms", W_ARR, false }, { NULL, W_STR, false }
};
static const struct want w_action[] = {
	{ "ScheduledActionName", W_STR, true },
	{ "ServiceNamespace", W_STR, true }, { "ResourceId", W_STR, true },
	{ "Schedule", W_STR, true }, { "ScalableDimension", W_STR, false },
	{ "Timezone", W_STR, false }, { "StartTime", W_TIME, false },
	{ "EndTime", W_TIME, false }, { "ScalableTargetAction", W_OBJ, false },
	{ NULL, W_STR, false }
};
static const struct want w_alarm[] = {
	{ "AlarmName", W_STR, true }, { "AlarmActions", W_ARR, false },
	{ "OKActions", W_ARR, false }, { "InsufficientDataActions", W_ARR,
	    false }, { "Dimensions", W_ARR, false }, { "Metrics", W_ARR, false },
	{ "ActionsEnabled", W_BOOL, false }, { NULL, W_STR, false }
};

static const struct {
	const char	*array;		/* the page's member */
	const char	*what;		/* for messages */
	const char	*command;	/* what exports it */
	const struct want *wants;
} kinds[XAAS__MAX] = {
	{ "ScalableTargets", "scalable target", "aws application-autoscaling "
	    "describe-scalable-targets --service-namespace ecs", w_target },
	{ "ScalingPolicies", "scaling policy", "aws application-autoscaling "
	    "describe-scaling-policies --service-namespace ecs", w_policy },
	{ "ScheduledActions", "scheduled action", "aws application-autoscaling "
	    "describe-scheduled-actions --service-namespace ecs", w_action },
	{ "MetricAlarms", "metric alarm", "aws cloudwatch describe-alarms",
	    w_alarm },
};

void
export_aas_init(struct export *ex)
{
	int k;

	for (k = 0; k < XAAS__MAX; k++)
		hashmap_init(&ex->aas[k].idx);
}

void
export_aas_free(struct export *ex)
{
	size_t i;
	int k;

	for (k = 0; k < XAAS__MAX; k++) {
		struct xaas_list *l = &ex->aas[k];

		for (i = 0; i < l->n; i++) {
			cJSON_Delete(l->items[i].obj);
			free(l->items[i].src);
			free(l->items[i].srcname);
			free(l->items[i].jpath);
			free(l->items[i].key);
			free(l->items[i].digest);
		}
		free(l->items);
		free(l->token_src);
		hashmap_cleanup(&l->idx);
	}
}

int
export_time(const cJSON *v, double *epoch)
{
	if (cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
	    v->valuedouble >= 0 && v->valuedouble < 1e11) {
		*epoch = v->valuedouble;
		return 0;
	}
	if (cJSON_IsString(v))
		return utctime_iso(v->valuestring, epoch);
	return -1;
}

static bool
type_ok(const cJSON *v, enum want_type t)
{
	double d;

	switch (t) {
	case W_STR:
		return cJSON_IsString(v) && v->valuestring[0] != '\0';
	case W_INT:
		return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
		    v->valuedouble == floor(v->valuedouble) &&
		    v->valuedouble >= 0 && v->valuedouble <= 1e9;
	case W_OBJ:
		return cJSON_IsObject(v);
	case W_ARR:
		return cJSON_IsArray(v);
	case W_BOOL:
		return cJSON_IsBool(v);
	case W_TIME:
		return export_time(v, &d) == 0;
	}
	return false;
}

static const char *
type_text(enum want_type t)
{
	static const char *const names[] = { "a non-empty string",
	    "a whole number from 0", "an object", "an array", "true or false",
	    ("a time (ISO 8601 such as 2026-01-31T08:00:00Z, or seconds "
	    "since 1970)") };

	return names[t];
}

/* Each wanted member of item: present when required, of its type. */
static int
check_item(const char *path, const cJSON *item, struct jpath *jp,
    enum xaas_kind kind)
{
	const struct want *w;
	char hint[300];
	int bad = 0;

	(void)snprintf(hint, sizeof(hint), "export it again with `%s`",
	    kinds[kind].command);
	for (w = kinds[kind].wants; w->key != NULL; w++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, w->key);
		size_t mark;
		char *shown;

		if ((v == NULL || cJSON_IsNull(v)) && !w->required)
			continue;
		if (v != NULL && type_ok(v, w->type))
			continue;
		mark = jpath_key(jp, w->key);
		shown = v == NULL ? NULL : cJSON_IsString(v) ?
		    xstrdup(v->valuestring) : cJSON_PrintUnformatted(v);
		if (v == NULL)
			log_diag(1, path, jp->buf, NULL, hint, "a %s needs this "
			    "member (%s)", kinds[kind].what, type_text(w->type));
		else
			log_diag(1, path, jp->buf, shown, hint, "must be %s in "
			    "a %s", type_text(w->type), kinds[kind].what);
		free(shown);
		jpath_pop(jp, mark);
		bad = -1;
	}
	return bad;
}

static char *
item_key(const cJSON *item, enum xaas_kind kind)
{
	const char *dim = json_str(item, "ScalableDimension");

	switch (kind) {
	case XAAS_TARGET:
		return xasprintf("%s|%s", json_str(item, "ResourceId"), dim);
	case XAAS_POLICY:
		return xasprintf("%s|%s|%s", json_str(item, "ResourceId"), dim,
		    json_str(item, "PolicyName"));
	case XAAS_ACTION:
		return xasprintf("%s|%s|%s", json_str(item, "ResourceId"),
		    dim != NULL ? dim : "", json_str(item,
		    "ScheduledActionName"));
	default:
		return xstrdup(json_str(item, "AlarmName"));
	}
}

/* Check item (taken) and add it; a repeat must be the same object. */
static int
add_item(struct export *ex, const char *path, cJSON *item, struct jpath *jp,
    enum xaas_kind kind)
{
	struct xaas_list *l = &ex->aas[kind];
	struct xaas *a;
	char *key;
	size_t i;

	if (!cJSON_IsObject(item)) {
		log_diag(1, path, jp->buf, NULL, "export it again with the AWS "
		    "CLI", "a %s must be an object, not %s", kinds[kind].what,
		    json_type_name(item));
		cJSON_Delete(item);
		return -1;
	}
	if (check_item(path, item, jp, kind) == -1) {
		cJSON_Delete(item);
		return -1;
	}
	key = item_key(item, kind);
	if (hashmap_get(&l->idx, key, &i)) {
		int same = cJSON_Compare(l->items[i].obj, item, 1);

		if (!same)
			log_diag(1, path, jp->buf, key, "keep one export of "
			    "it (pages of one export do not overlap)", "%s "
			    "also in %s at %s, with different content",
			    kinds[kind].what, l->items[i].src,
			    l->items[i].jpath);
		free(key);
		cJSON_Delete(item);
		return same ? 0 : -1;
	}
	if (l->n >= EXPORT_MAX_OBJECTS) {
		log_errx("%s: %s: more than %d %s items", path, jp->buf,
		    EXPORT_MAX_OBJECTS, kinds[kind].array);
		free(key);
		cJSON_Delete(item);
		return -1;
	}
	hashmap_put(&l->idx, key, l->n);
	l->items = xreallocarray(l->items, l->n + 1, sizeof(*l->items));
	a = &l->items[l->n++];
	memset(a, 0, sizeof(*a));
	a->obj = item;
	a->src = xstrdup(path);
	a->srcname = xstrdup(ex->display != NULL ? ex->display : path);
	a->jpath = xstrdup(jp->buf);
	a->key = key;
	a->digest = export_digest(item);
	return 0;
}

/* The items of root's array member key (absent: none). */
static int
each_item(struct export *ex, const char *path, cJSON *root, const char *key,
    struct jpath *jp, int kind)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key), *c;
	size_t i = 0, mark, m2;
	int rc = 0;

	if (arr == NULL)
		return 0;
	mark = jpath_key(jp, key);
	if (!cJSON_IsArray(arr)) {
		log_diag(1, path, jp->buf, NULL, "export it again with the "
		    "AWS CLI", "must be an array, not %s", json_type_name(arr));
		jpath_pop(jp, mark);
		return -1;
	}
	while ((c = arr->child) != NULL && i < EXPORT_MAX_OBJECTS) {
		m2 = jpath_index(jp, i++);
		cJSON_DetachItemViaPointer(arr, c);
		if (kind < 0) {
			/* Composite alarms never drive a scaling policy. */
			if (!cJSON_IsObject(c)) {
				log_diag(1, path, jp->buf, NULL, "export it "
				    "again with the AWS CLI", "a composite "
				    "alarm must be an object, not %s",
				    json_type_name(c));
				rc = -1;
			}
			cJSON_Delete(c);
		} else if (add_item(ex, path, c, jp, (enum xaas_kind)kind) ==
		    -1)
			rc = -1;
		jpath_pop(jp, m2);
	}
	jpath_pop(jp, mark);
	return rc;
}

int
export_aas_page(struct export *ex, const char *path, cJSON *root,
    struct jpath *jp, enum xaas_kind kind)
{
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(root, "NextToken");
	struct xaas_list *l = &ex->aas[kind];
	int rc = 0;

	if (ex->reload)			/* only services are read again */
		return 0;
	l->pages++;
	if (tok != NULL && !cJSON_IsNull(tok)) {
		size_t mark = jpath_key(jp, "NextToken");

		if (!cJSON_IsString(tok)) {
			log_diag(1, path, jp->buf, NULL, "export it again with "
			    "the AWS CLI", "must be a string, not %s",
			    json_type_name(tok));
			rc = -1;
		} else {
			l->pages_token++;
			free(l->token_src);
			l->token_src = xstrdup(path);
		}
		jpath_pop(jp, mark);
	}
	if (each_item(ex, path, root, kinds[kind].array, jp, kind) == -1)
		rc = -1;
	if (kind == XAAS_ALARM && each_item(ex, path, root, "CompositeAlarms",
	    jp, -1) == -1)
		rc = -1;
	return rc;
}

int
export_aas_finish(struct export *ex)
{
	int k, rc = 0;

	for (k = 0; k < XAAS__MAX; k++) {
		const struct xaas_list *l = &ex->aas[k];
		char hint[400];

		if (l->pages == 0 || l->pages_token < l->pages)
			continue;
		/* Every page says more follow: the last one is missing. */
		(void)snprintf(hint, sizeof(hint), "add every page of `%s` "
		    "(the last one has no NextToken), or export it without "
		    "--max-items so the CLI reads all pages", kinds[k].command);
		log_diag(1, l->token_src, "$.NextToken", NULL, hint, "%zu "
		    "page%s of %s, each with a NextToken: the last page is not "
		    "among the inputs", l->pages, l->pages == 1 ? "" : "s",
		    kinds[k].array);
		rc = -1;
	}
	return rc;
}
