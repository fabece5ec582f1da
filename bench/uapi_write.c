/* uapi_write.c - the raw UAPI floor of configuring a userspace WireGuard
 * device: one "set=1" request, written in one go, one reply read.
 *
 * Reads a `wg setconf` file (what `meshc compile --target wg
 * --with-secrets` renders), translates it to the cross-platform UAPI
 * (wireguard.com/xplatform: keys in hex, one allowed_ip= per prefix) and
 * writes it to DIR/IFACE.sock.  Like `wg setconf` it replaces the peer list
 * (replace_peers=true), so on an empty device both install the same state;
 * what it leaves out is everything a real tool does besides the write.
 *
 * usage: uapi_write CONF IFACE [DIR]     DIR defaults to /var/run/wireguard
 *        uapi_write -p CONF              print the request, write nothing
 * Exit 0 when the device answers errno=0, 1 otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define KEY_LEN 32

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;

		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* A WireGuard key: 44 characters of base64, the last one "=". */
static bool key_to_hex(const char *s, char hex[2 * KEY_LEN + 1])
{
	unsigned char k[KEY_LEN + 1];
	size_t n = 0;

	if (strlen(s) != 44 || s[43] != '=')
		return false;
	for (size_t i = 0; i < 44; i += 4) {
		int v[4];

		for (int j = 0; j < 4; j++)
			v[j] = s[i + j] == '=' ? 0 : b64val(s[i + j]);
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return false;
		unsigned w = (unsigned)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);

		k[n++] = (unsigned char)(w >> 16);
		k[n++] = (unsigned char)(w >> 8);
		if (n < sizeof(k))
			k[n++] = (unsigned char)w;
	}
	for (size_t i = 0; i < KEY_LEN; i++)
		sprintf(hex + 2 * i, "%02x", k[i]);
	return true;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* "off" is 0 for FwMark and PersistentKeepalive, as wg(8) reads it. */
static unsigned long number(const char *v)
{
	return strcasecmp(v, "off") ? strtoul(v, NULL, 0) : 0;
}

static int add_key(struct buf *b, const char *name, const char *v)
{
	char hex[2 * KEY_LEN + 1];

	if (!key_to_hex(v, hex))
		return -EINVAL;
	return buf_add(b, "%s=%s\n", name, hex);
}

static int add_allowed(struct buf *b, char *list)
{
	int err = buf_add(b, "replace_allowed_ips=true\n");

	for (char *tok = strtok(list, ","); tok && !err; tok = strtok(NULL, ","))
		err = buf_add(b, "allowed_ip=%s\n", trim(tok));
	return err;
}

static int add_line(struct buf *b, bool peer, const char *k, char *v)
{
	if (!peer && !strcasecmp(k, "PrivateKey"))
		return add_key(b, "private_key", v);
	if (!peer && !strcasecmp(k, "ListenPort"))
		return buf_add(b, "listen_port=%lu\n", number(v));
	if (!peer && !strcasecmp(k, "FwMark"))
		return buf_add(b, "fwmark=%lu\n", number(v));
	if (peer && !strcasecmp(k, "PresharedKey"))
		return add_key(b, "preshared_key", v);
	if (peer && !strcasecmp(k, "Endpoint"))
		return buf_add(b, "endpoint=%s\n", v);
	if (peer && !strcasecmp(k, "AllowedIPs"))
		return add_allowed(b, v);
	if (peer && !strcasecmp(k, "PersistentKeepalive"))
		return buf_add(b, "persistent_keepalive_interval=%lu\n",
			       number(v));
	return -EINVAL;
}

/* The peer's public_key= must open its block, whatever the file's order:
 * collect a peer's other lines, then emit the key first. */
static int flush_peer(struct buf *out, struct buf *pend, char *pubkey)
{
	int err = 0;

	if (pubkey[0])
		err = add_key(out, "public_key", pubkey);
	if (!err && pend->len)
		err = buf_add(out, "%.*s", (int)pend->len, pend->p);
	pend->len = 0;
	pubkey[0] = '\0';
	return err;
}

static int translate(FILE *f, const char *path, struct buf *out)
{
	struct buf pend = { 0 };
	char *line = NULL, pubkey[64] = "";
	size_t cap = 0;
	unsigned long lineno = 0;
	bool peer = false;
	int err = buf_add(out, "set=1\nreplace_peers=true\n");

	while (!err && getline(&line, &cap, f) >= 0) {
		char *s = line, *eq;

		lineno++;
		s[strcspn(s, "#")] = '\0';
		s = trim(s);
		if (!*s)
			continue;
		if (*s == '[') {
			err = flush_peer(out, &pend, pubkey);
			peer = !strcasecmp(s, "[Peer]");
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			err = -EINVAL;
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);

		if (peer && !strcasecmp(k, "PublicKey")) {
			if (strlen(v) >= sizeof(pubkey))
				err = -EINVAL;
			else
				strcpy(pubkey, v);
		} else {
			err = add_line(peer ? &pend : out, peer, k, v);
		}
	}
	if (!err)
		err = flush_peer(out, &pend, pubkey);
	if (!err)
		err = buf_add(out, "\n");
	if (err)
		fprintf(stderr, "uapi_write: %s:%lu: cannot translate\n", path,
			lineno);
	free(pend.p);
	free(line);
	return err;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Grow b so that at least want more bytes fit. */
static int buf_room(struct buf *b, size_t want)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	while (cap - b->len < want)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Read the reply up to its blank line; return the device's errno. */
static int read_reply(int fd)
{
	struct buf r = { 0 };
	int err = 0;

	while (!(r.len >= 2 && !memcmp(r.p + r.len - 2, "\n\n", 2))) {
		ssize_t n;

		err = buf_room(&r, 256);
		if (err)
			break;
		n = read(fd, r.p + r.len, r.cap - r.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n ? -errno : -EPIPE;
			break;
		}
		r.len += (size_t)n;
		r.p[r.len] = '\0';
	}
	if (!err) {
		char *e = strstr(r.p, "errno=");

		err = e ? -atoi(e + 6) : -EPROTO;
	}
	free(r.p);
	return err;
}

static int send_request(const char *dir, const char *iface,
			const struct buf *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
			     dir, iface) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		goto out_fd;
	}
	err = write_all(fd, req->p, req->len);
	if (!err)
		err = read_reply(fd);
out_fd:
	close(fd);
	return err;
}

int main(int argc, char **argv)
{
	bool print = argc == 3 && !strcmp(argv[1], "-p");
	const char *conf = print ? argv[2] : argv[1];
	struct buf req = { 0 };
	FILE *f;
	int err;

	if (!print && (argc < 3 || argc > 4)) {
		fprintf(stderr, "usage: uapi_write CONF IFACE [DIR]\n"
				"       uapi_write -p CONF\n");
		return 1;
	}
	f = fopen(conf, "r");
	if (!f) {
		fprintf(stderr, "uapi_write: %s: %s\n", conf, strerror(errno));
		return 1;
	}
	err = translate(f, conf, &req);
	fclose(f);
	if (!err && print)
		err = write_all(STDOUT_FILENO, req.p, req.len);
	else if (!err)
		err = send_request(argc == 4 ? argv[3] : "/var/run/wireguard",
				   argv[2], &req);
	if (err && !print)
		fprintf(stderr, "uapi_write: %s: %s\n", argv[2], strerror(-err));
	free(req.p);
	return err ? 1 : 0;
}
