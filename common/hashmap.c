/*
 * String -> size_t map (open addressing, FNV-1a) for identity look-ups
 * on large exports; keys are copied into blocks it owns. See hashmap.h.
 */
#include <stdint.h>
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

/*
 * The slot hash: FNV-1a's low 32 bits, which index the slots as the full
 * hash did (slot order, which iampolicy.c walks, is unchanged).
 */
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
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	memset(m, 0, sizeof(*m));
}

static void
grow(struct hashmap *m)
{
	size_t i, j, cap = m->cap == 0 ? 64 : m->cap * 2;
	char **keys = xcalloc(cap, sizeof(*keys));
	size_t *vals = xcalloc(cap, sizeof(*vals));
	uint32_t *hashes = xcalloc(cap, sizeof(*hashes));

	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] == NULL)
			continue;
		j = m->hashes[i] & (cap - 1);
		while (keys[j] != NULL)
			j = (j + 1) & (cap - 1);
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
		hashes[j] = m->hashes[i];
	}
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	m->keys = keys;
	m->vals = vals;
	m->hashes = hashes;
	m->cap = cap;
}

/* The slot of key (hash h), or of the empty slot where it would go. */
static size_t
find(const struct hashmap *m, const char *key, uint32_t h)
{
	size_t j = h & (m->cap - 1);

	while (m->keys[j] != NULL &&
	    (m->hashes[j] != h || strcmp(m->keys[j], key) != 0))
		j = (j + 1) & (m->cap - 1);
	return j;
}

char *
hashmap_intern(struct hashmap *m, const char *key, size_t val)
{
	size_t j, len;
	uint32_t h = slot_hash(fnv1a(key, &len));

	if ((m->len + 1) * 2 > m->cap)
		grow(m);
	j = find(m, key, h);
	if (m->keys[j] == NULL) {
		m->keys[j] = xarena_strndup(&m->keytext, key, len);
		m->hashes[j] = h;
		m->len++;
	}
	m->vals[j] = val;
	return m->keys[j];
}

void
hashmap_put(struct hashmap *m, const char *key, size_t val)
{
	(void)hashmap_intern(m, key, val);
}

bool
hashmap_get(const struct hashmap *m, const char *key, size_t *val)
{
	size_t j, len;

	if (m->cap == 0)
		return false;
	j = find(m, key, slot_hash(fnv1a(key, &len)));
	if (m->keys[j] == NULL)
		return false;
	*val = m->vals[j];
	return true;
}
