/* down.c - meshc down FILE [--node N]: remove the interface, routes,
 * rules and nftables table meshc set up for the node, and put back the
 * sysctls it changed. */
#include "cmd/cmd.h"

#include "apply/apply.h"

const struct cmd_spec down_spec = {
	.name = "down",
	.options = OPT_FORMAT | OPT_NODE,
	.min_args = 1,
	.max_args = 1,
	.usage = "FILE [--node N]",
	.summary = "remove all that meshc set up on this node",
	.example = "meshc down mesh.yaml",
};

int cmd_down(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct plan *want;
	enum apply_result r = APPLY_FAILED;
	int rc = cmd_parse(argc, argv, &down_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	arena_init(&arena);
	want = cmd_load_plan(&arena, &o, o.args[0]);
	if (want) {
		struct apply_opts ao = {
			.json = o.format == FORMAT_JSON,
			.color = cmd_use_color(&o, stdout),
			.quiet = o.quiet,
			.verbose = o.verbose,
			.confirm_seconds = -1,
		};

		r = apply_down(&arena, want, &ao);
	}
	arena_free(&arena);
	return r == APPLY_FAILED ? EXIT_ERROR : EXIT_OK;
}
