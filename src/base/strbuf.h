/* strbuf.h - a growable byte buffer that renderers write into.
 *
 * Renderers never do I/O: they append to a strbuf and the command decides
 * where the bytes go.  The buffer is always NUL-terminated.
 */
#ifndef MESHC_BASE_STRBUF_H
#define MESHC_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included. */
void strbuf_json_string(struct strbuf *sb, const char *s);
/* The contents as a C string ("" when empty). */
const char *strbuf_str(const struct strbuf *sb);
/* Write the whole buffer; 0 or -errno. */
int strbuf_write(const struct strbuf *sb, FILE *f);

#endif
