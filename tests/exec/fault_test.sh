#!/bin/sh
# Fault test: the peers answer a seeded share of all requests (ECS, EC2,
# Spot) with throttling, 500, 503, added latency or a dropped connection.
# One f2o-exec run of the demo bundle's import phase (--parallel 4) must
# finish with exit 0, every step done with exactly one INTENT in the
# journal (no step re-run), the same final state as a run without faults,
# nothing created twice, and retries seen. A second case drops only
# creates (POST/CreateX): each needs a look-up before it is sent again.
# Ends with "N passed, N failed". Usage: sh tests/exec/fault_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc

F2O_EXEC_ARGS="--poll-interval 0.2 --max-attempts 10 --rate-limit ecs=20/20 --rate-limit ec2=20/20 --rate-limit spot=20/20 --json"
export F2O_EXEC_ARGS
# retry backoff of 50 ms doubling up to 1 s (F2O_EXEC_BACKOFF_MS), not 1 s
# to 20 s: the same retries, without seconds of sleep (Spot's
# X-RateLimit-Reset of 1 s is still waited for)
BACKOFF_MS=50,1000

if "$T" --quiet --config fixtures/demo/f2o.json fixtures/demo/services.json \
    fixtures/demo/taskdefs fixtures/demo/security-groups.json \
    -o "$tmp/bundle" >"$tmp/translate.out" 2>&1; then
	ok "translate demo"
else
	bad "translate demo"; cat "$tmp/translate.out"
	echo "$pass passed, $fail failed"; exit 1
fi

start_peer ref || bad "reference peer"
if run_exec "$tmp/ref.log"; then ok "run without faults exits 0"; else bad "run without faults exits $?"; fi
state "$tmp/ref.json"
stop_peer

status_json() { # out
	env -i PATH="$PATH" HOME="$tmp/home" "$E" --json status "$tmp/bundle" >"$1" 2>&1
}

one_case() { # name faults
	name=$1
	rm -f "$tmp/bundle.journal"
	start_peer "$name" --faults "$2" || echo "FAIL $name: peer"
	if run_exec "$tmp/$name.log"; then
		echo "ok   $name: one run exits 0"
	else
		echo "FAIL $name: run exits $?"; tail -n 30 "$tmp/$name.log" | sed 's/^/    /'
	fi
	state "$tmp/$name.json"
	stop_peer
	$PY tests/exec/state_equal.py "$tmp/ref.json" "$tmp/$name.json" "$name: " 2>&1
	status_json "$tmp/$name.status"
	$PY - "$tmp/$name.status" "$tmp/$name.json" "$tmp/$name.log" "$name" <<'EOF'
import json, sys
st = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
steps = [e for e in st if e.get("event") == "status" and e["phase"] == "import"]
state = json.load(open(sys.argv[2]))
ev = [json.loads(l) for l in open(sys.argv[3]) if l.startswith("{")]
name = sys.argv[4]
def check(label, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + "%s: %s %s" % (name, label, detail))
notdone = [e["id"] for e in steps if e["state"] != "done"]
check("every import step done (%d)" % len(steps), steps and not notdone, notdone)
again = [(e["id"], e["attempts"]) for e in steps if e["attempts"] != 1]
check("every step done exactly once (one INTENT each)", not again, again)
faults = state["requests"]["faults"]
check("faults injected: %s" % json.dumps(faults, sort_keys=True), sum(faults.values()) > 0)
retries = [e for e in ev if e.get("event") == "retry"]
done = [e for e in ev if e.get("event") == "done"]
codes = {}
for e in retries:
    codes[e["code"]] = codes.get(e["code"], 0) + 1
check("retries seen: %d %s" % (len(retries), json.dumps(codes, sort_keys=True)),
      len(retries) > 0 or faults.get("drop", 0) + faults.get("latency", 0) == sum(faults.values()))
print("%s: %d requests at the peer, %d faulted; f2o-exec: %s" % (
    name, state["requests"]["total"], sum(faults.values()),
    json.dumps(done[-1] if done else {}, sort_keys=True)))
EOF
} >"$tmp/case.out" 2>&1

one_case mixed "seed=11,rate=0.3,kinds=throttle+500+503+latency+drop,latency=0.3,reset=1"
tally "$tmp/case.out"
one_case dropcreates "seed=5,rate=0.3,kinds=drop+500,ops=CreateSecurityGroup+CreateService+RegisterTaskDefinition+CreateOceanCluster+CreateOceanLaunchSpec"
tally "$tmp/case.out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
