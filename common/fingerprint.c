/*
 * Normalised fingerprints of ECS services, EC2 security groups and
 * scalable targets, and their member-wise diff, shared by both programs.
 */
/*
 * Normalisation: arrays whose order AWS does not guarantee are sorted
 * (by a key or by canonical JSON), members AWS fills with a default when
 * a request leaves them out get that default, and volatile members
 * (peering status, group names of pairs) are dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "jsonutil.h"
#include "utctime.h"
#include "xalloc.h"

#define FP_MAX_ITEMS	10000	/* bound on arrays we sort */

struct sortent {
	char	*key;
	cJSON	*item;
};

static int
sortent_cmp(const void *a, const void *b)
{
	const struct sortent *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/*
 * Sort array arr in place: by string member field when field != NULL
 * (ties and missing members by canonical JSON), else by canonical JSON.
 */
static void
sort_array(cJSON *arr, const char *field)
{
	struct sortent *e;
	cJSON *it;
	size_t n = 0, i;

	if (!cJSON_IsArray(arr))
		return;
	cJSON_ArrayForEach(it, arr)
		n++;
	if (n < 2 || n > FP_MAX_ITEMS)
		return;
	e = calloc(n, sizeof(*e));
	if (e == NULL)
		return;
	i = 0;
	while ((it = cJSON_DetachItemFromArray(arr, 0)) != NULL && i < n) {
		const char *f = field != NULL ? json_str(it, field) : NULL;
		char *c = json_canonical(it);
		size_t fl = f != NULL ? strlen(f) : 0;
		size_t cl = c != NULL ? strlen(c) : 0;

		e[i].key = malloc(fl + cl + 2);
		if (e[i].key != NULL) {
			memcpy(e[i].key, f != NULL ? f : "", fl);
			e[i].key[fl] = '\001';
			memcpy(e[i].key + fl + 1, c != NULL ? c : "", cl);
			e[i].key[fl + cl + 1] = '\0';
		}
		free(c);
		e[i++].item = it;
	}
	n = i;
	for (i = 0; i < n; i++)
		if (e[i].key == NULL)
			e[i].key = strdup("");
	qsort(e, n, sizeof(*e), sortent_cmp);
	for (i = 0; i < n; i++) {
		cJSON_AddItemToArray(arr, e[i].item);
		free(e[i].key);
	}
	free(e);
}

/* Duplicate member key of src, or JSON null. */
static cJSON *
dup_or_null(const cJSON *src, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(src, key);

	if (m == NULL || cJSON_IsNull(m))
		return cJSON_CreateNull();
	return cJSON_Duplicate(m, 1);
}

static void
default_num(cJSON *obj, const char *key, double v)
{
	if (cJSON_IsObject(obj) &&
	    cJSON_GetObjectItemCaseSensitive(obj, key) == NULL)
		json_add_num(obj, key, v);
}

static void
default_bool(cJSON *obj, const char *key, int v)
{
	if (cJSON_IsObject(obj) &&
	    cJSON_GetObjectItemCaseSensitive(obj, key) == NULL)
		json_add_bool(obj, key, v != 0);
}

static void
default_str(cJSON *obj, const char *key, const char *v)
{
	if (cJSON_IsObject(obj) &&
	    cJSON_GetObjectItemCaseSensitive(obj, key) == NULL)
		json_add_str(obj, key, v);
}

static cJSON *
fp_capacity(const cJSON *svc)
{
	cJSON *a = dup_or_null(svc, "capacityProviderStrategy"), *it;

	if (!cJSON_IsArray(a))
		return a;
	cJSON_ArrayForEach(it, a) {
		default_num(it, "base", 0);
		default_num(it, "weight", 0);
	}
	sort_array(a, "capacityProvider");
	return a;
}

static cJSON *
fp_network(const cJSON *svc)
{
	cJSON *n = dup_or_null(svc, "networkConfiguration"), *aw;

	aw = cJSON_GetObjectItemCaseSensitive(n, "awsvpcConfiguration");
	if (cJSON_IsObject(aw)) {
		sort_array(cJSON_GetObjectItemCaseSensitive(aw, "subnets"),
		    NULL);
		sort_array(cJSON_GetObjectItemCaseSensitive(aw,
		    "securityGroups"), NULL);
		default_str(aw, "assignPublicIp", "DISABLED");
	}
	return n;
}

static cJSON *
fp_deployconf(const cJSON *svc)
{
	cJSON *d = dup_or_null(svc, "deploymentConfiguration"), *cb;

	if (cJSON_IsNull(d)) {
		cJSON_Delete(d);
		d = cJSON_CreateObject();
	}
	if (!cJSON_IsObject(d))
		return d;
	default_num(d, "maximumPercent", 200);
	default_num(d, "minimumHealthyPercent", 100);
	cb = cJSON_GetObjectItemCaseSensitive(d, "deploymentCircuitBreaker");
	if (cb == NULL)
		cb = cJSON_AddObjectToObject(d, "deploymentCircuitBreaker");
	default_bool(cb, "enable", 0);
	default_bool(cb, "rollback", 0);
	cb = cJSON_GetObjectItemCaseSensitive(d, "alarms");
	if (cJSON_IsObject(cb)) {
		sort_array(cJSON_GetObjectItemCaseSensitive(cb, "alarmNames"),
		    NULL);
		default_bool(cb, "enable", 0);
		default_bool(cb, "rollback", 0);
	}
	return d;
}

/* The PRIMARY deployment's Service Connect, else the service's own. */
static cJSON *
fp_svcconnect(const cJSON *svc)
{
	const cJSON *deps, *d, *sc;

	deps = cJSON_GetObjectItemCaseSensitive(svc, "deployments");
	cJSON_ArrayForEach(d, deps) {
		const char *st = json_str(d, "status");

		if (st == NULL || strcmp(st, "PRIMARY") != 0)
			continue;
		sc = cJSON_GetObjectItemCaseSensitive(d,
		    "serviceConnectConfiguration");
		if (sc != NULL && !cJSON_IsNull(sc))
			return cJSON_Duplicate(sc, 1);
		break;
	}
	return dup_or_null(svc, "serviceConnectConfiguration");
}

static cJSON *
fp_platform(const cJSON *svc)
{
	const char *pv = json_str(svc, "platformVersion");
	const char *lt = json_str(svc, "launchType");

	/*
	 * describe-services prints the platformVersion the service was
	 * created or updated with ("LATEST" or a number); the resolved
	 * version is on the deployments, not compared here. A Fargate
	 * service created without one reads as LATEST.
	 */
	if (pv != NULL)
		return cJSON_CreateString(pv);
	if (lt != NULL && strcmp(lt, "FARGATE") == 0)
		return cJSON_CreateString("LATEST");
	return cJSON_CreateNull();
}

static cJSON *
fp_deploycontroller(const cJSON *svc)
{
	cJSON *d = dup_or_null(svc, "deploymentController");

	if (cJSON_IsNull(d)) {
		cJSON_Delete(d);
		d = cJSON_CreateObject();
		json_add_str(d, "type", "ECS");
	}
	return d;
}

static cJSON *
fp_sorted(const cJSON *svc, const char *key, const char *field)
{
	cJSON *a = dup_or_null(svc, key);

	if (cJSON_IsArray(a) && cJSON_GetArraySize(a) == 0) {
		cJSON_Delete(a);
		return cJSON_CreateNull();
	}
	sort_array(a, field);
	return a;
}

cJSON *
fingerprint_service(const cJSON *svc)
{
	cJSON *fp;

	if (!cJSON_IsObject(svc))
		return NULL;
	fp = cJSON_CreateObject();
	cJSON_AddItemToObject(fp, "taskDefinition",
	    dup_or_null(svc, "taskDefinition"));
	cJSON_AddItemToObject(fp, "launchType", dup_or_null(svc, "launchType"));
	cJSON_AddItemToObject(fp, "capacityProviderStrategy", fp_capacity(svc));
	cJSON_AddItemToObject(fp, "platformVersion", fp_platform(svc));
	cJSON_AddItemToObject(fp, "networkConfiguration", fp_network(svc));
	cJSON_AddItemToObject(fp, "loadBalancers",
	    fp_sorted(svc, "loadBalancers", NULL));
	cJSON_AddItemToObject(fp, "serviceRegistries",
	    fp_sorted(svc, "serviceRegistries", NULL));
	cJSON_AddItemToObject(fp, "deploymentController",
	    fp_deploycontroller(svc));
	cJSON_AddItemToObject(fp, "deploymentConfiguration",
	    fp_deployconf(svc));
	cJSON_AddItemToObject(fp, "serviceConnectConfiguration",
	    fp_svcconnect(svc));
	cJSON_AddItemToObject(fp, "tags", fp_sorted(svc, "tags", "key"));
	cJSON_AddItemToObject(fp, "status", dup_or_null(svc, "status"));
	json_sort_keys(fp);
	return fp;
}

/* One IpPermission: lists sorted, pairs without volatile members. */
static cJSON *
fp_permission(const cJSON *p)
{
	static const char *const volatile_pair[] = { "GroupName", "VpcId",
	    "VpcPeeringConnectionId", "PeeringStatus" };
	static const char *const lists[][2] = {
		{ "IpRanges", "CidrIp" }, { "Ipv6Ranges", "CidrIpv6" },
		{ "PrefixListIds", "PrefixListId" },
		{ "UserIdGroupPairs", "GroupId" },
	};
	cJSON *c = cJSON_Duplicate(p, 1), *pairs, *it;
	size_t i;

	if (!cJSON_IsObject(c))
		return c;
	pairs = cJSON_GetObjectItemCaseSensitive(c, "UserIdGroupPairs");
	cJSON_ArrayForEach(it, pairs)
		for (i = 0; i < sizeof(volatile_pair) /
		    sizeof(volatile_pair[0]); i++)
			json_del(it, volatile_pair[i]);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		cJSON *a = cJSON_GetObjectItemCaseSensitive(c, lists[i][0]);

		if (a == NULL || cJSON_IsNull(a)) {
			json_del(c, lists[i][0]);
			cJSON_AddItemToObject(c, lists[i][0],
			    cJSON_CreateArray());
		} else
			sort_array(a, lists[i][1]);
	}
	return c;
}

static cJSON *
fp_permissions(const cJSON *group, const char *key)
{
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(group, key), *p;
	cJSON *a = cJSON_CreateArray();

	cJSON_ArrayForEach(p, src)
		cJSON_AddItemToArray(a, fp_permission(p));
	json_sort_keys(a);
	sort_array(a, NULL);
	return a;
}

cJSON *
fingerprint_sg(const cJSON *group)
{
	cJSON *fp;

	if (!cJSON_IsObject(group))
		return NULL;
	fp = cJSON_CreateObject();
	cJSON_AddItemToObject(fp, "IpPermissions",
	    fp_permissions(group, "IpPermissions"));
	cJSON_AddItemToObject(fp, "IpPermissionsEgress",
	    fp_permissions(group, "IpPermissionsEgress"));
	cJSON_AddItemToObject(fp, "VpcId", dup_or_null(group, "VpcId"));
	json_sort_keys(fp);
	return fp;
}

static int
same(const cJSON *a, const cJSON *b)
{
	char *ca, *cb;
	int r;

	if (a == NULL || b == NULL)
		return a == b;
	ca = json_canonical(a);
	cb = json_canonical(b);
	r = ca != NULL && cb != NULL && strcmp(ca, cb) == 0;
	free(ca);
	free(cb);
	return r;
}

int
fingerprint_diff(const cJSON *want, const cJSON *have,
    void (*cb)(const char *field, const cJSON *want, const cJSON *have,
    void *arg), void *arg)
{
	const cJSON *m, *o;
	int n = 0;

	if (!cJSON_IsObject(want) || !cJSON_IsObject(have))
		return -1;
	cJSON_ArrayForEach(m, want) {
		o = cJSON_GetObjectItemCaseSensitive(have, m->string);
		if (!same(m, o)) {
			n++;
			if (cb != NULL)
				cb(m->string, m, o, arg);
		}
	}
	cJSON_ArrayForEach(m, have) {
		if (cJSON_GetObjectItemCaseSensitive(want, m->string) != NULL)
			continue;
		n++;
		if (cb != NULL)
			cb(m->string, NULL, m, arg);
	}
	return n;
}

cJSON *
fingerprint_scalable_target(const cJSON *target)
{
	static const char *const susp[] = { "DynamicScalingInSuspended",
	    "DynamicScalingOutSuspended", "ScheduledScalingSuspended", NULL };
	const char *const *k;
	const cJSON *ss;
	cJSON *fp, *o;

	if (!cJSON_IsObject(target))
		return NULL;
	fp = cJSON_CreateObject();
	cJSON_AddItemToObject(fp, "ResourceId", dup_or_null(target,
	    "ResourceId"));
	cJSON_AddItemToObject(fp, "MinCapacity", dup_or_null(target,
	    "MinCapacity"));
	cJSON_AddItemToObject(fp, "MaxCapacity", dup_or_null(target,
	    "MaxCapacity"));
	ss = cJSON_GetObjectItemCaseSensitive(target, "SuspendedState");
	o = cJSON_AddObjectToObject(fp, "SuspendedState");
	for (k = susp; *k != NULL; k++)
		json_add_bool(o, *k, cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(ss, *k)));
	return fp;
}

const char *const fingerprint_alarm_members[] = {
	"AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions",
	"InsufficientDataActions", "MetricName", "Namespace", "Statistic",
	"ExtendedStatistic", "Dimensions", "Period", "Unit",
	"EvaluationPeriods", "DatapointsToAlarm", "Threshold",
	"ComparisonOperator", "TreatMissingData",
	"EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId",
	"EvaluationCriteria", "EvaluationInterval", NULL
};

/* Absent, null, or an empty object or array. */
static int
unset(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v) || ((cJSON_IsObject(v) ||
	    cJSON_IsArray(v)) && v->child == NULL);
}

cJSON *
fingerprint_scaling_policy(const cJSON *policy)
{
	static const char *const confs[] = { "StepScalingPolicyConfiguration",
	    "TargetTrackingScalingPolicyConfiguration",
	    "PredictiveScalingPolicyConfiguration", NULL };
	const char *const *k;
	const cJSON *c;
	cJSON *fp, *d;

	if (!cJSON_IsObject(policy))
		return NULL;
	fp = cJSON_CreateObject();
	cJSON_AddItemToObject(fp, "PolicyName", dup_or_null(policy,
	    "PolicyName"));
	cJSON_AddItemToObject(fp, "PolicyType", dup_or_null(policy,
	    "PolicyType"));
	for (k = confs; *k != NULL; k++) {
		c = cJSON_GetObjectItemCaseSensitive(policy, *k);
		if (unset(c))
			continue;
		d = cJSON_Duplicate(c, 1);
		if (k == confs + 1)
			default_bool(d, "DisableScaleIn", 0);
		json_sort_keys(d);
		cJSON_AddItemToObject(fp, *k, d);
	}
	json_sort_keys(fp);
	return fp;
}

/* A time member as seconds since 1970 (ISO string or number), or null. */
static cJSON *
fp_time(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double t;

	if (cJSON_IsNumber(v))
		return cJSON_CreateNumber(v->valuedouble);
	if (cJSON_IsString(v) && utctime_iso(v->valuestring, &t) == 0)
		return cJSON_CreateNumber(t);
	return unset(v) ? cJSON_CreateNull() : cJSON_Duplicate(v, 1);
}

cJSON *
fingerprint_scheduled_action(const cJSON *action)
{
	const cJSON *c;
	cJSON *fp;

	if (!cJSON_IsObject(action))
		return NULL;
	fp = cJSON_CreateObject();
	cJSON_AddItemToObject(fp, "ScheduledActionName", dup_or_null(action,
	    "ScheduledActionName"));
	cJSON_AddItemToObject(fp, "Schedule", dup_or_null(action,
	    "Schedule"));
	c = cJSON_GetObjectItemCaseSensitive(action, "Timezone");
	cJSON_AddItemToObject(fp, "Timezone", unset(c) ?
	    cJSON_CreateString("UTC") : cJSON_Duplicate(c, 1));
	cJSON_AddItemToObject(fp, "StartTime", fp_time(action, "StartTime"));
	cJSON_AddItemToObject(fp, "EndTime", fp_time(action, "EndTime"));
	c = cJSON_GetObjectItemCaseSensitive(action, "ScalableTargetAction");
	cJSON_AddItemToObject(fp, "ScalableTargetAction", unset(c) ?
	    cJSON_CreateNull() : cJSON_Duplicate(c, 1));
	json_sort_keys(fp);
	return fp;
}

/*
 * An Application Auto Scaling policy ARN in an alarm's actions ->
 * "scalingPolicy:<resource part>" (the policy's resource id and name,
 * which stay when the policy is re-created; the UUID does not), or NULL
 * to leave the action out when its resource part is not there.
 */
static cJSON *
fp_action(const cJSON *a)
{
	const char *s, *r;
	char *t;
	cJSON *o;

	if (!cJSON_IsString(a) || strstr(a->valuestring, ":scalingPolicy:") ==
	    NULL)
		return cJSON_Duplicate(a, 1);
	s = a->valuestring;
	r = strstr(s, ":resource/");
	if (r == NULL)
		return NULL;
	t = xasprintf("scalingPolicy:%s", r + strlen(":resource/"));
	o = cJSON_CreateString(t);
	free(t);
	return o;
}

cJSON *
fingerprint_alarm(const cJSON *alarm)
{
	static const char *const lists[] = { "AlarmActions", "OKActions",
	    "InsufficientDataActions", NULL };
	const char *const *k;
	const cJSON *c, *a;
	cJSON *fp, *l, *x;

	if (!cJSON_IsObject(alarm))
		return NULL;
	fp = cJSON_CreateObject();
	cJSON_AddItemToObject(fp, "AlarmName", dup_or_null(alarm,
	    "AlarmName"));
	/* An empty list or object is absent (moto answers "Metrics": []). */
	for (k = fingerprint_alarm_members; *k != NULL; k++) {
		c = cJSON_GetObjectItemCaseSensitive(alarm, *k);
		if (!unset(c))
			cJSON_AddItemToObject(fp, *k, cJSON_Duplicate(c, 1));
	}
	/* What AWS fills in when PutMetricAlarm leaves a member out. */
	for (k = lists; *k != NULL; k++) {
		c = cJSON_GetObjectItemCaseSensitive(alarm, *k);
		l = cJSON_CreateArray();
		cJSON_ArrayForEach(a, c)
			if ((x = fp_action(a)) != NULL)
				cJSON_AddItemToArray(l, x);
		sort_array(l, NULL);
		cJSON_DeleteItemFromObjectCaseSensitive(fp, *k);
		cJSON_AddItemToObject(fp, *k, l);
	}
	default_bool(fp, "ActionsEnabled", 1);
	default_str(fp, "TreatMissingData", "missing");
	if (cJSON_GetObjectItemCaseSensitive(fp, "Metrics") == NULL &&
	    cJSON_GetObjectItemCaseSensitive(fp, "Dimensions") == NULL)
		cJSON_AddItemToObject(fp, "Dimensions", cJSON_CreateArray());
	sort_array(cJSON_GetObjectItemCaseSensitive(fp, "Dimensions"), "Name");
	c = cJSON_GetObjectItemCaseSensitive(fp, "EvaluationPeriods");
	if (cJSON_IsNumber(c))
		default_num(fp, "DatapointsToAlarm", c->valuedouble);
	json_sort_keys(fp);
	return fp;
}
