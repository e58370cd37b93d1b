#ifndef F2O_HASHMAP_H
#define F2O_HASHMAP_H
/*
 * String -> size_t map (open addressing, FNV-1a), for identity lookups
 * that would otherwise be quadratic on large exports. Keys are copied.
 */
#include <stdbool.h>
#include <stddef.h>

struct hashmap {
	char	**keys;
	size_t	 *vals;
	size_t	  cap;		/* power of two */
	size_t	  len;
};

void	hashmap_init(struct hashmap *);
void	hashmap_cleanup(struct hashmap *);	/* NULL-safe */
/* Insert or overwrite. */
void	hashmap_put(struct hashmap *, const char *key, size_t val);
/*
 * hashmap_put, returning the map's own copy of key: one copy serves both
 * (never free it; it lives until hashmap_cleanup).
 */
char	*hashmap_intern(struct hashmap *, const char *key, size_t val);
/* True and *val set when key is present. */
bool	hashmap_get(const struct hashmap *, const char *key, size_t *val);

#endif
