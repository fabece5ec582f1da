/* validate.c - run the validator's passes and share their helpers.
 *
 * Order matters: references are resolved first (mesh, links, grants,
 * exit_node, lans_via) so that the rules can ask model_are_peers() and
 * model_permissions(); addresses are derived before they are compared.
 */
#include "validate/validate.h"

#include <string.h>

#include "base/suggest.h"
#include "validate/internal.h"

/* Enough for every hint in a document with a handful of typos, even among
 * 50,000 names; after that, errors come without hints. */
#define HINT_BUDGET 2000000

const char *v_node_name(const struct model *m, size_t idx)
{
	if (idx >= m->n_nodes || !m->nodes[idx].name.v)
		return "?";
	return m->nodes[idx].name.v;
}

const char *v_mesh_name(const struct model *m, size_t idx)
{
	if (idx >= m->n_meshes || !m->meshes[idx].name.v)
		return "?";
	return m->meshes[idx].name.v;
}

bool v_peer_known(const struct vctx *v, size_t a, size_t b)
{
	const struct model *m = v->m;

	return m->nodes[a].mesh_idx != MODEL_NONE &&
	       m->nodes[b].mesh_idx != MODEL_NONE && !v->all_unsure &&
	       !(v->unsure && (v->unsure[a] || v->unsure[b]));
}

bool v_lan_broken(const struct m_node *n)
{
	return !n->lan.set && loc_known(n->lan.loc);
}

/* Each offered name costs one unit of the budget. */
static void hint_try(struct vctx *v, struct suggest *h, const char *cand)
{
	if (!cand || !v->hint_budget)
		return;
	v->hint_budget--;
	suggest_offer(h, cand);
}

static const char *hint_text(struct vctx *v, const struct suggest *h)
{
	if (!suggest_best(h))
		return "";
	return arena_printf(v->a, "; did you mean '%s'?", suggest_best(h));
}

const char *v_hint_mesh(struct vctx *v, const char *name)
{
	struct suggest h;
	size_t i;

	if (!name)
		return "";
	suggest_init(&h, v->a, name);
	for (i = 0; i < v->m->n_meshes; i++)
		hint_try(v, &h, v->m->meshes[i].name.v);
	return hint_text(v, &h);
}

const char *v_hint_node(struct vctx *v, const char *name)
{
	struct suggest h;
	size_t i;

	if (!name)
		return "";
	suggest_init(&h, v->a, name);
	for (i = 0; i < v->m->n_nodes; i++)
		hint_try(v, &h, v->m->nodes[i].name.v);
	return hint_text(v, &h);
}

void validate_model(struct arena *a, struct model *m, struct diags *d)
{
	struct vctx v = { .a = a, .m = m, .d = d, .hint_budget = HINT_BUDGET };
	size_t errors_before = d->errors;

	v_resolve_meshes(&v);
	v_resolve_links(&v);
	v_resolve_grants(&v);
	v_resolve_refs(&v);

	v_check_networks(&v);
	v_check_lans(&v);
	v_check_addresses(&v);
	v_check_keys(&v);

	v_check_exit_nodes(&v);
	v_check_lans_via(&v);
	v_check_platforms(&v);
	v_check_uplinks(&v);
	v_check_endpoints(&v);
	v_check_relays(&v);
	v_check_unenforced(&v);
	v_check_grants(&v);

	v_check_tests(&v);

	m->resolved = errors_before == 0 && d->errors == 0;
}
