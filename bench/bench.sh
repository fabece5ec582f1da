#!/bin/sh
# make bench: time meshc against the standard tools and the libraries'
# floors for node n0 of generated one-mesh documents of N nodes (n0 has
# N-1 peers), on wireguard-go, in a network and mount namespace of its own
# (nothing leaves it).  Every step, both sides, the same state, the same
# run; the whole measurement BENCH_REPEAT times for the spread.  Writes
# bench/results.md and bench/results.png (bench/report.py).
#
# Environment (all optional):
#   BENCH_SIZES   node counts, default "100 1000 10000" (+50000 with
#                 BENCH_FULL=1)
#   BENCH_RUNS    hyperfine runs per command (default 10, 5 at N>1000,
#                 3 at N>10000)
#   BENCH_REPEAT  whole measurements (default 2)
#   BENCH_RSS_RUNS  /usr/bin/time runs per peak-RSS figure (default 3)
#   BENCH_DIFF_SIZES  mesh sizes of the CI diff steps (default
#                 "1000 3000 10000")
#   BENCH_DIFF_FULL_RUNS  runs of the full-compile diff, the CI diff's
#                 peer (default 3 up to 1,000 nodes, else 1: minutes each)
#   BENCH_NOTE    a line printed at the top of results.md
#   BENCH_OUT     where results.* go (default bench/)
#   BENCH_RAW     where the raw data is copied (default build/bench/raw)
#   MESHC, BENCH_BIN (libyaml_floor, uapi_write and nft_batch), default
#   ./meshc and build/bench
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
MESHC=${MESHC:-$ROOT/meshc}
BIN=${BENCH_BIN:-$ROOT/build/bench}
SIZES=${BENCH_SIZES:-"100 1000 10000"}
if [ -z "${BENCH_SIZES:-}" ] && [ "${BENCH_FULL:-0}" = 1 ]; then
	SIZES="$SIZES 50000"
fi
REPEAT=${BENCH_REPEAT:-2}
RSS_RUNS=${BENCH_RSS_RUNS:-3}
DIFF_SIZES=${BENCH_DIFF_SIZES:-"1000 3000 10000"}
OUT=${BENCH_OUT:-$ROOT/bench}
RAW=${BENCH_RAW:-$ROOT/build/bench/raw}

if [ "$(id -u)" != 0 ]; then
	echo "bench: needs root (network namespaces)" >&2
	exit 77
fi
for t in hyperfine wireguard-go wg nft ip strace python3 /usr/bin/time \
	"$MESHC" "$BIN/libyaml_floor" "$BIN/uapi_write" "$BIN/nft_batch"; do
	command -v "$t" >/dev/null || { echo "bench: missing $t" >&2; exit 77; }
done

runs_for() {
	if [ -n "${BENCH_RUNS:-}" ]; then echo "$BENCH_RUNS"
	elif [ "$1" -le 1000 ]; then echo 10
	elif [ "$1" -le 10000 ]; then echo 5
	else echo 3
	fi
}

work=$(mktemp -d /run/meshc-bench.XXXXXX)
data=$work/data
ns=mcbench$$
pns=${ns}p
mkdir -p "$work/etc" "$work/run" "$data"
cleanup() {
	for f in "$work"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	for p in $(ip netns pids "$pns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	ip netns del "$pns" 2>/dev/null
	umount "$work/mnt" 2>/dev/null
	umount "$work" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount --bind "$work" "$work" && mount --make-private "$work"
ip netns add "$ns"
touch "$work/mnt"
# /run/wireguard and /etc/meshc of our own: the sockets and the key of the
# benchmark node never meet the machine's.
unshare --mount="$work/mnt" --propagation private sh -c "
	mkdir -p /run/wireguard /etc/meshc &&
	mount -t tmpfs bench /run/wireguard &&
	mount --bind '$work/etc' /etc/meshc"
ip -n "$ns" link set lo up
# an uplink for the masquerade rule (a veth whose peer stays inside too)
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 up
RUN="env MESHC_RUN_DIR=$work/run nsenter --net=/run/netns/$ns --mount=$work/mnt --"

(umask 077 && "$MESHC" genkey >"$work/etc/private.key" &&
	"$MESHC" genkey >"$work/peer.key")
pub=$("$MESHC" pubkey <"$work/etc/private.key")
ppub=$("$MESHC" pubkey <"$work/peer.key")

# Node n3 for real, in a namespace of its own linked to n0's by a veth
# (n0's endpoint 198.18.0.1, n3's 198.19.0.3, as genmesh writes them): a
# live session whose handshake must survive another peer's key rotation.
ip netns add "$pns"
ip -n "$pns" link set lo up
ip link add vb0 netns "$ns" type veth peer name vp0 netns "$pns"
ip -n "$ns" addr add 198.18.0.1/15 dev vb0
ip -n "$ns" link set vb0 up
ip -n "$pns" addr add 198.19.0.3/15 dev vp0
ip -n "$pns" link set vp0 up
PRUN="nsenter --net=/run/netns/$pns --mount=$work/mnt --"
$PRUN wireguard-go peer0 >/dev/null 2>&1
# listening on n3's documented port: after roaming, n0 sees the
# endpoint the document gives, so a correct apply has no reason to touch it
$PRUN wg set peer0 private-key "$work/peer.key" listen-port 51820 peer "$pub" \
	endpoint 198.18.0.1:51820 allowed-ips 10.64.0.0/16
$PRUN ip addr add 10.64.0.4/16 dev peer0
$PRUN ip link set peer0 up

log=$work/hyperfine.log
say() { printf '%s  %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# gen N: documents A (as is), B (node n2's key rotated) and G (node n5's
# grant changed) with n0 given our key, and n0's rendered outputs, in
# $work/nN.
gen() {
	d=$work/n$1
	[ -d "$d" ] && return 0
	mkdir -p "$d"
	for v in A B G S; do
		edit=
		[ $v = B ] && edit="--rotate 2"
		[ $v = G ] && edit="--grant 5"
		[ $v = S ] && edit="--services"
		# shellcheck disable=SC2086
		python3 tests/tools/genmesh.py "$1" $edit |
			sed "0,/^    public_key: .*/s||    public_key: \"$pub\"|" |
			awk -v k="$ppub" '/^  n3:$/ { f = 1 }
				f && /^    public_key:/ { print "    public_key: \"" k "\""; f = 0; next }
				{ print }' >"$d/$v.yaml"
		case $v in G | S) continue ;; esac
		(umask 077 && $RUN "$MESHC" compile "$d/$v.yaml" --node n0 \
			--target wg --with-secrets >"$d/$v.wg")
		for t in nft routes sysctl; do
			"$MESHC" compile "$d/$v.yaml" --node n0 --target $t >"$d/$v.$t"
		done
	done
	# the device with its key and port but no peer: the fresh WireGuard step
	(umask 077 && sed '/^\[Peer\]/,$d' "$d/A.wg" >"$d/iface.wg")
	"$MESHC" compile "$d/A.yaml" --node n0 --target json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["interface"]["name"])' \
		>"$d/ifname"
}

# Set the step's variables for size $1.
use() {
	N=$1
	d=$work/n$N
	A=$d/A.yaml
	B=$d/B.yaml
	G=$d/G.yaml
	DOC=$d/mesh.yaml	# the document's one path, A's or B's text
	IF=$(cat "$d/ifname")
	RUNS=$(runs_for "$N")
	# An empty node.  A wireguard-go whose device is deleted takes a while
	# to exit with thousands of peers, and removes IF.sock when it does:
	# wait for it, or it removes the next run's socket.
	cat >"$work/down.sh" <<-EOF
		$MESHC down $A -q >/dev/null 2>&1
		ip link del $IF 2>/dev/null
		nft delete table inet meshc 2>/dev/null
		self=\$(readlink /proc/self/ns/net)
		while :; do
			busy=
			for p in \$(pidof wireguard-go); do
				[ "\$(readlink /proc/\$p/ns/net 2>/dev/null)" = "\$self" ] && busy=1
			done
			[ -z "\$busy" ] && break
			sleep 0.02
		done
		rm -f /run/wireguard/$IF.sock
		true
	EOF
	down="sh $work/down.sh"
	tools_up="wireguard-go $IF && wg setconf $IF $d/A.wg && ip link set $IF up && ip -batch $d/A.routes && nft -f $d/A.nft && sysctl -q -p $d/A.sysctl"
	tools_noop="wg syncconf $IF $d/A.wg && ip -batch $d/A.routes && nft -f $d/A.nft && sysctl -q -p $d/A.sysctl"
	tools_change="wg syncconf $IF $d/B.wg && ip -batch $d/B.routes && nft -f $d/B.nft && sysctl -q -p $d/B.sysctl"
}

in_ns() { $RUN sh -c "$1"; }

# hf REP STEP hyperfine-args...: one step, its JSON kept for the report.
hf() {
	f=$data/r$1-n$N-$2.json
	shift 2
	echo "== $f" >>"$log"
	hyperfine -N --style basic --runs "$RUNS" --export-json "$f" "$@" \
		>>"$log" 2>&1 || { tail -20 "$log" >&2; return 1; }
}

measure() {
	rep=$1
	say "rep $rep  N=$N ($RUNS runs): compile"
	hf "$rep" compile --warmup 1 \
		-n "meshc compile --target json" "$MESHC compile $A --node n0 --target json" \
		-n "libyaml event loop" "$BIN/libyaml_floor $A"

	say "rep $rep  N=$N: fresh apply"
	hf "$rep" fresh --prepare "$RUN $down" \
		-n "meshc apply (empty node)" "$RUN $MESHC apply $A -q" \
		-n "wireguard-go + wg setconf + ip -batch + nft -f" "$RUN sh -c '$tools_up'"

	say "rep $rep  N=$N: fresh WireGuard step"
	in_ns "$down"
	$RUN "$MESHC" apply "$A" -q
	hf "$rep" freshwg --prepare "$RUN wg setconf $IF $d/iface.wg" \
		-n "meshc apply (device without peers)" "$RUN $MESHC apply $A -q" \
		-n "raw UAPI set=1 write" "$RUN $BIN/uapi_write $d/A.wg $IF" \
		-n "wg setconf" "$RUN wg setconf $IF $d/A.wg"
	# the same run without the write: apply minus this is meshc's write
	$RUN wg setconf "$IF" "$d/iface.wg"
	hf "$rep" freshwgdry -i \
		-n "meshc apply --dry-run (device without peers)" "$RUN $MESHC apply $A -q --dry-run"

	say "rep $rep  N=$N: no-op apply"
	$RUN "$MESHC" apply "$A" -q
	hf "$rep" noop --warmup 1 \
		-n "meshc apply (no-op)" "$RUN $MESHC apply $A -q" \
		-n "wg syncconf + ip -batch + nft -f" "$RUN sh -c '$tools_noop'"

	# The same with another program committing a ruleset change before
	# each run: meshc's record of its table (nft.mark, meshc(8)) no
	# longer holds, so it dumps the table as well.
	hf "$rep" noopcold \
		--prepare "$RUN sh -c 'nft add table inet meshc_bench && nft delete table inet meshc_bench'" \
		-n "meshc apply (no-op, ruleset changed since)" "$RUN $MESHC apply $A -q" \
		-n "wg syncconf + ip -batch + nft -f" "$RUN sh -c '$tools_noop'"

	say "rep $rep  N=$N: one peer changed"
	# as in GitOps, the new version of the document arrives at the path
	# of the old one (meshc knows that path's interface from its last run)
	hf "$rep" change --prepare "$RUN sh -c 'cp $A $DOC && $MESHC apply $DOC -q && cp $B $DOC'" \
		-n "meshc apply (one key rotated)" "$RUN $MESHC apply $DOC -q" \
		-n "wg syncconf + ip -batch + nft -f" "$RUN sh -c '$tools_change'"

	say "rep $rep  N=$N: firewall load"
	$RUN "$MESHC" apply "$A" -q
	# the floor: the same table, dumped from the kernel as one libnftnl
	# batch, loaded with nothing parsed
	$RUN "$BIN/nft_batch" save "$d/fw.batch"
	hf "$rep" firewall --prepare "$RUN nft delete table inet meshc" \
		-n "meshc apply (only the table missing)" "$RUN $MESHC apply $A -q" \
		-n "nft -f" "$RUN nft -f $d/A.nft" \
		-n "libnftnl batch (nft_batch load)" "$RUN $BIN/nft_batch load $d/fw.batch"
	$RUN nft delete table inet meshc
	hf "$rep" firewalldry -i \
		-n "meshc apply --dry-run (only the table missing)" "$RUN $MESHC apply $A -q --dry-run"
	$RUN "$MESHC" apply "$A" -q
}

measure_diff() {
	say "rep $1  N=$N ($RUNS runs): CI diff"
	hf "$1" diff --warmup 1 -i \
		-n "meshc diff OLD NEW (all nodes)" "$MESHC diff $A $B"
	# its peer: the same diff with every node compiled in full
	# (MESHC_DIFF_FULL=1, meshc(8)), minutes at 10,000 nodes, so with
	# few runs of its own; the result joins the step's JSON
	full_runs=${BENCH_DIFF_FULL_RUNS:-$([ "$N" -le 1000 ] && echo 3 || echo 1)}
	say "rep $1  N=$N ($full_runs runs): CI diff, every node in full"
	f=$data/full-r$1-n$N.json
	hyperfine -N --style basic --runs "$full_runs" -i --export-json "$f" \
		-n "meshc diff OLD NEW, every node compiled in full" \
		"env MESHC_DIFF_FULL=1 $MESHC diff $A $B" >>"$log" 2>&1 ||
		{ tail -20 "$log" >&2; return 1; }
	python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))
a["results"] += json.load(open(sys.argv[2]))["results"]
json.dump(a, open(sys.argv[1], "w"))' "$data/r$1-n$N-diff.json" "$f"
	rm -f "$f"
	hf "$1" diffgrant --warmup 1 -i \
		-n "meshc diff OLD NEW (all nodes, one grant changed)" "$MESHC diff $A $G"
	# what entering the namespace costs every apply and tools row above
	hf "$1" baseline --warmup 1 -n "env + nsenter + true" "$RUN true"
}

# ---- checks (first repetition only) ---------------------------------------

# peak RSS in KiB, the max over RSS_RUNS runs: rss LABEL PREPARE CMD...
rss() {
	label=$1 prep=$2 max=0
	shift 2
	i=0
	while [ $i -lt "$RSS_RUNS" ]; do
		[ -n "$prep" ] && in_ns "$prep"
		$RUN /usr/bin/time -f %M -o "$work/rss" "$@" >/dev/null 2>&1 || true
		k=$(tail -1 "$work/rss")
		[ "$k" -gt "$max" ] && max=$k
		i=$((i + 1))
	done
	echo "$label $max" >>"$data/rss-n$N.txt"
}

# start_monitors NAME / stop_monitors NAME: ip and nft monitor in the ns
start_monitors() {
	$RUN sh -c "echo \$\$ >'$work/ipmon.pid'; exec ip monitor link address route rule" \
		>"$work/$1.ip" 2>/dev/null &
	$RUN sh -c "echo \$\$ >'$work/nftmon.pid'; exec nft monitor" \
		>"$work/$1.nft" 2>/dev/null &
	sleep 0.5
}
stop_monitors() {
	sleep 0.5
	kill "$(cat "$work/ipmon.pid")" "$(cat "$work/nftmon.pid")" 2>/dev/null || true
	rm -f "$work/ipmon.pid" "$work/nftmon.pid"
	wait 2>/dev/null || true
}

# the UAPI requests a traced command wrote: uapi_trace FILE CMD...
uapi_trace() {
	out=$1
	shift
	$RUN strace -f -qq -s 100000000 -e trace=write,writev,sendto,sendmsg \
		-o "$out" "$@" >/dev/null
}

check() {
	c=$data/checks-n$N.txt
	: >"$c"
	say "N=$N: checks (rule count, netlink messages, peers kept, peak RSS)"
	in_ns "$down"
	$RUN "$MESHC" apply "$A" -q
	echo "peers $(grep -c '^\[Peer\]' "$d/A.wg")" >>"$c"
	echo "rules $($RUN nft -j list table inet meshc | python3 -c '
import json, sys
print(sum(1 for o in json.load(sys.stdin)["nftables"] if "rule" in o))')" >>"$c"
	# limited grants: every peer holds two services (genmesh --services);
	# what the kernel holds: rules, and the service set's elements
	$RUN "$MESHC" apply "$d/S.yaml" -q
	$RUN nft -j list table inet meshc | python3 -c '
import json, sys
objs = json.load(sys.stdin)["nftables"]
print("services_rules", sum(1 for o in objs if "rule" in o))
print("services_elems", sum(len(o["set"].get("elem", [])) for o in objs
      if "set" in o and o["set"]["name"].endswith("incoming_svc4")))' >>"$c"
	$RUN "$MESHC" apply "$A" -q

	# the libnftnl floor loads the same table as meshc's apply
	$RUN nft list table inet meshc >"$work/fw-meshc.list"
	$RUN nft delete table inet meshc
	if $RUN "$BIN/nft_batch" load "$d/fw.batch" &&
		$RUN nft list table inet meshc >"$work/fw-batch.list" &&
		cmp -s "$work/fw-meshc.list" "$work/fw-batch.list"; then
		echo "fw_batch_same 1" >>"$c"
	else
		echo "fw_batch_same 0" >>"$c"
		diff "$work/fw-meshc.list" "$work/fw-batch.list" \
			>"$data/fw-n$N.diff" 2>&1 || true
	fi
	$RUN nft delete table inet meshc 2>/dev/null || true
	$RUN "$MESHC" apply "$A" -q

	# no-op: what each side sends, as the monitors see it
	start_monitors noop
	uapi_trace "$work/noop.strace" "$MESHC" apply "$A" -q
	stop_monitors
	echo "noop_meshc_ip_events $(grep -c . "$work/noop.ip" || true)" >>"$c"
	echo "noop_meshc_nft_events $(grep -c . "$work/noop.nft" || true)" >>"$c"
	echo "noop_meshc_uapi_sets $(grep -c 'set=1' "$work/noop.strace" || true)" >>"$c"
	start_monitors tnoop
	in_ns "$tools_noop"
	stop_monitors
	echo "noop_tools_ip_events $(grep -c . "$work/tnoop.ip" || true)" >>"$c"
	echo "noop_tools_nft_events $(grep -c . "$work/tnoop.nft" || true)" >>"$c"

	# fresh WireGuard step: meshc's requests onto the device without peers
	$RUN wg setconf "$IF" "$d/iface.wg"
	uapi_trace "$work/fresh.strace" "$MESHC" apply "$A" -q
	echo "freshwg_uapi_sets $(grep -c 'set=1' "$work/fresh.strace" || true)" >>"$c"
	echo "freshwg_public_keys $(grep 'set=1' "$work/fresh.strace" | grep -o 'public_key=' | grep -c . || true)" >>"$c"

	# one key rotated: unchanged peers must keep their entries (a removed
	# and re-added peer would lose its session and handshake time); n3
	# has a real session (a ping from its namespace makes the handshake)
	hs3() {
		$RUN wg show "$IF" latest-handshakes | awk -v k="$ppub" '$1 == k { print $2 }'
	}
	# n3 forgets the session it may hold with the previous size's n0 (same
	# key, another device), so the ping makes a new handshake
	$PRUN wg set peer0 peer "$pub" remove
	$PRUN wg set peer0 peer "$pub" endpoint 198.18.0.1:51820 allowed-ips 10.64.0.0/16
	i=0
	hs_before=0
	while [ "${hs_before:-0}" = 0 ] && [ $i -lt 10 ]; do
		$PRUN ping -c 1 -W 1 10.64.0.1 >/dev/null 2>&1 || true
		hs_before=$(hs3)
		i=$((i + 1))
	done
	$RUN wg show "$IF" dump | tail -n +2 | sort >"$work/before"
	uapi_trace "$work/change.strace" "$MESHC" apply "$B" -q
	$RUN wg show "$IF" dump | tail -n +2 | sort >"$work/after"
	hs_after=$(hs3)
	echo "change_session_established $([ "${hs_before:-0}" != 0 ] && echo 1 || echo 0)" >>"$c"
	echo "change_session_kept $([ "${hs_before:-0}" != 0 ] && [ "$hs_before" = "$hs_after" ] && echo 1 || echo 0)" >>"$c"
	echo "change_peers_kept_identical $(comm -12 "$work/before" "$work/after" | grep -c . || true)" >>"$c"
	echo "change_peers_gone $(comm -23 "$work/before" "$work/after" | grep -c . || true)" >>"$c"
	echo "change_peers_new $(comm -13 "$work/before" "$work/after" | grep -c . || true)" >>"$c"
	echo "change_uapi_sets $(grep -c 'set=1' "$work/change.strace" || true)" >>"$c"
	echo "change_public_keys_sent $(grep 'set=1' "$work/change.strace" | grep -o 'public_key=' | grep -c . || true)" >>"$c"
	echo "change_replace_peers $(grep 'set=1' "$work/change.strace" | grep -c 'replace_peers=true' || true)" >>"$c"
	echo "change_handshakes_unchanged $(
		cut -f1,5 "$work/before" | sort >"$work/hs1"
		cut -f1,5 "$work/after" | sort >"$work/hs2"
		comm -12 "$work/hs1" "$work/hs2" | grep -c . || true)" >>"$c"
	$RUN "$MESHC" apply "$A" -q

	rss "meshc_compile" "" "$MESHC" compile "$A" --node n0 --target json
	rss "libyaml_floor" "" "$BIN/libyaml_floor" "$A"
	rss "meshc_fresh" "$down" "$MESHC" apply "$A" -q
	rss "meshc_noop" "" "$MESHC" apply "$A" -q
	rss "meshc_change" "cp $A $DOC && $MESHC apply $DOC -q && cp $B $DOC" \
		"$MESHC" apply "$DOC" -q
	$RUN "$MESHC" apply "$A" -q
}

meta() {
	m=$data/meta.txt
	{
		echo "date $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "kernel $(uname -sr)"
		echo "cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) ($(nproc) CPUs)"
		echo "load $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "meshc $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo ' (src modified)') ($("$MESHC" --version 2>&1 | head -1))"
		echo "wireguard-go $(wireguard-go --version 2>&1 | head -1)"
		echo "wireguard-tools $(dpkg-query -W -f='${Version}' wireguard-tools 2>/dev/null)"
		echo "nft $(nft --version)"
		echo "iproute2 $(ip -V)"
		echo "libyaml $(pkg-config --modversion yaml-0.1)"
		echo "libnftnl $(pkg-config --modversion libnftnl 2>/dev/null || echo '?')"
		echo "hyperfine $(hyperfine --version)"
		echo "sizes $SIZES"
		echo "repeat $REPEAT"
		echo "diff_sizes $DIFF_SIZES"
		echo "note ${BENCH_NOTE:-}"
	} >"$m"
}

meta
start=$(date +%s)
for N in $SIZES; do
	say "N=$N: generating the documents"
	gen "$N"
done
for N in $DIFF_SIZES; do
	gen "$N"
done
rep=1
while [ "$rep" -le "$REPEAT" ]; do
	for n in $SIZES; do
		use "$n"
		measure "$rep"
		if [ "$rep" = 1 ]; then
			check
		fi
		in_ns "$down"
	done
	for n in $DIFF_SIZES; do
		use "$n"
		measure_diff "$rep"
		if [ "$rep" = 1 ]; then
			rss "meshc_diff" "" "$MESHC" diff "$A" "$B"
		fi
	done
	rep=$((rep + 1))
done
echo "load_end $(cut -d' ' -f1-3 /proc/loadavg)" >>"$data/meta.txt"
echo "elapsed $(($(date +%s) - start))" >>"$data/meta.txt"
mkdir -p "$(dirname "$RAW")" "$OUT"
rm -rf "$RAW" && cp -r "$data" "$RAW"
python3 bench/report.py "$data" "$OUT"
say "wrote $OUT/results.md and $OUT/results.png (raw data: $RAW)"
