"""Traffic monitor of the fake ECS: does every service of the seeded export
keep serving while f2o cuts over or rolls back?

Each ACTIVE service of the seeded export is a *traffic identity*:
  - with load balancers: its target groups. A target group is served when
    some service of the same cluster that lists it in loadBalancers is
    ACTIVE (or DRAINING) with runningCount > 0 (its running tasks are the
    registered targets); the identity is served when every one of its
    target groups is;
  - without: its name. Served when a service of the same cluster named
    NAME, PREFIX+NAME (the side-by-side copy, prefix "sfm-" unless
    --prefix) or "f2o-rb-"+NAME (the rollback's temporary Fargate service)
    is ACTIVE (or DRAINING) with runningCount > 0.
After every ECS request and every clock-driven transition (tasks started,
tasks stopped, DRAINING -> INACTIVE, taken in the order of their scheduled
times) each identity is evaluated; a moment when it is not served opens a
gap, the next served moment closes it. Gaps and the sequence of serving
services are exposed in /_f2o/state under "traffic".

Called with state.lock held. Standard library only.
"""
from common import now

TEMP_PREFIX = "f2o-rb-"     # translate/cutover.h CUTOVER_TEMP_PREFIX
MAX_HISTORY = 500           # servedBy entries kept per identity
MAX_GAPS = 200              # gaps kept per identity
MAX_DUE = 10000             # transitions handled per tick


class Traffic:
    def __init__(self, state, ecs, prefix="sfm-"):
        self.s = state
        self.ecs = ecs
        self.prefix = prefix
        self.ids = {}           # identity name -> record
        self.last_op = {}       # (cluster, service) -> "op at t"
        self.checks = 0

    # -- identities --------------------------------------------------------
    def seed(self):
        """Make every ACTIVE service held now (the seeded export) an
        identity; call once after seeding."""
        for rec in self.s.services:
            svc = rec["svc"]
            if svc.get("status") != "ACTIVE":
                continue
            name = svc["serviceName"]
            tgs = sorted({lb["targetGroupArn"]
                          for lb in svc.get("loadBalancers") or []
                          if lb.get("targetGroupArn")})
            self.ids[name] = {
                "cluster": rec["cluster"],
                "names": [name, self.prefix + name, TEMP_PREFIX + name],
                "targetGroups": tgs,
                "servedBy": [], "gaps": [], "serving": None,
                "monitored": False,
            }
        self.observe("seed", t=now())
        for ident in self.ids.values():
            # a service that did not run when exported has no traffic
            ident["monitored"] = bool(ident["serving"])
            ident["gaps"] = []

    @staticmethod
    def _runs(svc):
        return svc.get("status") in ("ACTIVE", "DRAINING") and \
            (svc.get("runningCount") or 0) > 0

    def _servers(self, ident):
        """(served?, sorted names of the services serving it)."""
        live = [r["svc"] for r in self.s.services
                if r["cluster"] == ident["cluster"] and self._runs(r["svc"])]
        if ident["targetGroups"]:
            names = set()
            covered = True
            for tg in ident["targetGroups"]:
                hit = [s["serviceName"] for s in live
                       if any(lb.get("targetGroupArn") == tg
                              for lb in s.get("loadBalancers") or [])]
                names.update(hit)
                covered = covered and bool(hit)
            return covered, sorted(names)
        names = sorted({s["serviceName"] for s in live
                        if s["serviceName"] in ident["names"]})
        return bool(names), names

    # -- evaluation --------------------------------------------------------
    def observe(self, reason, t=None):
        """Evaluate every identity at time t (default now)."""
        t = now() if t is None else t
        rel = round(t - self.s.t0, 3)
        self.checks += 1
        for name, ident in self.ids.items():
            ok, servers = self._servers(ident)
            hist = ident["servedBy"]
            if not hist or hist[-1]["services"] != servers:
                hist.append({"t": rel, "services": servers,
                             "reason": reason})
                del hist[:max(0, len(hist) - MAX_HISTORY)]
            if ident["monitored"]:
                gaps = ident["gaps"]
                if not ok and (not gaps or gaps[-1]["end"] is not None):
                    lost = hist[-2]["services"] if len(hist) > 1 else []
                    gaps.append({"start": rel, "end": None,
                                 "seconds": None, "reason": reason,
                                 "lastServedBy": lost})
                    del gaps[:max(0, len(gaps) - MAX_GAPS)]
                elif ok and gaps and gaps[-1]["end"] is None:
                    gaps[-1]["end"] = rel
                    gaps[-1]["seconds"] = round(rel - gaps[-1]["start"], 3)
            ident["serving"] = ok

    def due(self, rec):
        """When rec's next clock-driven transition is scheduled, or None."""
        svc = rec["svc"]
        if svc.get("status") == "DRAINING":
            return rec.get("inactive_at")
        if svc.get("status") != "ACTIVE":
            return None
        deps = svc.get("deployments") or []
        prim = deps[0] if deps else None
        if prim is not None and prim.get("rolloutState") == "IN_PROGRESS":
            return rec.get("ready_at")
        if prim is not None and prim.get("rolloutState") != "FAILED" and \
                svc.get("runningCount") != svc.get("desiredCount"):
            return rec.get("ready_at")
        return None

    def tick(self):
        """Apply every transition due by now, in scheduled order, and
        evaluate after each."""
        t = now()
        due = []
        for i, rec in enumerate(self.s.services):
            at = self.due(rec)
            if at is not None and at <= t:
                due.append((at, i, rec))
        due.sort(key=lambda x: (x[0], x[1]))
        for at, _, rec in due[:MAX_DUE]:
            svc = rec["svc"]
            before = (svc.get("status"), svc.get("runningCount"))
            self.ecs.advance(rec)
            after = (svc.get("status"), svc.get("runningCount"))
            if before == after:
                continue
            why = "%s: %s running %s -> %s running %s" % (
                svc["serviceName"], before[0], before[1], after[0], after[1])
            cause = self.last_op.get((rec["cluster"], svc["serviceName"]))
            if cause:
                why += " (after %s)" % cause
            self.observe(why, t=at)

    @staticmethod
    def label(op, params):
        """(service name or None, "op name desiredCount=N") of a request."""
        name = None
        if isinstance(params, dict):
            name = params.get("serviceName") or params.get("service")
        if not isinstance(name, str) or not name:
            return None, op
        name = name.rsplit("/", 1)[-1]
        extra = ""
        if isinstance(params.get("desiredCount"), int):
            extra = " desiredCount=%d" % params["desiredCount"]
        return name, "%s %s%s" % (op, name, extra)

    def remember(self, cluster, name, text):
        """The last successful request naming a service: the cause given
        with its later clock-driven transitions."""
        if name is not None:
            self.last_op[(cluster, name)] = "%s at t=%.3f" % (
                text, now() - self.s.t0)

    def out(self):
        res = {}
        for name in sorted(self.ids):
            ident = self.ids[name]
            res[name] = {"cluster": ident["cluster"],
                         "names": ident["names"],
                         "targetGroups": ident["targetGroups"],
                         "monitored": ident["monitored"],
                         "serving": ident["serving"],
                         "gaps": [dict(g) for g in ident["gaps"]],
                         "servedBy": [dict(h) for h in ident["servedBy"]]}
        return res
