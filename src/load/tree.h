/* tree.h - the loader's own YAML tree (private to src/load/).
 *
 * libyaml's events become this small tree so that the mapping stage can
 * look at a whole mapping (duplicates, required keys) and so that no
 * libyaml type outlives the parse.  Aliased collections are shared, not
 * copied: a node may have several parents.
 */
#ifndef MESHC_LOAD_TREE_H
#define MESHC_LOAD_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"

enum ynode_kind { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
	uint8_t kind;		/* enum ynode_kind */
	bool plain;		/* scalar written without quotes */
	bool block;		/* scalar written as a | or > block */
	bool bad;		/* already reported (bad alias, NUL): skip quietly */
	bool done;		/* collection: its end event was seen */
	bool alias;		/* collection: a copy placed where an alias
				 * names it (line/col are the alias's) */
	uint32_t values;	/* values in the subtree, aliases expanded */
	unsigned line, col;	/* 1-based; col in bytes */
	union {
		struct {
			const char *text;	/* NUL-terminated copy */
			size_t len;
		} s;
		struct {
			/* sequence: items; mapping: key, value, key, ... */
			struct ynode **kids;
			size_t n;
		} c;
	};
};

/* Check the bytes (UTF-8, no NUL, no control characters, BOM only first)
 * and parse them into a tree.  NULL after a fatal problem (reported in
 * *d); otherwise the root, which may still come with non-fatal errors
 * (tags, a second document, unknown aliases).  An empty document gives a
 * NULL scalar root of kind Y_SCALAR and length 0, never NULL.  The nodes
 * live in `a`, the scalars' texts in `text` (the model points at them and
 * outlives the tree). */
struct ynode *ytree_parse(struct arena *a, struct arena *text,
			  const struct source *src, struct diags *d);

static inline struct loc ynode_loc(const struct ynode *n, const char *file)
{
	struct loc l = { file, n->line, n->col };

	return l;
}

/* A plain scalar that YAML reads as null: empty, ~, null. */
bool ynode_is_null(const struct ynode *n);

#endif
