/* render_text.c - meshc status for people: per interface, a table of its
 * peers by name, then whether the live system is in step with the
 * document, or what `meshc diff FILE` shows when it is not. */
#include "status/status.h"

#include <string.h>

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"

enum { COL_PEER, COL_ENDPOINT, COL_HANDSHAKE, COL_RX, COL_TX, COL_VIA,
       COL_GRANTS, N_COLS };

static const char *const headers[N_COLS] = {
	"PEER", "ENDPOINT", "HANDSHAKE", "RECEIVED", "SENT", "VIA", "GRANTS",
};

/* One cell into the scratch arena, through a strbuf. */
static const char *cell(struct arena *a, struct strbuf *sb)
{
	const char *s = arena_strdup(a, strbuf_str(sb));

	strbuf_reset(sb);
	return s;
}

static const char *grants_cell(struct arena *a, const struct status_peer *p)
{
	const char *names[3];
	size_t n = 0;

	if (!p->node)
		return "-";
	if (p->incoming)
		names[n++] = p->incoming_limited ? "incoming (some services)"
						 : "incoming";
	if (p->routing)
		names[n++] = "routing";
	if (p->local_network)
		names[n++] = p->local_network_limited
				     ? "local_network (some services)"
				     : "local_network";
	if (n == 0)
		return "none";
	return n == 1	? names[0]
	       : n == 2 ? arena_printf(a, "%s, %s", names[0], names[1])
			: arena_printf(a, "%s, %s, %s", names[0], names[1],
				       names[2]);
}

static void peer_row(struct arena *a, const struct status_peer *p,
		     int64_t now, const char *row[N_COLS])
{
	struct strbuf sb = STRBUF_INIT;

	row[COL_PEER] = p->node ? p->node
				: arena_printf(a, "unknown peer %s",
					       p->public_key);
	row[COL_GRANTS] = grants_cell(a, p);
	row[COL_VIA] = p->relay ? arena_printf(a, "relay %s", p->relay)
				: "direct";
	if (!p->on_device) {
		row[COL_ENDPOINT] = "-";
		row[COL_HANDSHAKE] = p->relay ? "in the relay's tunnel"
					      : "not on the device";
		row[COL_RX] = row[COL_TX] = "-";
		return;
	}
	row[COL_ENDPOINT] = p->endpoint ? p->endpoint : "-";
	status_format_age(&sb, p->last_handshake, now);
	row[COL_HANDSHAKE] = cell(a, &sb);
	status_format_bytes(&sb, p->rx_bytes);
	row[COL_RX] = cell(a, &sb);
	status_format_bytes(&sb, p->tx_bytes);
	row[COL_TX] = cell(a, &sb);
	strbuf_free(&sb);
}

static void table_line(struct strbuf *out, const char *const row[N_COLS],
		       const size_t width[N_COLS])
{
	strbuf_puts(out, "  ");
	for (int c = 0; c < N_COLS; c++) {
		strbuf_puts(out, row[c]);
		if (c + 1 < N_COLS)	/* no trailing blanks */
			strbuf_printf(out, "%*s",
				      (int)(width[c] - strlen(row[c]) + 2),
				      "");
	}
	strbuf_putc(out, '\n');
}

static void peer_table(struct strbuf *out, const struct status_iface *s,
		       int64_t now)
{
	struct arena a;
	const char *(*rows)[N_COLS];
	size_t width[N_COLS];

	if (!s->n_peers) {
		strbuf_puts(out, "  no peers\n");
		return;
	}
	arena_init(&a);
	rows = arena_calloc(&a, s->n_peers, sizeof(*rows));
	for (int c = 0; c < N_COLS; c++)
		width[c] = strlen(headers[c]);
	for (size_t i = 0; i < s->n_peers; i++) {
		peer_row(&a, &s->peers[i], now, rows[i]);
		for (int c = 0; c < N_COLS; c++)
			if (strlen(rows[i][c]) > width[c])
				width[c] = strlen(rows[i][c]);
	}
	table_line(out, headers, width);
	for (size_t i = 0; i < s->n_peers; i++)
		table_line(out, rows[i], width);
	arena_free(&a);
}

static void iface_text(struct strbuf *out, const struct status_iface *s,
		       int64_t now, bool color)
{
	if (color)
		strbuf_puts(out, C_BOLD);
	strbuf_printf(out, "interface %s: node %s, mesh %s, document %s",
		      s->interface, s->node, s->mesh,
		      s->document ? s->document : "-");
	if (color)
		strbuf_puts(out, C_RESET);
	strbuf_putc(out, '\n');
	if (s->exists)
		peer_table(out, s, now);
	else
		strbuf_printf(out, "  %s is not on this system\n",
			      s->interface);
	if (!s->drifted) {
		strbuf_puts(out, "in step with the document\n");
		return;
	}
	strbuf_puts(out, "drift: the live system differs from the document; "
			 "meshc apply would change:\n");
	diff_render_text(out, &s->drift, color);
}

void status_render_text(struct strbuf *out, const struct status_report *r,
			bool color)
{
	for (size_t i = 0; i < r->n_ifaces; i++) {
		if (i)
			strbuf_putc(out, '\n');
		iface_text(out, &r->ifaces[i], r->now, color);
	}
}
