/*
 * Cost report (translate/report_pack.c, report_cost.c, report_html.c,
 * and taskdef.c's container sizing): the packer on small hand-checked
 * cases, the --task-size containers sizing rule, and the HTML escaping
 * and ids.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsio.h"
#include "jsonutil.h"
#include "options.h"
#include "report.h"
#include "strbuf.h"
#include "taskdef.h"
#include "xalloc.h"
#include "xlate.h"

static struct report_pack *
pack(const struct report_item *it, size_t n, const struct report_itype *ty,
    size_t nt)
{
	struct report_pack *p;

	assert_int_equal(report_pack(&p, it, n, ty, nt), 0);
	assert_non_null(p);
	return p;
}

/* Count instances of type t. */
static size_t
count(const struct report_pack *p, size_t t)
{
	size_t b, n = 0;

	for (b = 0; b < p->nbins; b++)
		if (p->bins[b].type == t)
			n++;
	return n;
}

/* 3 tasks of 1 vCPU / 2 GiB: one large beats two small. */
static void
test_pack_one_large(void **state)
{
	const struct report_itype ty[] = {
		{ "small", 2048, 4096, 10, 0.10 },
		{ "large", 4096, 8192, 10, 0.15 },
	};
	const struct report_item it[] = { { 1024, 2048, 0, 3 } };
	struct report_pack *p = pack(it, 1, ty, 2);

	(void)state;
	assert_int_equal(p->nbins, 1);
	assert_int_equal(count(p, 1), 1);
	assert_int_equal(p->bins[0].tasks, 3);
	assert_int_equal(p->bins[0].cpu, 3072);
	assert_int_equal(p->bins[0].memory, 6144);
	assert_true(fabs(p->hour - 0.15) < 1e-12);
	assert_int_equal(p->unplaced, 0);
	report_pack_free(p);
}

/* The ENI task limit binds before CPU and memory do. */
static void
test_pack_eni_limit(void **state)
{
	const struct report_itype ty[] = {
		{ "big-few-enis", 8192, 32768, 2, 0.20 },
	};
	const struct report_itype ty2[] = {
		{ "big-few-enis", 8192, 32768, 2, 0.20 },
		{ "tiny", 1024, 2048, 4, 0.05 },
	};
	const struct report_item it[] = { { 256, 512, 0, 5 } };
	struct report_pack *p = pack(it, 1, ty, 1);

	(void)state;
	assert_int_equal(p->nbins, 3);		/* 2 + 2 + 1 */
	assert_int_equal(p->bins[0].tasks, 2);
	assert_int_equal(p->bins[2].tasks, 1);
	assert_true(fabs(p->hour - 0.60) < 1e-12);
	report_pack_free(p);
	p = pack(it, 1, ty2, 2);
	assert_int_equal(p->nbins, 2);		/* 4 + 1 on "tiny" */
	assert_int_equal(count(p, 1), 2);
	assert_true(fabs(p->hour - 0.10) < 1e-12);
	report_pack_free(p);
}

/*
 * 100,000 services of the bench pack 214,000 x86 tasks, past the old
 * limit of 200,000; one over REPORT_MAX_TASKS is refused before anything
 * is allocated.
 */
static void
test_pack_limit(void **state)
{
	const struct report_itype ty[] = {
		{ "L", 4096, 8192, 16, 0.15 },
	};
	const struct report_item it[] = {
		{ 256, 512, 0, 150000 }, { 512, 1024, 1, 100000 },
	};
	const struct report_item over[] = {
		{ 256, 512, 0, REPORT_MAX_TASKS / 2 },
		{ 256, 512, 1, REPORT_MAX_TASKS / 2 + 1 },
	};
	struct report_pack *p = pack(it, 2, ty, 1);

	(void)state;
	assert_int_equal(p->ntasks, 250000);
	assert_int_equal(p->unplaced, 0);
	/* 100,000 tasks of 512 CPU fill 12,500 of 4096; the rest 16 a bin */
	assert_int_equal(p->nbins, 12500 + 9375);
	report_pack_free(p);
	assert_int_equal(report_pack(&p, over, 2, ty, 1), -1);
	assert_null(p);
}

/* Tie on price -> fewer instances; then the last instance right-sized. */
static void
test_pack_mix(void **state)
{
	const struct report_itype ty[] = {
		{ "S", 2048, 4096, 10, 0.10 },
		{ "L", 4096, 8192, 10, 0.15 },
	};
	const struct report_item it[] = { { 1024, 2048, 7, 5 } };
	struct report_pack *p = pack(it, 1, ty, 2);
	size_t k;

	(void)state;
	/* S alone: 3 x 0.10; L alone: 2 x 0.15 (fewer); then 4 + 1 -> L + S */
	assert_int_equal(p->nbins, 2);
	assert_int_equal(p->bins[0].type, 1);
	assert_int_equal(p->bins[0].tasks, 4);
	assert_int_equal(p->bins[1].type, 0);
	assert_int_equal(p->bins[1].tasks, 1);
	assert_true(fabs(p->hour - 0.25) < 1e-12);
	assert_int_equal(p->ntasks, 5);
	for (k = 0; k < p->ntasks; k++)
		assert_int_equal(p->task_svc[k], 7);
	report_pack_free(p);
}

/* First-fit decreasing order, checked by hand. */
static void
test_pack_ffd_order(void **state)
{
	const struct report_itype ty[] = { { "T", 4096, 8192, 10, 1.0 } };
	const struct report_item it[] = {
		{ 1024, 1024, 2, 2 },
		{ 3072, 1024, 0, 1 },
		{ 2048, 2048, 1, 2 },
	};
	struct report_pack *p = pack(it, 3, ty, 1);

	(void)state;
	/* 3072 | 2048 2048 | then 1024 -> bin 0, 1024 -> new bin */
	assert_int_equal(p->nbins, 3);
	assert_int_equal(p->bins[0].cpu, 4096);
	assert_int_equal(p->bins[0].memory, 2048);
	assert_int_equal(p->bins[1].cpu, 4096);
	assert_int_equal(p->bins[1].memory, 4096);
	assert_int_equal(p->bins[2].cpu, 1024);
	assert_int_equal(p->bins[2].memory, 1024);
	assert_int_equal(p->task_svc[0], 0);
	assert_int_equal(p->task_bin[0], 0);
	report_pack_free(p);
}

/* A task larger than every type is reported, not placed. */
static void
test_pack_unplaced(void **state)
{
	const struct report_itype ty[] = { { "T", 8192, 16384, 10, 0.3 } };
	const struct report_item it[] = {
		{ 9000, 1024, 0, 2 },
		{ 1024, 1024, 1, 1 },
		{ 1024, 1024, 2, 0 },
	};
	struct report_pack *p = pack(it, 3, ty, 1);

	(void)state;
	assert_int_equal(p->unplaced, 2);
	assert_int_equal(p->ntasks, 3);
	assert_int_equal(p->nbins, 1);
	assert_int_equal(p->task_bin[0], SIZE_MAX);
	report_pack_free(p);
	p = pack(it, 0, ty, 1);
	assert_int_equal(p->nbins, 0);
	assert_true(p->hour == 0);
	report_pack_free(p);
}

static void
td_set(struct xtd *t, const char *json, int cpu, int mem)
{
	memset(t, 0, sizeof(*t));
	t->td = json_parse_quiet(json, strlen(json));
	assert_non_null(t->td);
	t->cpu = cpu;
	t->memory = mem;
}

static void
test_container_size(void **state)
{
	struct xtd t;
	int cpu, mem;

	(void)state;
	/* The 0.7 vCPU case: 640 + 64 units, 768 reserved + 128 hard. */
	td_set(&t, "{\"containerDefinitions\":[{\"cpu\":640,"
	    "\"memoryReservation\":768},{\"cpu\":64,\"memory\":128}]}",
	    1024, 2048);
	assert_int_equal(taskdef_container_size(&t, &cpu, &mem), 0);
	assert_int_equal(cpu, 704);
	assert_int_equal(mem, 896);
	cJSON_Delete(t.td);
	/* Never below a container's hard limit. */
	td_set(&t, "{\"containerDefinitions\":[{\"cpu\":1536,\"memory\":3072,"
	    "\"memoryReservation\":2560}]}", 2048, 4096);
	assert_int_equal(taskdef_container_size(&t, &cpu, &mem), 0);
	assert_int_equal(cpu, 1536);
	assert_int_equal(mem, 3072);
	cJSON_Delete(t.td);
	/* Nothing reserved: the task-level size stays, both flags. */
	td_set(&t, "{\"containerDefinitions\":[{\"cpu\":0,\"name\":\"a\"}]}",
	    1024, 2048);
	assert_int_equal(taskdef_container_size(&t, &cpu, &mem),
	    TASKDEF_SIZE_NO_CPU | TASKDEF_SIZE_NO_MEMORY);
	assert_int_equal(cpu, 1024);
	assert_int_equal(mem, 2048);
	cJSON_Delete(t.td);
	/* EC2 minimum 128 units; reservations summed, max hard wins. */
	td_set(&t, "{\"containerDefinitions\":[{\"cpu\":10,"
	    "\"memoryReservation\":100},{\"cpu\":20,\"memoryReservation\":50,"
	    "\"memory\":300}]}", 256, 512);
	assert_int_equal(taskdef_container_size(&t, &cpu, &mem), 0);
	assert_int_equal(cpu, 128);
	assert_int_equal(mem, 300);
	cJSON_Delete(t.td);
	/* Memory only. */
	td_set(&t, "{\"containerDefinitions\":[{\"memory\":700},"
	    "{\"memoryReservation\":200}]}", 512, 1024);
	assert_int_equal(taskdef_container_size(&t, &cpu, &mem),
	    TASKDEF_SIZE_NO_CPU);
	assert_int_equal(cpu, 512);
	assert_int_equal(mem, 900);
	cJSON_Delete(t.td);
}

static void
test_html(void **state)
{
	struct strbuf sb;
	const char *j = "{\"region\":\"us-east-1\",\"taskSize\":\"fargate\","
	    "\"currency\":\"USD\",\"hoursPerMonth\":730,"
	    "\"totals\":{\"fargateMonthly\":100.5,\"oceanMonthlyOnDemand\":80,"
	    "\"oceanMonthlySpot\":28,\"savingsMonthlySpot\":72.5},"
	    "\"services\":[{\"name\":\"<x&y>\",\"desired\":2}]}";
	cJSON *rep = json_parse_quiet(j, strlen(j));
	char *html, *s;
	size_t len;

	(void)state;
	strbuf_init(&sb, 100);
	assert_int_equal(report_html_escape(&sb, "<a href=\"x\">'&'</a>"), 0);
	s = strbuf_take(&sb, &len);
	assert_string_equal(s, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
	    "&lt;/a&gt;");
	free(s);
	html = report_html(rep, &len);
	assert_non_null(html);
	assert_int_equal(strlen(html), len);
	assert_non_null(strstr(html, "id=\"total-fargate-monthly\" "
	    "data-value=\"100.50\">$100.50<"));
	assert_non_null(strstr(html, "id=\"total-ocean-spot\" "
	    "data-value=\"28.00\""));
	assert_non_null(strstr(html, "&lt;x&amp;y&gt;"));
	assert_null(strstr(html, "<x&y>"));
	assert_null(strstr(html, "http://"));
	assert_null(strstr(html, "<script"));
	free(html);
	cJSON_Delete(rep);
}

static double
jnum(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

#define near(a, b)	assert_true(fabs((a) - (b)) < 0.0051)

/* Translate the demo export and read report.json (from the repo root). */
static cJSON *
demo_report(const char *tmp, const char *mode)
{
	char out[512], path[600];
	char *argv[] = { "f2o-translate", "fixtures/demo/services.json",
	    "fixtures/demo/taskdefs", "fixtures/demo/security-groups.json",
	    "--config", "fixtures/demo/f2o.json", "--templates", "templates",
	    "--quiet", "--task-size", (char *)(uintptr_t)mode, "-o", out,
	    NULL };
	struct options *opt;
	char *buf;
	size_t len;
	cJSON *rep;

	(void)snprintf(out, sizeof(out), "%s/%s", tmp, mode);
	assert_int_equal(options_parse(&opt, 13, argv), OPTIONS_OK);
	assert_int_equal(xlate_run(opt, opt->inputs, opt->ninputs), 0);
	options_free(opt);
	(void)snprintf(path, sizeof(path), "%s/report.json", out);
	assert_int_equal(fsio_read_bounded(&buf, &len, path, 1 << 24), 0);
	rep = json_parse_quiet(buf, len);
	assert_non_null(rep);
	free(buf);
	return rep;
}

/*
 * Cost arithmetic end to end on the demo export. Fargate figures by hand
 * (us-east-1, 730 h): api ARM 1 vCPU/2 GB x3 = 0.0395*3*730 = 86.505;
 * imgproc 4/8 x2 = 0.19748*2*730 = 288.32; web 1/2 x4 = 0.04937*4*730 =
 * 144.16; worker 2/4 + 30 GiB storage x6, 3/4 on FARGATE_SPOT at 70% off:
 * 0.10207*6*730*(0.25 + 0.75*0.3) = 212.36. Total: the sum of the cents
 * shown, 731.35.
 */
static void
test_demo_figures(void **state)
{
	char tmp[] = "/tmp/f2o-test-report-XXXXXX";
	const char *modes[] = { "fargate", "containers" };
	double od[2];
	int m;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	for (m = 0; m < 2; m++) {
		cJSON *rep = demo_report(tmp, modes[m]), *s, *sc, *g;
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(rep,
		    "totals");
		double sum_od = 0, sum_sp = 0, gsum = 0, f = 0;
		int n = 0;

		cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(rep,
		    "services")) {
			const char *name = json_str(s, "name");
			const char *ek = m == 1 ? "ec2Containers" : "ec2";
			double v = jnum(s, "fargate", "monthly");

			if (strcmp(name, "api") == 0)
				near(v, 86.51);
			else if (strcmp(name, "imgproc") == 0)
				near(v, 288.32);
			else if (strcmp(name, "web") == 0) {
				near(v, 144.16);
				/* the 0.7 vCPU case: 704 units, 896 MiB */
				near(jnum(s, "needed", "cpu"), 704);
				near(jnum(s, "needed", "memoryMiB"), 896);
				near(jnum(s, "waste", "vcpu"), 4 * 320 / 1024.0);
			} else if (strcmp(name, "worker") == 0) {
				/* FARGATE base 2 weight 1, FARGATE_SPOT weight
				 * 3, 6 tasks: 2 + 1 on FARGATE, 3 on spot. */
				near(v, 290.59);
				near(jnum(s, "ephemeralBilledGiB", NULL), 30);
				near(jnum(s, "fargateSpotShare", NULL), 0.5);
				near(jnum(s, "onDemandPercent", NULL), 50);
			} else
				fail_msg("unexpected service %s", name);
			f += v;
			/* Spot figure: the on-demand share at on-demand
			 * prices, the rest at on-demand x (1 - 0.65). */
			{
				double p = jnum(s, "onDemandPercent", NULL) / 100;

				assert_true(fabs(jnum(s, ek, "monthlySpot") -
				    jnum(s, ek, "monthlyOnDemand") *
				    (p + (1 - p) * 0.35)) < 0.02);
			}
			sum_od += jnum(s, ek, "monthlyOnDemand");
			sum_sp += jnum(s, ek, "monthlySpot");
			n++;
		}
		assert_int_equal(n, 4);
		near(jnum(t, "fargateMonthly", NULL), 809.58);
		near(f, 809.58);
		/* Per-service EC2 shares add up to the cluster's cost. */
		assert_true(fabs(sum_od - jnum(t, "oceanMonthlyOnDemand", NULL))
		    < 0.05);
		assert_true(fabs(sum_sp - jnum(t, "oceanMonthlySpot", NULL))
		    < 0.05);
		near(jnum(t, "savingsMonthlySpot", NULL), 809.58 -
		    jnum(t, "oceanMonthlySpot", NULL));
		near(jnum(t, "wasteVcpu", NULL), 5.25);
		near(jnum(t, "wasteGiB", NULL), 12.5);
		assert_true(jnum(t, "unplacedTasks", NULL) == 0);
		cJSON_ArrayForEach(sc, cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(rep, "ocean"),
		    "scenarios")) {
			if (strcmp(json_str(sc, "taskSize"), modes[m]) != 0)
				continue;
			gsum = 0;
			cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(
			    sc, "groups"))
				gsum += jnum(g, "monthlyOnDemand", NULL);
			assert_true(fabs(gsum - jnum(sc, "monthlyOnDemand",
			    NULL)) < 0.02);
			near(jnum(sc, "tasks", NULL), 15);
		}
		od[m] = jnum(t, "oceanMonthlyOnDemand", NULL);
		cJSON_Delete(rep);
	}
	/* Sizing from the containers never costs more here. */
	assert_true(od[1] <= od[0] + 0.005);
	{
		char *cmd = xasprintf("rm -rf '%s'", tmp);

		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_one_large),
		cmocka_unit_test(test_pack_eni_limit),
		cmocka_unit_test(test_pack_mix),
		cmocka_unit_test(test_pack_limit),
		cmocka_unit_test(test_pack_ffd_order),
		cmocka_unit_test(test_pack_unplaced),
		cmocka_unit_test(test_container_size),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_demo_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
