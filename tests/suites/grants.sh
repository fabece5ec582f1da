#!/bin/sh
# grants: limited grants (issue 12) with real packets, IPv4 and IPv6.
# tests/e2e/grants.yaml on four nodes: g, x and y run `meshc apply`, u runs
# the WireGuard app (meshc export + wg-quick, nothing of meshc).  g limits
# incoming and local_network to lists; y reaches g through it as its exit
# node with no local_network grant; u's incoming list for x is enforced
# by x on its own packets.  For every sender, destination and service
# below (TCP and UDP to the granted port and to its neighbour, on the
# granted lan host and on its neighbour, ICMP), the packet's fate is
# compared twice: with `meshc explain FILE FROM TO SERVICE` (no
# hand-written expectation) and with the table written here.
#
# Underlay: tests/e2e/lib.sh (g is its lan node: lan0 192.168.2.1 and
# fd02::1; the lan namespace holds the granted host .10 / ::10 and its
# neighbour .11 / ::11 as two addresses of one host).  Interfaces and
# namespaces are named mcgr<pid>-*, wg-gr, unique to this suite.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg wg-quick socat ping python3 timeout; do
	command -v $t >/dev/null || { echo "grants: missing $t"; exit 77; }
done
E2E=mcgr$$
E2E_UNDERLAY_g=203.0.113.5/24:203.0.113.1
E2E_UNDERLAY_x=198.51.100.10/24:198.51.100.1
E2E_UNDERLAY_y=198.51.100.11/24:198.51.100.1
E2E_UNDERLAY_u=10.0.3.13/24:10.0.3.1
E2E_LAN_NODE=g
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0 pkts=0
ok() { pass=$((pass + 1)); echo "ok   grants: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL grants: $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

IF=wg-gr
e2e_topology g x y u || { bad "topology"; exit 1; }
D=$(e2e_dir)
DOC=$D/grants.yaml
e2e_document tests/e2e/grants.yaml "$DOC" g x y u || { bad "document"; exit 1; }

# IPv6 on the lan: g's lan0 and the lan host, which has a neighbour
# address in each family (the host the grant does not name).
ip -n "$E2E-g" addr add fd02::1/64 dev lan0 nodad
ip -n "$E2E-lan" addr add 192.168.2.11/24 dev eth0
ip -n "$E2E-lan" addr add fd02::10/64 dev eth0 nodad
ip -n "$E2E-lan" addr add fd02::11/64 dev eth0 nodad
ip -n "$E2E-lan" -6 route add default via fd02::1

for n in g x y; do
	check "meshc apply on $n" node_exec "$n" "$MESHC" apply "$DOC" -q
done
conf=$D/u/$IF.conf
"$MESHC" export "$DOC" --node u --private-key-file "$D/u/etc/private.key" \
	-o "$conf" 2>"$D/u/export.err"
check "meshc export --node u" [ -s "$conf" ]
node_exec u env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
	wg-quick up "$conf" >"$D/u/wg-quick.log" 2>&1
check "wg-quick up on u" [ $? = 0 ]

# The sets that carry the lists are in g's table, keyed by address,
# protocol and port; the rules do not name a peer.
ruleset=$(node_exec g nft list table inet meshc)
case $ruleset in *"ipv4_addr . ipv4_addr . inet_proto . inet_service"*"100.66.0.2 . 192.168.2.10 . tcp . 7010"*)
	ok "g's lan_svc4 holds x . 192.168.2.10 . tcp . 7010" ;;
*) bad "g's table has no lan_svc4 element for x: $ruleset" ;; esac

# Listeners: each answers with its name and the address it sees.
listen() {	# NODE-or-ns PROTO PORT NAME
	case $2 in
	tcp) a="TCP6-LISTEN:$3,ipv6only=0,reuseaddr,fork" ;;
	udp) a="UDP6-RECVFROM:$3,ipv6only=0,reuseaddr,fork" ;;
	esac
	_e2e_exec "$1" socat "$a" SYSTEM:'echo '"$4"' $SOCAT_PEERADDR' \
		</dev/null >/dev/null 2>&1 &
}
for p in 7001 7003; do listen g tcp $p g; done
for p in 7002 7003; do listen g udp $p g; done
for p in 7010 7012; do listen lan tcp $p lan; done
# UDP on the lan host: one listener per address, so that each reply
# leaves from the address the request went to (the host has two
# addresses per family on one link; an unbound reply could pick the
# other one, which conntrack would not take for the reply).
for p in 7011 7013; do
	for a in 192.168.2.10 192.168.2.11; do
		host_exec lan socat "UDP4-RECVFROM:$p,bind=$a,reuseaddr,fork" \
			SYSTEM:'echo lan $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
	done
	for a in fd02::10 fd02::11; do
		host_exec lan socat "UDP6-RECVFROM:$p,bind=[$a],reuseaddr,fork" \
			SYSTEM:'echo lan $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
	done
done
for p in 7020 7021; do listen u tcp $p u; done
sleep 0.5

# The tunnels: u roams (no endpoint) and opens its own.
for p in x:100.66.0.1 y:100.66.0.1 u:100.66.0.2 x:fd66:0:0:1::1 \
	y:fd66:0:0:1::1 u:fd66:0:0:1::2; do
	i=0
	until _e2e_exec "${p%%:*}" ping -c 1 -W 1 "${p#*:}" >/dev/null 2>&1 ||
		[ $i -ge 5 ]; do i=$((i + 1)); done
done
# x pings g and u, which grant it icmp; y does not get icmp: warm y by
# TCP to its granted port instead.
_e2e_exec y timeout 4 socat -T 2 - TCP:100.66.0.1:7001,connect-timeout=2 \
	</dev/null >/dev/null 2>&1

host() { case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac; }
# try FROM ADDR SERVICE: allow when the answer comes back
try() {
	case $3 in
	icmp)
		case $2 in *:*) f=-6 ;; *) f=-4 ;; esac
		_e2e_exec "$1" ping $f -c 1 -W 2 "$2" >/dev/null 2>&1 ;;
	tcp/*)
		out=$(_e2e_exec "$1" timeout 5 socat -T 2 - \
			"TCP:$(host "$2"):${3#tcp/},connect-timeout=2" </dev/null 2>/dev/null)
		[ -n "$out" ] ;;
	udp/*)
		out=$(echo probe | _e2e_exec "$1" timeout 5 socat -T 2 - \
			"UDP:$(host "$2"):${3#udp/}" 2>/dev/null)
		[ -n "$out" ] ;;
	esac
}
predicted() {	# FROM ADDR SERVICE: explain's verdict
	"$MESHC" explain --format json "$DOC" "$1" "$2" "$3" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["verdict"])'
}
# expect allow|deny FROM ADDR SERVICE why
expect() {
	if try "$2" "$3" "$4"; then got=allow; else got=deny; fi
	pkts=$((pkts + 1))
	pred=$(predicted "$2" "$3" "$4")
	if [ "$got" = "$1" ] && [ "$pred" = "$1" ]; then
		ok "$5: $2 -> $3 $4 $got (explain: $pred)"
	else
		bad "$5: $2 -> $3 $4 packets $got, explain $pred, expected $1"
	fi
}

for fam in 4 6; do
	if [ $fam = 4 ]; then
		G=100.66.0.1 U=100.66.0.4 H=192.168.2.10 N=192.168.2.11
	else
		G=fd66:0:0:1::1 U=fd66:0:0:1::4 H=fd02::10 N=fd02::11
	fi
	# --- limited incoming: x on g's mesh address ---
	expect allow x $G tcp/7001 "incoming list of g for x (IPv$fam)"
	expect deny x $G tcp/7003 "neighbouring port"
	expect allow x $G udp/7002 "incoming list: udp"
	expect deny x $G udp/7003 "neighbouring udp port"
	expect allow x $G icmp "incoming list: icmp"
	# --- limited local_network: one lan host, two services ---
	expect allow x $H tcp/7010 "local_network list of g for x (IPv$fam)"
	expect deny x $H tcp/7012 "neighbouring port on the lan host"
	expect allow x $H udp/7011 "local_network list: udp"
	expect deny x $H udp/7013 "neighbouring udp port on the lan host"
	expect deny x $H icmp "icmp is not in the lan list"
	expect deny x $N tcp/7010 "neighbouring lan host, granted port"
	expect deny x $N udp/7011 "neighbouring lan host, granted udp port"
	# --- through an exit node without local_network: y via g ---
	expect deny y $H tcp/7010 "y routes through g, which grants it no local_network (IPv$fam)"
	expect deny y $H udp/7011 "no local_network, udp"
	expect deny y $H icmp "no local_network, icmp"
	expect allow y $G tcp/7001 "g's incoming list for y"
	expect deny y $G tcp/7003 "not in y's list"
	expect deny y $G udp/7002 "x's udp is not y's"
	expect deny y $G icmp "y has no icmp"
	# --- an unmanaged node's list, enforced at the managed sender ---
	expect allow x $U tcp/7020 "u's incoming list for x, enforced by x (IPv$fam)"
	expect deny x $U tcp/7021 "not in u's list: x drops its own packet"
	expect allow x $U icmp "u grants x icmp"
done

# The lan host sees g for x's connection (masquerade of a limited grant).
seen=$(_e2e_exec x timeout 5 socat -T 2 - TCP:192.168.2.10:7010,connect-timeout=2 </dev/null 2>/dev/null)
# (socat prints the IPv4-mapped form: [0000:...:ffff:c0a8:0201])
case $seen in "lan 192.168.2.1"|*":ffff:c0a8:0201]") ok "the lan host sees g, not x ($seen)" ;;
*) bad "the lan host saw '$seen' for x, expected g's 192.168.2.1" ;; esac

# A second apply changes one peer's services: one element batch, the
# rules untouched (their handles stay), and the new port opens.
handles() { node_exec g nft -a list chain inet meshc "$IF/mesh_input" | sed -n 's/.*# handle //p' | tr '\n' ' '; }
before=$(handles)
sed 's|incoming: \[tcp/7001, udp/7002, icmp\]|incoming: [tcp/7003, udp/7002, icmp]|' "$DOC" >"$D/grants2.yaml"
out=$(node_exec g "$MESHC" apply "$D/grants2.yaml" 2>&1)
after=$(handles)
[ -n "$before" ] && [ "$before" = "$after" ] &&
	ok "changing x's incoming list kept every rule of g (handles $after)" ||
	bad "g's rules changed: before '$before', after '$after' ($out)"
DOC=$D/grants2.yaml
expect allow x 100.66.0.1 tcp/7003 "after the change: x's new port"
expect deny x 100.66.0.1 tcp/7001 "after the change: x's old port"
expect allow x fd66:0:0:1::1 tcp/7003 "after the change, IPv6"

echo "grants: $pkts sender/destination/service probes with packets"
echo "grants: $pass passed, $fail failed"
[ "$fail" = 0 ]
