/*
 * Spot Ocean: the ocean_plan stage (size -> payload -> steps -> report)
 * and the helpers of ocean.h (base64, {{NAME}} render, VNG placement).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "ctx.h"
#include "jsonutil.h"
#include "log.h"
#include "ocean.h"
#include "ocean_int.h"
#include "options.h"
#include "plan.h"
#include "strbuf.h"
#include "taskdef.h"
#include "xalloc.h"

const char *const ocean_group_names[OCEAN_NGROUPS] = {
	"x86_64", "x86_64-disk", "arm64", "arm64-disk"
};

/* ---------------------------------------------------------------- */
/* Helpers usable alone (and unit-tested). */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
ocean_base64(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 0x03) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 0x0f) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 0x3f];
	}
	if (len - i == 1) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[(p[i] & 0x03) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 0x03) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[(p[i + 1] & 0x0f) << 2];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

char *
ocean_render(const char *tmpl, size_t len, const char *const *vars,
    const char *what)
{
	struct strbuf sb;
	size_t i = 0, line = 1, n, k;
	const char *val;
	char name[OCEAN_MAX_PLACEHOLDER + 1];

	strbuf_init(&sb, OCEAN_MAX_USERDATA);
	while (i < len) {
		if (tmpl[i] == '\0') {
			log_errx("%s: line %zu: NUL byte", what, line);
			goto fail;
		}
		if (tmpl[i] == '\n')
			line++;
		if (tmpl[i] != '{' || i + 1 >= len || tmpl[i + 1] != '{') {
			if (strbuf_add(&sb, &tmpl[i], 1) == -1)
				goto toolong;
			i++;
			continue;
		}
		/* {{NAME}} with NAME in [A-Z0-9_]; other braces are text. */
		for (k = i + 2; k < len && k - i - 2 <= OCEAN_MAX_PLACEHOLDER &&
		    (isupper((unsigned char)tmpl[k]) ||
		    isdigit((unsigned char)tmpl[k]) || tmpl[k] == '_'); k++)
			;
		n = k - i - 2;
		if (n == 0 || n > OCEAN_MAX_PLACEHOLDER || k + 1 >= len ||
		    tmpl[k] != '}' || tmpl[k + 1] != '}') {
			if (strbuf_add(&sb, &tmpl[i], 1) == -1)
				goto toolong;
			i++;
			continue;
		}
		memcpy(name, &tmpl[i + 2], n);
		name[n] = '\0';
		val = NULL;
		for (k = 0; vars[k] != NULL && vars[k + 1] != NULL; k += 2)
			if (strcmp(vars[k], name) == 0) {
				val = vars[k + 1];
				break;
			}
		if (val == NULL) {
			struct strbuf known;

			strbuf_init(&known, OCEAN_MAX_USERDATA);
			for (k = 0; vars[k] != NULL && vars[k + 1] != NULL;
			    k += 2)
				(void)strbuf_printf(&known, "%s{{%s}}",
				    k > 0 ? ", " : "", vars[k]);
			log_errx("%s: line %zu: unknown placeholder {{%s}} "
			    "(known: %s)", what, line, name,
			    known.buf != NULL ? known.buf : "none");
			strbuf_cleanup(&known);
			goto fail;
		}
		if (strbuf_puts(&sb, val) == -1)
			goto toolong;
		i += n + 4;
	}
	if (sb.buf == NULL)
		(void)strbuf_puts(&sb, "");
	return strbuf_take(&sb, NULL);
toolong:
	log_errx("%s: the rendered script exceeds the %d bytes EC2 allows "
	    "for user data", what, OCEAN_MAX_USERDATA);
fail:
	strbuf_cleanup(&sb);
	return NULL;
}

const char *
ocean_vng_name(const struct xsvc *s)
{
	size_t i;

	if (s == NULL || s->td == NULL)
		return NULL;
	if (s->vng[0] != '\0')
		return s->vng;
	i = (s->td->arch != NULL && strcmp(s->td->arch, "ARM64") == 0) ? 2 : 0;
	if (s->td->ephemeral_gib > OCEAN_FARGATE_EPH_GIB)
		i++;
	return ocean_group_names[i];
}

cJSON *
ocean_placement(const struct xsvc *s)
{
	const char *g = ocean_vng_name(s);
	cJSON *o;
	char *e;

	if (g == NULL)
		return NULL;
	o = cJSON_CreateObject();
	json_add_str(o, "type", "memberOf");
	e = xasprintf("attribute:%s == %s", OCEAN_VNG_ATTRIBUTE, g);
	json_add_str(o, "expression", e);
	free(e);
	return o;
}

void
ocean_task_size(const struct xlate *x, const struct xtd *t, int *cpu,
    int *memory)
{
	const char *mode = opt_str(x->opt, "task-size");
	int ctr_mem = t->ctr_memory > t->ctr_reservation ? t->ctr_memory :
	    t->ctr_reservation;

	/* The same size the cost report packs (report_cost.c). */
	if (mode != NULL && strcmp(mode, "containers") == 0) {
		(void)taskdef_container_size(t, cpu, memory);
		return;
	}
	*cpu = t->cpu > 0 ? t->cpu : t->ctr_cpu;
	*memory = t->memory > 0 ? t->memory : ctr_mem;
}

/* ---------------------------------------------------------------- */

static int
catalog_get(struct octx *c)
{
	cJSON *root = ctx_template_json(c->x, CATALOG_FILE);
	int rc;

	if (root == NULL)
		return -1;
	rc = catalog_load(&c->cat, root, "template " CATALOG_FILE);
	cJSON_Delete(root);
	return rc;
}

static int
steps_add(struct octx *c, cJSON *cluster, cJSON *vtmpl)
{
	struct xlate *x = c->x;
	struct plan_step *st;
	cJSON *req;
	char *path, *title;
	size_t i;

	if (c->trunking) {
		req = cJSON_CreateObject();
		json_add_str(req, "name", "awsvpcTrunking");
		json_add_str(req, "value", "enabled");
		path = ctx_request_take(x, OCEAN_STEP_TRUNKING, req);
		if (path == NULL)
			return -1;
		st = plan_add(x->plan, OCEAN_STEP_TRUNKING, MODEL_PHASE_IMPORT,
		    "ecs:PutAccountSettingDefault", "turn on ENI trunking "
		    "(awsvpcTrunking) for the account's new instances", path,
		    NULL);
		free(path);
		if (st == NULL)
			return -1;
	}
	path = ctx_request(x, OCEAN_STEP_CLUSTER, cluster);
	if (path == NULL)
		return -1;
	title = xasprintf("create Spot Ocean cluster %s for ECS cluster %s",
	    c->name, c->cluster);
	st = plan_add(x->plan, OCEAN_STEP_CLUSTER, MODEL_PHASE_IMPORT,
	    "spot:CreateOceanCluster", title, path, NULL);
	free(title);
	free(path);
	if (st == NULL)
		return -1;
	for (i = 0; i < x->nsg_steps; i++)
		plan_step_after(st, x->sg_steps[i]);
	if (c->trunking)
		plan_step_after(st, OCEAN_STEP_TRUNKING);
	plan_step_output(st, "id", "id");
	x->ocean_step = xstrdup(OCEAN_STEP_CLUSTER);

	for (i = 0; i < c->ng; i++) {
		struct ogroup *g = &c->g[i];

		if (g->ntasks == 0)
			continue;
		req = ocean_payload_vng(c, g, vtmpl);
		g->step = xasprintf("vng/%s", g->name);
		path = ctx_request_take(x, g->step, req);
		if (path == NULL)
			return -1;
		title = xasprintf("create Ocean node group %s (%zu %s, %zu "
		    "instance types)", g->name, g->ntasks, g->ntasks == 1 ?
		    "service" : "services", g->ntypes);
		st = plan_add(x->plan, g->step, MODEL_PHASE_IMPORT,
		    "spot:CreateOceanLaunchSpec", title, path, NULL);
		free(title);
		free(path);
		if (st == NULL)
			return -1;
		plan_step_after(st, OCEAN_STEP_CLUSTER);
		plan_step_output(st, "id", "id");
		x->vng_steps = xreallocarray(x->vng_steps, x->nvng_steps + 1,
		    sizeof(char *));
		x->vng_steps[x->nvng_steps++] = xstrdup(g->step);
	}
	return 0;
}

int
ocean_plan(struct xlate *x)
{
	struct octx c;
	cJSON *cluster = NULL, *vtmpl = NULL;
	size_t i;
	int rc = -1, bad = 0;

	memset(&c, 0, sizeof(c));
	c.x = x;
	if (x->nmig == 0)
		return 0;
	if (ocean_size_tasks(&c) == -1 || ocean_size_params(&c) == -1 ||
	    catalog_get(&c) == -1)
		goto out;
	for (i = 0; i < c.ng; i++)
		if (c.g[i].ntasks > 0 && ocean_size_select(&c, &c.g[i]) == -1)
			bad++;
	if (bad > 0)
		goto out;
	if ((cluster = ocean_payload_cluster(&c)) == NULL)
		goto out;
	if ((vtmpl = ocean_payload_template(x, OCEAN_TEMPLATE_VNG, "launchSpec")) ==
	    NULL)
		goto out;
	if (steps_add(&c, cluster, vtmpl) == -1)
		goto out;
	ocean_report_write(&c);
	rc = 0;
out:
	cJSON_Delete(cluster);
	cJSON_Delete(vtmpl);
	ocean_size_cleanup(&c);
	return rc;
}
