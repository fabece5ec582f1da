/* internal.h - shared between the compiler's files; not a public API. */
#ifndef MESHC_COMPILE_INTERNAL_H
#define MESHC_COMPILE_INTERNAL_H

#include "compile/compile.h"

/* What compiling one node needs at hand: the model, the node and, for
 * each other node, whether it is a peer and what this node grants it. */
struct compile_ctx {
	struct arena *arena;
	const struct model *m;
	size_t self;
	const struct m_node *node;
	struct plan *plan;
	size_t *peers;		/* peer node indices, sorted */
	size_t n_peers;
	struct perm_set *grants;	/* grants[i]: what self grants peers[i] */
	/* relayed[i]: peers[i] and self are a relayed pair (model_relayed):
	 * no peer entry, its addresses go on the relay's. */
	bool *relayed;
	/* compile_node_peers: the candidates, sorted; NULL: every peer */
	const size_t *only;
	size_t n_only;
	/* array capacities for arena_push */
	size_t cap_addresses, cap_peers, cap_routes, cap_rules, cap_sysctls,
		cap_fw_rules;
	size_t cap_elems[FW_SET_COUNT][2];
};

/* Positions 0..n_peers-1 (into peers[] and grants[]) ordered by cmp
 * (qsort_r style; ctx is c).  Emitting peers and set elements in the
 * plan's order spares plan_sort sorting them again: at 10,000 peers
 * that sort was a tenth of a compile. */
size_t *compile_peer_order(struct compile_ctx *c,
			   int (*cmp)(const void *, const void *, void *));

void compile_peers(struct compile_ctx *c);
void compile_routes(struct compile_ctx *c);
void compile_firewall(struct compile_ctx *c);
/* One element of a firewall set; loc is the document line behind it. */
void compile_fw_elem(struct compile_ctx *c, enum fw_set_id id,
		     const struct ip_prefix *pfx, const char *why,
		     struct loc loc);
/* The private set: the IANA special-purpose blocks (special.c). */
void compile_private_set(struct compile_ctx *c);

#endif
