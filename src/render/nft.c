/* nft.c - the firewall as one `nft -f` file for `table inet meshc`.
 *
 * The file first makes sure the table exists, deletes it and declares it
 * anew: nft loads a file as one transaction, so the table is replaced
 * atomically and nothing outside it is touched (spec rule 7).  Base chains
 * have policy accept and dispatch only traffic that enters or leaves the
 * mesh interface; every verdict about the mesh lives in regular chains.
 *
 * Every set is declared, empty or not, so every rule can name it.  A rule
 * for both families that matches a set is printed once per family.
 */
#include "render/render.h"

#include "render/util.h"

/* nftables refuses comments of 128 bytes or more. */
#define NFT_COMMENT_MAX 127

static void nft_elements(struct strbuf *out, const struct fw_set *s)
{
	char buf[IP_STRLEN];

	strbuf_puts(out, "\t\telements = {\n");
	for (size_t i = 0; i < s->n_elems; i++) {
		const struct fw_elem *e = &s->elems[i];

		/* Sorted: a repeat is adjacent, and nft refuses repeats. */
		if (i && !ip_prefix_cmp(&e->prefix, &s->elems[i - 1].prefix))
			continue;
		strbuf_printf(out, "\t\t\t%s,",
			      render_prefix(&e->prefix, true, buf));
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

static void nft_set(struct strbuf *out, const struct plan_firewall *fw,
		    enum fw_set_id id, uint8_t family)
{
	const struct fw_set *s = render_fw_set(fw, id, family);

	strbuf_printf(out, "\tset %s {\n\t\ttype %s;", fw_set_name(id, family),
		      family == IP_V6 ? "ipv6_addr" : "ipv4_addr");
	if (fw_set_is_interval(s, id))
		strbuf_puts(out, " flags interval;");
	strbuf_putc(out, '\n');
	if (s->n_elems)
		nft_elements(out, s);
	strbuf_puts(out, "\t}\n\n");
}

static const char *chain_hook(enum fw_chain c)
{
	switch (c) {
	case FW_CHAIN_INPUT:
		return "type filter hook input priority filter; policy accept;";
	case FW_CHAIN_FORWARD:
		return "type filter hook forward priority filter; policy accept;";
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
		render_nft_rule(out, p, r, fams[i]);
		if (render_fw_has_comment(r)) {
			strbuf_puts(out, " comment \"");
			render_fw_comment(out, r, NFT_COMMENT_MAX);
			strbuf_putc(out, '"');
		}
		strbuf_putc(out, '\n');
	}
}

static void nft_chain(struct strbuf *out, const struct plan *p,
		      enum fw_chain c)
{
	const char *hook = chain_hook(c);

	strbuf_printf(out, "\tchain %s {\n", fw_chain_name(c));
	if (hook)
		strbuf_printf(out, "\t\t%s\n", hook);
	for (size_t i = 0; i < p->fw.n_rules; i++)
		if (p->fw.rules[i].chain == c)
			nft_rule(out, p, &p->fw.rules[i]);
	strbuf_puts(out, "\t}\n");
}

void render_nft(struct strbuf *out, const struct plan *p)
{
	const char *table = "inet " MESHC_NFT_TABLE;
	bool first = true;

	render_header(out, p, "nftables ruleset");
	strbuf_printf(out, "# load with: nft -f FILE (replaces table %s "
			   "atomically)\n", table);
	/* Declaring first makes the delete valid on a fresh system. */
	strbuf_printf(out, "table %s\ndelete table %s\ntable %s {\n", table,
		      table, table);
	strbuf_puts(out, "\tcomment \"managed by meshc\"\n\n");
	for (int id = 0; id < FW_SET_COUNT; id++) {
		nft_set(out, &p->fw, id, IP_V4);
		nft_set(out, &p->fw, id, IP_V6);
	}
	for (int c = 0; c < FW_CHAIN_COUNT; c++) {
		if (!fw_chain_wanted(&p->fw, c))
			continue;
		if (!first)
			strbuf_putc(out, '\n');
		first = false;
		nft_chain(out, p, c);
	}
	strbuf_puts(out, "}\n");
}
