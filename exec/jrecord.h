#ifndef F2O_JRECORD_H
#define F2O_JRECORD_H
/*
 * Journal records (see journal.h for the journal as a whole).
 *
 * File format, version 1
 * ----------------------
 * The file is a sequence of records, nothing else (no file header). All
 * integers are unsigned big-endian.
 *
 *   offset  size  field
 *   0       4     magic "F2OJ" (0x46 0x32 0x4f 0x4a)
 *   4       1     format version, 1 (JOURNAL_FORMAT_VERSION)
 *   5       1     record type (enum jrec_type below)
 *   6       2     flags, 0 (anything else is refused)
 *   8       4     sequence number: 1 for the first record, then +1
 *   12      4     payload length N, 2 .. JOURNAL_MAX_PAYLOAD
 *   16      N     payload: one compact JSON object (UTF-8, no NUL)
 *   16+N    4     CRC-32 (zlib crc32, ISO-HDLC polynomial, check value
 *                 0xCBF43926 for "123456789") of bytes 0 .. 16+N-1
 *
 * Record types and payload members (unknown members are refused):
 *
 *   1 OPEN    {"bundle": "<sha256 hex of the bundle>", "f2o": "<version>"}
 *             Must be record 1, and only record 1.
 *   2 INTENT  {"step": "<step id>", "attempt": <1..JOURNAL_MAX_ATTEMPT>,
 *              "request": "<sha256 hex of the request sent>",
 *              "token": "<idempotency token or lookup name>"}  (token optional)
 *             Written before a request is sent. attempt is 1 + the attempt
 *             of the previous INTENT of the same step. Not allowed once the
 *             step is done.
 *   3 RESULT  {"step": "<step id>", "status": "ok"|"failed",
 *              "outputs": {"<name>": "<string>", ...},       (optional)
 *              "error": "<message>"}                          (optional)
 *             Written after the reply was handled. Must follow an INTENT of
 *             the same step that has no RESULT yet.
 *   4 NOTE    {"text": "<free text for humans>"}
 *
 * Step state, from the last records of each step id:
 *   no record                  JSTEP_PENDING
 *   INTENT without RESULT      JSTEP_INDOUBT (the request may or may not
 *                              have taken effect)
 *   RESULT "ok"                JSTEP_DONE (outputs available)
 *   RESULT "failed"            JSTEP_FAILED (a new INTENT may follow)
 *
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define JOURNAL_MAGIC		"F2OJ"
#define JOURNAL_FORMAT_VERSION	1
#define JOURNAL_HEADER_SIZE	16
#define JOURNAL_TRAILER_SIZE	4
#define JOURNAL_MAX_PAYLOAD	65536U			/* bytes, one record */
/*
 * A journal holds every step a bundle can have (PLAN_MAX_STEPS, 10
 * million), each with an INTENT and a RESULT (about 400 bytes) and room
 * for a retry; it is read whole when opened.
 */
#define JOURNAL_MAX_SIZE	(8UL << 30)		/* bytes, whole file */
#define JOURNAL_MAX_RECORDS	40000000U
#define JOURNAL_MAX_STEPS	10000000U	/* distinct step ids */
#define JOURNAL_MAX_ATTEMPT	10000U		/* INTENTs per step */
#define JOURNAL_MAX_OUTPUTS	64U		/* members of "outputs" */
#define JOURNAL_MAX_STRING	4096U		/* output value, note text */
#define JOURNAL_MAX_ERROR	4096U		/* error text; cut on append */
#define JOURNAL_MAX_TOKEN	512U
#define JOURNAL_REASON_MAX	160

enum jrec_type {
	JREC_OPEN = 1,
	JREC_INTENT,
	JREC_RESULT,
	JREC_NOTE,
	JREC__MAX
};

enum journal_step_state {
	JSTEP_PENDING = 0,
	JSTEP_INDOUBT,
	JSTEP_DONE,
	JSTEP_FAILED
};

enum journal_status {
	JOURNAL_OK = 0,
	JOURNAL_FAILED
};

/* One decoded record; strings are borrowed from root. */
struct jrec {
	enum jrec_type type;
	cJSON	*root;
	const char *bundle;	/* OPEN */
	const char *version;	/* OPEN */
	const char *step;	/* INTENT, RESULT */
	unsigned attempt;	/* INTENT */
	const char *request;	/* INTENT */
	const char *token;	/* INTENT, optional */
	enum journal_status status;	/* RESULT */
	const cJSON *outputs;	/* RESULT, optional */
	const char *error;	/* RESULT, optional */
	const char *text;	/* NOTE */
};

/* zlib CRC-32 of buf; exposed for tests. */
uint32_t	 journal_crc32(const void *buf, size_t len);

/* Big-endian 32-bit integers of the frame. */
uint32_t	 jrecord_get_be32(const unsigned char *p);
void		 jrecord_put_be32(unsigned char *p, uint32_t v);
/* Write a diagnostic into buf (JOURNAL_REASON_MAX bytes); NULL-safe. */
void		 jrecord_reason(char *buf, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* 64 lowercase hex digits. */
bool		 jrecord_hex_valid(const char *s);
/*
 * Decode the payload of a record of type into rec (strings borrowed from
 * rec->root, which the caller frees with cJSON_Delete). 0, or -1 with why
 * filled (JOURNAL_REASON_MAX bytes).
 */
int		 jrecord_decode(struct jrec *rec, unsigned type,
		    const char *payload, size_t len, char *why);
/*
 * Frame check of the record at buf[off..len): magic, length bound,
 * completeness, CRC. Returns the record size, or 0 with why filled.
 */
size_t		 jrecord_frame_check(const unsigned char *buf, size_t len,
		    size_t off, char *why);
/* Whether a CRC-valid record starts anywhere in buf after from. */
bool		 jrecord_valid_after(const unsigned char *buf, size_t len,
		    size_t from);
/*
 * The frame of record number seq of type with payload (plen bytes) into
 * *out (free with free()); returns its size.
 */
size_t		 jrecord_encode(unsigned char **out, enum jrec_type type,
		    uint32_t seq, const char *payload, size_t plen);

#endif
