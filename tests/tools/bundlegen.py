#!/usr/bin/python3
"""Write small hand-made f2o bundles for tests (plan.json, requests/,
manifest.json with SHA-256 of each file), the way f2o-translate lays them
out. Used by tests/peers/test_validate_bundle.py and tests/exec/sg_e2e.sh.

    bundlegen.py sg DIR     write the security-group bundle (SG_STEPS) to DIR
"""
import hashlib
import json
import os
import sys
import tarfile


def step(sid, action, after=(), outputs=None, phase="import", request=True):
    s = {"id": sid, "phase": phase, "action": action, "title": sid,
         "after": list(after), "outputs": outputs or {}}
    if request:
        s["request"] = "requests/%s.json" % sid
    return s


def write(d, steps, tar=False):
    """steps: [(step, body or None)]. Returns the bundle path."""
    os.makedirs(os.path.join(d, "requests"), exist_ok=True)
    files = {}
    plan = {"formatVersion": 1, "steps": []}
    for st, body in steps:
        plan["steps"].append(st)
        if body is not None and st.get("request"):
            files[st["request"]] = json.dumps(body, indent=1).encode()
    files["plan.json"] = json.dumps(plan, indent=1).encode()
    manifest = {"format": "f2o-bundle", "formatVersion": 1,
                "generator": "tests/tools/bundlegen.py",
                "parameters": {"region": "us-east-1"},
                "files": {k: hashlib.sha256(v).hexdigest()
                          for k, v in sorted(files.items())}}
    files["manifest.json"] = json.dumps(manifest, indent=1).encode()
    for k, v in files.items():
        p = os.path.join(d, k)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(v)
    if tar:
        with tarfile.open(d + ".tar.gz", "w:gz") as t:
            for k in sorted(files):
                t.add(os.path.join(d, k), arcname=k)
        return d + ".tar.gz"
    return d


VPC = "vpc-0shop00000000001"     # the demo export's VPC (peer --seed)

# A new group for the instances, rules that reference it, an existing
# group of the demo export and a prefix list, and the default egress
# replaced by explicit rules.
SG_STEPS = [
    (step("sg/instances", "ec2:CreateSecurityGroup",
          outputs={"GroupId": "groupId"}),
     {"GroupName": "sfm-shop-instances", "Description": "f2o: ECS instances",
      "VpcId": VPC, "TagSpecifications": [{
          "ResourceType": "security-group",
          "Tags": [{"Key": "Name", "Value": "sfm-shop-instances"},
                   {"Key": "f2o:bundle-id", "Value": "test"}]}]}),
    (step("sg/instances-in", "ec2:AuthorizeSecurityGroupIngress",
          ["sg/instances"]),
     {"GroupId": "${sg/instances.GroupId}", "IpPermissions": [
         {"IpProtocol": "tcp", "FromPort": 32768, "ToPort": 65535,
          "UserIdGroupPairs": [
              {"GroupId": "sg-0alb000000000000a",
               "Description": "ALB to dynamic ports"},
              {"GroupId": "${sg/instances.GroupId}"}]},
         {"IpProtocol": "icmp", "FromPort": 3, "ToPort": 4,
          "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "PMTU"}]}]}),
    (step("sg/instances-out", "ec2:AuthorizeSecurityGroupEgress",
          ["sg/instances-in"]),
     {"GroupId": "${sg/instances.GroupId}", "IpPermissions": [
         {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
          "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}],
          "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
          "PrefixListIds": [{"PrefixListId": "pl-0s3000000000000001"}]}]}),
    (step("sg/instances-noegress", "ec2:RevokeSecurityGroupEgress",
          ["sg/instances-out"]),
     {"GroupId": "${sg/instances.GroupId}", "IpPermissions": [
         {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}),
]


def main(argv):
    if len(argv) == 3 and argv[1] == "sg":
        print(write(argv[2], SG_STEPS))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
