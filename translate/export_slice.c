/*
 * Export reader: where each service's, task definition's and security
 * group's object lies in its file's bytes, a copy of those bytes kept in
 * one unlinked temporary file, and each object read back alone from there
 * (in any order, one parse each).
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
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

/* The extent of jpath in buf; *len 0 when unknown. */
static void
note_one(const struct export *ex, const char *buf, size_t len,
    const char *jpath, struct slice_at *at, long long *off, size_t *vlen)
{
	size_t v, e;

	*vlen = 0;
	if (follow(buf, len, jpath, ex->dup, at, &v, &e) == 0) {
		*off = (long long)v;
		*vlen = e - v;
	}
}

void
export_slice_note(struct export *ex, size_t first, const char *buf,
    size_t len)
{
	struct slice_at at = { NULL, 0, 0 };

	/* A place unknown (slice_len 0): the whole file is read again. */
	for (; first < ex->nsvcs; first++)
		note_one(ex, buf, len, ex->svcs[first].jpath, &at,
		    &ex->svcs[first].slice_off, &ex->svcs[first].slice_len);
	free(at.prefix);
}

int
export_raw_keep(struct export *ex, const char *path, const char *buf,
    size_t len, long long *off)
{
	char *what;
	int rc;

	if (ex->raw_failed)
		return -1;		/* logged once */
	if (ex->raw_fd == -1 &&
	    (ex->raw_fd = fsio_temp_near(ex->raw_near, "export")) == -1) {
		log_err("%s: no temporary file to keep a copy of its bytes "
		    "in (%s%s%s/tmp)", path, ex->raw_near != NULL ? "beside " :
		    "", ex->raw_near != NULL ? ex->raw_near : "", ex->raw_near
		    != NULL ? ", or in " : "in ");
		ex->raw_failed = true;
		return -1;
	}
	what = xasprintf("a temporary copy of %s", path);
	rc = fsio_write_all(ex->raw_fd, buf, len, what);
	free(what);
	if (rc == -1) {
		ex->raw_failed = true;
		return -1;
	}
	*off = ex->raw_len;
	ex->raw_len += (long long)len;
	return 0;
}

/*
 * At least want and at most len bytes at off of the copy into buf (*got
 * of them). 0, or -1 (logged).
 */
static int
raw_pread(struct export *ex, char *buf, size_t want, size_t len,
    long long off, const char *path, size_t *got)
{
	ssize_t r = fsio_pread_full(ex->raw_fd, buf, len, off);

	if (r == -1)
		log_err("%s: reading its bytes back from the temporary copy",
		    path);
	else if ((size_t)r < want)
		log_errx("%s: the temporary copy of its bytes is shorter than "
		    "when written", path);
	if (r == -1 || (size_t)r < want)
		return -1;
	*got = (size_t)r;
	return 0;
}

char *
export_raw_read(struct export *ex, long long off, size_t len,
    const char *path)
{
	char *buf = xmalloc(len + 1);
	size_t got;

	if (raw_pread(ex, buf, len, len, off, path, &got) == -1) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * The len bytes at off (at most EXPORT_RAW_WINDOW / 2) from a window
 * that holds them, or else read now. A read that goes on from where a
 * window ends (trees read back in the order kept) fills that window from
 * off on; any other reads only len bytes, into the window used least
 * lately, so that trees read in no order cost one read each, as without
 * windows, not a window's worth each. NULL (logged).
 */
static const char *
raw_window(struct export *ex, long long off, size_t len, const char *path)
{
	struct raw_win *w, *lru = &ex->rwin[0], *next = NULL;
	long long end = off + (long long)len, wend;
	size_t i, got;

	for (i = 0; i < EXPORT_RAW_WINDOWS; i++) {
		w = &ex->rwin[i];
		wend = w->off + (long long)w->len;
		if (w->used != 0 && off >= w->off && end <= wend) {
			w->used = ++ex->rwin_clock;
			return w->buf + (off - w->off);
		}
		if (w->used != 0 && next == NULL && off >= wend &&
		    off < wend + EXPORT_RAW_WINDOW)
			next = w;
		if (w->used < lru->used)
			lru = w;
	}
	w = next != NULL ? next : lru;
	if (w->buf == NULL)
		w->buf = xmalloc(EXPORT_RAW_WINDOW);
	w->used = 0;
	if (raw_pread(ex, w->buf, len, next != NULL ? EXPORT_RAW_WINDOW : len,
	    off, path, &got) == -1)
		return NULL;
	w->off = off;
	w->len = got;
	w->used = ++ex->rwin_clock;
	return w->buf;
}

cJSON *
export_raw_parse(struct export *ex, long long off, size_t len,
    const char *path)
{
	cJSON *v = NULL;
	const char *bytes;
	char *buf = NULL;

	if (len <= EXPORT_RAW_WINDOW / 2)
		bytes = raw_window(ex, off, len, path);
	else
		bytes = buf = export_raw_read(ex, off, len, path);
	if (bytes == NULL)
		return NULL;
	/* The same bytes: duplicated keys were refused or warned once. */
	if (json_parse_dup(&v, path, bytes, len, ex->dup == JSON_DUP_LAST ?
	    JSON_DUP_LAST_QUIET : JSON_DUP_KEEP) == -1)
		v = NULL;	/* logged */
	free(buf);
	return v;
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
		    &t->slice_len);
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
			    &t->tags_len);
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
	td = export_raw_parse(ex, t->slice_off, t->slice_len, t->src);
	if (td != NULL && t->tags_sibling)
		tags = export_raw_parse(ex, t->tags_off, t->tags_len, t->src);
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
	t->tags = export_raw_parse(ex, t->tags_off, t->tags_len, t->src);
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
		    &g->slice_len);
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
	g->sg = export_raw_parse(ex, g->slice_off, g->slice_len, g->src);
	if (!cJSON_IsObject(g->sg)) {
		cJSON_Delete(g->sg);
		g->sg = NULL;
		ex->failed = true;
		return -1;
	}
	ex->sg_held = g;
	return 0;
}
