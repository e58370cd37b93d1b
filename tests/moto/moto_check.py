#!/usr/bin/env python3
# What moto holds, read back with boto3, and checks of it against a bundle,
# for tests/exec/moto_test.sh. Run with the Python that has boto3 and moto.
#
#   moto_check.py snap URL OUT.json        ECS services (cluster shop), task
#                                          definitions, EC2 security groups
#   moto_check.py import BUNDLE SNAP.json  f2o's import phase is in moto
#   moto_check.py same SNAP1 SNAP2 [--tds-may-grow]
#                                          nothing created twice or replaced
#   moto_check.py cutover BUNDLE SNAP.json the originals run on EC2, copies gone
#   moto_check.py rollback BUNDLE SNAP.json FIRST.json
#                                          the originals are back on Fargate,
#                                          f2o's services, group and task
#                                          definitions (FIRST: after import) gone
#   moto_check.py sts URL                  GetCallerIdentity answers
# Each check prints "ok   ..." / "FAIL ..." lines (counted by the caller).
import json
import os
import re
import sys

REGION = "us-east-1"
CLUSTER = "shop"


def client(url, name):
    import boto3  # only where moto is read: the checks need no boto3
    return boto3.client(name, endpoint_url=url, region_name=REGION,
                        aws_access_key_id="AKIAF2OTESTKEY000001",
                        aws_secret_access_key="f2o/test/secret/key/not/a/real/one/0000")


def snap(url, out):
    ecs, ec2 = client(url, "ecs"), client(url, "ec2")
    s = {"services": {}, "taskDefinitions": {}, "securityGroups": []}
    arns = ecs.list_services(cluster=CLUSTER)["serviceArns"]
    for i in range(0, len(arns), 10):
        for v in ecs.describe_services(cluster=CLUSTER, services=arns[i:i + 10],
                                       include=["TAGS"])["services"]:
            s["services"][v["serviceName"]] = {
                k: v.get(k) for k in ("status", "launchType", "desiredCount",
                                      "runningCount", "taskDefinition", "serviceArn",
                                      "networkConfiguration", "tags",
                                      "capacityProviderStrategy")}
            s["services"][v["serviceName"]]["createdAt"] = str(v.get("createdAt"))
            s["services"][v["serviceName"]]["deployments"] = [
                d.get("id") for d in v.get("deployments", [])]
    for arn in ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"]:
        fam, rev = arn.split("/")[-1].rsplit(":", 1)
        s["taskDefinitions"][arn] = {"family": fam, "revision": int(rev),
                                     "status": "INACTIVE", "tags": []}
    for st in ("ACTIVE",):
        for arn in ecs.list_task_definitions(status=st)["taskDefinitionArns"]:
            d = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
            td = d["taskDefinition"]
            s["taskDefinitions"][arn] = {
                "family": td["family"], "revision": td["revision"],
                "status": td.get("status", st),
                "requiresCompatibilities": td.get("requiresCompatibilities"),
                "networkMode": td.get("networkMode"), "cpu": td.get("cpu"),
                "memory": td.get("memory"), "tags": d.get("tags", [])}
    for g in ec2.describe_security_groups()["SecurityGroups"]:
        s["securityGroups"].append({k: g.get(k) for k in (
            "GroupId", "GroupName", "VpcId", "IpPermissions",
            "IpPermissionsEgress", "Tags")})
    json.dump(s, open(out, "w"), indent=1, sort_keys=True, default=str)


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, cond, what, detail=""):
        if cond:
            print("ok   " + what)
        else:
            self.failed += 1
            print("FAIL " + what + (": " + detail if detail else ""))


def load_bundle(b):
    plan = json.load(open(os.path.join(b, "plan.json")))
    reqs = {}
    for st in plan["steps"]:
        p = os.path.join(b, "requests", st["id"] + ".json")
        if os.path.exists(p):
            reqs[st["id"]] = json.load(open(p))
    # desiredCount "${live/NAME.desiredCount}" is read live by the plan's
    # live/ step; nothing scales a service in moto, so the live value is the
    # exported one, which that step's title gives ("export had N").
    had = {}
    for st in plan["steps"]:
        m = re.search(r"export had (\d+)", st.get("title", ""))
        if st["action"] == "ecs:DescribeServices" and m:
            had[st["id"]] = int(m.group(1))
    for r in reqs.values():
        dc = r.get("desiredCount") if isinstance(r, dict) else None
        m = re.match(r"^\$\{(live/[^.]+)\.desiredCount\}$", dc) if isinstance(dc, str) else None
        if m and m.group(1) in had:
            r["desiredCount"] = had[m.group(1)]
    return plan, reqs


def tag(tags, key):
    for t in tags or []:
        if t.get("key", t.get("Key")) == key:
            return t.get("value", t.get("Value"))
    return None


def rules(perms, self_id):
    """IpPermissions -> a set of comparable single rules."""
    out = set()
    for p in perms or []:
        base = (p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges") or []:
            out.add(base + ("cidr", r["CidrIp"]))
        for r in p.get("Ipv6Ranges") or []:
            out.add(base + ("cidr6", r["CidrIpv6"]))
        for r in p.get("PrefixListIds") or []:
            out.add(base + ("pl", r["PrefixListId"]))
        for r in p.get("UserIdGroupPairs") or []:
            gid = r["GroupId"]
            out.add(base + ("sg", self_id if gid.startswith("${") else gid))
    return out


def f2o_tds(s, family):
    return [a for a, t in s["taskDefinitions"].items()
            if t["family"] == family and t["status"] == "ACTIVE"
            and tag(t["tags"], "f2o:content")]


def check_import(bundle, snapfile):
    c = Checks()
    plan, reqs = load_bundle(bundle)
    s = json.load(open(snapfile))
    sgreq = reqs["sg/instances"]
    groups = [g for g in s["securityGroups"] if g["GroupName"] == sgreq["GroupName"]]
    c.check(len(groups) == 1, "one security group %s in moto" % sgreq["GroupName"],
            "%d" % len(groups))
    gid = groups[0]["GroupId"] if groups else None
    if groups:
        g = groups[0]
        c.check(g["VpcId"] == sgreq["VpcId"], "merged group in VPC %s" % sgreq["VpcId"],
                str(g["VpcId"]))
        c.check(tag(g["Tags"], "f2o:bundle-id") is not None, "merged group tagged f2o:bundle-id")
        want_in, want_out = set(), {("-1", None, None, "cidr", "0.0.0.0/0")}
        for sid, r in reqs.items():
            if sid.startswith("sg/instances:ingress"):
                want_in |= rules(r["IpPermissions"], gid)
            if sid.startswith("sg/instances:egress"):
                want_out |= rules(r["IpPermissions"], gid)
        have_in = rules(g["IpPermissions"], gid)
        have_out = rules(g["IpPermissionsEgress"], gid)
        c.check(have_in == want_in, "merged group: %d ingress rules as in the bundle"
                % len(want_in), "missing %s, extra %s" % (sorted(want_in - have_in, key=str),
                                                          sorted(have_in - want_in, key=str)))
        c.check(have_out == want_out, "merged group: %d egress rules (bundle + default "
                "allow-all IPv4)" % len(want_out),
                "missing %s, extra %s" % (sorted(want_out - have_out, key=str),
                                          sorted(have_out - want_out, key=str)))
    tdarn = {}
    for sid, r in reqs.items():
        st = next(x for x in plan["steps"] if x["id"] == sid)
        if st["action"] != "ecs:RegisterTaskDefinition":
            continue
        arns = f2o_tds(s, r["family"])
        c.check(len(arns) == 1, "%s: one f2o revision of %s" % (sid, r["family"]),
                str(arns))
        if arns:
            t = s["taskDefinitions"][arns[0]]
            tdarn[sid] = arns[0]
            c.check("EC2" in (t["requiresCompatibilities"] or []),
                    "%s: revision %d requires EC2" % (sid, t["revision"]),
                    str(t["requiresCompatibilities"]))
            c.check(t["networkMode"] == r.get("networkMode"),
                    "%s: networkMode %s" % (sid, r.get("networkMode")), str(t["networkMode"]))
            c.check(tag(t["tags"], "f2o:content") == tag(r.get("tags"), "f2o:content"),
                    "%s: f2o:content tag as in the bundle" % sid)
    for st in plan["steps"]:
        if st["phase"] != "import" or st["action"] != "ecs:CreateService":
            continue
        r = reqs[st["id"]]
        v = s["services"].get(r["serviceName"])
        c.check(v is not None and v["status"] == "ACTIVE",
                "%s: %s ACTIVE in moto" % (st["id"], r["serviceName"]))
        if v is None:
            continue
        c.check(v["launchType"] == r.get("launchType"),
                "%s: launchType %s" % (st["id"], r.get("launchType")), str(v["launchType"]))
        c.check(v["desiredCount"] == r["desiredCount"],
                "%s: desiredCount %d" % (st["id"], r["desiredCount"]), str(v["desiredCount"]))
        want_td = tdarn.get(r["taskDefinition"][2:].split(".")[0])
        c.check(want_td is not None and v["taskDefinition"] == want_td,
                "%s: task definition %s" % (st["id"], want_td), str(v["taskDefinition"]))
        nc = (v["networkConfiguration"] or {}).get("awsvpcConfiguration", {})
        rnc = r["networkConfiguration"]["awsvpcConfiguration"]
        c.check(nc.get("subnets") == rnc["subnets"], "%s: subnets as the original's" % st["id"],
                str(nc.get("subnets")))
        # awsvpc tasks keep their own groups; the merged one is the instances'
        c.check(nc.get("securityGroups") == rnc["securityGroups"] and gid not in
                rnc["securityGroups"], "%s: the original's task security groups"
                % st["id"], str(nc.get("securityGroups")))
        c.check(nc.get("assignPublicIp") == rnc.get("assignPublicIp"),
                "%s: assignPublicIp %s" % (st["id"], rnc.get("assignPublicIp")),
                str(nc.get("assignPublicIp")))
        c.check(tag(v["tags"], "f2o:bundle-id") is not None,
                "%s: tagged f2o:bundle-id" % st["id"], str(v["tags"]))
    return c.failed


def check_same(a, b, tds_may_grow=False):
    c = Checks()
    s1, s2 = json.load(open(a)), json.load(open(b))
    new = sorted(set(s2["taskDefinitions"]) - set(s1["taskDefinitions"]))
    if not tds_may_grow:
        c.check(not new, "no task definition revision registered again", str(new))
    else:
        # Without a journal f2o registers again (a revision is inert): at
        # most one new revision per family f2o registered, same content.
        fams = {}
        for arn in new:
            t = s2["taskDefinitions"][arn]
            old = f2o_tds(s1, t["family"])
            ok = len(old) == 1 and tag(t["tags"], "f2o:content") == \
                tag(s1["taskDefinitions"][old[0]]["tags"], "f2o:content")
            fams[t["family"]] = fams.get(t["family"], 0) + (1 if ok else 100)
        c.check(all(n == 1 for n in fams.values()),
                "without a journal: %d task definition(s) registered again, one per "
                "f2o family, same f2o:content (no look-up before RegisterTaskDefinition)"
                % len(new), str(fams))
    n1 = sorted(g["GroupId"] for g in s1["securityGroups"])
    n2 = sorted(g["GroupId"] for g in s2["securityGroups"])
    c.check(n1 == n2, "no security group created again", str(sorted(set(n2) - set(n1))))
    # moto replaces a service on a second CreateService of the name (real
    # ECS refuses an ACTIVE name): a new deployment id or createdAt shows it.
    for name, v in sorted(s1["services"].items()):
        w = s2["services"].get(name)
        c.check(w is not None and (w["createdAt"], w["deployments"]) ==
                (v["createdAt"], v["deployments"]),
                "service %s not created again" % name)
    g1 = {g["GroupId"]: rules(g["IpPermissions"], None) for g in s1["securityGroups"]}
    g2 = {g["GroupId"]: rules(g["IpPermissions"], None) for g in s2["securityGroups"]}
    c.check(g1 == g2, "no ingress rule added or removed")
    return c.failed


def originals(bundle):
    """The exported services f2o migrates: name -> the Fargate re-creation."""
    plan, reqs = load_bundle(bundle)
    out = {}
    for st in plan["steps"]:
        if st["id"].startswith("rb/") and st["id"].endswith(":fargate") and \
                st["action"] == "ecs:CreateService":
            out[reqs[st["id"]]["serviceName"]] = reqs[st["id"]]
    return plan, reqs, out


def check_cutover(bundle, snapfile):
    c = Checks()
    plan, reqs, orig = originals(bundle)
    s = json.load(open(snapfile))
    for name in sorted(orig):
        v = s["services"].get(name, {})
        cr = reqs.get("cut/%s:create" % name, {})
        c.check(v.get("status") == "ACTIVE" and v.get("launchType") == "EC2",
                "cutover: %s ACTIVE on EC2" % name, "%s %s" % (v.get("status"),
                                                              v.get("launchType")))
        ref = cr.get("taskDefinition", "")[2:].split(".")[0]
        tds = f2o_tds(s, reqs.get(ref, {}).get("family", "?"))
        c.check(v.get("taskDefinition") in tds, "cutover: %s runs f2o's revision" % name,
                str(v.get("taskDefinition")))
        c.check(v.get("desiredCount") == cr.get("desiredCount"),
                "cutover: %s desiredCount %s" % (name, cr.get("desiredCount")),
                str(v.get("desiredCount")))
        cp = s["services"].get("sfm-" + name, {})
        c.check(cp.get("status") == "INACTIVE" and cp.get("desiredCount") == 0,
                "cutover: copy sfm-%s scaled to 0 and deleted" % name, str(cp.get("status")))
    c.check(s["services"].get("legacy-cron", {}).get("status") == "ACTIVE",
            "cutover: legacy-cron left alone")
    return c.failed


def check_rollback(bundle, snapfile, firstfile):
    c = Checks()
    plan, reqs, orig = originals(bundle)
    s = json.load(open(snapfile))
    for name, r in sorted(orig.items()):
        v = s["services"].get(name, {})
        c.check(v.get("status") == "ACTIVE" and v.get("taskDefinition") == r["taskDefinition"]
                and v.get("desiredCount") == r["desiredCount"],
                "rollback: %s ACTIVE on %s, desiredCount %d" % (
                    name, r["taskDefinition"].split("/")[-1], r["desiredCount"]),
                "%s %s %s" % (v.get("status"), v.get("taskDefinition"), v.get("desiredCount")))
        # moto drops capacityProviderStrategy (launchType becomes EC2), so
        # only a launchType re-creation can be checked for Fargate here
        if r.get("launchType"):
            c.check(v.get("launchType") == r["launchType"],
                    "rollback: %s back on launchType %s" % (name, r["launchType"]),
                    str(v.get("launchType")))
        for other in ("sfm-" + name, "f2o-rb-" + name):
            w = s["services"].get(other)
            c.check(w is None or w["status"] == "INACTIVE",
                    "rollback: %s gone" % other, str(w and w["status"]))
    sgname = reqs["sg/instances"]["GroupName"]
    c.check(not [g for g in s["securityGroups"] if g["GroupName"] == sgname],
            "rollback: %s deleted" % sgname)
    first = json.load(open(firstfile))
    mine = [x for x, t in first["taskDefinitions"].items() if tag(t["tags"], "f2o:content")]
    left = [x for x in mine if s["taskDefinitions"].get(x, {}).get("status") != "INACTIVE"]
    c.check(mine and not left, "rollback: the %d task definitions f2o registered "
            "(journal) deregistered" % len(mine), str(left))
    return c.failed


def check_sts(url):
    c = Checks()
    r = client(url, "sts").get_caller_identity()
    c.check(r.get("Account") and r.get("Arn"), "moto STS GetCallerIdentity answers "
            "(Account %s)" % r.get("Account"))
    return c.failed


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "snap":
        snap(a[1], a[2])
        return 0
    fn = {"import": check_import, "same": check_same, "cutover": check_cutover}
    if len(a) == 4 and a[0] == "rollback":
        return 1 if check_rollback(a[1], a[2], a[3]) else 0
    if len(a) == 4 and a[0] == "same" and a[3] == "--tds-may-grow":
        return 1 if check_same(a[1], a[2], True) else 0
    if len(a) == 3 and a[0] in fn:
        return 1 if fn[a[0]](a[1], a[2]) else 0
    if len(a) == 2 and a[0] == "sts":
        return 1 if check_sts(a[1]) else 0
    sys.stderr.write("usage: see the comment at the top\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
