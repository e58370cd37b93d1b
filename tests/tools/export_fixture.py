#!/usr/bin/python3
"""Inputs of tests/exec/export_test.sh (the f2o-export round trip).

Usage: export_fixture.py OUT [--bulk N]
       export_fixture.py lost SEED EXPORTED HAND OUT

Writes two export folders (the layout tests/peers/peer.py --seed reads):
  OUT/seed   what the peers hold: the demo cluster `shop` (fixtures/demo),
             the task definition its EC2 service legacy-cron uses
             (fixtures/export/taskdefs), and a cluster `bulk` of N services
             (default 23: more than two ListServices pages of 10 and
             DescribeServices batches of 10), clones of the demo's worker
             and imgproc services under new names
  OUT/bulk   the hand-made export of cluster `bulk` alone (its services,
             the task definitions and security groups they use)

`lost`: the members of the seeded resources (non-null) that the exported
folder EXPORTED lacks, one a line on stdout in f2o-export's words
("service NAME", "task definition NAME", "container NAME", else "other
PATH"): what an AWS CLI older than the peers' model drops. OUT is the
hand-made export folder HAND without those members, the input to compare
the exported one with.
"""
import copy
import json
import os
import shutil
import sys

DEMO = "fixtures/demo"
EXTRA = "fixtures/export"


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dump(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def bulk_services(demo, n):
    """n clones of worker/imgproc in cluster bulk, names NAME-NN."""
    by_name = {s["serviceName"]: s for s in demo["services"]}
    out = []
    for i in range(n):
        src = by_name["worker" if i % 2 == 0 else "imgproc"]
        s = copy.deepcopy(src)
        name = "%s-%02d" % (src["serviceName"], i + 1)
        s["serviceName"] = name
        s["serviceArn"] = src["serviceArn"].replace(
            "service/shop/" + src["serviceName"], "service/bulk/" + name)
        s["clusterArn"] = src["clusterArn"].replace("cluster/shop",
                                                    "cluster/bulk")
        out.append(s)
    return out


def walk(seed, got, path, out):
    if isinstance(seed, dict) and isinstance(got, dict):
        for k, v in seed.items():
            if v is None:
                continue
            if k not in got:
                out.add(path + (k,))
            else:
                walk(v, got[k], path + (k,), out)
    elif isinstance(seed, list) and isinstance(got, list):
        for x, y in zip(seed, got):
            walk(x, y, path + ("[]",), out)


WORDS = {("service",): "service", ("td", "taskDefinition"): "task definition",
         ("td", "taskDefinition", "containerDefinitions", "[]"): "container"}


def strip(doc, path):
    """Remove the member path (tuple, "[]" = every element) from doc."""
    if not path:
        return
    if path[0] == "[]":
        for x in doc if isinstance(doc, list) else []:
            strip(x, path[1:])
    elif isinstance(doc, dict) and path[0] in doc:
        if len(path) == 1:
            del doc[path[0]]
        else:
            strip(doc[path[0]], path[1:])


def lost(seed, exported, hand, out):
    found = set()
    svcs = {s["serviceName"]: s for s in
            load(os.path.join(seed, "services.json"))["services"]}
    for s in load(os.path.join(exported, "services.json"))["services"]:
        walk(svcs[s["serviceName"]], s, ("service",), found)
    tdir = os.path.join(exported, "taskdefs")
    for f in sorted(os.listdir(tdir)):
        walk(load(os.path.join(seed, "taskdefs", f)),
             load(os.path.join(tdir, f)), ("td",), found)
    groups = {g["GroupId"]: g for g in
              load(os.path.join(seed, "security-groups.json"))
              ["SecurityGroups"]}
    for g in load(os.path.join(exported, "security-groups.json"))[
            "SecurityGroups"]:
        walk(groups[g["GroupId"]], g, ("sg",), found)
    for p in sorted(found):
        w = WORDS.get(p[:-1])
        print("%s %s" % (w, p[-1]) if w else "other %s" % ".".join(p))
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(hand, out, ignore=lambda d, names: [
        n for n in names if n not in ("services.json", "security-groups.json",
                                      "taskdefs")
        and not (os.path.basename(d) == "taskdefs" and n.endswith(".json"))])
    doc = load(os.path.join(out, "services.json"))
    for p in found:
        if p[0] == "service":
            for s in doc["services"]:
                strip(s, p[1:])
    dump(os.path.join(out, "services.json"), doc)
    for f in sorted(os.listdir(os.path.join(out, "taskdefs"))):
        path = os.path.join(out, "taskdefs", f)
        doc = load(path)
        for p in found:
            if p[0] == "td":
                strip(doc, p[1:])
        dump(path, doc)
    return 0


def main():
    args = sys.argv[1:]
    if len(args) == 5 and args[0] == "lost":
        return lost(*args[1:])
    n = 23
    if len(args) == 3 and args[1] == "--bulk":
        n = int(args[2])
        args = args[:1]
    if len(args) != 1 or not 1 <= n <= 500:
        sys.stderr.write(__doc__)
        return 2
    out = args[0]
    demo = load(os.path.join(DEMO, "services.json"))
    sgs = load(os.path.join(DEMO, "security-groups.json"))
    bulk = bulk_services(demo, n)

    seed = os.path.join(out, "seed")
    dump(os.path.join(seed, "services.json"),
         {"services": demo["services"] + bulk, "failures": []})
    shutil.copy(os.path.join(DEMO, "security-groups.json"), seed)
    for d in (DEMO, EXTRA):
        src = os.path.join(d, "taskdefs")
        for f in sorted(os.listdir(src)):
            if f.endswith(".json"):
                os.makedirs(os.path.join(seed, "taskdefs"), exist_ok=True)
                shutil.copy(os.path.join(src, f),
                            os.path.join(seed, "taskdefs", f))

    hand = os.path.join(out, "bulk")
    dump(os.path.join(hand, "services.json"),
         {"services": bulk, "failures": []})
    used = {s["taskDefinition"] for s in bulk}
    for f in sorted(os.listdir(os.path.join(DEMO, "taskdefs"))):
        td = load(os.path.join(DEMO, "taskdefs", f))
        if td["taskDefinition"]["taskDefinitionArn"] in used:
            dump(os.path.join(hand, "taskdefs", f), td)
    groups = {g for s in bulk for g in s["networkConfiguration"]
              ["awsvpcConfiguration"]["securityGroups"]}
    dump(os.path.join(hand, "security-groups.json"),
         {"SecurityGroups": [g for g in sgs["SecurityGroups"]
                             if g["GroupId"] in groups]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
