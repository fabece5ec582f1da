/* conntrack.h - a revoked grant also ends the connections it let in. */
#ifndef MESHC_APPLY_CONNTRACK_H
#define MESHC_APPLY_CONNTRACK_H

#include "base/arena.h"
#include "diff/diff.h"
#include "plan/plan.h"

/* The peers whose incoming, routing or local_network grant cs removes
 * (set elements gone from incoming/routing/lan_access): delete the
 * connection tracking entries those grants covered, so an established
 * connection stops instead of living on as "ct state established".  An
 * entry is the peer's when the peer's address is its original source;
 * which grant covered it is told by its original destination in
 * `target`: this node's own address (incoming), its lan (local_network),
 * anything else (routing).  An address that joins closed (an unmanaged
 * peer no longer granting this node incoming) ends the entries from this
 * node's own address to it.  Sends nothing when cs removes no grant.
 * Returns the number of entries deleted, or -errno (reported). */
int conntrack_cut_revoked(struct arena *a, const struct plan *target,
			  const struct changeset *cs);

#endif
