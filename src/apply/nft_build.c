/* nft_build.c - a plan's firewall as one nf_tables batch (libnftnl).
 *
 * The objects are the ones `nft -f` makes from the renderer's file
 * (render/nft.c): the same table comment, sets, chains, priorities and,
 * expression for expression, the same rules, so `nft list table inet
 * meshc` cannot tell the two apart.  Two differences, both invisible to
 * nft's listing: each rule carries meshc's id in its userdata (the reader
 * needs it), and interval sets hold every prefix as its own range (no
 * auto-merge: merged ranges could not be read back into the plan's
 * prefixes, and element-only updates need one range per prefix).
 *
 * Every name is the part's: "IFACE/input", "IFACE/mesh4", with IFACE the
 * plan's mesh interface (nft.h says why parts cannot weaken each other).
 *
 * A batch is always one transaction: a whole part (its old chains and
 * sets, and legacy objects, deleted first when they exist), only the set
 * elements that changed, or the removal of the part (of the table, when
 * no other part is left).
 */
#include "apply/nft_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv4.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>

#include "diff/diff.h"

/* Batch pages: a page holds many messages; one message (at most ~64 KiB,
 * an element list) always fits in the overrun. */
#define NFT_BATCH_PAGE (1u << 20)
#define NFT_BATCH_OVERRUN (UINT16_MAX + 4096u)

/* nft's byte order code for a set key in network order (BYTEORDER_BIG_
 * ENDIAN), kept in the set's userdata so nft prints the addresses. */
#define NFT_BYTEORDER_BIG_ENDIAN 2
#define NFT_BYTEORDER_HOST_ENDIAN 1
/* nft's datatype numbers (TYPE_IPADDR, TYPE_IP6ADDR, TYPE_IFNAME). */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_BITS 6		/* per field of a concatenated type */
#define NFT_TYPE_IFNAME 41

void nft_report(const char *what, int err, const char *detail)
{
	fprintf(stderr, "meshc: nftables: %s", what);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	if (detail && detail[0])
		fprintf(stderr, ": %s", detail);
	fputc('\n', stderr);
}

/* libnftnl allocations fail only without memory; like the arena, meshc
 * gives up then rather than thread the failure through every builder. */
static void *must(void *p)
{
	if (!p) {
		fprintf(stderr, "meshc: out of memory\n");
		abort();
	}
	return p;
}

/* ---- what the renderer declares ---------------------------------------- */

bool nft_chain_hook(enum fw_chain c, struct nft_chain_hook *out)
{
	switch (c) {
	case FW_CHAIN_INPUT:
		*out = (struct nft_chain_hook){ "filter", NF_INET_LOCAL_IN,
						NF_IP_PRI_FILTER };
		return true;
	case FW_CHAIN_FORWARD:
		*out = (struct nft_chain_hook){ "filter", NF_INET_FORWARD,
						NF_IP_PRI_FILTER };
		return true;
	case FW_CHAIN_OUTPUT:
		*out = (struct nft_chain_hook){ "filter", NF_INET_LOCAL_OUT,
						NF_IP_PRI_FILTER };
		return true;
	case FW_CHAIN_POSTROUTING:
		*out = (struct nft_chain_hook){ "nat", NF_INET_POST_ROUTING,
						NF_IP_PRI_NAT_SRC };
		return true;
	default:
		return false;
	}
}

void nft_rule_comment(const struct fw_rule *r, char out[NFT_COMMENT_MAX + 1])
{
	fw_rule_comment(r, out, NFT_COMMENT_MAX + 1);
}

const char *nft_part_name(char buf[NFT_NAME_MAX], const char *iface,
			  const char *name)
{
	snprintf(buf, NFT_NAME_MAX, "%s/%s", iface ? iface : "", name);
	return buf;
}

/* ---- the batch ----------------------------------------------------------- */

int nft_batch_init(struct nft_batch *b, uint32_t seq, uint32_t genid)
{
	struct nlmsghdr *begin;

	memset(b, 0, sizeof(*b));
	arena_init(&b->a);
	b->nb = nftnl_batch_alloc(NFT_BATCH_PAGE, NFT_BATCH_OVERRUN);
	if (!b->nb) {
		arena_free(&b->a);
		return -ENOMEM;
	}
	b->seq_begin = seq;
	begin = nftnl_batch_begin(nftnl_batch_buffer(b->nb), seq);
	/* As nft does: the kernel compares it with the generation now and
	 * refuses a batch computed from an older ruleset (ERESTART). */
	if (genid)
		mnl_attr_put_u32(begin, NFNL_BATCH_GENID, htonl(genid));
	if (nftnl_batch_update(b->nb) < 0) {
		nft_batch_free(b);
		return -ENOMEM;
	}
	b->next_seq = seq + 1;
	return 0;
}

void nft_batch_free(struct nft_batch *b)
{
	if (b->nb)
		nftnl_batch_free(b->nb);
	b->nb = NULL;
	arena_free(&b->a);
}

void nft_batch_close(struct nft_batch *b)
{
	if (b->closed)
		return;
	nftnl_batch_end(nftnl_batch_buffer(b->nb), b->next_seq++);
	/* Only a failed page allocation fails, and the end message is tiny:
	 * it already sits in the overrun of the current page. */
	(void)nftnl_batch_update(b->nb);
	b->closed = true;
}

const struct nft_msg *nft_batch_msg(const struct nft_batch *b, uint32_t seq)
{
	uint32_t i = seq - (b->seq_begin + 1);

	return i < b->n_msgs ? &b->msgs[i] : NULL;
}

size_t nft_batch_count(const struct nft_batch *b, uint16_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_msgs; i++)
		n += b->msgs[i].type == type;
	return n;
}

/* Every message asks for an ACK, so the sender can check each one. */
static struct nlmsghdr *msg_start(struct nft_batch *b, uint16_t type,
				  uint16_t flags, const char *what)
{
	struct nft_msg *m = arena_push(&b->a, &b->msgs, &b->n_msgs,
				       &b->cap_msgs, sizeof(*m));

	m->type = type;
	m->seq = b->next_seq++;
	m->what = what;
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->nb), type,
				     NFPROTO_INET, flags | NLM_F_ACK, m->seq);
}

static int msg_end(struct nft_batch *b)
{
	if (nftnl_batch_update(b->nb) < 0) {
		nft_report("batch", ENOMEM, NULL);
		return -ENOMEM;
	}
	return 0;
}

/* ---- table --------------------------------------------------------------- */

static const char *table_what = "table inet " MESHC_NFT_TABLE;

/* NEWTABLE with NLM_F_EXCL makes the table; without, it declares an
 * existing one again, which also clears flags someone set (dormant). */
static int add_table_msg(struct nft_batch *b, uint16_t type, uint16_t flags)
{
	struct nftnl_table *t = must(nftnl_table_alloc());
	struct nlmsghdr *nlh;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, MESHC_NFT_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (type == NFT_MSG_NEWTABLE) {
		struct nftnl_udata_buf *ud = must(
			nftnl_udata_buf_alloc(NFT_UDATA_MAX));

		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
		nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT,
				     MESHC_NFT_MARK);
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA,
				     nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	nlh = msg_start(b, type, flags, table_what);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return msg_end(b);
}

/* ---- sets and elements ------------------------------------------------- */

static unsigned key_len(uint8_t family)
{
	return family == IP_V6 ? 16 : 4;
}

/* A set's key: a pair set's is the two addresses, back to back (each a
 * multiple of the kernel's 4-byte registers already). */
static unsigned set_key_len(enum fw_set_id id, uint8_t family)
{
	return fw_set_id_is_pair(id) ? 2 * key_len(family) : key_len(family);
}

/* The set's key as nft declares it: an address of the family, or (an
 * ifname set) a name in IFNAMSIZ bytes, in host order as strings are. */
static void set_key(struct nftnl_set *s, enum fw_set_id id, uint8_t family,
		    uint32_t *byteorder)
{
	if (fw_set_id_is_ifname(id)) {
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, NFT_TYPE_IFNAME);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, NFT_IFNAMSIZ);
		*byteorder = NFT_BYTEORDER_HOST_ENDIAN;
		return;
	}
	uint32_t type = family == IP_V6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR;

	/* nft's concatenated type: the fields' types, NFT_TYPE_BITS each */
	if (fw_set_id_is_pair(id))
		type = type << NFT_TYPE_BITS | type;
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, set_key_len(id, family));
	*byteorder = NFT_BYTEORDER_BIG_ENDIAN;
}

/* nft's datatypes (src/datatype.h of nftables) and how it composes the
 * type of a concatenation: each field's type shifted in, 6 bits each. */
#define NFT_TYPE_INET_PROTOCOL 12
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_BITS 6
/* nft's udata for a concatenation's key (NFTNL_UDATA_SET_KEY_TYPEOF
 * nest: the expression kind "concat" with an empty data nest). */
#define NFT_EXPR_CONCAT 13

/* A service set's key: the concatenation's type, length and field
 * lengths, as nft declares `type ipv4_addr . inet_proto . inet_service;
 * flags interval` (and its two-address forms). */
static void set_concat_key(struct nftnl_set *s, enum fw_set_id id,
			   uint8_t family)
{
	uint32_t addr = family == IP_V6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR;
	uint32_t type = addr;
	uint8_t fields[4];
	size_t n = 0;

	fields[n++] = (uint8_t)key_len(family);
	if (fw_set_key(id) & FW_KEY_DST) {
		type = type << NFT_TYPE_BITS | addr;
		fields[n++] = (uint8_t)key_len(family);
	}
	if (fw_set_key(id) & FW_KEY_SVC) {
		type = type << NFT_TYPE_BITS | NFT_TYPE_INET_PROTOCOL;
		type = type << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE;
		fields[n++] = 1;
		fields[n++] = 2;
	}
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, nft_key_len(id, family));
	nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, (uint32_t)n);
}

static void put_concat_udata(struct nftnl_udata_buf *ud)
{
	struct nftnl_udata *nest, *data;

	nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, 0);
	nest = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
	nftnl_udata_put_u32(ud, 0, NFT_EXPR_CONCAT);
	data = nftnl_udata_nest_start(ud, 1);
	nftnl_udata_nest_end(ud, data);
	nftnl_udata_nest_end(ud, nest);
}

static int add_set_msg(struct nft_batch *b, const char *iface,
		       enum fw_set_id id, uint8_t family, bool interval)
{
	uint32_t byteorder;
	char buf[NFT_NAME_MAX];
	const char *name = nft_part_name(buf, iface, fw_set_name(id, family));
	struct nftnl_set *s = must(nftnl_set_alloc());
	struct nftnl_udata_buf *ud = must(nftnl_udata_buf_alloc(NFT_UDATA_MAX));
	struct nlmsghdr *nlh;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, MESHC_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	if (fw_set_key(id) != FW_KEY_ADDR) {
		set_concat_key(s, id, family);
		put_concat_udata(ud);
	} else {
		set_key(s, id, family, &byteorder);
		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER,
				    byteorder);
	}
	/* The kernel wants a transaction-local id for every new set. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, b->next_seq);
	if (fw_set_key(id) != FW_KEY_ADDR)
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS,
				  NFT_SET_INTERVAL | NFT_SET_CONCAT);
	else if (interval)
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	nlh = msg_start(b, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL,
			arena_printf(&b->a, "set %s", name));
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return msg_end(b);
}

static void put_elem(struct nftnl_set *s, const uint8_t *key, unsigned len,
		     uint32_t flags, bool open)
{
	struct nftnl_set_elem *e = must(nftnl_set_elem_alloc());

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len);
	if (flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
	if (open) {
		/* As nft: the range has no end element, so say it is open. */
		struct nftnl_udata_buf *ud = must(nftnl_udata_buf_alloc(16));

		nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_ELEM_FLAGS,
				    NFTNL_SET_ELEM_F_INTERVAL_OPEN);
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA,
				   nftnl_udata_buf_data(ud),
				   nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
	nftnl_set_elem_add(s, e);
}

static void put_prefix(struct nftnl_set *s, const struct fw_elem *e,
		       bool interval)
{
	const struct ip_prefix *p = &e->prefix;
	unsigned len = key_len(p->addr.family);
	uint8_t start[16], end[16];
	bool open;

	if (e->dst.addr.family) {
		uint8_t pair[32];

		memcpy(pair, p->addr.b, len);
		memcpy(pair + len, e->dst.addr.b, len);
		put_elem(s, pair, 2 * len, 0, false);
		return;
	}
	if (!interval) {
		put_elem(s, p->addr.b, len, 0, false);
		return;
	}
	open = nft_prefix_bounds(p, start, end);
	put_elem(s, start, len, 0, open);
	if (!open)
		put_elem(s, end, len, NFT_SET_ELEM_INTERVAL_END, false);
}

/* The elements of a sorted service set, repeats once. */
static size_t set_keys(struct arena *a, const struct fw_set *s,
		       const struct fw_elem ***out)
{
	const struct fw_elem **v = arena_calloc(a, s->n_elems + 1,
						sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < s->n_elems; i++) {
		if (n && !fw_elem_cmp(v[n - 1], &s->elems[i]))
			continue;
		v[n++] = &s->elems[i];
	}
	*out = v;
	return n;
}

/* The elements of one set's messages: which, and how one is put. */
struct elem_source {
	enum fw_set_id id;
	uint8_t family;		/* 0 for an ifname set */
	bool interval;
	const struct fw_elem *const *elems;	/* address and service sets */
	const char *const *names;		/* ifname sets */
	size_t n;
	void (*put)(struct nftnl_set *s, const struct elem_source *src,
		    size_t k);
};

static void put_prefix_elem(struct nftnl_set *s,
			    const struct elem_source *src, size_t k)
{
	put_prefix(s, src->elems[k], src->interval);
}

/* A service set's element: a start and an end key (nft_key.c). */
static void put_key_elem(struct nftnl_set *s, const struct elem_source *src,
			 size_t k)
{
	struct nftnl_set_elem *e = must(nftnl_set_elem_alloc());
	uint8_t lo[NFT_KEY_MAX], hi[NFT_KEY_MAX];
	unsigned len = nft_key_bounds(src->elems[k], src->id, src->family,
				      lo, hi);

	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, lo, len);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, hi, len);
	nftnl_set_elem_add(s, e);
}

/* An ifname set's element: the name in IFNAMSIZ bytes. */
static void put_name_elem(struct nftnl_set *s, const struct elem_source *src,
			  size_t k)
{
	uint8_t key[NFT_IFNAMSIZ] = { 0 };

	memcpy(key, src->names[k], strnlen(src->names[k], NFT_IFNAMSIZ - 1));
	put_elem(s, key, sizeof(key), 0, false);
}

/* Element messages (NEWSETELEM or DELSETELEM) for one set,
 * NFT_ELEMS_PER_MSG elements a message: the one loop every kind of set
 * goes through. */
static int add_set_elem_msgs(struct nft_batch *b, uint16_t type,
			     const char *iface, const struct elem_source *src)
{
	char buf[NFT_NAME_MAX];
	const char *name = nft_part_name(buf, iface,
					 fw_set_name(src->id, src->family));
	const char *what = arena_printf(&b->a, "elements of set %s", name);

	for (size_t i = 0; i < src->n; i += NFT_ELEMS_PER_MSG) {
		struct nftnl_set *s = must(nftnl_set_alloc());
		struct nlmsghdr *nlh;
		int err;

		nftnl_set_set_str(s, NFTNL_SET_TABLE, MESHC_NFT_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, name);
		nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
		for (size_t k = i; k < src->n && k < i + NFT_ELEMS_PER_MSG; k++)
			src->put(s, src, k);
		nlh = msg_start(b, type,
				type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0,
				what);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		if ((err = msg_end(b)))
			return err;
	}
	return 0;
}

static int add_elem_msgs(struct nft_batch *b, uint16_t type, const char *iface,
			 enum fw_set_id id, uint8_t family, bool interval,
			 const struct fw_elem *const *pfx, size_t n)
{
	struct elem_source src = {
		.id = id, .family = family, .interval = interval,
		.elems = pfx, .n = n, .put = put_prefix_elem,
	};

	return add_set_elem_msgs(b, type, iface, &src);
}

static int add_key_msgs(struct nft_batch *b, uint16_t type, const char *iface,
			enum fw_set_id id, uint8_t family,
			const struct fw_elem *const *elems, size_t n)
{
	struct elem_source src = {
		.id = id, .family = family, .interval = true,
		.elems = elems, .n = n, .put = put_key_elem,
	};

	return add_set_elem_msgs(b, type, iface, &src);
}

static int add_name_msgs(struct nft_batch *b, uint16_t type, const char *iface,
			 enum fw_set_id id, const char *const *names, size_t n)
{
	struct elem_source src = {
		.id = id, .names = names, .n = n, .put = put_name_elem,
	};

	return add_set_elem_msgs(b, type, iface, &src);
}

/* The names of a sorted ifname set, repeats once; -EINVAL (reported)
 * for one nft could not hold. */
static int set_names(struct arena *a, const struct fw_set *s,
		     const char ***out, size_t *n_out)
{
	const char **v = arena_calloc(a, s->n_elems + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < s->n_elems; i++) {
		const char *name = s->elems[i].ifname;

		if (!name || !name[0] || strlen(name) >= NFT_IFNAMSIZ) {
			nft_report("firewall", EINVAL, "an uplink that is no "
				   "interface name (1 to 15 bytes)");
			return -EINVAL;
		}
		if (n && !strcmp(v[n - 1], name))
			continue;
		v[n++] = name;
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* Prefixes of a sorted set as the kernel should hold them: repeats once,
 * and in an interval set no prefix inside another (overlapping ranges are
 * refused; the outer one already matches every address of the inner). */
static size_t set_prefixes(struct arena *a, const struct fw_set *s,
			   bool interval, const struct fw_elem ***out)
{
	const struct fw_elem **v = arena_calloc(a, s->n_elems + 1,
						sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < s->n_elems; i++) {
		const struct fw_elem *e = &s->elems[i];

		if (n && !fw_elem_cmp(v[n - 1], e))
			continue;
		/* Sorted: a prefix that covers p is the last one kept. */
		if (n && interval &&
		    ip_prefix_covers(&v[n - 1]->prefix, &e->prefix))
			continue;
		v[n++] = e;
	}
	*out = v;
	return n;
}

static int add_set(struct nft_batch *b, const struct plan_firewall *fw,
		   enum fw_set_id id, uint8_t family)
{
	const struct fw_set *s = &fw->sets[id][family == IP_V6];
	bool interval = fw_set_is_interval(s, id);
	const struct fw_elem **pfx;
	size_t n;
	int err;

	if (fw_set_id_is_ifname(id)) {
		const char **names;

		if ((err = set_names(&b->a, s, &names, &n)) ||
		    (err = add_set_msg(b, fw->iface, id, 0, false)))
			return err;
		return add_name_msgs(b, NFT_MSG_NEWSETELEM, fw->iface, id,
				     names, n);
	}
	if (fw_set_key(id) != FW_KEY_ADDR) {
		const struct fw_elem **keys;

		n = set_keys(&b->a, s, &keys);
		if ((err = add_set_msg(b, fw->iface, id, family, true)))
			return err;
		return add_key_msgs(b, NFT_MSG_NEWSETELEM, fw->iface, id,
				    family, keys, n);
	}
	n = set_prefixes(&b->a, s, interval, &pfx);
	if ((err = add_set_msg(b, fw->iface, id, family, interval)))
		return err;
	return add_elem_msgs(b, NFT_MSG_NEWSETELEM, fw->iface, id, family,
			     interval, pfx, n);
}

/* ---- chains -------------------------------------------------------------- */

static int add_chain(struct nft_batch *b, const char *iface, enum fw_chain c)
{
	struct nftnl_chain *ch = must(nftnl_chain_alloc());
	char buf[NFT_NAME_MAX];
	const char *name = nft_part_name(buf, iface, fw_chain_name(c));
	struct nft_chain_hook hook;
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, MESHC_NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (nft_chain_hook(c, &hook)) {
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, hook.type);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hook.hooknum);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, hook.prio);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	nlh = msg_start(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL,
			arena_printf(&b->a, "chain %s", name));
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return msg_end(b);
}

/* ---- rules --------------------------------------------------------------- */

static void add_expr(struct nftnl_rule *nr, const char *name,
		     struct nftnl_expr **out)
{
	*out = must(nftnl_expr_alloc(name));
	nftnl_rule_add_expr(nr, *out);
}

static void add_meta(struct nftnl_rule *nr, uint32_t key)
{
	struct nftnl_expr *e;

	add_expr(nr, "meta", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void add_cmp(struct nftnl_rule *nr, uint32_t op, const void *data,
		    uint32_t len)
{
	struct nftnl_expr *e;

	add_expr(nr, "cmp", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void add_iface(struct nftnl_rule *nr, uint32_t key, const char *name,
		      bool neq)
{
	char buf[NFT_IFNAMSIZ] = { 0 };

	memcpy(buf, name, strlen(name));
	add_meta(nr, key);
	add_cmp(nr, neq ? NFT_CMP_NEQ : NFT_CMP_EQ, buf, sizeof(buf));
}

/* `ct state established,related` or `ct state new`, as nft encodes it:
 * a bit test. */
static void add_ct_state(struct nftnl_rule *nr, uint32_t mask)
{
	uint32_t zero = 0;
	struct nftnl_expr *e;

	add_expr(nr, "ct", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	add_expr(nr, "bitwise", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	add_cmp(nr, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* `tcp flags & (fin|syn|rst|ack) != syn`, as nft encodes it: the
 * protocol first (nft's dependency), then the flags byte of the TCP
 * header, masked. */
static void add_tcp_not_syn(struct nftnl_rule *nr)
{
	uint8_t tcp = IPPROTO_TCP, mask = NFT_TCP_SYN_MASK, syn = NFT_TCP_SYN;
	uint8_t zero = 0;
	struct nftnl_expr *e;

	add_meta(nr, NFT_META_L4PROTO);
	add_cmp(nr, NFT_CMP_EQ, &tcp, sizeof(tcp));
	add_expr(nr, "payload", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, NFT_TCP_FLAGS_OFF);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
	add_expr(nr, "bitwise", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	add_cmp(nr, NFT_CMP_NEQ, &syn, sizeof(syn));
}

static void add_nfproto(struct nftnl_rule *nr, uint8_t family)
{
	uint8_t proto = family == IP_V6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

	add_meta(nr, NFT_META_NFPROTO);
	add_cmp(nr, NFT_CMP_EQ, &proto, sizeof(proto));
}

static void add_payload(struct nftnl_rule *nr, uint32_t base, uint32_t off,
			uint32_t len, uint32_t reg)
{
	struct nftnl_expr *e;

	add_expr(nr, "payload", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

/* `meta l4proto . th dport` into the 32-bit slots from k on, as nft
 * makes them for a concatenation (the protocol put in network order by
 * a byteorder expression of its own). */
static void add_service_fields(struct nftnl_rule *nr, uint32_t k)
{
	uint32_t reg = nft_slot_reg(k);

	struct nftnl_expr *e;

	add_expr(nr, "meta", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_L4PROTO);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg);
	add_expr(nr, "byteorder", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
	add_payload(nr, NFT_PAYLOAD_TRANSPORT_HEADER, NFT_TH_DPORT_OFF, 2,
		    nft_slot_reg(k + 1));
}

/* `icmp type echo-request` (`icmpv6 ...` for IPv6), as nft encodes it. */
static void add_icmp_echo(struct nftnl_rule *nr, uint8_t family)
{
	uint8_t proto = family == IP_V6 ? SVC_ICMPV6 : SVC_ICMP;
	uint8_t type = family == IP_V6 ? NFT_ICMPV6_ECHO : NFT_ICMP_ECHO;

	add_meta(nr, NFT_META_L4PROTO);
	add_cmp(nr, NFT_CMP_EQ, &proto, sizeof(proto));
	add_payload(nr, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
	add_cmp(nr, NFT_CMP_EQ, &type, sizeof(type));
}

/* `ip saddr @set`: the address from the network header, looked up; for
 * a set whose key holds more (fw_set_key), the rest of the
 * concatenation follows in the next 32-bit registers. */
static void add_addr_lookup(struct nftnl_rule *nr, const char *iface,
			    uint8_t family, bool src, int set_id)
{
	char buf[NFT_NAME_MAX];
	uint32_t soff = family == IP_V6 ? 8 : 12, doff = family == IP_V6 ? 24 : 16;
	uint32_t k = key_len(family) / 4;	/* the next 32-bit slot */
	unsigned key = fw_set_key(set_id);
	struct nftnl_expr *e;

	add_payload(nr, NFT_PAYLOAD_NETWORK_HEADER, src ? soff : doff,
		    key_len(family), NFT_REG_1);
	if (key & FW_KEY_DST) {
		add_payload(nr, NFT_PAYLOAD_NETWORK_HEADER, doff,
			    key_len(family), nft_slot_reg(k));
		k += key_len(family) / 4;
	}
	if (key & FW_KEY_SVC)
		add_service_fields(nr, k);
	add_expr(nr, "lookup", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET,
			   nft_part_name(buf, iface,
					 fw_set_name(set_id, family)));
}

/* `ip saddr . ip daddr @set`: both addresses into adjacent registers,
 * looked up as one key.  The registers are nft's own: the source in
 * register 1, the destination right after it (32-bit register 1 for
 * IPv4, 128-bit register 2 for IPv6). */
static void add_pair_lookup(struct nftnl_rule *nr, const char *iface,
			    uint8_t family, int set_id)
{
	char buf[NFT_NAME_MAX];
	bool six = family == IP_V6;
	struct nftnl_expr *e;

	add_expr(nr, "payload", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, six ? 8 : 12);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, key_len(family));
	add_expr(nr, "payload", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG,
			   six ? NFT_REG_2 : NFT_REG32_01);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, six ? 24 : 16);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, key_len(family));
	add_expr(nr, "lookup", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET,
			   nft_part_name(buf, iface,
					 fw_set_name(set_id, family)));
}

/* `oifname @IFACE/uplinks`: the name of the way out, looked up. */
static void add_uplink_lookup(struct nftnl_rule *nr, const char *iface)
{
	char buf[NFT_NAME_MAX];
	struct nftnl_expr *e;

	add_meta(nr, NFT_META_OIFNAME);
	add_expr(nr, "lookup", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET,
			   nft_part_name(buf, iface,
					 fw_set_name(FW_SET_UPLINK, 0)));
}

static void add_verdict(struct nftnl_rule *nr, const char *iface,
			const struct fw_rule *r)
{
	char buf[NFT_NAME_MAX];
	struct nftnl_expr *e;

	if (r->verdict == FW_MASQUERADE) {
		add_expr(nr, "masq", &e);
		return;
	}
	add_expr(nr, "immediate", &e);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	switch (r->verdict) {
	case FW_ACCEPT:
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
		break;
	case FW_DROP:
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
		break;
	default:
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NFT_JUMP);
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN,
				   nft_part_name(buf, iface,
						 fw_chain_name(r->target)));
		break;
	}
}

/* The interface a match names, as the renderer resolves it; *name NULL
 * for FW_IF_ANY.  -EINVAL (reported) for a name nft could not match. */
static int iface_match(const struct plan_firewall *fw, enum fw_iface which,
		       const char **name, bool *neq)
{
	*name = NULL;
	*neq = false;
	switch (which) {
	case FW_IF_ANY:
		return 0;
	case FW_IF_MESH:
		*name = fw->iface;
		break;
	case FW_IF_NOT_MESH:
		*name = fw->iface;
		*neq = true;
		break;
	case FW_IF_UPLINK:
		return 0;	/* a set lookup: add_uplink_lookup */
	}
	if (!*name || !(*name)[0] || strlen(*name) >= NFT_IFNAMSIZ) {
		nft_report("firewall", EINVAL,
			   *name ? "interface name longer than 15 bytes"
				 : "no mesh interface name");
		return -EINVAL;
	}
	return 0;
}

static int put_rule_udata(struct nftnl_rule *nr, const struct fw_rule *r)
{
	struct nftnl_udata_buf *ud = must(nftnl_udata_buf_alloc(NFT_UDATA_MAX));
	char comment[NFT_COMMENT_MAX + 1];
	bool ok = true;

	nft_rule_comment(r, comment);
	if (comment[0])
		ok = nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT,
					  comment);
	if (ok && r->id)
		ok = nftnl_udata_put_strz(ud, NFT_UDATA_MESHC_ID, r->id);
	if (ok)
		ok = nftnl_udata_put(ud, NFT_UDATA_MESHC_FAMILY, 1,
				     &r->family);
	if (ok)
		nftnl_rule_set_data(nr, NFTNL_RULE_USERDATA,
				    nftnl_udata_buf_data(ud),
				    nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return ok ? 0 : -EINVAL;
}

static bool set_id_valid(int id)
{
	return id == FW_SET_NONE || (id >= 0 && id < FW_SET_COUNT);
}

struct nftnl_rule *nft_rule_build(const struct plan_firewall *fw,
				  const struct fw_rule *r, uint8_t family)
{
	const char *iif, *oif;
	bool iif_neq, oif_neq, set_seen = false;
	char chain[NFT_NAME_MAX];
	struct nftnl_rule *nr;

	if (iface_match(fw, r->iif, &iif, &iif_neq) ||
	    iface_match(fw, r->oif, &oif, &oif_neq))
		return NULL;
	if (!set_id_valid(r->saddr_set) || !set_id_valid(r->daddr_set) ||
	    (fw_rule_has_set_match(r) && family != IP_V4 && family != IP_V6)) {
		nft_report("firewall", EINVAL,
			   "rule with an invalid set match");
		return NULL;
	}
	nr = must(nftnl_rule_alloc());
	nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, MESHC_NFT_TABLE);
	nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN,
			   nft_part_name(chain, fw->iface,
					 fw_chain_name(r->chain)));
	nftnl_rule_set_u32(nr, NFTNL_RULE_FAMILY, NFPROTO_INET);
	/* The renderer's word order, which is nft's expression order. */
	if (iif)
		add_iface(nr, NFT_META_IIFNAME, iif, iif_neq);
	if (oif)
		add_iface(nr, NFT_META_OIFNAME, oif, oif_neq);
	else if (r->oif == FW_IF_UPLINK)
		add_uplink_lookup(nr, fw->iface);
	if (r->ct_established)
		add_ct_state(nr, NFT_CT_ESTABLISHED_MASK);
	if (r->tcp_pickup)
		add_ct_state(nr, NFT_CT_NEW_MASK);
	if (family && !fw_rule_has_set_match(r))
		add_nfproto(nr, family);
	/* nft puts the family test once, before the first address. */
	if (fw_rule_is_pair(r)) {
		add_nfproto(nr, family);
		add_pair_lookup(nr, fw->iface, family, r->saddr_set);
	} else if (r->saddr_set != FW_SET_NONE) {
		add_nfproto(nr, family);
		set_seen = true;
		add_addr_lookup(nr, fw->iface, family, true, r->saddr_set);
	}
	if (r->daddr_set != FW_SET_NONE && !fw_rule_is_pair(r)) {
		if (!set_seen)
			add_nfproto(nr, family);
		add_addr_lookup(nr, fw->iface, family, false, r->daddr_set);
	}
	if (r->icmp_echo)
		add_icmp_echo(nr, family);
	if (r->tcp_pickup)
		add_tcp_not_syn(nr);
	add_verdict(nr, fw->iface, r);
	if (put_rule_udata(nr, r)) {
		fprintf(stderr, "meshc: nftables: rule '%s' in chain %s: its "
				"comment and id exceed %d bytes of userdata\n",
			r->id ? r->id : "?", fw_chain_name(r->chain),
			NFT_UDATA_MAX);
		nftnl_rule_free(nr);
		return NULL;
	}
	return nr;
}

static bool rule_is_unknown(const struct fw_rule *r)
{
	return r->id && !strcmp(r->id, NFT_UNKNOWN_ID);
}

static int add_rule(struct nft_batch *b, const struct plan_firewall *fw,
		    const struct fw_rule *r)
{
	const char *what;
	uint8_t fams[2];
	size_t n;

	/* A rule the reader could not understand cannot be made again (a
	 * firewall read back and restored): leave it out rather than turn
	 * it into the unconditional drop it stands for. */
	if (rule_is_unknown(r))
		return 0;
	what = arena_printf(&b->a, "rule '%s' in chain %s/%s",
			    r->id ? r->id : "?", fw->iface,
			    fw_chain_name(r->chain));
	n = fw_rule_families(r, fams);
	for (size_t i = 0; i < n; i++) {
		struct nftnl_rule *nr = nft_rule_build(fw, r, fams[i]);
		struct nlmsghdr *nlh;
		int err;

		if (!nr)
			return -EINVAL;
		nlh = msg_start(b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
				what);
		nftnl_rule_nlmsg_build_payload(nlh, nr);
		nftnl_rule_free(nr);
		if ((err = msg_end(b)))
			return err;
	}
	return 0;
}

/* ---- a whole part ------------------------------------------------------ */

/* The renderer's part, object by object: sets with their elements,
 * chains, rules. */
static int add_part(struct nft_batch *b, const struct plan_firewall *fw)
{
	int err;

	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < fw_set_slots(id) && fw_set_wanted(fw, id);
		     f++)
			if ((err = add_set(b, fw, id, fw_set_family(id, f))))
				return err;
	for (int c = 0; c < FW_CHAIN_COUNT; c++)
		if (fw_chain_wanted(fw, c) &&
		    (err = add_chain(b, fw->iface, c)))
			return err;
	/* Chain by chain, as the renderer prints them. */
	for (int c = 0; c < FW_CHAIN_COUNT; c++) {
		if (!fw_chain_wanted(fw, c))
			continue;
		for (size_t i = 0; i < fw->n_rules; i++)
			if (fw->rules[i].chain == (enum fw_chain)c &&
			    (err = add_rule(b, fw, &fw->rules[i])))
				return err;
	}
	return 0;
}

/* DELRULE naming a chain and no rule flushes the chain. */
static int add_flush_msg(struct nft_batch *b, const char *chain)
{
	struct nftnl_rule *r = must(nftnl_rule_alloc());
	struct nlmsghdr *nlh;

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MESHC_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nlh = msg_start(b, NFT_MSG_DELRULE, 0,
			arena_printf(&b->a, "rules of chain %s", chain));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return msg_end(b);
}

static int add_delchain_msg(struct nft_batch *b, const char *chain)
{
	struct nftnl_chain *ch = must(nftnl_chain_alloc());
	struct nlmsghdr *nlh;

	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, MESHC_NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, chain);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nlh = msg_start(b, NFT_MSG_DELCHAIN, 0,
			arena_printf(&b->a, "chain %s", chain));
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return msg_end(b);
}

static int add_delset_msg(struct nft_batch *b, const char *set)
{
	struct nftnl_set *s = must(nftnl_set_alloc());
	struct nlmsghdr *nlh;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, MESHC_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, set);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nlh = msg_start(b, NFT_MSG_DELSET, 0,
			arena_printf(&b->a, "set %s", set));
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return msg_end(b);
}

/* Delete the part's (and legacy) chains and sets the read found.  Every
 * chain is flushed before any is deleted, so no jump or set lookup of
 * theirs is left to hold another back; other parts' rules never name
 * them. */
static int del_objects(struct nft_batch *b, const struct nft_seen *seen)
{
	int err;

	for (size_t i = 0; i < seen->n_chains; i++)
		if ((err = add_flush_msg(b, seen->chains[i])))
			return err;
	for (size_t i = 0; i < seen->n_chains; i++)
		if ((err = add_delchain_msg(b, seen->chains[i])))
			return err;
	for (size_t i = 0; i < seen->n_sets; i++)
		if ((err = add_delset_msg(b, seen->sets[i])))
			return err;
	return 0;
}

/* ---- only the elements that changed ------------------------------------ */

struct elem_ops {
	const struct fw_elem **del, **add;
	size_t n_del, n_add, cap_del, cap_add;
	/* an ifname set's */
	const char **del_names, **add_names;
	size_t n_del_names, n_add_names, cap_del_names, cap_add_names;
	/* a service set's (fw_set_key: more than an address) */
	const struct fw_elem **del_keys, **add_keys;
	size_t n_del_keys, n_add_keys, cap_del_keys, cap_add_keys;
};

static void push_key(struct arena *a, const struct fw_elem ***v, size_t *n,
		     size_t *cap, const struct fw_elem *e)
{
	const struct fw_elem **slot = arena_push(a, v, n, cap, sizeof(*slot));

	*slot = e;
}

static void push_name(struct arena *a, const char ***v, size_t *n,
		      size_t *cap, const char *name)
{
	const char **slot = arena_push(a, v, n, cap, sizeof(*slot));

	*slot = name;
}

static bool is_host(const struct ip_prefix *p)
{
	return p->len == ip_bits(p->addr.family);
}

static void push_prefix(struct arena *a, const struct fw_elem ***v,
			size_t *n, size_t *cap, const struct fw_elem *p)
{
	const struct fw_elem **slot = arena_push(a, v, n, cap, sizeof(*slot));

	*slot = p;
}

/* Is p inside another prefix of the set (then the kernel holds only the
 * outer one, see set_prefixes)? */
static bool covered_by_other(const struct fw_set *s, const struct ip_prefix *p)
{
	for (size_t i = 0; i < s->n_elems; i++) {
		const struct ip_prefix *q = &s->elems[i].prefix;

		if (ip_prefix_cmp(q, p) && ip_prefix_covers(q, p))
			return true;
	}
	return false;
}

/* Collect the element changes per set.  false when some change cannot be
 * an element change (a network for a plain host set, a bad set id). */
static bool collect_elem_ops(struct arena *a, const struct plan_firewall *want,
			     const struct changeset *cs,
			     struct elem_ops ops[FW_SET_COUNT][2])
{
	size_t first, n = changeset_layer(cs, LAYER_FIREWALL_SETS, &first);

	for (size_t i = first; i < first + n; i++) {
		const struct change *ch = &cs->items[i];
		int id = ch->set_id, f = ch->set_family == IP_V6;
		struct elem_ops *o;
		const struct fw_elem *e;

		if (id < 0 || id >= FW_SET_COUNT)
			return false;
		o = &ops[id][f];
		e = ch->op == CHANGE_REMOVE ? ch->old.elem : ch->new.elem;
		if (!e || ch->op == CHANGE_MODIFY)
			continue;
		if (fw_set_id_is_ifname(id)) {
			if (f || !e->ifname || !e->ifname[0] ||
			    strlen(e->ifname) >= NFT_IFNAMSIZ)
				return false;
			if (ch->op == CHANGE_REMOVE)
				push_name(a, &o->del_names, &o->n_del_names,
					  &o->cap_del_names, e->ifname);
			else
				push_name(a, &o->add_names, &o->n_add_names,
					  &o->cap_add_names, e->ifname);
			continue;
		}
		if (e->ifname || e->prefix.addr.family != (f ? IP_V6 : IP_V4) ||
		    fw_set_id_is_pair(id) !=
			    (e->dst.addr.family == e->prefix.addr.family))
			return false;
		if (fw_set_key(id) != FW_KEY_ADDR) {
			if (ch->op == CHANGE_REMOVE)
				push_key(a, &o->del_keys, &o->n_del_keys,
					 &o->cap_del_keys, e);
			else
				push_key(a, &o->add_keys, &o->n_add_keys,
					 &o->cap_add_keys, e);
			continue;
		}
		if (!fw_set_id_is_interval(id) &&
		    (!is_host(&e->prefix) ||
		     fw_set_is_interval(&want->sets[id][f], id)))
			return false;
		if (ch->op == CHANGE_REMOVE)
			push_prefix(a, &o->del, &o->n_del, &o->cap_del, e);
		else if (!fw_set_id_is_interval(id) ||
			 !covered_by_other(&want->sets[id][f], &e->prefix))
			push_prefix(a, &o->add, &o->n_add, &o->cap_add, e);
	}
	return true;
}

/* Every set's removals (adds false) or additions. */
static int add_elem_pass(struct nft_batch *b, const char *iface,
			 struct elem_ops ops[FW_SET_COUNT][2], bool adds)
{
	for (int id = 0; id < FW_SET_COUNT; id++) {
		for (int f = 0; f < 2; f++) {
			const struct elem_ops *o = &ops[id][f];
			size_t n = adds ? o->n_add : o->n_del;
			size_t nn = adds ? o->n_add_names : o->n_del_names;
			size_t nk = adds ? o->n_add_keys : o->n_del_keys;
			int err;

			if (nk) {
				err = add_key_msgs(b, adds ? NFT_MSG_NEWSETELEM
							   : NFT_MSG_DELSETELEM,
						   iface, id, f ? IP_V6 : IP_V4,
						   adds ? o->add_keys
							: o->del_keys, nk);
				if (err)
					return err;
			}
			if (nn) {
				err = add_name_msgs(b, adds ? NFT_MSG_NEWSETELEM
							    : NFT_MSG_DELSETELEM,
						    iface, id,
						    adds ? o->add_names
							 : o->del_names, nn);
				if (err)
					return err;
			}
			if (!n)
				continue;
			err = add_elem_msgs(b, adds ? NFT_MSG_NEWSETELEM
						    : NFT_MSG_DELSETELEM,
					    iface, id, f ? IP_V6 : IP_V4,
					    fw_set_id_is_interval(id),
					    adds ? o->add : o->del, n);
			if (err)
				return err;
		}
	}
	return 0;
}

/* 1: not expressible as element changes (replace the part instead). */
static int add_elem_changes(struct nft_batch *b,
			    const struct plan_firewall *want,
			    const struct changeset *cs)
{
	struct elem_ops ops[FW_SET_COUNT][2];
	int err;

	memset(ops, 0, sizeof(ops));
	if (!collect_elem_ops(&b->a, want, cs, ops))
		return 1;
	/* Removals first: a range may give way to a neighbour. */
	if ((err = add_elem_pass(b, want->iface, ops, false)))
		return err;
	return add_elem_pass(b, want->iface, ops, true);
}

static bool layer_has_changes(const struct changeset *cs,
			      enum change_layer layer)
{
	size_t first;

	return changeset_layer(cs, layer, &first) > 0;
}

/* Does the firewall hold a rule meshc can make?  A firewall read back
 * from a system without the part has none (or only "unknown" ones). */
static bool has_own_rules(const struct plan_firewall *fw)
{
	for (size_t i = 0; fw && i < fw->n_rules; i++)
		if (!rule_is_unknown(&fw->rules[i]))
			return true;
	return false;
}

/* The part's name is the interface's: a valid one, and the plan's. */
static int check_iface(const struct nft_seen *seen,
		       const struct plan_firewall *want)
{
	const char *iface = seen->iface;

	if (!iface || !iface[0] || strlen(iface) >= NFT_IFNAMSIZ ||
	    strchr(iface, '/')) {
		nft_report("firewall", EINVAL, "no valid interface name "
					       "for the table's part");
		return -EINVAL;
	}
	if (want && has_own_rules(want) &&
	    (!want->iface || strcmp(want->iface, iface))) {
		nft_report("firewall", EINVAL, "the plan's interface is not "
					       "the one whose part was read");
		return -EINVAL;
	}
	return 0;
}

/* Down, or back to a system without the part. */
static int remove_part(struct nft_batch *b, enum nft_table_state state,
		       const struct nft_seen *seen)
{
	if (state != NFT_TABLE_OURS)
		return 0;
	/* The last part takes the table with it. */
	if (!seen->others)
		return add_table_msg(b, NFT_MSG_DELTABLE, 0);
	return del_objects(b, seen);
}

int nft_batch_sync(struct nft_batch *b, enum nft_table_state state,
		   const struct nft_seen *seen,
		   const struct plan_firewall *want,
		   const struct changeset *cs)
{
	int err;

	if (state == NFT_TABLE_FOREIGN) {
		fprintf(stderr, "meshc: nftables: table inet %s exists and is "
				"not managed by meshc; refusing to change it\n",
			MESHC_NFT_TABLE);
		return -EEXIST;
	}
	if ((err = check_iface(seen, want)))
		return err;
	if (!has_own_rules(want))
		return remove_part(b, state, seen);
	if (!seen->table) {
		if ((err = add_table_msg(b, NFT_MSG_NEWTABLE,
					 NLM_F_CREATE | NLM_F_EXCL)))
			return err;
		return add_part(b, want);
	}
	if (state == NFT_TABLE_OURS && cs && !seen->n_legacy &&
	    !layer_has_changes(cs, LAYER_FIREWALL_RULES)) {
		/* 1 comes before any message is written. */
		err = add_elem_changes(b, want, cs);
		if (err <= 0)
			return err;
	}
	/* The old part goes first in the same transaction, so there is
	 * never a moment without it. */
	if ((err = add_table_msg(b, NFT_MSG_NEWTABLE, NLM_F_CREATE)) ||
	    (err = del_objects(b, seen)))
		return err;
	return add_part(b, want);
}
