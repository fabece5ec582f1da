#!/bin/sh
# Hostile and huge inputs, generated on the fly: each must be refused with
# a FILE:LINE:COL error and exit 1 (never a crash, a hang or a signal), and
# a big valid mesh must still work.
set -u
fail=0 n=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
refuse() {	# file pattern-in-message description
	n=$((n + 1))
	timeout 30 "$MESHC" validate --color never "$1" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" != 1 ] || ! grep -q -E "^$1:[0-9]+:[0-9]+: error: .*$2" "$tmp/err"; then
		echo "FAIL hostile: $3: exit $rc"
		head -n 3 "$tmp/err"
		fail=$((fail + 1))
	fi
}
# billion laughs: 10^9 values if expanded
{
	echo 'version: 1'
	echo 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'
	for i in 1 2 3 4 5 6 7 8 9; do
		p=$((i - 1))
		echo "a$i: &a$i [*a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p]"
	done
} >"$tmp/laughs.yaml"
refuse "$tmp/laughs.yaml" "10000000 values" "billion laughs"
python3 -c 'print("version: " + "[" * 10000 + "]" * 10000)' >"$tmp/deep.yaml"
refuse "$tmp/deep.yaml" "nesting" "10,000-deep nesting"
python3 -c 'print("version: 1\nmeshes: {}\nnodes:\n  a:\n    mesh: \"" + "x" * (1 << 20) + "\"")' >"$tmp/scalar.yaml"
refuse "$tmp/scalar.yaml" "64 KiB" "1 MiB scalar"
head -c $((100 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$tmp/big.yaml"
refuse "$tmp/big.yaml" "64 MiB" "100 MiB file"
printf 'version: 1\nmeshes:\0 {}\n' >"$tmp/nul.yaml"
refuse "$tmp/nul.yaml" "NUL" "NUL byte"
printf 'version: 1\nmeshes: \377\n' >"$tmp/utf8.yaml"
refuse "$tmp/utf8.yaml" "UTF-8" "invalid UTF-8"
printf 'version: 1\n\357\273\277meshes: {}\n' >"$tmp/bom.yaml"
refuse "$tmp/bom.yaml" "byte order mark" "BOM in the middle"
printf 'version: 1\n---\nversion: 1\n' >"$tmp/multi.yaml"
refuse "$tmp/multi.yaml" "one document" "two documents"
printf 'version: !!int 1\n' >"$tmp/tag.yaml"
refuse "$tmp/tag.yaml" "tag" "a tag"
: >"$tmp/empty.yaml"
refuse "$tmp/empty.yaml" "mapping" "an empty file"
# Random bytes never crash the loader.
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	n=$((n + 1))
	head -c $((i * 97)) /dev/urandom >"$tmp/rand.yaml"
	timeout 30 "$MESHC" validate "$tmp/rand.yaml" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 1 ] || { echo "FAIL hostile: random bytes #$i: exit $rc"; cp "$tmp/rand.yaml" "/tmp/meshc-crash-$i.yaml"; fail=$((fail + 1)); }
done
# A big valid mesh is fine: 10,000 nodes validate and compile.
n=$((n + 1))
python3 tests/tools/genmesh.py 10000 >"$tmp/big-valid.yaml"
if ! timeout 120 "$MESHC" compile "$tmp/big-valid.yaml" --node n0 --target json >/dev/null; then
	echo "FAIL hostile: 10,000-node mesh did not compile"
	fail=$((fail + 1))
fi
echo "ok   hostile: $((n - fail)) of $n inputs handled"
[ "$fail" = 0 ]
