/*
 * Fuzz target: Spot API reply envelopes, for several HTTP statuses.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "spot.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 429, 500 };
	struct http_apierr e;
	cJSON *j;
	size_t i;

	log_set_quiet(1);
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		memset(&e, 0, sizeof(e));
		e.wait_seconds = -1;
		if (spot_response_parse(&j, &e, statuses[i], 5,
		    (const char *)data, size) == 0)
			cJSON_Delete(j);
		http_apierr_cleanup(&e);
	}
	return 0;
}
