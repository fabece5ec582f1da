/* nft_key.c - the keys of the service sets, as nft concatenates them.
 *
 * A concatenated key puts each field in a slot of whole 32-bit registers:
 * an address (4 or 16 bytes), the pair's destination, the layer 4
 * protocol (1 byte, padded to 4) and the destination port (2 bytes in
 * network order, padded to 4).  Every element of such an interval set is
 * a range from a start key to an end key (inclusive), field by field:
 * a prefix is its first to its last address, a port range lo-hi, `any`
 * the protocols 0-255 with the ports 0-65535.
 */
#include "apply/nft_internal.h"

#include <string.h>

static unsigned addr_len(uint8_t family)
{
	return family == IP_V6 ? 16 : 4;
}

unsigned nft_key_len(enum fw_set_id id, uint8_t family)
{
	unsigned key = fw_set_key(id), len = addr_len(family);

	if (key & FW_KEY_DST)
		len += addr_len(family);
	if (key & FW_KEY_SVC)
		len += 8;
	return len;
}

static void put_prefix(const struct ip_prefix *p, uint8_t *lo, uint8_t *hi)
{
	unsigned n = addr_len(p->addr.family);

	for (unsigned i = 0; i < n; i++) {
		unsigned bits = i * 8 < p->len ? p->len - i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		lo[i] = p->addr.b[i] & mask;
		hi[i] = lo[i] | (uint8_t)~mask;
	}
}

unsigned nft_key_bounds(const struct fw_elem *e, enum fw_set_id id,
			uint8_t family, uint8_t lo[NFT_KEY_MAX],
			uint8_t hi[NFT_KEY_MAX])
{
	unsigned key = fw_set_key(id), off = addr_len(family);

	memset(lo, 0, NFT_KEY_MAX);
	memset(hi, 0, NFT_KEY_MAX);
	put_prefix(&e->prefix, lo, hi);
	if (key & FW_KEY_DST) {
		put_prefix(&e->dst, lo + off, hi + off);
		off += addr_len(family);
	}
	if (key & FW_KEY_SVC) {
		bool any = e->svc.proto == SVC_ANY;

		lo[off] = any ? 0 : e->svc.proto;
		hi[off] = any ? 0xff : e->svc.proto;
		lo[off + 4] = (uint8_t)(e->svc.port_lo >> 8);
		lo[off + 5] = (uint8_t)e->svc.port_lo;
		hi[off + 4] = (uint8_t)(e->svc.port_hi >> 8);
		hi[off + 5] = (uint8_t)e->svc.port_hi;
		off += 8;
	}
	return off;
}

/* A [lo, hi] range of addresses that is exactly one prefix. */
static bool get_prefix(uint8_t family, const uint8_t *lo, const uint8_t *hi,
		       struct ip_prefix *p)
{
	unsigned n = addr_len(family), len = 0;
	bool host_part = false;

	memset(p, 0, sizeof(*p));
	p->addr.family = family;
	for (unsigned i = 0; i < n; i++) {
		for (int b = 7; b >= 0; b--) {
			unsigned l = (lo[i] >> b) & 1, h = (hi[i] >> b) & 1;

			if (!host_part && l == h) {
				len++;
				continue;
			}
			host_part = true;
			if (l != 0 || h != 1)
				return false;
		}
		p->addr.b[i] = lo[i];
	}
	p->len = (uint8_t)len;
	return true;
}

bool nft_key_elem(enum fw_set_id id, uint8_t family, const uint8_t *lo,
		  const uint8_t *hi, struct fw_elem *e)
{
	unsigned key = fw_set_key(id), off = addr_len(family);

	memset(e, 0, sizeof(*e));
	if (!get_prefix(family, lo, hi, &e->prefix))
		return false;
	if (key & FW_KEY_DST) {
		if (!get_prefix(family, lo + off, hi + off, &e->dst))
			return false;
		off += addr_len(family);
	}
	if (key & FW_KEY_SVC) {
		const uint8_t *pl = lo + off, *ph = hi + off;
		static const uint8_t zero[3];

		/* the padding of both slots is zero */
		if (memcmp(pl + 1, zero, 3) || memcmp(ph + 1, zero, 3) ||
		    pl[6] || pl[7] || ph[6] || ph[7])
			return false;
		e->svc.port_lo = (uint16_t)(pl[4] << 8 | pl[5]);
		e->svc.port_hi = (uint16_t)(ph[4] << 8 | ph[5]);
		if (pl[0] == 0 && ph[0] == 0xff) {
			e->svc.proto = SVC_ANY;
			return e->svc.port_lo == 0 && e->svc.port_hi == 65535;
		}
		if (pl[0] != ph[0] ||
		    (pl[0] != SVC_TCP && pl[0] != SVC_UDP) ||
		    e->svc.port_lo > e->svc.port_hi)
			return false;
		e->svc.proto = pl[0];
	}
	return true;
}
