/* rtnl_parse.c - one rtnetlink dump message -> one plan item.
 *
 * Pure functions of the message bytes: rtnl.c's dump callbacks call them,
 * and the unit tests feed them recorded kernel replies.  The message
 * length is trusted only as far as nlmsg_len says; every attribute is
 * bounds-checked against it, and anything that does not add up is
 * -EINVAL rather than a guess.
 */
#include "apply/rtnl.h"

#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

/* Index the attributes of [start, start + len) by type into tb[0..max].
 * mnl_attr_parse() stops silently at a bad length; a reader that must
 * not mistake a truncated message for a short one needs to know. */
static int attr_table(const void *start, size_t len,
		      const struct nlattr **tb, unsigned max)
{
	const struct nlattr *at = start;
	size_t rem = len;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (rem > 0) {
		size_t step;

		if (rem > INT32_MAX || !mnl_attr_ok(at, (int)rem))
			return -EINVAL;
		if (mnl_attr_get_type(at) <= max)
			tb[mnl_attr_get_type(at)] = at;
		step = MNL_ALIGN(at->nla_len);
		if (step >= rem)
			break;	/* the last one may go without padding */
		rem -= step;
		at = (const struct nlattr *)((const char *)at + step);
	}
	return 0;
}

/* The family header of a message and the attributes after it. */
static int msg_attrs(const struct nlmsghdr *nlh, size_t hdr_len,
		     const struct nlattr **tb, unsigned max)
{
	size_t payload, off = MNL_ALIGN(hdr_len);

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN)
		return -EINVAL;
	payload = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	if (payload < hdr_len)
		return -EINVAL;
	if (payload <= off)
		return attr_table(NULL, 0, tb, max);
	return attr_table((const char *)mnl_nlmsg_get_payload(nlh) + off,
			  payload - off, tb, max);
}

static int attr_u32(const struct nlattr *at, uint32_t *v)
{
	if (mnl_attr_get_payload_len(at) != sizeof(uint32_t))
		return -EINVAL;
	*v = mnl_attr_get_u32(at);
	return 0;
}

static int attr_u8(const struct nlattr *at, uint8_t *v)
{
	if (mnl_attr_get_payload_len(at) != sizeof(uint8_t))
		return -EINVAL;
	*v = mnl_attr_get_u8(at);
	return 0;
}

/* A NUL-terminated string attribute; NULL when it is not one. */
static const char *attr_str(const struct nlattr *at)
{
	const char *s = mnl_attr_get_payload(at);
	size_t len = mnl_attr_get_payload_len(at);

	if (len == 0 || strnlen(s, len) == len)
		return NULL;
	return s;
}

static int attr_addr(const struct nlattr *at, uint8_t family,
		     struct ip_addr *out)
{
	size_t len = family == IP_V4 ? 4 : 16;

	if (mnl_attr_get_payload_len(at) != len)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(out->b, mnl_attr_get_payload(at), len);
	return 0;
}

static uint8_t ip_family(uint8_t af)
{
	return af == AF_INET ? IP_V4 : af == AF_INET6 ? IP_V6 : 0;
}

/* ---- links ---------------------------------------------------------- */

static enum link_kind link_kind_of(const char *kind)
{
	if (!strcmp(kind, "wireguard"))
		return LINK_WIREGUARD;
	/* wireguard-go's device: the kernel sees a tun, nothing more */
	if (!strcmp(kind, "tun"))
		return LINK_TUN;
	return LINK_OTHER;
}

static int link_info(const struct nlattr *info, struct live_link *out)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1];
	const char *kind;

	if (attr_table(mnl_attr_get_payload(info),
		       mnl_attr_get_payload_len(info), tb, IFLA_INFO_MAX))
		return -EINVAL;
	if (!tb[IFLA_INFO_KIND])
		return 0;
	kind = attr_str(tb[IFLA_INFO_KIND]);
	if (!kind)
		return -EINVAL;
	/* a kind too long for kind_name is no kind meshc knows */
	if (strlen(kind) >= sizeof(out->kind_name)) {
		memcpy(out->kind_name, kind, sizeof(out->kind_name) - 1);
		return 0;
	}
	strcpy(out->kind_name, kind);
	out->kind = link_kind_of(kind);
	return 0;
}

/* The alias is a string with or without its NUL, as it was set. */
static bool alias_is_mark(const struct nlattr *at)
{
	const char *s = mnl_attr_get_payload(at);
	size_t len = strnlen(s, mnl_attr_get_payload_len(at));

	return len == strlen(MESHC_LINK_MARK) &&
	       !memcmp(s, MESHC_LINK_MARK, len);
}

int rtnl_parse_link(const struct nlmsghdr *nlh, const char *ifname,
		    struct live_link *out)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	const char *name;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (msg_attrs(nlh, sizeof(*ifi), tb, IFLA_MAX))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (!tb[IFLA_IFNAME] || !(name = attr_str(tb[IFLA_IFNAME])))
		return -EINVAL;
	if ((ifname && strcmp(name, ifname)) || strlen(name) >= sizeof(out->name))
		return 0;
	memset(out, 0, sizeof(*out));
	out->exists = true;
	strcpy(out->name, name);
	out->ifindex = ifi->ifi_index;
	out->kind = LINK_OTHER;
	out->up = ifi->ifi_flags & IFF_UP;
	if (tb[IFLA_MTU] && attr_u32(tb[IFLA_MTU], &out->mtu))
		return -EINVAL;
	if (tb[IFLA_LINKINFO] && link_info(tb[IFLA_LINKINFO], out))
		return -EINVAL;
	if (tb[IFLA_IFALIAS])
		out->meshc_mark = alias_is_mark(tb[IFLA_IFALIAS]);
	return 1;
}

/* ---- addresses ------------------------------------------------------ */

static bool ip6_link_local(const struct ip_addr *a)
{
	return a->family == IP_V6 && a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

/* An address message: its header and its address, taken from attribute
 * `first`, else the other of IFA_LOCAL / IFA_ADDRESS.  only: NULL for an
 * address of any interface, else the interface's index (<= 0: none).
 * 1, 0 (no address message of an IP family, or not of *only), or
 * -EINVAL. */
static int addr_msg(const struct nlmsghdr *nlh, const int *only, int first,
		    const struct ifaddrmsg **ifa, struct ip_addr *addr)
{
	const struct nlattr *tb[IFA_MAX + 1];
	const struct nlattr *at;
	uint8_t family;
	int second = first == IFA_LOCAL ? IFA_ADDRESS : IFA_LOCAL;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return 0;
	if (msg_attrs(nlh, sizeof(**ifa), tb, IFA_MAX))
		return -EINVAL;
	*ifa = mnl_nlmsg_get_payload(nlh);
	family = ip_family((*ifa)->ifa_family);
	if (!family || (only && (*only <= 0 ||
				 (*ifa)->ifa_index != (unsigned)*only)))
		return 0;
	at = tb[first] ? tb[first] : tb[second];
	if (!at || attr_addr(at, family, addr) ||
	    (*ifa)->ifa_prefixlen > ip_bits(family))
		return -EINVAL;
	return 1;
}

int rtnl_parse_addr(const struct nlmsghdr *nlh, int ifindex,
		    struct plan_address *out)
{
	const struct ifaddrmsg *ifa;
	struct ip_addr addr;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer of a
	 * point-to-point IPv4 address (IPv6 sends only IFA_ADDRESS). */
	int ret = addr_msg(nlh, &ifindex, IFA_LOCAL, &ifa, &addr);

	if (ret <= 0)
		return ret;
	if (addr.family == IP_V6 &&
	    (ip6_link_local(&addr) || ifa->ifa_scope == RT_SCOPE_LINK))
		return 0;
	memset(out, 0, sizeof(*out));
	out->addr.addr = addr;
	/* not forced to /32 or /128: another length must show in a diff */
	out->addr.len = ifa->ifa_prefixlen;
	return 1;
}

/* ---- routes --------------------------------------------------------- */

int rtnl_parse_route(const struct nlmsghdr *nlh, int ifindex,
		     const char *ifname, struct plan_route *out)
{
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	struct ip_prefix dst = { 0 };
	uint32_t table, oif = 0;
	uint8_t family;

	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if (msg_attrs(nlh, sizeof(*rtm), tb, RTA_MAX))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	family = ip_family(rtm->rtm_family);
	if (!family)
		return 0;
	if (rtm->rtm_dst_len > ip_bits(family))
		return -EINVAL;
	dst.addr.family = family;
	dst.len = rtm->rtm_dst_len;
	table = rtm->rtm_table;
	if ((tb[RTA_DST] && attr_addr(tb[RTA_DST], family, &dst.addr)) ||
	    (tb[RTA_TABLE] && attr_u32(tb[RTA_TABLE], &table)) ||
	    (tb[RTA_OIF] && attr_u32(tb[RTA_OIF], &oif)))
		return -EINVAL;
	/* Only meshc's own device routes; a cloned (cached) entry or another
	 * route type under its number is nothing meshc could have made. */
	if (rtm->rtm_protocol != MESHC_ROUTE_PROTO ||
	    rtm->rtm_type != RTN_UNICAST || (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	memset(out, 0, sizeof(*out));
	out->dst = dst;
	out->table = table;
	/* Another device's name needs a lookup this pure function cannot
	 * make: rtnl_read_plan names it. */
	out->dev = oif && ifindex > 0 && oif == (uint32_t)ifindex ? ifname
								   : NULL;
	return 1;
}

/* ---- policy rules --------------------------------------------------- */

bool rtnl_rule_is_legacy(uint32_t fwmark, uint32_t table, uint32_t suppress)
{
	return (fwmark == 0 && table == MESHC_MAIN_TABLE && suppress == 0) ||
	       (fwmark == MESHC_LEGACY_MARK && table == MESHC_LEGACY_MARK);
}

int rtnl_parse_rule(const struct nlmsghdr *nlh, uint32_t mark,
		    struct plan_rule *out)
{
	const struct nlattr *tb[FRA_MAX + 1];
	const struct fib_rule_hdr *frh;
	uint32_t prio = 0, table, fwmark = 0, suppress = UINT32_MAX;
	uint8_t family, proto = 0;

	if (nlh->nlmsg_type != RTM_NEWRULE)
		return 0;
	if (msg_attrs(nlh, sizeof(*frh), tb, FRA_MAX))
		return -EINVAL;
	frh = mnl_nlmsg_get_payload(nlh);
	family = ip_family(frh->family);
	if (!family)
		return 0;
	table = frh->table;
	if ((tb[FRA_PROTOCOL] && attr_u8(tb[FRA_PROTOCOL], &proto)) ||
	    (tb[FRA_PRIORITY] && attr_u32(tb[FRA_PRIORITY], &prio)) ||
	    (tb[FRA_TABLE] && attr_u32(tb[FRA_TABLE], &table)) ||
	    (tb[FRA_FWMARK] && attr_u32(tb[FRA_FWMARK], &fwmark)) ||
	    (tb[FRA_SUPPRESS_PREFIXLEN] &&
	     attr_u32(tb[FRA_SUPPRESS_PREFIXLEN], &suppress)))
		return -EINVAL;
	/* meshc's rules are table lookups; anything else under its number
	 * is not one of its rules.  Every rule of an interface matches its
	 * own mark M, so another meshc interface's rules (another M) are
	 * not this one's to change or remove.  The pair meshc 0.1 made
	 * (one interface per namespace, fixed mark and table) is any
	 * interface's to remove: left behind, its "not fwmark 0x4d43" would
	 * send WireGuard's own packets, now marked M, into the tunnel. */
	if (proto != MESHC_ROUTE_PROTO || frh->action != FR_ACT_TO_TBL ||
	    !mark ||
	    (fwmark != mark && !rtnl_rule_is_legacy(fwmark, table, suppress)))
		return 0;
	memset(out, 0, sizeof(*out));
	out->family = family;
	out->priority = prio;
	out->table = table;
	out->fwmark = fwmark;
	out->invert = frh->flags & FIB_RULE_INVERT;
	/* the kernel reports "unset" as -1 (0xffffffff) */
	out->suppress_prefixlen = suppress > INT32_MAX ? -1 : (int)suppress;
	return 1;
}

/* ---- the node's ways out and networks (the firewall's live sets) ---- */

static bool ip4_link_local(const struct ip_addr *a)
{
	return a->family == IP_V4 && a->b[0] == 169 && a->b[1] == 254;
}

/* Clear the host bits: the network an address of length len is on. */
static void prefix_mask(struct ip_prefix *p)
{
	unsigned bytes = ip_bits(p->addr.family) / 8;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = p->len > i * 8 ? p->len - i * 8 : 0;

		if (keep < 8)
			p->addr.b[i] &= (uint8_t)(0xff00u >> keep);
	}
}

int rtnl_parse_default_route(const struct nlmsghdr *nlh,
			     uint32_t oifs[RTNL_MAX_NEXTHOPS], size_t *n)
{
	const struct nlattr *tb[RTA_MAX + 1];
	const struct rtmsg *rtm;
	uint32_t table, oif = 0;

	*n = 0;
	if (nlh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	if (msg_attrs(nlh, sizeof(*rtm), tb, RTA_MAX))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (!ip_family(rtm->rtm_family))
		return 0;
	table = rtm->rtm_table;
	if ((tb[RTA_TABLE] && attr_u32(tb[RTA_TABLE], &table)) ||
	    (tb[RTA_OIF] && attr_u32(tb[RTA_OIF], &oif)))
		return -EINVAL;
	/* The main table's default: meshc's own routes (its exit node's,
	 * in its policy table) are no way out of the node. */
	if (rtm->rtm_dst_len || table != RT_TABLE_MAIN ||
	    rtm->rtm_type != RTN_UNICAST ||
	    rtm->rtm_protocol == MESHC_ROUTE_PROTO ||
	    (rtm->rtm_flags & RTM_F_CLONED))
		return 0;
	if (oif)
		oifs[(*n)++] = oif;
	if (tb[RTA_MULTIPATH]) {
		const uint8_t *p = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
		size_t rem = mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);

		while (rem >= sizeof(struct rtnexthop)) {
			const struct rtnexthop *nh = (const void *)p;
			size_t step = RTNH_ALIGN(nh->rtnh_len);

			if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > rem)
				return -EINVAL;
			if (nh->rtnh_ifindex > 0 && *n < RTNL_MAX_NEXTHOPS)
				oifs[(*n)++] = (uint32_t)nh->rtnh_ifindex;
			if (step >= rem)
				break;
			rem -= step;
			p += step;
		}
	}
	return *n > 0;
}

int rtnl_parse_net_addr(const struct nlmsghdr *nlh, int *ifindex,
			struct ip_prefix *out)
{
	const struct ifaddrmsg *ifa;
	struct ip_addr addr;
	/* The network the address is on: IFA_ADDRESS (the peer of a
	 * point-to-point IPv4 address, whose prefix is the peer's side),
	 * else IFA_LOCAL. */
	int ret = addr_msg(nlh, NULL, IFA_ADDRESS, &ifa, &addr);

	if (ret <= 0)
		return ret;
	if (ip6_link_local(&addr) || ip4_link_local(&addr) ||
	    ifa->ifa_scope == RT_SCOPE_LINK || ifa->ifa_scope == RT_SCOPE_HOST)
		return 0;
	*ifindex = (int)ifa->ifa_index;
	out->addr = addr;
	out->len = ifa->ifa_prefixlen;
	prefix_mask(out);
	return 1;
}
