#!/bin/sh
# The compiled nftables rules of examples/seed.yaml's node b, loaded into a network
# namespace that forwards like b does, decide real packets.  No WireGuard
# here (the e2e suite has it): the mesh interface is a veth named meshx on
# a bridge shared with a and c, so without meshc's table b would happily
# bridge c to a.  That control run comes first, so every "deny" below is
# proven to be the table's doing.
#
#   a 100.64.0.1 ---+
#                   br (switch ns) --- meshx 100.64.0.2  b  eth0 203.0.113.2 --- net 203.0.113.1
#   c 100.64.1.C --+                                       lan0 192.168.2.1 --- lan 192.168.2.10
#
# The net host also holds 192.52.193.1, b's gateway's side of "the
# internet": a block the IANA registry lists as globally reachable (the
# documentation blocks are not, so routed traffic to 203.0.113.1 itself
# is dropped like any private range).
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft ping socat timeout; do command -v $t >/dev/null || exit 77; done
DOC=examples/seed.yaml
P=mcfw$$
# c's address is derived from its key: ask the compiler
C=$("$MESHC" compile "$DOC" --node c --target json | python3 -c \
	'import json, sys; print(json.load(sys.stdin)["interface"]["addresses"][0].split("/")[0])') ||
	{ echo "FAIL firewall: cannot compile c"; exit 1; }
NS="$P-a $P-b $P-c $P-sw $P-lan $P-net"
fail=0 pass=0
tmp=$(mktemp -d) || exit 1
cleanup() {
	for n in $NS; do
		# ip netns del does not end the processes inside (socat)
		for pid in $(ip netns pids "$n" 2>/dev/null); do kill "$pid"; done
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

run() { ip netns exec "$P-$1" sh -c "$2"; }
setup() {
	for n in $NS; do ip netns add "$n" || return 1; done
	ip -n "$P-sw" link add br0 type bridge && ip -n "$P-sw" link set br0 up
	ip link add eth0 netns "$P-a" type veth peer name sa netns "$P-sw"
	ip link add meshx netns "$P-b" type veth peer name sb netns "$P-sw"
	ip link add eth0 netns "$P-c" type veth peer name sc netns "$P-sw"
	for p in sa sb sc; do
		ip -n "$P-sw" link set "$p" master br0 up
	done
	ip link add eth0 netns "$P-b" type veth peer name eth0 netns "$P-net"
	ip link add lan0 netns "$P-b" type veth peer name eth0 netns "$P-lan"
	for n in a b c lan net; do
		ip -n "$P-$n" link set lo up
		for i in $(ip -n "$P-$n" -o link show | sed -n 's/^[0-9]*: \([a-z0-9]*\)[@:].*/\1/p'); do
			ip -n "$P-$n" link set "$i" up
		done
	done
	ip -n "$P-a" addr add 100.64.0.1/24 dev eth0
	ip -n "$P-a" route add 100.64.1.0/24 via 100.64.0.2
	ip -n "$P-a" route add 192.168.2.0/24 via 100.64.0.2
	ip -n "$P-a" route add 203.0.113.0/24 via 100.64.0.2
	ip -n "$P-a" route add 192.52.193.0/24 via 100.64.0.2
	ip -n "$P-b" addr add 100.64.0.2/24 dev meshx
	ip -n "$P-b" route add 100.64.1.0/24 dev meshx
	ip -n "$P-b" addr add 203.0.113.2/24 dev eth0
	ip -n "$P-b" addr add 192.168.2.1/24 dev lan0
	ip -n "$P-b" route add 192.52.193.0/24 via 203.0.113.1
	run b 'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.meshx.send_redirects=0'
	ip -n "$P-c" addr add "$C/24" dev eth0
	ip -n "$P-c" route add 100.64.0.2/32 dev eth0
	ip -n "$P-c" route add default via 100.64.0.2
	ip -n "$P-lan" addr add 192.168.2.10/24 dev eth0
	ip -n "$P-lan" route add default via 192.168.2.1
	ip -n "$P-net" addr add 203.0.113.1/24 dev eth0
	ip -n "$P-net" addr add 192.52.193.1/24 dev eth0
	# lets plain (non-mesh) traffic from the lan reach the net host, and
	# the control run's un-NATed mesh traffic come back
	ip -n "$P-net" route add 192.168.2.0/24 via 203.0.113.2
	ip -n "$P-net" route add 100.64.0.0/16 via 203.0.113.2
	# the "internet" host answers TCP with the address it sees
	ip netns exec "$P-net" socat TCP-LISTEN:8080,reuseaddr,fork \
		SYSTEM:'echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
}

reach() { run "$1" "ping -c 1 -W 1 $2 >/dev/null 2>&1"; }
expect() {	# allow|deny FROM ADDR WHAT
	if reach "$2" "$3"; then got=allow; else got=deny; fi
	if [ "$got" = "$1" ]; then
		pass=$((pass + 1))
		echo "ok   $4: $2 -> $3 $got"
	else
		fail=$((fail + 1))
		echo "FAIL $4: $2 -> $3 $got, expected $1"
	fi
}

setup || { echo "FAIL firewall: namespace setup"; exit 1; }
sleep 1
# Control: without meshc's table b forwards everything, c reaches a.
expect allow c 100.64.0.1 "control, no table"
expect allow lan 100.64.0.1 "control, no table"
expect allow a 192.52.193.1 "control, no table"
expect allow c 203.0.113.1 "control, no table"

"$MESHC" compile "$DOC" --node b --target nft >"$tmp/b.nft" ||
	{ echo "FAIL compile b --target nft"; exit 1; }
if ! ip netns exec "$P-b" nft -f "$tmp/b.nft"; then
	echo "FAIL nft -f of b's compiled table"
	exit 1
fi
expect deny c 100.64.0.1 "rule 2: c routes through b, must not reach a"
expect deny a "$C" "rule 2: a must not reach c through b"
expect allow c 100.64.0.2 "rule 6: c reaches b (incoming)"
expect allow a 100.64.0.2 "rule 6: a reaches b (incoming)"
expect allow a 192.168.2.10 "rule 3: a granted local_network reaches b's lan"
expect deny c 192.168.2.10 "rule 3: c without local_network"
expect allow c 192.52.193.1 "rule 4: c granted routing reaches the internet"
expect deny c 203.0.113.1 "rule 3: a documentation block (TEST-NET-3) is not the internet"
expect deny a 192.52.193.1 "rule 4: a without routing"
expect deny lan 100.64.0.1 "rule 5: the lan cannot reach into the mesh"
expect allow lan 192.52.193.1 "rule 7: non-mesh traffic is untouched"

seen=$(run c 'timeout 5 socat -T 3 - TCP:192.52.193.1:8080 </dev/null' 2>/dev/null)
if [ "$seen" = 203.0.113.2 ]; then
	pass=$((pass + 1))
	echo "ok   rule 4: the internet host sees b's address ($seen), not c's"
else
	fail=$((fail + 1))
	echo "FAIL rule 4: internet host saw '$seen', expected 203.0.113.2"
fi
# Reloading the same file is atomic and leaves one table.
ip netns exec "$P-b" nft -f "$tmp/b.nft" &&
	[ "$(ip netns exec "$P-b" nft list tables | grep -c 'inet meshc')" = 1 ] &&
	pass=$((pass + 1)) || { fail=$((fail + 1)); echo "FAIL reload"; }
echo "ok   firewall: $pass passed, $fail failed"
[ "$fail" = 0 ]
