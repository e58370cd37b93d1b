#!/usr/bin/env python3
# Seeds moto (tests/moto/moto_serve.py) with an export folder's state through
# boto3, then writes a copy of the export whose ids are moto's.
# Run with the Python that has moto and boto3 (not /usr/bin/python3).
#
#   python3 tests/moto/moto_seed.py URL EXPORT_DIR OUT_DIR
#
# moto picks its own ids (vpc-, subnet-, sg-, pl-; EC2 has no way to ask for
# one), so the export cannot be used as it is: the copy in OUT_DIR is the
# same export with every exported id replaced by the id moto gave the
# seeded resource, i.e. what `aws ... describe-*` would export from moto.
# Task definitions are registered up to the exported revision (the earlier
# revisions deregistered) so that the exported ARNs (family:REV) hold.
# Prints the id map as JSON on stdout.
import glob
import json
import os
import shutil
import sys

import boto3

REGION = "us-east-1"
TD_MEMBERS = ("family", "taskRoleArn", "executionRoleArn", "networkMode",
              "containerDefinitions", "volumes", "placementConstraints",
              "requiresCompatibilities", "cpu", "memory", "runtimePlatform",
              "ephemeralStorage", "proxyConfiguration", "pidMode", "ipcMode")


def client(url, name):
    return boto3.client(name, endpoint_url=url, region_name=REGION,
                        aws_access_key_id="AKIAF2OTESTKEY000001",
                        aws_secret_access_key="f2o/test/secret/key/not/a/real/one/0000")


def perm_ids(perms):
    """Ids a list of IpPermissions refers to: (groups, prefix lists)."""
    gs, pls = set(), set()
    for p in perms:
        for u in p.get("UserIdGroupPairs", []):
            gs.add(u["GroupId"])
        for pl in p.get("PrefixListIds", []):
            pls.add(pl["PrefixListId"])
    return gs, pls


def clean_perms(perms, idmap):
    out = []
    for p in perms:
        q = {k: v for k, v in p.items() if v != []}
        if "UserIdGroupPairs" in q:
            q["UserIdGroupPairs"] = [
                {k: (idmap.get(v, v) if k == "GroupId" else v)
                 for k, v in u.items()} for u in q["UserIdGroupPairs"]]
        if "PrefixListIds" in q:
            q["PrefixListIds"] = [
                {k: (idmap.get(v, v) if k == "PrefixListId" else v)
                 for k, v in u.items()} for u in q["PrefixListIds"]]
        out.append(q)
    return out


def seed(url, src):
    ec2 = client(url, "ec2")
    ecs = client(url, "ecs")
    sgs = json.load(open(os.path.join(src, "security-groups.json")))["SecurityGroups"]
    svcs = json.load(open(os.path.join(src, "services.json")))["services"]
    idmap = {}

    # VPCs and subnets the groups and services name
    vpcs = sorted({g["VpcId"] for g in sgs})
    for n, v in enumerate(vpcs):
        r = ec2.create_vpc(CidrBlock="10.%d.0.0/16" % n)
        idmap[v] = r["Vpc"]["VpcId"]
    subnets = []
    for s in svcs:
        nc = (s.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
        for sn in nc.get("subnets", []):
            if sn not in subnets:
                subnets.append(sn)
    for n, sn in enumerate(subnets):
        r = ec2.create_subnet(VpcId=idmap[vpcs[0]], CidrBlock="10.0.%d.0/24" % n,
                              AvailabilityZone=REGION + "abcdef"[n % 6])
        idmap[sn] = r["Subnet"]["SubnetId"]

    # prefix lists, then the groups, then their rules (they refer to each other)
    pls = set()
    for g in sgs:
        pls |= perm_ids(g.get("IpPermissions", []) + g.get("IpPermissionsEgress", []))[1]
    for pl in sorted(pls):
        r = ec2.create_managed_prefix_list(PrefixListName="seed-" + pl, MaxEntries=5,
                                           AddressFamily="IPv4",
                                           Entries=[{"Cidr": "192.0.2.0/24"}])
        idmap[pl] = r["PrefixList"]["PrefixListId"]
    for g in sgs:
        kw = {"GroupName": g["GroupName"], "Description": g["Description"],
              "VpcId": idmap[g["VpcId"]]}
        if g.get("Tags"):
            kw["TagSpecifications"] = [{"ResourceType": "security-group",
                                        "Tags": g["Tags"]}]
        idmap[g["GroupId"]] = ec2.create_security_group(**kw)["GroupId"]
    for g in sgs:
        gid = idmap[g["GroupId"]]
        if g.get("IpPermissions"):
            ec2.authorize_security_group_ingress(
                GroupId=gid, IpPermissions=clean_perms(g["IpPermissions"], idmap))
        ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        if g.get("IpPermissionsEgress"):
            ec2.authorize_security_group_egress(
                GroupId=gid, IpPermissions=clean_perms(g["IpPermissionsEgress"], idmap))

    # the cluster, the task definitions up to the exported revision
    clusters = sorted({s["clusterArn"].split("/")[-1] for s in svcs})
    for c in clusters:
        ecs.create_cluster(clusterName=c)
    tds = {}
    for f in sorted(glob.glob(os.path.join(src, "taskdefs", "*.json"))):
        d = json.load(open(f))
        td = d["taskDefinition"]
        tds[td["taskDefinitionArn"]] = (td, d.get("tags", []))
    for s in svcs:
        arn = s["taskDefinition"]
        if arn not in tds:  # not exported (legacy-cron): a stand-in
            fam = arn.split("/")[-1].rsplit(":", 1)[0]
            tds[arn] = ({"family": fam, "revision": int(arn.rsplit(":", 1)[1]),
                         "containerDefinitions": [{"name": fam, "image": "busybox",
                                                   "memory": 128}]}, [])
    for arn, (td, tags) in sorted(tds.items()):
        req = {k: td[k] for k in TD_MEMBERS if td.get(k) is not None}
        if tags:
            req["tags"] = tags
        for rev in range(1, td["revision"] + 1):
            got = ecs.register_task_definition(**req)["taskDefinition"]
            if rev < td["revision"]:
                ecs.deregister_task_definition(taskDefinition=got["taskDefinitionArn"])
        if got["taskDefinitionArn"] != arn:
            raise SystemExit("seed: registered %s, not %s" % (got["taskDefinitionArn"], arn))

    # the services, with moto's ids
    for s in svcs:
        if s.get("status") != "ACTIVE":
            continue
        kw = {"cluster": s["clusterArn"].split("/")[-1], "serviceName": s["serviceName"],
              "taskDefinition": s["taskDefinition"], "desiredCount": s["desiredCount"]}
        if s.get("capacityProviderStrategy"):
            # moto keeps no capacity provider strategy (it reports launch
            # type EC2): seed and export such a service as FARGATE
            s = dict(s, launchType="FARGATE")
            s.pop("capacityProviderStrategy")
        for k in ("launchType", "capacityProviderStrategy", "loadBalancers",
                  "serviceRegistries", "platformVersion", "propagateTags",
                  "deploymentConfiguration", "schedulingStrategy"):
            if s.get(k) not in (None, [], ""):
                kw[k] = s[k]
        if s.get("tags"):
            kw["tags"] = s["tags"]
        nc = (s.get("networkConfiguration") or {}).get("awsvpcConfiguration")
        if nc:
            kw["networkConfiguration"] = {"awsvpcConfiguration": dict(
                nc, subnets=[idmap[x] for x in nc["subnets"]],
                securityGroups=[idmap[x] for x in nc.get("securityGroups", [])])}
        ecs.create_service(**kw)
    return idmap


def rewrite(src, dst, idmap):
    """Copy the export, every exported id replaced by moto's (longest first)."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    keys = sorted(idmap, key=len, reverse=True)
    for root, _, files in os.walk(dst):
        for f in files:
            if not f.endswith(".json"):
                continue
            p = os.path.join(root, f)
            text = open(p).read()
            for k in keys:
                text = text.replace('"%s"' % k, '"%s"' % idmap[k])
            open(p, "w").write(text)


def align(url, dst):
    """Make the export copy what moto holds, so that f2o-exec's preflight
    sees no drift that is only moto's way of storing things (it keeps no
    capacity provider strategy, no circuit breaker, no deployment alarms,
    no description on a prefix-list rule): those are listed in README.md."""
    ecs = client(url, "ecs")
    p = os.path.join(dst, "services.json")
    doc = json.load(open(p))
    for s in doc["services"]:
        if s.get("status") != "ACTIVE":
            continue
        live = ecs.describe_services(cluster=s["clusterArn"].split("/")[-1],
                                     services=[s["serviceName"]])["services"]
        if not live:
            continue
        if s.get("capacityProviderStrategy"):
            s.pop("capacityProviderStrategy")
            s["launchType"] = "FARGATE"
        if live[0].get("deploymentConfiguration"):
            s["deploymentConfiguration"] = live[0]["deploymentConfiguration"]
        else:
            s.pop("deploymentConfiguration", None)
    json.dump(doc, open(p, "w"), indent=1)
    p = os.path.join(dst, "security-groups.json")
    doc = json.load(open(p))
    for g in doc.get("SecurityGroups", []):
        for k in ("IpPermissions", "IpPermissionsEgress"):
            for perm in g.get(k, []):
                for pl in perm.get("PrefixListIds", []):
                    pl.pop("Description", None)
    json.dump(doc, open(p, "w"), indent=1)


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: moto_seed.py URL EXPORT_DIR OUT_DIR\n")
        return 2
    idmap = seed(sys.argv[1], sys.argv[2])
    rewrite(sys.argv[2], sys.argv[3], idmap)
    align(sys.argv[1], sys.argv[3])
    json.dump(idmap, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
