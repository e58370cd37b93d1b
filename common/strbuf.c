/*
 * A growable NUL-terminated buffer with a hard maximum (after curl's
 * dynbuf). See strbuf.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

/* The most a spilled buffer keeps for the text that follows. */
#define STRBUF_KEEP	(128 * 1024)

void
strbuf_init(struct strbuf *sb, size_t max)
{
	memset(sb, 0, sizeof(*sb));
	sb->max = max;
}

void
strbuf_cleanup(struct strbuf *sb)
{
	if (sb == NULL)
		return;
	free(sb->buf);
	if (sb->spill != NULL)
		(void)fclose(sb->spill);
	memset(sb, 0, sizeof(*sb));
}

int
strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	if (n > sb->max || sb->len > sb->max - n) {
		sb->full = true;
		return -1;
	}
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap == 0 ? 256 : sb->cap;

		while (cap < sb->len + n + 1)
			cap *= 2;
		sb->buf = xrealloc(sb->buf, cap);
		sb->cap = cap;
	}
	if (n > 0)
		memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int
strbuf_puts(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char small[512], *big = NULL;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return strbuf_add(sb, small, (size_t)n);
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = strbuf_add(sb, big, (size_t)n);
	free(big);
	return rc;
}

char *
strbuf_take(struct strbuf *sb, size_t *len)
{
	char *p;

	if (sb->buf == NULL)
		(void)strbuf_add(sb, "", 0);
	if (sb->buf == NULL)
		sb->buf = xstrdup("");
	p = sb->buf;
	if (len != NULL)
		*len = sb->len;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void
strbuf_spill(struct strbuf *sb, size_t least)
{
	if (sb->len < least || sb->len == 0 || sb->spill_failed)
		return;
	if (sb->spill == NULL && (sb->spill = tmpfile()) == NULL)
		return;		/* kept in memory */
	if (fwrite(sb->buf, 1, sb->len, sb->spill) != sb->len) {
		log_err("temporary file");
		sb->spill_failed = true;
		return;
	}
	sb->spilled += sb->len;
	sb->max -= sb->len;
	sb->len = 0;
	if (sb->cap > STRBUF_KEEP) {
		/* A buffer grown large leaves memory with its text. */
		free(sb->buf);
		sb->buf = xmalloc(STRBUF_KEEP);
		sb->cap = STRBUF_KEEP;
	}
	sb->buf[0] = '\0';
}

int
strbuf_add_spilling(struct strbuf *sb, const void *p, size_t n)
{
	if (sb->spill_failed || n < STRBUF_KEEP)
		return strbuf_add(sb, p, n);
	if (n > sb->max || sb->len > sb->max - n) {
		sb->full = true;
		return -1;
	}
	if (sb->spill == NULL && (sb->spill = tmpfile()) == NULL)
		return strbuf_add(sb, p, n);	/* kept in memory */
	strbuf_spill(sb, 0);
	if (sb->spill_failed)
		return -1;
	if (fwrite(p, 1, n, sb->spill) != n) {
		log_err("temporary file");
		sb->spill_failed = true;
		return -1;
	}
	sb->spilled += n;
	sb->max -= n;
	return 0;
}

int
strbuf_drain(struct strbuf *sb, int (*put)(void *, const void *, size_t),
    void *arg)
{
	char chunk[65536];
	size_t left = sb->spilled, n;

	if (sb->spill_failed)
		return -1;
	if (sb->spill != NULL) {
		if (fflush(sb->spill) != 0 || fseek(sb->spill, 0, SEEK_SET)) {
			log_err("temporary file");
			return -1;
		}
		while (left > 0) {
			n = fread(chunk, 1, left < sizeof(chunk) ? left :
			    sizeof(chunk), sb->spill);
			if (n == 0) {
				log_errx("temporary file: truncated");
				return -1;
			}
			if (put(arg, chunk, n) == -1)
				return -1;
			left -= n;
		}
		if (fseek(sb->spill, 0, SEEK_END) != 0) {
			log_err("temporary file");
			return -1;
		}
	}
	if (sb->len > 0 && put(arg, sb->buf, sb->len) == -1)
		return -1;
	return 0;
}

/*
 * The digits of q / 10 with one decimal: q's digits, the last after a
 * point ("0.q" below 10).
 */
static int
dec1_put(struct strbuf *sb, unsigned long q)
{
	char num[32], *o = num + sizeof(num);

	*--o = (char)('0' + q % 10);
	*--o = '.';
	q /= 10;
	do {
		*--o = (char)('0' + q % 10);
		q /= 10;
	} while (q > 0);
	return strbuf_add(sb, o, (size_t)(num + sizeof(num) - o));
}

int
strbuf_dec1(struct strbuf *sb, double v)
{
	double p, e, n, f;
	unsigned long q;

	/* Outside [1e-6, 1e8) (and +0): printf itself. */
	if (!((v == 0 && !signbit(v)) || (v >= 1e-6 && v < 1e8)))
		return strbuf_printf(sb, "%.1f", v);
	/*
	 * printf rounds the exact value of v: 10v is p + e exactly (e, the
	 * product's rounding error, exact by fma); its nearest whole number
	 * is n or n + 1, a tie going to the even one.
	 */
	p = v * 10;
	e = fma(v, 10, -p);
	n = floor(p);
	f = p - n - 0.5;	/* exact when it matters (p - n >= 0.25) */
	q = (unsigned long)n;
	if (f > -e || (f == -e && q % 2 == 1))
		q++;
	return dec1_put(sb, q);
}
