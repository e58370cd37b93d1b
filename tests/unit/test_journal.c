/*
 * The checkpoint journal: CRC, round trip, resume, torn-tail recovery,
 * refusal of corruption, bundle mismatch and locking. Fixtures come from
 * fixtures/journals/ (run from the repository root; regenerate them with
 * tests/tools/make_journal_fixtures.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "fsio.h"
#include "journal.h"
#include "jstate.h"
#include "log.h"
#include "xalloc.h"

#define FIXDIR	"fixtures/journals/"
/* sha256("f2o journal fixture bundle\n"), as in make_journal_fixtures.py */
#define BUNDLE	"e086490d2f493bdbfec2238fb3b2aafe" \
		"269ee7d0ee180db933c300c5bfda925c"
#define OTHER	"11111111111111111111111111111111" \
		"11111111111111111111111111111111"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/f2o-test-journal-XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return fsio_remove_tree(tmpdir) == -1 ? -1 : 0;
}

static char *
tmppath(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static char *
slurp(const char *path, size_t *len)
{
	char *buf = NULL;

	assert_int_equal(fsio_read_bounded(&buf, len, path, 1 << 24), 0);
	return buf;
}

/* Copy a fixture into the temp dir; returns the new path. */
static char *
copy_fixture(const char *name)
{
	char *src = xasprintf(FIXDIR "%s", name), *dst = tmppath(name), *buf;
	size_t len;

	buf = slurp(src, &len);
	assert_int_equal(fsio_write_atomic_path(dst, buf, len), 0);
	free(buf);
	free(src);
	return dst;
}

static off_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* stderr capture, to check what was logged. */
static int saved_stderr = -1;
static char *capfile;

static void
capture_start(void)
{
	int fd;

	capfile = tmppath("stderr.txt");
	fflush(stderr);
	saved_stderr = dup(2);
	assert_true(saved_stderr != -1);
	fd = open(capfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd != -1);
	assert_true(dup2(fd, 2) != -1);
	close(fd);
}

static char *
capture_end(void)
{
	char *buf;
	size_t len;

	fflush(stderr);
	assert_true(dup2(saved_stderr, 2) != -1);
	close(saved_stderr);
	saved_stderr = -1;
	buf = slurp(capfile, &len);
	free(capfile);
	capfile = NULL;
	fputs(buf, stderr);	/* still visible in the test log */
	return buf;
}

static void
test_journal_crc_check_value(void **state)
{
	(void)state;
	assert_int_equal(journal_crc32("123456789", 9), 0xCBF43926U);
	assert_int_equal(journal_crc32("", 0), 0);
}

static void
digest_of(char out[65], const char *s)
{
	/* Same digests as the fixture generator: sha256 of the step id. */
	assert_int_equal(digest_sha256_hex(out, s, strlen(s)), 0);
}

/* Write the records of valid.jrn through the API. */
static void
write_valid_run(struct journal *j)
{
	char d[65];
	cJSON *o;

	digest_of(d, "sg/instances");
	assert_int_equal(journal_append_intent(j, "sg/instances", d,
	    "f2o-sg-instances"), 0);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "GroupId", "sg-0123456789abcdef0");
	assert_int_equal(journal_append_result(j, "sg/instances", JOURNAL_OK,
	    o, NULL), 0);
	cJSON_Delete(o);

	digest_of(d, "td/web-3");
	assert_int_equal(journal_append_intent(j, "td/web-3", d, NULL), 0);
	assert_int_equal(journal_append_result(j, "td/web-3", JOURNAL_FAILED,
	    NULL, "ThrottlingException: Rate exceeded"), 0);
	assert_int_equal(journal_append_intent(j, "td/web-3", d, NULL), 0);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "taskDefinitionArn",
	    "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3");
	assert_int_equal(journal_append_result(j, "td/web-3", JOURNAL_OK, o,
	    NULL), 0);
	cJSON_Delete(o);
	assert_int_equal(journal_append_note(j, "stopped by SIGTERM"), 0);

	digest_of(d, "svc/sfm-web");
	assert_int_equal(journal_append_intent(j, "svc/sfm-web", d,
	    "f2o-svc-sfm-web-1"), 0);
}

static void
check_valid_state(const struct journal *j)
{
	const cJSON *o;

	assert_int_equal(journal_nrecords(j), 9);
	assert_string_equal(journal_bundle(j), BUNDLE);
	assert_int_equal(journal_state(j, "sg/instances"), JSTEP_DONE);
	o = journal_outputs(j, "sg/instances");
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "GroupId")->valuestring,
	    "sg-0123456789abcdef0");
	assert_string_equal(journal_token(j, "sg/instances"),
	    "f2o-sg-instances");
	assert_int_equal(journal_state(j, "td/web-3"), JSTEP_DONE);
	assert_int_equal(journal_attempts(j, "td/web-3"), 2);
	assert_null(journal_error(j, "td/web-3"));
	assert_int_equal(journal_state(j, "svc/sfm-web"), JSTEP_INDOUBT);
	assert_null(journal_outputs(j, "svc/sfm-web"));
	assert_string_equal(journal_token(j, "svc/sfm-web"),
	    "f2o-svc-sfm-web-1");
	assert_int_equal(journal_state(j, "vng/arm64"), JSTEP_PENDING);
	assert_int_equal(journal_attempts(j, "vng/arm64"), 0);
	assert_null(journal_token(j, "vng/arm64"));
}

static void
test_journal_round_trip(void **state)
{
	struct journal *j = NULL;
	char *path = tmppath("run.jrn"), *mine, *theirs;
	size_t mylen, theirlen, openlen;

	(void)state;
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	assert_int_equal(journal_nrecords(j), 1);
	openlen = journal_size(j);
	write_valid_run(j);
	check_valid_state(j);
	assert_int_equal(journal_close(j), 0);

	j = NULL;
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	check_valid_state(j);
	assert_int_equal((off_t)journal_size(j), file_size(path));
	journal_free(j);

	/*
	 * Records 2.. are byte-identical to the fixture written by the
	 * Python generator (record 1 holds the f2o version).
	 */
	mine = slurp(path, &mylen);
	theirs = slurp(FIXDIR "valid.jrn", &theirlen);
	assert_int_equal(mylen, theirlen);
	assert_memory_equal(mine + openlen, theirs + openlen, mylen - openlen);
	free(mine);
	free(theirs);
	free(path);
}

static void
test_journal_resume_indoubt(void **state)
{
	struct journal *j = NULL;
	char *path = tmppath("resume.jrn"), d[65];
	cJSON *o;

	(void)state;
	digest_of(d, "ocean/cluster");
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	assert_int_equal(journal_append_intent(j, "ocean/cluster", d,
	    "sfm-demo"), 0);
	/* Killed here: nothing but the INTENT is on disk. */
	journal_free(j);

	j = NULL;
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	assert_int_equal(journal_state(j, "ocean/cluster"), JSTEP_INDOUBT);
	assert_int_equal(journal_attempts(j, "ocean/cluster"), 1);
	assert_string_equal(journal_token(j, "ocean/cluster"), "sfm-demo");
	assert_string_equal(journal_request(j, "ocean/cluster"), d);
	/* In doubt: a second INTENT before a RESULT is refused. */
	assert_int_equal(journal_append_intent(j, "ocean/cluster", d, NULL),
	    -1);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", "o-12345678");
	assert_int_equal(journal_append_result(j, "ocean/cluster",
	    JOURNAL_OK, o, NULL), 0);
	cJSON_Delete(o);
	assert_int_equal(journal_state(j, "ocean/cluster"), JSTEP_DONE);
	/* Done: no more INTENTs, no second RESULT. */
	assert_int_equal(journal_append_intent(j, "ocean/cluster", d, NULL),
	    -1);
	assert_int_equal(journal_append_result(j, "ocean/cluster",
	    JOURNAL_OK, NULL, NULL), -1);
	assert_int_equal(journal_close(j), 0);

	j = NULL;
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	assert_int_equal(journal_nrecords(j), 3);
	assert_string_equal(cJSON_GetObjectItem(journal_outputs(j,
	    "ocean/cluster"), "id")->valuestring, "o-12345678");
	journal_free(j);
	free(path);
}

/* Every damaged-at-the-end fixture opens, truncated, with a warning. */
static void
test_journal_torn_tail_truncated(void **state)
{
	static const char *const torn[] = { "torn-tail.jrn",
	    "torn-header.jrn", "torn-crc-tail.jrn", NULL };
	struct journal *j;
	off_t valid = file_size(FIXDIR "valid.jrn");
	char *path, *log;
	size_t i;

	(void)state;
	for (i = 0; torn[i] != NULL; i++) {
		path = copy_fixture(torn[i]);
		assert_true(file_size(path) > valid);
		j = NULL;
		capture_start();
		assert_int_equal(journal_open(&j, path, BUNDLE), 0);
		log = capture_end();
		assert_non_null(strstr(log, "warning: "));
		assert_non_null(strstr(log, "torn write"));
		assert_non_null(strstr(log, "record 10 at offset 1082"));
		assert_int_equal(file_size(path), valid);
		check_valid_state(j);
		/* And the journal takes appends where the good part ended. */
		assert_int_equal(journal_append_result(j, "svc/sfm-web",
		    JOURNAL_FAILED, NULL, "ServerException"), 0);
		assert_int_equal(journal_close(j), 0);
		j = NULL;
		assert_int_equal(journal_open(&j, path, BUNDLE), 0);
		assert_int_equal(journal_state(j, "svc/sfm-web"),
		    JSTEP_FAILED);
		assert_string_equal(journal_error(j, "svc/sfm-web"),
		    "ServerException");
		journal_free(j);
		free(log);
		free(path);
	}
}

static void
test_journal_torn_open_and_empty(void **state)
{
	struct journal *j = NULL;
	char *path;

	(void)state;
	path = copy_fixture("torn-open.jrn");
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	assert_int_equal(journal_nrecords(j), 1);
	assert_int_equal((off_t)journal_size(j), file_size(path));
	journal_free(j);
	free(path);

	j = NULL;
	path = copy_fixture("empty.jrn");
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	assert_int_equal(journal_nrecords(j), 1);
	assert_string_equal(journal_bundle(j), BUNDLE);
	journal_free(j);
	free(path);
}

/* Damage with good records after it, or CRC-valid nonsense: refused. */
static void
test_journal_corrupt_refused(void **state)
{
	static const struct {
		const char *file;
		const char *msg;
	} bad[] = {
		{ "corrupt-middle.jrn",
		    "record 3 at offset 270: CRC mismatch" },
		{ "garbage-middle.jrn", "record 5 at offset 500: bad magic" },
		{ "bad-sequence.jrn", "sequence number 42, expected 10" },
		{ "future-version.jrn", "format version 2" },
		{ "result-without-intent.jrn", "without an open INTENT" },
		{ "intent-after-done.jrn", "which is done" },
		{ "unknown-member.jrn", "\"surprise\"" },
		{ "no-open.jrn", "first record is not OPEN" },
		{ NULL, NULL }
	};
	struct journal *j;
	char *path, *before, *after, *log;
	size_t i, blen, alen;

	(void)state;
	for (i = 0; bad[i].file != NULL; i++) {
		path = copy_fixture(bad[i].file);
		before = slurp(path, &blen);
		j = (struct journal *)1;
		capture_start();
		assert_int_equal(journal_open(&j, path, BUNDLE), -1);
		log = capture_end();
		assert_null(j);
		if (strstr(log, bad[i].msg) == NULL)
			fail_msg("%s: expected \"%s\" in: %s", bad[i].file,
			    bad[i].msg, log);
		assert_non_null(strstr(log, path));
		after = slurp(path, &alen);
		assert_int_equal(alen, blen);
		assert_memory_equal(before, after, blen);
		free(before);
		free(after);
		free(log);
		free(path);
	}
}

static void
test_journal_wrong_bundle_refused(void **state)
{
	struct journal *j = NULL;
	char *path, *log;

	(void)state;
	path = copy_fixture("valid.jrn");
	capture_start();
	assert_int_equal(journal_open(&j, path, OTHER), -1);
	log = capture_end();
	assert_non_null(strstr(log, "belongs to bundle " BUNDLE));
	assert_int_equal(file_size(path), file_size(FIXDIR "valid.jrn"));
	free(log);
	free(path);

	/* Another bundle's journal with a torn tail is not even truncated. */
	path = copy_fixture("other-bundle.jrn");
	{
		FILE *f = fopen(path, "ab");
		off_t before;

		assert_non_null(f);
		assert_int_equal(fwrite("F2OJ\1", 1, 5, f), 5);
		assert_int_equal(fclose(f), 0);
		before = file_size(path);
		assert_int_equal(journal_open(&j, path, BUNDLE), -1);
		assert_int_equal(file_size(path), before);
	}
	free(path);

	/* Not a digest at all. */
	path = tmppath("x.jrn");
	assert_int_equal(journal_open(&j, path, "abc"), -1);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
}

static void
test_journal_locked_refused(void **state)
{
	struct journal *j = NULL, *j2 = NULL;
	char *path = tmppath("lock.jrn"), *log, want[64], c;
	int tochild[2], toparent[2], status;
	pid_t pid;

	(void)state;
	/* In one process: flock is per open file description. */
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	capture_start();
	assert_int_equal(journal_open(&j2, path, BUNDLE), -1);
	log = capture_end();
	assert_non_null(strstr(log, "in use by another f2o-exec"));
	free(log);
	journal_free(j);

	/* Across processes, the loser names the holder's pid. */
	assert_int_equal(pipe(tochild), 0);
	assert_int_equal(pipe(toparent), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		struct journal *cj = NULL;

		c = journal_open(&cj, path, BUNDLE) == 0 ? 'y' : 'n';
		if (write(toparent[1], &c, 1) != 1)
			_exit(2);
		if (read(tochild[0], &c, 1) != 1)
			_exit(2);
		journal_free(cj);
		_exit(0);
	}
	assert_int_equal(read(toparent[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	capture_start();
	assert_int_equal(journal_open(&j2, path, BUNDLE), -1);
	log = capture_end();
	snprintf(want, sizeof(want), "(pid %ld)", (long)pid);
	assert_non_null(strstr(log, want));
	assert_non_null(strstr(log, path));
	free(log);
	assert_int_equal(write(tochild[1], "x", 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(tochild[0]);
	close(tochild[1]);
	close(toparent[0]);
	close(toparent[1]);

	/* Released: opens again. */
	assert_int_equal(journal_open(&j2, path, BUNDLE), 0);
	journal_free(j2);
	free(path);
}

/* Bad arguments are refused before anything reaches the file. */
static void
test_journal_append_refused(void **state)
{
	struct journal *j = NULL;
	char *path = tmppath("args.jrn"), d[65], *big;
	cJSON *o;
	size_t size;

	(void)state;
	digest_of(d, "x");
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	size = journal_size(j);
	assert_int_equal(journal_append_intent(j, "no-slash", d, NULL), -1);
	assert_int_equal(journal_append_intent(j, "sg/a.b", d, NULL), -1);
	assert_int_equal(journal_append_intent(j, "sg/a", "abc", NULL), -1);
	assert_int_equal(journal_append_intent(j, "sg/a", d, "bad\ntoken"),
	    -1);
	assert_int_equal(journal_append_result(j, "sg/a", JOURNAL_OK, NULL,
	    NULL), -1);
	assert_int_equal(journal_append_intent(j, "sg/a", d, NULL), 0);
	size = journal_size(j);
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "GroupId", 3);
	assert_int_equal(journal_append_result(j, "sg/a", JOURNAL_OK, o,
	    NULL), -1);
	cJSON_Delete(o);
	assert_int_equal(journal_size(j), size);
	assert_int_equal((off_t)size, file_size(path));

	/* A long error is cut, not refused; control bytes become '?'. */
	big = xmalloc(3 * JOURNAL_MAX_ERROR);
	memset(big, 'e', 3 * JOURNAL_MAX_ERROR - 1);
	big[3 * JOURNAL_MAX_ERROR - 1] = '\0';
	big[1] = '\r';
	assert_int_equal(journal_append_result(j, "sg/a", JOURNAL_FAILED,
	    NULL, big), 0);
	assert_int_equal(strlen(journal_error(j, "sg/a")), JOURNAL_MAX_ERROR);
	assert_int_equal(journal_error(j, "sg/a")[1], '?');
	free(big);
	journal_free(j);

	/* And what was written reads back. */
	j = NULL;
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	assert_int_equal(journal_state(j, "sg/a"), JSTEP_FAILED);
	journal_free(j);
	free(path);
}

/*
 * A failing write, injected cheaply with RLIMIT_FSIZE: the append fails,
 * the partial record is truncated away, and the next append succeeds.
 */
static void
test_journal_failed_write_undone(void **state)
{
	struct journal *j = NULL;
	struct rlimit old, lim;
	char *path = tmppath("efbig.jrn"), d[65];
	void (*oldsig)(int);
	size_t size;

	(void)state;
	digest_of(d, "x");
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	size = journal_size(j);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	oldsig = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = size + 20;	/* room for part of the header */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	capture_start();
	assert_int_equal(journal_append_intent(j, "sg/a", d, NULL), -1);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	free(capture_end());
	signal(SIGXFSZ, oldsig);
	assert_int_equal(file_size(path), (off_t)size);
	assert_int_equal(journal_state(j, "sg/a"), JSTEP_PENDING);
	assert_int_equal(journal_append_intent(j, "sg/a", d, NULL), 0);
	assert_int_equal(journal_close(j), 0);

	j = NULL;
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	assert_int_equal(journal_state(j, "sg/a"), JSTEP_INDOUBT);
	assert_int_equal(journal_attempts(j, "sg/a"), 1);
	journal_free(j);
	free(path);
}

/* journal_scan alone, as the fuzzer drives it. */
static void
test_journal_scan_fixtures(void **state)
{
	static const struct {
		const char *file;
		enum journal_scan_status st;
		size_t nrec;
	} cases[] = {
		{ "valid.jrn", JSCAN_OK, 9 },
		{ "empty.jrn", JSCAN_OK, 0 },
		{ "other-bundle.jrn", JSCAN_OK, 3 },
		{ "torn-tail.jrn", JSCAN_TORN, 9 },
		{ "torn-header.jrn", JSCAN_TORN, 9 },
		{ "torn-crc-tail.jrn", JSCAN_TORN, 9 },
		{ "torn-open.jrn", JSCAN_TORN, 0 },
		{ "corrupt-middle.jrn", JSCAN_CORRUPT, 2 },
		{ "garbage-middle.jrn", JSCAN_CORRUPT, 4 },
		{ "bad-sequence.jrn", JSCAN_CORRUPT, 9 },
		{ "no-open.jrn", JSCAN_CORRUPT, 0 },
		{ NULL, 0, 0 }
	};
	struct journal_scan_info info;
	struct journal *j;
	char *path, *buf;
	size_t i, len;

	(void)state;
	for (i = 0; cases[i].file != NULL; i++) {
		path = xasprintf(FIXDIR "%s", cases[i].file);
		buf = slurp(path, &len);
		j = journal_scan(buf, len, &info);
		if (info.status != cases[i].st ||
		    info.nrecords != cases[i].nrec)
			fail_msg("%s: status %d, %zu records: %s",
			    cases[i].file, info.status, info.nrecords,
			    info.reason);
		assert_true((j == NULL) == (cases[i].st == JSCAN_CORRUPT));
		if (j != NULL) {
			assert_int_equal(journal_size(j), info.good_len);
			/* Not attached to a file: appends fail. */
			assert_int_equal(journal_append_note(j, "x"), -1);
		}
		journal_free(j);
		free(buf);
		free(path);
	}
	/* Single bytes and NUL runs. */
	j = journal_scan("F", 1, &info);
	assert_int_equal(info.status, JSCAN_TORN);
	journal_free(j);
	j = journal_scan("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 19, &info);
	assert_int_equal(info.status, JSCAN_TORN);
	assert_int_equal(info.good_len, 0);
	journal_free(j);
	journal_free(NULL);
	assert_int_equal(journal_close(NULL), 0);
}

/*
 * Every prefix of a good journal is a torn write, never corruption, and
 * keeps exactly the records wholly inside it. Every single-bit flip is
 * caught: in the last record it reads as a torn write, before it as
 * corruption.
 */
static void
test_journal_scan_exhaustive(void **state)
{
	static const size_t offs[] = { 0, 111, 270, 372, 500, 602, 730, 874,
	    923, 1082 };
	struct journal_scan_info info;
	struct journal *j;
	char *buf;
	size_t len, cut, n, i;
	unsigned bit;

	(void)state;
	buf = slurp(FIXDIR "valid.jrn", &len);
	assert_int_equal(len, offs[9]);
	for (cut = 0; cut <= len; cut++) {
		j = journal_scan(buf, cut, &info);
		assert_non_null(j);
		for (n = 0; n < 9 && offs[n + 1] <= cut; n++)
			;
		assert_int_equal(info.nrecords, n);
		assert_int_equal(info.good_len, offs[n]);
		assert_int_equal(info.status,
		    cut == offs[n] ? JSCAN_OK : JSCAN_TORN);
		journal_free(j);
	}
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			buf[i] ^= (char)(1U << bit);
			j = journal_scan(buf, len, &info);
			if (i >= offs[8]) {
				assert_int_equal(info.status, JSCAN_TORN);
				assert_int_equal(info.good_len, offs[8]);
			} else {
				assert_int_equal(info.status, JSCAN_CORRUPT);
				assert_null(j);
			}
			journal_free(j);
			buf[i] ^= (char)(1U << bit);
		}
	free(buf);
}

/*
 * kill -9 at arbitrary moments while appending: every reopen succeeds,
 * the lock dies with its holder, and no step is ever lost or duplicated:
 * step k is only begun once step k-1 is done. Each child says (a byte on
 * a pipe) when it has done its first step, and is killed 1 to 6 ms after
 * that: on a loaded machine a fixed delay from fork() could end every
 * child before its first step.
 */
/*
 * A journal holds every step a bundle may have (10k services make 350,000,
 * 100k 3.5 million): past the old cap of 200,000 step ids, named in
 * descending order (the worst case of a sorted insert), replayed quickly.
 */
static void
test_journal_many_steps(void **state)
{
	const unsigned n = 250000;
	struct journal *j = jstate_new();
	char id[32], why[JOURNAL_REASON_MAX], d[65];
	struct jrec rec;
	unsigned k;

	(void)state;
	digest_of(d, "many");
	memset(&rec, 0, sizeof(rec));
	rec.type = JREC_OPEN;
	rec.bundle = d;
	rec.version = "test";
	assert_int_equal(jstate_check(j, &rec, why), 0);
	jstate_commit(j, &rec);
	for (k = n; k-- > 0;) {
		snprintf(id, sizeof(id), "svc/s%07u", k);
		memset(&rec, 0, sizeof(rec));
		rec.type = JREC_INTENT;
		rec.step = id;
		rec.attempt = 1;
		rec.request = d;
		assert_int_equal(jstate_check(j, &rec, why), 0);
		jstate_commit(j, &rec);
		memset(&rec, 0, sizeof(rec));
		rec.type = JREC_RESULT;
		rec.step = id;
		rec.status = JOURNAL_OK;
		assert_int_equal(jstate_check(j, &rec, why), 0);
		jstate_commit(j, &rec);
	}
	assert_int_equal(journal_nrecords(j), 2 * (size_t)n + 1);
	assert_int_equal(j->nsteps, n);
	for (k = 0; k < n; k += 997) {
		snprintf(id, sizeof(id), "svc/s%07u", k);
		assert_int_equal(journal_state(j, id), JSTEP_DONE);
		assert_int_equal(journal_attempts(j, id), 1);
	}
	assert_int_equal(journal_state(j, "svc/other"), JSTEP_PENDING);
	/* A second INTENT of a done step is still refused. */
	memset(&rec, 0, sizeof(rec));
	rec.type = JREC_INTENT;
	rec.step = "svc/s0000000";
	rec.attempt = 2;
	rec.request = d;
	assert_int_equal(jstate_check(j, &rec, why), -1);
	jstate_free(j);
}

static void
test_journal_kill_loop(void **state)
{
	struct journal *j;
	char *path = tmppath("kill.jrn"), id[32], d[65];
	unsigned round, k, done;
	int status, pfd[2];
	pid_t pid;
	char c;

	(void)state;
	digest_of(d, "kill");
	for (round = 0; round < 20; round++) {
		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		assert_true(pid != -1);
		if (pid == 0) {
			struct journal *cj = NULL;
			int told = 0;

			close(pfd[0]);
			log_set_quiet(1);
			if (journal_open(&cj, path, BUNDLE) == -1)
				_exit(3);
			for (k = 0; k < 100000; k++) {
				snprintf(id, sizeof(id), "s/%u", k);
				if (journal_state(cj, id) == JSTEP_DONE)
					continue;
				if (journal_state(cj, id) != JSTEP_INDOUBT &&
				    journal_append_intent(cj, id, d,
				    NULL) == -1)
					_exit(4);
				if (journal_append_result(cj, id, JOURNAL_OK,
				    NULL, NULL) == -1)
					_exit(4);
				if (!told) {
					if (write(pfd[1], "s", 1) != 1)
						_exit(5);
					told = 1;
				}
			}
			_exit(0);
		}
		close(pfd[1]);
		/* a step done (or EOF: the child ended, failed below) */
		assert_true(read(pfd[0], &c, 1) >= 0);
		close(pfd[0]);
		usleep(1000 + (useconds_t)(round * 397 % 5000));
		assert_int_equal(kill(pid, SIGKILL), 0);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status))
			fail_msg("child exited with %d", WEXITSTATUS(status));
	}
	j = NULL;
	assert_int_equal(journal_open(&j, path, BUNDLE), 0);
	for (k = 0, done = 0; k < 100000; k++) {
		snprintf(id, sizeof(id), "s/%u", k);
		if (journal_state(j, id) != JSTEP_DONE)
			break;
		assert_int_equal(journal_attempts(j, id), 1);
		done++;
	}
	assert_true(done > 0);
	print_message("%u steps done over 20 kills\n", done);
	/* At most one step after the done ones, in doubt; then nothing. */
	snprintf(id, sizeof(id), "s/%u", done);
	assert_true(journal_state(j, id) != JSTEP_DONE &&
	    journal_state(j, id) != JSTEP_FAILED);
	snprintf(id, sizeof(id), "s/%u", done + 1);
	assert_int_equal(journal_state(j, id), JSTEP_PENDING);
	journal_free(j);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_crc_check_value),
		cmocka_unit_test(test_journal_round_trip),
		cmocka_unit_test(test_journal_resume_indoubt),
		cmocka_unit_test(test_journal_torn_tail_truncated),
		cmocka_unit_test(test_journal_torn_open_and_empty),
		cmocka_unit_test(test_journal_corrupt_refused),
		cmocka_unit_test(test_journal_wrong_bundle_refused),
		cmocka_unit_test(test_journal_locked_refused),
		cmocka_unit_test(test_journal_append_refused),
		cmocka_unit_test(test_journal_failed_write_undone),
		cmocka_unit_test(test_journal_scan_fixtures),
		cmocka_unit_test(test_journal_scan_exhaustive),
		cmocka_unit_test(test_journal_kill_loop),
		cmocka_unit_test(test_journal_many_steps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
