/* compile.h - resolved model + node -> plan, the node's whole desired state.
 *
 * Pure: reads the model, writes a plan into the arena, touches nothing
 * else.  The firewall part implements spec rules 2-7 as fw_rule data.
 */
#ifndef MESHC_COMPILE_COMPILE_H
#define MESHC_COMPILE_COMPILE_H

#include "base/arena.h"
#include "model/model.h"
#include "plan/plan.h"

/* m must be resolved (validate_model without errors). */
struct plan *compile_node(struct arena *a, const struct model *m,
			  size_t node_idx);

/* The node's plan with only some of its peers: `only` holds node indices,
 * sorted (n_only of them; those that are not peers of the node are
 * skipped).  Everything the node itself decides is there in full; of the
 * peers, only the listed ones' entries and set elements.  One aggregate
 * follows the list and not the whole: whether the node forwards (its
 * forwarding sysctls and NAT rules) says what the listed peers are
 * granted.  So two such plans compare like the full plans only where the
 * caller has shown that every other peer's part is the same on both
 * sides and that the forwarding cannot flip (delta/delta.h).  The
 * private set, the same in every plan, is left out.  What a plan reads
 * of other nodes than the node and its peers (a relay's relayed nodes,
 * say) must be added to delta.c's list, or diff OLD NEW misses it
 * (tests/suites/incr.sh finds it once its generator draws the case). */
struct plan *compile_node_peers(struct arena *a, const struct model *m,
				size_t node_idx, const size_t *only,
				size_t n_only);

#endif
