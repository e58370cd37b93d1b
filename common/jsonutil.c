/*
 * JSON text in and out: parsing with line/column errors, canonical JSON,
 * typed getters and JSON-path strings for messages. See jsonutil.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * Index of the next byte at or after i that is outside any JSON string
 * (strings are skipped whole, escapes included), or len.
 */
static size_t
skip_strings(const char *buf, size_t len, size_t i)
{
	int esc = 0;

	if (i >= len || buf[i] != '"')
		return i;
	for (i++; i < len; i++) {
		if (esc)
			esc = 0;
		else if (buf[i] == '\\')
			esc = 1;
		else if (buf[i] == '"')
			return i + 1;
	}
	return len;
}

static int
depth_ok(const char *buf, size_t len)
{
	size_t i;
	int depth = 0;

	for (i = 0; i < len; i++) {
		char c;

		i = skip_strings(buf, len, i);
		if (i >= len)
			break;
		c = buf[i];
		if (c == '"') {
			i--;	/* another string right after */
			continue;
		}
		if (c == '{' || c == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return 0;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 1;
}

cJSON *
json_parse_quiet(const char *buf, size_t len)
{
	const char *end = NULL;
	cJSON *j;

	if (!depth_ok(buf, len))
		return NULL;
	j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (j == NULL)
		return NULL;
	/* Only whitespace may follow the value. */
	while (end != NULL && (size_t)(end - buf) < len &&
	    (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end == NULL || (size_t)(end - buf) != len) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/* Offset of the first ',' followed (after blanks) by '}' or ']'. */
static const char *
trailing_comma(const char *buf, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i++) {
		i = skip_strings(buf, len, i);
		if (i >= len)
			break;
		if (buf[i] == '"') {
			i--;	/* another string right after */
			continue;
		}
		if (buf[i] != ',')
			continue;
		for (j = i + 1; j < len && (buf[j] == ' ' || buf[j] == '\t' ||
		    buf[j] == '\n' || buf[j] == '\r'); j++)
			;
		if (j < len && (buf[j] == '}' || buf[j] == ']'))
			return buf + i;
	}
	return NULL;
}

struct dupent {
	cJSON	*item;
	size_t	 idx;
};

static int
cmp_dupent(const void *a, const void *b)
{
	const struct dupent *x = a, *y = b;
	int c = strcmp(x->item->string, y->item->string);

	if (c != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

struct dupwalk {
	const char	*path;
	enum json_dup	 dup;
	size_t		 found;
	struct jpath	 jp;
};

/* One object's members: report and (for LAST) drop all but the last. */
static void
dedup_object(struct dupwalk *w, cJSON *obj)
{
	struct dupent *v;
	cJSON *c;
	size_t n = 0, i, j;

	for (c = obj->child; c != NULL; c = c->next)
		n++;
	if (n < 2)
		return;
	v = xreallocarray(NULL, n, sizeof(*v));
	for (i = 0, c = obj->child; c != NULL; c = c->next, i++) {
		v[i].item = c;
		v[i].idx = i;
	}
	qsort(v, n, sizeof(*v), cmp_dupent);
	for (i = 0; i < n; i = j) {
		size_t mark;

		for (j = i + 1; j < n && strcmp(v[i].item->string,
		    v[j].item->string) == 0; j++)
			;
		if (j - i < 2)
			continue;
		w->found++;
		mark = jpath_key(&w->jp, v[i].item->string);
		if (w->found <= JSON_MAX_DUP_REPORTS &&
		    w->dup != JSON_DUP_LAST_QUIET)
			log_diag(w->dup == JSON_DUP_ERROR, w->path, w->jp.buf,
			    NULL, w->dup == JSON_DUP_ERROR ? "remove all but "
			    "one (or pass --duplicate-keys last to keep the "
			    "last value)" : "the last value is used",
			    "key \"%s\" appears %zu times in one object",
			    v[i].item->string, j - i);
		jpath_pop(&w->jp, mark);
		if (w->dup == JSON_DUP_LAST || w->dup == JSON_DUP_LAST_QUIET) {
			size_t k;

			for (k = i; k + 1 < j; k++)
				cJSON_Delete(cJSON_DetachItemViaPointer(obj,
				    v[k].item));
		}
	}
	free(v);
}

static void
dedup_walk(struct dupwalk *w, cJSON *item, int depth)
{
	cJSON *c;
	size_t i = 0, mark;

	if (item == NULL || depth > JSON_MAX_DEPTH)
		return;
	if (cJSON_IsObject(item) && w->dup != JSON_DUP_KEEP)
		dedup_object(w, item);
	for (c = item->child; c != NULL; c = c->next, i++) {
		if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
			continue;
		mark = cJSON_IsObject(item) ? jpath_key(&w->jp, c->string) :
		    jpath_index(&w->jp, i);
		dedup_walk(w, c, depth + 1);
		jpath_pop(&w->jp, mark);
	}
}

size_t
json_dedup(cJSON *root, const char *path, enum json_dup dup)
{
	struct dupwalk w;

	if (dup == JSON_DUP_KEEP)
		return 0;	/* nothing to look for */
	memset(&w, 0, sizeof(w));
	w.path = path;
	w.dup = dup;
	jpath_init(&w.jp, "$");
	dedup_walk(&w, root, 0);
	if (w.found > JSON_MAX_DUP_REPORTS && dup != JSON_DUP_LAST_QUIET)
		log_diag(dup == JSON_DUP_ERROR, path, NULL, NULL, NULL,
		    "%zu more duplicated keys", w.found - JSON_MAX_DUP_REPORTS);
	return w.found;
}

void
json_where(const char *buf, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

size_t
json_skip_ws(const char *buf, size_t len, size_t i)
{
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
	    buf[i] == '\r'))
		i++;
	return i;
}

int
json_iter_object(struct json_iter *it, const char *buf, size_t len,
    size_t at)
{
	it->buf = buf;
	it->len = len;
	it->n = 0;
	it->i = json_skip_ws(buf, len, at);
	if (it->i >= len || buf[it->i] != '{')
		return -1;
	it->i++;
	return 0;
}

int
json_iter_member(struct json_iter *it, char **key, size_t *v, size_t *vend)
{
	const char *buf = it->buf;
	size_t i = json_skip_ws(buf, it->len, it->i), e;
	cJSON *k;

	*key = NULL;
	if (i < it->len && buf[i] == '}') {
		it->i = i + 1;
		return 0;
	}
	if (it->n > 0) {
		if (i >= it->len || buf[i] != ',') {
			it->i = i;
			return -1;
		}
		i = json_skip_ws(buf, it->len, i + 1);
	}
	it->i = i;
	if (i >= it->len || buf[i] != '"' ||
	    (e = json_value_end(buf, it->len, i)) == 0)
		return -1;
	k = cJSON_ParseWithLength(buf + i, e - i);
	if (!cJSON_IsString(k)) {
		cJSON_Delete(k);
		return -1;
	}
	*key = xstrdup(k->valuestring);
	cJSON_Delete(k);
	i = json_skip_ws(buf, it->len, e);
	if (i >= it->len || buf[i] != ':') {
		it->i = i;
		goto bad;
	}
	i = json_skip_ws(buf, it->len, i + 1);
	it->i = i;
	if ((e = json_value_end(buf, it->len, i)) == 0)
		goto bad;
	*v = i;
	*vend = it->i = e;
	it->n++;
	return 1;
bad:
	free(*key);
	*key = NULL;
	return -1;
}

/* Past the string opening at buf[i], or 0 when unterminated. */
static size_t
string_end(const char *buf, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			return i + 1;
	}
	return 0;
}

size_t
json_value_end(const char *buf, size_t len, size_t i)
{
	size_t depth = 0, start = i;

	if (i >= len)
		return 0;
	if (buf[i] != '{' && buf[i] != '[' && buf[i] != '"') {
		/* A number, true, false or null: up to what ends it. */
		for (; i < len; i++) {
			switch (buf[i]) {
			case ',': case ':': case '{': case '}': case '[':
			case ']': case '"': case ' ': case '\t': case '\n':
			case '\r':
				return i > start ? i : 0;
			default:
				break;
			}
		}
		return i > start ? i : 0;
	}
	for (; i < len; i++) {
		switch (buf[i]) {
		case '"':
			if ((i = string_end(buf, len, i)) == 0)
				return 0;
			if (depth == 0)
				return i;
			i--;
			break;
		case '{':
		case '[':
			if (++depth > JSON_MAX_DEPTH)
				return 0;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return 0;
			if (--depth == 0)
				return i + 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

int
json_parse(cJSON **out, const char *path, const char *buf, size_t len)
{
	return json_parse_dup(out, path, buf, len, JSON_DUP_ERROR);
}

int
json_parse_dup(cJSON **out, const char *path, const char *buf, size_t len,
    enum json_dup dup)
{
	const char *end = NULL, *p, *q;
	size_t off, line = 1, col = 1, i;
	const char *hint = "";
	char near[24];
	cJSON *j;

	*out = NULL;
	if (len == 0) {
		log_errx("%s: empty file, expected JSON", path);
		return -1;
	}
	if (memchr(buf, '\0', len) != NULL) {
		log_errx("%s: contains a NUL byte: not a JSON text", path);
		return -1;
	}
	if (!depth_ok(buf, len)) {
		log_errx("%s: JSON nested deeper than %d levels", path,
		    JSON_MAX_DEPTH);
		return -1;
	}
	j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (j != NULL) {
		p = end;
		while ((size_t)(p - buf) < len && (*p == ' ' || *p == '\t' ||
		    *p == '\n' || *p == '\r'))
			p++;
		if ((size_t)(p - buf) == len) {
			if (json_dedup(j, path, dup) > 0 &&
			    dup == JSON_DUP_ERROR) {
				cJSON_Delete(j);
				return -1;
			}
			*out = j;
			return 0;
		}
		cJSON_Delete(j);
		end = p;
		hint = " (text after the JSON value)";
	} else {
		end = cJSON_GetErrorPtr();
		if (end == NULL || end < buf || end > buf + len)
			end = buf;
		/* cJSON points past a trailing comma, sometimes at the end. */
		p = trailing_comma(buf, len);
		if (p != NULL && p <= end) {
			end = p;
			hint = " (trailing comma: JSON allows none before } or ])";
		}
	}
	off = (size_t)(end - buf);
	json_where(buf, off, &line, &col);
	/* Hints for what people really feed us. */
	p = buf;
	while ((size_t)(p - buf) < len && (*p == ' ' || *p == '\t' ||
	    *p == '\n' || *p == '\r' || (unsigned char)*p == 0xef ||
	    (unsigned char)*p == 0xbb || (unsigned char)*p == 0xbf))
		p++;
	if ((size_t)(p - buf) < len && *p != '{' && *p != '[') {
		hint = " (text before the JSON: a shell prompt or a log line?)";
		end = p;
		off = (size_t)(end - buf);
		json_where(buf, off, &line, &col);
	}
	if (*hint == '\0' && off < len && (*end == '}' || *end == ']')) {
		q = end;
		while (q > buf && (q[-1] == ' ' || q[-1] == '\t' ||
		    q[-1] == '\n' || q[-1] == '\r'))
			q--;
		if (q > buf && q[-1] == ',')
			hint = " (trailing comma before this bracket)";
	}
	if (*hint == '\0')
		hint = " (not valid JSON here)";
	for (i = 0; i < sizeof(near) - 1 && off + i < len; i++) {
		unsigned char c = (unsigned char)buf[off + i];

		if (c == '\n' || c == '\r')
			break;
		near[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	near[i] = '\0';
	log_errx("%s: line %zu, column %zu: cannot parse JSON%s near \"%s\"",
	    path, line, col, hint, near);
	return -1;
}

int
json_stream_open(struct json_stream *js, struct strbuf *sb,
    const cJSON *obj, const char *key)
{
	char *mark = xasprintf("\n\t\"%s\":\t[]", key), *at;

	memset(js, 0, sizeof(*js));
	js->sb = sb;
	js->text = json_print(obj);
	at = strstr(js->text, mark);
	if (at == NULL) {
		log_errx("JSON text: no empty array \"%s\" to fill", key);
		free(mark);
		free(js->text);
		js->text = NULL;
		return -1;
	}
	js->rest = at + strlen(mark) - 1;	/* at "]" */
	free(mark);
	(void)strbuf_add(sb, js->text, (size_t)(js->rest - js->text));
	return 0;
}

/*
 * An item of an array member of the top object: printed at depth 2;
 * items are separated by ", " (as cJSON prints arrays).
 */
void
json_stream_item(struct json_stream *js, const cJSON *item)
{
	char *t = json_print_nested(item, 2);

	if (js->n++ > 0)
		(void)strbuf_add(js->sb, ", ", 2);
	(void)strbuf_add_spilling(js->sb, t, strlen(t));
	free(t);
}

void
json_stream_close(struct json_stream *js)
{
	if (js->text != NULL)
		(void)strbuf_puts(js->sb, js->rest);
	free(js->text);
	js->text = NULL;
}

static void
objw_tabs(struct strbuf *sb, size_t n)
{
	static const char t[] = "\t\t\t\t\t\t\t\t";
	size_t k;

	for (; n > 0; n -= k) {
		k = n < 8 ? n : 8;
		(void)strbuf_add(sb, t, k);
	}
}

/* item's text where it stands (nested at depth), freed. */
static void
objw_put(struct strbuf *sb, const cJSON *item, size_t depth)
{
	char *t = json_print_nested(item, depth);

	(void)strbuf_puts(sb, t);
	free(t);
}

void
json_objw_open(struct json_objw *w, struct strbuf *sb, size_t depth)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
	w->depth = depth;
	(void)strbuf_add(sb, "{\n", 2);
}

void
json_objw_key(struct json_objw *w, const char *key)
{
	cJSON *k = cJSON_CreateStringReference(key);

	if (w->n++ > 0)
		(void)strbuf_add(w->sb, ",\n", 2);
	objw_tabs(w->sb, w->depth + 1);
	objw_put(w->sb, k, 0);
	cJSON_Delete(k);
	(void)strbuf_add(w->sb, ":\t", 2);
}

void
json_objw_value(struct json_objw *w, const cJSON *item)
{
	objw_put(w->sb, item, w->depth + 1);
}

void
json_objw_close(struct json_objw *w)
{
	if (w->n > 0)
		(void)strbuf_add(w->sb, "\n", 1);
	objw_tabs(w->sb, w->depth);
	(void)strbuf_add(w->sb, "}", 1);
}

static int
cmp_items(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

void
json_sort_keys(cJSON *item)
{
	cJSON *c, **v;
	size_t n = 0, i;

	if (item == NULL)
		return;
	for (c = item->child; c != NULL; c = c->next) {
		json_sort_keys(c);
		n++;
	}
	if (!cJSON_IsObject(item) || n < 2)
		return;
	/* In order already (sorted before): the stable sort would keep it. */
	for (c = item->child; c->next != NULL &&
	    strcmp(c->string, c->next->string) <= 0; c = c->next)
		;
	if (c->next == NULL)
		return;
	v = xreallocarray(NULL, n, sizeof(*v));
	for (i = 0, c = item->child; c != NULL; c = c->next)
		v[i++] = c;
	qsort(v, n, sizeof(*v), cmp_items);
	for (i = 0; i < n; i++) {
		v[i]->prev = i == 0 ? v[n - 1] : v[i - 1];
		v[i]->next = i + 1 < n ? v[i + 1] : NULL;
	}
	item->child = v[0];
	free(v);
}

const char *
json_type_name(const cJSON *item)
{
	if (item == NULL)
		return "missing";
	if (cJSON_IsNull(item))
		return "null";
	if (cJSON_IsBool(item))
		return "a boolean";
	if (cJSON_IsNumber(item))
		return "a number";
	if (cJSON_IsString(item))
		return "a string";
	if (cJSON_IsArray(item))
		return "an array";
	if (cJSON_IsObject(item))
		return "an object";
	return "invalid";
}

bool
json_is_unset(const cJSON *item)
{
	if (item == NULL || cJSON_IsNull(item))
		return true;
	if (cJSON_IsString(item) && item->valuestring[0] == '\0')
		return true;
	if (cJSON_IsObject(item) && item->child == NULL)
		return true;
	return false;
}

const char *
json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
json_int(const cJSON *obj, const char *key, long long min, long long max,
    long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < (double)min ||
	    d > (double)max)
		return -1;
	*out = (long long)d;
	return 0;
}

static void
add_or_die(cJSON *obj, const char *key, cJSON *v)
{
	if (v == NULL || !cJSON_AddItemToObject(obj, key, v)) {
		fputs("f2o: out of memory\n", stderr);
		abort();
	}
}

void
json_add_str(cJSON *obj, const char *key, const char *val)
{
	add_or_die(obj, key, cJSON_CreateString(val));
}

void
json_add_num(cJSON *obj, const char *key, double val)
{
	add_or_die(obj, key, cJSON_CreateNumber(val));
}

void
json_add_bool(cJSON *obj, const char *key, bool val)
{
	add_or_die(obj, key, cJSON_CreateBool(val));
}

void
json_del(cJSON *obj, const char *key)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

void
jpath_init(struct jpath *jp, const char *root)
{
	int n = snprintf(jp->buf, sizeof(jp->buf), "%s", root);

	jp->len = n < 0 ? 0 : (size_t)n < sizeof(jp->buf) ? (size_t)n :
	    sizeof(jp->buf) - 1;
}

static size_t
jpath_put(struct jpath *jp, const char *text)
{
	size_t old = jp->len, n = strlen(text);

	if (n >= sizeof(jp->buf) - jp->len)
		n = sizeof(jp->buf) - jp->len - 1;	/* truncated: a hint */
	memcpy(jp->buf + jp->len, text, n);
	jp->len += n;
	jp->buf[jp->len] = '\0';
	return old;
}

size_t
jpath_key(struct jpath *jp, const char *key)
{
	size_t old = jpath_put(jp, ".");

	jpath_put(jp, key);
	return old;
}

size_t
jpath_index(struct jpath *jp, size_t i)
{
	char tmp[32], *o = tmp + sizeof(tmp);

	/* "[%zu]" without printf: paths are made for every item checked. */
	*--o = '\0';
	*--o = ']';
	do {
		*--o = (char)('0' + i % 10);
		i /= 10;
	} while (i > 0);
	*--o = '[';
	return jpath_put(jp, o);
}

void
jpath_pop(struct jpath *jp, size_t len)
{
	jp->len = len;
	jp->buf[len] = '\0';
}
