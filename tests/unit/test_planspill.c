/* A spilled plan (plan_spill.c) gives the same steps and text as one held. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "xalloc.h"

#define NSTEPS	6000		/* about 1.5 MB of records: several flushes */
#define BIG	30000		/* "after" ids of one step: a record > 256 KiB */

/*
 * The same steps into p: long titles, outputs, requests on some, undoes
 * on others, "after" the previous steps, one step after BIG others (a
 * record larger than the pending buffer), the arguments of each add
 * taken from the step before (freed by the spill only after the add).
 * Each step read back at once, as the IAM policy does.
 */
static void
build(struct plan *p)
{
	struct plan_reader rd;
	const struct plan_step *prev;
	struct plan_step *s;
	char id[64], title[300], *keep;
	const char *after[3];
	size_t i, j;

	plan_reader_init(&rd, p);
	for (i = 0; i < NSTEPS; i++) {
		(void)snprintf(id, sizeof(id), "step/n-%zu", i);
		memset(title, 'a' + (int)(i % 26), sizeof(title) - 1);
		title[sizeof(title) - 1 - i % 100] = '\0';
		after[0] = after[1] = after[2] = NULL;
		if (i > 0) {
			prev = plan_reader_get(&rd, i - 1);
			assert_non_null(prev);
			after[0] = prev->id;
			/* the previous step's own string, as an argument */
			keep = i % 7 == 0 ? xstrdup(prev->title) : NULL;
			s = plan_add(p, id, i % 3 == 0 ? "import" : "rollback",
			    "ecs:CreateService", i % 7 == 0 ? prev->title :
			    title, i % 2 == 0 ? prev->id : NULL, after);
			assert_non_null(s);
			if (keep != NULL)
				assert_string_equal(s->title, keep);
			free(keep);
		} else
			s = plan_add(p, id, "import", "ecs:RegisterTask"
			    "Definition", title, NULL, NULL);
		assert_non_null(s);
		if (i % 5 == 0)
			plan_step_output(s, "arn", "service.serviceArn");
		if (i % 11 == 0 && i > 0)
			plan_step_undoes(s, "step/n-0");
		if (i == NSTEPS / 2)
			for (j = 0; j < BIG; j++) {
				(void)snprintf(id, sizeof(id), "big/after-%zu",
				    j);
				plan_step_after(s, id);
			}
		prev = plan_reader_get(&rd, i);
		assert_non_null(prev);
		assert_ptr_equal(prev, s);	/* the last: held */
	}
	plan_reader_cleanup(&rd);
}

/* a and b give the same plan.json text. */
static void
assert_same_text(const struct plan *a, const struct plan *b)
{
	size_t n1, n2;
	char *t1 = plan_text(a, &n1), *t2 = plan_text(b, &n2);

	assert_non_null(t1);
	assert_non_null(t2);
	assert_int_equal(n1, n2);
	assert_memory_equal(t1, t2, n1);
	free(t1);
	free(t2);
}

static void
test_spill_same_text(void **state)
{
	struct plan *held = plan_new(), *spilled = plan_new();
	struct plan_reader a, b;
	const struct plan_step *x, *y;
	char dir[] = "/tmp/f2o-test-planspill-XXXXXX", *near;
	size_t i, j;

	(void)state;
	/* Beside a path in a new directory: made there, unlinked at once. */
	assert_non_null(mkdtemp(dir));
	near = xasprintf("%s/out.tar", dir);
	plan_spill(spilled, near);
	assert_non_null(spilled->spill);
	assert_int_equal(rmdir(dir), 0);	/* empty */
	free(near);
	build(held);
	build(spilled);
	assert_int_equal(held->nsteps, spilled->nsteps);
	assert_same_text(held, spilled);
	/* Random order too (windows moved back and forth). */
	plan_reader_init(&a, held);
	plan_reader_init(&b, spilled);
	for (i = 0; i < held->nsteps; i++) {
		size_t k = (i * 7919) % held->nsteps;

		x = plan_reader_get(&a, k);
		y = plan_reader_get(&b, k);
		assert_non_null(x);
		assert_non_null(y);
		assert_string_equal(x->id, y->id);
		assert_string_equal(x->title, y->title);
		assert_int_equal(x->nafter, y->nafter);
		for (j = 0; j < x->nafter; j++)
			assert_string_equal(x->after[j], y->after[j]);
		assert_int_equal(x->noutputs, y->noutputs);
		assert_true((x->undoes == NULL) == (y->undoes == NULL));
		assert_true((x->request == NULL) == (y->request == NULL));
	}
	plan_reader_cleanup(&a);
	plan_reader_cleanup(&b);
	/* Ids stay known (from the file, the pending records, the last
	   step); only the last step is found as a step. */
	for (i = 0; i < NSTEPS; i++) {
		char id[64];

		(void)snprintf(id, sizeof(id), "step/n-%zu", i);
		assert_true(plan_has(spilled, id));
		assert_true(plan_has(held, id));
	}
	assert_true(plan_has(spilled, "step/n-0"));
	assert_false(plan_has(spilled, "step/n-x"));
	assert_null(plan_find(spilled, "step/n-0"));
	assert_non_null(plan_find(spilled, "step/n-5999"));
	assert_non_null(plan_find(held, "step/n-0"));
	assert_null(plan_add(spilled, "step/n-1", "import", "x", "", NULL,
	    NULL));
	/* Closed: the last step read back from the file, the same text. */
	plan_close(spilled);
	assert_true(spilled->closed);
	assert_false(plan_has(spilled, "step/n-0"));
	assert_null(plan_add(spilled, "step/new", "import", "x", "", NULL,
	    NULL));
	assert_same_text(held, spilled);
	plan_free(held);
	plan_free(spilled);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spill_same_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
