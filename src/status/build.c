/* build.c - a node's peers as the document names them next to what its
 * WireGuard device reports: matched by public key, the only name a
 * device knows. */
#include "status/status.h"

#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"

static int cmp_status_peer(const void *pa, const void *pb)
{
	const struct status_peer *a = pa, *b = pb;

	/* known peers by name first, then unknown ones by key */
	if (!a->node != !b->node)
		return a->node ? -1 : 1;
	if (a->node)
		return strcmp(a->node, b->node);
	return strcmp(a->public_key, b->public_key);
}

static void grant(const struct model *m, size_t node, const char *name,
		  struct status_peer *p)
{
	size_t idx = model_node_find(m, name);
	struct perm_set g;

	if (idx == MODEL_NONE)
		return;
	g = model_permissions(m, node, idx);
	p->incoming = g.incoming.v;
	p->routing = g.routing.v;
	p->local_network = g.local_network.v;
	p->incoming_limited = g.incoming.limited;
	p->local_network_limited = g.local_network.limited;
}

/* How many peers this node reaches through its relay (they have no entry
 * on the device: their packets go in the relay's tunnel). */
static size_t relayed_peers(const struct model *m, size_t node)
{
	size_t r = m->nodes[node].relay_idx, n = 0;

	if (r == MODEL_NONE)
		return 0;
	for (size_t i = 0; i < m->nodes[r].n_relay_users; i++)
		n += model_relayed(m, node, m->nodes[r].relay_users[i]);
	return n;
}

static void add_relayed(const struct model *m, size_t node,
			struct status_peer *v, size_t *n)
{
	size_t r = m->nodes[node].relay_idx;

	if (r == MODEL_NONE)
		return;
	for (size_t i = 0; i < m->nodes[r].n_relay_users; i++) {
		size_t u = m->nodes[r].relay_users[i];
		struct status_peer *p;

		if (!model_relayed(m, node, u))
			continue;
		p = &v[(*n)++];
		p->node = m->nodes[u].name.v;
		memcpy(p->public_key, m->nodes[u].public_key.b64,
		       WG_KEY_B64_LEN);
		p->relay = m->nodes[r].name.v;
		grant(m, node, p->node, p);
	}
}

void status_peers_build(struct arena *a, const struct model *m, size_t node,
			const struct plan *want,
			const struct status_live_peer *live, size_t n_live,
			struct status_iface *out)
{
	struct status_peer *v = arena_calloc(
		a, want->n_peers + n_live + relayed_peers(m, node) + 1,
		sizeof(*v));
	bool *seen = arena_calloc(a, want->n_peers + 1, sizeof(*seen));
	struct strmap by_key;
	size_t n = 0;

	strmap_init(&by_key, a);
	strmap_reserve(&by_key, want->n_peers);
	for (size_t i = 0; i < want->n_peers; i++)
		strmap_put(&by_key, want->peers[i].public_key, i);
	for (size_t i = 0; i < n_live; i++) {
		struct status_peer *p = &v[n++];
		size_t j;

		key_to_base64(live[i].public_key, p->public_key);
		p->on_device = true;
		p->endpoint = live[i].endpoint;
		p->last_handshake = live[i].last_handshake;
		p->rx_bytes = live[i].rx_bytes;
		p->tx_bytes = live[i].tx_bytes;
		if (!strmap_get(&by_key, p->public_key, &j))
			continue;
		seen[j] = true;
		p->node = want->peers[j].name;
		grant(m, node, p->node, p);
	}
	/* the document's peers the device lacks: drift, listed by name */
	for (size_t j = 0; j < want->n_peers; j++) {
		struct status_peer *p;

		if (seen[j])
			continue;
		p = &v[n++];
		p->node = want->peers[j].name;
		memcpy(p->public_key, want->peers[j].public_key,
		       sizeof(p->public_key));
		grant(m, node, p->node, p);
	}
	add_relayed(m, node, v, &n);
	qsort(v, n, sizeof(*v), cmp_status_peer);
	out->peers = v;
	out->n_peers = n;
	out->n_device_peers = n_live;
}
