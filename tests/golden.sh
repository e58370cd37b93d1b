#!/bin/sh
# Golden translate cases: tests/golden/<case>/args (one argument per line,
# paths relative to the repo root) and expected/ (the bundle directory, or
# expected.err + expected.rc for a case that must fail). Each case runs
# twice: both runs must give the same digest; the bundle must equal
# expected/ byte for byte and validate against the AWS models and Spot
# schemas (tests/tools/validate_bundle.py); its stderr (the warnings) must
# equal expected.warnings when that file exists.
# Usage: sh tests/golden.sh [--update] [CASE...]   (from the repo root)
BUILD=${BUILD:-build}
T="$BUILD/f2o-translate"
PY=/usr/bin/python3
update=0
[ "$1" = "--update" ] && { update=1; shift; }
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cases=${*:-$(ls tests/golden)}
# First every case's translation and comparisons (problems in $tmp/$c.pb),
# then one validate_bundle.py over all the bundles (one Python start-up,
# not one per case), then the results in case order.
valid=""
iam=""
for c in $cases; do
	d=tests/golden/$c
	[ -f "$d/args" ] || continue
	# shellcheck disable=SC2046
	set -- $(grep -v '^#' "$d/args")
	out=$tmp/$c
	"$T" --quiet "$@" -o "$out" >"$tmp/$c.digest" 2>"$tmp/$c.err"
	rc=$?
	problems=""
	if [ -f "$d/expected.rc" ] || { [ $update = 1 ] && [ $rc -ne 0 ]; }; then
		# A case that must fail: exit code, message, nothing written.
		if [ $update = 1 ]; then
			echo $rc >"$d/expected.rc"; cp "$tmp/$c.err" "$d/expected.err"
		fi
		[ "$rc" = "$(cat "$d/expected.rc")" ] || problems="$problems exit=$rc"
		cmp -s "$tmp/$c.err" "$d/expected.err" || problems="$problems stderr-differs"
		[ -e "$out" ] && problems="$problems bundle-left-behind"
	else
		[ $rc -eq 0 ] || problems="$problems exit=$rc($(tail -n 2 "$tmp/$c.err"))"
		"$T" --quiet "$@" -o "$out.2" >"$tmp/$c.digest2" 2>/dev/null
		cmp -s "$tmp/$c.digest" "$tmp/$c.digest2" || problems="$problems not-reproducible"
		if [ $update = 1 ] && [ $rc -eq 0 ]; then
			rm -rf "$d/expected"; cp -R "$out" "$d/expected"
			cp "$tmp/$c.err" "$d/expected.warnings"
		fi
		diff -r "$d/expected" "$out" >"$tmp/$c.diff" 2>&1 || problems="$problems differs-from-expected"
		# The warnings (file, JSON path, value, what to do) as printed.
		if [ -f "$d/expected.warnings" ]; then
			cmp -s "$tmp/$c.err" "$d/expected.warnings" || problems="$problems warnings-differ"
		fi
		[ -d "$out" ] && valid="$valid $out"
		iam="$iam $out"
	fi
	echo "$problems" >"$tmp/$c.pb"
done
# check_iam_policy.py over all the bundles at once, as validate_bundle.py
# below: each bundle's problem lines ("BUNDLE: ...") and its closing line
# "check_iam_policy: BUNDLE: N problems"; a case without a closing line of
# 0 problems fails (iam-policy), with its lines (or the output's end).
if [ -n "$iam" ]; then
	# shellcheck disable=SC2086
	$PY tests/tools/check_iam_policy.py $iam >"$tmp/iam.all" 2>&1
	for b in $iam; do echo "$b"; done | awk -v tmp="$tmp/" -v all="$tmp/iam.all" '
	{ want[$0] = 1; order[++n] = $0 }
	END {
		while ((getline l < all) > 0) {
			nl++; tail[nl % 20] = l
			if (l ~ /^check_iam_policy: /) {
				b = substr(l, 19); sub(/: [0-9]+ problems$/, "", b)
				if (b in want) { out[b] = out[b] l "\n"; ok[b] = (l ~ / 0 problems$/) }
				continue
			}
			for (b in want) if (index(l, b ": ") == 1) { out[b] = out[b] l "\n"; break }
		}
		for (i = 1; i <= n; i++) {
			b = order[i]
			if (ok[b]) continue
			c = substr(b, length(tmp) + 1)
			print c
			if (!(b in out)) for (j = nl - 19; j <= nl; j++) if (j > 0) out[b] = out[b] tail[j % 20] "\n"
			printf "%s", out[b] >> (tmp c ".val")
		}
	}' >"$tmp/iambad"
	while read -r c; do
		echo "$(cat "$tmp/$c.pb") iam-policy" >"$tmp/$c.pb"
	done <"$tmp/iambad"
fi
# validate_bundle.py prints each bundle's problems, then its line
# "validate_bundle: $tmp/CASE: N problems": each case gets its own.
if [ -n "$valid" ] && [ -f tests/tools/validate_bundle.py ]; then
	# shellcheck disable=SC2086
	$PY tests/tools/validate_bundle.py $valid >"$tmp/validate.all" 2>&1
	vrc=$?
	awk -v tmp="$tmp/" '
	/^validate_bundle: / {
		b = $2; sub(/:$/, "", b); c = substr(b, length(tmp) + 1)
		if ($3 != "0") { printf "%s", buf >> (tmp c ".val"); print c }
		buf = ""; next }
	{ buf = buf $0 "\n" }' "$tmp/validate.all" >"$tmp/invalid"
	n=$(grep -c '^validate_bundle: ' "$tmp/validate.all")
	if [ "$n" -ne "$(echo $valid | wc -w)" ] || { [ "$vrc" -ne 0 ] && [ ! -s "$tmp/invalid" ]; }; then
		# it did not report every bundle: every case fails
		echo "validate_bundle.py (exit $vrc) reported $n bundles of $(echo $valid | wc -w):"
		tail -n 20 "$tmp/validate.all"
		for b in $valid; do echo "${b#"$tmp"/}"; done >"$tmp/invalid"
	fi
	while read -r c; do
		echo "$(cat "$tmp/$c.pb") invalid-requests" >"$tmp/$c.pb"
	done <"$tmp/invalid"
fi
for c in $cases; do
	[ -f "$tmp/$c.pb" ] || continue
	problems=$(cat "$tmp/$c.pb")
	if [ -z "$problems" ]; then
		echo "ok   $c"; pass=$((pass + 1))
	else
		echo "FAIL $c:$problems"; fail=$((fail + 1))
		[ -s "$tmp/$c.diff" ] && head -n 30 "$tmp/$c.diff"
		[ -f "$tmp/$c.val" ] && grep -v '^OK' "$tmp/$c.val" | head -n 20
	fi
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
