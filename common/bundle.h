#ifndef F2O_BUNDLE_H
#define F2O_BUNDLE_H
/*
 * The bundle: the contract between f2o-translate (writer) and f2o-exec
 * (reader). A directory, or one .tar / .tar.gz, holding manifest.json and
 * the files it lists with their SHA-256. The bundle digest is the SHA-256
 * of manifest.json's bytes. See BUNDLE.md for the format.
 *
 * Ownership, for every common/ module: arguments are never taken over
 * unless the function is a _take; returned pointers belong to the caller
 * unless the function is a _get/_find, whose results live as long as the
 * parent object.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "digest.h"
#include "hashmap.h"

#define BUNDLE_FORMAT		"f2o-bundle"
#define BUNDLE_FORMAT_VERSION	1
#define BUNDLE_MANIFEST		"manifest.json"
/*
 * Bounds on what either program writes or accepts (BUNDLE.md, "Limits"),
 * sized for 100,000 services with room: the bench's 100,000 services make
 * 3.5 million files (35 a service), a 1.5 GB PLAN.md, 4.1 GB of files and
 * a 7.4 GB .tar. BUNDLE_MAX_TOTAL bounds both the files' bytes and the
 * archive read (a .tar is larger than its files).
 */
#define BUNDLE_MAX_ENTRIES	10000000
#define BUNDLE_MAX_FILE		(4UL << 30)	/* bytes, one file */
#define BUNDLE_MAX_TOTAL	(16UL << 30)	/* bytes, all; the archive */

struct bundle_file {
	char	*name;			/* relative path, fsio_safe_relpath;
					   kept by the bundle's names map */
	char	*data;			/* NUL-terminated copy; NULL once
					   streamed out (bundle_stream) and
					   in a bundle_load()ed one: read
					   on demand (bundle_read) */
	size_t	 len;
	long long off;			/* streamed to an archive: where its
					   bytes are in the spool file;
					   loaded from an archive: in the
					   .tar, or in the reader's spool */
	unsigned char sha256[DIGEST_LEN];	/* raw: hex in the manifest */
	bool	 listed;		/* loading: seen in the manifest */
};

struct bundle_out;			/* an output being written */
struct bundle_src;			/* a bundle being read */
struct strbuf;

struct bundle {
	struct bundle_file *files;	/* sorted by name once sealed/loaded;
					   NULL when streamed (list) */
	size_t	 nfiles;
	size_t	 cap;
	char	*manifest;		/* manifest.json text when sealed and
					   not streamed; NULL once loaded
					   (bundle_load) */
	size_t	 manifest_len;		/* its bytes, also when streamed */
	struct strbuf *head;		/* sealed: the manifest's text
					   before "files" (streamed: in a
					   temporary file, strbuf_spill) */
	bool	 sealed;
	cJSON	*meta;			/* parsed manifest once loaded */
	char	 digest[DIGEST_HEX_LEN + 1];	/* SHA-256 of manifest */
	struct hashmap names;		/* name -> index into files */
	struct bundle_out *out;		/* set by bundle_stream */
	struct bundle_list *list;	/* set by bundle_stream: the files
					   (files stays NULL; nfiles counts
					   them), in a file, not in memory;
					   a bundle_find() result lives
					   until the next */
	struct bundle_src *src;		/* set by bundle_load: where the
					   files' bytes are (bundle_in.c) */
	char	*jtext;			/* bundle_add_json's text buffer,
					   kept for the next one */
	size_t	 jtext_cap;
};

/* Free with bundle_free(). */
struct bundle	*bundle_new(void);
/* Safe to call with NULL. */
void		 bundle_free(struct bundle *);
/* Add a copy of data under name. -1 (logged) on a bad or duplicate name. */
int		 bundle_add(struct bundle *, const char *name, const void *data,
		    size_t len);
/*
 * Every file is added (more may be, checked only when sealed): a streamed
 * bundle's map of names leaves memory (10,000 services: 3.8 MiB), and
 * bundle_find() scans its list until it is sealed.
 */
void		 bundle_forget_names(struct bundle *);
/* Add item printed as pretty JSON. */
int		 bundle_add_json(struct bundle *, const char *name,
		    const cJSON *item);
/*
 * Build manifest.json from meta (taken; members such as "generator",
 * "parameters", "inputs", "templates" are kept in the order given) plus
 * "format", "formatVersion" and "files" (name -> SHA-256), and compute
 * the digest. A streamed bundle's manifest is never whole in memory: its
 * text is made again, a piece at a time, when written (b->manifest stays
 * NULL). Returns 0 or -1.
 */
int		 bundle_seal(struct bundle *, cJSON *meta);
/*
 * Write a sealed bundle to path: a .tar or .tar.gz archive (sorted
 * entries, mtime 0, uid/gid 0, mode 0644) or else a directory. Written
 * under a temporary name beside path and renamed into place, so nothing
 * half-written is ever at path. An existing directory is replaced only
 * when force is set. Returns 0, or -1 (logged).
 */
int		 bundle_write(const struct bundle *, const char *path,
		    bool force);
/*
 * Stream the bundle to path from now on: each file bundle_add() is given
 * leaves memory at once (only its name and SHA-256 stay for the
 * manifest). A directory is built in a temporary directory beside path; an
 * archive's files wait in an unlinked spool file beside path, because the
 * archive holds manifest.json first and the files in name order. Refuses
 * at once what bundle_write would refuse (path a directory for an archive,
 * an existing directory without force). bundle_seal() then bundle_write()
 * with the same path and force finish it; bundle_free() before that
 * removes what was written. Files stay readable through bundle_json().
 * Returns 0, or -1 (logged).
 */
int		 bundle_stream(struct bundle *, const char *path, bool force);
/*
 * A file written a piece at a time (a large text: plan.json, PLAN.md):
 * bundle_wopen() checks the name, bundle_wwrite() appends (streamed: to
 * the output at once), bundle_wclose() adds the file and frees w; nothing
 * is added if a write failed. One open at a time per bundle. NULL or -1
 * (logged).
 */
struct bundle_wfile;
struct bundle_wfile *bundle_wopen(struct bundle *, const char *name);
int		 bundle_wwrite(struct bundle_wfile *, const void *data,
		    size_t len);
int		 bundle_wclose(struct bundle_wfile *);
/*
 * Add the whole text of sb (held or spilled, strbuf_spill()) as name,
 * through bundle_wopen(): a large generated text never whole in memory.
 * sb is left as it was. Returns 0, or -1 (logged).
 */
struct strbuf;
int		 bundle_add_strbuf(struct bundle *, const char *name,
		    struct strbuf *sb);
/*
 * Read a bundle (directory or archive) and verify it: manifest format,
 * every listed file present with its SHA-256, no file unlisted. Memory
 * stays bounded whatever the bundle's size: one pass hashes each file a
 * piece at a time and keeps only its name, size, digest and where it is
 * (a directory: its path; a .tar: its offset in the archive, kept open;
 * a .tar.gz: its offset in an unlinked spool file the pass decompresses
 * into, beside the archive or else in $TMPDIR). The manifest stays in
 * memory; other files are read when asked for (bundle_read). Free with
 * bundle_free(). Returns 0, or -1 (logged with the reason).
 */
int		 bundle_load(struct bundle **out, const char *path);
/*
 * Parse an archive held in memory, its files copied into memory (the
 * fuzzer's entry point; same checks as bundle_load).
 */
int		 bundle_parse_archive(struct bundle **out, const char *what,
		    const void *buf, size_t len);
/*
 * A file's bytes, NUL-terminated, *len set (may be NULL); free with
 * free(). A loaded bundle's file is read from the bundle again and its
 * SHA-256 checked once more, so a file changed after bundle_load is
 * refused, naming it. NULL (logged) when missing or unreadable.
 */
char		*bundle_read(const struct bundle *, const char *name,
		    size_t *len);
/*
 * The same a piece at a time (a large file: plan.json): bundle_ropen(),
 * bundle_rread() until it returns 0 (the end: the SHA-256 checked then;
 * -1 if the file changed), bundle_rclose() (NULL-safe). NULL or -1
 * (logged).
 */
struct bundle_reader;
struct bundle_reader *bundle_ropen(const struct bundle *, const char *name);
long		 bundle_rread(struct bundle_reader *, char *buf, size_t len);
void		 bundle_rclose(struct bundle_reader *);
/* Borrowed file, or NULL. */
const struct bundle_file *bundle_find(const struct bundle *,
		    const char *name);
/* Parse a bundle file as JSON (logged on error). Free with cJSON_Delete. */
cJSON		*bundle_json(const struct bundle *, const char *name);

#endif
