#!/bin/sh
# check, explain and graph (cli.md): every example's tests pass against
# the compiled plans, explain's first word is the verdict, a wrong
# expectation makes check exit 2, and graph's DOT is accepted by dot.
set -u
fail=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
SEED=examples/seed.yaml

ok() { echo "ok   check: $1"; }
bad() { echo "FAIL check: $1"; fail=$((fail + 1)); }

for f in examples/*.yaml; do
	[ -f "$f" ] || continue
	if "$MESHC" check --color never "$f" >"$tmp/out" 2>"$tmp/err"; then
		ok "$f: $(tail -n 1 "$tmp/out")"
	else
		bad "$f: exit $?"
		grep -v '^PASS' "$tmp/out" | head -n 10
		head -n 5 "$tmp/err"
	fi
done

# json: parseable, one entry per test, nothing failed
if "$MESHC" check --format json "$SEED" >"$tmp/json" &&
	grep -q '"failed": 0' "$tmp/json" &&
	grep -q '"rule": 2, "node": "b"' "$tmp/json"; then
	if command -v python3 >/dev/null 2>&1 &&
		! python3 -m json.tool "$tmp/json" >/dev/null 2>&1; then
		bad "check --format json is not JSON"
	else
		ok "check --format json"
	fi
else
	bad "check --format json"
fi

first_word() { sed -n '1s/^\([a-z]*\).*/\1/p' "$1"; }

# Laptops and phones that run the WireGuard app: nothing enforces lap2's
# refusal against lap1 (a test expecting deny fails and says so), and two
# nodes without endpoints have no tunnel at all.
cat >"$tmp/apps.yaml" <<'EOF'
version: 1
meshes:
  x: { network: 100.64.0.0/24 }
nodes:
  lap1:
    mesh: x
    public_key: "hapwmo7EW7u4FxLH8qeqW4MCKv56zqbX5Lwh/6f8xWo="
    platform: macos
  lap2:
    mesh: x
    public_key: "tQiYKphablPGmlHV7MSDH8ksp/mxqblYPvquWTy/ny8="
    platform: windows
    endpoint: 198.51.100.2:51820
    permissions: { default: { incoming: false } }
  phone:
    mesh: x
    public_key: "fOLVl6TM1U49SoRqXOTMO9lKI1sMk/r+/ssvhw1rQAE="
    platform: android
tests:
  - { from: lap1, to: lap2, expect: deny }
  - { from: lap1, to: phone, expect: deny }
EOF
"$MESHC" check --color never "$tmp/apps.yaml" >"$tmp/out" 2>/dev/null
rc=$?
if [ "$rc" = 2 ] &&
	grep -q 'FAIL  lap1 -> lap2 .*expect deny  got allow .*not enforced: neither lap1 nor lap2 runs meshc' "$tmp/out" &&
	grep -q 'PASS  lap1 -> phone .*no tunnel: neither lap1 nor phone has an endpoint' "$tmp/out"; then
	ok "check: 'not enforced' fails a deny test, 'no tunnel' denies"
else
	bad "check apps.yaml: exit $rc"
	cat "$tmp/out"
fi
"$MESHC" explain "$tmp/apps.yaml" lap1 lap2 >"$tmp/out" 2>/dev/null
if [ "$(first_word "$tmp/out")" = allow ] && ! grep -q 'chain input' "$tmp/out"; then
	ok "explain lap1 lap2: allow, no firewall evaluated on lap2"
else
	bad "explain lap1 lap2: $(head -n 1 "$tmp/out")"
fi

# explain names the enforcement point of every ordered pair of nodes of
# examples/roadwarrior.yaml.  The expectation comes from the document's
# grants and endpoints (read here with python3-yaml), not from meshc's
# output, in the order the packet meets them: a managed sender whose
# unmanaged destination does not grant it incoming "drops its own packet"
# (its output hook, before WireGuard looks for an endpoint); else no
# endpoint on either side -> "no tunnel"; a managed destination -> it
# "accepts it" or "drops it"; an unmanaged destination and a managed
# sender -> the sender lets it out (and does not claim that nobody
# enforces it); both unmanaged -> "not enforced".  The verdict is checked
# on the first and the last line.
ROAD=examples/roadwarrior.yaml
if python3 -c 'import yaml' 2>/dev/null; then
	python3 - "$ROAD" >"$tmp/pairs" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
nodes, meshes = doc["nodes"], doc["meshes"]
def managed(n):
    m = nodes[n].get("managed")
    return nodes[n].get("platform", "linux") == "linux" if m is None else m
def incoming(dst, src):   # peer entry -> default -> mesh defaults -> true
    p = nodes[dst].get("permissions") or {}
    for flags in ((p.get("peers") or {}).get(src), p.get("default"),
                  meshes[nodes[dst]["mesh"]].get("defaults")):
        if flags and "incoming" in flags:
            return flags["incoming"]
    return True
linked = {frozenset(l) for l in doc.get("links") or []}
for x in sorted(nodes):
    for y in sorted(nodes):
        if x == y or (nodes[x]["mesh"] != nodes[y]["mesh"]
                      and frozenset((x, y)) not in linked):
            continue
        g = incoming(y, x)
        if managed(x) and not managed(y) and not g:
            v, why = "deny", x + " drops its own packet"
        elif "endpoint" not in nodes[x] and "endpoint" not in nodes[y]:
            v, why = "deny", "no tunnel: neither %s nor %s has an endpoint" % (x, y)
        elif managed(y):
            v, why = ("allow", y + " accepts it") if g else ("deny", y + " drops it")
        elif managed(x):
            v, why = "allow", x
        else:
            v, why = "allow", "not enforced: neither %s nor %s runs meshc" % (x, y)
        print("%s\t%s\t%s\t%s" % (x, y, v, why))
PY
	npairs=0 nbad=0
	while IFS='	' read -r x y v why; do
		npairs=$((npairs + 1))
		"$MESHC" explain "$ROAD" "$x" "$y" >"$tmp/out" 2>/dev/null
		last=$(tail -n 1 "$tmp/out")
		case $last in
		"  $v: "*"$why"*) ;;
		*) nbad=$((nbad + 1)); bad "explain $ROAD $x $y: expected '$v: ...$why...', last line: '$last'"; continue ;;
		esac
		# an allow at a managed sender must not say that nobody enforces it
		case $last in *"not enforce"*)
			[ "$why" = "$x" ] && { nbad=$((nbad + 1)); bad "explain $x $y: '$last' ($x runs meshc)"; continue; } ;;
		esac
		[ "$(first_word "$tmp/out")" = "$v" ] ||
			{ nbad=$((nbad + 1)); bad "explain $x $y: first line '$(head -n 1 "$tmp/out")'"; }
	done <"$tmp/pairs"
	[ "$npairs" = 20 ] && [ "$nbad" = 0 ] &&
		ok "explain $ROAD: every one of the $npairs ordered pairs names its enforcement point" ||
		bad "explain $ROAD: $nbad of $npairs pairs (20 expected) wrong"
elif [ "${CI:-}" = true ]; then
	bad "python3-yaml is not installed"
else
	echo "skip check: the roadwarrior pairs need python3-yaml"
fi

# explain: verdict first, reasons after, exit 0 either way
"$MESHC" explain "$SEED" c a >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && [ "$(first_word "$tmp/out")" = deny ] &&
	grep -q 'spec rule 2' "$tmp/out"; then
	ok "explain c a: deny by rule 2"
else
	bad "explain c a: exit $rc, got '$(head -n 1 "$tmp/out")'"
fi
"$MESHC" explain "$SEED" a lan:b >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && [ "$(first_word "$tmp/out")" = allow ]; then
	ok "explain a lan:b: allow"
else
	bad "explain a lan:b: exit $rc, got '$(head -n 1 "$tmp/out")'"
fi
if "$MESHC" explain --format json "$SEED" c internet >"$tmp/out" &&
	grep -q '"verdict": "allow"' "$tmp/out"; then
	ok "explain --format json: verdict"
else
	bad "explain --format json"
fi
"$MESHC" explain "$SEED" q a >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 1 ] && grep -q "no node named 'q'" "$tmp/err"; then
	ok "explain: unknown FROM is an error"
else
	bad "explain q a: exit $rc"
fi
"$MESHC" explain "$SEED" a no-such-thing >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] && ok "explain: unknown TO is an error" ||
	bad "explain a no-such-thing: exit $rc"

# one wrong expectation: exit 2, and the line says FAIL
sed 's/{ from: c, to: a, expect: deny }/{ from: c, to: a, expect: allow }/' \
	"$SEED" >"$tmp/wrong.yaml"
if cmp -s "$SEED" "$tmp/wrong.yaml"; then
	bad "could not plant a wrong expectation in $SEED"
else
	"$MESHC" check "$tmp/wrong.yaml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q '^FAIL  c -> a ' "$tmp/out" &&
		tail -n 1 "$tmp/out" | grep -q ', 1 failed$'; then
		ok "a wrong expectation fails with exit 2"
	else
		bad "wrong expectation: exit $rc"
		cat "$tmp/out"
	fi
	# the failing test names its own line (text and JSON), beside the
	# line that decided it
	line=$(grep -n '{ from: c, to: a, expect: allow }' "$tmp/wrong.yaml" | cut -d: -f1)
	if grep -A1 '^FAIL  c -> a ' "$tmp/out" |
		grep -qx "      $tmp/wrong.yaml:$line:5: the failing test" &&
		"$MESHC" check --format json "$tmp/wrong.yaml" 2>/dev/null |
		grep '"pass": false' | grep -q "\"line\": [0-9]*, \"test_line\": $line, \"test_col\": 5}"; then
		ok "a failing test names its own line ($line), text and JSON"
	else
		bad "the failing test's own line $line is not named"
		cat "$tmp/out"
	fi
fi

# no tests at all: nothing to fail
sed '/^tests:/,$d' "$SEED" >"$tmp/notests.yaml"
"$MESHC" check "$tmp/notests.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && grep -qx 'no tests' "$tmp/out"; then
	ok "a document without tests"
else
	bad "no tests: exit $rc, got '$(head -n 1 "$tmp/out")'"
fi

# an invalid document: exit 1
printf 'version: 1\nmeshes: {}\n' >"$tmp/invalid.yaml"
"$MESHC" check "$tmp/invalid.yaml" >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] && ok "invalid document: exit 1" || bad "invalid document: exit $rc"

# graph: deterministic, and valid DOT
"$MESHC" graph "$SEED" >"$tmp/g1" 2>/dev/null &&
	"$MESHC" graph "$SEED" >"$tmp/g2" 2>/dev/null
if cmp -s "$tmp/g1" "$tmp/g2" && grep -q '^digraph meshc {' "$tmp/g1" &&
	grep -q '"b" -> "c" \[label="routing", color=blue, fontcolor=blue, arrowhead=empty\]' "$tmp/g1" &&
	grep -q '"c" -> "b" \[label="exit node", style=bold\]' "$tmp/g1" &&
	grep -q 'subgraph "cluster_legend"' "$tmp/g1" &&
	grep -qF '\n203.0.113.5:51820\nlan 192.168.2.0/24"];' "$tmp/g1" &&
	grep -q '"c" \[label="c\\n100.64.1.2\\nno endpoint' "$tmp/g1"; then
	ok "graph: deterministic DOT; grants blue, uses bold, a legend, endpoints"
else
	bad "graph output"
	head -n 30 "$tmp/g1"
fi
# an unmanaged node is drawn dashed and says what runs it
"$MESHC" graph examples/roadwarrior.yaml 2>/dev/null >"$tmp/g1"
if grep -q '^		"phone" \[label="phone\\n.*android, WireGuard app.*", style=dashed\];' "$tmp/g1" &&
	grep -q '^		"vps" \[label="vps\\n[^"]*"\];' "$tmp/g1"; then
	ok "graph: the WireGuard app's nodes dashed, meshc's plain"
else
	bad "graph: managed and unmanaged nodes not told apart"
fi
# Limited grants: without port, a partly open destination fails a test
# expecting allow and one expecting deny, and check says what is open;
# with port, each service has its answer; explain takes a SERVICE and
# --format json carries it.
sed -e '/^tests:/,$d' examples/services.yaml >"$tmp/partial.yaml"
cat >>"$tmp/partial.yaml" <<'EOF'
tests:
  - { from: laptop, to: home, expect: allow }
  - { from: laptop, to: home, expect: deny }
  - { from: laptop, to: home, port: tcp/22, expect: allow }
  - { from: laptop, to: home, port: udp/22, expect: deny }
EOF
"$MESHC" check --color never "$tmp/partial.yaml" >"$tmp/out" 2>&1
rc=$?
if [ $rc = 2 ] && [ "$(grep -c '^FAIL.*partly open: only tcp/22, icmp' "$tmp/out")" = 2 ] &&
	[ "$(grep -c '^PASS' "$tmp/out")" = 2 ]; then
	ok "a partly open destination fails allow and deny without port, and says what is open"
else
	bad "partial: exit $rc: $(cat "$tmp/out")"
fi
"$MESHC" check --format json "$tmp/partial.yaml" >"$tmp/json"
if grep -q '"port": null, "expect": "allow", "got": "partial", "pass": false, "open": "tcp/22, icmp"' "$tmp/json" &&
	grep -q '"port": "tcp/22", "expect": "allow", "got": "allow", "pass": true' "$tmp/json"; then
	ok "check --format json carries port, got partial and what is open"
else
	bad "check --format json for limited grants: $(cat "$tmp/json")"
fi
"$MESHC" explain "$tmp/partial.yaml" laptop home >"$tmp/ex"
"$MESHC" explain "$tmp/partial.yaml" laptop home tcp/22 >"$tmp/ex22"
"$MESHC" explain --format json "$tmp/partial.yaml" laptop home udp/22 >"$tmp/exj"
if [ "$(first_word "$tmp/ex")" = partial ] && [ "$(first_word "$tmp/ex22")" = allow ] &&
	grep -q '"verdict": "deny"' "$tmp/exj" && grep -q '"service": "udp/22"' "$tmp/exj"; then
	ok "explain FILE FROM TO [SERVICE]: partial, allow for tcp/22, deny for udp/22 (json)"
else
	bad "explain with SERVICE: $(cat "$tmp/ex" "$tmp/ex22" "$tmp/exj" | head -5)"
fi
if "$MESHC" explain "$tmp/partial.yaml" laptop home tcp:22 2>"$tmp/err"; then
	bad "explain accepted the service tcp:22"
elif grep -q "did you mean tcp/22" "$tmp/err"; then
	ok "explain refuses tcp:22 with a hint"
else
	bad "explain tcp:22: $(cat "$tmp/err")"
fi

if command -v dot >/dev/null 2>&1; then
	for f in examples/*.yaml; do
		if "$MESHC" graph "$f" >"$tmp/g" 2>/dev/null &&
			grep -q '^digraph meshc {' "$tmp/g" &&
			dot -Tsvg <"$tmp/g" >/dev/null 2>"$tmp/err"; then
			ok "graph $f | dot -Tsvg"
		else
			bad "graph $f | dot -Tsvg: $(head -n 1 "$tmp/err")"
		fi
		# as dot lays it out: no label covers a node or another label
		if dot -Tjson <"$tmp/g" 2>/dev/null |
			python3 tests/graph_overlap.py >"$tmp/ov"; then
			ok "graph $f: $(tail -n 1 "$tmp/ov")"
		else
			bad "graph $f: $(head -n 3 "$tmp/ov" | tr '\n' ' ')"
		fi
	done
elif [ "${CI:-}" = true ]; then
	bad "dot (graphviz) is not installed"
else
	echo "skip check: dot (graphviz) not installed"
	[ "$fail" = 0 ] && exit 77
fi

[ "$fail" = 0 ]
