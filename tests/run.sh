#!/bin/sh
# Runs every test tier and ends with one line: "N passed, N failed".
# Usage: sh tests/run.sh [shape|unit|golden|realworld|fuzz|py|exec ...]  (from the repo root)
# Environment: BUILD (default build), VALGRIND (a prefix for unit tests),
# F2O_TEST_JOBS (test programs run at once; default three per CPU, at
# least 2; 1 runs them one after the other), F2O_TEST_TIMES (0: no table
# of each job's wall and CPU seconds before the closing line),
# F2O_PEER_ZYGOTE (0: no peer factory for the run, see below).
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
# on peers for minutes, then the CPU-heavy ones); the live fuzz starts
# with the unit tests.
FIRST="tests/exec/kill_phases_test.sh tests/exec/export_test.sh tests/peers/test_svcpol_replay.py tests/exec/moto_test.sh tests/exec/adopt_test.sh tests/peers/test_traffic.py tests/exec/rollback_e2e.sh tests/golden.sh tests/peers/test_peer.py tests/exec/phase_test.sh tests/exec/rollback_fail_test.sh tests/exec/creds_e2e.sh tests/exec/run_e2e.sh tests/exec/preflight_test.sh tests/exec/moto_aas_test.sh tests/exec/kill_test.sh tests/exec/autoscale_test.sh"
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
		# Only the library objects that the gcc replay's link took
		# (its map: FUZZ_KEEP in the Makefile; none: all of them).
		keep=$(sed -n 's/.*lib\(translate\|common\|exec\)\.a(\([A-Za-z0-9_]*\)\.o).*/\2/p' \
		    "$BUILD/tests/replay_fuzz_export.map" 2>/dev/null | sort -u | tr '\n' ' ')
		# Its own make: none of a calling make's variables (make check
		# passes BUILD and sanitizer CFLAGS down through MAKEFLAGS).
		exec env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j"$ncpu" BUILD=build \
		    fuzz FUZZTIME="$ft" FUZZ_TARGETS=fuzz_export \
		    FUZZ_DIR=build/fuzz-smoke FUZZ_OPT=-O0 FUZZ_KEEP="$keep" ;;
	shape) exec sh "$2" --self-test ;;
	cli|golden) exec sh "$2" ;;
	realworld) exec $PY "$2" "$BUILD/f2o-translate" ;;
	py.*) exec $PY "$2" ;;
	exec.*) exec sh "$2" ;;
	esac
}

# The time since boot in seconds (0.01 s), in $_now: read by the shell, not
# a date process per stamp.
now() {
	{ read -r _now _ </proc/uptime; } 2>/dev/null || _now=$(date +%s)
}
# A token per free slot in a FIFO: a job takes one to start and gives it
# back when it ends, so the next one starts at once (no polling).
now; run_t0=$_now
mkfifo "$log/slots"
exec 3<>"$log/slots"
rm -f "$log/slots"
i=0
while [ "$i" -lt "$JOBS" ]; do echo >&3; i=$((i + 1)); done
start_job() { # id program
	read -r _ <&3
	(
		now; t0=$_now
		run_job "$1" "$2" >"$log/$1.out" 2>&1 3>&- </dev/null &
		c=$!
		trap 'kill "$c" 2>/dev/null' INT TERM
		wait "$c"
		echo $? >"$log/$1.rc"
		# Wall and CPU (user + system of the job and everything it
		# waited for: its peers, its f2o runs) for the timing table.
		now
		times >"$log/$1.cpu"
		echo "$t0 $_now" >"$log/$1.wall"
		echo >&3
	) &
	pids="$pids $!"
}
# The unit tests and corpus replays first, on their own (a second or two;
# some measure time, e.g. kill loops and rate limits: they should not share
# the CPU with the peers), then the others. The live fuzz (its clang build,
# CPU alone, no peer) starts with them: the unit tests mostly wait (on
# fsync, on the processes they start), and it goes on after them.
while read -r id prog; do
	[ "$id" = fuzzlive ] && start_job "$id" "$prog"
done <"$log/jobs"
p1=""
while read -r id prog; do
	case $id in unit.*|fuzz.*) start_job "$id" "$prog"; p1="$p1 $!" ;; esac
done <"$log/jobs"
for p in $p1; do wait "$p"; done
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
		now; zyg_t0=$_now
		F2O_PEER_ZYGOTE=$log/peer.zyg
		export F2O_PEER_ZYGOTE
	fi ;;
esac

for f in $FIRST; do
	while read -r id prog; do
		[ "$prog" = "$f" ] && [ "$id" != fuzzlive ] && start_job "$id" "$prog"
	done <"$log/jobs"
done
while read -r id prog; do
	case $id in unit.*|fuzz.*|fuzzlive) continue ;; esac
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
	times >"$log/zygote.cpu"
	now; echo "$zyg_t0 $_now" >"$log/zygote.wall"
	# 143: SIGTERM before its handler was set (a run of seconds)
	if [ "$zrc" -ne 0 ] && [ "$zrc" -ne 143 ]; then
		echo "peer factory: exit $zrc"; cat "$log/zygote.err"
	fi
fi
exec 3>&-

# -- the results, in tier order ------------------------------------------------
# One awk over the jobs' logs (not a grep, sed and tail each: a process
# costs milliseconds here, and this part runs alone at the end). For each
# job, in the order of $log/jobs: its lines below (a failing test's FAIL
# lines, then its output's end), the counts of its
# closing "N passed, N failed" line (unit tests: cmocka's [  PASSED  ] and
# [  FAILED  ] lines) added up; a job with no summary or an exit status
# other than 0 (1 when it left none) fails. Then, unless F2O_TEST_TIMES=0,
# each job's wall and CPU time (user + system of the job and everything it
# waited for), longest wall first: where the run's time goes, and the CPU
# sum it needs. Last the names of the failing ones and the closing line.
now; run_t1=$_now
awk -v dir="$log/" -v fuzztime="${FUZZTIME:-10}" -v times="${F2O_TEST_TIMES:-1}" \
    -v start="$run_t0" -v end="$run_t1" '
function slurp(f,  l, r) { # the lines of file f in L[1..NL]
	NL = 0
	while ((r = (getline l < f)) > 0) L[++NL] = l
	close(f)
}
function tail(n, indent,  i) { for (i = (NL > n ? NL - n + 1 : 1); i <= NL; i++) print indent L[i] }
function last() { return NL ? L[NL] : "" }
function rc_of(id,  r, f) {
	f = dir id ".rc"; r = ""
	if ((getline r < f) <= 0) r = ""
	close(f)
	return r == "" ? 1 : r + 0
}
function fails_named(  i) { # a line "N failed" with N > 0
	for (i = 1; i <= NL; i++) if (L[i] ~ /[1-9][0-9]* failed/) return 1
	return 0
}
function fails_before(k, m,  i, j) { # its first m FAIL lines above line k,
	# each with up to 10 indented lines that follow it (the detail)
	for (i = 1; i <= k && m > 0; i++) if (L[i] ~ /^FAIL/) {
		print L[i]; m--
		for (j = i + 1; j <= k && j <= i + 10 && L[j] ~ /^[ \t]/; j++) print L[j]
	}
}
function has_skipped(  i) { for (i = 1; i <= NL; i++) if (L[i] ~ /^skipped/) return 1; return 0 }
function count(name,  i, line, a) { # the closing "N passed, N failed" line
	line = ""
	for (i = 1; i <= NL; i++) if (L[i] ~ /^[0-9]+ passed, [0-9]+ failed/) line = L[i]
	if (line == "") { fail++; names = names " " name "(no-summary)"; return }
	split(line, a, /[ ,]+/)
	pass += a[1]; fail += a[3]
	if (a[3] > 0) names = names " " name
}
function sec(t,  m) { m = t; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", t); sub(/s$/, "", t); return m * 60 + t }
function timing(id, label,  f, w, c, a, b, l, n) { # one line of the table
	f = dir id ".wall"
	if ((getline w < f) <= 0) { close(f); return }
	close(f)
	f = dir id ".cpu"; c = ""
	while ((getline l < f) > 0) c = l
	close(f)
	if (c == "") return
	split(w, a, " "); split(c, b, " ")
	n = ++NT
	TW[n] = a[2] - a[1]; TC[n] = sec(b[1]) + sec(b[2]) - (label != "" ? CPU0 : 0)
	TN[n] = label != "" ? label : id
	tc += TC[n]
}
{
	id = $1; o = dir id ".out"; rc = rc_of(id); slurp(o)
	if (id ~ /^unit\./) {
		n = substr(id, 6); p = 0; f = 0
		for (i = 1; i <= NL; i++) {
			if (L[i] ~ /^\[  PASSED  \] [0-9]+ test/) { split(L[i], a, " "); p = a[4] + 0 }
			if (L[i] ~ /^\[  FAILED  \] [0-9]+ test/) { split(L[i], a, " "); f = a[4] + 0 }
		}
		if (rc != 0 && f == 0) f = 1
		print "unit " n ": " p " passed, " f " failed"
		if (f > 0) { tail(30, "    "); names = names " " n }
		pass += p; fail += f
	} else if (id ~ /^fuzz\./) {
		n = substr(id, 6)
		if (rc == 0) { print "fuzz corpus " n ": ok"; pass++ }
		else { print "fuzz corpus " n ": FAIL"; tail(20, ""); fail++; names = names " " n }
	} else if (id == "fuzzlive") {
		if (has_skipped()) print "fuzz live fuzz_export: " L[1]
		else if (rc == 0) { print "fuzz live fuzz_export: " fuzztime "s, no crash"; pass++ }
		else { print "fuzz live fuzz_export: FAIL"; tail(30, ""); fail++; names = names " fuzz-live" }
	} else if (id ~ /^(shape|cli|golden|realworld)$/) {
		for (i = 1; i <= NL; i++) if (L[i] !~ /^ok/) print L[i]
		count(id)
	} else if (id ~ /^(py|exec)\./) {
		n = substr(id, index(id, ".") + 1)
		print (id ~ /^py\./ ? "python " : "") n ": " last()
		if (rc != 0) { t = id ~ /^py\./ ? 30 : 40; fails_before(NL - t, 20); tail(t, "") }
		count(n)
		if (rc != 0 && !fails_named()) fail++
	}
	if (times != "0") timing(id, "")
}
END {
	if (times != "0") {
		# the peer factory: every peer'"'"'s CPU (not in its test'"'"'s)
		f = dir "zygote.cpu0"; c = ""
		while ((getline l < f) > 0) c = l
		close(f)
		if (c != "") { split(c, b, " "); CPU0 = sec(b[1]) + sec(b[2]); timing("zygote", "peers(factory)") }
		for (i = 2; i <= NT; i++) for (j = i; j > 1 && TW[j] > TW[j-1]; j--) {
			t = TW[j]; TW[j] = TW[j-1]; TW[j-1] = t
			t = TC[j]; TC[j] = TC[j-1]; TC[j-1] = t
			t = TN[j]; TN[j] = TN[j-1]; TN[j-1] = t }
		print "timing (s):   wall      cpu  job"
		for (i = 1; i <= NT; i++) printf "timing: %8.1f %8.1f  %s\n", TW[i], TC[i], TN[i]
		printf "timing: %d jobs, %.1f s wall, %.1f s cpu in all\n", NT, end - start, tc
	}
	if (names != "") print "failing:" names
	print pass + 0 " passed, " fail + 0 " failed"
	exit (fail > 0)
}' "$log/jobs"
