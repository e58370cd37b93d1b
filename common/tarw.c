/*
 * The bundle's tar stream: plain headers written directly, byte for byte
 * as libarchive's pax_restricted writer makes them; libarchive for .tar.gz.
 */
/*
 * libarchive's pax writer spent more on each header (the entry cloned,
 * its names converted through the locale) than on the file's bytes for
 * the few hundred bytes of a request file, and a large bundle has
 * hundreds of thousands. A header pax must extend (a name over 100 bytes
 * or not plain ASCII, a size over 8 GiB) is still made by libarchive: one
 * writing only headers, its bytes captured into the stream.
 * tests/unit/test_tarw.c compares the stream with libarchive's.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "bgwrite.h"
#include "fsio.h"
#include "log.h"
#include "tarw.h"
#include "xalloc.h"

#define TARW_BLOCK	512
#define TARW_BUF	(1024 * 1024)	/* written in pieces of this */
#define TARW_NAME	100		/* ustar's name field */
#define TARW_SIZE_MAX	077777777777ULL	/* its size field: 11 digits */

struct tarw {
	int	 fd;
	const char *what;
	struct bgwrite *bg;		/* writes fd, or NULL: written here */
	bool	 gz;
	/* libarchive: the whole stream (gz), or the headers it makes. */
	struct archive *a;
	struct archive_entry *e;
	bool	 capture;		/* a's bytes go into the stream */
	char	*buf;			/* plain: the bytes not written yet */
	size_t	 len;
	size_t	 left;			/* bytes of the current file to come */
	size_t	 pad;			/* the zeros after them */
	bool	 failed;
};

/* n bytes of the finished stream, to fd (through the thread if any). */
static int
out_write(struct tarw *t, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (t->bg != NULL)
		return bgwrite_append(t->bg, t->fd, t->what, p, n);
	return fsio_write_all(t->fd, p, n, t->what);
}

static int
out_flush(struct tarw *t)
{
	if (t->failed)
		return -1;
	if (out_write(t, t->buf, t->len) == -1) {
		t->failed = true;
		return -1;
	}
	t->len = 0;
	return 0;
}

/* libarchive's compressed blocks (gz), into the stream. */
static la_ssize_t
gz_put(struct archive *a, void *arg, const void *p, size_t n)
{
	struct tarw *t = arg;

	(void)a;
	if (t->failed || out_write(t, p, n) == -1) {
		t->failed = true;
		return -1;
	}
	return (la_ssize_t)n;
}

/* n bytes of p, or n zeros when p is NULL. */
static int
out_put(struct tarw *t, const void *p, size_t n)
{
	const char *s = p;
	size_t k;

	if (t->failed)
		return -1;
	while (n > 0) {
		if (t->len == TARW_BUF && out_flush(t) == -1)
			return -1;
		k = TARW_BUF - t->len < n ? TARW_BUF - t->len : n;
		if (s != NULL) {
			memcpy(t->buf + t->len, s, k);
			s += k;
		} else
			memset(t->buf + t->len, 0, k);
		t->len += k;
		n -= k;
	}
	return 0;
}

/* libarchive's header bytes, into the stream while capturing. */
static la_ssize_t
capture(struct archive *a, void *arg, const void *p, size_t n)
{
	struct tarw *t = arg;

	(void)a;
	if (t->capture && out_put(t, p, n) == -1)
		return -1;
	return (la_ssize_t)n;
}

static struct archive *
la_new(void)
{
	struct archive *a = archive_write_new();

	if (a == NULL) {
		log_errx("tar: out of memory");
		return NULL;
	}
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK) {
		log_errx("tar: %s", archive_error_string(a));
		archive_write_free(a);
		return NULL;
	}
	return a;
}

struct tarw *
tarw_open(int fd, const char *what, bool gz, struct bgwrite *bg)
{
	struct tarw *t = xcalloc(1, sizeof(*t));

	t->fd = fd;
	t->bg = bg;
	t->what = what;
	t->gz = gz;
	if ((t->e = archive_entry_new()) == NULL || (t->a = la_new()) == NULL)
		goto fail;
	if (!gz) {
		/* Headers only, unblocked: each one captured whole. */
		t->buf = xmalloc(TARW_BUF);
		if (archive_write_set_bytes_per_block(t->a, 0) != ARCHIVE_OK ||
		    archive_write_open(t->a, t, NULL, capture, NULL) !=
		    ARCHIVE_OK)
			goto fail_la;
		return t;
	}
	/* Blocks only group the writes: the last is not padded. */
	if (archive_write_add_filter_gzip(t->a) != ARCHIVE_OK ||
	    archive_write_set_options(t->a, "gzip:!timestamp") != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(t->a, TARW_BUF) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(t->a, 1) != ARCHIVE_OK ||
	    archive_write_open(t->a, t, NULL, gz_put, NULL) != ARCHIVE_OK)
		goto fail_la;
	return t;
fail_la:
	log_errx("%s: %s", what, archive_error_string(t->a));
fail:
	if (t->e == NULL)
		log_errx("tar: out of memory");
	tarw_free(t);
	return NULL;
}

/* The header libarchive makes, written (gz) or captured (plain). */
static int
la_header(struct tarw *t, const char *name, size_t len)
{
	int rc;

	/* The last captured entry's data and padding: not ours. */
	if (!t->gz && archive_write_finish_entry(t->a) != ARCHIVE_OK)
		goto fail;
	archive_entry_clear(t->e);
	archive_entry_set_pathname(t->e, name);
	archive_entry_set_filetype(t->e, AE_IFREG);
	archive_entry_set_perm(t->e, 0644);
	archive_entry_set_size(t->e, (la_int64_t)len);
	archive_entry_set_mtime(t->e, 0, 0);
	archive_entry_set_uid(t->e, 0);
	archive_entry_set_gid(t->e, 0);
	t->capture = true;
	rc = archive_write_header(t->a, t->e);
	t->capture = false;
	if (rc == ARCHIVE_OK && !t->failed)
		return 0;
fail:
	if (!t->failed)
		log_errx("tar: %s: %s", name, archive_error_string(t->a));
	return -1;
}

/* v as digits octal digits, zero-filled. */
static void
octal(char *f, size_t digits, unsigned long long v)
{
	while (digits-- > 0) {
		f[digits] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

/* Whether pax writes name (n bytes) and len in a ustar header alone. */
static bool
plain(const char *name, size_t n, size_t len)
{
	size_t i;

	if (n == 0 || n > TARW_NAME || (unsigned long long)len > TARW_SIZE_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] <= ' ' ||
		    (unsigned char)name[i] >= 0x7f)
			return false;
	return true;
}

/* The ustar header of libarchive's template, for a plain name. */
static int
plain_header(struct tarw *t, const char *name, size_t n, size_t len)
{
	char h[TARW_BLOCK];
	unsigned long sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	memcpy(h, name, n);
	memcpy(h + 100, "000644 ", 8);		/* mode, and its NUL */
	memcpy(h + 108, "000000 ", 8);		/* uid */
	memcpy(h + 116, "000000 ", 8);		/* gid */
	octal(h + 124, 11, len);
	h[135] = ' ';
	octal(h + 136, 11, 0);			/* mtime */
	h[147] = ' ';
	memset(h + 148, ' ', 8);		/* checksum, summed as spaces */
	h[156] = '0';				/* a regular file */
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 329, "000000 ", 8);		/* devmajor */
	memcpy(h + 337, "000000 ", 8);		/* devminor */
	for (i = 0; i < sizeof(h); i++)
		sum += (unsigned char)h[i];
	octal(h + 148, 6, sum);
	h[154] = '\0';
	return out_put(t, h, sizeof(h));
}

/* The rest of the current file (zeros, as libarchive pads) and its pad. */
static int
end_entry(struct tarw *t)
{
	size_t n = t->left + t->pad;

	t->left = t->pad = 0;
	return out_put(t, NULL, n);
}

int
tarw_header(struct tarw *t, const char *name, size_t len)
{
	size_t n = strlen(name);

	if (t->gz)
		return la_header(t, name, len);
	if (end_entry(t) == -1)
		return -1;
	if ((plain(name, n, len) ? plain_header(t, name, n, len) :
	    la_header(t, name, len)) == -1)
		return -1;
	t->left = len;
	t->pad = (TARW_BLOCK - len % TARW_BLOCK) % TARW_BLOCK;
	return 0;
}

int
tarw_data(struct tarw *t, const void *data, size_t len)
{
	if (t->gz) {
		if (len > 0 && archive_write_data(t->a, data, len) !=
		    (la_ssize_t)len) {
			if (!t->failed)	/* else the write logged it */
				log_errx("%s: %s", t->what,
				    archive_error_string(t->a));
			return -1;
		}
		return 0;
	}
	if (len > t->left) {
		log_errx("%s: %zu bytes more than the file's header says",
		    t->what, len - t->left);
		return -1;
	}
	t->left -= len;
	return out_put(t, data, len);
}

int
tarw_close(struct tarw *t)
{
	if (t->gz) {
		if (archive_write_close(t->a) != ARCHIVE_OK) {
			if (!t->failed)	/* else the write logged it */
				log_errx("%s: %s", t->what,
				    archive_error_string(t->a));
			return -1;
		}
		return 0;
	}
	/* The end: two blocks of zeros, the last block not padded. */
	if (end_entry(t) == -1 || out_put(t, NULL, 2 * TARW_BLOCK) == -1)
		return -1;
	return out_flush(t);
}

void
tarw_free(struct tarw *t)
{
	if (t == NULL)
		return;
	t->capture = false;
	if (t->a != NULL)
		archive_write_free(t->a);
	archive_entry_free(t->e);
	free(t->buf);
	free(t);
}
