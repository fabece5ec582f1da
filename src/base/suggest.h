/* suggest.h - "did you mean": the known name a typo most likely meant.
 *
 * One measure for every hint meshc gives (document keys, node and mesh
 * names, commands, options, targets, formats): the optimal string
 * alignment distance, case-insensitive, so a swapped pair of letters
 * ("vaildate") costs one edit.  A candidate is close when at most a third
 * of the longer name differs (one-letter names never suggest each other),
 * or, failing that, when it shares a real prefix with the typo ("listen"
 * -> listen_port).  Candidates are offered one at a time, so a caller
 * with 50,000 names can stop offering when its own budget runs out.
 */
#ifndef MESHC_BASE_SUGGEST_H
#define MESHC_BASE_SUGGEST_H

#include <stddef.h>

#include "base/arena.h"

struct suggest {
	const char *name;
	size_t len;
	size_t *rows;		/* three rows of the distance table */
	size_t row_len;		/* candidates longer than this are only
				 * compared by prefix */
	const char *best;
	size_t best_score;	/* distance, or SUGGEST_PREFIX_SCORE */
	size_t best_prefix;
};

void suggest_init(struct suggest *s, struct arena *a, const char *name);
void suggest_offer(struct suggest *s, const char *cand);
/* The closest candidate offered, or NULL when none was close. */
const char *suggest_best(const struct suggest *s);

/* The closest of n names (NULL entries are skipped), or NULL. */
const char *suggest_among(struct arena *a, const char *name,
			  const char *const *names, size_t n);

#endif
