/* wg_uapi.c - the userspace implementation's configuration socket.
 *
 * The cross-platform protocol (wireguard.com/xplatform): a stream unix
 * socket WG_UAPI_DIR/IFACE.sock; "get=1\n\n" answers key=value lines and
 * "errno=N\n\n"; "set=1\n" + lines + "\n" answers "errno=N\n\n".  Keys are
 * hex.  Parsing and building are pure (unit-tested on a recorded reply);
 * the I/O has a timeout and a size limit so a stuck or hostile socket
 * cannot hang or exhaust meshc.
 */
#include "apply/wg_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "base/secret.h"

/* ---- values ------------------------------------------------------------ */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_hex_key(const char *s, size_t len, uint8_t out[WG_KEY_LEN])
{
	if (len != 2 * WG_KEY_LEN)
		return false;
	for (size_t i = 0; i < WG_KEY_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Decimal, no sign, no spaces, at most max. */
static bool parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static int u64_or_einval(const char *s, size_t len, uint64_t *out)
{
	return parse_u64(s, len, UINT64_MAX, out) ? 0 : -EINVAL;
}

/* "addr/len" as WireGuard prints it; host bits are cleared. */
static bool parse_allowed_ip(const char *s, size_t len, struct ip_prefix *out)
{
	const char *slash = memchr(s, '/', len);
	char addr[IP_STRLEN];
	const char *why;
	uint64_t bits;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return false;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	memset(out, 0, sizeof(*out));
	if (ip_addr_parse(addr, &out->addr, &why))
		return false;
	if (!parse_u64(slash + 1, len - (size_t)(slash - s) - 1,
		       ip_bits(out->addr.family), &bits))
		return false;
	out->len = (uint8_t)bits;
	wg_prefix_mask(out);
	return true;
}

/* "1.2.3.4:5" or "[v6]:5" (a zone "%x" kept as given) into the form
 * wg_endpoint_format makes, so both backends report one spelling. */
static bool parse_endpoint(const char *s, size_t len, char *out, size_t size)
{
	const char *colon = NULL, *host = s, *zone = NULL;
	char buf[IP_STRLEN + IFNAMSIZ + 2], zbuf[IFNAMSIZ + 1];
	size_t hlen;
	struct ip_addr ip;
	const char *why;
	uint64_t port;

	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	if (!colon || !parse_u64(colon + 1, len - (size_t)(colon - s) - 1,
				 65535, &port))
		return false;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		host++;
		hlen -= 2;
	} else if (memchr(s, ':', hlen)) {
		return false;	/* a bare IPv6 address: ambiguous */
	}
	if (hlen >= sizeof(buf))
		return false;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (host != s) {
		char *pct = strchr(buf, '%');

		if (pct) {
			if (strlen(pct + 1) == 0 ||
			    strlen(pct + 1) >= sizeof(zbuf))
				return false;
			strcpy(zbuf, pct + 1);
			zone = zbuf;
			*pct = '\0';
		}
	}
	if (ip_addr_parse(buf, &ip, &why))
		return false;
	if ((ip.family == IP_V6) != (host != s))
		return false;
	return wg_endpoint_format(&ip, (uint16_t)port, zone, out, size);
}

/* ---- parsing a get=1 reply --------------------------------------------- */

struct uapi_parse {
	struct arena *a;
	struct wg_device_state *out;
	struct wg_peer_state *peer;	/* NULL before the 1st public_key */
	bool saw_errno;
	int errno_val;
};

static bool key_is(const char *k, size_t klen, const char *name)
{
	return klen == strlen(name) && !memcmp(k, name, klen);
}

static int device_line(struct uapi_parse *p, const char *k, size_t klen,
		       const char *v, size_t vlen)
{
	struct wg_device_state *d = p->out;
	uint64_t n;

	if (key_is(k, klen, "private_key")) {
		uint8_t *priv = sodium_malloc(WG_KEY_LEN);
		int err = 0;

		if (!priv)
			return -ENOMEM;
		if (!parse_hex_key(v, vlen, priv))
			err = -EINVAL;
		else if (!wg_key_is_zero(priv))
			err = wg_public_from_private(priv, d->public_key);
		d->has_private_key = !err && !wg_key_is_zero(priv);
		if (d->has_private_key && d->private_key_out &&
		    !d->private_key_out->bytes)
			err = secret_key_from_bytes(priv, d->private_key_out);
		sodium_free(priv);
		return err;
	}
	if (key_is(k, klen, "listen_port")) {
		if (!parse_u64(v, vlen, UINT16_MAX, &n))
			return -EINVAL;
		d->listen_port = (uint16_t)n;
		return 0;
	}
	if (key_is(k, klen, "fwmark")) {
		if (!parse_u64(v, vlen, UINT32_MAX, &n))
			return -EINVAL;
		d->fwmark = (uint32_t)n;
		return 0;
	}
	return 1;	/* not a device key */
}

/* Whether the peer has a key is checked on the hex text in place; the
 * key itself is decoded only for a caller that asked for it (psk_out),
 * straight into that table's guarded block.  (A guarded sodium_malloc
 * per peer cost several syscalls each and dominated reading a device
 * with 10,000 peers.) */
static int psk_line(struct uapi_parse *p, const char *v, size_t vlen)
{
	struct wg_peer_state *peer = p->peer;
	bool nonzero = false;
	uint8_t *slot;

	if (vlen != 2 * WG_KEY_LEN)
		return -EINVAL;
	for (size_t i = 0; i < vlen; i++) {
		if (!isxdigit((unsigned char)v[i]))
			return -EINVAL;
		nonzero |= v[i] != '0';
	}
	peer->has_psk = nonzero;
	if (!nonzero || !p->out->psk_out)
		return 0;
	slot = wg_psks_slot(p->out->psk_out, peer->public_key);
	if (!slot)
		return -ENOMEM;
	return parse_hex_key(v, vlen, slot) ? 0 : -EINVAL;
}

static int peer_line(struct uapi_parse *p, const char *k, size_t klen,
		     const char *v, size_t vlen)
{
	struct wg_peer_state *peer = p->peer;
	uint64_t n;

	if (key_is(k, klen, "preshared_key"))
		return psk_line(p, v, vlen);
	if (key_is(k, klen, "endpoint"))
		return parse_endpoint(v, vlen, peer->endpoint,
				      sizeof(peer->endpoint)) ? 0 : -EINVAL;
	if (key_is(k, klen, "persistent_keepalive_interval")) {
		if (!parse_u64(v, vlen, UINT16_MAX, &n))
			return -EINVAL;
		peer->keepalive = (uint16_t)n;
		return 0;
	}
	if (key_is(k, klen, "allowed_ip")) {
		struct ip_prefix pfx;

		if (!parse_allowed_ip(v, vlen, &pfx))
			return -EINVAL;
		wg_state_add_allowed_ip(p->a, peer, &pfx);
		return 0;
	}
	if (key_is(k, klen, "rx_bytes"))
		return u64_or_einval(v, vlen, &peer->rx_bytes);
	if (key_is(k, klen, "tx_bytes"))
		return u64_or_einval(v, vlen, &peer->tx_bytes);
	if (key_is(k, klen, "last_handshake_time_sec")) {
		if (!parse_u64(v, vlen, INT64_MAX, &n))
			return -EINVAL;
		peer->last_handshake_sec = (int64_t)n;
		return 0;
	}
	if (key_is(k, klen, "last_handshake_time_nsec"))
		return parse_u64(v, vlen, 999999999, &n) ? 0 : -EINVAL;
	if (key_is(k, klen, "protocol_version"))
		return parse_u64(v, vlen, UINT32_MAX, &n) ? 0 : -EINVAL;
	return 1;
}

static bool is_peer_key(const char *k, size_t klen)
{
	static const char *const keys[] = {
		"preshared_key", "endpoint", "persistent_keepalive_interval",
		"allowed_ip", "rx_bytes", "tx_bytes",
		"last_handshake_time_sec", "last_handshake_time_nsec",
		"protocol_version",
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (key_is(k, klen, keys[i]))
			return true;
	return false;
}

/* errno=N, N of either sign (wireguard-go writes it negated). */
static int errno_line(struct uapi_parse *p, const char *v, size_t vlen)
{
	bool neg = vlen && v[0] == '-';
	uint64_t n;

	if (!parse_u64(v + neg, vlen - neg, 4095, &n))
		return -EINVAL;
	p->saw_errno = true;
	p->errno_val = (int)n;
	return 0;
}

static int parse_line(struct uapi_parse *p, const char *line, size_t len)
{
	const char *eq = memchr(line, '=', len);
	size_t klen, vlen;
	const char *v;
	int r;

	if (p->saw_errno || !eq || eq == line)
		return -EINVAL;	/* errno must be last */
	klen = (size_t)(eq - line);
	v = eq + 1;
	vlen = len - klen - 1;
	if (key_is(line, klen, "errno"))
		return errno_line(p, v, vlen);
	if (key_is(line, klen, "public_key")) {
		uint8_t key[WG_KEY_LEN];

		if (!parse_hex_key(v, vlen, key))
			return -EINVAL;
		p->peer = wg_state_add_peer(p->a, p->out, key);
		return 0;
	}
	if (!p->peer) {
		r = device_line(p, line, klen, v, vlen);
		if (r <= 0)
			return r;
		/* unknown keys are a newer version's: skipped */
		return is_peer_key(line, klen) ? -EINVAL : 0;
	}
	if (device_line(p, line, klen, v, vlen) != 1)
		return -EINVAL;	/* a device key among the peers */
	r = peer_line(p, line, klen, v, vlen);
	return r > 0 ? 0 : r;
}

int wg_uapi_parse(const char *buf, size_t len, struct arena *a,
		  struct wg_device_state *out)
{
	struct uapi_parse p = { .a = a, .out = out };
	struct secret_key *keep = out->private_key_out;
	struct wg_psks *keep_psks = out->psk_out;
	size_t pos = 0;

	memset(out, 0, sizeof(*out));
	out->private_key_out = keep;
	out->psk_out = keep_psks;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;
		int err;

		if (end == pos)
			break;	/* the blank line ends the reply */
		err = parse_line(&p, buf + pos, end - pos);
		if (err)
			return err;
		pos = end + 1;
	}
	if (!p.saw_errno)
		return -EINVAL;
	return -p.errno_val;
}

/* ---- building a set=1 request ------------------------------------------ */

static void put_hex_key(struct strbuf *sb, const char *name,
			const uint8_t key[WG_KEY_LEN])
{
	char hex[2 * WG_KEY_LEN + 1];

	sodium_bin2hex(hex, sizeof(hex), key, WG_KEY_LEN);
	strbuf_printf(sb, "%s=%s\n", name, hex);
}

/* A key in hex straight into sb's buffer, which must have room for it
 * (strbuf_make_room): no copy of it anywhere else.  keys == false: the
 * same number of zeros, to measure the request before a key is in it. */
static void put_secret_hex(struct strbuf *sb, const char *name,
			   const uint8_t *key, bool keys)
{
#define ZEROS8 "00000000"
	static const char zeros[] = ZEROS8 ZEROS8 ZEROS8 ZEROS8
		ZEROS8 ZEROS8 ZEROS8 ZEROS8;
#undef ZEROS8

	strbuf_puts(sb, name);
	strbuf_putc(sb, '=');
	if (keys && key) {
		sodium_bin2hex(sb->buf + sb->len, sb->cap - sb->len, key,
			       WG_KEY_LEN);
		sb->len += 2 * WG_KEY_LEN;
	} else {
		strbuf_add(sb, zeros, 2 * WG_KEY_LEN);
	}
	strbuf_putc(sb, '\n');
}

static void put_peer(struct strbuf *sb, const struct wg_peer_op *op,
		     bool keys)
{
	const struct plan_peer *p = op->peer;
	char ip[IP_STRLEN];

	put_hex_key(sb, "public_key", op->public_key);
	if (op->remove) {
		strbuf_puts(sb, "remove=true\n");
		return;
	}
	if (op->update_only)
		strbuf_puts(sb, "update_only=true\n");
	if (op->set_psk)
		put_secret_hex(sb, "preshared_key", op->psk, keys);
	if (op->set_endpoint)
		strbuf_printf(sb, "endpoint=%s\n", p->endpoint);
	if (op->set_keepalive)
		strbuf_printf(sb, "persistent_keepalive_interval=%u\n",
			      p->keepalive);
	if (!op->set_allowed_ips)
		return;
	strbuf_puts(sb, "replace_allowed_ips=true\n");
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		strbuf_printf(sb, "allowed_ip=%s\n",
			      ip_prefix_str(&p->allowed_ips[i].prefix, ip));
}

/* Grow sb so that `extra` more bytes fit without moving it: the key is
 * then written into memory that stays put until the caller wipes it. */
static void strbuf_make_room(struct strbuf *sb, size_t extra)
{
	static const char zeros[256];
	size_t len = sb->len;

	while (extra) {
		size_t n = extra < sizeof(zeros) ? extra : sizeof(zeros);

		strbuf_add(sb, zeros, n);
		extra -= n;
	}
	sb->len = len;
	sb->buf[len] = '\0';
}

/* The request; keys == false writes zeros for the keys (the same length,
 * for measuring), true the keys themselves, which needs room for all of
 * it made first. */
static void render_request(struct strbuf *sb, const struct secret_key *priv,
			   const struct wg_set_ops *ops, bool keys)
{
	strbuf_puts(sb, "set=1\n");
	if (priv)
		put_secret_hex(sb, "private_key", priv->bytes, keys);
	if (ops->set_listen_port)
		strbuf_printf(sb, "listen_port=%u\n", ops->listen_port);
	if (ops->set_fwmark)
		strbuf_printf(sb, "fwmark=%u\n", ops->fwmark);
	if (ops->replace_peers)
		strbuf_puts(sb, "replace_peers=true\n");
	for (size_t i = 0; i < ops->n_peers; i++)
		put_peer(sb, &ops->peers[i], keys);
	strbuf_putc(sb, '\n');
}

/* Measured without the keys, then written with them into a buffer that
 * already has room for all of it: once a key is in out, out never moves
 * (a realloc would leave a copy behind, unwiped). */
static void render_set(struct strbuf *out, const struct secret_key *priv,
		       const struct wg_set_ops *ops)
{
	struct strbuf measure = STRBUF_INIT;

	render_request(&measure, priv, ops, false);
	strbuf_make_room(out, measure.len + 2 * WG_KEY_LEN + 2);
	render_request(out, priv, ops, true);
	strbuf_free(&measure);
}

void wg_uapi_build_set(struct strbuf *out, const struct secret_key *priv,
		       const struct wg_psks *psks, const struct plan *want,
		       const struct changeset *cs)
{
	struct arena a;
	struct wg_set_ops ops;

	arena_init(&a);
	/* bad keys (and peers without their preshared key) left out */
	wg_set_ops_build(&a, want, psks, cs, &ops);
	render_set(out, priv, &ops);
	arena_free(&a);
}

/* ---- the socket --------------------------------------------------------- */

void wg_rbuf_free(struct wg_rbuf *b)
{
	secret_wipe(b->buf, b->cap);
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

/* Like realloc, but the old copy (it may hold a key) is wiped first. */
static int rbuf_grow(struct wg_rbuf *b, size_t max)
{
	size_t ncap = b->cap ? b->cap * 2 : 4096;
	char *nbuf;

	if (ncap > max + 1)
		ncap = max + 1;
	nbuf = malloc(ncap);
	if (!nbuf)
		return -ENOMEM;
	if (b->len)
		memcpy(nbuf, b->buf, b->len);
	secret_wipe(b->buf, b->cap);
	free(b->buf);
	b->buf = nbuf;
	b->cap = ncap;
	return 0;
}

static int uapi_connect_once(const struct sockaddr_un *sun, int timeout_ms,
			     int *fd_out)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd, e;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_ms > 0 &&
	    (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	     setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))))
		goto out_close;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0)
		goto out_close;
	*fd_out = fd;
	return 0;
out_close:
	e = errno;
	close(fd);
	return -e;
}

/* A signal during connect leaves the socket half-way: start again with
 * a new one, as wg(8) retries an interrupted read of the device. */
static int uapi_connect(const char *path, int timeout_ms, int *fd_out)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	for (int tries = 0; tries < WG_EINTR_TRIES; tries++) {
		err = uapi_connect_once(&sun, timeout_ms, fd_out);
		if (err != -EINTR)
			break;
	}
	return err;
}

int wg_uapi_probe(const char *path)
{
	int fd, err = uapi_connect(path, 1000, &fd);

	if (err)
		return err == -EAGAIN ? 0 : err;	/* busy, but there */
	close(fd);
	return 0;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Does the reply end (a blank line) in what arrived from `from` on? */
static bool reply_complete(struct wg_rbuf *b, size_t from)
{
	if (b->len && b->buf[0] == '\n') {
		b->len = 1;
		return true;
	}
	for (size_t i = from ? from - 1 : 0; i + 1 < b->len; i++)
		if (b->buf[i] == '\n' && b->buf[i + 1] == '\n') {
			b->len = i + 2;
			return true;
		}
	return false;
}

static int recv_reply(int fd, size_t max, struct wg_rbuf *b)
{
	for (;;) {
		size_t before = b->len;
		ssize_t n;
		int err;

		if (b->len + 1 >= b->cap) {
			if (b->len >= max)
				return -EMSGSIZE;
			err = rbuf_grow(b, max);
			if (err)
				return err;
		}
		n = recv(fd, b->buf + b->len, b->cap - b->len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;	/* EOF: the parser judges what came */
		b->len += (size_t)n;
		b->buf[b->len] = '\0';
		if (reply_complete(b, before))
			return 0;
	}
}

int wg_uapi_transact(const char *path, const char *req, size_t len,
		     int timeout_ms, size_t max_reply, struct wg_rbuf *reply)
{
	int fd, err;

	err = uapi_connect(path, timeout_ms, &fd);
	if (err) {
		if (err == -EAGAIN || err == -EINPROGRESS)
			goto out_timeout;
		fprintf(stderr, "meshc: cannot connect to the WireGuard "
				"socket %s: %s\n",
			path, strerror(-err));
		return err;
	}
	err = send_all(fd, req, len);
	if (!err)
		err = recv_reply(fd, max_reply, reply);
	close(fd);
	if (err == -EAGAIN || err == -EWOULDBLOCK)
		goto out_timeout;
	if (err == -EMSGSIZE)
		fprintf(stderr, "meshc: the WireGuard socket %s sent more "
				"than %zu bytes; refusing the reply\n",
			path, max_reply);
	else if (err)
		fprintf(stderr, "meshc: WireGuard socket %s: %s\n", path,
			strerror(-err));
	else if (reply->buf)
		reply->buf[reply->len] = '\0';
	return err;
out_timeout:
	fprintf(stderr, "meshc: no answer from the WireGuard socket %s\n",
		path);
	return -ETIMEDOUT;
}

/* ---- the backend -------------------------------------------------------- */

static int report_parse(const char *path, const char *what, int err)
{
	if (err == -EINVAL)
		fprintf(stderr, "meshc: malformed reply from the WireGuard "
				"socket %s\n",
			path);
	else if (err)
		fprintf(stderr, "meshc: WireGuard (%s) refused to %s: %s\n",
			path, what, strerror(-err));
	return err;
}

int wg_uapi_read(const char *ifname, struct arena *a,
		 struct wg_device_state *out)
{
	static const char req[] = "get=1\n\n";
	char path[sizeof(WG_UAPI_DIR) + IFNAMSIZ + 8];
	struct wg_rbuf reply = { NULL, 0, 0 };
	int err;

	wg_uapi_path(ifname, path, sizeof(path));
	err = wg_uapi_transact(path, req, sizeof(req) - 1, WG_IO_TIMEOUT_MS,
			       WG_UAPI_MAX_REPLY, &reply);
	if (!err)
		err = report_parse(path, "read the device",
				   wg_uapi_parse(reply.buf ? reply.buf : "",
						 reply.len, a, out));
	wg_rbuf_free(&reply);
	return err;
}

int wg_uapi_write(const char *ifname, const struct secret_key *priv,
		  const struct wg_psks *psks, const struct plan *want,
		  const struct changeset *cs)
{
	char path[sizeof(WG_UAPI_DIR) + IFNAMSIZ + 8];
	struct wg_rbuf reply = { NULL, 0, 0 };
	struct strbuf req = STRBUF_INIT;
	/* The answer to a set is only errno=N; whatever else a confused
	 * implementation sends lands here, and a private_key line must not
	 * be copied through a pointer nobody set. */
	struct wg_device_state st = { 0 };
	struct wg_set_ops ops;
	struct arena a;
	int err;

	arena_init(&a);
	wg_uapi_path(ifname, path, sizeof(path));
	err = wg_set_ops_build(&a, want, psks, cs, &ops);
	if (err) {
		wg_set_ops_report(ifname, err);
		goto out_free;
	}
	render_set(&req, priv, &ops);
	err = wg_uapi_transact(path, req.buf, req.len, WG_IO_TIMEOUT_MS,
			       WG_UAPI_MAX_REPLY, &reply);
	if (!err)
		err = report_parse(path, "configure the device",
				   wg_uapi_parse(reply.buf ? reply.buf : "",
						 reply.len, &a, &st));
out_free:
	secret_wipe(req.buf, req.cap);
	strbuf_free(&req);
	wg_rbuf_free(&reply);
	arena_free(&a);
	return err;
}
