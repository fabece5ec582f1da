#include "base/strbuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_reserve(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
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

void strbuf_json_string(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;

	strbuf_putc(sb, '"');
	for (;; p++) {
		const char *esc = NULL;

		/* plain bytes go out in runs: this is the hot path of every
		 * JSON renderer (keys, names, addresses) */
		if (*p >= 0x20 && *p != '"' && *p != '\\')
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

const char *strbuf_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

int strbuf_write(const struct strbuf *sb, FILE *f)
{
	if (sb->len && fwrite(sb->buf, 1, sb->len, f) != sb->len)
		return -EIO;
	if (fflush(f) != 0)
		return -errno;
	return 0;
}
