#ifndef F2O_BUNDLE_INT_H
#define F2O_BUNDLE_INT_H
/*
 * Between bundle.c (the model), bundle_in.c + bundle_get.c (the reader),
 * bundle_out.c (the writers) and bundle_wfile.c (files written a piece at
 * a time): not for others.
 */
#include <stdbool.h>
#include <stddef.h>

#include "hashmap.h"

struct bundle;
struct bundle_file;
struct bundle_src;
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
	long long spool_len;	/* bytes in it, with those queued */
	bool	 writing;	/* a bundle_wfile is open */
	/* new files (directory) or spool bytes (archive), written by a
	   thread while the translation goes on */
	struct bgwrite *bg;
};

/* Append to the archive's spool (by the writer thread). 0 or -1. */
int	 bundle_out_spool(struct bundle_out *, const void *data, size_t len);
/*
 * The folder to create name's last component in (made once), *base what
 * to create relative to it: a descriptor, or -1 (logged).
 */
int	 bundle_out_folder(struct bundle_out *, const char *name,
	    const char **base);

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
/* Where text made a piece at a time goes: 0, or -1 (logged). */
typedef int (*bundle_sink_fn)(void *arg, const void *data, size_t len);
/*
 * manifest.json's text of a sealed bundle, given to put in pieces of 64
 * KiB or so (the file list is the largest part of a large bundle).
 */
int	 bundle_manifest_emit(const struct bundle *, bundle_sink_fn put,
	    void *arg);
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
