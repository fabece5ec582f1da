#!/bin/sh
# check-pr.sh BASE_REF [FILE] - the gate of a mesh repository's pull
# requests, for any CI (github-actions.yml runs it and posts its output).
#
# Prints a Markdown summary on stdout: whether FILE (default mesh.yaml)
# is valid, how its reachability tests fare, and what the change does,
# node by node (meshc diff of FILE at BASE_REF against the working tree).
# Exit 0: valid and every test passes (changes are for review, not a
# failure); 1: invalid, a failing test, or BASE_REF cannot be read.
set -u
base=${1:?usage: check-pr.sh BASE_REF [FILE]}
file=${2:-mesh.yaml}
meshc=${MESHC:-meshc}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
rc=0

block() {	# title file: a fenced block, when the file has something
	[ -s "$2" ] || return 0
	printf '%s\n\n```\n' "$1"
	cat "$2"
	printf '```\n\n'
}

printf '## meshc: %s\n\n' "$file"
if "$meshc" validate --color never "$file" >"$tmp/out" 2>"$tmp/warn"; then
	printf -- '- valid: %s\n' "$(sed 's/^[^:]*: valid: //' "$tmp/out")"
else
	mv "$tmp/warn" "$tmp/err"
	rc=1
	printf -- '- **invalid**\n\n'
	block "Diagnostics:" "$tmp/err"
	exit "$rc"
fi
"$meshc" check --color never -q "$file" >"$tmp/check" 2>"$tmp/err"
case $? in
0) printf -- '- tests: %s\n' "$(tail -n 1 "$tmp/check")" ;;
2) rc=1
   printf -- '- **tests fail**: %s\n\n' "$(tail -n 1 "$tmp/check")"
   grep -A1 '^FAIL' "$tmp/check" >"$tmp/fails"
   block "Failing tests:" "$tmp/fails" ;;
*) rc=1; printf -- '- **check failed**\n\n'; block "Errors:" "$tmp/err" ;;
esac
if [ -s "$tmp/warn" ]; then
	printf '\n'
	block "Warnings:" "$tmp/warn"
fi
if ! git show "$base:$file" >"$tmp/base.yaml" 2>"$tmp/err"; then
	printf -- '- **no %s at %s**: %s\n' "$file" "$base" "$(head -n 1 "$tmp/err")"
	exit 1
fi
"$meshc" diff --color never -q "$tmp/base.yaml" "$file" >"$tmp/diff" 2>"$tmp/err"
case $? in
0) printf -- '- changes: none\n' ;;
2) printf -- '- changes: %s\n\n' "$(tail -n 1 "$tmp/diff")"
   block "What this change does, per node:" "$tmp/diff" ;;
*) printf -- '- **the document at %s does not load** (a diff needs both)\n\n' "$base"
   block "Errors:" "$tmp/err" ;;
esac
exit "$rc"
