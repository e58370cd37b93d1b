#!/bin/sh
# f2o-exec's Application Auto Scaling and CloudWatch steps against moto (a
# second opinion next to tests/exec/autoscale_test.sh's loopback peers):
# moto (with tests/moto/moto_serve.py's --steady stand-in for the task
# lifecycle) holds the demo export and its autoscaling (fixtures/autoscaling:
# targets, target-tracking and step policies, scheduled actions, alarms,
# put through boto3 by tests/moto/moto_aas.py); the bundle is translated
# from that export as moto holds it. The import is checked in moto with
# tests/exec/autoscale_check.py (the copies carry the originals' targets,
# policies, scheduled actions and alarms, the alarms pointing at the copies'
# policy ARNs), then the import's rollback (nothing of f2o's left, the
# originals' scaling untouched). The cutover is not run here: moto answers a
# DeregisterScalableTarget of a missing target with ValidationException, not
# AWS's ObjectNotFoundException (tests/moto/README.md).
# Needs a Python with moto and boto3; prints SKIP without one.
# Usage: sh tests/exec/moto_aas_test.sh (repo root). Environment: BUILD,
# MOTO_PYTHON.
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/motolib.inc

RATES="--rate-limit ecs=100/100 --rate-limit ec2=100/100 --rate-limit spot=100/100 --rate-limit ecs-read=100/100 --rate-limit application-autoscaling=100/100 --rate-limit cloudwatch=100/100"
MPOLL=0.2
mstate() { # label phase: moto's autoscaling state, checked
	mpy /dev/null "$tmp/$1.err" moto_aas state "$MOTO" "$tmp/$1.json" ||
	    { bad "$1: boto3 state of moto"; tail -n 5 "$tmp/$1.err"; return 0; }
	# moto's DeregisterScalableTarget leaves the target's policies,
	# scheduled actions and alarms (tests/moto/README.md)
	check_py "$tmp/$1.check" tests/exec/autoscale_check.py "$tmp/$1.json" \
	    "$tmp/aas" "$2" "" dereg
}
check_py() { # output-file checker args...
	out=$1; shift
	$PY "$@" >"$out" 2>&1
	tally "$out"
	grep -qE '^(ok|FAIL) ' "$out" || { bad "checker ran: $*"; tail -n 20 "$out"; }
}

moto_start --steady
if start_peer spot; then ok "Spot peer started"; else bad "Spot peer started"; fi
if mpy "$tmp/ids.json" "$tmp/seed.err" moto_seed "$MOTO" fixtures/demo "$tmp/export" &&
    mpy "$tmp/arns.json" "$tmp/aas.err" moto_aas seed "$MOTO" fixtures/autoscaling "$tmp/aas"; then
	ok "moto seeded with the demo export and its autoscaling"
else
	bad "seeding moto"; tail -n 20 "$tmp/seed.err" "$tmp/aas.err"
	echo "$pass passed, $fail failed"; exit 1
fi
if "$T" --quiet --config fixtures/demo/f2o.json "$tmp/export/services.json" \
    "$tmp/export/taskdefs" "$tmp/export/security-groups.json" \
    "$tmp/aas/scalable-targets.json" "$tmp/aas/scaling-policies.json" \
    "$tmp/aas/scheduled-actions.json" "$tmp/aas/alarms.json" \
    -o "$tmp/bundle" >"$tmp/translate.out" 2>&1; then
	ok "translate the export as moto holds it"
else
	bad "translate"; sed 's/^/    /' "$tmp/translate.out" | tail -n 20
	echo "$pass passed, $fail failed"; exit 1
fi
mstate moto-export export

mrun "$tmp/import.log" --parallel 4 run "$tmp/bundle"
rc=$?
n=$(grep -cE '^ok +(as|cw)/sfm-' "$tmp/import.log")
if [ "$rc" -eq 0 ] && [ "$n" -gt 0 ]; then
	ok "import against moto: exit 0, $n Application Auto Scaling / CloudWatch steps done"
else
	bad "import against moto: exit $rc, $n scaling steps"; sed 's/^/    /' "$tmp/import.log" | tail -n 30
fi
mstate moto-import import

mrun "$tmp/rollback.log" --parallel 4 rollback "$tmp/bundle"
rc=$?
if [ "$rc" -eq 0 ]; then ok "rollback of the import against moto: exit 0"
else bad "rollback against moto: exit $rc"; sed 's/^/    /' "$tmp/rollback.log" | tail -n 30; fi
mstate moto-rollback rollback

moto_stop
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
