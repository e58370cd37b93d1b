/*
 * Cost report, writing: report.json per service and in total, report.html,
 * the PLAN.md "Cost" section; the report_plan stage.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fargate.h"
#include "bundle.h"
#include "export.h"
#include "jsonutil.h"
#include "options.h"
#include "report.h"
#include "report_int.h"
#include "strbuf.h"
#include "svcpolicy.h"
#include "taskdef.h"
#include "xalloc.h"

/* Bytes of a generated text kept in memory before it spills to a file. */
#define REPORT_SPILL	(64 * 1024)

/* JSON figures: 4 decimals; money: cents (as report_cost.c). */
static double
r4(double v)
{
	return fargate_round4(v);
}

static double
cents(double v)
{
	return fargate_cents(v);
}

static double
pct(double saved, double base)
{
	return base > 0 ? round(saved / base * 1000.0) / 10.0 : 0;
}

static cJSON *
svc_json(const struct rctx *c, const struct rsvc *r, int sel)
{
	cJSON *o = cJSON_CreateObject(), *ctr, *f, *e, *w, *sz;
	const struct xtd *t = r->s->td;
	double d = (double)r->s->desired, wc, wm, od, sp;
	int sc;

	json_add_str(o, "name", r->s->name);
	if (r->s->newname != NULL)
		json_add_str(o, "ec2Service", r->s->newname);
	json_add_str(o, "taskDefinition", t->key);
	json_add_str(o, "arch", report_arch_name[r->arch]);
	json_add_num(o, "desired", d);
	json_add_num(o, "fargateSpotShare", r4(r->s->spot_share));
	if (c->share_shown) {
		json_add_num(o, "onDemandPercent", r->share.ondemand);
		json_add_str(o, "onDemandSource", r->share.src ==
		    OCEAN_SHARE_STRATEGY ? "capacityProviderStrategy" :
		    r->share.src == OCEAN_SHARE_OVERRIDE ? "spot-percentage" :
		    "none");
	}
	ctr = cJSON_AddObjectToObject(o, "containers");
	json_add_num(ctr, "cpu", t->ctr_cpu);
	json_add_num(ctr, "memoryMiB", t->ctr_memory);
	json_add_num(ctr, "memoryReservationMiB", t->ctr_reservation);
	json_add_bool(ctr, "cpuSet", !(r->need_flags & TASKDEF_SIZE_NO_CPU));
	json_add_bool(ctr, "memorySet",
	    !(r->need_flags & TASKDEF_SIZE_NO_MEMORY));
	cJSON_AddItemToObject(o, "taskSize", report_cost_size_json(r->task_cpu,
	    r->task_mem));
	cJSON_AddItemToObject(o, "needed", report_cost_size_json(r->need_cpu,
	    r->need_mem));
	cJSON_AddItemToObject(o, "billed", report_cost_size_json(r->bill_cpu,
	    r->bill_mem));
	json_add_bool(o, "roundedUp", r->rounded);
	json_add_num(o, "ephemeralGiB", r->eph);
	json_add_num(o, "ephemeralBilledGiB", r->eph_billed);
	wc = (r->bill_cpu - r->need_cpu) / 1024.0;
	wm = (r->bill_mem - r->need_mem) / 1024.0;
	if (wc < 0)
		wc = 0;
	if (wm < 0)
		wm = 0;
	w = cJSON_AddObjectToObject(o, "waste");
	json_add_num(w, "vcpuPerTask", r4(wc));
	json_add_num(w, "gibPerTask", r4(wm));
	json_add_num(w, "vcpu", r4(wc * d));
	json_add_num(w, "gib", r4(wm * d));
	f = cJSON_AddObjectToObject(o, "fargate");
	json_add_str(f, "priceRegion", r->rate.region);
	json_add_str(f, "priceConfidence", r->rate.confidence);
	json_add_num(f, "vcpuHour", r->rate.vcpu_hour);
	json_add_num(f, "gbHour", r->rate.gb_hour);
	json_add_num(f, "ephemeralGbHour", r->rate.eph_gb_hour);
	json_add_num(f, "taskHour", r4(r->hour_task));
	json_add_num(f, "monthly", cents(r->fargate_month));
	for (sc = 0; sc < REPORT_NSCEN; sc++) {
		e = cJSON_AddObjectToObject(o, sc == 0 ? "ec2" :
		    "ec2Containers");
		sz = report_cost_size_json(r->ec2_cpu[sc], r->ec2_mem[sc]);
		cJSON_AddItemToObject(e, "taskSize", sz);
		od = r->ec2_hour[sc] * FARGATE_HOURS_MONTH;
		/* The on-demand share at on-demand prices, the rest spot. */
		sp = od * (1 - c->spot_discount) + od *
		    r->share.ondemand / 100.0 * c->spot_discount;
		json_add_num(e, "monthlyOnDemand", cents(od));
		json_add_num(e, "monthlySpot", cents(sp));
		json_add_num(e, "savingsOnDemand", cents(r->fargate_month -
		    od));
		json_add_num(e, "savingsSpot", cents(r->fargate_month - sp));
		json_add_bool(e, "selected", sc == sel);
	}
	/* A Service Connect server's expected window at cutover. */
	if (r->s->sc_server)
		(void)export_svc_hold(c->x->ex, r->s);
	svcpol_report(r->s, o);
	return o;
}

#define N(o, k)	cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, k))
#define O(o, k)	cJSON_GetObjectItemCaseSensitive(o, k)

/* The PLAN.md "Cost" section: head, a row per service object, tail. */
static void
md_head(struct rctx *c)
{
	struct strbuf *sb = &c->x->md_cost;

	(void)strbuf_puts(sb, "\n## Cost and waste (estimates)\n\n");
	(void)strbuf_printf(sb, "Monthly figures in USD for %.0f hours a "
	    "month. Fargate prices: `%s` (%s); EC2 on-demand prices: `%s` "
	    "(us-east-1 Linux); the spot figure assumes a %.0f%% discount "
	    "off on-demand (`--spot-discount`). All EC2 figures are "
	    "estimates from a packing model; see report.html and "
	    "report.json.\n\n", FARGATE_HOURS_MONTH, REPORT_PRICES_FILE,
	    c->prices->generated, CATALOG_FILE, c->spot_discount * 100);
	if (c->share_shown)
		(void)strbuf_puts(sb, "EC2 spot: each service's on-demand "
		    "share (column on-demand, see \"On-demand share\") at "
		    "on-demand prices, the rest at the spot discount.\n\n");
	(void)strbuf_printf(sb, "| service | tasks | containers reserve "
	    "(vCPU / MiB) | task size | Fargate bills | waste per task "
	    "(vCPU / GiB) | Fargate $/month | EC2 on-demand | EC2 spot |%s\n"
	    "|---|---:|---|---|---|---|---:|---:|---:|%s\n",
	    c->share_shown ? " on-demand |" : "",
	    c->share_shown ? "---:|" : "");
}

static void
md_row(struct rctx *c, const cJSON *s)
{
	struct strbuf *sb = &c->x->md_cost;
	const cJSON *w = O(s, "waste"), *e;
	const char *sel = opt_str(c->x->opt, "task-size");

	e = O(s, strcmp(sel, "containers") == 0 ? "ec2Containers" :
	    "ec2");
	(void)strbuf_printf(sb, "| %s | %.0f | %.4g / %.0f | %.4g / "
	    "%.0f | %.4g / %.0f%s | %.4g / %.4g | %.2f | %.2f | %.2f "
	    "|", json_str(s, "name"), N(s, "desired"),
	    N(O(s, "needed"), "vcpu"), N(O(s, "needed"), "memoryMiB"),
	    N(O(s, "taskSize"), "vcpu"),
	    N(O(s, "taskSize"), "memoryMiB"),
	    N(O(s, "billed"), "vcpu"), N(O(s, "billed"), "memoryMiB"),
	    N(s, "ephemeralBilledGiB") > 0 ? " + storage" : "",
	    N(w, "vcpuPerTask"), N(w, "gibPerTask"),
	    N(O(s, "fargate"), "monthly"), N(e, "monthlyOnDemand"),
	    N(e, "monthlySpot"));
	if (c->share_shown)
		(void)strbuf_printf(sb, " %.0f%% |",
		    N(s, "onDemandPercent"));
	(void)strbuf_puts(sb, "\n");
	strbuf_spill(sb, REPORT_SPILL);
}

static void
md_tail(struct rctx *c, const cJSON *rep)
{
	struct strbuf *sb = &c->x->md_cost;
	const cJSON *tot = O(rep, "totals"), *g, *in, *sc;

	(void)strbuf_printf(sb, "| **total** | | | | | %.4g vCPU / %.4g GiB "
	    "| **%.2f** | **%.2f** | **%.2f** |%s\n\n", N(tot, "wasteVcpu"),
	    N(tot, "wasteGiB"), N(tot, "fargateMonthly"),
	    N(tot, "oceanMonthlyOnDemand"), N(tot, "oceanMonthlySpot"),
	    c->share_shown ? " |" : "");
	(void)strbuf_printf(sb, "Savings per month: %.2f on-demand (%.1f%%), "
	    "%.2f with spot (%.1f%%).\n\n", N(tot, "savingsMonthlyOnDemand"),
	    N(tot, "savingsPctOnDemand"), N(tot, "savingsMonthlySpot"),
	    N(tot, "savingsPctSpot"));
	cJSON_ArrayForEach(sc, O(O(rep, "ocean"), "scenarios")) {
		(void)strbuf_printf(sb, "Packing with task size `%s`%s: ",
		    json_str(sc, "taskSize"),
		    cJSON_IsTrue(O(sc, "selected")) ? " (this bundle)" : "");
		cJSON_ArrayForEach(g, O(sc, "groups")) {
			(void)strbuf_printf(sb, "%s: ", json_str(g, "arch"));
			cJSON_ArrayForEach(in, O(g, "instances"))
				(void)strbuf_printf(sb, "%.0f x %s, ",
				    N(in, "count"), json_str(in, "type"));
			(void)strbuf_printf(sb, "utilization %.0f%% CPU / "
			    "%.0f%% memory; ",
			    N(g, "cpuUtilization") * 100,
			    N(g, "memoryUtilization") * 100);
		}
		(void)strbuf_printf(sb, "%.2f on-demand, %.2f spot per "
		    "month.\n\n", N(sc, "monthlyOnDemand"),
		    N(sc, "monthlySpot"));
	}
}
#undef N
#undef O

/*
 * report.json, report.html and the PLAN.md cost rows a service at a
 * time: rep holds all but the services (its "services" array empty);
 * each service's object is made, put in the three texts and freed, and
 * the texts spill to temporary files as they grow.
 */
static int
report_stream(struct rctx *c, const cJSON *rep, int sel)
{
	struct strbuf jb, hs;
	struct json_stream js;
	const char *ec2key = report_html_ec2key(rep);
	size_t i;
	int rc = -1;

	strbuf_init(&jb, SIZE_MAX / 2);	/* the bundle's limit applies */
	report_html_init(&hs);
	if (json_stream_open(&js, &jb, rep, "services") == -1)
		goto out;
	report_html_head(&hs, rep);
	md_head(c);
	for (i = 0; i < c->nsv; i++) {
		cJSON *o = svc_json(c, &c->sv[i], sel);

		json_stream_item(&js, o);
		report_html_svc(&hs, o, i, ec2key);
		md_row(c, o);
		cJSON_Delete(o);
		strbuf_spill(&jb, REPORT_SPILL);
		strbuf_spill(&hs, REPORT_SPILL);
	}
	json_stream_close(&js);
	report_html_tail(&hs, rep);
	md_tail(c, rep);
	if (bundle_add_strbuf(c->x->bundle, "report.json", &jb) == -1 ||
	    bundle_add_strbuf(c->x->bundle, "report.html", &hs) == -1)
		goto out;
	rc = 0;
out:
	strbuf_cleanup(&jb);
	strbuf_cleanup(&hs);
	return rc;
}

int
report_plan(struct xlate *x)
{
	struct rctx c;
	cJSON *rep = NULL, *a, *o, *src, *scen[REPORT_NSCEN] = { NULL, NULL };
	struct stot st[REPORT_NSCEN];
	size_t i;
	int sel, sc, rc = -1;
	double fm = 0, need_c = 0, need_m = 0, bill_c = 0, bill_m = 0, wc = 0,
	    wm = 0, d;

	memset(&c, 0, sizeof(c));
	c.x = x;
	c.region = opt_str(x->opt, "region") != NULL ?
	    opt_str(x->opt, "region") : x->ex->region;
	c.spot_discount = opt_num(x->opt, "spot-discount");
	c.share_shown = ocean_share_shown(x);
	sel = strcmp(opt_str(x->opt, "task-size"), "containers") == 0;
	if (report_cost_load(&c) == -1)
		goto out;
	report_cost_types(&c);
	c.sv = xcalloc(x->nmig + 1, sizeof(*c.sv));
	for (i = 0; i < x->nmig; i++) {
		if (x->mig[i]->td == NULL)
			continue;
		if (report_cost_svc(&c, &c.sv[c.nsv], x->mig[i]) == -1)
			goto out;
		c.nsv++;
	}
	for (sc = 0; sc < REPORT_NSCEN; sc++)
		if ((scen[sc] = report_cost_scenario(&c, sc, &st[sc])) == NULL)
			goto out;

	rep = cJSON_CreateObject();
	json_add_str(rep, "about", "Cost and waste estimate of moving these "
	    "services from Fargate to EC2 instances run by Spot Ocean. "
	    "Offline: prices come from the template files named below.");
	json_add_str(rep, "currency", c.prices->currency);
	json_add_num(rep, "hoursPerMonth", FARGATE_HOURS_MONTH);
	if (c.region != NULL)
		json_add_str(rep, "region", c.region);
	json_add_str(rep, "taskSize", report_scen_name[sel]);
	json_add_num(rep, "spotDiscount", r4(c.spot_discount));
	json_add_num(rep, "fargateSpotDiscount",
	    r4(c.prices->spot_discount));
	src = cJSON_AddObjectToObject(rep, "prices");
	o = cJSON_AddObjectToObject(src, "fargate");
	json_add_str(o, "file", REPORT_PRICES_FILE);
	json_add_str(o, "date", c.prices->generated);
	json_add_str(o, "source", "secondary sources listed in the file's "
	    "sourceIndex; the AWS pricing page was not read");
	o = cJSON_AddObjectToObject(src, "fargateSizes");
	json_add_str(o, "file", REPORT_SIZES_FILE);
	json_add_str(o, "date", c.sizes->generated);
	o = cJSON_AddObjectToObject(src, "ec2");
	json_add_str(o, "file", CATALOG_FILE);
	json_add_str(o, "date", c.cat->generated != NULL ? c.cat->generated :
	    "undated");
	json_add_str(o, "source", "Linux on-demand us-east-1 prices "
	    "(onDemandUsdPerHourUsEast1) as listed in the file");
	json_add_str(o, "region", "us-east-1");
	a = cJSON_AddArrayToObject(rep, "estimates");
	cJSON_AddItemToArray(a, cJSON_CreateString("Fargate costs: list "
	    "prices from the template file times the billed task size, "
	    "desired count and hours per month; FARGATE_SPOT tasks at the "
	    "file's planning discount (an assumption: real Fargate Spot "
	    "rates vary)."));
	cJSON_AddItemToArray(a, cJSON_CreateString("EC2 on-demand costs: "
	    "a packing model of the desired tasks onto the instance types "
	    "(the real scheduler and Ocean's autoscaler may differ; "
	    "headroom, scaling and daemon tasks are not counted)."));
	cJSON_AddItemToArray(a, cJSON_CreateString("EC2 spot costs: the "
	    "on-demand cost less the assumed spot discount (spotDiscount), "
	    "not a market price."));
	if (c.share_shown)
		cJSON_AddItemToArray(a, cJSON_CreateString("On-demand share: "
		    "each service's onDemandPercent of its EC2 cost stays at "
		    "on-demand prices in the spot figures (monthlySpot, "
		    "savingsSpot and the totals); the rest gets the spot "
		    "discount. The percent is the one the bundle keeps: "
		    "stated by a FARGATE + FARGATE_SPOT capacity provider "
		    "strategy at the exported desiredCount, or 100 - "
		    "--spot-percentage."));
	for (i = 0; i < REPORT_NARCH; i++)
		if (c.price_warned[i])
			cJSON_AddItemToArray(a, cJSON_CreateString(i == 0 ?
			    "Fargate x86_64 prices for this region are not "
			    "confirmed in the price file: see each service's "
			    "priceRegion and priceConfidence." :
			    "Fargate arm64 prices for this region are not "
			    "confirmed in the price file: see each service's "
			    "priceRegion and priceConfidence."));
	if (c.region == NULL || strcmp(c.region, "us-east-1") != 0)
		cJSON_AddItemToArray(a, cJSON_CreateString("EC2 prices are "
		    "us-east-1's; other regions usually cost more."));
	o = cJSON_AddObjectToObject(rep, "method");
	json_add_str(o, "packing", "Per architecture, the tasks (desired "
	    "count of each) sorted by CPU then memory, largest first; "
	    "first-fit decreasing onto instances of each candidate type "
	    "alone, and onto instances opened with the cheapest type that "
	    "holds the task; the cheapest result wins (ties: fewer "
	    "instances); then each instance is replaced by the cheapest "
	    "type that still holds its tasks.");
	json_add_str(o, "candidateTypes", c.from_bundle ? "the instance "
	    "types the bundle's Ocean requests name" : "no Ocean node group "
	    "in the bundle: every catalog type passing its selection rules");
	json_add_num(o, "osMemoryPercent", c.cat->os_memory_pct);
	json_add_num(o, "agentMemoryMiB", c.cat->agent_memory);
	json_add_num(o, "agentCpuUnits", c.cat->agent_cpu);
	json_add_str(o, "taskLimit", "awsvpc tasks per instance: the ECS "
	    "ENI trunking limit of the type (awsvpcTrunking on)");
	json_add_str(o, "costSplit", "an instance's cost is shared by its "
	    "tasks in proportion to (CPU share + memory share); idle "
	    "capacity is spread the same way");
	json_add_str(o, "fargateRounding", "the task-level size rounded up "
	    "to the valid Fargate combination with the least CPU, then the "
	    "least memory");
	/* Filled a service at a time by report_stream(). */
	(void)cJSON_AddArrayToObject(rep, "services");
	for (i = 0; i < c.nsv; i++) {
		const struct rsvc *r = &c.sv[i];

		d = (double)r->s->desired;
		/* The total is the sum of the cents shown per service. */
		fm += cents(r->fargate_month);
		need_c += d * r->need_cpu / 1024.0;
		need_m += d * r->need_mem / 1024.0;
		bill_c += d * r->bill_cpu / 1024.0;
		bill_m += d * r->bill_mem / 1024.0;
		if (r->bill_cpu > r->need_cpu)
			wc += d * (r->bill_cpu - r->need_cpu) / 1024.0;
		if (r->bill_mem > r->need_mem)
			wm += d * (r->bill_mem - r->need_mem) / 1024.0;
	}
	o = cJSON_AddObjectToObject(rep, "ocean");
	json_add_str(o, "selected", report_scen_name[sel]);
	a = cJSON_AddArrayToObject(o, "scenarios");
	for (sc = 0; sc < REPORT_NSCEN; sc++) {
		cJSON_AddItemToArray(a, scen[sc]);
		scen[sc] = NULL;
	}
	o = cJSON_AddObjectToObject(rep, "totals");
	json_add_num(o, "neededVcpu", r4(need_c));
	json_add_num(o, "neededGiB", r4(need_m));
	json_add_num(o, "billedVcpu", r4(bill_c));
	json_add_num(o, "billedGiB", r4(bill_m));
	json_add_num(o, "wasteVcpu", r4(wc));
	json_add_num(o, "wasteGiB", r4(wm));
	json_add_num(o, "fargateMonthly", cents(fm));
	json_add_num(o, "oceanInstances", (double)st[sel].instances);
	json_add_num(o, "oceanMonthlyOnDemand", cents(st[sel].od_month));
	json_add_num(o, "oceanMonthlySpot", cents(st[sel].spot_month));
	json_add_num(o, "savingsMonthlyOnDemand", cents(fm -
	    st[sel].od_month));
	json_add_num(o, "savingsMonthlySpot",
	    cents(fm - st[sel].spot_month));
	json_add_num(o, "savingsPctOnDemand", pct(fm - st[sel].od_month, fm));
	json_add_num(o, "savingsPctSpot", pct(fm - st[sel].spot_month, fm));
	json_add_num(o, "unplacedTasks", (double)st[sel].unplaced);

	if (report_stream(&c, rep, sel) == -1)
		goto out;
	rc = 0;
out:
	for (sc = 0; sc < REPORT_NSCEN; sc++)
		cJSON_Delete(scen[sc]);
	cJSON_Delete(rep);
	report_cost_cleanup(&c);
	return rc;
}
