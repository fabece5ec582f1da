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

#include "base/strbuf.h"

/* The kernel fills a dump datagram up to the largest receive buffer it
 * has seen, capped at 32 KiB; a smaller buffer would truncate. */
#define RTNL_RECV_SIZE 32768
/* Requests are fixed headers plus a few attributes of bounded size. */
#define RTNL_REQ_SIZE 1024
/* A dump that changed while it ran (NLM_F_DUMP_INTR) is started again. */
#define RTNL_DUMP_TRIES 3

struct rtnl {
	struct mnl_socket *nl;
	unsigned portid;
	uint32_t seq;
	unsigned long n_modify;
	char *req;		/* RTNL_REQ_SIZE: the request being built */
	char *buf;		/* RTNL_RECV_SIZE: the datagram received */
};

/* One request's answer. */
struct talk {
	mnl_cb_t cb;		/* data messages (dump items, GET replies) */
	void *data;
	int error;		/* the kernel's answer: 0 or -errno */
	struct strbuf ext;	/* its extended-ack text, or ours */
};

/* ---- socket and requests -------------------------------------------- */

int rtnl_open(struct rtnl **out)
{
	struct rtnl *r = calloc(1, sizeof(*r));
	int one = 1, err;

	*out = NULL;
	if (!r || !(r->req = malloc(RTNL_REQ_SIZE)) ||
	    !(r->buf = malloc(RTNL_RECV_SIZE))) {
		err = -ENOMEM;
		goto out_free;
	}
	r->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!r->nl) {
		err = -errno;
		goto out_free;
	}
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out_close_socket;
	}
	/* Best effort: without them errors merely say less. */
	mnl_socket_setsockopt(r->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(r->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	r->portid = mnl_socket_get_portid(r->nl);
	*out = r;
	return 0;

out_close_socket:
	mnl_socket_close(r->nl);
out_free:
	if (r) {
		free(r->buf);
		free(r->req);
	}
	free(r);
	fprintf(stderr, "meshc: open rtnetlink socket: %s\n", strerror(-err));
	return err;
}

void rtnl_close(struct rtnl *r)
{
	if (!r)
		return;
	mnl_socket_close(r->nl);
	free(r->buf);
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

static bool is_dump(const struct nlmsghdr *nlh)
{
	return (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

static int ext_attr(const struct nlattr *at, void *data)
{
	struct talk *t = data;

	if (mnl_attr_get_type(at) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(at, MNL_TYPE_NUL_STRING) == 0) {
		strbuf_reset(&t->ext);
		strbuf_puts(&t->ext, mnl_attr_get_str(at));
	}
	return MNL_CB_OK;
}

/* The extended-ack attributes start at off into the payload. */
static void ext_parse(const struct nlmsghdr *nlh, size_t off, struct talk *t)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= len)
		return;
	mnl_attr_parse_payload((const char *)mnl_nlmsg_get_payload(nlh) + off,
			       len - off, ext_attr, t);
}

static int talk_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct talk *t = data;
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;	/* the ACK */
	t->error = e->error < 0 ? e->error : -e->error;
	/* Without NLM_F_CAPPED the request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(e->msg))
			return MNL_CB_STOP;
		off += MNL_ALIGN(e->msg.nlmsg_len - sizeof(e->msg));
	}
	ext_parse(nlh, off, t);
	return MNL_CB_STOP;
}

static int talk_done(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;
	int err;

	/* A dump can end in an error too: DONE then carries it. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0) {
			t->error = err;
			ext_parse(nlh, sizeof(err), t);
		}
	}
	return MNL_CB_STOP;
}

static int talk_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk *t = data;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

/* After an interrupted dump, read the rest of it so the next request
 * does not find stale messages; n bytes of r->buf are the current ones. */
static void drain(struct rtnl *r, uint32_t seq, ssize_t n)
{
	for (;;) {
		const struct nlmsghdr *h = (const void *)r->buf;
		int len = (int)n;

		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len))
			if (h->nlmsg_seq == seq &&
			    (h->nlmsg_type == NLMSG_DONE ||
			     h->nlmsg_type == NLMSG_ERROR))
				return;
		n = mnl_socket_recvfrom(r->nl, r->buf, RTNL_RECV_SIZE);
		if (n <= 0)
			return;
	}
}

/* Send one request and read its whole answer.  0 or -errno: the
 * kernel's error (t->ext may say more) or the socket's. */
static int rtnl_talk(struct rtnl *r, struct nlmsghdr *nlh, struct talk *t)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = talk_error,
		[NLMSG_DONE] = talk_done,
	};
	ssize_t n;
	int ret;

	t->error = 0;
	strbuf_reset(&t->ext);
	/* seq 0 would turn off mnl_cb_run's sequence check */
	if (++r->seq == 0)
		r->seq = 1;
	nlh->nlmsg_seq = r->seq;
	/* a plain request is answered by an ACK; a dump ends in DONE */
	if (!is_dump(nlh))
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	if (is_modifying(nlh->nlmsg_type))
		r->n_modify++;
	do {
		n = mnl_socket_recvfrom(r->nl, r->buf, RTNL_RECV_SIZE);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run2(r->buf, (size_t)n, r->seq, r->portid,
				  talk_data, t, ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	if (ret < 0) {
		int err = errno ? -errno : -EPROTO;

		if (err == -EINTR)
			drain(r, r->seq, n);
		return err;
	}
	return t->error;
}

/* "meshc: <what> <object>: <strerror>[: <extended ack>]"; frees the
 * talk's text.  Returns err. */
static int report(int err, const char *what, const char *object,
		  struct talk *t)
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
	struct talk t = { .cb = name_cb, .data = &name };
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
		       int ifindex, struct talk *t)
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
	struct talk t = { .cb = link_cb, .data = &c };
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

int rtnl_meshc_links(struct rtnl *r, struct arena *a, const char *except,
		     struct live_link **out, size_t *n)
{
	struct links_ctx c = { .a = a, .except = except };
	struct talk t = { .cb = meshc_link_cb, .data = &c };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int err;

	for (int tries = 1;; tries++) {
		nlh = req_start(r, RTM_GETLINK, NLM_F_DUMP);
		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
		c.n = 0;
		c.err = 0;
		err = rtnl_talk(r, nlh, &t);
		if (err != -EINTR || tries == RTNL_DUMP_TRIES)
			break;
	}
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
	struct talk t = { 0 };
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

/* A request about an existing link: delete it, change flags, alias. */
static int link_request(struct rtnl *r, uint16_t type, int ifindex,
			unsigned flags, unsigned change, const char *alias,
			const char *what)
{
	struct talk t = { 0 };
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
	err = rtnl_talk(r, nlh, &t);
	if (err)
		return report_link(r, err, what, ifindex, &t);
	strbuf_free(&t.ext);
	return 0;
}

int rtnl_link_del(struct rtnl *r, int ifindex)
{
	return link_request(r, RTM_DELLINK, ifindex, 0, 0, NULL, "delete");
}

int rtnl_link_set_up(struct rtnl *r, int ifindex)
{
	return link_request(r, RTM_NEWLINK, ifindex, IFF_UP, IFF_UP, NULL,
			    "set up");
}

int rtnl_link_set_alias(struct rtnl *r, int ifindex, const char *alias)
{
	struct talk t = { 0 };

	/* IFALIASZ counts the kernel's NUL */
	if (strlen(alias) >= IFALIASZ) {
		strbuf_puts(&t.ext, "alias too long");
		return report_link(r, -EINVAL, "set alias of", ifindex, &t);
	}
	return link_request(r, RTM_NEWLINK, ifindex, 0, 0, alias,
			    "set alias of");
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
	struct talk t = { 0 };
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
	struct talk t = { 0 };
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
		     struct talk *t)
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
	struct talk t = { 0 };
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

static int rtnl_dump(struct rtnl *r, const struct dump_req *d,
		     struct read_ctx *c)
{
	size_t n_addrs = c->p->iface.n_addresses, n_routes = c->p->n_routes,
	       n_rules = c->p->n_rules, n_oifs = c->n_oifs;
	struct talk t = { .cb = d->cb, .data = c };
	int err;

	for (int tries = 1;; tries++) {
		struct nlmsghdr *nlh = req_start(r, d->type, NLM_F_DUMP);
		uint8_t *family = mnl_nlmsg_put_extra_header(nlh, d->hdr_len);

		*family = d->family;
		c->err = 0;
		err = rtnl_talk(r, nlh, &t);
		if (err != -EINTR || tries == RTNL_DUMP_TRIES)
			break;
		/* it changed while we read it: what we have may be torn */
		c->p->iface.n_addresses = n_addrs;
		c->p->n_routes = n_routes;
		c->p->n_rules = n_rules;
		c->n_oifs = n_oifs;
	}
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
