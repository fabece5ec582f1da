/* rtnl.h - links, addresses, routes and policy rules over rtnetlink (libmnl).
 *
 * Readers turn kernel dump messages into plan items; they are pure
 * functions of the messages (rtnl_parse_*), so they are unit-tested on
 * recorded messages without root.  Writers send one request each and wait
 * for its ACK, reporting the kernel's extended-ack message.
 *
 * Ownership: routes carry rtm_protocol MESHC_ROUTE_PROTO and rules carry
 * FRA_PROTOCOL MESHC_ROUTE_PROTO; nothing without that mark is read back
 * or touched.  A rule is an interface's only when it also matches the
 * interface's policy mark M (FRA_FWMARK == plan_policy_mark(ifname)).  Addresses are read from meshc's own interface only, IPv6
 * link-local addresses excepted (the kernel adds those, not meshc).
 */
#ifndef MESHC_APPLY_RTNL_H
#define MESHC_APPLY_RTNL_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "base/arena.h"
#include "plan/plan.h"

struct rtnl;

enum link_kind {
	LINK_WIREGUARD,		/* kernel WireGuard (IFLA_INFO_KIND "wireguard") */
	LINK_TUN,		/* a tun device: userspace WireGuard */
	LINK_OTHER,		/* anything else: foreign, never touched */
};

struct live_link {
	bool exists;
	char name[16];		/* IFNAMSIZ */
	int ifindex;
	enum link_kind kind;
	char kind_name[32];	/* IFLA_INFO_KIND, "" when none */
	bool up;
	uint32_t mtu;
	/* IFLA_IFALIAS is MESHC_LINK_MARK: meshc created this interface. */
	bool meshc_mark;
};

#define MESHC_LINK_MARK "managed by meshc"

/* 0 or -errno (reported). */
int rtnl_open(struct rtnl **out);
void rtnl_close(struct rtnl *r);

/* Look a link up by name; out->exists false when there is none. */
int rtnl_get_link(struct rtnl *r, const char *ifname, struct live_link *out);

/* Every link of the netns that carries MESHC_LINK_MARK, except `except`,
 * into *out (an arena array of *n).  0 or -errno (reported). */
int rtnl_meshc_links(struct rtnl *r, struct arena *a, const char *except,
		     struct live_link **out, size_t *n);

/* Read this node's addresses (of ifindex), meshc's routes (any table) and
 * the interface's policy rules (those of mark, its M) into
 * p->iface.addresses, p->routes, p->rules (arena arrays; route dev names
 * from ifindex; ifname is the name to use for routes through ifindex).
 * p is not sorted. 0 or -errno. */
int rtnl_read_plan(struct rtnl *r, struct arena *a, const char *ifname,
		   int ifindex, uint32_t mark, struct plan *p);

/* The node's ways out and its networks, for the firewall's live sets
 * (FW_SET_UPLINK, FW_SET_LOCAL): the names of the devices the main
 * table's default routes use (both families, meshc's own routes and the
 * links in `skip` aside), and the networks of the addresses on every
 * link but loopback and those in `skip` (link-local and host-scope
 * addresses aside).  Arena arrays; 0 or -errno (reported). */
struct rtnl_egress {
	const char **uplinks;
	size_t n_uplinks;
	struct ip_prefix *nets;
	const char **net_dev;	/* per net: the link's name */
	size_t n_nets;
};
int rtnl_read_egress(struct rtnl *r, struct arena *a,
		     const char *const *skip, size_t n_skip,
		     struct rtnl_egress *out);

/* Writers: 0 or -errno (the kernel's message reported on stderr with the
 * object named).  MODIFY of a route = rtnl_route(..., RTNL_REPLACE). */
enum rtnl_op { RTNL_ADD, RTNL_DEL, RTNL_REPLACE };
int rtnl_link_add_wireguard(struct rtnl *r, const char *ifname);
int rtnl_link_del(struct rtnl *r, int ifindex);
int rtnl_link_set_up(struct rtnl *r, int ifindex);
/* Set IFLA_IFALIAS (meshc marks the interfaces it creates). */
int rtnl_link_set_alias(struct rtnl *r, int ifindex, const char *alias);
/* IFLA_MTU: a link property, for kernel WireGuard and a tun alike. */
int rtnl_link_set_mtu(struct rtnl *r, int ifindex, uint32_t mtu);
int rtnl_addr(struct rtnl *r, enum rtnl_op op, int ifindex,
	      const struct plan_address *addr);
int rtnl_route(struct rtnl *r, enum rtnl_op op, int ifindex,
	       const struct plan_route *route);
int rtnl_rule(struct rtnl *r, enum rtnl_op op, const struct plan_rule *rule);

/* How many modifying requests (NEW*, DEL*, SET*) this handle has sent:
 * the idempotence tests assert that a no-op apply sends none. */
unsigned long rtnl_modify_count(const struct rtnl *r);

/* Pure parsers of one message of a dump (exported for the unit tests).
 * Each returns 1 when the message produced an item, 0 when it was not
 * one of ours (skipped), -EINVAL when malformed. */
/* ifname NULL: any link. */
int rtnl_parse_link(const struct nlmsghdr *nlh, const char *ifname,
		    struct live_link *out);
int rtnl_parse_addr(const struct nlmsghdr *nlh, int ifindex,
		    struct plan_address *out);
int rtnl_parse_route(const struct nlmsghdr *nlh, int ifindex,
		     const char *ifname, struct plan_route *out);
/* A policy rule of meshc 0.1 (suppress rule without a mark, or the lookup
 * of its fixed table 0x4d43): any interface's to remove. */
bool rtnl_rule_is_legacy(uint32_t fwmark, uint32_t table, uint32_t suppress);
int rtnl_parse_rule(const struct nlmsghdr *nlh, uint32_t mark,
		    struct plan_rule *out);
/* A default route of the main table (not meshc's): its devices (RTA_OIF
 * and each multipath hop) into oifs[*n]. */
#define RTNL_MAX_NEXTHOPS 16
int rtnl_parse_default_route(const struct nlmsghdr *nlh,
			     uint32_t oifs[RTNL_MAX_NEXTHOPS], size_t *n);
/* Any link's address as the network it is on (host bits cleared), and
 * its link; link-local and host-scope addresses are skipped. */
int rtnl_parse_net_addr(const struct nlmsghdr *nlh, int *ifindex,
			struct ip_prefix *out);

#endif
