/* nft_internal.h - shared by nft.c (netlink I/O), nft_build.c (plan ->
 * messages), nft_decode.c (kernel objects -> plan), nft_range.c and their
 * unit test; not part of the nftables module's interface (that is nft.h).
 *
 * The split keeps everything but the socket pure: the batch for a plan is
 * a list of messages a test can inspect, and the reader's decoder takes
 * libnftnl objects a test can build by hand.
 */
#ifndef MESHC_APPLY_NFT_INTERNAL_H
#define MESHC_APPLY_NFT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* before libnftnl/batch.h, which uses struct iovec */
#include <sys/uio.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "apply/nft.h"

/* Interface names in meta iifname/oifname matches are compared as nft
 * does: IFNAMSIZ bytes, the name NUL-padded. */
#define NFT_IFNAMSIZ 16
/* nftables refuses comments of 128 bytes or more (as the renderer). */
#define NFT_COMMENT_MAX 127
/* The kernel's limit on any object's userdata (NFT_USERDATA_MAXLEN). */
#define NFT_UDATA_MAX 256

/* meshc's own rule userdata, next to nft's comment (type 0, which nft
 * prints); nft ignores other types when it lists a rule, so these are
 * invisible in `nft list` and the listing equals the renderer's file. */
#define NFT_UDATA_MESHC_ID 0xe0		/* fw_rule.id, NUL-terminated */
#define NFT_UDATA_MESHC_FAMILY 0xe1	/* u8: fw_rule.family (0, 4, 6) */

/* Values of the matches the builder makes and the decoder accepts, as
 * nft encodes them: the ct state bits tested (`ct state
 * established,related`, `ct state new`), and the TCP flags byte (offset
 * 13 of the TCP header: fin 0x01, syn 0x02, rst 0x04, ack 0x10). */
#define NFT_CT_ESTABLISHED_MASK \
	(NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED))
#define NFT_CT_NEW_MASK NF_CT_STATE_BIT(IP_CT_NEW)
#define NFT_TCP_FLAGS_OFF 13
/* A limited grant's matches: the destination port (offset 2 of the TCP
 * and UDP headers) and the echo request types of ICMP and ICMPv6. */
#define NFT_TH_DPORT_OFF 2
#define NFT_ICMP_ECHO 8
#define NFT_ICMPV6_ECHO 128
#define NFT_TCP_SYN 0x02
#define NFT_TCP_SYN_MASK 0x17	/* fin|syn|rst|ack */

/* The id of a rule the reader could not map back to a compiled rule. */
#define NFT_UNKNOWN_ID "unknown"

/* Elements per NEWSETELEM/DELSETELEM message: an element is at most ~60
 * bytes, so a message stays far below the 64 KiB attribute limit. */
#define NFT_ELEMS_PER_MSG 256

/* "meshc: nftables: <what>: <strerror(err)>[: <detail>]" on stderr; err
 * is a positive errno or 0 (then detail says it all). */
void nft_report(const char *what, int err, const char *detail);

/* ---- ranges (nft_range.c) -------------------------------------------- */

/* The interval elements of a prefix: start and end (exclusive) keys in
 * network byte order.  Returns true when the prefix reaches the top of
 * the address space: then there is no end element (nft marks the start
 * "open" instead). */
bool nft_prefix_bounds(const struct ip_prefix *p, uint8_t start[16],
		       uint8_t end[16]);

/* Most prefixes one range can need (2 * 128 - 2, rounded up). */
#define NFT_RANGE_MAX_PREFIXES 256

/* The minimal CIDR prefixes covering [start, end) of one family (end ==
 * NULL: up to and including the last address).  An empty or inverted
 * range gives none.  Returns the count (at most NFT_RANGE_MAX_PREFIXES). */
size_t nft_range_prefixes(uint8_t family, const uint8_t start[16],
			  const uint8_t *end, struct ip_prefix *out);

/* ---- service sets' keys (nft_key.c) ----------------------------------- */

/* The register of the k-th 32-bit slot of a concatenation, numbered as
 * nft numbers it: a slot that starts a 128-bit register is named by that
 * register (NFT_REG_1, NFT_REG_2 ...), any other by its 32-bit name. */
static inline uint32_t nft_slot_reg(uint32_t k)
{
	return k % 4 == 0 ? NFT_REG_1 + k / 4 : NFT_REG32_00 + k;
}

/* The longest key: an IPv6 pair with a service. */
#define NFT_KEY_MAX 40

/* The key length of set id (any set but an ifname one) for family. */
unsigned nft_key_len(enum fw_set_id id, uint8_t family);
/* An element of a set with more than an address (fw_set_key) as nft
 * holds it: the start and (inclusive) end keys.  Returns the length. */
unsigned nft_key_bounds(const struct fw_elem *e, enum fw_set_id id,
			uint8_t family, uint8_t lo[NFT_KEY_MAX],
			uint8_t hi[NFT_KEY_MAX]);
/* The reverse; false for a range meshc would not make (no prefix, a
 * protocol range that is not `any`, a port range of another protocol). */
bool nft_key_elem(enum fw_set_id id, uint8_t family, const uint8_t *lo,
		  const uint8_t *hi, struct fw_elem *e);

/* ---- the batch (nft_build.c) ------------------------------------------ */

/* One message of a batch: what the kernel's answer to `seq` is about. */
struct nft_msg {
	uint16_t type;		/* NFT_MSG_NEWTABLE, NFT_MSG_NEWSET ... */
	uint32_t seq;
	const char *what;	/* "set routing4", "rule 'x' in chain input" */
};

/* One transaction: BATCH_BEGIN (with the ruleset generation it was
 * computed from), the messages, BATCH_END.  Everything a
 * sync sends is here, so a test sees exactly what would go out. */
struct nft_batch {
	struct arena a;		/* descriptions and the message log */
	struct nftnl_batch *nb;
	uint32_t seq_begin;	/* BATCH_BEGIN; messages follow it */
	uint32_t next_seq;
	struct nft_msg *msgs;
	size_t n_msgs, cap_msgs;
	bool closed;		/* BATCH_END written */
};

/* 0 or -ENOMEM.  seq numbers the messages from seq on.  genid: the
 * ruleset generation the batch was computed from (NFNL_BATCH_GENID: the
 * kernel refuses the batch with ERESTART once the ruleset has moved on);
 * 0 for none. */
int nft_batch_init(struct nft_batch *b, uint32_t seq, uint32_t genid);
void nft_batch_free(struct nft_batch *b);

/* Put into b the messages that make seen->iface's part of the kernel's
 * table equal want (the contract of nft_sync).  Leaves b without
 * messages when nothing needs changing.  0 or -errno (reported). */
int nft_batch_sync(struct nft_batch *b, enum nft_table_state state,
		   const struct nft_seen *seen,
		   const struct plan_firewall *want,
		   const struct changeset *cs);

/* Append BATCH_END; idempotent. */
void nft_batch_close(struct nft_batch *b);

/* Send the batch (closed first) as one transaction over a new socket and
 * read every ACK; each refusal is reported with the object it concerns.
 * 0 or the first -errno (nft.c). */
int nft_batch_send(struct nft_batch *b);

/* One kernel answer (NLMSG_ERROR) to a batch: 0 for an ACK, else the
 * positive errno with *what the object it concerns (nft_msg.what) and
 * *msg the kernel's extended-ACK text or NULL.  -EBADMSG: not an answer
 * (nft.c). */
struct nlmsghdr;
int nft_ack_parse(const struct nft_batch *b, const struct nlmsghdr *nlh,
		  const char **what, const char **msg);

/* The message a kernel answer is about, or NULL. */
const struct nft_msg *nft_batch_msg(const struct nft_batch *b, uint32_t seq);
/* How many messages of a type (NFT_MSG_*) the batch holds. */
size_t nft_batch_count(const struct nft_batch *b, uint16_t type);

/* One kernel rule of fw_rule r for family (0, IP_V4, IP_V6: one of
 * fw_rule_families()), as nft would make it from the renderer's text,
 * plus meshc's userdata.  NULL with the reason reported. */
struct nftnl_rule *nft_rule_build(const struct plan_firewall *fw,
				  const struct fw_rule *r, uint8_t family);

/* The comment nft shows for a rule: "rule 2: never forward ...", exactly
 * as the renderer prints it.  "" when the rule has none. */
void nft_rule_comment(const struct fw_rule *r, char out[NFT_COMMENT_MAX + 1]);

/* The hook of a base chain as the renderer declares it ("filter", hook
 * input, priority 0; "nat", postrouting, 100).  false: a regular chain. */
struct nft_chain_hook {
	const char *type;
	uint32_t hooknum;	/* NF_INET_* */
	int32_t prio;
};
bool nft_chain_hook(enum fw_chain c, struct nft_chain_hook *out);

/* ---- the live table (nft_decode.c) ------------------------------------ */

/* What the kernel holds for `table inet meshc`.  The objects are
 * libnftnl's (freed by nft_live_free); the arrays are arena arrays. */
struct nft_live {
	struct nftnl_table *table;	/* NULL: no such table */
	struct nftnl_set **sets;	/* with their elements attached */
	size_t n_sets, cap_sets;
	struct nftnl_chain **chains;
	size_t n_chains, cap_chains;
	struct nftnl_rule **rules;	/* dump order: chain by chain */
	size_t n_rules, cap_rules;
};

/* The table carries meshc's comment (MESHC_NFT_MARK). */
bool nft_table_is_ours(const struct nftnl_table *t);

/* Whose object a chain or set name is, seen from interface iface. */
enum nft_owner {
	NFT_OWNER_SELF,		/* "iface/..." */
	NFT_OWNER_LEGACY,	/* no '/': meshc 0.1's single firewall */
	NFT_OWNER_OTHER,	/* another interface's part (or no name) */
};
enum nft_owner nft_owner_of(const char *name, const char *iface);

/* Take ownership of one object. */
void nft_live_add_set(struct arena *a, struct nft_live *l,
		      struct nftnl_set *s);
void nft_live_add_chain(struct arena *a, struct nft_live *l,
			struct nftnl_chain *c);
void nft_live_add_rule(struct arena *a, struct nft_live *l,
		       struct nftnl_rule *r);
void nft_live_free(struct nft_live *l);

/* The replies nft_read() asks for, in its order. */
enum nft_dump {
	NFT_DUMP_TABLE,		/* GETTABLE inet meshc */
	NFT_DUMP_CHAINS,	/* GETCHAIN dumps of the table */
	NFT_DUMP_SETS,
	NFT_DUMP_ELEMS,		/* GETSETELEM of one set */
	NFT_DUMP_RULES,
};

/* The reader's side of one reply (its datagrams, as received): the
 * objects of meshc's table go into l, elements into set.  A pure function
 * of the bytes (nft.c); 0 or -errno: the kernel's error (-ENOENT: no such
 * table) or -EPROTO for what libnftnl cannot parse. */
int nft_live_feed(struct arena *a, struct nft_live *l, enum nft_dump kind,
		  struct nftnl_set *set, const void *buf, size_t len);

/* Which chains and sets of the live table are iface's part or legacy,
 * and whether other parts exist, into seen (arena arrays; gen and
 * trusted are left as they are).  Pure. */
void nft_layout(struct arena *a, const struct nft_live *l, const char *iface,
		struct nft_seen *seen);

/* The table's state for iface and, for NFT_TABLE_OURS, the firewall its
 * part holds (legacy objects, when it has no part yet and they dispatch
 * on iface).  Pure: a function of the objects only.  Anything meshc
 * would not have made becomes a rule with id NFT_UNKNOWN_ID (so the diff
 * replaces the part).  seen (may be NULL): nft_layout's. */
void nft_decode(struct arena *a, const struct nft_live *l, const char *iface,
		enum nft_table_state *state, struct plan_firewall *fw,
		struct nft_seen *seen);

#endif
