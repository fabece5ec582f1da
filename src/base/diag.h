/* diag.h - diagnostics that point into the document.
 *
 * Every stage reports into one struct diags; nothing is printed until the
 * command decides, so all errors of a run come out together, sorted by
 * position, as FILE:LINE:COL: error|warning: message.
 */
#ifndef MESHC_BASE_DIAG_H
#define MESHC_BASE_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/arena.h"

/* A place in a document.  line == 0 means "no position" (e.g. a built-in
 * default); lines and columns count from 1, columns in bytes. */
struct loc {
	const char *file;
	unsigned line;
	unsigned col;
};

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

struct diag {
	enum diag_level level;
	struct loc loc;
	const char *msg;
	size_t seq;		/* insertion order, keeps the sort stable */
};

struct diags {
	struct arena *arena;
	struct diag *items;
	size_t count, cap;
	size_t errors, warnings;
};

/* The text of a document, kept so diagnostics can quote the line. */
struct source {
	const char *name;
	const char *text;
	size_t len;
};

void diags_init(struct diags *d, struct arena *a);
void diag_add(struct diags *d, enum diag_level level, struct loc loc,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_vadd(struct diags *d, enum diag_level level, struct loc loc,
	       const char *fmt, va_list ap);
#define diag_error(d, loc, ...) diag_add((d), DIAG_ERROR, (loc), __VA_ARGS__)
#define diag_warn(d, loc, ...) diag_add((d), DIAG_WARNING, (loc), __VA_ARGS__)

/* Sort by file, line, column, then insertion order; drop exact repeats. */
void diags_sort(struct diags *d);

struct diag_style {
	bool color;
	bool show_source;	/* quote the line and put a caret under it */
	bool quiet_warnings;
};

/* Print every diagnostic; sources (may be NULL) supply the quoted lines. */
void diags_print(const struct diags *d, FILE *out, const struct source *srcs,
		 size_t n_srcs, const struct diag_style *style);

/* "file:line:col" or "file" into buf. */
const char *loc_str(struct loc loc, char *buf, size_t size);
int loc_cmp(const struct loc *a, const struct loc *b);
static inline bool loc_known(struct loc loc) { return loc.line != 0; }

#endif
