#!/usr/bin/python3
"""Inputs of tests/exec/export_test.sh (the f2o-export round trip).

Usage: export_fixture.py OUT [--bulk N]
       export_fixture.py lost SEED EXPORTED HAND OUT

Writes three export folders (the layout tests/peers/peer.py --seed reads):
  OUT/seed   what the peers hold: the demo cluster `shop` (fixtures/demo)
             with its autoscaling (fixtures/autoscaling), the task
             definition its EC2 service legacy-cron uses
             (fixtures/export/taskdefs); a cluster `bulk` of N services
             (default 23: more than two ListServices pages of 10 and
             DescribeServices batches of 10), clones of the demo's worker
             and imgproc services under new names, each worker clone with
             a scalable target and a step-scaling policy triggered by 9
             alarms (more than 100 in all: two DescribeAlarms batches),
             the first imgproc clone with target tracking and a scheduled
             action; and 60 scalable targets, policies and scheduled
             actions of a cluster `other` without ECS services (more than
             one page of each Describe*, none of them exported)
  OUT/shop   the hand-made export of cluster `shop` as f2o-export selects
             it: fixtures/demo, and fixtures/autoscaling with only the
             targets, policies and actions of the cluster's services and
             only the alarms of its step-scaling policies
  OUT/bulk   the hand-made export of cluster `bulk` alone (its services,
             the task definitions and security groups they use, its
             autoscaling)

`lost`: the members of the seeded resources (non-null) that the exported
folder EXPORTED lacks (what an AWS CLI older than the peers' models drops),
one a line on stdout: "WORD MEMBER" in f2o-export's words (service, task
definition, container, scalable target, scaling policy, scheduled action,
alarm) for a member the translator carries (in both the request and the
describe output shape of tests/models), "output-only WORD MEMBER" for one
it does not carry, "other PATH" for a member elsewhere. OUT is the
hand-made export folder HAND without the carried ones, the input to
compare the exported folder with.
"""
import copy
import json
import os
import shutil
import sys

DEMO = "fixtures/demo"
EXTRA = "fixtures/export"
AAS = "fixtures/autoscaling"
AAS_FILES = ("scalable-targets.json", "scaling-policies.json",
             "scheduled-actions.json", "alarms.json")
ACCOUNT = "123456789012"
REGION = "us-east-1"
DIM = "ecs:service:DesiredCount"


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dump(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def bulk_services(demo, n):
    """n clones of worker/imgproc in cluster bulk, names NAME-NN."""
    by_name = {s["serviceName"]: s for s in demo["services"]}
    out = []
    for i in range(n):
        src = by_name["worker" if i % 2 == 0 else "imgproc"]
        s = copy.deepcopy(src)
        name = "%s-%02d" % (src["serviceName"], i + 1)
        s["serviceName"] = name
        s["serviceArn"] = src["serviceArn"].replace(
            "service/shop/" + src["serviceName"], "service/bulk/" + name)
        s["clusterArn"] = src["clusterArn"].replace("cluster/shop",
                                                    "cluster/bulk")
        out.append(s)
    return out


def walk(seed, got, path, out):
    if isinstance(seed, dict) and isinstance(got, dict):
        for k, v in seed.items():
            if v is None:
                continue
            if k not in got:
                out.add(path + (k,))
            else:
                walk(v, got[k], path + (k,), out)
    elif isinstance(seed, list) and isinstance(got, list):
        for x, y in zip(seed, got):
            walk(x, y, path + ("[]",), out)


MODELS = {"ecs": "tests/models/ecs/2014-11-13/service-2.json",
          "aas": "tests/models/application-autoscaling/2016-02-06/"
                 "service-2.json",
          "cw": "tests/models/cloudwatch/2010-08-01/service-2.json"}
# Where a member sits -> (f2o-export's word, model, request shape, output
# shape); the translator carries the members of both shapes.
KINDS = {
    ("service",): ("service", "ecs", "CreateServiceRequest", "Service"),
    ("td", "taskDefinition"): ("task definition", "ecs",
                               "RegisterTaskDefinitionRequest",
                               "TaskDefinition"),
    ("td", "taskDefinition", "containerDefinitions", "[]"): (
        "container", "ecs", "ContainerDefinition", "ContainerDefinition"),
    ("target",): ("scalable target", "aas", "RegisterScalableTargetRequest",
                  "ScalableTarget"),
    ("policy",): ("scaling policy", "aas", "PutScalingPolicyRequest",
                  "ScalingPolicy"),
    ("action",): ("scheduled action", "aas", "PutScheduledActionRequest",
                  "ScheduledAction"),
    ("alarm",): ("alarm", "cw", "PutMetricAlarmInput", "MetricAlarm"),
}
# The autoscaling files: kind, top-level member, key of an item.
AAS_KINDS = (("target", "scalable-targets.json", "ScalableTargets",
              ("ResourceId",)),
             ("policy", "scaling-policies.json", "ScalingPolicies",
              ("ResourceId", "PolicyName")),
             ("action", "scheduled-actions.json", "ScheduledActions",
              ("ResourceId", "ScheduledActionName")),
             ("alarm", "alarms.json", "MetricAlarms", ("AlarmName",)))


def carried(kind):
    _, model, req, outp = KINDS[kind]
    shapes = load(MODELS[model])["shapes"]
    return set(shapes[req]["members"]) & set(shapes[outp]["members"])


def strip(doc, path):
    """Remove the member path (tuple, "[]" = every element) from doc."""
    if not path:
        return
    if path[0] == "[]":
        for x in doc if isinstance(doc, list) else []:
            strip(x, path[1:])
    elif isinstance(doc, dict) and path[0] in doc:
        if len(path) == 1:
            del doc[path[0]]
        else:
            strip(doc[path[0]], path[1:])


def aas_items(folder, member, key):
    """Items of one autoscaling kind in folder/autoscaling/*.json, by key."""
    out = {}
    d = os.path.join(folder, "autoscaling")
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        for x in load(os.path.join(d, f)).get(member) or []:
            out[tuple(x.get(k) for k in key)] = x
    return out


def lost(seed, exported, hand, out):
    found = set()
    svcs = {s["serviceName"]: s for s in
            load(os.path.join(seed, "services.json"))["services"]}
    for s in load(os.path.join(exported, "services.json"))["services"]:
        walk(svcs[s["serviceName"]], s, ("service",), found)
    tdir = os.path.join(exported, "taskdefs")
    for f in sorted(os.listdir(tdir)):
        walk(load(os.path.join(seed, "taskdefs", f)),
             load(os.path.join(tdir, f)), ("td",), found)
    groups = {g["GroupId"]: g for g in
              load(os.path.join(seed, "security-groups.json"))
              ["SecurityGroups"]}
    for g in load(os.path.join(exported, "security-groups.json"))[
            "SecurityGroups"]:
        walk(groups[g["GroupId"]], g, ("sg",), found)
    for kind, _, member, key in AAS_KINDS:
        have = aas_items(seed, member, key)
        for k, x in aas_items(exported, member, key).items():
            walk(have[k], x, (kind,), found)
    strip_paths = []
    for p in sorted(found):
        if p[:-1] not in KINDS:
            print("other %s" % ".".join(p))
        elif p[-1] in carried(p[:-1]):
            print("%s %s" % (KINDS[p[:-1]][0], p[-1]))
            strip_paths.append(p)
        else:
            print("output-only %s %s" % (KINDS[p[:-1]][0], p[-1]))
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(hand, out)

    def rewrite(path, fn):
        if os.path.isfile(path):
            doc = load(path)
            fn(doc)
            dump(path, doc)

    def each(lst, sub):
        for x in lst or []:
            strip(x, sub)

    for p in strip_paths:
        if p[0] == "service":
            rewrite(os.path.join(out, "services.json"),
                    lambda d: each(d["services"], p[1:]))
        elif p[0] == "td":
            for f in sorted(os.listdir(os.path.join(out, "taskdefs"))):
                rewrite(os.path.join(out, "taskdefs", f),
                        lambda d: strip(d, p[1:]))
        for kind, f, member, _ in AAS_KINDS:
            if p[0] == kind:
                rewrite(os.path.join(out, "autoscaling", f),
                        lambda d: each(d.get(member), p[1:]))
    return 0


def policy_arn(cluster, service, name, n):
    return ("arn:aws:autoscaling:%s:%s:scalingPolicy:%08x-0000-4000-8000-"
            "%012x:resource/ecs/service/%s/%s:policyName/%s" % (
                REGION, ACCOUNT, n, n, cluster, service, name))


def target(cluster, service, lo, hi, suspended=False):
    return {"ServiceNamespace": "ecs",
            "ResourceId": "service/%s/%s" % (cluster, service),
            "ScalableDimension": DIM, "MinCapacity": lo, "MaxCapacity": hi,
            "RoleARN": "arn:aws:iam::%s:role/aws-service-role/ecs.application"
                       "-autoscaling.amazonaws.com/AWSServiceRoleForApplication"
                       "AutoScaling_ECSService" % ACCOUNT,
            "CreationTime": "2026-10-02T08:00:00.000000+00:00",
            "SuspendedState": {"DynamicScalingInSuspended": suspended,
                               "DynamicScalingOutSuspended": False,
                               "ScheduledScalingSuspended": False}}


def tracking(cluster, service, n):
    name = "%s-cpu" % service
    return {"PolicyARN": policy_arn(cluster, service, name, n),
            "PolicyName": name, "ServiceNamespace": "ecs",
            "ResourceId": "service/%s/%s" % (cluster, service),
            "ScalableDimension": DIM, "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": 55.0,
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
                "ScaleOutCooldown": 60, "ScaleInCooldown": 300},
            "Alarms": [],
            "CreationTime": "2026-10-02T08:01:00.000000+00:00"}


def action(cluster, service):
    return {"ScheduledActionName": "%s-nightly" % service,
            "ScheduledActionARN": "arn:aws:autoscaling:%s:%s:scheduledAction:"
                                  "0000:resource/ecs/service/%s/%s:"
                                  "scheduledActionName/%s-nightly" % (
                                      REGION, ACCOUNT, cluster, service,
                                      service),
            "ServiceNamespace": "ecs",
            "Schedule": "cron(0 22 * * ? *)", "Timezone": "Etc/UTC",
            "ResourceId": "service/%s/%s" % (cluster, service),
            "ScalableDimension": DIM,
            "ScalableTargetAction": {"MinCapacity": 0, "MaxCapacity": 2},
            "CreationTime": "2026-10-02T08:02:00.000000+00:00"}


def step_policy(cluster, service, n, template, alarms):
    name = "%s-backlog-out" % service
    p = copy.deepcopy(template)
    p.update({"PolicyARN": policy_arn(cluster, service, name, n),
              "PolicyName": name,
              "ResourceId": "service/%s/%s" % (cluster, service),
              "Alarms": [{"AlarmName": a["AlarmName"],
                          "AlarmARN": a["AlarmArn"]} for a in alarms]})
    return p


def step_alarms(cluster, service, arn, template, k):
    out = []
    for i in range(k):
        a = copy.deepcopy(template)
        name = "%s-%s-backlog-%d" % (cluster, service, i + 1)
        a.update({"AlarmName": name,
                  "AlarmArn": "arn:aws:cloudwatch:%s:%s:alarm:%s" % (
                      REGION, ACCOUNT, name),
                  "AlarmActions": [arn],
                  "Threshold": 100.0 + 10 * i,
                  "Dimensions": [{"Name": "ClusterName", "Value": cluster},
                                 {"Name": "ServiceName", "Value": service}]})
        out.append(a)
    return out


def bulk_autoscaling(bulk, templates):
    """Targets, policies, actions and alarms of the bulk clones."""
    pol_t, alarm_t = templates
    doc = {"targets": [], "policies": [], "actions": [], "alarms": []}
    for i, s in enumerate(bulk):
        name = s["serviceName"]
        if name.startswith("worker-"):
            doc["targets"].append(target("bulk", name, 1, 8))
            arn = policy_arn("bulk", name, "%s-backlog-out" % name, 1000 + i)
            alarms = step_alarms("bulk", name, arn, alarm_t, 9)
            doc["policies"].append(step_policy("bulk", name, 1000 + i, pol_t,
                                               alarms))
            doc["alarms"].extend(alarms)
        elif name == "imgproc-02":
            doc["targets"].append(target("bulk", name, 2, 6, suspended=True))
            doc["policies"].append(tracking("bulk", name, 2000 + i))
            doc["actions"].append(action("bulk", name))
    doc["alarms"].sort(key=lambda a: a["AlarmName"])
    return doc


def other_autoscaling(n=60):
    """A cluster without ECS services in the peers: n of each kind."""
    names = ["svc-%02d" % (i + 1) for i in range(n)]
    return {"targets": [target("other", x, 1, 4) for x in names],
            "policies": [tracking("other", x, 3000 + i)
                         for i, x in enumerate(names)],
            "actions": [action("other", x) for x in names], "alarms": []}


def write_aas(folder, prefix, doc):
    dump(os.path.join(folder, prefix + "scalable-targets.json"),
         {"ScalableTargets": doc["targets"]})
    dump(os.path.join(folder, prefix + "scaling-policies.json"),
         {"ScalingPolicies": doc["policies"]})
    dump(os.path.join(folder, prefix + "scheduled-actions.json"),
         {"ScheduledActions": doc["actions"]})
    dump(os.path.join(folder, prefix + "alarms.json"),
         {"MetricAlarms": doc["alarms"], "CompositeAlarms": []})


def selected(cluster, services):
    """fixtures/autoscaling as f2o-export selects it for cluster."""
    rids = {"service/%s/%s" % (cluster, s["serviceName"]) for s in services}
    t = load(os.path.join(AAS, "scalable-targets.json"))["ScalableTargets"]
    p = load(os.path.join(AAS, "scaling-policies.json"))["ScalingPolicies"]
    a = load(os.path.join(AAS, "scheduled-actions.json"))["ScheduledActions"]
    m = load(os.path.join(AAS, "alarms.json"))["MetricAlarms"]
    p = [x for x in p if x["ResourceId"] in rids]
    names = {al["AlarmName"] for x in p if x["PolicyType"] == "StepScaling"
             for al in x.get("Alarms") or []}
    return {"targets": [x for x in t if x["ResourceId"] in rids],
            "policies": p,
            "actions": [x for x in a if x["ResourceId"] in rids],
            "alarms": [x for x in m if x["AlarmName"] in names]}


def with_tags(services):
    """The services as `describe-services --include TAGS` prints them: a
    service without tags still has its (empty) tags member, which tells
    the translator its ownership was checked (PLAN.md, IaC section)."""
    out = copy.deepcopy(services)
    for s in out:
        s.setdefault("tags", [])
    return out


def copy_demo(out):
    demo = load(os.path.join(DEMO, "services.json"))
    demo["services"] = with_tags(demo["services"])
    dump(os.path.join(out, "services.json"), demo)
    shutil.copy(os.path.join(DEMO, "security-groups.json"), out)
    os.makedirs(os.path.join(out, "taskdefs"), exist_ok=True)
    for f in sorted(os.listdir(os.path.join(DEMO, "taskdefs"))):
        shutil.copy(os.path.join(DEMO, "taskdefs", f),
                    os.path.join(out, "taskdefs", f))


def main():
    args = sys.argv[1:]
    if len(args) == 5 and args[0] == "lost":
        return lost(*args[1:])
    n = 23
    if len(args) == 3 and args[1] == "--bulk":
        n = int(args[2])
        args = args[:1]
    if len(args) != 1 or not 1 <= n <= 500:
        sys.stderr.write(__doc__)
        return 2
    out = args[0]
    demo = load(os.path.join(DEMO, "services.json"))
    sgs = load(os.path.join(DEMO, "security-groups.json"))
    bulk = bulk_services(demo, n)
    pols = load(os.path.join(AAS, "scaling-policies.json"))["ScalingPolicies"]
    alarms = load(os.path.join(AAS, "alarms.json"))["MetricAlarms"]
    templates = ([x for x in pols if x["PolicyType"] == "StepScaling"][0],
                 [x for x in alarms if x["AlarmName"] == "worker-queue-high"]
                 [0])
    bulk_aas = bulk_autoscaling(bulk, templates)

    seed = os.path.join(out, "seed")
    dump(os.path.join(seed, "services.json"),
         {"services": demo["services"] + bulk, "failures": []})
    shutil.copy(os.path.join(DEMO, "security-groups.json"), seed)
    for d in (DEMO, EXTRA):
        src = os.path.join(d, "taskdefs")
        for f in sorted(os.listdir(src)):
            if f.endswith(".json"):
                os.makedirs(os.path.join(seed, "taskdefs"), exist_ok=True)
                shutil.copy(os.path.join(src, f),
                            os.path.join(seed, "taskdefs", f))
    for f in AAS_FILES:
        os.makedirs(os.path.join(seed, "autoscaling"), exist_ok=True)
        shutil.copy(os.path.join(AAS, f), os.path.join(seed, "autoscaling",
                                                       "shop-" + f))
    write_aas(os.path.join(seed, "autoscaling"), "bulk-", bulk_aas)
    write_aas(os.path.join(seed, "autoscaling"), "other-",
              other_autoscaling())

    shop = os.path.join(out, "shop")
    copy_demo(shop)
    write_aas(os.path.join(shop, "autoscaling"), "",
              selected("shop", demo["services"]))

    hand = os.path.join(out, "bulk")
    dump(os.path.join(hand, "services.json"),
         {"services": with_tags(bulk), "failures": []})
    used = {s["taskDefinition"] for s in bulk}
    for f in sorted(os.listdir(os.path.join(DEMO, "taskdefs"))):
        td = load(os.path.join(DEMO, "taskdefs", f))
        if td["taskDefinition"]["taskDefinitionArn"] in used:
            dump(os.path.join(hand, "taskdefs", f), td)
    groups = {g for s in bulk for g in s["networkConfiguration"]
              ["awsvpcConfiguration"]["securityGroups"]}
    dump(os.path.join(hand, "security-groups.json"),
         {"SecurityGroups": [g for g in sgs["SecurityGroups"]
                             if g["GroupId"] in groups]})
    write_aas(os.path.join(hand, "autoscaling"), "", bulk_aas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
