#!/usr/bin/python3
"""Compare the fake peer's state (GET /_f2o/state) with what a bundle's
plan says f2o-exec must have created.

    e2e_check.py expect BUNDLE STATE.json [--phase import]
        every create step of the phase left exactly one resource, services
        are ACTIVE and stable, nothing was created twice
    e2e_check.py same STATE_BEFORE.json STATE_AFTER.json
        a rerun created nothing and changed no resource

Prints "ok ..." / "FAIL ..." lines and exits 1 on a failure. Read-only.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from validate_bundle import Bundle  # noqa: E402

fails = 0


def check(name, cond, detail=""):
    global fails
    if cond:
        print("ok   %s" % name)
    else:
        fails += 1
        print("FAIL %s %s" % (name, detail))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def expect(bundle_path, state, phase):
    b = Bundle(bundle_path)
    plan = json.loads(b.read("plan.json"))
    created = state["created"]
    for k, n in sorted(created.items()):
        check("created once: %s" % k, n == 1, "(%d times)" % n)
    services = {(s["cluster"], s["service"]["serviceName"]): s["service"]
                for s in state["ecs"]["services"]}
    oceans = state["spot"]["clusters"]
    outputs = {}
    for st in plan["steps"]:
        if st.get("phase") != phase or not st.get("request"):
            continue
        req = json.loads(b.read(st["request"]))
        act = st["action"]
        sid = st["id"]
        if act == "ec2:CreateSecurityGroup":
            for g in state["ec2"]["securityGroups"]:
                if g["GroupName"] == req["GroupName"]:
                    outputs[sid] = {"GroupId": g["GroupId"]}
        if act == "ecs:RegisterTaskDefinition":
            fam = req["family"]
            n = sum(v for k, v in created.items()
                    if k.startswith("ecs:taskDefinition:%s:" % fam))
            check("%s: one new revision of %s" % (sid, fam), n == 1,
                  "(%d)" % n)
        elif act == "ecs:CreateService":
            key = (req.get("cluster", "default"), req["serviceName"])
            svc = services.get(key)
            check("%s: service %s/%s exists" % (sid, key[0], key[1]),
                  svc is not None)
            if svc is None:
                continue
            check("%s: ACTIVE" % sid, svc["status"] == "ACTIVE",
                  svc["status"])
            check("%s: launchType as requested" % sid,
                  svc.get("launchType") == req.get("launchType"))
            check("%s: stable" % sid,
                  len(svc["deployments"]) == 1 and
                  svc["runningCount"] == svc["desiredCount"],
                  (svc["runningCount"], svc["desiredCount"]))
            check("%s: created once" % sid,
                  created.get("ecs:service:%s/%s" % key) == 1)
        elif act == "ec2:CreateSecurityGroup":
            gs = [g for g in state["ec2"]["securityGroups"]
                  if g["GroupName"] == req["GroupName"] and
                  (req.get("VpcId") is None or g["VpcId"] == req["VpcId"])]
            check("%s: security group %s exists once" % (sid,
                                                         req["GroupName"]),
                  len(gs) == 1, len(gs))
        elif act in ("ec2:AuthorizeSecurityGroupIngress",
                     "ec2:AuthorizeSecurityGroupEgress",
                     "ec2:RevokeSecurityGroupIngress",
                     "ec2:RevokeSecurityGroupEgress"):
            egress = act.endswith("Egress")
            want = not act.startswith("ec2:Revoke")
            req = _resolve(req, outputs)
            have = {_rule_key(r) for r in state["ec2"]["securityGroupRules"]}
            for key in _perm_keys(req["GroupId"], req.get("IpPermissions")
                                  or [], egress):
                check("%s: rule %s %s" % (sid, "present" if want else
                                          "absent", key),
                      (key in have) == want)
        elif act == "spot:CreateOceanCluster":
            c = req["cluster"]
            hit = [o for o in oceans if o["clusterName"] == c["clusterName"]
                   and o["region"] == c["region"]]
            check("%s: one Ocean cluster for %s/%s" % (
                sid, c["region"], c["clusterName"]), len(hit) == 1, len(hit))
        elif act == "spot:CreateOceanLaunchSpec":
            name = req["launchSpec"]["name"]
            hit = [x for x in state["spot"]["launchSpecs"]
                   if x["name"] == name]
            check("%s: one launch spec %s" % (sid, name), len(hit) == 1,
                  len(hit))
    rejected = ("InvalidSignatureException", "UnrecognizedClientException",
                "ExpiredTokenException", "AuthFailure", "RequestExpired",
                "IncompleteSignature", "MissingAuthenticationToken",
                "ValidationException", "UnknownParameter", "MissingParameter",
                "UNAUTHORIZED", "ValidationError", "SerializationException",
                "UnknownOperationException", "InvalidAction")
    bad = {k: v for k, v in state["requests"].get("errors", {}).items()
           if k.rsplit(" ", 1)[-1].startswith(rejected)}
    check("no request rejected for auth or shape", not bad, bad)


def _resolve(node, outputs):
    """Replace "${STEP.OUTPUT}" by what the state says the step produced."""
    if isinstance(node, dict):
        return {k: _resolve(v, outputs) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, outputs) for v in node]
    if isinstance(node, str) and node.startswith("${") and \
            node.endswith("}") and "." in node:
        sid, _, out = node[2:-1].partition(".")
        return outputs.get(sid, {}).get(out, node)
    return node


PROTO = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}


def _perm_keys(gid, perms, egress):
    keys = []
    for p in perms:
        proto = PROTO.get(str(p.get("IpProtocol")).lower(),
                          str(p.get("IpProtocol")).lower())
        fp, tp = p.get("FromPort", -1), p.get("ToPort", -1)
        if proto not in ("tcp", "udp", "icmp", "icmpv6"):
            fp = tp = -1
        for r in p.get("IpRanges") or []:
            keys.append((gid, egress, proto, fp, tp, r["CidrIp"]))
        for r in p.get("Ipv6Ranges") or []:
            keys.append((gid, egress, proto, fp, tp, r["CidrIpv6"]))
        for r in p.get("PrefixListIds") or []:
            keys.append((gid, egress, proto, fp, tp, r["PrefixListId"]))
        for r in p.get("UserIdGroupPairs") or []:
            keys.append((gid, egress, proto, fp, tp, r.get("GroupId")))
    return keys


def _rule_key(r):
    target = r.get("CidrIpv4") or r.get("CidrIpv6") or \
        r.get("PrefixListId") or (r.get("ReferencedGroupInfo") or {}).get(
            "GroupId")
    return (r["GroupId"], r["IsEgress"], r["IpProtocol"],
            r.get("FromPort", -1), r.get("ToPort", -1), target)


def strip(state):
    """The parts of the state a rerun must not change."""
    out = {"created": state["created"],
           "groups": state["ec2"]["securityGroups"],
           "clusters": state["spot"]["clusters"],
           "launchSpecs": state["spot"]["launchSpecs"],
           "taskdefs": [t["taskDefinitionArn"] for t in
                        state["ecs"]["taskDefinitions"]],
           "services": [(s["cluster"], s["service"]["serviceName"],
                         s["service"]["status"],
                         s["service"]["taskDefinition"],
                         s["service"]["desiredCount"])
                        for s in state["ecs"]["services"]]}
    return out


def same(before, after):
    a, b = strip(before), strip(after)
    for k in a:
        check("rerun changed nothing: %s" % k, a[k] == b[k])


def main(argv):
    if len(argv) >= 4 and argv[1] == "expect":
        phase = argv[5] if len(argv) > 5 and argv[4] == "--phase" \
            else "import"
        expect(argv[2], load(argv[3]), phase)
    elif len(argv) == 4 and argv[1] == "same":
        same(load(argv[2]), load(argv[3]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
