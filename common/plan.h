#ifndef F2O_PLAN_H
#define F2O_PLAN_H
/*
 * plan.json: the ordered steps of a bundle. Written by f2o-translate,
 * read by f2o-exec. See BUNDLE.md.
 *
 * A step: id (stable, "kind/name", characters [A-Za-z0-9/_:-], no dot),
 * phase ("import", "cutover", "rollback"), action ("ecs:CreateService",
 * "wait:ServicesStable", ...), after (ids it depends on), request (bundle
 * path of the operation's input), outputs (name -> dotted path in the
 * operation's result), title (one line for humans).
 *
 * A value known only at run time is the whole JSON string
 * "${STEP.OUTPUT}", where STEP is the id of an earlier step (it contains a
 * '/', no '.') and OUTPUT one of its outputs.
 */
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "bundle.h"
#include "hashmap.h"

#define PLAN_FORMAT_VERSION	1
/* One request file at most per step: as many steps as bundle files. */
#define PLAN_MAX_STEPS		BUNDLE_MAX_ENTRIES
/*
 * A rollback step can wait for every service (rb/vng/ARCH): as many
 * "after" as steps.
 */
#define PLAN_MAX_AFTER		PLAN_MAX_STEPS
#define PLAN_ID_MAX		300
#define PLAN_MAX_TEXT		BUNDLE_MAX_FILE	/* plan.json bytes */

struct plan_output {
	char	*name;		/* e.g. "taskDefinitionArn" */
	char	*path;		/* e.g. "taskDefinition.taskDefinitionArn" */
};

struct plan;

/*
 * phase, action: kept by the plan's map of them; the other strings by its
 * arena (never freed one by one).
 */
struct plan_step {
	struct plan *plan;	/* the plan it is in */
	char	*id;
	char	*phase;
	char	*action;
	char	*title;
	char	*request;	/* bundle path, or NULL */
	char	*undoes;	/* rollback: the step whose result this
				   reverses; run only if that step is done */
	char	**after;
	size_t	 nafter;
	size_t	 after_cap;
	struct hashmap *after_set;	/* the ids in after, once many */
	struct plan_output *outputs;
	size_t	 noutputs;
};

struct plan_spill;

struct plan {
	struct plan_step *steps;	/* spilled: only the last */
	size_t	 nsteps;
	size_t	 cap;
	struct idxmap ids;	/* id -> index of the step (the ids: in
				   the steps, or the spill file) */
	struct hashmap atoms;	/* the phases and actions of the steps */
	struct xarena strings;	/* the steps' other strings */
	struct plan_spill *spill;	/* plan_spill(), or NULL */
	struct xarena last;	/* spilled: the last step's strings */
	bool	 closed;	/* plan_close(): every step spilled */
};

/*
 * A step of a plan, in memory or read back from its spill file: what
 * plan_reader_get() gives lives until its next call or the next change to
 * the plan.
 */
struct plan_reader {
	const struct plan *p;
	char	*win;		/* a window on the spill file */
	size_t	 wcap;
	long long woff;
	size_t	 wlen;
	struct plan_step step;	/* the step read back */
	char	**after;
	size_t	 acap;
	struct plan_output *outs;
	size_t	 ocap;
};

struct plan	*plan_new(void);
void		 plan_free(struct plan *);	/* NULL-safe */
/*
 * A large plan (f2o-translate's): from its first step on, each step but
 * the last leaves memory for an unlinked temporary file when the next one
 * is added (its id stays, for plan_has()); only the last step can still
 * be changed, and steps are read with a plan_reader. The file is made
 * beside near (a path: "NEAR.plan-XXXXXX", unlinked at once) when near is
 * not NULL and that works, else in /tmp; the plan stays in memory when no
 * file can be made.
 */
void		 plan_spill(struct plan *, const char *near);
/*
 * No step is added or changed from now on: a spilled plan's last step
 * goes to the file too and the id map leaves memory (plan_has() is then
 * false). The steps stay readable with a plan_reader.
 */
void		 plan_close(struct plan *);
/* plan.c's: append step s to the spill file; free. */
void		 plan_spill_put(struct plan_spill *, const struct plan_step *);
/* plan.c's: whether spilled step i's id is id (idxmap_eq_fn). */
int		 plan_spill_id_is(struct plan_spill *, size_t i, const char *id);
void		 plan_spill_free(struct plan_spill *);	/* NULL-safe */
void		 plan_reader_init(struct plan_reader *, const struct plan *);
/* Step i (< nsteps), or NULL (logged) when it cannot be read back. */
const struct plan_step *plan_reader_get(struct plan_reader *, size_t i);
void		 plan_reader_cleanup(struct plan_reader *);	/* NULL-safe */
/* Whether the plan has a step of that id. */
bool		 plan_has(const struct plan *, const char *id);
/*
 * Append a step; strings are copied. after is a NULL-terminated list (or
 * NULL). Returns the new step (borrowed), or NULL on a bad or duplicate
 * id (logged).
 */
struct plan_step *plan_add(struct plan *, const char *id, const char *phase,
		    const char *action, const char *title, const char *request,
		    const char *const *after);
void		 plan_step_after(struct plan_step *, const char *id);
void		 plan_step_output(struct plan_step *, const char *name,
		    const char *path);
void		 plan_step_undoes(struct plan_step *, const char *id);
/* Borrowed step, or NULL (spilled: also for a step not the last). */
struct plan_step *plan_find(const struct plan *, const char *id);
/* plan.json as a cJSON tree; free with cJSON_Delete. */
cJSON		*plan_to_json(const struct plan *);
/*
 * plan.json text, one step per line (compact, and diffs line by line),
 * built a step at a time. Free with free(); NULL (logged) if too large.
 */
char		*plan_text(const struct plan *, size_t *len);
/*
 * Add plan_text()'s text to b as name, written a part at a time (a large
 * plan is never whole in memory). Returns 0, or -1 (logged).
 */
struct bundle;
int		 plan_write(const struct plan *, struct bundle *,
		    const char *name);
/*
 * Parse plan.json text (what names the file for messages): types, id
 * syntax, unique ids, every "after" naming an earlier step. Free with
 * plan_free(). Returns 0, or -1 (logged).
 */
int		 plan_parse(struct plan **out, const char *what, const char *buf,
		    size_t len);
/*
 * plan_parse of the bundle file name, read a window at a time (its text
 * is never whole in memory) and its SHA-256 checked at the end.
 */
int		 plan_read(struct plan **out, const struct bundle *,
		    const char *name);
bool		 plan_id_valid(const char *id);
/* "${id.output}"; free with free(). */
char		*plan_ref(const char *id, const char *output);
/*
 * If s is a reference, split it: *id and *output are new strings (free
 * both). Returns true for a reference.
 */
bool		 plan_ref_parse(const char *s, char **id, char **output);

#endif
