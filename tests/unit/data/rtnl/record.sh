#!/bin/sh
# record.sh - re-record fixtures.inc (root, iproute2, libmnl-dev, cc).
#
# Builds a throwaway network namespace holding meshc's items (protocol 77)
# next to foreign ones, and records the kernel's replies to the requests
# rtnl.c sends.  The namespace is removed again.  Run from anywhere:
#   sh tests/unit/data/rtnl/record.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=meshc-rtnl-rec-$$
tmp=$(mktemp -d)
trap 'ip netns del "$ns" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM

cc -o "$tmp/record" "$here/record.c" $(pkg-config --cflags --libs libmnl)

ip netns add "$ns"
n() { ip -n "$ns" "$@"; }
n link set lo up
n link add meshx type veth peer name p
n tuntap add dev meshtun mode tun
n link set meshx mtu 1420 up
n link set p up

# addresses: ours on meshx (one with a prefix length meshc never uses),
# foreign ones on p; the kernel adds fe80:: to both
n addr add 100.64.0.2/32 dev meshx
n addr add 100.64.1.5/24 dev meshx
n -6 addr add fd00:64::2/128 dev meshx nodad
n addr add 192.0.2.1/24 dev p
n -6 addr add fd00:99::1/64 dev p nodad

# meshx's policy mark M (fwmark and table, plan_policy_mark("meshx")) and
# that of another meshc interface, meshy
mx=0x4d43ab78
my=0x4d43491f

# routes: meshc's (proto 77) in main and in table M, one through
# another device; foreign ones without proto 77
n route add 100.64.0.0/24 dev meshx proto 77
n route add 0.0.0.0/0 dev meshx proto 77 table $((mx))
n route add 10.77.0.0/16 dev p proto 77
n route add 10.9.0.0/16 dev meshx proto static
n route add 198.51.100.0/24 dev meshx table 100
n -6 route add fd00:64::/64 dev meshx proto 77
n -6 route add ::/0 dev meshx proto 77 table $((mx))
n -6 route add fd00:55::/48 dev meshx proto static

# rules: meshx's pair per family, then meshy's (another interface's,
# same priorities, its own mark); foreign ones; a proto 77 rule meshc
# cannot have made (not a table lookup)
for f in -4 -6; do
	for m in $mx $my; do
		n $f rule add priority 32100 not fwmark $m lookup main \
			suppress_prefixlength 0 proto 77
		n $f rule add priority 32101 not fwmark $m lookup $((m)) \
			proto 77
	done
done
n rule add priority 1000 fwmark 0x1 lookup 100
n rule add priority 500 prohibit proto 77
n -6 rule add priority 2000 lookup 200

ip netns exec "$ns" "$tmp/record" > "$tmp/fixtures.inc"
mv "$tmp/fixtures.inc" "$here/fixtures.inc"
echo "wrote $here/fixtures.inc"
