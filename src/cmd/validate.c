/* validate.c - meshc validate FILE: every diagnostic of a document. */
#include "cmd/cmd.h"

#include <stdio.h>

#include "base/strbuf.h"

/* The report of --format json: schemas/meshc-validate.schema.json */
#define VALIDATE_JSON_FORMAT "meshc-validate"
#define VALIDATE_JSON_VERSION 1

const struct cmd_spec validate_spec = {
	.name = "validate",
	.options = OPT_FORMAT,
	.min_args = 1,
	.max_args = 1,
	.usage = "FILE",
	.summary = "check a document; print all diagnostics",
	.example = "meshc validate mesh.yaml\n"
		   "meshc validate --format json mesh.yaml | jq .errors",
};

static void print_json_report(const struct doc *doc, bool valid)
{
	static const char *const levels[] = { "error", "warning", "note" };
	struct strbuf out = STRBUF_INIT;

	cmd_json_head(&out, VALIDATE_JSON_FORMAT, VALIDATE_JSON_VERSION);
	strbuf_puts(&out, "  \"file\": ");
	strbuf_json_string(&out, doc->src.name ? doc->src.name : "");
	strbuf_printf(&out, ",\n  \"valid\": %s,\n  \"errors\": %zu,\n"
			    "  \"warnings\": %zu,\n  \"diagnostics\": [",
		      valid ? "true" : "false", doc->diags.errors,
		      doc->diags.warnings);
	for (size_t i = 0; i < doc->diags.count; i++) {
		const struct diag *g = &doc->diags.items[i];

		strbuf_puts(&out, i ? ",\n    " : "\n    ");
		strbuf_printf(&out, "{\"level\": \"%s\", \"line\": %u, "
				    "\"col\": %u, \"message\": ",
			      levels[g->level], g->loc.line, g->loc.col);
		strbuf_json_string(&out, g->msg);
		strbuf_putc(&out, '}');
	}
	strbuf_puts(&out, doc->diags.count ? "\n  ]\n}\n" : "]\n}\n");
	strbuf_write(&out, stdout);
	strbuf_free(&out);
}

int cmd_validate(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct doc doc;
	bool valid;
	int rc = cmd_parse(argc, argv, &validate_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	arena_init(&arena);
	valid = doc_load(&arena, o.args[0], &o, &doc);
	if (o.format == FORMAT_JSON) {
		print_json_report(&doc, valid);
	} else if (valid && !o.quiet) {
		const struct model *m = doc.model;

		printf("%s: valid: %zu %s, %zu %s, %zu %s, %zu %s\n",
		       doc.src.name, m->n_meshes,
		       plural(m->n_meshes, "mesh", "meshes"), m->n_nodes,
		       plural(m->n_nodes, "node", "nodes"), m->n_links,
		       plural(m->n_links, "link", "links"), m->n_tests,
		       plural(m->n_tests, "test", "tests"));
	}
	arena_free(&arena);
	return valid ? EXIT_OK : EXIT_ERROR;
}
