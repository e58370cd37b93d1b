#!/bin/sh
# f2o-translate as a user meets it: exit codes, help, archives vs
# directories, all-or-nothing output, --config precedence.
BUILD=${BUILD:-build}
T="$BUILD/f2o-translate"
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; pass=$((pass + 1)); }
no() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
CFG=""; [ -f fixtures/demo/f2o.json ] && CFG="--config fixtures/demo/f2o.json"

"$T" --help >"$tmp/help" 2>&1; rc=$?
check "--help exits 0 and lists --prefix and --config" "[ $rc = 0 ] && grep -q -- --prefix $tmp/help && grep -q -- --config $tmp/help"
"$T" --version >"$tmp/v" 2>&1; rc=$?
check "--version exits 0" "[ $rc = 0 ] && grep -q 'f2o-translate' $tmp/v"
"$T" --no-such-option fixtures/demo -o "$tmp/x" >/dev/null 2>&1; rc=$?
check "unknown option exits 2" "[ $rc = 2 ] && [ ! -e $tmp/x ]"
"$T" fixtures/demo >/dev/null 2>&1; rc=$?
check "missing -o exits 2" "[ $rc = 2 ]"
"$T" $CFG --quiet fixtures/demo -o "$tmp/dir" >"$tmp/d1" 2>/dev/null; rc=$?
check "demo translates (exit 0, digest printed)" "[ $rc = 0 ] && grep -qE '^[0-9a-f]{64}$' $tmp/d1"
check "printed digest is the SHA-256 of manifest.json" "[ \"\$(sha256sum $tmp/dir/manifest.json | cut -d' ' -f1)\" = \"\$(cat $tmp/d1)\" ]"
"$T" $CFG --quiet fixtures/demo -o "$tmp/b.tar" >"$tmp/d2" 2>/dev/null
"$T" $CFG --quiet fixtures/demo -o "$tmp/b.tar.gz" >"$tmp/d3" 2>/dev/null
check "tar and tar.gz carry the same digest as the directory" "cmp -s $tmp/d1 $tmp/d2 && cmp -s $tmp/d1 $tmp/d3"
"$T" $CFG --quiet fixtures/demo -o "$tmp/c.tar.gz" >/dev/null 2>&1
check "two archives of one input are byte-identical" "cmp -s $tmp/b.tar.gz $tmp/c.tar.gz"
mkdir -p "$tmp/t"; (cd "$tmp/t" && tar xf "$tmp/b.tar")
check "archive holds the same files as the directory" "diff -r $tmp/dir $tmp/t >/dev/null"
check "archive entries are owned by 0 and dated 1970" "tar tvf $tmp/b.tar | awk '{print \$2, \$4}' | sort -u | grep -qx '0/0 1970-01-01'"
"$T" $CFG --quiet fixtures/demo -o "$tmp/dir" >/dev/null 2>&1; rc=$?
check "an existing bundle directory is not overwritten without --force" "[ $rc = 1 ]"
"$T" $CFG --quiet --force fixtures/demo -o "$tmp/dir" >/dev/null 2>&1; rc=$?
check "--force replaces it" "[ $rc = 0 ] && [ -f $tmp/dir/manifest.json ]"
"$T" $CFG fixtures/demo fixtures/realworld/taskdefs/datadog-managed-instances-sidecar-trailing-comma.json -o "$tmp/bad" >/dev/null 2>"$tmp/err"; rc=$?
check "bad input: exit 1, names file and line, nothing written" "[ $rc = 1 ] && grep -q 'datadog-managed-instances-sidecar-trailing-comma.json: line 25' $tmp/err && [ -z \"\$(ls $tmp | grep bad)\" ]"
"$T" $CFG fixtures/demo -o "$tmp/bad.tar.gz" --prefix 'x' --ecs-cluster nope >/dev/null 2>&1; rc=$?
check "no matching service: exit 1, no archive or temp file" "[ $rc = 1 ] && [ -z \"\$(ls $tmp | grep bad)\" ]"
# The archive cannot be written whole (a 280,000-byte file size limit: the
# spool of the files' bytes fits, the 358,400-byte archive does not).
/usr/bin/python3 -c 'import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (280000, 280000))
os.execv(sys.argv[1], sys.argv[1:])' "$T" $CFG --quiet fixtures/demo -o "$tmp/big.tar" >/dev/null 2>"$tmp/err"; rc=$?
check "archive write fails (file too large): exit 1, names the archive, no archive or temp file" "[ $rc = 1 ] && grep -q 'write $tmp/big.tar: File too large' $tmp/err && [ -z \"\$(ls $tmp | grep big)\" ]"
# The copy of the export's bytes cannot be written (a 1,000-byte limit):
# said once, naming the input and the copy; nothing is left.
/usr/bin/python3 -c 'import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
os.execv(sys.argv[1], sys.argv[1:])' "$T" $CFG --quiet fixtures/demo -o "$tmp/cp.tar" >/dev/null 2>"$tmp/err"; rc=$?
check "export copy write fails: exit 1, said once naming the input, nothing left" "[ $rc = 1 ] && [ \"\$(grep -c 'temporary copy' $tmp/err)\" = 1 ] && grep -q 'write a temporary copy of fixtures/demo/[a-z-]*.json: File too large' $tmp/err && [ -z \"\$(ls $tmp | grep cp)\" ]"
if [ -n "$CFG" ]; then
	jq '. + {"prefix": "cfg-", "quiet": true}' fixtures/demo/f2o.json >"$tmp/cfg.json"
else
	printf '{"prefix": "cfg-", "quiet": true}\n' >"$tmp/cfg.json"
fi
DEMO_FILES="fixtures/demo/services.json fixtures/demo/taskdefs fixtures/demo/security-groups.json"
"$T" --config "$tmp/cfg.json" $DEMO_FILES -o "$tmp/p1" >/dev/null 2>&1
check "--config sets parameters" "[ -f $tmp/p1/requests/svc/cfg-web.json ]"
"$T" --config "$tmp/cfg.json" --prefix cli- $DEMO_FILES -o "$tmp/p2" >/dev/null 2>&1
check "command-line options win over --config" "[ -f $tmp/p2/requests/svc/cli-web.json ]"
printf '{"prefixx": "a"}\n' >"$tmp/cfg2.json"
"$T" --config "$tmp/cfg2.json" fixtures/demo -o "$tmp/p3" >/dev/null 2>"$tmp/err"; rc=$?
check "unknown --config key is a usage error naming it" "[ $rc = 2 ] && grep -q 'prefixx' $tmp/err"
"$T" $CFG fixtures/demo -o "$tmp/w" >/dev/null 2>"$tmp/err"
check "warnings go to stderr and into the bundle" "grep -q 'assignPublicIp' $tmp/err && grep -q 'assignPublicIp' $tmp/w/warnings.json && grep -q 'assignPublicIp' $tmp/w/PLAN.md"
"$T" $CFG --quiet fixtures/demo/services.json fixtures/demo/taskdefs fixtures/demo/security-groups.json -o "$tmp/s1" >"$tmp/s1.d" 2>/dev/null
(cd "$tmp" && "$OLDPWD/$T" $(echo "$CFG" | sed "s|fixtures|$OLDPWD/fixtures|") --quiet "$OLDPWD/fixtures/demo/" -o "$tmp/s2") >"$tmp/s2.d" 2>/dev/null
check "same input, same digest, however its paths are spelled" "cmp -s $tmp/d1 $tmp/s1.d && cmp -s $tmp/d1 $tmp/s2.d"
"$T" $CFG --spot-percentage 101 fixtures/demo -o "$tmp/sp1" >/dev/null 2>"$tmp/err"; rc=$?
check "--spot-percentage above 100: usage error, nothing written" "[ $rc = 2 ] && grep -q 'spot-percentage must be from 0 to 100' $tmp/err && [ ! -e $tmp/sp1 ]"
jq '. + {"spot-percentage": 60}' fixtures/demo/f2o.json >"$tmp/cfg3.json"
"$T" --config "$tmp/cfg3.json" --quiet $DEMO_FILES -o "$tmp/sp2" >/dev/null 2>&1
"$T" $CFG --spot-percentage 60 --quiet $DEMO_FILES -o "$tmp/sp3" >/dev/null 2>&1
check "spot-percentage from --config: the cluster's 60, in the manifest, as on the command line" "jq -e '.cluster.strategy.spotPercentage == 60' $tmp/sp2/requests/ocean/cluster.json >/dev/null && jq -e '.parameters[\"spot-percentage\"] == 60' $tmp/sp2/manifest.json >/dev/null && diff -r $tmp/sp2 $tmp/sp3 >/dev/null"
missing=""
for o in $("$T" --help | sed -nE 's/^  (--[a-z0-9_-]+).*/\1/p'); do
	grep -q -- "^\.It Fl -${o#--}" translate/f2o-translate.1 || missing="$missing $o"
done
check "every --help option is in the man page (missing:$missing)" "[ -z \"$missing\" ]"
# Diagnostics (issue 16): format, --json, limits, flags, redaction.
DB=fixtures/diag/base
check "man page documents the diagnostic format and --json" "grep -q '^\.Sh DIAGNOSTICS' translate/f2o-translate.1 && grep -q 'SEVERITY: FILE: PATH: PROBLEM' translate/f2o-translate.1 && grep -q '^\.Sh INPUTS' translate/f2o-translate.1"
"$T" $CFG --json $DB/services.json $DB/security-groups.json fixtures/diag/dupkeys/taskdef.json fixtures/diag/template/taskdef.json -o "$tmp/j" >"$tmp/j.out" 2>"$tmp/j.err"; rc=$?
check "--json: exit 1, stdout empty, nothing written" "[ $rc = 1 ] && [ ! -s $tmp/j.out ] && [ ! -e $tmp/j ]"
check "--json: every stderr line is a JSON object with severity and message" "/usr/bin/python3 -c 'import json,sys; [json.loads(l)[\"severity\"] and json.loads(l)[\"message\"] for l in open(sys.argv[1])]' $tmp/j.err"
check "--json: errors of both files, with file, path and value" "/usr/bin/python3 -c '
import json,sys
d=[json.loads(l) for l in open(sys.argv[1])]
e=[x for x in d if x[\"severity\"]==\"error\" and \"file\" in x]
assert any(x[\"file\"].endswith(\"dupkeys/taskdef.json\") and x[\"path\"].endswith(\".essential\") for x in e)
assert any(x[\"file\"].endswith(\"template/taskdef.json\") and x[\"path\"]==\"\$.taskDefinition.family\" and x[\"value\"]==\"<TASK_NAME>\" and x[\"hint\"] for x in e)
' $tmp/j.err"
"$T" $CFG --quiet --allow-unknown-values $DB/services.json $DB/security-groups.json fixtures/diag/unknown/taskdef.json -o "$tmp/u" >/dev/null 2>"$tmp/u.err"; rc=$?
check "--allow-unknown-values: the unknown value is a warning with its path, bundle written" "[ $rc = 0 ] && grep -q 'warning: fixtures/diag/unknown/taskdef.json: \$.taskDefinition.networkMode: not a value the ECS model knows' $tmp/u.err && grep -q awsvpcx $tmp/u/requests/td/*.json"
"$T" $CFG --quiet $DB/services.json $DB/security-groups.json fixtures/diag/unknown/taskdef.json -o "$tmp/u2" >/dev/null 2>"$tmp/u2.err"; rc=$?
check "without it the unknown value is an error" "[ $rc = 1 ] && grep -q 'error: .*networkMode: not a value the ECS model knows.*\"awsvpcx\"' $tmp/u2.err && [ ! -e $tmp/u2 ]"
"$T" $CFG --duplicate-keys first fixtures/demo -o "$tmp/dk" >/dev/null 2>"$tmp/dk.err"; rc=$?
check "--duplicate-keys takes error or last only (usage error)" "[ $rc = 2 ] && grep -q 'duplicate-keys' $tmp/dk.err"
"$T" $CFG --quiet --duplicate-keys last $DB/services.json $DB/security-groups.json fixtures/diag/dupkeys/taskdef.json -o "$tmp/dl" >/dev/null 2>"$tmp/dl.err"; rc=$?
check "--duplicate-keys last: one warning per key, one key in the request" "[ $rc = 0 ] && [ \$(grep -c 'appears 2 times' $tmp/dl.err) = 1 ] && [ \$(grep -c '\"essential\"' $tmp/dl/requests/td/shop-web.json) = 2 ]"
"$T" $CFG --quiet $DB/services.json $DB/security-groups.json fixtures/diag/manyerrors/taskdef.json -o "$tmp/m" >/dev/null 2>"$tmp/m.err"; rc=$?
check "at most 50 errors, then how many more" "[ $rc = 1 ] && [ \$(grep -c 'appears 2 times' $tmp/m.err) = 50 ] && grep -q 'error: 10 more errors not shown' $tmp/m.err"
jq '.taskDefinition.containerDefinitions[0].secrets = [{"name": "DB", "valueFrom": "<DB_PASSWORD_ARN>"}] | .taskDefinition.containerDefinitions[0].environment = [{"name": "P", "value": "${Partition}-hunter2"}]' $DB/taskdef.json >"$tmp/sec.json"
"$T" $CFG --quiet $DB/services.json $DB/security-groups.json "$tmp/sec.json" -o "$tmp/s" >/dev/null 2>"$tmp/s.err"; rc=$?
check "secrets are redacted in messages; environment text is not checked" "[ $rc = 1 ] && grep -q 'secrets\[0\].valueFrom: template placeholder.*\"(redacted)\"' $tmp/s.err && ! grep -q 'DB_PASSWORD_ARN\|hunter2\|environment' $tmp/s.err"
"$T" $CFG --quiet fixtures/diag/template/taskdef.json -o "$tmp/t" >/dev/null 2>"$tmp/t.err"; rc=$?
check "a lone template task definition names its file, no internal step error" "[ $rc = 1 ] && grep -q 'fixtures/diag/template/taskdef.json: \$.taskDefinition.family: template placeholder' $tmp/t.err && ! grep -qi 'step' $tmp/t.err"
jq '.taskDefinition = "shop-web:12"' fixtures/diag/barefamily/create-service.json >"$tmp/cs12.json"
"$T" $CFG --quiet --region us-east-1 --account 123456789012 "$tmp/cs12.json" $DB/security-groups.json fixtures/diag/barefamily-norev/register-task-definition.json -o "$tmp/rt" >/dev/null 2>"$tmp/rt.err"; rc=$?
check "a register-task-definition input stands for the revision a create-service input names; rollback names it" "[ $rc = 0 ] && grep -q 'cs12.json: \$.taskDefinition: names a revision that the export has only as a task definition without one' $tmp/rt.err && grep -q '\"taskDefinition\":.*\"shop-web:12\"' $tmp/rt/requests/rb/web:fargate.json"
"$T" $CFG --quiet $DB/taskdef.json -o "$tmp/lone" >/dev/null 2>"$tmp/lone.err"; rc=$?
check "a lone task definition file: the error names the file and path" "[ $rc = 1 ] && grep -q '^f2o-translate: error: $DB/taskdef.json: \$.taskDefinition: task definition shop-web:12, but no service' $tmp/lone.err"
"$T" $CFG --quiet $DB/services.json $DB/security-groups.json fixtures/diag/crossaccount/taskdef.json -o "$tmp/p1x" >"$tmp/p1x.d" 2>/dev/null
"$T" $CFG --quiet ./$DB/services.json ./$DB/security-groups.json "$PWD/fixtures/diag/crossaccount/../crossaccount/taskdef.json" -o "$tmp/p2x" >"$tmp/p2x.d" 2>/dev/null
check "warnings naming files keep the digest independent of path spelling" "cmp -s $tmp/p1x.d $tmp/p2x.d && grep -q 'ECR image in region eu-west-1' $tmp/p1x/warnings.json"
check "--allow-unknown-values warnings are kept in warnings.json" "grep -q 'networkMode: not a value the ECS model knows' $tmp/u/warnings.json"
# F2O_TIMINGS (make bench's stage times): a line per stage in the file,
# the same bundle bytes; a file that cannot be opened is a warning only.
F2O_TIMINGS="$tmp/stages" "$T" $CFG --quiet fixtures/demo -o "$tmp/timed.tar" >"$tmp/d4" 2>"$tmp/err"; rc=$?
check "F2O_TIMINGS: exit 0, the same archive, every stage timed" "[ $rc = 0 ] && cmp -s $tmp/b.tar $tmp/timed.tar && ! grep -q F2O_TIMINGS $tmp/err && [ \"\$(cut -d' ' -f1 $tmp/stages | tr '\n' ' ')\" = 'read-export check-services taskdefs security-groups ocean services autoscaling cutover+rollback report plan.json PLAN.md iam-policy.json manifest write-bundle ' ] && awk 'NF != 3 || \$2 < 0 || \$3 < 0 { exit 1 }' $tmp/stages"
F2O_TIMINGS="$tmp/no/such/dir" "$T" $CFG --quiet fixtures/demo -o "$tmp/timed2.tar" >/dev/null 2>"$tmp/err"; rc=$?
check "F2O_TIMINGS unwritable: a warning, the same archive" "[ $rc = 0 ] && cmp -s $tmp/b.tar $tmp/timed2.tar && grep -q 'warning: F2O_TIMINGS=$tmp/no/such/dir: No such file or directory: no timings' $tmp/err"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
