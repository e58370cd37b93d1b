#!/bin/sh
# shellcheck disable=SC2086  # PEER_OPTS is split on purpose
# Rollback after a failed cutover (issue 13, items 1, 8 and 9), against
# peers with --ocean-instances (Ocean launches EC2 instances registered as
# ECS container instances; they use f2o's security group).
#   A. The EC2 service "web" fails its deployment in the cutover (fault
#      rollback=web, fail_reason=pull): the cutover fails at
#      cut/web:stable and prints, on stderr and as --json events, web's
#      last events and the CannotPullContainerError of its stopped tasks.
#      `f2o-exec rollback` then ends in the exported state: every original
#      service back on Fargate, with its exported task definition and
#      desired count, stable, no traffic gap; nothing of f2o's left: the
#      node groups deleted with deleteContainerInstances=true (peer log),
#      no instance running, no container instance, the security group,
#      Ocean cluster and task definition revisions gone.
#   B. The same failing cutover killed (SIGKILL, at the INTENT of each
#      step kind of web's chain: copy-stable ... stable) and then rolled
#      back: the same end, no CreateService refused.
# The fault is cleared before each rollback (its Fargate re-creation of
# web would fail too); a kill after cut/web:create first waits until the
# peer failed web's deployment, so the rollback meets the FAILED rollout.
# Ends with "N passed, N failed". Usage: sh tests/exec/rollback_fail_test.sh
# Environment: BUILD, F2O_EXEC_ARGS (default --parallel 4), KILL_JOBS (3).
BUILD=${BUILD:-build}
PY=/usr/bin/python3
F2O_EXEC_ARGS=${F2O_EXEC_ARGS---parallel 4}
KJ=${KILL_JOBS:-3}
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/phaselib.inc
. tests/exec/jobs.inc
need_phases
translate_demo
B="$tmp/bundle.orig"
# tasks stop faster than they start: a copy scaled down too early shows
# as a gap
# as a gap; instances Spot terminates shut down for 1.5 s first, so the
# security group delete must wait for them
PEER_OPTS="--faults rollback=web,fail_reason=pull --ocean-instances --terminate-seconds 1.5 --stop-seconds 0.2"

clear_faults() {
	$PY -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_f2o/faults", data=b"{}", method="POST"), timeout=10).read()' "$AWS_URL"
}

# Wait (at most 10 s) until web's newest EC2 service settled its
# deployment (FAILED), when there is one.
web_settled() {
	$PY - "$AWS_URL" <<'EOF'
import json, sys, time, urllib.request
for _ in range(100):
    s = json.load(urllib.request.urlopen(sys.argv[1] + "/_f2o/state",
                                         timeout=10))
    web = [x["service"] for x in s["ecs"]["services"]
           if x["service"]["serviceName"] == "web" and
           x["service"].get("launchType") == "EC2" and
           x["service"]["status"] == "ACTIVE"]
    deps = web[-1].get("deployments") or [] if web else []
    if not web or all(d.get("rolloutState") != "IN_PROGRESS" for d in deps):
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
EOF
}

# Nothing of f2o's left, beyond what `cutover_check.py exported` checks.
nothing_left() { # label state-file
	$PY - "$1" "$2" <<'EOF'
import json, sys
label, s = sys.argv[1], json.load(open(sys.argv[2]))
def check(name, cond, detail=""):
    print("%s %s: %s %s" % ("ok  " if cond else "FAIL", label, name,
                            detail if not cond else ""))
run = [i["InstanceId"] for i in s["ec2"]["instances"]
       if i["State"]["Name"] == "running"]
check("no Ocean instance running", not run, run)
ci = [c["containerInstance"]["ec2InstanceId"]
      for c in s["ecs"]["containerInstances"]
      if c["containerInstance"]["status"] != "INACTIVE"]
check("no container instance left", not ci, ci)
dels = [e for e in s["log"] if e["op"] == "spot:DeleteOceanLaunchSpec"]
bad = [e for e in dels
       if (e.get("query") or {}).get("deleteContainerInstances") != "true"]
check("every VNG DELETE carried deleteContainerInstances=true (%d)"
      % len(dels), not bad, bad)
dv = s["requests"]["errors"].get("ec2:DeleteSecurityGroup "
                                 "DependencyViolation", 0)
check("DeleteSecurityGroup never met DependencyViolation", dv == 0, dv)
EOF
}

# -- A. a deployment failure, then rollback --------------------------------
if start_peer fa $PEER_OPTS; then ok "peer started ($PEER_OPTS)"; else bad "peer started"; fi
state "$tmp/a0.json"
JOURNAL="$tmp/a.journal"
phase "import" "$tmp/a-import.log" 0 run "$B"
state "$tmp/a1.json"
n=$($PY -c 'import json,sys; print(sum(1 for i in json.load(open(sys.argv[1]))["ec2"]["instances"] if i["State"]["Name"] == "running"))' "$tmp/a1.json")
if [ "$n" -gt 0 ]; then ok "Ocean launched $n instance(s) for the copies"; else bad "no Ocean instance after the import"; fi
f2o "$tmp/a-cut.log" --json --keep-going --phase cutover run "$B"
rc=$?
if [ "$rc" -eq 1 ]; then ok "cutover with web's failing deployment exits 1"; else bad "cutover exits $rc"; tail -n 20 "$tmp/a-cut.log"; fi
if $PY - "$tmp/a-cut.log" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
err = [l for l in lines if l.startswith("f2o-exec: ")]
def has(text):
    return any(text in l and "cut/web:stable" in l for l in err)
assert has("deployment failed: tasks failed to start."), "no event text"
assert has("rolloutState FAILED: ECS deployment circuit breaker"), \
    "no rolloutStateReason"
assert has("stopped task") and has("TaskFailedToStart: "
                                   "CannotPullContainerError"), \
    "no stopped task reason"
ev = [json.loads(l) for l in lines if l.startswith("{")]
d = [e for e in ev if e.get("event") == "wait-diagnostics"]
assert d and d[0]["id"] == "cut/web:stable" and d[0]["service"] == "web", d
assert any("deployment failed" in e["message"] for e in d[0]["events"])
assert len(d[0]["events"]) <= 5
assert d[0]["deployment"]["rolloutState"] == "FAILED"
assert d[0]["stoppedTasks"] and all(
    t["stoppedReason"].startswith("CannotPullContainerError")
    for t in d[0]["stoppedTasks"]), d[0]["stoppedTasks"]
EOF
then
	ok "diagnostics on stderr and as a wait-diagnostics event: events, rolloutStateReason, CannotPullContainerError"
else
	bad "diagnostics of the failed wait"; grep 'cut/web' "$tmp/a-cut.log" | tail -n 20
fi
state "$tmp/a2.json"
# web's copy still serves: no gap so far
check_py "$tmp/a-t2.out" tests/tools/cutover_check.py traffic "$tmp/a2.json"
if $PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
w = [x["service"] for x in s["ecs"]["services"] if x["service"]["serviceName"] == "web" and x["service"]["status"] == "ACTIVE"]
assert w and w[-1]["launchType"] == "EC2" and w[-1]["deployments"][0]["rolloutState"] == "FAILED", w
' "$tmp/a2.json"; then ok "web is on EC2 with a FAILED deployment before the rollback"; else bad "web not FAILED on EC2 before the rollback"; fi
clear_faults
phase "rollback after web's failed deployment" "$tmp/a-rb.log" 0 rollback "$B"
if grep -q '^ok *rb/web:ec2-drained' "$tmp/a-rb.log" && grep -q '^ok *rb/ocean-instances-gone' "$tmp/a-rb.log"; then
	ok "rb/web:ec2-drained and rb/ocean-instances-gone ran"
else
	bad "rb/web:ec2-drained / rb/ocean-instances-gone not run"; grep -E 'rb/web:ec2|instances' "$tmp/a-rb.log"
fi
state "$tmp/a3.json"
check_py "$tmp/a-c3.out" tests/tools/cutover_check.py exported "$tmp/a0.json" "$tmp/a3.json"
check_py "$tmp/a-t3.out" tests/tools/cutover_check.py traffic "$tmp/a3.json"
nothing_left "A" "$tmp/a3.json" >"$tmp/a-left.out"; tally "$tmp/a-left.out"
n=$($PY -c 'import json,sys; print(sum(1 for e in json.load(open(sys.argv[1]))["log"] if e["op"] == "ecs:ListContainerInstances"))' "$tmp/a3.json")
if [ "$n" -ge 2 ]; then
	ok "rb/ocean-instances-gone polled ListContainerInstances $n times while instances shut down"
else
	bad "rb/ocean-instances-gone polled $n time(s): it never waited"
fi
stop_peer

# -- B. the failing cutover killed at each step kind, then rollback ---------
pk() { # log event args...
	lf=$1; ev=$2; shift 2
	h="$tmp/home-$(basename "$JOURNAL")"
	mkdir -p "$h"
	$PY tests/tools/pause_kill.py --timeout 120 --log "$lf" -- \
	    env -i PATH="$PATH" HOME="$h" F2O_EXEC_PAUSE_ON="$ev" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --poll-interval "$POLL" $RATES --journal "$JOURNAL" \
	    $F2O_EXEC_ARGS "$@"
}

kill_case() { # uses name, pt
	start_peer "$name" $PEER_OPTS || { bad "$name: peer started"; return 1; }
	state "$tmp/$name-0.json"
	JOURNAL="$tmp/$name.journal"
	f2o "$tmp/$name-import.log" run "$B" || bad "$name: import"
	r=$(pk "$tmp/$name-killed.log" "$pt" --phase cutover run "$B")
	if [ "$r" = paused ]; then
		ok "$name: cutover killed at \"$pt\""
	else
		bad "$name: cutover not stopped at \"$pt\" ($r)"
		sed 's/^/    /' "$tmp/$name-killed.log" | tail -n 15
	fi
	web_settled || bad "$name: web's deployment never settled"
	clear_faults
	i=0
	while :; do
		i=$((i + 1))
		f2o "$tmp/$name-rb.log.$i" rollback "$B"
		rc=$?
		if [ "$rc" -eq 0 ] || [ "$i" -ge 3 ]; then break; fi
	done
	if [ "$rc" -eq 0 ]; then
		ok "$name: rollback exits 0 ($i run(s))"
	else
		bad "$name: rollback exits $rc after $i runs"
		sed 's/^/    /' "$tmp/$name-rb.log.$i" | tail -n 20
	fi
	state "$tmp/$name.json"
	check_py "$tmp/$name.exp" tests/tools/cutover_check.py exported "$tmp/$name-0.json" "$tmp/$name.json"
	check_py "$tmp/$name.traffic" tests/tools/cutover_check.py traffic "$tmp/$name.json"
	no_early_create "$tmp/$name.json" "$name"
	nothing_left "$name" "$tmp/$name.json" >"$tmp/$name.left"; tally "$tmp/$name.left"
	stop_peer
}

jobs_init "$KJ"
k=0
for s in copy-stable scale-down drained delete inactive create stable; do
	k=$((k + 1)); name="kill$k"; pt="intent cut/web:$s"
	jobs_start "$name" kill_case
done
jobs_wait
k=0
while [ "$k" -lt 7 ]; do k=$((k + 1)); jobs_tally "kill$k"; done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
