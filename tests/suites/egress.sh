#!/bin/sh
# Routed traffic goes only where it may (issue 9, point 5): b routes for a
# (its exit node) and names no uplink, so a's traffic may leave b only
# through the interfaces of b's default routes, and never to a network on
# one of b's other interfaces that its `lan` does not list.  b has, besides
# its underlay eth0 (the default route) and its lan0 (192.168.2.0/24, in
# `lan`, plus the global 2001:3:0:2::/64 that is not):
#
#   dock0 192.52.194.1/24 --- "docker" host 192.52.194.10, which also
#                             holds 192.52.195.10 (b routes 192.52.195.0/24
#                             to it; not a network of b's own)
#
# 192.52.194.0/24, 192.52.195.0/24 and 2001:3::/32 are globally reachable
# in the IANA registries (no private range covers them) and exist only in
# these namespaces.  The old firewall let a reach all three (routing
# accepted any oif but the mesh).
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go socat ping python3 timeout setsid; do
	command -v $t >/dev/null || { echo "egress: missing $t"; exit 77; }
done
E2E=mcg$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   egress: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL egress: $1"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
expect() {	# allow|deny FROM ADDR description
	if reach "$2" "$3"; then got=allow; else got=deny; fi
	if [ "$got" = "$1" ]; then ok "$4: $2 -> $3 $got"; else bad "$4: $2 -> $3 $got, expected $1"; fi
}
uplinks() { node_exec b nft -j list set inet meshc meshx/uplinks 2>/dev/null |
	python3 -c 'import json,sys
try: objs = json.load(sys.stdin)["nftables"]
except ValueError: objs = []
for o in objs:
    if "set" in o: print(" ".join(sorted(o["set"].get("elem", []))))'; }

e2e_topology a b || { bad "topology"; exit 1; }
# the "docker" network on b, not its default route
ip netns add "$E2E-dock" || { bad "dock namespace"; exit 1; }
ip link add dock0 netns "$E2E-b" type veth peer name eth0 netns "$E2E-dock"
ip -n "$E2E-b" link set dock0 up
ip -n "$E2E-dock" link set eth0 up
ip -n "$E2E-dock" link set lo up
ip -n "$E2E-b" addr add 192.52.194.1/24 dev dock0
ip -n "$E2E-b" route add 192.52.195.0/24 via 192.52.194.10 dev dock0
ip -n "$E2E-dock" addr add 192.52.194.10/24 dev eth0
ip -n "$E2E-dock" addr add 192.52.195.10/32 dev lo
ip -n "$E2E-dock" route add default via 192.52.194.1
# b's lan also has a global IPv6 prefix
ip -n "$E2E-b" addr add 2001:3:0:2::1/64 dev lan0 nodad
ip -n "$E2E-lan" addr add 2001:3:0:2::10/64 dev eth0 nodad
ip -n "$E2E-lan" -6 route add default via 2001:3:0:2::1
host_exec b sysctl -qw net.ipv6.conf.all.forwarding=1

DOC=$(e2e_dir)/egress.yaml
e2e_document tests/e2e/egress.yaml "$DOC" a b || { bad "document"; exit 1; }
B=$(mesh_addr "$DOC" b)
for n in a b; do
	check "apply on $n" node_exec "$n" "$MESHC" apply "$DOC" -q
done
i=0
until reach a "$B" || [ $i -ge 5 ]; do i=$((i + 1)); done

# the controls: what a may reach still works
expect allow a "$E2E_NET_HOST" "rule 4: the internet through b's default route"
expect allow a "$E2E_LAN_HOST" "rule 3: b's lan, listed in lan, with local_network"
check "b's uplinks set holds its default route's device" [ "$(uplinks)" = eth0 ]
# the point of it
expect deny a 192.52.195.10 "rule 4: not through b's docker bridge (no default route there)"
expect deny a 192.52.194.10 "rule 3: not to the network on b's docker bridge"
expect deny a 2001:3:0:2::10 "rule 3: not to b's lan through its global IPv6 prefix, which lan does not list"
check "b itself still reaches its lan's global prefix" reach b 2001:3:0:2::10
check "b itself still reaches the docker network" reach b 192.52.195.10

# a second apply sends nothing: the live sets are read before the diff
mon=$(e2e_dir)/monitor
node_exec b sh -c "echo \$\$ >'$mon.pid'; exec nft monitor" >"$mon" 2>/dev/null &
sleep 0.5
out=$(node_exec b "$MESHC" apply "$DOC")
[ "$out" = "no changes" ] && ok "re-apply on b: no changes" || bad "re-apply on b: '$out'"
sleep 0.5
kill "$(cat "$mon.pid")" 2>/dev/null
[ ! -s "$mon" ] && ok "re-apply on b: zero nftables events" ||
	{ bad "re-apply on b sent nftables changes:"; head -n 5 "$mon"; }

# the default route moves to dock0: the next apply changes the set only
ip -n "$E2E-b" route replace default via 192.52.194.10 dev dock0
node_exec b sh -c "echo \$\$ >'$mon.pid'; exec nft monitor" >"$mon" 2>/dev/null &
sleep 0.5
out=$(node_exec b "$MESHC" apply "$DOC")
sleep 0.5
kill "$(cat "$mon.pid")" 2>/dev/null
check "moved default route: the uplinks set follows it" [ "$(uplinks)" = dock0 ]
echo "$out" | grep -q "uplinks" && ok "moved default route: the change names the set" ||
	bad "moved default route: apply said '$out'"
grep -q "rule\|chain\|delete set\|add set" "$mon" &&
	{ bad "moved default route: more than elements changed:"; head -n 8 "$mon"; } ||
	ok "moved default route: only elements of the set changed"
grep -q "element inet meshc meshx/uplinks" "$mon" && ok "moved default route: elements sent" ||
	{ bad "moved default route: no element events"; head -n 5 "$mon"; }
expect allow a 192.52.195.10 "rule 4: now the way out, so routed traffic may take it"
ip -n "$E2E-b" route replace default via 203.0.113.1 dev eth0
check "default route back: apply" node_exec b "$MESHC" apply "$DOC" -q
check "default route back: the set follows" [ "$(uplinks)" = eth0 ]
expect deny a 192.52.195.10 "rule 4: dock0 is no way out again"

for n in a b; do
	check "down on $n" node_exec "$n" "$MESHC" down "$DOC" -q
done
echo "ok   egress: $pass passed, $fail failed"
[ "$fail" = 0 ]
