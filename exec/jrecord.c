/*
 * Journal records: the frame (magic, header, CRC-32) and the JSON payload
 * of each record type, encoded and decoded with every bound checked.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "digest.h"
#include "jrecord.h"
#include "jsonutil.h"
#include "plan.h"
#include "xalloc.h"

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

uint32_t
jrecord_get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void
jrecord_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

void
jrecord_reason(char *buf, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL)
		return;
	va_start(ap, fmt);
	/* Truncation of a diagnostic is harmless. */
	(void)vsnprintf(buf, JOURNAL_REASON_MAX, fmt, ap);
	va_end(ap);
}

bool
jrecord_hex_valid(const char *s)
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
		jrecord_reason(why, "\"outputs\" is not an object");
		return false;
	}
	cJSON_ArrayForEach(m, o) {
		if (++n > JOURNAL_MAX_OUTPUTS) {
			jrecord_reason(why, "more than %u outputs",
			    JOURNAL_MAX_OUTPUTS);
			return false;
		}
		if (m->string == NULL || m->string[0] == '\0' ||
		    !token_valid(m->string)) {
			jrecord_reason(why, "bad output name");
			return false;
		}
		if (!cJSON_IsString(m) || m->valuestring == NULL ||
		    !text_valid(m->valuestring, JOURNAL_MAX_STRING)) {
			jrecord_reason(why,
			    "output \"%.64s\" is not a short string",
			    m->string);
			return false;
		}
		if (cJSON_GetObjectItemCaseSensitive(o, m->string) != m) {
			jrecord_reason(why, "output \"%.64s\" appears twice",
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
int
jrecord_decode(struct jrec *rec, unsigned type, const char *payload, size_t len,
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
		jrecord_reason(why, "unknown record type %u", type);
		return -1;
	}
	rec->type = (enum jrec_type)type;
	if (memchr(payload, '\0', len) != NULL) {
		jrecord_reason(why, "payload contains a NUL byte");
		return -1;
	}
	rec->root = json_parse_quiet(payload, len);
	if (rec->root == NULL || !cJSON_IsObject(rec->root)) {
		jrecord_reason(why, "payload is not a JSON object");
		goto out;
	}
	switch (rec->type) {
	case JREC_OPEN:
		if (!only_keys(rec->root, open_keys, &bad))
			break;
		if (opt_str(rec->root, "bundle", &rec->bundle) == -1 ||
		    rec->bundle == NULL || !jrecord_hex_valid(rec->bundle)) {
			jrecord_reason(why,
			    "OPEN: \"bundle\" is not a SHA-256 digest");
			goto out;
		}
		if (opt_str(rec->root, "f2o", &rec->version) == -1 ||
		    rec->version == NULL || !token_valid(rec->version)) {
			jrecord_reason(why, "OPEN: bad \"f2o\" version");
			goto out;
		}
		rc = 0;
		break;
	case JREC_INTENT:
		if (!only_keys(rec->root, intent_keys, &bad))
			break;
		if (opt_str(rec->root, "step", &rec->step) == -1 ||
		    rec->step == NULL || !plan_id_valid(rec->step)) {
			jrecord_reason(why, "INTENT: bad \"step\"");
			goto out;
		}
		if (json_int(rec->root, "attempt", 1, JOURNAL_MAX_ATTEMPT,
		    &attempt) == -1) {
			jrecord_reason(why,
			    "INTENT %s: bad \"attempt\"", rec->step);
			goto out;
		}
		rec->attempt = (unsigned)attempt;
		if (opt_str(rec->root, "request", &rec->request) == -1 ||
		    rec->request == NULL || !jrecord_hex_valid(rec->request)) {
			jrecord_reason(why,
			    "INTENT %s: \"request\" is not a SHA-256 "
			    "digest", rec->step);
			goto out;
		}
		if (opt_str(rec->root, "token", &rec->token) == -1 ||
		    (rec->token != NULL && !token_valid(rec->token))) {
			jrecord_reason(why,
			    "INTENT %s: bad \"token\"", rec->step);
			goto out;
		}
		rc = 0;
		break;
	case JREC_RESULT:
		if (!only_keys(rec->root, result_keys, &bad))
			break;
		if (opt_str(rec->root, "step", &rec->step) == -1 ||
		    rec->step == NULL || !plan_id_valid(rec->step)) {
			jrecord_reason(why, "RESULT: bad \"step\"");
			goto out;
		}
		if (opt_str(rec->root, "status", &status) == -1 ||
		    status == NULL) {
			jrecord_reason(why,
			    "RESULT %s: \"status\" missing", rec->step);
			goto out;
		}
		if (strcmp(status, "ok") == 0)
			rec->status = JOURNAL_OK;
		else if (strcmp(status, "failed") == 0)
			rec->status = JOURNAL_FAILED;
		else {
			jrecord_reason(why,
			    "RESULT %s: bad \"status\"", rec->step);
			goto out;
		}
		rec->outputs = cJSON_GetObjectItemCaseSensitive(rec->root,
		    "outputs");
		if (rec->outputs != NULL && !outputs_valid(rec->outputs, why))
			goto out;
		if (opt_str(rec->root, "error", &rec->error) == -1 ||
		    (rec->error != NULL &&
		    !text_valid(rec->error, JOURNAL_MAX_ERROR))) {
			jrecord_reason(why,
			    "RESULT %s: bad \"error\"", rec->step);
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
			jrecord_reason(why, "NOTE: bad \"text\"");
			goto out;
		}
		rc = 0;
		break;
	default:
		break;
	}
	if (bad != NULL)
		jrecord_reason(why,
		    "unknown or repeated payload member \"%.64s\"",
		    bad);
out:
	if (rc == -1) {
		cJSON_Delete(rec->root);
		rec->root = NULL;
	}
	return rc;
}


/*
 * Frame check of the record at buf[off..len): magic, length bound,
 * completeness, CRC. Returns the record size, or 0 with why filled.
 */
size_t
jrecord_frame_check(const unsigned char *buf, size_t len, size_t off, char *why)
{
	const unsigned char *p = buf + off;
	size_t avail = len - off, plen, total;

	if (avail < JOURNAL_HEADER_SIZE) {
		jrecord_reason(why, "incomplete header (%zu bytes)", avail);
		return 0;
	}
	if (memcmp(p, JOURNAL_MAGIC, 4) != 0) {
		jrecord_reason(why, "bad magic");
		return 0;
	}
	plen = jrecord_get_be32(p + 12);
	if (plen < 2 || plen > JOURNAL_MAX_PAYLOAD) {
		jrecord_reason(why, "payload length %zu out of range", plen);
		return 0;
	}
	total = JOURNAL_HEADER_SIZE + plen + JOURNAL_TRAILER_SIZE;
	if (avail < total) {
		jrecord_reason(why,
		    "incomplete record (%zu of %zu bytes)", avail,
		    total);
		return 0;
	}
	if (journal_crc32(p, JOURNAL_HEADER_SIZE + plen) !=
	    jrecord_get_be32(p + JOURNAL_HEADER_SIZE + plen)) {
		jrecord_reason(why, "CRC mismatch");
		return 0;
	}
	return total;
}

/* Does a CRC-valid record start anywhere in buf(from, len)? */
bool
jrecord_valid_after(const unsigned char *buf, size_t len, size_t from)
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
		if (jrecord_frame_check(buf, len, off, NULL) != 0)
			return true;
		off++;
	}
	return false;
}

size_t
jrecord_encode(unsigned char **out, enum jrec_type type, uint32_t seq,
    const char *payload, size_t plen)
{
	unsigned char *rbuf;
	size_t total = JOURNAL_HEADER_SIZE + plen + JOURNAL_TRAILER_SIZE;

	rbuf = xmalloc(total);
	memcpy(rbuf, JOURNAL_MAGIC, 4);
	rbuf[4] = JOURNAL_FORMAT_VERSION;
	rbuf[5] = (unsigned char)type;
	rbuf[6] = 0;
	rbuf[7] = 0;
	jrecord_put_be32(rbuf + 8, seq);
	jrecord_put_be32(rbuf + 12, (uint32_t)plen);
	memcpy(rbuf + JOURNAL_HEADER_SIZE, payload, plen);
	jrecord_put_be32(rbuf + JOURNAL_HEADER_SIZE + plen,
	    journal_crc32(rbuf, JOURNAL_HEADER_SIZE + plen));
	*out = rbuf;
	return total;
}
