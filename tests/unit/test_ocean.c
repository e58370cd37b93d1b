/*
 * The Spot Ocean stage (translate/ocean*.c): base64, the user-data
 * template, node-group naming, and whole ocean_plan() runs on small
 * hand-built models (x86 only, mixed x86/ARM64 with big ephemeral
 * storage, a task too large for every type, missing parameters,
 * trunking). Reads templates/ (run from the repo root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "fsio.h"
#include "jsonutil.h"
#include "ocean.h"
#include "ocean_share.h"
#include "options.h"
#include "plan.h"
#include "strbuf.h"
#include "xalloc.h"
#include "xlate.h"

#define T_MAX_SVCS	8

/* ---------------------------------------------------------------- */
/* A base64 decoder of our own, to check the encoder independently. */

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static char *
b64decode(const char *s)
{
	size_t n = strlen(s), i, o = 0;
	char *out;

	assert_int_equal(n % 4, 0);
	out = xmalloc(n / 4 * 3 + 1);
	for (i = 0; i < n; i += 4) {
		int a = b64val(s[i]), b = b64val(s[i + 1]);
		int c = s[i + 2] == '=' ? 0 : b64val(s[i + 2]);
		int d = s[i + 3] == '=' ? 0 : b64val(s[i + 3]);

		assert_true(a >= 0 && b >= 0 && c >= 0 && d >= 0);
		out[o++] = (char)((a << 2) | (b >> 4));
		if (s[i + 2] != '=')
			out[o++] = (char)(((b & 0xf) << 4) | (c >> 2));
		if (s[i + 3] != '=')
			out[o++] = (char)(((c & 0x3) << 6) | d);
	}
	out[o] = '\0';
	return out;
}

static void
test_base64(void **state)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	unsigned char all[256];
	char *e, *d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		e = ocean_base64(v[i][0], strlen(v[i][0]));
		assert_string_equal(e, v[i][1]);
		free(e);
	}
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	e = ocean_base64(all, sizeof(all));
	d = b64decode(e);
	assert_memory_equal(d, all, sizeof(all) - 1); /* no NUL inside */
	free(e);
	free(d);
}

static void
test_render(void **state)
{
	const char *vars[] = { "A", "1", "LONG_NAME", "value", NULL, NULL };
	const char *t;
	char *r, *big;

	(void)state;
	t = "x={{A}} y={{LONG_NAME}}{{A}}\n{ } {x} }}";
	r = ocean_render(t, strlen(t), vars, "t");
	assert_string_equal(r, "x=1 y=value1\n{ } {x} }}");
	free(r);
	r = ocean_render("", 0, vars, "t");
	assert_string_equal(r, "");
	free(r);
	t = "a\n{{B}}";
	assert_null(ocean_render(t, strlen(t), vars, "t"));
	t = "{{a}}";	/* lower case: text */
	r = ocean_render(t, strlen(t), vars, "t");
	assert_string_equal(r, "{{a}}");
	free(r);
	t = "{{A {{}} {{.Id}} {{A}";
	r = ocean_render(t, strlen(t), vars, "t");
	assert_string_equal(r, t);
	free(r);
	t = "{{{A}}}";
	r = ocean_render(t, strlen(t), vars, "t");
	assert_string_equal(r, "{1}");
	free(r);
	assert_null(ocean_render("a\0b", 3, vars, "t"));
	big = xmalloc(OCEAN_MAX_USERDATA + 2);
	memset(big, '#', OCEAN_MAX_USERDATA + 1);
	big[OCEAN_MAX_USERDATA + 1] = '\0';
	assert_null(ocean_render(big, strlen(big), vars, "t"));
	free(big);
}

/* ---------------------------------------------------------------- */
/* A hand-built translation context. */

struct tctx {
	struct xlate x;
	struct options *opt;
	struct xtd tds[T_MAX_SVCS];
	struct xsvc svcs[T_MAX_SVCS];
	struct xsvc *mig[T_MAX_SVCS];
	char *subnets[2];
};

static struct tctx *
tctx_new(const char *const *args)
{
	struct tctx *t = xcalloc(1, sizeof(*t));
	char *argv[32];
	int argc = 0, i;

	argv[argc++] = (char *)(uintptr_t)"f2o-translate";
	for (i = 0; args != NULL && args[i] != NULL; i++)
		argv[argc++] = (char *)(uintptr_t)args[i];
	argv[argc++] = (char *)(uintptr_t)"-o";
	argv[argc++] = (char *)(uintptr_t)"/nonexistent/out";
	argv[argc++] = (char *)(uintptr_t)"input.json";
	argv[argc] = NULL;
	assert_int_equal(options_parse(&t->opt, argc, argv), OPTIONS_OK);
	t->x.opt = t->opt;
	t->x.plan = plan_new();
	t->x.bundle = bundle_new();
	t->x.templates = cJSON_CreateObject();
	t->x.templates_dir = xstrdup(getenv("F2O_TEMPLATES") != NULL ?
	    getenv("F2O_TEMPLATES") : "templates");
	t->x.mig = t->mig;
	strbuf_init(&t->x.md_ocean, MODEL_MD_MAX);
	t->subnets[0] = xstrdup("subnet-b");
	t->subnets[1] = xstrdup("subnet-a");
	return t;
}

static void
tctx_svc(struct tctx *t, const char *name, int cpu, int memory,
    const char *arch, int eph)
{
	size_t i = t->x.nmig;
	struct xtd *td = &t->tds[i];
	struct xsvc *s = &t->svcs[i];

	td->td = cJSON_CreateObject();
	json_add_str(td->td, "networkMode", "awsvpc");
	td->key = xasprintf("%s:1", name);
	td->cpu = cpu;
	td->memory = memory;
	td->ctr_cpu = cpu / 2;
	td->ctr_memory = memory / 2;
	td->ctr_reservation = memory / 2;
	td->arch = arch;
	td->os = "LINUX";
	td->ephemeral_gib = eph;
	s->name = xstrdup(name);
	s->td = td;
	s->subnets = t->subnets;
	s->nsubnets = 2;
	t->mig[i] = s;
	t->x.nmig++;
}

static void
tctx_sg(struct tctx *t)
{
	t->x.instance_sgs = xcalloc(1, sizeof(char *));
	t->x.instance_sgs[0] = xstrdup("${sg/instances.GroupId}");
	t->x.ninstance_sgs = 1;
	t->x.sg_steps = xcalloc(1, sizeof(char *));
	t->x.sg_steps[0] = xstrdup("sg/instances");
	t->x.nsg_steps = 1;
	assert_non_null(plan_add(t->x.plan, "sg/instances", "import",
	    "ec2:CreateSecurityGroup", "sg", NULL, NULL));
}

static void
tctx_free(struct tctx *t)
{
	size_t i;

	for (i = 0; i < t->x.nmig; i++) {
		cJSON_Delete(t->tds[i].td);
		free(t->tds[i].key);
		free(t->svcs[i].name);
		cJSON_Delete(t->svcs[i].svc);
	}
	for (i = 0; i < t->x.nwarns; i++) {
		free(t->x.warns[i].subject);
		free(t->x.warns[i].message);
	}
	free(t->x.warns);
	for (i = 0; i < t->x.ninstance_sgs; i++)
		free(t->x.instance_sgs[i]);
	free(t->x.instance_sgs);
	for (i = 0; i < t->x.nsg_steps; i++)
		free(t->x.sg_steps[i]);
	free(t->x.sg_steps);
	free(t->x.ocean_step);
	for (i = 0; i < t->x.nvng_steps; i++)
		free(t->x.vng_steps[i]);
	free(t->x.vng_steps);
	plan_free(t->x.plan);
	bundle_free(t->x.bundle);
	cJSON_Delete(t->x.templates);
	free(t->x.templates_dir);
	strbuf_cleanup(&t->x.md_ocean);
	free(t->subnets[0]);
	free(t->subnets[1]);
	options_free(t->opt);
	free(t);
}

static cJSON *
request(struct tctx *t, const char *step)
{
	char *name = xasprintf("requests/%s.json", step);
	const struct bundle_file *f = bundle_find(t->x.bundle, name);
	cJSON *j;

	free(name);
	assert_non_null(f);
	j = json_parse_quiet(f->data, f->len);
	assert_non_null(j);
	return j;
}

static const cJSON *
path(const cJSON *j, const char *a, const char *b, const char *c,
    const char *d)
{
	const char *k[] = { a, b, c, d };
	size_t i;

	for (i = 0; i < 4 && k[i] != NULL; i++) {
		j = cJSON_GetObjectItemCaseSensitive(j, k[i]);
		assert_non_null(j);
	}
	return j;
}

static bool
array_has(const cJSON *a, const char *s)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, a)
		if (cJSON_IsString(e) && strcmp(e->valuestring, s) == 0)
			return true;
	return false;
}

/* Naive {{NAME}} replacement of the userdata template, for comparison. */
static char *
expected_script(const char *cluster, const char *name, const char *region)
{
	const char *dir = getenv("F2O_TEMPLATES");
	const char *k[] = { "{{ECS_CLUSTER}}", "{{OCEAN_NAME}}", "{{REGION}}",
	    "{{ECS_RESERVED_MEMORY}}" };
	const char *v[] = { cluster, name, region, "256" };
	char p[4096], *buf, *cur;
	size_t len, i;

	(void)snprintf(p, sizeof(p), "%s/userdata.sh", dir != NULL ? dir :
	    "templates");
	assert_int_equal(fsio_read_bounded(&buf, &len, p, 1 << 20), 0);
	cur = buf;
	for (i = 0; i < 4; i++) {
		char *at;

		while ((at = strstr(cur, k[i])) != NULL) {
			char *n = xasprintf("%.*s%s%s", (int)(at - cur), cur,
			    v[i], at + strlen(k[i]));

			free(cur);
			cur = n;
		}
	}
	return cur;
}

static const char *const base_args[] = {
	"--region", "eu-west-1", "--ecs-cluster", "prod",
	"--ami-x86_64", "ami-0123456789abcdef0",
	"--ami-arm64", "ami-0fedcba9876543210",
	"--instance-profile", "ecsInstanceRole", NULL
};

static void
test_vng_name(void **state)
{
	struct tctx *t = tctx_new(base_args);

	(void)state;
	tctx_svc(t, "a", 1024, 2048, "X86_64", 0);
	tctx_svc(t, "b", 1024, 2048, "ARM64", 20);
	tctx_svc(t, "c", 1024, 2048, "X86_64", 21);
	tctx_svc(t, "d", 1024, 2048, "ARM64", 200);
	assert_string_equal(ocean_vng_name(&t->svcs[0]), "x86_64");
	assert_string_equal(ocean_vng_name(&t->svcs[1]), "arm64");
	assert_string_equal(ocean_vng_name(&t->svcs[2]), "x86_64-disk");
	assert_string_equal(ocean_vng_name(&t->svcs[3]), "arm64-disk");
	assert_null(ocean_vng_name(NULL));
	{
		cJSON *pc = ocean_placement(&t->svcs[2]);

		assert_string_equal(json_str(pc, "type"), "memberOf");
		assert_string_equal(json_str(pc, "expression"),
		    "attribute:f2o.vng == x86_64-disk");
		cJSON_Delete(pc);
		assert_null(ocean_placement(NULL));
	}
	tctx_free(t);
}

/* A capacity provider strategy FARGATE weight od, FARGATE_SPOT 100-od. */
static void
tctx_share(struct tctx *t, int od)
{
	struct xsvc *s = t->mig[t->x.nmig - 1];
	char *j = xasprintf("{\"capacityProviderStrategy\":["
	    "{\"capacityProvider\":\"FARGATE\",\"weight\":%d},"
	    "{\"capacityProvider\":\"FARGATE_SPOT\",\"weight\":%d}]}", od,
	    100 - od);

	s->svc = cJSON_Parse(j);
	s->desired = 10;
	ocean_share_note(s);
	free(j);
}

static int
spot_pct(const cJSON *j, const char *root)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j,
	    root), "strategy"), "spotPercentage");

	return cJSON_IsNumber(v) ? v->valueint : -1;
}

/* Equal shares share a node group; the cluster leaves spotPercentage. */
static void
test_plan_share(void **state)
{
	const char *const over[] = { "--region", "eu-west-1", "--ecs-cluster",
	    "prod", "--ami-x86_64", "ami-0123456789abcdef0", "--ami-arm64",
	    "ami-0fedcba9876543210", "--instance-profile", "ecsInstanceRole",
	    "--spot-percentage", "80", NULL };
	struct tctx *t = tctx_new(base_args), *u;
	cJSON *cl, *v;
	size_t i;

	(void)state;
	tctx_sg(t);
	tctx_svc(t, "a", 1024, 2048, "X86_64", 0);
	tctx_share(t, 30);
	tctx_svc(t, "b", 1024, 2048, "X86_64", 0);
	tctx_share(t, 30);
	tctx_svc(t, "c", 1024, 2048, "X86_64", 0);
	tctx_svc(t, "d", 1024, 2048, "ARM64", 40);
	tctx_share(t, 50);
	tctx_svc(t, "e", 1024, 2048, "X86_64", 0);
	tctx_share(t, 0);
	assert_int_equal(ocean_plan(&t->x), 0);
	assert_int_equal(t->x.nvng_steps, 3);
	assert_string_equal(t->x.vng_steps[0], "vng/x86_64");
	assert_string_equal(t->x.vng_steps[1], "vng/x86_64-od30");
	assert_string_equal(t->x.vng_steps[2], "vng/arm64-disk-od50");
	assert_string_equal(ocean_vng_name(&t->svcs[0]), "x86_64-od30");
	assert_string_equal(ocean_vng_name(&t->svcs[1]), "x86_64-od30");
	assert_string_equal(ocean_vng_name(&t->svcs[2]), "x86_64");
	assert_string_equal(ocean_vng_name(&t->svcs[3]), "arm64-disk-od50");
	assert_string_equal(ocean_vng_name(&t->svcs[4]), "x86_64");
	{
		cJSON *pc = ocean_placement(&t->svcs[3]);

		assert_string_equal(json_str(pc, "expression"),
		    "attribute:f2o.vng == arm64-disk-od50");
		cJSON_Delete(pc);
	}
	cl = request(t, "ocean/cluster");
	assert_int_equal(spot_pct(cl, "cluster"), -1);
	assert_true(cJSON_IsTrue(path(cl, "cluster", "strategy",
	    "fallbackToOd", NULL)));
	assert_string_equal(json_str(path(cl, "cluster", "compute",
	    "launchSpecification", NULL), "imageId"), "ami-0123456789abcdef0");
	cJSON_Delete(cl);
	v = request(t, "vng/x86_64");
	assert_int_equal(spot_pct(v, "launchSpec"), 100);
	cJSON_Delete(v);
	v = request(t, "vng/x86_64-od30");
	assert_int_equal(spot_pct(v, "launchSpec"), 70);
	assert_string_equal(json_str(cJSON_GetArrayItem(path(v, "launchSpec",
	    "attributes", NULL, NULL), 0), "value"), "x86_64-od30");
	cJSON_Delete(v);
	v = request(t, "vng/arm64-disk-od50");
	assert_int_equal(spot_pct(v, "launchSpec"), 50);
	cJSON_Delete(v);
	assert_non_null(strstr(t->x.md_ocean.buf, "### On-demand share"));
	assert_non_null(strstr(t->x.md_ocean.buf, "| a | FARGATE base 0 "
	    "weight 30, FARGATE_SPOT base 0 weight 70 | 10 | 30% |"));
	assert_non_null(strstr(t->x.md_ocean.buf, "`strategy.spotPercentage` "
	    "70: 30% of its instances on-demand"));

	/* --spot-percentage: the cluster's strategy, the plain groups. */
	u = tctx_new(over);
	tctx_sg(u);
	for (i = 0; i < 3; i++) {
		tctx_svc(u, i == 0 ? "a" : i == 1 ? "b" : "c", 1024, 2048,
		    "X86_64", 0);
		tctx_share(u, (int)i * 20);
	}
	assert_int_equal(ocean_plan(&u->x), 0);
	assert_int_equal(u->x.nvng_steps, 1);
	assert_string_equal(u->x.vng_steps[0], "vng/x86_64");
	cl = request(u, "ocean/cluster");
	assert_int_equal(spot_pct(cl, "cluster"), 80);
	cJSON_Delete(cl);
	v = request(u, "vng/x86_64");
	assert_int_equal(spot_pct(v, "launchSpec"), -1);
	cJSON_Delete(v);
	assert_non_null(strstr(u->x.md_ocean.buf, "`--spot-percentage 80`"));
	tctx_free(u);
	tctx_free(t);
}

static void
test_task_size(void **state)
{
	const char *const args[] = { "--task-size", "containers", NULL };
	struct tctx *t = tctx_new(NULL), *u = tctx_new(args);
	int cpu, mem;

	(void)state;
	tctx_svc(t, "a", 1024, 2048, "X86_64", 0);
	ocean_task_size(&t->x, &t->tds[0], &cpu, &mem);
	assert_int_equal(cpu, 1024);
	assert_int_equal(mem, 2048);
	tctx_svc(u, "a", 1024, 2048, "X86_64", 0);
	ocean_task_size(&u->x, &u->tds[0], &cpu, &mem);
	assert_int_equal(cpu, 512);
	assert_int_equal(mem, 1024);
	/* No task-level size: the containers' sums. */
	t->tds[0].cpu = 0;
	t->tds[0].memory = 0;
	ocean_task_size(&t->x, &t->tds[0], &cpu, &mem);
	assert_int_equal(cpu, 512);
	assert_int_equal(mem, 1024);
	tctx_free(t);
	tctx_free(u);
}

static void
test_plan_x86(void **state)
{
	struct tctx *t = tctx_new(base_args);
	const struct plan_step *st;
	const cJSON *ls, *wl, *e;
	cJSON *cl, *vng;
	char *script, *want;

	(void)state;
	tctx_sg(t);
	tctx_svc(t, "api", 1024, 2048, "X86_64", 0);
	tctx_svc(t, "web", 512, 1024, "X86_64", 0);
	assert_int_equal(ocean_plan(&t->x), 0);
	assert_string_equal(t->x.ocean_step, "ocean/cluster");
	assert_int_equal(t->x.nvng_steps, 1);
	assert_string_equal(t->x.vng_steps[0], "vng/x86_64");
	st = plan_find(t->x.plan, "ocean/cluster");
	assert_non_null(st);
	assert_string_equal(st->action, "spot:CreateOceanCluster");
	assert_int_equal(st->nafter, 1);
	assert_string_equal(st->after[0], "sg/instances");
	assert_int_equal(st->noutputs, 1);
	assert_string_equal(st->outputs[0].name, "id");
	assert_string_equal(st->outputs[0].path, "id");
	assert_null(plan_find(t->x.plan, OCEAN_STEP_TRUNKING));
	st = plan_find(t->x.plan, "vng/x86_64");
	assert_non_null(st);
	assert_string_equal(st->action, "spot:CreateOceanLaunchSpec");
	assert_string_equal(st->after[0], "ocean/cluster");

	cl = request(t, "ocean/cluster");
	assert_string_equal(json_str(path(cl, "cluster", NULL, NULL, NULL),
	    "name"), "prod");
	assert_string_equal(json_str(path(cl, "cluster", NULL, NULL, NULL),
	    "clusterName"), "prod");
	assert_string_equal(json_str(path(cl, "cluster", NULL, NULL, NULL),
	    "region"), "eu-west-1");
	assert_true(cJSON_IsTrue(path(cl, "cluster", "strategy",
	    "fallbackToOd", NULL)));
	assert_true(cJSON_IsBool(path(cl, "cluster", "autoScaler",
	    "isEnabled", NULL)));
	assert_int_equal(path(cl, "cluster", "autoScaler", "headroom",
	    "cpuPerUnit")->valueint, 1024);
	assert_int_equal(path(cl, "cluster", "autoScaler", "headroom",
	    "memoryPerUnit")->valueint, 2048);
	e = path(cl, "cluster", "compute", "subnetIds", NULL);
	assert_int_equal(cJSON_GetArraySize(e), 2);
	assert_string_equal(cJSON_GetArrayItem(e, 0)->valuestring, "subnet-a");
	wl = path(cl, "cluster", "compute", "instanceTypes", "whitelist");
	assert_true(array_has(wl, "m5.large"));
	assert_true(array_has(wl, "c7i.xlarge"));
	assert_false(array_has(wl, "m7g.large"));	/* arm64 */
	assert_false(array_has(wl, "t3.large"));	/* no trunking */
	assert_false(array_has(wl, "r5.8xlarge"));	/* ECS: no trunking */
	assert_false(array_has(wl, "m5.metal"));
	assert_false(array_has(wl, "m5.24xlarge"));	/* above 64 vCPUs */
	ls = path(cl, "cluster", "compute", "launchSpecification", NULL);
	assert_string_equal(json_str(ls, "imageId"), "ami-0123456789abcdef0");
	assert_string_equal(json_str(path(ls, "iamInstanceProfile", NULL, NULL,
	    NULL), "name"), "ecsInstanceRole");
	assert_null(json_str(ls, "keyPair"));
	assert_true(cJSON_IsTrue(path(ls, "useAsTemplateOnly", NULL, NULL,
	    NULL)));
	assert_string_equal(cJSON_GetArrayItem(path(ls, "securityGroupIds",
	    NULL, NULL, NULL), 0)->valuestring, "${sg/instances.GroupId}");
	/* userData decodes to the rendered template. */
	script = b64decode(json_str(ls, "userData"));
	want = expected_script("prod", "prod", "eu-west-1");
	assert_string_equal(script, want);
	assert_non_null(strstr(script, "\nECS_CLUSTER=prod\n"));
	assert_non_null(strstr(script, "\nECS_ENABLE_TASK_ENI=true\n"));
	assert_null(strstr(script, "{{"));
	free(script);
	free(want);
	cJSON_Delete(cl);

	vng = request(t, "vng/x86_64");
	ls = path(vng, "launchSpec", NULL, NULL, NULL);
	assert_string_equal(json_str(ls, "oceanId"), "${ocean/cluster.id}");
	assert_string_equal(json_str(ls, "name"), "x86_64");
	assert_string_equal(json_str(ls, "imageId"), "ami-0123456789abcdef0");
	e = cJSON_GetArrayItem(path(ls, "autoScale", "headrooms", NULL, NULL),
	    0);
	assert_int_equal(path(e, "cpuPerUnit", NULL, NULL, NULL)->valueint,
	    1024);
	assert_int_equal(path(e, "numOfUnits", NULL, NULL, NULL)->valueint, 1);
	assert_true(array_has(path(ls, "instanceTypes", NULL, NULL, NULL),
	    "m5.large"));
	e = cJSON_GetArrayItem(path(ls, "attributes", NULL, NULL, NULL), 0);
	assert_string_equal(json_str(e, "key"), OCEAN_VNG_ATTRIBUTE);
	assert_string_equal(json_str(e, "value"), "x86_64");
	cJSON_Delete(vng);
	assert_non_null(strstr(t->x.md_ocean.buf, "### Node group `x86_64`"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(t->x.templates,
	    "userdata.sh"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(t->x.templates,
	    "instance-types.json"));
	tctx_free(t);
}

static void
test_plan_mixed(void **state)
{
	const char *const args[] = {
		"--region", "us-east-1", "--ecs-cluster", "shop",
		"--ocean-name", "shop-ocean",
		"--ami-x86_64", "ami-0123456789abcdef0",
		"--ami-arm64", "ami-0fedcba9876543210",
		"--instance-profile",
		"arn:aws:iam::123456789012:instance-profile/ecs",
		"--key-pair", "ops", "--subnets", "subnet-z,subnet-y",
		"--tag", "team=shop", "--enable-trunking", NULL
	};
	struct tctx *t = tctx_new(args);
	const struct plan_step *st;
	const cJSON *ls, *e, *tags;
	cJSON *cl, *vng;
	size_t i;

	(void)state;
	tctx_sg(t);
	tctx_svc(t, "api", 1024, 2048, "ARM64", 0);
	tctx_svc(t, "big", 16384, 122880, "X86_64", 0);
	tctx_svc(t, "web", 256, 512, "X86_64", 0);
	tctx_svc(t, "worker", 2048, 4096, "X86_64", 50);
	assert_int_equal(ocean_plan(&t->x), 0);
	assert_int_equal(t->x.nvng_steps, 3);
	assert_string_equal(t->x.vng_steps[0], "vng/x86_64");
	assert_string_equal(t->x.vng_steps[1], "vng/x86_64-disk");
	assert_string_equal(t->x.vng_steps[2], "vng/arm64");
	st = plan_find(t->x.plan, OCEAN_STEP_TRUNKING);
	assert_non_null(st);
	assert_string_equal(st->action, "ecs:PutAccountSettingDefault");
	cl = request(t, OCEAN_STEP_TRUNKING);
	assert_string_equal(json_str(cl, "name"), "awsvpcTrunking");
	assert_string_equal(json_str(cl, "value"), "enabled");
	cJSON_Delete(cl);
	st = plan_find(t->x.plan, "ocean/cluster");
	assert_int_equal(st->nafter, 2);
	assert_string_equal(st->after[1], OCEAN_STEP_TRUNKING);

	cl = request(t, "ocean/cluster");
	assert_string_equal(json_str(path(cl, "cluster", NULL, NULL, NULL),
	    "name"), "shop-ocean");
	e = path(cl, "cluster", "compute", "subnetIds", NULL);
	assert_string_equal(cJSON_GetArrayItem(e, 0)->valuestring, "subnet-z");
	e = path(cl, "cluster", "compute", "instanceTypes", "whitelist");
	assert_true(array_has(e, "m7g.large"));
	assert_true(array_has(e, "m5.large"));
	/* ECS supports no trunking on r5.8xlarge. */
	assert_false(array_has(e, "r5.8xlarge"));
	ls = path(cl, "cluster", "compute", "launchSpecification", NULL);
	assert_string_equal(json_str(path(ls, "iamInstanceProfile", NULL, NULL,
	    NULL), "arn"), "arn:aws:iam::123456789012:instance-profile/ecs");
	assert_string_equal(json_str(ls, "keyPair"), "ops");
	tags = path(ls, "tags", NULL, NULL, NULL);
	for (i = 0, e = NULL; i < (size_t)cJSON_GetArraySize(tags); i++)
		if (strcmp(json_str(cJSON_GetArrayItem(tags, (int)i), "tagKey"),
		    "team") == 0)
			e = cJSON_GetArrayItem(tags, (int)i);
	assert_non_null(e);
	assert_string_equal(json_str(e, "tagValue"), "shop");
	cJSON_Delete(cl);

	vng = request(t, "vng/arm64");
	ls = path(vng, "launchSpec", NULL, NULL, NULL);
	assert_string_equal(json_str(ls, "imageId"), "ami-0fedcba9876543210");
	cJSON_ArrayForEach(e, path(ls, "instanceTypes", NULL, NULL, NULL))
		assert_true(strchr(e->valuestring, 'g') != NULL ||
		    strncmp(e->valuestring, "a1.", 3) == 0);
	assert_false(array_has(path(ls, "instanceTypes", NULL, NULL, NULL),
	    "m5.large"));
	cJSON_Delete(vng);

	vng = request(t, "vng/x86_64-disk");
	ls = path(vng, "launchSpec", NULL, NULL, NULL);
	e = cJSON_GetArrayItem(path(ls, "blockDeviceMappings", NULL, NULL,
	    NULL), 0);
	assert_int_equal(path(e, "ebs", "volumeSize", NULL, NULL)->valueint,
	    30 + 50);
	e = cJSON_GetArrayItem(path(ls, "autoScale", "headrooms", NULL, NULL),
	    0);
	assert_int_equal(path(e, "cpuPerUnit", NULL, NULL, NULL)->valueint,
	    2048);
	assert_int_equal(path(e, "memoryPerUnit", NULL, NULL, NULL)->valueint,
	    4096);
	cJSON_Delete(vng);

	vng = request(t, "vng/x86_64");
	ls = path(vng, "launchSpec", NULL, NULL, NULL);
	e = cJSON_GetArrayItem(path(ls, "autoScale", "headrooms", NULL, NULL),
	    0);
	assert_int_equal(path(e, "cpuPerUnit", NULL, NULL, NULL)->valueint,
	    16384);
	/* The 16 vCPU task keeps small types (for web) and 16+ vCPU ones. */
	assert_true(array_has(path(ls, "instanceTypes", NULL, NULL, NULL),
	    "m5.large"));
	assert_true(array_has(path(ls, "instanceTypes", NULL, NULL, NULL),
	    "r5.4xlarge"));
	assert_true(array_has(path(ls, "instanceTypes", NULL, NULL, NULL),
	    "r6i.8xlarge"));
	cJSON_Delete(vng);
	tctx_free(t);
}

static void
test_too_large(void **state)
{
	struct tctx *t = tctx_new(base_args);

	(void)state;
	tctx_svc(t, "ok", 1024, 2048, "X86_64", 0);
	tctx_svc(t, "huge", 16384, 1800000, "X86_64", 0);
	assert_int_equal(ocean_plan(&t->x), -1);
	assert_int_equal(t->x.plan->nsteps, 0);
	assert_int_equal(t->x.bundle->nfiles, 0);
	tctx_free(t);
}

static void
test_missing_params(void **state)
{
	const char *const args[] = {
		"--region", "us-east-1", "--ecs-cluster", "shop",
		"--ami-x86_64", "ami-0123456789abcdef0", NULL
	};
	const char *const role[] = {
		"--region", "us-east-1", "--ecs-cluster", "shop",
		"--ami-x86_64", "ami-0123456789abcdef0", "--instance-profile",
		"arn:aws:iam::123456789012:role/ecsInstanceRole", NULL
	};
	const char *const badami[] = {
		"--region", "us-east-1", "--ecs-cluster", "shop",
		"--ami-x86_64", "ami-xyz", "--instance-profile", "p", NULL
	};
	struct tctx *t = tctx_new(NULL);
	struct strbuf sb;

	(void)state;
	/* Nothing given: every parameter is listed, once. */
	tctx_svc(t, "api", 1024, 2048, "ARM64", 0);
	tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
	t->svcs[0].nsubnets = t->svcs[1].nsubnets = 0;
	strbuf_init(&sb, MODEL_MD_MAX);
	ocean_missing_params(&t->x, &sb);
	assert_string_equal(sb.buf, "\n  --region (the export's ARNs do not "
	    "name it)\n  --ecs-cluster (the export does not name it)\n"
	    "  --ami-x86_64 (ECS-optimized AMI for the X86_64 tasks)\n"
	    "  --ami-arm64 (ECS-optimized AMI for the ARM64 tasks)\n"
	    "  --instance-profile (IAM instance profile with the ECS "
	    "container-instance role, ARN or name)\n"
	    "  --subnets (the services name no subnets)");
	strbuf_cleanup(&sb);
	assert_int_equal(ocean_plan(&t->x), -1);
	tctx_free(t);

	t = tctx_new(args);
	/* ARM64 without --ami-arm64, and no --instance-profile. */
	tctx_svc(t, "api", 1024, 2048, "ARM64", 0);
	tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
	assert_int_equal(ocean_plan(&t->x), -1);
	assert_int_equal(t->x.plan->nsteps, 0);
	assert_null(t->x.ocean_step);
	tctx_free(t);
	/* x86 only: no AMI for ARM is needed. */
	t = tctx_new(role);
	tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
	assert_int_equal(ocean_plan(&t->x), -1);	/* a role ARN */
	tctx_free(t);
	t = tctx_new(badami);
	tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
	assert_int_equal(ocean_plan(&t->x), -1);
	tctx_free(t);
}

static void
test_values(void **state)
{
	static const char *const bad_regions[] = { "US-east-1", "us-east",
	    "useast-1", "us--1", "us-east-1a", "u-east-1", NULL };
	static const char *const good_regions[] = { "us-east-1",
	    "us-gov-west-1", "ap-southeast-2", "eu-central-10", NULL };
	const char *args[] = {
		"--region", NULL, "--ecs-cluster", "shop",
		"--ami-x86_64", "ami-0123456789abcdef0",
		"--instance-profile", "p", NULL
	};
	const char *const badname[] = {
		"--region", "us-east-1", "--ecs-cluster", "shop",
		"--ocean-name", "my ocean", "--ami-x86_64",
		"ami-0123456789abcdef0", "--instance-profile", "p", NULL
	};
	struct tctx *t;
	size_t i;

	(void)state;
	for (i = 0; bad_regions[i] != NULL; i++) {
		args[1] = bad_regions[i];
		t = tctx_new(args);
		tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
		assert_int_equal(ocean_plan(&t->x), -1);
		tctx_free(t);
	}
	for (i = 0; good_regions[i] != NULL; i++) {
		args[1] = good_regions[i];
		t = tctx_new(args);
		tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
		assert_int_equal(ocean_plan(&t->x), 0);
		tctx_free(t);
	}
	t = tctx_new(badname);
	tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
	assert_int_equal(ocean_plan(&t->x), -1);
	tctx_free(t);
	/* Windows tasks: no Linux AMI can run them. */
	args[1] = "us-east-1";
	t = tctx_new(args);
	tctx_svc(t, "win", 1024, 2048, "X86_64", 0);
	t->tds[0].os = "WINDOWS";
	assert_int_equal(ocean_plan(&t->x), -1);
	tctx_free(t);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	free(p);
}

/* --templates: a user file wins; bad user files are errors. */
static void
test_templates(void **state)
{
	char dir[] = "/tmp/f2o-test-ocean-XXXXXX";
	const char *args[] = {
		"--region", "us-east-1", "--ecs-cluster", "shop",
		"--ami-x86_64", "ami-0123456789abcdef0",
		"--instance-profile", "p", "--templates", NULL, NULL
	};
	static const char *const bad[][2] = {
		{ "ocean-cluster.json", "{\"cluster\": []}" },
		{ "ocean-cluster.json", "[1, 2" },
		{ "ocean-launchspec.json", "{\"spec\": {}}" },
		{ "userdata.sh", "#!/bin/sh\necho {{ECS_CLUSTER}} {{NOPE}}\n" },
		{ "instance-types.json", "{\"types\": []}" },
	};
	struct tctx *t;
	const cJSON *ls, *rec;
	cJSON *cl;
	char *script;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	args[9] = dir;
	write_file(dir, "userdata.sh", "#!/bin/sh\n# {{.Tag}}\n"
	    "echo ECS_CLUSTER={{ECS_CLUSTER}} >>/etc/ecs/ecs.config\n");
	write_file(dir, "ocean-cluster.json", "{\"cluster\": {\"compute\": "
	    "{\"launchSpecification\": {\"securityGroupIds\": "
	    "[\"sg-0fixed\"], \"monitoring\": true}}}}");
	t = tctx_new(args);
	tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
	assert_int_equal(ocean_plan(&t->x), 0);
	assert_int_equal(t->x.nwarns, 0);
	cl = request(t, "ocean/cluster");
	ls = path(cl, "cluster", "compute", "launchSpecification", NULL);
	script = b64decode(json_str(ls, "userData"));
	assert_string_equal(script, "#!/bin/sh\n# {{.Tag}}\n"
	    "echo ECS_CLUSTER=shop >>/etc/ecs/ecs.config\n");
	free(script);
	assert_string_equal(cJSON_GetArrayItem(path(ls, "securityGroupIds",
	    NULL, NULL, NULL), 0)->valuestring, "sg-0fixed");
	assert_true(cJSON_IsTrue(path(ls, "monitoring", NULL, NULL, NULL)));
	assert_null(cJSON_GetObjectItemCaseSensitive(path(cl, "cluster", NULL,
	    NULL, NULL), "capacity"));
	cJSON_Delete(cl);
	rec = cJSON_GetObjectItemCaseSensitive(t->x.templates, "userdata.sh");
	assert_string_equal(json_str(rec, "origin"), "user");
	rec = cJSON_GetObjectItemCaseSensitive(t->x.templates,
	    "ocean-launchspec.json");
	assert_string_equal(json_str(rec, "origin"), "default");
	tctx_free(t);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *p = xasprintf("%s/%s", dir, bad[i][0]);
		char *keep = NULL;
		size_t len;

		if (fsio_read_bounded(&keep, &len, p, 1 << 20) == -1)
			keep = NULL;
		write_file(dir, bad[i][0], bad[i][1]);
		t = tctx_new(args);
		tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
		if (ocean_plan(&t->x) != -1)
			fail_msg("accepted %s: %s", bad[i][0], bad[i][1]);
		assert_null(t->x.ocean_step);
		tctx_free(t);
		if (keep != NULL)
			write_file(dir, bad[i][0], keep);
		else
			assert_int_equal(unlink(p), 0);
		free(keep);
		free(p);
	}
	assert_int_equal(fsio_remove_tree(dir), 0);
}

static void
test_no_sg(void **state)
{
	struct tctx *t = tctx_new(base_args);
	cJSON *cl;

	(void)state;
	tctx_svc(t, "web", 1024, 2048, "X86_64", 0);
	assert_int_equal(ocean_plan(&t->x), 0);
	assert_int_equal(t->x.nwarns, 1);
	cl = request(t, "ocean/cluster");
	assert_null(cJSON_GetObjectItemCaseSensitive(path(cl, "cluster",
	    "compute", "launchSpecification", NULL), "securityGroupIds"));
	cJSON_Delete(cl);
	assert_int_equal(plan_find(t->x.plan, "ocean/cluster")->nafter, 0);
	tctx_free(t);
}

static void
test_nothing_to_do(void **state)
{
	struct tctx *t = tctx_new(NULL);

	(void)state;
	assert_int_equal(ocean_plan(&t->x), 0);
	assert_null(t->x.ocean_step);
	assert_int_equal(t->x.plan->nsteps, 0);
	tctx_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_vng_name),
		cmocka_unit_test(test_plan_share),
		cmocka_unit_test(test_task_size),
		cmocka_unit_test(test_plan_x86),
		cmocka_unit_test(test_plan_mixed),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_missing_params),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_no_sg),
		cmocka_unit_test(test_nothing_to_do),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
