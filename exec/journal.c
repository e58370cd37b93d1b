/*
 * The journal file: create, lock, read and recover (torn tail), append a
 * record durably (write, fsync, undo), close. See journal.h.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "journal.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

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
	if (jrecord_decode(&rec, type, text, plen, why) == -1 ||
	    jstate_check(j, &rec, why) == -1) {
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
	(void)jrecord_encode(&rbuf, type, (uint32_t)(j->nrec + 1), text,
	    plen);

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
	jstate_commit(j, &rec);
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
	cJSON *o;
	int rc;

	o = obj_new();
	json_add_str(o, "step", step_id);
	json_add_num(o, "attempt", (double)(journal_attempts(j, step_id) + 1));
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
	if (!jrecord_hex_valid(bundle_digest)) {
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

static int
release(struct journal *j, bool quiet)
{
	int rc = 0;

	if (j == NULL)
		return 0;
	if (j->fd != -1 && close(j->fd) == -1) {
		if (!quiet)
			log_err("%s: close", j->path);
		rc = -1;
	}
	jstate_free(j);
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
