/*
 * bgwrite: every new file written whole, appends to one descriptor in the
 * order given, whoever writes them (the thread, or the caller at the end;
 * creating files is slower than queueing them, so most batches of new
 * files wait in the queue file here), and the first failure reported
 * once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgwrite.h"
#include "xalloc.h"

#define FILES		6000	/* about 9 batches */
#define LOG_EVERY	50	/* an append between runs of new files */
#define MAX_LEN		3000

/* The content of file i: its number, repeated up to a length in 1..MAX_LEN. */
static size_t
content(size_t i, char *buf, size_t cap)
{
	size_t len = 1 + (i * 7919) % MAX_LEN, n = 0;
	char num[32];
	int k = snprintf(num, sizeof(num), "%zu;", i);

	while (n < len && n < cap) {
		buf[n] = num[n % (size_t)k];
		n++;
	}
	return n;
}

static char *
read_all(int dirfd, const char *name, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY);
	struct stat st;
	char *buf;

	assert_true(fd != -1);
	assert_int_equal(fstat(fd, &st), 0);
	buf = xmalloc((size_t)st.st_size + 1);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	buf[st.st_size] = '\0';
	*len = (size_t)st.st_size;
	close(fd);
	return buf;
}

/* Files f00000... each whole, then removed. */
static void
check_files(int dirfd)
{
	char name[64], want[MAX_LEN], *got;
	size_t i, n, len;

	for (i = 0; i < FILES; i++) {
		snprintf(name, sizeof(name), "f%05zu", i);
		n = content(i, want, sizeof(want));
		got = read_all(dirfd, name, &len);
		assert_int_equal(len, n);
		assert_memory_equal(got, want, n);
		assert_int_equal(unlinkat(dirfd, name, 0), 0);
		free(got);
	}
}

static void
test_bgwrite_files_and_appends(void **state)
{
	char dir[] = "/tmp/f2o-test-bgwrite-XXXXXX", name[64], want[MAX_LEN],
	    line[64], *got, *log, *big;
	struct bgwrite *w;
	size_t i, n, len, loglen = 0;
	int dirfd, logfd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	w = bgwrite_new(dir);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dirfd != -1);
	logfd = openat(dirfd, "log", O_RDWR | O_CREAT | O_EXCL, 0644);
	assert_true(logfd != -1);
	log = xmalloc(FILES / LOG_EVERY * 64 + 64);
	/* One file larger than a batch: written at once, in order. */
	big = xcalloc(1, BGWRITE_BATCH + 10);
	memset(big, 'b', BGWRITE_BATCH + 10);
	for (i = 0; i < FILES; i++) {
		snprintf(name, sizeof(name), "f%05zu", i);
		n = content(i, want, sizeof(want));
		assert_int_equal(bgwrite_file(w, dirfd, name, 0, want, n), 0);
		if (i % LOG_EVERY == 0) {
			n = (size_t)snprintf(line, sizeof(line), "after %zu\n",
			    i);
			memcpy(log + loglen, line, n);
			loglen += n;
			assert_int_equal(bgwrite_append(w, logfd, "log", line,
			    n), 0);
		}
		if (i == FILES / 2)
			assert_int_equal(bgwrite_file(w, dirfd, "big", 0, big,
			    BGWRITE_BATCH + 10), 0);
	}
	assert_int_equal(bgwrite_sync(w), 0);
	check_files(dirfd);
	got = read_all(dirfd, "big", &len);
	assert_int_equal(len, BGWRITE_BATCH + 10);
	assert_memory_equal(got, big, len);
	free(got);
	got = read_all(dirfd, "log", &len);
	assert_int_equal(len, loglen);
	assert_memory_equal(got, log, loglen);	/* in the order given */
	free(got);

	/* A name taken: refused, reported (once) by the next calls. */
	assert_int_equal(bgwrite_file(w, dirfd, "big", 0, "x", 1), 0);
	assert_int_equal(bgwrite_sync(w), -1);
	assert_int_equal(bgwrite_file(w, dirfd, "late", 0, "x", 1), -1);
	assert_int_equal(bgwrite_sync(w), -1);
	bgwrite_free(w);
	assert_int_equal(faccessat(dirfd, "late", F_OK, 0), -1);
	assert_int_equal(unlinkat(dirfd, "big", 0), 0);
	assert_int_equal(unlinkat(dirfd, "log", 0), 0);
	close(logfd);
	close(dirfd);
	assert_int_equal(rmdir(dir), 0);
	free(log);
	free(big);
}

/*
 * Files given without waiting, then done a step at a time (the newest
 * queued batch first); and when the queue file's writes are refused (a
 * file size limit), from the first or after a few, the caller waits
 * instead: every file whole each way.
 */
static void
test_bgwrite_steps_and_no_queue(void **state)
{
	char dir[] = "/tmp/f2o-test-bgwrite-XXXXXX", name[64], want[MAX_LEN];
	struct rlimit old, lim;
	struct bgwrite *w;
	size_t i, n;
	int dirfd, round, r, steps;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dirfd != -1);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	/*
	 * No limit; files fit, no batch does (no queue at all); a few
	 * batches fit (those queued before the one refused still written).
	 */
	for (round = 0; round < 3; round++) {
		if (round > 0) {
			lim = old;
			lim.rlim_cur = round == 1 ? 4 * MAX_LEN :
			    BGWRITE_BATCH * 7 / 2;
			assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
		}
		w = bgwrite_new(dir);
		for (i = 0; i < FILES; i++) {
			snprintf(name, sizeof(name), "f%05zu", i);
			n = content(i, want, sizeof(want));
			assert_int_equal(bgwrite_file(w, dirfd, name, 0, want,
			    n), 0);
		}
		for (steps = 0; (r = bgwrite_step(w)) == 1; steps++)
			assert_true(steps < FILES);
		assert_int_equal(r, 0);
		assert_true(steps > 0);
		check_files(dirfd);
		assert_int_equal(bgwrite_sync(w), 0);
		bgwrite_free(w);
	}
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	close(dirfd);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bgwrite_files_and_appends),
		cmocka_unit_test(test_bgwrite_steps_and_no_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
