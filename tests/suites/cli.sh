#!/bin/sh
# Command-line contract of cli.md: exit codes, usage errors, stdin, help.
set -u
fail=0 n=0
t() {	# want-exit description command...
	want=$1 what=$2
	shift 2
	n=$((n + 1))
	"$@" >/dev/null 2>&1
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL cli: $what: exit $rc, want $want"
		fail=$((fail + 1))
	fi
}
SEED=tests/golden/seed/mesh.yaml
t 0 "--version" "$MESHC" --version
t 0 "--help" "$MESHC" --help
t 0 "validate --help" "$MESHC" validate --help
t 1 "no command" "$MESHC"
t 1 "unknown command" "$MESHC" frobnicate
t 1 "unknown option" "$MESHC" validate --frob "$SEED"
t 1 "missing file argument" "$MESHC" validate
t 1 "extra argument" "$MESHC" validate "$SEED" "$SEED"
t 1 "missing file" "$MESHC" validate /nonexistent/mesh.yaml
t 0 "valid document" "$MESHC" validate "$SEED"
t 0 "valid document on stdin" sh -c "\"$MESHC\" validate - <$SEED"
t 1 "invalid document on stdin" sh -c "echo 'version: 2' | \"$MESHC\" validate -"
t 1 "compile unknown node" "$MESHC" compile "$SEED" --node zz
t 1 "compile unknown target" "$MESHC" compile "$SEED" --node b --target foo
t 1 "--with-secrets needs target wg" "$MESHC" compile "$SEED" --node b --with-secrets
# an unmanaged node (twosite's admin: macos) runs the WireGuard app: the
# host targets are refused and point at export; plan, json, wg still work
TWO=tests/golden/twosite/mesh.yaml
for tgt in nft pf routes sysctl; do
	t 1 "compile unmanaged --target $tgt" "$MESHC" compile "$TWO" --node admin --target "$tgt"
done
for tgt in plan json wg; do
	t 0 "compile unmanaged --target $tgt" "$MESHC" compile "$TWO" --node admin --target "$tgt"
done
n=$((n + 1))
"$MESHC" compile "$TWO" --node admin --target nft 2>&1 >/dev/null |
	grep -q "node 'admin' is not managed (platform macos).*meshc export $TWO --node admin" || {
	echo "FAIL cli: compile --target nft of an unmanaged node does not point at export"
	fail=$((fail + 1))
}
t 1 "--node not accepted by validate" "$MESHC" validate "$SEED" --node b
t 1 "--format bad value" "$MESHC" validate --format xml "$SEED"
t 0 "status --help" "$MESHC" status --help
t 1 "status --format bad value" "$MESHC" status "$SEED" --format xml
n=$((n + 1))
"$MESHC" status "$SEED" --format promethus 2>&1 | grep -q "not text, json or prometheus; did you mean 'prometheus'?" ||
	{ echo "FAIL cli: status --format promethus does not suggest prometheus"; fail=$((fail + 1)); }
t 1 "status --target does not apply" "$MESHC" status "$SEED" --target nft
t 1 "status with two files" "$MESHC" status "$SEED" "$SEED"
n=$((n + 1))
"$MESHC" status --help | grep -q "usage: meshc status \[FILE\] \[--node N\] \[--format text|json|prometheus\]" ||
	{ echo "FAIL cli: status --help does not show its usage"; fail=$((fail + 1)); }
t 0 "validate --format json" "$MESHC" validate --format json "$SEED"
# JSON on stdout parses
n=$((n + 1))
"$MESHC" validate --format json "$SEED" | python3 -m json.tool >/dev/null ||
	{ echo "FAIL cli: validate --format json is not JSON"; fail=$((fail + 1)); }
# diagnostics go to stderr, never stdout
n=$((n + 1))
out=$(echo 'version: 2' | "$MESHC" validate - 2>/dev/null)
[ -z "$out" ] || { echo "FAIL cli: diagnostics on stdout"; fail=$((fail + 1)); }
# --with-secrets refuses a key file readable by others, naming path and mode
n=$((n + 1))
tmp=$(mktemp -d)
"$MESHC" genkey >"$tmp/k" && chmod 644 "$tmp/k"
sed "s|^    exit_node: b|    exit_node: b\n    private_key_file: $tmp/k|" "$SEED" >"$tmp/m.yaml"
msg=$("$MESHC" compile "$tmp/m.yaml" --node c --target wg --with-secrets 2>&1 >/dev/null)
case "$msg" in
*"$tmp/k"*0644*) ;;
*) echo "FAIL cli: world-readable key not refused with path and mode: $msg"; fail=$((fail + 1)) ;;
esac
n=$((n + 1))
chmod 600 "$tmp/k"
key=$(cat "$tmp/k")
"$MESHC" compile "$tmp/m.yaml" --node c --target wg --with-secrets | grep -q "PrivateKey = $key" ||
	{ echo "FAIL cli: --with-secrets did not print the key from the file"; fail=$((fail + 1)); }
n=$((n + 1))
"$MESHC" compile "$tmp/m.yaml" --node c --target wg | grep -q "$key" &&
	{ echo "FAIL cli: private key printed without --with-secrets"; fail=$((fail + 1)); }
rm -rf "$tmp"
# did you mean: commands, options, option values, targets, formats; a word
# close to nothing gets no hint
hint() {	# description expected-stderr-line command...
	what=$1 want=$2
	shift 2
	n=$((n + 1))
	got=$("$@" 2>&1 >/dev/null | head -n 1)
	if [ "$got" != "$want" ]; then
		echo "FAIL cli: $what: got: $got"
		echo "                want: $want"
		fail=$((fail + 1))
	fi
}
hint "command typo" "meshc: unknown command 'vaildate'; did you mean 'validate'?" \
	"$MESHC" vaildate "$SEED"
hint "command far from all" "meshc: unknown command 'frobnicate'" \
	"$MESHC" frobnicate
hint "option typo" "meshc validate: unknown option --frmat; did you mean --format?" \
	"$MESHC" validate --frmat json "$SEED"
hint "option typo with =" "meshc validate: unknown option --frmat=json; did you mean --format?" \
	"$MESHC" validate --frmat=json "$SEED"
hint "--format value" "meshc check: --format: 'jsn' is not text or json; did you mean 'json'?" \
	"$MESHC" check "$SEED" --format jsn
hint "--color value" "meshc check: --color: 'nevr' is not auto, always or never; did you mean 'never'?" \
	"$MESHC" check "$SEED" --color nevr
hint "target" "meshc compile: unknown target 'nftables'; expected plan, json, nft, pf, wg, routes or sysctl; did you mean 'nft'?" \
	"$MESHC" compile "$SEED" --node b --target nftables
hint "export format" "meshc export: --format: 'pgn' is not conf, qr or png; did you mean 'png'?" \
	"$MESHC" export "$SEED" --node b --format pgn
# node names on the command line get the same hints as in the document
EXN=examples/exit-node.yaml
hint "--node typo" "meshc: $EXN: no node named 'vpm'; did you mean 'vpn'?" \
	"$MESHC" compile "$EXN" --node vpm -q
hint "explain FROM typo" "meshc: $EXN: no node named 'vpm'; did you mean 'vpn'?" \
	"$MESHC" explain "$EXN" vpm phone -q
hint "explain TO typo" "meshc: $EXN: 'phnoe' is not a node, an IP address, 'internet' or 'lan:NODE'; did you mean 'phone'?" \
	"$MESHC" explain "$EXN" vpn phnoe -q
hint "explain lan:NODE typo" "meshc: $EXN: lan:vpm: no node named 'vpm'; did you mean 'vpn'?" \
	"$MESHC" explain "$EXN" vpn lan:vpm -q
# compile --all --out-dir: every node from one load, the same bytes as
# one node's compile, mode 0600; a node the target does not fit skipped
ca=$(mktemp -d)
RW=examples/roadwarrior.yaml
n=$((n + 1))
"$MESHC" compile "$RW" --all --out-dir "$ca" --target nft -q 2>"$ca.err"
rc=$?
files=$(cd "$ca" && ls | tr '\n' ' ')
same=yes
for node in vps home laptop; do
	"$MESHC" compile "$RW" --node "$node" --target nft 2>/dev/null |
		cmp -s - "$ca/$node.nft" || same=no
done
if [ "$rc" = 0 ] && [ "$files" = "home.nft laptop.nft vps.nft " ] &&
	[ "$same" = yes ] && [ "$(stat -c %a "$ca/vps.nft")" = 600 ] &&
	grep -q "node 'phone' is not managed.*meshc export" "$ca.err"; then
	:
else
	echo "FAIL cli: compile --all --target nft: exit $rc, files '$files', same $same"
	fail=$((fail + 1))
fi
n=$((n + 1))
"$MESHC" compile "$RW" --all --out-dir "$ca" -q 2>/dev/null
[ "$(ls "$ca" | grep -c '\.plan$')" = 5 ] ||
	{ echo "FAIL cli: compile --all: not one plan per node"; fail=$((fail + 1)); }
rm -rf "$ca" "$ca.err"
t 1 "compile --all without --out-dir" "$MESHC" compile "$RW" --all
t 1 "compile --all with --node" "$MESHC" compile "$RW" --all --out-dir /tmp --node vps
t 1 "compile --all with --with-secrets" "$MESHC" compile "$RW" --all --out-dir /tmp --target wg --with-secrets
n=$((n + 1))
[ "$("$MESHC" compile "$RW" --all --out-dir /nonexistent --target nftt 2>&1 | grep -c 'unknown target')" = 1 ] ||
	{ echo "FAIL cli: compile --all: an unknown target not said once"; fail=$((fail + 1)); }
# counts agree with their nouns
n=$((n + 1))
out=$(printf 'version: 1\nmeshes:\n  x: { network: 10.9.0.0/24 }\nnodes:\n  a: { mesh: x, public_key: "7mgtuDbZ//ar2FSZQNrWG2p57HowsTguEDTNb3uYgQs=" }\n' |
	"$MESHC" validate - 2>/dev/null)
[ "$out" = "<stdin>: valid: 1 mesh, 1 node, 0 links, 0 tests" ] ||
	{ echo "FAIL cli: plural agreement: $out"; fail=$((fail + 1)); }
# --help of every command: its usage, what it does, the options it takes
# (each one its usage line names), an example that runs meshc
for c in $("$MESHC" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p'); do
	n=$((n + 1))
	h=$("$MESHC" "$c" --help 2>&1)
	rc=$?
	u=$(printf '%s\n' "$h" | sed -n '1,/^$/p')
	missing=""
	for f in $(printf '%s\n' "$u" | grep -o -- '--[a-z-]*\|-o ' | sort -u); do
		printf '%s\n' "$h" | sed -n '/^options:/,/^$/p' | grep -q -- "^  $f" ||
			printf '%s\n' "$h" | sed -n '/^options:/,/^$/p' | grep -q -- " $f" ||
			missing="$missing $f"
	done
	if [ "$rc" != 0 ] || ! printf '%s\n' "$h" | grep -q "^usage: meshc $c" ||
		! printf '%s\n' "$h" | grep -q '^options:$' ||
		! printf '%s\n' "$h" | sed -n '/^example:$/{n;p;}' | grep -q "meshc $c" ||
		[ -n "$missing" ]; then
		echo "FAIL cli: meshc $c --help (exit $rc; options missing:$missing)"
		fail=$((fail + 1))
	fi
done
# shell completion: bash and zsh ask `meshc __complete`; each script is
# run with the shell's own completion variables set as on a key press
cbin=$(mktemp -d)
ln -s "$(cd "$(dirname "$MESHC")" && pwd)/$(basename "$MESHC")" "$cbin/meshc"
bash_complete() {	# words...: the candidates bash would offer
	PATH="$cbin:$PATH" bash -c '. src/completion/meshc.bash
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _meshc
		[ ${#COMPREPLY[@]} = 0 ] || printf "%s\n" "${COMPREPLY[@]}"' meshc "$@"
}
zsh_complete() {	# words...: what the zsh function hands compadd
	PATH="$cbin:$PATH" zsh -f -c 'compadd() { [[ $1 == -a ]] && print -l -- ${(P)2} }
		_files() { print -- "(files)" }
		words=("$@"); CURRENT=$#; . src/completion/_meshc' meshc "$@"
}
comp() {	# description want shell words...
	what=$1 want=$2 sh=$3
	shift 3
	n=$((n + 1))
	got=$("${sh}_complete" meshc "$@" 2>&1 | tr '\n' ' ')
	if [ "$got" != "$want" ]; then
		echo "FAIL cli: $sh completion of $what: got '$got', want '$want'"
		fail=$((fail + 1))
	fi
}
for sh in bash zsh; do
	comp "a command" "validate " "$sh" va
	comp "an option of compile" "--target " "$sh" compile "$SEED" --tar
	comp "a target" "nft " "$sh" compile "$SEED" --target n
	comp "a node of the document" "a b c " "$sh" compile "$SEED" --node ""
	comp "export's formats" "conf qr png " "$sh" export "$SEED" --format ""
	comp "explain's TO" "internet " "$sh" explain "$SEED" a i
	comp "explain's TO, a lan" "lan:a lan:b lan:c " "$sh" explain "$SEED" a lan
done
comp "an option validate does not take" "" bash validate "$SEED" --ou
comp "a file name (nothing from meshc)" "(files) " zsh validate "exam"
rm -rf "$cbin"
echo "ok   cli: $((n - fail)) of $n checks"
[ "$fail" = 0 ]
