/*
 * Fingerprints of services and security groups (normalised fields a plan
 * depends on) and their member-by-member comparison. See fingerprint.h.
 */
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "jsonutil.h"
#include "xalloc.h"

static const char *const svc_members[] = {
	"taskDefinition", "launchType", "capacityProviderStrategy",
	"platformVersion", "networkConfiguration", "loadBalancers",
	"serviceRegistries", "deploymentController",
	"deploymentConfiguration", "serviceConnectConfiguration", "tags",
	"status", NULL
};

static int
cmp_canon(const void *a, const void *b)
{
	char *x = json_canonical(*(cJSON *const *)a);
	char *y = json_canonical(*(cJSON *const *)b);
	int r = strcmp(x != NULL ? x : "", y != NULL ? y : "");

	free(x);
	free(y);
	return r;
}

/* Sort the items of array arr (taken) by canonical JSON, dropping
 * duplicates; an empty array becomes null. */
static cJSON *
sorted(cJSON *arr)
{
	cJSON **v, *c, *out;
	char *prev = NULL, *cur;
	size_t n, i;

	if (!cJSON_IsArray(arr))
		return arr;
	n = (size_t)cJSON_GetArraySize(arr);
	if (n == 0) {
		cJSON_Delete(arr);
		return cJSON_CreateNull();
	}
	v = xreallocarray(NULL, n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(arr, 0);
	cJSON_Delete(arr);
	for (i = 0; i < n; i++)
		json_sort_keys(v[i]);
	qsort(v, n, sizeof(*v), cmp_canon);
	out = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		cur = json_canonical(v[i]);
		if (prev != NULL && cur != NULL && strcmp(prev, cur) == 0) {
			cJSON_Delete(v[i]);
			free(cur);
			continue;
		}
		free(prev);
		prev = cur;
		cJSON_AddItemToArray(out, v[i]);
	}
	free(prev);
	free(v);
	c = out;
	return c;
}

static cJSON *
dup_or_null(const cJSON *v)
{
	return v != NULL && !cJSON_IsNull(v) ? cJSON_Duplicate(v, 1) :
	    cJSON_CreateNull();
}

static cJSON *
norm_network(const cJSON *nc)
{
	cJSON *o, *a;
	const cJSON *aw;

	aw = cJSON_GetObjectItemCaseSensitive(nc, "awsvpcConfiguration");
	if (!cJSON_IsObject(aw))
		return dup_or_null(nc);
	o = cJSON_CreateObject();
	a = cJSON_AddObjectToObject(o, "awsvpcConfiguration");
	cJSON_AddItemToObject(a, "subnets", sorted(cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(aw, "subnets"), 1)));
	cJSON_AddItemToObject(a, "securityGroups", sorted(cJSON_Duplicate(
	    cJSON_GetObjectItemCaseSensitive(aw, "securityGroups"), 1)));
	json_add_str(a, "assignPublicIp", json_str(aw, "assignPublicIp") !=
	    NULL ? json_str(aw, "assignPublicIp") : "DISABLED");
	return o;
}

static cJSON *
norm_tags(const cJSON *tags)
{
	cJSON *o = cJSON_CreateArray(), *t;
	const cJSON *c;
	const char *k;

	cJSON_ArrayForEach(c, tags) {
		k = json_str(c, "key");
		if (k == NULL || strncmp(k, "aws:", 4) == 0 ||
		    strncmp(k, "f2o:", 4) == 0)
			continue;
		t = cJSON_CreateObject();
		json_add_str(t, "key", k);
		json_add_str(t, "value", json_str(c, "value") != NULL ?
		    json_str(c, "value") : "");
		cJSON_AddItemToArray(o, t);
	}
	return sorted(o);
}

static const cJSON *
service_connect(const cJSON *svc)
{
	const cJSON *d, *sc;

	sc = cJSON_GetObjectItemCaseSensitive(svc,
	    "serviceConnectConfiguration");
	if (sc != NULL)
		return sc;
	cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(svc,
	    "deployments"))
		if (json_str(d, "status") != NULL &&
		    strcmp(json_str(d, "status"), "PRIMARY") == 0)
			return cJSON_GetObjectItemCaseSensitive(d,
			    "serviceConnectConfiguration");
	return NULL;
}

cJSON *
fingerprint_service(const cJSON *svc)
{
	cJSON *fp = cJSON_CreateObject(), *v;
	const cJSON *m;
	size_t i;

	for (i = 0; svc_members[i] != NULL; i++) {
		m = cJSON_GetObjectItemCaseSensitive(svc, svc_members[i]);
		if (strcmp(svc_members[i], "networkConfiguration") == 0)
			v = m != NULL ? norm_network(m) : cJSON_CreateNull();
		else if (strcmp(svc_members[i], "tags") == 0)
			v = norm_tags(m);
		else if (strcmp(svc_members[i], "serviceConnectConfiguration")
		    == 0)
			v = dup_or_null(service_connect(svc));
		else if (cJSON_IsArray(m))
			v = sorted(cJSON_Duplicate(m, 1));
		else
			v = dup_or_null(m);
		json_sort_keys(v);
		cJSON_AddItemToObject(fp, svc_members[i], v);
	}
	return fp;
}

static void
rule_add(cJSON *out, const cJSON *perm, const char *key, const char *val)
{
	cJSON *r = cJSON_CreateObject();
	const cJSON *p;

	json_add_str(r, "IpProtocol", json_str(perm, "IpProtocol") != NULL ?
	    json_str(perm, "IpProtocol") : "-1");
	p = cJSON_GetObjectItemCaseSensitive(perm, "FromPort");
	if (cJSON_IsNumber(p))
		json_add_num(r, "FromPort", p->valuedouble);
	p = cJSON_GetObjectItemCaseSensitive(perm, "ToPort");
	if (cJSON_IsNumber(p))
		json_add_num(r, "ToPort", p->valuedouble);
	json_add_str(r, key, val);
	cJSON_AddItemToArray(out, r);
}

static cJSON *
flat_rules(const cJSON *perms)
{
	static const char *const src[][2] = {
		{ "IpRanges", "CidrIp" }, { "Ipv6Ranges", "CidrIpv6" },
		{ "PrefixListIds", "PrefixListId" },
		{ "UserIdGroupPairs", "GroupId" }
	};
	cJSON *out = cJSON_CreateArray();
	const cJSON *p, *s;
	size_t k;

	cJSON_ArrayForEach(p, perms)
		for (k = 0; k < sizeof(src) / sizeof(src[0]); k++)
			cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(
			    p, src[k][0]))
				if (json_str(s, src[k][1]) != NULL)
					rule_add(out, p, src[k][1],
					    json_str(s, src[k][1]));
	return sorted(out);
}

cJSON *
fingerprint_sg(const cJSON *group)
{
	cJSON *fp = cJSON_CreateObject();

	cJSON_AddItemToObject(fp, "VpcId", dup_or_null(
	    cJSON_GetObjectItemCaseSensitive(group, "VpcId")));
	cJSON_AddItemToObject(fp, "IpPermissions", flat_rules(
	    cJSON_GetObjectItemCaseSensitive(group, "IpPermissions")));
	cJSON_AddItemToObject(fp, "IpPermissionsEgress", flat_rules(
	    cJSON_GetObjectItemCaseSensitive(group, "IpPermissionsEgress")));
	return fp;
}

static bool
same(const cJSON *a, const cJSON *b)
{
	char *x, *y;
	bool r;

	if (a == NULL || cJSON_IsNull(a))
		return b == NULL || cJSON_IsNull(b);
	if (b == NULL || cJSON_IsNull(b))
		return false;
	x = json_canonical(a);
	y = json_canonical(b);
	r = x != NULL && y != NULL && strcmp(x, y) == 0;
	free(x);
	free(y);
	return r;
}

int
fingerprint_diff(const cJSON *want, const cJSON *have, fingerprint_diff_fn cb,
    void *arg)
{
	const cJSON *c, *o;
	int n = 0;

	cJSON_ArrayForEach(c, want) {
		o = cJSON_GetObjectItemCaseSensitive(have, c->string);
		if (!same(c, o)) {
			n++;
			if (cb != NULL)
				cb(c->string, c, o, arg);
		}
	}
	cJSON_ArrayForEach(c, have) {
		if (cJSON_HasObjectItem(want, c->string) || cJSON_IsNull(c))
			continue;
		n++;
		if (cb != NULL)
			cb(c->string, NULL, c, arg);
	}
	return n;
}
