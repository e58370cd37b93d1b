#!/usr/bin/python3
"""Self-test of the Application Auto Scaling and CloudWatch fakes
(fake_aas.py, fake_cw.py, rpc.py, cbor.py) through peer.py: botocore's own
clients (so the shapes are what botocore parses from real AWS) in all the
protocols the fakes answer: AAS JSON 1.1 and CloudWatch query (Debian's
botocore 1.29), CloudWatch JSON 1.0 (the AWS CLI v1.45 / botocore 1.43 of
the image's pyenv Python, which prefers JSON) and Smithy RPC v2 CBOR (the
same botocore with the CloudWatch model restricted to CBOR). The pyenv
parts are skipped, and say so, where that Python is missing.
Ends with "N passed, N failed"; exit 1 on any failure.

    /usr/bin/python3 tests/peers/test_fake_aas_cw.py
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.session  # noqa: E402

import cbor  # noqa: E402
import test_peer as tp  # noqa: E402

check = tp.check
PYENV = "/root/.pyenv/versions/3.11.7/bin/python3"
NS, DIM = "ecs", "ecs:service:DesiredCount"
WEB = "service/shop/web"
POLICY_RE = re.compile(r"^arn:aws:autoscaling:us-east-1:123456789012:"
                       r"scalingPolicy:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                       r"[0-9a-f]{4}-[0-9a-f]{12}:resource/ecs/service/shop/"
                       r"web:policyName/(.+)$")


def test_cbor():
    # RFC 8949 Appendix A vectors
    vec = [(0, "00"), (23, "17"), (24, "1818"), (1000, "1903e8"),
           (1000000, "1a000f4240"), (-1, "20"), (-1000, "3903e7"),
           (1.1, "fb3ff199999999999a"), (False, "f4"), (True, "f5"),
           (None, "f6"), ("IETF", "6449455446"), (b"\x01\x02", "420102"),
           ([1, [2, 3]], "8201820203"), ({"a": 1}, "a16161" "01")]
    ok = all(cbor.encode(v).hex() == h and cbor.decode(bytes.fromhex(h))
             == v for v, h in vec)
    check("cbor: RFC 8949 vectors encode and decode", ok)
    check("cbor: half float, indefinite array/map/string",
          cbor.decode(bytes.fromhex("f93e00")) == 1.5 and
          cbor.decode(bytes.fromhex("9f018202039fff820405ff")) ==
          [1, [2, 3], [], [4, 5]] and
          cbor.decode(bytes.fromhex("bf61610161629f0203ffff")) ==
          {"a": 1, "b": [2, 3]} and
          cbor.decode(bytes.fromhex("7f657374726561646d696e67ff")) ==
          "streaming")
    t = cbor.decode(cbor.encode(cbor.Timestamp(1363896240.5)))
    check("cbor: tag 1 timestamps", isinstance(t, cbor.Timestamp) and
          t == 1363896240.5 and
          cbor.encode(cbor.Timestamp(1363896240)).hex() == "c11a514b67b0")
    bad = 0
    for h in ("1a0000", "ff", "9f01", "c16161", "0000"):
        try:
            cbor.decode(bytes.fromhex(h))
        except cbor.CborError:
            bad += 1
    check("cbor: truncated / stray break / bad tag / trailing refused",
          bad == 5, bad)


def raw_json(url, op, doc, secret=tp.SK):
    """An AAS request signed by hand (possibly wrongly): (status, body)."""
    req = botocore.awsrequest.AWSRequest(
        "POST", url + "/", data=json.dumps(doc).encode(), headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AnyScaleFrontendService." + op})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(tp.AK, secret),
                            "application-autoscaling",
                            "us-east-1").add_auth(req)
    pr = req.prepare()
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        c.request("POST", "/", body=pr.body, headers=dict(pr.headers))
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def aas_client(url):
    return tp.client(tp.session(), "application-autoscaling", url)


def test_aas(p):
    url = p["aws"]
    aas = aas_client(url)
    tgt = dict(ServiceNamespace=NS, ScalableDimension=DIM)
    code = tp.code_of(aas.register_scalable_target, ResourceId=
                      "service/shop/nope", MinCapacity=1, MaxCapacity=2,
                      **tgt)
    check("aas: register of a service ECS does not hold -> "
          "ValidationException", code[:2] == ("ValidationException", 400) and
          "service/shop/nope" in code[2], code)
    code = tp.code_of(aas.register_scalable_target, ResourceId=WEB, **tgt)
    check("aas: a new target needs Min/MaxCapacity", code[0] ==
          "ValidationException", code)
    r = aas.register_scalable_target(ResourceId=WEB, MinCapacity=2,
                                     MaxCapacity=6, **tgt)
    arn = r["ScalableTargetARN"]
    r2 = aas.register_scalable_target(ResourceId=WEB, MaxCapacity=8,
                                      SuspendedState={
                                          "ScheduledScalingSuspended": True},
                                      **tgt)
    t = aas.describe_scalable_targets(ServiceNamespace=NS,
                                      ResourceIds=[WEB])["ScalableTargets"]
    check("aas: register is an upsert (same ARN, fields merged)",
          r2["ScalableTargetARN"] == arn and len(t) == 1 and
          t[0]["MinCapacity"] == 2 and t[0]["MaxCapacity"] == 8 and
          t[0]["SuspendedState"] == {"DynamicScalingInSuspended": False,
                                     "DynamicScalingOutSuspended": False,
                                     "ScheduledScalingSuspended": True}, t)
    code = tp.code_of(aas.register_scalable_target, ResourceId=WEB,
                      MinCapacity=9, **tgt)
    check("aas: min > max refused", code[0] == "ValidationException", code)
    tt = aas.put_scaling_policy(
        PolicyName="cpu50", ResourceId=WEB, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 50.0, "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}},
        **tgt)
    step = aas.put_scaling_policy(
        PolicyName="step out", ResourceId=WEB, PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity", "Cooldown": 60,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0,
                                 "ScalingAdjustment": 1}]}, **tgt)
    m1 = POLICY_RE.match(tt["PolicyARN"])
    m2 = POLICY_RE.match(step["PolicyARN"])
    check("aas: policy ARNs as AWS (UUID, resource, policy name)",
          m1 is not None and m1.group(1) == "cpu50" and m2 is not None and
          m2.group(1) == "step out", (tt["PolicyARN"], step["PolicyARN"]))
    st = tp.get_state(url)
    managed = [a for a in st["cw"]["alarms"] if a["managed"]]
    check("aas: target tracking makes two managed alarms",
          len(tt["Alarms"]) == 2 and len(managed) == 2 and
          all(a["AlarmActions"][0].startswith(tt["PolicyARN"] +
                                              ":createdBy/")
              for a in managed),
          managed)
    again = aas.put_scaling_policy(
        PolicyName="step out", ResourceId=WEB, PolicyType="StepScaling",
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity", "Cooldown": 120,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0.0,
                                 "ScalingAdjustment": 2}]}, **tgt)
    check("aas: PutScalingPolicy is an upsert (same ARN)",
          again["PolicyARN"] == step["PolicyARN"])
    code = tp.code_of(aas.put_scaling_policy, PolicyName="x",
                      ResourceId="service/shop/api", PolicyType="StepScaling",
                      StepScalingPolicyConfiguration={
                          "AdjustmentType": "ChangeInCapacity"}, **tgt)
    check("aas: policy without a target -> ObjectNotFoundException",
          code[0] == "ObjectNotFoundException", code)
    for i in range(3):
        aas.put_scheduled_action(ScheduledActionName="night-%d" % i,
                                 ResourceId=WEB, Schedule="cron(0 %d * * ? *)"
                                 % i, ScalableTargetAction={
                                     "MinCapacity": 1, "MaxCapacity": 2},
                                 **tgt)
    names, tok, pages = [], None, 0
    while pages < 10:
        kw = {"NextToken": tok} if tok else {}
        r = aas.describe_scheduled_actions(ServiceNamespace=NS, MaxResults=2,
                                           **kw)
        names += [a["ScheduledActionName"] for a in r["ScheduledActions"]]
        pages += 1
        tok = r.get("NextToken")
        if not tok:
            break
    check("aas: DescribeScheduledActions paginates (MaxResults/NextToken)",
          pages == 2 and names == ["night-0", "night-1", "night-2"],
          (pages, names))
    pol = aas.describe_scaling_policies(ServiceNamespace=NS, ResourceId=WEB,
                                        MaxResults=1)
    check("aas: DescribeScalingPolicies paginates",
          len(pol["ScalingPolicies"]) == 1 and "NextToken" in pol, pol)
    code = tp.code_of(aas.describe_scalable_targets, ServiceNamespace=NS,
                      NextToken="bogus")
    check("aas: a bad NextToken -> InvalidNextTokenException",
          code[0] == "InvalidNextTokenException", code)
    code = tp.code_of(aas.delete_scheduled_action, ScheduledActionName="no",
                      ResourceId=WEB, **tgt)
    check("aas: delete of a missing action -> ObjectNotFoundException",
          code[0] == "ObjectNotFoundException", code)
    code = tp.code_of(aas.delete_scaling_policy, PolicyName="no",
                      ResourceId=WEB, **tgt)
    check("aas: delete of a missing policy -> ObjectNotFoundException",
          code[0] == "ObjectNotFoundException", code)
    # raw: validation against the model, signature
    st, body = raw_json(url, "DescribeScalableTargets",
                        {"ServiceNamespace": "ecs", "Bogus": 1})
    check("aas: unknown member -> 400 ValidationException", st == 400 and
          json.loads(body)["__type"] == "ValidationException", body)
    st, body = raw_json(url, "DescribeScalableTargets",
                        {"ServiceNamespace": "ecs"}, secret="wrong")
    check("aas: bad signature -> 400 InvalidSignatureException",
          st == 400 and "InvalidSignatureException" in body, body)
    # another actor moves min/max
    out = tp.post_json(url + "/_f2o/mutate", {
        "action": "scalable_target", "ResourceId": WEB, "MinCapacity": 3,
        "MaxCapacity": 12})
    t = aas.describe_scalable_targets(ServiceNamespace=NS)["ScalableTargets"]
    check("aas: /_f2o/mutate scalable_target moves min/max",
          out["ScalableTarget"]["MaxCapacity"] == 12 and
          t[0]["MinCapacity"] == 3 and t[0]["MaxCapacity"] == 12, t)
    # another actor edits a policy and a scheduled action, adds one
    arn0 = aas.describe_scaling_policies(ServiceNamespace=NS, ResourceId=WEB,
                                         PolicyNames=["cpu50"])[
        "ScalingPolicies"][0]["PolicyARN"]
    tp.post_json(url + "/_f2o/mutate", {
        "action": "scaling_policy", "ResourceId": WEB, "PolicyName": "cpu50",
        "set": {"TargetTrackingScalingPolicyConfiguration.TargetValue": 75}})
    p = aas.describe_scaling_policies(ServiceNamespace=NS, ResourceId=WEB,
                                      PolicyNames=["cpu50"])[
        "ScalingPolicies"][0]
    check("aas: /_f2o/mutate scaling_policy edits a policy, ARN kept",
          p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] ==
          75 and p["PolicyARN"] == arn0, p)
    tp.post_json(url + "/_f2o/mutate", {
        "action": "scheduled_action", "ResourceId": WEB,
        "ScheduledActionName": "night-0",
        "set": {"Schedule": "cron(0 3 * * ? *)"}})
    tp.post_json(url + "/_f2o/mutate", {
        "action": "scheduled_action", "ResourceId": WEB,
        "ScheduledActionName": "extra", "new": True,
        "set": {"Schedule": "rate(1 day)"}})
    acts = {a["ScheduledActionName"]: a for a in aas.describe_scheduled_actions(
        ServiceNamespace=NS, ResourceId=WEB,
        ScheduledActionNames=["night-0", "extra"])["ScheduledActions"]}
    check("aas: /_f2o/mutate scheduled_action edits and adds actions",
          acts.get("night-0", {}).get("Schedule") == "cron(0 3 * * ? *)" and
          acts.get("extra", {}).get("Schedule") == "rate(1 day)", acts)
    aas.deregister_scalable_target(ResourceId=WEB, **tgt)
    st = tp.get_state(url)
    check("aas: deregister removes the target, its policies, actions and "
          "managed alarms", st["aas"] == {"scalableTargets": [],
                                          "scalingPolicies": [],
                                          "scheduledActions": []} and
          not any(a["managed"] for a in st["cw"]["alarms"]), st["aas"])
    code = tp.code_of(aas.deregister_scalable_target, ResourceId=WEB, **tgt)
    check("aas: deregister of a missing target -> ObjectNotFoundException",
          code[0] == "ObjectNotFoundException", code)
    check("aas: created counts the target and policies once each",
          st["created"].get("aas:target:ecs/%s/%s" % (WEB, DIM)) == 1 and
          st["created"].get("aas:policy:ecs/%s/%s/step out" % (WEB, DIM))
          == 1, {k: v for k, v in st["created"].items()
                 if k.startswith("aas")})
    # faults: throttling alternates ThrottlingException / RateExceeded
    tp.post_json(url + "/_f2o/faults", {"rate": 1, "kinds": ["throttle"],
                                        "targets": ["aas"], "max": 2})
    c1 = tp.code_of(aas.describe_scalable_targets, ServiceNamespace=NS)
    c2 = tp.code_of(aas.describe_scalable_targets, ServiceNamespace=NS)
    c3 = tp.code_of(aas.describe_scalable_targets, ServiceNamespace=NS)
    check("aas: throttle faults (ThrottlingException, RateExceeded)",
          c1[:2] == ("ThrottlingException", 400) and
          c2[:2] == ("RateExceeded", 400) and c3[0] is None, (c1, c2, c3))
    tp.post_json(url + "/_f2o/faults", {"rate": 1, "kinds": ["500"],
                                        "targets": ["aas"], "max": 1})
    c1 = tp.code_of(aas.describe_scalable_targets, ServiceNamespace=NS)
    check("aas: 500 fault", c1[:2] == ("InternalServiceException", 500), c1)
    tp.post_json(url + "/_f2o/faults", {"rate": 1, "kinds": ["drop"],
                                        "targets": ["aas"], "max": 1})
    try:
        aas.describe_scalable_targets(ServiceNamespace=NS)
        dropped = False
    except Exception:   # noqa: BLE001 (botocore's connection errors vary)
        dropped = True
    check("aas: drop fault closes the connection", dropped)
    tp.post_json(url + "/_f2o/faults", {})


def cw_query_client(url):
    # Debian's botocore 1.29 ships a query-protocol CloudWatch model
    s = botocore.session.get_session()
    s.set_credentials(tp.AK, tp.SK)
    return tp.client(s, "cloudwatch", url)


ALARM = dict(MetricName="CPUUtilization", Namespace="AWS/ECS",
             Statistic="Average", Period=60, EvaluationPeriods=2,
             Threshold=70.0, ComparisonOperator="GreaterThanThreshold",
             Dimensions=[{"Name": "ClusterName", "Value": "shop"},
                         {"Name": "ServiceName", "Value": "web"}])


def test_cw_query(p):
    url = p["aws"]
    cw = cw_query_client(url)
    cw.put_metric_alarm(AlarmName="q1", AlarmActions=[
        "arn:aws:sns:us-east-1:123456789012:ops"], **ALARM)
    cw.put_metric_alarm(AlarmName="q2", **ALARM)
    r = cw.describe_alarms(AlarmNames=["q1"])
    a = r["MetricAlarms"]
    check("cw query: PutMetricAlarm + DescribeAlarms (XML, lists, "
          "timestamps)", len(a) == 1 and a[0]["AlarmActions"] ==
          ["arn:aws:sns:us-east-1:123456789012:ops"] and
          a[0]["Dimensions"] == ALARM["Dimensions"] and
          a[0]["Threshold"] == 70.0 and
          hasattr(a[0]["StateUpdatedTimestamp"], "year"), a)
    r = cw.describe_alarms(AlarmNamePrefix="q", MaxRecords=1)
    r2 = cw.describe_alarms(AlarmNamePrefix="q", MaxRecords=1,
                            NextToken=r["NextToken"])
    check("cw query: MaxRecords/NextToken", [x["AlarmName"] for x in
                                             r["MetricAlarms"] +
                                             r2["MetricAlarms"]] ==
          ["q1", "q2"] and "NextToken" not in r2, (r, r2))
    code = tp.code_of(cw.describe_alarms, AlarmNames=["q1"],
                      AlarmNamePrefix="q")
    check("cw query: error XML parsed", code[:2] ==
          ("InvalidParameterCombination", 400), code)
    code = tp.code_of(cw.put_metric_alarm, AlarmName="bad",
                      AlarmActions=["${as/x:policy-1.PolicyARN}"], **ALARM)
    check("cw query: an action that is no ARN is refused", code[0] ==
          "ValidationError", code)
    tp.post_json(url + "/_f2o/mutate", {"action": "alarm", "AlarmName": "q2",
                                        "set": {"Threshold": 7}})
    r = cw.describe_alarms(AlarmNames=["q2"])["MetricAlarms"]
    check("cw: /_f2o/mutate alarm edits an alarm", r and
          r[0]["Threshold"] == 7, r)
    cw.delete_alarms(AlarmNames=["q1", "q2", "never-existed"])
    check("cw query: DeleteAlarms (a missing name is no error)",
          cw.describe_alarms(AlarmNamePrefix="q")["MetricAlarms"] == [])
    tp.post_json(url + "/_f2o/faults", {"rate": 1, "kinds": ["throttle"],
                                        "targets": ["cw"], "max": 1})
    code = tp.code_of(cw.describe_alarms)
    check("cw query: throttle fault -> Throttling", code[:2] ==
          ("Throttling", 400), code)
    tp.post_json(url + "/_f2o/faults", {})


PYENV_SCRIPT = r"""
import json, os, sys, botocore.session, botocore.config
url, proto, models = sys.argv[1], sys.argv[2], sys.argv[3]
s = botocore.session.get_session()
if models:
    s.get_component("data_loader").search_paths.insert(0, models)
s.set_credentials(%r, %r)
cw = s.create_client("cloudwatch", region_name="us-east-1", endpoint_url=url,
    config=botocore.config.Config(retries={"total_max_attempts": 1}))
seen = []
cw.meta.events.register("before-send.cloudwatch.*",
    lambda request, **kw: seen.append(dict(request.headers)))
alarm = json.loads(sys.argv[4])
out = {}
cw.put_metric_alarm(AlarmName="c1", AlarmActions=[
    "arn:aws:sns:us-east-1:123456789012:ops"], **alarm)
r = cw.describe_alarms(AlarmNames=["c1"])
out["alarms"] = [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                  for k, v in a.items()} for a in r["MetricAlarms"]]
try:
    cw.describe_alarms(AlarmNames=["c1"], AlarmNamePrefix="c")
    out["error"] = None
except cw.exceptions.ClientError as e:
    out["error"] = e.response["Error"]["Code"]
cw.delete_alarms(AlarmNames=["c1", "nope"])
out["after"] = cw.describe_alarms()["MetricAlarms"]
h = seen[0]
out["headers"] = {k: (v.decode() if isinstance(v, bytes) else v)
                  for k, v in h.items() if k.lower() in
                  ("content-type", "smithy-protocol", "x-amz-target")}
print(json.dumps(out))
""" % (tp.AK, tp.SK)


def test_cw_pyenv(p, tmp):
    if not os.access(PYENV, os.X_OK):
        print("skip cw json 1.0 / cbor: %s is missing (the image's pyenv "
              "Python with botocore 1.43)" % PYENV)
        return
    # CBOR: the project's model, restricted to the CBOR protocol
    models = os.path.join(tmp, "cbor-models")
    d = os.path.join(models, "cloudwatch", "2010-08-01")
    os.makedirs(d)
    with open(os.path.join(tp.TESTS, "models", "cloudwatch", "2010-08-01",
                           "service-2.json"), encoding="utf-8") as f:
        m = json.load(f)
    m["metadata"]["protocols"] = ["smithy-rpc-v2-cbor"]
    m["metadata"]["protocol"] = "smithy-rpc-v2-cbor"
    with open(os.path.join(d, "service-2.json"), "w") as f:
        json.dump(m, f)
    for proto, mdir in (("json", ""), ("cbor", models)):
        r = subprocess.run([PYENV, "-c", PYENV_SCRIPT, p["aws"], proto, mdir,
                            json.dumps(ALARM)], capture_output=True,
                           text=True, timeout=60)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = None
        check("cw %s: botocore 1.43 ran" % proto, out is not None,
              r.stderr[-2000:])
        if out is None:
            continue
        h = out["headers"]
        want = ({"content-type": "application/cbor",
                 "smithy-protocol": "rpc-v2-cbor"} if proto == "cbor" else
                {"content-type": "application/x-amz-json-1.0",
                 "x-amz-target": "GraniteServiceVersion20100801."
                 "PutMetricAlarm"})
        check("cw %s: the client spoke %s" % (proto, proto),
              all(h.get(k, h.get(k.title())) == v or
                  {x.lower(): y for x, y in h.items()}.get(k) == v
                  for k, v in want.items()), h)
        a = out["alarms"]
        check("cw %s: PutMetricAlarm + DescribeAlarms round trip" % proto,
              len(a) == 1 and a[0]["AlarmName"] == "c1" and
              a[0]["Threshold"] == 70.0 and a[0]["Dimensions"] ==
              ALARM["Dimensions"] and a[0]["Period"] == 60 and
              str(a[0]["StateUpdatedTimestamp"]).startswith("20"), a)
        check("cw %s: error code parsed" % proto,
              out["error"] == "InvalidParameterCombination", out["error"])
        check("cw %s: DeleteAlarms" % proto, out["after"] == [], out)
    st = tp.get_state(p["aws"])
    by = st["requests"]["byOperation"]
    check("cw: requests counted per operation", by.get(
        "cw:PutMetricAlarm", 0) >= 3 and by.get("cw:DescribeAlarms", 0) >= 6,
        by)


def test_seed(tmp):
    d = os.path.join(tmp, "seed")
    shutil.copytree(os.path.join(tp.ROOT, "fixtures", "demo"), d)
    pol = ("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:"
           "11111111-2222-3333-4444-555555555555:resource/ecs/service/shop/"
           "web:policyName/out")
    with open(os.path.join(d, "as.json"), "w") as f:
        json.dump({"ScalableTargets": [{
            "ServiceNamespace": NS, "ResourceId": WEB, "ScalableDimension":
            DIM, "MinCapacity": 2, "MaxCapacity": 9, "RoleARN": "arn:aws:iam"
            "::123456789012:role/x", "CreationTime":
            "2026-01-01T00:00:00.000Z"}]}, f)
    with open(os.path.join(d, "pol.json"), "w") as f:
        json.dump({"ScalingPolicies": [{
            "PolicyARN": pol, "PolicyName": "out", "ServiceNamespace": NS,
            "ResourceId": WEB, "ScalableDimension": DIM, "PolicyType":
            "StepScaling", "StepScalingPolicyConfiguration": {
                "AdjustmentType": "ChangeInCapacity"},
            "Alarms": [{"AlarmName": "hi", "AlarmARN": "arn:aws:cloudwatch:"
                        "us-east-1:123456789012:alarm:hi"}],
            "CreationTime": 1767225600}]}, f)
    with open(os.path.join(d, "alarms.json"), "w") as f:
        json.dump({"MetricAlarms": [dict(ALARM, AlarmName="hi",
                                         AlarmActions=[pol])]}, f)
    p = tp.start_peer(tmp, "--seed", d)
    try:
        st = tp.get_state(p["aws"])
        aas = aas_client(p["aws"])
        pols = aas.describe_scaling_policies(ServiceNamespace=NS)[
            "ScalingPolicies"]
        check("seed: autoscaling export files recognised by shape",
              len(st["aas"]["scalableTargets"]) == 1 and
              st["aas"]["scalableTargets"][0]["SuspendedState"][
                  "ScheduledScalingSuspended"] is False and
              [a["AlarmName"] for a in st["cw"]["alarms"]] == ["hi"] and
              len(pols) == 1 and pols[0]["PolicyARN"] == pol and
              [a["AlarmName"] for a in pols[0]["Alarms"]] == ["hi"] and
              st["created"] == {}, st["aas"])
    finally:
        tp.stop_peer(p)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    test_cbor()
    with tempfile.TemporaryDirectory(prefix="f2o-aas-") as tmp:
        p = tp.start_peer(tmp, "--seed", os.path.join(tp.ROOT, "fixtures",
                                                      "demo"))
        try:
            test_aas(p)
            test_cw_query(p)
            test_cw_pyenv(p, tmp)
        finally:
            tp.stop_peer(p)
        test_seed(tmp)
    print("%d passed, %d failed" % (tp.passed, tp.failed))
    return 1 if tp.failed else 0


if __name__ == "__main__":
    sys.exit(main())
