#!/bin/sh
# Secrets.  (1) A private key file that group/other may read, or that
# another user owns, is refused by compile --with-secrets and by apply,
# naming the path and the mode; apply refuses before it changes anything
# (checked in a fresh network namespace).  (2) Every command that handles
# keys runs on known keys with all stdout and stderr captured: no private
# key, in base64 or in the hex of the UAPI, shows up anywhere but in the
# one `compile --target wg --with-secrets` output and export's file; nor
# does the mesh's preshared secret or a preshared key derived from it, nor
# a preshared key read back from the device.  A secret file that group or
# other may read is refused like a private key file.  (3) The fixed private
# keys of the unit tests and fixtures appear only in the files that need
# them (never under tests/golden/).
set -u
[ "$(id -u)" = 0 ] || { echo "secrets: needs root (chown, unshare)"; exit 77; }
for t in unshare ip base64 od chown python3; do
	command -v $t >/dev/null || { echo "secrets: missing $t"; exit 77; }
done
fail=0 n=0
tmp=$(mktemp -d) || exit 1
trap '[ -n "${KEEP:-}" ] && cp -r "$tmp/out" "$KEEP"; rm -rf "$tmp"' EXIT
ok() { n=$((n + 1)); echo "ok   secrets: $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "FAIL secrets: $1"; }
hex() { printf '%s' "$1" | base64 -d | od -An -tx1 | tr -d ' \n'; }

# ---- keys and documents ---------------------------------------------------
umask 077
for k in a b c a2; do "$MESHC" genkey >"$tmp/$k.key" || exit 1; done
"$MESHC" genpsk >"$tmp/x.psk" || exit 1
umask 022
pub() { "$MESHC" pubkey <"$tmp/$1.key"; }
A=$(pub a) B=$(pub b) C=$(pub c) A2=$(pub a2)
ifname=msec$$
ifname=$(printf '%.15s' "$ifname")
doc() {	# PUBLIC-KEY-OF-a KEY-FILE-OF-a
	cat <<EOF
version: 1
meshes:
  x:
    network: 100.64.0.0/24
    interface: $ifname
    preshared_key_file: $tmp/x.psk
  y:
    network: 100.64.1.0/24
    interface: $ifname
nodes:
  a:
    mesh: x
    public_key: "$1"
    address: 100.64.0.1
    endpoint: 198.51.100.1:51820
    private_key_file: $2
    lan: [192.168.10.0/24]
    permissions:
      peers:
        b: {routing: true, local_network: true}
        c: {routing: true}
  b:
    mesh: x
    public_key: "$B"
    address: 100.64.0.2
    private_key_file: $tmp/b.key
    exit_node: a
  c:
    mesh: y
    public_key: "$C"
    address: 100.64.1.3
    endpoint: 198.51.100.3:51820
    private_key_file: $tmp/c.key
    exit_node: a
links:
  - [c, a]
tests:
  - {from: b, to: a, expect: allow}
  - {from: c, to: lan:a, expect: deny}
EOF
}
doc "$A" "$tmp/a.key" >"$tmp/mesh.yaml"
doc "$A2" "$tmp/a2.key" >"$tmp/mesh-new.yaml"
"$MESHC" validate "$tmp/mesh.yaml" >/dev/null 2>&1 ||
	{ echo "FAIL secrets: the test document does not validate"; exit 1; }

# ---- (1) loose or foreign key files are refused -------------------------
out=$tmp/out
mkdir "$out"
netns_links() { ip -o link show | sed 's/^[0-9]*: //; s/ link\/.*//'; }
refused() {	# description expected-pattern command...
	d=$1 pat=$2
	shift 2
	"$@" >"$tmp/r.out" 2>"$tmp/r.err"
	rc=$?
	if [ "$rc" = 1 ] && grep -q -F -e "$tmp/a.key" "$tmp/r.err" &&
	   grep -q -E "$pat" "$tmp/r.err" && [ ! -s "$tmp/r.out" ]; then
		ok "$d"
	else
		bad "$d (exit $rc)"
		head -n 3 "$tmp/r.err"
	fi
}
# apply in a fresh network namespace: refused, and nothing new there
apply_refused() {	# description pattern
	rm -rf "$tmp/run"
	mkdir "$tmp/run"
	MESHC_RUN_DIR=$tmp/run unshare -n sh -c '
		before=$(ip -o link show)
		"$1" apply "$2" --node a >"$3.out" 2>"$3.err"
		echo $? >"$3.rc"
		after=$(ip -o link show)
		[ "$before" = "$after" ] || echo changed >"$3.changed"
		if command -v nft >/dev/null; then
			nft list ruleset >"$3.nft" 2>/dev/null
		fi
	' sh "$MESHC" "$tmp/mesh.yaml" "$tmp/ap"
	rc=$(cat "$tmp/ap.rc")
	if [ "$rc" = 1 ] && grep -q -F -e "$tmp/a.key" "$tmp/ap.err" &&
	   grep -q -E "$2" "$tmp/ap.err" && [ ! -e "$tmp/ap.changed" ] &&
	   [ ! -s "$tmp/ap.nft" ]; then
		ok "$1"
	else
		bad "$1 (exit $rc)"
		head -n 3 "$tmp/ap.err"
		[ -e "$tmp/ap.changed" ] && echo "     links changed in the namespace"
		[ -s "$tmp/ap.nft" ] && echo "     an nftables ruleset appeared"
	fi
	rm -f "$tmp/ap.changed" "$tmp/ap.nft"
	cat "$tmp/ap.out" "$tmp/ap.err" >>"$out/refusals.txt"
}
for mode in 640 604 644 660 606 610 601; do
	chmod $mode "$tmp/a.key"
	refused "compile --with-secrets refuses a key file of mode 0$mode" \
		"mode 0$mode" "$MESHC" compile "$tmp/mesh.yaml" --node a \
		--target wg --with-secrets
	cat "$tmp/r.out" "$tmp/r.err" >>"$out/refusals.txt"
	apply_refused "apply refuses a key file of mode 0$mode, changing nothing" \
		"mode 0$mode"
done
chmod 600 "$tmp/a.key"
chown nobody "$tmp/a.key"
refused "compile --with-secrets refuses a key file owned by nobody" \
	"mode 0600\\) is owned by uid $(id -u nobody)" \
	"$MESHC" compile "$tmp/mesh.yaml" --node a --target wg --with-secrets
cat "$tmp/r.out" "$tmp/r.err" >>"$out/refusals.txt"
apply_refused "apply refuses a key file owned by nobody, changing nothing" \
	"owned by uid $(id -u nobody)"
chown "$(id -u)" "$tmp/a.key"
# A FIFO in the key file's place: refused before anything is read, and
# never waited on (opening it used to block for a writer, also while
# looking for the node whose key is on this host).
mv "$tmp/a.key" "$tmp/a.key.real"
mkfifo -m 600 "$tmp/a.key"
refused "compile --with-secrets refuses a FIFO as key file, at once" \
	"not a regular file" timeout 10 "$MESHC" compile "$tmp/mesh.yaml" \
	--node a --target wg --with-secrets
timeout 10 "$MESHC" compile "$tmp/mesh.yaml" --target wg \
	>/dev/null 2>"$tmp/r.err"
rc=$?
if [ "$rc" != 124 ] && grep -q -F "$tmp/a.key: not a regular file" "$tmp/r.err"; then
	ok "node selection passes over a FIFO key file without waiting"
else
	bad "node selection with a FIFO key file (exit $rc)"
	head -n 3 "$tmp/r.err"
fi
rm -f "$tmp/a.key"
mv "$tmp/a.key.real" "$tmp/a.key"
# The mesh's preshared secret is checked like a private key file.
chmod 640 "$tmp/x.psk"
for cmd in "compile --target wg --with-secrets" export; do
	# shellcheck disable=SC2086
	"$MESHC" $cmd "$tmp/mesh.yaml" --node a >"$tmp/r.out" 2>"$tmp/r.err"
	rc=$?
	if [ "$rc" = 1 ] && [ ! -s "$tmp/r.out" ] && grep -q -F \
	   "$tmp/x.psk: key file is accessible by group/other (mode 0640)" \
	   "$tmp/r.err"; then
		ok "$cmd refuses a preshared secret file of mode 0640"
	else
		bad "$cmd with a preshared secret file of mode 0640 (exit $rc)"
		head -n 3 "$tmp/r.err"
	fi
	cat "$tmp/r.out" "$tmp/r.err" >>"$out/refusals.txt"
done
chmod 600 "$tmp/x.psk"

# ---- (2) no private key in any output but the intended one -------------
run() {	# name command...: all stdout and stderr kept, any exit code
	name=$1
	shift
	"$@" >"$out/$name.out" 2>"$out/$name.err"
}
M=$tmp/mesh.yaml
run validate "$MESHC" validate "$M"
run validate-json "$MESHC" validate --format json "$M"
for node in a b c; do
	for t in plan json nft pf wg routes sysctl; do
		run "compile-$node-$t" "$MESHC" compile "$M" --node "$node" --target $t
		run "compile-$node-$t-v" "$MESHC" compile "$M" --node "$node" --target $t -v
	done
	run "compile-$node-json-secrets" "$MESHC" compile "$M" --node "$node" \
		--target json --with-secrets
done
# the one place a private key is printed, kept apart from the scan
"$MESHC" compile "$M" --node a --target wg --with-secrets \
	>"$tmp/with-secrets.out" 2>"$out/with-secrets.err"
# export prints a's key on purpose (kept apart too); its diagnostics, and a
# refused export (the key file of another key), are scanned
"$MESHC" export "$M" --node a >"$tmp/export-a.conf" 2>"$out/export-a.err"
run export-wrong-key "$MESHC" export "$M" --node a --private-key-file "$tmp/a2.key"
run export-wrong-key-qr "$MESHC" export "$M" --node a --format qr \
	--private-key-file "$tmp/a2.key"
run check "$MESHC" check "$M"
run check-json "$MESHC" check --format json "$M"
run explain "$MESHC" explain "$M" c a
run explain-lan "$MESHC" explain "$M" b 192.168.10.7 -v
run explain-json "$MESHC" explain --format json "$M" b internet
run graph "$MESHC" graph "$M"
run diff "$MESHC" diff "$M" "$tmp/mesh-new.yaml"
run diff-a "$MESHC" diff "$M" "$tmp/mesh-new.yaml" --node a -v
run diff-json "$MESHC" diff --format json "$M" "$tmp/mesh-new.yaml"
run pubkey sh -c '"$1" pubkey <"$2"' sh "$MESHC" "$tmp/a.key"
run pubkey-bad sh -c 'printf "not a key\n" | "$1" pubkey' sh "$MESHC"
run stdin-doc sh -c '"$1" compile - --node a --target wg <"$2"' sh "$MESHC" "$M"
# the node found from its key file (no --node)
run select-by-key sh -c 'cd "$2" && "$1" compile mesh.yaml --target wg' sh \
	"$MESHC" "$tmp"
mkdir -p "$tmp/run"
MESHC_RUN_DIR=$tmp/run unshare -n sh -c '
	"$1" apply "$2" --node a --dry-run >"$3/apply-dry.out" 2>"$3/apply-dry.err"
	"$1" apply "$2" --node a --dry-run -v --format json \
		>"$3/apply-dry-json.out" 2>"$3/apply-dry-json.err"
	"$1" diff "$2" --node a >"$3/diff-live.out" 2>"$3/diff-live.err"
' sh "$MESHC" "$M" "$out"

# A real apply with userspace WireGuard, when there is one: the live
# device's key comes back over UAPI (in hex) for diff and the second run.
if command -v wireguard-go >/dev/null; then
	MESHC_RUN_DIR=$tmp/run unshare -n -m --propagation private sh -c '
		mkdir -p /run/wireguard &&
		mount -t tmpfs meshc-secrets /run/wireguard || exit 0
		ip link set lo up
		"$1" apply "$2" --node a >"$3/apply.out" 2>"$3/apply.err"
		echo $? >"$5/apply.rc"
		"$1" apply "$2" --node a -v >"$3/apply-again.out" 2>"$3/apply-again.err"
		"$1" diff "$2" --node a -v >"$3/diff-applied.out" 2>"$3/diff-applied.err"
		"$1" apply "$4" --node a --dry-run -v \
			>"$3/apply-rotate-dry.out" 2>"$3/apply-rotate-dry.err"
		"$1" down "$2" --node a >"$3/down.out" 2>"$3/down.err"
		# only the wireguard-go this namespace started
		me=$(readlink /proc/self/ns/net)
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/net" 2>/dev/null)" = "$me" ] || continue
			[ "$(cat "$p/comm" 2>/dev/null)" = wireguard-go ] &&
				kill "${p#/proc/}"
		done
		exit 0
	' sh "$MESHC" "$M" "$out" "$tmp/mesh-new.yaml" "$tmp"
	if [ "$(cat "$tmp/apply.rc" 2>/dev/null)" = 0 ]; then
		ok "apply, apply again, diff FILE and down ran (userspace WireGuard)"
	else
		echo "note secrets: the real apply did not run here (exit" \
			"$(cat "$tmp/apply.rc" 2>/dev/null)); its outputs are scanned anyway"
	fi
fi

# The pair a-b of mesh x has a preshared key; b-c and a-c (linked) none.
psk_ab=$(python3 - "$tmp/x.psk" "$A" "$B" <<'PY'
import base64, hashlib, sys
secret = base64.b64decode(open(sys.argv[1]).read().strip())
a, b = (base64.b64decode(k) for k in sys.argv[2:4])
print(base64.b64encode(hashlib.blake2b(min(a, b) + max(a, b), key=secret,
                                       digest_size=32).digest()).decode())
PY
)
leaks=0
for s in "$(cat "$tmp/x.psk")" "$psk_ab"; do
	h=$(hex "$s")
	found=$(grep -r -l -F -e "$s" -e "$h" "$out" 2>/dev/null)
	if [ -n "$found" ]; then
		leaks=$((leaks + 1))
		echo "     preshared secret or key $s in: $found"
	fi
done
for k in a b c a2; do
	key=$(cat "$tmp/$k.key")
	h=$(hex "$key")
	found=$(grep -r -l -F -e "$key" -e "$h" "$out" 2>/dev/null)
	if [ -n "$found" ]; then
		leaks=$((leaks + 1))
		echo "     private key of $k in: $found"
	fi
done
files=$(ls "$out" | wc -l)
if [ "$leaks" = 0 ]; then
	ok "no private key, preshared secret or preshared key (base64 or hex) in $files captured outputs"
else
	bad "private or preshared keys leaked into command output"
fi
if grep -q -x -F "PresharedKey = $psk_ab" "$tmp/with-secrets.out" &&
   [ "$(grep -c PresharedKey "$tmp/with-secrets.out")" = 1 ] &&
   grep -q -x -F "PresharedKey = $psk_ab" "$tmp/export-a.conf" &&
   [ "$(grep -c PresharedKey "$tmp/export-a.conf")" = 1 ]; then
	ok "compile --with-secrets and export print the a-b preshared key, once (the linked c none)"
else
	bad "preshared key in compile --with-secrets or export"
fi
akey=$(cat "$tmp/a.key")
if grep -q -x -F "PrivateKey = $akey" "$tmp/with-secrets.out" &&
   [ "$(grep -c PrivateKey "$tmp/with-secrets.out")" = 1 ] &&
   ! grep -q -F -e "$(cat "$tmp/b.key")" -e "$(cat "$tmp/c.key")" \
	-e "$(hex "$akey")" "$tmp/with-secrets.out"; then
	ok "compile --with-secrets prints a's key once, and no other"
else
	bad "compile --with-secrets output"
fi

# ---- (3) fixed test keys stay where they belong --------------------------
# Every private key the tree holds, with the files allowed to hold it
# (base64 or hex): unit tests that need a private key, recorded UAPI
# replies, fuzz targets and corpora, and the documents that prove a
# private_key field is refused.  The wg(8) example key is one of them, and
# so are the keys of the golden export case (tests/golden/phones/*.key:
# the golden files show them as `PrivateKey = (tests/golden/...key)`).
allowed() {	# key -> extended regexp of allowed paths
	case $1 in
	AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=)
		echo '^tests/(suites/secrets\.sh|unit/test_wg\.c|unit/data/wg/uapi_get_3peers\.txt|fuzz/[^/]+/(target\.c|corpus/.*))$' ;;
	aBefG/k4s/25BiNeCZ97jJCYO/4y6kZgvlmZDIi6WnE=)
		echo '^tests/(suites/secrets\.sh|unit/test_base\.c)$' ;;
	SMGcj+ebV4nCceFrKow0lo+RIIQiN6/drmCnqI7VCUk=)
		echo '^tests/(suites/secrets\.sh|unit/test_render\.c)$' ;;
	yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=)
		echo '^tests/(suites/secrets\.sh|unit/test_base\.c|bad/(load|hostile)-private-key\.yaml|fuzz/[^/]+/corpus/.*)$' ;;
	QMnckiAuYWlKkNpbSZCAxlD9rZY0IjfNWz6hcn91Mlo=)
		echo '^tests/(suites/secrets\.sh|golden/(phones|clients|hub)/phone\.key)$' ;;
	aKHkC9H92op9cyU9K3eRyY/Ek/PGk7UN09WehNpoy3Q=)
		echo '^tests/(suites/secrets\.sh|golden/(phones|clients|hub)/laptop\.key)$' ;;
	*)	echo '^$' ;;
	esac
}
known='AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=
aBefG/k4s/25BiNeCZ97jJCYO/4y6kZgvlmZDIi6WnE=
SMGcj+ebV4nCceFrKow0lo+RIIQiN6/drmCnqI7VCUk=
yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
QMnckiAuYWlKkNpbSZCAxlD9rZY0IjfNWz6hcn91Mlo=
aKHkC9H92op9cyU9K3eRyY/Ek/PGk7UN09WehNpoy3Q='
trees="tests examples man schemas bench README.md"
stray=0
for key in $known; do
	h=$(hex "$key")
	# shellcheck disable=SC2086
	for f in $(grep -r -l -F -e "$key" -e "$h" $trees 2>/dev/null); do
		if ! printf '%s\n' "$f" | grep -q -E "$(allowed "$key")"; then
			echo "     test private key $key in $f"
			stray=$((stray + 1))
		fi
	done
done
[ "$stray" = 0 ] && ok "the fixed test private keys appear only where intended" ||
	bad "fixed test private keys in unexpected files"
# A key whose public half is also in the tree is used as a private key:
# it must be one of the known ones above.
unknown=0
# shellcheck disable=SC2086
for key in $(grep -r -h -o -E '[A-Za-z0-9+/]{43}=' $trees 2>/dev/null | sort -u); do
	case "$known" in *"$key"*) continue ;; esac
	p=$(printf '%s\n' "$key" | "$MESHC" pubkey 2>/dev/null) || continue
	# shellcheck disable=SC2086
	if grep -r -q -F -e "$p" $trees 2>/dev/null; then
		echo "     $key is a private key (its public key $p is in the tree)"
		unknown=$((unknown + 1))
	fi
done
[ "$unknown" = 0 ] && ok "no other private key in tests/, examples/ or docs" ||
	bad "unlisted private keys in the tree"
if grep -r -q -E '^PrivateKey *= *[A-Za-z0-9+/]{43}=|private_key=[0-9a-f]{64}' \
	tests/golden 2>/dev/null; then
	bad "a private key in tests/golden"
else
	ok "tests/golden holds no private key"
fi

echo "ok   secrets: $((n - fail)) of $n checks"
[ "$fail" = 0 ]
