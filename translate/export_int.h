#ifndef F2O_EXPORT_INT_H
#define F2O_EXPORT_INT_H
/*
 * Inside the export reader (export*.c only): the per-kind parsers that
 * export.c hands each recognised object to. The public interface is export.h.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "jsonutil.h"
#include "model.h"

/* SHA-256 (hex) of item's canonical JSON; free with free(). */
char	*export_digest(const cJSON *item);
/* The same as 32 bytes into md (zeros when it cannot be made, logged). */
void	export_digest_raw(const cJSON *item, unsigned char md[32]);
/*
 * One page of describe-scalable-targets / -scaling-policies /
 * -scheduled-actions / cloudwatch describe-alarms (root, not taken): each
 * item of its array checked and added to ex->aas[kind]. 0 or -1 (logged).
 */
int	export_aas_page(struct export *ex, const char *path, cJSON *root,
	    struct jpath *jp, enum xaas_kind kind);
/* After every file: pages with a NextToken need their last page. */
int	export_aas_finish(struct export *ex);
void	export_aas_init(struct export *ex);
void	export_aas_free(struct export *ex);
/*
 * Where each service added since ex->svcs[first] lies in buf, the bytes of
 * the file just parsed (slice_off, slice_len: export_load moves them to
 * where export_raw_keep put buf); a path that cannot be followed leaves
 * slice_len 0.
 */
void	export_slice_note(struct export *ex, size_t first, const char *buf,
	    size_t len);
/*
 * The same for the task definitions added since ex->tds[first] (and their
 * sibling "tags"): those whose place is known leave memory.
 */
void	export_slice_note_tds(struct export *ex, size_t first,
	    const char *buf, size_t len);
/* The same for the security groups added since ex->sgs[first]. */
void	export_slice_note_sgs(struct export *ex, size_t first,
	    const char *buf, size_t len);
/*
 * Append the bytes of path to ex's copy (ex->raw_fd, made on first use):
 * *off where they start. 0, or -1 (logged).
 */
int	 export_raw_keep(struct export *ex, const char *path, const char *buf,
	    size_t len, long long *off);
/* Bytes of ex's copy read at once by export_raw_parse (model.h). */
#define EXPORT_RAW_WINDOW	(128 * 1024)
/* The len bytes at off in ex's copy, NUL-terminated, or NULL (logged). */
char	*export_raw_read(struct export *ex, long long off, size_t len,
	    const char *path);
/*
 * The len bytes at off in ex's copy (from path), parsed (free with
 * cJSON_Delete), or NULL (logged).
 */
cJSON	*export_raw_parse(struct export *ex, long long off, size_t len,
	    const char *path);
/* A service's tree read again made as the first time (enums, events). */
void	export_kinds_revive(cJSON *svc);
/* The same for a task definition: enums, its inner tags (into *tags). */
void	export_kinds_td_revive(cJSON *td, cJSON **tags);
/* The svc_idx key of a service: "cluster/name" (free with free()). */
char	*export_svc_key(const char *cluster, const char *name);
/*
 * Check one service object found at jp in file path and add it to ex,
 * which keeps svc. Returns 0, or -1 (logged with file and JSON path).
 */
int	export_kinds_service(struct export *ex, const char *path, cJSON *svc,
	    struct jpath *jp);
/* Same for a task definition and its sibling "tags" (or NULL). */
int	export_kinds_taskdef(struct export *ex, const char *path, cJSON *td,
	    cJSON *tags, struct jpath *jp);
/* Same for a SecurityGroup object. */
int	export_kinds_sg(struct export *ex, const char *path, cJSON *sg,
	    struct jpath *jp);

/*
 * True when s looks like an unrendered template placeholder: <NAME>,
 * {{ ... }}, ${...}, %(name)s.
 */
bool	export_placeholder(const char *s);
/*
 * Identity fields of a service / task definition (names, ARNs, images,
 * numbers as strings): placeholders and invalid names, each logged with
 * file, JSON path and value. Returns 0, or -1 when any was found.
 */
int	export_ident_service(const char *path, const cJSON *svc,
	    struct jpath *jp);
int	export_ident_taskdef(const char *path, const cJSON *td,
	    struct jpath *jp);

#endif
