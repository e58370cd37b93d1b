/*
 * String -> size_t map (FNV-1a): dense entries found through an idxmap,
 * keys copied into blocks it owns; the idxmap itself. See hashmap.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "xalloc.h"

/* FNV-1a over key; *len set to its length. */
static uint64_t
fnv1a(const char *s, size_t *len)
{
	uint64_t h = 1469598103934665603ULL;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	*len = (size_t)(p - s);
	return h;
}

/* The slot hash: FNV-1a's low 32 bits. */
static uint32_t
slot_hash(uint64_t h)
{
	return (uint32_t)h;
}

void
hashmap_init(struct hashmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
hashmap_cleanup(struct hashmap *m)
{
	if (m == NULL)
		return;
	xarena_free(&m->keytext);
	idxmap_cleanup(&m->idx);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* idxmap's question: is entry i's key this one? */
static int
key_is(void *arg, size_t i, const char *key)
{
	const struct hashmap *m = arg;

	return strcmp(m->keys[i], key) == 0;
}

/* Entry of key (hash h): true and *e set when present. */
static bool
find(const struct hashmap *m, const char *key, uint32_t h, size_t *e)
{
	/* key_is only reads the map. */
	return idxmap_find(&m->idx, key, h, key_is, (void *)(uintptr_t)m,
	    e) == 1;
}

char *
hashmap_intern(struct hashmap *m, const char *key, size_t val)
{
	size_t len, e;
	uint32_t h = slot_hash(fnv1a(key, &len));

	if (!find(m, key, h, &e)) {
		if (m->len >= UINT32_MAX - 2) {
			fputs("f2o: hashmap: too many keys\n", stderr);
			abort();
		}
		if (m->len == m->room) {
			m->room = m->room == 0 ? 32 : m->room * 2;
			m->keys = xreallocarray(m->keys, m->room,
			    sizeof(*m->keys));
			m->vals = xreallocarray(m->vals, m->room,
			    sizeof(*m->vals));
		}
		e = m->len++;
		m->keys[e] = xarena_strndup(&m->keytext, key, len);
		idxmap_add(&m->idx, h, e);
	}
	m->vals[e] = val;
	return m->keys[e];
}

void
hashmap_put(struct hashmap *m, const char *key, size_t val)
{
	(void)hashmap_intern(m, key, val);
}

bool
hashmap_get(const struct hashmap *m, const char *key, size_t *val)
{
	size_t len, e;

	if (!find(m, key, slot_hash(fnv1a(key, &len)), &e))
		return false;
	*val = m->vals[e];
	return true;
}

uint32_t
idxmap_hash(const char *key)
{
	size_t len;

	return slot_hash(fnv1a(key, &len));
}

void
idxmap_cleanup(struct idxmap *m)
{
	if (m != NULL) {
		free(m->slots);
		memset(m, 0, sizeof(*m));
	}
}

/*
 * The first slot to look in for hash h: h scaled to cap (any size, not
 * only a power of two, so that the map grows by half, not double). Its
 * high bits choose: FNV-1a's low 32 bits mix the last bytes of a key into
 * the low bits only, so h is first multiplied by 2^32 / phi (Fibonacci
 * hashing), which carries every bit up.
 */
static size_t
idx_home(uint32_t h, size_t cap)
{
	return (size_t)(((uint64_t)(uint32_t)(h * 2654435769U) * cap) >> 32);
}

int
idxmap_find(const struct idxmap *m, const char *key, uint32_t h,
    idxmap_eq_fn eq, void *arg, size_t *i)
{
	size_t j;
	uint64_t e;
	int r;

	if (m->cap == 0)
		return 0;
	for (j = idx_home(h, m->cap); (e = m->slots[j]) != 0;
	    j = j + 1 < m->cap ? j + 1 : 0) {
		if ((uint32_t)(e >> 32) != h)
			continue;
		if ((r = eq(arg, (size_t)(uint32_t)e - 1, key)) == -1)
			return -1;
		if (r == 1) {
			*i = (size_t)(uint32_t)e - 1;
			return 1;
		}
	}
	return 0;
}

/* Put entry e in the first empty slot from its hash's. */
static void
idx_place(uint64_t *slots, size_t cap, uint64_t e)
{
	size_t j = idx_home((uint32_t)(e >> 32), cap);

	while (slots[j] != 0)
		j = j + 1 < cap ? j + 1 : 0;
	slots[j] = e;
}

void
idxmap_add(struct idxmap *m, uint32_t h, size_t i)
{
	size_t k, cap;
	uint64_t *slots;

	if (i >= UINT32_MAX - 1) {
		fputs("f2o: idxmap: too many keys\n", stderr);
		abort();
	}
	if ((m->len + 1) * 4 > m->cap * 3) {
		/* Half as many again; each entry's hash is in its slot. */
		cap = m->cap == 0 ? 64 : m->cap + m->cap / 2;
		slots = xcalloc(cap, sizeof(*slots));
		for (k = 0; k < m->cap; k++)
			if (m->slots[k] != 0)
				idx_place(slots, cap, m->slots[k]);
		free(m->slots);
		m->slots = slots;
		m->cap = cap;
	}
	idx_place(m->slots, m->cap, (uint64_t)h << 32 | (uint64_t)(i + 1));
	m->len++;
}
