#!/bin/sh
# f2o-translate stopped half-way (SIGTERM, SIGINT, SIGHUP, as a CI job's
# timeout or Ctrl-C stop it) dies of the signal and leaves nothing beside
# its output: no staging directory, no temporary archive; a bundle it was
# replacing (--force) stays as it was. A signal ignored when it started
# (nohup) stays ignored. A generated export of 2,000 services
# (tests/bench/gen_export.py) gives each run about a second; the signal is
# sent once the staging directory or the temporary archive exists (a
# bounded wait for it, not a sleep; a run that ended first, as one may
# while the archive's short window passes, is started again, at most 5
# times). Ends with "N passed, N failed".
# Usage: sh tests/exec/translate_signal_test.sh (repo root). Environment:
# BUILD (default build).
BUILD=${BUILD:-build}
T=$BUILD/f2o-translate
N=2000
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

. tests/exec/scratch.inc
tmp=$(scratch_dir f2o-sigtest 1024)
trap 'rm -rf "$tmp"' EXIT INT TERM

if /usr/bin/python3 tests/bench/gen_export.py "$tmp/export" "$N" >/dev/null
then
	ok "generate $N services"
else
	bad "generate $N services"
fi

# appears GLOB DONE: wait until a path matching GLOB exists (0), or DONE
# does (1: the run ended first), at most 20 s.
appears() {
	i=0
	while [ $i -lt 2000 ]; do
		for p in $1; do
			[ -e "$p" ] && return 0
		done
		[ -e "$2" ] && return 1
		sleep 0.01
		i=$((i + 1))
	done
	return 1
}

# stop SIG OUT GLOB [extra options]: start a translation to OUT, send SIG
# once GLOB exists; sets rc (the exit status) and seen (GLOB was there).
# A run that ended before GLOB was seen (a short window, a busy machine)
# is started again, at most 5 times.
stop() {
	sig=$1 out=$2 glob=$3
	shift 3
	try=0
	while [ $try -lt 5 ]; do
		rm -rf "$out"
		"$T" --quiet --config fixtures/demo/f2o.json --ecs-cluster big \
		    "$@" "$tmp/export" -o "$out" >"$tmp/out" 2>"$tmp/err" &
		pid=$!
		seen=no
		appears "$glob" "$out" && seen=yes
		kill -"$sig" "$pid" 2>/dev/null
		wait "$pid"
		rc=$?
		[ $seen = yes ] && [ $rc != 0 ] && return
		try=$((try + 1))
	done
}

left() { # what is left beside the outputs but the export
	find "$tmp" -mindepth 1 -maxdepth 1 ! -name export ! -name out \
	    ! -name err ! -name keep | sort | tr '\n' ' '
}

stop TERM "$tmp/d" "$tmp/d.tmp-*"
if [ $seen = yes ] && [ $rc = 143 ] && [ -z "$(left)" ]; then
	ok "SIGTERM while staging a directory: dies of it (143), nothing left"
else
	bad "SIGTERM while staging a directory: seen $seen, rc $rc, left: $(left)"
fi
stop HUP "$tmp/d" "$tmp/d.tmp-*/requests/rb"
if [ $seen = yes ] && [ $rc = 129 ] && [ -z "$(left)" ]; then
	ok "SIGHUP with thousands of files staged: dies of it (129), nothing left"
else
	bad "SIGHUP with files staged: seen $seen, rc $rc, left: $(left)"
fi
stop TERM "$tmp/b.tar" "$tmp/.b.tar.*"
if [ $seen = yes ] && [ $rc = 143 ] && [ -z "$(left)" ]; then
	ok "SIGTERM while the archive is written: dies of it, nothing left"
else
	bad "SIGTERM while the archive is written: seen $seen, rc $rc, left: $(left)"
fi

# SIGINT (Ctrl-C), replacing a bundle with --force: the old one stays.
# A shell starts a background job with SIGINT ignored: env sets it back.
mkdir -p "$tmp/keep"
"$T" --quiet --config fixtures/demo/f2o.json fixtures/demo -o "$tmp/keep/b" \
    >"$tmp/keep/digest" 2>/dev/null
env --default-signal=INT "$T" --quiet --config fixtures/demo/f2o.json \
    --ecs-cluster big --force "$tmp/export" -o "$tmp/keep/b" >/dev/null 2>&1 &
pid=$!
appears "$tmp/keep/b.tmp-*" /nonexistent && seen=yes || seen=no
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
now=$(cat "$tmp/keep/b/manifest.json" 2>/dev/null | sha256sum | cut -c1-64)
if [ $seen = yes ] && [ $rc = 130 ] &&
    [ "$now" = "$(cat "$tmp/keep/digest")" ] &&
    [ "$(ls "$tmp/keep" | tr '\n' ' ')" = "b digest " ]; then
	ok "SIGINT while replacing a bundle: dies of it (130), the old bundle intact, nothing else left"
else
	bad "SIGINT while replacing a bundle: seen $seen, rc $rc, left: $(ls "$tmp/keep" | tr '\n' ' ')"
fi
rm -rf "$tmp/keep"

# Started with SIGHUP ignored (nohup): a hang-up does not stop it.
env --ignore-signal=HUP "$T" --quiet --config fixtures/demo/f2o.json \
    --ecs-cluster big "$tmp/export" -o "$tmp/h" >"$tmp/out" 2>"$tmp/err" &
pid=$!
appears "$tmp/h.tmp-*" "$tmp/h" && seen=yes || seen=no
kill -HUP "$pid" 2>/dev/null
wait "$pid"
rc=$?
if [ $seen = yes ] && [ $rc = 0 ] && [ -f "$tmp/h/manifest.json" ]; then
	ok "SIGHUP ignored when started (nohup): the bundle is written"
else
	bad "SIGHUP ignored when started: seen $seen, rc $rc"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
