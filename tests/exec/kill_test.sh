#!/bin/sh
# Kill test: f2o-exec is SIGKILLed from outside at every point of a run of
# the demo bundle's import phase (4 services) against tests/peers/peer.py,
# then resumed; the final peer state must equal an uninterrupted run's and
# nothing may be created twice (the peer counts creations).
#
# How the points are reached: an uninterrupted reference run logs its
# events (F2O_EXEC_EVENT_LOG: "intent S", "reply S", "result S", ...). For
# each distinct event, in order, f2o-exec resumes the same journal with
# F2O_EXEC_PAUSE_ON="<event>": it stops itself with SIGSTOP there (it does
# not kill itself) and this script sends SIGKILL. A chain that finishes
# before its point (e.g. a create adopted on resume has no "result" of its
# own) is checked against the reference and a fresh chain (new peer, new
# journal) is started for the point. A second part kills a --parallel 4
# run at random instants (peer latency on), resuming each time.
# Ends with "N passed, N failed". Usage: sh tests/exec/kill_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0
MAX_ITER=${KILL_MAX_ITER:-400}	# bound on f2o-exec processes, part 1
RANDOM_KILLS=${KILL_RANDOM:-12}	# part 2

. tests/exec/peerlib.inc

F2O_EXEC_ARGS="--poll-interval 0.2 --rate-limit ecs=200/200 --rate-limit ec2=200/200 --rate-limit spot=200/200"
export F2O_EXEC_ARGS

if "$T" --quiet --config fixtures/demo/f2o.json fixtures/demo/services.json \
    fixtures/demo/taskdefs fixtures/demo/security-groups.json \
    -o "$tmp/bundle" >"$tmp/translate.out" 2>&1; then
	ok "translate demo"
else
	bad "translate demo"; cat "$tmp/translate.out"
	echo "$pass passed, $fail failed"; exit 1
fi

# Start f2o-exec in the background with extra environment; sets xpid.
exec_bg() { # log journal [VAR=value ...]
	log=$1; jr=$2; shift 2
	mkdir -p "$tmp/home"
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$tmp/home" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$@" "$E" --parallel 1 $F2O_EXEC_ARGS --journal "$jr" \
	    run "$tmp/bundle" >"$log" 2>&1 &
	xpid=$!
}

# Wait until f2o-exec paused (a new line in the pause file) or exited.
# Sets r to "paused", "exit RC" or "timeout". Bounded: 60 s.
wait_pause() { # pausefile lines-before
	n=0
	while [ $n -lt 3000 ]; do
		l=$(wc -l <"$1" 2>/dev/null || echo 0)
		if [ "$l" -gt "$2" ]; then r=paused; return; fi
		# An exited child stays a zombie (Z) until waited for.
		st=$(cut -d' ' -f3 "/proc/$xpid/stat" 2>/dev/null)
		if [ -z "$st" ] || [ "$st" = Z ]; then
			wait "$xpid"; r="exit $?"; return
		fi
		sleep 0.02; n=$((n + 1))
	done
	r=timeout
}

# 1. reference: uninterrupted, logging every event
start_peer ref || { bad "reference peer"; echo "$pass passed, $fail failed"; exit 1; }
exec_bg "$tmp/ref.log" "$tmp/ref.journal" F2O_EXEC_EVENT_LOG="$tmp/events"
wait "$xpid"; rc=$?
if [ $rc -eq 0 ]; then ok "reference run exits 0"; else bad "reference run exits $rc"; tail -20 "$tmp/ref.log"; fi
state "$tmp/ref.json"
stop_peer
# Distinct events in order (a wait's polls count once).
awk '!seen[$0]++' "$tmp/events" >"$tmp/points"
npoints=$(wc -l <"$tmp/points")
echo "reference run: $(wc -l <"$tmp/events") events, $npoints distinct kill points"

# 2. chains
chain=0
new_chain() {
	[ -n "$peer_pid" ] && stop_peer
	chain=$((chain + 1))
	start_peer "chain$chain" || { bad "peer for chain $chain"; return 1; }
	rm -f "$tmp/chain.journal"
}
check_chain() { # label
	state "$tmp/chain$chain.json"
	$PY tests/exec/state_equal.py "$tmp/ref.json" "$tmp/chain$chain.json" \
	    "chain $chain: " >"$tmp/cmp.out" 2>&1
	if grep -q '^FAIL' "$tmp/cmp.out"; then
		tally "$tmp/cmp.out"
	else
		ok "chain $chain ($1): final state equals the uninterrupted run, nothing created twice"
	fi
}
new_chain
: >"$tmp/pausefile"
iter=0 covered=0 missed=0 kills=0
while IFS= read -r point; do
	[ $iter -ge "$MAX_ITER" ] && break
	tries=0
	while [ $tries -lt 2 ]; do
		tries=$((tries + 1)); iter=$((iter + 1))
		before=$(wc -l <"$tmp/pausefile")
		exec_bg "$tmp/k.log" "$tmp/chain.journal" \
		    F2O_EXEC_PAUSE_ON="$point" F2O_EXEC_PAUSE_FILE="$tmp/pausefile"
		wait_pause "$tmp/pausefile" "$before"
		case $r in
		paused)
			kill -KILL "$xpid"; wait "$xpid" 2>/dev/null
			kills=$((kills + 1)); covered=$((covered + 1))
			echo "$point" >>"$tmp/covered"
			break ;;
		"exit 0")
			# The chain finished before this point: check it and
			# try the point on a fresh chain.
			check_chain "finished before \"$point\""
			new_chain || break ;;
		*)
			bad "kill point \"$point\": f2o-exec $r"; sed 's/^/    /' "$tmp/k.log" | tail -15
			kill -KILL "$xpid" 2>/dev/null; wait "$xpid" 2>/dev/null
			new_chain || break
			break ;;
		esac
	done
	grep -qxF "$point" "$tmp/covered" 2>/dev/null || missed=$((missed + 1))
done <"$tmp/points"
# Finish the last chain: resume to the end (bounded).
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	exec_bg "$tmp/last.log" "$tmp/chain.journal"
	wait "$xpid"; rc=$?
	[ $rc -ne 3 ] && break
done
if [ $rc -eq 0 ]; then ok "last chain resumes to the end"; else bad "last chain exits $rc"; tail -20 "$tmp/last.log"; fi
check_chain "last"
stop_peer
echo "part 1: $npoints points, $covered killed there, $missed not reached, $kills SIGKILLs, $chain chain(s), $iter f2o-exec processes"
if [ "$missed" -eq 0 ] && [ "$covered" -eq "$npoints" ]; then
	ok "every kill point reached ($npoints: $(cut -d' ' -f1 "$tmp/points" | sort | uniq -c | awk '{printf "%s%s %s", s, $1, $2; s=", "}'))"
else
	bad "kill points not reached: $missed of $npoints"
	grep -vxF -f "$tmp/covered" "$tmp/points" | sed 's/^/    /' | head -20
fi

# 3. random instants, --parallel 4, peer latency on every request
start_peer random --faults "seed=3,rate=1,kinds=latency,latency=0.15" || bad "peer for random kills"
rm -f "$tmp/rand.journal"
k=0 i=0 done_early=0
while [ $i -lt "$RANDOM_KILLS" ]; do
	i=$((i + 1))
	mkdir -p "$tmp/home"
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$tmp/home" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --parallel 4 $F2O_EXEC_ARGS --journal "$tmp/rand.journal" \
	    run "$tmp/bundle" >"$tmp/r.log" 2>&1 &
	xpid=$!
	# 50..450 ms, from the test's own fixed sequence
	ms=$(( (i * 7919 + 131) % 400 + 50 ))
	sleep "$(printf '0.%03d' "$ms")"
	if kill -KILL "$xpid" 2>/dev/null; then k=$((k + 1)); fi
	wait "$xpid" 2>/dev/null
	rc=$?
	if [ $rc -eq 0 ]; then done_early=1; break; fi
done
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	exec_bg "$tmp/rl.log" "$tmp/rand.journal"
	wait "$xpid"; rc=$?
	[ $rc -ne 3 ] && break
done
if [ $rc -eq 0 ]; then ok "random kills: $k SIGKILLs at --parallel 4, then the resume finishes"; else bad "random kills: resume exits $rc"; tail -20 "$tmp/rl.log"; fi
chain=random
state "$tmp/chainrandom.json"
$PY tests/exec/state_equal.py "$tmp/ref.json" "$tmp/chainrandom.json" "random kills: " >"$tmp/cmp.out" 2>&1
tally "$tmp/cmp.out"
stop_peer
[ $done_early -eq 1 ] && echo "note: a random-kill run finished before being killed"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
