/* fw.c - a generic interpreter for the plan's firewall rules.
 *
 * It knows nothing about what the rules are for: it matches family,
 * interfaces and set membership exactly as the rendered nftables/pf rules
 * do and follows jumps, so a change in the compiler's rules changes the
 * answers of check and explain with it.
 */
#include "eval/eval.h"

#include <errno.h>
#include <string.h>

/* More nesting than any plan has; only a jump loop gets here. */
#define FW_MAX_DEPTH 16

struct fw_run {
	struct arena *arena;
	const struct plan *plan;
	const struct eval_packet *pkt;
	struct eval_fw_trace *t;
};

static bool is_base_chain(enum fw_chain c)
{
	return c == FW_CHAIN_INPUT || c == FW_CHAIN_FORWARD ||
	       c == FW_CHAIN_OUTPUT || c == FW_CHAIN_POSTROUTING;
}

/* FW_IF_UPLINK is the set uplinks: the named uplink, or the default
 * routes' interfaces, which is where a packet for the internet leaves
 * (EVAL_IF_UPLINK).  Without live knowledge (a compiled plan) that is all
 * that is known; read back empty (no default route), nothing leaves.  A
 * lan interface is not taken for a way out: whether it carries a default
 * route is the live node's business. */
static bool iface_matches(enum fw_iface want, enum eval_if have,
			  const struct plan_firewall *fw)
{
	switch (want) {
	case FW_IF_ANY:
		return true;
	case FW_IF_MESH:
		return have == EVAL_IF_MESH;
	case FW_IF_NOT_MESH:
		return have == EVAL_IF_LAN || have == EVAL_IF_UPLINK;
	case FW_IF_UPLINK:
		return have == EVAL_IF_UPLINK &&
		       (fw->sets[FW_SET_UPLINK][0].n_elems ||
			(fw->live_pending && !fw->uplink));
	}
	return false;
}

/* a: the address the rule names the set for; the packet supplies the
 * rest of a longer key (the destination of a pair, the service). */
static bool set_matches(const struct plan_firewall *fw, int id,
			const struct ip_addr *a, const struct eval_packet *pkt,
			const struct fw_elem **elem)
{
	const struct fw_set *s;

	*elem = NULL;
	if (id == FW_SET_NONE)
		return true;
	if (id < 0 || id >= FW_SET_COUNT)
		return false;
	s = &fw->sets[id][a->family == IP_V6];
	if (fw_set_key(id) == FW_KEY_ADDR)
		return fw_set_lookup(s, a, elem);
	return fw_set_lookup_key(s, id, a, &pkt->daddr, &pkt->svc, elem);
}

/* Does the rule match?  *saddr_only_miss says that everything but the
 * source set matched, which explains a later drop. */
static bool rule_matches(const struct fw_run *run, const struct fw_rule *r,
			 struct eval_fw_hit *hit, bool *saddr_only_miss)
{
	const struct plan_firewall *fw = &run->plan->fw;
	const struct eval_packet *pkt = run->pkt;
	bool src_ok;

	*saddr_only_miss = false;
	if (r->family && r->family != pkt->daddr.family)
		return false;
	if (!iface_matches(r->iif, pkt->iif, fw) ||
	    !iface_matches(r->oif, pkt->oif, fw))
		return false;
	/* Every evaluated packet opens a new connection, with a SYN when
	 * it is TCP: never a reply, never a flow picked up mid-stream. */
	if (r->ct_established || r->tcp_pickup)
		return false;
	if (r->icmp_echo && pkt->svc.proto != SVC_ICMP)
		return false;
	if (fw_rule_is_pair(r)) {
		/* one lookup of both addresses: a miss is no grant's */
		if (!fw_set_lookup_pair(&fw->sets[r->saddr_set]
					       [pkt->daddr.family == IP_V6],
					&pkt->saddr, &pkt->daddr,
					&hit->saddr_elem))
			return false;
		hit->daddr_elem = hit->saddr_elem;
		hit->rule = r;
		return true;
	}
	if (!set_matches(fw, r->daddr_set, &pkt->daddr, pkt, &hit->daddr_elem))
		return false;
	src_ok = set_matches(fw, r->saddr_set, &pkt->saddr, pkt,
			     &hit->saddr_elem);
	*saddr_only_miss = !src_ok;
	hit->rule = r;
	return src_ok;
}

static int run_chain(struct fw_run *run, enum fw_chain chain, int depth)
{
	const struct plan_firewall *fw = &run->plan->fw;
	struct eval_fw_trace *t = run->t;

	if (depth > FW_MAX_DEPTH)
		return -ELOOP;
	for (size_t i = 0; i < fw->n_rules; i++) {
		const struct fw_rule *r = &fw->rules[i];
		struct eval_fw_hit hit = { 0 }, *slot;
		bool near;
		int rc;

		if (r->chain != chain)
			continue;
		if (!rule_matches(run, r, &hit, &near)) {
			if (near && !t->near_miss && r->verdict != FW_DROP &&
			    r->verdict != FW_JUMP)
				t->near_miss = r;
			continue;
		}
		slot = arena_push(run->arena, &t->hits, &t->n_hits,
				  &t->cap_hits, sizeof(*slot));
		*slot = hit;
		if (r->verdict == FW_JUMP) {
			rc = run_chain(run, r->target, depth + 1);
			if (rc)
				return rc;
			continue;	/* the target chain returned */
		}
		t->accept = r->verdict != FW_DROP;
		return 1;
	}
	return 0;
}

int eval_fw_run(struct arena *a, const struct plan *p, enum fw_chain base,
		const struct eval_packet *pkt, struct eval_fw_trace *t)
{
	struct fw_run run = { .arena = a, .plan = p, .pkt = pkt, .t = t };
	int rc;

	memset(t, 0, sizeof(*t));
	t->base = base;
	rc = run_chain(&run, base, 0);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		/* A base chain ends in policy accept (rule 7: meshc only ever
		 * drops what it matched); a regular chain cannot be run
		 * alone. */
		t->accept = is_base_chain(base);
		return 0;
	}
	t->decider = &t->hits[t->n_hits - 1];
	return 0;
}
