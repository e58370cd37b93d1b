/*
 * jsonprint: json_print, json_print_compact and json_canonical give cJSON's own
 * text byte for byte (cJSON_Print, cJSON_PrintUnformatted, and a sorted
 * duplicate printed) on fixed edge cases and on generated trees, and so
 * does an object made a member at a time (json_objw).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "strbuf.h"
#include "xalloc.h"

#define TREES		3000	/* generated trees */
#define MAX_DEPTH	5
#define MAX_KIDS	6

/* got (ours, free()) equals want (cJSON's, cJSON_free()); both freed. */
static void
same_text(char *got, char *want)
{
	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	cJSON_free(want);
}

/*
 * json_print_nested(t, 2) is t's text as cJSON prints it as the item of an
 * array member of an object ({"a": [t]}, as json_stream_item places it).
 */
static void
same_nested(const cJSON *t)
{
	static const char head[] = "{\n\t\"a\":\t[", tail[] = "]\n}";
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "a");
	char *all, *want;
	size_t n;

	cJSON_AddItemToArray(a, cJSON_Duplicate(t, 1));
	all = cJSON_Print(o);
	cJSON_Delete(o);
	assert_non_null(all);
	n = strlen(all);
	assert_true(n > strlen(head) + strlen(tail));
	assert_memory_equal(all, head, strlen(head));
	assert_string_equal(all + n - strlen(tail), tail);
	n -= strlen(head) + strlen(tail);
	want = cJSON_malloc(n + 1);
	memcpy(want, all + strlen(head), n);
	want[n] = '\0';
	cJSON_free(all);
	same_text(json_print_nested(t, 2), want);
}

/* o's text on w a member at a time, objects the same way, depth down. */
static void
objw_tree(struct json_objw *w, const cJSON *o)
{
	struct json_objw cw;
	const cJSON *c;

	for (c = o->child; c != NULL; c = c->next) {
		json_objw_key(w, c->string);
		if (cJSON_IsObject(c)) {
			json_objw_open(&cw, w->sb, w->depth + 1);
			objw_tree(&cw, c);
			json_objw_close(&cw);
		} else
			json_objw_value(w, c);
	}
}

/* An object made by json_objw (top and nested at 3) is json_print's. */
static void
same_objw(const cJSON *t)
{
	struct json_objw w;
	struct strbuf sb;
	char *want;

	if (!cJSON_IsObject(t))
		return;
	strbuf_init(&sb, SIZE_MAX / 2);
	json_objw_open(&w, &sb, 0);
	objw_tree(&w, t);
	json_objw_close(&w);
	(void)strbuf_add(&sb, "\n", 1);
	want = json_print(t);
	assert_string_equal(sb.buf, want);
	free(want);
	strbuf_cleanup(&sb);
	strbuf_init(&sb, SIZE_MAX / 2);
	json_objw_open(&w, &sb, 3);
	objw_tree(&w, t);
	json_objw_close(&w);
	want = json_print_nested(t, 3);
	assert_string_equal(sb.buf, want);
	free(want);
	strbuf_cleanup(&sb);
}

/* json_print_into's buffer, kept from one tree to the next. */
static char *into_buf;
static size_t into_cap;

/* What the printers must equal: cJSON's text (with json_print's "\n"). */
static void
same_as_cjson(const cJSON *t)
{
	char *want = cJSON_Print(t), *nl;
	const char *into;
	size_t into_len;
	cJSON *dup;

	assert_non_null(want);
	nl = xasprintf("%s\n", want);
	cJSON_free(want);
	want = cJSON_malloc(strlen(nl) + 1);
	memcpy(want, nl, strlen(nl) + 1);
	free(nl);
	into = json_print_into(t, &into_buf, &into_cap, &into_len);
	assert_int_equal(into_len, strlen(want));
	assert_string_equal(into, want);
	same_text(json_print(t), want);
	same_text(json_print_compact(t), cJSON_PrintUnformatted(t));
	dup = cJSON_Duplicate(t, 1);
	json_sort_keys(dup);
	same_text(json_canonical(t), cJSON_PrintUnformatted(dup));
	cJSON_Delete(dup);
	same_nested(t);
	same_objw(t);
}

static const double numbers[] = {
	0, 1, -1, 7, 42, 100, 1024, -65535, 2147483647.0, -2147483648.0,
	2147483648.0, 4294967296.0, 1e14, 999999999999999.0, 1e15, -1e15,
	1e16, 123456789012345678.0, 1e21, 1e300, -1e300, 0.5, -0.25, 0.1,
	1.0 / 3, 2.0 / 3, 3.14159265358979, 1e-5, 1e-7, 5e-324, 2.2e-308,
	1.7976931348623157e308, 0.30000000000000004, 99.99, 1.5e10,
	-123.456, 1e-300, 0.000123, 12345.678901234567,
};

static void
test_jsonprint_fixed(void **state)
{
	static const char *const texts[] = {
		"{}", "[]", "null", "true", "false", "\"\"", "0", "-0", "[[]]",
		"[{}]", "{\"a\":{}}", "{\"a\":[]}", "[1,[2,[3,{}]],{\"b\":[{}]}]",
		"{\"b\":1,\"a\":2,\"b\":3,\"a\":[4,{\"z\":0,\"y\":1}]}",
		"\"tab\\tnl\\ncr\\rq\\\"bs\\\\bell\\u0007esc\\u001b/\\u00e9\"",
		"{\"k\\u0001\":\"\\b\\f\",\"\":\"\\u001f\"}",
		"\"\\u00ff\\u2028 caf\\u00e9 \\ud83d\\ude00\"",
	};
	cJSON *t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		t = cJSON_Parse(texts[i]);
		assert_non_null(t);
		same_as_cjson(t);
		cJSON_Delete(t);
	}
	t = cJSON_CreateArray();
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		cJSON_AddItemToArray(t, cJSON_CreateNumber(numbers[i]));
		cJSON_AddItemToArray(t, cJSON_CreateNumber(-numbers[i]));
	}
	cJSON_AddItemToArray(t, cJSON_CreateNumber(NAN));
	cJSON_AddItemToArray(t, cJSON_CreateNumber(INFINITY));
	cJSON_AddItemToArray(t, cJSON_CreateNumber(-INFINITY));
	cJSON_AddItemToArray(t, cJSON_CreateRaw("{\"raw\": 1}"));
	cJSON_AddItemToArray(t, cJSON_CreateString(NULL));
	same_as_cjson(t);
	cJSON_Delete(t);
	/* cJSON prints nothing: neither do we (json_print aborts then). */
	t = cJSON_CreateRaw("x");
	free(t->valuestring);
	t->valuestring = NULL;
	assert_null(json_print_compact(t));
	assert_null(cJSON_PrintUnformatted(t));
	cJSON_Delete(t);
	assert_null(json_print_compact(NULL));
}

/* xorshift64: the same trees on every run. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char *
rnd_text(uint64_t *s)
{
	static const char pool[] = "ab\"\\/\b\f\n\r\t\x01\x1f\x7f "
	    "Zz09:{}[],\xc3\xa9\xe2\x82\xac";
	size_t n = (size_t)(rnd(s) % 12), i;
	char *t = xmalloc(n + 1);

	for (i = 0; i < n; i++)
		t[i] = pool[rnd(s) % (sizeof(pool) - 1)];
	t[n] = '\0';
	return t;
}

static double
rnd_number(uint64_t *s)
{
	uint64_t bits;
	double d;

	switch (rnd(s) % 5) {
	case 0:
		return numbers[rnd(s) % (sizeof(numbers) / sizeof(numbers[0]))];
	case 1:
		return (double)(int64_t)(rnd(s) % 2000001) - 1000000;
	case 2:
		return (double)(int64_t)rnd(s) / 1024.0;
	case 3:
		bits = rnd(s);
		memcpy(&d, &bits, sizeof(d));
		return d;
	default:
		return (double)(rnd(s) % 100000) / 100.0;
	}
}

static cJSON *
rnd_tree(uint64_t *s, int depth)
{
	unsigned k = (unsigned)(rnd(s) % (depth >= MAX_DEPTH ? 5 : 7));
	size_t n, i;
	cJSON *t;
	char *key, *str;

	switch (k) {
	case 0:
		return cJSON_CreateNull();
	case 1:
		return cJSON_CreateBool(rnd(s) % 2);
	case 2:
	case 3:
		return cJSON_CreateNumber(rnd_number(s));
	case 4:
		str = rnd_text(s);
		t = cJSON_CreateString(str);
		free(str);
		return t;
	case 5:
		t = cJSON_CreateArray();
		n = (size_t)(rnd(s) % MAX_KIDS);
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(t, rnd_tree(s, depth + 1));
		return t;
	default:
		t = cJSON_CreateObject();
		n = (size_t)(rnd(s) % MAX_KIDS);
		for (i = 0; i < n; i++) {
			/* few short keys: duplicates happen */
			key = rnd(s) % 3 == 0 ? rnd_text(s) :
			    xasprintf("%c", (char)('a' + rnd(s) % 4));
			cJSON_AddItemToObject(t, key, rnd_tree(s, depth + 1));
			free(key);
		}
		return t;
	}
}

static void
test_jsonprint_generated(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	cJSON *t;
	size_t i;

	(void)state;
	for (i = 0; i < TREES; i++) {
		t = rnd_tree(&seed, 0);
		same_as_cjson(t);
		cJSON_Delete(t);
	}
	free(into_buf);
	into_buf = NULL;
	into_cap = 0;
}

/*
 * json_strbuf_str appends a string as cJSON_PrintUnformatted prints it
 * (NULL as ""), or nothing when the buffer's limit would be passed.
 */
static void
test_jsonprint_strbuf_str(void **state)
{
	uint64_t seed = 0x2545f4914f6cdd1dULL;
	struct strbuf sb;
	cJSON *t;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		text = rnd_text(&seed);
		t = cJSON_CreateString(text);
		strbuf_init(&sb, 1 << 20);
		assert_int_equal(strbuf_puts(&sb, "x"), 0);
		assert_int_equal(json_strbuf_str(&sb, text), 0);
		same_text(xstrdup(sb.buf + 1), cJSON_PrintUnformatted(t));
		strbuf_cleanup(&sb);
		/* One byte short of the text: refused, nothing appended. */
		strbuf_init(&sb, strlen(cJSON_GetStringValue(t)) + 1);
		assert_int_equal(json_strbuf_str(&sb, text), -1);
		assert_int_equal(sb.len, 0);
		assert_true(sb.full);
		strbuf_cleanup(&sb);
		cJSON_Delete(t);
		free(text);
	}
	strbuf_init(&sb, 16);
	assert_int_equal(json_strbuf_str(&sb, NULL), 0);
	assert_string_equal(sb.buf, "\"\"");
	strbuf_cleanup(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonprint_fixed),
		cmocka_unit_test(test_jsonprint_generated),
		cmocka_unit_test(test_jsonprint_strbuf_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
