/* internal.h - shared by the apply files; not a public API. */
#ifndef MESHC_APPLY_INTERNAL_H
#define MESHC_APPLY_INTERNAL_H

#include <net/if.h>
#include <pthread.h>
#include <signal.h>

#include "apply/apply.h"
#include "apply/sysctl.h"
#include "apply/sysctl_ledger.h"

/* prefetch.c: a WireGuard device read in a thread of its own while the
 * document compiles. */
struct wg_prefetch {
	char ifname[IFNAMSIZ];
	bool started;		/* the thread runs or ran, not joined */
	bool taken;		/* the result was offered to a run */
	pthread_t thread;
	struct arena a;		/* the thread's, adopted by the taker */
	struct wg_device_state st;
	struct secret_key key;
	struct wg_psks psks;
	enum wg_backend backend;
	int err;
	/* the same thread's read of addresses, routes and rules */
	bool rt_read;
	int rt_ifindex;
	int rt_err;
	struct plan rt;
};

void wg_prefetch_start(struct wg_prefetch *pf, const char *ifname);
/* Join the thread; if it read `ifname` through `backend`, give its
 * result (state in *out, its arrays now in `a`, the private key into
 * out->private_key_out, the preshared keys into out->psk_out, 0 or
 * -errno in *err) and return true, once.
 * False (nothing taken) for another interface or a NULL pf. */
bool wg_prefetch_take(struct wg_prefetch *pf, struct arena *a,
		      const char *ifname, enum wg_backend backend,
		      struct wg_device_state *out, int *err);
/* After a successful wg_prefetch_take: the thread's rtnl_read_plan of
 * ifindex into p (0 or -errno in *err) and true, once; else false. */
bool wg_prefetch_take_rtnl(struct wg_prefetch *pf, int ifindex,
			   struct plan *p, int *err);
void wg_prefetch_end(struct wg_prefetch *pf);

struct apply_early {
	const char *iface;	/* the interface expected */
	struct run_state st;	/* its lock, held unless read only */
	struct wg_prefetch pf;
};

struct apply_ctx {
	struct arena *a;
	struct rtnl *rtnl;
	struct run_state st;
	const struct apply_opts *o;
	struct secret_key priv;	/* the node's private key (apply only) */
	/* the wanted peers' preshared keys, derived from the mesh's secret
	 * (apply, dry run and diff FILE): what is set and what the device's
	 * keys are compared with; file NULL when the plan has none */
	struct wg_psks want_psks;
	bool created;		/* this run created the interface */
	unsigned nft_batches;	/* nftables transactions this run sent */
	struct wg_prefetch *prefetch;	/* NULL: read the device here */
	const struct live *rollback;	/* converging back to it */
	/* converge stops (-EINTR) between steps once a held signal is
	 * pending: set for the forward converge of apply, never for a
	 * rollback or `down`, which finish first */
	bool stop_on_signal;
};

int live_read(struct apply_ctx *c, const struct plan *want, struct live *lv);

/* nft_record.c: the record that lets a run skip dumping the table.
 * nft_record_trust: true (and *out filled) when the state directory's
 * record is for this network namespace and for exactly `want`.
 * nft_record_save: after a successful run that read the table at
 * generation gen_read and sent `batches` nftables transactions, record
 * that the table is `fw` (or forget, if anything else changed it). */
bool nft_record_trust(struct arena *a, const struct run_state *st,
		      const struct plan_firewall *want, struct nft_trust *out);
void nft_record_save(struct arena *a, const struct run_state *st,
		     const struct plan_firewall *fw, uint32_t gen_read,
		     unsigned batches);
void nft_record_forget(struct arena *a, const struct run_state *st);
/* The plan with the firewall's live sets filled from the node (the
 * default routes' devices without an uplink, the networks of its other
 * interfaces), so that what is compared is what will be loaded; want
 * itself when it has none to fill.  0 or -errno. */
int live_fill_egress(struct apply_ctx *c, const struct plan *want,
		     const struct plan **out);
/* Resolve want's endpoints into a copy; clear learned endpoints of live
 * peers the document gives none. */
int normalize_plans(struct apply_ctx *c, const struct plan *want,
		    struct plan **want_out, struct live *lv);
/* Send cs (diff of lv->plan -> target) to the system; target NULL tears
 * everything down.  0 or -errno (reported). */
int converge(struct apply_ctx *c, struct live *lv, const struct plan *target,
	     const struct changeset *cs);
/* The same for a system without the interface (and a target without
 * one): only what does not hang on it, the firewall, routes in other
 * places, policy rules and sysctls. */
int converge_shared(struct apply_ctx *c, struct live *lv,
		    const struct plan *target, const struct changeset *cs);
/* Converge back to `before` (the state read at the start of the run),
 * reporting the outcome.  0 or -errno. */
int apply_rollback(struct apply_ctx *c, const struct plan *want,
		    const struct live *before);
/* Try mode: start the detached process that reverts to `before` after
 * `seconds` unless `meshc confirm` signals it.  0 or -errno. */
int confirm_spawn(struct apply_ctx *c, const struct plan *want,
		  const struct live *before, long seconds);

/* signals.c: SIGINT, SIGTERM and SIGHUP blocked while the system is
 * between two states (signals_hold ... signals_restore).  pending: the
 * first held signal waiting (ignored ones do not count), 0 if none;
 * take: the same, taken off so that restoring the mask does not deliver
 * it.  name: "SIGTERM", ... */
void signals_hold(sigset_t *old);
void signals_restore(const sigset_t *old);
int signals_pending(void);
int signals_take(void);
const char *signals_name(int sig);

/* Debug builds (-DMESHC_FAULT_INJECTION): MESHC_FAULT=<step> makes that
 * step fail, to test rollback.  Always 0 in release builds. */
int apply_fault(const char *step);

#endif
