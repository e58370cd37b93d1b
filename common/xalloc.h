#ifndef F2O_XALLOC_H
#define F2O_XALLOC_H
/* Allocation that aborts on exhaustion (as rpki-client and jq do). */
#include <stddef.h>

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
char	*xstrndup(const char *, size_t);
/* printf into a new string; free with free(). */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
