"""POST /_f2o/mutate of peer.py: change the fakes' live state the way
another actor (console, CI pipeline, a colleague) would, for drift tests.
Nothing here counts as created by the client or as a client request.
Called with state.lock held; raises ApiError / ValueError / KeyError.

Body: {"action": NAME, ...}; answers {"action": NAME, ...result}.
  register_taskdef  family, [from "fam:rev"], [changes {member: value}],
                    [service, cluster]: new revision N+1 (a copy of
                    `from` or the latest, `changes` applied); with
                    `service`, the service is pointed at it (new
                    deployment, as UpdateService would).
  update_service    cluster, service, any of desiredCount, taskDefinition,
                    loadBalancers, networkConfiguration,
                    deploymentController, deploymentConfiguration,
                    capacityProviderStrategy, tags (replace all tags)
  delete_service    cluster, service: force-deleted (DRAINING, then
                    INACTIVE after --drain-seconds)
  sg_rules          groupId, any of authorizeIngress, authorizeEgress,
                    revokeIngress, revokeEgress (IpPermission lists in
                    EC2 model member names)
  sg_tags           groupId, tags [{Key, Value}] (replace all)
  cluster_status    cluster, status ACTIVE | INACTIVE | MISSING
  delete_group      groupId: the security group vanishes (no checks)
  scalable_target   ResourceId, [ServiceNamespace ecs], [ScalableDimension],
                    any of MinCapacity, MaxCapacity, SuspendedState
                    {member: bool}: an operator moves a scalable target
  delete_alarm      AlarmName: the CloudWatch alarm vanishes
  scaling_policy    ResourceId, PolicyName, [set {"dotted.path": value}]
                    (null deletes the member), [delete true]: an operator
                    edits or deletes a scaling policy (its ARN stays)
  scheduled_action  ResourceId, ScheduledActionName, [set], [delete true],
                    [new true: create it, set must give Schedule]
  alarm             AlarmName, set, [new true: create it]: an operator
                    edits (or adds) a CloudWatch alarm
"""
import copy
import uuid

from common import ApiError, now


def _rec(peer, doc):
    ecs = peer.ecs
    cluster = doc.get("cluster") or "default"
    rec = ecs.find_service(cluster, doc["service"], live_only=True)
    if rec is None:
        raise ApiError(400, "ServiceNotFoundException", "Service not found.")
    ecs.advance(rec)
    return rec


def _new_deployment(peer, rec):
    svc = rec["svc"]
    for d in svc.get("deployments") or []:
        d["status"] = "ACTIVE"
    svc.setdefault("deployments", []).insert(
        0, peer.ecs._deployment(svc, {}))
    rec["ready_at"] = now() + peer.cfg.stable_seconds


def register_taskdef(peer, doc):
    ecs = peer.ecs
    src = ecs.find_taskdef(doc.get("from") or doc["family"])
    if src is None:
        raise ApiError(400, "ClientException", "Unable to describe task "
                       "definition.")
    td = copy.deepcopy(src["td"])
    td.update(copy.deepcopy(doc.get("changes") or {}))
    td["family"] = doc["family"]
    for k in ("revision", "taskDefinitionArn", "deregisteredAt"):
        td.pop(k, None)
    td["status"] = "ACTIVE"
    td["registeredAt"] = round(now(), 3)
    td["registeredBy"] = "arn:aws:iam::%s:user/someone-else" \
        % peer.cfg.account
    tags = peer.state.tags.get(src["td"]["taskDefinitionArn"])
    td = ecs.add_taskdef(td, tags, False)
    out = {"taskDefinitionArn": td["taskDefinitionArn"]}
    if doc.get("service"):
        rec = _rec(peer, doc)
        rec["svc"]["taskDefinition"] = td["taskDefinitionArn"]
        _new_deployment(peer, rec)
        out["serviceArn"] = rec["svc"]["serviceArn"]
    return out


UPDATABLE = ("desiredCount", "loadBalancers", "networkConfiguration",
             "deploymentController", "deploymentConfiguration",
             "capacityProviderStrategy")


def update_service(peer, doc):
    rec = _rec(peer, doc)
    svc = rec["svc"]
    redeploy = False
    for k in UPDATABLE:
        if k in doc:
            svc[k] = copy.deepcopy(doc[k])
            redeploy = redeploy or k in ("loadBalancers",
                                         "networkConfiguration")
    if "desiredCount" in doc:
        if svc.get("deployments"):
            svc["deployments"][0]["desiredCount"] = doc["desiredCount"]
        rec["ready_at"] = now() + peer.cfg.stable_seconds
    if "taskDefinition" in doc:
        td = peer.ecs.find_taskdef(doc["taskDefinition"])
        if td is None:
            raise ApiError(400, "InvalidParameterException",
                           "TaskDefinition not found.")
        svc["taskDefinition"] = td["td"]["taskDefinitionArn"]
        redeploy = True
    if redeploy:
        _new_deployment(peer, rec)
    if "tags" in doc:
        peer.state.tags[svc["serviceArn"]] = copy.deepcopy(doc["tags"])
    return {"serviceArn": svc["serviceArn"]}


def delete_service(peer, doc):
    rec = _rec(peer, doc)
    svc = rec["svc"]
    if svc["status"] != "ACTIVE":
        raise ApiError(400, "ServiceNotActiveException",
                       "Service was not ACTIVE.")
    svc["status"] = "DRAINING"
    svc["desiredCount"] = 0
    rec["inactive_at"] = now() + peer.cfg.drain_seconds
    return {"serviceArn": svc["serviceArn"]}


def sg_rules(peer, doc):
    ec2 = peer.ec2
    ec2.begin("mutate")
    g = peer.state.groups.get(doc["groupId"])
    if g is None:
        raise ApiError(400, "InvalidGroup.NotFound", "The security group "
                       "'%s' does not exist" % doc["groupId"])
    out = {}
    for key, fn in (("revokeIngress", ec2.RevokeSecurityGroupIngress),
                    ("revokeEgress", ec2.RevokeSecurityGroupEgress),
                    ("authorizeIngress", ec2.AuthorizeSecurityGroupIngress),
                    ("authorizeEgress", ec2.AuthorizeSecurityGroupEgress)):
        if doc.get(key):
            r = fn({"GroupId": doc["groupId"], "IpPermissions": doc[key]})
            out[key] = len(r.get("SecurityGroupRules") or
                           r.get("RevokedSecurityGroupRules") or [])
    return out


def sg_tags(peer, doc):
    g = peer.state.groups[doc["groupId"]]
    g["Tags"] = copy.deepcopy(doc["tags"])
    return {"groupId": g["GroupId"]}


def delete_group(peer, doc):
    del peer.state.groups[doc["groupId"]]
    return {"groupId": doc["groupId"]}


def cluster_status(peer, doc):
    st = doc["status"]
    if st not in ("ACTIVE", "INACTIVE", "MISSING"):
        raise ValueError("status: ACTIVE, INACTIVE or MISSING")
    peer.state.cluster_status[doc["cluster"]] = st
    return {"cluster": doc["cluster"], "status": st}


def scalable_target(peer, doc):
    return peer.aas.mutate_target(doc)


def delete_alarm(peer, doc):
    peer.cw.DeleteAlarms({"AlarmNames": [doc["AlarmName"]]})
    return {"AlarmName": doc["AlarmName"]}


def _set_paths(obj, sets):
    """{"a.b.0.c": v}: set (None: delete) each member, dicts made on the
    way; a numeric component indexes a list."""
    for path, v in (sets or {}).items():
        keys = path.split(".")
        cur = obj
        for k in keys[:-1]:
            cur = cur[int(k)] if isinstance(cur, list) else \
                cur.setdefault(k, {})
        last = keys[-1]
        if isinstance(cur, list):
            cur[int(last)] = copy.deepcopy(v)
        elif v is None:
            cur.pop(last, None)
        else:
            cur[last] = copy.deepcopy(v)


def _aas_item(table, doc, name_key, new=None):
    k = (doc.get("ServiceNamespace", "ecs"), doc["ResourceId"],
         doc.get("ScalableDimension", "ecs:service:DesiredCount"),
         doc[name_key])
    if doc.get("delete"):
        del table[k]
        return {name_key: k[3], "deleted": True}
    if k not in table:
        if new is None or not doc.get("new"):
            raise KeyError("no %s %s of %s" % (name_key, k[3], k[1]))
        table[k] = new(k)
    _set_paths(table[k], doc.get("set"))
    return {name_key: k[3]}


def scaling_policy(peer, doc):
    return _aas_item(peer.state.aas_policies, doc, "PolicyName")


def scheduled_action(peer, doc):
    def new(k):
        return {"ScheduledActionName": k[3], "ServiceNamespace": k[0],
                "ResourceId": k[1], "ScalableDimension": k[2],
                "ScheduledActionARN": "arn:aws:autoscaling:us-east-1:"
                "000000000000:scheduledAction:%s:resource/%s/%s:"
                "scheduledActionName/%s" % (uuid.uuid4(), k[0], k[1], k[3]),
                "CreationTime": now()}
    return _aas_item(peer.state.aas_actions, doc, "ScheduledActionName", new)


def alarm(peer, doc):
    name = doc["AlarmName"]
    if name not in peer.state.cw_alarms and doc.get("new"):
        t = now()
        peer.state.cw_alarms[name] = {
            "AlarmName": name, "AlarmArn": "arn:aws:cloudwatch:us-east-1:"
            "123456789012:alarm:%s" % name, "ActionsEnabled": True,
            "OKActions": [], "AlarmActions": [], "InsufficientDataActions": [],
            "Dimensions": [], "StateValue": "INSUFFICIENT_DATA",
            "StateReason": "created by another actor",
            "StateUpdatedTimestamp": t, "StateTransitionedTimestamp": t,
            "AlarmConfigurationUpdatedTimestamp": t}
    _set_paths(peer.state.cw_alarms[name], doc.get("set"))
    return {"AlarmName": name}


ACTIONS = {f.__name__: f for f in (register_taskdef, update_service,
                                   delete_service, sg_rules, sg_tags,
                                   delete_group, cluster_status,
                                   scalable_target, delete_alarm,
                                   scaling_policy, scheduled_action, alarm)}


def apply(peer, doc):
    if not isinstance(doc, dict) or doc.get("action") not in ACTIONS:
        raise ValueError("action must be one of %s"
                         % ", ".join(sorted(ACTIONS)))
    peer.traffic.tick()
    created = dict(peer.state.created)
    try:
        out = ACTIONS[doc["action"]](peer, doc)
    finally:
        # another actor's resources are not the client's creations
        peer.state.created.clear()
        peer.state.created.update(created)
    peer.state.mutations.append({"t": round(now() - peer.state.t0, 3),
                                 "action": doc["action"]})
    peer.traffic.observe("mutate %s" % doc["action"])
    peer.spot.reconcile()
    out["action"] = doc["action"]
    return out
