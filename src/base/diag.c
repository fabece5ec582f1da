#include "base/diag.h"

#include "base/strbuf.h"

#include <stdlib.h>
#include <string.h>

void diags_init(struct diags *d, struct arena *a)
{
	memset(d, 0, sizeof(*d));
	d->arena = a;
}

void diag_vadd(struct diags *d, enum diag_level level, struct loc loc,
	       const char *fmt, va_list ap)
{
	struct diag *g = arena_push(d->arena, &d->items, &d->count, &d->cap,
				    sizeof(*g));

	g->level = level;
	g->loc = loc;
	g->msg = arena_vprintf(d->arena, fmt, ap);
	g->seq = d->count - 1;
	if (level == DIAG_ERROR)
		d->errors++;
	else if (level == DIAG_WARNING)
		d->warnings++;
}

void diag_add(struct diags *d, enum diag_level level, struct loc loc,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, level, loc, fmt, ap);
	va_end(ap);
}

int loc_cmp(const struct loc *a, const struct loc *b)
{
	int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	return 0;
}

static int diag_cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int c = loc_cmp(&a->loc, &b->loc);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diags_sort(struct diags *d)
{
	size_t i, out = 0;

	if (d->count > 1)
		qsort(d->items, d->count, sizeof(*d->items), diag_cmp);
	/* Two stages may notice the same thing at the same place. */
	for (i = 0; i < d->count; i++) {
		if (out && d->items[out - 1].level == d->items[i].level &&
		    !loc_cmp(&d->items[out - 1].loc, &d->items[i].loc) &&
		    !strcmp(d->items[out - 1].msg, d->items[i].msg)) {
			if (d->items[i].level == DIAG_ERROR)
				d->errors--;
			else if (d->items[i].level == DIAG_WARNING)
				d->warnings--;
			continue;
		}
		d->items[out++] = d->items[i];
	}
	d->count = out;
}

const char *loc_str(struct loc loc, char *buf, size_t size)
{
	const char *file = loc.file ? loc.file : "<input>";

	if (loc.line)
		snprintf(buf, size, "%s:%u:%u", file, loc.line, loc.col);
	else
		snprintf(buf, size, "%s", file);
	return buf;
}

static const struct source *find_source(const struct source *srcs, size_t n,
					const char *name)
{
	size_t i;

	for (i = 0; name && i < n; i++)
		if (srcs[i].name && !strcmp(srcs[i].name, name))
			return &srcs[i];
	return NULL;
}

/* Quote one source line (control bytes shown as '?', so a hostile document
 * cannot drive the terminal) and a caret under the column. */
static void print_source_line(struct strbuf *out, const struct source *src,
			      struct loc loc, bool color)
{
	const char *p = src->text, *end = src->text + src->len, *eol;
	unsigned line = 1, i;

	while (line < loc.line && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			return;
		p = nl + 1;
		line++;
	}
	if (line != loc.line || p > end)
		return;
	eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end;
	if (eol - p > 400)	/* a huge line is not worth quoting whole */
		eol = p + 400;
	strbuf_puts(out, "  ");
	for (const char *q = p; q < eol; q++) {
		unsigned char c = (unsigned char)*q;

		strbuf_putc(out, c == '\t' || (c >= 0x20 && c != 0x7f) ? (char)c
								      : '?');
	}
	strbuf_puts(out, "\n  ");
	for (i = 1; i < loc.col && p + i - 1 < eol; i++)
		strbuf_putc(out, p[i - 1] == '\t' ? '\t' : ' ');
	strbuf_puts(out, color ? "\033[1;32m^\033[0m\n" : "^\n");
}

/* Messages quote document text; control bytes must not reach a terminal. */
static void put_sanitized(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		strbuf_putc(out, c >= 0x20 && c != 0x7f ? (char)c : '?');
	}
}

/* Everything goes through one buffer: stderr is unbuffered, and tens of
 * thousands of warnings written byte by byte cost seconds. */
void diags_print(const struct diags *d, FILE *out, const struct source *srcs,
		 size_t n_srcs, const struct diag_style *style)
{
	static const char *const names[] = { "error", "warning", "note" };
	static const char *const colors[] = { "\033[1;31m", "\033[1;35m",
					      "\033[1;36m" };
	struct strbuf sb = STRBUF_INIT;
	char where[1024];

	for (size_t i = 0; i < d->count; i++) {
		const struct diag *g = &d->items[i];
		const struct source *src;

		if (style->quiet_warnings && g->level != DIAG_ERROR)
			continue;
		loc_str(g->loc, where, sizeof(where));
		if (style->color)
			strbuf_printf(&sb, "\033[1m%s:\033[0m %s%s:\033[0m ",
				      where, colors[g->level], names[g->level]);
		else
			strbuf_printf(&sb, "%s: %s: ", where, names[g->level]);
		put_sanitized(&sb, g->msg);
		strbuf_putc(&sb, '\n');
		src = find_source(srcs, n_srcs, g->loc.file);
		if (style->show_source && src && g->loc.line)
			print_source_line(&sb, src, g->loc, style->color);
		if (sb.len > 1 << 16) {
			strbuf_write(&sb, out);
			strbuf_reset(&sb);
		}
	}
	strbuf_write(&sb, out);
	strbuf_free(&sb);
}
