#!/usr/bin/python3
"""Check the Application Auto Scaling / CloudWatch state of the loopback
peer (GET /_f2o/state, saved to a file) against the autoscaling export
after one phase of f2o-exec. Prints "ok ..." / "FAIL ..." lines.

    autoscale_check.py STATE EXPORT_DIR PHASE [SERVICES [LAX]]

PHASE:
  export    the export's objects only (nothing of f2o's);
  import    the export's objects of the originals unchanged, and each copy
            (sfm-NAME) has the original's target (min, max, suspended),
            policies, scheduled actions (its own resource id) and alarms
            (f2o-sfm-NAME-<alarm>, ServiceName = the copy, actions = the
            copy's policy ARN + the other actions);
  cutover   the originals' (now the EC2 services') scaling as exported,
            their alarms pointing at the live policy ARNs, no copy target
            and no f2o- alarm left;
  rollback  the same as cutover (the originals' scaling as exported,
            nothing of f2o's left).
SERVICES: comma list of the services the phase went through (default:
every service with an exported target that the ECS peer holds ACTIVE).
LAX: comma list of checks skipped (and said so) for a state that is not
the loopback peer's: "tt-alarms" (the alarms AAS makes for a
target-tracking policy name it in their actions), "dereg"
(DeregisterScalableTarget removes the target's policies, scheduled actions
and their target-tracking alarms): moto does neither (tests/moto/README.md).
Policies are compared by name and configuration; their ARNs only where
the policy object survived (an ARN AWS makes anew cannot be restored).
"""
import glob
import json
import os
import sys

NS, DIM = "ecs", "ecs:service:DesiredCount"
PREFIX = "sfm-"
ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")
ALARM_KEYS = ("AlarmDescription", "ActionsEnabled", "MetricName",
              "Namespace", "Statistic", "ExtendedStatistic", "Period",
              "Unit", "EvaluationPeriods", "DatapointsToAlarm", "Threshold",
              "ComparisonOperator", "TreatMissingData",
              "EvaluateLowSampleCountPercentile", "Metrics",
              "ThresholdMetricId")
ACTION_KEYS = ("Schedule", "Timezone", "ScalableTargetAction")
SUSP = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended",
        "ScheduledScalingSuspended")

fails = 0


def check(cond, msg, detail=None):
    global fails
    if cond:
        print("ok   " + msg)
    else:
        fails += 1
        print("FAIL " + msg + ("" if detail is None else
                               ": " + json.dumps(detail, default=str)[:600]))


def load_export(d):
    ex = {"ScalableTargets": [], "ScalingPolicies": [], "ScheduledActions":
          [], "MetricAlarms": []}
    for p in sorted(glob.glob(os.path.join(d, "*.json"))):
        with open(p, encoding="utf-8") as f:
            doc = json.load(f)
        for k in ex:
            ex[k] += doc.get(k, []) if isinstance(doc, dict) else []
    return ex


def susp(t):
    s = t.get("SuspendedState") or {}
    return {k: bool(s.get(k, False)) for k in SUSP}


def same_time(a, b):
    """Scheduled action times: the export's ISO text or epoch vs epoch."""
    import datetime
    def num(v):
        if isinstance(v, str):
            return datetime.datetime.fromisoformat(
                v.replace("Z", "+00:00")).timestamp()
        return v
    return (a is None and b is None) or (a is not None and b is not None and
                                         abs(num(a) - num(b)) < 1)


def renamed(v, old, new):
    """v with every {"Name": "ServiceName", "Value": old} dimension naming
    new (a copy's customized metric measures the copy)."""
    if isinstance(v, list):
        return [renamed(x, old, new) for x in v]
    if isinstance(v, dict):
        if v.get("Name") == "ServiceName" and v.get("Value") == old:
            return dict(v, Value=new)
        return {k: renamed(x, old, new) for k, x in v.items()}
    return v


def norm(v):
    """An absent list and an empty one are the same (Metrics: [])."""
    return None if v == [] else v


def skip(msg):
    print("skip " + msg)


def rid_of(name):
    return "service/shop/%s" % name


def name_of(rid):
    return rid.split("/", 2)[2]


def main(argv):
    st = json.load(open(argv[1]))
    ex = load_export(argv[2])
    phase = argv[3]
    lax = set(argv[5].split(",")) if len(argv) > 5 and argv[5] else set()
    live_svcs = {r["service"]["serviceName"] for r in st["ecs"]["services"]
                 if r["service"]["status"] == "ACTIVE" and
                 r["cluster"] == "shop"}
    if len(argv) > 4 and argv[4]:
        names = argv[4].split(",")
    else:
        names = [name_of(t["ResourceId"]) for t in ex["ScalableTargets"]
                 if name_of(t["ResourceId"]) in live_svcs and
                 name_of(t["ResourceId"]) != "legacy-cron"]
    targets = {t["ResourceId"]: t for t in st["aas"]["scalableTargets"]}
    pols = {(p["ResourceId"], p["PolicyName"]): p
            for p in st["aas"]["scalingPolicies"]}
    acts = {(a["ResourceId"], a["ScheduledActionName"]): a
            for a in st["aas"]["scheduledActions"]}
    alarms = {a["AlarmName"]: a for a in st["cw"]["alarms"]}
    ex_pol_arn = {p["PolicyARN"]: p for p in ex["ScalingPolicies"]}

    def live_arn(exported_arn, rid):
        p = ex_pol_arn.get(exported_arn)
        if p is None:
            return exported_arn          # not a policy: kept as it is
        lp = pols.get((rid, p["PolicyName"]))
        return lp["PolicyARN"] if lp else None

    def check_scaling(name, rid, what, alarm_prefix, service_dim):
        ors = rid_of(name)
        et = [t for t in ex["ScalableTargets"] if t["ResourceId"] == ors][0]
        t = targets.get(rid)
        check(t is not None and t["MinCapacity"] == et["MinCapacity"] and
              t["MaxCapacity"] == et["MaxCapacity"] and susp(t) == susp(et),
              "%s %s: target min/max/suspended as exported" % (what, rid),
              t)
        for p in [p for p in ex["ScalingPolicies"] if p["ResourceId"] == ors]:
            lp = pols.get((rid, p["PolicyName"]))
            cfg = [k for k in p if k.endswith("PolicyConfiguration")]
            check(lp is not None and lp["PolicyType"] == p["PolicyType"] and
                  all(lp.get(k) == renamed(p[k], name, service_dim)
                      for k in cfg),
                  "%s %s: policy %s as exported" % (what, rid,
                                                    p["PolicyName"]),
                  lp)
            # AAS made the target-tracking alarms of a policy f2o put
            if lp is not None and p["PolicyType"] == \
                    "TargetTrackingScaling" and "tt-alarms" in lax:
                skip("%s %s: policy %s's target-tracking alarms (lax)" % (
                    what, rid, p["PolicyName"]))
            elif lp is not None and p["PolicyType"] == \
                    "TargetTrackingScaling" and (rid != ors or phase in
                                                 ("cutover", "rollback")):
                # their action: the policy ARN + ":createdBy/UUID" (AWS,
                # moto, the peer), or the bare ARN (the fixture's export)
                mine = [a for a in alarms.values() if a["managed"] and
                        any(x == lp["PolicyARN"] or x.startswith(
                            lp["PolicyARN"] + ":createdBy/")
                            for x in a["AlarmActions"])]
                check(len(mine) == 2, "%s %s: policy %s has its two "
                      "target-tracking alarms" % (what, rid,
                                                  p["PolicyName"]),
                      [a["AlarmName"] for a in mine])
        for a in [a for a in ex["ScheduledActions"] if a["ResourceId"] ==
                  ors]:
            la = acts.get((rid, a["ScheduledActionName"]))
            check(la is not None and all(la.get(k) == a.get(k)
                                         for k in ACTION_KEYS) and
                  same_time(la.get("StartTime"), a.get("StartTime")) and
                  same_time(la.get("EndTime"), a.get("EndTime")),
                  "%s %s: scheduled action %s as exported" % (
                      what, rid, a["ScheduledActionName"]), la)
        mine_pols = {p["PolicyARN"] for p in ex["ScalingPolicies"]
                     if p["ResourceId"] == ors}
        for a in ex["MetricAlarms"]:
            if not (set(a.get("AlarmActions", [])) & mine_pols) or \
                    a["AlarmName"].startswith("TargetTracking-"):
                continue
            n = alarm_prefix + a["AlarmName"]
            la = alarms.get(n)
            want_dims = [dict(d, Value=service_dim) if d["Name"] ==
                         "ServiceName" else d for d in a.get("Dimensions",
                                                             [])]
            bad = ["(missing)"] if la is None else \
                [k for k in ALARM_KEYS if norm(la.get(k)) != norm(a.get(k))] + \
                (["Dimensions"] if la.get("Dimensions") != want_dims else [])
            for lst in ACTIONS:
                want = [live_arn(x, rid) for x in a.get(lst, [])]
                if la is not None and (la.get(lst) != want or None in want):
                    bad.append("%s %s" % (lst, want))
            ok = bad == []
            check(ok, "%s: alarm %s as exported, actions on %s's live "
                  "policies" % (what, n, rid), bad)

    # the originals (and, after an import, the copies)
    for name in names:
        check_scaling(name, rid_of(name), phase, "", name)
        if phase == "import":
            check_scaling(name, rid_of(PREFIX + name), "import copy",
                          "f2o-%s%s-" % (PREFIX, name), PREFIX + name)
    if phase != "import":
        f2o_t = [r for r in targets if name_of(r).startswith(PREFIX)]
        check(f2o_t == [], "%s: no copy's scalable target left" % phase,
              f2o_t)
        f2o_p = [k for k in pols if name_of(k[0]).startswith(PREFIX)]
        f2o_a = [k for k in acts if name_of(k[0]).startswith(PREFIX)]
        if "dereg" in lax:
            skip("%s: no copy's policy or scheduled action left (lax: %d "
                 "left)" % (phase, len(f2o_p + f2o_a)))
        else:
            check(f2o_p == [] and f2o_a == [], "%s: no copy's policy or "
                  "scheduled action left" % phase, f2o_p + f2o_a)
        f2o_al = [n for n in alarms if n.startswith("f2o-") or
                  ("/" + PREFIX) in n and not ("dereg" in lax and
                                               alarms[n]["managed"])]
        check(f2o_al == [], "%s: no f2o alarm left" % phase, f2o_al)
        # every exported alarm that is no target-tracking one is there
        miss = [a["AlarmName"] for a in ex["MetricAlarms"]
                if not a["AlarmName"].startswith("TargetTracking-") and
                a["AlarmName"] not in alarms]
        check(miss == [], "%s: every exported alarm is there" % phase, miss)
        extra = [n for n, a in alarms.items() if not a["managed"] and
                 n not in {x["AlarmName"] for x in ex["MetricAlarms"]}]
        check(extra == [], "%s: no alarm that is not the export's" % phase,
              extra)
    # targets of services f2o does not migrate: untouched
    for t in ex["ScalableTargets"]:
        n = name_of(t["ResourceId"])
        if n in names or n not in live_svcs and n != "legacy-cron":
            continue
        lt = targets.get(t["ResourceId"])
        check(lt is not None and lt["MinCapacity"] == t["MinCapacity"] and
              lt["MaxCapacity"] == t["MaxCapacity"] and
              susp(lt) == susp(t), "%s: %s untouched" % (
                  phase, t["ResourceId"]), lt)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
