/* Retry policy: classification per API, full-jitter delays, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include "backoff.h"

static struct backoff_outcome
reply(long status, const char *code, bool idempotent)
{
	struct backoff_outcome o;

	memset(&o, 0, sizeof(o));
	o.net = BACKOFF_NET_OK;
	o.http_status = status;
	o.code = code;
	o.reset_s = -1;
	o.retry_after_ms = -1;
	o.idempotent = idempotent;
	return o;
}

static struct backoff_outcome
net(enum backoff_net n, bool idempotent)
{
	struct backoff_outcome o = reply(0, NULL, idempotent);

	o.net = n;
	return o;
}

static void
test_backoff_classify_table(void **state)
{
	static const struct {
		enum backoff_api api;
		long status;
		const char *code;
		bool idem;
		enum backoff_class want;
	} t[] = {
		{ BACKOFF_API_ECS, 200, NULL, false, BACKOFF_SUCCESS },
		/* ECS throttling is a 400 (aws-api.md 1.3). */
		{ BACKOFF_API_ECS, 400, "ThrottlingException", false,
		    BACKOFF_THROTTLED },
		{ BACKOFF_API_ECS, 500, "ServerException", true,
		    BACKOFF_RETRY },
		{ BACKOFF_API_ECS, 500, "ServerException", false,
		    BACKOFF_INDOUBT },
		{ BACKOFF_API_ECS, 503, NULL, true, BACKOFF_RETRY },
		{ BACKOFF_API_ECS, 400, "InvalidParameterException", true,
		    BACKOFF_FATAL },
		{ BACKOFF_API_ECS, 400, "ClientException", true,
		    BACKOFF_FATAL },
		{ BACKOFF_API_ECS, 400, "AccessDeniedException", true,
		    BACKOFF_FATAL },
		{ BACKOFF_API_ECS, 400, "ServiceNotFoundException", true,
		    BACKOFF_FATAL },
		/* botocore retries this one too (quota caveat, 1.4). */
		{ BACKOFF_API_ECS, 400, "LimitExceededException", false,
		    BACKOFF_THROTTLED },
		{ BACKOFF_API_ECS, 501, NULL, true, BACKOFF_FATAL },
		/* Application Auto Scaling and CloudWatch (ECS class). */
		{ BACKOFF_API_ECS, 400, "RateExceeded", false,
		    BACKOFF_THROTTLED },
		{ BACKOFF_API_ECS, 400, "Throttling", false,
		    BACKOFF_THROTTLED },
		{ BACKOFF_API_ECS, 400, "ConcurrentUpdateException", true,
		    BACKOFF_RETRY },
		{ BACKOFF_API_ECS, 500, "InternalServiceException", true,
		    BACKOFF_RETRY },
		{ BACKOFF_API_ECS, 400, "ValidationException", true,
		    BACKOFF_FATAL },
		{ BACKOFF_API_ECS, 400, "ObjectNotFoundException", true,
		    BACKOFF_FATAL },
		/* EC2 throttling is a 503 with a code (aws-api.md 2.3). */
		{ BACKOFF_API_EC2, 503, "RequestLimitExceeded", false,
		    BACKOFF_THROTTLED },
		{ BACKOFF_API_EC2, 500, "InternalError", true, BACKOFF_RETRY },
		{ BACKOFF_API_EC2, 503, "Unavailable", false,
		    BACKOFF_INDOUBT },
		{ BACKOFF_API_EC2, 400, "InvalidGroup.Duplicate", true,
		    BACKOFF_FATAL },
		{ BACKOFF_API_EC2, 400, "InvalidPermission.Duplicate", true,
		    BACKOFF_FATAL },
		{ BACKOFF_API_EC2, 401, "AuthFailure", true, BACKOFF_FATAL },
		{ BACKOFF_API_EC2, 502, NULL, true, BACKOFF_RETRY },
		/* Spot (spot-api.md 1.4). */
		{ BACKOFF_API_SPOT, 429, "429", false, BACKOFF_THROTTLED },
		{ BACKOFF_API_SPOT, 500, NULL, true, BACKOFF_RETRY },
		{ BACKOFF_API_SPOT, 503, NULL, false, BACKOFF_INDOUBT },
		{ BACKOFF_API_SPOT, 400, "CANT_GET_OCEAN_CLUSTER", true,
		    BACKOFF_FATAL },
		{ BACKOFF_API_SPOT, 201, NULL, false, BACKOFF_SUCCESS },
	};
	struct backoff_outcome o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		o = reply(t[i].status, t[i].code, t[i].idem);
		if (backoff_classify(t[i].api, &o) != t[i].want)
			fail_msg("case %zu (%ld %s): got %d, want %d", i,
			    t[i].status, t[i].code ? t[i].code : "-",
			    backoff_classify(t[i].api, &o), t[i].want);
	}
}

static void
test_backoff_classify_transport(void **state)
{
	struct backoff_outcome o;

	(void)state;
	o = net(BACKOFF_NET_CONNECT, false);
	assert_int_equal(backoff_classify(BACKOFF_API_SPOT, &o),
	    BACKOFF_RETRY);
	o = net(BACKOFF_NET_RESET, true);
	assert_int_equal(backoff_classify(BACKOFF_API_ECS, &o),
	    BACKOFF_RETRY);
	o = net(BACKOFF_NET_RESET, false);
	assert_int_equal(backoff_classify(BACKOFF_API_ECS, &o),
	    BACKOFF_INDOUBT);
	o = net(BACKOFF_NET_TIMEOUT, false);
	assert_int_equal(backoff_classify(BACKOFF_API_SPOT, &o),
	    BACKOFF_INDOUBT);
	o = net(BACKOFF_NET_OTHER, true);
	assert_int_equal(backoff_classify(BACKOFF_API_EC2, &o),
	    BACKOFF_FATAL);
	assert_true(backoff_is_throttle_code("SlowDown"));
	assert_false(backoff_is_throttle_code("throttling"));
	assert_false(backoff_is_throttle_code(NULL));
}

/* rand[0,1) * min(2^(n-1) s, 20 s), reproducible from the seed. */
static void
test_backoff_delay_full_jitter(void **state)
{
	struct backoff b, b2;
	unsigned n, i, d, max[8] = { 0 };
	static const unsigned ceil_ms[8] = { 0, 1000, 2000, 4000, 8000,
	    16000, 20000, 20000 };

	(void)state;
	backoff_init(&b, 0, 42);
	backoff_init(&b2, 0, 42);
	assert_int_equal(b.max_attempts, BACKOFF_DEFAULT_ATTEMPTS);
	for (i = 0; i < 2000; i++)
		for (n = 1; n < 8; n++) {
			d = backoff_delay_ms(&b, n);
			assert_int_equal(d, backoff_delay_ms(&b2, n));
			assert_true(d < ceil_ms[n]);
			if (d > max[n])
				max[n] = d;
		}
	/* Jitter spans the range: over 2000 draws, the top 10% is hit. */
	for (n = 1; n < 8; n++)
		assert_true(max[n] >= ceil_ms[n] * 9 / 10);
	/* Huge attempt numbers do not overflow. */
	assert_true(backoff_delay_ms(&b, 4000000000U) < BACKOFF_CAP_MS);
	/* Another seed, another sequence. */
	backoff_init(&b2, 0, 43);
	backoff_init(&b, 0, 42);
	for (i = 0, n = 0; i < 10; i++)
		if (backoff_delay_ms(&b, 7) != backoff_delay_ms(&b2, 7))
			n++;
	assert_true(n > 0);
}

static void
test_backoff_next_attempts(void **state)
{
	struct backoff b;
	struct backoff_outcome o = reply(400, "ThrottlingException", false);
	enum backoff_class c;
	unsigned d;

	(void)state;
	backoff_init(&b, 3, 1);
	assert_true(backoff_next(&b, BACKOFF_API_ECS, 1, &o, &c, &d));
	assert_int_equal(c, BACKOFF_THROTTLED);
	assert_true(d < 1000);
	assert_true(backoff_next(&b, BACKOFF_API_ECS, 2, &o, &c, &d));
	assert_true(d < 2000);
	/* Third attempt was the last. */
	assert_false(backoff_next(&b, BACKOFF_API_ECS, 3, &o, &c, &d));
	assert_int_equal(d, 0);

	o = reply(400, "InvalidParameterException", true);
	assert_false(backoff_next(&b, BACKOFF_API_ECS, 1, &o, &c, &d));
	assert_int_equal(c, BACKOFF_FATAL);
	o = net(BACKOFF_NET_TIMEOUT, false);
	assert_false(backoff_next(&b, BACKOFF_API_ECS, 1, &o, &c, &d));
	assert_int_equal(c, BACKOFF_INDOUBT);
}

static void
test_backoff_spot_reset_honoured(void **state)
{
	struct backoff b;
	struct backoff_outcome o = reply(429, "429", false);
	enum backoff_class c;
	unsigned d;

	(void)state;
	backoff_init(&b, 5, 7);
	o.reset_s = 37;
	assert_true(backoff_next(&b, BACKOFF_API_SPOT, 1, &o, &c, &d));
	assert_int_equal(c, BACKOFF_THROTTLED);
	assert_int_equal(d, 37000);
	/* The backoff delay wins when it is longer. */
	o.reset_s = 0;
	assert_true(backoff_next(&b, BACKOFF_API_SPOT, 4, &o, &c, &d));
	assert_true(d < 8000);
	/* An absurd reset: stop (the run resumes later). */
	o.reset_s = BACKOFF_MAX_RESET_S + 1;
	assert_false(backoff_next(&b, BACKOFF_API_SPOT, 1, &o, &c, &d));
}

static void
test_backoff_retry_after_stretch(void **state)
{
	struct backoff b, ref;
	struct backoff_outcome o = reply(503, "RequestLimitExceeded", false);
	enum backoff_class c;
	unsigned d, plain;

	(void)state;
	backoff_init(&b, 5, 9);
	backoff_init(&ref, 5, 9);
	plain = backoff_delay_ms(&ref, 1);
	o.retry_after_ms = 60000;	/* stretched by at most 5 s */
	assert_true(backoff_next(&b, BACKOFF_API_EC2, 1, &o, &c, &d));
	assert_int_equal(d, plain + BACKOFF_RETRY_AFTER_MAX_MS);
	/* Never shortened. */
	plain = backoff_delay_ms(&ref, 3);
	o.retry_after_ms = 0;
	assert_true(backoff_next(&b, BACKOFF_API_EC2, 3, &o, &c, &d));
	assert_int_equal(d, plain);
}

static void
test_backoff_quota(void **state)
{
	struct backoff b;
	struct backoff_outcome o = reply(500, NULL, true);
	struct backoff_outcome ok = reply(200, NULL, true);
	enum backoff_class c;
	unsigned d, i, n = 0;

	(void)state;
	backoff_init(&b, 2, 3);
	for (i = 0; i < 1000; i++)
		if (backoff_next(&b, BACKOFF_API_ECS, 1, &o, &c, &d))
			n++;
	assert_int_equal(n, BACKOFF_QUOTA / BACKOFF_QUOTA_COST);
	assert_false(backoff_next(&b, BACKOFF_API_ECS, 1, &o, &c, &d));
	/* Successes refund it. */
	for (i = 0; i < BACKOFF_QUOTA_COST; i++)
		assert_false(backoff_next(&b, BACKOFF_API_ECS, 1, &ok, &c,
		    &d));
	assert_int_equal(c, BACKOFF_SUCCESS);
	assert_true(backoff_next(&b, BACKOFF_API_ECS, 1, &o, &c, &d));
}

/* F2O_EXEC_BACKOFF_MS: BASE[,CAP] in ms; anything else leaves the defaults. */
static void
test_backoff_env_knob(void **state)
{
	static const char *bad[] = { "x", "0", "5,4", "5,", ",5", "10,20001",
	    "20001", "5;10", "-1", "5,10,20", "99999999999999999999" };
	struct backoff b;
	unsigned n, i, d;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		backoff_init(&b, 0, 1);
		assert_int_equal(backoff_set_ms(&b, bad[i]), -1);
		assert_int_equal(b.base_ms, BACKOFF_BASE_MS);
		assert_int_equal(b.cap_ms, BACKOFF_CAP_MS);
	}
	backoff_init(&b, 0, 1);
	assert_int_equal(backoff_set_ms(&b, NULL), 0);
	assert_int_equal(backoff_set_ms(&b, ""), 0);
	assert_int_equal(b.base_ms, BACKOFF_BASE_MS);
	assert_int_equal(b.cap_ms, BACKOFF_CAP_MS);
	assert_int_equal(backoff_set_ms(&b, "50"), 0);
	assert_int_equal(b.base_ms, 50);
	assert_int_equal(b.cap_ms, 50);
	assert_int_equal(backoff_set_ms(&b, "10,80"), 0);
	assert_int_equal(b.base_ms, 10);
	assert_int_equal(b.cap_ms, 80);
	/* The delays follow: below min(10 * 2^(n-1), 80) ms. */
	for (i = 0; i < 500; i++)
		for (n = 1; n < 8; n++) {
			d = backoff_delay_ms(&b, n);
			assert_true(d < (n >= 4 ? 80U : 10U << (n - 1)));
		}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_classify_table),
		cmocka_unit_test(test_backoff_classify_transport),
		cmocka_unit_test(test_backoff_delay_full_jitter),
		cmocka_unit_test(test_backoff_next_attempts),
		cmocka_unit_test(test_backoff_spot_reset_honoured),
		cmocka_unit_test(test_backoff_retry_after_stretch),
		cmocka_unit_test(test_backoff_quota),
		cmocka_unit_test(test_backoff_env_knob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
