/* genpsk.c - meshc genpsk: a new preshared key, like wg genpsk. */
#include "cmd/cmd.h"

const struct cmd_spec genpsk_spec = {
	.name = "genpsk", .min_args = 0, .max_args = 0, .usage = "",
	.summary = "generate a preshared key",
	.example = "(umask 077; meshc genpsk > mesh.psk)",
};

int cmd_genpsk(int argc, char **argv)
{
	struct cmd_opts o;
	int rc = cmd_parse(argc, argv, &genpsk_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	return keygen_print(false);	/* a PSK is not a curve point: no clamp */
}
