/*
 * Allocation that aborts on exhaustion (xmalloc, xstrdup, xasprintf ...),
 * as rpki-client and jq do. See xalloc.h.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void (*oom_hook)(void);

void
xalloc_on_oom(void (*fn)(void))
{
	oom_hook = fn;
}

static void
oom(void)
{
	fputs("f2o: out of memory\n", stderr);
	if (oom_hook != NULL)
		oom_hook();
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz);

	if (p == NULL)
		oom();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n == 0 ? 1 : n);
	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > SIZE_MAX / sz)
		oom();
	return xrealloc(p, n * sz);
}

void *
xgrow(void *p, size_t n, size_t sz)
{
	/* n is 0 or a power of two: the room is full. */
	if ((n & (n - 1)) != 0)
		return p;
	if (n > SIZE_MAX / 2)
		oom();
	return xreallocarray(p, n == 0 ? 1 : 2 * n, sz);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		oom();
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	if (vsnprintf(p, (size_t)n + 1, fmt, ap) != n)
		oom();
	va_end(ap);
	return p;
}

/* Arena blocks: the first small, each next twice as large up to this. */
#define XARENA_BLOCK_MIN	256
#define XARENA_BLOCK_MAX	(64 * 1024)

struct xarena_block {
	struct xarena_block *next;
	size_t	 size;		/* of text */
	char	 text[];
};

char *
xarena_strndup(struct xarena *a, const char *s, size_t len)
{
	struct xarena_block *b;
	size_t size;
	char *p;

	if (len + 1 > XARENA_BLOCK_MAX) {
		/* a block of its own, behind the current one: room stays */
		b = xmalloc(sizeof(*b) + len + 1);
		b->size = len + 1;
		if (a->blocks != NULL) {
			b->next = a->blocks->next;
			a->blocks->next = b;
		} else {
			b->next = NULL;
			a->blocks = b;
			a->room = 0;
		}
		memcpy(b->text, s, len);
		b->text[len] = '\0';
		return b->text;
	}
	if (len + 1 > a->room) {
		size = a->blocks == NULL ? XARENA_BLOCK_MIN :
		    a->blocks->size * 2;
		if (size > XARENA_BLOCK_MAX)
			size = XARENA_BLOCK_MAX;
		if (size < len + 1)
			size = len + 1;
		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->next = a->blocks;
		a->blocks = b;
		a->room = size;
	}
	b = a->blocks;
	p = b->text + (b->size - a->room);
	memcpy(p, s, len);
	p[len] = '\0';
	a->room -= len + 1;
	return p;
}

void
xarena_free(struct xarena *a)
{
	struct xarena_block *b, *next;

	if (a == NULL)
		return;
	for (b = a->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->blocks = NULL;
	a->room = 0;
}

int
xoffs_push(struct xoffs *o, long long v)
{
	if (v < 0 || v > (long long)UINT32_MAX)
		return -1;
	if (o->n % XOFFS_CHUNK == 0) {
		o->chunk = xreallocarray(o->chunk, o->n / XOFFS_CHUNK + 1,
		    sizeof(*o->chunk));
		o->chunk[o->n / XOFFS_CHUNK] = xreallocarray(NULL, XOFFS_CHUNK,
		    sizeof(**o->chunk));
	}
	o->chunk[o->n / XOFFS_CHUNK][o->n % XOFFS_CHUNK] = (uint32_t)v;
	o->n++;
	return 0;
}

void
xoffs_free(struct xoffs *o)
{
	size_t i;

	for (i = 0; i * XOFFS_CHUNK < o->n; i++)
		free(o->chunk[i]);
	free(o->chunk);
	memset(o, 0, sizeof(*o));
}
