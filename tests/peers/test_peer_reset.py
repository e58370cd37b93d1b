#!/usr/bin/python3
"""Self-test of peer.py's POST /_f2o/reset: after services, task
definitions, security groups, an Ocean cluster, faults and a mutation,
a reset gives back the state of a freshly started peer (seeded again,
counters, traffic and ids from zero) on the same ports, with the faults
and timing knobs it names; a bad body is refused and changes nothing.
Ends with "N passed, N failed"; exit 1 on any failure.

    /usr/bin/python3 tests/peers/test_peer_reset.py
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_peer as tp  # noqa: E402


def post(url, body):
    """(status, answer) of a control POST with a raw body."""
    req = urllib.request.Request(url, data=body.encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def view(st):
    """What a reset must give back: the state without wall-clock times."""
    svcs = sorted((x["cluster"], x["service"]["serviceName"],
                   x["service"]["status"], x["service"].get("desiredCount"),
                   x["service"].get("runningCount"),
                   x["service"].get("taskDefinition"))
                  for x in st["ecs"]["services"])
    tds = sorted((t["family"], t["revision"], t.get("status"))
                 for t in st["ecs"]["taskDefinitions"])
    groups = sorted((g["GroupId"], g["GroupName"])
                    for g in st["ec2"]["securityGroups"])
    ident = sorted((k, v["monitored"], v["serving"], len(v["gaps"]))
                   for k, v in st["traffic"].items())
    return {"services": svcs, "taskDefinitions": tds, "groups": groups,
            "clusters": st["spot"]["clusters"],
            "launchSpecs": st["spot"]["launchSpecs"],
            "created": st["created"], "requests": st["requests"]["total"],
            "mutations": len(st.get("mutations", [])), "traffic": ident}


def scribble(ports):
    """Change everything a kill test's case changes."""
    s = tp.session()
    ecs = tp.client(s, "ecs", ports["aws"])
    ec2 = tp.client(s, "ec2", ports["aws"])
    ecs.register_task_definition(**tp.TD)
    gid = ec2.create_security_group(GroupName="web-ec2", Description="x",
                                    VpcId="vpc-1")["GroupId"]
    ecs.create_service(cluster="shop", serviceName="web-ec2",
                       taskDefinition="web:1", desiredCount=1,
                       launchType="EC2", networkConfiguration={
                           "awsvpcConfiguration": {
                               "subnets": ["subnet-1"],
                               "securityGroups": [gid],
                               "assignPublicIp": "DISABLED"}})
    ecs.update_service(cluster="shop", service="web", desiredCount=0)
    st, _, _ = tp.spot_req(ports["spot"], "POST", "/ocean/aws/ecs/cluster",
                           tp.CLUSTER)
    tp.post_json(ports["aws"] + "/_f2o/faults",
                 {"rate": 1, "kinds": ["throttle"], "targets": ["spot"]})
    tp.post_json(ports["aws"] + "/_f2o/mutate", {
        "action": "update_service", "cluster": "shop", "service": "api",
        "desiredCount": 5})
    return ecs, st


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="f2o-reset-") as tmp:
        ports = tp.start_peer(tmp, "--seed", os.path.join(
            tp.ROOT, "fixtures", "demo"))
        try:
            run(ports)
        finally:
            p = ports["proc"]
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
    print("%d passed, %d failed" % (tp.passed, tp.failed))
    return 1 if tp.failed else 0


def run(ports):
    aws = ports["aws"]
    fresh = view(tp.get_state(aws))
    tp.check("seeded peer: services and traffic identities to compare",
             fresh["services"] and fresh["traffic"] and
             fresh["created"] == {}, fresh)
    ecs, spot_status = scribble(ports)
    dirty = view(tp.get_state(aws))
    tp.check("the peer changed (service, group, cluster, counts)",
             spot_status == 200 and dirty != fresh and
             dirty["created"] and dirty["clusters"] and
             dirty["mutations"] == 1, dirty)

    # refused bodies change nothing
    for body, what in (("[]", "not an object"),
                       ('{"bogus": 1}', "unknown key"),
                       ('{"drain_seconds": -1}', "negative seconds"),
                       ('{"stable_seconds": null}', "null stable_seconds"),
                       ('{"drain_seconds": true}', "boolean seconds"),
                       ('{"faults": {"kinds": ["nope"]}}', "bad faults"),
                       ("{", "not JSON")):
        st, ans = post(aws + "/_f2o/reset", body)
        tp.check("reset refuses %s (400), nothing reset" % what,
                 st == 400 and "error" in ans and
                 view(tp.get_state(aws))["created"] == dirty["created"],
                 (st, ans))

    st, ans = post(ports["spot"] + "/_f2o/reset", json.dumps({
        "drain_seconds": 0, "faults": {"rate": 1, "kinds": ["throttle"],
                                       "targets": ["ec2"]}}))
    tp.check("reset answers 200 with its faults and knobs",
             st == 200 and ans.get("reset") is True and
             ans["faults"]["targets"] == ["ec2"] and
             ans["knobs"]["drain_seconds"] == 0 and
             ans["knobs"]["stable_seconds"] == 0.3, ans)
    again = view(tp.get_state(aws))
    tp.check("after reset: the state of a freshly started peer", again ==
             fresh, json.dumps({k: (fresh[k], again[k]) for k in fresh
                                if fresh[k] != again[k]})[:2000])

    # the same ports serve the new state; ids start over as in a new peer
    s = tp.session()
    ec2 = tp.client(s, "ec2", aws)
    c, code, _ = tp.code_of(ec2.describe_security_groups)
    tp.check("faults of the reset apply (ec2 throttled)",
             c == "RequestLimitExceeded" and code == 503, (c, code))
    st, env, _ = tp.spot_req(ports["spot"], "POST",
                             "/ocean/aws/ecs/cluster", tp.CLUSTER)
    tp.check("faults of before the reset are gone (spot answers)",
             st == 200, env)
    td = ecs.register_task_definition(**tp.TD)["taskDefinition"]
    tp.check("task definition revisions start over", td["revision"] == 1,
             td["revision"])
    ecs.update_service(cluster="shop", service="web", desiredCount=0)
    d = ecs.delete_service(cluster="shop", service="web")["service"]
    got = ecs.describe_services(cluster="shop", services=["web"])
    tp.check("knob of the reset applies (drain 0: INACTIVE at once)",
             d["status"] == "DRAINING" and
             got["services"][0]["status"] == "INACTIVE", got["services"])

    st, ans = post(aws + "/_f2o/reset", "")
    tp.check("an empty reset keeps the knobs, clears the faults",
             st == 200 and ans["faults"]["rate"] == 0 and
             ans["knobs"]["drain_seconds"] == 0, ans)
    c, code, _ = tp.code_of(ec2.describe_security_groups)
    tp.check("no fault after an empty reset", c is None and code == 200, c)
    tp.check("and the state is the fresh one again",
             view(tp.get_state(aws))["services"] == fresh["services"])


if __name__ == "__main__":
    sys.exit(main())
