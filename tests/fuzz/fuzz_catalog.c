/* libFuzzer target: the instance-type catalog parser (a template file). */
#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog *c = NULL;

	log_set_quiet(2);
	if (catalog_parse(&c, (const char *)data, size, "fuzz.json") == 0)
		catalog_free(c);
	return 0;
}
