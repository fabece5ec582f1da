/* dupset.c - an open-addressing set of item indexes for duplicate checks.
 *
 * Sorting found duplicates too, but at 10,000 nodes the sorts of random
 * keys and addresses were a tenth of a compile; a hash set is linear and
 * keeps the first item as the owner, which is what the messages name.
 * The hash is SipHash with a key drawn per set, so a document cannot be
 * written to make every value collide (quadratic probing).
 */
#include "validate/internal.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

void v_dupset_init(struct vctx *v, struct v_dupset *s, size_t n,
		   v_dup_eq_fn eq, const void *ctx)
{
	size_t size = 16;

	while (size < 2 * n)	/* at most half full: short probes */
		size *= 2;
	s->slot = arena_calloc(v->a, size, sizeof(*s->slot));
	s->mask = size - 1;
	s->eq = eq;
	s->ctx = ctx;
	randombytes_buf(s->key, sizeof(s->key));
}

size_t v_dupset_add(struct v_dupset *s, uint64_t hash, size_t item)
{
	for (size_t i = (size_t)hash & s->mask;; i = (i + 1) & s->mask) {
		if (!s->slot[i]) {
			s->slot[i] = item + 1;
			return SIZE_MAX;
		}
		if (s->eq(s->slot[i] - 1, item, s->ctx))
			return s->slot[i] - 1;
	}
}

uint64_t v_dupset_hash(const struct v_dupset *s, const void *p, size_t n)
{
	unsigned char out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, p, n, s->key);
	memcpy(&h, out, sizeof(h));
	return h;
}
