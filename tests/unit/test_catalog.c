/*
 * The instance-type catalog (translate/catalog.c): loading
 * templates/instance-types.json (run from the repo root, or set
 * F2O_TEMPLATES), the reservation arithmetic, fitting, ENI limits, and
 * the errors for malformed files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "fsio.h"
#include "jsonutil.h"

static struct catalog *
load_default(void)
{
	const char *dir = getenv("F2O_TEMPLATES");
	char path[4096];
	char *buf = NULL;
	size_t len;
	struct catalog *c = NULL;

	(void)snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir :
	    "templates", CATALOG_FILE);
	assert_int_equal(fsio_read_bounded(&buf, &len, path, 1 << 24), 0);
	assert_int_equal(catalog_parse(&c, buf, len, path), 0);
	free(buf);
	assert_non_null(c);
	return c;
}

static struct catalog *
load_text(const char *text)
{
	struct catalog *c = NULL;

	if (catalog_parse(&c, text, strlen(text), "test.json") == -1)
		return NULL;
	return c;
}

static void
test_default_file(void **state)
{
	struct catalog *c = load_default();
	const struct catalog_type *t;

	(void)state;
	assert_true(c->ntypes >= 300);
	assert_int_equal(c->os_memory_pct, 6);
	assert_int_equal(c->agent_memory, 256);
	assert_int_equal(c->agent_cpu, 0);
	assert_true(c->sel_no_metal);
	assert_int_equal(c->sel_max_vcpu, 64);

	t = catalog_find(c, "m5.large");
	assert_non_null(t);
	assert_string_equal(t->family, "m5");
	assert_string_equal(t->size, "large");
	assert_int_equal(t->vcpu, 2);
	assert_int_equal(t->memory, 8192);
	assert_false(t->arm64);
	assert_true(t->nitro);
	assert_int_equal(t->max_enis, 3);
	assert_int_equal(t->tasks_no_trunk, 2);
	assert_int_equal(t->tasks_trunk, 10);
	assert_true(t->od_hour > 0.09 && t->od_hour < 0.1);
	assert_string_equal(catalog_arch(t), "x86_64");

	t = catalog_find(c, "m7g.large");
	assert_non_null(t);
	assert_true(t->arm64);
	assert_string_equal(catalog_arch(t), "arm64");

	/* Burstable types: no ECS trunking. */
	t = catalog_find(c, "t3.medium");
	assert_non_null(t);
	assert_true(t->burstable);
	assert_int_equal(t->tasks_trunk, -1);
	assert_int_equal(catalog_eni_limit(t, true), t->tasks_no_trunk);

	/* Listed by ECS as unsupported for trunking. */
	t = catalog_find(c, "r5.8xlarge");
	assert_non_null(t);
	assert_int_equal(t->tasks_trunk, -1);

	t = catalog_find(c, "c5.metal");
	assert_non_null(t);
	assert_true(t->metal);

	assert_null(catalog_find(c, "m5.huge"));
	assert_null(catalog_find(c, NULL));
	assert_null(catalog_find(NULL, "m5.large"));
	catalog_free(c);
}

static void
test_fit(void **state)
{
	struct catalog *c = load_default();
	const struct catalog_type *t = catalog_find(c, "m5.large");

	(void)state;
	/* 8192 MiB less 6% = 7700, less 256 = 7444; all 2048 CPU units. */
	assert_int_equal(catalog_usable_cpu(c, t), 2048);
	assert_int_equal(catalog_usable_memory(c, t), 7444);
	assert_int_equal(catalog_fit(c, t, 1024, 2048), 2);
	assert_int_equal(catalog_fit(c, t, 512, 1024), 4);
	assert_int_equal(catalog_fit(c, t, 256, 512), 8);
	assert_int_equal(catalog_fit(c, t, 2048, 7444), 1);
	assert_int_equal(catalog_fit(c, t, 2048, 7445), 0);
	assert_int_equal(catalog_fit(c, t, 2049, 512), 0);
	/* An unset dimension does not limit. */
	assert_int_equal(catalog_fit(c, t, 0, 1024), 7);
	assert_int_equal(catalog_fit(c, t, 256, 0), 8);
	assert_int_equal(catalog_fit(c, t, 0, 0), CATALOG_MAX_TASKS);
	/* ENIs: 2 awsvpc tasks without trunking, 10 with. */
	assert_int_equal(catalog_tasks_per_instance(c, t, 256, 512, true,
	    false), 2);
	assert_int_equal(catalog_tasks_per_instance(c, t, 256, 512, true,
	    true), 8);
	assert_int_equal(catalog_tasks_per_instance(c, t, 256, 512, false,
	    false), 8);
	assert_int_equal(catalog_tasks_per_instance(c, t, 128, 256, true,
	    true), 10);
	/* A nominal 4 GiB type cannot hold a 4 GiB task. */
	t = catalog_find(c, "c5.large");
	assert_int_equal(catalog_fit(c, t, 2048, 4096), 0);
	assert_int_equal(catalog_fit(c, t, 2048, 3594), 1);
	catalog_free(c);
}

#define ONE_TYPE(extra) "{\"types\": [{\"type\": \"m5.large\", " \
	"\"vcpu\": 2, \"memoryMiB\": 8192, \"arch\": \"x86_64\", " \
	"\"maxEnis\": 3" extra "}]}"

static void
test_minimal_and_defaults(void **state)
{
	struct catalog *c = load_text(ONE_TYPE(""));
	const struct catalog_type *t;

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->ntypes, 1);
	t = &c->types[0];
	assert_int_equal(t->tasks_no_trunk, 2);
	assert_int_equal(t->tasks_trunk, -1);
	assert_false(t->nitro);
	assert_false(t->metal);
	assert_int_equal(c->os_memory_pct, CATALOG_OS_MEMORY_PCT);
	assert_int_equal(c->agent_memory, CATALOG_AGENT_MEMORY);
	catalog_free(c);

	c = load_text("{\"ecsReservation\": {\"osMemoryPercent\": 0, "
	    "\"agentMemoryMiB\": 0, \"agentCpuUnits\": 48}, \"selection\": "
	    "{\"excludeMetal\": false, \"maxVcpu\": 0}, \"types\": "
	    "[{\"type\": \"m5.large\", \"vcpu\": 2, \"memoryMiB\": 8192, "
	    "\"arch\": \"x86_64\", \"maxEnis\": 3, \"ecsTrunkTaskEnis\": 10}, "
	    "{\"type\": \"m4.large\", \"vcpu\": 2, \"memoryMiB\": 8192, "
	    "\"arch\": \"x86_64\", \"maxEnis\": 2, \"ecsTrunkTaskEnis\": 10, "
	    "\"hypervisor\": \"xen\"}]}");
	assert_non_null(c);
	assert_false(c->sel_no_metal);
	assert_int_equal(c->sel_max_vcpu, 0);
	assert_int_equal(catalog_usable_memory(c, &c->types[0]), 8192);
	assert_int_equal(catalog_usable_cpu(c, &c->types[0]), 2000);
	assert_int_equal(c->types[0].tasks_trunk, 10);
	assert_true(c->types[0].nitro);		/* implied by trunking */
	assert_false(c->types[1].nitro);	/* said xen */
	assert_int_equal(c->types[1].tasks_no_trunk, 1);
	catalog_free(c);
}

static void
test_errors(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{}",
		"{\"types\": []}",
		"{\"types\": [1]}",
		"{\"types\": [{\"type\": \"m5.large\", \"vcpu\": 0, "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3}]}",
		"{\"types\": [{\"type\": \"m5.large\", \"vcpu\": 2, "
		    "\"memoryMiB\": 8192, \"arch\": \"i386\", \"maxEnis\": 3}]}",
		"{\"types\": [{\"type\": \"M5.large\", \"vcpu\": 2, "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3}]}",
		"{\"types\": [{\"type\": \"m5large\", \"vcpu\": 2, "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3}]}",
		"{\"types\": [{\"type\": \"m5.large\", \"vcpu\": \"2\", "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3}]}",
		"{\"types\": [{\"type\": \"m5.large\", \"vcpu\": 2.5, "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3}]}",
		"{\"types\": [{\"type\": \"m5.large\", \"vcpu\": 2, "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3, "
		    "\"bareMetal\": \"no\"}]}",
		"{\"types\": [{\"type\": \"m5.large\", \"vcpu\": 2, "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3, "
		    "\"onDemandUsdPerHourUsEast1\": -1}]}",
		"{\"types\": [{\"type\": \"m5.large\", \"vcpu\": 2, "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3}, "
		    "{\"type\": \"m5.large\", \"vcpu\": 2, \"memoryMiB\": 8192, "
		    "\"arch\": \"x86_64\", \"maxEnis\": 3}]}",
		"{\"ecsReservation\": {\"osMemoryPercent\": 100}, "
		    "\"types\": [{\"type\": \"m5.large\", \"vcpu\": 2, "
		    "\"memoryMiB\": 8192, \"arch\": \"x86_64\", \"maxEnis\": 3}]}",
		"{\"selection\": [], \"types\": [{\"type\": \"m5.large\", "
		    "\"vcpu\": 2, \"memoryMiB\": 8192, \"arch\": \"x86_64\", "
		    "\"maxEnis\": 3}]}",
		"{\"types\": [{\"type\": \"m5.large\", \"vcpu\": 2, ",
		NULL
	};
	size_t i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		struct catalog *c = (struct catalog *)1;

		if (catalog_parse(&c, bad[i], strlen(bad[i]), "bad.json") != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_null(c);
	}
	catalog_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_file),
		cmocka_unit_test(test_fit),
		cmocka_unit_test(test_minimal_and_defaults),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
