/* nft.h - meshc's nftables table (`table inet meshc`) with libnftnl.
 *
 * The whole firewall change goes to the kernel as ONE batch (one
 * transaction): either all of it holds or none.  The table carries
 * meshc's mark (table userdata comment "managed by meshc"); a table of
 * that name without the mark is foreign and is neither read into a plan
 * nor changed.
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
 *   - sets, elements and rules carry no `why`, location or name.
 * Anything else in the table (a foreign set or chain, a changed hook or
 * policy, a missing set) adds an "unknown" rule, so the table is replaced.
 * A firewall with "unknown" rules (read back, then restored) is synced
 * without them: they are never turned into the drop they stand for.
 */
#ifndef MESHC_APPLY_NFT_H
#define MESHC_APPLY_NFT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "diff/diff.h"
#include "plan/plan.h"

#define MESHC_NFT_MARK "managed by meshc"

enum nft_table_state {
	NFT_TABLE_ABSENT,
	NFT_TABLE_OURS,
	NFT_TABLE_FOREIGN,
};

/* A record (nft_mark.c) that at ruleset generation `gen` our table, with
 * handle `handle`, held exactly `fw`.  The kernel bumps the generation on
 * every committed change in the network namespace, and a table made anew
 * gets a new handle: while both still match, the table is still `fw`. */
struct nft_trust {
	uint32_t gen;
	uint64_t handle;
	const struct plan_firewall *fw;
};

/* How a read went: the generation the table was read at, and whether it
 * was taken from the trust record instead of dumped. */
struct nft_seen {
	uint32_t gen;
	bool trusted;
};

/* Read `table inet meshc` into *fw (arena arrays, sets named like the
 * compiler names them, rules in chain order).  *state says whether the
 * table exists and is ours; *fw is filled only for NFT_TABLE_OURS.  With
 * a trust record (may be NULL) that still holds, *fw is a copy of
 * trust->fw and nothing is dumped.  0 or -errno (reported). */
int nft_read(struct arena *a, struct plan_firewall *fw,
	     enum nft_table_state *state, const struct nft_trust *trust,
	     struct nft_seen *seen);

/* The ruleset generation now, and the handle of our table (0: no table,
 * or not ours).  0 or -errno (not reported). */
int nft_ident(uint32_t *gen, uint64_t *handle);

/* Make the kernel's table equal `want` in one transaction:
 *   want == NULL          delete the table (down); so does a want without
 *                         rules (the firewall nft_read leaves for a system
 *                         without the table, e.g. a rollback target);
 *   table absent          create it whole;
 *   only set elements differ (cs has no LAYER_FIREWALL_RULES change and
 *   the table exists): add/remove just those elements;
 *   otherwise             delete and re-create the table in the same batch.
 * cs is the change set of diff_plans(live, want) (may be NULL: treat as
 * "everything differs").  Refuses (-EEXIST, reported) a foreign table.
 * On a kernel error nothing changed (the transaction aborted); the error
 * is reported with the rule or set it concerns (extended ACK, sequence
 * number mapped back to the object).  *batches (may be NULL) counts the
 * transactions sent.  0 or -errno. */
int nft_sync(enum nft_table_state state, const struct plan_firewall *want,
	     const struct changeset *cs, unsigned *batches);

#endif
