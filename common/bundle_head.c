/*
 * A sealed bundle's manifest text before its "files" (the head): printed
 * a member at a time, held, or spilled to a temporary file when streamed.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "bundle.h"
#include "bundle_int.h"
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"

/* What a streamed head holds in memory before it goes to its file. */
#define HEAD_SPILL	(64 * 1024)

struct head {
	struct strbuf *sb;
	bool	 spill;
	bool	 ok;
};

static void
add(struct head *h, const char *s, size_t len)
{
	if (h->ok && strbuf_add(h->sb, s, len) == -1)
		h->ok = false;
}

static void
tabs(struct head *h, size_t n)
{
	static const char t[] = "\t\t\t\t\t\t\t\t";

	for (; n > 0 && h->ok; n -= n < 8 ? n : 8)
		add(h, t, n < 8 ? n : 8);
}

/* json_print_nested(item, depth)'s text, freed. */
static void
add_nested(struct head *h, const cJSON *item, size_t depth)
{
	char *t = json_print_nested(item, depth);

	add(h, t, strlen(t));
	free(t);
}

/*
 * Object o's members as json_print() gives them at depth (the tabs of its
 * own key's line), from its first key to its last value, one at a time,
 * each deleted once printed: a member that is a non-empty object goes the
 * same way, member by member.
 */
static void
members(struct head *h, cJSON *o, size_t depth)
{
	cJSON *c, *key;
	bool first = true;

	while ((c = o->child) != NULL && h->ok) {
		if (!first)
			add(h, ",\n", 2);
		first = false;
		tabs(h, depth + 1);
		key = cJSON_CreateStringReference(c->string);
		add_nested(h, key, 0);
		cJSON_Delete(key);
		add(h, ":\t", 2);
		if (cJSON_IsObject(c) && c->child != NULL) {
			add(h, "{\n", 2);
			members(h, c, depth + 1);
			add(h, "\n", 1);
			tabs(h, depth + 1);
			add(h, "}", 1);
		} else
			add_nested(h, c, depth + 1);
		cJSON_DetachItemViaPointer(o, c);
		cJSON_Delete(c);
		if (h->spill)
			strbuf_spill(h->sb, HEAD_SPILL);
	}
}

int
bundle_head_print(struct strbuf *sb, cJSON *m, bool spill)
{
	struct head h = { sb, spill, true };

	/* json_print(m) less its last "\n}\n": m is an object at depth 0. */
	add(&h, "{\n", 2);
	members(&h, m, 0);
	cJSON_Delete(m);
#ifdef __GLIBC__
	/*
	 * The tree's many small pieces leave whole pages of the heap free:
	 * given back before the file list is sorted (10,000 services: the
	 * fingerprints and inputs, 12 MiB).
	 */
	(void)malloc_trim(0);
#endif
	if (!h.ok || sb->spill_failed) {
		log_errx("bundle: %s: its text is larger than %lu bytes or "
		    "cannot be kept", BUNDLE_MANIFEST, BUNDLE_MAX_FILE);
		return -1;
	}
	return 0;
}
