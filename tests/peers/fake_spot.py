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


CLOCK_OFFSET = 0.0      # peer.py --clock-offset (request.timestamp)


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
                        "method": method,
                        "timestamp": iso(now() + CLOCK_OFFSET)},
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

    @staticmethod
    def _spot_pct(obj):
        st = obj.get("strategy") if isinstance(obj, dict) else None
        return st.get("spotPercentage") if isinstance(st, dict) else None

    def _check_vng_pct(self, ls):
        """spot-api.md 3.2: a VNG's strategy.spotPercentage is only
        allowed when the cluster strategy has no spotPercentage."""
        if self._spot_pct(ls) is None:
            return
        c = self.s.clusters.get(ls.get("oceanId"))
        if c is not None and self._spot_pct(c) is not None:
            raise _err(400, "ValidationError", "strategy.spotPercentage "
                       "is only allowed when the cluster strategy has no "
                       "spotPercentage", "launchSpec.strategy.spotPercentage")

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
        if self._spot_pct(merged) is not None and any(
                v.get("oceanId") == rid and self._spot_pct(v) is not None
                for v in self.s.launchspecs.values()):
            raise _err(400, "ValidationError", "strategy.spotPercentage: "
                       "a virtual node group of the cluster sets its own",
                       "cluster.strategy.spotPercentage")
        merged["updatedAt"] = iso(now())
        self.s.clusters[rid] = merged
        return KIND_CLUSTER, [merged]

    def DeleteOceanCluster(self, rid, query, body):
        self._cluster(rid)
        del self.s.clusters[rid]
        for k in [k for k, v in self.s.launchspecs.items()
                  if v.get("oceanId") == rid]:
            del self.s.launchspecs[k]
        # assumption (spot-api.md does not say): the cluster's instances
        # go with it, those of VNGs deleted earlier without
        # deleteContainerInstances included
        self.terminate(lambda i: i["oceanId"] == rid)
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
        self._check_vng_pct(ls)
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
        self._check_vng_pct(merged)
        merged["updatedAt"] = iso(now())
        self.s.launchspecs[rid] = merged
        return KIND_LS, [merged]

    def DeleteOceanLaunchSpec(self, rid, query, body):
        self._ls(rid)
        flag = query.get("deleteContainerInstances", "false")
        if flag not in ("true", "false"):
            raise _err(400, "ValidationError", '"deleteContainerInstances" '
                       'must be a boolean', "deleteContainerInstances")
        del self.s.launchspecs[rid]
        if flag == "true":
            # spot-api.md 3.1: the VNG's instances are drained, detached
            # and terminated; without it they keep running
            self.terminate(lambda i: i["launchSpecId"] == rid)
        return None, None

    # -- Ocean-launched instances ------------------------------------------
    @staticmethod
    def _on_ec2(svc):
        """Does the service place its tasks on EC2 container instances?"""
        if svc.get("launchType") == "EC2":
            return True
        cps = svc.get("capacityProviderStrategy") or []
        return bool(cps) and not any(c.get("capacityProvider", "")
                                     .startswith("FARGATE") for c in cps)

    def ec2_tasks(self, cluster, field="desiredCount"):
        n = 0
        for rec in self.s.services:
            svc = rec["svc"]
            if rec["cluster"] == cluster and self._on_ec2(svc) and \
                    svc.get("status") in ("ACTIVE", "DRAINING"):
                n += max(svc.get(field) or 0, svc.get("runningCount") or 0)
        return n

    def running(self, pred=None):
        return [i for i in sorted(self.s.instances.values(),
                                  key=lambda x: x["InstanceId"])
                if i["State"]["Name"] == "running" and
                (pred is None or pred(i))]

    def reconcile(self):
        """Launch instances so every Ocean cluster's ECS cluster holds its
        EC2-placed tasks (--tasks-per-instance each), in its VNGs, or
        without VNGs from the cluster's launch specification unless that
        is useAsTemplateOnly. Never scales down (Ocean's scale-down is
        slow); deletes terminate (see above)."""
        if not getattr(self.s.cfg, "ocean_instances", False):
            return
        self.finish_terminations()
        per = max(1, int(getattr(self.s.cfg, "tasks_per_instance", 4)))
        for oid in sorted(self.s.clusters):
            c = self.s.clusters[oid]
            ecs_cluster = c.get("clusterName")
            need = -(-self.ec2_tasks(ecs_cluster) // per)
            have = self.running(lambda i: i["oceanId"] == oid)
            lss = [self.s.launchspecs[k] for k in sorted(self.s.launchspecs)
                   if self.s.launchspecs[k].get("oceanId") == oid]
            if not lss and ((c.get("compute") or {}).get(
                    "launchSpecification") or {}).get("useAsTemplateOnly"):
                # spot-api.md 2.2.2: the cluster's spec then only serves as
                # a template for VNGs; without one, nothing is launched
                continue
            for _ in range(max(0, need - len(have))):
                ls = min(lss, key=lambda x: sum(
                    1 for i in have if i["launchSpecId"] == x["id"])) \
                    if lss else None
                have.append(self._launch(c, ls))

    def _launch(self, c, ls):
        spec = (c.get("compute") or {}).get("launchSpecification") or {}
        sgs = (ls or {}).get("securityGroupIds") or \
            spec.get("securityGroupIds") or []
        iid = self.s.new_id("i-0f2o")
        cluster = c.get("clusterName")
        cfg = self.s.cfg
        ci = "arn:aws:ecs:%s:%s:container-instance/%s/%s" % (
            cfg.region, cfg.account, cluster,
            uuid.UUID(int=next(self.s.ids)).hex)
        t = now()
        inst = {"InstanceId": iid,
                "State": {"Code": 16, "Name": "running"},
                "SecurityGroups": [{"GroupId": g} for g in sgs],
                "ImageId": (ls or {}).get("imageId") or spec.get("imageId"),
                "InstanceType": ((ls or {}).get("instanceTypes") or
                                 ["m5.large"])[0],
                "SubnetId": (((ls or {}).get("subnetIds") or
                              (c.get("compute") or {}).get("subnetIds") or
                              [None])[0]),
                "LaunchTime": iso(t),
                "Tags": [{"Key": "spotinst:ocean:id", "Value": c["id"]}],
                "oceanId": c["id"],
                "launchSpecId": (ls or {}).get("id"),
                "ecsCluster": cluster,
                "containerInstanceArn": ci,
                "containerInstanceStatus": "ACTIVE",
                # spot-api.md 3.2: the VNG's custom attributes go on its
                # container instances
                "attributes": [{"name": a.get("key"), "value": a.get("value")}
                               for a in (ls or {}).get("attributes") or []],
                "registeredAt": round(t, 3)}
        self.s.instances[iid] = inst
        return inst

    def terminate(self, pred):
        """Terminate the running instances pred picks: at once, or with
        --terminate-seconds S shutting-down (container instance DRAINING)
        for S seconds first, as Spot drains and detaches them."""
        delay = float(getattr(self.s.cfg, "terminate_seconds", 0) or 0)
        for i in self.running(pred):
            if delay > 0:
                i["State"] = {"Code": 32, "Name": "shutting-down"}
                i["containerInstanceStatus"] = "DRAINING"
                i["terminateAt"] = now() + delay
            else:
                self._terminated(i)

    @staticmethod
    def _terminated(i):
        i["State"] = {"Code": 48, "Name": "terminated"}
        i["containerInstanceStatus"] = "INACTIVE"
        i["terminatedAt"] = iso(now())
        i.pop("terminateAt", None)

    def finish_terminations(self):
        t = now()
        for i in self.s.instances.values():
            if i["State"]["Name"] == "shutting-down" and \
                    t >= i.get("terminateAt", 0):
                self._terminated(i)

    def instances_out(self):
        return [copy.deepcopy(i) for i in sorted(
            self.s.instances.values(), key=lambda x: x["InstanceId"])]

    def container_instance(self, inst, running=0):
        """ECS ContainerInstance (minimal shape of the model)."""
        per = max(1, int(getattr(self.s.cfg, "tasks_per_instance", 4)))
        cpu, mem = 2048, 7680
        used = min(running, per)
        return {
            "containerInstanceArn": inst["containerInstanceArn"],
            "ec2InstanceId": inst["InstanceId"],
            "status": inst["containerInstanceStatus"],
            "agentConnected": inst["containerInstanceStatus"] == "ACTIVE",
            "runningTasksCount": used, "pendingTasksCount": 0,
            "version": 1,
            "versionInfo": {"agentVersion": "1.89.0",
                            "agentHash": "f2o0peer",
                            "dockerVersion": "DockerVersion: 25.0.8"},
            "registeredResources": [
                {"name": "CPU", "type": "INTEGER", "integerValue": cpu},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": mem}],
            "remainingResources": [
                {"name": "CPU", "type": "INTEGER",
                 "integerValue": cpu - used * cpu // per},
                {"name": "MEMORY", "type": "INTEGER",
                 "integerValue": mem - used * mem // per}],
            "attributes": [
                {"name": "ecs.instance-type",
                 "value": inst["InstanceType"]},
                {"name": "spotinst.io/ocean-id", "value": inst["oceanId"]}]
            + copy.deepcopy(inst.get("attributes") or []),
            "registeredAt": inst["registeredAt"],
            "tags": []}

    def container_list(self, cluster):
        """[(instance, running tasks)] of an ECS cluster, tasks spread in
        instance order, --tasks-per-instance at most each."""
        per = max(1, int(getattr(self.s.cfg, "tasks_per_instance", 4)))
        left = self.ec2_tasks(cluster, "runningCount")
        out = []
        for i in sorted(self.s.instances.values(),
                        key=lambda x: x["InstanceId"]):
            if i["ecsCluster"] != cluster:
                continue
            n = 0
            if i["containerInstanceStatus"] == "ACTIVE":
                n = min(per, left)
                left -= n
            out.append((i, n))
        return out

    def container_out(self):
        clusters = sorted({i["ecsCluster"] for i in
                           self.s.instances.values()})
        return [{"cluster": c, "containerInstance":
                 self.container_instance(i, n)}
                for c in clusters for i, n in self.container_list(c)]
