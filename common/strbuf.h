#ifndef F2O_STRBUF_H
#define F2O_STRBUF_H
/* A growable NUL-terminated buffer with a hard maximum (curl's dynbuf). */
#include <stddef.h>

struct strbuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* bytes; appends beyond fail */
};

void	strbuf_init(struct strbuf *, size_t max);
void	strbuf_cleanup(struct strbuf *);	/* NULL-safe */
/* Returns 0, or -1 when max would be exceeded (nothing appended). */
int	strbuf_add(struct strbuf *, const void *, size_t);
int	strbuf_puts(struct strbuf *, const char *);
int	strbuf_printf(struct strbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Take the buffer (never NULL); the strbuf is reset. Free with free(). */
char	*strbuf_take(struct strbuf *, size_t *len);

#endif
