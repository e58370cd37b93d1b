#!/bin/sh
# make bench-big (also run by make bench with BENCH_BIG=1): the issue 17
# memory test at scale. An export of BENCH_BIG_SERVICES services (default
# 100000: 110,001 files, 243 MB; made once, niced, by the deterministic
# tests/bench/gen_export.py into BENCH_DIR, default $BUILD/bench) is
# translated to a .tar (BENCH_BIG_OUT=dir: a directory) under
# `ulimit -v BENCH_BIG_VMEM_MIB` (default below: the limit it passes at
# now; lower it as memory work lands, toward the issue's target of 2x the
# input size), then opened and checked by `f2o-exec verify` under
# `ulimit -v BENCH_BIG_VERIFY_VMEM_MIB`. Measured (2026-12-04, 100,000
# services, .tar; the bundle: 3,500,028 files, 3,500,022 steps,
# 7,377,068,544 bytes):
#   first:  f2o-translate 671 s CPU, 4,482 MiB peak RSS (18.9x the input);
#           f2o-exec verify 179 s CPU, 12,838 MiB (it held the archive)
#   later (plan spilled to a temporary file, file list with raw digests,
#   task definitions slimmed; the reader hashes each file where it lies):
#           f2o-translate 91-105 s CPU, 2,042 MiB peak RSS (8.8x);
#           f2o-exec verify 39-41 s CPU, 1,957 MiB peak RSS;
#           both pass under 2,400 MiB of address space.
#   then (the bundle's file list in a temporary file, plan ids and the IAM
#   policy's set in compact slots, services' JSON trees read again from
#   their files when needed instead of held):
#           f2o-translate 94-103 s CPU, 1,036 MiB peak RSS (4.5x) in two runs;
#           passed under 1,300 MiB of address space;
#           f2o-exec verify 50 s CPU, 1,892 MiB peak RSS, under 2,400 MiB.
#   then (task definitions and security groups read again from their files
#   like services; the manifest's head, fingerprints and inputs made late
#   and spilled; report texts spilled in 64 KiB pieces; tables freed when
#   their stage ends; less CPU per request file):
#           f2o-translate 68.7-70.3 s CPU, 333 MiB peak RSS (1.4x) in three
#           runs; passes under 463 MiB of address space, the issue's target
#           of 2x the input (the default below);
#           f2o-exec verify 37-45 s CPU, 1,888 MiB peak RSS, under 2,400 MiB.
#   now (2026-12-05: each input read once, the trees read again from one
#   temporary copy of its bytes): f2o-translate 65.9-66.5 s CPU, 324-325
#   MiB peak RSS (1.4x) in two runs, under 463 MiB; f2o-exec verify 35-50
#   s CPU, 1,888 MiB.
# Prints wall time, CPU time (user + sys) and peak RSS of both, and the
# bundle's files, steps and bytes. Exits 1 when either program fails (over
# the limit, or a cap of BUNDLE.md "Limits" reached), 0 otherwise. Needs
# minutes and gigabytes of memory; run one at a time, niced (BENCH_NICE,
# default 10).
set -eu
BUILD=${BUILD:-build}
N=${BENCH_BIG_SERVICES:-100000}
VMEM=${BENCH_BIG_VMEM_MIB:-463}
XVMEM=${BENCH_BIG_VERIFY_VMEM_MIB:-2400}
OUT=${BENCH_BIG_OUT:-tar}
NICE=${BENCH_NICE:-10}
dir=${BENCH_DIR:-$BUILD/bench}
CFG="--config fixtures/demo/f2o.json"
ex=$dir/export-$N
case $OUT in
tar) bundle=$dir/bundle-big.tar ;;
dir) bundle=$dir/bundle-big ;;
*) echo "BENCH_BIG_OUT: tar or dir" >&2; exit 2 ;;
esac
mkdir -p "$dir"
trap 'rm -rf "$bundle"' EXIT INT TERM

if [ ! -f "$ex/security-groups.json" ]; then
	echo "generating an export of $N services in $ex (minutes, once) ..."
	rm -rf "$ex"
	nice -n "$NICE" /usr/bin/python3 tests/bench/gen_export.py "$ex" "$N"
fi
files=$(find "$ex" -name '*.json' | wc -l)
bytes=$(du -sb "$ex" | cut -f1)

# report WHAT TIMEFILE BYTES OF: "wall s, CPU s (user + sys), peak RSS MiB
# (RSS / BYTES x OF)"
report() {
	read -r e u s kb <"$2"
	awk -v w="$1" -v e="$e" -v u="$u" -v s="$s" -v kb="$kb" \
	    -v inb="$3" -v of="$4" 'BEGIN {
		f = "  %s: %.1f s wall, %.1f s CPU (%.1f user + %.1f sys),"
		f = f " %d MiB peak RSS (%.1f x %s)\n"
		printf f, w, e, u + s, u, s, kb / 1024, kb * 1024 / inb, of
	}' </dev/null
}

rm -rf "$bundle"
echo "export: $N services, $files files, $bytes bytes;" \
    "f2o-translate -o $OUT under ulimit -v $VMEM MiB" \
    "(issue 17 target: RSS <= 2x input = $((bytes * 2 / 1048576)) MiB)"
rc=0
# shellcheck disable=SC2086,SC3045 # dash and bash have ulimit -v
(ulimit -v $((VMEM * 1024)) && exec nice -n "$NICE" /usr/bin/time \
    -f '%e %U %S %M' -o "$dir/t.big" "$BUILD/f2o-translate" $CFG --quiet \
    --ecs-cluster big "$ex" -o "$bundle") >"$dir/big.out" 2>"$dir/big.err" ||
    rc=$?
if [ "$rc" -ne 0 ]; then
	echo "FAIL: f2o-translate exit $rc under ulimit -v $VMEM MiB:"
	grep -v '^Command' "$dir/big.err" | tail -5
	exit 1
fi
report f2o-translate "$dir/t.big" "$bytes" input
if [ "$OUT" = tar ]; then
	bb=$(stat -c %s "$bundle")
else
	bb=$(du -sb "$bundle" | cut -f1)
fi
echo "  bundle: $bb bytes, digest $(cat "$dir/big.out")"

# shellcheck disable=SC3045
(ulimit -v $((XVMEM * 1024)) && exec nice -n "$NICE" /usr/bin/time \
    -f '%e %U %S %M' -o "$dir/t.verify" "$BUILD/f2o-exec" verify \
    "$bundle") >"$dir/verify.out" 2>"$dir/verify.err" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "FAIL: f2o-exec verify exit $rc under ulimit -v $XVMEM MiB:"
	grep -v '^Command' "$dir/verify.err" | tail -5
	exit 1
fi
report "f2o-exec verify" "$dir/t.verify" "$bb" bundle
echo "  $(cat "$dir/verify.out")"
