/* overlap.c - find overlapping prefixes without comparing all pairs.
 *
 * Two CIDR prefixes overlap only when one covers the other.  Sorted by
 * (address, length), every prefix comes after all prefixes that cover it,
 * and the prefixes covering the current one form a chain at most 129 long
 * (one per prefix length).  A sweep that keeps that chain as a stack sees
 * every covering pair.
 */
#include "validate/internal.h"

#include <stdlib.h>

/* The deepest chain of distinct nested prefixes: lengths 0..128. */
#define NEST_MAX 129

struct nest {
	const struct v_span *rep;	/* first span with this prefix */
	const struct v_span *alt;	/* first of another group, or NULL */
};

static int span_cmp(const void *pa, const void *pb)
{
	const struct v_span *a = pa, *b = pb;
	int c = ip_prefix_cmp(&a->p, &b->p);

	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static bool prefix_eq(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->len == b->len && ip_addr_eq(&a->addr, &b->addr);
}

/* Compare e with the spans of one stack entry. */
static void report(struct vctx *v, const struct v_span *e,
		   const struct nest *s, v_overlap_fn fn, void *arg)
{
	const struct v_span *other = s->rep;

	if (other->group == e->group)
		other = s->alt;
	if (!other)
		return;
	if (other->order <= e->order)
		fn(v, e, other, arg);
	else
		fn(v, other, e, arg);
}

void v_find_overlaps(struct vctx *v, struct v_span *spans, size_t n,
		     v_overlap_fn fn, void *arg)
{
	struct nest *stack;
	size_t depth = 0, i, j;

	if (n < 2)
		return;
	qsort(spans, n, sizeof(*spans), span_cmp);
	stack = arena_calloc(v->a, NEST_MAX, sizeof(*stack));
	for (i = 0; i < n; i++) {
		const struct v_span *e = &spans[i];

		while (depth &&
		       !ip_prefix_covers(&stack[depth - 1].rep->p, &e->p))
			depth--;
		for (j = 0; j < depth; j++)
			report(v, e, &stack[j], fn, arg);
		if (depth && prefix_eq(&stack[depth - 1].rep->p, &e->p)) {
			struct nest *top = &stack[depth - 1];

			if (!top->alt && e->group != top->rep->group)
				top->alt = e;
			continue;
		}
		/* Distinct nested prefixes of one family: at most NEST_MAX. */
		if (depth == NEST_MAX)
			continue;
		stack[depth].rep = e;
		stack[depth].alt = NULL;
		depth++;
	}
}
