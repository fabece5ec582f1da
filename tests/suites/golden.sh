#!/bin/sh
# Golden files: every byte of every target for every golden case must match.
set -u
. tests/golden/targets.sh
fail=0 n=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp" "$tmp.err"' EXIT
# A command that fails (compile refusing an unmanaged node's nft target)
# is compared by its error message instead; check is compared by stdout.
check_output() {	# expected-file command...
	expected=$1
	shift
	if ! "$@" >"$tmp" 2>"$tmp.err" && [ "$2" = compile ]; then
		mv "$tmp.err" "$tmp"
	fi
	rm -f "$tmp.err"
	n=$((n + 1))
	if cmp -s "$tmp" "$expected"; then
		:
	else
		echo "FAIL golden $expected"
		diff -u "$expected" "$tmp" | head -n 20
		fail=$((fail + 1))
	fi
}
for dir in tests/golden/*/; do
	case_name=$(basename "$dir")
	doc=tests/golden/$case_name/mesh.yaml
	[ -f "$doc" ] || continue
	for node in $(cat "$dir/nodes"); do
		for t in $GOLDEN_TARGETS; do
			check_output "$dir/$node.$t.out" \
				"$MESHC" compile "$doc" --node "$node" --target "$t"
		done
	done
	if [ -f "$dir/export" ]; then
		for node in $(cat "$dir/export"); do
			check_output "$dir/$node.export.out" \
				golden_export "$MESHC" "tests/golden/$case_name" "$node"
		done
	fi
	check_output "$dir/check.out" "$MESHC" check "$doc"
	check_output "$dir/graph.out" "$MESHC" graph "$doc"
done
[ "$n" -gt 0 ] || { echo "FAIL golden: no cases"; exit 1; }
echo "ok   golden: $((n - fail)) of $n outputs match"
[ "$fail" = 0 ]
