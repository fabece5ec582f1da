/* render_json.c - meshc status --format json, the layout that
 * schemas/meshc-status.schema.json describes: exact numbers (bytes, unix
 * times), nulls for what is not there, and the drift as the change
 * objects of `meshc diff --format json`. */
#include "status/status.h"

#include <inttypes.h>

static void json_str(struct strbuf *out, const char *s)
{
	if (s)
		strbuf_json_string(out, s);
	else
		strbuf_puts(out, "null");
}

static const char *json_bool(bool v)
{
	return v ? "true" : "false";
}

static void json_peer(struct strbuf *out, const struct status_peer *p,
		      int64_t now)
{
	strbuf_puts(out, "{\n          \"node\": ");
	json_str(out, p->node);
	strbuf_printf(out, ",\n          \"public_key\": \"%s\",\n"
			   "          \"known\": %s,\n"
			   "          \"on_device\": %s,\n"
			   "          \"endpoint\": ",
		      p->public_key, json_bool(p->node),
		      json_bool(p->on_device));
	json_str(out, p->on_device ? p->endpoint : NULL);
	strbuf_puts(out, ",\n          \"latest_handshake\": ");
	if (p->on_device && p->last_handshake > 0)
		strbuf_printf(out, "%" PRId64 ",\n          "
				   "\"latest_handshake_age_seconds\": %" PRId64,
			      p->last_handshake,
			      now > p->last_handshake ? now - p->last_handshake
						      : 0);
	else
		strbuf_puts(out, "null,\n          "
				 "\"latest_handshake_age_seconds\": null");
	if (p->on_device)
		strbuf_printf(out, ",\n          \"receive_bytes\": %" PRIu64
				   ",\n          \"transmit_bytes\": %" PRIu64,
			      p->rx_bytes, p->tx_bytes);
	else
		strbuf_puts(out, ",\n          \"receive_bytes\": null"
				 ",\n          \"transmit_bytes\": null");
	strbuf_printf(out, ",\n          \"via\": \"%s\",\n          "
			   "\"relay\": ",
		      p->relay ? "relay" : "direct");
	json_str(out, p->relay);
	strbuf_puts(out, ",\n          \"grants\": ");
	if (p->node)
		strbuf_printf(out, "{\"incoming\": %s, \"routing\": %s, "
				   "\"local_network\": %s}",
			      json_bool(p->incoming), json_bool(p->routing),
			      json_bool(p->local_network));
	else
		strbuf_puts(out, "null");
	strbuf_puts(out, "\n        }");
}

static void json_iface(struct strbuf *out, const struct status_iface *s,
		       int64_t now)
{
	strbuf_puts(out, "{\n      \"interface\": ");
	json_str(out, s->interface);
	strbuf_puts(out, ",\n      \"node\": ");
	json_str(out, s->node);
	strbuf_puts(out, ",\n      \"mesh\": ");
	json_str(out, s->mesh);
	strbuf_puts(out, ",\n      \"document\": ");
	json_str(out, s->document);
	strbuf_printf(out, ",\n      \"exists\": %s,\n"
			   "      \"device_peers\": %zu,\n      \"peers\": [",
		      json_bool(s->exists), s->n_device_peers);
	for (size_t i = 0; i < s->n_peers; i++) {
		strbuf_puts(out, i ? ", " : "\n        ");
		json_peer(out, &s->peers[i], now);
	}
	strbuf_printf(out, "%s],\n      \"drift\": %s,\n      \"changes\": ",
		      s->n_peers ? "\n      " : "", json_bool(s->drifted));
	if (s->drifted)
		diff_render_json_changes(out, &s->drift);
	else
		strbuf_puts(out, "[]");
	strbuf_puts(out, "\n    }");
}

void status_render_json(struct strbuf *out, const struct status_report *r)
{
	bool drift = false;

	strbuf_printf(out, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n"
			   "  \"time\": %" PRId64 ",\n  \"interfaces\": [",
		      STATUS_JSON_FORMAT, STATUS_JSON_VERSION, r->now);
	for (size_t i = 0; i < r->n_ifaces; i++) {
		strbuf_puts(out, i ? ", " : "\n    ");
		json_iface(out, &r->ifaces[i], r->now);
		drift |= r->ifaces[i].drifted;
	}
	strbuf_printf(out, "%s],\n  \"drift\": %s\n}\n",
		      r->n_ifaces ? "\n  " : "", json_bool(drift));
}
