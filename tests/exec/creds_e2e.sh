#!/bin/sh
# End-to-end: f2o-exec finds AWS credentials through each source of the AWS
# CLI chain and refreshes temporary ones. For each source (environment, web
# identity, role_arn + source_profile chain, credential_source Environment,
# credential_process, SSO token cache (and its renewal with the refresh
# token: ahead of expiry, after the portal refused it, refused itself),
# container FULL_URI with a token file,
# IMDSv2) the demo bundle's import phase runs against a fresh peer
# (tests/peers/peer.py with fake_sts.py) and the peer says which identity
# signed the ECS / EC2 / STS requests. Then runs whose STS sessions expire in
# the middle (refused as ExpiredTokenException / RequestExpired, and refreshed
# ahead of time) must finish with nothing created twice. No secret may appear
# in stdout, stderr or the journal.
# The cases run as parallel jobs (tests/exec/jobs.inc), each with its own
# peer, HOME and journal; peers at 0.2 s to stability and f2o-exec polling
# every 0.2 s, except in the expiry cases, which need runs longer than the
# 2 s sessions (1 s polls, peerlib's delays, as before).
# Ends with "N passed, N failed". Usage: sh tests/exec/creds_e2e.sh (repo
# root). Environment: BUILD (default build), CREDS_JOBS (4).
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/jobs.inc

ACCT=123456789012
USER_ARN="arn:aws:iam::$ACCT:user/f2o-test"
WEB_TOKEN=f2o-e2e-oidc-token-secret-0001
SSO_TOKEN=f2o-e2e-sso-access-token-secret-0001
SSO_SECRET=f2o-e2e-sso-client-secret-0001
SSO_REFRESH=f2o-e2e-sso-refresh-token-secret-0001
CTR_TOKEN=f2o-e2e-container-auth-secret-0001

if "$T" --quiet --config fixtures/demo/f2o.json fixtures/demo/services.json \
    fixtures/demo/taskdefs fixtures/demo/security-groups.json \
    -o "$tmp/bundle" >"$tmp/translate.out" 2>&1; then
	ok "translate demo"
else
	bad "translate demo"; sed 's/^/    /' "$tmp/translate.out"
	echo "$pass passed, $fail failed"; exit 1
fi

# Peer options shared by every case; short peer delays (after peerlib's
# own: the last one counts) but in the expiry cases.
FAST_PEER="--stable-seconds 0.2 --drain-seconds 0.2"
start_creds_peer() { # name [more peer options]
	n=$1; shift
	# shellcheck disable=SC2086
	start_peer "$n" $FAST_PEER --web-identity-token "$WEB_TOKEN" \
	    --sso-token "$SSO_TOKEN" --container-token "$CTR_TOKEN" \
	    --sso-client-id f2o-e2e-client --sso-client-secret "$SSO_SECRET" \
	    --sso-refresh-token "$SSO_REFRESH" "$@"
}

creds_state() { # file
	$PY -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1] + "/_f2o/creds", timeout=10).read().decode())' "$AWS_URL" >"$1"
}

# run_src NAME VAR=VALUE...: the import phase with a clean environment plus
# the given variables (no AWS keys unless given), a fresh journal, IMDS off
# unless a variable turns it on. Output in $tmp/NAME.log.
run_src() {
	n=$1; shift
	mkdir -p "$tmp/home-$n"
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$tmp/home-$n" AWS_ENDPOINT_URL="$AWS_URL" \
	    SPOTINST_BASE_URL="$SPOT_URL" AWS_REGION=us-east-1 \
	    SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    AWS_EC2_METADATA_DISABLED=true \
	    AWS_CONFIG_FILE="$tmp/home-$n/config" \
	    AWS_SHARED_CREDENTIALS_FILE="$tmp/home-$n/credentials" \
	    "$@" "$E" --wait-interval "${WAIT_INTERVAL:-0.2}" \
	    --journal "$tmp/$n.journal" \
	    $F2O_EXEC_ARGS run "$tmp/bundle" >"$tmp/$n.log" 2>&1
}

# check_signers NAME SERVICE IDENTITY: every SERVICE request was signed by
# IDENTITY (and at least one was).
check_signers() { # case service identity...: exactly these signers
	c=$1; shift
	if $PY - "$tmp/$c.creds.json" "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["signers"].get(sys.argv[2], {})
if sorted(d) != sorted(sys.argv[3:]) or min(list(d.values()) or [0]) < 1:
    sys.stderr.write("    signers of %s: %s\n" % (sys.argv[2], d))
    sys.exit(1)
EOF
	then ok "$c: $1 requests signed by ${*#* }"
	else bad "$c: $1 requests signed by ${*#* }"
	fi
}

# case NAME IDENTITY [VAR=VALUE...]: fresh peer, one run, exit 0, the bundle's
# resources exist, signers checked; the peer stays up for more checks.
run_case() {
	n=$1; who=$2; shift 2
	if ! start_creds_peer "$n"; then bad "$n: peer started"; return; fi
	if run_src "$n" "$@"; then
		ok "$n: f2o-exec run exits 0"
	else
		bad "$n: f2o-exec run exits $?"
		sed 's/^/    /' "$tmp/$n.log" | tail -n 20
	fi
	creds_state "$tmp/$n.creds.json"
	state "$tmp/$n.state.json"
	$PY tests/tools/e2e_check.py expect "$tmp/bundle" "$tmp/$n.state.json" \
	    >"$tmp/$n.check" 2>&1
	if grep -q '^FAIL ' "$tmp/$n.check"; then
		bad "$n: peer state matches the plan"
		sed 's/^/    /' "$tmp/$n.check" | grep FAIL | head -n 5
	else
		ok "$n: peer state matches the plan"
	fi
	check_signers "$n" ecs "$who"
	check_signers "$n" ec2 "$who"
}

role() { echo "arn:aws:sts::$ACCT:assumed-role/$1/$2"; }

# 1. environment
case_env() {
run_case env "$USER_ARN" AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK"
stop_peer
}

# 2. web identity from the environment (AssumeRoleWithWebIdentity)
case_web() {
mkdir -p "$tmp/home-web"
printf '%s\n' "$WEB_TOKEN" >"$tmp/home-web/token"
run_case web "$(role f2o-web e2e-web)" \
    AWS_WEB_IDENTITY_TOKEN_FILE="$tmp/home-web/token" \
    AWS_ROLE_ARN="arn:aws:iam::$ACCT:role/f2o-web" \
    AWS_ROLE_SESSION_NAME=e2e-web
stop_peer
}

# 3. role_arn + source_profile, two hops: deploy <- mid <- base (static)
# (written before the jobs start: the expiry cases copy it)
mkdir -p "$tmp/home-chain"
cat >"$tmp/home-chain/credentials" <<EOF
[base]
aws_access_key_id = $AK
aws_secret_access_key = $SK
EOF
cat >"$tmp/home-chain/config" <<EOF
[profile deploy]
role_arn = arn:aws:iam::$ACCT:role/f2o-deploy
source_profile = mid
role_session_name = e2e-deploy

[profile mid]
role_arn = arn:aws:iam::$ACCT:role/f2o-mid
source_profile = base
role_session_name = e2e-mid

[profile base]
region = us-east-1
EOF
case_chain() {
run_case chain "$(role f2o-deploy e2e-deploy)" AWS_PROFILE=deploy
# (and the preflight's GetCallerIdentity by the deploy role itself)
$PY - "$tmp/chain.creds.json" "$USER_ARN" "$(role f2o-mid e2e-mid)" "$(role f2o-deploy e2e-deploy)" <<'EOF' >"$tmp/chain.sts"
import json, sys
d = json.load(open(sys.argv[1]))["signers"].get("sts", {})
print("ok   chain: AssumeRole signed by the base keys, then by the mid role"
      if sorted(d) == sorted(sys.argv[2:]) else
      "FAIL chain: sts signers %s" % d)
EOF
tally "$tmp/chain.sts"
stop_peer
}

# 3b. a source_profile cycle is refused before anything is sent
case_cycle() {
mkdir -p "$tmp/home-cycle"
cat >"$tmp/home-cycle/config" <<EOF
[profile a]
role_arn = arn:aws:iam::$ACCT:role/a
source_profile = b
[profile b]
role_arn = arn:aws:iam::$ACCT:role/b
source_profile = a
EOF
if start_creds_peer cycle; then
	if run_src cycle AWS_PROFILE=a; then
		bad "cycle: f2o-exec refuses a source_profile cycle"
	elif grep -q "makes a cycle" "$tmp/cycle.log"; then
		ok "cycle: f2o-exec refuses a source_profile cycle"
	else
		bad "cycle: no cycle message"; tail -n 5 "$tmp/cycle.log"
	fi
	stop_peer
fi
}

# 4. credential_source = Environment with --profile (env keys not used
#    directly, only to assume the role)
case_envsrc() {
mkdir -p "$tmp/home-envsrc"
cat >"$tmp/home-envsrc/config" <<EOF
[profile envrole]
role_arn = arn:aws:iam::$ACCT:role/f2o-envrole
credential_source = Environment
role_session_name = e2e-envsrc
EOF
F2O_EXEC_ARGS_SAVE=$F2O_EXEC_ARGS
F2O_EXEC_ARGS="$F2O_EXEC_ARGS --profile envrole"
run_case envsrc "$(role f2o-envrole e2e-envsrc)" \
    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK"
F2O_EXEC_ARGS=$F2O_EXEC_ARGS_SAVE
# AssumeRole by the environment's keys, GetCallerIdentity (the
# preflight) by the role
check_signers envsrc sts "$USER_ARN" "$(role f2o-envrole e2e-envsrc)"
stop_peer
}

# 5. credential_process printing the static test keys
case_proc() {
mkdir -p "$tmp/home-proc"
cat >"$tmp/home-proc/proc.sh" <<EOF
#!/bin/sh
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' "$AK" "$SK"
EOF
chmod 700 "$tmp/home-proc/proc.sh"
cat >"$tmp/home-proc/config" <<EOF
[default]
credential_process = $tmp/home-proc/proc.sh --json
EOF
run_case proc "$USER_ARN"
stop_peer
}

# 6. SSO: sso-session section, token in ~/.aws/sso/cache/<sha1(name)>.json
sso_config() { # home: profile dev of the sso-session corp
mkdir -p "$1/.aws/sso/cache"
cat >"$1/config" <<EOF
[profile dev]
sso_session = corp
sso_account_id = 210987654321
sso_role_name = F2OAdmin
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
EOF
}
case_sso() {
sso_config "$tmp/home-sso"
key=$(printf '%s' corp | sha1sum | cut -d' ' -f1)
$PY -c 'import json,sys,datetime
t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
json.dump({"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1",
           "accessToken": sys.argv[2], "expiresAt": t.strftime("%Y-%m-%dT%H:%M:%SZ")},
          open(sys.argv[1], "w"))' "$tmp/home-sso/.aws/sso/cache/$key.json" "$SSO_TOKEN"
run_case sso "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_F2OAdmin/f2o-test" \
    AWS_PROFILE=dev
stop_peer
}

# 6b. SSO token renewal. sso_home NAME TOKEN EXPIRES-IN-SECONDS
#     REFRESH-TOKEN: an sso-session profile "dev" (as in 6) whose cache
#     holds TOKEN (ending then; negative: ended) and the registration
#     "aws sso login" keeps for renewals (client f2o-e2e-client, 90 days).
sso_home() {
	h="$tmp/home-$1"
	sso_config "$h"
	$PY -c 'import json,sys,datetime
now = datetime.datetime.now(datetime.timezone.utc)
f = lambda d: (now + d).strftime("%Y-%m-%dT%H:%M:%SZ")
json.dump({"startUrl": "https://corp.awsapps.com/start", "region": "us-east-1",
           "accessToken": sys.argv[2],
           "expiresAt": f(datetime.timedelta(seconds=int(sys.argv[3]))),
           "clientId": "f2o-e2e-client", "clientSecret": sys.argv[5],
           "registrationExpiresAt": f(datetime.timedelta(days=90)),
           "refreshToken": sys.argv[4]}, open(sys.argv[1], "w"))' \
	    "$h/.aws/sso/cache/$SSO_KEY.json" "$2" "$3" "$4" "$SSO_SECRET"
}
SSO_KEY=$(printf '%s' corp | sha1sum | cut -d' ' -f1)

# check_sso_cache NAME RENEWALS: the peer renewed RENEWALS times and the
# cache file holds the last renewal (its tokens, an hour ahead, the
# registration kept, mode 0600).
check_sso_cache() {
	c=$1
	$PY - "$tmp/home-$c/.aws/sso/cache/$SSO_KEY.json" "$tmp/$c.creds.json" \
	    "$2" "$c" <<'EOF' >"$tmp/$c.cache"
import datetime, json, os, stat, sys
d = json.load(open(sys.argv[1]))
n = json.load(open(sys.argv[2]))["issued"].get("sso-oidc", 0)
left = (datetime.datetime.strptime(d["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")
        .replace(tzinfo=datetime.timezone.utc) -
        datetime.datetime.now(datetime.timezone.utc)).total_seconds()
mode = stat.S_IMODE(os.stat(sys.argv[1]).st_mode)
ok = (n == int(sys.argv[3]) and d["accessToken"].startswith("f2oSsoAccess-")
      and d["refreshToken"].startswith("f2oSsoRefresh-") and
      3000 < left <= 3600 and d["clientId"] == "f2o-e2e-client" and
      d["startUrl"] == "https://corp.awsapps.com/start" and
      d["region"] == "us-east-1" and "registrationExpiresAt" in d and
      mode == 0o600)
print("%s %s: renewed %d time(s) (want %s), the cache holds the new tokens "
      "for %d s more, mode %o" % ("ok  " if ok else "FAIL", sys.argv[4], n,
                                  sys.argv[3], left, mode))
EOF
	tally "$tmp/$c.cache"
}

# The cached token ended an hour ago (and the portal takes only renewed
# ones): renewed before GetRoleCredentials, the cache file replaced.
case_sso_renew() {
sso_home sso-renew f2o-e2e-sso-stale-token -3600 "$SSO_REFRESH"
run_case sso-renew "arn:aws:sts::210987654321:assumed-role/AWSReservedSSO_F2OAdmin/f2o-test" \
    AWS_PROFILE=dev
check_sso_cache sso-renew 1
stop_peer
}

# The cache says the token lasts an hour, the portal takes it once (its
# clock ahead of ours, or the session ended): when the 2 s role keys are
# fetched again, GetRoleCredentials answers 401, the token is renewed and
# the same call made again; the run goes on. Polls every second, as the
# expiry cases (9) do.
case_sso_refused() {
	n=sso-refused
	WAIT_INTERVAL=1
	FAST_PEER=""
	sso_home $n "$SSO_TOKEN" 3600 "$SSO_REFRESH"
	if ! start_creds_peer $n --sts-duration 2 --sso-token-uses 1 \
	    --faults "seed=3,rate=0.5,kinds=latency,latency=0.3"; then
		bad "$n: peer started"; return
	fi
	if run_src $n AWS_PROFILE=dev F2O_CREDS_REFRESH_MARGIN=1; then
		ok "$n: f2o-exec run exits 0"
	else
		bad "$n: f2o-exec run exits $?"; tail -n 20 "$tmp/$n.log"
	fi
	creds_state "$tmp/$n.creds.json"
	check_sso_cache $n 1
	if grep -q 'HTTP 401 with a token the cache says lasts: renewing it' \
	    "$tmp/$n.log" && grep -q 'sso session corp: token renewed until' \
	    "$tmp/$n.log"; then
		ok "$n: the refused token is renewed and the call made again"
	else
		bad "$n: no renewal after the portal's 401"
		grep -i sso "$tmp/$n.log" | head -n 5
	fi
	$PY - "$tmp/$n.creds.json" <<'EOF' >"$tmp/$n.exp"
import json, sys
n = json.load(open(sys.argv[1]))["issued"].get("sso", 0)
print("%s sso-refused: role keys fetched %d times (>= 2: after the renewal "
      "too)" % ("ok  " if n >= 2 else "FAIL", n))
EOF
	tally "$tmp/$n.exp"
	stop_peer
}

# A refresh token the server no longer takes: refused before anything is
# sent to ECS or EC2, naming invalid_grant and "aws sso login"; the cache
# file unchanged.
case_sso_norenew() {
n=sso-norenew
sso_home $n f2o-e2e-sso-stale-token -60 f2o-e2e-sso-refresh-token-revoked
cp "$tmp/home-$n/.aws/sso/cache/$SSO_KEY.json" "$tmp/$n.cache-before"
if start_creds_peer $n; then
	if run_src $n AWS_PROFILE=dev; then
		bad "$n: f2o-exec refuses an expired token it cannot renew"
	elif grep -q 'expired at .* and could not be renewed: run "aws sso login"' \
	    "$tmp/$n.log" && grep -q 'renewing the token: HTTP 400 invalid_grant' \
	    "$tmp/$n.log"; then
		ok "$n: refused, naming invalid_grant and \"aws sso login\""
	else
		bad "$n: no clear message"; tail -n 5 "$tmp/$n.log"
	fi
	creds_state "$tmp/$n.creds.json"
	if cmp -s "$tmp/$n.cache-before" "$tmp/home-$n/.aws/sso/cache/$SSO_KEY.json" &&
	    $PY -c 'import json,sys; d = json.load(open(sys.argv[1])); sys.exit(1 if d["signers"] or d["issued"] else 0)' \
	    "$tmp/$n.creds.json"; then
		ok "$n: nothing signed or issued, the cache unchanged"
	else
		bad "$n: a request was signed or the cache changed"
	fi
	stop_peer
fi
}

# 7. container credentials: FULL_URI on loopback, token from a file
case_ctr() {
mkdir -p "$tmp/home-ctr"
printf '%s\n' "$CTR_TOKEN" >"$tmp/home-ctr/token"
if start_creds_peer ctr; then
	if run_src ctr AWS_CONTAINER_CREDENTIALS_FULL_URI="$AWS_URL/_creds/container" \
	    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$tmp/home-ctr/token"; then
		ok "ctr: f2o-exec run exits 0"
	else
		bad "ctr: f2o-exec run exits $?"; tail -n 20 "$tmp/ctr.log"
	fi
	creds_state "$tmp/ctr.creds.json"
	check_signers ctr ecs "$(role f2o-task-role container)"
	check_signers ctr ec2 "$(role f2o-task-role container)"
	stop_peer
fi
}

# 8. IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT
case_imds() {
if start_creds_peer imds; then
	if run_src imds AWS_EC2_METADATA_DISABLED=false \
	    AWS_EC2_METADATA_SERVICE_ENDPOINT="$AWS_URL/"; then
		ok "imds: f2o-exec run exits 0"
	else
		bad "imds: f2o-exec run exits $?"; tail -n 20 "$tmp/imds.log"
	fi
	creds_state "$tmp/imds.creds.json"
	check_signers imds ecs "$(role f2o-instance-role i-0f2o)"
	check_signers imds ec2 "$(role f2o-instance-role i-0f2o)"
	stop_peer
fi
}

# 9. sessions expiring in the middle of the run: STS keys last 2 s.
#    a) no refresh ahead of time (margin -3600): requests are refused as
#       expired, the provider refreshes once and the same request is sent
#       again; b) refresh ahead of time (margin 1 s).
#    Polls every second, as before: the runs must outlast the sessions.
case_expire() { # mode
	mode=$1
	WAIT_INTERVAL=1
	FAST_PEER=""
	n=expire-${mode%%:*}
	margin=${mode#*:}
	mkdir -p "$tmp/home-$n"
	cp "$tmp/home-chain/credentials" "$tmp/home-chain/config" "$tmp/home-$n/"
	if ! start_creds_peer "$n" --sts-duration 2 \
	    --faults "seed=3,rate=0.5,kinds=latency,latency=0.3"; then
		bad "$n: peer started"; return
	fi
	if run_src "$n" AWS_PROFILE=deploy F2O_CREDS_REFRESH_MARGIN="$margin"; then
		ok "$n: f2o-exec run exits 0"
	else
		bad "$n: f2o-exec run exits $?"; tail -n 20 "$tmp/$n.log"
	fi
	creds_state "$tmp/$n.creds.json"
	state "$tmp/$n.state.json"
	# Requests refused as expired are expected here, nothing else.
	$PY tests/tools/e2e_check.py expect "$tmp/bundle" "$tmp/$n.state.json" \
	    2>&1 | grep '^FAIL ' | grep -v "^FAIL no request rejected for auth or shape {[^}]*}\$" >"$tmp/$n.check"
	$PY tests/tools/e2e_check.py expect "$tmp/bundle" "$tmp/$n.state.json" \
	    2>&1 | sed -n 's/^FAIL no request rejected for auth or shape \({.*}\)$/\1/p' |
	    tr ',' '\n' | grep -v -e 'ExpiredTokenException' -e 'RequestExpired' \
	    | grep -v '^ *$' >>"$tmp/$n.check"
	if [ -s "$tmp/$n.check" ]; then
		bad "$n: nothing duplicated, state matches the plan"
		head -n 5 "$tmp/$n.check"
	else
		ok "$n: nothing duplicated, state matches the plan"
	fi
	$PY - "$tmp/$n.creds.json" "${mode%%:*}" <<'EOF' >"$tmp/$n.exp"
import json, sys
d = json.load(open(sys.argv[1]))
issued = d["issued"].get("assume-role", 0)
refused = sum(d["refused_expired"].get(s, 0) for s in ("ecs", "ec2"))
print("%s %s: sessions issued %d (>= 4: the first pair expired), refused as "
      "expired %d" % ("ok  " if issued >= 4 else "FAIL", sys.argv[2], issued,
                      refused))
if sys.argv[2] == "reactive":
    print("%s reactive: requests refused as expired were refreshed and sent "
          "again (%d)" % ("ok  " if refused >= 1 else "FAIL", refused))
EOF
	tally "$tmp/$n.exp"
	# Each refused request is logged where it was refused; nothing else.
	if grep -i "error" "$tmp/$n.log" | grep -v -e ': HTTP 400 ExpiredTokenException: ' \
	    -e ': HTTP 400 RequestExpired: ' | grep -q . ||
	    grep -q '^failed' "$tmp/$n.log"; then
		bad "$n: no error in the output but the refused requests"
		grep -i error "$tmp/$n.log" | head -n 5
	else
		ok "$n: no error in the output but the refused requests"
	fi
	stop_peer
}
case_expire_reactive() { case_expire reactive:-3600; }
case_expire_ahead() { case_expire ahead:1; }

# The longest first.
jobs_init "${CREDS_JOBS:-4}"
for c in expire_reactive expire_ahead sso_refused chain envsrc web sso \
    sso_renew sso_norenew env proc ctr imds cycle; do
	jobs_start "$c" "case_$c"
done
jobs_wait
for c in env web chain cycle envsrc proc sso sso_renew sso_norenew \
    sso_refused ctr imds expire_reactive expire_ahead; do
	jobs_tally "$c"
done

# 10. no secret in any output or journal
leak=0
# (fake_sts.py starts every issued secret key with F2oTmpSecret/ and every
# session token with FQoGZXIvYXdzE)
# (one grep per secret over every file: -l names each file holding it)
for s in "$SK" "$WEB_TOKEN" "$SSO_TOKEN" "$CTR_TOKEN" F2oTmpSecret/ FQoGZXIvYXdzE \
    "$SSO_SECRET" "$SSO_REFRESH" f2oSsoAccess- f2oSsoRefresh-; do
	set --
	for f in "$tmp"/*.log "$tmp"/*.journal "$tmp"/*.peer.err; do
		[ -f "$f" ] && set -- "$@" "$f"
	done
	[ "$#" -gt 0 ] || continue
	for f in $(grep -lF -- "$s" "$@"); do
		leak=$((leak + 1)); echo "    secret found in ${f##*/}"
	done
done
nlogs=$(ls "$tmp"/*.log | wc -l)
if [ "$leak" -eq 0 ] && [ "$nlogs" -ge 10 ]; then
	ok "no secret in $nlogs outputs and the journals"
else
	bad "secrets leaked ($leak) or too few outputs ($nlogs)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
