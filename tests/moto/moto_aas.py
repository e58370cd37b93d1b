#!/usr/bin/env python3
# Application Auto Scaling and CloudWatch in moto for tests/exec/moto_aas_test.sh.
# Run with the Python that has moto and boto3 (not /usr/bin/python3).
#
#   python3 tests/moto/moto_aas.py seed URL EXPORT_DIR OUT_DIR
#       registers the export's scalable targets (of services moto holds),
#       puts its policies, scheduled actions and alarms (not the
#       TargetTracking-* ones: moto makes its own) through boto3, and writes
#       the export as moto holds it to OUT_DIR (policy ARNs are moto's, in
#       the policies and in the alarms' actions)
#   python3 tests/moto/moto_aas.py state URL OUT_FILE
#       moto's state in the shape of the loopback peer's /_f2o/state
#       ("aas", "cw" with "managed" = a TargetTracking-* name, "ecs"
#       services) for tests/exec/autoscale_check.py
import datetime
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from moto_seed import client  # noqa: E402

NS, DIM = "ecs", "ecs:service:DesiredCount"
PUT_ALARM = ("AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions",
             "AlarmActions", "InsufficientDataActions", "MetricName",
             "Namespace", "Statistic", "ExtendedStatistic", "Dimensions",
             "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm",
             "Threshold", "ComparisonOperator", "TreatMissingData",
             "EvaluateLowSampleCountPercentile", "Metrics",
             "ThresholdMetricId")


def load(d):
    docs = {}
    for p in sorted(glob.glob(os.path.join(d, "*.json"))):
        with open(p, encoding="utf-8") as f:
            docs[os.path.basename(p)] = json.load(f)
    return docs


def pages(fn, key, **kw):
    out, tok = [], None
    for _ in range(100):
        r = fn(**(dict(kw, NextToken=tok) if tok else kw))
        out += r[key]
        tok = r.get("NextToken")
        if not tok:
            break
    return out


def seed(url, src, dst):
    aas = client(url, "application-autoscaling")
    cw = client(url, "cloudwatch")
    ecs = client(url, "ecs")
    docs = load(src)
    live = set()
    for s in ecs.list_services(cluster="shop").get("serviceArns", []):
        live.add("service/shop/" + s.rsplit("/", 1)[1])
    arns = {}
    for doc in docs.values():
        for t in doc.get("ScalableTargets", []):
            if t["ResourceId"] not in live:
                continue
            aas.register_scalable_target(
                **{k: t[k] for k in ("ServiceNamespace", "ResourceId",
                                     "ScalableDimension", "MinCapacity",
                                     "MaxCapacity", "SuspendedState")
                   if k in t})
    for doc in docs.values():
        for p in doc.get("ScalingPolicies", []):
            if p["ResourceId"] not in live:
                continue
            kw = {k: p[k] for k in p if k in (
                "PolicyName", "ServiceNamespace", "ResourceId",
                "ScalableDimension", "PolicyType") or
                k.endswith("PolicyConfiguration")}
            arns[p["PolicyARN"]] = aas.put_scaling_policy(**kw)["PolicyARN"]
        for a in doc.get("ScheduledActions", []):
            if a["ResourceId"] not in live:
                continue
            kw = {k: a[k] for k in ("ServiceNamespace", "Schedule",
                                    "Timezone", "ScheduledActionName",
                                    "ResourceId", "ScalableDimension",
                                    "StartTime", "EndTime",
                                    "ScalableTargetAction") if k in a}
            aas.put_scheduled_action(**kw)
    for doc in docs.values():
        for a in doc.get("MetricAlarms", []):
            if a["AlarmName"].startswith("TargetTracking-"):
                continue
            kw = {k: a[k] for k in PUT_ALARM if k in a}
            for lst in ("AlarmActions", "OKActions",
                        "InsufficientDataActions"):
                if lst in kw:
                    kw[lst] = [arns.get(x, x) for x in kw[lst]]
            cw.put_metric_alarm(**kw)
    # the export as moto holds it: the same files, moto's policy ARNs
    os.makedirs(dst, exist_ok=True)
    for name, doc in docs.items():
        text = json.dumps(doc, indent=1)
        for old, new in arns.items():
            text = text.replace(old, new)
        with open(os.path.join(dst, name), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(json.dumps(arns))


def epoch(v):
    return v.timestamp() if isinstance(v, datetime.datetime) else v


def plain(v):
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items() if k != "ResponseMetadata"}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return epoch(v)


def state(url, out):
    aas = client(url, "application-autoscaling")
    cw = client(url, "cloudwatch")
    ecs = client(url, "ecs")
    svcs = []
    arns = ecs.list_services(cluster="shop").get("serviceArns", [])
    for i in range(0, len(arns), 10):
        for s in ecs.describe_services(cluster="shop",
                                       services=arns[i:i + 10])["services"]:
            svcs.append({"cluster": "shop", "service": plain(s)})
    alarms = pages(cw.describe_alarms, "MetricAlarms")
    st = {
        "aas": {
            "scalableTargets": plain(pages(aas.describe_scalable_targets,
                                           "ScalableTargets",
                                           ServiceNamespace=NS)),
            "scalingPolicies": plain(pages(aas.describe_scaling_policies,
                                           "ScalingPolicies",
                                           ServiceNamespace=NS)),
            "scheduledActions": plain(pages(aas.describe_scheduled_actions,
                                            "ScheduledActions",
                                            ServiceNamespace=NS))},
        "cw": {"alarms": [dict(plain(a), managed=a["AlarmName"].startswith(
            "TargetTracking-")) for a in alarms]},
        "ecs": {"services": svcs},
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(st, f, indent=1, default=str)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "seed":
        seed(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "state":
        state(sys.argv[2], sys.argv[3])
    else:
        sys.stderr.write("usage: moto_aas.py seed URL EXPORT_DIR OUT_DIR | "
                         "state URL OUT_FILE\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
