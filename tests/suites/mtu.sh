#!/bin/sh
# The document's mtu on real interfaces: nodes a and b of tests/e2e/lib.sh
# (wireguard-go), each in its own namespaces.  (1) A new interface gets
# the mesh's mtu, and packets see it (DF pings of exactly the MTU pass,
# one byte more do not).  (2) Another mtu is one change, sent as is: the
# node is as before but for the link's MTU, the WireGuard peers untouched
# (their configuration and their handshakes).  (3) A second apply sends
# nothing (no rtnetlink, no nftables event).  (4) diff FILE shows an MTU
# change in one line.  (5) A fault after the MTU was set rolls it back
# (seen changed during the run, back after it); a fault at the MTU step
# itself leaves the node as it was.  (6) Without mtu in the document the
# link's MTU is left as it is, also one set by hand.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg ping python3 sha256sum; do
	command -v $t >/dev/null || { echo "mtu: missing $t"; exit 77; }
done
[ -x "${MESHC_FAULT_BIN:-}" ] || { echo "mtu: no MESHC_FAULT_BIN"; exit 77; }
E2E=mcm$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   mtu: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL mtu: $1"; }
T=$(e2e_dir)/t
OUT=$T.out
# check NAME CONDITION...: ok when every condition (a shell snippet) holds
check() {
	name=$1
	shift
	for c in "$@"; do
		eval "$c" || {
			bad "$name (failed: $c)"
			sed 's/^/	/' "$OUT" | head -n 8
			return
		}
	done
	ok "$name"
}
# mtu_of NODE: meshx's MTU as ip link shows it (the node's /sys is not
# its network namespace's)
mtu_of() {
	node_exec "$1" ip -o link show meshx 2>/dev/null |
		sed -n 's/.* mtu \([0-9]*\) .*/\1/p'
}
snap() { e2e_snapshot "$1" meshx; }
handshakes() { node_exec "$1" wg show meshx latest-handshakes | sort; }
# df_ping NODE ADDR SIZE: one IPv4 ping of SIZE payload bytes, never
# fragmented (the packet is SIZE + 28 bytes)
df_ping() {
	node_exec "$1" ping -4 -c 1 -W 2 -M do -s "$3" "$2" >/dev/null 2>&1
}

e2e_topology a b || { bad "topology"; exit 1; }
# doc FILE [MTU]: mesh x with a and b (both with an endpoint), mtu MTU
doc() {
	{
		printf 'version: 1\nmeshes:\n  x:\n    network: 100.64.0.0/24\n'
		printf '    interface: meshx\n'
		[ -z "${2:-}" ] || printf '    mtu: %s\n' "$2"
		cat <<'YAML'
nodes:
  a:
    mesh: x
    public_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    address: 100.64.0.1
    endpoint: 198.51.100.10:51820
  b:
    mesh: x
    public_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="
    address: 100.64.0.2
    endpoint: 203.0.113.5:51820
YAML
	} >"$T.tmpl"
	e2e_document "$T.tmpl" "$1" a b
}
M1380=$(e2e_dir)/mtu1380.yaml M1400=$(e2e_dir)/mtu1400.yaml
NOMTU=$(e2e_dir)/nomtu.yaml
doc "$M1380" 1380 && doc "$M1400" 1400 && doc "$NOMTU" ||
	{ bad "documents"; exit 1; }

# --- 1. a new interface gets the mtu ------------------------------------
for n in a b; do
	node_exec $n "$MESHC" apply "$M1380" -q >>"$OUT" 2>&1 ||
		bad "apply on $n"
done
e2e_warm "a:100.64.0.2" "b:100.64.0.1"
check "1. new interfaces are created with mtu 1380 (ip link)" \
	'node_exec a ip -o link show meshx | grep -q " mtu 1380 "' \
	'[ "$(mtu_of b)" = 1380 ]'
check "1. a DF ping of 1380 bytes crosses the tunnel, one of 1381 does not" \
	'df_ping a 100.64.0.2 1352' '! df_ping a 100.64.0.2 1353'

# --- 2. another mtu: one change, nothing else touched ---------------------
before=$(snap a) hs=$(handshakes a)
node_exec a "$MESHC" apply "$M1400" >"$T.apply" 2>"$OUT"
rc=$?
cat "$T.apply" >>"$OUT"
expected=$(printf '%s\n' "$before" | sed 's/ mtu 1380 / mtu 1400 /')
check "2. mtu 1380 -> 1400: exit 0, one change, printed in one line" \
	'[ "$rc" = 0 ]' \
	'grep -qx "    ~ interface meshx: mtu 1380 -> 1400" "$T.apply"' \
	'[ "$(grep -c "^    [-+~] " "$T.apply")" = 1 ]' \
	'grep -qx "applied 1 change to meshx" "$T.apply"'
check "2. only the link's MTU changed: addresses, routes, firewall, WireGuard peers and handshakes as before" \
	'[ "$(mtu_of a)" = 1400 ]' '[ "$before" != "$expected" ]' \
	'[ "$(snap a)" = "$expected" ]' '[ "$(handshakes a)" = "$hs" ]'

# --- 3. the same again sends nothing --------------------------------------
mon=$(e2e_dir)/monitor
node_exec a sh -c "echo \$\$ >'$mon.ip.pid'; exec ip monitor link address route rule" \
	>"$mon.ip" 2>/dev/null &
node_exec a sh -c "echo \$\$ >'$mon.nft.pid'; exec nft monitor" \
	>"$mon.nft" 2>/dev/null &
sleep 0.5
node_exec a "$MESHC" apply "$M1400" >"$OUT" 2>&1
rc=$?
sleep 0.5
kill "$(cat "$mon.ip.pid")" "$(cat "$mon.nft.pid")" 2>/dev/null
check "3. re-apply with mtu 1400: no changes, zero rtnetlink and nftables events" \
	'[ "$rc" = 0 ]' '[ "$(cat "$OUT")" = "no changes" ]' \
	'[ ! -s "$mon.ip" ]' '[ ! -s "$mon.nft" ]'

# --- 4. diff FILE ---------------------------------------------------------
node_exec a "$MESHC" diff "$M1380" >"$OUT" 2>&1
rc=$?
check "4. diff FILE: exit 2, the MTU change in one line" '[ "$rc" = 2 ]' \
	'grep -qx "    ~ interface meshx: mtu 1400 -> 1380" "$OUT"' \
	'[ "$(grep -c "^    [-+~] " "$OUT")" = 1 ]'
node_exec a "$MESHC" diff "$M1400" -q >"$OUT" 2>&1
check "4. diff FILE in step: exit 0" '[ $? = 0 ]'

# --- 5. rollback ------------------------------------------------------------
# a fault at the addresses step, after the MTU was set: seen 1380 during
# the injected delay, 1400 again after the rollback
before=$(snap a)
node_exec a env MESHC_FAULT=addresses MESHC_FAULT_DELAY=addresses:2 \
	"$MESHC_FAULT_BIN" apply "$M1380" -q >/dev/null 2>"$OUT" &
run=$!
i=0
until grep -q "injected delay" "$OUT" 2>/dev/null || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
during=$(mtu_of a)
wait $run
rc=$?
check "5a. fault after the MTU change: exit 1, the MTU was 1380 during the run, rolled back to 1400, a as before" \
	'[ "$rc" = 1 ]' '[ "$during" = 1380 ]' '[ "$(mtu_of a)" = 1400 ]' \
	'[ "$(snap a)" = "$before" ]' \
	'grep -q "injected fault at step .addresses." "$OUT"' \
	'grep -q "rolled back; nothing of this run remains" "$OUT"' \
	'! grep -q "ROLLBACK FAILED" "$OUT"'
node_exec a env MESHC_FAULT=mtu "$MESHC_FAULT_BIN" apply "$M1380" -q \
	>/dev/null 2>"$OUT"
rc=$?
check "5b. fault at the mtu step: exit 1, a as before" '[ "$rc" = 1 ]' \
	'[ "$(snap a)" = "$before" ]' \
	'grep -q "injected fault at step .mtu." "$OUT"' \
	'grep -q "rolled back; nothing of this run remains" "$OUT"'
# a fresh node: the interface this run created goes, MTU and all
node_exec b "$MESHC" down "$M1380" -q >/dev/null 2>&1
before=$(snap b)
node_exec b env MESHC_FAULT=routes "$MESHC_FAULT_BIN" apply "$M1400" -q \
	>/dev/null 2>"$OUT"
rc=$?
check "5c. fault on a fresh node after the MTU was set: exit 1, nothing remains" \
	'[ "$rc" = 1 ]' '[ "$(snap b)" = "$before" ]' \
	'[ -z "$(e2e_node_pids b wireguard-go)" ]'

# --- 6. no mtu in the document: the link's is left alone --------------------
node_exec a ip link set meshx mtu 1300
node_exec a "$MESHC" apply "$NOMTU" >"$OUT" 2>&1
rc=$?
check "6. without mtu, apply leaves the link's MTU (set by hand to 1300) as it is" \
	'[ "$rc" = 0 ]' '[ "$(cat "$OUT")" = "no changes" ]' \
	'[ "$(mtu_of a)" = 1300 ]'
node_exec a "$MESHC" apply "$M1380" -q >"$OUT" 2>&1
check "6. with mtu again, apply puts it back" '[ $? = 0 ]' \
	'[ "$(mtu_of a)" = 1380 ]'

echo "ok   mtu: $pass passed, $fail failed"
[ "$fail" = 0 ]
