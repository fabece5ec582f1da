/* render.h - plan -> text.  Pure: no I/O, output depends only on the plan,
 * byte-stable across machines (golden-tested). */
#ifndef MESHC_RENDER_RENDER_H
#define MESHC_RENDER_RENDER_H

#include <stdint.h>

#include "base/strbuf.h"
#include "plan/plan.h"

#define RENDER_JSON_FORMAT "meshc-plan"

void render_plan_text(struct strbuf *out, const struct plan *p);
void render_json(struct strbuf *out, const struct plan *p);
void render_nft(struct strbuf *out, const struct plan *p);
void render_pf(struct strbuf *out, const struct plan *p);
/* private_key_b64: the key to print, or NULL to leave the line out. */
void render_wg(struct strbuf *out, const struct plan *p,
	       const char *private_key_b64);

/* What a wg-quick(8) file holds beyond the plan. */
struct wgquick_extra {
	const char *private_key_b64;	/* required: an app cannot do without */
	uint16_t listen_port;		/* 0: none (the app picks a port) */
};
/* The node as a wg-quick(8) file for the WireGuard apps (meshc export). */
void render_wgquick(struct strbuf *out, const struct plan *p,
		    const struct wgquick_extra *x);
void render_routes(struct strbuf *out, const struct plan *p);
void render_sysctl(struct strbuf *out, const struct plan *p);

#endif
