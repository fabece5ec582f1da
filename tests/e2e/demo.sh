#!/bin/sh
# make demo: the seed scenario (examples/seed.yaml) applied by meshc on
# three nodes in network namespaces, and who reaches whom measured with
# real packets next to what `meshc explain` predicts from the compiled
# plans.  Everything is removed at the end.
set -u
cd "$(dirname "$0")/../.." || exit 1
MESHC=${MESHC:-$PWD/meshc}
E2E=mcdemo$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
SEED=${1:-examples/seed.yaml}
NODES="a b c"

echo "== building the test network (namespaces, router, b's lan, an internet host)"
e2e_topology $NODES || { echo "demo: cannot build the network" >&2; exit 1; }
DOC=$(e2e_dir)/seed.yaml
# the example's keys belong to nobody: each node gets a fresh key
e2e_document "$SEED" "$DOC" $NODES || exit 1
for n in $NODES; do
	echo "== meshc apply on $n (node chosen by its private key)"
	node_exec "$n" "$MESHC" apply "$DOC" | tail -n 1 | sed 's/^/   /'
done
A=$(mesh_addr "$DOC" a) B=$(mesh_addr "$DOC" b) C=$(mesh_addr "$DOC" c)
e2e_warm "a:$B" "c:$B" "b:$A" "b:$C"

measure() {	# FROM TARGET -> allow|deny
	case $2 in
	internet) seen=$(tcp_seen "$1"); [ -n "$seen" ] && echo "allow($seen)" || echo deny ;;
	lan:b) reach "$1" "$E2E_LAN_HOST" && echo allow || echo deny ;;
	a) reach "$1" "$A" && echo allow || echo deny ;;
	b) reach "$1" "$B" && echo allow || echo deny ;;
	c) reach "$1" "$C" && echo allow || echo deny ;;
	esac
}
echo
echo "== who reaches whom: measured with packets / predicted by meshc explain"
printf '%-6s' "from"
for t in a b c lan:b internet; do printf '  %-26s' "to $t"; done
echo
mismatch=0
for f in $NODES; do
	printf '%-6s' "$f"
	for t in a b c lan:b internet; do
		if [ "$f" = "$t" ]; then printf '  %-26s' "-"; continue; fi
		got=$(measure "$f" "$t")
		want=$("$MESHC" explain "$DOC" "$f" "$t" | head -n 1 | cut -d: -f1)
		mark=" "
		[ "${got%%(*}" = "$want" ] || { mark="!"; mismatch=$((mismatch + 1)); }
		printf '  %-26s' "$got / $want$mark"
	done
	echo
done
echo
echo "internet: a TCP connection to $E2E_NET_HOST:8080 (in brackets: the source address it saw)"
echo "lan:b: ping $E2E_LAN_HOST behind b"
echo
echo "why c cannot reach a:"
"$MESHC" explain "$DOC" c a | sed 's/^/   /'
echo
for n in $NODES; do node_exec "$n" "$MESHC" down "$DOC" -q; done
if [ "$mismatch" = 0 ]; then
	echo "== every measurement matches meshc's prediction; namespaces removed"
else
	echo "== $mismatch measurements differ from the prediction (marked !)"
	exit 1
fi
