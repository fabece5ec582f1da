/* strbuf.h - a growable byte buffer that renderers write into.
 *
 * Renderers never do I/O: they append to a strbuf and the command decides
 * where the bytes go.  The buffer is always NUL-terminated.  A command
 * that only writes the result out may make the buffer a stream
 * (strbuf_stream_to): it then holds at most STRBUF_STREAM_CHUNK bytes and
 * passes the rest on as it fills, so a plan of 10,000 peers is not held
 * (and paged in) as one 8 MB string.
 */
#ifndef MESHC_BASE_STRBUF_H
#define MESHC_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
	FILE *sink;		/* stream mode: where full chunks go */
	int sink_err;		/* the first write error of stream mode */
};

#define STRBUF_INIT { NULL, 0, 0, NULL, 0 }
#define STRBUF_STREAM_CHUNK (64 * 1024)

void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
/* The grow path of strbuf_add. */
void strbuf_add_grow(struct strbuf *sb, const void *data, size_t len);

/* Inline: renderers append millions of short pieces at 10,000 peers, and
 * the common case (room left) is one compare and a memcpy. */
static inline void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (sb->cap - sb->len <= len) {
		strbuf_add_grow(sb, data, len);
		return;
	}
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

static inline void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

static inline void strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

/* Append v in decimal. */
void strbuf_put_uint(struct strbuf *sb, unsigned long v);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* Append s as a JSON string literal, quotes included. */
void strbuf_json_string(struct strbuf *sb, const char *s);
/* The contents as a C string ("" when empty). */
const char *strbuf_str(const struct strbuf *sb);
/* Stream mode: from now on, full chunks are written to f.  Only for
 * output that is never read back (strbuf_str sees the last chunk only)
 * and never secret (flushed chunks are not wiped). */
void strbuf_stream_to(struct strbuf *sb, FILE *f);
/* Write the (rest of the) buffer and flush; 0 or -errno, including an
 * error of an earlier stream-mode write. */
int strbuf_write(struct strbuf *sb, FILE *f);

/* "1 mesh", "2 meshes": the word for a count (one, else many). */
static inline const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

#endif
