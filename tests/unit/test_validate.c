/* Unit tests of src/validate: every rule, with its exact message and the
 * location it points at, on models built by hand (as the loader would). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/ip.h"
#include "base/secret.h"
#include "base/strmap.h"
#include "model/model.h"
#include "validate/validate.h"

#define LIST_MAX 16

/* ---- building models ------------------------------------------------- */

struct tb {
	struct arena a;
	struct model *m;
	struct diags d;
	unsigned line;
	uint32_t keys;
	size_t cap_meshes, cap_nodes, cap_links, cap_tests;
};

/* Every value gets its own line, so a test can tell which value a
 * diagnostic points at by comparing locations. */
static struct loc next_loc(struct tb *t)
{
	struct loc l = { "t.yaml", ++t->line, 7 };

	return l;
}

static void tb_init_sized(struct tb *t, size_t meshes, size_t nodes,
			  size_t links, size_t tests)
{
	memset(t, 0, sizeof(*t));
	arena_init(&t->a);
	diags_init(&t->d, &t->a);
	t->m = arena_alloc(&t->a, sizeof(*t->m));
	t->m->file = "t.yaml";
	t->m->meshes = arena_calloc(&t->a, meshes, sizeof(*t->m->meshes));
	t->m->nodes = arena_calloc(&t->a, nodes, sizeof(*t->m->nodes));
	t->m->links = arena_calloc(&t->a, links, sizeof(*t->m->links));
	t->m->tests = arena_calloc(&t->a, tests, sizeof(*t->m->tests));
	t->m->meshes_set = t->m->nodes_set = true;
	t->cap_meshes = meshes;
	t->cap_nodes = nodes;
	t->cap_links = links;
	t->cap_tests = tests;
	strmap_init(&t->m->mesh_index, &t->a);
	strmap_init(&t->m->node_index, &t->a);
	t->m->version.v = 1;
	t->m->version.set = true;
	t->m->version.loc = next_loc(t);
}

static void tb_init(struct tb *t)
{
	tb_init_sized(t, 16, 64, 64, 16);
}

static void tb_free(struct tb *t)
{
	arena_free(&t->a);
}

static void set_str(struct tb *t, struct m_str *s, const char *v)
{
	s->v = arena_strdup(&t->a, v);
	s->set = true;
	s->loc = next_loc(t);
}

static void set_bool(struct tb *t, struct m_bool *b, bool v)
{
	b->v = v;
	b->set = true;
	b->loc = next_loc(t);
}

static void set_prefix(struct tb *t, struct m_prefix *p, const char *s)
{
	const char *why;

	assert_int_equal(ip_prefix_parse(s, &p->v, &why), 0);
	p->set = true;
	p->loc = next_loc(t);
}

static void set_addr(struct tb *t, struct m_addr *a, const char *s)
{
	const char *why;

	assert_int_equal(ip_addr_parse(s, &a->v, &why), 0);
	a->set = true;
	a->derived = false;
	a->loc = next_loc(t);
}

static void set_key(struct tb *t, struct m_key *k, uint32_t n)
{
	char b64[WG_KEY_B64_LEN + 1];

	memset(k->v, 0x5a, sizeof(k->v));
	k->v[0] = (uint8_t)n;
	k->v[1] = (uint8_t)(n >> 8);
	k->v[2] = (uint8_t)(n >> 16);
	k->v[3] = (uint8_t)(n >> 24);
	key_to_base64(k->v, b64);
	k->b64 = arena_strdup(&t->a, b64);
	k->set = true;
	k->loc = next_loc(t);
}

static struct m_mesh *tb_mesh(struct tb *t, const char *name, const char *net)
{
	struct m_mesh *mesh;

	assert_true(t->m->n_meshes < t->cap_meshes);
	mesh = &t->m->meshes[t->m->n_meshes];
	set_str(t, &mesh->name, name);
	mesh->loc = mesh->name.loc;
	if (net)
		set_prefix(t, &mesh->network, net);
	assert_true(strmap_put(&t->m->mesh_index, mesh->name.v,
			       t->m->n_meshes));
	t->m->n_meshes++;
	return mesh;
}

/* A node with a unique key and an endpoint (so that no endpoint warning
 * appears unless a test asks for one). */
static struct m_node *tb_node(struct tb *t, const char *name, const char *mesh)
{
	struct m_node *n;

	assert_true(t->m->n_nodes < t->cap_nodes);
	n = &t->m->nodes[t->m->n_nodes];
	set_str(t, &n->name, name);
	n->loc = n->name.loc;
	if (mesh)
		set_str(t, &n->mesh, mesh);
	set_key(t, &n->public_key, ++t->keys);
	n->endpoint.text = "198.51.100.1:51820";
	n->endpoint.host = "198.51.100.1";
	n->endpoint.port = 51820;
	n->endpoint.set = true;
	n->endpoint.loc = next_loc(t);
	n->mesh_idx = MODEL_NONE;
	n->exit_idx = MODEL_NONE;
	assert_true(strmap_put(&t->m->node_index, n->name.v, t->m->n_nodes));
	t->m->n_nodes++;
	return n;
}

static struct m_grant *tb_grant(struct tb *t, struct m_node *n,
				const char *peer)
{
	struct m_permissions *p = &n->permissions;
	struct m_grant *g;

	if (!p->grants)
		p->grants = arena_calloc(&t->a, LIST_MAX, sizeof(*p->grants));
	assert_true(p->n_grants < LIST_MAX);
	g = &p->grants[p->n_grants++];
	set_str(t, &g->peer, peer);
	g->peer_idx = MODEL_NONE;
	p->set = p->grants_set = true;
	return g;
}

static struct m_prefix *tb_lan(struct tb *t, struct m_node *n, const char *s)
{
	struct m_prefix_list *l = &n->lan;

	if (!l->items)
		l->items = arena_calloc(&t->a, LIST_MAX, sizeof(*l->items));
	assert_true(l->count < LIST_MAX);
	l->set = true;
	set_prefix(t, &l->items[l->count], s);
	return &l->items[l->count++];
}

static struct m_str *tb_via(struct tb *t, struct m_node *n, const char *name)
{
	struct m_name_list *l = &n->lans_via;

	if (!l->items) {
		l->items = arena_calloc(&t->a, LIST_MAX, sizeof(*l->items));
		l->idx = arena_calloc(&t->a, LIST_MAX, sizeof(*l->idx));
	}
	assert_true(l->count < LIST_MAX);
	l->set = true;
	set_str(t, &l->items[l->count], name);
	l->idx[l->count] = MODEL_NONE;
	return &l->items[l->count++];
}

static struct m_link *tb_link(struct tb *t, const char *a, const char *b)
{
	struct m_link *l;

	assert_true(t->m->n_links < t->cap_links);
	l = &t->m->links[t->m->n_links++];
	l->loc = next_loc(t);
	set_str(t, &l->a, a);
	set_str(t, &l->b, b);
	l->a_idx = l->b_idx = MODEL_NONE;
	t->m->links_set = true;
	return l;
}

static struct m_test *tb_test(struct tb *t, const char *from, const char *to)
{
	struct m_test *x;

	assert_true(t->m->n_tests < t->cap_tests);
	x = &t->m->tests[t->m->n_tests++];
	x->loc = next_loc(t);
	set_str(t, &x->from, from);
	set_str(t, &x->to, to);
	set_str(t, &x->expect, "allow");
	x->expect_allow = true;
	t->m->tests_set = true;
	return x;
}

static struct m_node *node(struct tb *t, const char *name)
{
	size_t i = model_node_find(t->m, name);

	assert_true(i != MODEL_NONE);
	return &t->m->nodes[i];
}

static void run(struct tb *t)
{
	validate_model(&t->a, t->m, &t->d);
}

/* ---- checking diagnostics -------------------------------------------- */

static void dump(const struct diags *d)
{
	for (size_t i = 0; i < d->count; i++)
		print_message("  %u:%u: %s: %s\n", d->items[i].loc.line,
			      d->items[i].loc.col,
			      d->items[i].level == DIAG_ERROR ? "error"
							      : "warning",
			      d->items[i].msg);
}

static bool loc_eq(struct loc a, struct loc b)
{
	return a.line == b.line && a.col == b.col;
}

static void expect_diag_at(struct tb *t, enum diag_level level,
			   struct loc loc, const char *msg, int line)
{
	for (size_t i = 0; i < t->d.count; i++) {
		const struct diag *g = &t->d.items[i];

		if (g->level == level && loc_eq(g->loc, loc) &&
		    !strcmp(g->msg, msg))
			return;
	}
	print_message("test line %d: no %s at %u:%u: %s\ngot:\n", line,
		      level == DIAG_ERROR ? "error" : "warning", loc.line,
		      loc.col, msg);
	dump(&t->d);
	fail();
}

static void expect_counts_at(struct tb *t, size_t errors, size_t warnings,
			     int line)
{
	if (t->d.errors == errors && t->d.warnings == warnings)
		return;
	print_message("test line %d: want %zu errors, %zu warnings; got "
		      "%zu, %zu:\n",
		      line, errors, warnings, t->d.errors, t->d.warnings);
	dump(&t->d);
	fail();
}

#define expect_error(t, loc, msg) \
	expect_diag_at((t), DIAG_ERROR, (loc), (msg), __LINE__)
#define expect_warning(t, loc, msg) \
	expect_diag_at((t), DIAG_WARNING, (loc), (msg), __LINE__)
#define expect_counts(t, e, w) expect_counts_at((t), (e), (w), __LINE__)

/* x: a b c (100.64.0.0/24), y: d e (100.64.1.0/24), link [d, b]. */
static void base_model(struct tb *t)
{
	tb_init(t);
	tb_mesh(t, "x", "100.64.0.0/24");
	tb_mesh(t, "y", "100.64.1.0/24");
	tb_node(t, "a", "x");
	tb_node(t, "b", "x");
	tb_node(t, "c", "x");
	tb_node(t, "d", "y");
	tb_node(t, "e", "y");
	tb_link(t, "d", "b");
}

/* ---- resolution ------------------------------------------------------ */

static void test_valid_model_is_resolved(void **state)
{
	struct tb t;

	(void)state;
	base_model(&t);
	run(&t);
	expect_counts(&t, 0, 0);
	assert_true(t.m->resolved);
	assert_int_equal(node(&t, "d")->mesh_idx, 1);
	assert_int_equal(t.m->links[0].a_idx, 3);
	assert_int_equal(t.m->links[0].b_idx, 1);
	tb_free(&t);
}

static void test_mesh_members_in_document_order(void **state)
{
	struct tb t;
	const struct m_mesh *x;

	(void)state;
	tb_init(&t);
	tb_mesh(&t, "x", "100.64.0.0/24");
	tb_mesh(&t, "y", "100.64.1.0/24");
	tb_node(&t, "n1", "y");
	tb_node(&t, "n2", "x");
	tb_node(&t, "n3", "y");
	tb_node(&t, "n4", "x");
	run(&t);
	x = &t.m->meshes[0];
	assert_int_equal(x->n_members, 2);
	assert_int_equal(x->members[0], 1);
	assert_int_equal(x->members[1], 3);
	assert_int_equal(t.m->meshes[1].n_members, 2);
	assert_int_equal(t.m->meshes[1].members[0], 0);
	assert_true(t.m->resolved);
	tb_free(&t);
}

/* The mesh's relay for every member but itself, a node's own relay over
 * it; users listed at their relay; relayed pairs share one relay and
 * lack endpoints. */
static void test_relay_resolution_and_pairs(void **state)
{
	struct tb t;
	struct m_mesh *x;
	struct m_node *a, *b, *d;

	(void)state;
	tb_init(&t);
	x = tb_mesh(&t, "x", "100.64.0.0/24");
	set_str(&t, &x->relay, "r");
	tb_node(&t, "r", "x");
	a = tb_node(&t, "a", "x");
	b = tb_node(&t, "b", "x");
	tb_node(&t, "c", "x");
	d = tb_node(&t, "d", "x");
	set_str(&t, &b->relay, "c");
	a->endpoint.set = b->endpoint.set = d->endpoint.set = false;
	run(&t);
	assert_true(t.m->resolved);
	assert_int_equal(t.m->nodes[0].relay_idx, MODEL_NONE);
	assert_int_equal(a->relay_idx, 0);
	assert_int_equal(b->relay_idx, 3);
	assert_int_equal(t.m->nodes[3].relay_idx, 0);
	assert_int_equal(t.m->nodes[0].n_relay_users, 3);	/* a, c, d */
	assert_int_equal(t.m->nodes[0].relay_users[0], 1);
	assert_int_equal(t.m->nodes[0].relay_users[2], 4);
	assert_int_equal(t.m->nodes[3].n_relay_users, 1);	/* b */
	assert_true(model_relayed(t.m, 1, 4));	/* a, d: no endpoints, r */
	assert_false(model_relayed(t.m, 1, 2));	/* a, b: two relays */
	assert_false(model_relayed(t.m, 1, 3));	/* c has an endpoint */
	tb_free(&t);
}

static void test_unknown_mesh_is_reported_at_mesh_value(void **state)
{
	struct tb t;

	(void)state;
	base_model(&t);
	set_str(&t, &node(&t, "a")->mesh, "z");
	run(&t);
	expect_error(&t, node(&t, "a")->mesh.loc, "node 'a': unknown mesh 'z'");
	expect_counts(&t, 1, 0);
	assert_false(t.m->resolved);
	assert_true(node(&t, "a")->mesh_idx == MODEL_NONE);
	tb_free(&t);
}

static void test_unknown_mesh_suggests_close_name(void **state)
{
	struct tb t;

	(void)state;
	tb_init(&t);
	tb_mesh(&t, "office", "100.64.0.0/24");
	tb_mesh(&t, "home", "100.64.1.0/24");
	tb_node(&t, "laptop", "ofice");
	run(&t);
	expect_error(&t, node(&t, "laptop")->mesh.loc,
		     "node 'laptop': unknown mesh 'ofice'; did you mean "
		     "'office'?");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_links_are_sorted_and_unique(void **state)
{
	struct tb t;
	const struct m_node *b;

	(void)state;
	base_model(&t);
	tb_link(&t, "e", "b");
	tb_link(&t, "a", "e");
	run(&t);
	expect_counts(&t, 0, 0);
	b = node(&t, "b");
	assert_int_equal(b->n_linked, 2);
	assert_int_equal(b->linked[0], 3);
	assert_int_equal(b->linked[1], 4);
	assert_int_equal(b->linked_loc[0].line, t.m->links[0].loc.line);
	assert_int_equal(node(&t, "e")->n_linked, 2);
	assert_int_equal(node(&t, "e")->linked[0], 0);
	assert_int_equal(node(&t, "e")->linked[1], 1);
	assert_true(model_are_peers(t.m, 0, 4));
	assert_false(model_are_peers(t.m, 0, 3));
	tb_free(&t);
}

static void test_link_to_unknown_node(void **state)
{
	struct tb t;
	struct m_link *l;

	(void)state;
	base_model(&t);
	l = tb_link(&t, "a", "q");
	run(&t);
	expect_error(&t, l->b.loc, "unknown node 'q' in link");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_link_within_one_mesh_is_an_error(void **state)
{
	struct tb t;
	struct m_link *l;

	(void)state;
	base_model(&t);
	l = tb_link(&t, "a", "b");
	run(&t);
	expect_error(&t, l->loc,
		     "link joins 'a' and 'b' of the same mesh 'x' (they are "
		     "already peers)");
	expect_counts(&t, 1, 0);
	assert_int_equal(node(&t, "a")->n_linked, 0);
	tb_free(&t);
}

static void test_link_to_itself_is_an_error(void **state)
{
	struct tb t;
	struct m_link *l;

	(void)state;
	base_model(&t);
	l = tb_link(&t, "c", "c");
	run(&t);
	expect_error(&t, l->loc, "link joins 'c' to itself");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_duplicate_link_warns_with_first_line(void **state)
{
	struct tb t;
	struct m_link *l;
	char msg[128];

	(void)state;
	base_model(&t);
	l = tb_link(&t, "b", "d");
	run(&t);
	snprintf(msg, sizeof(msg),
		 "duplicate link between 'b' and 'd' (first at line %u)",
		 t.m->links[0].loc.line);
	expect_warning(&t, l->loc, msg);
	expect_counts(&t, 0, 1);
	assert_true(t.m->resolved);
	assert_int_equal(node(&t, "b")->n_linked, 1);
	tb_free(&t);
}

/* ---- permissions ----------------------------------------------------- */

static void test_grant_to_unknown_node(void **state)
{
	struct tb t;
	struct m_grant *g;

	(void)state;
	base_model(&t);
	g = tb_grant(&t, node(&t, "b"), "q");
	set_bool(&t, &g->flags.routing, true);
	run(&t);
	expect_error(&t, g->peer.loc,
		     "permissions of node 'b' name unknown node 'q'");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_grant_to_non_peer_warns(void **state)
{
	struct tb t;
	struct m_grant *g;

	(void)state;
	base_model(&t);
	g = tb_grant(&t, node(&t, "a"), "e");
	set_bool(&t, &g->flags.routing, true);
	run(&t);
	expect_warning(&t, g->peer.loc,
		       "'e' is not a peer of 'a' (not in its mesh, no link): "
		       "this grant has no effect");
	expect_counts(&t, 0, 1);
	assert_true(t.m->resolved);
	tb_free(&t);
}

static void test_grant_to_itself_is_an_error(void **state)
{
	struct tb t;
	struct m_grant *g;

	(void)state;
	base_model(&t);
	g = tb_grant(&t, node(&t, "a"), "a");
	run(&t);
	expect_error(&t, g->peer.loc,
		     "node 'a' cannot grant permissions to itself");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_grants_are_sorted_by_peer(void **state)
{
	struct tb t;
	const struct m_permissions *p;

	(void)state;
	base_model(&t);
	set_bool(&t, &tb_grant(&t, node(&t, "b"), "d")->flags.routing, true);
	tb_grant(&t, node(&t, "b"), "c");
	set_bool(&t, &tb_grant(&t, node(&t, "b"), "a")->flags.local_network.b,
		 true);
	run(&t);
	expect_counts(&t, 0, 0);
	p = &node(&t, "b")->permissions;
	assert_int_equal(p->grants[0].peer_idx, 0);
	assert_int_equal(p->grants[1].peer_idx, 2);
	assert_int_equal(p->grants[2].peer_idx, 3);
	assert_string_equal(p->grants[2].peer.v, "d");
	assert_true(model_permissions(t.m, 1, 3).routing.v);
	assert_true(model_permissions(t.m, 1, 0).local_network.v);
	assert_false(model_permissions(t.m, 1, 2).routing.v);
	tb_free(&t);
}

/* ---- exit_node ------------------------------------------------------- */

static void test_exit_node_unknown(void **state)
{
	struct tb t;
	struct m_node *c;

	(void)state;
	base_model(&t);
	c = node(&t, "c");
	set_str(&t, &c->exit_node, "q");
	run(&t);
	expect_error(&t, c->exit_node.loc,
		     "unknown node 'q' in exit_node of 'c'");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_exit_node_cannot_be_itself(void **state)
{
	struct tb t;
	struct m_node *c;

	(void)state;
	base_model(&t);
	c = node(&t, "c");
	set_str(&t, &c->exit_node, "c");
	run(&t);
	expect_error(&t, c->exit_node.loc,
		     "node 'c' cannot be its own exit node");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_exit_node_must_be_a_peer(void **state)
{
	struct tb t;
	struct m_node *c;

	(void)state;
	base_model(&t);
	c = node(&t, "c");
	set_str(&t, &c->exit_node, "e");
	set_bool(&t, &node(&t, "e")->permissions.def.routing, true);
	run(&t);
	expect_error(&t, c->exit_node.loc,
		     "exit_node 'e' of node 'c' is not a peer of 'c' (not in "
		     "its mesh, no link)");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_exit_node_must_grant_routing(void **state)
{
	struct tb t;
	struct m_node *c;

	(void)state;
	base_model(&t);
	c = node(&t, "c");
	set_str(&t, &c->exit_node, "b");
	/* local_network is not routing */
	set_bool(&t, &tb_grant(&t, node(&t, "b"), "c")->flags.local_network.b,
		 true);
	run(&t);
	expect_error(&t, c->exit_node.loc,
		     "exit_node 'b' does not grant routing to 'c' (set "
		     "permissions.peers.c.routing: true on 'b')");
	expect_counts(&t, 1, 0);
	assert_int_equal(c->exit_idx, 1);
	tb_free(&t);
}

static void test_exit_node_across_link_with_routing_is_valid(void **state)
{
	struct tb t;
	struct m_node *d;

	(void)state;
	base_model(&t);
	d = node(&t, "d");
	set_str(&t, &d->exit_node, "b");
	set_bool(&t, &tb_grant(&t, node(&t, "b"), "d")->flags.routing, true);
	run(&t);
	expect_counts(&t, 0, 0);
	assert_true(t.m->resolved);
	assert_int_equal(d->exit_idx, 1);
	tb_free(&t);
}

static void test_exit_node_routing_from_mesh_defaults(void **state)
{
	struct tb t;

	(void)state;
	base_model(&t);
	set_bool(&t, &t.m->meshes[0].defaults.routing, true);
	set_str(&t, &node(&t, "a")->exit_node, "b");
	run(&t);
	expect_counts(&t, 0, 0);
	tb_free(&t);
}

static void test_exit_node_chain_is_an_error(void **state)
{
	struct tb t;
	struct m_node *a, *b;

	(void)state;
	base_model(&t);
	set_bool(&t, &t.m->meshes[0].defaults.routing, true);
	a = node(&t, "a");
	b = node(&t, "b");
	set_str(&t, &node(&t, "c")->exit_node, "b");
	set_str(&t, &b->exit_node, "a");
	set_str(&t, &a->exit_node, "b");	/* a loop as well */
	run(&t);
	expect_error(&t, b->exit_node.loc,
		     "node 'b' is the exit node of 'a' and cannot use an exit "
		     "node itself (no chains)");
	expect_error(&t, a->exit_node.loc,
		     "node 'a' is the exit node of 'b' and cannot use an exit "
		     "node itself (no chains)");
	expect_counts(&t, 2, 0);
	tb_free(&t);
}

/* ---- lans_via -------------------------------------------------------- */

static void test_lans_via_must_grant_local_network(void **state)
{
	struct tb t;
	struct m_str *s;

	(void)state;
	base_model(&t);
	tb_lan(&t, node(&t, "b"), "192.168.2.0/24");
	set_bool(&t, &tb_grant(&t, node(&t, "b"), "a")->flags.routing, true);
	s = tb_via(&t, node(&t, "a"), "b");
	run(&t);
	expect_error(&t, s->loc,
		     "'b' in lans_via of 'a' does not grant local_network to "
		     "'a'");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_lans_via_unknown_self_and_non_peer(void **state)
{
	struct tb t;
	struct m_str *q, *self, *far;

	(void)state;
	base_model(&t);
	q = tb_via(&t, node(&t, "a"), "q");
	self = tb_via(&t, node(&t, "a"), "a");
	far = tb_via(&t, node(&t, "a"), "e");
	run(&t);
	expect_error(&t, q->loc, "unknown node 'q' in lans_via of 'a'");
	expect_error(&t, self->loc, "node 'a' cannot list itself in lans_via");
	expect_error(&t, far->loc,
		     "'e' in lans_via of 'a' is not a peer of 'a' (not in its "
		     "mesh, no link)");
	expect_counts(&t, 3, 0);
	tb_free(&t);
}

static void test_lans_via_overlapping_lans(void **state)
{
	struct tb t;
	struct m_str *sd, *sb;

	(void)state;
	base_model(&t);
	tb_link(&t, "d", "a");
	set_bool(&t, &t.m->meshes[0].defaults.local_network.b, true);
	set_bool(&t, &t.m->meshes[1].defaults.local_network.b, true);
	tb_lan(&t, node(&t, "b"), "10.1.0.0/16");
	tb_lan(&t, node(&t, "b"), "192.168.2.0/24");
	tb_lan(&t, node(&t, "d"), "192.168.0.0/16");
	tb_lan(&t, node(&t, "c"), "172.16.0.0/12");
	sd = tb_via(&t, node(&t, "a"), "d");
	tb_via(&t, node(&t, "a"), "c");
	sb = tb_via(&t, node(&t, "a"), "b");
	(void)sd;
	run(&t);
	expect_error(&t, sb->loc,
		     "lan 192.168.2.0/24 of 'b' overlaps lan 192.168.0.0/16 "
		     "of 'd', both in lans_via of 'a'");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_lans_via_duplicate_entry(void **state)
{
	struct tb t;
	struct m_str *second;

	(void)state;
	base_model(&t);
	set_bool(&t, &t.m->meshes[0].defaults.local_network.b, true);
	tb_lan(&t, node(&t, "b"), "192.168.2.0/24");
	tb_via(&t, node(&t, "a"), "b");
	second = tb_via(&t, node(&t, "a"), "b");
	run(&t);
	expect_error(&t, second->loc, "duplicate 'b' in lans_via of 'a'");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_lans_via_target_without_lan_warns(void **state)
{
	struct tb t;
	struct m_str *s;

	(void)state;
	base_model(&t);
	set_bool(&t, &t.m->meshes[0].defaults.local_network.b, true);
	s = tb_via(&t, node(&t, "a"), "c");
	run(&t);
	expect_warning(&t, s->loc,
		       "'c' in lans_via of 'a' has no lan: this entry has no "
		       "effect");
	expect_counts(&t, 0, 1);
	assert_true(t.m->resolved);
	assert_int_equal(node(&t, "a")->lans_via.idx[0], 2);
	tb_free(&t);
}

/* ---- platforms ------------------------------------------------------- */

static void test_ios_cannot_grant_routing_or_local_network(void **state)
{
	struct tb t;
	struct m_node *p;
	struct m_grant *g;

	(void)state;
	base_model(&t);
	p = node(&t, "c");
	p->platform.v = PLATFORM_IOS;
	p->platform.set = true;
	p->platform.loc = next_loc(&t);
	set_bool(&t, &p->permissions.def.routing, true);
	g = tb_grant(&t, p, "a");
	set_bool(&t, &g->flags.local_network.b, true);
	set_bool(&t, &g->flags.incoming.b, true);
	run(&t);
	expect_error(&t, p->permissions.def.routing.loc,
		     "node 'c' runs on ios, which cannot forward or NAT: it "
		     "cannot grant routing");
	expect_error(&t, g->flags.local_network.b.loc,
		     "node 'c' runs on ios, which cannot forward or NAT: it "
		     "cannot grant local_network");
	expect_counts(&t, 2, 0);
	tb_free(&t);
}

static void test_android_inherits_mesh_defaults_error_at_mesh(void **state)
{
	struct tb t;
	struct m_node *p;
	struct m_mesh *y;

	(void)state;
	base_model(&t);
	y = &t.m->meshes[1];
	set_bool(&t, &y->defaults.routing, true);
	set_bool(&t, &y->defaults.local_network.b, true);
	p = node(&t, "e");
	p->platform.v = PLATFORM_ANDROID;
	p->platform.set = true;
	/* Its own default overrides local_network, so only routing is
	 * inherited. */
	set_bool(&t, &p->permissions.def.local_network.b, false);
	run(&t);
	expect_error(&t, y->defaults.routing.loc,
		     "node 'e' runs on android, which cannot forward or NAT: "
		     "it cannot grant routing");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_phone_as_exit_node_is_reported_at_its_grant(void **state)
{
	struct tb t;
	struct m_grant *g;

	(void)state;
	base_model(&t);
	node(&t, "b")->platform.v = PLATFORM_IOS;
	node(&t, "b")->platform.set = true;
	g = tb_grant(&t, node(&t, "b"), "a");
	set_bool(&t, &g->flags.routing, true);
	set_str(&t, &node(&t, "a")->exit_node, "b");
	run(&t);
	expect_error(&t, g->flags.routing.loc,
		     "node 'b' runs on ios, which cannot forward or NAT: it "
		     "cannot grant routing");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

/* ---- managed and unmanaged nodes ------------------------------------ */

static void set_platform(struct tb *t, struct m_node *n, enum platform p)
{
	n->platform.v = p;
	n->platform.set = true;
	n->platform.loc = next_loc(t);
}

/* macos and windows are unmanaged by default: every level of the fallback
 * chain that grants routing or local_network is an error at its key. */
static void test_unmanaged_cannot_grant_at_any_level(void **state)
{
	struct tb t;
	struct m_node *c, *e;
	struct m_grant *g;
	struct m_mesh *y;

	(void)state;
	base_model(&t);
	c = node(&t, "c");
	set_platform(&t, c, PLATFORM_MACOS);
	set_bool(&t, &c->permissions.def.local_network.b, true);
	g = tb_grant(&t, c, "a");
	set_bool(&t, &g->flags.routing, true);
	y = &t.m->meshes[1];
	set_bool(&t, &y->defaults.routing, true);
	e = node(&t, "e");
	set_platform(&t, e, PLATFORM_WINDOWS);
	run(&t);
	expect_error(&t, c->permissions.def.local_network.b.loc,
		     "node 'c' is not managed (macos): it cannot grant "
		     "local_network, nothing on it would forward or enforce "
		     "it; grant it from a managed node, or set managed: true "
		     "if the node loads meshc's pf anchor");
	expect_error(&t, g->flags.routing.loc,
		     "node 'c' is not managed (macos): it cannot grant "
		     "routing, nothing on it would forward or enforce it; "
		     "grant it from a managed node, or set managed: true if "
		     "the node loads meshc's pf anchor");
	expect_error(&t, y->defaults.routing.loc,
		     "node 'e' is not managed (windows): it cannot grant "
		     "routing, nothing on it would forward or enforce it; "
		     "grant it from a managed node");
	expect_counts(&t, 3, 0);
	tb_free(&t);
}

/* managed: true makes a macos node enforce its grants (pf anchor). */
static void test_managed_macos_may_grant(void **state)
{
	struct tb t;
	struct m_node *c;

	(void)state;
	base_model(&t);
	c = node(&t, "c");
	set_platform(&t, c, PLATFORM_MACOS);
	set_bool(&t, &c->managed, true);
	set_bool(&t, &c->permissions.def.local_network.b, true);
	tb_lan(&t, c, "192.168.5.0/24");
	run(&t);
	expect_counts(&t, 0, 0);
	assert_true(model_node_managed(c));
	tb_free(&t);
}

static void test_unmanaged_cannot_have_lan_or_uplink(void **state)
{
	struct tb t;
	struct m_node *a, *c;

	(void)state;
	base_model(&t);
	a = node(&t, "a");
	set_bool(&t, &a->managed, false);
	set_str(&t, &a->uplink, "eth0");
	c = node(&t, "c");
	set_platform(&t, c, PLATFORM_WINDOWS);
	tb_lan(&t, c, "192.168.5.0/24");
	run(&t);
	expect_error(&t, a->uplink.loc,
		     "node 'a' is not managed (managed: false): it cannot "
		     "have uplink, meshc sets up no forwarding on it; move "
		     "the uplink to a managed node");
	expect_error(&t, c->lan.loc,
		     "node 'c' is not managed (windows): it cannot have lan, "
		     "meshc sets up no forwarding on it; move the lan to a "
		     "managed node");
	expect_warning(&t, a->uplink.loc,
		       "uplink is set but 'a' routes for no peer");
	expect_counts(&t, 2, 1);
	tb_free(&t);
}

static void test_managed_true_where_impossible(void **state)
{
	static const enum platform bad[] = { PLATFORM_WINDOWS, PLATFORM_IOS,
					     PLATFORM_ANDROID };
	struct tb t;
	struct m_node *c;
	char msg[200];

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		base_model(&t);
		c = node(&t, "c");
		set_platform(&t, c, bad[k]);
		set_bool(&t, &c->managed, true);
		run(&t);
		snprintf(msg, sizeof(msg),
			 "node 'c' runs on %s: managed: true is impossible "
			 "there, nothing meshc makes could enforce it; remove "
			 "it (the node runs the WireGuard app, configured by "
			 "meshc export)",
			 platform_name(bad[k]));
		expect_error(&t, c->managed.loc, msg);
		expect_counts(&t, 1, 0);
		tb_free(&t);
	}
}

static void test_managed_defaults_by_platform(void **state)
{
	struct m_node n;

	(void)state;
	memset(&n, 0, sizeof(n));
	assert_true(model_node_managed(&n));	/* linux, the default */
	n.platform.set = true;
	n.platform.v = PLATFORM_MACOS;
	assert_false(model_node_managed(&n));
	n.platform.v = PLATFORM_WINDOWS;
	assert_false(model_node_managed(&n));
	n.platform.v = PLATFORM_IOS;
	assert_false(model_node_managed(&n));
	n.platform.v = PLATFORM_ANDROID;
	assert_false(model_node_managed(&n));
	n.platform.v = PLATFORM_LINUX;
	n.managed.set = true;
	n.managed.v = false;
	assert_false(model_node_managed(&n));
}

/* ---- uplink and endpoints -------------------------------------------- */

static void test_uplink_without_routing_warns(void **state)
{
	struct tb t;
	struct m_node *a, *b;

	(void)state;
	base_model(&t);
	a = node(&t, "a");
	b = node(&t, "b");
	set_str(&t, &a->uplink, "eth0");
	set_str(&t, &b->uplink, "eth0");
	set_bool(&t, &tb_grant(&t, a, "c")->flags.local_network.b, true);
	set_bool(&t, &tb_grant(&t, b, "d")->flags.routing, true);
	run(&t);
	expect_warning(&t, a->uplink.loc,
		       "uplink is set but 'a' routes for no peer");
	expect_counts(&t, 0, 1);
	tb_free(&t);
}

static void test_uplink_with_default_routing_is_fine(void **state)
{
	struct tb t;
	struct m_node *a;

	(void)state;
	base_model(&t);
	a = node(&t, "a");
	set_str(&t, &a->uplink, "eth0");
	set_bool(&t, &a->permissions.def.routing, true);
	/* One peer without routing; c still gets the default. */
	set_bool(&t, &tb_grant(&t, a, "b")->flags.routing, false);
	run(&t);
	expect_counts(&t, 0, 0);
	tb_free(&t);
}

static void test_endpointless_peers_warn_once_per_pair(void **state)
{
	struct tb t;
	struct m_node *a, *c;

	(void)state;
	base_model(&t);
	a = node(&t, "a");
	c = node(&t, "c");
	a->endpoint.set = false;
	c->endpoint.set = false;
	node(&t, "d")->endpoint.set = false;
	run(&t);
	/* At the later node of the pair, once (it was also at a, as 'c' and
	 * 'a'). */
	expect_warning(&t, c->name.loc,
		       "'a' and 'c' are peers but neither has an endpoint: "
		       "they can never connect");
	/* d (mesh y) has e with an endpoint, and b has one: no warning. */
	expect_counts(&t, 0, 1);
	assert_true(t.m->resolved);
	tb_free(&t);
}

/* Four roaming nodes: six pairs, each warned exactly once (the old check
 * warned a-b twice, c-a and d-a, and missed b-c, b-d and c-d). */
static void test_four_roaming_nodes_warn_each_pair_once(void **state)
{
	static const char *const pairs[][2] = {
		{ "a", "b" }, { "a", "c" }, { "b", "c" },
		{ "a", "d" }, { "b", "d" }, { "c", "d" },
	};
	struct tb t;
	char msg[128];

	(void)state;
	tb_init(&t);
	tb_mesh(&t, "x", "100.64.0.0/24");
	tb_node(&t, "a", "x")->endpoint.set = false;
	tb_node(&t, "b", "x")->endpoint.set = false;
	tb_node(&t, "c", "x")->endpoint.set = false;
	tb_node(&t, "d", "x")->endpoint.set = false;
	run(&t);
	for (size_t k = 0; k < 6; k++) {
		snprintf(msg, sizeof(msg),
			 "'%s' and '%s' are peers but neither has an "
			 "endpoint: they can never connect",
			 pairs[k][0], pairs[k][1]);
		expect_warning(&t, node(&t, pairs[k][1])->name.loc, msg);
	}
	expect_counts(&t, 0, 6);
	tb_free(&t);
}

static void test_endpointless_linked_nodes_warn_at_link(void **state)
{
	struct tb t;

	(void)state;
	base_model(&t);
	node(&t, "b")->endpoint.set = false;
	node(&t, "d")->endpoint.set = false;
	run(&t);
	expect_warning(&t, t.m->links[0].loc,
		       "'b' and 'd' are peers but neither has an endpoint: "
		       "they can never connect");
	expect_counts(&t, 0, 1);
	tb_free(&t);
}

/* ---- addresses and keys ---------------------------------------------- */

static void test_address_outside_network(void **state)
{
	struct tb t;
	struct m_node *a;

	(void)state;
	base_model(&t);
	a = node(&t, "a");
	set_addr(&t, &a->address, "100.64.1.5");
	run(&t);
	expect_error(&t, a->address.loc,
		     "address 100.64.1.5 is outside mesh 'x' network "
		     "100.64.0.0/24");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_address_is_network_or_broadcast(void **state)
{
	struct tb t;
	struct m_node *a, *b;

	(void)state;
	base_model(&t);
	a = node(&t, "a");
	b = node(&t, "b");
	set_addr(&t, &a->address, "100.64.0.0");
	set_addr(&t, &b->address, "100.64.0.255");
	run(&t);
	expect_error(&t, a->address.loc,
		     "address 100.64.0.0 is the network address of mesh 'x' "
		     "network 100.64.0.0/24");
	expect_error(&t, b->address.loc,
		     "address 100.64.0.255 is the broadcast address of mesh "
		     "'x' network 100.64.0.0/24");
	expect_counts(&t, 2, 0);
	tb_free(&t);
}

static void test_address6_needs_network6(void **state)
{
	struct tb t;
	struct m_node *a, *d;

	(void)state;
	base_model(&t);
	set_prefix(&t, &t.m->meshes[1].network6, "fd64:0:0:1::/64");
	a = node(&t, "a");
	d = node(&t, "d");
	set_addr(&t, &a->address6, "fd64::1");
	set_addr(&t, &d->address6, "fd64::2");
	run(&t);
	expect_error(&t, a->address6.loc,
		     "mesh 'x' has no network6 for address6");
	expect_error(&t, d->address6.loc,
		     "address6 fd64::2 is outside mesh 'y' network6 "
		     "fd64:0:0:1::/64");
	expect_counts(&t, 2, 0);
	/* e gets a derived address6, a none. */
	assert_true(node(&t, "e")->address6.derived);
	assert_false(node(&t, "b")->address6.set);
	tb_free(&t);
}

static void test_duplicate_address_names_first(void **state)
{
	struct tb t;
	struct m_node *a, *c;
	char msg[128];

	(void)state;
	base_model(&t);
	a = node(&t, "a");
	c = node(&t, "c");
	set_addr(&t, &a->address, "100.64.0.2");
	set_addr(&t, &c->address, "100.64.0.2");
	run(&t);
	snprintf(msg, sizeof(msg),
		 "address 100.64.0.2 is already used by node 'a' (line %u)",
		 a->address.loc.line);
	expect_error(&t, c->address.loc, msg);
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_derived_address_filled_and_marked(void **state)
{
	struct tb t;
	struct m_node *a;
	struct ip_addr want;
	struct ip_prefix net;
	const char *why;

	(void)state;
	base_model(&t);
	set_prefix(&t, &t.m->meshes[0].network6, "fd64::/64");
	a = node(&t, "a");
	run(&t);
	expect_counts(&t, 0, 0);
	assert_true(a->address.set);
	assert_true(a->address.derived);
	assert_true(loc_eq(a->address.loc, a->public_key.loc));
	assert_int_equal(ip_prefix_parse("100.64.0.0/24", &net, &why), 0);
	assert_true(model_derive_address(&net, a->public_key.v, &want));
	assert_true(ip_addr_eq(&a->address.v, &want));
	assert_true(a->address6.set && a->address6.derived);
	assert_int_equal(a->address6.v.family, IP_V6);
	/* d's mesh has no network6: no address6. */
	assert_false(node(&t, "d")->address6.set);
	tb_free(&t);
}

static void test_derived_address_collision_at_public_key(void **state)
{
	struct tb t;
	struct m_node *a, *d;
	struct ip_prefix net;
	struct ip_addr got;
	const char *why;
	char msg[160], as[IP_STRLEN];

	(void)state;
	tb_init(&t);
	tb_mesh(&t, "x", "100.64.0.0/30");
	a = tb_node(&t, "a", "x");
	d = tb_node(&t, "d", "x");
	/* Find the address d's key derives, and give it to a explicitly. */
	assert_int_equal(ip_prefix_parse("100.64.0.0/30", &net, &why), 0);
	assert_true(model_derive_address(&net, d->public_key.v, &got));
	a->address.v = got;
	a->address.set = true;
	a->address.loc = next_loc(&t);
	run(&t);
	snprintf(msg, sizeof(msg),
		 "address derived from the public key of 'd' (%s) collides "
		 "with node 'a'; set address explicitly",
		 ip_addr_str(&got, as));
	expect_error(&t, d->public_key.loc, msg);
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_network_too_small_to_derive(void **state)
{
	struct tb t;
	struct m_node *a, *b;

	(void)state;
	tb_init(&t);
	tb_mesh(&t, "p2p", "100.64.0.0/31");
	a = tb_node(&t, "a", "p2p");
	b = tb_node(&t, "b", "p2p");
	set_addr(&t, &b->address, "100.64.0.1");
	run(&t);
	expect_error(&t, a->public_key.loc,
		     "mesh 'p2p' network 100.64.0.0/31 is too small to derive "
		     "an address for 'a'; set address explicitly");
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_duplicate_public_key(void **state)
{
	struct tb t;
	struct m_node *a, *e;
	char msg[128];

	(void)state;
	base_model(&t);
	a = node(&t, "a");
	e = node(&t, "e");
	memcpy(e->public_key.v, a->public_key.v, WG_KEY_LEN);
	run(&t);
	snprintf(msg, sizeof(msg),
		 "public_key is already used by node 'a' (line %u)",
		 a->public_key.loc.line);
	expect_error(&t, e->public_key.loc, msg);
	expect_counts(&t, 1, 0);
	tb_free(&t);
}

static void test_mesh_networks_must_be_disjoint(void **state)
{
	struct tb t;
	struct m_mesh *y, *z;

	(void)state;
	tb_init(&t);
	tb_mesh(&t, "x", "100.64.0.0/24");
	set_prefix(&t, &t.m->meshes[0].network6, "fd64::/64");
	y = tb_mesh(&t, "y", "100.64.0.0/16");
	z = tb_mesh(&t, "z", "10.0.0.0/8");
	set_prefix(&t, &z->network6, "fd64::/48");
	run(&t);
	expect_error(&t, y->network.loc,
		     "network 100.64.0.0/16 of mesh 'y' overlaps network "
		     "100.64.0.0/24 of mesh 'x'");
	expect_error(&t, z->network6.loc,
		     "network6 fd64::/48 of mesh 'z' overlaps network6 "
		     "fd64::/64 of mesh 'x'");
	expect_counts(&t, 2, 0);
	tb_free(&t);
}

static void test_equal_mesh_networks_are_reported_once_each(void **state)
{
	struct tb t;

	(void)state;
	tb_init(&t);
	tb_mesh(&t, "x", "10.0.0.0/24");
	tb_mesh(&t, "y", "10.0.0.0/24");
	tb_mesh(&t, "z", "10.0.0.0/24");
	run(&t);
	expect_error(&t, t.m->meshes[1].network.loc,
		     "network 10.0.0.0/24 of mesh 'y' overlaps network "
		     "10.0.0.0/24 of mesh 'x'");
	expect_error(&t, t.m->meshes[2].network.loc,
		     "network 10.0.0.0/24 of mesh 'z' overlaps network "
		     "10.0.0.0/24 of mesh 'x'");
	expect_counts(&t, 2, 0);
	tb_free(&t);
}

static void test_lan_must_not_overlap_mesh_network(void **state)
{
	struct tb t;
	struct m_prefix *wide, *inside, *fine;

	(void)state;
	base_model(&t);
	wide = tb_lan(&t, node(&t, "a"), "100.64.0.0/10");
	inside = tb_lan(&t, node(&t, "b"), "100.64.1.128/25");
	fine = tb_lan(&t, node(&t, "b"), "192.168.1.0/24");
	(void)fine;
	run(&t);
	expect_error(&t, wide->loc,
		     "lan 100.64.0.0/10 of 'a' overlaps network 100.64.0.0/24 "
		     "of mesh 'x'");
	expect_error(&t, inside->loc,
		     "lan 100.64.1.128/25 of 'b' overlaps network "
		     "100.64.1.0/24 of mesh 'y'");
	expect_counts(&t, 2, 0);
	tb_free(&t);
}

/* ---- tests ----------------------------------------------------------- */

static void test_tests_name_existing_nodes(void **state)
{
	struct tb t;
	struct m_test *t1, *t2, *t3;

	(void)state;
	base_model(&t);
	tb_lan(&t, node(&t, "b"), "192.168.2.0/24");
	tb_test(&t, "a", "b");
	tb_test(&t, "a", "internet");
	tb_test(&t, "a", "192.168.2.10");
	tb_test(&t, "a", "fd00::1");
	tb_test(&t, "a", "lan:b");
	t1 = tb_test(&t, "q", "a");
	t2 = tb_test(&t, "a", "lan:c");
	t3 = tb_test(&t, "a", "lan:zz");
	run(&t);
	expect_error(&t, t1->from.loc, "unknown node 'q' in test");
	expect_error(&t, t2->to.loc, "node 'c' has no lan for lan:c");
	expect_error(&t, t3->to.loc, "unknown node 'zz' in test");
	expect_counts(&t, 3, 0);
	tb_free(&t);
}

/* ---- robustness ------------------------------------------------------ */

static void test_partial_model_does_not_crash(void **state)
{
	struct tb t;
	struct m_node *a, *b, *c;
	struct m_link *l;

	(void)state;
	tb_init(&t);
	tb_mesh(&t, "x", NULL);		/* no network: a loader error */
	a = tb_node(&t, "a", NULL);	/* mesh missing */
	b = tb_node(&t, "b", "x");
	c = tb_node(&t, "c", "nope");
	b->public_key.set = false;	/* bad key, reported by the loader */
	set_str(&t, &a->exit_node, "b");
	tb_via(&t, a, "c");
	tb_grant(&t, c, "a")->peer.set = false;
	tb_lan(&t, c, "10.0.0.0/8")->set = false;
	l = tb_link(&t, "a", "b");
	l->b.set = false;
	set_addr(&t, &b->address, "10.0.0.1");
	t.m->tests_set = true;
	tb_test(&t, "a", "b")->to.set = false;
	diag_error(&t.d, a->loc, "loader error");
	run(&t);
	expect_error(&t, c->mesh.loc, "node 'c': unknown mesh 'nope'");
	expect_counts(&t, 2, 0);
	assert_false(t.m->resolved);
	assert_false(b->address.derived);
	tb_free(&t);
}

static void test_loader_errors_keep_model_unresolved(void **state)
{
	struct tb t;

	(void)state;
	base_model(&t);
	diag_error(&t.d, t.m->version.loc, "something the loader saw");
	run(&t);
	expect_counts(&t, 1, 0);
	assert_false(t.m->resolved);
	tb_free(&t);
}

static void test_all_errors_in_one_run(void **state)
{
	struct tb t;

	(void)state;
	base_model(&t);
	set_str(&t, &node(&t, "a")->mesh, "z");
	set_str(&t, &node(&t, "c")->exit_node, "c");
	tb_link(&t, "q", "b");
	set_addr(&t, &node(&t, "e")->address, "100.64.0.9");
	run(&t);
	expect_counts(&t, 4, 0);
	tb_free(&t);
}

/* 50,000 nodes in 50 meshes, with links, grants, exit nodes, lans and
 * lans_via everywhere: must validate (the validator is O(n log n); a
 * quadratic pass would make this test take minutes). */
static void test_fifty_thousand_nodes_validate(void **state)
{
	enum { N = 50000, MESHES = 50, PER = N / MESHES };
	struct tb t;
	char name[32];

	(void)state;
	tb_init_sized(&t, MESHES, N, MESHES, 4);
	for (int k = 0; k < MESHES; k++) {
		struct m_mesh *mesh;
		char net[32], net6[32];

		snprintf(name, sizeof(name), "m%d", k);
		snprintf(net, sizeof(net), "10.%d.0.0/16", k);
		snprintf(net6, sizeof(net6), "fd00:%x::/64", k + 1);
		mesh = tb_mesh(&t, name, net);
		set_prefix(&t, &mesh->network6, net6);
	}
	for (int i = 0; i < N; i++) {
		int k = i / PER, j = i % PER;
		struct m_node *n;
		char addr[32], peer[32];

		snprintf(name, sizeof(name), "n%d", i);
		snprintf(peer, sizeof(peer), "m%d", k);
		n = tb_node(&t, name, peer);
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", k, 1 + j / 250,
			 1 + j % 250);
		set_addr(&t, &n->address, addr);
		if (j == 0) {
			/* the mesh's gateway: routes and shares its lan */
			snprintf(addr, sizeof(addr), "192.168.%d.0/24", k);
			tb_lan(&t, n, addr);
			set_bool(&t, &n->permissions.def.routing, true);
			set_bool(&t, &n->permissions.def.local_network.b, true);
			set_str(&t, &n->uplink, "eth0");
		} else {
			snprintf(peer, sizeof(peer), "n%d", k * PER);
			set_str(&t, &n->exit_node, peer);
			if (k > 0 && j == 1) {
				tb_via(&t, n, "n0");
				tb_grant(&t, n, "n0");
			}
			/* Ten roaming nodes per mesh: the warning is one
			 * per pair, quadratic by the contract. */
			if (j % 2 && j < 20)
				n->endpoint.set = false;
		}
	}
	for (int k = 1; k < MESHES; k++) {
		char a[32];

		snprintf(a, sizeof(a), "n%d", k * PER + 1);
		tb_link(&t, a, "n0");
	}
	run(&t);
	if (t.d.errors)
		dump(&t.d);
	assert_int_equal(t.d.errors, 0);
	assert_true(t.m->resolved);
	/* one warning per pair of roaming nodes of a mesh: 10 * 9 / 2 */
	assert_int_equal(t.d.warnings, MESHES * 45);
	assert_int_equal(node(&t, "n0")->n_linked, MESHES - 1);
	assert_true(node(&t, "n49999")->address6.derived);
	tb_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_model_is_resolved),
		cmocka_unit_test(test_mesh_members_in_document_order),
		cmocka_unit_test(test_relay_resolution_and_pairs),
		cmocka_unit_test(test_unknown_mesh_is_reported_at_mesh_value),
		cmocka_unit_test(test_unknown_mesh_suggests_close_name),
		cmocka_unit_test(test_links_are_sorted_and_unique),
		cmocka_unit_test(test_link_to_unknown_node),
		cmocka_unit_test(test_link_within_one_mesh_is_an_error),
		cmocka_unit_test(test_link_to_itself_is_an_error),
		cmocka_unit_test(test_duplicate_link_warns_with_first_line),
		cmocka_unit_test(test_grant_to_unknown_node),
		cmocka_unit_test(test_grant_to_non_peer_warns),
		cmocka_unit_test(test_grant_to_itself_is_an_error),
		cmocka_unit_test(test_grants_are_sorted_by_peer),
		cmocka_unit_test(test_exit_node_unknown),
		cmocka_unit_test(test_exit_node_cannot_be_itself),
		cmocka_unit_test(test_exit_node_must_be_a_peer),
		cmocka_unit_test(test_exit_node_must_grant_routing),
		cmocka_unit_test(test_exit_node_across_link_with_routing_is_valid),
		cmocka_unit_test(test_exit_node_routing_from_mesh_defaults),
		cmocka_unit_test(test_exit_node_chain_is_an_error),
		cmocka_unit_test(test_lans_via_must_grant_local_network),
		cmocka_unit_test(test_lans_via_unknown_self_and_non_peer),
		cmocka_unit_test(test_lans_via_overlapping_lans),
		cmocka_unit_test(test_lans_via_duplicate_entry),
		cmocka_unit_test(test_lans_via_target_without_lan_warns),
		cmocka_unit_test(test_ios_cannot_grant_routing_or_local_network),
		cmocka_unit_test(test_android_inherits_mesh_defaults_error_at_mesh),
		cmocka_unit_test(test_phone_as_exit_node_is_reported_at_its_grant),
		cmocka_unit_test(test_uplink_without_routing_warns),
		cmocka_unit_test(test_uplink_with_default_routing_is_fine),
		cmocka_unit_test(test_endpointless_peers_warn_once_per_pair),
		cmocka_unit_test(test_four_roaming_nodes_warn_each_pair_once),
		cmocka_unit_test(test_unmanaged_cannot_grant_at_any_level),
		cmocka_unit_test(test_managed_macos_may_grant),
		cmocka_unit_test(test_unmanaged_cannot_have_lan_or_uplink),
		cmocka_unit_test(test_managed_true_where_impossible),
		cmocka_unit_test(test_managed_defaults_by_platform),
		cmocka_unit_test(test_endpointless_linked_nodes_warn_at_link),
		cmocka_unit_test(test_address_outside_network),
		cmocka_unit_test(test_address_is_network_or_broadcast),
		cmocka_unit_test(test_address6_needs_network6),
		cmocka_unit_test(test_duplicate_address_names_first),
		cmocka_unit_test(test_derived_address_filled_and_marked),
		cmocka_unit_test(test_derived_address_collision_at_public_key),
		cmocka_unit_test(test_network_too_small_to_derive),
		cmocka_unit_test(test_duplicate_public_key),
		cmocka_unit_test(test_mesh_networks_must_be_disjoint),
		cmocka_unit_test(test_equal_mesh_networks_are_reported_once_each),
		cmocka_unit_test(test_lan_must_not_overlap_mesh_network),
		cmocka_unit_test(test_tests_name_existing_nodes),
		cmocka_unit_test(test_partial_model_does_not_crash),
		cmocka_unit_test(test_loader_errors_keep_model_unresolved),
		cmocka_unit_test(test_all_errors_in_one_run),
		cmocka_unit_test(test_fifty_thousand_nodes_validate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
