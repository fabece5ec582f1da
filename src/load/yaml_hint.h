/* yaml_hint.h - what a YAML syntax error most likely is, in the words of
 * the document's author.
 *
 * libyaml says where it gave up ("mapping values are not allowed in this
 * context"), which is often not where the mistake is.  Looking at the
 * text up to that place finds the common causes: a line indented one
 * space too far or not far enough, an IPv6 endpoint in brackets without
 * quotes (a flow sequence to YAML), a tab in the indentation.
 */
#ifndef MESHC_LOAD_YAML_HINT_H
#define MESHC_LOAD_YAML_HINT_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

struct yaml_hint {
	unsigned line;		/* 1-based line of the mistake */
	size_t line_start;	/* byte offset of that line */
	size_t at;		/* byte offset of the mistake */
	const char *text;	/* what it is and what to do */
};

/* The likely cause of libyaml's error at (0-based) line err_line of the
 * text s[0..len), with problem as libyaml's words; false when none of the
 * common causes is found (then libyaml's own place and words stand). */
bool yaml_hint_find(struct arena *a, const char *s, size_t len,
		    size_t err_line, const char *problem,
		    struct yaml_hint *out);

#endif
