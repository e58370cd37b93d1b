#!/bin/sh
# f2o-export: write, into one directory, every file f2o-translate reads for
# one ECS cluster, using the AWS CLI (v1 or v2) and jq. See f2o-export(1).
#
# Exit status: 0 written, 1 a call or a write failed (nothing written),
# 2 usage error.
set -eu

PROG=f2o-export
VERSION=@VERSION@

usage() {
	cat <<'EOF'
usage: f2o-export --cluster NAME --out DIR [OPTIONS]

Writes into DIR every file f2o-translate reads for one ECS cluster:
  services.json                          aws ecs describe-services --include TAGS (every service, all pages)
  taskdefs/FAMILY-REVISION.json          aws ecs describe-task-definition --include TAGS (one per task definition in use)
  security-groups.json                   aws ec2 describe-security-groups --group-ids (the services' groups)
  autoscaling/scalable-targets.json      aws application-autoscaling describe-scalable-targets --service-namespace ecs
  autoscaling/scaling-policies.json      aws application-autoscaling describe-scaling-policies --service-namespace ecs
  autoscaling/scheduled-actions.json     aws application-autoscaling describe-scheduled-actions --service-namespace ecs
  autoscaling/alarms.json                aws cloudwatch describe-alarms --alarm-names (the step-scaling policies' alarms)
(the autoscaling files hold only the cluster's services). DIR is written
whole or not at all.

options:
  --cluster NAME   the ECS cluster (name or ARN)                  (required)
  --out DIR        the directory to write; must not exist, or be empty (required)
  --force          replace DIR if it exists
  --no-autoscaling skip Application Auto Scaling and CloudWatch (the
                   translator then carries no scaling to the EC2 services)
  --region REGION  passed to every aws call (default: the CLI's own)
  --profile NAME   passed to every aws call (default: the CLI's own)
  --quiet          no progress lines on stderr
  --help           this text
  --version        the version

environment: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_ECS, _EC2,
_APPLICATION_AUTO_SCALING, _CLOUDWATCH are passed to the calls as
--endpoint-url (also for CLIs older than 2.13, which ignore them);
AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns that off. The AWS CLI
reads credentials and the region as usual.

exit status: 0 written, 1 a call or a write failed (nothing written),
2 usage error.
EOF
}

die_usage() {
	printf '%s: %s\n' "$PROG" "$1" >&2
	printf "%s: try '%s --help'\n" "$PROG" "$PROG" >&2
	exit 2
}

die() {
	printf '%s: %s\n' "$PROG" "$1" >&2
	exit 1
}

say() {
	[ "$quiet" = 1 ] || printf '%s: %s\n' "$PROG" "$1" >&2
}

warn() {
	printf '%s: warning: %s\n' "$PROG" "$1" >&2
}

# -- options -------------------------------------------------------------------
cluster=""
out=""
region=""
profile=""
force=0
quiet=0
aas=1
need_arg() { # option remaining-argc
	[ "$2" -ge 2 ] || die_usage "$1 needs a value"
}
while [ $# -gt 0 ]; do
	case $1 in
	--help|-h) usage; exit 0 ;;
	--version) printf '%s %s\n' "$PROG" "$VERSION"; exit 0 ;;
	--cluster) need_arg "$1" $#; cluster=$2; shift 2 ;;
	--cluster=*) cluster=${1#*=}; shift ;;
	--out|-o) need_arg "$1" $#; out=$2; shift 2 ;;
	--out=*) out=${1#*=}; shift ;;
	--region) need_arg "$1" $#; region=$2; shift 2 ;;
	--region=*) region=${1#*=}; shift ;;
	--profile) need_arg "$1" $#; profile=$2; shift 2 ;;
	--profile=*) profile=${1#*=}; shift ;;
	--force) force=1; shift ;;
	--no-autoscaling) aas=0; shift ;;
	--quiet|-q) quiet=1; shift ;;
	--) shift; break ;;
	-*) die_usage "unknown option $1" ;;
	*) die_usage "unexpected argument $1" ;;
	esac
done
[ $# -eq 0 ] || die_usage "unexpected argument $1"
[ -n "$cluster" ] || die_usage "--cluster is required"
[ -n "$out" ] || die_usage "--out is required"

# A cluster ARN names the cluster after "cluster/".
case $cluster in
arn:*:cluster/*) cname=${cluster##*:cluster/} ;;
*) cname=$cluster ;;
esac
case $cname in
*[!A-Za-z0-9_-]*|"") die_usage "--cluster: not a cluster name or ARN: $cluster" ;;
esac
case $region in
*[!a-z0-9-]*) die_usage "--region: not a region name: $region" ;;
esac

command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is not on PATH; install it (Debian: apt-get install awscli)"
command -v jq >/dev/null 2>&1 || die "jq is not on PATH; install it (Debian: apt-get install jq)"

# -- the output directory: a temporary sibling, renamed at the end -------------
out=${out%/}
[ -n "$out" ] || die_usage "--out: / is not a directory to write"
if [ -e "$out" ] || [ -L "$out" ]; then
	if [ ! -d "$out" ]; then
		die "$out exists and is not a directory"
	elif [ "$force" = 0 ] && [ -n "$(ls -A "$out")" ]; then
		die "$out exists and is not empty (--force replaces it)"
	fi
fi
parent=$(dirname "$out")
[ -d "$parent" ] || die "$parent: no such directory"
[ -w "$parent" ] || die "$parent: not writable"
work=$(mktemp -d "$parent/.f2o-export.XXXXXX") ||
    die "$parent: cannot create a temporary directory"
old=""
probe_pids=""
cleanup() {
	# shellcheck disable=SC2086
	[ -z "$probe_pids" ] || kill $probe_pids 2>/dev/null || true
	rm -rf "$work"
	[ -z "$old" ] || [ ! -d "$old" ] || rm -rf "$old"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
scratch=$work/.scratch
mkdir "$scratch" "$work/taskdefs" "$work/autoscaling"

# -- the AWS CLI ---------------------------------------------------------------
# No pager, no prompt (CLI v2); JSON output whatever the profile says.
AWS_PAGER=""
AWS_CLI_AUTO_PROMPT=off
export AWS_PAGER AWS_CLI_AUTO_PROMPT

# The endpoint for a service (ECS, EC2, APPLICATION_AUTO_SCALING,
# CLOUDWATCH): its AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, as
# botocore >= 1.31 / CLI >= 2.13 read them; empty when neither is set.
endpoint_for() {
	case ${AWS_IGNORE_CONFIGURED_ENDPOINT_URLS:-} in
	[Tt][Rr][Uu][Ee]) return 0 ;;
	esac
	eval "_e=\${AWS_ENDPOINT_URL_$1:-}"
	[ -n "$_e" ] || _e=${AWS_ENDPOINT_URL:-}
	printf '%s' "$_e"
}

ncalls=0
# aws_json SERVICE FILE ARGS...: run `aws ARGS...` against SERVICE's endpoint,
# its JSON output into FILE. On failure: say which call failed and what the
# CLI said, and exit 1 (the temporary directory is removed).
aws_json() {
	_svc=$1 _file=$2
	shift 2
	_what="aws $*"
	_ep=$(endpoint_for "$_svc")
	set -- --output json "$@"
	[ -z "$_ep" ] || set -- --endpoint-url "$_ep" "$@"
	[ -z "$profile" ] || set -- --profile "$profile" "$@"
	[ -z "$region" ] || set -- --region "$region" "$@"
	ncalls=$((ncalls + 1))
	if aws "$@" >"$_file" 2>"$scratch/stderr"; then
		:
	else
		_rc=$?
		printf '%s: %s failed (exit %d)%s\n' "$PROG" "$(shorten "$_what")" \
		    "$_rc" "${_ep:+ at $_ep}" >&2
		sed -e '/^[[:space:]]*$/d' -e 's/^/    /' "$scratch/stderr" |
		    head -n 20 >&2
		exit 1
	fi
	if ! jq -e 'type == "object"' "$_file" >/dev/null 2>&1; then
		printf '%s: %s: the output is not a JSON object\n' "$PROG" \
		    "$(shorten "$_what")" >&2
		exit 1
	fi
}

# A call's command line in an error: at most 300 characters.
shorten() {
	printf '%s' "$1" | awk '{ if (length($0) > 300) print substr($0, 1, 297) "..."; else print }'
}

# jq_to FILE FILTER [jq options and files...]: jq output into FILE; a jq
# failure names the step.
jq_to() {
	_file=$1 _filter=$2
	shift 2
	if ! jq "$_filter" "$@" >"$_file" 2>"$scratch/stderr"; then
		printf '%s: internal error: jq failed writing %s:\n' "$PROG" \
		    "${_file#"$work"/}" >&2
		sed 's/^/    /' "$scratch/stderr" | head -n 5 >&2
		exit 1
	fi
}

# Read the lines of FILE in batches of N, calling FUNCTION BATCH-NUMBER
# WORDS... for each batch (the words hold no white space: ARNs, ids). The
# number has six digits, so that the batches' files sort in their order.
batches() { # file n function
	_n=0 _b=0 _words=""
	while IFS= read -r _w || [ -n "$_w" ]; do
		[ -n "$_w" ] || continue
		_words="$_words $_w"
		_n=$((_n + 1))
		if [ "$_n" -eq "$2" ]; then
			_b=$((_b + 1))
			# shellcheck disable=SC2086
			"$3" "$(printf '%06d' "$_b")" $_words
			_n=0 _words=""
		fi
	done <"$1"
	if [ "$_n" -gt 0 ]; then
		_b=$((_b + 1))
		# shellcheck disable=SC2086
		"$3" "$(printf '%06d' "$_b")" $_words
	fi
	return 0
}

# -- does the CLI know every member the translator carries? ----------------------
# A CLI drops the response members its API model does not know (Debian 12's
# awscli 2.9.19 drops availabilityZoneRebalancing and enableFaultInjection).
# The members f2o-translate carries from the describe outputs into its
# requests (in both the request and the output shape of its models:
# tests/models, botocore 1.43; tests/exec/export_test.sh checks these lists
# against them) are compared with the CLI's own input skeletons (made
# locally, no call to AWS), started in the background after the services'
# listing and read at the end.
ECS_SERVICE_MEMBERS="availabilityZoneRebalancing capacityProviderStrategy
deploymentConfiguration deploymentController desiredCount enableECSManagedTags
enableExecuteCommand healthCheckGracePeriodSeconds launchType loadBalancers
networkConfiguration placementConstraints placementStrategy platformVersion
propagateTags schedulingStrategy serviceName serviceRegistries tags
taskDefinition"
ECS_TASKDEF_MEMBERS="containerDefinitions cpu enableFaultInjection
ephemeralStorage executionRoleArn family inferenceAccelerators ipcMode memory
networkMode pidMode placementConstraints proxyConfiguration
requiresCompatibilities runtimePlatform taskRoleArn volumes"
ECS_CONTAINER_MEMBERS="command cpu credentialSpecs dependsOn disableNetworking
dnsSearchDomains dnsServers dockerLabels dockerSecurityOptions entryPoint
environment environmentFiles essential extraHosts firelensConfiguration
healthCheck hostname image interactive links linuxParameters logConfiguration
memory memoryReservation mountPoints name portMappings privileged
pseudoTerminal readonlyRootFilesystem repositoryCredentials
resourceRequirements restartPolicy secrets startTimeout stopTimeout
systemControls ulimits user versionConsistency volumesFrom workingDirectory"
AAS_TARGET_MEMBERS="MaxCapacity MinCapacity ResourceId RoleARN
ScalableDimension ServiceNamespace SuspendedState"
AAS_POLICY_MEMBERS="PolicyName PolicyType PredictiveScalingPolicyConfiguration
ResourceId ScalableDimension ServiceNamespace StepScalingPolicyConfiguration
TargetTrackingScalingPolicyConfiguration"
AAS_ACTION_MEMBERS="EndTime ResourceId ScalableDimension ScalableTargetAction
Schedule ScheduledActionName ServiceNamespace StartTime Timezone"
CW_ALARM_MEMBERS="ActionsEnabled AlarmActions AlarmDescription AlarmName
ComparisonOperator DatapointsToAlarm Dimensions
EvaluateLowSampleCountPercentile EvaluationCriteria EvaluationInterval
EvaluationPeriods ExtendedStatistic InsufficientDataActions MetricName Metrics
Namespace OKActions Period Statistic Threshold ThresholdMetricId
TreatMissingData Unit"
# Each skeleton costs a CLI start (about a second of CPU): they are kept
# per CLI version under ${XDG_CACHE_HOME:-~/.cache}/f2o-export (written
# whole, then renamed), so later exports with the same CLI reuse them.
probe() { # name aws-args...: the input skeleton into $scratch/skel-NAME.json
	_n=$1
	shift
	if [ -n "$skel_cache" ] && [ -s "$skel_cache/skel-$_n.json" ]; then
		cp "$skel_cache/skel-$_n.json" "$scratch/skel-$_n.json"
		return 0
	fi
	aws "$@" --generate-cli-skeleton >"$scratch/skel-$_n.json" 2>/dev/null ||
	    return 0
	[ -n "$skel_cache" ] || return 0
	if mkdir -p "$skel_cache" 2>/dev/null &&
	    cp "$scratch/skel-$_n.json" "$skel_cache/.skel-$_n.$$" 2>/dev/null
	then
		mv -f "$skel_cache/.skel-$_n.$$" "$skel_cache/skel-$_n.json" \
		    2>/dev/null || rm -f "$skel_cache/.skel-$_n.$$"
	fi
}
probe_all() {
	skel_cache=""
	_cache=${XDG_CACHE_HOME:-${HOME:+$HOME/.cache}}
	if [ -n "$_cache" ]; then
		_v=$(aws --version 2>&1 | head -n 1 | cksum | cut -d' ' -f1)
		[ -z "$_v" ] || skel_cache="$_cache/f2o-export/cli-$_v"
	fi
	probe service ecs create-service &
	probe taskdef ecs register-task-definition &
	if [ "$aas" = 1 ]; then
		probe target application-autoscaling register-scalable-target &
		probe policy application-autoscaling put-scaling-policy &
		probe action application-autoscaling put-scheduled-action &
		probe alarm cloudwatch put-metric-alarm &
	fi
	wait
}

# -- services ------------------------------------------------------------------
say "cluster $cname: listing services"
# The CLI follows nextToken to the last page.
aws_json ECS "$scratch/list.json" ecs list-services --cluster "$cluster"
jq_to "$scratch/arns.txt" '.serviceArns[]' -r "$scratch/list.json"
nsvc=$(grep -c . "$scratch/arns.txt" || true)
[ "$nsvc" -gt 0 ] || die "cluster $cname has no services (aws ecs list-services): nothing to export"
# The probes start once the cluster is known to have services: an export
# refused at its first call (credentials, region, an empty cluster) costs
# no CLI start for them.
probe_all &
probe_pids="$!"

describe_services() { # batch arns... (at most 10, as DescribeServices takes)
	_f=$1
	shift
	aws_json ECS "$scratch/svc-$_f.json" ecs describe-services \
	    --cluster "$cluster" --include TAGS --services "$@"
}
say "describing $nsvc services"
batches "$scratch/arns.txt" 10 describe_services
jq_to "$work/services.json" \
    '{services: map(.services // [] | .[]), failures: map(.failures // [] | .[])}' \
    -s "$scratch"/svc-*.json
nfail=$(jq '.failures | length' "$work/services.json")
[ "$nfail" -eq 0 ] || warn "describe-services reported $nfail failures (kept in services.json)"

# -- task definitions ----------------------------------------------------------
jq_to "$scratch/tds.txt" '[.services[].taskDefinition // empty] | unique | .[]' \
    -r "$work/services.json"
ntd=0
while IFS= read -r td || [ -n "$td" ]; do
	[ -n "$td" ] || continue
	ntd=$((ntd + 1))
	aws_json ECS "$scratch/td.json" ecs describe-task-definition \
	    --task-definition "$td" --include TAGS
	name=$(jq -r '.taskDefinition | "\(.family)-\(.revision)"' "$scratch/td.json")
	case $name in
	*[!A-Za-z0-9_-]*|-*) die "aws ecs describe-task-definition --task-definition $td: unexpected family or revision: $name" ;;
	esac
	[ ! -e "$work/taskdefs/$name.json" ] ||
	    die "task definitions $td and another both give taskdefs/$name.json"
	mv "$scratch/td.json" "$work/taskdefs/$name.json"
done <"$scratch/tds.txt"
say "described $ntd task definitions"

# -- security groups -----------------------------------------------------------
jq_to "$scratch/sgs.txt" \
    '[.services[].networkConfiguration.awsvpcConfiguration.securityGroups // [] | .[]] | unique | .[]' \
    -r "$work/services.json"
nsg=$(grep -c . "$scratch/sgs.txt" || true)
describe_sgs() { # batch ids...
	_f=$1
	shift
	aws_json EC2 "$scratch/sg-$_f.json" ec2 describe-security-groups \
	    --group-ids "$@"
}
if [ "$nsg" -gt 0 ]; then
	batches "$scratch/sgs.txt" 100 describe_sgs
	jq_to "$work/security-groups.json" \
	    '{SecurityGroups: map(.SecurityGroups // [] | .[])}' -s \
	    "$scratch"/sg-*.json
else
	printf '{"SecurityGroups": []}\n' >"$work/security-groups.json"
fi
say "described $nsg security groups"

# -- Application Auto Scaling (namespace ecs), only this cluster's services ------
jq_to "$scratch/rids.json" \
    '[.services[] | "service/'"$cname"'/\(.serviceName)"]' "$work/services.json"
# aas_export OPERATION KEY FILE: the namespace's items (all pages; the CLI
# follows NextToken), those of the cluster's services kept.
aas_export() {
	aws_json APPLICATION_AUTO_SCALING "$scratch/aas.json" \
	    application-autoscaling "$1" --service-namespace ecs
	# shellcheck disable=SC2016
	jq_to "$work/autoscaling/$3" \
	    '($rids[0] | map({(.): true}) | add // {}) as $set | {($key): [.[$key] // [] | .[] | select($set[.ResourceId] == true)]}' \
	    --arg key "$2" --slurpfile rids "$scratch/rids.json" \
	    "$scratch/aas.json"
}
# -- CloudWatch alarms of the step-scaling policies -----------------------------
describe_alarms() { # batch names... (at most 100, as DescribeAlarms takes)
	_f=$1
	shift
	aws_json CLOUDWATCH "$scratch/alarm-$_f.json" cloudwatch describe-alarms \
	    --alarm-names "$@"
}
export_alarms() {
	jq_to "$scratch/alarms.txt" \
	    '[.ScalingPolicies[] | select(.PolicyType == "StepScaling") | .Alarms // [] | .[].AlarmName] | unique | .[]' \
	    -r "$work/autoscaling/scaling-policies.json"
	nalarm=$(grep -c . "$scratch/alarms.txt" || true)
	if [ "$nalarm" -gt 0 ]; then
		# Alarm names may hold spaces: one call per line-batch, names as
		# separate arguments.
		split_alarms=$scratch/alarm-names
		mkdir "$split_alarms"
		awk -v d="$split_alarms" '{ f = sprintf("%s/%06d", d, int((NR - 1) / 100) + 1); print > f }' \
		    "$scratch/alarms.txt"
		for f in "$split_alarms"/*; do
			b=$(basename "$f")
			set --
			while IFS= read -r a || [ -n "$a" ]; do
				set -- "$@" "$a"
			done <"$f"
			describe_alarms "$b" "$@"
		done
		jq_to "$work/autoscaling/alarms.json" \
		    '{MetricAlarms: map(.MetricAlarms // [] | .[]), CompositeAlarms: map(.CompositeAlarms // [] | .[])}' \
		    -s "$scratch"/alarm-*.json
		nfound=$(jq '.MetricAlarms | length' "$work/autoscaling/alarms.json")
		[ "$nfound" -eq "$nalarm" ] ||
		    warn "the step-scaling policies name $nalarm alarms, describe-alarms found $nfound"
	else
		printf '{"MetricAlarms": [], "CompositeAlarms": []}\n' >"$work/autoscaling/alarms.json"
	fi
}

ntgt=0 npol=0 nact=0 nalarm=0
if [ "$aas" = 1 ]; then
	say "reading Application Auto Scaling (namespace ecs)"
	aas_export describe-scalable-targets ScalableTargets scalable-targets.json
	aas_export describe-scaling-policies ScalingPolicies scaling-policies.json
	aas_export describe-scheduled-actions ScheduledActions scheduled-actions.json
	ntgt=$(jq '.ScalableTargets | length' "$work/autoscaling/scalable-targets.json")
	npol=$(jq '.ScalingPolicies | length' "$work/autoscaling/scaling-policies.json")
	nact=$(jq '.ScheduledActions | length' "$work/autoscaling/scheduled-actions.json")
	export_alarms
else
	rmdir "$work/autoscaling"
fi

for p in $probe_pids; do
	wait "$p" || true
done
probe_pids=""
lacking=""
# model_check WORD MEMBERS NAME [PATH]: add to $lacking ("WORD MEMBER, ...")
# the MEMBERS missing at PATH (a JSON array, default the top) of the
# skeleton NAME (none when the CLI could not make it).
model_check() {
	# shellcheck disable=SC2016
	_l=$(jq -r --arg w "$1" --arg m "$2" --argjson p "${4:-[]}" '
	    (getpath($p) | if type == "object" then keys else null end) as $have
	    | if $have == null then "" else
	      [$m | splits("[ \n]+") | select(. != "")] - $have
	      | map($w + " " + .) | join(", ") end' "$scratch/skel-$3.json" \
	    2>/dev/null) || return 0
	[ -z "$_l" ] || lacking="${lacking:+$lacking, }$_l"
}
model_check service "$ECS_SERVICE_MEMBERS" service
model_check "task definition" "$ECS_TASKDEF_MEMBERS" taskdef
model_check container "$ECS_CONTAINER_MEMBERS" taskdef '["containerDefinitions", 0]'
[ "$ntgt" -eq 0 ] || model_check "scalable target" "$AAS_TARGET_MEMBERS" target
[ "$npol" -eq 0 ] || model_check "scaling policy" "$AAS_POLICY_MEMBERS" policy
[ "$nact" -eq 0 ] || model_check "scheduled action" "$AAS_ACTION_MEMBERS" action
[ "$nalarm" -eq 0 ] || model_check alarm "$CW_ALARM_MEMBERS" alarm
[ -z "$lacking" ] || warn "this AWS CLI ($(aws --version 2>&1 |
    sed -n '1s/ .*//p')) predates members f2o-translate carries and \
drops them from what it prints: $lacking; the export lacks any of them the \
cluster uses: use a newer AWS CLI"

# -- done: the directory appears whole -----------------------------------------
rm -rf "$scratch"
if [ -d "$out" ]; then
	if [ -n "$(ls -A "$out")" ]; then
		old=$(mktemp -d "$parent/.f2o-export-old.XXXXXX")
		mv "$out" "$old/" ||
		    die "$out: cannot move the old directory aside"
	else
		rmdir "$out" || die "$out: cannot replace the empty directory"
	fi
fi
# mktemp made it 0700: give it the mode a mkdir would.
chmod "$(printf '%o' $((0777 & ~0$(umask))))" "$work" 2>/dev/null || true
if ! mv "$work" "$out"; then
	[ -z "$old" ] || mv "$old/$(basename "$out")" "$out" || true
	die "$out: cannot rename $work to it"
fi
say "cluster $cname: $nsvc services, $ntd task definitions, $nsg security groups, $ntgt scalable targets, $npol scaling policies, $nact scheduled actions, $nalarm alarms ($ncalls aws calls)"
printf '%s\n' "$out"
