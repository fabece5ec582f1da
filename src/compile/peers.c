/* peers.c - WireGuard peers and the routes that lead to them (spec rule 1).
 *
 * A peer's allowed IPs are its mesh addresses, plus 0.0.0.0/0 and ::/0 for
 * this node's exit node, plus the lan prefixes of peers in lans_via.
 * A peer this node reaches through its relay (a relayed pair) has no
 * entry: its mesh addresses are on the relay's.
 * Routes send exactly those destinations into the mesh interface.
 */
#include "compile/internal.h"

#include <string.h>

/* Allowed IPs are filled into an array of exactly allowed_count(): at
 * 10,000 peers, arrays grown by doubling from 8 were a quarter of the
 * plan's memory. */
static void add_allowed(struct plan_peer *peer, const struct ip_prefix *pfx,
			enum plan_allowed_why why, struct loc loc)
{
	struct plan_allowed_ip *ip = &peer->allowed_ips[peer->n_allowed_ips++];

	ip->prefix = *pfx;
	ip->why = why;
	ip->loc = loc;
}

static struct ip_prefix default_prefix(uint8_t family)
{
	struct ip_prefix p;

	memset(&p, 0, sizeof(p));
	p.addr.family = family;
	return p;
}

/* Keepalive: the node's own setting for every peer when given; otherwise
 * 25 s toward peers with an endpoint when this node has none (it is the
 * one behind NAT that must keep the mapping open), else off. */
static uint16_t peer_keepalive(const struct compile_ctx *c,
			       const struct m_node *peer)
{
	if (c->node->keepalive.set)
		return (uint16_t)c->node->keepalive.v;
	if (peer->endpoint.set && !c->node->endpoint.set)
		return MESHC_DEFAULT_KEEPALIVE;
	return 0;
}

/* A pair of one mesh shares the key derived from the mesh's secret; a
 * linked pair (two meshes, two secrets) has none. */
static void peer_preshared_key(const struct compile_ctx *c,
			       const struct m_node *pn, struct plan_peer *peer)
{
	const struct m_mesh *mesh = &c->m->meshes[c->node->mesh_idx];

	if (pn->mesh_idx != c->node->mesh_idx ||
	    !mesh->preshared_key_file.set)
		return;
	peer->preshared_key_file = mesh->preshared_key_file.v;
	peer->preshared_key_loc = mesh->preshared_key_file.loc;
}

static size_t mesh_address_count(const struct m_node *n)
{
	return (size_t)n->address.set + n->address6.set;
}

/* The mesh addresses of the peers this node reaches through its relay:
 * taken from the relay's users, not from c->peers, so that the relay's
 * entry is whole also in a plan of some peers (compile_node_peers). */
static size_t relayed_count(const struct compile_ctx *c)
{
	const struct m_node *r = &c->m->nodes[c->node->relay_idx];
	size_t n = 0;

	for (size_t i = 0; i < r->n_relay_users; i++)
		if (model_relayed(c->m, c->self, r->relay_users[i]))
			n += mesh_address_count(
				&c->m->nodes[r->relay_users[i]]);
	return n;
}

static size_t allowed_count(const struct compile_ctx *c, size_t j,
			    const bool *via)
{
	const struct m_node *pn = &c->m->nodes[j];

	return mesh_address_count(pn) + (j == c->node->exit_idx ? 2 : 0) +
	       (via[j] ? pn->lan.count : 0) +
	       (j == c->node->relay_idx ? relayed_count(c) : 0);
}

static void add_host_allowed(struct plan_peer *peer, const struct m_addr *a,
			     enum plan_allowed_why why)
{
	struct ip_prefix h;

	if (!a->set)
		return;
	h = ip_host_prefix(&a->v);
	add_allowed(peer, &h, why, a->loc);
}

/* The relay carries the relayed peers' mesh addresses (their tunnel
 * goes through it); the loc is each peer's address. */
static void add_relayed(const struct compile_ctx *c, struct plan_peer *peer)
{
	const struct m_node *r = &c->m->nodes[c->node->relay_idx];

	for (size_t i = 0; i < r->n_relay_users; i++) {
		const struct m_node *pn = &c->m->nodes[r->relay_users[i]];

		if (!model_relayed(c->m, c->self, r->relay_users[i]))
			continue;
		add_host_allowed(peer, &pn->address, ALLOWED_RELAYED);
		add_host_allowed(peer, &pn->address6, ALLOWED_RELAYED);
	}
}

static void compile_peer(struct compile_ctx *c, size_t j, const bool *via)
{
	const struct m_node *pn = &c->m->nodes[j];
	struct plan_peer *peer;

	peer = arena_push(c->arena, &c->plan->peers, &c->plan->n_peers,
			  &c->cap_peers, sizeof(*peer));
	peer->name = pn->name.v;
	memcpy(peer->public_key, pn->public_key.b64, WG_KEY_B64_LEN);
	peer->public_key[WG_KEY_B64_LEN] = '\0';
	peer->endpoint = pn->endpoint.set ? pn->endpoint.text : NULL;
	peer->keepalive = peer_keepalive(c, pn);
	peer_preshared_key(c, pn, peer);
	peer->loc = pn->loc;
	peer->allowed_ips = arena_calloc(c->arena, allowed_count(c, j, via),
					 sizeof(*peer->allowed_ips));
	add_host_allowed(peer, &pn->address, ALLOWED_MESH_ADDRESS);
	add_host_allowed(peer, &pn->address6, ALLOWED_MESH_ADDRESS);
	if (j == c->node->relay_idx)
		add_relayed(c, peer);
	if (j == c->node->exit_idx) {
		struct ip_prefix d4 = default_prefix(IP_V4);
		struct ip_prefix d6 = default_prefix(IP_V6);

		add_allowed(peer, &d4, ALLOWED_EXIT_NODE,
			    c->node->exit_node.loc);
		add_allowed(peer, &d6, ALLOWED_EXIT_NODE,
			    c->node->exit_node.loc);
	}
	if (via[j])
		for (size_t k = 0; k < pn->lan.count; k++)
			add_allowed(peer, &pn->lan.items[k].v,
				    ALLOWED_LANS_VIA, pn->lan.items[k].loc);
}

/* The plan's peer order (plan_sort's): name, then public key. */
static int peer_name_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct compile_ctx *c = ctx;
	const struct m_node *a = &c->m->nodes[c->peers[*(const size_t *)pa]];
	const struct m_node *b = &c->m->nodes[c->peers[*(const size_t *)pb]];
	int r = strcmp(a->name.v, b->name.v);

	return r ? r : strcmp(a->public_key.b64, b->public_key.b64);
}

void compile_peers(struct compile_ctx *c)
{
	bool *via = arena_calloc(c->arena, c->m->n_nodes, sizeof(*via));
	size_t *order = compile_peer_order(c, peer_name_cmp);

	/* A lookup table keeps this linear in the number of peers even when
	 * lans_via is long. */
	for (size_t i = 0; i < c->node->lans_via.count; i++)
		if (c->node->lans_via.idx[i] != MODEL_NONE)
			via[c->node->lans_via.idx[i]] = true;
	c->plan->peers = arena_calloc(c->arena, c->n_peers + 1,
				      sizeof(*c->plan->peers));
	c->cap_peers = c->n_peers + 1;
	/* A relayed peer is reached through the relay: no entry of its
	 * own (the tunnel could not form), its addresses on the relay's. */
	for (size_t i = 0; i < c->n_peers; i++)
		if (!c->relayed[order[i]])
			compile_peer(c, c->peers[order[i]], via);
}

static void add_route(struct compile_ctx *c, const struct ip_prefix *dst,
		      uint32_t table, const char *why, struct loc loc)
{
	struct plan_route *r = arena_push(c->arena, &c->plan->routes,
					  &c->plan->n_routes, &c->cap_routes,
					  sizeof(*r));

	r->dst = *dst;
	r->table = table;
	r->dev = c->plan->iface.name;
	r->why = why;
	r->loc = loc;
}

static void add_rule(struct compile_ctx *c, uint8_t family, uint32_t prio,
		     bool suppress, struct loc loc)
{
	struct plan_rule *r = arena_push(c->arena, &c->plan->rules,
					 &c->plan->n_rules, &c->cap_rules,
					 sizeof(*r));
	uint32_t mark = c->plan->iface.policy_mark;

	r->family = family;
	r->priority = prio;
	r->loc = loc;
	/* Only what WireGuard itself does not send; both rules carry the
	 * interface's mark so they are told from another interface's. */
	r->fwmark = mark;
	r->invert = true;
	if (suppress) {
		/* main table first, but never its default route */
		r->table = MESHC_MAIN_TABLE;
		r->suppress_prefixlen = 0;
	} else {
		/* everything else -> this interface's exit table */
		r->table = mark;
		r->suppress_prefixlen = -1;
	}
}

/* Mesh networks that hold a peer, in mesh order: the node's own when it
 * has another member, and its link partners'.  Read from the model, not
 * from c->peers, so a plan of some peers (compile_node_peers) has the
 * routes of the whole. */
static void compile_mesh_routes(struct compile_ctx *c)
{
	const struct model *m = c->m;
	bool *used = arena_calloc(c->arena, m->n_meshes, sizeof(*used));

	used[c->node->mesh_idx] = m->meshes[c->node->mesh_idx].n_members > 1;
	for (size_t i = 0; i < c->node->n_linked; i++)
		used[m->nodes[c->node->linked[i]].mesh_idx] = true;
	for (size_t i = 0; i < m->n_meshes; i++) {
		const struct m_mesh *mesh = &m->meshes[i];
		const char *why;

		if (!used[i])
			continue;
		why = arena_printf(c->arena, "mesh %s", mesh->name.v);
		add_route(c, &mesh->network.v, MESHC_MAIN_TABLE, why,
			  mesh->network.loc);
		/* Without an IPv6 address of its own the node has no source
		 * for IPv6 mesh traffic. */
		if (mesh->network6.set && c->node->address6.set)
			add_route(c, &mesh->network6.v, MESHC_MAIN_TABLE, why,
				  mesh->network6.loc);
	}
}

static void compile_lans_via_routes(struct compile_ctx *c)
{
	const struct m_node *n = c->node;

	for (size_t i = 0; i < n->lans_via.count; i++) {
		const struct m_node *t = &c->m->nodes[n->lans_via.idx[i]];
		const char *why = arena_printf(c->arena, "lan of %s (lans_via)",
					       t->name.v);

		for (size_t k = 0; k < t->lan.count; k++)
			add_route(c, &t->lan.items[k].v, MESHC_MAIN_TABLE, why,
				  t->lan.items[k].loc);
	}
}

/* Full tunnel as wg-quick does it: defaults in a table of their own, used
 * by everything without WireGuard's fwmark, after the main table has had
 * its say for everything but its default route.  IPv6 goes through the
 * exit node too even without an IPv6 mesh address, so it cannot leak. */
static void compile_exit_routes(struct compile_ctx *c)
{
	const struct m_node *n = c->node;
	struct ip_prefix d4 = default_prefix(IP_V4), d6 = default_prefix(IP_V6);
	const char *why;

	if (n->exit_idx == MODEL_NONE)
		return;
	why = arena_printf(c->arena, "exit node %s",
			   c->m->nodes[n->exit_idx].name.v);
	add_route(c, &d4, c->plan->iface.policy_mark, why, n->exit_node.loc);
	add_route(c, &d6, c->plan->iface.policy_mark, why, n->exit_node.loc);
	add_rule(c, IP_V4, MESHC_RULE_PRIO_SUPPRESS, true, n->exit_node.loc);
	add_rule(c, IP_V4, MESHC_RULE_PRIO_TABLE, false, n->exit_node.loc);
	add_rule(c, IP_V6, MESHC_RULE_PRIO_SUPPRESS, true, n->exit_node.loc);
	add_rule(c, IP_V6, MESHC_RULE_PRIO_TABLE, false, n->exit_node.loc);
}

void compile_routes(struct compile_ctx *c)
{
	compile_mesh_routes(c);
	compile_lans_via_routes(c);
	compile_exit_routes(c);
}
