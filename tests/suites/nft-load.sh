#!/bin/sh
# Every golden nft output is accepted by the kernel: checked with
# `nft -c -f` and then really loaded with `nft -f` (twice: reloading must
# replace, not add) in a throwaway network namespace; loaded together,
# each interface's file leaves the other interfaces' parts as they were.  Every golden routes
# output is accepted by `ip -batch` in a namespace with its interface.
set -u
[ "$(id -u)" = 0 ] || exit 77
command -v nft >/dev/null || exit 77
fail=0 n=0
NS=mcnft$$
trap 'ip netns del $NS 2>/dev/null; ip netns del ${NS}b 2>/dev/null' EXIT INT TERM
# An unmanaged node's golden nft/routes output is compile's refusal (it
# points at meshc export; tests/suites/golden.sh checks its text): there
# is nothing to load.
refused() { grep -q "is not managed" "$1"; }
for f in tests/golden/*/*.nft.out; do
	[ -f "$f" ] || continue
	refused "$f" && continue
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
# All golden files, one after the other, into one namespace: each
# replaces only its own interface's part.  Afterwards every interface's
# part (the last file loaded for it) lists exactly as when that file is
# loaded alone.
part_listing() { # NS FILE: every chain and set the file declares
	sed -n 's/^add \(chain\|set\) inet meshc \([^ ]*\).*/\1 \2/p' "$2" |
	while read -r kind name; do
		ip netns exec "$1" nft list "$kind" inet meshc "$name" 2>&1
	done
}
ip netns add $NS || exit 1
last=$(mktemp -d)
for f in tests/golden/*/*.nft.out; do
	[ -f "$f" ] || continue
	refused "$f" && continue
	iface=$(sed -n 's|^add chain inet meshc \([^/]*\)/input$|\1|p' "$f")
	ip netns exec $NS nft -f "$f" || echo "FAIL shared load $f"
	echo "$f" >"$last/$iface"
done
n=$((n + 1))
for i in "$last"/*; do
	f=$(cat "$i")
	ip netns add ${NS}b || exit 1
	ip netns exec ${NS}b nft -f "$f"
	shared=$(part_listing $NS "$f")
	case $shared in *"chain $(basename "$i")/from_mesh {"*) ;; *)
		echo "FAIL no part of $(basename "$i") after loading all files"
		fail=$((fail + 1)) ;;
	esac
	if [ "$shared" != "$(part_listing ${NS}b "$f")" ]; then
		echo "FAIL part of $(basename "$i") ($f) changed by other parts"
		fail=$((fail + 1))
	fi
	ip netns del ${NS}b
done
rm -rf "$last"
ip netns del $NS
for f in tests/golden/*/*.routes.out; do
	[ -f "$f" ] || continue
	refused "$f" && continue
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
