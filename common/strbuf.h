#ifndef F2O_STRBUF_H
#define F2O_STRBUF_H
/* A growable NUL-terminated buffer with a hard maximum (curl's dynbuf). */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct strbuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* bytes; appends beyond fail */
	FILE	*spill;		/* strbuf_spill: the text before buf */
	size_t	 spilled;	/* bytes in spill */
	bool	 spill_failed;
	bool	 full;		/* an append was refused: the text is cut */
};

void	strbuf_init(struct strbuf *, size_t max);
void	strbuf_cleanup(struct strbuf *);	/* NULL-safe */
/* Returns 0, or -1 when max would be exceeded (nothing appended). */
int	strbuf_add(struct strbuf *, const void *, size_t);
int	strbuf_puts(struct strbuf *, const char *);
int	strbuf_printf(struct strbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* v as printf's "%.1f" gives it, without printf. 0, or -1 (full). */
int	strbuf_dec1(struct strbuf *, double v);
/* Take the buffer (never NULL); the strbuf is reset. Free with free(). */
char	*strbuf_take(struct strbuf *, size_t *len);
/*
 * A large text kept out of memory: once sb holds at least least bytes they
 * move to an unlinked temporary file (buf then holds only what follows;
 * max still counts them), or stay if no file can be made. The whole text
 * is then read with strbuf_drain() only: spilled + len bytes.
 */
void	strbuf_spill(struct strbuf *, size_t least);
/*
 * strbuf_add for a text read only with strbuf_drain(): a piece of 128 KiB
 * or more goes straight to the spill file (made if need be, as
 * strbuf_spill does), after what buf holds, never through buf. 0, or -1
 * (max exceeded, or a spill failed).
 */
int	strbuf_add_spilling(struct strbuf *, const void *, size_t);
/*
 * Pass the whole text, spilled and held, to put in order (pieces of at
 * most 64 KiB). Returns 0, or -1: put's -1, or a spill that failed
 * (logged).
 */
int	strbuf_drain(struct strbuf *, int (*put)(void *, const void *, size_t),
	    void *arg);

#endif
