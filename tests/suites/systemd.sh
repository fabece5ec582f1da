#!/bin/sh
# systemd: the GitOps units of examples/systemd/ under a real systemd.
#
# systemd runs as pid 1 of a new pid, mount and network namespace (its own
# /run, /etc/systemd/system and /etc/meshc on tmpfs), with the example
# units as shipped except for the path of meshc.  The document changes
# the way meshc-pull.service changes it (a new file moved into place), and
# the suite asserts what an operator relies on:
#   - the first start applies the document;
#   - every later change is applied (a path trigger of a oneshot unit that
#     stays active would do nothing);
#   - what apply started (wireguard-go) survives the unit that triggered
#     the apply (a oneshot unit that went inactive would have it killed);
#   - an invalid document fails the reload and changes nothing;
#   - stopping the unit takes the mesh down whole;
#   - meshc-status.service writes the Prometheus file whole (a rename),
#     also when status exits 2 (drift), and meshc-status.timer loads.
set -u
[ "$(id -u)" = 0 ] || exit 77
SD=/lib/systemd/systemd
for t in unshare nsenter ip nft wg wireguard-go "$SD"; do
	command -v "$t" >/dev/null || { echo "systemd: missing $t"; exit 77; }
done
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   systemd: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL systemd: $1"; }
UNITS=$(pwd)/examples/systemd
T=$(mktemp -d /run/meshc-systemd.XXXXXX)
PID1=
cleanup() {
	# pid 1 of the namespace ignores SIGTERM; SIGKILL from outside ends
	# the namespace and everything in it (wireguard-go included).
	[ -n "$PID1" ] && kill -9 "$PID1" 2>/dev/null
	[ -n "${UNSHARE:-}" ] && wait "$UNSHARE" 2>/dev/null
	[ -e "$T/created-etc-meshc" ] && rmdir /etc/meshc
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

(umask 077; "$MESHC" genkey >"$T/private.key")
chmod 600 "$T/private.key"
PUB=$("$MESHC" pubkey <"$T/private.key")
PEER=$("$MESHC" genkey | "$MESHC" pubkey)
# doc PORT: this node (n) and one peer, n listening on PORT
doc() {
	cat <<EOF
version: 1
meshes:
  x: { network: 100.64.0.0/24, interface: meshsd }
nodes:
  n:
    mesh: x
    public_key: "$PUB"
    address: 100.64.0.1
    listen_port: $1
  p:
    mesh: x
    public_key: "$PEER"
    address: 100.64.0.2
    endpoint: 192.0.2.7:51820
EOF
}
doc 51901 >"$T/mesh.yaml"

# The units as shipped, meshc's path swapped for the binary under test,
# started by a target of their own.
mkdir "$T/units" "$T/units/meshc-test.target.wants"
for u in "$UNITS"/*; do
	sed "s#/usr/local/bin/meshc#/etc/meshc/bin/meshc#g" "$u" \
		>"$T/units/$(basename "$u")"
done
printf '[Unit]\nDescription=meshc systemd suite\n' >"$T/units/meshc-test.target"
# The only units this systemd knows (SYSTEMD_UNIT_PATH below): the ones
# above and empty targets for their default dependencies.  Nothing of the
# distribution's sysinit (tmpfiles, sysctl, udev, journald ...) may run:
# it would act on the host, which shares /tmp, /var, /sys and the kernel.
for t in sysinit basic shutdown sockets paths timers network-online \
	multi-user; do
	printf '[Unit]\nDescription=%s (empty, systemd suite)\n' "$t" \
		>"$T/units/$t.target"
done
ln -s ../meshc-apply.service ../meshc-apply.path \
	"$T/units/meshc-test.target.wants/"

CANARY=$(mktemp /tmp/meshc-systemd-canary.XXXXXX)
cat >"$T/boot" <<EOF
#!/bin/sh
# pid 1-to-be: private /etc/meshc (key, document, binary), unit directory
# and /run, then systemd.
set -e
[ -d /etc/meshc ] || { mkdir /etc/meshc && touch "$T/created-etc-meshc"; }
mount -t tmpfs -o mode=0755 tmpfs /etc/meshc
mkdir /etc/meshc/bin
cp "$MESHC" /etc/meshc/bin/meshc
cp "$T/private.key" "$T/mesh.yaml" /etc/meshc/
chmod 600 /etc/meshc/private.key
mount -t tmpfs tmpfs /etc/systemd/system
cp -a "$T/units/." /etc/systemd/system/
mount -t tmpfs -o mode=0755 tmpfs /run
# what the units' PrivateTmp and any log would write: private too
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
[ ! -d /var/log/journal ] || mount -t tmpfs tmpfs /var/log/journal
# meshc-status.service writes /var/lib/prometheus/node-exporter
mount -t tmpfs -o mode=0755 tmpfs /var/lib
ip link set lo up
export SYSTEMD_UNIT_PATH=/etc/systemd/system
exec $SD --system --unit=meshc-test.target --log-target=null
EOF
chmod +x "$T/boot"
container=meshc-test setsid unshare --pid --fork --mount --mount-proc \
	--net --propagation private "$T/boot" </dev/null >"$T/log" 2>&1 &
UNSHARE=$!
i=0
while [ -z "$PID1" ] && [ $i -lt 50 ]; do
	PID1=$(pgrep -P "$UNSHARE" 2>/dev/null | head -n 1)
	[ -n "$PID1" ] || sleep 0.1
	i=$((i + 1))
done
[ -n "$PID1" ] || { echo "systemd: namespace did not start"; cat "$T/log"; exit 1; }
ns() { nsenter -t "$PID1" -m -n -p -- "$@"; }
# until SECONDS CMD...: poll CMD every 0.2 s
until_ok() {
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}
port_is() { [ "$(ns wg show meshsd listen-port 2>/dev/null)" = "$1" ]; }
unit_is() { [ "$(ns systemctl is-active "$1" 2>/dev/null)" = "$2" ]; }
# put PORT: install a new document as meshc-pull.service does
put() {
	doc "$1" | ns sh -c 'cat >/etc/meshc/mesh.yaml.new &&
		mv /etc/meshc/mesh.yaml.new /etc/meshc/mesh.yaml'
}
status() { ns systemctl status --no-pager meshc-apply.service 2>&1 | sed 's/^/	/' | head -n 15; }

if until_ok 30 unit_is meshc-apply.service active && port_is 51901; then
	ok "boot: meshc-apply.service applied the document (meshsd on 51901)"
else
	bad "boot: meshc-apply.service did not apply the document"
	status
	exit 1
fi
WGGO=$(ns pgrep -x wireguard-go | head -n 1)

put 51902
if until_ok 20 port_is 51902; then
	ok "a changed document is applied (path -> reapply -> reload)"
else
	bad "a changed document is not applied (still $(ns wg show meshsd listen-port 2>&1))"
	status
fi
# The trigger unit has finished; what the apply started must still run.
until_ok 10 unit_is meshc-reapply.service inactive
sleep 1
if port_is 51902 && [ -n "$WGGO" ] && ns kill -0 "$WGGO" 2>/dev/null; then
	ok "wireguard-go outlives the unit that triggered the apply"
else
	bad "wireguard-go or meshsd is gone after the trigger unit finished"
fi

put 51903
if until_ok 20 port_is 51903; then
	ok "a second change is applied too"
else
	bad "a second change is not applied"
	status
fi

# The textfile-collector unit: the metrics of the live mesh, in step,
# then with a route of meshc's deleted by hand (exit 2 is no failure).
PROM=/var/lib/prometheus/node-exporter
prom_has() { ns grep -qxF -- "$1" "$PROM/meshc.prom"; }
ns systemctl start meshc-status.service
if unit_is meshc-status.service inactive &&
	prom_has 'meshc_drift{node="n",interface="meshsd"} 0' &&
	prom_has 'meshc_peers{node="n",interface="meshsd"} 1' &&
	prom_has '# TYPE meshc_peer_receive_bytes_total counter'; then
	ok "meshc-status.service writes the metrics (in step: meshc_drift 0)"
else
	bad "meshc-status.service: $(ns systemctl is-active meshc-status.service)"
	ns cat "$PROM/meshc.prom" 2>&1 | sed 's/^/	/'
fi
ns ip route del 100.64.0.0/24 dev meshsd
ns systemctl start meshc-status.service
if unit_is meshc-status.service inactive &&
	prom_has 'meshc_drift{node="n",interface="meshsd"} 1'; then
	ok "meshc-status.service: drift (exit 2) still writes the file: meshc_drift 1"
else
	bad "meshc-status.service on drift: $(ns systemctl is-active meshc-status.service)"
	ns cat "$PROM/meshc.prom" 2>&1 | sed 's/^/	/'
fi
if [ "$(ns ls "$PROM")" = meshc.prom ]; then
	ok "meshc-status.service leaves no temporary file"
else
	bad "meshc-status.service left: $(ns ls "$PROM" | tr '\n' ' ')"
fi
ns systemctl start meshc-status.timer
if unit_is meshc-status.timer active; then
	ok "meshc-status.timer loads and runs"
else
	bad "meshc-status.timer: $(ns systemctl is-active meshc-status.timer)"
fi
ns systemctl reload meshc-apply.service

ns sh -c 'printf "version: 1\nnodes: [\n" >/etc/meshc/mesh.yaml.new &&
	mv /etc/meshc/mesh.yaml.new /etc/meshc/mesh.yaml'
until_ok 10 unit_is meshc-reapply.service failed
if unit_is meshc-reapply.service failed && port_is 51903 &&
	unit_is meshc-apply.service active; then
	ok "an invalid document fails the reload and changes nothing"
else
	bad "an invalid document: reapply $(ns systemctl is-active meshc-reapply.service), port $(ns wg show meshsd listen-port 2>&1)"
fi

# Back to a valid document (meshc-pull.service installs only those):
# `down` needs one to know what to remove.
put 51903
until_ok 10 unit_is meshc-reapply.service inactive
ns systemctl stop meshc-apply.service
if ! ns ip link show meshsd >/dev/null 2>&1 &&
	! ns nft list table inet meshc >/dev/null 2>&1 &&
	unit_is meshc-apply.service inactive; then
	ok "stopping meshc-apply.service takes the mesh down (interface and table gone)"
else
	bad "stopping meshc-apply.service left meshc's state behind"
	ns ip -br link show meshsd 2>&1 | sed 's/^/	/'
	ns nft list tables 2>&1 | sed 's/^/	/'
fi

# The host was not touched: a systemd that ran the distribution's sysinit
# here would have emptied the host's /tmp (tmpfiles: "D /tmp").
if [ -e "$CANARY" ]; then
	ok "the host's /tmp is untouched (systemd ran nothing of its own)"
else
	bad "the host's /tmp was emptied: systemd ran the distribution's sysinit"
fi
rm -f "$CANARY"

echo "systemd: $pass passed, $fail failed"
[ "$fail" = 0 ]
