#!/bin/sh
# phone: examples/roadwarrior.yaml with real packets.  vps, home and laptop
# run `meshc apply`; phone and macbook run NOTHING of meshc: each gets the
# file `meshc export` writes (made outside its namespace) and brings it up
# with `wg-quick up` and wireguard-go, as the WireGuard app would.  Pings
# and TCP connections then show that the phone reaches exactly what the
# document grants it (the internet through its exit node, the home LAN,
# no mesh node but those that grant it incoming), that home, which the
# phone grants incoming, can open a connection to it, and that vps, which
# it does not, cannot (vps drops its own packet), while the replies to the
# phone's own connections through and to vps pass.  The mesh has a
# preshared secret: both ends of every pair hold the same derived key (the
# apps from export, the others from apply).  A matrix of who reached whom
# is printed next to what `meshc explain` predicts.
#
# Underlay (tests/e2e/lib.sh; nothing leaves the namespaces made here):
#   vps 203.0.113.5 and home 198.51.100.10 have public addresses (the
#   document's endpoints); laptop 10.0.3.13, macbook 10.0.3.14 and phone
#   10.0.3.15 sit behind the router's NAT, like devices on a mobile or
#   cafe network; home's lan0 192.168.2.1 has the lan host 192.168.2.10;
#   the internet host 192.52.193.10 answers TCP 8080 with the address it
#   sees.
#
# macbook is in the packets too: a second node that only runs wg-quick,
# so the grants of an unmanaged node are shown enforced for two of them
# (home and vps drop their own packets to it), and its split tunnel
# (the home LAN only) is measured next to the phone's full tunnel.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg wg-quick socat ping python3 timeout; do
	command -v $t >/dev/null || { echo "phone: missing $t"; exit 77; }
done
E2E=mcph$$
E2E_UNDERLAY_vps=203.0.113.5/24:203.0.113.1
E2E_UNDERLAY_home=198.51.100.10/24:198.51.100.1
E2E_UNDERLAY_laptop=10.0.3.13/24:10.0.3.1
E2E_UNDERLAY_macbook=10.0.3.14/24:10.0.3.1
E2E_UNDERLAY_phone=10.0.3.15/24:10.0.3.1
E2E_LAN_NODE=home
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   phone: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL phone: $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

MANAGED="vps home laptop"
APPS="macbook phone"	# the WireGuard app: wg-quick and nothing else
NODES="$MANAGED $APPS"
IF=wg-road	# the example's interface name; the apps' files are named for it
PORT=8000	# a TCP listener on every mesh node answers with its name

e2e_topology $NODES || { bad "topology"; exit 1; }
D=$(e2e_dir)
# The example, with home's endpoint (a dynamic DNS name there) and its
# LAN moved to the underlay of tests/e2e/lib.sh, a fresh key per node, and
# a preshared secret for the mesh: one file that the managed nodes (their
# namespaces see the test's directory) and export (outside) all read.
umask 077
"$MESHC" genpsk >"$D/road.psk" || { bad "genpsk"; exit 1; }
umask 022
sed -e 's/home\.example\.net:51820/198.51.100.10:51820/' \
	-e 's/192\.168\.1\./192.168.2./g' \
	-e "s|^    interface: $IF\$|&\\n    preshared_key_file: $D/road.psk|" \
	examples/roadwarrior.yaml >"$D/template.yaml"
grep -q '198.51.100.10:51820' "$D/template.yaml" &&
	grep -q 'lan: \[192.168.2.0/24\]' "$D/template.yaml" &&
	grep -q "preshared_key_file: $D/road.psk" "$D/template.yaml" ||
	{ bad "examples/roadwarrior.yaml no longer has home.example.net, 192.168.1.0/24 and interface: $IF"; exit 1; }
DOC=$D/road.yaml
e2e_document "$D/template.yaml" "$DOC" $NODES || { bad "document"; exit 1; }
for n in $NODES; do eval "ADDR_$n=\$(mesh_addr \"\$DOC\" $n 2>/dev/null)"; done
LAN=$E2E_LAN_HOST

# --- the managed nodes: meshc apply, identity from the node's key file --
for n in $MANAGED; do
	check "meshc apply on $n" node_exec "$n" "$MESHC" apply "$DOC" -q
done

# --- the apps: meshc export outside, wg-quick up inside ------------------
for n in $APPS; do
	conf=$D/$n/$IF.conf
	"$MESHC" export "$DOC" --node "$n" --private-key-file "$D/$n/etc/private.key" \
		-o "$conf" 2>"$D/$n/export.err"
	check "meshc export --node $n (outside its namespace)" [ -s "$conf" ]
	node_exec "$n" env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
		wg-quick up "$conf" >"$D/$n/wg-quick.log" 2>&1
	check "wg-quick up $IF.conf on $n" [ $? = 0 ]
done
# Nothing of meshc runs on the apps' namespaces: their only process is
# the wireguard-go that wg-quick started, meshc has no state there and
# no table of its own.
for n in $APPS; do
	procs=$(for p in $(ip netns pids "$E2E-$n"); do cat "/proc/$p/comm"; done | sort -u | tr '\n' ' ')
	[ "$procs" = "wireguard-go " ] && ok "$n runs wireguard-go and nothing else" ||
		bad "$n runs: $procs"
	left=$(ls -A "$D/$n/run"; node_exec "$n" nft list tables | grep meshc)
	[ -z "$left" ] && ok "$n has no meshc state and no meshc table" ||
		bad "$n has meshc state: $left"
done

# --- warm the tunnels: the roaming devices start every handshake --------
warm() {	# FROM:ADDR...
	for p in "$@"; do
		i=0
		until reach "${p%%:*}" "${p#*:}" || [ $i -ge 5 ]; do i=$((i + 1)); done
	done
}
warm "phone:$ADDR_home" "phone:$ADDR_vps" "macbook:$ADDR_home" "macbook:$ADDR_vps" \
	"laptop:$ADDR_home" "laptop:$ADDR_vps"

for n in vps phone macbook; do
	node_exec "$n" socat TCP-LISTEN:$PORT,reuseaddr,fork SYSTEM:"echo $n" \
		</dev/null >/dev/null 2>&1 &
done
sleep 0.3
unreach() { ! reach "$@"; }
# tcp_to FROM ADDR: the name the listener at ADDR answers with, or nothing
tcp_to() {
	_e2e_exec "$1" timeout 4 socat -T 2 - "TCP:$2:$PORT,connect-timeout=2" \
		</dev/null 2>/dev/null
}
# tcp_expect allow|deny FROM TO description
tcp_expect() {
	eval "a=\$ADDR_$3"
	got=$(tcp_to "$2" "$a")
	if [ "$got" = "$3" ]; then r=allow; else r=deny; fi
	[ "$r" = "$1" ] && ok "$4: $2 -> $3 TCP $r" ||
		bad "$4: $2 -> $3 TCP $r, expected $1"
}

# --- the phone ------------------------------------------------------------
seen=$(tcp_seen phone)
[ "$seen" = 203.0.113.5 ] &&
	ok "phone reaches the internet through its exit node vps (seen as $seen)" ||
	bad "the internet host saw '$seen' for phone, expected vps's 203.0.113.5"
check "phone reaches the home LAN host $LAN (home grants local_network)" reach phone "$LAN"
check "phone reaches home (home grants incoming)" reach phone "$ADDR_home"
tcp_expect allow phone vps "phone's own connection to vps: vps's replies pass"
check "phone does not reach laptop (no tunnel: neither has an endpoint)" \
	unreach phone "$ADDR_laptop"
# Enforcement at the sender (issue 10, item 2): vps, managed, drops its
# own new connections to phone, which does not grant it incoming, before
# they enter the tunnel: phone's interface receives nothing of them (home's
# connection, the control, is received).
rx() {	# NODE: packets received on its mesh interface
	node_exec "$1" ip -j -s link show dev "$IF" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}
rx0=$(rx phone)
tcp_expect allow home phone "phone grants home incoming"
rx1=$(rx phone)
tcp_expect deny vps phone "phone does not grant vps incoming: vps drops its own packet"
rx2=$(rx phone)
[ "$rx1" -gt "$rx0" ] && [ "$rx2" = "$rx1" ] &&
	ok "phone's $IF received home's connection ($((rx1 - rx0)) packets) and nothing of vps's attempt" ||
	bad "phone's $IF received $((rx1 - rx0)) packets of home's connection, $((rx2 - rx1)) of vps's attempt (expected some, then none)"
tcp_expect deny laptop phone "phone does not grant laptop incoming: laptop drops its own packet (and they have no tunnel)"
tcp_expect deny macbook phone "no tunnel: neither macbook nor phone has an endpoint"
# ... and vps, while it may not open one, still carries the phone's own
tcp_expect allow phone vps "after vps's refused attempt phone still connects to vps"
seen=$(tcp_seen phone)
[ "$seen" = 203.0.113.5 ] && ok "after it, phone still reaches the internet through vps" ||
	bad "after vps's refused attempt the internet host saw '$seen' for phone"

# --- macbook: split tunnel, its grants enforced by home and vps ------------
seen=$(tcp_seen macbook)
[ "$seen" = 192.52.193.1 ] &&
	ok "macbook reaches the internet directly, not through the mesh (seen as $seen)" ||
	bad "the internet host saw '$seen' for macbook, expected the router's 192.52.193.1"
check "macbook reaches the home LAN host $LAN" reach macbook "$LAN"
tcp_expect allow macbook vps "vps grants macbook incoming"
tcp_expect deny home macbook "macbook does not grant home incoming: home drops its own packet"
tcp_expect deny vps macbook "macbook does not grant vps incoming: vps drops its own packet"

# --- laptop: managed, full tunnel ---------------------------------------
seen=$(tcp_seen laptop)
[ "$seen" = 203.0.113.5 ] && ok "laptop reaches the internet through vps (seen as $seen)" ||
	bad "the internet host saw '$seen' for laptop, expected vps's 203.0.113.5"
check "laptop reaches the home LAN host $LAN" reach laptop "$LAN"

# --- preshared keys --------------------------------------------------------
# Every pair with a tunnel holds one preshared key at both ends: the phone
# got its keys from export, vps and home derived theirs in apply; each is
# the one computed here without meshc (hashlib.blake2b keyed with the
# secret over the pair's public keys, smaller first), never "(none)".
# That the tunnels above carried packets proves the keys in force.
psk_of() {	# NODE PEER: the key NODE's device holds for PEER
	node_exec "$1" wg show "$IF" preshared-keys 2>/dev/null |
		awk -v k="$(cat "$D/$2/public.key")" '$1 == k { print $2 }'
}
derived() {	# A B: the pair's key, computed here
	python3 - "$D/road.psk" "$(cat "$D/$1/public.key")" \
		"$(cat "$D/$2/public.key")" <<'PY'
import base64, hashlib, sys
secret = base64.b64decode(open(sys.argv[1]).read().strip())
a, b = (base64.b64decode(k) for k in sys.argv[2:4])
print(base64.b64encode(hashlib.blake2b(min(a, b) + max(a, b), key=secret,
                                       digest_size=32).digest()).decode())
PY
}
for pair in phone:vps phone:home macbook:vps macbook:home laptop:vps laptop:home \
	vps:home; do
	x=${pair%%:*} y=${pair#*:}
	want=$(derived "$x" "$y")
	a=$(psk_of "$x" "$y") b=$(psk_of "$y" "$x")
	if [ -n "$want" ] && [ "$a" = "$want" ] && [ "$b" = "$want" ]; then
		ok "preshared key of $x-$y: the same at both ends, the one derived from the secret"
	else
		bad "preshared key of $x-$y: $x has '$a', $y has '$b', derived '$want'"
	fi
done

# --- who reached whom, next to meshc explain's prediction -----------------
# One ping per cell (TCP for the internet), all cells at once; a cell is
# marked ! when the packets disagree with `meshc explain`.  (src and dst:
# lib.sh's reach and node_exec set f and n.)
TARGETS="vps home laptop macbook phone lan:home internet"
M=$D/matrix
mkdir -p "$M"
jobs=
for src in $NODES; do
	for dst in $TARGETS; do
		[ "$src" = "$dst" ] && continue
		(
			case $dst in
			internet) s=$(tcp_seen "$src"); [ -n "$s" ] && r="allow($s)" || r=deny ;;
			lan:home) reach "$src" "$LAN" && r=allow || r=deny ;;
			*) eval "a=\$ADDR_$dst"; reach "$src" "$a" && r=allow || r=deny ;;
			esac
			echo "$r" >"$M/$src.$dst"
		) &
		jobs="$jobs $!"
	done
done
# shellcheck disable=SC2086
wait $jobs	# not the listeners
mismatch=0
echo
echo "who reached whom: measured with packets / predicted by meshc explain"
printf '%-8s' from
for dst in $TARGETS; do printf ' %-15s' "to $dst"; done
echo
for src in $NODES; do
	printf '%-8s' "$src"
	for dst in $TARGETS; do
		if [ "$src" = "$dst" ]; then printf ' %-15s' -; continue; fi
		got=$(cat "$M/$src.$dst")
		want=$("$MESHC" explain "$DOC" "$src" "$dst" 2>/dev/null | head -n 1 | cut -d: -f1)
		mark=
		[ "${got%%(*}" = "$want" ] || { mark=!; mismatch=$((mismatch + 1)); }
		case $got in allow\(*) got=${got#allow}; got=${got%)}; got=${got#(} ;; esac
		printf ' %-15s' "$got/$want$mark"
	done
	echo
done
echo "(a node: one ping to its mesh address; lan:home: ping $LAN behind home;"
echo " internet: TCP to $E2E_NET_HOST:8080, the source address it saw;"
echo " vps, home, laptop run meshc apply; macbook and phone only wg-quick)"
echo
[ "$mismatch" = 0 ] && ok "every measured cell matches meshc explain" ||
	bad "$mismatch cells differ from meshc explain (marked !)"

# --- a revoked incoming ends the connection it let in ----------------------
# home opened a connection to phone's server, which streams a line every
# 0.2 s.  Then phone stops granting home incoming: home's apply puts
# phone's address into its closed set and cuts the connection's conntrack
# entry; neither home's next segment (output: no pickup, closed) nor
# phone's (mesh_input: no pickup, though home grants phone incoming) may
# start a new one, so the stream stops.
REVOKED=$D/revoked.yaml
sed 's/^        home: { incoming: true }  # enforced by home and vps.*$/        home: { incoming: false }/' \
	"$DOC" >"$REVOKED"
if cmp -s "$DOC" "$REVOKED"; then
	bad "could not revoke home's incoming in $DOC"
else
	STREAM=$D/stream
	# (bounded on both sides: no process may outlive this part)
	node_exec phone timeout 9 socat TCP-LISTEN:9093,reuseaddr \
		SYSTEM:'while true; do echo x; sleep 0.2; done' </dev/null >/dev/null 2>&1 &
	server=$!
	sleep 0.3
	node_exec home timeout 8 socat -u "TCP:$ADDR_phone:9093" - </dev/null \
		>"$STREAM" 2>/dev/null &
	client=$!
	sleep 1.5
	n0=$(wc -l <"$STREAM")
	check "home's connection to phone's server streams ($n0 lines)" [ "$n0" -gt 2 ]
	check "apply on home: phone no longer grants it incoming" \
		node_exec home "$MESHC" apply "$REVOKED" -q
	sleep 0.5
	n1=$(wc -l <"$STREAM")
	sleep 2
	n2=$(wc -l <"$STREAM")
	[ "$n2" = "$n1" ] && ok "the revocation cut home's open connection to phone ($n1 lines, then none)" ||
		bad "home's connection to phone outlived the revocation ($n1 -> $n2 lines)"
	tcp_expect deny home phone "revoked: home may not open a new one"
	check "apply the grant again on home" node_exec home "$MESHC" apply "$DOC" -q
	tcp_expect allow home phone "granted again"
	wait "$server" "$client"	# not the listeners
fi

echo "ok   phone: $pass passed, $fail failed"
[ "$fail" = 0 ]
