/*
 * Bundle writers: a directory (staged beside the target, renamed into
 * place) or a .tar(.gz), from memory or streamed as files are added.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgwrite.h"
#include "bundle.h"
#include "bundle_int.h"
#include "cleanup.h"
#include "fsio.h"
#include "log.h"
#include "tarw.h"
#include "xalloc.h"

/* Folders of a staged directory kept open for openat (then by path). */
#define OUT_MAX_OPEN_DIRS	64
/*
 * Writing the archive: the spool is read through BUNDLE_WINDOWS windows
 * of BUNDLE_WINDOW bytes (its files, small and near each other, are
 * needed in name order, not in the order written), larger files a chunk
 * of BUNDLE_WINDOW at a time; the archive stream is tarw.c's.
 */
#define OUT_WINDOW		BUNDLE_WINDOW

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
	bgwrite_free(o->bg);	/* first: it may be writing under tmp */
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
	cleanup_del(o->cleanup);
	if (o->spool != -1)
		(void)close(o->spool);
	free(o->path);
	free(o);
}

/* Append to the spool (a batch of small files at a time, by the thread). */
int
bundle_out_spool(struct bundle_out *o, const void *data, size_t len)
{
	if (bgwrite_append(o->bg, o->spool, "bundle spool", data, len) == -1)
		return -1;
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
	o->cleanup = -1;
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
		o->bg = bgwrite_new(NULL);
		return o;
	}
	o->tmp = xasprintf("%s.tmp-XXXXXX", path);
	if (mkdtemp(o->tmp) == NULL) {
		log_err("%s", o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		goto fail;
	}
	o->cleanup = cleanup_add(o->tmp);
	if (chmod(o->tmp, 0755) == -1) {
		log_err("chmod %s", o->tmp);
		goto fail;
	}
	o->rootfd = open(o->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (o->rootfd == -1) {
		log_err("%s", o->tmp);
		goto fail;
	}
	o->bg = bgwrite_new(o->tmp);
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
int
bundle_out_folder(struct bundle_out *o, const char *name, const char **base)
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

/* Queue a new file of the staged directory (the folder made now). */
static int
put_dir(struct bundle_out *o, const char *name, const void *data,
    size_t len)
{
	const char *base;
	int dfd = bundle_out_folder(o, name, &base);

	if (dfd == -1)
		return -1;
	return bgwrite_file(o->bg, dfd, name, (size_t)(base - name), data,
	    len);
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
	return bundle_out_spool(o, data, f->len);
}

ssize_t
bundle_pread(int fd, char *buf, size_t min, size_t max, long long off,
    const char *name)
{
	size_t got = 0;
	ssize_t n;

	while (got < min) {
		n = pread(fd, buf + got, max - got, (off_t)(off +
		    (long long)got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1)
				log_err("read bundle spool (%s)", name);
			else
				log_errx("read bundle spool (%s): truncated",
				    name);
			return -1;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * A file of the staged directory read without waiting for the writer, or
 * NULL (nothing said) when it is not there whole yet. The writer creates
 * it and writes all its bytes once: at its full size it is complete.
 */
static char *
read_written(struct bundle_out *o, const struct bundle_file *f)
{
	const char *base;
	struct stat st;
	char *buf = NULL;
	int dfd, fd;

	dfd = bundle_out_folder(o, f->name, &base);
	if (dfd == -1 || (fd = openat(dfd, base, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size == (off_t)f->len) {
		buf = xmalloc(f->len + 1);
		if (bundle_pread(fd, buf, f->len, f->len, 0, f->name) == -1) {
			free(buf);
			buf = NULL;
		} else
			buf[f->len] = '\0';
	}
	(void)close(fd);
	return buf;
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
	/*
	 * A directory's file is read once it is written, which the newest
	 * jobs are done first for (it was likely added lately): the many
	 * files handed over before it are not waited for.
	 */
	while (!o->tar && (buf = read_written(o, f)) == NULL) {
		int r = bgwrite_step(o->bg);

		if (r == -1)
			return NULL;
		if (r == 0)
			break;
	}
	if (buf != NULL)
		return buf;
	if (bgwrite_sync(o->bg) == -1)
		return NULL;
	if (o->tar) {
		buf = xmalloc(f->len + 1);
		if (bundle_pread(o->spool, buf, f->len, f->len, f->off,
		    f->name) == -1) {
			free(buf);
			return NULL;
		}
		buf[f->len] = '\0';
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
	if (b->out == NULL)
		return -1;
	/* Each file's name, size and digest leave memory too. */
	b->list = bundle_list_new(path);
	if (b->list == NULL) {
		bundle_out_free(b->out);
		b->out = NULL;
		return -1;
	}
	return 0;
}

/* ---- finishing ---- */

/*
 * len bytes (at most BUNDLE_WINDOW / 2) at off, from a window that holds
 * them or else from one read now, at a multiple of BUNDLE_WINDOW / 2 (the
 * pieces wanted next are near, before or after). NULL (logged).
 */
const char *
bundle_win_get(struct spool_win *w, long long off, size_t len,
    const char *name)
{
	long long start, end = off + (long long)len;
	size_t i, v = 0;
	ssize_t n;

	for (i = 0; i < BUNDLE_WINDOWS; i++) {
		if (w->used[i] != 0 && off >= w->off[i] &&
		    end <= w->off[i] + (long long)w->len[i]) {
			w->used[i] = ++w->clock;
			return w->buf[i] + (off - w->off[i]);
		}
		if (w->used[i] < w->used[v])
			v = i;
	}
	start = off - off % (BUNDLE_WINDOW / 2);
	if (w->buf[v] == NULL)
		w->buf[v] = xmalloc(BUNDLE_WINDOW);
	w->used[v] = 0;
	n = bundle_pread(w->fd, w->buf[v], (size_t)(end - start),
	    BUNDLE_WINDOW, start, name);
	if (n == -1)
		return NULL;
	w->off[v] = start;
	w->len[v] = (size_t)n;
	w->used[v] = ++w->clock;
	return w->buf[v] + (off - start);
}

void
bundle_win_cleanup(struct spool_win *w)
{
	size_t i;

	for (i = 0; i < BUNDLE_WINDOWS; i++)
		free(w->buf[i]);
	free(w->chunk);
	memset(w, 0, sizeof(*w));
}

/*
 * One archive entry: data, or else (data NULL) the file's bytes in the
 * spool, read through the windows or, when larger, a chunk at a time (so
 * no file is ever whole in memory).
 */
static int
tar_entry(struct tarw *t, const char *name, const char *data, size_t len,
    struct spool_win *w, const struct bundle_file *f)
{
	size_t done = 0;
	ssize_t n;

	if (tarw_header(t, name, len) == -1)
		return -1;
	if (data == NULL && len > 0 && len <= OUT_WINDOW / 2 &&
	    (data = bundle_win_get(w, f->off, len, name)) == NULL)
		return -1;
	if (data != NULL || len == 0)
		return tarw_data(t, data, len);
	if (w->chunk == NULL)
		w->chunk = xmalloc(OUT_WINDOW);
	while (done < len) {
		n = bundle_pread(w->fd, w->chunk, 1, len - done < OUT_WINDOW ?
		    len - done : OUT_WINDOW, f->off + (long long)done, name);
		if (n == -1 || tarw_data(t, w->chunk, (size_t)n) == -1)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static int
tar_put(void *t, const void *data, size_t len)
{
	return tarw_data(t, data, len);
}

/* manifest.json, made again a piece at a time if not held. */
static int
tar_manifest(const struct bundle *b, struct tarw *t, struct spool_win *w)
{
	if (b->manifest != NULL)
		return tar_entry(t, BUNDLE_MANIFEST, b->manifest,
		    b->manifest_len, w, NULL);
	if (tarw_header(t, BUNDLE_MANIFEST, b->manifest_len) == -1)
		return -1;
	return bundle_manifest_emit(b, tar_put, t);
}

/*
 * manifest.json first, then the files in name order (sealed: sorted),
 * written to fd through bg; all written when this returns 0.
 */
static int
write_tar(const struct bundle *b, int spool, int fd, const char *what,
    bool gz, struct bgwrite *bg)
{
	struct tarw *t = tarw_open(fd, what, gz, bg);
	struct spool_win w;
	struct bundle_iter it;
	const struct bundle_file *f;
	size_t i;
	int rc = -1;

	if (t == NULL)
		return -1;
	memset(&w, 0, sizeof(w));
	w.fd = spool;
	if (tar_manifest(b, t, &w) == -1)
		goto out;
	bundle_iter_init(&it, b);
	for (i = 0; i < b->nfiles; i++)
		if ((f = bundle_iter_get(&it, i)) == NULL ||
		    tar_entry(t, f->name, f->data, f->len, &w, f) == -1)
			break;
	bundle_iter_cleanup(&it);
	if (i == b->nfiles && tarw_close(t) == 0)
		rc = bgwrite_sync(bg);
out:
	bundle_win_cleanup(&w);
	tarw_free(t);
	return rc;
}

/*
 * The staged tree renamed onto o->path, a bundle already there moved aside
 * first (*old, put back if the rename fails); once in place, a signal
 * removes the old one (*old_slot), not the new. 0, or -1 (logged).
 */
static int
swap_in(struct bundle_out *o, char **old, int *old_slot)
{
	struct stat st;

	if (lstat(o->path, &st) == 0) {
		*old = xasprintf("%s.old-XXXXXX", o->path);
		if (mkdtemp(*old) == NULL || rmdir(*old) == -1 ||
		    rename(o->path, *old) == -1) {
			log_err("cannot move %s aside", o->path);
			free(*old);
			*old = NULL;
			return -1;
		}
	}
	if (rename(o->tmp, o->path) == -1) {
		log_err("rename %s to %s", o->tmp, o->path);
		if (*old != NULL && rename(*old, o->path) == 0) {
			free(*old);
			*old = NULL;
		}
		return -1;
	}
	free(o->tmp);
	o->tmp = NULL;
	cleanup_del(o->cleanup);
	o->cleanup = -1;
	if (*old != NULL)
		*old_slot = cleanup_add(*old);
	o->done = true;
	return 0;
}

/*
 * Make the staged tree durable (one syncfs) and rename it onto path,
 * moving an existing directory aside first (force) and removing it after.
 */
static int
commit_dir(struct bundle_out *o)
{
	char *old = NULL, *parent = parent_dir(o->path);
	sigset_t fatal, saved;
	int rc = -1, old_slot = -1;

	if (fsio_sync_tree(o->tmp) == -1 ||
	    check_target(o->path, false, o->force) == -1)
		goto out;
	/*
	 * No signal between the renames (the bundle replaced is aside). The
	 * writer thread blocks them all (bgwrite_new).
	 */
	(void)sigemptyset(&fatal);
	(void)sigaddset(&fatal, SIGINT);
	(void)sigaddset(&fatal, SIGTERM);
	(void)sigaddset(&fatal, SIGHUP);
	(void)pthread_sigmask(SIG_BLOCK, &fatal, &saved);
	rc = swap_in(o, &old, &old_slot);
	(void)pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (rc == 0)
		rc = fsio_fsync_dir(parent);
out:
	if (old != NULL) {
		if (rc == 0)
			fsio_remove_tree(old);
		cleanup_del(old_slot);
		free(old);
	}
	free(parent);
	return rc;
}

struct fd_sink {
	int	 fd;
	size_t	 len;
};

static int
fd_put(void *arg, const void *data, size_t len)
{
	struct fd_sink *s = arg;

	s->len += len;
	return fsio_write_all(s->fd, data, len, BUNDLE_MANIFEST);
}

/* manifest.json of a staged directory, made again a piece at a time. */
static int
dir_manifest(const struct bundle *b, struct bundle_out *o)
{
	struct fd_sink s = { -1, 0 };
	int rc;

	if (b->manifest != NULL)
		return put_dir(o, BUNDLE_MANIFEST, b->manifest,
		    b->manifest_len);
	s.fd = openat(o->rootfd, BUNDLE_MANIFEST, O_WRONLY | O_CREAT |
	    O_EXCL | O_CLOEXEC, 0644);
	if (s.fd == -1) {
		log_err("%s/%s", o->tmp, BUNDLE_MANIFEST);
		return -1;
	}
	rc = bundle_manifest_emit(b, fd_put, &s);
	if (close(s.fd) == -1) {
		log_err("close %s/%s", o->tmp, BUNDLE_MANIFEST);
		rc = -1;
	}
	if (rc == 0 && s.len != b->manifest_len) {
		log_errx("%s: %zu bytes made, %zu expected", BUNDLE_MANIFEST,
		    s.len, b->manifest_len);
		rc = -1;
	}
	return rc;
}

static int
finish(const struct bundle *b, struct bundle_out *o)
{
	struct fsio_atomic a;
	size_t i;

	if (o->tar) {
		if (bgwrite_sync(o->bg) == -1 ||
		    check_target(o->path, true, o->force) == -1 ||
		    fsio_atomic_open(&a, o->path) == -1)
			return -1;
		if (write_tar(b, o->spool, a.fd, o->path, o->gz, o->bg) ==
		    -1) {
			fsio_atomic_abort(&a);
			return -1;
		}
		if (fsio_atomic_commit(&a) == -1)
			return -1;
		o->done = true;
		return 0;
	}
	if (dir_manifest(b, o) == -1)
		return -1;
	for (i = 0; b->list == NULL && i < b->nfiles; i++)
		if (b->files[i].data != NULL && put_dir(o, b->files[i].name,
		    b->files[i].data, b->files[i].len) == -1)
			return -1;
	if (bgwrite_sync(o->bg) == -1)
		return -1;
	return commit_dir(o);
}

int
bundle_write(const struct bundle *b, const char *path, bool force)
{
	struct bundle_out *o;
	int rc;

	if (b->manifest == NULL && !b->sealed) {
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
