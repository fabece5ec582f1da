/* render_prometheus.c - meshc status --format prometheus: the text
 * exposition format that node_exporter's textfile collector reads.
 *
 * Each metric family comes once, HELP and TYPE first, with the samples of
 * every interface under it (the format does not allow a family to be
 * split).  The handshake is a unix time, 0 when there was none, as the
 * WireGuard exporters report it: `time() - meshc_peer_latest_handshake_seconds`
 * is its age, and a value of 0 stands out.  Peers of the document that are
 * not on the device have no sample (nothing was measured); peers the
 * document does not know have an empty `peer` label.
 */
#include "status/status.h"

#include <inttypes.h>

enum sample_value { V_HANDSHAKE, V_RX, V_TX };

static void family(struct strbuf *out, const char *name, const char *type,
		   const char *help)
{
	strbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
		      type);
}

static void iface_labels(struct strbuf *out, const struct status_iface *s)
{
	strbuf_puts(out, "node=\"");
	status_prom_label(out, s->node);
	strbuf_puts(out, "\",interface=\"");
	status_prom_label(out, s->interface);
	strbuf_putc(out, '"');
}

static void peer_samples(struct strbuf *out, const struct status_report *r,
			 const char *name, enum sample_value what)
{
	for (size_t i = 0; i < r->n_ifaces; i++) {
		const struct status_iface *s = &r->ifaces[i];

		for (size_t j = 0; j < s->n_peers; j++) {
			const struct status_peer *p = &s->peers[j];

			if (!p->on_device)
				continue;
			strbuf_printf(out, "%s{", name);
			iface_labels(out, s);
			strbuf_puts(out, ",peer=\"");
			status_prom_label(out, p->node ? p->node : "");
			strbuf_puts(out, "\",public_key=\"");
			status_prom_label(out, p->public_key);
			strbuf_puts(out, "\"} ");
			if (what == V_HANDSHAKE)
				strbuf_printf(out, "%" PRId64 "\n",
					      p->last_handshake > 0
						      ? p->last_handshake
						      : 0);
			else
				strbuf_printf(out, "%" PRIu64 "\n",
					      what == V_RX ? p->rx_bytes
							   : p->tx_bytes);
		}
	}
}

void status_render_prometheus(struct strbuf *out,
			      const struct status_report *r)
{
	family(out, "meshc_peers", "gauge",
	       "Peers on the WireGuard interface that meshc manages.");
	for (size_t i = 0; i < r->n_ifaces; i++) {
		strbuf_puts(out, "meshc_peers{");
		iface_labels(out, &r->ifaces[i]);
		strbuf_printf(out, "} %zu\n", r->ifaces[i].n_device_peers);
	}
	family(out, "meshc_drift", "gauge",
	       "1 when the live interface differs from its document "
	       "(meshc diff FILE would show changes), else 0.");
	for (size_t i = 0; i < r->n_ifaces; i++) {
		strbuf_puts(out, "meshc_drift{");
		iface_labels(out, &r->ifaces[i]);
		strbuf_printf(out, "} %d\n", r->ifaces[i].drifted ? 1 : 0);
	}
	family(out, "meshc_peer_latest_handshake_seconds", "gauge",
	       "Unix time of the latest handshake with the peer, 0 if none.");
	peer_samples(out, r, "meshc_peer_latest_handshake_seconds",
		     V_HANDSHAKE);
	family(out, "meshc_peer_receive_bytes_total", "counter",
	       "Bytes received from the peer.");
	peer_samples(out, r, "meshc_peer_receive_bytes_total", V_RX);
	family(out, "meshc_peer_transmit_bytes_total", "counter",
	       "Bytes sent to the peer.");
	peer_samples(out, r, "meshc_peer_transmit_bytes_total", V_TX);
}
