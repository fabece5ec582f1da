/* test_diff.c - the diff engine and its renderers, on hand-built plans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/secret.h"
#include "diff/diff.h"

/* plan_policy_mark("meshx"): the exit-node mark and table of meshx */
#define MARK_X 0x4d43ab78u

/* ---- building plans ------------------------------------------------ */

struct builder {
	struct arena *a;
	struct plan *p;
	size_t cap_addr, cap_peers, cap_routes, cap_rules, cap_sysctls,
		cap_fw_rules;
	size_t cap_elems[FW_SET_COUNT][2];
};

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;
	const char *why;

	assert_int_equal(ip_prefix_parse(s, &p, &why), 0);
	return p;
}

/* A deterministic public key from a number. */
static void test_key(unsigned n, char out[WG_KEY_B64_LEN + 1])
{
	uint8_t k[WG_KEY_LEN];

	memset(k, 0, sizeof(k));
	for (int i = 0; i < 4; i++)
		k[i] = (uint8_t)(n >> (8 * i));
	k[31] = 0x5a;
	key_to_base64(k, out);
}

static struct plan *new_plan(struct builder *b, struct arena *a,
			     const char *node)
{
	struct plan *p = arena_alloc(a, sizeof(*p));

	memset(b, 0, sizeof(*b));
	b->a = a;
	b->p = p;
	p->node = node;
	p->mesh = "x";
	p->iface.name = "meshx";
	test_key(1000, p->iface.public_key);
	p->iface.listen_port = 51820;
	p->iface.private_key_file = "/etc/meshc/private.key";
	p->fw.iface = "meshx";
	for (int id = 0; id < FW_SET_COUNT; id++) {
		p->fw.sets[id][0].name = fw_set_name(id, IP_V4);
		p->fw.sets[id][0].family = IP_V4;
		p->fw.sets[id][1].name = fw_set_name(id, IP_V6);
		p->fw.sets[id][1].family = IP_V6;
	}
	return p;
}

static void add_address(struct builder *b, const char *s)
{
	struct plan_address *a = arena_push(b->a, &b->p->iface.addresses,
					    &b->p->iface.n_addresses,
					    &b->cap_addr, sizeof(*a));

	a->addr = pfx(s);
}

/* ips: NULL-terminated prefixes */
static struct plan_peer *add_peer(struct builder *b, const char *name,
				  unsigned key, const char *endpoint,
				  const char *const *ips)
{
	struct plan_peer *peer = arena_push(b->a, &b->p->peers,
					    &b->p->n_peers, &b->cap_peers,
					    sizeof(*peer));
	size_t cap = 0;

	peer->name = name;
	test_key(key, peer->public_key);
	peer->endpoint = endpoint;
	for (; ips && *ips; ips++) {
		struct plan_allowed_ip *ip = arena_push(
			b->a, &peer->allowed_ips, &peer->n_allowed_ips, &cap,
			sizeof(*ip));

		ip->prefix = pfx(*ips);
	}
	return peer;
}

static void add_route(struct builder *b, const char *dst, uint32_t table,
		      const char *dev)
{
	struct plan_route *r = arena_push(b->a, &b->p->routes,
					  &b->p->n_routes, &b->cap_routes,
					  sizeof(*r));

	r->dst = pfx(dst);
	r->table = table;
	r->dev = dev;
	r->why = "mesh x";
}

static void add_rule(struct builder *b, uint8_t family, uint32_t prio,
		     uint32_t table, uint32_t fwmark, bool invert,
		     int suppress)
{
	struct plan_rule *r = arena_push(b->a, &b->p->rules, &b->p->n_rules,
					 &b->cap_rules, sizeof(*r));

	r->family = family;
	r->priority = prio;
	r->table = table;
	r->fwmark = fwmark;
	r->invert = invert;
	r->suppress_prefixlen = suppress;
}

static void add_sysctl(struct builder *b, const char *key, const char *v)
{
	struct plan_sysctl *s = arena_push(b->a, &b->p->sysctls,
					   &b->p->n_sysctls, &b->cap_sysctls,
					   sizeof(*s));

	s->key = key;
	s->value = v;
	s->why = "forwarding";
}

static void add_elem(struct builder *b, enum fw_set_id id, const char *s,
		     const char *why)
{
	struct ip_prefix p = pfx(s);
	int f = p.addr.family == IP_V6;
	struct fw_set *set = &b->p->fw.sets[id][f];
	struct fw_elem *e = arena_push(b->a, &set->elems, &set->n_elems,
				       &b->cap_elems[id][f], sizeof(*e));

	e->prefix = p;
	e->why = why;
}

static struct fw_rule *add_fw_rule(struct builder *b, enum fw_chain chain,
				   int saddr, int daddr,
				   enum fw_verdict verdict, const char *id)
{
	struct plan_firewall *fw = &b->p->fw;
	struct fw_rule *r = arena_push(b->a, &fw->rules, &fw->n_rules,
				       &b->cap_fw_rules, sizeof(*r));

	r->chain = chain;
	r->saddr_set = saddr;
	r->daddr_set = daddr;
	r->verdict = verdict;
	r->id = id;
	r->comment = "a comment";
	return r;
}

/* A small node b with two peers, a route, rules, a sysctl and a
 * firewall; the same every call, so two calls give identical plans. */
static struct plan *plan_b(struct arena *a)
{
	static const char *const a_ips[] = { "100.64.0.1/32", NULL };
	static const char *const c_ips[] = { "0.0.0.0/0", "100.64.1.1/32",
					     NULL };
	struct builder b;
	struct plan *p = new_plan(&b, a, "b");

	add_address(&b, "100.64.0.2/32");
	add_peer(&b, "a", 1, "198.51.100.10:51820", a_ips);
	add_peer(&b, "c", 3, "203.0.113.7:51820", c_ips)->keepalive = 25;
	add_route(&b, "100.64.0.0/24", MESHC_MAIN_TABLE, "meshx");
	add_rule(&b, IP_V4, MESHC_RULE_PRIO_SUPPRESS, MESHC_MAIN_TABLE, MARK_X,
		 true, 0);
	add_rule(&b, IP_V4, MESHC_RULE_PRIO_TABLE, MARK_X,
		 MARK_X, true, -1);
	add_sysctl(&b, "net.ipv4.ip_forward", "1");
	add_elem(&b, FW_SET_MESH, "100.64.0.0/24", "mesh x");
	add_elem(&b, FW_SET_ROUTING, "100.64.1.1/32", "c");
	add_elem(&b, FW_SET_INCOMING, "100.64.0.1/32", "a");
	add_elem(&b, FW_SET_INCOMING, "100.64.1.1/32", "c");
	add_fw_rule(&b, FW_CHAIN_INPUT, FW_SET_NONE, FW_SET_NONE, FW_JUMP,
		    "mesh-input")->iif = FW_IF_MESH;
	b.p->fw.rules[0].target = FW_CHAIN_MESH_INPUT;
	add_fw_rule(&b, FW_CHAIN_MESH_INPUT, FW_SET_INCOMING, FW_SET_SELF,
		    FW_ACCEPT, "incoming");
	add_fw_rule(&b, FW_CHAIN_MESH_INPUT, FW_SET_NONE, FW_SET_NONE,
		    FW_DROP, "input-default-drop");
	add_fw_rule(&b, FW_CHAIN_FROM_MESH, FW_SET_NONE, FW_SET_MESH, FW_DROP,
		    "no-mesh-transit");
	add_fw_rule(&b, FW_CHAIN_FROM_MESH, FW_SET_ROUTING, FW_SET_NONE,
		    FW_ACCEPT, "routing")->oif = FW_IF_UPLINK;
	add_fw_rule(&b, FW_CHAIN_POSTROUTING, FW_SET_ROUTING, FW_SET_NONE,
		    FW_MASQUERADE, "masquerade")->oif = FW_IF_UPLINK;
	p->fw.nat = true;
	plan_sort(p);
	return p;
}

struct fixture {
	struct arena a;
	struct plan *old, *new;
	struct changeset cs;
};

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));

	arena_init(&f->a);
	f->old = plan_b(&f->a);
	f->new = plan_b(&f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	arena_free(&f->a);
	test_free(f);
	return 0;
}

static void run_diff(struct fixture *f)
{
	memset(&f->cs, 0, sizeof(f->cs));
	diff_plans(&f->a, f->old, f->new, &f->cs);
}

static struct plan_peer *find_peer(struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_peers; i++)
		if (p->peers[i].name && !strcmp(p->peers[i].name, name))
			return &p->peers[i];
	fail_msg("no peer %s", name);
	return NULL;
}

static char *render_text(struct fixture *f, struct strbuf *sb)
{
	struct node_diff nd = { "b", f->old, f->new, &f->cs };

	strbuf_reset(sb);
	diff_render_text(sb, &nd, false);
	return sb->buf ? sb->buf : "";
}

static void render_json(struct fixture *f, struct strbuf *sb)
{
	struct node_diff nd = { "b", f->old, f->new, &f->cs };

	strbuf_reset(sb);
	diff_render_json_open(sb);
	diff_render_json_node(sb, &nd, true);
	diff_render_json_close(sb, 1, 1);
}

/* ---- tests --------------------------------------------------------- */

static void test_identical_plans_no_changes(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;

	run_diff(f);
	assert_true(changeset_empty(&f->cs));
	assert_false(changeset_affects_system(&f->cs));
	assert_string_equal(render_text(f, &sb), "");
	strbuf_free(&sb);
}

static void test_both_absent_no_changes(void **state)
{
	struct fixture *f = *state;

	f->old = f->new = NULL;
	run_diff(f);
	assert_true(changeset_empty(&f->cs));
}

static void test_locations_comments_and_why_make_no_difference(void **state)
{
	struct fixture *f = *state;

	f->new->iface.loc = (struct loc){ "x.yaml", 3, 4 };
	f->new->peers[0].loc = (struct loc){ "x.yaml", 9, 1 };
	f->new->peers[0].allowed_ips[0].why = ALLOWED_EXIT_NODE;
	f->new->routes[0].why = "something else";
	f->new->sysctls[0].why = "another reason";
	f->new->fw.sets[FW_SET_ROUTING][0].elems[0].why = "renamed";
	f->new->fw.rules[1].comment = "reworded";
	f->new->fw.rules[1].loc = (struct loc){ "x.yaml", 12, 2 };
	f->new->fw.rules[1].spec_rule = 6;
	run_diff(f);
	assert_true(changeset_empty(&f->cs));
}

static void test_peer_added(void **state)
{
	static const char *const ips[] = { "100.64.0.9/32", NULL };
	struct fixture *f = *state;
	struct builder b = { .a = &f->a, .p = f->new,
			     .cap_peers = f->new->n_peers };
	struct strbuf sb = STRBUF_INIT;

	add_peer(&b, "d", 4, NULL, ips);
	plan_sort(f->new);
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].layer, LAYER_PEERS);
	assert_int_equal(f->cs.items[0].op, CHANGE_ADD);
	assert_null(f->cs.items[0].old.peer);
	assert_string_equal(f->cs.items[0].new.peer->name, "d");
	assert_string_equal(f->cs.items[0].subject, "d");
	assert_non_null(strstr(render_text(f, &sb),
			       "  peers:\n    + d  "));
	assert_non_null(strstr(sb.buf, "allowed-ips 100.64.0.9/32"));
	strbuf_free(&sb);
}

static void test_peer_removed(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;

	f->new->n_peers = 1;	/* drops c, the second by name */
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].op, CHANGE_REMOVE);
	assert_string_equal(f->cs.items[0].old.peer->name, "c");
	assert_null(f->cs.items[0].new.peer);
	assert_non_null(strstr(render_text(f, &sb), "    - c  "));
	strbuf_free(&sb);
}

static void test_peer_endpoint_changed(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;

	find_peer(f->new, "a")->endpoint = "198.51.100.11:51820";
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].op, CHANGE_MODIFY);
	assert_int_equal(f->cs.items[0].what, CHG_PEER_ENDPOINT);
	assert_false(change_is_cosmetic(&f->cs.items[0]));
	assert_non_null(strstr(render_text(f, &sb),
			       "    ~ a  endpoint 198.51.100.10:51820 -> "
			       "198.51.100.11:51820\n"));
	strbuf_free(&sb);
}

static void test_peer_endpoint_dropped(void **state)
{
	struct fixture *f = *state;

	find_peer(f->new, "a")->endpoint = NULL;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].what, CHG_PEER_ENDPOINT);
	assert_string_equal(f->cs.items[0].detail,
			    "endpoint 198.51.100.10:51820 -> none");
}

static void test_peer_keepalive_changed(void **state)
{
	struct fixture *f = *state;

	find_peer(f->new, "c")->keepalive = 0;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].what, CHG_PEER_KEEPALIVE);
	assert_string_equal(f->cs.items[0].detail, "keepalive 25 -> 0");
}

/* A peer whose key source changes: gained, changed, lost, each a modify
 * of that peer alone that apply must send (not cosmetic), naming files,
 * never keys; an added peer shows its source.  JSON says "preshared_key"
 * changed and carries the files. */
static void test_peer_preshared_key_changes(void **state)
{
	static const char *const json[] = {
		"\"changed\": [\"preshared_key\"]",
		"\"old\": {\"name\": \"c\"",
		"\"keepalive\": 25, \"preshared_key_file\": \"/x.psk\", "
		"\"allowed_ips\": [",
		"\"new\": {\"name\": \"c\"",
		"\"keepalive\": 25, \"preshared_key_file\": \"/y.psk\", "
		"\"allowed_ips\": [", NULL,
	};
	struct fixture *f = *state;
	struct plan_peer *o = find_peer(f->old, "c"), *n = find_peer(f->new, "c");
	struct strbuf sb = STRBUF_INIT;

	n->preshared_key_file = "/x.psk";
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].op, CHANGE_MODIFY);
	assert_int_equal(f->cs.items[0].what, CHG_PEER_PSK);
	assert_false(change_is_cosmetic(&f->cs.items[0]));
	assert_true(changeset_affects_system(&f->cs));
	assert_non_null(strstr(render_text(f, &sb),
			       "    ~ c  preshared-key none -> /x.psk\n"));

	o->preshared_key_file = "/x.psk";
	n->preshared_key_file = "/y.psk";
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_string_equal(f->cs.items[0].detail,
			    "preshared-key /x.psk -> /y.psk");
	strbuf_reset(&sb);
	render_json(f, &sb);
	for (size_t i = 0; json[i]; i++)
		assert_non_null(strstr(sb.buf, json[i]));

	n->preshared_key_file = NULL;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_string_equal(f->cs.items[0].detail,
			    "preshared-key /x.psk -> none");

	/* the same source on both sides: no change */
	n->preshared_key_file = "/x.psk";
	run_diff(f);
	assert_int_equal(f->cs.count, 0);
	strbuf_free(&sb);
}

static void test_peer_added_with_preshared_key(void **state)
{
	static const char *const ips[] = { "100.64.0.9/32", NULL };
	struct fixture *f = *state;
	struct builder b = { .a = &f->a, .p = f->new,
			     .cap_peers = f->new->n_peers };

	add_peer(&b, "d", 4, NULL, ips)->preshared_key_file = "/x.psk";
	plan_sort(f->new);
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_non_null(strstr(f->cs.items[0].detail,
			       "allowed-ips 100.64.0.9/32  preshared-key /x.psk"));
}

static void test_peer_allowed_ips_changed(void **state)
{
	static const char *const ips[] = { "100.64.1.1/32",
					   "192.168.2.0/24", NULL };
	struct fixture *f = *state;
	struct builder b = { .a = &f->a, .p = f->new,
			     .cap_peers = f->new->n_peers };
	struct plan_peer *tmp, *c;
	const struct change *ch;
	struct ip_prefix lan = pfx("192.168.2.0/24");

	/* c loses its exit-node default route and gains a lan. */
	tmp = add_peer(&b, "tmp", 99, NULL, ips);
	c = find_peer(f->new, "c");
	c->allowed_ips = tmp->allowed_ips;
	c->n_allowed_ips = tmp->n_allowed_ips;
	f->new->n_peers--;
	plan_sort(f->new);
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	ch = &f->cs.items[0];
	assert_int_equal(ch->what, CHG_PEER_ALLOWED_IPS);
	assert_int_equal(ch->n_ips_added, 1);
	assert_int_equal(ch->n_ips_removed, 1);
	assert_int_equal(ip_prefix_cmp(&ch->ips_added[0]->prefix, &lan), 0);
	assert_int_equal(ch->ips_removed[0]->prefix.len, 0);
	assert_string_equal(ch->detail,
			    "allowed-ips +192.168.2.0/24, -0.0.0.0/0");
}

static void test_key_rotation_is_remove_then_add(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	const char *t, *minus, *plus;

	test_key(33, find_peer(f->new, "c")->public_key);
	plan_sort(f->new);
	run_diff(f);
	assert_int_equal(f->cs.count, 2);
	assert_int_equal(f->cs.items[0].op, CHANGE_REMOVE);
	assert_int_equal(f->cs.items[1].op, CHANGE_ADD);
	assert_string_equal(f->cs.items[0].subject, "c");
	assert_string_equal(f->cs.items[1].subject, "c");
	assert_string_not_equal(f->cs.items[0].old.peer->public_key,
				f->cs.items[1].new.peer->public_key);
	t = render_text(f, &sb);
	minus = strstr(t, "- c ");
	plus = strstr(t, "+ c ");
	assert_non_null(minus);
	assert_non_null(plus);
	assert_true(minus < plus);
	strbuf_free(&sb);
}

static void test_renamed_peer_is_cosmetic_modify(void **state)
{
	struct fixture *f = *state;

	find_peer(f->new, "c")->name = "c2";
	plan_sort(f->new);
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].op, CHANGE_MODIFY);
	assert_int_equal(f->cs.items[0].what, CHG_PEER_NAME);
	assert_true(change_is_cosmetic(&f->cs.items[0]));
	assert_false(changeset_empty(&f->cs));
	assert_false(changeset_affects_system(&f->cs));
	assert_string_equal(f->cs.items[0].subject, "c2");
	assert_string_equal(f->cs.items[0].detail, "renamed from c");
}

/* A plan read from the live system has no names, no paths and no
 * locations: that alone is no change. */
static void test_live_plan_without_names_matches(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < f->old->n_peers; i++)
		f->old->peers[i].name = NULL;
	f->old->iface.private_key_file = NULL;
	f->old->node = f->old->mesh = NULL;
	for (size_t i = 0; i < FW_SET_COUNT; i++)
		for (size_t j = 0; j < f->old->fw.sets[i][0].n_elems; j++)
			f->old->fw.sets[i][0].elems[j].why = NULL;
	plan_sort(f->old);
	run_diff(f);
	assert_true(changeset_empty(&f->cs));
}

static void test_node_appears_everything_added(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	size_t first, n;

	f->old = NULL;
	run_diff(f);
	for (size_t i = 0; i < f->cs.count; i++) {
		assert_int_equal(f->cs.items[i].op, CHANGE_ADD);
		assert_true(i == 0 || f->cs.items[i - 1].layer <=
					      f->cs.items[i].layer);
	}
	assert_int_equal(changeset_layer(&f->cs, LAYER_INTERFACE, &first), 1);
	assert_int_equal(first, 0);
	assert_int_equal(changeset_layer(&f->cs, LAYER_ADDRESSES, &first), 1);
	assert_int_equal(changeset_layer(&f->cs, LAYER_PEERS, &first), 2);
	assert_int_equal(changeset_layer(&f->cs, LAYER_ROUTES, &first), 1);
	assert_int_equal(changeset_layer(&f->cs, LAYER_RULES, &first), 2);
	assert_int_equal(changeset_layer(&f->cs, LAYER_SYSCTLS, &first), 1);
	assert_int_equal(changeset_layer(&f->cs, LAYER_FIREWALL_SETS, &first),
			 4);
	/* input, mesh_input, from_mesh, postrouting */
	n = changeset_layer(&f->cs, LAYER_FIREWALL_RULES, &first);
	assert_int_equal(n, 4);
	assert_int_equal(f->cs.items[first + 1].chain, FW_CHAIN_MESH_INPUT);
	assert_int_equal(f->cs.items[first + 1].n_new_rules, 2);
	assert_non_null(strstr(render_text(f, &sb),
			       "node b (mesh x, new node):\n"));
	strbuf_free(&sb);
}

static void test_node_disappears_everything_removed(void **state)
{
	struct fixture *f = *state;
	size_t first;

	f->new = NULL;
	run_diff(f);
	assert_int_equal(f->cs.count, 1 + 1 + 2 + 1 + 2 + 1 + 4 + 4);
	for (size_t i = 0; i < f->cs.count; i++) {
		assert_int_equal(f->cs.items[i].op, CHANGE_REMOVE);
		assert_null(f->cs.items[i].new.peer);
	}
	assert_int_equal(changeset_layer(&f->cs, LAYER_PEERS, &first), 2);
	assert_string_equal(f->cs.items[first].subject, "a");
}

static void test_set_element_added(void **state)
{
	struct fixture *f = *state;
	struct builder b = { .a = &f->a, .p = f->new };
	struct strbuf sb = STRBUF_INIT;
	const struct change *ch;

	b.cap_elems[FW_SET_ROUTING][0] = 1;
	add_elem(&b, FW_SET_ROUTING, "100.64.0.1/32", "a");
	plan_sort(f->new);
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	ch = &f->cs.items[0];
	assert_int_equal(ch->layer, LAYER_FIREWALL_SETS);
	assert_int_equal(ch->op, CHANGE_ADD);
	assert_int_equal(ch->set_id, FW_SET_ROUTING);
	assert_int_equal(ch->set_family, IP_V4);
	assert_string_equal(ch->new.elem->why, "a");
	assert_non_null(strstr(render_text(f, &sb),
			       "  firewall sets:\n"
			       "    + routing4 100.64.0.1 (a)\n"));
	strbuf_free(&sb);
}

/* A pair's destination is written once, in text and JSON alike, for
 * the relay's pair set and its service set (both branches once added
 * it; a key twice is no JSON object a reader can trust). */
static void test_pair_elements_name_dst_once(void **state)
{
	struct fixture *f = *state;
	struct builder b = { .a = &f->a, .p = f->new };
	struct strbuf sb = STRBUF_INIT;
	struct fw_elem *e;
	const char *j, *first;

	add_elem(&b, FW_SET_RELAY, "100.64.0.2/32", "a -> b");
	f->new->fw.sets[FW_SET_RELAY][0].elems[0].dst = pfx("100.64.0.3/32");
	add_elem(&b, FW_SET_RELAY_SVC, "100.64.0.2/32", "a -> c");
	e = &f->new->fw.sets[FW_SET_RELAY_SVC][0].elems[0];
	e->dst = pfx("100.64.0.4/32");
	e->svc = (struct fw_service){ SVC_TCP, 22, 22 };
	f->new->fw.services = true;
	plan_sort(f->new);
	run_diff(f);
	assert_non_null(strstr(render_text(f, &sb),
			       "    + relay4 100.64.0.2 . 100.64.0.3 (a -> b)\n"));
	assert_non_null(strstr(sb.buf, "    + relay_svc4 100.64.0.2 . "
				       "100.64.0.4 . tcp/22 (a -> c)\n"));
	strbuf_free(&sb);
	render_json(f, &sb);
	j = sb.buf;
	assert_non_null(strstr(j, "\"set\": \"relay4\", \"family\": \"ipv4\", "
				  "\"prefix\": \"100.64.0.2/32\", \"dst\": "
				  "\"100.64.0.3/32\", \"why\""));
	assert_non_null(strstr(j, "\"prefix\": \"100.64.0.2/32\", \"dst\": "
				  "\"100.64.0.4/32\", \"service\": \"tcp/22\", "
				  "\"why\""));
	first = strstr(j, "\"dst\"");
	assert_non_null(first);
	/* two elements, two dst keys */
	assert_non_null(strstr(first + 1, "\"dst\""));
	assert_null(strstr(strstr(first + 1, "\"dst\"") + 1, "\"dst\""));
	strbuf_free(&sb);
}

static void test_set_element_removed(void **state)
{
	struct fixture *f = *state;
	const struct change *ch;

	f->new->fw.sets[FW_SET_ROUTING][0].n_elems = 0;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	ch = &f->cs.items[0];
	assert_int_equal(ch->op, CHANGE_REMOVE);
	assert_int_equal(ch->set_id, FW_SET_ROUTING);
	assert_string_equal(ch->subject, "routing4 100.64.1.1");
	assert_string_equal(ch->detail, "(c)");
}

static void test_fw_rule_change_modifies_its_chain_only(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;
	const struct change *ch;

	/* mesh_input: accept anyone, not only the incoming set */
	f->new->fw.rules[1].saddr_set = FW_SET_NONE;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	ch = &f->cs.items[0];
	assert_int_equal(ch->layer, LAYER_FIREWALL_RULES);
	assert_int_equal(ch->op, CHANGE_MODIFY);
	assert_int_equal(ch->what, CHG_CHAIN_RULES);
	assert_int_equal(ch->chain, FW_CHAIN_MESH_INPUT);
	assert_ptr_equal(ch->old.fw_rules, &f->old->fw.rules[1]);
	assert_ptr_equal(ch->new.fw_rules, &f->new->fw.rules[1]);
	assert_int_equal(ch->n_old_rules, 2);
	assert_int_equal(ch->n_new_rules, 2);
	render_text(f, &sb);
	assert_non_null(strstr(sb.buf, "    ~ mesh_input  2 -> 2 rules\n"));
	assert_non_null(strstr(
		sb.buf,
		"        - saddr @incoming daddr @self accept  [incoming]\n"
		"        + daddr @self accept  [incoming]\n"));
	/* the unchanged drop rule is not shown */
	assert_null(strstr(sb.buf, "input-default-drop"));
	strbuf_free(&sb);
}

static void test_fw_rule_order_matters(void **state)
{
	struct fixture *f = *state;
	struct fw_rule t = f->new->fw.rules[3];

	f->new->fw.rules[3] = f->new->fw.rules[4];
	f->new->fw.rules[4] = t;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].chain, FW_CHAIN_FROM_MESH);
}

/* The rules name the set uplinks, so another uplink (or default route)
 * is an element change and no rule changes. */
static struct fw_elem *ifname_elem(struct arena *a, const char *name)
{
	struct fw_elem *e = arena_calloc(a, 1, sizeof(*e));

	e->ifname = name;
	return e;
}

static void test_uplink_change_is_an_element_of_uplinks(void **state)
{
	struct fixture *f = *state;

	f->old->fw.uplink = "eth0";
	f->new->fw.uplink = "eth1";
	f->old->fw.sets[FW_SET_UPLINK][0].elems = ifname_elem(&f->a, "eth0");
	f->old->fw.sets[FW_SET_UPLINK][0].n_elems = 1;
	f->new->fw.sets[FW_SET_UPLINK][0].elems = ifname_elem(&f->a, "eth1");
	f->new->fw.sets[FW_SET_UPLINK][0].n_elems = 1;
	run_diff(f);
	assert_int_equal(f->cs.count, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(f->cs.items[i].layer, LAYER_FIREWALL_SETS);
		assert_int_equal(f->cs.items[i].set_id, FW_SET_UPLINK);
		assert_int_equal(f->cs.items[i].set_family, 0);
	}
	assert_int_equal(f->cs.items[0].op, CHANGE_REMOVE);
	assert_string_equal(f->cs.items[0].subject, "uplinks eth0");
	assert_int_equal(f->cs.items[1].op, CHANGE_ADD);
	assert_string_equal(f->cs.items[1].subject, "uplinks eth1");
}

static void test_nat_chain_removed(void **state)
{
	struct fixture *f = *state;

	f->new->fw.n_rules--;
	f->new->fw.nat = false;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].op, CHANGE_REMOVE);
	assert_int_equal(f->cs.items[0].chain, FW_CHAIN_POSTROUTING);
	assert_int_equal(f->cs.items[0].n_old_rules, 1);
	assert_int_equal(f->cs.items[0].n_new_rules, 0);
	assert_string_equal(f->cs.items[0].detail, "1 rule");
}

static void test_sysctl_changed_and_added(void **state)
{
	struct fixture *f = *state;
	struct builder b = { .a = &f->a, .p = f->new, .cap_sysctls = 1 };
	struct strbuf sb = STRBUF_INIT;

	f->new->sysctls[0].value = "0";
	add_sysctl(&b, "net.ipv4.conf.all.src_valid_mark", "1");
	plan_sort(f->new);
	run_diff(f);
	assert_int_equal(f->cs.count, 2);
	assert_int_equal(f->cs.items[0].op, CHANGE_ADD);
	assert_string_equal(f->cs.items[0].subject,
			    "net.ipv4.conf.all.src_valid_mark");
	assert_int_equal(f->cs.items[1].op, CHANGE_MODIFY);
	assert_int_equal(f->cs.items[1].what, CHG_SYSCTL_VALUE);
	render_text(f, &sb);
	assert_non_null(strstr(sb.buf, "    ~ net.ipv4.ip_forward 1 -> 0\n"));
	assert_non_null(strstr(sb.buf, "    + net.ipv4.conf.all."
				       "src_valid_mark = 1"));
	strbuf_free(&sb);
}

static void test_route_dev_change_is_modify(void **state)
{
	struct fixture *f = *state;
	struct builder b = { .a = &f->a, .p = f->new, .cap_routes = 1 };

	f->new->routes[0].dev = "meshy";
	add_route(&b, "0.0.0.0/0", MARK_X, "meshx");
	plan_sort(f->new);
	run_diff(f);
	assert_int_equal(f->cs.count, 2);
	assert_int_equal(f->cs.items[0].op, CHANGE_MODIFY);
	assert_int_equal(f->cs.items[0].what, CHG_ROUTE_DEV);
	assert_string_equal(f->cs.items[0].detail, "dev meshx -> meshy");
	assert_int_equal(f->cs.items[1].op, CHANGE_ADD);
	assert_string_equal(f->cs.items[1].subject, "0.0.0.0/0 table 1296280440");
}

static void test_policy_rule_change(void **state)
{
	struct fixture *f = *state;

	f->new->rules[1].invert = false;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].layer, LAYER_RULES);
	assert_int_equal(f->cs.items[0].what, CHG_RULE_FWMARK);
	assert_string_equal(f->cs.items[0].subject, "ipv4 priority 32101");
	assert_string_equal(f->cs.items[0].detail,
			    "not fwmark 0x4d43ab78 lookup 1296280440 -> "
			    "fwmark 0x4d43ab78 lookup 1296280440");
}

static void test_address_added_and_removed(void **state)
{
	struct fixture *f = *state;

	f->new->iface.addresses[0].addr = pfx("100.64.0.3/32");
	run_diff(f);
	assert_int_equal(f->cs.count, 2);
	assert_int_equal(f->cs.items[0].layer, LAYER_ADDRESSES);
	assert_int_equal(f->cs.items[0].op, CHANGE_REMOVE);
	assert_string_equal(f->cs.items[0].subject, "100.64.0.2/32");
	assert_int_equal(f->cs.items[1].op, CHANGE_ADD);
	assert_string_equal(f->cs.items[1].subject, "100.64.0.3/32");
}

static void test_interface_listen_port_and_fwmark(void **state)
{
	struct fixture *f = *state;

	f->new->iface.listen_port = 51821;
	f->new->iface.fwmark = MARK_X;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].what,
			 CHG_IFACE_LISTEN_PORT | CHG_IFACE_FWMARK);
	assert_string_equal(f->cs.items[0].detail,
			    "listen-port 51820 -> 51821  fwmark 0x0 -> 0x4d43ab78");
}

/* The private key never reaches the output: a new key shows as "private
 * key changed" with the public keys it gives. */
static void test_interface_key_change_prints_no_private_key(void **state)
{
	struct fixture *f = *state;
	struct secret_key k;
	uint8_t pub[WG_KEY_LEN];
	char *priv;
	struct strbuf sb = STRBUF_INIT;
	char want[128];

	assert_int_equal(secret_key_generate(&k, true), 0);
	secret_key_public(&k, pub);
	key_to_base64(pub, f->new->iface.public_key);
	priv = secret_key_to_base64(&k);
	assert_non_null(priv);
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].what, CHG_IFACE_PRIVATE_KEY);
	snprintf(want, sizeof(want),
		 "  interface:\n    ~ interface meshx: private key changed "
		 "(public key %.8s... -> %.8s...)\n",
		 f->old->iface.public_key, f->new->iface.public_key);
	assert_string_equal(render_text(f, &sb) + strlen("node b (mesh x):\n"),
			    want);
	assert_null(strstr(sb.buf, priv));
	render_json(f, &sb);
	assert_null(strstr(sb.buf, priv));
	assert_non_null(strstr(sb.buf, "\"changed\": [\"private_key\"]"));
	assert_null(strstr(sb.buf, "private_key\":"));
	secret_string_free(priv);
	secret_key_free(&k);
	strbuf_free(&sb);
}

static void test_key_file_change_is_cosmetic(void **state)
{
	struct fixture *f = *state;

	f->new->iface.private_key_file = "/etc/meshc/other.key";
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].what, CHG_IFACE_KEY_FILE);
	assert_false(changeset_affects_system(&f->cs));
}

/* An MTU change is one line of the interface layer and needs the system
 * (one RTM_NEWLINK); no peer is touched. */
static void test_mtu_change_is_one_interface_line(void **state)
{
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;

	f->old->iface.mtu = 1380;
	f->new->iface.mtu = 1400;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].layer, LAYER_INTERFACE);
	assert_int_equal(f->cs.items[0].what, CHG_IFACE_MTU);
	assert_true(changeset_affects_system(&f->cs));
	assert_string_equal(render_text(f, &sb) + strlen("node b (mesh x):\n"),
			    "  interface:\n"
			    "    ~ interface meshx: mtu 1380 -> 1400\n");
	render_json(f, &sb);
	assert_non_null(strstr(sb.buf, "\"changed\": [\"mtu\"]"));
	assert_non_null(strstr(sb.buf, "\"fwmark\": 0, \"mtu\": 1400, "));
	/* a link without one yet (read live: none there) */
	f->old->iface.mtu = 0;
	run_diff(f);
	assert_string_equal(f->cs.items[0].detail, "mtu unset -> 1400");
	strbuf_free(&sb);
}

/* mtu 0 in the new plan means "leave the link's alone": whatever the old
 * plan (or the live link) has is no difference. */
static void test_mtu_not_set_is_no_change(void **state)
{
	struct fixture *f = *state;

	f->old->iface.mtu = 1420;
	f->new->iface.mtu = 0;
	run_diff(f);
	assert_true(changeset_empty(&f->cs));
	f->new->iface.mtu = 1420;
	run_diff(f);
	assert_true(changeset_empty(&f->cs));
}

/* dns is only export's: between two documents a cosmetic change in one
 * line; against a live plan (dns NULL) no difference at all. */
static void test_dns_change_is_cosmetic_and_not_live(void **state)
{
	static struct plan_dns one[] = { { .entry = "100.64.0.1" } };
	static struct plan_dns two[] = { { .entry = "100.64.0.1" },
					 { .entry = "corp.example" } };
	static struct plan_dns swapped[] = { { .entry = "corp.example" },
					     { .entry = "100.64.0.1" } };
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;

	f->old->iface.dns = one;
	f->old->iface.n_dns = 1;
	f->new->iface.dns = two;
	f->new->iface.n_dns = 2;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].what, CHG_IFACE_DNS);
	assert_false(changeset_affects_system(&f->cs));
	assert_string_equal(f->cs.items[0].detail,
			    "dns 100.64.0.1 -> 100.64.0.1, corp.example");
	render_json(f, &sb);
	assert_non_null(strstr(sb.buf, "\"changed\": [\"dns\"]"));
	assert_non_null(strstr(sb.buf,
			       "\"dns\": [\"100.64.0.1\", \"corp.example\"]}"));
	/* the order is the resolvers' */
	f->old->iface.dns = swapped;
	f->old->iface.n_dns = 2;
	run_diff(f);
	assert_int_equal(f->cs.count, 1);
	assert_int_equal(f->cs.items[0].what, CHG_IFACE_DNS);
	/* a plan read from the system has none to compare */
	f->old->iface.dns = NULL;
	f->old->iface.n_dns = 0;
	run_diff(f);
	assert_true(changeset_empty(&f->cs));
	f->old->iface.dns = one;
	f->old->iface.n_dns = 1;
	f->new->iface.n_dns = 0;
	run_diff(f);
	assert_string_equal(f->cs.items[0].detail, "dns 100.64.0.1 -> none");
	strbuf_free(&sb);
}

static void assert_in_order(const char *s, const char *const *keys)
{
	const char *prev = s;

	for (; *keys; keys++) {
		const char *p = strstr(prev, *keys);

		if (!p)
			fail_msg("'%s' missing or out of order in %s", *keys,
				 s);
		prev = p + strlen(*keys);
	}
}

static void test_json_field_order(void **state)
{
	static const char *const top[] = {
		"{\n  \"format\": \"meshc-diff\",\n  \"version\": 1,\n",
		"\"nodes\": [", "{\"node\": \"b\"", "\"mesh\": \"x\"",
		"\"status\": \"changed\"", "\"changes\": [",
		"\"changed_nodes\": 1", "\"total_nodes\": 1\n}\n", NULL,
	};
	static const char *const change[] = {
		"{\"layer\": \"peers\"", "\"op\": \"modify\"",
		"\"subject\": \"a\"", "\"detail\": \"endpoint ",
		"\"changed\": [\"endpoint\"]", "\"cosmetic\": false",
		"\"public_key\": ", "\"old\": {\"name\": \"a\"",
		"\"new\": {\"name\": \"a\"", "\"allowed_ips_added\": []",
		"\"allowed_ips_removed\": []}", NULL,
	};
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;

	find_peer(f->new, "a")->endpoint = "198.51.100.11:51820";
	run_diff(f);
	render_json(f, &sb);
	assert_in_order(sb.buf, top);
	assert_in_order(sb.buf, change);
	strbuf_free(&sb);
}

static void test_json_set_element_and_chain_fields(void **state)
{
	static const char *const want[] = {
		"{\"layer\": \"firewall_sets\", \"op\": \"remove\"",
		"\"set\": \"routing4\", \"family\": \"ipv4\", "
		"\"prefix\": \"100.64.1.1/32\", \"why\": \"c\"}",
		"{\"layer\": \"firewall_rules\", \"op\": \"modify\"",
		"\"chain\": \"from_mesh\", \"old_rules\": [{\"id\": "
		"\"no-mesh-transit\"",
		"\"oif\": {\"negate\": false, \"name\": \"@uplinks\"}",
		"\"new_rules\": [", "\"oif\": {\"negate\": true, \"name\": "
		"\"meshx\"}", NULL,
	};
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;

	f->new->fw.sets[FW_SET_ROUTING][0].n_elems = 0;
	/* the routing rule leaves by any interface but the mesh again */
	f->new->fw.rules = arena_calloc(&f->a, f->new->fw.n_rules,
					sizeof(*f->new->fw.rules));
	memcpy(f->new->fw.rules, f->old->fw.rules,
	       f->new->fw.n_rules * sizeof(*f->new->fw.rules));
	for (size_t i = 0; i < f->new->fw.n_rules; i++)
		if (!strcmp(f->new->fw.rules[i].id, "routing"))
			f->new->fw.rules[i].oif = FW_IF_NOT_MESH;
	f->new->fw.n_rules--;	/* no postrouting: one chain change less */
	run_diff(f);
	render_json(f, &sb);
	assert_in_order(sb.buf, want);
	strbuf_free(&sb);
}

static void test_text_groups_by_layer_in_order(void **state)
{
	static const char *const want[] = {
		"node b (mesh x):\n", "  interface:\n", "  addresses:\n",
		"  peers:\n", "  routes:\n", "  policy rules:\n",
		"  sysctls:\n", "  firewall sets:\n", "  firewall rules:\n",
		NULL,
	};
	struct fixture *f = *state;
	struct strbuf sb = STRBUF_INIT;

	f->new->fw.n_rules = 0;
	f->new->fw.sets[FW_SET_MESH][0].n_elems = 0;
	f->new->n_sysctls = 0;
	f->new->n_rules = 0;
	f->new->n_routes = 0;
	f->new->n_peers = 0;
	f->new->iface.n_addresses = 0;
	f->new->iface.listen_port = 1;
	run_diff(f);
	assert_in_order(render_text(f, &sb), want);
	strbuf_free(&sb);
}

static void test_colors_only_when_asked(void **state)
{
	struct fixture *f = *state;
	struct node_diff nd = { "b", NULL, NULL, &f->cs };
	struct strbuf sb = STRBUF_INIT;

	find_peer(f->new, "a")->endpoint = NULL;
	run_diff(f);
	nd.old = f->old;
	nd.new = f->new;
	diff_render_text(&sb, &nd, false);
	assert_null(strchr(sb.buf, '\033'));
	strbuf_reset(&sb);
	diff_render_text(&sb, &nd, true);
	assert_non_null(strstr(sb.buf, "\033[33m~ a  endpoint"));
	strbuf_free(&sb);
}

static void test_summary_lines(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	diff_render_text_summary(&sb, 0, 3);
	assert_string_equal(sb.buf, "no changes\n");
	strbuf_reset(&sb);
	diff_render_text_summary(&sb, 1, 3);
	assert_string_equal(sb.buf, "1 of 3 nodes change\n");
	strbuf_free(&sb);
}

/* 10,000 peers whose name order is not their key order: the merge must
 * pair them by key; every 100th changes its endpoint, 50 go, 50 come. */
static void test_ten_thousand_peers(void **state)
{
	enum { N = 10000 };
	struct fixture *f = *state;
	struct builder bo, bn;
	size_t first, n, modified = 0, added = 0, removed = 0;

	f->old = new_plan(&bo, &f->a, "b");
	f->new = new_plan(&bn, &f->a, "b");
	for (unsigned i = 0; i < N; i++) {
		/* names run backwards against the keys */
		char *name = arena_printf(&f->a, "n%05u", N - i);
		char *ip = arena_printf(&f->a, "10.%u.%u.%u/32", i >> 16,
					(i >> 8) & 255, i & 255);
		const char *ips[] = { ip, NULL };

		if (i >= 50)
			add_peer(&bo, name, i, "192.0.2.1:51820", ips);
		if (i < N - 50)
			add_peer(&bn, name, i,
				 i % 100 == 99 ? "192.0.2.2:51820"
					       : "192.0.2.1:51820",
				 ips);
	}
	plan_sort(f->old);
	plan_sort(f->new);
	run_diff(f);
	n = changeset_layer(&f->cs, LAYER_PEERS, &first);
	assert_int_equal(n, f->cs.count);
	for (size_t i = 0; i < n; i++) {
		const struct change *ch = &f->cs.items[first + i];

		if (ch->op == CHANGE_MODIFY) {
			assert_int_equal(ch->what, CHG_PEER_ENDPOINT);
			assert_string_equal(ch->old.peer->public_key,
					    ch->new.peer->public_key);
			modified++;
		}
		added += ch->op == CHANGE_ADD;
		removed += ch->op == CHANGE_REMOVE;
		/* sorted by name for the reader */
		if (i)
			assert_true(strcmp(f->cs.items[first + i - 1].subject,
					   ch->subject) < 0);
	}
	/* i % 100 == 99 for 50 <= i < N - 50: 99 of the 100 */
	assert_int_equal(modified, 99);
	assert_int_equal(added, 50);
	assert_int_equal(removed, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_identical_plans_no_changes),
		T(test_both_absent_no_changes),
		T(test_locations_comments_and_why_make_no_difference),
		T(test_peer_added),
		T(test_peer_removed),
		T(test_peer_endpoint_changed),
		T(test_peer_endpoint_dropped),
		T(test_peer_keepalive_changed),
		T(test_peer_preshared_key_changes),
		T(test_peer_added_with_preshared_key),
		T(test_peer_allowed_ips_changed),
		T(test_key_rotation_is_remove_then_add),
		T(test_renamed_peer_is_cosmetic_modify),
		T(test_live_plan_without_names_matches),
		T(test_node_appears_everything_added),
		T(test_node_disappears_everything_removed),
		T(test_set_element_added),
		T(test_pair_elements_name_dst_once),
		T(test_set_element_removed),
		T(test_fw_rule_change_modifies_its_chain_only),
		T(test_fw_rule_order_matters),
		T(test_uplink_change_is_an_element_of_uplinks),
		T(test_nat_chain_removed),
		T(test_sysctl_changed_and_added),
		T(test_route_dev_change_is_modify),
		T(test_policy_rule_change),
		T(test_address_added_and_removed),
		T(test_interface_listen_port_and_fwmark),
		T(test_interface_key_change_prints_no_private_key),
		T(test_key_file_change_is_cosmetic),
		T(test_mtu_change_is_one_interface_line),
		T(test_mtu_not_set_is_no_change),
		T(test_dns_change_is_cosmetic_and_not_live),
		T(test_json_field_order),
		T(test_json_set_element_and_chain_fields),
		T(test_text_groups_by_layer_in_order),
		T(test_colors_only_when_asked),
		T(test_summary_lines),
		T(test_ten_thousand_peers),
#undef T
	};

	if (secret_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
