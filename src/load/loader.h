/* loader.h - the mapping stage's shared parts (private to src/load/).
 *
 * load.c walks the document's structure (mappings of keys, names, lists);
 * values.c reads single values (numbers, booleans, addresses, names...)
 * into their model fields.  Both report through the helpers here so every
 * message about a value has the same shape.
 */
#ifndef MESHC_LOAD_LOADER_H
#define MESHC_LOAD_LOADER_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/diag.h"
#include "load/keys.h"
#include "load/tree.h"
#include "model/model.h"

struct loader {
	struct arena *a;
	struct diags *d;
	const char *file;
	struct model *m;
	/* Inside a collection reached through an alias, every position is
	 * the alias's: the anchored text may be right where it stands. */
	bool in_alias;
	struct loc alias_loc;
};

/* How a value is named in a message: kind 'name', 'name' or kind.
 * { NULL, "mesh" } -> 'mesh'; { "node", "a" } -> node 'a';
 * { "test", NULL } -> test; { "an item of", "lan" } -> an item of 'lan'. */
struct what {
	const char *kind;
	const char *name;
};

static inline struct loc loader_loc(const struct loader *L,
				    const struct ynode *n)
{
	return L->in_alias ? L->alias_loc : ynode_loc(n, L->file);
}

/* Entering v: true when v is an alias and positions now point at it;
 * pass that to loader_alias_leave when done with v. */
static inline bool loader_alias_enter(struct loader *L, const struct ynode *v)
{
	if (!v->alias || L->in_alias)
		return false;
	L->alias_loc = ynode_loc(v, L->file);
	L->in_alias = true;
	return true;
}

static inline void loader_alias_leave(struct loader *L, bool entered)
{
	if (entered)
		L->in_alias = false;
}

const char *what_str(struct loader *L, struct what w);

/* Is v a collection of `kind`?  If not, reports "missing value for X" or
 * "X must be a mapping, not a string" (nothing when v is already bad). */
bool expect_collection(struct loader *L, const struct ynode *v,
		       enum ynode_kind kind, struct what w);

/* Does scalar v hold a C0 control character or DEL (escapes can)? */
bool has_control_char(const struct ynode *v);

/* v as a string: a non-empty scalar without control characters. */
bool load_string(struct loader *L, const struct ynode *v, struct what w,
		 struct m_str *out);

/* A mesh or node name (the key of meshes/nodes); reports and returns false
 * when it breaks the naming rules. */
bool check_name(struct loader *L, const char *name, struct loc l,
		const char *kind);

/* A value whose key_info type is a single value (not a mapping or list of
 * mappings): read it into its field of `base`. */
void load_leaf(struct loader *L, const struct key_info *k, void *base,
	       const struct ynode *v);

/* A non-empty list of services (tcp/22, udp, icmp...) into f; an empty
 * list is an error whose message ends with empty_hint.  true when every
 * item was read. */
bool load_service_list(struct loader *L, const struct ynode *v,
		       struct what w, const char *empty_hint,
		       struct m_service_list *f);
/* A scalar incoming/local_network: true or false into g->b (reported
 * when neither).  false when v is no scalar: a list, the caller's. */
bool load_grant_bool(struct loader *L, const struct key_info *k,
		     struct m_grant_flag *g, const struct ynode *v);

#endif
