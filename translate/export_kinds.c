/*
 * Export reader, per kind: one service, task definition or security group
 * checked and added with its identity (file, JSON path, digest, ARN parts).
 */

#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "export.h"
#include "export_int.h"
#include "jsonutil.h"
#include "log.h"
#include "ocean_share.h"
#include "xalloc.h"

void
export_digest_raw(const cJSON *item, unsigned char md[DIGEST_LEN])
{
	char *c = json_canonical(item);

	if (digest_sha256(md, c, strlen(c)) == -1)
		memset(md, 0, DIGEST_LEN);
	free(c);
}

char *
export_digest(const cJSON *item)
{
	unsigned char md[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];

	export_digest_raw(item, md);
	digest_hex(hex, md);
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

/*
 * Region, account and partition of the export from an ARN. Those of a
 * service or cluster (svc) win over any other ARN's: the migration runs
 * where the cluster is, whatever file came first.
 */
static void
note_arn(struct export *ex, const char *arn, const char *path,
    const char *jp, bool svc)
{
	char *part = NULL, *region = NULL, *account = NULL;
	const char *res;

	if (arn_split(arn, &part, &region, &account, &res) == -1)
		return;
	if (svc && !ex->where_svc && region[0] != '\0') {
		ex->where_svc = true;
		free(ex->region);
		free(ex->region_src);
		free(ex->account);
		free(ex->partition);
		ex->region = NULL;
		ex->region_src = NULL;
		ex->account = NULL;
		ex->partition = NULL;
	}
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

/*
 * The file entry of path: the last one when path is the file being read
 * (its services come one after another), else a new one; its size is
 * set once the file is parsed (export_parse), its place in the copy once
 * kept (export_load).
 */
static size_t
file_of(struct export *ex, const char *path)
{
	struct xfile *f;

	if (ex->nfiles > 0 && strcmp(ex->files[ex->nfiles - 1].path, path) == 0)
		return ex->nfiles - 1;
	ex->files = xgrow(ex->files, ex->nfiles, sizeof(*ex->files));
	f = &ex->files[ex->nfiles];
	memset(f, 0, sizeof(*f));
	f->raw_off = -1;
	f->path = xstrdup(path);
	f->display = xstrdup(ex->display != NULL ? ex->display : path);
	return ex->nfiles++;
}

/*
 * A service met twice: the same when its content is the same as the one
 * kept (whose tree is read again if it left memory), but for its events:
 * they left the kept tree (read by no stage), and two exports a minute
 * apart differ there.
 */
static bool
same_service(struct export *ex, struct xsvc *kept, cJSON *svc)
{
	bool same;

	json_del(svc, "events");

	if (kept->svc != NULL)
		return cJSON_Compare(kept->svc, svc, 1);
	if (export_svc_hold(ex, kept) == -1)
		return false;
	same = cJSON_Compare(kept->svc, svc, 1);
	export_svc_release(ex);
	return same;
}

void
export_kinds_revive(cJSON *svc)
{
	unwrap_enums(svc);
	json_del(svc, "events");
}

void
export_kinds_td_revive(cJSON *td, cJSON **tags)
{
	cJSON *d;

	unwrap_enums(td);
	d = cJSON_DetachItemFromObjectCaseSensitive(td, "tags");
	if (*tags == NULL)
		*tags = d;
	else
		cJSON_Delete(d);
}

/* A security group met twice: the same content as the one kept. */
static bool
same_sg(struct export *ex, const struct xsg *kept, const cJSON *sg)
{
	bool same;

	if (kept->sg != NULL)
		return cJSON_Compare(kept->sg, sg, 1);
	if (export_sg_hold(ex, kept) == -1)
		return false;
	same = cJSON_Compare(kept->sg, sg, 1);
	export_sg_release(ex);
	return same;
}

/* A task definition met twice: the same content as the one kept. */
static bool
same_td(struct export *ex, const struct xtd *kept, const cJSON *td)
{
	bool same;

	if (kept->td != NULL)
		return cJSON_Compare(kept->td, td, 1);
	if (export_td_hold(ex, kept) == -1)
		return false;
	same = cJSON_Compare(kept->td, td, 1);
	export_td_release(ex);
	return same;
}

/*
 * A file read again (export_svc_hold): the service is kept as it was
 * first (no checks, no digest; its events leave memory) for
 * export_svc_hold to find by name and JSON path.
 */
static int
reload_service(struct export *ex, const char *path, cJSON *svc,
    struct jpath *jp)
{
	struct xsvc *s;
	const char *name = json_str(svc, "serviceName");

	if (name == NULL) {
		cJSON_Delete(svc);
		return 0;
	}
	json_del(svc, "events");
	ex->svcs = xgrow(ex->svcs, ex->nsvcs, sizeof(*ex->svcs));
	s = &ex->svcs[ex->nsvcs++];
	memset(s, 0, sizeof(*s));
	s->svc = svc;
	s->file = file_of(ex, path);
	s->src = ex->files[s->file].path;
	s->jpath = xstrdup(jp->buf);
	s->name = xstrdup(name);
	s->cluster = cluster_name(svc);
	return 0;
}

int
export_kinds_service(struct export *ex, const char *path, cJSON *svc,
    struct jpath *jp)
{
	struct xsvc *s;
	const cJSON *net, *cps, *c;
	const char *name, *lt;
	long long desired = 0;
	size_t i, mark;
	int bad = 0;

	if (!cJSON_IsObject(svc)) {
		log_errx("%s: %s: a service must be an object, not %s", path,
		    jp->buf, json_type_name(svc));
		goto fail;
	}
	unwrap_enums(svc);
	if (ex->reload)
		return reload_service(ex, path, svc, jp);
	bad |= export_ident_service(path, svc, jp);
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
		char *cl = cluster_name(svc), *k = export_svc_key(cl, name);
		bool dup = hashmap_get(&ex->svc_idx, k, &i);

		free(cl);
		if (!dup)
			hashmap_put(&ex->svc_idx, k, ex->nsvcs);
		free(k);
		if (dup) {
			if (same_service(ex, &ex->svcs[i], svc)) {
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
	ex->svcs = xgrow(ex->svcs, ex->nsvcs, sizeof(*ex->svcs));
	s = &ex->svcs[ex->nsvcs];
	memset(s, 0, sizeof(*s));
	s->svc = svc;
	s->file = file_of(ex, path);
	s->src = ex->files[s->file].path;
	s->srcname = ex->files[s->file].display;
	s->jpath = xstrdup(jp->buf);
	s->name = xstrdup(name);
	s->arn = json_str(svc, "serviceArn") != NULL ?
	    xstrdup(json_str(svc, "serviceArn")) : NULL;
	s->cluster = cluster_name(svc);
	export_digest_raw(svc, s->digest);
	/*
	 * Its event log (up to 100 messages, most of a real export's
	 * services) is in the digest and read by no stage: it leaves memory.
	 */
	json_del(svc, "events");
	s->desired = desired;
	ex->nsvcs++;
	note_arn(ex, s->arn, path, jp->buf, true);
	note_arn(ex, json_str(svc, "clusterArn"), path, jp->buf, true);

	lt = json_str(svc, "launchType");
	if (lt != NULL && strcmp(lt, "FARGATE") == 0)
		s->fargate = true;
	s->launch = lt != NULL ? xstrdup(lt) : NULL;
	cps = cJSON_GetObjectItemCaseSensitive(svc, "capacityProviderStrategy");
	i = 0;
	cJSON_ArrayForEach(c, cps) {
		const char *cp = json_str(c, "capacityProvider");

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
		i++;
	}
	/* Of the tasks at desiredCount: base first, then the weights. */
	ocean_share_note(s);
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

int
export_kinds_taskdef(struct export *ex, const char *path, cJSON *td,
    cJSON *tags, struct jpath *jp)
{
	struct xtd *t;
	const cJSON *inner;
	const char *family, *arn;
	long long rev = 0;
	char *key;
	size_t i;
	bool sibling = tags != NULL;

	if (ex->reload) {		/* only services are read again */
		cJSON_Delete(td);
		cJSON_Delete(tags);
		return 0;
	}

	if (!cJSON_IsObject(td)) {
		log_errx("%s: %s: a task definition must be an object, not %s",
		    path, jp->buf, json_type_name(td));
		goto fail;
	}
	unwrap_enums(td);
	if (export_ident_taskdef(path, td, jp) == -1)
		goto fail;
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
		log_errx("%s: %s.tags: tags of task definition \"%s\": must be "
		    "an array", path, jp->buf, family);
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
	note_arn(ex, arn, path, jp->buf, false);
	key = rev > 0 ? xasprintf("%s:%lld", family, rev) : xstrdup(family);
	if (hashmap_get(&ex->td_idx, key, &i)) {
		if (same_td(ex, &ex->tds[i], td)) {
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
	ex->tds = xgrow(ex->tds, ex->ntds, sizeof(*ex->tds));
	t = &ex->tds[ex->ntds++];
	memset(t, 0, sizeof(*t));
	t->td = td;
	t->tags = tags;
	t->tags_sibling = sibling;
	t->src = xstrdup(path);
	t->srcname = xstrdup(ex->display != NULL ? ex->display : path);
	t->jpath = xstrdup(jp->buf);
	t->family = xstrdup(family);
	t->revision = rev;
	t->key = key;
	export_digest_raw(td, t->digest);
	return 0;
fail:
	cJSON_Delete(td);
	cJSON_Delete(tags);
	return -1;
}

int
export_kinds_sg(struct export *ex, const char *path, cJSON *sg,
    struct jpath *jp)
{
	struct xsg *g;
	const char *id;
	size_t i;
	int bad = 0;

	if (ex->reload) {
		cJSON_Delete(sg);
		return 0;
	}

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
		if (same_sg(ex, &ex->sgs[i], sg)) {
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
	ex->sgs = xgrow(ex->sgs, ex->nsgs, sizeof(*ex->sgs));
	g = &ex->sgs[ex->nsgs++];
	memset(g, 0, sizeof(*g));
	g->sg = sg;
	g->src = xstrdup(path);
	g->jpath = xstrdup(jp->buf);
	g->id = xstrdup(id);
	g->vpc = json_str(sg, "VpcId") != NULL ?
	    xstrdup(json_str(sg, "VpcId")) : NULL;
	g->digest = export_digest(sg);
	return 0;
}
