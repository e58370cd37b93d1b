#ifndef F2O_HASHMAP_H
#define F2O_HASHMAP_H
/*
 * String -> size_t map (FNV-1a), for identity lookups that would
 * otherwise be quadratic on large exports. Keys are copied into blocks
 * the map owns (no allocation per key); the entries (key, value) are
 * dense, in insertion order, and found through an idxmap (below) of
 * their hashes, which compares the text only when the hashes agree.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xalloc.h"

/*
 * Index map: string -> index (< UINT32_MAX - 1) where the caller keeps
 * the strings (in memory or in a file): each slot holds only the key's
 * 32-bit hash and its index, 8 bytes, half to three quarters full. A
 * probe asks the caller whether index i's key is key (eq) only when the
 * hashes agree. For millions of keys whose text is already held elsewhere
 * (a bundle's files, a plan's step ids).
 */
/* Zeroed: empty. */
struct idxmap {
	uint64_t *slots;	/* 0: empty, else hash << 32 | (index + 1) */
	size_t	  cap;		/* slots, grown by half when 3/4 full */
	size_t	  len;
};
/* 1 when index i's key is key, 0 when not, -1 (logged) if unknown. */
typedef int (*idxmap_eq_fn)(void *arg, size_t i, const char *key);

uint32_t idxmap_hash(const char *key);
void	idxmap_cleanup(struct idxmap *);	/* NULL-safe */
/* 1 and *i set when key (hash h) is present, 0 when not, -1 (eq's). */
int	idxmap_find(const struct idxmap *, const char *key, uint32_t h,
	    idxmap_eq_fn eq, void *arg, size_t *i);
/* Add index i for a key of hash h known to be absent. */
void	idxmap_add(struct idxmap *, uint32_t h, size_t i);

struct hashmap {
	struct idxmap idx;	/* hash -> entry */
	char	**keys;		/* entries, in insertion order */
	size_t	 *vals;
	size_t	  len;		/* entries */
	size_t	  room;		/* entries allocated */
	struct xarena keytext;	/* the keys' text */
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
