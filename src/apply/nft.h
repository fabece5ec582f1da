/* nft.h - meshc's nftables table (`table inet meshc`) with libnftnl.
 *
 * One table serves every meshc interface of the network namespace.  The
 * table carries meshc's mark (table userdata comment "managed by meshc");
 * a table of that name without the mark is foreign and is neither read
 * into a plan nor changed.  Inside it, each interface owns a part: the
 * chains and sets named "IFACE/NAME" ("meshx/input", "meshx/mesh4"); '/'
 * cannot occur in an interface name, so the owner is what precedes the
 * first '/'.  Objects without a '/' are legacy (meshc 0.1 kept one
 * interface's firewall unprefixed) and the next change of any part
 * removes them.
 *
 * Reading an interface's part decodes only that part; every other
 * interface's objects are invisible to the plan and never touched.  A
 * change of a part goes to the kernel as ONE batch (one transaction)
 * that carries the ruleset generation the part was read at: if anything
 * committed in between (another interface's apply, a hand edit), the
 * kernel refuses the batch (ERESTART) and meshc reads the part again and
 * retries, so a diff computed from a stale read is never applied.
 *
 * Why parts cannot weaken each other: every part has its own base chains
 * (IFACE/input, IFACE/forward, IFACE/postrouting) on the same hooks and
 * priorities.  For a packet, netfilter runs every base chain of a hook;
 * an accept ends only the chain it is in, a drop ends the packet.  So a
 * packet passes a hook only if no part drops it.  Each part's base
 * chains have policy accept and dispatch only packets whose iifname or
 * oifname is that part's interface; a packet of another interface falls
 * through them unchanged.  A part can therefore only add drops for its
 * own interface's traffic, never take one away from another part, and
 * no part's rules name another part's sets or chains.  A part's nat
 * postrouting chain only rewrites source addresses of packets the forward
 * hook already let through (masquerade: the outgoing interface's
 * address, whichever part asks first); it decides nothing about whether
 * a packet passes.
 *
 * The reader decodes the kernel's sets, elements and rules back into
 * struct plan_firewall (the same fw_rule data the compiler makes), so the
 * diff engine compares live and wanted firewalls; an expression it does
 * not recognise makes the rule decode as foreign (id "unknown"), which
 * differs from every compiled rule and so gets replaced.
 *
 * Canonical form (what nft_read returns = what compile_node makes):
 *   - a family-0 rule that matches sets is two kernel rules (v4 then v6,
 *     as the renderer prints it); the reader joins them back into the one
 *     family-0 rule, so no expansion is needed before diff_plans;
 *   - each rule's id (and its fw_rule family) rides in meshc's own rule
 *     userdata next to nft's comment; nft does not print it, so `nft list`
 *     shows exactly the renderer's comment;
 *   - an interval set holds each prefix as its own range (no auto-merge),
 *     so elements read back as the plan's prefixes; a prefix inside
 *     another of the same set is left out (the outer one matches);
 *   - sets, elements and rules carry no `why`, location or name; plan
 *     names stay unprefixed ("mesh4"), the part's prefix exists only in
 *     the kernel.
 * Anything else in the part (a foreign set or chain, a changed hook or
 * policy, a missing set) or legacy objects in the table add an "unknown"
 * rule, so the part is replaced.  A firewall with "unknown" rules (read
 * back, then restored) is synced without them: they are never turned
 * into the drop they stand for.
 */
#ifndef MESHC_APPLY_NFT_H
#define MESHC_APPLY_NFT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "diff/diff.h"
#include "plan/plan.h"

#define MESHC_NFT_MARK "managed by meshc"

/* The table as one interface sees it. */
enum nft_table_state {
	NFT_TABLE_ABSENT,	/* nothing of this interface's: no table, or a
				 * marked table with only other parts */
	NFT_TABLE_OURS,		/* a marked table holding this interface's
				 * part or legacy objects */
	NFT_TABLE_FOREIGN,	/* a table of meshc's name without the mark */
};

/* A record (nft_record.c) that at ruleset generation `gen` our table, with
 * handle `handle`, held exactly `fw`.  The kernel bumps the generation on
 * every committed change in the network namespace, and a table made anew
 * gets a new handle: while both still match, the table is still `fw`. */
struct nft_trust {
	uint32_t gen;
	uint64_t handle;
	const struct plan_firewall *fw;
};

/* How a read went, and what nft_sync needs to change exactly this
 * interface's part: the generation the table was read at (the batch
 * carries it), whether the firewall was taken from the trust record
 * instead of dumped, and the objects the part's replacement deletes. */
struct nft_seen {
	uint32_t gen;
	bool trusted;
	const char *iface;	/* whose part was read */
	bool table;		/* a marked table exists */
	bool others;		/* it holds other interfaces' parts */
	const char **chains;	/* full names: this part's chains, then */
	size_t n_chains;	/* legacy ones */
	const char **sets;	/* likewise for sets */
	size_t n_sets;
	size_t n_legacy;	/* legacy objects among them */
};

/* The longest object name meshc makes: "IFACE/lan_access6". */
#define NFT_NAME_MAX 48

/* "IFACE/NAME" into buf: the kernel name of a part's object. */
const char *nft_part_name(char buf[NFT_NAME_MAX], const char *iface,
			  const char *name);

/* Read iface's part of `table inet meshc` into *fw (arena arrays, sets
 * named like the compiler names them, rules in chain order).  *state
 * says whether the table holds anything of iface's; *fw is filled only
 * for NFT_TABLE_OURS.  With a trust record (may be NULL) that still
 * holds, *fw is a copy of trust->fw and no element or rule is dumped.
 * 0 or -errno (reported). */
int nft_read(struct arena *a, const char *iface, struct plan_firewall *fw,
	     enum nft_table_state *state, const struct nft_trust *trust,
	     struct nft_seen *seen);

/* The ruleset generation now, and the handle of our table (0: no table,
 * or not ours).  0 or -errno (not reported). */
int nft_ident(uint32_t *gen, uint64_t *handle);

/* Make seen->iface's part of the kernel's table equal `want` in one
 * transaction (state and seen: what nft_read said):
 *   want == NULL          remove the part (down); so does a want without
 *                         rules meshc can make (the firewall nft_read
 *                         leaves for a system without the part, e.g. a
 *                         rollback target); with no other part left the
 *                         table goes, in the same transaction;
 *   table absent          create it with its mark, and the part;
 *   only set elements differ (cs has no LAYER_FIREWALL_RULES change, the
 *   part exists, no legacy object): add/remove just those elements;
 *   otherwise             delete the part's chains and sets (and legacy
 *                         objects) and make the part anew, in one batch.
 * cs is the change set of diff_plans(live, want) (may be NULL: treat as
 * "everything differs").  Refuses (-EEXIST, reported) a foreign table.
 * The batch carries seen->gen: when the ruleset changed since the read,
 * the kernel refuses it and nft_sync reads the part again and retries
 * (a few times) with a whole replacement.  On a kernel error nothing
 * changed (the transaction aborted); the error is reported with the rule
 * or set it concerns (extended ACK, sequence number mapped back to the
 * object).  *batches (may be NULL) counts the transactions committed.
 * 0 or -errno. */
int nft_sync(enum nft_table_state state, const struct nft_seen *seen,
	     const struct plan_firewall *want, const struct changeset *cs,
	     unsigned *batches);

#endif
