#!/bin/sh
# report.html in headless Chromium: the totals it displays equal those in
# report.json, the page is self-contained, the output is deterministic, and
# a screenshot of the demo report is kept in $BUILD/artifacts/.
# Prints SKIP (and passes) only when chromium is not installed.
# Usage (from the repo root): sh tests/report/check_report.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
T=$BUILD/f2o-translate
pass=0
fail=0
ok() { echo "ok $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1"; fail=$((fail + 1)); }

CHROME=""
for c in chromium chromium-browser google-chrome; do
	if command -v "$c" >/dev/null 2>&1; then CHROME=$c; break; fi
done
if [ -z "$CHROME" ]; then
	echo "SKIP: chromium not installed (apt-get install -y chromium)"
	echo "0 passed, 0 failed"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cfg=""
[ -f fixtures/demo/f2o.json ] && cfg="--config fixtures/demo/f2o.json"

run() { # out-dir extra-args...
	out=$1; shift
	# shellcheck disable=SC2086
	"$T" fixtures/demo/services.json fixtures/demo/taskdefs \
	    fixtures/demo/security-groups.json $cfg --quiet "$@" -o "$out" >"$tmp/log" 2>&1
}
chrome() { # args...
	"$CHROME" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --no-first-run --user-data-dir="$(mktemp -d "$tmp/prof.XXXXXX")" \
	    --host-resolver-rules="MAP * ~NOTFOUND" "$@" 2>>"$tmp/chrome.log"
}

for mode in fargate containers; do
	b=$tmp/b-$mode
	if ! run "$b" --task-size "$mode"; then
		ko "translate demo ($mode)"; cat "$tmp/log"; continue
	fi
	ok "translate demo ($mode)"
	if [ -f "$b/report.json" ] && [ -f "$b/report.html" ]; then
		ok "report.json and report.html in the bundle ($mode)"
	else
		ko "report.json and report.html in the bundle ($mode)"; continue
	fi
	# Same input, same bytes.
	if run "$tmp/again" --task-size "$mode" &&
	    cmp -s "$b/report.json" "$tmp/again/report.json" &&
	    cmp -s "$b/report.html" "$tmp/again/report.html"; then
		ok "deterministic ($mode)"
	else
		ko "deterministic ($mode)"
	fi
	rm -rf "$tmp/again"
	chrome --dump-dom "file://$(cd "$b" && pwd)/report.html" \
	    >"$tmp/dom-$mode.html"
	if "$PY" - "$b/report.json" "$tmp/dom-$mode.html" "$b/report.html" \
	    "$mode" <<'PYEOF'
import json, re, sys
from html.parser import HTMLParser

rep = json.load(open(sys.argv[1]))
dom = open(sys.argv[2], encoding="utf-8").read()
raw = open(sys.argv[3], encoding="utf-8").read()
mode = sys.argv[4]
t = rep["totals"]
want = {
    "total-fargate-monthly": ("fargateMonthly", "$"),
    "total-ocean-ondemand": ("oceanMonthlyOnDemand", "$"),
    "total-ocean-spot": ("oceanMonthlySpot", "$"),
    "total-savings-ondemand": ("savingsMonthlyOnDemand", "$"),
    "total-savings-spot": ("savingsMonthlySpot", "$"),
    "total-savings-pct-spot": ("savingsPctSpot", "%"),
    "total-waste-vcpu": ("wasteVcpu", "vCPU"),
    "total-waste-gib": ("wasteGiB", "GiB"),
    "total-instances": ("oceanInstances", ""),
}

class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cur = None
        self.found = {}
        self.svc = []
        self.fm = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id") in want:
            self.cur = a["id"]
            self.found[self.cur] = [a.get("data-value"), ""]
        if "class" in a and a["class"] == "fm":
            self.fm = [a.get("data-value"), ""]
            self.svc.append(self.fm)
    def handle_endtag(self, tag):
        if tag == "dd":
            self.cur = None
        if tag == "td":
            self.fm = None
    def handle_data(self, d):
        if self.cur:
            self.found[self.cur][1] += d
        if self.fm is not None:
            self.fm[1] += d

p = P()
p.feed(dom)
bad = 0
for id_, (key, unit) in want.items():
    v = t[key]
    if id_ not in p.found:
        print("missing #%s in the rendered page" % id_); bad += 1; continue
    dv, text = p.found[id_]
    if unit == "$":
        exp = ("-$%.2f" % -v) if v < 0 else ("$%.2f" % v)
    elif unit == "%":
        exp = "%.1f%%" % v
    elif unit == "":
        exp = "%.0f" % v
    else:
        exp = "%.2f %s" % (v, unit)
    if dv is None or abs(float(dv) - v) > 0.005 or text.strip() != exp:
        print("#%s shows %r (data-value %r), report.json %s = %r" %
              (id_, text, dv, key, v)); bad += 1
# Per-service Fargate figures, in order.
fj = [s["fargate"]["monthly"] for s in rep["services"]]
fh = [float(dv) for dv, _ in p.svc]
if len(fj) != len(fh) or any(abs(a - b) > 0.005 for a, b in zip(fj, fh)):
    print("per-service Fargate figures differ: page %r, json %r" % (fh, fj)); bad += 1
# Totals add up.
s = round(sum(fj), 2)
if abs(s - t["fargateMonthly"]) > 0.011 * max(1, len(fj)):
    print("services sum %r != total %r" % (s, t["fargateMonthly"])); bad += 1
sel = [x for x in rep["ocean"]["scenarios"] if x["selected"]]
if len(sel) != 1 or sel[0]["taskSize"] != mode or \
        abs(sel[0]["monthlyOnDemand"] - t["oceanMonthlyOnDemand"]) > 0.005:
    print("selected scenario does not match the totals"); bad += 1
# Self-contained: no scripts, no external resources.
for pat in (r"<script", r"<link", r"\bsrc\s*=", r"https?://[^\s\"<]*\.(css|js|png|svg|woff)",
            r"@import", r"url\("):
    if re.search(pat, raw, re.I):
        print("report.html is not self-contained: /%s/" % pat); bad += 1
if "<svg" not in dom:
    print("no SVG chart in the page"); bad += 1
print("rendered totals:", {k: v[1].strip() for k, v in p.found.items()})
sys.exit(1 if bad else 0)
PYEOF
	then
		ok "rendered totals equal report.json ($mode)"
	else
		ko "rendered totals equal report.json ($mode)"
	fi
done

mkdir -p "$BUILD/artifacts"
png=$BUILD/artifacts/report-demo.png
rm -f "$png"
chrome --screenshot="$(pwd)/$png" --window-size=1200,2000 \
    "file://$(cd "$tmp/b-fargate" 2>/dev/null && pwd)/report.html" \
    >/dev/null
if [ -s "$png" ] && head -c 8 "$png" | od -An -c | grep -q 'P   N   G'; then
	ok "screenshot $png"
else
	ko "screenshot $png"; tail -n 20 "$tmp/chrome.log"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
