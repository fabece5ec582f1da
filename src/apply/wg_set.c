/* wg_set.c - what one configuration request does: the device's fields
 * and, peer by peer, only what the change set says changed.  Computed
 * once here and rendered by either backend (wg_uapi.c, wg_genl.c), so
 * both send the same thing.
 */
#include "apply/wg_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/secret.h"

/* The key a wanted peer gets: none without a preshared_key_file, else
 * the one psks holds for it (derived by apply, or read from the device
 * when converging back to it). */
static void set_psk(struct wg_peer_op *op, const struct wg_psks *psks,
		    int *err)
{
	op->set_psk = true;
	op->psk = NULL;
	if (!op->peer->preshared_key_file)
		return;
	op->psk = wg_psks_get(psks, op->peer->public_key);
	if (!op->psk && !*err)
		*err = -ENOKEY;
}

static struct wg_peer_op *push_op(struct arena *a, struct wg_set_ops *out,
				  const struct plan_peer *peer, int *err)
{
	uint8_t key[WG_KEY_LEN];
	struct wg_peer_op *op;

	if (!key_from_base64(peer->public_key, key)) {
		*err = -EINVAL;
		return NULL;
	}
	op = arena_push(a, &out->peers, &out->n_peers, &out->cap_peers,
			sizeof(*op));
	op->peer = peer;
	memcpy(op->public_key, key, WG_KEY_LEN);
	return op;
}

/* A peer the device does not have: everything, allowed IPs replaced so
 * that the list is exact even if the peer appeared meanwhile. */
static void add_full_peer(struct arena *a, struct wg_set_ops *out,
			  const struct wg_psks *psks,
			  const struct plan_peer *peer, int *err)
{
	struct wg_peer_op *op = push_op(a, out, peer, err);

	if (!op)
		return;
	op->set_endpoint = peer->endpoint != NULL;
	op->set_keepalive = true;
	op->set_allowed_ips = true;
	/* a new peer has none: only a key is worth sending */
	if (peer->preshared_key_file)
		set_psk(op, psks, err);
}

/* A changed peer: update_only and only what changed.  WireGuard cannot
 * forget an endpoint, so a wanted "none" sends nothing (apply clears
 * learned endpoints of such peers before diffing). */
static void modify_peer(struct arena *a, struct wg_set_ops *out,
			const struct wg_psks *psks, const struct change *ch,
			int *err)
{
	const struct plan_peer *n = ch->new.peer;
	bool endpoint = (ch->what & CHG_PEER_ENDPOINT) && n->endpoint;
	bool keepalive = ch->what & CHG_PEER_KEEPALIVE;
	bool ips = ch->what & CHG_PEER_ALLOWED_IPS;
	bool psk = ch->what & CHG_PEER_PSK;
	struct wg_peer_op *op;

	if (!endpoint && !keepalive && !ips && !psk)
		return;
	op = push_op(a, out, n, err);
	if (!op)
		return;
	op->update_only = true;
	op->set_endpoint = endpoint;
	op->set_keepalive = keepalive;
	op->set_allowed_ips = ips;
	if (psk)
		set_psk(op, psks, err);
}

static void iface_ops(const struct plan *want, const struct changeset *cs,
		      struct wg_set_ops *out)
{
	size_t first, n = changeset_layer(cs, LAYER_INTERFACE, &first);

	for (size_t i = first; i < first + n; i++) {
		const struct change *ch = &cs->items[i];

		if (ch->op == CHANGE_ADD) {
			out->set_listen_port = out->set_fwmark = true;
		} else if (ch->op == CHANGE_MODIFY) {
			out->set_listen_port |=
				!!(ch->what & CHG_IFACE_LISTEN_PORT);
			out->set_fwmark |= !!(ch->what & CHG_IFACE_FWMARK);
		}
	}
	out->listen_port = want->iface.listen_port;
	out->fwmark = want->iface.fwmark;
}

int wg_set_ops_build(struct arena *a, const struct plan *want,
		     const struct wg_psks *psks, const struct changeset *cs,
		     struct wg_set_ops *out)
{
	size_t first, n;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!cs) {
		out->replace_peers = true;
		out->set_listen_port = out->set_fwmark = true;
		out->listen_port = want->iface.listen_port;
		out->fwmark = want->iface.fwmark;
		for (size_t i = 0; i < want->n_peers; i++)
			add_full_peer(a, out, psks, &want->peers[i], &err);
		return err;
	}
	iface_ops(want, cs, out);
	n = changeset_layer(cs, LAYER_PEERS, &first);
	/* Removals first: a rotated key's old peer goes before the new
	 * one comes, as a person would do it. */
	for (size_t i = first; i < first + n; i++) {
		const struct change *ch = &cs->items[i];
		struct wg_peer_op *op;

		if (ch->op != CHANGE_REMOVE)
			continue;
		op = push_op(a, out, ch->old.peer, &err);
		if (op)
			op->remove = true;
	}
	for (size_t i = first; i < first + n; i++) {
		const struct change *ch = &cs->items[i];

		if (ch->op == CHANGE_ADD)
			add_full_peer(a, out, psks, ch->new.peer, &err);
		else if (ch->op == CHANGE_MODIFY)
			modify_peer(a, out, psks, ch, &err);
	}
	return err;
}

void wg_set_ops_report(const char *ifname, int err)
{
	if (err == -ENOKEY)
		fprintf(stderr, "meshc: no preshared key at hand for a peer of "
				"%s; nothing sent\n",
			ifname);
	else if (err)
		fprintf(stderr, "meshc: a peer of %s has an invalid public "
				"key; nothing sent\n",
			ifname);
}
