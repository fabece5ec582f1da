#include "plan/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return a ? 1 : b ? -1 : 0;
	return strcmp(a, b);
}

uint32_t plan_policy_mark(const char *ifname)
{
	unsigned char h[crypto_generichash_BYTES];

	/* unkeyed BLAKE2b-256 of the name's bytes; cannot fail at this
	 * output size */
	crypto_generichash(h, sizeof(h), (const unsigned char *)ifname,
			   strlen(ifname), NULL, 0);
	return MESHC_POLICY_BASE | (uint32_t)h[0] << 8 | h[1];
}

int plan_address_cmp(const void *pa, const void *pb)
{
	const struct plan_address *a = pa, *b = pb;

	return ip_prefix_cmp(&a->addr, &b->addr);
}

int plan_allowed_ip_cmp(const void *pa, const void *pb)
{
	const struct plan_allowed_ip *a = pa, *b = pb;

	return ip_prefix_cmp(&a->prefix, &b->prefix);
}

static int cmp_peer(const void *pa, const void *pb)
{
	const struct plan_peer *a = pa, *b = pb;
	int c = cmp_str(a->name, b->name);

	return c ? c : strcmp(a->public_key, b->public_key);
}

int plan_route_cmp(const void *pa, const void *pb)
{
	const struct plan_route *a = pa, *b = pb;

	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	return ip_prefix_cmp(&a->dst, &b->dst);
}

int plan_rule_cmp(const void *pa, const void *pb)
{
	const struct plan_rule *a = pa, *b = pb;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return 0;
}

int plan_sysctl_cmp(const void *pa, const void *pb)
{
	const struct plan_sysctl *a = pa, *b = pb;

	return strcmp(a->key, b->key);
}

int fw_elem_cmp(const void *pa, const void *pb)
{
	const struct fw_elem *a = pa, *b = pb;

	int c;

	if (a->ifname || b->ifname)
		return cmp_str(a->ifname, b->ifname);
	c = ip_prefix_cmp(&a->prefix, &b->prefix);
	if (!c)
		c = ip_prefix_cmp(&a->dst, &b->dst);
	return c ? c : svc_cmp(&a->svc, &b->svc);
}

/* Most arrays arrive in order (compiled from a document written in
 * address order, or read back from a plan-ordered system): one linear
 * look costs less than a sort that finds nothing to do. */
static bool is_sorted(const void *items, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	const char *p = items;

	for (size_t i = 1; i < n; i++)
		if (cmp(p + (i - 1) * size, p + i * size) > 0)
			return false;
	return true;
}

#define SORT(items, n, cmp)                                                   \
	do {                                                                  \
		if (!is_sorted((items), (n), sizeof(*(items)), (cmp)))        \
			qsort((items), (n), sizeof(*(items)), (cmp));         \
	} while (0)

void plan_sort(struct plan *p)
{
	size_t i;

	SORT(p->iface.addresses, p->iface.n_addresses, plan_address_cmp);
	SORT(p->peers, p->n_peers, cmp_peer);
	for (i = 0; i < p->n_peers; i++)
		SORT(p->peers[i].allowed_ips, p->peers[i].n_allowed_ips,
		     plan_allowed_ip_cmp);
	SORT(p->routes, p->n_routes, plan_route_cmp);
	SORT(p->rules, p->n_rules, plan_rule_cmp);
	SORT(p->sysctls, p->n_sysctls, plan_sysctl_cmp);
	for (i = 0; i < FW_SET_COUNT; i++)
		for (int f = 0; f < 2; f++)
			SORT(p->fw.sets[i][f].elems, p->fw.sets[i][f].n_elems,
			     fw_elem_cmp);
	/* fw.rules keep their evaluation order: order is their meaning. */
}

const char *fw_chain_name(enum fw_chain c)
{
	static const char *const names[FW_CHAIN_COUNT] = {
		[FW_CHAIN_INPUT] = "input",
		[FW_CHAIN_MESH_INPUT] = "mesh_input",
		[FW_CHAIN_FORWARD] = "forward",
		[FW_CHAIN_FROM_MESH] = "from_mesh",
		[FW_CHAIN_TO_MESH] = "to_mesh",
		[FW_CHAIN_OUTPUT] = "output",
		[FW_CHAIN_POSTROUTING] = "postrouting",
	};

	return (unsigned)c < FW_CHAIN_COUNT ? names[c] : "?";
}

const char *fw_set_name(enum fw_set_id id, uint8_t family)
{
	static const char *const names[FW_SET_COUNT][2] = {
		[FW_SET_MESH] = { "mesh4", "mesh6" },
		[FW_SET_SELF] = { "self4", "self6" },
		[FW_SET_LAN] = { "lan4", "lan6" },
		[FW_SET_PRIVATE] = { "private4", "private6" },
		[FW_SET_INCOMING] = { "incoming4", "incoming6" },
		[FW_SET_ROUTING] = { "routing4", "routing6" },
		[FW_SET_LAN_ACCESS] = { "lan_access4", "lan_access6" },
		[FW_SET_CLOSED] = { "closed4", "closed6" },
		[FW_SET_RELAY_USERS] = { "relay_users4", "relay_users6" },
		[FW_SET_RELAY_OPEN] = { "relay_open4", "relay_open6" },
		[FW_SET_RELAY] = { "relay4", "relay6" },
		[FW_SET_LOCAL] = { "local4", "local6" },
		[FW_SET_UPLINK] = { "uplinks", "uplinks" },
		[FW_SET_INCOMING_SVC] = { "incoming_svc4", "incoming_svc6" },
		[FW_SET_INCOMING_ICMP] = { "incoming_icmp4", "incoming_icmp6" },
		[FW_SET_LAN_SVC] = { "lan_svc4", "lan_svc6" },
		[FW_SET_LAN_ICMP] = { "lan_icmp4", "lan_icmp6" },
		[FW_SET_OPEN_SVC] = { "open_svc4", "open_svc6" },
		[FW_SET_OPEN_ICMP] = { "open_icmp4", "open_icmp6" },
		[FW_SET_RELAY_SVC] = { "relay_svc4", "relay_svc6" },
		[FW_SET_RELAY_ICMP] = { "relay_icmp4", "relay_icmp6" },
	};

	if ((unsigned)id >= FW_SET_COUNT)
		return "?";
	return names[id][family == IP_V6];
}

const char *plan_allowed_why_name(enum plan_allowed_why w)
{
	switch (w) {
	case ALLOWED_MESH_ADDRESS:
		return "mesh address";
	case ALLOWED_EXIT_NODE:
		return "exit node";
	case ALLOWED_LANS_VIA:
		return "lans_via";
	case ALLOWED_RELAYED:
		return "relayed";
	}
	return "?";
}

const struct plan_peer *plan_peer_for(const struct plan *p,
				      const struct ip_addr *dst)
{
	const struct plan_peer *best = NULL;
	int best_len = -1;

	for (size_t i = 0; i < p->n_peers; i++) {
		const struct plan_peer *peer = &p->peers[i];

		for (size_t j = 0; j < peer->n_allowed_ips; j++) {
			const struct ip_prefix *pfx =
				&peer->allowed_ips[j].prefix;

			if (ip_prefix_contains(pfx, dst) && pfx->len > best_len) {
				best = peer;
				best_len = pfx->len;
			}
		}
	}
	return best;
}

bool fw_set_lookup(const struct fw_set *s, const struct ip_addr *a,
		   const struct fw_elem **elem)
{
	for (size_t i = 0; i < s->n_elems; i++) {
		if (s->elems[i].ifname)
			continue;
		if (ip_prefix_contains(&s->elems[i].prefix, a)) {
			if (elem)
				*elem = &s->elems[i];
			return true;
		}
	}
	return false;
}

const char *fw_verdict_name(enum fw_verdict v)
{
	switch (v) {
	case FW_ACCEPT:
		return "accept";
	case FW_DROP:
		return "drop";
	case FW_JUMP:
		return "jump";
	case FW_MASQUERADE:
		return "masquerade";
	}
	return "?";
}

bool fw_rule_has_set_match(const struct fw_rule *r)
{
	return r->saddr_set != FW_SET_NONE || r->daddr_set != FW_SET_NONE;
}

size_t fw_rule_families(const struct fw_rule *r, uint8_t fams[2])
{
	if (r->family == 0 && fw_rule_has_set_match(r)) {
		fams[0] = IP_V4;
		fams[1] = IP_V6;
		return 2;
	}
	fams[0] = r->family;
	return 1;
}

bool fw_set_id_is_interval(enum fw_set_id id)
{
	/* A key with a service has a port range; a pair's destination is
	 * a network. */
	return id == FW_SET_MESH || id == FW_SET_LAN || id == FW_SET_PRIVATE ||
	       id == FW_SET_LOCAL || fw_set_key(id) != FW_KEY_ADDR;
}

unsigned fw_set_key(enum fw_set_id id)
{
	switch (id) {
	case FW_SET_INCOMING_SVC:
	case FW_SET_OPEN_SVC:
		return FW_KEY_SVC;
	case FW_SET_LAN_SVC:
	case FW_SET_RELAY_SVC:
		return FW_KEY_DST | FW_KEY_SVC;
	case FW_SET_LAN_ICMP:
	case FW_SET_RELAY_ICMP:
		return FW_KEY_DST;
	default:
		return FW_KEY_ADDR;
	}
}

bool fw_set_id_is_service(enum fw_set_id id)
{
	return id >= FW_SET_INCOMING_SVC && id <= FW_SET_RELAY_ICMP;
}

bool fw_set_wanted(const struct plan_firewall *fw, enum fw_set_id id)
{
	return !fw_set_id_is_service(id) || fw->services;
}

bool fw_set_lookup_key(const struct fw_set *s, enum fw_set_id id,
		       const struct ip_addr *a, const struct ip_addr *dst,
		       const struct fw_service *svc,
		       const struct fw_elem **elem)
{
	unsigned key = fw_set_key(id);

	for (size_t i = 0; i < s->n_elems; i++) {
		const struct fw_elem *e = &s->elems[i];

		if (e->ifname || !ip_prefix_contains(&e->prefix, a))
			continue;
		if ((key & FW_KEY_DST) && !ip_prefix_contains(&e->dst, dst))
			continue;
		if ((key & FW_KEY_SVC) && !svc_contains(&e->svc, svc))
			continue;
		if (elem)
			*elem = e;
		return true;
	}
	return false;
}

bool fw_set_id_is_pair(enum fw_set_id id)
{
	return id == FW_SET_RELAY;
}

bool fw_rule_is_pair(const struct fw_rule *r)
{
	return r->saddr_set >= 0 && r->saddr_set < FW_SET_COUNT &&
	       fw_set_id_is_pair(r->saddr_set) && r->daddr_set == r->saddr_set;
}

bool fw_rule_is_relay_accept(const struct fw_rule *r)
{
	return r->chain == FW_CHAIN_FROM_MESH && r->oif == FW_IF_MESH &&
	       r->verdict == FW_ACCEPT && !r->ct_established &&
	       fw_rule_has_set_match(r);
}

bool fw_set_lookup_pair(const struct fw_set *s, const struct ip_addr *saddr,
			const struct ip_addr *daddr,
			const struct fw_elem **elem)
{
	for (size_t i = 0; i < s->n_elems; i++) {
		const struct fw_elem *e = &s->elems[i];

		if (ip_prefix_contains(&e->prefix, saddr) &&
		    ip_prefix_contains(&e->dst, daddr)) {
			if (elem)
				*elem = e;
			return true;
		}
	}
	return false;
}

bool fw_set_id_is_ifname(enum fw_set_id id)
{
	return id == FW_SET_UPLINK;
}

int fw_set_slots(enum fw_set_id id)
{
	return fw_set_id_is_ifname(id) ? 1 : 2;
}

uint8_t fw_set_family(enum fw_set_id id, int f)
{
	if (fw_set_id_is_ifname(id))
		return 0;
	return f ? IP_V6 : IP_V4;
}

bool fw_set_has_name(const struct fw_set *s, const char *name)
{
	for (size_t i = 0; name && i < s->n_elems; i++)
		if (s->elems[i].ifname && !strcmp(s->elems[i].ifname, name))
			return true;
	return false;
}

bool fw_set_is_interval(const struct fw_set *s, enum fw_set_id id)
{
	if (fw_set_id_is_interval(id))
		return true;
	if (fw_set_id_is_ifname(id))
		return false;
	/* A network in a host set would be refused by a plain set. */
	for (size_t i = 0; i < s->n_elems; i++) {
		const struct ip_prefix *x = &s->elems[i].prefix;

		if (x->len != ip_bits(x->addr.family))
			return true;
	}
	return false;
}

size_t fw_rule_comment(const struct fw_rule *r, char *out, size_t size)
{
	const char *text = r->comment ? r->comment : "";
	size_t n = 0;
	int head = 0;

	if (!size)
		return 0;
	if (r->spec_rule > 0)
		head = snprintf(out, size, "rule %d%s", r->spec_rule,
				*text ? ": " : "");
	if (head > 0 && (size_t)head < size)
		n = (size_t)head;
	for (; *text && n + 1 < size; text++) {
		unsigned char c = (unsigned char)*text;

		out[n++] = c == '"' ? '\'' : c < 0x20 || c > 0x7e ? '?' : (char)c;
	}
	out[n] = '\0';
	return n;
}

bool fw_chain_wanted(const struct plan_firewall *fw, enum fw_chain c)
{
	if (c != FW_CHAIN_POSTROUTING || fw->nat)
		return true;
	for (size_t i = 0; i < fw->n_rules; i++)
		if (fw->rules[i].chain == c)
			return true;
	return false;
}
