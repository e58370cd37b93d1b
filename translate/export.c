/*
 * Export reader: files and directories read, each file's shape recognised
 * (describe-* envelopes, bare objects) and handed to export_kinds.c.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "export.h"
#include "export_int.h"
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
	export_aas_init(ex);
	ex->raw_fd = -1;
	return ex;
}

char *
export_svc_key(const char *cluster, const char *name)
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
		free(s->jpath);
		free(s->name);
		free(s->arn);
		free(s->cluster);
		strv_free(s->sgs, s->nsgs);
		strv_free(s->subnets, s->nsubnets);
		free(s->td_ref);
		free(s->launch);
		free(s->newname);
		free(s->svc_step);
		free(s->wait_step);
	}
	free(ex->svcs);
	free(ex->held);
	if (ex->raw_fd != -1)
		(void)close(ex->raw_fd);
	for (i = 0; i < EXPORT_RAW_WINDOWS; i++)
		free(ex->rwin[i].buf);
	for (i = 0; i < ex->nfiles; i++) {
		free(ex->files[i].path);
		free(ex->files[i].display);
	}
	free(ex->files);
	for (i = 0; i < ex->ntds; i++) {
		struct xtd *t = &ex->tds[i];

		cJSON_Delete(t->td);
		cJSON_Delete(t->tags);
		free(t->src);
		free(t->srcname);
		free(t->jpath);
		free(t->family);
		free(t->key);
		free(t->step);
		free(t->arn);
	}
	free(ex->tds);
	for (i = 0; i < ex->nsgs; i++) {
		cJSON_Delete(ex->sgs[i].sg);
		free(ex->sgs[i].src);
		free(ex->sgs[i].jpath);
		free(ex->sgs[i].id);
		free(ex->sgs[i].vpc);
		free(ex->sgs[i].digest);
	}
	free(ex->sgs);
	export_aas_free(ex);
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
			rc |= export_kinds_service(ex, path, c, jp) == -1 ? -1 : 0;
		else if (kind == 'g')
			rc |= export_kinds_sg(ex, path, c, jp);
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
		const cJSON *f = ex->reload ? NULL :
		    cJSON_GetObjectItemCaseSensitive(root, "failures"), *c;

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

		rc = export_kinds_service(ex, path,
		    cJSON_DetachItemFromObjectCaseSensitive(root, "service"),
		    jp);
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
		rc = export_kinds_taskdef(ex, path, td, tags, jp);
		jpath_pop(jp, mark);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "containerDefinitions") !=
	    NULL) {
		rc = export_kinds_taskdef(ex, path, root, NULL, jp);
		return rc;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "SecurityGroups") != NULL) {
		rc = each(ex, path, root, "SecurityGroups", 'g', jp);
		goto out;
	}
	/* Application Auto Scaling and CloudWatch describe-* pages. */
	if (cJSON_GetObjectItemCaseSensitive(root, "ScalableTargets") != NULL) {
		rc = export_aas_page(ex, path, root, jp, XAAS_TARGET);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "ScalingPolicies") != NULL) {
		rc = export_aas_page(ex, path, root, jp, XAAS_POLICY);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "ScheduledActions") !=
	    NULL) {
		rc = export_aas_page(ex, path, root, jp, XAAS_ACTION);
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "MetricAlarms") != NULL ||
	    cJSON_GetObjectItemCaseSensitive(root, "CompositeAlarms") != NULL) {
		rc = export_aas_page(ex, path, root, jp, XAAS_ALARM);
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
		rc = export_kinds_service(ex, path, root, jp);
		return rc;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "GroupId") != NULL &&
	    cJSON_GetObjectItemCaseSensitive(root, "IpPermissions") != NULL) {
		rc = export_kinds_sg(ex, path, root, jp);
		return rc;
	}
	log_errx("%s: %s: not an export f2o reads (expected the output of aws "
	    "ecs describe-services, aws ecs describe-task-definition or aws "
	    "ec2 describe-security-groups; aws application-autoscaling "
	    "describe-scalable-targets, describe-scaling-policies or "
	    "describe-scheduled-actions; aws cloudwatch describe-alarms)",
	    path, jp->buf);
out:
	cJSON_Delete(root);
	return rc;
}

int
export_parse(struct export *ex, const char *path, const char *buf,
    size_t len)
{
	struct jpath jp;
	struct xfile *f;
	cJSON *root = NULL;
	int rc;

	if (json_parse_dup(&root, path, buf, len, (enum json_dup)ex->dup) ==
	    -1)
		return -1;
	jpath_init(&jp, "$");
	rc = classify(ex, path, root, &jp, 0);
	/* A file of services: what export_svc_hold may read again. */
	f = ex->nfiles > 0 ? &ex->files[ex->nfiles - 1] : NULL;
	if (!ex->reload && f != NULL && strcmp(f->path, path) == 0)
		f->size = len;
	return rc;
}

void
export_svc_release(struct export *ex)
{
	size_t i;

	for (i = 0; i < ex->nheld; i++) {
		cJSON_Delete(ex->held[i]->svc);
		ex->held[i]->svc = NULL;
	}
	ex->nheld = 0;
}

/* The tree back where it was, and held. */
static void
attach(struct export *ex, struct xsvc *s, cJSON *svc)
{
	s->svc = svc;
	if (s->td_ref != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(s->svc, "taskDefinition",
		    cJSON_CreateString(s->td_ref));
	ex->held = xreallocarray(ex->held, ex->nheld + 1, sizeof(*ex->held));
	ex->held[ex->nheld++] = s;
}

/* s alone, from its bytes (export_slice_note). */
static int
hold_slice(struct export *ex, const struct xsvc *cs)
{
	struct xsvc *s = &ex->svcs[cs - ex->svcs];
	cJSON *svc = export_raw_parse(ex, s->slice_off, s->slice_len, s->src);

	if (!cJSON_IsObject(svc)) {
		cJSON_Delete(svc);
		ex->failed = true;
		return -1;
	}
	export_kinds_revive(svc);
	attach(ex, s, svc);
	return 0;
}

/* Services of file k read again (its copy): each tree back where it was. */
static int
reload_file(struct export *ex, size_t k)
{
	const struct xfile *f = &ex->files[k];
	struct export *re;
	struct xsvc *s, *t;
	char *buf, *key;
	size_t i, j;

	re = export_new();
	re->reload = true;
	/*
	 * The same bytes as before: the duplicated keys were refused or
	 * warned about then; now only the last value is kept, quietly.
	 */
	re->dup = ex->dup == JSON_DUP_LAST ? JSON_DUP_LAST_QUIET :
	    JSON_DUP_KEEP;
	if ((buf = export_raw_read(ex, f->raw_off, f->size, f->path)) ==
	    NULL || export_parse(re, f->path, buf, f->size) == -1) {
		free(buf);
		export_free(re);
		return -1;
	}
	free(buf);
	for (i = 0; i < re->nsvcs; i++) {
		t = &re->svcs[i];
		key = export_svc_key(t->cluster, t->name);
		if (hashmap_get(&ex->svc_idx, key, &j) &&
		    (s = &ex->svcs[j])->file == k && s->svc == NULL &&
		    strcmp(s->jpath, t->jpath) == 0) {
			attach(ex, s, t->svc);
			t->svc = NULL;
		}
		free(key);
	}
	export_free(re);
	return 0;
}

int
export_svc_hold(struct export *ex, const struct xsvc *s)
{
	/* Not read from a file (a unit test's): nothing to read again. */
	if (s->svc != NULL || ex == NULL || s < ex->svcs ||
	    s >= ex->svcs + ex->nsvcs)
		return 0;
	export_svc_release(ex);
	if (ex->failed)
		return -1;		/* logged */
	if (s->slice_len > 0 && !(ex->files[s->file].size <=
	    EXPORT_RELOAD_WHOLE && s + 1 < ex->svcs + ex->nsvcs &&
	    s[1].file == s->file))
		return hold_slice(ex, s);
	if (reload_file(ex, s->file) == -1) {
		ex->failed = true;
		return -1;
	}
	if (s->svc == NULL) {
		log_errx("%s: %s: service \"%s\" is no longer there: the file "
		    "changed while f2o-translate read it", s->src, s->jpath,
		    s->name);
		ex->failed = true;
		return -1;
	}
	return 0;
}

/* A directory's entry to expand: its path and whether it is a folder. */
struct dent {
	char	*path;
	int	 isdir;
};

static int
cmp_dent(const void *a, const void *b)
{
	return strcmp(((const struct dent *)a)->path,
	    ((const struct dent *)b)->path);
}

/*
 * Expand directories (recursively, *.json files) into a sorted list; each
 * file's display name is its path below the input argument (or the
 * argument's last component for a file).
 */
static int
collect(char ***files, char ***names_out, size_t *n, const char *path,
    const char *display, int depth, int isdir)
{
	struct dirent *de;
	struct dent *names = NULL;
	size_t nn = 0, i;
	DIR *d;
	int rc = 0;

	if (isdir == -1)
		isdir = fsio_is_dir(path);
	if (!isdir) {
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
		int dir;

		if (de->d_name[0] == '.')
			continue;
		full = xasprintf("%s/%s", path, de->d_name);
		/* No stat where readdir says what the entry is. */
		dir = de->d_type == DT_DIR ? 1 : de->d_type == DT_REG ? 0 :
		    fsio_is_dir(full);
		if (!dir && (l < 5 ||
		    strcmp(de->d_name + l - 5, ".json") != 0)) {
			free(full);
			continue;
		}
		names = xreallocarray(names, nn + 1, sizeof(*names));
		names[nn].path = full;
		names[nn++].isdir = dir;
	}
	closedir(d);
	if (nn > 1)
		qsort(names, nn, sizeof(*names), cmp_dent);
	for (i = 0; i < nn; i++) {
		const char *base = strrchr(names[i].path, '/') + 1;
		char *disp = depth == 0 ? xstrdup(base) :
		    xasprintf("%s/%s", display, base);

		if (rc == 0 && collect(files, names_out, n, names[i].path,
		    disp, depth + 1, names[i].isdir) == -1)
			rc = -1;
		free(disp);
		free(names[i].path);
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
		char *k = export_svc_key(ex->svcs[i].cluster, ex->svcs[i].name);

		hashmap_put(&ex->svc_idx, k, i);
		free(k);
	}
	for (i = 0; i < ex->ntds; i++)
		hashmap_put(&ex->td_idx, ex->tds[i].key, i);
	for (i = 0; i < ex->nsgs; i++)
		hashmap_put(&ex->sg_idx, ex->sgs[i].id, i);
}

/* True when a is the same file as skip (the --config file, *sk). */
static bool
same_file(const struct stat *a, const struct stat *sk)
{
	return sk != NULL && a->st_dev == sk->st_dev &&
	    a->st_ino == sk->st_ino;
}

/*
 * The bytes of a file that gave services, task definitions or security
 * groups (from first, first_td, first_sg on) kept in ex's copy, and
 * their places moved there. 0, or -1 (logged).
 */
static int
keep_bytes(struct export *ex, const char *path, const char *buf,
    size_t len, size_t first, size_t first_td, size_t first_sg)
{
	struct xfile *f;
	long long base;

	if (first == ex->nsvcs && first_td == ex->ntds && first_sg == ex->nsgs)
		return 0;
	if (export_raw_keep(ex, path, buf, len, &base) == -1)
		return -1;
	for (; first < ex->nsvcs; first++)
		ex->svcs[first].slice_off += base;
	for (; first_td < ex->ntds; first_td++) {
		ex->tds[first_td].slice_off += base;
		ex->tds[first_td].tags_off += base;
	}
	for (; first_sg < ex->nsgs; first_sg++)
		ex->sgs[first_sg].slice_off += base;
	f = ex->nfiles > 0 ? &ex->files[ex->nfiles - 1] : NULL;
	if (f != NULL && strcmp(f->path, path) == 0)
		f->raw_off = base;
	return 0;
}

int
export_load(struct export **out, char *const *inputs, size_t n,
    const char *skip, int dup, const char *near)
{
	struct export *ex = export_new();
	char **files = NULL, **disp = NULL, *buf;
	size_t nfiles = 0, i, len, first, first_td, first_sg;
	struct stat skst, st;
	int rc = 0;

	*out = NULL;
	ex->dup = dup;
	ex->raw_near = near;
	if (skip != NULL && stat(skip, &skst) == -1)
		skip = NULL;	/* no such file: none to skip */
	for (i = 0; i < n; i++) {
		const char *slash = strrchr(inputs[i], '/');
		char *base = xstrdup(slash != NULL && slash[1] != '\0' ?
		    slash + 1 : inputs[i]);

		if (collect(&files, &disp, &nfiles, inputs[i], base, 0,
		    -1) == -1)
			rc = -1;
		free(base);
	}
	if (rc == 0 && nfiles == 0) {
		log_errx("no .json export files found in the inputs");
		rc = -1;
	}
	/* Every file is read, whatever failed before: all errors shown. */
	for (i = 0; nfiles > 0 && i < nfiles; i++) {
		if (fsio_read_stat(&buf, &len, files[i], FSIO_MAX_INPUT,
		    &st) == -1) {
			rc = -1;
			continue;
		}
		if (same_file(&st, skip != NULL ? &skst : NULL)) {
			free(buf);	/* a --config file beside the exports */
			continue;
		}
		ex->display = disp[i];
		first = ex->nsvcs;
		first_td = ex->ntds;
		first_sg = ex->nsgs;
		if (export_parse(ex, files[i], buf, len) == -1)
			rc = -1;
		ex->display = NULL;
		export_slice_note(ex, first, buf, len);
		export_slice_note_tds(ex, first_td, buf, len);
		export_slice_note_sgs(ex, first_sg, buf, len);
		if (keep_bytes(ex, files[i], buf, len, first, first_td,
		    first_sg) == -1)
			rc = -1;
		free(buf);
		/* Summaries stay; trees come back on demand. */
		for (; first < ex->nsvcs; first++) {
			cJSON_Delete(ex->svcs[first].svc);
			ex->svcs[first].svc = NULL;
		}
	}
	for (i = 0; i < nfiles; i++) {
		free(files[i]);
		free(disp[i]);
	}
	free(files);
	free(disp);
	if (nfiles > 0 && export_aas_finish(ex) == -1)
		rc = -1;
	if (rc == -1) {
		export_free(ex);
		return -1;
	}
	export_sort(ex);
	/* Nothing is added any more: no room to spare (about a third). */
	if (ex->nsvcs > 0)
		ex->svcs = xreallocarray(ex->svcs, ex->nsvcs, sizeof(*ex->svcs));
	if (ex->ntds > 0)
		ex->tds = xreallocarray(ex->tds, ex->ntds, sizeof(*ex->tds));
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
	/*
	 * "family:N" and only a task definition without a revision (the
	 * input of register-task-definition): that file stands for it.
	 */
	if ((p = strchr(want_key, ':')) != NULL) {
		char *fam = xstrndup(want_key, (size_t)(p - want_key));

		if (hashmap_get(&ex->td_idx, fam, &i) &&
		    ex->tds[i].revision == 0)
			best = &ex->tds[i];
		free(fam);
		free(want_key);
		return best;
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
