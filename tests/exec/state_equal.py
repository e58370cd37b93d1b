#!/usr/bin/python3
"""Compare two states of tests/peers/peer.py (GET /_f2o/state) up to the
ids the peer hands out: same services (status, counts, task definition),
same task definition revisions, same security groups and rules, same
Ocean clusters and launch specs, and nothing created more than once.

    state_equal.py REFERENCE.json GOT.json [LABEL]

Prints "ok ..." / "FAIL ..." lines; exits 1 on a difference. Used by
tests/exec/kill_test.sh and fault_test.sh.
"""
import json
import re
import sys


def norm(s):
    gname = {g["GroupId"]: g["GroupName"] for g in s["ec2"]["securityGroups"]}
    oname = {c["id"]: c.get("name") for c in s["spot"]["clusters"]}

    def g(x):
        return gname.get(x, x)

    def o(x):
        return oname.get(x, x)
    svcs = sorted((x["cluster"], x["service"]["serviceName"],
                   x["service"]["status"], x["service"].get("desiredCount"),
                   x["service"].get("runningCount"),
                   x["service"].get("taskDefinition"),
                   len(x["service"].get("deployments", [])))
                  for x in s["ecs"]["services"])
    tds = sorted((t["family"], t["revision"], t.get("status"))
                 for t in s["ecs"]["taskDefinitions"])
    groups = sorted((x["GroupName"], x["VpcId"])
                    for x in s["ec2"]["securityGroups"])
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items()
                    if k not in ("SecurityGroupRuleId",
                                 "SecurityGroupRuleArn")}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return g(v) if isinstance(v, str) else v
    rules = sorted(json.dumps(strip(r), sort_keys=True, default=str)
                   for r in s["ec2"]["securityGroupRules"])
    clusters = sorted((c.get("name"), c.get("clusterName"), c.get("region"))
                      for c in s["spot"]["clusters"])
    lss = sorted((x.get("name"), o(x.get("oceanId")))
                 for x in s["spot"]["launchSpecs"])
    created = {}
    for k, v in s["created"].items():
        m = re.match(r"^spot:launchSpec:([^/]+)/(.*)$", k)
        if m:
            k = "spot:launchSpec:%s/%s" % (o(m.group(1)), m.group(2))
        created[k] = v
    return {"services": svcs, "taskDefinitions": tds, "groups": groups,
            "rules": rules, "clusters": clusters, "launchSpecs": lss,
            "created": created}


def main(argv):
    with open(argv[1]) as f:
        ref = norm(json.load(f))
    with open(argv[2]) as f:
        got = norm(json.load(f))
    label = argv[3] if len(argv) > 3 else ""
    fails = 0
    for k in ref:
        if ref[k] == got[k]:
            print("ok   %s%s equal to the uninterrupted run" % (label, k))
        else:
            fails += 1
            print("FAIL %s%s differ from the uninterrupted run" % (label, k))
            a, b = ref[k], got[k]
            if isinstance(a, dict):
                for x in sorted(set(a) | set(b)):
                    if a.get(x) != b.get(x):
                        print("    %s: %s vs %s" % (x, a.get(x), b.get(x)))
            else:
                for x in a:
                    if x not in b:
                        print("    only in reference: %s" % (x,))
                for x in b:
                    if x not in a:
                        print("    only in this run:  %s" % (x,))
    twice = sorted(k for k, v in got["created"].items() if v != 1)
    if twice:
        fails += 1
        print("FAIL %screated more than once: %s" % (label, twice))
    else:
        print("ok   %snothing created twice (%d creations)"
              % (label, len(got["created"])))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
