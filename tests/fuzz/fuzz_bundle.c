/*
 * libFuzzer target: the bundle reader (tar / tar.gz with manifest checks)
 * and, on the same bytes, the plan.json parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bundle.h"
#include "log.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle *b = NULL;
	struct plan *p = NULL;
	const struct bundle_file *f;

	log_set_quiet(2);
	if (bundle_parse_archive(&b, "fuzz.tar", data, size) == 0) {
		f = bundle_find(b, "plan.json");
		if (f != NULL && plan_parse(&p, "plan.json", f->data,
		    f->len) == 0)
			plan_free(p);
		bundle_free(b);
	}
	/* The same bytes as a plan.json. */
	p = NULL;
	if (plan_parse(&p, "plan.json", (const char *)data, size) == 0)
		plan_free(p);
	return 0;
}
