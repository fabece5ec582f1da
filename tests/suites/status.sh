#!/bin/sh
# meshc status (additions.md, Status) on a real mesh: a, b and c run meshc
# with wireguard-go in namespaces of their own (tests/e2e/status.yaml).
# a pings b and never c, so a's peer b has a handshake and bytes and c has
# neither.  Then a peer the document does not know is added by hand with
# `wg set` and a route of meshc's deleted: status shows both, and the same
# change lines as `meshc diff FILE`, with exit 2; `meshc apply` puts it
# back and status exits 0.  Each output is checked by a real reader: the
# JSON against schemas/meshc-status.schema.json (python3-jsonschema), the
# Prometheus text by prometheus_client's parser
# (python3-prometheus-client).
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg ping timeout; do
	command -v $t >/dev/null || { echo "status: missing $t"; exit 77; }
done
# the interpreter with both readers (tests/python.sh)
. tests/python.sh
find_python jsonschema prometheus_client.parser || {
	echo "status: python3 without jsonschema or prometheus_client" \
		"(Debian: python3-jsonschema python3-prometheus-client)"
	exit 77
}
E2E=mcs$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   status: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL status: $1"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
T=$(e2e_dir)/t

# status NODE [ARGS]: meshc status on NODE; stdout in $T.out, stderr in
# $T.err, exit status in $rc
status() {
	n=$1
	shift
	node_exec "$n" "$MESHC" status "$@" >"$T.out" 2>"$T.err"
	rc=$?
}
# has LINE-REGEX: a line of the last output matches (grep -E)
has() { grep -Eq -- "$1" "$T.out"; }
show() { sed 's/^/     /' "$T.out" "$T.err"; }

# json PYTHON-EXPR...: the last output is valid against
# schemas/meshc-status.schema.json (whose changes are meshc-diff's, read
# by tests/json_schemas.py) and every expression (over `doc`, the parsed
# output) is true
json() {
	"$py" - "$PWD" "$T.out" "$@" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests"))
from json_schemas import validator
doc = json.load(open(sys.argv[2]))
validator(os.path.join(sys.argv[1], "schemas"), "meshc-status").validate(doc)
ifs = {i["interface"]: i for i in doc["interfaces"]}
def peer(iface, name):
    return [p for p in ifs[iface]["peers"] if p["node"] == name][0]
for expr in sys.argv[3:]:
    if not eval(expr):
        sys.exit("false: " + expr)
PY
}

# prom PYTHON-EXPR...: the last output parses as the Prometheus text
# format, every family has HELP and TYPE, and every expression (over
# `m`, a dict name -> family, and `v(name, **labels)`, the value of the
# one sample with those labels) is true
prom() {
	"$py" - "$T.out" "$@" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
m = {f.name: f for f in text_string_to_metric_families(text)}
for line in text.splitlines():
    if line.startswith("# TYPE "):
        name = line.split()[2]
        assert "# HELP " + name + " " in text, "no HELP for " + name
def v(name, **labels):
    fam = m[name[:-len("_total")] if name.endswith("_total") else name]
    got = [s.value for s in fam.samples
           if s.name == name and all(s.labels.get(k) == x for k, x in labels.items())]
    assert len(got) == 1, "%s%r: %d samples" % (name, labels, len(got))
    return got[0]
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("false: " + expr)
PY
}

e2e_topology a b c || { bad "topology"; exit 1; }
DOC=$(e2e_dir)/status.yaml
e2e_document tests/e2e/status.yaml "$DOC" a b c || { bad "document"; exit 1; }
kb=$(cat "$(e2e_dir)/b/public.key")
for n in a b c; do
	check "apply on $n" node_exec "$n" "$MESHC" apply "$DOC" -q
done
# a talks to b (the first ping may wait for the handshake); nobody to c
i=0
until reach a 100.64.0.2 || [ $i -ge 5 ]; do i=$((i + 1)); done
check "a reaches b through the mesh" reach a 100.64.0.2

# --- text: peers by name, handshake, bytes, grants --------------------
status a "$DOC"
if [ "$rc" = 0 ] && has "^interface meshx: node a, mesh x, document $DOC\$" &&
	has '^in step with the document$'; then
	ok "a in step: exit 0, says so"
else
	bad "a in step: exit $rc"; show
fi
check "text: header row" has '^  PEER +ENDPOINT +HANDSHAKE +RECEIVED +SENT +VIA +GRANTS$'
check "text: b has a handshake seconds ago, bytes both ways, its grants" \
	has '^  b +203\.0\.113\.5:51820 +[0-9]+s ago +[0-9.]+ (B|KiB) +[0-9.]+ (B|KiB) +direct +incoming, routing$'
check "text: c never had a handshake and got nothing" \
	has '^  c +10\.0\.3\.13:51820 +never +0 B +0 B +direct +none$'

# without FILE: the document the last apply recorded
status a
if [ "$rc" = 0 ] && has "^interface meshx: node a, mesh x, document $DOC\$" &&
	has '^  c +10\.0\.3\.13'; then
	ok "without FILE: the recorded document, exit 0"
else
	bad "without FILE: exit $rc"; show
fi
# b's side: a (who pinged) by name, with the grants b gives (defaults)
status b
check "b without FILE: exit 0" [ "$rc" = 0 ]
check "b: a has a handshake, default grant incoming" \
	has '^  a +198\.51\.100\.10:51820 +[0-9]+s ago +.* +direct +incoming$'

# --- json, against the schema ---------------------------------------
status a "$DOC" --format json
check "json: exit 0" [ "$rc" = 0 ]
check "json: valid; b's handshake and bytes, c's nulls, grants, no drift" json \
	'doc["drift"] is False and ifs["meshx"]["changes"] == []' \
	'ifs["meshx"]["node"] == "a" and ifs["meshx"]["device_peers"] == 2' \
	'peer("meshx", "b")["latest_handshake"] > doc["time"] - 60' \
	'0 <= peer("meshx", "b")["latest_handshake_age_seconds"] < 60' \
	'peer("meshx", "b")["receive_bytes"] > 0 and peer("meshx", "b")["transmit_bytes"] > 0' \
	'peer("meshx", "b")["grants"] == {"incoming": True, "routing": True, "local_network": False}' \
	'peer("meshx", "b")["via"] == "direct" and peer("meshx", "b")["relay"] is None' \
	'peer("meshx", "c")["latest_handshake"] is None and peer("meshx", "c")["receive_bytes"] == 0' \
	'peer("meshx", "c")["grants"] == {"incoming": False, "routing": False, "local_network": False}'

# --- prometheus, parsed ---------------------------------------------
status a "$DOC" --format prometheus
check "prometheus: exit 0" [ "$rc" = 0 ]
check "prometheus: parses; peers, drift, handshake (0 = never), bytes" prom \
	'v("meshc_peers", node="a", interface="meshx") == 2' \
	'v("meshc_drift", node="a", interface="meshx") == 0' \
	'v("meshc_peer_latest_handshake_seconds", node="a", peer="b") > 1.6e9' \
	'v("meshc_peer_latest_handshake_seconds", node="a", peer="c") == 0' \
	'v("meshc_peer_receive_bytes_total", node="a", peer="b", public_key="'"$kb"'") > 0' \
	'v("meshc_peer_transmit_bytes_total", node="a", peer="b") > 0' \
	'v("meshc_peer_receive_bytes_total", node="a", peer="c") == 0' \
	'm["meshc_peer_receive_bytes"].type == "counter" and m["meshc_peers"].type == "gauge"'
cp "$T.out" "$T.prom-in-step"

# --- drift: a peer by hand, a route deleted by hand -------------------
(umask 077; "$MESHC" genkey >"$T.stranger")
ks=$("$MESHC" pubkey <"$T.stranger")
node_exec a wg set meshx peer "$ks" allowed-ips 10.99.0.1/32 endpoint 192.0.2.9:51820
node_exec a ip route del 100.64.0.0/24 dev meshx
status a "$DOC"
if [ "$rc" = 2 ] && has '^drift: '; then
	ok "drift: exit 2"
else
	bad "drift: exit $rc, want 2"; show
fi
check "drift: the stranger is an unknown peer, by key" \
	has "^  unknown peer $(printf '%s' "$ks" | sed 's/[+/]/\\&/g') +192\.0\.2\.9:51820 +never +0 B +0 B +direct +-\$"
check "drift: the deleted route is to be added back" has '^    \+ 100\.64\.0\.0/24'
check "drift: the stranger is to be removed" has "^    - .*$(printf '%s' "$ks" | sed 's/[+/]/\\&/g')"
sed -n '/^drift: /,$p' "$T.out" | tail -n +2 >"$T.status-changes"
cp "$T.out" "$T.text-drift"
# the same engine as diff FILE: the same change lines
node_exec a "$MESHC" diff "$DOC" >"$T.diff" 2>/dev/null
drc=$?
if [ "$drc" = 2 ] && cmp -s "$T.diff" "$T.status-changes"; then
	ok "drift: exactly the change lines of meshc diff FILE"
else
	bad "drift: diff FILE (exit $drc) says otherwise:"
	diff "$T.diff" "$T.status-changes" | sed 's/^/     /'
fi
status a --format json
check "drift json: exit 2" [ "$rc" = 2 ]
check "drift json: valid; the unknown peer, the changes" json \
	'doc["drift"] is True and ifs["meshx"]["drift"] is True' \
	'ifs["meshx"]["device_peers"] == 3' \
	'[p["public_key"] for p in ifs["meshx"]["peers"] if not p["known"]] == ["'"$ks"'"]' \
	'[p for p in ifs["meshx"]["peers"] if not p["known"]][0]["grants"] is None' \
	'[p for p in ifs["meshx"]["peers"] if not p["known"]][0]["node"] is None' \
	'{(c["layer"], c["op"]) for c in ifs["meshx"]["changes"]} == {("peers", "remove"), ("routes", "add")}'
status a --format prometheus
check "drift prometheus: exit 2" [ "$rc" = 2 ]
check "drift prometheus: drift 1, three peers, the stranger with an empty peer label" prom \
	'v("meshc_drift", node="a", interface="meshx") == 1' \
	'v("meshc_peers", node="a", interface="meshx") == 3' \
	'v("meshc_peer_latest_handshake_seconds", peer="", public_key="'"$ks"'") == 0'
cp "$T.out" "$T.prom-drift"

# apply puts it back: in step again
check "apply again" node_exec a "$MESHC" apply "$DOC" -q
status a
if [ "$rc" = 0 ] && has '^in step with the document$' && ! has 'unknown peer'; then
	ok "after apply: exit 0, the stranger is gone"
else
	bad "after apply: exit $rc"; show
fi
status a --format prometheus
check "after apply prometheus: drift 0, two peers" prom \
	'v("meshc_drift", node="a", interface="meshx") == 0' \
	'v("meshc_peers", node="a", interface="meshx") == 2'

# --- errors ----------------------------------------------------------
status a "$DOC" --format yaml
check "--format yaml: exit 1, says which formats" \
	sh -c "[ $rc = 1 ] && grep -q 'not text, json or prometheus' '$T.err'"
status a "$DOC" --node nosuch
check "--node nosuch: exit 1, lists the nodes" \
	sh -c "[ $rc = 1 ] && grep -q 'known nodes: a b c' '$T.err'"
# the interface gone by hand: drift (apply would create it), not an error
status c "$DOC" --node c
check "c: in step" [ "$rc" = 0 ]
node_exec c ip link del meshx
status c "$DOC"
if [ "$rc" = 2 ] && has '^  meshx is not on this system$'; then
	ok "interface deleted by hand: drift, exit 2"
else
	bad "interface deleted by hand: exit $rc"; show
fi
status c "$DOC" --format json
check "interface deleted by hand, json: valid; the document's peers, not on the device" json \
	'ifs["meshx"]["exists"] is False and ifs["meshx"]["drift"] is True' \
	'ifs["meshx"]["device_peers"] == 0' \
	'[p["node"] for p in ifs["meshx"]["peers"]] == ["a", "b"]' \
	'all(not p["on_device"] and p["receive_bytes"] is None for p in ifs["meshx"]["peers"])' \
	'{("interface", "modify"), ("peers", "add")} <= {(c["layer"], c["op"]) for c in ifs["meshx"]["changes"]}'
# down: meshc no longer manages it, so status without FILE has nothing
check "down on b" node_exec b "$MESHC" down "$DOC" -q
status b
check "after down, without FILE: exit 1, says there is nothing applied" \
	sh -c "[ $rc = 1 ] && grep -q 'applied no interface' '$T.err'"

echo "---- meshc status on a (text: drift, then in step after apply) ----"
sed 's/^/  /' "$T.text-drift"
node_exec a "$MESHC" status --color never "$DOC" | sed 's/^/  /'
echo "---- meshc status --format prometheus on a (in step) ----"
sed 's/^/  /' "$T.prom-in-step"
echo "ok   status: $pass passed, $fail failed"
[ "$fail" = 0 ]
