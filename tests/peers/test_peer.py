#!/usr/bin/python3
"""Self-test of tests/peers/peer.py: starts it, talks to it with botocore
clients (signed with the test credentials) and raw HTTP, checks answers and
/_f2o/state. Ends with "N passed, N failed"; exit 1 on any failure.

    /usr/bin/python3 tests/peers/test_peer.py
"""
import copy
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TESTS, "tools"))

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.config  # noqa: E402
import botocore.credentials  # noqa: E402
import botocore.exceptions  # noqa: E402
import botocore.session  # noqa: E402

import peer as peermod  # noqa: E402

AK, SK = peermod.DEFAULT_ACCESS_KEY, peermod.DEFAULT_SECRET
TOKEN, ACCT = peermod.DEFAULT_SPOT_TOKEN, peermod.DEFAULT_SPOT_ACCOUNT

passed = 0
failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


def start_zygote(tmp):
    """A peer factory (zygote.py) for the peers start_peer starts next;
    its Popen (stop it with stop_zygote)."""
    sock = os.path.join(tmp, "peer.zyg")
    z = subprocess.Popen([sys.executable, os.path.join(HERE, "peer.py"),
                          "--zygote", sock], stdin=subprocess.DEVNULL)
    os.environ["F2O_PEER_ZYGOTE"] = sock
    return z


def stop_zygote(z):
    os.environ.pop("F2O_PEER_ZYGOTE", None)
    z.send_signal(signal.SIGTERM)
    try:
        z.wait(60)
    except subprocess.TimeoutExpired:
        z.kill()
        z.wait()


def start_peer(tmp, *extra):
    pf = os.path.join(tmp, "ports-%d.json" % len(os.listdir(tmp)))
    st = pf.replace("ports-", "state-")
    # through the factory when there is one (python3 -S: a small client)
    cmd = [sys.executable, "-S", os.path.join(HERE, "zygote.py")] \
        if os.environ.get("F2O_PEER_ZYGOTE", "0") != "0" else \
        [sys.executable, os.path.join(HERE, "peer.py")]
    p = subprocess.Popen(cmd + [
                          "--port-file", pf, "--state", st,
                          "--stable-seconds", "0.3", "--drain-seconds", "0.3",
                          "--max-seconds", "120"] + list(extra))
    for _ in range(600):
        if os.path.exists(pf):
            with open(pf) as f:
                ports = json.load(f)
            ports["proc"], ports["statefile"] = p, st
            return ports
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise SystemExit("peer did not start")


def session(token=None):
    s = botocore.session.get_session()
    s.get_component("data_loader").search_paths.insert(
        0, os.path.join(TESTS, "models"))
    s.set_credentials(AK, SK, token)
    return s


def client(sess, svc, url):
    return sess.create_client(
        svc, region_name="us-east-1", endpoint_url=url,
        config=botocore.config.Config(retries={"total_max_attempts": 1,
                                               "mode": "standard"}))


def code_of(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], \
            e.response["ResponseMetadata"]["HTTPStatusCode"], \
            e.response["Error"].get("Message", "")
    return None, 200, ""


def get_state(url):
    with urllib.request.urlopen(url + "/_f2o/state", timeout=10) as r:
        return json.load(r)


def post_json(url, doc):
    req = urllib.request.Request(url, data=json.dumps(doc).encode(),
                                 method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


LAST_HEADERS = {}


def amz_at(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def raw_aws(url, body, target=None, secret=SK, ak=AK, amzdate=None,
            token=None):
    """Sign by hand (possibly wrongly) and send; (status, body text).
    The answer's headers are left in LAST_HEADERS."""
    hdrs = {}
    if target:
        hdrs["Content-Type"] = "application/x-amz-json-1.1"
        hdrs["X-Amz-Target"] = "AmazonEC2ContainerServiceV20141113." + target
        svc = "ecs"
    else:
        hdrs["Content-Type"] = "application/x-www-form-urlencoded; " \
            "charset=utf-8"
        svc = "ec2"
    req = botocore.awsrequest.AWSRequest("POST", url + "/", headers=hdrs,
                                         data=body.encode())
    creds = botocore.credentials.Credentials(ak, secret, token)
    signer = botocore.auth.SigV4Auth(creds, svc, "us-east-1")
    if amzdate:
        class Fixed(botocore.auth.SigV4Auth):
            def add_auth(self, request):
                request.context["timestamp"] = amzdate
                request.headers["X-Amz-Date"] = amzdate
                if self.credentials.token:
                    request.headers["X-Amz-Security-Token"] = \
                        self.credentials.token
                cr = self.canonical_request(request)
                sts = self.string_to_sign(request, cr)
                sig = self.signature(sts, request)
                self._inject_signature_to_request(request, sig)
        signer = Fixed(creds, svc, "us-east-1")
    signer.add_auth(req)
    p = req.prepare()
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    c.request("POST", "/", body=p.body, headers=dict(p.headers))
    r = c.getresponse()
    out = (r.status, r.read().decode())
    LAST_HEADERS.clear()
    LAST_HEADERS.update(dict(r.headers))
    c.close()
    return out


def spot_req(url, method, path, body=None, token=TOKEN, acct=ACCT):
    q = "?accountId=%s" % acct if acct else ""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path + q, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e), dict(e.headers)


TD = {"family": "web", "networkMode": "awsvpc",
      "requiresCompatibilities": ["EC2"], "cpu": "256", "memory": "512",
      "containerDefinitions": [{"name": "web", "image": "nginx",
                                "memory": 256}],
      "tags": [{"key": "team", "value": "shop"}]}
CLUSTER = {"cluster": {
    "name": "shop", "clusterName": "shop", "region": "us-east-1",
    "capacity": {"minimum": 0, "maximum": 10, "target": 1},
    "compute": {"subnetIds": ["subnet-1"], "launchSpecification": {
        "imageId": "ami-0abc", "securityGroupIds": ["sg-1"]}}}}


def test_ecs_ec2(ports):
    aws = ports["aws"]
    s = session()
    ecs = client(s, "ecs", aws)
    ec2 = client(s, "ec2", aws)

    r = ecs.register_task_definition(**TD)
    check("register td rev 1", r["taskDefinition"]["revision"] == 1)
    r = ecs.register_task_definition(**TD)
    check("register td rev 2", r["taskDefinition"]["revision"] == 2 and
          r["taskDefinition"]["taskDefinitionArn"].endswith("web:2"))
    d = ecs.describe_task_definition(taskDefinition="web", include=["TAGS"])
    check("describe td latest + tags", d["taskDefinition"]["revision"] == 2
          and d["tags"] == TD["tags"])
    lst = ecs.list_task_definitions(familyPrefix="we")
    check("list td familyPrefix", len(lst["taskDefinitionArns"]) == 2)
    c, st, _ = code_of(ecs.describe_task_definition, taskDefinition="nope")
    check("describe td missing -> ClientException", c == "ClientException"
          and st == 400, c)

    g = ec2.create_security_group(GroupName="web-ec2", Description="x",
                                  VpcId="vpc-1", TagSpecifications=[{
                                      "ResourceType": "security-group",
                                      "Tags": [{"Key": "Name",
                                                "Value": "web-ec2"}]}])
    gid = g["GroupId"]
    check("create sg", gid.startswith("sg-") and g["Tags"][0]["Key"] ==
          "Name", g)
    c, st, _ = code_of(ec2.create_security_group, GroupName="WEB-ec2",
                       Description="x", VpcId="vpc-1")
    check("sg same name -> InvalidGroup.Duplicate",
          c == "InvalidGroup.Duplicate" and st == 400, c)
    d = ec2.describe_security_groups(Filters=[
        {"Name": "group-name", "Values": ["web-ec2"]},
        {"Name": "vpc-id", "Values": ["vpc-1"]}])["SecurityGroups"]
    check("describe sg by filters + default egress", len(d) == 1 and
          d[0]["IpPermissionsEgress"][0]["IpProtocol"] == "-1" and
          d[0]["IpPermissionsEgress"][0]["IpRanges"][0]["CidrIp"] ==
          "0.0.0.0/0", d)
    perm = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "https"}],
             "UserIdGroupPairs": [{"GroupId": gid}]}]
    a = ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perm)
    check("authorize ingress -> 2 rules, Return true", a["Return"] is True
          and len(a["SecurityGroupRules"]) == 2 and
          a["SecurityGroupRules"][0]["SecurityGroupRuleId"].startswith("sgr-"),
          a)
    before = get_state(aws)
    dup = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}] + perm
    c, st, msg = code_of(ec2.authorize_security_group_ingress, GroupId=gid,
                         IpPermissions=dup)
    after = get_state(aws)
    check("duplicate rule -> InvalidPermission.Duplicate, nothing added",
          c == "InvalidPermission.Duplicate" and st == 400 and
          len(after["ec2"]["securityGroupRules"]) ==
          len(before["ec2"]["securityGroupRules"]), (c, msg))
    c, st, _ = code_of(ec2.authorize_security_group_egress, GroupId=gid,
                       IpPermissions=[{"IpProtocol": "-1", "IpRanges": [
                           {"CidrIp": "0.0.0.0/0"}]}])
    check("re-adding default egress -> Duplicate",
          c == "InvalidPermission.Duplicate", c)
    rv = ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[{
        "IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    check("revoke default egress", rv["Return"] is True and
          len(rv["RevokedSecurityGroupRules"]) == 1, rv)
    c, st, _ = code_of(ec2.revoke_security_group_egress, GroupId=gid,
                       IpPermissions=[{"IpProtocol": "-1", "IpRanges": [
                           {"CidrIp": "0.0.0.0/0"}]}])
    check("revoke missing rule -> InvalidPermission.NotFound",
          c == "InvalidPermission.NotFound", c)
    rules = ec2.describe_security_group_rules(Filters=[
        {"Name": "group-id", "Values": [gid]}])["SecurityGroupRules"]
    check("describe sg rules", len(rules) == 2 and
          all(r["IsEgress"] is False for r in rules), rules)
    c, st, _ = code_of(ec2.describe_security_groups, GroupIds=["sg-0nope"])
    check("describe unknown sg -> InvalidGroup.NotFound",
          c == "InvalidGroup.NotFound", c)

    svc = {"cluster": "shop", "serviceName": "web-ec2",
           "taskDefinition": "web:2", "desiredCount": 2, "launchType": "EC2",
           "networkConfiguration": {"awsvpcConfiguration": {
               "subnets": ["subnet-1"], "securityGroups": [gid],
               "assignPublicIp": "DISABLED"}},
           "clientToken": "tok-1"}
    c, st, msg = code_of(ecs.create_service, **dict(
        svc, platformVersion="LATEST", clientToken="tok-x"))
    check("EC2 + platformVersion -> InvalidParameterException",
          c == "InvalidParameterException" and "platform version" in msg, c)
    bad = json.loads(json.dumps(svc))
    bad["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = \
        "ENABLED"
    bad["clientToken"] = "tok-y"
    c, st, msg = code_of(ecs.create_service, **bad)
    check("EC2 + assignPublicIp ENABLED -> InvalidParameterException",
          c == "InvalidParameterException", c)
    r1 = ecs.create_service(**svc)["service"]
    r2 = ecs.create_service(**svc)["service"]
    check("CreateService clientToken idempotent",
          r1["serviceArn"] == r2["serviceArn"] and
          r1["serviceArn"].endswith("service/shop/web-ec2"))
    c, st, msg = code_of(ecs.create_service, **dict(svc, clientToken="tok-2"))
    check("CreateService same name -> not idempotent",
          c == "InvalidParameterException" and "not idempotent" in msg,
          (c, msg))
    st_ = get_state(aws)
    check("created once", st_["created"].get("ecs:service:shop/web-ec2") == 1,
          st_["created"])
    w = ecs.get_waiter("services_stable")
    w.wait(cluster="shop", services=["web-ec2"],
           WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    d = ecs.describe_services(cluster="shop",
                              services=["web-ec2", "ghost"])
    s0 = d["services"][0]
    check("stable: one deployment COMPLETED, running == desired",
          len(s0["deployments"]) == 1 and
          s0["deployments"][0]["rolloutState"] == "COMPLETED" and
          s0["runningCount"] == 2, s0)
    check("DescribeServices MISSING failure",
          d["failures"][0]["reason"] == "MISSING")
    ls = ecs.list_services(cluster="shop")
    check("ListServices includes seeded + new",
          any(a.endswith("/web-ec2") for a in ls["serviceArns"]) and
          any(a.endswith("/web") for a in ls["serviceArns"]), ls)
    c, _, msg = code_of(ecs.delete_service, cluster="shop", service="web-ec2")
    check("delete scaled-up service refused",
          c == "InvalidParameterException", c)
    u = ecs.update_service(cluster="shop", service="web-ec2",
                           desiredCount=0)["service"]
    check("UpdateService desiredCount", u["desiredCount"] == 0)
    dl = ecs.delete_service(cluster="shop", service="web-ec2")["service"]
    check("DeleteService -> DRAINING", dl["status"] == "DRAINING")
    c, _, msg = code_of(ecs.create_service, **dict(svc, clientToken="tok-3"))
    check("create while DRAINING -> not idempotent",
          c == "InvalidParameterException", c)
    ecs.get_waiter("services_inactive").wait(
        cluster="shop", services=["web-ec2"],
        WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    check("ServicesInactive waiter", True)
    r3 = ecs.create_service(**dict(svc, clientToken="tok-4"))["service"]
    check("re-create after INACTIVE", r3["status"] == "ACTIVE")
    ps = ecs.put_account_setting_default(name="awsvpcTrunking",
                                         value="enabled")
    check("PutAccountSettingDefault", ps["setting"]["value"] == "enabled")

    # validation against the model
    c, st, msg = code_of(ecs.describe_services, cluster="shop",
                         services=["a"] * 11)
    check("DescribeServices > 10 -> InvalidParameterException",
          c == "InvalidParameterException", c)
    st_, body = raw_aws(aws, json.dumps({"cluster": "shop", "bogus": 1,
                                         "services": ["a"]}),
                        target="DescribeServices")
    check("ECS unknown member -> ValidationException 400",
          st_ == 400 and json.loads(body)["__type"] == "ValidationException",
          body)
    st_, body = raw_aws(aws, "Action=DescribeSecurityGroups&Version="
                        "2016-11-15&Bogus.1=x")
    check("EC2 unknown parameter -> UnknownParameter",
          st_ == 400 and "<Code>UnknownParameter</Code>" in body, body)
    st_, body = raw_aws(aws, "Action=CreateSecurityGroup&Version=2016-11-15&"
                        "GroupName=x")
    check("EC2 missing parameter -> MissingParameter",
          st_ == 400 and "<Code>MissingParameter</Code>" in body, body)
    st_, body = raw_aws(aws, "Action=CreateSecurityGroup&Version=2016-11-15&"
                        "GroupName=raw&GroupDescription=d&VpcId=vpc-1")
    check("EC2 XML namespace, requestId, return", st_ == 200 and
          'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"' in body and
          "<requestId>" in body and "<return>true</return>" in body and
          "<groupId>sg-" in body, body)
    return ecs, ec2, gid


def test_auth(ports):
    aws = ports["aws"]
    body = json.dumps({"cluster": "shop", "services": ["web"]})
    st, b = raw_aws(aws, body, target="DescribeServices")
    check("hand-signed ECS request accepted", st == 200, b)
    st, b = raw_aws(aws, body, target="DescribeServices", secret="wrong")
    check("ECS bad signature -> 400 InvalidSignatureException",
          st == 400 and json.loads(b)["__type"] ==
          "InvalidSignatureException", b)
    form = "Action=DescribeSecurityGroups&Version=2016-11-15"
    st, b = raw_aws(aws, form, secret="wrong")
    check("EC2 bad signature -> 401 AuthFailure",
          st == 401 and "<Code>AuthFailure</Code>" in b and
          "<Response><Errors><Error>" in b, b)
    st, b = raw_aws(aws, body, target="DescribeServices", ak="AKIAUNKNOWN")
    check("unknown key -> UnrecognizedClientException",
          st == 400 and json.loads(b)["__type"] ==
          "UnrecognizedClientException", b)
    old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 1200))
    st, b = raw_aws(aws, body, target="DescribeServices", amzdate=old)
    check("X-Amz-Date 20 min old -> Signature expired",
          st == 400 and "Signature expired" in b, b)
    st, b = raw_aws(aws, form, amzdate=old)
    check("EC2 X-Amz-Date 20 min old -> 400 RequestExpired",
          st == 400 and "<Code>RequestExpired</Code>" in b, b)
    new = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + 1200))
    st, b = raw_aws(aws, body, target="DescribeServices", amzdate=new)
    check("X-Amz-Date 20 min ahead -> Signature not yet current",
          st == 400 and "not yet current" in b, b)
    ok_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 240))
    st, b = raw_aws(aws, body, target="DescribeServices", amzdate=ok_date)
    check("X-Amz-Date 4 min old -> accepted (5 min window)", st == 200, b)
    old6 = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 360))
    st, b = raw_aws(aws, body, target="DescribeServices", amzdate=old6)
    check("X-Amz-Date 6 min old -> Signature expired (- 5 min.)",
          st == 400 and "- 5 min.)" in b, b)
    st, b = raw_aws(aws, body, target="DescribeServices", token="tok")
    check("unexpected session token -> UnrecognizedClientException",
          st == 400 and "UnrecognizedClient" in b, b)


def test_session_token(tmp):
    p = start_peer(tmp, "--session-token", "sess-1")
    try:
        body = json.dumps({"cluster": "shop", "services": ["web"]})
        st, b = raw_aws(p["aws"], body, target="DescribeServices",
                        token="sess-1")
        check("session token accepted", st == 200, b)
        st, b = raw_aws(p["aws"], body, target="DescribeServices",
                        token="sess-old")
        check("bad session token -> ExpiredTokenException",
              st == 400 and json.loads(b)["__type"] ==
              "ExpiredTokenException", b)
        st, b = raw_aws(p["aws"], body, target="DescribeServices")
        check("missing session token -> ExpiredTokenException",
              st == 400 and "ExpiredToken" in b, b)
    finally:
        p["proc"].terminate()
        p["proc"].wait(10)


def test_spot(ports):
    sp = ports["spot"]
    st, env, h = spot_req(sp, "POST", "/ocean/aws/ecs/cluster", CLUSTER)
    ok = st == 200 and env["response"]["items"][0]["id"].startswith("o-")
    check("spot create cluster", ok and env["response"]["count"] == 1 and
          env["response"]["kind"] == "spotinst:ocean:aws:ecs" and
          "X-RateLimit-Reset" in h, env)
    oid = env["response"]["items"][0]["id"] if ok else "o-x"
    bad = json.loads(json.dumps(CLUSTER))
    bad["cluster"]["capacity"]["minimum"] = "0"
    bad["cluster"]["nope"] = True
    st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/cluster", bad)
    check("spot schema-invalid body -> 400 errors[]",
          st == 400 and env["response"]["status"]["code"] == 400 and
          env["response"]["errors"][0]["code"], env)
    st, env, _ = spot_req(sp, "GET", "/ocean/aws/ecs/cluster",
                          token="wrong")
    check("spot bad token -> 401", st == 401 and
          env["response"]["errors"], env)
    st, env, _ = spot_req(sp, "GET", "/ocean/aws/ecs/cluster", acct=None)
    check("spot missing accountId -> 401", st == 401, env)
    st, env, _ = spot_req(sp, "GET", "/ocean/aws/ecs/cluster")
    check("spot list clusters", st == 200 and env["response"]["count"] == 1)
    st, env, _ = spot_req(sp, "GET", "/ocean/aws/ecs/cluster/" + oid)
    check("spot get cluster", st == 200 and
          env["response"]["items"][0]["clusterName"] == "shop")
    ls = {"launchSpec": {"oceanId": oid, "name": "arm64",
                         "instanceTypes": ["m6g.large"]}}
    st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/launchSpec", ls)
    ok = st == 200 and env["response"]["items"][0]["id"].startswith("ols-")
    check("spot create launchSpec", ok, env)
    lid = env["response"]["items"][0]["id"] if ok else "ols-x"
    st, env, _ = spot_req(sp, "GET", "/ocean/aws/ecs/launchSpec?oceanId=%s"
                          % oid + "&x=1", acct=None)
    # accountId missing on purpose above -> 401; now the proper call
    st, env, _ = spot_req(sp, "GET", "/ocean/aws/ecs/launchSpec"
                          "?oceanId=%s&accountId=%s" % (oid, ACCT), acct=None)
    check("spot list launchSpecs by oceanId", st == 200 and
          env["response"]["count"] == 1, env)
    # spot-api.md 3.2: a VNG's strategy.spotPercentage (0..100) only when
    # the cluster strategy has none
    pct = {"launchSpec": {"oceanId": oid, "name": "x86_64-od30",
                          "strategy": {"spotPercentage": 70}}}
    st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/launchSpec", pct)
    ok = st == 200 and env["response"]["items"][0]["strategy"] == {
        "spotPercentage": 70}
    check("spot VNG strategy.spotPercentage accepted (cluster has none)",
          ok, env)
    pid = env["response"]["items"][0]["id"] if ok else "ols-x"
    st, env, _ = spot_req(sp, "PUT", "/ocean/aws/ecs/cluster/" + oid,
                          {"cluster": {"strategy": {"spotPercentage": 100}}})
    check("spot cluster spotPercentage refused while a VNG sets one",
          st == 400 and env["response"]["errors"][0]["code"] ==
          "ValidationError", env)
    st, env, _ = spot_req(sp, "DELETE", "/ocean/aws/ecs/launchSpec/" + pid)
    check("spot delete the VNG with a spotPercentage", st == 200, env)
    st, env, _ = spot_req(sp, "PUT", "/ocean/aws/ecs/cluster/" + oid,
                          {"cluster": {"strategy": {"spotPercentage": 100,
                                                    "fallbackToOd": True}}})
    check("spot cluster spotPercentage set", st == 200, env)
    st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/launchSpec", pct)
    check("spot VNG spotPercentage refused when the cluster sets one",
          st == 400 and "cluster strategy has no spotPercentage" in
          json.dumps(env), env)
    bad = json.loads(json.dumps(pct))
    bad["launchSpec"]["strategy"]["spotPercentage"] = 101
    st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/launchSpec", bad)
    check("spot VNG spotPercentage 101 -> schema error", st == 400, env)
    st, env, _ = spot_req(sp, "DELETE", "/ocean/aws/ecs/launchSpec/" + lid)
    check("spot delete launchSpec", st == 200 and
          "items" not in env["response"], env)
    st, env, _ = spot_req(sp, "GET", "/ocean/aws/ecs/cluster/o-00000000")
    check("spot get missing -> CANT_GET_OCEAN_CLUSTER", st == 400 and
          env["response"]["errors"][0]["code"] == "CANT_GET_OCEAN_CLUSTER")
    st, env, _ = spot_req(sp, "DELETE", "/ocean/aws/ecs/cluster/" + oid)
    check("spot delete cluster", st == 200)


def test_faults(ports, ecs, ec2):
    aws, sp = ports["aws"], ports["spot"]
    post_json(aws + "/_f2o/faults", {"rate": 1, "kinds": ["throttle"],
                                     "max": 1, "targets": ["ecs"]})
    before = get_state(aws)
    c, st, _ = code_of(ecs.register_task_definition, **TD)
    after = get_state(aws)
    check("ECS throttle fault -> ThrottlingException 400, no state change",
          c == "ThrottlingException" and st == 400 and
          len(after["ecs"]["taskDefinitions"]) ==
          len(before["ecs"]["taskDefinitions"]), c)
    c, st, _ = code_of(ecs.register_task_definition, **TD)
    check("fault max reached -> next call succeeds", c is None, c)

    post_json(aws + "/_f2o/faults", {"rate": 1, "kinds": ["throttle"],
                                     "max": 1, "targets": ["ec2"]})
    c, st, _ = code_of(ec2.describe_security_groups)
    check("EC2 throttle -> RequestLimitExceeded 503",
          c == "RequestLimitExceeded" and st == 503, (c, st))

    post_json(aws + "/_f2o/faults", {"rate": 1, "kinds": ["throttle"],
                                     "max": 1, "targets": ["spot"],
                                     "reset": 2})
    st, env, h = spot_req(sp, "GET", "/ocean/aws/ecs/cluster")
    check("Spot throttle -> 429 + X-RateLimit-Reset",
          st == 429 and h.get("X-RateLimit-Reset") == "2", (st, h))

    post_json(aws + "/_f2o/faults", {"rate": 1, "kinds": ["drop"],
                                     "max": 1, "targets": ["ecs"]})
    body = json.dumps({"cluster": "shop", "services": ["web"]})
    try:
        raw_aws(aws, body, target="DescribeServices")
        dropped = False
    except (http.client.HTTPException, ConnectionError, OSError):
        dropped = True
    check("drop fault closes the connection unanswered", dropped)

    post_json(aws + "/_f2o/faults", {"rate": 1, "kinds": ["500", "503"],
                                     "max": 2, "targets": ["ecs"],
                                     "seed": 3})
    sts = [raw_aws(aws, body, target="DescribeServices")[0] for _ in
           range(3)]
    check("500/503 faults then success", sts[0] in (500, 503) and
          sts[1] in (500, 503) and sts[2] == 200, sts)

    # determinism: same seed, same sequence
    seqs = []
    for _ in range(2):
        post_json(aws + "/_f2o/faults", {"rate": 0.5, "seed": 42,
                                         "kinds": ["throttle"],
                                         "targets": ["ecs"]})
        seqs.append([raw_aws(aws, body, target="DescribeServices")[0]
                     for _ in range(12)])
    check("seeded faults are deterministic", seqs[0] == seqs[1] and
          400 in seqs[0] and 200 in seqs[0], seqs)
    post_json(aws + "/_f2o/faults", {})


def test_rollback(ports, ecs, gid):
    aws = ports["aws"]
    post_json(aws + "/_f2o/faults", {"rollback": ["rb-new", "rb-upd"]})
    base = {"cluster": "shop", "launchType": "EC2", "desiredCount": 1,
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": ["subnet-1"], "securityGroups": [gid]}}}
    ecs.create_service(serviceName="rb-new", taskDefinition="web:1", **base)
    time.sleep(0.5)
    s = ecs.describe_services(cluster="shop", services=["rb-new"])[
        "services"][0]
    check("rollback switch: new service rolloutState FAILED",
          s["deployments"][0]["rolloutState"] == "FAILED" and
          s["runningCount"] == 0 and
          any("circuit breaker" in d.get("rolloutStateReason", "") for d in
              s["deployments"]) and
          any("failed" in e["message"] for e in s["events"]), s)
    post_json(aws + "/_f2o/faults", {})
    ecs.create_service(serviceName="rb-upd", taskDefinition="web:1", **base)
    time.sleep(0.5)
    ecs.describe_services(cluster="shop", services=["rb-upd"])
    post_json(aws + "/_f2o/faults", {"rollback": ["rb-upd"]})
    ecs.update_service(cluster="shop", service="rb-upd",
                       taskDefinition="web:2")
    time.sleep(0.5)
    s = ecs.describe_services(cluster="shop", services=["rb-upd"])[
        "services"][0]
    check("rollback switch: update rolls back to the old task def",
          s["taskDefinition"].endswith("web:1") and
          len(s["deployments"]) == 1 and
          any("rolling back" in e["message"] for e in s["events"]), s)
    post_json(aws + "/_f2o/faults", {})


def test_keepalive_latency(ports, ecs):
    aws = ports["aws"]
    u = urllib.parse.urlsplit(aws)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    sts = []
    for _ in range(3):
        c.request("GET", "/_f2o/faults")
        r = c.getresponse()
        r.read()
        sts.append(r.status)
    sock1 = c.sock
    c.request("GET", "/_f2o/faults")
    c.getresponse().read()
    check("HTTP/1.1 keep-alive: one connection, several requests",
          sts == [200, 200, 200] and c.sock is sock1 and sock1 is not None)
    c.close()
    post_json(aws + "/_f2o/faults", {"rate": 1, "kinds": ["latency"],
                                     "latency": 0.6, "max": 1,
                                     "targets": ["ecs"]})
    t0 = time.time()
    r = ecs.list_services(cluster="shop")
    dt = time.time() - t0
    check("latency fault delays but answers", dt >= 0.6 and
          "serviceArns" in r, dt)
    post_json(aws + "/_f2o/faults", {})
    t = ecs.list_tasks(cluster="shop", serviceName="web")
    check("ListTasks: runningCount task ARNs", len(t["taskArns"]) == 4 and
          t["taskArns"][0].startswith("arn:aws:ecs:us-east-1:123456789012:"
                                      "task/shop/"), t)


def test_concurrency(ports):
    import threading
    aws = ports["aws"]
    body = json.dumps({"cluster": "shop", "services": ["web"]})
    res = []

    def worker(i):
        for j in range(10):
            try:
                res.append(raw_aws(aws, body, target="DescribeServices")[0])
            except OSError as e:
                res.append(str(e))
    th = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in th:
        t.start()
    for t in th:
        t.join(60)
    check("160 concurrent signed requests all answered 200",
          res.count(200) == 160, [r for r in res if r != 200][:5])


def test_max_seconds(tmp):
    t0 = time.time()
    p = start_peer(tmp, "--max-seconds", "1")
    rc = p["proc"].wait(15)
    check("--max-seconds: exits by itself", rc == 0 and
          time.time() - t0 < 10 and os.path.exists(p["statefile"]), rc)


def test_validate_bundle():
    import validate_bundle
    bad = validate_bundle.validate("/nonexistent/bundle")
    check("validate_bundle reports an unreadable bundle", len(bad) == 1)


# ----------------------------------------------------------------------
# harsher account: clock, refusals, consistency, instances, diagnostics,
# drift

def stop_peer(p):
    p["proc"].terminate()
    try:
        p["proc"].wait(10)
    except subprocess.TimeoutExpired:
        p["proc"].kill()


def test_clock_offset(tmp):
    import datetime
    import email.utils
    import re
    desc = json.dumps({"cluster": "shop", "services": ["web"]})
    form = "Action=DescribeSecurityGroups&Version=2016-11-15"
    p = start_peer(tmp, "--clock-offset", "600")
    try:
        aws = p["aws"]
        st, b = raw_aws(aws, desc, target="DescribeServices")
        m = re.search(r"Signature expired: (\S+) is now earlier than (\S+) "
                      r"\((\S+) - 5 min\.\)", b)
        peer_now = None
        if m:
            peer_now = time.mktime(time.strptime(
                m.group(3), "%Y%m%dT%H%M%SZ")) - time.mktime(
                time.gmtime(0))
        check("clock +600: real-time ECS request -> Signature expired "
              "against the peer's clock", st == 400 and m is not None and
              abs(peer_now - (time.time() + 600)) < 5, b)
        st, b = raw_aws(aws, form)
        check("clock +600: EC2 -> 400 RequestExpired",
              st == 400 and "<Code>RequestExpired</Code>" in b, b)
        st, b = raw_aws(aws, desc, target="DescribeServices",
                        amzdate=amz_at(time.time() + 600))
        date = LAST_HEADERS.get("Date", "")
        dt = email.utils.parsedate_to_datetime(date).timestamp() \
            if date else 0
        check("clock +600: request signed in the peer's time accepted, "
              "Date: header RFC 7231 in the peer's clock", st == 200 and
              date.endswith(" GMT") and abs(dt - time.time() - 600) < 5,
              (st, date))
        st, env, h = spot_req(p["spot"], "GET", "/ocean/aws/ecs/cluster")
        dt = email.utils.parsedate_to_datetime(h["Date"]).timestamp()
        ts = datetime.datetime.fromisoformat(env["request"]["timestamp"]
                                             .replace("Z", "+00:00"))
        check("clock +600: Spot answers carry the shifted Date: and "
              "request.timestamp", abs(dt - time.time() - 600) < 5 and
              abs(ts.timestamp() - time.time() - 600) < 5, h.get("Date"))
    finally:
        stop_peer(p)
    p = start_peer(tmp, "--clock-offset", "-400")
    try:
        st, b = raw_aws(p["aws"], desc, target="DescribeServices")
        check("clock -400: ECS -> Signature not yet current (+ 5 min.)",
              st == 400 and "Signature not yet current" in b and
              "+ 5 min.)" in b, b)
        st, b = raw_aws(p["aws"], form)
        check("clock -400: EC2 -> 401 AuthFailure",
              st == 401 and "<Code>AuthFailure</Code>" in b, b)
        st, b = raw_aws(p["aws"], desc, target="DescribeServices",
                        amzdate=amz_at(time.time() - 400))
        check("clock -400: signed in the peer's time -> accepted",
              st == 200, b)
    finally:
        stop_peer(p)


def test_refuse_and_drop_after(tmp):
    import socket
    p = start_peer(tmp)
    try:
        aws, sp = p["aws"], p["spot"]
        u = urllib.parse.urlsplit(aws)
        keep = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        keep.request("GET", "/_f2o/count")
        n0 = json.load(keep.getresponse())["total"]
        r = post_json(sp + "/_f2o/refuse", {"port": "aws", "seconds": 1.0})
        check("refuse control answers the window", "aws" in r, r)
        refused = False
        t0 = time.time()
        for _ in range(40):         # the listener closes at once
            try:
                s = socket.create_connection((u.hostname, u.port), 1)
                s.close()
                time.sleep(0.05)
            except ConnectionRefusedError:
                refused = True
                break
            except OSError:         # queued when the listener closed
                time.sleep(0.05)
        check("refused port: new connections get ECONNREFUSED at once",
              refused and time.time() - t0 < 0.15, time.time() - t0)
        try:
            keep.request("GET", "/_f2o/count")
            keep.getresponse().read()
            kept = True
        except (http.client.HTTPException, OSError):
            kept = False
        keep.close()
        check("refused port: a request on a kept-alive connection is "
              "dropped unread", not kept)
        back = False
        for _ in range(60):
            try:
                with urllib.request.urlopen(aws + "/_f2o/count",
                                            timeout=2) as r:
                    n1 = json.load(r)["total"]
                back = True
                break
            except OSError:
                time.sleep(0.1)
        st = get_state(sp)
        check("refused port re-opens on the same port; nothing was "
              "handled meanwhile", back and n1 == n0 and
              st["refusals"]["aws"]["windows"] == 1 and
              st["refusals"]["aws"]["closed"] == 1, (back, st["refusals"]))
        # drop_after: handled, then no answer
        post_json(sp + "/_f2o/faults", {"rate": 1, "kinds": ["drop_after"],
                                        "max": 1, "targets": ["ecs"]})
        try:
            raw_aws(aws, json.dumps(dict(TD, family="dropped")),
                    target="RegisterTaskDefinition")
            dropped = False
        except (http.client.HTTPException, OSError):
            dropped = True
        st = get_state(sp)
        check("drop_after: connection closed unanswered but the task "
              "definition exists (in doubt)", dropped and
              st["created"].get("ecs:taskDefinition:dropped:1") == 1 and
              st["requests"]["faults"].get("drop_after") == 1,
              (dropped, st["requests"]["faults"]))
    finally:
        stop_peer(p)


def test_consistency(tmp):
    p = start_peer(tmp, "--ec2-consistency-delay", "0.8")
    try:
        ec2 = client(session(), "ec2", p["aws"])
        gid = ec2.create_security_group(GroupName="late", Description="d",
                                        VpcId="vpc-1")["GroupId"]
        perm = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                 "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}]
        t0 = time.time()
        c1, s1, m1 = code_of(ec2.authorize_security_group_ingress,
                             GroupId=gid, IpPermissions=perm)
        c2, _, _ = code_of(ec2.describe_security_groups, GroupIds=[gid])
        c3, _, _ = code_of(ec2.delete_security_group, GroupId=gid)
        fast = time.time() - t0 < 0.8
        by_filter = ec2.describe_security_groups(Filters=[
            {"Name": "group-id", "Values": [gid]}])["SecurityGroups"]
        check("consistency delay: new group unknown by id "
              "(InvalidGroup.NotFound, as EC2)", fast and
              c1 == c2 == c3 == "InvalidGroup.NotFound" and s1 == 400 and
              "does not exist" in m1, (c1, c2, c3, fast))
        check("consistency delay: filters still list it", len(by_filter) == 1)
        ecs = client(session(), "ecs", p["aws"])
        ecs.register_task_definition(**TD)
        g2 = ec2.create_security_group(GroupName="late2", Description="d",
                                       VpcId="vpc-1")["GroupId"]
        c, _, m = code_of(ecs.create_service, cluster="shop",
                          serviceName="early", taskDefinition="web",
                          launchType="EC2", desiredCount=1,
                          networkConfiguration={"awsvpcConfiguration": {
                              "subnets": ["subnet-1"],
                              "securityGroups": [g2]}})
        check("consistency delay: ECS CreateService naming the new group "
              "-> InvalidParameterException (InvalidGroup.NotFound)",
              c == "InvalidParameterException" and
              "Error Code: InvalidGroup.NotFound" in m, (c, m))
        time.sleep(0.9)
        c, _, _ = code_of(ec2.authorize_security_group_ingress, GroupId=gid,
                          IpPermissions=perm)
        st = get_state(p["aws"])
        cn = st["ec2"]["consistencyNotFound"]
        check("consistency delay: visible afterwards; misses counted",
              c is None and cn.get("ec2:AuthorizeSecurityGroupIngress") == 1
              and cn.get("ec2:DescribeSecurityGroups") == 1 and
              cn.get("ec2:DeleteSecurityGroup") == 1, (c, cn))
    finally:
        stop_peer(p)
    p = start_peer(tmp, "--ec2-consistency-requests", "2")
    try:
        ec2 = client(session(), "ec2", p["aws"])
        gid = ec2.create_security_group(GroupName="late", Description="d",
                                        VpcId="vpc-1")["GroupId"]
        cs = [code_of(ec2.describe_security_groups, GroupIds=[gid])[0]
              for _ in range(3)]
        check("consistency requests=2: two NotFound, then found",
              cs == ["InvalidGroup.NotFound", "InvalidGroup.NotFound", None],
              cs)
    finally:
        stop_peer(p)


def test_ocean_instances(tmp):
    p = start_peer(tmp, "--ocean-instances", "--tasks-per-instance", "2")
    try:
        aws, sp = p["aws"], p["spot"]
        s = session()
        ecs, ec2 = client(s, "ecs", aws), client(s, "ec2", aws)
        sg = {}
        for n in ("svc", "vng-a", "vng-b"):
            sg[n] = ec2.create_security_group(GroupName=n, Description="d",
                                              VpcId="vpc-1")["GroupId"]
        ecs.register_task_definition(**TD)
        st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/cluster", CLUSTER)
        oid = env["response"]["items"][0]["id"]
        lids = {}
        for n in ("vng-a", "vng-b"):
            st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/launchSpec", {
                "launchSpec": {"oceanId": oid, "name": n,
                               "securityGroupIds": [sg[n]]}})
            lids[n] = env["response"]["items"][0]["id"]
        ecs.create_service(cluster="shop", serviceName="placed",
                           taskDefinition="web", desiredCount=3,
                           launchType="EC2", networkConfiguration={
                               "awsvpcConfiguration": {
                                   "subnets": ["subnet-1"],
                                   "securityGroups": [sg["svc"]]}})
        ecs.get_waiter("services_stable").wait(
            cluster="shop", services=["placed"],
            WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        arns = ecs.list_container_instances(cluster="shop")[
            "containerInstanceArns"]
        cis = ecs.describe_container_instances(
            cluster="shop", containerInstances=arns + ["nope"])
        running = sum(c["runningTasksCount"]
                      for c in cis["containerInstances"])
        check("3 EC2 tasks, 2 per instance -> 2 container instances, "
              "3 tasks on them", len(arns) == 2 and running == 3 and
              all(c["status"] == "ACTIVE" and c["agentConnected"] and
                  c["ec2InstanceId"].startswith("i-")
                  for c in cis["containerInstances"]) and
              cis["failures"][0]["reason"] == "MISSING", cis)
        st_ = get_state(aws)
        insts = st_["ec2"]["instances"]
        used = sorted(g["GroupId"] for i in insts
                      for g in i["SecurityGroups"])
        check("instances spread over the VNGs, with their security groups",
              used == sorted([sg["vng-a"], sg["vng-b"]]) and
              len(st_["ecs"]["containerInstances"]) == 2, insts)
        cl = ecs.describe_clusters(clusters=["shop"])["clusters"][0]
        check("DescribeClusters counts the container instances",
              cl["registeredContainerInstancesCount"] == 2 and
              cl["status"] == "ACTIVE", cl)
        c, _, _ = code_of(ec2.delete_security_group, GroupId=sg["vng-a"])
        check("SG of a running instance -> DependencyViolation",
              c == "DependencyViolation", c)
        ecs.update_service(cluster="shop", service="placed", desiredCount=0)
        ecs.get_waiter("services_stable").wait(
            cluster="shop", services=["placed"],
            WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        st, env, _ = spot_req(sp, "DELETE", "/ocean/aws/ecs/launchSpec/" +
                              lids["vng-a"])
        c, _, _ = code_of(ec2.delete_security_group, GroupId=sg["vng-a"])
        check("VNG deleted without deleteContainerInstances: instance "
              "keeps running, its SG still in use",
              st == 200 and c == "DependencyViolation", (st, c))
        st, env, _ = spot_req(sp, "DELETE", "/ocean/aws/ecs/launchSpec/%s"
                              "?deleteContainerInstances=true&accountId=%s"
                              % (lids["vng-b"], ACCT), acct=None)
        c, _, _ = code_of(ec2.delete_security_group, GroupId=sg["vng-b"])
        arns = ecs.list_container_instances(cluster="shop")[
            "containerInstanceArns"]
        check("VNG deleted with deleteContainerInstances=true: instance "
              "terminated, deregistered, SG deletable",
              st == 200 and c is None and len(arns) == 1, (st, c, arns))
        spot_req(sp, "DELETE", "/ocean/aws/ecs/cluster/" + oid)
        c, _, _ = code_of(ec2.delete_security_group, GroupId=sg["vng-a"])
        st_ = get_state(aws)
        check("Ocean cluster deleted: its remaining instances terminate",
              c is None and all(i["State"]["Name"] == "terminated"
                                for i in st_["ec2"]["instances"]),
              (c, st_["ec2"]["instances"]))
    finally:
        stop_peer(p)


def ec2_service(ecs, cluster, name, sg):
    """An EC2 service of one task of "web" in security group sg."""
    ecs.create_service(cluster=cluster, serviceName=name,
                       taskDefinition="web", desiredCount=1,
                       launchType="EC2", networkConfiguration={
                           "awsvpcConfiguration": {
                               "subnets": ["subnet-1"],
                               "securityGroups": [sg]}})


def test_ocean_teardown(tmp):
    """VNG attributes on container instances, the 'attribute:NAME exists'
    filter, --terminate-seconds, the Spot query in the log."""
    p = start_peer(tmp, "--ocean-instances", "--terminate-seconds", "0.6")
    try:
        aws, sp = p["aws"], p["spot"]
        s = session()
        ecs, ec2 = client(s, "ecs", aws), client(s, "ec2", aws)
        sg = ec2.create_security_group(GroupName="i", Description="d",
                                       VpcId="vpc-1")["GroupId"]
        ssg = ec2.create_security_group(GroupName="s", Description="d",
                                        VpcId="vpc-1")["GroupId"]
        ecs.register_task_definition(**TD)
        st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/cluster", CLUSTER)
        oid = env["response"]["items"][0]["id"]
        st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/launchSpec", {
            "launchSpec": {"oceanId": oid, "name": "a",
                           "securityGroupIds": [sg],
                           "attributes": [{"key": "f2o.vng",
                                           "value": "a"}]}})
        lid = env["response"]["items"][0]["id"]
        ec2_service(ecs, "shop", "placed", ssg)
        arns = ecs.list_container_instances(
            cluster="shop", filter="attribute:f2o.vng exists")[
                "containerInstanceArns"]
        none = ecs.list_container_instances(
            cluster="shop", filter="attribute:other exists")[
                "containerInstanceArns"]
        ci = ecs.describe_container_instances(
            cluster="shop", containerInstances=arns)["containerInstances"]
        check("the VNG's attributes on its container instance; "
              "'attribute:NAME exists' filters",
              len(arns) == 1 and none == [] and
              {"name": "f2o.vng", "value": "a"} in ci[0]["attributes"],
              (arns, none, ci))
        c, _, _ = code_of(ecs.list_container_instances, cluster="shop",
                          filter="attribute:f2o.vng == a")
        check("other filters refused", c == "InvalidParameterException", c)
        ecs.update_service(cluster="shop", service="placed", desiredCount=0)
        # Ocean launches for tasks still placed: under load the tasks may
        # not have stopped yet, so wait for them (bounded) before the
        # delete, or reconcile starts a fresh instance for them.
        for _ in range(100):
            sv = ecs.describe_services(cluster="shop", services=["placed"])[
                "services"][0]
            if sv["runningCount"] == 0 and sv["pendingCount"] == 0:
                break
            time.sleep(0.05)
        st, env, _ = spot_req(sp, "DELETE", "/ocean/aws/ecs/launchSpec/%s"
                              "?deleteContainerInstances=true&accountId=%s"
                              % (lid, ACCT), acct=None)
        left = ecs.list_container_instances(
            cluster="shop", filter="attribute:f2o.vng exists")[
                "containerInstanceArns"]
        c, _, _ = code_of(ec2.delete_security_group, GroupId=sg)
        st_ = get_state(aws)
        check("--terminate-seconds: shutting-down, still listed, SG in use",
              st == 200 and len(left) == 1 and c == "DependencyViolation" and
              st_["ec2"]["instances"][0]["State"]["Name"] == "shutting-down",
              (st, left, c, st_["ec2"]["instances"]))
        log = [e for e in st_["log"] if e["op"] ==
               "spot:DeleteOceanLaunchSpec"]
        check("the log keeps the Spot query (accountId left out)",
              log and log[-1].get("query") == {
                  "deleteContainerInstances": "true"}, log)
        gone = None
        for _ in range(50):
            time.sleep(0.1)
            gone = ecs.list_container_instances(cluster="shop")[
                "containerInstanceArns"]
            if not gone:
                break
        c, _, _ = code_of(ec2.delete_security_group, GroupId=sg)
        check("then terminated: not listed, SG deletable", gone == [] and
              c is None, (gone, c))
        # a cluster whose launch specification is useAsTemplateOnly (f2o's
        # is) launches nothing until a VNG exists, though a task waits
        lab = copy.deepcopy(CLUSTER)
        lab["cluster"].update(name="lab", clusterName="lab")
        lab["cluster"]["compute"]["launchSpecification"][
            "useAsTemplateOnly"] = True
        st, env, _ = spot_req(sp, "POST", "/ocean/aws/ecs/cluster", lab)
        loid = env["response"]["items"][0]["id"]
        ec2_service(ecs, "lab", "waits", ssg)
        before = ecs.list_container_instances(cluster="lab")[
            "containerInstanceArns"]
        spot_req(sp, "POST", "/ocean/aws/ecs/launchSpec", {
            "launchSpec": {"oceanId": loid, "name": "b",
                           "securityGroupIds": [ssg]}})
        after = ecs.list_container_instances(cluster="lab")[
            "containerInstanceArns"]
        lab_insts = [i for i in get_state(aws)["ec2"]["instances"]
                     if i.get("oceanId") == loid]
        check("useAsTemplateOnly: no instance without a VNG, one in the VNG "
              "once it exists", st == 200 and before == [] and
              len(after) == 1 and len(lab_insts) == 1 and
              lab_insts[0].get("launchSpecId"), (before, after, lab_insts))
    finally:
        stop_peer(p)


def test_diagnostics(tmp):
    p = start_peer(tmp)
    try:
        aws = p["aws"]
        ecs = client(session(), "ecs", aws)
        ecs.register_task_definition(**TD)
        g = client(session(), "ec2", aws).create_security_group(
            GroupName="dx", Description="d", VpcId="vpc-1")["GroupId"]
        net = {"awsvpcConfiguration": {"subnets": ["subnet-1"],
                                       "securityGroups": [g]}}
        post_json(aws + "/_f2o/faults", {"rollback": ["dx-pull", "dx-exit"],
                                         "fail_reason": "pull"})
        ecs.create_service(cluster="shop", serviceName="dx-pull",
                           taskDefinition="web", desiredCount=2,
                           launchType="EC2", networkConfiguration=net)
        time.sleep(0.5)
        ecs.describe_services(cluster="shop", services=["dx-pull"])
        post_json(aws + "/_f2o/faults", {"rollback": ["dx-exit"]})
        ecs.create_service(cluster="shop", serviceName="dx-exit",
                           taskDefinition="web", desiredCount=1,
                           launchType="EC2", networkConfiguration=net)
        time.sleep(0.5)
        d = ecs.describe_services(cluster="shop",
                                  services=["dx-pull", "dx-exit"])
        sv = {x["serviceName"]: x for x in d["services"]}
        dep = sv["dx-pull"]["deployments"][0]
        msgs = [e["message"] for e in sv["dx-pull"]["events"]]
        check("failed deployment: rolloutState FAILED, circuit-breaker "
              "reason, failedTasks", dep["rolloutState"] == "FAILED" and
              dep["rolloutStateReason"] == "ECS deployment circuit breaker: "
              "tasks failed to start." and dep["failedTasks"] == 2, dep)
        check("failed deployment: ECS-style events", any(
            m.startswith("(service dx-pull) has started 2 tasks: (task ")
            for m in msgs) and any(m.startswith(
                "(service dx-pull) (deployment ecs-svc/") and
                m.endswith("deployment failed: tasks failed to start.")
                for m in msgs), msgs)
        lt = ecs.list_tasks(cluster="shop", serviceName="dx-pull",
                            desiredStatus="STOPPED")["taskArns"]
        tasks = ecs.describe_tasks(cluster="shop", tasks=lt)["tasks"]
        check("ListTasks STOPPED + DescribeTasks: CannotPullContainerError "
              "with stopCode TaskFailedToStart", len(lt) == 2 and
              all(t["lastStatus"] == "STOPPED" and
                  t["stopCode"] == "TaskFailedToStart" and
                  t["stoppedReason"].startswith("CannotPullContainerError")
                  and t["group"] == "service:dx-pull" for t in tasks), tasks)
        lt = ecs.list_tasks(cluster="shop", serviceName="dx-exit",
                            desiredStatus="STOPPED")["taskArns"]
        t = ecs.describe_tasks(cluster="shop", tasks=lt)["tasks"][0]
        check("default reason: Essential container in task exited",
              t["stoppedReason"] == "Essential container in task exited"
              and t["stopCode"] == "EssentialContainerExited" and
              t["containers"][0]["exitCode"] == 1, t)
        post_json(aws + "/_f2o/faults", {})
        ecs.update_service(cluster="shop", service="dx-pull", desiredCount=0)
        time.sleep(0.4)
        s0 = ecs.describe_services(cluster="shop", services=["dx-pull"])[
            "services"][0]
        check("FAILED service drained to 0", s0["desiredCount"] == 0 and
              s0["runningCount"] == 0 and s0["pendingCount"] == 0, s0)
        ecs.delete_service(cluster="shop", service="dx-pull")
        ecs.get_waiter("services_inactive").wait(
            cluster="shop", services=["dx-pull"],
            WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        check("FAILED service deleted -> INACTIVE", True)
        post_json(aws + "/_f2o/faults", {"rollback": ["dx-place"],
                                         "fail_reason": "placement"})
        ecs.create_service(cluster="shop", serviceName="dx-place",
                           taskDefinition="web", desiredCount=1,
                           launchType="EC2", networkConfiguration=net)
        time.sleep(0.5)
        ev = ecs.describe_services(cluster="shop", services=["dx-place"])[
            "services"][0]["events"]
        check("fail_reason placement: 'was unable to place a task' event",
              any("(service dx-place) was unable to place a task because "
                  "no container instance met all of its requirements." in
                  e["message"] for e in ev), ev)
        post_json(aws + "/_f2o/faults", {})
        ecs.create_service(cluster="shop", serviceName="dx-ok",
                           taskDefinition="web", desiredCount=2,
                           launchType="EC2", networkConfiguration=net)
        time.sleep(0.5)
        ok = ecs.describe_services(cluster="shop", services=["dx-ok"])[
            "services"][0]
        run = ecs.list_tasks(cluster="shop", serviceName="dx-ok")["taskArns"]
        rt = ecs.describe_tasks(cluster="shop", tasks=run + ["arn:aws:ecs:"
                                "us-east-1:123456789012:task/shop/0"])
        check("steady state event; DescribeTasks of running tasks",
              ok["events"][0]["message"] ==
              "(service dx-ok) has reached a steady state." and
              len(rt["tasks"]) == 2 and
              rt["tasks"][0]["lastStatus"] == "RUNNING" and
              rt["failures"][0]["reason"] == "MISSING", (ok["events"], rt))
    finally:
        stop_peer(p)


def test_mutate(tmp):
    p = start_peer(tmp, "--seed", os.path.join(ROOT, "fixtures", "demo"))
    try:
        aws, sp = p["aws"], p["spot"]
        s = session()
        ecs, ec2 = client(s, "ecs", aws), client(s, "ec2", aws)
        ecs.describe_services(cluster="shop", services=["web"])
        st0 = get_state(aws)
        r = post_json(aws + "/_f2o/mutate", {
            "action": "register_taskdef", "family": "shop-web",
            "changes": {"cpu": "1024"}, "cluster": "shop",
            "service": "web"})
        svc = ecs.describe_services(cluster="shop", services=["web"])[
            "services"][0]
        check("mutate register_taskdef: new revision, service points at "
              "it with a new deployment", svc["taskDefinition"] ==
              r["taskDefinitionArn"] and r["taskDefinitionArn"].endswith(
                  ":13") and svc["deployments"][0]["rolloutState"] ==
              "IN_PROGRESS", (r, svc["taskDefinition"]))
        post_json(aws + "/_f2o/mutate", {
            "action": "update_service", "cluster": "shop", "service": "api",
            "desiredCount": 7, "deploymentController": {"type":
                                                        "CODE_DEPLOY"},
            "loadBalancers": [], "tags": [{"key": "owner",
                                           "value": "other"}]})
        a = ecs.describe_services(cluster="shop", services=["api"],
                                  include=["TAGS"])["services"][0]
        check("mutate update_service: desiredCount, controller, LBs, tags",
              a["desiredCount"] == 7 and a["deploymentController"][
                  "type"] == "CODE_DEPLOY" and a["loadBalancers"] == [] and
              a["tags"] == [{"key": "owner", "value": "other"}], a)
        gid = st0["ec2"]["securityGroups"][0]["GroupId"]
        post_json(aws + "/_f2o/mutate", {
            "action": "sg_rules", "groupId": gid, "authorizeIngress": [{
                "IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222,
                "IpRanges": [{"CidrIp": "192.0.2.0/24"}]}]})
        gs = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"]
        check("mutate sg_rules: the rule is there", any(
            x.get("FromPort") == 2222 for x in gs[0]["IpPermissions"]), gs)
        post_json(aws + "/_f2o/mutate", {"action": "delete_service",
                                         "cluster": "shop",
                                         "service": "worker"})
        w = ecs.describe_services(cluster="shop", services=["worker"])[
            "services"][0]
        check("mutate delete_service: DRAINING", w["status"] == "DRAINING")
        for stt in ("INACTIVE", "MISSING"):
            post_json(aws + "/_f2o/mutate", {"action": "cluster_status",
                                             "cluster": "shop",
                                             "status": stt})
            d = ecs.describe_clusters(clusters=["shop", "nope"])
            if stt == "INACTIVE":
                c, _, _ = code_of(ecs.describe_services, cluster="shop",
                                  services=["web"])
                check("cluster INACTIVE: described INACTIVE, other calls "
                      "ClusterNotFoundException", d["clusters"][0][
                          "status"] == "INACTIVE" and
                      c == "ClusterNotFoundException", (d, c))
            else:
                check("cluster MISSING: failures[] MISSING",
                      d["clusters"][1:] == [] and
                      [f["reason"] for f in d["failures"]] ==
                      ["MISSING"] and d["failures"][0]["arn"].endswith(
                          ":cluster/shop"), d)
        post_json(aws + "/_f2o/mutate", {"action": "cluster_status",
                                         "cluster": "shop",
                                         "status": "ACTIVE"})
        d = ecs.describe_clusters(clusters=["shop"])
        check("cluster back ACTIVE", d["clusters"][0]["status"] == "ACTIVE")
        st1 = get_state(aws)
        check("mutations are not creations nor client writes",
              st1["created"] == st0["created"] and
              st1["requests"]["writes"] == st0["requests"]["writes"] and
              st1["requests"]["writesByOperation"] == {} and
              len(st1["mutations"]) == 7, (st1["created"],
                                           st1["requests"]["writes"]))
        check("reads counted", st1["requests"]["reads"] >
              st0["requests"]["reads"] >= 1)
        try:
            post_json(aws + "/_f2o/mutate", {"action": "nope"})
            bad = False
        except urllib.error.HTTPError as e:
            bad = e.code == 400
        check("mutate unknown action -> 400", bad)
        ecs.tag_resource(resourceArn=svc["serviceArn"],
                         tags=[{"key": "k", "value": "v"}])
        st, env, _ = spot_req(sp, "GET", "/ocean/aws/ecs/cluster",
                              token="bad")
        st2 = get_state(aws)
        check("a write is counted by operation; Spot list with a bad "
              "token -> 401 UNAUTHORIZED, counted as a read",
              st2["requests"]["writesByOperation"] ==
              {"ecs:TagResource": 1} and st == 401 and
              env["response"]["errors"][0]["code"] == "UNAUTHORIZED" and
              st2["requests"]["reads"] == st1["requests"]["reads"] + 1,
              (st2["requests"]["writesByOperation"], env))
    finally:
        stop_peer(p)


def main():
    # SIGTERM (tests/run.sh stopped) unwinds: the peers are stopped in the
    # finally blocks and the temporary directory is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="f2o-peer-") as tmp:
        # the peers forked by one factory (zygote.py), as in the exec
        # tests: the run's (tests/run.sh) when there is one, else its own
        z = os.environ.get("F2O_PEER_ZYGOTE", "0")
        zyg = None if z != "0" and os.path.exists(z) else start_zygote(tmp)
        try:
            run(tmp)
        finally:
            if zyg is not None:
                stop_zygote(zyg)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def run(tmp):
    ports = start_peer(tmp, "--seed", os.path.join(ROOT, "fixtures", "demo"))
    try:
        ecs, ec2, gid = test_ecs_ec2(ports)
        test_auth(ports)
        test_spot(ports)
        test_faults(ports, ecs, ec2)
        test_rollback(ports, ecs, gid)
        test_keepalive_latency(ports, ecs)
        test_concurrency(ports)
        st = get_state(ports["spot"])
        check("state on the spot port too", "ecs" in st and
              st["requests"]["total"] > 10)
    finally:
        p = ports["proc"]
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = None
    check("SIGTERM exits 0", rc == 0, rc)
    ok = False
    if os.path.exists(ports["statefile"]):
        with open(ports["statefile"]) as f:
            ok = "created" in json.load(f)
    check("state dumped on SIGTERM", ok)
    test_session_token(tmp)
    test_clock_offset(tmp)
    test_refuse_and_drop_after(tmp)
    test_consistency(tmp)
    test_ocean_instances(tmp)
    test_ocean_teardown(tmp)
    test_diagnostics(tmp)
    test_mutate(tmp)
    test_max_seconds(tmp)
    test_validate_bundle()


if __name__ == "__main__":
    sys.exit(main())
