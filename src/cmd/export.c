/* export.c - meshc export FILE --node N [--format conf|qr|png]
 *                 [--private-key-file PATH] [-o OUT]
 *            meshc export FILE --all --out-dir DIR [--format conf|png]
 *
 * A node's configuration for the official WireGuard apps: a wg-quick(8)
 * file (conf), the same text as a QR code on the terminal (qr) or as a
 * PNG (png).  It holds the node's private key and its peers' preshared
 * keys, so it is only written whole (never without a key: an app could
 * not import it, or not connect), to files of mode 0600 created beside
 * the target and renamed over it, never through a symbolic link or over
 * another user's file.  Every buffer that held a key is wiped.
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/secret.h"
#include "base/strbuf.h"
#include "compile/compile.h"
#include "render/qr.h"
#include "render/render.h"

const struct cmd_spec export_spec = {
	.name = "export",
	.options = OPT_NODE | OPT_FORMAT_NAME | OPT_OUTPUT | OPT_ALL |
		   OPT_KEY_FILE,
	.min_args = 1,
	.max_args = 1,
	.usage = "FILE --node N [--format conf|qr|png] "
		 "[--private-key-file PATH] [-o OUT]\n"
		 "       meshc export FILE --all --out-dir DIR "
		 "[--format conf|png]",
	.formats = "conf|qr|png",
	.summary = "a node's file for the WireGuard apps (or QR)",
	.example = "meshc export mesh.yaml --node phone --format qr\n"
		   "meshc export mesh.yaml --all --out-dir exported/",
};

enum export_format { EXPORT_CONF, EXPORT_QR, EXPORT_PNG };

/* ListenPort only where the node needs a fixed one: it has an endpoint
 * others dial, or the document sets a port.  Otherwise the app picks. */
static uint16_t export_listen_port(const struct model *m, size_t idx)
{
	const struct m_node *n = &m->nodes[idx];

	if (!n->endpoint.set && !n->listen_port.set &&
	    !m->meshes[n->mesh_idx].listen_port.set)
		return 0;
	return model_node_listen_port(m, n);
}

static void export_key_hint(const char *node)
{
	fprintf(stderr,
		"meshc export: the file for '%s' needs its private key: give "
		"it with --private-key-file PATH or the node's "
		"private_key_file (make one with `meshc genkey > %s.key`, "
		"chmod 600, and put `meshc pubkey < %s.key` in its "
		"public_key)\n",
		node, node, node);
}

/* The node's private key in base64 (sodium memory), checked like apply
 * checks it: owner, mode, and that it is the key of the node's
 * public_key.  NULL after saying why and how to give one. */
static char *export_private_key(const struct model *m, size_t idx,
				const char *key_file)
{
	const struct m_node *n = &m->nodes[idx];
	struct secret_key key;
	uint8_t pub[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN + 1];
	char *text;

	if (!key_file && n->private_key_file.set)
		key_file = n->private_key_file.v;
	if (!key_file) {
		fprintf(stderr, "meshc export: node '%s' has no "
				"private_key_file\n", n->name.v);
		goto out_hint;
	}
	if (secret_key_read_file(key_file, &key))
		goto out_hint;
	secret_key_public(&key, pub);
	key_to_base64(pub, b64);
	if (strcmp(b64, n->public_key.b64) != 0) {
		fprintf(stderr,
			"meshc export: %s holds the key of public key %s, but "
			"node '%s' has public_key %s in %s\n",
			key_file, b64, n->name.v, n->public_key.b64, m->file);
		secret_key_free(&key);
		goto out_hint;
	}
	text = secret_key_to_base64(&key);
	secret_key_free(&key);
	return text;
out_hint:
	export_key_hint(n->name.v);
	return NULL;
}

/* The conf text, in a buffer sized before the keys go in (a realloc
 * would free a copy of them unwiped): rendered once with stand-in keys of
 * the same length, then again with the keys. */
static void export_conf(struct arena *a, struct strbuf *out,
			const struct plan *p, struct wgquick_extra *x,
			const char *key_b64, const struct peer_psks *psks)
{
	char stand_in[WG_KEY_B64_LEN + 1];
	struct peer_psks fake;
	size_t need;

	memset(stand_in, 'A', WG_KEY_B64_LEN);
	stand_in[WG_KEY_B64_LEN] = '\0';
	cmd_peer_psks_stand_in(a, p, &fake);
	x->private_key_b64 = stand_in;
	x->psk_b64 = fake.b64;
	render_wgquick(out, p, x);
	need = out->len + 1;
	strbuf_reset(out);
	while (out->cap <= need)
		strbuf_putc(out, ' ');
	strbuf_reset(out);
	x->private_key_b64 = key_b64;
	x->psk_b64 = psks->b64;
	render_wgquick(out, p, x);
	x->private_key_b64 = NULL;
	x->psk_b64 = NULL;
}

/* Render one node in `format` into out (wiped by the caller).  0 or -1
 * after saying why. */
static int export_render(struct arena *a, struct strbuf *out,
			 const struct model *m, size_t idx,
			 const struct plan *p, enum export_format format,
			 const char *key_file)
{
	struct wgquick_extra x = {
		.listen_port = export_listen_port(m, idx),
	};
	struct strbuf conf = STRBUF_INIT;
	struct peer_psks psks;
	char *key = export_private_key(m, idx, key_file);
	int err = 0;

	if (!key)
		return -1;
	/* a file without the peers' preshared keys would not connect */
	if (cmd_peer_psks(a, p, &psks)) {
		fprintf(stderr, "meshc export: the file for '%s' needs the "
				"mesh's preshared_key_file (above) on this "
				"host\n",
			m->nodes[idx].name.v);
		secret_string_free(key);
		return -1;
	}
	if (model_node_managed(&m->nodes[idx]))
		fprintf(stderr,
			"meshc export: warning: node '%s' is managed (%s): "
			"meshc enforces its grants there (%s); the exported "
			"file does not (it has no firewall)\n",
			m->nodes[idx].name.v, platform_name(p->platform),
			p->platform == PLATFORM_MACOS ? "its pf anchor"
						      : "`meshc apply`");
	if (format == EXPORT_CONF) {
		export_conf(a, out, p, &x, key, &psks);
	} else {
		export_conf(a, &conf, p, &x, key, &psks);
		err = format == EXPORT_QR ? render_qr_term(out, conf.buf)
					  : render_qr_png(out, conf.buf);
		if (err)
			fprintf(stderr, "meshc export: node '%s': cannot make "
					"a QR code: %s\n",
				m->nodes[idx].name.v,
				err == -EFBIG ? "the configuration is too "
						"long for one"
					      : strerror(-err));
	}
	secret_string_free(key);
	cmd_peer_psks_free(&psks);
	secret_wipe(conf.buf, conf.cap);
	strbuf_free(&conf);
	return err ? -1 : 0;
}

static int export_one(struct arena *a, const struct cmd_opts *o,
		      const struct model *m, enum export_format format)
{
	struct strbuf out = STRBUF_INIT;
	size_t idx = cmd_node_by_name(m, o->node, m->file);
	int rc = EXIT_ERROR;

	if (idx == MODEL_NONE)
		return EXIT_ERROR;
	if (export_render(a, &out, m, idx, compile_node(a, m, idx), format,
			  o->private_key_file))
		goto out_wipe;
	if (o->output && strcmp(o->output, "-") != 0) {
		if (cmd_write_file(a, "export", o->output, &out) == 0)
			rc = EXIT_OK;
	} else {
		/* No stdio buffer keeps a copy of the key. */
		setvbuf(stdout, NULL, _IONBF, 0);
		if (strbuf_write(&out, stdout) == 0)
			rc = EXIT_OK;
	}
out_wipe:
	secret_wipe(out.buf, out.cap);
	strbuf_free(&out);
	return rc;
}

/* Every node, DIR/NODE.conf or DIR/NODE.png; a node without a readable
 * key is reported and the others are still written.  Exit 1 when any
 * node failed. */
static int export_all(struct arena *a, const struct cmd_opts *o,
		      const struct model *m, enum export_format format)
{
	const char *ext = format == EXPORT_PNG ? "png" : "conf";
	int rc = EXIT_OK;

	for (size_t i = 0; i < m->n_nodes; i++) {
		struct strbuf out = STRBUF_INIT;
		const char *path = arena_printf(a, "%s/%s.%s", o->out_dir,
						m->nodes[i].name.v, ext);

		if (export_render(a, &out, m, i, compile_node(a, m, i), format,
				  NULL) ||
		    cmd_write_file(a, "export", path, &out))
			rc = EXIT_ERROR;
		secret_wipe(out.buf, out.cap);
		strbuf_free(&out);
	}
	return rc;
}

/* The option combinations of the two forms; 0 or 1 after a usage error. */
static int export_check_opts(const struct cmd_opts *o,
			     enum export_format *format)
{
	static const char *const formats[] = { "conf", "qr", "png" };
	const char *f = o->format_name ? o->format_name : "conf";
	const char *why = NULL;
	char hint[CMD_HINT_MAX];

	*format = !strcmp(f, "qr") ? EXPORT_QR
		  : !strcmp(f, "png") ? EXPORT_PNG : EXPORT_CONF;
	if (strcmp(f, "conf") && strcmp(f, "qr") && strcmp(f, "png"))
		why = cmd_did_you_mean(hint, sizeof(hint), f, formats, 3);
	else if (o->all && o->node)
		why = "give --node N or --all, not both";
	else if (!o->all && !o->node)
		why = "which node? give --node N (or --all --out-dir DIR)";
	else if (o->all && !o->out_dir)
		why = "--all needs --out-dir DIR";
	else if (o->all && (o->output || o->private_key_file))
		why = "--all writes DIR/NODE.conf with each node's own "
		      "private_key_file; -o and --private-key-file are for "
		      "--node";
	else if (o->all && *format == EXPORT_QR)
		why = "--all writes files: --format conf or png";
	else if (!o->all && o->out_dir)
		why = "--out-dir is for --all; use -o OUT with --node";
	else if (*format == EXPORT_PNG && !o->all &&
		 (!o->output || !strcmp(o->output, "-")))
		why = "--format png needs -o OUT.png";
	if (!why)
		return 0;
	if (why == hint)
		fprintf(stderr, "meshc export: --format: '%s' is not conf, qr "
				"or png%s\n",
			f, hint);
	else
		fprintf(stderr, "meshc export: %s\n", why);
	cmd_usage(stderr, &export_spec);
	return 1;
}

int cmd_export(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct doc doc;
	enum export_format format = EXPORT_CONF;
	int rc = cmd_parse(argc, argv, &export_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	if (export_check_opts(&o, &format))
		return EXIT_ERROR;
	arena_init(&arena);
	rc = EXIT_ERROR;
	if (doc_load(&arena, o.args[0], &o, &doc))
		rc = o.all ? export_all(&arena, &o, doc.model, format)
			   : export_one(&arena, &o, doc.model, format);
	arena_free(&arena);
	return rc;
}
