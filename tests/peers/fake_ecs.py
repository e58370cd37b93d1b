"""Fake Amazon ECS (awsJson1_1): task definitions, services, account
settings. Operations take params in model member names and return the
operation output as a dict; errors are ApiError(400, code, message).
Called with state.lock held."""
import copy
import hashlib
import re

from common import ApiError, now, parse_iso, awsmodel

MAX_LIST = 100


def _err(code, message):
    return ApiError(400, code, message)


def wire(shape, value):
    """Keep only the model's members, timestamps as epoch seconds."""
    if value is None:
        return None
    t = shape.type_name
    if t == "structure":
        if not isinstance(value, dict):
            return value
        out = {}
        for k, v in value.items():
            if k in shape.members and v is not None:
                out[k] = wire(shape.members[k], v)
        return out
    if t == "list":
        return [wire(shape.member, v) for v in value] \
            if isinstance(value, list) else value
    if t == "map":
        return {k: wire(shape.value, v) for k, v in value.items()} \
            if isinstance(value, dict) else value
    if t == "timestamp" and isinstance(value, str):
        p = parse_iso(value)
        return round(p, 3) if p is not None else value
    return value


def output(op, value):
    shape = awsmodel.service_model("ecs").operation_model(op).output_shape
    return wire(shape, value) if shape is not None else {}


class Ecs:
    describing = False      # DescribeClusters: INACTIVE is not an error

    def __init__(self, state):
        self.s = state
        self.cfg = state.cfg

    # -- names -----------------------------------------------------------
    def arn(self, kind, rest):
        return "arn:aws:ecs:%s:%s:%s/%s" % (self.cfg.region, self.cfg.account,
                                            kind, rest)

    def cluster_name(self, c):
        if c is None or c == "":
            return "default"
        m = re.match(r"^arn:aws[a-z-]*:ecs:[^:]*:[0-9]*:cluster/(.+)$", c)
        name = m.group(1) if m else c
        if "/" in name or ":" in name:
            raise _err("InvalidParameterException",
                       "Invalid identifier: Unexpected number of separators")
        if self.cfg.clusters is not None and name not in self.cfg.clusters:
            raise _err("ClusterNotFoundException", "Cluster not found.")
        st = self.s.cluster_status.get(name, "ACTIVE")
        if st == "MISSING":
            raise _err("ClusterNotFoundException", "Cluster not found.")
        if st == "INACTIVE" and not getattr(self, "describing", False):
            raise _err("ClusterNotFoundException", "The referenced cluster "
                       "was inactive.")
        return name

    def service_name(self, s, cluster):
        m = re.match(r"^arn:aws[a-z-]*:ecs:[^:]*:[0-9]*:service/(.+)$", s)
        if not m:
            return s
        parts = m.group(1).split("/")
        if len(parts) == 2:
            if parts[0] != cluster:
                return None
            return parts[1]
        return parts[0]

    # -- task definitions ---------------------------------------------------
    def find_taskdef(self, ref):
        """record or None. ref: family, family:rev, or ARN."""
        m = re.match(r"^arn:aws[a-z-]*:ecs:[^:]*:[0-9]*:task-definition/(.+)$",
                     ref or "")
        if m:
            ref = m.group(1)
        if ":" in ref:
            fam, rev = ref.rsplit(":", 1)
            if not rev.isdigit():
                return None
            return self.s.taskdefs.get(fam, {}).get(int(rev))
        revs = self.s.taskdefs.get(ref, {})
        active = [r for r in revs if revs[r]["td"]["status"] == "ACTIVE"]
        return revs[max(active)] if active else None

    def add_taskdef(self, td, tags, count):
        fam = td["family"]
        revs = self.s.taskdefs.setdefault(fam, {})
        rev = td.get("revision") or (max(revs) + 1 if revs else 1)
        td["revision"] = rev
        td["taskDefinitionArn"] = self.arn("task-definition",
                                           "%s:%d" % (fam, rev))
        td.setdefault("status", "ACTIVE")
        revs[rev] = {"td": td}
        if tags:
            self.s.tags[td["taskDefinitionArn"]] = copy.deepcopy(tags)
        if count:
            self.s.count_created("ecs:taskDefinition:%s:%d" % (fam, rev))
        return td

    def RegisterTaskDefinition(self, p):
        td = copy.deepcopy(p)
        tags = td.pop("tags", None)
        if not re.match(r"^[A-Za-z0-9_-]{1,255}$", td["family"]):
            raise _err("ClientException", "Family contains invalid "
                       "characters.")
        if not td["containerDefinitions"]:
            raise _err("ClientException", "Container list cannot be empty.")
        req = td.get("requiresCompatibilities") or []
        mode = td.get("networkMode")
        if "FARGATE" in req:
            if mode != "awsvpc":
                raise _err("ClientException",
                           "Fargate only supports network mode 'awsvpc'.")
            if not td.get("cpu") or not td.get("memory"):
                raise _err("ClientException", "Fargate requires that "
                           "'cpu' be defined at the task level.")
        for c in td["containerDefinitions"]:
            if "memory" not in c and "memoryReservation" not in c and \
                    not td.get("memory"):
                raise _err("ClientException", "Invalid setting for "
                           "container '%s'. At least one of 'memory' or "
                           "'memoryReservation' must be specified."
                           % c.get("name"))
        compat = ["EC2"]
        if mode == "awsvpc" and td.get("cpu") and td.get("memory"):
            compat.append("FARGATE")
        td["compatibilities"] = compat
        td["requiresAttributes"] = []
        td["registeredAt"] = round(now(), 3)
        td["registeredBy"] = "arn:aws:iam::%s:user/f2o" % self.cfg.account
        td.pop("revision", None)
        td = self.add_taskdef(td, tags, True)
        return output("RegisterTaskDefinition",
                      {"taskDefinition": td, "tags": tags or []})

    def DescribeTaskDefinition(self, p):
        rec = self.find_taskdef(p["taskDefinition"])
        if rec is None:
            raise _err("ClientException", "Unable to describe task "
                       "definition.")
        td = rec["td"]
        out = {"taskDefinition": td}
        if "TAGS" in (p.get("include") or []):
            out["tags"] = self.s.tags.get(td["taskDefinitionArn"], [])
        return output("DescribeTaskDefinition", out)

    def DeregisterTaskDefinition(self, p):
        rec = self.find_taskdef(p["taskDefinition"])
        if rec is None or ":" not in p["taskDefinition"]:
            raise _err("ClientException", "The specified task definition "
                       "does not exist.")
        rec["td"]["status"] = "INACTIVE"
        rec["td"]["deregisteredAt"] = round(now(), 3)
        return output("DeregisterTaskDefinition",
                      {"taskDefinition": rec["td"]})

    def ListTaskDefinitions(self, p):
        status = p.get("status", "ACTIVE")
        arns = []
        for fam in sorted(self.s.taskdefs):
            if p.get("familyPrefix") and not fam.startswith(p["familyPrefix"]):
                continue
            for rev in sorted(self.s.taskdefs[fam]):
                td = self.s.taskdefs[fam][rev]["td"]
                if status == "ALL" or td["status"] == status:
                    arns.append(td["taskDefinitionArn"])
        if p.get("sort") == "DESC":
            arns.reverse()
        return self._page(p, arns, "taskDefinitionArns", MAX_LIST)

    def _page(self, p, items, key, default):
        start = 0
        if p.get("nextToken"):
            tok = p["nextToken"]
            if not tok.startswith("f2o-") or not tok[4:].isdigit():
                raise _err("InvalidParameterException",
                           "Invalid nextToken")
            start = int(tok[4:])
        n = p.get("maxResults", default)
        if n < 1 or n > 100:
            raise _err("InvalidParameterException", "maxResults must be "
                       "between 1 and 100")
        out = {key: items[start:start + n]}
        if start + n < len(items):
            out["nextToken"] = "f2o-%d" % (start + n)
        return out

    # -- services ----------------------------------------------------------
    def find_service(self, cluster, name, live_only=False):
        """Newest record for cluster/name (INACTIVE ones included)."""
        for rec in reversed(self.s.services):
            if rec["cluster"] == cluster and rec["svc"]["serviceName"] == name:
                if live_only and rec["svc"]["status"] == "INACTIVE":
                    continue
                return rec
        return None

    def advance(self, rec):
        """Move a service along its lifecycle according to the clock."""
        svc = rec["svc"]
        t = now()
        if svc["status"] == "DRAINING" and t >= rec["inactive_at"]:
            svc["status"] = "INACTIVE"
            svc["runningCount"] = svc["pendingCount"] = 0
            for d in svc.get("deployments", []):
                d["runningCount"] = d["pendingCount"] = 0
            return
        if svc["status"] != "ACTIVE" or t < rec["ready_at"]:
            return
        deps = svc.setdefault("deployments", [])
        prim = deps[0] if deps else None
        name = svc["serviceName"]
        if prim is not None and prim.get("rolloutState") == "IN_PROGRESS":
            if name in self.s.faults.rollback:
                self._roll_back(rec, prim)
            else:
                prim["rolloutState"] = "COMPLETED"
                prim["rolloutStateReason"] = "ECS deployment %s completed." \
                    % prim["id"]
                prim["runningCount"] = prim["desiredCount"]
                prim["pendingCount"] = 0
                prim["updatedAt"] = round(t, 3)
                del deps[1:]
                svc["runningCount"] = prim["runningCount"]
                svc["pendingCount"] = 0
                self._event(svc, "(service %s) (deployment %s) deployment "
                            "completed." % (name, prim["id"]))
                self._event(svc, "(service %s) has reached a steady state."
                            % name)
        elif prim is not None and prim.get("rolloutState") != "FAILED":
            if svc["runningCount"] != svc["desiredCount"]:
                prim["desiredCount"] = svc["desiredCount"]
                prim["runningCount"] = svc["desiredCount"]
                svc["runningCount"] = svc["desiredCount"]
                self._event(svc, "(service %s) has reached a steady state."
                            % name)

    FAIL_REASONS = {
        # fault spec fail_reason -> (stopCode, stoppedReason, container
        # reason, exit code); messages as ECS writes them
        "exit": ("EssentialContainerExited",
                 "Essential container in task exited", None, 1),
        "pull": ("TaskFailedToStart",
                 "CannotPullContainerError: pull image manifest has been "
                 "retried 5 time(s): failed to resolve ref %s: not found",
                 "CannotPullContainerError: pull image manifest has been "
                 "retried 5 time(s): failed to resolve ref %s: not found",
                 None),
        "health": ("TaskFailedToStart",
                   "Task failed container health checks", None, 137),
    }

    def _fail_tasks(self, rec, dep):
        """Stopped tasks of a failed deployment (ListTasks STOPPED,
        DescribeTasks) and the service events ECS writes for them."""
        svc = rec["svc"]
        name = svc["serviceName"]
        faults = getattr(self.s, "faults", None)
        why = (faults.spec.get("fail_reason") if faults else None) or "exit"
        n = min(10, max(1, dep.get("desiredCount") or 1))
        if why == "placement":
            self._event(svc, "(service %s) was unable to place a task "
                        "because no container instance met all of its "
                        "requirements. Reason: No Container Instances were "
                        "found in your cluster. For more information, see "
                        "the Troubleshooting section of the Amazon ECS "
                        "Developer Guide." % name)
            return 0
        code, reason, creason, exit_code = self.FAIL_REASONS.get(
            why, self.FAIL_REASONS["exit"])
        td = self.find_taskdef(dep["taskDefinition"])
        cdefs = (td["td"].get("containerDefinitions") if td else None) or \
            [{"name": name, "image": "unknown"}]
        image = cdefs[0].get("image", "unknown")
        if "%s" in reason:
            reason = reason % image
            creason = creason % image
        t = round(now(), 3)
        ids = []
        for _ in range(n):
            tid = hashlib.sha256(("stopped#%d" % next(self.s.ids))
                                 .encode()).hexdigest()[:32]
            ids.append(tid)
            containers = []
            for c in cdefs:
                ct = {"containerArn": self.arn("container", "%s/%s/%s" % (
                    rec["cluster"], tid, c.get("name"))),
                      "taskArn": self.arn("task", "%s/%s" % (
                          rec["cluster"], tid)),
                      "name": c.get("name"), "image": c.get("image"),
                      "lastStatus": "STOPPED"}
                if creason:
                    ct["reason"] = creason
                if exit_code is not None:
                    ct["exitCode"] = exit_code
                containers.append(ct)
            self.s.stopped_tasks.append({
                "taskArn": self.arn("task", "%s/%s" % (rec["cluster"], tid)),
                "clusterArn": svc["clusterArn"],
                "taskDefinitionArn": dep["taskDefinition"],
                "group": "service:%s" % name, "startedBy": dep["id"],
                "launchType": svc.get("launchType") or "EC2",
                "lastStatus": "STOPPED", "desiredStatus": "STOPPED",
                "stopCode": code, "stoppedReason": reason,
                "containers": containers, "createdAt": t,
                "stoppingAt": t, "stoppedAt": t,
                "executionStoppedAt": t, "version": 3,
                "cpu": td["td"].get("cpu") if td else None,
                "memory": td["td"].get("memory") if td else None})
        del self.s.stopped_tasks[:max(0, len(self.s.stopped_tasks) - 1000)]
        self._event(svc, "(service %s) has started %d tasks: %s." % (
            name, n, " ".join("(task %s)" % i for i in ids)))
        return n

    def _roll_back(self, rec, prim):
        svc = rec["svc"]
        name = svc["serviceName"]
        deps = svc["deployments"]
        failed = self._fail_tasks(rec, prim)
        self._event(svc, "(service %s) (deployment %s) deployment failed: "
                    "tasks failed to start." % (name, prim["id"]))
        if len(deps) > 1:
            old = deps[1]
            self._event(svc, "(service %s) rolling back to deployment %s."
                        % (name, old["id"]))
            old["status"] = "PRIMARY"
            old["rolloutState"] = "COMPLETED"
            old["rolloutStateReason"] = ("ECS deployment circuit breaker: "
                                         "rolling back to deploymentId %s."
                                         % old["id"])
            old["desiredCount"] = svc["desiredCount"]
            old["runningCount"] = svc["desiredCount"]
            svc["taskDefinition"] = old["taskDefinition"]
            svc["deployments"] = [old]
            svc["runningCount"] = svc["desiredCount"]
            self._event(svc, "(service %s) (deployment %s) deployment "
                        "completed." % (name, old["id"]))
        else:
            prim["rolloutState"] = "FAILED"
            prim["rolloutStateReason"] = ("ECS deployment circuit breaker: "
                                          "tasks failed to start.")
            prim["failedTasks"] = failed
            prim["runningCount"] = 0
            prim["pendingCount"] = 0
            svc["runningCount"] = 0
        svc["pendingCount"] = 0

    def _event(self, svc, message):
        ev = svc.setdefault("events", [])
        ev.insert(0, {"id": self.s.new_id("", 8) + "-f2o",
                      "createdAt": round(now(), 3), "message": message})
        del ev[100:]

    def _deployment(self, svc, params):
        t = round(now(), 3)
        d = {"id": "ecs-svc/%d" % (9000000000000000000 + next(self.s.ids)),
             "status": "PRIMARY", "taskDefinition": svc["taskDefinition"],
             "desiredCount": svc["desiredCount"], "pendingCount": 0,
             "runningCount": 0, "failedTasks": 0, "createdAt": t,
             "updatedAt": t, "rolloutState": "IN_PROGRESS",
             "rolloutStateReason": "ECS deployment %s in progress."}
        d["rolloutStateReason"] %= d["id"]
        for k in ("launchType", "capacityProviderStrategy", "platformVersion",
                  "networkConfiguration"):
            if svc.get(k) is not None:
                d[k] = copy.deepcopy(svc[k])
        for k in ("serviceConnectConfiguration", "volumeConfigurations",
                  "vpcLatticeConfigurations"):
            if params.get(k) is not None:
                d[k] = copy.deepcopy(params[k])
        return d

    @staticmethod
    def _sc_claims(sc):
        """(namespace, discovery name) pairs a Service Connect server
        claims: enabled with services[]; the name defaults to portName."""
        if not sc or not sc.get("enabled") or not sc.get("services"):
            return set()
        return {(sc.get("namespace"), e.get("discoveryName") or
                 e.get("portName")) for e in sc["services"]}

    def _sc_unclaimed(self, cluster, sc):
        """Refuse a Service Connect server whose discovery names a live
        (ACTIVE or DRAINING) service of the cluster already claims, as
        f2o assumes ECS does (one Cloud Map service per name)."""
        want = self._sc_claims(sc)
        for rec in self.s.services if want else []:
            if rec["cluster"] != cluster:
                continue
            self.advance(rec)
            if rec["svc"]["status"] == "INACTIVE":
                continue
            had = rec["params"].get("serviceConnectConfiguration")
            for d in rec["svc"].get("deployments") or []:
                if had is None and d.get("status") == "PRIMARY":
                    had = d.get("serviceConnectConfiguration")
            both = sorted(want & self._sc_claims(had), key=str)
            if both:
                raise _err("InvalidParameterException", "Service Connect "
                           "discovery name %s in namespace %s is already "
                           "claimed by service %s." % (
                               both[0][1], both[0][0],
                               rec["svc"]["serviceName"]))

    def CreateService(self, p):
        cluster = self.cluster_name(p.get("cluster"))
        name = p["serviceName"]
        if not re.match(r"^[A-Za-z0-9_-]{1,255}$", name):
            raise _err("InvalidParameterException", "Service name contains "
                       "invalid characters.")
        faults = getattr(self.s, "faults", None)
        if faults is not None and name in (faults.spec.get("fail_create")
                                           or []):
            # fault switch fail_create=NAME: refused before any change
            raise _err("ClientException", "Unable to create service %s: "
                       "the f2o test peer was told to fail it (fail_create)."
                       % name)
        tok = p.get("clientToken")
        if tok is not None:
            if not re.match(r"^[!-~]{1,36}$", tok):
                raise _err("InvalidParameterException",
                           "clientToken is invalid.")
            prev = self.s.tokens.get(tok)
            if prev is not None:
                if prev[0] == p:
                    self.advance(prev[1])
                    return output("CreateService", {"service": prev[1]["svc"]})
                raise _err("InvalidParameterException",
                           "Creation of service was not idempotent.")
        old = self.find_service(cluster, name, live_only=True)
        if old is not None:
            self.advance(old)
            if old["svc"]["status"] in ("ACTIVE", "DRAINING"):
                raise _err("InvalidParameterException",
                           "Creation of service was not idempotent.")
        self._sc_unclaimed(cluster, p.get("serviceConnectConfiguration"))
        lt = p.get("launchType")
        cps = p.get("capacityProviderStrategy")
        if lt and cps:
            raise _err("InvalidParameterException", "Specifying both a "
                       "launch type and capacity provider strategy is not "
                       "supported. Remove one and try again.")
        if lt == "EC2" and p.get("platformVersion") is not None:
            raise _err("InvalidParameterException", "The platform version "
                       "must be null when specifying an EC2 launch type.")
        net = (p.get("networkConfiguration") or {}) \
            .get("awsvpcConfiguration") or {}
        if lt == "EC2" and net.get("assignPublicIp") == "ENABLED":
            raise _err("InvalidParameterException", "Assign public IP is not "
                       "supported for this launch type.")
        sched = p.get("schedulingStrategy", "REPLICA")
        if sched == "REPLICA" and "desiredCount" not in p and \
                (p.get("deploymentController") or {}).get("type", "ECS") \
                == "ECS":
            raise _err("InvalidParameterException", "desiredCount is "
                       "required for REPLICA scheduling strategy.")
        if p.get("taskDefinition") is None:
            raise _err("InvalidParameterException", "TaskDefinition must be "
                       "specified.")
        rec_td = self.find_taskdef(p["taskDefinition"])
        if rec_td is None:
            raise _err("InvalidParameterException", "TaskDefinition not "
                       "found.")
        td = rec_td["td"]
        if lt and lt not in td.get("compatibilities", ["EC2"]) and \
                lt in ("EC2", "FARGATE"):
            raise _err("InvalidParameterException", "Task definition does "
                       "not support launch_type %s." % lt)
        if td.get("networkMode") == "awsvpc" and not net:
            raise _err("InvalidParameterException", "Network Configuration "
                       "must be provided when networkMode 'awsvpc' is "
                       "specified.")
        if net and td.get("networkMode") != "awsvpc":
            raise _err("InvalidParameterException", "Network Configuration "
                       "is not valid for the given networkMode of this task "
                       "definition.")
        if net and not net.get("subnets"):
            raise _err("InvalidParameterException", "subnets can not be "
                       "empty.")
        for sg in net.get("securityGroups") or []:
            if sg not in self.s.groups or (
                    self.ec2 is not None and self.ec2.hidden_to(
                        "ecs:CreateService", sg)):
                raise _err("InvalidParameterException", "Error retrieving "
                           "security group information for [%s]: The "
                           "security group '%s' does not exist (Service: "
                           "AmazonEC2; Status Code: 400; Error Code: "
                           "InvalidGroup.NotFound)" % (sg, sg))
        t = round(now(), 3)
        svc = {
            "serviceArn": self.arn("service", "%s/%s" % (cluster, name)),
            "serviceName": name,
            "clusterArn": self.arn("cluster", cluster),
            "loadBalancers": p.get("loadBalancers", []),
            "serviceRegistries": p.get("serviceRegistries", []),
            "status": "ACTIVE",
            "desiredCount": p.get("desiredCount", 0),
            "runningCount": 0, "pendingCount": 0,
            "taskDefinition": td["taskDefinitionArn"],
            "deploymentConfiguration": p.get("deploymentConfiguration") or {
                "deploymentCircuitBreaker": {"enable": False,
                                             "rollback": False},
                "maximumPercent": 200, "minimumHealthyPercent": 100},
            "events": [], "createdAt": t,
            "placementConstraints": p.get("placementConstraints", []),
            "placementStrategy": p.get("placementStrategy", []),
            "schedulingStrategy": sched,
            "deploymentController": p.get("deploymentController",
                                           {"type": "ECS"}),
            "createdBy": "arn:aws:iam::%s:user/f2o" % self.cfg.account,
            "enableECSManagedTags": p.get("enableECSManagedTags", False),
            "propagateTags": p.get("propagateTags", "NONE"),
            "enableExecuteCommand": p.get("enableExecuteCommand", False),
            "availabilityZoneRebalancing": p.get(
                "availabilityZoneRebalancing", "ENABLED"),
        }
        if lt:
            svc["launchType"] = lt
        if cps:
            svc["capacityProviderStrategy"] = cps
        if lt == "FARGATE" or any(c.get("capacityProvider", "").startswith(
                "FARGATE") for c in cps or []):
            svc["platformVersion"] = p.get("platformVersion", "LATEST")
            svc["platformFamily"] = "Linux"
        for k in ("networkConfiguration", "healthCheckGracePeriodSeconds",
                  "role"):
            if p.get(k) is not None:
                svc["roleArn" if k == "role" else k] = p[k]
        svc["deployments"] = [self._deployment(svc, p)]
        if p.get("tags"):
            self.s.tags[svc["serviceArn"]] = copy.deepcopy(p["tags"])
        rec = {"cluster": cluster, "svc": svc, "params": copy.deepcopy(p),
               "ready_at": now() + self.cfg.stable_seconds,
               "inactive_at": None}
        self.s.services.append(rec)
        self.s.count_created("ecs:service:%s/%s" % (cluster, name))
        if tok is not None:
            self.s.tokens[tok] = (copy.deepcopy(p), rec)
        return output("CreateService", {"service": svc})

    def _svc_out(self, rec, include_tags):
        # a shallow copy: output() wires it into new containers
        svc = dict(rec["svc"])
        if include_tags:
            svc["tags"] = self.s.tags.get(svc["serviceArn"], [])
        return svc

    def DescribeServices(self, p):
        cluster = self.cluster_name(p.get("cluster"))
        names = p["services"]
        if len(names) > 10:
            raise _err("InvalidParameterException", "Services cannot be "
                       "more than 10.")
        tags = "TAGS" in (p.get("include") or [])
        out = {"services": [], "failures": []}
        for ref in names:
            name = self.service_name(ref, cluster)
            rec = self.find_service(cluster, name) if name else None
            if rec is None:
                arn = ref if ref.startswith("arn:") else \
                    self.arn("service", "%s/%s" % (cluster, ref))
                out["failures"].append({"arn": arn, "reason": "MISSING"})
                continue
            self.advance(rec)
            out["services"].append(self._svc_out(rec, tags))
        return output("DescribeServices", out)

    def ListServices(self, p):
        cluster = self.cluster_name(p.get("cluster"))
        arns = []
        for rec in self.s.services:
            if rec["cluster"] != cluster:
                continue
            self.advance(rec)
            svc = rec["svc"]
            if svc["status"] != "ACTIVE":
                continue
            if p.get("launchType") and svc.get("launchType") != \
                    p["launchType"]:
                continue
            if p.get("schedulingStrategy") and svc.get(
                    "schedulingStrategy") != p["schedulingStrategy"]:
                continue
            arns.append(svc["serviceArn"])
        return self._page(p, arns, "serviceArns", 10)

    def _live(self, p):
        cluster = self.cluster_name(p.get("cluster"))
        name = self.service_name(p["service"], cluster)
        rec = self.find_service(cluster, name) if name else None
        if rec is None:
            raise _err("ServiceNotFoundException", "Service not found.")
        self.advance(rec)
        if rec["svc"]["status"] != "ACTIVE":
            raise _err("ServiceNotActiveException", "Service was not ACTIVE.")
        return rec

    def UpdateService(self, p):
        rec = self._live(p)
        svc = rec["svc"]
        new_dep = bool(p.get("forceNewDeployment"))
        if p.get("taskDefinition") is not None:
            rtd = self.find_taskdef(p["taskDefinition"])
            if rtd is None:
                raise _err("InvalidParameterException",
                           "TaskDefinition not found.")
            arn = rtd["td"]["taskDefinitionArn"]
            if arn != svc["taskDefinition"]:
                new_dep = True
            svc["taskDefinition"] = arn
        if svc.get("launchType") == "EC2" and p.get("platformVersion"):
            raise _err("InvalidParameterException", "The platform version "
                       "must be null when specifying an EC2 launch type.")
        for k in ("networkConfiguration", "loadBalancers",
                  "capacityProviderStrategy", "platformVersion",
                  "serviceRegistries"):
            if p.get(k) is not None and p[k] != svc.get(k):
                svc[k] = copy.deepcopy(p[k])
                if k != "capacityProviderStrategy":
                    new_dep = True
        for k in ("deploymentConfiguration", "placementConstraints",
                  "placementStrategy", "healthCheckGracePeriodSeconds",
                  "enableExecuteCommand", "enableECSManagedTags",
                  "propagateTags", "availabilityZoneRebalancing"):
            if p.get(k) is not None:
                svc[k] = copy.deepcopy(p[k])
        if p.get("desiredCount") is not None:
            svc["desiredCount"] = p["desiredCount"]
            if svc.get("deployments"):
                svc["deployments"][0]["desiredCount"] = p["desiredCount"]
            if svc["runningCount"] != p["desiredCount"]:
                # stopping tasks may be quicker than starting them
                stop = getattr(self.cfg, "stop_seconds", None)
                if stop is None or p["desiredCount"] > svc["runningCount"]:
                    stop = self.cfg.stable_seconds
                rec["ready_at"] = now() + stop
        if new_dep:
            for d in svc["deployments"]:
                d["status"] = "ACTIVE"
            svc["deployments"].insert(0, self._deployment(svc, p))
            rec["ready_at"] = now() + self.cfg.stable_seconds
        return output("UpdateService", {"service": svc})

    def DeleteService(self, p):
        cluster = self.cluster_name(p.get("cluster"))
        name = self.service_name(p["service"], cluster)
        rec = self.find_service(cluster, name) if name else None
        if rec is None:
            raise _err("ServiceNotFoundException", "Service not found.")
        self.advance(rec)
        svc = rec["svc"]
        if svc["status"] != "ACTIVE":
            raise _err("ServiceNotActiveException", "Service was not ACTIVE.")
        if svc.get("schedulingStrategy", "REPLICA") == "REPLICA" and \
                svc["desiredCount"] > 0 and not p.get("force"):
            raise _err("InvalidParameterException", "The service cannot be "
                       "stopped while it is scaled above 0.")
        svc["status"] = "DRAINING"
        svc["desiredCount"] = 0
        rec["inactive_at"] = now() + self.cfg.drain_seconds
        return output("DeleteService", {"service": svc})

    def _running_tasks(self, cluster):
        """[(task ARN, service record)] of the running (synthetic) tasks."""
        out = []
        for rec in self.s.services:
            svc = rec["svc"]
            if rec["cluster"] != cluster:
                continue
            self.advance(rec)
            for i in range(svc.get("runningCount", 0)):
                h = hashlib.sha256(("%s#%d" % (svc["serviceArn"], i))
                                   .encode()).hexdigest()[:32]
                out.append((self.arn("task", "%s/%s" % (cluster, h)), rec))
        return out

    @staticmethod
    def _started_by(svc):
        deps = svc.get("deployments") or []
        ids = ["ecs-svc/" + svc["serviceName"]]
        return ids + [d["id"] for d in deps]

    def ListTasks(self, p):
        """Synthetic task ARNs: runningCount per ACTIVE/DRAINING service;
        desiredStatus STOPPED: the failed deployments' stopped tasks."""
        cluster = self.cluster_name(p.get("cluster"))
        want = p.get("desiredStatus", "RUNNING")
        sname = self.service_name(p["serviceName"], cluster) \
            if p.get("serviceName") else None
        if p.get("serviceName") and not any(
                r["svc"]["serviceName"] == sname and
                r["cluster"] == cluster for r in self.s.services):
            raise _err("ServiceNotFoundException", "Service not found.")
        arns = []
        if want == "STOPPED":
            carn = self.arn("cluster", cluster)
            for t in reversed(self.s.stopped_tasks):
                if t["clusterArn"] != carn:
                    continue
                if sname and t["group"] != "service:" + sname:
                    continue
                if p.get("startedBy") and t["startedBy"] != p["startedBy"]:
                    continue
                arns.append(t["taskArn"])
        elif want == "RUNNING":
            for arn, rec in self._running_tasks(cluster):
                svc = rec["svc"]
                if sname and svc["serviceName"] != sname:
                    continue
                if p.get("startedBy") and p["startedBy"] not in \
                        self._started_by(svc):
                    continue
                arns.append(arn)
        return self._page(p, arns, "taskArns", 100)

    def DescribeTasks(self, p):
        cluster = self.cluster_name(p.get("cluster"))
        if len(p["tasks"]) > 100:
            raise _err("InvalidParameterException", "Tasks cannot be more "
                       "than 100.")
        running = dict(self._running_tasks(cluster))
        stopped = {t["taskArn"]: t for t in self.s.stopped_tasks}
        out = {"tasks": [], "failures": []}
        for ref in p["tasks"]:
            arn = ref if ref.startswith("arn:") else \
                self.arn("task", "%s/%s" % (cluster, ref))
            if arn in stopped:
                out["tasks"].append(copy.deepcopy(stopped[arn]))
            elif arn in running:
                svc = running[arn]["svc"]
                deps = svc.get("deployments") or [{}]
                td = self.find_taskdef(svc["taskDefinition"])
                ci = None
                if self.spot is not None and self.spot._on_ec2(svc):
                    live = [i for i, n in self.spot.container_list(cluster)
                            if n > 0]
                    if live:
                        ci = live[int(arn[-4:], 16) % len(live)][
                            "containerInstanceArn"]
                t = svc.get("createdAt")
                out["tasks"].append({
                    "taskArn": arn, "clusterArn": svc["clusterArn"],
                    "taskDefinitionArn": svc["taskDefinition"],
                    "group": "service:%s" % svc["serviceName"],
                    "startedBy": deps[0].get("id"),
                    "launchType": svc.get("launchType") or (
                        "FARGATE" if svc.get("platformVersion") else "EC2"),
                    "containerInstanceArn": ci,
                    "lastStatus": "RUNNING", "desiredStatus": "RUNNING",
                    "healthStatus": "UNKNOWN", "version": 2,
                    "createdAt": t, "startedAt": t,
                    "cpu": td["td"].get("cpu") if td else None,
                    "memory": td["td"].get("memory") if td else None,
                    "containers": [{"name": c.get("name"),
                                    "image": c.get("image"),
                                    "lastStatus": "RUNNING"}
                                   for c in (td["td"].get(
                                       "containerDefinitions") or []
                                       if td else [])]})
            else:
                out["failures"].append({"arn": arn, "reason": "MISSING"})
        return output("DescribeTasks", out)

    # -- container instances (launched by the fake Ocean) -------------------
    spot = None             # set by peer.py: the fake Spot (instances)
    ec2 = None              # set by peer.py: the fake EC2 (consistency)

    def ListContainerInstances(self, p):
        cluster = self.cluster_name(p.get("cluster"))
        has = None
        if p.get("filter"):
            # only "attribute:NAME exists" of the cluster query language
            m = re.match(r"^attribute:([A-Za-z0-9_./:-]+) exists$",
                         p["filter"].strip())
            if not m:
                raise _err("InvalidParameterException", "The f2o test peer "
                           "evaluates only 'attribute:NAME exists' "
                           "filters.")
            has = m.group(1)
        want = p.get("status")
        arns = []
        for inst, n in (self.spot.container_list(cluster)
                        if self.spot is not None else []):
            st = inst["containerInstanceStatus"]
            if has is not None and not any(
                    a["name"] == has for a in self.spot.container_instance(
                        inst, n)["attributes"]):
                continue
            if (want is None and st in ("ACTIVE", "DRAINING")) or \
                    st == want:
                arns.append(inst["containerInstanceArn"])
        return self._page(p, arns, "containerInstanceArns", 100)

    def DescribeContainerInstances(self, p):
        cluster = self.cluster_name(p.get("cluster"))
        if len(p["containerInstances"]) > 100:
            raise _err("InvalidParameterException", "Container instances "
                       "cannot be more than 100.")
        have = {}
        for inst, n in (self.spot.container_list(cluster)
                        if self.spot is not None else []):
            arn = inst["containerInstanceArn"]
            have[arn] = have[arn.rsplit("/", 1)[-1]] = (inst, n)
        out = {"containerInstances": [], "failures": []}
        for ref in p["containerInstances"]:
            if ref in have:
                inst, n = have[ref]
                out["containerInstances"].append(
                    self.spot.container_instance(inst, n))
            else:
                arn = ref if ref.startswith("arn:") else self.arn(
                    "container-instance", "%s/%s" % (cluster, ref))
                out["failures"].append({"arn": arn, "reason": "MISSING"})
        return output("DescribeContainerInstances", out)

    # -- account, tags, clusters ---------------------------------------------
    def PutAccountSettingDefault(self, p):
        self.s.account_settings[p["name"]] = p["value"]
        return output("PutAccountSettingDefault", {"setting": {
            "name": p["name"], "value": p["value"],
            "principalArn": "arn:aws:iam::%s:root" % self.cfg.account,
            "type": "user"}})

    def PutAccountSetting(self, p):
        return self.PutAccountSettingDefault(p)

    def ListAccountSettings(self, p):
        out = []
        for k in sorted(self.s.account_settings):
            if p.get("name") and p["name"] != k:
                continue
            out.append({"name": k, "value": self.s.account_settings[k],
                        "principalArn": "arn:aws:iam::%s:root"
                        % self.cfg.account, "type": "user"})
        return output("ListAccountSettings", {"settings": out})

    def TagResource(self, p):
        arn = p["resourceArn"]
        known = {r["svc"]["serviceArn"] for r in self.s.services}
        for revs in self.s.taskdefs.values():
            known.update(r["td"]["taskDefinitionArn"] for r in revs.values())
        if arn not in known:
            raise _err("InvalidParameterException", "The specified resource "
                       "is not valid.")
        cur = self.s.tags.setdefault(arn, [])
        for t in p["tags"]:
            cur[:] = [c for c in cur if c.get("key") != t.get("key")]
            cur.append(t)
        return {}

    def DescribeClusters(self, p):
        """status ACTIVE, or what /_f2o/mutate set: INACTIVE (still
        described), MISSING (failures[] reason MISSING)."""
        out = {"clusters": [], "failures": []}
        for c in p.get("clusters") or ["default"]:
            self.describing = True
            try:
                name = self.cluster_name(c)
            except ApiError:
                name = None
            finally:
                self.describing = False
            if name is None:
                arn = c if c.startswith("arn:") else self.arn("cluster", c)
                out["failures"].append({"arn": arn, "reason": "MISSING"})
                continue
            insts = [i for i, _ in self.spot.container_list(name)
                     if i["containerInstanceStatus"] == "ACTIVE"] \
                if self.spot is not None else []
            st = self.s.cluster_status.get(name, "ACTIVE")
            live = st == "ACTIVE"
            out["clusters"].append({
                "clusterArn": self.arn("cluster", name),
                "clusterName": name, "status": st,
                "registeredContainerInstancesCount": len(insts) if live
                else 0,
                "runningTasksCount": sum(
                    r["svc"].get("runningCount") or 0
                    for r in self.s.services if r["cluster"] == name)
                if live else 0,
                "pendingTasksCount": 0,
                "activeServicesCount": sum(
                    1 for r in self.s.services if r["cluster"] == name and
                    r["svc"]["status"] == "ACTIVE") if live else 0,
                "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
                "defaultCapacityProviderStrategy": [],
                "settings": [], "statistics": [], "tags": []})
        return output("DescribeClusters", out)

    # -- seeding -----------------------------------------------------------
    def seed_taskdef(self, doc):
        td = copy.deepcopy(doc["taskDefinition"])
        td = wire(awsmodel.shape("ecs", "TaskDefinition"), td)
        self.add_taskdef(td, doc.get("tags"), False)

    def seed_service(self, svc):
        svc = wire(awsmodel.shape("ecs", "Service"), copy.deepcopy(svc))
        m = re.match(r"^arn:[^:]*:ecs:[^:]*:[^:]*:cluster/(.+)$",
                     svc.get("clusterArn", ""))
        cluster = m.group(1) if m else "default"
        tags = svc.pop("tags", None)
        if tags:
            self.s.tags[svc["serviceArn"]] = tags
        if svc.get("status") == "ACTIVE" and not svc.get("deployments"):
            # an export may omit deployments; ECS always has a PRIMARY one
            d = {"id": "ecs-svc/%d" % (8000000000000000000 +
                                       next(self.s.ids)),
                 "status": "PRIMARY",
                 "taskDefinition": svc.get("taskDefinition"),
                 "desiredCount": svc.get("desiredCount", 0),
                 "pendingCount": 0,
                 "runningCount": svc.get("runningCount", 0),
                 "failedTasks": 0, "rolloutState": "COMPLETED",
                 "rolloutStateReason": "ECS deployment completed."}
            for k in ("createdAt", "launchType", "capacityProviderStrategy",
                      "platformVersion", "networkConfiguration"):
                if svc.get(k) is not None:
                    d[k] = copy.deepcopy(svc[k])
            if "createdAt" in d:
                d["updatedAt"] = d["createdAt"]
            svc["deployments"] = [d]
        self.s.services.append({"cluster": cluster, "svc": svc, "params": {},
                                "ready_at": 0, "inactive_at": now()})


OPERATIONS = [n for n in dir(Ecs) if n[0].isupper()]
