/* document - fuzz the whole pure pipeline on one mesh document:
 * load_model -> validate_model -> compile_node and every renderer for each
 * node -> the check evaluation of the document's tests and one explain per
 * node pair.  One arena per input, so a leak of the pipeline shows up as a
 * LeakSanitizer report rather than hiding in the arena.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/strbuf.h"
#include "compile/compile.h"
#include "eval/eval.h"
#include "load/load.h"
#include "render/render.h"
#include "validate/validate.h"

/* Bound the work per input: a document may name thousands of nodes, and
 * rendering all of them says nothing new about the code. */
#define FUZZ_MAX_NODES 16
#define FUZZ_MAX_TESTS 32
#define FUZZ_MAX_EXPLAIN 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(struct strbuf *sb, const struct plan *p)
{
	render_plan_text(sb, p);
	strbuf_reset(sb);
	render_json(sb, p);
	strbuf_reset(sb);
	render_nft(sb, p);
	strbuf_reset(sb);
	render_pf(sb, p);
	strbuf_reset(sb);
	render_wg(sb, p, NULL, NULL);
	strbuf_reset(sb);
	render_wg(sb, p, "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=", NULL);
	strbuf_reset(sb);
	render_routes(sb, p);
	strbuf_reset(sb);
	render_sysctl(sb, p);
	strbuf_reset(sb);
}

static void eval_one(struct arena *a, const struct model *m,
		     struct plan_cache *cache, struct strbuf *sb, size_t from,
		     const char *to)
{
	struct eval_target target;
	struct eval_result res = { 0 };
	const char *why;

	if (from == MODEL_NONE || !to)
		return;
	if (eval_target_parse(a, m, to, &target, &why))
		return;
	if (eval_reach(a, m, from, &target, plan_cache_get, cache, &res))
		return;
	eval_where(a, res.deciding_loc);
	eval_steps_text(sb, a, &res, "  ");
	strbuf_reset(sb);
}

static void evaluate(struct arena *a, const struct model *m,
		     struct strbuf *sb)
{
	struct plan_cache cache;
	size_t n_nodes = m->n_nodes < FUZZ_MAX_EXPLAIN ? m->n_nodes :
		FUZZ_MAX_EXPLAIN;

	plan_cache_init(&cache, a, m);
	for (size_t i = 0; i < m->n_tests && i < FUZZ_MAX_TESTS; i++) {
		const struct m_test *t = &m->tests[i];

		if (t->from.v)
			eval_one(a, m, &cache, sb,
				 model_node_find(m, t->from.v), t->to.v);
	}
	for (size_t i = 0; i < n_nodes; i++) {
		for (size_t j = 0; j < n_nodes; j++)
			eval_one(a, m, &cache, sb, i, m->nodes[j].name.v);
		eval_one(a, m, &cache, sb, i, "internet");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct arena a;
	struct diags d;
	struct source src;
	struct model *m;
	struct strbuf sb = STRBUF_INIT;
	char *text;

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	/* Key material lives in sodium_malloc memory: meshc calls
	 * sodium_init() first (idempotent and cheap once done). */
	if (sodium_init() < 0)
		abort();
	arena_init(&a);
	diags_init(&d, &a);
	/* The loader gets exactly the bytes (no terminator beyond them in
	 * the fuzzer's buffer), as load_read_source would hand them over. */
	text = arena_alloc(&a, size + 1);
	for (size_t i = 0; i < size; i++)
		text[i] = (char)data[i];
	src.name = "fuzz.yaml";
	src.text = text;
	src.len = size;
	m = load_model(&a, &src, &d);
	if (!m)
		goto out;
	validate_model(&a, m, &d);
	if (m->resolved && !d.errors) {
		size_t n = m->n_nodes < FUZZ_MAX_NODES ? m->n_nodes :
			FUZZ_MAX_NODES;

		for (size_t i = 0; i < n; i++) {
			struct plan *p = compile_node(&a, m, i);

			if (p)
				render_all(&sb, p);
		}
		evaluate(&a, m, &sb);
	}
out:
	diags_sort(&d);
	if (devnull) {
		struct diag_style style = { .show_source = true };

		diags_print(&d, devnull, &src, 1, &style);
	}
	strbuf_free(&sb);
	arena_free(&a);
	return 0;
}
