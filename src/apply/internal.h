/* internal.h - shared by the apply files; not a public API. */
#ifndef MESHC_APPLY_INTERNAL_H
#define MESHC_APPLY_INTERNAL_H

#include "apply/apply.h"
#include "apply/sysctl.h"

struct apply_ctx {
	struct arena *a;
	struct rtnl *rtnl;
	struct run_state st;
	const struct apply_opts *o;
	struct secret_key priv;	/* the node's private key (apply only) */
	bool created;		/* this run created the interface */
	unsigned nft_batches;	/* nftables transactions this run sent */
};

int live_read(struct apply_ctx *c, const struct plan *want, struct live *lv);

/* nft_mark.c: the record that lets a run skip dumping the table.
 * nft_mark_trust: true (and *out filled) when the state directory's
 * record is for this network namespace and for exactly `want`.
 * nft_mark_record: after a successful run that read the table at
 * generation gen_read and sent `batches` nftables transactions, record
 * that the table is `fw` (or forget, if anything else changed it). */
bool nft_mark_trust(struct arena *a, const struct run_state *st,
		    const struct plan_firewall *want, struct nft_trust *out);
void nft_mark_record(struct arena *a, const struct run_state *st,
		     const struct plan_firewall *fw, uint32_t gen_read,
		     unsigned batches);
void nft_mark_forget(struct arena *a, const struct run_state *st);
/* Resolve want's endpoints into a copy; clear learned endpoints of live
 * peers the document gives none. */
int normalize_plans(struct apply_ctx *c, const struct plan *want,
		    struct plan **want_out, struct live *lv);
/* Send cs (diff of lv->plan -> target) to the system; target NULL tears
 * everything down.  0 or -errno (reported). */
int converge(struct apply_ctx *c, struct live *lv, const struct plan *target,
	     const struct changeset *cs);
/* Converge back to `before` (the state read at the start of the run),
 * reporting the outcome. */
void apply_rollback(struct apply_ctx *c, const struct plan *want,
		    const struct live *before);
/* Try mode: start the detached process that reverts to `before` after
 * `seconds` unless `meshc confirm` signals it.  0 or -errno. */
int confirm_spawn(struct apply_ctx *c, const struct plan *want,
		  const struct live *before, long seconds);

/* Debug builds (-DMESHC_FAULT_INJECTION): MESHC_FAULT=<step> makes that
 * step fail, to test rollback.  Always 0 in release builds. */
int apply_fault(const char *step);

#endif
