/* nft_mark.c - knowing the live table without dumping it.
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
 * digest of the plan_firewall the table holds.  The next run trusts the
 * record, and reads nothing but the generation and the table header, when
 * all four still match: same namespace, nobody committed anything to any
 * table since, the same table object, and the same firewall wanted.  Any
 * doubt (a missing or unreadable record, another program's change, a
 * failed run) means a full read, never a wrong one.
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

/* Every field of the plan_firewall that nft_build turns into kernel
 * objects, and the meshc version that builds them. */
static void fw_digest(const struct plan_firewall *fw,
		      uint8_t out[NFT_MARK_DIGEST_LEN])
{
	struct strbuf sb = STRBUF_INIT;

	put_str(&sb, "meshc nft.mark 1 " MESHC_VERSION);
	put_str(&sb, fw->iface);
	put_str(&sb, fw->uplink);
	put_u32(&sb, fw->nat);
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
			}
		}
	}
	put_u32(&sb, (uint32_t)fw->n_rules);
	for (size_t i = 0; i < fw->n_rules; i++) {
		const struct fw_rule *r = &fw->rules[i];
		const uint32_t v[] = {
			r->chain,	    r->family,	       r->iif,
			r->oif,		    r->ct_established, (uint32_t)r->saddr_set,
			(uint32_t)r->daddr_set, r->verdict,	       r->target,
			(uint32_t)r->spec_rule, r->loc.line,
		};

		strbuf_add(&sb, v, sizeof(v));
		put_str(&sb, r->id);
		put_str(&sb, r->comment);
	}
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

bool nft_mark_trust(struct arena *a, const struct run_state *st,
		    const struct plan_firewall *want, struct nft_trust *out)
{
	const char *text = state_read(a, st, NFT_MARK_FILE);
	char digest[2 * NFT_MARK_DIGEST_LEN + 2];
	uint64_t handle, netns;
	uint32_t gen;

	if (!text ||
	    sscanf(text, "%" SCNu32 " %" SCNu64 " %" SCNu64 " %33s", &gen,
		   &handle, &netns, digest) != 4 ||
	    netns != netns_id() || !netns || !handle ||
	    strcmp(digest, digest_hex(a, want)) != 0)
		return false;
	out->gen = gen;
	out->handle = handle;
	out->fw = want;
	return true;
}

void nft_mark_forget(struct arena *a, const struct run_state *st)
{
	state_remove(a, st, NFT_MARK_FILE);
}

void nft_mark_record(struct arena *a, const struct run_state *st,
		     const struct plan_firewall *fw, uint32_t gen_read,
		     unsigned batches)
{
	uint32_t gen;
	uint64_t handle;

	/* The table is `fw` only if this run's batches are the only
	 * changes since it read the table (each is one generation). */
	if (nft_ident(&gen, &handle) || !handle || !netns_id() ||
	    gen != gen_read + batches || !fw->n_rules) {
		nft_mark_forget(a, st);
		return;
	}
	if (state_write(a, st, NFT_MARK_FILE,
			arena_printf(a, "%" PRIu32 " %" PRIu64 " %" PRIu64
					" %s\n",
				     gen, handle, netns_id(),
				     digest_hex(a, fw))))
		nft_mark_forget(a, st);
}
