# Sourced by the golden scripts: the compile targets every case covers.
GOLDEN_TARGETS="plan json nft pf wg routes sysctl"
# `meshc export` of each node listed in CASE/export, with the fixed test
# key CASE/NODE.key and the mesh secrets CASE/*.psk (copied to files of
# mode 0600, as export demands, in a directory where the document's
# relative preshared_key_file finds them).  The key's line is printed as
# `PrivateKey = (CASE/NODE.key)` when it is exactly that key, so no
# private key is stored in a golden file; the preshared keys derived from
# the fixed test secret are kept as they are, to pin the derivation.
golden_export() {	# meshc case-dir node
	_d=$(mktemp -d) || return 1
	cat "$2/$3.key" >"$_d/private.key"
	for _p in "$2"/*.psk; do
		[ -f "$_p" ] && cat "$_p" >"$_d/${_p##*/}"
	done
	chmod 600 "$_d"/*
	case $1 in /*) _m=$1 ;; */*) _m=$PWD/$1 ;; *) _m=$1 ;; esac
	case $2 in /*) _c=$2 ;; *) _c=$PWD/$2 ;; esac
	(cd "$_d" && "$_m" export "$_c/mesh.yaml" --node "$3" \
		--private-key-file private.key) |
		sed "s|^PrivateKey = $(cat "$_d/private.key")\$|PrivateKey = ($2/$3.key)|"
	_rc=$?
	rm -rf "$_d"
	return $_rc
}
