/* render_changes.c - a node's change set as text or JSON.
 *
 * Pure: output depends only on the change set and its plans, in the
 * order the engine made it (layer, then each layer's item order), so the
 * same two documents give the same bytes on every machine.
 */
#include "diff/internal.h"

#include <string.h>

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_ADD "\033[32m"
#define C_REMOVE "\033[31m"
#define C_MODIFY "\033[33m"

static const char *op_sign(enum change_op op)
{
	switch (op) {
	case CHANGE_ADD:
		return "+";
	case CHANGE_REMOVE:
		return "-";
	case CHANGE_MODIFY:
		return "~";
	}
	return "?";
}

static const char *op_color(enum change_op op)
{
	switch (op) {
	case CHANGE_ADD:
		return C_ADD;
	case CHANGE_REMOVE:
		return C_REMOVE;
	case CHANGE_MODIFY:
		return C_MODIFY;
	}
	return "";
}

/* What separates subject and detail: "interface meshx: private key
 * changed", "routing4 100.64.1.1 (c)", "c  1sYBabcd...  allowed-ips". */
static const char *detail_sep(enum change_layer l)
{
	switch (l) {
	case LAYER_INTERFACE:
		return ": ";
	case LAYER_SYSCTLS:
	case LAYER_FIREWALL_SETS:
		return " ";
	default:
		return "  ";
	}
}

static const char *plan_mesh(const struct node_diff *nd)
{
	const struct plan *p = nd->new ? nd->new : nd->old;

	return p && p->mesh ? p->mesh : NULL;
}

/* ---- text --------------------------------------------------------- */

static void text_line_start(struct strbuf *out, const char *indent,
			    enum change_op op, bool color)
{
	strbuf_puts(out, indent);
	if (color)
		strbuf_puts(out, op_color(op));
	strbuf_printf(out, "%s ", op_sign(op));
}

static void text_line_end(struct strbuf *out, bool color)
{
	if (color)
		strbuf_puts(out, C_RESET);
	strbuf_putc(out, '\n');
}

static void text_rules(struct strbuf *out, enum change_op op,
		       const struct fw_rule *r, size_t n,
		       const struct plan_firewall *fw, bool color)
{
	for (size_t i = 0; i < n; i++) {
		text_line_start(out, "        ", op, color);
		fw_rule_str(out, &r[i], fw);
		text_line_end(out, color);
	}
}

/* The rules that differ, between the common head and tail of the chain:
 * short lists, and what a reviewer wants to see. */
static void text_chain(struct strbuf *out, const struct change *ch,
		       const struct node_diff *nd, bool color)
{
	const struct plan_firewall *fo = nd->old ? &nd->old->fw : NULL;
	const struct plan_firewall *fn = nd->new ? &nd->new->fw : NULL;
	const struct fw_rule *o = ch->old.fw_rules, *n = ch->new.fw_rules;
	size_t n_o = ch->n_old_rules, n_n = ch->n_new_rules, head = 0;

	if (ch->op == CHANGE_MODIFY) {
		while (head < n_o && head < n_n &&
		       fw_rule_same(&o[head], fo, &n[head], fn))
			head++;
		while (n_o > head && n_n > head &&
		       fw_rule_same(&o[n_o - 1], fo, &n[n_n - 1], fn)) {
			n_o--;
			n_n--;
		}
	}
	if (o)
		text_rules(out, CHANGE_REMOVE, o + head, n_o - head, fo, color);
	if (n)
		text_rules(out, CHANGE_ADD, n + head, n_n - head, fn, color);
}

static void text_header(struct strbuf *out, const struct node_diff *nd,
			bool color)
{
	const char *om = nd->old ? nd->old->mesh : NULL;
	const char *nm = nd->new ? nd->new->mesh : NULL;

	if (color)
		strbuf_puts(out, C_BOLD);
	strbuf_printf(out, "node %s", nd->node);
	if (om && nm && strcmp(om, nm))
		strbuf_printf(out, " (mesh %s -> %s)", om, nm);
	else if (plan_mesh(nd))
		strbuf_printf(out, " (mesh %s%s)", plan_mesh(nd),
			      !nd->old ? ", new node"
			      : !nd->new ? ", removed node" : "");
	strbuf_putc(out, ':');
	if (color)
		strbuf_puts(out, C_RESET);
	strbuf_putc(out, '\n');
}

void diff_render_text(struct strbuf *out, const struct node_diff *nd,
		      bool color)
{
	const struct changeset *cs = nd->changes;
	int layer = -1;

	if (changeset_empty(cs))
		return;
	text_header(out, nd, color);
	for (size_t i = 0; i < cs->count; i++) {
		const struct change *ch = &cs->items[i];

		if ((int)ch->layer != layer) {
			layer = ch->layer;
			strbuf_printf(out, "  %s:\n",
				      change_layer_title(layer));
		}
		text_line_start(out, "    ", ch->op, color);
		strbuf_puts(out, ch->subject);
		if (ch->detail)
			strbuf_printf(out, "%s%s", detail_sep(ch->layer),
				      ch->detail);
		text_line_end(out, color);
		if (ch->layer == LAYER_FIREWALL_RULES)
			text_chain(out, ch, nd, color);
	}
}

void diff_render_text_summary(struct strbuf *out, size_t changed,
			      size_t total)
{
	if (!changed)
		strbuf_puts(out, "no changes\n");
	else
		strbuf_printf(out, "%zu of %zu nodes change\n", changed, total);
}

/* ---- JSON --------------------------------------------------------- */

static void json_str(struct strbuf *out, const char *s)
{
	if (s)
		strbuf_json_string(out, s);
	else
		strbuf_puts(out, "null");
}

static void json_prefix(struct strbuf *out, const struct ip_prefix *p)
{
	char buf[IP_STRLEN];

	strbuf_json_string(out, ip_prefix_str(p, buf));
}

static const char *family_name(uint8_t family)
{
	return family == IP_V6 ? "ipv6" : family == IP_V4 ? "ipv4" : "any";
}

static const struct {
	unsigned bit;
	const char *name;
} what_names[] = {
	{ CHG_IFACE_NAME, "name" },
	{ CHG_IFACE_PRIVATE_KEY, "private_key" },
	{ CHG_IFACE_LISTEN_PORT, "listen_port" },
	{ CHG_IFACE_FWMARK, "fwmark" },
	{ CHG_IFACE_KEY_FILE, "private_key_file" },
	{ CHG_IFACE_MTU, "mtu" },
	{ CHG_IFACE_DNS, "dns" },
	{ CHG_PEER_NAME, "name" },
	{ CHG_PEER_ENDPOINT, "endpoint" },
	{ CHG_PEER_KEEPALIVE, "keepalive" },
	{ CHG_PEER_ALLOWED_IPS, "allowed_ips" },
	{ CHG_PEER_PSK, "preshared_key" },
	{ CHG_ROUTE_DEV, "dev" },
	{ CHG_RULE_TABLE, "table" },
	{ CHG_RULE_FWMARK, "fwmark" },
	{ CHG_RULE_SUPPRESS, "suppress_prefixlength" },
	{ CHG_SYSCTL_VALUE, "value" },
	{ CHG_CHAIN_RULES, "rules" },
};

static void json_what(struct strbuf *out, unsigned what)
{
	bool first = true;

	strbuf_puts(out, "[");
	for (size_t i = 0; i < sizeof(what_names) / sizeof(*what_names); i++) {
		if (!(what & what_names[i].bit))
			continue;
		strbuf_printf(out, "%s\"%s\"", first ? "" : ", ",
			      what_names[i].name);
		first = false;
	}
	strbuf_puts(out, "]");
}

static void json_iface(struct strbuf *out, const struct plan_interface *i)
{
	if (!i) {
		strbuf_puts(out, "null");
		return;
	}
	strbuf_puts(out, "{\"name\": ");
	json_str(out, i->name);
	strbuf_puts(out, ", \"public_key\": ");
	json_str(out, i->public_key);
	strbuf_printf(out, ", \"listen_port\": %u, \"private_key_file\": ",
		      i->listen_port);
	json_str(out, i->private_key_file);
	strbuf_printf(out, ", \"fwmark\": %u, \"mtu\": ", i->fwmark);
	if (i->mtu)
		strbuf_printf(out, "%u", i->mtu);
	else
		strbuf_puts(out, "null");
	strbuf_puts(out, ", \"dns\": ");
	if (!i->dns) {
		strbuf_puts(out, "null}");	/* a live plan has none */
		return;
	}
	strbuf_puts(out, "[");
	for (size_t k = 0; k < i->n_dns; k++) {
		if (k)
			strbuf_puts(out, ", ");
		json_str(out, i->dns[k].entry);
	}
	strbuf_puts(out, "]}");
}

static void json_prefix_ptrs(struct strbuf *out,
			     const struct plan_allowed_ip *const *ips, size_t n)
{
	strbuf_puts(out, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_puts(out, ", ");
		json_prefix(out, &ips[i]->prefix);
	}
	strbuf_puts(out, "]");
}

static void json_peer(struct strbuf *out, const struct plan_peer *p)
{
	if (!p) {
		strbuf_puts(out, "null");
		return;
	}
	strbuf_puts(out, "{\"name\": ");
	json_str(out, p->name);
	strbuf_puts(out, ", \"public_key\": ");
	json_str(out, p->public_key);
	strbuf_puts(out, ", \"endpoint\": ");
	json_str(out, p->endpoint);
	strbuf_printf(out, ", \"keepalive\": %u, \"preshared_key_file\": ",
		      p->keepalive);
	json_str(out, p->preshared_key_file);
	strbuf_puts(out, ", \"allowed_ips\": [");
	for (size_t i = 0; i < p->n_allowed_ips; i++) {
		if (i)
			strbuf_puts(out, ", ");
		json_prefix(out, &p->allowed_ips[i].prefix);
	}
	strbuf_puts(out, "]}");
}

static void json_route(struct strbuf *out, const struct plan_route *r)
{
	if (!r) {
		strbuf_puts(out, "null");
		return;
	}
	strbuf_puts(out, "{\"dst\": ");
	json_prefix(out, &r->dst);
	strbuf_printf(out, ", \"table\": %u, \"dev\": ", r->table);
	json_str(out, r->dev);
	strbuf_puts(out, "}");
}

static void json_rule(struct strbuf *out, const struct plan_rule *r)
{
	if (!r) {
		strbuf_puts(out, "null");
		return;
	}
	strbuf_printf(out, "{\"family\": \"%s\", \"priority\": %u, "
			   "\"table\": %u, \"fwmark\": %u, \"invert\": %s, "
			   "\"suppress_prefixlength\": %d}",
		      family_name(r->family), r->priority, r->table, r->fwmark,
		      r->invert ? "true" : "false", r->suppress_prefixlen);
}

static void json_set_ref(struct strbuf *out, int set_id)
{
	const char *name;

	if (set_id == FW_SET_NONE) {
		strbuf_puts(out, "null");
		return;
	}
	name = fw_set_name(set_id, IP_V4);
	strbuf_printf(out, "\"%.*s\"", (int)strlen(name) - 1, name);
}

static void json_iface_ref(struct strbuf *out, enum fw_iface f,
			   const struct plan_firewall *fw)
{
	struct fw_iface_ref r = fw_iface_resolve(f, fw);

	if (f == FW_IF_ANY) {
		strbuf_puts(out, "null");
		return;
	}
	strbuf_puts(out, "{\"negate\": ");
	strbuf_puts(out, r.negate ? "true" : "false");
	strbuf_puts(out, ", \"name\": ");
	json_str(out, r.name);
	strbuf_puts(out, "}");
}

static void json_fw_rules(struct strbuf *out, const struct fw_rule *r,
			  size_t n, const struct plan_firewall *fw)
{
	static const char *const verdicts[] = {
		[FW_ACCEPT] = "accept", [FW_DROP] = "drop",
		[FW_JUMP] = "jump", [FW_MASQUERADE] = "masquerade",
	};

	strbuf_puts(out, "[");
	for (size_t i = 0; i < n; i++) {
		strbuf_puts(out, i ? ", {\"id\": " : "{\"id\": ");
		json_str(out, r[i].id);
		strbuf_printf(out, ", \"family\": \"%s\", \"iif\": ",
			      family_name(r[i].family));
		json_iface_ref(out, r[i].iif, fw);
		strbuf_puts(out, ", \"oif\": ");
		json_iface_ref(out, r[i].oif, fw);
		strbuf_printf(out, ", \"ct_established\": %s, "
				   "\"tcp_pickup\": %s, \"saddr_set\": ",
			      r[i].ct_established ? "true" : "false",
			      r[i].tcp_pickup ? "true" : "false");
		json_set_ref(out, r[i].saddr_set);
		strbuf_puts(out, ", \"daddr_set\": ");
		json_set_ref(out, r[i].daddr_set);
		strbuf_printf(out, ", \"verdict\": \"%s\", \"target\": ",
			      (unsigned)r[i].verdict <= FW_MASQUERADE
				      ? verdicts[r[i].verdict]
				      : "?");
		json_str(out, r[i].verdict == FW_JUMP
				      ? fw_chain_name(r[i].target)
				      : NULL);
		strbuf_puts(out, "}");
	}
	strbuf_puts(out, "]");
}

/* The typed fields of one change, after the common ones. */
static void json_typed(struct strbuf *out, const struct change *ch,
		       const struct node_diff *nd)
{
	switch (ch->layer) {
	case LAYER_INTERFACE:
		strbuf_puts(out, ", \"old\": ");
		json_iface(out, ch->old.iface);
		strbuf_puts(out, ", \"new\": ");
		json_iface(out, ch->new.iface);
		break;
	case LAYER_ADDRESSES:
		strbuf_puts(out, ", \"address\": ");
		json_prefix(out, ch->new.addr ? &ch->new.addr->addr
					      : &ch->old.addr->addr);
		break;
	case LAYER_PEERS:
		strbuf_puts(out, ", \"public_key\": ");
		json_str(out, (ch->new.peer ? ch->new.peer
					    : ch->old.peer)->public_key);
		strbuf_puts(out, ", \"old\": ");
		json_peer(out, ch->old.peer);
		strbuf_puts(out, ", \"new\": ");
		json_peer(out, ch->new.peer);
		if (ch->op != CHANGE_MODIFY)
			break;
		strbuf_puts(out, ", \"allowed_ips_added\": ");
		json_prefix_ptrs(out, ch->ips_added, ch->n_ips_added);
		strbuf_puts(out, ", \"allowed_ips_removed\": ");
		json_prefix_ptrs(out, ch->ips_removed, ch->n_ips_removed);
		break;
	case LAYER_ROUTES:
		strbuf_puts(out, ", \"old\": ");
		json_route(out, ch->old.route);
		strbuf_puts(out, ", \"new\": ");
		json_route(out, ch->new.route);
		break;
	case LAYER_RULES:
		strbuf_puts(out, ", \"old\": ");
		json_rule(out, ch->old.rule);
		strbuf_puts(out, ", \"new\": ");
		json_rule(out, ch->new.rule);
		break;
	case LAYER_SYSCTLS: {
		const struct plan_sysctl *o = ch->old.sysctl;
		const struct plan_sysctl *n = ch->new.sysctl;

		strbuf_puts(out, ", \"key\": ");
		json_str(out, (n ? n : o)->key);
		strbuf_puts(out, ", \"old_value\": ");
		json_str(out, o ? o->value : NULL);
		strbuf_puts(out, ", \"new_value\": ");
		json_str(out, n ? n->value : NULL);
		break;
	}
	case LAYER_FIREWALL_SETS: {
		const struct fw_elem *e = ch->new.elem ? ch->new.elem
						       : ch->old.elem;

		strbuf_printf(out, ", \"set\": \"%s\", \"family\": \"%s\", ",
			      fw_set_name(ch->set_id, ch->set_family),
			      family_name(ch->set_family));
		if (e->ifname) {
			strbuf_puts(out, "\"ifname\": ");
			json_str(out, e->ifname);
		} else {
			strbuf_puts(out, "\"prefix\": ");
			json_prefix(out, &e->prefix);
		}
		if (e->dst.addr.family) {
			strbuf_puts(out, ", \"dst\": ");
			json_prefix(out, &e->dst);
		}
		if (fw_set_key(ch->set_id) & FW_KEY_SVC) {
			char sv[SVC_STRLEN];

			strbuf_puts(out, ", \"service\": ");
			json_str(out, svc_str(&e->svc, sv));
		}
		strbuf_puts(out, ", \"why\": ");
		json_str(out, e->why);
		break;
	}
	case LAYER_FIREWALL_RULES:
	case LAYER_COUNT:
		strbuf_printf(out, ", \"chain\": \"%s\", \"old_rules\": ",
			      fw_chain_name(ch->chain));
		json_fw_rules(out, ch->old.fw_rules, ch->n_old_rules,
			      nd->old ? &nd->old->fw : NULL);
		strbuf_puts(out, ", \"new_rules\": ");
		json_fw_rules(out, ch->new.fw_rules, ch->n_new_rules,
			      nd->new ? &nd->new->fw : NULL);
		break;
	}
}

static void json_change(struct strbuf *out, const struct change *ch,
			const struct node_diff *nd)
{
	strbuf_printf(out, "{\"layer\": \"%s\", \"op\": \"%s\", "
			   "\"subject\": ",
		      change_layer_name(ch->layer), change_op_name(ch->op));
	json_str(out, ch->subject);
	strbuf_puts(out, ", \"detail\": ");
	json_str(out, ch->detail);
	strbuf_puts(out, ", \"changed\": ");
	json_what(out, ch->what);
	strbuf_printf(out, ", \"cosmetic\": %s",
		      change_is_cosmetic(ch) ? "true" : "false");
	json_typed(out, ch, nd);
	strbuf_puts(out, "}");
}

void diff_render_json_open(struct strbuf *out)
{
	strbuf_printf(out, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n"
			   "  \"nodes\": [",
		      DIFF_JSON_FORMAT, DIFF_JSON_VERSION);
}

void diff_render_json_node(struct strbuf *out, const struct node_diff *nd,
			   bool first)
{
	strbuf_puts(out, first ? "\n    {\"node\": " : ",\n    {\"node\": ");
	json_str(out, nd->node);
	strbuf_puts(out, ", \"mesh\": ");
	json_str(out, plan_mesh(nd));
	strbuf_printf(out, ", \"status\": \"%s\",\n     \"changes\": ",
		      !nd->old ? "added" : !nd->new ? "removed" : "changed");
	diff_render_json_changes(out, nd);
	strbuf_puts(out, "}");
}

void diff_render_json_changes(struct strbuf *out, const struct node_diff *nd)
{
	const struct changeset *cs = nd->changes;

	strbuf_puts(out, "[");
	for (size_t i = 0; i < cs->count; i++) {
		strbuf_puts(out, i ? ",\n       " : "\n       ");
		json_change(out, &cs->items[i], nd);
	}
	strbuf_puts(out, cs->count ? "\n     ]" : "]");
}

void diff_render_json_close(struct strbuf *out, size_t changed,
			    size_t total)
{
	strbuf_printf(out, "%s],\n  \"changed_nodes\": %zu,\n"
			   "  \"total_nodes\": %zu\n}\n",
		      changed ? "\n  " : "", changed, total);
}
