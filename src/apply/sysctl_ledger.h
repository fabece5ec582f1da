/* sysctl_ledger.h - the sysctls of a network namespace that meshc
 * interfaces need, in NSDIR/:sysctl: for each key the value it had before
 * the first interface changed it, and the interfaces that need it.  A key
 * goes back to that value only when the last of them lets it go, so the
 * `down` of one interface never switches forwarding off under another. */
#ifndef MESHC_APPLY_SYSCTL_LEDGER_H
#define MESHC_APPLY_SYSCTL_LEDGER_H

#include "apply/state.h"
#include "plan/plan.h"

/* Make st->iface's needs exactly needs[0..n) (each value: the live value
 * now, kept as the original when no interface needed the key yet; NULL
 * when unknown, never put back).  *restore: the keys nobody needs any
 * more, with their original values, for the caller to write back.  Under
 * NSDIR/:lock.  0 or -errno (reported). */
int sysctl_ledger_set(struct arena *a, const struct run_state *st,
		      const struct plan_sysctl *needs, size_t n,
		      struct plan_sysctl **restore, size_t *n_restore);
/* The keys st->iface needs.  0 or -errno (reported). */
int sysctl_ledger_needs(struct arena *a, const struct run_state *st,
			const char ***keys, size_t *n);

#endif
