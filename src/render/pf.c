/* pf.c - the firewall as a macOS pf anchor (`pfctl -a meshc -f FILE`).
 *
 * The plan's firewall is written for nftables: base chains that dispatch
 * on the mesh interface (input: iif=mesh; forward: iif=mesh, oif=mesh) and
 * first-match chains behind them.  pf differs in three ways, and the
 * translation follows from them:
 *
 * 1. pf has no input/forward split: a packet from the mesh meets the "in
 *    on <mesh>" rules whether it is for this node or to be forwarded, and
 *    a forwarded packet meets the "out on <if>" rules again on its way
 *    out.  So the rules of the chain reached from `input` come first,
 *    restricted to this node's mesh addresses (<self4>/<self6>): a rule
 *    there without a destination gets `to <self>`; one with another
 *    destination (the lan grant) is left to the forward rules, which make
 *    the same decision for that destination.  The rules of the chain
 *    reached from `forward` by iif=mesh follow, then, as "out on <mesh>",
 *    those reached by oif=mesh.
 * 2. pf is last-match; every rule here is `quick`, which makes it
 *    first-match like an nft chain, in the chain's order.
 * 3. pf keeps state per connection and lets replies through before any
 *    rule is looked at, so `ct state established,related` rules need no
 *    translation, and pass rules say `keep state`.  This node's own
 *    traffic into the mesh is passed first on "out on <mesh>" by its
 *    source <self4>; everything else going out into the mesh is a
 *    forwarded packet and meets the to_mesh rules (rule 5: drop, replies
 *    pass by state).  nft's output chain needs no translation: it drops
 *    TCP connections the kernel would pick up mid-stream, and pf's keep
 *    state (default flags S/SA) creates state only from a SYN, so a
 *    segment of a connection whose state is gone matches no pass rule
 *    and meets the to_mesh drop.  Its other drops (to an unmanaged peer
 *    that does not grant this node incoming) come before the pass.
 *
 * What pf cannot say, and what is done instead:
 * - an inbound rule cannot match the interface a packet will leave by:
 *   "oif=mesh drop" in the forward chain is enforced by the out rules of
 *   point 3, and another oif match is left out of the inbound rule
 *   (routing peers may leave by any non-mesh interface, not only the
 *   uplink, which nft's set uplinks enforces; NAT happens only on the
 *   uplink, so traffic that leaves elsewhere is not translated; rules 2,
 *   3 and 5 still hold);
 * - the local tables (the node's other networks, which apply reads live
 *   on Linux) are declared empty and persistent, to be filled by hand;
 * - addresses of this node outside the mesh (its lan or uplink address)
 *   are judged by the forward rules, like any other destination;
 * - NAT to a non-mesh interface uses the uplink (en0 when the document
 *   names none), the usual single way out of a Mac;
 * - a relay's accepts (from_mesh, oif=mesh): "pass in" where nft's rule
 *   stands and "pass out" first among the out rules (pf meets a
 *   forwarded packet twice; the rules before them drop every other
 *   mesh-to-mesh packet, as nft's do); pf tables hold addresses, not
 *   pairs, so each element of the pair set is a rule of its own.
 * A rule that matches an empty set cannot match and is left out, as are
 * the empty tables; a rule that cannot be translated becomes a comment.
 *
 * Limited grants: pf tables hold addresses only, no concatenation of
 * address, protocol and port as nft's service sets do.  So a service set
 * is written as one table per distinct (destination, service) of its
 * elements, <SET_gN>, holding the peers that have it, and its rule as one
 * pf rule per such group ("proto tcp from <incoming_svc4_g0> to <self4>
 * port 22").  The rule count grows with the distinct services the
 * document names, never with the number of peers.
 */
#include "render/render.h"

#include "render/util.h"

#define PF_DEFAULT_UPLINK "en0"

enum pf_ctx {
	PF_IN_LOCAL,		/* in on mesh, to this node */
	PF_IN_FORWARD,		/* in on mesh, to be forwarded */
	PF_OUT_FORWARD,		/* out on mesh, forwarded */
};

static const char *pf_uplink(const struct plan *p)
{
	return p->fw.uplink ? p->fw.uplink : PF_DEFAULT_UPLINK;
}

/* ---- service sets: one table per (destination, service) ------------ */

static bool same_group(const struct fw_elem *a, const struct fw_elem *b)
{
	return !ip_prefix_cmp(&a->dst, &b->dst) && !svc_cmp(&a->svc, &b->svc);
}

/* Is element i the first of its group?  *g gets the group's number. */
static bool group_first(const struct fw_set *s, size_t i, size_t *g)
{
	size_t n = 0;

	for (size_t j = 0; j < i; j++) {
		bool first = true;

		for (size_t k = 0; k < j && first; k++)
			first = !same_group(&s->elems[k], &s->elems[j]);
		if (same_group(&s->elems[j], &s->elems[i]))
			return false;
		n += first;
	}
	*g = n;
	return true;
}

static void pf_group_tables(struct strbuf *out, const struct fw_set *s,
			    const char *name)
{
	char buf[IP_STRLEN];
	size_t g;

	for (size_t i = 0; i < s->n_elems; i++) {
		bool first = true;

		if (!group_first(s, i, &g))
			continue;
		strbuf_printf(out, "table <%s_g%zu> const {", name, g);
		for (size_t j = i; j < s->n_elems; j++) {
			if (!same_group(&s->elems[i], &s->elems[j]))
				continue;
			strbuf_printf(out, "%s %s", first ? "" : ",",
				      render_prefix(&s->elems[j].prefix, true,
						    buf));
			first = false;
		}
		strbuf_puts(out, " }\n");
	}
}

/* " proto tcp" ... the protocol of a group's rule. */
static void pf_proto(struct strbuf *out, const struct fw_service *svc,
		     bool echo, uint8_t family)
{
	if (echo)
		strbuf_puts(out, family == IP_V6
					 ? " proto icmp6 icmp6-type echoreq"
					 : " proto icmp icmp-type echoreq");
	else if (svc->proto == SVC_TCP || svc->proto == SVC_UDP)
		strbuf_printf(out, " proto %s", svc_proto_name(svc->proto));
}

static void pf_port(struct strbuf *out, const struct fw_service *svc)
{
	if (svc->proto != SVC_TCP && svc->proto != SVC_UDP)
		return;
	if (svc->port_lo == svc->port_hi)
		strbuf_printf(out, " port %u", svc->port_lo);
	else if (svc->port_lo != 0 || svc->port_hi != 65535)
		strbuf_printf(out, " port %u:%u", svc->port_lo, svc->port_hi);
}

static bool rule_has_service_set(const struct fw_rule *r)
{
	return fw_set_id_is_service(r->saddr_set) ||
	       fw_set_id_is_service(r->daddr_set);
}

/* One pf rule per group of the rule's service set: head + proto + hosts
 * + port + tail. */
static void pf_group_rules(struct strbuf *out, const struct plan *p,
			   const struct fw_rule *r, uint8_t family,
			   const char *head, const char *tail)
{
	bool src = fw_set_id_is_service(r->saddr_set);
	int id = src ? r->saddr_set : r->daddr_set;
	const struct fw_set *s = render_fw_set(&p->fw, id, family);
	const char *name = fw_set_name(id, family);
	char buf[IP_STRLEN];
	size_t g;

	for (size_t i = 0; i < s->n_elems; i++) {
		const struct fw_elem *e = &s->elems[i];

		if (!group_first(s, i, &g))
			continue;
		strbuf_puts(out, head);
		pf_proto(out, &e->svc, r->icmp_echo, family);
		if (src)
			strbuf_printf(out, " from <%s_g%zu>", name, g);
		else if (r->saddr_set != FW_SET_NONE)
			strbuf_printf(out, " from <%s>",
				      fw_set_name(r->saddr_set, family));
		else
			strbuf_puts(out, " from any");
		if (!src)
			strbuf_printf(out, " to <%s_g%zu>", name, g);
		else if (fw_set_key(id) & FW_KEY_DST)
			strbuf_printf(out, " to %s",
				      render_prefix(&e->dst, true, buf));
		else if (r->daddr_set != FW_SET_NONE)
			strbuf_printf(out, " to <%s>",
				      fw_set_name(r->daddr_set, family));
		else
			strbuf_puts(out, " to any");
		if (fw_set_key(id) & FW_KEY_SVC)
			pf_port(out, &e->svc);
		strbuf_puts(out, tail);
	}
}

static void pf_table(struct strbuf *out, const struct fw_set *s,
		     enum fw_set_id id, const char *name)
{
	char buf[IP_STRLEN];

	if (fw_set_id_is_pair(id))
		return;	/* written as rules: pf_relay_pairs */
	strbuf_printf(out, "table <%s> const {", name);
	for (size_t i = 0; i < s->n_elems; i++)
		strbuf_printf(out, "%s %s", i ? "," : "",
			      render_prefix(&s->elems[i].prefix, true, buf));
	strbuf_puts(out, " }\n");
}

/* The uplinks set names interfaces, which a pf table cannot hold: pf's
 * way out is the uplink macro (pf_uplink).  The local sets are read live
 * by apply on Linux; meshc does not apply on macOS, so they are declared
 * for the one loading the anchor to fill. */
static void pf_tables(struct strbuf *out, const struct plan_firewall *fw)
{
	for (int id = 0; id < FW_SET_COUNT; id++) {
		if (fw_set_id_is_ifname(id))
			continue;
		for (int f = 0; f < 2; f++) {
			const char *name = fw_set_name(id, f ? IP_V6 : IP_V4);

			if (fw_set_id_is_service(id))
				pf_group_tables(out, &fw->sets[id][f], name);
			else if (fw->sets[id][f].n_elems)
				pf_table(out, &fw->sets[id][f], id, name);
			else if (id == FW_SET_LOCAL && fw->live_pending)
				strbuf_printf(out,
					      "# fill with this Mac's other "
					      "networks: pfctl -a " MESHC_NFT_TABLE
					      " -t %s -T add PREFIX\n"
					      "table <%s> persist\n",
					      name, name);
		}
	}
}

static void pf_comment(struct strbuf *out, const struct fw_rule *r)
{
	if (!render_fw_has_comment(r))
		return;
	strbuf_puts(out, "# ");
	render_fw_comment(out, r, 200);
	strbuf_putc(out, '\n');
}

static const char *pf_af(uint8_t family)
{
	return family == IP_V6 ? " inet6" : family == IP_V4 ? " inet" : "";
}

/* " from <x> to <y>", or " all" when neither side is restricted. */
static void pf_hosts(struct strbuf *out, const struct fw_rule *r,
		     uint8_t family)
{
	if (r->saddr_set == FW_SET_NONE && r->daddr_set == FW_SET_NONE) {
		strbuf_puts(out, " all");
		return;
	}
	strbuf_puts(out, " from ");
	if (r->saddr_set == FW_SET_NONE)
		strbuf_puts(out, "any");
	else
		strbuf_printf(out, "<%s>", fw_set_name(r->saddr_set, family));
	strbuf_puts(out, " to ");
	if (r->daddr_set == FW_SET_NONE)
		strbuf_puts(out, "any");
	else
		strbuf_printf(out, "<%s>", fw_set_name(r->daddr_set, family));
}

static void pf_untranslated(struct strbuf *out, const struct plan *p,
			    const struct fw_rule *r, const char *why)
{
	strbuf_printf(out, "# not translated (%s): %s: ", why,
		      fw_chain_name(r->chain));
	render_nft_rule(out, p, r, r->family);
	strbuf_putc(out, '\n');
}

/* Rewrite a rule for its pf context; false when pf needs no rule for it. */
static bool pf_adapt(const struct plan *p, enum pf_ctx ctx,
		     struct fw_rule *r, struct strbuf *out)
{
	if (r->ct_established)
		return false;	/* pf state passes replies */
	if (r->tcp_pickup)
		return false;	/* keep state starts only from a SYN (S/SA) */
	if (r->verdict != FW_ACCEPT && r->verdict != FW_DROP) {
		pf_untranslated(out, p, r, "verdict");
		return false;
	}
	/* The context already fixes the mesh side of the packet. */
	if ((ctx != PF_OUT_FORWARD && (r->iif == FW_IF_NOT_MESH ||
				       r->iif == FW_IF_UPLINK)) ||
	    (ctx == PF_OUT_FORWARD && (r->oif == FW_IF_NOT_MESH ||
				       r->oif == FW_IF_UPLINK)))
		return false;	/* cannot match here */
	if (ctx == PF_IN_LOCAL) {
		/* a pair set's destination is the lan: forward rules */
		if (r->saddr_set != FW_SET_NONE &&
		    (fw_set_key(r->saddr_set) & FW_KEY_DST))
			return false;
		if (r->daddr_set == FW_SET_NONE)
			r->daddr_set = FW_SET_SELF;
		else if (r->daddr_set != FW_SET_SELF)
			return false;	/* decided by the forward rules */
	}
	if (ctx != PF_OUT_FORWARD && r->oif != FW_IF_ANY) {
		if (r->oif == FW_IF_MESH)
			return false;	/* the out rules enforce it */
		if (r->verdict == FW_DROP) {
			pf_untranslated(out, p, r, "outgoing interface");
			return false;
		}
		r->oif = FW_IF_ANY;
	}
	return true;
}

/* One pass rule per element of a pair set, in or out on the mesh. */
static void pf_relay_pairs(struct strbuf *out, const struct plan *p,
			   enum pf_ctx ctx, const struct fw_rule *r)
{
	for (int f = 0; f < 2; f++) {
		const struct fw_set *s = &p->fw.sets[r->saddr_set][f];

		if (!s->n_elems)
			continue;
		if (f == 0 || !p->fw.sets[r->saddr_set][0].n_elems)
			pf_comment(out, r);
		for (size_t i = 0; i < s->n_elems; i++) {
			char a[IP_STRLEN], b[IP_STRLEN];

			strbuf_printf(out, "pass %s quick on ",
				      ctx == PF_OUT_FORWARD ? "out" : "in");
			render_clean(out, render_fw_iface(p), 64);
			strbuf_printf(out, "%s from %s to %s keep state\n",
				      pf_af(f ? IP_V6 : IP_V4),
				      render_prefix(&s->elems[i].prefix, true, a),
				      render_prefix(&s->elems[i].dst, true, b));
		}
	}
}

static void pf_filter_rule(struct strbuf *out, const struct plan *p,
			   enum pf_ctx ctx, const struct fw_rule *orig);

/* A relay's accept as a pf rule in ctx: its mesh side is the context's
 * (in, or out on the mesh), so the oif match goes. */
static void pf_relay_rule(struct strbuf *out, const struct plan *p,
			  enum pf_ctx ctx, const struct fw_rule *r)
{
	struct fw_rule plain = *r;

	if (fw_rule_is_pair(r)) {
		pf_relay_pairs(out, p, ctx, r);
		return;
	}
	plain.oif = FW_IF_ANY;
	plain.chain = FW_CHAIN_TO_MESH;	/* no longer a relay accept */
	pf_filter_rule(out, p, ctx, &plain);
}

/* The out half of every relay accept of the forward path. */
static void pf_relay_out(struct strbuf *out, const struct plan *p)
{
	for (size_t i = 0; i < p->fw.n_rules; i++)
		if (fw_rule_is_relay_accept(&p->fw.rules[i]))
			pf_relay_rule(out, p, PF_OUT_FORWARD, &p->fw.rules[i]);
}

static void pf_filter_rule(struct strbuf *out, const struct plan *p,
			   enum pf_ctx ctx, const struct fw_rule *orig)
{
	struct fw_rule r = *orig;
	uint8_t fams[2];
	size_t n;
	bool commented = false;

	if (fw_rule_is_relay_accept(orig)) {
		if (ctx == PF_IN_FORWARD)
			pf_relay_rule(out, p, ctx, orig);
		else
			pf_untranslated(out, p, orig, "relay outside forward");
		return;
	}
	if (!pf_adapt(p, ctx, &r, out))
		return;
	n = fw_rule_families(&r, fams);
	for (size_t i = 0; i < n; i++) {
		if (!render_fw_can_match(&p->fw, &r, fams[i]))
			continue;
		if (!commented)
			pf_comment(out, &r);
		commented = true;
		if (rule_has_service_set(&r)) {
			struct strbuf head = STRBUF_INIT;

			strbuf_printf(&head, "%s %s quick on ",
				      r.verdict == FW_ACCEPT ? "pass"
							     : "block drop",
				      ctx == PF_OUT_FORWARD ? "out" : "in");
			render_clean(&head, render_fw_iface(p), 64);
			strbuf_puts(&head, pf_af(fams[i]));
			pf_group_rules(out, p, &r, fams[i], strbuf_str(&head),
				       r.verdict == FW_ACCEPT
					       ? " keep state\n"
					       : "\n");
			strbuf_free(&head);
			continue;
		}
		strbuf_printf(out, "%s %s quick on ",
			      r.verdict == FW_ACCEPT ? "pass" : "block drop",
			      ctx == PF_OUT_FORWARD ? "out" : "in");
		render_clean(out, render_fw_iface(p), 64);
		strbuf_puts(out, pf_af(fams[i]));
		pf_hosts(out, &r, fams[i]);
		if (r.verdict == FW_ACCEPT)
			strbuf_puts(out, " keep state");
		strbuf_putc(out, '\n');
	}
}

static void pf_chain(struct strbuf *out, const struct plan *p,
		     enum pf_ctx ctx, enum fw_chain c)
{
	for (size_t i = 0; i < p->fw.n_rules; i++) {
		const struct fw_rule *r = &p->fw.rules[i];

		if (r->chain != c)
			continue;
		if (r->verdict == FW_JUMP)
			pf_untranslated(out, p, r, "nested jump");
		else
			pf_filter_rule(out, p, ctx, r);
	}
}

/* Which pf context a rule of a base chain dispatches to; false when it
 * does not touch the mesh (pf then needs nothing: rule 7). */
static bool pf_dispatch(const struct fw_rule *r, enum pf_ctx *ctx)
{
	if (r->chain == FW_CHAIN_INPUT && r->iif == FW_IF_MESH)
		*ctx = PF_IN_LOCAL;
	else if (r->chain == FW_CHAIN_FORWARD && r->iif == FW_IF_MESH)
		*ctx = PF_IN_FORWARD;
	else if (r->chain == FW_CHAIN_FORWARD && r->oif == FW_IF_MESH)
		*ctx = PF_OUT_FORWARD;
	else
		return false;
	return true;
}

/* The output chain's drops that pf state does not already make: a
 * destination this node must not open connections to (an unmanaged
 * peer's incoming).  Replies to that peer pass by state before this. */
static void pf_output_drops(struct strbuf *out, const struct plan *p)
{
	for (size_t i = 0; i < p->fw.n_rules; i++) {
		const struct fw_rule *r = &p->fw.rules[i];

		/* the accepts of an unmanaged peer's list go before the
		 * drop of that peer */
		if (r->chain != FW_CHAIN_OUTPUT || r->oif != FW_IF_MESH ||
		    r->tcp_pickup || r->ct_established ||
		    (r->verdict != FW_DROP && !rule_has_service_set(r)))
			continue;
		pf_filter_rule(out, p, PF_OUT_FORWARD, r);
	}
}

static void pf_self_pass(struct strbuf *out, const struct plan *p)
{
	static const uint8_t fams[2] = { IP_V4, IP_V6 };

	pf_output_drops(out, p);
	strbuf_puts(out, "# this node's own traffic into the mesh; keep "
			 "state starts only from a SYN (flags S/SA),\n# so "
			 "no connection is picked up mid-stream (nft's "
			 "output chain)\n");
	for (int i = 0; i < 2; i++) {
		if (!render_fw_set(&p->fw, FW_SET_SELF, fams[i])->n_elems)
			continue;
		strbuf_puts(out, "pass out quick on ");
		render_clean(out, render_fw_iface(p), 64);
		strbuf_printf(out, "%s from <%s> to any keep state\n",
			      pf_af(fams[i]), fw_set_name(FW_SET_SELF, fams[i]));
	}
}

/* All rules for one context, in the plan's order: a base-chain rule that
 * dispatches to ctx brings its target chain's rules, or is itself one. */
static void pf_context(struct strbuf *out, const struct plan *p,
		       enum pf_ctx ctx)
{
	bool self_done = false;

	for (size_t i = 0; i < p->fw.n_rules; i++) {
		const struct fw_rule *r = &p->fw.rules[i];
		enum pf_ctx rc;

		if (!pf_dispatch(r, &rc) || rc != ctx)
			continue;
		if (ctx == PF_OUT_FORWARD && !self_done) {
			pf_relay_out(out, p);
			pf_self_pass(out, p);
			self_done = true;
		}
		if (r->verdict == FW_JUMP)
			pf_chain(out, p, ctx, r->target);
		else
			pf_filter_rule(out, p, ctx, r);
	}
}

static void pf_nat_groups(struct strbuf *out, const struct plan *p,
			  const struct fw_rule *r, uint8_t family,
			  const char *head, const char *ifname)
{
	struct strbuf tail = STRBUF_INIT;

	strbuf_puts(&tail, " -> (");
	render_clean(&tail, ifname, 64);
	strbuf_puts(&tail, ")\n");
	pf_group_rules(out, p, r, family, head, strbuf_str(&tail));
	strbuf_free(&tail);
}

static void pf_nat(struct strbuf *out, const struct plan *p)
{
	bool noted = false;

	for (size_t i = 0; i < p->fw.n_rules; i++) {
		const struct fw_rule *r = &p->fw.rules[i];
		const char *ifname;
		uint8_t fams[2];
		size_t n;

		if (r->chain != FW_CHAIN_POSTROUTING)
			continue;
		if (r->verdict != FW_MASQUERADE) {
			pf_untranslated(out, p, r, "postrouting verdict");
			continue;
		}
		ifname = r->oif == FW_IF_MESH ? render_fw_iface(p)
					      : pf_uplink(p);
		if (r->oif != FW_IF_MESH && !p->fw.uplink && !noted) {
			strbuf_puts(out, "# no uplink in the document: "
					 PF_DEFAULT_UPLINK " assumed\n");
			noted = true;
		}
		n = fw_rule_families(r, fams);
		for (size_t k = 0; k < n; k++) {
			if (!render_fw_can_match(&p->fw, r, fams[k]))
				continue;
			if (rule_has_service_set(r)) {
				struct strbuf head = STRBUF_INIT;

				strbuf_puts(&head, "nat on ");
				render_clean(&head, ifname, 64);
				strbuf_puts(&head, pf_af(fams[k]));
				strbuf_puts(&head, "");
				pf_nat_groups(out, p, r, fams[k],
					      strbuf_str(&head), ifname);
				strbuf_free(&head);
				continue;
			}
			strbuf_puts(out, "nat on ");
			render_clean(out, ifname, 64);
			strbuf_puts(out, pf_af(fams[k]));
			pf_hosts(out, r, fams[k]);
			strbuf_puts(out, " -> (");
			render_clean(out, ifname, 64);
			strbuf_puts(out, ")\n");
		}
	}
}

void render_pf(struct strbuf *out, const struct plan *p)
{
	render_header(out, p, "pf anchor");
	strbuf_puts(out, "# load with: pfctl -a " MESHC_NFT_TABLE " -f FILE "
			 "(pf.conf needs nat-anchor \"" MESHC_NFT_TABLE
			 "\" and anchor \"" MESHC_NFT_TABLE "\")\n");
	strbuf_puts(out, "\n# tables\n");
	pf_tables(out, &p->fw);
	strbuf_puts(out, "\n# translation\n");
	pf_nat(out, p);
	strbuf_puts(out, "\n# from the mesh to this node\n");
	pf_context(out, p, PF_IN_LOCAL);
	strbuf_puts(out, "\n# from the mesh, forwarded\n");
	pf_context(out, p, PF_IN_FORWARD);
	strbuf_puts(out, "\n# into the mesh\n");
	pf_context(out, p, PF_OUT_FORWARD);
}
