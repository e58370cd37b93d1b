#!/bin/sh
# make bench: translate a large synthetic export (BENCH_SERVICES, default
# 10000 services with their task definitions and security groups) and
# compare with jq reading the same files. Prints wall time, peak memory and
# ratios. Figures only: nothing here passes or fails on speed.
set -eu
BUILD=${BUILD:-build}
N=${BENCH_SERVICES:-10000}
dir=$BUILD/bench
mkdir -p "$dir"
if [ ! -f "$dir/export-$N/security-groups.json" ]; then
	echo "generating an export of $N services in $dir/export-$N ..."
	rm -rf "$dir/export-$N"
	/usr/bin/python3 tests/bench/gen_export.py "$dir/export-$N" "$N"
fi
files=$(find "$dir/export-$N" -name '*.json' | wc -l)
bytes=$(du -sb "$dir/export-$N" | cut -f1)
CFG=""; [ -f fixtures/demo/f2o.json ] && CFG="--config fixtures/demo/f2o.json"
rm -rf "$dir/bundle" "$dir/bundle.tar"
# shellcheck disable=SC2086
/usr/bin/time -f '%e %M' -o "$dir/t.f2o" "$BUILD/f2o-translate" $CFG --quiet \
    --ecs-cluster big "$dir/export-$N" -o "$dir/bundle.tar" >/dev/null
# shellcheck disable=SC2086
/usr/bin/time -f '%e %M' -o "$dir/t.dir" "$BUILD/f2o-translate" $CFG --quiet \
    --ecs-cluster big "$dir/export-$N" -o "$dir/bundle" >/dev/null
find "$dir/export-$N" -name '*.json' -print0 | sort -z >"$dir/list"
/usr/bin/time -f '%e %M' -o "$dir/t.jq" sh -c "xargs -0 jq . <'$dir/list' >/dev/null"
read -r f2o_s f2o_kb <"$dir/t.f2o"
read -r jq_s jq_kb <"$dir/t.jq"
read -r dir_s dir_kb <"$dir/t.dir"
steps=$(grep -c '"id":' "$dir/bundle/plan.json" || true)
echo "export: $N services, $files files, $bytes bytes"
echo "f2o-translate -o bundle.tar: ${f2o_s} s wall, $((f2o_kb / 1024)) MiB peak RSS, $steps steps"
echo "f2o-translate -o directory:  ${dir_s} s wall, $((dir_kb / 1024)) MiB peak RSS (one file per request)"
echo "jq . (same files): ${jq_s} s wall, $((jq_kb / 1024)) MiB peak RSS"
awk -v a="$f2o_s" -v b="$jq_s" -v c="$f2o_kb" -v d="$jq_kb" 'BEGIN {
	printf "ratio f2o/jq: time %.2f, memory %.2f\n", (b > 0 ? a / b : 0), (d > 0 ? c / d : 0) }'
# f2o-exec against the peers (figures only): tests/bench_exec.sh
BUILD=$BUILD sh tests/bench_exec.sh
