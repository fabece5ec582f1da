/* yaml_hint.c - what a YAML syntax error most likely is (see yaml_hint.h).
 *
 * The text is read line by line up to the line libyaml stopped at, with
 * the block structure a reader sees: the indentation levels that are
 * open.  A line may line up with an open level (a sibling, or back out
 * to an outer one), or go deeper only under a line that opens a block
 * (ends in ':' or is a '-' item).  The first line that does neither is
 * the one that broke the document.  Flow collections and block scalars
 * are skipped: their lines do not take part in the block structure.
 */
#include "load/yaml_hint.h"

#include <string.h>

#include "base/strbuf.h"

/* Deeper than any document the loader accepts (LOAD_MAX_DEPTH). */
#define HINT_MAX_LEVELS 128

struct text_line {
	unsigned no;		/* 1-based */
	size_t start, end;	/* [start, end): without the line break */
	size_t indent;		/* leading spaces */
	size_t content;		/* first byte after them */
	size_t content_end;	/* without a comment and trailing blanks */
};

static size_t line_at(const char *s, size_t len, size_t i,
		      struct text_line *l)
{
	size_t j = i;

	l->start = i;
	while (j < len && s[j] != '\n' && s[j] != '\r')
		j++;
	l->end = j;
	l->indent = 0;
	while (i + l->indent < j && s[i + l->indent] == ' ')
		l->indent++;
	l->content = i + l->indent;
	if (j < len && s[j] == '\r' && j + 1 < len && s[j + 1] == '\n')
		return j + 2;
	return j < len ? j + 1 : len + 1;
}

/* The end of the line's content: before a comment (a '#' after a blank,
 * outside quotes) and trailing blanks.  *depth follows the flow
 * brackets outside quotes. */
static void scan_content(const char *s, struct text_line *l, int *depth)
{
	char quote = 0;
	size_t i, end = l->end;

	for (i = l->content; i < l->end; i++) {
		char c = s[i];

		if (quote) {
			if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '"' || c == '\'')
			quote = c;
		else if (c == '#' && (i == l->content || s[i - 1] == ' ' ||
				      s[i - 1] == '\t')) {
			end = i;
			break;
		} else if (c == '[' || c == '{')
			(*depth)++;
		else if ((c == ']' || c == '}') && *depth > 0)
			(*depth)--;
	}
	while (end > l->content && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	l->content_end = end;
}

static bool is_item(const char *s, const struct text_line *l)
{
	return s[l->content] == '-' &&
	       (l->content + 1 == l->content_end || s[l->content + 1] == ' ');
}

/* Does the line open a block below it: "key:", "-", "- key:"? */
static bool opens_block(const char *s, const struct text_line *l)
{
	return l->content_end > l->content && s[l->content_end - 1] == ':';
}

/* "key: |" or "key: >-": the lines below that are deeper are text. */
static bool opens_block_scalar(const char *s, const struct text_line *l)
{
	size_t e = l->content_end;

	while (e > l->content && strchr("+-0123456789", s[e - 1]))
		e--;
	return e > l->content && (s[e - 1] == '|' || s[e - 1] == '>') &&
	       (e - 1 == l->content || s[e - 2] == ' ');
}

static bool blank_or_comment(const char *s, const struct text_line *l)
{
	return l->content == l->end || s[l->content] == '#';
}

/* ---- the causes ---------------------------------------------------------- */

static bool tab_hint(struct arena *a, const char *s, const struct text_line *l,
		     struct yaml_hint *out)
{
	const char *tab = memchr(s + l->start, '\t', l->end - l->start);

	if (!tab)
		return false;
	out->at = (size_t)(tab - s);
	out->text = arena_printf(a, "a tab character: YAML indents with "
				    "spaces only (replace the tab on line %u "
				    "with spaces)",
				 l->no);
	return true;
}

/* An endpoint "[v6]:port" written without quotes is a flow sequence
 * followed by ":port" to YAML. */
static bool bracket_hint(struct arena *a, const char *s,
			 const struct text_line *l, struct yaml_hint *out)
{
	const char *p = s + l->content, *end = s + l->end;

	for (; p + 1 < end; p++) {
		const char *close;

		if (p[0] != ':' || p[1] != ' ')
			continue;
		while (p < end && (*p == ':' || *p == ' '))
			p++;
		if (p >= end || *p != '[')
			return false;
		close = memchr(p, ']', (size_t)(end - p));
		if (!close || close + 1 >= end || close[1] != ':' ||
		    !memchr(p, ':', (size_t)(close - p)))
			return false;
		out->at = (size_t)(p - s);
		out->text = arena_printf(
			a, "an IPv6 endpoint must be quoted, or YAML reads the "
			   "brackets as a list: write \"%.*s\"",
			(int)(l->content_end - (size_t)(p - s)), p);
		return true;
	}
	return false;
}

struct levels {
	size_t v[HINT_MAX_LEVELS];
	size_t n;
};

static const char *levels_text(struct arena *a, const struct levels *lv)
{
	const char *t = "";

	for (size_t i = 0; i < lv->n; i++)
		t = arena_printf(a, "%s%s%zu", t,
				 i == 0 ? "" : i + 1 < lv->n ? ", " : " or ",
				 lv->v[i]);
	return t;
}

static void indent_hint(struct arena *a, const struct text_line *l,
			const struct text_line *prev, const struct levels *lv,
			struct yaml_hint *out)
{
	out->at = l->content;
	if (l->indent > prev->indent)
		out->text = arena_printf(
			a, "line %u is indented %zu %s, deeper than line "
			   "%u (%zu) which holds a value, not a block: a key "
			   "lines up with the keys above it",
			l->no, l->indent, plural(l->indent, "space", "spaces"),
			prev->no, prev->indent);
	else
		out->text = arena_printf(
			a, "line %u is indented %zu %s, which lines up "
			   "with no key above it (they are at %s)",
			l->no, l->indent, plural(l->indent, "space", "spaces"),
			levels_text(a, lv));
}

/* One line of the block structure; false (and lv as it was) when it
 * breaks it. */
static bool take_line(struct levels *lv, const char *s,
		      const struct text_line *l, bool prev_opens)
{
	size_t n = lv->n;

	while (n && lv->v[n - 1] > l->indent)
		n--;
	if (n && lv->v[n - 1] < l->indent && !prev_opens)
		return false;
	lv->n = n;
	if (!n || lv->v[n - 1] < l->indent) {
		if (lv->n == HINT_MAX_LEVELS)
			return true;	/* deeper than any document: no hint */
		lv->v[lv->n++] = l->indent;
	}
	/* an item's own keys line up after its "- " */
	if (is_item(s, l) && lv->n < HINT_MAX_LEVELS &&
	    l->content_end > l->content + 2)
		lv->v[lv->n++] = l->indent + 2;
	return true;
}

static bool structural(const char *problem)
{
	return !strstr(problem, "cannot start any token");
}

bool yaml_hint_find(struct arena *a, const char *s, size_t len,
		    size_t err_line, const char *problem,
		    struct yaml_hint *out)
{
	struct levels lv = { .n = 0 };
	struct text_line l = { 0 }, prev = { 0 };
	bool prev_opens = true, in_scalar = false;
	size_t scalar_indent = 0, i = 0;
	int depth = 0;

	for (unsigned no = 1; i <= len && no <= err_line + 1; no++) {
		int depth_before = depth;

		i = line_at(s, len, i, &l);
		l.no = no;
		if (no == err_line + 1) {
			struct text_line e = l;
			int ignored = 0;

			out->line = no;
			out->line_start = l.start;
			if (tab_hint(a, s, &l, out))
				return true;
			scan_content(s, &e, &ignored);
			if (bracket_hint(a, s, &e, out))
				return true;
		}
		if (blank_or_comment(s, &l))
			continue;
		if (in_scalar && l.indent > scalar_indent)
			continue;
		in_scalar = false;
		scan_content(s, &l, &depth);
		if (depth_before > 0)
			continue;	/* inside a flow collection */
		if (!strncmp(s + l.content, "---", 3) ||
		    !strncmp(s + l.content, "...", 3)) {
			lv.n = 0;
			prev_opens = true;
			continue;
		}
		if (structural(problem) && !take_line(&lv, s, &l, prev_opens)) {
			out->line = no;
			out->line_start = l.start;
			indent_hint(a, &l, &prev, &lv, out);
			return true;
		}
		prev_opens = opens_block(s, &l) ||
			     (is_item(s, &l) && l.content_end == l.content + 1);
		if (opens_block_scalar(s, &l)) {
			in_scalar = true;
			scalar_indent = l.indent;
		}
		prev = l;
	}
	return false;
}
