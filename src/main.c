/* main.c - the command table; each command lives in src/cmd/. */
#include <stdio.h>
#include <string.h>

#include "base/secret.h"
#include "cmd/cmd.h"

#ifndef MESHC_VERSION
#define MESHC_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	cmd_fn fn;
	const char *help;
} commands[] = {
	{ "validate", cmd_validate, "check a document; print all diagnostics" },
	{ "compile", cmd_compile, "print a node's compiled plan" },
	{ "diff", cmd_diff, "compare two documents, per node" },
	{ "apply", cmd_apply, "make this node match the document" },
	{ "confirm", cmd_confirm, "keep a pending apply --confirm" },
	{ "down", cmd_down, "remove all that meshc set up on this node" },
	{ "status", cmd_status, "peers, handshakes and drift of this node" },
	{ "check", cmd_check, "evaluate the document's tests" },
	{ "explain", cmd_explain, "why FROM can or cannot reach TO" },
	{ "export", cmd_export, "a node's file for the WireGuard apps (or QR)" },
	{ "graph", cmd_graph, "Graphviz DOT of meshes, links and grants" },
	{ "genkey", cmd_genkey, "generate a private key" },
	{ "pubkey", cmd_pubkey, "private key on stdin -> public key" },
	{ "genpsk", cmd_genpsk, "generate a preshared key" },
};

static void show_usage(FILE *out)
{
	fprintf(out, "usage: meshc COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].help);
	fprintf(out, "\n'meshc COMMAND --help' shows a command's options; "
		     "see meshc(8) and meshc.yaml(5).\n");
}

static const char *command_hint(const char *word)
{
	static char hint[CMD_HINT_MAX];
	const char *names[sizeof(commands) / sizeof(commands[0])];
	size_t n = sizeof(commands) / sizeof(commands[0]);

	for (size_t i = 0; i < n; i++)
		names[i] = commands[i].name;
	return cmd_did_you_mean(hint, sizeof(hint), word, names, n);
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
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "meshc: unknown command '%s'%s\n", argv[1],
		command_hint(argv[1]));
	show_usage(stderr);
	return EXIT_ERROR;
}
