/*
 * Export reader: where each service's object lies in its file's bytes, so
 * that export_svc_hold reads it back alone (in any order, one parse each).
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "export.h"
#include "export_int.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

/* The array a jpath's last "[n]" indexes: where the scan of it stands. */
struct slice_at {
	char	*prefix;		/* jpath up to its last '[' */
	size_t	 n;			/* index of the element at i */
	size_t	 i;			/* that element's first byte */
};

/* Element n of the array whose element `from` starts at buf[i]. */
static int
array_seek(const char *buf, size_t len, size_t i, size_t from, size_t n,
    size_t *v, size_t *vend)
{
	size_t e;

	for (;;) {
		if (i >= len || buf[i] == ']' || (e = json_value_end(buf, len,
		    i)) == 0)
			return -1;
		if (from == n) {
			*v = i;
			*vend = e;
			return 0;
		}
		i = json_skip_ws(buf, len, e);
		if (i >= len || buf[i] != ',')
			return -1;
		i = json_skip_ws(buf, len, i + 1);
		from++;
	}
}

/*
 * Member k (klen bytes) of the object at buf[i]: its last one under
 * JSON_DUP_LAST (the one kept), else its first (cJSON's look-up).
 */
static int
member(const char *buf, size_t len, size_t i, const char *k, size_t klen,
    int dup, size_t *v, size_t *vend)
{
	struct json_iter it;
	size_t mv, me;
	char *key;
	int r, found = -1;

	if (json_iter_object(&it, buf, len, i) == -1)
		return -1;
	while ((r = json_iter_member(&it, &key, &mv, &me)) == 1) {
		if (strlen(key) == klen && memcmp(key, k, klen) == 0 &&
		    (found == -1 || dup == JSON_DUP_LAST)) {
			*v = mv;
			*vend = me;
			found = 0;
		}
		free(key);
		if (found == 0 && dup != JSON_DUP_LAST)
			break;
	}
	return r == -1 ? -1 : found;
}

/*
 * The extent of the value at jpath ("$", ".key" and "[n]" steps; the
 * ".items" classify gives a top-level array is no step) in buf. 0, or -1
 * when the path cannot be followed (the caller reads the whole file).
 */
static int
follow(const char *buf, size_t len, const char *path, int dup,
    struct slice_at *at, size_t *v, size_t *vend)
{
	const char *last = strrchr(path, '['), *jp = path, *k;
	size_t i = json_skip_ws(buf, len, 0), e = 0, klen, n;
	char *end;
	bool same = last != NULL && at->prefix != NULL &&
	    strlen(at->prefix) == (size_t)(last - path) &&
	    strncmp(path, at->prefix, (size_t)(last - path)) == 0;

	if (jp[0] != '$')
		return -1;
	/* The next element of the array scanned last: on from there. */
	if (same) {
		n = strtoul(last + 1, &end, 10);
		if (*end == ']' && end[1] == '\0' && n >= at->n &&
		    array_seek(buf, len, at->i, at->n, n, v, vend) == 0) {
			at->n = n;
			at->i = *v;
			return 0;
		}
	}
	for (jp++; *jp != '\0'; ) {
		if (*jp == '.') {
			k = jp + 1;
			klen = strcspn(k, ".[");
			jp = k + klen;
			if (klen == 5 && strncmp(k, "items", 5) == 0 &&
			    buf[i] == '[')
				continue;
			if (klen == 0 || member(buf, len, i, k, klen, dup, &i,
			    &e) == -1)
				return -1;
		} else if (*jp == '[') {
			n = strtoul(jp + 1, &end, 10);
			if (*end != ']' || buf[i] != '[')
				return -1;
			/*
			 * In the array scanned last (a task definition's
			 * envelope, then its tags): on from where it stood.
			 */
			if (jp == last && same && n >= at->n) {
				if (array_seek(buf, len, at->i, at->n, n, &i,
				    &e) == -1)
					return -1;
			} else if (array_seek(buf, len, json_skip_ws(buf, len,
			    i + 1), 0, n, &i, &e) == -1)
				return -1;
			if (jp == last) {
				if (!same) {
					free(at->prefix);
					at->prefix = xstrndup(path,
					    (size_t)(last - path));
				}
				at->n = n;
				at->i = i;
			}
			jp = end + 1;
		} else
			return -1;
	}
	/* "$" itself: the whole text's value (scanned only then). */
	if (e == 0 && (e = json_value_end(buf, len, i)) == 0)
		return -1;
	*v = i;
	*vend = e;
	return 0;
}

void
export_slice_note(struct export *ex, size_t first, const char *buf,
    size_t len)
{
	struct slice_at at = { NULL, 0, 0 };
	size_t v, e;

	for (; first < ex->nsvcs; first++) {
		struct xsvc *s = &ex->svcs[first];

		s->slice_len = 0;
		if (follow(buf, len, s->jpath, ex->dup, &at, &v, &e) == -1 ||
		    digest_sha256(s->slice_md, buf + v, e - v) == -1)
			continue;	/* the whole file is read again */
		s->slice_off = v;
		s->slice_len = e - v;
	}
	free(at.prefix);
}

/*
 * The bytes [off, off + len) of path, checked against md, parsed, or NULL
 * (logged as what's: "service \"web\"").
 */
static cJSON *
slice_parse(struct export *ex, const char *path, size_t off, size_t len,
    const unsigned char md_want[DIGEST_LEN], const char *jpath,
    const char *what, const char *name)
{
	unsigned char md[DIGEST_LEN];
	cJSON *v = NULL;
	char *buf = xmalloc(len);
	ssize_t r;

	/* The file stays open while its objects come one after another. */
	if (ex->slice_fd != -1 && strcmp(ex->slice_path, path) != 0) {
		(void)close(ex->slice_fd);
		ex->slice_fd = -1;
	}
	if (ex->slice_fd == -1) {
		ex->slice_fd = open(path, O_RDONLY | O_CLOEXEC);
		free(ex->slice_path);
		ex->slice_path = xstrdup(path);
	}
	if (ex->slice_fd == -1) {
		log_err("%s", path);
		goto out;
	}
	r = pread(ex->slice_fd, buf, len, (off_t)off);
	if (r < 0) {
		log_err("%s", path);
		goto out;
	}
	if ((size_t)r != len || digest_sha256(md, buf, len) == -1 ||
	    memcmp(md, md_want, sizeof(md)) != 0) {
		log_errx("%s: %s: %s \"%s\" changed while f2o-translate read "
		    "it: run it again on an export that stays as it is", path,
		    jpath, what, name);
		goto out;
	}
	/* The same bytes: duplicated keys were refused or warned once. */
	if (json_parse_dup(&v, path, buf, len, ex->dup == JSON_DUP_LAST ?
	    JSON_DUP_LAST_QUIET : JSON_DUP_KEEP) == -1)
		v = NULL;
out:
	free(buf);
	return v;
}

cJSON *
export_slice_read(struct export *ex, const struct xsvc *s)
{
	return slice_parse(ex, s->src, s->slice_off, s->slice_len,
	    s->slice_md, s->jpath, "service", s->name);
}

/* The extent of jpath in buf with its SHA-256; *len 0 when unknown. */
static void
note_one(const struct export *ex, const char *buf, size_t len,
    const char *jpath, struct slice_at *at, size_t *off, size_t *vlen,
    unsigned char *md)
{
	size_t v, e;

	*vlen = 0;
	if (follow(buf, len, jpath, ex->dup, at, &v, &e) == 0 &&
	    digest_sha256(md, buf + v, e - v) == 0) {
		*off = v;
		*vlen = e - v;
	}
}

void
export_slice_note_tds(struct export *ex, size_t first, const char *buf,
    size_t len)
{
	static const char sfx[] = ".taskDefinition";
	struct slice_at at = { NULL, 0, 0 };
	size_t n;
	char *jp;

	for (; first < ex->ntds; first++) {
		struct xtd *t = &ex->tds[first];

		note_one(ex, buf, len, t->jpath, &at, &t->slice_off,
		    &t->slice_len, t->slice_md);
		t->tags_len = 0;
		if (t->slice_len > 0 && t->tags_sibling) {
			n = strlen(t->jpath);
			if (n < sizeof(sfx) || strcmp(t->jpath + n -
			    (sizeof(sfx) - 1), sfx) != 0) {
				t->slice_len = 0;
				continue;
			}
			jp = xasprintf("%.*s.tags", (int)(n - (sizeof(sfx) -
			    1)), t->jpath);
			note_one(ex, buf, len, jp, &at, &t->tags_off,
			    &t->tags_len, t->tags_md);
			free(jp);
			if (t->tags_len == 0)
				t->slice_len = 0;	/* kept in memory */
		}
		if (t->slice_len == 0)
			continue;
		/* Its place is known: the trees come back on demand. */
		cJSON_Delete(t->td);
		cJSON_Delete(t->tags);
		t->td = NULL;
		t->tags = NULL;
	}
	free(at.prefix);
}

void
export_td_release(struct export *ex)
{
	struct xtd *t = ex->td_held;

	ex->td_held = NULL;
	if (t == NULL || t->slice_len == 0)
		return;
	cJSON_Delete(t->td);
	cJSON_Delete(t->tags);
	t->td = NULL;
	t->tags = NULL;
}

int
export_td_hold(struct export *ex, const struct xtd *ct)
{
	struct xtd *t;
	cJSON *td, *tags = NULL;

	if (ex == NULL || ct->td != NULL || ct < ex->tds ||
	    ct >= ex->tds + ex->ntds || ct->slice_len == 0)
		return 0;
	t = &ex->tds[ct - ex->tds];
	export_td_release(ex);
	if (ex->failed)
		return -1;		/* logged */
	td = slice_parse(ex, t->src, t->slice_off, t->slice_len, t->slice_md,
	    t->jpath, "task definition", t->key);
	if (td != NULL && t->tags_sibling)
		tags = slice_parse(ex, t->src, t->tags_off, t->tags_len,
		    t->tags_md, t->jpath, "task definition", t->key);
	if (!cJSON_IsObject(td) || (t->tags_sibling && tags == NULL)) {
		cJSON_Delete(td);
		cJSON_Delete(tags);
		ex->failed = true;
		return -1;
	}
	export_kinds_td_revive(td, &tags);
	t->td = td;
	t->tags = tags;
	ex->td_held = t;
	return 0;
}

int
export_td_hold_tags(struct export *ex, const struct xtd *ct)
{
	struct xtd *t;

	if (ex == NULL || ct->td != NULL || ct->tags != NULL ||
	    ct < ex->tds || ct >= ex->tds + ex->ntds || ct->slice_len == 0 ||
	    !ct->tags_sibling)
		return export_td_hold(ex, ct);
	t = &ex->tds[ct - ex->tds];
	export_td_release(ex);
	if (ex->failed)
		return -1;		/* logged */
	t->tags = slice_parse(ex, t->src, t->tags_off, t->tags_len,
	    t->tags_md, t->jpath, "task definition", t->key);
	if (t->tags == NULL) {
		ex->failed = true;
		return -1;
	}
	ex->td_held = t;
	return 0;
}

void
export_slice_note_sgs(struct export *ex, size_t first, const char *buf,
    size_t len)
{
	struct slice_at at = { NULL, 0, 0 };

	for (; first < ex->nsgs; first++) {
		struct xsg *g = &ex->sgs[first];

		note_one(ex, buf, len, g->jpath, &at, &g->slice_off,
		    &g->slice_len, g->slice_md);
		if (g->slice_len > 0) {
			cJSON_Delete(g->sg);
			g->sg = NULL;
		}
	}
	free(at.prefix);
}

void
export_sg_release(struct export *ex)
{
	struct xsg *g = ex->sg_held;

	ex->sg_held = NULL;
	if (g == NULL || g->slice_len == 0)
		return;
	cJSON_Delete(g->sg);
	g->sg = NULL;
}

int
export_sg_hold(struct export *ex, const struct xsg *cg)
{
	struct xsg *g;

	if (ex == NULL || cg->sg != NULL || cg < ex->sgs ||
	    cg >= ex->sgs + ex->nsgs || cg->slice_len == 0)
		return 0;
	g = &ex->sgs[cg - ex->sgs];
	export_sg_release(ex);
	if (ex->failed)
		return -1;		/* logged */
	g->sg = slice_parse(ex, g->src, g->slice_off, g->slice_len,
	    g->slice_md, g->jpath, "security group", g->id);
	if (!cJSON_IsObject(g->sg)) {
		cJSON_Delete(g->sg);
		g->sg = NULL;
		ex->failed = true;
		return -1;
	}
	ex->sg_held = g;
	return 0;
}
