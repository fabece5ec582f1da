/* complete.c - meshc __complete WORD...: candidates for shell completion.
 *
 * The bash and zsh scripts (src/completion/) pass the words after
 * `meshc`, the last one being the word under the cursor, and offer what
 * this prints, one per line; nothing printed means "complete a file
 * name".  The knowledge stays here, next to the commands: their names,
 * each command's own options (cmd_long_options), the values of --target,
 * --format and --color, and the node names of the document on the line,
 * read by the real loader.  Nothing is ever printed on stderr.
 */
#include "cmd/cmd.h"

#include <stdio.h>
#include <string.h>

#include "load/load.h"

#define MAX_OPTIONS 32

struct line {
	const struct cmd_spec *spec;
	char **words;		/* after the command name */
	int n;			/* the last is the word being completed */
	const char *option;	/* the option whose value is being completed */
	const char *file;	/* the first positional argument */
	int n_positional;	/* positional arguments before the current */
};

static void offer(const char *cand, const char *cur)
{
	if (!strncmp(cand, cur, strlen(cur)))
		printf("%s\n", cand);
}

static bool takes_value(const struct cmd_spec *spec, const char *word)
{
	const char *names[MAX_OPTIONS];
	bool value[MAX_OPTIONS];
	size_t n = cmd_long_options(spec, names, value, MAX_OPTIONS);

	if (!strcmp(word, "-o"))
		return spec->options & OPT_OUTPUT;
	if (strncmp(word, "--", 2) || strchr(word, '='))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(word + 2, names[i]))
			return value[i];
	return false;
}

/* Walk the words before the current one: options, their values, and
 * the positional arguments. */
static void read_line(struct line *l)
{
	for (int i = 0; i < l->n - 1; i++) {
		const char *w = l->words[i];

		if (w[0] == '-' && w[1]) {
			if (takes_value(l->spec, w))
				i++;
			continue;
		}
		if (!l->n_positional++)
			l->file = w;
	}
	if (l->n >= 2 && takes_value(l->spec, l->words[l->n - 2]))
		l->option = l->words[l->n - 2];
}

static void offer_nodes(const char *file, const char *cur, const char *prefix)
{
	struct arena a;
	struct source src;
	struct diags d;
	struct model *m;

	if (!file || !strcmp(file, "-"))
		return;
	arena_init(&a);
	diags_init(&d, &a);
	if (load_read_source(&a, file, &src, &d) == 0 &&
	    (m = load_model(&a, &src, &d)))
		for (size_t i = 0; i < m->n_nodes; i++) {
			char c[256];

			if (!m->nodes[i].name.v)
				continue;
			snprintf(c, sizeof(c), "%s%s", prefix,
				 m->nodes[i].name.v);
			offer(c, cur);
		}
	arena_free(&a);
}

static void offer_words(const char *words, const char *cur)
{
	char buf[128];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, "| ", &save); w;
	     w = strtok_r(NULL, "| ", &save))
		offer(w, cur);
}

static void offer_value(const struct line *l, const char *cur)
{
	const char *o = l->option + (l->option[1] == '-' ? 2 : 1);

	if (!strcmp(o, "target"))
		offer_words("plan json nft pf wg routes sysctl", cur);
	else if (!strcmp(o, "format"))
		offer_words(l->spec->formats ? l->spec->formats : "text json",
			    cur);
	else if (!strcmp(o, "color"))
		offer_words("auto always never", cur);
	else if (!strcmp(o, "node"))
		offer_nodes(l->file, cur, "");
	/* paths, seconds, interface names: the shell's own completion */
}

static void offer_options(const struct cmd_spec *spec, const char *cur)
{
	const char *names[MAX_OPTIONS];
	bool value[MAX_OPTIONS];
	size_t n = cmd_long_options(spec, names, value, MAX_OPTIONS);

	for (size_t i = 0; i < n; i++) {
		char c[64];

		snprintf(c, sizeof(c), "--%s", names[i]);
		offer(c, cur);
	}
	if (spec->options & OPT_OUTPUT)
		offer("-o", cur);
}

/* explain FILE FROM TO: nodes, and for TO also internet and lan:NODE. */
static void offer_explain(const struct line *l, const char *cur)
{
	if (l->n_positional == 1 || l->n_positional == 2)
		offer_nodes(l->file, cur, "");
	if (l->n_positional == 2) {
		offer("internet", cur);
		offer_nodes(l->file, cur, "lan:");
	}
}

int cmd_complete(int argc, char **argv, const struct cmd_spec *const *specs,
		 size_t n_specs)
{
	struct line l = { 0 };
	const char *cur;

	if (argc < 2)
		return EXIT_OK;
	if (argc == 2) {
		for (size_t i = 0; i < n_specs; i++)
			offer(specs[i]->name, argv[1]);
		return EXIT_OK;
	}
	for (size_t i = 0; i < n_specs && !l.spec; i++)
		if (!strcmp(argv[1], specs[i]->name))
			l.spec = specs[i];
	if (!l.spec)
		return EXIT_OK;
	l.words = argv + 2;
	l.n = argc - 2;
	cur = l.words[l.n - 1];
	read_line(&l);
	if (l.option)
		offer_value(&l, cur);
	else if (cur[0] == '-')
		offer_options(l.spec, cur);
	else if (!strcmp(l.spec->name, "explain"))
		offer_explain(&l, cur);
	return EXIT_OK;
}
