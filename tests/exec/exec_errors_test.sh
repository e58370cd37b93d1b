#!/bin/sh
# f2o-exec as an operator meets it when something is wrong: a changed
# bundle, the wrong digest, bad credentials, and each AWS/Spot error shape,
# with the user-visible message checked; and no secret ever printed or
# written (canary credentials grepped for in every output and file).
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0
. tests/exec/peerlib.inc

# Canary credentials: unique strings that must never appear anywhere.
AK=AKIACANARYF2O0000001
SK=CanarySecretKey/F2o/0000000000000000001
TOKEN=CanarySessionToken-F2o-000000000000001
ST=CanarySpotToken-F2o-0000001
SA=act-f2o00001
check() { if eval "$2"; then ok "$1"; else bad "$1"; [ -n "${3:-}" ] && sed "s/^/    /" "$3" | head -n 8; fi; }

ex() { # out-file [env...] -- args...
	o=$1; shift
	envs=""
	while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
	shift
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$tmp/home" AWS_ENDPOINT_URL="$AWS_URL" \
	    SPOTINST_BASE_URL="$SPOT_URL" AWS_ACCESS_KEY_ID="$AK" \
	    AWS_SECRET_ACCESS_KEY="$SK" AWS_SESSION_TOKEN="$TOKEN" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    $envs "$E" --poll-interval 1 "$@" >"$o" 2>&1
}
mkdir -p "$tmp/home"
start_peer errs --session-token "$TOKEN" || { bad "peer starts"; echo "$pass passed, $fail failed"; exit 1; }

"$T" --quiet --config fixtures/demo/f2o.json fixtures/demo -o "$tmp/b" >"$tmp/digest" 2>/dev/null
D=$(cat "$tmp/digest")
ex "$tmp/v.out" -- verify "$tmp/b"; rc=$?
check "verify: intact bundle, exit 0, prints its digest" "[ $rc = 0 ] && grep -q $D $tmp/v.out"

# A changed request file.
cp -R "$tmp/b" "$tmp/t"
sed -i 's/"healthCheckGracePeriodSeconds":	60/"healthCheckGracePeriodSeconds":	61/' "$tmp/t/requests/svc/sfm-web.json"
ex "$tmp/t.out" -- run "$tmp/t"; rc=$?
check "tampered bundle refused before anything is sent (exit 1, names the file)" \
    "[ $rc = 1 ] && grep -q 'requests/svc/sfm-web.json was changed after the bundle was made' $tmp/t.out"
# A file added to the bundle.
cp -R "$tmp/b" "$tmp/t2"; echo '{}' >"$tmp/t2/requests/extra.json"
ex "$tmp/t2.out" -- verify "$tmp/t2"; rc=$?
check "file added to the bundle refused" "[ $rc = 1 ] && grep -q 'extra.json is not listed in the manifest' $tmp/t2.out"
# The wrong digest.
ex "$tmp/d.out" -- --expect-digest 0000000000000000000000000000000000000000000000000000000000000000 run "$tmp/b"; rc=$?
check "--expect-digest with another digest: refused, exit 1, both digests named" \
    "[ $rc = 1 ] && grep -q $D $tmp/d.out && grep -q 00000000000000000000 $tmp/d.out"
state "$tmp/s0.json"
check "nothing was sent for the refused bundles" \
    "$PY -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(1 if s[\"created\"] else 0)' $tmp/s0.json"

# A wrong secret: AWS rejects the signature.
ex "$tmp/sig.out" AWS_SECRET_ACCESS_KEY=WrongCanary/Secret/0000000000000000001 -- --journal "$tmp/j-sig" run "$tmp/b"; rc=$?
check "wrong secret: run fails with the signature error (the preflight's STS call: InvalidClientTokenId)" \
    "[ $rc = 1 ] && grep -qE 'InvalidSignatureException|InvalidClientTokenId' $tmp/sig.out"
# An expired or wrong session token.
ex "$tmp/tok.out" AWS_SESSION_TOKEN=ExpiredCanaryToken-0000000000000001 -- --journal "$tmp/j-tok" run "$tmp/b"; rc=$?
check "expired session token: ExpiredToken (STS, the preflight) shown, exit 1" \
    "[ $rc = 1 ] && grep -qE 'ExpiredTokenException|ExpiredToken' $tmp/tok.out"
# A wrong Spot token.
cat >"$tmp/spot.py" <<'PYEOF'
import sys
sys.path.insert(0, "tests/tools")
import bundlegen
s = bundlegen.step
bundlegen.write(sys.argv[1], [
    (s("ocean/cluster", "spot:CreateOceanCluster", outputs={"id": "id"}),
     {"cluster": {"name": "x", "controllerClusterId": "x", "region": "us-east-1"}}),
])
PYEOF
$PY "$tmp/spot.py" "$tmp/sb" >/dev/null 2>&1
ex "$tmp/st.out" SPOTINST_TOKEN=WrongSpotCanary-000001 -- --journal "$tmp/j-st" run "$tmp/sb"; rc=$?
check "wrong Spot token: the Spot 401 error envelope is shown, exit 1" "[ $rc = 1 ] && grep -qi 'spot' $tmp/st.out && grep -qiE '401|unauthori' $tmp/st.out"
ex "$tmp/sv.out" -- --journal "$tmp/j-sv" run "$tmp/sb"; rc=$?
check "invalid Spot body: response.errors code and message shown, exit 1" \
    "[ $rc = 1 ] && grep -qiE 'ValidationError|validation' $tmp/sv.out"

# ECS error shape (__type) and EC2 XML error shape.
cat >"$tmp/aws.py" <<'PYEOF'
import sys
sys.path.insert(0, "tests/tools")
import bundlegen
s = bundlegen.step
which = sys.argv[2]
if which == "ecs":
    steps = [(s("svc/bad", "ecs:CreateService"),
              {"cluster": "shop", "serviceName": "f2o-bad", "taskDefinition": "shop-web:12",
               "desiredCount": 1, "launchType": "EC2", "platformVersion": "LATEST"})]
else:
    steps = [(s("sg/bad", "ec2:AuthorizeSecurityGroupIngress"),
              {"GroupId": "sg-0000000000000dead", "IpPermissions": [
                  {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                   "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]})]
bundlegen.write(sys.argv[1], steps)
PYEOF
$PY "$tmp/aws.py" "$tmp/ecsb" ecs >/dev/null 2>&1
$PY "$tmp/aws.py" "$tmp/ec2b" ec2 >/dev/null 2>&1
ex "$tmp/ecs.out" -- --journal "$tmp/j-ecs" run "$tmp/ecsb"; rc=$?
check "ECS JSON error (__type InvalidParameterException) shown with its message, exit 1" \
    "[ $rc = 1 ] && grep -q 'InvalidParameterException: .*platform' $tmp/ecs.out" "$tmp/ecs.out"
ex "$tmp/ec2.out" -- --journal "$tmp/j-ec2" run "$tmp/ec2b"; rc=$?
check "EC2 XML error (Response/Errors/Error/Code InvalidGroup.NotFound) shown, exit 1" \
    "[ $rc = 1 ] && grep -q \"InvalidGroup.NotFound: The security group 'sg-0000000000000dead'\" $tmp/ec2.out" "$tmp/ec2.out"

# The whole demo with the canary credentials: run, dry run, JSON events,
# status; then grep every output and every file f2o wrote.
ex "$tmp/run.out" -- run "$tmp/b"; rc=$?
check "demo bundle runs with the canary credentials (exit 0)" "[ $rc = 0 ]"
ex "$tmp/dry.out" -- --journal "$tmp/j-dry" --dry-run run "$tmp/b"
ex "$tmp/json.out" -- --journal "$tmp/j-json" --json --dry-run run "$tmp/b"
ex "$tmp/status.out" -- status "$tmp/b"
check "--dry-run prints the requests" "grep -q 'CreateService' $tmp/dry.out"
leaks=$(grep -rl -e "$SK" -e "$TOKEN" -e "$ST" -e "WrongCanary" -e "ExpiredCanaryToken" -e "WrongSpotCanary" \
    "$tmp"/*.out "$tmp"/b* "$tmp"/j-* "$tmp"/*.journal* "$tmp"/t* 2>/dev/null | head -5)
check "no secret, session token or Spot token in any output, journal or bundle file (found: ${leaks:-none})" "[ -z \"$leaks\" ]"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
