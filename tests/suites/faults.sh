#!/bin/sh
# Faults: meshc apply under injected faults, kernel refusals, broken
# WireGuard daemons, kills, races and hands that change the node behind
# meshc's back.  After each, the node must be exactly as before (a byte
# for byte snapshot, see e2e_snapshot in tests/e2e/lib.sh) or exactly the
# desired state (then the next apply says "no changes"), never a mix.
# Nodes a, b and d of tests/e2e/mesh.yaml, each in its own namespaces.
set -u
[ "$(id -u)" = 0 ] || exit 77
for t in ip nft nsenter unshare wireguard-go wg socat ping python3 timeout \
	setsid sha256sum; do
	command -v $t >/dev/null || { echo "faults: missing $t"; exit 77; }
done
[ -x "${MESHC_FAULT_BIN:-}" ] || { echo "faults: no MESHC_FAULT_BIN"; exit 77; }
E2E=mcf$$
. tests/e2e/lib.sh
trap e2e_cleanup EXIT
# sdir NODE: the state directory of the node's meshx: NSDIR/meshx, where
# NSDIR is MESHC_RUN_DIR/netns:COOKIE (each node has a network namespace
# of its own; see meshc(8), FILES)
sdir() {
	for d in "$(e2e_dir)/$1/run"/netns:*/meshx; do
		[ -d "$d" ] && echo "$d" && return
	done
	echo "$(e2e_dir)/$1/run/meshx"	# meshc before the netns directories
}
trap 'exit 1' INT TERM
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   faults: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL faults: $1"; }
FAULT=$MESHC_FAULT_BIN
T=$(e2e_dir)/t
OUT=$T.out

snap() { e2e_snapshot "$1" meshx; }
# same NAME BEFORE AFTER: prints the difference when there is one
same() {
	[ "$2" = "$3" ] && return 0
	printf '%s\n' "$2" >"$T.before"
	printf '%s\n' "$3" | diff "$T.before" - | sed 's/^/	/' | head -n 12
	return 1
}
# noop NODE DOC: the node is in DOC's desired state
noop() {
	o=$(node_exec "$1" "$MESHC" apply "$2" 2>&1)
	[ $? = 0 ] && [ "$o" = "no changes" ] && return 0
	echo "	second apply: $o" | head -n 8
	return 1
}
# clean_rollback: the run's stderr ($OUT) says the rollback succeeded
clean_rollback() {
	grep -q "rolled back; nothing of this run remains" "$OUT" &&
		! grep -q "ROLLBACK FAILED" "$OUT" && return 0
	sed 's/^/	/' "$OUT" | head -n 8
	return 1
}
no_daemon() { [ -z "$(e2e_node_pids "$1" wireguard-go)" ]; }
# verdict NAME RC WANT_RC CHECK...: ok when the exit code is WANT_RC and
# every further check (a shell snippet) holds
verdict() {
	name=$1 rc=$2 want=$3
	shift 3
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, expected $want"
		sed 's/^/	/' "$OUT" | head -n 8
		return
	fi
	for c in "$@"; do
		eval "$c" || {
			bad "$name (failed: $c)"
			sed 's/^/	/' "$OUT" | head -n 8
			return
		}
	done
	ok "$name"
	[ -z "${FAULTS_VERBOSE:-}" ] || sed 's/^/	/' "$OUT"
}
# fresh NODE DOC: nothing of meshc on the node
fresh() { node_exec "$1" "$MESHC" down "$2" -q >/dev/null 2>&1; }

e2e_topology a b d || { bad "topology"; exit 1; }
DOC=$(e2e_dir)/mesh.yaml
# a change on a that reaches every step: another address (addresses,
# routes of the peers), another listen port (WireGuard)
MOVED=$(e2e_dir)/moved.yaml
# a revoked grant on b: the firewall changes
REVOKED=$(e2e_dir)/revoked.yaml
# another listen port for d
DPORT=$(e2e_dir)/dport.yaml
# the rules step with rules that change: a no longer uses b as exit node
NOEXIT=$(e2e_dir)/noexit.yaml
documents() {
	e2e_document tests/e2e/mesh.yaml "$DOC" a b d || return 1
	sed 's/^    address: 100.64.0.1$/    address: 100.64.0.9/;
	     s/^    endpoint: 198.51.100.10:51820$/&\n    listen_port: 51821/' \
		"$DOC" >"$MOVED"
	sed 's/a: { routing: true, local_network: true }/a: { routing: true }/' \
		"$DOC" >"$REVOKED"
	sed 's/^    endpoint: 198.51.100.11:51820$/&\n    listen_port: 51822/' \
		"$DOC" >"$DPORT"
	sed '0,/^    exit_node: b$/{//d}' "$MOVED" >"$NOEXIT"
	for f in "$DOC" "$MOVED" "$REVOKED" "$DPORT" "$NOEXIT"; do
		[ "$f" = "$DOC" ] || ! cmp -s "$DOC" "$f" || return 1
		for n in a b d; do
			"$MESHC" compile "$f" --node $n >/dev/null 2>&1 || return 1
		done
	done
}
# d's address derives from its random key: another key if it collides
i=0
until documents; do
	i=$((i + 1))
	[ $i -lt 5 ] || { bad "documents"; exit 1; }
	umask 077
	"$MESHC" genkey >"$(e2e_dir)/d/etc/private.key"
	umask 022
	"$MESHC" pubkey <"$(e2e_dir)/d/etc/private.key" >"$(e2e_dir)/d/public.key"
done
# the underlay's IPv6 link-locals settle (DAD) before the first snapshot
settled() {
	for n in a b d; do
		[ -z "$(node_exec $n ip -6 addr show tentative)" ] || return 1
	done
}
i=0
until settled || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
for n in b a; do
	node_exec "$n" "$MESHC" apply "$DOC" -q || { bad "apply on $n"; exit 1; }
done
BKEY=$(cat "$(e2e_dir)/b/public.key") DKEY=$(cat "$(e2e_dir)/d/public.key")
D=$(mesh_addr "$DOC" d)

# --- 1. injected fault at create, on a fresh node ------------------------
before=$(snap d)
node_exec d env MESHC_FAULT=create "$FAULT" apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "1. fault at 'create' on a fresh node: exit 1, nothing remains" $? 1 \
	'same s "$before" "$(snap d)"' 'no_daemon d' clean_rollback

# --- 2-3. injected faults at addresses and rules, configured node --------
num=1
for step in addresses:"$MOVED" rules:"$NOEXIT"; do
	doc=${step#*:} step=${step%%:*}
	before=$(snap a)
	node_exec a env MESHC_FAULT=$step "$FAULT" apply "$doc" -q \
		>/dev/null 2>"$OUT"
	rc=$?
	num=$((num + 1))
	verdict "$num. fault at '$step' on configured a ($(basename "$doc")): exit 1, a as before" \
		$rc 1 'same s "$before" "$(snap a)"' clean_rollback \
		'grep -q "injected fault at step .$step." "$OUT"'
done

# --- 4. a real kernel refusal: a conflicting IPv6 route ------------------
node_exec d ip -6 route add fd64:0:0:1::/64 dev lo
before=$(snap d)
node_exec d "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "4. the kernel refuses a route (IPv6 fd64:0:0:1::/64 already there): exit 1, d as before" \
	$? 1 'grep -q "File exists" "$OUT"' 'same s "$before" "$(snap d)"' \
	'no_daemon d' clean_rollback
node_exec d ip -6 route del fd64:0:0:1::/64 dev lo

# --- 5. an nftables batch the kernel rejects ------------------------------
# No foreign object can make the kernel refuse meshc's batch (meshc owns
# and replaces its whole table), so the fault build's MESHC_FAULT=nftables
# appends a message the kernel refuses (the table again, exclusively:
# EEXIST) to the real batch: the kernel must abort the whole transaction.
# b's revoked grant changes the firewall; d is fresh (the table is new).
before=$(snap b)
node_exec b env MESHC_FAULT=nftables "$FAULT" apply "$REVOKED" -q \
	>/dev/null 2>"$OUT"
verdict "5a. the kernel rejects the nftables batch on configured b: exit 1, b as before" \
	$? 1 'grep -q "File exists" "$OUT"' 'same s "$before" "$(snap b)"' \
	clean_rollback
before=$(snap d)
node_exec d env MESHC_FAULT=nftables "$FAULT" apply "$DOC" -q \
	>/dev/null 2>"$OUT"
verdict "5b. the kernel rejects the nftables batch on fresh d: exit 1, nothing remains" \
	$? 1 'grep -q "File exists" "$OUT"' 'same s "$before" "$(snap d)"' \
	'no_daemon d' clean_rollback
before=$(snap b)
node_exec b env MESHC_FAULT=firewall "$FAULT" apply "$REVOKED" -q \
	>/dev/null 2>"$OUT"
verdict "5c. fault at 'firewall' on b: exit 1, b as before" \
	$? 1 'same s "$before" "$(snap b)"' clean_rollback

# --- 6. wireguard-go missing ----------------------------------------------
before=$(snap d)
node_exec d env WG_QUICK_USERSPACE_IMPLEMENTATION=/nonexistent "$MESHC" \
	apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "6. WireGuard implementation missing: exit 1, names it, nothing left" \
	$? 1 'grep -q /nonexistent "$OUT"' 'same s "$before" "$(snap d)"' \
	'no_daemon d'

# --- 7. a stale UAPI socket file (no listener) ---------------------------
node_exec d python3 -c '
import socket
socket.socket(socket.AF_UNIX).bind("/run/wireguard/meshx.sock")'
before=$(snap d)
node_exec d "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
rc=$?
if [ "$rc" = 0 ]; then
	verdict "7. a stale UAPI socket on a fresh node: replaced, applied" $rc 0 \
		'noop d "$DOC"'
else
	verdict "7. a stale UAPI socket on a fresh node: refused cleanly" $rc 1 \
		'same s "$before" "$(snap d)"' 'no_daemon d'
fi

# --- 8. an unresponsive UAPI socket ---------------------------------------
node_exec d "$MESHC" apply "$DOC" -q >/dev/null 2>&1
# d configured; its wireguard-go stopped: the socket accepts, never answers
before=$(snap d)
wgpid=$(e2e_node_pids d wireguard-go)
if [ -z "$wgpid" ]; then
	bad "8. no wireguard-go on d"
else
	kill -STOP $wgpid
	MESHC_RUN_DIR="$(e2e_dir)/d/run" timeout 30 nsenter \
		--net="/run/netns/$E2E-d" --mount="$(e2e_dir)/d/mnt" -- \
		"$MESHC" apply "$DOC" -q \
		>/dev/null 2>"$OUT"
	rc=$?
	kill -CONT $wgpid
	verdict "8a. an unresponsive UAPI socket (wireguard-go stopped): exit 1 within 30 s, a clear message, d as before" \
		$rc 1 'grep -q "no answer from the WireGuard socket" "$OUT"' \
		'same s "$before" "$(snap d)"'
fi

# the same with the socket of a process that accepts and never answers
# (wireguard-go's own socket moved aside meanwhile)
before=$(snap d)
node_exec d mv /run/wireguard/meshx.sock /run/wireguard/meshx.sock.real
node_exec d socat UNIX-LISTEN:/run/wireguard/meshx.sock,fork \
	EXEC:'sleep 600' </dev/null >/dev/null 2>&1 &
i=0
until node_exec d [ -S /run/wireguard/meshx.sock ] || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
MESHC_RUN_DIR="$(e2e_dir)/d/run" timeout 30 nsenter \
	--net="/run/netns/$E2E-d" --mount="$(e2e_dir)/d/mnt" -- \
	"$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
rc=$?
kill $(e2e_node_pids d socat) $(e2e_node_pids d sleep) 2>/dev/null
node_exec d mv /run/wireguard/meshx.sock.real /run/wireguard/meshx.sock
verdict "8b. a socket that accepts and never answers (socat): exit 1 within 30 s, a clear message, d as before" \
	$rc 1 'grep -q "no answer from the WireGuard socket" "$OUT"' \
	'same s "$before" "$(snap d)"'

# --- 9. SIGKILL half-way, then a normal apply -----------------------------
# killed between creating the interface and marking it (the next run
# takes it over), right after WireGuard was started (no key, no peers) and
# during the routes step (addresses in place, routes half there)
for step in mark wireguard routes; do
	fresh d "$DOC"
	node_exec d env MESHC_FAULT_DELAY=$step:30 "$FAULT" apply "$DOC" -q \
		>/dev/null 2>"$OUT" &
	i=0
	until grep -q "injected delay" "$OUT" 2>/dev/null || [ $i -ge 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 $(e2e_node_pids d meshc-fault) 2>/dev/null
	wait $! 2>/dev/null
	node_exec d "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
	verdict "9. SIGKILL during the $step step, then apply: converges, no 'File exists', then no changes" \
		$? 0 '! grep -q "File exists" "$OUT"' 'noop d "$DOC"'
done

# --- 10. two applies at once ----------------------------------------------
node_exec d env MESHC_FAULT_DELAY=routes:2 "$FAULT" apply "$DPORT" \
	>"$T.first" 2>&1 &
first=$!
i=0
until grep -q "injected delay" "$T.first" 2>/dev/null || [ $i -ge 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
node_exec d "$MESHC" apply "$DPORT" >"$T.second" 2>&1
rc2=$?
wait $first
rc1=$?
cat "$T.first" "$T.second" >"$OUT"
verdict "10. two applies at once: both exit 0, the second waits, then finds no changes" \
	"$rc1$rc2" 00 'grep -q "waiting for it" "$T.second"' \
	'! grep -q "waiting" "$T.first"' 'grep -q "^no changes" "$T.second"' \
	'grep -q "^applied" "$T.first"' 'noop d "$DPORT"'
node_exec d "$MESHC" apply "$DOC" -q

# --- 11-12. foreign table, foreign interface ------------------------------
fresh d "$DOC"
node_exec d nft add table inet meshc
before=$(snap d)
node_exec d "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "11. a foreign table inet meshc: refused (exit 1), untouched" $? 1 \
	'grep -q "not managed by meshc" "$OUT"' 'same s "$before" "$(snap d)"' \
	'no_daemon d'
node_exec d nft delete table inet meshc
node_exec d ip link add meshx type veth peer name meshx-peer
before=$(snap d)
node_exec d "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "12. a foreign interface named meshx: refused (exit 1), untouched" $? 1 \
	'grep -q "not managed by meshc" "$OUT"' 'same s "$before" "$(snap d)"' \
	'no_daemon d'
node_exec d ip link del meshx

# --- 13. MESHC_RUN_DIR not writable --------------------------------------
: >"$T.notadir"
before=$(snap d)
node_exec d env MESHC_RUN_DIR="$T.notadir" "$MESHC" apply "$DOC" -q \
	>/dev/null 2>"$OUT"
verdict "13a. MESHC_RUN_DIR is a file: exit 1 naming the path, nothing changed" \
	$? 1 'grep -qF "$T.notadir" "$OUT"' 'same s "$before" "$(snap d)"' \
	'no_daemon d'
# configured a whose state directory is read-only (in a's mount namespace)
rundir=$(e2e_dir)/a/run
before=$(snap a)
node_exec a sh -c "mount --bind '$rundir' '$rundir' &&
	mount -o remount,bind,ro '$rundir' &&
	'$MESHC' apply '$MOVED' -q; rc=\$?; umount '$rundir'; exit \$rc" \
	>/dev/null 2>"$OUT"
verdict "13b. a read-only MESHC_RUN_DIR on configured a: exit 1 naming the path, nothing changed" \
	$? 1 'grep -qF "$rundir" "$OUT"' 'same s "$before" "$(snap a)"'

# --- 14. the confirm timer fires after the session is gone ---------------
: >"$OUT"
before=$(snap b)
MESHC_RUN_DIR="$(e2e_dir)/b/run" setsid nsenter --net="/run/netns/$E2E-b" \
	--mount="$(e2e_dir)/b/mnt" -- sh -c "'$MESHC' apply '$REVOKED' -q --confirm 3; sleep 60" \
	>/dev/null 2>&1 &
session=$!
i=0
until [ -e "$(sdir b)/pending" ] || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
during=$(snap b)
kill -HUP -- "-$session" 2>/dev/null
kill -- "-$session" 2>/dev/null
i=0
while [ -e "$(sdir b)/pending" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.3
verdict "14. --confirm 3 with the session gone: reverted to the byte-identical state" \
	0 0 '[ "$before" != "$during" ]' \
	'[ ! -e "$(sdir b)/pending" ]' 'same s "$before" "$(snap b)"'

# --- 15. someone flushes the ruleset ----------------------------------------
before=$(snap a)
node_exec a nft flush ruleset
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "15. nft flush ruleset behind meshc's back: apply restores the table" \
	$? 0 'same s "$before" "$(snap a)"' 'noop a "$DOC"'

# --- 15b. someone edits meshc's own table ----------------------------------
# A no-op apply reads the table only when its record of it (nft.mark) no
# longer holds; any committed change bumps the ruleset generation, so a
# hand edit is seen and undone, never hidden by the record.
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>&1
marked=no
[ -s "$(sdir a)/nft.mark" ] && marked=yes
before=$(snap a)
node_exec a nft add element inet meshc meshx/mesh4 '{ 10.250.0.0/24 }'
edited=$(node_exec a nft list set inet meshc meshx/mesh4 | grep -c 10.250.0.0)
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "15b. an element added by hand to meshc's table (record in place): apply removes it" \
	$? 0 '[ "$marked" = yes ]' '[ "$edited" = 1 ]' 'same s "$before" "$(snap a)"' \
	'noop a "$DOC"'

# --- 15c. the document now names another interface ------------------------
# apply first locks and reads the interface the same document used last
# time (its record in the state directory) while it compiles; when the
# plan names another interface, that read is dropped, that lock let go and
# the planned interface's taken.
cp "$DOC" "$T.doc.yaml"
node_exec a "$MESHC" apply "$T.doc.yaml" -q >/dev/null 2>&1
recorded=$(cat "$(sdir a)/document" 2>/dev/null)
sed 's/interface: meshx/interface: meshw/' "$DOC" >"$T.doc.yaml"
before=$(snap a)
node_exec a "$MESHC" apply "$T.doc.yaml" --dry-run >"$T.dry" 2>&1
drc=$?
node_exec a env MESHC_FAULT=create "$FAULT" apply "$T.doc.yaml" -q \
	>/dev/null 2>"$OUT"
verdict "15c. the document renamed its interface (meshx recorded, meshw planned): dry-run and a failing apply go to meshw, meshx untouched and unlocked" \
	$? 1 '[ "$recorded" = "$T.doc.yaml" ]' '[ "$drc" = 2 ]' \
	'grep -q meshw "$T.dry"' 'clean_rollback' 'same s "$before" "$(snap a)"' \
	'noop a "$DOC"'

# --- 16. someone deletes the interface ------------------------------------
before=$(snap a)
node_exec a ip link del meshx
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
# (the kernel gives the new link another stable-privacy link-local)
nolinklocal() { printf '%s\n' "$1" | grep -v "inet6 fe80::"; }
verdict "16. ip link del meshx behind meshc's back: apply recreates it" \
	$? 0 'same s "$(nolinklocal "$before")" "$(nolinklocal "$(snap a)")"' \
	'noop a "$DOC"'

# --- 17. a peer's endpoint changed by hand --------------------------------
node_exec d "$MESHC" apply "$DOC" -q
# handshakes with both peers first (a's full tunnel goes through b)
i=0
until reach a "$D" || [ $i -ge 5 ]; do i=$((i + 1)); done
hs() { node_exec a wg show meshx latest-handshakes | awk -v k="$1" '$1 == k {print $2}'; }
ep() { node_exec a wg show meshx endpoints | awk -v k="$1" '$1 == k {print $2}'; }
dhs=$(hs "$DKEY") bep=$(ep "$BKEY")
node_exec a wg set meshx peer "$BKEY" endpoint 198.51.100.99:51820
moved=$(ep "$BKEY")
node_exec a "$MESHC" apply "$DOC" >"$OUT" 2>&1
verdict "17. a peer's endpoint changed by hand: put back, the other peer's session kept" \
	$? 0 '[ "$moved" = 198.51.100.99:51820 ]' '[ "$(ep "$BKEY")" = "$bep" ]' \
	'[ -n "$dhs" ] && [ "$dhs" != 0 ] && [ "$(hs "$DKEY")" = "$dhs" ]' \
	'! grep -q "$DKEY" "$OUT"' 'noop a "$DOC"'

# --- 18. a changed address keeps the routes --------------------------------
# (the kernel drops every IPv4 route of a link whose last IPv4 address goes)
node_exec a "$MESHC" apply "$MOVED" -q >/dev/null 2>"$OUT"
verdict "18. a's address changes: applied, routes kept, then no changes" \
	$? 0 'node_exec a ip route show table all | grep -q "^default dev meshx table"' \
	'node_exec a ip route show | grep -q "^100.64.0.0/24 dev meshx"' \
	'noop a "$MOVED"'
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "18b. and back: applied, then no changes" $? 0 'noop a "$DOC"'

# --- 19. signals while the node is between two states --------------------
# SIGINT, SIGTERM and SIGHUP are held from the first change until the node
# is in one state or the other (meshc(8) APPLY GUARANTEES).  The runs start
# through python3 with SIGINT at its default action: an asynchronous
# command of a non-interactive shell would inherit it ignored.
dfl() {
	n=$1
	shift
	node_exec "$n" python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
# wait_delays N: until the run's stderr shows N injected delays
wait_delays() {
	i=0
	until [ "$(grep -c "injected delay" "$OUT" 2>/dev/null)" -ge "$1" ] ||
		[ $i -ge 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
# 19a: SIGTERM while the apply sits in its routes step (addresses, listen
# port already changed; the rules, which change too, still to come)
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>&1
before=$(snap a)
: >"$OUT"
dfl a env MESHC_FAULT_DELAY=routes:3 "$FAULT" apply "$NOEXIT" -q \
	>/dev/null 2>"$OUT" &
run=$!
wait_delays 1
kill -TERM $(e2e_node_pids a meshc-fault) 2>/dev/null
wait $run
verdict "19a. SIGTERM during the routes step: held, apply stops, rolls back, exit 1, a exactly as before, next apply works" \
	$? 1 'grep -q "SIGTERM received; stopping the apply" "$OUT"' \
	'grep -q "interrupted by SIGTERM" "$OUT"' 'clean_rollback' \
	'same s "$before" "$(snap a)"' 'noop a "$DOC"'
# 19b: an injected fault at the sysctls step; SIGINT while the rollback
# sits in its own routes step
before=$(snap a)
: >"$OUT"
dfl a env MESHC_FAULT=sysctls MESHC_FAULT_DELAY=routes:3 "$FAULT" apply \
	"$NOEXIT" -q >/dev/null 2>"$OUT" &
run=$!
wait_delays 2
rolling=$(grep -c "rolling back" "$OUT")
kill -INT $(e2e_node_pids a meshc-fault) 2>/dev/null
wait $run
verdict "19b. SIGINT during the rollback: held until it finished, exit 1, a exactly as before" \
	$? 1 '[ "$rolling" = 1 ]' 'clean_rollback' \
	'grep -q "interrupted by SIGINT" "$OUT"' \
	'same s "$before" "$(snap a)"' 'noop a "$DOC"'
# 19c: a WireGuard implementation started while signals are held does not
# inherit them blocked (its start resets the mask before exec): a wrapper
# records its own mask, then runs wireguard-go.  awk reads its own
# status (/proc/self, the mask inherited through exec): the shell's own
# (/proc/$$) is not stable, dash blocks every signal around each fork.
cat >"$T.wgwrap" <<EOF
#!/bin/sh
awk '/^SigBlk:/ {print \$2}' /proc/self/status >"$T.sigblk"
exec wireguard-go "\$@"
EOF
chmod 755 "$T.wgwrap"
rm -f "$T.sigblk"
fresh d "$DOC"
node_exec d env WG_QUICK_USERSPACE_IMPLEMENTATION="$T.wgwrap" "$MESHC" \
	apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "19c. wireguard-go started by an apply: no signal blocked in it" \
	$? 0 '[ "$(cat "$T.sigblk" 2>/dev/null)" = 0000000000000000 ]' \
	'noop d "$DOC"'

# --- 20. two interface names, one policy mark -------------------------------
# mc27 and mc190 both give M = 0x4d43cd0d (the first two bytes of
# BLAKE2b-256 of the name): the second apply would share the first's
# rules and table, so it is refused before it changes anything.
sed 's/interface: meshx/interface: mc27/' "$DOC" >"$T.mc27.yaml"
sed 's/interface: meshx/interface: mc190/' "$MOVED" >"$T.mc190.yaml"
fresh a "$DOC"
node_exec a "$MESHC" apply "$T.mc27.yaml" -q >/dev/null 2>"$OUT"
rc27=$?
before=$(snap a mc27)
node_exec a "$MESHC" apply "$T.mc190.yaml" -q >/dev/null 2>"$OUT"
verdict "20. interfaces mc27 and mc190 share a policy mark: the second apply is refused (exit 1, names both), nothing changed" \
	$? 1 '[ "$rc27" = 0 ]' \
	'grep -q "mc190 and mc27 both get policy mark 0x4d43cd0d" "$OUT"' \
	'node_exec a ip rule | grep -q "not from all fwmark 0x4d43cd0d lookup 1296289037"' \
	'same s "$before" "$(snap a mc27)"'
fresh a "$T.mc27.yaml"
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>"$OUT"
verdict "20b. and back to meshx" $? 0 'noop a "$DOC"'

# --- 21-24. try mode tells the truth -----------------------------------------
# wait_gone FILE: up to 15 s for it to go
wait_gone() {
	i=0
	while [ -e "$1" ] && [ $i -lt 150 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ ! -e "$1" ]
}
PEND=$(sdir b)/pending LOG=$(sdir b)/confirm.log
node_exec b "$MESHC" apply "$DOC" -q >/dev/null 2>&1
# 21. down while a --confirm waits cancels its revert: after the deadline
# the node stays down (the revert used to bring it all back)
node_exec b "$MESHC" apply "$REVOKED" -q --confirm 2 >/dev/null 2>"$OUT"
node_exec b "$MESHC" down "$DOC" -q >/dev/null 2>>"$OUT"
rc=$?
sleep 3
wait_gone "$PEND"
verdict "21. down while an apply --confirm waits: the revert is cancelled, the node stays down" \
	$rc 0 '! node_exec b ip link show meshx >/dev/null 2>&1' \
	'! node_exec b nft list tables | grep -q meshc' 'no_daemon b' \
	'grep -q "cancelled the pending apply --confirm on meshx" "$OUT"' \
	'[ ! -e "$PEND" ]' 'tail -n 1 "$LOG" | grep -q "cancelled by meshc down"'

# 22. a confirm that comes after the revert ran: exit 1, and it says so
node_exec b "$MESHC" apply "$DOC" -q >/dev/null 2>&1
before=$(snap b)
node_exec b "$MESHC" apply "$REVOKED" -q --confirm 1 >/dev/null 2>&1
sleep 1.5
wait_gone "$PEND"
node_exec b "$MESHC" confirm >/dev/null 2>"$OUT"
verdict "22. meshc confirm after the revert ran: exit 1, says it was reverted" \
	$? 1 'grep -q "not confirmed in time: reverted" "$OUT"' \
	'same s "$before" "$(snap b)"'

# 23. a pending file whose process is gone, naming a pid now in use by
# another process: confirm signals nobody (exit 1), apply is not blocked
node_exec b sleep 60 &
bystander=$!
sleep 0.3
printf '%s %s b\n' "$bystander" "$(($(date +%s) + 60))" >"$PEND"
node_exec b "$MESHC" confirm >/dev/null 2>"$OUT"
crc=$?
node_exec b "$MESHC" apply "$REVOKED" -q >/dev/null 2>>"$OUT"
arc=$?
verdict "23. a stale pending naming a live pid: confirm exit 1 and the pid untouched, apply proceeds" \
	"$crc$arc" 10 'kill -0 $bystander' 'grep -q "nothing is waiting" "$OUT"' \
	'[ ! -e "$PEND" ]' 'noop b "$REVOKED"'
kill $bystander 2>/dev/null
wait $bystander 2>/dev/null

# 24. the revert meets a held interface lock: it waits (and says so in
# confirm.log), a confirm meanwhile is too late (exit 1), then it reverts
node_exec b "$MESHC" apply "$DOC" -q >/dev/null 2>&1
before=$(snap b)
node_exec b "$MESHC" apply "$REVOKED" -q --confirm 2 >/dev/null 2>&1
node_exec b flock "$(sdir b)/lock" sleep 6 &
holder=$!
during=$(snap b)
sleep 3
node_exec b "$MESHC" confirm >/dev/null 2>"$OUT"
crc=$?
held=$(snap b)
wait $holder
wait_gone "$PEND"
sleep 0.3
verdict "24. the revert meets a held lock: waits, a confirm meanwhile exits 1 (too late), then reverts" \
	$crc 1 'grep -q "too late" "$OUT"' '[ "$held" = "$during" ]' \
	'[ "$before" != "$during" ]' 'same s "$before" "$(snap b)"' \
	'grep -q "holds .*lock; waiting for it" "$LOG"' \
	'tail -n 1 "$LOG" | grep -q "reverted to the state before"'

# 24b. SIGINT to the waiting revert process reverts at once, as SIGTERM
# does (it used to inherit the apply's held mask: SIGINT did nothing)
node_exec b "$MESHC" apply "$DOC" -q >/dev/null 2>&1
before=$(snap b)
node_exec b "$MESHC" apply "$REVOKED" -q --confirm 30 >/dev/null 2>&1
reverter=$(awk '{print $1}' "$PEND" 2>/dev/null)
during=$(snap b)
[ -n "$reverter" ] && kill -INT "$reverter"
wait_gone "$PEND"
sleep 0.3
verdict "24b. SIGINT to the revert process: it reverts at once" \
	0 0 '[ -n "$reverter" ]' '[ "$before" != "$during" ]' \
	'same s "$before" "$(snap b)"' \
	'grep -q "SIGINT; reverting unless cancelled" "$LOG"' \
	'tail -n 1 "$LOG" | grep -q "reverted to the state before"'

# --- 25. two interfaces of one namespace need forwarding --------------------
# b's meshx and meshw (another mesh) both forward: down of one leaves
# ip_forward on for the other; down of the last puts back the value from
# before meshc (0)
cat >"$T.w.tmpl" <<'YAML'
version: 1
meshes:
  w:
    network: 100.66.0.0/24
    interface: meshw
nodes:
  b:
    mesh: w
    public_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="
    address: 100.66.0.2
    endpoint: 203.0.113.5:51830
    listen_port: 51830
    lan: [192.168.2.0/24]
    permissions:
      peers:
        e: { local_network: true }
  e:
    mesh: w
    public_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQ="
    address: 100.66.0.5
    endpoint: 198.51.100.20:51830
    lans_via: [b]
YAML
W=$(e2e_dir)/w.yaml
e2e_document "$T.w.tmpl" "$W" b
fwd() { node_exec b sysctl -n net.ipv4.ip_forward; }
node_exec b "$MESHC" down "$DOC" -q >/dev/null 2>&1
f0=$(fwd)
node_exec b "$MESHC" apply "$DOC" -q >"$OUT" 2>&1 &&
	node_exec b "$MESHC" apply "$W" -q >>"$OUT" 2>&1
rc=$?
f1=$(fwd)
node_exec b "$MESHC" down "$DOC" -q >>"$OUT" 2>&1
f2=$(fwd)
node_exec b "$MESHC" down "$W" -q >>"$OUT" 2>&1
f3=$(fwd)
verdict "25. meshx and meshw on b both forward: down of meshx keeps ip_forward=1, down of meshw puts back 0" \
	$rc 0 '[ "$f0$f1$f2$f3" = 0110 ]' \
	'[ ! -e "$(e2e_dir)/b/run"/netns:*/:sysctl ]'
node_exec b "$MESHC" apply "$DOC" -q >/dev/null 2>&1

# --- 26. state directories meshc must not trust ------------------------------
before=$(snap d)
mkdir -p "$T.open" "$T.nobody"
chmod 0777 "$T.open"
chown 65534 "$T.nobody"
node_exec d env MESHC_RUN_DIR="$T.open" "$MESHC" apply "$DOC" -q \
	>/dev/null 2>"$OUT"
orc=$?
node_exec d env MESHC_RUN_DIR="$T.nobody" "$MESHC" apply "$DOC" -q \
	>/dev/null 2>>"$OUT"
nrc=$?
verdict "26. a run directory of mode 0777, one owned by nobody: refused naming it and why, d unchanged" \
	"$orc$nrc" 11 'grep -qF "$T.open is writable by group or others (mode 0777)" "$OUT"' \
	"grep -qF \"\$T.nobody is owned by uid 65534\" \"\$OUT\"" \
	'same s "$before" "$(snap d)"' '[ -z "$(ls "$T.open")" ]'
rm -rf "$T.open" "$T.nobody"

# --- 27. a symlink planted for each record meshc writes ---------------------
# (tests/unit/test_state.c plants one for every file; here a real run)
echo precious >"$T.target"
for f in document nft.mark nft.fw creating confirm.last; do
	rm -f "$(sdir a)/$f"
	ln -s "$T.target" "$(sdir a)/$f"
done
node_exec a "$MESHC" apply "$MOVED" -q >/dev/null 2>"$OUT" &&
	node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>>"$OUT"
rc=$?
ln -sf "$T.target" "$(sdir a)/lock.new" && mv -fT "$(sdir a)/lock.new" "$(sdir a)/lock"
node_exec a "$MESHC" apply "$DOC" -q >/dev/null 2>>"$OUT"
lrc=$?
rm -f "$(sdir a)/lock"
verdict "27. symlinks planted for a's records: replaced by meshc's own files, the target untouched; a symlinked lock: refused" \
	"$rc$lrc" 01 '[ "$(cat "$T.target")" = precious ]' \
	'[ -f "$(sdir a)/document" ] && [ ! -L "$(sdir a)/document" ]' \
	'[ ! -L "$(sdir a)/nft.mark" ]' 'grep -q "lock is a symlink" "$OUT"' \
	'noop a "$DOC"'

echo "ok   faults: $pass passed, $fail failed"
[ "$fail" = 0 ]
