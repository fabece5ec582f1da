#!/bin/sh
# Run every script suite in tests/suites/ against the meshc binary $1.
# A suite prints "ok"/"FAIL" lines and exits non-zero on failure.  In CI
# (CI=true) a suite that cannot run (exit 77) is a failure, not a skip.
set -u
MESHC=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
export MESHC
cd "$(dirname "$0")/.." || exit 1
failed=0
for s in tests/suites/*.sh; do
	name=$(basename "$s" .sh)
	sh "$s"
	rc=$?
	if [ "$rc" = 77 ]; then
		if [ "${CI:-}" = true ]; then
			echo "FAIL: suite $name could not run (CI=true: skips are failures)"
			failed=$((failed + 1))
		else
			echo "SKIP: suite $name"
		fi
	elif [ "$rc" != 0 ]; then
		echo "FAIL: suite $name ($MESHC)"
		failed=$((failed + 1))
	fi
done
[ "$failed" = 0 ] || { echo "$failed suites failed ($MESHC)"; exit 1; }
echo "all suites passed ($MESHC)"
