/*
 * Background writer: new small files and appends, copied into batches and
 * written by one thread while the caller goes on; batches of new files
 * the thread has no time for yet wait in a temporary file, and the caller
 * writes some of them too once it waits for the end (see bgwrite.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bgwrite.h"
#include "fsio.h"
#include "log.h"
#include "xalloc.h"

#define BGWRITE_STACK	(256 * 1024)	/* the thread's stack, bytes */
#define BGWRITE_LABEL	512		/* bytes kept of a failed label */

/* One job in a batch, followed by its label, a NUL and its data. */
struct job {
	int	 fd;		/* the folder (new file) or the file (append) */
	bool	 append;
	size_t	 labellen;
	size_t	 base;		/* new file: its name is label + base */
	size_t	 len;		/* bytes of data */
};

struct batch {
	char	*buf;		/* BGWRITE_BATCH bytes */
	size_t	 len;
	struct job *last;	/* to extend an append to the same fd */
	bool	 appends;	/* holds an append: runs after the one before */
};

/* A batch of new files waiting in the queue file. */
struct queued {
	long long	 off;
	size_t		 len;
};

struct bgwrite {
	pthread_t	 thread;
	bool		 threaded;	/* else every job runs at once */
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a batch is pending or queued, or stop */
	pthread_cond_t	 idle;		/* a batch is done */
	struct batch	 b[2];
	struct batch	*fill;		/* the caller's */
	struct batch	*pending;	/* handed to the thread; NULL: none */
	struct batch	 spare;		/* the thread's, for queued batches */
	/*
	 * Batches of new files handed over while the thread was busy: in an
	 * unlinked temporary file (beside prefix), done in any order. qfd
	 * -1 until the first. Once one cannot be made or written (qoff),
	 * nothing more is queued: the caller waits, as it does for a batch
	 * with appends, whose order matters.
	 */
	int		 qfd;
	bool		 qoff;
	long long	 qend;		/* bytes written to it */
	struct queued	*q;
	size_t		 qhead, qlen, qcap;
	size_t		 qrunning;	/* taken from q, not done yet */
	bool		 stop;
	/* the first failure (written under mu by whoever runs jobs) */
	int		 err;
	const char	*op;
	bool		 isfile;
	char		 what[BGWRITE_LABEL];
	bool		 reported;
	char		*prefix;
};

static size_t
job_size(size_t labellen, size_t len)
{
	size_t n = sizeof(struct job) + labellen + 1 + len,
	    a = alignof(struct job);

	return (n + a - 1) / a * a;
}

/* Keep the first failure; the caller does not hold mu. */
static void
fail(struct bgwrite *w, const char *op, bool isfile, const char *label)
{
	size_t n = strlen(label);
	int e = errno != 0 ? errno : EIO;

	pthread_mutex_lock(&w->mu);
	if (w->err == 0) {
		__atomic_store_n(&w->err, e, __ATOMIC_RELAXED);
		w->op = op;
		w->isfile = isfile;
		if (n >= sizeof(w->what))
			n = sizeof(w->what) - 1;
		memcpy(w->what, label, n);
		w->what[n] = '\0';
	}
	pthread_mutex_unlock(&w->mu);
}

/* Do one job; a failure is kept in w. No allocation: runs in the thread. */
static void
job_run(struct bgwrite *w, int dirfd, bool append, const char *label,
    size_t base, const char *data, size_t len)
{
	int fd = dirfd;
	ssize_t n;

	if (__atomic_load_n(&w->err, __ATOMIC_RELAXED) != 0)
		return;		/* a job failed: the later ones are dropped */
	if (!append) {
		fd = openat(dirfd, label + base, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0644);
		if (fd == -1) {
			fail(w, "create", true, label);
			return;
		}
	}
	while (len > 0) {
		n = write(fd, data, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			fail(w, "write", !append, label);
			break;
		}
		data += n;
		len -= (size_t)n;
	}
	if (!append && close(fd) == -1)
		fail(w, "close", true, label);
}

static void
batch_reset(struct batch *b)
{
	b->len = 0;
	b->last = NULL;
	b->appends = false;
}

static void
batch_run(struct bgwrite *w, struct batch *b)
{
	size_t off = 0;

	while (off < b->len) {
		const struct job *j = (const struct job *)(b->buf + off);
		const char *label = (const char *)(j + 1);

		job_run(w, j->fd, j->append, label, j->base,
		    label + j->labellen + 1, j->len);
		off += job_size(j->labellen, j->len);
	}
	batch_reset(b);
}

/*
 * Take the oldest queued batch (or the newest) and do it in b (mu held,
 * released while it runs); an empty queue starts its file again.
 */
static void
run_queued(struct bgwrite *w, struct batch *b, bool newest)
{
	struct queued e = newest ? w->q[--w->qlen] : w->q[w->qhead++];
	ssize_t r;

	w->qrunning++;
	pthread_mutex_unlock(&w->mu);
	if ((r = fsio_pread_full(w->qfd, b->buf, e.len, e.off)) !=
	    (ssize_t)e.len) {
		if (r != -1)
			errno = EIO;	/* shorter than written */
		fail(w, "read", false, "the queue of files to write");
	} else {
		b->len = e.len;
		batch_run(w, b);
	}
	pthread_mutex_lock(&w->mu);
	w->qrunning--;
	if (w->qhead == w->qlen && w->qrunning == 0) {
		w->qhead = w->qlen = 0;
		w->qend = 0;
		(void)ftruncate(w->qfd, 0);	/* its space back */
	}
	pthread_cond_broadcast(&w->idle);
}

static void *
bgwrite_thread(void *arg)
{
	struct bgwrite *w = arg;
	struct batch *b;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->pending == NULL && w->qhead == w->qlen && !w->stop)
			pthread_cond_wait(&w->work, &w->mu);
		if (w->pending != NULL) {	/* first: it may hold appends */
			b = w->pending;
			pthread_mutex_unlock(&w->mu);
			batch_run(w, b);
			pthread_mutex_lock(&w->mu);
			w->pending = NULL;
			pthread_cond_broadcast(&w->idle);
		} else if (w->qhead < w->qlen && !w->stop)
			run_queued(w, &w->spare, false);
		else
			break;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Log the first failure once (caller's thread, mu held or idle). */
static int
report(struct bgwrite *w)
{
	if (w->err == 0)
		return 0;
	if (!w->reported) {
		w->reported = true;
		if (w->isfile && w->prefix != NULL)
			log_errx("%s %s/%s: %s", w->op, w->prefix, w->what,
			    strerror(w->err));
		else
			log_errx("%s %s: %s", w->op, w->what,
			    strerror(w->err));
	}
	return -1;
}

struct bgwrite *
bgwrite_new(const char *prefix)
{
	struct bgwrite *w = xcalloc(1, sizeof(*w));
	sigset_t all, saved;
	pthread_attr_t attr;
	int rc;

	w->prefix = prefix != NULL ? xstrdup(prefix) : NULL;
	w->b[0].buf = xmalloc(BGWRITE_BATCH);
	w->b[1].buf = xmalloc(BGWRITE_BATCH);
	w->spare.buf = xmalloc(BGWRITE_BATCH);
	w->fill = &w->b[0];
	w->qfd = -1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->idle, NULL);
	rc = pthread_attr_init(&attr);
	if (rc == 0) {
		(void)pthread_attr_setstacksize(&attr, BGWRITE_STACK);
		/* Signals go to the caller's thread (cleanup.c), not this one. */
		(void)sigfillset(&all);
		(void)pthread_sigmask(SIG_BLOCK, &all, &saved);
		rc = pthread_create(&w->thread, &attr, bgwrite_thread, w);
		(void)pthread_sigmask(SIG_SETMASK, &saved, NULL);
		pthread_attr_destroy(&attr);
	}
	/* No thread (resource limits): the jobs run at once instead. */
	w->threaded = rc == 0;
	return w;
}

/*
 * Put the caller's batch b of new files in the queue (mu held). 0, or -1
 * when there is no queue file (none is tried again): the caller waits.
 */
static int
enqueue(struct bgwrite *w, struct batch *b)
{
	if (w->qoff || (w->qfd == -1 &&
	    (w->qfd = fsio_temp_near(w->prefix, "queue")) == -1)) {
		w->qoff = true;
		return -1;
	}
	/* Full: the batches in it still go; no more are put in. */
	if (pwrite(w->qfd, b->buf, b->len, (off_t)w->qend) != (ssize_t)b->len) {
		w->qoff = true;
		return -1;
	}
	if (w->qlen == w->qcap) {
		w->qcap = w->qcap == 0 ? 64 : w->qcap * 2;
		w->q = xreallocarray(w->q, w->qcap, sizeof(*w->q));
	}
	w->q[w->qlen].off = w->qend;
	w->q[w->qlen++].len = b->len;
	w->qend += (long long)b->len;
	batch_reset(b);
	pthread_cond_signal(&w->work);
	return 0;
}

/*
 * Hand the caller's batch to the thread: at once when nothing is pending;
 * else a batch of new files only (nothing whose order matters) goes to the
 * queue, and one with appends waits until the thread takes no other.
 */
static int
submit(struct bgwrite *w)
{
	struct batch *b = w->fill;
	int rc;

	pthread_mutex_lock(&w->mu);
	if (w->err == 0 && b->len > 0 && (w->pending == NULL || b->appends ||
	    enqueue(w, b) == -1)) {
		while (w->pending != NULL)
			pthread_cond_wait(&w->idle, &w->mu);
		w->pending = w->fill;
		w->fill = w->fill == &w->b[0] ? &w->b[1] : &w->b[0];
		pthread_cond_signal(&w->work);
	}
	rc = report(w);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int
bgwrite_sync(struct bgwrite *w)
{
	int rc;

	if (!w->threaded)
		return report(w);
	if (submit(w) == -1)
		return -1;
	pthread_mutex_lock(&w->mu);
	/* The queue is done on two CPUs: the caller takes batches too. */
	while (w->pending != NULL || w->qhead < w->qlen || w->qrunning > 0) {
		if (w->qhead < w->qlen && w->err == 0)
			run_queued(w, w->fill, false);
		else
			pthread_cond_wait(&w->idle, &w->mu);
	}
	rc = report(w);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int
bgwrite_step(struct bgwrite *w)
{
	int rc = 0;

	if (!w->threaded)
		return report(w);
	if (w->fill->len > 0 && submit(w) == -1)
		return -1;
	pthread_mutex_lock(&w->mu);
	if (w->qhead < w->qlen && w->err == 0) {
		run_queued(w, w->fill, true);
		rc = 1;
	} else if (w->pending != NULL || w->qrunning > 0 ||
	    w->qhead < w->qlen) {
		pthread_cond_wait(&w->idle, &w->mu);
		rc = 1;
	}
	if (report(w) == -1)
		rc = -1;
	pthread_mutex_unlock(&w->mu);
	return rc;
}

static int
put(struct bgwrite *w, int fd, bool append, const char *label, size_t base,
    const void *data, size_t len)
{
	size_t ll = strlen(label), need = job_size(ll, len);
	struct batch *b = w->fill;
	struct job *j = b->last;
	char *end;
	int rc;

	if (__atomic_load_n(&w->err, __ATOMIC_RELAXED) != 0) {
		pthread_mutex_lock(&w->mu);	/* an earlier job failed */
		rc = report(w);
		pthread_mutex_unlock(&w->mu);
		return rc;
	}
	if (!w->threaded || need > BGWRITE_BATCH) {
		/* Too large to copy (or no thread): written now, in order. */
		if (bgwrite_sync(w) == -1)
			return -1;
		job_run(w, fd, append, label, base, data, len);
		return report(w);
	}
	if (append && j != NULL && j->append && j->fd == fd) {
		end = (char *)(j + 1) + j->labellen + 1 + j->len;
		if ((size_t)(end - b->buf) + len <= BGWRITE_BATCH) {
			memcpy(end, data, len);
			j->len += len;
			b->len = (size_t)((char *)j - b->buf) +
			    job_size(j->labellen, j->len);
			return 0;
		}
	}
	if (b->len + need > BGWRITE_BATCH) {
		if (submit(w) == -1)
			return -1;
		b = w->fill;
	}
	j = (struct job *)(b->buf + b->len);
	/* Padding zeroed too: a batch may go to the queue file whole. */
	memset(j, 0, sizeof(*j));
	j->fd = fd;
	j->append = append;
	j->labellen = ll;
	j->base = base;
	j->len = len;
	memcpy(j + 1, label, ll + 1);
	if (len > 0)
		memcpy((char *)(j + 1) + ll + 1, data, len);
	memset((char *)(j + 1) + ll + 1 + len, 0, need - sizeof(*j) - ll - 1 -
	    len);
	b->len += need;
	b->last = j;
	b->appends |= append;
	return 0;
}

int
bgwrite_file(struct bgwrite *w, int dirfd, const char *label, size_t base,
    const void *data, size_t len)
{
	return put(w, dirfd, false, label, base, data, len);
}

int
bgwrite_append(struct bgwrite *w, int fd, const char *label,
    const void *data, size_t len)
{
	if (len == 0)
		return 0;
	return put(w, fd, true, label, 0, data, len);
}

void
bgwrite_free(struct bgwrite *w)
{
	if (w == NULL)
		return;
	if (w->threaded) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->work);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->idle);
	if (w->qfd != -1)
		(void)close(w->qfd);
	free(w->q);
	free(w->b[0].buf);
	free(w->b[1].buf);
	free(w->spare.buf);
	free(w->prefix);
	free(w);
}
