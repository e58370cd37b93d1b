#!/bin/sh
# End-to-end for `f2o-exec rollback` (issue 7) against tests/peers/peer.py
# seeded with the demo export:
#   1. import, then rollback: the sfm- copies, the Ocean cluster and node
#      groups, the instances' security group and the registered revisions
#      go; the peer is back to the exported state; a second rollback
#      changes nothing;
#   2. import, cutover, then rollback: each service is recreated on Fargate
#      (temporary name first, then its own name) from the export, waited
#      on before the EC2 service goes; the peer is back to the exported
#      state (names, launch type / capacity providers, platform version,
#      task definition, desired count, network configuration incl. public
#      IP, load balancers), with no traffic gap at any moment during the
#      whole import, cutover and rollback.
# Rollback never deletes what f2o did not create (the exported services,
# task definitions and security groups are all still there, unchanged;
# case 0: a service named like a copy but made by someone else is neither
# taken over by the import nor touched by the rollback, and a rollback with
# an empty journal sends nothing that changes anything).
# Prints SKIP while f2o-exec has no phases. Ends with "N passed, N failed".
# Usage: sh tests/exec/rollback_e2e.sh (repo root)
# Environment: BUILD (default build), F2O_EXEC_ARGS (default --parallel 4).
BUILD=${BUILD:-build}
PY=/usr/bin/python3
F2O_EXEC_ARGS=${F2O_EXEC_ARGS---parallel 4}
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/phaselib.inc
need_phases
translate_demo
B="$tmp/bundle.orig"

# 0. rollback never touches what f2o did not create: a service named like
#    a copy (sfm-web) made by hand, not tagged by f2o; a rollback with an
#    empty journal sends nothing that changes anything; an import cannot
#    take sfm-web over; the rollback after it leaves sfm-web alone
if start_peer rb0; then ok "peer started (not f2o's)"; else bad "peer started"; fi
$PY - "$AWS_URL" "$AK" "$SK" >"$tmp/hand.out" 2>&1 <<'PYEOF'
import os, sys
import botocore.session
s = botocore.session.get_session()
s.get_component("data_loader").search_paths.insert(0, os.path.join("tests", "models"))
s.set_credentials(sys.argv[2], sys.argv[3])
ecs = s.create_client("ecs", region_name="us-east-1", endpoint_url=sys.argv[1])
ecs.create_service(cluster="shop", serviceName="sfm-web",
                   taskDefinition="shop-web:12", desiredCount=1, launchType="EC2",
                   networkConfiguration={"awsvpcConfiguration": {
                       "subnets": ["subnet-0a1b2c3d4e5f60001"],
                       "securityGroups": ["sg-0web00000000000001"]}},
                   tags=[{"key": "owner", "value": "someone-else"}])
# until it is stable (bounded: 10 s), as an operator would leave it
import time
end = time.time() + 10
while time.time() < end:
    s = ecs.describe_services(cluster="shop", services=["sfm-web"])["services"][0]
    if s["runningCount"] == s["desiredCount"] and len(s["deployments"]) == 1 and \
            s["deployments"][0].get("rolloutState") == "COMPLETED":
        break
    time.sleep(0.05)
print("made sfm-web by hand")
PYEOF
if grep -q "made sfm-web" "$tmp/hand.out"; then ok "sfm-web made by hand"; else bad "sfm-web made by hand"; cat "$tmp/hand.out"; fi
state "$tmp/h0.json"
JOURNAL="$tmp/rb0.journal"
phase "f2o-exec rollback with an empty journal" "$tmp/h-rb0.log" 0 rollback "$B"
state "$tmp/h1.json"
$PY - "$tmp/h0.json" "$tmp/h1.json" >"$tmp/h1.out" 2>&1 <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ops = {k: b["requests"]["byOperation"].get(k, 0) - a["requests"]["byOperation"].get(k, 0)
       for k in b["requests"]["byOperation"]}
changing = {k: n for k, n in ops.items() if n and k.split(":")[1].startswith(
    ("Create", "Update", "Delete", "Deregister", "Register", "Authorize", "Revoke", "Put", "Tag"))}
print("%s rollback with an empty journal sends no changing request %s" % (
    "ok  " if not changing else "FAIL", json.dumps(changing) if changing else ""))
PYEOF
tally "$tmp/h1.out"
check_py "$tmp/h1e.out" tests/tools/cutover_check.py exported "$tmp/h0.json" "$tmp/h1.json"
f2o "$tmp/h-import.log" run "$B"
rc=$?
if [ "$rc" -ne 0 ]; then ok "import refuses to take over a sfm-web f2o did not create (exit $rc)"; else bad "import exits 0 although sfm-web was not f2o's"; fi
f2o "$tmp/h-rb1.log" rollback "$B"
rc=$?
if [ "$rc" -eq 0 ]; then ok "rollback after that import exits 0"; else bad "rollback after that import exits $rc"; tail -n 20 "$tmp/h-rb1.log"; fi
state "$tmp/h2.json"
check_py "$tmp/h2e.out" tests/tools/cutover_check.py exported "$tmp/h0.json" "$tmp/h2.json"
stop_peer

# 1. rollback after import
if start_peer rb1 --drain-seconds 1; then ok "peer started (rollback after import)"; else bad "peer started"; fi
state "$tmp/a0.json"
JOURNAL="$tmp/rb1.journal"
phase "f2o-exec run (import)" "$tmp/a-import.log" 0 run "$B"
state "$tmp/a1.json"
check_py "$tmp/a1.out" tests/tools/e2e_check.py expect "$B" "$tmp/a1.json"
phase "f2o-exec rollback (after import)" "$tmp/a-rb.log" 0 rollback "$B"
state "$tmp/a2.json"
check_py "$tmp/a2.out" tests/tools/cutover_check.py exported "$tmp/a0.json" "$tmp/a2.json"
check_py "$tmp/a2t.out" tests/tools/cutover_check.py traffic "$tmp/a2.json"
phase "f2o-exec rollback (again)" "$tmp/a-rb2.log" 0 rollback "$B"
state "$tmp/a3.json"
check_py "$tmp/a3.out" tests/tools/cutover_check.py same-final "$tmp/a2.json" "$tmp/a3.json"
stop_peer

# 2. rollback after cutover
if start_peer rb2 --drain-seconds 2; then ok "peer started (rollback after cutover)"; else bad "peer started"; fi
state "$tmp/b0.json"
JOURNAL="$tmp/rb2.journal"
phase "f2o-exec run (import)" "$tmp/b-import.log" 0 run "$B"
phase "f2o-exec run --phase cutover" "$tmp/b-cut.log" 0 --phase cutover run "$B"
state "$tmp/b1.json"
check_py "$tmp/b1.out" tests/tools/cutover_check.py cutover --seed "$tmp/b0.json" "$B" "$tmp/b1.json"
phase "f2o-exec rollback (after cutover)" "$tmp/b-rb.log" 0 rollback "$B"
state "$tmp/b2.json"
check_py "$tmp/b2.out" tests/tools/cutover_check.py exported "$tmp/b0.json" "$tmp/b2.json"
check_py "$tmp/b2t.out" tests/tools/cutover_check.py traffic "$tmp/b2.json"
no_early_create "$tmp/b2.json" "cutover + rollback"
# each service went back through its temporary Fargate service
$PY - "$tmp/b2.json" >"$tmp/b2o.out" 2>&1 <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
for name, t in sorted(s["traffic"].items()):
    if name == "legacy-cron":
        continue
    seen = {x for h in t["servedBy"] for x in h["services"]}
    ok = ("f2o-rb-" + name) in seen and t["servedBy"][-1]["services"] == [name]
    print("%s %s: served by f2o-rb-%s during the rollback, by %s alone at "
          "the end %s" % ("ok  " if ok else "FAIL", name, name, name,
                          "" if ok else json.dumps(t["servedBy"][-6:])))
PYEOF
tally "$tmp/b2o.out"
stop_peer

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
