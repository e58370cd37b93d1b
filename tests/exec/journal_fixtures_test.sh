#!/bin/sh
# The journal fixtures (fixtures/journals/, see its README) through
# f2o-exec: "status" and "run" on each, with checked exit codes, messages
# and file contents. The fixtures are written for a made-up bundle digest;
# here they are re-framed for a hand-made bundle holding their steps
# (sg/instances, td/web-3, svc/sfm-web): the digest in the OPEN record is
# replaced and that record's CRC recomputed, nothing else changes, so
# damage stays where it was. The endpoints point at a closed port
# (127.0.0.1:9): a run that gets past the journal fails to connect and
# must stop with exit 3, journal consistent.
# Ends with "N passed, N failed". Usage: sh tests/exec/journal_fixtures_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc
FX=fixtures/journals

$PY - "$tmp/b" <<'EOF'
import sys
sys.path.insert(0, "tests/tools")
from bundlegen import step, write
write(sys.argv[1], [
    (step("sg/instances", "ec2:CreateSecurityGroup",
          outputs={"GroupId": "groupId"}),
     {"GroupName": "sfm-web-instances", "Description": "f2o test",
      "VpcId": "vpc-0shop00000000001"}),
    (step("td/web-3", "ecs:RegisterTaskDefinition",
          outputs={"taskDefinitionArn": "taskDefinition.taskDefinitionArn"}),
     {"family": "web", "containerDefinitions": [
         {"name": "web", "image": "nginx", "memory": 128}],
      "tags": [{"key": "f2o:content", "value": "0123456789abcdef"}]}),
    (step("svc/sfm-web", "ecs:CreateService", after=["td/web-3",
                                                       "sg/instances"],
          outputs={"serviceArn": "service.serviceArn"}),
     {"cluster": "shop", "serviceName": "sfm-web",
      "taskDefinition": "${td/web-3.taskDefinitionArn}", "desiredCount": 1,
      "launchType": "EC2", "clientToken": "0123456789abcdef0123456789abcdef"}),
])
EOF
digest=$(sha256sum "$tmp/b/manifest.json" | cut -d' ' -f1)
if env -i PATH="$PATH" "$E" verify "$tmp/b" >/dev/null 2>&1; then ok "hand-made bundle verifies"; else bad "hand-made bundle verifies"; fi

# Re-frame a fixture for $digest.
reframe() { # fixture out
	$PY - "$1" "$2" "$digest" <<'EOF'
import struct, sys, zlib
OLD = b"e086490d2f493bdbfec2238fb3b2aafe269ee7d0ee180db933c300c5bfda925c"
d = bytearray(open(sys.argv[1], "rb").read())
d = bytearray(bytes(d).replace(OLD, sys.argv[3].encode()))
if len(d) >= 16 and d[:4] == b"F2OJ":
    n = struct.unpack(">I", bytes(d[12:16]))[0]
    if len(d) >= 20 + n and d[5] == 1:
        d[16 + n:20 + n] = struct.pack(">I", zlib.crc32(bytes(d[:16 + n])))
open(sys.argv[2], "wb").write(bytes(d))
EOF
}

X() { # log cmd [args]: f2o-exec with closed endpoints
	log=$1; shift
	env -i PATH="$PATH" HOME="$tmp/home" AWS_ENDPOINT_URL=http://127.0.0.1:9 \
	    SPOTINST_BASE_URL=http://127.0.0.1:9 AWS_ACCESS_KEY_ID="$AK" \
	    AWS_SECRET_ACCESS_KEY="$SK" SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --max-attempts 1 --journal "$tmp/j" "$@" "$tmp/b" >"$log" 2>&1
}
expect_rc() { # label want got log
	if [ "$3" -eq "$2" ]; then ok "$1: exit $2"; else bad "$1: exit $3, want $2"; sed 's/^/    /' "$4" | tail -8; fi
}
expect_grep() { # label pattern log
	if grep -qE "$2" "$3"; then ok "$1"; else bad "$1 (no /$2/)"; sed 's/^/    /' "$3" | tail -8; fi
}

mkdir -p "$tmp/home"
reframe "$FX/valid.jrn" "$tmp/valid"
vsize=$(wc -c <"$tmp/valid")

# valid: done / in doubt / pending as recorded
cp "$tmp/valid" "$tmp/j"
X "$tmp/o" status; expect_rc "valid status" 0 $? "$tmp/o"
expect_grep "valid: sg/instances done with its GroupId" '^done .*sg/instances .*GroupId=sg-0123456789abcdef0' "$tmp/o"
expect_grep "valid: td/web-3 done (after a failed attempt)" '^done .*td/web-3 ' "$tmp/o"
expect_grep "valid: svc/sfm-web in doubt" '^in-doubt .*svc/sfm-web ' "$tmp/o"
expect_grep "valid: summary" '^2 done, 1 in doubt, 0 failed, 0 pending' "$tmp/o"
X "$tmp/o" --json status
expect_grep "valid: --json status carries attempts" '"id":"td/web-3".*"state":"done","attempts":2' "$tmp/o"
# run: the in-doubt create is looked up first; the look-up cannot connect
X "$tmp/o" run; rc=$?
expect_rc "valid run (look-up cannot connect)" 3 $rc "$tmp/o"
expect_grep "valid run: stops at the look-up, starts nothing else" 'in-doubt +svc/sfm-web .*look-up failed; nothing else was started' "$tmp/o"
if [ "$(wc -c <"$tmp/j")" -eq "$vsize" ]; then ok "valid run: journal unchanged (still in doubt)"; else bad "valid run: journal changed"; fi

# torn ends: a warning, cut back to the good records on run
for f in torn-tail torn-header torn-crc-tail; do
	reframe "$FX/$f.jrn" "$tmp/j"
	X "$tmp/o" status; expect_rc "$f status" 0 $? "$tmp/o"
	expect_grep "$f status: torn write named, states kept" 'torn write at the end; the next run cuts the journal to [0-9]+ bytes' "$tmp/o"
	expect_grep "$f status: svc/sfm-web still in doubt" '^in-doubt .*svc/sfm-web' "$tmp/o"
	X "$tmp/o" run; rc=$?
	expect_rc "$f run" 3 $rc "$tmp/o"
	expect_grep "$f run: truncation warned" 'torn write at the end of the journal; truncating it from [0-9]+ to [0-9]+ bytes' "$tmp/o"
	if cmp -s "$tmp/j" "$tmp/valid"; then ok "$f run: journal cut back to the valid records"; else bad "$f run: journal not equal to valid after the cut"; fi
done

# torn OPEN: cut to nothing, a fresh OPEN, then the steps
reframe "$FX/torn-open.jrn" "$tmp/j"
X "$tmp/o" status; expect_rc "torn-open status" 0 $? "$tmp/o"
expect_grep "torn-open status: all pending" '^0 done, 0 in doubt, 0 failed, 3 pending' "$tmp/o"
X "$tmp/o" run; rc=$?
expect_rc "torn-open run" 3 $rc "$tmp/o"
if head -c 4 "$tmp/j" | grep -q F2OJ && grep -qa "$digest" "$tmp/j"; then ok "torn-open run: fresh OPEN for this bundle"; else bad "torn-open run: no fresh OPEN"; fi

# damage before the end, or records that break the rules: refused, unchanged
for f in corrupt-middle garbage-middle bad-sequence future-version \
    result-without-intent intent-after-done unknown-member no-open; do
	reframe "$FX/$f.jrn" "$tmp/j"
	cp "$tmp/j" "$tmp/j.before"
	X "$tmp/o" status; expect_rc "$f status" 1 $? "$tmp/o"
	expect_grep "$f status: names the record" 'record [0-9]+ at offset [0-9]+: .*damaged' "$tmp/o"
	X "$tmp/o" run; rc=$?
	expect_rc "$f run" 1 $rc "$tmp/o"
	expect_grep "$f run: refused with the reason" 'record [0-9]+ at offset [0-9]+: .*left unchanged' "$tmp/o"
	if cmp -s "$tmp/j" "$tmp/j.before"; then ok "$f run: file unchanged"; else bad "$f run: file changed"; fi
done

# another bundle's journal
cp "$FX/other-bundle.jrn" "$tmp/j"
X "$tmp/o" status; expect_rc "other-bundle status" 1 $? "$tmp/o"
expect_grep "other-bundle status: says whose it is" 'journal belongs to bundle [0-9a-f]{64}, not to this bundle' "$tmp/o"
X "$tmp/o" run; expect_rc "other-bundle run" 1 $? "$tmp/o"
if cmp -s "$tmp/j" "$FX/other-bundle.jrn"; then ok "other-bundle run: file unchanged"; else bad "other-bundle run: file changed"; fi

# empty file: a new journal
cp "$FX/empty.jrn" "$tmp/j"
X "$tmp/o" status; expect_rc "empty status" 0 $? "$tmp/o"
X "$tmp/o" run; expect_rc "empty run" 3 $? "$tmp/o"
if grep -qa "$digest" "$tmp/j"; then ok "empty run: OPEN written"; else bad "empty run: no OPEN"; fi

# two executors on one journal: the second is refused
cp "$tmp/valid" "$tmp/j"
# the holder says when it holds the lock (a file) and lets go when told
# (another file); both waits polled, bounded (10 s)
$PY - "$tmp/j" "$tmp/locked" "$tmp/release" <<'EOF' &
import fcntl, os, sys, time
f = open(sys.argv[1], "r+b")
fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
end = time.time() + 10
while not os.path.exists(sys.argv[3]) and time.time() < end:
    time.sleep(0.02)
EOF
lpid=$!
i=0
while [ ! -e "$tmp/locked" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
X "$tmp/o" run; rc=$?
: >"$tmp/release"
wait $lpid
expect_rc "locked journal run" 1 $rc "$tmp/o"
expect_grep "locked journal: refused with a reason" 'lock|locked|in use' "$tmp/o"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
