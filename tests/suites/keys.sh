#!/bin/sh
# genkey/pubkey/genpsk are byte-compatible with wg(8).
set -u
command -v wg >/dev/null || exit 77
fail=0
for i in 1 2 3 4 5; do
	k=$("$MESHC" genkey)
	[ "$(echo "$k" | "$MESHC" pubkey)" = "$(echo "$k" | wg pubkey)" ] ||
		{ echo "FAIL pubkey of meshc genkey differs from wg pubkey"; fail=1; }
	w=$(wg genkey)
	[ "$(echo "$w" | "$MESHC" pubkey)" = "$(echo "$w" | wg pubkey)" ] ||
		{ echo "FAIL meshc pubkey of wg genkey differs"; fail=1; }
done
p=$("$MESHC" genpsk)
[ "${#p}" = 44 ] || { echo "FAIL genpsk length ${#p}"; fail=1; }
[ "$("$MESHC" genkey)" != "$("$MESHC" genkey)" ] || { echo "FAIL genkey repeats"; fail=1; }
echo "not a key" | "$MESHC" pubkey >/dev/null 2>&1 && { echo "FAIL pubkey accepted garbage"; fail=1; }
[ "$fail" = 0 ] && echo "ok   keys: genkey/pubkey/genpsk match wg"
exit $fail
