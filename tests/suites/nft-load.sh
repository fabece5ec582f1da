#!/bin/sh
# Every golden nft output is accepted by the kernel: checked with
# `nft -c -f` and then really loaded with `nft -f` (twice: reloading must
# replace, not add) in a throwaway network namespace.  Every golden routes
# output is accepted by `ip -batch` in a namespace with its interface.
set -u
[ "$(id -u)" = 0 ] || exit 77
command -v nft >/dev/null || exit 77
fail=0 n=0
NS=mcnft$$
trap 'ip netns del $NS 2>/dev/null' EXIT INT TERM
for f in tests/golden/*/*.nft.out; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	ip netns add $NS || exit 1
	if ! ip netns exec $NS nft -c -f "$f" ||
	   ! ip netns exec $NS nft -f "$f" ||
	   ! ip netns exec $NS nft -f "$f" ||
	   [ "$(ip netns exec $NS nft list tables)" != "table inet meshc" ]; then
		echo "FAIL nft load $f"
		fail=$((fail + 1))
	fi
	ip netns del $NS
done
for f in tests/golden/*/*.routes.out; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	dev=$(sed -n 's/.* dev \([^ ]*\).*/\1/p' "$f" | head -n 1)
	ip netns add $NS || exit 1
	# a veth stands in for the WireGuard interface (no dummy module here)
	[ -z "$dev" ] || { ip -n $NS link add "$dev" type veth peer name mcpeer &&
		ip -n $NS link set "$dev" up && ip -n $NS link set mcpeer up; }
	if ! ip -n $NS -batch "$f" ||
	   ! sed -n 's/^#ip6 //p' "$f" | ip -n $NS -6 -batch -; then
		echo "FAIL ip -batch $f"
		fail=$((fail + 1))
	fi
	ip netns del $NS
done
[ "$n" -gt 0 ] || { echo "FAIL nft-load: no golden outputs"; exit 1; }
echo "ok   nft-load: $((n - fail)) of $n golden nft/routes files load"
[ "$fail" = 0 ]
