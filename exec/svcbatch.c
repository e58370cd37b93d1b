/*
 * Batching DescribeServices: the key that says which requests may share a
 * call, the merged name list, and each request's part of the reply.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "svcbatch.h"

char *
svcbatch_key(const cJSON *req)
{
	const cJSON *m, *names = NULL;
	cJSON *rest;
	char *key;
	int n;

	if (!cJSON_IsObject(req))
		return NULL;
	cJSON_ArrayForEach(m, req) {
		if (m->string == NULL)
			return NULL;
		if (strcmp(m->string, "services") == 0)
			names = m;
		else if (strcmp(m->string, "cluster") != 0 &&
		    strcmp(m->string, "include") != 0)
			return NULL;
	}
	n = cJSON_IsArray(names) ? cJSON_GetArraySize(names) : 0;
	if (n < 1 || n > SVCBATCH_MAX)
		return NULL;
	cJSON_ArrayForEach(m, names)
		if (!cJSON_IsString(m) || m->valuestring[0] == '\0')
			return NULL;
	rest = cJSON_Duplicate(req, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(rest, "services");
	key = cJSON_PrintUnformatted(rest);
	cJSON_Delete(rest);
	return key;
}

static bool
holds(const cJSON *all, const char *name)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, all)
		if (cJSON_IsString(a) && strcmp(a->valuestring, name) == 0)
			return true;
	return false;
}

int
svcbatch_merge(cJSON *all, const cJSON *names, int max)
{
	const cJSON *a;
	int n = cJSON_GetArraySize(all), add = 0;

	cJSON_ArrayForEach(a, names)
		if (cJSON_IsString(a) && !holds(all, a->valuestring))
			add++;
	if (n + add > max)
		return n + add;
	cJSON_ArrayForEach(a, names)
		if (cJSON_IsString(a) && !holds(all, a->valuestring))
			cJSON_AddItemToArray(all,
			    cJSON_CreateString(a->valuestring));
	return n + add;
}

/* The part after the last '/' (a name from an ARN), or s. */
static const char *
tail(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash != NULL ? slash + 1 : s;
}

/*
 * Does service s answer name? An ARN only the service of that ARN (two
 * services may share a name: one INACTIVE, one ACTIVE), a name the
 * service of that name.
 */
static bool
service_is(const cJSON *s, const char *name)
{
	const char *sn = json_str(s, "serviceName");
	const char *arn = json_str(s, "serviceArn");

	if (strncmp(name, "arn:", 4) == 0 && arn != NULL)
		return strcmp(arn, name) == 0;
	return sn != NULL && strcmp(sn, tail(name)) == 0;
}

static bool
failure_is(const cJSON *f, const char *name)
{
	const char *arn = json_str(f, "arn");

	if (arn == NULL)
		return false;
	if (strncmp(name, "arn:", 4) == 0)
		return strcmp(arn, name) == 0;
	return strcmp(tail(arn), name) == 0;
}

cJSON *
svcbatch_split(const cJSON *reply, const cJSON *names)
{
	const cJSON *n, *s, *f;
	cJSON *out, *svcs, *fails;
	int found;

	out = cJSON_CreateObject();
	svcs = cJSON_AddArrayToObject(out, "services");
	fails = cJSON_AddArrayToObject(out, "failures");
	cJSON_ArrayForEach(n, names) {
		if (!cJSON_IsString(n))
			continue;
		found = 0;
		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(reply,
		    "services"))
			if (service_is(s, n->valuestring) && found++ == 0)
				cJSON_AddItemToArray(svcs,
				    cJSON_Duplicate(s, 1));
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(reply,
		    "failures"))
			if (failure_is(f, n->valuestring) && found++ == 0)
				cJSON_AddItemToArray(fails,
				    cJSON_Duplicate(f, 1));
		/* Unanswered, or answered twice: ask alone. */
		if (found != 1) {
			cJSON_Delete(out);
			return NULL;
		}
	}
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(reply,
	    "failures"))
		if (json_str(f, "arn") == NULL)
			cJSON_AddItemToArray(fails, cJSON_Duplicate(f, 1));
	return out;
}
