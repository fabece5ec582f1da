/* load.h - libyaml events -> model, every value with its position.
 *
 * The loader enforces the strict YAML subset of mesh-format.md (one
 * document, no tags or merge keys, true/false only, decimal integers,
 * UTF-8, limits on size, depth, scalar length and expanded values) and the
 * per-value types and formats of grammar/keys.def.  Relationships between
 * values are the validator's job.
 */
#ifndef MESHC_LOAD_LOAD_H
#define MESHC_LOAD_LOAD_H

#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "model/model.h"

/* Limits of the document format (mesh-format.md). */
#define LOAD_MAX_FILE_SIZE (64u * 1024 * 1024)
#define LOAD_MAX_DEPTH 64
#define LOAD_MAX_SCALAR (64u * 1024)
#define LOAD_MAX_VALUES 10000000u

/* Read a file ("-" = stdin) whole; fills *src (text owned by the arena).
 * Returns 0, or -1 after reporting why with a diagnostic. */
int load_read_source(struct arena *a, const char *path, struct source *src,
		     struct diags *d);

/* Parse a document.  Always returns a model (possibly partial) unless the
 * bytes are not YAML at all, in which case NULL; every problem found is in
 * *d.  The model points into the arena and into src->name. */
struct model *load_model(struct arena *a, const struct source *src,
			 struct diags *d);

#endif
