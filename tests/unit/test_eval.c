/* Unit tests of src/eval: the firewall interpreter and the reachability
 * walk, first over plans built by hand (so the evaluator is tested apart
 * from the compiler), then through the real pipeline on the seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"
#include "eval/eval.h"
#include "load/load.h"
#include "validate/validate.h"

/* plan_policy_mark("meshy"): the exit-node mark and table of meshy */
#define MARK_Y 0x4d43491fu

/* ---- hand-built model and plans ---------------------------------------- *
 *
 * The seed's shape: mesh x = {a, b}, mesh y = {c}, link c-b; b has lan
 * 192.168.2.0/24, grants c routing and a local_network; c uses b as exit
 * node.  Document lines are made up but distinct, so a test can tell
 * which one an answer names.
 */
enum { A, B, C, N_NODES };
enum {
	L_NET_X = 5, L_NET_Y = 9, L_ADDR_A = 14, L_ADDR_B = 20, L_LAN_B = 22,
	L_PERM_B = 25, L_GRANT_C = 27, L_GRANT_A = 28, L_ADDR_C = 31,
	L_EXIT_C = 33, L_NODE_A = 12, L_NODE_B = 18, L_NODE_C = 30,
	L_DEFAULT_B = 26,
};

struct hand {
	struct arena a;
	struct model m;
	struct plan *plans[N_NODES];
	unsigned asked[N_NODES];	/* get_plan calls per node */
};

static struct loc at(unsigned line)
{
	return (struct loc){ "t.yaml", line, 3 };
}

static struct ip_addr ip(const char *s)
{
	struct ip_addr a;
	const char *why;

	assert_int_equal(ip_addr_parse(s, &a, &why), 0);
	return a;
}

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;
	const char *why;

	assert_int_equal(ip_prefix_parse(s, &p, &why), 0);
	return p;
}

static struct plan *hand_get_plan(void *ctx, size_t idx)
{
	struct hand *h = ctx;

	h->asked[idx]++;
	return h->plans[idx];
}

static void hand_model(struct hand *h)
{
	struct model *m = &h->m;
	static const char *const names[N_NODES] = { "a", "b", "c" };
	static const char *const addrs[N_NODES] = { "100.64.0.1", "100.64.0.2",
						    "100.64.1.3" };
	static const unsigned addr_lines[N_NODES] = { L_ADDR_A, L_ADDR_B,
						      L_ADDR_C };
	static const unsigned node_lines[N_NODES] = { L_NODE_A, L_NODE_B,
						      L_NODE_C };
	struct m_node *b;

	m->file = "t.yaml";
	m->n_meshes = 2;
	m->meshes = arena_calloc(&h->a, 2, sizeof(*m->meshes));
	m->meshes[0].name.v = "x";
	m->meshes[0].network = (struct m_prefix){ pfx("100.64.0.0/24"), true,
						  at(L_NET_X) };
	m->meshes[1].name.v = "y";
	m->meshes[1].network = (struct m_prefix){ pfx("100.64.1.0/24"), true,
						  at(L_NET_Y) };
	m->n_nodes = N_NODES;
	m->nodes = arena_calloc(&h->a, N_NODES, sizeof(*m->nodes));
	strmap_init(&m->node_index, &h->a);
	for (size_t i = 0; i < N_NODES; i++) {
		struct m_node *n = &m->nodes[i];

		n->name = (struct m_str){ names[i], true, at(node_lines[i]) };
		n->loc = at(node_lines[i]);
		n->address.v = ip(addrs[i]);
		n->address.set = true;
		n->address.loc = at(addr_lines[i]);
		n->mesh_idx = i == C ? 1 : 0;
		n->exit_idx = MODEL_NONE;
		strmap_put(&m->node_index, names[i], i);
	}
	b = &m->nodes[B];
	b->endpoint.set = true;	/* as in the seed: a and c reach b */
	b->endpoint.loc = at(L_NODE_B + 1);
	b->lan.count = 1;
	b->lan.set = true;
	b->lan.items = arena_calloc(&h->a, 1, sizeof(*b->lan.items));
	b->lan.items[0] = (struct m_prefix){ pfx("192.168.2.0/24"), true,
					     at(L_LAN_B) };
	b->n_linked = 1;
	b->linked = arena_calloc(&h->a, 1, sizeof(size_t));
	b->linked[0] = C;
	m->nodes[C].n_linked = 1;
	m->nodes[C].linked = arena_calloc(&h->a, 1, sizeof(size_t));
	m->nodes[C].linked[0] = B;
	m->nodes[C].exit_idx = B;
	m->resolved = true;
}

/* Array builders: every plan array gets room for `max` items up front. */
#define MAX_ITEMS 32

static void *items(struct hand *h, size_t size)
{
	return arena_calloc(&h->a, MAX_ITEMS, size);
}

static void add_peer(struct hand *h, struct plan *p, const char *name,
		     const char *const *allowed, const unsigned *lines)
{
	struct plan_peer *peer = &p->peers[p->n_peers++];

	peer->name = name;
	peer->allowed_ips = items(h, sizeof(*peer->allowed_ips));
	for (size_t i = 0; allowed[i]; i++) {
		struct plan_allowed_ip *ipa =
			&peer->allowed_ips[peer->n_allowed_ips++];

		ipa->prefix = pfx(allowed[i]);
		ipa->why = ipa->prefix.len ? ALLOWED_MESH_ADDRESS
					   : ALLOWED_EXIT_NODE;
		ipa->loc = at(lines[i]);
	}
}

static void add_route(struct plan *p, const char *dst, uint32_t table,
		      unsigned line)
{
	struct plan_route *r = &p->routes[p->n_routes++];

	r->dst = pfx(dst);
	r->table = table;
	r->dev = p->iface.name;
	r->why = "test route";
	r->loc = at(line);
}

static void add_elem(struct plan *p, enum fw_set_id id, const char *prefix,
		     const char *why, unsigned line)
{
	struct ip_prefix x = pfx(prefix);
	struct fw_set *s = &p->fw.sets[id][x.addr.family == IP_V6];

	s->elems[s->n_elems++] = (struct fw_elem){ .prefix = x, .why = why, .loc = at(line) };
}

#define NOSET .saddr_set = FW_SET_NONE, .daddr_set = FW_SET_NONE

static void add_rule(struct plan *p, struct fw_rule r)
{
	p->fw.rules[p->fw.n_rules++] = r;
}

/* The rule set every hand plan carries: independent of the compiler's,
 * but in the same spirit (dispatch on the interface, then sets). */
static void standard_rules(struct plan *p)
{
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_INPUT,
				      .iif = FW_IF_MESH, NOSET,
				      .verdict = FW_JUMP,
				      .target = FW_CHAIN_MESH_INPUT,
				      .id = "mesh-input" });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT,
				      .ct_established = true, NOSET,
				      .verdict = FW_ACCEPT, .id = "replies" });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT,
				      .saddr_set = FW_SET_INCOMING,
				      .daddr_set = FW_SET_SELF,
				      .verdict = FW_ACCEPT, .spec_rule = 6,
				      .id = "incoming",
				      .comment = "granted incoming",
				      .loc = at(L_PERM_B) });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT, NOSET,
				      .verdict = FW_DROP, .spec_rule = 6,
				      .id = "input-drop",
				      .comment = "no incoming grant",
				      .loc = at(L_PERM_B) });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_FORWARD,
				      .iif = FW_IF_MESH, NOSET,
				      .verdict = FW_JUMP,
				      .target = FW_CHAIN_FROM_MESH,
				      .id = "from-mesh" });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_FORWARD,
				      .oif = FW_IF_MESH, NOSET,
				      .verdict = FW_JUMP,
				      .target = FW_CHAIN_TO_MESH,
				      .id = "to-mesh" });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
				      .saddr_set = FW_SET_NONE,
				      .daddr_set = FW_SET_MESH,
				      .verdict = FW_DROP, .spec_rule = 2,
				      .id = "no-mesh-transit",
				      .comment = "no mesh transit",
				      .loc = at(L_NODE_B) });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
				      .saddr_set = FW_SET_LAN_ACCESS,
				      .daddr_set = FW_SET_LAN,
				      .verdict = FW_ACCEPT, .spec_rule = 3,
				      .id = "lan-access",
				      .comment = "granted local_network",
				      .loc = at(L_LAN_B) });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
				      .saddr_set = FW_SET_NONE,
				      .daddr_set = FW_SET_LAN,
				      .verdict = FW_DROP, .spec_rule = 3,
				      .id = "lan-drop",
				      .comment = "lan only with local_network",
				      .loc = at(L_LAN_B) });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
				      .saddr_set = FW_SET_NONE,
				      .daddr_set = FW_SET_PRIVATE,
				      .verdict = FW_DROP, .spec_rule = 3,
				      .id = "no-private",
				      .comment = "no private ranges",
				      .loc = at(L_NODE_B) });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
				      .oif = FW_IF_UPLINK,
				      .saddr_set = FW_SET_ROUTING,
				      .daddr_set = FW_SET_NONE,
				      .verdict = FW_ACCEPT, .spec_rule = 4,
				      .id = "routing",
				      .comment = "granted routing",
				      .loc = at(L_PERM_B) });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH, NOSET,
				      .verdict = FW_DROP, .spec_rule = 4,
				      .id = "forward-drop",
				      .comment = "no routing grant",
				      .loc = at(L_PERM_B) });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_TO_MESH, NOSET,
				      .verdict = FW_DROP, .spec_rule = 5,
				      .id = "to-mesh-drop" });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_POSTROUTING,
				      .oif = FW_IF_UPLINK,
				      .saddr_set = FW_SET_ROUTING,
				      .daddr_set = FW_SET_NONE,
				      .verdict = FW_MASQUERADE, .spec_rule = 4,
				      .id = "masquerade",
				      .comment = "masquerade routed peers" });
}

static struct plan *new_plan(struct hand *h, size_t idx, const char *iface)
{
	struct plan *p = arena_alloc(&h->a, sizeof(*p));
	const struct m_node *n = &h->m.nodes[idx];
	char buf[IP_STRLEN];

	p->document = "t.yaml";
	p->node = n->name.v;
	p->node_loc = n->loc;
	p->iface.name = iface;
	p->iface.addresses = items(h, sizeof(*p->iface.addresses));
	p->iface.addresses[0].addr = ip_host_prefix(&n->address.v);
	p->iface.addresses[0].loc = n->address.loc;
	p->iface.n_addresses = 1;
	p->peers = items(h, sizeof(*p->peers));
	p->routes = items(h, sizeof(*p->routes));
	p->rules = items(h, sizeof(*p->rules));
	p->sysctls = items(h, sizeof(*p->sysctls));
	p->fw.iface = iface;
	p->fw.rules = items(h, sizeof(*p->fw.rules));
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < 2; f++) {
			p->fw.sets[id][f].elems =
				items(h, sizeof(struct fw_elem));
			p->fw.sets[id][f].name =
				fw_set_name(id, f ? IP_V6 : IP_V4);
			p->fw.sets[id][f].family = f ? IP_V6 : IP_V4;
		}
	add_elem(p, FW_SET_MESH, "100.64.0.0/24", "mesh x", L_NET_X);
	add_elem(p, FW_SET_MESH, "100.64.1.0/24", "mesh y", L_NET_Y);
	add_elem(p, FW_SET_PRIVATE, "10.0.0.0/8", "private (RFC 1918)", 0);
	add_elem(p, FW_SET_PRIVATE, "192.168.0.0/16", "private (RFC 1918)", 0);
	add_elem(p, FW_SET_PRIVATE, "100.64.0.0/10", "shared", 0);
	ip_prefix_str(&p->iface.addresses[0].addr, buf);
	add_elem(p, FW_SET_SELF, buf, n->name.v, n->address.loc.line);
	standard_rules(p);
	return p;
}

static int hand_setup(void **state)
{
	static struct hand h;
	struct plan *a, *b, *c;

	memset(&h, 0, sizeof(h));
	arena_init(&h.a);
	hand_model(&h);

	a = h.plans[A] = new_plan(&h, A, "meshx");
	add_peer(&h, a, "b", (const char *const[]){ "100.64.0.2/32", NULL },
		 (const unsigned[]){ L_ADDR_B });
	add_route(a, "100.64.0.0/24", MESHC_MAIN_TABLE, L_NET_X);
	add_elem(a, FW_SET_INCOMING, "100.64.0.2/32", "b", L_NODE_A);

	b = h.plans[B] = new_plan(&h, B, "meshx");
	b->fw.uplink = "eth0";
	{
		struct fw_elem *e = arena_calloc(&h.a, 1, sizeof(*e));

		e->ifname = "eth0";
		b->fw.sets[FW_SET_UPLINK][0].elems = e;
		b->fw.sets[FW_SET_UPLINK][0].n_elems = 1;
	}
	b->forwards = true;
	add_peer(&h, b, "a", (const char *const[]){ "100.64.0.1/32", NULL },
		 (const unsigned[]){ L_ADDR_A });
	add_peer(&h, b, "c", (const char *const[]){ "100.64.1.3/32", NULL },
		 (const unsigned[]){ L_ADDR_C });
	add_route(b, "100.64.0.0/24", MESHC_MAIN_TABLE, L_NET_X);
	add_route(b, "100.64.1.0/24", MESHC_MAIN_TABLE, L_NET_Y);
	b->sysctls[b->n_sysctls++] = (struct plan_sysctl){
		"net.ipv4.ip_forward", "1", "peers route", at(L_GRANT_C) };
	add_elem(b, FW_SET_LAN, "192.168.2.0/24", "lan", L_LAN_B);
	add_elem(b, FW_SET_INCOMING, "100.64.0.1/32", "a", L_DEFAULT_B);
	add_elem(b, FW_SET_INCOMING, "100.64.1.3/32", "c", L_DEFAULT_B);
	add_elem(b, FW_SET_ROUTING, "100.64.1.3/32", "c", L_GRANT_C);
	add_elem(b, FW_SET_LAN_ACCESS, "100.64.0.1/32", "a", L_GRANT_A);

	c = h.plans[C] = new_plan(&h, C, "meshy");
	add_peer(&h, c, "b",
		 (const char *const[]){ "100.64.0.2/32", "0.0.0.0/0", NULL },
		 (const unsigned[]){ L_ADDR_B, L_EXIT_C });
	add_route(c, "100.64.0.0/24", MESHC_MAIN_TABLE, L_NET_X);
	c->iface.policy_mark = MARK_Y;
	add_route(c, "0.0.0.0/0", MARK_Y, L_EXIT_C);
	c->rules[c->n_rules++] = (struct plan_rule){
		.family = IP_V4, .priority = MESHC_RULE_PRIO_TABLE,
		.table = MARK_Y, .fwmark = MARK_Y,
		.invert = true, .suppress_prefixlen = -1, .loc = at(L_EXIT_C) };
	add_elem(c, FW_SET_INCOMING, "100.64.0.2/32", "b", L_NODE_C);

	*state = &h;
	return 0;
}

static int hand_teardown(void **state)
{
	struct hand *h = *state;

	arena_free(&h->a);
	return 0;
}

static struct eval_result reach(struct hand *h, size_t from, const char *to)
{
	struct eval_target t;
	struct eval_result r;
	const char *why;

	assert_int_equal(eval_target_parse(&h->a, &h->m, to, &t, &why), 0);
	assert_int_equal(eval_reach(&h->a, &h->m, from, &t, hand_get_plan, h,
				    &r),
			 0);
	assert_non_null(r.summary);
	assert_true(r.n_steps > 0);
	return r;
}

static bool has_step(const struct eval_result *r, const char *needle)
{
	for (size_t i = 0; i < r->n_steps; i++)
		if (strstr(r->steps[i].text, needle))
			return true;
	return false;
}

/* ---- the firewall interpreter ----------------------------------------- */

static struct eval_packet packet(const char *s, const char *d,
				 enum eval_if iif, enum eval_if oif)
{
	return (struct eval_packet){ ip(s), ip(d), iif, oif, { SVC_TCP, 1, 1 } };
}

static void test_fw_jump_returns_and_policy_accepts(void **state)
{
	struct hand *h = *state;
	struct eval_fw_trace t;
	/* From the lan to the internet: the forward chain's jumps do not
	 * match, the base chain ends, policy accept (rule 7). */
	struct eval_packet pkt = packet("192.168.2.7", "192.0.2.1",
					EVAL_IF_LAN, EVAL_IF_UPLINK);

	assert_int_equal(eval_fw_run(&h->a, h->plans[B], FW_CHAIN_FORWARD,
				     &pkt, &t),
			 0);
	assert_true(t.accept);
	assert_null(t.decider);
	assert_int_equal(t.n_hits, 0);
}

static void test_fw_jump_target_decides(void **state)
{
	struct hand *h = *state;
	struct eval_fw_trace t;
	struct eval_packet pkt = packet("100.64.1.3", "100.64.0.1",
					EVAL_IF_MESH, EVAL_IF_MESH);

	assert_int_equal(eval_fw_run(&h->a, h->plans[B], FW_CHAIN_FORWARD,
				     &pkt, &t),
			 0);
	assert_false(t.accept);
	assert_non_null(t.decider);
	assert_string_equal(t.decider->rule->id, "no-mesh-transit");
	assert_non_null(t.decider->daddr_elem);
	assert_int_equal(t.decider->daddr_elem->loc.line, L_NET_X);
	/* jump from-mesh, then the drop */
	assert_int_equal(t.n_hits, 2);
	assert_string_equal(t.hits[0].rule->id, "from-mesh");
}

static void test_fw_ct_established_never_matches(void **state)
{
	struct hand *h = *state;
	struct eval_fw_trace t;
	/* The replies rule comes first in mesh_input; a new connection
	 * from a peer without incoming must still be dropped. */
	struct eval_packet pkt = packet("100.64.0.99", "100.64.0.2",
					EVAL_IF_MESH, EVAL_IF_NONE);

	assert_int_equal(eval_fw_run(&h->a, h->plans[B], FW_CHAIN_INPUT, &pkt,
				     &t),
			 0);
	assert_false(t.accept);
	assert_string_equal(t.decider->rule->id, "input-drop");
	assert_non_null(t.near_miss);
	assert_string_equal(t.near_miss->id, "incoming");
}

/* The output chain's rule drops TCP segments that would start a
 * conntrack entry without a SYN; a check or explain packet opens a
 * connection with one, so the rule never decides it and the base chain
 * ends in policy accept: the node's own traffic into the mesh passes. */
static void test_fw_tcp_pickup_never_matches(void **state)
{
	struct hand *h = *state;
	struct plan *p = h->plans[B];
	struct eval_fw_trace t;
	struct eval_packet pkt = packet("100.64.0.2", "100.64.0.1",
					EVAL_IF_NONE, EVAL_IF_MESH);

	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_OUTPUT,
				      .oif = FW_IF_MESH, .tcp_pickup = true,
				      NOSET, .verdict = FW_DROP,
				      .spec_rule = 6, .id = "no-pickup" });
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_OUTPUT, &pkt, &t), 0);
	assert_true(t.accept);
	assert_null(t.decider);
	assert_int_equal(t.n_hits, 0);
	/* the same rule without the pickup match would drop it */
	p->fw.rules[p->fw.n_rules - 1].tcp_pickup = false;
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_OUTPUT, &pkt, &t), 0);
	assert_false(t.accept);
	assert_string_equal(t.decider->rule->id, "no-pickup");
}

static void test_fw_family_mismatch_skips_rule(void **state)
{
	struct hand *h = *state;
	struct plan *p = h->plans[A];
	struct eval_fw_trace t;
	struct eval_packet pkt = packet("fd00::1", "fd00::2", EVAL_IF_MESH,
					EVAL_IF_NONE);
	size_t n = p->fw.n_rules;

	/* An IPv4-only drop ahead of everything must not touch IPv6. */
	memmove(&p->fw.rules[1], &p->fw.rules[0], n * sizeof(*p->fw.rules));
	p->fw.rules[0] = (struct fw_rule){ .chain = FW_CHAIN_INPUT,
					   .family = IP_V4, NOSET,
					   .verdict = FW_DROP, .id = "v4" };
	p->fw.n_rules = n + 1;
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_INPUT, &pkt, &t), 0);
	assert_string_equal(t.decider->rule->id, "input-drop");
	pkt = packet("100.64.0.2", "100.64.0.1", EVAL_IF_MESH, EVAL_IF_NONE);
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_INPUT, &pkt, &t), 0);
	assert_string_equal(t.decider->rule->id, "v4");
}

static void test_fw_jump_loop_is_an_error(void **state)
{
	struct hand *h = *state;
	struct plan *p = h->plans[A];
	struct eval_fw_trace t;
	struct eval_packet pkt = packet("100.64.0.2", "100.64.0.1",
					EVAL_IF_MESH, EVAL_IF_NONE);

	p->fw.n_rules = 0;
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_INPUT, NOSET,
				      .verdict = FW_JUMP,
				      .target = FW_CHAIN_MESH_INPUT });
	add_rule(p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT, NOSET,
				      .verdict = FW_JUMP,
				      .target = FW_CHAIN_INPUT });
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_INPUT, &pkt, &t),
			 -ELOOP);
}

/* The way out is the set uplinks: the internet's interface matches it,
 * a lan interface does not (named uplink or not); compiled without an
 * uplink, the default route's interface (not known yet) still counts;
 * read back empty (no default route), nothing leaves. */
static void test_fw_uplink_is_the_set_uplinks(void **state)
{
	struct hand *h = *state;
	struct plan *p = h->plans[B];
	struct eval_fw_trace t;
	struct eval_packet lan = packet("100.64.1.3", "192.168.2.9",
					EVAL_IF_MESH, EVAL_IF_LAN);
	struct eval_packet net = packet("100.64.1.3", "192.52.193.10",
					EVAL_IF_MESH, EVAL_IF_UPLINK);

	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_POSTROUTING, &lan,
				     &t),
			 0);
	assert_null(t.decider);
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_POSTROUTING, &net,
				     &t),
			 0);
	assert_non_null(t.decider);
	assert_int_equal(t.decider->rule->verdict, FW_MASQUERADE);
	/* as compiled without an uplink: apply fills the set */
	p->fw.uplink = NULL;
	p->fw.sets[FW_SET_UPLINK][0].n_elems = 0;
	p->fw.live_pending = true;
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_POSTROUTING, &lan,
				     &t),
			 0);
	assert_null(t.decider);
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_POSTROUTING, &net,
				     &t),
			 0);
	assert_non_null(t.decider);
	/* as read by apply on a node without a default route */
	p->fw.live_pending = false;
	assert_int_equal(eval_fw_run(&h->a, p, FW_CHAIN_POSTROUTING, &net,
				     &t),
			 0);
	assert_null(t.decider);
}

/* ---- targets ------------------------------------------------------------ */

static void test_target_forms(void **state)
{
	struct hand *h = *state;
	struct eval_target t;
	const char *why;
	char buf[IP_STRLEN];

	assert_int_equal(eval_target_parse(&h->a, &h->m, "b", &t, &why), 0);
	assert_int_equal(t.kind, EVAL_TO_NODE);
	assert_string_equal(ip_addr_str(&t.addr, buf), "100.64.0.2");
	assert_int_equal(t.loc.line, L_ADDR_B);

	assert_int_equal(eval_target_parse(&h->a, &h->m, "lan:b", &t, &why),
			 0);
	assert_int_equal(t.kind, EVAL_TO_LAN);
	assert_string_equal(ip_addr_str(&t.addr, buf), "192.168.2.1");

	assert_int_equal(eval_target_parse(&h->a, &h->m, "internet", &t,
					   &why),
			 0);
	assert_string_equal(ip_addr_str(&t.addr, buf), EVAL_INTERNET_PROBE);

	assert_int_equal(eval_target_parse(&h->a, &h->m, "fd00::7", &t, &why),
			 0);
	assert_int_equal(t.addr.family, IP_V6);

	assert_int_equal(eval_target_parse(&h->a, &h->m, "lan:a", &t, &why),
			 -1);
	assert_non_null(strstr(why, "has no lan"));
	assert_int_equal(eval_target_parse(&h->a, &h->m, "lan:q", &t, &why),
			 -1);
	assert_int_equal(eval_target_parse(&h->a, &h->m, "q", &t, &why), -1);
	assert_non_null(strstr(why, "'q'"));
}

/* ---- the walk over hand-built plans ------------------------------------ */

static void test_hand_transit_dropped_at_forwarder(void **state)
{
	struct eval_result r = reach(*state, C, "a");

	assert_false(r.allow);
	assert_string_equal(r.deciding_node, "b");
	assert_non_null(r.deciding_rule);
	assert_int_equal(r.deciding_rule->spec_rule, 2);
	/* the mesh set element (mesh x's network line), not the rule's */
	assert_int_equal(r.deciding_loc.line, L_NET_X);
	assert_true(!strncmp(r.summary, "deny: c cannot reach a", 22));
	assert_non_null(strstr(r.summary, "(spec rule 2; t.yaml:5)"));
	assert_true(has_step(&r, "route 100.64.0.0/24 dev meshy"));
	assert_true(has_step(&r, "WireGuard sends it to peer b"));
}

static void test_hand_internet_via_exit_node(void **state)
{
	struct eval_result r = reach(*state, C, "internet");

	assert_true(r.allow);
	assert_string_equal(r.deciding_node, "b");
	assert_string_equal(r.deciding_rule->id, "routing");
	/* the grant line of c's routing, from the routing4 element */
	assert_int_equal(r.deciding_loc.line, L_GRANT_C);
	assert_non_null(strstr(r.reason, "masqueraded"));
	assert_true(has_step(&r, "exit-node policy table"));
	assert_true(has_step(&r, "rule masquerade"));
}

static void test_hand_lan_needs_grant(void **state)
{
	struct hand *h = *state;
	struct eval_result r = reach(h, C, "192.168.2.10");

	assert_false(r.allow);
	assert_string_equal(r.deciding_rule->id, "lan-drop");
	assert_true(has_step(&r, "not in lan_access4"));

	/* a is granted local_network, and has a route when it lists b. */
	add_route(h->plans[A], "192.168.2.0/24", MESHC_MAIN_TABLE, L_LAN_B);
	h->plans[A]->peers[0].allowed_ips[1] = (struct plan_allowed_ip){
		pfx("192.168.2.0/24"), ALLOWED_LANS_VIA, at(L_LAN_B) };
	h->plans[A]->peers[0].n_allowed_ips = 2;
	r = reach(h, A, "lan:b");
	assert_true(r.allow);
	assert_string_equal(r.deciding_rule->id, "lan-access");
	assert_int_equal(r.deciding_loc.line, L_GRANT_A);
	assert_non_null(strstr(r.reason, "via b's lan"));
}

static void test_hand_no_route_for_non_peer(void **state)
{
	struct eval_result r = reach(*state, A, "c");

	assert_false(r.allow);
	assert_string_equal(r.deciding_node, "a");
	assert_null(r.deciding_rule);
	assert_non_null(strstr(r.reason, "no route into the mesh"));
	assert_non_null(strstr(r.reason, "c is not a peer of a"));
}

static void test_hand_no_peer_accepts(void **state)
{
	struct eval_result r = reach(*state, A, "100.64.0.77");

	assert_false(r.allow);
	assert_non_null(strstr(r.reason, "no peer of a accepts 100.64.0.77"));
	assert_int_equal(r.deciding_loc.line, L_NET_X);
}

static void test_hand_public_goes_direct(void **state)
{
	struct eval_result r = reach(*state, A, "internet");

	assert_true(r.allow);
	assert_non_null(strstr(r.reason, "directly over its own uplink"));
}

static void test_hand_private_without_route_denied(void **state)
{
	struct eval_result r = reach(*state, A, "10.1.2.3");

	assert_false(r.allow);
	assert_non_null(strstr(r.reason, "no route into the mesh"));
	assert_non_null(strstr(r.reason, "RFC 1918"));
}

static void test_hand_own_lan_is_local(void **state)
{
	struct eval_result r = reach(*state, B, "192.168.2.44");

	assert_true(r.allow);
	assert_non_null(strstr(r.reason, "meshc leaves it alone"));
	assert_int_equal(r.deciding_loc.line, L_LAN_B);
}

static void test_hand_own_address(void **state)
{
	struct eval_result r = reach(*state, B, "b");

	assert_true(r.allow);
	assert_non_null(strstr(r.reason, "b's own address"));
}

static void test_hand_receiver_must_know_sender(void **state)
{
	struct hand *h = *state;
	struct eval_result r;

	/* b forgets c: WireGuard on b drops c's packets. */
	h->plans[B]->n_peers = 1;
	r = reach(h, C, "b");
	assert_false(r.allow);
	assert_string_equal(r.deciding_node, "b");
	assert_non_null(strstr(r.reason, "c is not a peer of b"));
}

static void test_hand_forwarding_off(void **state)
{
	struct hand *h = *state;
	struct eval_result r;

	h->plans[B]->n_sysctls = 0;
	r = reach(h, C, "internet");
	assert_false(r.allow);
	assert_non_null(strstr(r.reason, "b does not forward IPv4"));
}

static void test_hand_incoming_missing_names_grant(void **state)
{
	struct hand *h = *state;
	struct eval_result r;

	h->plans[B]->fw.sets[FW_SET_INCOMING][0].n_elems = 0;
	r = reach(h, A, "b");
	assert_false(r.allow);
	assert_int_equal(r.deciding_rule->spec_rule, 6);
	assert_true(has_step(&r, "not in incoming4"));
	assert_true(has_step(&r, "b grants a incoming: true"));
}

static void test_hand_second_hop_meets_cryptokey_routing(void **state)
{
	struct hand *h = *state;
	struct plan *b = h->plans[B];
	struct eval_result r;

	/* Without rule 2, b would pass c's packet on to a; a's WireGuard
	 * still drops it: c's address is not in b's allowed IPs on a. */
	b->fw.n_rules = 0;
	add_rule(b, (struct fw_rule){ .chain = FW_CHAIN_FORWARD,
				      .iif = FW_IF_MESH, NOSET,
				      .verdict = FW_ACCEPT, .id = "open" });
	r = reach(h, C, "a");
	assert_false(r.allow);
	assert_string_equal(r.deciding_node, "a");
	assert_non_null(strstr(r.reason, "source 100.64.1.3 is not in b's "
					 "allowed IPs on a"));
	assert_true(has_step(&r, "b: WireGuard sends it to peer a"));
}

static void test_hand_each_plan_asked_for_lazily(void **state)
{
	struct hand *h = *state;

	(void)reach(h, A, "internet");
	assert_int_equal(h->asked[A], 1);
	assert_int_equal(h->asked[B], 0);
	assert_int_equal(h->asked[C], 0);
}

/* ---- the real pipeline: document -> loader -> validator -> compiler ---- */

#define KEY_A "cshLTDHpqLM4ecVPEvtX8Swn2dP1hNV2zxxfXz4+KjM="
#define KEY_B "fIw5W2sX1IHsm9+oi1pD3AV5VIEeakKwRTYpKanfjhI="
#define KEY_C "4SE3jhDWzW+SwkDb7kOd0BIqd8AgiF6DZcSmMMLo0F0="

/* The seed; B_GRANT_A is b's entry for a, replaced by some tests. */
#define SEED_DOC(B_GRANT_A)                                                   \
	"version: 1\n"                                                        \
	"meshes:\n"                                                           \
	"  x: { network: 100.64.0.0/24, interface: meshx }\n"                \
	"  y: { network: 100.64.1.0/24, interface: meshy }\n"                \
	"nodes:\n"                                                            \
	"  a:\n"                                                              \
	"    mesh: x\n"                                                       \
	"    public_key: " KEY_A "\n"                                         \
	"    address: 100.64.0.1\n"                                           \
	"    lans_via: [b]\n"                                                 \
	"  b:\n"                                                              \
	"    mesh: x\n"                                                       \
	"    public_key: " KEY_B "\n"                                         \
	"    address: 100.64.0.2\n"                                           \
	"    endpoint: 203.0.113.5:51820\n"                                   \
	"    lan: [192.168.2.0/24]\n"                                         \
	"    uplink: eth0\n"                                                  \
	"    permissions:\n"                                                  \
	"      peers:\n"                                                      \
	"        a: " B_GRANT_A "\n"                                          \
	"        c: { routing: true }\n"                                      \
	"  c:\n"                                                              \
	"    mesh: y\n"                                                       \
	"    public_key: " KEY_C "\n"                                         \
	"    exit_node: b\n"                                                  \
	"links:\n"                                                            \
	"  - [c, b]\n"                                                        \
	"tests:\n"                                                            \
	"  - { from: c, to: a, expect: deny }\n"                              \
	"  - { from: a, to: c, expect: deny }\n"                              \
	"  - { from: c, to: internet, expect: allow }\n"                      \
	"  - { from: c, to: lan:b, expect: deny }\n"                          \
	"  - { from: c, to: 192.168.2.10, expect: deny }\n"                   \
	"  - { from: a, to: lan:b, expect: allow }\n"                         \
	"  - { from: a, to: internet, expect: allow }\n"                      \
	"  - { from: a, to: b, expect: allow }\n"                             \
	"  - { from: b, to: c, expect: allow }\n"

static const char seed_doc[] = SEED_DOC("{ local_network: true }");
static const char no_incoming_doc[] =
	SEED_DOC("{ incoming: false, local_network: true }");

struct real {
	struct arena a;
	const char *text;
	struct model *m;
	struct plan_cache cache;
};

/* The 1-based line of the first line holding `needle`. */
static unsigned line_of(const char *text, const char *needle)
{
	const char *hit = strstr(text, needle);
	unsigned line = 1;

	assert_non_null(hit);
	for (const char *s = text; s < hit; s++)
		line += *s == '\n';
	return line;
}

static int real_setup_doc(void **state, const char *text)
{
	static struct real r;
	struct source src = { "seed.yaml", text, strlen(text) };
	struct diags d;

	memset(&r, 0, sizeof(r));
	arena_init(&r.a);
	r.text = text;
	diags_init(&d, &r.a);
	r.m = load_model(&r.a, &src, &d);
	assert_non_null(r.m);
	validate_model(&r.a, r.m, &d);
	for (size_t i = 0; i < d.count; i++)
		if (d.items[i].level == DIAG_ERROR)
			fprintf(stderr, "%u:%u: %s\n", d.items[i].loc.line,
				d.items[i].loc.col, d.items[i].msg);
	assert_int_equal(d.errors, 0);
	plan_cache_init(&r.cache, &r.a, r.m);
	*state = &r;
	return 0;
}

static int real_setup(void **state)
{
	return real_setup_doc(state, seed_doc);
}

static int real_setup_no_incoming(void **state)
{
	return real_setup_doc(state, no_incoming_doc);
}

/* tests/unit/data/services.yaml, read whole (it outlives the model). */
static int real_setup_services(void **state)
{
	static char text[8192];
	FILE *f = fopen("tests/unit/data/services.yaml", "r");
	size_t n;

	if (!f)
		fail_msg("cannot read tests/unit/data/services.yaml (run from "
			 "the repo root)");
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	return real_setup_doc(state, text);
}

static int real_teardown(void **state)
{
	struct real *r = *state;

	arena_free(&r->a);
	return 0;
}

/* One service, as a test's port or explain's SERVICE. */
static struct eval_result real_reach_svc(struct real *r, const char *from,
					 const char *to, const char *service)
{
	struct eval_target t;
	struct eval_result res;
	struct fw_service svc;
	const char *why, *hint;
	char buf[2 * SVC_STRLEN];
	size_t idx = model_node_find(r->m, from);

	assert_int_not_equal(idx, MODEL_NONE);
	assert_int_equal(svc_parse_single(service, &svc, &why, &hint, buf,
					  sizeof(buf)), 0);
	assert_int_equal(eval_target_parse(&r->a, r->m, to, &t, &why), 0);
	assert_int_equal(eval_reach_service(&r->a, r->m, idx, &t, &svc,
					    plan_cache_get, &r->cache, &res),
			 0);
	return res;
}

static struct eval_result real_reach(struct real *r, const char *from,
				     const char *to)
{
	struct eval_target t;
	struct eval_result res;
	const char *why;
	size_t idx = model_node_find(r->m, from);

	assert_int_not_equal(idx, MODEL_NONE);
	assert_int_equal(eval_target_parse(&r->a, r->m, to, &t, &why), 0);
	assert_int_equal(eval_reach(&r->a, r->m, idx, &t, plan_cache_get,
				    &r->cache, &res),
			 0);
	return res;
}

static void test_routing_peer_cannot_reach_other_mesh(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "c", "a");

	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "b");
	assert_non_null(res.deciding_rule);
	assert_int_equal(res.deciding_rule->spec_rule, 2);
	assert_int_equal(res.deciding_loc.line,
			 line_of(r->text, "x: { network"));
	assert_true(!strncmp(res.summary, "deny: c cannot reach a", 22));
	/* by address too: the name is not what is filtered */
	res = real_reach(r, "c", "100.64.0.1");
	assert_false(res.allow);
	assert_int_equal(res.deciding_rule->spec_rule, 2);
}

static void test_lan_access_requires_grant(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "c", "lan:b");

	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "b");
	assert_int_equal(res.deciding_rule->spec_rule, 3);
	assert_true(has_step(&res, "b grants c local_network: false"));

	res = real_reach(r, "a", "lan:b");
	assert_true(res.allow);
	assert_int_equal(res.deciding_rule->spec_rule, 3);
	/* the grant line itself */
	assert_int_equal(res.deciding_loc.line,
			 line_of(r->text, "a: { local_network"));
}

static void test_incoming_false_blocks(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "a", "b");

	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "b");
	assert_int_equal(res.deciding_rule->spec_rule, 6);
	assert_int_equal(res.deciding_loc.line,
			 line_of(r->text, "a: { incoming: false"));
	/* what was not denied stays allowed: the lan grant */
	res = real_reach(r, "a", "192.168.2.10");
	assert_true(res.allow);
}

static void test_internet_via_exit_node(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "c", "internet");

	assert_true(res.allow);
	assert_string_equal(res.deciding_node, "b");
	assert_int_equal(res.deciding_rule->spec_rule, 4);
	assert_int_equal(res.deciding_loc.line,
			 line_of(r->text, "c: { routing: true }"));
	assert_non_null(strstr(res.reason, "masqueraded"));
	/* a private range through the exit node is not the internet */
	res = real_reach(r, "c", "10.9.9.9");
	assert_false(res.allow);
	assert_int_equal(res.deciding_rule->spec_rule, 3);
}

static void test_split_tunnel_reaches_internet_directly(void **state)
{
	struct eval_result res = real_reach(*state, "a", "internet");

	assert_true(res.allow);
	assert_string_equal(res.deciding_node, "a");
	assert_null(res.deciding_rule);
	assert_non_null(strstr(res.reason, "directly"));
}

static void test_document_tests_all_pass(void **state)
{
	struct real *r = *state;

	assert_int_equal(r->m->n_tests, 9);
	for (size_t i = 0; i < r->m->n_tests; i++) {
		const struct m_test *t = &r->m->tests[i];
		struct eval_result res = real_reach(r, t->from.v, t->to.v);

		if (res.allow != t->expect_allow)
			fail_msg("%s -> %s: %s", t->from.v, t->to.v,
				 res.summary);
	}
}

static void test_plan_cache_compiles_each_node_once(void **state)
{
	struct real *r = *state;
	size_t b = model_node_find(r->m, "b");
	struct plan *p = plan_cache_get(&r->cache, b);

	assert_non_null(p);
	(void)real_reach(r, "c", "a");
	(void)real_reach(r, "a", "lan:b");
	assert_ptr_equal(plan_cache_get(&r->cache, b), p);
	assert_null(plan_cache_get(&r->cache, r->m->n_nodes));
}

/* ---- the private set: the IANA special-purpose registries ------------ *
 *
 * c routes through b (both families); each destination is walked through
 * b's forward chain as the kernel would see it leave b's uplink.
 */
static const char dual_doc[] =
	"version: 1\n"
	"meshes:\n"
	"  x: { network: 100.64.0.0/24, network6: fd64:0:0:1::/64, "
	"interface: meshx }\n"
	"  y: { network: 100.64.1.0/24, network6: fd64:0:0:2::/64, "
	"interface: meshy }\n"
	"nodes:\n"
	"  b:\n"
	"    mesh: x\n"
	"    public_key: " KEY_B "\n"
	"    endpoint: 203.0.113.5:51820\n"
	"    uplink: eth0\n"
	"    permissions:\n"
	"      peers:\n"
	"        c: { routing: true }\n"
	"  c:\n"
	"    mesh: y\n"
	"    public_key: " KEY_C "\n"
	"    exit_node: b\n"
	"links:\n"
	"  - [c, b]\n";

static int real_setup_dual(void **state)
{
	return real_setup_doc(state, dual_doc);
}

/* b's forward verdict for c's packet to dst; *why gets the private
 * element's name when the private set decided. */
static bool routed_through_b(struct real *r, const char *dst,
			     const char **why)
{
	struct plan *b = plan_cache_get(&r->cache, model_node_find(r->m, "b"));
	const struct m_node *c = &r->m->nodes[model_node_find(r->m, "c")];
	struct eval_packet pkt = { .daddr = ip(dst), .iif = EVAL_IF_MESH,
				   .oif = EVAL_IF_UPLINK };
	struct eval_fw_trace t;

	assert_non_null(b);
	pkt.saddr = pkt.daddr.family == IP_V6 ? c->address6.v : c->address.v;
	assert_int_equal(pkt.saddr.family, pkt.daddr.family);
	assert_int_equal(eval_fw_run(&r->a, b, FW_CHAIN_FORWARD, &pkt, &t), 0);
	assert_non_null(t.decider);
	*why = NULL;
	if (!t.accept) {
		assert_string_equal(t.decider->rule->id, "no-private-ranges");
		assert_non_null(t.decider->daddr_elem);
		*why = t.decider->daddr_elem->why;
	} else {
		assert_string_equal(t.decider->rule->id, "routing");
	}
	return t.accept;
}

static void test_private_set_from_iana_registries(void **state)
{
	static const struct {
		const char *dst;
		const char *why;	/* NULL: the internet */
	} cases[] = {
		{ "8.8.8.8", NULL },
		{ EVAL_INTERNET_PROBE, NULL },
		{ "192.88.99.1", NULL },	/* deprecated 6to4 relay: N/A */
		{ "0.1.2.3", "RFC 791" },
		{ "10.1.2.3", "RFC 1918" },
		{ "100.100.1.1", "RFC 6598" },
		{ "127.0.0.1", "loopback" },
		{ "169.254.169.254", "RFC 3927" },
		{ "172.16.5.5", "RFC 1918" },
		{ "192.0.0.170", "RFC 6890" },
		{ "192.0.0.9", "RFC 6890" },	/* anycast: kept private */
		{ "192.0.2.1", "TEST-NET-1" },
		{ "192.88.99.2", "RFC 6751" },
		{ "192.168.1.1", "RFC 1918" },
		{ "198.18.0.10", "benchmarking" },
		{ "198.19.255.255", "benchmarking" },
		{ "198.51.100.7", "TEST-NET-2" },
		{ "203.0.113.9", "TEST-NET-3" },
		{ "224.0.0.251", "multicast" },
		{ "255.255.255.255", "RFC 1112" },
		/* IPv6: NAT64 and 6to4 follow the address they embed */
		{ "64:ff9b::808:808", NULL },
		{ "64:ff9b::c0a8:101", "RFC 1918) via NAT64" },
		{ "64:ff9b::a00:1", "RFC 1918) via NAT64" },
		{ "64:ff9b::7f00:1", "loopback (RFC 1122) via NAT64" },
		{ "64:ff9b::c633:6401", "TEST-NET-2 (RFC 5737) via NAT64" },
		{ "2002:808:808::1", NULL },
		{ "2002:c0a8:101::1", "RFC 1918) via 6to4" },
		{ "2002:a9fe:a9fe::1", "RFC 3927) via 6to4" },
		{ "2002:6440:1::1", "RFC 6598) via 6to4" },
		{ "2001:db8::1", "RFC 3849" },
		{ "2001:4860:4860::8888", NULL },
		{ "2606:4700::1111", NULL },
		{ "64:ff9b:1::1", "RFC 8215" },
		{ "100::1", "RFC 6666" },
		{ "100:0:0:1::1", "RFC 9780" },
		{ "2001:2::1", "RFC 2928" },	/* benchmarking, in 2001::/23 */
		{ "2001:10::1", "RFC 2928" },	/* deprecated ORCHID */
		{ "2001:1::1", "RFC 2928" },	/* anycast: kept private */
		{ "2001:4:113::1", "RFC 2928" },
		{ "2001:1ff:ffff::1", "RFC 2928" },
		{ "2001::1", NULL },		/* Teredo: N/A */
		{ "2001:3::1", NULL },		/* AMT */
		{ "2001:4:112::1", NULL },	/* AS112-v6 */
		{ "2001:20::1", NULL },		/* ORCHIDv2 */
		{ "2001:3f::1", NULL },		/* DETs */
		{ "2001:200::1", NULL },	/* just past 2001::/23 */
		{ "3fff::1", "RFC 9637" },
		{ "3fff:fff:ffff::1", "RFC 9637" },
		{ "3fff:1000::1", NULL },
		{ "5f00::1", "RFC 9602" },
		{ "::1", "RFC 4291" },
		{ "::a00:1", "IPv4-compatible" },
		{ "::ffff:10.0.0.1", "IPv4-mapped" },
		{ "fc00::1", "RFC 4193" },
		{ "fd12::1", "RFC 4193" },
		{ "fe80::1", "link-local" },
		{ "fec0::1", "RFC 3879" },
		{ "ff02::1", "multicast" },
	};
	struct real *r = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *why;
		bool accept = routed_through_b(r, cases[i].dst, &why);

		if (accept != !cases[i].why)
			fail_msg("%s: %s, expected %s", cases[i].dst,
				 accept ? "internet" : why,
				 cases[i].why ? cases[i].why : "internet");
		if (!accept && !strstr(why, cases[i].why))
			fail_msg("%s: private as '%s', expected '%s'",
				 cases[i].dst, why, cases[i].why);
	}
}

/* nft refuses overlapping intervals in one set, so the set must be
 * made of disjoint prefixes. */
static void test_private_set_is_disjoint(void **state)
{
	struct real *r = *state;
	struct plan *b = plan_cache_get(&r->cache, model_node_find(r->m, "b"));

	for (int f = 0; f < 2; f++) {
		const struct fw_set *s = &b->fw.sets[FW_SET_PRIVATE][f];

		assert_true(s->n_elems > 10);
		for (size_t i = 0; i < s->n_elems; i++)
			for (size_t j = i + 1; j < s->n_elems; j++)
				assert_false(ip_prefix_overlap(
					&s->elems[i].prefix,
					&s->elems[j].prefix));
	}
}

/* Through the whole walk too: c's exit node drops a NAT64 address of a
 * private host and lets a public one through. */
static void test_nat64_private_through_exit_node(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "c", "64:ff9b::c0a8:101");

	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "b");
	assert_int_equal(res.deciding_rule->spec_rule, 3);
	res = real_reach(r, "c", "64:ff9b::808:808");
	assert_true(res.allow);
	assert_string_equal(res.deciding_rule->id, "routing");
}

/* ---- unmanaged nodes and tunnels that cannot form ---------------------- */

#define KEY_D "+55E/tU59jWJjc+ZVrL0FM7+Lann522UNatF9EPaoEw="
#define KEY_E "Nh+3c4an0boNqagpYc3hspun2SOw58rm2ikLKXVk9iY="

/* gw runs meshc; lap1 and lap2 (macos) and phone (android) run the
 * WireGuard app; every one of them refuses incoming. */
static const char apps_doc[] =
	"version: 1\n"
	"meshes:\n"
	"  x: { network: 100.64.0.0/24 }\n"
	"nodes:\n"
	"  gw:\n"
	"    mesh: x\n"
	"    public_key: " KEY_A "\n"
	"    endpoint: 198.51.100.1:51820\n"
	"  lap1:\n"
	"    mesh: x\n"
	"    public_key: " KEY_B "\n"
	"    platform: macos\n"
	"    permissions: { default: { incoming: false } }\n"
	"  lap2:\n"
	"    mesh: x\n"
	"    public_key: " KEY_C "\n"
	"    platform: macos\n"
	"    endpoint: 198.51.100.2:51820\n"
	"    permissions:\n"
	"      default: { incoming: false }\n"
	"      peers: { gw: { incoming: true } }\n"
	"  phone:\n"
	"    mesh: x\n"
	"    public_key: " KEY_D "\n"
	"    platform: android\n"
	"    permissions: { default: { incoming: false } }\n"
	"  srv:\n"
	"    mesh: x\n"
	"    public_key: " KEY_E "\n";

static int real_setup_apps(void **state)
{
	return real_setup_doc(state, apps_doc);
}

/* Neither side has an endpoint: no handshake can ever start. */
static void test_no_tunnel_without_endpoints(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "lap1", "phone");

	assert_false(res.allow);
	assert_string_equal(res.reason,
			    "no tunnel: neither lap1 nor phone has an endpoint");
	assert_null(res.deciding_rule);
	/* managed or not does not matter: srv (linux) has no endpoint */
	res = real_reach(r, "lap1", "srv");
	assert_false(res.allow);
	assert_string_equal(res.reason,
			    "no tunnel: neither lap1 nor srv has an endpoint");
	/* one endpoint is enough */
	res = real_reach(r, "srv", "gw");
	assert_true(res.allow);
}

/* lap2 refuses incoming, but neither it nor lap1 has a firewall of
 * meshc's: the honest answer is allow, and it says why. */
static void test_not_enforced_between_unmanaged(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "lap1", "lap2");

	assert_true(res.allow);
	assert_string_equal(res.reason,
			    "not enforced: neither lap1 nor lap2 runs meshc");
	assert_null(res.deciding_rule);
	assert_string_equal(res.deciding_node, "lap2");
	assert_false(has_step(&res, "chain input"));
	assert_true(has_step(&res, "lap2 is not managed: no firewall"));
	/* phone -> lap2 too */
	res = real_reach(r, "phone", "lap2");
	assert_true(res.allow);
	assert_string_equal(res.reason,
			    "not enforced: neither phone nor lap2 runs meshc");
}

/* A managed sender toward an unmanaged node: no firewall is evaluated on
 * the unmanaged side; the sender enforces the node's incoming on its own
 * packets (the output chain's closed set). */
static void test_no_firewall_on_unmanaged_receiver(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "gw", "lap2");

	/* lap2 grants gw incoming: gw lets its packet go, lap2 runs no
	 * chain, and the answer says where it was enforced */
	assert_true(res.allow);
	assert_null(res.deciding_rule);
	assert_string_equal(res.reason,
			    "lap2 grants gw incoming (enforced at gw: lap2 "
			    "runs no meshc firewall)");
	assert_false(has_step(&res, "chain input"));
	assert_false(has_step(&res, "chain output"));
	/* its managed peer keeps its own firewall: gw's input decides */
	res = real_reach(r, "lap2", "gw");
	assert_true(res.allow);
	assert_non_null(res.deciding_rule);
	assert_int_equal(res.deciding_rule->spec_rule, 6);
}

/* lap2 does not grant srv incoming: srv itself drops its own packet, and
 * the answer names the enforcement point and the grant behind it. */
static void test_unmanaged_incoming_enforced_at_sender(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "srv", "lap2");

	assert_false(res.allow);
	assert_string_equal(res.reason,
			    "srv drops its own packet: lap2 does not grant it "
			    "incoming");
	assert_string_equal(res.deciding_node, "srv");
	assert_non_null(res.deciding_rule);
	assert_int_equal(res.deciding_rule->chain, FW_CHAIN_OUTPUT);
	assert_int_equal(res.deciding_rule->spec_rule, 6);
	/* the line that decided: lap2's default incoming: false */
	assert_int_equal(res.deciding_loc.line, 20);
	assert_true(has_step(&res, "chain output: rule unmanaged-incoming"));
	assert_false(has_step(&res, "WireGuard sends it"));
	/* before any tunnel question: srv -> phone has none either way,
	 * but srv never sends the packet */
	res = real_reach(r, "srv", "phone");
	assert_false(res.allow);
	assert_string_equal(res.reason,
			    "srv drops its own packet: phone does not grant it "
			    "incoming");
	/* an unmanaged sender has no output chain: nothing enforces */
	res = real_reach(r, "phone", "lap2");
	assert_true(res.allow);
}

/* ---- relays -------------------------------------------------------------- */

#define KEY_F "EOn8HtRxlFaqRl5f+4fGhfqAOfyx6wrd2FS/OJkMsWQ="

/* hub relays for lap1, srv and phone (none has an endpoint); srv refuses
 * lap1, phone (the app) lets only lap1 in; ext, of mesh y, is linked to
 * hub alone and routes through it; lone has no relay. */
static const char relay_doc[] =
	"version: 1\n"
	"meshes:\n"
	"  x: { network: 100.64.0.0/24, network6: fd64::/64, relay: hub }\n"
	"  y: { network: 100.64.1.0/24 }\n"
	"nodes:\n"
	"  hub:\n"
	"    mesh: x\n"
	"    public_key: " KEY_F "\n"
	"    address: 100.64.0.1\n"
	"    address6: fd64::1\n"
	"    endpoint: 198.51.100.1:51820\n"
	"    permissions: { peers: { ext: { routing: true } } }\n"
	"  lap1:\n"
	"    mesh: x\n"
	"    public_key: " KEY_B "\n"
	"    address: 100.64.0.10\n"
	"    address6: fd64::10\n"
	"  srv:\n"
	"    mesh: x\n"
	"    public_key: " KEY_E "\n"
	"    address: 100.64.0.11\n"
	"    address6: fd64::11\n"
	"    permissions: { peers: { lap1: { incoming: false } } }\n"
	"  phone:\n"
	"    mesh: x\n"
	"    platform: android\n"
	"    public_key: " KEY_D "\n"
	"    address: 100.64.0.20\n"
	"    permissions:\n"
	"      default: { incoming: false }\n"
	"      peers: { lap1: { incoming: true } }\n"
	"  ext:\n"
	"    mesh: y\n"
	"    public_key: " KEY_C "\n"
	"    address: 100.64.1.5\n"
	"    exit_node: hub\n"
	"  lone:\n"
	"    mesh: y\n"
	"    public_key: " KEY_A "\n"
	"    address: 100.64.1.6\n"
	"links:\n"
	"  - [ext, hub]\n";

static int real_setup_relay(void **state)
{
	return real_setup_doc(state, relay_doc);
}

/* A relayed pair whose destination grants the source: the walk goes
 * through the relay's pair rule, shows both hops, and the destination's
 * own firewall accepts. */
static void test_relayed_pair_walks_the_hop(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "srv", "lap1");

	assert_true(res.allow);
	assert_true(has_step(&res, "srv: WireGuard sends it to hub (relay "
				   "for lap1)"));
	assert_true(has_step(&res, "hub: relays it to lap1"));
	/* lap1 lets every relayed peer in: relay_open */
	assert_true(has_step(&res, "rule relay-open: accept, source in "
				   "relay_users4 (100.64.0.11/32: srv), "
				   "destination in relay_open4"));
	assert_string_equal(res.deciding_node, "lap1");
	assert_string_equal(res.deciding_rule->id, "incoming");
	/* IPv6 alike */
	res = real_reach(r, "srv", "fd64::10");
	assert_true(res.allow);
	assert_true(has_step(&res, "relay_open6 (fd64::10/128: lap1)"));
	/* phone lets lap1 alone in: a pair */
	res = real_reach(r, "lap1", "phone");
	assert_true(has_step(&res, "rule relay: accept, source . "
				   "destination in relay4 (lap1 -> phone)"));
}

/* The destination refuses the source: the relay drops it, and the answer
 * names the grant that decided, not just rule 2. */
static void test_relay_drops_what_destination_refuses(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "lap1", "srv");

	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "hub");
	assert_string_equal(res.reason, "hub does not relay it: srv does not "
					"grant lap1 incoming");
	assert_int_equal(res.deciding_loc.line,
			 line_of(r->text, "lap1: { incoming: false }"));
	assert_true(has_step(&res, "srv grants lap1 incoming: false (peer "
				   "entry)"));
}

/* An unmanaged destination's grant is enforced at the relay: allowed
 * where it grants, dropped there where it does not (even though the
 * sender is managed and drops it itself first). */
static void test_relay_enforces_unmanaged_destination(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "lap1", "phone");

	assert_true(res.allow);
	assert_string_equal(res.reason,
			    "phone grants lap1 incoming (enforced at hub, the "
			    "relay: phone runs no meshc firewall)");
	res = real_reach(r, "srv", "phone");
	assert_false(res.allow);
	/* phone, unmanaged, to srv which grants it: relayed */
	res = real_reach(r, "phone", "srv");
	assert_true(res.allow);
	assert_true(has_step(&res, "hub: relays it to srv"));
}

/* A node that routes through the relay but is no peer of a spoke (ext:
 * linked to hub only) reaches the internet, never the spoke; a pair
 * without a relay (lone) still has no tunnel... and no relay. */
static void test_relay_is_no_bridge_for_non_peers(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "ext", "lap1");

	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "hub");
	assert_string_equal(res.deciding_rule->id, "no-mesh-transit");
	res = real_reach(r, "ext", "internet");
	assert_true(res.allow);
	res = real_reach(r, "ext", "lone");
	assert_false(res.allow);
	assert_string_equal(res.reason,
			    "no tunnel: neither ext nor lone has an endpoint");
	/* the relay itself talks to its users directly */
	res = real_reach(r, "hub", "lap1");
	assert_true(res.allow);
	assert_false(has_step(&res, "relay for"));
}

/* Relayed traffic is never masqueraded: the relay's postrouting chain
 * (it NATs for ext) does not match a packet that leaves into the mesh. */
static void test_relay_does_not_masquerade(void **state)
{
	struct real *r = *state;
	const struct plan *hub = plan_cache_get(&r->cache,
						model_node_find(r->m, "hub"));
	struct eval_packet pkt = { .iif = EVAL_IF_MESH, .oif = EVAL_IF_MESH };
	struct eval_fw_trace t;
	const char *why;

	assert_non_null(hub);
	assert_true(hub->fw.nat);
	assert_int_equal(ip_addr_parse("100.64.0.11", &pkt.saddr, &why), 0);
	assert_int_equal(ip_addr_parse("100.64.0.10", &pkt.daddr, &why), 0);
	assert_int_equal(eval_fw_run(&r->a, hub, FW_CHAIN_POSTROUTING, &pkt,
				     &t),
			 0);
	assert_null(t.decider);	/* policy accept: no masquerade */
	assert_int_equal(eval_fw_run(&r->a, hub, FW_CHAIN_FORWARD, &pkt, &t),
			 0);
	assert_true(t.accept);
	assert_string_equal(t.decider->rule->id, "relay-open");
}

#define HAND(t) cmocka_unit_test_setup_teardown(t, hand_setup, hand_teardown)
#define REAL(t) cmocka_unit_test_setup_teardown(t, real_setup, real_teardown)
#define SERVICES(t)                                                           \
	cmocka_unit_test_setup_teardown(t, real_setup_services, real_teardown)
#define APPS(t)                                                               \
	cmocka_unit_test_setup_teardown(t, real_setup_apps, real_teardown)
#define DUAL(t)                                                               \
	cmocka_unit_test_setup_teardown(t, real_setup_dual, real_teardown)
#define RELAY(t)                                                              \
	cmocka_unit_test_setup_teardown(t, real_setup_relay, real_teardown)

/* ---- relays and limited grants ------------------------------------------ */

/* srv lets lap1 in on tcp/22 only; phone (the app) lets lap1 in on tcp/22
 * and icmp, tab (the app too) on udp/53 only: the relay forwards exactly
 * those services (and for tab -> phone it is the only enforcer). */
static const char relay_svc_doc[] =
	"version: 1\n"
	"meshes:\n"
	"  x: { network: 100.64.0.0/24, network6: fd64::/64, relay: hub }\n"
	"nodes:\n"
	"  hub:\n"
	"    mesh: x\n"
	"    public_key: " KEY_F "\n"
	"    address: 100.64.0.1\n"
	"    endpoint: 198.51.100.1:51820\n"
	"  lap1: { mesh: x, public_key: " KEY_B ", address: 100.64.0.10 }\n"
	"  srv:\n"
	"    mesh: x\n"
	"    public_key: " KEY_E "\n"
	"    address: 100.64.0.11\n"
	"    permissions: { peers: { lap1: { incoming: [tcp/22] } } }\n"
	"  phone:\n"
	"    mesh: x\n"
	"    platform: android\n"
	"    public_key: " KEY_D "\n"
	"    address: 100.64.0.20\n"
	"    permissions:\n"
	"      default: { incoming: false }\n"
	"      peers:\n"
	"        lap1: { incoming: [tcp/22, icmp] }\n"
	"        tab: { incoming: [udp/53] }\n"
	"  tab:\n"
	"    mesh: x\n"
	"    platform: android\n"
	"    public_key: " KEY_C "\n"
	"    address: 100.64.0.30\n";

static int real_setup_relay_svc(void **state)
{
	return real_setup_doc(state, relay_svc_doc);
}

/* The relay hop names the service and the grant; another port, another
 * protocol or icmp is dropped at the relay, naming the list's line; a
 * test without a port is partial. */
static void test_relay_forwards_only_listed_services(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach_svc(r, "lap1", "srv", "tcp/22");
	unsigned line = line_of(r->text, "lap1: { incoming: [tcp/22] }");

	assert_true(res.allow);
	assert_true(has_step(&res, "hub: relays it to srv for tcp/22 (srv "
				   "grants lap1 incoming: a list with "
				   "tcp/22)"));
	assert_true(has_step(&res, "rule relay-services: accept"));
	assert_string_equal(res.deciding_rule->id, "incoming-services");
	res = real_reach_svc(r, "lap1", "srv", "tcp/23");
	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "hub");
	assert_string_equal(res.reason, "hub does not relay it: srv does not "
					"grant lap1 incoming for tcp/23");
	assert_int_equal(res.deciding_loc.line, line);
	assert_true(has_step(&res, "srv grants lap1 incoming: a list "
				   "without tcp/23 (peer entry)"));
	res = real_reach_svc(r, "lap1", "srv", "udp/22");
	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "hub");
	res = real_reach_svc(r, "lap1", "srv", "icmp");
	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "hub");
	res = real_reach(r, "lap1", "srv");
	assert_true(res.partial);
	assert_false(res.allow);
	assert_string_equal(res.open, "tcp/22");
	/* icmp where the list has it */
	res = real_reach_svc(r, "lap1", "phone", "icmp");
	assert_true(res.allow);
	assert_true(has_step(&res, "rule relay-icmp: accept"));
	assert_true(has_step(&res, "hub: relays it to phone for icmp"));
}

/* Between two unmanaged nodes the relay is the only enforcer of the
 * destination's list. */
static void test_relay_enforces_unmanaged_list(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach_svc(r, "tab", "phone", "udp/53");

	assert_true(res.allow);
	assert_true(has_step(&res, "hub: relays it to phone for udp/53"));
	res = real_reach_svc(r, "tab", "phone", "tcp/53");
	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "hub");
	res = real_reach_svc(r, "tab", "phone", "icmp");
	assert_false(res.allow);
	assert_string_equal(res.deciding_node, "hub");
	res = real_reach(r, "tab", "phone");
	assert_true(res.partial);
	assert_string_equal(res.open, "udp/53");
	/* incoming false stays refused: phone lets srv in on nothing */
	res = real_reach_svc(r, "srv", "phone", "udp/53");
	assert_false(res.allow);
}

/* ---- limited grants (tests/unit/data/services.yaml) -------------------- */

static void test_service_lists_decide_per_service(void **state)
{
	struct real *r = *state;

	/* incoming list of b for a: tcp/22, tcp/8000-8100, udp, icmp */
	assert_true(real_reach_svc(r, "a", "b", "tcp/22").allow);
	assert_false(real_reach_svc(r, "a", "b", "tcp/23").allow);
	assert_true(real_reach_svc(r, "a", "b", "tcp/8100").allow);
	assert_false(real_reach_svc(r, "a", "b", "tcp/8101").allow);
	assert_true(real_reach_svc(r, "a", "b", "udp/9").allow);
	assert_true(real_reach_svc(r, "a", "b", "icmp").allow);
	/* the rule that accepted is the service rule, not the full grant */
	assert_string_equal(real_reach_svc(r, "a", "b", "tcp/22")
				    .deciding_rule->id,
			    "incoming-services");
	assert_string_equal(real_reach_svc(r, "a", "b", "icmp")
				    .deciding_rule->id,
			    "incoming-icmp");
	/* local_network: one host's services, a network's everything */
	assert_true(real_reach_svc(r, "a", "192.168.1.10", "udp/53").allow);
	assert_false(real_reach_svc(r, "a", "192.168.1.10", "tcp/53").allow);
	assert_true(real_reach_svc(r, "a", "192.168.1.10", "icmp").allow);
	assert_false(real_reach_svc(r, "a", "192.168.1.11", "icmp").allow);
	assert_true(real_reach_svc(r, "a", "192.168.1.200", "tcp/1").allow);
	assert_true(real_reach_svc(r, "a", "fd01::10", "tcp/443").allow);
	assert_false(real_reach_svc(r, "a", "fd01::10", "icmp").allow);
	/* c's merged ranges tcp/79-90 */
	assert_true(real_reach_svc(r, "c", "192.168.1.20", "tcp/79").allow);
	assert_false(real_reach_svc(r, "c", "192.168.1.20", "tcp/91").allow);
	/* an unmanaged peer's list, enforced in b's output hook */
	assert_true(real_reach_svc(r, "b", "c", "tcp/8080").allow);
	assert_false(real_reach_svc(r, "b", "c", "tcp/8081").allow);
	assert_true(real_reach_svc(r, "b", "c", "icmp").allow);
}

/* Without a service: allowed only when every service is; a partly open
 * destination is neither, and says what is open. */
static void test_without_service_partial_names_what_is_open(void **state)
{
	struct real *r = *state;
	struct eval_result res = real_reach(r, "a", "b");

	assert_true(res.partial);
	assert_false(res.allow);
	assert_string_equal(res.open, "tcp/22, tcp/8000-8100, udp, icmp");
	assert_non_null(strstr(res.summary, "partial: a reaches b"));
	res = real_reach(r, "a", "192.168.1.200");	/* {to: /25}: all */
	assert_false(res.partial);
	assert_true(res.allow);
	res = real_reach(r, "a", "192.168.1.11");	/* nothing */
	assert_false(res.partial);
	assert_false(res.allow);
	res = real_reach(r, "c", "192.168.1.20");
	assert_true(res.partial);
	assert_string_equal(res.open, "tcp/79-90, udp/53");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		HAND(test_fw_jump_returns_and_policy_accepts),
		HAND(test_fw_jump_target_decides),
		HAND(test_fw_ct_established_never_matches),
		HAND(test_fw_tcp_pickup_never_matches),
		HAND(test_fw_family_mismatch_skips_rule),
		HAND(test_fw_jump_loop_is_an_error),
		HAND(test_fw_uplink_is_the_set_uplinks),
		HAND(test_target_forms),
		HAND(test_hand_transit_dropped_at_forwarder),
		HAND(test_hand_internet_via_exit_node),
		HAND(test_hand_lan_needs_grant),
		HAND(test_hand_no_route_for_non_peer),
		HAND(test_hand_no_peer_accepts),
		HAND(test_hand_public_goes_direct),
		HAND(test_hand_private_without_route_denied),
		HAND(test_hand_own_lan_is_local),
		HAND(test_hand_own_address),
		HAND(test_hand_receiver_must_know_sender),
		HAND(test_hand_forwarding_off),
		HAND(test_hand_incoming_missing_names_grant),
		HAND(test_hand_second_hop_meets_cryptokey_routing),
		HAND(test_hand_each_plan_asked_for_lazily),
		REAL(test_routing_peer_cannot_reach_other_mesh),
		REAL(test_lan_access_requires_grant),
		cmocka_unit_test_setup_teardown(test_incoming_false_blocks,
						real_setup_no_incoming,
						real_teardown),
		REAL(test_internet_via_exit_node),
		REAL(test_split_tunnel_reaches_internet_directly),
		REAL(test_document_tests_all_pass),
		REAL(test_plan_cache_compiles_each_node_once),
		SERVICES(test_service_lists_decide_per_service),
		SERVICES(test_without_service_partial_names_what_is_open),
		DUAL(test_private_set_from_iana_registries),
		DUAL(test_private_set_is_disjoint),
		DUAL(test_nat64_private_through_exit_node),
		APPS(test_no_tunnel_without_endpoints),
		APPS(test_not_enforced_between_unmanaged),
		APPS(test_no_firewall_on_unmanaged_receiver),
		APPS(test_unmanaged_incoming_enforced_at_sender),
		RELAY(test_relayed_pair_walks_the_hop),
		RELAY(test_relay_drops_what_destination_refuses),
		RELAY(test_relay_enforces_unmanaged_destination),
		RELAY(test_relay_is_no_bridge_for_non_peers),
		RELAY(test_relay_does_not_masquerade),
		cmocka_unit_test_setup_teardown(
			test_relay_forwards_only_listed_services,
			real_setup_relay_svc, real_teardown),
		cmocka_unit_test_setup_teardown(
			test_relay_enforces_unmanaged_list,
			real_setup_relay_svc, real_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
