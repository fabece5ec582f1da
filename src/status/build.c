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

void status_peers_build(struct arena *a, const struct model *m, size_t node,
			const struct plan *want,
			const struct status_live_peer *live, size_t n_live,
			struct status_iface *out)
{
	struct status_peer *v = arena_calloc(a, want->n_peers + n_live + 1,
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
	qsort(v, n, sizeof(*v), cmp_status_peer);
	out->peers = v;
	out->n_peers = n;
	out->n_device_peers = n_live;
}
