/* addresses.c - networks, lans, node addresses and public keys.
 *
 * Uniqueness is checked with hash sets (dupset.c) and overlaps by
 * sorting, never by comparing all pairs: a 50,000-node document stays
 * well under a second.
 */
#include "validate/internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- mesh networks are disjoint ---------------------------------------- */

static void network_overlap(struct vctx *v, const struct v_span *later,
			    const struct v_span *earlier, void *arg)
{
	const char *field = arg;
	const struct m_prefix *lp = later->data;
	char a[IP_STRLEN], b[IP_STRLEN];

	diag_error(v->d, lp->loc,
		   "%s %s of mesh '%s' overlaps %s %s of mesh '%s'", field,
		   ip_prefix_str(&later->p, a), v_mesh_name(v->m, later->group),
		   field, ip_prefix_str(&earlier->p, b),
		   v_mesh_name(v->m, earlier->group));
}

static void check_network_field(struct vctx *v, bool six)
{
	struct model *m = v->m;
	struct v_span *spans = arena_calloc(v->a, m->n_meshes + 1,
					    sizeof(*spans));
	size_t i, n = 0;

	for (i = 0; i < m->n_meshes; i++) {
		struct m_prefix *p = six ? &m->meshes[i].network6
					 : &m->meshes[i].network;

		if (!p->set || !p->v.addr.family)
			continue;
		spans[n].p = p->v;
		spans[n].group = i;
		spans[n].order = i;
		spans[n].data = p;
		n++;
	}
	v_find_overlaps(v, spans, n, network_overlap,
			(void *)(six ? "network6" : "network"));
}

/* Every node routes a mesh's whole network into the mesh interface, so a
 * network shorter than /8 (0.0.0.0/0, or the /1 halves wg-quick uses)
 * would take over the default route and carry peers' endpoints, and the
 * tunnel's own packets, into the tunnel. */
#define MESH_NETWORK_MIN_LEN 8

static void check_network_size(struct vctx *v, const struct m_prefix *p,
			       const char *field, size_t mesh)
{
	char a[IP_STRLEN];

	if (!p->set || !p->v.addr.family || p->v.len >= MESH_NETWORK_MIN_LEN)
		return;
	diag_error(v->d, p->loc,
		   "%s %s of mesh '%s' is too large: a mesh network must be "
		   "/%d or longer",
		   field, ip_prefix_str(&p->v, a), v_mesh_name(v->m, mesh),
		   MESH_NETWORK_MIN_LEN);
}

void v_check_networks(struct vctx *v)
{
	for (size_t i = 0; i < v->m->n_meshes; i++) {
		check_network_size(v, &v->m->meshes[i].network, "network", i);
		check_network_size(v, &v->m->meshes[i].network6, "network6",
				   i);
	}
	check_network_field(v, false);
	check_network_field(v, true);
}

/* ---- lans do not overlap mesh networks --------------------------------- */

struct net_ref {
	struct ip_prefix p;
	size_t mesh;
	const char *field;
};

struct net_index {
	struct net_ref *nets;
	size_t n;
	/* Which prefix lengths occur, per family (0: IPv4, 1: IPv6). */
	bool has_len[2][129];
};

static int net_ref_cmp(const void *pa, const void *pb)
{
	const struct net_ref *a = pa, *b = pb;
	int c = ip_prefix_cmp(&a->p, &b->p);

	if (c)
		return c;
	return a->mesh < b->mesh ? -1 : a->mesh > b->mesh;
}

static struct ip_prefix prefix_trunc(const struct ip_prefix *p, unsigned len)
{
	struct ip_prefix t = *p;
	unsigned i;

	t.len = (uint8_t)len;
	for (i = len; i < ip_bits(p->addr.family); i++)
		t.addr.b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return t;
}

/* First network not below p in sort order. */
static size_t net_lower_bound(const struct net_index *ix,
			      const struct ip_prefix *p)
{
	size_t lo = 0, hi = ix->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ip_prefix_cmp(&ix->nets[mid].p, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A mesh network overlapping p, or NULL.  One that covers p is a
 * truncation of p to a length some network has; one that p covers is the
 * first network at or after p in sort order, if any is. */
static const struct net_ref *net_overlapping(const struct net_index *ix,
					     const struct ip_prefix *p)
{
	unsigned fam = p->addr.family == IP_V4 ? 0 : 1, k;
	size_t i;

	for (k = 0; k <= p->len; k++) {
		struct ip_prefix t;

		if (!ix->has_len[fam][k])
			continue;
		t = prefix_trunc(p, k);
		i = net_lower_bound(ix, &t);
		if (i < ix->n && !ip_prefix_cmp(&ix->nets[i].p, &t))
			return &ix->nets[i];
	}
	i = net_lower_bound(ix, p);
	if (i < ix->n && ip_prefix_covers(p, &ix->nets[i].p))
		return &ix->nets[i];
	return NULL;
}

static void net_index_add(struct net_index *ix, const struct m_prefix *p,
			  size_t mesh, const char *field)
{
	uint8_t fam = p->v.addr.family;

	if (!p->set || (fam != IP_V4 && fam != IP_V6) ||
	    p->v.len > ip_bits(fam))
		return;
	ix->nets[ix->n].p = p->v;
	ix->nets[ix->n].mesh = mesh;
	ix->nets[ix->n].field = field;
	ix->n++;
	ix->has_len[fam == IP_V4 ? 0 : 1][p->v.len] = true;
}

static void report_own_lan_overlap(struct vctx *v, const struct v_span *later,
				   const struct v_span *earlier, void *arg)
{
	const struct m_prefix *lp = later->data, *ep = earlier->data;
	const char *node = arg;
	char a[IP_STRLEN], b[IP_STRLEN];

	diag_error(v->d, lp->loc,
		   "lan %s of '%s' overlaps its lan %s (line %u): list each "
		   "network once",
		   ip_prefix_str(&lp->v, a), node, ip_prefix_str(&ep->v, b),
		   ep->loc.line);
}

/* One node's lan entries must be disjoint: the firewall's interval sets
 * hold each network as one range, and the kernel refuses overlapping
 * ranges. */
static void check_own_lan_overlaps(struct vctx *v, size_t node)
{
	const struct m_prefix_list *lan = &v->m->nodes[node].lan;
	struct v_span *spans;
	size_t n = 0;

	if (!lan->items || lan->count < 2)
		return;
	spans = arena_calloc(v->a, lan->count, sizeof(*spans));
	for (size_t k = 0; k < lan->count; k++) {
		if (!lan->items[k].set)
			continue;
		spans[n].p = lan->items[k].v;
		spans[n].group = k;
		spans[n].order = k;
		spans[n].data = &lan->items[k];
		n++;
	}
	v_find_overlaps(v, spans, n, report_own_lan_overlap,
			(void *)v_node_name(v->m, node));
}

/* The underlay must not be inside the overlay: peers would route the
 * tunnel's own packets into the tunnel. */
static void check_endpoint_outside_meshes(struct vctx *v,
					  const struct net_index *ix,
					  size_t node)
{
	const struct m_endpoint *e = &v->m->nodes[node].endpoint;
	const struct net_ref *hit;
	struct ip_prefix host;
	char a[IP_STRLEN], b[IP_STRLEN];

	if (!e->set || !e->host_is_ip)
		return;
	host = ip_host_prefix(&e->ip);
	hit = net_overlapping(ix, &host);
	/* a too-large mesh network has its own error already */
	if (hit && hit->p.len >= MESH_NETWORK_MIN_LEN)
		diag_error(v->d, e->loc,
			   "endpoint %s of '%s' is inside %s %s of mesh '%s': "
			   "the tunnel would carry its own packets",
			   ip_addr_str(&e->ip, a), v_node_name(v->m, node),
			   hit->field, ip_prefix_str(&hit->p, b),
			   v_mesh_name(v->m, hit->mesh));
}

void v_check_lans(struct vctx *v)
{
	struct model *m = v->m;
	struct net_index *ix = arena_alloc(v->a, sizeof(*ix));
	size_t i, k;

	for (i = 0; i < m->n_nodes; i++)
		check_own_lan_overlaps(v, i);
	ix->nets = arena_calloc(v->a, 2 * m->n_meshes + 1, sizeof(*ix->nets));
	for (i = 0; i < m->n_meshes; i++) {
		net_index_add(ix, &m->meshes[i].network, i, "network");
		net_index_add(ix, &m->meshes[i].network6, i, "network6");
	}
	if (!ix->n)
		return;
	qsort(ix->nets, ix->n, sizeof(*ix->nets), net_ref_cmp);
	for (i = 0; i < m->n_nodes; i++) {
		const struct m_prefix_list *lan = &m->nodes[i].lan;

		for (k = 0; lan->items && k < lan->count; k++) {
			const struct m_prefix *p = &lan->items[k];
			const struct net_ref *hit;
			char a[IP_STRLEN], b[IP_STRLEN];
			uint8_t fam = p->v.addr.family;

			if (!p->set || (fam != IP_V4 && fam != IP_V6) ||
			    p->v.len > ip_bits(fam))
				continue;
			hit = net_overlapping(ix, &p->v);
			if (hit)
				diag_error(v->d, p->loc,
					   "lan %s of '%s' overlaps %s %s of "
					   "mesh '%s'",
					   ip_prefix_str(&p->v, a),
					   v_node_name(m, i), hit->field,
					   ip_prefix_str(&hit->p, b),
					   v_mesh_name(m, hit->mesh));
		}
		check_endpoint_outside_meshes(v, ix, i);
	}
}

/* ---- node addresses ---------------------------------------------------- */

/* How an address field is named in messages. */
struct addr_field {
	const char *name;	/* "address" / "address6" */
	const char *net;	/* "network" / "network6" */
};

static const struct addr_field field4 = { "address", "network" };
static const struct addr_field field6 = { "address6", "network6" };

static bool host_bits_all(const struct ip_addr *a, unsigned len, bool ones)
{
	unsigned i;

	for (i = len; i < ip_bits(a->family); i++) {
		bool bit = a->b[i / 8] & (0x80u >> (i % 8));

		if (bit != ones)
			return false;
	}
	return true;
}

static void check_explicit(struct vctx *v, size_t node,
			   const struct m_addr *a, const struct m_prefix *net,
			   const struct addr_field *f)
{
	const struct m_node *n = &v->m->nodes[node];
	const char *mesh = v_mesh_name(v->m, n->mesh_idx);
	char as[IP_STRLEN], ns[IP_STRLEN];
	unsigned bits;

	if (!net->set) {
		/* A missing network is the loader's error; a missing
		 * network6 is only wrong because address6 needs it. */
		if (f == &field6)
			diag_error(v->d, a->loc,
				   "mesh '%s' has no network6 for address6",
				   mesh);
		return;
	}
	ip_addr_str(&a->v, as);
	ip_prefix_str(&net->v, ns);
	if (!ip_prefix_contains(&net->v, &a->v)) {
		diag_error(v->d, a->loc, "%s %s is outside mesh '%s' %s %s",
			   f->name, as, mesh, f->net, ns);
		return;
	}
	/* /31, /32, /127, /128 have no network or broadcast address to
	 * avoid (RFC 3021 point-to-point, or a single host). */
	bits = ip_bits(a->v.family);
	if ((unsigned)net->v.len + 2 > bits)
		return;
	if (host_bits_all(&a->v, net->v.len, false))
		diag_error(v->d, a->loc,
			   "%s %s is the network address of mesh '%s' %s %s",
			   f->name, as, mesh, f->net, ns);
	else if (a->v.family == IP_V4 &&
		 host_bits_all(&a->v, net->v.len, true))
		diag_error(v->d, a->loc,
			   "%s %s is the broadcast address of mesh '%s' %s %s",
			   f->name, as, mesh, f->net, ns);
}

static void derive(struct vctx *v, size_t node, struct m_addr *a,
		   const struct m_prefix *net, const struct addr_field *f)
{
	const struct m_node *n = &v->m->nodes[node];
	char ns[IP_STRLEN];

	if (!net->set || !n->public_key.set)
		return;
	if (!model_derive_address(&net->v, n->public_key.v, &a->v)) {
		diag_error(v->d, n->public_key.loc,
			   "mesh '%s' %s %s is too small to derive an %s for "
			   "'%s'; set %s explicitly",
			   v_mesh_name(v->m, n->mesh_idx), f->net,
			   ip_prefix_str(&net->v, ns), f->name,
			   v_node_name(v->m, node), f->name);
		return;
	}
	a->set = true;
	a->derived = true;
	a->loc = n->public_key.loc;
}

static void check_field(struct vctx *v, size_t node, struct m_addr *a,
			const struct m_prefix *net, const struct addr_field *f)
{
	if (a->set && !a->derived)
		check_explicit(v, node, a, net, f);
	else
		derive(v, node, a, net, f);
}

struct addr_ent {
	const struct m_addr *a;
	const struct addr_field *f;
	size_t node;
};

static void report_collision(struct vctx *v, const struct addr_ent *e,
			     const struct addr_ent *owner)
{
	const struct model *m = v->m;
	char as[IP_STRLEN];

	ip_addr_str(&e->a->v, as);
	if (e->a->derived)
		diag_error(v->d, e->a->loc,
			   "%s derived from the public key of '%s' (%s) "
			   "collides with node '%s'; set %s explicitly",
			   e->f->name, v_node_name(m, e->node), as,
			   v_node_name(m, owner->node), e->f->name);
	else
		diag_error(v->d, e->a->loc,
			   "%s %s is already used by node '%s' (line %u)",
			   e->f->name, as, v_node_name(m, owner->node),
			   owner->a->loc.line);
}

static bool addr_ent_eq(size_t x, size_t y, const void *ctx)
{
	const struct addr_ent *ents = ctx;

	return ip_addr_eq(&ents[x].a->v, &ents[y].a->v);
}

static size_t add_addr_ent(struct addr_ent *ents, size_t n,
			   const struct m_addr *a, const struct addr_field *f,
			   size_t node, bool derived)
{
	if (a->set && a->v.family && a->derived == derived)
		ents[n++] = (struct addr_ent){ a, f, node };
	return n;
}

/* Written addresses first, then derived ones, each in document order:
 * the first holder of an address owns it, and a derived address gives
 * way to a written one. */
static void check_unique_addresses(struct vctx *v)
{
	struct model *m = v->m;
	struct addr_ent *ents = arena_calloc(v->a, 2 * m->n_nodes + 1,
					     sizeof(*ents));
	struct v_dupset seen;
	size_t n = 0, i;

	for (int derived = 0; derived < 2; derived++) {
		for (i = 0; i < m->n_nodes; i++) {
			const struct m_node *nd = &m->nodes[i];

			n = add_addr_ent(ents, n, &nd->address, &field4, i,
					 derived);
			n = add_addr_ent(ents, n, &nd->address6, &field6, i,
					 derived);
		}
	}
	v_dupset_init(v, &seen, n, addr_ent_eq, ents);
	for (i = 0; i < n; i++) {
		const struct ip_addr *ip = &ents[i].a->v;
		size_t owner = v_dupset_add(
			&seen,
			v_dupset_hash(&seen, ip->b, ip_bits(ip->family) / 8),
			i);

		if (owner != SIZE_MAX)
			report_collision(v, &ents[i], &ents[owner]);
	}
}

void v_check_addresses(struct vctx *v)
{
	struct model *m = v->m;
	size_t i;

	for (i = 0; i < m->n_nodes; i++) {
		struct m_node *n = &m->nodes[i];
		const struct m_mesh *mesh;

		if (n->mesh_idx == MODEL_NONE)
			continue;
		mesh = &m->meshes[n->mesh_idx];
		check_field(v, i, &n->address, &mesh->network, &field4);
		check_field(v, i, &n->address6, &mesh->network6, &field6);
	}
	check_unique_addresses(v);
}

/* ---- public keys ------------------------------------------------------- */

static bool key_eq(size_t x, size_t y, const void *ctx)
{
	const struct model *m = ctx;

	return !memcmp(m->nodes[x].public_key.v, m->nodes[y].public_key.v,
		       WG_KEY_LEN);
}

void v_check_keys(struct vctx *v)
{
	struct model *m = v->m;
	struct v_dupset seen;

	v_dupset_init(v, &seen, m->n_nodes, key_eq, m);
	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct m_key *k = &m->nodes[i].public_key;
		size_t owner;

		if (!k->set)
			continue;
		owner = v_dupset_add(&seen,
				     v_dupset_hash(&seen, k->v, WG_KEY_LEN), i);
		if (owner != SIZE_MAX)
			diag_error(v->d, k->loc,
				   "public_key is already used by node '%s' "
				   "(line %u)",
				   v_node_name(m, owner),
				   m->nodes[owner].public_key.loc.line);
	}
}
