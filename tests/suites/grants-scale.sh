#!/bin/sh
# grants-scale: limited grants add set elements, never rules.  One node of
# meshes of 100 and 10,000 nodes (tests/tools/genmesh.py --services:
# every peer holds two services of the server n0) compiles to the same
# number of rules, and its incoming service sets hold two elements per
# peer and family, none of which is in the full-grant set.
set -u
command -v python3 >/dev/null || exit 77
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   grants-scale: $1"; }
bad() { echo "FAIL grants-scale: $1"; fail=$((fail + 1)); }
count() {	# FILE: "rules incoming_svc4 incoming4" of n0's plan
	python3 -c '
import json, sys
fw = json.load(open(sys.argv[1]))["firewall"]
print(len(fw["rules"]), len(fw["sets"]["incoming_svc4"]), len(fw["sets"]["incoming4"]))' "$1"
}
for n in 100 10000; do
	python3 tests/tools/genmesh.py $n --services >"$tmp/m$n.yaml"
	"$MESHC" compile "$tmp/m$n.yaml" --node n0 --target json >"$tmp/p$n.json" ||
		{ bad "compile n0 of $n nodes"; continue; }
	set -- $(count "$tmp/p$n.json")
	eval "rules_$n=$1"
	[ "$2" = $((2 * (n - 1))) ] && [ "$3" = 0 ] &&
		ok "$n nodes: n0's incoming_svc4 holds 2 x $((n - 1)) elements, incoming4 none; $1 rules" ||
		bad "$n nodes: incoming_svc4 $2, incoming4 $3 (expected $((2 * (n - 1))) and 0)"
done
[ "${rules_100:-x}" = "${rules_10000:-y}" ] &&
	ok "the rule count is the same for 99 and 9,999 peers with two services each ($rules_100)" ||
	bad "rules: ${rules_100:-?} for 100 nodes, ${rules_10000:-?} for 10,000"
[ "$fail" = 0 ]
