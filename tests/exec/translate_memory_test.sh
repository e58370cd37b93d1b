#!/bin/sh
# Memory bound of f2o-translate: a generated export of 2,000 services
# (tests/bench/gen_export.py, 4.8 MB, 64,000 steps) is translated to a .tar
# and to a directory under `ulimit -v` LIMIT_MIB (63). Measured (issue 17):
# with the bundle streamed, the run needed 175-190 MiB of address space
# (124-132 MiB peak RSS); with the IAM policy, the PLAN.md security-group
# section and the manifest's peak no longer held whole, 156-160 MiB (106 MiB
# RSS); with report.json/html made a service at a time, the plan's strings
# in an arena and the plan freed before the fingerprints, 136-138 MiB (86
# MiB RSS); with the plan spilled to a temporary file a step at a time,
# the task definitions slimmed once translated and the bundle's file list
# in raw digests with the manifest never whole, 108 MiB (63 MiB RSS); with
# the maps' slots 4 bytes, 104 MiB (56 MiB RSS); with the streamed
# bundle's file list in a temporary file (8-byte slots to find a name),
# the plan's ids in 8-byte slots (their text in the steps or the spill)
# and the IAM policy's set in numbered pairs, 84 MiB (43 MiB RSS); with
# that and the services' JSON trees read again from their files when a
# stage needs them (export_svc_hold) instead of held, 73-76 MiB (34 MiB
# RSS); with the task definitions' trees read again too (export_td_hold),
# the fingerprints kept as their manifest text, buffers of a MiB and more
# in mappings of their own and the heap trimmed once the export is freed,
# 66 MiB (25 MiB RSS); with the manifest's head printed a member at a
# time to a temporary file, the generated texts spilled in 64 KiB pieces,
# the manifest's inputs made late as text and the plan's and the file
# list's maps freed once their last entry is in, 60 MiB (20 MiB RSS);
# before streaming it needed 225-250 MiB (197 MiB RSS). So the limit
# leaves 5% for noise (libraries, malloc; the need is address space, the
# same run to run) and still stops the manifest's text or the maps held
# again (the builds before, with and without the CPU work of 39ab279,
# need 64-65 and fail at 63) or the task definitions' trees, the file
# list, the ids or the services' trees. A control run
# under 56 MiB must fail, so the limit is known to bite, and leave nothing
# (for a directory: no staging directory).
# Ends with "N passed, N failed". Usage: sh tests/exec/translate_memory_test.sh
# (repo root). Environment: BUILD (default build).
BUILD=${BUILD:-build}
T=$BUILD/f2o-translate
N=2000
LIMIT_MIB=63
TMPFS_MIB=1024
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# The export (2,200 files), the .tar (140 MB) and the bundle directory
# (70,000 files, 340 MB) are written, and removed, on a tmpfs when
# /dev/shm has TMPFS_MIB free: on a disk their writes, fsyncs and removal
# cost several times the translator's own CPU. ulimit -v counts the
# process's address space, which files written with write() are not part
# of: the bound measured is the same.
. tests/exec/scratch.inc
unsanitized "$T"
tmp=$(scratch_dir f2o-memtest "$TMPFS_MIB")
trap 'rm -rf "$tmp"' EXIT INT TERM

translate() { # LIMIT_MIB OUT
	# shellcheck disable=SC3045 # dash and bash have ulimit -v
	(ulimit -v $(($1 * 1024)) &&
	    exec "$T" --quiet --config fixtures/demo/f2o.json \
	    --ecs-cluster big "$tmp/export" -o "$2") >"$tmp/out" 2>"$tmp/err"
}

if /usr/bin/python3 tests/bench/gen_export.py "$tmp/export" "$N" >/dev/null
then
	ok "generate $N services"
else
	bad "generate $N services"
fi
if translate "$LIMIT_MIB" "$tmp/b.tar" && [ -s "$tmp/b.tar" ] &&
    grep -Eq '^[0-9a-f]{64}$' "$tmp/out"; then
	ok ".tar under ulimit -v $LIMIT_MIB MiB"
	digest=$(cat "$tmp/out")
	rm -f "$tmp/b.tar"
else
	bad ".tar under ulimit -v $LIMIT_MIB MiB: $(tail -3 "$tmp/err")"
	digest=none
fi
if translate "$LIMIT_MIB" "$tmp/dir" && [ -f "$tmp/dir/manifest.json" ] &&
    [ "$(cat "$tmp/out")" = "$digest" ]; then
	ok "directory under ulimit -v $LIMIT_MIB MiB, same digest"
else
	bad "directory under ulimit -v $LIMIT_MIB MiB: $(tail -3 "$tmp/err")"
fi
steps=$(grep -c '"id":' "$tmp/dir/plan.json" 2>/dev/null || echo 0)
if [ "$steps" -ge $((N * 30)) ]; then
	ok "bundle of $steps steps"
else
	bad "bundle of $steps steps, expected at least $((N * 30))"
fi
# control OUT WHAT: a run under 56 MiB to OUT fails and leaves nothing
# beside it (for a directory, no staging directory: cleanup.c removes it
# when xalloc runs out of memory).
control() {
	if translate 56 "$1"; then
		bad "control: a 56 MiB limit did not stop the run to $2"
	else
		ok "control: a 56 MiB limit stops the run to $2"
	fi
	left=$(find "$tmp" -maxdepth 1 -name "$(basename "$1")*")
	if [ -z "$left" ]; then
		ok "control: nothing left behind by the run to $2"
	else
		bad "control: left behind by the run to $2: $left"
	fi
}
control "$tmp/small.tar" "a .tar"
control "$tmp/small" "a directory"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
