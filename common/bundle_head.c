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

/*
 * Object o's members on w, one at a time, each deleted once printed: a
 * member that is an object goes the same way, member by member.
 */
static void
members(struct json_objw *w, cJSON *o, bool spill)
{
	struct json_objw cw;
	cJSON *c;

	while ((c = o->child) != NULL && !w->sb->full) {
		json_objw_key(w, c->string);
		if (cJSON_IsObject(c)) {
			json_objw_open(&cw, w->sb, w->depth + 1);
			members(&cw, c, spill);
			json_objw_close(&cw);
		} else
			json_objw_value(w, c);
		cJSON_DetachItemViaPointer(o, c);
		cJSON_Delete(c);
		if (spill)
			strbuf_spill(w->sb, HEAD_SPILL);
	}
}

int
bundle_head_print(struct strbuf *sb, cJSON *m, bool spill)
{
	struct json_objw w;

	/* json_print(m) less its last "\n}\n": m is an object at depth 0. */
	json_objw_open(&w, sb, 0);
	members(&w, m, spill);
	cJSON_Delete(m);
#ifdef __GLIBC__
	/*
	 * The tree's many small pieces leave whole pages of the heap free:
	 * given back before the file list is sorted (10,000 services: the
	 * fingerprints and inputs, 12 MiB).
	 */
	(void)malloc_trim(0);
#endif
	if (sb->full || sb->spill_failed) {
		log_errx("bundle: %s: its text is larger than %lu bytes or "
		    "cannot be kept", BUNDLE_MANIFEST, BUNDLE_MAX_FILE);
		return -1;
	}
	return 0;
}
