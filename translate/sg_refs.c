/*
 * Security groups, step 2: the groups the migrated services name, their
 * rules parsed, references between them resolved, stale peerings dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "export.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "sg.h"
#include "sg_int.h"
#include "strbuf.h"
#include "xalloc.h"

int
sg_refs_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool
sg_refs_has(char **v, size_t n, const char *s)
{
	return bsearch(&s, v, n, sizeof(*v), sg_refs_cmp) != NULL;
}

/* The groups of the migrated services; missing ones are errors. */
int
sg_refs_groups(struct sg_ctx *c)
{
	struct xlate *x = c->x;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < x->nmig; i++) {
		struct xsvc *s = x->mig[i];

		if (s->nsgs == 0) {
			ctx_warn(x, s->name, "awsvpcConfiguration names no "
			    "security group (the VPC's default group applies "
			    "to its tasks): nothing of it is merged into the "
			    "instances' group");
			continue;
		}
		for (j = 0; j < s->nsgs; j++) {
			if (export_find_sg(x->ex, s->sgs[j]) == NULL) {
				log_errx("%s: %s.networkConfiguration."
				    "awsvpcConfiguration.securityGroups[%zu]: "
				    "service %s uses security group %s, which "
				    "is not in the export: add the output of "
				    "`aws ec2 describe-security-groups "
				    "--group-ids %s`", s->src, s->jpath, j,
				    s->name, s->sgs[j], s->sgs[j]);
				rc = -1;
				continue;
			}
			sg_rules_strv_add(&c->ids, &c->nids, s->sgs[j]);
		}
	}
	return rc;
}

/* "tcp 443", "udp 1000-2000", "icmp type 3 code 4", "all traffic". */
char *
sg_refs_traffic(const struct sg_rule *r)
{
	if (strcmp(r->proto, SG_PROTO_ALL) == 0)
		return xstrdup("all traffic");
	if (sg_rules_has_ports(r->proto)) {
		if (r->from == r->to)
			return xasprintf("%s %d", r->proto, r->from);
		if (r->from == SG_PORT_MIN && r->to == SG_PORT_MAX)
			return xasprintf("%s all ports", r->proto);
		return xasprintf("%s %d-%d", r->proto, r->from, r->to);
	}
	if (sg_rules_is_icmp(r->proto)) {
		if (r->from == SG_ICMP_ANY)
			return xasprintf("%s all types", r->proto);
		if (r->to == SG_ICMP_ANY)
			return xasprintf("%s type %d, all codes", r->proto,
			    r->from);
		return xasprintf("%s type %d code %d", r->proto, r->from,
		    r->to);
	}
	return xasprintf("protocol %s", r->proto);
}

/* Parse the merged groups, rewrite internal references, drop stale ones. */
int
sg_refs_rules(struct sg_ctx *c)
{
	struct xlate *x = c->x;
	const char *vpc = opt_str(x->opt, "vpc");
	size_t i, n;
	int rc = 0;

	for (i = 0; i < c->nids; i++) {
		const struct xsg *g = export_find_sg(x->ex, c->ids[i]);
		const char *gv = g->vpc;	/* lives with the export */

		if (export_sg_hold(x->ex, g) == -1 ||
		    sg_group_parse(&c->rules, g) == -1) {
			rc = -1;
			continue;
		}
		if (gv == NULL) {
			if (vpc == NULL) {
				log_errx("%s: %s.VpcId: security group %s has "
				    "no VPC: give --vpc", g->src, g->jpath,
				    g->id);
				rc = -1;
			}
			continue;
		}
		if (vpc != NULL) {
			if (strcmp(vpc, gv) != 0)
				ctx_warn(x, g->id, "is in %s, the instances' "
				    "group in %s (--vpc): references to groups "
				    "of %s need peering", gv, vpc, gv);
			continue;
		}
		if (c->vpc != NULL && strcmp(c->vpc, gv) != 0) {
			log_errx("%s: %s.VpcId: security group %s is in %s, "
			    "%s in %s: give --vpc", g->src, g->jpath, g->id,
			    gv, c->ids[0], c->vpc);
			rc = -1;
		}
		if (c->vpc == NULL)
			c->vpc = gv;
	}
	if (vpc != NULL)
		c->vpc = vpc;
	else if (c->vpc != NULL)
		ctx_resolved(x, "vpc", cJSON_CreateString(c->vpc));
	if (rc == -1)
		return -1;
	for (i = n = 0; i < c->rules.n; i++) {
		struct sg_rule *r = &c->rules.v[i];

		if (r->kind == SG_KIND_GROUP && r->peering != NULL &&
		    strcmp(r->peering, "deleted") == 0) {
			char *t = sg_refs_traffic(r);

			ctx_warn(x, r->origins[0], "%s rule %s %s group "
			    "%s%s%s has PeeringStatus deleted (stale peering "
			    "reference): dropped (%s)", r->egress ? "outbound" :
			    "inbound", t, r->egress ? "to" : "from", r->source,
			    r->vpc_id != NULL ? " of " : "",
			    r->vpc_id != NULL ? r->vpc_id : "", r->where);
			(void)strbuf_printf(&c->stale_md, "- %s %s %s `%s`%s%s "
			    "(in `%s`)\n", r->egress ? "outbound" : "inbound",
			    t, r->egress ? "to" : "from", r->source,
			    r->vpc_id != NULL ? " of " : "",
			    r->vpc_id != NULL ? r->vpc_id : "", r->origins[0]);
			free(t);
			c->stale++;
			sg_rules_cleanup(r);
			continue;
		}
		if (r->kind == SG_KIND_GROUP && sg_refs_has(c->ids, c->nids,
		    r->source)) {
			/* Self or sibling: now the instances' own group. */
			r->internal = true;
			sg_rules_strv_add(&r->refs, &r->nrefs, r->source);
			free(r->source);
			r->source = xstrdup(c->ref);
			free(r->user_id);
			free(r->vpc_id);
			free(r->pcx_id);
			free(r->peering);
			r->user_id = r->vpc_id = r->pcx_id = r->peering = NULL;
		}
		c->rules.v[n++] = *r;
	}
	c->rules.n = n;
	return 0;
}
