/* libFuzzer target: the export reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "jsonutil.h"
#include "log.h"
#include "taskdef.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct export *ex = export_new();
	char *buf = xmalloc(size + 1);
	size_t i;

	log_set_quiet(2);
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (export_parse(ex, "fuzz.json", buf, size) == 0)
		for (i = 0; i < ex->ntds; i++)
			(void)taskdef_analyze(&ex->tds[i]);
	export_free(ex);
	/* Again with duplicate keys kept last (--duplicate-keys last). */
	ex = export_new();
	ex->dup = JSON_DUP_LAST;
	(void)export_parse(ex, "fuzz.json", buf, size);
	export_free(ex);
	free(buf);
	return 0;
}
