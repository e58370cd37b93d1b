/*
 * PLAN.md: every step in order, what changed per service, and every
 * warning, followed by the sections the stages wrote.
 */
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "hashmap.h"
#include "jsonutil.h"
#include "options.h"
#include "log.h"
#include "planmd.h"
#include "xalloc.h"

void
planmd_cell(struct strbuf *sb, const char *s)
{
	size_t n;

	while (s != NULL && *s != '\0') {
		/* The run up to the next character to change, at once. */
		n = strcspn(s, "|\n");
		(void)strbuf_add(sb, s, n);
		s += n;
		if (*s == '|')
			(void)strbuf_puts(sb, "\\|");
		else if (*s == '\n')
			(void)strbuf_puts(sb, " ");
		else
			break;
		s++;
	}
}

static const char *
launch_of(const struct xsvc *s)
{
	return s->launch != NULL ? s->launch : "capacity providers";
}

/* The warnings by subject: the first of each, then the next of the same. */
#define NO_WARN	((size_t)-1)

struct warn_index {
	struct hashmap first;	/* subject -> its first warning */
	size_t	*next;		/* warning -> the next of its subject */
};

static void
warns_index(struct warn_index *wi, const struct xlate *x)
{
	size_t i, j;

	hashmap_init(&wi->first);
	wi->next = xreallocarray(NULL, x->nwarns + 1, sizeof(*wi->next));
	for (i = x->nwarns; i-- > 0; ) {
		wi->next[i] = hashmap_get(&wi->first, x->warns[i].subject, &j) ?
		    j : NO_WARN;
		hashmap_put(&wi->first, x->warns[i].subject, i);
	}
}

static size_t
warns_first(const struct warn_index *wi, const char *subject)
{
	size_t i;

	return hashmap_get(&wi->first, subject, &i) ? i : NO_WARN;
}

static void
service_changes(struct xlate *x, struct strbuf *sb, const struct xsvc *s,
    const struct warn_index *wi)
{
	const cJSON *net = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(s->svc, "networkConfiguration"),
	    "awsvpcConfiguration");
	const char *pub = json_str(net, "assignPublicIp");
	size_t i, a, b;

	(void)strbuf_printf(sb, "### %s -> %s\n\n", s->name, s->newname);
	(void)strbuf_printf(sb, "- Source: `%s` (%s)\n", s->srcname, s->jpath);
	(void)strbuf_printf(sb, "- Launch: %s", launch_of(s));
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s->svc,
	    "capacityProviderStrategy")) > 0)
		(void)strbuf_printf(sb, " (FARGATE_SPOT share %.0f%%)",
		    s->spot_share * 100);
	(void)strbuf_puts(sb, " -> `launchType: EC2` on the Ocean cluster's "
	    "instances; platformVersion, platformFamily and the Fargate "
	    "capacity provider strategy are dropped.\n");
	(void)strbuf_printf(sb, "- Task definition: %s -> a new revision of "
	    "family `%s` with `requiresCompatibilities: [\"EC2\"]`, network "
	    "mode awsvpc (step `%s`).\n", s->td->key, s->td->family,
	    s->td->step);
	(void)strbuf_puts(sb, "- Left out of the registration: what only "
	    "describe output carries (taskDefinitionArn, revision, status, "
	    "requiresAttributes, compatibilities, registeredAt/By), null and "
	    "empty members, container memory 0 (an SDK's \"unset\"); "
	    "task-level cpu and memory are written as the unit strings the "
	    "API takes.\n");
	(void)strbuf_printf(sb, "- Rollback re-creates the Fargate service "
	    "with `%s`, the exact revision exported, never the bare family "
	    "(which would then resolve to the EC2 revision).\n",
	    json_str(s->svc, "taskDefinition") != NULL ?
	    json_str(s->svc, "taskDefinition") : s->td->key);
	(void)strbuf_printf(sb, "- Size: task %d CPU units / %d MiB; "
	    "containers reserve %d CPU units / %d MiB; %s.\n", s->td->cpu,
	    s->td->memory, s->td->ctr_cpu, s->td->ctr_reservation,
	    s->td->arch);
	if (s->td->ephemeral_gib > 0)
		(void)strbuf_printf(sb, "- Ephemeral storage: %d GiB on "
		    "Fargate; dropped from the task definition (Fargate-only), "
		    "the instances' volume must hold it.\n",
		    s->td->ephemeral_gib);
	(void)strbuf_printf(sb, "- Desired count: %lld (from the service, "
	    "not from a deployment).\n", s->desired);
	if (pub != NULL && strcmp(pub, "ENABLED") == 0)
		(void)strbuf_puts(sb, "- **Public IP: ENABLED -> DISABLED** "
		    "(not allowed on EC2): tasks need a NAT gateway or VPC "
		    "endpoints.\n");
	(void)strbuf_puts(sb, "- Kept: subnets, security groups");
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s->svc,
	    "loadBalancers")) > 0)
		(void)strbuf_puts(sb, ", load balancers (the copy registers in "
		    "the same target groups, so both serve traffic)");
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s->svc,
	    "serviceRegistries")) > 0)
		(void)strbuf_puts(sb, ", service registries");
	(void)strbuf_puts(sb, ", deployment configuration, placement, tags, "
	    "managed tags, execute command.\n");
	/* Its warnings and its task definition's, in warning order. */
	a = warns_first(wi, s->name);
	b = warns_first(wi, s->td->key);
	while (a != NO_WARN || b != NO_WARN) {
		i = a < b ? a : b;
		(void)strbuf_printf(sb, "- Warning: %s\n",
		    x->warns[i].message);
		if (a == i)
			a = wi->next[a];
		if (b == i)
			b = wi->next[b];
	}
	(void)strbuf_puts(sb, "\n");
}

static const struct {
	const char *name;
	const char *how;
} phases[] = {
	{ MODEL_PHASE_IMPORT, "`f2o-exec run` creates the EC2 side beside "
	    "Fargate" },
	{ MODEL_PHASE_CUTOVER, "`f2o-exec run --phase cutover`, a separate "
	    "decision, once the import is done and stable" },
	{ MODEL_PHASE_ROLLBACK, "`f2o-exec rollback`, from any point; a step "
	    "runs only if the step it undoes was done" },
};

/*
 * PLAN.md can be hundreds of MB: what sb holds goes to the bundle file w
 * once large, and sb's limit shrinks by as much, so the text is the one a
 * single strbuf of MODEL_MD_MAX bytes would hold.
 */
static void
md_flush(struct strbuf *sb, struct bundle_wfile *w, size_t least, int *rc)
{
	if (sb->len < least || sb->len == 0 || *rc == -1)
		return;
	*rc = bundle_wwrite(w, sb->buf, sb->len);
	sb->max -= sb->len;
	sb->len = 0;
}

#define MD_CHUNK	(1024 * 1024)

static int
md_wwrite(void *w, const void *data, size_t len)
{
	return bundle_wwrite(w, data, len);
}

/*
 * strbuf_add(sb, part) without copying part into sb: written after sb
 * (part may be spilled, strbuf_spill()).
 */
static void
md_put(struct strbuf *sb, struct bundle_wfile *w, struct strbuf *part,
    int *rc)
{
	size_t n = part->spilled + part->len;

	if (part->full)
		sb->full = true;
	if (n == 0)
		return;
	if (n > sb->max || sb->len > sb->max - n) {
		sb->full = true;	/* what strbuf_add would refuse */
		return;
	}
	md_flush(sb, w, 0, rc);
	if (*rc == 0)
		*rc = strbuf_drain(part, md_wwrite, w);
	sb->max -= n;
}

int
planmd_write(struct xlate *x)
{
	struct bundle_wfile *w = bundle_wopen(x->bundle, "PLAN.md");
	struct warn_index wi;
	struct plan_reader rd;
	struct strbuf sb;
	unsigned char *ph;
	size_t i, j, p;
	int rc = 0;

	if (w == NULL)
		return -1;
	strbuf_init(&sb, MODEL_MD_MAX);
	(void)strbuf_printf(&sb, "# f2o plan: ECS cluster %s (%s), %zu "
	    "Fargate services to EC2 on Spot Ocean\n\n",
	    opt_str(x->opt, "ecs-cluster"), opt_str(x->opt, "region"),
	    x->nmig);
	(void)strbuf_printf(&sb, "Bundle id `%s`. The bundle digest (SHA-256 "
	    "of manifest.json) is printed by f2o-translate and checked by "
	    "`f2o-exec --expect-digest`.\n\n", x->bundle_id);
	(void)strbuf_puts(&sb, "## Services\n\n| service | launch now | copy "
	    "| task definition | tasks |\n|---|---|---|---|---|\n");
	for (i = 0; i < x->nmig; i++) {
		const struct xsvc *s = x->mig[i];

		(void)strbuf_puts(&sb, "| ");
		planmd_cell(&sb, s->name);
		(void)strbuf_puts(&sb, " | ");
		planmd_cell(&sb, launch_of(s));
		(void)strbuf_puts(&sb, " | ");
		planmd_cell(&sb, s->newname);
		(void)strbuf_puts(&sb, " | ");
		planmd_cell(&sb, s->td->key);
		(void)strbuf_printf(&sb, " | %lld |\n", s->desired);
	}
	for (i = 0, j = 0; i < x->ex->nsvcs; i++) {
		const struct xsvc *s = &x->ex->svcs[i];

		if (s->newname != NULL)
			continue;
		if (j++ == 0)
			(void)strbuf_puts(&sb, "\nLeft alone:");
		(void)strbuf_printf(&sb, " `%s`", s->name);
	}
	(void)strbuf_puts(&sb, "\n\n## Before you run it\n\n");
	(void)strbuf_puts(&sb, "- The tasks keep `awsvpc` networking: each "
	    "task gets its own network interface with its own security "
	    "groups. Turn on ENI trunking (account setting "
	    "`awsvpcTrunking`) before the instances start, or each instance "
	    "runs only a few tasks.\n");
	(void)strbuf_puts(&sb, "- The Fargate services are not touched in the "
	    "import phase: the copies run beside them.\n");
	if (x->md_steps_intro.len > 0)
		(void)strbuf_add(&sb, x->md_steps_intro.buf,
		    x->md_steps_intro.len);
	(void)strbuf_puts(&sb, "\n## Steps, in order\n");
	plan_reader_init(&rd, x->plan);
	/* Each step's phase (1 + its row), noted by the first pass. */
	ph = xcalloc(x->plan->nsteps + 1, 1);
	for (p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
		size_t k = 0;

		for (i = 0; i < x->plan->nsteps && rc == 0; i++) {
			const struct plan_step *st;

			if (p > 0 && ph[i] != p + 1)
				continue;	/* not read back again */
			if ((st = plan_reader_get(&rd, i)) == NULL) {
				rc = -1;
				break;
			}
			for (j = 0; p == 0 && j < sizeof(phases) /
			    sizeof(phases[0]) && ph[i] == 0; j++)
				if (strcmp(st->phase, phases[j].name) == 0)
					ph[i] = (unsigned char)(j + 1);
			if (strcmp(st->phase, phases[p].name) != 0)
				continue;
			if (k++ == 0)
				(void)strbuf_printf(&sb, "\n### Phase `%s`: %s\n\n"
				    "| # | id | action | after | what |\n"
				    "|---|---|---|---|---|\n", phases[p].name,
				    phases[p].how);
			/* A row per step: pieces, not printf (~400k rows). */
			(void)strbuf_printf(&sb, "| %zu | `", k);
			(void)strbuf_puts(&sb, st->id);
			(void)strbuf_puts(&sb, "` | ");
			(void)strbuf_puts(&sb, st->action);
			(void)strbuf_puts(&sb, " | ");
			for (j = 0; j < st->nafter; j++) {
				(void)strbuf_puts(&sb, j > 0 ? ", `" : "`");
				(void)strbuf_puts(&sb, st->after[j]);
				(void)strbuf_puts(&sb, "`");
			}
			if (st->undoes != NULL) {
				(void)strbuf_puts(&sb, " (only if `");
				(void)strbuf_puts(&sb, st->undoes);
				(void)strbuf_puts(&sb, "` was done)");
			}
			(void)strbuf_puts(&sb, " | ");
			planmd_cell(&sb, st->title);
			(void)strbuf_puts(&sb, " |\n");
			md_flush(&sb, w, MD_CHUNK, &rc);
		}
	}
	plan_reader_cleanup(&rd);
	free(ph);
	(void)strbuf_puts(&sb, "\n## What changes per service\n\n");
	warns_index(&wi, x);
	for (i = 0; i < x->nmig; i++) {
		(void)export_svc_hold(x->ex, x->mig[i]);
		service_changes(x, &sb, x->mig[i], &wi);
		md_flush(&sb, w, MD_CHUNK, &rc);
	}
	hashmap_cleanup(&wi.first);
	free(wi.next);
	md_put(&sb, w, &x->md_services, &rc);
	md_put(&sb, w, &x->md_sg, &rc);
	md_put(&sb, w, &x->md_ocean, &rc);
	md_put(&sb, w, &x->md_phases, &rc);
	md_put(&sb, w, &x->md_cost, &rc);
	(void)strbuf_printf(&sb, "\n## Warnings (%zu)\n\n", x->nwarns);
	if (x->nwarns == 0)
		(void)strbuf_puts(&sb, "None.\n");
	for (i = 0; i < x->nwarns; i++)
		(void)strbuf_printf(&sb, "- **%s**: %s\n", x->warns[i].subject,
		    x->warns[i].message);
	md_flush(&sb, w, 0, &rc);
	if (sb.full && rc == 0) {
		/* never a cut PLAN.md: reviewers approve what it says */
		log_errx("PLAN.md: over %lu MiB for %zu services: translate "
		    "the export in parts (fewer services per bundle)",
		    (unsigned long)(MODEL_MD_MAX >> 20), x->nmig);
		rc = -1;
	}
	strbuf_cleanup(&sb);
	if (bundle_wclose(w) == -1)
		rc = -1;
	return rc;
}
