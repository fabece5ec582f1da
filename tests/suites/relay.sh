#!/bin/sh
# relay: examples/hub.yaml with real packets.  hub (public address, the
# mesh's relay) relays between three nodes that have no endpoint and sit
# behind two separate NAT routers: laptop (behind the lab's router R),
# desk and phone (behind a second router, r2).  laptop, desk and hub run
# `meshc apply`; phone runs nothing of meshc: `wg-quick up` of the file
# `meshc export` writes.  office, of another mesh, is linked to hub only
# and uses it as its exit node.  Pings show:
#   - relayed pairs that grant each other reach each other through hub
#     (IPv4 and IPv6), also to and from the phone;
#   - a pair whose destination refuses incoming does not: desk refuses
#     laptop (hub drops it), phone refuses desk (hub drops it, even with
#     desk's own table removed: the relay enforces the unmanaged phone);
#   - office reaches the internet through hub but no spoke (it is no
#     peer of them: hub's rule 2 drops it);
#   - the phone grants laptop a list (tcp/22, then also icmp), applied on
#     hub alone: hub relays tcp/22 and drops tcp/23, udp and (unlisted)
#     icmp, each compared with `meshc explain FILE FROM TO SERVICE`;
#   - desk gets an endpoint (a port forward on r2): one apply per node
#     moves its pairs to direct tunnels (hub's change set: desk's
#     endpoint and desk's pair elements, nothing else), and a counter on
#     hub's forward path for desk -> laptop stops growing; removing the
#     endpoint moves them back and the counter grows again.
# Every cell is compared with `meshc explain`, and the matrix is printed.
#
# Underlay (tests/e2e/lib.sh plus r2; nothing leaves the namespaces made
# here): hub 203.0.113.5; laptop 10.0.3.13 and office 10.0.3.14 behind R's
# NAT; r2 at 198.51.100.50 NATs 10.0.4.0/24 (desk 10.0.4.21, phone
# 10.0.4.22) and forwards UDP 51820 to desk; the internet host
# 192.52.193.10 answers TCP 8080 with the address it sees.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg wg-quick socat ping python3 timeout; do
	command -v $t >/dev/null || { echo "relay: missing $t"; exit 77; }
done
E2E=mcrl$$
E2E_UNDERLAY_hub=203.0.113.5/24:203.0.113.1
E2E_UNDERLAY_laptop=10.0.3.13/24:10.0.3.1
E2E_UNDERLAY_office=10.0.3.14/24:10.0.3.1
E2E_UNDERLAY_desk=10.0.4.21/24:10.0.4.1
E2E_UNDERLAY_phone=10.0.4.22/24:10.0.4.1
E2E_LAN_NODE=hub
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   relay: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL relay: $1"; }
check() {	# description command...
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

MANAGED="hub laptop desk office"
APP=phone
NODES="$MANAGED $APP"
IF=wghub
R2_WAN=198.51.100.50

e2e_topology $NODES || { bad "topology"; exit 1; }
D=$(e2e_dir)

# --- r2: a second NAT router; desk and phone move behind it ------------
r2() { ip netns exec "$E2E-r2" "$@"; }
ip netns add "$E2E-r2" || { bad "r2"; exit 1; }
ip link add wan netns "$E2E-r2" type veth peer name pr2 netns "$E2E-sw"
ip -n "$E2E-sw" link set pr2 master br0 up
ip -n "$E2E-r2" link add br1 type bridge
for n in desk phone; do
	ip -n "$E2E-sw" link set "p$n" nomaster
	ip -n "$E2E-sw" link set "p$n" netns "$E2E-r2"
	ip -n "$E2E-r2" link set "p$n" master br1 up
done
ip -n "$E2E-r2" link set wan up
ip -n "$E2E-r2" link set br1 up
ip -n "$E2E-r2" link set lo up
ip -n "$E2E-r2" addr add $R2_WAN/24 dev wan
ip -n "$E2E-r2" addr add 10.0.4.1/24 dev br1
ip -n "$E2E-r2" route add default via 198.51.100.1
r2 sysctl -qw net.ipv4.ip_forward=1
r2 nft -f - <<NFT || { bad "r2 nat"; exit 1; }
table ip nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" udp dport 51820 dnat to 10.0.4.21
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.0.4.0/24 oifname "wan" masquerade
	}
}
NFT
check "desk is behind r2's NAT: the internet host sees $R2_WAN" \
	[ "$(tcp_seen desk)" = "$R2_WAN" ]
check "laptop is behind R's NAT: the internet host sees 192.52.193.1" \
	[ "$(tcp_seen laptop)" = 192.52.193.1 ]

# --- the document: the example with hub's endpoint on this underlay ------
sed -e 's/198\.51\.100\.1:51820/203.0.113.5:51820/' examples/hub.yaml \
	>"$D/template.yaml"
grep -q 'endpoint: 203.0.113.5:51820' "$D/template.yaml" ||
	{ bad "examples/hub.yaml no longer has hub's endpoint 198.51.100.1:51820"; exit 1; }
DOC=$D/hub.yaml
e2e_document "$D/template.yaml" "$DOC" $NODES || { bad "document"; exit 1; }
# desk with an endpoint: r2's port forward
DIRECT=$D/hub-direct.yaml
python3 - "$DOC" "$DIRECT" "$R2_WAN" <<'PY' || { bad "direct document"; exit 1; }
import sys
src, out, wan = sys.argv[1:]
text = open(src).read()
mark = "    address6: fd72::11\n"
assert text.count(mark) == 1
open(out, "w").write(text.replace(mark, mark + "    endpoint: %s:51820\n" % wan))
PY
for n in $NODES; do eval "ADDR_$n=\$(mesh_addr \"\$DOC\" $n 2>/dev/null)"; done
ADDR6_laptop=$(mesh_addr "$DOC" laptop 6)
ADDR6_desk=$(mesh_addr "$DOC" desk 6)
check "meshc validate: the relayed pairs are no 'no tunnel' warning" \
	sh -c "! '$MESHC' validate '$DOC' 2>&1 | grep -q 'neither has an endpoint'"

for n in $MANAGED; do
	check "meshc apply on $n" node_exec "$n" "$MESHC" apply "$DOC" -q
done
conf=$D/$APP/$IF.conf
"$MESHC" export "$DOC" --node "$APP" --private-key-file "$D/$APP/etc/private.key" \
	-o "$conf" 2>"$D/$APP/export.err"
check "meshc export --node $APP carries the relayed addresses in hub's AllowedIPs" \
	grep -q "^AllowedIPs = 100.72.0.1/32, $ADDR_laptop/32, $ADDR_desk/32" "$conf"
check "meshc export --node $APP has no [Peer] for laptop or desk" \
	sh -c "! grep -q '^# \\(laptop\\|desk\\)\$' '$conf'"
node_exec "$APP" env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
	wg-quick up "$conf" >"$D/$APP/wg-quick.log" 2>&1
check "wg-quick up $IF.conf on $APP" [ $? = 0 ]
check "hub forwards (ip_forward=1) for its relayed pairs" \
	[ "$(node_exec hub sysctl -n net.ipv4.ip_forward)" = 1 ]
check "laptop has no WireGuard peer for desk or phone (they ride on hub)" \
	[ "$(node_exec laptop wg show $IF peers | wc -l)" = 1 ]

# --- warm: every roaming node handshakes with hub -----------------------
unreach() { ! reach "$@"; }
warm() {	# FROM:ADDR...
	for p in "$@"; do
		i=0
		until reach "${p%%:*}" "${p#*:}" || [ $i -ge 5 ]; do i=$((i + 1)); done
	done
}
warm "laptop:$ADDR_hub" "desk:$ADDR_hub" "phone:$ADDR_hub"
node_exec office ping -c 3 -i 0.2 -W 1 "$E2E_NET_HOST" >/dev/null 2>&1

# A counter on hub's forward path for desk -> laptop (the test's own
# table, beside meshc's): what hub relays for that pair.
node_exec hub nft -f - <<NFT || bad "hub's test counter"
table inet relaytest {
	chain pairs {
		type filter hook forward priority -10; policy accept;
		ip saddr $ADDR_desk ip daddr $ADDR_laptop counter
	}
}
NFT
relayed() {	# packets hub forwarded from desk to laptop
	node_exec hub nft -j list chain inet relaytest pairs | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("rule", {}).get("expr", []):
        if "counter" in e:
            print(e["counter"]["packets"])'
}

# --- the matrix: measured next to meshc explain ----------------------------
MATRIX=$D/matrix
: >"$MATRIX"
predicted() {	# DOC FROM TO: allow or deny, by meshc explain
	"$MESHC" explain "$1" "$2" "$3" 2>/dev/null | sed -n '1s/:.*//p'
}
cell() {	# DOC FROM TO-ADDR TO-NAME expect why
	if reach "$2" "$3" || reach "$2" "$3"; then got=allow; else got=deny; fi
	exp=$(predicted "$1" "$2" "$3")
	printf '%-7s -> %-22s %-6s %-6s %s\n' "$2" "$4 $3" "$got" "$exp" "$6" >>"$MATRIX"
	[ "$got" = "$5" ] && [ "$exp" = "$5" ] &&
		ok "$2 -> $4 ($3): $got, explain $exp: $6" ||
		bad "$2 -> $4 ($3): packets $got, explain $exp, expected $5: $6"
}

rx() {	# NODE: packets received on its mesh interface
	node_exec "$1" ip -j -s link show dev "$2" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}
# dropped_before NODE IF description FROM ADDR: FROM's packet to ADDR
# never reaches NODE's interface (dropped on the way, at the relay)
dropped_before() {
	r0=$(rx "$1" "$2")
	reach "$4" "$5"
	r1=$(rx "$1" "$2")
	[ "$r1" = "$r0" ] && ok "$3: $1's $2 received nothing" ||
		bad "$3: $1's $2 received $((r1 - r0)) packets"
}

cell "$DOC" desk "$ADDR_laptop" laptop allow "relayed by hub, laptop grants desk"
cell "$DOC" desk "$ADDR6_laptop" laptop allow "relayed by hub over IPv6"
cell "$DOC" laptop "$ADDR_desk" desk deny "desk refuses laptop: hub does not relay it"
cell "$DOC" laptop "$ADDR_phone" phone allow "relayed to the unmanaged phone, which grants laptop"
cell "$DOC" phone "$ADDR_laptop" laptop allow "from the unmanaged phone, relayed"
cell "$DOC" phone "$ADDR_desk" desk allow "from the unmanaged phone, relayed"
cell "$DOC" desk "$ADDR_phone" phone deny "phone refuses desk (desk's output and hub drop it)"
cell "$DOC" hub "$ADDR_laptop" laptop allow "the relay itself: a direct peer"
cell "$DOC" office "$ADDR_laptop" laptop deny "office is no peer of laptop: hub's rule 2"
cell "$DOC" office "$ADDR_phone" phone deny "office is no peer of phone: hub's rule 2"
cell "$DOC" office "$ADDR_hub" hub deny "hub does not grant office incoming"
seen=$(tcp_seen office)
exp=$(predicted "$DOC" office internet)
printf '%-7s -> %-22s %-6s %-6s %s\n' office "internet" \
	"$([ "$seen" = 203.0.113.5 ] && echo allow || echo deny)" "$exp" \
	"through its exit node hub (seen as $seen)" >>"$MATRIX"
[ "$seen" = 203.0.113.5 ] && [ "$exp" = allow ] &&
	ok "office reaches the internet through hub (seen as $seen), explain $exp" ||
	bad "office -> internet: seen as '$seen' (expected hub's 203.0.113.5), explain $exp"
check "hub relayed desk's pings to laptop (counter $(relayed))" [ "$(relayed)" -gt 0 ]
dropped_before desk $IF "laptop -> desk, refused by desk: hub drops it" laptop "$ADDR_desk"
dropped_before laptop $IF "office -> laptop, no peer: hub drops it" office "$ADDR_laptop"
# hub does not masquerade what it relays: laptop sees desk's own address
node_exec laptop socat TCP-LISTEN:8000,reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR' \
	</dev/null >/dev/null 2>&1 &
sleep 0.3
seen=$(node_exec desk timeout 4 socat -T 2 - "TCP:$ADDR_laptop:8000,connect-timeout=2" </dev/null 2>/dev/null)
[ "$seen" = "$ADDR_desk" ] && ok "laptop sees desk's relayed connection from desk's own address $seen (no masquerade)" ||
	bad "laptop saw desk's relayed connection from '$seen', expected $ADDR_desk"

# The relay enforces the unmanaged phone's grant on its own: with desk's
# table gone (nothing of desk's stops it), desk -> phone still dies at hub.
node_exec desk nft delete table inet meshc
dropped_before phone $IF "desk -> phone with desk's own table removed: hub still drops it" desk "$ADDR_phone"
check "... while desk -> laptop, which laptop grants, still passes" reach desk "$ADDR_laptop"
check "meshc apply on desk restores its table" node_exec desk "$MESHC" apply "$DOC" -q

# --- a revoked grant ends the relayed connections it let in ---------------
# laptop reads a stream from the phone's server (the phone keeps
# sending).  The phone stops granting laptop incoming, and only hub
# applies it: the unmanaged phone has nothing of its own, so hub alone
# must end the connection (cut its conntrack entry, and drop the phone's
# next segment, which would pick the connection up again from its side:
# the pair phone -> laptop is still granted).
REVOKED=$D/hub-revoked.yaml
python3 - "$DOC" "$REVOKED" <<'PY' || bad "revoked document"
import sys
src, out = sys.argv[1:]
text = open(src).read()
old = "        laptop: { incoming: true }\n"
assert text.count(old) == 1
open(out, "w").write(text.replace(old, "        laptop: { incoming: false }\n"))
PY
# ... and, from a document where the phone lets everyone in (it is then
# in hub's relay_open, not in pairs), the same revocation takes it out
# of relay_open: the cut covers every source its new pairs lack.
OPEN=$D/hub-open.yaml
python3 - "$DOC" "$OPEN" <<'PY' || bad "open document"
import sys
src, out = sys.argv[1:]
text = open(src).read()
old = "      default: { incoming: false }\n      peers:\n        laptop: { incoming: true }\n"
assert text.count(old) == 1
open(out, "w").write(text.replace(old, "      default: { incoming: true }\n"))
PY
lines() { wc -l <"$1" 2>/dev/null || echo 0; }
revoke_round() {	# FROM-DOC what PORT
	check "apply $2 on hub" node_exec hub "$MESHC" apply "$1" -q
	STREAM=$D/stream-$3
	node_exec phone timeout 12 socat TCP-LISTEN:$3,reuseaddr \
		SYSTEM:'while true; do echo x; sleep 0.2; done' </dev/null >/dev/null 2>&1 &
	sleep 0.3
	node_exec laptop timeout 10 socat -u "TCP:$ADDR_phone:$3" - </dev/null >"$STREAM" 2>/dev/null &
	sleep 1.5
	n0=$(lines "$STREAM")
	check "$2: laptop's relayed stream from phone flows ($n0 lines)" [ "$n0" -gt 2 ]
	check "$2: apply the revocation on hub (and nowhere else)" \
		node_exec hub "$MESHC" apply "$REVOKED" -q
	sleep 0.5
	n1=$(lines "$STREAM")
	sleep 2
	n2=$(lines "$STREAM")
	[ "$n2" = "$n1" ] && ok "$2: hub's apply cuts the relayed connection ($n1 lines, then none)" ||
		bad "$2: the relayed connection outlived the revocation on hub ($n1 -> $n2 lines)"
}
in_set() {	# DOC SET ADDR: is ADDR in hub's SET under DOC?
	"$MESHC" compile "$1" --node hub --target json | python3 -c '
import json, sys
s = json.load(sys.stdin)["firewall"]["sets"][sys.argv[1]]
sys.exit(0 if any(e["prefix"] == sys.argv[2] + "/32" for e in s) else 1)' "$2" "$3"
}
not() { ! "$@"; }
check "under the example phone is not in hub's relay_open4 (its pairs are in relay4)" \
	not in_set "$DOC" relay_open4 "$ADDR_phone"
revoke_round "$DOC" "pair removed" 9092
check "under the open document phone is in hub's relay_open4" \
	in_set "$OPEN" relay_open4 "$ADDR_phone"
revoke_round "$OPEN" "phone leaves relay_open" 9093
check "laptop -> phone is refused now" unreach laptop "$ADDR_phone"
check "phone -> laptop still passes (laptop grants phone)" reach phone "$ADDR_laptop"
check "apply the grant again on hub" node_exec hub "$MESHC" apply "$DOC" -q
check "laptop -> phone passes again" reach laptop "$ADDR_phone"

# --- a limited grant: the relay forwards only the listed services ---------
# The phone (the WireGuard app: nothing of its own enforces anything)
# lets laptop in on tcp/22 only (then tcp/22 and icmp).  Only hub
# applies it; laptop keeps the example (phone grants it everything), so
# laptop's own output lets every service go: what passes is what hub
# forwards.  Each cell is compared with `meshc explain FILE FROM TO
# SERVICE`.
LIMITED=$D/hub-limited.yaml
LIMITED_ICMP=$D/hub-limited-icmp.yaml
python3 - "$DOC" "$LIMITED" "$LIMITED_ICMP" <<'PY' || bad "limited documents"
import sys
src, out, out_icmp = sys.argv[1:]
text = open(src).read()
old = "        laptop: { incoming: true }\n"
assert text.count(old) == 1
open(out, "w").write(text.replace(old, "        laptop: { incoming: [tcp/22] }\n"))
open(out_icmp, "w").write(text.replace(old, "        laptop: { incoming: [tcp/22, icmp] }\n"))
PY
# svc_reach FROM ADDR PROTO PORT: a server on the phone answers "hi"
svc_reach() {
	if [ "$3" = tcp ]; then
		node_exec phone timeout 6 socat TCP-LISTEN:$4,reuseaddr \
			SYSTEM:'echo hi' </dev/null >/dev/null 2>&1 &
		sleep 0.3
		got=$(node_exec "$1" timeout 4 socat -T 2 - \
			"TCP:$2:$4,connect-timeout=2" </dev/null 2>/dev/null)
	else
		node_exec phone timeout 6 socat UDP-RECVFROM:$4 \
			SYSTEM:'echo hi' </dev/null >/dev/null 2>&1 &
		sleep 0.3
		got=$(echo x | node_exec "$1" timeout 4 socat -T 2 - \
			"UDP:$2:$4" 2>/dev/null)
	fi
	wait $! 2>/dev/null
	[ "$got" = hi ]
}
svc_cell() {	# DOC FROM TO-ADDR TO-NAME SERVICE expect why
	case $5 in
	icmp) if reach "$2" "$3" || reach "$2" "$3"; then got=allow; else got=deny; fi ;;
	*) if svc_reach "$2" "$3" "${5%/*}" "${5#*/}"; then got=allow; else got=deny; fi ;;
	esac
	exp=$("$MESHC" explain "$1" "$2" "$3" "$5" 2>/dev/null | sed -n '1s/:.*//p')
	printf '%-7s -> %-22s %-6s %-6s %s\n' "$2" "$4 $3 $5" "$got" "$exp" "$7" >>"$MATRIX"
	[ "$got" = "$6" ] && [ "$exp" = "$6" ] &&
		ok "$2 -> $4 ($3) $5: $got, explain $exp: $7" ||
		bad "$2 -> $4 ($3) $5: packets $got, explain $exp, expected $6: $7"
}
svc_cell "$DOC" laptop "$ADDR_phone" phone tcp/23 allow "control: phone grants laptop everything"
svc_cell "$DOC" laptop "$ADDR_phone" phone udp/22 allow "control: phone grants laptop everything"
check "apply phone's list [tcp/22] on hub (and nowhere else)" \
	node_exec hub "$MESHC" apply "$LIMITED" -q
check "hub holds laptop -> phone in relay_svc4, not in relay4" \
	sh -c "'$MESHC' compile '$LIMITED' --node hub --target nft |
		grep -q '$ADDR_laptop . $ADDR_phone . tcp . 22' &&
	! '$MESHC' compile '$LIMITED' --node hub --target nft |
		grep -q '$ADDR_laptop . $ADDR_phone,'"
svc_cell "$LIMITED" laptop "$ADDR_phone" phone tcp/22 allow "listed: hub relays it"
svc_cell "$LIMITED" laptop "$ADDR_phone" phone tcp/23 deny "not listed: hub drops it"
svc_cell "$LIMITED" laptop "$ADDR_phone" phone udp/22 deny "udp not listed: hub drops it"
svc_cell "$LIMITED" laptop "$ADDR_phone" phone icmp deny "icmp not listed: hub drops it"
check "meshc explain without a service: partial, only tcp/22" \
	sh -c "'$MESHC' explain '$LIMITED' laptop phone | head -n 1 | grep -q '^partial: .*only for tcp/22'"
check "apply phone's list [tcp/22, icmp] on hub" \
	node_exec hub "$MESHC" apply "$LIMITED_ICMP" -q
svc_cell "$LIMITED_ICMP" laptop "$ADDR_phone" phone icmp allow "icmp listed: hub relays the ping"
svc_cell "$LIMITED_ICMP" laptop "$ADDR_phone" phone tcp/23 deny "still not listed"
check "apply the example again on hub" node_exec hub "$MESHC" apply "$DOC" -q
svc_cell "$DOC" laptop "$ADDR_phone" phone tcp/23 allow "everything again"

# --- desk gains an endpoint: its pairs go direct, minimally ---------------
changes() {	# NODE DOC: the change set apply makes, one "layer op subject" a line
	node_exec "$1" "$MESHC" apply "$2" --format json 2>"$D/$1/apply.err" |
		python3 -c '
import json, sys
for n in json.load(sys.stdin)["nodes"]:
    for c in n["changes"]:
        print(c["layer"], c["op"], c["subject"])' | sort
}
expect_changes() {	# NODE DOC description expected-lines
	got=$(changes "$1" "$2")
	# hub's device already sends to desk at r2's address (learned from
	# desk's handshakes; r2 keeps the port), so desk's endpoint may be
	# no change at all there: the one line allowed to be missing
	[ "$1" = hub ] && case $got in *"peers modify desk"*) ;; *)
		got=$(printf '%s\npeers modify desk\n' "$got" | sort) ;; esac
	want=$(printf '%s\n' "$4" | sort)
	[ "$got" = "$want" ] && ok "$3" ||
		bad "$3: apply on $1 changed:
$got
expected:
$want"
}
# (desk -> laptop was no pair: laptop is in relay_open, which stays)
to_direct_hub="firewall_sets remove relay_users4 $ADDR_desk
firewall_sets remove relay_users6 $ADDR6_desk
firewall_sets remove relay4 $ADDR_phone . $ADDR_desk
firewall_sets remove relay6 $(mesh_addr "$DOC" phone 6) . $ADDR6_desk
peers modify desk"
expect_changes hub "$DIRECT" "desk gains an endpoint: hub drops desk from relay_users and the pair phone -> desk (and sets desk's endpoint), nothing else" "$to_direct_hub"
expect_changes desk "$DIRECT" "desk: peers laptop and phone added, hub's entry loses their addresses" \
"peers add laptop
peers add phone
peers modify hub"
expect_changes laptop "$DIRECT" "laptop: peer desk added, hub's entry loses desk's addresses" \
"peers add desk
peers modify hub"
# laptop opens the direct tunnel (desk refuses laptop's packets, but the
# handshake is made); then desk's pings go to laptop without hub.
reach laptop "$ADDR_desk"
reach laptop "$ADDR_desk"
before=$(relayed)
cell "$DIRECT" desk "$ADDR_laptop" laptop allow "direct now (desk has an endpoint)"
after=$(relayed)
check "hub's counter for desk -> laptop stopped growing ($before -> $after)" [ "$after" = "$before" ]
hs=$(node_exec laptop wg show $IF latest-handshakes |
	awk -v k="$(cat "$D/desk/public.key")" '$1 == k { print $2 }')
check "laptop has a WireGuard peer desk, with a handshake (direct tunnel)" \
	[ "${hs:-0}" -gt 0 ]
cell "$DIRECT" laptop "$ADDR_desk" desk deny "direct, and desk's own firewall refuses laptop"

# --- and loses it: back to relayed -------------------------------------
to_relayed_hub=$(echo "$to_direct_hub" | sed 's/^firewall_sets remove/firewall_sets add/')
expect_changes hub "$DOC" "desk loses its endpoint: hub puts desk and its pair back, nothing else" "$to_relayed_hub"
# (a peer read from the device is named by its key)
key() { cat "$D/$1/public.key"; }
expect_changes desk "$DOC" "desk: peers laptop and phone removed, hub's entry carries them again" \
"$(printf 'peers modify hub\npeers remove %s\npeers remove %s\n' "$(key laptop)" "$(key phone)" | sort)"
expect_changes laptop "$DOC" "laptop: peer desk removed, hub's entry carries it again" \
"$(printf 'peers modify hub\npeers remove %s\n' "$(key desk)" | sort)"
before=$(relayed)
cell "$DOC" desk "$ADDR_laptop" laptop allow "relayed by hub again"
after=$(relayed)
check "hub's counter for desk -> laptop grows again ($before -> $after)" [ "$after" -gt "$before" ]

echo "relay: the matrix (from -> to, packets, meshc explain, why):"
sed 's/^/relay:   /' "$MATRIX"
echo "relay: $pass passed, $fail failed"
[ "$fail" = 0 ]
