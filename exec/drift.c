/*
 * The preflight's drift rule: expected state of each fingerprinted service
 * (export, or what f2o made per the journal), comparison, report. See drift.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drift.h"
#include "fingerprint.h"
#include "jstate.h"
#include "jsonutil.h"
#include "log.h"
#include "outputs.h"
#include "progress.h"
#include "xalloc.h"

/* The fields of a service f2o re-created that must be as f2o sent them. */
static const char *const created_fields[] = {
	"taskDefinition", "loadBalancers", "serviceRegistries", NULL
};

char *
drift_value_text(const cJSON *v)
{
	char *s, *t;
	size_t n;

	if (v == NULL || cJSON_IsNull(v))
		return xstrdup("(none)");
	if (cJSON_IsString(v))
		s = xstrdup(v->valuestring);
	else {
		t = cJSON_PrintUnformatted(v);
		s = xstrdup(t != NULL ? t : "?");
		cJSON_free(t);
	}
	n = strlen(s);
	if (n > DRIFT_MAX_VALUE) {
		t = xasprintf("%.*s...(%zu chars)", DRIFT_MAX_VALUE - 20, s, n);
		free(s);
		s = t;
	}
	return s;
}

static void
emit(struct drift *d, cJSON *ev)
{
	char *s;

	if (d->ctx->progress != NULL) {
		progress_event(d->ctx->progress, ev);
		return;
	}
	if (d->ctx->opts->json) {
		s = cJSON_PrintUnformatted(ev);
		if (s != NULL)
			printf("%s\n", s);
		cJSON_free(s);
		(void)fflush(stdout);
	}
	cJSON_Delete(ev);
}

void
drift_refuse(struct drift *d, const char *kind, const char *what,
    const char *want, const char *have, const char *reason)
{
	cJSON *ev;

	d->nrefused++;
	log_warnx("preflight: %s: %s", what, reason);
	ev = cJSON_CreateObject();
	json_add_str(ev, "event", "preflight-refused");
	json_add_str(ev, "precondition", kind);
	json_add_str(ev, "resource", what);
	if (want != NULL)
		json_add_str(ev, "bundle", want);
	if (have != NULL)
		json_add_str(ev, "live", have);
	json_add_str(ev, "reason", reason);
	emit(d, ev);
}

struct diffarg {
	struct drift	*d;
	const char	*kind;		/* "service", "security group" */
	const char	*name;
	const char	*note;		/* or NULL */
};

static void
leaf_diff(const char *field, const cJSON *want, const cJSON *have, void *arg)
{
	struct diffarg *a = arg;
	cJSON *ev;
	char *w, *h;

	a->d->ndiff++;
	w = drift_value_text(want);
	h = drift_value_text(have);
	log_warnx("%s %s: %s: %s %s -> live %s", a->kind, a->name, field,
	    a->note != NULL ? a->note : "export", w, h);
	free(w);
	free(h);
	ev = cJSON_CreateObject();
	json_add_str(ev, "event", "drift");
	json_add_str(ev, "resource", a->kind);
	json_add_str(ev, "name", a->name);
	json_add_str(ev, "field", field);
	json_add_str(ev, "expected", a->note != NULL ? "f2o" : "export");
	cJSON_AddItemToObject(ev, "export", want != NULL ?
	    cJSON_Duplicate(want, 1) : cJSON_CreateNull());
	cJSON_AddItemToObject(ev, "live", have != NULL ?
	    cJSON_Duplicate(have, 1) : cJSON_CreateNull());
	emit(a->d, ev);
}

/* The items of a (an array or null) that b lacks, as a new array. */
static cJSON *
only_in(const cJSON *a, const cJSON *b)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *x, *y;
	char *cx, *cy;
	bool found;

	cJSON_ArrayForEach(x, a) {
		found = false;
		cx = json_canonical(x);
		cJSON_ArrayForEach(y, b) {
			cy = json_canonical(y);
			if (cx != NULL && cy != NULL && strcmp(cx, cy) == 0)
				found = true;
			free(cy);
		}
		free(cx);
		if (!found)
			cJSON_AddItemToArray(out, cJSON_Duplicate(x, 1));
	}
	return out;
}

static bool
is_list(const cJSON *v)
{
	return v == NULL || cJSON_IsNull(v) || cJSON_IsArray(v);
}

/*
 * Narrow a difference to what changed: objects member by member (field
 * "a.b"), lists as the items gone live and the items added live, other
 * values as they are; depth bounded by the fingerprint's shape.
 */
static void
one_diff(const char *field, const cJSON *want, const cJSON *have, void *arg)
{
	struct diffarg *a = arg;
	const cJSON *c, *o;
	cJSON *gone, *added;
	char *f, *x, *y;
	bool same;

	if (cJSON_IsObject(want) && cJSON_IsObject(have)) {
		cJSON_ArrayForEach(c, want) {
			o = cJSON_GetObjectItemCaseSensitive(have, c->string);
			x = json_canonical(c);
			y = o != NULL ? json_canonical(o) : NULL;
			same = x != NULL && y != NULL && strcmp(x, y) == 0;
			free(x);
			free(y);
			if (same)
				continue;
			f = xasprintf("%s.%s", field, c->string);
			one_diff(f, c, o, a);
			free(f);
		}
		cJSON_ArrayForEach(c, have) {
			if (cJSON_HasObjectItem(want, c->string))
				continue;
			f = xasprintf("%s.%s", field, c->string);
			one_diff(f, NULL, c, a);
			free(f);
		}
		return;
	}
	if (!is_list(want) || !is_list(have) || (want == NULL && have ==
	    NULL)) {
		leaf_diff(field, want, have, arg);
		return;
	}
	gone = only_in(want, have);
	added = only_in(have, want);
	if (cJSON_GetArraySize(gone) > 0 && cJSON_GetArraySize(added) > 0)
		leaf_diff(field, gone, added, a);
	else if (cJSON_GetArraySize(gone) > 0) {
		f = xasprintf("%s (gone live)", field);
		leaf_diff(f, gone, NULL, a);
		free(f);
	} else if (cJSON_GetArraySize(added) > 0) {
		f = xasprintf("%s (added live)", field);
		leaf_diff(f, NULL, added, a);
		free(f);
	} else
		leaf_diff(field, want, have, arg);
	cJSON_Delete(gone);
	cJSON_Delete(added);
}

void
drift_compare(struct drift *d, const char *kind, const char *name, bool mine,
    const cJSON *want, const cJSON *have)
{
	struct diffarg a;

	memset(&a, 0, sizeof(a));
	a.d = d;
	a.kind = kind;
	a.name = name;
	a.note = mine ? "f2o" : NULL;
	if (want == NULL && have == NULL)
		return;
	if (want == NULL || have == NULL) {
		leaf_diff(want == NULL ? "(added live)" : "(deleted live)",
		    want, have, &a);
		return;
	}
	(void)fingerprint_diff(want, have, one_diff, &a);
}

/* "arn:aws:ecs:r:a:service/cluster/name" or "name" -> name (borrowed). */
static const char *
last_part(const char *s)
{
	const char *p = s != NULL ? strrchr(s, '/') : NULL;

	return p != NULL ? p + 1 : s;
}

enum drift_owner
drift_owner(struct run_ctx *ctx, const struct journal *j,
    const char *cluster, const char *name, cJSON **req)
{
	const struct plan_step *st;
	enum drift_owner own = DRIFT_EXPORT;
	const char *c, *n;
	cJSON *r;
	size_t i;
	bool create;

	if (req != NULL)
		*req = NULL;
	if (j == NULL)
		return DRIFT_EXPORT;
	for (i = 0; i < ctx->plan->nsteps; i++) {
		st = &ctx->plan->steps[i];
		create = strcmp(st->action, "ecs:CreateService") == 0;
		if ((!create && strcmp(st->action, "ecs:DeleteService") != 0) ||
		    journal_state(j, st->id) != JSTEP_DONE)
			continue;
		r = run_step_request(ctx, st, create);
		if (r == NULL)
			continue;
		c = json_str(r, "cluster");
		n = json_str(r, create ? "serviceName" : "service");
		if (strcmp(last_part(c != NULL ? c : "default"), cluster) !=
		    0 || n == NULL || strcmp(last_part(n), name) != 0) {
			cJSON_Delete(r);
			continue;
		}
		own = create ? DRIFT_CREATED : DRIFT_DELETED;
		if (req != NULL) {
			cJSON_Delete(*req);
			*req = create ? r : NULL;
			if (create)
				continue;
		}
		cJSON_Delete(r);
	}
	return own;
}

int
drift_service(struct drift *d, const struct journal *j, const char *key,
    const cJSON *fp, const cJSON *live)
{
	struct diffarg a;
	cJSON *have = NULL, *want = NULL, *req = NULL, *mine = NULL, *h2;
	const char *status, *slash;
	char *cluster, *why;
	enum drift_owner own;
	size_t k;

	slash = strchr(key, '/');
	if (slash == NULL) {
		log_errx("manifest.json: $.fingerprints.services: key \"%s\" "
		    "is not CLUSTER/NAME", key);
		return -1;
	}
	cluster = xstrndup(key, (size_t)(slash - key));
	own = drift_owner(d->ctx, j, cluster, slash + 1, &req);
	free(cluster);
	if (own == DRIFT_DELETED)
		return 0;	/* f2o took it down: draining or gone */
	status = json_str(live, "status");
	if (live == NULL || status == NULL || strcmp(status, "ACTIVE") != 0) {
		why = xasprintf("the service is %s; the bundle %s an ACTIVE "
		    "service", live == NULL ? "missing" : status != NULL ?
		    status : "of unknown status", own == DRIFT_CREATED ?
		    "(which re-created it) expects" : "was made from");
		drift_refuse(d, "service", key, "ACTIVE", live == NULL ?
		    "MISSING" : status, why);
		free(why);
		cJSON_Delete(req);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.d = d;
	a.kind = "service";
	a.name = key;
	have = fingerprint_service(live);
	if (own == DRIFT_EXPORT) {
		(void)fingerprint_diff(fp, have, one_diff, &a);
		goto out;
	}
	/* f2o re-created it: compare the fields f2o set with its request. */
	a.note = "f2o made";
	if (req != NULL)
		mine = fingerprint_service(req);
	want = cJSON_CreateObject();
	h2 = cJSON_CreateObject();
	for (k = 0; created_fields[k] != NULL; k++) {
		if (req == NULL || !cJSON_HasObjectItem(req,
		    created_fields[k]))
			continue;
		cJSON_AddItemToObject(want, created_fields[k], cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(mine, created_fields[k]),
		    1));
		cJSON_AddItemToObject(h2, created_fields[k], cJSON_Duplicate(
		    cJSON_GetObjectItemCaseSensitive(have, created_fields[k]),
		    1));
	}
	(void)fingerprint_diff(want, h2, one_diff, &a);
	cJSON_Delete(h2);
out:
	cJSON_Delete(mine);
	cJSON_Delete(want);
	cJSON_Delete(have);
	cJSON_Delete(req);
	return 0;
}

/*
 * AWS merges and splits permissions of the same protocol and ports as it
 * likes: compare rules, one per source (a CIDR, prefix list or group),
 * as {IpProtocol, FromPort, ToPort, <the source's members>}, sorted.
 */
static cJSON *
sg_rules(const cJSON *perms)
{
	static const char *const lists[] = { "IpRanges", "Ipv6Ranges",
	    "PrefixListIds", "UserIdGroupPairs", NULL };
	const cJSON *p, *src, *m;
	cJSON *out, *r, *sorted;
	char **keys;
	size_t k, n = 0, i, j;

	out = cJSON_CreateArray();
	cJSON_ArrayForEach(p, perms)
		for (k = 0; lists[k] != NULL; k++)
			cJSON_ArrayForEach(src, cJSON_GetObjectItemCaseSensitive(
			    p, lists[k])) {
				r = cJSON_CreateObject();
				json_add_str(r, "IpProtocol", json_str(p,
				    "IpProtocol") != NULL ? json_str(p,
				    "IpProtocol") : "-1");
				m = cJSON_GetObjectItemCaseSensitive(p,
				    "FromPort");
				if (cJSON_IsNumber(m))
					json_add_num(r, "FromPort",
					    m->valuedouble);
				m = cJSON_GetObjectItemCaseSensitive(p,
				    "ToPort");
				if (cJSON_IsNumber(m))
					json_add_num(r, "ToPort",
					    m->valuedouble);
				cJSON_ArrayForEach(m, src)
					cJSON_AddItemToObject(r, m->string,
					    cJSON_Duplicate(m, 1));
				json_sort_keys(r);
				cJSON_AddItemToArray(out, r);
				n++;
			}
	/* sorted by canonical JSON, duplicates dropped */
	keys = xcalloc(n + 1, sizeof(*keys));
	i = 0;
	cJSON_ArrayForEach(r, out)
		keys[i++] = json_canonical(r);
	sorted = cJSON_CreateArray();
	for (;;) {
		k = n;
		for (i = 0; i < n; i++)
			if (keys[i] != NULL && (k == n ||
			    strcmp(keys[i], keys[k]) < 0))
				k = i;
		if (k == n)
			break;
		cJSON_AddItemToArray(sorted, cJSON_Duplicate(
		    cJSON_GetArrayItem(out, (int)k), 1));
		for (j = 0; j < n; j++)
			if (j != k && keys[j] != NULL &&
			    strcmp(keys[j], keys[k]) == 0) {
				free(keys[j]);
				keys[j] = NULL;
			}
		free(keys[k]);
		keys[k] = NULL;
	}
	free(keys);
	cJSON_Delete(out);
	return sorted;
}

/* A group fingerprint with its permission lists as rules. */
static cJSON *
sg_flat(const cJSON *fp)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *c;

	cJSON_ArrayForEach(c, fp)
		cJSON_AddItemToObject(o, c->string, (strcmp(c->string,
		    "IpPermissions") == 0 || strcmp(c->string,
		    "IpPermissionsEgress") == 0) ? sg_rules(c) :
		    cJSON_Duplicate(c, 1));
	return o;
}

int
drift_sg(struct drift *d, const char *id, const cJSON *fp, const cJSON *live)
{
	struct diffarg a;
	cJSON *have, *want, *h;

	if (live == NULL) {
		drift_refuse(d, "security-group", id, id, "MISSING", "the "
		    "security group is missing; the bundle merged its rules");
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.d = d;
	a.kind = "security group";
	a.name = id;
	have = fingerprint_sg(live);
	want = sg_flat(fp);
	h = sg_flat(have);
	(void)fingerprint_diff(want, h, one_diff, &a);
	cJSON_Delete(h);
	cJSON_Delete(want);
	cJSON_Delete(have);
	return 0;
}

/*
 * Apply a done RegisterScalableTarget request to the expected state:
 * MinCapacity, MaxCapacity and each SuspendedState member it names.
 */
static void
target_apply(cJSON *want, const cJSON *req)
{
	static const char *const caps[] = { "MinCapacity", "MaxCapacity",
	    NULL };
	const cJSON *v, *m;
	cJSON *st;
	size_t i;

	for (i = 0; caps[i] != NULL; i++) {
		v = cJSON_GetObjectItemCaseSensitive(req, caps[i]);
		if (cJSON_IsNumber(v))
			cJSON_ReplaceItemInObjectCaseSensitive(want, caps[i],
			    cJSON_Duplicate(v, 1));
	}
	st = cJSON_GetObjectItemCaseSensitive(want, "SuspendedState");
	v = cJSON_GetObjectItemCaseSensitive(req, "SuspendedState");
	cJSON_ArrayForEach(m, v)
		if (cJSON_IsBool(m) && cJSON_HasObjectItem(st, m->string))
			cJSON_ReplaceItemInObjectCaseSensitive(st, m->string,
			    cJSON_Duplicate(m, 1));
}

int
drift_scalable_target(struct drift *d, const struct journal *j,
    const char *key, const cJSON *fp, const cJSON *live)
{
	const struct plan_step *st;
	struct diffarg a;
	cJSON *want, *have, *r;
	const char *rid;
	bool reg, mine = false, gone = false;
	size_t i;

	want = cJSON_Duplicate(fp, 1);
	/* The resume rule: what f2o's done steps set on this target. */
	for (i = 0; j != NULL && i < d->ctx->plan->nsteps; i++) {
		st = &d->ctx->plan->steps[i];
		reg = strcmp(st->action,
		    "application-autoscaling:RegisterScalableTarget") == 0;
		if ((!reg && strcmp(st->action,
		    "application-autoscaling:DeregisterScalableTarget") != 0) ||
		    journal_state(j, st->id) != JSTEP_DONE)
			continue;
		r = run_step_request(d->ctx, st, false);
		rid = json_str(r, "ResourceId");
		if (rid != NULL && strcmp(rid, key) == 0) {
			mine = true;
			gone = !reg;
			if (reg)
				target_apply(want, r);
		}
		cJSON_Delete(r);
	}
	if (gone) {
		cJSON_Delete(want);
		return 0;	/* f2o deregistered it: not looked at */
	}
	if (live == NULL) {
		cJSON_Delete(want);
		drift_refuse(d, "scalable-target", key, key, "MISSING", "the "
		    "scalable target is missing; the bundle carries its scaling "
		    "(policies, scheduled actions) from the export");
		return 0;
	}
	memset(&a, 0, sizeof(a));
	a.d = d;
	a.kind = "scalable target";
	a.name = key;
	a.note = mine ? "f2o" : NULL;
	have = fingerprint_scalable_target(live);
	(void)fingerprint_diff(want, have, one_diff, &a);
	cJSON_Delete(have);
	cJSON_Delete(want);
	return 0;
}
