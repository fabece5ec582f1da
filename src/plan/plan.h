/* plan.h - the complete desired state of one node.
 *
 * The compiler produces a plan from the model; the renderers print it;
 * check/explain evaluate it; apply (later) reads the live system back into
 * the same type so that one diff engine compares any two plans.  A plan
 * holds values, never instructions: what the interface, peers, routes,
 * rules, sysctls and firewall must be.
 *
 * All arrays are sorted by plan_sort() so every consumer sees one order.
 * Locations point at the document line that caused each item; a plan
 * read from a live system has zero locations.
 */
#ifndef MESHC_PLAN_PLAN_H
#define MESHC_PLAN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/ip.h"
#include "base/secret.h"
#include "base/service.h"
#include "model/model.h"

#define PLAN_FORMAT_VERSION 1

/* The numbers meshc owns on a Linux node (documented in meshc(8)). */
#define MESHC_ROUTE_PROTO 77		/* rtm_protocol of every meshc route */
/* Each interface's exit-node policy routing has a number M of its own,
 * used as WireGuard's socket fwmark and as the routing table id, so two
 * interfaces of one netns never share a rule or a table: M is
 * MESHC_POLICY_BASE | the first 16 bits of BLAKE2b-256(interface name)
 * (plan_policy_mark).  Never 0 nor a reserved table (253-255). */
#define MESHC_POLICY_BASE 0x4d430000u
/* meshc 0.1's one fixed mark and table, for all interfaces: its rules are
 * removed by the next apply (rtnl_rule_is_legacy). */
#define MESHC_LEGACY_MARK 0x4d43u
#define MESHC_RULE_PRIO_SUPPRESS 32100	/* not fwmark M: main, suppress /0 */
#define MESHC_RULE_PRIO_TABLE 32101	/* not fwmark M: lookup M */
#define MESHC_MAIN_TABLE 254
#define MESHC_NFT_TABLE "meshc"		/* table inet meshc / pf anchor meshc */

struct plan_address {
	struct ip_prefix addr;	/* the host address; len 32 or 128 */
	struct loc loc;
};

/* A DNS server's address or a search domain, for clients. */
struct plan_dns {
	const char *entry;	/* an address in canonical form, or a domain */
	struct loc loc;
};

struct plan_interface {
	const char *name;
	/* The node's public key: the plan never holds the private key, so a
	 * live interface is compared by the public key its private key gives. */
	char public_key[WG_KEY_B64_LEN + 1];
	uint16_t listen_port;
	const char *private_key_file;
	uint32_t fwmark;	/* WireGuard's: 0, or policy_mark with an exit node */
	uint32_t policy_mark;	/* M = plan_policy_mark(name): fwmark and table */
	struct plan_address *addresses;
	size_t n_addresses;
	/* The link's MTU.  In a compiled plan 0 means the document sets
	 * none and apply leaves the link's as it is; a live plan has the
	 * link's (0 when there is no link). */
	uint32_t mtu;
	struct loc mtu_loc;
	/* What `export` writes as DNS =, in document order.  No kernel
	 * object holds it (apply never changes the host's resolver): a live
	 * plan has dns NULL, a compiled plan never does, so it differs only
	 * between two documents. */
	struct plan_dns *dns;
	size_t n_dns;
	struct loc loc;
};

enum plan_allowed_why {
	ALLOWED_MESH_ADDRESS,	/* the peer's own mesh address (spec rule 1) */
	ALLOWED_EXIT_NODE,	/* 0.0.0.0/0, ::/0 for this node's exit node */
	ALLOWED_LANS_VIA,	/* a lan prefix of a peer in lans_via */
	/* On the relay's entry: the mesh address of a peer this node
	 * reaches through the relay (a relayed pair, meshc.yaml(5)). */
	ALLOWED_RELAYED,
};

struct plan_allowed_ip {
	struct ip_prefix prefix;
	enum plan_allowed_why why;
	struct loc loc;
};

struct plan_peer {
	const char *name;	/* node name; NULL when read from a live system */
	char public_key[WG_KEY_B64_LEN + 1];
	const char *endpoint;	/* "host:port", "[v6]:port" or NULL */
	uint16_t keepalive;	/* seconds, 0 = off */
	/* Where the pair's preshared key comes from: the mesh's
	 * preshared_key_file (both in the same mesh), else NULL.  Never the
	 * key: it is derived where it is needed (psk_derive).  Read from a
	 * live device: the wanted file when the device holds exactly the key
	 * derived from it, PLAN_PSK_OTHER for any other key. */
	const char *preshared_key_file;
	struct loc preshared_key_loc;
	struct plan_allowed_ip *allowed_ips;
	size_t n_allowed_ips;
	struct loc loc;
};

/* A live peer's preshared key that is not the one the plan derives. */
#define PLAN_PSK_OTHER "(another key)"

struct plan_route {
	struct ip_prefix dst;
	uint32_t table;		/* MESHC_MAIN_TABLE or iface.policy_mark */
	const char *dev;
	const char *why;	/* "mesh x", "lan of b (lans_via)", ... */
	struct loc loc;
};

struct plan_rule {
	uint8_t family;		/* IP_V4 / IP_V6 */
	uint32_t priority;
	uint32_t table;
	uint32_t fwmark;	/* 0: no fwmark match; meshc's: iface.policy_mark */
	bool invert;		/* "not fwmark" */
	int suppress_prefixlen;	/* -1: none */
	struct loc loc;
};

struct plan_sysctl {
	const char *key;	/* dotted, e.g. net.ipv4.ip_forward */
	const char *value;
	const char *why;
	struct loc loc;
};

/* The firewall as data.  The same rules are rendered to nftables and pf
 * and evaluated by check/explain, so what is tested is what is loaded. */
enum fw_set_id {
	FW_SET_MESH,		/* every mesh network of the document */
	FW_SET_SELF,		/* this node's mesh addresses */
	FW_SET_LAN,		/* this node's lan prefixes */
	FW_SET_PRIVATE,		/* private/local ranges (rule 3) */
	FW_SET_INCOMING,	/* peers granted incoming */
	FW_SET_ROUTING,		/* peers granted routing */
	FW_SET_LAN_ACCESS,	/* peers granted local_network */
	/* Unmanaged peers that do not grant this node incoming: they have
	 * no firewall of meshc's, so this node keeps its own packets from
	 * opening connections to them (additions.md, managed nodes). */
	FW_SET_CLOSED,
	/* On a relay (meshc.yaml(5), Relays), the relayed pairs whose
	 * destination grants the source incoming, in three sets so that a
	 * hub of n spokes does not hold n * n pairs: */
	FW_SET_RELAY_USERS,	/* its users without an endpoint */
	/* users that grant incoming to every user they are relayed with:
	 * any user may reach them */
	FW_SET_RELAY_OPEN,
	/* (source . destination) pairs to every other user, one per pair
	 * its destination grants (a pair set, fw_set_id_is_pair) */
	FW_SET_RELAY,
	/* Filled by apply from the live node (compile knows only a named
	 * uplink; fw.egress_live says which it was): */
	FW_SET_LOCAL,		/* prefixes on the node's other interfaces */
	FW_SET_UPLINK,		/* interface names: the way out (ifname set) */
	/* Limited grants (lists), only when the node has one
	 * (plan_firewall.services).  Keys concatenate the address with the
	 * service, so one rule serves every peer and every entry:
	 * fw_set_key() says what each holds. */
	FW_SET_INCOMING_SVC,	/* saddr . proto . port: incoming lists */
	FW_SET_INCOMING_ICMP,	/* saddr: icmp in an incoming list */
	FW_SET_LAN_SVC,		/* saddr . daddr . proto . port */
	FW_SET_LAN_ICMP,	/* saddr . daddr: icmp in a local_network list */
	/* Unmanaged peers' incoming lists for this node, enforced in its
	 * output chain before FW_SET_CLOSED (where such a peer is too). */
	FW_SET_OPEN_SVC,	/* daddr . proto . port */
	FW_SET_OPEN_ICMP,	/* daddr */
	/* On a relay: the relayed pairs whose destination grants the
	 * source incoming as a list (no such destination is in relay_open
	 * or its pair in relay4/6), with the list's services. */
	FW_SET_RELAY_SVC,	/* saddr . daddr . proto . port */
	FW_SET_RELAY_ICMP,	/* saddr . daddr: icmp in the list */
	FW_SET_COUNT,
	FW_SET_NONE = -1,
};

struct fw_elem {
	struct ip_prefix prefix;	/* zero in an ifname set; in a pair
					 * set, the source */
	const char *why;	/* peer or mesh name, or the range's name */
	struct loc loc;
	const char *ifname;	/* the name in an ifname set, else NULL */
	/* The second address of a pair set (FW_KEY_DST or
	 * fw_set_id_is_pair: saddr . daddr); zero when the set has no
	 * destination. */
	struct ip_prefix dst;
	/* The service of a service set (FW_KEY_SVC); zero otherwise. */
	struct fw_service svc;
};

/* What a set's key holds after its first address (fw_set_key). */
enum fw_key {
	FW_KEY_ADDR = 0,	/* one address (or interface name) */
	FW_KEY_DST = 1,		/* then a second address: elem.dst */
	FW_KEY_SVC = 2,		/* then l4proto . destination port */
};

/* An address set has one fw_set per family, sets[id][0] and [1]; an
 * ifname set (fw_set_id_is_ifname) is one set, sets[id][0], family 0. */
struct fw_set {
	const char *name;	/* e.g. "mesh4"; nft set / pf table suffix */
	uint8_t family;		/* IP_V4, IP_V6; 0 for an ifname set */
	struct fw_elem *elems;
	size_t n_elems;
};

enum fw_chain {
	FW_CHAIN_INPUT,		/* hook input: dispatch mesh traffic */
	FW_CHAIN_MESH_INPUT,	/* to this node, from the mesh interface */
	FW_CHAIN_FORWARD,	/* hook forward: dispatch */
	FW_CHAIN_FROM_MESH,	/* forwarded, entering from the mesh */
	FW_CHAIN_TO_MESH,	/* forwarded, leaving into the mesh */
	FW_CHAIN_OUTPUT,	/* hook output: this node's own packets */
	FW_CHAIN_POSTROUTING,	/* hook postrouting (nat): masquerade */
	FW_CHAIN_COUNT,
};

enum fw_iface {
	FW_IF_ANY,
	FW_IF_MESH,
	FW_IF_NOT_MESH,
	FW_IF_UPLINK,		/* one of FW_SET_UPLINK: the way out */
};

enum fw_verdict {
	FW_ACCEPT,
	FW_DROP,
	FW_JUMP,
	FW_MASQUERADE,
};

struct fw_rule {
	enum fw_chain chain;
	uint8_t family;		/* 0 = both, else IP_V4 / IP_V6 */
	enum fw_iface iif, oif;
	bool ct_established;	/* ct state established,related */
	/* ICMP echo request (ICMPv6's for IPv6) only: `icmp` of a limited
	 * grant; replies and errors pass as related, like any reply. */
	bool icmp_echo;
	/* ct state new, tcp, flags & (fin|syn|rst|ack) != syn: a TCP
	 * segment that does not open a connection yet starts a conntrack
	 * entry (the kernel picks a connection up mid-stream). */
	bool tcp_pickup;
	/* enum fw_set_id or FW_SET_NONE.  A set whose key has more than the
	 * address (fw_set_key) is matched with the packet's rest: a source
	 * set FW_KEY_DST | FW_KEY_SVC is `saddr . daddr . l4proto . dport`. */
	int saddr_set;
	int daddr_set;
	enum fw_verdict verdict;
	enum fw_chain target;	/* for FW_JUMP */
	int spec_rule;		/* mesh-format.md rule number; 0 = plumbing */
	const char *id;		/* stable short name, e.g. "no-mesh-transit" */
	const char *comment;	/* why, in words */
	struct loc loc;		/* document place that caused it, if one */
};

struct plan_firewall {
	const char *iface;
	const char *uplink;	/* the document's uplink, or NULL: then the
				 * default routes' interfaces are the way out */
	/* FW_SET_LOCAL, and FW_SET_UPLINK without an uplink, hold what
	 * apply reads from the live node (live_fill_egress) just before it
	 * compares: a compiled plan has them empty and this true. */
	bool live_pending;
	struct fw_set sets[FW_SET_COUNT][2];	/* [id][0: v4, 1: v6] */
	struct fw_rule *rules;	/* grouped by chain, in evaluation order */
	size_t n_rules;
	bool nat;		/* postrouting chain present */
	/* Some grant of (or to) this node is a list: the service sets
	 * (FW_SET_INCOMING_SVC ...) and their rules exist.  A node of full
	 * grants has neither, so its ruleset is as before lists existed. */
	bool services;
};

struct plan {
	const char *document;	/* file the plan was compiled from */
	const char *node;
	const char *mesh;
	enum platform platform;
	struct loc node_loc;
	const char *exit_node;	/* peer name or NULL */
	bool forwards;		/* some peer may route or reach the lan */
	struct plan_interface iface;
	struct plan_peer *peers;	/* sorted by name, then key */
	size_t n_peers;
	struct plan_route *routes;	/* sorted by table, dst */
	size_t n_routes;
	struct plan_rule *rules;	/* sorted by family, priority */
	size_t n_rules;
	struct plan_sysctl *sysctls;	/* sorted by key */
	size_t n_sysctls;
	struct plan_firewall fw;
};

/* Bring every array into its canonical order. */
void plan_sort(struct plan *p);

/* M of interface ifname (see MESHC_POLICY_BASE): deterministic, so the
 * compiler, `down` and a reader of the live system agree on it. */
uint32_t plan_policy_mark(const char *ifname);

/* The orders plan_sort() uses (qsort comparators).  Anything that walks two
 * sorted plans side by side (the diff engine) must use these very ones. */
int plan_address_cmp(const void *a, const void *b);
int plan_allowed_ip_cmp(const void *a, const void *b);
int plan_route_cmp(const void *a, const void *b);
int plan_rule_cmp(const void *a, const void *b);
int plan_sysctl_cmp(const void *a, const void *b);
int fw_elem_cmp(const void *a, const void *b);

const char *fw_chain_name(enum fw_chain c);	/* "input", "from_mesh", ... */
const char *fw_set_name(enum fw_set_id id, uint8_t family); /* "mesh4" */
const char *plan_allowed_why_name(enum plan_allowed_why w);

const char *fw_verdict_name(enum fw_verdict v);	/* "accept", ... */
/* The comment a rule carries in every ruleset: "rule 2: never forward
 * ...", or the text alone for plumbing rules; printable ASCII only, '"'
 * as '\'', cut to size - 1 bytes.  The nft renderer and the libnftnl
 * builder both use it, so a loaded table lists the same either way. */
size_t fw_rule_comment(const struct fw_rule *r, char *out, size_t size);

/* Does the rule match a set (and so need one kernel rule per family)? */
bool fw_rule_has_set_match(const struct fw_rule *r);
/* The families a rule stands for in a kernel ruleset: a family-0 rule with
 * a set match is one rule per family (the sets are per family), any other
 * rule is one.  Returns how many of fams[] it filled. */
size_t fw_rule_families(const struct fw_rule *r, uint8_t fams[2]);
/* Is the set an interval set (networks) or a plain set (host addresses)?
 * The nft renderer and the libnftnl builder must declare sets alike. */
bool fw_set_id_is_interval(enum fw_set_id id);
/* What the set's key holds (enum fw_key bits). */
unsigned fw_set_key(enum fw_set_id id);
/* Is the set one of the service sets (they exist only with fw->services)? */
bool fw_set_id_is_service(enum fw_set_id id);
/* Is the set part of this firewall's ruleset (every set is, but the
 * service sets only with fw->services)? */
bool fw_set_wanted(const struct plan_firewall *fw, enum fw_set_id id);
/* The packet's rest for a set with more than an address: is
 * (a, dst, svc) in s?  svc is a single service (port_lo == port_hi). */
bool fw_set_lookup_key(const struct fw_set *s, enum fw_set_id id,
		       const struct ip_addr *a, const struct ip_addr *dst,
		       const struct fw_service *svc,
		       const struct fw_elem **elem);
/* Is the set one of (source . destination) address pairs (nft
 * `ipv4_addr . ipv4_addr`)?  A rule matches it with both its saddr_set
 * and daddr_set naming it: one lookup of the two addresses. */
bool fw_set_id_is_pair(enum fw_set_id id);
/* Does the rule match a pair set? */
bool fw_rule_is_pair(const struct fw_rule *r);
/* Is it one of a relay's accepts: forwarded from the mesh back into it
 * (from_mesh, oif mesh), by the relay sets? */
bool fw_rule_is_relay_accept(const struct fw_rule *r);
/* Is (saddr . daddr) in the pair set?  *elem (if non-NULL) gets it. */
bool fw_set_lookup_pair(const struct fw_set *s, const struct ip_addr *saddr,
			const struct ip_addr *daddr,
			const struct fw_elem **elem);
/* Is the set one of interface names (nft `type ifname`) rather than of
 * addresses?  Such a set is sets[id][0] alone: fw_set_slots() is 1. */
bool fw_set_id_is_ifname(enum fw_set_id id);
int fw_set_slots(enum fw_set_id id);
/* The family of sets[id][f] (0 for an ifname set). */
uint8_t fw_set_family(enum fw_set_id id, int f);
/* Is name in the ifname set? */
bool fw_set_has_name(const struct fw_set *s, const char *name);
bool fw_set_is_interval(const struct fw_set *s, enum fw_set_id id);
/* Is the chain part of the ruleset?  All are, but postrouting only when
 * the node NATs (or a rule lives there). */
bool fw_chain_wanted(const struct plan_firewall *fw, enum fw_chain c);

/* Find the peer whose allowed IPs hold `dst` by longest prefix (the
 * WireGuard cryptokey routing decision); NULL when none. */
const struct plan_peer *plan_peer_for(const struct plan *p,
				      const struct ip_addr *dst);
/* Is `a` in the set?  *elem (if non-NULL) gets the matching element. */
bool fw_set_lookup(const struct fw_set *s, const struct ip_addr *a,
		   const struct fw_elem **elem);

#endif
