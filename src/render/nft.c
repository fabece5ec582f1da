/* nft.c - the firewall as one `nft -f` file for the interface's part of
 * `table inet meshc`.
 *
 * Several meshc interfaces share the table; each owns the chains and sets
 * named "IFACE/NAME" (apply/nft.h says why parts cannot weaken each
 * other).  The file replaces only its own part: it declares the table
 * and every chain and set name the part can have (so that deleting them
 * is valid on a fresh system; nft 1.0.6 has no `destroy`), flushes the
 * part's chains, deletes its chains and sets, and defines the part anew.
 * nft loads a file as one transaction, so the part is replaced atomically
 * and nothing outside it is touched (spec rule 7).  Base chains have
 * policy accept and dispatch only traffic that enters or leaves the mesh
 * interface; every verdict about the mesh lives in regular chains.
 *
 * Every set is declared, empty or not, so every rule can name it.  A rule
 * for both families that matches a set is printed once per family.
 */
#include "render/render.h"

#include "render/util.h"

/* nftables refuses comments of 128 bytes or more. */
#define NFT_COMMENT_MAX 127

/* nft's words for a service: "tcp . 22", "udp . 8000-8100", and for
 * every protocol and port the full ranges. */
static void nft_elem_rest(struct strbuf *out, const struct fw_elem *e,
			  unsigned key)
{
	char buf[IP_STRLEN];

	if (key & FW_KEY_DST)
		strbuf_printf(out, " . %s", render_prefix(&e->dst, true, buf));
	if (!(key & FW_KEY_SVC))
		return;
	if (e->svc.proto == SVC_ANY)
		strbuf_puts(out, " . 0-255 . 0-65535");
	else if (e->svc.port_lo == e->svc.port_hi)
		strbuf_printf(out, " . %s . %u", svc_proto_name(e->svc.proto),
			      e->svc.port_lo);
	else
		strbuf_printf(out, " . %s . %u-%u",
			      svc_proto_name(e->svc.proto), e->svc.port_lo,
			      e->svc.port_hi);
}

static void nft_elements(struct strbuf *out, const struct fw_set *s,
			 unsigned key)
{
	char buf[IP_STRLEN];

	strbuf_puts(out, "\t\telements = {\n");
	for (size_t i = 0; i < s->n_elems; i++) {
		const struct fw_elem *e = &s->elems[i];

		/* Sorted: a repeat is adjacent, and nft refuses repeats. */
		if (i && !fw_elem_cmp(e, &s->elems[i - 1]))
			continue;
		if (e->ifname) {
			strbuf_puts(out, "\t\t\t\"");
			render_clean(out, e->ifname, 64);
			strbuf_puts(out, "\",");
		} else {
			strbuf_printf(out, "\t\t\t%s",
				      render_prefix(&e->prefix, true, buf));
			nft_elem_rest(out, e, key);
			strbuf_putc(out, ',');
		}
		if (e->why || loc_known(e->loc)) {
			strbuf_puts(out, "\t#");
			if (e->why) {
				strbuf_putc(out, ' ');
				render_clean(out, e->why, 200);
			}
			if (loc_known(e->loc))
				strbuf_printf(out, " (line %u)", e->loc.line);
		}
		strbuf_putc(out, '\n');
	}
	strbuf_puts(out, "\t\t}\n");
}

static const char *set_type(enum fw_set_id id, uint8_t family)
{
	bool six = family == IP_V6;

	if (fw_set_id_is_ifname(id))
		return "ifname";
	if (fw_set_id_is_pair(id))
		return six ? "ipv6_addr . ipv6_addr" : "ipv4_addr . ipv4_addr";
	switch (fw_set_key(id)) {
	case FW_KEY_DST:
		return six ? "ipv6_addr . ipv6_addr" : "ipv4_addr . ipv4_addr";
	case FW_KEY_SVC:
		return six ? "ipv6_addr . inet_proto . inet_service"
			   : "ipv4_addr . inet_proto . inet_service";
	case FW_KEY_DST | FW_KEY_SVC:
		return six ? "ipv6_addr . ipv6_addr . inet_proto . inet_service"
			   : "ipv4_addr . ipv4_addr . inet_proto . inet_service";
	}
	return six ? "ipv6_addr" : "ipv4_addr";
}

/* What apply puts into a set the compiler cannot fill. */
static void nft_live_note(struct strbuf *out, const struct plan_firewall *fw,
			  enum fw_set_id id)
{
	if (!fw->live_pending)
		return;
	if (id == FW_SET_UPLINK && !fw->uplink)
		strbuf_puts(out, "\t\t# meshc apply fills this: the "
				 "interfaces of the default routes (main "
				 "table, both families)\n");
	else if (id == FW_SET_LOCAL)
		strbuf_puts(out, "\t\t# meshc apply fills this: the "
				 "prefixes on the node's other interfaces "
				 "(loopback and the mesh's aside)\n");
}

static void nft_set(struct strbuf *out, const struct plan_firewall *fw,
		    const char *part, enum fw_set_id id, uint8_t family)
{
	const struct fw_set *s = render_fw_set(fw, id, family);

	strbuf_printf(out, "\tset %s/%s {\n\t\ttype %s;", part,
		      fw_set_name(id, family), set_type(id, family));
	if (fw_set_is_interval(s, id))
		strbuf_puts(out, " flags interval;");
	strbuf_putc(out, '\n');
	nft_live_note(out, fw, id);
	if (s->n_elems)
		nft_elements(out, s, fw_set_key(id) |
			     (fw_set_id_is_pair(id) ? FW_KEY_DST : 0));
	strbuf_puts(out, "\t}\n\n");
}

static const char *chain_hook(enum fw_chain c)
{
	switch (c) {
	case FW_CHAIN_INPUT:
		return "type filter hook input priority filter; policy accept;";
	case FW_CHAIN_FORWARD:
		return "type filter hook forward priority filter; policy accept;";
	case FW_CHAIN_OUTPUT:
		return "type filter hook output priority filter; policy accept;";
	case FW_CHAIN_POSTROUTING:
		return "type nat hook postrouting priority srcnat; policy accept;";
	default:
		return NULL;
	}
}

static void nft_rule(struct strbuf *out, const struct plan *p,
		     const struct fw_rule *r)
{
	uint8_t fams[2];
	size_t n = fw_rule_families(r, fams);

	for (size_t i = 0; i < n; i++) {
		strbuf_puts(out, "\t\t");
		render_nft_part_rule(out, p, r, fams[i]);
		if (render_fw_has_comment(r)) {
			strbuf_puts(out, " comment \"");
			render_fw_comment(out, r, NFT_COMMENT_MAX);
			strbuf_putc(out, '"');
		}
		strbuf_putc(out, '\n');
	}
}

static void nft_chain(struct strbuf *out, const struct plan *p,
		      const char *part, enum fw_chain c)
{
	const char *hook = chain_hook(c);

	strbuf_printf(out, "\tchain %s/%s {\n", part, fw_chain_name(c));
	if (hook)
		strbuf_printf(out, "\t\t%s\n", hook);
	for (size_t i = 0; i < p->fw.n_rules; i++)
		if (p->fw.rules[i].chain == c)
			nft_rule(out, p, &p->fw.rules[i]);
	strbuf_puts(out, "\t}\n");
}

/* Every chain and set the part can have, whatever this plan wants: a
 * postrouting chain of an earlier plan must go too.  Sets are declared
 * as the part declares them (an existing set must agree). */
static void nft_clear_part(struct strbuf *out, const struct plan_firewall *fw,
			   const char *part)
{
	const char *t = "inet " MESHC_NFT_TABLE;

	for (int c = 0; c < FW_CHAIN_COUNT; c++)
		strbuf_printf(out, "add chain %s %s/%s\n", t, part,
			      fw_chain_name(c));
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < fw_set_slots(id); f++) {
			uint8_t family = fw_set_family(id, f);

			strbuf_printf(out, "add set %s %s/%s { type %s;%s }\n",
				      t, part, fw_set_name(id, family),
				      set_type(id, family),
				      fw_set_is_interval(
					      render_fw_set(fw, id, family), id)
					      ? " flags interval;"
					      : "");
		}
	for (int c = 0; c < FW_CHAIN_COUNT; c++)
		strbuf_printf(out, "flush chain %s %s/%s\n", t, part,
			      fw_chain_name(c));
	for (int c = 0; c < FW_CHAIN_COUNT; c++)
		strbuf_printf(out, "delete chain %s %s/%s\n", t, part,
			      fw_chain_name(c));
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < fw_set_slots(id); f++)
			strbuf_printf(out, "delete set %s %s/%s\n", t, part,
				      fw_set_name(id, fw_set_family(id, f)));
}

void render_nft(struct strbuf *out, const struct plan *p)
{
	const char *table = "inet " MESHC_NFT_TABLE;
	struct strbuf part = STRBUF_INIT;
	bool first = true;

	render_clean(&part, render_fw_iface(p), 64);
	render_header(out, p, "nftables ruleset");
	strbuf_printf(out, "# load with: nft -f FILE (replaces the part %s/ "
			   "of table %s atomically;\n# other interfaces' "
			   "parts stay as they are)\n",
		      strbuf_str(&part), table);
	strbuf_printf(out, "table %s {\n\tcomment \"managed by meshc\"\n}\n",
		      table);
	nft_clear_part(out, &p->fw, strbuf_str(&part));
	strbuf_printf(out, "table %s {\n", table);
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < fw_set_slots(id) &&
				fw_set_wanted(&p->fw, id); f++)
			nft_set(out, &p->fw, strbuf_str(&part), id,
				fw_set_family(id, f));
	for (int c = 0; c < FW_CHAIN_COUNT; c++) {
		if (!fw_chain_wanted(&p->fw, c))
			continue;
		if (!first)
			strbuf_putc(out, '\n');
		first = false;
		nft_chain(out, p, strbuf_str(&part), c);
	}
	strbuf_puts(out, "}\n");
	strbuf_free(&part);
}
