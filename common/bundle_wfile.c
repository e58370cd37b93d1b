/*
 * Bundle files written a piece at a time (plan.json, PLAN.md): hashed as
 * they come, streamed to the output's folder or spool at once.
 */
#include <openssl/evp.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_int.h"
#include "fsio.h"
#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

struct bundle_wfile {
	struct bundle *b;
	char	*name;
	EVP_MD_CTX *md;
	size_t	 len;
	bool	 failed;
	int	 fd;		/* streamed to a directory: the file */
	int	 dirfd;		/* and the folder it is in, */
	const char *base;	/* under this name */
	long long off;		/* streamed to an archive: its start */
	char	*buf;		/* not streamed: the bytes so far */
	size_t	 cap;
};

struct bundle_wfile *
bundle_wopen(struct bundle *b, const char *name)
{
	struct bundle_wfile *w;
	struct bundle_out *o = b->out;

	if (!fsio_safe_relpath(name) || strcmp(name, BUNDLE_MANIFEST) == 0 ||
	    bundle_find(b, name) != NULL) {
		log_errx("bundle: cannot add \"%s\" (unsafe name or added "
		    "twice)", name);
		return NULL;
	}
	if (o != NULL && (o->writing || o->done)) {
		log_errx("bundle: %s: %s", name, o->done ? "bundle already "
		    "written" : "another file is being written");
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->b = b;
	w->name = xstrdup(name);
	w->fd = -1;
	w->md = EVP_MD_CTX_new();
	if (w->md == NULL || EVP_DigestInit_ex(w->md, EVP_sha256(),
	    NULL) != 1) {
		log_errx("bundle: %s: SHA-256 unavailable", name);
		EVP_MD_CTX_free(w->md);
		free(w->name);
		free(w);
		return NULL;
	}
	if (o != NULL && !o->tar) {
		w->dirfd = bundle_out_folder(o, name, &w->base);
		if (w->dirfd != -1)
			w->fd = openat(w->dirfd, w->base, O_WRONLY | O_CREAT |
			    O_EXCL | O_CLOEXEC, 0644);
		if (w->fd == -1) {
			log_err("%s/%s", o->tmp, name);
			w->failed = true;
		}
	}
	if (o != NULL) {
		w->off = o->spool_len;
		o->writing = true;
	}
	return w;
}

int
bundle_wwrite(struct bundle_wfile *w, const void *data, size_t len)
{
	struct bundle_out *o = w->b->out;

	if (w->failed)
		return -1;
	if (len > BUNDLE_MAX_FILE - w->len) {
		log_errx("bundle: %s: over the limit of %lu bytes", w->name,
		    BUNDLE_MAX_FILE);
		w->failed = true;
		return -1;
	}
	if (len == 0)
		return 0;
	if (EVP_DigestUpdate(w->md, data, len) != 1) {
		log_errx("bundle: %s: SHA-256 failed", w->name);
		w->failed = true;
		return -1;
	}
	if (o == NULL) {
		if (w->len + len + 1 > w->cap) {
			w->cap = (w->len + len + 1) * 2;
			w->buf = xrealloc(w->buf, w->cap);
		}
		memcpy(w->buf + w->len, data, len);
	} else if (o->tar ? bundle_out_spool(o, data, len) == -1 :
	    fsio_write_all(w->fd, data, len, w->name) == -1) {
		w->failed = true;
		return -1;
	}
	w->len += len;
	return 0;
}

int
bundle_wclose(struct bundle_wfile *w)
{
	struct bundle_out *o = w->b->out;
	struct bundle_file *f = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	int rc = -1;

	if (w->fd != -1 && close(w->fd) == -1) {
		log_err("close %s", w->name);
		w->failed = true;
	}
	if (!w->failed && (EVP_DigestFinal_ex(w->md, md, &mdlen) != 1 ||
	    mdlen != DIGEST_LEN)) {
		log_errx("bundle: %s: SHA-256 failed", w->name);
		w->failed = true;
	}
	if (!w->failed && o == NULL) {
		rc = bundle_add(w->b, w->name, w->buf != NULL ? w->buf : "",
		    w->len);
		goto out;
	}
	if (!w->failed)
		f = bundle_entry(w->b, "bundle", w->name, w->len);
	if (f != NULL) {
		for (i = 0; i < mdlen; i++)
			f->sha256[i] = md[i];
		f->off = w->off;
		rc = bundle_entry_commit(w->b, f, w->name);
	}
	if (rc == -1 && o != NULL && !o->tar && w->fd != -1)
		(void)unlinkat(w->dirfd, w->base, 0);	/* made, not added */
out:
	if (o != NULL)
		o->writing = false;
	EVP_MD_CTX_free(w->md);
	free(w->buf);
	free(w->name);
	free(w);
	return rc;
}

static int
wfile_put(void *w, const void *data, size_t len)
{
	return bundle_wwrite(w, data, len);
}

int
bundle_add_strbuf(struct bundle *b, const char *name, struct strbuf *sb)
{
	struct bundle_wfile *w;
	int rc;

	if (sb->full) {
		/* never a cut file: refused, as bundle_add refuses one */
		log_errx("%s: over %zu MiB", name, sb->max >> 20);
		return -1;
	}
	if ((w = bundle_wopen(b, name)) == NULL)
		return -1;
	rc = strbuf_drain(sb, wfile_put, w);
	if (rc == -1)
		w->failed = true;	/* nothing added */
	if (bundle_wclose(w) == -1)
		rc = -1;
	return rc;
}
