#!/bin/sh
# tests/bad/*.yaml: each file lists, in "# expect: LINE:COL: LEVEL: MSG"
# comments, every diagnostic `meshc validate` must print for it.  Warnings
# are compared only when the file expects at least one.  The run must exit
# 1 when an error is expected, never crash (sanitizers abort) and finish
# within the timeout.
set -u
fail=0 n=0
exp=$(mktemp) act=$(mktemp) err=$(mktemp) || exit 1
trap 'rm -f "$exp" "$act" "$err"' EXIT
for f in tests/bad/*.yaml; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	sed -n "s|^# expect: |$f:|p" "$f" >"$exp"
	if [ ! -s "$exp" ]; then
		echo "FAIL $f: no '# expect:' line"
		fail=$((fail + 1))
		continue
	fi
	timeout 20 "$MESHC" validate --color never "$f" >/dev/null 2>"$err"
	rc=$?
	if grep -q ': warning: ' "$exp"; then
		grep -E "^$f:[0-9]+:[0-9]+: (error|warning): " "$err" >"$act"
	else
		grep -E "^$f:[0-9]+:[0-9]+: error: " "$err" >"$act"
	fi
	want_rc=0
	grep -q ': error: ' "$exp" && want_rc=1
	if [ "$rc" != "$want_rc" ] || ! cmp -s "$exp" "$act"; then
		echo "FAIL $f (exit $rc, want $want_rc)"
		diff "$exp" "$act" | head -n 10
		grep -v -E "^$f:" "$err" | head -n 5
		fail=$((fail + 1))
	fi
done
echo "ok   bad documents: $((n - fail)) of $n rejected exactly as expected"
[ "$fail" = 0 ]
