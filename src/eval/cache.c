/* cache.c - compile each node at most once per command run.
 *
 * A document with many tests asks for the same few plans again and again;
 * compiling is the expensive part, so plans are built on first use and
 * kept in the run's arena.  Kept apart from reach.c so that users of the
 * evaluator with plans of their own (unit tests) do not pull in the
 * compiler.
 */
#include "eval/eval.h"

#include "compile/compile.h"

void plan_cache_init(struct plan_cache *c, struct arena *a,
		     const struct model *m)
{
	c->arena = a;
	c->m = m;
	c->plans = arena_calloc(a, m->n_nodes ? m->n_nodes : 1,
				sizeof(*c->plans));
}

struct plan *plan_cache_get(void *ctx, size_t node_idx)
{
	struct plan_cache *c = ctx;

	if (node_idx >= c->m->n_nodes)
		return NULL;
	if (!c->plans[node_idx])
		c->plans[node_idx] = compile_node(c->arena, c->m, node_idx);
	return c->plans[node_idx];
}
