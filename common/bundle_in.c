/*
 * Bundle reader: one bounded pass over a directory or .tar(.gz) that checks
 * every file's SHA-256 against the manifest, then files read on demand.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_int.h"
#include "fsio.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

/* Bytes hashed or copied at a time; libarchive's reads from the file. */
#define IN_CHUNK	(1024 * 1024)
#define IN_BLOCK	(64 * 1024)

/* How a pass keeps an archive's files. */
enum in_mode {
	IN_MEM,			/* copies (bundle_parse_archive) */
	IN_TAR,			/* offsets in the uncompressed archive */
	IN_SPOOL		/* decompressed into an unlinked spool file */
};

struct in_pass {
	struct bundle *b;
	struct archive *a;
	const char *what;	/* the bundle, for messages */
	enum in_mode mode;
	int	 fd;		/* IN_TAR: the archive; -1 */
	long long size;		/* IN_TAR: its bytes */
	int	 spool;		/* IN_SPOOL: -1 before a file */
	long long spool_len;
	char	*buf;		/* IN_CHUNK bytes */
	size_t	 total;		/* bytes of the files so far */
};

void
bundle_src_free(struct bundle_src *s)
{
	if (s == NULL)
		return;
	if (s->fd != -1)
		(void)close(s->fd);
	free(s->path);
	free(s);
}

static struct bundle_src *
src_new(const char *path, int fd)
{
	struct bundle_src *s = xcalloc(1, sizeof(*s));

	s->path = xstrdup(path);
	s->fd = fd;
	return s;
}

/*
 * Read exactly len bytes at off into buf, hashing them into d when d is
 * not NULL. -1 (logged, naming the file) on an error or a short read.
 */
int
bundle_read_at(int fd, char *buf, size_t len, long long off, struct digest *d,
    const char *what, const char *name)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + (d != NULL ? 0 : got), d != NULL &&
		    len - got > IN_CHUNK ? IN_CHUNK : len - got,
		    (off_t)(off + (long long)got));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_err("%s: %s: read", what, name);
			return -1;
		}
		if (n == 0) {
			log_errx("%s: %s: truncated: %zu of %zu bytes", what,
			    name, got, len);
			return -1;
		}
		if (d != NULL && digest_update(d, buf, (size_t)n) == -1)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* Write all of buf to the spool at its end. */
static int
spool_put(struct in_pass *p, const char *buf, size_t len, const char *name)
{
	size_t put = 0;
	ssize_t n;

	while (put < len) {
		n = pwrite(p->spool, buf + put, len - put,
		    (off_t)(p->spool_len + (long long)put));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_err("%s: %s: writing the spool file", p->what,
			    name);
			return -1;
		}
		put += (size_t)n;
	}
	p->spool_len += (long long)len;
	return 0;
}

/*
 * An unlinked file for a compressed archive's files: beside the archive
 * (its folder holds the journal anyway), else in $TMPDIR or /tmp.
 */
static int
spool_open(struct in_pass *p)
{
	const char *tmpdir = getenv("TMPDIR");
	const char *slash = strrchr(p->what, '/');
	char *dirs[2], *t;
	int i, fd = -1;

	dirs[0] = slash == NULL ? xstrdup(".") : slash == p->what ?
	    xstrdup("/") : xasprintf("%.*s", (int)(slash - p->what), p->what);
	dirs[1] = xstrdup(tmpdir != NULL && tmpdir[0] != '\0' ? tmpdir :
	    "/tmp");
	for (i = 0; i < 2 && fd == -1; i++) {
		t = xasprintf("%s/.f2o-read.XXXXXX", dirs[i]);
		fd = mkstemp(t);
		if (fd != -1)
			(void)unlink(t);
		free(t);
	}
	if (fd == -1)
		log_err("%s: a spool file in %s or %s", p->what, dirs[0],
		    dirs[1]);
	free(dirs[0]);
	free(dirs[1]);
	p->spool = fd;
	return fd == -1 ? -1 : 0;
}

/* The current entry's data, size bytes, into a new NUL-terminated buffer. */
static char *
entry_copy(struct in_pass *p, const char *name, size_t size)
{
	char *data = xmalloc(size + 1);
	size_t got = 0;
	la_ssize_t n;

	while (got < size) {
		n = archive_read_data(p->a, data + got, size - got);
		if (n <= 0) {
			log_errx("%s: %s: truncated entry: %s", p->what, name,
			    archive_error_string(p->a));
			free(data);
			return NULL;
		}
		got += (size_t)n;
	}
	data[size] = '\0';
	return data;
}

/*
 * Hash the current entry, size bytes, and say where its bytes stay: in
 * the archive (*off: where libarchive stands, the data following the
 * header; read back with pread, so the digest is that of the bytes
 * bundle_read will give) or in the spool.
 */
static int
entry_hash(struct in_pass *p, struct digest *d, const char *name,
    size_t size, long long *off)
{
	size_t got = 0;
	la_ssize_t n;

	if (p->mode == IN_TAR) {
		*off = (long long)archive_filter_bytes(p->a, 0);
		if (*off < 0 || *off > p->size ||
		    (long long)size > p->size - *off) {
			log_errx("%s: %s: truncated entry", p->what, name);
			return -1;
		}
		if (bundle_read_at(p->fd, p->buf, size, *off, d, p->what,
		    name) == -1)
			return -1;
		if (archive_read_data_skip(p->a) != ARCHIVE_OK) {
			log_errx("%s: %s: damaged archive: %s", p->what, name,
			    archive_error_string(p->a));
			return -1;
		}
		return 0;
	}
	if (p->spool == -1 && spool_open(p) == -1)
		return -1;
	*off = p->spool_len;
	while (got < size) {
		n = archive_read_data(p->a, p->buf, size - got > IN_CHUNK ?
		    IN_CHUNK : size - got);
		if (n <= 0) {
			log_errx("%s: %s: truncated entry: %s", p->what, name,
			    archive_error_string(p->a));
			return -1;
		}
		if (digest_update(d, p->buf, (size_t)n) == -1 ||
		    spool_put(p, p->buf, (size_t)n, name) == -1)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

/* One entry: manifest.json into memory, any other file per p->mode. */
static int
take_entry(struct in_pass *p, const char *name, size_t size)
{
	struct bundle *b = p->b;
	struct bundle_file *f;
	struct digest d;
	long long off = 0;
	char *data;
	int rc;

	if (strcmp(name, BUNDLE_MANIFEST) == 0 || p->mode == IN_MEM) {
		if (strcmp(name, BUNDLE_MANIFEST) == 0 && b->manifest != NULL) {
			log_errx("%s: two %s entries", p->what,
			    BUNDLE_MANIFEST);
			return -1;
		}
		if (bundle_find(b, name) != NULL) {
			log_errx("%s: entry \"%s\" appears twice", p->what,
			    name);
			return -1;
		}
		if ((data = entry_copy(p, name, size)) == NULL)
			return -1;
		if (strcmp(name, BUNDLE_MANIFEST) == 0) {
			b->manifest = data;
			b->manifest_len = size;
			return 0;
		}
		rc = bundle_add_raw(b, p->what, name, data, size);
		free(data);
		return rc;
	}
	if (bundle_find(b, name) != NULL) {
		log_errx("%s: entry \"%s\" appears twice", p->what, name);
		return -1;
	}
	if ((f = bundle_entry(b, p->what, name, size)) == NULL ||
	    digest_begin(&d) == -1)
		return -1;
	if (entry_hash(p, &d, name, size, &off) == -1) {
		digest_abort(&d);
		return -1;
	}
	if (digest_end(&d, f->sha256) == -1)
		return -1;
	f->off = off;
	bundle_entry_commit(b, f, name);
	return 0;
}

/* Every entry of p->a, whatever mode p is in (IN_TAR may become IN_SPOOL). */
static int
read_entries(struct in_pass *p)
{
	struct archive_entry *e;
	const char *name;
	la_int64_t size;
	int r;

	for (;;) {
		r = archive_read_next_header(p->a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK) {
			log_errx("%s: damaged archive: %s", p->what,
			    archive_error_string(p->a));
			return -1;
		}
		/* Compressed: no offsets to seek to, so a spool. */
		if (p->mode == IN_TAR &&
		    archive_filter_code(p->a, 0) != ARCHIVE_FILTER_NONE)
			p->mode = IN_SPOOL;
		name = archive_entry_pathname(e);
		/* Directory entries (a bundle tarred by hand) carry nothing. */
		if (name != NULL && archive_entry_filetype(e) == AE_IFDIR &&
		    fsio_safe_relpath_dir(name))
			continue;
		if (name == NULL || archive_entry_filetype(e) != AE_IFREG) {
			log_errx("%s: entry \"%s\" is not a regular file",
			    p->what, name != NULL ? name : "(unnamed)");
			return -1;
		}
		if (archive_entry_sparse_count(e) > 0) {
			log_errx("%s: entry \"%s\" is a sparse file", p->what,
			    name);
			return -1;
		}
		size = archive_entry_size(e);
		if (size < 0 || (unsigned long)size > BUNDLE_MAX_FILE ||
		    p->total + (size_t)size > BUNDLE_MAX_TOTAL) {
			log_errx("%s: entry \"%s\" is too large", p->what,
			    name);
			return -1;
		}
		if (take_entry(p, name, (size_t)size) == -1)
			return -1;
		p->total += (size_t)size;
	}
}

/*
 * $.files, manifest bytes [v, vend): every name a file of b (marked
 * listed, once) with its SHA-256. Read a member at a time: no tree of
 * 3.5 million names.
 */
static int
check_files(struct bundle *b, const char *what, size_t v, size_t vend)
{
	struct json_iter it;
	struct bundle_file *f;
	cJSON *val = NULL;
	char hex[DIGEST_HEX_LEN + 1];
	char *key = NULL;
	size_t s, e, at;
	int r, rc = -1;

	if (json_iter_object(&it, b->manifest, vend, v) == -1) {
		log_errx("%s: %s: $.files must be an object", what,
		    BUNDLE_MANIFEST);
		return -1;
	}
	while ((r = json_iter_member(&it, &key, &s, &e)) == 1) {
		val = cJSON_ParseWithLength(b->manifest + s, e - s);
		if (!cJSON_IsString(val)) {
			log_errx("%s: %s: $.files.%s must be a string", what,
			    BUNDLE_MANIFEST, key);
			goto out;
		}
		f = hashmap_get(&b->names, key, &at) ? &b->files[at] : NULL;
		if (f == NULL) {
			log_errx("%s: %s is listed in the manifest but missing "
			    "from the bundle", what, key);
			goto out;
		}
		digest_hex(hex, f->sha256);
		if (strcmp(hex, val->valuestring) != 0) {
			log_errx("%s: %s was changed after the bundle was made "
			    "(SHA-256 %s, manifest says %s)", what, key,
			    hex, val->valuestring);
			goto out;
		}
		/* Twice would hide a file not listed at all. */
		if (f->listed) {
			log_errx("%s: manifest lists %s twice", what, key);
			goto out;
		}
		f->listed = true;
		cJSON_Delete(val);
		val = NULL;
		free(key);
		key = NULL;
	}
	if (r == -1 || json_skip_ws(b->manifest, vend, it.i) != vend) {
		log_errx("%s: %s is not a JSON object", what, BUNDLE_MANIFEST);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(val);
	free(key);
	return rc;
}

/*
 * The manifest, read a member at a time into b->meta ($.files checked
 * against the files, never kept: their digests are in b->files).
 */
static int
verify(struct bundle *b, const char *what)
{
	const cJSON *fmt, *ver;
	struct json_iter it;
	cJSON *val;
	char *key = NULL;
	size_t i, v, vend, fv = 0, fvend = 0;
	bool files = false;
	int r;

	if (b->manifest == NULL) {
		log_errx("%s: no %s: not an f2o bundle", what,
		    BUNDLE_MANIFEST);
		return -1;
	}
	b->meta = cJSON_CreateObject();
	if (memchr(b->manifest, '\0', b->manifest_len) != NULL ||
	    json_iter_object(&it, b->manifest, b->manifest_len, 0) == -1)
		goto notobj;
	while ((r = json_iter_member(&it, &key, &v, &vend)) == 1) {
		if (strcmp(key, "files") == 0 && !files) {
			files = true;
			fv = v;
			fvend = vend;
		} else {
			val = cJSON_ParseWithLength(b->manifest + v, vend - v);
			if (val == NULL)
				goto notobj;
			cJSON_AddItemToObject(b->meta, key, val);
		}
		free(key);
		key = NULL;
	}
	if (r == -1 || json_skip_ws(b->manifest, b->manifest_len, it.i) !=
	    b->manifest_len)
		goto notobj;
	fmt = cJSON_GetObjectItemCaseSensitive(b->meta, "format");
	ver = cJSON_GetObjectItemCaseSensitive(b->meta, "formatVersion");
	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring,
	    BUNDLE_FORMAT) != 0) {
		log_errx("%s: %s: $.format is not \"%s\": not an f2o bundle",
		    what, BUNDLE_MANIFEST, BUNDLE_FORMAT);
		return -1;
	}
	if (!cJSON_IsNumber(ver) || ver->valuedouble != BUNDLE_FORMAT_VERSION) {
		log_errx("%s: %s: $.formatVersion: this f2o reads version %d "
		    "only", what, BUNDLE_MANIFEST, BUNDLE_FORMAT_VERSION);
		return -1;
	}
	if (!files) {
		log_errx("%s: %s: $.files must be an object", what,
		    BUNDLE_MANIFEST);
		return -1;
	}
	if (check_files(b, what, fv, fvend) == -1)
		return -1;
	for (i = 0; i < b->nfiles; i++)
		if (!b->files[i].listed) {
			log_errx("%s: %s is not listed in the manifest (added "
			    "after the bundle was made?)", what,
			    b->files[i].name);
			return -1;
		}
	bundle_sort_files(b);
	if (digest_sha256_hex(b->digest, b->manifest, b->manifest_len) == -1)
		return -1;
	/* Its members are in b->meta, its files' digests in b->files. */
	free(b->manifest);
	b->manifest = NULL;
	return 0;
notobj:
	free(key);
	log_errx("%s: %s is not a JSON object", what, BUNDLE_MANIFEST);
	return -1;
}

int
bundle_parse_archive(struct bundle **out, const char *what, const void *buf,
    size_t len)
{
	struct in_pass p;
	int rc = -1;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.b = bundle_new();
	p.a = archive_read_new();
	p.what = what;
	p.mode = IN_MEM;
	p.fd = p.spool = -1;
	if (archive_read_support_format_tar(p.a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(p.a) != ARCHIVE_OK ||
	    archive_read_open_memory(p.a, buf, len) != ARCHIVE_OK) {
		log_errx("%s: not a tar or tar.gz archive: %s", what,
		    archive_error_string(p.a));
		goto out;
	}
	if (read_entries(&p) == -1 || verify(p.b, what) == -1)
		goto out;
	*out = p.b;
	p.b = NULL;
	rc = 0;
out:
	bundle_free(p.b);
	archive_read_free(p.a);
	return rc;
}

/* The archive at path, read in one pass (module comment of bundle_load). */
static int
load_archive(struct bundle **out, const char *path)
{
	struct in_pass p;
	struct stat st;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	p.what = path;
	p.mode = IN_TAR;
	p.spool = -1;
	p.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p.fd == -1) {
		log_err("%s", path);
		return -1;
	}
	if (fstat(p.fd, &st) == -1) {
		log_err("%s", path);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		log_errx("%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > BUNDLE_MAX_TOTAL) {
		log_errx("%s: file is %lld bytes, more than the limit of %lu",
		    path, (long long)st.st_size, BUNDLE_MAX_TOTAL);
		goto out;
	}
	p.size = (long long)st.st_size;
	p.b = bundle_new();
	p.a = archive_read_new();
	p.buf = xmalloc(IN_CHUNK);
	if (archive_read_support_format_tar(p.a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(p.a) != ARCHIVE_OK ||
	    archive_read_open_fd(p.a, p.fd, IN_BLOCK) != ARCHIVE_OK) {
		log_errx("%s: not a tar or tar.gz archive: %s", path,
		    archive_error_string(p.a));
		goto out;
	}
	if (read_entries(&p) == -1 || verify(p.b, path) == -1)
		goto out;
	/* Keep what the files are read from; close the other. */
	if (p.mode == IN_SPOOL) {
		p.b->src = src_new(path, p.spool);
		p.spool = -1;
	} else {
		p.b->src = src_new(path, p.fd);
		p.fd = -1;
	}
	*out = p.b;
	p.b = NULL;
	rc = 0;
out:
	bundle_free(p.b);
	if (p.a != NULL)
		archive_read_free(p.a);
	if (p.fd != -1)
		(void)close(p.fd);
	if (p.spool != -1)
		(void)close(p.spool);
	free(p.buf);
	return rc;
}

/* Hash the regular file full (a directory bundle's rel) into a new entry. */
static int
take_file(struct bundle *b, const char *root, const char *rel,
    const char *full, size_t *total, char *buf)
{
	struct bundle_file *f;
	struct digest d;
	struct stat st;
	int fd, rc = -1;

	if (strcmp(rel, BUNDLE_MANIFEST) == 0)
		return fsio_read_bounded(&b->manifest, &b->manifest_len, full,
		    BUNDLE_MAX_FILE);
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 || fstat(fd, &st) == -1) {
		log_err("%s", full);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0) {
		log_errx("%s: not a regular file", full);
		goto out;
	}
	if ((*total += (size_t)st.st_size) > BUNDLE_MAX_TOTAL) {
		log_errx("%s: bundle larger than %lu bytes", root,
		    BUNDLE_MAX_TOTAL);
		goto out;
	}
	if ((f = bundle_entry(b, root, rel, (size_t)st.st_size)) == NULL ||
	    digest_begin(&d) == -1)
		goto out;
	if (bundle_read_at(fd, buf, f->len, 0, &d, root, rel) == -1) {
		digest_abort(&d);
		goto out;
	}
	if (digest_end(&d, f->sha256) == -1)
		goto out;
	bundle_entry_commit(b, f, rel);
	rc = 0;
out:
	if (fd != -1)
		(void)close(fd);
	return rc;
}

static int
walk_dir(struct bundle *b, const char *root, const char *rel, size_t *total,
    char *buf)
{
	char *dirpath = rel[0] == '\0' ? xstrdup(root) :
	    xasprintf("%s/%s", root, rel);
	struct dirent *de;
	DIR *d;
	int rc = -1;

	d = opendir(dirpath);
	if (d == NULL) {
		log_err("%s", dirpath);
		free(dirpath);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *r, *full;
		struct stat st;
		int ok;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		r = rel[0] == '\0' ? xstrdup(de->d_name) :
		    xasprintf("%s/%s", rel, de->d_name);
		full = xasprintf("%s/%s", root, r);
		ok = lstat(full, &st) == 0;
		if (ok && S_ISDIR(st.st_mode))
			ok = walk_dir(b, root, r, total, buf) == 0;
		else if (ok && S_ISREG(st.st_mode))
			ok = take_file(b, root, r, full, total, buf) == 0;
		else {
			log_errx("%s: %s is not a regular file or directory",
			    root, r);
			ok = 0;
		}
		free(r);
		free(full);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	closedir(d);
	free(dirpath);
	return rc;
}

int
bundle_load(struct bundle **out, const char *path)
{
	struct bundle *b;
	size_t total = 0;
	char *buf;
	int rc;

	*out = NULL;
	if (!fsio_is_dir(path))
		return load_archive(out, path);
	b = bundle_new();
	buf = xmalloc(IN_CHUNK);
	rc = walk_dir(b, path, "", &total, buf);
	free(buf);
	if (rc == 0)
		rc = verify(b, path);
	if (rc == 0) {
		b->src = src_new(path, -1);
		*out = b;
		return 0;
	}
	bundle_free(b);
	return -1;
}
