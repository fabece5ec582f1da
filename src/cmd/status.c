/* status.c - meshc status [FILE] [--node N] [--format text|json|prometheus]
 *
 * Who is connected, since when, and does the live node still match its
 * document: per interface, its peers by node name (endpoint, latest
 * handshake, bytes, direct or relayed, the grants this node gives them)
 * and the drift, which is exactly what `meshc diff FILE` would show (the
 * same read and the same diff engine, apply_status).  Exit 0 in step, 2
 * drift, 1 error.
 *
 * Without FILE: every interface of this network namespace that meshc
 * applied, each with the document its last apply recorded.
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply/apply.h"
#include "base/strbuf.h"
#include "status/status.h"

const struct cmd_spec status_spec = {
	.name = "status",
	.options = OPT_NODE | OPT_FORMAT_NAME,
	.min_args = 0,
	.max_args = 1,
	.usage = "[FILE] [--node N] [--format text|json|prometheus]\n"
		 "  without FILE: every interface meshc applied in this "
		 "network namespace,\n"
		 "  with the document its last apply recorded\n"
		 "  exit 0: in step with the document; 2: drift; 1: error",
	.formats = "text|json|prometheus",
	.summary = "peers, handshakes and drift of this node",
	.example = "meshc status\n"
		   "meshc status mesh.yaml --format prometheus > meshc.prom",
};

enum status_format { STATUS_TEXT, STATUS_JSON, STATUS_PROMETHEUS };

struct status_run {
	struct arena *a;
	const struct cmd_opts *o;
	struct status_report report;
	size_t cap;
	bool failed;
};

/* The device's peers as status takes them. */
static struct status_live_peer *live_peers(struct arena *a,
					   const struct wg_device_state *d)
{
	struct status_live_peer *v = arena_calloc(a, d->n_peers + 1,
						  sizeof(*v));

	for (size_t i = 0; i < d->n_peers; i++) {
		const struct wg_peer_state *p = &d->peers[i];

		memcpy(v[i].public_key, p->public_key, WG_KEY_LEN);
		v[i].endpoint = p->endpoint[0] ? p->endpoint : NULL;
		v[i].last_handshake = p->last_handshake_sec;
		v[i].rx_bytes = p->rx_bytes;
		v[i].tx_bytes = p->tx_bytes;
	}
	return v;
}

static bool already_done(const struct status_run *r, const char *iface)
{
	for (size_t i = 0; i < r->report.n_ifaces; i++)
		if (!strcmp(r->report.ifaces[i].interface, iface))
			return true;
	return false;
}

/* Node idx of m on this machine: read, diffed, added to the report.
 * False after an error was reported. */
static bool status_node(struct status_run *r, const struct model *m,
			size_t idx, const char *document)
{
	struct plan *want = cmd_compile_linux(r->a, r->o, m, idx);
	struct live *lv = arena_alloc(r->a, sizeof(*lv));
	struct changeset *cs = arena_alloc(r->a, sizeof(*cs));
	const struct plan *target = NULL;
	struct status_iface *s;
	enum apply_result res;

	if (!want)
		return false;
	if (already_done(r, want->iface.name))
		return true;
	res = apply_status(r->a, want, lv, &target, cs);
	if (res == APPLY_FAILED)
		return false;
	s = arena_push(r->a, &r->report.ifaces, &r->report.n_ifaces, &r->cap,
		       sizeof(*s));
	s->interface = want->iface.name;
	s->node = want->node;
	s->mesh = want->mesh;
	s->document = document;
	s->exists = lv->link.exists;
	status_peers_build(r->a, m, idx, want,
			   live_peers(r->a, &lv->device), lv->device.n_peers,
			   s);
	s->drift = (struct node_diff){ want->node, &lv->plan, target, cs };
	s->drifted = res == APPLY_CHANGED;
	return true;
}

/* meshc status FILE: the node this machine is in FILE (cli.md). */
static void status_file(struct status_run *r, const char *path)
{
	struct doc doc;
	size_t idx;

	if (!doc_load(r->a, path, r->o, &doc) ||
	    (idx = cmd_select_node(doc.model, r->o)) == MODEL_NONE ||
	    !status_node(r, doc.model, idx, path))
		r->failed = true;
}

/* One interface meshc applied: its recorded document, and in it the node
 * this machine is (with --node: only that node, when it is the one that
 * uses the interface). */
static void status_recorded(struct status_run *r, const char *iface,
			    const char *path)
{
	struct doc doc;
	const struct model *m;
	size_t idx;

	if (!doc_load(r->a, path, r->o, &doc)) {
		fprintf(stderr, "meshc status: %s: the document of %s's last "
				"apply does not load\n",
			path, iface);
		r->failed = true;
		return;
	}
	m = doc.model;
	if (r->o->node) {
		idx = model_node_find(m, r->o->node);
		if (idx == MODEL_NONE ||
		    strcmp(model_node_interface(m, &m->nodes[idx]), iface))
			return;
	} else if ((idx = cmd_select_node(m, r->o)) == MODEL_NONE) {
		r->failed = true;
		return;
	}
	if (strcmp(model_node_interface(m, &m->nodes[idx]), iface))
		fprintf(stderr, "meshc status: %s was applied from %s, whose "
				"node '%s' now uses interface %s: run meshc "
				"down for %s with the old document\n",
			iface, path, m->nodes[idx].name.v,
			model_node_interface(m, &m->nodes[idx]), iface);
	if (!status_node(r, m, idx, path))
		r->failed = true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void status_all(struct status_run *r)
{
	const char **names;
	size_t n = state_interfaces(r->a, &names);

	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		const char *doc = state_recorded_document(r->a, names[i]);

		if (doc)
			status_recorded(r, names[i], doc);
	}
	if (r->report.n_ifaces || r->failed)
		return;
	if (r->o->node)
		fprintf(stderr, "meshc status: no interface in this network "
				"namespace was applied for node '%s' (give "
				"FILE)\n",
			r->o->node);
	else
		fprintf(stderr, "meshc status: meshc has applied no interface "
				"in this network namespace (give FILE)\n");
	r->failed = true;
}

static int parse_format(const struct cmd_opts *o, enum status_format *f)
{
	static const char *const formats[] = { "text", "json", "prometheus" };
	const char *name = o->format_name ? o->format_name : "text";
	char hint[CMD_HINT_MAX];

	if (!strcmp(name, "text"))
		*f = STATUS_TEXT;
	else if (!strcmp(name, "json"))
		*f = STATUS_JSON;
	else if (!strcmp(name, "prometheus"))
		*f = STATUS_PROMETHEUS;
	else {
		fprintf(stderr, "meshc status: --format: '%s' is not text, "
				"json or prometheus%s\n",
			name, cmd_did_you_mean(hint, sizeof(hint), name,
					       formats, 3));
		cmd_usage(stderr, &status_spec);
		return 1;
	}
	return 0;
}

static int status_print(const struct status_run *r, enum status_format f)
{
	struct strbuf out = STRBUF_INIT;
	int rc;

	if (f == STATUS_JSON)
		status_render_json(&out, &r->report);
	else if (f == STATUS_PROMETHEUS)
		status_render_prometheus(&out, &r->report);
	else
		status_render_text(&out, &r->report,
				   cmd_use_color(r->o, stdout));
	rc = strbuf_write(&out, stdout);
	strbuf_free(&out);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct status_run r = { .a = &arena, .o = &o };
	enum status_format f;
	bool drift = false;
	int rc = cmd_parse(argc, argv, &status_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	if (parse_format(&o, &f))
		return EXIT_ERROR;
	arena_init(&arena);
	r.report.now = (int64_t)time(NULL);
	if (o.n_args)
		status_file(&r, o.args[0]);
	else
		status_all(&r);
	/* what could be read is shown, also when another part failed */
	if ((r.report.n_ifaces || f != STATUS_TEXT) && status_print(&r, f))
		r.failed = true;
	for (size_t i = 0; i < r.report.n_ifaces; i++)
		drift |= r.report.ifaces[i].drifted;
	arena_free(&arena);
	return r.failed ? EXIT_ERROR : drift ? EXIT_DIFFERENT : EXIT_OK;
}
