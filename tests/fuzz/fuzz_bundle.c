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
	char *text;
	size_t len;

	log_set_quiet(2);
	if (bundle_parse_archive(&b, "fuzz.tar", data, size) == 0) {
		if (bundle_find(b, "plan.json") != NULL &&
		    (text = bundle_read(b, "plan.json", &len)) != NULL) {
			if (plan_parse(&p, "plan.json", text, len) == 0)
				plan_free(p);
			free(text);
		}
		bundle_free(b);
	}
	/* The same bytes as a plan.json. */
	p = NULL;
	if (plan_parse(&p, "plan.json", (const char *)data, size) == 0)
		plan_free(p);
	return 0;
}
