/*
 * journal_scan over arbitrary bytes: no crash, no leak, and the status
 * agrees with the other fields. Seeds: tests/fuzz/corpus/fuzz_journal/,
 * written by tests/tools/make_journal_fixtures.py.
 *
 * Two modes, because a fuzzer rarely guesses a CRC:
 *   - input starting with 'F' (as "F2OJ" does) is scanned as it is;
 *   - any other input is lines "<type digit><payload>\n" that are framed
 *     here with correct sequence numbers and CRCs, so the payload decoder
 *     and the state rules are reached.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "xalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Frame the lines of data; returns a new buffer (free it) of *outlen. */
static uint8_t *
frame(const uint8_t *data, size_t size, size_t *outlen)
{
	uint8_t *out, *rec;
	const uint8_t *p = data, *end = data + size, *nl;
	size_t len = 0, plen;
	uint32_t seq = 1;

	/* A line of n >= 1 bytes becomes a record of n + 19 <= 20n bytes. */
	out = xmalloc(size * 20 + 64);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl - p >= 1) {
			plen = (size_t)(nl - p) - 1;
			rec = out + len;
			memcpy(rec, JOURNAL_MAGIC, 4);
			rec[4] = JOURNAL_FORMAT_VERSION;
			rec[5] = (uint8_t)(p[0] - '0');
			rec[6] = 0;
			rec[7] = 0;
			put_be32(rec + 8, seq++);
			put_be32(rec + 12, (uint32_t)plen);
			memcpy(rec + JOURNAL_HEADER_SIZE, p + 1, plen);
			put_be32(rec + JOURNAL_HEADER_SIZE + plen,
			    journal_crc32(rec, JOURNAL_HEADER_SIZE + plen));
			len += JOURNAL_HEADER_SIZE + plen +
			    JOURNAL_TRAILER_SIZE;
		}
		p = nl + 1;
	}
	*outlen = len;
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_scan_info info;
	struct journal *j;
	uint8_t *framed = NULL;

	if (size > 0 && data[0] != 'F') {
		framed = frame(data, size, &size);
		data = framed;
	}
	j = journal_scan(data, size, &info);
	if ((j == NULL) != (info.status == JSCAN_CORRUPT))
		abort();
	if (info.good_len > size)
		abort();
	if (info.status == JSCAN_OK && info.good_len != size)
		abort();
	if (info.status != JSCAN_OK && info.bad_offset != info.good_len)
		abort();
	if (j != NULL) {
		if (journal_nrecords(j) != info.nrecords ||
		    journal_size(j) != info.good_len)
			abort();
		/* The getters on whatever state came out. */
		(void)journal_state(j, "sg/instances");
		(void)journal_outputs(j, "td/web-3");
		(void)journal_token(j, "svc/sfm-web");
		(void)journal_bundle(j);
	}
	journal_free(j);
	free(framed);
	return 0;
}
