/* graph.c - meshc graph FILE: the document as Graphviz DOT.
 *
 * One cluster per mesh with its nodes (each with its addresses, its
 * endpoint or none, what runs it: meshc or the WireGuard app, drawn
 * dashed); dashed undirected edges for links; bold black edges for what a
 * node uses (its exit_node, its lans_via); blue edges with an open arrow
 * "granter -> peer" for per-peer grants that differ from the built-in
 * defaults; dotted grey edges "node -> relay" for a node whose pairs go
 * through its relay (every two nodes with such an edge to one relay are
 * a relayed pair when they are peers: one edge per node, not per pair).
 * A legend says which is which.  Node-wide and mesh-wide
 * defaults that differ are shown in the node's and the mesh's label
 * instead of one edge per peer, so the output stays linear in the size of
 * the document.  Everything is emitted in document order, every
 * identifier quoted.
 */
#include "cmd/cmd.h"

#include "base/strbuf.h"

const struct cmd_spec graph_spec = {
	.name = "graph",
	.options = 0,
	.min_args = 1,
	.max_args = 1,
	.usage = "FILE",
	.summary = "Graphviz DOT of meshes, links and grants",
	.example = "meshc graph mesh.yaml | dot -Tpng > mesh.png",
};

/* A DOT quoted string: only the quote and the backslash need escaping. */
static void dot_quote(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_putc(sb, '\\');
		strbuf_putc(sb, *s);
	}
	strbuf_putc(sb, '"');
}

/* Label text is built with "\n" (DOT's centred line break) between lines;
 * the pieces themselves are names and addresses, escaped by dot_quote
 * except for the line breaks, so they are assembled here. */
static void label_line(struct strbuf *label, const char *text)
{
	if (label->len)
		strbuf_puts(label, "\n");
	strbuf_puts(label, text);
}

static void put_label(struct strbuf *sb, const struct strbuf *label)
{
	const char *s = strbuf_str(label);

	strbuf_puts(sb, "label=\"");
	for (; *s; s++) {
		if (*s == '\n')
			strbuf_puts(sb, "\\n");
		else if (*s == '"' || *s == '\\')
			strbuf_printf(sb, "\\%c", *s);
		else
			strbuf_putc(sb, *s);
	}
	strbuf_putc(sb, '"');
}

/* Flags that differ from the built-in incoming/!routing/!local_network. */
static void flag_words(struct strbuf *out, bool incoming, bool routing,
		       bool local_network)
{
	const char *sep = "";

	if (!incoming) {
		strbuf_puts(out, "no incoming");
		sep = ", ";
	}
	if (routing) {
		strbuf_printf(out, "%srouting", sep);
		sep = ", ";
	}
	if (local_network)
		strbuf_printf(out, "%slocal_network", sep);
}

/* Explicitly written defaults (mesh `defaults`, node `permissions.default`)
 * that differ from the built-in ones; unset flags are the built-in. */
static void defaults_words(struct strbuf *out, const struct m_flags *f)
{
	flag_words(out, !f->incoming.b.set || f->incoming.b.v,
		   f->routing.set && f->routing.v,
		   f->local_network.b.set && f->local_network.b.v);
}

static void emit_node(struct strbuf *sb, const struct model *m, size_t idx)
{
	const struct m_node *n = &m->nodes[idx];
	struct strbuf label = STRBUF_INIT, words = STRBUF_INIT;
	char buf[IP_STRLEN];

	label_line(&label, n->name.v);
	if (n->address.set)
		label_line(&label, ip_addr_str(&n->address.v, buf));
	if (n->address6.set)
		label_line(&label, ip_addr_str(&n->address6.v, buf));
	label_line(&label, n->endpoint.set && n->endpoint.text
				   ? n->endpoint.text
				   : "no endpoint");
	if (!model_node_managed(n)) {
		label_line(&label, platform_name(model_node_platform(n)));
		strbuf_puts(&label, ", WireGuard app");
	} else if (model_node_platform(n) != PLATFORM_LINUX) {
		label_line(&label, platform_name(model_node_platform(n)));
		strbuf_puts(&label, ", managed");
	}
	for (size_t i = 0; i < n->lan.count; i++) {
		strbuf_puts(&label, i ? ", " : "\nlan ");
		strbuf_puts(&label, ip_prefix_str(&n->lan.items[i].v, buf));
	}
	if (n->permissions.def.set)
		defaults_words(&words, &n->permissions.def);
	if (words.len) {
		label_line(&label, "grants all: ");
		strbuf_puts(&label, strbuf_str(&words));
	}
	strbuf_puts(sb, "\t\t");
	dot_quote(sb, n->name.v);
	strbuf_puts(sb, " [");
	put_label(sb, &label);
	strbuf_puts(sb, model_node_managed(n) ? "];\n" : ", style=dashed];\n");
	strbuf_free(&label);
	strbuf_free(&words);
}

static void emit_mesh(struct strbuf *sb, const struct model *m, size_t idx)
{
	const struct m_mesh *mesh = &m->meshes[idx];
	struct strbuf label = STRBUF_INIT, words = STRBUF_INIT;
	struct strbuf id = STRBUF_INIT;
	char buf[IP_STRLEN];

	label_line(&label, mesh->name.v);
	if (mesh->network.set)
		label_line(&label, ip_prefix_str(&mesh->network.v, buf));
	if (mesh->network6.set)
		label_line(&label, ip_prefix_str(&mesh->network6.v, buf));
	if (mesh->defaults.set)
		defaults_words(&words, &mesh->defaults);
	if (words.len) {
		label_line(&label, "defaults: ");
		strbuf_puts(&label, strbuf_str(&words));
	}
	strbuf_printf(&id, "cluster_%s", mesh->name.v);
	strbuf_puts(sb, "\tsubgraph ");
	dot_quote(sb, strbuf_str(&id));
	strbuf_puts(sb, " {\n\t\t");
	put_label(sb, &label);
	strbuf_puts(sb, ";\n\t\tstyle=rounded;\n");
	for (size_t i = 0; i < mesh->n_members; i++)
		emit_node(sb, m, mesh->members[i]);
	strbuf_puts(sb, "\t}\n");
	strbuf_free(&label);
	strbuf_free(&words);
	strbuf_free(&id);
}

static void emit_edge(struct strbuf *sb, const char *from, const char *to,
		      const char *label, const char *attrs)
{
	strbuf_putc(sb, '\t');
	dot_quote(sb, from);
	strbuf_puts(sb, " -> ");
	dot_quote(sb, to);
	strbuf_puts(sb, " [");
	if (label) {
		strbuf_puts(sb, "label=");
		dot_quote(sb, label);
		strbuf_puts(sb, attrs ? ", " : "");
	}
	strbuf_printf(sb, "%s];\n", attrs ? attrs : "");
}

#define GRANT_EDGE "color=blue, fontcolor=blue, arrowhead=empty"
#define USES_EDGE "style=bold"
#define LINK_EDGE "dir=none, style=dashed"
#define RELAY_EDGE "style=dotted, color=gray40, fontcolor=gray40"

/* "b" -> "c" [label="routing"]: b grants c routing. */
static void emit_grants(struct strbuf *sb, const struct model *m, size_t idx)
{
	const struct m_node *n = &m->nodes[idx];

	for (size_t i = 0; i < n->permissions.n_grants; i++) {
		size_t peer = n->permissions.grants[i].peer_idx;
		struct strbuf words = STRBUF_INIT;
		struct perm_set ps;

		if (peer == MODEL_NONE)
			continue;
		ps = model_permissions(m, idx, peer);
		flag_words(&words, ps.incoming.v, ps.routing.v,
			   ps.local_network.v);
		if (words.len)
			emit_edge(sb, n->name.v, m->nodes[peer].name.v,
				  strbuf_str(&words), GRANT_EDGE);
		strbuf_free(&words);
	}
}

/* Does the node reach some peer through its relay? */
static bool is_relayed(const struct model *m, size_t idx)
{
	const struct m_node *r;

	if (m->nodes[idx].relay_idx == MODEL_NONE)
		return false;
	r = &m->nodes[m->nodes[idx].relay_idx];
	for (size_t i = 0; i < r->n_relay_users; i++)
		if (model_relayed(m, idx, r->relay_users[i]))
			return true;
	return false;
}

static void emit_uses(struct strbuf *sb, const struct model *m, size_t idx)
{
	const struct m_node *n = &m->nodes[idx];

	if (is_relayed(m, idx))
		emit_edge(sb, n->name.v, m->nodes[n->relay_idx].name.v,
			  "relayed", RELAY_EDGE);
	if (n->exit_idx != MODEL_NONE)
		emit_edge(sb, n->name.v, m->nodes[n->exit_idx].name.v,
			  "exit node", USES_EDGE);
	for (size_t i = 0; i < n->lans_via.count; i++)
		if (n->lans_via.idx[i] != MODEL_NONE)
			emit_edge(sb, n->name.v,
				  m->nodes[n->lans_via.idx[i]].name.v,
				  "lans_via", USES_EDGE);
}

/* What the line styles mean, beside the meshes. */
static void emit_legend(struct strbuf *sb)
{
	strbuf_puts(sb, "\tsubgraph \"cluster_legend\" {\n"
			"\t\tlabel=\"legend\";\n"
			"\t\tstyle=dotted;\n"
			"\t\tnode [shape=point, width=0.05, label=\"\"];\n"
			"\t\t\"legend uses\" -> \"legend uses'\" [label=\"uses "
			"(exit node, lans_via)\", " USES_EDGE "];\n"
			"\t\t\"legend grants\" -> \"legend grants'\" "
			"[label=\"grants (where not the default)\", "
			GRANT_EDGE "];\n"
			"\t\t\"legend link\" -> \"legend link'\" [label=\"link "
			"between meshes\", " LINK_EDGE "];\n"
			"\t\t\"legend relay\" -> \"legend relay'\" [label=\"its "
			"pairs go through this relay\", " RELAY_EDGE "];\n"
			"\t\t\"legend app\" [shape=box, width=0.75, "
			"style=dashed, label=\"WireGuard app\\n(not managed)\"];\n"
			"\t}\n");
}

static void emit_graph(struct strbuf *sb, const struct model *m)
{
	strbuf_puts(sb, "digraph meshc {\n"
			"\tgraph [rankdir=LR, nodesep=0.4, ranksep=1.2];\n"
			"\tnode [shape=box];\n");
	emit_legend(sb);
	for (size_t i = 0; i < m->n_meshes; i++)
		emit_mesh(sb, m, i);
	for (size_t i = 0; i < m->n_links; i++) {
		const struct m_link *l = &m->links[i];

		if (l->a_idx != MODEL_NONE && l->b_idx != MODEL_NONE)
			emit_edge(sb, m->nodes[l->a_idx].name.v,
				  m->nodes[l->b_idx].name.v, NULL, LINK_EDGE);
	}
	for (size_t i = 0; i < m->n_nodes; i++) {
		emit_uses(sb, m, i);
		emit_grants(sb, m, i);
	}
	strbuf_puts(sb, "}\n");
}

int cmd_graph(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct strbuf out = STRBUF_INIT;
	struct doc doc;
	int rc = cmd_parse(argc, argv, &graph_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	arena_init(&arena);
	rc = EXIT_ERROR;
	if (!doc_load(&arena, o.args[0], &o, &doc))
		goto out_free;
	emit_graph(&out, doc.model);
	if (strbuf_write(&out, stdout) == 0)
		rc = EXIT_OK;
out_free:
	strbuf_free(&out);
	arena_free(&arena);
	return rc;
}
