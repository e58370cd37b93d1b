/*
 * Export reader, identity fields: names, families, ARNs, images and
 * numbers-as-strings checked for template placeholders and bad names.
 */
/*
 * Only identity fields are checked: strings such as "${Partition}" in
 * FireLens options or environment values are legitimate run-time text
 * (BUNDLE.md "Run-time references") and are left alone.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "export_int.h"
#include "jsonutil.h"
#include "log.h"

#define IDENT_NAME_MAX	255

static const char ident_hint[] = "render it first (ecspresso render, "
    "envsubst, ...) or export the live object with aws ecs describe-*";

/* The end of a placeholder opened at s[i] by open, closed by close. */
static bool
enclosed(const char *s, const char *open, const char *close, size_t minlen)
{
	const char *p = strstr(s, open), *q;

	if (p == NULL)
		return false;
	q = strstr(p + strlen(open), close);
	return q != NULL && (size_t)(q - p - (ptrdiff_t)strlen(open)) >= minlen;
}

/* <NAME>: letters, digits, _ - . : and blanks, at least one letter. */
static bool
angle(const char *s)
{
	const char *p, *q;

	for (p = strchr(s, '<'); p != NULL; p = strchr(p + 1, '<')) {
		bool letter = false;

		for (q = p + 1; *q != '\0' && *q != '>'; q++) {
			if ((*q >= 'A' && *q <= 'Z') ||
			    (*q >= 'a' && *q <= 'z'))
				letter = true;
			else if (!((*q >= '0' && *q <= '9') || *q == '_' ||
			    *q == '-' || *q == '.' || *q == ':' || *q == ' '))
				break;
		}
		if (*q == '>' && letter)
			return true;
	}
	return false;
}

bool
export_placeholder(const char *s)
{
	if (s == NULL)
		return false;
	return angle(s) || enclosed(s, "{{", "}}", 1) ||
	    enclosed(s, "${", "}", 1) || enclosed(s, "%(", ")s", 1);
}

struct ident {
	const char	*path;
	struct jpath	*jp;
	int		 bad;
};

/* One string member (or each string of an array member) checked. */
static void
check_member(struct ident *id, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key), *c;
	size_t mark, m2, i = 0;

	if (v == NULL)
		return;
	mark = jpath_key(id->jp, key);
	if (cJSON_IsString(v) && export_placeholder(v->valuestring)) {
		log_diag(1, id->path, id->jp->buf, v->valuestring, ident_hint,
		    "template placeholder: this file looks like a template, "
		    "not a describe output");
		id->bad = 1;
	}
	if (cJSON_IsArray(v))
		cJSON_ArrayForEach(c, v) {
			m2 = jpath_index(id->jp, i++);
			if (cJSON_IsString(c) &&
			    export_placeholder(c->valuestring)) {
				log_diag(1, id->path, id->jp->buf,
				    c->valuestring, ident_hint, "template "
				    "placeholder: this file looks like a "
				    "template, not a describe output");
				id->bad = 1;
			}
			jpath_pop(id->jp, m2);
		}
	jpath_pop(id->jp, mark);
}

/* check_member on keys of each object of array member arr. */
static void
check_each(struct ident *id, const cJSON *obj, const char *arr,
    const char *const *keys)
{
	const cJSON *c;
	const char *const *k;
	size_t mark, m2, i = 0;

	mark = jpath_key(id->jp, arr);
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(obj, arr)) {
		m2 = jpath_index(id->jp, i++);
		if (cJSON_IsObject(c))
			for (k = keys; *k != NULL; k++)
				check_member(id, c, *k);
		jpath_pop(id->jp, m2);
	}
	jpath_pop(id->jp, mark);
}

/* Letters, digits, hyphens and underscores, 1 to 255 (ECS names). */
static void
check_name(struct ident *id, const cJSON *obj, const char *key,
    const char *what)
{
	const char *s = json_str(obj, key), *p;
	size_t mark;

	if (s == NULL || export_placeholder(s))
		return;		/* absent, or reported as a placeholder */
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			break;
	if (*p == '\0' && p - s <= IDENT_NAME_MAX)
		return;
	mark = jpath_key(id->jp, key);
	log_diag(1, id->path, id->jp->buf, s, "fix the name in the export",
	    "not a valid %s (ECS allows letters, digits, hyphens and "
	    "underscores, at most %d)", what, IDENT_NAME_MAX);
	jpath_pop(id->jp, mark);
	id->bad = 1;
}

int
export_ident_service(const char *path, const cJSON *svc, struct jpath *jp)
{
	static const char *const top[] = { "serviceArn", "clusterArn",
	    "cluster", "taskDefinition", "roleArn", "desiredCount",
	    "serviceName", NULL };
	static const char *const lb[] = { "targetGroupArn", "containerName",
	    "loadBalancerName", "containerPort", NULL };
	static const char *const reg[] = { "registryArn", "containerName",
	    NULL };
	static const char *const net[] = { "subnets", "securityGroups", NULL };
	struct ident id = { path, jp, 0 };
	const char *const *k;
	const cJSON *aw;
	size_t mark;

	for (k = top; *k != NULL; k++)
		check_member(&id, svc, *k);
	check_each(&id, svc, "loadBalancers", lb);
	check_each(&id, svc, "serviceRegistries", reg);
	aw = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    svc, "networkConfiguration"), "awsvpcConfiguration");
	mark = jpath_key(jp, "networkConfiguration.awsvpcConfiguration");
	for (k = net; *k != NULL; k++)
		check_member(&id, aw, *k);
	jpath_pop(jp, mark);
	check_name(&id, svc, "serviceName", "service name");
	return id.bad ? -1 : 0;
}

int
export_ident_taskdef(const char *path, const cJSON *td, struct jpath *jp)
{
	static const char *const top[] = { "family", "taskDefinitionArn",
	    "taskRoleArn", "executionRoleArn", "cpu", "memory", "networkMode",
	    NULL };
	static const char *const ctr[] = { "name", "image", "cpu", "memory",
	    "memoryReservation", NULL };
	static const char *const sec[] = { "valueFrom", NULL };
	static const char *const pm[] = { "containerPort", "hostPort", NULL };
	struct ident id = { path, jp, 0 };
	const char *const *k;
	const cJSON *c;
	size_t mark, m2, i = 0;

	for (k = top; *k != NULL; k++)
		check_member(&id, td, *k);
	mark = jpath_key(jp, "containerDefinitions");
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(td,
	    "containerDefinitions")) {
		m2 = jpath_index(jp, i++);
		if (cJSON_IsObject(c)) {
			for (k = ctr; *k != NULL; k++)
				check_member(&id, c, *k);
			check_each(&id, c, "secrets", sec);
			check_each(&id, c, "portMappings", pm);
		}
		jpath_pop(jp, m2);
	}
	jpath_pop(jp, mark);
	check_name(&id, td, "family", "task definition family");
	return id.bad ? -1 : 0;
}
