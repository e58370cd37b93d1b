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
#define SG_MD_CHUNK	(1024 * 1024)

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

static bool
svc_has_origin(const struct xsvc *s, const struct sg_rule *r)
{
	size_t i;

	for (i = 0; i < s->nsgs; i++)
		if (sg_refs_has(r->origins, r->norigins, s->sgs[i]))
			return true;
	return false;
}

static void
md_services(struct strbuf *sb, const struct sg_ctx *c,
    const struct sg_rule *r)
{
	size_t i, n = 0;

	for (i = 0; i < c->x->nmig; i++)
		if (svc_has_origin(c->x->mig[i], r))
			(void)strbuf_printf(sb, "%s%s", n++ > 0 ? ", " : "",
			    c->x->mig[i]->name);
}

static void
md_rule_row(struct strbuf *sb, const struct sg_ctx *c,
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
	md_services(sb, c, r);
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
		const char *gn = json_str(g->sg, "GroupName");

		(void)strbuf_printf(sb, "%s `%s` (", i > 0 ? "," : "",
		    c->ids[i]);
		if (gn != NULL) {
			md_text(sb, gn);
			(void)strbuf_puts(sb, "; ");
		}
		(void)strbuf_puts(sb, "used by");
		for (j = n = 0; j < c->x->nmig; j++)
			for (k = 0; k < c->x->mig[j]->nsgs; k++)
				if (strcmp(c->x->mig[j]->sgs[k], c->ids[i]) ==
				    0) {
					(void)strbuf_printf(sb, "%s %s",
					    n++ > 0 ? "," : "",
					    c->x->mig[j]->name);
					break;
				}
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
			md_rule_row(sb, c, c->in[i]);
			strbuf_spill(sb, SG_MD_CHUNK);
		}
		sg_quota_share(c->nout, capeg, k, &lo, &cnt);
		for (i = lo; i < lo + cnt; i++) {
			md_rule_row(sb, c, c->out[i]);
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
			md_services(sb, c, r);
			(void)strbuf_puts(sb, "): inside ");
			md_rule_line(sb, &c->rules.v[r->container]);
			(void)strbuf_puts(sb, " (");
			md_services(sb, c, &c->rules.v[r->container]);
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
		for (i = n = 0; i < c->nin; i++) {
			if (svc_has_origin(s, c->in[i]))
				continue;
			(void)strbuf_puts(sb, n++ > 0 ? "; " : " ");
			/* Piece by piece where the limit may cut it. */
			if (lines[i].len <= sb->max - sb->len)
				(void)strbuf_add(sb, lines[i].buf,
				    lines[i].len);
			else
				md_rule_line(sb, c->in[i]);
		}
		if (n == 0)
			(void)strbuf_puts(sb, " nothing");
		(void)strbuf_puts(sb, "\n");
		strbuf_spill(sb, SG_MD_CHUNK);
	}
	(void)strbuf_puts(sb, "\n");
	for (i = 0; i < c->nin; i++)
		strbuf_cleanup(&lines[i]);
	free(lines);
}
