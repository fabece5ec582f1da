#include "cmd/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "apply/state.h"
#include "base/secret.h"
#include "base/strbuf.h"
#include "base/suggest.h"
#include "compile/compile.h"
#include "load/load.h"
#include "validate/validate.h"

enum {
	LONG_FORMAT = 256,
	LONG_COLOR,
	LONG_NODE,
	LONG_TARGET,
	LONG_WITH_SECRETS,
	LONG_DRY_RUN,
	LONG_CONFIRM,
	LONG_INTERFACE,
	LONG_HELP,
	LONG_ALL,
	LONG_OUT_DIR,
	LONG_KEY_FILE,
};

static const struct option long_options[] = {
	{ "format", required_argument, NULL, LONG_FORMAT },
	{ "color", required_argument, NULL, LONG_COLOR },
	{ "node", required_argument, NULL, LONG_NODE },
	{ "target", required_argument, NULL, LONG_TARGET },
	{ "with-secrets", no_argument, NULL, LONG_WITH_SECRETS },
	{ "dry-run", no_argument, NULL, LONG_DRY_RUN },
	{ "confirm", required_argument, NULL, LONG_CONFIRM },
	{ "interface", required_argument, NULL, LONG_INTERFACE },
	{ "help", no_argument, NULL, LONG_HELP },
	{ "all", no_argument, NULL, LONG_ALL },
	{ "out-dir", required_argument, NULL, LONG_OUT_DIR },
	{ "private-key-file", required_argument, NULL, LONG_KEY_FILE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ NULL, 0, NULL, 0 },
};

/* Which OPT_* a long option belongs to; 0: every command takes it. */
static unsigned option_bit(int val)
{
	switch (val) {
	case LONG_FORMAT:
		return OPT_FORMAT | OPT_FORMAT_NAME;
	case LONG_NODE:
		return OPT_NODE;
	case LONG_TARGET:
		return OPT_TARGET;
	case LONG_WITH_SECRETS:
		return OPT_WITH_SECRETS;
	case LONG_DRY_RUN:
		return OPT_DRY_RUN;
	case LONG_CONFIRM:
		return OPT_CONFIRM;
	case LONG_INTERFACE:
		return OPT_INTERFACE;
	case LONG_ALL:
	case LONG_OUT_DIR:
		return OPT_ALL;
	case LONG_KEY_FILE:
		return OPT_KEY_FILE;
	default:
		return 0;
	}
}

size_t cmd_long_options(const struct cmd_spec *spec, const char **names,
			bool *takes_value, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; long_options[i].name && n < max; i++) {
		unsigned bit = option_bit(long_options[i].val);

		if (bit && !(spec->options & bit))
			continue;
		names[n] = long_options[i].name;
		takes_value[n] = long_options[i].has_arg == required_argument;
		n++;
	}
	return n;
}

/* The closest of names to word, copied into out; false when none is. */
static bool closest_name(char *out, size_t size, const char *word,
			 const char *const *names, size_t n)
{
	struct arena a;
	const char *best;

	arena_init(&a);
	best = suggest_among(&a, word, names, n);
	if (best)
		snprintf(out, size, "%s", best);
	arena_free(&a);
	return best != NULL;
}

const char *cmd_did_you_mean(char *buf, size_t size, const char *word,
			     const char *const *names, size_t n)
{
	char best[64];

	if (closest_name(best, sizeof(best), word, names, n))
		snprintf(buf, size, "; did you mean '%s'?", best);
	else if (size)
		buf[0] = '\0';
	return buf;
}

/* "--frmat" or "--frmat=json": the closest long option, as a hint. */
static const char *option_hint(char *buf, size_t size, const char *arg)
{
	const char *names[sizeof(long_options) / sizeof(*long_options)];
	size_t n = 0, len;
	char word[64], best[64];

	if (strncmp(arg, "--", 2))
		return "";
	arg += 2;
	len = strcspn(arg, "=");
	if (len >= sizeof(word))
		return "";
	memcpy(word, arg, len);
	word[len] = '\0';
	for (size_t i = 0; long_options[i].name; i++)
		names[n++] = long_options[i].name;
	if (!closest_name(best, sizeof(best), word, names, n))
		return "";
	snprintf(buf, size, "; did you mean --%s?", best);
	return buf;
}

static void usage_line(FILE *out, const struct cmd_spec *spec)
{
	fprintf(out, "usage: meshc %s%s%s\n", spec->name,
		*spec->usage ? " " : "", spec->usage);
}

void cmd_usage(FILE *out, const struct cmd_spec *spec)
{
	usage_line(out, spec);
	fprintf(out, "'meshc %s --help' shows its options and an example\n",
		spec->name);
}

/* What each option is for, in --help; the command's own set only. */
static const struct {
	unsigned opt;
	const char *flag;	/* NULL: OPT_FORMAT_NAME, from the spec */
	const char *text;
} option_help[] = {
	{ OPT_FORMAT, "--format text|json", "the output's form (default text)" },
	{ OPT_FORMAT_NAME, NULL, "the output's form (default the first)" },
	{ OPT_NODE, "--node N", "the node (see NODE SELECTION in meshc(8))" },
	{ OPT_TARGET, "--target T",
	  "plan (default), json, nft, pf, wg, routes or sysctl" },
	{ OPT_WITH_SECRETS, "--with-secrets",
	  "print the private and preshared keys (--target wg only)" },
	{ OPT_DRY_RUN, "--dry-run",
	  "change nothing; print what would change (exit 2 if anything)" },
	{ OPT_CONFIRM, "--confirm SECONDS",
	  "try mode: roll back unless `meshc confirm` runs in time" },
	{ OPT_INTERFACE, "--interface IFACE", "the interface (default: the only one)" },
	{ OPT_OUTPUT, "-o OUT", "write OUT (mode 0600) instead of stdout" },
	{ OPT_ALL, "--all --out-dir DIR", "every node, one file each in DIR" },
	{ OPT_KEY_FILE, "--private-key-file PATH",
	  "the node's private key (default: its private_key_file)" },
};

static void help_line(FILE *out, const char *flag, const char *text)
{
	fprintf(out, "  %-26s %s\n", flag, text);
}

static void help_lines(FILE *out, const char *indent, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strcspn(p, "\n");

		fprintf(out, "%s%.*s\n", indent, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

void cmd_help(FILE *out, const struct cmd_spec *spec)
{
	usage_line(out, spec);
	if (spec->summary)
		fprintf(out, "\n%s\n", spec->summary);
	fprintf(out, "\noptions:\n");
	for (size_t i = 0; i < sizeof(option_help) / sizeof(*option_help);
	     i++) {
		char flag[64];

		if (!(spec->options & option_help[i].opt))
			continue;
		if (option_help[i].flag)
			help_line(out, option_help[i].flag, option_help[i].text);
		else {
			snprintf(flag, sizeof(flag), "--format %s",
				 spec->formats ? spec->formats : "?");
			help_line(out, flag, option_help[i].text);
		}
	}
	help_line(out, "--color auto|always|never",
		  "color on a terminal (default auto; NO_COLOR)");
	help_line(out, "-q, -v", "quieter (errors only), more verbose");
	help_line(out, "--help", "this text");
	if (spec->example) {
		fprintf(out, "\nexample:\n");
		help_lines(out, "  ", spec->example);
	}
	fprintf(out, "\nsee meshc(8)%s\n",
		 spec->min_args ? " and meshc.yaml(5)" : "");
}

static int usage_error(const struct cmd_spec *spec, const char *fmt,
		       const char *arg)
{
	fprintf(stderr, "meshc %s: ", spec->name);
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	cmd_usage(stderr, spec);
	return 1;
}

/* "--format: 'jsn' is not text or json; did you mean 'json'?" */
static int value_error(const struct cmd_spec *spec, const char *option,
		       const char *value, const char *const *names, size_t n)
{
	char hint[CMD_HINT_MAX];

	fprintf(stderr, "meshc %s: %s: '%s' is not ", spec->name, option,
		value);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%s", i == 0 ? "" : i + 1 < n ? ", " : " or ",
			names[i]);
	fprintf(stderr, "%s\n",
		cmd_did_you_mean(hint, sizeof(hint), value, names, n));
	cmd_usage(stderr, spec);
	return 1;
}

static int check_allowed(const struct cmd_spec *spec, unsigned opt,
			 const char *name)
{
	if (spec->options & opt)
		return 0;
	return usage_error(spec, "option --%s does not apply here", name);
}

int cmd_parse(int argc, char **argv, const struct cmd_spec *spec,
	      struct cmd_opts *o)
{
	static const char *const formats[] = { "text", "json" };
	static const char *const colors[] = { "auto", "always", "never" };
	int c;

	memset(o, 0, sizeof(*o));
	o->prog = spec->name;
	o->confirm_seconds = -1;
	optind = 1;
	opterr = 0;
	/* "+" stops at the first non-option only for explain's FROM/TO; we
	 * want options anywhere, as users type them after FILE. */
	while ((c = getopt_long(argc, argv, ":qvo:", long_options, NULL)) != -1) {
		switch (c) {
		case LONG_FORMAT:
			if (spec->options & OPT_FORMAT_NAME) {
				/* the command checks its own formats */
				o->format_name = optarg;
				break;
			}
			if (check_allowed(spec, OPT_FORMAT, "format"))
				return 1;
			if (!strcmp(optarg, "text"))
				o->format = FORMAT_TEXT;
			else if (!strcmp(optarg, "json"))
				o->format = FORMAT_JSON;
			else
				return value_error(spec, "--format", optarg,
						   formats, 2);
			break;
		case LONG_COLOR:
			if (!strcmp(optarg, "auto"))
				o->color = COLOR_AUTO;
			else if (!strcmp(optarg, "always"))
				o->color = COLOR_ALWAYS;
			else if (!strcmp(optarg, "never"))
				o->color = COLOR_NEVER;
			else
				return value_error(spec, "--color", optarg,
						   colors, 3);
			break;
		case LONG_NODE:
			if (check_allowed(spec, OPT_NODE, "node"))
				return 1;
			o->node = optarg;
			break;
		case LONG_TARGET:
			if (check_allowed(spec, OPT_TARGET, "target"))
				return 1;
			o->target = optarg;
			break;
		case LONG_WITH_SECRETS:
			if (check_allowed(spec, OPT_WITH_SECRETS,
					  "with-secrets"))
				return 1;
			o->with_secrets = true;
			break;
		case LONG_DRY_RUN:
			if (check_allowed(spec, OPT_DRY_RUN, "dry-run"))
				return 1;
			o->dry_run = true;
			break;
		case LONG_CONFIRM: {
			char *end;
			long v;

			if (check_allowed(spec, OPT_CONFIRM, "confirm"))
				return 1;
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 ||
			    v > 86400)
				return usage_error(spec,
						   "--confirm: '%s' is not a "
						   "number of seconds (1-86400)",
						   optarg);
			o->confirm_seconds = v;
			break;
		}
		case LONG_INTERFACE:
			if (check_allowed(spec, OPT_INTERFACE, "interface"))
				return 1;
			o->interface = optarg;
			break;
		case 'o':
			if (!(spec->options & OPT_OUTPUT))
				return usage_error(spec, "option %s does not "
						   "apply here", "-o");
			o->output = optarg;
			break;
		case LONG_ALL:
			if (check_allowed(spec, OPT_ALL, "all"))
				return 1;
			o->all = true;
			break;
		case LONG_OUT_DIR:
			if (check_allowed(spec, OPT_ALL, "out-dir"))
				return 1;
			o->out_dir = optarg;
			break;
		case LONG_KEY_FILE:
			if (check_allowed(spec, OPT_KEY_FILE,
					  "private-key-file"))
				return 1;
			o->private_key_file = optarg;
			break;
		case LONG_HELP:
			cmd_help(stdout, spec);
			return -1;
		case 'q':
			o->quiet++;
			break;
		case 'v':
			o->verbose++;
			break;
		case ':':
			return usage_error(spec, "%s needs a value",
					   argv[optind - 1]);
		default: {
			char hint[CMD_HINT_MAX];

			fprintf(stderr, "meshc %s: unknown option %s%s\n",
				spec->name, argv[optind - 1],
				option_hint(hint, sizeof(hint),
					    argv[optind - 1]));
			cmd_usage(stderr, spec);
			return 1;
		}
		}
	}
	o->args = argv + optind;
	o->n_args = argc - optind;
	if (o->n_args < spec->min_args)
		return usage_error(spec, "%s", "missing argument");
	if (o->n_args > spec->max_args)
		return usage_error(spec, "unexpected argument '%s'",
				   o->args[spec->max_args]);
	return 0;
}

bool cmd_use_color(const struct cmd_opts *o, FILE *f)
{
	const char *no_color = getenv("NO_COLOR");

	if (o->color == COLOR_ALWAYS)
		return true;
	if (o->color == COLOR_NEVER || (no_color && *no_color))
		return false;
	return isatty(fileno(f));
}

void doc_print_diags(const struct doc *doc, const struct cmd_opts *o)
{
	struct diag_style style = {
		.color = cmd_use_color(o, stderr),
		.show_source = isatty(fileno(stderr)) || o->color == COLOR_ALWAYS,
		.quiet_warnings = o->quiet > 0,
	};

	diags_print(&doc->diags, stderr, &doc->src, 1, &style);
}

void cmd_json_head(struct strbuf *sb, const char *format, int version)
{
	strbuf_puts(sb, "{\n  \"format\": ");
	strbuf_json_string(sb, format);
	strbuf_printf(sb, ",\n  \"version\": %d,\n", version);
}

bool doc_load(struct arena *a, const char *path, const struct cmd_opts *o,
	      struct doc *doc)
{
	memset(doc, 0, sizeof(*doc));
	diags_init(&doc->diags, a);
	if (load_read_source(a, path, &doc->src, &doc->diags) == 0) {
		doc->model = load_model(a, &doc->src, &doc->diags);
		if (doc->model)
			validate_model(a, doc->model, &doc->diags);
	}
	diags_sort(&doc->diags);
	doc_print_diags(doc, o);
	return doc->model && doc->model->resolved && !doc->diags.errors;
}

static void list_nodes(const struct model *m, FILE *out)
{
	fprintf(out, "known nodes:");
	for (size_t i = 0; i < m->n_nodes && i < 50; i++)
		fprintf(out, " %s", m->nodes[i].name.v);
	if (m->n_nodes > 50)
		fprintf(out, " ... (%zu in all)", m->n_nodes);
	fputc('\n', out);
}

size_t cmd_node_by_name(const struct model *m, const char *name,
			const char *file)
{
	size_t idx = model_node_find(m, name);

	if (idx == MODEL_NONE) {
		struct arena a;
		struct suggest s;

		arena_init(&a);
		suggest_init(&s, &a, name);
		model_suggest_nodes(m, &s);
		if (suggest_best(&s))
			fprintf(stderr,
				"meshc: %s: no node named '%s'; did you mean "
				"'%s'?\n",
				file, name, suggest_best(&s));
		else {
			fprintf(stderr, "meshc: %s: no node named '%s'; ",
				file, name);
			list_nodes(m, stderr);
		}
		arena_free(&a);
	}
	return idx;
}

/* The node whose public key matches the key in a private key file. */
static size_t node_by_key_file(const struct model *m, const char *path)
{
	struct secret_key key;
	uint8_t pub[WG_KEY_LEN];
	size_t found = MODEL_NONE;

	if (access(path, F_OK) != 0)
		return MODEL_NONE;
	if (secret_key_read_file(path, &key) != 0)
		return MODEL_NONE;
	secret_key_public(&key, pub);
	secret_key_free(&key);
	for (size_t i = 0; i < m->n_nodes; i++) {
		if (m->nodes[i].public_key.set &&
		    !memcmp(m->nodes[i].public_key.v, pub, WG_KEY_LEN)) {
			found = i;
			break;
		}
	}
	return found;
}

size_t cmd_select_node(const struct model *m, const struct cmd_opts *o)
{
	char host[HOST_NAME_MAX + 1] = "";
	size_t idx;

	if (o->node)
		return cmd_node_by_name(m, o->node, m->file);
	/* Every key file the document names, the default one first. */
	idx = node_by_key_file(m, MESHC_DEFAULT_PRIVATE_KEY_FILE);
	for (size_t i = 0; idx == MODEL_NONE && i < m->n_nodes; i++)
		if (m->nodes[i].private_key_file.set)
			idx = node_by_key_file(m,
					       m->nodes[i].private_key_file.v);
	if (idx != MODEL_NONE)
		return idx;
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		idx = model_node_find(m, host);
		if (idx != MODEL_NONE)
			return idx;
	}
	fprintf(stderr,
		"meshc: %s: cannot tell which node this is: no --node, no "
		"private key file matching a node's public_key, and no node "
		"named like the host '%s'; ",
		m->file, host);
	list_nodes(m, stderr);
	return MODEL_NONE;
}

struct plan *cmd_compile_linux(struct arena *a, const struct cmd_opts *o,
			       const struct model *m, size_t idx)
{
	struct plan *p = compile_node(a, m, idx);

	/* apply speaks netlink and nftables: a node on another platform
	 * gets its configuration with `compile --target wg/pf` instead. */
	if (p->platform != PLATFORM_LINUX) {
		fprintf(stderr,
			"meshc %s: node '%s' runs on %s; meshc changes Linux "
			"systems only (use compile --target wg or pf)\n",
			o->prog, p->node, platform_name(p->platform));
		return NULL;
	}
	return p;
}

struct plan *cmd_load_plan(struct arena *a, const struct cmd_opts *o,
			   const char *path)
{
	struct doc doc;
	size_t idx;

	if (!doc_load(a, path, o, &doc))
		return NULL;
	idx = cmd_select_node(doc.model, o);
	if (idx == MODEL_NONE)
		return NULL;
	return cmd_compile_linux(a, o, doc.model, idx);
}

/* A new file of mode 0600 next to path, renamed over it: readers see the
 * old file or the new one, never a part.  What is there already must be a
 * regular file of this user: a symbolic link is not followed nor
 * replaced, another user's file is left alone.  0, or -errno after saying
 * why. */
int cmd_write_file(struct arena *a, const char *cmd, const char *path,
		   const struct strbuf *data)
{
	struct stat st;
	int err;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			fprintf(stderr, "meshc %s: %s is a symbolic link; not "
					"writing through it\n", cmd, path);
			return -ELOOP;
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "meshc %s: %s exists and is not a "
					"regular file\n", cmd, path);
			return -EEXIST;
		}
		if (st.st_uid != geteuid()) {
			fprintf(stderr, "meshc %s: %s belongs to uid %u, not to "
					"this user (uid %u); not replacing it\n",
				cmd, path, (unsigned)st.st_uid,
				(unsigned)geteuid());
			return -EPERM;
		}
	} else if (errno != ENOENT) {
		err = -errno;
		fprintf(stderr, "meshc %s: %s: %s\n", cmd, path,
			strerror(errno));
		return err;
	}
	err = state_file_write(a, path, data->buf ? data->buf : "", data->len);
	if (err)
		fprintf(stderr, "meshc %s: %s: %s\n", cmd, path, strerror(-err));
	return err;
}

#define PSK_SLOT (WG_KEY_B64_LEN + 1)

/* One peer's key into its slot of the block. */
static int derive_peer_psk(const struct secret_key *secret,
			   const uint8_t self[WG_KEY_LEN],
			   const struct plan_peer *peer, char *slot)
{
	uint8_t *psk = sodium_malloc(WG_KEY_LEN);
	uint8_t pub[WG_KEY_LEN];

	if (!psk)
		return -ENOMEM;
	if (!key_from_base64(peer->public_key, pub)) {
		sodium_free(psk);
		return -EINVAL;
	}
	psk_derive(secret, self, pub, psk);
	sodium_bin2base64(slot, PSK_SLOT, psk, WG_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_free(psk);
	return 0;
}

int cmd_peer_psks(struct arena *a, const struct plan *p,
		  struct peer_psks *out)
{
	struct secret_key secret = { NULL };
	const char *file = NULL;
	uint8_t self[WG_KEY_LEN];
	int err = 0;

	out->b64 = arena_calloc(a, p->n_peers + 1, sizeof(*out->b64));
	out->block = NULL;
	if (!key_from_base64(p->iface.public_key, self))
		return -EINVAL;
	for (size_t i = 0; !err && i < p->n_peers; i++) {
		const char *f = p->peers[i].preshared_key_file;

		if (!f)
			continue;
		if (!out->block) {
			out->block = sodium_malloc(p->n_peers * PSK_SLOT);
			if (!out->block)
				return -ENOMEM;
		}
		/* every peer with a key is of the node's own mesh: one
		 * file, read once */
		if (!file || strcmp(file, f)) {
			secret_key_free(&secret);
			err = secret_key_read_file(f, &secret);
			if (err)
				break;
			file = f;
		}
		err = derive_peer_psk(&secret, self, &p->peers[i],
				      out->block + i * PSK_SLOT);
		out->b64[i] = out->block + i * PSK_SLOT;
	}
	secret_key_free(&secret);
	if (err)
		cmd_peer_psks_free(out);
	return err;
}

void cmd_peer_psks_stand_in(struct arena *a, const struct plan *p,
			    struct peer_psks *out)
{
	static const char stand_in[] =
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

	out->b64 = arena_calloc(a, p->n_peers + 1, sizeof(*out->b64));
	out->block = NULL;
	for (size_t i = 0; i < p->n_peers; i++)
		if (p->peers[i].preshared_key_file)
			out->b64[i] = stand_in;
}

void cmd_peer_psks_free(struct peer_psks *k)
{
	if (k->block)
		sodium_free(k->block);	/* wipes */
	k->block = NULL;
	k->b64 = NULL;
}
