#!/usr/bin/python3
"""A small reference replayer of a bundle's phases, in Python, for the
peers' self-tests (tests/peers/test_traffic.py): it lets the traffic
monitor and tests/tools/cutover_check.py be tested without f2o-exec. It is
not f2o-exec and is not used by the exec tests.

    replay_plan.py BUNDLE AWS_URL SPOT_URL --phase P --done FILE
        [--interval 0.2] [--attempts 150]

Steps of phase P run one at a time in plan order; FILE (JSON, created if
absent) holds the done steps and their outputs across invocations. A step
runs after its "after" steps are done; a failed step blocks only the steps
after it. cutover needs every import step done. rollback runs a step only
when its "undoes" step is done; in rollback a delete or scale-down that
finds the service already gone (ServiceNotFoundException,
ServiceNotActiveException, MISSING/INACTIVE/DRAINING for a wait on a
service being removed) and a Spot/EC2 delete of an unknown id count as
done. Prints one line per step; exit 0 when every runnable step is done,
1 otherwise. Only 127.0.0.1 URLs are accepted.
"""
import argparse
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from validate_bundle import Bundle  # noqa: E402

import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402
import botocore.session  # noqa: E402

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AK = "AKIAF2OTESTKEY000001"
SK = "f2o/test/secret/key/not/a/real/one/0000"
TOKEN = "f2o-test-spot-token"
ACCOUNT = "act-f2o00001"
GONE = ("ServiceNotFoundException", "ServiceNotActiveException",
        "InvalidGroup.NotFound", "CANT_GET_OCEAN_CLUSTER",
        "CANT_GET_OCEAN_ECS_LAUNCH_SPEC", "ObjectNotFoundException")
# Application Auto Scaling and CloudWatch steps: botocore client names.
AAS_APIS = {"application-autoscaling": "application-autoscaling",
            "cloudwatch": "cloudwatch"}


class StepError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, "%s: %s" % (code, message))
        self.code = code


def local(url):
    u = urllib.parse.urlsplit(url)
    if u.hostname != "127.0.0.1":
        raise SystemExit("replay_plan: only 127.0.0.1 URLs: %s" % url)
    return url.rstrip("/")


class Replayer:
    def __init__(self, a):
        self.b = Bundle(a.bundle)
        self.plan = json.loads(self.b.read("plan.json"))
        self.aws, self.spot = local(a.aws), local(a.spot)
        self.interval, self.attempts = a.interval, a.attempts
        self.done_path = a.done
        self.st = {"done": [], "outputs": {}}
        if os.path.exists(a.done):
            with open(a.done, encoding="utf-8") as f:
                self.st = json.load(f)
        s = botocore.session.get_session()
        s.get_component("data_loader").search_paths.insert(
            0, os.path.join(TESTS, "models"))
        # CloudWatch's model lists the CBOR protocol first, which Debian's
        # botocore cannot speak: a copy that says JSON 1.0 comes first.
        self.tmp = tempfile.TemporaryDirectory()
        cw = os.path.join(TESTS, "models", "cloudwatch", "2010-08-01")
        with open(os.path.join(cw, "service-2.json"), encoding="utf-8") as f:
            model = json.load(f)
        model["metadata"]["protocol"] = "json"
        model["metadata"]["protocols"] = ["json"]
        os.makedirs(os.path.join(self.tmp.name, "cloudwatch", "2010-08-01"))
        with open(os.path.join(self.tmp.name, "cloudwatch", "2010-08-01",
                               "service-2.json"), "w", encoding="utf-8") as f:
            json.dump(model, f)
        s.get_component("data_loader").search_paths.insert(0, self.tmp.name)
        s.set_credentials(AK, SK)
        cfg = botocore.config.Config(retries={"total_max_attempts": 3,
                                              "mode": "standard"})
        self.cl = {n: s.create_client(n, region_name="us-east-1",
                                      endpoint_url=self.aws, config=cfg)
                   for n in ("ecs", "ec2") + tuple(AAS_APIS.values())}

    def save(self):
        tmp = self.done_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.st, f)
        os.replace(tmp, self.done_path)

    def resolve(self, node):
        if isinstance(node, dict):
            return {k: self.resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        if isinstance(node, str) and node.startswith("${") and \
                node.endswith("}") and "/" in node and "." in node:
            sid, _, out = node[2:-1].partition(".")
            v = self.st["outputs"].get(sid, {}).get(out)
            if v is None:
                raise StepError("InvalidRequest", "%s has no output %s"
                                % (sid, out))
            return v
        return node

    @staticmethod
    def path(doc, p):
        for part in p.split("."):
            if isinstance(doc, list) and part.isdigit():
                doc = doc[int(part)] if int(part) < len(doc) else None
            elif isinstance(doc, dict):
                if part not in doc and part[:1].upper() + part[1:] in doc:
                    part = part[:1].upper() + part[1:]  # EC2 via botocore
                doc = doc.get(part)
            else:
                return None
        return doc

    def aws_call(self, api, op, params):
        try:
            return self.cl[api]._make_api_call(op, params)
        except botocore.exceptions.ClientError as e:
            raise StepError(e.response["Error"]["Code"],
                            e.response["Error"].get("Message", ""))

    def spot_call(self, method, path, body=None, query=""):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request("%s%s?accountId=%s%s" % (
            self.spot, path, ACCOUNT, query), data=data, method=method)
        req.add_header("Authorization", "Bearer " + TOKEN)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)["response"]
        except urllib.error.HTTPError as e:
            err = (json.load(e)["response"].get("errors") or [{}])[0]
            raise StepError(err.get("code", str(e.code)),
                            err.get("message", ""))

    def wait(self, req, inactive):
        for _ in range(self.attempts):
            out = self.aws_call("ecs", "DescribeServices", req)
            if any(f.get("reason") == "MISSING" for f in out["failures"]):
                raise StepError("MISSING", "service missing")
            sts = [s["status"] for s in out["services"]]
            if inactive:
                if "INACTIVE" in sts:
                    return
            else:
                if "DRAINING" in sts or "INACTIVE" in sts:
                    raise StepError("NotActive", ",".join(sts))
                if all(len(s["deployments"]) == 1 and
                       s["runningCount"] == s["desiredCount"]
                       for s in out["services"]):
                    return
            time.sleep(self.interval)
        raise StepError("Timeout", "waited %d times" % self.attempts)

    def wait_instances(self, req):
        """ListContainerInstances (req, every page) until it lists
        nothing."""
        for _ in range(self.attempts):
            arns, q = [], dict(req)
            for _ in range(100):
                out = self.aws_call("ecs", "ListContainerInstances", q)
                arns += out.get("containerInstanceArns") or []
                if not out.get("nextToken"):
                    break
                q["nextToken"] = out["nextToken"]
            if not arns:
                return
            time.sleep(self.interval)
        raise StepError("Timeout", "waited %d times" % self.attempts)

    def send(self, st, phase):
        act = st["action"]
        req = json.loads(self.b.read(st["request"])) if st.get("request") \
            else {}
        req = self.resolve(req)
        api, _, op = act.partition(":")
        removing = phase == "rollback"
        try:
            if act == "wait:ServicesStable":
                self.wait(req, False)
                return {}
            if act == "wait:ServicesInactive":
                self.wait(req, True)
                return {}
            if api in ("ecs", "ec2"):
                return self.aws_call(api, op, req)
            if api in AAS_APIS:
                return self.aws_call(AAS_APIS[api], op, req)
            if act == "spot:CreateOceanCluster":
                return self.spot_call("POST", "/ocean/aws/ecs/cluster", req)
            if act == "spot:CreateOceanLaunchSpec":
                return self.spot_call("POST", "/ocean/aws/ecs/launchSpec",
                                      req)
            if act == "wait:ContainerInstancesGone":
                self.wait_instances(req)
                return {}
            if act == "spot:DeleteOceanLaunchSpec":
                q = ""
                if "deleteContainerInstances" in req:
                    q = "&deleteContainerInstances=%s" % (
                        "true" if req["deleteContainerInstances"] else
                        "false")
                return self.spot_call("DELETE", "/ocean/aws/ecs/launchSpec/"
                                      + req["launchSpecId"], query=q)
            if act == "spot:DeleteOceanCluster":
                return self.spot_call("DELETE", "/ocean/aws/ecs/cluster/"
                                      + req["oceanId"])
        except StepError as e:
            gone = e.code in GONE or (act.startswith("wait:") and
                                      e.code in ("MISSING", "NotActive"))
            if removing and gone and not act.endswith("CreateService"):
                return {}
            raise
        raise StepError("Unsupported", act)

    def run(self, phase):
        steps = [s for s in self.plan["steps"] if s["phase"] == phase]
        done = set(self.st["done"])
        if phase == "cutover":
            imp = [s["id"] for s in self.plan["steps"]
                   if s["phase"] == "import"]
            if not all(i in done for i in imp):
                print("refused: the import phase is not done")
                return 1
        failed = set()
        rc = 0
        for st in steps:
            sid = st["id"]
            if sid in done:
                print("done    %s" % sid)
                continue
            if phase == "rollback" and st.get("undoes") and \
                    st["undoes"] not in done:
                print("skip    %s (undoes %s: not done)" % (sid,
                                                           st["undoes"]))
                continue
            if any(a in failed for a in st.get("after") or []):
                print("blocked %s" % sid)
                failed.add(sid)
                rc = 1
                continue
            try:
                out = self.send(st, phase)
            except StepError as e:
                print("failed  %s %s %s" % (sid, st["action"], e))
                failed.add(sid)
                rc = 1
                continue
            if st["action"].startswith("spot:") and out:
                out = (out.get("items") or [{}])[0]
            self.st["outputs"][sid] = {
                k: self.path(out, p) for k, p in (st.get("outputs") or
                                                  {}).items()}
            done.add(sid)
            self.st["done"].append(sid)
            self.save()
            print("ok      %s %s" % (sid, st["action"]))
        return rc


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("bundle")
    ap.add_argument("aws")
    ap.add_argument("spot")
    ap.add_argument("--phase", required=True,
                    choices=("import", "cutover", "rollback"))
    ap.add_argument("--done", required=True)
    ap.add_argument("--interval", type=float, default=0.2)
    ap.add_argument("--attempts", type=int, default=150)
    a = ap.parse_args(argv[1:])
    return Replayer(a).run(a.phase)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
