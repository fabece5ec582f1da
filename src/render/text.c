/* text.c - the plan for people (`compile --target plan`, the default).
 *
 * One section per part of the plan, columns aligned within a section,
 * every item with the reason it exists and, where known, the document
 * line that caused it.  Firewall rules are shown in nft words; a rule for
 * both families is shown per family, and one that matches an empty set
 * (it cannot match) is left out, as the pf rendering does.
 */
#include "render/render.h"

#include <stdio.h>
#include <string.h>

#include "render/util.h"

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

static void pad(struct strbuf *out, size_t used, size_t width)
{
	while (used++ < width)
		strbuf_putc(out, ' ');
}

/* Append s cleaned, padded to width. */
static void cell(struct strbuf *out, const char *s, size_t width)
{
	size_t start = out->len;

	render_clean(out, s, 256);
	pad(out, out->len - start, width);
}

static void line_ref(struct strbuf *out, struct loc loc)
{
	if (loc_known(loc))
		strbuf_printf(out, "  line %u", loc.line);
}

/* Drop trailing blanks a padded last column may leave. */
static void end_line(struct strbuf *out)
{
	while (out->len && out->buf[out->len - 1] == ' ')
		out->len--;
	out->buf[out->len] = '\0';
	strbuf_putc(out, '\n');
}

static void kv(struct strbuf *out, const char *indent, const char *key,
	       size_t width, const char *value)
{
	strbuf_puts(out, indent);
	cell(out, key, width);
	render_clean(out, value ? value : "none", 4096);
	end_line(out);
}

static void text_summary(struct strbuf *out, const struct plan *p)
{
	kv(out, "", "node", 10, p->node);
	kv(out, "", "mesh", 10, p->mesh);
	kv(out, "", "platform", 10, platform_name(p->platform));
	strbuf_puts(out, "document  ");
	render_clean(out, p->document ? p->document : "-", 4096);
	line_ref(out, p->node_loc);
	end_line(out);
	kv(out, "", "exit node", 10, p->exit_node);
	kv(out, "", "forwards", 10, p->forwards ? "yes" : "no");
}

static size_t prefix_width(const struct ip_prefix *pfx)
{
	char buf[IP_STRLEN];

	return strlen(ip_prefix_str(pfx, buf));
}

/* mtu (apply sets it on the link) and dns (export writes it). */
static void text_link_settings(struct strbuf *out,
			       const struct plan_interface *i)
{
	size_t w = 0;

	if (i->mtu) {
		strbuf_printf(out, "  mtu               %u", (unsigned)i->mtu);
		line_ref(out, i->mtu_loc);
		end_line(out);
	} else {
		strbuf_puts(out, "  mtu               not set (the link's is "
				 "left as it is)\n");
	}
	for (size_t k = 0; k < i->n_dns; k++)
		if (slen(i->dns[k].entry) > w)
			w = slen(i->dns[k].entry);
	for (size_t k = 0; k < i->n_dns; k++) {
		strbuf_puts(out, k ? "                    "
				   : "  dns               ");
		cell(out, i->dns[k].entry, w);
		line_ref(out, i->dns[k].loc);
		end_line(out);
	}
	if (!i->n_dns)
		strbuf_puts(out, "  dns               none\n");
}

static void text_interface(struct strbuf *out, const struct plan_interface *i)
{
	char buf[IP_STRLEN];
	size_t w = 0;

	strbuf_puts(out, "\ninterface ");
	render_clean(out, i->name ? i->name : "?", 64);
	strbuf_putc(out, '\n');
	kv(out, "  ", "public key", 18, i->public_key[0] ? i->public_key : NULL);
	strbuf_printf(out, "  listen port       %u\n", (unsigned)i->listen_port);
	kv(out, "  ", "private key file", 18, i->private_key_file);
	if (i->fwmark)
		strbuf_printf(out, "  fwmark            0x%x\n",
			      (unsigned)i->fwmark);
	else
		strbuf_puts(out, "  fwmark            none\n");
	/* shown even when unused: it is the number meshc owns for this
	 * interface (rules and table), so a reader can find it */
	strbuf_printf(out, "  policy mark       0x%x\n", (unsigned)i->policy_mark);
	for (size_t k = 0; k < i->n_addresses; k++)
		if (prefix_width(&i->addresses[k].addr) > w)
			w = prefix_width(&i->addresses[k].addr);
	for (size_t k = 0; k < i->n_addresses; k++) {
		strbuf_puts(out, k ? "                    "
				   : "  addresses         ");
		cell(out, ip_prefix_str(&i->addresses[k].addr, buf), w);
		line_ref(out, i->addresses[k].loc);
		end_line(out);
	}
	if (!i->n_addresses)
		strbuf_puts(out, "  addresses         none\n");
	text_link_settings(out, i);
}

static void text_peer(struct strbuf *out, const struct plan_peer *peer)
{
	char buf[IP_STRLEN];
	size_t w = 0, ww = 0;

	strbuf_puts(out, "  ");
	render_clean(out, peer->name ? peer->name : "(unnamed)", 256);
	line_ref(out, peer->loc);
	end_line(out);
	kv(out, "    ", "public key", 13, peer->public_key);
	kv(out, "    ", "endpoint", 13, peer->endpoint);
	if (peer->keepalive)
		strbuf_printf(out, "    keepalive    %u s\n",
			      (unsigned)peer->keepalive);
	else
		strbuf_puts(out, "    keepalive    off\n");
	if (peer->preshared_key_file) {
		/* where it comes from; the key itself is never shown */
		strbuf_puts(out, "    psk          derived from ");
		render_clean(out, peer->preshared_key_file, 4096);
		line_ref(out, peer->preshared_key_loc);
		end_line(out);
	}
	for (size_t k = 0; k < peer->n_allowed_ips; k++) {
		const struct plan_allowed_ip *a = &peer->allowed_ips[k];
		size_t n = strlen(plan_allowed_why_name(a->why));

		if (prefix_width(&a->prefix) > w)
			w = prefix_width(&a->prefix);
		if (n > ww)
			ww = n;
	}
	for (size_t k = 0; k < peer->n_allowed_ips; k++) {
		const struct plan_allowed_ip *a = &peer->allowed_ips[k];

		strbuf_puts(out, k ? "                 " : "    allowed ips  ");
		cell(out, ip_prefix_str(&a->prefix, buf), w + 2);
		cell(out, plan_allowed_why_name(a->why), ww);
		line_ref(out, a->loc);
		end_line(out);
	}
	if (!peer->n_allowed_ips)
		strbuf_puts(out, "    allowed ips  none\n");
}

static void text_peers(struct strbuf *out, const struct plan *p)
{
	strbuf_printf(out, "\npeers (%zu)\n", p->n_peers);
	for (size_t i = 0; i < p->n_peers; i++)
		text_peer(out, &p->peers[i]);
}

static void text_routes(struct strbuf *out, const struct plan *p)
{
	char buf[IP_STRLEN], tbl[16];
	size_t wd = 0, wdev = 0, wt = 0;

	strbuf_printf(out, "\nroutes (%zu)\n", p->n_routes);
	for (size_t i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];
		size_t n;

		if (prefix_width(&r->dst) > wd)
			wd = prefix_width(&r->dst);
		n = strlen(render_route_dev(p, r));
		wdev = n > wdev ? n : wdev;
		n = strlen(render_table_name(r->table, tbl));
		wt = n > wt ? n : wt;
	}
	for (size_t i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];

		strbuf_puts(out, "  ");
		cell(out, ip_prefix_str(&r->dst, buf), wd + 2);
		strbuf_puts(out, "dev ");
		cell(out, render_route_dev(p, r), wdev + 2);
		strbuf_puts(out, "table ");
		cell(out, render_table_name(r->table, tbl), wt + 2);
		render_clean(out, r->why, 256);
		line_ref(out, r->loc);
		end_line(out);
	}
}

static void text_rules(struct strbuf *out, const struct plan *p)
{
	strbuf_printf(out, "\npolicy rules (%zu)\n", p->n_rules);
	for (size_t i = 0; i < p->n_rules; i++) {
		strbuf_puts(out, p->rules[i].family == IP_V6 ? "  ipv6  "
							     : "  ipv4  ");
		render_ip_rule(out, &p->rules[i]);
		strbuf_putc(out, '\n');
	}
}

static void text_sysctls(struct strbuf *out, const struct plan *p)
{
	size_t w = 0;

	strbuf_printf(out, "\nsysctls (%zu)\n", p->n_sysctls);
	for (size_t i = 0; i < p->n_sysctls; i++) {
		const struct plan_sysctl *s = &p->sysctls[i];
		size_t n = slen(s->key) + 3 + slen(s->value);

		w = n > w ? n : w;
	}
	for (size_t i = 0; i < p->n_sysctls; i++) {
		const struct plan_sysctl *s = &p->sysctls[i];
		size_t start;

		strbuf_puts(out, "  ");
		start = out->len;
		render_clean(out, s->key, 256);
		strbuf_puts(out, " = ");
		render_clean(out, s->value, 256);
		pad(out, out->len - start, w + 2);
		render_clean(out, s->why, 256);
		line_ref(out, s->loc);
		end_line(out);
	}
}

#define ELEM_STRLEN (2 * IP_STRLEN + SVC_STRLEN + 8)

/* "100.64.0.2", or with a pair's destination and a service
 * "100.64.0.2 . 192.168.1.10 . tcp/443". */
static const char *elem_text(const struct fw_elem *e, unsigned key,
			     char buf[ELEM_STRLEN])
{
	char a[IP_STRLEN], d[IP_STRLEN], sv[SVC_STRLEN];
	size_t n;

	if (e->ifname)
		return e->ifname;
	n = (size_t)snprintf(buf, ELEM_STRLEN, "%s",
			     ip_prefix_str(&e->prefix, a));
	if (e->dst.addr.family && n < ELEM_STRLEN)
		n += (size_t)snprintf(buf + n, ELEM_STRLEN - n, " . %s",
				      ip_prefix_str(&e->dst, d));
	if ((key & FW_KEY_SVC) && n < ELEM_STRLEN)
		snprintf(buf + n, ELEM_STRLEN - n, " . %s",
			 svc_str(&e->svc, sv));
	return buf;
}

/* What an empty set stands for: nothing, or what apply will put there. */
static const char *empty_text(const struct plan_firewall *fw, int id)
{
	if (fw->live_pending && id == FW_SET_UPLINK && !fw->uplink)
		return "(filled by apply: the default routes' interfaces)\n";
	if (fw->live_pending && id == FW_SET_LOCAL)
		return "(filled by apply: prefixes on the node's other "
		       "interfaces)\n";
	return "(empty)\n";
}

static void text_sets(struct strbuf *out, const struct plan_firewall *fw)
{
	char buf[ELEM_STRLEN];
	size_t wp = 0, ww = 0;

	for (int id = 0; id < FW_SET_COUNT; id++) {
		for (int f = 0; f < fw_set_slots(id); f++) {
			const struct fw_set *s = &fw->sets[id][f];

			for (size_t i = 0; i < s->n_elems; i++) {
				size_t n = strlen(elem_text(&s->elems[i], fw_set_key(id), buf));

				wp = n > wp ? n : wp;
				n = slen(s->elems[i].why);
				ww = n > ww ? n : ww;
			}
		}
	}
	strbuf_puts(out, "  sets\n");
	for (int id = 0; id < FW_SET_COUNT; id++) {
		for (int f = 0; f < fw_set_slots(id) && fw_set_wanted(fw, id);
		     f++) {
			const struct fw_set *s = &fw->sets[id][f];

			strbuf_puts(out, "    ");
			/* the service sets' names are longer */
			cell(out, fw_set_name(id, fw_set_family(id, f)),
			     fw->services ? 15 : 13);
			if (!s->n_elems)
				strbuf_puts(out, empty_text(fw, id));
			for (size_t i = 0; i < s->n_elems; i++) {
				if (i)
					strbuf_printf(out, "%*s",
						      fw->services ? 19 : 17,
						      "");
				cell(out, elem_text(&s->elems[i], fw_set_key(id), buf), wp + 2);
				cell(out, s->elems[i].why, ww);
				line_ref(out, s->elems[i].loc);
				end_line(out);
			}
		}
	}
}

/* The width of a rule's nft words, measured by printing them into the
 * output and taking them back out. */
static size_t rule_width(struct strbuf *out, const struct plan *p,
			 const struct fw_rule *r, uint8_t family)
{
	size_t start = out->len, w;

	render_nft_rule(out, p, r, family);
	w = out->len - start;
	out->len = start;
	out->buf[start] = '\0';
	return w;
}

static size_t rules_width(struct strbuf *out, const struct plan *p)
{
	size_t w = 0;

	for (size_t i = 0; i < p->fw.n_rules; i++) {
		const struct fw_rule *r = &p->fw.rules[i];
		uint8_t fams[2];
		size_t n = fw_rule_families(r, fams);

		for (size_t k = 0; k < n; k++) {
			size_t rw;

			if (!render_fw_can_match(&p->fw, r, fams[k]))
				continue;
			rw = rule_width(out, p, r, fams[k]);
			w = rw > w ? rw : w;
		}
	}
	return w;
}

static void text_rule(struct strbuf *out, const struct plan *p,
		      const struct fw_rule *r, size_t width)
{
	uint8_t fams[2];
	size_t n = fw_rule_families(r, fams);

	for (size_t k = 0; k < n; k++) {
		size_t start;

		if (!render_fw_can_match(&p->fw, r, fams[k]))
			continue;
		strbuf_puts(out, "    ");
		start = out->len;
		render_nft_rule(out, p, r, fams[k]);
		pad(out, out->len - start, width + 2);
		if (r->spec_rule > 0)
			strbuf_printf(out, "(spec rule %d) ", r->spec_rule);
		render_clean(out, r->comment, 256);
		line_ref(out, r->loc);
		end_line(out);
	}
}

static const char *chain_hook(enum fw_chain c)
{
	switch (c) {
	case FW_CHAIN_INPUT:
		return " (hook input, policy accept)";
	case FW_CHAIN_FORWARD:
		return " (hook forward, policy accept)";
	case FW_CHAIN_OUTPUT:
		return " (hook output, policy accept)";
	case FW_CHAIN_POSTROUTING:
		return " (nat hook postrouting, policy accept)";
	default:
		return "";
	}
}

static void text_chains(struct strbuf *out, const struct plan *p)
{
	size_t width = rules_width(out, p);

	for (int c = 0; c < FW_CHAIN_COUNT; c++) {
		bool any = false;

		for (size_t i = 0; i < p->fw.n_rules; i++)
			any = any || p->fw.rules[i].chain == (enum fw_chain)c;
		if (c == FW_CHAIN_POSTROUTING && !any && !p->fw.nat)
			continue;
		strbuf_printf(out, "  chain %s%s\n", fw_chain_name(c),
			      chain_hook(c));
		for (size_t i = 0; i < p->fw.n_rules; i++)
			if (p->fw.rules[i].chain == (enum fw_chain)c)
				text_rule(out, p, &p->fw.rules[i], width);
		if (!any)
			strbuf_puts(out, "    (no rules)\n");
	}
}

static void text_firewall(struct strbuf *out, const struct plan *p)
{
	strbuf_puts(out, "\nfirewall  table inet " MESHC_NFT_TABLE
			 ", interface ");
	render_clean(out, render_fw_iface(p), 64);
	strbuf_puts(out, ", uplink ");
	render_clean(out, p->fw.uplink ? p->fw.uplink
				       : "the default routes' interfaces", 64);
	strbuf_printf(out, ", nat %s\n", p->fw.nat ? "yes" : "no");
	text_sets(out, &p->fw);
	text_chains(out, p);
}

void render_plan_text(struct strbuf *out, const struct plan *p)
{
	text_summary(out, p);
	text_interface(out, &p->iface);
	text_peers(out, p);
	text_routes(out, p);
	text_rules(out, p);
	text_sysctls(out, p);
	text_firewall(out, p);
}
