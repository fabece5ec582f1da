/* suggest.c - "did you mean" (see suggest.h). */
#include "base/suggest.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* Worse than any distance that counts as close. */
#define SUGGEST_PREFIX_SCORE ((size_t)-2)
#define SUGGEST_NONE ((size_t)-1)

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

static bool same(char a, char b)
{
	return tolower((unsigned char)a) == tolower((unsigned char)b);
}

/* Optimal string alignment distance over three rolling rows. */
static size_t osa_distance(const struct suggest *s, const char *t, size_t lt)
{
	size_t w = s->row_len + 1;
	size_t *r0 = s->rows, *r1 = s->rows + w, *r2 = s->rows + 2 * w;
	const char *a = s->name;

	for (size_t j = 0; j <= lt; j++)
		r1[j] = j;
	for (size_t i = 1; i <= s->len; i++) {
		size_t *tmp;

		r2[0] = i;
		for (size_t j = 1; j <= lt; j++) {
			size_t v = min3(r1[j] + 1, r2[j - 1] + 1,
					r1[j - 1] + !same(a[i - 1], t[j - 1]));

			if (i > 1 && j > 1 && same(a[i - 1], t[j - 2]) &&
			    same(a[i - 2], t[j - 1]) && r0[j - 2] + 1 < v)
				v = r0[j - 2] + 1;
			r2[j] = v;
		}
		tmp = r0;
		r0 = r1;
		r1 = r2;
		r2 = tmp;
	}
	return r1[lt];
}

static bool close_enough(size_t dist, size_t la, size_t lb)
{
	size_t longer = la > lb ? la : lb;

	return dist * 3 <= longer;
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;

	while (a[n] && same(a[n], b[n]))
		n++;
	return n;
}

void suggest_init(struct suggest *s, struct arena *a, const char *name)
{
	s->name = name;
	s->len = strlen(name);
	/* A close candidate is at most half as long again as the name. */
	s->row_len = s->len + s->len / 2 + 1;
	s->rows = arena_calloc(a, 3 * (s->row_len + 1), sizeof(size_t));
	s->best = NULL;
	s->best_score = SUGGEST_NONE;
	s->best_prefix = 0;
}

void suggest_offer(struct suggest *s, const char *cand)
{
	size_t lc, diff, cp, shorter, score = SUGGEST_NONE;

	if (!cand)
		return;
	lc = strlen(cand);
	diff = lc > s->len ? lc - s->len : s->len - lc;
	if (lc <= s->row_len && diff < s->best_score &&
	    close_enough(diff, lc, s->len)) {
		size_t dist = osa_distance(s, cand, lc);

		if (close_enough(dist, lc, s->len))
			score = dist;
	}
	cp = common_prefix(s->name, cand);
	shorter = lc < s->len ? lc : s->len;
	if (score == SUGGEST_NONE && (cp >= 4 || (cp >= 3 && cp == shorter)))
		score = SUGGEST_PREFIX_SCORE;
	if (score < s->best_score ||
	    (score == s->best_score && score == SUGGEST_PREFIX_SCORE &&
	     cp > s->best_prefix)) {
		s->best = cand;
		s->best_score = score;
		s->best_prefix = cp;
	}
}

const char *suggest_best(const struct suggest *s)
{
	return s->best;
}

const char *suggest_among(struct arena *a, const char *name,
			  const char *const *names, size_t n)
{
	struct suggest s;

	suggest_init(&s, a, name);
	for (size_t i = 0; i < n; i++)
		suggest_offer(&s, names[i]);
	return suggest_best(&s);
}
