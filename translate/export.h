#ifndef F2O_EXPORT_H
#define F2O_EXPORT_H
/*
 * Reading AWS CLI exports: describe-services, describe-task-definition
 * (or bare task definitions), describe-security-groups; files or
 * directories in any mix. Every object keeps its file and JSON path for
 * messages, and the SHA-256 of its canonical JSON for drift detection.
 */
#include "model.h"

/*
 * Input files (100,000 services exported one task definition a file, as
 * f2o-export does, are 110,000) and items of one kind in one file.
 */
#define EXPORT_MAX_FILES	1000000
#define EXPORT_MAX_OBJECTS	1000000
/*
 * A service file up to this size is read again whole when the next
 * service by name is in it too (a page of describe-services: the stages
 * then find its services' trees there); else a service's own bytes are.
 */
#define EXPORT_RELOAD_WHOLE	(1024 * 1024)

/*
 * Load and classify every input. Returns 0, or -1 after logging each
 * problem found in every file (file, JSON path, reason). Free with
 * export_free(). skip names a file to ignore inside input directories
 * (the --config file), or NULL; dup is the enum json_dup policy for
 * duplicated keys; near is where the copy of the bytes read goes
 * (fsio_temp_near: beside the output), or NULL (/tmp). Each file is read
 * once: the trees come back from that copy.
 */
int	export_load(struct export **out, char *const *inputs, size_t n,
	    const char *skip, int dup, const char *near);
/*
 * After export_load the services' JSON trees are not in memory: a stage
 * calls export_svc_hold(s) before it reads s->svc, which reads the
 * service's bytes in its file again when the tree is not there (the whole
 * file when their place is unknown), after the trees held before leave
 * memory. Services not read from a file (unit tests') are left as they
 * are. A pointer into a tree is good until the next
 * export_svc_hold() or export_svc_release(). 0, or -1 (logged: the copy
 * cannot be read back); a failure stays in ex->failed,
 * so that no bundle is sealed whatever the caller did next.
 */
int	export_svc_hold(struct export *, const struct xsvc *);
/* Every tree export_svc_hold brought back leaves memory. */
void	export_svc_release(struct export *);
/*
 * The same for task definitions: after export_load, t->td and t->tags are
 * in memory only while held (until taskdef_plan's summaries are made);
 * each export_td_hold releases the one held before. 0, or -1 (logged,
 * and kept in ex->failed).
 */
int	export_td_hold(struct export *, const struct xtd *);
/*
 * Only t->tags when they lie beside the task definition (t->td may then
 * stay NULL: the inner tags were moved to t->tags when first read), else
 * as export_td_hold.
 */
int	export_td_hold_tags(struct export *, const struct xtd *);
void	export_td_release(struct export *);
/* The same for a security group's tree (g->sg). */
int	export_sg_hold(struct export *, const struct xsg *);
void	export_sg_release(struct export *);
/* Parse one file's bytes into ex (used by export_load and the fuzzer). */
int	export_parse(struct export *ex, const char *path, const char *buf,
	    size_t len);
struct export *export_new(void);
void	export_free(struct export *);
/* Borrowed task definition for a service's taskDefinition reference. */
struct xtd *export_find_td(const struct export *, const char *ref);
/* Borrowed group by GroupId. */
struct xsg *export_find_sg(const struct export *, const char *id);
/*
 * A timestamp of AWS CLI output (ISO 8601 string or seconds since 1970) as
 * seconds since 1970. Returns 0, or -1 when v is neither.
 */
int	export_time(const cJSON *v, double *epoch);
/* Sort services by name, task definitions by key, groups by id. */
void	export_sort(struct export *);

#endif
