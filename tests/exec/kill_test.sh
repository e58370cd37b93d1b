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
# not kill itself) and tests/tools/pause_kill.py SIGKILLs it the moment it
# stops; the journal file must then say the step is in doubt (intent,
# reply) or done (result), read by the same process
# (tests/tools/journal_read.py, the format of exec/jrecord.h). A chain
# that finishes before its point (e.g. a create adopted on resume has no
# "result" of its own) is checked against the reference and a fresh chain
# (new peer, new journal) is started for the point. Two chains run at once: the "reply" points, and all the others. A
# third job kills a --parallel 4 run at random instants (peer latency on),
# resuming each time. The three jobs have a peer each, started before the
# reference run (which uses the first) and started over (POST
# /_f2o/reset) for each chain; each chain's kills, journal reads, peer
# states and resets are made by one pause_kill.py --serve (pauselib.inc).
# Ends with "N passed, N failed". Usage: sh tests/exec/kill_test.sh
BUILD=${BUILD:-build}
PY=/usr/bin/python3
pass=0
fail=0
MAX_ITER=${KILL_MAX_ITER:-400}	# bound on f2o-exec processes, part 1
RANDOM_KILLS=${KILL_RANDOM:-12}	# part 2

. tests/exec/peerlib.inc
. tests/exec/jobs.inc
. tests/exec/pauselib.inc

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

mkdir -p "$tmp/home"

# Start f2o-exec in the background with extra environment; sets xpid.
exec_bg() { # log journal [VAR=value ...]
	log=$1; jr=$2; shift 2
	# shellcheck disable=SC2086
	env -i PATH="$PATH" HOME="$tmp/home" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$@" "$E" --parallel 1 $F2O_EXEC_ARGS --journal "$jr" \
	    run "$tmp/bundle" >"$log" 2>&1 &
	xpid=$!
}

# f2o-exec set to stop itself at event $2, SIGKILLed the moment it stops
# (the shell's pause_kill.py --serve waits for the stop, no polling). Sets
# r to "paused", "exit RC", "signal N" or "timeout" (60 s).
pause_kill() { # log event journal
	# shellcheck disable=SC2086
	pk_run 60 "$1" \
	    env -i PATH="$PATH" HOME="$tmp/home" F2O_EXEC_PAUSE_ON="$2" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --parallel 1 $F2O_EXEC_ARGS --journal "$3" run "$tmp/bundle"
	r=$pk_r
}

# After a kill at "intent|reply|result STEP": the journal file must hold
# the step in doubt (INTENT, no RESULT) or done (RESULT ok), asked of the
# shell's pause_kill.py --serve (tests/tools/journal_read.py).
journal_says() { # label event journal
	b=${2%% *}; id=${2#* }
	case $b in intent|reply) want=in-doubt ;; result) want="done" ;; *) return 0 ;; esac
	pk_journal "$3" "$id"
	st=$pk_r
	if [ "$st" = "$want" ]; then
		ok "$1: killed at \"$2\"; the journal says $want"
	else
		bad "$1: killed at \"$2\"; the journal says \"$st\", want $want"
	fi
}

# 1. reference: uninterrupted, logging every event, on the first of the
# three jobs' peers
if ! peer_pool_start 3 || ! peer_use 1; then
	bad "peers started"; echo "$pass passed, $fail failed"; exit 1
fi
exec_bg "$tmp/ref.log" "$tmp/ref.journal" F2O_EXEC_EVENT_LOG="$tmp/events"
wait "$xpid"; rc=$?
if [ $rc -eq 0 ]; then ok "reference run exits 0"; else bad "reference run exits $rc"; tail -20 "$tmp/ref.log"; fi
state "$tmp/ref.json"
# Distinct events in order (a wait's polls count once).
awk '!seen[$0]++' "$tmp/events" >"$tmp/points"
npoints=$(wc -l <"$tmp/points")
echo "reference run: $(wc -l <"$tmp/events") events, $npoints distinct kill points"
# Two chains run at once: the "reply" points (sent and answered, RESULT
# not written: the resume settles the step by a look-up, so that step has
# no "result" of its own afterwards) and all the others, each in order.
grep '^reply ' "$tmp/points" >"$tmp/points.B"
grep -v '^reply ' "$tmp/points" >"$tmp/points.A"

# 2. chains (one job each, its own peer and journal)
new_chain() {
	chain=$((chain + 1))
	reset_peer || { bad "peer started over for chain $cname$chain"; return 1; }
	rm -f "$tmp/$cname.journal"
}
check_chain() { # label
	state "$tmp/$cname$chain.json"
	$PY tests/exec/state_equal.py "$tmp/ref.json" "$tmp/$cname$chain.json" \
	    "chain $cname$chain: " >"$tmp/$cname.cmp.out" 2>&1
	if grep -q '^FAIL' "$tmp/$cname.cmp.out"; then
		tally "$tmp/$cname.cmp.out"
	else
		ok "chain $cname$chain ($1): final state equals the uninterrupted run, nothing created twice"
	fi
}
run_chain() { # uses cname
	chain=0 iter=0 kills=0
	jr="$tmp/$cname.journal"
	peer_use "$job_slot" || { bad "peer of slot $job_slot"; return 1; }
	pk_open "$cname" || { bad "$cname: pause_kill.py --serve"; return 1; }
	new_chain || return 1
	while IFS= read -r point; do
		[ $iter -ge "$MAX_ITER" ] && break
		tries=0
		while [ $tries -lt 2 ]; do
			tries=$((tries + 1)); iter=$((iter + 1))
			pause_kill "$tmp/$cname.k.log" "$point" "$jr"
			case $r in
			paused)
				kills=$((kills + 1))
				echo "covered $point"
				journal_says "chain $cname$chain" "$point" "$jr"
				break ;;
			"exit 0")
				# The chain finished before this point: check it and
				# try the point on a fresh chain.
				check_chain "finished before \"$point\""
				new_chain || return 1 ;;
			*)
				bad "kill point \"$point\": f2o-exec $r"; sed 's/^/    /' "$tmp/$cname.k.log" | tail -15
				new_chain || return 1
				break ;;
			esac
		done
	done <"$tmp/points.$cname"
	# Finish the last chain: resume to the end (bounded).
	i=0
	while [ $i -lt 5 ]; do
		i=$((i + 1))
		exec_bg "$tmp/$cname.last.log" "$jr"
		wait "$xpid"; rc=$?
		[ $rc -ne 3 ] && break
	done
	if [ $rc -eq 0 ]; then ok "chain $cname: the last chain resumes to the end"; else bad "chain $cname: last chain exits $rc"; tail -20 "$tmp/$cname.last.log"; fi
	check_chain "last"
	pk_close
	echo "note chain $cname: $(wc -l <"$tmp/points.$cname") points, $kills SIGKILLs, $chain chain(s), $iter f2o-exec processes"
}
chain_A() { cname=A; run_chain; }
chain_B() { cname=B; run_chain; }

# 3. random instants, --parallel 4, peer latency on every request
random_kills() {
if ! peer_use "$job_slot" || ! reset_peer '{"faults": {"seed": 3, "rate": 1, "kinds": ["latency"], "latency": 0.15}}'; then
	bad "peer for random kills"
fi
rm -f "$tmp/rand.journal"
k=0 i=0 done_early=0
while [ $i -lt "$RANDOM_KILLS" ]; do
	i=$((i + 1))
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
[ $done_early -eq 1 ] && echo "note: a random-kill run finished before being killed"
}

jobs_init 3
jobs_start A chain_A
jobs_start B chain_B
jobs_start random random_kills
jobs_wait
jobs_tally A
jobs_tally B
cat "$tmp"/job.[AB].out | sed -n 's/^covered //p' | sort -u >"$tmp/covered"
missed=$(sort -u "$tmp/points" | comm -23 - "$tmp/covered" | wc -l)
covered=$(wc -l <"$tmp/covered")
echo "part 1: $npoints points, $covered killed there, $missed not reached"
if [ "$missed" -eq 0 ] && [ "$covered" -eq "$npoints" ]; then
	ok "every kill point reached ($npoints: $(cut -d' ' -f1 "$tmp/points" | sort | uniq -c | awk '{printf "%s%s %s", s, $1, $2; s=", "}'))"
else
	bad "kill points not reached: $missed of $npoints"
	sort -u "$tmp/points" | comm -23 - "$tmp/covered" | sed 's/^/    /' | head -20
fi
jobs_tally random

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
