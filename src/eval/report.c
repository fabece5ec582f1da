/* report.c - an evaluation's steps as text, shared by check -v and
 * explain so that both print the same lines. */
#include "eval/eval.h"

void eval_steps_text(struct strbuf *sb, struct arena *a,
		     const struct eval_result *r, const char *indent)
{
	for (size_t i = 0; i < r->n_steps; i++) {
		const char *where = eval_where(a, r->steps[i].loc);

		strbuf_printf(sb, "%s%s%s%s%s\n", indent, r->steps[i].text,
			      where ? " (" : "", where ? where : "",
			      where ? ")" : "");
	}
}
