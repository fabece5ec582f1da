#!/bin/sh
# The Ansible module (examples/ansible/library/meshc.py) and the example
# playbook (examples/ansible/site.yml) driven by Debian's ansible-core, on
# a real mesh: nodes a and b run meshc with wireguard-go in namespaces of
# their own (tests/e2e/lib.sh, document tests/e2e/ansible.yaml).
#
# 1. `ansible localhost -m meshc --check --diff` inside a's namespaces:
#    the diff shown, changed, nothing applied.
# 2. On a and b at once (tests/e2e/ansible-steps.yml, each host's modules
#    run inside its node's namespaces): check mode (changed, no interface),
#    apply (changed, the interface with the other node as its peer), apply
#    again (changed: false); a then reaches b through the tunnel.
# 3. A bad document fails with meshc's FILE:LINE:COL diagnostic in msg.
# 4. state=absent in check mode (changed, nothing removed), absent
#    (changed, interface gone), absent again (changed: false; in check
#    mode too).  meshc down itself: a second run has nothing to remove;
#    apply --confirm --format json: the report alone on stdout (both
#    valid against schemas/meshc-diff.schema.json).
# 5. site.yml rolls the document's next version (a keepalive for both)
#    out to both nodes (serial: 1): --check --diff shows the diffs and
#    changes nothing; a real run applies each with --confirm, pings the
#    other and confirms; a second run changes nothing.
# Ansible keeps its files under the suite's directory (HOME and ANSIBLE_*
# point there): the real home is not written.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg ping timeout ansible ansible-playbook; do
	command -v $t >/dev/null || { echo "ansible: missing $t (Debian: ansible-core)"; exit 77; }
done
. tests/python.sh
find_python jsonschema || { echo "ansible: python3 without jsonschema (Debian: python3-jsonschema)"; exit 77; }
E2E=mca$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   ansible: $1"; }
START=$(date +%s)
bad() { fail=$((fail + 1)); echo "FAIL ansible: $1"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
IFACE=mansible
has_iface() { ip -n "$E2E-$1" link show $IFACE >/dev/null 2>&1; }
no_iface() { ! has_iface "$1"; }
LIB=$PWD/examples/ansible/library
real_home_ansible=$HOME/.ansible
[ -e "$real_home_ansible" ] && home_had_ansible=1 || home_had_ansible=0

e2e_topology a b || { bad "topology"; exit 1; }
T=$(e2e_dir)/t
mkdir -p "$T/home" "$T/local" "$T/remote" "$T/res"
: >"$T/ansible.cfg"	# none of the host's or the working directory's
DOC=$(e2e_dir)/ansible.yaml
e2e_document tests/e2e/ansible.yaml "$DOC" a b || { bad "document"; exit 1; }
key_a=$(cat "$(e2e_dir)/a/public.key")
key_b=$(cat "$(e2e_dir)/b/public.key")

# Ansible's own files under $T; no colour, no retry files, no noise
export HOME="$T/home" ANSIBLE_HOME="$T/home/.ansible" \
	ANSIBLE_LOCAL_TEMP="$T/local" ANSIBLE_REMOTE_TEMP="$T/remote" \
	ANSIBLE_CONFIG="$T/ansible.cfg" ANSIBLE_NOCOLOR=1 \
	ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_LOCALHOST_WARNING=0 \
	ANSIBLE_INVENTORY_UNPARSED_WARNING=0 ANSIBLE_DEPRECATION_WARNINGS=0 \
	ANSIBLE_SYSTEM_WARNINGS=0 ANSIBLE_PIPELINING=1

# py EXPR...: every Python expression is true; r is the JSON in $RES
py() {
	python3 - "$RES" "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    if not eval(expr):
        sys.exit("false: " + expr)
PY
}
# verdict DESCRIPTION EXPR...: py, counted, the result shown on failure
verdict() {
	d=$1
	shift
	if py "$@"; then ok "$d"; else bad "$d"; head -c 3000 "$RES" | sed 's/^/     /'; echo; fi
}

# --- 1. ad hoc, in a's namespaces: check mode with --diff -------------------
# adhoc NODE ARGS...: `ansible localhost -m meshc`; its output in $T.out,
# its exit in $rc, the result (the JSON after "localhost | STATUS => ") in
# $RES with the status as "_status" and the diff printed before it as
# "_diff"
adhoc() {
	n=$1
	shift
	node_exec "$n" ansible localhost -M "$LIB" -m meshc "$@" >"$T.out" 2>&1
	rc=$?
	RES=$T.res
	python3 - "$T.out" "$RES" <<'PY' || echo '{}' >"$RES"
import json, re, sys
text = open(sys.argv[1]).read()
m = re.search(r"^localhost \| ([A-Z!]+) => ", text, re.M)
r = json.loads(text[m.end():])
r["_status"], r["_diff"] = m.group(1), text[:m.start()]
json.dump(r, open(sys.argv[2], "w"), indent=1)
PY
}
adhoc a -a "src=$DOC node=a meshc=$MESHC" --check --diff
verdict "ad hoc check mode --diff: changed; the interface, address and peer to add in the diff" \
	'r["_status"] == "CHANGED" and r["changed"] is True and "rc" not in r' \
	'"+interface '$IFACE': public-key '$key_a', listen-port 51820\n" in r["_diff"]' \
	'"-interface '$IFACE': public-key (none), listen-port 0\n" in r["_diff"]' \
	'"+address 100.64.7.1/32\n" in r["_diff"]' \
	'"+peer b '$key_b': endpoint 203.0.113.5:51820, allowed-ips 100.64.7.2/32\n" in r["_diff"]' \
	'r["msg"].startswith("would apply ") and r["cmd"][-3:] == ["--dry-run", "--format", "json"]'
check "ad hoc check mode: exit 0" [ "$rc" = 0 ]
check "ad hoc check mode: nothing applied (no $IFACE on a)" no_iface a
echo "     the check-mode report, as a person sees it:"
grep -v '^        ' "$T.out" | head -12 | sed 's/^/     | /'
echo "     | ... ($(wc -l <"$T.out") lines)"

# --- 2. step by step on a and b at once -------------------------------------
# each host's modules run in its node's namespaces: its Python is a
# wrapper that enters them (the connection is plain local)
for n in a b; do
	cat >"$T/py-$n" <<PY
#!/bin/sh
MESHC_RUN_DIR='$(e2e_dir)/$n/run' exec nsenter --net='/run/netns/$E2E-$n' \\
	--mount='$(e2e_dir)/$n/mnt' -- /usr/bin/python3 "\$@"
PY
	chmod 755 "$T/py-$n"
done
cat >"$T/inventory" <<INV
[mesh]
a mesh_health_target=100.64.7.2 ansible_python_interpreter=$T/py-a
b mesh_health_target=100.64.7.1 ansible_python_interpreter=$T/py-b

[mesh:vars]
ansible_connection=local
ansible_become=false
mesh_confirm_seconds=30
INV
# play PLAYBOOK ARGS...: ansible-playbook on both nodes; output in $T.play
play() {
	pb=$1
	shift
	ansible-playbook -i "$T/inventory" "$pb" "$@" >"$T.play" 2>&1
	rc=$?
}
pshow() { tail -40 "$T.play" | cut -c1-300 | sed "s/^/     /"; }
steps() {
	ANSIBLE_LIBRARY=$LIB play tests/e2e/ansible-steps.yml --tags "$1" \
		-e "doc=$DOC meshc=$MESHC out=$T/res iface=$IFACE"
	[ "$rc" = 0 ] || { bad "steps $1: exit $rc"; pshow; }
}

steps up
for n in a b; do
	RES=$T/res/$n.up.json
	[ -f "$RES" ] || echo '{}' >"$RES"
	[ $n = a ] && other=b key=$key_b || other=a key=$key_a
	verdict "$n check mode: changed, adding peer $other, the diff; nothing applied" \
		'r["check"]["changed"] is True and r["check"]["cmd"][-3:] == ["--dry-run", "--format", "json"]' \
		'[c for c in r["check"]["changes"] if c["layer"] == "peers"][0]["subject"] == "'$other'"' \
		'"\npeer '$other' '$key': " in r["check"]["diff"]["after"]' \
		'r["link_after_check"]["rc"] != 0 and "does not exist" in r["link_after_check"]["stderr"]'
	verdict "$n apply: changed, no confirm pending; the interface with $other's key as its one peer" \
		'r["apply"]["changed"] is True and r["apply"]["msg"].startswith("applied ")' \
		'r["apply"]["node"] == "'$n'" and r["apply"]["pending_confirm"] is False' \
		'"--dry-run" not in r["apply"]["cmd"]' \
		'r["peers_after_apply"]["stdout"] == "'$key'"'
	verdict "$n apply again: changed false, no changes" \
		'r["apply_again"]["changed"] is False and r["apply_again"]["changes"] == []' \
		'r["apply_again"]["msg"] == "no changes"'
done
i=0
until reach a 100.64.7.2 || [ $i -ge 5 ]; do i=$((i + 1)); done
check "a reaches b through the mesh the module set up" reach a 100.64.7.2

# --- 3. a bad document --------------------------------------------------------
printf 'version: 1\nmeshes:\n  x:\n    network: 10.0.0.0/33\nnodes: {}\n' >"$T/bad.yaml"
adhoc b -a "src=$T/bad.yaml meshc=$MESHC"
verdict "bad document: failed, meshc's FILE:LINE:COL error and exit code in the result" \
	'r["_status"] == "FAILED!" and r["rc"] == 1' \
	'r["msg"].startswith("meshc apply failed (exit 1): '"$T"'/bad.yaml:4:14: error: ")' \
	'"is not a valid network" in r["msg"]'
check "bad document: ansible exits 2 (a failed host)" [ "$rc" = 2 ]
check "bad document: b keeps its interface" has_iface b

# --- 4. absent ------------------------------------------------------------------
steps down
for n in a b; do
	RES=$T/res/$n.down.json
	[ -f "$RES" ] || echo '{}' >"$RES"
	[ $n = a ] && key=$key_b || key=$key_a
	verdict "$n absent, check mode: changed, the interface and its peer in the diff, nothing removed" \
		'r["absent_check"]["changed"] is True and r["absent_check"]["diff"]["after"] == ""' \
		'"interface '$IFACE' (node '$n', mesh x)\n" in r["absent_check"]["diff"]["before"]' \
		'"'$key'" in r["absent_check"]["diff"]["before"]' \
		'r["link_after_absent_check"]["rc"] == 0'
	verdict "$n absent: changed, the interface removed; gone from ip link" \
		'r["absent"]["changed"] is True and r["absent"]["msg"] == "removed all that meshc set up"' \
		'r["absent"]["changes"][0]["layer"] == "interface" and r["absent"]["changes"][0]["op"] == "remove"' \
		'r["link_after_absent"]["rc"] != 0 and "does not exist" in r["link_after_absent"]["stderr"]'
	verdict "$n absent again: changed false, in check mode too" \
		'r["absent_again_check"]["changed"] is False and r["absent_again"]["changed"] is False' \
		'r["absent_again"]["msg"] == "nothing to remove" and r["absent_again"]["changes"] == []'
done
# meshc itself, as the module reads it: a second down has nothing to
# remove (it used to list the missing interface and say it removed it),
# in text and in JSON; apply --confirm --format json prints the report
# alone on stdout (its note that it waits went there too)
# diff_json FILE: FILE is valid against schemas/meshc-diff.schema.json
diff_json() {
	"$py" - "$PWD" "$1" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests"))
from json_schemas import validator
validator(os.path.join(sys.argv[1], "schemas"), "meshc-diff").validate(
    json.load(open(sys.argv[2])))
PY
}
out=$(node_exec a "$MESHC" down "$DOC" 2>&1)
check "meshc down, once more: 'nothing to remove'" [ "$out" = "nothing to remove" ]
node_exec a "$MESHC" down "$DOC" --format json >"$T/down.json" 2>&1
RES=$T/down.json
verdict "meshc down --format json, once more: the empty report" \
	'r["nodes"] == [] and r["changed_nodes"] == 0'
check "meshc down --format json, once more: valid meshc-diff" diff_json "$T/down.json"
node_exec a "$MESHC" apply "$DOC" --format json --confirm 30 >"$T/try.json" 2>"$T/try.err"
RES=$T/try.json
verdict "meshc apply --confirm --format json: stdout is the report alone" \
	'r["changed_nodes"] == 1 and r["nodes"][0]["node"] == "a"'
check "meshc apply --confirm --format json: valid meshc-diff" diff_json "$T/try.json"
check "meshc apply --confirm --format json: the wait is noted on stderr" \
	grep -q "^waiting 30 s for 'meshc confirm'" "$T/try.err"
out=$(node_exec a "$MESHC" confirm 2>&1)
check "meshc confirm keeps it" [ "$out" = "confirmed: $IFACE keeps the applied configuration" ]

# --- 5. the example playbook: a rolling update -------------------------------
# a and b run the document; its next version gives both a keepalive: the
# rollout changes one peer on each, one node at a time
for n in a b; do node_exec $n "$MESHC" apply "$DOC" -q; done
V2=$(e2e_dir)/ansible-v2.yaml
sed 's/^\(    endpoint: .*\)$/\1\n    keepalive: 25/' "$DOC" >"$V2"
site() { play examples/ansible/site.yml -e "mesh_document=$V2 meshc_bin=$MESHC" "$@"; }
# recap HOST CHANGED: the PLAY RECAP line of HOST: no failure, changed=N
recap() { grep -Eq "^$1 +: ok=[0-9]+ +changed=$2 +unreachable=0 +failed=0" "$T.play"; }
# task_says TASK LINE: a line under one of TASK's headers (one per host)
task_says() { sed -n "/^TASK \[$1\]/,/^TASK /p" "$T.play" | grep -q "^$2"; }
# keepalive NODE: the persistent keepalive of NODE's one peer
keepalive() { node_exec $1 wg show $IFACE persistent-keepalive | cut -f2; }

site --check --diff
if [ "$rc" = 0 ] && recap a 2 && recap b 2 &&
	grep -q "^-peer b $key_b: endpoint 203.0.113.5:51820, allowed-ips 100.64.7.2/32\$" "$T.play" &&
	grep -q "^+peer b $key_b: endpoint 203.0.113.5:51820, allowed-ips 100.64.7.2/32, keepalive 25\$" "$T.play" &&
	grep -q "^+peer a $key_a: endpoint 198.51.100.10:51820, allowed-ips 100.64.7.1/32, keepalive 25\$" "$T.play" &&
	grep -q "^+    keepalive: 25\$" "$T.play"; then
	ok "site.yml --check --diff: the document's and meshc's diffs (-peer/+peer with keepalive 25) on a and b"
else
	bad "site.yml --check --diff: exit $rc"; pshow
fi
sed -n '/^TASK \[Apply it/,/^TASK /p' "$T.play" | head -8 | sed 's/^/     | /'
check "site.yml --check: nothing applied (no keepalive on a or b)" \
	[ "$(keepalive a) $(keepalive b)" = "off off" ]
check "site.yml --check: no document left on a or b (the preview copy removed)" \
	[ -z "$(find "$(e2e_dir)/a/etc" "$(e2e_dir)/b/etc" -name 'mesh*')" ]

site
if [ "$rc" = 0 ] && recap a 3 && recap b 3 &&
	task_says "Apply it, reverted unless confirmed" "changed: \[a\]" &&
	task_says "Apply it, reverted unless confirmed" "changed: \[b\]" &&
	task_says "Health check, the mesh answers" "ok: \[a\]" &&
	task_says "Health check, the mesh answers" "ok: \[b\]" &&
	task_says "Keep the new configuration" "changed: \[a\]" &&
	task_says "Keep the new configuration" "changed: \[b\]" &&
	[ "$(grep -c '^PLAY \[Roll out the mesh\]' "$T.play")" = 2 ]; then
	ok "site.yml: one host at a time, each applied with --confirm, health checked, confirmed"
else
	bad "site.yml: exit $rc"; pshow
fi
check "site.yml: the keepalive on a and b" [ "$(keepalive a) $(keepalive b)" = "25 25" ]
for n in a b; do
	out=$(node_exec $n "$MESHC" confirm 2>&1)
	case $out in
	*"nothing is waiting"*"not confirmed"*) bad "site.yml: $n's try was not confirmed: $out" ;;
	*"nothing is waiting"*) ok "site.yml: nothing waits for confirmation on $n any more" ;;
	*) bad "site.yml: meshc confirm on $n says: $out" ;;
	esac
done
check "site.yml: a reaches b" reach a 100.64.7.2
site
if [ "$rc" = 0 ] && recap a 0 && recap b 0; then
	ok "site.yml again: nothing changed anywhere"
else
	bad "site.yml again: exit $rc"; pshow
fi

if [ "$home_had_ansible" = 0 ] && [ -e "$real_home_ansible" ]; then
	bad "ansible wrote $real_home_ansible"
else
	ok "ansible kept its files under the suite's directory"
fi
echo "ansible: $pass passed, $fail failed ($(($(date +%s) - START)) s)"
[ "$fail" = 0 ]
