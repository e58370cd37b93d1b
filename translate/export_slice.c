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
	size_t i = json_skip_ws(buf, len, 0), e, klen, n;
	char *end;

	if (jp[0] != '$' || (e = json_value_end(buf, len, i)) == 0)
		return -1;
	/* The next element of the array scanned last: on from there. */
	if (last != NULL && at->prefix != NULL &&
	    strlen(at->prefix) == (size_t)(last - path) &&
	    strncmp(path, at->prefix, (size_t)(last - path)) == 0) {
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
			if (*end != ']' || buf[i] != '[' ||
			    array_seek(buf, len, json_skip_ws(buf, len, i + 1),
			    0, n, &i, &e) == -1)
				return -1;
			if (jp == last) {
				free(at->prefix);
				at->prefix = xstrndup(path, (size_t)(last - path));
				at->n = n;
				at->i = i;
			}
			jp = end + 1;
		} else
			return -1;
	}
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

cJSON *
export_slice_read(struct export *ex, const struct xsvc *s)
{
	unsigned char md[DIGEST_LEN];
	cJSON *svc = NULL;
	char *buf = xmalloc(s->slice_len);
	ssize_t r;

	/* The file stays open while its services come one after another. */
	if (ex->slice_fd != -1 && ex->slice_file != s->file) {
		(void)close(ex->slice_fd);
		ex->slice_fd = -1;
	}
	if (ex->slice_fd == -1) {
		ex->slice_fd = open(s->src, O_RDONLY | O_CLOEXEC);
		ex->slice_file = s->file;
	}
	if (ex->slice_fd == -1) {
		log_err("%s", s->src);
		goto out;
	}
	r = pread(ex->slice_fd, buf, s->slice_len, (off_t)s->slice_off);
	if (r < 0) {
		log_err("%s", s->src);
		goto out;
	}
	if ((size_t)r != s->slice_len || digest_sha256(md, buf, s->slice_len) == -1 ||
	    memcmp(md, s->slice_md, sizeof(md)) != 0) {
		log_errx("%s: %s: service \"%s\" changed while f2o-translate "
		    "read it: run it again on an export that stays as it is",
		    s->src, s->jpath, s->name);
		goto out;
	}
	/* The same bytes: duplicated keys were refused or warned once. */
	if (json_parse_dup(&svc, s->src, buf, s->slice_len, ex->dup ==
	    JSON_DUP_LAST ? JSON_DUP_LAST_QUIET : JSON_DUP_KEEP) == -1)
		svc = NULL;
out:
	free(buf);
	return svc;
}
