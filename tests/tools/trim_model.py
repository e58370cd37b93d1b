#!/usr/bin/python3
"""Trim a botocore service model to the operations f2o uses.

Usage: trim_model.py SRC_SERVICE_2_JSON DST [Op ...]

Keeps "version" and "metadata" as they are, the named operations (default:
the EC2 security-group operations f2o sends), and every shape reachable
from their input, output and error shapes. Documentation strings are kept
so the trimmed file is a plain subset of the original. Output is written
with sorted keys off, indent 1, so a rerun gives the same bytes.
"""
import json
import sys

DEFAULT_OPS = [
    "CreateSecurityGroup", "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress",
    "RevokeSecurityGroupIngress", "DeleteSecurityGroup",
    "DescribeSecurityGroups", "DescribeSecurityGroupRules",
]


def shape_refs(shape):
    """Names of shapes a shape refers to directly."""
    out = []
    for key in ("member", "key", "value"):
        if key in shape:
            out.append(shape[key]["shape"])
    for m in shape.get("members", {}).values():
        out.append(m["shape"])
    return out


def trim(model, ops):
    shapes = model["shapes"]
    keep_ops = {}
    todo = []
    for op in ops:
        if op not in model["operations"]:
            raise SystemExit("trim_model: no operation %s" % op)
        o = model["operations"][op]
        keep_ops[op] = o
        for k in ("input", "output"):
            if k in o:
                todo.append(o[k]["shape"])
        for e in o.get("errors", []):
            todo.append(e["shape"])
    seen = set()
    while todo:                         # bounded by the number of shapes
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(shape_refs(shapes[name]))
    out = {}
    for k in model:
        if k == "operations":
            out[k] = keep_ops
        elif k == "shapes":
            out[k] = {n: shapes[n] for n in shapes if n in seen}
        else:
            out[k] = model[k]
    return out


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: trim_model.py SRC DST [Op ...]\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        model = json.load(f)
    ops = argv[3:] or DEFAULT_OPS
    out = trim(model, ops)
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    sys.stderr.write("trim_model: %d operations, %d shapes\n" %
                     (len(out["operations"]), len(out["shapes"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
