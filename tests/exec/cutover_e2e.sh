#!/bin/sh
# End-to-end for the cutover phase (issue 7): translate the demo export (four
# Fargate services, two behind load balancers, one left alone), replay the
# import, then `f2o-exec run --phase cutover` against tests/peers/peer.py.
# The peer's traffic monitor checks that at every moment each exported
# service's traffic (its target groups, or its name / sfm- copy) has at
# least one running, registered task: no gap. The peer drains slowly
# (--drain-seconds 2), so a re-creation sent before the original is
# INACTIVE is refused and shows. After the cutover every service runs on
# EC2 under its own name with what the plan asked, the copies and the
# Fargate originals are gone, nothing was created twice; a second cutover
# run changes nothing. Prints SKIP while f2o-exec has no phases.
# Ends with "N passed, N failed". Usage: sh tests/exec/cutover_e2e.sh
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

if start_peer cut --drain-seconds 2; then ok "peer started"; else bad "peer started"; fi
state "$tmp/s0.json"
JOURNAL="$tmp/cut.journal"
phase "f2o-exec run (import)" "$tmp/import.log" 0 run "$B"
state "$tmp/s1.json"
check_py "$tmp/c1.out" tests/tools/e2e_check.py expect "$B" "$tmp/s1.json"
check_py "$tmp/t1.out" tests/tools/cutover_check.py traffic "$tmp/s1.json"

phase "f2o-exec run --phase cutover" "$tmp/cut1.log" 0 --phase cutover run "$B"
state "$tmp/s2.json"
check_py "$tmp/c2.out" tests/tools/cutover_check.py cutover --seed "$tmp/s0.json" "$B" "$tmp/s2.json"
check_py "$tmp/t2.out" tests/tools/cutover_check.py traffic "$tmp/s2.json"
no_early_create "$tmp/s2.json" "cutover"

# every traffic identity went original -> copy -> new EC2 service
$PY - "$tmp/s2.json" >"$tmp/order.out" 2>&1 <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
for name, t in sorted(s["traffic"].items()):
    if name == "legacy-cron":
        continue
    seq = [h["services"] for h in t["servedBy"]]
    only_copy = any(x == ["sfm-" + name] for x in seq)
    ok = only_copy and seq and seq[-1] == [name]
    print("%s %s: served by the copy alone while the original was replaced, "
          "by %s at the end %s" % ("ok  " if ok else "FAIL", name, name,
                                   "" if ok else json.dumps(seq)))
PYEOF
tally "$tmp/order.out"

# rerun: the journal says DONE, nothing is sent that changes anything
phase "f2o-exec run --phase cutover (again)" "$tmp/cut2.log" 0 --phase cutover run "$B"
state "$tmp/s3.json"
check_py "$tmp/c3.out" tests/tools/cutover_check.py same-final "$tmp/s2.json" "$tmp/s3.json"
check_py "$tmp/t3.out" tests/tools/cutover_check.py traffic "$tmp/s3.json"
stop_peer

# cutover before the import is done is refused and touches nothing
if start_peer early; then ok "peer started (cutover before import)"; else bad "peer started"; fi
JOURNAL="$tmp/early.journal"
f2o "$tmp/early.log" --phase cutover run "$B"
rc=$?
if [ "$rc" -ne 0 ]; then ok "cutover before import refused (exit $rc)"; else bad "cutover before import exits 0"; fi
state "$tmp/e1.json"
check_py "$tmp/e1.out" tests/tools/cutover_check.py exported "$tmp/s0.json" "$tmp/e1.json"
stop_peer

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
