#!/bin/sh
# shellcheck disable=SC2086  # F2O_EXEC_ARGS / RATES / $cargs are split on purpose
# Kill test of the cutover and rollback phases (issues 6 and 7): f2o-exec
# is killed with SIGKILL at exact step boundaries and resumed from its
# journal. A reference run (import, cutover, rollback on one peer) logs
# its events (F2O_EXEC_EVENT_LOG: "intent STEP" = INTENT written, nothing
# sent; "reply STEP" = an answer received, RESULT not written yet;
# "result STEP" = RESULT written). A kill point is an event; f2o-exec is
# started with F2O_EXEC_PAUSE_ON=<event>, stops itself there and
# tests/tools/pause_kill.py SIGKILLs it the moment it stops; the same
# process then reads the step's state in the journal file
# (tests/tools/journal_read.py, the format of exec/jrecord.h). The kinds of
# kill point are (phase, step kind, boundary), a step kind being the step
# id without its service (cut/*:delete, rb/*:fargate-temp, rb/vng/*, ...):
#   cutover chains: one kill per step kind of the cutover at its INTENT
#     and RESULT boundaries (cutA, the steps of "api"), and between its
#     reply and its RESULT (cutB, "web"); after each kill the journal must
#     say in-doubt (intent, reply) or done (result); the run is resumed up
#     to the next point, then to exit 0 -> the same final state and
#     creation counts as the uninterrupted cutover, no traffic gap;
#   rollback chains: the same for every step kind of the rollback (the
#     Ocean, security group and task definition steps too) after a full
#     cutover, INTENT (rbA, "worker"), RESULT (rbC, "api"), reply (rbB,
#     "imgproc") -> the same as the uninterrupted rollback, i.e. the
#     exported state, no gap;
#   cutover then rollback (midN): one case per cutover action
#     (ecs:UpdateService, ...) at its INTENT and RESULT boundaries and, for
#     the requests, between reply and RESULT, on services in turn: the
#     cutover is killed there, then rolled back -> the exported state, no
#     gap, no CreateService refused.
# A chain that finishes before its next point (a step settled by a look-up
# on resume has no "result" of its own) is checked and a fresh one (new
# peer, new journal) is started for that point. At the end every chosen
# point must have been killed at, and every (phase, action, boundary) kind
# covered. The chains and KILL_JOBS (default 4) groups of mid cases run as
# jobs, KILL_JOBS at a time, each on the peer of its job slot, started
# over (POST /_f2o/reset) for each fresh world or case: KILL_JOBS peers in
# all, not one per world. A job's kills, its other f2o-exec runs, journal
# reads, peer states and resets are made by one pause_kill.py --serve
# (pauselib.inc: no env, curl or f2o-exec status process each), and the
# final-state checks of all worlds by one cutover_check.py batch at the
# end. Prints SKIP while f2o-exec has no
# phases.
# Ends with "N passed, N failed". Usage: sh tests/exec/kill_phases_test.sh
# Environment: BUILD, F2O_EXEC_ARGS (default --parallel 4), KILL_JOBS.
BUILD=${BUILD:-build}
PY=/usr/bin/python3
F2O_EXEC_ARGS=${F2O_EXEC_ARGS---parallel 4}
KJ=${KILL_JOBS:-4}
pass=0
fail=0

. tests/exec/peerlib.inc
. tests/exec/phaselib.inc
. tests/exec/jobs.inc
. tests/exec/pauselib.inc
need_phases
translate_demo
B="$tmp/bundle.orig"
# the peers' timing (start_peer: 0.5 s to stability), as reset_peer knobs
PEER_KNOBS='{"drain_seconds": 1.5, "stop_seconds": null}'
# longer draining for the kills before a rollback: a kill between a
# DeleteService and its INACTIVE leaves the name DRAINING for a while;
# tasks stop faster than they start, so a copy scaled down before the
# recreated service runs always shows as a gap
MID_PEER_KNOBS='{"drain_seconds": 3, "stop_seconds": 0.2}'

# A journal of its own and the HOME beside it (f2o() uses the same).
new_journal() { # file
	JOURNAL=$1
	mkdir -p "$tmp/home-${JOURNAL##*/}"
}

# f2o-exec stopped at event $2 and killed there by this shell's
# pause_kill.py --serve; sets pk_r ("paused", "exit RC", ...)
pk() { # log event args...
	lf=$1; ev=$2; shift 2
	pk_run 120 "$lf" env -i PATH="$PATH" HOME="$tmp/home-${JOURNAL##*/}" \
	    F2O_EXEC_PAUSE_ON="$ev" \
	    AWS_ENDPOINT_URL="$AWS_URL" SPOTINST_BASE_URL="$SPOT_URL" \
	    AWS_ACCESS_KEY_ID="$AK" AWS_SECRET_ACCESS_KEY="$SK" \
	    AWS_REGION=us-east-1 SPOTINST_TOKEN="$ST" SPOTINST_ACCOUNT="$SA" \
	    "$E" --poll-interval "$POLL" $RATES --journal "$JOURNAL" \
	    $F2O_EXEC_ARGS "$@"
}

# rerun until exit 0 (at most 5 times); ok/FAIL line
resume() { # label log args...
	label=$1; lf=$2; shift 2
	i=0
	while :; do
		i=$((i + 1))
		f2o "$lf.$i" "$@"
		rc=$?
		if [ "$rc" -eq 0 ] || [ "$i" -ge 5 ]; then break; fi
		sleep 1		# an operator's rerun is not instantaneous
	done
	if [ "$rc" -eq 0 ]; then
		ok "$label: resumed to exit 0 in $i run(s)"
	else
		bad "$label: resume exits $rc after $i runs"
		sed 's/^/    /' "$lf.$i" | tail -n 20
	fi
}

# the state of step $3 in the journal file after a kill at event "$2 $3"
# (asked of this shell's pause_kill.py --serve: no process per kill)
journal_says() { # label boundary step
	pk_journal "$JOURNAL" "$3"
	st=$pk_r
	want=in-doubt
	[ "$2" = result ] && want="done"
	if [ "$st" = "$want" ]; then
		ok "$1: killed at \"$2 $3\"; the journal says $want"
	else
		bad "$1: killed at \"$2 $3\"; the journal says \"$st\", want $want"
	fi
}

# -- reference: uninterrupted runs, events logged ----------------------------
# the peers of the job slots, all started at once; slot 1's runs the
# reference first
if ! peer_pool_start "$KJ" --drain-seconds 1.5 || ! peer_use 1; then
	bad "peers started"; echo "$pass passed, $fail failed"; exit 1
fi
state "$tmp/ref0.json"
new_journal "$tmp/ref.journal"
phase "reference import" "$tmp/ref-import.log" 0 run "$B"
F2O_ENV="F2O_EXEC_EVENT_LOG=$tmp/ev.cutover"
phase "reference cutover" "$tmp/ref-cutover.log" 0 --phase cutover run "$B"
state "$tmp/ref-cut.json"
F2O_ENV="F2O_EXEC_EVENT_LOG=$tmp/ev.rollback"
phase "reference rollback" "$tmp/ref-rollback.log" 0 rollback "$B"
F2O_ENV=""
state "$tmp/ref-rb.json"

# -- the kill points ----------------------------------------------------------
if ! $PY - "$tmp" <<'PYEOF' >"$tmp/points.out" 2>&1; then
import re, sys
tmp = sys.argv[1]
SEP = "\t"


def kind(sid):
    """cut/api:delete -> cut/*:delete, rb/vng/arm64 -> rb/vng/*"""
    return re.sub(r"/[^/:]+(?=:|$)", "/*", sid, count=1)


def svc(sid):
    m = re.match(r"[^/]+/([^/:]+):", sid)
    return m.group(1) if m else None


def load(phase):
    ev, seen = [], set()
    for line in open("%s/ev.%s" % (tmp, phase)):
        line = line.strip()
        if line and line not in seen:
            seen.add(line)
            ev.append(line)
    act = {}
    for line in open("%s/ref-%s.log" % (tmp, phase)):
        f = line.split()
        if len(f) >= 3 and f[0] == "ok" and "/" in f[1]:
            act[f[1]] = f[2]
    return ev, act


def chain(ev, bounds, s):
    """per (boundary, kind) one event: of service s, or of the step
    naming s, or the first one; in reference order"""
    cand = {}
    for e in ev:
        b, sid = e.split(" ", 1)
        if b not in bounds:
            continue
        k = (b, kind(sid))
        if svc(sid) is not None:
            if svc(sid) == s:
                cand[k] = e
        elif k not in cand or (s in sid and s not in cand[k]):
            cand[k] = e
    return sorted(cand.values(), key=ev.index)


services = {}
for phase, chains in (("cutover", (("cutA", "intent result", "api"),
                                   ("cutB", "reply", "web"))),
                      ("rollback", (("rbA", "intent", "worker"),
                                    ("rbC", "result", "api"),
                                    ("rbB", "reply", "imgproc")))):
    ev, act = load(phase)
    services[phase] = sorted({svc(e.split(" ", 1)[1]) for e in ev} - {None})
    for name, bounds, s in chains:
        pts = chain(ev, bounds.split(), s)
        with open("%s/pts.%s" % (tmp, name), "w") as f:
            f.write("".join(p + "\n" for p in pts))
        print("note %s: %d kill points of the %s (%s, %s)" % (
            name, len(pts), phase, bounds, s))
    if phase == "cutover":
        # midN: each cutover action at intent, result (and reply for the
        # requests), on its step kinds and the services in turn
        mid, kinds = [], {}
        for e in ev:
            sid = e.split(" ", 1)[1]
            if sid in act and svc(sid):
                ks = kinds.setdefault(act[sid], [])
                if sid.split(":", 1)[1] not in ks:
                    ks.append(sid.split(":", 1)[1])
        c = 0
        for a, ks in kinds.items():
            bs = ["intent", "result"] + ([] if a.startswith("wait:")
                                         else ["reply"])
            for j, b in enumerate(bs):
                s = services[phase][c % len(services[phase])]
                want = "%s cut/%s:%s" % (b, s, ks[j % len(ks)])
                if want not in ev:
                    want = next(x for x in ev if x.startswith(b + " ") and
                                act.get(x.split(" ", 1)[1]) == a)
                mid.append(want)
                c += 1
        with open("%s/pts.mid" % tmp, "w") as f:
            f.write("".join(p + "\n" for p in mid))
        print("note mid: %d cutover kill points, then a rollback" % len(mid))
PYEOF
	bad "kill points chosen"; cat "$tmp/points.out"
	echo "$pass passed, $fail failed"; exit 1
fi
cat "$tmp/points.out"

# -- chains --------------------------------------------------------------------
# A fresh world for chain $cname: the job's peer started over, a new
# journal, the import done (and the cutover, for a rollback chain); sets
# JOURNAL, wn (world number).
world() {
	wn=$((wn + 1))
	w="$cname.$wn"
	reset_peer "$PEER_KNOBS" || { bad "$w: peer started over"; return 1; }
	new_journal "$tmp/$w.journal"
	f2o "$tmp/$w-import.log" run "$B" || { bad "$w: import"; return 1; }
	if [ "$cphase" = rollback ]; then
		f2o "$tmp/$w-cut.log" --phase cutover run "$B" || { bad "$w: cutover"; return 1; }
	fi
	return 0
}
# Resume the world's phase to the end, compare with the reference (at
# the end, check_later).
world_check() {
	w="$cname.$wn"
	resume "$w: $cphase resumed after its kills" "$tmp/$w-resume.log" $cargs
	state "$tmp/$w.json"
	if [ "$cphase" = cutover ]; then
		check_later same-final "$tmp/ref-cut.json" "$tmp/$w.json"
	else
		check_later same-final "$tmp/ref-rb.json" "$tmp/$w.json"
		# a peer started over holds the state the reference started
		# from (the same seed; only times differ)
		check_later exported "$tmp/ref0.json" "$tmp/$w.json"
	fi
	check_later traffic "$tmp/$w.json"
}
chain() { # uses cname, cphase, cargs
	wn=0 check_job=$cname
	peer_use "$job_slot" || { bad "$cname: peer of slot $job_slot"; return 1; }
	pk_open "$cname" || { bad "$cname: pause_kill.py --serve"; return 1; }
	world || return 1
	while IFS= read -r pt; do
		tries=0
		while [ "$tries" -lt 2 ]; do
			tries=$((tries + 1))
			pk "$tmp/$cname.k.log" "$pt" $cargs
			r=$pk_r
			case $r in
			paused)
				echo "killed-at $pt"
				journal_says "$cname.$wn" "${pt%% *}" "${pt#* }"
				break ;;
			"exit 0")
				# finished before this point: check, start afresh
				world_check
				world || return 1 ;;
			*)
				bad "$cname.$wn: kill at \"$pt\": f2o-exec $r"
				sed 's/^/    /' "$tmp/$cname.k.log" | tail -n 15
				world || return 1
				break ;;
			esac
		done
	done <"$tmp/pts.$cname"
	world_check
	pk_close
}
chain_cut() { cname=$1; cphase=cutover; cargs="--phase cutover run $B"; chain; }
chain_cutA() { chain_cut cutA; }
chain_cutB() { chain_cut cutB; }
chain_rb() { cname=$1; cphase=rollback; cargs="rollback $B"; chain; }
chain_rbA() { chain_rb rbA; }
chain_rbB() { chain_rb rbB; }
chain_rbC() { chain_rb rbC; }

# -- cutover killed at a point, then rollback instead of resuming -------------
mid_case() { # uses name, pt
	reset_peer "$MID_PEER_KNOBS" || { bad "$name: peer started over"; return 1; }
	new_journal "$tmp/$name.journal"
	f2o "$tmp/$name-import.log" run "$B" || bad "$name: import"
	pk "$tmp/$name-killed.log" "$pt" --phase cutover run "$B"
	r=$pk_r
	if [ "$r" = paused ]; then
		echo "killed-at $pt"
		journal_says "$name" "${pt%% *}" "${pt#* }"
	else
		bad "$name: cutover not stopped at \"$pt\" ($r)"
		sed 's/^/    /' "$tmp/$name-killed.log" | tail -n 15
	fi
	resume "$name: rollback after a cutover killed at \"$pt\"" "$tmp/$name-rb.log" rollback "$B"
	state "$tmp/$name.json"
	check_later exported "$tmp/ref0.json" "$tmp/$name.json"
	check_later traffic "$tmp/$name.json"
	check_later no-early-create "$tmp/$name.json" "$name"
}
# The cases k = g, g + KJ, g + 2 KJ, ... in turn (job midG: one job per
# peer, one pause_kill.py for them all).
mid_group() { # uses g
	check_job=mid$g
	peer_use "$job_slot" || { bad "mid$g: peer of slot $job_slot"; return 1; }
	pk_open "mid$g" || { bad "mid$g: pause_kill.py --serve"; return 1; }
	k=0
	while IFS= read -r pt; do
		k=$((k + 1)); name="mid$k"
		[ $(((k - 1) % KJ + 1)) -eq "$g" ] && mid_case
	done <"$tmp/pts.mid"
	pk_close
}

jobs_init "$KJ"
for c in rbA rbC rbB cutA cutB; do jobs_start "$c" "chain_$c"; done
g=0
while [ "$g" -lt "$KJ" ]; do
	g=$((g + 1))
	jobs_start "mid$g" mid_group
done
jobs_wait
# every world's final-state checks in one process, then each job's lines
# and its checks' lines
jobnames="cutA cutB rbA rbC rbB"
g=0
while [ "$g" -lt "$KJ" ]; do g=$((g + 1)); jobnames="$jobnames mid$g"; done
# shellcheck disable=SC2086
checks_batch $jobnames
for j in $jobnames; do
	jobs_tally "$j"
	checks_tally "$j"
done

# -- coverage: every chosen point killed at, every kind covered ---------------
cat "$tmp"/job.*.out | sed -n 's/^killed-at //p' | sort -u >"$tmp/killed"
cat "$tmp"/pts.* | sort -u >"$tmp/chosen"
missed=$(comm -23 "$tmp/chosen" "$tmp/killed" | wc -l)
if [ "$missed" -eq 0 ]; then
	ok "every chosen kill point killed at ($(wc -l <"$tmp/chosen"))"
else
	bad "kill points never reached: $missed"
	comm -23 "$tmp/chosen" "$tmp/killed" | sed 's/^/    /'
fi
$PY - "$tmp" <<'PYEOF' >"$tmp/kinds.out" 2>&1
import sys
tmp = sys.argv[1]
killed = {l.strip() for l in open(tmp + "/killed") if l.strip()}
for phase, chains in (("cutover", ("cutA", "cutB", "mid")),
                      ("rollback", ("rbA", "rbB", "rbC"))):
    act = {}
    for line in open("%s/ref-%s.log" % (tmp, phase)):
        f = line.split()
        if len(f) >= 3 and f[0] == "ok" and "/" in f[1]:
            act[f[1]] = f[2]
    want = {(a, b) for a in set(act.values()) for b in ("intent", "result")}
    want |= {(a, "reply") for a in set(act.values())
             if not a.startswith("wait:")}
    got = set()
    for k in killed:
        b, sid = k.split(" ", 1)
        if sid in act:
            got.add((act[sid], b))
    miss = sorted(want - got)
    print("%s %s: every action killed at its intent, reply and result "
          "boundaries (%d kinds) %s" % ("ok  " if not miss else "FAIL",
                                        phase, len(want), miss or ""))
PYEOF
tally "$tmp/kinds.out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
