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
/* private_key_b64: the key to print, or NULL to leave the line out.
 * psk_b64: NULL, or for each peer (p->peers order) its preshared key to
 * print, NULL for a peer without one; without them a comment names the
 * file each key is derived from. */
void render_wg(struct strbuf *out, const struct plan *p,
	       const char *private_key_b64, const char *const *psk_b64);

/* What a wg-quick(8) file holds beyond the plan. */
struct wgquick_extra {
	const char *private_key_b64;	/* required: an app cannot do without */
	/* For each peer (p->peers order) its preshared key, NULL for a
	 * peer without one; required when a peer has one. */
	const char *const *psk_b64;
	uint16_t listen_port;		/* 0: none (the app picks a port) */
};
/* The node as a wg-quick(8) file for the WireGuard apps (meshc export). */
void render_wgquick(struct strbuf *out, const struct plan *p,
		    const struct wgquick_extra *x);
void render_routes(struct strbuf *out, const struct plan *p);
void render_sysctl(struct strbuf *out, const struct plan *p);

#endif
