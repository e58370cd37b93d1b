/*
 * Reading plan.json back (f2o-exec): a step at a time, from a text or a
 * bundle file read a window at a time. See plan.h and BUNDLE.md.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "jsonutil.h"
#include "log.h"
#include "plan.h"
#include "xalloc.h"

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

/*
 * plan.json as it comes: a window of the text, refilled from a bundle
 * file (or the whole text, given).
 */
struct pstream {
	struct bundle_reader *r;	/* NULL: buf is the whole text */
	const char *buf;
	char	*own;			/* the window, when reading */
	size_t	 cap, len, pos;
	long long base;			/* where buf[0] is in the text */
	bool	 eof;
	bool	 failed;		/* a read failed (logged) */
};

#define PLAN_WINDOW	(1024 * 1024)

/* More text: buf[pos..] kept, the window grown when full. -1 at the end. */
static int
ps_fill(struct pstream *s)
{
	long n;

	if (s->eof)
		return -1;
	if (s->pos > 0) {
		memmove(s->own, s->own + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->base += (long long)s->pos;
		s->pos = 0;
	}
	if (s->len == s->cap) {
		s->cap *= 2;
		s->own = xrealloc(s->own, s->cap);
	}
	s->buf = s->own;
	n = bundle_rread(s->r, s->own + s->len, s->cap - s->len);
	if (n <= 0) {
		s->failed = n < 0;
		s->eof = true;
		return -1;
	}
	s->len += (size_t)n;
	return 0;
}

/* The next byte but spaces (s->pos on it), or -1 at the end. */
static int
ps_peek(struct pstream *s)
{
	for (;;) {
		s->pos = json_skip_ws(s->buf, s->len, s->pos);
		if (s->pos < s->len)
			return (unsigned char)s->buf[s->pos];
		if (ps_fill(s) == -1)
			return -1;
	}
}

/* The value at s->pos whole in the window: its end, or 0. */
static size_t
ps_value(struct pstream *s)
{
	size_t e;

	for (;;) {
		e = json_value_end(s->buf, s->len, s->pos);
		/* A number at the window's end may go on. */
		if (e != 0 && (e < s->len || s->eof))
			return e;
		if (ps_fill(s) == -1)
			return s->failed ? 0 :
			    json_value_end(s->buf, s->len, s->pos);
	}
}

/* "what: line L, column C (or byte N): not valid JSON: expected X". */
static int
ps_syntax(const struct pstream *s, const char *what, const char *expected)
{
	size_t line, col;

	if (s->failed)
		return -1;
	if (s->r != NULL) {
		log_errx("%s: byte %lld: not valid JSON: expected %s", what,
		    s->base + (long long)s->pos + 1, expected);
		return -1;
	}
	json_where(s->buf, s->pos, &line, &col);
	log_errx("%s: line %zu, column %zu: not valid JSON: expected %s",
	    what, line, col, expected);
	return -1;
}

/* $.steps, s at its '[': each step parsed alone and taken. */
static int
parse_steps(struct plan *p, const char *what, struct pstream *s)
{
	size_t e, n;
	cJSON *st;
	char *label;
	int c, rc;

	s->pos++;
	if (ps_peek(s) == ']') {
		s->pos++;
		return 0;
	}
	for (n = 0;; n++) {
		if (ps_peek(s) == -1 || (e = ps_value(s)) == 0)
			return ps_syntax(s, what, "a step");
		label = xasprintf("%s: $.steps[%zu]", what, n);
		rc = json_parse(&st, label, s->buf + s->pos, e - s->pos);
		free(label);
		if (rc == -1)
			return -1;
		rc = take_step(p, st, what, n);
		cJSON_Delete(st);
		if (rc == -1)
			return -1;
		s->pos = e;
		if ((c = ps_peek(s)) == ',') {
			s->pos++;
			continue;
		}
		if (c == ']') {
			s->pos++;
			return 0;
		}
		return ps_syntax(s, what, "',' or ']'");
	}
}

/* A member of the root but $.steps, parsed alone ($.formatVersion checked). */
static int
parse_member(const char *what, const char *key, struct pstream *s,
    bool *version)
{
	cJSON *v = NULL;
	char *label;
	size_t e;
	int rc;

	if (ps_peek(s) == -1 || (e = ps_value(s)) == 0)
		return ps_syntax(s, what, "a value");
	label = xasprintf("%s: $.%s", what, key);
	rc = json_parse(&v, label, s->buf + s->pos, e - s->pos);
	free(label);
	s->pos = e;
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

/* The key at s->pos (a new string), s left past its ':'; NULL (logged). */
static char *
ps_key(struct pstream *s, const char *what)
{
	cJSON *k = NULL;
	char *key = NULL;
	size_t e;

	if (ps_peek(s) != '"' || (e = ps_value(s)) == 0 ||
	    !cJSON_IsString(k = cJSON_ParseWithLength(s->buf + s->pos,
	    e - s->pos))) {
		cJSON_Delete(k);
		(void)ps_syntax(s, what, "a key");
		return NULL;
	}
	key = xstrdup(k->valuestring);
	cJSON_Delete(k);
	s->pos = e;
	if (ps_peek(s) != ':') {
		free(key);
		(void)ps_syntax(s, what, "':'");
		return NULL;
	}
	s->pos++;
	return key;
}

/*
 * The root object a member at a time, $.steps a step at a time: no tree
 * of the whole text (1 GB for 100,000 services).
 */
static int
parse_root(struct plan *p, const char *what, struct pstream *s)
{
	struct hashmap seen;
	bool version = false, steps = false;
	char *key = NULL;
	size_t n, dummy;
	int c, rc = -1;

	hashmap_init(&seen);
	if (ps_peek(s) != '{') {
		(void)ps_syntax(s, what, "an object");
		goto out;
	}
	s->pos++;
	for (n = 0;; n++) {
		if ((c = ps_peek(s)) == '}') {
			s->pos++;
			break;
		}
		if (n > 0 && c != ',') {
			(void)ps_syntax(s, what, "',' or '}'");
			goto out;
		}
		if (n > 0)
			s->pos++;
		if ((key = ps_key(s, what)) == NULL)
			goto out;
		if (hashmap_get(&seen, key, &dummy)) {
			log_errx("%s: $.%s: key \"%s\" appears twice in one "
			    "object", what, key, key);
			goto out;
		}
		hashmap_put(&seen, key, 0);
		if (strcmp(key, "steps") == 0) {
			if (ps_peek(s) != '[') {
				log_errx("%s: $.steps must be an array", what);
				goto out;
			}
			if (parse_steps(p, what, s) == -1)
				goto out;
			steps = true;
		} else if (parse_member(what, key, s, &version) == -1)
			goto out;
		free(key);
		key = NULL;
	}
	if (ps_peek(s) != -1) {
		(void)ps_syntax(s, what, "the end of the text");
		goto out;
	}
	if (s->failed)
		goto out;
	if (!version)
		log_errx("%s: $.formatVersion must be %d", what,
		    PLAN_FORMAT_VERSION);
	else if (!steps)
		log_errx("%s: $.steps must be an array", what);
	else
		rc = 0;
out:
	free(key);
	hashmap_cleanup(&seen);
	return rc;
}

int
plan_parse(struct plan **out, const char *what, const char *buf, size_t len)
{
	struct plan *p;
	struct pstream s;
	cJSON *j = NULL;

	*out = NULL;
	if (len == 0 || memchr(buf, '\0', len) != NULL) {
		(void)json_parse(&j, what, buf, len);	/* its message */
		return -1;
	}
	memset(&s, 0, sizeof(s));
	s.buf = buf;
	s.len = len;
	s.eof = true;
	p = plan_new();
	if (parse_root(p, what, &s) == -1) {
		plan_free(p);
		return -1;
	}
	*out = p;
	return 0;
}

int
plan_read(struct plan **out, const struct bundle *b, const char *name)
{
	struct plan *p;
	struct pstream s;
	int rc;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	if ((s.r = bundle_ropen(b, name)) == NULL)
		return -1;
	s.cap = PLAN_WINDOW;
	s.buf = s.own = xmalloc(s.cap);
	p = plan_new();
	rc = parse_root(p, name, &s);
	bundle_rclose(s.r);
	free(s.own);
	if (rc == -1) {
		plan_free(p);
		return -1;
	}
	*out = p;
	return 0;
}
