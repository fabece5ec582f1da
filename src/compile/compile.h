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

#endif
