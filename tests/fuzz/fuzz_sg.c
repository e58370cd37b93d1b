/* libFuzzer target: security-group rules (read, normalise, merge). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "log.h"
#include "sg.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct export *ex = export_new();
	struct sg_rules rs = { NULL, 0 };
	char *buf = xmalloc(size + 1);
	size_t i;
	int rc = 0;

	log_set_quiet(1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (export_parse(ex, "fuzz.json", buf, size) == 0) {
		for (i = 0; i < ex->nsgs; i++)
			if (sg_group_parse(&rs, &ex->sgs[i]) == -1)
				rc = -1;
		if (rc == 0)
			sg_rules_merge(&rs, true);
	}
	sg_rules_free(&rs);
	export_free(ex);
	free(buf);
	return 0;
}
