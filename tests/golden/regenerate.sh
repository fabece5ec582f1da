#!/bin/sh
# Regenerate the golden outputs of every case: tests/golden/CASE/mesh.yaml
# compiled for each node in CASE/nodes to every target, exported for each
# node in CASE/export (if any), plus check and graph.  Review `git diff tests/golden` before committing: a golden file
# changes only for a reason stated in the commit message.
set -eu
MESHC=${1:-./meshc}
cd "$(dirname "$0")/../.."
. tests/golden/targets.sh
for dir in tests/golden/*/; do
	case_name=$(basename "$dir")
	doc=tests/golden/$case_name/mesh.yaml
	[ -f "$doc" ] || continue
	rm -f "$dir"/*.out
	for node in $(cat "$dir/nodes"); do
		for t in $GOLDEN_TARGETS; do
			out=$dir/$node.$t.out
			# A refused target (an unmanaged node's nft, pf,
			# routes, sysctl): its error message is the golden.
			"$MESHC" compile "$doc" --node "$node" --target "$t" \
				>"$out" 2>"$out.err" || mv "$out.err" "$out"
			rm -f "$out.err"
		done
	done
	if [ -f "$dir/export" ]; then
		for node in $(cat "$dir/export"); do
			golden_export "$MESHC" "tests/golden/$case_name" \
				"$node" >"$dir/$node.export.out" 2>/dev/null
		done
	fi
	"$MESHC" check "$doc" >"$dir/check.out" || true
	"$MESHC" graph "$doc" >"$dir/graph.out"
	echo "  GOLDEN  $case_name"
done
