/* apply.c - meshc apply FILE [--node N] [--dry-run] [--confirm S], and
 * meshc diff FILE (the same run, reading only). */
#include "cmd/cmd.h"

#include "apply/apply.h"

const struct cmd_spec apply_spec = {
	.name = "apply",
	.options = OPT_FORMAT | OPT_NODE | OPT_DRY_RUN | OPT_CONFIRM,
	.min_args = 1,
	.max_args = 1,
	.usage = "FILE [--node N] [--dry-run] [--confirm SECONDS]",
	.summary = "make this node match the document",
	.example = "meshc apply mesh.yaml --dry-run\n"
		   "meshc apply mesh.yaml --confirm 60 && ping -c1 10.0.0.1 && meshc confirm",
};

static struct apply_opts apply_opts_from(const struct cmd_opts *o)
{
	struct apply_opts ao = {
		.dry_run = o->dry_run,
		.confirm_seconds = o->confirm_seconds,
		.json = o->format == FORMAT_JSON,
		.color = cmd_use_color(o, stdout),
		.quiet = o->quiet,
		.verbose = o->verbose,
	};

	return ao;
}

int cmd_apply(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct apply_opts ao;
	struct apply_early *early;
	struct plan *want;
	enum apply_result r = APPLY_FAILED;
	int rc = cmd_parse(argc, argv, &apply_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	if (o.dry_run && o.confirm_seconds > 0) {
		fprintf(stderr, "meshc apply: --dry-run and --confirm "
				"exclude each other\n");
		return EXIT_ERROR;
	}
	ao = apply_opts_from(&o);
	arena_init(&arena);
	/* reading the device starts now, compiling the document meanwhile */
	early = apply_early_start(&arena, o.args[0], &ao);
	want = cmd_load_plan(&arena, &o, o.args[0]);
	if (want)
		r = apply_plan(&arena, want, &ao, early);
	else
		apply_early_end(early);
	arena_free(&arena);
	if (r == APPLY_FAILED)
		return EXIT_ERROR;
	/* --dry-run is diff: exit 2 when something would change */
	return o.dry_run && r == APPLY_CHANGED ? EXIT_DIFFERENT : EXIT_OK;
}

int cmd_diff_live(const struct cmd_opts *o)
{
	struct arena arena;
	struct apply_opts ao = apply_opts_from(o);
	struct plan *want;
	enum apply_result r = APPLY_FAILED;

	arena_init(&arena);
	want = cmd_load_plan(&arena, o, o->args[0]);
	if (want)
		r = apply_diff_live(&arena, want, &ao, NULL);
	arena_free(&arena);
	return r == APPLY_FAILED	 ? EXIT_ERROR
	       : r == APPLY_CHANGED ? EXIT_DIFFERENT
				    : EXIT_OK;
}
