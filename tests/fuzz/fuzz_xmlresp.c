/*
 * Fuzz target: EC2 XML responses (success conversion and error envelope).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "xmlresp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xmlresp_error e;
	cJSON *j = NULL;
	char *rid = NULL;

	log_set_quiet(1);
	if (xmlresp_parse(&j, &rid, "fuzz", (const char *)data, size) == 0) {
		cJSON_Delete(j);
		free(rid);
	}
	if (xmlresp_error_parse(&e, "fuzz", (const char *)data, size) == 0)
		xmlresp_error_cleanup(&e);
	return 0;
}
