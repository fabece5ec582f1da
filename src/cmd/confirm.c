/* confirm.c - meshc confirm [--interface I | --node N]: keep what a
 * pending `apply --confirm` applied (stop its revert timer). */
#include "cmd/cmd.h"

#include "apply/apply.h"

const struct cmd_spec confirm_spec = {
	.name = "confirm",
	.options = OPT_NODE | OPT_INTERFACE,
	.min_args = 0,
	.max_args = 0,
	.usage = "[--interface IFACE | --node N]",
	.summary = "keep a pending apply --confirm",
	.example = "meshc confirm\n"
		   "meshc confirm --interface meshx",
};

int cmd_confirm(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	int rc = cmd_parse(argc, argv, &confirm_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	arena_init(&arena);
	rc = apply_confirm(&arena, o.interface, o.node);
	arena_free(&arena);
	return rc ? EXIT_ERROR : EXIT_OK;
}
