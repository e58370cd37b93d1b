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
missing=""
for o in $("$T" --help | sed -nE 's/^  (--[a-z0-9_-]+).*/\1/p'); do
	grep -q -- "^\.It Fl -${o#--}" translate/f2o-translate.1 || missing="$missing $o"
done
check "every --help option is in the man page (missing:$missing)" "[ -z \"$missing\" ]"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
