/*
 * plan.json: the ordered steps of a bundle, built by f2o-translate and
 * read back and checked by f2o-exec. See plan.h and BUNDLE.md.
 */
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
	return xarena_strndup(&p->strings, s, strlen(s));
}

/* A step id: the plan's own copy when the step exists. */
static char *
plan_id_ref(struct plan *p, const char *id)
{
	size_t i;

	if (hashmap_get(&p->ids, id, &i))
		return p->steps[i].id;
	return plan_strdup(p, id);
}

struct plan *
plan_new(void)
{
	struct plan *p = xcalloc(1, sizeof(struct plan));

	hashmap_init(&p->ids);
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
	for (i = 0; i < p->nsteps; i++)
		step_cleanup(&p->steps[i]);
	free(p->steps);
	hashmap_cleanup(&p->ids);
	hashmap_cleanup(&p->atoms);
	xarena_free(&p->strings);
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

	if (hashmap_get(&p->ids, id, &i))
		return &p->steps[i];
	return NULL;
}

struct plan_step *
plan_add(struct plan *p, const char *id, const char *phase,
    const char *action, const char *title, const char *request,
    const char *const *after)
{
	struct plan_step *s;

	if (!plan_id_valid(id)) {
		log_errx("plan: invalid step id \"%s\"", id);
		return NULL;
	}
	if (plan_find(p, id) != NULL) {
		log_errx("plan: step id \"%s\" used twice", id);
		return NULL;
	}
	if (p->nsteps >= PLAN_MAX_STEPS) {
		log_errx("plan: more than %d steps", PLAN_MAX_STEPS);
		return NULL;
	}
	if (p->nsteps == p->cap) {
		p->cap = p->cap == 0 ? 64 : p->cap * 2;
		p->steps = xreallocarray(p->steps, p->cap, sizeof(*p->steps));
	}
	s = &p->steps[p->nsteps];
	memset(s, 0, sizeof(*s));
	/* Kept once, by the maps (a few phases and actions, many steps). */
	s->id = hashmap_intern(&p->ids, id, p->nsteps);
	s->phase = hashmap_intern(&p->atoms, phase, 0);
	s->action = hashmap_intern(&p->atoms, action, 0);
	p->nsteps++;
	s->plan = p;
	s->title = plan_strdup(p, title != NULL ? title : "");
	s->request = request != NULL ? plan_strdup(p, request) : NULL;
	for (; after != NULL && *after != NULL; after++)
		plan_step_after(s, *after);
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
	for (i = 0; i < p->nsteps; i++)
		cJSON_AddItemToArray(steps, step_json(&p->steps[i]));
	return root;
}

/* Step i of plan.json's text: one line, compact. Free with free(). */
static char *
step_line(const struct plan *p, size_t i)
{
	cJSON *o = step_json(&p->steps[i]);
	char *s = json_print_compact(o);

	cJSON_Delete(o);
	if (s == NULL) {
		fputs("f2o: out of memory\n", stderr);
		abort();
	}
	return s;
}

char *
plan_text(const struct plan *p, size_t *len)
{
	struct strbuf sb;
	size_t i;

	strbuf_init(&sb, PLAN_MAX_TEXT);
	if (strbuf_printf(&sb, "{\"formatVersion\": %d, \"steps\": [\n",
	    PLAN_FORMAT_VERSION) == -1)
		goto toobig;
	for (i = 0; i < p->nsteps; i++) {
		char *s = step_line(p, i);
		int r = strbuf_puts(&sb, s);

		free(s);
		if (r == -1 || strbuf_puts(&sb, i + 1 < p->nsteps ? ",\n" :
		    "\n") == -1)
			goto toobig;
	}
	if (strbuf_puts(&sb, "]}\n") == -1)
		goto toobig;
	return strbuf_take(&sb, len);
toobig:
	strbuf_cleanup(&sb);
	log_errx("plan.json: more than %lu bytes", (unsigned long)PLAN_MAX_TEXT);
	return NULL;
}

int
plan_write(const struct plan *p, struct bundle *b, const char *name)
{
	struct bundle_wfile *w = bundle_wopen(b, name);
	struct strbuf sb;
	size_t i;
	int rc = 0;

	if (w == NULL)
		return -1;
	/* The same text as plan_text(), a few hundred steps at a time. */
	strbuf_init(&sb, PLAN_MAX_TEXT);
	(void)strbuf_printf(&sb, "{\"formatVersion\": %d, \"steps\": [\n",
	    PLAN_FORMAT_VERSION);
	for (i = 0; i < p->nsteps && rc == 0; i++) {
		char *s = step_line(p, i);

		(void)strbuf_puts(&sb, s);
		free(s);
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
	if (bundle_wclose(w) == -1)
		rc = -1;
	return rc;
}

static const char *
need_str(const cJSON *o, const char *key, bool required, const char *what,
    size_t i)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (v == NULL && !required)
		return NULL;
	if (!cJSON_IsString(v)) {
		log_errx("%s: $.steps[%zu].%s must be a string, not %s", what,
		    i, key, json_type_name(v));
		return NULL;
	}
	return v->valuestring;
}

/* One step object of $.steps (index i) into p. */
static int
take_step(struct plan *p, const cJSON *st, const char *what, size_t i)
{
	const char *id, *phase, *action, *title, *req;
	const cJSON *v, *c;
	struct plan_step *s;

	if (!cJSON_IsObject(st)) {
		log_errx("%s: $.steps[%zu] must be an object", what, i);
		return -1;
	}
	if ((id = need_str(st, "id", true, what, i)) == NULL ||
	    (phase = need_str(st, "phase", true, what, i)) == NULL ||
	    (action = need_str(st, "action", true, what, i)) == NULL)
		return -1;
	title = need_str(st, "title", false, what, i);
	req = need_str(st, "request", false, what, i);
	if (cJSON_GetObjectItemCaseSensitive(st, "request") != NULL &&
	    req == NULL)
		return -1;
	s = plan_add(p, id, phase, action, title, req, NULL);
	if (s == NULL) {
		log_errx("%s: $.steps[%zu]: bad step", what, i);
		return -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(st, "after");
	if (v != NULL && !cJSON_IsArray(v)) {
		log_errx("%s: $.steps[%zu].after must be an array",
		    what, i);
		return -1;
	}
	cJSON_ArrayForEach(c, v) {
		if (!cJSON_IsString(c) ||
		    plan_find(p, c->valuestring) == NULL ||
		    strcmp(c->valuestring, id) == 0) {
			log_errx("%s: $.steps[%zu].after: \"%s\" is not "
			    "an earlier step", what, i,
			    cJSON_IsString(c) ? c->valuestring : "?");
			return -1;
		}
		if (s->nafter >= PLAN_MAX_AFTER) {
			log_errx("%s: $.steps[%zu].after: too long",
			    what, i);
			return -1;
		}
		plan_step_after(s, c->valuestring);
	}
	v = cJSON_GetObjectItemCaseSensitive(st, "undoes");
	if (v != NULL) {
		if (!cJSON_IsString(v) ||
		    plan_find(p, v->valuestring) == NULL) {
			log_errx("%s: $.steps[%zu].undoes: must name an "
			    "earlier step", what, i);
			return -1;
		}
		plan_step_undoes(s, v->valuestring);
	}
	v = cJSON_GetObjectItemCaseSensitive(st, "outputs");
	if (v != NULL && !cJSON_IsObject(v)) {
		log_errx("%s: $.steps[%zu].outputs must be an object",
		    what, i);
		return -1;
	}
	cJSON_ArrayForEach(c, v) {
		if (!cJSON_IsString(c)) {
			log_errx("%s: $.steps[%zu].outputs.%s must be a "
			    "string", what, i, c->string);
			return -1;
		}
		plan_step_output(s, c->string, c->valuestring);
	}
	return 0;
}

/* "what: line L, column C: expected X" for the text at buf[off]. */
static int
syntax(const char *what, const char *buf, size_t off, const char *expected)
{
	size_t line, col;

	json_where(buf, off, &line, &col);
	log_errx("%s: line %zu, column %zu: not valid JSON: expected %s",
	    what, line, col, expected);
	return -1;
}

/*
 * $.steps, buf[i, len) the array: each step parsed alone and taken, so
 * only one step's tree is ever in memory.
 */
static int
parse_steps(struct plan *p, const char *what, const char *buf, size_t len,
    size_t i)
{
	size_t e, n = 0;
	cJSON *st;
	char *label;
	int rc;

	if (i >= len || buf[i] != '[') {
		log_errx("%s: $.steps must be an array", what);
		return -1;
	}
	i = json_skip_ws(buf, len, i + 1);
	if (i < len && buf[i] == ']')
		return json_skip_ws(buf, len, i + 1) == len ? 0 :
		    syntax(what, buf, i + 1, "the end of $.steps");
	for (;;) {
		i = json_skip_ws(buf, len, i);
		if ((e = json_value_end(buf, len, i)) == 0)
			return syntax(what, buf, i, "a step");
		label = xasprintf("%s: $.steps[%zu]", what, n);
		rc = json_parse(&st, label, buf + i, e - i);
		free(label);
		if (rc == -1)
			return -1;
		rc = take_step(p, st, what, n);
		cJSON_Delete(st);
		if (rc == -1)
			return -1;
		n++;
		i = json_skip_ws(buf, len, e);
		if (i < len && buf[i] == ',') {
			i++;
			continue;
		}
		if (i < len && buf[i] == ']' && i + 1 == len)
			return 0;
		return syntax(what, buf, i, "',' or ']'");
	}
}

/* A member of the root but $.steps, parsed alone ($.formatVersion checked). */
static int
parse_member(const char *what, const char *key, const char *buf, size_t len,
    bool *version)
{
	char *label = xasprintf("%s: $.%s", what, key);
	cJSON *v = NULL;
	int rc = json_parse(&v, label, buf, len);

	free(label);
	if (rc == 0 && strcmp(key, "formatVersion") == 0) {
		if (!cJSON_IsNumber(v) ||
		    v->valuedouble != PLAN_FORMAT_VERSION) {
			log_errx("%s: $.formatVersion must be %d", what,
			    PLAN_FORMAT_VERSION);
			rc = -1;
		} else
			*version = true;
	}
	cJSON_Delete(v);
	return rc;
}

/*
 * Read without a tree of the whole text (1 GB for 100,000 services): the
 * root object a member at a time, $.steps a step at a time.
 */
int
plan_parse(struct plan **out, const char *what, const char *buf, size_t len)
{
	struct plan *p = plan_new();
	struct hashmap seen;
	struct json_iter it;
	cJSON *j = NULL;
	bool version = false, steps = false;
	char *key = NULL;
	size_t v, vend, dummy;
	int r, rc = -1;

	*out = NULL;
	hashmap_init(&seen);
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		(void)json_parse(&j, what, buf, len);	/* its message */
		goto out;
	}
	if (json_iter_object(&it, buf, len, 0) == -1) {
		(void)syntax(what, buf, it.i, "an object");
		goto out;
	}
	while ((r = json_iter_member(&it, &key, &v, &vend)) == 1) {
		if (hashmap_get(&seen, key, &dummy)) {
			log_errx("%s: $.%s: key \"%s\" appears twice in one "
			    "object", what, key, key);
			goto out;
		}
		hashmap_put(&seen, key, 0);
		if (strcmp(key, "steps") == 0) {
			if (parse_steps(p, what, buf, vend, v) == -1)
				goto out;
			steps = true;
		} else if (parse_member(what, key, buf + v, vend - v,
		    &version) == -1)
			goto out;
		free(key);
		key = NULL;
	}
	if (r == -1) {
		(void)syntax(what, buf, it.i, "a member or '}'");
		goto out;
	}
	if ((v = json_skip_ws(buf, len, it.i)) != len) {
		(void)syntax(what, buf, v, "the end of the text");
		goto out;
	}
	if (!version) {
		log_errx("%s: $.formatVersion must be %d", what,
		    PLAN_FORMAT_VERSION);
		goto out;
	}
	if (!steps) {
		log_errx("%s: $.steps must be an array", what);
		goto out;
	}
	*out = p;
	p = NULL;
	rc = 0;
out:
	free(key);
	hashmap_cleanup(&seen);
	cJSON_Delete(j);
	plan_free(p);
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
