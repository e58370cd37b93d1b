#!/usr/bin/python3
"""Validate an f2o bundle's request files against the AWS models and the
Spot schemas kept in tests/.

Usage: /usr/bin/python3 tests/tools/validate_bundle.py BUNDLE_DIR_OR_TAR...

Prints one line per problem, "FILE: JSONPATH: reason", then a summary line;
exits 1 when there is any problem, 2 on usage errors.

As a module: validate(path) -> list of "FILE: JSONPATH: reason" strings.
"""
import copy
import hashlib
import json
import os
import re
import sys
import tarfile

# awsmodel (botocore, the models: about 0.15 s of CPU) is imported by the
# functions that validate, not here: a checker that only reads a bundle
# (Bundle, e.g. tests/tools/e2e_check.py) does without.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MAX_FILE = 64 * 1024 * 1024
MAX_STEPS = 200000
# plan_id_valid(): [A-Za-z0-9/_:-], at most 300, has a '/' not at either end
ID_RE = re.compile(r"^(?=.{1,300}$)[A-Za-z0-9_:-][A-Za-z0-9/_:-]*/"
                   r"[A-Za-z0-9/_:-]*[A-Za-z0-9_:-]$")
# plan_ref_parse(): a whole string "${ID.OUTPUT}"; anything else is a plain
# value (e.g. a CloudFormation-style "${Partition}" in an environment value)
REF_RE = re.compile(r"^\$\{([A-Za-z0-9/_:-]+)\.([A-Za-z0-9_]+)\}$")

# action -> (kind, operation) for the actions that are not "ecs:<Op>",
# "ec2:<Op>", "application-autoscaling:<Op>" or "cloudwatch:<Op>" with Op in
# the model.
SPECIAL = {
    "wait:ServicesStable": ("ecs", "DescribeServices"),
    "wait:ServicesInactive": ("ecs", "DescribeServices"),
    # polls ListContainerInstances until it lists nothing
    "wait:ContainerInstancesGone": ("ecs", "ListContainerInstances"),
    "spot:CreateOceanCluster": ("spot", "cluster"),
    "spot:CreateOceanLaunchSpec": ("spot", "launchSpec"),
    # Rollback deletes: the request names the resource; f2o-exec sends
    # DELETE /ocean/aws/ecs/launchSpec/{id} or /ocean/aws/ecs/cluster/{id}.
    "spot:DeleteOceanLaunchSpec": ("spotid", "launchSpecId"),
    "spot:DeleteOceanCluster": ("spotid", "oceanId"),
}
PHASES = ("import", "cutover", "rollback")


class Bundle:
    """Read access to a bundle directory or .tar / .tar.gz archive."""

    def __init__(self, path):
        self.path = path
        self.files = None
        if os.path.isdir(path):
            self.dir = path
        else:
            self.dir = None
            self.files = {}
            with tarfile.open(path, "r:*") as t:
                for m in t.getmembers():
                    if len(self.files) > MAX_STEPS * 2:
                        raise ValueError("too many archive entries")
                    if not m.isfile():
                        continue
                    if m.size > MAX_FILE:
                        raise ValueError("%s: file too large" % m.name)
                    name = m.name[2:] if m.name.startswith("./") else m.name
                    self.files[name] = t.extractfile(m).read()

    def read(self, name):
        """bytes, or None when absent."""
        if name.startswith("/") or ".." in name.split("/"):
            return None
        if self.dir is None:
            return self.files.get(name)
        p = os.path.join(self.dir, name)
        if not os.path.isfile(p):
            return None
        if os.path.getsize(p) > MAX_FILE:
            raise ValueError("%s: file too large" % name)
        with open(p, "rb") as f:
            return f.read()


def _load_json(b, name, problems):
    data = b.read(name)
    if data is None:
        problems.append("%s: $: file missing" % name)
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        problems.append("%s: $: not valid JSON: %s" % (name, e))
        return None


def _refs(node, path, out):
    """Collect (jsonpath_parts, string) for every "${...}" string."""
    if isinstance(node, dict):
        for k, v in node.items():
            _refs(v, path + [k], out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _refs(v, path + [i], out)
    elif isinstance(node, str) and node.startswith("${"):
        out.append((path, node))


def _set(node, path, value):
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def validate(path):
    import awsmodel
    problems = []
    try:
        b = Bundle(path)
    except (OSError, tarfile.TarError, ValueError) as e:
        return ["%s: $: cannot read bundle: %s" % (path, e)]

    manifest = _load_json(b, "manifest.json", problems)
    if isinstance(manifest, dict):
        if manifest.get("format") != "f2o-bundle":
            problems.append('manifest.json: $.format: not "f2o-bundle"')
        files = manifest.get("files")
        if not isinstance(files, dict):
            problems.append("manifest.json: $.files: missing or not an object")
        else:
            for name, digest in sorted(files.items()):
                data = b.read(name)
                jp = awsmodel.jpath_join("$.files", [name])
                if data is None:
                    problems.append("manifest.json: %s: listed file missing"
                                    % jp)
                elif hashlib.sha256(data).hexdigest() != digest:
                    problems.append("manifest.json: %s: SHA-256 mismatch" % jp)
    elif manifest is not None:
        problems.append("manifest.json: $: not an object")

    plan = _load_json(b, "plan.json", problems)
    if plan is None:
        return problems
    steps = plan.get("steps") if isinstance(plan, dict) else None
    if not isinstance(steps, list):
        problems.append("plan.json: $.steps: missing or not an array")
        return problems
    if len(steps) > MAX_STEPS:
        problems.append("plan.json: $.steps: more than %d steps" % MAX_STEPS)
        return problems

    seen = {}          # id -> step
    spot_bodies = []   # (request file, "cluster" | "launchSpec", body)
    for i, st in enumerate(steps):
        sp = "$.steps[%d]" % i
        if not isinstance(st, dict):
            problems.append("plan.json: %s: not an object" % sp)
            continue
        sid = st.get("id")
        if not isinstance(sid, str) or not ID_RE.match(sid):
            problems.append("plan.json: %s.id: missing or bad step id %r"
                            % (sp, sid))
            continue
        if sid in seen:
            problems.append("plan.json: %s.id: duplicate step id %s"
                            % (sp, sid))
            continue
        if st.get("phase") not in PHASES:
            problems.append("plan.json: %s.phase: unknown phase %r"
                            % (sp, st.get("phase")))
        after = st.get("after", [])
        if not isinstance(after, list):
            problems.append("plan.json: %s.after: not an array" % sp)
            after = []
        for j, a in enumerate(after):
            if a not in seen:
                problems.append("plan.json: %s.after[%d]: %r is not an "
                                "earlier step" % (sp, j, a))
        outputs = st.get("outputs", {})
        if not isinstance(outputs, dict) or not all(
                isinstance(v, str) for v in outputs.values()):
            problems.append("plan.json: %s.outputs: not an object of "
                            "strings" % sp)
            outputs = {}
        action = st.get("action")
        target = _target(action)
        if target is None:
            problems.append("plan.json: %s.action: unknown action %r"
                            % (sp, action))
        seen[sid] = st
        req = st.get("request")
        if req is None:
            if target is not None:
                problems.append("plan.json: %s.request: action %s needs a "
                                "request file" % (sp, action))
            continue
        if not isinstance(req, str):
            problems.append("plan.json: %s.request: not a string" % sp)
            continue
        if b.read(req) is None:
            problems.append("plan.json: %s.request: file %s missing"
                            % (sp, req))
            continue
        body = _load_json(b, req, problems)
        if body is None or target is None:
            continue
        _check_request(req, body, target, st, seen, problems)
        if target[0] == "spot":
            spot_bodies.append((req, target[1], body))

    _check_spot_percentage(spot_bodies, problems)
    return problems


def _spot_percentage(body, root):
    """strategy.spotPercentage of a Spot body {"<root>": {...}} or None."""
    o = body.get(root) if isinstance(body, dict) else None
    st = o.get("strategy") if isinstance(o, dict) else None
    return st.get("spotPercentage") if isinstance(st, dict) else None


def _check_spot_percentage(spot_bodies, problems):
    """spot-api.md 3.2: a VNG's strategy.spotPercentage is only allowed
    when the cluster strategy has no spotPercentage."""
    cluster = [b for _, op, b in spot_bodies if op == "cluster" and
               _spot_percentage(b, "cluster") is not None]
    if not cluster:
        return
    for req, op, b in spot_bodies:
        if op == "launchSpec" and \
                _spot_percentage(b, "launchSpec") is not None:
            problems.append("%s: $.launchSpec.strategy.spotPercentage: "
                            "only allowed when the cluster strategy has "
                            "no spotPercentage (the bundle's cluster sets "
                            "%r)" % (req, _spot_percentage(cluster[0],
                                                           "cluster")))


def _target(action):
    import awsmodel
    if not isinstance(action, str):
        return None
    if action in SPECIAL:
        return SPECIAL[action]
    m = re.match(r"^(ecs|ec2|application-autoscaling|cloudwatch):"
                 r"([A-Za-z0-9]+)$", action)
    if m and awsmodel.has_operation(m.group(1), m.group(2)):
        return (m.group(1), m.group(2))
    return None


def _check_request(req, body, target, step, seen, problems):
    import awsmodel
    kind, op = target
    body = copy.deepcopy(body)
    refs = []
    _refs(body, [], refs)
    for path, s in refs:
        jp = awsmodel.jpath_join("$", path)
        m = REF_RE.match(s)
        if not m or not ID_RE.match(m.group(1)):
            continue
        rid, out = m.group(1), m.group(2)
        src = seen.get(rid)
        if src is None or src is step:
            problems.append("%s: %s: reference to %s, not an earlier step"
                            % (req, jp, rid))
            continue
        if out not in (src.get("outputs") or {}):
            problems.append("%s: %s: step %s has no output %s"
                            % (req, jp, rid, out))
            continue
        src_t = _target(src.get("action")) or ("", "")
        _set(body, path, awsmodel.plausible(src_t[0], src_t[1], out, path))
    if kind == "spotid":
        # DeleteOceanLaunchSpec's query parameter deleteContainerInstances
        # (spot-api.md 3.1) may ride along as a boolean member
        extra = {"deleteContainerInstances"} if op == "launchSpecId" \
            else set()
        if not isinstance(body, dict) or op not in body or \
                set(body) - {op} - extra or \
                not isinstance(body[op], str) or not body[op] or \
                any(not isinstance(body[k], bool) for k in set(body) & extra):
            problems.append('%s: $: must be {"%s": ID%s}' % (
                req, op, ", \"deleteContainerInstances\": BOOL" if extra
                else ""))
        return
    if kind == "spot":
        if not isinstance(body, dict):
            problems.append("%s: $: not an object" % req)
            return
        for jp, reason in awsmodel.validate_spot(op, body):
            problems.append("%s: %s: %s" % (req, jp, reason))
        return
    if not isinstance(body, dict):
        problems.append("%s: $: not an object" % req)
        return
    for jp, reason in awsmodel.validate_params(kind, op, body):
        problems.append("%s: %s: %s" % (req, jp, reason))
    if step.get("action", "").startswith("wait:"):
        svcs = body.get("services")
        if isinstance(svcs, list) and len(svcs) > 10:
            problems.append("%s: $.services: DescribeServices takes at most "
                            "10 services" % req)


def main(argv):
    """Each bundle's problems, then its "validate_bundle: B: N problems"
    line; several bundles in one process (one start-up, not one each)."""
    if len(argv) < 2 or any(a.startswith("-") for a in argv[1:]):
        sys.stderr.write("usage: validate_bundle.py BUNDLE_DIR_OR_TAR...\n")
        return 2
    rc = 0
    for b in argv[1:]:
        problems = validate(b)
        for p in problems:
            print(p)
        print("validate_bundle: %s: %d problem%s" % (
            b, len(problems), "" if len(problems) == 1 else "s"))
        if problems:
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
