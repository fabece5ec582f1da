/* internal.h - what the validator's files share.
 *
 * validate.c runs the passes in order; each pass reads what the earlier
 * ones resolved:
 *   resolve.c    names -> indices, mesh members, link partners, grants
 *   addresses.c  networks, lans, addresses (explicit and derived), keys
 *   rules.c      exit_node, lans_via, platform, uplink, endpoint, relay rules
 *   tests.c      the references of `tests`
 * Every pass tolerates a partial model: a value whose `set` is false was
 * reported by the loader (or is optional) and is skipped here.
 */
#ifndef MESHC_VALIDATE_INTERNAL_H
#define MESHC_VALIDATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/ip.h"
#include "model/model.h"

struct vctx {
	struct arena *a;
	struct model *m;
	struct diags *d;
	/* Edit-distance comparisons left for "did you mean" hints: a document
	 * full of typos among 50,000 names must not go quadratic. */
	size_t hint_budget;
	/* A link with an unknown node leaves its other end's peers unknown
	 * (unsure[i]), or, both ends unknown, every node's (all_unsure):
	 * "not a peer" is then no news but the link's own error again. */
	bool *unsure;
	bool all_unsure;
};

/* A name for messages, never NULL. */
const char *v_node_name(const struct model *m, size_t idx);
const char *v_mesh_name(const struct model *m, size_t idx);

/* "; did you mean 'x'?" when a known name is close to `name`, else "". */
const char *v_hint_mesh(struct vctx *v, const char *name);
const char *v_hint_node(struct vctx *v, const char *name);

/* Both nodes' meshes and links are known, so "not a peer" is not a
 * follow-up of an unknown mesh or link end that was already reported. */
bool v_peer_known(const struct vctx *v, size_t a, size_t b);
/* The node's lan was written but is invalid (reported by the loader):
 * "has no lan" would be a follow-up. */
bool v_lan_broken(const struct m_node *n);

/* resolve.c */
void v_resolve_meshes(struct vctx *v);
void v_resolve_links(struct vctx *v);
void v_resolve_grants(struct vctx *v);
void v_resolve_refs(struct vctx *v);

/* addresses.c */
void v_check_networks(struct vctx *v);
void v_check_lans(struct vctx *v);
void v_check_addresses(struct vctx *v);
void v_check_keys(struct vctx *v);

/* rules.c */
void v_check_exit_nodes(struct vctx *v);
void v_check_lans_via(struct vctx *v);
void v_check_platforms(struct vctx *v);
void v_check_uplinks(struct vctx *v);
void v_check_endpoints(struct vctx *v);
/* relay: names a managed node with an endpoint, a peer of its users. */
void v_check_relays(struct vctx *v);
/* Unmanaged nodes refusing incoming to unmanaged senders: a warning. */
void v_check_unenforced(struct vctx *v);
/* grants.c: a local_network entry's `to` lies in the granter's lan. */
void v_check_grants(struct vctx *v);

/* tests.c */
void v_check_tests(struct vctx *v);

/* overlap.c: overlapping prefixes of different groups (two meshes, two
 * lans_via targets).  `order` says which of two spans comes later in the
 * document. */
struct v_span {
	struct ip_prefix p;
	size_t group;
	size_t order;
	const void *data;	/* the caller's */
};

typedef void (*v_overlap_fn)(struct vctx *v, const struct v_span *later,
			     const struct v_span *earlier, void *arg);

/* Sorts spans and calls fn for overlapping pairs of different groups.
 * Spans with equal prefixes are compared with the first of them (and the
 * first of another group), not with each other, so the work stays
 * O(n log n + n * nesting depth) while every overlap is reported at least
 * once. */
void v_find_overlaps(struct vctx *v, struct v_span *spans, size_t n,
		     v_overlap_fn fn, void *arg);

/* dupset.c: "is this value taken?" in O(1), for the uniqueness checks
 * (addresses, public keys) of documents with tens of thousands of nodes.
 * Items are the caller's indexes; the caller hashes and compares. */
typedef bool (*v_dup_eq_fn)(size_t a, size_t b, const void *ctx);

struct v_dupset {
	size_t *slot;		/* item + 1; 0 is empty */
	size_t mask;
	v_dup_eq_fn eq;
	const void *ctx;
	unsigned char key[16];	/* crypto_shorthash_KEYBYTES */
};

/* Room for n items. */
void v_dupset_init(struct vctx *v, struct v_dupset *s, size_t n,
		   v_dup_eq_fn eq, const void *ctx);
/* The item added earlier that equals `item`, or SIZE_MAX after adding
 * it. */
size_t v_dupset_add(struct v_dupset *s, uint64_t hash, size_t item);
/* The set's keyed hash of n bytes, for v_dupset_add. */
uint64_t v_dupset_hash(const struct v_dupset *s, const void *p, size_t n);

#endif
