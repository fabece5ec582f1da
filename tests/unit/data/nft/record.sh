#!/bin/sh
# record.sh - re-record fixtures.inc (root, nft, cc; builds libmeshc.a).
#
# In a throwaway network namespace, records the kernel's replies to the
# requests nft_read() sends for six tables, one after the other:
#   ours      examples/seed.yaml node b (part meshx/), loaded with meshc's
#             own batch
#   two       node b's part and node c's (meshy/), each with meshc's batch
#   rendered  node b's `meshc compile --target nft` file, nft -f
#   relay     examples/hub.yaml node hub (part wghub/: a relay, pair sets),
#             loaded with meshc's own batch
#   relay_rendered  node hub's `meshc compile --target nft` file, nft -f
#   foreign   a table inet meshc without meshc's mark
# (fixtures-legacy.inc holds meshc 0.1's table, recorded by 0.1's script.)
# Run from anywhere:  sh tests/unit/data/nft/record.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

make -C "$root" -s meshc build/libmeshc.a
cc -std=c11 -D_GNU_SOURCE -I"$root/src" -o "$tmp/record" "$here/record.c" \
	"$root/build/libmeshc.a" \
	$(pkg-config --cflags --libs yaml-0.1 libsodium libmnl libnftnl)

cd "$root"
"$root/meshc" compile examples/seed.yaml --node b --target nft >"$tmp/b.nft"
"$root/meshc" compile examples/hub.yaml --node hub --target nft >"$tmp/hub.nft"
cat >"$tmp/foreign.nft" <<'EOF'
table inet meshc {
	chain input {
		type filter hook input priority 0; policy accept;
		counter
	}
}
EOF
{
	echo '/* Recorded by tests/unit/data/nft/record.sh: nf_tables replies for'
	echo ' * six versions of table inet meshc (see record.sh).  Do not edit. */'
	echo
	unshare -n sh -c "
		set -e
		'$tmp/record' ours examples/seed.yaml b
		nft delete table inet meshc
		'$tmp/record' two examples/seed.yaml b c
		nft delete table inet meshc
		nft -f '$tmp/b.nft'
		'$tmp/record' rendered
		nft delete table inet meshc
		'$tmp/record' relay examples/hub.yaml hub
		nft delete table inet meshc
		nft -f '$tmp/hub.nft'
		'$tmp/record' relay_rendered
		nft delete table inet meshc
		nft -f '$tmp/foreign.nft'
		'$tmp/record' foreign
	"
} >"$tmp/fixtures.inc"
mv "$tmp/fixtures.inc" "$here/fixtures.inc"
echo "wrote $here/fixtures.inc"
