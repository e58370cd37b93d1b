/*
 * report.html: one self-contained page (inline CSS, inline SVG, no script,
 * no network) rendered from the report.json object.
 */
/*
 * So the page and the JSON always show the same figures. Every string
 * from the input is escaped. The totals carry ids and data-value
 * attributes for tests.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonutil.h"
#include "log.h"
#include "report.h"
#include "strbuf.h"
#include "xalloc.h"

#define HTML_MAX	BUNDLE_MAX_FILE	/* report.html: one bundle file */
#define BAR_W		280.0	/* px of the longest bar */

#define O(o, k)	cJSON_GetObjectItemCaseSensitive(o, k)

static double
num(const cJSON *o, const char *k)
{
	const cJSON *v = O(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *
str(const cJSON *o, const char *k)
{
	const char *s = json_str(o, k);

	return s != NULL ? s : "";
}

int
report_html_escape(struct strbuf *sb, const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		int r;

		switch (*p) {
		case '&':
			r = strbuf_puts(sb, "&amp;");
			break;
		case '<':
			r = strbuf_puts(sb, "&lt;");
			break;
		case '>':
			r = strbuf_puts(sb, "&gt;");
			break;
		case '"':
			r = strbuf_puts(sb, "&quot;");
			break;
		case '\'':
			r = strbuf_puts(sb, "&#39;");
			break;
		default:
			r = strbuf_add(sb, p, 1);
			break;
		}
		if (r == -1)
			return -1;
	}
	return 0;
}

static void
esc(struct strbuf *sb, const char *s)
{
	(void)report_html_escape(sb, s);
}

/* "$1.50", "-$1.50" */
static void
money(struct strbuf *sb, double v)
{
	if (v < 0)
		(void)strbuf_printf(sb, "-$%.2f", -v);
	else
		(void)strbuf_printf(sb, "$%.2f", v);
}

/* A total: <dd id=ID data-value=V>$V</dd> with its label. */
static void
total(struct strbuf *sb, const char *id, const char *label, double v,
    const char *unit)
{
	(void)strbuf_puts(sb, "<div class=\"tot\"><dt>");
	esc(sb, label);
	(void)strbuf_printf(sb, "</dt><dd id=\"%s\" data-value=\"%.2f\"%s>",
	    id, v, strcmp(unit, "$") == 0 && v < 0 ? " class=\"neg\"" : "");
	if (strcmp(unit, "$") == 0)
		money(sb, v);
	else if (unit[0] == '\0')
		(void)strbuf_printf(sb, "%.0f", v);
	else if (strcmp(unit, "%") == 0)
		(void)strbuf_printf(sb, "%.1f%%", v);
	else
		(void)strbuf_printf(sb, "%.2f %s", v, unit);
	(void)strbuf_puts(sb, "</dd></div>\n");
}

/* One horizontal bar row of an SVG chart. */
static void
bar(struct strbuf *sb, double y, double v, double max, const char *cls,
    const char *label, const char *text)
{
	double w = max > 0 ? v / max * BAR_W : 0;

	if (w < 0)
		w = 0;
	/* Nine bars a service: the numbers without printf. */
	(void)strbuf_puts(sb, "<text x=\"0\" y=\"");
	(void)strbuf_dec1(sb, y + 13);
	(void)strbuf_puts(sb, "\" class=\"lbl\">");
	esc(sb, label);
	(void)strbuf_puts(sb, "</text><rect x=\"170\" y=\"");
	(void)strbuf_dec1(sb, y);
	(void)strbuf_puts(sb, "\" width=\"");
	(void)strbuf_dec1(sb, w);
	(void)strbuf_puts(sb, "\" height=\"16\" class=\"");
	(void)strbuf_puts(sb, cls);
	(void)strbuf_puts(sb, "\"/><text x=\"");
	(void)strbuf_dec1(sb, 176 + w);
	(void)strbuf_puts(sb, "\" y=\"");
	(void)strbuf_dec1(sb, y + 13);
	(void)strbuf_puts(sb, "\" class=\"val\">");
	esc(sb, text);
	(void)strbuf_puts(sb, "</text>\n");
}

static double
max3(double a, double b, double c)
{
	double m = a > b ? a : b;

	return m > c ? m : c;
}

static void
svc_chart(struct strbuf *sb, const cJSON *s, const char *ec2key)
{
	const cJSON *need = O(s, "needed"), *bill = O(s, "billed");
	const cJSON *f = O(s, "fargate"), *e = O(s, ec2key);
	const cJSON *et = O(e, "taskSize");
	double m;
	char t[64];

	(void)strbuf_puts(sb, "<svg class=\"chart\" width=\"540\" height=\""
	    "250\" viewBox=\"0 0 540 250\" role=\"img\" aria-label=\"needed "
	    "versus billed versus EC2\">\n<text x=\"0\" y=\"12\" class=\"hd\">"
	    "vCPU per task</text>\n");
	m = max3(num(need, "vcpu"), num(bill, "vcpu"), num(et, "vcpu"));
	(void)snprintf(t, sizeof(t), "%.3g vCPU", num(need, "vcpu"));
	bar(sb, 18, num(need, "vcpu"), m, "need", "containers need", t);
	(void)snprintf(t, sizeof(t), "%.3g vCPU", num(bill, "vcpu"));
	bar(sb, 38, num(bill, "vcpu"), m, "bill", "Fargate bills", t);
	(void)snprintf(t, sizeof(t), "%.3g vCPU", num(et, "vcpu"));
	bar(sb, 58, num(et, "vcpu"), m, "ec2", "EC2 task asks", t);
	(void)strbuf_puts(sb, "<text x=\"0\" y=\"92\" class=\"hd\">memory per "
	    "task</text>\n");
	m = max3(num(need, "gib"), num(bill, "gib"), num(et, "gib"));
	(void)snprintf(t, sizeof(t), "%.3g GiB", num(need, "gib"));
	bar(sb, 98, num(need, "gib"), m, "need", "containers need", t);
	(void)snprintf(t, sizeof(t), "%.3g GiB", num(bill, "gib"));
	bar(sb, 118, num(bill, "gib"), m, "bill", "Fargate bills", t);
	(void)snprintf(t, sizeof(t), "%.3g GiB", num(et, "gib"));
	bar(sb, 138, num(et, "gib"), m, "ec2", "EC2 task asks", t);
	(void)strbuf_puts(sb, "<text x=\"0\" y=\"172\" class=\"hd\">USD per "
	    "month, all tasks</text>\n");
	m = max3(num(f, "monthly"), num(e, "monthlyOnDemand"),
	    num(e, "monthlySpot"));
	(void)snprintf(t, sizeof(t), "$%.2f", num(f, "monthly"));
	bar(sb, 178, num(f, "monthly"), m, "bill", "Fargate", t);
	(void)snprintf(t, sizeof(t), "$%.2f", num(e, "monthlyOnDemand"));
	bar(sb, 198, num(e, "monthlyOnDemand"), m, "ec2", "EC2 share, "
	    "on-demand", t);
	(void)snprintf(t, sizeof(t), "$%.2f", num(e, "monthlySpot"));
	bar(sb, 218, num(e, "monthlySpot"), m, "spot", "EC2 share, spot", t);
	(void)strbuf_puts(sb, "</svg>\n");
}

const char *
report_html_ec2key(const cJSON *rep)
{
	return strcmp(str(rep, "taskSize"), "containers") == 0 ?
	    "ec2Containers" : "ec2";
}

void
report_html_svc(struct strbuf *sb, const cJSON *s, size_t i,
    const char *ec2key)
{
	const cJSON *c = O(s, "containers"), *w = O(s, "waste");
	const cJSON *f = O(s, "fargate"), *e = O(s, ec2key), *alt;

	(void)strbuf_printf(sb, "<section class=\"svc\" id=\"svc-%zu\" "
	    "data-service=\"", i);
	esc(sb, str(s, "name"));
	(void)strbuf_puts(sb, "\"><h3>");
	esc(sb, str(s, "name"));
	(void)strbuf_puts(sb, " <small>");
	esc(sb, str(s, "taskDefinition"));
	(void)strbuf_printf(sb, ", %s, %.0f tasks", str(s, "arch"),
	    num(s, "desired"));
	if (num(s, "fargateSpotShare") > 0)
		(void)strbuf_printf(sb, ", %.0f%% on FARGATE_SPOT",
		    num(s, "fargateSpotShare") * 100);
	if (O(s, "onDemandPercent") != NULL)
		(void)strbuf_printf(sb, ", %.0f%% on-demand on Ocean",
		    num(s, "onDemandPercent"));
	(void)strbuf_puts(sb, "</small></h3>\n<div class=\"row\">"
	    "<table>\n");
	(void)strbuf_printf(sb, "<tr><th>containers reserve</th><td>"
	    "%s%.0f CPU units, %.0f MiB (memoryReservation), %.0f MiB "
	    "hard limits</td></tr>\n", cJSON_IsTrue(O(c, "cpuSet")) ?
	    "" : "(none set) ", num(c, "cpu"),
	    num(c, "memoryReservationMiB"), num(c, "memoryMiB"));
	(void)strbuf_printf(sb, "<tr><th>needed per task</th><td>"
	    "%.4g vCPU, %.4g GiB</td></tr>\n", num(O(s, "needed"),
	    "vcpu"), num(O(s, "needed"), "gib"));
	(void)strbuf_printf(sb, "<tr><th>task size</th><td>%.4g vCPU, "
	    "%.4g GiB</td></tr>\n", num(O(s, "taskSize"), "vcpu"),
	    num(O(s, "taskSize"), "gib"));
	(void)strbuf_printf(sb, "<tr><th>Fargate bills</th><td>%.4g "
	    "vCPU, %.4g GiB%s</td></tr>\n", num(O(s, "billed"),
	    "vcpu"), num(O(s, "billed"), "gib"),
	    cJSON_IsTrue(O(s, "roundedUp")) ? " (rounded up)" : "");
	(void)strbuf_printf(sb, "<tr><th>ephemeral storage</th><td>"
	    "%.0f GiB, %.0f GiB billed above the free 20</td></tr>\n",
	    num(s, "ephemeralGiB"), num(s, "ephemeralBilledGiB"));
	(void)strbuf_printf(sb, "<tr><th>waste</th><td>%.4g vCPU, "
	    "%.4g GiB per task; %.4g vCPU, %.4g GiB in all</td></tr>\n",
	    num(w, "vcpuPerTask"), num(w, "gibPerTask"),
	    num(w, "vcpu"), num(w, "gib"));
	(void)strbuf_printf(sb, "<tr><th>Fargate</th><td class=\"fm\" "
	    "data-value=\"%.2f\">$%.2f / month</td></tr>\n",
	    num(f, "monthly"), num(f, "monthly"));
	(void)strbuf_printf(sb, "<tr><th>EC2 share (estimate)</th><td>"
	    "$%.2f on-demand, $%.2f spot / month</td></tr>\n",
	    num(e, "monthlyOnDemand"), num(e, "monthlySpot"));
	alt = O(s, strcmp(ec2key, "ec2") == 0 ? "ec2Containers" :
	    "ec2");
	(void)strbuf_printf(sb, "<tr><th>EC2 task size</th><td>%.4g "
	    "vCPU, %.4g GiB (%s); sized the other way: %.4g vCPU, "
	    "%.4g GiB, $%.2f on-demand / month</td></tr>\n",
	    num(O(e, "taskSize"), "vcpu"), num(O(e, "taskSize"), "gib"),
	    strcmp(ec2key, "ec2") == 0 ? "as on Fargate" :
	    "from the containers", num(O(alt, "taskSize"), "vcpu"),
	    num(O(alt, "taskSize"), "gib"),
	    num(alt, "monthlyOnDemand"));
	(void)strbuf_puts(sb, "<tr><th>savings</th><td>");
	money(sb, num(e, "savingsOnDemand"));
	(void)strbuf_puts(sb, " on-demand, ");
	money(sb, num(e, "savingsSpot"));
	(void)strbuf_puts(sb, " spot / month</td></tr>\n");
	if ((alt = O(s, "discoveryGap")) != NULL) {
		(void)strbuf_printf(sb, "<tr><th>discovery gap</th><td>"
		    "about %.0f s at cutover: callers lose ",
		    num(alt, "seconds"));
		esc(sb, str(alt, "discoveryNames"));
		(void)strbuf_puts(sb, " (Service Connect)</td></tr>\n");
	}
	(void)strbuf_puts(sb, "</table>\n");
	svc_chart(sb, s, ec2key);
	(void)strbuf_puts(sb, "</div></section>\n");
}

static void
packing(struct strbuf *sb, const cJSON *rep)
{
	const cJSON *sc, *g, *in;

	(void)strbuf_puts(sb, "<h2>Ocean: instances for the tasks "
	    "(estimate)</h2>\n");
	cJSON_ArrayForEach(sc, O(O(rep, "ocean"), "scenarios")) {
		(void)strbuf_printf(sb, "<section class=\"scen%s\" data-task-"
		    "size=\"", cJSON_IsTrue(O(sc, "selected")) ? " sel" : "");
		esc(sb, str(sc, "taskSize"));
		(void)strbuf_puts(sb, "\"><h3>Task size: ");
		esc(sb, str(sc, "taskSize"));
		(void)strbuf_printf(sb, "%s</h3>\n<p>%.0f instances, %.0f tasks"
		    "%s; $%.2f on-demand, $%.2f spot per month.</p>\n",
		    cJSON_IsTrue(O(sc, "selected")) ? " (this bundle)" :
		    " (alternative)", num(sc, "instanceCount"),
		    num(sc, "tasks"), num(sc, "unplacedTasks") > 0 ?
		    ", some tasks fit no type" : "",
		    num(sc, "monthlyOnDemand"), num(sc, "monthlySpot"));
		(void)strbuf_puts(sb, "<p>Candidate instance types: ");
		cJSON_ArrayForEach(g, O(sc, "groups"))
			(void)strbuf_printf(sb, "%s%d %s", g == O(sc,
			    "groups")->child ? "" : ", ",
			    cJSON_GetArraySize(O(g, "candidateTypes")),
			    strcmp(str(g, "arch"), "arm64") == 0 ? "arm64" :
			    "x86_64");
		(void)strbuf_puts(sb, " (listed in report.json).</p>\n");
		(void)strbuf_puts(sb, "<table class=\"mix\"><tr><th>arch</th>"
		    "<th>type</th><th>count</th><th>usable vCPU / MiB</th>"
		    "<th>task limit</th><th>$/hour</th><th>$/month "
		    "on-demand</th></tr>\n");
		cJSON_ArrayForEach(g, O(sc, "groups")) {
			cJSON_ArrayForEach(in, O(g, "instances")) {
				(void)strbuf_puts(sb, "<tr><td>");
				esc(sb, str(g, "arch"));
				(void)strbuf_puts(sb, "</td><td>");
				esc(sb, str(in, "type"));
				(void)strbuf_printf(sb, "</td><td>%.0f</td><td>"
				    "%.4g / %.0f</td><td>%.0f</td><td>%.4f"
				    "</td><td>%.2f</td></tr>\n",
				    num(in, "count"),
				    num(in, "vcpuRegistered"),
				    num(in, "memoryMiBUsable"),
				    num(in, "maxTasks"),
				    num(in, "onDemandHour"),
				    num(in, "monthlyOnDemand"));
			}
			(void)strbuf_puts(sb, "<tr class=\"util\"><td>");
			esc(sb, str(g, "arch"));
			(void)strbuf_printf(sb, "</td><td colspan=\"6\">"
			    "utilization: CPU <span class=\"meter\"><span "
			    "style=\"width:%.0f%%\"></span></span> %.1f%%, "
			    "memory <span class=\"meter\"><span style=\""
			    "width:%.0f%%\"></span></span> %.1f%%</td></tr>\n",
			    num(g, "cpuUtilization") * 100,
			    num(g, "cpuUtilization") * 100,
			    num(g, "memoryUtilization") * 100,
			    num(g, "memoryUtilization") * 100);
		}
		(void)strbuf_puts(sb, "</table></section>\n");
	}
}

static const char css[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:24px auto;max-width:1100px;color:#1d2330;padding:0 16px}"
	"h1{font-size:26px;margin:0 0 4px}h2{margin-top:32px;border-bottom:"
	"2px solid #dde3ec;padding-bottom:4px}h3 small{font-weight:normal;"
	"color:#5a6475;font-size:13px}.meta{color:#5a6475}"
	"dl.totals{display:grid;grid-template-columns:repeat(3,1fr);gap:12px;"
	"margin:16px 0}.tot{background:#f3f6fb;border-radius:8px;padding:"
	"10px 14px}.tot dt{font-size:13px;color:#5a6475}.tot dd{margin:0;"
	"font-size:22px;font-weight:600}.tot dd.neg{color:#b3261e}"
	"table{border-collapse:collapse;font-size:14px}td,th{padding:3px 8px;"
	"text-align:left;border-bottom:1px solid #e6e9ef;vertical-align:top}"
	"th{color:#3b4454;font-weight:600}.row{display:flex;gap:18px;"
	"flex-wrap:wrap;align-items:flex-start}section.svc{margin-bottom:18px}"
	"svg .lbl{font-size:12px;fill:#3b4454}svg .val{font-size:12px;"
	"fill:#1d2330}svg .hd{font-size:12px;font-weight:600;fill:#1d2330}"
	".need{fill:#4c8bf5}.bill{fill:#e8710a}.ec2{fill:#7b61c9}"
	".spot{fill:#1e8e3e}.legend span{display:inline-block;margin-right:"
	"14px}.legend i{display:inline-block;width:12px;height:12px;"
	"margin-right:4px;vertical-align:-1px}.meter{display:inline-block;"
	"width:120px;height:10px;background:#e6e9ef;border-radius:5px;"
	"vertical-align:middle}.meter span{display:block;height:10px;"
	"background:#4c8bf5;border-radius:5px}section.scen{opacity:.75}"
	"section.scen.sel{opacity:1}ul.notes{color:#3b4454;font-size:14px}"
	"code{background:#f3f6fb;padding:0 3px}";

void
report_html_head(struct strbuf *sb, const cJSON *rep)
{
	const cJSON *t = O(rep, "totals");
	char txt[160];
	double mx;

	(void)strbuf_printf(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>f2o cost report</title>"
	    "<style>%s</style></head>\n<body>\n", css);
	(void)strbuf_puts(sb, "<h1>Fargate to Ocean: cost and waste</h1>\n"
	    "<p class=\"meta\">Region ");
	esc(sb, str(rep, "region")[0] != '\0' ? str(rep, "region") :
	    "unknown");
	(void)strbuf_printf(sb, ", %.0f hours per month, EC2 task size "
	    "<b>", num(rep, "hoursPerMonth"));
	esc(sb, str(rep, "taskSize"));
	(void)strbuf_printf(sb, "</b>, assumed spot discount <b id=\"spot-"
	    "discount\" data-value=\"%.4f\">%.0f%%</b>, FARGATE_SPOT at "
	    "%.0f%% off. Every figure is monthly ", num(rep, "spotDiscount"),
	    num(rep, "spotDiscount") * 100, num(rep, "fargateSpotDiscount") *
	    100);
	esc(sb, str(rep, "currency"));
	(void)strbuf_puts(sb, "; the EC2 figures are estimates.</p>\n");

	(void)strbuf_puts(sb, "<h2>Totals</h2>\n<dl class=\"totals\" "
	    "id=\"totals\">\n");
	total(sb, "total-fargate-monthly", "Fargate now, per month",
	    num(t, "fargateMonthly"), "$");
	total(sb, "total-ocean-ondemand", "Ocean, on-demand (estimate)",
	    num(t, "oceanMonthlyOnDemand"), "$");
	total(sb, "total-ocean-spot", "Ocean, spot (estimate)",
	    num(t, "oceanMonthlySpot"), "$");
	total(sb, "total-savings-ondemand", "Savings, on-demand",
	    num(t, "savingsMonthlyOnDemand"), "$");
	total(sb, "total-savings-spot", "Savings, spot",
	    num(t, "savingsMonthlySpot"), "$");
	total(sb, "total-savings-pct-spot", "Savings with spot",
	    num(t, "savingsPctSpot"), "%");
	total(sb, "total-waste-vcpu", "Fargate waste (billed - needed)",
	    num(t, "wasteVcpu"), "vCPU");
	total(sb, "total-waste-gib", "Fargate waste (billed - needed)",
	    num(t, "wasteGiB"), "GiB");
	total(sb, "total-instances", "Ocean instances (estimate)",
	    num(t, "oceanInstances"), "");
	(void)strbuf_puts(sb, "</dl>\n");

	mx = max3(num(t, "fargateMonthly"), num(t, "oceanMonthlyOnDemand"),
	    num(t, "oceanMonthlySpot"));
	(void)strbuf_puts(sb, "<svg class=\"chart\" id=\"totals-chart\" "
	    "width=\"540\" height=\"70\" viewBox=\"0 0 540 70\" role=\"img\" "
	    "aria-label=\"monthly totals\">\n");
	(void)snprintf(txt, sizeof(txt), "$%.2f", num(t, "fargateMonthly"));
	bar(sb, 0, num(t, "fargateMonthly"), mx, "bill", "Fargate", txt);
	(void)snprintf(txt, sizeof(txt), "$%.2f",
	    num(t, "oceanMonthlyOnDemand"));
	bar(sb, 22, num(t, "oceanMonthlyOnDemand"), mx, "ec2",
	    "Ocean on-demand", txt);
	(void)snprintf(txt, sizeof(txt), "$%.2f", num(t, "oceanMonthlySpot"));
	bar(sb, 44, num(t, "oceanMonthlySpot"), mx, "spot", "Ocean spot",
	    txt);
	(void)strbuf_puts(sb, "</svg>\n<p class=\"legend\"><span><i class="
	    "\"need\" style=\"background:#4c8bf5\"></i>containers need</span>"
	    "<span><i style=\"background:#e8710a\"></i>Fargate bills</span>"
	    "<span><i style=\"background:#7b61c9\"></i>EC2 (on-demand)</span>"
	    "<span><i style=\"background:#1e8e3e\"></i>EC2 (spot)</span>"
	    "</p>\n");

	(void)strbuf_puts(sb, "<h2>Per service</h2>\n");
}

void
report_html_tail(struct strbuf *sb, const cJSON *rep)
{
	const cJSON *p = O(rep, "prices"), *e, *m;

	packing(sb, rep);

	(void)strbuf_puts(sb, "<h2>Prices, sources and method</h2>\n<ul "
	    "class=\"notes\">\n");
	cJSON_ArrayForEach(e, p) {
		(void)strbuf_puts(sb, "<li><b>");
		esc(sb, e->string != NULL ? e->string : "");
		(void)strbuf_puts(sb, "</b>: <code>");
		esc(sb, str(e, "file"));
		(void)strbuf_puts(sb, "</code> dated ");
		esc(sb, str(e, "date"));
		if (json_str(e, "source") != NULL) {
			(void)strbuf_puts(sb, "; ");
			esc(sb, str(e, "source"));
		}
		(void)strbuf_puts(sb, ". Replace it in a --templates "
		    "directory with current prices.</li>\n");
	}
	cJSON_ArrayForEach(e, O(rep, "estimates")) {
		(void)strbuf_puts(sb, "<li>");
		esc(sb, cJSON_IsString(e) ? e->valuestring : "");
		(void)strbuf_puts(sb, "</li>\n");
	}
	m = O(rep, "method");
	cJSON_ArrayForEach(e, m) {
		(void)strbuf_puts(sb, "<li><b>");
		esc(sb, e->string != NULL ? e->string : "");
		(void)strbuf_puts(sb, "</b>: ");
		if (cJSON_IsString(e))
			esc(sb, e->valuestring);
		else if (cJSON_IsNumber(e))
			(void)strbuf_printf(sb, "%.0f", e->valuedouble);
		(void)strbuf_puts(sb, "</li>\n");
	}
	(void)strbuf_puts(sb, "</ul>\n</body></html>\n");
}

void
report_html_init(struct strbuf *sb)
{
	strbuf_init(sb, HTML_MAX);
}

char *
report_html(const cJSON *rep, size_t *len)
{
	struct strbuf sb;
	const cJSON *s;
	size_t i = 0;

	report_html_init(&sb);
	report_html_head(&sb, rep);
	cJSON_ArrayForEach(s, O(rep, "services"))
		report_html_svc(&sb, s, i++, report_html_ec2key(rep));
	report_html_tail(&sb, rep);
	if (sb.full) {
		/* never a cut report: it would misstate the totals */
		log_errx("report.html: over %lu MiB", HTML_MAX >> 20);
		strbuf_cleanup(&sb);
		return NULL;
	}
	return strbuf_take(&sb, len);
}
