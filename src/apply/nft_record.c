/* nft_record.c - knowing the live part of the table without dumping it.
 *
 * Reading `table inet meshc` back costs as much as loading it: every set
 * element crosses netlink and libnftnl (35 ms of a 10,000-peer no-op
 * apply).  Yet after a run that left the table exactly as planned, nothing
 * can change it without the kernel bumping the ruleset generation of the
 * network namespace.  So a run that has checked the table (by reading it,
 * or by being the only writer since it read it) records, in the state
 * directory, "nft.mark":
 *
 *     GEN HANDLE NETNS DIGEST
 *
 * the generation, the table's handle, the network namespace's inode and a
 * digest of the plan_firewall the table holds, and "nft.fw": that
 * plan_firewall itself.  The next run trusts the record, and reads
 * nothing but the generation and the table header, when the namespace,
 * the generation (nobody committed anything to any table since) and the
 * handle (the same table object) still match: the table is then the
 * document's firewall if the digests match, else the one in nft.fw (a
 * changed document: the diff against it is what changes).  Any doubt (a
 * missing, unreadable or inconsistent record, another program's change, a
 * failed run) means a full read, never a wrong one.
 *
 * The table is shared by every meshc interface of the namespace, each
 * with its own part, and the generation is the namespace's: another
 * interface's apply bumps it, so the record no longer holds and the next
 * run of this interface simply dumps its part (and records it again).  A
 * record is only ever taken for the whole part at one generation, so it
 * cannot vouch for a part another run changed.
 */
#include "apply/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/strbuf.h"

#ifndef MESHC_VERSION
#define MESHC_VERSION "unknown"
#endif

#define NFT_MARK_FILE "nft.mark"
#define NFT_FW_FILE "nft.fw"
#define NFT_FW_MAGIC "meshc nft.fw 5\n"
#define NFT_FW_MAX (256u << 20)
#define NFT_MARK_DIGEST_LEN 16

/* The network namespace meshc runs in; 0 when unknown. */
static uint64_t netns_id(void)
{
	struct stat sb;

	if (stat("/proc/self/ns/net", &sb) < 0)
		return 0;
	return (uint64_t)sb.st_dev << 32 ^ (uint64_t)sb.st_ino;
}

static void put_u32(struct strbuf *sb, uint32_t v)
{
	strbuf_add(sb, &v, sizeof(v));
}

/* A string with its length, so that no two field lists run together. */
static void put_str(struct strbuf *sb, const char *s)
{
	put_u32(sb, s ? (uint32_t)strlen(s) + 1 : 0);
	if (s)
		strbuf_puts(sb, s);
}

#define RULE_FIELDS 13

static void put_rules(struct strbuf *sb, const struct plan_firewall *fw)
{
	put_u32(sb, (uint32_t)fw->n_rules);
	for (size_t i = 0; i < fw->n_rules; i++) {
		const struct fw_rule *r = &fw->rules[i];
		const uint32_t v[RULE_FIELDS] = {
			r->chain,		r->family,
			r->iif,			r->oif,
			r->ct_established,	(uint32_t)r->saddr_set,
			(uint32_t)r->daddr_set, r->verdict,
			r->target,		(uint32_t)r->spec_rule,
			r->loc.line,		r->tcp_pickup,
			r->icmp_echo,
		};

		strbuf_add(sb, v, sizeof(v));
		put_str(sb, r->id);
		put_str(sb, r->comment);
	}
}

/* What a service set's element holds besides its address: the pair's
 * destination and the service (zero elsewhere). */
static void put_elem_rest(struct strbuf *sb, const struct fw_elem *e)
{
	const uint32_t v[5] = { e->dst.addr.family, e->dst.len, e->svc.proto,
				e->svc.port_lo, e->svc.port_hi };

	strbuf_add(sb, v, sizeof(v));
	strbuf_add(sb, e->dst.addr.b, sizeof(e->dst.addr.b));
}

/* Every field of the plan_firewall that nft_build turns into kernel
 * objects, and the meshc version that builds them. */
static void fw_digest(const struct plan_firewall *fw,
		      uint8_t out[NFT_MARK_DIGEST_LEN])
{
	struct strbuf sb = STRBUF_INIT;

	put_str(&sb, "meshc nft.mark 5 " MESHC_VERSION);
	put_str(&sb, fw->iface);
	put_str(&sb, fw->uplink);
	put_u32(&sb, fw->nat);
	put_u32(&sb, fw->services);
	for (int id = 0; id < FW_SET_COUNT; id++) {
		for (int f = 0; f < 2; f++) {
			const struct fw_set *set = &fw->sets[id][f];

			put_str(&sb, set->name);
			put_u32(&sb, set->family);
			put_u32(&sb, (uint32_t)set->n_elems);
			for (size_t i = 0; i < set->n_elems; i++) {
				const struct ip_prefix *p =
					&set->elems[i].prefix;

				put_u32(&sb, p->addr.family);
				put_u32(&sb, p->len);
				strbuf_add(&sb, p->addr.b, sizeof(p->addr.b));
				put_str(&sb, set->elems[i].ifname);
				put_elem_rest(&sb, &set->elems[i]);
			}
		}
	}
	put_rules(&sb, fw);
	crypto_generichash(out, NFT_MARK_DIGEST_LEN,
			   (const unsigned char *)sb.buf, sb.len, NULL, 0);
	strbuf_free(&sb);
}

static const char *digest_hex(struct arena *a, const struct plan_firewall *fw)
{
	uint8_t d[NFT_MARK_DIGEST_LEN];
	char *hex = arena_alloc(a, 2 * sizeof(d) + 1);

	fw_digest(fw, d);
	return sodium_bin2hex(hex, 2 * sizeof(d) + 1, d, sizeof(d));
}

/* nft.fw: the whole plan_firewall, element names and lines included (the
 * diff prints them), in the digest's encoding. */
static void fw_save(struct strbuf *sb, const struct plan_firewall *fw)
{
	strbuf_puts(sb, NFT_FW_MAGIC);
	put_str(sb, fw->iface);
	put_str(sb, fw->uplink);
	put_u32(sb, fw->nat);
	put_u32(sb, fw->services);
	for (int id = 0; id < FW_SET_COUNT; id++) {
		for (int f = 0; f < 2; f++) {
			const struct fw_set *set = &fw->sets[id][f];

			put_u32(sb, (uint32_t)set->n_elems);
			for (size_t i = 0; i < set->n_elems; i++) {
				const struct fw_elem *e = &set->elems[i];

				put_u32(sb, e->prefix.addr.family);
				put_u32(sb, e->prefix.len);
				strbuf_add(sb, e->prefix.addr.b,
					   sizeof(e->prefix.addr.b));
				put_str(sb, e->ifname);
				put_elem_rest(sb, e);
				put_str(sb, e->why);
				put_u32(sb, e->loc.line);
			}
		}
	}
	put_rules(sb, fw);
}

struct reader {
	struct arena *a;
	const uint8_t *p, *end;
	bool bad;
};

static const uint8_t *get_bytes(struct reader *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	return p;
}

static uint32_t get_u32(struct reader *r)
{
	const uint8_t *p = get_bytes(r, sizeof(uint32_t));
	uint32_t v = 0;

	if (p)
		memcpy(&v, p, sizeof(v));
	return v;
}

static const char *get_str(struct reader *r)
{
	uint32_t n = get_u32(r);
	const uint8_t *p;

	if (!n)
		return NULL;
	p = get_bytes(r, n - 1);
	if (!p || memchr(p, '\0', n - 1)) {
		r->bad = true;
		return NULL;
	}
	return arena_strndup(r->a, (const char *)p, n - 1);
}

/* An element takes at least this many bytes of the file: a count that
 * promises more is a lie, not an allocation. */
#define ELEM_MIN_BYTES (9 * sizeof(uint32_t) + 32 + sizeof(uint32_t))
#define RULE_MIN_BYTES ((RULE_FIELDS + 2) * sizeof(uint32_t))

/* put_elem_rest's fields, only where the set's key has them. */
static bool load_elem_rest(struct reader *r, struct fw_elem *e, int id,
			   uint8_t family)
{
	unsigned key = fw_set_key(id) |
		       (fw_set_id_is_pair(id) ? FW_KEY_DST : 0);
	uint32_t dfam = get_u32(r), dlen = get_u32(r), proto = get_u32(r);
	uint32_t lo = get_u32(r), hi = get_u32(r);
	const uint8_t *b = get_bytes(r, sizeof(e->dst.addr.b));

	if (r->bad || dfam != ((key & FW_KEY_DST) ? family : 0) ||
	    dlen > 128 || proto > 255 || lo > 65535 || hi > 65535 ||
	    (!(key & FW_KEY_SVC) && (proto || lo || hi)))
		return false;
	e->dst.addr.family = (uint8_t)dfam;
	e->dst.len = (uint8_t)dlen;
	memcpy(e->dst.addr.b, b, sizeof(e->dst.addr.b));
	e->svc.proto = (uint8_t)proto;
	e->svc.port_lo = (uint16_t)lo;
	e->svc.port_hi = (uint16_t)hi;
	return true;
}

static void load_set(struct reader *r, struct fw_set *set, int id, int f)
{
	uint32_t n = get_u32(r);
	uint8_t family = fw_set_family(id, f);

	set->name = fw_set_name(id, family);
	set->family = family;
	if (r->bad || n > (size_t)(r->end - r->p) / ELEM_MIN_BYTES) {
		r->bad = true;
		return;
	}
	set->elems = arena_calloc(r->a, n + 1, sizeof(*set->elems));
	set->n_elems = n;
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct fw_elem *e = &set->elems[i];
		uint32_t fam = get_u32(r), len = get_u32(r);
		const uint8_t *b = get_bytes(r, sizeof(e->prefix.addr.b));

		if (r->bad || fam != family ||
		    (family && len > ip_bits(family))) {
			r->bad = true;
			return;
		}
		e->prefix.addr.family = family;
		e->prefix.len = (uint8_t)len;
		memcpy(e->prefix.addr.b, b, sizeof(e->prefix.addr.b));
		e->ifname = get_str(r);
		if ((family == 0) != (e->ifname != NULL) ||
		    !load_elem_rest(r, e, id, family)) {
			r->bad = true;	/* a name exactly in an ifname set */
			return;
		}
		e->why = get_str(r);
		e->loc.line = get_u32(r);
	}
}

static bool rule_ok(const uint32_t v[RULE_FIELDS])
{
	int32_t saddr = (int32_t)v[5], daddr = (int32_t)v[6];

	return v[0] < FW_CHAIN_COUNT && v[1] <= IP_V6 && v[2] <= FW_IF_UPLINK &&
	       v[3] <= FW_IF_UPLINK && v[4] <= 1 && saddr >= FW_SET_NONE &&
	       saddr < FW_SET_COUNT && daddr >= FW_SET_NONE &&
	       daddr < FW_SET_COUNT && v[7] <= FW_MASQUERADE &&
	       v[8] < FW_CHAIN_COUNT && v[11] <= 1 && v[12] <= 1;
}

static void load_rules(struct reader *r, struct plan_firewall *fw)
{
	uint32_t n = get_u32(r);

	if (r->bad || n > (size_t)(r->end - r->p) / RULE_MIN_BYTES) {
		r->bad = true;
		return;
	}
	fw->rules = arena_calloc(r->a, n + 1, sizeof(*fw->rules));
	fw->n_rules = n;
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		struct fw_rule *ru = &fw->rules[i];
		uint32_t v[RULE_FIELDS];

		for (int k = 0; k < RULE_FIELDS; k++)
			v[k] = get_u32(r);
		if (r->bad || !rule_ok(v)) {
			r->bad = true;
			return;
		}
		ru->chain = v[0];
		ru->family = (uint8_t)v[1];
		ru->iif = v[2];
		ru->oif = v[3];
		ru->ct_established = v[4];
		ru->saddr_set = (int32_t)v[5];
		ru->daddr_set = (int32_t)v[6];
		ru->verdict = v[7];
		ru->target = v[8];
		ru->spec_rule = (int32_t)v[9];
		ru->loc.line = v[10];
		ru->tcp_pickup = v[11];
		ru->icmp_echo = v[12];
		ru->id = get_str(r);
		ru->comment = get_str(r);
	}
}

/* nft.fw back into *fw; false when it is not exactly one saved firewall. */
static bool fw_load(struct arena *a, const uint8_t *buf, size_t len,
		    struct plan_firewall *fw)
{
	struct reader r = { a, buf, buf + len, false };
	const uint8_t *magic = get_bytes(&r, strlen(NFT_FW_MAGIC));

	memset(fw, 0, sizeof(*fw));
	if (!magic || memcmp(magic, NFT_FW_MAGIC, strlen(NFT_FW_MAGIC)))
		return false;
	fw->iface = get_str(&r);
	fw->uplink = get_str(&r);
	fw->nat = get_u32(&r) != 0;
	fw->services = get_u32(&r) != 0;
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < 2; f++)
			load_set(&r, &fw->sets[id][f], id, f);
	load_rules(&r, fw);
	return !r.bad && r.p == r.end;
}

/* The firewall the table held when the record was written, whose digest
 * is `digest`: the document's own if it is unchanged, else nft.fw. */
static const struct plan_firewall *recorded_fw(struct arena *a,
					       const struct run_state *st,
					       const struct plan_firewall *want,
					       const char *digest)
{
	struct plan_firewall *fw;
	const uint8_t *buf;
	size_t len;

	if (!strcmp(digest, digest_hex(a, want)))
		return want;
	if (state_read_blob(a, st, NFT_FW_FILE, NFT_FW_MAX, &buf, &len))
		return NULL;
	fw = arena_alloc(a, sizeof(*fw));
	if (!fw_load(a, buf, len, fw) || strcmp(digest, digest_hex(a, fw)))
		return NULL;
	return fw;
}

bool nft_record_trust(struct arena *a, const struct run_state *st,
		      const struct plan_firewall *want, struct nft_trust *out)
{
	const char *text = state_read(a, st, NFT_MARK_FILE);
	char digest[2 * NFT_MARK_DIGEST_LEN + 2];
	uint64_t handle, netns;
	uint32_t gen;

	if (!text ||
	    sscanf(text, "%" SCNu32 " %" SCNu64 " %" SCNu64 " %33s", &gen,
		   &handle, &netns, digest) != 4 ||
	    netns != netns_id() || !netns || !handle)
		return false;
	out->gen = gen;
	out->handle = handle;
	out->fw = recorded_fw(a, st, want, digest);
	return out->fw != NULL;
}

void nft_record_forget(struct arena *a, const struct run_state *st)
{
	state_remove(a, st, NFT_MARK_FILE);
	state_remove(a, st, NFT_FW_FILE);
}

static int save_fw(struct arena *a, const struct run_state *st,
		   const struct plan_firewall *fw)
{
	struct strbuf sb = STRBUF_INIT;
	int err;

	fw_save(&sb, fw);
	err = state_write_blob(a, st, NFT_FW_FILE, sb.buf, sb.len);
	strbuf_free(&sb);
	return err;
}

void nft_record_save(struct arena *a, const struct run_state *st,
		     const struct plan_firewall *fw, uint32_t gen_read,
		     unsigned batches)
{
	uint32_t gen;
	uint64_t handle;

	/* The table is `fw` only if this run's batches are the only
	 * changes since it read the table (each is one generation). */
	if (nft_ident(&gen, &handle) || !handle || !netns_id() ||
	    gen != gen_read + batches || !fw->n_rules) {
		nft_record_forget(a, st);
		return;
	}
	if (save_fw(a, st, fw) ||
	    state_write(a, st, NFT_MARK_FILE,
			arena_printf(a, "%" PRIu32 " %" PRIu64 " %" PRIu64
					" %s\n",
				     gen, handle, netns_id(),
				     digest_hex(a, fw))))
		nft_record_forget(a, st);
}
