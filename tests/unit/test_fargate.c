/*
 * Fargate sizes and prices (translate/fargate.c): the rounding to a billed
 * size for every valid combination and for values just above each, and
 * the price arithmetic. Reads templates/fargate-*.json (run from the repo
 * root, or set F2O_TEMPLATES).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fargate.h"
#include "fsio.h"
#include "jsonutil.h"

/* The table of the ECS guide, written out by hand (not from the file). */
static const int cpus[] = { 256, 512, 1024, 2048, 4096, 8192, 16384 };
static const int mem_lo[] = { 512, 1024, 2048, 4096, 8192, 16384, 32768 };
static const int mem_hi[] = { 2048, 4096, 8192, 16384, 30720, 61440,
    122880 };
static const int mem_step[] = { 0, 1024, 1024, 1024, 1024, 4096, 8192 };
#define NTIERS	7

static cJSON *
load(const char *name)
{
	const char *dir = getenv("F2O_TEMPLATES");
	char path[4096];
	char *buf = NULL;
	size_t len;
	cJSON *j = NULL;

	(void)snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir :
	    "templates", name);
	assert_int_equal(fsio_read_bounded(&buf, &len, path, 1 << 22), 0);
	assert_int_equal(json_parse(&j, path, buf, len), 0);
	free(buf);
	return j;
}

static struct fargate_sizes *
sizes(void)
{
	struct fargate_sizes *fs;
	cJSON *j = load("fargate-sizes.json");

	assert_int_equal(fargate_sizes_load(&fs, j, "fargate-sizes.json"), 0);
	cJSON_Delete(j);
	return fs;
}

/* Expected billed size of a request, from the hand table above. */
static int
expect(int cpu, int mem, int *bc, int *bm)
{
	int t, m;

	for (t = 0; t < NTIERS; t++) {
		if (cpus[t] < cpu)
			continue;
		if (t == 0) {
			static const int m0[] = { 512, 1024, 2048 };
			int k;

			for (k = 0; k < 3; k++)
				if (m0[k] >= mem) {
					*bc = cpus[t];
					*bm = m0[k];
					return 0;
				}
			continue;
		}
		for (m = mem_lo[t]; m <= mem_hi[t]; m += mem_step[t])
			if (m >= mem) {
				*bc = cpus[t];
				*bm = m;
				return 0;
			}
	}
	return -1;
}

static void
test_table_is_74(void **state)
{
	struct fargate_sizes *fs = sizes();
	size_t n = 0;
	int t, m;

	(void)state;
	assert_int_equal(fs->n, 74);
	/* Every hand-table pair is in the file. */
	for (t = 0; t < NTIERS; t++) {
		if (t == 0) {
			assert_true(fargate_size_valid(fs, 256, 512));
			assert_true(fargate_size_valid(fs, 256, 1024));
			assert_true(fargate_size_valid(fs, 256, 2048));
			n += 3;
			continue;
		}
		for (m = mem_lo[t]; m <= mem_hi[t]; m += mem_step[t]) {
			assert_true(fargate_size_valid(fs, cpus[t], m));
			n++;
		}
	}
	assert_int_equal(n, 74);
	assert_false(fargate_size_valid(fs, 256, 1536));
	assert_false(fargate_size_valid(fs, 8192, 17408));
	assert_int_equal(fs->eph_included_gib, 20);
	fargate_sizes_free(fs);
}

/* Each valid pair bills as itself; +1 in each dimension as expected. */
static void
test_round_every_pair(void **state)
{
	struct fargate_sizes *fs = sizes();
	size_t i;
	int bc, bm, ec, em, r;

	(void)state;
	for (i = 0; i < fs->n; i++) {
		int c = fs->v[i].cpu, m = fs->v[i].memory;

		assert_int_equal(fargate_round(fs, c, m, false, &bc, &bm), 0);
		assert_int_equal(bc, c);
		assert_int_equal(bm, m);
		/* Just above in memory. */
		r = fargate_round(fs, c, m + 1, false, &bc, &bm);
		assert_int_equal(r, expect(c, m + 1, &ec, &em));
		if (r == 0) {
			assert_int_equal(bc, ec);
			assert_int_equal(bm, em);
		}
		/* Just above in CPU. */
		r = fargate_round(fs, c + 1, m, false, &bc, &bm);
		assert_int_equal(r, expect(c + 1, m, &ec, &em));
		if (r == 0) {
			assert_int_equal(bc, ec);
			assert_int_equal(bm, em);
		}
		/* Just above in both. */
		r = fargate_round(fs, c + 1, m + 1, false, &bc, &bm);
		assert_int_equal(r, expect(c + 1, m + 1, &ec, &em));
		if (r == 0) {
			assert_int_equal(bc, ec);
			assert_int_equal(bm, em);
		}
	}
	fargate_sizes_free(fs);
}

/* Hand-checked cases, tier edges included. */
static void
test_round_cases(void **state)
{
	static const int c[][4] = {
		{ 1, 1, 256, 512 },
		{ 0, 0, 256, 512 },
		{ 256, 513, 256, 1024 },
		{ 256, 2049, 512, 3072 },
		{ 717, 1000, 1024, 2048 },	/* the 0.7 vCPU case */
		{ 704, 896, 1024, 2048 },
		{ 1024, 8193, 2048, 9216 },
		{ 2048, 16385, 4096, 17408 },
		{ 4096, 30721, 8192, 32768 },
		{ 4097, 8192, 8192, 16384 },
		{ 8192, 61441, 16384, 65536 },
		{ 8193, 1, 16384, 32768 },
		{ 3584, 7168, 4096, 8192 },
	};
	struct fargate_sizes *fs = sizes();
	size_t i;
	int bc, bm;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(fargate_round(fs, c[i][0], c[i][1], false,
		    &bc, &bm), 0);
		assert_int_equal(bc, c[i][2]);
		assert_int_equal(bm, c[i][3]);
	}
	assert_int_equal(fargate_round(fs, 16385, 1024, false, &bc, &bm), -1);
	assert_int_equal(fargate_round(fs, 16384, 122881, false, &bc, &bm),
	    -1);
	/* Windows: at least 1 vCPU, at most 4. */
	assert_int_equal(fargate_round(fs, 256, 512, true, &bc, &bm), 0);
	assert_int_equal(bc, 1024);
	assert_int_equal(bm, 2048);
	assert_int_equal(fargate_round(fs, 4097, 512, true, &bc, &bm), -1);
	fargate_sizes_free(fs);
}

static struct fargate_prices *
prices(void)
{
	struct fargate_prices *fp;

	fp = fargate_prices_take(load("fargate-pricing.json"),
	    "fargate-pricing.json");
	assert_non_null(fp);
	return fp;
}

/* Price arithmetic against the figures of aws-api.md section 7. */
static void
test_prices(void **state)
{
	struct fargate_prices *fp = prices();
	struct fargate_rate r;

	(void)state;
	assert_true(fabs(fp->spot_discount - 0.70) < 1e-9);
	assert_int_equal(fargate_rate_find(fp, "us-east-1", "X86_64", &r), 0);
	assert_true(r.exact);
	assert_true(fabs(r.vcpu_hour - 0.04048) < 1e-12);
	assert_true(fabs(r.gb_hour - 0.004445) < 1e-12);
	/* 1 vCPU / 2 GB: 0.04937 $/h, 36.04 $/month. */
	assert_true(fabs(fargate_task_hour(&r, 1024, 2048, 20) - 0.04937) <
	    1e-9);
	assert_true(fabs(fargate_cents(fargate_task_hour(&r, 1024, 2048, 0) *
	    FARGATE_HOURS_MONTH) - 36.04) < 1e-9);
	/* 4 vCPU / 8 GB: 144.16 $/month. */
	assert_true(fabs(fargate_cents(fargate_task_hour(&r, 4096, 8192, 0) *
	    FARGATE_HOURS_MONTH) - 144.16) < 1e-9);
	/* 50 GiB ephemeral: 30 GiB above the free 20 at 0.000111. */
	assert_true(fabs(fargate_task_hour(&r, 2048, 4096, 50) -
	    (2 * 0.04048 + 4 * 0.004445 + 30 * 0.000111)) < 1e-12);
	/* ARM 0.25 vCPU / 0.5 GB: 0.009875 $/h, 7.21 $/month. */
	assert_int_equal(fargate_rate_find(fp, "us-east-1", "ARM64", &r), 0);
	assert_true(fabs(fargate_task_hour(&r, 256, 512, 0) - 0.009875) <
	    1e-12);
	assert_true(fabs(fargate_cents(fargate_task_hour(&r, 256, 512, 0) *
	    FARGATE_HOURS_MONTH) - 7.21) < 1e-9);
	/* Fallbacks: us-west-2 has no ARM row; unknown region. */
	assert_int_equal(fargate_rate_find(fp, "us-west-2", "ARM64", &r), 0);
	assert_false(r.exact);
	assert_string_equal(r.region, "us-east-1");
	assert_int_equal(fargate_rate_find(fp, "eu-west-2", "X86_64", &r), 0);
	assert_true(r.exact);
	assert_true(fabs(r.vcpu_hour - 0.04656) < 1e-12);
	assert_int_equal(fargate_rate_find(fp, "eu-west-1", "X86_64", &r), 0);
	assert_false(r.exact);
	assert_string_equal(r.region, "eu-west-1");
	assert_string_equal(r.confidence, "low");
	assert_int_equal(fargate_rate_find(fp, "xx-nowhere-9", "X86_64", &r),
	    0);
	assert_false(r.exact);
	assert_string_equal(r.region, "us-east-1");
	fargate_prices_free(fp);
}

static void
test_rounding_helpers(void **state)
{
	(void)state;
	assert_true(fargate_cents(1.005 + 1e-9) == 1.01);
	assert_true(fargate_cents(36.0401) == 36.04);
	assert_true(fargate_cents(-96.484) == -96.48);
	assert_true(fargate_round4(0.68749) == 0.6875);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_is_74),
		cmocka_unit_test(test_round_every_pair),
		cmocka_unit_test(test_round_cases),
		cmocka_unit_test(test_prices),
		cmocka_unit_test(test_rounding_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
