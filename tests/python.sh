# python.sh - sourced by the suites that read meshc's output with Python
# modules (jsonschema, yaml, prometheus_client).
#
# find_python MODULE...: set $py to a python3 that imports every MODULE:
# the one on PATH (a pyenv or venv one may have them), else the system
# one, where the Debian python3-* packages install (the Makefile's
# DEB_PKGS).  Returns 1 with $py empty when neither has them all.
find_python() {
	_mods=$(echo "$*" | sed 's/ /, /g')
	py=
	for _p in python3 /usr/bin/python3; do
		if command -v "$_p" >/dev/null 2>&1 &&
			"$_p" -c "import $_mods" >/dev/null 2>&1; then
			py=$_p
			return 0
		fi
	done
	return 1
}
