/* check.c - meshc check FILE: evaluate the document's tests against the
 * compiled plans, one line per test, and fail (exit 2) if any answer
 * differs from its expectation. */
#include "cmd/cmd.h"

#include <string.h>

#include "base/strbuf.h"
#include "eval/eval.h"

/* The report of --format json: schemas/meshc-check.schema.json */
#define CHECK_JSON_FORMAT "meshc-check"
#define CHECK_JSON_VERSION 1

const struct cmd_spec check_spec = {
	.name = "check",
	.options = OPT_FORMAT,
	.min_args = 1,
	.max_args = 1,
	.usage = "FILE [--format text|json]",
	.summary = "evaluate the document's tests",
	.example = "meshc check mesh.yaml",
};

struct outcome {
	const struct m_test *test;
	struct eval_result res;
	bool pass;
};

/* `b: rule 2 "never forward to a mesh address" (seed.yaml:5)` */
static const char *short_reason(struct arena *a, const struct eval_result *r)
{
	const struct fw_rule *rule = r->deciding_rule;
	const char *where = eval_where(a, r->deciding_loc);
	const char *comment = rule && rule->comment ? rule->comment
			      : rule && rule->id    ? rule->id
						    : "";
	const char *what;

	/* The rule that enforces an unmanaged peer's incoming at the
	 * sender is one for all such peers: the reason names which. */
	if (rule && rule->daddr_set == FW_SET_CLOSED)
		comment = r->reason;
	if (rule && rule->spec_rule)
		what = arena_printf(a, "rule %d \"%s\"", rule->spec_rule,
				    comment);
	else if (rule)
		what = arena_printf(a, "\"%s\"", comment);
	else
		what = r->reason;
	return arena_printf(a, "%s%s%s%s%s%s",
			    r->deciding_node ? r->deciding_node : "",
			    r->deciding_node ? ": " : "", what,
			    where ? " (" : "", where ? where : "",
			    where ? ")" : "");
}

/* "home", or "home tcp/22" for a test with a port. */
static const char *to_text(struct arena *a, const struct m_test *t)
{
	char buf[SVC_STRLEN];

	if (!t->port.set)
		return t->to.v;
	return arena_printf(a, "%s %s", t->to.v, svc_str(&t->port.v, buf));
}

static void print_text(struct arena *a, const struct outcome *out, size_t n,
		       size_t passed, const struct cmd_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	int wfrom = 0, wto = 0;
	char where[256];

	for (size_t i = 0; i < n; i++) {
		int lf = (int)strlen(out[i].test->from.v);
		int lt = (int)strlen(to_text(a, out[i].test));

		wfrom = lf > wfrom ? lf : wfrom;
		wto = lt > wto ? lt : wto;
	}
	for (size_t i = 0; i < n; i++) {
		const struct outcome *t = &out[i];
		const char *reason = short_reason(a, &t->res);

		if (t->res.partial)
			reason = arena_printf(a, "partly open: only %s "
					      "(write a port to test one "
					      "service)",
					      t->res.open);
		strbuf_printf(&sb,
			      "%s  %-*s -> %-*s  expect %-5s got %-5s  %s\n",
			      t->pass ? "PASS" : "FAIL", wfrom,
			      t->test->from.v, wto, to_text(a, t->test),
			      t->test->expect_allow ? "allow" : "deny",
			      t->res.partial ? "part"
			      : t->res.allow ? "allow" : "deny",
			      reason);
		/* where to fix it: the test, in the form editors jump to */
		if (!t->pass && loc_known(t->test->loc))
			strbuf_printf(&sb, "      %s: the failing test\n",
				      loc_str(t->test->loc, where,
					      sizeof(where)));
		if (o->verbose)
			eval_steps_text(&sb, a, &t->res, "        ");
	}
	strbuf_printf(&sb, "%zu %s, %zu passed, %zu failed\n", n,
		      plural(n, "test", "tests"), passed, n - passed);
	strbuf_write(&sb, stdout);
	strbuf_free(&sb);
}

static void json_opt_string(struct strbuf *sb, const char *s)
{
	if (s)
		strbuf_json_string(sb, s);
	else
		strbuf_puts(sb, "null");
}

static void print_json(const struct doc *doc, const struct outcome *out,
		       size_t n, size_t passed)
{
	struct strbuf sb = STRBUF_INIT;

	cmd_json_head(&sb, CHECK_JSON_FORMAT, CHECK_JSON_VERSION);
	strbuf_puts(&sb, "  \"file\": ");
	strbuf_json_string(&sb, doc->src.name ? doc->src.name : "");
	strbuf_puts(&sb, ",\n  \"tests\": [");
	for (size_t i = 0; i < n; i++) {
		const struct outcome *t = &out[i];
		const struct eval_result *r = &t->res;
		char buf[SVC_STRLEN];

		strbuf_puts(&sb, i ? ",\n    " : "\n    ");
		strbuf_puts(&sb, "{\"from\": ");
		strbuf_json_string(&sb, t->test->from.v);
		strbuf_puts(&sb, ", \"to\": ");
		strbuf_json_string(&sb, t->test->to.v);
		strbuf_puts(&sb, ", \"port\": ");
		json_opt_string(&sb, t->test->port.set
					     ? svc_str(&t->test->port.v, buf)
					     : NULL);
		strbuf_printf(&sb, ", \"expect\": \"%s\", \"got\": \"%s\", "
				   "\"pass\": %s, \"open\": ",
			      t->test->expect_allow ? "allow" : "deny",
			      r->partial ? "partial"
			      : r->allow ? "allow" : "deny",
			      t->pass ? "true" : "false");
		json_opt_string(&sb, r->partial ? r->open : NULL);
		strbuf_puts(&sb, ", \"reason\": ");
		strbuf_json_string(&sb, r->reason ? r->reason : "");
		if (r->deciding_rule && r->deciding_rule->spec_rule)
			strbuf_printf(&sb, ", \"rule\": %d",
				      r->deciding_rule->spec_rule);
		else
			strbuf_puts(&sb, ", \"rule\": null");
		strbuf_puts(&sb, ", \"node\": ");
		json_opt_string(&sb, r->deciding_node);
		if (loc_known(r->deciding_loc))
			strbuf_printf(&sb, ", \"line\": %u",
				      r->deciding_loc.line);
		else
			strbuf_puts(&sb, ", \"line\": null");
		/* the test's own place, beside the line that decided it */
		strbuf_printf(&sb, ", \"test_line\": %u, \"test_col\": %u}",
			      t->test->loc.line, t->test->loc.col);
	}
	strbuf_printf(&sb, "%s],\n  \"passed\": %zu,\n  \"failed\": %zu\n}\n",
		      n ? "\n  " : "", passed, n - passed);
	strbuf_write(&sb, stdout);
	strbuf_free(&sb);
}

/* Evaluate one test; -1 after reporting a test that cannot be evaluated
 * (the validator normally rejects those first). */
static int run_test(struct arena *a, const struct model *m,
		    struct plan_cache *cache, struct outcome *out)
{
	const struct m_test *test = out->test;
	struct eval_target target;
	const char *why;
	char where[256];
	size_t from = model_node_find(m, test->from.v);
	int rc;

	if (from == MODEL_NONE) {
		fprintf(stderr, "%s: error: test: no node named '%s'\n",
			loc_str(test->from.loc, where, sizeof(where)),
			test->from.v);
		return -1;
	}
	if (eval_target_parse(a, m, test->to.v, &target, &why)) {
		fprintf(stderr, "%s: error: test: %s\n",
			loc_str(test->to.loc, where, sizeof(where)), why);
		return -1;
	}
	if (test->port.set)
		rc = eval_reach_service(a, m, from, &target, &test->port.v,
					plan_cache_get, cache, &out->res);
	else
		rc = eval_reach(a, m, from, &target, plan_cache_get, cache,
				&out->res);
	if (rc) {
		fprintf(stderr, "%s: error: %s\n",
			loc_str(test->loc, where, sizeof(where)),
			out->res.summary ? out->res.summary : strerror(-rc));
		return -1;
	}
	/* Partly open answers neither "every service" nor "none". */
	out->pass = !out->res.partial && out->res.allow == test->expect_allow;
	return 0;
}

int cmd_check(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct doc doc;
	struct plan_cache cache;
	struct outcome *out;
	const struct model *m;
	size_t passed = 0;
	int rc = cmd_parse(argc, argv, &check_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	arena_init(&arena);
	rc = EXIT_ERROR;
	if (!doc_load(&arena, o.args[0], &o, &doc))
		goto out_free;
	m = doc.model;
	if (!m->n_tests && o.format == FORMAT_TEXT) {
		printf("no tests\n");
		rc = EXIT_OK;
		goto out_free;
	}
	plan_cache_init(&cache, &arena, m);
	out = arena_calloc(&arena, m->n_tests ? m->n_tests : 1, sizeof(*out));
	for (size_t i = 0; i < m->n_tests; i++) {
		out[i].test = &m->tests[i];
		if (run_test(&arena, m, &cache, &out[i]))
			goto out_free;
		passed += out[i].pass;
	}
	if (o.format == FORMAT_JSON)
		print_json(&doc, out, m->n_tests, passed);
	else
		print_text(&arena, out, m->n_tests, passed, &o);
	rc = passed == m->n_tests ? EXIT_OK : EXIT_DIFFERENT;
out_free:
	arena_free(&arena);
	return rc;
}
