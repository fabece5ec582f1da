/* Unit tests of src/model/model.c: lookups, effective values, the
 * permission chain and address derivation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/ip.h"
#include "base/secret.h"
#include "base/strmap.h"
#include "model/model.h"

/* A hand-built model: two meshes, four nodes, one link. */
struct fixture {
	struct arena a;
	struct model m;
	unsigned line;
};

static struct loc at(struct fixture *f)
{
	struct loc l = { "m.yaml", ++f->line, 5 };

	return l;
}

static void set_bool(struct fixture *f, struct m_bool *b, bool v)
{
	b->v = v;
	b->set = true;
	b->loc = at(f);
}

static size_t add_mesh(struct fixture *f, const char *name)
{
	struct m_mesh *mesh = &f->m.meshes[f->m.n_meshes];

	mesh->name.v = name;
	mesh->name.set = true;
	mesh->name.loc = mesh->loc = at(f);
	strmap_put(&f->m.mesh_index, name, f->m.n_meshes);
	return f->m.n_meshes++;
}

static size_t add_node(struct fixture *f, const char *name, size_t mesh)
{
	struct m_node *n = &f->m.nodes[f->m.n_nodes];

	n->name.v = name;
	n->name.set = true;
	n->name.loc = n->loc = at(f);
	n->mesh.v = f->m.meshes[mesh].name.v;
	n->mesh.set = true;
	n->mesh.loc = at(f);
	n->mesh_idx = mesh;
	n->exit_idx = MODEL_NONE;
	strmap_put(&f->m.node_index, name, f->m.n_nodes);
	return f->m.n_nodes++;
}

static struct m_grant *add_grant(struct fixture *f, size_t granter,
				 size_t peer)
{
	struct m_permissions *p = &f->m.nodes[granter].permissions;
	struct m_grant *g;

	if (!p->grants)
		p->grants = arena_calloc(&f->a, 8, sizeof(*p->grants));
	g = &p->grants[p->n_grants++];
	g->peer.v = f->m.nodes[peer].name.v;
	g->peer.set = true;
	g->peer.loc = at(f);
	g->peer_idx = peer;
	return g;
}

/* x: a, b, c; y: d; link d-b.  Indices: a 0, b 1, c 2, d 3. */
static int setup(void **state)
{
	static struct fixture fx;
	struct fixture *f = &fx;

	memset(f, 0, sizeof(*f));
	arena_init(&f->a);
	strmap_init(&f->m.mesh_index, &f->a);
	strmap_init(&f->m.node_index, &f->a);
	f->m.meshes = arena_calloc(&f->a, 4, sizeof(*f->m.meshes));
	f->m.nodes = arena_calloc(&f->a, 8, sizeof(*f->m.nodes));
	add_mesh(f, "x");
	add_mesh(f, "y");
	add_node(f, "a", 0);
	add_node(f, "b", 0);
	add_node(f, "c", 0);
	add_node(f, "d", 1);
	f->m.nodes[1].linked = arena_calloc(&f->a, 1, sizeof(size_t));
	f->m.nodes[1].linked[0] = 3;
	f->m.nodes[1].n_linked = 1;
	f->m.nodes[3].linked = arena_calloc(&f->a, 1, sizeof(size_t));
	f->m.nodes[3].linked[0] = 1;
	f->m.nodes[3].n_linked = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(&f->a);
	return 0;
}

static void test_find_uses_the_name_index(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(model_mesh_find(&f->m, "y"), 1);
	assert_int_equal(model_node_find(&f->m, "c"), 2);
	assert_true(model_node_find(&f->m, "x") == MODEL_NONE);
	assert_true(model_mesh_find(&f->m, "a") == MODEL_NONE);
	assert_true(model_node_find(&f->m, NULL) == MODEL_NONE);
}

static void test_interface_node_then_mesh_then_default(void **state)
{
	struct fixture *f = *state;
	struct m_node *a = &f->m.nodes[0];

	assert_string_equal(model_node_interface(&f->m, a), "meshc0");
	f->m.meshes[0].interface.v = "meshx";
	f->m.meshes[0].interface.set = true;
	assert_string_equal(model_node_interface(&f->m, a), "meshx");
	a->interface.v = "wg7";
	a->interface.set = true;
	assert_string_equal(model_node_interface(&f->m, a), "wg7");
	assert_string_equal(model_node_interface(&f->m, &f->m.nodes[3]),
			    "meshc0");
}

static void test_interface_before_validation_uses_mesh_name(void **state)
{
	struct fixture *f = *state;
	struct m_node *d = &f->m.nodes[3];

	f->m.meshes[1].interface.v = "meshy";
	f->m.meshes[1].interface.set = true;
	d->mesh_idx = MODEL_NONE;
	assert_string_equal(model_node_interface(&f->m, d), "meshy");
}

static void test_listen_port_node_then_mesh_then_default(void **state)
{
	struct fixture *f = *state;
	struct m_node *b = &f->m.nodes[1];

	assert_int_equal(model_node_listen_port(&f->m, b), 51820);
	f->m.meshes[0].listen_port.v = 4000;
	f->m.meshes[0].listen_port.set = true;
	assert_int_equal(model_node_listen_port(&f->m, b), 4000);
	b->listen_port.v = 5000;
	b->listen_port.set = true;
	assert_int_equal(model_node_listen_port(&f->m, b), 5000);
}

static void test_private_key_file_default(void **state)
{
	struct fixture *f = *state;
	struct m_node *a = &f->m.nodes[0];

	assert_string_equal(model_node_private_key_file(a),
			    "/etc/meshc/private.key");
	a->private_key_file.v = "/srv/k";
	a->private_key_file.set = true;
	assert_string_equal(model_node_private_key_file(a), "/srv/k");
}

static void test_platform_default_is_linux(void **state)
{
	struct fixture *f = *state;
	struct m_node *a = &f->m.nodes[0];

	assert_int_equal(model_node_platform(a), PLATFORM_LINUX);
	a->platform.v = PLATFORM_IOS;
	a->platform.set = true;
	assert_int_equal(model_node_platform(a), PLATFORM_IOS);
}

static void test_platform_names_and_forwarding(void **state)
{
	(void)state;
	assert_string_equal(platform_name(PLATFORM_LINUX), "linux");
	assert_string_equal(platform_name(PLATFORM_MACOS), "macos");
	assert_string_equal(platform_name(PLATFORM_WINDOWS), "windows");
	assert_string_equal(platform_name(PLATFORM_IOS), "ios");
	assert_string_equal(platform_name(PLATFORM_ANDROID), "android");
	assert_true(platform_can_forward(PLATFORM_LINUX));
	assert_true(platform_can_forward(PLATFORM_MACOS));
	assert_true(platform_can_forward(PLATFORM_WINDOWS));
	assert_false(platform_can_forward(PLATFORM_IOS));
	assert_false(platform_can_forward(PLATFORM_ANDROID));
}

static void test_peers_are_same_mesh_or_linked(void **state)
{
	struct fixture *f = *state;

	assert_true(model_are_peers(&f->m, 0, 2));	/* a-c same mesh */
	assert_true(model_are_peers(&f->m, 1, 3));	/* b-d linked */
	assert_true(model_are_peers(&f->m, 3, 1));
	assert_false(model_are_peers(&f->m, 0, 3));	/* a-d: no link */
	assert_false(model_are_peers(&f->m, 2, 2));	/* not itself */
	assert_false(model_are_peers(&f->m, 0, 99));
}

static void test_permissions_builtin_defaults_point_at_granter(void **state)
{
	struct fixture *f = *state;
	struct perm_set p = model_permissions(&f->m, 1, 0);

	assert_true(p.incoming.v);
	assert_false(p.routing.v);
	assert_false(p.local_network.v);
	assert_string_equal(p.routing.source, "built-in default");
	assert_int_equal(p.routing.loc.line, f->m.nodes[1].loc.line);
	assert_int_equal(p.incoming.loc.line, f->m.nodes[1].loc.line);
}

static void test_permissions_peer_entry_wins(void **state)
{
	struct fixture *f = *state;
	struct m_node *b = &f->m.nodes[1];
	struct m_grant *g;
	struct perm_set p;

	set_bool(f, &f->m.meshes[0].defaults.routing, false);
	set_bool(f, &b->permissions.def.routing, false);
	add_grant(f, 1, 0);
	g = add_grant(f, 1, 2);
	set_bool(f, &g->flags.routing, true);
	add_grant(f, 1, 3);
	p = model_permissions(&f->m, 1, 2);
	assert_true(p.routing.v);
	assert_string_equal(p.routing.source, "peer entry");
	assert_int_equal(p.routing.loc.line, g->flags.routing.loc.line);
	/* {routing: true} alone leaves incoming to the chain. */
	assert_true(p.incoming.v);
	assert_string_equal(p.incoming.source, "built-in default");
	p = model_permissions(&f->m, 1, 0);
	assert_false(p.routing.v);
	assert_string_equal(p.routing.source, "node default");
}

static void test_permissions_mesh_defaults_before_builtin(void **state)
{
	struct fixture *f = *state;
	struct m_node *b = &f->m.nodes[1];
	struct perm_set p;

	set_bool(f, &f->m.meshes[0].defaults.local_network.b, true);
	set_bool(f, &f->m.meshes[0].defaults.incoming.b, false);
	set_bool(f, &b->permissions.def.incoming.b, true);
	p = model_permissions(&f->m, 1, 3);
	assert_true(p.local_network.v);
	assert_string_equal(p.local_network.source, "mesh defaults");
	assert_int_equal(p.local_network.loc.line,
			 f->m.meshes[0].defaults.local_network.b.loc.line);
	assert_true(p.incoming.v);
	assert_string_equal(p.incoming.source, "node default");
	/* d is in mesh y, which has no defaults. */
	p = model_permissions(&f->m, 3, 1);
	assert_false(p.local_network.v);
	assert_string_equal(p.local_network.source, "built-in default");
}

static void test_derived_address_is_stable(void **state)
{
	struct ip_prefix net;
	struct ip_addr out;
	uint8_t key[WG_KEY_LEN];
	char buf[IP_STRLEN];
	const char *why;

	(void)state;
	/* The contract of model.c's comment, computed independently. */
	for (int i = 0; i < WG_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	assert_int_equal(ip_prefix_parse("100.64.0.0/24", &net, &why), 0);
	assert_true(model_derive_address(&net, key, &out));
	assert_string_equal(ip_addr_str(&out, buf), "100.64.0.15");
	assert_int_equal(ip_prefix_parse("10.0.0.0/8", &net, &why), 0);
	assert_true(model_derive_address(&net, key, &out));
	assert_string_equal(ip_addr_str(&out, buf), "10.69.3.39");
	assert_int_equal(ip_prefix_parse("fd64:0:0:1::/64", &net, &why), 0);
	assert_true(model_derive_address(&net, key, &out));
	assert_string_equal(ip_addr_str(&out, buf),
			    "fd64::1:dc84:5e3e:d666:5338");
	assert_int_equal(ip_prefix_parse("fd64::/126", &net, &why), 0);
	assert_true(model_derive_address(&net, key, &out));
	assert_string_equal(ip_addr_str(&out, buf), "fd64::3");
}

static void test_derived_v6_wide_host_keeps_upper_bits_zero(void **state)
{
	struct ip_prefix net;
	struct ip_addr out;
	uint8_t key[WG_KEY_LEN];
	char buf[IP_STRLEN];
	const char *why;

	(void)state;
	for (int i = 0; i < WG_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	assert_int_equal(ip_prefix_parse("fd00::/48", &net, &why), 0);
	assert_true(model_derive_address(&net, key, &out));
	assert_string_equal(ip_addr_str(&out, buf),
			    "fd00::dc84:5e3e:d666:5338");
}

static void test_derived_v4_avoids_network_and_broadcast(void **state)
{
	struct ip_prefix net;
	struct ip_addr out;
	uint8_t key[WG_KEY_LEN] = { 0 };
	const char *why;
	bool seen[4] = { false };

	(void)state;
	assert_int_equal(ip_prefix_parse("192.0.2.0/30", &net, &why), 0);
	for (int i = 0; i < 256; i++) {
		key[0] = (uint8_t)i;
		assert_true(model_derive_address(&net, key, &out));
		assert_true(ip_prefix_contains(&net, &out));
		seen[out.b[3]] = true;
	}
	assert_false(seen[0]);
	assert_false(seen[3]);
	assert_true(seen[1] && seen[2]);
}

static void test_derived_v6_skips_zero_host(void **state)
{
	struct ip_prefix net;
	struct ip_addr out;
	uint8_t key[WG_KEY_LEN] = { 0 };
	const char *why;
	bool seen[4] = { false };

	(void)state;
	assert_int_equal(ip_prefix_parse("fd00::/126", &net, &why), 0);
	for (int i = 0; i < 256; i++) {
		key[5] = (uint8_t)i;
		assert_true(model_derive_address(&net, key, &out));
		seen[out.b[15]] = true;
	}
	assert_false(seen[0]);
	assert_true(seen[1] && seen[2] && seen[3]);
}

static void test_derive_refuses_networks_without_room(void **state)
{
	struct ip_prefix net;
	struct ip_addr out;
	uint8_t key[WG_KEY_LEN] = { 1 };
	const char *why;

	(void)state;
	assert_int_equal(ip_prefix_parse("192.0.2.0/31", &net, &why), 0);
	assert_false(model_derive_address(&net, key, &out));
	assert_int_equal(ip_prefix_parse("192.0.2.1/32", &net, &why), 0);
	assert_false(model_derive_address(&net, key, &out));
	assert_int_equal(ip_prefix_parse("fd00::/127", &net, &why), 0);
	assert_false(model_derive_address(&net, key, &out));
	memset(&net, 0, sizeof(net));
	assert_false(model_derive_address(&net, key, &out));
}

static void test_derived_address_differs_per_key(void **state)
{
	struct ip_prefix net;
	struct ip_addr a, b;
	uint8_t k1[WG_KEY_LEN] = { 1 }, k2[WG_KEY_LEN] = { 2 };
	const char *why;

	(void)state;
	assert_int_equal(ip_prefix_parse("fd00::/64", &net, &why), 0);
	assert_true(model_derive_address(&net, k1, &a));
	assert_true(model_derive_address(&net, k2, &b));
	assert_false(ip_addr_eq(&a, &b));
	assert_true(model_derive_address(&net, k1, &b));
	assert_true(ip_addr_eq(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find_uses_the_name_index,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_interface_node_then_mesh_then_default, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_interface_before_validation_uses_mesh_name, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_listen_port_node_then_mesh_then_default, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_private_key_file_default,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_platform_default_is_linux,
						setup, teardown),
		cmocka_unit_test(test_platform_names_and_forwarding),
		cmocka_unit_test_setup_teardown(
			test_peers_are_same_mesh_or_linked, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_permissions_builtin_defaults_point_at_granter,
			setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions_peer_entry_wins,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_permissions_mesh_defaults_before_builtin, setup,
			teardown),
		cmocka_unit_test(test_derived_address_is_stable),
		cmocka_unit_test(test_derived_v6_wide_host_keeps_upper_bits_zero),
		cmocka_unit_test(test_derived_v4_avoids_network_and_broadcast),
		cmocka_unit_test(test_derived_v6_skips_zero_host),
		cmocka_unit_test(test_derive_refuses_networks_without_room),
		cmocka_unit_test(test_derived_address_differs_per_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
