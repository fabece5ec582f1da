/* wg.c - the WireGuard interface in `wg setconf` syntax.
 *
 * Only what wg(8) itself sets: no Address, DNS or MTU, which setconf
 * does not take (addresses are the routes target's business here, the
 * document's mtu is set on the link by apply over rtnetlink, and both mtu
 * and dns are written by export into a wg-quick file).  The private key
 * and the peers' preshared keys are printed only when the caller passes
 * them (compile --with-secrets); otherwise a comment says where they come
 * from, so the file is safe to show.
 */
#include "render/render.h"

#include "render/util.h"

static void wg_interface(struct strbuf *out, const struct plan *p,
			 const char *private_key_b64)
{
	strbuf_puts(out, "[Interface]\n");
	strbuf_printf(out, "ListenPort = %u\n", (unsigned)p->iface.listen_port);
	if (p->iface.fwmark)
		strbuf_printf(out, "FwMark = 0x%x\n", (unsigned)p->iface.fwmark);
	if (private_key_b64) {
		strbuf_puts(out, "PrivateKey = ");
		render_clean(out, private_key_b64, WG_KEY_B64_LEN);
		strbuf_putc(out, '\n');
	} else {
		strbuf_puts(out, "# PrivateKey: read from ");
		render_clean(out, p->iface.private_key_file
				  ? p->iface.private_key_file
				  : MESHC_DEFAULT_PRIVATE_KEY_FILE, 4096);
		strbuf_puts(out, " (use --with-secrets)\n");
	}
}

void render_wg(struct strbuf *out, const struct plan *p,
	       const char *private_key_b64, const char *const *psk_b64)
{
	render_header(out, p, "WireGuard configuration");
	strbuf_puts(out, "# load with: wg setconf ");
	render_clean(out, p->iface.name, 64);
	strbuf_puts(out, " FILE\n");
	wg_interface(out, p, private_key_b64);
	for (size_t i = 0; i < p->n_peers; i++)
		render_wg_peer(out, &p->peers[i],
			       psk_b64 ? psk_b64[i] : NULL);
}
