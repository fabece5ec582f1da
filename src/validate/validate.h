/* validate.h - model -> diagnostics: every rule of mesh-format.md's
 * Validation section, all errors in one run.
 *
 * Validation also resolves the document: names become indices, mesh
 * members and link partners are listed, omitted addresses are derived
 * from keys.  m->resolved is true afterwards iff no error was found; only
 * a resolved model may be compiled.
 */
#ifndef MESHC_VALIDATE_VALIDATE_H
#define MESHC_VALIDATE_VALIDATE_H

#include "base/diag.h"
#include "model/model.h"

void validate_model(struct arena *a, struct model *m, struct diags *d);

#endif
