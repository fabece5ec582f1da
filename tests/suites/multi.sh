#!/bin/sh
# Several meshc nodes in one network namespace (cli.md, "Owns only its
# own"): namespace b runs node bx of document X (interface meshx, peer a)
# and node bw of document W (interface meshw, peer d).  Each apply,
# re-apply and down of one must leave the other's firewall, routes, rules
# and forwarding exactly as they were; real packets prove both firewalls
# hold after every step:
#   X: a uses bx as its exit node (routing) but is not granted b's lan;
#   W: d may reach b's lan (local_network) but not bw itself (incoming).
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg socat ping python3 timeout; do
	command -v $t >/dev/null || { echo "multi: missing $t"; exit 77; }
done
E2E=mcm$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   multi: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL multi: $1"; }
T=$(e2e_dir)/t

e2e_topology a b d || { echo "multi: topology failed"; exit 1; }
# bw's own key, next to bx's (/etc/meshc/private.key) in b's /etc/meshc
(umask 077; "$MESHC" genkey >"$(e2e_dir)/b/etc/w.key")
"$MESHC" pubkey <"$(e2e_dir)/b/etc/w.key" >"$(e2e_dir)/bw.key"
ba=$(cat "$(e2e_dir)/b/public.key")
bw=$(cat "$(e2e_dir)/bw.key")
aa=$(cat "$(e2e_dir)/a/public.key")
da=$(cat "$(e2e_dir)/d/public.key")
B_UNDER=${E2E_UNDERLAY_b%%/*}
A_UNDER=${E2E_UNDERLAY_a%%/*}
D_UNDER=${E2E_UNDERLAY_d%%/*}
LAN=${E2E_LAN_HOST%.*}.0/24

doc_x() {
	cat <<EOF
version: 1
meshes:
  x: { network: 100.64.0.0/24, interface: meshx }
nodes:
  bx:
    mesh: x
    public_key: "$ba"
    address: 100.64.0.2
    endpoint: $B_UNDER:51820
    lan: [$LAN]
    uplink: eth0
    permissions:
      peers:
        a: { routing: true, local_network: false$1 }
  a:
    mesh: x
    public_key: "$aa"
    address: 100.64.0.1
    endpoint: $A_UNDER:51820
    exit_node: bx
EOF
}
doc_w() {
	cat <<EOF
version: 1
meshes:
  w: { network: 100.65.0.0/24, interface: meshw }
nodes:
  bw:
    mesh: w
    public_key: "$bw"
    private_key_file: /etc/meshc/w.key
    address: 100.65.0.2
    endpoint: $B_UNDER:51821
    listen_port: 51821
    lan: [$LAN]
    permissions:
      peers:
        d: { local_network: true, incoming: false }
  d:
    mesh: w
    public_key: "$da"
    address: 100.65.0.4
    endpoint: $D_UNDER:51821
    listen_port: 51821
    lans_via: [bw]
EOF
}
doc_x "" >"$T.x.yaml"
doc_x ", incoming: false" >"$T.x2.yaml"	# a changed part, same verdicts tested
doc_w >"$T.w.yaml"

run() {	# run NODE WHAT CMD...: CMD must succeed
	n=$1 what=$2
	shift 2
	node_exec "$n" "$@" >"$T.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && return 0
	bad "$what: exit $rc"
	sed 's/^/	/' "$T.out" | head -n 12
	return 1
}
run a "apply on a" "$MESHC" apply "$T.x.yaml" --node a -q
run d "apply on d" "$MESHC" apply "$T.w.yaml" --node d -q
LANHOST=$E2E_LAN_HOST
fwd_before=$(node_exec b sysctl -n net.ipv4.ip_forward)

# expect NAME FROM ADDR allow|deny: one verdict by ping (tunnels warmed)
expect() {
	e2e_warm "$2:$3"
	if reach "$2" "$3"; then got=allow; else got=deny; fi
	if [ "$got" = "$4" ]; then ok "$1: $2 -> $3 $4"; else bad "$1: $2 -> $3 $got, want $4"; fi
}
# both STEP: X's part holds (a reaches the internet through bx but not
# b's lan) and W's part holds (d reaches the lan but not bw)
both() {
	expect "$1, X holds" a "$LANHOST" deny
	if [ "$(tcp_seen a)" = "$B_UNDER" ]; then
		ok "$1, X holds: a reaches the internet as b"
	else
		bad "$1, X holds: a does not reach the internet as b"
	fi
	expect "$1, W holds" d "$LANHOST" allow
	expect "$1, W holds" d 100.65.0.2 deny
}
only_x() {
	expect "$1, X holds" a "$LANHOST" deny
	if [ "$(tcp_seen a)" = "$B_UNDER" ]; then
		ok "$1, X holds: a reaches the internet as b (forwarding still on)"
	else
		bad "$1, X holds: a does not reach the internet as b"
	fi
}
only_w() {
	expect "$1, W holds" d "$LANHOST" allow
	expect "$1, W holds" d 100.65.0.2 deny
}
# part IFACE: b's nftables part of IFACE, and its rules, as text
part() {
	node_exec b sh -c "nft list table inet meshc 2>/dev/null |
		awk '/(chain|set) $1\\//,/^\t}/'; ip rule show; ip -6 rule show"
}

run b "apply X on b" "$MESHC" apply "$T.x.yaml" --node bx -q &&
	only_x "X applied"
x_alone=$(part meshx)
run b "apply W on b" "$MESHC" apply "$T.w.yaml" --node bw -q && both "W applied after X"
[ "$(part meshx)" = "$x_alone" ] && ok "applying W left X's part and rules as they were" ||
	bad "applying W changed X's part or rules"
w_alone=$(part meshw)
run b "re-apply X (changed) on b" "$MESHC" apply "$T.x2.yaml" --node bx -q &&
	both "X re-applied"
[ "$(part meshw)" = "$w_alone" ] && ok "re-applying X left W's part as it was" ||
	bad "re-applying X changed W's part"
out=$(node_exec b "$MESHC" apply "$T.w.yaml" --node bw 2>&1)
[ "$out" = "no changes" ] && ok "W after X's re-apply: no changes" ||
	bad "W after X's re-apply: $out"
run b "down W on b" "$MESHC" down "$T.w.yaml" --node bw -q && only_x "W down"
if node_exec b ip link show meshw >/dev/null 2>&1; then
	bad "down W: meshw still there"
else
	ok "down W removed meshw"
fi
run b "apply W again on b" "$MESHC" apply "$T.w.yaml" --node bw -q
# d still holds a session with the old meshw, which no longer knows it;
# bw opens a new one (d would only after its rekey timeout)
e2e_warm b:100.65.0.4
both "W applied again"
run b "down X on b" "$MESHC" down "$T.x2.yaml" --node bx -q && only_w "X down"
[ "$(node_exec b sysctl -n net.ipv4.ip_forward)" = 1 ] &&
	ok "X down: forwarding stays on while W needs it" ||
	bad "X down: forwarding switched off under W"
[ "$(part meshw)" = "$w_alone" ] && ok "down X left W's part as it was" ||
	bad "down X changed W's part"
run b "down W on b" "$MESHC" down "$T.w.yaml" --node bw -q
if node_exec b nft list table inet meshc >/dev/null 2>&1; then
	bad "last down: table inet meshc still there"
else
	ok "last down: table inet meshc removed"
fi
[ "$(node_exec b sysctl -n net.ipv4.ip_forward)" = "$fwd_before" ] &&
	ok "last down: forwarding back to $fwd_before" ||
	bad "last down: forwarding not put back to $fwd_before"

echo "multi: $pass passed, $fail failed"
[ "$fail" = 0 ]
