#ifndef F2O_FSIO_H
#define F2O_FSIO_H
/*
 * File I/O that matters: bounded reads of untrusted files, and durable
 * writes (temp file beside the target, fsync, rename, fsync directory).
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <stdbool.h>
#include <stddef.h>

#define FSIO_MAX_INPUT	(512UL * 1024 * 1024)	/* one export file, bytes */

/*
 * Read a whole file of at most max bytes into a NUL-terminated buffer.
 * Result must be freed with free(). Returns 0, or -1 (logged with path).
 */
int	fsio_read_bounded(char **out, size_t *outlen, const char *path,
	    size_t max);
/* Same, and *st (if not NULL) the file's fstat, also when it fails after. */
int	fsio_read_stat(char **out, size_t *outlen, const char *path,
	    size_t max, struct stat *st);
/*
 * Write buf to dir/name durably: mkstemp ".name.XXXXXX" in dir, write all,
 * fsync, close, rename, fsync(dir). The temp file is removed on failure.
 * dir may be "." Returns 0, or -1 (logged).
 */
int	fsio_write_atomic(const char *dir, const char *name, const void *buf,
	    size_t len);
/* Same, with a full path. */
int	fsio_write_atomic_path(const char *path, const void *buf, size_t len);
/* Same, the file given mode (0600 for a file of secrets). */
int	fsio_write_atomic_mode(const char *path, const void *buf, size_t len,
	    mode_t mode);

/*
 * The same discipline for a file written through a descriptor (an
 * archive): fsio_atomic_open() creates the temporary file beside path
 * (mode 0644) and gives its descriptor in a->fd; fsio_atomic_commit()
 * fsyncs, closes, renames it onto path and fsyncs the directory;
 * fsio_atomic_abort() closes and removes it. Commit and abort always
 * release a; abort is safe after commit. 0 or -1 (logged).
 */
struct fsio_atomic {
	int	 fd;
	char	*tmp;		/* temporary path, NULL once renamed */
	char	*dst;
	char	*dir;
	int	 cleanup;	/* tmp's cleanup_add slot, or -1 */
};
int	fsio_atomic_open(struct fsio_atomic *, const char *path);
int	fsio_atomic_commit(struct fsio_atomic *);
void	fsio_atomic_abort(struct fsio_atomic *);
int	fsio_fsync_dir(const char *dir);
/*
 * Create dir/name (which must not exist) and write buf, without fsync:
 * for files inside a temporary tree that fsio_sync_tree() makes durable
 * before it is renamed into place. Returns 0, or -1 (logged).
 */
int	fsio_write_new(const char *dir, const char *name, const void *buf,
	    size_t len);
/* write(2) all of buf, retrying on EINTR; what names fd in the error. */
int	fsio_write_all(int fd, const void *buf, size_t len, const char *what);
/*
 * pread(2) len bytes at off, retrying on EINTR and short reads: the bytes
 * read (fewer only at the end of the file), or -1 (errno; not logged).
 */
ssize_t	fsio_pread_full(int fd, void *buf, size_t len, long long off);
/* Make everything written under dir durable (syncfs), then fsync dir. */
int	fsio_sync_tree(const char *dir);
/* mkdir -p with mode 0755. Returns 0, or -1 (logged). */
int	fsio_mkdir_p(const char *path);
/* rm -rf; best effort, returns -1 if anything could not be removed. */
int	fsio_remove_tree(const char *path);
/*
 * A relative path safe to create under a root: not empty, not absolute,
 * no "." or ".." or empty component, no control bytes or backslash, at
 * most 255 bytes.
 */
bool	fsio_safe_relpath(const char *path);
bool	fsio_is_dir(const char *path);
/* A directory entry of an archive: a safe relative path, maybe "x/". */
bool	fsio_safe_relpath_dir(const char *path);
/*
 * A new temporary file, unlinked at once: "NEAR.TAG-XXXXXX" beside near
 * when near is not NULL and that works, else in /tmp. Its descriptor, or
 * -1 (not logged: the caller decides).
 */
int	fsio_temp_near(const char *near, const char *tag);

#endif
