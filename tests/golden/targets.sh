# Sourced by the golden scripts: the compile targets every case covers.
GOLDEN_TARGETS="plan json nft pf wg routes sysctl"
# `meshc export` of each node listed in CASE/export, with the fixed test
# key CASE/NODE.key (copied to a file of mode 0600, as export demands).
# The key's line is printed as `PrivateKey = (CASE/NODE.key)` when it is
# exactly that key, so no private key is stored in a golden file.
golden_export() {	# meshc case-dir node
	_k=$(mktemp) || return 1
	cat "$2/$3.key" >"$_k"
	chmod 600 "$_k"
	"$1" export "$2/mesh.yaml" --node "$3" --private-key-file "$_k" |
		sed "s|^PrivateKey = $(cat "$_k")\$|PrivateKey = ($2/$3.key)|"
	_rc=$?
	rm -f "$_k"
	return $_rc
}
