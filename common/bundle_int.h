#ifndef F2O_BUNDLE_INT_H
#define F2O_BUNDLE_INT_H
/*
 * Between bundle.c (the model and the reader) and bundle_out.c (the
 * writers): not for other modules.
 */
#include <stddef.h>

struct bundle;
struct bundle_file;
struct bundle_out;
struct bundle_src;

/*
 * Check name (safe, limits) and give the next entry of b, zeroed but for
 * len, not yet counted; NULL (logged). bundle_entry_commit() counts it.
 */
struct bundle_file *bundle_entry(struct bundle *, const char *what,
	    const char *name, size_t len);
void	 bundle_entry_commit(struct bundle *, struct bundle_file *,
	    const char *name);
/* Sort b's files by name and index them again. */
void	 bundle_sort_files(struct bundle *);
/* Add a copy of data (or stream it out, bundle_stream); -1 (logged). */
int	 bundle_add_raw(struct bundle *, const char *what, const char *name,
	    const void *data, size_t len);
/* Write a file being added (f->len set) to the streamed output. */
int	 bundle_out_put(const struct bundle *, struct bundle_file *,
	    const char *name, const void *data);
/* A streamed file's bytes, NUL-terminated; free with free(). NULL (logged). */
char	*bundle_out_read(const struct bundle *, const struct bundle_file *);
/* Close the output and remove what is not renamed into place. NULL-safe. */
void	 bundle_out_free(struct bundle_out *);
/* Where a loaded bundle's files are (bundle_load), for bundle_read. */
struct bundle_src {
	char	*path;		/* the bundle, for messages; a directory's root */
	int	 fd;		/* .tar: the archive; .tar.gz: the spool;
				   -1: a directory */
};
/*
 * Read exactly len bytes at off into buf, hashing them into d when d is
 * not NULL (then buf holds a chunk at a time). -1 (logged, naming the
 * file) on an error or a short read.
 */
struct digest;
int	 bundle_read_at(int fd, char *buf, size_t len, long long off,
	    struct digest *d, const char *what, const char *name);
/* Close what a loaded bundle reads from (bundle_in.c). NULL-safe. */
void	 bundle_src_free(struct bundle_src *);

#endif
