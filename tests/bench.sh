#!/bin/sh
# make bench: translate a large synthetic export (BENCH_SERVICES, default
# 10000 services with their task definitions and security groups; made
# once by the deterministic tests/bench/gen_export.py and kept in
# BENCH_DIR, default build/bench) and compare with `jq .` reading the same
# files, alternating f2o and jq for BENCH_ROUNDS rounds (default 3). Prints
# the medians of wall time and peak RSS, their ratios to jq's, and peak RSS
# over the input size, for directory and .tar output. BENCH_BIG=1 adds the
# 100,000-service memory test, tests/bench_big.sh (also `make bench-big`;
# its variables there): minutes to generate once, minutes to run, and
# gigabytes of memory. Then the f2o-exec benchmark (tests/bench_exec.sh).
# Figures only: nothing here passes or fails on speed. Issue 17 targets:
# time <= 0.5x jq, peak RSS <= 2x the input size.
set -eu
BUILD=${BUILD:-build}
N=${BENCH_SERVICES:-10000}
ROUNDS=${BENCH_ROUNDS:-3}
BIG=${BENCH_BIG_SERVICES:-100000}
dir=${BENCH_DIR:-$BUILD/bench}
CFG="--config fixtures/demo/f2o.json"
mkdir -p "$dir"

export_of() { # N: make build/bench/export-N once
	if [ ! -f "$dir/export-$1/security-groups.json" ]; then
		echo "generating an export of $1 services in $dir/export-$1 ..."
		rm -rf "$dir/export-$1"
		/usr/bin/python3 tests/bench/gen_export.py "$dir/export-$1" "$1"
	fi
}

# Where the bundles go: BENCH_OUT, else a tmpfs (/dev/shm, with 4 GiB
# free) when there is one, else $dir. On this VM's ext4, which has no
# journal, the inode allocator checks every free inode it passes for a
# recent deletion (Linux ext4 find_inode_bit -> recently_deleted: within
# 60 s, or 360 s while the inode table block is dirty) and skips it: for
# minutes after a 350,000-file bundle is deleted, each new file scans past
# the deleted ones. Measured (10k services, perf: find_inode_bit 40% of the
# samples): a directory translation took 37-61 s wall, 26-39 s sys, where
# it takes 8.8 s (3.7 s sys) on tmpfs; user time 5.7-6.3 s throughout. A
# tmpfs measures the translator, not the state of the disk.
out_dir() {
	if [ -n "${BENCH_OUT:-}" ]; then
		echo "$BENCH_OUT"
	elif [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
	    [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -gt 4194304 ]
	then
		echo "/dev/shm/f2o-bench.$$"
	else
		echo "$dir"
	fi
}

# run TAG CMD...: append "seconds KiB cpu-seconds" of one run to $dir/t.TAG
run() {
	tag=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$dir/t.one" "$@" >/dev/null
	awk '{ print $1, $2, $3 + $4 }' "$dir/t.one" >>"$dir/t.$tag"
}

f2o() { # TAG OUT
	# shellcheck disable=SC2086
	run "$1" "$BUILD/f2o-translate" $CFG --quiet --ecs-cluster big \
	    "$dir/export-$N" -o "$2"
}

# floor BUNDLE: append to $dir/t.floor the seconds that only hashing
# (SHA-256, as the manifest needs) and writing the bundle's bytes once take,
# with no JSON work at all: what any translator producing these bytes pays.
floor() {
	fb=$(wc -c <"$1")
	/usr/bin/time -f '%e' -o "$dir/t.sha" openssl dgst -sha256 "$1" \
	    >/dev/null
	/usr/bin/time -f '%e' -o "$dir/t.wr" sh -c \
	    "head -c $fb /dev/zero >'$out/floor.tmp'"
	rm -f "$out/floor.tmp"
	echo "$(cat "$dir/t.sha") $(cat "$dir/t.wr")" |
	    awk '{ print $1 + $2 }' >>"$dir/t.floor"
}

median() { # TAG FIELD(1 time, 2 KiB)
	cut -d' ' -f"$2" "$dir/t.$1" | sort -n |
	    awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

export_of "$N"
files=$(find "$dir/export-$N" -name '*.json' | wc -l)
bytes=$(du -sb "$dir/export-$N" | cut -f1)
find "$dir/export-$N" -name '*.json' -print0 | sort -z >"$dir/list"
rm -f "$dir/t.tar" "$dir/t.dir" "$dir/t.jq" "$dir/t.floor"
out=$(out_dir)
mkdir -p "$out"
# Each round writes to paths of its own. On a tmpfs they are removed after
# the round (a tmpfs frees at once); elsewhere all at the end, after the
# measurements (see out_dir on deleting many files).
rm -rf "$out"/bundle-*
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	f2o tar "$out/bundle-$i.tar"
	floor "$out/bundle-$i.tar"
	run jq sh -c "xargs -0 jq . <'$dir/list'"
	f2o dir "$out/bundle-$i"
	run jq sh -c "xargs -0 jq . <'$dir/list'"
	if [ "$i" -gt 0 ] && [ "$out" != "$dir" ]; then
		rm -rf "$out/bundle-$i" "$out/bundle-$i.tar"
	fi
	i=$((i + 1))
done
steps=$(grep -c '"id":' "$out/bundle-0/plan.json" || true)
jq_s=$(median jq 1)
jq_kb=$(median jq 2)
echo "export: $N services, $files files, $bytes bytes; bundle: $steps steps," \
    "$(du -sb "$out/bundle-0.tar" | cut -f1) bytes as .tar"
echo "bundles written to $out ($(stat -f -c %T "$out")); medians of $ROUNDS" \
    "rounds, f2o and jq alternating:"
echo "  jq . (same files): ${jq_s} s wall ($(median jq 3) s CPU)," \
    "$((jq_kb / 1024)) MiB peak RSS"
for o in tar dir; do
	s=$(median $o 1)
	kb=$(median $o 2)
	awk -v o="$o" -v s="$s" -v kb="$kb" -v js="$jq_s" -v jkb="$jq_kb" \
	    -v inb="$bytes" -v cpu="$(median $o 3)" 'BEGIN {
		f = "  f2o -o %s: %.2f s wall (%.2f s CPU), %d MiB peak RSS;"
		f = f " ratio to jq: time %.2f, RSS %.1f; RSS / input size %.1f\n"
		printf f, (o == "tar" ? "bundle.tar" : "directory"), s, cpu,
		    kb / 1024, (js > 0 ? s / js : 0), (jkb > 0 ? kb / jkb : 0),
		    kb * 1024 / inb }'
done
awk -v f="$(median floor 1)" -v js="$jq_s" 'BEGIN {
	printf "  floor: SHA-256 and one write of the .tar'"'"'s bytes, no JSON work:"
	printf " %.2f s wall, %.2fx jq\n", f, (js > 0 ? f / js : 0) }'
# Where the time goes: one more .tar run with F2O_TIMINGS (stage wall and
# CPU seconds, translate/timing.h), each stage's wall time also over jq's.
rm -f "$dir/t.stages"
# shellcheck disable=SC2086
F2O_TIMINGS="$dir/t.stages" "$BUILD/f2o-translate" $CFG --quiet \
    --ecs-cluster big "$dir/export-$N" -o "$out/bundle-stages.tar" >/dev/null
rm -f "$out/bundle-stages.tar"
echo "  where the time goes (one more .tar run, F2O_TIMINGS):"
awk -v js="$jq_s" '{
	printf "    %-18s %6.2f s wall %6.2f s CPU  %5.2fx jq\n", $1, $2, $3,
	    (js > 0 ? $2 / js : 0) }' "$dir/t.stages"
echo "  (targets, issue 17: time <= 0.5x jq, RSS <= 2x the input size)"
rm -rf "$out"/bundle-*
if [ "$out" != "$dir" ] && [ -z "${BENCH_OUT:-}" ]; then rmdir "$out"; fi

if [ "${BENCH_BIG:-0}" = 1 ]; then
	BUILD=$BUILD BENCH_DIR=$dir sh tests/bench_big.sh
else
	echo "(BENCH_BIG=1 adds the $BIG-service memory test, make bench-big)"
fi
# f2o-exec against the peers (figures only): tests/bench_exec.sh
BUILD=$BUILD sh tests/bench_exec.sh
