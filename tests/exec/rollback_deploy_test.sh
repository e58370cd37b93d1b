#!/bin/sh
# A deployment the ECS circuit breaker stops: the peer fails sfm-web's
# deployment (rolloutState FAILED, runningCount 0). The import run must
# fail at wait/sfm-web with a clear message (exit 1), not report success;
# with --keep-going the other services' chains still finish. After the
# cause is fixed (fault cleared; the operator starts a new deployment with
# UpdateService forceNewDeployment, signed by botocore) a resume goes on
# from there: wait/sfm-web passes, nothing is created again.
# Also: --wait-timeout on a deployment that does not finish in time exits
# 3 (resumable) with the step not done, and status says where it stands.
# Ends with "N passed, N failed". Usage: sh tests/exec/rollback_deploy_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc

F2O_EXEC_ARGS="--poll-interval 0.2 --rate-limit ecs=50/50 --rate-limit ec2=50/50 --rate-limit spot=50/50"
export F2O_EXEC_ARGS

if "$T" --quiet --config fixtures/demo/f2o.json fixtures/demo/services.json \
    fixtures/demo/taskdefs fixtures/demo/security-groups.json \
    -o "$tmp/bundle" >"$tmp/translate.out" 2>&1; then
	ok "translate demo"
else
	bad "translate demo"; cat "$tmp/translate.out"
	echo "$pass passed, $fail failed"; exit 1
fi

status_out() { # file [args]
	f=$1; shift
	env -i PATH="$PATH" HOME="$tmp/home" "$E" "$@" status "$tmp/bundle" >"$f" 2>&1
}

# 1. without --keep-going: the run stops at the failed deployment
start_peer rb1 --faults "rollback=sfm-web" || bad "peer"
run_exec "$tmp/run1.log"; rc=$?
if [ $rc -eq 1 ]; then ok "failed deployment: exit 1"; else bad "failed deployment: exit $rc"; fi
if grep -q "^failed *wait/sfm-web .*rolloutState FAILED.*circuit breaker" "$tmp/run1.log"; then
	ok "clear message at wait/sfm-web: $(grep '^failed *wait/sfm-web' "$tmp/run1.log" | cut -c1-160)"
else
	bad "no clear message for wait/sfm-web"; sed 's/^/    /' "$tmp/run1.log" | tail -20
fi
if grep -q "^ok: " "$tmp/run1.log"; then bad "a failed deployment reported as success"; else ok "not reported as success"; fi
stop_peer

# 2. --keep-going: the independent chains finish
rm -f "$tmp/bundle.journal"
start_peer rb2 --faults "rollback=sfm-web" || bad "peer"
F2O_EXEC_ARGS="$F2O_EXEC_ARGS --keep-going" run_exec "$tmp/run2.log"; rc=$?
if [ $rc -eq 1 ]; then ok "--keep-going: exit 1"; else bad "--keep-going: exit $rc"; fi
status_out "$tmp/st2" --phase import
notdone=$(grep -v '^done' "$tmp/st2" | grep -v 'done, ' | awk '{print $1 " " $3}' | tr '\n' ',')
if [ "$notdone" = "failed wait/sfm-web," ]; then
	ok "--keep-going: every other step done, wait/sfm-web failed"
else
	bad "--keep-going: not done: $notdone"; cat "$tmp/st2"
fi
if grep -q "^failed *import *wait/sfm-web .*rolloutState FAILED" "$tmp/st2"; then
	ok "status shows the failure and its reason"
else
	bad "status does not show the failure"; cat "$tmp/st2"
fi

# 3. fix the cause, redeploy as an operator would, resume
$PY -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_f2o/faults", data=b"{}", method="POST"), timeout=10).read()' "$AWS_URL"
if $PY - "$AWS_URL" "$AK" "$SK" >"$tmp/redeploy.out" 2>&1 <<'EOF'
import sys
import botocore.session
c = botocore.session.get_session().create_client(
    "ecs", region_name="us-east-1", endpoint_url=sys.argv[1],
    aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
r = c.update_service(cluster="shop", service="sfm-web", forceNewDeployment=True)
print(r["service"]["deployments"][0]["rolloutState"])
EOF
then ok "operator: UpdateService forceNewDeployment"; else bad "operator redeploy"; cat "$tmp/redeploy.out"; fi
state "$tmp/before3.json"
run_exec "$tmp/run3.log"; rc=$?
if [ $rc -eq 0 ]; then ok "resume after the fix: exit 0"; else bad "resume after the fix: exit $rc"; tail -20 "$tmp/run3.log"; fi
if grep -q "^ok *wait/sfm-web" "$tmp/run3.log" && [ "$(grep -c '^ok ' "$tmp/run3.log")" -eq 1 ]; then
	ok "resume went on from wait/sfm-web (the only step run)"
else
	bad "resume did not go on from wait/sfm-web"; cat "$tmp/run3.log"
fi
state "$tmp/after3.json"
$PY - "$tmp/after3.json" <<'EOF' >"$tmp/c3.out"
import json, sys
s = json.load(open(sys.argv[1]))
twice = [k for k, v in s["created"].items() if v != 1]
print(("ok   " if not twice else "FAIL ") + "nothing created twice %s" % twice)
w = [x["service"] for x in s["ecs"]["services"] if x["service"]["serviceName"] == "sfm-web"]
ok = len(w) == 1 and w[0]["runningCount"] == w[0]["desiredCount"] and len(w[0]["deployments"]) == 1
print(("ok   " if ok else "FAIL ") + "sfm-web stable after the fix")
EOF
tally "$tmp/c3.out"
status_out "$tmp/st3" --json
if $PY -c '
import json, sys
st = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{\"event\":\"status\"")]
imp = {e["id"]: e for e in st if e["phase"] == "import"}
assert all(e["state"] == "done" for e in imp.values()), "not all done"
assert imp["wait/sfm-web"]["attempts"] == 2, imp["wait/sfm-web"]
assert imp["svc/sfm-web"]["attempts"] == 1, imp["svc/sfm-web"]
' "$tmp/st3"; then
	ok "journal: all done; wait/sfm-web tried twice, svc/sfm-web created once"
else
	bad "journal after the resume"; cat "$tmp/st3"
fi
stop_peer

# 4. a deployment slower than --wait-timeout: exit 3, step not done
rm -f "$tmp/bundle.journal"
start_peer slow2 --stable-seconds 30 || bad "peer"
F2O_EXEC_ARGS="$F2O_EXEC_ARGS --wait-timeout 1" run_exec "$tmp/run4.log"; rc=$?
if [ $rc -eq 3 ]; then ok "--wait-timeout: exit 3 (resumable)"; else bad "--wait-timeout: exit $rc"; tail "$tmp/run4.log"; fi
if grep -q "warning: wait/sfm-[a-z]*: service sfm-[a-z]*: deployment ecs-svc/[0-9]*: rolloutState IN_PROGRESS" "$tmp/run4.log"; then
	ok "the timed-out wait prints the deployment's rolloutState and reason"
else
	bad "no diagnostics after the wait timeout"; tail "$tmp/run4.log"
fi
status_out "$tmp/st4"
if grep -q "^failed *import *wait/sfm-[a-z]* .*WaiterTimeout: service sfm-[a-z]*: runningCount" "$tmp/st4" &&
    ! grep -q "^done *import *wait/" "$tmp/st4"; then
	ok "status: the wait is not done and says where it stands ($(grep -m1 'WaiterTimeout' "$tmp/st4" | sed 's/.*WaiterTimeout: //' | cut -c1-80))"
else
	bad "status after a wait timeout"; cat "$tmp/st4"
fi
stop_peer

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
