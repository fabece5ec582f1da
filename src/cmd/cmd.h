/* cmd.h - the subcommands and what they share.
 *
 * One file per subcommand (cmd/validate.c, cmd/compile.c, ...), each
 * exporting one cmd_* function that main.c's table dispatches to.  Shared
 * here: option parsing, loading a document through validate, node
 * selection and the diagnostics printer.
 */
#ifndef MESHC_CMD_CMD_H
#define MESHC_CMD_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/diag.h"
#include "model/model.h"

/* Exit codes of cli.md */
#define EXIT_OK 0
#define EXIT_ERROR 1
#define EXIT_DIFFERENT 2	/* diff/dry-run: changes; check: a test failed */

enum out_format { FORMAT_TEXT, FORMAT_JSON };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

/* Options a command accepts, as a bit set. */
enum {
	OPT_FORMAT = 1 << 0,
	OPT_NODE = 1 << 1,
	OPT_TARGET = 1 << 2,
	OPT_WITH_SECRETS = 1 << 3,
	OPT_DRY_RUN = 1 << 4,
	OPT_CONFIRM = 1 << 5,
	OPT_INTERFACE = 1 << 6,
	OPT_FORMAT_NAME = 1 << 7,	/* --format X of the command's own set */
	OPT_OUTPUT = 1 << 8,		/* -o FILE */
	OPT_ALL = 1 << 9,		/* --all --out-dir DIR */
	OPT_KEY_FILE = 1 << 10,		/* --private-key-file PATH */
};

struct cmd_opts {
	const char *prog;	/* "meshc validate" for messages */
	enum out_format format;
	enum color_mode color;
	int quiet;
	int verbose;
	const char *node;
	const char *target;
	const char *interface;
	bool with_secrets;
	bool dry_run;
	long confirm_seconds;	/* -1: not given */
	const char *format_name;	/* --format with OPT_FORMAT_NAME */
	const char *output;	/* -o */
	bool all;
	const char *out_dir;
	const char *private_key_file;
	char **args;		/* positional arguments */
	int n_args;
};

struct cmd_spec {
	const char *name;
	unsigned options;	/* OPT_* accepted besides the common ones */
	int min_args, max_args;
	const char *usage;	/* "FILE --node N [--target T]" */
	const char *summary;	/* one line: what the command does */
	const char *formats;	/* OPT_FORMAT_NAME: "conf|qr|png", default first */
	const char *example;	/* lines of typical use, for --help */
};

/* Each command's spec, in its own file; main.c's table lists them. */
extern const struct cmd_spec validate_spec, compile_spec, diff_spec,
	apply_spec, confirm_spec, down_spec, status_spec, check_spec,
	explain_spec, export_spec, graph_spec, genkey_spec, pubkey_spec,
	genpsk_spec;

/* Parse argv (argv[0] = command name).  Returns 0, 1 after printing a
 * usage error, or -1 when --help was printed (exit 0). */
int cmd_parse(int argc, char **argv, const struct cmd_spec *spec,
	      struct cmd_opts *o);
/* The usage line and where to find more (after a usage error). */
void cmd_usage(FILE *out, const struct cmd_spec *spec);
/* --help: usage, what it does, every option it takes, an example. */
void cmd_help(FILE *out, const struct cmd_spec *spec);
/* The long options spec takes (names without "--"), and whether each
 * takes a value; at most max. */
size_t cmd_long_options(const struct cmd_spec *spec, const char **names,
			bool *takes_value, size_t max);
/* meshc __complete WORD...: the shell completion scripts' one source of
 * candidates (complete.c); specs are main.c's commands. */
int cmd_complete(int argc, char **argv, const struct cmd_spec *const *specs,
		 size_t n_specs);

/* Should stderr/stdout get color (--color, NO_COLOR, isatty)? */
bool cmd_use_color(const struct cmd_opts *o, FILE *f);

/* A loaded document, its source text and its diagnostics. */
struct doc {
	struct source src;
	struct model *model;	/* NULL when unreadable or not YAML */
	struct diags diags;
};

/* Load and validate.  Prints the diagnostics (errors and, unless -q,
 * warnings) to stderr.  Returns true when the model is valid. */
bool doc_load(struct arena *a, const char *path, const struct cmd_opts *o,
	      struct doc *doc);
void doc_print_diags(const struct doc *doc, const struct cmd_opts *o);

struct strbuf;
/* The head every JSON report of a command starts with, as meshc-diff's
 * and meshc-plan's: "{", then "format": FORMAT and "version": VERSION,
 * each on a line of its own and followed by a comma, so a reader can tell
 * which schema (schemas/FORMAT.schema.json) describes the rest. */
void cmd_json_head(struct strbuf *sb, const char *format, int version);

/* Which node am I (cli.md): --node, else the node whose public key matches
 * the local private key file, else the host name.  MODEL_NONE after
 * printing an error that lists the candidates. */
size_t cmd_select_node(const struct model *m, const struct cmd_opts *o);
/* --node N only: MODEL_NONE after an error naming the known nodes. */
size_t cmd_node_by_name(const struct model *m, const char *name,
			const char *file);

struct plan;
/* Load, validate, pick the node (cmd_select_node) and compile it, for the
 * commands that change this machine: NULL after reporting why (also for a
 * node whose platform meshc cannot apply to). */
struct plan *cmd_load_plan(struct arena *a, const struct cmd_opts *o,
			   const char *path);
/* Its last step: compile node idx of a valid model; NULL after saying
 * so for a node whose platform meshc cannot apply to. */
struct plan *cmd_compile_linux(struct arena *a, const struct cmd_opts *o,
			       const struct model *m, size_t idx);
/* The preshared keys of a plan's peers, for the two outputs that print
 * them (export, compile --target wg --with-secrets). */
struct peer_psks {
	const char **b64;	/* b64[i]: peer i's key, NULL for none */
	char *block;		/* the texts: one guarded allocation */
};
/* Read the mesh secret the plan's peers name (once; checked like a
 * private key file) and derive each peer's key.  0, or -errno after
 * saying why. */
int cmd_peer_psks(struct arena *a, const struct plan *p,
		  struct peer_psks *out);
/* The same shape with a stand-in of the key's length for each key: a
 * buffer rendered with it is exactly as long as one with the keys. */
void cmd_peer_psks_stand_in(struct arena *a, const struct plan *p,
			    struct peer_psks *out);
void cmd_peer_psks_free(struct peer_psks *k);	/* wipes the keys */

/* meshc diff FILE: the live system against FILE's plan (cmd/apply.c). */
int cmd_diff_live(const struct cmd_opts *o);

/* "; did you mean 'x'?" into buf when one of the n names is close to
 * word (base/suggest.h), else "".  Returns buf. */
const char *cmd_did_you_mean(char *buf, size_t size, const char *word,
			     const char *const *names, size_t n);
#define CMD_HINT_MAX 96

struct strbuf;
/* Write data to path atomically, mode 0600, never through a symbolic
 * link nor over another user's file; cmd names the command in messages.
 * 0, or -errno after saying why. */
int cmd_write_file(struct arena *a, const char *cmd, const char *path,
		   const struct strbuf *data);

typedef int (*cmd_fn)(int argc, char **argv);

int cmd_validate(int argc, char **argv);
int cmd_compile(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_confirm(int argc, char **argv);
int cmd_genkey(int argc, char **argv);
int cmd_pubkey(int argc, char **argv);
int cmd_genpsk(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_status(int argc, char **argv);
/* genkey.c: print a fresh key (clamped for a private key) in base64. */
int keygen_print(bool clamp);

#endif
