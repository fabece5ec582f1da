#!/bin/sh
# grants-diff: differential test of limited grants.  Random documents
# (tests/tools/gengrants.py: every flag of every grant true, false or a
# random list of services or {to, ports} entries) are applied on the four
# managed nodes of tests/e2e/lib.sh (b owns the lan, IPv4 and IPv6), and
# for every ordered pair of sender and destination (each other node's
# IPv4 and IPv6 mesh address, the lan host's two addresses) and each
# service of a sample (TCP and UDP ports inside, at the edge of and
# outside the generated lists, and ICMP), a real packet's fate is
# compared with `meshc explain FILE FROM TO SERVICE`.  There is no
# hand-written expectation: meshc's model and the kernel must agree.
#
# GRANTS_DIFF_SEEDS (default "1 2") picks the documents.  Namespaces are
# mcgd<pid>-*, the WireGuard interface wg-gd.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go socat ping python3 timeout; do
	command -v $t >/dev/null || { echo "grants-diff: missing $t"; exit 77; }
done
E2E=mcgd$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   grants-diff: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL grants-diff: $1"; }

NODES="a b c d"
TCP="7001 7003 7005"
UDP="7002 7004 7006"
e2e_topology $NODES || { bad "topology"; exit 1; }
D=$(e2e_dir)
ip -n "$E2E-b" addr add fd02::1/64 dev lan0 nodad
ip -n "$E2E-lan" addr add fd02::10/64 dev eth0 nodad
ip -n "$E2E-lan" -6 route add default via fd02::1
UDP_ECHO='
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(sys.argv[2].encode() + b"\n", peer)
'
for n in $NODES lan; do
	for p in $TCP; do
		_e2e_exec $n socat "TCP6-LISTEN:$p,ipv6only=0,reuseaddr,fork" \
			SYSTEM:"echo $n" </dev/null >/dev/null 2>&1 &
	done
	# UDP: one process answering every datagram from its own socket
	# (socat's UDP-RECVFROM,fork can hand one peer's datagram to the
	# child that answers another when several senders probe at once)
	for p in $UDP; do
		_e2e_exec $n python3 -c "$UDP_ECHO" "$p" "$n" \
			</dev/null >/dev/null 2>&1 &
	done
done

host() { case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac; }
try() {	# FROM ADDR SERVICE: the answer came back
	case $3 in
	icmp)
		case $2 in *:*) f=-6 ;; *) f=-4 ;; esac
		_e2e_exec "$1" ping $f -c 1 -W 1 "$2" >/dev/null 2>&1 ;;
	tcp/*)
		out=$(_e2e_exec "$1" timeout 4 socat -T 1 - \
			"TCP:$(host "$2"):${3#tcp/},connect-timeout=1" </dev/null 2>/dev/null)
		[ -n "$out" ] ;;
	udp/*)
		# -t: after stdin's end, wait that long for the answer (a
		# forked listener on a busy machine takes its time)
		out=$(echo probe | _e2e_exec "$1" timeout 5 socat -t 2 -T 2 - \
			"UDP:$(host "$2"):${3#udp/}" 2>/dev/null)
		[ -n "$out" ] ;;
	esac
}
targets() {	# SENDER: every destination it is probed against
	for n in $NODES; do
		[ "$n" = "$1" ] && continue
		i=$(echo "$NODES" | tr ' ' '\n' | grep -n "^$n\$" | cut -d: -f1)
		echo "100.67.0.$i fd67:0:0:1::$i"
	done
	echo "$E2E_LAN_HOST fd02::10"
}
# services K: the sample for the K-th pair: icmp and three of the six
# ports, a different three from pair to pair (every port is probed
# across the pairs)
services() {
	set -- $(for p in $TCP $UDP; do
		case $p in 7001|7003|7005) echo tcp/$p ;; *) echo udp/$p ;; esac
	done) "$1"
	k=$7
	echo icmp
	for i in 0 1 2; do
		j=$(((k + 2 * i) % 6 + 1))
		eval "echo \$$j"
	done
}
# probe SENDER DOC OUT: one line per probe, "FROM ADDR SERVICE GOT PRED"
probe() {
	k=0
	for t in $(targets "$1"); do
		k=$((k + 1))
		for s in $(services $k); do
			if try "$1" "$t" "$s"; then got=allow; else got=deny; fi
			pred=$("$MESHC" explain "$2" "$1" "$t" "$s" | head -n 1)
			echo "$1 $t $s $got ${pred%%:*}"
		done
	done >"$3"
}

docs=0 probes=0 pairs=0
for seed in ${GRANTS_DIFF_SEEDS:-1 2}; do
	python3 tests/tools/gengrants.py "$seed" >"$D/template-$seed.yaml"
	doc=$D/doc-$seed.yaml
	e2e_document "$D/template-$seed.yaml" "$doc" $NODES ||
		{ bad "seed $seed: document"; continue; }
	if ! "$MESHC" validate "$doc" >/dev/null 2>"$D/validate-$seed.err"; then
		bad "seed $seed: the generator made an invalid document: $(cat "$D/validate-$seed.err")"
		continue
	fi
	applied=true
	for n in $NODES; do
		node_exec "$n" "$MESHC" apply "$doc" -q ||
			{ bad "seed $seed: meshc apply on $n"; applied=false; }
	done
	$applied || continue
	# handshakes: c roams (no endpoint) and starts its own
	for n in c a b d; do
		for t in $(targets $n); do
			case $t in 192.168.*|fd02::*) continue ;; esac
			_e2e_exec $n ping -c 1 -W 1 "$t" >/dev/null 2>&1
		done
	done
	pids=
	for n in $NODES; do
		probe $n "$doc" "$D/probe-$seed-$n" &
		pids="$pids $!"
	done
	wait $pids	# not the listeners, which run to the end
	docs=$((docs + 1))
	cat "$D"/probe-$seed-* >"$D/probe-$seed"
	n=$(wc -l <"$D/probe-$seed")
	probes=$((probes + n))
	pairs=$((pairs + $(cut -d' ' -f1,2 "$D/probe-$seed" | sort -u | wc -l)))
	allowed=$(awk '$4 == "allow"' "$D/probe-$seed" | wc -l)
	mism=$(awk '$4 != $5' "$D/probe-$seed")
	if [ -z "$mism" ]; then
		ok "seed $seed: $n probes ($allowed allowed), packets agree with explain"
	else
		bad "seed $seed: packets and explain disagree (FROM TO SERVICE PACKETS EXPLAIN):"
		echo "$mism" | sed 's/^/     /'
		echo "     document: $doc"
		sed 's/^/     | /' "$doc"
	fi
	# a document where nothing or everything passes tests nothing
	[ "$allowed" -gt 0 ] && [ "$allowed" -lt "$n" ] &&
		ok "seed $seed: some probes pass and some do not" ||
		bad "seed $seed: $allowed of $n probes pass"
done
echo "grants-diff: $docs documents, $pairs sender/destination pairs, $probes probes with packets"
echo "grants-diff: $pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$docs" -gt 0 ]
