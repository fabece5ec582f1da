#!/bin/sh
# Run cmocka test binaries; fail if any fails.
set -u
failed=0
for t in "$@"; do
	if ! out=$("$t" 2>&1); then
		printf '%s\n' "$out"
		echo "FAIL: $t"
		failed=$((failed + 1))
	else
		n=$(printf '%s\n' "$out" | sed -n 's/.*PASSED[^0-9]*\([0-9][0-9]*\) test.*/\1/p' | tail -n 1)
		echo "  ok      $t (${n:-?} tests)"
	fi
done
[ "$failed" = 0 ] || { echo "$failed unit test binaries failed"; exit 1; }
