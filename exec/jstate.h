#ifndef F2O_JSTATE_H
#define F2O_JSTATE_H
/*
 * Journal state: the records replayed into the state of each step id
 * (the "Step state" rules in jrecord.h), and the scan of journal bytes
 * that tells good records from a torn tail or corruption (journal.h,
 * "Recovery rules"). No I/O; journal.c attaches a state to its file.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "hashmap.h"
#include "jrecord.h"

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

/* State of one step id, from its records so far. */
struct jstep {
	char	*id;		/* kept by the journal's ids map */
	enum journal_step_state state;
	unsigned attempt;	/* of the last INTENT, 0 if none */
	char	*request;	/* digest in the last INTENT */
	char	*token;		/* token in the last INTENT, or NULL */
	cJSON	*outputs;	/* from the RESULT "ok", or NULL */
	char	*error;		/* from the last RESULT, or NULL */
};

struct journal {
	char	*path;		/* NULL when made by journal_scan */
	int	 fd;		/* -1 when not attached to a file */
	bool	 broken;	/* a failed append left the file unknown */
	size_t	 size;		/* bytes of good records */
	size_t	 nrec;
	char	*bundle;	/* from OPEN, or NULL */
	char	*version;	/* f2o version from OPEN, or NULL */
	struct jstep *steps;	/* in the order first named */
	size_t	 nsteps;
	size_t	 capsteps;
	struct hashmap ids;	/* step id -> index into steps */
};


/*
 * Parse journal bytes; no I/O and no logging (the fuzz target calls it).
 * Fills *info. On JSCAN_OK and JSCAN_TORN returns the state of the good
 * records (not attached to a file: appends fail); on JSCAN_CORRUPT returns
 * NULL. Free with journal_free().
 */
struct journal	*journal_scan(const void *buf, size_t len,
		    struct journal_scan_info *info);

/* A new empty state, not attached to a file. */
struct journal	*jstate_new(void);
/* Free the state (not the file descriptor). NULL-safe. */
void		 jstate_free(struct journal *);
/* Is rec allowed as record number nrec + 1 of j? 0, or -1 with why. */
int		 jstate_check(const struct journal *j, const struct jrec *rec,
		    char *why);
/* Apply a checked rec to j. */
void		 jstate_commit(struct journal *j, const struct jrec *rec);

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

#endif
