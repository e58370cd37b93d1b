#!/usr/bin/python3
"""Loopback fake AWS (ECS JSON 1.1 + EC2 Query, SigV4-checked) and fake Spot
Ocean API for f2o-exec's tests.

    /usr/bin/python3 tests/peers/peer.py --port-file FILE [--state FILE]
        [--access-key K --secret S [--session-token T]]
        [--spot-token T --spot-account A] [--faults SPEC] [--seed DIR]
        [--stable-seconds 1] [--drain-seconds 1] [--max-seconds 600]
        [--clock-offset S] [--max-skew 300] [--ec2-consistency-delay S]
        [--ec2-consistency-requests N] [--ocean-instances]

Writes {"aws": URL, "spot": URL, "pid": N} to FILE once both ports listen.
GET /_f2o/state (either port) returns everything held plus counters;
POST /_f2o/faults sets fault injection (JSON, see Faults.set); POST
/_f2o/refuse closes a port for a while; POST /_f2o/mutate changes state
as another actor (mutate.py); POST /_f2o/reset starts over (Peer.reset).
See README.md. SIGTERM or
--max-seconds: dump state to --state FILE and exit. Only 127.0.0.1.
"""
import os
import sys

_ZYGOTE = None
if __name__ == "__main__" and sys.argv[1:2] == ["--zygote"] and \
        len(sys.argv) == 3:
    # the factory (zygote.py) listens before it imports: its first client
    # waits in the backlog instead of finding no factory
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import zygote
    _ZYGOTE = zygote.listen(sys.argv[2])
elif __name__ == "__main__" and os.environ.get("F2O_PEER_ZYGOTE", "0") != "0":
    # a factory of this test forks the peer (zygote.py): only a client
    # here, no botocore to import
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import zygote
    _rc = zygote.client(os.environ["F2O_PEER_ZYGOTE"], sys.argv)
    if _rc is not None:
        sys.exit(_rc)

import argparse  # noqa: E402
import copy  # noqa: E402
import datetime  # noqa: E402
import email.utils  # noqa: E402
import glob  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import socketserver  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import uuid  # noqa: E402
from http.server import (  # noqa: E402
    BaseHTTPRequestHandler, ThreadingHTTPServer)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ApiError, Config, State, awsmodel  # noqa: E402
import fake_aas  # noqa: E402
import fake_cw  # noqa: E402
import fake_ec2  # noqa: E402
import fake_ecs  # noqa: E402
import fake_spot  # noqa: E402
import fake_sts  # noqa: E402  (credential sources, see fake_sts.py)
import mutate  # noqa: E402
import rpc  # noqa: E402  (Application Auto Scaling, CloudWatch)
import traffic  # noqa: E402

import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402

ECS_PREFIX = "AmazonEC2ContainerServiceV20141113."
EC2_VERSION = "2016-11-15"
MAX_BODY = 16 * 1024 * 1024
IDLE_TICK = 1.0         # the ticker's longest sleep (nothing due, no request)
RESET_KNOBS = ("stable_seconds", "drain_seconds", "stop_seconds")
FAULT_KINDS = ("throttle", "500", "503", "latency", "drop", "drop_after")
SIG_MISMATCH = ("The request signature we calculated does not match the "
                "signature you provided. Check your AWS Secret Access Key "
                "and signing method. Consult the service documentation for "
                "details.")

DEFAULT_ACCESS_KEY = "AKIAF2OTESTKEY000001"
DEFAULT_SECRET = "f2o/test/secret/key/not/a/real/one/0000"
DEFAULT_SPOT_TOKEN = "f2o-test-spot-token"
DEFAULT_SPOT_ACCOUNT = "act-f2o00001"


# ----------------------------------------------------------------------
# faults

class Faults:
    """Deterministic seeded fault injection.

    Spec (JSON object, or "k=v,k=v" with list values joined by "+"):
      seed (int, 1), rate (0..1, 0), kinds (throttle 500 503 latency drop;
      default throttle), targets (ecs ec2 spot aas cw; default all), ops (operation
      names, default all), max (most faults injected, default unlimited),
      skip (first N matching requests never faulted, 0), latency (seconds
      added by "latency", 0.2), reset (Spot X-RateLimit-Reset seconds, 1),
      rollback (service names whose new deployments roll back),
      fail_create (service names whose CreateService fails with
      ClientException, before touching any state), fail_reason (how a
      "rollback" deployment's tasks fail: exit, pull, health, placement).
    Kind "drop_after" handles the request (state changed) and then closes
    the connection without answering (the client's "in doubt" case).
    Request n (counted among matching requests) is faulted when
    sha256("seed:n") maps below rate; the kind is chosen by the same hash.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.set({})

    @staticmethod
    def parse(text):
        text = (text or "").strip()
        if text.startswith("{"):
            return json.loads(text)
        spec = {}
        for part in text.split(","):
            if not part.strip():
                continue
            k, _, v = part.partition("=")
            k = k.strip()
            if k in ("kinds", "targets", "ops", "rollback", "fail_create"):
                spec[k] = [x for x in v.split("+") if x]
            elif k in ("rate", "latency", "reset"):
                spec[k] = float(v)
            elif k == "fail_reason":
                spec[k] = v.strip()
            else:
                spec[k] = int(v)
        return spec

    def set(self, spec):
        kinds = spec.get("kinds") or ["throttle"]
        if spec.get("fail_reason", "exit") not in ("exit", "pull", "health",
                                                   "placement"):
            raise ValueError("fail_reason: exit, pull, health or placement")
        for k in kinds:
            if k not in FAULT_KINDS:
                raise ValueError("unknown fault kind %r" % k)
        rate = float(spec.get("rate", 0))
        if not 0 <= rate <= 1:
            raise ValueError("rate must be within 0..1")
        with self.lock:
            self.spec = {
                "seed": int(spec.get("seed", 1)), "rate": rate,
                "kinds": list(kinds),
                "targets": list(spec.get("targets") or
                                ["ecs", "ec2", "spot", "aas", "cw"]),
                "ops": list(spec.get("ops") or []),
                "max": spec.get("max"), "skip": int(spec.get("skip", 0)),
                "latency": float(spec.get("latency", 0.2)),
                "reset": int(spec.get("reset", 1)),
                "rollback": list(spec.get("rollback") or []),
                "fail_create": list(spec.get("fail_create") or []),
                "fail_reason": str(spec.get("fail_reason") or "exit"),
            }
            self.n = 0
            self.done = 0

    @property
    def rollback(self):
        return self.spec["rollback"]

    def decide(self, target, op):
        with self.lock:
            sp = self.spec
            if sp["rate"] <= 0 or target not in sp["targets"]:
                return None
            if sp["ops"] and op not in sp["ops"]:
                return None
            n = self.n
            self.n += 1
            if n < sp["skip"]:
                return None
            if sp["max"] is not None and self.done >= sp["max"]:
                return None
            h = hashlib.sha256(("%d:%d" % (sp["seed"], n)).encode()).digest()
            u = int.from_bytes(h[:8], "big") / 2.0 ** 64
            if u >= sp["rate"]:
                return None
            self.done += 1
            return sp["kinds"][h[8] % len(sp["kinds"])]


# ----------------------------------------------------------------------
# SigV4 check

class _Verifier(botocore.auth.SigV4Auth):
    """SigV4Auth that signs exactly the headers the client listed."""

    def __init__(self, creds, service, region, signed):
        botocore.auth.SigV4Auth.__init__(self, creds, service, region)
        self._signed = signed

    def headers_to_sign(self, request):
        hm = botocore.awsrequest.HTTPHeaders()
        for name in self._signed:
            v = request.headers.get(name)
            if v is not None:
                hm[name] = v
        return hm


AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/([0-9]{8})/([a-z0-9-]+)/"
    r"([a-z0-9-]+)/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*"
    r"Signature=([0-9a-f]{64})$")


def check_sigv4(cfg, method, path, headers, body, service):
    """Raise ApiError like ECS (service "ecs") or EC2 would; return region."""
    # JSON protocols (ECS, Application Auto Scaling, CloudWatch) answer
    # with the JSON codes; EC2 with its own
    ecs = service in ("ecs", "application-autoscaling", "monitoring")

    def fail(ecs_code, ec2_code, msg, ec2_status=401):
        if ecs:
            raise ApiError(400, ecs_code, msg)
        raise ApiError(ec2_status, ec2_code, msg)

    auth = headers.get("Authorization")
    if not auth:
        fail("MissingAuthenticationTokenException", "AuthFailure",
             "Missing Authentication Token")
    m = AUTH_RE.match(auth.strip())
    if not m:
        fail("IncompleteSignatureException", "IncompleteSignature",
             "Authorization header requires 'Credential', 'SignedHeaders' "
             "and 'Signature' parameters. Authorization=%s"
             % auth.split(" ")[0], 400)
    ak, date, region, svc, signed, sig = m.groups()
    # -- creds: temporary keys issued by fake_sts (STS, SSO, container,
    # -- IMDS) are accepted while they last
    reg = getattr(cfg, "sts", None)
    sess = reg.session(ak) if reg is not None else None
    # --
    if ak != cfg.access_key and sess is None:
        fail("UnrecognizedClientException", "AuthFailure",
             "The security token included in the request is invalid."
             if ecs else "AWS was not able to validate the provided access "
             "credentials")
    amz = headers.get("X-Amz-Date", "")
    try:
        t = datetime.datetime.strptime(amz, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        fail("IncompleteSignatureException", "AuthFailure",
             "Authorization header requires existence of either a "
             "'X-Amz-Date' or a 'Date' header.", 400)
    if date != amz[:8]:
        fail("InvalidSignatureException", "AuthFailure",
             "Date in Credential scope does not match YYYYMMDD from "
             "ISO-8601 version of date from HTTP: '%s' != '%s', from "
             "'%s'." % (date, amz[:8], amz))
    nowt = time.time() + getattr(cfg, "clock_offset", 0.0)
    fmt = "%Y%m%dT%H%M%SZ"

    def stamp(x):
        return datetime.datetime.fromtimestamp(
            x, datetime.timezone.utc).strftime(fmt)
    skew = cfg.max_skew
    mins = int(skew // 60)
    # Checked against the peer's clock (shifted by --clock-offset).
    # ECS: 400 InvalidSignatureException "Signature expired: ..." /
    # "Signature not yet current: ..." (fabfuel/ecs-deploy#126,
    # serverless/enterprise#11); EC2: a request too old is 400
    # RequestExpired "Request has expired." (aws/aws-sdk-java#1443), one
    # too far ahead 401 AuthFailure (aws/aws-sdk-java#519: EC2 answers a
    # skewed clock with AuthFailure, not a skew-specific code).
    # STS (query protocol) answers a skewed clock like botocore reports
    # it: 403 SignatureDoesNotMatch "Signature expired: ..." / "Signature
    # not yet current: ..." (aws/aws-cli#5184, boto/botocore#1375).
    if service == "sts" and (t < nowt - skew or t > nowt + skew):
        raise ApiError(403, "SignatureDoesNotMatch", (
            "Signature expired: %s is now earlier than %s (%s - %d min.)"
            % (amz, stamp(nowt - skew), stamp(nowt), mins))
            if t < nowt - skew else (
            "Signature not yet current: %s is still later than %s "
            "(%s + %d min.)" % (amz, stamp(nowt + skew), stamp(nowt),
                                mins)))
    if t < nowt - skew:
        if not ecs:
            fail(None, "RequestExpired", "Request has expired.", 400)
        fail("InvalidSignatureException", None,
             "Signature expired: %s is now earlier than %s (%s - %d min.)"
             % (amz, stamp(nowt - skew), stamp(nowt), mins))
    if t > nowt + skew:
        if not ecs:
            fail(None, "AuthFailure", "AWS was not able to validate the "
                 "provided access credentials", 401)
        fail("InvalidSignatureException", None,
             "Signature not yet current: %s is still later than %s "
             "(%s + %d min.)" % (amz, stamp(nowt + skew),
                                 stamp(nowt), mins))
    if svc != service:
        fail("InvalidSignatureException", "AuthFailure",
             "Credential should be scoped to correct service: '%s'. "
             % service)
    names = signed.split(";")
    if "host" not in names:
        fail("InvalidSignatureException", "AuthFailure",
             "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
             "Authorization.")
    for n in names:
        if headers.get(n) is None:
            fail("InvalidSignatureException", "AuthFailure", SIG_MISMATCH)
    tok = headers.get("X-Amz-Security-Token")
    # -- creds: a fake_sts session needs its token, refused once expired
    why = sess.refuse(tok) if sess is not None else None
    if why == "invalid":
        fail("UnrecognizedClientException", "AuthFailure",
             "The security token included in the request is invalid.")
    if why == "expired":
        reg.note_refused(service)
        fail("ExpiredTokenException", "RequestExpired",
             "The security token included in the request is expired", 400)
    if sess is not None:
        pass
    # --
    elif cfg.session_token is not None:
        if tok != cfg.session_token:
            fail("ExpiredTokenException", "RequestExpired",
                 "The security token included in the request is expired",
                 400)
    elif tok is not None:
        fail("UnrecognizedClientException", "AuthFailure",
             "The security token included in the request is invalid.")
    creds = botocore.credentials.Credentials(
        ak, sess.secret if sess is not None else cfg.secret, tok)
    hdrs = {}
    for n in names:
        hdrs[n] = ",".join(headers.get_all(n) or [])
    req = botocore.awsrequest.AWSRequest(
        method=method, url="http://%s%s" % (headers.get("Host", ""), path),
        headers=hdrs, data=body)
    req.context["timestamp"] = amz
    v = _Verifier(creds, service, region, names)
    cr = v.canonical_request(req)
    want = v.signature(v.string_to_sign(req, cr), req)
    if not hmac.compare_digest(want, sig):
        fail("InvalidSignatureException", "AuthFailure", SIG_MISMATCH)
    if reg is not None:         # -- creds: who signed what
        reg.note(service, ak)
    return region


# ----------------------------------------------------------------------
# HTTP

class Peer:
    """Everything the handlers need."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.state = State(cfg)
        self.faults = Faults()
        self.state.faults = self.faults
        self.ecs = fake_ecs.Ecs(self.state)
        self.ec2 = fake_ec2.Ec2(self.state)
        self.spot = fake_spot.Spot(self.state)
        self.ecs.spot = self.spot
        self.ecs.ec2 = self.ec2
        self.cw = fake_cw.Cw(self.state)
        self.aas = fake_aas.Aas(self.state, self.ecs)
        self.aas.cw = self.cw
        self.traffic = traffic.Traffic(self.state, self.ecs,
                                       getattr(cfg, "prefix", "sfm-"))
        self.urls = {}
        self.servers = {}           # role -> Server
        self.stop = threading.Event()
        self.kick = threading.Event()   # a request came: wakes the ticker
        self.refusals = {}          # role -> {"until", "windows", "closed"}

    def next_due(self):
        """Seconds until the next clock-driven change (a service's tasks
        started or stopped, DRAINING -> INACTIVE, an instance terminated),
        0 when overdue, None when none is scheduled. state.lock held."""
        t = time.time()
        ats = [self.traffic.due(rec) for rec in self.state.services]
        if getattr(self.cfg, "ocean_instances", False):
            ats += [i.get("terminateAt", 0)
                    for i in self.state.instances.values()
                    if i["State"]["Name"] == "shutting-down"]
        ats = [x for x in ats if x is not None]
        return max(0.0, min(ats) - t) if ats else None

    def refusing(self, role):
        r = self.refusals.get(role)
        return r is not None and time.time() < r["until"]

    def refuse(self, role, seconds):
        """Close role's listening socket (new connections: ECONNREFUSED),
        re-open the same port after seconds; requests arriving meanwhile
        on kept-alive connections are dropped unread."""
        srv = self.servers[role]
        with self.state.lock:
            r = self.refusals.setdefault(role, {"until": 0, "windows": 0,
                                                "closed": 0})
            active = time.time() < r["until"]
            r["until"] = max(r["until"], time.time() + seconds)
            r["windows"] += 1
        if not active:
            threading.Thread(target=self._refuse_loop, args=(role, srv),
                             daemon=True).start()

    def _refuse_loop(self, role, srv):
        # stop listening at once (shutdown() of a listening socket leaves
        # the LISTEN state on Linux), then stop serve_forever
        srv.stop_serving()
        srv.socket.close()
        while True:
            left = self.refusals[role]["until"] - time.time()
            if left <= 0 or self.stop.wait(left):
                break
        if self.stop.is_set():
            return
        for _ in range(50):
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(srv.server_address)
                sock.listen(srv.request_queue_size)
                break
            except OSError as e:
                sock.close()
                sys.stderr.write("peer: re-open %s: %s\n" % (role, e))
                time.sleep(0.1)
        else:
            return
        srv.socket = sock
        threading.Thread(target=srv.serve_forever,
                         kwargs={"poll_interval": Server.POLL},
                         daemon=True).start()

    def snapshot(self):
        """The state (README "State") as a new JSON document."""
        return json.loads(self.snapshot_json())

    def snapshot_json(self, indent=None):
        """The state as JSON text, serialised once under the lock (what
        /_f2o/state answers and --state writes)."""
        s = self.state
        with s.lock:
            # tick applies every transition due by now and observes each;
            # advancing a record here as well would apply one that falls
            # due between the two unobserved, and the traffic monitor
            # would miss the gap it opens
            self.traffic.tick()
            services = []
            shape = awsmodel.shape("ecs", "Service")
            for rec in s.services:
                svc = fake_ecs.wire(shape, rec["svc"])
                svc["tags"] = s.tags.get(svc.get("serviceArn"), [])
                services.append({"cluster": rec["cluster"], "service": svc})
            tds = []
            for fam in sorted(s.taskdefs):
                for rev in sorted(s.taskdefs[fam]):
                    td = dict(s.taskdefs[fam][rev]["td"])
                    td["tags"] = s.tags.get(td["taskDefinitionArn"], [])
                    tds.append(td)
            self.spot.reconcile()
            groups = [self.ec2.group_out(s.groups[g]) for g in sorted(s.groups)]
            rules = [r for g in sorted(s.groups) for r in s.groups[g]["rules"]]
            out = {
                "urls": self.urls, "pid": os.getpid(),
                "ecs": {"services": services, "taskDefinitions": tds,
                        "accountSettings": s.account_settings,
                        "containerInstances": self.spot.container_out(),
                        "stoppedTasks": list(s.stopped_tasks),
                        "clusterStatus": dict(s.cluster_status)},
                "ec2": {"securityGroups": groups,
                        "securityGroupRules": rules,
                        "instances": self.spot.instances_out(),
                        "consistencyNotFound": dict(s.consistency)},
                "spot": {"clusters": [s.clusters[k] for k in
                                      sorted(s.clusters)],
                         "launchSpecs": [s.launchspecs[k] for k in
                                         sorted(s.launchspecs)]},
                "created": dict(s.created),
                "requests": {"total": sum(s.requests.values()),
                             "byOperation": dict(s.requests),
                             "byStatus": dict(s.statuses),
                             "errors": dict(s.errors),
                             "faults": dict(s.faults_done),
                             "reads": s.kinds.get("read", 0),
                             "writes": s.kinds.get("write", 0),
                             "writesByOperation": dict(s.writes)},
                "aas": self.aas.snapshot(),
                "cw": self.cw.snapshot(),
                "refusals": {k: dict(v) for k, v in self.refusals.items()},
                "mutations": list(s.mutations),
                "clockOffset": self.cfg.clock_offset,
                "faults": self.faults.spec,
                "traffic": self.traffic.out(),
                "log": list(s.log),
            }
            return json.dumps(out, default=str, indent=indent)

    def seed(self, d):
        """Load an export folder: services.json or services/*.json,
        taskdefs/*.json, security-groups.json (all optional)."""
        self.seed_dir = d           # loaded again by reset()
        s = self.state
        with s.lock:
            p = os.path.join(d, "security-groups.json")
            if os.path.isfile(p):
                with open(p, encoding="utf-8") as f:
                    sgs = json.load(f).get("SecurityGroups", [])
                for sg in sgs:
                    self.ec2.seed_group(sg)
                for sg in sgs:
                    self.ec2.seed_rules(sg)
            for p in sorted(glob.glob(os.path.join(d, "taskdefs", "*.json"))):
                with open(p, encoding="utf-8") as f:
                    self.ecs.seed_taskdef(json.load(f))
            # services.json, or pages of DescribeServices answers in
            # services/ (tests/bench/gen_export.py's layout)
            pages = sorted(glob.glob(os.path.join(d, "services", "*.json")))
            p = os.path.join(d, "services.json")
            for p in ([p] if os.path.isfile(p) else []) + pages:
                with open(p, encoding="utf-8") as f:
                    for svc in json.load(f).get("services", []):
                        self.ecs.seed_service(svc)
            # autoscaling exports, recognised by shape (any *.json name,
            # also in an autoscaling/ folder)
            for p in sorted(glob.glob(os.path.join(d, "*.json")) +
                            glob.glob(os.path.join(d, "autoscaling",
                                                   "*.json"))):
                with open(p, encoding="utf-8") as f:
                    doc = json.load(f)
                if isinstance(doc, dict):
                    self.aas.seed(doc)
                    self.cw.seed(doc)
            for pol in s.aas_policies.values():
                for a in pol["_managed"]:
                    if a["AlarmName"] in s.cw_alarms:
                        s.cw_managed.add(a["AlarmName"])
            self.traffic.seed()

    def reset(self, doc):
        """POST /_f2o/reset: start over in this process (its ports,
        credentials and loaded models kept): the state a fresh peer with
        the same options holds (seeded again, no services f2o made, all
        counters, traffic and mutations at zero), faults doc["faults"]
        (as POST /_f2o/faults; none when absent), and the timing knobs
        RESET_KNOBS of doc changed for the new state. A test reuses one
        peer for its cases instead of starting one per case."""
        if not isinstance(doc, dict):
            raise ValueError("want a JSON object")
        cfg = copy.copy(self.cfg)
        for k, v in doc.items():
            if k == "faults":
                continue
            if k not in RESET_KNOBS:
                raise ValueError("unknown key %r (want faults, %s)" % (
                    k, ", ".join(RESET_KNOBS)))
            if (v is None and k != "stop_seconds") or (
                    v is not None and (isinstance(v, bool) or not isinstance(
                        v, (int, float)) or not 0 <= v <= 600)):
                raise ValueError("%s: want seconds 0..600" % k)
            setattr(cfg, k, v)
        fresh = Peer(cfg)
        fresh.faults.set(doc.get("faults") or {})
        if getattr(self, "seed_dir", None):
            fresh.seed(self.seed_dir)
        with self.state.lock:
            for k in ("cfg", "state", "faults", "ecs", "ec2", "spot", "cw",
                      "aas", "traffic"):
                setattr(self, k, getattr(fresh, k))
        return {"reset": True, "faults": self.faults.spec,
                "knobs": {k: getattr(cfg, k) for k in RESET_KNOBS}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "f2o-peer/1"
    timeout = 60                # idle keep-alive connections

    def log_message(self, fmt, *args):
        if self.server.peer.cfg.verbose:
            sys.stderr.write("peer %s: %s\n" % (self.server.role,
                                                fmt % args))

    do_GET = do_POST = do_PUT = do_DELETE = lambda self: self.dispatch()

    def date_time_string(self, timestamp=None):
        """Date: header (RFC 7231 IMF-fixdate) in the peer's clock."""
        if timestamp is None:
            timestamp = time.time() + self.server.peer.cfg.clock_offset
        return email.utils.formatdate(timestamp, usegmt=True)

    # -- plumbing ----------------------------------------------------------
    def send(self, status, body, ctype, headers=None):
        self.server.peer.kick.set()     # the ticker sees what it changed
        if getattr(self, "drop_after", False):
            # fault "drop_after": processed, then no answer
            self.drop_after = False
            return self.drop()
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, doc, ctype="application/json", headers=None):
        self.send(status, json.dumps(doc), ctype, headers)

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            self.send(411, "Length Required", "text/plain")
            return None
        n = self.headers.get("Content-Length")
        if n is None:
            if self.command in ("POST", "PUT"):
                self.close_connection = True
                self.send(411, "Length Required", "text/plain")
                return None
            return b""
        if not n.isdigit() or int(n) > MAX_BODY:
            self.close_connection = True
            self.send(413, "Payload Too Large", "text/plain")
            return None
        return self.rfile.read(int(n))

    def dispatch(self):
        peer = self.server.peer
        self.drop_after = False
        if peer.refusing(self.server.role):
            # the port is "down": a request on a kept-alive connection is
            # dropped unread (curl then reconnects and is refused)
            with peer.state.lock:
                peer.refusals[self.server.role]["closed"] += 1
            return self.drop()
        body = self.read_body()
        if body is None:
            return
        url = urllib.parse.urlsplit(self.path)
        # -- creds: STS, SSO portal, container endpoint, IMDSv2, /_f2o/creds
        if self.server.role == "aws" and fake_sts.route(self, url, body,
                                                        check_sigv4):
            return
        # --
        if url.path.startswith("/_f2o/"):
            return self.control(url.path, body)
        if self.server.role == "aws" and rpc.route(self, url, body,
                                                   check_sigv4):
            return
        if self.server.role == "aws":
            return self.aws(body)
        return self.spot(url, body)

    def control(self, path, body):
        peer = self.server.peer
        if path == "/_f2o/state" and self.command == "GET":
            return self.send(200, peer.snapshot_json(), "application/json")
        if path == "/_f2o/count" and self.command == "GET":
            # cheap progress probe for kill tests: requests answered so far
            with peer.state.lock:
                n = sum(peer.state.requests.values())
            return self.send_json(200, {"total": n})
        if path == "/_f2o/faults" and self.command == "GET":
            return self.send_json(200, peer.faults.spec)
        if path == "/_f2o/faults" and self.command == "POST":
            try:
                peer.faults.set(json.loads(body.decode("utf-8") or "{}"))
            except (ValueError, TypeError, AttributeError) as e:
                return self.send_json(400, {"error": str(e)})
            return self.send_json(200, peer.faults.spec)
        if path == "/_f2o/refuse" and self.command == "POST":
            try:
                doc = json.loads(body.decode("utf-8") or "{}")
                secs = float(doc.get("seconds", 1))
                port = doc.get("port", "both")
                roles = ["aws", "spot"] if port == "both" else [port]
                if not 0 < secs <= 600 or any(r not in peer.servers
                                              for r in roles):
                    raise ValueError("want seconds 0..600, port aws|spot|"
                                     "both")
            except (ValueError, TypeError, AttributeError) as e:
                return self.send_json(400, {"error": str(e)})
            for r in roles:
                peer.refuse(r, secs)
            return self.send_json(200, {r: {"until": peer.refusals[r][
                "until"] - peer.state.t0} for r in roles})
        if path == "/_f2o/mutate" and self.command == "POST":
            try:
                doc = json.loads(body.decode("utf-8") or "{}")
                with peer.state.lock:
                    out = mutate.apply(peer, doc)
            except ApiError as e:
                return self.send_json(400, {"error": e.message,
                                            "code": e.code})
            except (ValueError, TypeError, AttributeError, KeyError) as e:
                return self.send_json(400, {"error": "%s: %s" % (
                    type(e).__name__, e)})
            return self.send_json(200, out)
        if path == "/_f2o/reset" and self.command == "POST":
            try:
                out = peer.reset(json.loads(body.decode("utf-8") or "{}"))
            except (ValueError, TypeError, AttributeError) as e:
                return self.send_json(400, {"error": str(e)})
            return self.send_json(200, out)
        return self.send_json(404, {"error": "no such control path"})

    def fault(self, target, op, kind):
        """Answer with fault kind; True when the request is finished."""
        peer = self.server.peer
        if kind == "latency":       # counted; the answer is noted as usual
            with peer.state.lock:
                fd = peer.state.faults_done
                fd[kind] = fd.get(kind, 0) + 1
            time.sleep(min(peer.faults.spec["latency"], 30))
            return False
        if kind == "drop_after":
            with peer.state.lock:
                fd = peer.state.faults_done
                fd[kind] = fd.get(kind, 0) + 1
            self.drop_after = True
            return False
        peer.state.note_request(self.server.role, op, 0 if kind == "drop"
                                else {"throttle": 429 if target == "spot"
                                      else 503 if target == "ec2" else 400,
                                      "500": 500, "503": 503}[kind],
                                fault=kind)
        if kind == "drop":
            self.drop()
            return True
        rid = str(uuid.uuid4())
        if target == "ecs":
            code, msg, st = {
                "throttle": ("ThrottlingException", "Rate exceeded", 400),
                "500": ("ServerException", "Service Unavailable. Please "
                        "try again later.", 500),
                "503": ("ServiceUnavailableException", "Service "
                        "Unavailable", 503)}[kind]
            self.send_json(st, {"__type": code, "message": msg},
                           "application/x-amz-json-1.1",
                           {"x-amzn-RequestId": rid})
        elif target == "ec2":
            code, msg, st = {
                "throttle": ("RequestLimitExceeded", "Request limit "
                             "exceeded.", 503),
                "500": ("InternalError", "An internal error has occurred",
                        500),
                "503": ("Unavailable", "The server is unavailable", 503)
            }[kind]
            self.send(st, fake_ec2.error_xml(code, msg, rid),
                      "text/xml;charset=UTF-8")
        else:
            st = {"throttle": 429, "500": 500, "503": 503}[kind]
            url = self.path
            if st == 429:
                env = fake_spot.envelope(self.command, url, 429,
                                         data="Rate limit exceeded")
            else:
                env = fake_spot.envelope(self.command, url, st, errors=[{
                    "code": str(st), "message": fake_spot.REASONS[st]}])
            self.send_json(st, env, headers=self.ratelimit(
                0 if st == 429 else None))
        return True

    def ratelimit(self, remaining=None):
        reset = self.server.peer.faults.spec["reset"]
        return {"X-RateLimit-Limit": "600",
                "X-RateLimit-Remaining": str(599 if remaining is None
                                             else remaining),
                "X-RateLimit-Reset": str(reset)}

    # -- AWS -----------------------------------------------------------------
    def aws(self, body):
        target = self.headers.get("X-Amz-Target")
        if self.command != "POST":
            return self.send(405, "", "text/plain")
        if target is not None:
            return self.ecs_request(target, body)
        return self.ec2_request(body)

    def ecs_error(self, op, e):
        self.server.peer.state.note_request("aws", op, e.status, code=e.code)
        self.send_json(e.status, {"__type": e.code, "message": e.message},
                       "application/x-amz-json-1.1",
                       {"x-amzn-RequestId": str(uuid.uuid4())})

    def ecs_request(self, target, body):
        peer = self.server.peer
        opname = target[len(ECS_PREFIX):] if target.startswith(ECS_PREFIX) \
            else None
        op = "ecs:%s" % (opname or target)
        try:
            check_sigv4(peer.cfg, self.command, self.path, self.headers,
                        body, "ecs")
        except ApiError as e:
            return self.ecs_error(op, e)
        if opname is None or not awsmodel.has_operation("ecs", opname):
            return self.ecs_error(op, ApiError(
                400, "UnknownOperationException", ""))
        kind = peer.faults.decide("ecs", opname)
        if kind and self.fault("ecs", op, kind):
            return
        try:
            params = json.loads(body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            return self.ecs_error(op, ApiError(
                400, "SerializationException", "Start of structure or map "
                "found where not expected."))
        if not isinstance(params, dict):
            return self.ecs_error(op, ApiError(
                400, "SerializationException", "Request body must be a JSON "
                "object"))
        problems = awsmodel.validate_params("ecs", opname, params)
        if problems:
            msg = "%d validation error%s detected: %s" % (
                len(problems), "" if len(problems) == 1 else "s",
                "; ".join("%s: %s" % (jp, r) for jp, r in problems))
            return self.ecs_error(op, ApiError(400, "ValidationException",
                                               msg))
        fn = getattr(peer.ecs, opname, None)
        if fn is None:
            return self.ecs_error(op, ApiError(
                400, "ClientException", "The f2o test peer does not "
                "implement %s." % opname))
        try:
            with peer.state.lock:
                peer.traffic.tick()
                try:
                    cl = peer.ecs.cluster_name(params.get("cluster"))
                except ApiError:
                    cl = None
                sname, why = peer.traffic.label(op, params)
                try:
                    out = fn(params)
                    peer.traffic.remember(cl, sname, why)
                finally:
                    peer.traffic.observe(why)
                    peer.spot.reconcile()
        except ApiError as e:
            return self.ecs_error(op, e)
        peer.state.note_request("aws", op, 200)
        self.send_json(200, out, "application/x-amz-json-1.1",
                       {"x-amzn-RequestId": str(uuid.uuid4())})

    def ec2_error(self, op, e):
        self.server.peer.state.note_request("aws", op, e.status, code=e.code)
        self.send(e.status, fake_ec2.error_xml(e.code, e.message,
                                               str(uuid.uuid4())),
                  "text/xml;charset=UTF-8")

    def ec2_request(self, body):
        peer = self.server.peer
        try:
            pairs = urllib.parse.parse_qsl(body.decode("utf-8"),
                                           keep_blank_values=True,
                                           strict_parsing=bool(body),
                                           max_num_fields=10000)
        except (UnicodeDecodeError, ValueError):
            pairs = None
        form = {}
        dup = None
        for k, v in pairs or []:
            if k in form:
                dup = k
            form[k] = v
        action = form.pop("Action", None)
        version = form.pop("Version", None)
        op = "ec2:%s" % action
        try:
            check_sigv4(peer.cfg, self.command, self.path, self.headers,
                        body, "ec2")
        except ApiError as e:
            return self.ec2_error(op, e)
        if pairs is None:
            return self.ec2_error(op, ApiError(
                400, "InvalidParameterValue", "Malformed request body"))
        if action is None:
            return self.ec2_error(op, ApiError(
                400, "MissingAction", "The request must contain the "
                "parameter Action"))
        if version is None:
            return self.ec2_error(op, ApiError(
                400, "MissingParameter", "The request must contain the "
                "parameter Version"))
        if version != EC2_VERSION:
            return self.ec2_error(op, ApiError(
                400, "NoSuchVersion", "The requested version (%s) of service "
                "AmazonEC2 does not exist" % version))
        if not awsmodel.has_operation("ec2", action):
            return self.ec2_error(op, ApiError(
                400, "InvalidAction", "The action %s is not valid for this "
                "web service." % action))
        if dup is not None:
            return self.ec2_error(op, ApiError(
                400, "InvalidParameterValue", "The parameter %s is given "
                "more than once" % dup))
        kind = peer.faults.decide("ec2", action)
        if kind and self.fault("ec2", op, kind):
            return
        try:
            params = awsmodel.parse_query(action, form)
        except awsmodel.QueryError as e:
            code = "UnknownParameter" if e.reason == "unknown parameter" \
                else "InvalidParameterValue"
            msg = "The parameter %s is not recognized" % e.key \
                if code == "UnknownParameter" else \
                "Invalid value for parameter %s: %s" % (e.key, e.reason)
            return self.ec2_error(op, ApiError(400, code, msg))
        problems = awsmodel.validate_params("ec2", action, params)
        if problems:
            jp, reason = problems[0]
            if reason == "missing required field":
                e = ApiError(400, "MissingParameter", "The request must "
                             "contain the parameter %s" % jp.split(".")[-1])
            else:
                e = ApiError(400, "InvalidParameterValue", "%s: %s"
                             % (jp, reason))
            return self.ec2_error(op, e)
        fn = getattr(peer.ec2, action, None)
        try:
            with peer.state.lock:
                peer.ec2.begin(op)
                out = fn(params)
        except ApiError as e:
            return self.ec2_error(op, e)
        rid = str(uuid.uuid4())
        extra = {"return": "true"} if action == "CreateSecurityGroup" else None
        peer.state.note_request("aws", op, 200)
        self.send(200, fake_ec2.to_xml(action, out, rid, extra),
                  "text/xml;charset=UTF-8")

    # -- Spot ----------------------------------------------------------------
    def spot(self, url, body):
        peer = self.server.peer
        cfg = peer.cfg
        query = dict(urllib.parse.parse_qsl(url.query,
                                            keep_blank_values=True))
        opname = peer.spot.route(self.command, url.path)
        op = "spot:%s" % (opname or "%s %s" % (self.command, url.path))

        def answer(status, kind=None, items=None, errors=None):
            peer.state.note_request("spot", op, status, code=errors[0][
                "code"] if errors else None, query={
                    k: v for k, v in query.items() if k != "accountId"})
            env = fake_spot.envelope(self.command, self.path, status, kind,
                                     items, errors)
            self.send_json(status, env, headers=self.ratelimit())

        if self.headers.get("Authorization") != "Bearer " + cfg.spot_token:
            return answer(401, errors=[{"code": "UNAUTHORIZED", "message":
                                        "Unauthorized: missing or invalid "
                                        "token"}])
        if query.get("accountId") != cfg.spot_account:
            return answer(401, errors=[{"code": "UNAUTHORIZED", "message":
                                        "Account %s is not accessible"
                                        % query.get("accountId")}])
        if opname is None:
            return answer(404, errors=[{"code": "NOT_FOUND", "message":
                                        "No route %s %s" % (self.command,
                                                            url.path)}])
        kind = peer.faults.decide("spot", opname)
        if kind and self.fault("spot", op, kind):
            return
        try:
            with peer.state.lock:
                kind, items = peer.spot.handle(opname, url.path, query, body)
                peer.spot.reconcile()
        except ApiError as e:
            err = {"code": e.code, "message": e.message}
            if e.field:
                err["field"] = e.field
            return answer(e.status, errors=[err])
        answer(200, kind, items)


class Server(ThreadingHTTPServer):
    request_queue_size = 128    # listen backlog (socketserver default: 5)
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # serve_forever's select timeout: how often an idle loop wakes to see
    # whether shutdown() was asked for. Long (an idle peer costs no CPU):
    # stop_serving wakes the select at once.
    POLL = 1.0

    def server_bind(self):
        # HTTPServer's server_bind also asks the resolver for the
        # address's name (getfqdn): not for a loopback peer
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def stop_serving(self):
        """End serve_forever at once: shutting the listening socket down
        (new connections are refused from here) makes its select return."""
        try:
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.shutdown()


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def zygote_serve(lsock):
    """peer.py --zygote SOCKET: load what every peer needs, then fork a
    peer per client of the listening socket lsock (zygote.py)."""
    import zygote
    for name in ("ecs", "ec2", "application-autoscaling", "cloudwatch"):
        awsmodel.service_model(name)
    for kind in awsmodel.SPOT_SCHEMA_FILES:
        awsmodel.spot_validator(kind)
    for name in ("Service", "TaskDefinition"):
        _resolve(awsmodel.shape("ecs", name), frozenset())
    return zygote.serve(lsock, main)


def _resolve(shape, path):
    """Walk a shape's members once (each Shape caches what it resolved);
    path: the shape names above it (a recursive shape stops there)."""
    if shape is None or shape.name in path:
        return
    path = path | {shape.name}
    t = shape.type_name
    if t == "structure":
        for sub in shape.members.values():
            _resolve(sub, path)
    elif t == "list":
        _resolve(shape.member, path)
    elif t == "map":
        _resolve(shape.key, path)
        _resolve(shape.value, path)


def main(argv):
    if argv[1:2] == ["--zygote"]:
        if _ZYGOTE is None:
            sys.stderr.write("peer: --zygote SOCKET, run as a program\n")
            return 2
        return zygote_serve(_ZYGOTE)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--state")
    ap.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    ap.add_argument("--secret", default=DEFAULT_SECRET)
    ap.add_argument("--session-token")
    ap.add_argument("--spot-token", default=DEFAULT_SPOT_TOKEN)
    ap.add_argument("--spot-account", default=DEFAULT_SPOT_ACCOUNT)
    ap.add_argument("--faults", default="")
    ap.add_argument("--seed", help="export folder to preload")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--account", default="123456789012")
    ap.add_argument("--clusters", help="comma list of known ECS clusters "
                    "(default: any name)")
    ap.add_argument("--stable-seconds", type=float, default=1.0)
    ap.add_argument("--drain-seconds", type=float, default=1.0)
    ap.add_argument("--stop-seconds", type=float,
                    help="a scale-down's tasks stop after this "
                    "(default: --stable-seconds)")
    ap.add_argument("--max-skew", type=float, default=300.0,
                    help="X-Amz-Date tolerance in seconds (300, as AWS)")
    ap.add_argument("--clock-offset", type=float, default=0.0,
                    help="the peer's clock runs this many seconds ahead "
                    "(negative: behind) of the machine's")
    ap.add_argument("--ec2-consistency-delay", type=float, default=0.0,
                    help="a new security group is unknown to requests "
                    "naming it for this many seconds")
    ap.add_argument("--ec2-consistency-requests", type=int, default=0,
                    help="... or for this many requests naming it")
    ap.add_argument("--ocean-instances", action="store_true",
                    help="Ocean clusters launch EC2 instances registered "
                    "as ECS container instances for EC2-placed tasks")
    ap.add_argument("--terminate-seconds", type=float, default=0.0,
                    help="--ocean-instances: an instance Spot terminates "
                    "is shutting-down this long first")
    ap.add_argument("--tasks-per-instance", type=int, default=4,
                    help="ECS tasks one Ocean instance holds (4)")
    ap.add_argument("--aas-page-size", type=int, default=50,
                    help="Application Auto Scaling Describe* page size "
                    "without MaxResults (AWS: 50)")
    ap.add_argument("--max-seconds", type=float, default=600.0)
    ap.add_argument("--prefix", default="sfm-",
                    help="name prefix of f2o's side-by-side copies, for "
                    "the traffic monitor (sfm-)")
    ap.add_argument("--tick", type=float, default=0.05,
                    help="seconds between traffic-monitor clock ticks")
    ap.add_argument("--verbose", action="store_true")
    fake_sts.add_args(ap)       # -- creds
    a = ap.parse_args(argv[1:])

    cfg = Config()
    cfg.access_key, cfg.secret = a.access_key, a.secret
    cfg.session_token = a.session_token
    cfg.spot_token, cfg.spot_account = a.spot_token, a.spot_account
    cfg.region, cfg.account = a.region, a.account
    cfg.clusters = a.clusters.split(",") if a.clusters else None
    cfg.stable_seconds, cfg.drain_seconds = a.stable_seconds, a.drain_seconds
    cfg.stop_seconds = a.stop_seconds
    cfg.max_skew = a.max_skew
    cfg.clock_offset = a.clock_offset
    fake_spot.CLOCK_OFFSET = a.clock_offset
    cfg.ec2_consistency_delay = a.ec2_consistency_delay
    cfg.ec2_consistency_requests = a.ec2_consistency_requests
    cfg.tasks_per_instance = max(1, a.tasks_per_instance)
    cfg.ocean_instances = a.ocean_instances
    cfg.terminate_seconds = max(0.0, a.terminate_seconds)
    cfg.verbose = a.verbose
    cfg.aas_page_size = min(50, max(1, a.aas_page_size))
    cfg.prefix = a.prefix
    cfg.sts = fake_sts.Registry(a, a.account, a.access_key)  # -- creds

    peer = Peer(cfg)
    try:
        peer.faults.set(Faults.parse(a.faults))
    except (ValueError, TypeError) as e:
        sys.stderr.write("peer: --faults: %s\n" % e)
        return 2
    if a.seed:
        peer.seed(a.seed)

    servers = []
    for role in ("aws", "spot"):
        srv = Server(("127.0.0.1", 0), Handler)
        srv.role = role
        srv.peer = peer
        servers.append(srv)
        peer.servers[role] = srv
        peer.urls[role] = "http://127.0.0.1:%d" % srv.server_address[1]
    threads = [threading.Thread(target=s.serve_forever,
                                kwargs={"poll_interval": Server.POLL},
                                daemon=True)
               for s in servers]
    for t in threads:
        t.start()

    stop = peer.stop

    def ticker():
        # clock-driven transitions (tasks started / stopped, INACTIVE,
        # instances terminated) happen here even when nobody asks; at most
        # every --tick seconds, and only while one is due: with none due
        # it sleeps until the next one or the next request (peer.kick; a
        # request may schedule one), at most IDLE_TICK. Ends with the peer.
        while not stop.wait(max(0.01, a.tick)):
            peer.kick.clear()
            with peer.state.lock:
                peer.traffic.tick()
                peer.spot.reconcile()
                left = peer.next_due()
            if left is None or left > a.tick:
                peer.kick.wait(IDLE_TICK if left is None
                               else min(IDLE_TICK, left - a.tick))
    threading.Thread(target=ticker, daemon=True).start()

    def on_signal(signum, frame):
        stop.set()
        peer.kick.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    write_atomic(a.port_file, json.dumps({
        "aws": peer.urls["aws"], "spot": peer.urls["spot"],
        "pid": os.getpid()}) + "\n")
    stop.wait(a.max_seconds)
    peer.kick.set()
    for s in servers:
        s.stop_serving()
        s.server_close()
    if a.state:
        write_atomic(a.state, peer.snapshot_json(indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
