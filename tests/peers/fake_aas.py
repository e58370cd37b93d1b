"""Fake Application Auto Scaling (awsJson1_1, X-Amz-Target
AnyScaleFrontendService.<Op>, signing name application-autoscaling):
scalable targets keyed by (namespace, resource id, dimension), scaling
policies (ARNs with a UUID, as AWS), scheduled actions. RegisterScalableTarget
of an ECS service that the ECS fake does not hold ACTIVE is refused.
Target-tracking policies own two managed CloudWatch alarms in the CW fake
(TargetTracking-RESOURCE-AlarmHigh/Low-UUID), removed with the policy.
Operations take params in model member names and return the output as a
dict; errors are ApiError(400, code, message). Called with state.lock held.
"""
import copy
import json
import uuid

from common import ApiError, now, parse_iso, awsmodel

SERVICE = "application-autoscaling"
TARGET_PREFIX = "AnyScaleFrontendService."
MAX_RESULTS = 50            # AAS Describe* page limit


def _err(code, message):
    return ApiError(400, code, message)


def _what(ns, rid, dim):
    return "service namespace: %s, resource ID: %s, scalable dimension: %s" \
        % (ns, rid, dim)


class Aas:
    def __init__(self, state, ecs):
        self.s = state
        self.cfg = state.cfg
        self.ecs = ecs
        self.cw = None              # set by peer.py (managed alarms)
        state.aas_targets = {}      # (ns, rid, dim) -> ScalableTarget
        state.aas_policies = {}     # (ns, rid, dim, name) -> ScalingPolicy
        state.aas_actions = {}      # (ns, rid, dim, name) -> ScheduledAction

    # -- helpers -----------------------------------------------------------
    def _key(self, p):
        return (p["ServiceNamespace"], p["ResourceId"], p["ScalableDimension"])

    def _check_resource(self, p):
        ns, rid, dim = self._key(p)
        if ns != "ecs":
            return      # only ECS is modelled; others are taken as given
        parts = rid.split("/")
        if len(parts) != 3 or parts[0] != "service" or not all(parts):
            raise _err("ValidationException", "Unsupported resource ID: "
                       "%s (want service/CLUSTER/SERVICE)" % rid)
        if dim != "ecs:service:DesiredCount":
            raise _err("ValidationException", "Unsupported scalable "
                       "dimension %s for service namespace ecs" % dim)
        rec = self.ecs.find_service(parts[1], parts[2], live_only=True)
        if rec is not None:
            self.ecs.advance(rec)
        if rec is None or rec["svc"].get("status") != "ACTIVE":
            raise _err("ValidationException",
                       "ECS service doesn't exist: %s" % rid)

    def _target(self, p):
        t = self.s.aas_targets.get(self._key(p))
        if t is None:
            raise _err("ObjectNotFoundException", "No scalable target "
                       "registered for %s" % _what(*self._key(p)))
        return t

    def _page(self, p, items, key):
        start = 0
        tok = p.get("NextToken")
        if tok:
            if not tok.startswith("f2o-aas-") or not tok[8:].isdigit():
                raise _err("InvalidNextTokenException", "Invalid token")
            start = int(tok[8:])
        n = p.get("MaxResults", getattr(self.cfg, "aas_page_size",
                                        MAX_RESULTS))
        if n < 1 or n > MAX_RESULTS:
            raise _err("ValidationException", "1 validation error detected:"
                       " Value '%d' at 'maxResults' failed to satisfy "
                       "constraint: Member must have value less than or "
                       "equal to %d" % (n, MAX_RESULTS))
        out = {key: [copy.deepcopy(x) for x in items[start:start + n]]}
        if start + n < len(items):
            out["NextToken"] = "f2o-aas-%d" % (start + n)
        return out

    def _filter(self, p, table):
        ns = p["ServiceNamespace"]
        rid = p.get("ResourceId")
        dim = p.get("ScalableDimension")
        return [v for k, v in table.items()
                if k[0] == ns and (rid is None or k[1] == rid) and
                (dim is None or k[2] == dim)]

    # -- scalable targets ---------------------------------------------------
    def RegisterScalableTarget(self, p):
        k = self._key(p)
        self._check_resource(p)
        t = self.s.aas_targets.get(k)
        lo, hi = p.get("MinCapacity"), p.get("MaxCapacity")
        if t is None:
            if lo is None or hi is None:
                raise _err("ValidationException", "MinCapacity and "
                           "MaxCapacity are required to register a new "
                           "scalable target")
            t = {"ServiceNamespace": k[0], "ResourceId": k[1],
                 "ScalableDimension": k[2], "MinCapacity": lo,
                 "MaxCapacity": hi, "RoleARN": p.get("RoleARN") or (
                     "arn:aws:iam::%s:role/aws-service-role/ecs.application"
                     "-autoscaling.amazonaws.com/AWSServiceRoleForApplication"
                     "AutoScaling_ECSService" % self.cfg.account),
                 "CreationTime": now(),
                 "SuspendedState": {"DynamicScalingInSuspended": False,
                                    "DynamicScalingOutSuspended": False,
                                    "ScheduledScalingSuspended": False},
                 "ScalableTargetARN": "arn:aws:application-autoscaling:%s:%s"
                 ":scalable-target/%s" % (self.cfg.region, self.cfg.account,
                                          uuid.uuid4().hex + "0000")}
            new = True
        else:
            new = False
            lo = t["MinCapacity"] if lo is None else lo
            hi = t["MaxCapacity"] if hi is None else hi
        if lo > hi:
            raise _err("ValidationException", "Minimum capacity cannot be "
                       "greater than maximum capacity")
        t["MinCapacity"], t["MaxCapacity"] = lo, hi
        for m, v in (p.get("SuspendedState") or {}).items():
            t["SuspendedState"][m] = v
        if new:
            self.s.aas_targets[k] = t
            self.s.count_created("aas:target:%s/%s/%s" % k)
        return {"ScalableTargetARN": t["ScalableTargetARN"]}

    def DeregisterScalableTarget(self, p):
        k = self._key(p)
        self._target(p)
        for pk in [x for x in self.s.aas_policies if x[:3] == k]:
            self._drop_policy(pk)
        for ak in [x for x in self.s.aas_actions if x[:3] == k]:
            del self.s.aas_actions[ak]
        del self.s.aas_targets[k]
        return {}

    def DescribeScalableTargets(self, p):
        items = self._filter(p, self.s.aas_targets)
        if p.get("ResourceIds"):
            want = set(p["ResourceIds"])
            items = [t for t in items if t["ResourceId"] in want]
        return self._page(p, items, "ScalableTargets")

    # -- policies -----------------------------------------------------------
    def _managed_alarms(self, pol, cfg):
        """Target tracking: AAS makes and owns two alarms in CloudWatch."""
        if self.cw is None:
            return []
        out = []
        for side, op in (("AlarmHigh", "GreaterThanThreshold"),
                         ("AlarmLow", "LessThanThreshold")):
            name = "TargetTracking-%s-%s-%s" % (pol["ResourceId"], side,
                                                uuid.uuid4())
            out.append(self.cw.managed_alarm(name, pol["PolicyARN"], op,
                                             cfg))
        return out

    def _drop_policy(self, pk):
        pol = self.s.aas_policies.pop(pk)
        if self.cw is not None:
            for a in pol.get("_managed", []):
                self.cw.drop_managed(a["AlarmName"])

    def PutScalingPolicy(self, p):
        k = self._key(p)
        self._target(p)
        ptype = p.get("PolicyType", "StepScaling")
        cfgs = {"StepScaling": "StepScalingPolicyConfiguration",
                "TargetTrackingScaling":
                    "TargetTrackingScalingPolicyConfiguration",
                "PredictiveScaling": "PredictiveScalingPolicyConfiguration"}
        if ptype not in cfgs:
            raise _err("ValidationException", "Unsupported policy type %s"
                       % ptype)
        if p.get(cfgs[ptype]) is None:
            raise _err("ValidationException", "%s is required for policy "
                       "type %s" % (cfgs[ptype], ptype))
        for other in cfgs.values():
            if other != cfgs[ptype] and p.get(other) is not None:
                raise _err("ValidationException", "%s is not allowed for "
                           "policy type %s" % (other, ptype))
        pk = k + (p["PolicyName"],)
        old = self.s.aas_policies.get(pk)
        if old is not None and old["PolicyType"] != ptype:
            raise _err("ValidationException", "Cannot change the type of "
                       "policy %s" % p["PolicyName"])
        if old is None:
            arn = ("arn:aws:autoscaling:%s:%s:scalingPolicy:%s:resource/%s/"
                   "%s:policyName/%s" % (self.cfg.region, self.cfg.account,
                                         uuid.uuid4(), k[0], k[1],
                                         p["PolicyName"]))
            pol = {"PolicyARN": arn, "PolicyName": p["PolicyName"],
                   "ServiceNamespace": k[0], "ResourceId": k[1],
                   "ScalableDimension": k[2], "CreationTime": now(),
                   "_managed": []}
            self.s.count_created("aas:policy:%s/%s/%s/%s" % pk)
        else:
            pol = old
        pol["PolicyType"] = ptype
        for c in cfgs.values():
            pol.pop(c, None)
        pol[cfgs[ptype]] = copy.deepcopy(p[cfgs[ptype]])
        if ptype == "TargetTrackingScaling":
            if self.cw is not None:
                for a in pol["_managed"]:
                    self.cw.drop_managed(a["AlarmName"])
            pol["_managed"] = self._managed_alarms(pol, p[cfgs[ptype]])
        self.s.aas_policies[pk] = pol
        return {"PolicyARN": pol["PolicyARN"],
                "Alarms": copy.deepcopy(pol["_managed"])}

    def DeleteScalingPolicy(self, p):
        pk = self._key(p) + (p["PolicyName"],)
        if pk not in self.s.aas_policies:
            raise _err("ObjectNotFoundException", "No scaling policy found "
                       "for %s, policy name: %s" % (_what(*pk[:3]), pk[3]))
        self._drop_policy(pk)
        return {}

    def policy_out(self, pol):
        out = {k: copy.deepcopy(v) for k, v in pol.items()
               if not k.startswith("_")}
        alarms = list(pol["_managed"])
        if self.cw is not None and not alarms:
            alarms = self.cw.alarms_acting_on(pol["PolicyARN"])
        out["Alarms"] = alarms
        return out

    def DescribeScalingPolicies(self, p):
        items = self._filter(p, self.s.aas_policies)
        if p.get("PolicyNames"):
            want = set(p["PolicyNames"])
            items = [x for x in items if x["PolicyName"] in want]
        return self._page(p, [self.policy_out(x) for x in items],
                          "ScalingPolicies")

    # -- scheduled actions ----------------------------------------------------
    def PutScheduledAction(self, p):
        k = self._key(p)
        self._target(p)
        ak = k + (p["ScheduledActionName"],)
        old = self.s.aas_actions.get(ak)
        if old is None and not p.get("Schedule"):
            raise _err("ValidationException", "Schedule is required for a "
                       "new scheduled action")
        sta = p.get("ScalableTargetAction")
        if sta is not None and sta.get("MinCapacity") is not None and \
                sta.get("MaxCapacity") is not None and \
                sta["MinCapacity"] > sta["MaxCapacity"]:
            raise _err("ValidationException", "Minimum capacity cannot be "
                       "greater than maximum capacity")
        if old is None:
            old = {"ScheduledActionName": p["ScheduledActionName"],
                   "ScheduledActionARN": (
                       "arn:aws:autoscaling:%s:%s:scheduledAction:%s:"
                       "resource/%s/%s:scheduledActionName/%s" % (
                           self.cfg.region, self.cfg.account, uuid.uuid4(),
                           k[0], k[1], p["ScheduledActionName"])),
                   "ServiceNamespace": k[0], "ResourceId": k[1],
                   "ScalableDimension": k[2], "CreationTime": now()}
            self.s.aas_actions[ak] = old
            self.s.count_created("aas:action:%s/%s/%s/%s" % ak)
        for m in ("Schedule", "Timezone", "StartTime", "EndTime",
                  "ScalableTargetAction"):
            if p.get(m) is not None:
                v = copy.deepcopy(p[m])
                if m in ("StartTime", "EndTime") and isinstance(v, str):
                    v = parse_iso(v)
                old[m] = v
        return {}

    def DeleteScheduledAction(self, p):
        ak = self._key(p) + (p["ScheduledActionName"],)
        if ak not in self.s.aas_actions:
            raise _err("ObjectNotFoundException", "No scheduled action "
                       "found for %s, scheduled action name: %s"
                       % (_what(*ak[:3]), ak[3]))
        del self.s.aas_actions[ak]
        return {}

    def DescribeScheduledActions(self, p):
        items = self._filter(p, self.s.aas_actions)
        if p.get("ScheduledActionNames"):
            want = set(p["ScheduledActionNames"])
            items = [x for x in items if x["ScheduledActionName"] in want]
        return self._page(p, items, "ScheduledActions")

    # -- state, seeding, another actor ------------------------------------------
    def snapshot(self):
        return json.loads(json.dumps({
            "scalableTargets": list(self.s.aas_targets.values()),
            "scalingPolicies": [self.policy_out(x) for x in
                                self.s.aas_policies.values()],
            "scheduledActions": list(self.s.aas_actions.values())},
            default=str))

    def seed(self, doc):
        """An export page: describe-scalable-targets, -scaling-policies or
        -scheduled-actions output (timestamps as ISO strings or epoch)."""
        def ts(v):
            return parse_iso(v) if isinstance(v, str) else v
        for t in doc.get("ScalableTargets", []):
            t = copy.deepcopy(t)
            t["CreationTime"] = ts(t.get("CreationTime")) or now()
            t.setdefault("SuspendedState", {})
            for m in ("DynamicScalingInSuspended",
                      "DynamicScalingOutSuspended",
                      "ScheduledScalingSuspended"):
                t["SuspendedState"].setdefault(m, False)
            self.s.aas_targets[self._key(t)] = t
        for pol in doc.get("ScalingPolicies", []):
            pol = copy.deepcopy(pol)
            pol["CreationTime"] = ts(pol.get("CreationTime")) or now()
            managed = pol.pop("Alarms", None) or []
            pol["_managed"] = managed if pol.get("PolicyType") == \
                "TargetTrackingScaling" else []
            self.s.aas_policies[self._key(pol) + (pol["PolicyName"],)] = pol
        for a in doc.get("ScheduledActions", []):
            a = copy.deepcopy(a)
            for m in ("CreationTime", "StartTime", "EndTime"):
                if a.get(m) is not None:
                    a[m] = ts(a[m])
            a.setdefault("CreationTime", now())
            self.s.aas_actions[self._key(a) + (a["ScheduledActionName"],)] = a

    def mutate_target(self, doc):
        """Another actor (an operator, an autoscaler's owner) changes a
        target: MinCapacity, MaxCapacity, SuspendedState {member: bool}."""
        k = (doc.get("ServiceNamespace", "ecs"), doc["ResourceId"],
             doc.get("ScalableDimension", "ecs:service:DesiredCount"))
        t = self.s.aas_targets.get(k)
        if t is None:
            raise ApiError(400, "ObjectNotFoundException", "No scalable "
                           "target registered for %s" % _what(*k))
        for m in ("MinCapacity", "MaxCapacity"):
            if doc.get(m) is not None:
                t[m] = int(doc[m])
        for m, v in (doc.get("SuspendedState") or {}).items():
            t["SuspendedState"][m] = bool(v)
        return {"ScalableTarget": copy.deepcopy(t)}


def output(op, value):
    """The operation output in the model's members (timestamps epoch)."""
    from fake_ecs import wire
    shape = awsmodel.service_model(SERVICE).operation_model(op).output_shape
    return wire(shape, value) if shape is not None else {}


OPERATIONS = [n for n in dir(Aas) if n[0].isupper()]
