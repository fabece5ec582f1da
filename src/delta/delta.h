/* delta.h - two documents -> what a change between them can touch.
 *
 * `meshc diff OLD NEW` and apply (against the document it applied last)
 * compare plans.  A node's plan is its own part (interface, addresses,
 * routes, rules, sysctls, the firewall's rules and node sets) plus one
 * part per peer (the peer's entry and its elements of the grant and
 * closed sets).  Comparing the two documents' values, key by key of
 * grammar/keys.def, tells per node which of these parts can differ:
 *
 *   DELTA_SAME   none: the two plans are equal, nothing to compile;
 *   DELTA_PEERS  only the parts of the peers listed: the two plans of
 *                compile_node_peers() with those lists differ exactly as
 *                the full plans do;
 *   DELTA_FULL   compile both in full.
 *
 * Anything that cannot be shown to stay local is DELTA_FULL, for one node
 * or for all: a mesh or a link that changed (the mesh networks are in
 * every plan), the node's own keys, a lans_via node's lan, a peer that
 * comes or goes while this node grants it routing or local_network (the
 * node's forwarding could flip), a key this file does not know (a key
 * added to keys.def counts as changing the node and its part in every
 * peer's plan until it is sorted below).  tests: change no plan.
 */
#ifndef MESHC_DELTA_DELTA_H
#define MESHC_DELTA_DELTA_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "model/model.h"

enum delta_kind {
	DELTA_SAME,
	DELTA_PEERS,
	DELTA_FULL,
};

struct delta;

/* Both models resolved (validated without errors).  full: treat every
 * node as DELTA_FULL (the comparison is skipped). */
struct delta *delta_new(struct arena *a, const struct model *old,
			const struct model *new, bool full);

/* Is every node DELTA_FULL (a global change, or full asked for)? */
bool delta_is_global(const struct delta *d);

/* The peers whose parts may differ, as sorted node indices of each
 * document (DELTA_PEERS), for compile_node_peers(). */
struct delta_peers {
	size_t *old_idx, *new_idx;
	size_t n_old, n_new;
};

/* What node old_idx of OLD / new_idx of NEW (the same name; MODEL_NONE
 * where the node is absent) needs compiled; DELTA_PEERS fills *p, in a. */
enum delta_kind delta_node(const struct delta *d, struct arena *a,
			   size_t old_idx, size_t new_idx,
			   struct delta_peers *p);

#endif
