/*
 * Bundle writers: a directory (staged beside the target, renamed into
 * place) or a .tar(.gz), from memory or streamed as files are added.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <errno.h>
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

/* Folders of a staged directory kept open for openat (then by path). */
#define OUT_MAX_OPEN_DIRS	64
/* Bytes gathered before one write to the spool (files are small). */
#define OUT_SPOOL_BUF		(1024 * 1024)

struct bundle_out {
	char	*path;		/* the target */
	bool	 force;
	bool	 tar, gz;
	bool	 done;		/* renamed into place */
	/* directory */
	char	*tmp;		/* staging directory beside path, or NULL */
	int	 rootfd;
	struct hashmap dirs;	/* folder made under tmp -> index into fds */
	int	*fds;		/* its descriptor, or -1: use rootfd */
	size_t	 nfds;
	/* archive */
	int	 spool;		/* unlinked file beside path, or -1 */
	long long spool_len;	/* bytes in it, with those in sbuf */
	char	*sbuf;		/* its last bytes, not written yet */
	size_t	 sbuf_len;
	bool	 writing;	/* a bundle_wfile is open */
};

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

static bool
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

static char *
parent_dir(const char *path)
{
	char *p = xstrdup(path), *s = strrchr(p, '/');

	if (s == NULL) {
		free(p);
		return xstrdup(".");
	}
	if (s == p)
		s[1] = '\0';
	else
		*s = '\0';
	return p;
}

void
bundle_out_free(struct bundle_out *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nfds; i++)
		if (o->fds[i] != -1)
			(void)close(o->fds[i]);
	free(o->fds);
	hashmap_cleanup(&o->dirs);
	if (o->rootfd != -1)
		(void)close(o->rootfd);
	if (o->tmp != NULL) {
		fsio_remove_tree(o->tmp);
		free(o->tmp);
	}
	if (o->spool != -1)
		(void)close(o->spool);
	free(o->sbuf);
	free(o->path);
	free(o);
}

/* Write what the spool buffer holds. */
static int
spool_flush(struct bundle_out *o)
{
	if (o->sbuf_len == 0)
		return 0;
	if (fsio_write_all(o->spool, o->sbuf, o->sbuf_len,
	    "bundle spool") == -1)
		return -1;
	o->sbuf_len = 0;
	return 0;
}

/* Append to the spool, a buffer of small files at a time. */
static int
spool_put(struct bundle_out *o, const void *data, size_t len)
{
	if (o->sbuf_len + len > OUT_SPOOL_BUF && spool_flush(o) == -1)
		return -1;
	if (len >= OUT_SPOOL_BUF) {
		if (fsio_write_all(o->spool, data, len, "bundle spool") == -1)
			return -1;
	} else {
		if (o->sbuf == NULL)
			o->sbuf = xmalloc(OUT_SPOOL_BUF);
		memcpy(o->sbuf + o->sbuf_len, data, len);
		o->sbuf_len += len;
	}
	o->spool_len += (long long)len;
	return 0;
}

/* What bundle_write refuses about path, checked before and after. */
static int
check_target(const char *path, bool tar, bool force)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return 0;
	if (tar) {
		if (S_ISDIR(st.st_mode)) {
			log_errx("%s: is a directory", path);
			return -1;
		}
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_errx("%s: exists and is not a directory", path);
		return -1;
	}
	if (!force) {
		log_errx("%s: already exists (use --force to replace it)", path);
		return -1;
	}
	return 0;
}

static struct bundle_out *
out_open(const char *path, bool force)
{
	struct bundle_out *o = xcalloc(1, sizeof(*o));
	char *t;

	o->path = xstrdup(path);
	o->force = force;
	o->gz = ends_with(path, ".tar.gz") || ends_with(path, ".tgz");
	o->tar = o->gz || ends_with(path, ".tar");
	o->rootfd = -1;
	o->spool = -1;
	hashmap_init(&o->dirs);
	if (check_target(path, o->tar, force) == -1)
		goto fail;
	if (o->tar) {
		t = xasprintf("%s.spool-XXXXXX", path);
		o->spool = mkstemp(t);
		if (o->spool == -1 || unlink(t) == -1) {
			log_err("%s", t);
			free(t);
			goto fail;
		}
		free(t);
		return o;
	}
	o->tmp = xasprintf("%s.tmp-XXXXXX", path);
	if (mkdtemp(o->tmp) == NULL) {
		log_err("%s", o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		goto fail;
	}
	if (chmod(o->tmp, 0755) == -1) {
		log_err("chmod %s", o->tmp);
		goto fail;
	}
	o->rootfd = open(o->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->rootfd == -1) {
		log_err("%s", o->tmp);
		goto fail;
	}
	return o;
fail:
	bundle_out_free(o);
	return NULL;
}

/*
 * The descriptor to create name's last component in, each folder made
 * once (the staging directory starts empty); *base is what to create
 * relative to it.
 */
static int
folder_fd(struct bundle_out *o, const char *name, const char **base)
{
	const char *slash = strrchr(name, '/');
	char *folder, *s;
	size_t i;
	int fd;

	*base = name;
	if (slash == NULL)
		return o->rootfd;
	folder = xstrndup(name, (size_t)(slash - name));
	if (!hashmap_get(&o->dirs, folder, &i)) {
		for (s = folder; ; s++) {
			char c = *s;

			if (c != '/' && c != '\0')
				continue;
			*s = '\0';
			if (!hashmap_get(&o->dirs, folder, &i)) {
				if (mkdirat(o->rootfd, folder, 0755) == -1) {
					log_err("mkdir %s/%s", o->tmp, folder);
					free(folder);
					return -1;
				}
				fd = -1;
				if (o->nfds < OUT_MAX_OPEN_DIRS) {
					fd = openat(o->rootfd, folder,
					    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
					if (fd == -1) {
						log_err("%s/%s", o->tmp,
						    folder);
						free(folder);
						return -1;
					}
				}
				o->fds = xreallocarray(o->fds, o->nfds + 1,
				    sizeof(*o->fds));
				i = o->nfds;
				o->fds[o->nfds++] = fd;
				hashmap_put(&o->dirs, folder, i);
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(folder);
	if (o->fds[i] == -1)
		return o->rootfd;
	*base = slash + 1;
	return o->fds[i];
}

static int
put_dir(struct bundle_out *o, const char *name, const void *data,
    size_t len)
{
	const char *base;
	char *what;
	int dfd = folder_fd(o, name, &base), fd, rc;

	if (dfd == -1)
		return -1;
	what = xasprintf("%s/%s", o->tmp, name);
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_err("%s", what);
		free(what);
		return -1;
	}
	rc = fsio_write_all(fd, data, len, what);
	if (close(fd) == -1) {
		log_err("close %s", what);
		rc = -1;
	}
	free(what);
	return rc;
}

int
bundle_out_put(const struct bundle *b, struct bundle_file *f,
    const char *name, const void *data)
{
	struct bundle_out *o = b->out;

	if (o->done || o->writing) {
		log_errx("bundle: %s: %s", name, o->done ? "added after the "
		    "bundle was written" : "another file is being written");
		return -1;
	}
	if (!o->tar)
		return put_dir(o, name, data, f->len);
	f->off = o->spool_len;
	return spool_put(o, data, f->len);
}

static int
spool_read(const struct bundle_out *o, const struct bundle_file *f,
    char *buf)
{
	size_t got = 0;
	ssize_t n;

	while (got < f->len) {
		n = pread(o->spool, buf + got, f->len - got,
		    (off_t)(f->off + (long long)got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1)
				log_err("read bundle spool (%s)", f->name);
			else
				log_errx("read bundle spool (%s): truncated",
				    f->name);
			return -1;
		}
		got += (size_t)n;
	}
	buf[f->len] = '\0';
	return 0;
}

char *
bundle_out_read(const struct bundle *b, const struct bundle_file *f)
{
	struct bundle_out *o = b->out;
	char *buf = NULL, *p;
	size_t len;

	if (o == NULL || o->done) {
		log_errx("bundle: %s is no longer readable", f->name);
		return NULL;
	}
	if (o->tar) {
		if (spool_flush(o) == -1)
			return NULL;
		buf = xmalloc(f->len + 1);
		if (spool_read(o, f, buf) == -1) {
			free(buf);
			return NULL;
		}
		return buf;
	}
	p = xasprintf("%s/%s", o->tmp, f->name);
	if (fsio_read_bounded(&buf, &len, p, BUNDLE_MAX_FILE) == 0 &&
	    len != f->len) {
		log_errx("%s: changed while being written", p);
		free(buf);
		buf = NULL;
	}
	free(p);
	return buf;
}

int
bundle_stream(struct bundle *b, const char *path, bool force)
{
	if (b->out != NULL || b->nfiles > 0 || b->manifest != NULL) {
		log_errx("bundle: stream to %s: not a new bundle", path);
		return -1;
	}
	b->out = out_open(path, force);
	return b->out != NULL ? 0 : -1;
}

/* ---- finishing ---- */

/*
 * One archive entry: data, or else len bytes of the spool from off read a
 * chunk at a time (so no file is ever whole in memory).
 */
static int
tar_entry(struct archive *a, const char *name, const char *data, size_t len,
    const struct bundle_out *o, long long off)
{
	struct archive_entry *e = archive_entry_new();
	char chunk[65536];
	size_t done = 0, n;
	ssize_t r;
	int rc = -1;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto fail;
	if (data != NULL) {
		if (len > 0 && archive_write_data(a, data, len) !=
		    (la_ssize_t)len)
			goto fail;
		rc = 0;
		goto out;
	}
	while (done < len) {
		n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
		r = pread(o->spool, chunk, n, (off_t)(off + (long long)done));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			log_errx("read bundle spool (%s): %s", name,
			    r == 0 ? "truncated" : strerror(errno));
			goto out;
		}
		if (archive_write_data(a, chunk, (size_t)r) != r)
			goto fail;
		done += (size_t)r;
	}
	rc = 0;
	goto out;
fail:
	log_errx("tar: %s: %s", name, archive_error_string(a));
out:
	archive_entry_free(e);
	return rc;
}

/* manifest.json first, then the files in name order (sealed: sorted). */
static int
write_tar(const struct bundle *b, int fd, const char *what, bool gz)
{
	struct archive *a = archive_write_new();
	size_t i;
	int rc = -1;

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    (gz && (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "gzip:!timestamp") != ARCHIVE_OK)) ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		log_errx("%s: %s", what, archive_error_string(a));
		goto out;
	}
	if (tar_entry(a, BUNDLE_MANIFEST, b->manifest, b->manifest_len,
	    NULL, 0) == -1)
		goto out;
	for (i = 0; i < b->nfiles; i++) {
		const struct bundle_file *f = &b->files[i];

		if (tar_entry(a, f->name, f->data, f->len, b->out,
		    f->off) == -1)
			goto out;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		log_errx("%s: %s", what, archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	archive_write_free(a);
	return rc;
}

/*
 * Make the staged tree durable (one syncfs) and rename it onto path,
 * moving an existing directory aside first (force) and removing it after.
 */
static int
commit_dir(struct bundle_out *o)
{
	char *old = NULL, *parent = parent_dir(o->path);
	struct stat st;
	int rc = -1;

	if (fsio_sync_tree(o->tmp) == -1)
		goto out;
	if (check_target(o->path, false, o->force) == -1)
		goto out;
	if (lstat(o->path, &st) == 0) {
		old = xasprintf("%s.old-XXXXXX", o->path);
		if (mkdtemp(old) == NULL || rmdir(old) == -1 ||
		    rename(o->path, old) == -1) {
			log_err("cannot move %s aside", o->path);
			free(old);
			old = NULL;
			goto out;
		}
	}
	if (rename(o->tmp, o->path) == -1) {
		log_err("rename %s to %s", o->tmp, o->path);
		if (old != NULL && rename(old, o->path) == 0) {
			free(old);
			old = NULL;
		}
		goto out;
	}
	free(o->tmp);
	o->tmp = NULL;
	o->done = true;
	if (fsio_fsync_dir(parent) == -1)
		goto out;
	rc = 0;
out:
	if (old != NULL) {
		if (rc == 0)
			fsio_remove_tree(old);
		free(old);
	}
	free(parent);
	return rc;
}

static int
finish(const struct bundle *b, struct bundle_out *o)
{
	struct fsio_atomic a;
	size_t i;

	if (o->tar) {
		if (spool_flush(o) == -1 ||
		    check_target(o->path, true, o->force) == -1 ||
		    fsio_atomic_open(&a, o->path) == -1)
			return -1;
		if (write_tar(b, a.fd, o->path, o->gz) == -1) {
			fsio_atomic_abort(&a);
			return -1;
		}
		if (fsio_atomic_commit(&a) == -1)
			return -1;
		o->done = true;
		return 0;
	}
	if (put_dir(o, BUNDLE_MANIFEST, b->manifest, b->manifest_len) == -1)
		return -1;
	for (i = 0; i < b->nfiles; i++)
		if (b->files[i].data != NULL && put_dir(o, b->files[i].name,
		    b->files[i].data, b->files[i].len) == -1)
			return -1;
	return commit_dir(o);
}

int
bundle_write(const struct bundle *b, const char *path, bool force)
{
	struct bundle_out *o;
	int rc;

	if (b->manifest == NULL) {
		log_errx("bundle: not sealed");
		return -1;
	}
	if (b->out != NULL) {
		if (strcmp(b->out->path, path) != 0 || b->out->force != force) {
			log_errx("bundle: streamed to %s, not %s", b->out->path,
			    path);
			return -1;
		}
		if (b->out->done) {
			log_errx("bundle: %s is already written", path);
			return -1;
		}
		return finish(b, b->out);
	}
	o = out_open(path, force);
	if (o == NULL)
		return -1;
	rc = finish(b, o);
	bundle_out_free(o);
	return rc;
}

/* ---- files written a piece at a time ---- */

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
		w->dirfd = folder_fd(o, name, &w->base);
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
	} else if (o->tar ? spool_put(o, data, len) == -1 :
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
	    mdlen * 2 != DIGEST_HEX_LEN)) {
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
			(void)snprintf(f->sha256 + 2 * i, 3, "%02x", md[i]);
		f->off = w->off;
		bundle_entry_commit(w->b, f, w->name);
		rc = 0;
	} else if (o != NULL && !o->tar && w->fd != -1)
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
