#!/bin/sh
# Preshared keys (the mesh's preshared_key_file), applied for real: nodes
# a, b and d of tests/e2e/mesh.yaml (mesh x) and the linked node c (mesh
# y, not started), each in its own namespaces with wireguard-go (see
# tests/e2e/lib.sh).
#   1. Applied, both ends of every pair of mesh x hold the same key, the
#      one computed here independently (Python's hashlib.blake2b keyed with
#      the secret over the two public keys, smaller first) and the one
#      compile --with-secrets prints; the linked pair b-c has none.
#   2. The keys are in force: d without them cannot reach a; with them it
#      can.  A second apply sends nothing.
#   3. A new secret: status sees it as drift; apply changes only the
#      preshared keys, of the pairs of mesh x only, without re-creating a
#      peer (its counters go on); the tunnel works once both ends have the
#      new keys; then no-op.
#   4. A fault after the keys were set rolls them back: the node is byte
#      for byte as before, old keys included.
#   5. A secret file that group/other may read: apply refuses, changing
#      nothing.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg ping python3 timeout \
	setsid sha256sum; do
	command -v $t >/dev/null || { echo "psk: missing $t"; exit 77; }
done
[ -x "${MESHC_FAULT_BIN:-}" ] || { echo "psk: no MESHC_FAULT_BIN"; exit 77; }
E2E=mcp$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   psk: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL psk: $1"; }
T=$(e2e_dir)/t
OUT=$T.out

e2e_topology a b d || { bad "topology"; exit 1; }
DOC=$(e2e_dir)/mesh.yaml
NOPSK=$(e2e_dir)/nopsk.yaml
e2e_document tests/e2e/mesh.yaml "$NOPSK" a b d || { bad "document"; exit 1; }
# each node's /etc/meshc is its own directory $(e2e_dir)/NODE/etc
sed 's|^    interface: meshx$|&\n    preshared_key_file: /etc/meshc/x.psk|' \
	"$NOPSK" >"$DOC"
cmp -s "$DOC" "$NOPSK" && { bad "the document has no interface: meshx"; exit 1; }
secret() {	# NODE...: a new secret, the same on each node
	umask 077
	"$MESHC" genpsk >"$T.psk" || exit 1
	for n in "$@"; do cat "$T.psk" >"$(e2e_dir)/$n/etc/x.psk"; done
	umask 022
}
pub() { cat "$(e2e_dir)/$1/public.key"; }
# derived NODE PEER: the pair's key from NODE's copy of the secret,
# computed without meshc
derived() {
	python3 - "$(e2e_dir)/$1/etc/x.psk" "$(pub "$1")" "$(pub "$2")" <<'PY'
import base64, hashlib, sys
secret = base64.b64decode(open(sys.argv[1]).read().strip())
a, b = (base64.b64decode(k) for k in sys.argv[2:4])
msg = min(a, b) + max(a, b)
print(base64.b64encode(hashlib.blake2b(msg, key=secret,
                                       digest_size=32).digest()).decode())
PY
}
# live NODE PEER-KEY: the preshared key the node's device holds for a peer
live() {
	node_exec "$1" wg show meshx preshared-keys 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}
apply() { node_exec "$1" "$MESHC" apply "$2" -q; }
noop() {	# NODE DOC
	o=$(node_exec "$1" "$MESHC" apply "$2" 2>&1)
	[ $? = 0 ] && [ "$o" = "no changes" ] && return 0
	echo "	second apply on $1: $o" | head -n 8
	return 1
}
# reach_within NODE ADDR SECONDS: a ping answered within that time
reach_within() {
	i=0
	until reach "$1" "$2"; do
		i=$((i + 2))
		[ $i -lt "$3" ] || return 1
	done
}
A=$(mesh_addr "$DOC" a) B=$(mesh_addr "$DOC" b) D=$(mesh_addr "$DOC" d)
C=$(awk '/^  c:/ { f = 1 } f && /public_key:/ { gsub(/"/, "", $2); print $2; exit }' "$DOC")

# --- 1. applied: the same derived key at both ends ------------------------
secret a b d
for n in a b; do apply "$n" "$DOC" || bad "apply on $n"; done
# d first without keys: a and d disagree (checked in 2)
apply d "$NOPSK" || bad "apply on d without preshared keys"
problems=""
for pair in a:b b:a; do
	n=${pair%%:*} p=${pair#*:}
	want=$(derived "$n" "$p")
	got=$(live "$n" "$(pub "$p")")
	[ -n "$want" ] && [ "$got" = "$want" ] ||
		problems="$problems $n's key for $p is '$got', not '$want';"
done
[ "$(live a "$(pub d)")" = "$(derived a d)" ] ||
	problems="$problems a's key for d;"
[ "$(live b "$C")" = "(none)" ] ||
	problems="$problems the linked pair b-c has '$(live b "$C")';"
node_exec a "$MESHC" compile "$DOC" --target wg --with-secrets >"$T.wg" 2>"$OUT"
grep -qxF "PresharedKey = $(derived a b)" "$T.wg" &&
	grep -qxF "PresharedKey = $(derived a d)" "$T.wg" &&
	[ "$(grep -c '^PresharedKey = ' "$T.wg")" = 2 ] ||
	problems="$problems compile --with-secrets on a differs;"
if [ -z "$problems" ]; then
	ok "1. applied: a and b hold the key computed with hashlib.blake2b (and compile --with-secrets prints it), b-c (linked) none"
else
	bad "1. keys:$problems"
fi

# --- 2. in force ----------------------------------------------------------
if reach_within a "$B" 10; then
	ok "2a. a reaches b (both ends hold their pair's key)"
else
	bad "2a. a does not reach b"
fi
if ! reach_within a "$D" 6 && ! reach_within d "$A" 6; then
	ok "2b. a and d cannot talk while only a holds their pair's key"
else
	bad "2b. a and d talk though d holds no preshared key"
fi
apply d "$DOC" || bad "apply on d with preshared keys"
if reach_within d "$A" 16 && [ "$(live d "$(pub a)")" = "$(derived d a)" ]; then
	ok "2c. with the key on d too, d reaches a"
else
	bad "2c. d does not reach a with the same key at both ends"
fi
for n in a b d; do
	noop "$n" "$DOC" && ok "2d. a second apply on $n sends nothing" ||
		bad "2d. second apply on $n"
done

# --- 3. a new secret: only the preshared keys change ----------------------
rx_of() {	# NODE PEER-KEY: bytes received from the peer
	node_exec "$1" wg show meshx transfer 2>/dev/null |
		awk -v k="$2" '$1 == k { print $2 }'
}
rx_before=$(rx_of a "$(pub b)")
node_exec a "$MESHC" status "$DOC" >"$T.status" 2>"$OUT"
rc_in_step=$?
secret a b d
node_exec a "$MESHC" status "$DOC" >"$T.status2" 2>"$OUT"
rc=$?
if [ "$rc_in_step" = 0 ] && [ "$rc" = 2 ] &&
   [ "$(grep -c 'preshared-key (another key) -> /etc/meshc/x.psk' "$T.status2")" = 2 ]; then
	ok "3. status: in step with the keys applied; a new secret is drift of the two preshared keys"
else
	bad "3. status: exit $rc_in_step in step, $rc after the new secret"
	sed 's/^/	/' "$T.status2" "$OUT" | head -n 12
fi
node_exec a "$MESHC" apply "$DOC" >"$T.apply" 2>"$OUT"
rc=$?
# what changed: exactly the preshared keys of a's two peers
others=$(grep -v -e '^node ' -e '^  peers:$' -e '^applied ' \
	-e "preshared-key (another key) -> /etc/meshc/x.psk\$" "$T.apply")
n_psk=$(grep -c "preshared-key (another key) -> /etc/meshc/x.psk\$" "$T.apply")
rx_after=$(rx_of a "$(pub b)")
if [ "$rc" = 0 ] && [ "$n_psk" = 2 ] && [ -z "$others" ] &&
   [ "$(live a "$(pub b)")" = "$(derived a b)" ] &&
   [ "${rx_after:-0}" -ge "${rx_before:-1}" ] && [ "${rx_before:-0}" -gt 0 ]; then
	ok "3a. a new secret: apply on a changes the two preshared keys and nothing else, the peers are kept (received bytes $rx_before -> $rx_after)"
else
	bad "3a. new secret on a: exit $rc, $n_psk key changes, other lines: '$others', rx $rx_before -> $rx_after"
	sed 's/^/	/' "$T.apply" "$OUT" | head -n 12
fi
node_exec b "$MESHC" apply "$DOC" >"$T.apply" 2>"$OUT"
rc=$?
if [ "$rc" = 0 ] && [ "$(grep -c 'preshared-key' "$T.apply")" = 2 ] &&
   ! grep -q '^    ~ c ' "$T.apply" && [ "$(live b "$C")" = "(none)" ]; then
	ok "3b. on b: the keys for a and d change, the linked peer c is not mentioned"
else
	bad "3b. new secret on b: exit $rc"
	sed 's/^/	/' "$T.apply" "$OUT" | head -n 12
fi
apply d "$DOC" || bad "apply on d with the new secret"
# the old sessions may still carry traffic: force a fresh handshake by
# asking for it after the keys changed on both ends
if reach_within a "$B" 10 && reach_within d "$A" 16; then
	ok "3c. a reaches b and d reaches a with the new keys"
else
	bad "3c. no traffic with the new keys"
fi
for n in a b d; do
	noop "$n" "$DOC" && ok "3d. after the new secret, a second apply on $n sends nothing" ||
		bad "3d. second apply on $n"
done

# --- 4. a fault after the keys were set: rolled back, old keys included ---
before=$(e2e_snapshot a meshx)
old_key=$(live a "$(pub b)")
cp "$(e2e_dir)/a/etc/x.psk" "$T.kept"
secret a
node_exec a env MESHC_FAULT=addresses "$MESHC_FAULT_BIN" apply "$DOC" -q \
	>/dev/null 2>"$OUT"
rc=$?
if [ "$rc" = 1 ] && grep -q "injected fault at step .addresses." "$OUT" &&
   grep -q "rolled back; nothing of this run remains" "$OUT" &&
   [ "$(e2e_snapshot a meshx)" = "$before" ] &&
   [ "$(live a "$(pub b)")" = "$old_key" ] && [ -n "$old_key" ]; then
	ok "4. fault at 'addresses' after the new keys: exit 1, a as before, its old keys back"
else
	bad "4. rollback of the keys: exit $rc"
	sed 's/^/	/' "$OUT" | head -n 12
fi
cat "$T.kept" >"$(e2e_dir)/a/etc/x.psk"
noop a "$DOC" && ok "4b. with the old secret again, a is in step" ||
	bad "4b. a after the rollback"

# --- 5. a secret file others may read -------------------------------------
chmod 644 "$(e2e_dir)/a/etc/x.psk"
before=$(e2e_snapshot a meshx)
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
rc=$?
if [ "$rc" = 1 ] && grep -q "/etc/meshc/x.psk: key file is accessible by group/other (mode 0644)" "$OUT" &&
   [ "$(e2e_snapshot a meshx)" = "$before" ]; then
	ok "5. a secret file of mode 0644: apply refuses, naming it, and changes nothing"
else
	bad "5. loose secret file: exit $rc"
	sed 's/^/	/' "$OUT" | head -n 6
fi
chmod 600 "$(e2e_dir)/a/etc/x.psk"

echo "ok   psk: $pass of $((pass + fail)) checks"
[ "$fail" = 0 ]
