#include "base/strbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void strbuf_reset_len(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static void strbuf_flush_sink(struct strbuf *sb)
{
	if (sb->len && !sb->sink_err &&
	    fwrite(sb->buf, 1, sb->len, sb->sink) != sb->len)
		sb->sink_err = errno ? -errno : -EIO;
	strbuf_reset_len(sb);
}

static void strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, ncap;
	char *nbuf;

	if (extra > SIZE_MAX - sb->len - 1) {
		fprintf(stderr, "meshc: output too large\n");
		abort();
	}
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	if (sb->sink) {
		strbuf_flush_sink(sb);
		need = extra + 1;
		if (need <= sb->cap)
			return;
	}
	ncap = sb->cap ? sb->cap : 256;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	nbuf = realloc(sb->buf, ncap);
	if (!nbuf) {
		fprintf(stderr, "meshc: out of memory (output of %zu bytes)\n",
			ncap);
		abort();
	}
	sb->buf = nbuf;
	sb->cap = ncap;
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void strbuf_reset(struct strbuf *sb)
{
	strbuf_reset_len(sb);
}

void strbuf_stream_to(struct strbuf *sb, FILE *f)
{
	sb->sink = f;
	strbuf_reserve(sb, STRBUF_STREAM_CHUNK);
}

void strbuf_add_grow(struct strbuf *sb, const void *data, size_t len)
{
	/* stream mode: a piece bigger than the buffer goes straight out */
	if (sb->sink && len >= sb->cap) {
		strbuf_flush_sink(sb);
		if (!sb->sink_err && fwrite(data, 1, len, sb->sink) != len)
			sb->sink_err = errno ? -errno : -EIO;
		return;
	}
	strbuf_reserve(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_put_uint(struct strbuf *sb, unsigned long v)
{
	char tmp[24];
	size_t n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	strbuf_add(sb, tmp + n, sizeof(tmp) - n);
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n <= 0)
		return;
	strbuf_reserve(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

static bool json_plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\';
}

/* Escaping, once a string is known to need it. */
static void json_string_escaped(struct strbuf *sb, const unsigned char *p)
{
	const unsigned char *run = p;

	strbuf_putc(sb, '"');
	for (;; p++) {
		const char *esc = NULL;

		if (json_plain(*p))
			continue;
		strbuf_add(sb, run, (size_t)(p - run));
		if (!*p)
			break;
		switch (*p) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\r':
			esc = "\\r";
			break;
		}
		if (esc)
			strbuf_puts(sb, esc);
		else
			strbuf_printf(sb, "\\u%04x", *p);
		run = p + 1;
	}
	strbuf_putc(sb, '"');
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Does the word hold a byte that JSON escapes: below 0x20, '"' or '\\'?
 * (x - ONES) & ~x & HIGHS is nonzero exactly when x has a zero byte, and
 * (x - n * ONES) & ~x & HIGHS exactly when it has a byte below n.) */
static bool json_word_needs_escape(uint64_t w)
{
	uint64_t q = w ^ ('"' * ONES), b = w ^ ('\\' * ONES);

	return ((w - 0x20 * ONES) & ~w & HIGHS) ||
	       ((q - ONES) & ~q & HIGHS) || ((b - ONES) & ~b & HIGHS);
}

void strbuf_json_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	/* Nearly every string (names, keys, addresses) has nothing to
	 * escape: one scan, 8 bytes at a time, and one copy.  This is the
	 * hot path of every JSON renderer. */
	for (; n - i >= 8; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, sizeof(w));
		if (json_word_needs_escape(w))
			break;
	}
	while (i < n && json_plain(p[i]))
		i++;
	if (i < n) {
		json_string_escaped(sb, p);
		return;
	}
	strbuf_reserve(sb, n + 2);
	sb->buf[sb->len] = '"';
	memcpy(sb->buf + sb->len + 1, s, n);
	sb->buf[sb->len + 1 + n] = '"';
	sb->len += n + 2;
	sb->buf[sb->len] = '\0';
}

const char *strbuf_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

int strbuf_write(struct strbuf *sb, FILE *f)
{
	if (sb->sink_err)
		return sb->sink_err;
	if (sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len)
		return -EIO;
	if (fflush(f) != 0)
		return -errno;
	return 0;
}
