/*
 * Bundle model: a directory or .tar(.gz) of manifest.json and the files it
 * lists with their SHA-256 (reader: bundle_in.c, writers: bundle_out.c).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "bundle_int.h"
#include "fsio.h"
#include "jsonutil.h"
#include "log.h"
#include "strbuf.h"
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
	for (i = 0; b->list == NULL && i < b->nfiles; i++)
		free(b->files[i].data);	/* names: kept by b->names */
	free(b->files);
	hashmap_cleanup(&b->names);
	bundle_list_free(b->list);
	bundle_out_free(b->out);
	bundle_src_free(b->src);
	free(b->manifest);
	strbuf_cleanup(b->head);
	free(b->head);
	free(b->jtext);
	cJSON_Delete(b->meta);
	free(b);
}

const struct bundle_file *
bundle_find(const struct bundle *b, const char *name)
{
	size_t i;

	if (b->list != NULL)
		return bundle_list_find(b->list, name);
	if (hashmap_get(&b->names, name, &i))
		return &b->files[i];
	return NULL;
}

void
bundle_forget_names(struct bundle *b)
{
	if (b->list != NULL)
		bundle_list_forget(b->list);
}

struct bundle_file *
bundle_entry(struct bundle *b, const char *what, const char *name,
    size_t len)
{
	struct bundle_file *f;

	if (!fsio_safe_relpath(name)) {
		log_errx("%s: unsafe file name in bundle: \"%s\"", what, name);
		return NULL;
	}
	if (b->nfiles >= BUNDLE_MAX_ENTRIES) {
		log_errx("%s: more than %d files", what, BUNDLE_MAX_ENTRIES);
		return NULL;
	}
	if (len > BUNDLE_MAX_FILE) {
		log_errx("%s: %s: %zu bytes, over the limit of %lu", what,
		    name, len, BUNDLE_MAX_FILE);
		return NULL;
	}
	if (b->list != NULL)
		f = bundle_list_entry(b->list);
	else {
		if (b->nfiles == b->cap) {
			b->cap = b->cap == 0 ? 64 : b->cap * 2;
			b->files = xreallocarray(b->files, b->cap,
			    sizeof(*b->files));
		}
		f = &b->files[b->nfiles];
		memset(f, 0, sizeof(*f));
	}
	f->len = len;
	return f;
}

int
bundle_entry_commit(struct bundle *b, struct bundle_file *f,
    const char *name)
{
	if (b->list != NULL) {
		if (bundle_list_add(b->list, f, name) == -1)
			return -1;
	} else
		f->name = hashmap_intern(&b->names, name, b->nfiles);
	b->nfiles++;
	return 0;
}

int
bundle_add_raw(struct bundle *b, const char *what, const char *name,
    const void *data, size_t len)
{
	struct bundle_file *f = bundle_entry(b, what, name, len);

	if (f == NULL)
		return -1;
	if (digest_sha256(f->sha256, len > 0 ? data : "", len) == -1)
		return -1;
	if (b->out != NULL) {
		/* Streamed: written now, only the name and digest stay. */
		if (bundle_out_put(b, f, name, data) == -1)
			return -1;
	} else {
		f->data = xmalloc(len + 1);
		if (len > 0)
			memcpy(f->data, data, len);
		f->data[len] = '\0';
	}
	return bundle_entry_commit(b, f, name);
}

int
bundle_add(struct bundle *b, const char *name, const void *data, size_t len)
{
	if (strcmp(name, BUNDLE_MANIFEST) == 0 || bundle_find(b, name) != NULL) {
		log_errx("bundle: file \"%s\" added twice", name);
		return -1;
	}
	return bundle_add_raw(b, "bundle", name, data, len);
}

int
bundle_add_json(struct bundle *b, const char *name, const cJSON *item)
{
	size_t len;
	const char *s = json_print_into(item, &b->jtext, &b->jtext_cap, &len);

	return bundle_add(b, name, s, len);
}

static int
cmp_files(const void *a, const void *b)
{
	return strcmp(((const struct bundle_file *)a)->name,
	    ((const struct bundle_file *)b)->name);
}

int
bundle_sort_files(struct bundle *b)
{
	size_t i;

	if (b->list != NULL)
		return bundle_list_sort(b->list);
	qsort(b->files, b->nfiles, sizeof(*b->files), cmp_files);
	for (i = 0; i < b->nfiles; i++)
		hashmap_put(&b->names, b->files[i].name, i);
	return 0;
}

/* Append s to the manifest text being made (room reserved). */
static void
put(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf + *len, s, n);
	*len += n;
}

/* A name as cJSON prints a string (safe names: only '"' needs escaping). */
static void
put_name(char *buf, size_t *len, const char *s)
{
	buf[(*len)++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf[(*len)++] = '\\';
		buf[(*len)++] = *s;
	}
	buf[(*len)++] = '"';
}

/* The most one file's row of the manifest takes. */
#define ROW_MAX(namelen)	(2 * (namelen) + DIGEST_HEX_LEN + 12)

/* The most all the rows take. */
static size_t
rows_max(const struct bundle *b)
{
	size_t i, n = 0;

	if (b->list != NULL)
		return ROW_MAX(bundle_list_name_bytes(b->list)) +
		    (DIGEST_HEX_LEN + 12) * (b->nfiles - 1);
	for (i = 0; i < b->nfiles; i++)
		n += ROW_MAX(strlen(b->files[i].name));
	return n;
}

#define MANIFEST_PIECE	65536

int
bundle_manifest_emit(const struct bundle *b, bundle_sink_fn sink, void *arg)
{
	char *buf, hex[DIGEST_HEX_LEN + 1];
	size_t i, len = 0, cap = MANIFEST_PIECE, need;
	struct bundle_iter it;
	const struct bundle_file *f;
	int rc = -1;

	if (!b->sealed) {
		log_errx("bundle: not sealed");
		return -1;
	}
	if (strbuf_drain(b->head, sink, arg) == -1)
		return -1;
	buf = xmalloc(cap);
	bundle_iter_init(&it, b);
	put(buf, &len, ",\n\t\"files\":\t{\n");
	for (i = 0; i < b->nfiles; i++) {
		if ((f = bundle_iter_get(&it, i)) == NULL)
			goto out;
		need = ROW_MAX(strlen(f->name));
		if (len + need + 8 > cap) {
			if (sink(arg, buf, len) == -1)
				goto out;
			len = 0;
			if (need + 8 > cap) {
				cap = need + 8;
				buf = xrealloc(buf, cap);
			}
		}
		put(buf, &len, "\t\t");
		put_name(buf, &len, f->name);
		put(buf, &len, ":\t\"");
		digest_hex(hex, f->sha256);
		put(buf, &len, hex);
		put(buf, &len, i + 1 < b->nfiles ? "\",\n" : "\"\n");
	}
	if (len + 8 > cap && sink(arg, buf, len) == -1)
		goto out;
	if (len + 8 > cap)
		len = 0;
	put(buf, &len, "\t}\n}\n");
	rc = sink(arg, buf, len);
out:
	bundle_iter_cleanup(&it);
	free(buf);
	return rc;
}

/* Sealing: the manifest's digest and length, and its text if kept. */
struct seal_sink {
	EVP_MD_CTX *md;
	size_t	 len;
	struct strbuf *keep;	/* or NULL */
};

static int
seal_put(void *arg, const void *data, size_t len)
{
	struct seal_sink *s = arg;

	if (EVP_DigestUpdate(s->md, data, len) != 1) {
		log_errx("bundle: %s: SHA-256 failed", BUNDLE_MANIFEST);
		return -1;
	}
	s->len += len;
	if (s->keep != NULL && strbuf_add(s->keep, data, len) == -1) {
		log_errx("bundle: %s too large", BUNDLE_MANIFEST);
		return -1;
	}
	return 0;
}

int
bundle_seal(struct bundle *b, cJSON *meta)
{
	cJSON *m = cJSON_CreateObject(), *c;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct seal_sink s;
	struct strbuf text;
	size_t need;
	int rc = -1;

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
	b->sealed = false;
	strbuf_cleanup(b->head);
	free(b->head);
	b->head = xmalloc(sizeof(*b->head));
	strbuf_init(b->head, BUNDLE_MAX_FILE);
	/*
	 * The text json_print() would give for m plus a last member "files"
	 * (name -> SHA-256), without building that member as a tree (it is
	 * the largest part of a large bundle): m's text less its last
	 * "\n}\n", the files go after it, tab-indented as cJSON prints them.
	 * m leaves memory before the files are sorted.
	 */
	if (bundle_head_print(b->head, m, b->out != NULL) == -1 ||
	    bundle_sort_files(b) == -1)
		return -1;
	need = b->head->spilled + b->head->len + 32 +
	    (b->nfiles > 0 ? rows_max(b) : 0);
	if (need > BUNDLE_MAX_FILE) {
		log_errx("bundle: %s larger than %lu bytes", BUNDLE_MANIFEST,
		    BUNDLE_MAX_FILE);
		return -1;
	}
	b->sealed = true;
	free(b->manifest);
	b->manifest = NULL;
	/* Streamed: made again when written; else kept whole. */
	strbuf_init(&text, BUNDLE_MAX_FILE);
	memset(&s, 0, sizeof(s));
	s.keep = b->out == NULL ? &text : NULL;
	s.md = EVP_MD_CTX_new();
	if (s.md == NULL || EVP_DigestInit_ex(s.md, EVP_sha256(), NULL) != 1 ||
	    bundle_manifest_emit(b, seal_put, &s) == -1 ||
	    EVP_DigestFinal_ex(s.md, md, &mdlen) != 1 || mdlen != DIGEST_LEN) {
		log_errx("bundle: %s: cannot make its digest", BUNDLE_MANIFEST);
		b->sealed = false;
		goto out;
	}
	digest_hex(b->digest, md);
	b->manifest_len = s.len;
	if (s.keep != NULL)
		b->manifest = strbuf_take(&text, NULL);
	rc = 0;
out:
	EVP_MD_CTX_free(s.md);
	strbuf_cleanup(&text);
	return rc;
}

cJSON *
bundle_json(const struct bundle *b, const char *name)
{
	char *text;
	size_t len;
	cJSON *j = NULL;

	if ((text = bundle_read(b, name, &len)) == NULL)
		return NULL;
	if (json_parse(&j, name, text, len) == -1)
		j = NULL;
	free(text);
	return j;
}
