/* target.c - what a test's `to` means as a destination address. */
#include "eval/eval.h"

#include "base/suggest.h"

#include <string.h>

/* The first address after the network address: the usual gateway or
 * host address of a lan, and inside the prefix for any length < max. */
static struct ip_addr prefix_first_host(const struct ip_prefix *p)
{
	struct ip_addr a = p->addr;

	if (p->len >= ip_bits(a.family))
		return a;
	for (int i = (int)ip_bits(a.family) / 8 - 1; i >= 0; i--)
		if (++a.b[i] != 0)
			break;
	return a;
}

static int parse_node(struct arena *a, const struct model *m, size_t idx,
		      struct eval_target *t, const char **why)
{
	const struct m_node *n = &m->nodes[idx];

	if (!n->address.set) {
		*why = arena_printf(a, "node '%s' has no IPv4 mesh address",
				    n->name.v);
		return -1;
	}
	t->kind = EVAL_TO_NODE;
	t->node_idx = idx;
	t->addr = n->address.v;
	t->loc = n->address.loc;
	return 0;
}

/* "; did you mean 'phone'?" for a word close to a node name (or to
 * "internet"), else "". */
static const char *node_hint(struct arena *a, const struct model *m,
			     const char *word, bool internet)
{
	struct suggest s;

	suggest_init(&s, a, word);
	model_suggest_nodes(m, &s);
	if (internet)
		suggest_offer(&s, "internet");
	return suggest_best(&s)
		       ? arena_printf(a, "; did you mean '%s'?",
				      suggest_best(&s))
		       : "";
}

static int parse_lan(struct arena *a, const struct model *m, const char *name,
		     struct eval_target *t, const char **why)
{
	size_t idx = model_node_find(m, name);
	const struct m_node *n;

	if (idx == MODEL_NONE) {
		*why = arena_printf(a, "lan:%s: no node named '%s'%s", name,
				    name, node_hint(a, m, name, false));
		return -1;
	}
	n = &m->nodes[idx];
	if (!n->lan.count) {
		*why = arena_printf(a, "lan:%s: node '%s' has no lan", name,
				    name);
		return -1;
	}
	t->kind = EVAL_TO_LAN;
	t->node_idx = idx;
	t->addr = prefix_first_host(&n->lan.items[0].v);
	t->loc = n->lan.items[0].loc;
	return 0;
}

int eval_target_parse(struct arena *a, const struct model *m,
		      const char *text, struct eval_target *t,
		      const char **why)
{
	const char *ip_why;
	size_t idx;

	memset(t, 0, sizeof(*t));
	t->text = text;
	t->node_idx = MODEL_NONE;
	idx = model_node_find(m, text);
	if (idx != MODEL_NONE)
		return parse_node(a, m, idx, t, why);
	if (!strcmp(text, "internet")) {
		t->kind = EVAL_TO_INTERNET;
		return ip_addr_parse(EVAL_INTERNET_PROBE, &t->addr, &ip_why);
	}
	if (!strncmp(text, "lan:", 4))
		return parse_lan(a, m, text + 4, t, why);
	if (ip_addr_parse(text, &t->addr, &ip_why) == 0) {
		t->kind = EVAL_TO_ADDR;
		return 0;
	}
	*why = arena_printf(a,
			    "'%s' is not a node, an IP address, 'internet' "
			    "or 'lan:NODE'%s",
			    text, node_hint(a, m, text, true));
	return -1;
}
