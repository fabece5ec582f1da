#!/bin/sh
# The JSON reports against their schemas (schemas/meshc-*.schema.json):
# validate, check and explain of every example and golden document,
# compile --target json of every golden node,
# validate of every tests/bad document and of a file that cannot be read
# or is not YAML, diff between documents that differ in every layer, and,
# where a network namespace of its own can be made (root, or unshare -rn),
# diff FILE, apply --dry-run and status against an empty live system.
# tests/json_schemas.py reads them all: each output is valid against its
# schema, each schema is a valid draft 2020-12 schema and rejects every
# kind of object of its outputs with an unknown field added.
#
# Exit 77 when no python3 has jsonschema (Debian: python3-jsonschema).
set -u
cd "$(dirname "$0")/../.." || exit 1
[ -n "${MESHC:-}" ] || { echo "SKIP schemas: MESHC is not set"; exit 77; }
. tests/python.sh
find_python jsonschema || {
	echo "SKIP schemas: python3 without jsonschema (Debian: python3-jsonschema)"
	exit 77
}
SEED=examples/seed.yaml
fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
M=$tmp/manifest
: >"$M"
n=0
in_ns=	# a command that runs meshc in a network namespace of its own

ok() { echo "ok   schemas: $1"; }
bad() { echo "FAIL schemas: $1"; fail=$((fail + 1)); }

# out GROUP SCHEMA WANT-RC [EXPR] -- MESHC-ARGS...: run meshc (under
# $in_ns when set), check its exit status, and list its stdout and stderr
# in the manifest for json_schemas.py, with EXPR (Python over `doc`, the
# parsed stdout) that must hold
out() {
	group=$1 schema=$2 want=$3 expr=
	shift 3
	if [ "$1" != -- ]; then
		expr=$1
		shift
	fi
	shift
	n=$((n + 1))
	$in_ns "$MESHC" "$@" >"$tmp/$n.json" 2>"$tmp/$n.err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		bad "meshc $*: exit $rc, want $want"
		sed 's/^/     /' "$tmp/$n.err" | head -n 5
		return
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$group" "$schema" "$tmp/$n.json" \
		"$tmp/$n.err" "$expr" >>"$M"
}

# --- validate, check, explain of every good document ------------------
for f in examples/*.yaml tests/golden/*/mesh.yaml; do
	out "validate of the examples and golden documents" meshc-validate 0 \
		'doc["valid"] and doc["errors"] == 0' -- \
		validate --format json "$f"
	out "check of the examples and golden documents" meshc-check 0 \
		'doc["failed"] == 0 and doc["passed"] == len(doc["tests"]) > 0' -- \
		check --format json "$f"
	# the nodes: every from of the tests and every to that is a name
	"$MESHC" check --format json "$f" 2>/dev/null |
		grep -o '"from": "[^"]*", "to": "[^"]*"' |
		sed 's/"from": "\([^"]*\)", "to": "\([^"]*\)"/\1\n\2/' |
		grep -v -e '[.:]' -e '^internet$' | awk '!seen[$0]++' >"$tmp/nodes"
	set -- $(cat "$tmp/nodes")
	if [ $# -lt 2 ]; then
		bad "$f: fewer than two nodes in its tests ($*)"
		continue
	fi
	a=$1 b=$2
	for pair in "$a $b" "$b $a" "$a internet" "$b internet"; do
		# shellcheck disable=SC2086
		out "explain of node pairs, a node to internet" meshc-explain 0 \
			'(doc["verdict"] in ("allow", "deny") and doc["steps"][-1]["text"].startswith(doc["verdict"])) or (doc["verdict"] == "partial" and doc["open"] and doc["steps"][-1]["text"].startswith("deny"))' -- \
			explain --format json "$f" $pair
	done
	# lan:X for every node X that has a lan (explain says no otherwise)
	for x in $(cat "$tmp/nodes"); do
		"$MESHC" explain --format json "$f" "$a" "lan:$x" \
			>/dev/null 2>&1 || continue
		out "explain of a node to lan:X" meshc-explain 0 \
			"doc['to'] == 'lan:$x'" -- \
			explain --format json "$f" "$a" "lan:$x"
	done
done
grep -q 'to.. == .lan:' "$M" ||
	bad "no document has a node with a lan to explain lan:X against"

# compile --target json of every golden node (meshc-plan, so that its
# schema is tried with unknown fields too)
for f in tests/golden/*/nodes; do
	for node in $(cat "$f"); do
		out "compile --target json of the golden nodes" meshc-plan 0 \
			"doc['node'] == '$node'" -- \
			compile --target json --node "$node" "$(dirname "$f")/mesh.yaml"
	done
done

# a failing test: check writes its report and exits 2
sed 's/{ from: c, to: a, expect: deny }/{ from: c, to: a, expect: allow }/' \
	"$SEED" >"$tmp/wrong.yaml"
out "check with a failing test" meshc-check 2 \
	'doc["failed"] == 1 and [t["pass"] for t in doc["tests"]].count(False) == 1' -- \
	check --format json "$tmp/wrong.yaml"

# --- validate of the bad documents, and of what is not a document ------
for f in tests/bad/*.yaml; do
	want=0
	grep -q '^# expect: .*: error: ' "$f" && want=1
	out "validate of tests/bad, the report says what stderr says" \
		meshc-validate $want \
		"doc['valid'] == ($want == 0) and doc['file'] == '$f'" -- \
		validate --format json --color never "$f"
done
out "validate of a file that cannot be read: the report on stdout" \
	meshc-validate 1 \
	'not doc["valid"] and doc["diagnostics"][0]["line"] == 0 and "cannot read" in doc["diagnostics"][0]["message"]' -- \
	validate --format json "$tmp/no-such-file.yaml"
out "validate of a directory: the report on stdout" meshc-validate 1 \
	'not doc["valid"] and doc["errors"] == 1' -- \
	validate --format json "$tmp"
printf 'version: 1\nmeshes:\n  x: { network: 100.64.0.0/24\nnodes: {}\n' \
	>"$tmp/syntax.yaml"
out "validate of a YAML syntax error: the report on stdout" \
	meshc-validate 1 \
	'not doc["valid"] and doc["diagnostics"][0]["line"] > 0 and "YAML" in doc["diagnostics"][0]["message"]' -- \
	validate --format json "$tmp/syntax.yaml"
: >"$tmp/empty.yaml"
out "validate of an empty file: the report on stdout" meshc-validate 1 \
	'not doc["valid"]' -- validate --format json "$tmp/empty.yaml"
sed 's/    address: 100.64.0.1$/    address: 100.64.9.1/' "$SEED" >"$tmp/invalid.yaml"
if cmp -s "$SEED" "$tmp/invalid.yaml"; then
	bad "the edit that makes $SEED invalid does not apply any more"
else
	out "validate of an invalid document: the report on stdout" \
		meshc-validate 1 \
		'not doc["valid"] and doc["errors"] >= 1 and doc["diagnostics"][0]["line"] > 0' -- \
		validate --format json "$tmp/invalid.yaml"
fi
# a warning only: valid, and the warning is in the report
out "validate of a valid document with a warning" meshc-validate 0 \
	'doc["valid"] and doc["warnings"] >= 1 and doc["errors"] == 0' -- \
	validate --format json tests/bad/val-unenforced-incoming.yaml

# --- diff: one edit per layer ------------------------------------------
# edit NAME SED-SCRIPT: $tmp/NAME.yaml, the seed with the edit made; a
# failure when the seed no longer has what the edit needs
edit() {
	sed "$2" "$SEED" >"$tmp/$1.yaml"
	if cmp -s "$SEED" "$tmp/$1.yaml"; then
		bad "$1: the edit '$2' does not apply to $SEED any more"
		return 1
	fi
}
# diff_of NAME EXPR: diff the seed against the edit NAME, both ways
diff_of() {
	out "diff between two documents, both ways" meshc-diff 2 "$2" -- \
		diff --format json "$SEED" "$tmp/$1.yaml"
	out "diff between two documents, both ways" meshc-diff 2 "$2" -- \
		diff --format json "$tmp/$1.yaml" "$SEED"
}
has() {	# a Python expression: a change of layer $1 (and op $2) is there
	echo "any(c['layer'] == '$1' and c['op'] in '${2:-add remove modify}' for n in doc['nodes'] for c in n['changes'])"
}
# peers: an endpoint and a keepalive
edit peers 's/    endpoint: 198.51.100.10:51820/    endpoint: 198.51.100.11:51820\n    keepalive: 25/' &&
	diff_of peers "$(has peers modify)"
# addresses, peers' allowed IPs, firewall sets: a moves
edit addresses 's/    address: 100.64.0.1$/    address: 100.64.0.7/' &&
	diff_of addresses "$(has addresses) and $(has firewall_sets) and $(has peers modify)"
# routes and a lan: b's lan moves (a routes it, b's lan4 set changes)
edit routes 's|    lan: \[192.168.2.0/24\]|    lan: [192.168.3.0/24]|' &&
	diff_of routes "$(has routes) and $(has firewall_sets)"
# rules, sysctls, routes: c has no exit node any more
edit rules 's/    exit_node: b /    # no exit_node/' &&
	diff_of rules "$(has rules) and $(has sysctls) and $(has routes)"
# firewall rules, renamed interface, route dev: mesh y's interface
edit iface 's/    interface: meshy/    interface: meshz/' &&
	diff_of iface "$(has interface modify) and $(has firewall_rules modify) and $(has routes modify)"
# mtu, dns and listen port
edit mtu 's/^    listen_port: 51820$/    listen_port: 51821\n    mtu: 1380\n    dns: [100.64.0.53, mesh.internal]/' &&
	diff_of mtu "$(has interface modify)"
# preshared keys: mesh x gets a preshared_key_file
edit psk 's|^    interface: meshx$|    interface: meshx\n    preshared_key_file: /etc/meshc/x.psk|' &&
	diff_of psk "all(c['changed'] == ['preshared_key'] for n in doc['nodes'] for c in n['changes'])"
# a cosmetic change: only the path of b's key file
edit cosmetic 's|^    platform: linux$|    platform: linux\n    private_key_file: /etc/meshc/b.key|' &&
	diff_of cosmetic "[c['cosmetic'] for n in doc['nodes'] for c in n['changes']] == [True]"
# grants: b's incoming and routing sets (incoming revoked by default,
# routing granted to a)
edit grants 's/      default: { incoming: true }.*/      default: { incoming: false }/; s/        a: { local_network: true }.*/        a: { local_network: true, routing: true }/' &&
	diff_of grants "$(has firewall_sets add) and $(has firewall_sets remove)"
# a node added and removed: every layer added or removed at once
edit node 's/^links:$/  d:\n    mesh: x\n    public_key: "2NbJc7dcx0Wv3LJtYUEnpKX2kDp1IeX1b4AWOl9sI1Y="\n    address: 100.64.0.4\n\nlinks:/' &&
	diff_of node "any(n['status'] == 'added' for n in doc['nodes']) or any(n['status'] == 'removed' for n in doc['nodes'])"
# no changes: an empty list
out "diff without changes" meshc-diff 0 \
	'doc["nodes"] == [] and doc["changed_nodes"] == 0 and doc["total_nodes"] == 3' -- \
	diff --format json "$SEED" "$SEED"
out "diff --node" meshc-diff 2 \
	'[n["node"] for n in doc["nodes"]] == ["b"] and doc["total_nodes"] == 1' -- \
	diff --format json --node b "$SEED" "$tmp/grants.yaml"

# --- the live system: an empty network namespace ---------------------
# diff FILE and apply --dry-run read it and change nothing; status reads
# it too (its changes are meshc-diff's change objects)
if [ "$(id -u)" = 0 ]; then ns="unshare -n"; else ns="unshare -rn"; fi
if $ns true 2>/dev/null; then
	in_ns=$ns
	out "diff FILE against an empty network namespace" meshc-diff 2 \
		"$(has interface) and $(has firewall_rules add) and doc['total_nodes'] == 1" -- \
		diff --format json --node b "$SEED"
	out "apply --dry-run in an empty network namespace" meshc-diff 2 \
		"$(has peers add)" -- \
		apply --format json --dry-run --node b "$SEED"
	out "status of a node not applied (drift)" meshc-status 2 \
		'doc["drift"] and doc["interfaces"][0]["changes"] and not doc["interfaces"][0]["exists"]' -- \
		status --format json --node b "$SEED"
	in_ns=
else
	echo "note schemas: no network namespace ($ns): diff FILE, apply" \
		"--dry-run and status not read"
fi

"$py" tests/json_schemas.py schemas "$M" || fail=$((fail + 1))
[ "$fail" = 0 ]
