/* main.c - the command table; each command lives in src/cmd/. */
#include <stdio.h>
#include <string.h>

#include "base/secret.h"
#include "cmd/cmd.h"

#ifndef MESHC_VERSION
#define MESHC_VERSION "0.1.0"
#endif

static const struct {
	const struct cmd_spec *spec;
	cmd_fn fn;
} commands[] = {
	{ &validate_spec, cmd_validate },
	{ &compile_spec, cmd_compile },
	{ &diff_spec, cmd_diff },
	{ &apply_spec, cmd_apply },
	{ &confirm_spec, cmd_confirm },
	{ &down_spec, cmd_down },
	{ &status_spec, cmd_status },
	{ &check_spec, cmd_check },
	{ &explain_spec, cmd_explain },
	{ &export_spec, cmd_export },
	{ &graph_spec, cmd_graph },
	{ &genkey_spec, cmd_genkey },
	{ &pubkey_spec, cmd_pubkey },
	{ &genpsk_spec, cmd_genpsk },
};

static void show_usage(FILE *out)
{
	fprintf(out, "usage: meshc COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].spec->name,
			commands[i].spec->summary);
	fprintf(out, "\n'meshc COMMAND --help' shows a command's options; "
		     "see meshc(8) and meshc.yaml(5).\n");
}

static const char *command_hint(const char *word)
{
	static char hint[CMD_HINT_MAX];
	const char *names[sizeof(commands) / sizeof(commands[0])];
	size_t n = sizeof(commands) / sizeof(commands[0]);

	for (size_t i = 0; i < n; i++)
		names[i] = commands[i].spec->name;
	return cmd_did_you_mean(hint, sizeof(hint), word, names, n);
}

/* The shell completion scripts' hidden command (cmd/complete.c). */
static int complete(int argc, char **argv)
{
	const struct cmd_spec *specs[sizeof(commands) / sizeof(commands[0])];
	size_t n = sizeof(commands) / sizeof(commands[0]);

	for (size_t i = 0; i < n; i++)
		specs[i] = commands[i].spec;
	return cmd_complete(argc, argv, specs, n);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		show_usage(stderr);
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		show_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("meshc %s\n", MESHC_VERSION);
		return EXIT_OK;
	}
	if (secret_init() < 0) {
		fprintf(stderr, "meshc: cannot initialise libsodium\n");
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "__complete"))
		return complete(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].spec->name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "meshc: unknown command '%s'%s\n", argv[1],
		command_hint(argv[1]));
	show_usage(stderr);
	return EXIT_ERROR;
}
