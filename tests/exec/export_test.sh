#!/bin/sh
# f2o-export against the loopback peers: the AWS CLI on PATH (`aws`: the
# image's CLI v1, or Debian's awscli 2.9 in CI, which does not read
# AWS_ENDPOINT_URL itself) exports clusters the peers were seeded with
# (tests/tools/export_fixture.py: the demo cluster `shop`, and `bulk`, 23
# services: three ListServices pages, three DescribeServices batches);
# each exported folder is translated and the bundle compared with the one
# translated from the hand-made export (tests/tools/bundle_same.py: byte-
# equal plan.json and PLAN.md, equal requests, after fixing the bundle id,
# a digest of the inputs). Also: usage and exit codes, --profile,
# --region, the service-specific endpoint variables, and failures (bad
# credentials, a failing call, no service) leaving nothing behind.
# Without an `aws` on PATH it prints SKIP and "0 passed, 0 failed, skipped".
# Ends with "N passed, N failed". Usage: sh tests/exec/export_test.sh (repo root)
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

if ! command -v aws >/dev/null 2>&1; then
	echo "SKIP: $(basename "$0"): no AWS CLI (aws) on PATH"
	echo "0 passed, 0 failed, skipped (no aws)"
	exit 0
fi
. tests/exec/peerlib.inc
X=$(find_bin f2o-export)
if [ -z "$X" ]; then
	echo "SKIP: $(basename "$0"): f2o-export not built (make)"
	echo "0 passed, 0 failed"
	exit 0
fi
echo "aws: $(command -v aws): $(aws --version 2>&1 | head -n 1)"
CFG="--config fixtures/demo/f2o.json"

# xp NAME VAR=VALUE... ARGS...: f2o-export in a clean environment (HOME
# empty: no ~/.aws); stdout, stderr and exit status in $tmp/NAME.{out,err,rc}.
xp() {
	n=$1
	shift
	env -i PATH="$PATH" HOME="$tmp/home" "$@" >"$tmp/$n.out" 2>"$tmp/$n.err"
	echo $? >"$tmp/$n.rc"
}
rc_is() { [ "$(cat "$tmp/$1.rc")" = "$2" ]; }
show() { sed 's/^/    /' "$tmp/$1.err" | tail -n 15; }
# No temporary directory of f2o-export left in DIR.
no_leftovers() { [ -z "$(ls -A "$1" | grep '^\.f2o-export')" ]; }
# Requests the peer answered since the state file FILE, by operation:
# "op=n op=n" sorted.
ops_since() { # before after
	$PY -c '
import json, sys
a = json.load(open(sys.argv[1]))["requests"]["byOperation"]
b = json.load(open(sys.argv[2]))["requests"]["byOperation"]
print(" ".join("%s=%d" % (k, b[k] - a.get(k, 0))
               for k in sorted(b) if b[k] != a.get(k, 0)))' "$1" "$2"
}
translate() { # export-dir bundle
	rm -rf "$2"
	"$T" $CFG --quiet "$1" -o "$2" >/dev/null 2>"$2.err"
}
# round_trip LABEL EXPORTED HAND HAND-BUNDLE STDERR: translate the exported
# folder and compare its bundle with the hand-made export's. Members of the
# seeded resources the export lacks (an AWS CLI whose model predates them
# drops them) must each be named by f2o-export's warning (its STDERR); the
# comparison is then with the hand-made export without them.
round_trip() {
	$PY tests/tools/export_fixture.py lost "$tmp/fx/seed" "$2" "$3" "$tmp/reduced-$1" >"$tmp/lost-$1.txt"
	expected=$4
	if [ -s "$tmp/lost-$1.txt" ]; then
		unnamed=""
		while IFS= read -r m; do
			grep 'predates members' "$5" | grep -qE "(: |, )$m(,|;)" || unnamed="$unnamed, $m"
		done <"$tmp/lost-$1.txt"
		lost=$(tr '\n' ',' <"$tmp/lost-$1.txt" | sed 's/,$//; s/,/, /g')
		if [ -z "$unnamed" ]; then
			ok "$1: the CLI dropped members its model lacks ($lost), each named by f2o-export's warning; compared with the hand-made export without them"
		else
			bad "$1: the export lost members f2o-export did not warn about:${unnamed#,}"
		fi
		expected=$tmp/b-reduced-$1
		translate "$tmp/reduced-$1" "$expected"
	else
		ok "$1: the export holds every member of the seeded resources"
	fi
	translate "$2" "$tmp/b-exp-$1"
	$PY tests/tools/bundle_same.py --label "$1 round trip" "$expected" "$tmp/b-exp-$1" >"$tmp/same-$1.out" 2>&1
	tally "$tmp/same-$1.out"
}

mkdir -p "$tmp/home"
CREDS="AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK"

# -- usage ---------------------------------------------------------------------
xp help "$X" --help
if rc_is help 0 && grep -q -- --cluster "$tmp/help.out" && grep -q -- --out "$tmp/help.out" &&
    grep -q -- --region "$tmp/help.out" && grep -q -- --profile "$tmp/help.out"; then
	ok "--help exits 0 and lists --cluster, --out, --region, --profile"
else
	bad "--help"; show help
fi
missing=""
for o in $(sed -nE 's/^  (--[a-z-]+).*/\1/p' "$tmp/help.out"); do
	grep -q -- "^\.It Fl -${o#--}" export/f2o-export.1 || missing="$missing $o"
done
if [ -z "$missing" ]; then ok "man page documents every option of --help"
else bad "man page lacks:$missing"; fi
# f2o-export's lists of the members the translator carries = the ECS model's
# (CreateService input and Service output; RegisterTaskDefinition input and
# TaskDefinition output; ContainerDefinition).
if $PY - export/f2o-export.sh tests/models/ecs/2014-11-13/service-2.json >"$tmp/members.out" 2>&1 <<'EOF'
import json, re, sys
script = open(sys.argv[1]).read()
sh = {k: set(v.split()) for k, v in
      re.findall(r'^ECS_([A-Z]+)_MEMBERS="([^"]*)"', script, re.M)}
m = json.load(open(sys.argv[2]))["shapes"]
keys = lambda n: set(m[n]["members"])
want = {"SERVICE": keys("CreateServiceRequest") & keys("Service"),
        "TASKDEF": keys("RegisterTaskDefinitionRequest") & keys("TaskDefinition"),
        "CONTAINER": keys("ContainerDefinition")}
bad = [k for k in want if sh.get(k) != want[k]]
for k in bad:
    print("ECS_%s_MEMBERS: missing %s, extra %s" % (
        k, sorted(want[k] - sh.get(k, set())), sorted(sh.get(k, set()) - want[k])))
sys.exit(1 if bad else 0)
EOF
then
	ok "f2o-export's member lists equal the ECS model's (tests/models/ecs)"
else
	bad "f2o-export's member lists equal the ECS model's"; cat "$tmp/members.out"
fi
xp version "$X" --version
if rc_is version 0 && grep -qE '^f2o-export [0-9]+\.[0-9]+' "$tmp/version.out"; then
	ok "--version"
else
	bad "--version"; cat "$tmp/version.out"
fi
for args in "--out $tmp/u1" "--cluster shop" "--cluster shop --out $tmp/u1 --bogus" \
    "--cluster a/b --out $tmp/u1" "--cluster shop --out"; do
	# shellcheck disable=SC2086
	xp usage "$X" $args
	if rc_is usage 2 && [ ! -e "$tmp/u1" ] && grep -q "f2o-export: " "$tmp/usage.err"; then
		ok "usage error exits 2: $args"
	else
		bad "usage error exits 2: $args (exit $(cat "$tmp/usage.rc"))"; show usage
	fi
done

# -- the peers -----------------------------------------------------------------
$PY tests/tools/export_fixture.py "$tmp/fx"
if start_peer export --seed "$tmp/fx/seed"; then ok "peer started"; else bad "peer started"; fi

translate fixtures/demo "$tmp/b-demo"
translate "$tmp/fx/bulk" "$tmp/b-bulk"
if [ -f "$tmp/b-demo/plan.json" ] && [ -f "$tmp/b-bulk/plan.json" ]; then
	ok "the hand-made exports translate"
else
	bad "the hand-made exports translate"; cat "$tmp/b-demo.err" "$tmp/b-bulk.err"
fi

# -- demo cluster: --profile, --region, AWS_ENDPOINT_URL, --force --------------
mkdir -p "$tmp/aws" "$tmp/exp-demo"
printf '[f2o-test]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" >"$tmp/aws/credentials"
printf 'stale\n' >"$tmp/exp-demo/old.json"
xp refuse AWS_ENDPOINT_URL="$AWS_URL" $CREDS "$X" --region us-east-1 --cluster shop --out "$tmp/exp-demo" --no-autoscaling
if rc_is refuse 1 && grep -q "not empty" "$tmp/refuse.err" && [ -f "$tmp/exp-demo/old.json" ]; then
	ok "an existing non-empty --out is refused (exit 1) and left alone"
else
	bad "an existing non-empty --out is refused"; show refuse
fi
state "$tmp/s0.json"
xp demo AWS_ENDPOINT_URL="$AWS_URL" AWS_SHARED_CREDENTIALS_FILE="$tmp/aws/credentials" \
    AWS_CONFIG_FILE="$tmp/aws/config" "$X" --profile f2o-test --region us-east-1 \
    --cluster shop --out "$tmp/exp-demo" --force --no-autoscaling
state "$tmp/s1.json"
if rc_is demo 0 && [ "$(cat "$tmp/demo.out")" = "$tmp/exp-demo" ]; then
	ok "export of cluster shop (--profile, --region, --force) exits 0, prints the directory"
else
	bad "export of cluster shop exits $(cat "$tmp/demo.rc")"; show demo
fi
got=$(cd "$tmp/exp-demo" 2>/dev/null && find . -type f | sort | tr '\n' ' ')
want="./security-groups.json ./services.json ./taskdefs/legacy-cron-2.json ./taskdefs/shop-api-7.json ./taskdefs/shop-imgproc-4.json ./taskdefs/shop-web-12.json ./taskdefs/shop-worker-31.json "
if [ "$got" = "$want" ]; then
	ok "layout: services.json, taskdefs/FAMILY-REV.json, security-groups.json (--force replaced the old content)"
else
	bad "layout: got $got"
fi
got=$(ops_since "$tmp/s0.json" "$tmp/s1.json")
want="ec2:DescribeSecurityGroups=1 ecs:DescribeServices=1 ecs:DescribeTaskDefinition=5 ecs:ListServices=1"
if [ "$got" = "$want" ]; then ok "calls: $want"; else bad "calls: got $got, want $want"; fi
if no_leftovers "$tmp"; then ok "no temporary directory left"; else bad "temporary directory left"; ls -A "$tmp"; fi
round_trip shop "$tmp/exp-demo" fixtures/demo "$tmp/b-demo" "$tmp/demo.err"

# The comparison can fail: one changed value in a request.
cp -R "$tmp/b-exp-shop" "$tmp/b-tampered"
sed -i 's/"family":\t"shop-web"/"family":\t"shop-webx"/' "$tmp/b-tampered/requests/td/shop-web.json"
if ! $PY tests/tools/bundle_same.py "$tmp/b-exp-shop" "$tmp/b-tampered" >"$tmp/same-bad.out" 2>&1 &&
    grep -q '^FAIL every request equal' "$tmp/same-bad.out" && grep -q 'shop-webx' "$tmp/same-bad.out"; then
	ok "bundle_same.py finds a changed request value"
else
	bad "bundle_same.py finds a changed request value"; cat "$tmp/same-bad.out"
fi

# -- bulk cluster: pagination, batches, service-specific endpoint variables ----
# AWS_ENDPOINT_URL names a closed port: every call must take its
# service's own variable.
state "$tmp/s2.json"
xp bulk AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_ECS="$AWS_URL" \
    AWS_ENDPOINT_URL_EC2="$AWS_URL" AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING="$AWS_URL" \
    AWS_ENDPOINT_URL_CLOUDWATCH="$AWS_URL" AWS_DEFAULT_REGION=us-east-1 $CREDS \
    "$X" --cluster bulk --out "$tmp/exp-bulk" --no-autoscaling
state "$tmp/s3.json"
if rc_is bulk 0 && [ -f "$tmp/exp-bulk/services.json" ]; then
	ok "export of cluster bulk through AWS_ENDPOINT_URL_<SERVICE> exits 0"
else
	bad "export of cluster bulk exits $(cat "$tmp/bulk.rc")"; show bulk
fi
n=$(jq '.services | length' "$tmp/exp-bulk/services.json" 2>/dev/null)
if [ "$n" = 23 ]; then ok "23 services exported"; else bad "23 services exported (got $n)"; fi
got=$(ops_since "$tmp/s2.json" "$tmp/s3.json")
want="ec2:DescribeSecurityGroups=1 ecs:DescribeServices=3 ecs:DescribeTaskDefinition=2 ecs:ListServices=3"
if [ "$got" = "$want" ]; then
	ok "calls: 3 ListServices pages, 3 DescribeServices batches, each task definition once"
else
	bad "calls: got $got, want $want"
fi
round_trip bulk "$tmp/exp-bulk" "$tmp/fx/bulk" "$tmp/b-bulk" "$tmp/bulk.err"

# -- failures: exit 1, the failed call named, nothing written -------------------
mkdir -p "$tmp/f"
xp badkey AWS_ENDPOINT_URL="$AWS_URL" AWS_ACCESS_KEY_ID="$AK" \
    AWS_SECRET_ACCESS_KEY=not-the-secret-key-0000 AWS_DEFAULT_REGION=us-east-1 \
    AWS_MAX_ATTEMPTS=1 "$X" --cluster shop --out "$tmp/f/x"
if rc_is badkey 1 && grep -q "aws ecs list-services --cluster shop failed" "$tmp/badkey.err" &&
    grep -q "InvalidSignatureException" "$tmp/badkey.err" && [ ! -e "$tmp/f/x" ] && no_leftovers "$tmp/f" &&
    ! grep -q "not-the-secret-key" "$tmp/badkey.err"; then
	ok "a refused signature: exit 1, the call and the CLI's error named, nothing written, no secret shown"
else
	bad "a refused signature"; show badkey
fi
curl_faults() { # JSON
	$PY -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_f2o/faults", data=sys.argv[2].encode(), method="POST"), timeout=10).read()' "$AWS_URL" "$1"
}
curl_faults '{"rate": 1, "kinds": ["500"], "ops": ["DescribeTaskDefinition"]}'
xp fault AWS_ENDPOINT_URL="$AWS_URL" $CREDS AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 \
    "$X" --cluster shop --out "$tmp/f/x" --no-autoscaling
curl_faults '{"rate": 0}'
if rc_is fault 1 && grep -q "aws ecs describe-task-definition --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/legacy-cron:2 --include TAGS failed" "$tmp/fault.err" &&
    [ ! -e "$tmp/f/x" ] && no_leftovers "$tmp/f"; then
	ok "a call failing after services.json was written: exit 1, the call named, nothing written"
else
	bad "a call failing midway"; show fault
fi
xp empty AWS_ENDPOINT_URL="$AWS_URL" $CREDS AWS_DEFAULT_REGION=us-east-1 \
    "$X" --cluster nosuch --out "$tmp/f/x"
if rc_is empty 1 && grep -q "cluster nosuch has no services" "$tmp/empty.err" && [ ! -e "$tmp/f/x" ] &&
    no_leftovers "$tmp/f"; then
	ok "a cluster without services: exit 1, nothing written"
else
	bad "a cluster without services"; show empty
fi
stop_peer

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
