/* grants.c - limited local_network grants name places inside the lan.
 *
 * A `to` outside every lan prefix of the granting node would open
 * nothing on that node (its firewall only forwards into its lan) and
 * reads like a grant of something else: an error at the value.  Mesh
 * defaults apply to every member whose own default is silent, so their
 * `to` is checked against each such member's lan.
 */
#include "validate/internal.h"

#include "base/strbuf.h"

static bool in_lan(const struct m_node *n, const struct ip_prefix *p)
{
	for (size_t i = 0; i < n->lan.count; i++)
		if (ip_prefix_covers(&n->lan.items[i].v, p))
			return true;
	return false;
}

/* A host as its address, a network as a prefix. */
static const char *to_text(const struct ip_prefix *p, char buf[IP_STRLEN])
{
	if (p->len == ip_bits(p->addr.family))
		return ip_addr_str(&p->addr, buf);
	return ip_prefix_str(p, buf);
}

static void lan_text(struct strbuf *sb, const struct m_node *n)
{
	char buf[IP_STRLEN];

	for (size_t i = 0; i < n->lan.count; i++)
		strbuf_printf(sb, "%s%s", i ? ", " : "",
			      ip_prefix_str(&n->lan.items[i].v, buf));
}

static void check_entries(struct vctx *v, size_t node,
			  const struct m_grant_flag *g)
{
	const struct m_node *n = &v->m->nodes[node];
	char buf[IP_STRLEN];

	if (!g->limited || !model_node_managed(n))
		return;		/* unmanaged: the grant itself is the error */
	for (size_t i = 0; i < g->n_lan; i++) {
		const struct m_prefix *to = &g->lan[i].to;
		struct strbuf lans = STRBUF_INIT;

		if (!to->set || in_lan(n, &to->v))
			continue;
		if (!n->lan.count) {
			diag_error(v->d, to->loc,
				   "to: %s is not in the lan of node '%s': it "
				   "has no lan; add lan: [...] to it or remove "
				   "this entry",
				   to_text(&to->v, buf),
				   v_node_name(v->m, node));
			continue;
		}
		lan_text(&lans, n);
		diag_error(v->d, to->loc,
			   "to: %s is not in the lan of node '%s' (%s): a "
			   "local_network entry names a host or network "
			   "inside it",
			   to_text(&to->v, buf), v_node_name(v->m, node),
			   strbuf_str(&lans));
		strbuf_free(&lans);
	}
}

void v_check_grants(struct vctx *v)
{
	const struct model *m = v->m;

	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct m_node *n = &m->nodes[i];
		const struct m_permissions *p = &n->permissions;

		check_entries(v, i, &p->def.local_network);
		for (size_t j = 0; p->grants && j < p->n_grants; j++)
			check_entries(v, i, &p->grants[j].flags.local_network);
		if (n->mesh_idx != MODEL_NONE && !p->def.local_network.b.set)
			check_entries(v, i,
				      &m->meshes[n->mesh_idx]
					       .defaults.local_network);
	}
}
