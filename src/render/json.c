/* json.c - the plan as one JSON object (`compile --target json`).
 *
 * The format is documented and versioned by
 * schemas/meshc-plan.schema.json: fixed field order, two-space indent,
 * every field always present (null when it has no value), every set
 * always present, so a consumer never guesses and a diff of two
 * renderings shows only what changed.  Document lines are given as
 * "line" (0 when unknown) without file names; the document is named once
 * at the top.  No private or preshared key is ever written here.
 */
#include "render/render.h"

#include "render/util.h"

#define JW_MAX_DEPTH 8	/* the deepest nesting of the format is 5 */

struct jw {
	struct strbuf *out;
	int depth;
	bool empty[JW_MAX_DEPTH];	/* nothing written yet at this depth */
};

/* Newline and two spaces per level. */
static void jw_indent(struct jw *w, int depth)
{
	static const char nl_spaces[] = "\n" "                "; /* 2 x 8 */

	strbuf_add(w->out, nl_spaces, 1 + 2 * (size_t)depth);
}

/* Separator, indent and key before a value at the current depth.  Keys
 * are this file's own literals (plain ASCII), so they need no escaping.
 * The pieces are put together here and appended as one: this runs 500,000
 * times for 10,000 peers, and one append per piece was a tenth of the
 * JSON's cost. */
static void jw_key(struct jw *w, const char *key)
{
	char tmp[64];
	size_t n = 0, klen = key ? strlen(key) : 0;

	if (klen > sizeof(tmp) - 2 * JW_MAX_DEPTH - 8) {
		/* not one of ours; never happens, but stay correct */
		jw_key(w, NULL);
		strbuf_putc(w->out, '"');
		strbuf_puts(w->out, key);
		strbuf_add(w->out, "\": ", 3);
		return;
	}
	if (w->depth > 0) {
		if (!w->empty[w->depth])
			tmp[n++] = ',';
		w->empty[w->depth] = false;
		tmp[n++] = '\n';
		memset(tmp + n, ' ', 2 * (size_t)w->depth);
		n += 2 * (size_t)w->depth;
	}
	if (key) {
		tmp[n++] = '"';
		memcpy(tmp + n, key, klen);
		n += klen;
		memcpy(tmp + n, "\": ", 3);
		n += 3;
	}
	strbuf_add(w->out, tmp, n);
}

static void jw_open(struct jw *w, const char *key, char bracket)
{
	jw_key(w, key);
	strbuf_putc(w->out, bracket);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	w->empty[w->depth] = true;
}

static void jw_close(struct jw *w, char bracket)
{
	bool empty = w->empty[w->depth];

	if (w->depth > 0)
		w->depth--;
	if (!empty)
		jw_indent(w, w->depth);
	strbuf_putc(w->out, bracket);
}

static void jw_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s)
		strbuf_json_string(w->out, s);
	else
		strbuf_puts(w->out, "null");
}

static void jw_uint(struct jw *w, const char *key, unsigned long v)
{
	jw_key(w, key);
	strbuf_put_uint(w->out, v);
}

static void jw_int(struct jw *w, const char *key, long v)
{
	jw_key(w, key);
	strbuf_printf(w->out, "%ld", v);
}

static void jw_bool(struct jw *w, const char *key, bool v)
{
	jw_key(w, key);
	strbuf_puts(w->out, v ? "true" : "false");
}

/* An address's text is digits, dots, colons and a slash: it goes out
 * quoted as it is, without strbuf_json_string's scan (60,000 of them at
 * 10,000 peers). */
static void jw_prefix(struct jw *w, const char *key, const struct ip_prefix *p)
{
	char buf[IP_STRLEN + 2];
	size_t n;

	jw_key(w, key);
	buf[0] = '"';
	n = strlen(ip_prefix_str(p, buf + 1));
	buf[n + 1] = '"';
	strbuf_add(w->out, buf, n + 2);
}

static void json_interface(struct jw *w, const struct plan_interface *i)
{
	jw_open(w, "interface", '{');
	jw_str(w, "name", i->name);
	jw_str(w, "public_key", i->public_key[0] ? i->public_key : NULL);
	jw_uint(w, "listen_port", i->listen_port);
	jw_str(w, "private_key_file", i->private_key_file);
	jw_uint(w, "fwmark", i->fwmark);
	jw_uint(w, "policy_mark", i->policy_mark);
	jw_open(w, "addresses", '[');
	for (size_t k = 0; k < i->n_addresses; k++)
		jw_prefix(w, NULL, &i->addresses[k].addr);
	jw_close(w, ']');
	if (i->mtu)
		jw_uint(w, "mtu", i->mtu);
	else
		jw_str(w, "mtu", NULL);
	jw_open(w, "dns", '[');
	for (size_t k = 0; k < i->n_dns; k++)
		jw_str(w, NULL, i->dns[k].entry);
	jw_close(w, ']');
	jw_close(w, '}');
}

static void json_peers(struct jw *w, const struct plan *p)
{
	jw_open(w, "peers", '[');
	for (size_t i = 0; i < p->n_peers; i++) {
		const struct plan_peer *peer = &p->peers[i];

		jw_open(w, NULL, '{');
		jw_str(w, "name", peer->name);
		jw_str(w, "public_key", peer->public_key);
		jw_str(w, "endpoint", peer->endpoint);
		jw_uint(w, "keepalive", peer->keepalive);
		jw_str(w, "preshared_key_file", peer->preshared_key_file);
		jw_open(w, "allowed_ips", '[');
		for (size_t k = 0; k < peer->n_allowed_ips; k++) {
			const struct plan_allowed_ip *a = &peer->allowed_ips[k];

			jw_open(w, NULL, '{');
			jw_prefix(w, "prefix", &a->prefix);
			jw_str(w, "why", plan_allowed_why_name(a->why));
			jw_close(w, '}');
		}
		jw_close(w, ']');
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void json_routes(struct jw *w, const struct plan *p)
{
	jw_open(w, "routes", '[');
	for (size_t i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];

		jw_open(w, NULL, '{');
		jw_prefix(w, "dst", &r->dst);
		jw_uint(w, "table", r->table);
		jw_str(w, "dev", render_route_dev(p, r));
		jw_str(w, "why", r->why);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void json_rules(struct jw *w, const struct plan *p)
{
	jw_open(w, "rules", '[');
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct plan_rule *r = &p->rules[i];

		jw_open(w, NULL, '{');
		jw_uint(w, "family", r->family);
		jw_uint(w, "priority", r->priority);
		jw_uint(w, "table", r->table);
		jw_uint(w, "fwmark", r->fwmark);
		jw_bool(w, "invert", r->invert);
		if (r->suppress_prefixlen >= 0)
			jw_int(w, "suppress_prefixlen", r->suppress_prefixlen);
		else
			jw_str(w, "suppress_prefixlen", NULL);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void json_sysctls(struct jw *w, const struct plan *p)
{
	jw_open(w, "sysctls", '[');
	for (size_t i = 0; i < p->n_sysctls; i++) {
		const struct plan_sysctl *s = &p->sysctls[i];

		jw_open(w, NULL, '{');
		jw_str(w, "key", s->key);
		jw_str(w, "value", s->value);
		jw_str(w, "why", s->why);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static void json_set(struct jw *w, const struct fw_set *s, const char *name)
{
	jw_open(w, name, '[');
	for (size_t i = 0; i < s->n_elems; i++) {
		jw_open(w, NULL, '{');
		if (s->elems[i].ifname)
			jw_str(w, "ifname", s->elems[i].ifname);
		else
			jw_prefix(w, "prefix", &s->elems[i].prefix);
		if (s->elems[i].dst.addr.family)
			jw_prefix(w, "dst", &s->elems[i].dst);
		if (s->elems[i].svc.proto) {
			char buf[SVC_STRLEN];

			jw_str(w, "service", svc_str(&s->elems[i].svc, buf));
		}
		jw_str(w, "why", s->elems[i].why);
		jw_uint(w, "line", s->elems[i].loc.line);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

static const char *iface_name(enum fw_iface i)
{
	switch (i) {
	case FW_IF_ANY:
		return "any";
	case FW_IF_MESH:
		return "mesh";
	case FW_IF_NOT_MESH:
		return "not_mesh";
	case FW_IF_UPLINK:
		return "uplink";
	}
	return "?";
}

/* A set match by its id ("routing"): the family picks routing4/6. */
static const char *set_id_name(int id)
{
	static const char *const names[FW_SET_COUNT] = {
		[FW_SET_MESH] = "mesh",
		[FW_SET_SELF] = "self",
		[FW_SET_LAN] = "lan",
		[FW_SET_PRIVATE] = "private",
		[FW_SET_INCOMING] = "incoming",
		[FW_SET_ROUTING] = "routing",
		[FW_SET_LAN_ACCESS] = "lan_access",
		[FW_SET_CLOSED] = "closed",
		[FW_SET_RELAY_USERS] = "relay_users",
		[FW_SET_RELAY_OPEN] = "relay_open",
		[FW_SET_RELAY] = "relay",
		[FW_SET_LOCAL] = "local",
		[FW_SET_UPLINK] = "uplinks",
		[FW_SET_INCOMING_SVC] = "incoming_svc",
		[FW_SET_INCOMING_ICMP] = "incoming_icmp",
		[FW_SET_LAN_SVC] = "lan_svc",
		[FW_SET_LAN_ICMP] = "lan_icmp",
		[FW_SET_OPEN_SVC] = "open_svc",
		[FW_SET_OPEN_ICMP] = "open_icmp",
		[FW_SET_RELAY_SVC] = "relay_svc",
		[FW_SET_RELAY_ICMP] = "relay_icmp",
	};

	return id >= 0 && id < FW_SET_COUNT ? names[id] : NULL;
}

static void json_fw_rule(struct jw *w, const struct fw_rule *r)
{
	jw_open(w, NULL, '{');
	jw_str(w, "chain", fw_chain_name(r->chain));
	jw_uint(w, "family", r->family);
	jw_open(w, "match", '{');
	jw_str(w, "iif", iface_name(r->iif));
	jw_str(w, "oif", iface_name(r->oif));
	jw_bool(w, "ct_established", r->ct_established);
	jw_bool(w, "tcp_pickup", r->tcp_pickup);
	if (r->icmp_echo)
		jw_bool(w, "icmp_echo", true);
	jw_str(w, "saddr", set_id_name(r->saddr_set));
	jw_str(w, "daddr", set_id_name(r->daddr_set));
	jw_close(w, '}');
	jw_str(w, "verdict", fw_verdict_name(r->verdict));
	jw_str(w, "target",
	       r->verdict == FW_JUMP ? fw_chain_name(r->target) : NULL);
	jw_int(w, "spec_rule", r->spec_rule);
	jw_str(w, "id", r->id);
	jw_str(w, "comment", r->comment);
	jw_uint(w, "line", r->loc.line);
	jw_close(w, '}');
}

static void json_firewall(struct jw *w, const struct plan *p)
{
	const struct plan_firewall *fw = &p->fw;

	jw_open(w, "firewall", '{');
	jw_str(w, "table", "inet " MESHC_NFT_TABLE);
	jw_str(w, "iface", render_fw_iface(p));
	jw_str(w, "uplink", fw->uplink);
	jw_bool(w, "nat", fw->nat);
	jw_bool(w, "live_pending", fw->live_pending);
	jw_open(w, "sets", '{');
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < fw_set_slots(id) && fw_set_wanted(fw, id);
		     f++)
			json_set(w, &fw->sets[id][f],
				 fw_set_name(id, fw_set_family(id, f)));
	jw_close(w, '}');
	jw_open(w, "rules", '[');
	for (size_t i = 0; i < fw->n_rules; i++)
		json_fw_rule(w, &fw->rules[i]);
	jw_close(w, ']');
	jw_close(w, '}');
}

void render_json(struct strbuf *out, const struct plan *p)
{
	struct jw w = { .out = out };

	jw_open(&w, NULL, '{');
	jw_str(&w, "format", RENDER_JSON_FORMAT);
	jw_uint(&w, "version", PLAN_FORMAT_VERSION);
	jw_str(&w, "node", p->node);
	jw_str(&w, "mesh", p->mesh);
	jw_str(&w, "platform", platform_name(p->platform));
	jw_str(&w, "document", p->document);
	jw_str(&w, "exit_node", p->exit_node);
	jw_bool(&w, "forwards", p->forwards);
	json_interface(&w, &p->iface);
	json_peers(&w, p);
	json_routes(&w, p);
	json_rules(&w, p);
	json_sysctls(&w, p);
	json_firewall(&w, p);
	jw_close(&w, '}');
	strbuf_putc(out, '\n');
}
