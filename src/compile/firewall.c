/* firewall.c - spec rules 2-7 as data.
 *
 * Per-peer policy lives in sets (incoming, routing, lan_access), so the
 * number of rules does not depend on the number of peers.  The rules only
 * ever see packets that enter or leave the mesh interface: the base chains
 * dispatch on the interface and otherwise fall through to policy accept,
 * so traffic that does not touch the mesh keeps its verdict (rule 7).
 *
 * The order in from_mesh is the security argument, top to bottom:
 *   0. on a relay only: mesh to mesh, exactly the relayed pairs whose
 *      destination grants the source incoming, and replies (the one
 *      exception to rules 2 and 5, meshc.yaml(5) Relays; the relay sets hold
 *      nothing else, so no other peer passes);
 *   1. a mesh destination is dropped before any grant is looked at
 *      (rule 2: no bridge between peers, whatever the flags);
 *   2. nothing goes back into the mesh (rule 5);
 *   3. the lan only with local_network, other private ranges never
 *      (rule 3);
 *   4. the rest only with routing (rule 4), else drop.
 */
#include "compile/internal.h"

#include <stdlib.h>
#include <string.h>

void compile_fw_elem(struct compile_ctx *c, enum fw_set_id id,
		     const struct ip_prefix *pfx, const char *why,
		     struct loc loc)
{
	int f = pfx->addr.family == IP_V6;
	struct fw_set *s = &c->plan->fw.sets[id][f];
	struct fw_elem *e = arena_push(c->arena, &s->elems, &s->n_elems,
				       &c->cap_elems[id][f], sizeof(*e));

	e->prefix = *pfx;
	e->why = why;
	e->loc = loc;
}

static void add_host_elem(struct compile_ctx *c, enum fw_set_id id,
			  const struct m_addr *a, const char *why,
			  struct loc loc)
{
	struct ip_prefix h;

	if (!a->set)
		return;
	h = ip_host_prefix(&a->v);
	compile_fw_elem(c, id, &h, why, loc);
}

/* The per-peer sets: which flags a peer holds. */
static const struct {
	enum fw_set_id id;
	size_t off;
} grant_sets[] = {
	{ FW_SET_INCOMING, offsetof(struct perm_set, incoming) },
	{ FW_SET_ROUTING, offsetof(struct perm_set, routing) },
	{ FW_SET_LAN_ACCESS, offsetof(struct perm_set, local_network) },
};

static const struct perm_value *grant_value(const struct perm_set *g,
					    size_t k)
{
	return (const void *)((const char *)g + grant_sets[k].off);
}

/* Room for n more elements in one allocation (these sets hold one
 * element per peer: growing them by doubling wasted half the memory of
 * a 10,000-peer plan). */
static void reserve_elems(struct compile_ctx *c, enum fw_set_id id, int f,
			  size_t n)
{
	struct fw_set *s = &c->plan->fw.sets[id][f];
	size_t *cap = &c->cap_elems[id][f];

	if (*cap - s->n_elems >= n)
		return;
	s->elems = arena_grow(c->arena, s->elems, s->n_elems * sizeof(*s->elems),
			      (s->n_elems + n) * sizeof(*s->elems));
	*cap = s->n_elems + n;
}

static int addr_order(const struct compile_ctx *c, size_t pa, size_t pb,
		      bool six)
{
	const struct m_node *a = &c->m->nodes[c->peers[pa]];
	const struct m_node *b = &c->m->nodes[c->peers[pb]];
	const struct m_addr *x = six ? &a->address6 : &a->address;
	const struct m_addr *y = six ? &b->address6 : &b->address;

	if (x->set != y->set)
		return x->set ? 1 : -1;
	return x->set ? ip_addr_cmp(&x->v, &y->v) : 0;
}

static int addr4_cmp(const void *pa, const void *pb, void *ctx)
{
	return addr_order(ctx, *(const size_t *)pa, *(const size_t *)pb,
			  false);
}

static int addr6_cmp(const void *pa, const void *pb, void *ctx)
{
	return addr_order(ctx, *(const size_t *)pa, *(const size_t *)pb, true);
}

/* One element per peer address and granted flag; the element's loc is
 * the line that decided the grant.  Peers are taken in address order,
 * per family, so the sets come out sorted. */
static void compile_grant_sets(struct compile_ctx *c)
{
	const struct model *m = c->m;
	size_t count[FW_SET_COUNT] = { 0 };
	const size_t nk = sizeof(grant_sets) / sizeof(*grant_sets);

	for (size_t i = 0; i < c->n_peers; i++)
		for (size_t k = 0; k < nk; k++)
			count[grant_sets[k].id] +=
				grant_value(&c->grants[i], k)->v &&
				!grant_value(&c->grants[i], k)->limited;
	for (size_t k = 0; k < nk; k++) {
		reserve_elems(c, grant_sets[k].id, 0, count[grant_sets[k].id]);
		reserve_elems(c, grant_sets[k].id, 1, count[grant_sets[k].id]);
	}
	for (int six = 0; six < 2; six++) {
		size_t *order = compile_peer_order(c, six ? addr6_cmp
							  : addr4_cmp);

		for (size_t o = 0; o < c->n_peers; o++) {
			size_t i = order[o];
			const struct m_node *pn = &m->nodes[c->peers[i]];
			const struct m_addr *a = six ? &pn->address6
						     : &pn->address;

			for (size_t k = 0; k < nk; k++) {
				const struct perm_value *v =
					grant_value(&c->grants[i], k);

				/* A list is no full grant: its services
				 * go to the service sets instead. */
				if (v->v && !v->limited)
					add_host_elem(c, grant_sets[k].id, a,
						      pn->name.v, v->loc);
			}
		}
	}
}

/* ---- limited grants -------------------------------------------------- */

/* One element of a service set: address a (and dst) with service svc;
 * icmp goes to the set without service (icmp_id). */
static void add_svc_elem(struct compile_ctx *c, enum fw_set_id svc_id,
			 enum fw_set_id icmp_id, const struct m_addr *a,
			 const struct ip_prefix *dst,
			 const struct fw_service *svc, const char *why,
			 struct loc loc)
{
	enum fw_set_id id = svc->proto == SVC_ICMP ? icmp_id : svc_id;
	int f = a->v.family == IP_V6;
	struct fw_set *s = &c->plan->fw.sets[id][f];
	struct fw_elem *e;

	if (!a->set || (dst && dst->addr.family != a->v.family))
		return;
	e = arena_push(c->arena, &s->elems, &s->n_elems, &c->cap_elems[id][f],
		       sizeof(*e));
	e->prefix = ip_host_prefix(&a->v);
	e->why = why;
	e->loc = loc;
	if (dst)
		e->dst = *dst;
	if (fw_set_key(id) & FW_KEY_SVC)
		e->svc = *svc;
}

static void add_svc_list(struct compile_ctx *c, enum fw_set_id svc_id,
			 enum fw_set_id icmp_id, const struct m_node *pn,
			 const struct m_service_list *l)
{
	for (size_t k = 0; k < l->count; k++) {
		add_svc_elem(c, svc_id, icmp_id, &pn->address, NULL,
			     &l->items[k].v, pn->name.v, l->items[k].loc);
		add_svc_elem(c, svc_id, icmp_id, &pn->address6, NULL,
			     &l->items[k].v, pn->name.v, l->items[k].loc);
	}
}

/* One {to, ports} entry for peer pn: every `to` (default: each lan
 * prefix) with every port (default: every service). */
static void add_lan_entry(struct compile_ctx *c, const struct m_node *pn,
			  const struct m_lan_grant *g)
{
	static const struct fw_service any = { SVC_ANY, 0, 65535 };
	const struct m_node *n = c->node;
	size_t n_to = g->to.set ? 1 : n->lan.count;
	size_t n_svc = g->ports.set ? g->ports.count : 1;

	for (size_t t = 0; t < n_to; t++) {
		const struct m_prefix *to = g->to.set ? &g->to
						      : &n->lan.items[t];

		for (size_t k = 0; k < n_svc; k++) {
			const struct fw_service *svc =
				g->ports.set ? &g->ports.items[k].v : &any;
			struct loc loc = g->ports.set ? g->ports.items[k].loc
						      : g->loc;
			const struct m_addr *a = to->v.addr.family == IP_V6
							 ? &pn->address6
							 : &pn->address;

			add_svc_elem(c, FW_SET_LAN_SVC, FW_SET_LAN_ICMP, a,
				     &to->v, svc, pn->name.v, loc);
		}
	}
}

/* Peers this node grants a list: their services into the service sets,
 * one element per peer address, service and destination. */
static void compile_service_sets(struct compile_ctx *c)
{
	const struct model *m = c->m;

	for (size_t i = 0; i < c->n_peers; i++) {
		const struct m_node *pn = &m->nodes[c->peers[i]];
		const struct perm_value *in = &c->grants[i].incoming;
		const struct perm_value *lan = &c->grants[i].local_network;

		if (in->v && in->limited) {
			c->plan->fw.services = true;
			add_svc_list(c, FW_SET_INCOMING_SVC,
				     FW_SET_INCOMING_ICMP, pn,
				     &in->grant->services);
		}
		if (lan->v && lan->limited) {
			c->plan->fw.services = true;
			for (size_t k = 0; k < lan->grant->n_lan; k++)
				add_lan_entry(c, pn, &lan->grant->lan[k]);
		}
	}
}

/* Does a cover b: same source, a's destination holds b's, a's service
 * holds b's? */
static bool elem_covers(const struct fw_elem *a, const struct fw_elem *b,
			bool dst)
{
	if (ip_prefix_cmp(&a->prefix, &b->prefix) ||
	    (dst && !ip_prefix_covers(&a->dst, &b->dst)))
		return false;
	if (a->svc.proto == SVC_ANY)
		return true;
	return a->svc.proto == b->svc.proto &&
	       a->svc.port_lo <= b->svc.port_lo &&
	       a->svc.port_hi >= b->svc.port_hi;
}

/* ---- one peer's lan pairs, made disjoint -------------------------------- */

/* The prefixes that tile p except q (q strictly inside p): the siblings
 * of q's ancestors below p.  Returns how many (at most q->len - p->len). */
static size_t prefix_minus(const struct ip_prefix *p, const struct ip_prefix *q,
			   struct ip_prefix *out)
{
	size_t n = 0;

	for (unsigned l = p->len; l < q->len; l++) {
		struct ip_prefix sib = { .addr = q->addr, .len = (uint8_t)(l + 1) };

		sib.addr.b[l / 8] ^= (uint8_t)(0x80 >> (l % 8));
		out[n++] = ip_prefix_network(&sib);
	}
	return n;
}

static bool strictly_inside(const struct ip_prefix *q, const struct ip_prefix *p)
{
	return q->len > p->len && ip_prefix_covers(p, q);
}

/* x without every other destination strictly inside it: the part of x
 * that x's own services alone decide.  Arena array, *n its length. */
static struct ip_prefix *dst_atoms(struct arena *a, const struct ip_prefix *x,
				   const struct ip_prefix *dsts, size_t n_dsts,
				   size_t *n)
{
	size_t cap = 1, len = 1;
	struct ip_prefix *v = arena_calloc(a, cap, sizeof(*v));

	v[0] = *x;
	for (size_t k = 0; k < n_dsts; k++) {
		const struct ip_prefix *q = &dsts[k];

		if (!strictly_inside(q, x))
			continue;
		for (size_t i = 0; i < len; i++) {
			struct ip_prefix pieces[129];
			size_t np;

			if (!ip_prefix_covers(&v[i], q))
				continue;
			np = ip_prefix_cmp(&v[i], q)
				     ? prefix_minus(&v[i], q, pieces)
				     : 0;
			v = arena_grow(a, v, cap * sizeof(*v),
				       (len + np) * sizeof(*v));
			cap = len + np;
			v[i] = v[--len];	/* the atom that held q goes */
			memcpy(&v[len], pieces, np * sizeof(*v));
			len += np;
			break;	/* atoms are disjoint: one held q */
		}
	}
	*n = len;
	return v;
}

/* One peer's pairs (s->elems[lo..hi), sorted) whose destinations nest: a
 * host inside a granted network.  The kernel refuses an element whose
 * ends lie inside another, so every destination is cut into pieces no
 * other destination overlaps (its atoms), and each piece gets the
 * services of every destination that holds it.  The packets accepted
 * are the same; the merge below then joins one piece's services. */
static void split_nested(struct compile_ctx *c, struct fw_set *out,
			 size_t *cap, const struct fw_elem *g, size_t n)
{
	struct ip_prefix *dsts = arena_calloc(c->arena, n, sizeof(*dsts));
	size_t n_dsts = 0;

	for (size_t i = 0; i < n; i++)
		if (!n_dsts || ip_prefix_cmp(&dsts[n_dsts - 1], &g[i].dst))
			dsts[n_dsts++] = g[i].dst;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < n_dsts; k++) {
			struct ip_prefix *atoms;
			size_t n_atoms;

			if (!ip_prefix_covers(&g[i].dst, &dsts[k]))
				continue;
			atoms = dst_atoms(c->arena, &dsts[k], dsts, n_dsts,
					  &n_atoms);
			for (size_t t = 0; t < n_atoms; t++) {
				struct fw_elem *e = arena_push(
					c->arena, &out->elems, &out->n_elems,
					cap, sizeof(*e));

				*e = g[i];
				e->dst = atoms[t];
			}
		}
}

/* The pair sets with every peer's destinations disjoint (split_nested). */
static void disjoint_pairs(struct compile_ctx *c, struct fw_set *s)
{
	struct fw_set out = *s;
	size_t cap = 0;

	if (s->n_elems < 2)
		return;
	qsort(s->elems, s->n_elems, sizeof(*s->elems), fw_elem_cmp);
	out.elems = NULL;
	out.n_elems = 0;
	for (size_t lo = 0, hi; lo < s->n_elems; lo = hi) {
		for (hi = lo + 1; hi < s->n_elems &&
				  !ip_prefix_cmp(&s->elems[hi].prefix,
						 &s->elems[lo].prefix);
		     hi++)
			;
		split_nested(c, &out, &cap, &s->elems[lo], hi - lo);
	}
	*s = out;
}

/* The kernel refuses an element of a concatenated interval set that
 * overlaps another at its ends (tcp and tcp/22 for one peer, a host
 * inside a granted network): sorted, one peer's elements are adjacent,
 * so adjacent or overlapping port ranges of one protocol are merged and
 * an element another covers is dropped.  The plan then holds exactly
 * what the kernel holds, and a read-back compares equal. */
static void normalize_svc_set(struct fw_set *s, unsigned key)
{
	size_t n = 0;

	if (s->n_elems < 2)
		return;
	qsort(s->elems, s->n_elems, sizeof(*s->elems), fw_elem_cmp);
	for (size_t i = 0; i < s->n_elems; i++) {
		struct fw_elem *e = &s->elems[i];
		bool drop = false;

		for (size_t k = n; k-- > 0 && !drop;) {
			struct fw_elem *o = &s->elems[k];

			if (ip_prefix_cmp(&o->prefix, &e->prefix))
				break;	/* another peer: no more overlaps */
			if (elem_covers(o, e, key & FW_KEY_DST)) {
				drop = true;
			} else if ((key & FW_KEY_SVC) &&
				   !ip_prefix_cmp(&o->dst, &e->dst) &&
				   o->svc.proto == e->svc.proto &&
				   (uint32_t)o->svc.port_hi + 1 >=
					   e->svc.port_lo) {
				if (e->svc.port_hi > o->svc.port_hi)
					o->svc.port_hi = e->svc.port_hi;
				drop = true;
			}
		}
		if (!drop)
			s->elems[n++] = *e;
	}
	s->n_elems = n;
}

/* An unmanaged peer has no firewall of meshc's: where it does not grant
 * this node incoming, this node keeps its own packets from opening
 * connections to it (the output chain).  Where it grants a list, the
 * peer is closed but for the list's services (the open sets, matched
 * first).  The element's loc is the line of the peer's document that
 * decided it. */
static void compile_closed_set(struct compile_ctx *c)
{
	const struct model *m = c->m;

	for (size_t i = 0; i < c->n_peers; i++) {
		const struct m_node *pn = &m->nodes[c->peers[i]];
		struct perm_set theirs;
		struct loc why;

		if (model_node_managed(pn))
			continue;
		theirs = model_permissions(m, c->peers[i], c->self);
		if (theirs.incoming.v && !theirs.incoming.limited)
			continue;
		why = loc_known(theirs.incoming.loc) ? theirs.incoming.loc
						     : pn->loc;
		add_host_elem(c, FW_SET_CLOSED, &pn->address, pn->name.v, why);
		add_host_elem(c, FW_SET_CLOSED, &pn->address6, pn->name.v, why);
		if (!theirs.incoming.v)
			continue;
		c->plan->fw.services = true;
		add_svc_list(c, FW_SET_OPEN_SVC, FW_SET_OPEN_ICMP, pn,
			     &theirs.incoming.grant->services);
	}
}

static void add_pair_elem(struct compile_ctx *c, const struct m_addr *src,
			  const struct m_addr *dst, const char *why,
			  struct loc loc)
{
	struct fw_elem *e;
	struct fw_set *s;
	int f;

	if (!src->set || !dst->set)
		return;
	f = src->v.family == IP_V6;
	s = &c->plan->fw.sets[FW_SET_RELAY][f];
	e = arena_push(c->arena, &s->elems, &s->n_elems,
		       &c->cap_elems[FW_SET_RELAY][f], sizeof(*e));
	e->prefix = ip_host_prefix(&src->v);
	e->dst = ip_host_prefix(&dst->v);
	e->why = why;
	e->loc = loc;
}

/* x -> y with each service of y's list for x: relay_svc (or relay_icmp
 * for icmp), each element at the line of its service. */
static void add_relayed_services(struct compile_ctx *c, const struct m_addr *x,
				 const struct m_addr *y,
				 const struct m_service_list *l,
				 const char *why)
{
	struct ip_prefix dst;

	if (!x->set || !y->set)
		return;
	dst = ip_host_prefix(&y->v);
	for (size_t k = 0; k < l->count; k++)
		add_svc_elem(c, FW_SET_RELAY_SVC, FW_SET_RELAY_ICMP, x, &dst,
			     &l->items[k].v, why, l->items[k].loc);
}

/* One direction of a relayed pair: x -> y when y grants x incoming.  An
 * unmanaged y has no firewall of its own, so this is where its grant is
 * enforced.  The element's loc is the line that decided the grant.  A
 * grant that is a list is no pair's: the relay forwards only its
 * services (and the service sets exist on the relay for it). */
static void add_relayed_direction(struct compile_ctx *c, size_t x, size_t y)
{
	const struct model *m = c->m;
	const struct m_node *xn = &m->nodes[x], *yn = &m->nodes[y];
	struct perm_set g = model_permissions(m, y, x);
	const char *why;
	struct loc loc;

	if (!g.incoming.v)
		return;
	why = arena_printf(c->arena, "%s -> %s", xn->name.v, yn->name.v);
	if (g.incoming.limited) {
		const struct m_service_list *l = &g.incoming.grant->services;

		c->plan->fw.services = true;
		add_relayed_services(c, &xn->address, &yn->address, l, why);
		add_relayed_services(c, &xn->address6, &yn->address6, l, why);
		return;
	}
	loc = loc_known(g.incoming.loc) ? g.incoming.loc : yn->loc;
	add_pair_elem(c, &xn->address, &yn->address, why, loc);
	add_pair_elem(c, &xn->address6, &yn->address6, why, loc);
}

/* incoming for peers without an entry: node default, else mesh
 * defaults, else the built-in true; *loc where it is written.  A list
 * is not all of incoming: false. */
static bool default_incoming(const struct model *m, const struct m_node *n,
			     struct loc *loc)
{
	const struct m_flags *md = &m->meshes[n->mesh_idx].defaults;

	if (n->permissions.def.incoming.b.set) {
		*loc = n->permissions.def.incoming.b.loc;
		return n->permissions.def.incoming.b.v &&
		       !n->permissions.def.incoming.limited;
	}
	if (md->incoming.b.set) {
		*loc = md->incoming.b.loc;
		return md->incoming.b.v && !md->incoming.limited;
	}
	*loc = n->loc;
	return true;
}

static bool relay_user(const struct compile_ctx *c, size_t u)
{
	return c->m->nodes[u].relay_idx == c->self &&
	       !c->m->nodes[u].endpoint.set;
}

/* Does user y grant incoming to every user it is relayed with, and is it
 * relayed with every user (a peer of each: same mesh, or linked)?  Then
 * any user may reach it, and one element stands for all its pairs.  The
 * cost is y's grants and links, not the number of users. */
static bool relay_open(const struct compile_ctx *c, size_t y,
		       const size_t *per_mesh, size_t users, struct loc *loc)
{
	const struct model *m = c->m;
	const struct m_node *yn = &m->nodes[y];
	const struct m_permissions *p = &yn->permissions;
	size_t peers = per_mesh[yn->mesh_idx] - 1;

	for (size_t k = 0; k < yn->n_linked; k++)
		peers += relay_user(c, yn->linked[k]);
	if (peers != users - 1 || !default_incoming(m, yn, loc))
		return false;
	for (size_t k = 0; p->grants && k < p->n_grants; k++) {
		size_t x = p->grants[k].peer_idx;
		struct perm_value in;

		if (x == MODEL_NONE || !model_relayed(m, y, x))
			continue;
		in = model_permissions(m, y, x).incoming;
		if (!in.v || in.limited)	/* a list: relay_svc */
			return false;
	}
	return true;
}

static struct loc user_relay_loc(const struct model *m, const struct m_node *u)
{
	return u->relay.set ? u->relay.loc : m->meshes[u->mesh_idx].relay.loc;
}

/* The relayed pairs among this node's users (model_relayed decides
 * which pairs are relayed, for every stage alike): every user without
 * an endpoint in relay_users; a user that lets all of them in, in
 * relay_open; the granted pairs to each other user, in relay4/6. */
static void compile_relay_set(struct compile_ctx *c)
{
	const struct model *m = c->m;
	const struct m_node *n = c->node;
	size_t *per_mesh = arena_calloc(c->arena, m->n_meshes + 1,
					sizeof(*per_mesh));
	size_t users = 0;

	for (size_t i = 0; i < n->n_relay_users; i++)
		if (relay_user(c, n->relay_users[i])) {
			per_mesh[m->nodes[n->relay_users[i]].mesh_idx]++;
			users++;
		}
	for (size_t i = 0; i < n->n_relay_users; i++) {
		size_t y = n->relay_users[i];
		const struct m_node *yn = &m->nodes[y];
		struct loc loc;

		if (!relay_user(c, y))
			continue;
		add_host_elem(c, FW_SET_RELAY_USERS, &yn->address, yn->name.v,
			      user_relay_loc(m, yn));
		add_host_elem(c, FW_SET_RELAY_USERS, &yn->address6,
			      yn->name.v, user_relay_loc(m, yn));
		if (relay_open(c, y, per_mesh, users, &loc)) {
			add_host_elem(c, FW_SET_RELAY_OPEN, &yn->address,
				      yn->name.v, loc);
			add_host_elem(c, FW_SET_RELAY_OPEN, &yn->address6,
				      yn->name.v, loc);
			continue;
		}
		for (size_t j = 0; j < n->n_relay_users; j++) {
			size_t x = n->relay_users[j];

			if (x != y && model_relayed(m, x, y))
				add_relayed_direction(c, x, y);
		}
	}
}

/* A named uplink is the way out, known now; without one, apply puts the
 * default routes' interfaces there (and the local set is always read
 * live: compile cannot know the node's other interfaces). */
static void compile_uplink_set(struct compile_ctx *c)
{
	const struct m_node *n = c->node;
	struct fw_set *s = &c->plan->fw.sets[FW_SET_UPLINK][0];
	struct fw_elem *e;

	c->plan->fw.live_pending = true;
	if (!n->uplink.set)
		return;
	e = arena_push(c->arena, &s->elems, &s->n_elems,
		       &c->cap_elems[FW_SET_UPLINK][0], sizeof(*e));
	e->ifname = n->uplink.v;
	e->why = "uplink";
	e->loc = n->uplink.loc;
}

static void compile_sets(struct compile_ctx *c)
{
	const struct model *m = c->m;
	const struct m_node *n = c->node;

	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < 2; f++) {
			c->plan->fw.sets[id][f].family = fw_set_family(id, f);
			c->plan->fw.sets[id][f].name =
				fw_set_name(id, fw_set_family(id, f));
		}
	for (size_t i = 0; i < m->n_meshes; i++) {
		const struct m_mesh *mesh = &m->meshes[i];
		const char *why = arena_printf(c->arena, "mesh %s",
					       mesh->name.v);

		compile_fw_elem(c, FW_SET_MESH, &mesh->network.v, why,
			 mesh->network.loc);
		if (mesh->network6.set)
			compile_fw_elem(c, FW_SET_MESH, &mesh->network6.v, why,
				 mesh->network6.loc);
	}
	add_host_elem(c, FW_SET_SELF, &n->address, n->name.v, n->address.loc);
	add_host_elem(c, FW_SET_SELF, &n->address6, n->name.v,
		      n->address6.loc);
	for (size_t i = 0; i < n->lan.count; i++)
		compile_fw_elem(c, FW_SET_LAN, &n->lan.items[i].v, "lan",
			 n->lan.items[i].loc);
	/* The same in every plan: a plan of some peers, only ever compared
	 * with another (compile_node_peers), is spared its 100 prefixes. */
	if (!c->only)
		compile_private_set(c);
	compile_grant_sets(c);
	compile_service_sets(c);
	compile_closed_set(c);
	compile_relay_set(c);
	for (int f = 0; f < 2; f++)
		disjoint_pairs(c, &c->plan->fw.sets[FW_SET_LAN_SVC][f]);
	for (int id = FW_SET_INCOMING_SVC; id <= FW_SET_RELAY_ICMP; id++)
		for (int f = 0; f < 2; f++)
			normalize_svc_set(&c->plan->fw.sets[id][f],
					  fw_set_key(id));
	compile_uplink_set(c);
}

static void add_rule(struct compile_ctx *c, struct fw_rule r)
{
	struct plan_firewall *fw = &c->plan->fw;
	struct fw_rule *slot = arena_push(c->arena, &fw->rules, &fw->n_rules,
					  &c->cap_fw_rules, sizeof(*slot));

	*slot = r;
}

#define NO_SET .saddr_set = FW_SET_NONE, .daddr_set = FW_SET_NONE

static struct loc permissions_loc(const struct m_node *n)
{
	return n->permissions.set ? n->permissions.loc : n->loc;
}

/* A local_network list: the pair sets hold source, destination and
 * service, so the rule needs no lan match of its own (every `to` lies in
 * the lan).  The same two rules accept (filter) and masquerade (nat). */
static void add_lan_service_rules(struct compile_ctx *c, enum fw_chain chain,
				  enum fw_verdict verdict, const char *svc_id,
				  const char *icmp_id)
{
	const struct m_node *n = c->node;
	bool nat = verdict == FW_MASQUERADE;

	add_rule(c, (struct fw_rule){
		.chain = chain, .oif = nat ? FW_IF_NOT_MESH : FW_IF_ANY,
		.saddr_set = FW_SET_LAN_SVC, .daddr_set = FW_SET_NONE,
		.verdict = verdict, .spec_rule = 3, .id = svc_id,
		.comment = nat ? "lan hosts see this node, not the peer"
			       : "peers granted lan services reach them",
		.loc = n->lan.set ? n->lan.loc : n->loc });
	add_rule(c, (struct fw_rule){
		.chain = chain, .oif = nat ? FW_IF_NOT_MESH : FW_IF_ANY,
		.icmp_echo = true, .saddr_set = FW_SET_LAN_ICMP,
		.daddr_set = FW_SET_NONE, .verdict = verdict, .spec_rule = 3,
		.id = icmp_id,
		.comment = nat ? "lan hosts see this node, not the peer"
			       : "peers granted icmp ping lan hosts",
		.loc = n->lan.set ? n->lan.loc : n->loc });
}

static void compile_input_rules(struct compile_ctx *c)
{
	const struct m_node *n = c->node;

	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_INPUT, .iif = FW_IF_MESH, NO_SET,
		.verdict = FW_JUMP, .target = FW_CHAIN_MESH_INPUT,
		.id = "mesh-input", .comment = "traffic from the mesh to this node" });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_MESH_INPUT, .ct_established = true, NO_SET,
		.verdict = FW_ACCEPT, .id = "input-replies",
		.comment = "replies to connections this node opened" });
	/* A connection's entry cut by a revocation (apply/conntrack.c) must
	 * not come back from the peer's side either: the peer's next
	 * segment would start a new entry and pass as incoming.  A new
	 * connection starts with a SYN. */
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_MESH_INPUT, .tcp_pickup = true, NO_SET,
		.verdict = FW_DROP, .spec_rule = 6, .id = "no-pickup-in",
		.comment = "a connection is not picked up in mid-stream",
		.loc = permissions_loc(n) });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_MESH_INPUT, .saddr_set = FW_SET_INCOMING,
		.daddr_set = FW_SET_SELF, .verdict = FW_ACCEPT, .spec_rule = 6,
		.id = "incoming", .comment = "peers granted incoming reach this node",
		.loc = permissions_loc(n) });
	if (c->plan->fw.services) {
		add_rule(c, (struct fw_rule){
			.chain = FW_CHAIN_MESH_INPUT,
			.saddr_set = FW_SET_INCOMING_SVC,
			.daddr_set = FW_SET_SELF, .verdict = FW_ACCEPT,
			.spec_rule = 6, .id = "incoming-services",
			.comment = "peers granted incoming services reach "
				   "them on this node",
			.loc = permissions_loc(n) });
		add_rule(c, (struct fw_rule){
			.chain = FW_CHAIN_MESH_INPUT, .icmp_echo = true,
			.saddr_set = FW_SET_INCOMING_ICMP,
			.daddr_set = FW_SET_SELF, .verdict = FW_ACCEPT,
			.spec_rule = 6, .id = "incoming-icmp",
			.comment = "peers granted incoming icmp ping this node",
			.loc = permissions_loc(n) });
	}
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_MESH_INPUT, .saddr_set = FW_SET_LAN_ACCESS,
		.daddr_set = FW_SET_LAN, .verdict = FW_ACCEPT, .spec_rule = 3,
		.id = "input-lan-access",
		.comment = "peers granted local_network reach this node's lan address",
		.loc = n->lan.set ? n->lan.loc : n->loc });
	if (c->plan->fw.services)
		add_lan_service_rules(c, FW_CHAIN_MESH_INPUT, FW_ACCEPT,
				      "input-lan-services", "input-lan-icmp");
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_MESH_INPUT, NO_SET, .verdict = FW_DROP,
		.spec_rule = 6, .id = "input-default-drop",
		.comment = "no incoming grant for this peer",
		.loc = permissions_loc(n) });
}

/* Where the relay is named: the first user's key. */
static struct loc relay_key_loc(const struct compile_ctx *c)
{
	const struct m_node *u = &c->m->nodes[c->node->relay_users[0]];

	return u->relay.set ? u->relay.loc
			    : c->m->meshes[u->mesh_idx].relay.loc;
}

/* A relay's exception to rules 2 and 5, ahead of them: a packet that
 * enters and leaves the mesh interface passes when (source .
 * destination) is in the pair set, or when it is a reply to one that
 * did (no other mesh-to-mesh connection is ever accepted, so every
 * such reply belongs to a relayed pair).  A revoked pair's connections
 * are cut (apply/conntrack.c); a TCP segment that would pick one up
 * again from the other side (whose own pair may still be in the set)
 * is dropped, as mesh_input does.  Six kernel rules however many nodes
 * use the relay. */
static void compile_relay_rules(struct compile_ctx *c)
{
	struct loc loc = relay_key_loc(c);

	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .oif = FW_IF_MESH,
		.ct_established = true, NO_SET, .verdict = FW_ACCEPT,
		.spec_rule = 2, .id = "relay-replies",
		.comment = "replies of relayed connections", .loc = loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .oif = FW_IF_MESH,
		.tcp_pickup = true, NO_SET, .verdict = FW_DROP,
		.spec_rule = 2, .id = "relay-no-pickup",
		.comment = "a relayed connection is not picked up in mid-stream",
		.loc = loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .oif = FW_IF_MESH,
		.saddr_set = FW_SET_RELAY_USERS, .daddr_set = FW_SET_RELAY_OPEN,
		.verdict = FW_ACCEPT, .spec_rule = 2, .id = "relay-open",
		.comment = "relayed to a node that lets every relayed peer in",
		.loc = loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .oif = FW_IF_MESH,
		.saddr_set = FW_SET_RELAY, .daddr_set = FW_SET_RELAY,
		.verdict = FW_ACCEPT, .spec_rule = 2, .id = "relay",
		.comment = "relayed pairs whose destination grants the source "
			   "incoming",
		.loc = loc });
	if (!c->plan->fw.services)
		return;
	/* Destinations whose grant is a list: only its services. */
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .oif = FW_IF_MESH,
		.saddr_set = FW_SET_RELAY_SVC, .daddr_set = FW_SET_NONE,
		.verdict = FW_ACCEPT, .spec_rule = 2, .id = "relay-services",
		.comment = "relayed pairs whose destination grants the source "
			   "these services",
		.loc = loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .oif = FW_IF_MESH,
		.icmp_echo = true, .saddr_set = FW_SET_RELAY_ICMP,
		.daddr_set = FW_SET_NONE, .verdict = FW_ACCEPT,
		.spec_rule = 2, .id = "relay-icmp",
		.comment = "relayed pairs whose destination grants the source "
			   "icmp",
		.loc = loc });
}

static void compile_forward_rules(struct compile_ctx *c)
{
	const struct m_node *n = c->node;
	struct loc lan_loc = n->lan.set ? n->lan.loc : n->loc;

	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FORWARD, .iif = FW_IF_MESH, NO_SET,
		.verdict = FW_JUMP, .target = FW_CHAIN_FROM_MESH,
		.id = "from-mesh", .comment = "forwarded traffic from the mesh" });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FORWARD, .oif = FW_IF_MESH, NO_SET,
		.verdict = FW_JUMP, .target = FW_CHAIN_TO_MESH,
		.id = "to-mesh", .comment = "forwarded traffic into the mesh" });

	if (n->n_relay_users)
		compile_relay_rules(c);
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .saddr_set = FW_SET_NONE,
		.daddr_set = FW_SET_MESH, .verdict = FW_DROP, .spec_rule = 2,
		.id = "no-mesh-transit",
		.comment = "never forward to a mesh address",
		.loc = c->m->meshes[n->mesh_idx].network.loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .oif = FW_IF_MESH, NO_SET,
		.verdict = FW_DROP, .spec_rule = 5, .id = "no-mesh-hairpin",
		.comment = "never forward from the mesh back into it",
		.loc = n->loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .saddr_set = FW_SET_LAN_ACCESS,
		.daddr_set = FW_SET_LAN, .verdict = FW_ACCEPT, .spec_rule = 3,
		.id = "lan-access",
		.comment = "peers granted local_network reach the lan",
		.loc = lan_loc });
	if (c->plan->fw.services)
		add_lan_service_rules(c, FW_CHAIN_FROM_MESH, FW_ACCEPT,
				      "lan-services", "lan-icmp");
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .saddr_set = FW_SET_NONE,
		.daddr_set = FW_SET_LAN, .verdict = FW_DROP, .spec_rule = 3,
		.id = "lan-default-drop",
		.comment = "the lan only with local_network", .loc = lan_loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .saddr_set = FW_SET_NONE,
		.daddr_set = FW_SET_PRIVATE, .verdict = FW_DROP, .spec_rule = 3,
		.id = "no-private-ranges",
		.comment = "routed traffic never reaches private or local ranges",
		.loc = n->loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .saddr_set = FW_SET_NONE,
		.daddr_set = FW_SET_LOCAL, .verdict = FW_DROP, .spec_rule = 3,
		.id = "no-local-prefixes",
		.comment = "nor the networks on this node's other interfaces",
		.loc = n->loc });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, .oif = FW_IF_UPLINK,
		.saddr_set = FW_SET_ROUTING, .daddr_set = FW_SET_NONE,
		.verdict = FW_ACCEPT, .spec_rule = 4, .id = "routing",
		.comment = "peers granted routing reach the internet",
		.loc = permissions_loc(n) });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_FROM_MESH, NO_SET, .verdict = FW_DROP,
		.spec_rule = 4, .id = "forward-default-drop",
		.comment = "no routing grant for this peer",
		.loc = permissions_loc(n) });

	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_TO_MESH, .ct_established = true, NO_SET,
		.verdict = FW_ACCEPT, .spec_rule = 5, .id = "to-mesh-replies",
		.comment = "only replies are forwarded into the mesh" });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_TO_MESH, NO_SET, .verdict = FW_DROP,
		.spec_rule = 5, .id = "to-mesh-default-drop",
		.comment = "nothing else is forwarded into the mesh",
		.loc = n->loc });
}

/* This node's own packets into the mesh.  Revoking a peer's incoming
 * cuts its conntrack entries (apply/conntrack.c), but while this node
 * keeps sending on a TCP connection the peer opened (a download from its
 * server), the kernel picks the flow up again from this side
 * (nf_conntrack_tcp_loose): a new entry from this node to the peer, whose
 * replies mesh_input accepts as established.  A connection this node
 * opens starts with a SYN and is tracked from it, so dropping every other
 * TCP segment that would start an entry ends only picked-up flows.
 * (Forwarded traffic needs no such rule: to_mesh drops it already.)
 * Then, past the replies, a new connection to an unmanaged peer that
 * does not grant this node incoming is dropped: that peer has no
 * firewall of meshc's, so its grant is enforced here, at the sender.
 * The chain dispatches inline on the interface. */
static void compile_output_rules(struct compile_ctx *c)
{
	const struct m_node *n = c->node;

	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_OUTPUT, .oif = FW_IF_MESH, .tcp_pickup = true,
		NO_SET, .verdict = FW_DROP, .spec_rule = 6,
		.id = "no-pickup",
		.comment = "a connection this node did not open is not picked up again",
		.loc = permissions_loc(n) });
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_OUTPUT, .oif = FW_IF_MESH,
		.ct_established = true, NO_SET, .verdict = FW_ACCEPT,
		.id = "output-replies",
		.comment = "replies and the connections this node opened" });
	if (c->plan->fw.services) {
		add_rule(c, (struct fw_rule){
			.chain = FW_CHAIN_OUTPUT, .oif = FW_IF_MESH,
			.saddr_set = FW_SET_NONE, .daddr_set = FW_SET_OPEN_SVC,
			.verdict = FW_ACCEPT, .spec_rule = 6,
			.id = "unmanaged-services",
			.comment = "services an unmanaged peer grants this node",
			.loc = n->loc });
		add_rule(c, (struct fw_rule){
			.chain = FW_CHAIN_OUTPUT, .oif = FW_IF_MESH,
			.icmp_echo = true, .saddr_set = FW_SET_NONE,
			.daddr_set = FW_SET_OPEN_ICMP, .verdict = FW_ACCEPT,
			.spec_rule = 6, .id = "unmanaged-icmp",
			.comment = "an unmanaged peer that grants this node icmp",
			.loc = n->loc });
	}
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_OUTPUT, .oif = FW_IF_MESH,
		.saddr_set = FW_SET_NONE, .daddr_set = FW_SET_CLOSED,
		.verdict = FW_DROP, .spec_rule = 6, .id = "unmanaged-incoming",
		.comment = "an unmanaged peer that does not grant this node "
			   "incoming (enforced here: it has no meshc firewall)",
		.loc = n->loc });
}

/* NAT only for what the filter lets through: the lan hosts have no route
 * back to mesh addresses, and the internet sees this node (double NAT
 * when the node itself sits behind a router, as intended). */
static void compile_nat_rules(struct compile_ctx *c)
{
	const struct m_node *n = c->node;

	if (!c->plan->fw.nat)
		return;
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_POSTROUTING, .oif = FW_IF_NOT_MESH,
		.saddr_set = FW_SET_LAN_ACCESS, .daddr_set = FW_SET_LAN,
		.verdict = FW_MASQUERADE, .spec_rule = 3, .id = "lan-masquerade",
		.comment = "lan hosts see this node, not the peer",
		.loc = n->lan.set ? n->lan.loc : n->loc });
	if (c->plan->fw.services)
		add_lan_service_rules(c, FW_CHAIN_POSTROUTING, FW_MASQUERADE,
				      "lan-masquerade-services",
				      "lan-masquerade-icmp");
	add_rule(c, (struct fw_rule){
		.chain = FW_CHAIN_POSTROUTING, .oif = FW_IF_UPLINK,
		.saddr_set = FW_SET_ROUTING, .daddr_set = FW_SET_NONE,
		.verdict = FW_MASQUERADE, .spec_rule = 4, .id = "masquerade",
		.comment = "routed peers leave behind this node's address",
		.loc = n->uplink.set ? n->uplink.loc : permissions_loc(n) });
}

void compile_firewall(struct compile_ctx *c)
{
	struct plan_firewall *fw = &c->plan->fw;

	fw->iface = c->plan->iface.name;
	fw->uplink = c->node->uplink.set ? c->node->uplink.v : NULL;
	fw->nat = c->plan->forwards;
	compile_sets(c);
	compile_input_rules(c);
	compile_forward_rules(c);
	compile_output_rules(c);
	compile_nat_rules(c);
}
