/* rtnl.c - rtnetlink over libmnl: dumps into a plan, one request per change.
 *
 * Every request waits for its answer before the next one is sent, so an
 * error is always the answer to the request just made and can name the
 * object it was about.  The socket asks for extended ACKs (the kernel's
 * own words on what it refused) and capped ACKs (the refused request is
 * not echoed back).  What the dump messages mean is rtnl_parse.c's
 * business; this file only moves them.
 */
#include "apply/rtnl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "apply/nl.h"
#include "base/strbuf.h"

/* Requests are fixed headers plus a few attributes of bounded size. */
#define RTNL_REQ_SIZE 1024

struct rtnl {
	struct nl *nl;
	unsigned long n_modify;
	char *req;		/* RTNL_REQ_SIZE: the request being built */
};

/* ---- socket and requests -------------------------------------------- */

int rtnl_open(struct rtnl **out)
{
	struct rtnl *r = calloc(1, sizeof(*r));
	int err;

	*out = NULL;
	if (!r || !(r->req = malloc(RTNL_REQ_SIZE))) {
		err = -ENOMEM;
		goto out_free;
	}
	err = nl_open(NETLINK_ROUTE, NL_TIMEOUT_MS, &r->nl);
	if (err)
		goto out_free;
	*out = r;
	return 0;

out_free:
	if (r)
		free(r->req);
	free(r);
	fprintf(stderr, "meshc: open rtnetlink socket: %s\n", strerror(-err));
	return err;
}

void rtnl_close(struct rtnl *r)
{
	if (!r)
		return;
	nl_close(r->nl);
	free(r->req);
	free(r);
}

unsigned long rtnl_modify_count(const struct rtnl *r)
{
	return r->n_modify;
}

static struct nlmsghdr *req_start(struct rtnl *r, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh;

	memset(r->req, 0, RTNL_REQ_SIZE);
	nlh = mnl_nlmsg_put_header(r->req);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

/* rtnetlink message types come in fours: NEW, DEL, GET, SET. */
static bool is_modifying(uint16_t type)
{
	return type >= RTM_BASE && ((type - RTM_BASE) & 3) != 2;
}

/* Send one request and read its whole answer, counting the ones that
 * change something.  0 or -errno: the kernel's error (t->ext may say
 * more) or the socket's. */
static int rtnl_talk(struct rtnl *r, struct nlmsghdr *nlh,
		     struct nl_answer *t)
{
	if (is_modifying(nlh->nlmsg_type))
		r->n_modify++;
	return nl_talk(r->nl, nlh, t);
}

/* "meshc: <what> <object>: <strerror>[: <extended ack>]"; frees the
 * talk's text.  Returns err. */
static int report(int err, const char *what, const char *object,
		  struct nl_answer *t)
{
	fprintf(stderr, "meshc: %s %s: %s", what, object, strerror(-err));
	if (t && t->ext.len)
		fprintf(stderr, ": %s", strbuf_str(&t->ext));
	fputc('\n', stderr);
	if (t)
		strbuf_free(&t->ext);
	return err;
}

/* ---- names of things, for messages ---------------------------------- */

static int name_attr(const struct nlattr *at, void *data)
{
	if (mnl_attr_get_type(at) == IFLA_IFNAME &&
	    mnl_attr_validate(at, MNL_TYPE_NUL_STRING) == 0) {
		strbuf_reset(data);
		strbuf_puts(data, mnl_attr_get_str(at));
		return MNL_CB_STOP;
	}
	return MNL_CB_OK;
}

static int name_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct ifinfomsg))
		mnl_attr_parse(nlh, sizeof(struct ifinfomsg), name_attr, data);
	return MNL_CB_OK;
}

/* Append the name of link ifindex to out, "if<N>" when it has none. */
static void link_name(struct rtnl *r, int ifindex, struct strbuf *out)
{
	struct strbuf name = STRBUF_INIT;
	struct nl_answer t = { .cb = name_cb, .data = &name };
	struct nlmsghdr *nlh = req_start(r, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (ifindex > 0 && rtnl_talk(r, nlh, &t) == 0 && name.len)
		strbuf_puts(out, strbuf_str(&name));
	else
		strbuf_printf(out, "if%d", ifindex);
	strbuf_free(&name);
	strbuf_free(&t.ext);
}

static const char *table_name(uint32_t table, char buf[16])
{
	switch (table) {
	case RT_TABLE_MAIN:
		return "main";
	case RT_TABLE_LOCAL:
		return "local";
	case RT_TABLE_DEFAULT:
		return "default";
	}
	snprintf(buf, 16, "%u", (unsigned)table);
	return buf;
}

static void describe_route(struct rtnl *r, const struct plan_route *route,
			   int ifindex, struct strbuf *out)
{
	char buf[IP_STRLEN], tbl[16];

	strbuf_printf(out, "route %s table %s", ip_prefix_str(&route->dst, buf),
		      table_name(route->table, tbl));
	if (route->dev) {
		strbuf_printf(out, " dev %s", route->dev);
	} else if (ifindex > 0) {
		strbuf_puts(out, " dev ");
		link_name(r, ifindex, out);
	}
}

static void describe_rule(const struct plan_rule *rule, struct strbuf *out)
{
	char tbl[16];

	strbuf_printf(out, "%s rule priority %u %sfrom all",
		      rule->family == IP_V6 ? "IPv6" : "IPv4",
		      (unsigned)rule->priority, rule->invert ? "not " : "");
	if (rule->fwmark)
		strbuf_printf(out, " fwmark 0x%x", (unsigned)rule->fwmark);
	strbuf_printf(out, " lookup %s", table_name(rule->table, tbl));
	if (rule->suppress_prefixlen >= 0)
		strbuf_printf(out, " suppress_prefixlength %d",
			      rule->suppress_prefixlen);
}

/* Report a failed request about link ifindex: "<what> link NAME". */
static int report_link(struct rtnl *r, int err, const char *what,
		       int ifindex, struct nl_answer *t)
{
	struct strbuf obj = STRBUF_INIT;

	strbuf_puts(&obj, "link ");
	link_name(r, ifindex, &obj);
	report(err, what, strbuf_str(&obj), t);
	strbuf_free(&obj);
	return err;
}

/* ---- links ------------------------------------------------------------ */

struct link_ctx {
	const char *ifname;
	struct live_link *out;
	int err;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_ctx *c = data;
	int ret = rtnl_parse_link(nlh, c->ifname, c->out);

	if (ret < 0 && !c->err)
		c->err = ret;
	return MNL_CB_OK;
}

static bool ifname_ok(const char *ifname)
{
	size_t len = strlen(ifname);

	return len > 0 && len < IFNAMSIZ;
}

int rtnl_get_link(struct rtnl *r, const char *ifname, struct live_link *out)
{
	struct link_ctx c = { .ifname = ifname, .out = out };
	struct nl_answer t = { .cb = link_cb, .data = &c };
	struct strbuf obj = STRBUF_INIT;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int err;

	memset(out, 0, sizeof(*out));
	if (!ifname_ok(ifname)) {
		err = -EINVAL;
		strbuf_puts(&t.ext, "not a valid interface name");
		goto out_report;
	}
	nlh = req_start(r, RTM_GETLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = rtnl_talk(r, nlh, &t);
	if (err == -ENODEV) {
		/* not there is an answer, not a failure */
		memset(out, 0, sizeof(*out));
		strbuf_free(&t.ext);
		return 0;
	}
	if (!err && c.err) {
		err = c.err;
		strbuf_puts(&t.ext, "malformed reply from the kernel");
	}
	if (!err) {
		strbuf_free(&t.ext);
		return 0;
	}
out_report:
	memset(out, 0, sizeof(*out));
	strbuf_printf(&obj, "link %s", ifname);
	report(err, "get", strbuf_str(&obj), &t);
	strbuf_free(&obj);
	return err;
}

struct links_ctx {
	struct arena *a;
	const char *except;
	struct live_link *links;
	size_t n, cap;
	int err;
};

static int meshc_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct links_ctx *c = data;
	struct live_link l;
	int ret = rtnl_parse_link(nlh, NULL, &l);

	if (ret < 0 && !c->err)
		c->err = ret;
	if (ret == 1 && l.meshc_mark && strcmp(l.name, c->except))
		*(struct live_link *)arena_push(c->a, &c->links, &c->n,
						&c->cap, sizeof(l)) = l;
	return MNL_CB_OK;
}

/* An interrupted link dump starts again with no links. */
static void restart_links(void *data)
{
	struct links_ctx *c = data;

	c->n = 0;
	c->err = 0;
}

int rtnl_meshc_links(struct rtnl *r, struct arena *a, const char *except,
		     struct live_link **out, size_t *n)
{
	struct links_ctx c = { .a = a, .except = except };
	struct nl_answer t = { .cb = meshc_link_cb, .data = &c };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	nlh = req_start(r, RTM_GETLINK, NLM_F_DUMP);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	err = nl_dump(r->nl, nlh, &t, restart_links);
	if (!err && c.err) {
		err = c.err;
		strbuf_puts(&t.ext, "malformed message from the kernel");
	}
	if (err)
		return report(err, "dump", "links", &t);
	strbuf_free(&t.ext);
	*out = c.links;
	*n = c.n;
	return 0;
}

int rtnl_link_add_wireguard(struct rtnl *r, const char *ifname)
{
	struct strbuf obj = STRBUF_INIT;
	struct nl_answer t = { 0 };
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	struct nlattr *info;
	int err;

	if (!ifname_ok(ifname)) {
		err = -EINVAL;
		strbuf_puts(&t.ext, "not a valid interface name");
		goto out_report;
	}
	nlh = req_start(r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, info);
	err = rtnl_talk(r, nlh, &t);
	if (!err) {
		strbuf_free(&t.ext);
		return 0;
	}
out_report:
	strbuf_printf(&obj, "link %s type wireguard", ifname);
	report(err, "add", strbuf_str(&obj), &t);
	strbuf_free(&obj);
	return err;
}

/* A request about an existing link: delete it, change flags, alias or
 * MTU (0: none). */
static int link_request(struct rtnl *r, uint16_t type, int ifindex,
			unsigned flags, unsigned change, const char *alias,
			uint32_t mtu, const char *what)
{
	struct nl_answer t = { 0 };
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int err;

	nlh = req_start(r, type, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	if (alias)
		mnl_attr_put_str(nlh, IFLA_IFALIAS, alias);
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	err = rtnl_talk(r, nlh, &t);
	if (err)
		return report_link(r, err, what, ifindex, &t);
	strbuf_free(&t.ext);
	return 0;
}

int rtnl_link_del(struct rtnl *r, int ifindex)
{
	return link_request(r, RTM_DELLINK, ifindex, 0, 0, NULL, 0, "delete");
}

int rtnl_link_set_up(struct rtnl *r, int ifindex)
{
	return link_request(r, RTM_NEWLINK, ifindex, IFF_UP, IFF_UP, NULL, 0,
			    "set up");
}

int rtnl_link_set_alias(struct rtnl *r, int ifindex, const char *alias)
{
	struct nl_answer t = { 0 };

	/* IFALIASZ counts the kernel's NUL */
	if (strlen(alias) >= IFALIASZ) {
		strbuf_puts(&t.ext, "alias too long");
		return report_link(r, -EINVAL, "set alias of", ifindex, &t);
	}
	return link_request(r, RTM_NEWLINK, ifindex, 0, 0, alias, 0,
			    "set alias of");
}

int rtnl_link_set_mtu(struct rtnl *r, int ifindex, uint32_t mtu)
{
	char what[32];

	snprintf(what, sizeof(what), "set mtu %u of", (unsigned)mtu);
	return link_request(r, RTM_NEWLINK, ifindex, 0, 0, NULL, mtu, what);
}

/* ---- addresses, routes, rules ---------------------------------------- */

static uint16_t op_flags(enum rtnl_op op)
{
	switch (op) {
	case RTNL_ADD:
		return NLM_F_CREATE | NLM_F_EXCL;
	case RTNL_REPLACE:
		return NLM_F_CREATE | NLM_F_REPLACE;
	case RTNL_DEL:
		break;
	}
	return 0;
}

static const char *op_name(enum rtnl_op op)
{
	return op == RTNL_ADD ? "add" : op == RTNL_DEL ? "delete" : "replace";
}

static bool family_ok(uint8_t family)
{
	return family == IP_V4 || family == IP_V6;
}

static uint8_t af_of(uint8_t family)
{
	return family == IP_V6 ? AF_INET6 : AF_INET;
}

static size_t addr_len(uint8_t family)
{
	return family == IP_V6 ? 16 : 4;
}

int rtnl_addr(struct rtnl *r, enum rtnl_op op, int ifindex,
	      const struct plan_address *addr)
{
	const struct ip_prefix *a = &addr->addr;
	struct strbuf obj = STRBUF_INIT;
	struct nl_answer t = { 0 };
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	char buf[IP_STRLEN];
	int err = -EINVAL;

	if (!family_ok(a->addr.family) || a->len > ip_bits(a->addr.family) ||
	    ifindex <= 0)
		goto out_report;
	nlh = req_start(r, op == RTNL_DEL ? RTM_DELADDR : RTM_NEWADDR,
			op_flags(op));
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = af_of(a->addr.family);
	ifa->ifa_prefixlen = a->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/* usable at once: no duplicate address detection on a tunnel */
	if (a->addr.family == IP_V6 && op != RTNL_DEL)
		ifa->ifa_flags = IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(a->addr.family), a->addr.b);
	mnl_attr_put(nlh, IFA_ADDRESS, addr_len(a->addr.family), a->addr.b);
	err = rtnl_talk(r, nlh, &t);
	if (!err) {
		strbuf_free(&t.ext);
		return 0;
	}
out_report:
	strbuf_printf(&obj, "address %s dev ",
		      family_ok(a->addr.family) ? ip_prefix_str(a, buf) : "?");
	link_name(r, ifindex, &obj);
	report(err, op_name(op), strbuf_str(&obj), &t);
	strbuf_free(&obj);
	return err;
}

int rtnl_route(struct rtnl *r, enum rtnl_op op, int ifindex,
	       const struct plan_route *route)
{
	uint8_t family = route->dst.addr.family;
	struct strbuf obj = STRBUF_INIT;
	struct nl_answer t = { 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int err = -EINVAL;

	if (!family_ok(family)) {
		strbuf_puts(&t.ext, "no address family");
		return report(err, op_name(op), "route", &t);
	}
	if (route->dst.len > ip_bits(family) ||
	    (op != RTNL_DEL && ifindex <= 0))
		goto out_report;
	nlh = req_start(r, op == RTNL_DEL ? RTM_DELROUTE : RTM_NEWROUTE,
			op_flags(op));
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = af_of(family);
	rtm->rtm_dst_len = route->dst.len;
	/* the header's table is 8 bits; RTA_TABLE carries the real one */
	rtm->rtm_table = route->table < 256 ? (uint8_t)route->table
					    : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = MESHC_ROUTE_PROTO;
	rtm->rtm_type = RTN_UNICAST;
	if (op == RTNL_DEL)
		rtm->rtm_scope = RT_SCOPE_NOWHERE;	/* any scope matches */
	else
		rtm->rtm_scope = family == IP_V4 ? RT_SCOPE_LINK
						 : RT_SCOPE_UNIVERSE;
	if (route->dst.len)
		mnl_attr_put(nlh, RTA_DST, addr_len(family),
			     route->dst.addr.b);
	mnl_attr_put_u32(nlh, RTA_TABLE, route->table);
	/* A delete matches (table, dst, protocol): the route goes whatever
	 * device it went through. */
	if (op != RTNL_DEL)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	err = rtnl_talk(r, nlh, &t);
	if (!err) {
		strbuf_free(&t.ext);
		return 0;
	}
out_report:
	describe_route(r, route, op == RTNL_DEL ? 0 : ifindex, &obj);
	report(err, op_name(op), strbuf_str(&obj), &t);
	strbuf_free(&obj);
	return err;
}

/* by_priority: match only (family, priority, protocol), whatever the
 * rest, to clear the place of a rule that is to be replaced. */
static int rule_send(struct rtnl *r, uint16_t type, uint16_t flags,
		     const struct plan_rule *rule, bool by_priority,
		     struct nl_answer *t)
{
	struct nlmsghdr *nlh = req_start(r, type, flags);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh,
							      sizeof(*frh));

	frh->family = af_of(rule->family);
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u8(nlh, FRA_PROTOCOL, MESHC_ROUTE_PROTO);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, rule->priority);
	if (!by_priority) {
		frh->table = rule->table < 256 ? (uint8_t)rule->table
					       : RT_TABLE_UNSPEC;
		if (rule->invert)
			frh->flags |= FIB_RULE_INVERT;
		mnl_attr_put_u32(nlh, FRA_TABLE, rule->table);
		if (rule->fwmark)
			mnl_attr_put_u32(nlh, FRA_FWMARK, rule->fwmark);
		if (rule->suppress_prefixlen >= 0)
			mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN,
					 (uint32_t)rule->suppress_prefixlen);
	}
	return rtnl_talk(r, nlh, t);
}

int rtnl_rule(struct rtnl *r, enum rtnl_op op, const struct plan_rule *rule)
{
	struct strbuf obj = STRBUF_INIT;
	struct nl_answer t = { 0 };
	int err = -EINVAL;

	if (!family_ok(rule->family)) {
		strbuf_puts(&t.ext, "no address family");
		goto out_report;
	}
	/* Rules cannot be replaced in place: clear the priority (nothing
	 * there is fine), then add. */
	if (op == RTNL_REPLACE) {
		err = rule_send(r, RTM_DELRULE, 0, rule, true, &t);
		if (err && err != -ENOENT)
			goto out_report;
	}
	if (op == RTNL_DEL)
		err = rule_send(r, RTM_DELRULE, 0, rule, false, &t);
	else
		err = rule_send(r, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL,
				rule, false, &t);
	if (!err) {
		strbuf_free(&t.ext);
		return 0;
	}
out_report:
	describe_rule(rule, &obj);
	report(err, op_name(op), strbuf_str(&obj), &t);
	strbuf_free(&obj);
	return err;
}

/* ---- reading the plan ------------------------------------------------- */

struct read_ctx {
	struct arena *a;
	struct plan *p;
	int ifindex;
	const char *ifname;
	uint32_t mark;		/* the interface's M: its rules match it */
	size_t cap_addrs, cap_routes, cap_rules, cap_oifs;
	uint32_t *oifs;		/* per route: the device to name, or 0 */
	size_t n_oifs;
	int err;		/* the first malformed message */
	/* the counts before the current dump, to restart it */
	size_t keep_addrs, keep_routes, keep_rules, keep_oifs;
};

static void note_error(struct read_ctx *c, int ret)
{
	if (ret < 0 && !c->err)
		c->err = ret;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;
	struct plan_address item;
	int ret = rtnl_parse_addr(nlh, c->ifindex, &item);

	note_error(c, ret);
	if (ret == 1)
		*(struct plan_address *)arena_push(c->a, &c->p->iface.addresses,
						   &c->p->iface.n_addresses,
						   &c->cap_addrs,
						   sizeof(item)) = item;
	/* keep reading after a bad one: the dump must be consumed whole */
	return MNL_CB_OK;
}

/* RTA_OIF of a message rtnl_parse_route has accepted. */
static uint32_t route_oif(const struct nlmsghdr *nlh)
{
	const struct nlattr *at;

	mnl_attr_for_each(at, nlh, sizeof(struct rtmsg))
		if (mnl_attr_get_type(at) == RTA_OIF &&
		    mnl_attr_get_payload_len(at) == sizeof(uint32_t))
			return mnl_attr_get_u32(at);
	return 0;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;
	struct plan_route item;
	int ret = rtnl_parse_route(nlh, c->ifindex, c->ifname, &item);
	uint32_t *oif;

	note_error(c, ret);
	if (ret != 1)
		return MNL_CB_OK;
	*(struct plan_route *)arena_push(c->a, &c->p->routes, &c->p->n_routes,
					 &c->cap_routes, sizeof(item)) = item;
	oif = arena_push(c->a, &c->oifs, &c->n_oifs, &c->cap_oifs,
			 sizeof(*oif));
	*oif = item.dev ? 0 : route_oif(nlh);
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;
	struct plan_rule item;
	int ret = rtnl_parse_rule(nlh, c->mark, &item);

	note_error(c, ret);
	if (ret == 1)
		*(struct plan_rule *)arena_push(c->a, &c->p->rules,
						&c->p->n_rules, &c->cap_rules,
						sizeof(item)) = item;
	return MNL_CB_OK;
}

struct dump_req {
	uint16_t type;
	uint8_t family;
	size_t hdr_len;		/* the family header; family is its 1st byte */
	mnl_cb_t cb;
	const char *object;	/* for messages */
};

/* A dump the kernel interrupted starts again from what was there
 * before it: what the torn one delivered is dropped. */
static void restart_read(void *data)
{
	struct read_ctx *c = data;

	c->p->iface.n_addresses = c->keep_addrs;
	c->p->n_routes = c->keep_routes;
	c->p->n_rules = c->keep_rules;
	c->n_oifs = c->keep_oifs;
	c->err = 0;
}

static int rtnl_dump(struct rtnl *r, const struct dump_req *d,
		     struct read_ctx *c)
{
	struct nl_answer t = { .cb = d->cb, .data = c };
	struct nlmsghdr *nlh = req_start(r, d->type, NLM_F_DUMP);
	uint8_t *family = mnl_nlmsg_put_extra_header(nlh, d->hdr_len);
	int err;

	*family = d->family;
	c->keep_addrs = c->p->iface.n_addresses;
	c->keep_routes = c->p->n_routes;
	c->keep_rules = c->p->n_rules;
	c->keep_oifs = c->n_oifs;
	c->err = 0;
	err = nl_dump(r->nl, nlh, &t, restart_read);
	if (!err && c->err) {
		err = c->err;
		strbuf_puts(&t.ext, "malformed message from the kernel");
	}
	if (err)
		return report(err, "dump", d->object, &t);
	strbuf_free(&t.ext);
	return 0;
}

struct name_cache {
	uint32_t ifindex;
	const char *name;
};

/* Routes through other devices get those devices' names. */
static void name_routes(struct rtnl *r, struct read_ctx *c)
{
	struct name_cache *cache = NULL;
	size_t n_cache = 0, cap_cache = 0;

	for (size_t i = 0; i < c->p->n_routes; i++) {
		struct plan_route *route = &c->p->routes[i];
		struct name_cache *e = NULL;
		struct strbuf name = STRBUF_INIT;

		if (route->dev || !c->oifs[i])
			continue;
		for (size_t k = 0; k < n_cache && !e; k++)
			if (cache[k].ifindex == c->oifs[i])
				e = &cache[k];
		if (!e) {
			e = arena_push(c->a, &cache, &n_cache, &cap_cache,
				       sizeof(*e));
			e->ifindex = c->oifs[i];
			link_name(r, (int)c->oifs[i], &name);
			e->name = arena_strdup(c->a, strbuf_str(&name));
			strbuf_free(&name);
		}
		route->dev = e->name;
	}
}

int rtnl_read_plan(struct rtnl *r, struct arena *a, const char *ifname,
		   int ifindex, uint32_t mark, struct plan *p)
{
	static const struct dump_req dumps[] = {
		{ RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg), addr_cb,
		  "addresses" },
		{ RTM_GETROUTE, AF_INET, sizeof(struct rtmsg), route_cb,
		  "IPv4 routes" },
		{ RTM_GETROUTE, AF_INET6, sizeof(struct rtmsg), route_cb,
		  "IPv6 routes" },
		{ RTM_GETRULE, AF_INET, sizeof(struct fib_rule_hdr), rule_cb,
		  "IPv4 rules" },
		{ RTM_GETRULE, AF_INET6, sizeof(struct fib_rule_hdr), rule_cb,
		  "IPv6 rules" },
	};
	struct read_ctx c = {
		.a = a, .p = p, .ifindex = ifindex, .ifname = ifname,
		.mark = mark,
	};
	int err;

	p->iface.addresses = NULL;
	p->iface.n_addresses = 0;
	p->routes = NULL;
	p->n_routes = 0;
	p->rules = NULL;
	p->n_rules = 0;
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		err = rtnl_dump(r, &dumps[i], &c);
		if (err)
			return err;
	}
	name_routes(r, &c);
	return 0;
}

/* ---- the node's ways out and networks ------------------------------- */

struct egress_link {
	int ifindex;
	const char *name;
	bool skip;		/* loopback, or a link the caller named */
};

struct egress_ctx {
	struct arena *a;
	const char *const *skip;
	size_t n_skip;
	struct egress_link *links;
	size_t n_links, cap_links;
	uint32_t *oifs;		/* default routes' devices */
	size_t n_oifs, cap_oifs;
	struct ip_prefix *nets;
	int *net_ifindex;
	size_t n_nets, cap_nets, cap_net_ifindex;
	size_t kept_links, kept_oifs, kept_nets;	/* before this dump */
	int err;
};

static int egress_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct egress_ctx *c = data;
	struct live_link l;
	int ret = rtnl_parse_link(nlh, NULL, &l);
	struct egress_link *e;

	if (ret < 0 && !c->err)
		c->err = ret;
	if (ret != 1)
		return MNL_CB_OK;
	e = arena_push(c->a, &c->links, &c->n_links, &c->cap_links,
		       sizeof(*e));
	e->ifindex = l.ifindex;
	e->name = arena_strdup(c->a, l.name);
	/* another meshc interface is a mesh, not a way out or a network
	 * of this node's */
	e->skip = l.meshc_mark ||
		  (((const struct ifinfomsg *)mnl_nlmsg_get_payload(nlh))
			   ->ifi_flags &
		   IFF_LOOPBACK);
	for (size_t i = 0; i < c->n_skip; i++)
		e->skip |= !strcmp(l.name, c->skip[i]);
	return MNL_CB_OK;
}

static int egress_route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct egress_ctx *c = data;
	uint32_t oifs[RTNL_MAX_NEXTHOPS];
	size_t n;
	int ret = rtnl_parse_default_route(nlh, oifs, &n);

	if (ret < 0 && !c->err)
		c->err = ret;
	for (size_t i = 0; ret == 1 && i < n; i++)
		*(uint32_t *)arena_push(c->a, &c->oifs, &c->n_oifs,
					&c->cap_oifs, sizeof(uint32_t)) =
			oifs[i];
	return MNL_CB_OK;
}

static int egress_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct egress_ctx *c = data;
	struct ip_prefix p = { 0 };
	int ifindex = 0;
	int ret = rtnl_parse_net_addr(nlh, &ifindex, &p);
	size_t n = c->n_nets;

	if (ret < 0 && !c->err)
		c->err = ret;
	if (ret != 1)
		return MNL_CB_OK;
	*(struct ip_prefix *)arena_push(c->a, &c->nets, &c->n_nets,
					&c->cap_nets, sizeof(p)) = p;
	*(int *)arena_push(c->a, &c->net_ifindex, &n, &c->cap_net_ifindex,
			   sizeof(int)) = ifindex;
	return MNL_CB_OK;
}

/* An interrupted dump starts again with what the earlier dumps gave. */
static void restart_egress(void *data)
{
	struct egress_ctx *c = data;

	c->n_links = c->kept_links;
	c->n_oifs = c->kept_oifs;
	c->n_nets = c->kept_nets;
	c->err = 0;
}

static int egress_dump(struct rtnl *r, struct egress_ctx *c, uint16_t type,
		       uint8_t family, size_t hdr_len, mnl_cb_t cb,
		       const char *object)
{
	struct nl_answer t = { .cb = cb, .data = c };
	struct nlmsghdr *nlh = req_start(r, type, NLM_F_DUMP);
	uint8_t *fam = mnl_nlmsg_put_extra_header(nlh, hdr_len);
	int err;

	*fam = family;
	c->kept_links = c->n_links;
	c->kept_oifs = c->n_oifs;
	c->kept_nets = c->n_nets;
	c->err = 0;
	err = nl_dump(r->nl, nlh, &t, restart_egress);
	if (!err && c->err) {
		err = c->err;
		strbuf_puts(&t.ext, "malformed message from the kernel");
	}
	if (err)
		return report(err, "dump", object, &t);
	strbuf_free(&t.ext);
	return 0;
}

static const struct egress_link *egress_link_of(const struct egress_ctx *c,
						int ifindex)
{
	for (size_t i = 0; i < c->n_links; i++)
		if (c->links[i].ifindex == ifindex)
			return &c->links[i];
	return NULL;
}

int rtnl_read_egress(struct rtnl *r, struct arena *a,
		     const char *const *skip, size_t n_skip,
		     struct rtnl_egress *out)
{
	struct egress_ctx c = { .a = a, .skip = skip, .n_skip = n_skip };
	int err;

	memset(out, 0, sizeof(*out));
	if ((err = egress_dump(r, &c, RTM_GETLINK, AF_UNSPEC,
			       sizeof(struct ifinfomsg), egress_link_cb,
			       "links")) ||
	    (err = egress_dump(r, &c, RTM_GETROUTE, AF_INET,
			       sizeof(struct rtmsg), egress_route_cb,
			       "IPv4 routes")) ||
	    (err = egress_dump(r, &c, RTM_GETROUTE, AF_INET6,
			       sizeof(struct rtmsg), egress_route_cb,
			       "IPv6 routes")) ||
	    (err = egress_dump(r, &c, RTM_GETADDR, AF_UNSPEC,
			       sizeof(struct ifaddrmsg), egress_addr_cb,
			       "addresses")))
		return err;
	out->uplinks = arena_calloc(a, c.n_oifs + 1, sizeof(*out->uplinks));
	for (size_t i = 0; i < c.n_oifs; i++) {
		const struct egress_link *l = egress_link_of(&c, (int)c.oifs[i]);

		if (l && !l->skip)
			out->uplinks[out->n_uplinks++] = l->name;
	}
	out->nets = arena_calloc(a, c.n_nets + 1, sizeof(*out->nets));
	out->net_dev = arena_calloc(a, c.n_nets + 1, sizeof(*out->net_dev));
	for (size_t i = 0; i < c.n_nets; i++) {
		const struct egress_link *l = egress_link_of(&c,
							     c.net_ifindex[i]);

		if (!l || l->skip)
			continue;
		out->nets[out->n_nets] = c.nets[i];
		out->net_dev[out->n_nets++] = l->name;
	}
	return 0;
}
