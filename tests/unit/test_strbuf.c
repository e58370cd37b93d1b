/*
 * strbuf: the hard maximum, the "full" mark a refused append leaves (what
 * PLAN.md checks so it is never cut silently), spill and drain.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strbuf_max),
		cmocka_unit_test(test_strbuf_spill),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
