#!/usr/bin/python3
"""Writes a large synthetic export: N Fargate services (describe-services
files of 10, as the API pages them), one describe-task-definition file per
service, and one describe-security-groups file. Deterministic."""
import json, os, sys

n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
out = sys.argv[1]
os.makedirs(os.path.join(out, "services"), exist_ok=True)
os.makedirs(os.path.join(out, "taskdefs"), exist_ok=True)
acct, region, cl = "123456789012", "us-east-1", "big"
sizes = [(256, 512), (512, 1024), (1024, 2048), (2048, 4096), (4096, 8192)]
ngroups = max(1, n // 5)
groups = []
for g in range(ngroups):
    gid = "sg-%017x" % (g + 1)
    groups.append({"GroupId": gid, "GroupName": "g%d" % g, "Description": "bench",
                   "VpcId": "vpc-0bench000000001", "OwnerId": acct,
                   "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 8000 + g % 50, "ToPort": 8000 + g % 50,
                                      "IpRanges": [{"CidrIp": "10.%d.0.0/16" % (g % 200)}], "Ipv6Ranges": [],
                                      "PrefixListIds": [], "UserIdGroupPairs": []}],
                   "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                            "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]})
json.dump({"SecurityGroups": groups}, open(os.path.join(out, "security-groups.json"), "w"), indent=1)
page = []
for i in range(n):
    name = "svc%05d" % i
    cpu, mem = sizes[i % len(sizes)]
    arch = "ARM64" if i % 7 == 0 else "X86_64"
    td = {"taskDefinition": {
        "taskDefinitionArn": "arn:aws:ecs:%s:%s:task-definition/%s:3" % (region, acct, name),
        "family": name, "revision": 3, "networkMode": "awsvpc", "status": "ACTIVE",
        "requiresCompatibilities": ["FARGATE"], "compatibilities": ["EC2", "FARGATE"],
        "cpu": str(cpu), "memory": str(mem),
        "runtimePlatform": {"cpuArchitecture": arch, "operatingSystemFamily": "LINUX"},
        "executionRoleArn": "arn:aws:iam::%s:role/ecsTaskExecutionRole" % acct,
        "containerDefinitions": [{"name": "app", "image": "%s.dkr.ecr.%s.amazonaws.com/%s:1" % (acct, region, name),
                                  "cpu": cpu * 3 // 4, "memoryReservation": mem // 2, "essential": True,
                                  "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                                  "environment": [{"name": "N", "value": str(i)}],
                                  "logConfiguration": {"logDriver": "awslogs", "options": {
                                      "awslogs-group": "/big/" + name, "awslogs-region": region,
                                      "awslogs-stream-prefix": "app"}}}],
        "registeredAt": "2026-01-01T00:00:00.000000+00:00"}, "tags": [{"key": "team", "value": "t%d" % (i % 30)}]}
    json.dump(td, open(os.path.join(out, "taskdefs", name + ".json"), "w"), indent=1)
    page.append({"serviceArn": "arn:aws:ecs:%s:%s:service/%s/%s" % (region, acct, cl, name),
                 "serviceName": name, "clusterArn": "arn:aws:ecs:%s:%s:cluster/%s" % (region, acct, cl),
                 "status": "ACTIVE", "desiredCount": 1 + i % 4, "runningCount": 1 + i % 4, "pendingCount": 0,
                 "launchType": "FARGATE", "platformVersion": "LATEST",
                 "taskDefinition": td["taskDefinition"]["taskDefinitionArn"],
                 "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100},
                 "deployments": [], "events": [], "loadBalancers": [], "serviceRegistries": [],
                 "networkConfiguration": {"awsvpcConfiguration": {
                     "subnets": ["subnet-0bench00000000001", "subnet-0bench00000000002"],
                     "securityGroups": [groups[i % ngroups]["GroupId"]], "assignPublicIp": "DISABLED"}},
                 "schedulingStrategy": "REPLICA", "deploymentController": {"type": "ECS"},
                 "tags": [{"key": "team", "value": "t%d" % (i % 30)}]})
    if len(page) == 10 or i == n - 1:
        json.dump({"services": page, "failures": []},
                  open(os.path.join(out, "services", "page%05d.json" % (i // 10)), "w"), indent=1)
        page = []
