#!/usr/bin/python3
"""Self-test of the peer factory (zygote.py, peer.py --zygote): a peer
forked by it serves and verifies as one started alone (a signed ECS call
with botocore, a Spot body refused by the schema), in the client's working
directory with its stderr; SIGTERM to the client dumps the peer's state
before the client exits 0; a SIGKILLed client's peer stops and dumps its
state; peers keep apart; without a factory, zygote.py runs the peer itself
(same pid); the factory ends on SIGTERM after its children. Ends with
"N passed, N failed"; exit 1 on any failure.

    /usr/bin/python3 tests/peers/test_zygote.py
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import test_peer as tp  # noqa: E402

PEER = os.path.join(HERE, "peer.py")
ZYG = os.path.join(HERE, "zygote.py")


def wait_file(path, proc, seconds=30):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            with open(path) as f:
                return json.load(f)
        if proc.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def gone(pid, seconds=15):
    """pid ended (or is a zombie nobody reaped yet)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def client(tmp, env, name, *extra):
    pf = os.path.join(tmp, name + ".ports")
    err = open(os.path.join(tmp, name + ".err"), "w")
    p = subprocess.Popen([sys.executable, "-S", ZYG, "--port-file", pf,
                          "--state", name + ".json",     # in cwd: tmp
                          "--stable-seconds", "0.2"] + list(extra),
                         env=env, stderr=err, cwd=tmp)
    err.close()
    return p, wait_file(pf, p)


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="f2o-zyg-") as tmp:
        sock = os.path.join(tmp, "z.sock")
        zerr = open(os.path.join(tmp, "zygote.err"), "w")
        z = subprocess.Popen([sys.executable, PEER, "--zygote", sock],
                             stderr=zerr, stdin=subprocess.DEVNULL)
        zerr.close()
        env = dict(os.environ, F2O_PEER_ZYGOTE=sock)
        procs = [z]
        try:
            run(tmp, env, z, procs)
        finally:
            for p in reversed(procs):
                if p.poll() is None:
                    p.kill()
                    p.wait()
    print("%d passed, %d failed" % (tp.passed, tp.failed))
    return 1 if tp.failed else 0


def run(tmp, env, z, procs):
    a, pa = client(tmp, env, "a", "--verbose")
    procs.append(a)
    tp.check("a client gets a peer (port file)", pa is not None, pa)
    if pa is None:
        return
    tp.check("the peer is the factory's child, not the client",
             pa["pid"] not in (a.pid, z.pid) and
             open("/proc/%d/stat" % pa["pid"]).read().split()[3] ==
             str(z.pid), (pa["pid"], a.pid, z.pid))
    ecs = tp.client(tp.session(), "ecs", pa["aws"])
    td = ecs.register_task_definition(**tp.TD)["taskDefinition"]
    tp.check("a signed ECS call is answered", td["revision"] == 1, td)
    bad = tp.session()
    bad.set_credentials(tp.AK, "not-the-secret")
    code = tp.code_of(tp.client(bad, "ecs", pa["aws"]).list_services)[0]
    tp.check("a wrong signature is refused (botocore check in the child)",
             code == "InvalidSignatureException", code)
    st, env_, _ = tp.spot_req(pa["spot"], "POST", "/ocean/aws/ecs/cluster",
                              {"cluster": {"name": 5}})
    tp.check("a Spot body is validated against the schema (400)",
             st == 400 and env_["response"]["errors"][0]["code"] ==
             "ValidationError", env_)
    with open(os.path.join(tmp, "a.err")) as f:
        log = f.read()
    tp.check("the peer writes to the client's stderr (--verbose)",
             "peer aws:" in log, log[:300])

    b, pb = client(tmp, env, "b")
    procs.append(b)
    tp.check("a second peer of the same factory, apart from the first",
             pb is not None and pb["aws"] != pa["aws"] and
             tp.get_state(pb["aws"])["ecs"]["taskDefinitions"] == [],
             pb)

    a.send_signal(signal.SIGTERM)
    rc = a.wait(30)
    st = os.path.join(tmp, "a.json")
    tp.check("SIGTERM to the client: exit 0 once the state is written "
             "(--state relative to the client's directory)",
             rc == 0 and os.path.exists(st), rc)
    if os.path.exists(st):
        with open(st) as f:
            doc = json.load(f)
        tp.check("the state written is the peer's",
                 len(doc["ecs"]["taskDefinitions"]) == 1, doc["ecs"].keys())
    tp.check("the peer ended with its client", gone(pa["pid"]), pa["pid"])

    if pb is not None:
        b.kill()
        b.wait()
        tp.check("SIGKILLed client: its peer stops and dumps its state",
                 gone(pb["pid"]) and os.path.exists(
                     os.path.join(tmp, "b.json")), pb["pid"])

    z.send_signal(signal.SIGTERM)
    try:
        zrc = z.wait(40)
    except subprocess.TimeoutExpired:
        zrc = None
    tp.check("the factory ends on SIGTERM, socket removed",
             zrc == 0 and not os.path.exists(env["F2O_PEER_ZYGOTE"]), zrc)

    c, pc = client(tmp, env, "c")
    procs.append(c)
    tp.check("no factory: zygote.py runs the peer itself (same pid)",
             pc is not None and pc["pid"] == c.pid, (pc, c.pid))
    if pc is not None:
        c.send_signal(signal.SIGTERM)
        tp.check("and it stops on SIGTERM with its state",
                 c.wait(30) == 0 and
                 os.path.exists(os.path.join(tmp, "c.json")))


if __name__ == "__main__":
    sys.exit(main())
