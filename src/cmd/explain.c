/* explain.c - meshc explain FILE FROM TO: why FROM can or cannot reach
 * TO, hop by hop through the compiled plans.  The verdict is the first
 * word; the exit code is 0 either way. */
#include "cmd/cmd.h"

#include <string.h>

#include "base/strbuf.h"
#include "eval/eval.h"

/* The report of --format json: schemas/meshc-explain.schema.json */
#define EXPLAIN_JSON_FORMAT "meshc-explain"
#define EXPLAIN_JSON_VERSION 1

const struct cmd_spec explain_spec = {
	.name = "explain",
	.options = OPT_FORMAT,
	.min_args = 3,
	.max_args = 4,
	.usage = "FILE FROM TO [SERVICE] [--format text|json]\n"
		 "  TO: a node name, an IP address, internet or lan:NODE\n"
		 "  SERVICE: tcp/N, udp/N or icmp (default: every service)",
	.summary = "why FROM can or cannot reach TO",
	.example = "meshc explain mesh.yaml laptop lan:home\n"
		   "meshc explain mesh.yaml phone internet\n"
		   "meshc explain mesh.yaml phone 192.168.1.10 tcp/443",
};

static void json_key_string(struct strbuf *sb, const char *key,
			    const char *s)
{
	strbuf_printf(sb, "  \"%s\": ", key);
	if (s)
		strbuf_json_string(sb, s);
	else
		strbuf_puts(sb, "null");
	strbuf_puts(sb, ",\n");
}

static void json_loc(struct strbuf *sb, struct loc loc)
{
	if (!loc_known(loc)) {
		strbuf_puts(sb, "\"file\": null, \"line\": null");
		return;
	}
	strbuf_puts(sb, "\"file\": ");
	strbuf_json_string(sb, loc.file ? loc.file : "");
	strbuf_printf(sb, ", \"line\": %u", loc.line);
}

static void print_json(struct strbuf *sb, const char *file, const char *from,
		       const char *to, bool service,
		       const struct eval_result *r)
{
	const struct fw_rule *rule = r->deciding_rule;
	char addr[IP_STRLEN], buf[SVC_STRLEN];

	cmd_json_head(sb, EXPLAIN_JSON_FORMAT, EXPLAIN_JSON_VERSION);
	json_key_string(sb, "file", file);
	json_key_string(sb, "from", from);
	json_key_string(sb, "to", to);
	json_key_string(sb, "address", ip_addr_str(&r->daddr, addr));
	json_key_string(sb, "verdict",
			r->partial ? "partial" : r->allow ? "allow" : "deny");
	json_key_string(sb, "service",
			service ? svc_str(&r->svc, buf) : NULL);
	json_key_string(sb, "open", r->partial ? r->open : NULL);
	json_key_string(sb, "summary", r->summary);
	json_key_string(sb, "reason", r->reason);
	if (rule && rule->spec_rule)
		strbuf_printf(sb, "  \"rule\": %d,\n", rule->spec_rule);
	else
		strbuf_puts(sb, "  \"rule\": null,\n");
	json_key_string(sb, "rule_id", rule ? rule->id : NULL);
	json_key_string(sb, "node", r->deciding_node);
	if (loc_known(r->deciding_loc))
		strbuf_printf(sb, "  \"line\": %u,\n", r->deciding_loc.line);
	else
		strbuf_puts(sb, "  \"line\": null,\n");
	strbuf_puts(sb, "  \"steps\": [");
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct eval_step *s = &r->steps[i];

		strbuf_puts(sb, i ? ",\n    {\"node\": " : "\n    {\"node\": ");
		if (s->node)
			strbuf_json_string(sb, s->node);
		else
			strbuf_puts(sb, "null");
		strbuf_puts(sb, ", \"text\": ");
		strbuf_json_string(sb, s->text);
		strbuf_puts(sb, ", ");
		json_loc(sb, s->loc);
		strbuf_putc(sb, '}');
	}
	strbuf_puts(sb, r->n_steps ? "\n  ]\n}\n" : "]\n}\n");
}

int cmd_explain(int argc, char **argv)
{
	struct cmd_opts o;
	struct arena arena;
	struct strbuf out = STRBUF_INIT;
	struct doc doc;
	struct plan_cache cache;
	struct eval_target target;
	struct eval_result res;
	struct fw_service svc;
	const char *why, *hint;
	char hbuf[2 * SVC_STRLEN];
	size_t from;
	int rc = cmd_parse(argc, argv, &explain_spec, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : EXIT_ERROR;
	arena_init(&arena);
	rc = EXIT_ERROR;
	if (!doc_load(&arena, o.args[0], &o, &doc))
		goto out_free;
	from = cmd_node_by_name(doc.model, o.args[1], doc.src.name);
	if (from == MODEL_NONE)
		goto out_free;
	if (eval_target_parse(&arena, doc.model, o.args[2], &target, &why)) {
		fprintf(stderr, "meshc: %s: %s\n", doc.src.name, why);
		goto out_free;
	}
	if (o.n_args > 3 && svc_parse_single(o.args[3], &svc, &why, &hint,
					     hbuf, sizeof(hbuf))) {
		fprintf(stderr, "meshc: '%s' is not a service: %s%s%s%s\n",
			o.args[3], why, hint ? "; did you mean " : "",
			hint ? hint : "", hint ? "?" : "");
		goto out_free;
	}
	plan_cache_init(&cache, &arena, doc.model);
	if ((o.n_args > 3 ? eval_reach_service(&arena, doc.model, from,
					       &target, &svc, plan_cache_get,
					       &cache, &res)
			  : eval_reach(&arena, doc.model, from, &target,
				       plan_cache_get, &cache, &res))) {
		fprintf(stderr, "meshc: %s: %s\n", doc.src.name,
			res.summary ? res.summary : "evaluation failed");
		goto out_free;
	}
	if (o.format == FORMAT_JSON) {
		print_json(&out, doc.src.name, o.args[1], o.args[2],
			   o.n_args > 3, &res);
	} else {
		strbuf_printf(&out, "%s\n", res.summary);
		eval_steps_text(&out, &arena, &res, "  ");
	}
	if (strbuf_write(&out, stdout) == 0)
		rc = EXIT_OK;
out_free:
	strbuf_free(&out);
	arena_free(&arena);
	return rc;
}
