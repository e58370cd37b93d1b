/*
 * Spot Ocean, step 2: the request bodies, the cluster (with user data and
 * tags) and each virtual node group (launch spec) from the templates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "jsonutil.h"
#include "log.h"
#include "ocean.h"
#include "ocean_int.h"
#include "options.h"
#include "plan.h"
#include "xalloc.h"

/* ---------------------------------------------------------------- */
/* Payloads. */

static void
set_item(cJSON *obj, const char *key, cJSON *item)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
	else
		cJSON_AddItemToObject(obj, key, item);
}

/* Move the named members (NULL-terminated) to the front, in that order. */
static void
obj_front(cJSON *obj, const char *const *keys)
{
	cJSON *front = cJSON_CreateArray(), *m;
	size_t i;

	for (i = 0; keys[i] != NULL; i++) {
		m = cJSON_DetachItemFromObjectCaseSensitive(obj, keys[i]);
		if (m != NULL)
			cJSON_AddItemToArray(front, m);	/* keeps m->string */
	}
	while (obj->child != NULL) {
		m = cJSON_DetachItemViaPointer(obj, obj->child);
		cJSON_AddItemToArray(front, m);
	}
	while (front->child != NULL) {
		m = cJSON_DetachItemViaPointer(front, front->child);
		cJSON_AddItemToArray(obj, m);
	}
	cJSON_Delete(front);
}

static cJSON *
obj_get(cJSON *obj, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsObject(o)) {
		o = cJSON_CreateObject();
		set_item(obj, key, o);
	}
	return o;
}

/* The template's {"<root>": {...}}, checked. */
cJSON *
ocean_payload_template(struct xlate *x, const char *file, const char *root)
{
	cJSON *t = ctx_template_json(x, file);

	if (t == NULL)
		return NULL;
	if (!cJSON_IsObject(t) ||
	    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(t, root))) {
		log_errx("template %s: $.%s: must be an object (the body "
		    "POSTed to Spot, {\"%s\": {...}})", file, root, root);
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

static bool
tags_have(const cJSON *tags, const char *key)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, tags) {
		const char *k = json_str(e, "tagKey");

		if (k != NULL && strcmp(k, key) == 0)
			return true;
	}
	return false;
}

/* Template tags, then a Name tag unless given, then f2o's. */
static void
tags_set(struct octx *c, cJSON *spec, const char *name)
{
	cJSON *tags = cJSON_GetObjectItemCaseSensitive(spec, "tags"), *f2o,
	    *o;

	if (!cJSON_IsArray(tags)) {
		tags = cJSON_CreateArray();
		set_item(spec, "tags", tags);
	}
	f2o = ctx_tags(c->x, "tagKey", "tagValue");
	if (!tags_have(tags, "Name") && !tags_have(f2o, "Name")) {
		o = cJSON_CreateObject();
		json_add_str(o, "tagKey", "Name");
		json_add_str(o, "tagValue", name);
		cJSON_AddItemToArray(tags, o);
	}
	while (f2o->child != NULL) {
		cJSON *m = cJSON_DetachItemViaPointer(f2o, f2o->child);
		const char *k = json_str(m, "tagKey");

		if (k != NULL && tags_have(tags, k)) {
			cJSON_Delete(m);
			continue;
		}
		cJSON_AddItemToArray(tags, m);
	}
	cJSON_Delete(f2o);
}

static cJSON *
str_array(char *const *v, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
	return a;
}

static char *
userdata_make(struct octx *c)
{
	char mem[32], *tmpl, *script, *enc;
	size_t len;
	const char *vars[] = {
		"ECS_CLUSTER", c->cluster,
		"OCEAN_NAME", c->name,
		"REGION", c->region,
		"ECS_RESERVED_MEMORY", mem,
		NULL, NULL
	};

	(void)snprintf(mem, sizeof(mem), "%d", c->cat->agent_memory);
	tmpl = ctx_template(c->x, OCEAN_TEMPLATE_USERDATA, &len);
	if (tmpl == NULL)
		return NULL;
	script = ocean_render(tmpl, len, vars, "template "
	    OCEAN_TEMPLATE_USERDATA);
	free(tmpl);
	if (script == NULL)
		return NULL;
	enc = ocean_base64(script, strlen(script));
	free(script);
	return enc;
}

static void
headroom_fill(cJSON *h, int cpu, int memory)
{
	set_item(h, "cpuPerUnit", cJSON_CreateNumber(cpu));
	set_item(h, "memoryPerUnit", cJSON_CreateNumber(memory));
	if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(h, "numOfUnits")))
		set_item(h, "numOfUnits", cJSON_CreateNumber(1));
}

cJSON *
ocean_payload_cluster(struct octx *c)
{
	cJSON *t, *cl, *compute, *ls, *it, *wl, *as, *h, *p, *bdm, *ebs;
	char *ud, **names = NULL;
	size_t i, j, n = 0;
	int cpu = 0, mem = 0;
	const char *ami;

	if ((t = ocean_payload_template(c->x, OCEAN_TEMPLATE_CLUSTER, "cluster")) ==
	    NULL)
		return NULL;
	cl = cJSON_GetObjectItemCaseSensitive(t, "cluster");
	set_item(cl, "name", cJSON_CreateString(c->name));
	set_item(cl, "clusterName", cJSON_CreateString(c->cluster));
	set_item(cl, "region", cJSON_CreateString(c->region));
	obj_front(cl, (const char *const[]){ "name", "clusterName", "region",
	    NULL });

	/* Headroom: the largest task of the cluster. */
	for (i = 0; i < c->ng; i++) {
		if (c->g[i].max_cpu > cpu)
			cpu = c->g[i].max_cpu;
		if (c->g[i].max_memory > mem)
			mem = c->g[i].max_memory;
	}
	as = obj_get(cl, "autoScaler");
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(as,
	    "isAutoConfig"))) {
		h = obj_get(as, "headroom");
		headroom_fill(h, cpu, mem);
	}

	ocean_share_cluster(c, cl);
	compute = obj_get(cl, "compute");
	set_item(compute, "subnetIds", str_array(c->subnets, c->nsubnets));
	/* Types: every node group's, the cluster list bounds theirs. */
	for (i = 0; i < c->ng; i++)
		for (j = 0; j < c->g[i].ntypes; j++) {
			size_t k;

			for (k = 0; k < n; k++)
				if (strcmp(names[k], c->g[i].types[j]->name) == 0)
					break;
			if (k < n)
				continue;
			names = xreallocarray(names, n + 1, sizeof(char *));
			names[n++] = c->g[i].types[j]->name;
		}
	qsort(names, n, sizeof(char *), ocean_size_cmp_str);
	it = cJSON_CreateObject();
	wl = str_array(names, n);
	free(names);
	cJSON_AddItemToObject(it, "whitelist", wl);
	set_item(compute, "instanceTypes", it);

	ls = obj_get(compute, "launchSpecification");
	ami = c->ami_arm;
	for (i = 0; i < c->ng; i++)
		if (!c->g[i].arm64 && c->g[i].ntasks > 0)
			ami = c->ami_x86;
	set_item(ls, "imageId", cJSON_CreateString(ami));
	if ((ud = userdata_make(c)) == NULL) {
		cJSON_Delete(t);
		return NULL;
	}
	set_item(ls, "userData", cJSON_CreateString(ud));
	free(ud);
	if (c->x->ninstance_sgs > 0)
		set_item(ls, "securityGroupIds", str_array(c->x->instance_sgs,
		    c->x->ninstance_sgs));
	else if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(ls,
	    "securityGroupIds")) == 0) {
		json_del(ls, "securityGroupIds");
		ctx_warn(c->x, "Ocean cluster", "no instance security group "
		    "was planned: compute.launchSpecification.securityGroupIds "
		    "is left out, which Spot requires; add it before running "
		    "the bundle");
	} else
		c->sgs_from_template = true;
	p = cJSON_CreateObject();
	json_add_str(p, strncmp(c->profile, "arn:", 4) == 0 ? "arn" : "name",
	    c->profile);
	set_item(ls, "iamInstanceProfile", p);
	if (opt_str(c->x->opt, "key-pair") != NULL)
		set_item(ls, "keyPair",
		    cJSON_CreateString(opt_str(c->x->opt, "key-pair")));
	tags_set(c, ls, c->name);
	set_item(ls, "useAsTemplateOnly", cJSON_CreateTrue());
	/* Remember the template's root volume size for the disk groups. */
	bdm = cJSON_GetObjectItemCaseSensitive(ls, "blockDeviceMappings");
	ebs = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(bdm, 0),
	    "ebs");
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ebs,
	    "volumeSize")))
		c->root_gib = cJSON_GetObjectItemCaseSensitive(ebs,
		    "volumeSize")->valueint;
	return t;
}

cJSON *
ocean_payload_vng(struct octx *c, struct ogroup *g, cJSON *tmpl)
{
	cJSON *t = cJSON_Duplicate(tmpl, 1), *ls, *as, *hs, *h, *attrs, *a,
	    *types, *bdm, *m, *ebs;
	char *ref, **names, *tagname;
	size_t i;

	ls = cJSON_GetObjectItemCaseSensitive(t, "launchSpec");
	ref = plan_ref(OCEAN_STEP_CLUSTER, "id");
	set_item(ls, "oceanId", cJSON_CreateString(ref));
	free(ref);
	set_item(ls, "name", cJSON_CreateString(g->name));
	obj_front(ls, (const char *const[]){ "oceanId", "name", NULL });
	set_item(ls, "imageId", cJSON_CreateString(g->arm64 ? c->ami_arm :
	    c->ami_x86));
	json_del(ls, "images");
	names = xcalloc(g->ntypes + 1, sizeof(char *));
	for (i = 0; i < g->ntypes; i++)
		names[i] = g->types[i]->name;
	qsort(names, g->ntypes, sizeof(char *), ocean_size_cmp_str);
	types = str_array(names, g->ntypes);
	free(names);
	set_item(ls, "instanceTypes", types);

	attrs = cJSON_GetObjectItemCaseSensitive(ls, "attributes");
	if (!cJSON_IsArray(attrs)) {
		attrs = cJSON_CreateArray();
		set_item(ls, "attributes", attrs);
	}
	a = cJSON_CreateObject();
	json_add_str(a, "key", OCEAN_VNG_ATTRIBUTE);
	json_add_str(a, "value", g->name);
	cJSON_AddItemToArray(attrs, a);

	as = obj_get(ls, "autoScale");
	hs = cJSON_GetObjectItemCaseSensitive(as, "headrooms");
	if (!cJSON_IsArray(hs)) {
		hs = cJSON_CreateArray();
		set_item(as, "headrooms", hs);
	}
	h = cJSON_GetArrayItem(hs, 0);
	if (!cJSON_IsObject(h)) {
		h = cJSON_CreateObject();
		cJSON_AddItemToArray(hs, h);
	}
	headroom_fill(h, g->max_cpu, g->max_memory);
	ocean_share_vng(c, g, ls);

	/* Root volume: the template's, plus the Fargate storage above 20. */
	bdm = cJSON_GetObjectItemCaseSensitive(ls, "blockDeviceMappings");
	if (g->disk) {
		if (!cJSON_IsArray(bdm) || cJSON_GetArraySize(bdm) == 0) {
			bdm = cJSON_CreateArray();
			m = cJSON_CreateObject();
			json_add_str(m, "deviceName", "/dev/xvda");
			cJSON_AddItemToArray(bdm, m);
			set_item(ls, "blockDeviceMappings", bdm);
		}
		m = cJSON_GetArrayItem(bdm, 0);
		ebs = obj_get(m, "ebs");
		g->volume = (c->root_gib > 0 ? c->root_gib : OCEAN_ROOT_GIB) +
		    g->eph_gib;
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(ebs,
		    "volumeSize")))
			g->volume = cJSON_GetObjectItemCaseSensitive(ebs,
			    "volumeSize")->valueint + g->eph_gib;
		json_del(ebs, "dynamicVolumeSize");
		set_item(ebs, "volumeSize", cJSON_CreateNumber(g->volume));
	}
	tagname = xasprintf("%s-%s", c->name, g->name);
	tags_set(c, ls, tagname);
	free(tagname);
	return t;
}
