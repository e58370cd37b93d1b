#ifndef F2O_BGWRITE_H
#define F2O_BGWRITE_H
/*
 * A background writer: new small files and appends to a descriptor are
 * copied into a batch and written by one thread, a batch at a time, so
 * that creating many files overlaps the caller's work. Appends are done
 * in the order given; new files may be created in another order: a batch
 * of new files handed over while the thread is busy waits in a temporary
 * file beside prefix (unlinked; in /tmp if need be; the caller waits
 * instead if none can be written), and bgwrite_sync's caller writes some
 * of those itself. The thread never allocates; a failure is kept and
 * logged by the caller's next bgwrite_* call, and the jobs not started
 * yet are dropped. Used by the bundle writers (bundle_out.c).
 */
#include <stddef.h>

#define BGWRITE_BATCH	(1024 * 1024)	/* bytes copied per hand-over */

struct bgwrite;

/*
 * Start the thread (without one, where limits refuse it, every job runs
 * at once). prefix (may be NULL) names new files in messages as
 * "prefix/label". Free with bgwrite_free().
 */
struct bgwrite	*bgwrite_new(const char *prefix);
/*
 * Create the file label + base (relative to dirfd, which must stay open
 * until bgwrite_sync/free) with O_EXCL and mode 0644, and write data to
 * it. label is the whole name for messages. 0, or -1 (logged) if an
 * earlier job failed.
 */
int		 bgwrite_file(struct bgwrite *, int dirfd, const char *label,
		    size_t base, const void *data, size_t len);
/* Append data to fd (label names it in messages). 0 or -1 (logged). */
int		 bgwrite_append(struct bgwrite *, int fd, const char *label,
		    const void *data, size_t len);
/* Wait until every job given is done. 0, or -1 (logged once). */
int		 bgwrite_sync(struct bgwrite *);
/*
 * One step towards that: hand over what the caller holds, then write the
 * newest queued batch, or wait for the thread's. 1 when something was
 * outstanding, 0 when nothing is, -1 (logged once) after a failure.
 */
int		 bgwrite_step(struct bgwrite *);
/*
 * Wait for the batch being written, drop what was not handed over or is
 * still queued (call bgwrite_sync first to keep it), stop the thread and
 * free. NULL-safe.
 */
void		 bgwrite_free(struct bgwrite *);

#endif
