#!/bin/sh
# Install the Debian packages given as arguments when some are missing.
# As root this runs apt-get; otherwise it lists what to install and fails.
set -u
missing=
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "meshc: missing Debian packages:$missing" >&2
	echo "meshc: run as root: apt-get install$missing" >&2
	exit 1
fi
echo "  DEPS   $missing"
export DEBIAN_FRONTEND=noninteractive
# Try the cached package lists first; refresh them only if that fails.
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing; }
