#!/bin/sh
# shellcheck disable=SC2086  # PEER_OPTS, RATES, $jobnames are split on purpose
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
# A and the kill cases run in KILL_JOBS jobs (A first, then the cases in
# turn), each on the peer of its job slot, started over (POST
# /_f2o/reset, the fault set again) for each case; a job's kills are made
# by one pause_kill.py --serve (pauselib.inc), the final-state checks of
# all cases by one cutover_check.py batch at the end.
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
. tests/exec/pauselib.inc
need_phases
translate_demo
B="$tmp/bundle.orig"
# tasks stop faster than they start: a copy scaled down too early shows
# as a gap; instances Spot terminates shut down for 1.5 s first, so the
# security group delete must wait for them. The fault (web's deployments
# fail, tasks CannotPullContainerError) is set by each case's reset.
PEER_OPTS="--ocean-instances --terminate-seconds 1.5 --stop-seconds 0.2"
FAULT='{"faults": {"rollback": ["web"], "fail_reason": "pull"}}'

clear_faults() { # by the job's pause_kill.py --serve
	pk_post "$AWS_URL/_f2o/faults" '{}'
}

# Wait (at most 10 s) until web's newest EC2 service settled its
# deployment (FAILED), when there is one; then clear the faults. Exit 1
# when it never settled (the faults cleared all the same).
web_settled_clear() {
	$PY - "$AWS_URL" <<'EOF'
import json, sys, time, urllib.request
settled = False
for _ in range(100):
    s = json.load(urllib.request.urlopen(sys.argv[1] + "/_f2o/state",
                                         timeout=10))
    web = [x["service"] for x in s["ecs"]["services"]
           if x["service"]["serviceName"] == "web" and
           x["service"].get("launchType") == "EC2" and
           x["service"]["status"] == "ACTIVE"]
    deps = web[-1].get("deployments") or [] if web else []
    if not web or all(d.get("rolloutState") != "IN_PROGRESS" for d in deps):
        settled = True
        break
    time.sleep(0.1)
urllib.request.urlopen(urllib.request.Request(
    sys.argv[1] + "/_f2o/faults", data=b"{}", method="POST"),
    timeout=10).read()
sys.exit(0 if settled else 1)
EOF
}

# -- A. a deployment failure, then rollback --------------------------------
case_A() {
	reset_peer "$FAULT" || { bad "A: peer started over ($FAULT)"; return 1; }
	state "$tmp/a0.json"
	JOURNAL="$tmp/a.journal"
	phase "import" "$tmp/a-import.log" 0 run "$B"
	state "$tmp/a1.json"
	f2o "$tmp/a-cut.log" --json --keep-going --phase cutover run "$B"
	rc=$?
	if [ "$rc" -eq 1 ]; then ok "cutover with web's failing deployment exits 1"; else bad "cutover exits $rc"; tail -n 20 "$tmp/a-cut.log"; fi
	state "$tmp/a2.json"
	# web's copy still serves: no gap so far
	check_later traffic "$tmp/a2.json"
	clear_faults || bad "A: faults cleared"
	phase "rollback after web's failed deployment" "$tmp/a-rb.log" 0 rollback "$B"
	if grep -q '^ok *rb/web:ec2-drained' "$tmp/a-rb.log" && grep -q '^ok *rb/ocean-instances-gone' "$tmp/a-rb.log"; then
		ok "rb/web:ec2-drained and rb/ocean-instances-gone ran"
	else
		bad "rb/web:ec2-drained / rb/ocean-instances-gone not run"; grep -E 'rb/web:ec2|instances' "$tmp/a-rb.log"
	fi
	state "$tmp/a3.json"
	check_later exported "$tmp/a0.json" "$tmp/a3.json"
	check_later traffic "$tmp/a3.json"
	check_later nothing-left "$tmp/a3.json" A
	# the checks of the cutover's output and of the states a1..a3, in one
	# Python
	$PY - "$tmp" <<'EOF'
import json, sys
tmp = sys.argv[1]


def check(name, cond, detail=""):
    print("%s %s %s" % ("ok  " if cond else "FAIL", name,
                        "" if cond else detail))


def load(name):
    with open("%s/%s.json" % (tmp, name), encoding="utf-8") as f:
        return json.load(f)


n = sum(1 for i in load("a1")["ec2"]["instances"]
        if i["State"]["Name"] == "running")
check("Ocean launched %d instance(s) for the copies" % n, n > 0,
      "(no Ocean instance after the import)")
lines = open(tmp + "/a-cut.log").read().splitlines()
err = [l for l in lines if l.startswith("f2o-exec: ")]


def has(text):
    return any(text in l and "cut/web:stable" in l for l in err)


ev = [json.loads(l) for l in lines if l.startswith("{")]
d = [e for e in ev if e.get("event") == "wait-diagnostics"]
why = [w for w, c in (
    ("no event text", has("deployment failed: tasks failed to start.")),
    ("no rolloutStateReason",
     has("rolloutState FAILED: ECS deployment circuit breaker")),
    ("no stopped task reason", has("stopped task") and has(
        "TaskFailedToStart: CannotPullContainerError")),
    ("no wait-diagnostics event of web", d and d[0]["id"] ==
     "cut/web:stable" and d[0]["service"] == "web"),
    ("its events", d and any("deployment failed" in e["message"]
                             for e in d[0]["events"]) and
     len(d[0]["events"]) <= 5),
    ("its deployment", d and d[0]["deployment"]["rolloutState"] == "FAILED"),
    ("its stopped tasks", d and d[0]["stoppedTasks"] and all(
        t["stoppedReason"].startswith("CannotPullContainerError")
        for t in d[0]["stoppedTasks"]))) if not c]
check("diagnostics on stderr and as a wait-diagnostics event: events, "
      "rolloutStateReason, CannotPullContainerError", not why,
      "%s\n    %s" % (why, "\n    ".join(
          [l for l in lines if "cut/web" in l][-20:])))
w = [x["service"] for x in load("a2")["ecs"]["services"]
     if x["service"]["serviceName"] == "web" and
     x["service"]["status"] == "ACTIVE"]
check("web is on EC2 with a FAILED deployment before the rollback",
      bool(w) and w[-1]["launchType"] == "EC2" and
      w[-1]["deployments"][0]["rolloutState"] == "FAILED",
      "(web not FAILED on EC2 before the rollback: %s)" % w)
n = sum(1 for e in load("a3")["log"]
        if e["op"] == "ecs:ListContainerInstances")
check("rb/ocean-instances-gone polled ListContainerInstances %d times "
      "while instances shut down" % n, n >= 2, "(it never waited)")
EOF
	[ $? -le 1 ] || bad "A: the checks of the cutover's output ran"
}

# -- B. the failing cutover killed at each step kind, then rollback ---------
# f2o-exec stopped at event $2 and killed there by this shell's
# pause_kill.py --serve; sets pk_r ("paused", "exit RC", ...)
pk() { # log event args...
	lf=$1; ev=$2; shift 2
	h="$tmp/home-${JOURNAL##*/}"
	mkdir -p "$h"
	pk_run 120 "$lf" \
	    env -i PATH="$PATH" HOME="$h" F2O_EXEC_PAUSE_ON="$ev" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --poll-interval "$POLL" $RATES --journal "$JOURNAL" \
	    $F2O_EXEC_ARGS "$@"
}

kill_case() { # uses name, pt
	reset_peer "$FAULT" || { bad "$name: peer started over"; return 1; }
	state "$tmp/$name-0.json"
	JOURNAL="$tmp/$name.journal"
	f2o "$tmp/$name-import.log" run "$B" || bad "$name: import"
	pk "$tmp/$name-killed.log" "$pt" --phase cutover run "$B"
	if [ "$pk_r" = paused ]; then
		ok "$name: cutover killed at \"$pt\""
	else
		bad "$name: cutover not stopped at \"$pt\" ($pk_r)"
		sed 's/^/    /' "$tmp/$name-killed.log" | tail -n 15
	fi
	# web has an EC2 service only once cut/web:create was attempted (its
	# INTENT comes first): else there is nothing to wait for
	pk_journal "$JOURNAL" cut/web:create
	if [ "$pk_r" = pending ]; then
		clear_faults || bad "$name: faults cleared"
	else
		web_settled_clear || bad "$name: web's deployment never settled"
	fi
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
	check_later exported "$tmp/$name-0.json" "$tmp/$name.json"
	check_later traffic "$tmp/$name.json"
	check_later no-early-create "$tmp/$name.json" "$name"
	check_later nothing-left "$tmp/$name.json" "$name"
}

# The cases k = g, g + KJ, g + 2 KJ, ... of "A, kill1 ... kill7" in turn
# (job grpG: one peer, one pause_kill.py for them all).
CASES="A copy-stable scale-down drained delete inactive create stable"
case_group() { # uses g
	check_job=grp$g
	peer_use "$job_slot" || { bad "grp$g: peer of slot $job_slot"; return 1; }
	pk_open "grp$g" || { bad "grp$g: pause_kill.py --serve"; return 1; }
	k=0
	for s in $CASES; do
		k=$((k + 1))
		[ $(((k - 1) % KJ + 1)) -eq "$g" ] || continue
		if [ "$s" = A ]; then
			case_A
		else
			name="kill$((k - 1))"; pt="intent cut/web:$s"
			kill_case
		fi
	done
	pk_close
}

if peer_pool_start "$KJ" $PEER_OPTS; then
	ok "peers started ($PEER_OPTS; the fault set by each case's reset)"
else
	bad "peers started"; echo "$pass passed, $fail failed"; exit 1
fi
jobs_init "$KJ"
g=0
jobnames=""
while [ "$g" -lt "$KJ" ]; do
	g=$((g + 1))
	jobs_start "grp$g" case_group
	jobnames="$jobnames grp$g"
done
jobs_wait
checks_batch $jobnames
for j in $jobnames; do
	jobs_tally "$j"
	checks_tally "$j"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
