/*
 * Security groups: the sg_plan stage, which runs refs -> merge -> quota
 * -> report over one sg_ctx (see sg_int.h) and checks the agent's egress.
 */
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "options.h"
#include "plan.h"
#include "sg.h"
#include "sg_int.h"
#include "strbuf.h"

/* Warn when restricted egress leaves the ECS agent without HTTPS. */
static void
egress_check(struct sg_ctx *c)
{
	size_t i;

	if (c->allow_all)
		return;
	for (i = 0; i < c->nout; i++) {
		const struct sg_rule *r = c->out[i];

		if (strcmp(r->proto, SG_PROTO_ALL) == 0 ||
		    (strcmp(r->proto, "tcp") == 0 && r->from <= SG_HTTPS &&
		    r->to >= SG_HTTPS))
			return;
	}
	ctx_warn(c->x, "security groups", "the instances' outbound rules "
	    "open no HTTPS (tcp 443): the ECS agent cannot reach ECS, ECR or "
	    "CloudWatch endpoints unless another group or path allows it");
}

int
sg_plan(struct xlate *x)
{
	struct sg_ctx ctx, *c = &ctx;
	size_t nparsed, nmerged;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->x = x;
	c->ref = plan_ref(SG_STEP, SG_OUTPUT_ID);
	strbuf_init(&c->stale_md, MODEL_MD_MAX);
	if (sg_refs_groups(c) == -1)
		goto out;
	if (c->nids == 0) {
		(void)strbuf_puts(&x->md_sg, "## Security groups of the "
		    "instances\n\nNo migrated service names a security group: "
		    "no group is planned for the instances.\n\n");
		rc = 0;
		goto out;
	}
	if (sg_refs_rules(c) == -1)
		goto out;
	nparsed = c->rules.n;
	sg_rules_merge(&c->rules, opt_bool(x->opt, "sg-drop-contained"));
	nmerged = c->rules.n;
	if (sg_quota_select(c) == -1)
		goto out;
	if (sg_quota_create(c) == -1 || sg_quota_fill(c) == -1)
		goto out;
	egress_check(c);
	sg_report_write(c, nparsed, nmerged);
	rc = 0;
out:
	free(c->in);
	free(c->out);
	sg_rules_free(&c->rules);
	sg_rules_strv_free(c->ids, c->nids);
	free(c->ref);
	strbuf_cleanup(&c->stale_md);
	return rc;
}
