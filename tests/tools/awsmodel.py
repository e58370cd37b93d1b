"""Shared helpers for f2o's Python tests: the AWS models and Spot schemas
kept in tests/models and tests/schemas, request validation, and the
EC2 query-form parser (the inverse of botocore's ec2 serializer).

Runs under Debian's /usr/bin/python3 (python3-botocore, python3-jsonschema).
"""
import json
import os
import re
import sys

# botocore imports optional modules that these loopback tests
# never use: awscrt (CRT signing; botocore.compat.HAS_CRT becomes False, as
# with BOTO_DISABLE_CRT=true, and the peers verify with botocore's Python
# SigV4Auth in any case) and pyOpenSSL (TLS through urllib3; the peers speak
# plain HTTP). Blocking them saves about 0.3 s of CPU in every process that
# imports this module, a peer or a checker: about 150 processes a test run.
# Unless one of them is already loaded.
for _m in ("awscrt", "urllib3.contrib.pyopenssl"):
    sys.modules.setdefault(_m, None)


def _requests_stand_in():
    """Debian's botocore.exceptions imports requests only to derive four
    exception classes from requests.exceptions (upstream botocore has them
    vendored). A loopback peer or checker never sends a request through
    requests, and importing it (with chardet, charset_normalizer, idna)
    costs about 0.1 s of CPU per process: this stand-in has those classes,
    with requests' own hierarchy, and nothing else (anything more raises
    AttributeError naming this stand-in). Only when requests is not
    already loaded."""
    import types
    import urllib3
    exc = types.ModuleType("requests.exceptions")

    class RequestException(IOError):
        pass

    class ConnectionError(RequestException):  # noqa: A001
        pass

    class Timeout(RequestException):
        pass

    class SSLError(ConnectionError):
        pass

    class ProxyError(ConnectionError):
        pass

    class ReadTimeout(Timeout):
        pass

    class ConnectTimeout(ConnectionError, Timeout):
        pass

    for c in (RequestException, ConnectionError, Timeout, SSLError,
              ProxyError, ReadTimeout, ConnectTimeout):
        setattr(exc, c.__name__, c)
    pkgs = types.ModuleType("requests.packages")
    pkgs.urllib3 = urllib3
    req = types.ModuleType("requests")
    req.exceptions, req.packages = exc, pkgs

    def missing(name):
        raise AttributeError("requests.%s: requests is stood in for by "
                             "tests/tools/awsmodel.py" % name)
    req.__getattr__ = missing
    sys.modules.update({"requests": req, "requests.exceptions": exc,
                        "requests.packages": pkgs})


if "requests" not in sys.modules and "botocore" not in sys.modules:
    _requests_stand_in()

import botocore.model  # noqa: E402
import botocore.validate  # noqa: E402

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(TESTS, "models")
SCHEMAS = os.path.join(TESTS, "schemas")

_cache = {}


def service_model(name):
    """botocore ServiceModel for "ecs", "ec2", "application-autoscaling",
    "cloudwatch" or "sso-oidc" from tests/models."""
    if name not in _cache:
        sub = {"ecs": "ecs/2014-11-13", "ec2": "ec2/2016-11-15",
               "application-autoscaling": "application-autoscaling/2016-02-06",
               "cloudwatch": "cloudwatch/2010-08-01",
               "sso-oidc": "sso-oidc/2019-06-10"}[name]
        with open(os.path.join(MODELS, sub, "service-2.json"),
                  encoding="utf-8") as f:
            _cache[name] = botocore.model.ServiceModel(json.load(f), name)
    return _cache[name]


def shape(service, name):
    """The named shape of a service model, resolved once: a Shape caches
    its members, so the same object is walked again without resolving the
    model again (shape_for makes a new Shape tree at every call)."""
    key = "shape:%s:%s" % (service, name)
    if key not in _cache:
        _cache[key] = service_model(service).shape_for(name)
    return _cache[key]


def has_operation(service, op):
    return op in service_model(service).operation_names


def input_shape(service, op):
    return service_model(service).operation_model(op).input_shape


SPOT_SCHEMA_FILES = {
    "cluster": "spot-ocean-ecs-cluster.schema.json",
    "launchSpec": "spot-ocean-ecs-launchspec.schema.json",
}


def spot_validator(kind):
    """jsonschema validator for "cluster" or "launchSpec" bodies."""
    key = "spot:" + kind
    if key not in _cache:
        # imported here: a process that validates no Spot body (a peer
        # asked only AWS requests, a checker) does not pay for it
        import jsonschema
        with open(os.path.join(SCHEMAS, SPOT_SCHEMA_FILES[kind]),
                  encoding="utf-8") as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        _cache[key] = cls(schema)
    return _cache[key]


def jpath_join(base, parts):
    s = base
    for p in parts:
        if isinstance(p, int):
            s += "[%d]" % p
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", p):
            s += "." + p
        else:
            s += "[" + json.dumps(p) + "]"
    return s


def validate_spot(kind, body):
    """List of (jsonpath, reason) for a Spot POST body."""
    out = []
    v = spot_validator(kind)
    for e in sorted(v.iter_errors(body), key=lambda e: list(e.absolute_path)):
        out.append((jpath_join("$", list(e.absolute_path)), e.message))
    return out


def validate_params(service, op, params):
    """List of (jsonpath, reason) for an operation input (model names)."""
    shape = input_shape(service, op)
    if shape is None:
        if params not in ({}, None):
            return [("$", "operation %s takes no input" % op)]
        return []
    report = botocore.validate.ParamValidator().validate(params, shape)
    out = []
    for err_type, name, extra in report._errors:
        path = _bc_path(name)
        if err_type == "missing required field":
            out.append((jpath_join(path, [extra["required_name"]]),
                        "missing required field"))
        elif err_type == "unknown field":
            out.append((jpath_join(path, [extra["unknown_param"]]),
                        "unknown field"))
        elif err_type == "invalid type":
            out.append((path, "invalid type %s, expected %s" % (
                type(extra["param"]).__name__,
                ", ".join(_typename(t) for t in extra["valid_types"]))))
        elif err_type == "invalid range":
            out.append((path, "value %r below minimum %s" % (
                extra["param"], extra["min_allowed"])))
        elif err_type == "invalid length":
            out.append((path, "length %r below minimum %s" % (
                extra["param"], extra["min_allowed"])))
        else:
            out.append((path, report._format_error(
                (err_type, name, extra))))
    return out


def _typename(t):
    m = re.match(r"^<class '([A-Za-z_.]+)'>$", str(t))
    return m.group(1) if m else getattr(t, "__name__", str(t))


def _bc_path(name):
    # botocore names errors "input.a.b[0].c"; make it "$.a.b[0].c"
    if name in ("input", ""):
        return "$"
    if name.startswith("input"):
        return "$" + name[len("input"):]
    if name.startswith(".") or name.startswith("["):
        return "$" + name
    return "$." + name


# ---------------------------------------------------------------------
# EC2 query form -> params

def query_name(member_name, member_shape):
    """The ec2 protocol key of a structure member (botocore EC2Serializer)."""
    ser = member_shape.serialization
    if "queryName" in ser:
        return ser["queryName"]
    if "name" in ser:
        n = ser["name"]
        return n[0].upper() + n[1:]
    return member_name


class QueryError(Exception):
    def __init__(self, key, reason):
        Exception.__init__(self, "%s: %s" % (key, reason))
        self.key = key
        self.reason = reason


def parse_query(op, form):
    """form: dict key -> str (without Action/Version). Returns params in
    model member names or raises QueryError on a key the model does not
    know or a value of the wrong type."""
    shape = input_shape("ec2", op)
    tree = {}
    for key in sorted(form):
        parts = key.split(".")
        if len(parts) > 20 or any(p == "" for p in parts):
            raise QueryError(key, "malformed parameter name")
        node = tree
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise QueryError(key, "conflicting parameter names")
        if parts[-1] in node:
            raise QueryError(key, "conflicting parameter names")
        node[parts[-1]] = form[key]
    if shape is None:
        if tree:
            raise QueryError(sorted(form)[0], "unknown parameter")
        return {}
    return _q_struct(shape, tree, "")


def _q_struct(shape, node, prefix):
    if not isinstance(node, dict):
        raise QueryError(prefix, "expected a structure")
    names = {}
    for mname, mshape in shape.members.items():
        names[query_name(mname, mshape)] = (mname, mshape)
    out = {}
    for k, v in node.items():
        key = prefix + k
        if k not in names:
            raise QueryError(key, "unknown parameter")
        mname, mshape = names[k]
        out[mname] = _q_value(mshape, v, key)
    return out


def _q_value(shape, v, key):
    t = shape.type_name
    if t == "structure":
        return _q_struct(shape, v, key + ".")
    if t == "list":
        if not isinstance(v, dict):
            # an empty list is sent as "Key=" by some serializers
            if v == "":
                return []
            raise QueryError(key, "expected a list (%s.N)" % key)
        items = []
        for idx, sub in v.items():
            if not re.match(r"^[1-9][0-9]{0,4}$", idx):
                raise QueryError(key + "." + idx, "bad list index")
            items.append((int(idx), _q_value(shape.member, sub,
                                             key + "." + idx)))
        items.sort(key=lambda x: x[0])
        return [x[1] for x in items]
    if isinstance(v, dict):
        raise QueryError(key, "expected a %s value" % t)
    if t in ("integer", "long"):
        if not re.match(r"^-?[0-9]{1,19}$", v):
            raise QueryError(key, "invalid %s value %r" % (t, v))
        return int(v)
    if t == "boolean":
        if v not in ("true", "false"):
            raise QueryError(key, "invalid boolean value %r" % v)
        return v == "true"
    if t in ("float", "double"):
        try:
            return float(v)
        except ValueError:
            raise QueryError(key, "invalid number %r" % v)
    return v


# ---------------------------------------------------------------------
# plausible values for run-time references

def plausible(service, op_or_kind, output, path):
    """A plausible value for a "${STEP.OUTPUT}" reference (a string, or 1
    for a desiredCount read live)."""
    o = output.lower()
    if o == "desiredcount":
        return 1    # an integer member: validate with a count of 1
    if o == "taskdefinitionarn":
        return ("arn:aws:ecs:us-east-1:123456789012:task-definition/"
                "f2o-placeholder:1")
    if o == "servicearn":
        return "arn:aws:ecs:us-east-1:123456789012:service/shop/f2o-placeholder"
    if o == "groupid":
        return "sg-0f2o0000000000001"
    if o == "id":
        if op_or_kind == "CreateOceanLaunchSpec":
            return "ols-0f2o0001"
        return "o-0f2o0001"
    if o.endswith("arn"):
        return "arn:aws:placeholder:us-east-1:123456789012:placeholder/x"
    return "f2o-placeholder-" + re.sub(r"[^A-Za-z0-9-]", "-", output)
