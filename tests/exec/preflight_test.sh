#!/bin/sh
# The read-only preflight of f2o-exec (issue 14) against the loopback peers:
#  1. one case per drift kind made by "another actor" (POST /_f2o/mutate)
#     after the export: task definition revision, load balancer, network
#     configuration, security group rule, deployment controller, tag,
#     missing service, inactive cluster, wrong account (peer --account),
#     wrong region (an ECS endpoint URL of another region; AWS_REGION
#     not the bundle's). Each: "run" exits 4, NO write request reached the
#     peers (requests.writes == 0), and the diff names service, field and
#     both values (stderr) / one JSON event per difference (--json).
#  2. `f2o-exec check`: 0 on a matching account, 4 on drift, 1 on an error
#     (no peer listening); sends no write.
#  3. desiredCount changed live before the run is adopted, not reverted:
#     the import's copy and the cutover's re-created service take it.
#  4. resume: a cutover killed after its first delete resumes through the
#     preflight; a cutover resumed after someone deployed a new revision to
#     a service the cutover has not touched yet is refused (exit 4).
# The cases run as parallel jobs (tests/exec/jobs.inc), each with its own
# peer, bundle copy and journal; peers at 0.2 s to stability and drain.
# Ends with "N passed, N failed". Usage: BUILD=build sh tests/exec/preflight_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/phaselib.inc
. tests/exec/jobs.inc
# Short peer delays (after peerlib's own: the last one counts).
PEER_FAST="--stable-seconds 0.2 --drain-seconds 0.2"

need_phases
translate_demo
if ! grep -q '"fingerprints"' "$tmp/bundle.orig/manifest.json" ||
    ! grep -q '"account"' "$tmp/bundle.orig/manifest.json"; then
	bad "the bundle records the account and fingerprints (manifest.json)"
	echo "$pass passed, $fail failed"; exit 1
fi
ok "the bundle records the account and fingerprints"

mutate() { # json (output in $tmp/mutate.$JOB.out)
	$PY -c 'import sys,urllib.request
r = urllib.request.Request(sys.argv[1] + "/_f2o/mutate", data=sys.argv[2].encode(), method="POST")
print(urllib.request.urlopen(r, timeout=10).read().decode())' "$AWS_URL" "$1" \
	    >>"$tmp/mutate.$JOB.out" 2>&1 || { bad "mutate $1"; cat "$tmp/mutate.$JOB.out"; }
}

writes() { # -> requests.writes of the current peer (state in $tmp/st.$JOB.json)
	state "$tmp/st.$JOB.json"
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["writes"])' "$tmp/st.$JOB.json"
}

has() { # label file pattern...: every fixed string in file
	l=$1; f=$2; shift 2
	for p in "$@"; do
		if ! grep -qF -- "$p" "$f"; then
			bad "$l: output names \"$p\""; sed 's/^/    /' "$f" | tail -n 15
			return 0
		fi
	done
	ok "$l: output names $*"
}

# One drift case: fresh peer [peer options], mutations, run -> 4, no write.
drift_case() { # label peer-opts mutation-json-or-- pattern...
	dl=$1; popts=$2; mut=$3; shift 3
	JOB=$dl
	# shellcheck disable=SC2086
	start_peer "$dl" $PEER_FAST $popts || { bad "$dl: peer"; return 0; }
	[ "$mut" = "--" ] || mutate "$mut"
	fresh_bundle "$tmp/b-$dl"
	JOURNAL="$tmp/j-$dl"
	phase "$dl: run" "$tmp/$dl.log" 4 run "$tmp/b-$dl"
	w=$(writes)
	if [ "$w" = 0 ]; then ok "$dl: no write request reached the peers"
	else bad "$dl: $w write request(s) reached the peers"; fi
	has "$dl" "$tmp/$dl.log" "$@"
	stop_peer
}

TD12=arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:12
TD13=arn:aws:ecs:us-east-1:123456789012:task-definition/shop-web:13
case_taskdef() {
drift_case taskdef "" \
    '{"action":"register_taskdef","family":"shop-web","cluster":"shop","service":"web"}' \
    "service shop/web: taskDefinition: export $TD12 -> live $TD13"
}
case_lb() {
drift_case lb "" \
    '{"action":"update_service","cluster":"shop","service":"api","loadBalancers":[{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-api-v2/0123456789abcdef","containerName":"api","containerPort":9090}]}' \
    "service shop/api: loadBalancers: export" "targetgroup/shop-api/" "-> live" "shop-api-v2/0123456789abcdef" '"containerPort":9090'
}
case_network() {
drift_case network "" \
    '{"action":"update_service","cluster":"shop","service":"worker","networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-0a1b2c3d4e5f60009"],"securityGroups":["sg-0worker000000000004"],"assignPublicIp":"DISABLED"}}}' \
    "service shop/worker: networkConfiguration.awsvpcConfiguration.subnets: export" '-> live ["subnet-0a1b2c3d4e5f60009"]'
}
case_sgrule() {
drift_case sgrule "" \
    '{"action":"sg_rules","groupId":"sg-0web00000000000001","authorizeIngress":[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"IpRanges":[{"CidrIp":"10.9.0.0/16"}]}]}' \
    "security group sg-0web00000000000001: IpPermissions (added live): export (none) -> live" '"CidrIp":"10.9.0.0/16"' '"FromPort":22'
}
case_controller() {
drift_case controller "" \
    '{"action":"update_service","cluster":"shop","service":"imgproc","deploymentController":{"type":"CODE_DEPLOY"}}' \
    'service shop/imgproc: deploymentController.type: export ECS -> live CODE_DEPLOY'
}
case_tag() {
drift_case tag "" \
    '{"action":"update_service","cluster":"shop","service":"api","tags":[{"key":"team","value":"payments"}]}' \
    'service shop/api: tags: export [{"key":"team","value":"checkout"}] -> live [{"key":"team","value":"payments"}]'
}
# the deleted service must still be DRAINING when the preflight looks (a
# drain of 0.5 s, start_peer's, ended first on a loaded machine)
case_missing() {
drift_case missing "--drain-seconds 30" \
    '{"action":"delete_service","cluster":"shop","service":"worker"}' \
    "preflight: shop/worker: the service is DRAINING; the bundle was made from an ACTIVE service"
}
case_cluster() {
drift_case cluster "" \
    '{"action":"cluster_status","cluster":"shop","status":"INACTIVE"}' \
    "preflight: shop: the ECS cluster is INACTIVE"
}
case_account() {
drift_case account "--account 210987654321" -- \
    "the credentials are of account 210987654321, the bundle was made for account 123456789012"
}
case_endpoint() {
F2O_ENV="AWS_ENDPOINT_URL_ECS=https://ecs.eu-west-1.amazonaws.com"
drift_case endpoint "" -- \
    "the ECS endpoint https://ecs.eu-west-1.amazonaws.com is in region eu-west-1, the bundle in us-east-1"
}
case_region_env() {
F2O_ENV="AWS_REGION=eu-west-1"
drift_case region-env "" -- \
    "the region is eu-west-1 (AWS_REGION or the profile) but the bundle was made for us-east-1"
}

# -- --json: one event per difference ----------------------------------------
case_json() {
JOB=json
start_peer json $PEER_FAST || bad "json: peer"
mutate '{"action":"register_taskdef","family":"shop-web","cluster":"shop","service":"web"}'
mutate '{"action":"update_service","cluster":"shop","service":"api","tags":[{"key":"team","value":"payments"}]}'
fresh_bundle "$tmp/b-json"
JOURNAL="$tmp/j-json"
phase "json: run --json" "$tmp/json.log" 4 --json run "$tmp/b-json"
$PY - "$tmp/json.log" >"$tmp/json.check" 2>&1 <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
d = [e for e in ev if e.get("event") == "drift"]
def chk(c, m): print(("ok   " if c else "FAIL ") + "json: " + m)
chk(len(d) == 2, "two drift events (%d)" % len(d))
chk(any(e["name"] == "shop/web" and e["field"] == "taskDefinition" and
        e["export"].endswith("shop-web:12") and e["live"].endswith("shop-web:13")
        for e in d), "taskDefinition event with both values")
chk(any(e["name"] == "shop/api" and e["field"] == "tags" for e in d), "tags event")
done = [e for e in ev if e.get("event") == "done"]
chk(len(done) == 1 and done[0]["exit"] == 4 and done[0]["status"] == "refused",
    "done event: refused, exit 4")
PYEOF
tally "$tmp/json.check"
[ "$(writes)" = 0 ] && ok "json: no write" || bad "json: writes"
stop_peer
}

# -- check: 0 / 4 / 1, no write ----------------------------------------------
case_check() {
JOB=check
start_peer check $PEER_FAST || bad "check: peer"
fresh_bundle "$tmp/b-check"
JOURNAL="$tmp/j-check"
phase "check on a matching account" "$tmp/check0.log" 0 check "$tmp/b-check"
has "check ok" "$tmp/check0.log" "check: ok: account 123456789012, region us-east-1: 4 service(s) and 4 security group(s)"
mutate '{"action":"register_taskdef","family":"shop-web","cluster":"shop","service":"web"}'
phase "check after drift" "$tmp/check4.log" 4 check "$tmp/b-check"
has "check drift" "$tmp/check4.log" "service shop/web: taskDefinition: export $TD12 -> live $TD13" \
    "Re-export the account and translate again"
phase "check --json after drift" "$tmp/check4j.log" 4 --json check "$tmp/b-check"
has "check --json" "$tmp/check4j.log" '{"event":"check","status":"drift"' '"differences":1'
[ "$(writes)" = 0 ] && ok "check: no write" || bad "check: writes"
[ ! -e "$tmp/j-check" ] && ok "check: no journal written" || bad "check: wrote a journal"
# the port, for the check with no peer listening once every job is done
echo "$AWS_URL $SPOT_URL" >"$tmp/check.url"
stop_peer
}

# -- desiredCount moved live: adopted, never reverted ------------------------
case_count() {
JOB=count
start_peer count $PEER_FAST || bad "count: peer"
mutate '{"action":"update_service","cluster":"shop","service":"web","desiredCount":7}'
fresh_bundle "$tmp/b-count"
JOURNAL="$tmp/j-count"
phase "count: import" "$tmp/count-import.log" 0 run "$tmp/b-count"
state "$tmp/count1.json"
phase "count: cutover" "$tmp/count-cut.log" 0 --phase cutover run "$tmp/b-count"
state "$tmp/count2.json"
$PY - "$tmp/count1.json" "$tmp/count2.json" >"$tmp/count.check" 2>&1 <<'PYEOF'
import json, sys
def svc(f, name):
    st = json.load(open(f))
    for r in st["ecs"]["services"]:
        s = r["service"]
        if r["cluster"] == "shop" and s["serviceName"] == name and s["status"] == "ACTIVE":
            return s
def chk(c, m): print(("ok   " if c else "FAIL ") + "count: " + m)
c = svc(sys.argv[1], "sfm-web")
chk(c is not None and c["desiredCount"] == 7, "the import's copy sfm-web takes the live desiredCount 7 (%s)" % (c and c["desiredCount"]))
w = svc(sys.argv[2], "web")
chk(w is not None and w["desiredCount"] == 7 and w.get("launchType") == "EC2",
    "the cutover's re-created web takes the live desiredCount 7 (%s)" % (w and w["desiredCount"]))
PYEOF
tally "$tmp/count.check"
stop_peer
}

# -- resume: what f2o changed is not drift; another actor's change is ---------
case_resume() {
JOB=resume
start_peer resume $PEER_FAST --drain-seconds 0.3 || bad "resume: peer"
fresh_bundle "$tmp/b-resume"
JOURNAL="$tmp/j-resume"
phase "resume: import" "$tmp/resume-import.log" 0 run "$tmp/b-resume"
h="$tmp/home-$(basename "$JOURNAL")"
# shellcheck disable=SC2086
$PY tests/tools/pause_kill.py --timeout 120 --log "$tmp/resume-kill.log" -- \
    env -i PATH="$PATH" HOME="$h" F2O_EXEC_PAUSE_ON="result cut/api:create" \
    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
    "$E" --poll-interval "$POLL" $RATES --journal "$JOURNAL" --parallel 1 \
    --phase cutover run "$tmp/b-resume" >"$tmp/resume-kill.out" 2>&1
if grep -q paused "$tmp/resume-kill.out"; then ok "resume: cutover killed after cut/api:create"
else bad "resume: cutover killed after cut/api:create"; cat "$tmp/resume-kill.out"; fi
state "$tmp/rs0.json"
w0=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["writes"])' "$tmp/rs0.json")
mutate '{"action":"register_taskdef","family":"shop-worker","cluster":"shop","service":"worker"}'
phase "resume: after a new revision of untouched worker" "$tmp/resume4.log" 4 --phase cutover run "$tmp/b-resume"
has "resume refused" "$tmp/resume4.log" "service shop/worker: taskDefinition: export arn:aws:ecs:us-east-1:123456789012:task-definition/shop-worker:31 -> live arn:aws:ecs:us-east-1:123456789012:task-definition/shop-worker:3"
if grep -q "shop/api" "$tmp/resume4.log"; then bad "resume: f2o's own re-creation of api reported as drift"; sed 's/^/    /' "$tmp/resume4.log"
else ok "resume: f2o's own re-creation of api is not drift"; fi
[ "$(writes)" = "$w0" ] && ok "resume: the refused run sent no write" || bad "resume: the refused run sent writes"
# the other actor's change undone: the killed cutover resumes through the preflight
mutate '{"action":"update_service","cluster":"shop","service":"worker","taskDefinition":"shop-worker:31"}'
phase "resume: killed cutover resumed" "$tmp/resume0.log" 0 --phase cutover run "$tmp/b-resume"
phase "resume: rollback after the cutover passes the preflight" "$tmp/resume-rb.log" 0 rollback "$tmp/b-resume"
stop_peer
}

# The longest first.
jobs_init "${PREFLIGHT_JOBS:-4}"
for c in resume count check json missing taskdef lb network sgrule \
    controller tag cluster account endpoint region_env; do
	jobs_start "$c" "case_$c"
done
jobs_wait
for c in taskdef lb network sgrule controller tag missing cluster account \
    endpoint region_env json check count resume; do
	jobs_tally "$c"
done
# No peer of this test listens any more: the check job's port is free.
read -r AWS_URL SPOT_URL <"$tmp/check.url" 2>/dev/null
JOURNAL="$tmp/j-check"
if [ -n "$AWS_URL" ] && [ -n "$SPOT_URL" ]; then
	# retry backoff 50 ms doubling up to 1 s: the refused connections'
	# retries without long sleeps
	F2O_ENV="F2O_EXEC_BACKOFF_MS=50,1000"
	phase "check with no peer listening (an error)" "$tmp/check1.log" 1 check "$tmp/b-check"
	F2O_ENV=""
else
	bad "check with no peer listening: the check job left no port"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
