#!/bin/sh
# Phases, rollback mechanics, signals and rule batches:
#  1. an import killed before its first CreateService: "run --phase
#     cutover" refuses with a clear message; "rollback" settles the
#     in-doubt step (not created), skips every step that undoes something
#     f2o did not do (recorded, shown by status) and deletes exactly what
#     the journal says f2o made: launch specs, Ocean cluster, security
#     group, task definition revisions; the exported services stay. A second
#     rollback does nothing new; a rollback delete that finds the resource
#     gone counts as done.
#  2. SIGTERM during a run: nothing new starts, in-flight steps finish and
#     are recorded, exit 3; the resume finishes the import.
#  3. an AuthorizeSecurityGroupIngress batch in which one rule exists
#     already: InvalidPermission.Duplicate, then rule by rule, so the new
#     sibling rule still lands.
# Ends with "N passed, N failed". Usage: sh tests/exec/phase_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc

F2O_EXEC_ARGS="--poll-interval 0.2 --rate-limit ecs=50/50 --rate-limit ec2=50/50 --rate-limit spot=50/50"
export F2O_EXEC_ARGS

if "$T" --quiet --config fixtures/demo/f2o.json fixtures/demo/services.json \
    fixtures/demo/taskdefs fixtures/demo/security-groups.json \
    -o "$tmp/bundle" >"$tmp/translate.out" 2>&1; then
	ok "translate demo"
else
	bad "translate demo"; cat "$tmp/translate.out"
	echo "$pass passed, $fail failed"; exit 1
fi

X() { # log [args]: f2o-exec against the peer
	log=$1; shift
	mkdir -p "$tmp/home"
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$tmp/home" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" $F2O_EXEC_ARGS "$@" >"$log" 2>&1
}

# 1. partial import, cutover refused, rollback of what was done
start_peer p1 || bad "peer"
state "$tmp/seed.json"
mkdir -p "$tmp/home"
# stopped at the event by f2o-exec itself, SIGKILLed the moment it stops
r=$($PY tests/tools/pause_kill.py --timeout 25 --log "$tmp/p1.log" -- \
    env -i PATH="$PATH" HOME="$tmp/home" \
    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
    F2O_EXEC_PAUSE_ON="intent svc/sfm-api" F2O_EXEC_PAUSE_FILE="$tmp/pause" \
    "$E" $F2O_EXEC_ARGS --parallel 1 run "$tmp/bundle")
if [ "$r" = paused ] && [ -s "$tmp/pause" ]; then ok "import killed at $(cat "$tmp/pause")"; else bad "import not paused ($r)"; fi

X "$tmp/cut.log" run --phase cutover "$tmp/bundle"; rc=$?
if [ $rc -eq 1 ] && grep -q 'refusing to start the cutover: [0-9]* import step(s) are not done' "$tmp/cut.log"; then
	ok "cutover refused: $(grep -m1 'refusing' "$tmp/cut.log" | cut -c1-120)"
else
	bad "cutover not refused (exit $rc)"; cat "$tmp/cut.log"
fi

if grep -q '^settled *svc/sfm-api .*not found' "$tmp/cut.log"; then
	ok "the in-doubt svc/sfm-api is settled first (looked up: not created)"
else
	bad "in-doubt step not settled"; cat "$tmp/cut.log"
fi
X "$tmp/rb.log" rollback "$tmp/bundle"; rc=$?
if [ $rc -eq 0 ]; then ok "rollback exits 0"; else bad "rollback exits $rc"; tail -20 "$tmp/rb.log"; fi
state "$tmp/rb.json"
$PY - "$tmp/seed.json" "$tmp/rb.json" <<'EOF' >"$tmp/rb.out"
import json, sys
seed, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
def check(label, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + label + (" %s" % (detail,) if not cond else ""))
check("rollback: no launch spec left", s["spot"]["launchSpecs"] == [], s["spot"]["launchSpecs"])
check("rollback: no Ocean cluster left", s["spot"]["clusters"] == [], s["spot"]["clusters"])
names = [g["GroupName"] for g in s["ec2"]["securityGroups"]]
check("rollback: the f2o security group is deleted", "sfm-shop-instances" not in names, names)
check("rollback: the exported security groups stay",
      sorted(g["GroupName"] for g in seed["ec2"]["securityGroups"]) == sorted(names))
new = [t for t in s["ecs"]["taskDefinitions"] if "%s:%d" % (t["family"], t["revision"]) not in
       {"%s:%d" % (x["family"], x["revision"]) for x in seed["ecs"]["taskDefinitions"]}]
check("rollback: the 4 task definition revisions f2o registered are INACTIVE",
      len(new) == 4 and all(t["status"] == "INACTIVE" for t in new), [(t["family"], t["status"]) for t in new])
old = [t for t in s["ecs"]["taskDefinitions"] if t not in new]
check("rollback: the exported revisions stay ACTIVE", all(t["status"] == "ACTIVE" for t in old if
      any(x["family"] == t["family"] and x["revision"] == t["revision"] and x.get("status", "ACTIVE") == "ACTIVE"
          for x in seed["ecs"]["taskDefinitions"])))
svc = {x["service"]["serviceName"]: x["service"]["status"] for x in s["ecs"]["services"]}
check("rollback: no sfm- service was ever created", not any(n.startswith("sfm-") for n in svc), svc)
check("rollback: the exported services are untouched",
      {x["service"]["serviceName"]: x["service"]["status"] for x in seed["ecs"]["services"]} == svc)
ops = s["requests"]["byOperation"]
check("rollback: no CreateService, UpdateService or DeleteService sent",
      not any(k in ops for k in ("ecs:CreateService", "ecs:UpdateService", "ecs:DeleteService")), ops)
EOF
tally "$tmp/rb.out"
env -i PATH="$PATH" HOME="$tmp/home" "$E" status --phase rollback "$tmp/bundle" >"$tmp/st.log" 2>&1
if grep -q '^skipped  rollback rb/api:fargate-temp ' "$tmp/st.log" &&
    grep -q '^done     rollback rb/vng/arm64 ' "$tmp/st.log" &&
    grep -q '^done     rollback rb/td/shop-api ' "$tmp/st.log" &&
    grep -q '^skipped  rollback rb/api:copy-delete ' "$tmp/st.log"; then
	ok "status: undo steps of things f2o did not do are skipped, the others done ($(tail -1 "$tmp/st.log" | cut -d'(' -f1))"
else
	bad "status after rollback"; cat "$tmp/st.log"
fi
if grep -qa 'skipped rb/api:fargate-temp: it undoes cut/api:create' "$tmp/bundle.journal"; then ok "skips are recorded in the journal"; else bad "skips not recorded"; fi
state "$tmp/rb1.json"
X "$tmp/rb2.log" rollback "$tmp/bundle"; rc=$?
state "$tmp/rb2.json"
if [ $rc -eq 0 ] && $PY -c 'import json,sys; a,b=(json.load(open(x))["requests"]["total"] for x in sys.argv[1:3]); print(a, b); sys.exit(0 if b == a else 1)' "$tmp/rb1.json" "$tmp/rb2.json"; then
	ok "a second rollback sends nothing"
else
	bad "second rollback (exit $rc)"; tail "$tmp/rb2.log"
fi
stop_peer

# gone already: rollback after a full import whose resources someone
# already removed (a fresh journal-less peer: the deletes find nothing)
rm -f "$tmp/bundle.journal"
start_peer p1b || bad "peer"
X "$tmp/imp.log" run "$tmp/bundle"; rc=$?
[ $rc -eq 0 ] && ok "import for the gone-already case" || bad "import exits $rc"
stop_peer
start_peer p1c || bad "peer"
X "$tmp/rbg.log" rollback "$tmp/bundle"; rc=$?
if [ $rc -eq 0 ] && grep -q "already done" "$tmp/rbg.log"; then
	ok "rollback against resources already gone: exit 0, deletes count as done ($(grep -c 'already done\|is gone' "$tmp/rbg.log") gone)"
else
	bad "rollback against gone resources: exit $rc"; grep -v '^ok' "$tmp/rbg.log" | tail -20
fi
stop_peer

# 2. SIGTERM
rm -f "$tmp/bundle.journal"
start_peer p2 --faults "seed=2,rate=1,kinds=latency,latency=0.4" || bad "peer"
env -i PATH="$PATH" HOME="$tmp/home" \
    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
    F2O_EXEC_EVENT_LOG="$tmp/term.events" \
    "$E" $F2O_EXEC_ARGS run "$tmp/bundle" >"$tmp/term.log" 2>&1 &
xpid=$!
# SIGTERM once a first step is done (its RESULT written), others still to
# come: polled for in the event log, bounded (10 s)
i=0
while ! grep -q '^result ' "$tmp/term.events" 2>/dev/null && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
kill -TERM "$xpid"
wait "$xpid"; rc=$?
if [ $rc -eq 3 ]; then ok "SIGTERM: exit 3"; else bad "SIGTERM: exit $rc"; tail "$tmp/term.log"; fi
if grep -q 'stopped by a signal' "$tmp/term.log"; then ok "SIGTERM: says it stopped and how to resume"; else bad "SIGTERM: no message"; fi
env -i PATH="$PATH" HOME="$tmp/home" "$E" status --phase import "$tmp/bundle" >"$tmp/st2.log" 2>&1
if ! grep -q '^in-doubt' "$tmp/st2.log" && grep -q '^done' "$tmp/st2.log" && grep -q '^pending' "$tmp/st2.log"; then
	ok "SIGTERM: journal consistent (no step in doubt; $(tail -1 "$tmp/st2.log" | cut -d'(' -f1))"
else
	bad "SIGTERM: journal state"; cat "$tmp/st2.log"
fi
X "$tmp/term2.log" run "$tmp/bundle"; rc=$?
if [ $rc -eq 0 ]; then ok "resume after SIGTERM exits 0"; else bad "resume after SIGTERM exits $rc"; tail "$tmp/term2.log"; fi
state "$tmp/term.json"
$PY tests/tools/e2e_check.py expect "$tmp/bundle" "$tmp/term.json" >"$tmp/chk.out" 2>&1
if grep -q '^FAIL' "$tmp/chk.out"; then tally "$tmp/chk.out"; else ok "after SIGTERM and resume: every resource once ($(grep -c '^ok' "$tmp/chk.out") checks)"; fi
stop_peer

# 3. a rule batch with one rule present already
$PY - "$tmp/sgb" <<'EOF'
import sys
sys.path.insert(0, "tests/tools")
from bundlegen import step, write
write(sys.argv[1], [
    (step("sg/api:ingress", "ec2:AuthorizeSecurityGroupIngress"),
     {"GroupId": "sg-0api00000000000002", "IpPermissions": [
         {"IpProtocol": "tcp", "FromPort": 9000, "ToPort": 9000,
          "UserIdGroupPairs": [{"GroupId": "sg-0web00000000000001",
                                "Description": "web calls api"},
                               {"GroupId": "sg-0worker000000000004",
                                "Description": "worker calls api"}]},
         {"IpProtocol": "tcp", "FromPort": 9443, "ToPort": 9443,
          "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}]}),
])
EOF
start_peer p3 || bad "peer"
X "$tmp/sgb.log" run "$tmp/sgb"; rc=$?
state "$tmp/sgb.json"
n=$($PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
r = [x for x in s["ec2"]["securityGroupRules"] if x["GroupId"] == "sg-0api00000000000002" and not x["IsEgress"]]
new = [x for x in r if (x.get("ReferencedGroupInfo") or {}).get("GroupId") == "sg-0worker000000000004" or x.get("CidrIpv4") == "10.9.0.0/16"]
print(len(new))' "$tmp/sgb.json")
if [ $rc -eq 0 ] && [ "$n" = 2 ] && grep -q 'rule by rule\|one by one' "$tmp/sgb.log"; then
	ok "Duplicate in a batch: rule by rule, both new sibling rules added"
else
	bad "Duplicate in a batch (exit $rc, new rules $n)"; cat "$tmp/sgb.log"
fi
stop_peer

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
