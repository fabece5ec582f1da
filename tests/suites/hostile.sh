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
# The same depth through mappings, flow and block style, and mixed.
python3 -c 'print("version: 1\nmeshes: " + "{a: " * 10000 + "1" + "}" * 10000)' >"$tmp/deep-map.yaml"
refuse "$tmp/deep-map.yaml" "nesting deeper than 64" "10,000-deep flow mappings"
python3 -c 'print("version: 1\nmeshes:\n" + "".join("  " * i + "a:\n" for i in range(1, 1001)) + "  " * 1001 + "1")' >"$tmp/deep-block.yaml"
refuse "$tmp/deep-block.yaml" "nesting deeper than 64" "1,000-deep block mappings"
python3 -c 'print("version: 1\nmeshes: {}\nnodes: " + "[{a: " * 5000 + "1" + "}]" * 5000)' >"$tmp/deep-mixed.yaml"
refuse "$tmp/deep-mixed.yaml" "nesting deeper than 64" "10,000-deep lists and mappings"
# A 1 MiB key: libyaml gives up on an implicit key after 1024 characters
# (reported at the key's start); an explicit one (? key) hits our limit.
python3 -c 'print("version: 1\nmeshes: {}\nnodes: {}\n\"" + "k" * (1 << 20) + "\": 1")' >"$tmp/key.yaml"
refuse "$tmp/key.yaml" "after this key" "1 MiB quoted key"
python3 -c 'print("version: 1\nmeshes: {}\nnodes:\n  ? " + "k" * (1 << 20) + "\n  : {}")' >"$tmp/key2.yaml"
refuse "$tmp/key2.yaml" "64 KiB" "1 MiB explicit key"
# NUL through an escape, and BOMs inside a string and a comment.
printf 'version: 1\nmeshes:\n  x:\n    network: 100.64.0.0/24\n    interface: "mesh\\0x"\nnodes: {}\n' >"$tmp/nul-esc.yaml"
refuse "$tmp/nul-esc.yaml" "NUL character" "NUL by a \\0 escape"
printf 'version: 1\nmeshes:\n  x:\n    interface: "mesh\357\273\277x"\nnodes: {}\n' >"$tmp/bom-str.yaml"
refuse "$tmp/bom-str.yaml" "byte order mark" "BOM inside a string"
printf 'version: 1\nmeshes: {}\nnodes: {}\n# note \357\273\277\n' >"$tmp/bom-comment.yaml"
refuse "$tmp/bom-comment.yaml" "byte order mark" "BOM inside a comment"
# billion laughs through mappings: 10^10 values if expanded
{
	echo 'version: 1'
	echo 'a0: &a0 {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x, k9: x}'
	for i in 1 2 3 4 5 6 7 8 9; do
		p=$((i - 1))
		printf 'a%d: &a%d {' $i $i
		for k in 0 1 2 3 4 5 6 7 8; do printf 'k%d: *a%d, ' $k $p; done
		printf 'k9: *a%d}\n' $p
	done
} >"$tmp/map-laughs.yaml"
refuse "$tmp/map-laughs.yaml" "10000000 values" "billion laughs through mappings"
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
# 10,000 anchors and 15,000 aliases in a valid document: every alias
# counts toward the value limit, and this one is well inside it.
n=$((n + 1))
python3 - >"$tmp/aliases.yaml" <<'EOF'
import base64
print("version: 1\nmeshes:\n  x:\n    network: 10.64.0.0/16\nnodes:")
for i in range(5000):
    key = base64.b64encode(i.to_bytes(2, "big") * 16).decode()
    peers = "{n%d: *f%d}" % (i - 1, i - 1) if i else "{}"
    print("  &n%d n%d:\n    mesh: x\n    public_key: %s\n"
          "    address: 10.64.%d.%d\n    endpoint: 198.51.100.1:%d\n"
          "    permissions: {default: &f%d {incoming: true}, peers: %s}"
          % (i, i, key, 1 + i // 250, 1 + i % 250, 1 + i, i, peers))
print("tests:")
for i in range(1, 5000):
    print("  - {from: *n%d, to: *n%d, expect: allow}" % (i, i - 1))
EOF
if ! timeout 30 "$MESHC" validate "$tmp/aliases.yaml" >/dev/null 2>"$tmp/err"; then
	echo "FAIL hostile: 10,000 anchors in a valid document"
	head -n 3 "$tmp/err"
	fail=$((fail + 1))
fi
# A 100,000-node mesh (10 meshes, each network big enough) validates.
n=$((n + 1))
python3 tests/tools/genmesh.py 100000 --meshes 10 >"$tmp/huge-valid.yaml"
if ! timeout 120 "$MESHC" validate "$tmp/huge-valid.yaml" >/dev/null 2>"$tmp/err"; then
	echo "FAIL hostile: 100,000-node mesh did not validate"
	head -n 3 "$tmp/err"
	fail=$((fail + 1))
fi
echo "ok   hostile: $((n - fail)) of $n inputs handled"
[ "$fail" = 0 ]
