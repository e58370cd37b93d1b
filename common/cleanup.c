/*
 * Temporary files and staging directories removed when the process dies
 * of SIGINT, SIGTERM or SIGHUP, or runs out of memory: a bundle that was
 * not finished leaves nothing beside its path. The removal allocates
 * nothing and makes only async-signal-safe calls (see cleanup.h).
 */
#define _GNU_SOURCE	/* getdents64 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "xalloc.h"

#define CLEANUP_MAX	4	/* paths registered at once */
#define CLEANUP_PATH	4096	/* bytes of a path, with its NUL */
#define CLEANUP_DEPTH	16	/* folder levels removed */
#define CLEANUP_PASSES	3	/* a folder listed again if still full */

/* A slot: 0 free, 1 being filled (by any thread), 2 a path to remove. */
static char paths[CLEANUP_MAX][CLEANUP_PATH];
static int used[CLEANUP_MAX];
static volatile sig_atomic_t running;

int
cleanup_add(const char *path)
{
	size_t n = strlen(path);
	int i, free_slot;

	if (n >= CLEANUP_PATH)
		return -1;
	for (i = 0; i < CLEANUP_MAX; i++) {
		free_slot = 0;
		if (__atomic_compare_exchange_n(&used[i], &free_slot, 1, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			memcpy(paths[i], path, n + 1);
			__atomic_store_n(&used[i], 2, __ATOMIC_RELEASE);
			return i;
		}
	}
	return -1;
}

void
cleanup_del(int slot)
{
	if (slot >= 0 && slot < CLEANUP_MAX)
		__atomic_store_n(&used[slot], 0, __ATOMIC_RELEASE);
}

/* Remove name under dirfd, a folder with all it holds. */
static void
remove_at(int dirfd, const char *name, int depth)
{
	char buf[2048];
	ssize_t n, off;
	int fd, pass;
	bool more;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return;
	if (depth >= CLEANUP_DEPTH || (fd = openat(dirfd, name, O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	for (pass = 0; pass < CLEANUP_PASSES; pass++) {
		more = false;
		(void)lseek(fd, 0, SEEK_SET);
		while ((n = getdents64(fd, buf, sizeof(buf))) > 0)
			for (off = 0; off < n; ) {
				struct dirent64 *de = (struct dirent64 *)
				    (void *)(buf + off);

				off += de->d_reclen;
				if (strcmp(de->d_name, ".") == 0 ||
				    strcmp(de->d_name, "..") == 0)
					continue;
				more = true;
				if (de->d_type == DT_DIR)
					remove_at(fd, de->d_name, depth + 1);
				else if (unlinkat(fd, de->d_name, 0) == -1 &&
				    errno == EISDIR)
					remove_at(fd, de->d_name, depth + 1);
			}
		if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || !more)
			break;
	}
	(void)close(fd);
}

void
cleanup_run(void)
{
	int i;

	if (running)
		return;
	running = 1;
	for (i = 0; i < CLEANUP_MAX; i++)
		if (__atomic_load_n(&used[i], __ATOMIC_ACQUIRE) == 2)
			remove_at(AT_FDCWD, paths[i], 0);
	running = 0;
}

static void
on_signal(int sig)
{
	int saved = errno;

	cleanup_run();
	/*
	 * Die of it, as without the handler: the caller sees the signal
	 * (blocked in here, it is delivered as the handler returns).
	 */
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
	errno = saved;
}

void
cleanup_on_fatal(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* Ignored when started (nohup, a shell's background job): kept. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		(void)sigaction(sigs[i], &sa, NULL);
	}
	xalloc_on_oom(cleanup_run);
}
