#!/usr/bin/python3
"""Check the fake peer's state (GET /_f2o/state) after f2o-exec's cutover
and rollback phases.

    cutover_check.py traffic STATE.json [--allow-gaps NAME,...]
        every monitored traffic identity (a service of the seeded export)
        had, at every moment, a running and registered task: no gap; each
        is served at the end
    cutover_check.py cutover BUNDLE STATE.json [--failed NAME,...]
                                               [--seed STATE0.json]
        every migrated service N now runs on EC2 under its own name, with
        what cut/N:create asked for (a desiredCount "${live/X.desiredCount}"
        is the count of the service X reads in the seeded state STATE0:
        the peers do not autoscale), stable; the Fargate original and the
        copy are gone (DRAINING/INACTIVE); created once each.
        For N in --failed: N has no live service, the copy still runs,
        stable, at the exported desired count
    cutover_check.py exported BASELINE.json STATE.json
        STATE is the exported (seeded) state BASELINE again: the same live
        services with the same names, launch type / capacity providers,
        platform version, task definition, desired count, network
        configuration, load balancers, service registries (ARNs' random
        parts and timestamps ignored), stable; the same ACTIVE task
        definitions; the same security groups and rules; no Ocean cluster
        or launch spec f2o created
    cutover_check.py same-final STATE_A.json STATE_B.json
        two runs ended in the same state (normalised: names, statuses,
        counts, task definition revisions; no ids or times) and created
        every resource the same number of times
    cutover_check.py no-early-create STATE.json LABEL
        the peer refused no CreateService because the name was still
        taken (a re-creation sent before the old service was INACTIVE)
    cutover_check.py nothing-left STATE.json LABEL
        after a rollback on a peer with --ocean-instances, nothing of
        f2o's beyond what "exported" checks: no Ocean instance running,
        no container instance left, every node group DELETE carried
        deleteContainerInstances=true, and DeleteSecurityGroup never met
        DependencyViolation (f2o waited for the instances to go first)
    cutover_check.py batch LIST
        every check of LIST in one process (a kill test makes hundreds):
        a line is OUTPUT, then the arguments of one of the above, split
        by tabs; each check's lines are added to its OUTPUT file, with a
        FAIL line when it made no check (bad arguments, an error)

Prints "ok ..." / "FAIL ..." lines and exits 1 on a failure. Read-only.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

fails = 0
LIVE = ("ACTIVE", "DRAINING")


def check(name, cond, detail=""):
    global fails
    if cond:
        print("ok   %s" % name)
    else:
        fails += 1
        print("FAIL %s %s" % (name, detail))


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def td_ref(arn):
    """family:revision of a task definition ARN (or the string itself)."""
    m = re.match(r"^arn:aws[a-z-]*:ecs:[^:]*:[0-9]*:task-definition/(.+)$",
                 arn or "")
    return m.group(1) if m else arn


def services_by_name(state):
    """(cluster, name) -> newest record (the state lists oldest first)."""
    out = {}
    for s in state["ecs"]["services"]:
        out[(s["cluster"], s["service"]["serviceName"])] = s["service"]
    return out


def live_services(state):
    return {k: v for k, v in services_by_name(state).items()
            if v["status"] == "ACTIVE"}


def stable(svc):
    return svc["status"] == "ACTIVE" and \
        len(svc.get("deployments") or []) == 1 and \
        svc.get("runningCount") == svc.get("desiredCount")


# -- traffic -----------------------------------------------------------------
def traffic(state, allow):
    tr = state.get("traffic")
    check("peer has a traffic monitor", isinstance(tr, dict) and tr,
          "(no \"traffic\" in the state)")
    if not tr:
        return
    for name in sorted(tr):
        t = tr[name]
        if not t.get("monitored"):
            print("note %s: not monitored (did not run when exported)" % name)
            continue
        gaps = t.get("gaps") or []
        if name in allow:
            print("note %s: gaps allowed here: %d" % (name, len(gaps)))
            continue
        check("traffic %s: no gap (always a running, registered task)"
              % name, not gaps, json.dumps(gaps))
        if gaps:
            for h in (t.get("servedBy") or [])[-12:]:
                print("    t=%s served by %s after %s" % (
                    h["t"], ",".join(h["services"]) or "NOBODY",
                    h["reason"]))
        check("traffic %s: served at the end" % name, t.get("serving"))


# -- cutover -----------------------------------------------------------------
def plan_of(bundle_path):
    # imported here: validate_bundle loads botocore (a quarter of a second
    # of CPU), which only this mode needs
    from validate_bundle import Bundle
    b = Bundle(bundle_path)
    return b, json.loads(b.read("plan.json"))


LIVE_REF = re.compile(r"^\$\{(live/[A-Za-z0-9/_:-]+)\.desiredCount\}$")


def resolve_live(b, steps, seed, value):
    """A "${live/X.desiredCount}" value: the seeded count of the service
    step X reads; anything else as it is."""
    m = LIVE_REF.match(value) if isinstance(value, str) else None
    if not m:
        return value
    st = steps.get(m.group(1))
    if st is None or seed is None:
        return value
    req = json.loads(b.read(st["request"]))
    old = services_by_name(seed).get((req.get("cluster", "default"),
                                      req["services"][0]))
    return old.get("desiredCount") if old else value


def cutover(bundle_path, state, failed, seed=None):
    b, plan = plan_of(bundle_path)
    svcs = services_by_name(state)
    created = state["created"]
    steps = {st["id"]: st for st in plan["steps"]}
    migrated = sorted(st["id"][4:-len(":create")] for st in plan["steps"]
                      if st["phase"] == "cutover" and
                      st["id"].startswith("cut/") and
                      st["id"].endswith(":create"))
    check("bundle has cutover steps", migrated)
    for n in migrated:
        req = json.loads(b.read(steps["cut/%s:create" % n]["request"]))
        cluster = req.get("cluster", "default")
        # the copy's name: what cut/N:copy-delete deletes
        cp = json.loads(b.read(steps["cut/%s:copy-delete" % n]["request"])
                        )["service"]
        copy_req = None
        for st in plan["steps"]:
            if st["phase"] == "import" and \
                    st["action"] == "ecs:CreateService" and st.get("request"):
                r = json.loads(b.read(st["request"]))
                if r.get("serviceName") == cp:
                    copy_req = r
        new = svcs.get((cluster, n))
        cop = svcs.get((cluster, cp))
        if n in failed:
            check("%s: no live service under the original name (its "
                  "re-creation failed)" % n,
                  new is None or new["status"] == "INACTIVE",
                  new and new["status"])
            check("%s: the copy %s still serves (ACTIVE, stable)" % (n, cp),
                  cop is not None and stable(cop),
                  cop and (cop["status"], cop.get("runningCount"),
                           cop.get("desiredCount")))
            if cop is not None and copy_req is not None:
                want = resolve_live(b, steps, seed,
                                    copy_req.get("desiredCount"))
                check("%s: the copy keeps its desired count %s" % (
                    n, want), cop.get("desiredCount") == want,
                    cop.get("desiredCount"))
            continue
        check("%s: live service under the original name" % n,
              new is not None and new["status"] == "ACTIVE",
              new and new["status"])
        if new is None:
            continue
        check("%s: on EC2" % n, new.get("launchType") == "EC2" and
              not new.get("capacityProviderStrategy"),
              (new.get("launchType"), new.get("capacityProviderStrategy")))
        check("%s: stable (one deployment, running == desired)" % n,
              stable(new), (len(new.get("deployments") or []),
                            new.get("runningCount"), new.get("desiredCount")))
        for k in ("desiredCount", "loadBalancers", "serviceRegistries",
                  "networkConfiguration", "placementConstraints",
                  "placementStrategy", "healthCheckGracePeriodSeconds",
                  "schedulingStrategy", "propagateTags",
                  "enableExecuteCommand", "enableECSManagedTags"):
            if k in req:
                want = resolve_live(b, steps, seed, req[k])
                check("%s: %s as cut/%s:create asked" % (n, k, n),
                      new.get(k) == want, "%s != %s" % (
                          json.dumps(new.get(k)), json.dumps(want)))
        fam = td_ref(new.get("taskDefinition")).split(":")[0]
        tds = [td_ref(t["taskDefinitionArn"]) for t in
               state["ecs"]["taskDefinitions"]
               if t.get("family") == fam]
        check("%s: runs the revision f2o registered (%s)" % (
            n, td_ref(new.get("taskDefinition"))),
            created.get("ecs:taskDefinition:%s" %
                        td_ref(new.get("taskDefinition"))) == 1, tds)
        tags = {t["key"]: t["value"] for t in new.get("tags") or []}
        for t in req.get("tags") or []:
            check("%s: tag %s" % (n, t["key"]),
                  tags.get(t["key"]) == t["value"], tags.get(t["key"]))
        check("%s: created once by f2o" % n,
              created.get("ecs:service:%s/%s" % (cluster, n)) == 1,
              created.get("ecs:service:%s/%s" % (cluster, n)))
        check("%s: the copy %s is deleted (DRAINING or INACTIVE, 0 tasks "
              "desired)" % (n, cp),
              cop is not None and cop["status"] in ("DRAINING", "INACTIVE")
              and cop.get("desiredCount") == 0,
              cop and (cop["status"], cop.get("desiredCount")))
        olds = [s["service"] for s in state["ecs"]["services"]
                if s["cluster"] == cluster and
                s["service"]["serviceName"] == n and
                s["service"] is not new]
        check("%s: the Fargate original is INACTIVE" % n,
              olds and all(o["status"] == "INACTIVE" for o in olds),
              [(o["status"], o.get("launchType")) for o in olds])


# -- exported state ----------------------------------------------------------
SVC_KEYS = ("launchType", "capacityProviderStrategy", "platformVersion",
            "desiredCount", "networkConfiguration", "loadBalancers",
            "serviceRegistries", "schedulingStrategy")
SVC_KEYS_IF_SET = ("healthCheckGracePeriodSeconds", "deploymentConfiguration",
                   "placementConstraints", "placementStrategy",
                   "propagateTags", "enableECSManagedTags",
                   "enableExecuteCommand", "deploymentController")


def _cps(v):
    return sorted(({"capacityProvider": c.get("capacityProvider"),
                    "weight": c.get("weight", 0), "base": c.get("base", 0)}
                   for c in v or []), key=lambda c: c["capacityProvider"])


def _norm(k, v):
    if k == "capacityProviderStrategy":
        return _cps(v)
    if k in ("loadBalancers", "serviceRegistries", "placementConstraints",
             "placementStrategy"):
        return v or []
    return v


def _rules(state, gid):
    out = []
    for r in state["ec2"]["securityGroupRules"]:
        if r["GroupId"] != gid:
            continue
        r = {k: v for k, v in r.items() if k not in ("SecurityGroupRuleId",
                                                      "SecurityGroupRuleArn")}
        out.append(json.dumps(r, sort_keys=True))
    return sorted(out)


def exported(base, state):
    b = live_services(base)
    s = live_services(state)
    check("the same live services as exported", sorted(b) == sorted(s),
          "exported %s, now %s" % (sorted(n for _, n in b),
                                   sorted(n for _, n in s)))
    for key in sorted(b):
        was, now = b[key], s.get(key)
        n = "%s/%s" % key
        if now is None:
            continue
        # an exported service may list no deployment at all
        check("%s: ACTIVE and stable" % n, now["status"] == "ACTIVE" and
              len(now.get("deployments") or []) <= 1 and
              now.get("runningCount") == now.get("desiredCount"),
              (now["status"], len(now.get("deployments") or []),
               now.get("runningCount"), now.get("desiredCount")))
        check("%s: task definition %s" % (n, td_ref(was["taskDefinition"])),
              td_ref(now["taskDefinition"]) == td_ref(was["taskDefinition"]),
              td_ref(now["taskDefinition"]))
        for k in SVC_KEYS:
            a, c = _norm(k, was.get(k)), _norm(k, now.get(k))
            check("%s: %s as exported" % (n, k), a == c,
                  "exported %s, now %s" % (json.dumps(a), json.dumps(c)))
        for k in SVC_KEYS_IF_SET:
            if was.get(k) is None:
                continue
            a, c = _norm(k, was.get(k)), _norm(k, now.get(k))
            check("%s: %s as exported" % (n, k), a == c,
                  "exported %s, now %s" % (json.dumps(a), json.dumps(c)))
        wt = {t["key"]: t["value"] for t in was.get("tags") or []}
        nt = {t["key"]: t["value"] for t in now.get("tags") or []
              if not t["key"].startswith("f2o:")}
        check("%s: tags as exported (f2o:* tags aside)" % n, wt == nt,
              "exported %s, now %s" % (wt, nt))
    bt = sorted(td_ref(t["taskDefinitionArn"])
                for t in base["ecs"]["taskDefinitions"]
                if t["status"] == "ACTIVE")
    st = sorted(td_ref(t["taskDefinitionArn"])
                for t in state["ecs"]["taskDefinitions"]
                if t["status"] == "ACTIVE")
    check("the same ACTIVE task definitions as exported", bt == st,
          "extra %s, missing %s" % (sorted(set(st) - set(bt)),
                                    sorted(set(bt) - set(st))))
    bg = sorted(g["GroupId"] for g in base["ec2"]["securityGroups"])
    sg = sorted(g["GroupId"] for g in state["ec2"]["securityGroups"])
    check("the same security groups as exported", bg == sg,
          "extra %s, missing %s" % (sorted(set(sg) - set(bg)),
                                    sorted(set(bg) - set(sg))))
    for gid in bg:
        if gid in sg:
            check("%s: the same rules as exported" % gid,
                  _rules(base, gid) == _rules(state, gid))
    for k in ("clusters", "launchSpecs"):
        bn = sorted(x.get("name") or x.get("clusterName") or x["id"]
                    for x in base["spot"][k])
        sn = sorted(x.get("name") or x.get("clusterName") or x["id"]
                    for x in state["spot"][k])
        check("the same Ocean %s as exported" % k, bn == sn,
              "exported %s, now %s" % (bn, sn))


# -- two runs, same end ------------------------------------------------------
def normal(state):
    """What must be equal between an interrupted-and-resumed run and an
    uninterrupted one."""
    svcs = []
    for (cl, name), s in sorted(services_by_name(state).items()):
        st = s["status"]
        if st == "DRAINING":
            st = "DRAINING/INACTIVE"    # timing only
        if st == "INACTIVE":
            st = "DRAINING/INACTIVE"
        svcs.append((cl, name, st, s.get("launchType"),
                     json.dumps(_cps(s.get("capacityProviderStrategy"))),
                     td_ref(s["taskDefinition"]),
                     s.get("desiredCount") if st == "ACTIVE" else 0,
                     s.get("runningCount") if st == "ACTIVE" else 0))
    return {
        "services": svcs,
        "taskDefinitions": sorted((td_ref(t["taskDefinitionArn"]),
                                   t["status"])
                                  for t in state["ecs"]["taskDefinitions"]),
        "securityGroups": sorted((g["GroupName"], len(_rules(state,
                                                             g["GroupId"])))
                                 for g in state["ec2"]["securityGroups"]),
        "oceanClusters": sorted(c["clusterName"]
                                for c in state["spot"]["clusters"]),
        "launchSpecs": sorted(x["name"] for x in state["spot"]["launchSpecs"]),
        "created": dict(sorted(_created(state).items())),
    }


def _created(state):
    """created counts with the peer's generated ids (Ocean ids in launch
    spec keys) taken out."""
    out = {}
    for k, n in state["created"].items():
        k = re.sub(r"^spot:launchSpec:[^/]+/", "spot:launchSpec:", k)
        out[k] = out.get(k, 0) + n
    return out


def same_final(a, b):
    na, nb = normal(a), normal(b)
    for k in na:
        if k == "created":
            continue
        check("same final %s" % k, na[k] == nb[k],
              "\n    uninterrupted: %s\n    resumed:       %s" % (
                  json.dumps(na[k]), json.dumps(nb[k])))
    keys = sorted(set(na["created"]) | set(nb["created"]))
    diff = {k: (na["created"].get(k), nb["created"].get(k)) for k in keys
            if na["created"].get(k) != nb["created"].get(k)}
    check("same creation counts", not diff, json.dumps(diff))


def no_early_create(state, label):
    n = state["requests"]["errors"].get(
        "ecs:CreateService InvalidParameterException", 0)
    check("%s: no CreateService refused (never sent while the name was "
          "DRAINING)" % label, n == 0,
          "%d CreateService refused with InvalidParameterException" % n)


def nothing_left(s, label):
    run = [i["InstanceId"] for i in s["ec2"]["instances"]
           if i["State"]["Name"] == "running"]
    check("%s: no Ocean instance running" % label, not run, run)
    ci = [c["containerInstance"]["ec2InstanceId"]
          for c in s["ecs"]["containerInstances"]
          if c["containerInstance"]["status"] != "INACTIVE"]
    check("%s: no container instance left" % label, not ci, ci)
    dels = [e for e in s["log"] if e["op"] == "spot:DeleteOceanLaunchSpec"]
    bad = [e for e in dels
           if (e.get("query") or {}).get("deleteContainerInstances") !=
           "true"]
    check("%s: every VNG DELETE carried deleteContainerInstances=true (%d)"
          % (label, len(dels)), not bad, bad)
    dv = s["requests"]["errors"].get("ec2:DeleteSecurityGroup "
                                     "DependencyViolation", 0)
    # on a failure, what held the group: the instances (one launched with
    # no node group has no f2o.vng attribute and rb/ocean-instances-gone
    # does not wait for it; the peer launches none, as f2o's cluster spec
    # is useAsTemplateOnly) and the services not INACTIVE
    check("%s: DeleteSecurityGroup never met DependencyViolation" % label,
          dv == 0, "%s\n    instances: %s\n    services: %s" % (dv, [
              (i["InstanceId"], i["State"]["Name"], i.get("launchSpecId"),
               i.get("terminatedAt")) for i in s["ec2"]["instances"]], [
              (x["service"]["serviceName"], x["service"].get("launchType"),
               x["service"]["status"]) for x in s["ecs"]["services"]
              if x["service"]["status"] != "INACTIVE"]))


class Counted:
    """A text file that counts the ok/FAIL lines written to it."""

    def __init__(self, f):
        self.f = f
        self.checks = 0

    def write(self, text):
        self.checks += sum(1 for x in text.splitlines()
                           if x.startswith(("ok ", "FAIL ")))
        return self.f.write(text)

    def flush(self):
        self.f.flush()


def batch(path):
    """Run every check line of path; 1 when one failed."""
    global fails
    worst = 0
    with open(path, encoding="utf-8") as f:
        lines = [x.rstrip("\n") for x in f if x.strip()]
    for line in lines:
        out, _, rest = line.partition("\t")
        args = rest.split("\t")
        fails = 0
        saved = sys.stdout
        with open(out, "a", encoding="utf-8") as f:
            sys.stdout = Counted(f)
            try:
                rc = main(["cutover_check.py"] + args)
            except (OSError, ValueError, KeyError, TypeError) as e:
                print("FAIL checker error: %s: %s: %s" % (
                    " ".join(args), type(e).__name__, e))
                rc = 1
            if sys.stdout.checks == 0:
                print("FAIL checker ran: %s (no check made, exit %d)" % (
                    " ".join(args), rc))
                rc = max(rc, 1)
            sys.stdout = saved
        worst = max(worst, min(rc, 1))
    return worst


def main(argv):
    args = argv[1:]
    if len(args) == 2 and args[0] == "batch":
        return batch(args[1])
    opt = {}
    for name in ("--failed", "--allow-gaps", "--seed"):
        if name in args:
            i = args.index(name)
            if i + 1 >= len(args):
                sys.stderr.write(__doc__)
                return 2
            opt[name] = [x for x in args[i + 1].split(",") if x]
            del args[i:i + 2]
    if len(args) == 2 and args[0] == "traffic":
        traffic(load(args[1]), set(opt.get("--allow-gaps", [])))
    elif len(args) == 3 and args[0] == "cutover":
        seed = opt.get("--seed")
        cutover(args[1], load(args[2]), set(opt.get("--failed", [])),
                load(seed[0]) if seed else None)
    elif len(args) == 3 and args[0] == "exported":
        exported(load(args[1]), load(args[2]))
    elif len(args) == 3 and args[0] == "same-final":
        same_final(load(args[1]), load(args[2]))
    elif len(args) == 3 and args[0] == "no-early-create":
        no_early_create(load(args[1]), args[2])
    elif len(args) == 3 and args[0] == "nothing-left":
        nothing_left(load(args[1]), args[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
