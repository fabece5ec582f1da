# tests/e2e/lib.sh - a mesh of real nodes in network namespaces, for the
# end-to-end suite and `make demo`.  POSIX sh, sourced.
#
# Underlay (everything inside namespaces this file creates; no packet
# leaves them):
#
#   a  198.51.100.10 --+                     +-- router R --- net 192.52.193.10
#   d  198.51.100.11 --+-- bridge (ns sw) ---+   198.51.100.1, 203.0.113.1,
#   b  203.0.113.5   --+                     |   10.0.3.1 (NAT for c),
#   c  10.0.3.13     --+                         192.52.193.1 toward "net"
#   b also has lan0 192.168.2.1 --- lan host 192.168.2.10
#   (E2E_LAN_NODE names another node to own the lan instead of b)
#
# "net" stands for the internet, so its address must be globally
# reachable in the IANA special-purpose registry: a routing node drops
# routed traffic to every other special-purpose block (TEST-NET,
# benchmarking 198.18.0.0/15, ...: spec rule 3).  192.52.193.0/24 is the
# AMT block (RFC 7450), listed there as globally reachable, so meshc
# treats it as the internet, and no one's ordinary hosts live in it.  The
# underlay may stay in the documentation blocks: it carries the tunnels
# and direct traffic, never traffic routed for a peer.
#
# Each node runs meshc (and the wireguard-go it starts) in its own network
# namespace AND its own mount namespace, with private /run/wireguard (the
# UAPI socket directory), /etc/meshc (its private key) and MESHC_RUN_DIR,
# so nodes whose interfaces share a name (a and b both use meshx) coexist.
#
# Required: E2E (namespace prefix), MESHC (binary).  Call e2e_cleanup on
# exit (it kills the wireguard-go daemons and removes every namespace).

E2E_UNDERLAY_a=198.51.100.10/24:198.51.100.1
E2E_UNDERLAY_d=198.51.100.11/24:198.51.100.1
E2E_UNDERLAY_b=203.0.113.5/24:203.0.113.1
E2E_UNDERLAY_c=10.0.3.13/24:10.0.3.1
E2E_NET_HOST=192.52.193.10
E2E_NET_GW=192.52.193.1
E2E_LAN_HOST=192.168.2.10

e2e_dir() { echo "/run/meshc-e2e/$E2E"; }

# node_exec NODE CMD...: run in the node's network + mount namespaces
node_exec() {
	n=$1
	shift
	MESHC_RUN_DIR="$(e2e_dir)/$n/run" nsenter --net="/run/netns/$E2E-$n" \
		--mount="$(e2e_dir)/$n/mnt" -- "$@"
}

# host_exec NS CMD...: a plain namespace (sw, r, net, lan)
host_exec() {
	n=$1
	shift
	ip netns exec "$E2E-$n" "$@"
}

_e2e_link_up_all() {
	for i in $(ip -n "$1" -o link show | sed -n 's/^[0-9]*: \([a-z0-9]*\)[@:].*/\1/p'); do
		ip -n "$1" link set "$i" up
	done
}

# e2e_node NAME: a node's namespaces, underlay, private dirs and key
e2e_node() {
	n=$1
	eval "u=\$E2E_UNDERLAY_$n"
	addr=${u%%:*}
	gw=${u##*:}
	d="$(e2e_dir)/$n"
	mkdir -p "$d/run" "$d/etc"
	ip netns add "$E2E-$n" || return 1
	ip link add eth0 netns "$E2E-$n" type veth peer name "p$n" netns "$E2E-sw" || return 1
	ip -n "$E2E-sw" link set "p$n" master br0
	_e2e_link_up_all "$E2E-$n"
	_e2e_link_up_all "$E2E-sw"
	ip -n "$E2E-$n" addr add "$addr" dev eth0
	ip -n "$E2E-$n" route add default via "$gw"
	# a mount namespace of its own, kept alive by a bind mount
	touch "$d/mnt"
	unshare --mount="$d/mnt" --propagation private sh -c "
		mkdir -p /run/wireguard /etc/meshc &&
		mount -t tmpfs -o mode=0755 meshc-e2e /run/wireguard &&
		mount --bind '$d/etc' /etc/meshc" || return 1
	umask 077
	"$MESHC" genkey >"$d/etc/private.key" || return 1
	umask 022
	"$MESHC" pubkey <"$d/etc/private.key" >"$d/public.key"
}

# e2e_topology NODE...: router, bridge, internet host, b's lan
e2e_topology() {
	mkdir -p "$(e2e_dir)"
	# the per-node mount namespace files need a private mount to live on
	mount --bind "$(e2e_dir)" "$(e2e_dir)" && mount --make-private "$(e2e_dir)"
	for n in sw r net lan; do ip netns add "$E2E-$n" || return 1; done
	ip -n "$E2E-sw" link add br0 type bridge
	ip link add inside netns "$E2E-r" type veth peer name pr netns "$E2E-sw"
	ip -n "$E2E-sw" link set pr master br0
	ip link add wan netns "$E2E-r" type veth peer name eth0 netns "$E2E-net"
	for n in sw r net; do _e2e_link_up_all "$E2E-$n"; done
	for a in 198.51.100.1/24 203.0.113.1/24 10.0.3.1/24; do
		ip -n "$E2E-r" addr add $a dev inside
	done
	ip -n "$E2E-r" addr add "$E2E_NET_GW/24" dev wan
	ip -n "$E2E-net" addr add "$E2E_NET_HOST/24" dev eth0
	ip -n "$E2E-net" route add default via "$E2E_NET_GW"
	host_exec r sysctl -qw net.ipv4.ip_forward=1
	# c sits behind the router's NAT, like a laptop in a cafe
	host_exec r nft -f - <<'NFT' || return 1
table ip nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.0.3.0/24 ip daddr != 10.0.3.0/24 masquerade
	}
}
NFT
	# "the internet": answers TCP on 8080 with the address it sees
	# (cleanup kills every process of our namespaces, this one included)
	host_exec net socat TCP-LISTEN:8080,reuseaddr,fork \
		SYSTEM:'echo $SOCAT_PEERADDR' </dev/null >/dev/null 2>&1 &
	for n in "$@"; do e2e_node "$n" || return 1; done
	# b's lan (or E2E_LAN_NODE's)
	lan_node=${E2E_LAN_NODE:-b}
	ip link add lan0 netns "$E2E-$lan_node" type veth peer name eth0 netns "$E2E-lan"
	_e2e_link_up_all "$E2E-$lan_node"
	_e2e_link_up_all "$E2E-lan"
	ip -n "$E2E-$lan_node" addr add 192.168.2.1/24 dev lan0
	ip -n "$E2E-lan" addr add "$E2E_LAN_HOST/24" dev eth0
	ip -n "$E2E-lan" route add default via 192.168.2.1
}

# e2e_document TEMPLATE OUT NODE...: the template with every node's
# public_key replaced by the key generated for it
e2e_document() {
	tmpl=$1 out=$2
	shift 2
	cp "$tmpl" "$out"
	for n in "$@"; do
		key=$(cat "$(e2e_dir)/$n/public.key")
		python3 - "$out" "$n" "$key" <<'PY'
import re, sys
path, node, key = sys.argv[1:]
text = open(path).read()
# the public_key line inside the node's block
pat = re.compile(r'(\n  ' + re.escape(node) + r':[ \t]*(?:#[^\n]*)?\n(?:    .*\n|\s*#.*\n)*?    public_key: )"[^"]*"')
text, n = pat.subn(lambda m: m.group(1) + '"' + key + '"', text, count=1)
if n != 1:
    sys.exit("no public_key for node " + node)
open(path, "w").write(text)
PY
	done
}

# mesh_addr DOC NODE [4|6]: the node's mesh address, from the compiler
mesh_addr() {
	"$MESHC" compile "$1" --node "$2" --target json | python3 -c '
import json, sys
fam = sys.argv[1]
for a in json.load(sys.stdin)["interface"]["addresses"]:
    ip = a.split("/")[0]
    if (":" in ip) == (fam == "6"):
        print(ip); break' "${3:-4}"
}

# reach NODE ADDR: one ping answered within 2 s (IPv6 when ADDR has ':')
reach() {
	case $2 in
	*:*) f=-6 ;;
	*) f=-4 ;;
	esac
	_e2e_exec "$1" ping $f -c 1 -W 2 "$2" >/dev/null 2>&1
}

# tcp_seen NODE: the address the internet host sees for NODE's TCP
tcp_seen() {
	_e2e_exec "$1" timeout 5 socat -T 3 - "TCP:$E2E_NET_HOST:8080" </dev/null 2>/dev/null
}

_e2e_exec() {
	n=$1
	shift
	case $n in
	lan | net | r | sw) host_exec "$n" "$@" ;;
	*) node_exec "$n" "$@" ;;
	esac
}

# Warm the tunnels: the first packet of a peer waits for its handshake.
e2e_warm() {	# PAIRS: "a:ADDR b:ADDR ..."
	for p in "$@"; do
		_e2e_exec "${p%%:*}" ping -c 3 -i 0.2 -W 1 "${p#*:}" >/dev/null 2>&1 || true
	done
}

e2e_cleanup() {
	d=$(e2e_dir)
	[ -n "$E2E" ] || return 0
	# every wireguard-go started in one of our namespaces
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$E2E-"); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
	done
	sleep 0.3
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$E2E-"); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	for m in "$d"/*/mnt; do [ -e "$m" ] && umount "$m" 2>/dev/null; done
	umount "$d" 2>/dev/null
	rm -rf "$d"
	rmdir /run/meshc-e2e 2>/dev/null	# when no other run uses it
	return 0
}

# e2e_snapshot NODE [IFACE...]: everything meshc could have touched on a
# node, for byte-for-byte before/after comparisons: links, addresses,
# routes and rules (v4 and v6, all tables), the nftables ruleset, the
# sysctls meshc may set, the UAPI socket directory, and a digest of each
# IFACE's WireGuard configuration (wg(8) asks the node's UAPI socket).
e2e_snapshot() {
	n=$1
	shift
	node_exec "$n" env E2E_PEERS_SORTED="$E2E_PEERS_SORTED" sh -c '
		exec 2>/dev/null
		ip -o link show | sed "s/^[0-9]*: //; s/ link\/.*//" | grep -v "^lo"
		ip -o addr show | grep -v " lo " | sed "s/^[0-9]*: //; s/valid_lft.*//"
		ip route show table all | grep -v "^local\|^broadcast\|^multicast\|table local"
		ip -6 route show table all | grep -v "^local\|^multicast\|table local\|^fe80\|^anycast"
		ip rule show; ip -6 rule show
		nft list ruleset
		sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.conf.all.src_valid_mark
		echo "/run/wireguard:" $(ls /run/wireguard)
		for i in "$@"; do
			echo "wg showconf $i: $(wg showconf "$i" 2>&1 |
				python3 -c "$E2E_PEERS_SORTED" | sha256sum)"
		done' sh "$@"
}

# wg showconf with its [Peer] sections sorted: wireguard-go lists peers
# in Go map order, which changes from one call to the next
E2E_PEERS_SORTED='
import sys
parts = sys.stdin.read().strip().split("\n\n")
print("\n\n".join(parts[:1] + sorted(parts[1:])))'

# e2e_node_pids NODE [COMM]: the processes in the node's network
# namespace (only those whose command name is COMM when given)
e2e_node_pids() {
	for pid in $(ip netns pids "$E2E-$1" 2>/dev/null); do
		[ -z "${2:-}" ] || [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$2" ] &&
			echo "$pid"
	done
}
