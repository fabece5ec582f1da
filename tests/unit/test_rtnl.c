/* test_rtnl.c - rtnetlink: the parsers on recorded kernel replies (no
 * root), malformed messages, and the writers and the reader against a
 * real kernel in a network namespace of their own (root only).
 *
 * The recordings (data/rtnl/fixtures.inc, made by data/rtnl/record.sh)
 * hold a namespace with veth meshx (peer p) and tun meshtun:
 *   meshx: 100.64.0.2/32, 100.64.1.5/24, fd00:64::2/128, fe80::/64 (kernel)
 *   p:     192.0.2.1/24, fd00:99::1/64, fe80::/64 (kernel)
 *   proto 77: 100.64.0.0/24 dev meshx, default dev meshx table M,
 *             10.77.0.0/16 dev p, fd00:64::/64 dev meshx,
 *             ::/0 dev meshx table M
 *             (M = MARK_X, meshx's policy mark; MARK_Y is meshy's)
 *   foreign:  10.9.0.0/16 proto static, 198.51.100.0/24 table 100,
 *             fd00:55::/48 proto static, the kernel's own routes
 *   rules, both families, proto 77: for meshx then for meshy (another
 *             meshc interface), 32100 not fwmark M lookup main
 *             suppress_prefixlength 0 and 32101 not fwmark M lookup M;
 *             foreign:
 *             the kernel's defaults, 1000 fwmark 0x1 lookup 100,
 *             -6 2000 lookup 200, and 500 prohibit proto 77 (not a
 *             lookup: nothing meshc makes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "apply/rtnl.h"

#include "data/rtnl/fixtures.inc"

/* plan_policy_mark() of the recorded interfaces (see record.sh) */
#define MARK_X 0x4d43ab78u
#define MARK_Y 0x4d43491fu

/* ---- fixtures -------------------------------------------------------- */

struct fixture {
	const unsigned char *bytes;
	size_t len;
};

#define FX(name) ((struct fixture){ rtnl_fx_##name, sizeof(rtnl_fx_##name) })

/* An aligned copy of exactly the recorded size: the sanitizer build sees
 * any read past the end. */
static void *fx_copy(struct fixture fx)
{
	void *b = malloc(fx.len);

	assert_non_null(b);
	memcpy(b, fx.bytes, fx.len);
	return b;
}

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;
	const char *why;

	assert_int_equal(ip_prefix_parse(s, &p, &why), 0);
	return p;
}

/* An address with host bits, e.g. 100.64.1.5/24, as the kernel keeps it. */
static struct ip_prefix host_pfx(const char *addr, uint8_t len)
{
	struct ip_prefix p;
	const char *why;

	assert_int_equal(ip_addr_parse(addr, &p.addr, &why), 0);
	p.len = len;
	return p;
}

static void assert_prefix(const struct ip_prefix *got, struct ip_prefix want)
{
	char g[IP_STRLEN], w[IP_STRLEN];

	assert_string_equal(ip_prefix_str(got, g), ip_prefix_str(&want, w));
	assert_int_equal(ip_prefix_cmp(got, &want), 0);
}

enum { MAX_ITEMS = 32 };

/* What one dump produced: items, and how many messages were skipped. */
struct parsed {
	size_t n_msgs, n_items, n_skipped;
	struct plan_address addrs[MAX_ITEMS];
	struct plan_route routes[MAX_ITEMS];
	struct plan_rule rules[MAX_ITEMS];
};

/* mark: the policy mark whose rules are ours */
static void parse_fx_mark(struct fixture fx, int ifindex, const char *ifname,
			  uint32_t mark, struct parsed *out)
{
	void *buf = fx_copy(fx);
	const struct nlmsghdr *h = buf;
	int len = (int)fx.len;
	bool done = false;

	memset(out, 0, sizeof(*out));
	for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
		int ret = 0;

		if (h->nlmsg_type == NLMSG_DONE) {
			done = true;
			continue;
		}
		assert_in_range(out->n_items, 0, MAX_ITEMS - 1);
		switch (h->nlmsg_type) {
		case RTM_NEWADDR:
			ret = rtnl_parse_addr(h, ifindex,
					      &out->addrs[out->n_items]);
			break;
		case RTM_NEWROUTE:
			ret = rtnl_parse_route(h, ifindex, ifname,
					       &out->routes[out->n_items]);
			break;
		case RTM_NEWRULE:
			ret = rtnl_parse_rule(h, mark,
					      &out->rules[out->n_items]);
			break;
		default:
			fail_msg("unexpected message type %u", h->nlmsg_type);
		}
		assert_true(ret == 0 || ret == 1);
		out->n_msgs++;
		out->n_items += (size_t)ret;
		out->n_skipped += (size_t)!ret;
	}
	assert_int_equal(len, 0);	/* the recording is whole */
	assert_true(done);
	free(buf);
}

static void parse_fx(struct fixture fx, int ifindex, const char *ifname,
		     struct parsed *out)
{
	parse_fx_mark(fx, ifindex, ifname, MARK_X, out);
}

/* ---- links ------------------------------------------------------------ */

static void parse_link_fx(struct fixture fx, const char *ifname,
			  struct live_link *out, int want_ret)
{
	void *buf = fx_copy(fx);
	const struct nlmsghdr *h = buf;

	assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
	memset(out, 0x5a, sizeof(*out));
	assert_int_equal(rtnl_parse_link(h, ifname, out), want_ret);
	free(buf);
}

static void test_link_veth_is_foreign_kind(void **state)
{
	struct live_link l;

	(void)state;
	parse_link_fx(FX(link_meshx), "meshx", &l, 1);
	assert_true(l.exists);
	assert_int_equal(l.ifindex, RTNL_FX_MESHX_IFINDEX);
	assert_int_equal(l.kind, LINK_OTHER);
	assert_string_equal(l.kind_name, "veth");
	assert_true(l.up);
	assert_int_equal(l.mtu, 1420);
	assert_false(l.meshc_mark);
}

static void test_link_tun_is_userspace_wireguard(void **state)
{
	struct live_link l;

	(void)state;
	parse_link_fx(FX(link_meshtun), "meshtun", &l, 1);
	assert_true(l.exists);
	assert_int_equal(l.ifindex, RTNL_FX_MESHTUN_IFINDEX);
	assert_int_equal(l.kind, LINK_TUN);
	assert_string_equal(l.kind_name, "tun");
	assert_false(l.up);
	assert_int_equal(l.mtu, 1500);
}

static void test_link_of_another_name_is_skipped(void **state)
{
	struct live_link l;

	(void)state;
	parse_link_fx(FX(link_meshx), "meshy", &l, 0);
	parse_link_fx(FX(link_meshx), "mesh", &l, 0);
	parse_link_fx(FX(link_meshtun), "meshx", &l, 0);
}

/* A kernel WireGuard link with meshc's alias: this kernel has no
 * WireGuard, so the message is built the way the kernel lays it out. */
static struct nlmsghdr *wg_link_msg(char *buf, const char *alias,
				    bool alias_nul)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = 7;
	ifi->ifi_flags = IFF_UP | IFF_NOARP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "wg0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1420);
	if (alias) {
		if (alias_nul)
			mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
		else
			mnl_attr_put_str(nlh, IFLA_IFALIAS, alias);
	}
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

/* ---- the firewall's live sets: default routes and networks ---------- */

static struct nlmsghdr *route_msg(char *buf, uint8_t family, uint8_t dst_len,
				  uint32_t table, uint8_t proto, uint32_t oif)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm->rtm_family = family;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = proto;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	return nlh;
}

static void test_default_route_devices(void **state)
{
	char buf[512];
	uint32_t oifs[RTNL_MAX_NEXTHOPS];
	size_t n;
	struct nlmsghdr *nlh;
	struct nlattr *mp;
	struct rtnexthop *nh;

	(void)state;
	/* the main table's default, both families */
	nlh = route_msg(buf, AF_INET, 0, RT_TABLE_MAIN, RTPROT_DHCP, 3);
	assert_int_equal(rtnl_parse_default_route(nlh, oifs, &n), 1);
	assert_int_equal(n, 1);
	assert_int_equal(oifs[0], 3);
	nlh = route_msg(buf, AF_INET6, 0, RT_TABLE_MAIN, RTPROT_RA, 4);
	assert_int_equal(rtnl_parse_default_route(nlh, oifs, &n), 1);
	assert_int_equal(oifs[0], 4);
	/* not a default, another table, meshc's own exit-node route */
	nlh = route_msg(buf, AF_INET, 24, RT_TABLE_MAIN, RTPROT_KERNEL, 3);
	assert_int_equal(rtnl_parse_default_route(nlh, oifs, &n), 0);
	nlh = route_msg(buf, AF_INET, 0, 0x4d43ab78, RTPROT_STATIC, 3);
	assert_int_equal(rtnl_parse_default_route(nlh, oifs, &n), 0);
	nlh = route_msg(buf, AF_INET, 0, RT_TABLE_MAIN, MESHC_ROUTE_PROTO, 9);
	assert_int_equal(rtnl_parse_default_route(nlh, oifs, &n), 0);
	assert_int_equal(n, 0);
	/* multipath: every hop's device */
	nlh = route_msg(buf, AF_INET, 0, RT_TABLE_MAIN, RTPROT_STATIC, 0);
	mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	for (int k = 5; k <= 6; k++) {
		nh = mnl_nlmsg_get_payload_tail(nlh);
		memset(nh, 0, sizeof(*nh));
		nh->rtnh_len = sizeof(*nh);
		nh->rtnh_ifindex = k;
		nlh->nlmsg_len += RTNH_ALIGN(sizeof(*nh));
	}
	mnl_attr_nest_end(nlh, mp);
	assert_int_equal(rtnl_parse_default_route(nlh, oifs, &n), 1);
	assert_int_equal(n, 2);
	assert_int_equal(oifs[0], 5);
	assert_int_equal(oifs[1], 6);
	/* a hop that claims more than there is */
	nh = (struct rtnexthop *)mnl_attr_get_payload(mp);
	nh->rtnh_len = 200;
	assert_int_equal(rtnl_parse_default_route(nlh, oifs, &n), -EINVAL);
}

static struct nlmsghdr *addr_msg(char *buf, const char *addr, uint8_t len,
				 uint8_t scope, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct ip_addr a;
	const char *why;

	assert_int_equal(ip_addr_parse(addr, &a, &why), 0);
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa->ifa_family = a.family == IP_V6 ? AF_INET6 : AF_INET;
	ifa->ifa_prefixlen = len;
	ifa->ifa_scope = scope;
	ifa->ifa_index = (uint32_t)ifindex;
	mnl_attr_put(nlh, IFA_ADDRESS, a.family == IP_V6 ? 16 : 4, a.b);
	return nlh;
}

static void test_net_addr_is_the_network(void **state)
{
	char buf[256];
	struct ip_prefix p;
	int ifindex = 0;

	(void)state;
	assert_int_equal(rtnl_parse_net_addr(addr_msg(buf, "192.52.194.1", 24,
						      RT_SCOPE_UNIVERSE, 4),
					     &ifindex, &p),
			 1);
	assert_int_equal(ifindex, 4);
	assert_prefix(&p, pfx("192.52.194.0/24"));
	assert_int_equal(rtnl_parse_net_addr(addr_msg(buf, "2001:3:0:2::1", 64,
						      RT_SCOPE_UNIVERSE, 5),
					     &ifindex, &p),
			 1);
	assert_prefix(&p, pfx("2001:3:0:2::/64"));
	assert_int_equal(rtnl_parse_net_addr(addr_msg(buf, "203.0.113.77", 27,
						      RT_SCOPE_UNIVERSE, 2),
					     &ifindex, &p),
			 1);
	assert_prefix(&p, pfx("203.0.113.64/27"));
	/* link-local and host scope are not networks of the node's */
	assert_int_equal(rtnl_parse_net_addr(addr_msg(buf, "fe80::1", 64,
						      RT_SCOPE_LINK, 5),
					     &ifindex, &p),
			 0);
	assert_int_equal(rtnl_parse_net_addr(addr_msg(buf, "169.254.3.4", 16,
						      RT_SCOPE_UNIVERSE, 5),
					     &ifindex, &p),
			 0);
	assert_int_equal(rtnl_parse_net_addr(addr_msg(buf, "127.0.0.1", 8,
						      RT_SCOPE_HOST, 1),
					     &ifindex, &p),
			 0);
	/* a length beyond the family */
	assert_int_equal(rtnl_parse_net_addr(addr_msg(buf, "10.0.0.1", 33,
						      RT_SCOPE_UNIVERSE, 1),
					     &ifindex, &p),
			 -EINVAL);
}

static void test_link_wireguard_and_meshc_mark(void **state)
{
	uint32_t buf[256];
	struct live_link l;

	(void)state;
	assert_int_equal(rtnl_parse_link(wg_link_msg((char *)buf, NULL, false),
					 "wg0", &l), 1);
	assert_int_equal(l.kind, LINK_WIREGUARD);
	assert_string_equal(l.kind_name, "wireguard");
	assert_int_equal(l.ifindex, 7);
	assert_true(l.up);
	assert_false(l.meshc_mark);

	assert_int_equal(rtnl_parse_link(wg_link_msg((char *)buf,
						     MESHC_LINK_MARK, true),
					 "wg0", &l), 1);
	assert_true(l.meshc_mark);
	assert_int_equal(rtnl_parse_link(wg_link_msg((char *)buf,
						     MESHC_LINK_MARK, false),
					 "wg0", &l), 1);
	assert_true(l.meshc_mark);
	assert_int_equal(rtnl_parse_link(wg_link_msg((char *)buf,
						     "managed by meshcc", true),
					 "wg0", &l), 1);
	assert_false(l.meshc_mark);
}

/* ---- addresses -------------------------------------------------------- */

static void test_addr_keeps_own_interface_skips_link_local(void **state)
{
	struct parsed p;

	(void)state;
	parse_fx(FX(addr), RTNL_FX_MESHX_IFINDEX, "meshx", &p);
	/* lo x2, p x3 (one fe80), meshx x4 (one fe80) */
	assert_int_equal(p.n_msgs, 9);
	assert_int_equal(p.n_items, 3);
	assert_prefix(&p.addrs[0].addr, host_pfx("100.64.0.2", 32));
	/* not meshc's /32: the real length, so a diff sees it */
	assert_prefix(&p.addrs[1].addr, host_pfx("100.64.1.5", 24));
	assert_prefix(&p.addrs[2].addr, host_pfx("fd00:64::2", 128));
	for (size_t i = 0; i < p.n_items; i++)
		assert_false(loc_known(p.addrs[i].loc));
}

static void test_addr_of_another_interface(void **state)
{
	struct parsed p;

	(void)state;
	parse_fx(FX(addr), RTNL_FX_P_IFINDEX, "p", &p);
	assert_int_equal(p.n_items, 2);
	assert_prefix(&p.addrs[0].addr, host_pfx("192.0.2.1", 24));
	assert_prefix(&p.addrs[1].addr, host_pfx("fd00:99::1", 64));
	/* no interface yet: nothing is ours */
	parse_fx(FX(addr), 0, "meshx", &p);
	assert_int_equal(p.n_items, 0);
}

/* ---- routes ----------------------------------------------------------- */

static void assert_route(const struct plan_route *r, const char *dst,
			 uint32_t table, const char *dev)
{
	assert_prefix(&r->dst, pfx(dst));
	assert_int_equal(r->table, table);
	if (dev)
		assert_string_equal(r->dev, dev);
	else
		assert_null(r->dev);
	assert_null(r->why);
}

static void test_route4_only_proto_77_in_every_table(void **state)
{
	struct parsed p;

	(void)state;
	parse_fx(FX(route4), RTNL_FX_MESHX_IFINDEX, "meshx", &p);
	assert_int_equal(p.n_msgs, 15);
	assert_int_equal(p.n_items, 3);
	/* table M only fits RTA_TABLE: rtm_table says 252 (compat) */
	assert_route(&p.routes[0], "0.0.0.0/0", MARK_X, "meshx");
	/* through another device: the parser cannot name it */
	assert_route(&p.routes[1], "10.77.0.0/16", MESHC_MAIN_TABLE, NULL);
	assert_route(&p.routes[2], "100.64.0.0/24", MESHC_MAIN_TABLE, "meshx");
}

static void test_route6_only_proto_77_in_every_table(void **state)
{
	struct parsed p;

	(void)state;
	parse_fx(FX(route6), RTNL_FX_MESHX_IFINDEX, "meshx", &p);
	assert_int_equal(p.n_msgs, 12);
	assert_int_equal(p.n_items, 2);
	assert_route(&p.routes[0], "::/0", MARK_X, "meshx");
	assert_route(&p.routes[1], "fd00:64::/64", MESHC_MAIN_TABLE, "meshx");
}

static void test_route_dev_is_the_given_name(void **state)
{
	struct parsed p;

	(void)state;
	/* the caller names its own interface; others stay unnamed */
	parse_fx(FX(route4), RTNL_FX_P_IFINDEX, "p", &p);
	assert_int_equal(p.n_items, 3);
	assert_route(&p.routes[0], "0.0.0.0/0", MARK_X, NULL);
	assert_route(&p.routes[1], "10.77.0.0/16", MESHC_MAIN_TABLE, "p");
	parse_fx(FX(route4), 0, "meshx", &p);
	for (size_t i = 0; i < p.n_items; i++)
		assert_null(p.routes[i].dev);
}

/* ---- rules ------------------------------------------------------------ */

/* The pair compile/peers.c makes for an exit node, with mark m. */
static void assert_meshc_rules(const struct parsed *p, uint8_t family,
			       uint32_t m)
{
	const struct plan_rule *s = &p->rules[0], *t = &p->rules[1];

	assert_int_equal(p->n_items, 2);
	assert_int_equal(s->family, family);
	assert_int_equal(s->priority, MESHC_RULE_PRIO_SUPPRESS);
	assert_int_equal(s->table, MESHC_MAIN_TABLE);
	assert_int_equal(s->fwmark, m);
	assert_true(s->invert);
	assert_int_equal(s->suppress_prefixlen, 0);

	assert_int_equal(t->family, family);
	assert_int_equal(t->priority, MESHC_RULE_PRIO_TABLE);
	assert_int_equal(t->table, m);
	assert_int_equal(t->fwmark, m);
	assert_true(t->invert);
	/* the kernel reports an unset suppress_prefixlength as -1 */
	assert_int_equal(t->suppress_prefixlen, -1);
}

static void test_rule4_only_meshc_lookups(void **state)
{
	struct parsed p;

	(void)state;
	parse_fx(FX(rule4), 0, NULL, &p);
	/* 0 local, 500 prohibit proto 77, 1000 fwmark, meshx's x2,
	 * meshy's x2, 32766, 32767 */
	assert_int_equal(p.n_msgs, 9);
	assert_meshc_rules(&p, IP_V4, MARK_X);
}

static void test_rule6_only_meshc_lookups(void **state)
{
	struct parsed p;

	(void)state;
	parse_fx(FX(rule6), 0, NULL, &p);
	/* 0 local, 2000 lookup 200, meshx's x2, meshy's x2, 32766 */
	assert_int_equal(p.n_msgs, 7);
	assert_meshc_rules(&p, IP_V6, MARK_X);
}

/* Two meshc interfaces of one netns: each reads only the rules of its
 * own mark, so neither apply nor down of one touches the other's. */
static void test_rules_of_another_interface_are_not_ours(void **state)
{
	struct parsed p;

	(void)state;
	parse_fx_mark(FX(rule4), 0, NULL, MARK_Y, &p);
	assert_meshc_rules(&p, IP_V4, MARK_Y);
	parse_fx_mark(FX(rule6), 0, NULL, MARK_Y, &p);
	assert_meshc_rules(&p, IP_V6, MARK_Y);
	/* an interface whose mark has no rules: none is its */
	parse_fx_mark(FX(rule4), 0, NULL, plan_policy_mark("meshz"), &p);
	assert_int_equal(p.n_items, 0);
	parse_fx_mark(FX(rule6), 0, NULL, 0, &p);
	assert_int_equal(p.n_items, 0);
}

/* A policy rule message as `ip rule add ... protocol 77` sends it. */
static struct nlmsghdr *rule_msg(char *buf, uint32_t prio, uint32_t table,
				 uint32_t fwmark, bool invert, int suppress)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = RTM_NEWRULE;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET;
	frh->action = FR_ACT_TO_TBL;
	frh->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	frh->flags = invert ? FIB_RULE_INVERT : 0;
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, MESHC_ROUTE_PROTO);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
	if (fwmark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
	}
	if (suppress >= 0)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, (uint32_t)suppress);
	return nlh;
}

/* The pair meshc 0.1 made (a suppress rule without a mark, "not fwmark
 * 0x4d43 lookup 19779") is read as the interface's own, so the next
 * apply removes it: left behind, it would send WireGuard's packets, now
 * marked M, into the tunnel.  Another interface's pair never is. */
static void test_rules_of_meshc_0_1_are_removed_by_any_interface(void **state)
{
	char buf[512];
	struct plan_rule r;

	(void)state;
	assert_int_equal(rtnl_parse_rule(rule_msg(buf, 32100, MESHC_MAIN_TABLE,
						  0, false, 0),
					 MARK_X, &r), 1);
	assert_int_equal(r.fwmark, 0);
	assert_int_equal(r.suppress_prefixlen, 0);
	assert_int_equal(rtnl_parse_rule(rule_msg(buf, 32101, MESHC_LEGACY_MARK,
						  MESHC_LEGACY_MARK, true, -1),
					 MARK_X, &r), 1);
	assert_int_equal(r.table, MESHC_LEGACY_MARK);
	/* not 0.1's: another interface's pair, or main without suppress */
	assert_int_equal(rtnl_parse_rule(rule_msg(buf, 32101, MARK_Y, MARK_Y,
						  true, -1),
					 MARK_X, &r), 0);
	assert_int_equal(rtnl_parse_rule(rule_msg(buf, 32100, MESHC_MAIN_TABLE,
						  0, false, -1),
					 MARK_X, &r), 0);
	/* without a mark of its own (no interface), nothing is ours */
	assert_int_equal(rtnl_parse_rule(rule_msg(buf, 32100, MESHC_MAIN_TABLE,
						  0, false, 0),
					 0, &r), 0);
}

/* ---- message types and malformed messages ----------------------------- */

/* The n-th message of a fixture, copied to a buffer of its exact size. */
static struct nlmsghdr *fx_msg(struct fixture fx, size_t n)
{
	void *all = fx_copy(fx);
	const struct nlmsghdr *h = all;
	struct nlmsghdr *copy;
	int len = (int)fx.len;

	while (n-- > 0) {
		assert_true(mnl_nlmsg_ok(h, len));
		h = mnl_nlmsg_next(h, &len);
	}
	assert_true(mnl_nlmsg_ok(h, len));
	copy = malloc(h->nlmsg_len);
	assert_non_null(copy);
	memcpy(copy, h, h->nlmsg_len);
	free(all);
	return copy;
}

static void test_parsers_skip_other_message_types(void **state)
{
	struct nlmsghdr *route = fx_msg(FX(route4), 0);
	struct nlmsghdr *rule = fx_msg(FX(rule4), 3);
	struct nlmsghdr *done = fx_msg(FX(rule4), 9);
	struct plan_address a;
	struct plan_route r;
	struct plan_rule u;
	struct live_link l;

	(void)state;
	assert_int_equal(done->nlmsg_type, NLMSG_DONE);
	assert_int_equal(rtnl_parse_rule(route, MARK_X, &u), 0);
	assert_int_equal(rtnl_parse_addr(route, RTNL_FX_MESHX_IFINDEX, &a), 0);
	assert_int_equal(rtnl_parse_link(route, "meshx", &l), 0);
	assert_int_equal(rtnl_parse_route(rule, RTNL_FX_MESHX_IFINDEX, "meshx",
					  &r), 0);
	assert_int_equal(rtnl_parse_route(done, RTNL_FX_MESHX_IFINDEX, "meshx",
					  &r), 0);
	assert_int_equal(rtnl_parse_rule(done, MARK_X, &u), 0);
	assert_int_equal(rtnl_parse_rule(rule, MARK_X, &u), 1);
	free(route);
	free(rule);
	free(done);
}

static size_t family_hdr_len(uint16_t type)
{
	switch (type) {
	case RTM_NEWLINK:
		return sizeof(struct ifinfomsg);
	case RTM_NEWADDR:
		return sizeof(struct ifaddrmsg);
	case RTM_NEWROUTE:
		return sizeof(struct rtmsg);
	case RTM_NEWRULE:
		return sizeof(struct fib_rule_hdr);
	}
	return 0;
}

static int parse_any(const struct nlmsghdr *h)
{
	struct plan_address a;
	struct plan_route r;
	struct plan_rule u;
	struct live_link l;

	switch (h->nlmsg_type) {
	case RTM_NEWLINK:
		return rtnl_parse_link(h, "meshx", &l);
	case RTM_NEWADDR:
		return rtnl_parse_addr(h, RTNL_FX_MESHX_IFINDEX, &a);
	case RTM_NEWROUTE:
		return rtnl_parse_route(h, RTNL_FX_MESHX_IFINDEX, "meshx", &r);
	case RTM_NEWRULE:
		return rtnl_parse_rule(h, MARK_X, &u);
	}
	return 0;
}

enum { N_FIXTURES = 7 };

static void all_fixtures(struct fixture fx[N_FIXTURES])
{
	fx[0] = FX(link_meshx);
	fx[1] = FX(link_meshtun);
	fx[2] = FX(addr);
	fx[3] = FX(route4);
	fx[4] = FX(route6);
	fx[5] = FX(rule4);
	fx[6] = FX(rule6);
}

/* Does a message cut to `cut` bytes end on an attribute boundary (or in
 * the padding after one), i.e. is it still well formed? */
static bool cut_is_boundary(const struct nlmsghdr *h, size_t cut)
{
	size_t off = MNL_NLMSG_HDRLEN + MNL_ALIGN(family_hdr_len(h->nlmsg_type));

	if (cut == off)
		return true;
	while (off < h->nlmsg_len) {
		const struct nlattr *at = (const void *)((const char *)h + off);

		if (cut >= off + at->nla_len && cut <= off + MNL_ALIGN(at->nla_len))
			return true;
		off += MNL_ALIGN(at->nla_len);
	}
	return false;
}

/* Every recorded message cut at every length: a cut inside the header or
 * inside an attribute is -EINVAL, never a read past the end. */
static void test_truncated_messages_are_einval(void **state)
{
	struct fixture fx[N_FIXTURES];
	size_t checked = 0;

	(void)state;
	all_fixtures(fx);
	for (size_t f = 0; f < N_FIXTURES; f++) {
		void *all = fx_copy(fx[f]);
		const struct nlmsghdr *h = all;
		int len = (int)fx[f].len;

		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
			size_t hdr = family_hdr_len(h->nlmsg_type);

			if (!hdr)
				continue;
			assert_true(parse_any(h) >= 0);
			for (size_t cut = MNL_NLMSG_HDRLEN; cut < h->nlmsg_len;
			     cut++) {
				struct nlmsghdr *t = malloc(cut);
				int ret;

				assert_non_null(t);
				memcpy(t, h, cut);
				t->nlmsg_len = (uint32_t)cut;
				ret = parse_any(t);
				if (cut < MNL_NLMSG_HDRLEN + hdr ||
				    !cut_is_boundary(h, cut))
					assert_int_equal(ret, -EINVAL);
				else
					assert_true(ret >= -EINVAL && ret <= 1);
				free(t);
				checked++;
			}
		}
		free(all);
	}
	assert_true(checked > 5000);
}

/* The attribute of a type in a message (top level), for corrupting. */
static struct nlattr *find_attr(struct nlmsghdr *h, uint16_t type)
{
	struct nlattr *at;

	mnl_attr_for_each(at, h, family_hdr_len(h->nlmsg_type))
		if (mnl_attr_get_type(at) == type)
			return at;
	fail_msg("no attribute %u", type);
	return NULL;
}

static void test_bad_attribute_lengths_are_einval(void **state)
{
	struct nlmsghdr *m;
	struct rtmsg *rtm;
	struct ifaddrmsg *ifa;

	(void)state;
	/* the policy-table route: RTA_TABLE one byte long */
	m = fx_msg(FX(route4), 1);
	assert_int_equal(parse_any(m), 1);
	find_attr(m, RTA_TABLE)->nla_len = 5;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);

	/* an attribute shorter than its own header */
	m = fx_msg(FX(route4), 1);
	find_attr(m, RTA_TABLE)->nla_len = 2;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);

	/* an attribute longer than the message */
	m = fx_msg(FX(route4), 1);
	find_attr(m, RTA_OIF)->nla_len = 0x7ff0;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);

	/* a destination of the wrong size, of a foreign route too */
	m = fx_msg(FX(route4), 4);
	assert_int_equal(parse_any(m), 1);
	find_attr(m, RTA_DST)->nla_len = 4 + 3;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);
	m = fx_msg(FX(route4), 0);
	assert_int_equal(parse_any(m), 0);
	find_attr(m, RTA_OIF)->nla_len = 4 + 2;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);

	/* a prefix longer than the family has bits */
	m = fx_msg(FX(route6), 3);
	assert_int_equal(parse_any(m), 1);
	rtm = mnl_nlmsg_get_payload(m);
	rtm->rtm_dst_len = 129;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);
	m = fx_msg(FX(addr), 3);
	assert_int_equal(parse_any(m), 1);
	ifa = mnl_nlmsg_get_payload(m);
	ifa->ifa_prefixlen = 33;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);

	/* FRA_PROTOCOL is one byte */
	m = fx_msg(FX(rule4), 3);
	assert_int_equal(parse_any(m), 1);
	find_attr(m, FRA_PROTOCOL)->nla_len = 4 + 4;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);
	/* FRA_SUPPRESS_PREFIXLEN is four */
	m = fx_msg(FX(rule4), 3);
	find_attr(m, FRA_SUPPRESS_PREFIXLEN)->nla_len = 4 + 1;
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);

	/* a link name without its NUL; a kind without one */
	m = fx_msg(FX(link_meshx), 0);
	{
		struct nlattr *at = find_attr(m, IFLA_IFNAME);

		memset(mnl_attr_get_payload(at), 'x',
		       mnl_attr_get_payload_len(at));
	}
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);
	m = fx_msg(FX(link_meshtun), 0);
	{
		struct nlattr *info = find_attr(m, IFLA_LINKINFO);
		struct nlattr *kind = mnl_attr_get_payload(info);

		assert_int_equal(mnl_attr_get_type(kind), IFLA_INFO_KIND);
		memset(mnl_attr_get_payload(kind), 't',
		       mnl_attr_get_payload_len(kind));
		assert_int_equal(rtnl_parse_link(m, "meshtun",
						 &(struct live_link){ 0 }),
				 -EINVAL);
		/* a nested attribute overrunning its nest */
		kind->nla_len = (uint16_t)(mnl_attr_get_payload_len(info) + 4);
		assert_int_equal(rtnl_parse_link(m, "meshtun",
						 &(struct live_link){ 0 }),
				 -EINVAL);
	}
	free(m);

	/* a message shorter than its family header */
	m = fx_msg(FX(rule4), 3);
	m->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
	assert_int_equal(parse_any(m), -EINVAL);
	m->nlmsg_len = 3;	/* shorter than the netlink header itself */
	assert_int_equal(parse_any(m), -EINVAL);
	free(m);
}

/* Random damage to every recorded message (fixed seed): an answer of
 * -EINVAL, 0 or 1 each time, and no read outside the message. */
static void test_damaged_messages_never_crash(void **state)
{
	uint32_t seed = 0x4d43;
	struct fixture fx[N_FIXTURES];
	size_t counts[3] = { 0 };

	(void)state;
	all_fixtures(fx);
	for (int round = 0; round < 40; round++) {
		for (size_t f = 0; f < N_FIXTURES; f++) {
			void *all = fx_copy(fx[f]);
			struct nlmsghdr *h = all;
			int len = (int)fx[f].len;

			for (; mnl_nlmsg_ok(h, len);
			     h = (struct nlmsghdr *)mnl_nlmsg_next(h, &len)) {
				struct nlmsghdr *m;
				int ret;

				if (!family_hdr_len(h->nlmsg_type))
					continue;
				m = malloc(h->nlmsg_len);
				assert_non_null(m);
				memcpy(m, h, h->nlmsg_len);
				for (int k = 0; k < 4; k++) {
					size_t at;

					seed = seed * 1103515245u + 12345u;
					at = MNL_NLMSG_HDRLEN +
					     (seed >> 8) %
						     (m->nlmsg_len -
						      MNL_NLMSG_HDRLEN);
					((uint8_t *)m)[at] = (uint8_t)(seed >> 24);
				}
				ret = parse_any(m);
				assert_true(ret == -EINVAL || ret == 0 ||
					    ret == 1);
				counts[ret == -EINVAL ? 0 : ret + 1]++;
				free(m);
			}
			free(all);
		}
	}
	/* the damage did hit both attributes and plain fields */
	assert_true(counts[0] > 0);
	assert_true(counts[1] + counts[2] > 0);
}

/* ---- against the kernel, in a namespace of its own (root) ------------- */

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: check failed: %s\n",      \
				__FILE__, __LINE__, #cond);               \
			return 1;                                         \
		}                                                         \
	} while (0)

/* Run fn in a child in a new network namespace; the child's exit status
 * is the verdict (it must not return into cmocka). */
static void run_in_netns(int (*fn)(void))
{
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		print_message("skipped: needs root for a network namespace\n");
		skip();
	}
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) != 0) {
			perror("unshare(CLONE_NEWNET)");
			_exit(2);
		}
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A veth pair, made with a plain socket: rtnl.c has no reason to. */
static int make_veth(const char *name, const char *peer)
{
	uint32_t buf[1024];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info, *data, *pe;
	struct ifinfomsg *pifi;
	ssize_t n;
	int ret;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE |
			   NLM_F_EXCL;
	nlh->nlmsg_seq = 1;
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	pe = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_nest_end(nlh, pe);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	CHECK(nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0);
	CHECK(mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) > 0);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	CHECK(n > 0);
	ret = mnl_cb_run(buf, (size_t)n, 1, mnl_socket_get_portid(nl), NULL,
			 NULL);
	if (ret < 0)
		perror("create veth");
	CHECK(ret >= 0);
	mnl_socket_close(nl);
	return 0;
}

/* stderr into a file for a while, to check what was reported. */
struct capture {
	int saved;
	FILE *f;
	char text[4096];
};

static int capture_begin(struct capture *c)
{
	fflush(stderr);
	c->f = tmpfile();
	CHECK(c->f);
	c->saved = dup(2);
	CHECK(c->saved >= 0 && dup2(fileno(c->f), 2) == 2);
	return 0;
}

static const char *capture_end(struct capture *c)
{
	size_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	rewind(c->f);
	n = fread(c->text, 1, sizeof(c->text) - 1, c->f);
	c->text[n] = '\0';
	fclose(c->f);
	return c->text;
}

/* The small plan of the roundtrip: what the compiler makes for a node
 * with an IPv6 address and an exit node. */
static void small_plan_of(struct arena *a, struct plan *p, const char *ifname)
{
	static const char *const addrs[] = { "100.64.0.2/32",
					     "fd00:64::2/128" };
	static const struct {
		const char *dst;
		uint32_t table;
	} routes[] = {
		{ "100.64.0.0/24", MESHC_MAIN_TABLE },
		{ "fd00:64::/64", MESHC_MAIN_TABLE },
		{ "0.0.0.0/0", 0 },	/* table M */
		{ "::/0", 0 },
	};
	uint32_t mark = plan_policy_mark(ifname);

	memset(p, 0, sizeof(*p));
	p->iface.name = ifname;
	p->iface.policy_mark = mark;
	p->iface.n_addresses = 2;
	p->iface.addresses = arena_calloc(a, 2, sizeof(struct plan_address));
	for (size_t i = 0; i < 2; i++)
		p->iface.addresses[i].addr = pfx(addrs[i]);
	p->n_routes = 4;
	p->routes = arena_calloc(a, 4, sizeof(struct plan_route));
	for (size_t i = 0; i < 4; i++) {
		p->routes[i].dst = pfx(routes[i].dst);
		p->routes[i].table = routes[i].table ? routes[i].table : mark;
		p->routes[i].dev = ifname;
	}
	p->n_rules = 4;
	p->rules = arena_calloc(a, 4, sizeof(struct plan_rule));
	for (size_t i = 0; i < 4; i++) {
		struct plan_rule *r = &p->rules[i];

		r->family = i < 2 ? IP_V4 : IP_V6;
		r->fwmark = mark;
		r->invert = true;
		if (i % 2 == 0) {
			r->priority = MESHC_RULE_PRIO_SUPPRESS;
			r->table = MESHC_MAIN_TABLE;
			r->suppress_prefixlen = 0;
		} else {
			r->priority = MESHC_RULE_PRIO_TABLE;
			r->table = mark;
			r->suppress_prefixlen = -1;
		}
	}
	plan_sort(p);
}

static void small_plan(struct arena *a, struct plan *p)
{
	small_plan_of(a, p, "meshx");
}

static bool same_items(const struct plan *a, const struct plan *b)
{
	if (a->iface.n_addresses != b->iface.n_addresses ||
	    a->n_routes != b->n_routes || a->n_rules != b->n_rules)
		return false;
	for (size_t i = 0; i < a->iface.n_addresses; i++)
		if (plan_address_cmp(&a->iface.addresses[i],
				     &b->iface.addresses[i]))
			return false;
	for (size_t i = 0; i < a->n_routes; i++)
		if (plan_route_cmp(&a->routes[i], &b->routes[i]) ||
		    !a->routes[i].dev || !b->routes[i].dev ||
		    strcmp(a->routes[i].dev, b->routes[i].dev))
			return false;
	for (size_t i = 0; i < a->n_rules; i++) {
		const struct plan_rule *x = &a->rules[i], *y = &b->rules[i];

		if (plan_rule_cmp(x, y) || x->table != y->table ||
		    x->fwmark != y->fwmark || x->invert != y->invert ||
		    x->suppress_prefixlen != y->suppress_prefixlen)
			return false;
	}
	return true;
}

static int read_back(struct rtnl *r, struct arena *a, int ifindex,
		     struct plan *live)
{
	memset(live, 0, sizeof(*live));
	CHECK(rtnl_read_plan(r, a, "meshx", ifindex, MARK_X, live) == 0);
	plan_sort(live);
	return 0;
}

/* Namespace with meshx (up) and p; *r open. */
static int setup_links(struct rtnl **r, struct live_link *mx,
		       struct live_link *pl)
{
	CHECK(make_veth("meshx", "p") == 0);
	CHECK(rtnl_open(r) == 0);
	CHECK(rtnl_get_link(*r, "meshx", mx) == 0 && mx->exists);
	CHECK(rtnl_get_link(*r, "p", pl) == 0 && pl->exists);
	CHECK(rtnl_link_set_up(*r, mx->ifindex) == 0);
	CHECK(rtnl_link_set_up(*r, pl->ifindex) == 0);
	return 0;
}

static int install(struct rtnl *r, int ifindex, const struct plan *p)
{
	for (size_t i = 0; i < p->iface.n_addresses; i++)
		CHECK(rtnl_addr(r, RTNL_ADD, ifindex, &p->iface.addresses[i]) ==
		      0);
	for (size_t i = 0; i < p->n_routes; i++)
		CHECK(rtnl_route(r, RTNL_ADD, ifindex, &p->routes[i]) == 0);
	for (size_t i = 0; i < p->n_rules; i++)
		CHECK(rtnl_rule(r, RTNL_ADD, &p->rules[i]) == 0);
	return 0;
}

static int roundtrip_child(void)
{
	struct arena a;
	struct plan want, live;
	struct live_link mx, pl;
	struct rtnl *r;
	unsigned long before;

	arena_init(&a);
	CHECK(setup_links(&r, &mx, &pl) == 0);
	CHECK(rtnl_modify_count(r) == 2);
	/* nothing of meshc's yet: the kernel's own items are not read */
	CHECK(read_back(r, &a, mx.ifindex, &live) == 0);
	CHECK(live.iface.n_addresses == 0 && live.n_routes == 0 &&
	      live.n_rules == 0);

	small_plan(&a, &want);
	CHECK(install(r, mx.ifindex, &want) == 0);
	CHECK(rtnl_modify_count(r) == 2 + 2 + 4 + 4);
	before = rtnl_modify_count(r);
	CHECK(read_back(r, &a, mx.ifindex, &live) == 0);
	CHECK(same_items(&want, &live));
	CHECK(rtnl_get_link(r, "meshx", &mx) == 0 && mx.up);
	/* reading sends nothing that changes anything */
	CHECK(rtnl_modify_count(r) == before);
	rtnl_close(r);
	arena_free(&a);
	return 0;
}

static void test_roundtrip_writes_read_back_equal(void **state)
{
	(void)state;
	run_in_netns(roundtrip_child);
}

static int errors_child(void)
{
	struct arena a;
	struct plan want;
	struct live_link mx, pl;
	struct rtnl *r;
	struct capture cap;
	unsigned long before;
	const char *text;
	int err;

	arena_init(&a);
	CHECK(setup_links(&r, &mx, &pl) == 0);
	small_plan(&a, &want);
	CHECK(install(r, mx.ifindex, &want) == 0);

	/* an ADD of what is there: -EEXIST, and the message names it */
	before = rtnl_modify_count(r);
	CHECK(capture_begin(&cap) == 0);
	err = rtnl_route(r, RTNL_ADD, mx.ifindex, &want.routes[0]);
	text = capture_end(&cap);
	CHECK(err == -EEXIST);
	CHECK(!strcmp(text, "meshc: add route 100.64.0.0/24 table main dev "
			    "meshx: File exists\n"));
	CHECK(rtnl_modify_count(r) == before + 1);

	CHECK(capture_begin(&cap) == 0);
	err = rtnl_rule(r, RTNL_ADD, &want.rules[0]);
	text = capture_end(&cap);
	CHECK(err == -EEXIST);
	CHECK(!strcmp(text, "meshc: add IPv4 rule priority 32100 not from all "
			    "fwmark 0x4d43ab78 lookup main "
			    "suppress_prefixlength 0: File exists\n"));

	CHECK(capture_begin(&cap) == 0);
	err = rtnl_addr(r, RTNL_ADD, mx.ifindex, &want.iface.addresses[0]);
	text = capture_end(&cap);
	CHECK(err == -EEXIST);
	CHECK(strstr(text, "meshc: add address 100.64.0.2/32 dev meshx: File "
			   "exists") == text);

	/* a DEL of what is not there */
	CHECK(rtnl_rule(r, RTNL_DEL, &want.rules[1]) == 0);
	CHECK(capture_begin(&cap) == 0);
	err = rtnl_rule(r, RTNL_DEL, &want.rules[1]);
	text = capture_end(&cap);
	CHECK(err == -ENOENT);
	CHECK(!strncmp(text, "meshc: delete IPv4 rule priority 32101 not from "
			     "all fwmark 0x4d43ab78 lookup 1296280440: ",
		       strlen("meshc: delete IPv4 rule priority 32101 not "
			      "from all fwmark 0x4d43ab78 lookup 1296280440: ")));

	/* a kernel WireGuard link: refused here (no module), made where the
	 * module is */
	CHECK(capture_begin(&cap) == 0);
	err = rtnl_link_add_wireguard(r, "wgtest");
	text = capture_end(&cap);
	if (err == 0) {
		CHECK(rtnl_get_link(r, "wgtest", &pl) == 0 && pl.exists &&
		      pl.kind == LINK_WIREGUARD);
		CHECK(rtnl_link_del(r, pl.ifindex) == 0);
	} else {
		CHECK(err == -EOPNOTSUPP);
		CHECK(strstr(text, "meshc: add link wgtest type wireguard: ") ==
		      text);
		CHECK(strstr(text, "Unknown device type"));
	}

	/* a name that is not there is an answer, not an error */
	CHECK(capture_begin(&cap) == 0);
	err = rtnl_get_link(r, "nosuch0", &pl);
	text = capture_end(&cap);
	CHECK(err == 0 && !pl.exists && !*text);
	CHECK(capture_begin(&cap) == 0);
	err = rtnl_get_link(r, "a-name-far-too-long", &pl);
	text = capture_end(&cap);
	CHECK(err == -EINVAL && !pl.exists);
	CHECK(strstr(text, "meshc: get link a-name-far-too-long: ") == text);
	rtnl_close(r);
	arena_free(&a);
	return 0;
}

static void test_errors_name_the_object(void **state)
{
	(void)state;
	run_in_netns(errors_child);
}

static const struct plan_route *find_route(const struct plan *p,
					   const struct plan_route *like)
{
	for (size_t i = 0; i < p->n_routes; i++)
		if (!plan_route_cmp(&p->routes[i], like))
			return &p->routes[i];
	return NULL;
}

static int changes_child(void)
{
	struct arena a;
	struct plan want, live;
	struct live_link mx, pl;
	struct rtnl *r;
	struct plan_route moved;
	struct plan_rule rule;
	struct plan_address wide;
	const struct plan_route *got;
	unsigned long before;

	arena_init(&a);
	CHECK(setup_links(&r, &mx, &pl) == 0);
	small_plan(&a, &want);
	CHECK(install(r, mx.ifindex, &want) == 0);
	before = rtnl_modify_count(r);

	/* DEL removes exactly the one item */
	CHECK(rtnl_route(r, RTNL_DEL, mx.ifindex, &want.routes[1]) == 0);
	CHECK(rtnl_addr(r, RTNL_DEL, mx.ifindex, &want.iface.addresses[1]) ==
	      0);
	CHECK(rtnl_rule(r, RTNL_DEL, &want.rules[3]) == 0);
	CHECK(rtnl_modify_count(r) == before + 3);
	CHECK(read_back(r, &a, mx.ifindex, &live) == 0);
	CHECK(live.n_routes == 3 && !find_route(&live, &want.routes[1]));
	CHECK(live.iface.n_addresses == 1 && live.n_rules == 3);

	/* REPLACE moves a route to another device; the reader names it */
	moved = want.routes[2];
	moved.dev = "p";
	CHECK(rtnl_route(r, RTNL_REPLACE, pl.ifindex, &moved) == 0);
	CHECK(read_back(r, &a, mx.ifindex, &live) == 0);
	got = find_route(&live, &moved);
	CHECK(got && got->dev && !strcmp(got->dev, "p"));
	CHECK(live.n_routes == 3);
	/* and back, an IPv6 one too */
	CHECK(rtnl_route(r, RTNL_REPLACE, mx.ifindex, &want.routes[2]) == 0);
	moved = want.routes[3];
	CHECK(rtnl_route(r, RTNL_REPLACE, pl.ifindex, &moved) == 0);
	CHECK(read_back(r, &a, mx.ifindex, &live) == 0);
	got = find_route(&live, &moved);
	CHECK(got && !strcmp(got->dev, "p"));
	got = find_route(&live, &want.routes[2]);
	CHECK(got && !strcmp(got->dev, "meshx"));

	/* REPLACE of a rule: delete what holds the priority, then add */
	before = rtnl_modify_count(r);
	rule = want.rules[0];
	rule.suppress_prefixlen = 8;
	CHECK(rtnl_rule(r, RTNL_REPLACE, &rule) == 0);
	CHECK(rtnl_modify_count(r) == before + 2);
	CHECK(read_back(r, &a, mx.ifindex, &live) == 0);
	CHECK(live.n_rules == 3 && live.rules[0].priority == 32100 &&
	      live.rules[0].suppress_prefixlen == 8);
	/* a REPLACE where nothing is: just the add */
	CHECK(rtnl_rule(r, RTNL_REPLACE, &want.rules[3]) == 0);
	CHECK(read_back(r, &a, mx.ifindex, &live) == 0);
	CHECK(live.n_rules == 4);

	/* an address of another length is another item */
	wide = want.iface.addresses[0];
	wide.addr = host_pfx("100.64.0.9", 24);
	CHECK(rtnl_addr(r, RTNL_REPLACE, mx.ifindex, &wide) == 0);
	CHECK(read_back(r, &a, mx.ifindex, &live) == 0);
	CHECK(live.iface.n_addresses == 2 &&
	      !plan_address_cmp(&live.iface.addresses[1], &wide));

	/* the alias marks the link as meshc's; deleting the link */
	CHECK(rtnl_link_set_alias(r, mx.ifindex, MESHC_LINK_MARK) == 0);
	CHECK(rtnl_get_link(r, "meshx", &mx) == 0 && mx.meshc_mark);
	CHECK(rtnl_get_link(r, "p", &pl) == 0 && !pl.meshc_mark);
	before = rtnl_modify_count(r);
	CHECK(rtnl_link_del(r, pl.ifindex) == 0);
	CHECK(rtnl_modify_count(r) == before + 1);
	CHECK(rtnl_get_link(r, "meshx", &mx) == 0 && !mx.exists);
	rtnl_close(r);
	arena_free(&a);
	return 0;
}

static bool same_rules(const struct plan *a, const struct plan *b)
{
	if (a->n_rules != b->n_rules)
		return false;
	for (size_t i = 0; i < a->n_rules; i++) {
		const struct plan_rule *x = &a->rules[i], *y = &b->rules[i];

		if (plan_rule_cmp(x, y) || x->table != y->table ||
		    x->fwmark != y->fwmark || x->invert != y->invert ||
		    x->suppress_prefixlen != y->suppress_prefixlen)
			return false;
	}
	return true;
}

static int read_rules(struct rtnl *r, struct arena *a, const char *ifname,
		      int ifindex, struct plan *live)
{
	memset(live, 0, sizeof(*live));
	CHECK(rtnl_read_plan(r, a, ifname, ifindex, plan_policy_mark(ifname),
			     live) == 0);
	plan_sort(live);
	return 0;
}

/* Two meshc interfaces with exit nodes in one netns: the same rule
 * priorities, each pair with its own mark.  Each reads back only its own
 * pair, and removing one interface's rules (what `down` or a plan
 * without an exit node does: delete every rule read as its own) leaves
 * the other's in place. */
static int two_interfaces_child(void)
{
	struct arena a;
	struct plan x, y, live;
	struct live_link mx, pl, my, ql;
	struct rtnl *r;

	arena_init(&a);
	CHECK(setup_links(&r, &mx, &pl) == 0);
	CHECK(make_veth("meshy", "q") == 0);
	CHECK(rtnl_get_link(r, "meshy", &my) == 0 && my.exists);
	CHECK(rtnl_get_link(r, "q", &ql) == 0 && ql.exists);
	CHECK(rtnl_link_set_up(r, my.ifindex) == 0);
	small_plan_of(&a, &x, "meshx");
	small_plan_of(&a, &y, "meshy");
	CHECK(x.iface.policy_mark != y.iface.policy_mark);
	CHECK(install(r, mx.ifindex, &x) == 0);
	/* meshy: its rules and its table-M defaults (main is meshx's) */
	for (size_t i = 0; i < y.n_rules; i++)
		CHECK(rtnl_rule(r, RTNL_ADD, &y.rules[i]) == 0);
	for (size_t i = 0; i < y.n_routes; i++)
		if (y.routes[i].table == y.iface.policy_mark)
			CHECK(rtnl_route(r, RTNL_ADD, my.ifindex,
					 &y.routes[i]) == 0);

	CHECK(read_rules(r, &a, "meshx", mx.ifindex, &live) == 0);
	CHECK(same_rules(&x, &live));
	CHECK(read_rules(r, &a, "meshy", my.ifindex, &live) == 0);
	CHECK(same_rules(&y, &live));

	/* meshx goes: every rule it reads as its own is deleted */
	CHECK(read_rules(r, &a, "meshx", mx.ifindex, &live) == 0);
	for (size_t i = 0; i < live.n_rules; i++)
		CHECK(rtnl_rule(r, RTNL_DEL, &live.rules[i]) == 0);
	CHECK(read_rules(r, &a, "meshx", mx.ifindex, &live) == 0);
	CHECK(live.n_rules == 0);
	CHECK(read_rules(r, &a, "meshy", my.ifindex, &live) == 0);
	CHECK(same_rules(&y, &live));

	/* and meshx comes back next to meshy, each again with its own */
	for (size_t i = 0; i < x.n_rules; i++)
		CHECK(rtnl_rule(r, RTNL_ADD, &x.rules[i]) == 0);
	CHECK(read_rules(r, &a, "meshx", mx.ifindex, &live) == 0);
	CHECK(same_rules(&x, &live));
	CHECK(read_rules(r, &a, "meshy", my.ifindex, &live) == 0);
	CHECK(same_rules(&y, &live));
	rtnl_close(r);
	arena_free(&a);
	return 0;
}

static void test_two_interfaces_keep_their_own_rules(void **state)
{
	(void)state;
	run_in_netns(two_interfaces_child);
}

static void test_del_replace_and_links(void **state)
{
	(void)state;
	run_in_netns(changes_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_veth_is_foreign_kind),
		cmocka_unit_test(test_link_tun_is_userspace_wireguard),
		cmocka_unit_test(test_link_of_another_name_is_skipped),
		cmocka_unit_test(test_link_wireguard_and_meshc_mark),
		cmocka_unit_test(test_addr_keeps_own_interface_skips_link_local),
		cmocka_unit_test(test_addr_of_another_interface),
		cmocka_unit_test(test_route4_only_proto_77_in_every_table),
		cmocka_unit_test(test_route6_only_proto_77_in_every_table),
		cmocka_unit_test(test_route_dev_is_the_given_name),
		cmocka_unit_test(test_rule4_only_meshc_lookups),
		cmocka_unit_test(test_rule6_only_meshc_lookups),
		cmocka_unit_test(test_rules_of_another_interface_are_not_ours),
		cmocka_unit_test(test_rules_of_meshc_0_1_are_removed_by_any_interface),
		cmocka_unit_test(test_parsers_skip_other_message_types),
		cmocka_unit_test(test_truncated_messages_are_einval),
		cmocka_unit_test(test_bad_attribute_lengths_are_einval),
		cmocka_unit_test(test_damaged_messages_never_crash),
		cmocka_unit_test(test_roundtrip_writes_read_back_equal),
		cmocka_unit_test(test_errors_name_the_object),
		cmocka_unit_test(test_del_replace_and_links),
		cmocka_unit_test(test_two_interfaces_keep_their_own_rules),
		cmocka_unit_test(test_default_route_devices),
		cmocka_unit_test(test_net_addr_is_the_network),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
