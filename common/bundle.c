/*
 * Bundle writer and reader: a directory or .tar(.gz) of manifest.json and
 * the files it lists with their SHA-256. See bundle.h and BUNDLE.md.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "fsio.h"
#include "jsonutil.h"
#include "log.h"
#include "xalloc.h"

struct bundle *
bundle_new(void)
{
	struct bundle *b = xcalloc(1, sizeof(struct bundle));

	hashmap_init(&b->names);
	return b;
}

void
bundle_free(struct bundle *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->nfiles; i++) {
		free(b->files[i].name);
		free(b->files[i].data);
	}
	free(b->files);
	hashmap_cleanup(&b->names);
	free(b->manifest);
	cJSON_Delete(b->meta);
	free(b);
}

const struct bundle_file *
bundle_find(const struct bundle *b, const char *name)
{
	size_t i;

	if (hashmap_get(&b->names, name, &i))
		return &b->files[i];
	return NULL;
}

static int
add_raw(struct bundle *b, const char *what, const char *name,
    const void *data, size_t len)
{
	struct bundle_file *f;

	if (!fsio_safe_relpath(name)) {
		log_errx("%s: unsafe file name in bundle: \"%s\"", what, name);
		return -1;
	}
	if (b->nfiles >= BUNDLE_MAX_ENTRIES) {
		log_errx("%s: more than %d files", what, BUNDLE_MAX_ENTRIES);
		return -1;
	}
	if (len > BUNDLE_MAX_FILE) {
		log_errx("%s: %s: %zu bytes, over the limit of %lu", what,
		    name, len, BUNDLE_MAX_FILE);
		return -1;
	}
	if (b->nfiles == b->cap) {
		b->cap = b->cap == 0 ? 64 : b->cap * 2;
		b->files = xreallocarray(b->files, b->cap, sizeof(*b->files));
	}
	f = &b->files[b->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(name);
	f->data = xmalloc(len + 1);
	if (len > 0)
		memcpy(f->data, data, len);
	f->data[len] = '\0';
	f->len = len;
	if (digest_sha256_hex(f->sha256, f->data, len) == -1) {
		free(f->name);
		free(f->data);
		return -1;
	}
	hashmap_put(&b->names, f->name, b->nfiles);
	b->nfiles++;
	return 0;
}

int
bundle_add(struct bundle *b, const char *name, const void *data, size_t len)
{
	if (strcmp(name, BUNDLE_MANIFEST) == 0 || bundle_find(b, name) != NULL) {
		log_errx("bundle: file \"%s\" added twice", name);
		return -1;
	}
	return add_raw(b, "bundle", name, data, len);
}

int
bundle_add_json(struct bundle *b, const char *name, const cJSON *item)
{
	char *s = json_print(item);
	int rc = bundle_add(b, name, s, strlen(s));

	free(s);
	return rc;
}

static int
cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct bundle_file *)a)->name,
	    ((const struct bundle_file *)b)->name);
}

/* Sort the files by name and index them again. */
static void
sort_files(struct bundle *b)
{
	size_t i;

	qsort(b->files, b->nfiles, sizeof(*b->files), cmp_files);
	for (i = 0; i < b->nfiles; i++)
		hashmap_put(&b->names, b->files[i].name, i);
}

int
bundle_seal(struct bundle *b, cJSON *meta)
{
	cJSON *m = cJSON_CreateObject(), *files, *c;
	size_t i;

	json_add_str(m, "format", BUNDLE_FORMAT);
	json_add_num(m, "formatVersion", BUNDLE_FORMAT_VERSION);
	if (meta != NULL) {
		while ((c = meta->child) != NULL) {
			cJSON_DetachItemViaPointer(meta, c);
			cJSON_AddItemToObject(m, c->string, c);
			/* AddItemToObject copied the key; drop the original. */
		}
		cJSON_Delete(meta);
	}
	sort_files(b);
	files = cJSON_AddObjectToObject(m, "files");
	for (i = 0; i < b->nfiles; i++)
		json_add_str(files, b->files[i].name, b->files[i].sha256);
	free(b->manifest);
	b->manifest = json_print(m);
	b->manifest_len = strlen(b->manifest);
	cJSON_Delete(b->meta);
	b->meta = m;
	return digest_sha256_hex(b->digest, b->manifest, b->manifest_len);
}

/* ---- writing ---- */

/*
 * Files go into a fresh temporary directory that is renamed into place
 * afterwards, so each file is simply created; one syncfs makes the whole
 * tree durable before the rename.
 */
static int
write_dir(const struct bundle *b, const char *dir)
{
	size_t i;

	if (fsio_write_new(dir, BUNDLE_MANIFEST, b->manifest,
	    b->manifest_len) == -1)
		return -1;
	for (i = 0; i < b->nfiles; i++) {
		const struct bundle_file *f = &b->files[i];
		char *full = xasprintf("%s/%s", dir, f->name);
		char *slash = strrchr(full, '/');
		int rc;

		*slash = '\0';
		rc = fsio_mkdir_p(full);
		if (rc == 0)
			rc = fsio_write_new(full, slash + 1, f->data, f->len);
		free(full);
		if (rc == -1)
			return -1;
	}
	return fsio_sync_tree(dir);
}

static int
tar_entry(struct archive *a, const char *name, const char *data, size_t len)
{
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		log_errx("tar: %s: %s", name, archive_error_string(a));
		goto out;
	}
	if (len > 0 && archive_write_data(a, data, len) != (la_ssize_t)len) {
		log_errx("tar: %s: %s", name, archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	archive_entry_free(e);
	return rc;
}

static int
write_tar(const struct bundle *b, int fd, const char *what, bool gz)
{
	struct archive *a = archive_write_new();
	size_t i;
	int rc = -1;

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    (gz && (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "gzip:!timestamp") != ARCHIVE_OK)) ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		log_errx("%s: %s", what, archive_error_string(a));
		goto out;
	}
	/* manifest.json first, then the files in name order. */
	if (tar_entry(a, BUNDLE_MANIFEST, b->manifest, b->manifest_len) == -1)
		goto out;
	for (i = 0; i < b->nfiles; i++)
		if (tar_entry(a, b->files[i].name, b->files[i].data,
		    b->files[i].len) == -1)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		log_errx("%s: %s", what, archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	archive_write_free(a);
	return rc;
}

static bool
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

static char *
parent_dir(const char *path)
{
	char *p = xstrdup(path), *s = strrchr(p, '/');

	if (s == NULL) {
		free(p);
		return xstrdup(".");
	}
	if (s == p)
		s[1] = '\0';
	else
		*s = '\0';
	return p;
}

int
bundle_write(const struct bundle *b, const char *path, bool force)
{
	char *tmp = NULL, *old = NULL, *parent = NULL;
	struct stat st;
	int fd = -1, rc = -1;
	bool gz = ends_with(path, ".tar.gz") || ends_with(path, ".tgz");
	bool tar = gz || ends_with(path, ".tar");

	if (b->manifest == NULL) {
		log_errx("bundle: not sealed");
		return -1;
	}
	parent = parent_dir(path);
	if (tar) {
		struct fsio_atomic a;

		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			log_errx("%s: is a directory", path);
			goto out;
		}
		if (fsio_atomic_open(&a, path) == -1)
			goto out;
		if (write_tar(b, a.fd, path, gz) == -1) {
			fsio_atomic_abort(&a);
			goto out;
		}
		rc = fsio_atomic_commit(&a);
		goto out;
	}

	/* Directory: build beside the target, then rename into place. */
	if (lstat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			log_errx("%s: exists and is not a directory", path);
			goto out;
		}
		if (!force) {
			log_errx("%s: already exists (use --force to replace "
			    "it)", path);
			goto out;
		}
	}
	tmp = xasprintf("%s.tmp-XXXXXX", path);
	if (mkdtemp(tmp) == NULL) {
		log_err("%s", tmp);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (chmod(tmp, 0755) == -1) {
		log_err("chmod %s", tmp);
		goto out;
	}
	if (write_dir(b, tmp) == -1)
		goto out;
	if (lstat(path, &st) == 0) {
		old = xasprintf("%s.old-XXXXXX", path);
		if (mkdtemp(old) == NULL || rmdir(old) == -1 ||
		    rename(path, old) == -1) {
			log_err("cannot move %s aside", path);
			free(old);
			old = NULL;
			goto out;
		}
	}
	if (rename(tmp, path) == -1) {
		log_err("rename %s to %s", tmp, path);
		if (old != NULL && rename(old, path) == 0) {
			free(old);
			old = NULL;
		}
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (fsio_fsync_dir(parent) == -1)
		goto out;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (tmp != NULL) {
		fsio_remove_tree(tmp);
		free(tmp);
	}
	if (old != NULL) {
		if (rc == 0)
			fsio_remove_tree(old);
		free(old);
	}
	free(parent);
	return rc;
}

/* ---- reading ---- */

static int
verify(struct bundle *b, const char *what)
{
	const cJSON *files, *fmt, *ver, *c;
	size_t i, listed = 0;

	b->meta = json_parse_quiet(b->manifest, b->manifest_len);
	if (!cJSON_IsObject(b->meta)) {
		log_errx("%s: %s is not a JSON object", what, BUNDLE_MANIFEST);
		return -1;
	}
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
	files = cJSON_GetObjectItemCaseSensitive(b->meta, "files");
	if (!cJSON_IsObject(files)) {
		log_errx("%s: %s: $.files must be an object", what,
		    BUNDLE_MANIFEST);
		return -1;
	}
	cJSON_ArrayForEach(c, files) {
		const struct bundle_file *f;

		if (!cJSON_IsString(c)) {
			log_errx("%s: %s: $.files.%s must be a string", what,
			    BUNDLE_MANIFEST, c->string);
			return -1;
		}
		f = bundle_find(b, c->string);
		if (f == NULL) {
			log_errx("%s: %s is listed in the manifest but missing "
			    "from the bundle", what, c->string);
			return -1;
		}
		if (strcmp(f->sha256, c->valuestring) != 0) {
			log_errx("%s: %s was changed after the bundle was made "
			    "(SHA-256 %s, manifest says %s)", what, c->string,
			    f->sha256, c->valuestring);
			return -1;
		}
		listed++;
	}
	if (listed != b->nfiles) {
		for (i = 0; i < b->nfiles; i++)
			if (cJSON_GetObjectItemCaseSensitive(files,
			    b->files[i].name) == NULL) {
				log_errx("%s: %s is not listed in the manifest "
				    "(added after the bundle was made?)", what,
				    b->files[i].name);
				return -1;
			}
		log_errx("%s: manifest lists a file twice", what);
		return -1;
	}
	sort_files(b);
	return digest_sha256_hex(b->digest, b->manifest, b->manifest_len);
}

static int
take_entry(struct bundle *b, const char *what, const char *name,
    const char *data, size_t len)
{
	if (strcmp(name, BUNDLE_MANIFEST) == 0) {
		if (b->manifest != NULL) {
			log_errx("%s: two %s entries", what, BUNDLE_MANIFEST);
			return -1;
		}
		b->manifest = xmalloc(len + 1);
		memcpy(b->manifest, data, len);
		b->manifest[len] = '\0';
		b->manifest_len = len;
		return 0;
	}
	if (bundle_find(b, name) != NULL) {
		log_errx("%s: entry \"%s\" appears twice", what, name);
		return -1;
	}
	return add_raw(b, what, name, data, len);
}

int
bundle_parse_archive(struct bundle **out, const char *what, const void *buf,
    size_t len)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct bundle *b = bundle_new();
	char *data = NULL;
	size_t total = 0;
	int r, rc = -1;

	*out = NULL;
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
		log_errx("%s: not a tar or tar.gz archive: %s", what,
		    archive_error_string(a));
		goto out;
	}
	for (;;) {
		const char *name;
		la_int64_t size;
		la_ssize_t n;
		size_t got = 0;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			log_errx("%s: damaged archive: %s", what,
			    archive_error_string(a));
			goto out;
		}
		name = archive_entry_pathname(e);
		/* Directory entries (a bundle tarred by hand) carry nothing. */
		if (name != NULL && archive_entry_filetype(e) == AE_IFDIR &&
		    fsio_safe_relpath_dir(name))
			continue;
		if (name == NULL || archive_entry_filetype(e) != AE_IFREG) {
			log_errx("%s: entry \"%s\" is not a regular file", what,
			    name != NULL ? name : "(unnamed)");
			goto out;
		}
		size = archive_entry_size(e);
		if (size < 0 || (unsigned long)size > BUNDLE_MAX_FILE ||
		    total + (size_t)size > BUNDLE_MAX_TOTAL) {
			log_errx("%s: entry \"%s\" is too large", what, name);
			goto out;
		}
		data = xmalloc((size_t)size + 1);
		while (got < (size_t)size) {
			n = archive_read_data(a, data + got, (size_t)size - got);
			if (n <= 0) {
				log_errx("%s: %s: truncated entry: %s", what,
				    name, archive_error_string(a));
				goto out;
			}
			got += (size_t)n;
		}
		total += got;
		if (take_entry(b, what, name, data, got) == -1)
			goto out;
		free(data);
		data = NULL;
	}
	if (b->manifest == NULL) {
		log_errx("%s: no %s: not an f2o bundle", what, BUNDLE_MANIFEST);
		goto out;
	}
	if (verify(b, what) == -1)
		goto out;
	*out = b;
	b = NULL;
	rc = 0;
out:
	free(data);
	bundle_free(b);
	archive_read_free(a);
	return rc;
}

static int
walk_dir(struct bundle *b, const char *root, const char *rel, size_t *total)
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
		char *r, *full, *data = NULL;
		struct stat st;
		size_t len;
		int ok;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		r = rel[0] == '\0' ? xstrdup(de->d_name) :
		    xasprintf("%s/%s", rel, de->d_name);
		full = xasprintf("%s/%s", root, r);
		ok = lstat(full, &st) == 0;
		if (ok && S_ISDIR(st.st_mode))
			ok = walk_dir(b, root, r, total) == 0;
		else if (ok && S_ISREG(st.st_mode)) {
			ok = fsio_read_bounded(&data, &len, full,
			    BUNDLE_MAX_FILE) == 0;
			if (ok && (*total += len) > BUNDLE_MAX_TOTAL) {
				log_errx("%s: bundle larger than %lu bytes",
				    root, BUNDLE_MAX_TOTAL);
				ok = 0;
			}
			if (ok)
				ok = take_entry(b, root, r, data, len) == 0;
			free(data);
		} else {
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
	struct bundle *b = NULL;
	char *buf = NULL;
	size_t len, total = 0;
	int rc = -1;

	*out = NULL;
	if (fsio_is_dir(path)) {
		b = bundle_new();
		if (walk_dir(b, path, "", &total) == -1)
			goto out;
		if (b->manifest == NULL) {
			log_errx("%s: no %s: not an f2o bundle", path,
			    BUNDLE_MANIFEST);
			goto out;
		}
		if (verify(b, path) == -1)
			goto out;
		*out = b;
		b = NULL;
		rc = 0;
		goto out;
	}
	if (fsio_read_bounded(&buf, &len, path, BUNDLE_MAX_TOTAL) == -1)
		goto out;
	rc = bundle_parse_archive(out, path, buf, len);
out:
	free(buf);
	bundle_free(b);
	return rc;
}

cJSON *
bundle_json(const struct bundle *b, const char *name)
{
	const struct bundle_file *f = bundle_find(b, name);
	cJSON *j = NULL;

	if (f == NULL) {
		log_errx("bundle: %s is missing", name);
		return NULL;
	}
	if (json_parse(&j, name, f->data, f->len) == -1)
		return NULL;
	return j;
}
