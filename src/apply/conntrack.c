/* conntrack.c - a revoked grant also ends the connections it let in.
 *
 * The firewall accepts replies and the rest of a connection by its
 * conntrack state (mesh_input and to_mesh accept "ct state established"
 * before any grant is looked at), so without this a peer whose incoming
 * grant is revoked keeps its open SSH session to this node, and a lan
 * host keeps streaming into a peer whose local_network was revoked.
 * Likewise output accepts this node's own established connections before
 * the closed set: an unmanaged peer that stops granting this node
 * incoming ends the connections this node opened to it.  On a relay, a
 * pair that leaves the pair set (its destination revoked the source's
 * incoming) ends the relayed connections of that pair, and a node that
 * leaves relay_open (it revoked someone) those from every source the new
 * pair set does not hold: the relay accepts their packets by state, and
 * for an unmanaged destination nothing else would end them.
 *
 * ctnetlink over libmnl: one dump per family with revoked peers, the
 * matching entries chosen here (the kernel's dump filters differ from one
 * version to the next), then one delete per entry, by its original tuple
 * and zone as the dump gave them.  An entry that is gone already
 * (ENOENT: it timed out meanwhile) is not an error.
 */
#include "apply/conntrack.h"
#include "apply/nl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

/* A request: the headers and one original tuple (and a zone). */
#define CT_REQ_SIZE 512
/* An original tuple: two IPv6 addresses and a protocol with ports, or
 * ICMP's id/type/code, is ~100 bytes; anything larger is not one. */
#define CT_TUPLE_MAX 256
/* A kernel that does not answer within this is reported, not awaited. */
#define CT_TIMEOUT_S 5

/* GRANT_OPEN: this node may open connections to the address (an
 * unmanaged peer's incoming, revoked when the address joins closed). */
enum { GRANT_INCOMING = 1, GRANT_ROUTING = 2, GRANT_LAN = 4, GRANT_OPEN = 8 };

struct revoked {
	struct ip_addr addr;
	unsigned grants;
};

/* A relayed pair whose destination no longer grants the source; src
 * family 0: every source (the destination left relay_open). */
struct revoked_pair {
	struct ip_addr src, dst;
};

struct ct_entry {
	uint8_t family;
	bool has_zone;
	uint16_t zone;		/* network order, as the kernel sent it */
	uint16_t len;
	unsigned char tuple[CT_TUPLE_MAX];	/* CTA_TUPLE_ORIG's payload */
};

struct ct_cut {
	struct arena *a;
	const struct plan *target;
	struct revoked *rv;
	size_t n_rv, cap_rv;
	struct revoked_pair *pairs;
	size_t n_pairs, cap_pairs;
	struct ct_entry *del;
	size_t n_del, cap_del;
	struct nl *nl;
	char *req;		/* the request being built */
};

static unsigned grant_of(enum fw_set_id id)
{
	switch (id) {
	case FW_SET_INCOMING:
		return GRANT_INCOMING;
	case FW_SET_ROUTING:
		return GRANT_ROUTING;
	case FW_SET_LAN_ACCESS:
		return GRANT_LAN;
	default:
		return 0;
	}
}

static struct revoked *find_revoked(struct ct_cut *c, const struct ip_addr *a)
{
	for (size_t i = 0; i < c->n_rv; i++)
		if (ip_addr_eq(&c->rv[i].addr, a))
			return &c->rv[i];
	return NULL;
}

static void add_revoked(struct ct_cut *c, const struct ip_addr *a,
			unsigned g)
{
	struct revoked *r = find_revoked(c, a);

	if (!r) {
		r = arena_push(c->a, &c->rv, &c->n_rv, &c->cap_rv,
			       sizeof(*r));
		r->addr = *a;
		r->grants = 0;
	}
	r->grants |= g;
}

/* A grant is revoked when its set loses the peer's address, or, for an
 * unmanaged peer's incoming, when closed gains it. */
static void collect_revoked(struct ct_cut *c, const struct changeset *cs)
{
	for (size_t i = 0; i < cs->count; i++) {
		const struct change *ch = &cs->items[i];
		unsigned g = grant_of(ch->set_id);

		if (ch->layer != LAYER_FIREWALL_SETS)
			continue;
		/* A relayed pair that loses a service loses its
		 * connections (those of a service it keeps come back with
		 * their next SYN). */
		if (ch->op == CHANGE_REMOVE && (ch->set_id == FW_SET_RELAY ||
						ch->set_id == FW_SET_RELAY_SVC ||
						ch->set_id == FW_SET_RELAY_ICMP)) {
			struct revoked_pair *p = arena_push(
				c->a, &c->pairs, &c->n_pairs, &c->cap_pairs,
				sizeof(*p));

			p->src = ch->old.elem->prefix.addr;
			p->dst = ch->old.elem->dst.addr;
		} else if (ch->op == CHANGE_REMOVE &&
			   ch->set_id == FW_SET_RELAY_OPEN) {
			struct revoked_pair *p = arena_push(
				c->a, &c->pairs, &c->n_pairs, &c->cap_pairs,
				sizeof(*p));

			memset(&p->src, 0, sizeof(p->src));
			p->dst = ch->old.elem->prefix.addr;
		} else if (ch->op == CHANGE_REMOVE && g)
			add_revoked(c, &ch->old.elem->prefix.addr, g);
		else if (ch->op == CHANGE_ADD && ch->set_id == FW_SET_CLOSED)
			add_revoked(c, &ch->new.elem->prefix.addr, GRANT_OPEN);
	}
}

/* A relayed connection src -> dst that the relay no longer lets in.  A
 * destination that left relay_open keeps the sources the new pair set
 * holds, and this node's own connections are not relayed ones. */
static bool pair_revoked(const struct ct_cut *c, const struct ip_addr *src,
			 const struct ip_addr *dst)
{
	const struct plan_firewall *fw = &c->target->fw;
	int f = dst->family == IP_V6;

	for (size_t i = 0; i < c->n_pairs; i++) {
		const struct revoked_pair *p = &c->pairs[i];

		if (!ip_addr_eq(&p->dst, dst))
			continue;
		if (p->src.family && ip_addr_eq(&p->src, src))
			return true;
		if (!p->src.family &&
		    !fw_set_lookup(&fw->sets[FW_SET_SELF][f], src, NULL) &&
		    !fw_set_lookup_pair(&fw->sets[FW_SET_RELAY][f], src, dst,
					NULL))
			return true;
	}
	return false;
}

/* Which grant let a connection to dst in, by the target's sets. */
static unsigned grant_for(const struct plan *p, const struct ip_addr *dst)
{
	int f = dst->family == IP_V6;

	if (fw_set_lookup(&p->fw.sets[FW_SET_SELF][f], dst, NULL))
		return GRANT_INCOMING;
	if (fw_set_lookup(&p->fw.sets[FW_SET_LAN][f], dst, NULL))
		return GRANT_LAN;
	return GRANT_ROUTING;
}

/* ---- parsing one dumped entry ---------------------------------------- */

struct attr_table {
	const struct nlattr **tb;
	int max;
};

static int table_cb(const struct nlattr *at, void *data)
{
	struct attr_table *t = data;
	int type = mnl_attr_get_type(at);

	if (type <= t->max)
		t->tb[type] = at;
	return MNL_CB_OK;
}

static void parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			 int max)
{
	struct attr_table t = { tb, max };

	mnl_attr_parse_nested(nest, table_cb, &t);
}

static bool tuple_addr(const struct nlattr *const *ip, uint8_t nfamily,
		       bool src, struct ip_addr *out)
{
	const struct nlattr *at;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (nfamily == AF_INET) {
		at = ip[src ? CTA_IP_V4_SRC : CTA_IP_V4_DST];
		out->family = IP_V4;
		len = 4;
	} else {
		at = ip[src ? CTA_IP_V6_SRC : CTA_IP_V6_DST];
		out->family = IP_V6;
		len = 16;
	}
	if (!at || mnl_attr_get_payload_len(at) != len)
		return false;
	memcpy(out->b, mnl_attr_get_payload(at), len);
	return true;
}

static void keep_entry(struct ct_cut *c, uint8_t nfamily,
		       const struct nlattr *orig, const struct nlattr *zone)
{
	struct ct_entry *e;
	uint16_t len = mnl_attr_get_payload_len(orig);

	if (len > CT_TUPLE_MAX)
		return;
	e = arena_push(c->a, &c->del, &c->n_del, &c->cap_del, sizeof(*e));
	e->family = nfamily;
	e->len = len;
	memcpy(e->tuple, mnl_attr_get_payload(orig), len);
	e->has_zone = zone && mnl_attr_get_payload_len(zone) == sizeof(e->zone);
	if (e->has_zone)
		memcpy(&e->zone, mnl_attr_get_payload(zone), sizeof(e->zone));
}

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_cut *c = data;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	const struct nlattr *tuple[CTA_TUPLE_MAX + 1] = { 0 };
	const struct nlattr *ip[CTA_IP_MAX + 1] = { 0 };
	struct attr_table t = { tb, CTA_MAX };
	struct ip_addr src, dst;
	struct revoked *r;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*g), table_cb, &t);
	if (!tb[CTA_TUPLE_ORIG])
		return MNL_CB_OK;
	parse_nested(tb[CTA_TUPLE_ORIG], tuple, CTA_TUPLE_MAX);
	if (!tuple[CTA_TUPLE_IP])
		return MNL_CB_OK;
	parse_nested(tuple[CTA_TUPLE_IP], ip, CTA_IP_MAX);
	if (!tuple_addr(ip, g->nfgen_family, true, &src) ||
	    !tuple_addr(ip, g->nfgen_family, false, &dst))
		return MNL_CB_OK;
	if (pair_revoked(c, &src, &dst)) {
		keep_entry(c, g->nfgen_family, tb[CTA_TUPLE_ORIG],
			   tb[CTA_ZONE]);
		return MNL_CB_OK;
	}
	r = find_revoked(c, &src);
	if (r && (r->grants & grant_for(c->target, &dst))) {
		keep_entry(c, g->nfgen_family, tb[CTA_TUPLE_ORIG],
			   tb[CTA_ZONE]);
		return MNL_CB_OK;
	}
	/* a connection this node opened to a peer that now refuses it */
	r = find_revoked(c, &dst);
	if (r && (r->grants & GRANT_OPEN) &&
	    fw_set_lookup(&c->target->fw.sets[FW_SET_SELF][dst.family == IP_V6],
			  &src, NULL))
		keep_entry(c, g->nfgen_family, tb[CTA_TUPLE_ORIG],
			   tb[CTA_ZONE]);
	return MNL_CB_OK;
}

/* ---- requests ------------------------------------------------------------ */

static struct nlmsghdr *ct_request(struct ct_cut *c, uint8_t type,
				   uint16_t flags, uint8_t nfamily)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(c->req);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = nfamily;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

/* Send nlh and read its answer to the end through the one netlink
 * request/answer path (nl.c); cb sees the data messages.  A dump the
 * kernel marks interrupted is read to its end and started again.
 * 0 or -errno. */
static int ct_talk(struct ct_cut *c, struct nlmsghdr *nlh, mnl_cb_t cb)
{
	struct nl_answer ans = { .cb = cb, .data = c };
	int err = nlh->nlmsg_flags & NLM_F_DUMP
			  ? nl_dump(c->nl, nlh, &ans, NULL)
			  : nl_talk(c->nl, nlh, &ans);

	strbuf_free(&ans.ext);
	return err;
}

static int ct_open(struct ct_cut *c)
{
	c->req = arena_alloc(c->a, CT_REQ_SIZE);
	return nl_open(NETLINK_NETFILTER, CT_TIMEOUT_S * 1000, &c->nl);
}

static int delete_entry(struct ct_cut *c, const struct ct_entry *e)
{
	struct nlmsghdr *nlh = ct_request(c, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
					  e->family);
	int err;

	mnl_attr_put(nlh, CTA_TUPLE_ORIG | NLA_F_NESTED, e->len, e->tuple);
	if (e->has_zone)
		mnl_attr_put(nlh, CTA_ZONE, sizeof(e->zone), &e->zone);
	err = ct_talk(c, nlh, NULL);
	return err == -ENOENT ? 0 : err;
}

static bool family_revoked(const struct ct_cut *c, uint8_t family)
{
	for (size_t i = 0; i < c->n_rv; i++)
		if (c->rv[i].addr.family == family)
			return true;
	for (size_t i = 0; i < c->n_pairs; i++)
		if (c->pairs[i].dst.family == family)
			return true;
	return false;
}

static int cut(struct ct_cut *c)
{
	static const struct {
		uint8_t family, nfamily;
	} fams[] = { { IP_V4, AF_INET }, { IP_V6, AF_INET6 } };
	int err = 0;

	for (size_t f = 0; f < 2; f++) {
		if (!family_revoked(c, fams[f].family))
			continue;
		/* An entry kept twice by a repeated (interrupted) dump is
		 * deleted once and then found gone (ENOENT), which is fine. */
		err = ct_talk(c, ct_request(c, IPCTNL_MSG_CT_GET, NLM_F_DUMP,
					    fams[f].nfamily),
			      entry_cb);
		if (err)
			return err;
	}
	/* Deletes only after the dumps: a socket in a dump answers nothing
	 * else. */
	for (size_t i = 0; i < c->n_del; i++)
		if ((err = delete_entry(c, &c->del[i])))
			return err;
	return 0;
}

int conntrack_cut_revoked(struct arena *a, const struct plan *target,
			  const struct changeset *cs)
{
	struct ct_cut c = { .a = a, .target = target };
	int err;

	collect_revoked(&c, cs);
	if (!c.n_rv && !c.n_pairs)
		return 0;
	if ((err = ct_open(&c))) {
		fprintf(stderr, "meshc: conntrack: open netlink socket: %s\n",
			strerror(-err));
		return err;
	}
	err = cut(&c);
	nl_close(c.nl);
	if (err) {
		fprintf(stderr,
			"meshc: conntrack: cutting the connections of revoked "
			"grants: %s\n",
			strerror(-err));
		return err;
	}
	return (int)c.n_del;
}
