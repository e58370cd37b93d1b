/*
 * The files of a loaded bundle read on demand (bundle_read, whole, or
 * bundle_ropen, a piece at a time), each checked against its SHA-256.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_int.h"
#include "log.h"
#include "xalloc.h"

/* A loaded bundle's file f, read again and checked against its digest. */
/* -1 (logged) when md is not the SHA-256 the manifest gave f. */
static int
changed(const unsigned char md[DIGEST_LEN], const struct bundle_file *f,
    const char *what)
{
	char now[DIGEST_HEX_LEN + 1], was[DIGEST_HEX_LEN + 1];

	if (memcmp(md, f->sha256, DIGEST_LEN) == 0)
		return 0;
	digest_hex(now, md);
	digest_hex(was, f->sha256);
	log_errx("%s: %s was changed after the bundle was verified "
	    "(SHA-256 %s, manifest says %s)", what, f->name, now, was);
	return -1;
}

static char *
src_read(const struct bundle_src *s, const struct bundle_file *f)
{
	char *buf = xmalloc(f->len + 1), *full = NULL;
	unsigned char md[DIGEST_LEN];
	int fd = s->fd, rc = -1;
	ssize_t n;

	if (fd == -1) {
		full = xasprintf("%s/%s", s->path, f->name);
		fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd == -1) {
			log_err("%s", full);
			goto out;
		}
	}
	if (bundle_read_at(fd, buf, f->len, f->off, NULL, s->path,
	    f->name) == -1)
		goto out;
	/* A file of a directory must not have grown either. */
	if (full != NULL && (n = pread(fd, md, 1, (off_t)f->len)) != 0) {
		log_errx("%s: %s was changed after the bundle was verified "
		    "(now longer than %zu bytes)", s->path, f->name, f->len);
		goto out;
	}
	if (digest_sha256(md, buf, f->len) == -1 ||
	    changed(md, f, s->path) == -1)
		goto out;
	buf[f->len] = '\0';
	rc = 0;
out:
	if (full != NULL && fd != -1)
		(void)close(fd);
	free(full);
	if (rc == -1) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *
bundle_read(const struct bundle *b, const char *name, size_t *len)
{
	const struct bundle_file *f = bundle_find(b, name);
	char *buf;

	if (f == NULL) {
		log_errx("bundle: %s is missing", name);
		return NULL;
	}
	if (f->data != NULL) {
		buf = xmalloc(f->len + 1);
		memcpy(buf, f->data, f->len + 1);
	} else if (b->src != NULL)
		buf = src_read(b->src, f);
	else
		buf = bundle_out_read(b, f);
	if (buf != NULL && len != NULL)
		*len = f->len;
	return buf;
}

struct bundle_reader {
	const struct bundle_file *f;
	const char *what;	/* the bundle, for messages */
	int	 fd;		/* read at off; -1: all in mem */
	bool	 own;		/* fd opened here */
	char	*mem;		/* read whole (not a loaded bundle) */
	size_t	 memlen;	/* its bytes (f: a streamed bundle's lives
				   only until its next bundle_find) */
	size_t	 got;		/* bytes given so far */
	long long off;
	struct digest d;
};

struct bundle_reader *
bundle_ropen(const struct bundle *b, const char *name)
{
	const struct bundle_file *f = bundle_find(b, name);
	struct bundle_reader *r;
	char *full;

	if (f == NULL) {
		log_errx("bundle: %s is missing", name);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->f = f;
	r->fd = -1;
	if (b->src == NULL || f->data != NULL) {
		/* Held or being written: no file of ours to read from. */
		if ((r->mem = bundle_read(b, name, &r->memlen)) == NULL) {
			free(r);
			return NULL;
		}
		return r;
	}
	r->what = b->src->path;
	r->off = f->off;
	if (b->src->fd != -1)
		r->fd = b->src->fd;
	else {
		full = xasprintf("%s/%s", b->src->path, f->name);
		r->fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (r->fd == -1)
			log_err("%s", full);
		free(full);
		if (r->fd == -1) {
			free(r);
			return NULL;
		}
		r->own = true;
	}
	if (digest_begin(&r->d) == -1) {
		bundle_rclose(r);
		return NULL;
	}
	return r;
}

long
bundle_rread(struct bundle_reader *r, char *buf, size_t len)
{
	size_t left = (r->mem != NULL ? r->memlen : r->f->len) - r->got;
	unsigned char md[DIGEST_LEN];
	char more;

	if (len > left)
		len = left;
	if (len > (size_t)LONG_MAX)
		len = (size_t)LONG_MAX;
	if (r->mem != NULL) {
		memcpy(buf, r->mem + r->got, len);
		r->got += len;
		return (long)len;
	}
	if (len > 0) {
		if (bundle_read_at(r->fd, buf, len,
		    r->off + (long long)r->got, NULL,
		    r->what, r->f->name) == -1 ||
		    digest_update(&r->d, buf, len) == -1)
			return -1;
		r->got += len;
		return (long)len;
	}
	if (r->d.md == NULL)		/* already checked */
		return 0;
	if (digest_end(&r->d, md) == -1)
		return -1;
	if (r->own && pread(r->fd, &more, 1, (off_t)r->got) != 0) {
		log_errx("%s: %s was changed after the bundle was verified "
		    "(now longer than %zu bytes)", r->what, r->f->name,
		    r->f->len);
		return -1;
	}
	return changed(md, r->f, r->what);
}

void
bundle_rclose(struct bundle_reader *r)
{
	if (r == NULL)
		return;
	digest_abort(&r->d);
	if (r->own)
		(void)close(r->fd);
	free(r->mem);
	free(r);
}

