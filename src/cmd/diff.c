/* diff.c - meshc diff OLD NEW [--node N]: what changes on every node
 * between two documents (CI mode), exit 2 when anything does.
 *
 * Each node is compiled from each document it is in and the two plans go
 * through the same engine that apply uses.  One scratch arena per node
 * holds both plans and the change set and is freed once the node is
 * printed, so a 1,000-node mesh needs the memory of one node pair, not
 * of 2,000 plans.
 *
 * The cost follows the change: the two models are compared first
 * (delta/delta.h), a node the change cannot touch is not compiled, and a
 * node where only some peers' parts can differ is compiled with those
 * peers only.  MESHC_DIFF_FULL=1 in the environment compiles every node
 * in full, the reference the tests hold the shortcut to.
 *
 * meshc diff FILE (the live system against FILE) is apply's dry run:
 * cmd_diff_live in cmd/apply.c.
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "compile/compile.h"
#include "delta/delta.h"
#include "diff/diff.h"

const struct cmd_spec diff_spec = {
	.name = "diff",
	.options = OPT_FORMAT | OPT_NODE,
	.min_args = 1,
	.max_args = 2,
	.usage = "OLD NEW [--node N] [--format text|json]\n"
		 "       meshc diff FILE [--node N]",
	.summary = "compare two documents per node, or this node with a document",
	.example = "meshc diff old.yaml new.yaml      # review a change (CI)\n"
		   "meshc diff mesh.yaml              # this node against the document",
};

/* A node name and its index in each document (MODEL_NONE: absent). */
struct node_pair {
	const char *name;
	size_t old_idx, new_idx;
};

struct diff_run {
	const struct cmd_opts *o;
	const struct model *old, *new;
	const struct delta *delta;
	struct strbuf out;
	bool color;
	size_t changed, total;
};

/* A document's nodes as (name, index), sorted by name. */
struct named_node {
	const char *name;
	size_t idx;
};

static int cmp_named_node(const void *pa, const void *pb)
{
	const struct named_node *a = pa, *b = pb;

	return strcmp(a->name, b->name);
}

static struct named_node *nodes_by_name(struct arena *a,
					const struct model *m)
{
	struct named_node *v = arena_calloc(a, m->n_nodes ? m->n_nodes : 1,
					    sizeof(*v));

	for (size_t i = 0; i < m->n_nodes; i++) {
		v[i].name = m->nodes[i].name.v;
		v[i].idx = i;
	}
	qsort(v, m->n_nodes, sizeof(*v), cmp_named_node);
	return v;
}

/* Every node of OLD and NEW once, sorted by name: a merge of the two
 * sorted name lists. */
static struct node_pair *all_nodes(struct arena *a, const struct model *old,
				   const struct model *new, size_t *count)
{
	struct named_node *o = nodes_by_name(a, old);
	struct named_node *n = nodes_by_name(a, new);
	struct node_pair *v;
	size_t i = 0, j = 0, k = 0;

	v = arena_calloc(a, old->n_nodes + new->n_nodes + 1, sizeof(*v));
	while (i < old->n_nodes || j < new->n_nodes) {
		int d = i == old->n_nodes   ? 1
			: j == new->n_nodes ? -1
					    : strcmp(o[i].name, n[j].name);

		v[k].old_idx = v[k].new_idx = MODEL_NONE;
		if (d <= 0) {
			v[k].name = o[i].name;
			v[k].old_idx = o[i++].idx;
		}
		if (d >= 0) {
			v[k].name = n[j].name;
			v[k].new_idx = n[j++].idx;
		}
		k++;
	}
	*count = k;
	return v;
}

/* A new key renumbers a node whose address is derived from it: every
 * peer's allowed IPs and firewall sets change with it, which a reviewer
 * should hear in one line, with the cure. */
static void warn_renumbered(const struct diff_run *r, const struct node_pair *np)
{
	const struct m_node *o, *n;
	const struct m_addr *pairs[2][2];
	char where[256], a[IP_STRLEN], b[IP_STRLEN];

	if (np->old_idx == MODEL_NONE || np->new_idx == MODEL_NONE ||
	    r->o->quiet)
		return;
	o = &r->old->nodes[np->old_idx];
	n = &r->new->nodes[np->new_idx];
	if (!memcmp(o->public_key.v, n->public_key.v, sizeof(o->public_key.v)))
		return;
	pairs[0][0] = &o->address, pairs[0][1] = &n->address;
	pairs[1][0] = &o->address6, pairs[1][1] = &n->address6;
	for (int f = 0; f < 2; f++) {
		const struct m_addr *x = pairs[f][0], *y = pairs[f][1];

		if (!x->set || !y->set || !y->derived ||
		    ip_addr_eq(&x->v, &y->v))
			continue;
		fprintf(stderr,
			"%s: warning: node '%s': its %s is derived from its "
			"key, so the new key renumbers it (%s -> %s); pin it "
			"with %s: to keep it\n",
			loc_str(n->public_key.loc, where, sizeof(where)),
			np->name, f ? "address6" : "address",
			ip_addr_str(&x->v, a), ip_addr_str(&y->v, b),
			f ? "address6" : "address");
	}
}

/* The node's two plans, as much of them as the change can touch. */
static void compile_pair(struct diff_run *r, struct arena *a,
			 const struct node_pair *np, struct node_diff *nd)
{
	struct delta_peers dp;

	switch (delta_node(r->delta, a, np->old_idx, np->new_idx, &dp)) {
	case DELTA_SAME:
		break;
	case DELTA_PEERS:
		nd->old = compile_node_peers(a, r->old, np->old_idx,
					     dp.old_idx, dp.n_old);
		nd->new = compile_node_peers(a, r->new, np->new_idx,
					     dp.new_idx, dp.n_new);
		break;
	case DELTA_FULL:
		if (np->old_idx != MODEL_NONE)
			nd->old = compile_node(a, r->old, np->old_idx);
		if (np->new_idx != MODEL_NONE)
			nd->new = compile_node(a, r->new, np->new_idx);
		break;
	}
}

/* Compile one node from each side, diff, print; nothing of it is kept. */
static int diff_node(struct diff_run *r, const struct node_pair *np)
{
	struct arena scratch;
	struct changeset cs = { 0 };
	struct node_diff nd = { .node = np->name, .changes = &cs };
	int rc = 0;

	arena_init(&scratch);
	compile_pair(r, &scratch, np, &nd);
	if (nd.old || nd.new)
		diff_plans(&scratch, nd.old, nd.new, &cs);
	warn_renumbered(r, np);
	r->total++;
	if (!changeset_empty(&cs)) {
		if (r->o->format == FORMAT_JSON)
			diff_render_json_node(&r->out, &nd, r->changed == 0);
		else	/* -q hides warnings, never what changes */
			diff_render_text(&r->out, &nd, r->color);
		r->changed++;
		rc = strbuf_write(&r->out, stdout);
		strbuf_reset(&r->out);
	}
	arena_free(&scratch);
	return rc;
}

static int diff_documents(struct diff_run *r, const struct node_pair *nodes,
			  size_t n)
{
	int rc = 0;

	if (r->o->format == FORMAT_JSON)
		diff_render_json_open(&r->out);
	for (size_t i = 0; i < n && !rc; i++)
		rc = diff_node(r, &nodes[i]);
	if (rc)
		return rc;
	if (r->o->format == FORMAT_JSON)
		diff_render_json_close(&r->out, r->changed, r->total);
	else
		diff_render_text_summary(&r->out, r->changed, r->total);
	return strbuf_write(&r->out, stdout);
}

/* --node N: the one pair, or an error when neither document has N. */
static bool one_node(const struct diff_run *r, const char *name,
		     struct node_pair *np)
{
	np->name = name;
	np->old_idx = model_node_find(r->old, name);
	np->new_idx = model_node_find(r->new, name);
	if (np->old_idx != MODEL_NONE || np->new_idx != MODEL_NONE)
		return true;
	fprintf(stderr, "meshc diff: no node named '%s' in %s or %s\n", name,
		r->old->file, r->new->file);
	return false;
}

/* MESHC_DIFF_FULL=1: every node in full (for the tests, meshc(8)). */
static bool full_diff_asked(void)
{
	const char *v = getenv("MESHC_DIFF_FULL");

	return v && !strcmp(v, "1");
}

int cmd_diff(int argc, char **argv)
{
	struct cmd_opts o, old_opts;
	struct arena arena;
	struct doc old_doc, new_doc;
	struct diff_run r = { .o = &o, .out = STRBUF_INIT };
	struct node_pair one, *nodes;
	size_t n;
	bool ok;
	int rc = cmd_parse(argc, argv, &diff_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	if (o.n_args == 1)
		return cmd_diff_live(&o);
	arena_init(&arena);
	rc = EXIT_ERROR;
	/* Both documents, so every error of both comes out at once; the
	 * warnings are NEW's only: OLD's are what was, and where the two
	 * share one, it would be said twice. */
	old_opts = o;
	old_opts.quiet = 1;
	ok = doc_load(&arena, o.args[0], &old_opts, &old_doc);
	ok = doc_load(&arena, o.args[1], &o, &new_doc) && ok;
	if (!ok)
		goto out_free;
	r.old = old_doc.model;
	r.new = new_doc.model;
	r.delta = delta_new(&arena, r.old, r.new, full_diff_asked());
	r.color = cmd_use_color(&o, stdout);
	if (o.node) {
		if (!one_node(&r, o.node, &one))
			goto out_free;
		nodes = &one;
		n = 1;
	} else {
		nodes = all_nodes(&arena, r.old, r.new, &n);
	}
	if (diff_documents(&r, nodes, n))
		goto out_free;
	rc = r.changed ? EXIT_DIFFERENT : EXIT_OK;
out_free:
	strbuf_free(&r.out);
	arena_free(&arena);
	return rc;
}
