/* Unit tests of src/compile: documents in, plans out, through the real
 * loader and validator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "compile/compile.h"
#include "load/load.h"
#include "validate/validate.h"

#define KEY_A "cshLTDHpqLM4ecVPEvtX8Swn2dP1hNV2zxxfXz4+KjM="
#define KEY_B "fIw5W2sX1IHsm9+oi1pD3AV5VIEeakKwRTYpKanfjhI="
#define KEY_C "4SE3jhDWzW+SwkDb7kOd0BIqd8AgiF6DZcSmMMLo0F0="
#define KEY_D "SrIGWWIAmzS87lFlpRt4qfS0PrmXqonjxvSPWgCenDU="

static const char seed_doc[] =
	"version: 1\n"
	"meshes:\n"
	"  x: { network: 100.64.0.0/24, interface: meshx }\n"
	"  y: { network: 100.64.1.0/24, interface: meshy }\n"
	"nodes:\n"
	"  a:\n"
	"    mesh: x\n"
	"    public_key: " KEY_A "\n"
	"    address: 100.64.0.1\n"
	"    endpoint: 198.51.100.10:51820\n"
	"    lans_via: [b]\n"
	"  b:\n"
	"    mesh: x\n"
	"    public_key: " KEY_B "\n"
	"    address: 100.64.0.2\n"
	"    endpoint: 203.0.113.5:51820\n"
	"    lan: [192.168.2.0/24]\n"
	"    permissions:\n"
	"      peers:\n"
	"        a: { local_network: true }\n"
	"        c: { routing: true }\n"
	"  c:\n"
	"    mesh: y\n"
	"    public_key: " KEY_C "\n"
	"    address: 100.64.1.1\n"
	"    exit_node: b\n"
	"links:\n"
	"  - [c, b]\n";

struct fixture {
	struct arena arena;
	struct model *m;
};

static struct model *load_doc(struct arena *a, const char *text)
{
	struct source src = { "t.yaml", text, strlen(text) };
	struct diags d;
	struct model *m;

	diags_init(&d, a);
	m = load_model(a, &src, &d);
	assert_non_null(m);
	validate_model(a, m, &d);
	for (size_t i = 0; i < d.count; i++)
		if (d.items[i].level == DIAG_ERROR)
			fprintf(stderr, "%u:%u: %s\n", d.items[i].loc.line,
				d.items[i].loc.col, d.items[i].msg);
	assert_int_equal(d.errors, 0);
	assert_true(m->resolved);
	return m;
}

static struct plan *plan_for(struct arena *a, const struct model *m,
			     const char *node)
{
	size_t idx = model_node_find(m, node);

	assert_int_not_equal(idx, MODEL_NONE);
	return compile_node(a, m, idx);
}

static int setup(void **state)
{
	static struct fixture f;

	arena_init(&f.arena);
	f.m = load_doc(&f.arena, seed_doc);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(&f->arena);
	return 0;
}

static const struct plan_peer *find_peer(const struct plan *p,
					 const char *name)
{
	for (size_t i = 0; i < p->n_peers; i++)
		if (!strcmp(p->peers[i].name, name))
			return &p->peers[i];
	return NULL;
}

static bool has_allowed(const struct plan_peer *peer, const char *prefix)
{
	char buf[IP_STRLEN];

	for (size_t i = 0; i < peer->n_allowed_ips; i++)
		if (!strcmp(ip_prefix_str(&peer->allowed_ips[i].prefix, buf),
			    prefix))
			return true;
	return false;
}

static bool set_has(const struct plan *p, enum fw_set_id id, const char *pfx)
{
	char buf[IP_STRLEN];

	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < p->fw.sets[id][f].n_elems; i++)
			if (!strcmp(ip_prefix_str(&p->fw.sets[id][f].elems[i].prefix,
						  buf),
				    pfx))
				return true;
	return false;
}

static const struct plan_sysctl *find_sysctl(const struct plan *p,
					     const char *key)
{
	for (size_t i = 0; i < p->n_sysctls; i++)
		if (!strcmp(p->sysctls[i].key, key))
			return &p->sysctls[i];
	return NULL;
}

static void test_peers_are_mesh_members_and_links(void **state)
{
	struct fixture *f = *state;
	struct plan *a = plan_for(&f->arena, f->m, "a");
	struct plan *b = plan_for(&f->arena, f->m, "b");
	struct plan *c = plan_for(&f->arena, f->m, "c");

	assert_int_equal(a->n_peers, 1);
	assert_non_null(find_peer(a, "b"));
	assert_int_equal(b->n_peers, 2);
	assert_non_null(find_peer(b, "a"));
	assert_non_null(find_peer(b, "c"));
	assert_int_equal(c->n_peers, 1);
	assert_non_null(find_peer(c, "b"));
	assert_string_equal(b->iface.name, "meshx");
	assert_string_equal(c->iface.name, "meshy");
	assert_string_equal(b->iface.public_key, KEY_B);
}

/* A pair of one mesh takes its preshared key from the mesh's secret (the
 * plan names the file and where it is written, never a key); a linked
 * pair has none, even when both meshes have a secret. */
static void test_preshared_key_file_for_mesh_pairs_only(void **state)
{
	static const char doc[] =
		"version: 1\n"
		"meshes:\n"
		"  x: { network: 100.64.0.0/24, preshared_key_file: /x.psk }\n"
		"  y: { network: 100.64.1.0/24, preshared_key_file: /y.psk }\n"
		"  z: { network: 100.64.2.0/24 }\n"
		"nodes:\n"
		"  a: { mesh: x, public_key: " KEY_A ", endpoint: 192.0.2.1:1 }\n"
		"  b: { mesh: x, public_key: " KEY_B ", endpoint: 192.0.2.2:1 }\n"
		"  c: { mesh: y, public_key: " KEY_C ", endpoint: 192.0.2.3:1 }\n"
		"  d: { mesh: z, public_key: " KEY_D ", endpoint: 192.0.2.4:1 }\n"
		"links:\n"
		"  - [c, b]\n"
		"  - [d, a]\n";
	struct fixture *f = *state;
	struct model *m = load_doc(&f->arena, doc);
	struct plan *b = plan_for(&f->arena, m, "b");
	struct plan *c = plan_for(&f->arena, m, "c");
	struct plan *d = plan_for(&f->arena, m, "d");
	struct plan *seed = plan_for(&f->arena, f->m, "b");

	assert_string_equal(find_peer(b, "a")->preshared_key_file, "/x.psk");
	assert_int_equal(find_peer(b, "a")->preshared_key_loc.line, 3);
	assert_int_equal(find_peer(b, "a")->preshared_key_loc.col, 52);
	assert_null(find_peer(b, "c")->preshared_key_file);
	assert_null(find_peer(c, "b")->preshared_key_file);
	assert_null(find_peer(d, "a")->preshared_key_file);
	for (size_t i = 0; i < seed->n_peers; i++)
		assert_null(seed->peers[i].preshared_key_file);
}

static void test_allowed_ips_follow_spec_rule_1(void **state)
{
	struct fixture *f = *state;
	const struct plan_peer *b_on_c =
		find_peer(plan_for(&f->arena, f->m, "c"), "b");
	const struct plan_peer *b_on_a =
		find_peer(plan_for(&f->arena, f->m, "a"), "b");
	const struct plan_peer *c_on_b =
		find_peer(plan_for(&f->arena, f->m, "b"), "c");

	/* exit node: its address plus both defaults */
	assert_int_equal(b_on_c->n_allowed_ips, 3);
	assert_true(has_allowed(b_on_c, "100.64.0.2/32"));
	assert_true(has_allowed(b_on_c, "0.0.0.0/0"));
	assert_true(has_allowed(b_on_c, "::/0"));
	/* lans_via: its address plus its lan */
	assert_int_equal(b_on_a->n_allowed_ips, 2);
	assert_true(has_allowed(b_on_a, "192.168.2.0/24"));
	/* plain peer: only its address */
	assert_int_equal(c_on_b->n_allowed_ips, 1);
	assert_true(has_allowed(c_on_b, "100.64.1.1/32"));
}

static void test_exit_node_client_gets_policy_routing(void **state)
{
	struct fixture *f = *state;
	struct plan *c = plan_for(&f->arena, f->m, "c");
	struct plan *a = plan_for(&f->arena, f->m, "a");
	uint32_t m = plan_policy_mark("meshy");
	size_t policy_routes = 0;

	assert_int_equal(c->iface.policy_mark, m);
	assert_int_equal(c->iface.fwmark, m);
	assert_string_equal(c->exit_node, "b");
	for (size_t i = 0; i < c->n_routes; i++)
		if (c->routes[i].table == m) {
			assert_int_equal(c->routes[i].dst.len, 0);
			policy_routes++;
		}
	assert_int_equal(policy_routes, 2);
	assert_int_equal(c->n_rules, 4);
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct plan_rule *r = &c->rules[i];

		/* both rules carry the interface's mark: that is how a
		 * reader tells them from another interface's */
		assert_true(r->invert);
		assert_int_equal(r->fwmark, m);
		if (r->priority == MESHC_RULE_PRIO_SUPPRESS) {
			assert_int_equal(r->table, MESHC_MAIN_TABLE);
			assert_int_equal(r->suppress_prefixlen, 0);
		} else {
			assert_int_equal(r->priority, MESHC_RULE_PRIO_TABLE);
			assert_int_equal(r->table, m);
			assert_int_equal(r->suppress_prefixlen, -1);
		}
	}
	assert_non_null(find_sysctl(c, "net.ipv4.conf.all.src_valid_mark"));
	/* no exit node: no WireGuard mark, no rules, but M is known */
	assert_int_equal(a->iface.fwmark, 0);
	assert_int_equal(a->iface.policy_mark, plan_policy_mark("meshx"));
	assert_int_equal(a->n_rules, 0);
}

/* M is the documented function of the interface name (meshc(8)):
 * 0x4d430000 | the first two bytes of BLAKE2b-256(name).  Two interfaces
 * of one host get their own, so neither reads the other's rules. */
static void test_policy_mark_is_per_interface(void **state)
{
	static const char two_exits[] =
		"version: 1\n"
		"meshes:\n"
		"  x: { network: 100.64.0.0/24, interface: meshx }\n"
		"  y: { network: 100.64.1.0/24, interface: meshy }\n"
		"nodes:\n"
		"  gx: { mesh: x, public_key: " KEY_A ", address: 100.64.0.1,"
		" endpoint: 198.51.100.10:51820,"
		" permissions: { peers: { cx: { routing: true } } } }\n"
		"  cx: { mesh: x, public_key: " KEY_B ", address: 100.64.0.2,"
		" exit_node: gx }\n"
		"  gy: { mesh: y, public_key: " KEY_C ", address: 100.64.1.1,"
		" endpoint: 198.51.100.11:51820,"
		" permissions: { peers: { cy: { routing: true } } } }\n"
		"  cy: { mesh: y, public_key: " KEY_D ", address: 100.64.1.2,"
		" exit_node: gy }\n";
	struct fixture *f = *state;
	struct model *m = load_doc(&f->arena, two_exits);
	struct plan *x = plan_for(&f->arena, m, "cx");
	struct plan *y = plan_for(&f->arena, m, "cy");

	/* known answers (python3: hashlib.blake2b(name, digest_size=32)) */
	assert_int_equal(plan_policy_mark("meshx"), 0x4d43ab78);
	assert_int_equal(plan_policy_mark("meshy"), 0x4d43491f);
	assert_int_equal(plan_policy_mark("meshc0"), 0x4d4347d5);
	assert_int_equal(x->iface.policy_mark, 0x4d43ab78);
	assert_int_equal(y->iface.policy_mark, 0x4d43491f);
	assert_int_not_equal(x->iface.policy_mark, y->iface.policy_mark);
	for (size_t i = 0; i < x->n_rules; i++)
		for (size_t k = 0; k < y->n_rules; k++)
			assert_int_not_equal(x->rules[i].fwmark,
					     y->rules[k].fwmark);
	for (size_t i = 0; i < x->n_routes; i++)
		for (size_t k = 0; k < y->n_routes; k++)
			if (x->routes[i].table != MESHC_MAIN_TABLE)
				assert_int_not_equal(x->routes[i].table,
						     y->routes[k].table);
}

/* mtu and dns: the node's value, else its mesh's, with the line it
 * came from; none set is mtu 0 (apply leaves the link's) and an empty,
 * non-NULL dns (a compiled plan knows it has none). */
static void test_mtu_and_dns_node_else_mesh(void **state)
{
	static const char doc[] =
		"version: 1\n"						/* 1 */
		"meshes:\n"						/* 2 */
		"  x: { network: 100.64.0.0/24, mtu: 1380,"		/* 3 */
		" dns: [100.64.0.1, 'FD64::0:1', corp.example] }\n"
		"  y: { network: 100.64.1.0/24 }\n"			/* 4 */
		"nodes:\n"						/* 5 */
		"  a: { mesh: x, public_key: " KEY_A ","		/* 6 */
		" endpoint: 198.51.100.10:51820 }\n"
		"  b: { mesh: x, public_key: " KEY_B ", platform: android,"
		" mtu: 1280, dns: [lan.example] }\n"			/* 7 */
		"  c: { mesh: y, public_key: " KEY_C ","		/* 8 */
		" endpoint: 198.51.100.11:51820 }\n";
	struct fixture *f = *state;
	struct model *m = load_doc(&f->arena, doc);
	struct plan *a = plan_for(&f->arena, m, "a");
	struct plan *b = plan_for(&f->arena, m, "b");
	struct plan *c = plan_for(&f->arena, m, "c");

	assert_int_equal(a->iface.mtu, 1380);
	assert_int_equal(a->iface.mtu_loc.line, 3);
	assert_int_equal(a->iface.n_dns, 3);
	assert_string_equal(a->iface.dns[0].entry, "100.64.0.1");
	assert_string_equal(a->iface.dns[1].entry, "fd64::1");	/* canonical */
	assert_string_equal(a->iface.dns[2].entry, "corp.example");
	assert_int_equal(a->iface.dns[2].loc.line, 3);
	/* an unmanaged node's own values (export writes them) */
	assert_int_equal(b->iface.mtu, 1280);
	assert_int_equal(b->iface.mtu_loc.line, 7);
	assert_int_equal(b->iface.n_dns, 1);
	assert_string_equal(b->iface.dns[0].entry, "lan.example");
	assert_int_equal(c->iface.mtu, 0);
	assert_non_null(c->iface.dns);
	assert_int_equal(c->iface.n_dns, 0);
}

static void test_forwarding_only_when_granting(void **state)
{
	struct fixture *f = *state;
	struct plan *a = plan_for(&f->arena, f->m, "a");
	struct plan *b = plan_for(&f->arena, f->m, "b");
	const struct plan_sysctl *fwd = find_sysctl(b, "net.ipv4.ip_forward");

	assert_null(find_sysctl(a, "net.ipv4.ip_forward"));
	assert_false(a->forwards);
	assert_false(a->fw.nat);
	assert_non_null(fwd);
	assert_string_equal(fwd->value, "1");
	assert_true(b->forwards);
	assert_true(b->fw.nat);
	/* no IPv6 address, no IPv6 forwarding */
	assert_null(find_sysctl(b, "net.ipv6.conf.all.forwarding"));
}

static void test_grants_go_into_sets(void **state)
{
	struct fixture *f = *state;
	struct plan *b = plan_for(&f->arena, f->m, "b");

	assert_true(set_has(b, FW_SET_ROUTING, "100.64.1.1/32"));
	assert_false(set_has(b, FW_SET_ROUTING, "100.64.0.1/32"));
	assert_true(set_has(b, FW_SET_LAN_ACCESS, "100.64.0.1/32"));
	assert_false(set_has(b, FW_SET_LAN_ACCESS, "100.64.1.1/32"));
	assert_true(set_has(b, FW_SET_INCOMING, "100.64.0.1/32"));
	assert_true(set_has(b, FW_SET_INCOMING, "100.64.1.1/32"));
	assert_true(set_has(b, FW_SET_MESH, "100.64.0.0/24"));
	assert_true(set_has(b, FW_SET_MESH, "100.64.1.0/24"));
	assert_true(set_has(b, FW_SET_LAN, "192.168.2.0/24"));
	assert_true(set_has(b, FW_SET_SELF, "100.64.0.2/32"));
	assert_true(set_has(b, FW_SET_PRIVATE, "10.0.0.0/8"));
	assert_true(set_has(b, FW_SET_PRIVATE, "fc00::/7"));
}

/* Rule 2 is the security heart: in the chain that sees forwarded traffic
 * from the mesh, nothing may accept before mesh destinations are dropped. */
static void test_rule2_drop_precedes_every_accept(void **state)
{
	struct fixture *f = *state;
	struct plan *b = plan_for(&f->arena, f->m, "b");
	bool seen_rule2 = false;

	for (size_t i = 0; i < b->fw.n_rules; i++) {
		const struct fw_rule *r = &b->fw.rules[i];

		if (r->chain != FW_CHAIN_FROM_MESH)
			continue;
		if (r->spec_rule == 2) {
			assert_int_equal(r->verdict, FW_DROP);
			assert_int_equal(r->daddr_set, FW_SET_MESH);
			assert_int_equal(r->saddr_set, FW_SET_NONE);
			assert_int_equal(r->oif, FW_IF_ANY);
			seen_rule2 = true;
		} else if (r->verdict == FW_ACCEPT) {
			assert_true(seen_rule2);
		}
	}
	assert_true(seen_rule2);
}

static size_t mesh_input_first(const struct plan *p)
{
	for (size_t i = 0; i < p->fw.n_rules; i++)
		if (p->fw.rules[i].chain == FW_CHAIN_MESH_INPUT)
			return i;
	return (size_t)-1;
}

/* A revoked incoming stays revoked while this node keeps sending (issue
 * 9, point 5): every node, routing or not, has an output chain whose
 * first rule drops the mesh-bound TCP segments that would make conntrack
 * pick a connection up mid-stream; then replies pass, then the closed set
 * (unmanaged peers' incoming) is dropped; nothing else of the node's own
 * traffic. */
static void test_output_drops_picked_up_connections(void **state)
{
	struct fixture *f = *state;
	const char *nodes[] = { "a", "b" };

	for (size_t k = 0; k < 2; k++) {
		struct plan *p = plan_for(&f->arena, f->m, nodes[k]);
		const struct fw_rule *out[3] = { 0 };
		size_t n = 0;

		assert_true(fw_chain_wanted(&p->fw, FW_CHAIN_OUTPUT));
		for (size_t i = 0; i < p->fw.n_rules; i++) {
			const struct fw_rule *r = &p->fw.rules[i];

			/* pickups are dropped on the way out and in */
			assert_true(r->chain == FW_CHAIN_OUTPUT ||
				    r->chain == FW_CHAIN_MESH_INPUT ||
				    !r->tcp_pickup);
			assert_true(r->chain == FW_CHAIN_OUTPUT ||
				    r->daddr_set != FW_SET_CLOSED);
			/* ... in, right after the replies and before any
			 * grant: a peer granted incoming picks nothing up */
			if (r->chain == FW_CHAIN_MESH_INPUT && r->tcp_pickup) {
				assert_int_equal(i, mesh_input_first(p) + 1);
				assert_true(p->fw.rules[i - 1].ct_established);
				assert_int_equal(r->verdict, FW_DROP);
				assert_string_equal(r->id, "no-pickup-in");
			}
			if (r->chain == FW_CHAIN_OUTPUT && n < 3)
				out[n] = r;
			n += r->chain == FW_CHAIN_OUTPUT;
		}
		assert_int_equal(n, 3);
		for (size_t i = 0; i < 3; i++) {
			assert_int_equal(out[i]->oif, FW_IF_MESH);
			assert_int_equal(out[i]->iif, FW_IF_ANY);
			assert_int_equal(out[i]->family, 0);
			assert_int_equal(out[i]->saddr_set, FW_SET_NONE);
		}
		assert_true(out[0]->tcp_pickup);
		assert_false(out[0]->ct_established);
		assert_int_equal(out[0]->daddr_set, FW_SET_NONE);
		assert_int_equal(out[0]->verdict, FW_DROP);
		assert_int_equal(out[0]->spec_rule, 6);
		assert_string_equal(out[0]->id, "no-pickup");
		assert_true(out[1]->ct_established);
		assert_int_equal(out[1]->verdict, FW_ACCEPT);
		assert_false(out[2]->tcp_pickup || out[2]->ct_established);
		assert_int_equal(out[2]->daddr_set, FW_SET_CLOSED);
		assert_int_equal(out[2]->verdict, FW_DROP);
		assert_int_equal(out[2]->spec_rule, 6);
		assert_string_equal(out[2]->id, "unmanaged-incoming");
		/* every node of the seed is managed: nothing is closed */
		assert_int_equal(p->fw.sets[FW_SET_CLOSED][0].n_elems, 0);
		assert_int_equal(p->fw.sets[FW_SET_CLOSED][1].n_elems, 0);
	}
}

/* The closed set holds exactly the unmanaged peers that do not grant this
 * node incoming, both families, each with the line that decided it. */
static void test_closed_set_is_unmanaged_peers_without_incoming(void **state)
{
	static const char doc[] =
		"version: 1\n"
		"meshes:\n"
		"  x: { network: 100.64.0.0/24, network6: 'fd00::/64' }\n"
		"nodes:\n"
		"  gw:\n"
		"    mesh: x\n"
		"    public_key: " KEY_A "\n"
		"    address: 100.64.0.1\n"
		"    endpoint: 198.51.100.10:51820\n"
		"  srv:\n"
		"    mesh: x\n"
		"    public_key: " KEY_B "\n"
		"    address: 100.64.0.2\n"
		"    endpoint: 198.51.100.11:51820\n"
		"    permissions: { default: { incoming: false } }\n"
		"  phone:\n"
		"    mesh: x\n"
		"    public_key: " KEY_C "\n"
		"    address: 100.64.0.3\n"
		"    address6: 'fd00::3'\n"
		"    platform: android\n"
		"    permissions:\n"
		"      default: { incoming: false }\n"
		"      peers: { srv: { incoming: true } }\n"
		"  mac:\n"
		"    mesh: x\n"
		"    public_key: " KEY_D "\n"
		"    address: 100.64.0.4\n"
		"    platform: macos\n";
	struct fixture *f = *state;
	struct model *m = load_doc(&f->arena, doc);
	struct plan *gw = plan_for(&f->arena, m, "gw");
	struct plan *srv = plan_for(&f->arena, m, "srv");
	const struct fw_set *c4 = &gw->fw.sets[FW_SET_CLOSED][0];

	/* phone does not grant gw: closed at gw, both families; srv is
	 * managed (its own input enforces it), mac grants by default */
	assert_true(set_has(gw, FW_SET_CLOSED, "100.64.0.3/32"));
	assert_true(set_has(gw, FW_SET_CLOSED, "fd00::3/128"));
	assert_false(set_has(gw, FW_SET_CLOSED, "100.64.0.2/32"));
	assert_false(set_has(gw, FW_SET_CLOSED, "100.64.0.4/32"));
	assert_int_equal(c4->n_elems, 1);
	assert_string_equal(c4->elems[0].why, "phone");
	assert_int_equal(c4->elems[0].loc.line, 23);
	/* phone grants srv: nothing closed there */
	assert_int_equal(srv->fw.sets[FW_SET_CLOSED][0].n_elems, 0);
	assert_int_equal(srv->fw.sets[FW_SET_CLOSED][1].n_elems, 0);
}

static void test_lans_via_and_mesh_routes(void **state)
{
	struct fixture *f = *state;
	struct plan *a = plan_for(&f->arena, f->m, "a");
	struct plan *c = plan_for(&f->arena, f->m, "c");
	char buf[IP_STRLEN];

	/* a: its own mesh (peer b) and b's lan; no route to mesh y */
	assert_int_equal(a->n_routes, 2);
	assert_string_equal(ip_prefix_str(&a->routes[0].dst, buf),
			    "100.64.0.0/24");
	assert_string_equal(ip_prefix_str(&a->routes[1].dst, buf),
			    "192.168.2.0/24");
	assert_string_equal(a->routes[1].dev, "meshx");
	/* c: mesh x holds its only peer; mesh y holds none but c */
	for (size_t i = 0; i < c->n_routes; i++)
		assert_string_not_equal(ip_prefix_str(&c->routes[i].dst, buf),
					"100.64.1.0/24");
}

static void test_keepalive_defaults_toward_endpoints(void **state)
{
	struct fixture *f = *state;

	/* c has no endpoint, b has one: c keeps the NAT mapping open */
	assert_int_equal(find_peer(plan_for(&f->arena, f->m, "c"), "b")->keepalive,
			 MESHC_DEFAULT_KEEPALIVE);
	/* a has an endpoint itself: off */
	assert_int_equal(find_peer(plan_for(&f->arena, f->m, "a"), "b")->keepalive, 0);
	/* toward a peer without endpoint: off */
	assert_int_equal(find_peer(plan_for(&f->arena, f->m, "b"), "c")->keepalive, 0);
}

/* The firewall's size is the same for 3 peers and for 300: per-peer
 * policy lives in sets. */
static void test_rule_count_independent_of_peer_count(void **state)
{
	struct arena a;
	struct strbuf doc = STRBUF_INIT;
	struct model *m;
	struct plan *small, *big;
	size_t rules_small;
	struct fixture *f = *state;

	small = plan_for(&f->arena, f->m, "b");
	rules_small = small->fw.n_rules;
	arena_init(&a);
	strbuf_puts(&doc, "version: 1\nmeshes:\n  x: { network: 10.0.0.0/16 }\n"
			  "nodes:\n");
	for (int i = 0; i < 300; i++) {
		struct secret_key k;
		uint8_t pub[WG_KEY_LEN];
		char b64[WG_KEY_B64_LEN + 1];

		assert_int_equal(secret_key_generate(&k, true), 0);
		secret_key_public(&k, pub);
		secret_key_free(&k);
		key_to_base64(pub, b64);
		strbuf_printf(&doc, "  n%d: { mesh: x, public_key: \"%s\", "
				    "address: 10.0.%d.%d%s }\n",
			      i, b64, i / 250, i % 250 + 1,
			      i == 0 ? ", lan: [192.168.9.0/24], permissions: "
				       "{ default: { routing: true } }"
				     : "");
	}
	m = load_doc(&a, strbuf_str(&doc));
	big = plan_for(&a, m, "n0");
	assert_int_equal(big->n_peers, 299);
	assert_int_equal(big->fw.sets[FW_SET_ROUTING][0].n_elems, 299);
	assert_int_equal(big->fw.n_rules, rules_small);
	strbuf_free(&doc);
	arena_free(&a);
}

/* n peers, each granted two services by n0 (and, every other one, a lan
 * entry with two ports): the plan of n0. */
static struct plan *services_plan(struct arena *a, int n, size_t *n_lists)
{
	struct strbuf doc = STRBUF_INIT;
	struct model *m;
	struct plan *p;

	strbuf_puts(&doc, "version: 1\nmeshes:\n  x: { network: 10.0.0.0/16 }\n"
			  "nodes:\n  n0:\n    mesh: x\n"
			  "    public_key: \"" KEY_A "\"\n    address: 10.0.0.1\n"
			  "    lan: [192.168.9.0/24]\n    permissions:\n"
			  "      peers:\n");
	for (int i = 1; i < n; i++)
		strbuf_printf(&doc, "        n%d: { incoming: [tcp/%d, udp/53]%s }\n",
			      i, 1000 + i,
			      i % 2 ? ", local_network: [{ to: 192.168.9.10, "
				      "ports: [tcp/443, tcp/8000-8100] }]"
				    : "");
	for (int i = 1; i < n; i++) {
		struct secret_key k;
		uint8_t pub[WG_KEY_LEN];
		char b64[WG_KEY_B64_LEN + 1];

		assert_int_equal(secret_key_generate(&k, true), 0);
		secret_key_public(&k, pub);
		secret_key_free(&k);
		key_to_base64(pub, b64);
		strbuf_printf(&doc, "  n%d: { mesh: x, public_key: \"%s\", "
				    "address: 10.0.%d.%d }\n",
			      i, b64, i / 250, i % 250 + 2);
	}
	m = load_doc(a, strbuf_str(&doc));
	p = plan_for(a, m, "n0");
	*n_lists = (size_t)(n - 1);
	strbuf_free(&doc);
	return p;
}

/* Lists add elements, never rules: the rule count is the same for 3 and
 * 300 peers with two services each, and a list never lands in the
 * full-grant set. */
static void test_service_rules_independent_of_peers_and_entries(void **state)
{
	struct arena a;
	struct plan *small, *big;
	size_t n_small, n_big;

	(void)state;
	arena_init(&a);
	small = services_plan(&a, 4, &n_small);
	big = services_plan(&a, 300, &n_big);
	assert_true(small->fw.services && big->fw.services);
	assert_int_equal(big->fw.n_rules, small->fw.n_rules);
	assert_int_equal(big->fw.sets[FW_SET_INCOMING][0].n_elems, 0);
	assert_int_equal(big->fw.sets[FW_SET_LAN_ACCESS][0].n_elems, 0);
	assert_int_equal(big->fw.sets[FW_SET_INCOMING_SVC][0].n_elems,
			 2 * n_big);
	/* half the peers hold a lan entry of two ports */
	assert_int_equal(big->fw.sets[FW_SET_LAN_SVC][0].n_elems,
			 2 * ((n_big + 1) / 2));
	arena_free(&a);
}

/* Full grants keep the ruleset of before lists existed: no service set,
 * no service rule. */
static void test_full_grants_have_no_service_rules(void **state)
{
	struct fixture *f = *state;
	struct plan *b = plan_for(&f->arena, f->m, "b");

	assert_false(b->fw.services);
	for (size_t i = 0; i < b->fw.n_rules; i++) {
		assert_false(fw_set_id_is_service(b->fw.rules[i].saddr_set));
		assert_false(fw_set_id_is_service(b->fw.rules[i].daddr_set));
		assert_false(b->fw.rules[i].icmp_echo);
	}
}

/* tcp and tcp/22 for one peer, a host inside a granted network: the
 * kernel would refuse the overlap, so the plan keeps the outer one; one
 * peer's adjacent ranges merge. */
static void test_service_elements_merge(void **state)
{
	static const char doc[] =
		"version: 1\nmeshes:\n  x: { network: 10.0.0.0/24 }\n"
		"nodes:\n"
		"  a:\n    mesh: x\n    public_key: \"" KEY_A "\"\n"
		"    address: 10.0.0.1\n    lan: [192.168.9.0/24]\n"
		"    permissions:\n      peers:\n"
		"        b:\n          incoming: [tcp/22, tcp, udp/10-20, udp/21-30]\n"
		"          local_network:\n"
		"            - { to: 192.168.9.0/24, ports: [tcp/443] }\n"
		"            - { to: 192.168.9.10, ports: [tcp/443, udp/53] }\n"
		"  b: { mesh: x, public_key: \"" KEY_B "\", address: 10.0.0.2 }\n";
	struct arena a;
	struct plan *p;
	const struct fw_set *in, *lan;
	char buf[SVC_STRLEN];

	(void)state;
	arena_init(&a);
	p = plan_for(&a, load_doc(&a, doc), "a");
	in = &p->fw.sets[FW_SET_INCOMING_SVC][0];
	assert_int_equal(in->n_elems, 2);
	assert_string_equal(svc_str(&in->elems[0].svc, buf), "tcp");
	assert_string_equal(svc_str(&in->elems[1].svc, buf), "udp/10-30");
	/* 192.168.9.0/24 minus the host .10 is 8 prefixes, each with
	 * tcp/443; .10 has tcp/443 and udp/53: no element's ends lie in
	 * another, and the same packets pass */
	lan = &p->fw.sets[FW_SET_LAN_SVC][0];
	assert_int_equal(lan->n_elems, 10);
	{
		static const struct {
			const char *dst;
			struct fw_service svc;
			bool hit;
		} cases[] = {
			{ "192.168.9.10", { SVC_UDP, 53, 53 }, true },
			{ "192.168.9.10", { SVC_TCP, 443, 443 }, true },
			{ "192.168.9.200", { SVC_TCP, 443, 443 }, true },
			{ "192.168.9.0", { SVC_TCP, 443, 443 }, true },
			{ "192.168.9.11", { SVC_TCP, 443, 443 }, true },
			{ "192.168.9.200", { SVC_UDP, 53, 53 }, false },
			{ "192.168.9.10", { SVC_TCP, 444, 444 }, false },
		};
		struct ip_addr src = lan->elems[0].prefix.addr, dst;
		const char *why;

		for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
			assert_int_equal(ip_addr_parse(cases[i].dst, &dst, &why),
					 0);
			assert_int_equal(fw_set_lookup_key(lan, FW_SET_LAN_SVC,
							   &src, &dst,
							   &cases[i].svc, NULL),
					 cases[i].hit);
		}
		for (size_t i = 0; i < lan->n_elems; i++)
			for (size_t k = 0; k < lan->n_elems; k++)
				assert_true(i == k ||
					    !ip_prefix_overlap(&lan->elems[i].dst,
							       &lan->elems[k].dst) ||
					    lan->elems[i].svc.proto !=
						    lan->elems[k].svc.proto);
	}
	arena_free(&a);
}

static void test_compile_is_deterministic(void **state)
{
	struct fixture *f = *state;
	struct plan *p1 = plan_for(&f->arena, f->m, "b");
	struct plan *p2 = plan_for(&f->arena, f->m, "b");

	assert_int_equal(p1->n_peers, p2->n_peers);
	for (size_t i = 0; i < p1->n_peers; i++)
		assert_string_equal(p1->peers[i].public_key,
				    p2->peers[i].public_key);
	assert_int_equal(p1->fw.n_rules, p2->fw.n_rules);
}

/* ---- relays -------------------------------------------------------------- */

#define KEY_E "EWBOUtQsxZztVTzmDpxGr8Kfnj458cs0Rzuw/8sNk2c="

/* hub relays for the mesh; a, b and e have no endpoint, c has one; b
 * refuses a. */
static const char relay_doc[] =
	"version: 1\n"
	"meshes:\n"
	"  x: { network: 100.64.0.0/24, network6: fd64::/64, relay: hub }\n"
	"nodes:\n"
	"  hub: { mesh: x, public_key: " KEY_D ", address: 100.64.0.1,"
	" address6: fd64::1, endpoint: 198.51.100.1:51820 }\n"
	"  a: { mesh: x, public_key: " KEY_A ", address: 100.64.0.2,"
	" address6: fd64::2 }\n"
	"  b:\n"
	"    mesh: x\n"
	"    public_key: " KEY_B "\n"
	"    address: 100.64.0.3\n"
	"    permissions: { peers: { a: { incoming: false } } }\n"
	"  c: { mesh: x, public_key: " KEY_C ", address: 100.64.0.4,"
	" endpoint: 203.0.113.4:51820 }\n"
	"  e: { mesh: x, public_key: " KEY_E ", address: 100.64.0.5 }\n";

static bool set_has_pair(const struct plan *p, int f, const char *src,
			 const char *dst)
{
	char s[IP_STRLEN], d[IP_STRLEN];
	const struct fw_set *set = &p->fw.sets[FW_SET_RELAY][f];

	for (size_t i = 0; i < set->n_elems; i++)
		if (!strcmp(ip_prefix_str(&set->elems[i].prefix, s), src) &&
		    !strcmp(ip_prefix_str(&set->elems[i].dst, d), dst))
			return true;
	return false;
}

/* A relayed pair has no peer entry for each other: each other's mesh
 * addresses ride on the relay's entry; a peer with an endpoint keeps its
 * own entry (direct), and the relay's entry has its own address too. */
static void test_relayed_peers_ride_on_the_relay(void **state)
{
	struct arena a;
	struct model *m;
	struct plan *pa, *hub;
	const struct plan_peer *h;

	(void)state;
	arena_init(&a);
	m = load_doc(&a, relay_doc);
	pa = plan_for(&a, m, "a");
	assert_int_equal(pa->n_peers, 2);	/* hub, c: not b, e */
	assert_null(find_peer(pa, "b"));
	assert_null(find_peer(pa, "e"));
	assert_non_null(find_peer(pa, "c"));
	h = find_peer(pa, "hub");
	/* b's and e's IPv6 addresses are derived from their keys */
	assert_int_equal(h->n_allowed_ips, 6);
	assert_true(has_allowed(h, "100.64.0.1/32"));
	assert_true(has_allowed(h, "fd64::1/128"));
	assert_true(has_allowed(h, "100.64.0.3/32"));	/* b, relayed */
	for (size_t i = 0; i < h->n_allowed_ips; i++)
		assert_int_equal(h->allowed_ips[i].why,
				 ip_addr_eq(&h->allowed_ips[i].prefix.addr,
					    &m->nodes[model_node_find(m, "hub")]
						     .address.v) ||
					 ip_addr_eq(&h->allowed_ips[i].prefix.addr,
						    &m->nodes[model_node_find(m, "hub")]
							     .address6.v)
					 ? ALLOWED_MESH_ADDRESS
					 : ALLOWED_RELAYED);
	assert_int_equal(h->keepalive, 25);
	/* b still is a's peer in a's firewall: a enforces its own grant */
	assert_true(set_has(pa, FW_SET_INCOMING, "100.64.0.3/32"));
	/* the relay's mesh relay does not apply to the relay itself */
	hub = plan_for(&a, m, "hub");
	assert_int_equal(hub->n_peers, 4);
	for (size_t i = 0; i < hub->n_peers; i++)
		assert_int_equal(hub->peers[i].n_allowed_ips, 2);
	arena_free(&a);
}

/* The relay's sets hold exactly the relayed pairs whose destination
 * grants the source incoming, per family: its users without an endpoint
 * (a, b, e), those who let every one of them in (a, e), and the pairs to
 * the others (e -> b; b refuses a); its relay rules come before rule 2's
 * drop, and it forwards (sysctl) without any routing grant. */
static void test_relay_pair_set_and_rules(void **state)
{
	struct arena a;
	struct model *m;
	struct plan *hub, *pa;
	int relay = -1, transit = -1, replies = -1, pickup = -1;

	(void)state;
	arena_init(&a);
	m = load_doc(&a, relay_doc);
	hub = plan_for(&a, m, "hub");
	assert_int_equal(hub->fw.sets[FW_SET_RELAY_USERS][0].n_elems, 3);
	assert_false(set_has(hub, FW_SET_RELAY_USERS, "100.64.0.4/32"));
	assert_int_equal(hub->fw.sets[FW_SET_RELAY_OPEN][0].n_elems, 2);
	assert_true(set_has(hub, FW_SET_RELAY_OPEN, "100.64.0.2/32"));
	assert_true(set_has(hub, FW_SET_RELAY_OPEN, "100.64.0.5/32"));
	assert_int_equal(hub->fw.sets[FW_SET_RELAY][0].n_elems, 1);
	assert_true(set_has_pair(hub, 0, "100.64.0.5/32", "100.64.0.3/32"));
	assert_false(set_has_pair(hub, 0, "100.64.0.2/32", "100.64.0.3/32"));
	/* and the same in IPv6 (addresses derived from the keys) */
	assert_int_equal(hub->fw.sets[FW_SET_RELAY][1].n_elems, 1);
	for (size_t i = 0; i < hub->fw.n_rules; i++) {
		const struct fw_rule *r = &hub->fw.rules[i];

		if (!strcmp(r->id, "relay")) {
			relay = (int)i;
			assert_true(fw_rule_is_pair(r));
			assert_int_equal(r->oif, FW_IF_MESH);
			assert_int_equal(r->verdict, FW_ACCEPT);
		}
		if (!strcmp(r->id, "relay-replies"))
			replies = (int)i;
		if (!strcmp(r->id, "relay-no-pickup")) {
			pickup = (int)i;
			assert_true(r->tcp_pickup);
			assert_int_equal(r->oif, FW_IF_MESH);
			assert_int_equal(r->verdict, FW_DROP);
		}
		if (!strcmp(r->id, "no-mesh-transit"))
			transit = (int)i;
	}
	/* replies, then no pickup of a cut connection, then the pairs, all
	 * before rule 2 */
	assert_true(replies >= 0 && pickup > replies && relay > pickup &&
		    transit > relay);
	assert_non_null(find_sysctl(hub, "net.ipv4.ip_forward"));
	assert_non_null(find_sysctl(hub, "net.ipv6.conf.all.forwarding"));
	assert_false(hub->forwards);	/* it NATs nothing */
	assert_false(hub->fw.nat);
	/* a spoke has neither the rules nor forwarding */
	pa = plan_for(&a, m, "a");
	assert_int_equal(pa->fw.sets[FW_SET_RELAY][0].n_elems, 0);
	for (size_t i = 0; i < pa->fw.n_rules; i++)
		assert_false(fw_rule_is_pair(&pa->fw.rules[i]));
	assert_null(find_sysctl(pa, "net.ipv4.ip_forward"));
	arena_free(&a);
}

/* A relayed destination whose incoming is a list is no open one and has
 * no pair: the relay forwards the list's services only, in relay_svc
 * (and relay_icmp for icmp), each element at its service's line.  b
 * lets a in on tcp/22 only and e fully (a pair); e's default is
 * [tcp/80, icmp], so e is not in relay_open (a list default is not all
 * of incoming). */
static const char relay_svc_doc[] =
	"version: 1\n"
	"meshes:\n"
	"  x: { network: 100.64.0.0/24, network6: fd64::/64, relay: hub }\n"
	"nodes:\n"
	"  hub: { mesh: x, public_key: " KEY_D ", address: 100.64.0.1,"
	" address6: fd64::1, endpoint: 198.51.100.1:51820 }\n"
	"  a: { mesh: x, public_key: " KEY_A ", address: 100.64.0.2,"
	" address6: fd64::2 }\n"
	"  b:\n"
	"    mesh: x\n"
	"    public_key: " KEY_B "\n"
	"    address: 100.64.0.3\n"
	"    address6: fd64::3\n"
	"    permissions:\n"
	"      default: { incoming: false }\n"
	"      peers:\n"
	"        a: { incoming: [tcp/22] }\n"
	"        e: { incoming: true }\n"
	"  e:\n"
	"    mesh: x\n"
	"    public_key: " KEY_E "\n"
	"    address: 100.64.0.5\n"
	"    address6: fd64::5\n"
	"    permissions: { default: { incoming: [tcp/80, icmp] } }\n";

static const struct fw_elem *svc_elem(const struct plan *p, enum fw_set_id id,
				      int f, const char *src, const char *dst,
				      const char *svc)
{
	const struct fw_set *set = &p->fw.sets[id][f];
	char s[IP_STRLEN], d[IP_STRLEN], v[SVC_STRLEN];

	for (size_t i = 0; i < set->n_elems; i++) {
		const struct fw_elem *e = &set->elems[i];

		if (!strcmp(ip_prefix_str(&e->prefix, s), src) &&
		    !strcmp(ip_prefix_str(&e->dst, d), dst) &&
		    (!svc || !strcmp(svc_str(&e->svc, v), svc)))
			return e;
	}
	return NULL;
}

static void test_relay_limited_destination_gets_services(void **state)
{
	struct arena a;
	struct model *m;
	struct plan *hub;
	const struct fw_elem *e;
	int svc_rule = -1, icmp_rule = -1, transit = -1;

	(void)state;
	arena_init(&a);
	m = load_doc(&a, relay_svc_doc);
	hub = plan_for(&a, m, "hub");
	assert_true(hub->fw.services);
	/* a lets everyone in (built-in true); b refuses some; e's
	 * default is a list, which is not all of incoming */
	assert_int_equal(hub->fw.sets[FW_SET_RELAY_OPEN][0].n_elems, 1);
	assert_true(set_has(hub, FW_SET_RELAY_OPEN, "100.64.0.2/32"));
	/* the one full grant is the one pair: e -> b */
	assert_int_equal(hub->fw.sets[FW_SET_RELAY][0].n_elems, 1);
	assert_true(set_has_pair(hub, 0, "100.64.0.5/32", "100.64.0.3/32"));
	assert_false(set_has_pair(hub, 0, "100.64.0.2/32", "100.64.0.3/32"));
	assert_false(set_has_pair(hub, 0, "100.64.0.2/32", "100.64.0.5/32"));
	/* a -> b: tcp/22 only, at its line; a -> e and b -> e: tcp/80 */
	e = svc_elem(hub, FW_SET_RELAY_SVC, 0, "100.64.0.2/32",
		     "100.64.0.3/32", "tcp/22");
	assert_non_null(e);
	assert_int_equal(e->loc.line, 15);
	assert_string_equal(e->why, "a -> b");
	assert_non_null(svc_elem(hub, FW_SET_RELAY_SVC, 1, "fd64::2/128",
				 "fd64::3/128", "tcp/22"));
	assert_non_null(svc_elem(hub, FW_SET_RELAY_SVC, 0, "100.64.0.2/32",
				 "100.64.0.5/32", "tcp/80"));
	assert_non_null(svc_elem(hub, FW_SET_RELAY_SVC, 0, "100.64.0.3/32",
				 "100.64.0.5/32", "tcp/80"));
	assert_int_equal(hub->fw.sets[FW_SET_RELAY_SVC][0].n_elems, 3);
	/* icmp only where the list has it: toward e, never toward b */
	assert_non_null(svc_elem(hub, FW_SET_RELAY_ICMP, 0, "100.64.0.2/32",
				 "100.64.0.5/32", NULL));
	assert_null(svc_elem(hub, FW_SET_RELAY_ICMP, 0, "100.64.0.2/32",
			     "100.64.0.3/32", NULL));
	assert_int_equal(hub->fw.sets[FW_SET_RELAY_ICMP][0].n_elems, 2);
	/* b -> a rides on relay_open, not on a service */
	assert_null(svc_elem(hub, FW_SET_RELAY_SVC, 0, "100.64.0.3/32",
			     "100.64.0.2/32", NULL));
	for (size_t i = 0; i < hub->fw.n_rules; i++) {
		const struct fw_rule *r = &hub->fw.rules[i];

		if (!strcmp(r->id, "relay-services")) {
			svc_rule = (int)i;
			assert_int_equal(r->saddr_set, FW_SET_RELAY_SVC);
			assert_int_equal(r->daddr_set, FW_SET_NONE);
			assert_true(fw_rule_is_relay_accept(r));
		}
		if (!strcmp(r->id, "relay-icmp")) {
			icmp_rule = (int)i;
			assert_int_equal(r->saddr_set, FW_SET_RELAY_ICMP);
			assert_true(r->icmp_echo);
			assert_true(fw_rule_is_relay_accept(r));
		}
		if (!strcmp(r->id, "no-mesh-transit"))
			transit = (int)i;
	}
	assert_true(svc_rule >= 0 && icmp_rule >= 0);
	assert_true(svc_rule < transit && icmp_rule < transit);
	arena_free(&a);
}

/* A relay for 60 spokes has as many rules as one for three, and its
 * sets grow with the spokes, not with their pairs: 59 let everyone in
 * (relay_open), one refuses one other and gets the 58 pairs it grants. */
static void test_relay_rule_count_independent_of_users(void **state)
{
	struct arena a;
	struct strbuf doc = STRBUF_INIT;
	struct model *m, *small;
	struct plan *big;

	(void)state;
	arena_init(&a);
	small = load_doc(&a, relay_doc);
	strbuf_puts(&doc, "version: 1\nmeshes:\n  x: { network: 10.0.0.0/16, "
			  "relay: n0 }\nnodes:\n");
	for (int i = 0; i < 61; i++) {
		struct secret_key k;
		uint8_t pub[WG_KEY_LEN];
		char b64[WG_KEY_B64_LEN + 1];

		assert_int_equal(secret_key_generate(&k, true), 0);
		secret_key_public(&k, pub);
		secret_key_free(&k);
		key_to_base64(pub, b64);
		strbuf_printf(&doc, "  n%d: { mesh: x, public_key: \"%s\", "
				    "address: 10.0.0.%d%s }\n",
			      i, b64, i + 1,
			      i == 0	? ", endpoint: 198.51.100.1:51820"
			      : i == 1 ? ", permissions: { peers: { n2: "
					 "{ incoming: false } } }"
					: "");
	}
	m = load_doc(&a, strbuf_str(&doc));
	big = plan_for(&a, m, "n0");
	assert_int_equal(big->fw.sets[FW_SET_RELAY_USERS][0].n_elems, 60);
	assert_int_equal(big->fw.sets[FW_SET_RELAY_OPEN][0].n_elems, 59);
	assert_int_equal(big->fw.sets[FW_SET_RELAY][0].n_elems, 58);
	assert_int_equal(big->fw.n_rules, plan_for(&a, small, "hub")->fw.n_rules);
	strbuf_free(&doc);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peers_are_mesh_members_and_links),
		cmocka_unit_test(test_allowed_ips_follow_spec_rule_1),
		cmocka_unit_test(test_preshared_key_file_for_mesh_pairs_only),
		cmocka_unit_test(test_exit_node_client_gets_policy_routing),
		cmocka_unit_test(test_policy_mark_is_per_interface),
		cmocka_unit_test(test_forwarding_only_when_granting),
		cmocka_unit_test(test_grants_go_into_sets),
		cmocka_unit_test(test_rule2_drop_precedes_every_accept),
		cmocka_unit_test(test_output_drops_picked_up_connections),
		cmocka_unit_test(test_closed_set_is_unmanaged_peers_without_incoming),
		cmocka_unit_test(test_lans_via_and_mesh_routes),
		cmocka_unit_test(test_keepalive_defaults_toward_endpoints),
		cmocka_unit_test(test_rule_count_independent_of_peer_count),
		cmocka_unit_test(test_service_rules_independent_of_peers_and_entries),
		cmocka_unit_test(test_full_grants_have_no_service_rules),
		cmocka_unit_test(test_service_elements_merge),
		cmocka_unit_test(test_compile_is_deterministic),
		cmocka_unit_test(test_mtu_and_dns_node_else_mesh),
		cmocka_unit_test(test_relayed_peers_ride_on_the_relay),
		cmocka_unit_test(test_relay_pair_set_and_rules),
		cmocka_unit_test(test_relay_rule_count_independent_of_users),
		cmocka_unit_test(test_relay_limited_destination_gets_services),
	};

	if (secret_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
