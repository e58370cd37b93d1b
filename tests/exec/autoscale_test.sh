#!/bin/sh
# Application Auto Scaling and CloudWatch carried over by f2o-exec (issue 15
# item 1) against the loopback peers seeded with the demo export plus
# fixtures/autoscaling (target tracking, step scaling with alarms, scheduled
# actions, a suspended target, a target of a service left alone), with the
# bundle f2o-translate makes of them (tests/golden/autoscaling-full/args):
#  1. check (exit 0, the targets compared); import (AAS and CloudWatch
#     throttled, failing and dropping connections now and then), then
#     cutover, then rollback; after each, the peer's autoscaling state is
#     checked (tests/exec/autoscale_check.py): the copies carry the
#     originals' targets, policies, scheduled actions and alarms; after the
#     cutover the EC2 services have them and the copies' are gone; after the
#     rollback the originals' are as exported and nothing of f2o's is left;
#  2. a cutover killed right after cut/web:target (pause_kill.py), resumed:
#     the preflight does not count f2o's own suspend/target as drift and the
#     end state is that of 1;
#  3. a cutover stopped right after cut/api:suspend, then rolled back: the
#     suspended state of api's target is back to the export's;
#  4. drift: someone moves web's max capacity after the export: run and
#     check exit 4, no write, the diff names target, field and both values;
#  5. a cutover killed after worker's scaling was put again and a rollback
#     killed after rb/worker:policy-1, both resumed: f2o's own changes to
#     policies, scheduled actions and alarms are not drift;
#  6. drift of a policy, a scheduled action and an alarm (one at a time),
#     a scheduled action and a step scaling alarm added live, a policy
#     deleted live: exit 4, no write, the diff names each.
# Cases 1 to 6 run as parallel jobs (tests/exec/jobs.inc), each with its own
# peer, bundle copy and journal; peers at 0.2 s to stability and drain.
# Ends with "N passed, N failed". Usage: BUILD=build sh tests/exec/autoscale_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
F2O_EXEC_ARGS=${F2O_EXEC_ARGS---parallel 4}
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/phaselib.inc
. tests/exec/jobs.inc
RATES="$RATES --rate-limit application-autoscaling=100/100 --rate-limit cloudwatch=100/100"
POLL=0.1

need_phases
SEED="$tmp/seed"
cp -R fixtures/demo "$SEED"
mkdir "$SEED/autoscaling"
cp fixtures/autoscaling/*.json "$SEED/autoscaling/"
EXPORT="$SEED/autoscaling"
# shellcheck disable=SC2046
if "$T" --quiet $(grep -v '^#' tests/golden/autoscaling-full/args) \
    -o "$tmp/bundle.orig" >"$tmp/translate.out" 2>&1; then
	ok "translate demo + autoscaling export"
else
	bad "translate demo + autoscaling export"; sed 's/^/    /' "$tmp/translate.out"
	echo "$pass passed, $fail failed"; exit 1
fi
grep -q '"scalableTargets"' "$tmp/bundle.orig/manifest.json" &&
    ok "the manifest fingerprints the scalable targets" ||
    bad "the manifest fingerprints the scalable targets"

astate() { # label phase [services]: check the peer's autoscaling state
	state "$tmp/$1.json"
	check_py "$tmp/$1.check" tests/exec/autoscale_check.py "$tmp/$1.json" \
	    "$EXPORT" "$2" "${3:-}"
}

writes() { # -> requests.writes of the current peer (state in $tmp/w.$JOB.json)
	state "$tmp/w.$JOB.json"
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["writes"])' "$tmp/w.$JOB.json"
}
# Short peer delays (after peerlib's own: the last one counts).
PEER_FAST="--stable-seconds 0.2 --drain-seconds 0.2"

count() { # state-file key -> requests.byOperation[key] (0 when absent)
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["byOperation"].get(sys.argv[2], 0))' "$1" "$2"
}

# The current peer's target RID is suspended in all or none of the three ways.
suspended() { # label state-file rid all|none message
	state "$2"
	$PY - "$2" "$3" "$4" "$1: $5" >"$2.check" 2>&1 <<'PYEOF'
import json, sys
st = json.load(open(sys.argv[1]))
t = {x["ResourceId"]: x for x in st["aas"]["scalableTargets"]}.get(sys.argv[2])
v = list(t["SuspendedState"].values()) if t else None
good = v is not None and (all(v) if sys.argv[3] == "all" else not any(v))
print(("ok   " if good else "FAIL ") + sys.argv[4] + " (%s)" % v)
PYEOF
	tally "$2.check"
}

# A run of f2o-exec killed the moment it reports event EV (pause_kill.py).
killed_at() { # label event args...
	kl=$1; ev=$2; shift 2
	h="$tmp/home-$(basename "$JOURNAL")"
	mkdir -p "$h"
	# shellcheck disable=SC2086
	$PY tests/tools/pause_kill.py --timeout 120 --log "$tmp/$kl.log" -- \
	    env -i PATH="$PATH" HOME="$h" F2O_EXEC_PAUSE_ON="$ev" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --poll-interval "$POLL" $RATES --journal "$JOURNAL" \
	    --parallel 1 "$@" >"$tmp/$kl.out" 2>&1
	if grep -q paused "$tmp/$kl.out"; then ok "$kl: killed at \"$ev\""
	else bad "$kl: killed at \"$ev\""; cat "$tmp/$kl.out"; tail -n 20 "$tmp/$kl.log"; fi
}

# -- 1. import (with faults), cutover, rollback --------------------------------
# one scalable target per DescribeScalableTargets page: the preflight must
# follow NextToken to find all three
case_full() {
JOB=full
# retry backoff 50 ms doubling up to 1 s, not 1 s to 20 s: the faults'
# retries without long sleeps
F2O_ENV="F2O_EXEC_BACKOFF_MS=50,1000"
start_peer full $PEER_FAST --aas-page-size 1 || bad "full: peer"
astate full-export export
fresh_bundle "$tmp/b-full"
JOURNAL="$tmp/j-full"
curl_faults() { # json
	$PY -c 'import sys,urllib.request
r = urllib.request.Request(sys.argv[1] + "/_f2o/faults", data=sys.argv[2].encode(), method="POST")
urllib.request.urlopen(r, timeout=10).read()' "$AWS_URL" "$1"
}
phase "full: check" "$tmp/full-check.log" 0 check "$tmp/b-full"
grep -qF "4 service(s), 4 security group(s) and 3 scalable target(s) (8 scaling policies, scheduled actions and alarms) as the bundle recorded them" \
    "$tmp/full-check.log" && ok "full: check names the 3 scalable targets and 8 scaling items it compared" ||
    { bad "full: check names the scalable targets"; cat "$tmp/full-check.log"; }
state "$tmp/full-check.json"
n=$(count "$tmp/full-check.json" aas:DescribeScalableTargets)
[ "$n" -eq 3 ] && ok "full: check read the 3 pages of DescribeScalableTargets" ||
    bad "full: check read $n DescribeScalableTargets page(s), want 3"
# throttling, 5xx, and connections dropped before or after the peer acted
# (every AAS/CloudWatch action is an upsert or a delete: resent)
curl_faults '{"seed":18,"rate":0.5,"kinds":["throttle","500","503","drop","drop_after"],"targets":["aas","cw"],"max":6}'
F2O_EXEC_ARGS="$F2O_EXEC_ARGS --max-attempts 8"
phase "full: import" "$tmp/full-import.log" 0 run "$tmp/b-full"
F2O_EXEC_ARGS=${F2O_EXEC_ARGS% --max-attempts 8}
curl_faults '{}'
astate full-import import
n=$($PY -c 'import json,sys; print(sum(json.load(open(sys.argv[1]))["requests"]["faults"].values()))' "$tmp/full-import.json")
kinds=$($PY -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1]))["requests"]["faults"])))' "$tmp/full-import.json")
[ "$n" -ge 6 ] && ok "full: the import met $n AAS/CloudWatch faults ($kinds) and went on" ||
    bad "full: faults injected ($n: $kinds)"
phase "full: cutover" "$tmp/full-cut.log" 0 --phase cutover run "$tmp/b-full"
astate full-cut cutover
s1=$(count "$tmp/full-cut.json" aas:RegisterScalableTarget)
phase "full: rollback" "$tmp/full-rb.log" 0 rollback "$tmp/b-full"
astate full-rb rollback
phase "full: a second rollback" "$tmp/full-rb2.log" 0 rollback "$tmp/b-full"
state "$tmp/full-rb2.json"
w1=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["writes"])' "$tmp/full-rb.json")
w2=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["writes"])' "$tmp/full-rb2.json")
[ "$w1" = "$w2" ] && ok "full: a second rollback writes nothing" ||
    bad "full: a second rollback wrote $((w2 - w1)) request(s)"
[ "$s1" -ge 6 ] && ok "full: RegisterScalableTarget sent by import + cutover ($s1)" ||
    bad "full: RegisterScalableTarget count $s1"
stop_peer
}

# -- 2. a cutover killed after cut/web:target, resumed -------------------------
case_resume() {
JOB=resume
start_peer resume $PEER_FAST || bad "resume: peer"
fresh_bundle "$tmp/b-resume"
JOURNAL="$tmp/j-resume"
phase "resume: import" "$tmp/resume-import.log" 0 run "$tmp/b-resume"
killed_at resume-kill "result cut/web:target" --phase cutover run "$tmp/b-resume"
suspended resume "$tmp/resume-mid.json" service/shop/web none \
    "mid-cutover: web's target registered anew, not suspended"
suspended resume "$tmp/resume-mid.json" service/shop/sfm-web none \
    "mid-cutover: the copy sfm-web still scales (not deregistered yet)"
phase "resume: cutover resumed" "$tmp/resume-cut.log" 0 --phase cutover run "$tmp/b-resume"
if grep -q "scalable target" "$tmp/resume-cut.log"; then
	bad "resume: no scalable target reported as drift"; grep "scalable target" "$tmp/resume-cut.log"
else ok "resume: f2o's own suspend/target are not drift"; fi
astate resume-cut cutover
stop_peer
}

# -- 3. rollback of a cutover stopped right after cut/api:suspend --------------
case_susp() {
JOB=susp
start_peer susp $PEER_FAST || bad "susp: peer"
fresh_bundle "$tmp/b-susp"
JOURNAL="$tmp/j-susp"
phase "susp: import" "$tmp/susp-import.log" 0 run "$tmp/b-susp"
killed_at susp-kill "result cut/api:suspend" --phase cutover run "$tmp/b-susp"
suspended susp "$tmp/susp-mid.json" service/shop/api all \
    "api's target fully suspended by cut/api:suspend"
phase "susp: rollback" "$tmp/susp-rb.log" 0 rollback "$tmp/b-susp"
astate susp-rb rollback
stop_peer
}

# -- 4. drift of a scalable target: exit 4, nothing written --------------------
case_drift() {
JOB=drift
start_peer drift $PEER_FAST || bad "drift: peer"
$PY -c 'import sys,urllib.request
r = urllib.request.Request(sys.argv[1] + "/_f2o/mutate", data=sys.argv[2].encode(), method="POST")
urllib.request.urlopen(r, timeout=10).read()' "$AWS_URL" \
    '{"action":"scalable_target","ResourceId":"service/shop/web","MaxCapacity":12,"SuspendedState":{"ScheduledScalingSuspended":true}}' ||
    bad "drift: mutate"
fresh_bundle "$tmp/b-drift"
JOURNAL="$tmp/j-drift"
phase "drift: run" "$tmp/drift-run.log" 4 run "$tmp/b-drift"
phase "drift: check" "$tmp/drift-check.log" 4 check "$tmp/b-drift"
# nothing done yet: a rollback has nothing to undo and reads nothing
phase "drift: rollback with nothing done" "$tmp/drift-rb.log" 0 rollback "$tmp/b-drift"
for p in "scalable target service/shop/web: MaxCapacity: export 10 -> live 12" \
    "scalable target service/shop/web: SuspendedState.ScheduledScalingSuspended: export false -> live true"; do
	if grep -qF -- "$p" "$tmp/drift-run.log"; then ok "drift: run says \"$p\""
	else bad "drift: run says \"$p\""; tail -n 15 "$tmp/drift-run.log"; fi
done
[ "$(writes)" = 0 ] && ok "drift: no write request reached the peers" ||
    bad "drift: write requests reached the peers"
n=$(count "$tmp/w.$JOB.json" aas:DescribeScalableTargets)
[ "$n" -ge 2 ] && ok "drift: each preflight read DescribeScalableTargets ($n)" ||
    bad "drift: DescribeScalableTargets read $n time(s)"
stop_peer
}

# -- 5. scaling re-created by f2o is not drift on a resume --------------------
# A cutover killed once worker's policies, scheduled action and alarms were
# put again, resumed; then a rollback killed right after rb/worker:policy-1
# (the EC2 service's target deregistered, one of the original's policies
# re-created with a new ARN, the other not yet), resumed.
no_scaling_drift() { # label log
	if grep -E "warning: (scaling policy|scheduled action|alarm) " "$2"; then
		bad "$1: f2o's own scaling changes reported as drift"
	else ok "$1: f2o's own scaling changes are not drift"; fi
}
case_rsc() {
JOB=rsc
start_peer rsc $PEER_FAST || bad "rsc: peer"
fresh_bundle "$tmp/b-rsc"
JOURNAL="$tmp/j-rsc"
phase "rsc: import" "$tmp/rsc-import.log" 0 run "$tmp/b-rsc"
killed_at rsc-cut-kill "result cut/worker:alarm-2" --phase cutover run "$tmp/b-rsc"
phase "rsc: cutover resumed" "$tmp/rsc-cut.log" 0 --phase cutover run "$tmp/b-rsc"
no_scaling_drift "rsc: cutover resumed" "$tmp/rsc-cut.log"
killed_at rsc-rb-kill "result rb/worker:policy-1" rollback "$tmp/b-rsc"
phase "rsc: rollback resumed" "$tmp/rsc-rb.log" 0 rollback "$tmp/b-rsc"
no_scaling_drift "rsc: rollback resumed" "$tmp/rsc-rb.log"
astate rsc-rb rollback
stop_peer
}

# -- 6. drift of a policy, a scheduled action, an alarm ------------------------
# Each changed by someone after the export (then put back): run exits 4,
# nothing is written, the diff names the service, the item, field and
# both values; also a scheduled action and an alarm added live (the alarm
# acting on a step policy of the export), and a policy deleted.
mutate() { # json
	$PY -c 'import sys,urllib.request
r = urllib.request.Request(sys.argv[1] + "/_f2o/mutate", data=sys.argv[2].encode(), method="POST")
urllib.request.urlopen(r, timeout=10).read()' "$AWS_URL" "$1"
}
case_sdrift() {
JOB=sdrift
start_peer sdrift $PEER_FAST --aas-page-size 1 || bad "sdrift: peer"
fresh_bundle "$tmp/b-sdrift"
JOURNAL="$tmp/j-sdrift"
sdrift() { # label change undo expected-line
	mutate "$2" || bad "sdrift $1: mutate"
	phase "sdrift $1: run" "$tmp/sdrift-$1.log" 4 --json run "$tmp/b-sdrift"
	if grep -qF -- "$4" "$tmp/sdrift-$1.log"; then ok "sdrift $1: run says \"$4\""
	else bad "sdrift $1: run says \"$4\""; grep -v '^{' "$tmp/sdrift-$1.log" | tail -n 8; fi
	n=$(grep -c '^{"event":"drift"' "$tmp/sdrift-$1.log")
	[ "$n" -ge 1 ] && ok "sdrift $1: $n drift event(s) under --json" ||
	    bad "sdrift $1: no drift event under --json"
	[ "$(writes)" = 0 ] && ok "sdrift $1: no write request reached the peers" ||
	    bad "sdrift $1: write requests reached the peers"
	[ -z "$3" ] || mutate "$3" || bad "sdrift $1: undo"
}
sdrift policy \
    '{"action":"scaling_policy","ResourceId":"service/shop/web","PolicyName":"web-cpu-60","set":{"TargetTrackingScalingPolicyConfiguration.TargetValue":75}}' \
    '{"action":"scaling_policy","ResourceId":"service/shop/web","PolicyName":"web-cpu-60","set":{"TargetTrackingScalingPolicyConfiguration.TargetValue":60}}' \
    "scaling policy web-cpu-60 of service/shop/web: TargetTrackingScalingPolicyConfiguration.TargetValue: export 60 -> live 75"
sdrift action \
    '{"action":"scheduled_action","ResourceId":"service/shop/web","ScheduledActionName":"web-business-hours","set":{"Schedule":"cron(0 6 ? * MON-FRI *)"}}' \
    '{"action":"scheduled_action","ResourceId":"service/shop/web","ScheduledActionName":"web-business-hours","set":{"Schedule":"cron(0 7 ? * MON-FRI *)"}}' \
    "scheduled action web-business-hours of service/shop/web: Schedule: export cron(0 7 ? * MON-FRI *) -> live cron(0 6 ? * MON-FRI *)"
sdrift alarm \
    '{"action":"alarm","AlarmName":"worker-queue-high","set":{"Threshold":150}}' \
    '{"action":"alarm","AlarmName":"worker-queue-high","set":{"Threshold":100}}' \
    "alarm worker-queue-high: Threshold: export 100 -> live 150"
sdrift action-added \
    '{"action":"scheduled_action","ResourceId":"service/shop/api","ScheduledActionName":"api-extra","new":true,"set":{"Schedule":"rate(1 day)","ScalableTargetAction":{"MinCapacity":1}}}' \
    '{"action":"scheduled_action","ResourceId":"service/shop/api","ScheduledActionName":"api-extra","delete":true}' \
    "scheduled action api-extra of service/shop/api: (added live): export (none) -> live"
sdrift alarm-added \
    '{"action":"alarm","AlarmName":"worker-queue-extra","new":true,"set":{"MetricName":"QueueBacklogPerTask","Namespace":"Shop/Worker","Statistic":"Average","Period":60,"EvaluationPeriods":1,"Threshold":500,"ComparisonOperator":"GreaterThanThreshold","AlarmActions":["arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:9f0e1d2c-3b4a-4958-8776-65544332211f:resource/ecs/service/shop/worker:policyName/worker-queue-out"]}}' \
    '{"action":"delete_alarm","AlarmName":"worker-queue-extra"}' \
    "alarm worker-queue-extra (acting on scaling policy worker-queue-out of service/shop/worker): (added live)"
sdrift policy-deleted \
    '{"action":"scaling_policy","ResourceId":"service/shop/worker","PolicyName":"worker-queue-in","delete":true}' "" \
    "scaling policy worker-queue-in of service/shop/worker: (deleted live): export"
grep -q '"resource":"scaling policy","name":"worker-queue-in of service/shop/worker","field":"(deleted live)"' \
    "$tmp/sdrift-policy-deleted.log" && ok "sdrift: the JSON event names the deleted policy" ||
    bad "sdrift: the JSON event names the deleted policy"
state "$tmp/sdrift.json"
for op in aas:DescribeScalingPolicies aas:DescribeScheduledActions cw:DescribeAlarms; do
	n=$(count "$tmp/sdrift.json" "$op")
	[ "$n" -ge 5 ] && ok "sdrift: the preflights read $op ($n pages)" ||
	    bad "sdrift: $op read $n time(s)"
done
stop_peer
}

# The longest first.
jobs_init "${AUTOSCALE_JOBS:-3}"
for c in full rsc resume susp sdrift drift; do
	jobs_start "$c" "case_$c"
done
jobs_wait
for c in full resume susp drift rsc sdrift; do
	jobs_tally "$c"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
