#ifndef F2O_CTX_H
#define F2O_CTX_H
/*
 * Services every stage uses on the pipeline state: warnings, request
 * files, templates, resolved parameters and the f2o tags.
 */
#include <stddef.h>

#include <cjson/cJSON.h>

#include "model.h"

/* Record a warning: printed to stderr now, written to the bundle later. */
void	ctx_warn(struct xlate *, const char *subject, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * A warning in the diagnostic format (file, JSON path, value, what to do):
 * printed with log_diag() and recorded like ctx_warn(), its message
 * carrying the file and path.
 */
void	ctx_diag_warn(struct xlate *, const char *subject, const char *file,
	    const char *path, const char *value, const char *hint,
	    const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/*
 * log_warn_hook for the pipeline (arg is the struct xlate): warnings that
 * modules print with log_diag() outside ctx_warn() (duplicate keys kept
 * last, values let through by --allow-unknown-values) are recorded too,
 * with the file as subject.
 */
void	ctx_warn_hook(void *arg, const char *file, const char *path,
	    const char *text);
/*
 * After export_load: the hook's subjects (files as given) become the
 * files' names relative to their input argument, so the bundle does not
 * depend on how paths were spelled.
 */
void	ctx_warns_rename(struct xlate *);
/*
 * Store req (not taken) as requests/<step id>.json in the bundle and
 * return that path (free with free()), or NULL (logged).
 */
char	*ctx_request(struct xlate *, const char *step_id, const cJSON *req);
/* The same with req taken (freed here, or later by the IAM policy). */
char	*ctx_request_take(struct xlate *, const char *step_id, cJSON *req);
/*
 * Load a template file by name ("ocean-cluster.json") from the templates
 * directory, record its digest in the manifest, and return its bytes
 * (free with free()); NULL (logged) when missing.
 */
char	*ctx_template(struct xlate *, const char *name, size_t *len);
/* Same, parsed as JSON (free with cJSON_Delete). */
cJSON	*ctx_template_json(struct xlate *, const char *name);
/*
 * Record the value a stage chose for a parameter the user did not give
 * (value is taken); the manifest's "parameters" shows it.
 */
void	ctx_resolved(struct xlate *, const char *name, cJSON *value);
/* Free what these services keep in x (an index of the export). */
void	ctx_cleanup(struct xlate *);
/* The f2o tags put on everything created: [{"key":..,"value":..}]. */
cJSON	*ctx_tags(const struct xlate *, const char *keyname,
	    const char *valname);

#endif
