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

#include <math.h>
#include <stdio.h>
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

/* strbuf_dec1(v) is what "%.1f" prints; ends with v's next doubles. */
static void
same_dec1(double v)
{
	char want[400];
	struct strbuf sb;
	int k;

	for (k = 0; k < 3; k++) {
		strbuf_init(&sb, 1024);
		(void)snprintf(want, sizeof(want), "%.1f", v);
		assert_int_equal(strbuf_dec1(&sb, v), 0);
		assert_string_equal(sb.buf, want);
		strbuf_cleanup(&sb);
		v = nextafter(v, INFINITY);
	}
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_strbuf_dec1(void **state)
{
	static const double edge[] = { 0, -0.0, 0.05, 0.25, 0.35, 0.45,
	    1e-7, 1e-6, 9.95, 99.95, 1e8, 1e8 - 0.05, 1e12, -1, -0.04,
	    NAN, INFINITY, -INFINITY, 176.25, 2.5e-7 };
	uint64_t seed = 0x9e3779b97f4a7c15ULL, bits;
	struct strbuf sb;
	double v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		same_dec1(edge[i]);
	/* Every tie k/20 and its neighbours (the .x5 that rounds to even). */
	for (i = 0; i < 50000; i++) {
		same_dec1((double)i / 20);
		same_dec1(nextafter((double)i / 20, 0));
	}
	/* Bar widths and positions: quotients times a width. */
	for (i = 0; i < 50000; i++) {
		v = (double)(rnd(&seed) % 100000) / (double)(1 + rnd(&seed) %
		    100000) * 560;
		same_dec1(v);
		same_dec1(176 + v);
	}
	for (i = 0; i < 50000; i++) {
		bits = rnd(&seed);
		memcpy(&v, &bits, sizeof(v));
		same_dec1(v);
		same_dec1(fmod(fabs(v), 1e9));
	}
	/* Full: refused as strbuf_add refuses. */
	strbuf_init(&sb, 2);
	assert_int_equal(strbuf_dec1(&sb, 1.25), -1);
	assert_true(sb.full);
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
		cmocka_unit_test(test_strbuf_dec1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
