#!/bin/sh
# Runs every test tier and ends with one line: "N passed, N failed".
# Usage: sh tests/run.sh [shape|unit|golden|realworld|fuzz|py|exec ...]  (from the repo root)
# Environment: BUILD (default build), VALGRIND (a prefix for unit tests).
BUILD=${BUILD:-build}
PY=/usr/bin/python3
TIERS=${*:-"shape unit fuzz cli golden realworld py exec"}
pass=0
fail=0
failed_names=""
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# Add the counts of a tier's closing "N passed, N failed" line.
count() { # name file
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
	if [ -z "$line" ]; then
		fail=$((fail + 1))
		failed_names="$failed_names $1(no-summary)"
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" -gt 0 ] && failed_names="$failed_names $1"
	return 0
}

for tier in $TIERS; do
case $tier in
shape)
	sh tests/tools/check_shape.sh --self-test >"$log/shape" 2>&1
	grep -v '^ok' "$log/shape"; count shape "$log/shape"
	;;
unit)
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		n=$(basename "$t")
		$VALGRIND "$t" >"$log/$n" 2>&1
		rc=$?
		p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log/$n" | sed -E 's/.*\] ([0-9]+) test.*/\1/' | tail -n 1)
		f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log/$n" | sed -E 's/.*\] ([0-9]+) test.*/\1/' | tail -n 1)
		p=${p:-0}; f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		echo "unit $n: $p passed, $f failed"
		[ "$f" -gt 0 ] && { sed 's/^/    /' "$log/$n" | tail -n 30; failed_names="$failed_names $n"; }
		pass=$((pass + p)); fail=$((fail + f))
	done
	;;
fuzz)
	for r in "$BUILD"/tests/replay_fuzz_*; do
		[ -x "$r" ] || continue
		n=$(basename "$r" | sed 's/^replay_//')
		dirs="tests/fuzz/corpus/$n"
		# The export reader also replays the real-world exports.
		[ "$n" = fuzz_export ] && dirs="$dirs fixtures/realworld/services fixtures/realworld/taskdefs fixtures/realworld/securitygroups"
		ok=1
		for d in $dirs; do
			"$r" "$d" >>"$log/$n" 2>&1 || ok=0
		done
		if [ $ok = 1 ]; then
			echo "fuzz corpus $n: ok"; pass=$((pass + 1))
		else
			echo "fuzz corpus $n: FAIL"; tail -n 20 "$log/$n"
			fail=$((fail + 1)); failed_names="$failed_names $n"
		fi
	done
	# A short libFuzzer run of the export reader, when clang can build it
	# (FUZZTIME seconds, default 10; FUZZTIME=0 skips it).
	ft=${FUZZTIME:-10}
	if [ "$ft" = 0 ]; then
		echo "fuzz live: skipped (FUZZTIME=0)"
	elif ! command -v clang >/dev/null 2>&1; then
		echo "fuzz live: skipped (no clang: libFuzzer needs it)"
	elif make -s fuzz FUZZTIME="$ft" FUZZ_TARGETS=fuzz_export >"$log/fuzzlive" 2>&1; then
		echo "fuzz live fuzz_export: ${ft}s, no crash"; pass=$((pass + 1))
	else
		echo "fuzz live fuzz_export: FAIL"; tail -n 30 "$log/fuzzlive"
		fail=$((fail + 1)); failed_names="$failed_names fuzz-live"
	fi
	;;
cli)
	BUILD=$BUILD sh tests/cli/cli.sh >"$log/cli" 2>&1
	grep -v "^ok" "$log/cli"; count cli "$log/cli"
	;;
golden)
	BUILD=$BUILD sh tests/golden.sh >"$log/golden" 2>&1
	grep -v '^ok' "$log/golden"; count golden "$log/golden"
	;;
realworld)
	$PY tests/realworld/run.py "$BUILD/f2o-translate" >"$log/rw" 2>&1
	grep -v '^ok' "$log/rw"; count realworld "$log/rw"
	;;
py)
	for t in tests/peers/test_*.py tests/unit/test_*.py; do
		[ -f "$t" ] || continue
		n=$(basename "$t")
		$PY "$t" >"$log/$n" 2>&1
		rc=$?
		echo "python $n: $(tail -n 1 "$log/$n")"
		if [ $rc -ne 0 ]; then tail -n 30 "$log/$n"; fi
		count "$n" "$log/$n"
		[ $rc -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' "$log/$n" && fail=$((fail + 1))
	done
	;;
exec)
	for t in tests/exec/*.sh tests/report/*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t")
		BUILD=$BUILD sh "$t" >"$log/$n" 2>&1
		rc=$?
		echo "$n: $(tail -n 1 "$log/$n")"
		if [ $rc -ne 0 ]; then tail -n 40 "$log/$n"; fi
		count "$n" "$log/$n"
		[ $rc -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' "$log/$n" && fail=$((fail + 1))
	done
	;;
*)
	echo "unknown tier $tier" >&2; exit 2 ;;
esac
done
[ -n "$failed_names" ] && echo "failing:$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
