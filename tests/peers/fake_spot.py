"""Fake Spot Ocean for ECS API: clusters and launch specs (VNGs), in the
{request, response} envelope. Called with state.lock held."""
import copy
import json
import re
import uuid

from common import ApiError, awsmodel, iso, now

KIND_CLUSTER = "spotinst:ocean:aws:ecs"
KIND_LS = "spotinst:ocean:aws:ecs:launchSpec"
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized",
           404: "Not Found", 405: "Method Not Allowed", 429:
           "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}


def envelope(method, url, status, kind=None, items=None, errors=None,
             data=None):
    resp = {"status": {"code": status, "message": REASONS.get(status, "")}}
    if kind is not None:
        resp["kind"] = kind
    if items is not None:
        resp["items"] = items
        resp["count"] = len(items)
    if errors is not None:
        resp["errors"] = errors
    if data is not None:
        resp["data"] = data
    return {"request": {"id": str(uuid.uuid4()), "url": url,
                        "method": method, "timestamp": iso(now())},
            "response": resp}


def _err(status, code, message, field=None):
    return ApiError(status, code, message, field)


class Spot:
    def __init__(self, state):
        self.s = state

    def route(self, method, path):
        """Operation name for the state counters, or None."""
        if re.match(r"^/ocean/aws/ecs/cluster/?$", path):
            return {"GET": "ListOceanClusters",
                    "POST": "CreateOceanCluster"}.get(method)
        if re.match(r"^/ocean/aws/ecs/cluster/[^/]+$", path):
            return {"GET": "GetOceanCluster", "PUT": "UpdateOceanCluster",
                    "DELETE": "DeleteOceanCluster"}.get(method)
        if re.match(r"^/ocean/aws/ecs/launchSpec/?$", path):
            return {"GET": "ListOceanLaunchSpecs",
                    "POST": "CreateOceanLaunchSpec"}.get(method)
        if re.match(r"^/ocean/aws/ecs/launchSpec/[^/]+$", path):
            return {"GET": "GetOceanLaunchSpec",
                    "PUT": "UpdateOceanLaunchSpec",
                    "DELETE": "DeleteOceanLaunchSpec"}.get(method)
        return None

    def handle(self, op, path, query, body):
        """(kind, items) or (None, None) for envelope-only answers."""
        rid = path.rstrip("/").rsplit("/", 1)[-1]
        return getattr(self, op)(rid, query, body)

    @staticmethod
    def _body(body, key):
        try:
            doc = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise _err(400, "INVALID_JSON", "Request body is not valid "
                       "JSON: %s" % e)
        if not isinstance(doc, dict) or not isinstance(doc.get(key), dict):
            raise _err(400, "ValidationError", '"%s" is required' % key, key)
        return doc

    @staticmethod
    def _check(kind, doc):
        problems = awsmodel.validate_spot(kind, doc)
        if problems:
            jp, reason = problems[0]
            raise ApiError(400, "ValidationError", reason,
                           jp[2:] if jp.startswith("$.") else jp)

    def CreateOceanCluster(self, rid, query, body):
        doc = self._body(body, "cluster")
        self._check("cluster", doc)
        c = copy.deepcopy(doc["cluster"])
        for k in ("id", "createdAt", "updatedAt"):
            if k in c:
                raise _err(400, "ValidationError", '"%s" is not allowed'
                           % k, "cluster." + k)
        c["id"] = "o-%08x" % (0xf2000000 + next(self.s.ids))
        c["createdAt"] = c["updatedAt"] = iso(now())
        self.s.clusters[c["id"]] = c
        self.s.count_created("spot:cluster:%s/%s" % (c["region"],
                                                     c["clusterName"]))
        return KIND_CLUSTER, [c]

    def ListOceanClusters(self, rid, query, body):
        return KIND_CLUSTER, [self.s.clusters[k] for k in
                              sorted(self.s.clusters)]

    def _cluster(self, rid):
        c = self.s.clusters.get(rid)
        if c is None:
            raise _err(400, "CANT_GET_OCEAN_CLUSTER", "Cluster %s does not "
                       "exist" % rid)
        return c

    def GetOceanCluster(self, rid, query, body):
        return KIND_CLUSTER, [self._cluster(rid)]

    def UpdateOceanCluster(self, rid, query, body):
        c = self._cluster(rid)
        doc = self._body(body, "cluster")
        upd = copy.deepcopy(doc["cluster"])
        upd.pop("id", None)
        if "region" in upd and upd["region"] != c["region"]:
            raise _err(400, "ValidationError", '"region" cannot be updated',
                       "cluster.region")
        merged = copy.deepcopy(c)
        merged.update(upd)
        test = {k: v for k, v in merged.items()
                if k not in ("id", "createdAt", "updatedAt")}
        self._check("cluster", {"cluster": test})
        merged["updatedAt"] = iso(now())
        self.s.clusters[rid] = merged
        return KIND_CLUSTER, [merged]

    def DeleteOceanCluster(self, rid, query, body):
        self._cluster(rid)
        del self.s.clusters[rid]
        for k in [k for k, v in self.s.launchspecs.items()
                  if v.get("oceanId") == rid]:
            del self.s.launchspecs[k]
        return None, None

    def CreateOceanLaunchSpec(self, rid, query, body):
        doc = self._body(body, "launchSpec")
        self._check("launchSpec", doc)
        ls = copy.deepcopy(doc["launchSpec"])
        for k in ("id", "createdAt", "updatedAt"):
            if k in ls:
                raise _err(400, "ValidationError", '"%s" is not allowed'
                           % k, "launchSpec." + k)
        self._cluster(ls["oceanId"])
        ls["id"] = "ols-%08x" % (0xf2000000 + next(self.s.ids))
        ls["createdAt"] = ls["updatedAt"] = iso(now())
        self.s.launchspecs[ls["id"]] = ls
        self.s.count_created("spot:launchSpec:%s/%s" % (ls["oceanId"],
                                                        ls["name"]))
        return KIND_LS, [ls]

    def ListOceanLaunchSpecs(self, rid, query, body):
        oid = query.get("oceanId")
        return KIND_LS, [self.s.launchspecs[k] for k in
                         sorted(self.s.launchspecs)
                         if oid is None or
                         self.s.launchspecs[k].get("oceanId") == oid]

    def _ls(self, rid):
        ls = self.s.launchspecs.get(rid)
        if ls is None:
            raise _err(400, "CANT_GET_OCEAN_ECS_LAUNCH_SPEC", "Launch spec "
                       "%s does not exist" % rid)
        return ls

    def GetOceanLaunchSpec(self, rid, query, body):
        return KIND_LS, [self._ls(rid)]

    def UpdateOceanLaunchSpec(self, rid, query, body):
        ls = self._ls(rid)
        doc = self._body(body, "launchSpec")
        upd = copy.deepcopy(doc["launchSpec"])
        upd.pop("id", None)
        upd.pop("oceanId", None)
        merged = copy.deepcopy(ls)
        merged.update(upd)
        test = {k: v for k, v in merged.items()
                if k not in ("id", "createdAt", "updatedAt")}
        self._check("launchSpec", {"launchSpec": test})
        merged["updatedAt"] = iso(now())
        self.s.launchspecs[rid] = merged
        return KIND_LS, [merged]

    def DeleteOceanLaunchSpec(self, rid, query, body):
        self._ls(rid)
        del self.s.launchspecs[rid]
        return None, None
