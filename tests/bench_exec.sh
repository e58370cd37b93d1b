#!/bin/sh
# make bench (f2o-exec part): replay the import phase of a synthetic
# BENCH_EXEC_SERVICES-service bundle (default 200; tests/bench/gen_export.py,
# translated with the demo config) against tests/peers/peer.py with
# BENCH_EXEC_LATENCY seconds added to every request (default 0.05), at
# --parallel 1 and at the default parallelism. Prints the wall times and
# their ratio to a lower bound: the larger of
#   - per token bucket, (requests - burst) / rate under the buckets used
#     here. In the ECS read bucket, the live/ reads and the waits (each at
#     least one DescribeServices poll) share calls of up to 10 services
#     (exec/svcpoll.c): ceil(reads / 10) + ceil(waits / 10) calls at least;
#     and
#   - the dependency chain: the longest path of "after", each request
#     costing the latency and each wait max(latency, the peer's time to
#     stability).
# Figures only: nothing here passes or fails on speed.
set -eu
BUILD=${BUILD:-build}
N=${BENCH_EXEC_SERVICES:-200}
LAT=${BENCH_EXEC_LATENCY:-0.05}
STABLE=0.2
POLL=0.2
RATES="--rate-limit ecs=20/20 --rate-limit ecs-read=20/20 --rate-limit ec2=20/20 --rate-limit spot=10/10"
PY=/usr/bin/python3
dir=$BUILD/bench/exec-$N
mkdir -p "$dir"
if [ ! -f "$dir/export/security-groups.json" ]; then
	rm -rf "$dir/export"
	$PY tests/bench/gen_export.py "$dir/export" "$N"
fi
rm -rf "$dir/bundle" "$dir/bundle.journal"
"$BUILD/f2o-translate" --quiet --config fixtures/demo/f2o.json \
    --ecs-cluster big "$dir/export" -o "$dir/bundle" >/dev/null

AK=AKIAF2OTESTKEY000001
SK=f2o/test/secret/key/not/a/real/one/0000
ST=f2o-test-spot-token
SA=act-f2o00001
peer_pid=""
trap 'if [ -n "$peer_pid" ]; then kill "$peer_pid" 2>/dev/null; fi' EXIT

one() { # name [f2o-exec options] -> prints seconds and exit code
	name=$1; shift
	rm -f "$dir/ports" "$dir/bundle.journal"
	$PY tests/peers/peer.py --port-file "$dir/ports" --seed "$dir/export" \
	    --state "$dir/state.$name.json" \
	    --access-key "$AK" --secret "$SK" --spot-token "$ST" \
	    --spot-account "$SA" --stable-seconds "$STABLE" --max-seconds 1800 \
	    --faults "seed=1,rate=1,kinds=latency,latency=$LAT" 2>"$dir/peer.err" &
	peer_pid=$!
	i=0
	while [ ! -s "$dir/ports" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	aws=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["aws"])' "$dir/ports")
	spot=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["spot"])' "$dir/ports")
	mkdir -p "$dir/home"
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$dir/home" AWS_ENDPOINT_URL="$aws" \
	    SPOTINST_BASE_URL="$spot" AWS_ACCESS_KEY_ID="$AK" \
	    AWS_SECRET_ACCESS_KEY="$SK" AWS_REGION=us-east-1 \
	    SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$BUILD/f2o-exec" --json --poll-interval "$POLL" $RATES "$@" \
	    run "$dir/bundle" >"$dir/run.log" 2>&1 || {
		echo "f2o-exec failed:" >&2; tail -5 "$dir/run.log" >&2; }
	kill "$peer_pid"; wait "$peer_pid" 2>/dev/null || true
	peer_pid=""
	$PY -c '
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"event\":\"done\"")][-1]
print(d["seconds"], d["exit"])' "$dir/run.log"
}

read -r t1 rc1 <<EOF
$(one p1 --parallel 1)
EOF
read -r td rcd <<EOF
$(one pd)
EOF

$PY - "$dir/bundle/plan.json" "$LAT" "$STABLE" "$t1" "$td" "$rc1" "$rcd" "$N" "$dir/state.pd.json" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
lat, stable = float(sys.argv[2]), float(sys.argv[3])
t1, td = float(sys.argv[4]), float(sys.argv[5])
rates = {"ecs": (20.0, 20), "ecs-read": (20.0, 20), "ec2": (20.0, 20),
         "spot": (10.0, 10)}
steps = [s for s in plan["steps"] if s["phase"] == "import"]
n = {"ecs": 0, "ecs-read": 0, "ec2": 0, "spot": 0}
shared = {"reads": 0, "waits": 0}  # DescribeServices: 10 services per call
cost, finish = {}, {}
for s in steps:
    api, op = s["action"].split(":", 1)
    c = max(lat, stable) if api == "wait" else lat
    finish[s["id"]] = c + max([finish.get(a, 0.0) for a in s["after"]] or [0.0])
    # f2o-exec's ECS Describe*/List* (the live/ reads, the waits' polls)
    # take tokens of the ecs-read bucket, not of ecs
    if s["action"] in ("wait:ServicesStable", "wait:ServicesInactive"):
        shared["waits"] += 1
        continue
    if s["action"] == "ecs:DescribeServices":
        shared["reads"] += 1
        continue
    if api == "wait" or (api == "ecs" and op.startswith(("Describe", "List"))):
        api = "ecs-read"
    n[api] += 1
n["ecs-read"] += -(-shared["reads"] // 10) + -(-shared["waits"] // 10)
rate_bound = {k: max(0.0, (n[k] - rates[k][1]) / rates[k][0]) for k in n}
chain = max(finish.values())
bound = max(list(rate_bound.values()) + [chain])
print("f2o-exec bench: %s services, %d import steps, requests at least %s"
      " (%d live reads and %d waits in DescribeServices calls of 10)"
      % (sys.argv[8], len(steps), json.dumps(n, sort_keys=True),
         shared["reads"], shared["waits"]))
print("  token buckets: ecs 20/s burst 20, ecs-read (polls) 20/s burst 20, ec2 20/s burst 20, spot 10/s burst 10;"
      " peer latency %.3f s per request, %.1f s to stability" % (lat, stable))
print("  lower bound: %.1f s (rate: %s; dependency chain: %.2f s)" % (
    bound, ", ".join("%s %.1f s" % (k, v) for k, v in sorted(rate_bound.items())),
    chain))
print("  --parallel 1: %.1f s wall (exit %s), %.2f x the bound" % (t1, sys.argv[6], t1 / bound))
print("  --parallel 4 (default): %.1f s wall (exit %s), %.2f x the bound" % (td, sys.argv[7], td / bound))
# What the peer saw in the default run: the read bucket also carries every
# poll after the first of each wait and the adoption look-ups, which the
# bound does not count.
try:
    st = json.load(open(sys.argv[9]))["requests"]
    ops = st.get("byOperation", {})
    reads = sum(v for k, v in ops.items() if k.startswith("ecs:") and
                k.split(":")[1].startswith(("Describe", "List")))
    writes = sum(v for k, v in ops.items() if k.startswith("ecs:")) - reads
    print("  default run at the peer: %d ECS writes, %d ECS reads (%d "
          "DescribeServices), %d requests in all: the ecs-read bucket alone "
          "needs %.1f s" % (writes, reads, ops.get("ecs:DescribeServices", 0),
                            st["total"], max(0.0, (reads - rates["ecs-read"][1])
                                             / rates["ecs-read"][0])))
except (OSError, ValueError, KeyError) as e:
    print("  (no peer state: %s)" % e)
EOF
