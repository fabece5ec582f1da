/* strmap.h - string -> index hash table, allocated from an arena.
 *
 * Names in a document (nodes, meshes) are looked up constantly by the
 * validator and the compiler; with 50,000 nodes a linear search would make
 * compile quadratic.  Open addressing, at most half full, grows by
 * doubling.  The hash is SipHash (libsodium's crypto_shorthash) under a
 * key drawn per map, so names chosen to collide (a document written to
 * stall the CI job that diffs it) cannot make it quadratic either.
 */
#ifndef MESHC_BASE_STRMAP_H
#define MESHC_BASE_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

struct strmap_slot {
	const char *key;	/* not copied: must outlive the map */
	uint64_t hash;
	size_t value;
};

struct strmap {
	struct arena *arena;
	struct strmap_slot *slots;
	size_t cap;		/* power of two, or 0 */
	size_t count;
	unsigned char seed[16];	/* crypto_shorthash_KEYBYTES, drawn at first use */
};

void strmap_init(struct strmap *m, struct arena *a);
/* Make room for n keys in all, so that filling the map never rehashes. */
void strmap_reserve(struct strmap *m, size_t n);
/* Insert; returns false (and changes nothing) if the key exists. */
bool strmap_put(struct strmap *m, const char *key, size_t value);
/* True and *value set when present. */
bool strmap_get(const struct strmap *m, const char *key, size_t *value);

#endif
