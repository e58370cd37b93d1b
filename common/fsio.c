/*
 * File I/O that matters: bounded reads of untrusted files, safe paths,
 * durable atomic writes (temp file, fsync, rename, fsync dir). See fsio.h.
 */
#define _GNU_SOURCE	/* syncfs */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fsio.h"
#include "log.h"
#include "xalloc.h"

int
fsio_read_bounded(char **out, size_t *outlen, const char *path, size_t max)
{
	return fsio_read_stat(out, outlen, path, max, NULL);
}

int
fsio_read_stat(char **out, size_t *outlen, const char *path, size_t max,
    struct stat *stp)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	ssize_t n;
	int fd, rc = -1;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		log_err("%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		log_err("%s", path);
		goto out;
	}
	if (stp != NULL)
		*stp = st;
	if (!S_ISREG(st.st_mode)) {
		log_errx("%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		log_errx("%s: file is %lld bytes, more than the limit of %zu",
		    path, (long long)st.st_size, max);
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	buf = xmalloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > max + 1) {
				log_errx("%s: file grew past the limit of %zu",
				    path, max);
				goto out;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: read", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		log_errx("%s: file grew past the limit of %zu", path, max);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

int
fsio_fsync_dir(const char *dir)
{
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		log_err("%s", dir);
		return -1;
	}
	if (fsync(fd) == -1 && errno != EINVAL) {
		log_err("fsync %s", dir);
		rc = -1;
	}
	if (close(fd) == -1) {
		log_err("close %s", dir);
		rc = -1;
	}
	return rc;
}

int
fsio_write_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("write %s", what);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t
fsio_pread_full(int fd, void *buf, size_t len, long long off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, (char *)buf + got, len - got, (off_t)(off +
		    (long long)got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* fsio_atomic_open, the file given mode. */
static int
atomic_open_mode(struct fsio_atomic *a, const char *path, mode_t mode)
{
	char *slash;

	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->cleanup = -1;
	a->dst = xstrdup(path);
	slash = strrchr(path, '/');
	a->dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	a->tmp = slash == NULL ? xasprintf(".%s.XXXXXX", path) :
	    xasprintf("%s/.%s.XXXXXX", a->dir, slash + 1);
	a->fd = mkstemp(a->tmp);
	if (a->fd == -1) {
		log_err("%s", a->tmp);
		free(a->tmp);
		a->tmp = NULL;
		fsio_atomic_abort(a);
		return -1;
	}
	a->cleanup = cleanup_add(a->tmp);
	if (fchmod(a->fd, mode) == -1) {
		log_err("chmod %s", a->tmp);
		fsio_atomic_abort(a);
		return -1;
	}
	return 0;
}

int
fsio_atomic_open(struct fsio_atomic *a, const char *path)
{
	return atomic_open_mode(a, path, 0644);
}

void
fsio_atomic_abort(struct fsio_atomic *a)
{
	if (a->fd != -1)
		(void)close(a->fd);
	if (a->tmp != NULL)
		(void)unlink(a->tmp);
	cleanup_del(a->cleanup);
	free(a->tmp);
	free(a->dst);
	free(a->dir);
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->cleanup = -1;
}

int
fsio_atomic_commit(struct fsio_atomic *a)
{
	int rc = -1;

	if (fsync(a->fd) == -1) {
		log_err("fsync %s", a->tmp);
		goto out;
	}
	if (close(a->fd) == -1) {
		a->fd = -1;
		log_err("close %s", a->tmp);
		goto out;
	}
	a->fd = -1;
	if (rename(a->tmp, a->dst) == -1) {
		log_err("rename %s to %s", a->tmp, a->dst);
		goto out;
	}
	free(a->tmp);
	a->tmp = NULL;
	rc = fsio_fsync_dir(a->dir);
out:
	fsio_atomic_abort(a);
	return rc;
}

int
fsio_write_atomic_mode(const char *path, const void *buf, size_t len,
    mode_t mode)
{
	struct fsio_atomic a;

	if (atomic_open_mode(&a, path, mode) == -1)
		return -1;
	if (fsio_write_all(a.fd, buf, len, a.tmp) == -1) {
		fsio_atomic_abort(&a);
		return -1;
	}
	return fsio_atomic_commit(&a);
}

int
fsio_write_atomic(const char *dir, const char *name, const void *buf,
    size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc = fsio_write_atomic_mode(path, buf, len, 0644);

	free(path);
	return rc;
}

int
fsio_write_new(const char *dir, const char *name, const void *buf,
    size_t len)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd == -1) {
		log_err("%s", path);
		free(path);
		return -1;
	}
	if (fsio_write_all(fd, buf, len, path) == 0)
		rc = 0;
	if (close(fd) == -1) {
		log_err("close %s", path);
		rc = -1;
	}
	free(path);
	return rc;
}

int
fsio_sync_tree(const char *dir)
{
	int fd, rc = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1) {
		log_err("%s", dir);
		return -1;
	}
	/* One flush of the filesystem instead of a fsync per file. */
	if (syncfs(fd) == -1) {
		log_err("syncfs %s", dir);
		rc = -1;
	}
	if (fsync(fd) == -1 && errno != EINVAL) {
		log_err("fsync %s", dir);
		rc = -1;
	}
	if (close(fd) == -1) {
		log_err("close %s", dir);
		rc = -1;
	}
	return rc;
}

int
fsio_write_atomic_path(const char *path, const void *buf, size_t len)
{
	return fsio_write_atomic_mode(path, buf, len, 0644);
}

int
fsio_mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s;
	int rc = -1;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0755) == -1 && errno != EEXIST) {
				log_err("mkdir %s", p);
				goto out;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	rc = 0;
out:
	free(p);
	return rc;
}

int
fsio_remove_tree(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == -1 ? -1 : 0;
	d = opendir(path);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = xasprintf("%s/%s", path, de->d_name);
		if (fsio_remove_tree(sub) == -1)
			rc = -1;
		free(sub);
	}
	closedir(d);
	if (rmdir(path) == -1)
		rc = -1;
	return rc;
}

bool
fsio_safe_relpath(const char *path)
{
	const char *p, *comp;
	size_t len = strlen(path);

	if (len == 0 || len > 255 || path[0] == '/')
		return false;
	for (p = path; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;
	comp = path;
	for (;;) {
		const char *end = strchr(comp, '/');
		size_t n = end != NULL ? (size_t)(end - comp) : strlen(comp);

		if (n == 0 || (n == 1 && comp[0] == '.') ||
		    (n == 2 && comp[0] == '.' && comp[1] == '.'))
			return false;
		if (end == NULL)
			break;
		comp = end + 1;
	}
	return true;
}

bool
fsio_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool
fsio_safe_relpath_dir(const char *path)
{
	char *p;
	size_t n = strlen(path);
	bool ok;

	if (n > 0 && path[n - 1] == '/')
		n--;
	p = xstrndup(path, n);
	ok = strcmp(p, ".") == 0 || fsio_safe_relpath(p);
	free(p);
	return ok;
}

int
fsio_temp_near(const char *near, const char *tag)
{
	char *t;
	FILE *f;
	int fd = -1;

	if (near != NULL) {
		t = xasprintf("%s.%s-XXXXXX", near, tag);
		fd = mkstemp(t);
		if (fd != -1 && unlink(t) == -1) {
			(void)close(fd);
			fd = -1;
		}
		free(t);
	}
	if (fd == -1 && (f = tmpfile()) != NULL) {
		fd = dup(fileno(f));
		(void)fclose(f);	/* the file lives on through fd */
	}
	return fd;
}
