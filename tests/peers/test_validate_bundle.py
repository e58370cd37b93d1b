#!/usr/bin/python3
"""Self-test of tests/tools/validate_bundle.py on small hand-made bundles
(directory and .tar.gz). Ends with "N passed, N failed".

    /usr/bin/python3 tests/peers/test_validate_bundle.py
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.join(os.path.dirname(HERE), "tools")
sys.path.insert(0, TOOLS)
import validate_bundle  # noqa: E402
from bundlegen import step, write  # noqa: E402

passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


GOOD = [
    (step("sg/web", "ec2:CreateSecurityGroup", outputs={"GroupId": "groupId"}),
     {"GroupName": "web-ec2", "Description": "web tasks", "VpcId": "vpc-1",
      "TagSpecifications": [{"ResourceType": "security-group",
                             "Tags": [{"Key": "Name", "Value": "web"}]}]}),
    (step("sg/web-in", "ec2:AuthorizeSecurityGroupIngress", ["sg/web"]),
     {"GroupId": "${sg/web.GroupId}", "IpPermissions": [{
         "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
         "UserIdGroupPairs": [{"GroupId": "${sg/web.GroupId}"}]}]}),
    (step("td/web", "ecs:RegisterTaskDefinition", outputs={
        "taskDefinitionArn": "taskDefinition.taskDefinitionArn"}),
     {"family": "web", "containerDefinitions": [{
         "name": "web", "image": "nginx", "memory": 256, "environment": [
             {"name": "X", "value": "${Partition}:${AccountID}"}]}]}),
    (step("ocean/cluster", "spot:CreateOceanCluster", ["sg/web"],
          outputs={"id": "id"}),
     {"cluster": {"name": "shop", "clusterName": "shop",
                  "region": "us-east-1", "compute": {
                      "subnetIds": ["subnet-1"], "launchSpecification": {
                          "imageId": "ami-1",
                          "securityGroupIds": ["${sg/web.GroupId}"]}}}}),
    (step("vng/arm64", "spot:CreateOceanLaunchSpec", ["ocean/cluster"],
          outputs={"id": "id"}),
     {"launchSpec": {"oceanId": "${ocean/cluster.id}", "name": "arm64"}}),
    (step("svc/web", "ecs:CreateService", ["td/web", "vng/arm64"],
          outputs={"serviceArn": "service.serviceArn"}),
     {"cluster": "shop", "serviceName": "sfm-web",
      "taskDefinition": "${td/web.taskDefinitionArn}", "desiredCount": 1,
      "launchType": "EC2", "networkConfiguration": {"awsvpcConfiguration": {
          "subnets": ["subnet-1"], "securityGroups": ["${sg/web.GroupId}"]}}}),
    (step("wait/web", "wait:ServicesStable", ["svc/web"]),
     {"cluster": "shop", "services": ["${svc/web.serviceArn}"]}),
]


def has(problems, *words):
    return any(all(w in p for w in words) for p in problems)


# Application Auto Scaling and CloudWatch steps (the autoscale stage).
AAS = [
    (step("as/sfm-web:target", "application-autoscaling:RegisterScalableTarget",
          outputs={"ScalableTargetARN": "ScalableTargetARN"}),
     {"ServiceNamespace": "ecs", "ResourceId": "service/shop/sfm-web",
      "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": 1,
      "MaxCapacity": 4, "SuspendedState": {"ScheduledScalingSuspended": False}}),
    (step("as/sfm-web:policy-1", "application-autoscaling:PutScalingPolicy",
          ["as/sfm-web:target"], outputs={"PolicyARN": "PolicyARN"}),
     {"PolicyName": "out", "ServiceNamespace": "ecs",
      "ResourceId": "service/shop/sfm-web",
      "ScalableDimension": "ecs:service:DesiredCount",
      "PolicyType": "StepScaling", "StepScalingPolicyConfiguration": {
          "AdjustmentType": "ChangeInCapacity", "StepAdjustments": [
              {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 2}]}}),
    (step("as/sfm-web:action-1", "application-autoscaling:PutScheduledAction",
          ["as/sfm-web:target"]),
     {"ServiceNamespace": "ecs", "ScheduledActionName": "am",
      "ResourceId": "service/shop/sfm-web", "Schedule": "cron(0 7 * * ? *)",
      "ScalableDimension": "ecs:service:DesiredCount", "StartTime": 1793574000,
      "ScalableTargetAction": {"MinCapacity": 2}}),
    (step("cw/sfm-web:alarm-1", "cloudwatch:PutMetricAlarm",
          ["as/sfm-web:policy-1"]),
     {"AlarmName": "f2o-sfm-web-high", "MetricName": "CPUUtilization",
      "Namespace": "AWS/ECS", "Statistic": "Average", "Period": 60,
      "EvaluationPeriods": 2, "Threshold": 80,
      "ComparisonOperator": "GreaterThanThreshold",
      "AlarmActions": ["${as/sfm-web:policy-1.PolicyARN}",
                       "arn:aws:sns:us-east-1:1:t"]}),
    (step("cut/web:copy-alarms-delete", "cloudwatch:DeleteAlarms"),
     {"AlarmNames": ["f2o-sfm-web-high"]}),
]


def aas_cases(tmp):
    pr = validate_bundle.validate(write(os.path.join(tmp, "aas"), AAS))
    check("autoscaling bundle: no problems", pr == [], pr)
    bad = [list(x) for x in json.loads(json.dumps(AAS))]
    bad[0][1]["MinCapacity"] = "1"
    bad[1][1]["PolicyName"] = ""
    bad[3][1]["AlarmActions"][0] = "${as/sfm-web:policy-1.Nope}"
    bad[4][1] = {"AlarmName": "x"}
    pr = validate_bundle.validate(write(os.path.join(tmp, "aasbad"), bad))
    for p in pr:
        print("    " + p)
    check("autoscaling: type error",
          has(pr, "requests/as/sfm-web:target.json: $.MinCapacity: invalid type"))
    check("autoscaling: length below the model's minimum",
          has(pr, "requests/as/sfm-web:policy-1.json: $.PolicyName", "length"))
    check("autoscaling: reference inside an array",
          has(pr, "$.AlarmActions[0]: step as/sfm-web:policy-1 has no output Nope"))
    check("cloudwatch: unknown and missing member",
          has(pr, "$.AlarmName: unknown field") and
          has(pr, "$.AlarmNames: missing"))


def main():
    with tempfile.TemporaryDirectory(prefix="f2o-vb-") as tmp:
        good = write(os.path.join(tmp, "good"), GOOD)
        pr = validate_bundle.validate(good)
        check("good bundle: no problems", pr == [], pr)
        pr = validate_bundle.validate(write(os.path.join(tmp, "goodtar"),
                                            GOOD, tar=True))
        check("good .tar.gz bundle: no problems", pr == [], pr)

        bad = [list(x) for x in json.loads(json.dumps(GOOD))]
        bad[2][1]["containerDefinitions"][0]["memory"] = "256"   # type
        bad[2][1]["bogus"] = 1                                     # unknown
        bad[0][1].pop("Description")                               # required
        bad[4][1]["launchSpec"]["extra"] = True                    # schema
        bad[5][1]["taskDefinition"] = "${td/nope.taskDefinitionArn}"
        bad[6][1]["services"] = ["${svc/web.nope}"]
        bad[6][0]["after"] = ["svc/web", "x/later"]
        bad.append((step("x/later", "ecs:Frobnicate"), {}))
        bad.append((step("x/gone", "ecs:DescribeServices"), None))
        pr = validate_bundle.validate(write(os.path.join(tmp, "bad"), bad))
        for p in pr:
            print("    " + p)
        check("type error with path",
              has(pr, "requests/td/web.json: $.containerDefinitions[0]"
                  ".memory: invalid type"))
        check("unknown member", has(pr, "$.bogus: unknown field"))
        check("missing required member",
              has(pr, "requests/sg/web.json: $.Description: missing"))
        check("Spot schema error",
              has(pr, "requests/vng/arm64.json: $.launchSpec:", "extra"))
        check("reference to unknown step",
              has(pr, "$.taskDefinition: reference to td/nope"))
        check("reference to unknown output",
              has(pr, "$.services[0]: step svc/web has no output nope"))
        check("after names a later step",
              has(pr, "plan.json: $.steps[6].after[1]", "x/later"))
        check("unknown action", has(pr, "unknown action 'ecs:Frobnicate'"))
        check("missing request file", has(pr, "x/gone.json missing"))
        check("CloudFormation-style ${...} is a plain value",
              not has(pr, "Partition"))
        check("exactly the expected problems", len(pr) == 9, len(pr))

        # spot-api.md 3.2: a VNG's spotPercentage only without the
        # cluster's; either alone is valid
        both = [list(x) for x in json.loads(json.dumps(GOOD))]
        both[3][1]["cluster"]["strategy"] = {"spotPercentage": 100,
                                             "fallbackToOd": True}
        both[4][1]["launchSpec"]["strategy"] = {"spotPercentage": 70}
        pr = validate_bundle.validate(write(os.path.join(tmp, "both"), both))
        check("VNG and cluster spotPercentage both set: refused",
              len(pr) == 1 and has(pr, "requests/vng/arm64.json: "
                                   "$.launchSpec.strategy.spotPercentage",
                                   "cluster strategy has no"), pr)
        vng = [list(x) for x in json.loads(json.dumps(both))]
        del vng[3][1]["cluster"]["strategy"]["spotPercentage"]
        pr = validate_bundle.validate(write(os.path.join(tmp, "vng"), vng))
        check("VNG spotPercentage, cluster without: valid", pr == [], pr)
        clu = [list(x) for x in json.loads(json.dumps(both))]
        del clu[4][1]["launchSpec"]["strategy"]
        pr = validate_bundle.validate(write(os.path.join(tmp, "clu"), clu))
        check("cluster spotPercentage, VNG without: valid", pr == [], pr)
        rng = [list(x) for x in json.loads(json.dumps(vng))]
        rng[4][1]["launchSpec"]["strategy"]["spotPercentage"] = 101
        pr = validate_bundle.validate(write(os.path.join(tmp, "rng"), rng))
        check("VNG spotPercentage above 100: schema error",
              has(pr, "requests/vng/arm64.json: $.launchSpec.strategy"
                  ".spotPercentage"), pr)

        r = subprocess.run([sys.executable,
                            os.path.join(TOOLS, "validate_bundle.py"),
                            os.path.join(tmp, "bad")],
                           capture_output=True, text=True)
        check("CLI exits 1 with a summary line", r.returncode == 1 and
              r.stdout.strip().splitlines()[-1].endswith("9 problems"),
              r.stdout)
        r = subprocess.run([sys.executable,
                            os.path.join(TOOLS, "validate_bundle.py"), good],
                           capture_output=True, text=True)
        check("CLI exits 0 on a good bundle", r.returncode == 0, r.stdout)
        # Several bundles in one run (tests/golden.sh): each one's problems
        # then its own summary line; exit 1 when any has a problem.
        bad = os.path.join(tmp, "bad")
        r = subprocess.run([sys.executable,
                            os.path.join(TOOLS, "validate_bundle.py"),
                            good, bad, good], capture_output=True, text=True)
        sums = [ln for ln in r.stdout.splitlines()
                if ln.startswith("validate_bundle: ")]
        check("CLI with three bundles: exit 1, a summary line each",
              r.returncode == 1 and sums == [
                  "validate_bundle: %s: 0 problems" % good,
                  "validate_bundle: %s: 9 problems" % bad,
                  "validate_bundle: %s: 0 problems" % good] and
              len(r.stdout.splitlines()) == 12, r.stdout)
        aas_cases(tmp)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
