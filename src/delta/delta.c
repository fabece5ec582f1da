/* delta.c - which nodes, and which of their peers, a change touches.
 *
 * Values are compared key by key through the keys.def table (load/keys.h),
 * by value and never by position: a node moved down the file by an added
 * line is the same node.  Names stand for nodes in both documents (a
 * renamed node is one removed and one added).
 *
 * Why the parts listed in delta.h are all a node X's plan reads (compile/):
 * its own part reads X's keys, its mesh's, every mesh's networks, its link
 * partners and the lans of its lans_via nodes; the part of a peer P reads
 * P's name, key, addresses, endpoint, mesh and lan (via lans_via: X's own
 * key), what X grants P (X's permissions and X's mesh's defaults) and,
 * for an unmanaged P, what P grants X (P's permissions).  Two aggregates
 * span the peers: the mesh routes (compile reads them from the model, not
 * from the peer list) and whether X forwards (some peer granted routing
 * or local_network), which a peer that comes or goes can flip.
 * Relays (meshc.yaml(5)): a relay's own part reads every key of its users
 * (their endpoints, relay keys, addresses, links and what they grant each
 * other), so any change of a user makes the relay DELTA_FULL; a spoke's
 * entry for its relay carries the addresses of the peers relayed with
 * it, so a listed peer relayed with the node on either side brings the
 * node's relay into its list.
 */
#include "delta/delta.h"

#include <stdlib.h>
#include <string.h>

#include "load/keys.h"

/* What a node key's change reaches besides the node's own plan. */
enum reach {
	REACH_SELF = 0,		/* the node's own plan only */
	REACH_PEERS = 1u << 0,	/* its part in every peer's plan */
	REACH_LANS_VIA = 1u << 1, /* the plans of nodes with it in lans_via */
	REACH_CLOSED = 1u << 2,	/* its part in the closed sets: only while
				 * it is unmanaged on either side */
};

/* Keys not listed reach the peers: the safe side for a key added later. */
static const struct {
	const char *key;
	unsigned reach;
} node_key_reach[] = {
	{ "listen_port", REACH_SELF },
	{ "interface", REACH_SELF },
	{ "dns", REACH_SELF },
	{ "mtu", REACH_SELF },
	{ "uplink", REACH_SELF },
	{ "keepalive", REACH_SELF },
	{ "private_key_file", REACH_SELF },
	{ "exit_node", REACH_SELF },
	{ "lans_via", REACH_SELF },
	{ "lan", REACH_LANS_VIA },
	{ "permissions", REACH_CLOSED },
	{ "managed", REACH_CLOSED },
	{ "platform", REACH_CLOSED },
};

/* Per node of one document. */
#define NODE_OWN 1u		/* its own part changed: DELTA_FULL */
#define NODE_LAN 2u		/* its lan changed */

/* A node whose part in its peers' plans may differ, by its index in each
 * document (MODEL_NONE: not there). */
struct changed_peer {
	size_t old_idx, new_idx;
};

struct delta {
	const struct model *old, *new;
	bool global;
	unsigned char *old_flags, *new_flags;
	struct changed_peer *peers;
	size_t n_peers;
};

/* ---- values ------------------------------------------------------- */

static bool str_eq(const struct m_str *a, const struct m_str *b)
{
	if (a->set != b->set)
		return false;
	return !a->set || !strcmp(a->v ? a->v : "", b->v ? b->v : "");
}

static bool uint_eq(const struct m_uint *a, const struct m_uint *b)
{
	return a->set == b->set && (!a->set || a->v == b->v);
}

static bool bool_eq(const struct m_bool *a, const struct m_bool *b)
{
	return a->set == b->set && (!a->set || a->v == b->v);
}

static bool prefix_eq(const struct m_prefix *a, const struct m_prefix *b)
{
	return a->set == b->set && (!a->set || !ip_prefix_cmp(&a->v, &b->v));
}

static bool addr_eq(const struct m_addr *a, const struct m_addr *b)
{
	return a->set == b->set && (!a->set || ip_addr_eq(&a->v, &b->v));
}

/* The plans print the key as written: the text counts too. */
static bool key_eq(const struct m_key *a, const struct m_key *b)
{
	return a->set == b->set &&
	       (!a->set || (!memcmp(a->v, b->v, sizeof(a->v)) &&
			    !strcmp(a->b64, b->b64)));
}

static bool endpoint_eq(const struct m_endpoint *a,
			const struct m_endpoint *b)
{
	return a->set == b->set && (!a->set || !strcmp(a->text, b->text));
}

static bool prefix_list_eq(const struct m_prefix_list *a,
			   const struct m_prefix_list *b)
{
	if (a->set != b->set || a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!prefix_eq(&a->items[i], &b->items[i]))
			return false;
	return true;
}

static bool name_list_eq(const struct m_name_list *a,
			 const struct m_name_list *b)
{
	if (a->set != b->set || a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!str_eq(&a->items[i], &b->items[i]))
			return false;
	return true;
}

static bool dns_list_eq(const struct m_dns_list *a,
			const struct m_dns_list *b)
{
	if (a->set != b->set || a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->items[i].v, b->items[i].v))
			return false;
	return true;
}

static bool context_eq(const struct delta *d, enum key_context ctx,
		       const void *a, const void *b);

static bool service_eq(const struct m_service *a, const struct m_service *b)
{
	return a->set == b->set && (!a->set || !svc_cmp(&a->v, &b->v));
}

/* In document order: a list's order is not its meaning, but the plans'
 * element lines follow it. */
static bool service_list_eq(const struct m_service_list *a,
			    const struct m_service_list *b)
{
	if (a->set != b->set || a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!service_eq(&a->items[i], &b->items[i]))
			return false;
	return true;
}

/* incoming or local_network: the value, and a list entry by entry. */
static bool grant_flag_eq(const struct delta *d, const struct m_grant_flag *a,
			  const struct m_grant_flag *b)
{
	if (!bool_eq(&a->b, &b->b) || a->limited != b->limited ||
	    !service_list_eq(&a->services, &b->services) ||
	    a->n_lan != b->n_lan)
		return false;
	for (size_t i = 0; i < a->n_lan; i++)
		if (!context_eq(d, KC_LAN_GRANT, &a->lan[i], &b->lan[i]))
			return false;
	return true;
}

static bool flags_eq(const struct delta *d, const struct m_flags *a,
		     const struct m_flags *b)
{
	return a->set == b->set && context_eq(d, KC_FLAGS, a, b);
}

/* OLD's entry, in its permissions p, for the node NEW's entry names:
 * entries are sorted by peer index, which the documents number apart. */
static const struct m_grant *old_grant(const struct delta *d,
				       const struct m_permissions *p,
				       const char *name)
{
	size_t idx = name ? model_node_find(d->old, name) : MODEL_NONE;
	size_t lo = 0, hi = p->n_grants;

	while (lo < hi && idx != MODEL_NONE) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->grants[mid].peer_idx == idx)
			return &p->grants[mid];
		if (p->grants[mid].peer_idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* a is OLD's, b NEW's: the same entries, by name, with the same flags. */
static bool grants_eq(const struct delta *d, const struct m_permissions *a,
		      const struct m_permissions *b)
{
	if (a->grants_set != b->grants_set || a->n_grants != b->n_grants)
		return false;
	for (size_t i = 0; i < b->n_grants; i++) {
		const struct m_grant *g = &b->grants[i];
		const struct m_grant *o = old_grant(d, a, g->peer.v);

		if (!o || !flags_eq(d, &o->flags, &g->flags))
			return false;
	}
	return true;
}

/* One key's value in two structs of its context, pa OLD's and pb NEW's.
 * No default: a value type added to keys.h must say here how it
 * compares. */
static bool value_eq(const struct delta *d, const struct key_info *k,
		     const void *pa, const void *pb)
{
	const void *a = (const char *)pa + k->offset;
	const void *b = (const char *)pb + k->offset;

	switch (k->type) {
	case KT_VERSION:
	case KT_PORT:
	case KT_KEEPALIVE:
	case KT_MTU:
		return uint_eq(a, b);
	case KT_CIDR4:
	case KT_CIDR6:
		return prefix_eq(a, b);
	case KT_IFNAME:
	case KT_NAME:
	case KT_PATH:
	case KT_TARGET:
	case KT_VERDICT:
		return str_eq(a, b);
	case KT_FLAGS:
		return flags_eq(d, a, b);
	case KT_PUBKEY:
		return key_eq(a, b);
	case KT_ADDR4:
	case KT_ADDR6:
		return addr_eq(a, b);
	case KT_ENDPOINT:
		return endpoint_eq(a, b);
	case KT_PLATFORM: {
		const struct m_platform *x = a, *y = b;

		return x->set == y->set && (!x->set || x->v == y->v);
	}
	case KT_CIDR_LIST:
		return prefix_list_eq(a, b);
	case KT_PERMISSIONS: {
		const struct m_permissions *x = a, *y = b;

		return x->set == y->set && context_eq(d, KC_PERMISSIONS, x, y);
	}
	case KT_NAME_LIST:
		return name_list_eq(a, b);
	case KT_GRANTS:
		return grants_eq(d, pa, pb);
	case KT_BOOL:
		return bool_eq(a, b);
	case KT_DNS_LIST:
		return dns_list_eq(a, b);
	case KT_GRANT_IN:
	case KT_GRANT_LAN:
		return grant_flag_eq(d, a, b);
	case KT_LAN_TO:
		return prefix_eq(a, b);
	case KT_SERVICES:
		return service_list_eq(a, b);
	case KT_SERVICE:
		return service_eq(a, b);
	case KT_MESHES:
	case KT_NODES:
	case KT_LINKS:
	case KT_TESTS:
	case KT__COUNT:
		break;
	}
	return false;	/* the document's structure: compared by delta_new */
}

static bool context_eq(const struct delta *d, enum key_context ctx,
		       const void *a, const void *b)
{
	size_t n;
	const struct key_info *keys = keys_for_context(ctx, &n);

	for (size_t i = 0; i < n; i++)
		if (!value_eq(d, &keys[i], a, b))
			return false;
	return true;
}

/* ---- the document ------------------------------------------------- */

static bool meshes_eq(const struct delta *d)
{
	const struct model *o = d->old, *n = d->new;

	if (o->n_meshes != n->n_meshes)
		return false;
	for (size_t i = 0; i < n->n_meshes; i++)
		if (!str_eq(&o->meshes[i].name, &n->meshes[i].name) ||
		    !context_eq(d, KC_MESH, &o->meshes[i], &n->meshes[i]))
			return false;
	return true;
}

static bool links_eq(const struct delta *d)
{
	const struct model *o = d->old, *n = d->new;

	if (o->n_links != n->n_links)
		return false;
	for (size_t i = 0; i < n->n_links; i++)
		if (!str_eq(&o->links[i].a, &n->links[i].a) ||
		    !str_eq(&o->links[i].b, &n->links[i].b))
			return false;
	return true;
}

static unsigned key_reach(const char *key)
{
	for (size_t i = 0; i < sizeof(node_key_reach) / sizeof(*node_key_reach);
	     i++)
		if (!strcmp(node_key_reach[i].key, key))
			return node_key_reach[i].reach;
	return REACH_PEERS;
}

static void add_changed_peer(struct delta *d, struct arena *a, size_t *cap,
			     size_t old_idx, size_t new_idx)
{
	struct changed_peer *p = arena_push(a, &d->peers, &d->n_peers, cap,
					    sizeof(*p));

	p->old_idx = old_idx;
	p->new_idx = new_idx;
}

/* Node oi of OLD against node ni of NEW: the flags of both, and whether
 * its part in its peers' plans may differ. */
static bool compare_node(struct delta *d, size_t oi, size_t ni)
{
	const struct m_node *o = &d->old->nodes[oi], *n = &d->new->nodes[ni];
	size_t nk;
	const struct key_info *keys = keys_for_context(KC_NODE, &nk);
	unsigned reach = 0;
	bool own = false;

	for (size_t k = 0; k < nk; k++) {
		if (value_eq(d, &keys[k], o, n))
			continue;
		own = true;
		reach |= key_reach(keys[k].name);
	}
	if (own) {
		d->old_flags[oi] |= NODE_OWN;
		d->new_flags[ni] |= NODE_OWN;
	}
	if (reach & REACH_LANS_VIA)
		d->new_flags[ni] |= NODE_LAN;
	if ((reach & REACH_CLOSED) &&
	    (!model_node_managed(o) || !model_node_managed(n)))
		reach |= REACH_PEERS;
	return reach & REACH_PEERS;
}

/* A node reads the lans of its lans_via nodes in its own part.  Unchanged
 * nodes name the same lans_via nodes on both sides, so NEW's lists say. */
static void mark_lans_via(struct delta *d)
{
	const struct model *m = d->new;

	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct m_name_list *l = &m->nodes[i].lans_via;

		for (size_t k = 0; k < l->count; k++)
			if (l->idx[k] != MODEL_NONE &&
			    (d->new_flags[l->idx[k]] & NODE_LAN))
				d->new_flags[i] |= NODE_OWN;
	}
}

/* A changed, added or removed user changes its relay's own part. */
static void mark_relay(const struct model *m, unsigned char *flags,
		       size_t idx)
{
	if (idx != MODEL_NONE && m->nodes[idx].relay_idx != MODEL_NONE)
		flags[m->nodes[idx].relay_idx] |= NODE_OWN;
}

/* A node that is some node's relay in one document only: its part
 * differs wholly (its users, sets, forwarding). */
static void mark_relays(struct delta *d, const bool *changed_old,
			const bool *changed_new)
{
	const struct model *o = d->old, *n = d->new;

	for (size_t i = 0; i < o->n_nodes; i++)
		if (changed_old[i])
			mark_relay(o, d->old_flags, i);
	for (size_t j = 0; j < n->n_nodes; j++)
		if (changed_new[j])
			mark_relay(n, d->new_flags, j);
	/* the flags of a relay are read by its index in either document:
	 * carry a mark to the same name on the other side */
	for (size_t j = 0; j < n->n_nodes; j++) {
		size_t i = model_node_find(o, n->nodes[j].name.v);

		if (i == MODEL_NONE)
			continue;
		if ((d->old_flags[i] | d->new_flags[j]) & NODE_OWN) {
			d->old_flags[i] |= NODE_OWN;
			d->new_flags[j] |= NODE_OWN;
		}
	}
}

static void compare_nodes(struct delta *d, struct arena *a)
{
	const struct model *o = d->old, *n = d->new;
	size_t cap = 0;
	bool *seen = arena_calloc(a, o->n_nodes + 1, sizeof(*seen));
	bool *changed_old = arena_calloc(a, o->n_nodes + 1, sizeof(bool));
	bool *changed_new = arena_calloc(a, n->n_nodes + 1, sizeof(bool));

	for (size_t j = 0; j < n->n_nodes; j++) {
		size_t i = model_node_find(o, n->nodes[j].name.v);

		if (i == MODEL_NONE) {
			d->new_flags[j] |= NODE_OWN;
			changed_new[j] = true;
			add_changed_peer(d, a, &cap, MODEL_NONE, j);
			continue;
		}
		seen[i] = true;
		if (compare_node(d, i, j))
			add_changed_peer(d, a, &cap, i, j);
		changed_old[i] = changed_new[j] =
			(d->new_flags[j] & NODE_OWN) != 0;
	}
	for (size_t i = 0; i < o->n_nodes; i++)
		if (!seen[i]) {
			d->old_flags[i] |= NODE_OWN;
			changed_old[i] = true;
			add_changed_peer(d, a, &cap, i, MODEL_NONE);
		}
	mark_relays(d, changed_old, changed_new);
	mark_lans_via(d);
}

struct delta *delta_new(struct arena *a, const struct model *old,
			const struct model *new, bool full)
{
	struct delta *d = arena_calloc(a, 1, sizeof(*d));
	size_t most = old->n_nodes > new->n_nodes ? old->n_nodes : new->n_nodes;

	d->old = old;
	d->new = new;
	d->global = full || !meshes_eq(d) || !links_eq(d);
	if (d->global)
		return d;
	d->old_flags = arena_calloc(a, old->n_nodes + 1, 1);
	d->new_flags = arena_calloc(a, new->n_nodes + 1, 1);
	compare_nodes(d, a);
	/* Past half the nodes, a list per node costs what the full compile
	 * does, plus the lists. */
	if (2 * d->n_peers > most)
		d->global = true;
	return d;
}

bool delta_is_global(const struct delta *d)
{
	return d->global;
}

/* ---- one node ----------------------------------------------------- */

static int cmp_size(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	return a < b ? -1 : a > b;
}

/* Does x grant p what makes x forward? */
static bool grants_forwarding(const struct model *m, size_t x, size_t p)
{
	struct perm_set g = model_permissions(m, x, p);

	return g.routing.v || g.local_network.v;
}

static size_t sort_unique(size_t *v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), cmp_size);
	for (size_t i = 0; i < n; i++)
		if (!out || v[out - 1] != v[i])
			v[out++] = v[i];
	return out;
}

enum delta_kind delta_node(const struct delta *d, struct arena *a,
			   size_t old_idx, size_t new_idx,
			   struct delta_peers *p)
{
	bool relayed = false;

	memset(p, 0, sizeof(*p));
	if (d->global || old_idx == MODEL_NONE || new_idx == MODEL_NONE ||
	    (d->old_flags[old_idx] & NODE_OWN) ||
	    (d->new_flags[new_idx] & NODE_OWN))
		return DELTA_FULL;
	p->old_idx = arena_calloc(a, d->n_peers + 2, sizeof(size_t));
	p->new_idx = arena_calloc(a, d->n_peers + 2, sizeof(size_t));
	for (size_t k = 0; k < d->n_peers; k++) {
		const struct changed_peer *c = &d->peers[k];
		bool in_old = c->old_idx != MODEL_NONE &&
			      model_are_peers(d->old, old_idx, c->old_idx);
		bool in_new = c->new_idx != MODEL_NONE &&
			      model_are_peers(d->new, new_idx, c->new_idx);

		if (!in_old && !in_new)
			continue;
		/* A peer on one side only: its grant is the one part of the
		 * forwarding that is not the same on both sides. */
		if (in_old != in_new &&
		    (in_old ? grants_forwarding(d->old, old_idx, c->old_idx)
			    : grants_forwarding(d->new, new_idx, c->new_idx)))
			return DELTA_FULL;
		if (c->old_idx != MODEL_NONE)
			p->old_idx[p->n_old++] = c->old_idx;
		if (c->new_idx != MODEL_NONE)
			p->new_idx[p->n_new++] = c->new_idx;
		/* its addresses ride on the node's entry for its relay */
		if ((in_old && model_relayed(d->old, old_idx, c->old_idx)) ||
		    (in_new && model_relayed(d->new, new_idx, c->new_idx)))
			relayed = true;
	}
	if (!p->n_old && !p->n_new)
		return DELTA_SAME;
	if (relayed) {
		/* the node is unchanged: its relay is the same node */
		if (d->old->nodes[old_idx].relay_idx != MODEL_NONE)
			p->old_idx[p->n_old++] =
				d->old->nodes[old_idx].relay_idx;
		if (d->new->nodes[new_idx].relay_idx != MODEL_NONE)
			p->new_idx[p->n_new++] =
				d->new->nodes[new_idx].relay_idx;
	}
	p->n_old = sort_unique(p->old_idx, p->n_old);
	p->n_new = sort_unique(p->new_idx, p->n_new);
	return DELTA_PEERS;
}
