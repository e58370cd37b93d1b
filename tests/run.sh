#!/bin/sh
# Runs every test tier and ends with one line: "N passed, N failed".
# Usage: sh tests/run.sh [shape|unit|golden|realworld|fuzz|py|exec ...]  (from the repo root)
# Environment: BUILD (default build), VALGRIND (a prefix for unit tests),
# F2O_TEST_JOBS (test programs run at once; default three per CPU, at
# least 2; 1 runs them one after the other), F2O_TEST_TIMES (0: no table
# of each job's wall and CPU seconds before the closing line).
#
# Every test program (a unit binary, a corpus replay, a tier script, a
# Python test, an exec script) is one job with its own log; up to
# F2O_TEST_JOBS jobs run at once (most of them wait on loopback peers, not
# on the CPU). When all have ended, the logs are read in tier order, so
# the output and the counts do not depend on which job ended first.
BUILD=${BUILD:-build}
export BUILD
PY=/usr/bin/python3
TIERS=${*:-"shape unit fuzz cli golden realworld py exec"}
ncpu=$(nproc 2>/dev/null || echo 2)
# Three per CPU: most jobs wait on peer delays part of the time. Measured
# on 2 cores (make test, built tree): 4 jobs 152.6 s, 6 jobs 130.6 s,
# 8 jobs 159.2 s (contention costs more CPU than the waits leave free).
JOBS=${F2O_TEST_JOBS:-$((ncpu * 3))}
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=2
# Started first (when selected): the longest programs, so that the run is
# not left waiting on one of them at the end. Only the start order.
# Longest wall first, as measured by the timing table (the jobs that wait
# on peers for minutes, then the CPU-heavy ones); "make" is the live fuzz.
FIRST="tests/exec/kill_phases_test.sh tests/exec/export_test.sh tests/peers/test_svcpol_replay.py tests/exec/moto_test.sh tests/exec/adopt_test.sh make tests/peers/test_traffic.py tests/exec/rollback_e2e.sh tests/golden.sh tests/peers/test_peer.py tests/exec/phase_test.sh tests/exec/rollback_fail_test.sh tests/exec/creds_e2e.sh tests/exec/run_e2e.sh tests/exec/preflight_test.sh tests/exec/moto_aas_test.sh tests/exec/kill_test.sh tests/exec/autoscale_test.sh"
pass=0
fail=0
failed_names=""
log=$(mktemp -d)
pids=""
zyg_pid=""
stop_jobs() {
	for p in $pids $zyg_pid; do kill "$p" 2>/dev/null; done
	wait
}
trap 'rm -rf "$log"' EXIT
trap 'stop_jobs; exit 1' INT TERM

for tier in $TIERS; do
	case $tier in
	shape|unit|fuzz|cli|golden|realworld|py|exec) ;;
	*) echo "unknown tier $tier" >&2; exit 2 ;;
	esac
done

# The byte code of the Python test helpers, compiled once before the jobs:
# a run starts hundreds of Python processes (peers, checkers), and each
# would otherwise compile the peers' modules again when it may not write
# __pycache__ (PYTHONDONTWRITEBYTECODE set; an existing one is still read).
case " $TIERS " in
*" py "*|*" exec "*|*" realworld "*)
	$PY -m compileall -q tests/peers tests/tools tests/exec tests/unit \
	    tests/realworld tests/bench >/dev/null 2>&1 ;;
esac

# -- the jobs ------------------------------------------------------------------
# One line per job in $log/jobs: "id program" (id names its log files:
# $log/ID.out, output; $log/ID.rc, exit status).
for tier in $TIERS; do
case $tier in
unit)
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] && echo "unit.$(basename "$t") $t"
	done ;;
fuzz)
	for r in "$BUILD"/tests/replay_fuzz_*; do
		[ -x "$r" ] && echo "fuzz.$(basename "$r" | sed 's/^replay_//') $r"
	done
	echo "fuzzlive make" ;;
shape) echo "shape tests/tools/check_shape.sh" ;;
cli) echo "cli tests/cli/cli.sh" ;;
golden) echo "golden tests/golden.sh" ;;
realworld) echo "realworld tests/realworld/run.py" ;;
py)
	for t in tests/peers/test_*.py tests/unit/test_*.py; do
		[ -f "$t" ] && echo "py.$(basename "$t") $t"
	done ;;
exec)
	for t in tests/exec/*.sh tests/report/*.sh; do
		[ -f "$t" ] && echo "exec.$(basename "$t") $t"
	done ;;
esac
done >"$log/jobs"

# Run in a background subshell: exec, so that the job's pid is the
# program's own (a SIGTERM reaches it, and its clean-up stops its peers).
run_job() { # id program
	case $1 in
	unit.*) exec $VALGRIND "$2" ;;
	fuzz.*)
		# The export reader also replays the real-world exports.
		n=${1#fuzz.}
		dirs="tests/fuzz/corpus/$n"
		[ "$n" = fuzz_export ] && dirs="$dirs fixtures/realworld/services fixtures/realworld/taskdefs fixtures/realworld/securitygroups"
		for d in $dirs; do "$2" "$d" || exit 1; done
		exit 0 ;;
	fuzzlive)
		# A short libFuzzer run of the export reader, when clang can
		# build it (FUZZTIME seconds, default 10; FUZZTIME=0 skips it),
		# at -O0 in build/fuzz-smoke (make fuzz: -O1 in build/fuzz).
		ft=${FUZZTIME:-10}
		if [ "$ft" = 0 ]; then
			echo "skipped (FUZZTIME=0)"; exit 0
		elif ! command -v clang >/dev/null 2>&1; then
			echo "skipped (no clang: libFuzzer needs it)"; exit 0
		fi
		# Its own make: none of a calling make's variables (make check
		# passes BUILD and sanitizer CFLAGS down through MAKEFLAGS).
		exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j"$ncpu" BUILD=build \
		    fuzz FUZZTIME="$ft" FUZZ_TARGETS=fuzz_export \
		    FUZZ_DIR=build/fuzz-smoke FUZZ_OPT=-O0 ;;
	shape) exec sh "$2" --self-test ;;
	cli|golden) exec sh "$2" ;;
	realworld) exec $PY "$2" "$BUILD/f2o-translate" ;;
	py.*) exec $PY "$2" ;;
	exec.*) exec sh "$2" ;;
	esac
}

# A token per free slot in a FIFO: a job takes one to start and gives it
# back when it ends, so the next one starts at once (no polling).
run_t0=$(date +%s%N)
mkfifo "$log/slots"
exec 3<>"$log/slots"
rm -f "$log/slots"
i=0
while [ "$i" -lt "$JOBS" ]; do echo >&3; i=$((i + 1)); done
start_job() { # id program
	read -r _ <&3
	(
		t0=$(date +%s%N)
		run_job "$1" "$2" >"$log/$1.out" 2>&1 3>&- </dev/null &
		c=$!
		trap 'kill "$c" 2>/dev/null' INT TERM
		wait "$c"
		echo $? >"$log/$1.rc"
		# Wall and CPU (user + system of the job and everything it
		# waited for: its peers, its f2o runs) for the timing table.
		t1=$(date +%s%N)
		times >"$log/$1.cpu"
		echo "$t0 $t1" >"$log/$1.wall"
		echo >&3
	) &
	pids="$pids $!"
}
# The unit tests and corpus replays first, on their own (a second or two;
# some measure time, e.g. kill loops and rate limits: they should not share
# the CPU with the peers), then the others.
while read -r id prog; do
	case $id in unit.*|fuzz.*) start_job "$id" "$prog" ;; esac
done <"$log/jobs"
wait
# One peer factory for the whole run (tests/peers/zygote.py): every test's
# peers, those of the Python tests too, are forks of one Python that
# imported botocore and loaded the models once, instead of one factory
# (or one full start) per test, about half a second of CPU each
# (F2O_PEER_ZYGOTE=0: none; a test run alone starts its own as before).
# Started after the unit tests (they run alone); it listens before its
# imports (a client waits in its backlog) and ends with this shell.
case " $TIERS " in
*" py "*|*" exec "*)
	if [ "${F2O_PEER_ZYGOTE:-}" != 0 ]; then
		$PY tests/peers/peer.py --zygote "$log/peer.zyg" </dev/null \
		    >/dev/null 2>"$log/zygote.err" 3>&- &
		zyg_pid=$!
		zyg_t0=$(date +%s%N)
		F2O_PEER_ZYGOTE=$log/peer.zyg
		export F2O_PEER_ZYGOTE
	fi ;;
esac

for f in $FIRST; do
	while read -r id prog; do
		[ "$prog" = "$f" ] && start_job "$id" "$prog"
	done <"$log/jobs"
done
while read -r id prog; do
	case $id in unit.*|fuzz.*) continue ;; esac
	case " $FIRST " in *" $prog "*) continue ;; esac
	start_job "$id" "$prog"
done <"$log/jobs"
# every job (and its peers' clients) has ended: then the factory
for p in $pids; do wait "$p"; done
if [ -n "$zyg_pid" ]; then
	# its CPU (with its children's, the peers') for the timing table: what
	# this shell's children used more once it has been waited for
	times >"$log/zygote.cpu0"
	kill "$zyg_pid" 2>/dev/null
	wait "$zyg_pid"
	zrc=$?
	times >"$log/zygote.cpu1"
	echo "$zyg_t0 $(date +%s%N)" >"$log/zygote.wall"
	# 143: SIGTERM before its handler was set (a run of seconds)
	if [ "$zrc" -ne 0 ] && [ "$zrc" -ne 143 ]; then
		echo "peer factory: exit $zrc"; cat "$log/zygote.err"
	fi
fi
exec 3>&-

# -- the results, in tier order ------------------------------------------------
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
# Exit status of a job; 1 when it left none (killed, or never ran).
rc_of() { # id
	r=$(cat "$log/$1.rc" 2>/dev/null)
	echo "${r:-1}"
}

while read -r id prog; do
	o="$log/$id.out"
	rc=$(rc_of "$id")
	case $id in
	unit.*)
		n=${id#unit.}
		p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$o" | sed -E 's/.*\] ([0-9]+) test.*/\1/' | tail -n 1)
		f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$o" | sed -E 's/.*\] ([0-9]+) test.*/\1/' | tail -n 1)
		p=${p:-0}; f=${f:-0}
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
		echo "unit $n: $p passed, $f failed"
		[ "$f" -gt 0 ] && { sed 's/^/    /' "$o" | tail -n 30; failed_names="$failed_names $n"; }
		pass=$((pass + p)); fail=$((fail + f))
		;;
	fuzz.*)
		n=${id#fuzz.}
		if [ "$rc" -eq 0 ]; then
			echo "fuzz corpus $n: ok"; pass=$((pass + 1))
		else
			echo "fuzz corpus $n: FAIL"; tail -n 20 "$o"
			fail=$((fail + 1)); failed_names="$failed_names $n"
		fi
		;;
	fuzzlive)
		if grep -q '^skipped' "$o"; then
			echo "fuzz live fuzz_export: $(head -n 1 "$o")"
		elif [ "$rc" -eq 0 ]; then
			echo "fuzz live fuzz_export: ${FUZZTIME:-10}s, no crash"
			pass=$((pass + 1))
		else
			echo "fuzz live fuzz_export: FAIL"; tail -n 30 "$o"
			fail=$((fail + 1)); failed_names="$failed_names fuzz-live"
		fi
		;;
	shape|cli|golden|realworld)
		grep -v '^ok' "$o"; count "$id" "$o"
		;;
	py.*)
		n=${id#py.}
		echo "python $n: $(tail -n 1 "$o")"
		if [ "$rc" -ne 0 ]; then tail -n 30 "$o"; fi
		count "$n" "$o"
		[ "$rc" -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' "$o" && fail=$((fail + 1))
		;;
	exec.*)
		n=${id#exec.}
		echo "$n: $(tail -n 1 "$o")"
		if [ "$rc" -ne 0 ]; then tail -n 40 "$o"; fi
		count "$n" "$o"
		[ "$rc" -ne 0 ] && ! grep -qE '[1-9][0-9]* failed' "$o" && fail=$((fail + 1))
		;;
	esac
done <"$log/jobs"
# Per-job wall and CPU time, longest wall first (F2O_TEST_TIMES=0 leaves
# it out): where the run's time goes, and the CPU sum it needs.
if [ "${F2O_TEST_TIMES:-1}" != 0 ]; then
	while read -r id prog; do
		[ -f "$log/$id.wall" ] && [ -f "$log/$id.cpu" ] || continue
		echo "$id $(cat "$log/$id.wall") $(tail -n 1 "$log/$id.cpu")"
	done <"$log/jobs" | {
		cat
		# the peer factory: every peer's CPU (not in its test's)
		[ -f "$log/zygote.cpu1" ] && echo "peers(factory) $(cat "$log/zygote.wall") $(tail -n 1 "$log/zygote.cpu1") $(tail -n 1 "$log/zygote.cpu0")"
	} | awk -v start="$run_t0" -v end="$(date +%s%N)" '
	function sec(t,  m) { m = t; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", t); sub(/s$/, "", t); return m * 60 + t }
	{ w = ($3 - $2) / 1e9; c = sec($4) + sec($5) - (NF >= 7 ? sec($6) + sec($7) : 0); tc += c
	  line[NR] = sprintf("%8.1f %8.1f  %s", w, c, $1); key[NR] = w }
	END {
		n = NR
		for (i = 2; i <= n; i++) for (j = i; j > 1 && key[j] > key[j-1]; j--) {
			t = key[j]; key[j] = key[j-1]; key[j-1] = t
			t = line[j]; line[j] = line[j-1]; line[j-1] = t }
		print "timing (s):   wall      cpu  job"
		for (i = 1; i <= n; i++) print "timing: " line[i]
		printf "timing: %d jobs, %.1f s wall, %.1f s cpu in all\n", n, (end - start) / 1e9, tc }'
fi
[ -n "$failed_names" ] && echo "failing:$failed_names"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
