/*
 * The on-demand share (translate/ocean_share.c): the split a capacity
 * provider strategy gives at a desiredCount (base first, then weights,
 * rounded up), hostile values, and what --spot-percentage makes of it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "jsonutil.h"
#include "model.h"
#include "ocean_share.h"
#include "options.h"

struct split_case {
	const char *cps;		/* JSON array, or NULL: no strategy */
	long long desired;
	bool	 mixed;
	int	 ondemand;
	long long spot_num, spot_den;	/* FARGATE_SPOT fraction */
};

static const struct split_case cases[] = {
	/* No strategy (launch type FARGATE): no requirement. */
	{ NULL, 4, false, 0, 0, 1 },
	{ "[]", 4, false, 0, 0, 1 },
	/* FARGATE alone, FARGATE_SPOT alone: no requirement. */
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":1,\"base\":1}]", 3,
	  false, 100, 0, 1 },
	{ "[{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1}]", 3,
	  false, 0, 1, 1 },
	/* The demo's worker: 2 base on FARGATE, then 1:3 of 4. */
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":1,\"base\":2},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":3,\"base\":0}]",
	  6, true, 50, 1, 2 },
	/* Weights only: exact, then rounded up (100/3 -> 34). */
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":1},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":3}]", 4, true,
	  25, 3, 4 },
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":1},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":2}]", 3, true,
	  34, 2, 3 },
	/* desiredCount 0: the weights alone. */
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":1,\"base\":5},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":2}]", 0, true,
	  34, 2, 3 },
	/* The base covers every task. */
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":0,\"base\":5},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1}]", 3, true,
	  100, 0, 1 },
	/* The base on FARGATE_SPOT: 2 spot, then 2:2 -> 2 of 6 on-demand. */
	{ "[{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1,\"base\":2},"
	  "{\"capacityProvider\":\"FARGATE\",\"weight\":1}]", 6, true, 34,
	  4, 6 },
	/* FARGATE named with weight 0: mixed, 0% on-demand. */
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":0},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1}]", 5, true,
	  0, 1, 1 },
	/* No weight at all: the rest counts as on-demand. */
	{ "[{\"capacityProvider\":\"FARGATE\"},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\"}]", 4, true, 100, 0, 1 },
	/* Bases in the strategy's order: 2 spot, then 2 of FARGATE's 3. */
	{ "[{\"capacityProvider\":\"FARGATE_SPOT\",\"base\":2},"
	  "{\"capacityProvider\":\"FARGATE\",\"base\":3,\"weight\":1}]", 4,
	  true, 50, 1, 2 },
	/* Other providers do not count. */
	{ "[{\"capacityProvider\":\"my-asg\",\"weight\":5,\"base\":9},"
	  "{\"capacityProvider\":\"FARGATE\",\"weight\":1},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1}]", 2, true,
	  50, 1, 2 },
	/* Hostile values: negative, not numbers, not objects. */
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":-4,\"base\":-1},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":\"3\"},"
	  "7, {\"weight\":1}]", 4, true, 100, 0, 1 },
	/* Clamped: weight 1000, base 100000 of 1000000 tasks. */
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":1e300},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1000,"
	  "\"base\":1e300}]", 1000000000000LL, true, 45, 11, 20 },
	{ "[{\"capacityProvider\":\"FARGATE\",\"weight\":1},"
	  "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":999}]", -5, true,
	  1, 999, 1000 },
};

static void
test_split(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct split_case *k = &cases[i];
		cJSON *cps = k->cps != NULL ? cJSON_Parse(k->cps) : NULL;
		bool mixed = !k->mixed;
		int od = -1;
		double spot;

		if (k->cps != NULL)
			assert_non_null(cps);
		spot = ocean_share_split(cps, k->desired, &mixed, &od);
		if (mixed != k->mixed || od != k->ondemand ||
		    spot != (double)k->spot_num / (double)k->spot_den)
			fail_msg("case %zu (%s, %lld): mixed %d od %d spot %g",
			    i, k->cps != NULL ? k->cps : "NULL", k->desired,
			    mixed, od, spot);
		/* NULL outputs are allowed. */
		assert_true(ocean_share_split(cps, k->desired, NULL, NULL) ==
		    spot);
		cJSON_Delete(cps);
	}
}

/* With base 0 the fraction is the weights' exactly (same double). */
static void
test_split_weights_exact(void **state)
{
	char buf[256];
	int ws, wf;
	long long d;

	(void)state;
	for (wf = 1; wf <= 7; wf++)
		for (ws = 1; ws <= 7; ws++)
			for (d = 1; d <= 13; d += 4) {
				cJSON *cps;

				(void)snprintf(buf, sizeof(buf), "[{\"capacity"
				    "Provider\":\"FARGATE\",\"weight\":%d},"
				    "{\"capacityProvider\":\"FARGATE_SPOT\","
				    "\"weight\":%d}]", wf, ws);
				cps = cJSON_Parse(buf);
				assert_true(ocean_share_split(cps, d, NULL,
				    NULL) == (double)ws / (double)(ws + wf));
				cJSON_Delete(cps);
			}
}

static struct options *
opts(const char *extra, const char *value)
{
	char *argv[8];
	int argc = 0;
	struct options *o = NULL;

	argv[argc++] = (char *)(uintptr_t)"f2o-translate";
	if (extra != NULL) {
		argv[argc++] = (char *)(uintptr_t)extra;
		argv[argc++] = (char *)(uintptr_t)value;
	}
	argv[argc++] = (char *)(uintptr_t)"-o";
	argv[argc++] = (char *)(uintptr_t)"/nonexistent/out";
	argv[argc++] = (char *)(uintptr_t)"input.json";
	argv[argc] = NULL;
	if (options_parse(&o, argc, argv) != OPTIONS_OK)
		return NULL;
	return o;
}

static void
test_of(void **state)
{
	struct options *none = opts(NULL, NULL), *o30 =
	    opts("--spot-percentage", "30"), *o0 = opts("--spot-percentage",
	    "0");
	struct xlate x;
	struct xsvc s[3], *mig[3];
	struct ocean_share sh;

	(void)state;
	assert_non_null(none);
	assert_non_null(o30);
	assert_non_null(o0);
	assert_null(opts("--spot-percentage", "101"));
	assert_null(opts("--spot-percentage", "-1"));
	assert_null(opts("--spot-percentage", "half"));
	memset(&x, 0, sizeof(x));
	memset(s, 0, sizeof(s));
	s[0].svc = cJSON_Parse("{\"capacityProviderStrategy\":["
	    "{\"capacityProvider\":\"FARGATE\",\"weight\":1},"
	    "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":2}]}");
	s[0].desired = 3;
	s[1].svc = cJSON_Parse("{\"launchType\":\"FARGATE\"}");
	s[1].desired = 3;
	s[2].svc = cJSON_Parse("{\"capacityProviderStrategy\":["
	    "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":1}]}");
	s[2].desired = 3;
	mig[0] = &s[0];
	mig[1] = &s[1];
	mig[2] = &s[2];
	x.mig = mig;
	ocean_share_note(&s[0]);
	ocean_share_note(&s[1]);
	ocean_share_note(&s[2]);

	x.opt = none;
	ocean_share_of(&x, &s[0], &sh);
	assert_int_equal(sh.src, OCEAN_SHARE_STRATEGY);
	assert_int_equal(sh.ondemand, 34);
	assert_non_null(strstr(ocean_share_why(&sh), "capacity provider"));
	ocean_share_of(&x, &s[1], &sh);
	assert_int_equal(sh.src, OCEAN_SHARE_NONE);
	assert_int_equal(sh.ondemand, 0);
	assert_non_null(strstr(ocean_share_why(&sh), "cluster's strategy"));
	ocean_share_of(&x, &s[2], &sh);
	assert_int_equal(sh.src, OCEAN_SHARE_NONE);
	assert_int_equal(sh.ondemand, 0);
	/* Shown when a migrated service names FARGATE_SPOT. */
	x.nmig = 2;
	assert_false(ocean_share_shown(&(struct xlate){ .opt = none,
	    .mig = &mig[1], .nmig = 1 }));
	assert_true(ocean_share_shown(&x));
	x.mig = &mig[2];
	x.nmig = 1;
	assert_true(ocean_share_shown(&x));

	/* --spot-percentage: every service, shown even with nothing mixed. */
	x.opt = o30;
	x.mig = &mig[1];
	assert_true(ocean_share_shown(&x));
	ocean_share_of(&x, &s[0], &sh);
	assert_int_equal(sh.src, OCEAN_SHARE_OVERRIDE);
	assert_int_equal(sh.ondemand, 70);
	assert_string_equal(ocean_share_why(&sh), "--spot-percentage");
	ocean_share_of(&x, &s[1], &sh);
	assert_int_equal(sh.ondemand, 70);
	x.opt = o0;
	ocean_share_of(&x, &s[2], &sh);
	assert_int_equal(sh.src, OCEAN_SHARE_OVERRIDE);
	assert_int_equal(sh.ondemand, 100);

	cJSON_Delete(s[0].svc);
	cJSON_Delete(s[1].svc);
	cJSON_Delete(s[2].svc);
	options_free(none);
	options_free(o30);
	options_free(o0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_weights_exact),
		cmocka_unit_test(test_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
