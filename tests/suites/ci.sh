#!/bin/sh
# examples/ci: the pull-request gate's script part, in a throwaway git
# repository: its Markdown summary and exit code for a change that is
# fine, one whose document is invalid and one with a failing test; the
# GitHub Actions workflow is valid YAML and runs that script.
set -u
[ -n "${MESHC:-}" ] || { echo "ci: MESHC is not set"; exit 77; }
fail=0 n=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { n=$((n + 1)); echo "ok   ci: $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "FAIL ci: $1"; }
root=$(pwd)
script=$root/examples/ci/check-pr.sh
# meshc as the script calls it, whatever the binary's name
mkdir "$tmp/bin"
ln -s "$(cd "$(dirname "$MESHC")" && pwd)/$(basename "$MESHC")" "$tmp/bin/meshc"
PATH="$tmp/bin:$PATH"
export PATH

repo=$tmp/repo
git init -q -b main "$repo" || exit 1
cd "$repo" || exit 1
git config user.email ci@example.invalid
git config user.name ci
cp "$root/examples/seed.yaml" mesh.yaml
git add mesh.yaml && git commit -qm base

gate() {	# run the gate against main: summary in $tmp/s, exit in $rc
	sh "$script" main mesh.yaml >"$tmp/s" 2>"$tmp/e"
	rc=$?
}

# 1. a change that is fine: a's endpoint moves to another port
sed 's/198.51.100.10:51820/198.51.100.10:51830/' "$root/examples/seed.yaml" >mesh.yaml
cmp -s mesh.yaml "$root/examples/seed.yaml" && bad "the edit did not apply to the seed"
gate
if [ "$rc" = 0 ] && grep -qx '## meshc: mesh.yaml' "$tmp/s" &&
	grep -q '^- valid: 1 mesh\|^- valid: [0-9]* meshes' "$tmp/s" &&
	grep -q '^- tests: [0-9]* tests, [0-9]* passed, 0 failed$' "$tmp/s" &&
	grep -q '^- changes: 1 of 3 nodes change$' "$tmp/s" &&
	grep -q '^    ~ a  endpoint 198.51.100.10:51820 -> 198.51.100.10:51830$' "$tmp/s" &&
	[ ! -s "$tmp/e" ]; then
	ok "a fine change: exit 0, valid, tests pass, the per-node changes"
else
	bad "fine change: exit $rc"; cat "$tmp/s" "$tmp/e"
fi

# 2. an invalid document: exit 1, the diagnostics with their lines
sed 's/^    address: 100.64.0.2$/    address: 100.64.0.300/' "$root/examples/seed.yaml" >mesh.yaml
gate
if [ "$rc" = 1 ] && grep -q '^- \*\*invalid\*\*$' "$tmp/s" &&
	grep -q '^mesh.yaml:[0-9]*:[0-9]*: error: ' "$tmp/s"; then
	ok "an invalid document: exit 1, its file:line:col diagnostics"
else
	bad "invalid document: exit $rc"; cat "$tmp/s"
fi

# 3. a failing test: exit 1, the failing test and its own line
sed 's/{ from: c, to: a, expect: deny }/{ from: c, to: a, expect: allow }/' \
	"$root/examples/seed.yaml" >mesh.yaml
gate
if [ "$rc" = 1 ] && grep -q '^- \*\*tests fail\*\*: .*, 1 failed$' "$tmp/s" &&
	grep -q '^FAIL  c -> a ' "$tmp/s" &&
	grep -q '^      mesh.yaml:[0-9]*:[0-9]*: the failing test$' "$tmp/s"; then
	ok "a failing test: exit 1, the test and its line"
else
	bad "failing test: exit $rc"; cat "$tmp/s"
fi

# 4. nothing changed; a base without the file
cp "$root/examples/seed.yaml" mesh.yaml
gate
[ "$rc" = 0 ] && grep -qx -- '- changes: none' "$tmp/s" &&
	ok "no change: exit 0, changes: none" || { bad "no change: exit $rc"; cat "$tmp/s"; }
sh "$script" no-such-ref mesh.yaml >"$tmp/s" 2>&1
[ $? = 1 ] && grep -q '^- \*\*no mesh.yaml at no-such-ref\*\*' "$tmp/s" &&
	ok "an unknown base: exit 1, said" || bad "unknown base"
cd "$root" || exit 1

# 5. the workflow: valid YAML, on pull requests, runs the script, posts
# its output and fails the job by the script's exit code
if python3 - examples/ci/github-actions.yml <<'PY'
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
on = w.get(True, w.get("on"))
steps = w["jobs"]["mesh"]["steps"]
runs = "\n".join(s.get("run", "") for s in steps)
assert "pull_request" in on, on
assert "check-pr.sh" in runs and "gh pr comment" in runs, runs
assert w["permissions"]["pull-requests"] == "write"
assert steps[-1]["run"].startswith("exit "), steps[-1]
PY
then
	ok "github-actions.yml: on pull requests, runs check-pr.sh, posts, fails by its exit"
else
	bad "github-actions.yml"
fi
echo "ok   ci: $((n - fail)) of $n checks"
[ "$fail" = 0 ]
