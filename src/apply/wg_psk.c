/* wg_psk.c - preshared keys by peer, in guarded memory.
 *
 * Apply holds two sets of them: the keys it derives for the plan it
 * converges to (psk_derive), and the keys the device holds, read back to
 * be compared with those and put back on rollback.  Either may have a
 * key for each of 10,000 peers, so the keys share one guarded block
 * (struct secret_keys) and are found by the peer's public key.
 */
#include "apply/wg_internal.h"

#include <string.h>

void wg_psks_init(struct wg_psks *t, struct arena *a)
{
	memset(t, 0, sizeof(*t));
	t->a = a;
	strmap_init(&t->by_peer, a);
}

uint8_t *wg_psks_slot(struct wg_psks *t, const uint8_t peer[WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN + 1];
	size_t idx;

	key_to_base64(peer, b64);
	/* a peer met twice (a dump read again) keeps its one slot */
	if (strmap_get(&t->by_peer, b64, &idx))
		return secret_keys_at(&t->keys, idx);
	if (secret_keys_add(&t->keys, &idx))
		return NULL;
	strmap_put(&t->by_peer, arena_strdup(t->a, b64), idx);
	return secret_keys_at(&t->keys, idx);
}

const uint8_t *wg_psks_get(const struct wg_psks *t, const char *peer_b64)
{
	size_t idx;

	if (!t || !strmap_get(&t->by_peer, peer_b64, &idx))
		return NULL;
	return secret_keys_at(&t->keys, idx);
}

void wg_psks_free(struct wg_psks *t)
{
	secret_keys_free(&t->keys);
	if (t->a)
		strmap_init(&t->by_peer, t->a);	/* empty again */
}
