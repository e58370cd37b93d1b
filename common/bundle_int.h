#ifndef F2O_BUNDLE_INT_H
#define F2O_BUNDLE_INT_H
/*
 * Between bundle.c (the model), bundle_in.c + bundle_get.c (the reader),
 * bundle_out.c (the writers) and bundle_wfile.c (files written a piece at
 * a time): not for others.
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

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
	int	 cleanup;	/* its cleanup_add slot, or -1 */
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
 * len, not yet counted; NULL (logged). bundle_entry_commit() counts it
 * (-1, logged, only when a streamed bundle's list cannot be written).
 */
struct bundle_file *bundle_entry(struct bundle *, const char *what,
	    const char *name, size_t len);
int	 bundle_entry_commit(struct bundle *, struct bundle_file *,
	    const char *name);
/* Sort b's files by name and index them again; 0 or -1 (logged). */
int	 bundle_sort_files(struct bundle *);
/*
 * Reading a file a piece at a time: at least min and at most max bytes at
 * off into buf; the number read, or -1 (logged, naming name).
 */
ssize_t	 bundle_pread(int fd, char *buf, size_t min, size_t max,
	    long long off, const char *name);
/*
 * Windows on a spool file (the files of a streamed archive, a streamed
 * bundle's list): small pieces needed near each other, not in the order
 * written, each read once through one of BUNDLE_WINDOWS windows.
 */
#define BUNDLE_WINDOWS		4
#define BUNDLE_WINDOW		(256 * 1024)
struct spool_win {
	int	 fd;
	char	*buf[BUNDLE_WINDOWS];
	long long off[BUNDLE_WINDOWS];
	size_t	 len[BUNDLE_WINDOWS];
	unsigned long used[BUNDLE_WINDOWS];	/* last use; 0 never */
	unsigned long clock;
	char	*chunk;			/* for larger files (bundle_out.c) */
};
/* len (at most BUNDLE_WINDOW / 2) bytes at off; NULL (logged). */
const char *bundle_win_get(struct spool_win *, long long off, size_t len,
	    const char *name);
void	 bundle_win_cleanup(struct spool_win *);
/*
 * A streamed bundle's files (bundle_list.c): each one's name, size,
 * offset and SHA-256 in an unlinked file beside near, found by name
 * through a map of 8-byte slots; sorted by name when sealed.
 */
struct bundle_list;
struct bundle_list *bundle_list_new(const char *near);	/* NULL (logged) */
void	 bundle_list_free(struct bundle_list *);	/* NULL-safe */
/* A zeroed entry to fill, then bundle_list_add(). */
struct bundle_file *bundle_list_entry(struct bundle_list *);
int	 bundle_list_add(struct bundle_list *, const struct bundle_file *,
	    const char *name);
/* The file of that name (valid until the next call), or NULL. */
const struct bundle_file *bundle_list_find(struct bundle_list *,
	    const char *name);
/* Let the name map go (bundle_forget_names). */
void	 bundle_list_forget(struct bundle_list *);
/*
 * The order by name (the name map then leaves memory: found by a binary
 * search); -1 (logged) on a duplicate or a read error.
 */
int	 bundle_list_sort(struct bundle_list *);
/* The bytes of all the names, without their NULs. */
size_t	 bundle_list_name_bytes(const struct bundle_list *);
/*
 * The files of a sealed bundle in name order, held (b->files) or read
 * back from its list: what bundle_iter_get() gives lives until its next
 * call.
 */
struct bundle_iter {
	const struct bundle *b;
	struct spool_win w;
	struct bundle_file f;
};
void	 bundle_iter_init(struct bundle_iter *, const struct bundle *);
/* The k-th file by name, or NULL (logged). */
const struct bundle_file *bundle_iter_get(struct bundle_iter *, size_t k);
void	 bundle_iter_cleanup(struct bundle_iter *);
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
/*
 * The manifest's text before "files" into sb: json_print(m) less its last
 * "\n}\n", made a member at a time (m is taken: each member deleted once
 * printed); spilled to a temporary file (strbuf_spill) when spill is set.
 * 0, or -1 (logged).
 */
struct strbuf;
int	 bundle_head_print(struct strbuf *sb, cJSON *m, bool spill);
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
