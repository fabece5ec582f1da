/* test_delta.c - what a change touches (src/delta) and the plans of some
 * peers (compile_node_peers), through the real loader and validator.
 *
 * tests/suites/incr.sh proves the shortcut gives the full compile's
 * output; these prove it is taken: which nodes are not compiled at all,
 * which with which peers, and where it falls back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"
#include "delta/delta.h"
#include "load/load.h"
#include "validate/validate.h"

#define KEY_A "cshLTDHpqLM4ecVPEvtX8Swn2dP1hNV2zxxfXz4+KjM="
#define KEY_B "fIw5W2sX1IHsm9+oi1pD3AV5VIEeakKwRTYpKanfjhI="
#define KEY_C "4SE3jhDWzW+SwkDb7kOd0BIqd8AgiF6DZcSmMMLo0F0="
#define KEY_D "SrIGWWIAmzS87lFlpRt4qfS0PrmXqonjxvSPWgCenDU="
#define KEY_E "j0EFjzeT7o79bSUDHkrg3xjeyCt9DEjdH0tHJhw12gk="
#define KEY_F "aC7Ypvb6fbqaQ/Ao4RXC4SphnwX21PKPeDGL1jWvmig="

/* Mesh x: a, b (a lan, a's lans_via), c, d (a phone: unmanaged); mesh y:
 * e alone.  The parts are spliced so each test changes one. */
#define MESHES                                                               \
	"version: 1\n"                                                       \
	"meshes:\n"                                                          \
	"  x: { network: 100.64.0.0/24, interface: meshx }\n"                \
	"  y: { network: 100.64.1.0/24, interface: meshy }\n"                \
	"nodes:\n"
#define NODE_A                                                               \
	"  a:\n    mesh: x\n    public_key: " KEY_A "\n"                     \
	"    endpoint: 198.51.100.1:51820\n    lans_via: [b]\n"
#define NODE_B_HEAD                                                          \
	"  b:\n    mesh: x\n    public_key: %s\n"                            \
	"    endpoint: 198.51.100.2:51820\n    lan: [%s]\n"                  \
	"    permissions:\n      peers:\n        a: { local_network: true }\n"
#define NODE_C                                                               \
	"  c:\n    mesh: x\n    public_key: " KEY_C "\n"                     \
	"    endpoint: 198.51.100.3:51820\n"
#define NODE_D                                                               \
	"  d:\n    mesh: x\n    public_key: " KEY_D "\n    platform: ios\n"
#define NODE_E                                                               \
	"  e:\n    mesh: y\n    public_key: " KEY_E "\n"                     \
	"    endpoint: 198.51.100.5:51820\n"

struct fixture {
	struct arena a;
	char buf[4096];
};

static int setup(void **state)
{
	static struct fixture f;

	arena_init(&f.a);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(&f->a);
	return 0;
}

static struct model *load_doc(struct arena *a, const char *text)
{
	char *copy = arena_strdup(a, text);
	struct source src = { "t.yaml", copy, strlen(copy) };
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
	return m;
}

/* The document with b's key, b's lan and what follows b's permissions
 * (more of b's keys, then the nodes after b and the rest) as given. */
static struct model *doc(struct fixture *f, const char *b_key,
			 const char *b_lan, const char *tail)
{
	snprintf(f->buf, sizeof(f->buf), MESHES NODE_A NODE_B_HEAD "%s",
		 b_key, b_lan, tail);
	return load_doc(&f->a, f->buf);
}

#define REST NODE_C NODE_D NODE_E
#define BASE(f) doc(f, KEY_B, "192.168.2.0/24", REST)

/* What delta_node says for the node called name; *peers gets the names of
 * the listed peers of NEW ("" when none), in index order. */
static enum delta_kind kind_of(struct fixture *f, const struct delta *d,
			       const struct model *o, const struct model *n,
			       const char *name, char *peers, size_t size)
{
	struct delta_peers p;
	enum delta_kind k = delta_node(d, &f->a, model_node_find(o, name),
				       model_node_find(n, name), &p);

	peers[0] = '\0';
	for (size_t i = 0; k == DELTA_PEERS && i < p.n_new; i++)
		snprintf(peers + strlen(peers), size - strlen(peers), "%s%s",
			 i ? "," : "", n->nodes[p.new_idx[i]].name.v);
	return k;
}

/* Expect, per node a..e: 'S' same, 'F' full, or the peers' names. */
static void expect(struct fixture *f, const struct model *o,
		   const struct model *n, const char *const want[5])
{
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	const struct delta *d = delta_new(&f->a, o, n, false);

	for (int i = 0; i < 5; i++) {
		char peers[256], got[300];
		enum delta_kind k = kind_of(f, d, o, n, names[i], peers,
					    sizeof(peers));

		snprintf(got, sizeof(got), "%s", k == DELTA_SAME ? "S"
						 : k == DELTA_FULL ? "F"
								   : peers);
		if (strcmp(got, want[i]))
			fprintf(stderr, "node %s: got %s, want %s\n", names[i],
				got, want[i]);
		assert_string_equal(got, want[i]);
	}
}

static void test_same_document_compiles_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = { "S", "S", "S", "S", "S" };

	expect(f, BASE(f), BASE(f), want);
}

/* The bench's case: one key rotated.  b itself in full (its interface),
 * b's mesh peers with b alone, e (another mesh) not at all. */
static void test_key_rotation_touches_one_peer(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = { "b", "F", "b", "b", "S" };

	expect(f, BASE(f), doc(f, KEY_F, "192.168.2.0/24", REST), want);
}

static void test_own_settings_touch_the_node_only(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = { "S", "F", "S", "S", "S" };

	expect(f, BASE(f),
	       doc(f, KEY_B, "192.168.2.0/24",
		   "    listen_port: 4500\n    mtu: 1300\n" REST),
	       want);
}

/* A node that lists b in lans_via routes to b's lan: in full; the
 * others do not read it. */
static void test_lan_reaches_its_lans_via_nodes(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = { "F", "F", "S", "S", "S" };

	expect(f, BASE(f), doc(f, KEY_B, "192.168.3.0/24", REST), want);
}

/* A managed node's grants are enforced in its own plan only; an
 * unmanaged one's in its peers' closed sets. */
static void test_grants_of_managed_and_unmanaged(void **state)
{
	struct fixture *f = *state;
	static const char *const managed[] = { "S", "F", "S", "S", "S" };
	static const char *const unmanaged[] = { "d", "d", "d", "F", "S" };

	expect(f, BASE(f),
	       doc(f, KEY_B, "192.168.2.0/24",
		   "        c: { incoming: false }\n" REST),
	       managed);
	expect(f, BASE(f),
	       doc(f, KEY_B, "192.168.2.0/24",
		   NODE_C NODE_D
		   "    permissions: { default: { incoming: false } }\n" NODE_E),
	       unmanaged);
}

/* A new node in x: its mesh peers compile it alone, but b, which
 * grants every peer routing by default, could start forwarding: full. */
static void test_added_node_and_forwarding(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = { "f", "F", "f", "f", "S" };
	static const char *const plain[] = { "f", "f", "f", "f", "S" };
	const char *node_f = "  f:\n    mesh: x\n    public_key: " KEY_F "\n";
	char tail[1024];

	snprintf(tail, sizeof(tail), "      default: { routing: true }\n%s%s",
		 REST, node_f);
	expect(f, doc(f, KEY_B, "192.168.2.0/24",
		      "      default: { routing: true }\n" REST),
	       doc(f, KEY_B, "192.168.2.0/24", tail), want);
	snprintf(tail, sizeof(tail), "%s%s", REST, node_f);
	expect(f, BASE(f), doc(f, KEY_B, "192.168.2.0/24", tail), plain);
}

static void test_reordered_nodes_and_tests_change_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *const want[] = { "S", "S", "S", "S", "S" };

	expect(f, BASE(f),
	       doc(f, KEY_B, "192.168.2.0/24",
		   NODE_E NODE_D NODE_C
		   "tests:\n  - { from: a, to: c, expect: allow }\n"),
	       want);
}

/* A mesh's settings and links are in every plan: all in full. */
static void test_mesh_and_link_changes_are_global(void **state)
{
	struct fixture *f = *state;
	const struct model *o = BASE(f);
	const struct model *mesh, *link;
	char text[4096];

	snprintf(text, sizeof(text), "%s", f->buf);
	*strstr(text, "meshy") = 'M';	/* the interface of y: Meshy */
	mesh = load_doc(&f->a, text);
	assert_true(delta_is_global(delta_new(&f->a, o, mesh, false)));
	link = doc(f, KEY_B, "192.168.2.0/24", REST "links:\n  - [c, e]\n");
	assert_true(delta_is_global(delta_new(&f->a, o, link, false)));
	assert_false(delta_is_global(delta_new(&f->a, o, o, false)));
	assert_true(delta_is_global(delta_new(&f->a, o, o, true)));
}

/* compile_node_peers: the listed peers only (a non-peer in the list is
 * skipped), the node's own part in full, but the private set. */
static void test_plan_of_some_peers(void **state)
{
	struct fixture *f = *state;
	const struct model *m = BASE(f);
	size_t a = model_node_find(m, "a"), only[2];
	const struct plan *full = compile_node(&f->a, m, a), *part;

	only[0] = model_node_find(m, "c");
	only[1] = model_node_find(m, "e");
	if (only[0] > only[1]) {
		size_t t = only[0];

		only[0] = only[1];
		only[1] = t;
	}
	part = compile_node_peers(&f->a, m, a, only, 2);
	assert_int_equal(full->n_peers, 3);
	assert_int_equal(part->n_peers, 1);
	assert_string_equal(part->peers[0].name, "c");
	/* mesh x's route and b's lan (lans_via) as in the full plan */
	assert_int_equal(part->n_routes, full->n_routes);
	assert_int_equal(part->iface.n_addresses, full->iface.n_addresses);
	assert_int_equal(part->fw.n_rules, full->fw.n_rules);
	assert_true(full->fw.sets[FW_SET_PRIVATE][0].n_elems > 0);
	assert_int_equal(part->fw.sets[FW_SET_PRIVATE][0].n_elems, 0);
	/* an empty list: the node's own part alone */
	part = compile_node_peers(&f->a, m, a, NULL, 0);
	assert_int_equal(part->n_peers, 0);
	assert_int_equal(part->n_routes, full->n_routes);
}

/* hub relays for p and q (no endpoints); s has an endpoint.  %s: q's
 * lines. */
#define RELAY_DOC                                                            \
	"version: 1\n"                                                       \
	"meshes:\n"                                                          \
	"  x: { network: 100.64.0.0/24, relay: hub }\n"                      \
	"nodes:\n"                                                           \
	"  hub:\n    mesh: x\n    public_key: " KEY_A "\n"                 \
	"    endpoint: 198.51.100.1:51820\n"                                 \
	"  p:\n    mesh: x\n    public_key: " KEY_B "\n"                   \
	"  q:\n    mesh: x\n    public_key: " KEY_C "\n%s"                 \
	"  s:\n    mesh: x\n    public_key: " KEY_D "\n"                   \
	"    endpoint: 198.51.100.4:51820\n"

static struct model *relay_doc(struct fixture *f, const char *q)
{
	snprintf(f->buf, sizeof(f->buf), RELAY_DOC, q);
	return load_doc(&f->a, f->buf);
}

static void expect_relay(struct fixture *f, const char *q_old,
			 const char *q_new, const char *const want[4])
{
	static const char *const names[] = { "hub", "p", "q", "s" };
	struct model *o = relay_doc(f, q_old), *n = relay_doc(f, q_new);
	const struct delta *d = delta_new(&f->a, o, n, false);

	for (int i = 0; i < 4; i++) {
		char peers[256];
		enum delta_kind k = kind_of(f, d, o, n, names[i], peers,
					    sizeof(peers));

		if (k == DELTA_SAME)
			strcpy(peers, "S");
		else if (k == DELTA_FULL)
			strcpy(peers, "F");
		if (strcmp(peers, want[i]))
			fprintf(stderr, "node %s: got %s, want %s\n",
				names[i], peers, want[i]);
		assert_string_equal(peers, want[i]);
	}
}

/* A relay's sets read every key of its users: a user's grant to another
 * user, managed or not, makes the relay full.  A user gaining an
 * endpoint changes the entry for the relay in the plans of the peers it
 * was relayed with: the relay joins their lists. */
static void test_relay_reads_its_users(void **state)
{
	struct fixture *f = *state;
	static const char *const grant[] = { "F", "S", "F", "S" };
	static const char *const endpoint[] = { "F", "hub,q", "F", "q" };

	expect_relay(f, "",
		     "    permissions: { peers: { p: { incoming: false } } }\n",
		     grant);
	expect_relay(f, "", "    endpoint: 198.51.100.3:51820\n", endpoint);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_same_document_compiles_nothing),
		T(test_key_rotation_touches_one_peer),
		T(test_own_settings_touch_the_node_only),
		T(test_lan_reaches_its_lans_via_nodes),
		T(test_grants_of_managed_and_unmanaged),
		T(test_added_node_and_forwarding),
		T(test_reordered_nodes_and_tests_change_nothing),
		T(test_mesh_and_link_changes_are_global),
		T(test_plan_of_some_peers),
		T(test_relay_reads_its_users),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
