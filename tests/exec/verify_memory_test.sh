#!/bin/sh
# Memory bound of f2o-exec's bundle reader (issue 17): the demo bundle with
# its PLAN.md grown to BIG_MIB (256) MiB, as a .tar, a .tar.gz and a
# directory, must pass `f2o-exec verify` under `ulimit -v` LIMIT_MIB (96),
# well below the archive: the reader hashes each file a piece at a time and
# keeps only where it is. Reading the whole archive into memory (as before:
# 12.8 GB of RSS for the 7.4 GB .tar of 100,000 services) cannot pass. Also:
# a .tar truncated inside PLAN.md and a changed byte in it are refused naming
# PLAN.md, and a control run under CONTROL_MIB (16) must fail, so the limit
# is known to bite. Measured (2026-12-04): f2o-exec verify of the demo bundle
# needs 48-64 MiB of address space (mostly its libraries), the whole-archive
# reader (main at 608026d) runs out of memory here under LIMIT_MIB. Ends
# with "N passed, N failed". Usage: sh tests/exec/verify_memory_test.sh
# (repo root). Environment: BUILD.
BUILD=${BUILD:-build}
T=$BUILD/f2o-translate
X=$BUILD/f2o-exec
BIG_MIB=256
LIMIT_MIB=96
CONTROL_MIB=16
TMPFS_MIB=1024
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

# The bundles (about 3 x BIG_MIB) go to a tmpfs when /dev/shm has room:
# ulimit -v counts the process's address space, not the files it reads.
. tests/exec/scratch.inc
unsanitized "$T" "$X"
tmp=$(scratch_dir f2o-verifymem "$TMPFS_MIB")
trap 'rm -rf "$tmp"' EXIT INT TERM

verify() { # LIMIT_MIB BUNDLE
	# shellcheck disable=SC3045 # dash and bash have ulimit -v
	(ulimit -v $(($1 * 1024)) && exec "$X" verify "$2") \
	    >"$tmp/out" 2>"$tmp/err"
}

"$T" --quiet --config fixtures/demo/f2o.json fixtures/demo -o "$tmp/b" \
    >/dev/null 2>&1
# PLAN.md grown to BIG_MIB MiB of text, its digest in the manifest.
if /usr/bin/python3 - "$tmp/b" "$BIG_MIB" <<'EOF'
import hashlib, json, sys
root, mib = sys.argv[1], int(sys.argv[2])
line = b"| a row of a very long review of the plan, to be read |\n"
chunk = line * ((1 << 20) // len(line) + 1)
chunk = chunk[:1 << 20]
h = hashlib.sha256()
with open(root + "/PLAN.md", "wb") as f:
    for _ in range(mib):
        f.write(chunk)
        h.update(chunk)
with open(root + "/manifest.json") as f:
    m = json.load(f)
m["files"]["PLAN.md"] = h.hexdigest()
with open(root + "/manifest.json", "w") as f:
    json.dump(m, f, indent="\t")
EOF
then
	ok "demo bundle with a $BIG_MIB MiB PLAN.md"
else
	bad "demo bundle with a $BIG_MIB MiB PLAN.md"
fi
(cd "$tmp/b" && find . -type f ! -name manifest.json | sed 's,^\./,,' |
    sort >"$tmp/list" && tar --format=pax -cf "$tmp/b.tar" manifest.json \
    -T "$tmp/list" && gzip -1 -c "$tmp/b.tar" >"$tmp/b.tar.gz")
size=$(stat -c %s "$tmp/b.tar" 2>/dev/null || echo 0)
if [ "$size" -gt $((LIMIT_MIB * 2 * 1048576)) ]; then
	ok "the .tar ($size bytes) is over twice the limit"
else
	bad "the .tar is $size bytes, not over twice $LIMIT_MIB MiB"
fi

for b in b.tar b.tar.gz b; do
	if verify "$LIMIT_MIB" "$tmp/$b" && grep -q '^ok: ' "$tmp/out"; then
		ok "verify $b under ulimit -v $LIMIT_MIB MiB"
	else
		bad "verify $b under ulimit -v $LIMIT_MIB MiB: $(tail -3 "$tmp/err")"
	fi
done
rm -f "$tmp/b.tar.gz"	# its spool was beside it, unlinked: nothing left
left=$(find "$tmp" -maxdepth 1 -name '.f2o-read.*')
if [ -z "$left" ]; then
	ok ".tar.gz spool file removed"
else
	bad ".tar.gz spool file left: $left"
fi

if verify "$CONTROL_MIB" "$tmp/b.tar"; then
	bad "control: a $CONTROL_MIB MiB limit did not stop verify"
else
	ok "control: a $CONTROL_MIB MiB limit stops verify"
fi

# A byte of PLAN.md changed in the .tar (in place), then the .tar cut
# inside PLAN.md: both refused naming it.
off=$(grep -abo -m 1 'a row of a very long' "$tmp/b.tar" | head -1 | cut -d: -f1)
printf 'A' | dd of="$tmp/b.tar" bs=1 seek="$off" conv=notrunc 2>/dev/null
if ! verify "$LIMIT_MIB" "$tmp/b.tar" &&
    grep -q 'PLAN.md was changed after the bundle was made' "$tmp/err"; then
	ok "a changed byte of PLAN.md is refused naming it"
else
	bad "a changed byte of PLAN.md: $(tail -2 "$tmp/err")"
fi
truncate -s $((off + 1048576)) "$tmp/b.tar"
if ! verify "$LIMIT_MIB" "$tmp/b.tar" &&
    grep -q 'PLAN.md: truncated' "$tmp/err"; then
	ok "a .tar cut inside PLAN.md is refused naming it"
else
	bad "a .tar cut inside PLAN.md: $(tail -2 "$tmp/err")"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
