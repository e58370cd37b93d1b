#!/bin/sh
# The README's main command: install what is missing, build, then the whole
# flow on the shipped demo export:
#   1. f2o-translate: fixtures/demo -> a bundle (plan, requests, PLAN.md, report)
#   2. f2o-exec: the read-only preflight alone (f2o-exec check), once on a
#      matching account and once after "someone" deployed a new revision
#      (drift: exit 4, the diff), then replay the bundle against loopback
#      servers that behave like AWS (ECS, EC2, STS) and Spot
#      (tests/peers/peer.py; nothing leaves 127.0.0.1)
#   3. what the servers hold afterwards, and the cost report's totals.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j2 all >/dev/null
out=${1:-demo-bundle}
PY=/usr/bin/python3
rm -rf "$out" "$out.journal" "$out.journal.lock"
echo "== 1. f2o-translate --config fixtures/demo/f2o.json fixtures/demo -o $out"
digest=$(./f2o-translate --config fixtures/demo/f2o.json fixtures/demo -o "$out")
echo "bundle digest: $digest"
echo "files: $(find "$out" -type f | wc -l); steps: $(jq -r '[.steps[].phase] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' "$out/plan.json")"
echo "review: $out/PLAN.md   cost report: $out/report.html"

tmp=$(mktemp -d)
peer=""
trap 'if [ -n "$peer" ]; then kill "$peer" 2>/dev/null; wait "$peer" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
# Test credentials of the loopback servers only (tests/peers/README.md).
$PY tests/peers/peer.py --port-file "$tmp/ports" --seed fixtures/demo \
    --stable-seconds 0.5 --drain-seconds 0.5 --max-seconds 600 2>"$tmp/peer.err" &
peer=$!
i=0
while [ ! -s "$tmp/ports" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
aws=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["aws"])' "$tmp/ports")
spot=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["spot"])' "$tmp/ports")
fx() { # f2o-exec against the loopback servers
	env -i PATH="$PATH" HOME="$tmp" AWS_ENDPOINT_URL="$aws" SPOTINST_BASE_URL="$spot" \
	    AWS_ACCESS_KEY_ID=AKIAF2OTESTKEY000001 \
	    AWS_SECRET_ACCESS_KEY=f2o/test/secret/key/not/a/real/one/0000 \
	    SPOTINST_TOKEN=f2o-test-spot-token SPOTINST_ACCOUNT=act-f2o00001 \
	    ./f2o-exec "$@"
}
mutate() { # another actor changes the account (tests/peers/mutate.py)
	curl -s -X POST -d "$1" "$aws/_f2o/mutate" >/dev/null
}
echo
echo "== 2a. f2o-exec check $out   (read-only preflight; AWS at $aws, Spot at $spot)"
fx check "$out" 2>&1 || echo "f2o-exec check exited $?"
echo
echo "== 2b. someone deploys shop-web:13 to service web; f2o-exec check $out"
mutate '{"action":"register_taskdef","family":"shop-web","cluster":"shop","service":"web"}'
fx check "$out" 2>&1 || echo "f2o-exec check exited $? (4: drift; f2o-exec run would refuse)"
echo "   (reverting it: service web back on shop-web:12)"
mutate '{"action":"update_service","cluster":"shop","service":"web","taskDefinition":"shop-web:12"}'
echo
echo "== 2c. f2o-exec --expect-digest $digest run $out"
fx --expect-digest "$digest" run "$out" || echo "f2o-exec exited $?"
echo
echo "== 3. what the loopback AWS and Spot hold now"
curl -s "$aws/_f2o/state" >"$tmp/state.json"
$PY - "$tmp/state.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
ecs, ec2, spot = s["ecs"], s["ec2"], s["spot"]
print("ECS services (cluster shop):")
for e in sorted(ecs["services"], key=lambda e: e["service"]["serviceName"]):
    v = e["service"]
    print("  %-12s %-8s %-22s desired %-2s running %-2s %s" % (
        v["serviceName"], v.get("status"),
        v.get("launchType") or "+".join(c["capacityProvider"] for c in v.get("capacityProviderStrategy", [])),
        v.get("desiredCount"), v.get("runningCount"), v.get("taskDefinition", "").split("/")[-1]))
print("ECS task definitions: " + ", ".join(sorted("%s:%s" % (t["family"], t["revision"])
                                              for t in ecs["taskDefinitions"])))
for g in ec2["securityGroups"]:
    if g.get("GroupName", "").startswith("sfm-"):
        print("EC2 security group %s (%s): %d inbound, %d outbound permissions" % (
            g["GroupName"], g["GroupId"], len(g.get("IpPermissions", [])),
            len(g.get("IpPermissionsEgress", []))))
for c in spot["clusters"]:
    print("Spot Ocean cluster %s (%s)" % (c.get("id"), c.get("name")))
for l in spot["launchSpecs"]:
    print("Spot Ocean node group %s (%s), image %s" % (l.get("id"), l.get("name"), l.get("imageId")))
twice = [k for k, n in s["created"].items() if n > 1]
print("resources created: %d, created more than once: %d" % (len(s["created"]), len(twice)))
PYEOF
echo
echo "== cost report ($out/report.json; open $out/report.html in a browser)"
$PY - "$out/report.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
t = r.get("totals", r.get("cluster", {}))
print(json.dumps(t, indent=1, sort_keys=True)[:1500])
PYEOF
