/*
 * Pipeline-state services for the stages: warnings, request files,
 * templates (with their digests for the manifest), resolved parameters, tags.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "digest.h"
#include "fsio.h"
#include "hashmap.h"
#include "iampolicy.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "xalloc.h"

#define CTX_MAX_TEMPLATE	(16UL * 1024 * 1024)

/*
 * Services and task definitions by name, key and file, for the warnings
 * (one look-up each, not a pass over the export): "n" name, "k" task
 * definition key, "s" / "t" file of a service / task definition -> the
 * first index. Made once the export is loaded.
 */
struct ctx_index {
	const struct export *ex;
	struct hashmap m;
};

void
ctx_cleanup(struct xlate *x)
{
	if (x->where == NULL)
		return;
	hashmap_cleanup(&x->where->m);
	free(x->where);
	x->where = NULL;
}

static void
ctx_index_put(struct hashmap *m, char kind, const char *s, size_t i)
{
	char *k = xasprintf("%c%s", kind, s);

	hashmap_put(m, k, i);
	free(k);
}

/* Whether kind + s is in the index (x->ex loaded), and where. */
static bool
ctx_index_get(struct xlate *x, char kind, const char *s, size_t *i)
{
	struct ctx_index *ix = x->where;
	size_t j;
	char *k;
	bool found;

	if (ix == NULL || ix->ex != x->ex) {
		ctx_cleanup(x);
		ix = x->where = xcalloc(1, sizeof(*ix));
		hashmap_init(&ix->m);
		ix->ex = x->ex;
		/* Backwards: the first of equal names wins. */
		for (j = x->ex->nsvcs; j-- > 0; ) {
			ctx_index_put(&ix->m, 'n', x->ex->svcs[j].name, j);
			ctx_index_put(&ix->m, 's', x->ex->svcs[j].src, j);
		}
		for (j = x->ex->ntds; j-- > 0; ) {
			ctx_index_put(&ix->m, 'k', x->ex->tds[j].key, j);
			ctx_index_put(&ix->m, 't', x->ex->tds[j].src, j);
		}
	}
	k = xasprintf("%c%s", kind, s);
	found = hashmap_get(&ix->m, k, i);
	free(k);
	return found;
}

/* The file and JSON path of the service or task definition subject. */
static void
ctx_where(struct xlate *x, const char *subject, const char **file,
    const char **path)
{
	size_t i;

	*file = NULL;
	*path = NULL;
	if (x->ex == NULL || subject == NULL)
		return;
	if (ctx_index_get(x, 'n', subject, &i)) {
		*file = x->ex->svcs[i].src;
		*path = x->ex->svcs[i].jpath;
	} else if (ctx_index_get(x, 'k', subject, &i)) {
		*file = x->ex->tds[i].src;
		*path = x->ex->tds[i].jpath;
	}
}

/*
 * The name of an input file as the bundle shows it: relative to its input
 * argument (the same however the path was spelled), else file itself.
 */
static const char *
ctx_display(struct xlate *x, const char *file)
{
	size_t i;
	int k;

	if (x->ex == NULL || file == NULL)
		return file;
	if (ctx_index_get(x, 's', file, &i))
		return x->ex->svcs[i].srcname;
	if (ctx_index_get(x, 't', file, &i))
		return x->ex->tds[i].srcname;
	for (k = 0; k < XAAS__MAX; k++)
		for (i = 0; i < x->ex->aas[k].n; i++)
			if (strcmp(x->ex->aas[k].items[i].src, file) == 0)
				return x->ex->aas[k].items[i].srcname;
	return file;
}

void
ctx_warns_rename(struct xlate *x)
{
	size_t i;

	for (i = 0; i < x->nwarns; i++) {
		const char *d = ctx_display(x, x->warns[i].subject);

		if (d != x->warns[i].subject) {
			char *n = xstrdup(d);

			free(x->warns[i].subject);
			x->warns[i].subject = n;
		}
	}
}

/* Set while ctx_warn / ctx_diag_warn print: they record themselves. */
static int ctx_self;

void
ctx_warn_hook(void *arg, const char *file, const char *path,
    const char *text)
{
	struct xlate *x = arg;

	if (ctx_self || x == NULL)
		return;
	x->warns = xreallocarray(x->warns, x->nwarns + 1, sizeof(*x->warns));
	x->warns[x->nwarns].subject = xstrdup(file != NULL ?
	    ctx_display(x, file) : "-");
	x->warns[x->nwarns].message = xasprintf("%s%s%s",
	    path != NULL ? path : "", path != NULL ? ": " : "", text);
	x->nwarns++;
}

void
ctx_warn(struct xlate *x, const char *subject, const char *fmt, ...)
{
	const char *file, *path;
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	msg = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(msg, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ctx_where(x, subject, &file, &path);
	ctx_self = 1;
	log_diag(0, file, path, NULL, NULL, "%s: %s", subject, msg);
	ctx_self = 0;
	x->warns = xreallocarray(x->warns, x->nwarns + 1, sizeof(*x->warns));
	x->warns[x->nwarns].subject = xstrdup(subject);
	x->warns[x->nwarns].message = msg;
	x->nwarns++;
}

void
ctx_diag_warn(struct xlate *x, const char *subject, const char *file,
    const char *path, const char *value, const char *hint,
    const char *fmt, ...)
{
	char msg[1024], val[LOG_MAX_VALUE + 1];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx_self = 1;
	log_diag(0, file, path, value, hint, "%s", msg);
	ctx_self = 0;
	if (value != NULL)
		log_value(val, sizeof(val), path, value);
	x->warns = xreallocarray(x->warns, x->nwarns + 1, sizeof(*x->warns));
	x->warns[x->nwarns].subject = xstrdup(subject);
	x->warns[x->nwarns].message = xasprintf("%s: %s: %s%s%s%s%s%s",
	    file != NULL ? ctx_display(x, file) : "-",
	    path != NULL ? path : "$", msg,
	    value != NULL ? ": \"" : "", value != NULL ? val : "",
	    value != NULL ? "\"" : "", hint != NULL ? ": " : "",
	    hint != NULL ? hint : "");
	x->nwarns++;
}

void
ctx_resolved(struct xlate *x, const char *name, cJSON *value)
{
	if (x->resolved == NULL) {	/* a stage run alone (unit tests) */
		cJSON_Delete(value);
		return;
	}
	json_del(x->resolved, name);
	cJSON_AddItemToObject(x->resolved, name, value);
}

/* "requests/<step id>.json", without printf (a path per request). */
static char *
request_path(const char *step_id)
{
	size_t n = strlen(step_id);
	char *path = xmalloc(n + sizeof("requests/.json"));

	memcpy(path, "requests/", 9);
	memcpy(path + 9, step_id, n);
	memcpy(path + 9 + n, ".json", sizeof(".json"));
	return path;
}

char *
ctx_request(struct xlate *x, const char *step_id, const cJSON *req)
{
	char *path = request_path(step_id);

	if (bundle_add_json(x->bundle, path, req) == -1) {
		free(path);
		return NULL;
	}
	iampolicy_note_take(x, path, cJSON_Duplicate(req, 1));
	return path;
}

char *
ctx_request_take(struct xlate *x, const char *step_id, cJSON *req)
{
	char *path = request_path(step_id);

	if (bundle_add_json(x->bundle, path, req) == -1) {
		free(path);
		cJSON_Delete(req);
		return NULL;
	}
	iampolicy_note_take(x, path, req);
	return path;
}

char *
ctx_template(struct xlate *x, const char *name, size_t *len)
{
	const char *user = opt_str(x->opt, "templates");
	char *path = NULL, *buf = NULL, hex[DIGEST_HEX_LEN + 1];
	const char *origin = "default";
	cJSON *rec;

	if (user != NULL) {
		path = xasprintf("%s/%s", user, name);
		if (access(path, F_OK) == 0)
			origin = "user";
		else {
			free(path);
			path = NULL;
		}
	}
	if (path == NULL)
		path = xasprintf("%s/%s", x->templates_dir, name);
	if (fsio_read_bounded(&buf, len, path, CTX_MAX_TEMPLATE) == -1) {
		log_errx("template %s: cannot be read from %s%s", name,
		    user != NULL ? user : "", user != NULL ?
		    " or the default templates" : "the default templates");
		free(path);
		return NULL;
	}
	free(path);
	if (digest_sha256_hex(hex, buf, *len) == -1) {
		free(buf);
		return NULL;
	}
	if (cJSON_GetObjectItemCaseSensitive(x->templates, name) == NULL) {
		rec = cJSON_CreateObject();
		json_add_str(rec, "origin", origin);
		json_add_str(rec, "sha256", hex);
		cJSON_AddItemToObject(x->templates, name, rec);
	}
	return buf;
}

cJSON *
ctx_template_json(struct xlate *x, const char *name)
{
	size_t len;
	char *buf = ctx_template(x, name, &len);
	cJSON *j = NULL;

	if (buf == NULL)
		return NULL;
	if (json_parse(&j, name, buf, len) == -1)
		j = NULL;
	free(buf);
	return j;
}

cJSON *
ctx_tags(const struct xlate *x, const char *keyname, const char *valname)
{
	cJSON *tags = cJSON_CreateArray(), *o;
	const cJSON *c;

	o = cJSON_CreateObject();
	json_add_str(o, keyname, "f2o:bundle-id");
	json_add_str(o, valname, x->bundle_id != NULL ? x->bundle_id : "");
	cJSON_AddItemToArray(tags, o);
	cJSON_ArrayForEach(c, opt_list(x->opt, "tag")) {
		const char *eq = strchr(c->valuestring, '=');

		o = cJSON_CreateObject();
		if (eq == NULL) {
			json_add_str(o, keyname, c->valuestring);
			json_add_str(o, valname, "");
		} else {
			char *k = xstrndup(c->valuestring,
			    (size_t)(eq - c->valuestring));

			json_add_str(o, keyname, k);
			json_add_str(o, valname, eq + 1);
			free(k);
		}
		cJSON_AddItemToArray(tags, o);
	}
	return tags;
}
