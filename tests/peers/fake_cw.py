"""Fake Amazon CloudWatch alarms (signing name monitoring): PutMetricAlarm
(an upsert by name), DeleteAlarms (missing names are no error, as AWS),
DescribeAlarms (names, prefix, state, action prefix; MaxRecords/NextToken).
The protocol (JSON 1.0, query, Smithy RPC v2 CBOR) is rpc.py's; this file
holds the state. Alarms made by the AAS fake for target-tracking policies
are "managed" (rpc callers cannot tell them apart, as on AWS).
Operations take params in model member names and return the output;
errors are ApiError(400, code, message). Called with state.lock held.
"""
import copy
import re
import uuid

from common import ApiError, now, parse_iso

SERVICE = "cloudwatch"
MAX_RECORDS = 100
ARN_RE = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{0,12}:"
                    r"[A-Za-z0-9_/:.@+=,-]+$")
ACTION_LISTS = ("AlarmActions", "OKActions", "InsufficientDataActions")
STAMPS = ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp",
          "StateTransitionedTimestamp")


def _err(code, message):
    return ApiError(400, code, message)


class Cw:
    def __init__(self, state):
        self.s = state
        self.cfg = state.cfg
        state.cw_alarms = {}        # AlarmName -> MetricAlarm
        state.cw_tags = {}          # AlarmArn -> [{Key, Value}]
        state.cw_managed = set()    # names owned by AAS target tracking

    def _arn(self, name):
        return "arn:aws:cloudwatch:%s:%s:alarm:%s" % (
            self.cfg.region, self.cfg.account, name)

    def PutMetricAlarm(self, p):
        name = p["AlarmName"]
        if p.get("Metrics") and (p.get("MetricName") or p.get("Namespace")):
            raise _err("ValidationError", "Metrics list must not be set "
                       "together with MetricName or Namespace")
        if not p.get("Metrics"):
            if not p.get("MetricName") or not p.get("Namespace"):
                raise _err("ValidationError", "MetricName and Namespace "
                           "are required without Metrics")
            if bool(p.get("Statistic")) == bool(p.get("ExtendedStatistic")):
                raise _err("ValidationError", "Exactly one of Statistic "
                           "and ExtendedStatistic must be set")
            if p.get("Period") is None:
                raise _err("ValidationError", "Period must not be null")
        if p.get("Threshold") is None and not p.get("ThresholdMetricId"):
            raise _err("ValidationError", "Threshold must not be null")
        for lst in ACTION_LISTS:
            for a in p.get(lst) or []:
                if not ARN_RE.match(a):
                    raise _err("ValidationError", "Invalid arn syntax: %s"
                               % a)
        old = self.s.cw_alarms.get(name)
        t = now()
        alarm = {k: copy.deepcopy(v) for k, v in p.items() if k != "Tags"}
        alarm["AlarmArn"] = self._arn(name)
        alarm.setdefault("ActionsEnabled", True)
        for lst in ACTION_LISTS:
            alarm.setdefault(lst, [])
        alarm.setdefault("Dimensions", [])
        alarm["AlarmConfigurationUpdatedTimestamp"] = t
        if old is None:
            alarm.update({"StateValue": "INSUFFICIENT_DATA",
                          "StateReason": "Unchecked: Initial alarm creation",
                          "StateUpdatedTimestamp": t,
                          "StateTransitionedTimestamp": t})
            self.s.count_created("cw:alarm:%s" % name)
        else:
            for m in ("StateValue", "StateReason", "StateUpdatedTimestamp",
                      "StateTransitionedTimestamp"):
                alarm[m] = old[m]
        self.s.cw_alarms[name] = alarm
        self.s.cw_managed.discard(name)
        if p.get("Tags"):
            self.s.cw_tags[alarm["AlarmArn"]] = copy.deepcopy(p["Tags"])
        return {}

    def DeleteAlarms(self, p):
        for name in p["AlarmNames"]:
            a = self.s.cw_alarms.pop(name, None)
            if a is not None:
                self.s.cw_tags.pop(a["AlarmArn"], None)
            self.s.cw_managed.discard(name)
        return {}

    def DescribeAlarms(self, p):
        types = p.get("AlarmTypes") or ["MetricAlarm"]
        items = []
        if "MetricAlarm" in types:
            names = set(p["AlarmNames"]) if p.get("AlarmNames") else None
            if names is not None and p.get("AlarmNamePrefix"):
                raise _err("InvalidParameterCombination", "AlarmNames and "
                           "AlarmNamePrefix cannot be used together")
            for n in sorted(self.s.cw_alarms):
                a = self.s.cw_alarms[n]
                if names is not None and n not in names:
                    continue
                if p.get("AlarmNamePrefix") and \
                        not n.startswith(p["AlarmNamePrefix"]):
                    continue
                if p.get("StateValue") and a["StateValue"] != \
                        p["StateValue"]:
                    continue
                if p.get("ActionPrefix") and not any(
                        x.startswith(p["ActionPrefix"])
                        for lst in ACTION_LISTS for x in a.get(lst, [])):
                    continue
                items.append(a)
        start = 0
        tok = p.get("NextToken")
        if tok:
            if not tok.startswith("f2o-cw-") or not tok[7:].isdigit():
                raise _err("InvalidNextToken", "The service returned an "
                           "invalid next token")
            start = int(tok[7:])
        n = p.get("MaxRecords", 50)
        if n < 1 or n > MAX_RECORDS:
            raise _err("ValidationError", "MaxRecords must be between 1 and "
                       "%d" % MAX_RECORDS)
        out = {"MetricAlarms": [copy.deepcopy(a) for a in
                                items[start:start + n]]}
        if "CompositeAlarm" in types:
            out["CompositeAlarms"] = []
        if start + n < len(items):
            out["NextToken"] = "f2o-cw-%d" % (start + n)
        return out

    # -- used by the AAS fake --------------------------------------------------
    def managed_alarm(self, name, policy_arn, comparison, cfg):
        """A target-tracking alarm AAS makes (not counted as created); its
        action is the policy ARN + ":createdBy/UUID", as AWS writes it."""
        pre = (cfg.get("PredefinedMetricSpecification") or {}).get(
            "PredefinedMetricType", "ECSServiceAverageCPUUtilization")
        metric = "MemoryUtilization" if "Memory" in pre else "CPUUtilization"
        t = now()
        self.s.cw_alarms[name] = {
            "AlarmName": name, "AlarmArn": self._arn(name),
            "AlarmDescription": "DO NOT EDIT OR DELETE. For "
            "TargetTrackingScaling policy %s." % policy_arn,
            "ActionsEnabled": True, "OKActions": [],
            "AlarmActions": ["%s:createdBy/%s" % (policy_arn, uuid.uuid4())],
            "InsufficientDataActions": [],
            "MetricName": metric, "Namespace": "AWS/ECS",
            "Statistic": "Average", "Dimensions": [], "Period": 60,
            "EvaluationPeriods": 3 if comparison.startswith("Greater")
            else 15, "Threshold": float(cfg.get("TargetValue", 0)),
            "ComparisonOperator": comparison,
            "AlarmConfigurationUpdatedTimestamp": t,
            "StateValue": "INSUFFICIENT_DATA", "StateReason": "Unchecked: "
            "Initial alarm creation", "StateUpdatedTimestamp": t,
            "StateTransitionedTimestamp": t}
        self.s.cw_managed.add(name)
        return {"AlarmName": name, "AlarmARN": self._arn(name)}

    def drop_managed(self, name):
        if name in self.s.cw_managed:
            self.s.cw_alarms.pop(name, None)
            self.s.cw_managed.discard(name)

    def alarms_acting_on(self, arn):
        return [{"AlarmName": n, "AlarmARN": a["AlarmArn"]}
                for n, a in sorted(self.s.cw_alarms.items())
                if any(x == arn or x.startswith(arn + ":createdBy/")
                       for lst in ACTION_LISTS for x in a.get(lst, []))]

    # -- state, seeding ---------------------------------------------------------
    def snapshot(self):
        out = []
        for n in sorted(self.s.cw_alarms):
            a = dict(self.s.cw_alarms[n])
            a["managed"] = n in self.s.cw_managed
            tags = self.s.cw_tags.get(a["AlarmArn"])
            if tags:
                a["Tags"] = tags
            out.append(a)
        return {"alarms": out}

    def seed(self, doc):
        """describe-alarms output: MetricAlarms (ISO or epoch times)."""
        for a in doc.get("MetricAlarms", []):
            a = copy.deepcopy(a)
            for m in STAMPS:
                if isinstance(a.get(m), str):
                    a[m] = parse_iso(a[m])
            a.setdefault("StateValue", "OK")
            a.setdefault("AlarmArn", self._arn(a["AlarmName"]))
            for lst in ACTION_LISTS:
                a.setdefault(lst, [])
            self.s.cw_alarms[a["AlarmName"]] = a


OPERATIONS = [n for n in dir(Cw) if n[0].isupper()]
