#!/bin/sh
# f2o-export against the loopback peers, with the AWS CLI on PATH (`aws`:
# the image's CLI v1, or Debian's awscli 2.9 in CI, which does not read
# AWS_ENDPOINT_URL itself). Two peers are seeded alike
# One peer is seeded (tests/tools/export_fixture.py): the demo cluster `shop`
# with the autoscaling of fixtures/autoscaling; `bulk`, 23 services (three
# ListServices pages, three DescribeServices batches) with 108 step-scaling
# alarms (two DescribeAlarms batches); 60 targets, policies and actions of
# a cluster `other` (two pages of each Application Auto Scaling Describe*,
# none exported). shop is exported first (it fills the CLI skeleton cache),
# then bulk (which must reuse it), then the failures at once; each exported
# folder is translated and the bundle compared
# with the one translated from the hand-made export
# (tests/tools/bundle_same.py: plan.json and PLAN.md byte-equal, requests
# equal, after fixing the bundle id, a digest of the inputs). Also: usage
# and exit codes, --profile, --region, --force, the service-specific
# endpoint variables, the CLI model check, and failures (bad credentials, a
# failing call, no service) leaving nothing behind.
# The CLI's calls (about 40) were most of this test's CPU: a pyenv shim
# for `aws` is replaced by the CLI it runs (`pyenv which aws`), which saves
# the shim's bash and `pyenv exec` (a third of each start), and a CLI that
# is a Python script runs each call in a fork of one start that made its
# imports and parsed botocore's data (tests/tools/aws_fork.py; set
# F2O_TEST_AWS_FORK=0 for a real start per call).
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
aws_path=$(command -v aws)
case $aws_path in
*/shims/aws)
	real=$(pyenv which aws 2>/dev/null) || real=""
	if [ -x "$real" ]; then
		mkdir -p "$tmp/bin"
		ln -s "$real" "$tmp/bin/aws"
		PATH=$tmp/bin:$PATH
		aws_path="$aws_path -> $real"
	fi
	;;
esac
# The rest of a CLI start is mostly Python importing awscli and botocore
# (two thirds of its CPU): tests/tools/aws_fork.py, run by the CLI's own
# interpreter, imports them once and runs each call's CLI script in a fork
# of itself, with the call's arguments, environment, directory and streams
# (the CLI's behaviour after its imports is its own). For a CLI that is a
# Python script running awscli.clidriver; F2O_TEST_AWS_FORK=0: every call a
# real start.
mkdir -p "$tmp/home"
cli=$(command -v aws)
cli=$(readlink -f "$cli")
interp=$(sed -n '1s/^#!//p' "$cli" 2>/dev/null)
fork_pid=""
aws_fork_stop() {
	[ -z "$fork_pid" ] || { kill "$fork_pid" 2>/dev/null; wait "$fork_pid" 2>/dev/null; }
	fork_pid=""
}
trap 'aws_fork_stop; cleanup' EXIT
if [ "${F2O_TEST_AWS_FORK:-1}" != 0 ] && [ -x "$interp" ] &&
    grep -q '^import awscli.clidriver' "$cli"; then
	env -i PATH="$PATH" HOME="$tmp/home" "$interp" tests/tools/aws_fork.py \
	    --serve "$tmp/aws.sock" --cli "$cli" --max-seconds 900 \
	    >"$tmp/aws_fork.out" 2>"$tmp/aws_fork.err" &
	fork_pid=$!
	i=0
	while [ ! -s "$tmp/aws_fork.out" ] && [ $i -lt 300 ] && kill -0 "$fork_pid" 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
	done
	if [ "$(cat "$tmp/aws_fork.out")" = ready ]; then
		mkdir -p "$tmp/fbin"
		cat >"$tmp/fbin/aws" <<EOF
#!/usr/bin/python3 -IS
import sys
sys.path.insert(0, "$(pwd)/tests/tools")
import aws_fork
sys.exit(aws_fork.client("$tmp/aws.sock", "$cli", sys.argv[1:]))
EOF
		chmod +x "$tmp/fbin/aws"
		PATH=$tmp/fbin:$PATH
		aws_path="$aws_path (each call a fork of one start: tests/tools/aws_fork.py)"
	else
		echo "note: tests/tools/aws_fork.py did not start; every call a CLI start"
		sed 's/^/    /' "$tmp/aws_fork.err" | tail -n 5
		aws_fork_stop
	fi
fi
# The CLI's version costs a CLI start: printed only when a check failed.
echo "aws: $aws_path"
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
no_leftovers() { ! ls -A "$1" | grep -q '^\.f2o-export'; }
# The peer state at URL into FILE.
state_of() { # url file
	AWS_URL=$1 state "$2"
}
# Requests a peer answered between two state files, by operation: "op=n ..."
ops_since() { # before after
	$PY -c '
import json, sys
a = json.load(open(sys.argv[1]))["requests"]["byOperation"]
b = json.load(open(sys.argv[2]))["requests"]["byOperation"]
print(" ".join("%s=%d" % (k, b[k] - a.get(k, 0))
               for k in sorted(b) if b[k] != a.get(k, 0)))' "$1" "$2"
}
calls() { # label before after want
	got=$(ops_since "$2" "$3")
	if [ "$got" = "$4" ]; then ok "$1: calls $4"; else bad "$1: calls $got, want $4"; fi
}
translate() { # export-dir bundle
	rm -rf "$2"
	# shellcheck disable=SC2086
	"$T" $CFG --quiet "$1" -o "$2" >/dev/null 2>"$2.err"
}
# round_trip LABEL EXPORTED HAND HAND-BUNDLE STDERR: translate the exported
# folder and compare its bundle with the hand-made export's. A member of
# the seeded resources the export lacks (an AWS CLI whose model predates
# it drops it) that the translator carries must be named by f2o-export's
# warning (in STDERR); the comparison is then with the hand-made export
# without it. Members the translator does not carry are only listed.
round_trip() {
	$PY tests/tools/export_fixture.py lost "$tmp/fx/seed" "$2" "$3" "$tmp/reduced-$1" >"$tmp/lost-$1.txt"
	expected=$4
	unnamed="" carried="" only=""
	while IFS= read -r m; do
		case $m in
		output-only\ *) only="$only, ${m#output-only }" ;;
		other\ *) unnamed="$unnamed, $m" ;;
		*)
			carried="$carried, $m"
			grep 'predates members' "$5" | grep -qE "(: |, )$m(,|;)" || unnamed="$unnamed, $m"
			;;
		esac
	done <"$tmp/lost-$1.txt"
	if [ -n "$unnamed" ]; then
		bad "$1: the export lost members f2o-export did not warn about:${unnamed#,}"
	elif [ -n "$carried" ]; then
		ok "$1: the CLI dropped members its model lacks (${carried#, }), each named by f2o-export's warning; compared with the hand-made export without them"
	else
		ok "$1: the export holds every member of the seeded resources the translator carries"
	fi
	[ -z "$only" ] || echo "note $1: the CLI also dropped members the translator does not carry:${only#,}"
	if [ -n "$carried" ]; then
		expected=$tmp/b-reduced-$1
		translate "$tmp/reduced-$1" "$expected"
	fi
	if ! translate "$2" "$tmp/b-exp-$1"; then
		bad "$1: the exported folder translates"; sed 's/^/    /' "$tmp/b-exp-$1.err"
	fi
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
# f2o-export's lists of the members the translator carries (those of both
# the request shape and the describe output shape) = the models'.
if $PY - export/f2o-export.sh >"$tmp/members.out" 2>&1 <<'EOF'
import json, re, sys
script = open(sys.argv[1]).read()
sh = {k: set(v.split()) for k, v in
      re.findall(r'^([A-Z]+_[A-Z]+)_MEMBERS="([^"]*)"', script, re.M)}
models = {"ECS": "ecs/2014-11-13", "AAS": "application-autoscaling/2016-02-06",
          "CW": "cloudwatch/2010-08-01"}
shapes = {k: json.load(open("tests/models/%s/service-2.json" % v))["shapes"]
          for k, v in models.items()}
def both(m, req, out):
    return set(shapes[m][req]["members"]) & set(shapes[m][out]["members"])
want = {"ECS_SERVICE": both("ECS", "CreateServiceRequest", "Service"),
        "ECS_TASKDEF": both("ECS", "RegisterTaskDefinitionRequest", "TaskDefinition"),
        "ECS_CONTAINER": both("ECS", "ContainerDefinition", "ContainerDefinition"),
        "AAS_TARGET": both("AAS", "RegisterScalableTargetRequest", "ScalableTarget"),
        "AAS_POLICY": both("AAS", "PutScalingPolicyRequest", "ScalingPolicy"),
        "AAS_ACTION": both("AAS", "PutScheduledActionRequest", "ScheduledAction"),
        "CW_ALARM": both("CW", "PutMetricAlarmInput", "MetricAlarm")}
bad = sorted(k for k in set(want) | set(sh) if sh.get(k) != want.get(k))
for k in bad:
    print("%s_MEMBERS: missing %s, extra %s" % (
        k, sorted(want.get(k, set()) - sh.get(k, set())),
        sorted(sh.get(k, set()) - want.get(k, set()))))
sys.exit(1 if bad else 0)
EOF
then
	ok "f2o-export's 7 member lists equal the models' (tests/models)"
else
	bad "f2o-export's member lists equal the models'"; cat "$tmp/members.out"
fi

# -- the peer and the hand-made exports -----------------------------------------
$PY tests/tools/export_fixture.py "$tmp/fx"
if start_peer a --seed "$tmp/fx/seed"; then ok "peer started"; else bad "peer started"; fi
translate "$tmp/fx/shop" "$tmp/b-shop"
translate "$tmp/fx/bulk" "$tmp/b-bulk"
if [ -f "$tmp/b-shop/plan.json" ] && [ -f "$tmp/b-bulk/plan.json" ]; then
	ok "the hand-made exports translate"
else
	bad "the hand-made exports translate"; cat "$tmp/b-shop.err" "$tmp/b-bulk.err"
fi

# -- shop (--profile, --region, --force), then bulk (the service-specific
# -- endpoint variables, the skeleton cache shop left) -------------------------------
mkdir -p "$tmp/aws" "$tmp/exp-shop"
printf '[f2o-test]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AK" "$SK" >"$tmp/aws/credentials"
printf 'stale\n' >"$tmp/exp-shop/old.json"
xp refuse AWS_ENDPOINT_URL="$AWS_URL" $CREDS "$X" --region us-east-1 --cluster shop --out "$tmp/exp-shop"
if rc_is refuse 1 && grep -q "not empty" "$tmp/refuse.err" && [ -f "$tmp/exp-shop/old.json" ]; then
	ok "an existing non-empty --out is refused (exit 1) and left alone"
else
	bad "an existing non-empty --out is refused"; show refuse
fi
state_of "$AWS_URL" "$tmp/a0.json"
xp shop AWS_ENDPOINT_URL="$AWS_URL" AWS_SHARED_CREDENTIALS_FILE="$tmp/aws/credentials" \
    AWS_CONFIG_FILE="$tmp/aws/config" "$X" --profile f2o-test --region us-east-1 \
    --cluster shop --out "$tmp/exp-shop" --force
state_of "$AWS_URL" "$tmp/a1.json"
# The CLI's input skeletons are kept per CLI version for later exports
# (made once, by shop; bulk must read them, not make them again).
skel() { ls -li --full-time "$tmp"/home/.cache/f2o-export/cli-*/skel-*.json 2>/dev/null; }
skel >"$tmp/skel-shop.txt"
n=$(grep -c . "$tmp/skel-shop.txt")
if [ "$n" -eq 6 ] && ! ls -A "$tmp"/home/.cache/f2o-export/cli-* | grep -q '^\.'; then
	ok "the 6 CLI skeletons cached under ~/.cache/f2o-export, no partial file"
else
	bad "skeleton cache: $n files"; ls -laR "$tmp/home/.cache" 2>&1 | head
fi
# AWS_ENDPOINT_URL names a closed port: every call must take its
# service's own variable.
xp bulk AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_ECS="$AWS_URL" \
    AWS_ENDPOINT_URL_EC2="$AWS_URL" AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING="$AWS_URL" \
    AWS_ENDPOINT_URL_CLOUDWATCH="$AWS_URL" AWS_DEFAULT_REGION=us-east-1 $CREDS \
    "$X" --cluster bulk --out "$tmp/exp-bulk"
state_of "$AWS_URL" "$tmp/a2.json"
if skel | cmp -s - "$tmp/skel-shop.txt"; then
	ok "bulk: the cached skeletons reused (none made or rewritten)"
else
	bad "bulk: the skeleton cache changed"; skel
fi

if rc_is shop 0 && [ "$(cat "$tmp/shop.out")" = "$tmp/exp-shop" ]; then
	ok "shop: export (--profile, --region, --force) exits 0, prints the directory"
else
	bad "shop: export exits $(cat "$tmp/shop.rc")"; show shop
fi
got=$(cd "$tmp/exp-shop" 2>/dev/null && find . -type f | sort | tr '\n' ' ')
want="./autoscaling/alarms.json ./autoscaling/scalable-targets.json ./autoscaling/scaling-policies.json ./autoscaling/scheduled-actions.json ./security-groups.json ./services.json ./taskdefs/legacy-cron-2.json ./taskdefs/shop-api-7.json ./taskdefs/shop-imgproc-4.json ./taskdefs/shop-web-12.json ./taskdefs/shop-worker-31.json "
if [ "$got" = "$want" ]; then
	ok "shop: the layout of README.md (--force replaced the old content)"
else
	bad "shop: layout: got $got"
fi
got=$(cd "$tmp/exp-shop/autoscaling" 2>/dev/null && jq -r '[(.ScalableTargets, .ScalingPolicies, .ScheduledActions, .MetricAlarms) // empty | length] | join(" ")' scalable-targets.json scaling-policies.json scheduled-actions.json alarms.json | tr '\n' ' ')
others=$(cd "$tmp/exp-shop/autoscaling" 2>/dev/null && jq -r '(.ScalableTargets, .ScalingPolicies, .ScheduledActions) // empty | .[].ResourceId | select(startswith("service/shop/") | not)' scalable-targets.json scaling-policies.json scheduled-actions.json)
if [ "$got" = "4 4 2 2 " ] && [ -z "$others" ]; then
	ok "shop: 4 targets, 4 policies, 2 actions of its services (not ghost's, bulk's, other's), its 2 step-scaling alarms"
else
	bad "shop: autoscaling counts $got, other resources: $others"
fi
calls shop "$tmp/a0.json" "$tmp/a1.json" "aas:DescribeScalableTargets=2 aas:DescribeScalingPolicies=2 aas:DescribeScheduledActions=2 cw:DescribeAlarms=1 ec2:DescribeSecurityGroups=1 ecs:DescribeServices=1 ecs:DescribeTaskDefinition=5 ecs:ListServices=1"
if rc_is bulk 0 && [ "$(jq '.services | length' "$tmp/exp-bulk/services.json" 2>/dev/null)" = 23 ]; then
	ok "bulk: export through AWS_ENDPOINT_URL_<SERVICE> exits 0, 23 services"
else
	bad "bulk: export exits $(cat "$tmp/bulk.rc")"; show bulk
fi
n=$(jq '.MetricAlarms | length' "$tmp/exp-bulk/autoscaling/alarms.json" 2>/dev/null)
if [ "$n" = 108 ]; then ok "bulk: 108 alarms"; else bad "bulk: 108 alarms (got $n)"; fi
# ListServices 3 pages, DescribeServices 3 batches, each task definition
# once, DescribeAlarms 100 + 8 names (the first batch answered in 2 pages).
calls bulk "$tmp/a1.json" "$tmp/a2.json" "aas:DescribeScalableTargets=2 aas:DescribeScalingPolicies=2 aas:DescribeScheduledActions=2 cw:DescribeAlarms=3 ec2:DescribeSecurityGroups=1 ecs:DescribeServices=3 ecs:DescribeTaskDefinition=2 ecs:ListServices=3"
if no_leftovers "$tmp"; then ok "no temporary directory left"; else bad "temporary directory left"; ls -A "$tmp"; fi

round_trip shop "$tmp/exp-shop" "$tmp/fx/shop" "$tmp/b-shop" "$tmp/shop.err"
round_trip bulk "$tmp/exp-bulk" "$tmp/fx/bulk" "$tmp/b-bulk" "$tmp/bulk.err"

# The comparison can fail: one changed value in a request.
cp -R "$tmp/b-exp-shop" "$tmp/b-tampered"
sed -i 's/"family":\t"shop-web"/"family":\t"shop-webx"/' "$tmp/b-tampered/requests/td/shop-web.json"
if ! $PY tests/tools/bundle_same.py "$tmp/b-exp-shop" "$tmp/b-tampered" >"$tmp/same-bad.out" 2>&1 &&
    grep -q '^FAIL every request equal' "$tmp/same-bad.out" && grep -q 'shop-webx' "$tmp/same-bad.out"; then
	ok "bundle_same.py finds a changed request value"
else
	bad "bundle_same.py finds a changed request value"; cat "$tmp/same-bad.out"
fi

# -- failures: exit 1, the failed call named, nothing written -------------------
# A 500 on every DescribeTaskDefinition of the peer, which also refuses a
# wrong secret and knows no cluster nosuch (those two fail before any
# DescribeTaskDefinition).
mkdir -p "$tmp/f" "$tmp/g" "$tmp/h"
$PY -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_f2o/faults", data=sys.argv[2].encode(), method="POST"), timeout=10).read()' \
    "$AWS_URL" '{"rate": 1, "kinds": ["500"], "ops": ["DescribeTaskDefinition"]}'
xp fault AWS_ENDPOINT_URL="$AWS_URL" $CREDS AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 \
    "$X" --cluster shop --out "$tmp/f/x" --no-autoscaling &
j1=$!
xp badkey AWS_ENDPOINT_URL="$AWS_URL" AWS_ACCESS_KEY_ID="$AK" \
    AWS_SECRET_ACCESS_KEY=not-the-secret-key-0000 AWS_DEFAULT_REGION=us-east-1 \
    AWS_MAX_ATTEMPTS=1 "$X" --cluster shop --out "$tmp/g/x" &
j2=$!
xp empty AWS_ENDPOINT_URL="$AWS_URL" $CREDS AWS_DEFAULT_REGION=us-east-1 \
    "$X" --cluster nosuch --out "$tmp/h/x" &
j3=$!
wait "$j1" "$j2" "$j3"
if rc_is fault 1 && grep -q "aws ecs describe-task-definition --task-definition arn:aws:ecs:us-east-1:123456789012:task-definition/legacy-cron:2 --include TAGS failed" "$tmp/fault.err" &&
    [ ! -e "$tmp/f/x" ] && no_leftovers "$tmp/f"; then
	ok "a call failing after services.json was written: exit 1, the call named, nothing written"
else
	bad "a call failing midway"; show fault
fi
if rc_is badkey 1 && grep -q "aws ecs list-services --cluster shop failed" "$tmp/badkey.err" &&
    grep -q "InvalidSignatureException" "$tmp/badkey.err" && [ ! -e "$tmp/g/x" ] && no_leftovers "$tmp/g" &&
    ! grep -q "not-the-secret-key" "$tmp/badkey.err"; then
	ok "a refused signature: exit 1, the call and the CLI's error named, nothing written, no secret shown"
else
	bad "a refused signature"; show badkey
fi
if rc_is empty 1 && grep -q "cluster nosuch has no services" "$tmp/empty.err" && [ ! -e "$tmp/h/x" ] &&
    no_leftovers "$tmp/h"; then
	ok "a cluster without services: exit 1, nothing written"
else
	bad "a cluster without services"; show empty
fi

[ "$fail" -eq 0 ] || echo "aws --version: $(aws --version 2>&1 | head -n 1)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
