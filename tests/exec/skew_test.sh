#!/bin/sh
# Clock skew: the peer's clock runs 30 minutes ahead of (then behind) ours,
# beyond the 15 minutes it accepts in X-Amz-Date, so the first signed
# request is refused (ECS "Signature expired" / "not yet current", EC2
# RequestExpired). f2o-exec must correct its signing clock from the reply's
# Date header, log the skew once, re-sign and finish; nothing created twice.
# Ends with "N passed, N failed". Usage: sh tests/exec/skew_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0
. tests/exec/peerlib.inc
check() { if eval "$2"; then ok "$1"; else bad "$1"; [ -n "${3:-}" ] && sed "s/^/    /" "$3" | tail -n 15; fi; }

"$T" --quiet --config fixtures/demo/f2o.json fixtures/demo -o "$tmp/bundle" \
    >/dev/null 2>"$tmp/translate.err" || { bad "translate demo"; echo "$pass passed, $fail failed"; exit 1; }

for case in "1800 behind" "-1800 ahead of"; do
	off=${case%% *}; word=${case#* }
	start_peer "skew$off" --clock-offset "$off" || { bad "peer starts"; continue; }
	F2O_EXEC_ARGS="--journal $tmp/journal$off" run_exec "$tmp/run$off.log" "$tmp/bundle"; rc=$?
	check "peer clock $off s: run exits 0" "[ $rc = 0 ]" "$tmp/run$off.log"
	n=$(grep -cE "clock skew: local clock is 1(799|800|801) s $word AWS; signing with corrected time" "$tmp/run$off.log")
	check "peer clock $off s: skew logged once ($n)" "[ $n = 1 ]" "$tmp/run$off.log"
	state "$tmp/state$off.json"
	$PY tests/tools/e2e_check.py expect "$tmp/bundle" "$tmp/state$off.json" >"$tmp/check$off.out" 2>&1
	# The skew refusals are expected; every other check must pass.
	grep -v '^FAIL no request rejected for auth or shape' "$tmp/check$off.out" >"$tmp/check$off.rest"
	check "peer clock $off s: the peer's state is what the plan says" \
	    "! grep -q '^FAIL' $tmp/check$off.rest && grep -q '^ok ' $tmp/check$off.rest" "$tmp/check$off.rest"
	# Only skew refusals, at most one per request in flight (4 workers);
	# none when the preflight's STS call (not counted here) took it.
	$PY -c 'import json,sys
e = json.load(open(sys.argv[1]))["requests"].get("errors", {})
skew = ("InvalidSignatureException", "RequestExpired")
n = sum(v for k, v in e.items() if k.rsplit(" ", 1)[-1] in skew)
auth = {k: v for k, v in e.items() if k.rsplit(" ", 1)[-1] not in skew and
        ("Signature" in k or "Auth" in k or "Expired" in k)}
print(n, auth)
sys.exit(0 if 0 <= n <= 8 and not auth else 1)' "$tmp/state$off.json" >"$tmp/rej$off.out" 2>&1
	rc=$?
	check "peer clock $off s: only the first requests refused for skew ($(cat "$tmp/rej$off.out"))" "[ $rc = 0 ]"
	stop_peer
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
