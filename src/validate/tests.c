/* tests.c - the references of the document's `tests`.
 *
 * `from` names a node; `to` names a node, an IP address, `internet`, or
 * `lan:NODE` where NODE has a lan.  `expect` was checked by the loader.
 * A node name wins over the other forms (a node may be called internet).
 */
#include "validate/internal.h"

#include <string.h>

#define LAN_PREFIX "lan:"

static void unknown(struct vctx *v, struct loc loc, const char *name)
{
	diag_error(v->d, loc, "unknown node '%s' in test%s", name,
		   v_hint_node(v, name));
}

static void check_to(struct vctx *v, const struct m_str *to)
{
	const char *why;
	struct ip_addr ip;
	size_t idx;

	if (model_node_find(v->m, to->v) != MODEL_NONE ||
	    !strcmp(to->v, "internet") || !ip_addr_parse(to->v, &ip, &why))
		return;
	if (strncmp(to->v, LAN_PREFIX, strlen(LAN_PREFIX))) {
		unknown(v, to->loc, to->v);
		return;
	}
	idx = model_node_find(v->m, to->v + strlen(LAN_PREFIX));
	if (idx == MODEL_NONE) {
		unknown(v, to->loc, to->v + strlen(LAN_PREFIX));
		return;
	}
	if ((!v->m->nodes[idx].lan.items || !v->m->nodes[idx].lan.count) &&
	    !v_lan_broken(&v->m->nodes[idx]))
		diag_error(v->d, to->loc, "node '%s' has no lan for %s",
			   v_node_name(v->m, idx), to->v);
}

void v_check_tests(struct vctx *v)
{
	size_t i;

	for (i = 0; v->m->tests && i < v->m->n_tests; i++) {
		const struct m_test *t = &v->m->tests[i];

		if (t->from.set && t->from.v &&
		    model_node_find(v->m, t->from.v) == MODEL_NONE)
			unknown(v, t->from.loc, t->from.v);
		if (t->to.set && t->to.v)
			check_to(v, &t->to);
	}
}
