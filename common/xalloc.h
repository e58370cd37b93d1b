#ifndef F2O_XALLOC_H
#define F2O_XALLOC_H
/* Allocation that aborts on exhaustion (as rpki-client and jq do). */
#include <stddef.h>
#include <stdint.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
/*
 * Room for element n of an array of size-byte elements that grows one at
 * a time from 0 (n elements so far): the capacity doubles at each power of
 * two, so appending n elements copies O(n) bytes, not O(n^2).
 */
void	*xgrow(void *, size_t n, size_t size);
char	*xstrdup(const char *);
/* fn is called when memory runs out, before the abort (no allocation). */
void	 xalloc_on_oom(void (*fn)(void));
/*
 * Strings kept until the arena is freed, in blocks (the first small, each
 * next twice as large up to a limit; a longer string gets a block of its
 * own): no allocation per string. A zeroed struct is an empty arena.
 */
struct xarena_block;
struct xarena {
	struct xarena_block *blocks;	/* newest first */
	size_t	 room;			/* bytes left in blocks */
};
/* A copy of the len bytes of s and a NUL. */
char	*xarena_strndup(struct xarena *, const char *s, size_t len);
void	 xarena_free(struct xarena *);
char	*xstrndup(const char *, size_t);
/*
 * A growing list of offsets below 4 GiB (in a spill file of records), 4
 * bytes each in chunks of XOFFS_CHUNK: none copied as it grows, no room
 * wasted but in the last chunk. A zeroed struct is empty.
 */
#define XOFFS_CHUNK	65536
struct xoffs {
	uint32_t **chunk;
	size_t	 n;
};
/* Append v: 0, or -1 when v is 4 GiB or more (not logged). */
int	 xoffs_push(struct xoffs *, long long v);
#define	 XOFFS_AT(o, i)	\
	((long long)(o)->chunk[(i) / XOFFS_CHUNK][(i) % XOFFS_CHUNK])
void	 xoffs_free(struct xoffs *);
/* printf into a new string; free with free(). */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
