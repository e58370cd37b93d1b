/*
 * strbuf: the hard maximum, the "full" mark a refused append leaves (what
 * PLAN.md checks so it is never cut silently), spill (a large buffer
 * given back, large pieces straight to the file) and drain.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "strbuf.h"

static void
test_strbuf_max(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 8);
	assert_int_equal(strbuf_puts(&sb, "abcd"), 0);
	assert_false(sb.full);
	assert_int_equal(strbuf_printf(&sb, "%s", "efgh"), 0);
	assert_false(sb.full);
	assert_string_equal(sb.buf, "abcdefgh");
	/* one byte over: refused, nothing appended, marked */
	assert_int_equal(strbuf_puts(&sb, "i"), -1);
	assert_true(sb.full);
	assert_int_equal(sb.len, 8);
	assert_string_equal(sb.buf, "abcdefgh");
	strbuf_cleanup(&sb);
	assert_false(sb.full);
}

struct sink {
	char	buf[64];
	size_t	len;
};

static int
put(void *arg, const void *data, size_t len)
{
	struct sink *s = arg;

	if (s->len + len >= sizeof(s->buf))
		return -1;
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

static void
test_strbuf_spill(void **state)
{
	struct strbuf sb;
	struct sink s = { "", 0 };

	(void)state;
	strbuf_init(&sb, 1024);
	assert_int_equal(strbuf_puts(&sb, "first part, "), 0);
	strbuf_spill(&sb, 4);
	assert_int_equal(strbuf_puts(&sb, "second part"), 0);
	assert_int_equal(strbuf_drain(&sb, put, &s), 0);
	s.buf[s.len] = '\0';
	assert_string_equal(s.buf, "first part, second part");
	assert_false(sb.full);
	strbuf_cleanup(&sb);
}

static int
put_sb(void *arg, const void *data, size_t len)
{
	return strbuf_add(arg, data, len);
}

/* A large piece goes past buf to the file, in order, the maximum kept. */
static void
test_strbuf_add_spilling(void **state)
{
	static char big[200 * 1024];
	struct strbuf sb, got;

	(void)state;
	memset(big, 'x', sizeof(big));
	strbuf_init(&sb, 2 * sizeof(big));
	strbuf_init(&got, 4 * sizeof(big));
	assert_int_equal(strbuf_add_spilling(&sb, "a", 1), 0);
	assert_null(sb.spill);			/* small: held */
	assert_int_equal(strbuf_add_spilling(&sb, big, sizeof(big)), 0);
	assert_int_equal(sb.len, 0);		/* "a" and big in the file */
	assert_int_equal(sb.spilled, 1 + sizeof(big));
	assert_int_equal(strbuf_add_spilling(&sb, "b", 1), 0);
	assert_int_equal(strbuf_add_spilling(&sb, big, sizeof(big)), -1);
	assert_true(sb.full);
	assert_int_equal(strbuf_drain(&sb, put_sb, &got), 0);
	assert_int_equal(got.len, 2 + sizeof(big));
	assert_int_equal(got.buf[0], 'a');
	assert_memory_equal(got.buf + 1, big, sizeof(big));
	assert_int_equal(got.buf[1 + sizeof(big)], 'b');
	strbuf_cleanup(&sb);
	strbuf_cleanup(&got);
}

/* A spilled buffer that grew large is given back, the text intact. */
static void
test_strbuf_spill_shrinks(void **state)
{
	static char big[300 * 1024];
	struct strbuf sb;

	(void)state;
	memset(big, 'y', sizeof(big));
	strbuf_init(&sb, 4 * sizeof(big));
	assert_int_equal(strbuf_add(&sb, big, sizeof(big)), 0);
	assert_true(sb.cap > sizeof(big));
	strbuf_spill(&sb, 1);
	assert_true(sb.cap <= 128 * 1024);
	assert_string_equal(sb.buf, "");
	assert_int_equal(strbuf_puts(&sb, "z"), 0);
	assert_int_equal(sb.spilled + sb.len, sizeof(big) + 1);
	strbuf_cleanup(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_max),
		cmocka_unit_test(test_strbuf_spill),
		cmocka_unit_test(test_strbuf_add_spilling),
		cmocka_unit_test(test_strbuf_spill_shrinks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
