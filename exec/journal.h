#ifndef F2O_JOURNAL_H
#define F2O_JOURNAL_H
/*
 * The checkpoint journal of f2o-exec: an append-only file of records, each
 * written in full and fsync'd before the append returns, so the executor
 * can be killed at any instant and resumed (STYLE.md 2.6, redis AOF model).
 * The record format is in jrecord.h, the step state in jstate.h.
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

#include "jstate.h"

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

/*
 * Close the file (checked) and free. Returns 0, or -1 if close failed
 * (logged; every record was already fsync'd). NULL-safe.
 */
int		 journal_close(struct journal *);
/* Same, ignoring errors; for cleanup paths. NULL-safe. */
void		 journal_free(struct journal *);

#endif
