"""Fake Amazon EC2 security groups (ec2 query protocol). Operations take
params in model member names and return the output in member names; the
XML is produced from the model by to_xml(). Called with state.lock held."""
import copy
import ipaddress
import re
from xml.sax.saxutils import escape

from common import ApiError, awsmodel, now

XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"
DEFAULT_VPC = "vpc-0f2odefault00001"
RULES_MAX = 60      # default quota, inbound and outbound counted apart
PROTO_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6",
               "all": "-1"}


def _err(code, message, status=400):
    return ApiError(status, code, message)


# ----------------------------------------------------------------------
# XML

def _xml(shape, value, name, out):
    t = shape.type_name
    if value is None:
        return
    if t == "structure":
        out.append("<%s>" % name)
        for mname, mshape in shape.members.items():
            if isinstance(value, dict) and value.get(mname) is not None:
                _xml(mshape, value[mname],
                     mshape.serialization.get("name", mname), out)
        out.append("</%s>" % name)
    elif t == "list":
        if not value:
            out.append("<%s/>" % name)
            return
        out.append("<%s>" % name)
        item = shape.member.serialization.get("name", "item")
        for v in value:
            _xml(shape.member, v, item, out)
        out.append("</%s>" % name)
    elif t == "boolean":
        out.append("<%s>%s</%s>" % (name, "true" if value else "false", name))
    else:
        out.append("<%s>%s</%s>" % (name, escape(str(value)), name))


def to_xml(op, value, request_id, extra=None):
    """The <OpResponse> document for op's output value."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           '<%sResponse xmlns="%s">' % (op, XMLNS),
           "<requestId>%s</requestId>" % request_id]
    for k, v in (extra or {}).items():
        out.append("<%s>%s</%s>" % (k, escape(v), k))
    shape = awsmodel.service_model("ec2").operation_model(op).output_shape
    if shape is not None:
        for mname, mshape in shape.members.items():
            if value.get(mname) is not None:
                _xml(mshape, value[mname],
                     mshape.serialization.get("name", mname), out)
    out.append("</%sResponse>" % op)
    return "".join(out)


def error_xml(code, message, request_id):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            "<Response><Errors><Error><Code>%s</Code><Message>%s</Message>"
            "</Error></Errors><RequestID>%s</RequestID></Response>"
            % (escape(code), escape(message), request_id))


# ----------------------------------------------------------------------

class Ec2:
    def __init__(self, state):
        self.s = state
        self.cfg = state.cfg
        self.begin("ec2:?")

    def begin(self, op):
        """A new request op (for the consistency counters)."""
        self.op = op
        self.seen = {}          # GroupId -> hidden? within this request

    def hidden_to(self, op, gid):
        """Is group gid not yet visible to another service's request op
        (ECS CreateService looks its security groups up in EC2)?"""
        self.begin(op)
        return self._hidden(self.s.groups[gid])

    def _hidden(self, g):
        """Eventual consistency (--ec2-consistency-delay/-requests): True
        while a just-created group is not yet visible to this request."""
        gid = g["GroupId"]
        if gid in self.seen:
            return self.seen[gid]
        hide = False
        if now() < g.get("visible_at", 0):
            hide = True
        if g.get("hidden_requests", 0) > 0:
            g["hidden_requests"] -= 1
            hide = True
        self.seen[gid] = hide
        if hide:
            c = self.s.consistency
            c[self.op] = c.get(self.op, 0) + 1
        return hide

    def _group(self, gid, name=None, vpc=None):
        if gid is not None:
            if not re.match(r"^sg-[0-9a-zA-Z]+$", gid):
                raise _err("InvalidGroupId.Malformed", 'Invalid id: "%s"'
                           % gid)
            g = self.s.groups.get(gid)
            if g is None or self._hidden(g):
                raise _err("InvalidGroup.NotFound", "The security group '%s' "
                           "does not exist" % gid)
            return g
        if name is not None:
            for g in self.s.groups.values():
                if g["GroupName"].lower() == name.lower() and \
                        g["VpcId"] == (vpc or DEFAULT_VPC) and \
                        not self._hidden(g):
                    return g
            raise _err("InvalidGroup.NotFound", "The security group '%s' "
                       "does not exist in default VPC '%s'"
                       % (name, DEFAULT_VPC))
        raise _err("MissingParameter", "The request must contain the "
                   "parameter groupName or groupId")

    def _tags(self, p, rtype):
        tags = []
        for ts in p.get("TagSpecifications") or []:
            if ts.get("ResourceType") != rtype:
                raise _err("InvalidParameterValue", "'%s' is not a valid "
                           "taggable resource type for this operation."
                           % ts.get("ResourceType"))
            tags.extend(copy.deepcopy(ts.get("Tags") or []))
        return tags

    def _dry(self, p):
        if p.get("DryRun"):
            raise _err("DryRunOperation", "Request would have succeeded, but "
                       "DryRun flag is set.", 412)

    def new_group(self, gid, name, desc, vpc, tags, default_egress):
        g = {"GroupId": gid, "GroupName": name, "Description": desc,
             "VpcId": vpc, "OwnerId": self.cfg.account, "Tags": tags,
             "SecurityGroupArn": "arn:aws:ec2:%s:%s:security-group/%s"
             % (self.cfg.region, self.cfg.account, gid),
             "rules": []}
        self.s.groups[gid] = g
        if default_egress:
            self._add_rule(g, {"IsEgress": True, "IpProtocol": "-1",
                               "FromPort": -1, "ToPort": -1,
                               "CidrIpv4": "0.0.0.0/0"})
        return g

    def CreateSecurityGroup(self, p):
        self._dry(p)
        name, desc = p["GroupName"], p["Description"]
        vpc = p.get("VpcId") or DEFAULT_VPC
        if name.lower().startswith("sg-"):
            raise _err("InvalidParameterValue", "Group names may not be in "
                       "the format sg-*.")
        if not name or len(name) > 255:
            raise _err("InvalidParameterValue", "Invalid value '%s' for "
                       "groupName. Length must be 1-255." % name)
        if not desc or len(desc) > 255:
            raise _err("InvalidParameterValue", "Invalid value for "
                       "GroupDescription. Length must be 1-255.")
        if not re.match(r"^vpc-[0-9a-zA-Z]+$", vpc):
            raise _err("InvalidVpcID.NotFound", "The vpc ID '%s' does not "
                       "exist" % vpc)
        for g in self.s.groups.values():
            if g["GroupName"].lower() == name.lower() and g["VpcId"] == vpc:
                raise _err("InvalidGroup.Duplicate", "The security group "
                           "'%s' already exists for VPC '%s'" % (name, vpc))
        tags = self._tags(p, "security-group")
        g = self.new_group(self.s.new_id("sg-0f2o"), name, desc, vpc, tags,
                           True)
        g["visible_at"] = now() + (self.cfg.ec2_consistency_delay or 0)
        g["hidden_requests"] = self.cfg.ec2_consistency_requests or 0
        self.s.count_created("ec2:securityGroup:%s/%s" % (vpc, name))
        return {"GroupId": g["GroupId"], "Tags": tags,
                "SecurityGroupArn": g["SecurityGroupArn"]}

    # -- rules -------------------------------------------------------------
    def _add_rule(self, g, r):
        r = dict(r)
        r.setdefault("Tags", [])
        r["GroupId"] = g["GroupId"]
        r["GroupOwnerId"] = self.cfg.account
        r["SecurityGroupRuleId"] = self.s.new_id("sgr-0f2o")
        r["SecurityGroupRuleArn"] = "arn:aws:ec2:%s:%s:security-group-rule/" \
            "%s" % (self.cfg.region, self.cfg.account, r["SecurityGroupRuleId"])
        g["rules"].append(r)
        return r

    @staticmethod
    def _key(r):
        ref = r.get("ReferencedGroupInfo") or {}
        return (r["IsEgress"], r["IpProtocol"], r.get("FromPort"),
                r.get("ToPort"), r.get("CidrIpv4"), r.get("CidrIpv6"),
                r.get("PrefixListId"), ref.get("GroupId"))

    @staticmethod
    def _describe_rule(r):
        peer = r.get("CidrIpv4") or r.get("CidrIpv6") or \
            r.get("PrefixListId") or \
            (r.get("ReferencedGroupInfo") or {}).get("GroupId")
        proto = r["IpProtocol"]
        if proto == "-1":
            return "peer: %s, ALL, ALLOW" % peer
        return "peer: %s, %s, from port: %s, to port: %s, ALLOW" % (
            peer, proto.upper(), r.get("FromPort"), r.get("ToPort"))

    def _expand(self, g, perms, egress):
        """IpPermission list -> rule dicts (no ids), validated."""
        rules = []
        for perm in perms:
            proto = str(perm.get("IpProtocol", "")).lower()
            proto = PROTO_NAMES.get(proto, proto)
            if proto == "":
                raise _err("MissingParameter", "The request must contain "
                           "the parameter ipProtocol")
            if proto not in ("tcp", "udp", "icmp", "icmpv6", "-1") and \
                    not (proto.isdigit() and int(proto) <= 255):
                raise _err("InvalidParameterValue", "Invalid value '%s' for "
                           "IP protocol. Unknown protocol." % proto)
            fp, tp = perm.get("FromPort"), perm.get("ToPort")
            base = {"IsEgress": egress, "IpProtocol": proto}
            if proto in ("tcp", "udp"):
                if fp is None or tp is None:
                    raise _err("InvalidParameterValue", "Invalid value "
                               "'null' for portRange. Must specify both from "
                               "and to ports with TCP/UDP.")
                if not (0 <= fp <= tp <= 65535):
                    raise _err("InvalidParameterValue", "Invalid value "
                               "'%s-%s' for portRange." % (fp, tp))
                base["FromPort"], base["ToPort"] = fp, tp
            elif proto in ("icmp", "icmpv6"):
                fp = -1 if fp is None else fp
                tp = -1 if tp is None else tp
                if not (-1 <= fp <= 255 and -1 <= tp <= 255):
                    raise _err("InvalidParameterValue", "Invalid value for "
                               "ICMP type/code.")
                base["FromPort"], base["ToPort"] = fp, tp
            else:
                base["FromPort"], base["ToPort"] = -1, -1
            n = 0
            for rng in perm.get("IpRanges") or []:
                c = rng.get("CidrIp", "")
                self._cidr(c, 4)
                rules.append(dict(base, CidrIpv4=c,
                                  Description=rng.get("Description")))
                n += 1
            for rng in perm.get("Ipv6Ranges") or []:
                c = rng.get("CidrIpv6", "")
                self._cidr(c, 6)
                rules.append(dict(base, CidrIpv6=c,
                                  Description=rng.get("Description")))
                n += 1
            for pl in perm.get("PrefixListIds") or []:
                if not re.match(r"^pl-[0-9a-zA-Z]+$",
                                pl.get("PrefixListId", "")):
                    raise _err("InvalidPrefixListId.Malformed",
                               "The prefix list ID '%s' is malformed"
                               % pl.get("PrefixListId"))
                rules.append(dict(base, PrefixListId=pl["PrefixListId"],
                                  Description=pl.get("Description")))
                n += 1
            for pair in perm.get("UserIdGroupPairs") or []:
                rules.append(dict(base, ReferencedGroupInfo=self._pair(
                    g, pair), Description=pair.get("Description")))
                n += 1
            if n == 0:
                raise _err("InvalidParameterValue", "The request must "
                           "contain at least one of IpRanges, Ipv6Ranges, "
                           "PrefixListIds or UserIdGroupPairs")
        for r in rules:
            if r.get("Description") is None:
                del r["Description"]
        return rules

    def _pair(self, g, pair):
        uid = pair.get("UserId") or self.cfg.account
        gid = pair.get("GroupId")
        if gid is None and pair.get("GroupName"):
            gid = self._group(None, pair["GroupName"], g["VpcId"])["GroupId"]
        if gid is None:
            raise _err("MissingParameter", "The request must contain the "
                       "parameter groupId")
        if uid == self.cfg.account:
            ref = self._group(gid)
            if ref["VpcId"] != g["VpcId"] and not pair.get(
                    "VpcPeeringConnectionId"):
                raise _err("InvalidGroup.NotFound", "You have specified two "
                           "resources that belong to different networks.")
        out = {"GroupId": gid, "UserId": uid}
        if pair.get("VpcPeeringConnectionId"):
            out["VpcPeeringConnectionId"] = pair["VpcPeeringConnectionId"]
        return out

    @staticmethod
    def _cidr(c, version):
        try:
            net = ipaddress.ip_network(c, strict=False)
        except ValueError:
            net = None
        if net is None or net.version != version or "/" not in c:
            raise _err("InvalidParameterValue", "Value (%s) for parameter "
                       "cidrIp%s is invalid. This is not a valid CIDR block."
                       % (c, "v6" if version == 6 else ""))

    def _legacy_perms(self, p):
        perms = list(p.get("IpPermissions") or [])
        if p.get("IpProtocol") or p.get("CidrIp") or \
                p.get("SourceSecurityGroupName"):
            perm = {"IpProtocol": p.get("IpProtocol", "-1")}
            for k in ("FromPort", "ToPort"):
                if p.get(k) is not None:
                    perm[k] = p[k]
            if p.get("CidrIp"):
                perm["IpRanges"] = [{"CidrIp": p["CidrIp"]}]
            if p.get("SourceSecurityGroupName"):
                perm["UserIdGroupPairs"] = [{
                    "GroupName": p["SourceSecurityGroupName"],
                    "UserId": p.get("SourceSecurityGroupOwnerId")}]
            perms.append(perm)
        return perms

    def _authorize(self, p, egress):
        self._dry(p)
        g = self._group(p.get("GroupId"), p.get("GroupName"))
        perms = self._legacy_perms(p)
        if not perms:
            raise _err("MissingParameter", "The request must contain the "
                       "parameter ipPermissions")
        rules = self._expand(g, perms, egress)
        have = {self._key(r) for r in g["rules"]}
        seen = set()
        for r in rules:
            k = self._key(r)
            if k in have or k in seen:
                raise _err("InvalidPermission.Duplicate", 'the specified '
                           'rule "%s" already exists' % self._describe_rule(r))
            seen.add(k)
        same_dir = sum(1 for r in g["rules"] if r["IsEgress"] == egress)
        if same_dir + len(rules) > RULES_MAX:
            raise _err("RulesPerSecurityGroupLimitExceeded", "The maximum "
                       "number of rules per security group has been "
                       "reached.")
        tags = self._tags(p, "security-group-rule")
        out = []
        for r in rules:
            r["Tags"] = copy.deepcopy(tags)
            nr = self._add_rule(g, r)
            out.append(copy.deepcopy(nr))
            self.s.count_created("ec2:rule:%s:%s" % (
                g["GroupId"], "|".join(str(x) for x in self._key(nr))))
        return {"Return": True, "SecurityGroupRules": out}

    def AuthorizeSecurityGroupIngress(self, p):
        return self._authorize(p, False)

    def AuthorizeSecurityGroupEgress(self, p):
        return self._authorize(p, True)

    def _revoke(self, p, egress):
        self._dry(p)
        g = self._group(p.get("GroupId"), p.get("GroupName"))
        ids = p.get("SecurityGroupRuleIds") or []
        perms = self._legacy_perms(p)
        if not ids and not perms:
            raise _err("MissingParameter", "The request must contain the "
                       "parameter ipPermissions or securityGroupRuleIds")
        drop = []
        unknown = []
        for rid in ids:
            hit = [r for r in g["rules"] if r["SecurityGroupRuleId"] == rid
                   and r["IsEgress"] == egress]
            if not hit:
                raise _err("InvalidSecurityGroupRuleId.NotFound", "The "
                           "security group rule ID '%s' does not exist" % rid)
            drop.extend(hit)
        if perms:
            for perm in perms:
                found = False
                for r in self._expand(g, [perm], egress):
                    k = self._key(r)
                    hit = [x for x in g["rules"] if self._key(x) == k]
                    if hit:
                        found = True
                        drop.extend(hit)
                if not found:
                    unknown.append(perm)
        if not drop:
            raise _err("InvalidPermission.NotFound", "The specified rule "
                       "does not exist in this security group.")
        revoked = []
        for r in drop:
            if r in g["rules"]:
                g["rules"].remove(r)
                rv = {k: r[k] for k in (
                    "SecurityGroupRuleId", "GroupId", "IsEgress",
                    "IpProtocol", "FromPort", "ToPort", "CidrIpv4",
                    "CidrIpv6", "PrefixListId", "Description") if k in r}
                if r.get("ReferencedGroupInfo"):
                    rv["ReferencedGroupId"] = r["ReferencedGroupInfo"][
                        "GroupId"]
                revoked.append(rv)
        out = {"Return": not unknown, "RevokedSecurityGroupRules": revoked}
        if unknown:
            out["UnknownIpPermissions"] = unknown
        return out

    def RevokeSecurityGroupIngress(self, p):
        return self._revoke(p, False)

    def RevokeSecurityGroupEgress(self, p):
        return self._revoke(p, True)

    def DeleteSecurityGroup(self, p):
        self._dry(p)
        g = self._group(p.get("GroupId"), p.get("GroupName"))
        for other in self.s.groups.values():
            if other is g:
                continue
            for r in other["rules"]:
                if (r.get("ReferencedGroupInfo") or {}).get("GroupId") == \
                        g["GroupId"]:
                    raise _err("DependencyViolation", "resource %s has a "
                               "dependent object" % g["GroupId"])
        for rec in self.s.services:
            net = (rec["svc"].get("networkConfiguration") or {}).get(
                "awsvpcConfiguration") or {}
            if rec["svc"]["status"] != "INACTIVE" and \
                    g["GroupId"] in (net.get("securityGroups") or []):
                raise _err("DependencyViolation", "resource %s has a "
                           "dependent object" % g["GroupId"])
        for inst in self.s.instances.values():
            if inst["State"]["Name"] != "terminated" and g["GroupId"] in [
                    x["GroupId"] for x in inst["SecurityGroups"]]:
                # attached to a running instance's network interface
                raise _err("DependencyViolation", "resource %s has a "
                           "dependent object" % g["GroupId"])
        del self.s.groups[g["GroupId"]]
        return {"Return": True, "GroupId": g["GroupId"]}

    # -- describe ----------------------------------------------------------
    def group_out(self, g):
        out = {k: copy.deepcopy(v) for k, v in g.items()
               if k not in ("rules", "visible_at", "hidden_requests")}
        for egress, key in ((False, "IpPermissions"),
                            (True, "IpPermissionsEgress")):
            perms = []
            index = {}
            for r in g["rules"]:
                if r["IsEgress"] != egress:
                    continue
                pk = (r["IpProtocol"], r.get("FromPort"), r.get("ToPort"))
                if pk not in index:
                    perm = {"IpProtocol": r["IpProtocol"], "IpRanges": [],
                            "Ipv6Ranges": [], "PrefixListIds": [],
                            "UserIdGroupPairs": []}
                    if r["IpProtocol"] != "-1":
                        perm["FromPort"] = r.get("FromPort")
                        perm["ToPort"] = r.get("ToPort")
                    index[pk] = perm
                    perms.append(perm)
                perm = index[pk]
                d = {"Description": r["Description"]} \
                    if r.get("Description") is not None else {}
                if r.get("CidrIpv4"):
                    perm["IpRanges"].append(dict(d, CidrIp=r["CidrIpv4"]))
                elif r.get("CidrIpv6"):
                    perm["Ipv6Ranges"].append(dict(d, CidrIpv6=r["CidrIpv6"]))
                elif r.get("PrefixListId"):
                    perm["PrefixListIds"].append(dict(
                        d, PrefixListId=r["PrefixListId"]))
                else:
                    ref = r["ReferencedGroupInfo"]
                    perm["UserIdGroupPairs"].append(dict(
                        d, GroupId=ref["GroupId"], UserId=ref["UserId"]))
            out[key] = perms
        return out

    @staticmethod
    def _filter_ok(g, f, value_of):
        name = f.get("Name", "")
        vals = f.get("Values") or []
        have = value_of(g, name)
        if have is None:
            return False
        if isinstance(have, list):
            return any(_match(v, h) for v in vals for h in have)
        return any(_match(v, have) for v in vals)

    @staticmethod
    def _group_field(g, name):
        simple = {"group-name": "GroupName", "group-id": "GroupId",
                  "vpc-id": "VpcId", "description": "Description",
                  "owner-id": "OwnerId"}
        if name in simple:
            return g[simple[name]]
        if name.startswith("tag:"):
            for t in g.get("Tags") or []:
                if t.get("Key") == name[4:]:
                    return t.get("Value")
            return None
        if name == "tag-key":
            return [t.get("Key") for t in g.get("Tags") or []]
        raise _err("InvalidParameterValue", "The filter '%s' is invalid"
                   % name)

    def DescribeSecurityGroups(self, p):
        groups = sorted(self.s.groups.values(), key=lambda g: g["GroupId"])
        if p.get("GroupIds"):
            for gid in p["GroupIds"]:
                self._group(gid)
            groups = [g for g in groups if g["GroupId"] in p["GroupIds"]]
        if p.get("GroupNames"):
            for n in p["GroupNames"]:
                self._group(None, n)
            groups = [g for g in groups if g["GroupName"] in p["GroupNames"]
                      and g["VpcId"] == DEFAULT_VPC]
        for f in p.get("Filters") or []:
            groups = [g for g in groups
                      if self._filter_ok(g, f, self._group_field)]
        items = [self.group_out(g) for g in groups]
        return self._page(p, items, "SecurityGroups", 5)

    def _page(self, p, items, key, lo):
        start = 0
        if p.get("NextToken"):
            tok = p["NextToken"]
            if not tok.startswith("f2o-") or not tok[4:].isdigit():
                raise _err("InvalidParameterValue", "The parameter NextToken "
                           "is invalid")
            start = int(tok[4:])
        n = p.get("MaxResults")
        if n is None:
            return {key: items[start:]}
        if n < lo or n > 1000:
            raise _err("InvalidParameterValue", "Value ( %d ) for parameter "
                       "maxResults is invalid. Expecting a value between %d "
                       "and 1000." % (n, lo))
        out = {key: items[start:start + n]}
        if start + n < len(items):
            out["NextToken"] = "f2o-%d" % (start + n)
        return out

    @staticmethod
    def _rule_field(r, name):
        simple = {"group-id": "GroupId", "security-group-rule-id":
                  "SecurityGroupRuleId"}
        if name in simple:
            return r[simple[name]]
        if name.startswith("tag:"):
            for t in r.get("Tags") or []:
                if t.get("Key") == name[4:]:
                    return t.get("Value")
            return None
        raise _err("InvalidParameterValue", "The filter '%s' is invalid"
                   % name)

    def DescribeSecurityGroupRules(self, p):
        rules = []
        for gid in sorted(self.s.groups):
            rules.extend(self.s.groups[gid]["rules"])
        if p.get("SecurityGroupRuleIds"):
            ids = p["SecurityGroupRuleIds"]
            rules = [r for r in rules if r["SecurityGroupRuleId"] in ids]
        for f in p.get("Filters") or []:
            rules = [r for r in rules
                     if self._filter_ok(r, f, self._rule_field)]
        return self._page(p, copy.deepcopy(rules), "SecurityGroupRules", 5)

    # -- seeding -----------------------------------------------------------
    def seed_group(self, sg):
        g = self.new_group(sg["GroupId"], sg["GroupName"],
                           sg.get("Description", ""),
                           sg.get("VpcId", DEFAULT_VPC),
                           sg.get("Tags") or [], False)
        return g

    def seed_rules(self, sg):
        g = self.s.groups[sg["GroupId"]]
        for egress, key in ((False, "IpPermissions"),
                            (True, "IpPermissionsEgress")):
            perms = copy.deepcopy(sg.get(key) or [])
            for perm in perms:
                for pair in perm.get("UserIdGroupPairs") or []:
                    if pair.get("GroupId") not in self.s.groups:
                        pair["UserId"] = "000000000000"   # outside group
            for r in self._expand(g, perms, egress):
                self._add_rule(g, r)


def _match(pattern, value):
    """EC2 filter values allow * and ? wildcards."""
    rx = "^" + "".join(".*" if c == "*" else "." if c == "?" else re.escape(c)
                       for c in pattern) + "$"
    return re.match(rx, str(value)) is not None


OPERATIONS = [n for n in dir(Ec2) if n[0].isupper()]
