/*
 * A large plan's finished steps in an unlinked temporary file, in order,
 * read back a step at a time (plan_reader). See plan.h, plan_spill().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "log.h"
#include "plan.h"
#include "xalloc.h"

/* Steps wait in memory up to this many bytes, then go to the file. */
#define SPILL_PENDING	(256 * 1024)
/* The reader's window on the file. */
#define SPILL_WINDOW	(256 * 1024)

struct plan_spill {
	int	 fd;		/* unlinked temporary file */
	long long flushed;	/* bytes written to it */
	char	*pend;		/* bytes not written yet, after those */
	size_t	 npend;
	struct xoffs off;	/* start of step i's record */
	bool	 failed;	/* a write failed (logged): reads fail */
};

/*
 * A record: u32 nafter, u32 noutputs, u8 flags (1 request, 2 undoes), then
 * NUL-terminated: id, phase, action, title, [request], [undoes], the after
 * ids, each output's name and path.
 */
#define REC_HEAD	9
#define REC_REQUEST	1
#define REC_UNDOES	2

void
plan_spill(struct plan *p, const char *near)
{
	struct plan_spill *sp;
	int fd;

	if (p->spill != NULL || p->nsteps > 0)
		return;
	if ((fd = fsio_temp_near(near, "plan")) == -1)
		return;		/* stays in memory */
	sp = xcalloc(1, sizeof(*sp));
	sp->fd = fd;
	sp->pend = xmalloc(SPILL_PENDING);
	p->spill = sp;
}

void
plan_spill_free(struct plan_spill *sp)
{
	if (sp == NULL)
		return;
	(void)close(sp->fd);
	free(sp->pend);
	xoffs_free(&sp->off);
	free(sp);
}

static int
spill_flush(struct plan_spill *sp)
{
	if (sp->npend == 0 || sp->failed)
		return sp->failed ? -1 : 0;
	if (fsio_write_all(sp->fd, sp->pend, sp->npend, "plan spill") == -1) {
		sp->failed = true;
		return -1;
	}
	sp->flushed += (long long)sp->npend;
	sp->npend = 0;
	return 0;
}

static void
put_str(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(buf + *len, s, n);
	*len += n;
}

static void
put_u32(char *buf, size_t *len, size_t v)
{
	uint32_t u = (uint32_t)v;

	memcpy(buf + *len, &u, sizeof(u));
	*len += sizeof(u);
}

void
plan_spill_put(struct plan_spill *sp, const struct plan_step *s)
{
	size_t need = REC_HEAD, len = 0, j;
	char *buf;

	need += strlen(s->id) + strlen(s->phase) + strlen(s->action) +
	    strlen(s->title) + 4;
	if (s->request != NULL)
		need += strlen(s->request) + 1;
	if (s->undoes != NULL)
		need += strlen(s->undoes) + 1;
	for (j = 0; j < s->nafter; j++)
		need += strlen(s->after[j]) + 1;
	for (j = 0; j < s->noutputs; j++)
		need += strlen(s->outputs[j].name) +
		    strlen(s->outputs[j].path) + 2;
	if (sp->npend + need > SPILL_PENDING)
		(void)spill_flush(sp);
	/*
	 * A record is shorter than its line of plan.json, which is at most
	 * PLAN_MAX_TEXT (4 GiB): past that, the plan cannot be written.
	 */
	if (xoffs_push(&sp->off, sp->flushed + (long long)sp->npend) == -1) {
		if (!sp->failed)
			log_errx("plan: more than %lu bytes",
			    (unsigned long)PLAN_MAX_TEXT);
		sp->failed = true;
		return;
	}
	/* A record larger than the pending buffer is written alone. */
	buf = need > SPILL_PENDING ? xmalloc(need) : sp->pend + sp->npend;
	put_u32(buf, &len, s->nafter);
	put_u32(buf, &len, s->noutputs);
	buf[len++] = (char)((s->request != NULL ? REC_REQUEST : 0) |
	    (s->undoes != NULL ? REC_UNDOES : 0));
	put_str(buf, &len, s->id);
	put_str(buf, &len, s->phase);
	put_str(buf, &len, s->action);
	put_str(buf, &len, s->title);
	if (s->request != NULL)
		put_str(buf, &len, s->request);
	if (s->undoes != NULL)
		put_str(buf, &len, s->undoes);
	for (j = 0; j < s->nafter; j++)
		put_str(buf, &len, s->after[j]);
	for (j = 0; j < s->noutputs; j++) {
		put_str(buf, &len, s->outputs[j].name);
		put_str(buf, &len, s->outputs[j].path);
	}
	if (need > SPILL_PENDING) {
		if (!sp->failed && fsio_write_all(sp->fd, buf, len,
		    "plan spill") == -1)
			sp->failed = true;
		sp->flushed += (long long)len;
		free(buf);
	} else
		sp->npend += len;
}

/*
 * Where record i starts, and its length; -1 (logged) when the file could
 * not be written.
 */
static long long
span(const struct plan_spill *sp, size_t i, size_t *len)
{
	long long start;

	*len = 0;
	if (sp->failed || i >= sp->off.n) {
		log_errx("plan: its spill file could not be written");
		return -1;
	}
	start = XOFFS_AT(&sp->off, i);

	*len = (size_t)((i + 1 < sp->off.n ? XOFFS_AT(&sp->off, i + 1) :
	    sp->flushed + (long long)sp->npend) - start);
	return start;
}

int
plan_spill_id_is(struct plan_spill *sp, size_t i, const char *id)
{
	char buf[REC_HEAD + PLAN_ID_MAX + 2];
	size_t len;
	long long start = span(sp, i, &len);
	size_t n = strlen(id) + 1, want = REC_HEAD + n, got = 0;
	const char *rec;
	ssize_t k;

	if (start == -1)
		return -1;
	if (n > PLAN_ID_MAX + 1 || len < want)
		return 0;
	if (start >= sp->flushed)
		rec = sp->pend + (start - sp->flushed);
	else {
		/* Its first bytes only: the head, then the id. */
		while (got < want) {
			k = pread(sp->fd, buf + got, want - got,
			    (off_t)(start + (long long)got));
			if (k == -1 && errno == EINTR)
				continue;
			if (k <= 0) {
				log_err("read plan spill");
				return -1;
			}
			got += (size_t)k;
		}
		rec = buf;
	}
	return memcmp(rec + REC_HEAD, id, n) == 0;
}

void
plan_reader_init(struct plan_reader *r, const struct plan *p)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
}

void
plan_reader_cleanup(struct plan_reader *r)
{
	if (r == NULL)
		return;
	free(r->win);
	free(r->after);
	free(r->outs);
	memset(r, 0, sizeof(*r));
}

/* The bytes of record i, in the pending buffer or through the window. */
static const char *
record(struct plan_reader *r, size_t i, size_t *len)
{
	struct plan_spill *sp = r->p->spill;
	size_t n, got = 0;
	long long start = span(sp, i, &n), end = start + (long long)n;
	ssize_t k;

	*len = n;
	if (start == -1)
		return NULL;
	if (start >= sp->flushed)
		return sp->pend + (start - sp->flushed);
	if (end > sp->flushed && spill_flush(sp) == -1)
		return NULL;
	if (r->win != NULL && start >= r->woff &&
	    end <= r->woff + (long long)r->wlen)
		return r->win + (start - r->woff);
	if (n > r->wcap) {
		r->wcap = n > SPILL_WINDOW ? n : SPILL_WINDOW;
		free(r->win);
		r->win = xmalloc(r->wcap);
	}
	r->woff = start;
	r->wlen = 0;
	while (got < n) {
		k = pread(sp->fd, r->win + got, r->wcap - got,
		    (off_t)(start + (long long)got));
		if (k == -1 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == -1)
				log_err("read plan spill");
			else
				log_errx("read plan spill: truncated");
			return NULL;
		}
		got += (size_t)k;
	}
	r->wlen = got;
	return r->win;
}

/* The record being decoded. */
struct cursor {
	const char *q, *end;
	bool	 bad;
};

/* The next NUL-terminated string ("" and bad when there is none). */
static char *
next_str(struct cursor *c)
{
	const char *s = c->q, *z = c->bad ? NULL :
	    memchr(s, '\0', (size_t)(c->end - s));

	if (z == NULL) {
		c->bad = true;
		return (char *)(uintptr_t)"";
	}
	c->q = z + 1;
	return (char *)(uintptr_t)s;
}

const struct plan_step *
plan_reader_get(struct plan_reader *r, size_t i)
{
	const struct plan *p = r->p;
	struct plan_step *s = &r->step;
	struct cursor c;
	const char *b;
	uint32_t na, no;
	size_t len, j;
	int flags;

	if (p->spill == NULL)
		return &p->steps[i];
	if (i + 1 == p->nsteps && !p->closed)
		return &p->steps[0];	/* the last: still in memory */
	if ((b = record(r, i, &len)) == NULL)
		return NULL;
	if (len < REC_HEAD) {
		log_errx("plan spill: step %zu is damaged", i);
		return NULL;
	}
	memcpy(&na, b, sizeof(na));
	memcpy(&no, b + 4, sizeof(no));
	flags = (unsigned char)b[8];
	c.q = b + REC_HEAD;
	c.end = b + len;
	c.bad = false;
	if (na > r->acap) {
		r->acap = na;
		r->after = xreallocarray(r->after, na, sizeof(*r->after));
	}
	if (no > r->ocap) {
		r->ocap = no;
		r->outs = xreallocarray(r->outs, no, sizeof(*r->outs));
	}
	memset(s, 0, sizeof(*s));
	s->id = next_str(&c);
	s->phase = next_str(&c);
	s->action = next_str(&c);
	s->title = next_str(&c);
	if (flags & REC_REQUEST)
		s->request = next_str(&c);
	if (flags & REC_UNDOES)
		s->undoes = next_str(&c);
	for (j = 0; j < na; j++)
		r->after[j] = next_str(&c);
	for (j = 0; j < no; j++) {
		r->outs[j].name = next_str(&c);
		r->outs[j].path = next_str(&c);
	}
	s->after = r->after;
	s->nafter = na;
	s->outputs = r->outs;
	s->noutputs = no;
	if (c.bad || c.q != c.end) {
		log_errx("plan spill: step %zu is damaged", i);
		return NULL;
	}
	return s;
}
