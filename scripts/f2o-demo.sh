#!/bin/sh
# The README's main command: install what is missing, build, translate the
# demo export into a bundle, and show the plan.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j2 all >/dev/null
out=${1:-demo-bundle}
rm -rf "$out"
CFG=""; [ -f fixtures/demo/f2o.json ] && CFG="--config fixtures/demo/f2o.json"
# shellcheck disable=SC2086
digest=$(./f2o-translate $CFG fixtures/demo -o "$out")
echo
echo "== bundle $out, digest $digest"
ls -R "$out" | head -n 40
echo
echo "== $out/PLAN.md"
cat "$out/PLAN.md"
