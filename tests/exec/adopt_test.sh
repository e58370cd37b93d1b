#!/bin/sh
# Adoption without a journal (f2o-exec(1) ADOPTION), EC2 eventual
# consistency and connection refused, against tests/peers/peer.py with the
# demo bundle's import phase:
#   1. f2o-exec is stopped at several points (F2O_EXEC_PAUSE_ON, SIGKILLed
#      by tests/tools/pause_kill.py the moment it stops), the journal is
#      deleted and a new run goes to the end: nothing is created twice and
#      the final state equals an uninterrupted run (state_equal.py);
#   2. a complete import rerun with a deleted journal creates nothing;
#   3. a security group of the same name with other rules, a service of the
#      same name with another task definition: refused, named, no write;
#   4. --ec2-consistency-delay: InvalidGroup.NotFound after the create is
#      retried, the run completes;
#   5. /_f2o/refuse: the AWS port refuses connections for 1 s during a run:
#      the run completes, the refused requests are retries, none in doubt.
# Cases 1, 3, 4 and 5 run as parallel jobs (tests/exec/jobs.inc), each with
# its own peer and journal, once the reference run is done; the peers take
# 0.2 s to stability and f2o-exec polls every 0.1 s.
# Ends with "N passed, N failed". Usage: sh tests/exec/adopt_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/jobs.inc

F2O_EXEC_ARGS="--poll-interval 0.1"
# Short peer delays (after peerlib's own: the last one counts).
PEER_FAST="--stable-seconds 0.2 --drain-seconds 0.2"
export F2O_EXEC_ARGS

if "$T" --quiet --config fixtures/demo/f2o.json fixtures/demo/services.json \
    fixtures/demo/taskdefs fixtures/demo/security-groups.json \
    -o "$tmp/bundle" >"$tmp/translate.out" 2>&1; then
	ok "translate demo"
else
	bad "translate demo"; cat "$tmp/translate.out"
	echo "$pass passed, $fail failed"; exit 1
fi

# f2o-exec with --journal $2 and extra environment; r = its exit code.
exec_j() { # log journal [VAR=value ...]
	log=$1; jr=$2; shift 2
	mkdir -p "$tmp/home"
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$tmp/home" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$@" "$E" --parallel 1 $F2O_EXEC_ARGS --journal "$jr" \
	    run "$tmp/bundle" >"$log" 2>&1
	r=$?
}
# Run to the end (a rerun after exit 3, bounded).
exec_to_end() { # log journal
	i=0
	while [ $i -lt 4 ]; do
		i=$((i + 1))
		exec_j "$1" "$2"
		[ $r -ne 3 ] && break
	done
}
jget() { # file python-expression-of-s
	$PY -c 'import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
compare() { # got.json label
	$PY tests/exec/state_equal.py "$tmp/ref.json" "$1" "$2: " >"$1.cmp" 2>&1
	if grep -q '^FAIL' "$1.cmp"; then
		tally "$1.cmp"
	else
		ok "$2: final state equals the uninterrupted run, nothing created twice"
	fi
}

# 0. reference: uninterrupted
start_peer ref $PEER_FAST || { bad "reference peer"; echo "$pass passed, $fail failed"; exit 1; }
exec_j "$tmp/ref.log" "$tmp/ref.journal"
if [ $r -eq 0 ]; then ok "reference run exits 0"; else bad "reference run exits $r"; tail -20 "$tmp/ref.log"; fi
state "$tmp/ref.json"

# 2. the complete import again with a deleted journal: nothing created
rm -f "$tmp/ref.journal"
exec_j "$tmp/again.log" "$tmp/ref.journal"
state "$tmp/again.json"
if [ $r -eq 0 ] && grep -q '13 adopted' "$tmp/again.log"; then
	ok "complete import, journal deleted: rerun exits 0, 13 creates adopted"
else
	bad "complete import, journal deleted: exit $r"; tail -20 "$tmp/again.log"
fi
before=$(jget "$tmp/ref.json" 'sorted(s["created"].items())')
after=$(jget "$tmp/again.json" 'sorted(s["created"].items())')
if [ "$before" = "$after" ]; then ok "rerun created nothing (created counters unchanged)"; else bad "rerun created something"; fi
w=$(jget "$tmp/again.json" 'sum(v for k, v in s["requests"]["writesByOperation"].items() if ":Create" in k or ":Register" in k) - sum(v for k, v in json.load(open(sys.argv[1].replace("again", "ref")))["requests"]["writesByOperation"].items() if ":Create" in k or ":Register" in k)')
if [ "$w" = 0 ]; then ok "rerun sent no Create/Register request"; else bad "rerun sent $w Create/Register request(s)"; fi
if env -i PATH="$PATH" HOME="$tmp/home" "$E" status --journal "$tmp/ref.journal" "$tmp/bundle" 2>&1 | grep -q '^done .*svc/sfm-api'; then
	ok "the journal records the adopted steps as done"
else
	bad "journal after adoption"
fi
stop_peer

# 1. stopped at a point, journal deleted, rerun to the end (one job each)
kill_point() { # point number (job name)
	point=$1; kn=$2
	start_peer "p$kn" $PEER_FAST || { bad "peer for $point"; return; }
	mkdir -p "$tmp/home"
	# shellcheck disable=SC2086
	k=$($PY tests/tools/pause_kill.py --timeout 60 --log "$tmp/k$kn.log" -- \
	    env -i PATH="$PATH" HOME="$tmp/home" F2O_EXEC_PAUSE_ON="$point" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --parallel 1 $F2O_EXEC_ARGS --journal "$tmp/k$kn.journal" run "$tmp/bundle")
	if [ "$k" != paused ]; then
		bad "\"$point\": f2o-exec did not stop there ($k)"; stop_peer; return
	fi
	rm -f "$tmp/k$kn.journal"
	exec_to_end "$tmp/k$kn-2.log" "$tmp/k$kn.journal"
	if [ $r -eq 0 ]; then
		ok "killed at \"$point\", journal deleted: the rerun completes ($(grep ' in doubt' "$tmp/k$kn-2.log" | tail -1 | grep -o '[0-9]* adopted'))"
	else
		bad "killed at \"$point\", journal deleted: rerun exits $r"; tail -15 "$tmp/k$kn-2.log"
	fi
	state "$tmp/k$kn.json"
	compare "$tmp/k$kn.json" "\"$point\""
	stop_peer
}
KILL_POINTS="result td/shop-api|reply sg/instances|result sg/instances:ingress-1|reply ocean/cluster|result vng/x86_64|reply svc/sfm-api|intent svc/sfm-web|result wait/sfm-imgproc"
kill_job() { # number: the number-th of KILL_POINTS
	kill_point "$(echo "$KILL_POINTS" | cut -d'|' -f"$1")" "$1"
}
for n in 1 2 3 4 5 6 7 8; do eval "kill_job$n() { kill_job $n; }"; done

# 3. conflicts: refused, named, nothing written
mkdir -p "$tmp/seed1" "$tmp/seed2"
cp -r fixtures/demo/taskdefs "$tmp/seed1/"; cp -r fixtures/demo/taskdefs "$tmp/seed2/"
$PY - "$tmp" <<'PYEOF'
import json, sys
t = sys.argv[1]
sg = json.load(open("fixtures/demo/security-groups.json"))
sv = json.load(open("fixtures/demo/services.json"))
g = json.loads(json.dumps(sg["SecurityGroups"][0]))
g.update({"GroupName": "sfm-shop-instances", "GroupId": "sg-0handmade00000001",
          "Description": "made by hand", "VpcId": "vpc-0shop00000000001",
          "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                             "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [],
                             "PrefixListIds": [], "UserIdGroupPairs": []}],
          "Tags": []})
json.dump({"SecurityGroups": sg["SecurityGroups"] + [g]}, open(t + "/seed1/security-groups.json", "w"))
json.dump(sv, open(t + "/seed1/services.json", "w"))
json.dump(sg, open(t + "/seed2/security-groups.json", "w"))
api = [s for s in sv["services"] if s["serviceName"] == "api"][0]
s2 = json.loads(json.dumps(api))
s2["serviceName"] = "sfm-api"
s2["serviceArn"] = api["serviceArn"].replace("/api", "/sfm-api")
json.dump({"services": sv["services"] + [s2], "failures": []}, open(t + "/seed2/services.json", "w"))
PYEOF
conflict_case() { # label seed want-text file-tag
	start_peer "c$4" $PEER_FAST --seed "$2" || { bad "peer for $1"; return; }
	exec_j "$tmp/c$4.log" "$tmp/c$4.journal"
	state "$tmp/c$4.json"
	wr=$(jget "$tmp/c$4.json" 's["requests"]["writes"]')
	if [ $r -eq 1 ] && grep -q "$3" "$tmp/c$4.log" && grep -q "rerun" "$tmp/c$4.log" && [ "$wr" = 0 ]; then
		ok "$1: refused with exit 1 before any write: $(grep -m1 "$3" "$tmp/c$4.log" | cut -c1-160)"
	else
		bad "$1: exit $r, writes $wr"; tail -10 "$tmp/c$4.log"
	fi
	stop_peer
}
conflicts() {
conflict_case "security group of the same name, other rules" "$tmp/seed1" "security group sfm-shop-instances (sg-0handmade00000001) in vpc-0shop00000000001 already exists" 1
conflict_case "service of the same name, other task definition" "$tmp/seed2" "service sfm-api in cluster shop (ACTIVE) already exists" 2
}

# 3b. the same service name changed after a complete import: the field named
changed() {
start_peer changed $PEER_FAST || bad "peer for the changed service"
rm -f "$tmp/d.journal"
exec_j "$tmp/d.log" "$tmp/d.journal"
$PY -c 'import json,sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_f2o/mutate", data=json.dumps({"action": "update_service", "cluster": "shop", "service": "sfm-api", "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/shop-api:7"}).encode(), method="POST"), timeout=10).read()' "$AWS_URL"
state "$tmp/d0.json"
rm -f "$tmp/d.journal"
exec_j "$tmp/d2.log" "$tmp/d.journal"
state "$tmp/d1.json"
w0=$(jget "$tmp/d0.json" 's["requests"]["writes"]'); w1=$(jget "$tmp/d1.json" 's["requests"]["writes"]')
if [ $r -eq 1 ] && grep -q "service sfm-api in cluster shop (ACTIVE) .*the task definition is arn:aws:ecs:us-east-1:123456789012:task-definition/shop-api:7 " "$tmp/d2.log" && [ "$w0" = "$w1" ]; then
	ok "service changed to another task definition: refused, field named, no write"
else
	bad "changed service: exit $r, writes $w0 -> $w1"; tail -10 "$tmp/d2.log"
fi
stop_peer
}

# 4. EC2 eventual consistency
consist() {
start_peer consist $PEER_FAST --ec2-consistency-delay 1.5 --ec2-consistency-requests 3 || bad "peer with consistency delay"
exec_j "$tmp/e.log" "$tmp/e.journal"
state "$tmp/e.json"
nf=$(jget "$tmp/e.json" 'sum(s["ec2"]["consistencyNotFound"].values())')
if [ $r -eq 0 ] && [ "$nf" -gt 0 ] && grep -q 'eventually consistent' "$tmp/e.log"; then
	ok "InvalidGroup.NotFound after the create ($nf answers) retried; the run completes"
else
	bad "consistency delay: exit $r, $nf NotFound answers"; tail -15 "$tmp/e.log"
fi
compare "$tmp/e.json" "consistency delay"
stop_peer
}

# 5. connection refused for 1 s in the middle of a run: retried, not in doubt
refuse() {
start_peer refuse $PEER_FAST || bad "peer for refuse"
rm -f "$tmp/f.journal"
mkdir -p "$tmp/home"
# shellcheck disable=SC2086
rr=$($PY - "$SPOT_URL" "$tmp/f.log" env -i PATH="$PATH" HOME="$tmp/home" \
    F2O_EXEC_PAUSE_ON="result td/shop-web" \
    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
    "$E" --parallel 1 $F2O_EXEC_ARGS --journal "$tmp/f.journal" run "$tmp/bundle" <<'PYEOF'
# Stop f2o-exec at its pause point, make the AWS port refuse for 1 s
# (asked on the Spot port), let f2o-exec go on; print its exit code.
import json, os, signal, subprocess, sys, urllib.request
p = subprocess.Popen(sys.argv[3:], stdout=open(sys.argv[2], "w"),
                     stderr=subprocess.STDOUT)
_, st = os.waitpid(p.pid, os.WUNTRACED)
if os.WIFSTOPPED(st):
    urllib.request.urlopen(urllib.request.Request(
        sys.argv[1] + "/_f2o/refuse",
        data=json.dumps({"port": "aws", "seconds": 1}).encode(),
        method="POST"), timeout=10).read()
    os.kill(p.pid, signal.SIGCONT)
    try:
        print(p.wait(timeout=120))
    except subprocess.TimeoutExpired:
        p.kill()
        print("timeout")
else:
    print("not stopped")
PYEOF
)
state "$tmp/f.json"
win=$(jget "$tmp/f.json" 's["refusals"]["aws"]["windows"]' 2>/dev/null)
summary=$(grep ' in doubt' "$tmp/f.log" | tail -1)
nretry=$(echo "$summary" | sed -n 's/.* \([0-9]*\) retr\(y\|ies\),.*/\1/p')
if [ "$rr" = 0 ] && [ "$win" = 1 ] && echo "$summary" | grep -q ' 0 in doubt' && [ "${nretry:-0}" -gt 0 ]; then
	ok "AWS port refused for 1 s mid-run: the run completes, $nretry retries, 0 in doubt (${summary##*; })"
else
	bad "refused port: exit $rr, windows $win: $summary"; tail -15 "$tmp/f.log"
fi
att=$(env -i PATH="$PATH" HOME="$tmp/home" "$E" status --json --journal "$tmp/f.journal" "$tmp/bundle" 2>/dev/null | $PY -c 'import json,sys; print(max(json.loads(l).get("attempts", 0) for l in sys.stdin if "\"status\"" in l))')
if [ "$att" = 1 ]; then ok "refused port: one INTENT per step in the journal (no in-doubt look-up, no resend)"; else bad "refused port: a step has $att attempts"; fi
compare "$tmp/f.json" "refused port"
stop_peer
}

# The longest jobs first; each its own peer, journal and files.
jobs_init "${ADOPT_JOBS:-4}"
for j in refuse consist kill_job8 kill_job7 kill_job6 kill_job5 kill_job4 \
    kill_job3 kill_job2 kill_job1 changed conflicts; do
	jobs_start "$j" "$j"
done
jobs_wait
for j in kill_job1 kill_job2 kill_job3 kill_job4 kill_job5 kill_job6 \
    kill_job7 kill_job8 conflicts changed consist refuse; do
	jobs_tally "$j"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
