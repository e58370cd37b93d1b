/*
 * plan.json: the ordered steps of a bundle, built by f2o-translate and
 * read back and checked by f2o-exec. See plan.h and BUNDLE.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "jsonutil.h"
#include "log.h"
#include "plan.h"
#include "strbuf.h"
#include "xalloc.h"

/*
 * The steps' strings (titles, requests, outputs, ids not in the plan yet)
 * are in the plan's arena: hundreds of thousands of small strings for a
 * large export, all freed with the plan.
 */
static char *
plan_strdup(struct plan *p, const char *s)
{
	return xarena_strndup(p->spill != NULL ? &p->last : &p->strings, s,
	    strlen(s));
}

/* Whether step i's id is id (idxmap_eq_fn): held, or in the spill file. */
static int
step_id_is(void *arg, size_t i, const char *id)
{
	const struct plan *p = arg;

	if (p->spill == NULL)
		return strcmp(p->steps[i].id, id) == 0;
	if (i + 1 == p->nsteps && !p->closed)
		return strcmp(p->steps[0].id, id) == 0;
	return plan_spill_id_is(p->spill, i, id);
}

/* The index of step id (hash h): true and *i set when there is one. */
static bool
id_index(const struct plan *p, const char *id, uint32_t h, size_t *i)
{
	return idxmap_find(&p->ids, id, h, step_id_is, (void *)(uintptr_t)p,
	    i) == 1;
}

/* A step id: the plan's own copy when the step exists (and is held). */
static char *
plan_id_ref(struct plan *p, const char *id)
{
	size_t i;

	if (p->spill == NULL && id_index(p, id, idxmap_hash(id), &i))
		return p->steps[i].id;
	return plan_strdup(p, id);
}

struct plan *
plan_new(void)
{
	struct plan *p = xcalloc(1, sizeof(struct plan));

	hashmap_init(&p->atoms);
	return p;
}

static void
step_cleanup(struct plan_step *s)
{
	free(s->after);
	if (s->after_set != NULL) {
		hashmap_cleanup(s->after_set);
		free(s->after_set);
	}
	free(s->outputs);
}

void
plan_free(struct plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	/* Spilled: only the last step is held. */
	for (i = 0; i < (p->spill != NULL && p->nsteps > 0 ? 1 : p->nsteps);
	    i++)
		step_cleanup(&p->steps[i]);
	free(p->steps);
	idxmap_cleanup(&p->ids);
	hashmap_cleanup(&p->atoms);
	xarena_free(&p->strings);
	xarena_free(&p->last);
	plan_spill_free(p->spill);
	free(p);
}

bool
plan_id_valid(const char *id)
{
	size_t n = strlen(id), i;

	if (n == 0 || n > PLAN_ID_MAX || strchr(id, '/') == NULL ||
	    id[0] == '/' || id[n - 1] == '/')
		return false;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '/' || c == '_' ||
		    c == ':' || c == '-'))
			return false;
	}
	return true;
}

struct plan_step *
plan_find(const struct plan *p, const char *id)
{
	size_t i;

	if (!id_index(p, id, idxmap_hash(id), &i))
		return NULL;
	if (p->spill == NULL)
		return &p->steps[i];
	return i + 1 == p->nsteps ? &p->steps[0] : NULL;
}

void
plan_close(struct plan *p)
{
	if (p->spill == NULL || p->closed)
		return;
	if (p->nsteps > 0) {
		plan_spill_put(p->spill, &p->steps[0]);
		step_cleanup(&p->steps[0]);
		memset(&p->steps[0], 0, sizeof(p->steps[0]));
	}
	xarena_free(&p->last);
	idxmap_cleanup(&p->ids);
	p->closed = true;
}

bool
plan_has(const struct plan *p, const char *id)
{
	size_t i;

	return id_index(p, id, idxmap_hash(id), &i);
}

struct plan_step *
plan_add(struct plan *p, const char *id, const char *phase,
    const char *action, const char *title, const char *request,
    const char *const *after)
{
	struct plan_step *s, prev;
	struct xarena prev_text;
	bool spilled = false;
	uint32_t h;
	size_t i;

	if (!plan_id_valid(id)) {
		log_errx("plan: invalid step id \"%s\"", id);
		return NULL;
	}
	if (p->closed) {
		log_errx("plan: step \"%s\" added to a closed plan", id);
		return NULL;
	}
	h = idxmap_hash(id);
	if (id_index(p, id, h, &i)) {
		log_errx("plan: step id \"%s\" used twice", id);
		return NULL;
	}
	if (p->nsteps >= PLAN_MAX_STEPS) {
		log_errx("plan: more than %d steps", PLAN_MAX_STEPS);
		return NULL;
	}
	if (p->spill != NULL && p->nsteps > 0) {
		/*
		 * The last step goes to the file once this one is made (the
		 * arguments may be its strings).
		 */
		prev = p->steps[0];
		prev_text = p->last;
		memset(&p->last, 0, sizeof(p->last));
		spilled = true;
	} else if (p->nsteps == p->cap) {
		p->cap = p->cap == 0 ? (p->spill != NULL ? 1 : 64) : p->cap * 2;
		p->steps = xreallocarray(p->steps, p->cap, sizeof(*p->steps));
	}
	s = &p->steps[p->spill != NULL ? 0 : p->nsteps];
	memset(s, 0, sizeof(*s));
	/* The id with the step's strings; phases and actions kept once. */
	s->id = plan_strdup(p, id);
	idxmap_add(&p->ids, h, p->nsteps);
	s->phase = hashmap_intern(&p->atoms, phase, 0);
	s->action = hashmap_intern(&p->atoms, action, 0);
	p->nsteps++;
	s->plan = p;
	s->title = plan_strdup(p, title != NULL ? title : "");
	s->request = request != NULL ? plan_strdup(p, request) : NULL;
	for (; after != NULL && *after != NULL; after++)
		plan_step_after(s, *after);
	if (spilled) {
		plan_spill_put(p->spill, &prev);
		step_cleanup(&prev);
		xarena_free(&prev_text);
	}
	return s;
}

/* Past this many, a step's "after" ids are also kept in a hash set. */
#define PLAN_AFTER_SET	16

void
plan_step_after(struct plan_step *s, const char *id)
{
	size_t i;

	if (s->after_set != NULL) {
		if (hashmap_get(s->after_set, id, &i))
			return;
	} else {
		for (i = 0; i < s->nafter; i++)
			if (strcmp(s->after[i], id) == 0)
				return;
	}
	if (s->nafter == s->after_cap) {
		s->after_cap = s->after_cap == 0 ? 4 : s->after_cap * 2;
		s->after = xreallocarray(s->after, s->after_cap,
		    sizeof(char *));
	}
	s->after[s->nafter++] = plan_id_ref(s->plan, id);
	if (s->after_set == NULL && s->nafter > PLAN_AFTER_SET) {
		s->after_set = xcalloc(1, sizeof(*s->after_set));
		hashmap_init(s->after_set);
		for (i = 0; i < s->nafter; i++)
			hashmap_put(s->after_set, s->after[i], i);
	} else if (s->after_set != NULL)
		hashmap_put(s->after_set, id, s->nafter - 1);
}

void
plan_step_output(struct plan_step *s, const char *name, const char *path)
{
	s->outputs = xreallocarray(s->outputs, s->noutputs + 1,
	    sizeof(*s->outputs));
	s->outputs[s->noutputs].name = plan_strdup(s->plan, name);
	s->outputs[s->noutputs].path = plan_strdup(s->plan, path);
	s->noutputs++;
}

void
plan_step_undoes(struct plan_step *s, const char *id)
{
	s->undoes = plan_id_ref(s->plan, id);
}

static cJSON *
step_json(const struct plan_step *s)
{
	cJSON *o = cJSON_CreateObject(), *a, *outs;
	size_t j;

	json_add_str(o, "id", s->id);
	json_add_str(o, "phase", s->phase);
	json_add_str(o, "action", s->action);
	json_add_str(o, "title", s->title);
	a = cJSON_AddArrayToObject(o, "after");
	for (j = 0; j < s->nafter; j++)
		cJSON_AddItemToArray(a, cJSON_CreateString(s->after[j]));
	if (s->request != NULL)
		json_add_str(o, "request", s->request);
	if (s->undoes != NULL)
		json_add_str(o, "undoes", s->undoes);
	outs = cJSON_AddObjectToObject(o, "outputs");
	for (j = 0; j < s->noutputs; j++)
		json_add_str(outs, s->outputs[j].name, s->outputs[j].path);
	return o;
}

cJSON *
plan_to_json(const struct plan *p)
{
	cJSON *root = cJSON_CreateObject(), *steps;
	size_t i;

	json_add_num(root, "formatVersion", PLAN_FORMAT_VERSION);
	steps = cJSON_AddArrayToObject(root, "steps");
	struct plan_reader r;
	const struct plan_step *s;

	plan_reader_init(&r, p);
	for (i = 0; i < p->nsteps; i++)
		if ((s = plan_reader_get(&r, i)) != NULL)
			cJSON_AddItemToArray(steps, step_json(s));
	plan_reader_cleanup(&r);
	return root;
}

/* key and the string s, as cJSON prints a member of an object. */
static int
step_member(struct strbuf *sb, const char *key, const char *s)
{
	if (strbuf_puts(sb, key) == -1)
		return -1;
	return json_strbuf_str(sb, s);
}

/*
 * A step's line of plan.json's text, compact, appended to sb: the text
 * json_print_compact() gives for step_json(), made without the tree.
 * 0, or -1 when sb is full (the line cut).
 */
static int
step_line(struct strbuf *sb, const struct plan_step *s)
{
	size_t j;

	if (step_member(sb, "{\"id\":", s->id) == -1 ||
	    step_member(sb, ",\"phase\":", s->phase) == -1 ||
	    step_member(sb, ",\"action\":", s->action) == -1 ||
	    step_member(sb, ",\"title\":", s->title) == -1 ||
	    strbuf_puts(sb, ",\"after\":[") == -1)
		return -1;
	for (j = 0; j < s->nafter; j++)
		if (step_member(sb, j > 0 ? "," : "", s->after[j]) == -1)
			return -1;
	if (strbuf_puts(sb, "]") == -1 || (s->request != NULL &&
	    step_member(sb, ",\"request\":", s->request) == -1) ||
	    (s->undoes != NULL &&
	    step_member(sb, ",\"undoes\":", s->undoes) == -1) ||
	    strbuf_puts(sb, ",\"outputs\":{") == -1)
		return -1;
	for (j = 0; j < s->noutputs; j++)
		if (step_member(sb, j > 0 ? "," : "", s->outputs[j].name) ==
		    -1 || step_member(sb, ":", s->outputs[j].path) == -1)
			return -1;
	return strbuf_puts(sb, "}}");
}

char *
plan_text(const struct plan *p, size_t *len)
{
	struct plan_reader rd;
	const struct plan_step *st;
	struct strbuf sb;
	size_t i;

	plan_reader_init(&rd, p);
	strbuf_init(&sb, PLAN_MAX_TEXT);
	if (strbuf_printf(&sb, "{\"formatVersion\": %d, \"steps\": [\n",
	    PLAN_FORMAT_VERSION) == -1)
		goto toobig;
	for (i = 0; i < p->nsteps; i++) {
		if ((st = plan_reader_get(&rd, i)) == NULL)
			goto fail;
		if (step_line(&sb, st) == -1 || strbuf_puts(&sb,
		    i + 1 < p->nsteps ? ",\n" : "\n") == -1)
			goto toobig;
	}
	if (strbuf_puts(&sb, "]}\n") == -1)
		goto toobig;
	plan_reader_cleanup(&rd);
	return strbuf_take(&sb, len);
toobig:
	log_errx("plan.json: more than %lu bytes", (unsigned long)PLAN_MAX_TEXT);
fail:
	plan_reader_cleanup(&rd);
	strbuf_cleanup(&sb);
	return NULL;
}

int
plan_write(const struct plan *p, struct bundle *b, const char *name)
{
	struct bundle_wfile *w = bundle_wopen(b, name);
	struct plan_reader rd;
	const struct plan_step *st;
	struct strbuf sb;
	size_t i;
	int rc = 0;

	if (w == NULL)
		return -1;
	plan_reader_init(&rd, p);
	/* The same text as plan_text(), a few hundred steps at a time. */
	strbuf_init(&sb, PLAN_MAX_TEXT);
	(void)strbuf_printf(&sb, "{\"formatVersion\": %d, \"steps\": [\n",
	    PLAN_FORMAT_VERSION);
	for (i = 0; i < p->nsteps && rc == 0; i++) {
		if ((st = plan_reader_get(&rd, i)) == NULL) {
			rc = -1;
			break;
		}
		(void)step_line(&sb, st);
		(void)strbuf_puts(&sb, i + 1 < p->nsteps ? ",\n" : "\n");
		if (sb.len >= 65536) {
			rc = bundle_wwrite(w, sb.buf, sb.len);
			sb.len = 0;
		}
	}
	(void)strbuf_puts(&sb, "]}\n");
	if (rc == 0)
		rc = bundle_wwrite(w, sb.buf, sb.len);
	strbuf_cleanup(&sb);
	plan_reader_cleanup(&rd);
	if (bundle_wclose(w) == -1)
		rc = -1;	/* a bundle with a cut plan.json is not written */
	return rc;
}

char *
plan_ref(const char *id, const char *output)
{
	return xasprintf("${%s.%s}", id, output);
}

bool
plan_ref_parse(const char *s, char **id, char **output)
{
	size_t n = strlen(s);
	const char *dot;
	char *tmp;
	size_t i;

	*id = *output = NULL;
	if (n < 6 || s[0] != '$' || s[1] != '{' || s[n - 1] != '}')
		return false;
	dot = memchr(s + 2, '.', n - 3);
	if (dot == NULL || dot == s + 2 || dot == s + n - 2)
		return false;
	tmp = xstrndup(s + 2, (size_t)(dot - s - 2));
	if (!plan_id_valid(tmp)) {
		free(tmp);
		return false;
	}
	for (i = (size_t)(dot - s) + 1; i < n - 1; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_')) {
			free(tmp);
			return false;
		}
	}
	*id = tmp;
	*output = xstrndup(dot + 1, n - 1 - (size_t)(dot - s) - 1);
	return true;
}
