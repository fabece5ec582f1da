/* tree.c - bytes -> checked UTF-8 -> libyaml events -> struct ynode tree.
 *
 * Everything that makes a document mean more than one thing, or cost more
 * than its size, is stopped here: bad UTF-8, stray BOMs, tags, a second
 * document, and the limits (depth, scalar length, values after alias
 * expansion).  Aliases are shared subtrees whose expanded size is known,
 * so an alias bomb is counted in O(1) per alias and fails at once.
 */
#include "load/tree.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "base/strmap.h"
#include "load/load.h"
#include "load/yaml_hint.h"

/* Line breaks as libyaml counts them, so that our positions and its marks
 * agree: CR LF, CR, LF, and U+2028/U+2029.  (NEL is refused earlier.)
 * Returns the length of the break at s[i], or 0. */
static size_t break_len(const uint8_t *s, size_t len, size_t i)
{
	if (s[i] == '\n')
		return 1;
	if (s[i] == '\r')
		return i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
	if (s[i] == 0xe2 && i + 2 < len && s[i + 1] == 0x80 &&
	    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
		return 3;
	return 0;
}

/* Length of the UTF-8 sequence at s (already validated). */
static size_t utf8_width(uint8_t c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xe0)
		return 2;
	return c < 0xf0 ? 3 : 4;
}

/* Decode one strict UTF-8 sequence (no overlongs, no surrogates, at most
 * U+10FFFF); its length, or 0 when invalid. */
static size_t utf8_decode(const uint8_t *s, size_t avail, uint32_t *cp)
{
	uint8_t c = s[0];
	uint32_t v, min;
	size_t n, k;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3f);
	}
	if (v < min || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
		return 0;
	*cp = v;
	return n;
}

static struct loc byte_loc(const char *file, unsigned line, size_t line_start,
			   size_t i)
{
	struct loc l = { file, line, 0 };
	size_t col = i - line_start + 1;

	l.col = col > UINT32_MAX ? UINT32_MAX : (unsigned)col;
	return l;
}

/* Where byte i is: its line and column, counted from the start (only
 * when there is something to report there). */
static struct loc prescan_loc(const uint8_t *s, size_t len, const char *file,
			      size_t i)
{
	size_t j = 0, line_start = 0, br;
	unsigned line = 1;

	while (j < i) {
		br = break_len(s, len, j);
		if (br) {
			j += br;
			line++;
			line_start = j;
		} else {
			j++;
		}
	}
	return byte_loc(file, line, line_start, i);
}

/* Bytes that need no second look: printable ASCII, tab and LF. */
static bool prescan_plain(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n';
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Are the 8 bytes at s all printable ASCII (0x20-0x7e)?  Most of a
 * document's words are; the others (a line break, a tab, UTF-8) go
 * through prescan's byte loop.  For bytes below 0x80, b + 0x60 keeps
 * bit 7 clear exactly when b < 0x20, and b + 0x01 sets it exactly when
 * b == 0x7f; no sum carries into the next byte. */
static bool prescan_word_plain(const uint8_t *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof(w));
	if (w & HIGHS)
		return false;
	return !((~(w + 0x60 * ONES) | (w + ONES)) & HIGHS);
}

/* Refuse what libyaml would misread or read differently from an editor,
 * before it sees a byte.  Stops at the first problem.  The loop runs over
 * every byte of the document, so it only classifies (8 bytes at a time
 * where it can: it was a twentieth of a compile byte by byte); positions
 * are worked out when there is an error to place. */
static int prescan(const uint8_t *s, size_t len, const char *file,
		   struct diags *d, bool *ascii)
{
	size_t i = 0, n, bytewise_to = 0;
	uint32_t cp;

	*ascii = true;
	while (i < len) {
		if (i >= bytewise_to) {
			if (len - i >= 8 && prescan_word_plain(s + i)) {
				i += 8;
				continue;
			}
			bytewise_to = i + 8;
		}
		if (prescan_plain(s[i]) || s[i] == '\r') {
			i++;
			continue;
		}
		if (s[i] < 0x80) {
			struct loc here = prescan_loc(s, len, file, i);

			if (s[i] == 0)
				diag_error(d, here, "NUL byte in document");
			else
				diag_error(d, here,
					   "control character 0x%02x is not "
					   "allowed",
					   s[i]);
			return -1;
		}
		*ascii = false;
		n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			diag_error(d, prescan_loc(s, len, file, i),
				   "invalid UTF-8 byte 0x%02x", s[i]);
			return -1;
		}
		if (cp == 0xfeff) {
			diag_error(d, prescan_loc(s, len, file, i),
				   "byte order mark is only allowed at the "
				   "start of the file");
			return -1;
		}
		if (cp < 0xa0) {
			diag_error(d, prescan_loc(s, len, file, i),
				   "control character U+%04X is not allowed",
				   (unsigned)cp);
			return -1;
		}
		if (cp == 0xfffe || cp == 0xffff) {
			diag_error(d, prescan_loc(s, len, file, i),
				   "U+%04X is not a character", (unsigned)cp);
			return -1;
		}
		i += n;
	}
	return 0;
}

/* libyaml marks count characters; columns are reported in bytes.  The
 * conversion keeps a cursor because marks arrive in document order, which
 * keeps it linear in the document size (mark.index is not usable: libyaml
 * counts a CR LF inside a scalar as one character). */
struct posmap {
	const uint8_t *s;
	size_t len;
	bool ascii;
	size_t line;		/* 0-based line of line_start */
	size_t line_start;
	size_t col_chr, col_byte;	/* a position on that line */
};

static void posmap_seek_line(struct posmap *pm, size_t line)
{
	size_t i;

	if (line < pm->line) {
		pm->line = 0;
		pm->line_start = 0;
	}
	i = pm->line_start;
	while (pm->line < line && i < pm->len) {
		size_t br = break_len(pm->s, pm->len, i);

		if (br) {
			i += br;
			pm->line++;
			pm->line_start = i;
		} else {
			i += utf8_width(pm->s[i]);
		}
	}
	pm->col_chr = 0;
	pm->col_byte = pm->line_start;
}

static unsigned posmap_col(struct posmap *pm, size_t line, size_t col)
{
	size_t bytes;

	if (pm->ascii) {
		bytes = col;
	} else {
		if (line != pm->line || col < pm->col_chr)
			posmap_seek_line(pm, line);
		while (pm->col_chr < col && pm->col_byte < pm->len) {
			pm->col_byte += utf8_width(pm->s[pm->col_byte]);
			pm->col_chr++;
		}
		bytes = pm->col_byte - pm->line_start;
	}
	return bytes >= UINT32_MAX ? UINT32_MAX : (unsigned)bytes + 1;
}

struct frame {
	struct ynode *node;
	size_t first;		/* its first child in pending */
};

struct builder {
	struct arena *a;	/* the tree */
	struct arena *text;	/* scalar texts: the model keeps them */
	struct diags *d;
	const char *file;
	struct posmap pos;
	struct frame stack[LOAD_MAX_DEPTH];
	unsigned depth;
	/* children of the open collections, innermost last (malloc) */
	struct ynode **pending;
	size_t n_pending, cap_pending;
	/* anchor name -> index into anchor_nodes (redefinition replaces) */
	struct strmap anchors;
	struct ynode **anchor_nodes;
	size_t n_anchors, cap_anchors;
	size_t values;
	struct ynode *root;
	unsigned documents;
};

enum step { STEP_MORE, STEP_STOP, STEP_FATAL };

static struct loc mark_loc(struct builder *b, yaml_mark_t m)
{
	struct loc l = { b->file, 0, 0 };

	l.line = m.line >= UINT32_MAX ? UINT32_MAX : (unsigned)m.line + 1;
	l.col = posmap_col(&b->pos, m.line, m.column);
	return l;
}

static void pending_push(struct builder *b, struct ynode *n)
{
	if (b->n_pending == b->cap_pending) {
		size_t cap = b->cap_pending ? b->cap_pending * 2 : 64;
		struct ynode **p;

		if (cap > SIZE_MAX / sizeof(*p))
			abort();
		p = realloc(b->pending, cap * sizeof(*p));
		if (!p) {
			fprintf(stderr, "meshc: out of memory\n");
			abort();
		}
		b->pending = p;
		b->cap_pending = cap;
	}
	b->pending[b->n_pending++] = n;
}

/* A finished node goes to its parent, or becomes the root. */
static void deliver(struct builder *b, struct ynode *n)
{
	if (b->depth)
		pending_push(b, n);
	else
		b->root = n;
}

/* Account for n more values; false (after the error) past the limit.
 * b->values never exceeds the limit by more than one step, and every
 * subtree count is at most b->values, so nothing here can overflow. */
static bool count_values(struct builder *b, size_t n, struct loc l,
			 bool alias)
{
	if (n > LOAD_MAX_VALUES - b->values) {
		if (alias)
			diag_error(b->d, l,
				   "document expands to more than %u values "
				   "(alias expansion)",
				   LOAD_MAX_VALUES);
		else
			diag_error(b->d, l, "document has more than %u values",
				   LOAD_MAX_VALUES);
		return false;
	}
	b->values += n;
	return true;
}

static struct ynode *new_node(struct builder *b, enum ynode_kind kind,
			      struct loc l)
{
	struct ynode *n = arena_alloc(b->a, sizeof(*n));

	n->kind = (uint8_t)kind;
	n->values = 1;
	n->line = l.line;
	n->col = l.col;
	return n;
}

/* A scalar that stands in for a value already reported as wrong. */
static struct ynode *bad_scalar(struct builder *b, struct loc l)
{
	struct ynode *n = new_node(b, Y_SCALAR, l);

	n->plain = true;
	n->bad = true;
	n->s.text = "";
	return n;
}

static void check_tag(struct builder *b, const yaml_char_t *tag,
		      struct loc l)
{
	static const char yaml_org[] = "tag:yaml.org,2002:";
	const char *t = (const char *)tag;

	if (!t)
		return;
	if (!strncmp(t, yaml_org, sizeof(yaml_org) - 1))
		diag_error(b->d, l, "tags are not allowed ('!!%s')",
			   t + sizeof(yaml_org) - 1);
	else
		diag_error(b->d, l, "tags are not allowed ('%s')", t);
}

static void anchor_set(struct builder *b, const yaml_char_t *anchor,
		       struct ynode *n)
{
	const char *name = (const char *)anchor;
	struct ynode **slot;
	size_t idx;

	if (!name)
		return;
	if (strmap_get(&b->anchors, name, &idx)) {
		b->anchor_nodes[idx] = n;
		return;
	}
	slot = arena_push(b->a, &b->anchor_nodes, &b->n_anchors,
			  &b->cap_anchors, sizeof(*slot));
	*slot = n;
	strmap_put(&b->anchors, arena_strdup(b->a, name), b->n_anchors - 1);
}

static enum step on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct loc l = mark_loc(b, ev->start_mark);
	size_t len = ev->data.scalar.length;
	struct ynode *n;
	char *text;

	check_tag(b, ev->data.scalar.tag, l);
	if (len > LOAD_MAX_SCALAR) {
		diag_error(b->d, l, "scalar longer than %u KiB",
			   LOAD_MAX_SCALAR / 1024);
		return STEP_FATAL;
	}
	if (!count_values(b, 1, l, false))
		return STEP_FATAL;
	n = new_node(b, Y_SCALAR, l);
	text = arena_strndup(b->text, (const char *)ev->data.scalar.value, len);
	n->s.text = text;
	n->s.len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	n->block = ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
		   ev->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
	/* Only an escape ("\0") can put a NUL here (prescan refused NUL
	 * bytes): names and paths are C strings, so it would silently cut
	 * them short. */
	if (ev->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
	    memchr(text, '\0', len)) {
		diag_error(b->d, l, "NUL character in a string is not allowed");
		n->bad = true;
	}
	anchor_set(b, ev->data.scalar.anchor, n);
	deliver(b, n);
	return STEP_MORE;
}

static enum step on_collection_start(struct builder *b, const yaml_event_t *ev,
				     enum ynode_kind kind)
{
	struct loc l = mark_loc(b, ev->start_mark);
	const yaml_char_t *tag, *anchor;
	struct ynode *n;

	if (kind == Y_MAP) {
		tag = ev->data.mapping_start.tag;
		anchor = ev->data.mapping_start.anchor;
	} else {
		tag = ev->data.sequence_start.tag;
		anchor = ev->data.sequence_start.anchor;
	}
	check_tag(b, tag, l);
	if (b->depth == LOAD_MAX_DEPTH) {
		diag_error(b->d, l, "nesting deeper than %d levels",
			   LOAD_MAX_DEPTH);
		return STEP_FATAL;
	}
	if (!count_values(b, 1, l, false))
		return STEP_FATAL;
	n = new_node(b, kind, l);
	anchor_set(b, anchor, n);
	b->stack[b->depth].node = n;
	b->stack[b->depth].first = b->n_pending;
	b->depth++;
	return STEP_MORE;
}

static enum step on_collection_end(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];
	struct ynode *n = f->node;
	size_t k = b->n_pending - f->first, i;
	uint64_t values = 1;

	if (k) {
		n->c.kids = arena_calloc(b->a, k, sizeof(*n->c.kids));
		memcpy(n->c.kids, b->pending + f->first,
		       k * sizeof(*n->c.kids));
	}
	n->c.n = k;
	for (i = 0; i < k; i++)
		values += n->c.kids[i]->values;
	n->values = (uint32_t)values;	/* <= b->values <= LOAD_MAX_VALUES */
	n->done = true;
	b->n_pending = f->first;
	deliver(b, n);
	return STEP_MORE;
}

static enum step on_alias(struct builder *b, const yaml_event_t *ev)
{
	struct loc l = mark_loc(b, ev->start_mark);
	const char *name = (const char *)ev->data.alias.anchor;
	struct ynode *target, *n;
	size_t idx;

	if (!strmap_get(&b->anchors, name, &idx)) {
		diag_error(b->d, l, "unknown alias '*%s'", name);
		goto out_bad;
	}
	target = b->anchor_nodes[idx];
	if (target->kind != Y_SCALAR && !target->done) {
		diag_error(b->d, l,
			   "alias '*%s' is inside the node it refers to",
			   name);
		goto out_bad;
	}
	if (!count_values(b, target->values, l, true))
		return STEP_FATAL;
	if (target->kind == Y_SCALAR) {
		/* A scalar is one value: a copy that points at the alias
		 * costs nothing and gives better positions. */
		n = arena_alloc(b->a, sizeof(*n));
		*n = *target;
		n->line = l.line;
		n->col = l.col;
		deliver(b, n);
	} else {
		/* A shallow copy (the children stay shared) so that what is
		 * wrong with this use can be reported here, not at the
		 * anchor, which may be fine where it stands. */
		n = arena_alloc(b->a, sizeof(*n));
		*n = *target;
		n->line = l.line;
		n->col = l.col;
		n->alias = true;
		deliver(b, n);
	}
	return STEP_MORE;

out_bad:
	if (!count_values(b, 1, l, false))
		return STEP_FATAL;
	deliver(b, bad_scalar(b, l));
	return STEP_MORE;
}

static enum step on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1) {
			diag_error(b->d, mark_loc(b, ev->start_mark),
				   "only one document per file");
			return STEP_STOP;
		}
		return STEP_MORE;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_collection_start(b, ev, Y_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev, Y_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_collection_end(b);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_STREAM_END_EVENT:
		return STEP_STOP;
	default:
		return STEP_MORE;
	}
}

/* A reader error carries a byte offset, not a mark. */
static struct loc offset_loc(const struct builder *b, size_t off)
{
	size_t i = 0, line_start = 0, br;
	unsigned line = 1;

	if (off > b->pos.len)
		off = b->pos.len;
	while (i < off) {
		br = break_len(b->pos.s, b->pos.len, i);
		if (br) {
			i += br;
			line++;
			line_start = i;
		} else {
			i++;
		}
	}
	return byte_loc(b->file, line, line_start, off);
}

static void report_parser_error(struct builder *b, const yaml_parser_t *p)
{
	struct loc l = { b->file, 0, 0 };
	struct yaml_hint hint;
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		diag_error(b->d, l, "YAML parser ran out of memory");
		return;
	case YAML_READER_ERROR:
		l = offset_loc(b, p->problem_offset);
		break;
	default:
		l = mark_loc(b, p->problem_mark);
		break;
	}
	/* libyaml gives up on an implicit key that runs past one line or
	 * 1024 characters at the place it gave up, which may be a megabyte
	 * later; the key's start is where the fix goes. */
	if (p->error == YAML_SCANNER_ERROR && p->context &&
	    !strcmp(p->context, "while scanning a simple key")) {
		diag_error(b->d, mark_loc(b, p->context_mark),
			   "YAML syntax error: %s after this key (a key must "
			   "fit on one line, in at most 1024 characters)",
			   problem);
		return;
	}
	if (p->error != YAML_READER_ERROR &&
	    yaml_hint_find(b->text, (const char *)b->pos.s, b->pos.len,
			   p->problem_mark.line,
			   problem, &hint)) {
		diag_error(b->d, byte_loc(b->file, hint.line, hint.line_start,
					  hint.at),
			   "YAML syntax error (%s): %s", problem, hint.text);
		return;
	}
	diag_error(b->d, l, "YAML syntax error: %s", problem);
}

static struct ynode *parse_events(struct builder *b)
{
	yaml_parser_t parser;
	bool fatal = false;

	if (!yaml_parser_initialize(&parser)) {
		report_parser_error(b, &parser);
		return NULL;
	}
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&parser, b->pos.s, b->pos.len);
	for (;;) {
		yaml_event_t ev;
		enum step st;

		if (!yaml_parser_parse(&parser, &ev)) {
			report_parser_error(b, &parser);
			fatal = true;
			break;
		}
		st = on_event(b, &ev);
		yaml_event_delete(&ev);
		if (st == STEP_FATAL)
			fatal = true;
		if (st != STEP_MORE)
			break;
	}
	yaml_parser_delete(&parser);
	if (fatal)
		return NULL;
	if (!b->root) {
		/* No document at all: an empty root, so the caller reports
		 * what a document must contain. */
		struct loc l = { b->file, 1, 1 };

		b->root = new_node(b, Y_SCALAR, l);
		b->root->plain = true;
		b->root->s.text = "";
	}
	return b->root;
}

struct ynode *ytree_parse(struct arena *a, struct arena *text,
			  const struct source *src, struct diags *d)
{
	const uint8_t *s = (const uint8_t *)src->text;
	size_t len = src->len;
	struct builder *b;
	struct ynode *root;

	/* The BOM is not content: positions count from after it. */
	if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
		s += 3;
		len -= 3;
	}
	b = arena_alloc(a, sizeof(*b));
	b->a = a;
	b->text = text;
	b->d = d;
	b->file = src->name;
	b->pos.s = s;
	b->pos.len = len;
	if (prescan(s, len, src->name, d, &b->pos.ascii))
		return NULL;
	strmap_init(&b->anchors, a);
	root = parse_events(b);
	free(b->pending);
	return root;
}

bool ynode_is_null(const struct ynode *n)
{
	const char *t = n->s.text;

	/* (by length first: every plain scalar of a document comes here) */
	if (n->kind != Y_SCALAR || !n->plain)
		return false;
	if (n->s.len == 0)
		return true;
	if (n->s.len == 1)
		return t[0] == '~';
	return n->s.len == 4 && (!strcmp(t, "null") || !strcmp(t, "Null") ||
				 !strcmp(t, "NULL"));
}
