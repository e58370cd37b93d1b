/*
 * IaC ownership: refuse (or, with --allow-iac-owned, list) the resources
 * f2o changes whose tags say a CloudFormation/CDK/Copilot/Terraform owner.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctx.h"
#include "export.h"
#include "hashmap.h"
#include "iac.h"
#include "jsonutil.h"
#include "log.h"
#include "options.h"
#include "planmd.h"
#include "strbuf.h"
#include "xalloc.h"

#define IAC_LIST_MAX	(64UL * 1024 * 1024)

enum iac_kind { IAC_SERVICE, IAC_TASKDEF, IAC_SG, IAC__MAX };

static const char *const kind_name[IAC__MAX] = {
	"service", "task definition", "security group"
};

static const char *const drift[IAC__MAX] = {
	"f2o deletes it and re-creates it on EC2 under the same name, so the "
	"stack still describes the Fargate service and its next update or "
	"drift check fights the migration",
	"f2o registers a new EC2 revision of its family beside the stack's, "
	"and the stack's next update registers a Fargate-only revision again",
	"the tasks keep it and f2o copies its rules into the instances' "
	"group: a stack change to its rules is not followed there"
};

struct owner {
	char	*text;			/* "CloudFormation stack shop" */
	int	 idx;			/* index of the deciding tag */
	int	 rank;			/* 0 none; higher wins */
};

/* A tag key as compared for Terraform: lower case, no - _ : or space. */
static void
key_norm(const char *k, char *out, size_t outsz)
{
	size_t n = 0;

	for (; *k != '\0' && n + 1 < outsz; k++)
		if (strchr("-_: ", *k) == NULL)
			out[n++] = (char)tolower((unsigned char)*k);
	out[n] = '\0';
}

static bool
ci_has(const char *hay, const char *needle)
{
	size_t i, n = strlen(needle);

	for (i = 0; hay[i] != '\0'; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return true;
	return false;
}

/* text is taken. */
static void
owner_set(struct owner *o, int rank, int idx, char *text)
{
	if (rank <= o->rank) {
		free(text);
		return;
	}
	free(o->text);
	o->text = text;
	o->rank = rank;
	o->idx = idx;
}

/* The first path component of v ("Stack/Construct" -> "Stack"). */
static char *
first_part(const char *v)
{
	char *r = xstrdup(v);

	if (strchr(r, '/') != NULL)
		*strchr(r, '/') = '\0';
	return r;
}

/*
 * The recognised markers (README "IaC ownership"): aws:cloudformation:*
 * (stack-name, stack-id, logical-id), aws:cdk:path, copilot-application /
 * copilot-environment / copilot-service, and Terraform's conventions:
 * terraform / terraform-managed / managed-by-terraform = true, or
 * ManagedBy / managed-by / provisioned-by naming terraform or opentofu.
 */
static void
tag_owner(const char *k, const char *v, int idx, struct owner *o)
{
	char nk[64], *st;
	const char *p;

	if (strcmp(k, "aws:cloudformation:stack-name") == 0)
		owner_set(o, 6, idx, xasprintf("CloudFormation stack %s", v));
	else if (strcmp(k, "aws:cloudformation:stack-id") == 0) {
		p = strstr(v, ":stack/");
		st = first_part(p != NULL ? p + 7 : v);
		owner_set(o, 5, idx, xasprintf("CloudFormation stack %s", st));
		free(st);
	} else if (strncmp(k, "aws:cloudformation:", 19) == 0)
		owner_set(o, 4, idx, xasprintf("a CloudFormation stack (%s %s)",
		    k, v));
	else if (strcmp(k, "aws:cdk:path") == 0) {
		st = first_part(v);
		owner_set(o, 3, idx, xasprintf("CDK stack %s (aws:cdk:path "
		    "%s)", st, v));
		free(st);
	} else if (strncmp(k, "copilot-", 8) == 0 &&
	    (strcmp(k + 8, "application") == 0 ||
	    strcmp(k + 8, "environment") == 0 ||
	    strcmp(k + 8, "service") == 0))
		owner_set(o, 2, idx, xasprintf("Copilot (%s %s)", k, v));
	else {
		key_norm(k, nk, sizeof(nk));
		if (((strcmp(nk, "terraform") == 0 ||
		    strcmp(nk, "terraformmanaged") == 0 ||
		    strcmp(nk, "managedbyterraform") == 0) &&
		    (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
		    strcmp(v, "1") == 0)) ||
		    ((strcmp(nk, "managedby") == 0 ||
		    strcmp(nk, "provisionedby") == 0) &&
		    (ci_has(v, "terraform") || ci_has(v, "opentofu"))))
			owner_set(o, 1, idx, xasprintf("Terraform (tag %s=%s)",
			    k, v));
	}
}

char *
iac_owner(const cJSON *tags, int *idx)
{
	const cJSON *t;
	const char *k, *v;
	struct owner o;
	int i = 0;

	memset(&o, 0, sizeof(o));
	cJSON_ArrayForEach(t, tags) {
		k = json_str(t, "key") != NULL ? json_str(t, "key") :
		    json_str(t, "Key");
		v = json_str(t, "value") != NULL ? json_str(t, "value") :
		    json_str(t, "Value");
		if (k != NULL)
			tag_owner(k, v != NULL ? v : "", i, &o);
		i++;
	}
	if (idx != NULL)
		*idx = o.idx;
	return o.text;
}

struct iac {
	struct xlate *x;
	bool	 allow;
	int	 bad;
	size_t	 nowned, nchecked;
	struct strbuf owned;		/* PLAN.md table rows */
	struct strbuf unchecked[IAC__MAX];
	struct hashmap seen;		/* "kind/name" looked at */
};

/* Look at one resource once: tags NULL = the export does not carry them. */
static void
resource(struct iac *c, enum iac_kind kind, const char *name,
    const char *subject, const char *file, const char *tpath,
    const cJSON *tags, bool sgstyle)
{
	char *key = xasprintf("%d/%s", (int)kind, name), *path, *owner;
	size_t had;
	int idx;

	if (hashmap_get(&c->seen, key, &had)) {
		free(key);
		return;
	}
	hashmap_put(&c->seen, key, 0);
	free(key);
	if (tags == NULL) {
		(void)strbuf_printf(&c->unchecked[kind], "%s`", c->unchecked[
		    kind].len > 0 ? ", " : "");
		planmd_cell(&c->unchecked[kind], name);
		(void)strbuf_puts(&c->unchecked[kind], "`");
		return;
	}
	c->nchecked++;
	if ((owner = iac_owner(tags, &idx)) == NULL)
		return;
	path = xasprintf("%s[%d].%s", tpath, idx, sgstyle ? "Key" : "key");
	if (!c->allow) {
		log_diag(1, file, path, owner, "change it through its stack "
		    "(or take it out of the stack first), or pass "
		    "--allow-iac-owned and bring the stack in line after the "
		    "cutover (PLAN.md lists each resource)", "%s \"%s\" is "
		    "owned by %s: %s", kind_name[kind], name, owner,
		    drift[kind]);
		c->bad++;
	} else {
		ctx_diag_warn(c->x, subject, file, path, owner, "bring the "
		    "stack in line after the cutover", "%s %s is owned by %s "
		    "(--allow-iac-owned): %s", kind_name[kind], name, owner,
		    drift[kind]);
		c->nowned++;
		(void)strbuf_printf(&c->owned, "| %s | `", kind_name[kind]);
		planmd_cell(&c->owned, name);
		(void)strbuf_puts(&c->owned, "` | ");
		planmd_cell(&c->owned, owner);
		(void)strbuf_puts(&c->owned, " | ");
		planmd_cell(&c->owned, drift[kind]);
		(void)strbuf_puts(&c->owned, " |\n");
	}
	free(path);
	free(owner);
}

/* The task definition's tags: the sibling of "taskDefinition", or inside. */
static void
taskdef(struct iac *c, const struct xtd *t)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(t->td, "tags");
	size_t n = strlen(t->jpath), sfx = strlen(".taskDefinition");
	char *path;

	if (t->tags != NULL && n > sfx &&
	    strcmp(t->jpath + n - sfx, ".taskDefinition") == 0)
		path = xasprintf("%.*s.tags", (int)(n - sfx), t->jpath);
	else if (t->tags != NULL)
		path = xstrdup("$.tags");
	else
		path = xasprintf("%s.tags", t->jpath);
	resource(c, IAC_TASKDEF, t->key, t->key, t->src, path,
	    t->tags != NULL ? t->tags : (cJSON_IsArray(in) ? in : NULL),
	    false);
	free(path);
}

static void
md_write(struct iac *c)
{
	struct strbuf *sb = &c->x->md_services;
	static const char *const how[IAC__MAX] = {
		"`aws ecs describe-services --include TAGS`",
		"`aws ecs describe-task-definition --include TAGS`",
		"`aws ec2 describe-security-groups` for them"
	};
	int k, n = 0;

	(void)strbuf_puts(sb, "\n## Infrastructure as code ownership\n\n"
	    "Tags that mark an owner: `aws:cloudformation:stack-name`, "
	    "`aws:cloudformation:stack-id`, `aws:cloudformation:logical-id` "
	    "(CloudFormation, also under CDK and Copilot), `aws:cdk:path` "
	    "(CDK), `copilot-application`, `copilot-environment`, "
	    "`copilot-service` (Copilot), and Terraform's conventions "
	    "`terraform`, `terraform-managed` or `managed-by-terraform` = "
	    "true, or `ManagedBy` / `managed-by` / `provisioned-by` naming "
	    "terraform or opentofu. Without `--allow-iac-owned` such a "
	    "service, task definition or security group is refused.\n\n");
	if (c->nowned > 0) {
		(void)strbuf_printf(sb, "Owned, migrated with "
		    "`--allow-iac-owned` (%zu); bring each owner in line "
		    "after the cutover:\n\n| resource | name | owner | what "
		    "drifts |\n|---|---|---|---|\n", c->nowned);
		(void)strbuf_add(sb, c->owned.buf, c->owned.len);
	} else
		(void)strbuf_printf(sb, "None of the %zu resources whose tags "
		    "the export carries has such a tag.\n", c->nchecked);
	for (k = 0; k < IAC__MAX; k++) {
		if (c->unchecked[k].len == 0)
			continue;
		if (n++ == 0)
			(void)strbuf_puts(sb, "\nOwnership could not be "
			    "checked (the export has no tags for them):\n\n");
		(void)strbuf_printf(sb, "- %ss: ", kind_name[k]);
		(void)strbuf_add(sb, c->unchecked[k].buf, c->unchecked[k].len);
		(void)strbuf_printf(sb, " (export with %s).\n", how[k]);
	}
	(void)strbuf_puts(sb, "\n");
}

int
iac_check(struct xlate *x)
{
	struct iac c;
	cJSON *none = cJSON_CreateArray();
	size_t i, j;
	int k;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.allow = opt_bool(x->opt, "allow-iac-owned");
	strbuf_init(&c.owned, IAC_LIST_MAX);
	for (k = 0; k < IAC__MAX; k++)
		strbuf_init(&c.unchecked[k], IAC_LIST_MAX);
	hashmap_init(&c.seen);
	for (i = 0; i < x->nmig; i++) {
		const struct xsvc *s = x->mig[i];
		const cJSON *tags = export_svc_hold(x->ex, s) == -1 ? NULL :
		    cJSON_GetObjectItemCaseSensitive(s->svc, "tags");
		char *path = xasprintf("%s.tags", s->jpath);

		resource(&c, IAC_SERVICE, s->name, s->name, s->src, path,
		    cJSON_IsArray(tags) ? tags : NULL, false);
		free(path);
		if (s->td != NULL && export_td_hold_tags(x->ex, s->td) == 0)
			taskdef(&c, s->td);
		for (j = 0; j < s->nsgs; j++) {
			const struct xsg *g = export_find_sg(x->ex, s->sgs[j]);
			const cJSON *st;

			if (g == NULL) {
				resource(&c, IAC_SG, s->sgs[j], s->name, NULL,
				    NULL, NULL, true);
				continue;
			}
			/* EC2 leaves Tags out when a group has none. */
			st = export_sg_hold(x->ex, g) == -1 ? NULL :
			    cJSON_GetObjectItemCaseSensitive(g->sg, "Tags");
			path = xasprintf("%s.Tags", g->jpath);
			resource(&c, IAC_SG, g->id, s->name, g->src, path,
			    cJSON_IsArray(st) ? st : none, true);
			free(path);
		}
	}
	if (c.bad == 0)
		md_write(&c);
	strbuf_cleanup(&c.owned);
	for (k = 0; k < IAC__MAX; k++)
		strbuf_cleanup(&c.unchecked[k]);
	hashmap_cleanup(&c.seen);
	cJSON_Delete(none);
	return c.bad > 0 ? -1 : 0;
}
