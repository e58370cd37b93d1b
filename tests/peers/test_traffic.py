#!/usr/bin/python3
"""Self-test of the peer's traffic monitor (traffic.py) and the ECS
behaviour the cutover and rollback phases rely on: gaps are seen when a
service's traffic loses its last running, registered task and not when a
copy takes over first; fail_create; Fargate re-creation (platform version,
public IP, capacity providers); name reuse while DRAINING; then a whole
import / cutover / rollback of the demo bundle replayed by
tests/tools/replay_plan.py (a Python stand-in for f2o-exec), checked with
tests/tools/cutover_check.py, which must also catch a gap.
Ends with "N passed, N failed"; exit 1 on any failure.

    /usr/bin/python3 tests/peers/test_traffic.py
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, HERE)

import test_peer as tp  # noqa: E402

PY = sys.executable
DEMO = os.path.join(ROOT, "fixtures", "demo")
TG_API = ("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/"
          "shop-api/1f2e3d4c5b6a7980")
NET = {"awsvpcConfiguration": {"subnets": ["subnet-0a1b2c3d4e5f60001"],
                               "securityGroups": ["sg-0api00000000000002"],
                               "assignPublicIp": "DISABLED"}}


def traffic(ports):
    return tp.get_state(ports["aws"])["traffic"]


def wait_for(fn, seconds=10.0):
    """Poll fn() until true (bounded); its last value."""
    end = time.time() + seconds
    v = fn()
    while not v and time.time() < end:
        time.sleep(0.05)
        v = fn()
    return v


def test_identities(ports):
    t = traffic(ports)
    tp.check("traffic: one identity per exported service",
             sorted(t) == ["api", "imgproc", "legacy-cron", "web", "worker"],
             sorted(t))
    tp.check("traffic: web is its target group",
             t["web"]["targetGroups"] and
             t["web"]["targetGroups"][0].endswith("/shop-web/"
                                                  "6d0ecf831eec9f09"),
             t["web"]["targetGroups"])
    tp.check("traffic: worker (no load balancer) is its names",
             t["worker"]["names"] == ["worker", "sfm-worker",
                                      "f2o-rb-worker"] and
             not t["worker"]["targetGroups"], t["worker"])
    tp.check("traffic: all served, monitored, no gap at the start",
             all(v["monitored"] and v["serving"] and not v["gaps"]
                 for v in t.values()), t)


def test_gaps(ports, ecs):
    # copy first, stable, then the original down: no gap (worker, by name)
    tp.check("sfm-worker created", tp.code_of(
        ecs.create_service, cluster="shop", serviceName="sfm-worker",
        taskDefinition="shop-worker:31", desiredCount=2, launchType="EC2",
        networkConfiguration=NET)[0] is None)
    ok = wait_for(lambda: ecs.describe_services(
        cluster="shop", services=["sfm-worker"])["services"][0]
        ["runningCount"] == 2)
    tp.check("sfm-worker running", ok)
    ecs.update_service(cluster="shop", service="worker", desiredCount=0)
    wait_for(lambda: ecs.describe_services(
        cluster="shop", services=["worker"])["services"][0]
        ["runningCount"] == 0)
    t = traffic(ports)["worker"]
    tp.check("worker: copy first, then scale-down: no gap",
             not t["gaps"] and t["servedBy"][-1]["services"] ==
             ["sfm-worker"], t)

    # api: the original deleted with force while no copy runs: a gap,
    # opened when its tasks stop (DRAINING -> INACTIVE), not at the request
    code = tp.code_of(ecs.delete_service, cluster="shop", service="api",
                      force=True)[0]
    tp.check("DeleteService api force", code is None, code)
    t = traffic(ports)["api"]
    tp.check("api: DRAINING with tasks still serves",
             not t["gaps"] and t["serving"], t)
    code, _, msg = tp.code_of(
        ecs.create_service, cluster="shop", serviceName="api",
        taskDefinition="shop-api:7", desiredCount=1, launchType="FARGATE",
        networkConfiguration=NET)
    tp.check("name reuse while DRAINING refused: not idempotent",
             code == "InvalidParameterException" and
             "not idempotent" in msg, (code, msg))
    ok = wait_for(lambda: traffic(ports)["api"]["gaps"])
    tp.check("api: gap once its tasks are gone", bool(ok))
    g = ok[0] if ok else {}
    tp.check("api: gap names the cause",
             "INACTIVE" in g.get("reason", "") and
             "DeleteService api" in g.get("reason", "") and
             g.get("lastServedBy") == ["api"], g)
    # back: a Fargate service with a capacity provider strategy, same TG
    code, _, msg = tp.code_of(
        ecs.create_service, cluster="shop", serviceName="f2o-rb-api",
        taskDefinition="shop-api:7", desiredCount=1,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT",
                                   "weight": 1}],
        platformVersion="1.4.0",
        loadBalancers=[{"targetGroupArn": TG_API, "containerName": "api",
                        "containerPort": 9000}],
        networkConfiguration=NET)
    tp.check("Fargate capacity provider + platformVersion accepted",
             code is None, (code, msg))
    ok = wait_for(lambda: traffic(ports)["api"]["gaps"][0]["end"])
    g = traffic(ports)["api"]["gaps"][0]
    tp.check("api: gap closed by the new service on the target group",
             ok and g["seconds"] > 0 and
             traffic(ports)["api"]["servedBy"][-1]["services"] ==
             ["f2o-rb-api"], g)
    svc = ecs.describe_services(cluster="shop", services=["f2o-rb-api"])[
        "services"][0]
    tp.check("f2o-rb-api keeps its platformVersion and strategy",
             svc.get("platformVersion") == "1.4.0" and
             svc["capacityProviderStrategy"][0]["capacityProvider"] ==
             "FARGATE_SPOT" and "launchType" not in svc, svc)


def test_fargate_and_faults(ports, ecs):
    aws = ports["aws"]
    tp.post_json(aws + "/_f2o/faults", {"fail_create": ["x-web"]})
    before = tp.get_state(aws)
    code, _, msg = tp.code_of(
        ecs.create_service, cluster="shop", serviceName="x-web",
        taskDefinition="shop-web:12", desiredCount=1, launchType="FARGATE",
        networkConfiguration=NET)
    after = tp.get_state(aws)
    tp.check("fail_create: CreateService refused with ClientException",
             code == "ClientException" and "fail_create" in msg, (code, msg))
    tp.check("fail_create: nothing created",
             before["created"] == after["created"] and
             len(before["ecs"]["services"]) == len(after["ecs"]["services"]))
    tp.post_json(aws + "/_f2o/faults", {})
    net = {"awsvpcConfiguration": dict(NET["awsvpcConfiguration"],
                                       assignPublicIp="ENABLED")}
    code, _, msg = tp.code_of(
        ecs.create_service, cluster="shop", serviceName="x-web",
        taskDefinition="shop-web:12", desiredCount=1, launchType="FARGATE",
        platformVersion="LATEST", networkConfiguration=net)
    tp.check("Fargate launch type, platformVersion, public IP accepted",
             code is None, (code, msg))
    svc = ecs.describe_services(cluster="shop", services=["x-web"])[
        "services"][0]
    tp.check("Fargate service keeps launchType, platformVersion, public IP",
             svc["launchType"] == "FARGATE" and
             svc["platformVersion"] == "LATEST" and
             svc["networkConfiguration"]["awsvpcConfiguration"]
             ["assignPublicIp"] == "ENABLED", svc)
    code, _, msg = tp.code_of(
        ecs.create_service, cluster="shop", serviceName="x-web2",
        taskDefinition="shop-web:12", desiredCount=1, launchType="EC2",
        networkConfiguration=net)
    tp.check("public IP still refused on EC2",
             code == "InvalidParameterException", (code, msg))
    wait_for(lambda: ecs.describe_services(
        cluster="shop", services=["x-web"])["services"][0]
        ["runningCount"] == 1)
    fs = tp.code_of(ecs.update_service, cluster="shop", service="x-web",
                    desiredCount=0)[0]
    tp.check("UpdateService desiredCount 0", fs is None, fs)
    n = ecs.describe_services(cluster="shop", services=["x-web"])[
        "services"][0]["runningCount"]
    tp.check("scale-down takes time (tasks still running right after)",
             n == 1, n)
    code = tp.code_of(ecs.deregister_task_definition,
                      taskDefinition="shop-imgproc:4")[0]
    tds = {t["taskDefinitionArn"].rsplit("/", 1)[1]: t["status"]
           for t in tp.get_state(aws)["ecs"]["taskDefinitions"]}
    tp.check("DeregisterTaskDefinition -> INACTIVE",
             code is None and tds.get("shop-imgproc:4") == "INACTIVE", tds)


def run(cmd, log):
    with open(log, "w") as f:
        return subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT,
                               timeout=300)


def checker(args, log):
    rc = run([PY, os.path.join(TESTS, "tools", "cutover_check.py")] + args,
             log)
    with open(log) as f:
        text = f.read()
    return rc, text


def test_replay(tmp):
    """import, cutover, rollback of the demo bundle by replay_plan.py."""
    tr = shutil.which("f2o-translate", path=os.path.join(ROOT, "build")) \
        or shutil.which("f2o-translate", path=ROOT)
    if tr is None:
        print("note replay: f2o-translate not built, skipped")
        return
    b = os.path.join(tmp, "bundle")
    rc = subprocess.call([tr, "--quiet", "--config",
                          os.path.join(DEMO, "f2o.json"), DEMO, "-o", b],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tp.check("replay: translate demo", rc == 0, rc)
    if rc != 0:
        return
    ports = tp.start_peer(tmp, "--seed", DEMO, "--drain-seconds", "0.6")
    rp = [PY, os.path.join(TESTS, "tools", "replay_plan.py"), b,
          ports["aws"], ports["spot"], "--done", os.path.join(tmp, "done"),
          "--interval", "0.1"]
    st = {}

    def snap(name):
        p = os.path.join(tmp, name + ".json")
        with open(p, "w") as f:
            json.dump(tp.get_state(ports["aws"]), f)
        st[name] = p
        return p
    try:
        snap("s0")
        for ph in ("import", "cutover"):
            rc = run(rp + ["--phase", ph], os.path.join(tmp, ph + ".log"))
            tp.check("replay: %s" % ph, rc == 0, rc)
        snap("s1")
        rc, out = checker(["cutover", "--seed", st["s0"], b, st["s1"]],
                          os.path.join(tmp, "c1"))
        tp.check("cutover_check cutover passes after a clean cutover",
                 rc == 0 and "FAIL" not in out, out[-2000:])
        rc, out = checker(["traffic", st["s1"]], os.path.join(tmp, "t1"))
        tp.check("cutover_check traffic: no gap in a clean cutover",
                 rc == 0 and "FAIL" not in out, out[-2000:])
        rc, out = checker(["exported", st["s0"], st["s1"]],
                          os.path.join(tmp, "e1"))
        tp.check("cutover_check exported fails after a cutover",
                 rc == 1 and "FAIL" in out)
        rc = run(rp + ["--phase", "rollback"], os.path.join(tmp, "rb.log"))
        tp.check("replay: rollback", rc == 0, rc)
        snap("s2")
        rc, out = checker(["exported", st["s0"], st["s2"]],
                          os.path.join(tmp, "e2"))
        tp.check("cutover_check exported passes after the rollback",
                 rc == 0 and "FAIL" not in out, out[-2000:])
        rc, out = checker(["traffic", st["s2"]], os.path.join(tmp, "t2"))
        tp.check("cutover_check traffic: no gap through the rollback",
                 rc == 0 and "FAIL" not in out, out[-2000:])
        rc, out = checker(["same-final", st["s2"], st["s2"]],
                          os.path.join(tmp, "f2"))
        tp.check("cutover_check same-final: a state equals itself",
                 rc == 0, out[-2000:])
        rc, out = checker(["same-final", st["s1"], st["s2"]],
                          os.path.join(tmp, "f3"))
        tp.check("cutover_check same-final: tells two states apart",
                 rc == 1, out[-2000:])
        # a gap: the EC2 web scaled to 0 with nothing else serving
        ecs = tp.client(tp.session(), "ecs", ports["aws"])
        ecs.update_service(cluster="shop", service="web", desiredCount=0)
        wait_for(lambda: traffic(ports)["web"]["gaps"], 30.0)
        snap("s3")
        rc, out = checker(["traffic", st["s3"]], os.path.join(tmp, "t3"))
        web = traffic(ports)["web"]
        tp.check("cutover_check traffic catches a gap",
                 rc == 1 and "FAIL traffic web: no gap" in out,
                 out[-1500:] + "\nweb served by (last 6): " +
                 json.dumps(web["servedBy"][-6:]) + "\nservices: " +
                 json.dumps([(s["service"]["serviceName"],
                              s["service"]["status"],
                              s["service"].get("desiredCount"),
                              s["service"].get("runningCount"),
                              [d.get("rolloutState") for d in
                               s["service"].get("deployments") or []])
                             for s in tp.get_state(ports["aws"])["ecs"]["services"]
                             if s["cluster"] == "shop"]))
    finally:
        ports["proc"].send_signal(signal.SIGTERM)
        try:
            ports["proc"].wait(15)
        except subprocess.TimeoutExpired:
            ports["proc"].kill()


def main():
    # SIGTERM (tests/run.sh stopped) unwinds: the peers are stopped in the
    # finally blocks and the temporary directory is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="f2o-traffic-") as tmp:
        ports = tp.start_peer(tmp, "--seed", DEMO)
        try:
            ecs = tp.client(tp.session(), "ecs", ports["aws"])
            test_identities(ports)
            test_gaps(ports, ecs)
            test_fargate_and_faults(ports, ecs)
        finally:
            ports["proc"].send_signal(signal.SIGTERM)
            try:
                ports["proc"].wait(15)
            except subprocess.TimeoutExpired:
                ports["proc"].kill()
        test_replay(tmp)
    print("%d passed, %d failed" % (tp.passed, tp.failed))
    return 1 if tp.failed else 0


if __name__ == "__main__":
    sys.exit(main())
