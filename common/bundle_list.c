/*
 * A streamed bundle's file list: each file's name, size, offset and
 * SHA-256 in an unlinked file, found by name, sorted by name when sealed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_int.h"
#include "fsio.h"
#include "hashmap.h"
#include "log.h"
#include "xalloc.h"

/*
 * A record: u64 offset, u64 size, the raw SHA-256, the name and its NUL
 * (a safe name: at most 255 bytes). Records wait in memory up to
 * LIST_PENDING bytes.
 */
#define REC_HEAD	(8 + 8 + DIGEST_LEN)
#define REC_MAX		(REC_HEAD + 256)
#define LIST_PENDING	(64 * 1024)
#define LIST_WHAT	"bundle file list"

struct bundle_list {
	int	 fd;		/* unlinked */
	long long flushed;	/* bytes written to it */
	char	*pend;		/* records not written yet, after those */
	size_t	 npend;
	struct xoffs start;	/* where each record starts */
	size_t	 n;
	size_t	 name_bytes;	/* without their NULs */
	struct idxmap names;	/* name -> record number, until forgot */
	bool	 forgot;	/* names gone: found in order, or by a scan */
	uint32_t *order;	/* sorted: record numbers in name order */
	bool	 failed;	/* a write failed (logged) */
	struct bundle_file entry;	/* being added */
	struct bundle_file found;	/* bundle_list_find's */
	char	 rec[REC_MAX];		/* its record */
};

struct bundle_list *
bundle_list_new(const char *near)
{
	struct bundle_list *l;
	int fd = fsio_temp_near(near, "files");

	if (fd == -1) {
		log_err("%s: temporary file for the bundle's file list", near);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->pend = xmalloc(LIST_PENDING);
	return l;
}

void
bundle_list_free(struct bundle_list *l)
{
	if (l == NULL)
		return;
	(void)close(l->fd);
	xoffs_free(&l->start);
	free(l->pend);
	free(l->order);
	idxmap_cleanup(&l->names);
	free(l);
}

static long long
rec_start(const struct bundle_list *l, size_t i)
{
	return XOFFS_AT(&l->start, i);
}

/* Record i's length. */
static size_t
rec_len(const struct bundle_list *l, size_t i)
{
	return (size_t)((i + 1 < l->n ? rec_start(l, i + 1) : l->flushed +
	    (long long)l->npend) - rec_start(l, i));
}

static int
flush(struct bundle_list *l)
{
	if (l->failed)
		return -1;
	if (l->npend > 0 && fsio_write_all(l->fd, l->pend, l->npend,
	    LIST_WHAT) == -1) {
		l->failed = true;
		return -1;
	}
	l->flushed += (long long)l->npend;
	l->npend = 0;
	return 0;
}

struct bundle_file *
bundle_list_entry(struct bundle_list *l)
{
	memset(&l->entry, 0, sizeof(l->entry));
	return &l->entry;
}

int
bundle_list_add(struct bundle_list *l, const struct bundle_file *f,
    const char *name)
{
	size_t nlen = strlen(name), need = REC_HEAD + nlen + 1;
	uint64_t u;
	char *r;

	if (l->order != NULL || need > REC_MAX) {
		log_errx("bundle: %s: %s", name, l->order != NULL ?
		    "added after the bundle was sealed" : "name too long");
		return -1;
	}
	if (l->npend + need > LIST_PENDING && flush(l) == -1)
		return -1;
	/* 10 million records of at most 304 bytes: under 4 GiB. */
	if (xoffs_push(&l->start, l->flushed + (long long)l->npend) == -1) {
		log_errx("%s: over 4 GiB", LIST_WHAT);
		return -1;
	}
	r = l->pend + l->npend;
	u = (uint64_t)f->off;
	memcpy(r, &u, 8);
	u = (uint64_t)f->len;
	memcpy(r + 8, &u, 8);
	memcpy(r + 16, f->sha256, DIGEST_LEN);
	memcpy(r + REC_HEAD, name, nlen + 1);
	l->npend += need;
	if (!l->forgot)
		idxmap_add(&l->names, idxmap_hash(name), l->n);
	l->n++;
	l->name_bytes += nlen;
	return 0;
}

/* Record rec of len bytes as a file (its name points into rec). */
static const struct bundle_file *
decode(struct bundle_file *f, const char *rec, size_t len)
{
	uint64_t u;

	if (len <= REC_HEAD || len > REC_MAX || rec[len - 1] != '\0') {
		log_errx("%s: damaged record", LIST_WHAT);
		return NULL;
	}
	memset(f, 0, sizeof(*f));
	memcpy(&u, rec, 8);
	f->off = (long long)u;
	memcpy(&u, rec + 8, 8);
	f->len = (size_t)u;
	memcpy(f->sha256, rec + 16, DIGEST_LEN);
	f->name = (char *)(uintptr_t)(rec + REC_HEAD);
	return f;
}

/* Record i as l->found, read back (or from the pending ones); NULL. */
static const struct bundle_file *
load(struct bundle_list *l, size_t i)
{
	long long start = rec_start(l, i);
	size_t len = rec_len(l, i);

	if (len > REC_MAX) {
		log_errx("%s: damaged record", LIST_WHAT);
		return NULL;
	}
	if (start >= l->flushed)
		memcpy(l->rec, l->pend + (start - l->flushed), len);
	else if (l->failed || bundle_pread(l->fd, l->rec, len, len, start,
	    LIST_WHAT) == -1)
		return NULL;
	return decode(&l->found, l->rec, len);
}

/* Whether record i's name is name (idxmap_eq_fn). */
static int
name_is(void *arg, size_t i, const char *name)
{
	const struct bundle_file *f = load(arg, i);

	if (f == NULL)
		return -1;
	return strcmp(f->name, name) == 0;
}

/* Without the map: a binary search once sorted, else a scan. */
static const struct bundle_file *
find_slow(struct bundle_list *l, const char *name)
{
	const struct bundle_file *f;
	size_t lo = 0, hi = l->n, mid;
	int c;

	if (l->order == NULL) {
		for (mid = 0; mid < l->n; mid++)
			if ((f = load(l, mid)) == NULL ||
			    strcmp(f->name, name) == 0)
				return f;
		return NULL;
	}
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((f = load(l, l->order[mid])) == NULL)
			return NULL;
		if ((c = strcmp(name, f->name)) == 0)
			return f;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct bundle_file *
bundle_list_find(struct bundle_list *l, const char *name)
{
	size_t i;

	if (l->forgot)
		return find_slow(l, name);
	if (idxmap_find(&l->names, name, idxmap_hash(name), name_is, l,
	    &i) != 1)
		return NULL;
	return &l->found;	/* the last name_is() loaded it */
}

void
bundle_list_forget(struct bundle_list *l)
{
	idxmap_cleanup(&l->names);
	l->forgot = true;
}

size_t
bundle_list_name_bytes(const struct bundle_list *l)
{
	return l->name_bytes;
}

/*
 * The names being sorted (bundle_list_sort, never two at once): their
 * text and where record i's name starts in it. Record numbers are sorted
 * (4 bytes each, not a pointer and a number: 10,000 services' 350,000
 * files take 11 MiB less at the peak).
 */
static struct {
	const char *text;
	const uint32_t *at;
} sorting;

static int
cmp_recs(const void *a, const void *b)
{
	return strcmp(sorting.text + sorting.at[*(const uint32_t *)a],
	    sorting.text + sorting.at[*(const uint32_t *)b]);
}

int
bundle_list_sort(struct bundle_list *l)
{
	struct spool_win w;
	uint32_t *at = NULL;
	const char *rec;
	char *text;
	size_t i, pos = 0, len;
	int rc = -1;

	if (flush(l) == -1)
		return -1;
	free(l->order);
	l->order = NULL;
	/* Found in order from now on: the map leaves memory first. */
	bundle_list_forget(l);
	if (l->n == 0)
		return 0;
	/* Only the names, read once in the order written. */
	memset(&w, 0, sizeof(w));
	w.fd = l->fd;
	/* Under 4 GiB: 10 million names of at most 256 bytes. */
	text = xmalloc(l->name_bytes + l->n);
	at = xreallocarray(NULL, l->n, sizeof(*at));
	l->order = xreallocarray(NULL, l->n, sizeof(*l->order));
	for (i = 0; i < l->n; i++) {
		len = rec_len(l, i);
		if (len <= REC_HEAD || len > REC_MAX) {
			log_errx("%s: damaged record", LIST_WHAT);
			goto out;
		}
		if ((rec = bundle_win_get(&w, rec_start(l, i), len,
		    LIST_WHAT)) == NULL)
			goto out;
		memcpy(text + pos, rec + REC_HEAD, len - REC_HEAD);
		at[i] = (uint32_t)pos;
		l->order[i] = (uint32_t)i;
		pos += len - REC_HEAD;
	}
	sorting.text = text;
	sorting.at = at;
	qsort(l->order, l->n, sizeof(*l->order), cmp_recs);
	sorting.text = NULL;
	sorting.at = NULL;
	for (i = 1; i < l->n; i++)
		if (strcmp(text + at[l->order[i - 1]],
		    text + at[l->order[i]]) == 0) {
			log_errx("bundle: file \"%s\" added twice",
			    text + at[l->order[i]]);
			goto out;
		}
	rc = 0;
out:
	if (rc == -1) {
		free(l->order);
		l->order = NULL;
	}
	bundle_win_cleanup(&w);
	free(text);
	free(at);
	return rc;
}

void
bundle_iter_init(struct bundle_iter *it, const struct bundle *b)
{
	memset(it, 0, sizeof(*it));
	it->b = b;
	it->w.fd = b->list != NULL ? b->list->fd : -1;
}

const struct bundle_file *
bundle_iter_get(struct bundle_iter *it, size_t k)
{
	const struct bundle_list *l = it->b->list;
	const char *rec;
	size_t i, len;

	if (l == NULL)
		return &it->b->files[k];
	if (l->order == NULL) {
		log_errx("bundle: not sealed");
		return NULL;
	}
	i = l->order[k];
	len = rec_len(l, i);
	if (len > REC_MAX || (rec = bundle_win_get(&it->w, rec_start(l, i),
	    len, LIST_WHAT)) == NULL)
		return NULL;
	return decode(&it->f, rec, len);
}

void
bundle_iter_cleanup(struct bundle_iter *it)
{
	bundle_win_cleanup(&it->w);
}
