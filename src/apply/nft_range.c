/* nft_range.c - prefixes <-> the [start, end) ranges of interval sets.
 *
 * An interval set holds a prefix as two elements, its first address and
 * the address after its last one (flagged "interval end"); the kernel
 * hands back only these keys, so the reader turns each range into the
 * fewest CIDR prefixes that cover it.  Addresses are up to 128 bits: a
 * pair of 64-bit halves keeps the arithmetic in standard C.
 */
#include "apply/nft_internal.h"

#include <string.h>

struct u128 {
	uint64_t hi, lo;
};

static struct u128 u128_load(uint8_t family, const uint8_t b[16])
{
	struct u128 v = { 0, 0 };
	unsigned n = family == IP_V4 ? 4 : 16;

	for (unsigned i = 0; i < n; i++) {
		v.hi = v.hi << 8 | v.lo >> 56;
		v.lo = v.lo << 8 | b[i];
	}
	return v;
}

static void u128_store(uint8_t family, struct u128 v, uint8_t b[16])
{
	unsigned n = family == IP_V4 ? 4 : 16;

	memset(b, 0, 16);
	for (unsigned i = n; i-- > 0;) {
		b[i] = (uint8_t)v.lo;
		v.lo = v.lo >> 8 | v.hi << 56;
		v.hi >>= 8;
	}
}

static int u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static struct u128 u128_sub(struct u128 a, struct u128 b)
{
	struct u128 r = { a.hi - b.hi, a.lo - b.lo };

	if (a.lo < b.lo)
		r.hi--;
	return r;
}

static struct u128 u128_add(struct u128 a, struct u128 b, bool *carry)
{
	struct u128 r = { a.hi + b.hi, a.lo + b.lo };
	bool c1 = r.hi < a.hi;
	uint64_t hi = r.hi;

	r.hi += r.lo < a.lo;
	*carry = c1 || r.hi < hi;
	return r;
}

/* 2^k for k < 128. */
static struct u128 u128_pow2(unsigned k)
{
	if (k >= 64)
		return (struct u128){ 1ull << (k - 64), 0 };
	return (struct u128){ 0, 1ull << k };
}

static bool u128_is_zero(struct u128 v)
{
	return !v.hi && !v.lo;
}

/* Trailing zero bits (128 for zero). */
static unsigned u128_ctz(struct u128 v)
{
	unsigned n = 0;

	if (u128_is_zero(v))
		return 128;
	if (!v.lo) {
		n = 64;
		v.lo = v.hi;
	}
	while (!(v.lo & 1)) {
		v.lo >>= 1;
		n++;
	}
	return n;
}

/* Number of significant bits (0 for zero). */
static unsigned u128_bitlen(struct u128 v)
{
	unsigned n = 0;
	uint64_t w = v.lo;

	if (v.hi) {
		n = 64;
		w = v.hi;
	}
	while (w) {
		w >>= 1;
		n++;
	}
	return n;
}

bool nft_prefix_bounds(const struct ip_prefix *p, uint8_t start[16],
		       uint8_t end[16])
{
	unsigned bits = ip_bits(p->addr.family);
	struct u128 lo = u128_load(p->addr.family, p->addr.b);
	struct u128 size, e;
	bool carry;

	u128_store(p->addr.family, lo, start);
	memset(end, 0, 16);
	if (p->len == 0)
		return true;
	size = u128_pow2(bits - p->len);
	e = u128_add(lo, size, &carry);
	/* IPv4 lives in the low 32 bits: the top is 2^32, not a carry. */
	if (carry || (bits == 32 && (e.lo >> 32)))
		return true;
	u128_store(p->addr.family, e, end);
	return false;
}

/* log2 of the largest block that starts at cur (aligned) and fits in the
 * room + 1 addresses left. */
static unsigned block_bits(struct u128 cur, struct u128 room, unsigned bits)
{
	unsigned k = u128_ctz(cur), fit;

	if (room.hi == UINT64_MAX && room.lo == UINT64_MAX)
		fit = 128;
	else
		fit = u128_bitlen((struct u128){
			      room.hi + (room.lo == UINT64_MAX),
			      room.lo + 1 }) - 1;
	if (k > fit)
		k = fit;
	return k > bits ? bits : k;
}

size_t nft_range_prefixes(uint8_t family, const uint8_t start[16],
			  const uint8_t *end, struct ip_prefix *out)
{
	unsigned bits = ip_bits(family);
	struct u128 cur = u128_load(family, start);
	struct u128 last, one = { 0, 1 };
	size_t n = 0;

	if (end) {
		struct u128 e = u128_load(family, end);

		if (u128_cmp(e, cur) <= 0)
			return 0;
		last = u128_sub(e, one);
	} else {
		last = bits == 32 ? (struct u128){ 0, 0xffffffffull }
				  : (struct u128){ UINT64_MAX, UINT64_MAX };
	}
	for (;;) {
		struct u128 room = u128_sub(last, cur);
		unsigned k = block_bits(cur, room, bits);
		struct ip_prefix *p = &out[n++];
		bool carry;

		memset(p, 0, sizeof(*p));
		p->addr.family = family;
		u128_store(family, cur, p->addr.b);
		p->len = (uint8_t)(bits - k);
		/* The block ends the range (2^128 itself cannot be held). */
		if (k == 128 ||
		    u128_cmp(room, u128_sub(u128_pow2(k), one)) == 0)
			return n;
		cur = u128_add(cur, u128_pow2(k), &carry);
	}
}
