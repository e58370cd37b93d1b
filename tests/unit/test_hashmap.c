/*
 * hashmap and xgrow: many keys across growth and key blocks (every one
 * found with its last value, interned copies stable), absent keys, long
 * keys larger than a block; an array grown one element at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "xalloc.h"

#define NKEYS	5000

static void
test_hashmap_many(void **state)
{
	struct hashmap m;
	char key[32], **copy = xcalloc(NKEYS, sizeof(*copy));
	size_t i, v;

	(void)state;
	hashmap_init(&m);
	assert_false(hashmap_get(&m, "absent", &v));
	for (i = 0; i < NKEYS; i++) {
		(void)snprintf(key, sizeof(key), "requests/rb/%zu.json", i);
		copy[i] = hashmap_intern(&m, key, i);
		assert_string_equal(copy[i], key);
		assert_ptr_not_equal(copy[i], key);
	}
	assert_int_equal(m.len, NKEYS);
	/* Overwrite: same copy, new value, no new key. */
	for (i = 0; i < NKEYS; i += 7) {
		(void)snprintf(key, sizeof(key), "requests/rb/%zu.json", i);
		assert_ptr_equal(hashmap_intern(&m, key, i + 1), copy[i]);
	}
	assert_int_equal(m.len, NKEYS);
	for (i = 0; i < NKEYS; i++) {
		(void)snprintf(key, sizeof(key), "requests/rb/%zu.json", i);
		assert_true(hashmap_get(&m, key, &v));
		assert_int_equal(v, i % 7 == 0 ? i + 1 : i);
		/* the copies survive growth and later blocks */
		assert_string_equal(copy[i], key);
		(void)snprintf(key, sizeof(key), "requests/rb/%zu.jso", i);
		assert_false(hashmap_get(&m, key, &v));
	}
	hashmap_cleanup(&m);
	hashmap_cleanup(&m);
	hashmap_cleanup(NULL);
	free(copy);
}

static void
test_hashmap_long_keys(void **state)
{
	struct hashmap m;
	char *big = xmalloc(200000), *small;
	size_t v;

	(void)state;
	memset(big, 'k', 199999);
	big[199999] = '\0';
	hashmap_init(&m);
	small = hashmap_intern(&m, "a", 1);
	assert_string_equal(hashmap_intern(&m, big, 2), big);
	hashmap_put(&m, "", 3);
	assert_true(hashmap_get(&m, big, &v));
	assert_int_equal(v, 2);
	assert_true(hashmap_get(&m, "", &v));
	assert_int_equal(v, 3);
	assert_true(hashmap_get(&m, "a", &v));
	assert_int_equal(v, 1);
	assert_string_equal(small, "a");
	big[1000] = '\0';
	assert_false(hashmap_get(&m, big, &v));
	hashmap_cleanup(&m);
	free(big);
}

/* idxmap: the keys are the caller's; eq is asked only on equal hashes. */
static char idx_keys[5000][16];
static size_t idx_asked;

static int
idx_eq(void *arg, size_t i, const char *key)
{
	(void)arg;
	idx_asked++;
	return strcmp(idx_keys[i], key) == 0;
}

static void
test_idxmap(void **state)
{
	struct idxmap m;
	size_t i, v;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(idxmap_find(&m, "a", idxmap_hash("a"), idx_eq, NULL,
	    &v), 0);
	for (i = 0; i < 5000; i++) {
		(void)snprintf(idx_keys[i], sizeof(idx_keys[i]), "k/%zu", i);
		assert_int_equal(idxmap_find(&m, idx_keys[i],
		    idxmap_hash(idx_keys[i]), idx_eq, NULL, &v), 0);
		idxmap_add(&m, idxmap_hash(idx_keys[i]), i);
	}
	assert_int_equal(m.len, 5000);
	assert_true(m.cap * 3 >= m.len * 4);
	idx_asked = 0;
	for (i = 0; i < 5000; i++) {
		assert_int_equal(idxmap_find(&m, idx_keys[i],
		    idxmap_hash(idx_keys[i]), idx_eq, NULL, &v), 1);
		assert_int_equal(v, i);
	}
	assert_true(idx_asked < 5100);	/* about once a key */
	/* The same hash, another key: asked, not found. */
	assert_int_equal(idxmap_find(&m, "other", idxmap_hash(idx_keys[7]),
	    idx_eq, NULL, &v), 0);
	idxmap_cleanup(&m);
	idxmap_cleanup(NULL);
}

static void
test_xgrow(void **state)
{
	size_t *v = NULL, i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		v = xgrow(v, i, sizeof(*v));
		v[i] = i * 3;
	}
	for (i = 0; i < 1000; i++)
		assert_int_equal(v[i], i * 3);
	free(v);
}

/* xoffs: across chunks, and nothing at or past 4 GiB. */
static void
test_xoffs(void **state)
{
	struct xoffs o;
	size_t i, n = 2 * XOFFS_CHUNK + 5;

	(void)state;
	memset(&o, 0, sizeof(o));
	for (i = 0; i < n; i++)
		assert_int_equal(xoffs_push(&o, (long long)i * 30000), 0);
	assert_int_equal(xoffs_push(&o, 1LL << 32), -1);
	assert_int_equal(xoffs_push(&o, -1), -1);
	assert_int_equal(xoffs_push(&o, 4294967295LL), 0);
	assert_int_equal(o.n, n + 1);
	for (i = 0; i < n; i++)
		assert_true(XOFFS_AT(&o, i) == (long long)i * 30000);
	assert_true(XOFFS_AT(&o, n) == 4294967295LL);
	xoffs_free(&o);
	assert_int_equal(o.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hashmap_many),
		cmocka_unit_test(test_hashmap_long_keys),
		cmocka_unit_test(test_idxmap),
		cmocka_unit_test(test_xgrow),
		cmocka_unit_test(test_xoffs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
