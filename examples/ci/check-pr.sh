#!/bin/sh
# The same gate as github-actions.yml for any CI: ./check-pr.sh BASE_REF
# Exit 0: valid, tests pass (changes, if any, are printed for review).
set -eu
base=${1:-origin/main}
meshc validate mesh.yaml
meshc check mesh.yaml
git show "$base:mesh.yaml" >/tmp/meshc-base.yaml
rc=0
meshc diff /tmp/meshc-base.yaml mesh.yaml || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 2 ]
