/* status.h - meshc status as data, and its three renderings.
 *
 * cmd/status.c reads each live interface (apply/) and the document it
 * belongs to, and fills a status_report; everything here is pure: the
 * peers are matched to the document by public key (status_peers_build)
 * and the report is rendered into a strbuf, with the clock given, so the
 * output is unit-tested byte for byte.
 *
 *   text        a table of peers per interface, then the drift
 *   json        {"format": "meshc-status", ...}, as described by
 *               schemas/meshc-status.schema.json
 *   prometheus  the text exposition format (node_exporter's textfile
 *               collector); the metric names are in meshc(8)
 */
#ifndef MESHC_STATUS_STATUS_H
#define MESHC_STATUS_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/secret.h"
#include "base/strbuf.h"
#include "diff/diff.h"
#include "model/model.h"
#include "plan/plan.h"

#define STATUS_JSON_FORMAT "meshc-status"
#define STATUS_JSON_VERSION 1

/* A peer as WireGuard reports it (one of the device's peers). */
struct status_live_peer {
	uint8_t public_key[WG_KEY_LEN];
	const char *endpoint;	/* "1.2.3.4:51820", "[v6]:port"; NULL: none */
	int64_t last_handshake;	/* unix seconds; 0: never */
	uint64_t rx_bytes, tx_bytes;
};

struct status_peer {
	/* the document's name for it; NULL: a peer the document does not
	 * know (someone added it by hand) */
	const char *node;
	char public_key[WG_KEY_B64_LEN + 1];
	/* false: a peer of the document that the device does not have
	 * (drift; no statistics) */
	bool on_device;
	const char *endpoint;	/* the one WireGuard uses now; NULL: none */
	int64_t last_handshake;	/* unix seconds; 0: never */
	uint64_t rx_bytes, tx_bytes;
	/* the relay its packets go through; NULL: direct.  A relayed peer
	 * has no entry on the device (on_device false): its traffic is in
	 * the relay's tunnel, counted there. */
	const char *relay;
	/* what this node grants it (known peers only); *_limited: a list,
	 * some services only */
	bool incoming, routing, local_network;
	bool incoming_limited, local_network_limited;
};

struct status_iface {
	const char *interface;
	const char *node, *mesh;
	const char *document;
	bool exists;		/* the interface is on the system */
	/* known peers by name, then unknown ones by key */
	struct status_peer *peers;
	size_t n_peers;
	size_t n_device_peers;	/* of them, on the device */
	/* live plan -> the document's plan, by the engine of `diff FILE`;
	 * drift: a change that needs the system touched */
	struct node_diff drift;
	bool drifted;
};

struct status_report {
	int64_t now;		/* unix seconds, for handshake ages */
	struct status_iface *ifaces;
	size_t n_ifaces;
};

/* The peers of node `node` of m (compiled into want) next to the
 * device's: matched by public key, known ones with the grants the node
 * gives them.  Fills out->peers, n_peers and n_device_peers. */
void status_peers_build(struct arena *a, const struct model *m, size_t node,
			const struct plan *want,
			const struct status_live_peer *live, size_t n_live,
			struct status_iface *out);

void status_render_text(struct strbuf *out, const struct status_report *r,
			bool color);
void status_render_json(struct strbuf *out, const struct status_report *r);
void status_render_prometheus(struct strbuf *out,
			      const struct status_report *r);

/* The pieces, for the renderers and their tests. */
/* "never", "5s ago", "1m 5s ago", "2h ago", "3d 4h ago" (a handshake
 * stamped after now, a clock that stepped back, is "0s ago"). */
void status_format_age(struct strbuf *out, int64_t last, int64_t now);
/* "0 B", "1023 B", "1.0 KiB", "1.5 MiB", ... "16.0 EiB" (binary units,
 * one decimal, like wg(8) shows transfer). */
void status_format_bytes(struct strbuf *out, uint64_t n);
/* A label value of the exposition format, without its quotes: backslash,
 * double quote and line feed escaped. */
void status_prom_label(struct strbuf *out, const char *v);

#endif
