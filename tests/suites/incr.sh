#!/bin/sh
# meshc diff OLD NEW compiles only what a change can touch (delta/delta.h);
# its output must be the full compile's, byte for byte.  Random documents
# and random edits of every kind (tests/tools/meshedit.py), each diffed
# both ways, as text, as JSON and for one node, against the same run with
# MESHC_DIFF_FULL=1 (every node in full): stdout, stderr and exit codes.
#   INCR_ROUNDS (default 120 per seed) and INCR_SEED (default: a new one per run,
#   printed, so a failure can be replayed) tune it.
set -u
cd "$(dirname "$0")/../.." || exit 1
[ -n "${MESHC:-}" ] || { echo "SKIP incr: MESHC is not set"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP incr: no python3"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
fail=0
# one fixed seed, the same every run, and one new per run
seed=${INCR_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
for s in 1 "$seed"; do
	echo "incr: seed $s"
	python3 tests/tools/meshedit.py "$MESHC" --rounds "${INCR_ROUNDS:-120}" \
		--seed "$s" --work "$tmp" || fail=1
done
# A failure leaves its two documents under $tmp/fail-N: keep them.
if [ "$fail" != 0 ] && ls -d "$tmp"/fail-* >/dev/null 2>&1; then
	keep=$(mktemp -d /tmp/meshc-incr.XXXXXX)
	cp -r "$tmp"/fail-* "$keep"/ && echo "incr: failing documents kept in $keep"
fi
exit "$fail"
