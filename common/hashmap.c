/*
 * String -> size_t map (open addressing, FNV-1a) for identity look-ups
 * on large exports; keys are copied. See hashmap.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "xalloc.h"

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void
hashmap_init(struct hashmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
hashmap_cleanup(struct hashmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static void
grow(struct hashmap *m)
{
	struct hashmap n;
	size_t i;

	n.cap = m->cap == 0 ? 64 : m->cap * 2;
	n.len = 0;
	n.keys = xcalloc(n.cap, sizeof(char *));
	n.vals = xcalloc(n.cap, sizeof(size_t));
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] != NULL) {
			size_t j = fnv1a(m->keys[i]) & (n.cap - 1);

			while (n.keys[j] != NULL)
				j = (j + 1) & (n.cap - 1);
			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
			n.len++;
		}
	}
	free(m->keys);
	free(m->vals);
	*m = n;
}

char *
hashmap_intern(struct hashmap *m, const char *key, size_t val)
{
	size_t j;

	if ((m->len + 1) * 2 > m->cap)
		grow(m);
	j = fnv1a(key) & (m->cap - 1);
	while (m->keys[j] != NULL) {
		if (strcmp(m->keys[j], key) == 0) {
			m->vals[j] = val;
			return m->keys[j];
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = xstrdup(key);
	m->vals[j] = val;
	m->len++;
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
	size_t j;

	if (m->cap == 0)
		return false;
	j = fnv1a(key) & (m->cap - 1);
	while (m->keys[j] != NULL) {
		if (strcmp(m->keys[j], key) == 0) {
			*val = m->vals[j];
			return true;
		}
		j = (j + 1) & (m->cap - 1);
	}
	return false;
}
