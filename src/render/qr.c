/* qr.c - text as a QR code (see qr.h). */
#include "render/qr.h"

#include <errno.h>
#include <png.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

/* Byte mode, the whole text as it is, lowest error correction (the
 * largest payload: a configuration with many peers still fits), the
 * smallest version that holds it. */
static QRcode *qr_encode(const char *text, int *err)
{
	QRcode *qr = QRcode_encodeData((int)strlen(text),
				       (const unsigned char *)text, 0,
				       QR_ECLEVEL_L);

	if (!qr)
		*err = errno == ERANGE ? -EFBIG : (errno ? -errno : -EINVAL);
	return qr;
}

/* The output is as secret as the text: make room for all of it first, so
 * that no realloc leaves an unwiped copy behind in freed memory. */
static void qr_reserve(struct strbuf *out, size_t need)
{
	static const char zeros[4096];
	size_t keep = out->len;

	while (out->cap - keep <= need)
		strbuf_add(out, zeros, sizeof(zeros));
	out->len = keep;
	if (out->buf)
		out->buf[keep] = '\0';
}

static void qr_free(QRcode *qr)
{
	secret_wipe(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
}

/* Is module (x, y) of the code with its margin dark?  Bit 0 of each
 * byte is the module's color (qrencode.h). */
static int qr_dark(const QRcode *qr, int margin, int x, int y)
{
	x -= margin;
	y -= margin;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[y * qr->width + x] & 1;
}

int render_qr_term(struct strbuf *out, const char *text)
{
	/* indexed by (top light) << 1 | (bottom light) */
	static const char *const half[4] = { " ", "\u2584", "\u2580",
					     "\u2588" };
	int err = 0, size;
	QRcode *qr = qr_encode(text, &err);

	if (!qr)
		return err;
	size = qr->width + 2 * QR_TERM_MARGIN;
	/* at most 3 bytes per module pair and a newline per line */
	qr_reserve(out, (size_t)(size / 2 + 1) * (size_t)(3 * size + 1));
	for (int y = 0; y < size; y += 2) {
		for (int x = 0; x < size; x++) {
			int top = !qr_dark(qr, QR_TERM_MARGIN, x, y);
			/* the row under the last one is margin (light) */
			int bottom = y + 1 >= size ||
				     !qr_dark(qr, QR_TERM_MARGIN, x, y + 1);

			strbuf_puts(out, half[top << 1 | bottom]);
		}
		strbuf_putc(out, '\n');
	}
	qr_free(qr);
	return 0;
}

static void qr_png_append(png_structp png, png_bytep data, png_size_t len)
{
	strbuf_add(png_get_io_ptr(png), data, len);
}

static void qr_png_no_flush(png_structp png)
{
	(void)png;
}

/* libpng reports errors by longjmp; everything it may jump over is
 * allocated before setjmp and freed after it. */
static int qr_png_encode(struct strbuf *out, png_bytep *rows, int size)
{
	png_structp png;
	png_infop info;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_set_write_fn(png, out, qr_png_append, qr_png_no_flush);
	png_set_IHDR(png, info, (png_uint_32)size, (png_uint_32)size, 8,
		     PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	png_write_image(png, rows);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int render_qr_png(struct strbuf *out, const char *text)
{
	int err = 0, modules, size;
	QRcode *qr = qr_encode(text, &err);
	png_bytep *rows = NULL;
	unsigned char *pixels = NULL;

	if (!qr)
		return err;
	modules = qr->width + 2 * QR_PNG_MARGIN;
	size = modules * QR_PNG_SCALE;
	pixels = malloc((size_t)size * (size_t)size);
	rows = malloc((size_t)size * sizeof(*rows));
	if (!pixels || !rows) {
		err = -ENOMEM;
		goto out_free;
	}
	for (int y = 0; y < size; y++) {
		rows[y] = pixels + (size_t)y * (size_t)size;
		for (int x = 0; x < size; x++)
			rows[y][x] = qr_dark(qr, QR_PNG_MARGIN,
					     x / QR_PNG_SCALE,
					     y / QR_PNG_SCALE) ? 0 : 255;
	}
	/* deflate never grows data by more than a small fraction */
	qr_reserve(out, (size_t)size * (size_t)(size + 1) * 2 + 65536);
	err = qr_png_encode(out, rows, size);
out_free:
	if (pixels)
		secret_wipe(pixels, (size_t)size * (size_t)size);
	free(pixels);
	free(rows);
	qr_free(qr);
	return err;
}
