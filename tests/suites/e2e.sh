#!/bin/sh
# End to end: meshc applies tests/e2e/mesh.yaml on four nodes, each in its
# own network namespace with wireguard-go, and real packets (ping, TCP)
# show who reaches whom.  See tests/e2e/lib.sh for the topology.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go socat ping python3 timeout setsid; do
	command -v $t >/dev/null || { echo "e2e: missing $t"; exit 77; }
done
E2E=mce$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
# sdir NODE: the state directory of the node's meshx: NSDIR/meshx, where
# NSDIR is MESHC_RUN_DIR/netns:COOKIE (each node has a network namespace
# of its own; see meshc(8), FILES)
sdir() {
	for d in "$(e2e_dir)/$1/run"/netns:*/meshx; do
		[ -d "$d" ] && echo "$d" && return
	done
	echo "$(e2e_dir)/$1/run/meshx"	# meshc before the netns directories
}
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   e2e: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL e2e: $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
expect() {	# allow|deny FROM ADDR description
	if reach "$2" "$3"; then got=allow; else got=deny; fi
	if [ "$got" = "$1" ]; then ok "$4: $2 -> $3 $got"; else bad "$4: $2 -> $3 $got, expected $1"; fi
}
apply() {	# NODE DOC [args]: meshc apply, identity from the node's key file
	n=$1 doc=$2
	shift 2
	node_exec "$n" "$MESHC" apply "$doc" -q "$@"
}
# Everything meshc could have touched on a node, for before/after equality.
snapshot() {
	node_exec "$1" sh -c '
		exec 2>/dev/null
		ip -o link show | sed "s/^[0-9]*: //; s/ link\/.*//" | grep -v "^lo"
		ip -o addr show | grep -v " lo " | sed "s/^[0-9]*: //; s/valid_lft.*//"
		ip route show table all | grep -v "^local\|^broadcast\|^multicast\|table local"
		ip -6 route show table all | grep -v "^local\|^multicast\|table local\|^fe80\|^anycast"
		ip rule show; ip -6 rule show
		nft list ruleset
		sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.conf.all.src_valid_mark
		ls /run/wireguard'
}

NODES="a b c d"
# Warm the tunnels: wait (up to 5 s each) until the first handshakes are done
warm() {
	for p in "$@"; do
		i=0
		until reach "${p%%:*}" "${p#*:}" || [ $i -ge 5 ]; do i=$((i + 1)); done
	done
}
e2e_topology $NODES || { bad "topology"; exit 1; }
DOC=$(e2e_dir)/mesh.yaml
e2e_document tests/e2e/mesh.yaml "$DOC" $NODES || { bad "document"; exit 1; }
A=$(mesh_addr "$DOC" a) B=$(mesh_addr "$DOC" b) C=$(mesh_addr "$DOC" c) D=$(mesh_addr "$DOC" d)
A6=$(mesh_addr "$DOC" a 6) B6=$(mesh_addr "$DOC" b 6) D6=$(mesh_addr "$DOC" d 6)
LAN=$E2E_LAN_HOST

# --- apply on every node; meshc finds the node from its key file -------
for n in $NODES; do
	check "apply on $n" apply "$n" "$DOC"
done
warm "a:$B" "d:$B" "c:$B" "a:$D" "d:$A" "b:$A" "b:$C"
expect allow a "$B" "mesh peers"
expect allow b "$A" "mesh peers"
expect allow d "$A" "mesh peers, direct"
expect allow a "$B6" "mesh peers over IPv6"
expect allow d "$A6" "mesh peers over IPv6"
expect allow c "$B" "linked peers"
expect allow b "$C" "linked peers"
expect deny c "$A" "rule 2: c routes through b but is no peer of a"
expect deny c "$D" "rule 2: c routes through b but is no peer of d"
expect deny a "$C" "rule 2: a routes through b but is no peer of c"
expect allow a "$LAN" "rule 3: a may reach b's lan (exit node, local_network)"
expect allow d "$LAN" "rule 3: d reaches b's lan (lans_via, local_network)"
expect deny c "$LAN" "rule 3: c routes through b without local_network"
expect deny lan "$A" "rule 5: b's lan cannot open connections into the mesh"
expect deny lan "$C" "rule 5: b's lan cannot open connections into the mesh"
seen=$(tcp_seen c)
[ "$seen" = 203.0.113.5 ] && ok "rule 4: c's TCP reaches the internet host as b ($seen)" ||
	bad "rule 4: the internet host saw '$seen' for c, expected b's 203.0.113.5"
seen=$(tcp_seen a)
[ "$seen" = 203.0.113.5 ] && ok "rule 4: a's TCP reaches the internet host as b ($seen)" ||
	bad "rule 4: the internet host saw '$seen' for a, expected b's 203.0.113.5"
seen=$(tcp_seen d)
[ "$seen" = 198.51.100.11 ] && ok "split tunnel: d reaches the internet directly ($seen)" ||
	bad "split tunnel: the internet host saw '$seen' for d, expected 198.51.100.11"
check "exit node: a keeps its underlay route to the router" reach a 198.51.100.1

# --- a second apply changes nothing, not even one netlink event --------
mon=$(e2e_dir)/monitor
for n in $NODES; do
	# exec: the pid written is the monitor's own, so kill stops it
	node_exec "$n" sh -c "echo \$\$ >'$mon.ip.$n.pid'; exec ip monitor link address route rule" \
		>"$mon.ip.$n" 2>/dev/null &
	node_exec "$n" sh -c "echo \$\$ >'$mon.nft.$n.pid'; exec nft monitor" \
		>"$mon.nft.$n" 2>/dev/null &
done
sleep 0.5
for n in $NODES; do
	out=$(node_exec "$n" "$MESHC" apply "$DOC")
	rc=$?
	[ "$rc" = 0 ] && [ "$out" = "no changes" ] && ok "re-apply on $n: no changes" ||
		bad "re-apply on $n: exit $rc, output '$out'"
done
sleep 0.5
for n in $NODES; do
	kill "$(cat "$mon.ip.$n.pid")" "$(cat "$mon.nft.$n.pid")" 2>/dev/null
	[ ! -s "$mon.ip.$n" ] && [ ! -s "$mon.nft.$n" ] &&
		ok "re-apply on $n: zero rtnetlink and nftables events" ||
		{ bad "re-apply on $n sent changes:"; head -n 5 "$mon.ip.$n" "$mon.nft.$n"; }
done
check "diff FILE on b: exit 0 when nothing would change" node_exec b "$MESHC" diff "$DOC" -q

# --- revoking a grant takes effect ---------------------------------------
REVOKED=$(e2e_dir)/revoked.yaml
sed 's/a: { routing: true, local_network: true }/a: { routing: true }/' "$DOC" >"$REVOKED"
node_exec b "$MESHC" diff "$REVOKED" >/dev/null
check "diff FILE on b: exit 2 when the grant would change" [ $? = 2 ]
# An established connection from a to b's lan must not outlive the grant.
# a sends one UDP datagram to the lan host, which then streams a line
# every 0.2 s back to a: replies, which to_mesh lets through by their
# conntrack state alone, so without cutting the entry the stream would
# flow on after the revocation for as long as the lan host sends.
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
# stream_cut FILE DOC WHAT REVOCATION: the stream a receives into FILE
# flows; the apply of DOC on b (the revocation) stops it: no new line
# within 2 s of it
stream_cut() {
	n0=$(lines "$1")
	check "$3: the stream flows before $4 ($n0 lines)" [ "$n0" -gt 2 ]
	check "apply $4 on b" apply b "$2"
	sleep 0.5
	n1=$(lines "$1")
	sleep 2
	n2=$(lines "$1")
	[ "$n2" = "$n1" ] && ok "$4 cuts $3 ($n1 lines, then none)" ||
		bad "$3 outlived $4 ($n1 -> $n2 lines)"
}
STREAM=$(e2e_dir)/stream
host_exec lan socat UDP-LISTEN:9091,reuseaddr \
	SYSTEM:'while true; do echo tick; sleep 0.2; done' </dev/null >/dev/null 2>&1 &
sleep 0.3
# (bounded: no process of a may outlive this part, down checks for that)
node_exec a timeout 8 sh -c "(echo hello; sleep 6) | socat - UDP:$LAN:9091" \
	>"$STREAM" 2>/dev/null &
sleep 1.5
stream_cut "$STREAM" "$REVOKED" "a's established connection to the lan" \
	"the revocation"
expect deny a "$LAN" "revoked local_network"
expect allow a "$B" "revoking lan access keeps the tunnel"
check "apply the grant again on b" apply b "$DOC"
expect allow a "$LAN" "granted again"
# Nor must a connection a opened to b outlive a's incoming, even while b
# keeps sending on it: once the entry is cut, b's next segment would make
# a new one from b's side (nf_conntrack_tcp_loose, the kernel's default),
# and a's packets would then pass mesh_input as its replies.  b's server
# streams a line every 0.2 s to whoever connects.
NOIN=$(e2e_dir)/no-incoming.yaml
sed 's/a: { routing: true, local_network: true }/a: { routing: true, local_network: true, incoming: false }/' \
	"$DOC" >"$NOIN"
STREAM_B=$(e2e_dir)/stream-b
# (bounded on both sides: no process may outlive this part)
node_exec b timeout 9 socat TCP-LISTEN:9092,reuseaddr \
	SYSTEM:'while true; do echo x; sleep 0.2; done' </dev/null >/dev/null 2>&1 &
sleep 0.3
node_exec a timeout 8 socat -u "TCP:$B:9092" - </dev/null >"$STREAM_B" 2>/dev/null &
sleep 1.5
stream_cut "$STREAM_B" "$NOIN" \
	"a's connection to b's server (b keeps sending)" "the incoming revocation"
expect deny a "$B" "revoked incoming"
expect allow a "$LAN" "revoking incoming keeps the tunnel"
expect allow b "$A" "revoking incoming keeps b's own connections to a"
check "apply the incoming grant again on b" apply b "$DOC"
expect allow a "$B" "incoming granted again"

# --- a failure half-way rolls back: a route the kernel refuses -----------
node_exec d "$MESHC" down "$DOC" -q
before=$(snapshot d)
node_exec d "$MESHC" apply "$DOC" --dry-run >/dev/null
rc=$?
[ "$rc" = 2 ] && [ "$before" = "$(snapshot d)" ] &&
	ok "apply --dry-run on an empty node: exit 2, nothing changed" ||
	bad "apply --dry-run: exit $rc or the node changed"
# an interface of meshc's name that meshc did not make is foreign
node_exec d ip link add meshx type veth peer name meshx-peer
before=$(snapshot d)
out=$(apply d "$DOC" 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$before" = "$(snapshot d)" ] &&
	ok "a foreign interface named meshx: refused (exit 1), untouched" ||
	bad "foreign interface: exit $rc: $out"
node_exec d ip link del meshx
# so is a table inet meshc without meshc's mark
node_exec d nft add table inet meshc
before=$(snapshot d)
out=$(apply d "$DOC" 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$before" = "$(snapshot d)" ] &&
	ok "a foreign table inet meshc: refused (exit 1), untouched" ||
	bad "foreign table: exit $rc: $out"
node_exec d nft delete table inet meshc
node_exec d ip route add 100.64.0.0/24 dev lo
before=$(snapshot d)
out=$(apply d "$DOC" 2>&1)
rc=$?
[ "$rc" = 1 ] && ok "apply with a conflicting route fails (exit 1)" || bad "apply with a conflicting route: exit $rc"
case $out in *"File exists"*) ok "the failure names the kernel's reason" ;; *) bad "failure message: $out" ;; esac
after=$(snapshot d)
[ "$before" = "$after" ] && ok "after the failed apply d is exactly as before" ||
	{ bad "failed apply left changes behind"; printf '%s\n' "$before" >"$mon.before"; printf '%s\n' "$after" | diff "$mon.before" - | head -n 20; }
node_exec d ip route del 100.64.0.0/24 dev lo
check "apply on d once the conflict is gone" apply d "$DOC"

# --- an injected fault on a configured node leaves the old state ---------
# The change touches every layer that can fail: the firewall (revoked
# grant), WireGuard (another listen port), then routes, rules, sysctls.
FAULTY=$(e2e_dir)/faulty.yaml
sed 's/^    endpoint: 203.0.113.5:51820/&\n    listen_port: 51821/' "$REVOKED" >"$FAULTY"
if [ -x "${MESHC_FAULT_BIN:-}" ]; then
	for step in firewall wireguard addresses routes rules sysctls; do
		before=$(snapshot b)
		node_exec b env MESHC_FAULT=$step "$MESHC_FAULT_BIN" apply "$FAULTY" -q >/dev/null 2>&1
		rc=$?
		after=$(snapshot b)
		[ "$rc" = 1 ] && [ "$before" = "$after" ] &&
			ok "fault at '$step': exit 1, b unchanged" ||
			bad "fault at '$step': exit $rc, state changed: $(printf '%s\n' "$before" >"$mon.b"; printf '%s\n' "$after" | diff "$mon.b" - | head -n 6)"
	done
	expect allow a "$LAN" "after the faults a's grant still holds"
	# a run that rotates b's key and then fails puts the old key back
	kd=$(e2e_dir)/b/etc
	cp "$kd/private.key" "$kd/private.key.old"
	(umask 077 && "$MESHC" genkey >"$kd/private.key")
	ROTATED=$(e2e_dir)/rotated.yaml
	sed "s|$(cat "$(e2e_dir)/b/public.key")|$("$MESHC" pubkey <"$kd/private.key")|" "$DOC" >"$ROTATED"
	old_pub=$(node_exec b wg show meshx public-key)
	node_exec b env MESHC_FAULT=routes "$MESHC_FAULT_BIN" apply "$ROTATED" -q >/dev/null 2>&1
	rc=$?
	[ "$rc" = 1 ] && [ "$(node_exec b wg show meshx public-key)" = "$old_pub" ] &&
		ok "a failed key rotation restores b's old private key" ||
		bad "failed key rotation: exit $rc, public key now $(node_exec b wg show meshx public-key), was $old_pub"
	mv "$kd/private.key.old" "$kd/private.key"
else
	bad "no fault-injection build (MESHC_FAULT_BIN)"
fi

# --- try mode: --confirm reverts, even after the SSH session is gone -----
MESHC_RUN_DIR="$(e2e_dir)/b/run" setsid nsenter --net="/run/netns/$E2E-b" \
	--mount="$(e2e_dir)/b/mnt" -- sh -c "'$MESHC' apply '$REVOKED' -q --confirm 3; sleep 60" \
	>/dev/null 2>&1 &
session=$!
sleep 1.5
expect deny a "$LAN" "try mode: the new state is in place"
kill -HUP -- "-$session" 2>/dev/null; kill -- "-$session" 2>/dev/null
sleep 4
expect allow a "$LAN" "try mode: reverted after 3 s without confirm, the session long gone"
check "try mode: the pending file is gone" [ ! -e "$(sdir b)/pending" ]
check "apply --confirm 3" apply b "$REVOKED" --confirm 3
check "meshc confirm" node_exec b "$MESHC" confirm
sleep 4
expect deny a "$LAN" "confirmed: the new state stays"
check "back to the full grant" apply b "$DOC"

# --- down leaves nothing ----------------------------------------------------
for n in $NODES; do
	check "down on $n" node_exec "$n" "$MESHC" down "$DOC" -q
	left=$(node_exec "$n" sh -c '
		exec 2>/dev/null
		ip -o link show | grep -E "mesh[xy]"
		nft list tables | grep meshc
		ip route show table all proto 77; ip -6 route show table all proto 77
		ip rule show | grep "proto 77"; ip -6 rule show | grep "proto 77"
		ls /run/wireguard')
	[ -z "$left" ] && ok "down on $n: nothing of meshc is left" || bad "down on $n left: $left"
	pids=$(ip netns pids "$E2E-$n")
	[ -z "$pids" ] && ok "down on $n: no wireguard-go left" || bad "down on $n: processes left: $pids"
done
check "down on b put ip_forward back" [ "$(node_exec b sysctl -n net.ipv4.ip_forward)" = 0 ]
echo "ok   e2e: $pass passed, $fail failed"
[ "$fail" = 0 ]
