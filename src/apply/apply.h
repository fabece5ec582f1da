/* apply.h - make this node's live system equal a plan, and back.
 *
 * One loop serves apply, rollback, the confirm timer's revert and down:
 *   read the live system into a plan (live_read),
 *   diff it against the target with the one diff engine,
 *   send only the difference (converge).
 * A failure half-way converges back to the state read before the run.
 */
#ifndef MESHC_APPLY_APPLY_H
#define MESHC_APPLY_APPLY_H

#include <stdbool.h>

#include "apply/nft.h"
#include "apply/rtnl.h"
#include "apply/state.h"
#include "apply/wg.h"
#include "base/secret.h"
#include "diff/diff.h"
#include "plan/plan.h"

/* What is on the system for one plan's interface. */
struct live {
	struct plan plan;	/* the live state as a plan, sorted */
	struct live_link link;
	enum wg_backend wg;
	enum nft_table_state nft;
	struct nft_seen nft_seen;	/* generation read at, trusted? */
	const char **sysctl_needs;	/* keys the interface needed (ledger) */
	size_t n_sysctl_needs;
	bool has_private_key;
	struct secret_key private_key;	/* the device's, to restore on
					 * rollback; NULL bytes when none */
	struct wg_psks psks;	/* the peers' preshared keys, likewise */
	/* The device as read (when link.exists): what the plan keeps of
	 * it, and what it does not: each peer's current endpoint, latest
	 * handshake and byte counts (meshc status). */
	struct wg_device_state device;
};

/* Wipe the keys a live state holds (its plan stays usable). */
void live_free_secrets(struct live *lv);

struct apply_opts {
	bool dry_run;
	long confirm_seconds;	/* -1: no try mode */
	bool json;
	bool color;
	int quiet;
	int verbose;
};

enum apply_result {
	APPLY_NO_CHANGES,
	APPLY_CHANGED,		/* applied; or, for dry-run/diff, would change */
	APPLY_FAILED,		/* rolled back, reported */
};

/* What apply starts before it compiles the document (NULL when nothing
 * is known): the interface that the last successful run of the same
 * document used is locked (not with --dry-run; only if no other run
 * holds the lock, which is then waited for after compiling) and its
 * WireGuard device read in a thread, so that compiling and reading
 * overlap.  The plan then
 * goes to apply_plan/apply_diff_live with it, which end it; without a
 * plan, apply_early_end. */
struct apply_early;
struct apply_early *apply_early_start(struct arena *a, const char *document,
				      const struct apply_opts *o);
void apply_early_end(struct apply_early *e);

/* meshc apply: converge to `want`; private key from want's key file.
 * e: from apply_early_start, or NULL. */
enum apply_result apply_plan(struct arena *a, const struct plan *want,
			     const struct apply_opts *o,
			     struct apply_early *e);
/* meshc diff FILE: what apply would change (reads only, no lock). */
enum apply_result apply_diff_live(struct arena *a, const struct plan *want,
				  const struct apply_opts *o,
				  struct apply_early *e);
/* meshc status: the live state of want's interface (lv->device: its
 * peers' statistics too) and, in cs, what `diff FILE` would change
 * (diff_plans(&lv->plan, *target)); drift is changeset_affects_system.
 * Reads only, takes no lock, prints nothing but errors; the device's
 * private key is not kept.  APPLY_NO_CHANGES, APPLY_CHANGED (drift) or
 * APPLY_FAILED (reported). */
enum apply_result apply_status(struct arena *a, const struct plan *want,
			       struct live *lv, const struct plan **target,
			       struct changeset *cs);
/* meshc down: remove everything meshc set up for `want`'s interface and
 * put changed sysctls back. */
enum apply_result apply_down(struct arena *a, const struct plan *want,
			     const struct apply_opts *o);
/* meshc confirm: keep pending try-mode applies (iface NULL: the only one;
 * node: pick by node name).  0, or 1 after an error message. */
int apply_confirm(struct arena *a, const char *iface, const char *node);

#endif
