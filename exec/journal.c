#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "digest.h"
#include "fsio.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "plan.h"
#include "xalloc.h"

/* State of one step id, from its records so far. */
struct jstep {
	char	*id;
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
	struct jstep *steps;	/* sorted by id */
	size_t	 nsteps;
	size_t	 capsteps;
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

uint32_t
journal_crc32(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uLong crc = crc32(0L, Z_NULL, 0);

	/* zlib takes uInt lengths; feed it in pieces. */
	while (len > 0) {
		uInt n = len > UINT_MAX ? UINT_MAX : (uInt)len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
reason(char *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason(char *buf, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL)
		return;
	va_start(ap, fmt);
	/* Truncation of a diagnostic is harmless. */
	(void)vsnprintf(buf, JOURNAL_REASON_MAX, fmt, ap);
	va_end(ap);
}

static bool
hex_digest_valid(const char *s)
{
	size_t i;

	for (i = 0; i < DIGEST_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

/* No control bytes, at most max bytes. UTF-8 validity is cJSON's job. */
static bool
text_valid(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return false;
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' &&
		    s[i] != '\n')
			return false;
		if (s[i] == 0x7f)
			return false;
	}
	return true;
}

static bool
token_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= JOURNAL_MAX_TOKEN || (unsigned char)s[i] < 0x20 ||
		    s[i] == 0x7f)
			return false;
	return i > 0;
}

static struct jstep *
step_find(const struct journal *j, const char *id, size_t *pos)
{
	size_t lo = 0, hi = j->nsteps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, j->steps[mid].id);

		if (c == 0)
			return &j->steps[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (pos != NULL)
		*pos = lo;
	return NULL;
}

static struct jstep *
step_add(struct journal *j, const char *id, size_t pos)
{
	struct jstep *s;

	if (j->nsteps == j->capsteps) {
		j->capsteps = j->capsteps == 0 ? 64 : j->capsteps * 2;
		j->steps = xreallocarray(j->steps, j->capsteps,
		    sizeof(*j->steps));
	}
	memmove(&j->steps[pos + 1], &j->steps[pos],
	    (j->nsteps - pos) * sizeof(*j->steps));
	j->nsteps++;
	s = &j->steps[pos];
	memset(s, 0, sizeof(*s));
	s->id = xstrdup(id);
	return s;
}

static void
step_cleanup(struct jstep *s)
{
	free(s->id);
	free(s->request);
	free(s->token);
	cJSON_Delete(s->outputs);
	free(s->error);
}

/* Every member of obj is one of the NULL-terminated keys. */
static bool
only_keys(const cJSON *obj, const char *const *keys, const char **bad)
{
	const cJSON *m;
	size_t i;

	cJSON_ArrayForEach(m, obj) {
		if (m->string != NULL &&
		    cJSON_GetObjectItemCaseSensitive(obj, m->string) != m) {
			*bad = m->string;	/* a duplicate */
			return false;
		}
		for (i = 0; keys[i] != NULL; i++)
			if (m->string != NULL &&
			    strcmp(m->string, keys[i]) == 0)
				break;
		if (keys[i] == NULL) {
			*bad = m->string != NULL ? m->string : "?";
			return false;
		}
	}
	return true;
}

/* Member key must be absent or a string; *out is NULL when absent. */
static int
opt_str(const cJSON *obj, const char *key, const char **out)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (m == NULL)
		return 0;
	if (!cJSON_IsString(m) || m->valuestring == NULL)
		return -1;
	*out = m->valuestring;
	return 0;
}

static bool
outputs_valid(const cJSON *o, char *why)
{
	const cJSON *m;
	size_t n = 0;

	if (!cJSON_IsObject(o)) {
		reason(why, "\"outputs\" is not an object");
		return false;
	}
	cJSON_ArrayForEach(m, o) {
		if (++n > JOURNAL_MAX_OUTPUTS) {
			reason(why, "more than %u outputs",
			    JOURNAL_MAX_OUTPUTS);
			return false;
		}
		if (m->string == NULL || m->string[0] == '\0' ||
		    !token_valid(m->string)) {
			reason(why, "bad output name");
			return false;
		}
		if (!(cJSON_IsNumber(m) && isfinite(m->valuedouble)) &&
		    (!cJSON_IsString(m) || m->valuestring == NULL ||
		    !text_valid(m->valuestring, JOURNAL_MAX_STRING))) {
			reason(why, "output \"%.64s\" is not a short string "
			    "or a number", m->string);
			return false;
		}
		if (cJSON_GetObjectItemCaseSensitive(o, m->string) != m) {
			reason(why, "output \"%.64s\" appears twice",
			    m->string);
			return false;
		}
	}
	return true;
}

/*
 * Decode and check the payload of a record of the given type. On success
 * rec->root owns the tree. Returns 0, or -1 with why filled.
 */
static int
rec_decode(struct jrec *rec, unsigned type, const char *payload, size_t len,
    char *why)
{
	static const char *const open_keys[] = { "bundle", "f2o", NULL };
	static const char *const intent_keys[] = { "step", "attempt",
	    "request", "token", NULL };
	static const char *const result_keys[] = { "step", "status",
	    "outputs", "error", NULL };
	static const char *const note_keys[] = { "text", NULL };
	const char *bad = NULL, *status = NULL;
	long long attempt;
	int rc = -1;

	memset(rec, 0, sizeof(*rec));
	if (type == 0 || type >= JREC__MAX) {
		reason(why, "unknown record type %u", type);
		return -1;
	}
	rec->type = (enum jrec_type)type;
	if (memchr(payload, '\0', len) != NULL) {
		reason(why, "payload contains a NUL byte");
		return -1;
	}
	rec->root = json_parse_quiet(payload, len);
	if (rec->root == NULL || !cJSON_IsObject(rec->root)) {
		reason(why, "payload is not a JSON object");
		goto out;
	}
	switch (rec->type) {
	case JREC_OPEN:
		if (!only_keys(rec->root, open_keys, &bad))
			break;
		if (opt_str(rec->root, "bundle", &rec->bundle) == -1 ||
		    rec->bundle == NULL || !hex_digest_valid(rec->bundle)) {
			reason(why, "OPEN: \"bundle\" is not a SHA-256 digest");
			goto out;
		}
		if (opt_str(rec->root, "f2o", &rec->version) == -1 ||
		    rec->version == NULL || !token_valid(rec->version)) {
			reason(why, "OPEN: bad \"f2o\" version");
			goto out;
		}
		rc = 0;
		break;
	case JREC_INTENT:
		if (!only_keys(rec->root, intent_keys, &bad))
			break;
		if (opt_str(rec->root, "step", &rec->step) == -1 ||
		    rec->step == NULL || !plan_id_valid(rec->step)) {
			reason(why, "INTENT: bad \"step\"");
			goto out;
		}
		if (json_int(rec->root, "attempt", 1, JOURNAL_MAX_ATTEMPT,
		    &attempt) == -1) {
			reason(why, "INTENT %s: bad \"attempt\"", rec->step);
			goto out;
		}
		rec->attempt = (unsigned)attempt;
		if (opt_str(rec->root, "request", &rec->request) == -1 ||
		    rec->request == NULL || !hex_digest_valid(rec->request)) {
			reason(why, "INTENT %s: \"request\" is not a SHA-256 "
			    "digest", rec->step);
			goto out;
		}
		if (opt_str(rec->root, "token", &rec->token) == -1 ||
		    (rec->token != NULL && !token_valid(rec->token))) {
			reason(why, "INTENT %s: bad \"token\"", rec->step);
			goto out;
		}
		rc = 0;
		break;
	case JREC_RESULT:
		if (!only_keys(rec->root, result_keys, &bad))
			break;
		if (opt_str(rec->root, "step", &rec->step) == -1 ||
		    rec->step == NULL || !plan_id_valid(rec->step)) {
			reason(why, "RESULT: bad \"step\"");
			goto out;
		}
		if (opt_str(rec->root, "status", &status) == -1 ||
		    status == NULL) {
			reason(why, "RESULT %s: \"status\" missing", rec->step);
			goto out;
		}
		if (strcmp(status, "ok") == 0)
			rec->status = JOURNAL_OK;
		else if (strcmp(status, "failed") == 0)
			rec->status = JOURNAL_FAILED;
		else {
			reason(why, "RESULT %s: bad \"status\"", rec->step);
			goto out;
		}
		rec->outputs = cJSON_GetObjectItemCaseSensitive(rec->root,
		    "outputs");
		if (rec->outputs != NULL && !outputs_valid(rec->outputs, why))
			goto out;
		if (opt_str(rec->root, "error", &rec->error) == -1 ||
		    (rec->error != NULL &&
		    !text_valid(rec->error, JOURNAL_MAX_ERROR))) {
			reason(why, "RESULT %s: bad \"error\"", rec->step);
			goto out;
		}
		rc = 0;
		break;
	case JREC_NOTE:
		if (!only_keys(rec->root, note_keys, &bad))
			break;
		if (opt_str(rec->root, "text", &rec->text) == -1 ||
		    rec->text == NULL ||
		    !text_valid(rec->text, JOURNAL_MAX_STRING)) {
			reason(why, "NOTE: bad \"text\"");
			goto out;
		}
		rc = 0;
		break;
	default:
		break;
	}
	if (bad != NULL)
		reason(why, "unknown or repeated payload member \"%.64s\"",
		    bad);
out:
	if (rc == -1) {
		cJSON_Delete(rec->root);
		rec->root = NULL;
	}
	return rc;
}

/* Is rec allowed as record number nrec + 1 of j? */
static int
rec_check(const struct journal *j, const struct jrec *rec, char *why)
{
	const struct jstep *s = NULL;

	if (j->nrec == 0 && rec->type != JREC_OPEN) {
		reason(why, "first record is not OPEN");
		return -1;
	}
	if (rec->step != NULL)
		s = step_find(j, rec->step, NULL);
	switch (rec->type) {
	case JREC_OPEN:
		if (j->nrec != 0) {
			reason(why, "OPEN record after the first record");
			return -1;
		}
		break;
	case JREC_INTENT:
		if (s == NULL && j->nsteps >= JOURNAL_MAX_STEPS) {
			reason(why, "more than %u steps", JOURNAL_MAX_STEPS);
			return -1;
		}
		if (s != NULL && s->state == JSTEP_DONE) {
			reason(why, "INTENT for step %s, which is done",
			    rec->step);
			return -1;
		}
		if (s != NULL && s->state == JSTEP_INDOUBT) {
			reason(why, "INTENT for step %s, which is in doubt",
			    rec->step);
			return -1;
		}
		if (rec->attempt != (s == NULL ? 0 : s->attempt) + 1) {
			reason(why, "INTENT for step %s: attempt %u, expected "
			    "%u", rec->step, rec->attempt,
			    (s == NULL ? 0 : s->attempt) + 1);
			return -1;
		}
		break;
	case JREC_RESULT:
		if (s == NULL || s->state != JSTEP_INDOUBT) {
			reason(why, "RESULT for step %s without an open INTENT",
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
static void
rec_commit(struct journal *j, const struct jrec *rec)
{
	struct jstep *s = NULL;
	size_t pos = 0;

	j->nrec++;
	if (rec->step != NULL) {
		s = step_find(j, rec->step, &pos);
		if (s == NULL)
			s = step_add(j, rec->step, pos);
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

static struct journal *
journal_new(void)
{
	struct journal *j = xcalloc(1, sizeof(*j));

	j->fd = -1;
	return j;
}

/*
 * Frame check of the record at buf[off..len): magic, length bound,
 * completeness, CRC. Returns the record size, or 0 with why filled.
 */
static size_t
frame_check(const unsigned char *buf, size_t len, size_t off, char *why)
{
	const unsigned char *p = buf + off;
	size_t avail = len - off, plen, total;

	if (avail < JOURNAL_HEADER_SIZE) {
		reason(why, "incomplete header (%zu bytes)", avail);
		return 0;
	}
	if (memcmp(p, JOURNAL_MAGIC, 4) != 0) {
		reason(why, "bad magic");
		return 0;
	}
	plen = get_be32(p + 12);
	if (plen < 2 || plen > JOURNAL_MAX_PAYLOAD) {
		reason(why, "payload length %zu out of range", plen);
		return 0;
	}
	total = JOURNAL_HEADER_SIZE + plen + JOURNAL_TRAILER_SIZE;
	if (avail < total) {
		reason(why, "incomplete record (%zu of %zu bytes)", avail,
		    total);
		return 0;
	}
	if (journal_crc32(p, JOURNAL_HEADER_SIZE + plen) !=
	    get_be32(p + JOURNAL_HEADER_SIZE + plen)) {
		reason(why, "CRC mismatch");
		return 0;
	}
	return total;
}

/* Does a CRC-valid record start anywhere in buf(from, len)? */
static bool
valid_frame_after(const unsigned char *buf, size_t len, size_t from)
{
	const unsigned char *p;
	size_t off = from + 1;

	while (off + JOURNAL_HEADER_SIZE <= len) {
		p = memchr(buf + off, JOURNAL_MAGIC[0], len - off);
		if (p == NULL)
			return false;
		off = (size_t)(p - buf);
		if (off + JOURNAL_HEADER_SIZE > len)
			return false;
		if (frame_check(buf, len, off, NULL) != 0)
			return true;
		off++;
	}
	return false;
}

struct journal *
journal_scan(const void *vbuf, size_t len, struct journal_scan_info *info)
{
	const unsigned char *buf = vbuf, *p;
	struct journal *j = journal_new();
	struct jrec rec;
	size_t off = 0, size;
	unsigned version, type, flags;
	uint32_t seq;

	memset(info, 0, sizeof(*info));
	info->status = JSCAN_OK;
	if (len > JOURNAL_MAX_SIZE) {
		info->bad_record = 1;
		reason(info->reason, "journal larger than %lu bytes",
		    JOURNAL_MAX_SIZE);
		goto corrupt;
	}
	while (off < len) {
		info->bad_offset = off;
		info->bad_record = j->nrec + 1;
		if (j->nrec >= JOURNAL_MAX_RECORDS) {
			reason(info->reason, "more than %u records",
			    JOURNAL_MAX_RECORDS);
			goto corrupt;
		}
		size = frame_check(buf, len, off, info->reason);
		if (size == 0) {
			/* The redis rule: damage at the very end is torn. */
			if (valid_frame_after(buf, len, off))
				goto corrupt;
			info->status = JSCAN_TORN;
			break;
		}
		/* From here the bytes are what we wrote: never torn. */
		p = buf + off;
		version = p[4];
		type = p[5];
		flags = (unsigned)p[6] << 8 | p[7];
		seq = get_be32(p + 8);
		if (version != JOURNAL_FORMAT_VERSION) {
			reason(info->reason, "format version %u, this f2o "
			    "reads version %u", version,
			    JOURNAL_FORMAT_VERSION);
			goto corrupt;
		}
		if (flags != 0) {
			reason(info->reason, "unknown flags 0x%04x", flags);
			goto corrupt;
		}
		if (seq != j->nrec + 1) {
			reason(info->reason, "sequence number %u, expected "
			    "%zu", seq, j->nrec + 1);
			goto corrupt;
		}
		if (rec_decode(&rec, type, (const char *)p +
		    JOURNAL_HEADER_SIZE, size - JOURNAL_HEADER_SIZE -
		    JOURNAL_TRAILER_SIZE, info->reason) == -1)
			goto corrupt;
		if (rec_check(j, &rec, info->reason) == -1) {
			cJSON_Delete(rec.root);
			goto corrupt;
		}
		rec_commit(j, &rec);
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
	journal_free(j);
	return NULL;
}

static int
write_all_at(int fd, const unsigned char *buf, size_t len, size_t off,
    const char *path)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, buf, len, (off_t)off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: write at offset %zu", path, off);
			return -1;
		}
		if (n == 0) {
			log_errx("%s: write at offset %zu wrote nothing",
			    path, off);
			return -1;
		}
		buf += n;
		off += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Write one record and fsync; then apply it to the state. The payload is
 * decoded and checked exactly as journal_scan will read it back.
 */
static int
append(struct journal *j, enum jrec_type type, cJSON *payload)
{
	unsigned char *rbuf = NULL;
	char *text = NULL, why[JOURNAL_REASON_MAX] = "";
	struct jrec rec;
	size_t plen, total;
	int rc = -1;

	memset(&rec, 0, sizeof(rec));
	if (j->fd == -1) {
		log_errx("journal: append to a journal that has no file");
		return -1;
	}
	if (j->broken) {
		log_errx("%s: an earlier append failed; the journal takes "
		    "no more records until f2o-exec is restarted", j->path);
		return -1;
	}
	if (j->nrec >= JOURNAL_MAX_RECORDS) {
		log_errx("%s: journal is full (%u records)", j->path,
		    JOURNAL_MAX_RECORDS);
		return -1;
	}
	text = cJSON_PrintUnformatted(payload);
	if (text == NULL)
		abort();	/* cJSON out of memory, as xmalloc */
	plen = strlen(text);
	if (plen > JOURNAL_MAX_PAYLOAD) {
		log_errx("%s: record of %zu bytes is larger than %u", j->path,
		    plen, JOURNAL_MAX_PAYLOAD);
		goto out;
	}
	if (rec_decode(&rec, type, text, plen, why) == -1 ||
	    rec_check(j, &rec, why) == -1) {
		log_errx("%s: record %zu: refusing to append: %s", j->path,
		    j->nrec + 1, why);
		goto out;
	}
	total = JOURNAL_HEADER_SIZE + plen + JOURNAL_TRAILER_SIZE;
	if (j->size + total > JOURNAL_MAX_SIZE) {
		log_errx("%s: journal would grow past %lu bytes", j->path,
		    JOURNAL_MAX_SIZE);
		goto out;
	}
	rbuf = xmalloc(total);
	memcpy(rbuf, JOURNAL_MAGIC, 4);
	rbuf[4] = JOURNAL_FORMAT_VERSION;
	rbuf[5] = (unsigned char)type;
	rbuf[6] = 0;
	rbuf[7] = 0;
	put_be32(rbuf + 8, (uint32_t)(j->nrec + 1));
	put_be32(rbuf + 12, (uint32_t)plen);
	memcpy(rbuf + JOURNAL_HEADER_SIZE, text, plen);
	put_be32(rbuf + JOURNAL_HEADER_SIZE + plen,
	    journal_crc32(rbuf, JOURNAL_HEADER_SIZE + plen));

	if (write_all_at(j->fd, rbuf, total, j->size, j->path) == -1) {
		/* redis: undo a short write so the file ends on a record. */
		if (ftruncate(j->fd, (off_t)j->size) == -1) {
			log_err("%s: truncate to %zu after a failed write",
			    j->path, j->size);
			j->broken = true;
		}
		goto out;
	}
	if (fsync(j->fd) == -1) {
		log_err("%s: fsync of record %zu", j->path, j->nrec + 1);
		j->broken = true;
		goto out;
	}
	rec_commit(j, &rec);
	j->size += total;
	rc = 0;
out:
	cJSON_Delete(rec.root);
	cJSON_free(text);
	free(rbuf);
	return rc;
}

static cJSON *
obj_new(void)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		abort();	/* cJSON out of memory, as xmalloc */
	return o;
}

/* A copy of s cut to at most max bytes, not inside a UTF-8 sequence. */
static char *
cut_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return xstrdup(s);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return xstrndup(s, n);
}

/* Control bytes other than tab and newline become '?'. */
static void
clean_text(char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') ||
		    *s == 0x7f)
			*s = '?';
}

int
journal_append_intent(struct journal *j, const char *step_id,
    const char *request_digest, const char *token)
{
	const struct jstep *s;
	cJSON *o;
	int rc;

	s = step_find(j, step_id, NULL);
	o = obj_new();
	json_add_str(o, "step", step_id);
	json_add_num(o, "attempt", (double)((s != NULL ? s->attempt : 0) + 1));
	json_add_str(o, "request", request_digest);
	if (token != NULL)
		json_add_str(o, "token", token);
	rc = append(j, JREC_INTENT, o);
	cJSON_Delete(o);
	return rc;
}

int
journal_append_result(struct journal *j, const char *step_id,
    enum journal_status status, const cJSON *outputs, const char *error)
{
	cJSON *o, *copy;
	char *msg;
	int rc;

	o = obj_new();
	json_add_str(o, "step", step_id);
	json_add_str(o, "status", status == JOURNAL_OK ? "ok" : "failed");
	if (outputs != NULL) {
		copy = cJSON_Duplicate(outputs, 1);
		if (copy == NULL)
			abort();	/* cJSON out of memory */
		cJSON_AddItemToObject(o, "outputs", copy);
	}
	if (error != NULL) {
		msg = cut_text(error, JOURNAL_MAX_ERROR);
		clean_text(msg);
		json_add_str(o, "error", msg);
		free(msg);
	}
	rc = append(j, JREC_RESULT, o);
	cJSON_Delete(o);
	return rc;
}

int
journal_append_note(struct journal *j, const char *text)
{
	cJSON *o;
	char *msg;
	int rc;

	msg = cut_text(text, JOURNAL_MAX_STRING);
	clean_text(msg);
	o = obj_new();
	json_add_str(o, "text", msg);
	free(msg);
	rc = append(j, JREC_NOTE, o);
	cJSON_Delete(o);
	return rc;
}

static int
read_all(int fd, unsigned char *buf, size_t len, const char *path)
{
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = pread(fd, buf + off, len - off, (off_t)off);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_err("%s: read at offset %zu", path, off);
			return -1;
		}
		if (n == 0) {
			log_errx("%s: file shrank while being read", path);
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* Exclusive flock, plus a POSIX lock that only serves to name the pid. */
static int
lock_file(int fd, const char *path)
{
	struct flock fl;

	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			log_err("%s: flock", path);
			return -1;
		}
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
		    fl.l_pid > 0)
			log_errx("%s: journal is in use by another f2o-exec "
			    "(pid %ld)", path, (long)fl.l_pid);
		else
			log_errx("%s: journal is in use by another f2o-exec",
			    path);
		return -1;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	/* Best effort: the flock above is what excludes. */
	(void)fcntl(fd, F_SETLK, &fl);
	return 0;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int
journal_open(struct journal **out, const char *path,
    const char *bundle_digest)
{
	struct journal_scan_info info;
	struct journal *j = NULL;
	struct stat st;
	unsigned char *buf = NULL;
	char *dir = NULL;
	bool created = false, locked = false;
	cJSON *o = NULL;
	int fd = -1, rc = -1;

	*out = NULL;
	if (!hex_digest_valid(bundle_digest)) {
		log_errx("%s: bundle digest is not 64 hex digits", path);
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd != -1)
		created = true;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		log_err("%s", path);
		goto out;
	}
	if (lock_file(fd, path) == -1)
		goto out;
	locked = true;
	if (fstat(fd, &st) == -1) {
		log_err("%s: fstat", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_errx("%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > JOURNAL_MAX_SIZE) {
		log_errx("%s: journal is %lld bytes, more than the limit of "
		    "%lu", path, (long long)st.st_size, JOURNAL_MAX_SIZE);
		goto out;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	if (read_all(fd, buf, (size_t)st.st_size, path) == -1)
		goto out;
	j = journal_scan(buf, (size_t)st.st_size, &info);
	if (info.status == JSCAN_CORRUPT) {
		log_errx("%s: record %zu at offset %zu: %s; the journal is "
		    "damaged (not a torn write at its end) and was left "
		    "unchanged; %zu good records precede it", path,
		    info.bad_record, info.bad_offset, info.reason,
		    info.nrecords);
		goto out;
	}
	/* Checked first: a journal of another bundle is left untouched. */
	if (j->bundle != NULL && strcmp(j->bundle, bundle_digest) != 0) {
		log_errx("%s: journal belongs to bundle %s, not to this "
		    "bundle (%s); use another journal path", path, j->bundle,
		    bundle_digest);
		goto out;
	}
	if (info.status == JSCAN_TORN) {
		log_warnx("%s: record %zu at offset %zu: %s: torn write at "
		    "the end of the journal; truncating it from %lld to %zu "
		    "bytes",
		    path, info.bad_record, info.bad_offset, info.reason,
		    (long long)st.st_size, info.good_len);
		if (ftruncate(fd, (off_t)info.good_len) == -1) {
			log_err("%s: truncate to %zu", path, info.good_len);
			goto out;
		}
		if (fsync(fd) == -1) {
			log_err("%s: fsync", path);
			goto out;
		}
	}
	j->fd = fd;
	fd = -1;
	j->path = xstrdup(path);
	if (j->nrec == 0) {
		o = obj_new();
		json_add_str(o, "bundle", bundle_digest);
		json_add_str(o, "f2o", F2O_VERSION);
		if (append(j, JREC_OPEN, o) == -1)
			goto out;
	}
	if (created) {
		/* The new name must survive a crash too. */
		dir = dir_of(path);
		if (fsio_fsync_dir(dir) == -1)
			goto out;
	}
	*out = j;
	j = NULL;
	rc = 0;
out:
	/* A file we created holds nothing worth keeping yet. */
	if (rc == -1 && created && locked)
		(void)unlink(path);
	cJSON_Delete(o);
	journal_free(j);
	if (fd != -1)
		close(fd);
	free(buf);
	free(dir);
	return rc;
}

static const struct jstep *
step_get(const struct journal *j, const char *id)
{
	if (j == NULL || id == NULL)
		return NULL;
	return step_find(j, id, NULL);
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

static int
release(struct journal *j, bool quiet)
{
	size_t i;
	int rc = 0;

	if (j == NULL)
		return 0;
	if (j->fd != -1 && close(j->fd) == -1) {
		if (!quiet)
			log_err("%s: close", j->path);
		rc = -1;
	}
	for (i = 0; i < j->nsteps; i++)
		step_cleanup(&j->steps[i]);
	free(j->steps);
	free(j->bundle);
	free(j->version);
	free(j->path);
	free(j);
	return rc;
}

int
journal_close(struct journal *j)
{
	return release(j, false);
}

void
journal_free(struct journal *j)
{
	(void)release(j, true);
}
