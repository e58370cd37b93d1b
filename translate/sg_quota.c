/*
 * Security groups, step 4: split the kept rules over groups within the
 * rules quotas and plan the ec2 create / authorize / revoke steps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "plan.h"
#include "sg_int.h"
#include "strbuf.h"
#include "xalloc.h"

static bool
is_default_egress(const struct sg_rule *r)
{
	return r->egress && strcmp(r->proto, SG_PROTO_ALL) == 0 &&
	    r->kind == SG_KIND_CIDR4 && strcmp(r->source, SG_ALL_IPV4) == 0;
}

static size_t
groups_needed(size_t n, long long cap)
{
	if (n == 0)
		return 0;
	if (cap <= 0)
		return SIZE_MAX;
	return (n + (size_t)cap - 1) / (size_t)cap;
}

/* Kept rules by direction; the number of groups they need. */
int
sg_quota_select(struct sg_ctx *c)
{
	const struct options *o = c->x->opt;
	long long maxin = opt_int(o, "sg-max-ingress");
	long long maxeg = opt_int(o, "sg-max-egress");
	long long maxg = opt_int(o, "sg-max-groups");
	long long capeg;
	size_t i, j, gin, geg, in, eg;
	struct strbuf sb;

	c->in = xreallocarray(NULL, c->rules.n + 1, sizeof(*c->in));
	c->out = xreallocarray(NULL, c->rules.n + 1, sizeof(*c->out));
	for (i = 0; i < c->rules.n; i++) {
		struct sg_rule *r = &c->rules.v[i];

		if (r->container >= 0)
			continue;
		if (!r->egress)
			c->in[c->nin++] = r;
		else if (is_default_egress(r))
			c->allow_all = true;
		else
			c->out[c->nout++] = r;
	}
	/* The default egress rule takes one place in every group. */
	capeg = c->allow_all ? maxeg - 1 : maxeg;
	gin = groups_needed(c->nin, maxin);
	geg = groups_needed(c->nout, capeg);
	c->ngroups = gin > geg ? gin : geg;
	if (c->ngroups == 0)
		c->ngroups = 1;
	if (c->ngroups != SIZE_MAX && maxg > 0 &&
	    c->ngroups <= (size_t)maxg)
		return 0;
	strbuf_init(&sb, MODEL_MD_MAX);
	for (i = 0; i < c->nids; i++) {
		in = eg = 0;
		for (j = 0; j < c->rules.n; j++) {
			const struct sg_rule *r = &c->rules.v[j];

			if (r->container >= 0 ||
			    !sg_refs_has(r->origins, r->norigins, c->ids[i]))
				continue;
			if (r->egress)
				eg++;
			else
				in++;
		}
		(void)strbuf_printf(&sb, "%s%s %zu in / %zu out",
		    i > 0 ? ", " : "", c->ids[i], in, eg);
	}
	log_errx("security groups: the merged rules need %zu inbound rules "
	    "(--sg-max-ingress %lld per group) and %zu outbound rules "
	    "(--sg-max-egress %lld per group%s): more groups than "
	    "--sg-max-groups %lld allows on one network interface; rules per "
	    "source group (a rule shared by groups counts for each): %s",
	    c->nin, maxin, c->nout + (c->allow_all ? 1 : 0), maxeg,
	    c->allow_all ? ", one of them the default allow-all rule" : "",
	    maxg, sb.buf != NULL ? sb.buf : "");
	strbuf_cleanup(&sb);
	return -1;
}

/* Description of a rule: its Descriptions joined, cut to the limit. */
static char *
desc_join(const struct sg_rule *r)
{
	struct strbuf sb;
	size_t i, len;
	char *s;

	if (r->ndescs == 0)
		return NULL;
	strbuf_init(&sb, MODEL_MD_MAX);
	for (i = 0; i < r->ndescs; i++)
		(void)strbuf_printf(&sb, "%s%s", i > 0 ? "; " : "",
		    r->descs[i]);
	s = strbuf_take(&sb, &len);
	if (len > SG_MAX_DESC) {
		len = SG_MAX_DESC;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;		/* not inside a UTF-8 sequence */
		s[len] = '\0';
	}
	return s;
}

static cJSON *
perm_new(const struct sg_rule *r)
{
	cJSON *p = cJSON_CreateObject();

	json_add_str(p, "IpProtocol", r->proto);
	if (r->ports) {
		json_add_num(p, "FromPort", r->from);
		json_add_num(p, "ToPort", r->to);
	}
	return p;
}

static void
perm_add_source(cJSON *p, const struct sg_rule *r)
{
	const char *list = sg_lists[r->kind - 1].list;
	const char *key = sg_lists[r->kind - 1].key;
	cJSON *l = cJSON_GetObjectItemCaseSensitive(p, list), *e;
	char *d = desc_join(r);

	if (l == NULL)
		l = cJSON_AddArrayToObject(p, list);
	e = cJSON_CreateObject();
	json_add_str(e, key, r->source);
	if (r->user_id != NULL)
		json_add_str(e, "UserId", r->user_id);
	if (r->vpc_id != NULL)
		json_add_str(e, "VpcId", r->vpc_id);
	if (r->pcx_id != NULL)
		json_add_str(e, "VpcPeeringConnectionId", r->pcx_id);
	if (d != NULL)
		json_add_str(e, "Description", d);
	free(d);
	cJSON_AddItemToArray(l, e);
}

static bool
same_perm(const struct sg_rule *a, const struct sg_rule *b)
{
	return strcmp(a->proto, b->proto) == 0 && a->from == b->from &&
	    a->to == b->to;
}

static void
step_record(struct xlate *x, const char *id)
{
	x->sg_steps = xreallocarray(x->sg_steps, x->nsg_steps + 1,
	    sizeof(*x->sg_steps));
	x->sg_steps[x->nsg_steps++] = xstrdup(id);
}

static int
step_add(struct sg_ctx *c, const char *id, const char *action,
    const char *title, cJSON *req, const char *const *after,
    struct plan_step **out)
{
	char *path = ctx_request_take(c->x, id, req);
	struct plan_step *st;

	if (path == NULL)
		return -1;
	st = plan_add(c->x->plan, id, MODEL_PHASE_IMPORT, action, title, path,
	    after);
	free(path);
	if (st == NULL)
		return -1;
	step_record(c->x, id);
	if (out != NULL)
		*out = st;
	return 0;
}

/* Authorize v[0..n) on group gstep in batches of SG_MAX_CALL_PERMS. */
static int
rules_emit(struct sg_ctx *c, const char *gstep, struct sg_rule **v,
    size_t n, bool egress)
{
	size_t i = 0, batch = 0, nperm, nrules;
	int rc = 0;

	while (i < n && rc == 0) {
		cJSON *req = cJSON_CreateObject(), *perms, *p = NULL;
		const struct sg_rule *prev = NULL;
		const char *after[3] = { gstep, NULL, NULL };
		char *gref = plan_ref(gstep, SG_OUTPUT_ID), *id, *title;
		bool internal = false;

		json_add_str(req, "GroupId", gref);
		free(gref);
		perms = cJSON_AddArrayToObject(req, "IpPermissions");
		nperm = nrules = 0;
		for (; i < n; i++) {
			const struct sg_rule *r = v[i];

			if (prev == NULL || !same_perm(prev, r)) {
				if (nperm == SG_MAX_CALL_PERMS)
					break;
				p = perm_new(r);
				cJSON_AddItemToArray(perms, p);
				nperm++;
			}
			perm_add_source(p, r);
			internal |= r->internal;
			prev = r;
			nrules++;
		}
		batch++;
		if (internal && strcmp(gstep, SG_STEP) != 0)
			after[1] = SG_STEP;
		id = xasprintf("%s:%s-%zu", gstep, egress ? "egress" :
		    "ingress", batch);
		title = xasprintf("authorize %zu %s rules on %s (%zu "
		    "IpPermissions)", nrules, egress ? "outbound" : "inbound",
		    gstep, nperm);
		rc = step_add(c, id, egress ? "ec2:AuthorizeSecurityGroupEgress" :
		    "ec2:AuthorizeSecurityGroupIngress", title, req, after, NULL);
		free(id);
		free(title);
	}
	return rc;
}

char *
sg_quota_group_step(size_t k)
{
	return k == 0 ? xstrdup(SG_STEP) : xasprintf("%s-%zu", SG_STEP, k + 1);
}

char *
sg_quota_group_name(const struct sg_ctx *c, size_t k)
{
	const char *prefix = opt_str(c->x->opt, "prefix");
	const char *cl = opt_str(c->x->opt, "ecs-cluster");

	if (k == 0)
		return xasprintf("%s%s-instances", prefix != NULL ? prefix : "",
		    cl != NULL ? cl : "ecs");
	return xasprintf("%s%s-instances-%zu", prefix != NULL ? prefix : "",
	    cl != NULL ? cl : "ecs", k + 1);
}

int
sg_quota_create(struct sg_ctx *c)
{
	struct xlate *x = c->x;
	const char *cl = opt_str(x->opt, "ecs-cluster");
	struct plan_step *st;
	size_t k;

	for (k = 0; k < c->ngroups; k++) {
		cJSON *req = cJSON_CreateObject(), *ts, *t, *tags, *nt;
		char *id = sg_quota_group_step(k);
		char *name = sg_quota_group_name(c, k), *desc, *title;
		int rc;

		if (strlen(name) > SG_MAX_DESC ||
		    strncasecmp(name, "sg-", 3) == 0) {
			log_errx("security group name \"%s\" (from --prefix and "
			    "the cluster name) is longer than %d or starts "
			    "with sg-: give another --prefix", name,
			    SG_MAX_DESC);
			cJSON_Delete(req);
			free(id);
			free(name);
			return -1;
		}
		if (c->ngroups == 1)
			desc = xasprintf("f2o: instances of ECS cluster %s: "
			    "merged rules of the migrated services",
			    cl != NULL ? cl : "");
		else
			desc = xasprintf("f2o: instances of ECS cluster %s: "
			    "merged rules of the migrated services (%zu of "
			    "%zu)", cl != NULL ? cl : "", k + 1, c->ngroups);
		json_add_str(req, "GroupName", name);
		json_add_str(req, "Description", desc);
		json_add_str(req, "VpcId", c->vpc);
		ts = cJSON_AddArrayToObject(req, "TagSpecifications");
		t = cJSON_CreateObject();
		json_add_str(t, "ResourceType", "security-group");
		tags = ctx_tags(x, "Key", "Value");
		nt = cJSON_CreateObject();
		json_add_str(nt, "Key", "Name");
		json_add_str(nt, "Value", name);
		cJSON_InsertItemInArray(tags, 0, nt);
		cJSON_AddItemToObject(t, "Tags", tags);
		cJSON_AddItemToArray(ts, t);
		title = xasprintf("create security group %s for the Ocean "
		    "instances in %s", name, c->vpc);
		rc = step_add(c, id, "ec2:CreateSecurityGroup", title, req,
		    NULL, &st);
		if (rc == 0) {
			plan_step_output(st, SG_OUTPUT_ID, SG_OUTPUT_PATH);
			x->instance_sgs = xreallocarray(x->instance_sgs,
			    x->ninstance_sgs + 1, sizeof(*x->instance_sgs));
			x->instance_sgs[x->ninstance_sgs++] =
			    plan_ref(id, SG_OUTPUT_ID);
		}
		free(title);
		free(desc);
		free(id);
		free(name);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Share of the rules v[0..n) for group k of ngroups (cap per group). */
void
sg_quota_share(size_t n, size_t cap, size_t k, size_t *lo, size_t *cnt)
{
	*lo = k * cap;
	if (*lo >= n) {
		*lo = n;
		*cnt = 0;
		return;
	}
	*cnt = n - *lo < cap ? n - *lo : cap;
}

int
sg_quota_fill(struct sg_ctx *c)
{
	long long maxin = opt_int(c->x->opt, "sg-max-ingress");
	long long maxeg = opt_int(c->x->opt, "sg-max-egress");
	size_t k, lo, cnt, capin, capeg;
	int rc = 0;

	/* Fill groups in order; c->ngroups fits (sg_quota_select). */
	capin = maxin > 0 ? (size_t)maxin : 1;
	capeg = (size_t)(maxeg - (c->allow_all ? 1 : 0));
	if (capeg == 0)
		capeg = 1;
	for (k = 0; k < c->ngroups && rc == 0; k++) {
		char *id = sg_quota_group_step(k);

		if (!c->allow_all) {
			cJSON *req = cJSON_CreateObject(), *perms, *p, *l, *e;
			const char *after[2] = { id, NULL };
			char *rid = xasprintf("%s:egress-revoke", id);
			char *gref = plan_ref(id, SG_OUTPUT_ID), *title;

			json_add_str(req, "GroupId", gref);
			perms = cJSON_AddArrayToObject(req, "IpPermissions");
			p = cJSON_CreateObject();
			json_add_str(p, "IpProtocol", SG_PROTO_ALL);
			l = cJSON_AddArrayToObject(p, "IpRanges");
			e = cJSON_CreateObject();
			json_add_str(e, "CidrIp", SG_ALL_IPV4);
			cJSON_AddItemToArray(l, e);
			cJSON_AddItemToArray(perms, p);
			title = xasprintf("revoke the default allow-all "
			    "outbound rule of %s", id);
			rc = step_add(c, rid, "ec2:RevokeSecurityGroupEgress",
			    title, req, after, NULL);
			free(title);
			free(gref);
			free(rid);
		}
		sg_quota_share(c->nin, capin, k, &lo, &cnt);
		if (rc == 0 && cnt > 0)
			rc = rules_emit(c, id, c->in + lo, cnt, false);
		sg_quota_share(c->nout, capeg, k, &lo, &cnt);
		if (rc == 0 && cnt > 0)
			rc = rules_emit(c, id, c->out + lo, cnt, true);
		free(id);
	}
	return rc;
}
