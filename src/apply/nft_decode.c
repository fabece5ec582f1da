/* nft_decode.c - one interface's part of the kernel's `table inet meshc`
 * back into a plan_firewall.
 *
 * The part is the chains and sets named "IFACE/..."; everything of other
 * interfaces is skipped as if it were not there (nft_owner_of), and
 * legacy objects (no '/') are listed for removal and make the part read
 * as changed.
 *
 * The decoder accepts exactly what nft_build.c makes and nothing else:
 * expressions in the builder's order with the builder's registers, sets
 * and chains with the renderer's types, hooks and priorities.  Anything
 * else (a rule someone added, a changed policy, a stray set) becomes a
 * rule with id NFT_UNKNOWN_ID and verdict drop, which differs from every
 * compiled rule, so the diff replaces the table and puts it right.
 *
 * A compiled rule for both families that matches sets is two kernel rules
 * (v4 then v6, both recording family 0 in meshc's userdata); they are
 * joined back into the one family-0 rule the compiler made, so the live
 * firewall has the compiler's shape and the diff compares like with like.
 */
#include "apply/nft_internal.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>

#include <libnftnl/expr.h>
#include <libnftnl/udata.h>

/* ---- the live objects ------------------------------------------------ */

void nft_live_add_set(struct arena *a, struct nft_live *l,
		      struct nftnl_set *s)
{
	struct nftnl_set **slot = arena_push(a, &l->sets, &l->n_sets,
					     &l->cap_sets, sizeof(*slot));

	*slot = s;
}

void nft_live_add_chain(struct arena *a, struct nft_live *l,
			struct nftnl_chain *c)
{
	struct nftnl_chain **slot = arena_push(a, &l->chains, &l->n_chains,
					       &l->cap_chains, sizeof(*slot));

	*slot = c;
}

void nft_live_add_rule(struct arena *a, struct nft_live *l,
		       struct nftnl_rule *r)
{
	struct nftnl_rule **slot = arena_push(a, &l->rules, &l->n_rules,
					      &l->cap_rules, sizeof(*slot));

	*slot = r;
}

void nft_live_free(struct nft_live *l)
{
	if (l->table)
		nftnl_table_free(l->table);
	for (size_t i = 0; i < l->n_sets; i++)
		nftnl_set_free(l->sets[i]);
	for (size_t i = 0; i < l->n_chains; i++)
		nftnl_chain_free(l->chains[i]);
	for (size_t i = 0; i < l->n_rules; i++)
		nftnl_rule_free(l->rules[i]);
	memset(l, 0, sizeof(*l));
}

/* ---- names ------------------------------------------------------------ */

enum nft_owner nft_owner_of(const char *name, const char *iface)
{
	const char *slash = name ? strchr(name, '/') : NULL;
	size_t n;

	if (!name)
		return NFT_OWNER_OTHER;
	if (!slash)
		return NFT_OWNER_LEGACY;
	n = (size_t)(slash - name);
	if (iface && strlen(iface) == n && !strncmp(name, iface, n))
		return NFT_OWNER_SELF;
	return NFT_OWNER_OTHER;
}

/* The plan name of a kernel name in the part that prefix ("IFACE/", or
 * "" for legacy objects) reads; NULL for a name of another owner. */
static const char *in_part(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (!name)
		return NULL;
	if (!n)
		return strchr(name, '/') ? NULL : name;
	return strncmp(name, prefix, n) ? NULL : name + n;
}

static bool chain_by_name(const char *name, enum fw_chain *out)
{
	for (int c = 0; name && c < FW_CHAIN_COUNT; c++) {
		if (!strcmp(name, fw_chain_name(c))) {
			*out = c;
			return true;
		}
	}
	return false;
}

static bool set_by_name(const char *name, int *id, uint8_t *family)
{
	for (int i = 0; name && i < FW_SET_COUNT; i++) {
		if (fw_set_id_is_ifname(i)) {
			if (strcmp(name, fw_set_name(i, 0)))
				continue;
			*id = i;
			*family = 0;
			return true;
		}
		if (!strcmp(name, fw_set_name(i, IP_V4))) {
			*id = i;
			*family = IP_V4;
			return true;
		}
		if (!strcmp(name, fw_set_name(i, IP_V6))) {
			*id = i;
			*family = IP_V6;
			return true;
		}
	}
	return false;
}

static bool is_ours(const char *table)
{
	return table && !strcmp(table, MESHC_NFT_TABLE);
}

/* ---- userdata ----------------------------------------------------------- */

struct udata_tb {
	const char *end;
	const struct nftnl_udata *attr[256];
};

/* libnftnl walks the TLVs without checking that each fits: userdata is
 * whatever someone stored, so stop at the first one that does not. */
static int udata_cb(const struct nftnl_udata *attr, void *data)
{
	struct udata_tb *tb = data;
	const char *value;

	if (tb->end - (const char *)attr < 2)
		return -1;
	value = nftnl_udata_get(attr);
	if (tb->end - value < nftnl_udata_len(attr))
		return -1;
	tb->attr[nftnl_udata_type(attr)] = attr;
	return 0;
}

static void udata_parse(const void *data, uint32_t len, struct udata_tb *tb)
{
	memset(tb, 0, sizeof(*tb));
	if (!data || !len)
		return;
	tb->end = (const char *)data + len;
	nftnl_udata_parse(data, len, udata_cb, tb);
}

/* A NUL-terminated string TLV, or NULL. */
static const char *udata_str(const struct udata_tb *tb, uint8_t type)
{
	const struct nftnl_udata *u = tb->attr[type];
	const char *s;
	uint8_t len;

	if (!u)
		return NULL;
	s = nftnl_udata_get(u);
	len = nftnl_udata_len(u);
	if (!len || s[len - 1] || strlen(s) != (size_t)len - 1)
		return NULL;
	return s;
}

/* ---- one rule ---------------------------------------------------------- */

/* What one kernel rule says, before interfaces are resolved and the two
 * halves of a family-0 rule are joined. */
struct rule_view {
	struct fw_rule r;	/* family: the nfproto test (0: none) */
	int meshc_family;	/* from meshc's userdata; -1: none */
	bool ok;		/* every expression is one meshc makes */
	const char *iif, *oif;	/* NULL: no match */
	bool iif_neq, oif_neq;
	bool oif_uplinks;	/* oifname @IFACE/uplinks */
	/* the three parts of fw_rule.tcp_pickup, each on its own */
	bool ct_new, l4_tcp, tcp_not_syn;
};

/* The builder's order; each part at most once. */
enum stage {
	ST_NONE,
	ST_IIF,
	ST_OIF,
	ST_CT,
	ST_NFPROTO,
	ST_SADDR,
	ST_DADDR,
	ST_ICMP,
	ST_L4PROTO,
	ST_TCP_FLAGS,
	ST_VERDICT,
};

struct expr_cursor {
	struct nftnl_expr **e;
	size_t n, i;
	const char *prefix;	/* of the part's set and chain names */
};

static bool expr_is(const struct expr_cursor *x, size_t i, const char *name)
{
	const char *n;

	if (i >= x->n)
		return false;
	n = nftnl_expr_get_str(x->e[i], NFTNL_EXPR_NAME);
	return n && !strcmp(n, name);
}

static bool attr_eq(const struct nftnl_expr *e, uint16_t attr, uint32_t v)
{
	return nftnl_expr_is_set(e, attr) && nftnl_expr_get_u32(e, attr) == v;
}

/* An optional attribute that must be v when present. */
static bool attr_absent_or(const struct nftnl_expr *e, uint16_t attr,
			   uint32_t v)
{
	return !nftnl_expr_is_set(e, attr) || nftnl_expr_get_u32(e, attr) == v;
}

static const void *cmp_data(const struct nftnl_expr *e, uint32_t op,
			    uint32_t len)
{
	const void *d;
	uint32_t dlen = 0;

	if (!attr_eq(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1) ||
	    !attr_eq(e, NFTNL_EXPR_CMP_OP, op))
		return NULL;
	d = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &dlen);
	return d && dlen == len ? d : NULL;
}

static bool is_meta(const struct nftnl_expr *e, uint32_t key)
{
	return attr_eq(e, NFTNL_EXPR_META_KEY, key) &&
	       attr_eq(e, NFTNL_EXPR_META_DREG, NFT_REG_1) &&
	       !nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG);
}

/* meta iifname/oifname + cmp eq/neq "name\0..." (IFNAMSIZ bytes). */
static bool take_iface(struct arena *a, struct expr_cursor *x, uint32_t key,
		       const char **name, bool *neq)
{
	const struct nftnl_expr *cmp;
	const char *d;
	size_t len;

	if (!is_meta(x->e[x->i], key) || !expr_is(x, x->i + 1, "cmp"))
		return false;
	cmp = x->e[x->i + 1];
	*neq = false;
	d = cmp_data(cmp, NFT_CMP_EQ, NFT_IFNAMSIZ);
	if (!d) {
		d = cmp_data(cmp, NFT_CMP_NEQ, NFT_IFNAMSIZ);
		*neq = true;
	}
	if (!d)
		return false;
	len = strnlen(d, NFT_IFNAMSIZ);
	if (!len || len == NFT_IFNAMSIZ)
		return false;
	for (size_t k = len; k < NFT_IFNAMSIZ; k++)
		if (d[k])
			return false;
	*name = arena_strndup(a, d, len);
	x->i += 2;
	return true;
}

/* meta oifname + lookup @IFACE/uplinks (the builder's uplink match). */
static bool take_uplink_lookup(struct expr_cursor *x)
{
	const struct nftnl_expr *lk;
	uint8_t family;
	int id;

	if (!is_meta(x->e[x->i], NFT_META_OIFNAME) ||
	    !expr_is(x, x->i + 1, "lookup"))
		return false;
	lk = x->e[x->i + 1];
	if (!attr_eq(lk, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1) ||
	    nftnl_expr_is_set(lk, NFTNL_EXPR_LOOKUP_DREG) ||
	    !attr_absent_or(lk, NFTNL_EXPR_LOOKUP_FLAGS, 0) ||
	    !set_by_name(in_part(nftnl_expr_get_str(lk,
						    NFTNL_EXPR_LOOKUP_SET),
				 x->prefix),
			 &id, &family) ||
	    id != FW_SET_UPLINK)
		return false;
	x->i += 2;
	return true;
}

/* ct state + bitwise (& established|related, or & new) + cmp neq 0;
 * *state gets which mask it was. */
static bool take_ct(struct expr_cursor *x, uint32_t *state)
{
	const struct nftnl_expr *ct = x->e[x->i], *bw, *cmp;
	const void *mask, *xor, *zero;
	uint32_t mlen = 0, xlen = 0, m, v;

	if (!expr_is(x, x->i + 1, "bitwise") || !expr_is(x, x->i + 2, "cmp"))
		return false;
	bw = x->e[x->i + 1];
	cmp = x->e[x->i + 2];
	if (!attr_eq(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATE) ||
	    !attr_eq(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1) ||
	    nftnl_expr_is_set(ct, NFTNL_EXPR_CT_DIR) ||
	    nftnl_expr_is_set(ct, NFTNL_EXPR_CT_SREG))
		return false;
	if (!attr_eq(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1) ||
	    !attr_eq(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1) ||
	    !attr_eq(bw, NFTNL_EXPR_BITWISE_LEN, sizeof(uint32_t)) ||
	    !attr_absent_or(bw, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL))
		return false;
	mask = nftnl_expr_get(bw, NFTNL_EXPR_BITWISE_MASK, &mlen);
	xor = nftnl_expr_get(bw, NFTNL_EXPR_BITWISE_XOR, &xlen);
	if (!mask || !xor || mlen != sizeof(m) || xlen != sizeof(v))
		return false;
	memcpy(&m, mask, sizeof(m));
	memcpy(&v, xor, sizeof(v));
	zero = cmp_data(cmp, NFT_CMP_NEQ, sizeof(uint32_t));
	if ((m != NFT_CT_ESTABLISHED_MASK && m != NFT_CT_NEW_MASK) || v ||
	    !zero)
		return false;
	memcpy(&v, zero, sizeof(v));
	if (v)
		return false;
	*state = m;
	x->i += 3;
	return true;
}

/* meta l4proto + cmp eq tcp (nft's dependency of a tcp match). */
static bool take_l4proto_tcp(struct expr_cursor *x)
{
	const uint8_t *d;

	if (!is_meta(x->e[x->i], NFT_META_L4PROTO) ||
	    !expr_is(x, x->i + 1, "cmp"))
		return false;
	d = cmp_data(x->e[x->i + 1], NFT_CMP_EQ, 1);
	if (!d || *d != IPPROTO_TCP)
		return false;
	x->i += 2;
	return true;
}

/* payload (tcp flags) + bitwise (& fin|syn|rst|ack) + cmp neq syn. */
static bool take_tcp_not_syn(struct expr_cursor *x)
{
	const struct nftnl_expr *pl = x->e[x->i], *bw, *cmp;
	const uint8_t *mask, *xor, *syn;
	uint32_t mlen = 0, xlen = 0;

	if (!expr_is(x, x->i + 1, "bitwise") || !expr_is(x, x->i + 2, "cmp"))
		return false;
	bw = x->e[x->i + 1];
	cmp = x->e[x->i + 2];
	if (!attr_eq(pl, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_BASE,
		     NFT_PAYLOAD_TRANSPORT_HEADER) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_OFFSET, NFT_TCP_FLAGS_OFF) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_LEN, 1) ||
	    nftnl_expr_is_set(pl, NFTNL_EXPR_PAYLOAD_SREG))
		return false;
	if (!attr_eq(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1) ||
	    !attr_eq(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1) ||
	    !attr_eq(bw, NFTNL_EXPR_BITWISE_LEN, 1) ||
	    !attr_absent_or(bw, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL))
		return false;
	mask = nftnl_expr_get(bw, NFTNL_EXPR_BITWISE_MASK, &mlen);
	xor = nftnl_expr_get(bw, NFTNL_EXPR_BITWISE_XOR, &xlen);
	syn = cmp_data(cmp, NFT_CMP_NEQ, 1);
	if (!mask || !xor || mlen != 1 || xlen != 1 || !syn ||
	    *mask != NFT_TCP_SYN_MASK || *xor || *syn != NFT_TCP_SYN)
		return false;
	x->i += 3;
	return true;
}

static bool take_nfproto(struct expr_cursor *x, uint8_t *family)
{
	const uint8_t *d;

	if (!is_meta(x->e[x->i], NFT_META_NFPROTO) ||
	    !expr_is(x, x->i + 1, "cmp"))
		return false;
	d = cmp_data(x->e[x->i + 1], NFT_CMP_EQ, 1);
	if (!d || (*d != NFPROTO_IPV4 && *d != NFPROTO_IPV6))
		return false;
	*family = *d == NFPROTO_IPV6 ? IP_V6 : IP_V4;
	x->i += 2;
	return true;
}

/* payload of the network header: ip/ip6 saddr or daddr into reg. */
static bool take_addr(struct expr_cursor *x, uint8_t family, uint32_t reg,
		      bool *src)
{
	const struct nftnl_expr *pl;
	uint32_t len = family == IP_V6 ? 16 : 4, off;
	uint32_t soff = family == IP_V6 ? 8 : 12;
	uint32_t doff = family == IP_V6 ? 24 : 16;

	if (!expr_is(x, x->i, "payload"))
		return false;
	pl = x->e[x->i];
	if (!attr_eq(pl, NFTNL_EXPR_PAYLOAD_DREG, reg) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_LEN, len) ||
	    !nftnl_expr_is_set(pl, NFTNL_EXPR_PAYLOAD_OFFSET) ||
	    nftnl_expr_is_set(pl, NFTNL_EXPR_PAYLOAD_SREG))
		return false;
	off = nftnl_expr_get_u32(pl, NFTNL_EXPR_PAYLOAD_OFFSET);
	if (off != soff && off != doff)
		return false;
	*src = off == soff;
	x->i++;
	return true;
}

/* meta l4proto + byteorder hton + payload th dport, from reg on: the
 * service half of a concatenation (nft_build.c's add_service_fields). */
static bool take_service_fields(struct expr_cursor *x, uint32_t k)
{
	const struct nftnl_expr *m, *bo, *pl;
	uint32_t reg = nft_slot_reg(k);

	if (!expr_is(x, x->i, "meta") || !expr_is(x, x->i + 1, "byteorder") ||
	    !expr_is(x, x->i + 2, "payload"))
		return false;
	m = x->e[x->i];
	bo = x->e[x->i + 1];
	pl = x->e[x->i + 2];
	if (!attr_eq(m, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO) ||
	    !attr_eq(m, NFTNL_EXPR_META_DREG, reg) ||
	    nftnl_expr_is_set(m, NFTNL_EXPR_META_SREG) ||
	    !attr_eq(bo, NFTNL_EXPR_BYTEORDER_SREG, reg) ||
	    !attr_eq(bo, NFTNL_EXPR_BYTEORDER_DREG, reg) ||
	    !attr_eq(bo, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON) ||
	    !attr_eq(bo, NFTNL_EXPR_BYTEORDER_LEN, 1) ||
	    !attr_eq(bo, NFTNL_EXPR_BYTEORDER_SIZE, 2) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_DREG, nft_slot_reg(k + 1)) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_BASE,
		     NFT_PAYLOAD_TRANSPORT_HEADER) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_OFFSET, NFT_TH_DPORT_OFF) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_LEN, 2) ||
	    nftnl_expr_is_set(pl, NFTNL_EXPR_PAYLOAD_SREG))
		return false;
	x->i += 3;
	return true;
}

/* payload (ip/ip6 saddr/daddr) + lookup @set of the rule's family; a
 * set whose key holds more takes the rest of its concatenation first
 * (the pair's destination, the service), in the registers after the
 * address, exactly as the set's key says. */
static bool take_lookup(struct expr_cursor *x, uint8_t family, bool *src,
			int *set_id)
{
	const struct nftnl_expr *lk;
	uint32_t k = family == IP_V6 ? 4 : 1;	/* the next 32-bit slot */
	unsigned key = FW_KEY_ADDR;
	uint8_t set_family;
	bool dst_src;

	if (!family || !take_addr(x, family, NFT_REG_1, src))
		return false;
	if (*src && take_addr(x, family, nft_slot_reg(k), &dst_src)) {
		if (dst_src)
			return false;
		key |= FW_KEY_DST;
		k += family == IP_V6 ? 4 : 1;
	}
	if (expr_is(x, x->i, "meta") &&
	    !attr_eq(x->e[x->i], NFTNL_EXPR_META_DREG, NFT_REG_1)) {
		if (!take_service_fields(x, k))
			return false;
		key |= FW_KEY_SVC;
	}
	if (!expr_is(x, x->i, "lookup"))
		return false;
	lk = x->e[x->i];
	if (!attr_eq(lk, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1) ||
	    nftnl_expr_is_set(lk, NFTNL_EXPR_LOOKUP_DREG) ||
	    !attr_absent_or(lk, NFTNL_EXPR_LOOKUP_FLAGS, 0) ||
	    !set_by_name(in_part(nftnl_expr_get_str(lk,
						    NFTNL_EXPR_LOOKUP_SET),
				 x->prefix),
			 set_id, &set_family) ||
	    set_family != family || fw_set_id_is_pair(*set_id) ||
	    fw_set_key(*set_id) != key)
		return false;
	x->i++;
	return true;
}

/* meta l4proto + cmp eq icmp (icmpv6) + payload th[0] + cmp eq echo
 * request (nft_build.c's add_icmp_echo). */
static bool take_icmp_echo(struct expr_cursor *x, uint8_t family)
{
	const struct nftnl_expr *pl;
	const uint8_t *proto, *type;

	if (!family || !is_meta(x->e[x->i], NFT_META_L4PROTO) ||
	    !expr_is(x, x->i + 1, "cmp") || !expr_is(x, x->i + 2, "payload") ||
	    !expr_is(x, x->i + 3, "cmp"))
		return false;
	proto = cmp_data(x->e[x->i + 1], NFT_CMP_EQ, 1);
	pl = x->e[x->i + 2];
	type = cmp_data(x->e[x->i + 3], NFT_CMP_EQ, 1);
	if (!proto || !type ||
	    *proto != (family == IP_V6 ? SVC_ICMPV6 : SVC_ICMP) ||
	    *type != (family == IP_V6 ? NFT_ICMPV6_ECHO : NFT_ICMP_ECHO) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_BASE,
		     NFT_PAYLOAD_TRANSPORT_HEADER) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_OFFSET, 0) ||
	    !attr_eq(pl, NFTNL_EXPR_PAYLOAD_LEN, 1) ||
	    nftnl_expr_is_set(pl, NFTNL_EXPR_PAYLOAD_SREG))
		return false;
	x->i += 4;
	return true;
}

/* One address load of a pair match: network header, offset, length,
 * register, as the builder (and nft) write it. */
static bool is_addr_load(const struct nftnl_expr *pl, uint32_t reg,
			 uint32_t off, uint32_t len)
{
	return attr_eq(pl, NFTNL_EXPR_PAYLOAD_DREG, reg) &&
	       attr_eq(pl, NFTNL_EXPR_PAYLOAD_BASE,
		       NFT_PAYLOAD_NETWORK_HEADER) &&
	       attr_eq(pl, NFTNL_EXPR_PAYLOAD_OFFSET, off) &&
	       attr_eq(pl, NFTNL_EXPR_PAYLOAD_LEN, len) &&
	       !nftnl_expr_is_set(pl, NFTNL_EXPR_PAYLOAD_SREG);
}

/* payload saddr + payload daddr + lookup @pair set of the family. */
static bool take_pair_lookup(struct expr_cursor *x, uint8_t family,
			     int *set_id)
{
	bool six = family == IP_V6;
	const struct nftnl_expr *lk;
	uint8_t set_family;

	if (!family || !expr_is(x, x->i + 1, "payload") ||
	    !expr_is(x, x->i + 2, "lookup") ||
	    !is_addr_load(x->e[x->i], NFT_REG_1, six ? 8 : 12, six ? 16 : 4) ||
	    !is_addr_load(x->e[x->i + 1], six ? NFT_REG_2 : NFT_REG32_01,
			  six ? 24 : 16, six ? 16 : 4))
		return false;
	lk = x->e[x->i + 2];
	if (!attr_eq(lk, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1) ||
	    nftnl_expr_is_set(lk, NFTNL_EXPR_LOOKUP_DREG) ||
	    !attr_absent_or(lk, NFTNL_EXPR_LOOKUP_FLAGS, 0) ||
	    !set_by_name(in_part(nftnl_expr_get_str(lk,
						    NFTNL_EXPR_LOOKUP_SET),
				 x->prefix),
			 set_id, &set_family) ||
	    set_family != family || !fw_set_id_is_pair(*set_id))
		return false;
	x->i += 3;
	return true;
}

static bool take_verdict(struct expr_cursor *x, struct fw_rule *r)
{
	const struct nftnl_expr *e = x->e[x->i];

	if (x->i + 1 != x->n)
		return false;	/* nothing follows a verdict */
	x->i++;
	if (expr_is(x, x->i - 1, "masq")) {
		r->verdict = FW_MASQUERADE;
		return attr_absent_or(e, NFTNL_EXPR_MASQ_FLAGS, 0) &&
		       !nftnl_expr_is_set(e, NFTNL_EXPR_MASQ_REG_PROTO_MIN) &&
		       !nftnl_expr_is_set(e, NFTNL_EXPR_MASQ_REG_PROTO_MAX);
	}
	if (!attr_eq(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT) ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_IMM_VERDICT) ||
	    nftnl_expr_is_set(e, NFTNL_EXPR_IMM_DATA))
		return false;
	switch ((int32_t)nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT)) {
	case NF_ACCEPT:
		r->verdict = FW_ACCEPT;
		return !nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN);
	case NF_DROP:
		r->verdict = FW_DROP;
		return !nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN);
	case NFT_JUMP:
		r->verdict = FW_JUMP;
		return chain_by_name(in_part(nftnl_expr_get_str(
						     e, NFTNL_EXPR_IMM_CHAIN),
					     x->prefix),
				     &r->target);
	default:
		return false;
	}
}

/* One step: the next part of the rule, if it is the kind `name` says and
 * comes after everything before it. */
static bool take_part(struct arena *a, struct expr_cursor *x,
		      struct rule_view *v, enum stage *stage)
{
	const char *name = nftnl_expr_get_str(x->e[x->i], NFTNL_EXPR_NAME);
	enum stage next;
	bool ok, src = false;
	int set_id;

	if (!name)
		return false;
	if (!strcmp(name, "meta") && is_meta(x->e[x->i], NFT_META_IIFNAME)) {
		next = ST_IIF;
		ok = take_iface(a, x, NFT_META_IIFNAME, &v->iif, &v->iif_neq);
	} else if (!strcmp(name, "meta") &&
		   is_meta(x->e[x->i], NFT_META_OIFNAME)) {
		next = ST_OIF;
		if (expr_is(x, x->i + 1, "lookup"))
			ok = v->oif_uplinks = take_uplink_lookup(x);
		else
			ok = take_iface(a, x, NFT_META_OIFNAME, &v->oif,
					&v->oif_neq);
	} else if (!strcmp(name, "meta") &&
		   is_meta(x->e[x->i], NFT_META_L4PROTO) &&
		   expr_is(x, x->i + 2, "payload") &&
		   attr_eq(x->e[x->i + 2], NFTNL_EXPR_PAYLOAD_OFFSET, 0)) {
		next = ST_ICMP;
		ok = v->r.icmp_echo = take_icmp_echo(x, v->r.family);
	} else if (!strcmp(name, "meta") &&
		   is_meta(x->e[x->i], NFT_META_L4PROTO)) {
		next = ST_L4PROTO;
		ok = v->l4_tcp = take_l4proto_tcp(x);
	} else if (!strcmp(name, "meta")) {
		next = ST_NFPROTO;
		ok = take_nfproto(x, &v->r.family);
	} else if (!strcmp(name, "ct")) {
		uint32_t state = 0;

		next = ST_CT;
		ok = take_ct(x, &state);
		v->r.ct_established = state == NFT_CT_ESTABLISHED_MASK;
		v->ct_new = state == NFT_CT_NEW_MASK;
	} else if (!strcmp(name, "payload") &&
		   attr_eq(x->e[x->i], NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_TRANSPORT_HEADER)) {
		next = ST_TCP_FLAGS;
		ok = v->tcp_not_syn = take_tcp_not_syn(x);
	} else if (!strcmp(name, "payload") &&
		   expr_is(x, x->i + 1, "payload") &&
		   take_pair_lookup(x, v->r.family, &set_id)) {
		/* a relay pair set; any other saddr . daddr concatenation
		 * (a service set's) is take_lookup's */
		next = ST_DADDR;
		ok = true;
		v->r.saddr_set = v->r.daddr_set = set_id;
	} else if (!strcmp(name, "payload")) {
		ok = take_lookup(x, v->r.family, &src, &set_id);
		next = src ? ST_SADDR : ST_DADDR;
		if (ok && src)
			v->r.saddr_set = set_id;
		else if (ok)
			v->r.daddr_set = set_id;
	} else if (!strcmp(name, "immediate") || !strcmp(name, "masq")) {
		next = ST_VERDICT;
		ok = take_verdict(x, &v->r);
	} else {
		return false;
	}
	if (!ok || next <= *stage)
		return false;
	*stage = next;
	return true;
}

static bool decode_exprs(struct arena *a, const struct nftnl_rule *nr,
			 const char *prefix, struct rule_view *v)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(nr);
	struct expr_cursor x = { .prefix = prefix };
	struct nftnl_expr *e;
	enum stage stage = ST_NONE;
	size_t cap = 0;

	if (!it)
		return false;
	while ((e = nftnl_expr_iter_next(it))) {
		struct nftnl_expr **slot = arena_push(a, &x.e, &x.n, &cap,
						      sizeof(*slot));

		*slot = e;
	}
	nftnl_expr_iter_destroy(it);
	while (x.i < x.n)
		if (!take_part(a, &x, v, &stage))
			return false;
	/* The builder makes the three together or none of them. */
	if (v->ct_new != v->l4_tcp || v->ct_new != v->tcp_not_syn)
		return false;
	v->r.tcp_pickup = v->ct_new;
	return stage == ST_VERDICT;
}

/* "rule 3: text" -> spec_rule 3, comment "text"; display only. */
static void decode_comment(struct arena *a, const char *s, struct fw_rule *r)
{
	char *end;
	long n;

	if (!s)
		return;
	if (!strncmp(s, "rule ", 5) && s[5] >= '1' && s[5] <= '9') {
		n = strtol(s + 5, &end, 10);
		if (n > 0 && n < 1000 && (!*end || !strncmp(end, ": ", 2))) {
			r->spec_rule = (int)n;
			s = *end ? end + 2 : end;
		}
	}
	r->comment = *s ? arena_strdup(a, s) : NULL;
}

static void decode_rule(struct arena *a, const struct nftnl_rule *nr,
			const char *prefix, enum fw_chain chain,
			struct rule_view *v)
{
	struct udata_tb tb;
	const void *ud;
	uint32_t len = 0;
	const char *id;

	memset(v, 0, sizeof(*v));
	v->r.chain = chain;
	v->r.saddr_set = FW_SET_NONE;
	v->r.daddr_set = FW_SET_NONE;
	v->meshc_family = -1;
	ud = nftnl_rule_get_data(nr, NFTNL_RULE_USERDATA, &len);
	udata_parse(ud, len, &tb);
	decode_comment(a, udata_str(&tb, NFTNL_UDATA_RULE_COMMENT), &v->r);
	id = udata_str(&tb, NFT_UDATA_MESHC_ID);
	v->r.id = id ? arena_strdup(a, id) : NULL;
	if (tb.attr[NFT_UDATA_MESHC_FAMILY] &&
	    nftnl_udata_len(tb.attr[NFT_UDATA_MESHC_FAMILY]) == 1) {
		uint8_t f = *(const uint8_t *)nftnl_udata_get(
			tb.attr[NFT_UDATA_MESHC_FAMILY]);

		if (f == 0 || f == IP_V4 || f == IP_V6)
			v->meshc_family = f;
	}
	v->ok = decode_exprs(a, nr, prefix, v);
}

/* ---- the whole table ---------------------------------------------------- */

struct chain_views {
	struct rule_view *v;
	size_t n, cap;
};

struct decode_ctx {
	struct arena *a;
	struct plan_firewall *fw;
	const char *prefix;	/* "IFACE/", or "" for legacy objects */
	struct chain_views views[FW_CHAIN_COUNT];
	bool chain_seen[FW_CHAIN_COUNT];
	struct fw_rule *rules[FW_CHAIN_COUNT];
	size_t n_rules[FW_CHAIN_COUNT], cap_rules[FW_CHAIN_COUNT];
	size_t cap_elems[FW_SET_COUNT][2];
	bool set_seen[FW_SET_COUNT][2];
};

static void push_rule(struct decode_ctx *c, const struct fw_rule *r)
{
	struct fw_rule *slot = arena_push(c->a, &c->rules[r->chain],
					  &c->n_rules[r->chain],
					  &c->cap_rules[r->chain],
					  sizeof(*slot));

	*slot = *r;
}

/* A rule meshc did not make, in place of what it stands for. */
static void push_unknown(struct decode_ctx *c, enum fw_chain chain,
			 const char *why)
{
	struct fw_rule r = {
		.chain = chain,
		.saddr_set = FW_SET_NONE,
		.daddr_set = FW_SET_NONE,
		.verdict = FW_DROP,
		.id = NFT_UNKNOWN_ID,
		.comment = why,
	};

	push_rule(c, &r);
}

static void mark_foreign(struct decode_ctx *c, const char *what,
			 const char *name)
{
	push_unknown(c, FW_CHAIN_INPUT,
		     arena_printf(c->a, "not made by meshc: %s %s", what,
				  name ? name : "?"));
}

/* Does the table carry meshc's mark (nft's table comment)? */
bool nft_table_is_ours(const struct nftnl_table *t)
{
	struct udata_tb tb;
	const void *ud;
	uint32_t len = 0;
	const char *comment;

	ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	udata_parse(ud, len, &tb);
	comment = udata_str(&tb, NFTNL_UDATA_TABLE_COMMENT);
	return comment && !strcmp(comment, MESHC_NFT_MARK);
}

static bool chain_as_declared(const struct nftnl_chain *ch, enum fw_chain c)
{
	struct nft_chain_hook h;
	bool base = nft_chain_hook(c, &h);
	uint32_t flags = 0;

	if (nftnl_chain_is_set(ch, NFTNL_CHAIN_FLAGS))
		flags = nftnl_chain_get_u32(ch, NFTNL_CHAIN_FLAGS);
	if ((flags & ~(uint32_t)NFT_CHAIN_BASE) ||
	    nftnl_chain_is_set(ch, NFTNL_CHAIN_USERDATA) ||
	    nftnl_chain_is_set(ch, NFTNL_CHAIN_DEV) ||
	    nftnl_chain_is_set(ch, NFTNL_CHAIN_DEVICES) ||
	    base != nftnl_chain_is_set(ch, NFTNL_CHAIN_HOOKNUM))
		return false;
	if (!base)
		return true;
	return nftnl_chain_get_u32(ch, NFTNL_CHAIN_HOOKNUM) == h.hooknum &&
	       nftnl_chain_is_set(ch, NFTNL_CHAIN_PRIO) &&
	       nftnl_chain_get_s32(ch, NFTNL_CHAIN_PRIO) == h.prio &&
	       nftnl_chain_is_set(ch, NFTNL_CHAIN_TYPE) &&
	       !strcmp(nftnl_chain_get_str(ch, NFTNL_CHAIN_TYPE), h.type) &&
	       (!nftnl_chain_is_set(ch, NFTNL_CHAIN_POLICY) ||
		nftnl_chain_get_u32(ch, NFTNL_CHAIN_POLICY) == NF_ACCEPT);
}

static void decode_chains(struct decode_ctx *c, const struct nft_live *l)
{
	for (size_t i = 0; i < l->n_chains; i++) {
		const struct nftnl_chain *ch = l->chains[i];
		const char *name = nftnl_chain_get_str(ch, NFTNL_CHAIN_NAME);
		enum fw_chain fc;

		if (!is_ours(nftnl_chain_get_str(ch, NFTNL_CHAIN_TABLE)) ||
		    !in_part(name, c->prefix))
			continue;
		if (!chain_by_name(in_part(name, c->prefix), &fc) ||
		    c->chain_seen[fc]) {
			mark_foreign(c, "chain", name);
			continue;
		}
		c->chain_seen[fc] = true;
		if (!chain_as_declared(ch, fc))
			push_unknown(c, fc, arena_printf(c->a, "chain %s is "
							 "not as declared",
							 name));
	}
}

/* ---- sets --------------------------------------------------------------- */

struct elem_key {
	/* an address, a pair of them, or an interface name */
	uint8_t key[32];
	bool end;
};

struct elem_walk {
	struct arena *a;
	unsigned len;		/* key length */
	struct elem_key *keys;
	size_t n, cap;
	bool foreign;		/* an element meshc would not make */
};

static int elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct elem_walk *w = data;
	struct elem_key *k;
	const void *key;
	uint32_t len = 0, flags = 0;

	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
		flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
	key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (!key || len != w->len ||
	    (flags & ~(uint32_t)NFT_SET_ELEM_INTERVAL_END) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF)) {
		w->foreign = true;
		return 0;
	}
	k = arena_push(w->a, &w->keys, &w->n, &w->cap, sizeof(*k));
	memcpy(k->key, key, len);
	k->end = flags & NFT_SET_ELEM_INTERVAL_END;
	return 0;
}

/* By key; at one key the end of a range before the start of the next. */
static int elem_key_cmp(const void *pa, const void *pb)
{
	const struct elem_key *a = pa, *b = pb;
	int c = memcmp(a->key, b->key, sizeof(a->key));

	if (c)
		return c;
	return a->end == b->end ? 0 : a->end ? -1 : 1;
}

static struct fw_elem *push_elem(struct decode_ctx *c, int id,
				 uint8_t family, const struct ip_prefix *p)
{
	struct fw_set *s = &c->fw->sets[id][family == IP_V6];
	struct fw_elem *e = arena_push(c->a, &s->elems, &s->n_elems,
				       &c->cap_elems[id][family == IP_V6],
				       sizeof(*e));

	e->prefix = *p;
	return e;
}

static void push_range(struct decode_ctx *c, int id, uint8_t family,
		       const uint8_t *start, const uint8_t *end)
{
	struct ip_prefix *out = arena_calloc(c->a, NFT_RANGE_MAX_PREFIXES,
					     sizeof(*out));
	size_t n = nft_range_prefixes(family, start, end, out);

	for (size_t i = 0; i < n; i++)
		push_elem(c, id, family, &out[i]);
}

/* Interval elements back to ranges: a start, then its end (or none: up
 * to the top).  An end with no start before it is nft's leading zero
 * element; two starts in a row are not something meshc makes. */
static bool walk_intervals(struct decode_ctx *c, int id, uint8_t family,
			   const struct elem_walk *w)
{
	const struct elem_key *start = NULL;

	for (size_t i = 0; i < w->n; i++) {
		const struct elem_key *k = &w->keys[i];

		if (!k->end && start)
			return false;
		if (!k->end)
			start = k;
		else if (start)
			push_range(c, id, family, start->key, k->key);
		if (k->end)
			start = NULL;
	}
	if (start)
		push_range(c, id, family, start->key, NULL);
	return true;
}

/* An ifname set's keys back to names: NUL-padded, never empty. */
static bool walk_names(struct decode_ctx *c, int id, const struct elem_walk *w)
{
	struct fw_set *s = &c->fw->sets[id][0];

	for (size_t i = 0; i < w->n; i++) {
		const char *key = (const char *)w->keys[i].key;
		size_t len = strnlen(key, NFT_IFNAMSIZ);
		struct fw_elem *e;

		if (w->keys[i].end || !len || len == NFT_IFNAMSIZ)
			return false;
		for (size_t k = len; k < NFT_IFNAMSIZ; k++)
			if (key[k])
				return false;
		e = arena_push(c->a, &s->elems, &s->n_elems,
			       &c->cap_elems[id][0], sizeof(*e));
		e->ifname = arena_strndup(c->a, key, len);
	}
	return true;
}

/* A service set's elements: each a start and an end key (nft_key.c). */
struct key_walk {
	struct decode_ctx *c;
	int id;
	uint8_t family;
	unsigned len;
	bool foreign;
};

static int key_cb(struct nftnl_set_elem *e, void *data)
{
	struct key_walk *w = data;
	struct fw_set *s = &w->c->fw->sets[w->id][w->family == IP_V6];
	const void *lo, *hi;
	uint32_t llen = 0, hlen = 0;
	struct fw_elem elem, *slot;

	lo = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &llen);
	hi = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &hlen);
	if (!lo || !hi || llen != w->len || hlen != w->len ||
	    (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
	     nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS)) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT) ||
	    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF) ||
	    !nft_key_elem(w->id, w->family, lo, hi, &elem)) {
		w->foreign = true;
		return 0;
	}
	slot = arena_push(w->c->a, &s->elems, &s->n_elems,
			  &w->c->cap_elems[w->id][w->family == IP_V6],
			  sizeof(*slot));
	*slot = elem;
	return 0;
}

static bool decode_elems(struct decode_ctx *c, struct nftnl_set *s, int id,
			 uint8_t family, bool interval)
{
	unsigned alen = family == IP_V6 ? 16 : 4;
	struct elem_walk w = { .a = c->a, .len = alen };

	if (fw_set_key(id) != FW_KEY_ADDR) {
		struct key_walk kw = { .c = c, .id = id, .family = family,
				       .len = nft_key_len(id, family) };

		nftnl_set_elem_foreach(s, key_cb, &kw);
		return !kw.foreign;
	}
	if (fw_set_id_is_ifname(id))
		w.len = NFT_IFNAMSIZ;
	else if (fw_set_id_is_pair(id))
		w.len = 2 * alen;
	nftnl_set_elem_foreach(s, elem_cb, &w);
	if (w.foreign)
		return false;
	if (w.n > 1)
		qsort(w.keys, w.n, sizeof(*w.keys), elem_key_cmp);
	if (fw_set_id_is_ifname(id))
		return walk_names(c, id, &w);
	if (interval)
		return walk_intervals(c, id, family, &w);
	for (size_t i = 0; i < w.n; i++) {
		struct ip_prefix p = { .addr.family = family,
				       .len = (uint8_t)ip_bits(family) };
		struct fw_elem *e;

		if (w.keys[i].end)
			return false;
		memcpy(p.addr.b, w.keys[i].key, alen);
		e = push_elem(c, id, family, &p);
		if (fw_set_id_is_pair(id)) {
			e->dst = p;
			memcpy(e->dst.addr.b, w.keys[i].key + alen, alen);
		}
	}
	return true;
}

static bool set_as_declared(const struct nftnl_set *s, int id, uint8_t family)
{
	uint32_t flags = 0;
	bool interval;

	if (nftnl_set_is_set(s, NFTNL_SET_FLAGS))
		flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	if (fw_set_key(id) != FW_KEY_ADDR)
		return flags == (NFT_SET_INTERVAL | NFT_SET_CONCAT) &&
		       nftnl_set_is_set(s, NFTNL_SET_KEY_LEN) &&
		       nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) ==
			       nft_key_len(id, family) &&
		       !nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE) &&
		       !nftnl_set_is_set(s, NFTNL_SET_TIMEOUT) &&
		       !nftnl_set_is_set(s, NFTNL_SET_EXPR) &&
		       !nftnl_set_is_set(s, NFTNL_SET_EXPRESSIONS);
	interval = flags & NFT_SET_INTERVAL;
	return (flags & ~(uint32_t)NFT_SET_INTERVAL) == 0 &&
	       interval == fw_set_id_is_interval(id) &&
	       nftnl_set_is_set(s, NFTNL_SET_KEY_LEN) &&
	       nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) ==
		       (fw_set_id_is_ifname(id) ? NFT_IFNAMSIZ
			: family == IP_V6	 ? 16u
						 : 4u) *
			       (fw_set_id_is_pair(id) ? 2u : 1u) &&
	       !nftnl_set_is_set(s, NFTNL_SET_DATA_TYPE) &&
	       !nftnl_set_is_set(s, NFTNL_SET_TIMEOUT) &&
	       !nftnl_set_is_set(s, NFTNL_SET_EXPR) &&
	       !nftnl_set_is_set(s, NFTNL_SET_EXPRESSIONS);
}

static void decode_sets(struct decode_ctx *c, const struct nft_live *l)
{
	for (size_t i = 0; i < l->n_sets; i++) {
		struct nftnl_set *s = l->sets[i];
		const char *name = nftnl_set_get_str(s, NFTNL_SET_NAME);
		uint8_t family;
		int id;

		if (!is_ours(nftnl_set_get_str(s, NFTNL_SET_TABLE)) ||
		    !in_part(name, c->prefix))
			continue;
		if (!set_by_name(in_part(name, c->prefix), &id, &family) ||
		    c->set_seen[id][family == IP_V6]) {
			mark_foreign(c, "set", name);
			continue;
		}
		c->set_seen[id][family == IP_V6] = true;
		if (!set_as_declared(s, id, family) ||
		    !decode_elems(c, s, id, family,
				  fw_set_id_is_interval(id)))
			mark_foreign(c, "set", name);
	}
	/* The service sets come all together or not at all (a part of
	 * full grants has none). */
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < 2; f++)
			if (fw_set_id_is_service(id) && c->set_seen[id][f])
				c->fw->services = true;
	/* Element-only updates need every set there. */
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < fw_set_slots(id) &&
				fw_set_wanted(c->fw, id); f++)
			if (!c->set_seen[id][f])
				mark_foreign(c, "missing set",
					     fw_set_name(id,
							 fw_set_family(id, f)));
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < 2; f++) {
			struct fw_set *s = &c->fw->sets[id][f];

			if (s->n_elems > 1)
				qsort(s->elems, s->n_elems, sizeof(*s->elems),
				      fw_elem_cmp);
		}
}

/* ---- rules ------------------------------------------------------------- */

static void decode_rules(struct decode_ctx *c, const struct nft_live *l)
{
	for (size_t i = 0; i < l->n_rules; i++) {
		const struct nftnl_rule *nr = l->rules[i];
		enum fw_chain fc;
		struct chain_views *cv;
		struct rule_view *v;

		if (!is_ours(nftnl_rule_get_str(nr, NFTNL_RULE_TABLE)) ||
		    !chain_by_name(in_part(nftnl_rule_get_str(nr,
							      NFTNL_RULE_CHAIN),
					   c->prefix),
				   &fc))
			continue;	/* a foreign chain is marked already,
					 * another part's is not ours */
		cv = &c->views[fc];
		v = arena_push(c->a, &cv->v, &cv->n, &cv->cap, sizeof(*v));
		decode_rule(c->a, nr, c->prefix, fc, v);
	}
}

/* The mesh interface is what input dispatches on: `iifname X jump`. */
static const char *learn_iface(const struct decode_ctx *c)
{
	const struct chain_views *cv = &c->views[FW_CHAIN_INPUT];

	for (size_t i = 0; i < cv->n; i++) {
		const struct rule_view *v = &cv->v[i];

		if (v->ok && v->iif && !v->iif_neq && !v->oif &&
		    v->r.verdict == FW_JUMP)
			return v->iif;
	}
	return NULL;
}

static bool resolve_iface(struct decode_ctx *c, const char *name, bool neq,
			  enum fw_iface *out)
{
	struct plan_firewall *fw = c->fw;

	*out = FW_IF_ANY;
	if (!name)
		return true;
	if (!fw->iface)
		return false;
	if (!strcmp(name, fw->iface)) {
		*out = neq ? FW_IF_NOT_MESH : FW_IF_MESH;
		return true;
	}
	return false;	/* the uplink is a set lookup (oif_uplinks) */
}

/* Was this view made by meshc, and does it resolve to one fw_rule? */
static bool view_usable(struct decode_ctx *c, struct rule_view *v)
{
	return v->ok && v->meshc_family >= 0 &&
	       resolve_iface(c, v->iif, v->iif_neq, &v->r.iif) &&
	       resolve_iface(c, v->oif, v->oif_neq, &v->r.oif) &&
	       (!v->oif_uplinks || (v->r.oif = FW_IF_UPLINK));
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The v6 half matches the v4 half in everything but the family. */
static bool halves_match(const struct rule_view *v4, const struct rule_view *v6)
{
	const struct fw_rule *a = &v4->r, *b = &v6->r;

	return v6->meshc_family == 0 && b->family == IP_V6 &&
	       same_str(a->id, b->id) && a->iif == b->iif &&
	       a->oif == b->oif && a->ct_established == b->ct_established &&
	       a->tcp_pickup == b->tcp_pickup &&
	       a->icmp_echo == b->icmp_echo &&
	       a->saddr_set == b->saddr_set && a->daddr_set == b->daddr_set &&
	       a->verdict == b->verdict &&
	       (a->verdict != FW_JUMP || a->target == b->target);
}

static void unknown_view(struct decode_ctx *c, const struct rule_view *v)
{
	push_unknown(c, v->r.chain,
		     arena_printf(c->a, "not made by meshc: %s",
				  v->r.comment ? v->r.comment : "a rule"));
}

/* Views of one chain -> fw_rules, joining family-0 halves. */
static void join_chain(struct decode_ctx *c, enum fw_chain chain)
{
	struct chain_views *cv = &c->views[chain];

	for (size_t i = 0; i < cv->n; i++) {
		struct rule_view *v = &cv->v[i];
		struct fw_rule r;

		if (!view_usable(c, v)) {
			unknown_view(c, v);
			continue;
		}
		r = v->r;
		if (v->meshc_family && v->meshc_family != r.family) {
			unknown_view(c, v);
			continue;
		}
		if (!v->meshc_family && r.family) {
			/* Half of a rule for both families: v4 then v6. */
			if (r.family != IP_V4 || !fw_rule_has_set_match(&r) ||
			    i + 1 >= cv->n || !view_usable(c, &cv->v[i + 1]) ||
			    !halves_match(v, &cv->v[i + 1])) {
				unknown_view(c, v);
				continue;
			}
			i++;
			r.family = 0;
		}
		push_rule(c, &r);
	}
}

static void collect_rules(struct decode_ctx *c)
{
	struct plan_firewall *fw = c->fw;
	size_t n = 0, cap = 0;

	for (int ch = 0; ch < FW_CHAIN_COUNT; ch++)
		join_chain(c, ch);
	for (int ch = 0; ch < FW_CHAIN_COUNT; ch++)
		for (size_t i = 0; i < c->n_rules[ch]; i++) {
			struct fw_rule *slot = arena_push(c->a, &fw->rules, &n,
							  &cap, sizeof(*slot));

			*slot = c->rules[ch][i];
		}
	fw->n_rules = n;
}

/* ---- the part ---------------------------------------------------------- */

/* This part's names first, then legacy ones (the order of deletion
 * does not matter: every chain is flushed before any goes) into out,
 * which has room for all n. */
static size_t layout_names(struct arena *a, const char *const *names,
			   size_t n, const char *iface, const char **out,
			   struct nft_seen *seen)
{
	size_t k = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			enum nft_owner o = nft_owner_of(names[i], iface);

			if (pass == 0 && o == NFT_OWNER_OTHER && names[i])
				seen->others = true;
			if (o != (pass ? NFT_OWNER_LEGACY : NFT_OWNER_SELF))
				continue;
			out[k++] = arena_strdup(a, names[i]);
			seen->n_legacy += pass;
		}
	return k;
}

void nft_layout(struct arena *a, const struct nft_live *l, const char *iface,
		struct nft_seen *seen)
{
	const char **names;

	seen->iface = iface;
	seen->table = l->table && nft_table_is_ours(l->table);
	seen->others = false;
	seen->chains = seen->sets = NULL;
	seen->n_chains = seen->n_sets = seen->n_legacy = 0;
	if (!seen->table)
		return;
	names = arena_calloc(a, l->n_chains + 1, sizeof(*names));
	for (size_t i = 0; i < l->n_chains; i++)
		names[i] = nftnl_chain_get_str(l->chains[i], NFTNL_CHAIN_NAME);
	seen->chains = arena_calloc(a, l->n_chains + 1, sizeof(*names));
	seen->n_chains = layout_names(a, names, l->n_chains, iface,
				      seen->chains, seen);
	names = arena_calloc(a, l->n_sets + 1, sizeof(*names));
	for (size_t i = 0; i < l->n_sets; i++)
		names[i] = nftnl_set_get_str(l->sets[i], NFTNL_SET_NAME);
	seen->sets = arena_calloc(a, l->n_sets + 1, sizeof(*names));
	seen->n_sets = layout_names(a, names, l->n_sets, iface, seen->sets,
				    seen);
}

/* A legacy object's name, for the message. */
static const char *first_legacy(const struct nft_seen *seen)
{
	for (size_t i = 0; i < seen->n_chains; i++)
		if (!strchr(seen->chains[i], '/'))
			return seen->chains[i];
	for (size_t i = 0; i < seen->n_sets; i++)
		if (!strchr(seen->sets[i], '/'))
			return seen->sets[i];
	return NULL;
}

static struct decode_ctx *ctx_new(struct arena *a, struct plan_firewall *fw,
				  const char *prefix)
{
	struct decode_ctx *c = arena_calloc(a, 1, sizeof(*c));

	c->a = a;
	c->fw = fw;
	c->prefix = prefix;
	memset(fw, 0, sizeof(*fw));
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < 2; f++) {
			fw->sets[id][f].family = fw_set_family(id, f);
			fw->sets[id][f].name =
				fw_set_name(id, fw_set_family(id, f));
		}
	return c;
}

static void decode_part(struct decode_ctx *c, const struct nft_live *l)
{
	if (nftnl_table_is_set(l->table, NFTNL_TABLE_FLAGS) &&
	    nftnl_table_get_u32(l->table, NFTNL_TABLE_FLAGS))
		mark_foreign(c, "table flags on", MESHC_NFT_TABLE);
	decode_chains(c, l);
	decode_sets(c, l);
	decode_rules(c, l);
	c->fw->iface = learn_iface(c);
	c->fw->nat = c->chain_seen[FW_CHAIN_POSTROUTING];
}

void nft_decode(struct arena *a, const struct nft_live *l, const char *iface,
		enum nft_table_state *state, struct plan_firewall *fw,
		struct nft_seen *seen)
{
	struct nft_seen own = { 0 };
	struct decode_ctx *c;
	const char *prefix;

	if (!seen)
		seen = &own;
	nft_layout(a, l, iface, seen);
	if (!l->table) {
		*state = NFT_TABLE_ABSENT;
		return;
	}
	if (!nft_table_is_ours(l->table)) {
		*state = NFT_TABLE_FOREIGN;
		return;
	}
	if (!seen->n_chains && !seen->n_sets) {
		/* only other interfaces' parts: nothing of ours */
		*state = NFT_TABLE_ABSENT;
		return;
	}
	*state = NFT_TABLE_OURS;
	prefix = arena_printf(a, "%s/", iface ? iface : "");
	if (seen->n_chains + seen->n_sets > seen->n_legacy) {
		c = ctx_new(a, fw, prefix);
		decode_part(c, l);
	} else {
		/* No part yet: meshc 0.1's firewall is this interface's
		 * old one if it dispatches on it (a rollback makes it the
		 * part), else nothing of it is ours. */
		c = ctx_new(a, fw, "");
		decode_part(c, l);
		if (!fw->iface || !iface || strcmp(fw->iface, iface))
			c = ctx_new(a, fw, prefix);
	}
	if (seen->n_legacy)
		push_unknown(c, FW_CHAIN_INPUT,
			     arena_printf(a, "left by meshc 0.1 (no interface "
					     "prefix): %s",
					  first_legacy(seen)));
	collect_rules(c);
}
