/*
 * JSON text of cJSON trees (json_print, json_canonical, json_print_compact):
 * byte for byte what cJSON 1.7 prints, made in one growing buffer.
 */
/*
 * cJSON_Print grows its buffer from 256 bytes by realloc and prints every
 * number through sprintf and sscanf; json_canonical duplicated the whole
 * tree to sort it. Here the text goes into one buffer, whole numbers are
 * written directly (what "%1.15g" gives for them), and an object's members
 * are sorted as pointers, as json_sort_keys() sorts them (same qsort, same
 * comparison: duplicate keys end in the same order). Anything cJSON would
 * refuse to print (a raw item without text, an invalid type) makes the
 * result NULL, as cJSON's does. tests/unit/test_jsonprint.c compares the
 * two on generated trees.
 */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "strbuf.h"
#include "xalloc.h"

#define JSONPRINT_FIRST	512		/* first buffer size */
#define JSONPRINT_EXACT	1e15		/* whole numbers below: digits only */
#define JSONPRINT_MEMO	256		/* numbers' texts kept, by their bits */

struct jp {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	bool	 format;		/* cJSON_Print layout, else compact */
	bool	 sort;			/* members in key order */
};

/* Room for n more bytes (and a NUL); returns where they go. */
static char *
jp_room(struct jp *p, size_t n)
{
	if (p->len + n + 1 > p->cap) {
		while (p->len + n + 1 > p->cap)
			p->cap = p->cap == 0 ? JSONPRINT_FIRST : p->cap * 2;
		p->buf = xrealloc(p->buf, p->cap);
	}
	return p->buf + p->len;
}

static void
jp_add(struct jp *p, const char *s, size_t n)
{
	memcpy(jp_room(p, n), s, n);
	p->len += n;
}

static void
jp_char(struct jp *p, char c)
{
	*jp_room(p, 1) = c;
	p->len++;
}

static void
jp_tabs(struct jp *p, size_t n)
{
	memset(jp_room(p, n), '\t', n);
	p->len += n;
}

/* cJSON's print_string_ptr: NULL prints "". */
static void
jp_string(struct jp *p, const char *s)
{
	const unsigned char *u;
	char *o;
	size_t n = 0, esc = 0;

	if (s == NULL) {
		jp_add(p, "\"\"", 2);
		return;
	}
	for (u = (const unsigned char *)s; *u != '\0'; u++, n++)
		if (*u == '"' || *u == '\\')
			esc++;
		else if (*u < 32)
			esc += (*u == '\b' || *u == '\f' || *u == '\n' ||
			    *u == '\r' || *u == '\t') ? 1 : 5;
	o = jp_room(p, n + esc + 2);
	*o++ = '"';
	if (esc == 0) {
		memcpy(o, s, n);
		o += n;
	} else
		for (u = (const unsigned char *)s; *u != '\0'; u++) {
			if (*u > 31 && *u != '"' && *u != '\\') {
				*o++ = (char)*u;
				continue;
			}
			*o++ = '\\';
			switch (*u) {
			case '\\':
			case '"':
				*o++ = (char)*u;
				break;
			case '\b':
				*o++ = 'b';
				break;
			case '\f':
				*o++ = 'f';
				break;
			case '\n':
				*o++ = 'n';
				break;
			case '\r':
				*o++ = 'r';
				break;
			case '\t':
				*o++ = 't';
				break;
			default:
				(void)snprintf(o, 6, "u%04x", *u);
				o += 5;
				break;
			}
		}
	*o = '"';
	p->len += n + esc + 2;
}

/* cJSON's compare_double. */
static bool
same_double(double a, double b)
{
	double max = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

	return fabs(a - b) <= max * DBL_EPSILON;
}

/*
 * Numbers that are not whole, printed lately, by their bits (per thread):
 * the same prices and sizes recur service after service, and their text
 * takes an sprintf and an sscanf to make.
 */
struct jp_memo {
	uint64_t bits;
	size_t	 len;			/* 0: empty */
	char	 text[26];
};
static _Thread_local struct jp_memo jp_memo[JSONPRINT_MEMO];

/* cJSON's print_number (its decimal point: the C locale's). */
static bool
jp_number(struct jp *p, double d)
{
	char num[32], *o;
	unsigned long long v;
	double test = 0.0;
	struct jp_memo *m;
	uint64_t bits;
	int len;

	if (isnan(d) || isinf(d)) {
		jp_add(p, "null", 4);
		return true;
	}
	if (d == floor(d) && fabs(d) < JSONPRINT_EXACT &&
	    !(d == 0 && signbit(d))) {
		/* "%1.15g" of a whole number below 1e15: its digits. */
		o = num + sizeof(num);
		v = (unsigned long long)fabs(d);
		do {
			*--o = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0);
		if (d < 0)
			*--o = '-';
		jp_add(p, o, (size_t)(num + sizeof(num) - o));
		return true;
	}
	memcpy(&bits, &d, sizeof(bits));
	m = &jp_memo[(size_t)((bits * 0x9E3779B97F4A7C15ULL) >> 32) %
	    JSONPRINT_MEMO];
	if (m->len > 0 && m->bits == bits) {
		jp_add(p, m->text, m->len);
		return true;
	}
	len = snprintf(num, sizeof(num), "%1.15g", d);
	if (sscanf(num, "%lg", &test) != 1 || !same_double(test, d))
		len = snprintf(num, sizeof(num), "%1.17g", d);
	/* cJSON's buffer holds 25 characters: longer fails its print */
	if (len < 0 || len > 25)
		return false;
	m->bits = bits;
	m->len = (size_t)len;
	memcpy(m->text, num, (size_t)len);
	jp_add(p, num, (size_t)len);
	return true;
}

static int
cmp_members(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static bool jp_value(struct jp *, const cJSON *, size_t *);

/* An object's members in print order: as linked, or sorted by key. */
static const cJSON **
members(const struct jp *p, const cJSON *item, size_t *n)
{
	const cJSON *c, **v;
	size_t i = 0;

	*n = 0;
	for (c = item->child; c != NULL; c = c->next)
		(*n)++;
	v = xreallocarray(NULL, *n + 1, sizeof(*v));
	for (c = item->child; c != NULL; c = c->next)
		v[i++] = c;
	if (p->sort && *n > 1)
		qsort(v, *n, sizeof(*v), cmp_members);
	return v;
}

/* A member of an object (last: no comma after it). */
static bool
jp_member(struct jp *p, const cJSON *m, bool last, size_t *depth)
{
	bool ok;

	if (p->format)
		jp_tabs(p, *depth);
	jp_string(p, m->string);
	jp_char(p, ':');
	if (p->format)
		jp_char(p, '\t');
	ok = jp_value(p, m, depth);
	if (!last)
		jp_char(p, ',');
	if (p->format)
		jp_char(p, '\n');
	return ok;
}

static bool
jp_object(struct jp *p, const cJSON *item, size_t *depth)
{
	const cJSON **v, *c;
	size_t i, n;
	bool ok = true;

	jp_char(p, '{');
	(*depth)++;
	if (p->format)
		jp_char(p, '\n');
	if (!p->sort) {
		/* In link order: no array of the members needed. */
		for (c = item->child; c != NULL && ok; c = c->next)
			ok = jp_member(p, c, c->next == NULL, depth);
	} else {
		v = members(p, item, &n);
		for (i = 0; i < n && ok; i++)
			ok = jp_member(p, v[i], i + 1 == n, depth);
		free(v);
	}
	if (!ok)
		return false;
	if (p->format)
		jp_tabs(p, *depth - 1);
	jp_char(p, '}');
	(*depth)--;
	return true;
}

static bool
jp_array(struct jp *p, const cJSON *item, size_t *depth)
{
	const cJSON *c;

	jp_char(p, '[');
	(*depth)++;
	for (c = item->child; c != NULL; c = c->next) {
		if (!jp_value(p, c, depth))
			return false;
		if (c->next != NULL) {
			jp_char(p, ',');
			if (p->format)
				jp_char(p, ' ');
		}
	}
	jp_char(p, ']');
	(*depth)--;
	return true;
}

static bool
jp_value(struct jp *p, const cJSON *item, size_t *depth)
{
	switch (item->type & 0xFF) {
	case cJSON_NULL:
		jp_add(p, "null", 4);
		return true;
	case cJSON_False:
		jp_add(p, "false", 5);
		return true;
	case cJSON_True:
		jp_add(p, "true", 4);
		return true;
	case cJSON_Number:
		return jp_number(p, item->valuedouble);
	case cJSON_Raw:
		if (item->valuestring == NULL)
			return false;
		jp_add(p, item->valuestring, strlen(item->valuestring));
		return true;
	case cJSON_String:
		jp_string(p, item->valuestring);
		return true;
	case cJSON_Array:
		return jp_array(p, item, depth);
	case cJSON_Object:
		return jp_object(p, item, depth);
	default:
		return false;
	}
}

/*
 * The text of item, with a final newline when nl; NULL where cJSON would
 * print nothing. depth: the nesting the formatted text is indented for.
 */
static char *
jp_print(const cJSON *item, bool format, bool sort, bool nl, size_t depth)
{
	struct jp p = { NULL, 0, 0, format, sort };

	if (item == NULL || !jp_value(&p, item, &depth)) {
		free(p.buf);
		return NULL;
	}
	if (nl)
		jp_char(&p, '\n');
	p.buf[p.len] = '\0';
	/* Given back at its size (in place: no copy). */
	return xrealloc(p.buf, p.len + 1);
}

const char *
json_print_into(const cJSON *item, char **buf, size_t *cap, size_t *len)
{
	struct jp p = { *buf, 0, *cap, true, false };
	size_t depth = 0;
	bool ok = item != NULL && jp_value(&p, item, &depth);

	/* The buffer may have moved, whatever the result. */
	*buf = p.buf;
	*cap = p.cap;
	if (!ok) {
		fputs("f2o: out of memory\n", stderr);
		abort();
	}
	jp_char(&p, '\n');
	p.buf[p.len] = '\0';
	*buf = p.buf;
	*cap = p.cap;
	*len = p.len;
	return p.buf;
}

static char *
jp_or_die(char *s)
{
	if (s == NULL) {
		fputs("f2o: out of memory\n", stderr);
		abort();
	}
	return s;
}

char *
json_print(const cJSON *item)
{
	return jp_or_die(jp_print(item, true, false, true, 0));
}

char *
json_canonical(const cJSON *item)
{
	return jp_or_die(jp_print(item, false, true, false, 0));
}

char *
json_print_compact(const cJSON *item)
{
	return jp_print(item, false, false, false, 0);
}

char *
json_print_nested(const cJSON *item, size_t depth)
{
	return jp_or_die(jp_print(item, true, false, false, depth));
}

int
json_strbuf_str(struct strbuf *sb, const char *s)
{
	struct jp p = { NULL, 0, 0, false, false };
	const unsigned char *u = (const unsigned char *)s;
	size_t n;
	int rc;

	for (n = 0; u != NULL && u[n] > 31 && u[n] != '"' && u[n] != '\\';
	    n++)
		;
	if (u != NULL && u[n] == '\0') {
		/* Nothing to escape: the three pieces, or none. */
		if (n + 2 > sb->max || sb->len > sb->max - n - 2) {
			sb->full = true;
			return -1;
		}
		(void)strbuf_add(sb, "\"", 1);
		(void)strbuf_add(sb, s, n);
		return strbuf_add(sb, "\"", 1);
	}
	jp_string(&p, s);
	rc = strbuf_add(sb, p.buf, p.len);
	free(p.buf);
	return rc;
}
