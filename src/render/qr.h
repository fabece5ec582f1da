/* qr.h - text as a QR code (libqrencode): on a terminal or as a PNG.
 *
 * Pure like the other renderers: they append to a strbuf and do no I/O.
 * The text is usually secret (an exported configuration holds a private
 * key), and so is every module of its code: whatever these functions
 * allocate is wiped before it is freed; the caller wipes the strbuf.
 */
#ifndef MESHC_RENDER_QR_H
#define MESHC_RENDER_QR_H

#include "base/strbuf.h"

/* Quiet zone around the code, in modules: 2 on a terminal (as
 * `qrencode -t UTF8`; a line of 80 columns holds a full configuration),
 * the standard 4 in a PNG. */
#define QR_TERM_MARGIN 2
#define QR_PNG_MARGIN 4
#define QR_PNG_SCALE 8		/* pixels per module */

/* UTF-8 half blocks, two rows of modules per line, light modules drawn
 * (like `qrencode -t UTF8`: for a terminal with a dark background).
 * 0 or -errno (-EFBIG: too long for a QR code). */
int render_qr_term(struct strbuf *out, const char *text);
/* An 8-bit grayscale PNG, dark modules black.  0 or -errno. */
int render_qr_png(struct strbuf *out, const char *text);

#endif
