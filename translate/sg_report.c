/*
 * Security groups, step 5: the PLAN.md section (blast radius: which
 * services each merged rule now reaches, what was folded or dropped).
 */
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "jsonutil.h"
#include "options.h"
#include "sg_int.h"
#include "strbuf.h"
#include "xalloc.h"

/* PLAN.md's section moves to a temporary file this much at a time. */
#define SG_MD_CHUNK	(64 * 1024)

/* ---- PLAN.md ----------------------------------------------------- */

static void
md_text(struct strbuf *sb, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|' || *s == '`' || *s == '*' || *s == '_' ||
		    *s == '\\' || *s == '<' || *s == '[')
			(void)strbuf_printf(sb, "\\%c", *s);
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			(void)strbuf_puts(sb, " ");
		else
			(void)strbuf_add(sb, s, 1);
	}
}

static void
md_source(struct strbuf *sb, const struct sg_rule *r)
{
	size_t i;

	if (r->internal) {
		(void)strbuf_puts(sb, "the instances' group (was");
		for (i = 0; i < r->nrefs; i++)
			(void)strbuf_printf(sb, "%s `%s`", i > 0 ? "," : "",
			    r->refs[i]);
		(void)strbuf_puts(sb, ")");
		return;
	}
	(void)strbuf_puts(sb, "`");
	md_text(sb, r->source);
	(void)strbuf_puts(sb, "`");
	if (r->kind == SG_KIND_PREFIX_LIST)
		(void)strbuf_puts(sb, " (prefix list)");
	if (r->kind == SG_KIND_GROUP && (r->user_id != NULL ||
	    r->vpc_id != NULL || r->pcx_id != NULL)) {
		const char *sep = " (";

		if (r->user_id != NULL) {
			(void)strbuf_printf(sb, "%saccount ", sep);
			md_text(sb, r->user_id);
			sep = ", ";
		}
		if (r->vpc_id != NULL) {
			(void)strbuf_printf(sb, "%s", sep);
			md_text(sb, r->vpc_id);
			sep = ", ";
		}
		if (r->pcx_id != NULL) {
			(void)strbuf_printf(sb, "%speering ", sep);
			md_text(sb, r->pcx_id);
		}
		(void)strbuf_puts(sb, ")");
	}
}

/*
 * Who uses which merged group, made once for the section (every look-up
 * below was a pass over all services, per group or per rule): per group
 * (index in the sorted c->ids) the services (index in x->mig, ascending,
 * each once) that name it, and per rule of c->rules the groups it came
 * from.
 */
struct sg_who {
	size_t	**svcs;			/* per group */
	size_t	 *nsvcs;
	size_t	 *orig;			/* origins of rule i: orig[at[i]..] */
	size_t	 *at;			/* c->rules.n + 1 offsets */
	unsigned char *mark;		/* per group: of the service at hand */
	size_t	 *pick;			/* room for md_services */
	size_t	 *seen;			/* per service: last rule listing it */
	size_t	  stamp;
};

/* Index of GroupId id in the sorted c->ids, or c->nids when absent. */
static size_t
id_index(const struct sg_ctx *c, const char *id)
{
	char *const *p = bsearch(&id, c->ids, c->nids, sizeof(*c->ids),
	    sg_refs_cmp);

	return p != NULL ? (size_t)(p - c->ids) : c->nids;
}

static void
who_init(struct sg_who *w, const struct sg_ctx *c)
{
	size_t i, j, k;

	w->svcs = xcalloc(c->nids + 1, sizeof(*w->svcs));
	w->nsvcs = xcalloc(c->nids + 1, sizeof(*w->nsvcs));
	w->mark = xcalloc(c->nids + 1, 1);
	w->pick = xcalloc(c->x->nmig + 1, sizeof(*w->pick));
	w->seen = xcalloc(c->x->nmig + 1, sizeof(*w->seen));
	w->stamp = 0;
	w->at = xcalloc(c->rules.n + 1, sizeof(*w->at));
	for (i = 0; i < c->rules.n; i++)
		w->at[i + 1] = w->at[i] + c->rules.v[i].norigins;
	w->orig = xcalloc(w->at[c->rules.n] + 1, sizeof(*w->orig));
	for (i = 0; i < c->rules.n; i++)
		for (k = 0; k < c->rules.v[i].norigins; k++)
			w->orig[w->at[i] + k] = id_index(c,
			    c->rules.v[i].origins[k]);
	for (j = 0; j < c->x->nmig; j++)
		for (k = 0; k < c->x->mig[j]->nsgs; k++) {
			i = id_index(c, c->x->mig[j]->sgs[k]);
			if (i == c->nids || (w->nsvcs[i] > 0 &&
			    w->svcs[i][w->nsvcs[i] - 1] == j))
				continue;
			w->svcs[i] = xgrow(w->svcs[i], w->nsvcs[i],
			    sizeof(**w->svcs));
			w->svcs[i][w->nsvcs[i]++] = j;
		}
}

static void
who_cleanup(struct sg_who *w, const struct sg_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nids; i++)
		free(w->svcs[i]);
	free(w->svcs);
	free(w->nsvcs);
	free(w->mark);
	free(w->pick);
	free(w->seen);
	free(w->orig);
	free(w->at);
}

/* Whether r came from one of the groups marked in w (one service's). */
static bool
marked_origin(const struct sg_ctx *c, const struct sg_who *w,
    const struct sg_rule *r)
{
	size_t i, n = (size_t)(r - c->rules.v);

	for (i = w->at[n]; i < w->at[n + 1]; i++)
		if (w->mark[w->orig[i]])
			return true;
	return false;
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The services one of whose groups r came from, in x->mig order. */
static void
md_services(struct strbuf *sb, const struct sg_ctx *c, struct sg_who *w,
    const struct sg_rule *r)
{
	size_t i, k, g, n = 0, ri = (size_t)(r - c->rules.v);

	w->stamp++;
	for (i = w->at[ri]; i < w->at[ri + 1]; i++) {
		g = w->orig[i];
		for (k = 0; g < c->nids && k < w->nsvcs[g]; k++)
			if (w->seen[w->svcs[g][k]] != w->stamp) {
				w->seen[w->svcs[g][k]] = w->stamp;
				w->pick[n++] = w->svcs[g][k];
			}
	}
	if (r->norigins > 1)
		qsort(w->pick, n, sizeof(*w->pick), cmp_size);
	for (i = 0; i < n; i++)
		(void)strbuf_printf(sb, "%s%s", i > 0 ? ", " : "",
		    c->x->mig[w->pick[i]]->name);
}

static void
md_rule_row(struct strbuf *sb, const struct sg_ctx *c, struct sg_who *w,
    const struct sg_rule *r)
{
	char *t = sg_refs_traffic(r);
	size_t i;

	(void)strbuf_printf(sb, "| %s | %s | ", r->egress ? "outbound" :
	    "inbound", t);
	free(t);
	md_source(sb, r);
	(void)strbuf_puts(sb, " | ");
	for (i = 0; i < r->ndescs; i++) {
		if (i > 0)
			(void)strbuf_puts(sb, "; ");
		md_text(sb, r->descs[i]);
	}
	(void)strbuf_puts(sb, " | ");
	for (i = 0; i < r->norigins; i++)
		(void)strbuf_printf(sb, "%s`%s`", i > 0 ? ", " : "",
		    r->origins[i]);
	(void)strbuf_puts(sb, " | ");
	md_services(sb, c, w, r);
	(void)strbuf_puts(sb, " |\n");
}

static void
md_rule_line(struct strbuf *sb, const struct sg_rule *r)
{
	char *t = sg_refs_traffic(r);

	(void)strbuf_printf(sb, "%s %s %s ", r->egress ? "outbound" :
	    "inbound", t, r->egress ? "to" : "from");
	free(t);
	md_source(sb, r);
}

void
sg_report_write(struct sg_ctx *c, size_t nparsed, size_t nmerged)
{
	struct strbuf *sb = &c->x->md_sg, *lines;
	struct sg_who w;
	const char *first = SG_STEP;
	size_t i, j, k, lo, cnt, n, ndropped = 0;
	long long maxin = opt_int(c->x->opt, "sg-max-ingress");
	long long maxeg = opt_int(c->x->opt, "sg-max-egress");
	size_t capin = maxin > 0 ? (size_t)maxin : 1;
	size_t capeg = (size_t)(maxeg - (c->allow_all ? 1 : 0));

	if (capeg == 0)
		capeg = 1;
	for (i = 0; i < c->rules.n; i++)
		if (c->rules.v[i].container >= 0)
			ndropped++;
	who_init(&w, c);
	(void)strbuf_puts(sb, "## Security groups of the instances\n\n");
	(void)strbuf_puts(sb, "With awsvpc each task keeps its own security "
	    "groups on its own network interface: nothing below changes what "
	    "reaches or leaves the tasks. The merged group governs the "
	    "instances' primary interfaces (the ECS agent, image pulls, "
	    "anything in bridge or host network mode), and so every instance "
	    "opens what any migrated service's groups opened.\n\n");
	(void)strbuf_printf(sb, "Merged from %zu group%s:", c->nids,
	    c->nids == 1 ? "" : "s");
	for (i = 0; i < c->nids; i++) {
		const struct xsg *g = export_find_sg(c->x->ex, c->ids[i]);
		const char *gn = export_sg_hold(c->x->ex, g) == -1 ? NULL :
		    json_str(g->sg, "GroupName");

		(void)strbuf_printf(sb, "%s `%s` (", i > 0 ? "," : "",
		    c->ids[i]);
		if (gn != NULL) {
			md_text(sb, gn);
			(void)strbuf_puts(sb, "; ");
		}
		(void)strbuf_puts(sb, "used by");
		for (j = 0; j < w.nsvcs[i]; j++)
			(void)strbuf_printf(sb, "%s %s", j > 0 ? "," : "",
			    c->x->mig[w.svcs[i][j]]->name);
		(void)strbuf_puts(sb, ")");
	}
	(void)strbuf_printf(sb, ", in `%s`. %zu rules read (one per CIDR, "
	    "prefix list or group pair); %zu stale peering references "
	    "dropped; %zu rules after folding exact duplicates; %zu of them "
	    "dropped as contained in another (--sg-drop-contained). A "
	    "reference to one of the merged groups (self or sibling) now "
	    "names the instances' group `%s`.\n\n", c->vpc,
	    nparsed + c->stale, c->stale, nmerged, ndropped, c->ref);
	if (c->stale > 0) {
		(void)strbuf_puts(sb, "Dropped stale peering references "
		    "(`PeeringStatus: deleted`; also in warnings.json):\n\n");
		(void)strbuf_add(sb, c->stale_md.buf, c->stale_md.len);
		(void)strbuf_puts(sb, "\n");
	}
	(void)strbuf_printf(sb, "Quota: at most %lld inbound and %lld "
	    "outbound rules per group (each CIDR, prefix list or group pair "
	    "counts as one; IPv4 and IPv6 together, which is stricter than "
	    "AWS), at most %lld groups per interface: %zu inbound and %zu "
	    "outbound rules to authorize need %zu group%s. Rules are sent in "
	    "ec2:AuthorizeSecurityGroupIngress/Egress calls of at most %d "
	    "IpPermissions each; one IpPermission holds the sources of one "
	    "protocol and port range.\n\n", maxin, maxeg,
	    opt_int(c->x->opt, "sg-max-groups"), c->nin, c->nout,
	    c->ngroups, c->ngroups == 1 ? "" : "s", SG_MAX_CALL_PERMS);
	for (i = n = 0; i < c->rules.n; i++) {
		const struct sg_rule *r = &c->rules.v[i];

		if (r->container >= 0 || r->kind != SG_KIND_PREFIX_LIST)
			continue;
		if (n++ == 0)
			(void)strbuf_puts(sb, "Prefix lists count here as one "
			    "rule each, but AWS counts a customer-managed "
			    "prefix list as its maximum number of entries, "
			    "which the export does not show (`aws ec2 "
			    "describe-managed-prefix-lists`):");
		(void)strbuf_printf(sb, "%s `", n > 1 ? "," : "");
		md_text(sb, r->source);
		(void)strbuf_puts(sb, "`");
	}
	if (n > 0)
		(void)strbuf_puts(sb, ".\n\n");
	for (k = 0; k < c->ngroups; k++) {
		char *id = sg_quota_group_step(k), *name = sg_quota_group_name(c, k);

		(void)strbuf_printf(sb, "### `%s` (step `%s`)\n\n", name, id);
		(void)strbuf_puts(sb, "| direction | traffic | source / "
		    "destination | description | from groups | services |\n"
		    "|---|---|---|---|---|---|\n");
		sg_quota_share(c->nin, capin, k, &lo, &cnt);
		for (i = lo; i < lo + cnt; i++) {
			md_rule_row(sb, c, &w, c->in[i]);
			strbuf_spill(sb, SG_MD_CHUNK);
		}
		sg_quota_share(c->nout, capeg, k, &lo, &cnt);
		for (i = lo; i < lo + cnt; i++) {
			md_rule_row(sb, c, &w, c->out[i]);
			strbuf_spill(sb, SG_MD_CHUNK);
		}
		(void)strbuf_puts(sb, "\n");
		free(id);
		free(name);
	}
	if (c->allow_all)
		(void)strbuf_puts(sb, "Outbound: all traffic to `0.0.0.0/0` "
		    "is allowed, which is the rule every new group starts "
		    "with: nothing is sent for it.\n\n");
	else if (c->nout == 0)
		(void)strbuf_printf(sb, "Outbound: **none at all** (the "
		    "merged groups' IpPermissionsEgress are empty): step "
		    "`%s:egress-revoke` revokes the default allow-all rule "
		    "(all traffic to `0.0.0.0/0`) of each new group and no "
		    "outbound rule is added.\n\n", first);
	else
		(void)strbuf_printf(sb, "Outbound is restricted: step "
		    "`%s:egress-revoke` revokes the default allow-all rule "
		    "(all traffic to `0.0.0.0/0`) of each new group, and only "
		    "the outbound rules above are authorized.\n\n", first);
	if (ndropped > 0) {
		(void)strbuf_puts(sb, "Dropped as wholly contained in another "
		    "rule (same direction and source kind, the same protocol "
		    "or all traffic, a wider or equal CIDR and port range):\n\n");
		for (i = 0; i < c->rules.n; i++) {
			const struct sg_rule *r = &c->rules.v[i];

			if (r->container < 0)
				continue;
			strbuf_spill(sb, SG_MD_CHUNK);
			(void)strbuf_puts(sb, "- ");
			md_rule_line(sb, r);
			(void)strbuf_puts(sb, " (");
			md_services(sb, c, &w, r);
			(void)strbuf_puts(sb, "): inside ");
			md_rule_line(sb, &c->rules.v[r->container]);
			(void)strbuf_puts(sb, " (");
			md_services(sb, c, &w, &c->rules.v[r->container]);
			(void)strbuf_puts(sb, ")\n");
		}
		(void)strbuf_puts(sb, "\n");
	}
	(void)strbuf_puts(sb, "What each service's instances gain (inbound "
	    "rules that come only from other services' groups):\n\n");
	/* Each rule's text once, not once per service. */
	lines = xcalloc(c->nin + 1, sizeof(*lines));
	for (i = 0; i < c->nin; i++) {
		strbuf_init(&lines[i], MODEL_MD_MAX);
		md_rule_line(&lines[i], c->in[i]);
	}
	for (j = 0; j < c->x->nmig; j++) {
		const struct xsvc *s = c->x->mig[j];

		(void)strbuf_printf(sb, "- **%s**:", s->name);
		/* (a group absent from c->ids matches no rule: not marked) */
		for (k = 0; k < s->nsgs; k++)
			w.mark[id_index(c, s->sgs[k])] = 1;
		w.mark[c->nids] = 0;
		for (i = n = 0; i < c->nin; i++) {
			if (marked_origin(c, &w, c->in[i]))
				continue;
			(void)strbuf_puts(sb, n++ > 0 ? "; " : " ");
			/* Piece by piece where the limit may cut it. */
			if (lines[i].len <= sb->max - sb->len)
				(void)strbuf_add(sb, lines[i].buf,
				    lines[i].len);
			else
				md_rule_line(sb, c->in[i]);
		}
		for (k = 0; k < s->nsgs; k++)
			w.mark[id_index(c, s->sgs[k])] = 0;
		if (n == 0)
			(void)strbuf_puts(sb, " nothing");
		(void)strbuf_puts(sb, "\n");
		strbuf_spill(sb, SG_MD_CHUNK);
	}
	(void)strbuf_puts(sb, "\n");
	for (i = 0; i < c->nin; i++)
		strbuf_cleanup(&lines[i]);
	free(lines);
	who_cleanup(&w, c);
}
