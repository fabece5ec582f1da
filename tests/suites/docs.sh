#!/bin/sh
# docs: the man pages, the JSON Schema and the examples agree with
# grammar/keys.def and the command line contract (tests/docs_check.py),
# and the man pages are clean for mandoc -Tlint -W warning.  When $MESHC
# is set, the documents shown in meshc.yaml(5) and README.md must pass
# `meshc check` too (the examples/ files are run by check.sh).
#
# Exit 0: all good; 1: something failed; 77: mandoc or python3 with yaml
# and jsonschema is missing (Debian: mandoc python3-yaml python3-jsonschema).
set -u
cd "$(dirname "$0")/../.." || exit 1

failed=0
ok() { echo "ok   docs: $*"; }
fail() { echo "FAIL docs: $*"; failed=$((failed + 1)); }

if ! command -v mandoc >/dev/null 2>&1; then
	echo "SKIP docs: mandoc is missing (Debian: mandoc)"
	exit 77
fi
# python3 with yaml and jsonschema (tests/python.sh)
. tests/python.sh
if ! find_python yaml jsonschema; then
	echo "SKIP docs: python3 with yaml and jsonschema is missing" \
		"(Debian: python3-yaml python3-jsonschema)"
	exit 77
fi

for page in man/meshc.8 man/meshc.yaml.5; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && [ -z "$out" ]; then
		ok "mandoc -Tlint -W warning $page"
	else
		fail "mandoc -Tlint -W warning $page (exit $rc)"
		printf '%s\n' "$out" | sed 's/^/     /'
	fi
done

# docs_check.py reads $MESHC itself (exported by tests/run-suites.sh).
"$py" tests/docs_check.py . || failed=$((failed + 1))

[ "$failed" = 0 ] || exit 1
exit 0
