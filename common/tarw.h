#ifndef F2O_TARW_H
#define F2O_TARW_H
/*
 * The bundle's archive stream: a pax_restricted tar (gzip-compressed when
 * asked), the bytes libarchive writes for it. See tarw.c.
 */
#include <stdbool.h>
#include <stddef.h>

struct tarw;

struct bgwrite;

/*
 * Write to fd (what: its name for messages); gz: .tar.gz. With bg, the
 * stream goes through bg, in order after the jobs given before it (the
 * caller waits for them with bgwrite_sync after tarw_close): gz's blocks
 * are copied for bg's thread; a plain stream's 1 MiB pieces are larger
 * than a batch and bg writes them in the caller's thread (pieces small
 * enough to hand over measured slower: 10,000 services, 12 alternating
 * runs, 4.03 s median against 3.81). Without bg, written here. NULL
 * (logged) on failure. Close with tarw_close() (then free), or tarw_free()
 * alone to give up.
 */
struct tarw *tarw_open(int fd, const char *what, bool gz, struct bgwrite *bg);
/* A regular file's header: mode 0644, owner 0, mtime 0, len bytes. */
int	tarw_header(struct tarw *, const char *name, size_t len);
/* Bytes of the file whose header was written last (len in all). */
int	tarw_data(struct tarw *, const void *data, size_t len);
/* The end of the archive, written out. 0, or -1 (logged). */
int	tarw_close(struct tarw *);
void	tarw_free(struct tarw *);	/* NULL-safe */

#endif
