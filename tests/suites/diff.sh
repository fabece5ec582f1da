#!/bin/sh
# meshc diff OLD NEW: node-by-node changes between two documents, exit 0
# when nothing changes and 2 when something does (cli.md).
set -u
SEED=examples/seed.yaml
[ -n "${MESHC:-}" ] || { echo "SKIP diff: MESHC is not set"; exit 77; }
[ -f "$SEED" ] || { echo "SKIP diff: no $SEED"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP diff: no python3"; exit 77; }
"$MESHC" compile "$SEED" --node b >/dev/null 2>&1 ||
	{ echo "SKIP diff: meshc compile does not work yet"; exit 77; }

fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { echo "ok   diff: $1"; }
bad() { echo "FAIL diff: $1"; fail=$((fail + 1)); }

# run OLD NEW [options]: stdout to $tmp/out, stderr to $tmp/err, exit in $rc
run() {
	"$MESHC" diff "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

has() { grep -qxF -- "$1" "$tmp/out"; }

# A copy of the seed made by sed; fails the suite when the seed no longer
# has the line the edit needs.
edit() {	# name sed-script
	sed "$2" "$SEED" >"$tmp/$1.yaml"
	if cmp -s "$SEED" "$tmp/$1.yaml"; then
		bad "$1: the edit '$2' does not apply to $SEED any more"
		return 1
	fi
}

# --- the same document -------------------------------------------------
run "$SEED" "$SEED"
if [ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = "no changes" ]; then
	ok "a document against itself: exit 0, no changes"
else
	bad "a document against itself: exit $rc, output: $(cat "$tmp/out")"
fi

# Other lines, other columns, same meaning: locations make no difference.
{ printf '# moved down\n\n\n'; cat "$SEED"; } >"$tmp/shifted.yaml"
run "$SEED" "$tmp/shifted.yaml"
if [ "$rc" = 0 ] && has "no changes"; then
	ok "moved lines are no change"
else
	bad "moved lines: exit $rc: $(cat "$tmp/out")"
fi

# --- one grant revoked ------------------------------------------------
# OLD grants a routing through b as well; NEW (the seed) does not: the
# revocation removes a's addresses from b's routing sets and nothing else.
if edit granted 's/a: { local_network: true }/a: { local_network: true, routing: true }/'; then
	run "$tmp/granted.yaml" "$SEED"
	if [ "$rc" = 2 ]; then
		ok "revoked grant: exit 2"
	else
		bad "revoked grant: exit $rc, want 2: $(cat "$tmp/err")"
	fi
	if has "node b (mesh x):" && has "    - routing4 100.64.0.1 (a)"; then
		ok "revoked grant: b's routing4 element for a is removed"
	else
		bad "revoked grant: no '- routing4 100.64.0.1 (a)' under b: $(cat "$tmp/out")"
	fi
	if [ "$(grep -c '^node ' "$tmp/out")" = 1 ] &&
	   has "1 of 3 nodes change"; then
		ok "revoked grant: only b changes"
	else
		bad "revoked grant: other nodes change too: $(cat "$tmp/out")"
	fi

	run "$tmp/granted.yaml" "$SEED" --format json
	if [ "$rc" = 2 ] && python3 -m json.tool "$tmp/out" >/dev/null; then
		ok "--format json parses"
	else
		bad "--format json: exit $rc or not JSON: $(cat "$tmp/out")"
	fi
	if python3 - "$tmp/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d)[:3] == ["format", "version", "nodes"], list(d)
assert d["format"] == "meshc-diff" and d["version"] == 1
assert d["changed_nodes"] == 1 and d["total_nodes"] == 3, d
(node,) = d["nodes"]
assert node["node"] == "b", node["node"]
ch = node["changes"]
assert list(ch[0])[:4] == ["layer", "op", "subject", "detail"], list(ch[0])
assert {(c["layer"], c["op"], c["set"], c["prefix"], c["why"]) for c in ch
        if c["set"] == "routing4"} == {
    ("firewall_sets", "remove", "routing4", "100.64.0.1/32", "a")}, ch
assert all(c["layer"] == "firewall_sets" for c in ch), ch
EOF
	then
		ok "JSON names b, the routing4 element and nothing else"
	else
		bad "JSON content"
	fi

	run "$tmp/granted.yaml" "$SEED" --node a
	if [ "$rc" = 0 ] && has "no changes"; then
		ok "--node a: a does not change"
	else
		bad "--node a: exit $rc: $(cat "$tmp/out")"
	fi
	run "$tmp/granted.yaml" "$SEED" --node b
	if [ "$rc" = 2 ] && has "1 of 1 nodes change"; then
		ok "--node b: b changes"
	else
		bad "--node b: exit $rc: $(cat "$tmp/out")"
	fi
fi

# incoming revoked for c: b's incoming4 set loses c
if edit no-incoming 's/c: { routing: true }/c: { routing: true, incoming: false }/'; then
	run "$SEED" "$tmp/no-incoming.yaml"
	if [ "$rc" = 2 ] && grep -q '^    - incoming4 .* (c)$' "$tmp/out" &&
	   has "1 of 3 nodes change"; then
		ok "incoming revoked: b's incoming4 loses c"
	else
		bad "incoming revoked: exit $rc: $(cat "$tmp/out")"
	fi
fi

# --- mtu and dns ----------------------------------------------------------
# Mesh x's nodes (a and b) get an mtu and dns; c (mesh y) none.  Each
# change is one line of the node's interface; removing mtu from the
# document changes nothing on a node (apply leaves the MTU as it is),
# removing dns shows (export writes it) but touches no system.
ifx='s/^    interface: meshx$/    interface: meshx\n'
if edit mtu1 "${ifx}    mtu: 1380\n    dns: [100.64.0.1, corp.example]/" &&
   edit mtu2 "${ifx}    mtu: 1400\n    dns: [100.64.0.1]/"; then
	run "$tmp/mtu1.yaml" "$tmp/mtu2.yaml"
	if [ "$rc" = 2 ] && has "2 of 3 nodes change" &&
	   [ "$(grep -c '^    ~ interface meshx: mtu 1380 -> 1400  dns 100.64.0.1, corp.example -> 100.64.0.1$' "$tmp/out")" = 2 ] &&
	   [ "$(grep -c '^    [-+~] ' "$tmp/out")" = 2 ]; then
		ok "mtu and dns changed: one interface line on a and on b, c unchanged"
	else
		bad "mtu and dns changed: exit $rc: $(cat "$tmp/out")"
	fi
	run "$SEED" "$tmp/mtu1.yaml"
	if [ "$rc" = 2 ] &&
	   has "    ~ interface meshx: mtu unset -> 1380  dns none -> 100.64.0.1, corp.example"; then
		ok "mtu and dns added"
	else
		bad "mtu and dns added: exit $rc: $(cat "$tmp/out")"
	fi
	run "$tmp/mtu1.yaml" "$SEED"
	if [ "$rc" = 2 ] &&
	   has "    ~ interface meshx: dns 100.64.0.1, corp.example -> none" &&
	   ! grep -q 'mtu' "$tmp/out"; then
		ok "mtu and dns removed: dns shows, the MTU is left as it is"
	else
		bad "mtu and dns removed: exit $rc: $(cat "$tmp/out")"
	fi
	run "$tmp/mtu1.yaml" "$tmp/mtu2.yaml" --format json
	if [ "$rc" = 2 ] && python3 - "$tmp/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for node in d["nodes"]:
    (ch,) = node["changes"]
    assert ch["layer"] == "interface" and ch["changed"] == ["mtu", "dns"], ch
    assert ch["cosmetic"] is False, ch
    assert (ch["old"]["mtu"], ch["new"]["mtu"]) == (1380, 1400), ch
    assert ch["new"]["dns"] == ["100.64.0.1"], ch
EOF
	then
		ok "mtu and dns in JSON: changed [mtu, dns], old and new values"
	else
		bad "mtu and dns in JSON: exit $rc: $(cat "$tmp/out")"
	fi
fi

# --- nodes and keys -----------------------------------------------------
if key=$("$MESHC" genkey | "$MESHC" pubkey) && [ -n "$key" ]; then
	if edit added "s|^links:|  d:\n    mesh: x\n    public_key: \"$key\"\n\nlinks:|"; then
		run "$SEED" "$tmp/added.yaml"
		if [ "$rc" = 2 ] && has "node d (mesh x, new node):" &&
		   grep -q '^    + d  ' "$tmp/out" &&
		   has "3 of 4 nodes change"; then
			ok "a new node: it appears, its mesh peers add it"
		else
			bad "a new node: exit $rc: $(cat "$tmp/out")"
		fi
		run "$tmp/added.yaml" "$SEED"
		if [ "$rc" = 2 ] && has "node d (mesh x, removed node):"; then
			ok "a removed node"
		else
			bad "a removed node: exit $rc: $(cat "$tmp/out")"
		fi
	fi
	# c gets a new key: on b a remove of the old key and an add of the
	# new; c's own interface says so without printing a private key.
	old_key=$(sed -n '/^  c:/,/^links:/s/.*public_key: "\(.*\)"/\1/p' "$SEED")
	if edit rotated "s|$old_key|$key|"; then
		run "$SEED" "$tmp/rotated.yaml"
		if [ "$rc" = 2 ] && grep -q '^    - c  ' "$tmp/out" &&
		   grep -q '^    + c  ' "$tmp/out"; then
			ok "key rotation: remove old peer, add new"
		else
			bad "key rotation: exit $rc: $(cat "$tmp/out")"
		fi
		if grep -q '^    ~ interface meshy: private key changed (public key ' "$tmp/out"; then
			ok "key rotation: c's interface says private key changed"
		else
			bad "key rotation: no 'private key changed' for c: $(cat "$tmp/out")"
		fi
	fi
else
	bad "meshc genkey | meshc pubkey failed"
fi

# --- same bytes every run ---------------------------------------------
if [ -f "$tmp/added.yaml" ]; then
	"$MESHC" diff "$SEED" "$tmp/added.yaml" --format json >"$tmp/j1" 2>/dev/null
	"$MESHC" diff "$SEED" "$tmp/added.yaml" --format json >"$tmp/j2" 2>/dev/null
	if cmp -s "$tmp/j1" "$tmp/j2" && python3 -m json.tool "$tmp/j1" >/dev/null; then
		ok "output is deterministic"
	else
		bad "two runs differ or JSON does not parse"
	fi
fi

# --- errors -------------------------------------------------------------
run "$SEED" "$SEED" --node zz
if [ "$rc" = 1 ] && grep -q "no node named 'zz'" "$tmp/err"; then
	ok "--node unknown in both: exit 1"
else
	bad "--node zz: exit $rc: $(cat "$tmp/err")"
fi
# --- a mesh gains a preshared key secret ----------------------------------
# Every pair of mesh x changes its preshared key, peer by peer; c (mesh y,
# linked to b) has none and does not change.  The secret file need not
# exist: diff OLD NEW reads no secrets (a CI runner has none).
if edit psk 's|^    interface: meshx$|&\n    preshared_key_file: /nonexistent/x.psk|'; then
	run "$SEED" "$tmp/psk.yaml"
	if [ "$rc" = 2 ] && has "node a (mesh x):" &&
	   has "    ~ b  preshared-key none -> /nonexistent/x.psk" &&
	   has "    ~ a  preshared-key none -> /nonexistent/x.psk" &&
	   ! grep -q "~ c " "$tmp/out" && has "2 of 3 nodes change"; then
		ok "a mesh gains preshared_key_file: each pair of it changes, the linked node not, without the file"
	else
		bad "preshared_key_file gained: exit $rc: $(cat "$tmp/out" "$tmp/err")"
	fi
	run "$tmp/psk.yaml" "$SEED" --format json
	if [ "$rc" = 2 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ch = [c for n in d["nodes"] for c in n["changes"]]
assert len(ch) == 2, ch
for c in ch:
    assert c["changed"] == ["preshared_key"], c
    assert c["old"]["preshared_key_file"] == "/nonexistent/x.psk", c
    assert c["new"]["preshared_key_file"] is None, c
' "$tmp/out"; then
		ok "a mesh loses preshared_key_file: JSON names the change per peer"
	else
		bad "preshared_key_file lost, JSON: exit $rc: $(cat "$tmp/out")"
	fi
fi
printf 'version: 2\n' >"$tmp/invalid.yaml"
run "$SEED" "$tmp/invalid.yaml"
if [ "$rc" = 1 ] && [ ! -s "$tmp/out" ] && grep -q "invalid.yaml:" "$tmp/err"; then
	ok "an invalid document: diagnostics, exit 1"
else
	bad "invalid document: exit $rc: $(cat "$tmp/err")"
fi
# -q hides warnings, never what changes; a new key that renumbers a node
# whose address is derived from it is said in one warning, with the cure
cat >"$tmp/k1.yaml" <<'EOF'
version: 1
meshes:
  x: { network: 10.9.0.0/24 }
nodes:
  a:
    mesh: x
    public_key: "7mgtuDbZ//ar2FSZQNrWG2p57HowsTguEDTNb3uYgQs="
    endpoint: 198.51.100.1:51820
  b:
    mesh: x
    public_key: "F+qmoczhdwdsejzn1s131Ec0rmVdkn25nHQbisLtXwA="
EOF
sed 's|F+qmoczhdwdsejzn1s131Ec0rmVdkn25nHQbisLtXwA=|0zzUUxmKjLEKXWd1ZsB4Z3q7bGdkS2A/3wzC0M1bOnQ=|' \
	"$tmp/k1.yaml" >"$tmp/k2.yaml"
run "$tmp/k1.yaml" "$tmp/k2.yaml"
if [ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
	grep -qxF "$tmp/k2.yaml:11:17: warning: node 'b': its address is derived from its key, so the new key renumbers it (10.9.0.21 -> 10.9.0.99); pin it with address: to keep it" "$tmp/err"; then
	ok "a new key that renumbers a node: one warning, with the cure"
else
	bad "renumbering key: exit $rc: $(cat "$tmp/err")"
fi
cp "$tmp/out" "$tmp/loud.out"
run "$tmp/k1.yaml" "$tmp/k2.yaml" -q
if [ "$rc" = 2 ] && [ ! -s "$tmp/err" ] && cmp -s "$tmp/out" "$tmp/loud.out"; then
	ok "-q: no warning, the same change list"
else
	bad "-q: exit $rc, stderr '$(cat "$tmp/err")', $(wc -l <"$tmp/out") lines out"
fi
sed 's|^    public_key: "F+qm.*|&\n    address: 10.9.0.21|' "$tmp/k1.yaml" >"$tmp/p1.yaml"
sed 's|^    public_key: "F+qm.*|    public_key: "0zzUUxmKjLEKXWd1ZsB4Z3q7bGdkS2A/3wzC0M1bOnQ="\n    address: 10.9.0.21|' \
	"$tmp/k1.yaml" >"$tmp/p2.yaml"
run "$tmp/p1.yaml" "$tmp/p2.yaml"
if [ "$rc" = 2 ] && [ ! -s "$tmp/err" ]; then
	ok "a pinned address: a new key warns of nothing"
else
	bad "pinned address: exit $rc: $(cat "$tmp/err")"
fi

# warnings once per run: NEW's only (the same document twice says each
# warning once)
run examples/exit-node.yaml examples/exit-node.yaml
if [ "$rc" = 0 ] && [ "$(grep -c ': warning: ' "$tmp/err")" = 1 ]; then
	ok "diff OLD NEW: each warning once, NEW's"
else
	bad "diff OLD NEW warnings: exit $rc, $(grep -c ': warning: ' "$tmp/err") warnings"
fi

# One argument: the live system against the document (read only).  In a
# fresh network namespace nothing of b exists yet: everything is to add.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	unshare -n "$MESHC" diff "$SEED" --node b >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "routing4" "$tmp/out"; then
		ok "one argument (the live system): a fresh namespace lacks b's state, exit 2"
	else
		bad "one argument: exit $rc: $(cat "$tmp/err")"
	fi
	unshare -n "$MESHC" diff "$SEED" --node b -q >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "routing4" "$tmp/out"; then
		ok "one argument, -q: the change list is still printed"
	else
		bad "one argument -q: exit $rc, $(wc -l <"$tmp/out") lines"
	fi
	unshare -n "$MESHC" diff "$SEED" --node b --format json >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && python3 -m json.tool "$tmp/out" >/dev/null; then
		ok "one argument, --format json: exit 2, JSON"
	else
		bad "one argument --format json: exit $rc"
	fi
fi

# Limited grants: changing one peer's services is a change of set
# elements only (the old service out, the new one in, both families),
# named by address and service, in text and JSON.
sed 's|incoming: \[tcp/22, icmp\]|incoming: [tcp/2222, icmp]|' examples/services.yaml >"$tmp/svc2.yaml"
"$MESHC" diff examples/services.yaml "$tmp/svc2.yaml" >"$tmp/svc.out"
rc=$?
if [ $rc = 2 ] && [ "$(grep -c '^    [-+] incoming_svc[46] .* \. tcp/2\{1,2\}22\{0,1\} (laptop)$' "$tmp/svc.out")" = 4 ] &&
	[ "$(grep -c '^    [-+]' "$tmp/svc.out")" = 4 ] && ! grep -q 'firewall rules' "$tmp/svc.out"; then
	ok "a changed service list is four element changes, no rule"
else
	bad "changed service list: exit $rc: $(cat "$tmp/svc.out")"
fi
if "$MESHC" diff --format json examples/services.yaml "$tmp/svc2.yaml" |
	grep -q '"set": "incoming_svc4", "family": "ipv4", "prefix": "100.90.0.3/32", "service": "tcp/2222"'; then
	ok "diff --format json names the element's service"
else
	bad "diff --format json has no service for incoming_svc4"
fi

# An unmanaged node's list reaches its managed peers' open sets (the
# incremental diff must compile them too).
sed 's|laptop: { incoming: \[tcp/8000-8100\] }|laptop: { incoming: [tcp/9000] }|' examples/services.yaml >"$tmp/svc3.yaml"
"$MESHC" diff examples/services.yaml "$tmp/svc3.yaml" >"$tmp/svc3.out"
if grep -q '^node laptop' "$tmp/svc3.out" &&
	grep -q '^    + open_svc4 100.90.0.4 . tcp/9000 (phone)$' "$tmp/svc3.out"; then
	ok "an unmanaged node's changed list changes its managed peer's open set"
else
	bad "unmanaged list change: $(cat "$tmp/svc3.out")"
fi

[ "$fail" = 0 ] || exit 1
exit 0
