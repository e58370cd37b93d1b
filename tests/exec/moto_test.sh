#!/bin/sh
# f2o-exec against moto, an AWS implementation written by other people
# (https://github.com/getmoto/moto), instead of our own loopback peers:
# ECS, EC2 (and STS when f2o-exec has a command that calls it) at moto,
# Spot at tests/peers/peer.py (moto has no Spot). moto is seeded with the
# demo export through boto3 (tests/moto/moto_seed.py; moto picks its own
# ids, so the export is rewritten with them and translated), then:
#   1. plain moto: three creates are killed right after moto answered them
#      and adopted by the next run (f2o's look-ups against moto); the import
#      phase creates everything (checked with boto3), the waits fail as they
#      must (moto runs no tasks: runningCount stays 0, rolloutState
#      IN_PROGRESS); a resumed run (keys from AssumeRole at moto's STS) and
#      a run without its journal create nothing twice;
#   2. with tests/moto/moto_serve.py's --steady stand-in for the task
#      lifecycle switched on: the import resumes and ends, then cutover and
#      rollback run through moto's ECS/EC2 request handling.
# See tests/moto/README.md for what moto does not model.
# Needs a Python with moto and boto3 (the image's pyenv Python; PyPI is not
# used): prints "SKIP" and "0 passed, 0 failed, skipped" without one.
# Usage: sh tests/exec/moto_test.sh (repo root). Environment: BUILD
# (default build), MOTO_PYTHON (a Python with moto, tried first).
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/motolib.inc

RATES="--rate-limit ecs=100/100 --rate-limit ec2=100/100 --rate-limit spot=100/100 --rate-limit ecs-read=100/100"
# mrun (motolib.inc): f2o-exec against moto, Spot at our peer.
mcheck() { # name checker-arguments...: run tests/moto/moto_check.py, tally
	n=$1; shift
	mpy "$tmp/$n.out" "$tmp/$n.out" moto_check "$@"
	rc=$?
	tally "$tmp/$n.out"
	if [ "$rc" -ne 0 ] && ! grep -q '^FAIL ' "$tmp/$n.out"; then
		bad "moto_check.py $1 exits $rc"; sed 's/^/    /' "$tmp/$n.out" | tail -n 20
	fi
}
snap() { # file
	mpy /dev/null "$1.err" moto_check snap "$MOTO" "$1" ||
	    { bad "boto3 snapshot of moto ($1)"; tail -n 5 "$1.err"; }
}
show() { sed 's/^/    /' "$1" | tail -n 30; }

# -- moto, our Spot peer, the seed --------------------------------------------
moto_start --steady-file "$tmp/steady"
if start_peer spot; then ok "Spot peer started"; else bad "Spot peer started"; fi
if mpy "$tmp/ids.json" "$tmp/seed.err" moto_seed "$MOTO" fixtures/demo "$tmp/export"; then
	ok "moto seeded with the demo export ($(grep -c '"' "$tmp/ids.json") ids mapped)"
else
	bad "seeding moto"; tail -n 20 "$tmp/seed.err"
	echo "$pass passed, $fail failed"; exit 1
fi
if "$T" --quiet --config fixtures/demo/f2o.json "$tmp/export/services.json" \
    "$tmp/export/taskdefs" "$tmp/export/security-groups.json" \
    -o "$tmp/bundle" >"$tmp/translate.out" 2>&1; then
	ok "translate the export as moto holds it"
else
	bad "translate"; show "$tmp/translate.out"
	echo "$pass passed, $fail failed"; exit 1
fi
# The import phase's steps and its waits, in one Python start.
read -r nimport nwait <<EOF
$($PY -c 'import json,sys
st = [s for s in json.load(open(sys.argv[1]))["steps"] if s["phase"] == "import"]
print(len(st), sum(1 for s in st if s["action"].startswith("wait:")))' "$tmp/bundle/plan.json")
EOF

# -- 1. plain moto -------------------------------------------------------------
# Creates whose answer f2o never recorded: f2o-exec stops itself right after
# moto answered (F2O_EXEC_PAUSE_ON "reply STEP") and is SIGKILLed there
# (tests/tools/pause_kill.py); the next run must find what moto made with
# its look-ups (ListTaskDefinitions + DescribeTaskDefinition with TAGS,
# DescribeSecurityGroups with filters, DescribeServices) and adopt it.
for step in td/shop-web sg/instances svc/sfm-api; do
	# shellcheck disable=SC2086
	r=$($PY tests/tools/pause_kill.py --timeout 30 --log "$tmp/kill-${step#*/}.log" -- \
	    env -i PATH="$PATH" HOME="$tmp/home" F2O_EXEC_PAUSE_ON="reply $step" \
	    AWS_ENDPOINT_URL_ECS="$MOTO" AWS_ENDPOINT_URL_EC2="$MOTO" \
	    AWS_ENDPOINT_URL_STS="$MOTO" AWS_ENDPOINT_URL=http://127.0.0.1:9 SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --progress plain --parallel 1 --wait-timeout 1 $RATES run "$tmp/bundle")
	st=$(env -i PATH="$PATH" HOME="$tmp/home" "$E" status "$tmp/bundle" 2>&1 |
	    awk -v id="$step" '$3 == id { print $1 }')
	if [ "$r" = paused ] && [ "$st" = in-doubt ]; then
		ok "killed after moto answered $step: the journal holds it in doubt"
	else
		bad "kill after moto answered $step: $r, journal says \"$st\""
		show "$tmp/kill-${step#*/}.log"
	fi
done
mkdir -p "$tmp/home"

# Every create is answered; every wait times out (moto runs no task).
mrun "$tmp/run1.log" --wait-timeout 1.5 run "$tmp/bundle"
rc=$?
st=$(env -i PATH="$PATH" HOME="$tmp/home" "$E" status "$tmp/bundle" 2>&1)
ndone=$(echo "$st" | awk '$2 == "import" && $1 == "done"' | wc -l)
nwf=$(grep -c '^failed  *wait/sfm-[a-z]*  *wait:ServicesStable  *WaiterTimeout: service sfm-[a-z]*: runningCount 0 of [1-9][0-9]*, 1 deployment(s), rolloutState IN_PROGRESS' "$tmp/run1.log")
if [ "$rc" -eq 3 ] && [ "$ndone" -eq $((nimport - nwait)) ] && [ "$nwf" -eq "$nwait" ]; then
	ok "import against moto: $ndone steps done, the $nwait waits time out (runningCount 0, IN_PROGRESS), exit 3"
else
	bad "import against moto: exit $rc, $ndone done, $nwf expected wait failures (want 3, $((nimport - nwait)), $nwait)"
	show "$tmp/run1.log"; echo "$st" | sed 's/^/    /' | head -n 25
fi
# The run after each kill settles the step: adopted, not sent again.
nad=$(cat "$tmp"/kill-*.log "$tmp/run1.log" | grep '^adopted  ' |
    grep -c 'interrupted create found and adopted')
nid=$(cat "$tmp"/kill-*.log "$tmp/run1.log" | grep '^adopted  ' | awk '{print $2}' | sort -u |
    tr '\n' ' ')
if [ "$nad" -eq 3 ] && [ "$nid" = "sg/instances svc/sfm-api td/shop-web " ]; then
	ok "the 3 creates moto answered but f2o never recorded were found and adopted ($nid)"
else
	bad "adopted: $nad ($nid), want sg/instances svc/sfm-api td/shop-web once each"
	grep -h 'adopt\|in doubt\|settle' "$tmp"/kill-*.log "$tmp/run1.log" | sed 's/^/    /' | head -n 20
fi
snap "$tmp/snap1.json"
mcheck import1 import "$tmp/bundle" "$tmp/snap1.json"
# The Ocean cluster (our Spot peer) got the group moto made.
state "$tmp/peer1.json"
if $PY - "$tmp/peer1.json" "$tmp/snap1.json" "$tmp/bundle" <<'PYEOF'
import json, sys
spot = json.load(open(sys.argv[1]))["spot"]
name = json.load(open(sys.argv[3] + "/requests/sg/instances.json"))["GroupName"]
gid = [g["GroupId"] for g in json.load(open(sys.argv[2]))["securityGroups"] if g["GroupName"] == name]
sgs = [c["compute"]["launchSpecification"].get("securityGroupIds") for c in spot["clusters"]]
sys.exit(0 if len(gid) == 1 and sgs == [gid] else 1)
PYEOF
then ok "Ocean cluster (Spot peer) uses the group moto created"
else bad "Ocean cluster's securityGroupIds are not moto's merged group"
fi

# Resume with the journal: only the waits again. The keys come from a
# role_arn + source_profile profile: f2o-exec's AssumeRole goes to moto's
# STS (moto issues keys for any role; it checks no policy).
mkdir -p "$tmp/home"
printf '[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" >"$tmp/home/credentials"
printf '[profile moto-role]\nrole_arn = arn:aws:iam::123456789012:role/f2o-deploy\nsource_profile = base\nrole_session_name = f2o-moto\nregion = us-east-1\n' >"$tmp/home/config"
MENV="AWS_CONFIG_FILE=$tmp/home/config AWS_SHARED_CREDENTIALS_FILE=$tmp/home/credentials"
mrun "$tmp/run2.log" --profile moto-role --wait-timeout 1 run "$tmp/bundle"
rc=$?
MENV=""
nsent=$(grep -c '^ok  ' "$tmp/run2.log")
if [ "$rc" -eq 3 ] && [ "$nsent" -eq 0 ]; then
	ok "resumed run: nothing sent again, the waits time out again (exit 3)"
else
	bad "resumed run: exit $rc, $nsent steps done again"; show "$tmp/run2.log"
fi
if grep -qi 'credentials from:.*role' "$tmp/run2.log" && grep -q 'runningCount 0 of' "$tmp/run2.log"; then
	ok "AssumeRole through moto's STS: $(grep -i 'credentials from' "$tmp/run2.log" | head -n 1 | sed 's/^f2o-exec: //')"
else
	bad "AssumeRole through moto's STS"; show "$tmp/run2.log"
fi
snap "$tmp/snap2.json"
mcheck same12 same "$tmp/snap1.json" "$tmp/snap2.json"

# Without the journal: f2o looks before every create and adopts what it
# made (security group by name + VPC, task definitions by content, the
# sfm- services, Ocean and VNGs on our Spot peer); nothing is created again
# and only the waits are left (moto runs no tasks: they time out, exit 3).
mv "$tmp/bundle.journal" "$tmp/journal.saved"
mrun "$tmp/run3.log" --wait-timeout 1 run "$tmp/bundle"
rc=$?
nadopt=$(sed -n 's/.* \([0-9][0-9]*\) adopted.*/\1/p' "$tmp/run3.log" | tail -n 1)
if [ "$rc" -eq 3 ] && [ "${nadopt:-0}" -ge 1 ] &&
    ! grep -q 'InvalidGroup.Duplicate' "$tmp/run3.log" &&
    ! grep -E '^failed ' "$tmp/run3.log" | grep -qv ' wait:ServicesStable  *WaiterTimeout'; then
	ok "run without a journal: ${nadopt} resource(s) adopted, none created again, only the waits left"
else
	bad "run without a journal: exit $rc, adopted ${nadopt:-?}"; show "$tmp/run3.log"
fi
snap "$tmp/snap3.json"
mcheck same23 same "$tmp/snap2.json" "$tmp/snap3.json"
mv "$tmp/journal.saved" "$tmp/bundle.journal"
rm -f "$tmp/bundle.journal.lock"

# -- 2. the task-lifecycle stand-in on ------------------------------------------
: >"$tmp/steady"
mrun "$tmp/run4.log" --wait-timeout 5 run "$tmp/bundle"
rc=$?
nwok=$(grep -c '^ok  *wait/sfm-' "$tmp/run4.log")
if [ "$rc" -eq 0 ] && [ "$nwok" -eq "$nwait" ] && [ "$(grep -c '^ok  ' "$tmp/run4.log")" -eq "$nwait" ]; then
	ok "import resumed with services steady: the $nwait waits pass, nothing else sent"
else
	bad "import resumed: exit $rc, $nwok waits ok"; show "$tmp/run4.log"
fi
mrun "$tmp/cut.log" --wait-timeout 5 --phase cutover run "$tmp/bundle"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "cutover against moto exits 0 ($(grep -c '^ok  ' "$tmp/cut.log") steps)"
else
	bad "cutover against moto exits $rc"; show "$tmp/cut.log"
fi
snap "$tmp/snap4.json"
mcheck cutover cutover "$tmp/bundle" "$tmp/snap4.json"
mrun "$tmp/rb.log" --wait-timeout 5 rollback "$tmp/bundle"
rc=$?
if [ "$rc" -eq 0 ]; then
	ok "rollback against moto exits 0 ($(grep -c '^ok  ' "$tmp/rb.log") steps)"
else
	bad "rollback against moto exits $rc"; show "$tmp/rb.log"
fi
snap "$tmp/snap5.json"
mcheck rollback rollback "$tmp/bundle" "$tmp/snap5.json" "$tmp/snap1.json"

# -- STS -----------------------------------------------------------------------
mcheck sts sts "$MOTO"
if "$E" --help 2>&1 | grep -q '^  check '; then
	if mrun "$tmp/check.log" check "$tmp/bundle"; then
		ok "f2o-exec check against moto (STS GetCallerIdentity, read-only calls)"
	else
		bad "f2o-exec check against moto exits $?"; show "$tmp/check.log"
	fi
else
	echo "skipped  f2o-exec check (no such command in this build)"
fi

stop_peer
moto_stop
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
