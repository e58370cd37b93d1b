/*
 * Journal state: replaying records into the state of each step (pending,
 * in doubt, done, failed), the state rules, scanning journal bytes.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "jstate.h"
#include "plan.h"
#include "xalloc.h"

_Static_assert(JOURNAL_MAX_STEPS >= PLAN_MAX_STEPS,
    "the journal holds every step a bundle can have");
_Static_assert(JOURNAL_MAX_RECORDS >= 2ULL * JOURNAL_MAX_STEPS + 1,
    "an INTENT and a RESULT for each step, after the OPEN");

static struct jstep *
step_find(const struct journal *j, const char *id)
{
	size_t i;

	return hashmap_get(&j->ids, id, &i) ? &j->steps[i] : NULL;
}

/* Appended and indexed: millions of steps replay in linear time. */
static struct jstep *
step_add(struct journal *j, const char *id)
{
	struct jstep *s;

	if (j->nsteps == j->capsteps) {
		j->capsteps = j->capsteps == 0 ? 64 : j->capsteps * 2;
		j->steps = xreallocarray(j->steps, j->capsteps,
		    sizeof(*j->steps));
	}
	s = &j->steps[j->nsteps];
	memset(s, 0, sizeof(*s));
	s->id = hashmap_intern(&j->ids, id, j->nsteps);
	j->nsteps++;
	return s;
}

static void
step_cleanup(struct jstep *s)
{
	free(s->request);
	free(s->token);
	cJSON_Delete(s->outputs);
	free(s->error);
}


int
jstate_check(const struct journal *j, const struct jrec *rec, char *why)
{
	const struct jstep *s = NULL;

	if (j->nrec == 0 && rec->type != JREC_OPEN) {
		jrecord_reason(why, "first record is not OPEN");
		return -1;
	}
	if (rec->step != NULL)
		s = step_find(j, rec->step);
	switch (rec->type) {
	case JREC_OPEN:
		if (j->nrec != 0) {
			jrecord_reason(why,
			    "OPEN record after the first record");
			return -1;
		}
		break;
	case JREC_INTENT:
		if (s == NULL && j->nsteps >= JOURNAL_MAX_STEPS) {
			jrecord_reason(why,
			    "more than %u steps", JOURNAL_MAX_STEPS);
			return -1;
		}
		if (s != NULL && s->state == JSTEP_DONE) {
			jrecord_reason(why, "INTENT for step %s, which is done",
			    rec->step);
			return -1;
		}
		if (s != NULL && s->state == JSTEP_INDOUBT) {
			jrecord_reason(why,
			    "INTENT for step %s, which is in doubt",
			    rec->step);
			return -1;
		}
		if (rec->attempt != (s == NULL ? 0 : s->attempt) + 1) {
			jrecord_reason(why,
			    "INTENT for step %s: attempt %u, expected "
			    "%u", rec->step, rec->attempt,
			    (s == NULL ? 0 : s->attempt) + 1);
			return -1;
		}
		break;
	case JREC_RESULT:
		if (s == NULL || s->state != JSTEP_INDOUBT) {
			jrecord_reason(why,
			    "RESULT for step %s without an open INTENT",
			    rec->step);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Apply a decoded and checked record; takes nothing from rec. */
void
jstate_commit(struct journal *j, const struct jrec *rec)
{
	struct jstep *s = NULL;

	j->nrec++;
	if (rec->step != NULL) {
		s = step_find(j, rec->step);
		if (s == NULL)
			s = step_add(j, rec->step);
	}
	/* rec_decode guarantees a step for INTENT and RESULT. */
	assert(s != NULL || (rec->type != JREC_INTENT &&
	    rec->type != JREC_RESULT));
	switch (rec->type) {
	case JREC_OPEN:
		j->bundle = xstrdup(rec->bundle);
		j->version = xstrdup(rec->version);
		break;
	case JREC_INTENT:
		s->state = JSTEP_INDOUBT;
		s->attempt = rec->attempt;
		free(s->request);
		s->request = xstrdup(rec->request);
		free(s->token);
		s->token = rec->token != NULL ? xstrdup(rec->token) : NULL;
		break;
	case JREC_RESULT:
		s->state = rec->status == JOURNAL_OK ? JSTEP_DONE :
		    JSTEP_FAILED;
		cJSON_Delete(s->outputs);
		s->outputs = NULL;
		if (rec->status == JOURNAL_OK)
			s->outputs = rec->outputs != NULL ?
			    cJSON_Duplicate(rec->outputs, 1) :
			    cJSON_CreateObject();
		if (s->outputs == NULL && rec->status == JOURNAL_OK)
			abort();	/* cJSON out of memory, as xmalloc */
		free(s->error);
		s->error = rec->error != NULL ? xstrdup(rec->error) : NULL;
		break;
	default:
		break;
	}
}

struct journal *
jstate_new(void)
{
	struct journal *j = xcalloc(1, sizeof(*j));

	j->fd = -1;
	hashmap_init(&j->ids);
	return j;
}

struct journal *
journal_scan(const void *vbuf, size_t len, struct journal_scan_info *info)
{
	const unsigned char *buf = vbuf, *p;
	struct journal *j = jstate_new();
	struct jrec rec;
	size_t off = 0, size;
	unsigned version, type, flags;
	uint32_t seq;

	memset(info, 0, sizeof(*info));
	info->status = JSCAN_OK;
	if (len > JOURNAL_MAX_SIZE) {
		info->bad_record = 1;
		jrecord_reason(info->reason, "journal larger than %lu bytes",
		    JOURNAL_MAX_SIZE);
		goto corrupt;
	}
	while (off < len) {
		info->bad_offset = off;
		info->bad_record = j->nrec + 1;
		if (j->nrec >= JOURNAL_MAX_RECORDS) {
			jrecord_reason(info->reason, "more than %u records",
			    JOURNAL_MAX_RECORDS);
			goto corrupt;
		}
		size = jrecord_frame_check(buf, len, off, info->reason);
		if (size == 0) {
			/* The redis rule: damage at the very end is torn. */
			if (jrecord_valid_after(buf, len, off))
				goto corrupt;
			info->status = JSCAN_TORN;
			break;
		}
		/* From here the bytes are what we wrote: never torn. */
		p = buf + off;
		version = p[4];
		type = p[5];
		flags = (unsigned)p[6] << 8 | p[7];
		seq = jrecord_get_be32(p + 8);
		if (version != JOURNAL_FORMAT_VERSION) {
			jrecord_reason(info->reason,
			    "format version %u, this f2o "
			    "reads version %u", version,
			    JOURNAL_FORMAT_VERSION);
			goto corrupt;
		}
		if (flags != 0) {
			jrecord_reason(info->reason,
			    "unknown flags 0x%04x", flags);
			goto corrupt;
		}
		if (seq != j->nrec + 1) {
			jrecord_reason(info->reason,
			    "sequence number %u, expected "
			    "%zu", seq, j->nrec + 1);
			goto corrupt;
		}
		if (jrecord_decode(&rec, type, (const char *)p +
		    JOURNAL_HEADER_SIZE, size - JOURNAL_HEADER_SIZE -
		    JOURNAL_TRAILER_SIZE, info->reason) == -1)
			goto corrupt;
		if (jstate_check(j, &rec, info->reason) == -1) {
			cJSON_Delete(rec.root);
			goto corrupt;
		}
		jstate_commit(j, &rec);
		cJSON_Delete(rec.root);
		off += size;
	}
	if (info->status == JSCAN_OK) {
		info->bad_offset = 0;
		info->bad_record = 0;
	}
	info->good_len = off;
	info->nrecords = j->nrec;
	j->size = off;
	return j;
corrupt:
	info->status = JSCAN_CORRUPT;
	info->good_len = off;
	info->nrecords = j->nrec;
	jstate_free(j);
	return NULL;
}

static const struct jstep *
step_get(const struct journal *j, const char *id)
{
	if (j == NULL || id == NULL)
		return NULL;
	return step_find(j, id);
}

enum journal_step_state
journal_state(const struct journal *j, const char *step_id)
{
	const struct jstep *s = step_get(j, step_id);

	return s != NULL ? s->state : JSTEP_PENDING;
}

const cJSON *
journal_outputs(const struct journal *j, const char *step_id)
{
	const struct jstep *s = step_get(j, step_id);

	return s != NULL && s->state == JSTEP_DONE ? s->outputs : NULL;
}

const char *
journal_token(const struct journal *j, const char *step_id)
{
	const struct jstep *s = step_get(j, step_id);

	return s != NULL ? s->token : NULL;
}

const char *
journal_request(const struct journal *j, const char *step_id)
{
	const struct jstep *s = step_get(j, step_id);

	return s != NULL ? s->request : NULL;
}

const char *
journal_error(const struct journal *j, const char *step_id)
{
	const struct jstep *s = step_get(j, step_id);

	return s != NULL && s->state == JSTEP_FAILED ? s->error : NULL;
}

unsigned
journal_attempts(const struct journal *j, const char *step_id)
{
	const struct jstep *s = step_get(j, step_id);

	return s != NULL ? s->attempt : 0;
}

const char *
journal_bundle(const struct journal *j)
{
	return j->bundle;
}

size_t
journal_nrecords(const struct journal *j)
{
	return j->nrec;
}

size_t
journal_size(const struct journal *j)
{
	return j->size;
}

void
jstate_free(struct journal *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nsteps; i++)
		step_cleanup(&j->steps[i]);
	free(j->steps);
	hashmap_cleanup(&j->ids);
	free(j->bundle);
	free(j->version);
	free(j->path);
	free(j);
}
