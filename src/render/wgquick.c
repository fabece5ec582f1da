/* wgquick.c - a node's configuration as a wg-quick(8) file, the format the
 * official WireGuard apps (Android, iOS, macOS, Windows) import.
 *
 * Unlike the `wg` target this file is complete on its own: the private
 * key and the interface addresses are in it, and nothing an app rejects
 * is (no FwMark, Table, PreUp/PostUp: policy routing and firewalls are
 * what `apply` does on a managed node, never part of an exported file).
 * The [Peer] sections are the `wg` target's, byte for byte.
 */
#include "render/render.h"

#include "render/util.h"

static void wgq_addresses(struct strbuf *out, const struct plan *p)
{
	char buf[IP_STRLEN];

	if (!p->iface.n_addresses)
		return;
	strbuf_puts(out, "Address = ");
	for (size_t i = 0; i < p->iface.n_addresses; i++)
		strbuf_printf(out, "%s%s", i ? ", " : "",
			      ip_prefix_str(&p->iface.addresses[i].addr, buf));
	strbuf_putc(out, '\n');
}

static void wgq_interface(struct strbuf *out, const struct plan *p,
			  const struct wgquick_extra *x)
{
	strbuf_puts(out, "[Interface]\nPrivateKey = ");
	render_clean(out, x->private_key_b64, WG_KEY_B64_LEN);
	strbuf_putc(out, '\n');
	wgq_addresses(out, p);
	/* wg-quick and the apps read an entry of digits and dots, or with
	 * a ':', as a server and any other as a search domain: the loader
	 * let nothing else through. */
	for (size_t i = 0; i < p->iface.n_dns; i++) {
		strbuf_puts(out, i ? ", " : "DNS = ");
		render_clean(out, p->iface.dns[i].entry, 256);
	}
	if (p->iface.n_dns)
		strbuf_putc(out, '\n');
	if (p->iface.mtu)
		strbuf_printf(out, "MTU = %u\n", (unsigned)p->iface.mtu);
	if (x->listen_port)
		strbuf_printf(out, "ListenPort = %u\n",
			      (unsigned)x->listen_port);
}

void render_wgquick(struct strbuf *out, const struct plan *p,
		    const struct wgquick_extra *x)
{
	render_header(out, p, "wg-quick configuration");
	wgq_interface(out, p, x);
	for (size_t i = 0; i < p->n_peers; i++)
		render_wg_peer(out, &p->peers[i],
			       x->psk_b64 ? x->psk_b64[i] : NULL);
}
