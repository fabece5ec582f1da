/* compile.c - meshc compile FILE --node N [--target T]: print one node's
 * compiled plan in one of the renderer formats. */
#include "cmd/cmd.h"

#include <string.h>

#include "base/secret.h"
#include "base/strbuf.h"
#include "compile/compile.h"
#include "render/render.h"

const struct cmd_spec compile_spec = {
	.name = "compile",
	.options = OPT_NODE | OPT_TARGET | OPT_WITH_SECRETS | OPT_ALL,
	.min_args = 1,
	.max_args = 1,
	.usage = "FILE [--node N] [--target plan|json|nft|pf|wg|routes|sysctl]"
		 " [--with-secrets]\n"
		 "       meshc compile FILE --all --out-dir DIR [--target T]",
	.summary = "print a node's compiled plan",
	.example = "meshc compile mesh.yaml --node b\n"
		   "meshc compile mesh.yaml --node b --target nft\n"
		   "meshc compile mesh.yaml --all --out-dir plans/ --target json",
};

/* --with-secrets: the private key comes from the node's key file, the
 * peers' preshared keys from the mesh's secret (both checked for owner
 * and mode), and they are wiped as soon as they are rendered.  The output
 * buffer is wiped at the end, so it must not move once a key is in it
 * (realloc would free a copy unwiped): it is sized first by rendering
 * with stand-ins of the keys' length. */
static int render_wg_with_secret(struct arena *a, struct strbuf *out,
				 const struct plan *p)
{
	char stand_in[WG_KEY_B64_LEN + 1];
	struct peer_psks psks, fake;
	struct secret_key key;
	size_t need;
	char *b64;
	int rc;

	rc = secret_key_read_file(p->iface.private_key_file, &key);
	if (rc)
		return rc;
	b64 = secret_key_to_base64(&key);
	secret_key_free(&key);
	if (!b64)
		return -1;
	rc = cmd_peer_psks(a, p, &psks);
	if (rc) {
		secret_string_free(b64);
		return rc;
	}
	memset(stand_in, 'A', WG_KEY_B64_LEN);
	stand_in[WG_KEY_B64_LEN] = '\0';
	cmd_peer_psks_stand_in(a, p, &fake);
	render_wg(out, p, stand_in, fake.b64);
	need = out->len + 1;
	strbuf_reset(out);
	while (out->cap <= need)
		strbuf_putc(out, ' ');
	strbuf_reset(out);
	render_wg(out, p, b64, psks.b64);
	secret_string_free(b64);
	cmd_peer_psks_free(&psks);
	/* No stdio buffer keeps a copy either. */
	setvbuf(stdout, NULL, _IONBF, 0);
	return 0;
}

static const char *const targets[] = { "plan", "json", "nft", "pf",
					"wg", "routes", "sysctl" };

/* Is target one of the targets?  Says so when not, with a hint. */
static bool target_known(const char *target)
{
	char hint[CMD_HINT_MAX];
	size_t n = sizeof(targets) / sizeof(*targets);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(target, targets[i]))
			return true;
	fprintf(stderr, "meshc compile: unknown target '%s'; expected plan, "
			"json, nft, pf, wg, routes or sysctl%s\n",
		target, cmd_did_you_mean(hint, sizeof(hint), target, targets, n));
	return false;
}

static int render_target(struct arena *a, struct strbuf *out,
			 const struct plan *p, const char *target,
			 bool with_secrets)
{
	if (with_secrets && strcmp(target, "wg") != 0) {
		fprintf(stderr, "meshc compile: --with-secrets only applies to "
				"--target wg\n");
		return -1;
	}
	if (!strcmp(target, "plan"))
		render_plan_text(out, p);
	else if (!strcmp(target, "json"))
		render_json(out, p);
	else if (!strcmp(target, "nft"))
		render_nft(out, p);
	else if (!strcmp(target, "pf"))
		render_pf(out, p);
	else if (!strcmp(target, "wg") && with_secrets)
		return render_wg_with_secret(a, out, p);
	else if (!strcmp(target, "wg"))
		render_wg(out, p, NULL, NULL);
	else if (!strcmp(target, "routes"))
		render_routes(out, p);
	else if (!strcmp(target, "sysctl"))
		render_sysctl(out, p);
	else
		return target_known(target) ? 0 : -1;
	return 0;
}

/* nft, pf, routes and sysctl are what meshc runs on the node itself; an
 * unmanaged node runs the WireGuard app, which takes none of them. */
static bool target_refused(const struct model *m, size_t idx,
			   const char *target)
{
	static const char *const host_only[] = { "nft", "pf", "routes",
						 "sysctl" };
	const struct m_node *n = &m->nodes[idx];

	if (model_node_managed(n))
		return false;
	for (size_t k = 0; k < sizeof(host_only) / sizeof(host_only[0]); k++) {
		if (strcmp(target, host_only[k]))
			continue;
		fprintf(stderr,
			"meshc compile: node '%s' is not managed (%s%s): it "
			"runs the WireGuard app, which takes no %s output; use "
			"'meshc export %s --node %s' for its configuration\n",
			n->name.v, n->managed.set ? "managed: false, platform "
						  : "platform ",
			platform_name(model_node_platform(n)), target, m->file,
			n->name.v);
		return true;
	}
	return false;
}

/* --all --out-dir DIR: every node from the one load, DIR/NODE.TARGET,
 * each written atomically; a node that cannot take the target (an
 * unmanaged node and nft, ...) is skipped and said so.  Each node's plan
 * is compiled, written and freed before the next, so memory stays that of
 * one plan.  Exit 1 when a file could not be written. */
static int compile_all(const struct model *m, const struct cmd_opts *o,
		       const char *target)
{
	size_t written = 0, skipped = 0;
	int rc = EXIT_OK;

	for (size_t i = 0; i < m->n_nodes; i++) {
		struct arena scratch;
		struct strbuf out = STRBUF_INIT;
		const char *path;

		if (target_refused(m, i, target)) {
			skipped++;
			continue;
		}
		arena_init(&scratch);
		path = arena_printf(&scratch, "%s/%s.%s", o->out_dir,
				    m->nodes[i].name.v, target);
		if (render_target(&scratch, &out, compile_node(&scratch, m, i),
				  target, false) ||
		    cmd_write_file(&scratch, "compile", path, &out))
			rc = EXIT_ERROR;
		else
			written++;
		strbuf_free(&out);
		arena_free(&scratch);
	}
	if (!o->quiet)
		fprintf(stderr, "meshc compile: wrote %zu %s of %zu to %s%s\n",
			written, plural(written, "file", "files"), m->n_nodes,
			o->out_dir, skipped ? " (the others: see above)" : "");
	return rc;
}

/* The --all form's option rules; 0, or 1 after saying why. */
static int all_opts_check(const struct cmd_opts *o)
{
	const char *why = NULL;

	if (o->all && !o->out_dir)
		why = "--all needs --out-dir DIR";
	else if (!o->all && o->out_dir)
		why = "--out-dir is for --all";
	else if (o->all && o->node)
		why = "give --node N or --all, not both";
	else if (o->all && o->with_secrets)
		why = "--with-secrets prints one node's keys; it does not go "
		      "with --all";
	if (!why)
		return 0;
	fprintf(stderr, "meshc compile: %s\n", why);
	cmd_usage(stderr, &compile_spec);
	return 1;
}

int cmd_compile(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct strbuf out = STRBUF_INIT;
	struct doc doc;
	size_t idx;
	int rc = cmd_parse(argc, argv, &compile_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	if (all_opts_check(&o))
		return EXIT_ERROR;
	arena_init(&arena);
	rc = EXIT_ERROR;
	if (!doc_load(&arena, o.args[0], &o, &doc))
		goto out_free;
	if (o.all) {
		if (target_known(o.target ? o.target : "plan"))
			rc = compile_all(doc.model, &o,
					 o.target ? o.target : "plan");
		goto out_free;
	}
	idx = cmd_select_node(doc.model, &o);
	if (idx == MODEL_NONE)
		goto out_free;
	/* Output goes out as it is rendered, except a secret (it must not
	 * pass through stdio buffers that are never wiped) and the text plan
	 * (its renderer measures and trims what it has just written). */
	if (o.target && target_refused(doc.model, idx, o.target))
		goto out_free;
	if (!o.with_secrets && o.target && strcmp(o.target, "plan") != 0)
		strbuf_stream_to(&out, stdout);
	if (render_target(&arena, &out, compile_node(&arena, doc.model, idx),
			  o.target ? o.target : "plan", o.with_secrets))
		goto out_free;
	if (strbuf_write(&out, stdout) == 0)
		rc = EXIT_OK;
out_free:
	if (o.with_secrets)
		secret_wipe(out.buf, out.cap);
	strbuf_free(&out);
	arena_free(&arena);
	return rc;
}
