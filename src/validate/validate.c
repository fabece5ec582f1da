/* validate.c - run the validator's passes and share their helpers.
 *
 * Order matters: references are resolved first (mesh, links, grants,
 * exit_node, lans_via) so that the rules can ask model_are_peers() and
 * model_permissions(); addresses are derived before they are compared.
 */
#include "validate/validate.h"

#include <ctype.h>
#include <string.h>

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

bool v_peer_known(const struct model *m, size_t a, size_t b)
{
	return m->nodes[a].mesh_idx != MODEL_NONE &&
	       m->nodes[b].mesh_idx != MODEL_NONE;
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Levenshtein distance, case-insensitive, with rows from the caller. */
static size_t edit_distance(const char *s, size_t ls, const char *t,
			    size_t lt, size_t *prev, size_t *cur)
{
	size_t i, j;

	for (j = 0; j <= lt; j++)
		prev[j] = j;
	for (i = 1; i <= ls; i++) {
		size_t *tmp;

		cur[0] = i;
		for (j = 1; j <= lt; j++) {
			size_t cost = tolower((unsigned char)s[i - 1]) !=
				      tolower((unsigned char)t[j - 1]);

			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
				      prev[j - 1] + cost);
		}
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	return prev[lt];
}

/* A candidate is close when at most a third of the longer name differs, so
 * one-letter names (a, b, q) never suggest each other. */
static bool close_enough(size_t dist, size_t la, size_t lb)
{
	size_t longer = la > lb ? la : lb;

	return dist * 3 <= longer;
}

struct hint_search {
	const char *name;
	size_t len;
	size_t *rows;
	const char *best;
	size_t best_dist;
};

static void hint_try(struct vctx *v, struct hint_search *h, const char *cand)
{
	size_t lc, dist, diff;

	if (!cand || !v->hint_budget)
		return;
	v->hint_budget--;
	lc = strlen(cand);
	diff = lc > h->len ? lc - h->len : h->len - lc;
	/* The length difference bounds the distance from below. */
	if (diff >= h->best_dist || !close_enough(diff, lc, h->len))
		return;
	dist = edit_distance(h->name, h->len, cand, lc, h->rows,
			     h->rows + lc + 1);
	if (dist < h->best_dist && close_enough(dist, lc, h->len)) {
		h->best = cand;
		h->best_dist = dist;
	}
}

static void hint_init(struct vctx *v, struct hint_search *h, const char *name)
{
	h->name = name;
	h->len = strlen(name);
	h->best = NULL;
	h->best_dist = (size_t)-1;
	/* Two rows as long as the longest close candidate can be. */
	h->rows = arena_calloc(v->a, 2 * (2 * h->len + 2) + 2, sizeof(size_t));
}

static const char *hint_text(struct vctx *v, const struct hint_search *h)
{
	if (!h->best)
		return "";
	return arena_printf(v->a, "; did you mean '%s'?", h->best);
}

const char *v_hint_mesh(struct vctx *v, const char *name)
{
	struct hint_search h;
	size_t i;

	if (!name)
		return "";
	hint_init(v, &h, name);
	for (i = 0; i < v->m->n_meshes; i++)
		hint_try(v, &h, v->m->meshes[i].name.v);
	return hint_text(v, &h);
}

const char *v_hint_node(struct vctx *v, const char *name)
{
	struct hint_search h;
	size_t i;

	if (!name)
		return "";
	hint_init(v, &h, name);
	for (i = 0; i < v->m->n_nodes; i++)
		hint_try(v, &h, v->m->nodes[i].name.v);
	return hint_text(v, &h);
}

void validate_model(struct arena *a, struct model *m, struct diags *d)
{
	struct vctx v = { a, m, d, HINT_BUDGET };
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
	v_check_unenforced(&v);

	v_check_tests(&v);

	m->resolved = errors_before == 0 && d->errors == 0;
}
