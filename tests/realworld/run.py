#!/usr/bin/python3
"""Real-world corpus test: every file in fixtures/realworld/ either translates
cleanly (and its bundle validates against the AWS models and Spot schemas) or
fails with an error naming the file and the reason, leaving nothing behind.

Each service file is given minimal task definitions for the revisions it
references, and each task-definition file a minimal Fargate service using it,
so that the whole translation runs. Expected outcomes: expected.tsv beside
this file (path, "ok" or "error", substring of the expected message).

Usage: tests/realworld/run.py [F2O_TRANSLATE]   (run from the repo root)
"""
import json, os, subprocess, sys, tempfile

ROOT = os.getcwd()
TRANSLATE = sys.argv[1] if len(sys.argv) > 1 else "./build/f2o-translate"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))
try:
    import validate_bundle
except Exception:  # the validator may not exist in a partial tree
    validate_bundle = None

SG = {"SecurityGroups": [{"GroupId": "sg-0corpus000000001", "GroupName": "corpus",
      "Description": "corpus", "VpcId": "vpc-0corpus00000001", "OwnerId": "123456789012",
      "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                         "IpRanges": [{"CidrIp": "10.0.0.0/8"}], "Ipv6Ranges": [],
                         "PrefixListIds": [], "UserIdGroupPairs": []}],
      "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                               "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]}]}


def walk(o):
    if isinstance(o, dict):
        yield o
        for v in o.values():
            yield from walk(v)
    elif isinstance(o, list):
        for v in o:
            yield from walk(v)


def td_for(ref):
    name = ref.split(":task-definition/")[-1]
    fam, _, rev = name.partition(":")
    td = {"family": fam, "containerDefinitions": [{"name": "app", "image": "corpus/app:1",
          "essential": True}], "requiresCompatibilities": ["FARGATE"],
          "networkMode": "awsvpc", "cpu": "256", "memory": "512"}
    if rev.isdigit():
        td["revision"] = int(rev)
    return td


def companions(path, tmp):
    """Files to translate together with path, plus extra options."""
    extra, files = [], []
    try:
        doc = json.load(open(path, encoding="utf-8"))
    except Exception:
        return files, extra
    if isinstance(doc, dict) and "status_code" in doc and isinstance(doc.get("data"), dict):
        doc = doc["data"]  # recorded boto3 response (cloud-custodian)
    text = json.dumps(doc)
    kind = path.split(os.sep)[-2]
    if kind == "services":
        tds = []
        for o in walk(doc):
            ref = o.get("taskDefinition")
            if isinstance(ref, str) and ("serviceName" in o or "serviceArn" in o):
                tds.append(td_for(ref))
        for i, td in enumerate(tds):
            p = os.path.join(tmp, "td%d.json" % i)
            json.dump(td, open(p, "w"))
            files.append(p)
    elif kind == "taskdefs":
        td = doc.get("taskDefinition", doc) if isinstance(doc, dict) else {}
        fam = td.get("family") if isinstance(td, dict) else None
        if isinstance(fam, str):
            rev = td.get("revision")
            # A service always names a revision (describe-services does);
            # a task definition without one stands for it.
            ref = "%s:%d" % (fam, rev if isinstance(rev, int) else 1)
            # The service lives where the task definition does: f2o
            # refuses a service and cluster of another region than the
            # migration's (and warns about another account).
            part, region, account = "aws", "us-east-1", "123456789012"
            arn = td.get("taskDefinitionArn")
            if isinstance(arn, str) and arn.count(":") >= 5:
                p = arn.split(":")
                part, region, account = p[1] or part, p[3] or region, p[4] or account
            where = "arn:%s:ecs:%s:%s" % (part, region, account)
            svc = {"services": [{"serviceName": "corpus-svc",
                   "serviceArn": where + ":service/corpus/corpus-svc",
                   "clusterArn": where + ":cluster/corpus",
                   "launchType": "FARGATE", "desiredCount": 2, "taskDefinition": ref,
                   "networkConfiguration": {"awsvpcConfiguration": {
                       "subnets": ["subnet-0corpus00000001"], "securityGroups": ["sg-0corpus000000001"],
                       "assignPublicIp": "DISABLED"}}}], "failures": []}
            p = os.path.join(tmp, "svc.json")
            json.dump(svc, open(p, "w"))
            files.append(p)
    elif kind == "securitygroups":
        # Services that use the file's groups (one VPC, 5 groups each, at
        # most 20 services), so the merge runs on real rules.
        groups = [o for o in walk(doc) if isinstance(o.get("GroupId"), str)
                  and "IpPermissions" in o]
        if groups:
            vpc = groups[0].get("VpcId")
            ids = [g["GroupId"] for g in groups if g.get("VpcId") == vpc][:100]
            svcs = []
            for i in range(0, len(ids), 5):
                svcs.append({"serviceName": "corpus-%d" % (i // 5),
                             "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/corpus/corpus-%d" % (i // 5),
                             "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/corpus",
                             "launchType": "FARGATE", "desiredCount": 1, "taskDefinition": "corpus-td:1",
                             "networkConfiguration": {"awsvpcConfiguration": {
                                 "subnets": ["subnet-0corpus00000001"], "securityGroups": ids[i:i + 5],
                                 "assignPublicIp": "DISABLED"}}})
            for name, obj in (("svc.json", {"services": svcs, "failures": []}),
                              ("td.json", td_for("corpus-td:1"))):
                p = os.path.join(tmp, name)
                json.dump(obj, open(p, "w"))
                files.append(p)
    if kind in ("services", "taskdefs"):
        sgs = {o.get("GroupId") for o in walk(doc)} - {None}
        groups = []
        for o in walk(doc):
            for g in (o.get("securityGroups") or []) if isinstance(o.get("securityGroups"), list) else []:
                if isinstance(g, str):
                    groups.append(g)
        sg = json.loads(json.dumps(SG))
        for g in sorted(set(groups)):
            c = dict(sg["SecurityGroups"][0]); c["GroupId"] = g; c["GroupName"] = g
            sg["SecurityGroups"].append(c)
        p = os.path.join(tmp, "sg.json")
        json.dump(sg, open(p, "w"))
        files.append(p)
        if "clusterArn" not in text and '"cluster"' not in text:
            extra += ["--ecs-cluster", "corpus"]
        if "arn:" not in text:
            extra += ["--region", "us-east-1"]
    return files, extra


def main():
    expected = {}
    for line in open(os.path.join(HERE, "expected.tsv"), encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            parts = line.rstrip("\n").split("\t")
            expected[parts[0]] = parts[1:]
    files = []
    for kind in ("services", "taskdefs", "securitygroups"):
        d = os.path.join("fixtures", "realworld", kind)
        if os.path.isdir(d):
            files += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".json"))
    config = os.path.join("fixtures", "demo", "f2o.json")
    passed = failed = 0
    for f in files:
        with tempfile.TemporaryDirectory() as tmp:
            comp, extra = companions(f, tmp)
            out = os.path.join(tmp, "bundle")
            cmd = [TRANSLATE, "--quiet", "--skip-missing-taskdef"] + extra
            if os.path.exists(config):
                cmd += ["--config", config]
            cmd += [f] + comp + ["-o", out]
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            want = expected.get(f)
            problems = []
            if want is None:
                problems.append("no expectation in expected.tsv (exit %d: %s)" %
                                (r.returncode, r.stderr.strip().splitlines()[-2:] if r.stderr else ""))
            elif want[0] == "ok":
                if r.returncode != 0:
                    problems.append("expected success, exit %d: %s" % (r.returncode, r.stderr.strip()))
                elif validate_bundle is not None:
                    problems += validate_bundle.validate(out)
            else:
                if r.returncode != 1:
                    problems.append("expected exit 1, got %d" % r.returncode)
                if f not in r.stderr:
                    problems.append("error does not name the file: %s" % r.stderr.strip())
                if len(want) > 1 and want[1] not in r.stderr:
                    problems.append("error lacks %r: %s" % (want[1], r.stderr.strip()))
                if os.path.exists(out) or any(n.startswith("bundle.tmp") for n in os.listdir(tmp)):
                    problems.append("a (partial) bundle was left behind")
            if problems:
                failed += 1
                print("FAIL %s" % f)
                for p in problems:
                    print("     %s" % p)
            else:
                passed += 1
                print("ok   %s" % f)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
