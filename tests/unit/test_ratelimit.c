/* Token buckets driven by a hand-moved clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "ratelimit.h"

static uint64_t
fake_clock(void *arg)
{
	return *(const uint64_t *)arg;
}

static void
test_ratelimit_burst_then_rate(void **state)
{
	struct ratelimit rl;
	uint64_t t = 5000;
	unsigned i;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, 2.0, 3, fake_clock, &t), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(ratelimit_wait_ms(&rl), 0);
		assert_int_equal(ratelimit_take(&rl), 0);
	}
	/* Empty: 2 tokens per second means one every 500 ms. */
	assert_int_equal(ratelimit_take(&rl), -1);
	assert_int_equal(ratelimit_wait_ms(&rl), 500);
	t += 200;
	assert_int_equal(ratelimit_wait_ms(&rl), 300);
	t += 300;
	assert_int_equal(ratelimit_take(&rl), 0);
	assert_int_equal(ratelimit_take(&rl), -1);
	/* A long pause refills to the burst, not beyond. */
	t += 3600 * 1000;
	for (i = 0; i < 3; i++)
		assert_int_equal(ratelimit_take(&rl), 0);
	assert_int_equal(ratelimit_take(&rl), -1);
}

static void
test_ratelimit_slow_rate(void **state)
{
	struct ratelimit rl;
	uint64_t t = 0;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, 0.5, 1, fake_clock, &t), 0);
	assert_int_equal(ratelimit_take(&rl), 0);
	assert_int_equal(ratelimit_wait_ms(&rl), 2000);
	t += 1999;
	assert_int_equal(ratelimit_wait_ms(&rl), 1);
	assert_int_equal(ratelimit_take(&rl), -1);
	t += 1;
	assert_int_equal(ratelimit_take(&rl), 0);
}

static void
test_ratelimit_clock_backwards(void **state)
{
	struct ratelimit rl;
	uint64_t t = 10000;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, 1.0, 1, fake_clock, &t), 0);
	assert_int_equal(ratelimit_take(&rl), 0);
	t = 0;
	assert_int_equal(ratelimit_take(&rl), -1);
	assert_true(ratelimit_wait_ms(&rl) > 0);
}

/* Spot's X-RateLimit-Reset: nothing until it passes, then one request. */
static void
test_ratelimit_hold(void **state)
{
	struct ratelimit rl;
	uint64_t t = 100;

	(void)state;
	assert_int_equal(ratelimit_init(&rl, 0.5, 5, fake_clock, &t), 0);
	ratelimit_hold(&rl, 30000);
	assert_int_equal(ratelimit_wait_ms(&rl), 30000);
	t += 29999;
	assert_int_equal(ratelimit_take(&rl), -1);
	t += 1;
	assert_int_equal(ratelimit_take(&rl), 0);
	assert_int_equal(ratelimit_wait_ms(&rl), 2000);
	/* A shorter hold does not shorten a longer one. */
	ratelimit_hold(&rl, 10000);
	ratelimit_hold(&rl, 5000);
	assert_int_equal(ratelimit_wait_ms(&rl), 10000);
}

static void
test_ratelimit_defaults_and_bounds(void **state)
{
	struct ratelimit b[RATELIMIT__MAX], rl;
	uint64_t t = 0;
	unsigned i, n;

	(void)state;
	ratelimit_init_defaults(b, fake_clock, &t);
	assert_true(b[RATELIMIT_ECS].rate <= 1.0);
	assert_true(b[RATELIMIT_EC2].rate <= 5.0);
	for (i = 0; i < RATELIMIT__MAX; i++) {
		for (n = 0; ratelimit_take(&b[i]) == 0; n++)
			;
		assert_true(n >= 1 && n == (unsigned)b[i].burst);
	}
	assert_int_equal(ratelimit_init(&rl, 0.0, 1, fake_clock, &t), -1);
	assert_int_equal(ratelimit_init(&rl, 1.0, 0, fake_clock, &t), -1);
	assert_int_equal(ratelimit_init(&rl, INFINITY, 1, fake_clock, &t),
	    -1);
	/* The real clock moves forward. */
	assert_int_equal(ratelimit_init(&rl, 1.0, 1, NULL, NULL), 0);
	assert_true(ratelimit_clock_monotonic(NULL) >= rl.last_ms);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratelimit_burst_then_rate),
		cmocka_unit_test(test_ratelimit_slow_rate),
		cmocka_unit_test(test_ratelimit_clock_backwards),
		cmocka_unit_test(test_ratelimit_hold),
		cmocka_unit_test(test_ratelimit_defaults_and_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
