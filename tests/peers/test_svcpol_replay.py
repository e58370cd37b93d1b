#!/usr/bin/python3
"""A Service Connect server through import, cutover and rollback (issue 15
item 2): the bundle of tests/golden/svc-sc-gap (fixtures/svcpol/sc, with
--accept-discovery-gap) replayed by tests/tools/replay_plan.py against the
loopback peer, whose ECS refuses a second live service claiming the same
discovery name in a namespace. The copy and the rollback's temporary
Fargate service must join as clients only, the EC2 service and the
restored original carry the whole configuration, and the rollback ends in
the exported state. Ends with "N passed, N failed"; exit 1 on any failure.

    /usr/bin/python3 tests/peers/test_svcpol_replay.py
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_peer as tp  # noqa: E402
import test_traffic as tt  # noqa: E402

ROOT, TESTS, DEMO, PY = tt.ROOT, tt.TESTS, tt.DEMO, tt.PY
SC = os.path.join(ROOT, "fixtures", "svcpol", "sc", "services.json")
NS = "arn:aws:servicediscovery:us-east-1:123456789012:namespace/" \
     "ns-shop0000000001"


def seed_dir(tmp):
    """The export the peer starts from: the Service Connect services with
    the demo's task definitions and security groups."""
    d = os.path.join(tmp, "seed")
    os.makedirs(d)
    shutil.copy(SC, os.path.join(d, "services.json"))
    shutil.copy(os.path.join(DEMO, "security-groups.json"), d)
    shutil.copytree(os.path.join(DEMO, "taskdefs"), os.path.join(d,
                                                                 "taskdefs"))
    return d


def sc_of(ecs, name):
    """The Service Connect configuration of name's PRIMARY deployment."""
    svc = ecs.describe_services(cluster="shop", services=[name])[
        "services"][0]
    for d in svc.get("deployments", []):
        if d.get("status") == "PRIMARY":
            return d.get("serviceConnectConfiguration") or {}
    return {}


def translate(tmp):
    tr = shutil.which("f2o-translate", path=os.path.join(ROOT, "build")) \
        or shutil.which("f2o-translate", path=ROOT)
    if tr is None:
        return None
    b = os.path.join(tmp, "bundle")
    args = open(os.path.join(TESTS, "golden", "svc-sc-gap", "args")).read()
    rc = subprocess.call([tr, "--quiet"] + args.split() + ["-o", b],
                         cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    tp.check("translate svc-sc-gap", rc == 0, rc)
    return b if rc == 0 else None


def scenario(tmp, b, stop_before_create):
    """Import, cutover (stopped between the delete of web and its EC2
    re-creation when stop_before_create), rollback: the exported state."""
    tag = "stopped before cut/web:create: " if stop_before_create else ""
    ports = tp.start_peer(tmp, "--seed", seed_dir(tmp),
                          "--drain-seconds", "0.6")
    rp = [PY, os.path.join(TESTS, "tools", "replay_plan.py"), b,
          ports["aws"], ports["spot"], "--done", os.path.join(tmp, "done"),
          "--interval", "0.1"]
    try:
        ecs = tp.client(tp.session(), "ecs", ports["aws"])
        s0 = os.path.join(tmp, "s0.json")
        with open(s0, "w") as f:
            json.dump(tp.get_state(ports["aws"]), f)
        if not stop_before_create:
            # the peer's rule is live: a twin claiming "web" is refused
            code, _, msg = tp.code_of(
                ecs.create_service, cluster="shop", serviceName="twin",
                taskDefinition="shop-web:12", desiredCount=1,
                launchType="FARGATE",
                serviceConnectConfiguration=dict(sc_of(ecs, "web")),
                networkConfiguration=tt.NET)
            tp.check("peer: a twin claiming the discovery name is refused",
                     code == "InvalidParameterException" and
                     "already claimed by service web" in msg, (code, msg))
        rc = tt.run(rp + ["--phase", "import"],
                    os.path.join(tmp, "import.log"))
        tp.check(tag + "import: the copy joins as a client", rc == 0, rc)
        c = sc_of(ecs, "sfm-web")
        tp.check(tag + "copy sfm-web: enabled, no services[]",
                 c.get("enabled") is True and not c.get("services") and
                 c.get("namespace") == NS, c)
        if stop_before_create:
            tp.post_json(ports["aws"] + "/_f2o/faults",
                         {"fail_create": ["web"]})
        rc = tt.run(rp + ["--phase", "cutover"],
                    os.path.join(tmp, "cutover.log"))
        with open(os.path.join(tmp, "cutover.log")) as f:
            log = f.read()
        if stop_before_create:
            tp.check(tag + "the cutover stops at cut/web:create",
                     rc == 1 and "failed  cut/web:create" in log and
                     "ok      cut/web:delete" in log, log[-2000:])
            tp.post_json(ports["aws"] + "/_f2o/faults", {})
        else:
            tp.check("cutover: the EC2 web claims the name", rc == 0, rc)
            c = sc_of(ecs, "web")
            tp.check("EC2 web: the whole configuration",
                     [e.get("discoveryName") for e in c.get("services", [])]
                     == ["web"], c)
        rc = tt.run(rp + ["--phase", "rollback"],
                    os.path.join(tmp, "rollback.log"))
        with open(os.path.join(tmp, "rollback.log")) as f:
            log = f.read()
        tp.check(tag + "rollback: temporary Fargate web a client, the "
                 "original gets the name back", rc == 0, log[-2000:])
        s2 = os.path.join(tmp, "s2.json")
        with open(s2, "w") as f:
            json.dump(tp.get_state(ports["aws"]), f)
        rc, out = tt.checker(["exported", s0, s2], os.path.join(tmp, "e2"))
        tp.check(tag + "after the rollback: the exported state",
                 rc == 0 and "FAIL" not in out, out[-2000:])
        c = sc_of(ecs, "web")
        tp.check(tag + "Fargate web back with its discovery name",
                 [e.get("discoveryName") for e in c.get("services", [])]
                 == ["web"], c)
    finally:
        tp.stop_peer(ports)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="f2o-svcpol-") as tmp:
        b = translate(tmp)
        if b is None:
            print("note: f2o-translate not built or failed")
        else:
            for i, stop in enumerate((False, True)):
                d = os.path.join(tmp, "run%d" % i)
                os.makedirs(d)
                scenario(d, b, stop)
    print("%d passed, %d failed" % (tp.passed, tp.failed))
    return 1 if tp.failed or tp.passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
