/* compile.c - resolved model + node -> plan.
 *
 * The plan is the node's complete desired state.  This file builds the
 * interface and the sysctls and drives the other parts (peers.c: WireGuard
 * peers and routes, firewall.c: spec rules 2-7 as data).
 */
#include "compile/internal.h"

#include <stdlib.h>
#include <string.h>

static int cmp_size(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;

	return a < b ? -1 : a > b;
}

/* Peers are the other members of the node's mesh plus its link partners
 * (validation made links cross meshes, so the two lists are disjoint);
 * with a list of candidates (compile_node_peers), those of them that are
 * peers, at the cost of the list, not of the mesh. */
static void collect_peers(struct compile_ctx *c)
{
	const struct m_mesh *mesh = &c->m->meshes[c->node->mesh_idx];
	size_t n = 0, max = c->only ? c->n_only
				    : mesh->n_members + c->node->n_linked;

	c->peers = arena_calloc(c->arena, max ? max : 1, sizeof(*c->peers));
	if (c->only) {
		for (size_t i = 0; i < c->n_only; i++)
			if (model_are_peers(c->m, c->self, c->only[i]))
				c->peers[n++] = c->only[i];
	} else {
		for (size_t i = 0; i < mesh->n_members; i++)
			if (mesh->members[i] != c->self)
				c->peers[n++] = mesh->members[i];
		for (size_t i = 0; i < c->node->n_linked; i++)
			c->peers[n++] = c->node->linked[i];
	}
	qsort(c->peers, n, sizeof(*c->peers), cmp_size);
	c->n_peers = n;
	c->grants = arena_calloc(c->arena, n ? n : 1, sizeof(*c->grants));
	c->relayed = arena_calloc(c->arena, n ? n : 1, sizeof(*c->relayed));
	for (size_t i = 0; i < n; i++) {
		c->grants[i] = model_permissions(c->m, c->self, c->peers[i]);
		c->relayed[i] = model_relayed(c->m, c->self, c->peers[i]);
	}
}

size_t *compile_peer_order(struct compile_ctx *c,
			   int (*cmp)(const void *, const void *, void *))
{
	size_t *order = arena_calloc(c->arena, c->n_peers + 1, sizeof(*order));
	bool sorted = true;

	for (size_t i = 0; i < c->n_peers; i++) {
		order[i] = i;
		if (i && cmp(&order[i - 1], &order[i], c) > 0)
			sorted = false;
	}
	if (!sorted)
		qsort_r(order, c->n_peers, sizeof(*order), cmp, c);
	return order;
}

static void add_address(struct compile_ctx *c, const struct m_addr *addr)
{
	struct plan_interface *ifc = &c->plan->iface;
	struct plan_address *pa;

	if (!addr->set)
		return;
	pa = arena_push(c->arena, &ifc->addresses, &ifc->n_addresses,
			&c->cap_addresses, sizeof(*pa));
	pa->addr = ip_host_prefix(&addr->v);
	pa->loc = addr->loc;
}

/* mtu and dns: the node's, else its mesh's (model_node_mtu/_dns). */
static void compile_link_settings(struct compile_ctx *c)
{
	struct plan_interface *ifc = &c->plan->iface;
	const struct m_uint *mtu = model_node_mtu(c->m, c->node);
	const struct m_dns_list *dns = model_node_dns(c->m, c->node);
	size_t n = dns ? dns->count : 0;

	if (mtu) {
		ifc->mtu = mtu->v;
		ifc->mtu_loc = mtu->loc;
	}
	ifc->dns = arena_calloc(c->arena, n ? n : 1, sizeof(*ifc->dns));
	for (size_t i = 0; i < n; i++) {
		const struct m_dns *e = &dns->items[i];
		char buf[IP_STRLEN];

		/* one spelling per address, so documents compare */
		if (e->is_ip)
			ifc->dns[i].entry =
				arena_strdup(c->arena, ip_addr_str(&e->ip, buf));
		else
			ifc->dns[i].entry = e->v;
		ifc->dns[i].loc = e->loc;
	}
	ifc->n_dns = n;
}

static void compile_interface(struct compile_ctx *c)
{
	struct plan_interface *ifc = &c->plan->iface;
	const struct m_node *n = c->node;

	ifc->name = model_node_interface(c->m, n);
	ifc->listen_port = model_node_listen_port(c->m, n);
	ifc->private_key_file = model_node_private_key_file(n);
	memcpy(ifc->public_key, n->public_key.b64, WG_KEY_B64_LEN);
	ifc->public_key[WG_KEY_B64_LEN] = '\0';
	ifc->loc = n->loc;
	add_address(c, &n->address);
	add_address(c, &n->address6);
	ifc->policy_mark = plan_policy_mark(ifc->name);
	if (n->exit_idx != MODEL_NONE)
		ifc->fwmark = ifc->policy_mark;
	compile_link_settings(c);
}

static void add_sysctl(struct compile_ctx *c, const char *key,
		       const char *value, const char *why, struct loc loc)
{
	struct plan_sysctl *s = arena_push(c->arena, &c->plan->sysctls,
					   &c->plan->n_sysctls,
					   &c->cap_sysctls, sizeof(*s));

	s->key = key;
	s->value = value;
	s->why = why;
	s->loc = loc;
}

/* The loc of the first grant that makes this node forward. */
static bool first_forwarding_grant(const struct compile_ctx *c,
				   struct loc *loc)
{
	for (size_t i = 0; i < c->n_peers; i++) {
		if (c->grants[i].routing.v) {
			*loc = c->grants[i].routing.loc;
			return true;
		}
		if (c->grants[i].local_network.v) {
			*loc = c->grants[i].local_network.loc;
			return true;
		}
	}
	return false;
}

#define FORWARD_WHY "peers route or reach the lan through this node"
#define RELAY_WHY "relays between peers without endpoints"

/* A relay forwards between the nodes that use it: the loc is the first
 * user's relay key (its own, else its mesh's). */
static bool relay_loc(const struct compile_ctx *c, struct loc *loc)
{
	const struct m_node *n = c->node;
	const struct m_node *u;

	if (!n->n_relay_users)
		return false;
	u = &c->m->nodes[n->relay_users[0]];
	*loc = u->relay.set ? u->relay.loc : c->m->meshes[u->mesh_idx].relay.loc;
	return true;
}

/* Forwarding exactly when some peer may route through this node or reach
 * its lan; src_valid_mark for the exit-node fwmark routing, as wg-quick. */
static void compile_sysctls(struct compile_ctx *c)
{
	const struct m_node *n = c->node;
	enum platform pf = c->plan->platform;
	struct loc loc;

	const char *why = FORWARD_WHY;
	bool on;

	c->plan->forwards = first_forwarding_grant(c, &loc);
	on = c->plan->forwards;
	/* A relay forwards too, but NATs nothing: forwards stays false. */
	if (!on && relay_loc(c, &loc)) {
		on = true;
		why = RELAY_WHY;
	}
	if (on && (pf == PLATFORM_LINUX || pf == PLATFORM_MACOS)) {
		/* the same two switches, named per kernel */
		bool is_linux = pf == PLATFORM_LINUX;

		add_sysctl(c, is_linux ? "net.ipv4.ip_forward"
				    : "net.inet.ip.forwarding",
			   "1", why, loc);
		if (n->address6.set)
			add_sysctl(c, is_linux ? "net.ipv6.conf.all.forwarding"
					    : "net.inet6.ip6.forwarding",
				   "1", why, loc);
	}
	if (n->exit_idx != MODEL_NONE && pf == PLATFORM_LINUX)
		add_sysctl(c, "net.ipv4.conf.all.src_valid_mark", "1",
			   "exit node: policy routing on the WireGuard fwmark",
			   n->exit_node.loc);
}

static struct plan *compile(struct arena *a, const struct model *m,
			     size_t node_idx, const size_t *only,
			     size_t n_only)
{
	struct compile_ctx c = {
		.arena = a,
		.m = m,
		.self = node_idx,
		.node = &m->nodes[node_idx],
		.only = only,
		.n_only = n_only,
	};
	struct plan *p = arena_alloc(a, sizeof(*p));
	const struct m_node *n = c.node;

	c.plan = p;
	p->document = m->file;
	p->node = n->name.v;
	p->mesh = m->meshes[n->mesh_idx].name.v;
	p->platform = model_node_platform(n);
	p->node_loc = n->loc;
	if (n->exit_idx != MODEL_NONE)
		p->exit_node = m->nodes[n->exit_idx].name.v;
	collect_peers(&c);
	compile_interface(&c);
	compile_peers(&c);
	compile_routes(&c);
	compile_sysctls(&c);
	compile_firewall(&c);
	plan_sort(p);
	return p;
}

struct plan *compile_node(struct arena *a, const struct model *m,
			  size_t node_idx)
{
	return compile(a, m, node_idx, NULL, 0);
}

struct plan *compile_node_peers(struct arena *a, const struct model *m,
				size_t node_idx, const size_t *only,
				size_t n_only)
{
	static const size_t none;

	return compile(a, m, node_idx, only ? only : &none, n_only);
}
