#ifndef F2O_PROGRESS_H
#define F2O_PROGRESS_H
/*
 * What f2o-exec tells its user while it runs, on stdout: one JSON event
 * per line (--json), plain lines (not a terminal), or plain lines plus a
 * live status line redrawn in place (a terminal): done/total, the steps
 * in flight, retries, elapsed time. Thread-safe: every function takes the
 * progress lock. All functions accept NULL and then do nothing.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "http.h"

#define PROGRESS_MAX_SHOWN	4	/* steps named in the live line */

struct progress;

/*
 * mode: 1 live, 0 plain lines, -1 live when stdout is a terminal. json
 * overrides mode. total: steps of the phase. Free with progress_free().
 */
struct progress	*progress_new(bool json, int mode, size_t total,
		    const char *phase, const char *digest);
void		 progress_free(struct progress *);
/* A step starts (counted as in flight). */
void		 progress_start(struct progress *, const char *id);
/*
 * A step ends: status "ok", "done" (already in the journal), "adopted",
 * "skipped", "failed", "stopped", "in-doubt". outputs, err and note may
 * be NULL.
 */
void		 progress_step(struct progress *, const char *id,
		    const char *action, const char *status,
		    const cJSON *outputs, const struct http_apierr *err,
		    const char *note);
/* A request is retried after delay_ms because of code. */
void		 progress_retry(struct progress *, const char *id,
		    const char *code, unsigned delay_ms);
/* The closing line; stops the live line. */
void		 progress_done(struct progress *, const char *status,
		    size_t ndone, int code, const char *extra);
/* Print one JSON event (taken) or, without --json, nothing. */
void		 progress_event(struct progress *, cJSON *ev);
bool		 progress_json(const struct progress *);

#endif
