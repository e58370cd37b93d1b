#!/bin/sh
# End-to-end for the EC2 security-group steps: f2o-exec (unmodified) replays a
# hand-made bundle (tests/tools/bundlegen.py sg: create a group, ingress rules
# referencing itself and a group of the demo export, egress rules, revoke the
# default allow-all egress) against tests/peers/peer.py seeded with the demo
# export. The peer's state must hold exactly the planned rules; a second run
# must create and change nothing. Prints SKIP when f2o-exec is not built.
# Ends with "N passed, N failed". Usage: sh tests/exec/sg_e2e.sh (repo root)
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc

$PY tests/tools/bundlegen.py sg "$tmp/sg" >/dev/null
if $PY tests/tools/validate_bundle.py "$tmp/sg" >"$tmp/validate.out" 2>&1; then
	ok "sg bundle validates"
else
	bad "sg bundle validates"; sed 's/^/    /' "$tmp/validate.out"
fi
if start_peer sg; then ok "peer started"; else bad "peer started"; fi
if run_exec "$tmp/run1.log" "$tmp/sg"; then
	ok "f2o-exec run (first) exits 0"
else
	bad "f2o-exec run (first) exits $?"; sed 's/^/    /' "$tmp/run1.log" | tail -n 30
fi
state "$tmp/after1.json"
$PY tests/tools/e2e_check.py expect "$tmp/sg" "$tmp/after1.json" >"$tmp/check1.out" 2>&1
tally "$tmp/check1.out"
n=$($PY -c '
import json, sys
s = json.load(open(sys.argv[1]))
g = [g for g in s["ec2"]["securityGroups"] if g["GroupName"] == "sfm-shop-instances"]
r = [r for r in s["ec2"]["securityGroupRules"] if g and r["GroupId"] == g[0]["GroupId"]]
print("%d %d" % (sum(1 for x in r if not x["IsEgress"]), sum(1 for x in r if x["IsEgress"])))
' "$tmp/after1.json")
if [ "$n" = "3 3" ]; then
	ok "new group has 3 ingress and 3 egress rules, no allow-all egress"
else
	bad "new group has 3 ingress and 3 egress rules (got $n)"
fi

if run_exec "$tmp/run2.log" "$tmp/sg"; then
	ok "f2o-exec run (second) exits 0"
else
	bad "f2o-exec run (second) exits $?"; sed 's/^/    /' "$tmp/run2.log" | tail -n 30
fi
state "$tmp/after2.json"
$PY tests/tools/e2e_check.py same "$tmp/after1.json" "$tmp/after2.json" >"$tmp/check2.out" 2>&1
tally "$tmp/check2.out"
stop_peer

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
