/* load.c - the YAML tree -> struct model, driven by grammar/keys.def.
 *
 * Mappings with fixed keys are walked with the key table (unknown,
 * duplicate and missing keys); mappings whose keys are names (meshes,
 * nodes, permissions.peers) and the lists (links, tests) are walked here.
 * Every problem is reported and the walk goes on, so one run shows all of
 * them; only values that were read correctly are marked set.
 */
#include "load/load.h"

#include <stdint.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/strmap.h"
#include "base/suggest.h"
#include "load/keys.h"
#include "load/loader.h"
#include "load/tree.h"

/* Where a mapping sits, for messages; formatted only when one is needed.
 * kind/name own the mapping ("node", "b"); path/sub lead to it from
 * there ("permissions.peers", "c").  kind NULL is the top level. */
struct scope {
	const char *kind;
	const char *name;
	const char *path;
	const char *sub;
};

static const char *scope_owner(struct loader *L, const struct scope *s)
{
	struct what w = { s->kind, s->name };

	return s->name ? what_str(L, w) : s->kind;
}

/* "at top level", "in node 'a'", "in permissions.peers.c of node 'b'" */
static const char *scope_where(struct loader *L, const struct scope *s)
{
	if (!s->kind)
		return "at top level";
	if (!s->path)
		return arena_printf(L->a, "in %s", scope_owner(L, s));
	return arena_printf(L->a, "in %s%s%s of %s", s->path, s->sub ? "." : "",
			    s->sub ? s->sub : "", scope_owner(L, s));
}

/* Duplicate keys: a linear look back for the small mappings that most
 * are, a hash for big ones (50,000 nodes must not be quadratic). */
#define KEYSET_LINEAR_MAX 16

struct keyset {
	const struct ynode *map;
	struct strmap seen;	/* key text -> pair index, big maps only */
};

static const struct ynode *pair_key_node(const struct ynode *map, size_t i)
{
	return map->c.kids[2 * i];
}

static bool usable_key(const struct ynode *k)
{
	return k->kind == Y_SCALAR && !k->block && !k->bad;
}

static void keyset_init(struct loader *L, struct keyset *ks,
			const struct ynode *map)
{
	ks->map = map;
	strmap_init(&ks->seen, L->a);
	if (map->c.n / 2 > KEYSET_LINEAR_MAX)
		strmap_reserve(&ks->seen, map->c.n / 2);
}

/* The first earlier pair with the same key as pair i, or SIZE_MAX. */
static size_t keyset_first(struct keyset *ks, size_t i)
{
	const struct ynode *k = pair_key_node(ks->map, i);
	size_t j, n_pairs = ks->map->c.n / 2;

	if (n_pairs <= KEYSET_LINEAR_MAX) {
		for (j = 0; j < i; j++) {
			const struct ynode *o = pair_key_node(ks->map, j);

			if (usable_key(o) && o->s.len == k->s.len &&
			    !memcmp(o->s.text, k->s.text, k->s.len))
				return j;
		}
		return SIZE_MAX;
	}
	if (strmap_get(&ks->seen, k->s.text, &j))
		return j;
	strmap_put(&ks->seen, k->s.text, i);
	return SIZE_MAX;
}

/* The text of pair i's key, or NULL after reporting why it is skipped. */
static const char *pair_key(struct loader *L, struct keyset *ks, size_t i)
{
	const struct ynode *k = pair_key_node(ks->map, i);
	size_t first;

	if (k->bad)
		return NULL;
	if (!usable_key(k)) {
		diag_error(L->d, loader_loc(L, k),
			   "mapping keys must be plain or quoted scalars");
		return NULL;
	}
	if (k->plain && !strcmp(k->s.text, "<<")) {
		diag_error(L->d, loader_loc(L, k),
			   "merge keys (<<) are not supported; use the mesh's "
			   "defaults");
		return NULL;
	}
	first = keyset_first(ks, i);
	if (first != SIZE_MAX) {
		const struct ynode *f = pair_key_node(ks->map, first);

		/* In a flow mapping both may sit on one line. */
		if (f->line == k->line)
			diag_error(L->d, loader_loc(L, k),
				   "duplicate key '%s' (first at line %u, "
				   "column %u)",
				   k->s.text, f->line, f->col);
		else
			diag_error(L->d, loader_loc(L, k),
				   "duplicate key '%s' (first at line %u)",
				   k->s.text, f->line);
		return NULL;
	}
	return k->s.text;
}

static const char *suggest_key(struct arena *a, const char *name,
			       const struct key_info *keys, size_t n)
{
	struct suggest s;

	suggest_init(&s, a, name);
	for (size_t i = 0; i < n; i++)
		suggest_offer(&s, keys[i].name);
	return suggest_best(&s);
}

/* Where a key of context c goes, for a key written at the wrong level. */
static const char *context_place(enum key_context c)
{
	switch (c) {
	case KC_TOP:
		return "the top level";
	case KC_MESH:
		return "a mesh (meshes.NAME)";
	case KC_NODE:
		return "a node (nodes.NAME)";
	case KC_PERMISSIONS:
		return "a node's permissions";
	case KC_FLAGS:
		return "permissions.default, permissions.peers.NAME or a "
		       "mesh's defaults";
	case KC_LAN_GRANT:
		return "an entry of a local_network list";
	case KC_TEST:
		return "a test (an entry of tests)";
	case KC__COUNT:
		break;
	}
	return "?";
}

/* A key that exists, only not here: say where it belongs ("routing"
 * under a node is a permission flag).  NULL when name is no key at all. */
static const char *key_elsewhere(struct loader *L, const char *name,
				 enum key_context here)
{
	struct strbuf places = STRBUF_INIT;
	const char *text = NULL;
	size_t count = 0;

	for (int c = 0; c < KC__COUNT; c++) {
		if (c == (int)here || !key_find(c, name))
			continue;
		strbuf_printf(&places, "%s%s", count ? " or under " : "",
			      context_place(c));
		count++;
	}
	if (count && here != KC_FLAGS && key_find(KC_FLAGS, name))
		text = arena_printf(L->a, "permission flags go under %s",
				    strbuf_str(&places));
	else if (count)
		text = arena_printf(L->a, "'%s' belongs under %s", name,
				    strbuf_str(&places));
	strbuf_free(&places);
	return text;
}

static void report_unknown_key(struct loader *L, const char *name,
			       struct loc l, enum key_context ctx,
			       const struct scope *s)
{
	size_t n;
	const struct key_info *keys = keys_for_context(ctx, &n);
	const char *hint;

	if (!strcmp(name, "private_key")) {
		diag_error(L->d, l,
			   "private_key is not allowed in the document: keep "
			   "the key in a file on the node and point "
			   "private_key_file at it (default %s)",
			   MESHC_DEFAULT_PRIVATE_KEY_FILE);
		return;
	}
	if (!strcmp(name, "preshared_key")) {
		diag_error(L->d, l,
			   "preshared_key is not allowed in the document: keep "
			   "the secret in a file on the nodes (meshc genpsk > "
			   "FILE, mode 0600) and point the mesh's "
			   "preshared_key_file at it");
		return;
	}
	/* A node cannot have a key of its own: a pair's key is derived
	 * from one secret that both ends (one mesh) hold. */
	if (ctx == KC_NODE && !strcmp(name, "preshared_key_file")) {
		diag_error(L->d, l,
			   "preshared_key_file belongs to the mesh, not to a "
			   "node: every pair of the mesh's nodes derives its "
			   "key from that one secret");
		return;
	}
	hint = suggest_key(L->a, name, keys, n);
	if (!hint && (hint = key_elsewhere(L, name, ctx))) {
		diag_error(L->d, l, "unknown key '%s' %s; %s", name,
			   scope_where(L, s), hint);
		return;
	}
	if (hint)
		diag_error(L->d, l, "unknown key '%s' %s; did you mean '%s'?",
			   name, scope_where(L, s), hint);
	else
		diag_error(L->d, l, "unknown key '%s' %s", name,
			   scope_where(L, s));
}

static void report_missing_key(struct loader *L, const struct key_info *k,
			       struct loc l, const struct scope *s)
{
	if (!s->kind)
		diag_error(L->d, l, "missing required key '%s' at top level",
			   k->name);
	else
		diag_error(L->d, l, "%s: missing required key '%s'",
			   scope_owner(L, s), k->name);
}

static void load_value(struct loader *L, const struct key_info *k,
		       void *base, const struct ynode *v,
		       const struct scope *s);

/* A mapping with the fixed keys of ctx, into the struct at base. */
static void load_keys(struct loader *L, const struct ynode *map,
		      enum key_context ctx, void *base, const struct scope *s)
{
	size_t n_keys, i, j;
	const struct key_info *keys = keys_for_context(ctx, &n_keys);
	/* bit j: keys[j] was given (test_load keeps contexts <= 64 keys) */
	uint64_t seen = 0;
	struct keyset ks;

	keyset_init(L, &ks, map);
	for (i = 0; i < map->c.n / 2; i++) {
		const char *name = pair_key(L, &ks, i);
		const struct key_info *k;

		if (!name)
			continue;
		k = key_find(ctx, name);
		if (!k) {
			report_unknown_key(L, name,
					   loader_loc(L, pair_key_node(map, i)),
					   ctx, s);
			continue;
		}
		j = (size_t)(k - keys);
		if (j < 64)
			seen |= UINT64_C(1) << j;
		load_value(L, k, base, map->c.kids[2 * i + 1], s);
	}
	for (j = 0; j < n_keys && j < 64; j++)
		if (keys[j].required && !(seen & (UINT64_C(1) << j)))
			report_missing_key(L, &keys[j], loader_loc(L, map), s);
}

/* A mapping of fixed keys whose struct records that it was written
 * (set, loc): flags and permissions. */
static void load_keyed(struct loader *L, const struct ynode *v,
		       enum key_context ctx, void *base, bool *set,
		       struct loc *loc, struct what w, const struct scope *s)
{
	if (!expect_collection(L, v, Y_MAP, w))
		return;
	*set = true;
	*loc = loader_loc(L, v);
	load_keys(L, v, ctx, base, s);
}

static void load_flags(struct loader *L, struct m_flags *f,
		       const struct ynode *v, struct what w,
		       const struct scope *s)
{
	load_keyed(L, v, KC_FLAGS, f, &f->set, &f->loc, w, s);
}

static void load_permissions(struct loader *L, struct m_permissions *p,
			     const struct ynode *v, struct what w,
			     const struct scope *s)
{
	load_keyed(L, v, KC_PERMISSIONS, p, &p->set, &p->loc, w, s);
}

/* permissions.peers: peer name -> flags. */
static void load_grants(struct loader *L, struct m_permissions *p,
			const struct key_info *k, const struct ynode *v,
			const struct scope *s)
{
	struct what w = { NULL, k->name };
	struct scope peer = *s;
	struct keyset ks;
	bool aliased;
	size_t i;

	if (!expect_collection(L, v, Y_MAP, w))
		return;
	p->grants_set = true;
	p->grants_loc = loader_loc(L, v);
	p->grants = arena_calloc(L->a, v->c.n / 2, sizeof(*p->grants));
	peer.path = s->path ? arena_printf(L->a, "%s.%s", s->path, k->name)
			    : k->name;
	keyset_init(L, &ks, v);
	for (i = 0; i < v->c.n / 2; i++) {
		const char *name = pair_key(L, &ks, i);
		struct m_grant *g;
		struct what gw = { "peer", name };

		if (!name)
			continue;
		g = &p->grants[p->n_grants++];
		g->peer.v = name;
		g->peer.set = true;
		g->peer.loc = loader_loc(L, pair_key_node(v, i));
		g->peer_idx = MODEL_NONE;
		peer.sub = name;
		aliased = loader_alias_enter(L, v->c.kids[2 * i + 1]);
		load_flags(L, &g->flags, v->c.kids[2 * i + 1], gw, &peer);
		loader_alias_leave(L, aliased);
	}
}

static void load_meshes(struct loader *L, const struct key_info *k,
			const struct ynode *v)
{
	struct model *m = L->m;
	struct what w = { NULL, k->name };
	struct keyset ks;
	size_t i;

	if (!expect_collection(L, v, Y_MAP, w))
		return;
	m->meshes_set = true;
	m->meshes = arena_calloc(L->a, v->c.n / 2, sizeof(*m->meshes));
	keyset_init(L, &ks, v);
	for (i = 0; i < v->c.n / 2; i++) {
		const char *name = pair_key(L, &ks, i);
		const struct ynode *body = v->c.kids[2 * i + 1];
		struct scope s = { "mesh", name, NULL, NULL };
		struct what mw = { "mesh", name };
		struct m_mesh *mesh;
		bool aliased;

		if (!name)
			continue;
		mesh = &m->meshes[m->n_meshes];
		mesh->name.v = name;
		mesh->name.loc = loader_loc(L, pair_key_node(v, i));
		mesh->name.set =
			check_name(L, name, mesh->name.loc, "mesh");
		strmap_put(&m->mesh_index, name, m->n_meshes);
		m->n_meshes++;
		aliased = loader_alias_enter(L, body);
		mesh->loc = loader_loc(L, body);
		if (expect_collection(L, body, Y_MAP, mw))
			load_keys(L, body, KC_MESH, mesh, &s);
		loader_alias_leave(L, aliased);
	}
}

static void load_nodes(struct loader *L, const struct key_info *k,
		       const struct ynode *v)
{
	struct model *m = L->m;
	struct what w = { NULL, k->name };
	struct keyset ks;
	size_t i;

	if (!expect_collection(L, v, Y_MAP, w))
		return;
	m->nodes_set = true;
	m->nodes = arena_calloc(L->a, v->c.n / 2, sizeof(*m->nodes));
	strmap_reserve(&m->node_index, v->c.n / 2);
	keyset_init(L, &ks, v);
	for (i = 0; i < v->c.n / 2; i++) {
		const char *name = pair_key(L, &ks, i);
		const struct ynode *body = v->c.kids[2 * i + 1];
		struct scope s = { "node", name, NULL, NULL };
		struct what nw = { "node", name };
		struct m_node *node;
		bool aliased;

		if (!name)
			continue;
		node = &m->nodes[m->n_nodes];
		node->name.v = name;
		node->name.loc = loader_loc(L, pair_key_node(v, i));
		node->name.set =
			check_name(L, name, node->name.loc, "node");
		node->mesh_idx = MODEL_NONE;
		node->exit_idx = MODEL_NONE;
		node->relay_idx = MODEL_NONE;
		strmap_put(&m->node_index, name, m->n_nodes);
		m->n_nodes++;
		aliased = loader_alias_enter(L, body);
		node->loc = loader_loc(L, body);
		if (expect_collection(L, body, Y_MAP, nw))
			load_keys(L, body, KC_NODE, node, &s);
		loader_alias_leave(L, aliased);
	}
}

/* One element of a link: a node name, quietly false if not usable (the
 * caller reports the link as a whole). */
static bool link_end(struct loader *L, const struct ynode *e,
		     struct m_str *out)
{
	if (e->kind != Y_SCALAR || e->bad || ynode_is_null(e) || !e->s.len ||
	    has_control_char(e))
		return false;
	out->v = e->s.text;
	out->set = true;
	out->loc = loader_loc(L, e);
	return true;
}

/* One item of links: a two-element list of node names. */
static void load_link(struct loader *L, const struct ynode *item)
{
	struct model *m = L->m;
	struct m_link *link = &m->links[m->n_links];

	if (item->bad)
		return;
	if (item->kind != Y_SEQ || item->c.n != 2 ||
	    !link_end(L, item->c.kids[0], &link->a) ||
	    !link_end(L, item->c.kids[1], &link->b)) {
		memset(link, 0, sizeof(*link));
		diag_error(L->d, loader_loc(L, item),
			   "a link is a list of two node names, like [c, b]");
		return;
	}
	link->loc = loader_loc(L, item);
	link->a_idx = MODEL_NONE;
	link->b_idx = MODEL_NONE;
	m->n_links++;
}

static void load_links(struct loader *L, const struct key_info *k,
		       const struct ynode *v)
{
	struct model *m = L->m;
	struct what w = { NULL, k->name };
	size_t i;

	if (!expect_collection(L, v, Y_SEQ, w))
		return;
	m->links_set = true;
	m->links = arena_calloc(L->a, v->c.n, sizeof(*m->links));
	for (i = 0; i < v->c.n; i++) {
		bool aliased = loader_alias_enter(L, v->c.kids[i]);

		load_link(L, v->c.kids[i]);
		loader_alias_leave(L, aliased);
	}
}

static void load_tests(struct loader *L, const struct key_info *k,
		       const struct ynode *v)
{
	struct model *m = L->m;
	struct what w = { NULL, k->name };
	struct what tw = { "test", NULL };
	struct scope s = { "test", NULL, NULL, NULL };
	size_t i;

	if (!expect_collection(L, v, Y_SEQ, w))
		return;
	m->tests_set = true;
	m->tests = arena_calloc(L->a, v->c.n, sizeof(*m->tests));
	for (i = 0; i < v->c.n; i++) {
		const struct ynode *item = v->c.kids[i];
		struct m_test *t;

		bool aliased = loader_alias_enter(L, item);

		if (expect_collection(L, item, Y_MAP, tw)) {
			t = &m->tests[m->n_tests++];
			t->loc = loader_loc(L, item);
			load_keys(L, item, KC_TEST, t, &s);
		}
		loader_alias_leave(L, aliased);
	}
}

/* local_network: true, false, or a list of {to, ports}. */
static void load_grant_lan(struct loader *L, const struct key_info *k,
			   struct m_grant_flag *g, const struct ynode *v,
			   const struct scope *s)
{
	struct what w = { NULL, k->name };
	struct what ew = { "an entry of", k->name };
	struct scope sub = *s;
	bool ok = true;

	if (v->bad || load_grant_bool(L, k, g, v))
		return;
	if (v->kind == Y_MAP) {
		diag_error(L->d, loader_loc(L, v),
			   "'%s' must be true, false or a list of {to, ports} "
			   "entries, not a mapping (write it as a list: - to: "
			   "...)",
			   k->name);
		return;
	}
	if (!expect_collection(L, v, Y_SEQ, w))
		return;
	if (!v->c.n) {
		diag_error(L->d, loader_loc(L, v),
			   "'%s' is an empty list: write false to grant "
			   "nothing, true to grant all of the lan",
			   k->name);
		return;
	}
	/* "permissions.peers.b.local_network of node 'a'" */
	if (s->sub)
		sub.sub = arena_printf(L->a, "%s.%s", s->sub, k->name);
	else if (s->path)
		sub.sub = k->name;
	else
		sub.path = k->name;
	g->lan = arena_calloc(L->a, v->c.n, sizeof(*g->lan));
	for (size_t i = 0; i < v->c.n; i++) {
		const struct ynode *item = v->c.kids[i];
		bool aliased = loader_alias_enter(L, item);
		size_t errs = L->d->errors;

		if (expect_collection(L, item, Y_MAP, ew)) {
			struct m_lan_grant *e = &g->lan[g->n_lan++];

			e->loc = loader_loc(L, item);
			load_keys(L, item, KC_LAN_GRANT, e, &sub);
		}
		if (L->d->errors != errs)
			ok = false;
		loader_alias_leave(L, aliased);
	}
	if (!ok)
		return;
	g->b.v = true;
	g->b.set = true;
	g->b.loc = loader_loc(L, v);
	g->limited = true;
}

static void load_value(struct loader *L, const struct key_info *k,
		       void *base, const struct ynode *v,
		       const struct scope *s)
{
	void *field = (char *)base + k->offset;
	struct what w = { NULL, k->name };
	struct scope sub = *s;
	bool aliased = loader_alias_enter(L, v);

	switch (k->type) {
	case KT_MESHES:
		load_meshes(L, k, v);
		break;
	case KT_NODES:
		load_nodes(L, k, v);
		break;
	case KT_LINKS:
		load_links(L, k, v);
		break;
	case KT_TESTS:
		load_tests(L, k, v);
		break;
	case KT_PERMISSIONS:
		sub.path = k->name;
		load_permissions(L, field, v, w, &sub);
		break;
	case KT_FLAGS:
		/* "defaults of mesh 'x'", "permissions.default of node 'b'" */
		if (s->path)
			sub.sub = k->name;
		else
			sub.path = k->name;
		load_flags(L, field, v, w, &sub);
		break;
	case KT_GRANTS:
		load_grants(L, base, k, v, s);
		break;
	case KT_GRANT_LAN:
		load_grant_lan(L, k, field, v, s);
		break;
	default:
		load_leaf(L, k, base, v);
		break;
	}
	loader_alias_leave(L, aliased);
}

static struct model *load_tree(struct arena *a, const struct ynode *root,
			       const struct source *src, struct diags *d)
{
	struct scope top = { NULL, NULL, NULL, NULL };
	struct loader L = { .a = a, .d = d, .file = src->name };
	struct model *m;

	if (!root)
		return NULL;
	if (root->kind != Y_MAP) {
		struct loc l = ynode_loc(root, src->name);

		/* An empty document has nothing to point at but its start. */
		if (ynode_is_null(root))
			l.line = l.col = 1;
		if (!root->bad)
			diag_error(d, l,
				   "document must be a mapping with version, "
				   "meshes and nodes");
		return NULL;
	}
	m = arena_alloc(a, sizeof(*m));
	m->file = src->name;
	m->loc = ynode_loc(root, src->name);
	strmap_init(&m->mesh_index, a);
	strmap_init(&m->node_index, a);
	L.m = m;
	load_keys(&L, root, KC_TOP, m, &top);
	return m;
}

/* The tree lives in an arena of its own, handed over to `a` once the
 * model is built: the compiler's plan reuses its memory. */
struct model *load_model(struct arena *a, const struct source *src,
			 struct diags *d)
{
	struct arena tree;
	struct model *m;

	arena_init(&tree);
	m = load_tree(a, ytree_parse(&tree, a, src, d), src, d);
	arena_recycle(a, &tree);
	return m;
}
