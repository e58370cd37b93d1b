#!/bin/sh
# shellcheck disable=SC2086  # PEER_OPTS / MID_PEER_OPTS are split on purpose
# Kill test of the cutover and rollback phases (issues 6 and 7): f2o-exec
# is killed from outside with SIGKILL at several points (counted in
# requests answered by the peer, spread over an uninterrupted run) and
# then resumed from its journal. Each case starts a fresh peer seeded with
# the demo export and a fresh journal:
#   cutover:  import, cutover killed at point k, cutover rerun until it
#             exits 0 -> same final state and the same creation counts as
#             the uninterrupted cutover, no traffic gap;
#   rollback: import, cutover, rollback killed at point k, rollback rerun
#             -> same as the uninterrupted rollback, i.e. the exported
#             state, no traffic gap;
#   cutover then rollback: cutover killed at point k, then rollback
#             (rollback from any point) -> the exported state, no gap.
# KILL_POINTS (default 4) points per kind; each resume is retried at most
# 5 times, 1 s apart. Takes about 4 minutes. Prints SKIP while f2o-exec has no phases.
# Ends with "N passed, N failed". Usage: sh tests/exec/kill_phases_test.sh
# Environment: BUILD, F2O_EXEC_ARGS (default --parallel 4), KILL_POINTS.
BUILD=${BUILD:-build}
PY=/usr/bin/python3
F2O_EXEC_ARGS=${F2O_EXEC_ARGS---parallel 4}
K=${KILL_POINTS:-4}
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/phaselib.inc
need_phases
translate_demo
B="$tmp/bundle.orig"
PEER_OPTS="--drain-seconds 1.5"
# longer draining for the kills before a rollback: a kill between a
# DeleteService and its INACTIVE leaves the name DRAINING for a while;
# tasks stop faster than they start, so a copy scaled down before the
# recreated service runs always shows as a gap
MID_PEER_OPTS="--drain-seconds 3 --stop-seconds 0.2"

count() { $PY -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1] + "/_f2o/count", timeout=10))["total"])' "$AWS_URL"; }

# f2o-exec killed once the peer has answered request number $1 (absolute)
f2o_kill() { # at log args...
	at=$1; lf=$2; shift 2
	h="$tmp/home-$(basename "$JOURNAL")"
	mkdir -p "$h"
	# shellcheck disable=SC2086
	$PY tests/tools/kill_at.py --url "$AWS_URL" --at "$at" --timeout 300 \
	    --log "$lf" -- env -i PATH="$PATH" HOME="$h" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --poll-interval "$POLL" --journal "$JOURNAL" $F2O_EXEC_ARGS "$@"
}

# rerun until exit 0 (at most 5 times); ok/FAIL line
resume() { # label log args...
	label=$1; lf=$2; shift 2
	i=0
	while :; do
		i=$((i + 1))
		f2o "$lf.$i" "$@"
		rc=$?
		if [ "$rc" -eq 0 ] || [ "$i" -ge 5 ]; then break; fi
		sleep 1		# an operator's rerun is not instantaneous
	done
	if [ "$rc" -eq 0 ]; then
		ok "$label: resumed to exit 0 in $i run(s)"
	else
		bad "$label: resume exits $rc after $i runs"
		sed 's/^/    /' "$lf.$i" | tail -n 20
	fi
}

# -- reference: uninterrupted runs ------------------------------------------
if ! start_peer ref $PEER_OPTS; then bad "peer started (reference)"; fi
state "$tmp/ref0.json"
JOURNAL="$tmp/ref.journal"
phase "reference import" "$tmp/ref-import.log" 0 run "$B"
c0=$(count)
phase "reference cutover" "$tmp/ref-cut.log" 0 --phase cutover run "$B"
c1=$(count)
state "$tmp/ref-cut.json"
phase "reference rollback" "$tmp/ref-rb.log" 0 rollback "$B"
c2=$(count)
state "$tmp/ref-rb.json"
stop_peer
ncut=$((c1 - c0)); nrb=$((c2 - c1))
echo "note reference: cutover $ncut requests, rollback $nrb requests"
if [ "$ncut" -lt 2 ] || [ "$nrb" -lt 2 ]; then
	bad "reference runs sent requests"
	echo "$pass passed, $fail failed"; exit 1
fi

k=1
while [ "$k" -le "$K" ]; do
	# -- cutover killed at point k, resumed --------------------------------
	n=$(( (ncut * k) / (K + 1) )); [ "$n" -lt 1 ] && n=1
	name="cut$k"
	if start_peer "$name" $PEER_OPTS; then :; else bad "$name: peer started"; fi
	JOURNAL="$tmp/$name.journal"
	f2o "$tmp/$name-import.log" run "$B" || bad "$name: import"
	base=$(count)
	r=$(f2o_kill $((base + n)) "$tmp/$name-killed.log" --phase cutover run "$B")
	echo "note $name: cutover $r (point $n of $ncut)"
	resume "$name: cutover killed at request $n" "$tmp/$name-resume.log" --phase cutover run "$B"
	state "$tmp/$name.json"
	check_py "$tmp/$name.same" tests/tools/cutover_check.py same-final "$tmp/ref-cut.json" "$tmp/$name.json"
	check_py "$tmp/$name.traffic" tests/tools/cutover_check.py traffic "$tmp/$name.json"
	stop_peer

	# -- rollback (after a full cutover) killed at point k, resumed ----------
	n=$(( (nrb * k) / (K + 1) )); [ "$n" -lt 1 ] && n=1
	name="rb$k"
	if start_peer "$name" $PEER_OPTS; then :; else bad "$name: peer started"; fi
	state "$tmp/$name-0.json"
	JOURNAL="$tmp/$name.journal"
	f2o "$tmp/$name-import.log" run "$B" || bad "$name: import"
	f2o "$tmp/$name-cut.log" --phase cutover run "$B" || bad "$name: cutover"
	base=$(count)
	r=$(f2o_kill $((base + n)) "$tmp/$name-killed.log" rollback "$B")
	echo "note $name: rollback $r (point $n of $nrb)"
	resume "$name: rollback killed at request $n" "$tmp/$name-resume.log" rollback "$B"
	state "$tmp/$name.json"
	check_py "$tmp/$name.same" tests/tools/cutover_check.py same-final "$tmp/ref-rb.json" "$tmp/$name.json"
	check_py "$tmp/$name.exp" tests/tools/cutover_check.py exported "$tmp/$name-0.json" "$tmp/$name.json"
	check_py "$tmp/$name.traffic" tests/tools/cutover_check.py traffic "$tmp/$name.json"
	stop_peer

	# -- cutover killed at point k, then rollback instead of resuming -----
	n=$(( (ncut * k) / (K + 1) )); [ "$n" -lt 1 ] && n=1
	name="mid$k"
	if start_peer "$name" $MID_PEER_OPTS; then :; else bad "$name: peer started"; fi
	state "$tmp/$name-0.json"
	JOURNAL="$tmp/$name.journal"
	f2o "$tmp/$name-import.log" run "$B" || bad "$name: import"
	base=$(count)
	r=$(f2o_kill $((base + n)) "$tmp/$name-killed.log" --phase cutover run "$B")
	echo "note $name: cutover $r (point $n of $ncut), then rollback"
	resume "$name: rollback after a cutover killed at request $n" "$tmp/$name-rb.log" rollback "$B"
	state "$tmp/$name.json"
	check_py "$tmp/$name.exp" tests/tools/cutover_check.py exported "$tmp/$name-0.json" "$tmp/$name.json"
	check_py "$tmp/$name.traffic" tests/tools/cutover_check.py traffic "$tmp/$name.json"
	no_early_create "$tmp/$name.json" "$name"
	stop_peer
	k=$((k + 1))
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
