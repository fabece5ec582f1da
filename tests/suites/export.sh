#!/bin/sh
# meshc export: files the WireGuard apps import.  (1) `wg-quick strip`
# accepts every exported file (--all and --node), DNS and MTU included.
# (2) The PNG decodes (zbarimg) to the conf text byte for byte, and so
# does the terminal QR code, rasterised here from its half blocks.
# (3) Files are mode 0600 whatever the umask; a symbolic link or another
# user's file at the output path is left alone and the command fails.
# (4) Without a usable private key export fails (exit 1), says how to
# give one and writes nothing; a key of another node is refused.  (5) A
# managed node's export works and warns that its grants are not in the
# file.
set -u
[ "$(id -u)" = 0 ] || { echo "export: needs root (wg-quick, chown)"; exit 77; }
for t in wg-quick zbarimg python3 chown; do
	command -v $t >/dev/null || { echo "export: missing $t"; exit 77; }
done
fail=0 n=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
ok() { n=$((n + 1)); echo "ok   export: $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "FAIL export: $1"; }
mode() { stat -c %a "$1"; }

umask 077
for k in srv phone other; do "$MESHC" genkey >"$tmp/$k.key" || exit 1; done
S=$("$MESHC" pubkey <"$tmp/srv.key") P=$("$MESHC" pubkey <"$tmp/phone.key")
doc() {	# phone's private_key_file line (or nothing)
	cat <<EOF2
version: 1
meshes:
  x:
    network: 100.64.0.0/24
    network6: fd00:64::/64
    interface: meshx
    dns: [100.64.0.1, "fd00:64::1", corp.example]
    mtu: 1420
nodes:
  srv:
    mesh: x
    public_key: "$S"
    address: 100.64.0.1
    address6: fd00:64::1
    endpoint: 198.51.100.1:51820
    private_key_file: $tmp/srv.key
    lan: [192.168.10.0/24]
    permissions:
      default: {incoming: true, routing: true, local_network: true}
  phone:
    mesh: x
    platform: android
    public_key: "$P"
    address: 100.64.0.2
    address6: fd00:64::2
    exit_node: srv
    lans_via: [srv]
    keepalive: 25
    mtu: 1380
$1
EOF2
}
doc "" >"$tmp/m.yaml"
doc "    private_key_file: $tmp/phone.key" >"$tmp/all.yaml"
M=$tmp/m.yaml
umask 022

# ---- (1) wg-quick accepts every exported file ----------------------------
mkdir "$tmp/all"
if "$MESHC" export "$tmp/all.yaml" --all --out-dir "$tmp/all" 2>"$tmp/all.err" &&
   [ -f "$tmp/all/srv.conf" ] && [ -f "$tmp/all/phone.conf" ]; then
	ok "--all --out-dir writes NODE.conf for every node"
else
	bad "--all --out-dir"
	head -n 3 "$tmp/all.err"
fi
"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key" \
	-o "$tmp/phone.conf" 2>"$tmp/e.err"
for f in "$tmp/all/srv.conf" "$tmp/all/phone.conf" "$tmp/phone.conf"; do
	if wg-quick strip "$f" >"$tmp/strip.out" 2>"$tmp/strip.err" &&
	   grep -q '^PrivateKey = ' "$tmp/strip.out" &&
	   grep -q '^\[Peer\]' "$tmp/strip.out"; then
		ok "wg-quick strip accepts $(basename "$(dirname "$f")")/$(basename "$f")"
	else
		bad "wg-quick strip refuses $f"
		head -n 3 "$tmp/strip.err"
	fi
done
if cmp -s "$tmp/all/phone.conf" "$tmp/phone.conf" &&
   grep -q -x -F "PrivateKey = $(cat "$tmp/phone.key")" "$tmp/phone.conf" &&
   grep -q -x 'Address = 100.64.0.2/32, fd00:64::2/128' "$tmp/phone.conf" &&
   ! grep -q -E '^(FwMark|Table|PreUp|PostUp|PreDown|PostDown|ListenPort)' \
	"$tmp/phone.conf"; then
	ok "phone.conf: its key and addresses, no FwMark/Table/hooks/ListenPort"
else
	bad "phone.conf content"
	cat "$tmp/phone.conf"
fi
# dns and mtu (the node's, else the mesh's) in [Interface], read by
# wg-quick as its own keys: strip takes them out of what goes to wg(8)
if grep -q -x 'DNS = 100.64.0.1, fd00:64::1, corp.example' "$tmp/phone.conf" &&
   grep -q -x 'MTU = 1380' "$tmp/phone.conf" &&
   grep -q -x 'MTU = 1420' "$tmp/all/srv.conf" &&
   wg-quick strip "$tmp/phone.conf" >"$tmp/strip.out" 2>/dev/null &&
   ! grep -q -E '^(DNS|MTU)' "$tmp/strip.out"; then
	ok "DNS and MTU in [Interface], node over mesh, taken by wg-quick"
else
	bad "DNS/MTU lines"
	grep -E '^(DNS|MTU)' "$tmp/phone.conf" "$tmp/all/srv.conf"
fi
# AllowedIPs per peer exactly as compile gives them
if [ "$(grep '^AllowedIPs' "$tmp/phone.conf")" = \
     "$("$MESHC" compile "$M" --node phone --target wg | grep '^AllowedIPs')" ]; then
	ok "AllowedIPs are compile's"
else
	bad "AllowedIPs differ from compile --target wg"
fi
"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key" \
	>"$tmp/stdout.conf" 2>/dev/null
cmp -s "$tmp/stdout.conf" "$tmp/phone.conf" && ok "stdout and -o give the same text" ||
	bad "stdout and -o differ"

# ---- (2) QR codes decode to the conf text, byte for byte -----------------
decodes_to_conf() {	# image description
	zbarimg --raw -q "$1" >"$tmp/dec" 2>/dev/null
	# zbarimg ends each symbol's data with a newline of its own
	if [ "$(wc -l <"$tmp/dec")" -gt 0 ] && head -c -1 "$tmp/dec" |
	   cmp -s - "$tmp/phone.conf"; then
		ok "$2"
	else
		bad "$2"
		head -n 3 "$tmp/dec"
	fi
}
"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key" \
	--format png -o "$tmp/phone.png" 2>"$tmp/e.err"
decodes_to_conf "$tmp/phone.png" "the PNG decodes to the conf text byte for byte"
[ "$(mode "$tmp/phone.png")" = 600 ] && ok "the PNG is mode 0600" ||
	bad "the PNG is mode $(mode "$tmp/phone.png")"
"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key" \
	--format qr >"$tmp/qr.txt" 2>"$tmp/e.err"
# Rasterise the half blocks: each character is one module wide and two
# high; a drawn half is a light module (the code is drawn for a dark
# terminal), a blank half a dark one.  4 pixels per module, PGM.
python3 - "$tmp/qr.txt" "$tmp/qr.pgm" <<'PY'
import sys
halves = {" ": (0, 0), "\u2584": (0, 1), "\u2580": (1, 0), "\u2588": (1, 1)}
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
rows = []
for line in lines:
    top = [halves[c][0] for c in line]
    bottom = [halves[c][1] for c in line]
    rows += [top, bottom]
scale, border = 4, 8
w = max(len(r) for r in rows)
# square lines, and a light quiet zone: first and last line all drawn
shape_ok = (all(len(l) == w for l in lines) and len(lines) * 2 - w in (0, 1)
            and set(lines[0]) == {"\u2588"} and set(lines[-1]) <= {"\u2588", "\u2580"})
open(sys.argv[2] + ".shape", "w").write("ok\n" if shape_ok else "bad\n")
out = []
for r in [[1] * w] * border + rows + [[1] * w] * border:
    px = bytes(255 if v else 0 for v in [1] * border + r + [1] * border
               for _ in range(scale))
    out += [px] * scale
with open(sys.argv[2], "wb") as f:
    f.write(b"P5\n%d %d\n255\n" % (len(out[0]), len(out)))
    f.write(b"".join(out))
PY
decodes_to_conf "$tmp/qr.pgm" "the terminal QR code decodes to the conf text byte for byte"
[ "$(cat "$tmp/qr.pgm.shape" 2>/dev/null)" = ok ] &&
	ok "the terminal QR code: equal lines, a square of modules, a quiet zone" ||
	bad "the terminal QR code's shape"
# ---- (3) modes, symbolic links, other owners -----------------------------
for f in "$tmp/all/srv.conf" "$tmp/all/phone.conf" "$tmp/phone.conf"; do
	[ "$(mode "$f")" = 600 ] && ok "$(basename "$f") is mode 0600 (umask 022)" ||
		bad "$f is mode $(mode "$f")"
done
echo "precious" >"$tmp/target"
ln -s "$tmp/target" "$tmp/link.conf"
"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key" \
	-o "$tmp/link.conf" >/dev/null 2>"$tmp/e.err"
rc=$?
if [ "$rc" = 1 ] && [ -L "$tmp/link.conf" ] &&
   [ "$(cat "$tmp/target")" = precious ] &&
   grep -q 'symbolic link' "$tmp/e.err" &&
   [ -z "$(ls "$tmp" | grep '\.tmp\.')" ]; then
	ok "a symbolic link at -o is neither followed nor replaced (exit 1)"
else
	bad "symbolic link at -o (exit $rc)"
	cat "$tmp/e.err"
fi
echo "theirs" >"$tmp/theirs.conf"
chown nobody "$tmp/theirs.conf"
"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key" \
	-o "$tmp/theirs.conf" >/dev/null 2>"$tmp/e.err"
rc=$?
if [ "$rc" = 1 ] && [ "$(cat "$tmp/theirs.conf")" = theirs ] &&
   [ "$(stat -c %U "$tmp/theirs.conf")" = nobody ]; then
	ok "another user's file at -o is left alone (exit 1)"
else
	bad "another user's file at -o (exit $rc)"
	cat "$tmp/e.err"
fi
"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key" \
	-o "$tmp/phone.conf" 2>/dev/null && cmp -s "$tmp/phone.conf" "$tmp/stdout.conf" &&
	[ "$(mode "$tmp/phone.conf")" = 600 ] &&
	ok "an own earlier export is replaced" || bad "replacing an own export"

# ---- (4) no key, wrong key -------------------------------------------------
refused() {	# description stderr-pattern command...
	d=$1 pat=$2
	shift 2
	rm -f "$tmp/none.conf"
	"$@" >"$tmp/r.out" 2>"$tmp/r.err"
	rc=$?
	if [ "$rc" = 1 ] && [ ! -s "$tmp/r.out" ] && [ ! -e "$tmp/none.conf" ] &&
	   grep -q -e "$pat" "$tmp/r.err" &&
	   grep -q -e '--private-key-file PATH' "$tmp/r.err"; then
		ok "$d"
	else
		bad "$d (exit $rc)"
		cat "$tmp/r.err"
	fi
}
refused "no key: exit 1, how to give one, no output" "has no private_key_file" \
	"$MESHC" export "$M" --node phone
refused "no key with -o: no file written" "has no private_key_file" \
	"$MESHC" export "$M" --node phone -o "$tmp/none.conf"
refused "an unreadable key file: exit 1 and the hint" "No such file" \
	"$MESHC" export "$M" --node phone --private-key-file "$tmp/missing.key" \
	-o "$tmp/none.conf"
refused "another node's key is refused" "holds the key of public key" \
	"$MESHC" export "$M" --node phone --private-key-file "$tmp/other.key" \
	-o "$tmp/none.conf"
chmod 644 "$tmp/phone.key"
refused "a key file group/other may read is refused" "mode 0644" \
	"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key"
chmod 600 "$tmp/phone.key"
mkdir "$tmp/some"
"$MESHC" export "$M" --all --out-dir "$tmp/some" >/dev/null 2>"$tmp/e.err"
rc=$?
if [ "$rc" = 1 ] && [ -f "$tmp/some/srv.conf" ] && [ ! -e "$tmp/some/phone.conf" ]; then
	ok "--all: a node without a key fails the run, the others are written"
else
	bad "--all with a node without a key (exit $rc)"
fi

# ---- (5) a managed node ----------------------------------------------------
"$MESHC" export "$M" --node srv >"$tmp/srv.conf" 2>"$tmp/e.err"
rc=$?
if [ "$rc" = 0 ] && grep -q 'warning: .*srv.*enforces its grants' "$tmp/e.err" &&
   grep -q '^ListenPort = 51820$' "$tmp/srv.conf"; then
	ok "a managed node exports, with ListenPort, and a warning about its grants"
else
	bad "managed node export (exit $rc)"
	cat "$tmp/e.err"
fi
"$MESHC" export "$M" --node phone --private-key-file "$tmp/phone.key" \
	>/dev/null 2>"$tmp/e.err"
[ ! -s "$tmp/e.err" ] && ok "an unmanaged node's export says nothing on stderr" ||
	bad "an unmanaged node's export warns: $(cat "$tmp/e.err")"
# managed is the node's `managed`, not its platform: a linux box that
# runs the WireGuard app exports quietly, a Mac that loads meshc's pf
# anchor is warned about
cat >"$tmp/managed.yaml" <<EOF2
version: 1
meshes:
  x: { network: 100.64.0.0/24, interface: meshx }
nodes:
  box:
    mesh: x
    public_key: "$S"
    address: 100.64.0.1
    endpoint: 198.51.100.1:51820
    managed: false
    private_key_file: $tmp/srv.key
  mac:
    mesh: x
    platform: macos
    managed: true
    public_key: "$P"
    address: 100.64.0.2
    private_key_file: $tmp/phone.key
EOF2
"$MESHC" export "$tmp/managed.yaml" --node box >/dev/null 2>"$tmp/e.err"
rc=$?
[ "$rc" = 0 ] && [ ! -s "$tmp/e.err" ] &&
	ok "a linux node with managed: false exports without a warning" ||
	bad "linux managed: false export (exit $rc): $(cat "$tmp/e.err")"
"$MESHC" export "$tmp/managed.yaml" --node mac >/dev/null 2>"$tmp/e.err"
rc=$?
[ "$rc" = 0 ] && grep -q 'warning: .*mac.*enforces its grants' "$tmp/e.err" &&
	ok "a macos node with managed: true is warned about" ||
	bad "macos managed: true export (exit $rc): $(cat "$tmp/e.err")"

# ---- usage -----------------------------------------------------------------
for args in "--node phone --format png" "--all" "--all --out-dir $tmp --format qr" \
	"--node phone --all --out-dir $tmp" "--node phone --format svg" ""; do
	# shellcheck disable=SC2086
	"$MESHC" export "$M" $args >/dev/null 2>&1
	[ $? = 1 ] && ok "usage error: export FILE $args" ||
		bad "export FILE $args is not refused"
done

echo "ok   export: $((n - fail)) of $n checks"
[ "$fail" = 0 ]
