/*
 * Export reader: envelopes, object identity, light validation of the
 * members the translator relies on. Deep validation of task definitions
 * against the ECS model happens in taskdef.c.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "export.h"
#include "fsio.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

struct export *
export_new(void)
{
	struct export *ex = xcalloc(1, sizeof(struct export));

	hashmap_init(&ex->svc_idx);
	hashmap_init(&ex->td_idx);
	hashmap_init(&ex->sg_idx);
	return ex;
}

static char *
svc_key(const char *cluster, const char *name)
{
	return xasprintf("%s/%s", cluster != NULL ? cluster : "", name);
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
export_free(struct export *ex)
{
	size_t i;

	if (ex == NULL)
		return;
	for (i = 0; i < ex->nsvcs; i++) {
		struct xsvc *s = &ex->svcs[i];

		cJSON_Delete(s->svc);
		free(s->src);
		free(s->srcname);
		free(s->jpath);
		free(s->name);
		free(s->arn);
		free(s->cluster);
		free(s->digest);
		strv_free(s->sgs, s->nsgs);
		strv_free(s->subnets, s->nsubnets);
		free(s->newname);
		free(s->svc_step);
		free(s->wait_step);
	}
	free(ex->svcs);
	for (i = 0; i < ex->ntds; i++) {
		struct xtd *t = &ex->tds[i];

		cJSON_Delete(t->td);
		cJSON_Delete(t->tags);
		free(t->src);
		free(t->jpath);
		free(t->family);
		free(t->key);
		free(t->digest);
		free(t->step);
	}
	free(ex->tds);
	for (i = 0; i < ex->nsgs; i++) {
		cJSON_Delete(ex->sgs[i].sg);
		free(ex->sgs[i].src);
		free(ex->sgs[i].jpath);
		free(ex->sgs[i].id);
		free(ex->sgs[i].digest);
	}
	free(ex->sgs);
	free(ex->region);
	free(ex->region_src);
	free(ex->account);
	free(ex->partition);
	free(ex->cluster);
	hashmap_cleanup(&ex->svc_idx);
	hashmap_cleanup(&ex->td_idx);
	hashmap_cleanup(&ex->sg_idx);
	free(ex);
}

static char *
canon_digest(const cJSON *item)
{
	char hex[DIGEST_HEX_LEN + 1], *c = json_canonical(item);

	if (digest_sha256_hex(hex, c, strlen(c)) == -1)
		hex[0] = '\0';
	free(c);
	return xstrdup(hex);
}

/*
 * .NET SDK exports write enums as {"value": "FARGATE"}: turn any object
 * whose only member is a string "value" into that string.
 */
static void
unwrap_enums(cJSON *item)
{
	cJSON *c;

	for (c = item != NULL ? item->child : NULL; c != NULL; c = c->next) {
		if (cJSON_IsObject(c) && c->child != NULL &&
		    c->child->next == NULL && c->child->string != NULL &&
		    strcmp(c->child->string, "value") == 0 &&
		    cJSON_IsString(c->child)) {
			cJSON *s = cJSON_CreateString(c->child->valuestring);

			/* InObject keeps the member's key; ViaPointer does not. */
			if (c->string != NULL)
				cJSON_ReplaceItemInObjectCaseSensitive(item,
				    c->string, s);
			else
				cJSON_ReplaceItemViaPointer(item, c, s);
			c = s;
			continue;
		}
		unwrap_enums(c);
	}
}

/* Parse "arn:PART:SVC:REGION:ACCOUNT:RESOURCE"; fields borrowed copies. */
static int
arn_split(const char *arn, char **part, char **region, char **account,
    const char **resource)
{
	const char *p[6];
	size_t i;

	if (arn == NULL || strncmp(arn, "arn:", 4) != 0)
		return -1;
	p[0] = arn;
	for (i = 1; i < 6; i++) {
		p[i] = strchr(p[i - 1], ':');
		if (p[i] == NULL)
			return -1;
		p[i]++;
	}
	*part = xstrndup(p[1], (size_t)(p[2] - p[1] - 1));
	*region = xstrndup(p[3], (size_t)(p[4] - p[3] - 1));
	*account = xstrndup(p[4], (size_t)(p[5] - p[4] - 1));
	*resource = p[5];
	return 0;
}

static void
note_arn(struct export *ex, const char *arn, const char *path,
    const char *jp)
{
	char *part = NULL, *region = NULL, *account = NULL;
	const char *res;

	if (arn_split(arn, &part, &region, &account, &res) == -1)
		return;
	if (ex->region == NULL && region[0] != '\0') {
		ex->region = xstrdup(region);
		ex->region_src = xasprintf("%s: %s", path, jp);
	}
	if (ex->account == NULL && account[0] != '\0')
		ex->account = xstrdup(account);
	if (ex->partition == NULL && part[0] != '\0')
		ex->partition = xstrdup(part);
	free(part);
	free(region);
	free(account);
}

/* Cluster short name from a cluster ARN, a name, or a new-style
 * service ARN "service/CLUSTER/NAME". */
static char *
cluster_name(const cJSON *svc)
{
	const char *c = json_str(svc, "clusterArn"), *arn, *s, *t;

	if (c == NULL)
		c = json_str(svc, "cluster");
	if (c != NULL) {
		s = strstr(c, ":cluster/");
		return xstrdup(s != NULL ? s + 9 : c);
	}
	arn = json_str(svc, "serviceArn");
	if (arn != NULL && (s = strstr(arn, ":service/")) != NULL) {
		s += 9;
		t = strchr(s, '/');
		if (t != NULL)
			return xstrndup(s, (size_t)(t - s));
	}
	return NULL;
}

static int
str_list(char ***out, size_t *n, const cJSON *arr, const char *path,
    const char *jp)
{
	const cJSON *c;
	size_t i = 0;

	*out = NULL;
	*n = 0;
	if (arr == NULL || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr)) {
		log_errx("%s: %s: must be an array of strings, not %s", path, jp,
		    json_type_name(arr));
		return -1;
	}
	cJSON_ArrayForEach(c, arr) {
		if (!cJSON_IsString(c)) {
			log_errx("%s: %s[%zu]: must be a string, not %s", path,
			    jp, i, json_type_name(c));
			return -1;
		}
		*out = xreallocarray(*out, *n + 1, sizeof(char *));
		(*out)[(*n)++] = xstrdup(c->valuestring);
		i++;
	}
	return 0;
}

/* Check the type of an optional member; -1 (logged) when wrong. */
static int
want(const cJSON *obj, const char *key, int (*is)(const cJSON *),
    const char *tname, const char *path, struct jpath *jp)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	size_t mark;

	if (v == NULL || cJSON_IsNull(v) || is(v))
		return 0;
	mark = jpath_key(jp, key);
	log_errx("%s: %s: must be %s, not %s", path, jp->buf, tname,
	    json_type_name(v));
	jpath_pop(jp, mark);
	return -1;
}

static int
is_str(const cJSON *v)
{
	return cJSON_IsString(v);
}

static int
is_arr(const cJSON *v)
{
	return cJSON_IsArray(v);
}

static int
is_obj(const cJSON *v)
{
	return cJSON_IsObject(v);
}

static int
is_num(const cJSON *v)
{
	return cJSON_IsNumber(v);
}

static int
add_service(struct export *ex, const char *path, cJSON *svc,
    struct jpath *jp)
{
	struct xsvc *s;
	const cJSON *net, *cps, *c;
	const char *name, *lt;
	double spot = 0, total = 0;
	long long desired = 0;
	size_t i, mark;
	int bad = 0;

	if (!cJSON_IsObject(svc)) {
		log_errx("%s: %s: a service must be an object, not %s", path,
		    jp->buf, json_type_name(svc));
		goto fail;
	}
	unwrap_enums(svc);
	name = json_str(svc, "serviceName");
	if (name == NULL || name[0] == '\0') {
		log_errx("%s: %s.serviceName: missing or not a string (a "
		    "service definition without its name, as ecspresso or "
		    "create-service input keep it? export the live service "
		    "with `aws ecs describe-services`)", path, jp->buf);
		goto fail;
	}
	bad |= want(svc, "launchType", is_str, "a string", path, jp);
	bad |= want(svc, "capacityProviderStrategy", is_arr, "an array", path,
	    jp);
	bad |= want(svc, "taskDefinition", is_str, "a string", path, jp);
	bad |= want(svc, "networkConfiguration", is_obj, "an object", path, jp);
	bad |= want(svc, "loadBalancers", is_arr, "an array", path, jp);
	bad |= want(svc, "serviceRegistries", is_arr, "an array", path, jp);
	bad |= want(svc, "desiredCount", is_num, "a number", path, jp);
	bad |= want(svc, "tags", is_arr, "an array", path, jp);
	bad |= want(svc, "deploymentConfiguration", is_obj, "an object", path,
	    jp);
	if (bad)
		goto fail;
	if (cJSON_GetObjectItemCaseSensitive(svc, "desiredCount") != NULL &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(svc,
	    "desiredCount")) &&
	    json_int(svc, "desiredCount", 0, 1000000, &desired) == -1) {
		log_errx("%s: %s.desiredCount: must be a whole number from 0",
		    path, jp->buf);
		goto fail;
	}
	/* Same service twice (several exports of one cluster): keep one. */
	{
		char *cl = cluster_name(svc), *k = svc_key(cl, name);
		bool dup = hashmap_get(&ex->svc_idx, k, &i);

		free(cl);
		if (!dup)
			hashmap_put(&ex->svc_idx, k, ex->nsvcs);
		free(k);
		if (dup) {
			if (cJSON_Compare(ex->svcs[i].svc, svc, 1)) {
				cJSON_Delete(svc);
				return 0;
			}
			log_errx("%s: %s: service \"%s\" is also in %s at %s, "
			    "with different content: export each service once",
			    path, jp->buf, name, ex->svcs[i].src,
			    ex->svcs[i].jpath);
			goto fail;
		}
	}
	ex->svcs = xreallocarray(ex->svcs, ex->nsvcs + 1, sizeof(*ex->svcs));
	s = &ex->svcs[ex->nsvcs];
	memset(s, 0, sizeof(*s));
	s->svc = svc;
	s->src = xstrdup(path);
	s->srcname = xstrdup(ex->display != NULL ? ex->display : path);
	s->jpath = xstrdup(jp->buf);
	s->name = xstrdup(name);
	s->arn = json_str(svc, "serviceArn") != NULL ?
	    xstrdup(json_str(svc, "serviceArn")) : NULL;
	s->cluster = cluster_name(svc);
	s->digest = canon_digest(svc);
	s->desired = desired;
	ex->nsvcs++;
	note_arn(ex, s->arn, path, jp->buf);
	note_arn(ex, json_str(svc, "clusterArn"), path, jp->buf);

	lt = json_str(svc, "launchType");
	if (lt != NULL && strcmp(lt, "FARGATE") == 0)
		s->fargate = true;
	cps = cJSON_GetObjectItemCaseSensitive(svc, "capacityProviderStrategy");
	i = 0;
	cJSON_ArrayForEach(c, cps) {
		const char *cp = json_str(c, "capacityProvider");
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(c, "weight");
		double wt = cJSON_IsNumber(w) ? w->valuedouble : 0;

		if (!cJSON_IsObject(c) || cp == NULL) {
			mark = jpath_key(jp, "capacityProviderStrategy");
			jpath_index(jp, i);
			log_errx("%s: %s.capacityProvider: missing or not a "
			    "string", path, jp->buf);
			jpath_pop(jp, mark);
			return -1;
		}
		if (strcmp(cp, "FARGATE") == 0 ||
		    strcmp(cp, "FARGATE_SPOT") == 0)
			s->fargate = true;
		if (strcmp(cp, "FARGATE_SPOT") == 0)
			spot += wt;
		total += wt;
		i++;
	}
	s->spot_share = total > 0 ? spot / total : 0;
	net = cJSON_GetObjectItemCaseSensitive(svc, "networkConfiguration");
	net = cJSON_GetObjectItemCaseSensitive(net, "awsvpcConfiguration");
	if (net != NULL && !cJSON_IsObject(net)) {
		log_errx("%s: %s.networkConfiguration.awsvpcConfiguration: must "
		    "be an object", path, jp->buf);
		return -1;
	}
	mark = jpath_key(jp, "networkConfiguration.awsvpcConfiguration");
	if (str_list(&s->sgs, &s->nsgs, cJSON_GetObjectItemCaseSensitive(net,
	    "securityGroups"), path, jp->buf) == -1 ||
	    str_list(&s->subnets, &s->nsubnets,
	    cJSON_GetObjectItemCaseSensitive(net, "subnets"), path,
	    jp->buf) == -1) {
		jpath_pop(jp, mark);
		return -1;
	}
	jpath_pop(jp, mark);
	return 0;
fail:
	cJSON_Delete(svc);
	return -1;
}

static int
add_taskdef(struct export *ex, const char *path, cJSON *td, cJSON *tags,
    struct jpath *jp)
{
	struct xtd *t;
	const cJSON *inner;
	const char *family, *arn;
	long long rev = 0;
	char *key;
	size_t i;

	if (!cJSON_IsObject(td)) {
		log_errx("%s: %s: a task definition must be an object, not %s",
		    path, jp->buf, json_type_name(td));
		goto fail;
	}
	unwrap_enums(td);
	family = json_str(td, "family");
	if (family == NULL || family[0] == '\0') {
		log_errx("%s: %s.family: missing, empty or not a string", path,
		    jp->buf);
		goto fail;
	}
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(td,
	    "containerDefinitions"))) {
		log_errx("%s: %s.containerDefinitions: must be an array, not "
		    "%s", path, jp->buf, json_type_name(
		    cJSON_GetObjectItemCaseSensitive(td,
		    "containerDefinitions")));
		goto fail;
	}
	/* Tags inside the task definition (ecspresso) move beside it. */
	inner = cJSON_GetObjectItemCaseSensitive(td, "tags");
	if (inner != NULL) {
		cJSON *d = cJSON_DetachItemFromObjectCaseSensitive(td, "tags");

		if (tags == NULL)
			tags = d;
		else
			cJSON_Delete(d);
	}
	if (tags != NULL && !cJSON_IsArray(tags) && !cJSON_IsNull(tags)) {
		log_errx("%s: tags of task definition \"%s\": must be an array",
		    path, family);
		goto fail;
	}
	if (cJSON_GetObjectItemCaseSensitive(td, "revision") != NULL &&
	    json_int(td, "revision", 1, 100000000, &rev) == -1) {
		log_errx("%s: %s.revision: must be a whole number from 1",
		    path, jp->buf);
		goto fail;
	}
	arn = json_str(td, "taskDefinitionArn");
	if (rev == 0 && arn != NULL) {
		const char *colon = strrchr(arn, ':');

		if (colon != NULL && strstr(arn, ":task-definition/") != NULL)
			rev = strtoll(colon + 1, NULL, 10);
	}
	note_arn(ex, arn, path, jp->buf);
	key = rev > 0 ? xasprintf("%s:%lld", family, rev) : xstrdup(family);
	if (hashmap_get(&ex->td_idx, key, &i)) {
		if (cJSON_Compare(ex->tds[i].td, td, 1)) {
			free(key);
			cJSON_Delete(td);
			cJSON_Delete(tags);
			return 0;
		}
		log_errx("%s: %s: task definition %s is also in %s at %s, with "
		    "different content", path, jp->buf, key, ex->tds[i].src,
		    ex->tds[i].jpath);
		free(key);
		goto fail;
	}
	hashmap_put(&ex->td_idx, key, ex->ntds);
	ex->tds = xreallocarray(ex->tds, ex->ntds + 1, sizeof(*ex->tds));
	t = &ex->tds[ex->ntds++];
	memset(t, 0, sizeof(*t));
	t->td = td;
	t->tags = tags;
	t->src = xstrdup(path);
	t->jpath = xstrdup(jp->buf);
	t->family = xstrdup(family);
	t->revision = rev;
	t->key = key;
	t->digest = canon_digest(td);
	return 0;
fail:
	cJSON_Delete(td);
	cJSON_Delete(tags);
	return -1;
}

static int
add_sg(struct export *ex, const char *path, cJSON *sg, struct jpath *jp)
{
	struct xsg *g;
	const char *id;
	size_t i;
	int bad = 0;

	if (!cJSON_IsObject(sg)) {
		log_errx("%s: %s: a security group must be an object, not %s",
		    path, jp->buf, json_type_name(sg));
		cJSON_Delete(sg);
		return -1;
	}
	id = json_str(sg, "GroupId");
	if (id == NULL || id[0] == '\0') {
		log_errx("%s: %s.GroupId: missing or not a string", path,
		    jp->buf);
		cJSON_Delete(sg);
		return -1;
	}
	bad |= want(sg, "IpPermissions", is_arr, "an array", path, jp);
	bad |= want(sg, "IpPermissionsEgress", is_arr, "an array", path, jp);
	bad |= want(sg, "VpcId", is_str, "a string", path, jp);
	if (bad) {
		cJSON_Delete(sg);
		return -1;
	}
	if (hashmap_get(&ex->sg_idx, id, &i)) {
		if (cJSON_Compare(ex->sgs[i].sg, sg, 1)) {
			cJSON_Delete(sg);
			return 0;
		}
		log_errx("%s: %s: security group %s is also in %s at %s, with "
		    "different content", path, jp->buf, id, ex->sgs[i].src,
		    ex->sgs[i].jpath);
		cJSON_Delete(sg);
		return -1;
	}
	hashmap_put(&ex->sg_idx, id, ex->nsgs);
	ex->sgs = xreallocarray(ex->sgs, ex->nsgs + 1, sizeof(*ex->sgs));
	g = &ex->sgs[ex->nsgs++];
	memset(g, 0, sizeof(*g));
	g->sg = sg;
	g->src = xstrdup(path);
	g->jpath = xstrdup(jp->buf);
	g->id = xstrdup(id);
	g->digest = canon_digest(sg);
	return 0;
}

/* A bare service object: an input to create-service or ecspresso. */
static bool
looks_like_service(const cJSON *o)
{
	static const char *const keys[] = { "serviceName", "desiredCount",
	    "launchType", "capacityProviderStrategy", "deploymentController",
	    "schedulingStrategy", "loadBalancers", NULL };
	const char *const *k;

	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o,
	    "taskDefinition")))
		return true;
	for (k = keys; *k != NULL; k++)
		if (cJSON_GetObjectItemCaseSensitive(o, *k) != NULL)
			return true;
	return false;
}

static int classify(struct export *, const char *, cJSON *, struct jpath *,
    int);

/* Each element of an array member, detached and added by kind. */
static int
each(struct export *ex, const char *path, cJSON *root, const char *key,
    int kind, struct jpath *jp)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, key), *c;
	size_t i = 0, mark;
	int rc = 0;

	if (!cJSON_IsArray(arr)) {
		mark = jpath_key(jp, key);
		log_errx("%s: %s: must be an array, not %s", path, jp->buf,
		    json_type_name(arr));
		jpath_pop(jp, mark);
		return -1;
	}
	mark = jpath_key(jp, key);
	while ((c = arr->child) != NULL) {
		size_t m2 = jpath_index(jp, i);

		cJSON_DetachItemViaPointer(arr, c);
		if (kind == 's')
			rc |= add_service(ex, path, c, jp) == -1 ? -1 : 0;
		else if (kind == 'g')
			rc |= add_sg(ex, path, c, jp);
		else
			rc |= classify(ex, path, c, jp, 0);
		jpath_pop(jp, m2);
		i++;
	}
	jpath_pop(jp, mark);
	return rc;
}

/*
 * Recognise one JSON value: an envelope or a bare object. Takes root.
 */
static int
classify(struct export *ex, const char *path, cJSON *root, struct jpath *jp,
    int depth)
{
	cJSON *td, *tags, *data;
	int rc = -1;

	if (depth > 3) {
		log_errx("%s: %s: envelopes nested too deep", path, jp->buf);
		goto out;
	}
	if (cJSON_IsArray(root)) {
		cJSON *wrap = cJSON_CreateObject();

		cJSON_AddItemToObject(wrap, "items", root);
		root = wrap;
		rc = each(ex, path, root, "items", 'x', jp);
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		log_errx("%s: %s: expected an object, found %s", path, jp->buf,
		    json_type_name(root));
		goto out;
	}
	/* Recorded boto3 responses (cloud-custodian placebo files). */
	data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (cJSON_IsObject(data) &&
	    cJSON_GetObjectItemCaseSensitive(root, "status_code") != NULL) {
		size_t mark = jpath_key(jp, "data");

		data = cJSON_DetachItemViaPointer(root, data);
		rc = classify(ex, path, data, jp, depth + 1);
		jpath_pop(jp, mark);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "services") != NULL) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(root,
		    "failures"), *c;

		cJSON_ArrayForEach(c, f)
			log_warnx("%s: describe-services reported a failure: "
			    "%s %s", path, json_str(c, "arn") ? json_str(c,
			    "arn") : "?", json_str(c, "reason") ?
			    json_str(c, "reason") : "");
		rc = each(ex, path, root, "services", 's', jp);
		goto out;
	}
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "service"))) {
		size_t mark = jpath_key(jp, "service");

		rc = add_service(ex, path, cJSON_DetachItemFromObjectCaseSensitive(
		    root, "service"), jp);
		jpath_pop(jp, mark);
		goto out;
	}
	if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root,
	    "taskDefinition")) &&
	    cJSON_GetObjectItemCaseSensitive(root, "containerDefinitions") ==
	    NULL && cJSON_GetObjectItemCaseSensitive(root, "serviceName") ==
	    NULL) {
		size_t mark = jpath_key(jp, "taskDefinition");

		td = cJSON_DetachItemFromObjectCaseSensitive(root,
		    "taskDefinition");
		tags = cJSON_DetachItemFromObjectCaseSensitive(root, "tags");
		rc = add_taskdef(ex, path, td, tags, jp);
		jpath_pop(jp, mark);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "containerDefinitions") !=
	    NULL) {
		rc = add_taskdef(ex, path, root, NULL, jp);
		return rc;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "SecurityGroups") != NULL) {
		rc = each(ex, path, root, "SecurityGroups", 'g', jp);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "SecurityGroupRules") !=
	    NULL) {
		log_errx("%s: %s: this is `aws ec2 describe-security-group-rules` "
		    "output, which lacks the groups' names, VPCs and egress "
		    "defaults; export `aws ec2 describe-security-groups "
		    "--group-ids ...` instead", path, jp->buf);
		goto out;
	}
	if (looks_like_service(root)) {
		rc = add_service(ex, path, root, jp);
		return rc;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "GroupId") != NULL &&
	    cJSON_GetObjectItemCaseSensitive(root, "IpPermissions") != NULL) {
		rc = add_sg(ex, path, root, jp);
		return rc;
	}
	log_errx("%s: %s: not an export f2o reads (expected the output of aws "
	    "ecs describe-services, aws ecs describe-task-definition or aws "
	    "ec2 describe-security-groups)", path, jp->buf);
out:
	cJSON_Delete(root);
	return rc;
}

int
export_parse(struct export *ex, const char *path, const char *buf,
    size_t len)
{
	struct jpath jp;
	cJSON *root = NULL;

	if (json_parse(&root, path, buf, len) == -1)
		return -1;
	jpath_init(&jp, "$");
	return classify(ex, path, root, &jp, 0);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Expand directories (recursively, *.json files) into a sorted list; each
 * file's display name is its path below the input argument (or the
 * argument's last component for a file).
 */
static int
collect(char ***files, char ***names_out, size_t *n, const char *path,
    const char *display, int depth)
{
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0, i;
	DIR *d;
	int rc = 0;

	if (!fsio_is_dir(path)) {
		if (*n >= EXPORT_MAX_FILES) {
			log_errx("%s: more than %d input files", path,
			    EXPORT_MAX_FILES);
			return -1;
		}
		*files = xreallocarray(*files, *n + 1, sizeof(char *));
		*names_out = xreallocarray(*names_out, *n + 1, sizeof(char *));
		(*files)[*n] = xstrdup(path);
		(*names_out)[(*n)++] = xstrdup(display);
		return 0;
	}
	if (depth > 16) {
		log_errx("%s: directories nested too deep", path);
		return -1;
	}
	d = opendir(path);
	if (d == NULL) {
		log_err("%s", path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *full;

		if (de->d_name[0] == '.')
			continue;
		full = xasprintf("%s/%s", path, de->d_name);
		if (!fsio_is_dir(full) && (l < 5 ||
		    strcmp(de->d_name + l - 5, ".json") != 0)) {
			free(full);
			continue;
		}
		names = xreallocarray(names, nn + 1, sizeof(char *));
		names[nn++] = full;
	}
	closedir(d);
	if (nn > 1)
		qsort(names, nn, sizeof(char *), cmp_str);
	for (i = 0; i < nn; i++) {
		const char *base = strrchr(names[i], '/') + 1;
		char *disp = depth == 0 ? xstrdup(base) :
		    xasprintf("%s/%s", display, base);

		if (rc == 0 && collect(files, names_out, n, names[i], disp,
		    depth + 1) == -1)
			rc = -1;
		free(disp);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
cmp_svc(const void *a, const void *b)
{
	return strcmp(((const struct xsvc *)a)->name,
	    ((const struct xsvc *)b)->name);
}

static int
cmp_td(const void *a, const void *b)
{
	const struct xtd *x = a, *y = b;
	int c = strcmp(x->family, y->family);

	if (c != 0)
		return c;
	return x->revision < y->revision ? -1 : x->revision > y->revision;
}

static int
cmp_sg(const void *a, const void *b)
{
	return strcmp(((const struct xsg *)a)->id,
	    ((const struct xsg *)b)->id);
}

void
export_sort(struct export *ex)
{
	if (ex->nsvcs > 1)
		qsort(ex->svcs, ex->nsvcs, sizeof(*ex->svcs), cmp_svc);
	if (ex->ntds > 1)
		qsort(ex->tds, ex->ntds, sizeof(*ex->tds), cmp_td);
	size_t i;

	if (ex->nsgs > 1)
		qsort(ex->sgs, ex->nsgs, sizeof(*ex->sgs), cmp_sg);
	for (i = 0; i < ex->nsvcs; i++) {
		char *k = svc_key(ex->svcs[i].cluster, ex->svcs[i].name);

		hashmap_put(&ex->svc_idx, k, i);
		free(k);
	}
	for (i = 0; i < ex->ntds; i++)
		hashmap_put(&ex->td_idx, ex->tds[i].key, i);
	for (i = 0; i < ex->nsgs; i++)
		hashmap_put(&ex->sg_idx, ex->sgs[i].id, i);
}

/* True when path is the same file as skip (the --config file). */
static bool
same_file(const char *path, const char *skip)
{
	struct stat a, b;

	return skip != NULL && stat(path, &a) == 0 && stat(skip, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
export_load(struct export **out, char *const *inputs, size_t n,
    const char *skip)
{
	struct export *ex = export_new();
	char **files = NULL, **disp = NULL, *buf;
	size_t nfiles = 0, i, len;
	int rc = 0;

	*out = NULL;
	for (i = 0; i < n; i++) {
		const char *slash = strrchr(inputs[i], '/');
		char *base = xstrdup(slash != NULL && slash[1] != '\0' ?
		    slash + 1 : inputs[i]);

		if (collect(&files, &disp, &nfiles, inputs[i], base, 0) == -1)
			rc = -1;
		free(base);
	}
	if (rc == 0 && nfiles == 0) {
		log_errx("no .json export files found in the inputs");
		rc = -1;
	}
	for (i = 0; rc == 0 && i < nfiles; i++) {
		if (same_file(files[i], skip))
			continue;	/* a --config file beside the exports */
		if (fsio_read_bounded(&buf, &len, files[i], FSIO_MAX_INPUT) ==
		    -1) {
			rc = -1;
			break;
		}
		ex->display = disp[i];
		if (export_parse(ex, files[i], buf, len) == -1)
			rc = -1;
		ex->display = NULL;
		free(buf);
	}
	for (i = 0; i < nfiles; i++) {
		free(files[i]);
		free(disp[i]);
	}
	free(files);
	free(disp);
	if (rc == -1) {
		export_free(ex);
		return -1;
	}
	export_sort(ex);
	*out = ex;
	return 0;
}

struct xtd *
export_find_td(const struct export *ex, const char *ref)
{
	const char *p = strstr(ref, ":task-definition/");
	struct xtd *best = NULL;
	char *want_key;
	size_t i;

	if (p != NULL)
		ref = p + strlen(":task-definition/");
	want_key = xstrdup(ref);
	if (hashmap_get(&ex->td_idx, want_key, &i)) {
		free(want_key);
		return &ex->tds[i];
	}
	/* "family" alone: the latest revision in the export. */
	if (strchr(want_key, ':') == NULL)
		for (i = 0; i < ex->ntds; i++)
			if (strcmp(ex->tds[i].family, want_key) == 0 &&
			    (best == NULL ||
			    ex->tds[i].revision > best->revision))
				best = &ex->tds[i];
	free(want_key);
	return best;
}

struct xsg *
export_find_sg(const struct export *ex, const char *id)
{
	size_t i;

	if (hashmap_get(&ex->sg_idx, id, &i))
		return &ex->sgs[i];
	return NULL;
}
