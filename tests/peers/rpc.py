"""Wire protocols of the Application Auto Scaling and CloudWatch fakes on
the AWS port of peer.py:

  - AAS, JSON 1.1: POST / with X-Amz-Target AnyScaleFrontendService.Op;
  - CloudWatch, JSON 1.0: X-Amz-Target GraniteServiceVersion20100801.Op
    (what f2o-exec sends);
  - CloudWatch, Smithy RPC v2 CBOR: POST
    /service/GraniteServiceVersion20100801/operation/Op with
    smithy-protocol: rpc-v2-cbor (what the AWS CLI v1.45 / botocore 1.43
    sends);
  - CloudWatch, query: form body Action=Op&Version=2010-08-01, XML answers.

Each request is SigV4-checked (signing names application-autoscaling,
monitoring), given the same seeded faults as the other fakes (targets
"aas" and "cw"), validated against tests/models and then handed to
fake_aas / fake_cw under the state lock. route() returns True when it
answered.
"""
import datetime
import json
import urllib.parse
import uuid
from xml.sax.saxutils import escape

import cbor
import fake_aas
from common import ApiError, awsmodel

CW_TARGET = "GraniteServiceVersion20100801."
CW_CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/"
CW_VERSION = "2010-08-01"
CW_NS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
AAS = "application-autoscaling"
CW = "cloudwatch"

# (status, code, message) of each fault kind, per fake
FAULTS = {
    "aas": {"throttle": (400, "ThrottlingException", "Rate exceeded"),
            "throttle2": (400, "RateExceeded", "Rate exceeded"),
            "500": (500, "InternalServiceException", "Internal error"),
            "503": (503, "ServiceUnavailable", "Service Unavailable")},
    "cw": {"throttle": (400, "Throttling", "Rate exceeded"),
           "500": (500, "InternalServiceError", "Internal error"),
           "503": (503, "ServiceUnavailable", "Service Unavailable")},
}


class Call:
    """One request: which fake, protocol, operation."""

    def __init__(self, target, proto, opname):
        self.target = target        # "aas" | "cw"
        self.proto = proto          # json11 | json10 | cbor | query
        self.opname = opname
        self.service = AAS if target == "aas" else CW
        self.op = "%s:%s" % (target, opname)


def classify(h, url, body):
    """The Call of an AAS / CloudWatch request, or None."""
    if h.command != "POST":
        return None
    tgt = h.headers.get("X-Amz-Target") or ""
    if tgt.startswith(fake_aas.TARGET_PREFIX):
        return Call("aas", "json11", tgt[len(fake_aas.TARGET_PREFIX):])
    if tgt.startswith(CW_TARGET):
        return Call("cw", "json10", tgt[len(CW_TARGET):])
    if url.path.startswith(CW_CBOR_PATH):
        return Call("cw", "cbor", url.path[len(CW_CBOR_PATH):])
    if tgt:
        return None
    auth = h.headers.get("Authorization", "")
    try:
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
    except ValueError:
        return None
    if form.get("Version") == CW_VERSION or "/monitoring/aws4_request" in \
            auth:
        return Call("cw", "query", form.get("Action") or "")
    return None


# -- answers -------------------------------------------------------------------

def _iso(t):
    return datetime.datetime.fromtimestamp(
        float(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[
            :-3] + "Z"


def typed(shape, v):
    """v with the output shape's timestamps as cbor.Timestamp, members
    outside the model dropped."""
    if v is None or shape is None:
        return v
    t = shape.type_name
    if t == "structure" and isinstance(v, dict):
        return {k: typed(shape.members[k], x) for k, x in v.items()
                if k in shape.members and x is not None}
    if t == "list" and isinstance(v, list):
        return [typed(shape.member, x) for x in v]
    if t == "map" and isinstance(v, dict):
        return {k: typed(shape.value, x) for k, x in v.items()}
    if t == "timestamp" and isinstance(v, (int, float)):
        return cbor.Timestamp(v)
    return v


def _xml(shape, name, v):
    t = shape.type_name
    if t == "structure":
        inner = "".join(_xml(shape.members[k], shape.members[k].serialization
                             .get("name", k), x) for k, x in v.items()
                        if k in shape.members)
    elif t == "list":
        inner = "".join(_xml(shape.member, "member", x) for x in v)
    elif t == "map":
        inner = "".join("<entry><key>%s</key>%s</entry>" % (
            escape(str(k)), _xml(shape.value, "value", x))
            for k, x in v.items())
    elif t == "timestamp":
        inner = _iso(v)
    elif t == "boolean":
        inner = "true" if v else "false"
    else:
        inner = escape(str(v))
    return "<%s>%s</%s>" % (name, inner, name)


def _send(h, c, status, doc, rid):
    hdr = {"x-amzn-RequestId": rid}
    if c.proto == "json11":
        return h.send(status, json.dumps(doc), "application/x-amz-json-1.1",
                      hdr)
    if c.proto == "json10":
        return h.send(status, json.dumps(doc), "application/x-amz-json-1.0",
                      hdr)
    hdr["smithy-protocol"] = "rpc-v2-cbor"
    return h.send(status, cbor.encode(doc), "application/cbor", hdr)


def error(h, c, e, fault=None):
    """Answer ApiError e in c's protocol (and count it)."""
    if fault is None:
        h.server.peer.state.note_request("aws", c.op, e.status, code=e.code)
    rid = str(uuid.uuid4())
    if c.proto == "query":
        body = ("<ErrorResponse xmlns=\"%s\"><Error><Type>%s</Type><Code>%s"
                "</Code><Message>%s</Message></Error><RequestId>%s"
                "</RequestId></ErrorResponse>" % (
                    CW_NS, "Sender" if e.status < 500 else "Receiver",
                    escape(e.code), escape(e.message), rid))
        return h.send(e.status, body, "text/xml", {"x-amzn-RequestId": rid})
    typ = e.code if c.target == "aas" else \
        "com.amazonaws.cloudwatch#" + e.code
    doc = {"__type": typ, "message": e.message}
    hdr = {"x-amzn-RequestId": rid}
    if c.target == "cw":
        # awsQueryCompatible: the query code travels in a header
        hdr["x-amzn-query-error"] = "%s;%s" % (
            e.code, "Sender" if e.status < 500 else "Receiver")
    if c.proto == "cbor":
        hdr["smithy-protocol"] = "rpc-v2-cbor"
        return h.send(e.status, cbor.encode(doc), "application/cbor", hdr)
    return h.send(e.status, json.dumps(doc), "application/x-amz-json-1.%d"
                  % (1 if c.proto == "json11" else 0), hdr)


def answer(h, c, out):
    peer = h.server.peer
    model = awsmodel.service_model(c.service)
    shape = model.operation_model(c.opname).output_shape
    doc = typed(shape, out) or {}
    peer.state.note_request("aws", c.op, 200)
    rid = str(uuid.uuid4())
    if c.proto != "query":
        return _send(h, c, 200, doc, rid)
    res = _xml(shape, c.opname + "Result", doc) if shape is not None else ""
    body = ("<%sResponse xmlns=\"%s\">%s<ResponseMetadata><RequestId>%s"
            "</RequestId></ResponseMetadata></%sResponse>" % (
                c.opname, CW_NS, res, rid, c.opname))
    return h.send(200, body, "text/xml", {"x-amzn-RequestId": rid})


def fault(h, c, kind):
    """Like Handler.fault for AAS / CW; True when the request is done."""
    peer = h.server.peer
    if kind in ("latency", "drop_after"):
        return h.fault(c.target, c.op, kind)
    if kind == "drop":
        peer.state.note_request("aws", c.op, 0, fault=kind)
        h.drop()
        return True
    if kind == "throttle" and c.target == "aas" and \
            peer.state.faults_done.get(kind, 0) % 2 == 1:
        kind = "throttle2"      # every other AAS throttle is RateExceeded
    st, code, msg = FAULTS[c.target][kind]
    peer.state.note_request("aws", c.op, st, fault=kind.rstrip("2"),
                            code=code)
    error(h, c, ApiError(st, code, msg), fault=kind)
    return True


# -- requests -------------------------------------------------------------------

def _query_value(shape, node, key):
    t = shape.type_name
    if t == "structure":
        if not isinstance(node, dict):
            raise ValueError("%s: expected a structure" % key)
        names = {m.serialization.get("name", n): (n, m)
                 for n, m in shape.members.items()}
        out = {}
        for k, v in node.items():
            if k not in names:
                raise ValueError("%s%s: unknown parameter" % (key, k))
            n, m = names[k]
            out[n] = _query_value(m, v, key + k + ".")
        return out
    if t in ("list", "map"):
        if node == "":
            return [] if t == "list" else {}
        sub = node.get("member" if t == "list" else "entry") \
            if isinstance(node, dict) else None
        if not isinstance(sub, dict) or len(node) != 1 or \
                not all(i.isdigit() and i[0] != "0" for i in sub):
            raise ValueError("%s: expected a %s (%s.N)" % (
                key.rstrip("."), t, "member" if t == "list" else "entry"))
        items = [sub[i] for i in sorted(sub, key=int)]
        if t == "list":
            return [_query_value(shape.member, x, key + "member.N.")
                    for x in items]
        return {_query_value(shape.key, x.get("key"), key): _query_value(
            shape.value, x.get("value"), key) for x in items}
    if isinstance(node, dict):
        raise ValueError("%s: expected a %s value" % (key.rstrip("."), t))
    if t in ("integer", "long"):
        return int(node)
    if t in ("float", "double"):
        return float(node)
    if t == "boolean":
        if node not in ("true", "false"):
            raise ValueError("%s: not a boolean" % key.rstrip("."))
        return node == "true"
    return node


def parse_query(shape, form):
    tree = {}
    for k, v in form.items():
        parts = k.split(".")
        if len(parts) > 20 or "" in parts:
            raise ValueError("%s: malformed parameter name" % k)
        node = tree
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ValueError("%s: conflicting parameter names" % k)
        node[parts[-1]] = v
    if shape is None:
        return {}
    return _query_value(shape, tree, "")


def _params(c, body, model):
    shape = model.operation_model(c.opname).input_shape
    if c.proto == "query":
        form = dict(urllib.parse.parse_qsl(body.decode("utf-8"),
                                           keep_blank_values=True))
        form.pop("Action", None)
        if form.pop("Version", None) != CW_VERSION:
            raise ApiError(400, "InvalidParameterValue", "Version must be "
                           "%s" % CW_VERSION)
        try:
            return parse_query(shape, form)
        except ValueError as e:
            raise ApiError(400, "InvalidParameterValue", str(e))
    try:
        if c.proto == "cbor":
            params = cbor.decode(body) if body else {}
        else:
            params = json.loads(body.decode("utf-8") or "{}")
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, "SerializationException", "cannot parse the "
                       "body: %s" % e)
    if not isinstance(params, dict):
        raise ApiError(400, "SerializationException", "the body is not an "
                       "object")
    return params


def route(h, url, body, verify):
    c = classify(h, url, body)
    if c is None:
        return False
    peer = h.server.peer
    model = awsmodel.service_model(c.service)
    try:
        verify(peer.cfg, h.command, h.path, h.headers, body,
               model.signing_name)
    except ApiError as e:
        return error(h, c, e) or True
    if c.proto == "cbor" and h.headers.get("smithy-protocol") != \
            "rpc-v2-cbor":
        return error(h, c, ApiError(400, "SerializationException",
                                    "smithy-protocol: rpc-v2-cbor is "
                                    "required")) or True
    if c.opname not in model.operation_names:
        code = "InvalidAction" if c.proto == "query" else \
            "UnknownOperationException"
        return error(h, c, ApiError(400, code, "Unknown operation %s"
                                    % c.opname)) or True
    kind = peer.faults.decide(c.target, c.opname)
    if kind and fault(h, c, kind):
        return True
    try:
        params = _params(c, body, model)
    except ApiError as e:
        return error(h, c, e) or True
    problems = awsmodel.validate_params(c.service, c.opname, params)
    if problems:
        msg = "%d validation error%s detected: %s" % (
            len(problems), "" if len(problems) == 1 else "s",
            "; ".join("%s: %s" % (jp, r) for jp, r in problems))
        return error(h, c, ApiError(400, "ValidationException" if
                                    c.target == "aas" else "ValidationError",
                                    msg)) or True
    fake = peer.aas if c.target == "aas" else peer.cw
    fn = getattr(fake, c.opname, None) if c.opname[0].isupper() else None
    if fn is None:
        return error(h, c, ApiError(400, "InvalidAction", "The f2o test "
                                    "peer does not implement %s."
                                    % c.opname)) or True
    try:
        with peer.state.lock:
            # fake_aas advances the service it checks: the traffic monitor
            # applies what is due first and observes what the call changed
            peer.traffic.tick()
            try:
                out = fn(params)
            finally:
                peer.traffic.observe("%s:%s" % (c.target, c.opname))
    except ApiError as e:
        return error(h, c, e) or True
    answer(h, c, out)
    return True
