/* resolve.c - names become indices.
 *
 * Fills node->mesh_idx, mesh->members, link->a_idx/b_idx, node->linked
 * (sorted, unique) with linked_loc, grant->peer_idx (grants then sorted by
 * peer_idx), node->exit_idx and node->lans_via.idx.  An index stays
 * MODEL_NONE when its name is unknown, unset, or names the node itself;
 * the reason is reported here.
 */
#include "validate/internal.h"

#include <stdlib.h>

static size_t node_ref(const struct model *m, const struct m_str *s)
{
	if (!s->set || !s->v)
		return MODEL_NONE;
	return model_node_find(m, s->v);
}

void v_resolve_meshes(struct vctx *v)
{
	struct model *m = v->m;
	size_t *count = arena_calloc(v->a, m->n_meshes + 1, sizeof(*count));
	size_t i;

	for (i = 0; i < m->n_nodes; i++) {
		struct m_node *n = &m->nodes[i];
		size_t idx;

		n->mesh_idx = MODEL_NONE;
		if (!n->mesh.set || !n->mesh.v)
			continue;
		idx = model_mesh_find(m, n->mesh.v);
		if (idx == MODEL_NONE || idx >= m->n_meshes) {
			diag_error(v->d, n->mesh.loc,
				   "node '%s': unknown mesh '%s'%s",
				   v_node_name(m, i), n->mesh.v,
				   v_hint_mesh(v, n->mesh.v));
			continue;
		}
		n->mesh_idx = idx;
		count[idx]++;
	}
	for (i = 0; i < m->n_meshes; i++) {
		m->meshes[i].members = arena_calloc(v->a, count[i] + 1,
						    sizeof(size_t));
		m->meshes[i].n_members = 0;
	}
	/* Document order, because the nodes array is. */
	for (i = 0; i < m->n_nodes; i++) {
		struct m_node *n = &m->nodes[i];

		if (n->mesh_idx != MODEL_NONE) {
			struct m_mesh *mesh = &m->meshes[n->mesh_idx];

			mesh->members[mesh->n_members++] = i;
		}
	}
}

struct link_pair {
	size_t lo, hi;		/* node indices, lo < hi */
	size_t link;		/* index in m->links */
};

static int link_pair_cmp(const void *pa, const void *pb)
{
	const struct link_pair *a = pa, *b = pb;

	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	if (a->hi != b->hi)
		return a->hi < b->hi ? -1 : 1;
	return a->link < b->link ? -1 : a->link > b->link;
}

static size_t link_end(struct vctx *v, const struct m_str *s)
{
	size_t idx;

	if (!s->set || !s->v)
		return MODEL_NONE;
	idx = model_node_find(v->m, s->v);
	if (idx == MODEL_NONE)
		diag_error(v->d, s->loc, "unknown node '%s' in link%s", s->v,
			   v_hint_node(v, s->v));
	return idx;
}

/* A link end that names no node: which peers the link meant is
 * unknown, for its other end (or, with both unknown, for anyone). */
static void mark_unsure(struct vctx *v, size_t a, size_t b)
{
	size_t known = a != MODEL_NONE ? a : b;

	if (known == MODEL_NONE) {
		v->all_unsure = true;
		return;
	}
	if (!v->unsure)
		v->unsure = arena_calloc(v->a, v->m->n_nodes, sizeof(bool));
	v->unsure[known] = true;
}

/* The link's two ends, if they make a valid link; reports why not. */
static bool link_check(struct vctx *v, struct m_link *l)
{
	const struct model *m = v->m;
	size_t a, b;

	l->a_idx = l->b_idx = MODEL_NONE;
	a = link_end(v, &l->a);
	b = link_end(v, &l->b);
	if (a == MODEL_NONE || b == MODEL_NONE) {
		mark_unsure(v, a, b);
		return false;
	}
	l->a_idx = a;
	l->b_idx = b;
	if (a == b) {
		diag_error(v->d, l->loc, "link joins '%s' to itself",
			   v_node_name(m, a));
		return false;
	}
	if (m->nodes[a].mesh_idx != MODEL_NONE &&
	    m->nodes[a].mesh_idx == m->nodes[b].mesh_idx) {
		diag_error(v->d, l->loc,
			   "link joins '%s' and '%s' of the same mesh '%s' "
			   "(they are already peers)",
			   v_node_name(m, a), v_node_name(m, b),
			   v_mesh_name(m, m->nodes[a].mesh_idx));
		return false;
	}
	return true;
}

static void add_partner(struct m_node *n, size_t partner, struct loc loc)
{
	n->linked[n->n_linked] = partner;
	n->linked_loc[n->n_linked] = loc;
	n->n_linked++;
}

void v_resolve_links(struct vctx *v)
{
	struct model *m = v->m;
	struct link_pair *pairs;
	size_t *degree, np = 0, kept = 0, i;

	for (i = 0; i < m->n_nodes; i++) {
		m->nodes[i].linked = NULL;
		m->nodes[i].linked_loc = NULL;
		m->nodes[i].n_linked = 0;
	}
	pairs = arena_calloc(v->a, m->n_links + 1, sizeof(*pairs));
	for (i = 0; i < m->n_links; i++) {
		struct m_link *l = &m->links[i];

		if (!link_check(v, l))
			continue;
		pairs[np].lo = l->a_idx < l->b_idx ? l->a_idx : l->b_idx;
		pairs[np].hi = l->a_idx < l->b_idx ? l->b_idx : l->a_idx;
		pairs[np].link = i;
		np++;
	}
	qsort(pairs, np, sizeof(*pairs), link_pair_cmp);

	/* Keep the first of equal pairs (document order breaks ties). */
	degree = arena_calloc(v->a, m->n_nodes + 1, sizeof(*degree));
	for (i = 0; i < np; i++) {
		if (kept && pairs[kept - 1].lo == pairs[i].lo &&
		    pairs[kept - 1].hi == pairs[i].hi) {
			const struct m_link *l = &m->links[pairs[i].link];
			const struct m_link *first =
				&m->links[pairs[kept - 1].link];

			diag_warn(v->d, l->loc,
				  "duplicate link between '%s' and '%s' "
				  "(first at line %u)",
				  l->a.v, l->b.v, first->loc.line);
			continue;
		}
		pairs[kept++] = pairs[i];
		degree[pairs[i].lo]++;
		degree[pairs[i].hi]++;
	}
	for (i = 0; i < m->n_nodes; i++) {
		if (!degree[i])
			continue;
		m->nodes[i].linked = arena_calloc(v->a, degree[i],
						  sizeof(size_t));
		m->nodes[i].linked_loc = arena_calloc(v->a, degree[i],
						      sizeof(struct loc));
	}
	/* Pairs are sorted by (lo, hi): a node first meets the pairs where it
	 * is `hi` (partners below it, ascending), then those where it is `lo`
	 * (partners above it, ascending), so each list comes out sorted. */
	for (i = 0; i < kept; i++) {
		struct loc loc = m->links[pairs[i].link].loc;

		add_partner(&m->nodes[pairs[i].lo], pairs[i].hi, loc);
		add_partner(&m->nodes[pairs[i].hi], pairs[i].lo, loc);
	}
}

static int grant_cmp(const void *pa, const void *pb)
{
	const struct m_grant *a = pa, *b = pb;

	if (a->peer_idx != b->peer_idx)
		return a->peer_idx < b->peer_idx ? -1 : 1;
	return loc_cmp(&a->peer.loc, &b->peer.loc);
}

static void resolve_grant(struct vctx *v, size_t granter, struct m_grant *g)
{
	const struct model *m = v->m;
	size_t p;

	g->peer_idx = MODEL_NONE;
	if (!g->peer.set || !g->peer.v)
		return;
	p = model_node_find(m, g->peer.v);
	if (p == MODEL_NONE) {
		diag_error(v->d, g->peer.loc,
			   "permissions of node '%s' name unknown node '%s'%s",
			   v_node_name(m, granter), g->peer.v,
			   v_hint_node(v, g->peer.v));
		return;
	}
	if (p == granter) {
		diag_error(v->d, g->peer.loc,
			   "node '%s' cannot grant permissions to itself",
			   v_node_name(m, granter));
		return;
	}
	g->peer_idx = p;
	if (v_peer_known(v, granter, p) && !model_are_peers(m, granter, p))
		diag_warn(v->d, g->peer.loc,
			  "'%s' is not a peer of '%s' (not in its mesh, no "
			  "link): this grant has no effect",
			  v_node_name(m, p), v_node_name(m, granter));
}

void v_resolve_grants(struct vctx *v)
{
	struct model *m = v->m;
	size_t i, j;

	for (i = 0; i < m->n_nodes; i++) {
		struct m_permissions *p = &m->nodes[i].permissions;

		if (!p->grants)
			p->n_grants = 0;
		for (j = 0; j < p->n_grants; j++)
			resolve_grant(v, i, &p->grants[j]);
		/* model_permissions() binary-searches by peer_idx; grants
		 * that name no valid peer (MODEL_NONE) sort last. */
		if (p->n_grants > 1)
			qsort(p->grants, p->n_grants, sizeof(*p->grants),
			      grant_cmp);
	}
}

static void resolve_exit(struct vctx *v, size_t i)
{
	struct m_node *n = &v->m->nodes[i];
	size_t e;

	n->exit_idx = MODEL_NONE;
	if (!n->exit_node.set || !n->exit_node.v)
		return;
	e = node_ref(v->m, &n->exit_node);
	if (e == MODEL_NONE)
		diag_error(v->d, n->exit_node.loc,
			   "unknown node '%s' in exit_node of '%s'%s",
			   n->exit_node.v, v_node_name(v->m, i),
			   v_hint_node(v, n->exit_node.v));
	else if (e == i)
		diag_error(v->d, n->exit_node.loc,
			   "node '%s' cannot be its own exit node",
			   v_node_name(v->m, i));
	else
		n->exit_idx = e;
}

static void resolve_lans_via(struct vctx *v, size_t i)
{
	struct m_name_list *l = &v->m->nodes[i].lans_via;
	size_t k;

	if (!l->items)
		l->count = 0;
	if (l->count && !l->idx)
		l->idx = arena_calloc(v->a, l->count, sizeof(*l->idx));
	for (k = 0; k < l->count; k++) {
		const struct m_str *s = &l->items[k];
		size_t t = node_ref(v->m, s);

		l->idx[k] = MODEL_NONE;
		if (!s->set || !s->v)
			continue;
		if (t == MODEL_NONE)
			diag_error(v->d, s->loc,
				   "unknown node '%s' in lans_via of '%s'%s",
				   s->v, v_node_name(v->m, i),
				   v_hint_node(v, s->v));
		else if (t == i)
			diag_error(v->d, s->loc,
				   "node '%s' cannot list itself in lans_via",
				   v_node_name(v->m, i));
		else
			l->idx[k] = t;
	}
}

/* A mesh's relay, resolved once: MODEL_NONE when absent or unknown. */
static size_t resolve_mesh_relay(struct vctx *v, const struct m_mesh *mesh)
{
	size_t r = node_ref(v->m, &mesh->relay);

	if (mesh->relay.set && mesh->relay.v && r == MODEL_NONE)
		diag_error(v->d, mesh->relay.loc,
			   "unknown node '%s' in relay of mesh '%s'%s",
			   mesh->relay.v, mesh->name.v ? mesh->name.v : "?",
			   v_hint_node(v, mesh->relay.v));
	return r;
}

/* The node's own relay, else its mesh's, which does not apply to the
 * relay itself. */
static void resolve_relay(struct vctx *v, size_t i, const size_t *mesh_relay)
{
	struct m_node *n = &v->m->nodes[i];
	size_t r;

	n->relay_idx = MODEL_NONE;
	if (n->relay.set && n->relay.v) {
		r = node_ref(v->m, &n->relay);
		if (r == MODEL_NONE)
			diag_error(v->d, n->relay.loc,
				   "unknown node '%s' in relay of '%s'%s",
				   n->relay.v, v_node_name(v->m, i),
				   v_hint_node(v, n->relay.v));
		else if (r == i)
			diag_error(v->d, n->relay.loc,
				   "node '%s' cannot be its own relay",
				   v_node_name(v->m, i));
		else
			n->relay_idx = r;
		return;
	}
	if (n->mesh_idx != MODEL_NONE && mesh_relay[n->mesh_idx] != i)
		n->relay_idx = mesh_relay[n->mesh_idx];
}

/* Each relay's users, in node order (so sorted). */
static void collect_relay_users(struct vctx *v)
{
	struct model *m = v->m;
	size_t i;

	for (i = 0; i < m->n_nodes; i++)
		if (m->nodes[i].relay_idx != MODEL_NONE)
			m->nodes[m->nodes[i].relay_idx].n_relay_users++;
	for (i = 0; i < m->n_nodes; i++) {
		struct m_node *r = &m->nodes[i];

		if (r->n_relay_users)
			r->relay_users = arena_calloc(v->a, r->n_relay_users,
						      sizeof(*r->relay_users));
		r->n_relay_users = 0;
	}
	for (i = 0; i < m->n_nodes; i++) {
		size_t r = m->nodes[i].relay_idx;

		if (r != MODEL_NONE && m->nodes[r].relay_users)
			m->nodes[r].relay_users[m->nodes[r].n_relay_users++] =
				i;
	}
}

void v_resolve_refs(struct vctx *v)
{
	size_t *mesh_relay = arena_calloc(v->a, v->m->n_meshes + 1,
					  sizeof(*mesh_relay));
	size_t i;

	for (i = 0; i < v->m->n_meshes; i++)
		mesh_relay[i] = resolve_mesh_relay(v, &v->m->meshes[i]);
	for (i = 0; i < v->m->n_nodes; i++) {
		resolve_exit(v, i);
		resolve_lans_via(v, i);
		resolve_relay(v, i, mesh_relay);
	}
	collect_relay_users(v);
}
