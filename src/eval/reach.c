/* reach.c - walk one new connection through the compiled plans.
 *
 * From X to address D:
 *   1. D in X's own lan: not the mesh's business, allowed;
 *   2. D one of X's own addresses: allowed;
 *   3. X's routes (plan routes in table main, then the exit-node policy
 *      table): no route into the mesh means D is reached over X's own
 *      uplink if public, else not at all;
 *   4. WireGuard on X: the peer P whose allowed IPs hold D;
 *   5. WireGuard on P: X must be P's peer and X's address in X's allowed
 *      IPs there, or P drops the packet;
 *   6. D is P's own: P's input chain decides;
 *   7. else P must forward D's family, and P's forward chain decides,
 *      with the egress interface P's routes give.
 * A relayed pair takes 4-7 twice: X's WireGuard sends D to the relay R
 * (D is in R's allowed IPs on X), R's forward chain relays it (its pair
 * set), and R's WireGuard sends it on to D's node.
 * Every step is recorded with the document line behind it.
 */
#include "eval/eval.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A packet accepted into the mesh again by a forwarding node is followed
 * once more; the compiled rules never let that happen. */
#define MAX_MESH_HOPS 2

struct walk {
	struct arena *a;
	const struct model *m;
	eval_get_plan_fn get_plan;
	void *ctx;
	struct eval_result *res;
	size_t from;
	const char *from_name;
	const struct plan *from_plan;
	struct ip_addr daddr;
	char dstr[IP_STRLEN];	/* daddr as text */
	struct fw_service svc;	/* the packet's service */
	const char *relay;	/* the relay the packet was sent to, or NULL */
};

enum egress_kind { EGRESS_MESH, EGRESS_LAN, EGRESS_OTHER };

struct egress {
	enum egress_kind kind;
	const struct plan_route *route;	/* EGRESS_MESH */
	bool via_policy;		/* route from the exit-node table */
	const struct m_prefix *lan;	/* EGRESS_LAN */
};

static const char *fam_name(const struct ip_addr *a)
{
	return a->family == IP_V6 ? "IPv6" : "IPv4";
}

static const char *pfx_str(struct arena *a, const struct ip_prefix *p)
{
	char buf[IP_STRLEN];

	return arena_strdup(a, ip_prefix_str(p, buf));
}

static void step(struct walk *w, const char *node, struct loc loc,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void step(struct walk *w, const char *node, struct loc loc,
		 const char *fmt, ...)
{
	struct eval_result *r = w->res;
	struct eval_step *s = arena_push(w->a, &r->steps, &r->n_steps,
					 &r->cap_steps, sizeof(*s));
	va_list ap;

	va_start(ap, fmt);
	s->text = arena_vprintf(w->a, fmt, ap);
	va_end(ap);
	s->node = node;
	s->loc = loc;
}

const char *eval_where(struct arena *a, struct loc loc)
{
	if (!loc_known(loc))
		return NULL;
	return arena_printf(a, "%s:%u", loc.file ? loc.file : "<input>",
			    loc.line);
}

/* " (spec rule 2; seed.yaml:5)", " (seed.yaml:5)", " (spec rule 2)" or "". */
static const char *where_suffix(struct arena *a, int spec_rule,
				struct loc loc)
{
	const char *where = eval_where(a, loc);

	if (spec_rule && where)
		return arena_printf(a, " (spec rule %d; %s)", spec_rule, where);
	if (spec_rule)
		return arena_printf(a, " (spec rule %d)", spec_rule);
	if (where)
		return arena_printf(a, " (%s)", where);
	return "";
}

static int decide(struct walk *w, bool allow, const char *node,
		  const struct fw_rule *rule, struct loc loc,
		  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Record the answer; always returns 0 so callers can `return decide()`. */
static int decide(struct walk *w, bool allow, const char *node,
		  const struct fw_rule *rule, struct loc loc,
		  const char *fmt, ...)
{
	struct eval_result *r = w->res;
	va_list ap;

	va_start(ap, fmt);
	r->reason = arena_vprintf(w->a, fmt, ap);
	va_end(ap);
	step(w, node, loc, "%s: %s", allow ? "allow" : "deny", r->reason);
	r->allow = allow;
	r->deciding_node = node;
	r->deciding_rule = rule;
	r->deciding_loc = loc;
	r->summary = arena_printf(w->a, "%s: %s %s %s: %s%s",
				  allow ? "allow" : "deny", w->from_name,
				  allow ? "reaches" : "cannot reach", r->target,
				  r->reason,
				  where_suffix(w->a, rule ? rule->spec_rule : 0,
					       loc));
	return 0;
}

static const struct plan *plan_of(struct walk *w, size_t idx)
{
	const struct plan *p = w->get_plan(w->ctx, idx);

	if (!p)
		w->res->summary = arena_printf(w->a,
					       "error: cannot compile node %s",
					       w->m->nodes[idx].name.v);
	return p;
}

static const char *plan_iface(const struct plan *p)
{
	return p->iface.name ? p->iface.name : "";
}

static bool routes_into(const struct plan *p, const struct plan_route *r)
{
	return r->dev && !strcmp(r->dev, plan_iface(p));
}

/* Longest prefix match over the plan's mesh routes of one table. */
static const struct plan_route *lpm_route(const struct plan *p, uint32_t table,
					  const struct ip_addr *d)
{
	const struct plan_route *best = NULL;

	for (size_t i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];

		if (r->table != table || !routes_into(p, r) ||
		    !ip_prefix_contains(&r->dst, d))
			continue;
		if (!best || r->dst.len > best->dst.len)
			best = r;
	}
	return best;
}

/* Does a policy rule send this family to the exit-node table? */
static bool uses_policy_table(const struct plan *p, uint8_t family)
{
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].family == family &&
		    p->rules[i].table == p->iface.policy_mark)
			return true;
	return false;
}

/* Where the node's kernel sends D.  Its real table main is unknown
 * except for what the plan adds and the node's lan (a connected route);
 * the policy rules look at main first (suppress_prefixlength 0), so the
 * exit-node table only gets what neither of those holds. */
static struct egress find_egress(const struct m_node *n, const struct plan *p,
				 const struct ip_addr *d)
{
	struct egress e = { .kind = EGRESS_OTHER };
	int best = -1;

	e.route = lpm_route(p, MESHC_MAIN_TABLE, d);
	if (e.route) {
		e.kind = EGRESS_MESH;
		best = e.route->dst.len;
	}
	for (size_t i = 0; i < n->lan.count; i++) {
		const struct m_prefix *lan = &n->lan.items[i];

		if (ip_prefix_contains(&lan->v, d) && (int)lan->v.len > best) {
			e.kind = EGRESS_LAN;
			e.lan = lan;
			best = lan->v.len;
		}
	}
	if (e.kind == EGRESS_OTHER && uses_policy_table(p, d->family)) {
		e.route = lpm_route(p, p->iface.policy_mark, d);
		if (e.route) {
			e.kind = EGRESS_MESH;
			e.via_policy = true;
		}
	}
	return e;
}

static const struct plan_address *own_address(const struct plan *p,
					       const struct ip_addr *d)
{
	for (size_t i = 0; i < p->iface.n_addresses; i++)
		if (ip_prefix_contains(&p->iface.addresses[i].addr, d))
			return &p->iface.addresses[i];
	return NULL;
}

/* The sender's mesh address of the destination's family. */
static const struct plan_address *source_address(const struct plan *p,
						  uint8_t family)
{
	for (size_t i = 0; i < p->iface.n_addresses; i++)
		if (p->iface.addresses[i].addr.addr.family == family)
			return &p->iface.addresses[i];
	return NULL;
}

static const struct plan_allowed_ip *best_allowed(const struct plan_peer *peer,
						  const struct ip_addr *d)
{
	const struct plan_allowed_ip *best = NULL;

	for (size_t i = 0; i < peer->n_allowed_ips; i++) {
		const struct plan_allowed_ip *ip = &peer->allowed_ips[i];

		if (ip_prefix_contains(&ip->prefix, d) &&
		    (!best || ip->prefix.len > best->prefix.len))
			best = ip;
	}
	return best;
}

static const struct plan_peer *peer_named(const struct plan *p,
					  const char *name)
{
	for (size_t i = 0; i < p->n_peers; i++)
		if (p->peers[i].name && !strcmp(p->peers[i].name, name))
			return &p->peers[i];
	return NULL;
}

/* ---- what an address is, for messages --------------------------------- */

static size_t node_with_address(const struct model *m, const struct ip_addr *d,
				struct loc *loc)
{
	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct m_node *n = &m->nodes[i];

		if (n->address.set && ip_addr_eq(&n->address.v, d)) {
			*loc = n->address.loc;
			return i;
		}
		if (n->address6.set && ip_addr_eq(&n->address6.v, d)) {
			*loc = n->address6.loc;
			return i;
		}
	}
	return MODEL_NONE;
}

static size_t node_with_lan(const struct model *m, const struct ip_addr *d,
			    const struct m_prefix **lan)
{
	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct m_prefix_list *l = &m->nodes[i].lan;

		for (size_t k = 0; k < l->count; k++)
			if (ip_prefix_contains(&l->items[k].v, d)) {
				*lan = &l->items[k];
				return i;
			}
	}
	return MODEL_NONE;
}

static const struct m_mesh *mesh_with(const struct model *m,
				      const struct ip_addr *d)
{
	for (size_t i = 0; i < m->n_meshes; i++) {
		const struct m_mesh *mesh = &m->meshes[i];

		if ((mesh->network.set &&
		     ip_prefix_contains(&mesh->network.v, d)) ||
		    (mesh->network6.set &&
		     ip_prefix_contains(&mesh->network6.v, d)))
			return mesh;
	}
	return NULL;
}

static const struct fw_elem *private_elem(const struct plan *p,
					  const struct ip_addr *d)
{
	const struct fw_elem *e = NULL;

	fw_set_lookup(&p->fw.sets[FW_SET_PRIVATE][d->family == IP_V6], d, &e);
	return e;
}

/* Deny for "no route into the mesh", naming what D is. */
static int deny_no_route(struct walk *w)
{
	const struct model *m = w->m;
	const struct m_prefix *lan = NULL;
	const struct m_mesh *mesh;
	const struct fw_elem *priv;
	struct loc loc = { 0 };
	size_t q = node_with_address(m, &w->daddr, &loc);
	const char *x = w->from_name;

	if (q != MODEL_NONE) {
		const char *qn = m->nodes[q].name.v;

		if (!model_are_peers(m, w->from, q))
			return decide(w, false, x, NULL, loc,
				      "%s has no route into the mesh for %s: "
				      "%s's mesh address, and %s is not a "
				      "peer of %s",
				      x, w->dstr, qn, qn, x);
		return decide(w, false, x, NULL, loc,
			      "%s has no route into the mesh for %s (%s's "
			      "mesh address): %s has no %s mesh address",
			      x, w->dstr, qn, x, fam_name(&w->daddr));
	}
	q = node_with_lan(m, &w->daddr, &lan);
	if (q != MODEL_NONE) {
		const char *qn = m->nodes[q].name.v;

		return decide(w, false, x, NULL, lan->loc,
			      "%s has no route into the mesh for %s: in %s's "
			      "lan %s, and %s is neither in %s's lans_via "
			      "nor %s's exit node",
			      x, w->dstr, qn, pfx_str(w->a, &lan->v), qn, x,
			      x);
	}
	mesh = mesh_with(m, &w->daddr);
	if (mesh)
		return decide(w, false, x, NULL, mesh->network.loc,
			      "%s has no route into the mesh for %s: in mesh "
			      "%s's network, and no peer of %s has that "
			      "address",
			      x, w->dstr, mesh->name.v, x);
	priv = private_elem(w->from_plan, &w->daddr);
	return decide(w, false, x, NULL, (struct loc){ 0 },
		      "%s has no route into the mesh for %s: a %s address "
		      "that is no node's lan",
		      x, w->dstr, priv ? priv->why : "non-public");
}

/* Public: in no mesh, no node's lan, no private range. */
static bool is_public(const struct walk *w)
{
	const struct m_prefix *lan;
	struct loc loc;

	return !mesh_with(w->m, &w->daddr) &&
	       node_with_address(w->m, &w->daddr, &loc) == MODEL_NONE &&
	       node_with_lan(w->m, &w->daddr, &lan) == MODEL_NONE &&
	       !private_elem(w->from_plan, &w->daddr);
}

/* ---- the firewall, explained ------------------------------------------ */

static const char *elem_text(struct arena *a, int set_id,
			     const struct ip_addr *addr,
			     const struct fw_elem *e, const char *which)
{
	if (!e)
		return "";
	return arena_printf(a, ", %s in %s (%s: %s)", which,
			    fw_set_name(set_id, addr->family),
			    pfx_str(a, &e->prefix), e->why ? e->why : "");
}

/* The line that explains a firewall verdict: the set element that
 * matched (a grant line, a mesh network), else the rule's own. */
static struct loc hit_loc(const struct eval_fw_hit *h)
{
	if (h->saddr_elem && loc_known(h->saddr_elem->loc))
		return h->saddr_elem->loc;
	if (h->daddr_elem && loc_known(h->daddr_elem->loc))
		return h->daddr_elem->loc;
	return h->rule->loc;
}

static void step_hits(struct walk *w, const struct plan *p,
		      const struct eval_packet *pkt,
		      const struct eval_fw_trace *t)
{
	for (size_t i = 0; i < t->n_hits; i++) {
		const struct eval_fw_hit *h = &t->hits[i];
		const struct fw_rule *r = h->rule;
		const char *verdict = r->verdict == FW_JUMP
					      ? arena_printf(w->a, "jump %s",
							     fw_chain_name(
								     r->target))
					      : fw_verdict_name(r->verdict);

		if (fw_rule_is_pair(r) && h->saddr_elem)
			step(w, p->node, hit_loc(h),
			     "%s: chain %s: rule %s: %s, source . destination "
			     "in %s (%s) (%s)",
			     p->node, fw_chain_name(r->chain),
			     r->id ? r->id : "?", verdict,
			     fw_set_name(r->saddr_set, pkt->daddr.family),
			     h->saddr_elem->why ? h->saddr_elem->why : "?",
			     r->comment ? r->comment : "");
		else
			step(w, p->node, hit_loc(h),
			     "%s: chain %s: rule %s: %s%s%s (%s)", p->node,
			     fw_chain_name(r->chain), r->id ? r->id : "?",
			     verdict,
			     elem_text(w->a, r->saddr_set, &pkt->saddr,
				       h->saddr_elem, "source"),
			     elem_text(w->a, r->daddr_set, &pkt->daddr,
				       h->daddr_elem, "destination"),
			     r->comment ? r->comment : "");
	}
	if (!t->decider)
		step(w, p->node, (struct loc){ 0 },
		     "%s: chain %s ends: policy accept (meshc's rules do "
		     "not match this packet)",
		     p->node, fw_chain_name(t->base));
}

/* The permission flag behind a grant set, to name the line that made
 * the source miss it. */
static const struct perm_value *grant_flag(const struct perm_set *ps, int id,
					   const char **name)
{
	switch (id) {
	case FW_SET_INCOMING:
		*name = "incoming";
		return &ps->incoming;
	case FW_SET_ROUTING:
		*name = "routing";
		return &ps->routing;
	case FW_SET_LAN_ACCESS:
		*name = "local_network";
		return &ps->local_network;
	}
	return NULL;
}

/* After a drop: which accepting rule the source missed, and why. */
static struct loc step_near_miss(struct walk *w, const struct plan *p,
				 size_t p_idx, const struct eval_packet *pkt,
				 const struct eval_fw_trace *t)
{
	const struct fw_rule *r = t->near_miss;
	struct perm_set ps;
	const struct perm_value *v;
	const char *flag;
	char src[IP_STRLEN];

	if (!r)
		return (struct loc){ 0 };
	step(w, p->node, r->loc,
	     "%s: %s is not in %s, so rule %s (%s) did not accept it",
	     p->node, ip_addr_str(&pkt->saddr, src),
	     fw_set_name(r->saddr_set, pkt->saddr.family), r->id ? r->id : "?",
	     r->comment ? r->comment : "");
	if (p_idx == MODEL_NONE)
		return (struct loc){ 0 };
	ps = model_permissions(w->m, p_idx, w->from);
	v = grant_flag(&ps, r->saddr_set, &flag);
	if (!v)
		return (struct loc){ 0 };
	step(w, p->node, v->loc, "%s grants %s %s: %s (%s)", p->node,
	     w->from_name, flag,
	     !v->v	    ? "false"
	     : v->limited ? arena_printf(w->a, "a list without %s to %s",
					 svc_str(&w->svc, (char[SVC_STRLEN]){ 0 }),
					 w->dstr)
			  : "true",
	     v->source ? v->source : "?");
	/* A built-in default points at the granter as a whole; the rule
	 * that dropped says more then. */
	if (v->source && !strcmp(v->source, "built-in default"))
		return (struct loc){ 0 };
	return v->loc;
}

static int fw_loop(struct walk *w, const struct plan *p, enum fw_chain base,
		   int rc)
{
	w->res->summary = arena_printf(w->a,
				       "error: %s: firewall chain %s jumps in "
				       "a loop",
				       p->node, fw_chain_name(base));
	return rc;
}

/* Run a chain at node p and record it; the verdict is in *t. */
static int run_fw(struct walk *w, const struct plan *p, size_t p_idx,
		  enum fw_chain base, const struct eval_packet *pkt,
		  struct eval_fw_trace *t, struct loc *loc)
{
	int rc = eval_fw_run(w->a, p, base, pkt, t);

	if (rc < 0)
		return fw_loop(w, p, base, rc);
	step_hits(w, p, pkt, t);
	*loc = t->decider ? hit_loc(t->decider) : p->node_loc;
	if (!t->accept) {
		struct loc grant = step_near_miss(w, p, p_idx, pkt, t);

		if (loc_known(grant))
			*loc = grant;
	}
	return 0;
}

static const char *rule_comment(const struct eval_fw_trace *t)
{
	if (!t->decider)
		return "no meshc rule matches (policy accept)";
	return t->decider->rule->comment ? t->decider->rule->comment
					 : t->decider->rule->id;
}

static const struct fw_rule *decider_rule(const struct eval_fw_trace *t)
{
	return t->decider ? t->decider->rule : NULL;
}

/* ---- the hops ---------------------------------------------------------- */

static int into_mesh(struct walk *w, const struct plan *s,
		     const struct plan_route *route, const struct ip_addr *src,
		     int hop);

/* Where the managed flag comes from, for the document place of a step. */
static struct loc managed_loc(const struct m_node *n)
{
	if (n->managed.set)
		return n->managed.loc;
	return n->platform.set ? n->platform.loc : n->loc;
}

/* " for tcp/22" when granter's incoming for peer is a list, else "". */
static const char *svc_note(struct walk *w, size_t granter, size_t peer)
{
	char buf[SVC_STRLEN];

	if (granter == MODEL_NONE || peer == MODEL_NONE ||
	    !model_permissions(w->m, granter, peer).incoming.limited)
		return "";
	return arena_printf(w->a, " for %s", svc_str(&w->svc, buf));
}

/* U runs the WireGuard app: no firewall of meshc's evaluates anything
 * there.  A managed sender enforced U's incoming on its own packets
 * (at_output: it got here, so U grants it); where the sender is
 * unmanaged too, nothing anywhere enforces U's grants. */
static int at_unmanaged(struct walk *w, const struct plan *s,
			const struct plan *p, size_t p_idx)
{
	const struct m_node *u = &w->m->nodes[p_idx];
	size_t s_idx = model_node_find(w->m, s->node);

	if (w->relay && !strcmp(w->relay, s->node))
		return decide(w, true, p->node, NULL, managed_loc(u),
			      "%s grants %s incoming (enforced at %s, the "
			      "relay: %s runs no meshc firewall)",
			      p->node, w->from_name, s->node, p->node);
	if (s_idx != MODEL_NONE && !model_node_managed(&w->m->nodes[s_idx]))
		return decide(w, true, p->node, NULL, managed_loc(u),
			      "not enforced: neither %s nor %s runs meshc",
			      s->node, p->node);
	return decide(w, true, p->node, NULL, managed_loc(u),
		      "%s grants %s incoming%s (enforced at %s: %s runs no "
		      "meshc firewall)",
		      p->node, s->node, svc_note(w, p_idx, s_idx), s->node,
		      p->node);
}

static int at_input(struct walk *w, const struct plan *s,
		    const struct plan *p, size_t p_idx,
		    const struct ip_addr *src, const struct plan_address *own)
{
	struct eval_packet pkt = { .saddr = *src, .daddr = w->daddr,
				   .iif = EVAL_IF_MESH, .oif = EVAL_IF_NONE,
				   .svc = w->svc };
	struct eval_fw_trace t;
	struct loc loc;
	int rc;

	if (!model_node_managed(&w->m->nodes[p_idx])) {
		step(w, p->node, own->loc,
		     "%s: %s is %s's own address; %s is not managed: no "
		     "firewall of meshc's there",
		     p->node, w->dstr, p->node, p->node);
		return at_unmanaged(w, s, p, p_idx);
	}
	step(w, p->node, own->loc, "%s: %s is %s's own address: chain input",
	     p->node, w->dstr, p->node);
	rc = run_fw(w, p, p_idx, FW_CHAIN_INPUT, &pkt, &t, &loc);
	if (rc)
		return rc;
	return decide(w, t.accept, p->node, decider_rule(&t), loc,
		      "%s %s it: %s", p->node, t.accept ? "accepts" : "drops",
		      rule_comment(&t));
}

static const struct plan_sysctl *forwarding_sysctl(const struct plan *p,
						   uint8_t family)
{
	static const char *const keys4[] = { "net.ipv4.ip_forward",
					     "net.inet.ip.forwarding" };
	static const char *const keys6[] = { "net.ipv6.conf.all.forwarding",
					     "net.inet6.ip6.forwarding" };
	const char *const *keys = family == IP_V6 ? keys6 : keys4;

	for (size_t i = 0; i < p->n_sysctls; i++)
		for (size_t k = 0; k < 2; k++)
			if (p->sysctls[i].key && p->sysctls[i].value &&
			    !strcmp(p->sysctls[i].key, keys[k]) &&
			    !strcmp(p->sysctls[i].value, "1"))
				return &p->sysctls[i];
	return NULL;
}

/* Platforms whose forwarding is no sysctl (Windows) carry it only as
 * plan->forwards. */
static bool forwarding_is_sysctl(enum platform pf)
{
	return pf == PLATFORM_LINUX || pf == PLATFORM_MACOS;
}

static int check_forwarding(struct walk *w, const struct plan *p,
			    bool *on)
{
	const struct plan_sysctl *s = forwarding_sysctl(p, w->daddr.family);

	*on = true;
	if (s) {
		step(w, p->node, s->loc, "%s: forwards %s (%s=%s: %s)",
		     p->node, fam_name(&w->daddr), s->key, s->value,
		     s->why ? s->why : "");
		return 0;
	}
	if (!forwarding_is_sysctl(p->platform) && p->forwards) {
		step(w, p->node, p->node_loc, "%s: forwards (platform %s)",
		     p->node, platform_name(p->platform));
		return 0;
	}
	*on = false;
	return decide(w, false, p->node, NULL, p->node_loc,
		      "%s does not forward %s (%s off in its plan): no peer "
		      "may route or reach a lan through it",
		      p->node, fam_name(&w->daddr),
		      w->daddr.family == IP_V6 ? "IPv6 forwarding"
					       : "ip_forward");
}

/* Where the internet is, in words: the uplink, or the default route's
 * interface (named when the plan holds what apply read). */
static const char *egress_name(struct arena *a, const struct plan *p)
{
	const struct fw_set *s = &p->fw.sets[FW_SET_UPLINK][0];

	if (p->fw.uplink)
		return arena_printf(a, "the uplink %s", p->fw.uplink);
	if (s->n_elems == 1)
		return arena_printf(a, "the default route's interface %s",
				    s->elems[0].ifname);
	return "the default route's interface";
}

static void step_egress(struct walk *w, const struct plan *p,
			const struct egress *e)
{
	switch (e->kind) {
	case EGRESS_MESH:
		step(w, p->node, e->route->loc,
		     "%s: route %s dev %s (%s%s) sends %s into the mesh",
		     p->node, pfx_str(w->a, &e->route->dst), e->route->dev,
		     e->route->why ? e->route->why : "",
		     e->via_policy ? ", exit-node policy table" : "", w->dstr);
		break;
	case EGRESS_LAN:
		step(w, p->node, e->lan->loc, "%s: %s is in its lan %s",
		     p->node, w->dstr, pfx_str(w->a, &e->lan->v));
		break;
	case EGRESS_OTHER:
		step(w, p->node, (struct loc){ 0 },
		     "%s: no meshc route for %s: it leaves through %s",
		     p->node, w->dstr, egress_name(w->a, p));
		break;
	}
}

/* Accepted out of a non-mesh interface: mention the NAT that applies. */
static int leaves_node(struct walk *w, const struct plan *p, size_t p_idx,
		       const struct eval_packet *fwd,
		       const struct eval_fw_trace *ft, struct loc loc)
{
	struct eval_fw_trace nat;
	struct loc nat_loc;
	bool masq;
	int rc;

	rc = run_fw(w, p, p_idx, FW_CHAIN_POSTROUTING, fwd, &nat, &nat_loc);
	if (rc)
		return rc;
	masq = nat.decider && nat.decider->rule->verdict == FW_MASQUERADE;
	if (fwd->oif == EVAL_IF_LAN)
		return decide(w, true, p->node, decider_rule(ft), loc,
			      "via %s's lan%s: %s", p->node,
			      masq ? " (masqueraded)" : "", rule_comment(ft));
	return decide(w, true, p->node, decider_rule(ft), loc,
		      "via %s to the internet (%s): %s", p->node,
		      masq ? "masqueraded" : "not masqueraded",
		      rule_comment(ft));
}

/* The relay dropped what was sent to it for relaying: where the pair is
 * relayed, the destination's grant decided (the pair set holds exactly
 * the pairs it grants); otherwise the rule that dropped it says why. */
static int relay_refuses(struct walk *w, const struct plan *p,
			 const struct eval_fw_trace *t, struct loc loc)
{
	struct loc yloc;
	size_t y = node_with_address(w->m, &w->daddr, &yloc);
	struct perm_set g;

	if (y == MODEL_NONE || !model_relayed(w->m, w->from, y))
		return decide(w, false, p->node, decider_rule(t), loc,
			      "%s drops it: %s", p->node, rule_comment(t));
	g = model_permissions(w->m, y, w->from);
	if (g.incoming.v && g.incoming.limited) {
		/* the relay forwards the list's services only */
		char buf[SVC_STRLEN];
		const char *svc = svc_str(&w->svc, buf);

		step(w, p->node, g.incoming.loc,
		     "%s grants %s incoming: a list without %s (%s)",
		     w->m->nodes[y].name.v, w->from_name, svc,
		     g.incoming.source ? g.incoming.source : "?");
		return decide(w, false, p->node, decider_rule(t),
			      loc_known(g.incoming.loc) ? g.incoming.loc : loc,
			      "%s does not relay it: %s does not grant %s "
			      "incoming for %s",
			      p->node, w->m->nodes[y].name.v, w->from_name,
			      svc);
	}
	step(w, p->node, g.incoming.loc, "%s grants %s incoming: %s (%s)",
	     w->m->nodes[y].name.v, w->from_name,
	     g.incoming.v ? "true" : "false",
	     g.incoming.source ? g.incoming.source : "?");
	return decide(w, false, p->node, decider_rule(t),
		      loc_known(g.incoming.loc) ? g.incoming.loc : loc,
		      "%s does not relay it: %s does not grant %s incoming",
		      p->node, w->m->nodes[y].name.v, w->from_name);
}

/* " for tcp/22 (b grants a incoming: a list with tcp/22)" when the relay
 * accepted by a service set (the destination's grant is a list), else
 * "": the hop names the grant and the service that decided. */
static const char *relay_svc_note(struct walk *w, const struct eval_fw_hit *h,
				  const char *dst)
{
	int id = h->rule->saddr_set;
	char pkt[SVC_STRLEN], with[SVC_STRLEN];
	const struct fw_elem *e = h->saddr_elem;

	if ((id != FW_SET_RELAY_SVC && id != FW_SET_RELAY_ICMP) || !e)
		return "";
	svc_str(&w->svc, pkt);
	return arena_printf(w->a, " for %s (%s grants %s incoming: a list "
				  "with %s)",
			    pkt, dst, w->from_name,
			    (fw_set_key(id) & FW_KEY_SVC)
				    ? svc_str(&e->svc, with)
				    : pkt);
}

static int at_forward(struct walk *w, const struct plan *p, size_t p_idx,
		      const struct ip_addr *src, int hop)
{
	struct eval_packet pkt = { .saddr = *src, .daddr = w->daddr,
				   .iif = EVAL_IF_MESH, .svc = w->svc };
	struct egress e;
	struct eval_fw_trace t;
	struct loc loc;
	bool on;
	int rc;

	rc = check_forwarding(w, p, &on);
	if (rc || !on)
		return rc;
	e = find_egress(&w->m->nodes[p_idx], p, &w->daddr);
	step_egress(w, p, &e);
	pkt.oif = e.kind == EGRESS_MESH	  ? EVAL_IF_MESH
		  : e.kind == EGRESS_LAN ? EVAL_IF_LAN
					 : EVAL_IF_UPLINK;
	rc = run_fw(w, p, p_idx, FW_CHAIN_FORWARD, &pkt, &t, &loc);
	if (rc)
		return rc;
	if (!t.accept && w->relay && !strcmp(w->relay, p->node))
		return relay_refuses(w, p, &t, loc);
	if (!t.accept)
		return decide(w, false, p->node, decider_rule(&t), loc,
			      "%s drops it: %s", p->node, rule_comment(&t));
	if (e.kind != EGRESS_MESH)
		return leaves_node(w, p, p_idx, &pkt, &t, loc);
	if (t.decider && fw_rule_is_relay_accept(t.decider->rule)) {
		struct loc yloc;
		size_t y = node_with_address(w->m, &w->daddr, &yloc);

		const char *yname =
			y != MODEL_NONE ? w->m->nodes[y].name.v : w->dstr;

		step(w, p->node, hit_loc(t.decider), "%s: relays it to %s%s",
		     p->node, yname, relay_svc_note(w, t.decider, yname));
	}
	if (hop + 1 >= MAX_MESH_HOPS)
		return decide(w, false, p->node, decider_rule(&t), loc,
			      "%s would send it into the mesh again; not "
			      "followed further",
			      p->node);
	return into_mesh(w, p, e.route, src, hop + 1);
}

/* A tunnel needs one side to know where the other is: an endpoint. */
static bool no_tunnel(const struct model *m, const struct plan *s,
		      size_t p_idx)
{
	size_t s_idx = model_node_find(m, s->node);

	return s_idx != MODEL_NONE && !m->nodes[s_idx].endpoint.set &&
	       !m->nodes[p_idx].endpoint.set;
}

/* The packet arrived on P's mesh interface from peer s. */
static int at_receiver(struct walk *w, const struct plan *s,
		       const struct plan_peer *peer, const struct ip_addr *src,
		       int hop)
{
	size_t p_idx = model_node_find(w->m, peer->name);
	const struct plan *p;
	const struct plan_peer *back;
	const struct plan_allowed_ip *ip;
	const struct plan_address *own;
	char sbuf[IP_STRLEN];

	if (p_idx == MODEL_NONE)
		return decide(w, false, s->node, NULL, peer->loc,
			      "%s's peer %s is no node of the document",
			      s->node,
			      peer->name ? peer->name : peer->public_key);
	if (no_tunnel(w->m, s, p_idx))
		return decide(w, false, s->node, NULL, peer->loc,
			      "no tunnel: neither %s nor %s has an endpoint",
			      s->node, w->m->nodes[p_idx].name.v);
	p = plan_of(w, p_idx);
	if (!p)
		return -EIO;
	back = plan_peer_for(p, src);
	if (!back || !back->name || strcmp(back->name, s->node)) {
		if (!peer_named(p, s->node))
			return decide(w, false, p->node, NULL, p->node_loc,
				      "%s would drop the packet: %s is not a "
				      "peer of %s",
				      p->node, s->node, p->node);
		return decide(w, false, p->node, NULL, p->node_loc,
			      "%s would drop the packet: source %s is not in "
			      "%s's allowed IPs on %s",
			      p->node, ip_addr_str(src, sbuf), s->node,
			      p->node);
	}
	ip = best_allowed(back, src);
	step(w, p->node, ip ? ip->loc : back->loc,
	     "%s: WireGuard takes it from peer %s (source %s in its allowed "
	     "IP %s)",
	     p->node, s->node, ip_addr_str(src, sbuf),
	     ip ? pfx_str(w->a, &ip->prefix) : "?");
	own = own_address(p, &w->daddr);
	if (own)
		return at_input(w, s, p, p_idx, src, own);
	if (!model_node_managed(&w->m->nodes[p_idx]))
		return decide(w, false, p->node, NULL,
			      managed_loc(&w->m->nodes[p_idx]),
			      "%s is not managed: it forwards nothing for the "
			      "mesh",
			      p->node);
	return at_forward(w, p, p_idx, src, hop);
}

/* Sender s routed D into its mesh interface: WireGuard picks the peer. */
static int into_mesh(struct walk *w, const struct plan *s,
		     const struct plan_route *route, const struct ip_addr *src,
		     int hop)
{
	const struct plan_peer *peer = plan_peer_for(s, &w->daddr);
	const struct plan_allowed_ip *ip;

	if (!peer)
		return decide(w, false, s->node, NULL, route->loc,
			      "no peer of %s accepts %s in its allowed IPs "
			      "(WireGuard cryptokey routing)",
			      s->node, w->dstr);
	ip = best_allowed(peer, &w->daddr);
	if (ip->why == ALLOWED_RELAYED && peer->name) {
		struct loc yloc;
		size_t y = node_with_address(w->m, &w->daddr, &yloc);

		w->relay = peer->name;
		step(w, s->node, ip->loc,
		     "%s: WireGuard sends it to %s (relay for %s)", s->node,
		     peer->name,
		     y != MODEL_NONE ? w->m->nodes[y].name.v : w->dstr);
		return at_receiver(w, s, peer, src, hop);
	}
	step(w, s->node, ip->loc,
	     "%s: WireGuard sends it to peer %s (allowed IP %s, %s)", s->node,
	     peer->name ? peer->name : peer->public_key,
	     pfx_str(w->a, &ip->prefix), plan_allowed_why_name(ip->why));
	return at_receiver(w, s, peer, src, hop);
}

/* ---- the sender ---------------------------------------------------------- */

static const char *target_text(struct arena *a, const struct eval_target *t)
{
	char buf[IP_STRLEN];

	if (t->kind == EVAL_TO_ADDR)
		return t->text;
	return arena_printf(a, "%s (%s)", t->text, ip_addr_str(&t->addr, buf));
}

/* A managed sender's output chain: where the destination is an
 * unmanaged peer, the sender itself enforces that peer's incoming.  Only
 * a drop is worth a step; a packet it lets pass goes on as before.
 * Returns 1 when it decided. */
static int at_output(struct walk *w, const struct plan *p,
		     const struct ip_addr *src)
{
	struct eval_packet pkt = { .saddr = *src, .daddr = w->daddr,
				   .iif = EVAL_IF_NONE, .oif = EVAL_IF_MESH,
				   .svc = w->svc };
	const struct eval_fw_hit *h;
	struct eval_fw_trace t;
	int rc;

	if (!model_node_managed(&w->m->nodes[w->from]))
		return 0;
	rc = eval_fw_run(w->a, p, FW_CHAIN_OUTPUT, &pkt, &t);
	if (rc < 0)
		return fw_loop(w, p, FW_CHAIN_OUTPUT, rc);
	if (t.accept)
		return 0;
	step_hits(w, p, &pkt, &t);
	h = t.decider;
	if (h->daddr_elem && h->rule->daddr_set == FW_SET_CLOSED)
		decide(w, false, p->node, h->rule, hit_loc(h),
		       "%s drops its own packet: %s does not grant it "
		       "incoming%s",
		       p->node, h->daddr_elem->why,
		       svc_note(w, model_node_find(w->m, h->daddr_elem->why),
				w->from));
	else
		decide(w, false, p->node, h->rule, hit_loc(h),
		       "%s drops its own packet: %s", p->node,
		       rule_comment(&t));
	return 1;
}

static int at_sender(struct walk *w)
{
	const struct m_node *x = &w->m->nodes[w->from];
	const struct plan *p = w->from_plan;
	const struct plan_address *own, *src;
	struct egress e;
	int rc;

	for (size_t i = 0; i < x->lan.count; i++)
		if (ip_prefix_contains(&x->lan.items[i].v, &w->daddr))
			return decide(w, true, w->from_name, NULL,
				      x->lan.items[i].loc,
				      "local traffic, not through the mesh "
				      "(meshc leaves it alone)");
	own = own_address(p, &w->daddr);
	if (own)
		return decide(w, true, w->from_name, NULL, own->loc,
			      "%s is %s's own address", w->dstr,
			      w->from_name);
	e = find_egress(x, p, &w->daddr);
	if (e.kind != EGRESS_MESH) {
		if (is_public(w))
			return decide(w, true, w->from_name, NULL,
				      (struct loc){ 0 },
				      "%s reaches %s directly over its own "
				      "uplink (not through the mesh)",
				      w->from_name, w->dstr);
		return deny_no_route(w);
	}
	step_egress(w, p, &e);
	src = source_address(p, w->daddr.family);
	if (!src)
		return decide(w, false, w->from_name, NULL, x->loc,
			      "%s has no %s mesh address to send from, so no "
			      "peer would accept the packet",
			      w->from_name, fam_name(&w->daddr));
	rc = at_output(w, p, &src->addr.addr);
	if (rc)
		return rc < 0 ? rc : 0;
	return into_mesh(w, p, e.route, &src->addr.addr, 0);
}

static void step_target(struct walk *w, const struct eval_target *t)
{
	const char *owner = t->node_idx != MODEL_NONE
				    ? w->m->nodes[t->node_idx].name.v
				    : "";

	switch (t->kind) {
	case EVAL_TO_NODE:
		step(w, NULL, t->loc, "target %s: its mesh address %s",
		     t->text, w->dstr);
		break;
	case EVAL_TO_LAN:
		step(w, NULL, t->loc,
		     "target %s: %s, the first host of %s's first lan",
		     t->text, w->dstr, owner);
		break;
	case EVAL_TO_INTERNET:
		step(w, NULL, t->loc,
		     "target internet: probe address %s (TEST-NET-1, "
		     "taken as a public address)",
		     w->dstr);
		break;
	case EVAL_TO_ADDR:
		break;
	}
}

int eval_reach_service(struct arena *a, const struct model *m, size_t from,
		       const struct eval_target *target,
		       const struct fw_service *svc,
		       eval_get_plan_fn get_plan, void *ctx,
		       struct eval_result *res)
{
	struct walk w = {
		.a = a,
		.m = m,
		.get_plan = get_plan,
		.ctx = ctx,
		.res = res,
		.from = from,
		.from_name = m->nodes[from].name.v,
		.daddr = target->addr,
		.svc = *svc,
	};

	memset(res, 0, sizeof(*res));
	res->svc = *svc;
	res->daddr = target->addr;
	res->target = target_text(a, target);
	ip_addr_str(&w.daddr, w.dstr);
	step_target(&w, target);
	w.from_plan = plan_of(&w, from);
	if (!w.from_plan)
		return -EIO;
	return at_sender(&w);
}
