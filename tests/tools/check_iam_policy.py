#!/usr/bin/python3
"""Check a bundle's iam-policy.json: a valid IAM policy document that grants
exactly the IAM actions plan.json's steps send plus f2o-exec's own reads,
nothing more, with resources that cover every request's target.
Usage: check_iam_policy.py BUNDLE_DIR...   Exit 0 when all are right."""
import json
import os
import re
import sys

# Plan action -> IAM action (spot: is not IAM). Kept independent of
# translate/iampolicy.c on purpose: this is the check of that table.
PLAN = {
    "ecs:RegisterTaskDefinition": "ecs:RegisterTaskDefinition",
    "ecs:DeregisterTaskDefinition": "ecs:DeregisterTaskDefinition",
    "ecs:CreateService": "ecs:CreateService",
    "ecs:UpdateService": "ecs:UpdateService",
    "ecs:DeleteService": "ecs:DeleteService",
    "ecs:DescribeServices": "ecs:DescribeServices",
    "ecs:PutAccountSettingDefault": "ecs:PutAccountSettingDefault",
    "ecs:PutAccountSetting": "ecs:PutAccountSetting",
    "ecs:TagResource": "ecs:TagResource",
    "wait:ServicesStable": "ecs:DescribeServices",
    "wait:ServicesInactive": "ecs:DescribeServices",
    "wait:ContainerInstancesGone": "ecs:ListContainerInstances",
    "ec2:CreateSecurityGroup": "ec2:CreateSecurityGroup",
    "ec2:AuthorizeSecurityGroupIngress": "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress": "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress": "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress": "ec2:RevokeSecurityGroupEgress",
    "ec2:DeleteSecurityGroup": "ec2:DeleteSecurityGroup",
}
AAS_OPS = ["RegisterScalableTarget", "DeregisterScalableTarget",
           "PutScalingPolicy", "DeleteScalingPolicy", "PutScheduledAction",
           "DeleteScheduledAction"]
PLAN.update({"application-autoscaling:" + o: "application-autoscaling:" + o
             for o in AAS_OPS})
PLAN.update({"cloudwatch:PutMetricAlarm": "cloudwatch:PutMetricAlarm",
             "cloudwatch:DeleteAlarms": "cloudwatch:DeleteAlarms"})
# Read by f2o-exec's preflight only for a bundle with scaling steps.
AAS_READS = {"application-autoscaling:DescribeScalableTargets",
             "application-autoscaling:DescribeScalingPolicies",
             "application-autoscaling:DescribeScheduledActions"}
# Read by the preflight for the alarms manifest.json fingerprints.
CW_READS = {"cloudwatch:DescribeAlarms"}
# f2o-exec's own reads: preflight (DescribeClusters, DescribeServices,
# DescribeSecurityGroups) and reconcile (exec/reconcile.c).
EXEC_READS = {"ecs:DescribeClusters", "ecs:DescribeServices",
              "ec2:DescribeSecurityGroups", "ecs:ListTaskDefinitions",
              "ecs:DescribeTaskDefinition", "ecs:ListTasks",
              "ecs:DescribeTasks"}


def exec_reads():
    """The Describe*/List* calls f2o-exec's source makes on its own (not
    through a plan action): each must be granted, so a new read in exec/
    without a row in translate/iampolicy.c fails this check."""
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, "..", "..", "exec")
    pat = re.compile(r'RUN_API_(ECS|EC2|AAS|CW)[A-Z_]*,\s*'
                     r'"((?:Describe|List)[A-Za-z]+)"')
    prefix = {"ECS": "ecs", "EC2": "ec2", "AAS": "application-autoscaling",
              "CW": "cloudwatch"}
    found = set()
    for f in sorted(os.listdir(src)):
        if f.endswith(".c"):
            with open(os.path.join(src, f)) as fh:
                for m in pat.finditer(fh.read()):
                    found.add("%s:%s" % (prefix[m.group(1)], m.group(2)))
    return found - set(PLAN.values()) - AAS_READS - CW_READS


_missing = exec_reads() - EXEC_READS
if _missing:
    raise SystemExit("check_iam_policy.py: f2o-exec calls %s, which "
                     "EXEC_READS (and translate/iampolicy.c) do not list"
                     % ", ".join(sorted(_missing)))
SERVICE_ACTIONS = {"ecs:CreateService", "ecs:UpdateService",
                   "ecs:DeleteService", "ecs:DescribeServices"}


def covers(resources, arn):
    for r in resources:
        if r == "*" or r == arn:
            return True
        if r.endswith("*") and arn.startswith(r[:-1]):
            return True
    return False


def check(bundle):
    probs = []
    with open(os.path.join(bundle, "plan.json")) as f:
        plan = json.load(f)
    with open(os.path.join(bundle, "manifest.json")) as f:
        man = json.load(f)
    path = os.path.join(bundle, "iam-policy.json")
    if "iam-policy.json" not in man.get("files", {}):
        probs.append("iam-policy.json not listed in manifest files")
    with open(path) as f:
        doc = json.load(f)
    if doc.get("Version") != "2012-10-17":
        probs.append("Version is not 2012-10-17")
    sts = doc.get("Statement")
    if not isinstance(sts, list) or not sts:
        return probs + ["Statement is not a non-empty array"]
    granted = {}
    sids = set()
    for i, st in enumerate(sts):
        keys = set(st)
        if not keys <= {"Sid", "Effect", "Action", "Resource", "Condition"}:
            probs.append("statement %d: unknown members %s" % (i, keys))
        sid = st.get("Sid")
        if not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9]+",
                                                         sid):
            probs.append("statement %d: Sid %r not alphanumeric" % (i, sid))
        if sid in sids:
            probs.append("statement %d: duplicate Sid %s" % (i, sid))
        sids.add(sid)
        if st.get("Effect") != "Allow":
            probs.append("statement %d: Effect is not Allow" % i)
        acts = st.get("Action")
        acts = [acts] if isinstance(acts, str) else acts
        res = st.get("Resource")
        res = [res] if isinstance(res, str) else res
        if not acts or not res or not all(isinstance(a, str) and
                                          re.fullmatch(r"[a-z0-9-]+:[A-Za-z]+", a)
                                          for a in acts):
            probs.append("statement %d: bad Action or Resource" % i)
            continue
        for r in res:
            if r != "*" and not r.startswith("arn:"):
                probs.append("statement %d: resource %r not an ARN" % (i, r))
        for a in acts:
            granted.setdefault(a, []).extend(res)
    need = set(EXEC_READS)
    passed_to = set()
    region = man["parameters"]["region"]
    account = man["account"]
    for step in plan["steps"]:
        act = step["action"]
        if act.startswith("spot:"):
            continue
        if act not in PLAN:
            probs.append("%s: action %s has no IAM mapping" % (step["id"], act))
            continue
        iam = PLAN[act]
        need.add(iam)
        if act.startswith("application-autoscaling:"):
            need |= AAS_READS
        req = {}
        if step.get("request"):
            with open(os.path.join(bundle, step["request"])) as f:
                req = json.load(f)
        if iam in SERVICE_ACTIONS:
            names = [req.get("serviceName"), req.get("service")] + \
                list(req.get("services", []))
            for n in names:
                if not n or n.startswith("${"):
                    continue
                arn = "arn:aws:ecs:%s:%s:service/%s/%s" % (
                    region, account, req["cluster"], n)
                if not covers(granted.get(iam, []), arn):
                    probs.append("%s: %s on %s not granted" % (
                        step["id"], iam, arn))
        rid = req.get("ResourceId") or ""
        if act == "application-autoscaling:RegisterScalableTarget":
            # Application Auto Scaling's permission validation: the caller
            # may describe and update the service; the role on first use.
            cl, _, name = rid[len("service/"):].partition("/")
            arn = "arn:aws:ecs:%s:%s:service/%s/%s" % (region, account, cl,
                                                      name)
            for a in ("ecs:DescribeServices", "ecs:UpdateService"):
                need.add(a)
                if not covers(granted.get(a, []), arn):
                    probs.append("%s: %s on %s not granted" % (step["id"], a,
                                                               arn))
            need.add("iam:CreateServiceLinkedRole")
        if (act == "application-autoscaling:PutScalingPolicy" and
                req.get("PolicyType") == "TargetTrackingScaling") or \
                act == "application-autoscaling:DeregisterScalableTarget":
            arn = "arn:aws:cloudwatch:%s:%s:alarm:TargetTracking-%s-AlarmHigh" \
                % (region, account, rid)
            for a in ("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms",
                      "cloudwatch:DeleteAlarms"):
                need.add(a)
                if not covers(granted.get(a, []), arn):
                    probs.append("%s: %s on %s not granted" % (step["id"], a,
                                                               arn))
        if act.startswith("cloudwatch:"):
            for n in [req.get("AlarmName")] + list(req.get("AlarmNames", [])):
                arn = "arn:aws:cloudwatch:%s:%s:alarm:%s" % (region, account, n)
                if n and not covers(granted.get(iam, []), arn):
                    probs.append("%s: %s on %s not granted" % (
                        step["id"], iam, arn))
        if act in ("ecs:CreateService", "ecs:RegisterTaskDefinition") and \
                req.get("tags"):
            need.add("ecs:TagResource")
        if act == "ec2:CreateSecurityGroup" and req.get("TagSpecifications"):
            need.add("ec2:CreateTags")
        roles = []
        if act == "ecs:RegisterTaskDefinition":
            roles = [(req.get(k), "ecs-tasks.amazonaws.com")
                     for k in ("taskRoleArn", "executionRoleArn")]
        if act == "ecs:CreateService":
            # blue/green, linear, canary: roles ECS itself assumes
            roles = [((lb.get("advancedConfiguration") or {}).get("roleArn"),
                      "ecs.amazonaws.com")
                     for lb in req.get("loadBalancers") or []]
            roles += [(h.get("roleArn"), "ecs.amazonaws.com") for h in
                      (req.get("deploymentConfiguration") or {})
                      .get("lifecycleHooks") or []]
        for r, svc in roles:
            if r:
                need.add("iam:PassRole")
                passed_to.add(svc)
                if not covers(granted.get("iam:PassRole", []), r):
                    probs.append("%s: iam:PassRole on %s not granted" % (
                        step["id"], r))
    for n in sorted((man.get("fingerprints") or {}).get("alarms") or {}):
        need |= CW_READS
        arn = "arn:aws:cloudwatch:%s:%s:alarm:%s" % (region, account, n)
        if not covers(granted.get("cloudwatch:DescribeAlarms", []), arn):
            probs.append("preflight: cloudwatch:DescribeAlarms on %s not "
                         "granted" % arn)
    for a in sorted(need - set(granted)):
        probs.append("missing action %s" % a)
    for a in sorted(set(granted) - need):
        probs.append("action %s granted but not needed" % a)
    for st in sts:
        if st.get("Action") == "iam:CreateServiceLinkedRole" and \
                st.get("Condition") != {"StringEquals": {"iam:AWSServiceName": [
                    "ecs.application-autoscaling.amazonaws.com"]}}:
            probs.append("iam:CreateServiceLinkedRole without its "
                         "iam:AWSServiceName condition")
        cond = (st.get("Condition") or {}).get("StringEquals") or {}
        if st.get("Action") == "iam:PassRole" and (
                list(st["Condition"]) != ["StringEquals"] or
                list(cond) != ["iam:PassedToService"] or
                sorted(cond["iam:PassedToService"]) != sorted(passed_to)):
            probs.append("iam:PassRole without iam:PassedToService condition "
                         "naming exactly %s" % sorted(passed_to))
    return probs


def main():
    bad = 0
    for b in sys.argv[1:]:
        probs = check(b)
        for p in probs:
            print("%s: %s" % (b, p))
        bad += len(probs)
        print("check_iam_policy: %s: %d problems" % (b, len(probs)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
