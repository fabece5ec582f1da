#!/bin/sh
# Time meshc apply against the standard tools for one node with N-1 peers
# (node n0 of a generated N-node mesh), on wireguard-go, in a network and
# mount namespace of its own (nothing leaves it).
#
#   fresh:  meshc apply onto an empty node
#           vs wireguard-go + wg setconf + ip -batch + nft -f of meshc's
#           own rendered outputs (the same state)
#   no-op:  a second meshc apply
#           vs wg syncconf + ip -batch + nft -f of the same files
#
# usage: bench/apply.sh [N] [RUNS]   (root; hyperfine, wireguard-go, wg)
set -eu
N=${1:-1000}
RUNS=${2:-10}
cd "$(dirname "$0")/.."
MESHC=${MESHC:-$PWD/meshc}
work=$(mktemp -d /run/meshc-bench.XXXXXX)
ns=mcbench$$
mkdir -p "$work/etc" "$work/run"
cleanup() {
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	umount "$work/mnt" 2>/dev/null
	umount "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
mount --bind "$work" "$work" && mount --make-private "$work"
ip netns add "$ns"
touch "$work/mnt"
unshare --mount="$work/mnt" --propagation private sh -c "
	mkdir -p /run/wireguard /etc/meshc &&
	mount -t tmpfs bench /run/wireguard &&
	mount --bind '$work/etc' /etc/meshc"
ip -n "$ns" link set lo up
# an uplink for the masquerade rule
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up
RUN="env MESHC_RUN_DIR=$work/run nsenter --net=/run/netns/$ns --mount=$work/mnt --"

(umask 077 && "$MESHC" genkey >"$work/etc/private.key")
pub=$("$MESHC" pubkey <"$work/etc/private.key")
python3 tests/tools/genmesh.py "$N" |
	sed "0,/^    public_key: .*/s||    public_key: \"$pub\"|" >"$work/mesh.yaml"
DOC=$work/mesh.yaml
$RUN "$MESHC" compile "$DOC" --node n0 --target wg --with-secrets >"$work/n0.wg"
chmod 600 "$work/n0.wg"
"$MESHC" compile "$DOC" --node n0 --target nft >"$work/n0.nft"
"$MESHC" compile "$DOC" --node n0 --target routes >"$work/n0.routes"
ifname=$("$MESHC" compile "$DOC" --node n0 --target json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["interface"]["name"])')
peers=$(grep -c '^\[Peer\]' "$work/n0.wg")

tools_up="wireguard-go $ifname && wg setconf $ifname $work/n0.wg && ip link set $ifname up && ip -batch $work/n0.routes && nft -f $work/n0.nft && sysctl -qw net.ipv4.ip_forward=1"
tools_down="ip link del $ifname 2>/dev/null; nft delete table inet meshc 2>/dev/null; rm -f /run/wireguard/$ifname.sock; true"
tools_noop="wg syncconf $ifname $work/n0.wg && ip -batch $work/n0.routes && nft -f $work/n0.nft"

echo "node n0: $peers peers on wireguard-go, $(grep -c . "$work/n0.nft") nft lines"
hyperfine -N --style basic --runs "$RUNS" --export-json "$work/fresh.json" \
	--prepare "$RUN sh -c '$tools_down; $MESHC down $DOC -q >/dev/null 2>&1; true'" \
	-n "meshc apply (fresh)" "$RUN $MESHC apply $DOC -q" \
	-n "wireguard-go + wg setconf + ip -batch + nft -f (fresh)" "$RUN sh -c '$tools_up'" >/dev/null
$RUN sh -c "$tools_down"
$RUN "$MESHC" apply "$DOC" -q
hyperfine -N --style basic --runs "$RUNS" --warmup 1 --export-json "$work/noop.json" \
	-n "meshc apply (no-op)" "$RUN $MESHC apply $DOC -q" \
	-n "wg syncconf + ip -batch + nft -f (no-op)" "$RUN sh -c '$tools_noop'" >/dev/null
python3 - "$work/fresh.json" "$work/noop.json" <<'PY'
import json, sys
print(f"{'command':58} {'median':>9} {'min':>9} {'max':>9}")
for path in sys.argv[1:]:
    rs = json.load(open(path))["results"]
    for r in rs:
        print(f"{r['command']:58} {r['median']*1000:8.1f}ms {r['min']*1000:8.1f}ms {r['max']*1000:8.1f}ms")
    print(f"  ratio meshc / standard tools: {rs[0]['median'] / rs[1]['median']:.2f}")
PY
$RUN "$MESHC" down "$DOC" -q
