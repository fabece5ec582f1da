/* rules.c - what exit_node, lans_via, platforms, uplinks and endpoints
 * must satisfy.
 *
 * Runs after resolve.c: exit_idx, lans_via.idx, linked and sorted grants
 * are in place, so model_are_peers() and model_permissions() answer.
 */
#include "validate/internal.h"

#include "base/strbuf.h"

#include <stdlib.h>

/* ---- exit_node --------------------------------------------------------- */

static void check_exit(struct vctx *v, size_t c, size_t e)
{
	const struct model *m = v->m;
	const char *cn = v_node_name(m, c), *en = v_node_name(m, e);
	const struct loc loc = m->nodes[c].exit_node.loc;

	if (!model_are_peers(m, c, e)) {
		if (v_peer_known(v, c, e))
			diag_error(v->d, loc,
				   "exit_node '%s' of node '%s' is not a peer "
				   "of '%s' (not in its mesh, no link)",
				   en, cn, cn);
		return;
	}
	if (!model_permissions(m, e, c).routing.v)
		diag_error(v->d, loc,
			   "exit_node '%s' does not grant routing to '%s' "
			   "(set permissions.peers.%s.routing: true on '%s')",
			   en, cn, cn, en);
}

void v_check_exit_nodes(struct vctx *v)
{
	const struct model *m = v->m;
	size_t *user = arena_calloc(v->a, m->n_nodes + 1, sizeof(*user));
	size_t i;

	for (i = 0; i < m->n_nodes; i++)
		user[i] = MODEL_NONE;
	for (i = 0; i < m->n_nodes; i++) {
		size_t e = m->nodes[i].exit_idx;

		if (e == MODEL_NONE)
			continue;
		if (user[e] == MODEL_NONE)
			user[e] = i;
		check_exit(v, i, e);
	}
	/* A chain a -> b -> c (or a loop) is reported where b names its own
	 * exit node: that is the line to remove. */
	for (i = 0; i < m->n_nodes; i++)
		if (m->nodes[i].exit_idx != MODEL_NONE &&
		    user[i] != MODEL_NONE)
			diag_error(v->d, m->nodes[i].exit_node.loc,
				   "node '%s' is the exit node of '%s' and "
				   "cannot use an exit node itself (no chains)",
				   v_node_name(m, i), v_node_name(m, user[i]));
}

/* ---- lans_via ---------------------------------------------------------- */

struct via_ent {
	size_t target;
	size_t pos;		/* in the lans_via list */
};

static int via_ent_cmp(const void *pa, const void *pb)
{
	const struct via_ent *a = pa, *b = pb;

	if (a->target != b->target)
		return a->target < b->target ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Marks repeated targets (all but the first) in dup[] and reports them. */
static void lans_via_dups(struct vctx *v, size_t node, bool *dup)
{
	const struct m_name_list *l = &v->m->nodes[node].lans_via;
	struct via_ent *ents = arena_calloc(v->a, l->count, sizeof(*ents));
	size_t n = 0, k;

	for (k = 0; k < l->count; k++)
		if (l->idx[k] != MODEL_NONE)
			ents[n++] = (struct via_ent){ l->idx[k], k };
	qsort(ents, n, sizeof(*ents), via_ent_cmp);
	for (k = 1; k < n; k++) {
		if (ents[k].target != ents[k - 1].target)
			continue;
		dup[ents[k].pos] = true;
		diag_error(v->d, l->items[ents[k].pos].loc,
			   "duplicate '%s' in lans_via of '%s'",
			   v_node_name(v->m, ents[k].target),
			   v_node_name(v->m, node));
	}
}

static void check_via_target(struct vctx *v, size_t a, size_t k)
{
	const struct model *m = v->m;
	const struct m_name_list *l = &m->nodes[a].lans_via;
	size_t t = l->idx[k];
	const char *an = v_node_name(m, a), *tn = v_node_name(m, t);
	const struct m_prefix_list *lan = &m->nodes[t].lan;

	if (!model_are_peers(m, a, t)) {
		if (v_peer_known(v, a, t))
			diag_error(v->d, l->items[k].loc,
				   "'%s' in lans_via of '%s' is not a peer of "
				   "'%s' (not in its mesh, no link)",
				   tn, an, an);
		return;
	}
	if (!model_permissions(m, t, a).local_network.v)
		diag_error(v->d, l->items[k].loc,
			   "'%s' in lans_via of '%s' does not grant "
			   "local_network to '%s'",
			   tn, an, an);
	if ((!lan->items || !lan->count) && !v_lan_broken(&m->nodes[t]))
		diag_warn(v->d, l->items[k].loc,
			  "'%s' in lans_via of '%s' has no lan: this entry has "
			  "no effect",
			  tn, an);
}

struct via_arg {
	size_t node;
};

static void via_overlap(struct vctx *v, const struct v_span *later,
			const struct v_span *earlier, void *arg)
{
	const struct via_arg *va = arg;
	const struct m_name_list *l = &v->m->nodes[va->node].lans_via;
	char a[IP_STRLEN], b[IP_STRLEN];

	diag_error(v->d, l->items[later->group].loc,
		   "lan %s of '%s' overlaps lan %s of '%s', both in lans_via "
		   "of '%s'",
		   ip_prefix_str(&later->p, a),
		   v_node_name(v->m, l->idx[later->group]),
		   ip_prefix_str(&earlier->p, b),
		   v_node_name(v->m, l->idx[earlier->group]),
		   v_node_name(v->m, va->node));
}

/* The lans of two targets would be routed to two peers at once. */
static void lans_via_overlaps(struct vctx *v, size_t node, const bool *dup)
{
	const struct model *m = v->m;
	const struct m_name_list *l = &m->nodes[node].lans_via;
	struct via_arg va = { node };
	struct v_span *spans;
	size_t k, j, total = 0, n = 0;

	for (k = 0; k < l->count; k++)
		if (l->idx[k] != MODEL_NONE && !dup[k] &&
		    m->nodes[l->idx[k]].lan.items)
			total += m->nodes[l->idx[k]].lan.count;
	if (total < 2)
		return;
	spans = arena_calloc(v->a, total, sizeof(*spans));
	for (k = 0; k < l->count; k++) {
		const struct m_prefix_list *lan;

		if (l->idx[k] == MODEL_NONE || dup[k])
			continue;
		lan = &m->nodes[l->idx[k]].lan;
		for (j = 0; lan->items && j < lan->count; j++) {
			if (!lan->items[j].set || !lan->items[j].v.addr.family)
				continue;
			spans[n].p = lan->items[j].v;
			spans[n].group = k;
			spans[n].order = k;
			spans[n].data = &lan->items[j];
			n++;
		}
	}
	v_find_overlaps(v, spans, n, via_overlap, &va);
}

void v_check_lans_via(struct vctx *v)
{
	const struct model *m = v->m;
	size_t i, k;

	for (i = 0; i < m->n_nodes; i++) {
		const struct m_name_list *l = &m->nodes[i].lans_via;
		bool *dup;

		if (!l->count || !l->idx)
			continue;
		dup = arena_calloc(v->a, l->count, sizeof(*dup));
		if (l->count > 1)
			lans_via_dups(v, i, dup);
		for (k = 0; k < l->count; k++)
			if (l->idx[k] != MODEL_NONE && !dup[k])
				check_via_target(v, i, k);
		lans_via_overlaps(v, i, dup);
	}
}

/* ---- platforms that cannot forward, nodes meshc does not manage ------- */

/* Why node i may not grant or have what a firewall or a route of its own
 * would have to carry; NULL when it may. */
static const char *no_enforcement(const struct m_node *n, bool *can_forward)
{
	enum platform pf = model_node_platform(n);

	*can_forward = platform_can_forward(pf);
	if (!*can_forward)
		return "";
	if (model_node_managed(n))
		return NULL;
	return n->managed.set ? "managed: false" : platform_name(pf);
}

static void platform_flag(struct vctx *v, size_t node, const struct m_bool *b,
			  const char *flag)
{
	const struct m_node *n = &v->m->nodes[node];
	bool can_forward;
	const char *why = no_enforcement(n, &can_forward);

	if (!why || !b->set || !b->v)
		return;
	if (!can_forward)
		diag_error(v->d, b->loc,
			   "node '%s' runs on %s, which cannot forward or NAT: "
			   "it cannot grant %s",
			   v_node_name(v->m, node),
			   platform_name(model_node_platform(n)), flag);
	else
		diag_error(v->d, b->loc,
			   "node '%s' is not managed (%s): it cannot grant %s, "
			   "nothing on it would forward or enforce it; grant "
			   "it from a managed node%s",
			   v_node_name(v->m, node), why, flag,
			   model_node_platform(n) == PLATFORM_MACOS
				   ? ", or set managed: true if the node loads "
				     "meshc's pf anchor"
				   : "");
}

static void platform_flags(struct vctx *v, size_t node,
			   const struct m_flags *f)
{
	platform_flag(v, node, &f->routing, "routing");
	platform_flag(v, node, &f->local_network.b, "local_network");
}

/* lan and uplink are the node's own forwarding: only meshc sets it up. */
static void unmanaged_key(struct vctx *v, size_t node, bool set,
			  struct loc loc, const char *key)
{
	const struct m_node *n = &v->m->nodes[node];

	if (!set || model_node_managed(n))
		return;
	diag_error(v->d, loc,
		   "node '%s' is not managed (%s): it cannot have %s, meshc "
		   "sets up no forwarding on it; move the %s to a managed node",
		   v_node_name(v->m, node),
		   n->managed.set ? "managed: false"
				  : platform_name(model_node_platform(n)),
		   key, key);
}

static void managed_impossible(struct vctx *v, size_t node)
{
	const struct m_node *n = &v->m->nodes[node];
	enum platform pf = model_node_platform(n);

	if (n->managed.set && n->managed.v && !platform_can_be_managed(pf))
		diag_error(v->d, n->managed.loc,
			   "node '%s' runs on %s: managed: true is impossible "
			   "there, nothing meshc makes could enforce it; remove "
			   "it (the node runs the WireGuard app, configured by "
			   "meshc export)",
			   v_node_name(v->m, node), platform_name(pf));
}

void v_check_platforms(struct vctx *v)
{
	const struct model *m = v->m;
	size_t i, j;

	for (i = 0; i < m->n_nodes; i++) {
		const struct m_node *n = &m->nodes[i];
		const struct m_permissions *p = &n->permissions;
		const struct m_flags *def = &p->def;

		managed_impossible(v, i);
		unmanaged_key(v, i, n->lan.set, n->lan.loc, "lan");
		unmanaged_key(v, i, n->uplink.set, n->uplink.loc, "uplink");
		platform_flags(v, i, def);
		for (j = 0; p->grants && j < p->n_grants; j++)
			platform_flags(v, i, &p->grants[j].flags);
		/* Mesh defaults reach the node where its own default is
		 * silent; the error points at the mesh's value. */
		if (n->mesh_idx != MODEL_NONE) {
			const struct m_flags *md =
				&m->meshes[n->mesh_idx].defaults;

			if (!def->routing.set)
				platform_flag(v, i, &md->routing, "routing");
			if (!def->local_network.b.set)
				platform_flag(v, i, &md->local_network.b,
					      "local_network");
		}
	}
}

/* ---- uplink ------------------------------------------------------------ */

/* routing for peers without an entry: node default, else mesh defaults,
 * else the built-in false. */
static bool default_routing(const struct model *m, const struct m_node *n)
{
	if (n->permissions.def.routing.set)
		return n->permissions.def.routing.v;
	if (n->mesh_idx != MODEL_NONE &&
	    m->meshes[n->mesh_idx].defaults.routing.set)
		return m->meshes[n->mesh_idx].defaults.routing.v;
	return false;
}

static bool routes_for_some_peer(const struct model *m, size_t i)
{
	const struct m_node *n = &m->nodes[i];
	size_t peers = n->n_linked, with_entry = 0, j;

	if (n->mesh_idx != MODEL_NONE)
		peers += m->meshes[n->mesh_idx].n_members - 1;
	for (j = 0; n->permissions.grants && j < n->permissions.n_grants; j++) {
		size_t p = n->permissions.grants[j].peer_idx;

		if (p == MODEL_NONE || !model_are_peers(m, i, p))
			continue;
		with_entry++;
		if (model_permissions(m, i, p).routing.v)
			return true;
	}
	return peers > with_entry && default_routing(m, n);
}

void v_check_uplinks(struct vctx *v)
{
	const struct model *m = v->m;
	size_t i;

	/* A node of an unknown mesh has no known peers: no follow-up. */
	for (i = 0; i < m->n_nodes; i++)
		if (m->nodes[i].uplink.set &&
		    m->nodes[i].mesh_idx != MODEL_NONE &&
		    !routes_for_some_peer(m, i))
			diag_warn(v->d, m->nodes[i].uplink.loc,
				  "uplink is set but '%s' routes for no peer",
				  v_node_name(m, i));
}

/* ---- endpoints --------------------------------------------------------- */

static void warn_unreachable(struct vctx *v, struct loc loc, size_t a,
			     size_t b)
{
	diag_warn(v->d, loc,
		  "'%s' and '%s' are peers but neither has an endpoint: they "
		  "can never connect",
		  v_node_name(v->m, a), v_node_name(v->m, b));
}

static struct loc node_loc(const struct m_node *n)
{
	return loc_known(n->name.loc) ? n->name.loc : n->loc;
}

/* Exactly one warning per pair, at the later node's name (the node that
 * completes the pair): a mesh of n roaming nodes has n(n-1)/2 pairs that
 * cannot form a tunnel, and each is its own problem. */
static void mesh_endpoints(struct vctx *v, const struct m_mesh *mesh)
{
	const struct model *m = v->m;
	size_t j, k;

	for (j = 1; j < mesh->n_members; j++) {
		size_t b = mesh->members[j];

		if (m->nodes[b].endpoint.set)
			continue;
		for (k = 0; k < j; k++) {
			size_t a = mesh->members[k];

			if (!m->nodes[a].endpoint.set &&
			    !model_relayed(m, a, b))
				warn_unreachable(v, node_loc(&m->nodes[b]), a,
						 b);
		}
	}
}

void v_check_endpoints(struct vctx *v)
{
	const struct model *m = v->m;
	size_t i, k;

	for (i = 0; i < m->n_meshes; i++)
		mesh_endpoints(v, &m->meshes[i]);
	for (i = 0; i < m->n_nodes; i++) {
		const struct m_node *n = &m->nodes[i];

		if (n->endpoint.set)
			continue;
		for (k = 0; k < n->n_linked; k++) {
			size_t p = n->linked[k];

			if (p > i && !m->nodes[p].endpoint.set &&
			    !model_relayed(m, i, p))
				warn_unreachable(v, n->linked_loc[k], i, p);
		}
	}
}

/* ---- relays ------------------------------------------------------------- */

/* Where a node's relay is written: its own key, else its mesh's. */
static const struct m_str *relay_key(const struct model *m,
				     const struct m_node *n)
{
	if (n->relay.set)
		return &n->relay;
	return &m->meshes[n->mesh_idx].relay;
}

/* What the relay itself must be, once per key that names it. */
static void check_relay_node(struct vctx *v, const struct m_str *key,
			     size_t r)
{
	const struct m_node *rn = &v->m->nodes[r];
	const char *name = v_node_name(v->m, r);

	if (!model_node_managed(rn))
		diag_error(v->d, key->loc,
			   "relay '%s' is not managed (%s): a relay forwards "
			   "and enforces its users' grants, which needs "
			   "meshc's firewall on it",
			   name, rn->managed.set
					 ? "managed: false"
					 : platform_name(model_node_platform(rn)));
	if (!rn->endpoint.set)
		diag_error(v->d, key->loc,
			   "relay '%s' has no endpoint: the nodes that use it "
			   "could not reach it either",
			   name);
}

/* A relay carries mesh addresses only: a peer reached through it has no
 * tunnel for exit-node or lan traffic. */
static void relayed_use(struct vctx *v, size_t n, size_t t, struct loc loc,
			const char *key)
{
	const struct model *m = v->m;

	if (t == MODEL_NONE || !model_relayed(m, n, t))
		return;
	diag_warn(v->d, loc,
		  "'%s' reaches '%s' through relay '%s', which carries mesh "
		  "addresses only: its %s traffic has no tunnel (give one of "
		  "them an endpoint)",
		  v_node_name(m, n), v_node_name(m, t),
		  v_node_name(m, m->nodes[n].relay_idx), key);
}

void v_check_relays(struct vctx *v)
{
	const struct model *m = v->m;
	size_t i;

	for (i = 0; i < m->n_meshes; i++) {
		size_t r = m->meshes[i].relay.set
				   ? model_node_find(m, m->meshes[i].relay.v)
				   : MODEL_NONE;

		if (r != MODEL_NONE)
			check_relay_node(v, &m->meshes[i].relay, r);
	}
	for (i = 0; i < m->n_nodes; i++) {
		const struct m_node *n = &m->nodes[i];
		size_t r = n->relay_idx;

		if (r == MODEL_NONE)
			continue;
		if (n->relay.set)
			check_relay_node(v, &n->relay, r);
		relayed_use(v, i, n->exit_idx, n->exit_node.loc, "exit_node");
		for (size_t k = 0; n->lans_via.idx && k < n->lans_via.count; k++)
			relayed_use(v, i, n->lans_via.idx[k],
				    n->lans_via.items[k].loc, "lans_via");
		/* every user, also of a mesh's relay: that one names the
		 * node it is not a peer of */
		if (!model_are_peers(m, i, r) && v_peer_known(v, i, r))
			diag_error(v->d, relay_key(m, n)->loc,
				   "relay '%s' of node '%s' is not a peer of "
				   "'%s' (not in its mesh, no link)",
				   v_node_name(m, r), v_node_name(m, i),
				   v_node_name(m, i));
	}
}

/* ---- grants nobody enforces -------------------------------------------- */

/* false, or a list: something is refused (a list refuses the rest). */
static bool refuses(const struct m_grant_flag *g)
{
	return g->b.set && (!g->b.v || g->limited);
}

/* Could u refuse incoming to anyone?  Saves the pair walk for the usual
 * node that grants it to all. */
static bool may_refuse_incoming(const struct model *m, const struct m_node *u)
{
	const struct m_permissions *p = &u->permissions;

	if (refuses(&p->def.incoming) ||
	    (!p->def.incoming.b.set && u->mesh_idx != MODEL_NONE &&
	     refuses(&m->meshes[u->mesh_idx].defaults.incoming)))
		return true;
	for (size_t j = 0; p->grants && j < p->n_grants; j++)
		if (refuses(&p->grants[j].flags.incoming))
			return true;
	return false;
}

/* Does x reach u with nothing to stop it: x unmanaged too, a tunnel
 * between them, and u refusing x incoming? */
static bool unenforced(const struct model *m, size_t u, size_t x)
{
	const struct m_node *a = &m->nodes[u], *b = &m->nodes[x];
	struct perm_value in;

	if (x == u || model_node_managed(b) ||
	    !(a->endpoint.set || b->endpoint.set))
		return false;
	/* A list is no more enforced than false: nothing stops the rest. */
	in = model_permissions(m, u, x).incoming;
	return !in.v || in.limited;
}

static void add_sender(struct vctx *v, struct strbuf *names, size_t *n,
		       size_t x)
{
	strbuf_printf(names, "%s'%s'", *n ? ", " : "", v_node_name(v->m, x));
	(*n)++;
}

/* An unmanaged node's incoming is enforced by its managed peers (their
 * output chains); between two unmanaged nodes nothing can: one warning
 * per node, naming the senders it does not grant incoming. */
static void warn_unenforced(struct vctx *v, size_t u)
{
	const struct model *m = v->m;
	const struct m_node *n = &m->nodes[u];
	const struct m_mesh *mesh = &m->meshes[n->mesh_idx];
	struct strbuf names = STRBUF_INIT;
	size_t count = 0;

	for (size_t k = 0; k < mesh->n_members; k++)
		if (unenforced(m, u, mesh->members[k]))
			add_sender(v, &names, &count, mesh->members[k]);
	for (size_t k = 0; k < n->n_linked; k++)
		if (unenforced(m, u, n->linked[k]))
			add_sender(v, &names, &count, n->linked[k]);
	if (count)
		diag_warn(v->d, node_loc(n),
			  "'%s' does not grant incoming to %s, but neither it "
			  "nor %s meshc: nothing can enforce that, so %s "
			  "can reach it",
			  v_node_name(m, u), names.buf,
			  count == 1 ? "that node runs" : "those nodes run",
			  count == 1 ? "it" : "they");
	strbuf_free(&names);
}

void v_check_unenforced(struct vctx *v)
{
	const struct model *m = v->m;

	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct m_node *n = &m->nodes[i];

		if (n->mesh_idx == MODEL_NONE || model_node_managed(n) ||
		    !may_refuse_incoming(m, n))
			continue;
		warn_unenforced(v, i);
	}
}
