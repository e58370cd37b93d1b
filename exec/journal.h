#ifndef F2O_JOURNAL_H
#define F2O_JOURNAL_H
/*
 * The checkpoint journal of f2o-exec: an append-only file of records, each
 * written in full and fsync'd before the append returns, so the executor
 * can be killed at any instant and resumed (STYLE.md 2.6, redis AOF model).
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
 * Recovery rules (journal_open / journal_scan)
 * ---------------------------------------------
 * Records are checked in order: magic, length bound, completeness, CRC,
 * then version, type, flags, sequence, payload syntax and the state rules
 * above. At the first record that fails:
 *   - if no CRC-valid record starts anywhere after it, the damage is a
 *     torn write at the end (a crash during an append): journal_open
 *     truncates the file to the end of the last good record, fsyncs it,
 *     warns, and continues;
 *   - otherwise (a CRC-valid record follows), the journal is corrupt:
 *     journal_open refuses it, naming the offset and record number, and
 *     changes nothing;
 *   - a record whose CRC is valid but whose content is not acceptable
 *     (unknown version or type, bad sequence, bad payload, state rule
 *     broken) is never a torn write: journal_open refuses it, even as the
 *     last record.
 * A journal whose OPEN names another bundle digest is refused.
 *
 * Concurrency: journal_open takes an exclusive flock(2) on the file (per
 * open file description, so a second journal_open in the same process is
 * refused too) and a POSIX record lock (fcntl F_SETLK) whose only use is
 * to let the loser name the holder's pid.
 *
 * Failed appends: a failed write is undone with ftruncate to the last good
 * size; a failed fsync (or a failed undo) marks the journal broken, and
 * every later append fails: after a failed fsync the kernel may have
 * dropped the dirty pages, so nothing more may be promised (fsyncgate).
 * The caller must then stop without sending anything.
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
#define JOURNAL_MAX_SIZE	(256UL * 1024 * 1024)	/* bytes, whole file */
#define JOURNAL_MAX_RECORDS	2000000U
#define JOURNAL_MAX_STEPS	200000U		/* distinct step ids */
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

enum journal_scan_status {
	JSCAN_OK = 0,		/* every byte belongs to a good record */
	JSCAN_TORN,		/* damage at the end only: truncate */
	JSCAN_CORRUPT		/* refuse */
};

/* What journal_scan found; filled in every case. */
struct journal_scan_info {
	enum journal_scan_status status;
	size_t	 good_len;	/* bytes up to the end of the last good one */
	size_t	 nrecords;	/* good records */
	size_t	 bad_offset;	/* TORN/CORRUPT: offset of the first bad one */
	size_t	 bad_record;	/* TORN/CORRUPT: its number, 1-based */
	char	 reason[JOURNAL_REASON_MAX]; /* TORN/CORRUPT: what is wrong */
};

struct journal;

/*
 * Parse journal bytes; no I/O and no logging (the fuzz target calls it).
 * Fills *info. On JSCAN_OK and JSCAN_TORN returns the state of the good
 * records (not attached to a file: appends fail); on JSCAN_CORRUPT returns
 * NULL. Free with journal_free().
 */
struct journal	*journal_scan(const void *buf, size_t len,
		    struct journal_scan_info *info);

/*
 * Open or create the journal at path for the bundle whose digest (64 hex
 * digits) is given: lock, read, recover (see above), and write the OPEN
 * record if the journal is new or empty. Returns 0, or -1 (logged with the
 * path; a locked journal names the holder's pid when it can). Free with
 * journal_close() or journal_free().
 */
int		 journal_open(struct journal **out, const char *path,
		    const char *bundle_digest);

/*
 * Append an INTENT for step_id before sending its request; the attempt
 * number is 1 + journal_attempts(). request_digest is 64 hex digits (both
 * must not be NULL); token (the idempotency token, or the name used to
 * find the resource again) may be NULL. Refused (-1, logged) if the step
 * is already done or is in doubt. Returns 0 once the record is on disk.
 */
int		 journal_append_intent(struct journal *, const char *step_id,
		    const char *request_digest, const char *token);
/*
 * Append a RESULT for an in-doubt step. outputs is NULL or an object whose
 * members are all strings (copied); error may be NULL (cut to
 * JOURNAL_MAX_ERROR bytes). Returns 0 once the record is on disk, or -1
 * (logged).
 */
int		 journal_append_result(struct journal *, const char *step_id,
		    enum journal_status status, const cJSON *outputs,
		    const char *error);
/* Append a NOTE (text cut to JOURNAL_MAX_STRING bytes). 0 or -1 (logged). */
int		 journal_append_note(struct journal *, const char *text);

enum journal_step_state journal_state(const struct journal *,
		    const char *step_id);
/* Outputs of a done step (borrowed, lives as long as the journal), or NULL. */
const cJSON	*journal_outputs(const struct journal *, const char *step_id);
/* Token of the step's last INTENT (borrowed), or NULL. */
const char	*journal_token(const struct journal *, const char *step_id);
/* Request digest of the step's last INTENT (borrowed), or NULL. */
const char	*journal_request(const struct journal *, const char *step_id);
/* Error text of the step's last failed RESULT (borrowed), or NULL. */
const char	*journal_error(const struct journal *, const char *step_id);
/* Attempt number of the step's last INTENT, 0 if none. */
unsigned	 journal_attempts(const struct journal *, const char *step_id);
/* Bundle digest from the OPEN record (borrowed), or NULL if none. */
const char	*journal_bundle(const struct journal *);
/* Number of records. */
size_t		 journal_nrecords(const struct journal *);
/* Size in bytes of the good records. */
size_t		 journal_size(const struct journal *);

/*
 * Close the file (checked) and free. Returns 0, or -1 if close failed
 * (logged; every record was already fsync'd). NULL-safe.
 */
int		 journal_close(struct journal *);
/* Same, ignoring errors; for cleanup paths. NULL-safe. */
void		 journal_free(struct journal *);

/* zlib CRC-32 of buf; exposed for tests. */
uint32_t	 journal_crc32(const void *buf, size_t len);

#endif
