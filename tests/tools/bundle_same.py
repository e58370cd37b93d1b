#!/usr/bin/python3
"""Compare two f2o bundles translated from the same resources exported two
ways (by hand, and by f2o-export from live AWS or the loopback peers).

Usage: bundle_same.py [--label TEXT] EXPECTED ACTUAL

Prints one "ok ..." or "FAIL ..." line per check (with the first
differences under a FAIL). What must be equal, and the only normalisations:

- The bundle id is the digest of the canonical JSON of every input, and a
  live export holds members a hand-made one renders differently or leaves
  out (timestamps as the CLI prints them, runningCount, events,
  deployments, members outside the model, security-group rules of one
  port range merged into one permission). Each bundle's id is replaced by
  the same fixed value in every file, and the clientToken of a
  CreateService (the first 32 hex digits of sha256("BUNDLEID/STEP")) is
  checked to be derived from its bundle's id and recomputed from the fixed
  one.
- plan.json, PLAN.md, warnings.json, report.json, report.html and
  iam-policy.json: byte-equal after that.
- requests/: the same files; each equal as a JSON value (object member
  order not compared: the translator keeps the export's member order, the
  AWS CLI prints members in the API model's order, a hand-made file in any
  order).
- manifest.json: parameters, account, templates, the list of files and
  the fingerprints of services, scalable targets, scaling policies,
  scheduled actions and alarms equal; the same security groups fingerprinted,
  each equal rule by rule (one rule per source, as drift detection
  compares them: AWS prints the rules of one protocol and port range as
  one permission, a hand-made export may split them). The inputs'
  digests are not compared (see the bundle id).
"""
import argparse
import hashlib
import json
import os
import sys

FIXED_ID = "0000000000000000"
TEXT_FILES = ("plan.json", "PLAN.md", "warnings.json", "report.json",
              "report.html", "iam-policy.json")
MAX_SHOWN = 8

results = []


def check(name, problems):
    results.append((name, problems))


def token(bundle_id, step):
    return hashlib.sha256(("%s/%s" % (bundle_id, step)).encode()) \
        .hexdigest()[:32]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def request_files(root):
    base = os.path.join(root, "requests")
    out = set()
    for d, _, files in os.walk(base):
        for f in files:
            out.add(os.path.relpath(os.path.join(d, f), base))
    return out


def normalised_request(root, rel, bundle_id, problems):
    text = read(os.path.join(root, "requests", rel)).decode()
    doc = json.loads(text.replace(bundle_id, FIXED_ID))
    if isinstance(doc, dict) and "clientToken" in doc:
        step = rel[:-len(".json")] if rel.endswith(".json") else rel
        if doc["clientToken"] != token(bundle_id, step):
            problems.append("%s: %s: clientToken %s is not derived from "
                            "bundle id %s" % (root, rel, doc["clientToken"],
                                              bundle_id))
        doc["clientToken"] = token(FIXED_ID, step)
    return doc


def diff_json(a, b, path, out):
    """First differences between JSON values a and b, as path strings."""
    if len(out) >= MAX_SHOWN:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append("%s.%s: only in actual" % (path, k))
            elif k not in b:
                out.append("%s.%s: only in expected" % (path, k))
            else:
                diff_json(a[k], b[k], "%s.%s" % (path, k), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff_json(x, y, "%s[%d]" % (path, i), out)
    elif a != b:
        out.append("%s: expected %s, actual %s" % (
            path, json.dumps(a)[:200], json.dumps(b)[:200]))


def rules(group):
    """The set of single rules of a security-group fingerprint."""
    out = set()
    for direction in ("IpPermissions", "IpPermissionsEgress"):
        for p in group.get(direction) or []:
            head = (direction, p.get("IpProtocol"), p.get("FromPort"),
                    p.get("ToPort"))
            n = 0
            for kind in ("IpRanges", "Ipv6Ranges", "PrefixListIds",
                         "UserIdGroupPairs"):
                for src in p.get(kind) or []:
                    out.add(head + (kind, json.dumps(src, sort_keys=True)))
                    n += 1
            if n == 0:
                out.add(head + ("", ""))
    return out


def compare(exp, act):
    man = {}
    for side, root in (("expected", exp), ("actual", act)):
        path = os.path.join(root, "manifest.json")
        if not os.path.isfile(path):
            check("%s bundle %s" % (side, root), ["no manifest.json: not a "
                                                  "bundle"])
            return
        man[side] = json.loads(read(path))
    eid, aid = man["expected"]["bundleId"], man["actual"]["bundleId"]

    for f in TEXT_FILES:
        pe, pa = os.path.join(exp, f), os.path.join(act, f)
        if not os.path.exists(pe) and not os.path.exists(pa):
            continue
        if not os.path.exists(pe) or not os.path.exists(pa):
            check("%s in both bundles" % f, ["missing in %s" % (
                "expected" if not os.path.exists(pe) else "actual")])
            continue
        te = read(pe).replace(eid.encode(), FIXED_ID.encode())
        ta = read(pa).replace(aid.encode(), FIXED_ID.encode())
        probs = []
        if te != ta:
            le, la = te.decode().splitlines(), ta.decode().splitlines()
            for i in range(max(len(le), len(la))):
                x = le[i] if i < len(le) else "<end>"
                y = la[i] if i < len(la) else "<end>"
                if x != y:
                    probs.append("line %d: expected %r, actual %r" % (
                        i + 1, x[:160], y[:160]))
                    if len(probs) >= MAX_SHOWN:
                        break
        check("%s byte-equal (bundle id fixed)" % f, probs)

    re_, ra = request_files(exp), request_files(act)
    probs = ["only in expected: %s" % r for r in sorted(re_ - ra)] + \
        ["only in actual: %s" % r for r in sorted(ra - re_)]
    check("the same %d request files" % len(re_), probs[:MAX_SHOWN])
    probs = []
    for rel in sorted(re_ & ra):
        d = []
        de = normalised_request(exp, rel, eid, probs)
        da = normalised_request(act, rel, aid, probs)
        diff_json(de, da, rel, d)
        probs.extend(d)
    check("every request equal as JSON (bundle id and clientToken fixed)",
          probs[:MAX_SHOWN * 2])

    me, ma = man["expected"], man["actual"]
    probs = []
    for k in ("parameters", "account", "templates"):
        diff_json(me.get(k), ma.get(k), "manifest." + k, probs)
    if sorted(me.get("files", {})) != sorted(ma.get("files", {})):
        probs.append("manifest.files: the lists of files differ")
    fe, fa = me.get("fingerprints", {}), ma.get("fingerprints", {})
    for k in ("services", "scalableTargets", "scalingPolicies",
              "scheduledActions", "alarms"):
        diff_json(fe.get(k), fa.get(k), "manifest.fingerprints." + k, probs)
    ge, ga = fe.get("securityGroups", {}), fa.get("securityGroups", {})
    for g in sorted(set(ge) | set(ga)):
        if g not in ga:
            probs.append("security group %s: only in expected" % g)
            continue
        if g not in ge:
            probs.append("security group %s: only in actual" % g)
            continue
        if ge[g].get("VpcId") != ga[g].get("VpcId"):
            probs.append("security group %s: VpcId differs" % g)
        re1, ra1 = rules(ge[g]), rules(ga[g])
        for r in sorted(re1 - ra1)[:3]:
            probs.append("security group %s: rule only in expected: %s"
                         % (g, r))
        for r in sorted(ra1 - re1)[:3]:
            probs.append("security group %s: rule only in actual: %s"
                         % (g, r))
    check("manifest: parameters, files, fingerprints equal",
          probs[:MAX_SHOWN * 2])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--label", default="", help="prefix of every line")
    ap.add_argument("expected")
    ap.add_argument("actual")
    a = ap.parse_args()
    compare(a.expected, a.actual)
    bad = 0
    for name, probs in results:
        label = (a.label + ": " if a.label else "") + name
        if probs:
            bad += 1
            print("FAIL %s" % label)
            for p in probs:
                print("    %s" % p)
        else:
            print("ok   %s" % label)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
