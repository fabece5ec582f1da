/* test_wg.c - the WireGuard device module.
 *
 * Pure tests: a UAPI reply recorded from wireguard-go (keys in it replaced
 * by fixed test values), malformed replies, the set=1 requests for the
 * changes apply makes, and generic netlink messages built here exactly as
 * the kernel builds them (this machine's kernel may have no WireGuard).
 * Socket tests talk to a scripted server on a temporary unix socket.  The
 * root test runs wireguard-go (or the kernel module) in a fresh network
 * namespace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "apply/nl.h"
#include "apply/rtnl.h"
#include "apply/wg.h"
#include "apply/wg_internal.h"
#include "base/secret.h"
#include "diff/diff.h"

/* A fwmark as the recordings in data/wg hold it (meshc 0.1's fixed mark;
 * the device does not care which number it is). */
#define MESHC_FWMARK 0x4d43

static const char *test_argv0;

/* ---- helpers ------------------------------------------------------------ */

static char *read_fixture(const char *name, size_t *len)
{
	char path[4096];
	char *dir, *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "tests/unit/data/wg/%s", name);
	f = fopen(path, "rb");
	if (!f) {
		/* run from elsewhere: build/tests/test_wg -> repo root */
		dir = strdup(test_argv0);
		char *slash = strrchr(dir, '/');

		if (slash)
			*slash = '\0';
		snprintf(path, sizeof(path), "%s/../../tests/unit/data/wg/%s",
			 slash ? dir : ".", name);
		free(dir);
		f = fopen(path, "rb");
	}
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;
	const char *why;

	assert_int_equal(ip_prefix_parse(s, &p, &why), 0);
	return p;
}

/* A deterministic public key from a number. */
static void test_key(unsigned n, char out[WG_KEY_B64_LEN + 1])
{
	uint8_t k[WG_KEY_LEN];

	memset(k, 0, sizeof(k));
	for (int i = 0; i < 4; i++)
		k[i] = (uint8_t)(n >> (8 * i));
	k[31] = 0x5a;
	key_to_base64(k, out);
}

static const char *key_hex(const char *b64, char out[65])
{
	uint8_t k[WG_KEY_LEN];

	assert_true(key_from_base64(b64, k));
	for (int i = 0; i < WG_KEY_LEN; i++)
		sprintf(out + 2 * i, "%02x", k[i]);
	return out;
}

struct builder {
	struct arena *a;
	struct plan *p;
	size_t cap_peers;
};

static struct plan *new_plan(struct builder *b, struct arena *a,
			     const char *ifname)
{
	struct plan *p = arena_alloc(a, sizeof(*p));

	b->a = a;
	b->p = p;
	b->cap_peers = 0;
	p->node = "a";
	p->mesh = "x";
	p->iface.name = ifname;
	test_key(1000, p->iface.public_key);
	p->iface.listen_port = 51820;
	return p;
}

/* ips: NULL-terminated */
static struct plan_peer *add_peer(struct builder *b, const char *name,
				  unsigned key, const char *endpoint,
				  uint16_t keepalive, const char *const *ips)
{
	struct plan_peer *peer = arena_push(b->a, &b->p->peers,
					    &b->p->n_peers, &b->cap_peers,
					    sizeof(*peer));
	size_t cap = 0;

	peer->name = name;
	test_key(key, peer->public_key);
	peer->endpoint = endpoint;
	peer->keepalive = keepalive;
	for (; ips && *ips; ips++) {
		struct plan_allowed_ip *ip = arena_push(
			b->a, &peer->allowed_ips, &peer->n_allowed_ips, &cap,
			sizeof(*ip));

		ip->prefix = pfx(*ips);
	}
	return peer;
}

/* A copy of p whose peers array is its own (to change one peer). */
static struct plan *copy_plan(struct arena *a, const struct plan *p)
{
	struct plan *c = arena_alloc(a, sizeof(*c));

	*c = *p;
	c->peers = arena_calloc(a, p->n_peers ? p->n_peers : 1,
				sizeof(*c->peers));
	memcpy(c->peers, p->peers, p->n_peers * sizeof(*c->peers));
	return c;
}

static struct plan_peer *peer_named(struct plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_peers; i++)
		if (p->peers[i].name && !strcmp(p->peers[i].name, name))
			return &p->peers[i];
	fail_msg("no peer %s", name);
	return NULL;
}

static const char *const IPS_B[] = { "100.64.0.2/32", "fd00:64::2/128",
				     NULL };
static const char *const IPS_C[] = { "100.64.0.3/32", "10.1.0.0/16", NULL };
static const char *const IPS_D[] = { "100.64.0.4/32", NULL };

/* node a with peers b, c, d */
static struct plan *three_peer_plan(struct builder *b, struct arena *a,
				    const char *ifname)
{
	struct plan *p = new_plan(b, a, ifname);

	p->iface.fwmark = MESHC_FWMARK;
	add_peer(b, "b", 1, "192.0.2.1:51820", 25, IPS_B);
	add_peer(b, "c", 2, "[2001:db8::5]:4500", 0, IPS_C);
	add_peer(b, "d", 3, NULL, 0, IPS_D);
	plan_sort(p);
	return p;
}

static struct changeset *diff(struct arena *a, const struct plan *old,
			      const struct plan *new)
{
	struct changeset *cs = arena_alloc(a, sizeof(*cs));

	diff_plans(a, old, new, cs);
	return cs;
}

static char *build_set(const struct secret_key *priv, const struct plan *want,
		       const struct changeset *cs)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;

	wg_uapi_build_set(&sb, priv, NULL, want, cs);
	s = strdup(strbuf_str(&sb));
	secret_wipe(sb.buf, sb.cap);
	strbuf_free(&sb);
	return s;
}

static int uapi_parse_str(const char *s, struct arena *a,
			  struct wg_device_state *st)
{
	return wg_uapi_parse(s, strlen(s), a, st);
}

/* ---- UAPI: parsing --------------------------------------------------- */

static void test_uapi_parse_recorded_reply(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };
	char b64[WG_KEY_B64_LEN + 1], ip[IP_STRLEN];
	size_t len;
	char *buf = read_fixture("uapi_get_3peers.txt", &len);

	(void)state;
	arena_init(&a);
	assert_int_equal(wg_uapi_parse(buf, len, &a, &st), 0);
	assert_true(st.has_private_key);
	key_to_base64(st.public_key, b64);
	/* `wg pubkey` of the fixture's private key 01 02 .. 20 */
	assert_string_equal(b64, "B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw=");
	assert_int_equal(st.listen_port, 51820);
	assert_int_equal(st.fwmark, 0x4d43);
	assert_int_equal(st.n_peers, 3);

	key_to_base64(st.peers[0].public_key, b64);
	assert_string_equal(b64, "De5v+Vmv0jhUEv6luKTZD/r8658ftJOqZplKPQZDEWI=");
	assert_string_equal(st.peers[0].endpoint, "192.0.2.1:51820");
	assert_int_equal(st.peers[0].keepalive, 25);
	assert_false(st.peers[0].has_psk);
	assert_int_equal(st.peers[0].n_allowed_ips, 2);
	assert_string_equal(ip_prefix_str(&st.peers[0].allowed_ips[0], ip),
			    "100.64.0.2/32");
	assert_string_equal(ip_prefix_str(&st.peers[0].allowed_ips[1], ip),
			    "fd00:64::2/128");

	key_to_base64(st.peers[1].public_key, b64);
	assert_string_equal(b64, "AFl2xWzrZ6bxYGgUxvqwFDNc/1YSXFsg2Oo1oKriQSc=");
	assert_string_equal(st.peers[1].endpoint, "[2001:db8::5]:4500");
	assert_int_equal(st.peers[1].keepalive, 0);
	assert_int_equal(st.peers[1].n_allowed_ips, 3);
	assert_string_equal(ip_prefix_str(&st.peers[1].allowed_ips[2], ip),
			    "0.0.0.0/0");

	key_to_base64(st.peers[2].public_key, b64);
	assert_string_equal(b64, "xmKJ7+z2nnt1Oq2gv/bRpXvF/5ZmiFx6NDZnMJxzaWA=");
	assert_string_equal(st.peers[2].endpoint, "");
	assert_true(st.peers[2].has_psk);
	assert_int_equal(st.peers[2].n_allowed_ips, 1);
	assert_int_equal(st.peers[2].rx_bytes, 0);
	assert_int_equal(st.peers[2].last_handshake_sec, 0);
	free(buf);
	arena_free(&a);
}

/* The keys themselves only for a caller that asks (apply): into its
 * table, by peer; a peer whose key is all zeros has none.  As a plan,
 * a peer with a key has PLAN_PSK_OTHER until live_read says whose. */
static void test_uapi_parse_preshared_keys_into_table(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };
	struct wg_psks t;
	uint8_t bb[WG_KEY_LEN];
	struct plan p;
	size_t len;
	char *buf = read_fixture("uapi_get_3peers.txt", &len);

	(void)state;
	arena_init(&a);
	assert_int_equal(secret_init(), 0);
	wg_psks_init(&t, &a);
	st.psk_out = &t;
	assert_int_equal(wg_uapi_parse(buf, len, &a, &st), 0);
	assert_ptr_equal(st.psk_out, &t);
	memset(bb, 0xbb, sizeof(bb));
	assert_int_equal(t.keys.n, 1);
	assert_non_null(wg_psks_get(&t, "xmKJ7+z2nnt1Oq2gv/bRpXvF/5ZmiFx6NDZnMJxzaWA="));
	assert_memory_equal(wg_psks_get(&t, "xmKJ7+z2nnt1Oq2gv/bRpXvF/5ZmiFx6NDZnMJxzaWA="),
			    bb, WG_KEY_LEN);
	assert_null(wg_psks_get(&t, "De5v+Vmv0jhUEv6luKTZD/r8658ftJOqZplKPQZDEWI="));
	memset(&p, 0, sizeof(p));
	wg_state_to_plan(&a, &st, &p);
	for (size_t i = 0; i < p.n_peers; i++)
		if (!strcmp(p.peers[i].public_key,
			    "xmKJ7+z2nnt1Oq2gv/bRpXvF/5ZmiFx6NDZnMJxzaWA="))
			assert_string_equal(p.peers[i].preshared_key_file,
					    PLAN_PSK_OTHER);
		else
			assert_null(p.peers[i].preshared_key_file);
	wg_psks_free(&t);
	assert_int_equal(t.keys.n, 0);
	assert_null(wg_psks_get(&t, "xmKJ7+z2nnt1Oq2gv/bRpXvF/5ZmiFx6NDZnMJxzaWA="));
	free(buf);
	arena_free(&a);
}

static void test_uapi_parse_fresh_device_has_no_key(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };
	struct plan p;
	size_t len;
	char *buf = read_fixture("uapi_get_fresh.txt", &len);

	(void)state;
	arena_init(&a);
	assert_int_equal(wg_uapi_parse(buf, len, &a, &st), 0);
	assert_false(st.has_private_key);
	assert_int_equal(st.listen_port, 51214);
	assert_int_equal(st.n_peers, 0);
	memset(&p, 0, sizeof(p));
	strcpy(p.iface.public_key, "stale");
	wg_state_to_plan(&a, &st, &p);
	assert_string_equal(p.iface.public_key, "");
	assert_int_equal(p.iface.listen_port, 51214);
	assert_int_equal(p.n_peers, 0);
	free(buf);
	arena_free(&a);
}

static void test_uapi_parse_counters(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };
	char hex[65], b64[WG_KEY_B64_LEN + 1], req[1024];

	(void)state;
	arena_init(&a);
	test_key(7, b64);
	snprintf(req, sizeof(req),
		 "public_key=%s\nrx_bytes=18446744073709551615\n"
		 "tx_bytes=12345\nlast_handshake_time_sec=1700000000\n"
		 "last_handshake_time_nsec=999999999\nerrno=0\n\n",
		 key_hex(b64, hex));
	assert_int_equal(uapi_parse_str(req, &a, &st), 0);
	assert_int_equal(st.n_peers, 1);
	assert_true(st.peers[0].rx_bytes == UINT64_MAX);
	assert_int_equal(st.peers[0].tx_bytes, 12345);
	assert_int_equal(st.peers[0].last_handshake_sec, 1700000000);
	arena_free(&a);
}

static void test_uapi_parse_errno_either_sign(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };

	(void)state;
	arena_init(&a);
	/* wireguard-go writes the errno negated */
	assert_int_equal(uapi_parse_str("errno=-22\n\n", &a, &st), -EINVAL);
	assert_int_equal(uapi_parse_str("errno=2\n\n", &a, &st), -ENOENT);
	assert_int_equal(uapi_parse_str("errno=0\n\n", &a, &st), 0);
	assert_int_equal(uapi_parse_str("errno=0", &a, &st), 0);
	assert_int_equal(uapi_parse_str("errno=\n\n", &a, &st), -EINVAL);
	assert_int_equal(uapi_parse_str("errno=x\n\n", &a, &st), -EINVAL);
	assert_int_equal(uapi_parse_str("errno=99999999999\n\n", &a, &st),
			 -EINVAL);
	arena_free(&a);
}

static void test_uapi_parse_missing_errno_is_malformed(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };
	size_t len;
	char *buf = read_fixture("uapi_get_3peers.txt", &len);
	char *cut = strstr(buf, "errno=");

	(void)state;
	arena_init(&a);
	assert_non_null(cut);
	/* a reply cut off before its errno line */
	assert_int_equal(wg_uapi_parse(buf, (size_t)(cut - buf), &a, &st),
			 -EINVAL);
	assert_int_equal(uapi_parse_str("", &a, &st), -EINVAL);
	assert_int_equal(uapi_parse_str("\n", &a, &st), -EINVAL);
	assert_int_equal(uapi_parse_str("listen_port=1\n\n", &a, &st),
			 -EINVAL);
	/* what follows the blank line is not part of the reply */
	assert_int_equal(uapi_parse_str("listen_port=1\n\nerrno=0\n\n", &a,
					&st),
			 -EINVAL);
	free(buf);
	arena_free(&a);
}

static void test_uapi_parse_bad_hex(void **state)
{
	static const char *const bad[] = {
		"public_key=zz\nerrno=0\n\n",
		"public_key=0dee6ff959afd2385412fea5b8a4d90ffafceb9f1fb493aa66994"
		"a3d0643116\nerrno=0\n\n",
		"public_key=0dee6ff959afd2385412fea5b8a4d90ffafceb9f1fb493aa66994"
		"a3d064311622\nerrno=0\n\n",
		"public_key=0dee6ff959afd2385412fea5b8a4d90ffafceb9f1fb493aa66994"
		"a3d064311g\nerrno=0\n\n",
		"private_key=xx02030405060708090a0b0c0d0e0f101112131415161718191a"
		"1b1c1d1e1f20\nerrno=0\n\n",
		"public_key=0dee6ff959afd2385412fea5b8a4d90ffafceb9f1fb493aa66994"
		"a3d06431162\npreshared_key=0\nerrno=0\n\n",
	};
	struct arena a;
	struct wg_device_state st = { 0 };

	(void)state;
	arena_init(&a);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (uapi_parse_str(bad[i], &a, &st) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
	arena_free(&a);
}

static void test_uapi_parse_bad_allowed_ip(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33", "10.0.0.0", "300.1.1.1/32", "::/129",
		"10.0.0.0/", "/8", "10.0.0.0/8x", "10.0.0.0/-1",
		"fe80::1%eth0/64", "",
	};
	struct arena a;
	struct wg_device_state st = { 0 };
	char b64[WG_KEY_B64_LEN + 1], hex[65], req[512];

	(void)state;
	arena_init(&a);
	test_key(1, b64);
	key_hex(b64, hex);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(req, sizeof(req),
			 "public_key=%s\nallowed_ip=%s\nerrno=0\n\n", hex,
			 bad[i]);
		if (uapi_parse_str(req, &a, &st) != -EINVAL)
			fail_msg("accepted allowed_ip=%s", bad[i]);
	}
	arena_free(&a);
}

static void test_uapi_parse_huge_values(void **state)
{
	static const char *const dev[] = {
		"listen_port=65536", "listen_port=-1", "listen_port=",
		"listen_port= 1", "fwmark=4294967296",
		"fwmark=99999999999999999999999",
	};
	static const char *const peer[] = {
		"persistent_keepalive_interval=65536",
		"rx_bytes=18446744073709551616",
		"tx_bytes=184467440737095516160",
		"last_handshake_time_sec=9223372036854775808",
		"last_handshake_time_nsec=1000000000",
		"protocol_version=4294967296",
		"endpoint=1.2.3.4:65536",
		"endpoint=1.2.3.4",
		"endpoint=2001:db8::1:51820",
		"endpoint=[1.2.3.4]:51820",
		"endpoint=[2001:db8::1]:",
		"endpoint=[fe80::1%averyveryverylongzone]:1",
	};
	struct arena a;
	struct wg_device_state st = { 0 };
	char b64[WG_KEY_B64_LEN + 1], hex[65], req[512];

	(void)state;
	arena_init(&a);
	test_key(1, b64);
	key_hex(b64, hex);
	for (size_t i = 0; i < sizeof(dev) / sizeof(*dev); i++) {
		snprintf(req, sizeof(req), "%s\nerrno=0\n\n", dev[i]);
		if (uapi_parse_str(req, &a, &st) != -EINVAL)
			fail_msg("accepted %s", dev[i]);
	}
	for (size_t i = 0; i < sizeof(peer) / sizeof(*peer); i++) {
		snprintf(req, sizeof(req), "public_key=%s\n%s\nerrno=0\n\n",
			 hex, peer[i]);
		if (uapi_parse_str(req, &a, &st) != -EINVAL)
			fail_msg("accepted %s", peer[i]);
	}
	arena_free(&a);
}

static void test_uapi_parse_structure(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };
	char b64[WG_KEY_B64_LEN + 1], hex[65], req[512];

	(void)state;
	arena_init(&a);
	test_key(1, b64);
	key_hex(b64, hex);
	/* a peer's key before any public_key */
	assert_int_equal(uapi_parse_str("allowed_ip=10.0.0.0/8\nerrno=0\n\n",
					&a, &st),
			 -EINVAL);
	/* a device key among the peers */
	snprintf(req, sizeof(req), "public_key=%s\nlisten_port=1\nerrno=0\n\n",
		 hex);
	assert_int_equal(uapi_parse_str(req, &a, &st), -EINVAL);
	/* a line without '=' and one after errno */
	assert_int_equal(uapi_parse_str("listen_port\nerrno=0\n\n", &a, &st),
			 -EINVAL);
	assert_int_equal(uapi_parse_str("=1\nerrno=0\n\n", &a, &st), -EINVAL);
	assert_int_equal(uapi_parse_str("errno=0\nfwmark=1\n\n", &a, &st),
			 -EINVAL);
	/* keys of a newer implementation are skipped */
	snprintf(req, sizeof(req),
		 "jitter=3\npublic_key=%s\nnew_peer_thing=x\nerrno=0\n\n", hex);
	assert_int_equal(uapi_parse_str(req, &a, &st), 0);
	assert_int_equal(st.n_peers, 1);
	arena_free(&a);
}

static void test_uapi_parse_normalizes_values(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };
	char b64[WG_KEY_B64_LEN + 1], hex[65], req[512], ip[IP_STRLEN];

	(void)state;
	arena_init(&a);
	test_key(1, b64);
	key_hex(b64, hex);
	snprintf(req, sizeof(req),
		 "public_key=%s\nendpoint=[2001:0DB8:0::05]:4500\n"
		 "allowed_ip=10.1.2.3/16\nallowed_ip=2001:db8::1/32\n"
		 "errno=0\n\n",
		 hex);
	assert_int_equal(uapi_parse_str(req, &a, &st), 0);
	assert_string_equal(st.peers[0].endpoint, "[2001:db8::5]:4500");
	assert_string_equal(ip_prefix_str(&st.peers[0].allowed_ips[0], ip),
			    "10.1.0.0/16");
	assert_string_equal(ip_prefix_str(&st.peers[0].allowed_ips[1], ip),
			    "2001:db8::/32");
	snprintf(req, sizeof(req),
		 "public_key=%s\nendpoint=[fe80::1%%eth0]:51820\nerrno=0\n\n",
		 hex);
	assert_int_equal(uapi_parse_str(req, &a, &st), 0);
	assert_string_equal(st.peers[0].endpoint, "[fe80::1%eth0]:51820");
	arena_free(&a);
}

static void test_uapi_parse_many_allowed_ips(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct arena a;
	struct wg_device_state st = { 0 };
	char b64[WG_KEY_B64_LEN + 1], hex[65], ip[IP_STRLEN];

	(void)state;
	arena_init(&a);
	test_key(1, b64);
	strbuf_printf(&sb, "public_key=%s\n", key_hex(b64, hex));
	for (int i = 0; i < 1000; i++)
		strbuf_printf(&sb, "allowed_ip=10.%d.%d.0/24\n", i / 256,
			      i % 256);
	strbuf_puts(&sb, "errno=0\n\n");
	assert_int_equal(wg_uapi_parse(sb.buf, sb.len, &a, &st), 0);
	assert_int_equal(st.peers[0].n_allowed_ips, 1000);
	assert_string_equal(ip_prefix_str(&st.peers[0].allowed_ips[999], ip),
			    "10.3.231.0/24");
	strbuf_free(&sb);
	arena_free(&a);
}

/* ---- the live state as a plan ---------------------------------------- */

static void test_state_to_plan_sorted_without_names(void **state)
{
	struct arena a;
	struct wg_device_state st = { 0 };
	struct plan p;
	char ip[IP_STRLEN];
	size_t len;
	char *buf = read_fixture("uapi_get_3peers.txt", &len);

	(void)state;
	arena_init(&a);
	assert_int_equal(wg_uapi_parse(buf, len, &a, &st), 0);
	memset(&p, 0, sizeof(p));
	wg_state_to_plan(&a, &st, &p);
	assert_string_equal(p.iface.public_key,
			    "B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw=");
	assert_int_equal(p.iface.listen_port, 51820);
	assert_int_equal(p.iface.fwmark, 0x4d43);
	assert_int_equal(p.n_peers, 3);
	/* key order, as plan_sort() puts nameless peers */
	assert_string_equal(p.peers[0].public_key,
			    "AFl2xWzrZ6bxYGgUxvqwFDNc/1YSXFsg2Oo1oKriQSc=");
	assert_string_equal(p.peers[1].public_key,
			    "De5v+Vmv0jhUEv6luKTZD/r8658ftJOqZplKPQZDEWI=");
	assert_string_equal(p.peers[2].public_key,
			    "xmKJ7+z2nnt1Oq2gv/bRpXvF/5ZmiFx6NDZnMJxzaWA=");
	for (size_t i = 0; i < 3; i++)
		assert_null(p.peers[i].name);
	assert_string_equal(p.peers[0].endpoint, "[2001:db8::5]:4500");
	assert_null(p.peers[2].endpoint);
	assert_int_equal(p.peers[1].keepalive, 25);
	/* allowed IPs sorted like plan_sort() */
	assert_int_equal(p.peers[0].n_allowed_ips, 3);
	assert_string_equal(ip_prefix_str(&p.peers[0].allowed_ips[0].prefix,
					  ip),
			    "0.0.0.0/0");
	assert_string_equal(ip_prefix_str(&p.peers[0].allowed_ips[1].prefix,
					  ip),
			    "10.1.0.0/16");
	assert_string_equal(ip_prefix_str(&p.peers[0].allowed_ips[2].prefix,
					  ip),
			    "100.64.0.3/32");
	free(buf);
	arena_free(&a);
}

/* ---- UAPI: set requests ----------------------------------------------- */

static void test_build_set_fresh_config_replaces_peers(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *p;
	struct strbuf want = STRBUF_INIT;
	char hex[3][65];
	char *got;

	(void)state;
	arena_init(&a);
	p = three_peer_plan(&b, &a, "meshx");
	for (int i = 0; i < 3; i++)
		key_hex(peer_named(p, (const char *[]){ "b", "c", "d" }[i])
				->public_key,
			hex[i]);
	got = build_set(NULL, p, NULL);
	strbuf_printf(&want,
		      "set=1\n"
		      "listen_port=51820\n"
		      "fwmark=19779\n"
		      "replace_peers=true\n"
		      "public_key=%s\n"
		      "endpoint=192.0.2.1:51820\n"
		      "persistent_keepalive_interval=25\n"
		      "replace_allowed_ips=true\n"
		      "allowed_ip=100.64.0.2/32\n"
		      "allowed_ip=fd00:64::2/128\n"
		      "public_key=%s\n"
		      "endpoint=[2001:db8::5]:4500\n"
		      "persistent_keepalive_interval=0\n"
		      "replace_allowed_ips=true\n"
		      "allowed_ip=10.1.0.0/16\n"
		      "allowed_ip=100.64.0.3/32\n"
		      "public_key=%s\n"
		      "persistent_keepalive_interval=0\n"
		      "replace_allowed_ips=true\n"
		      "allowed_ip=100.64.0.4/32\n"
		      "\n",
		      hex[0], hex[1], hex[2]);
	assert_string_equal(got, strbuf_str(&want));
	assert_null(strstr(got, "private_key"));
	free(got);
	strbuf_free(&want);
	arena_free(&a);
}

static void test_build_set_private_key_only_when_given(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *p, *live;
	struct secret_key k;
	char hex[65], line[128];
	char *got;

	(void)state;
	arena_init(&a);
	assert_int_equal(secret_key_from_base64(
				 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=",
				 44, &k),
			 0);
	p = three_peer_plan(&b, &a, "meshx");
	got = build_set(&k, p, NULL);
	for (int i = 0; i < WG_KEY_LEN; i++)
		sprintf(hex + 2 * i, "%02x", i + 1);
	snprintf(line, sizeof(line), "set=1\nprivate_key=%s\nlisten_port=",
		 hex);
	assert_memory_equal(got, line, strlen(line));
	free(got);

	/* a key change alone: the key and nothing else */
	live = copy_plan(&a, p);
	test_key(999, live->iface.public_key);
	got = build_set(&k, p, diff(&a, live, p));
	snprintf(line, sizeof(line), "set=1\nprivate_key=%s\n\n", hex);
	assert_string_equal(got, line);
	free(got);
	got = build_set(NULL, p, diff(&a, live, p));
	assert_string_equal(got, "set=1\n\n");
	free(got);
	secret_key_free(&k);
	arena_free(&a);
}

static void test_build_set_key_is_wiped_with_the_buffer(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *p;
	struct secret_key k;
	struct strbuf sb = STRBUF_INIT;
	static const char *const many[] = { "10.0.0.0/8", NULL };

	(void)state;
	arena_init(&a);
	assert_int_equal(secret_key_generate(&k, true), 0);
	p = new_plan(&b, &a, "meshx");
	for (unsigned i = 0; i < 500; i++)
		add_peer(&b, NULL, 10 + i, "192.0.2.1:1", 0, many);
	/* out already has something: the room is made behind it */
	strbuf_puts(&sb, "x");
	wg_uapi_build_set(&sb, &k, NULL, p, NULL);
	assert_true(sb.len + 1 <= sb.cap);
	assert_memory_equal(sb.buf, "xset=1\nprivate_key=", 19);
	assert_true(sb.len > 500 * 64);
	secret_wipe(sb.buf, sb.cap);
	for (size_t i = 0; i < sb.cap; i++)
		assert_int_equal(sb.buf[i], 0);
	strbuf_free(&sb);
	secret_key_free(&k);
	arena_free(&a);
}

static void test_build_set_endpoint_only_change(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *live, *want;
	char hex[65], expect[256];
	char *got;

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	want = copy_plan(&a, live);
	peer_named(want, "c")->endpoint = "[2001:db8::6]:4500";
	got = build_set(NULL, want, diff(&a, live, want));
	snprintf(expect, sizeof(expect),
		 "set=1\npublic_key=%s\nupdate_only=true\n"
		 "endpoint=[2001:db8::6]:4500\n\n",
		 key_hex(peer_named(want, "c")->public_key, hex));
	assert_string_equal(got, expect);
	free(got);
	arena_free(&a);
}

static void test_build_set_allowed_ip_change_replaces_list(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *live, *want;
	struct plan_peer *d;
	char hex[65], expect[512];
	char *got;

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	want = copy_plan(&a, live);
	d = peer_named(want, "d");
	d->allowed_ips = arena_calloc(&a, 2, sizeof(*d->allowed_ips));
	d->allowed_ips[0].prefix = pfx("100.64.0.4/32");
	d->allowed_ips[1].prefix = pfx("192.168.7.0/24");
	d->n_allowed_ips = 2;
	d->keepalive = 15;
	got = build_set(NULL, want, diff(&a, live, want));
	snprintf(expect, sizeof(expect),
		 "set=1\npublic_key=%s\nupdate_only=true\n"
		 "persistent_keepalive_interval=15\n"
		 "replace_allowed_ips=true\n"
		 "allowed_ip=100.64.0.4/32\nallowed_ip=192.168.7.0/24\n\n",
		 key_hex(d->public_key, hex));
	assert_string_equal(got, expect);
	free(got);
	arena_free(&a);
}

static void test_build_set_removal_and_addition(void **state)
{
	static const char *const ips[] = { "100.64.0.9/32", NULL };
	struct builder b, b2;
	struct arena a;
	struct plan *live, *want;
	char hb[65], he[65], expect[512];
	char *got;

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	/* want: b and c as before, d gone, e new */
	want = new_plan(&b2, &a, "meshx");
	want->iface.fwmark = MESHC_FWMARK;
	add_peer(&b2, "b", 1, "192.0.2.1:51820", 25, IPS_B);
	add_peer(&b2, "c", 2, "[2001:db8::5]:4500", 0, IPS_C);
	add_peer(&b2, "e", 9, "198.51.100.1:51820", 0, ips);
	plan_sort(want);
	got = build_set(NULL, want, diff(&a, live, want));
	snprintf(expect, sizeof(expect),
		 "set=1\npublic_key=%s\nremove=true\n"
		 "public_key=%s\nendpoint=198.51.100.1:51820\n"
		 "persistent_keepalive_interval=0\n"
		 "replace_allowed_ips=true\nallowed_ip=100.64.0.9/32\n\n",
		 key_hex(peer_named(live, "d")->public_key, hb),
		 key_hex(peer_named(want, "e")->public_key, he));
	assert_string_equal(got, expect);
	free(got);
	arena_free(&a);
}

/* A table holding `fill` as the key of each named peer of p. */
static struct wg_psks *psks_for(struct arena *a, const struct plan *p,
				const char *const *names, uint8_t fill)
{
	struct wg_psks *t = arena_alloc(a, sizeof(*t));

	wg_psks_init(t, a);
	for (; *names; names++) {
		const struct plan_peer *peer = NULL;
		uint8_t key[WG_KEY_LEN];

		for (size_t i = 0; i < p->n_peers; i++)
			if (!strcmp(p->peers[i].name, *names))
				peer = &p->peers[i];
		assert_non_null(peer);
		assert_true(key_from_base64(peer->public_key, key));
		memset(wg_psks_slot(t, key), fill, WG_KEY_LEN);
	}
	return t;
}

static char *build_set_psks(const struct plan *want,
			    const struct wg_psks *psks,
			    const struct changeset *cs)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;

	wg_uapi_build_set(&sb, NULL, psks, want, cs);
	s = strdup(strbuf_str(&sb));
	secret_wipe(sb.buf, sb.cap);
	strbuf_free(&sb);
	return s;
}

/* A peer whose preshared key changes gets that key and nothing else
 * (update_only: its session and the other peers' stay); a peer that loses
 * it gets zeros; a new peer gets its key with the rest; a peer whose key
 * the table lacks is refused, before anything is sent. */
static void test_build_set_preshared_key_change_only(void **state)
{
	static const char *const c_only[] = { "c", NULL };
	static const char *const ips[] = { "100.64.0.9/32", NULL };
	struct builder b;
	struct arena a;
	struct plan *live, *want;
	struct wg_set_ops ops;
	struct wg_psks *t;
	char hex[65], he[65], expect[512];
	char *got;

	(void)state;
	arena_init(&a);
	assert_int_equal(secret_init(), 0);
	live = three_peer_plan(&b, &a, "meshx");
	want = copy_plan(&a, live);
	peer_named(want, "c")->preshared_key_file = "/x.psk";
	t = psks_for(&a, want, c_only, 0x11);
	got = build_set_psks(want, t, diff(&a, live, want));
	snprintf(expect, sizeof(expect),
		 "set=1\npublic_key=%s\nupdate_only=true\npreshared_key="
		 "1111111111111111111111111111111111111111111111111111111111111111"
		 "\n\n",
		 key_hex(peer_named(want, "c")->public_key, hex));
	assert_string_equal(got, expect);
	free(got);

	/* the live key is another one: the same request */
	peer_named(live, "c")->preshared_key_file = PLAN_PSK_OTHER;
	got = build_set_psks(want, t, diff(&a, live, want));
	assert_string_equal(got, expect);
	free(got);

	/* the wanted one already: nothing */
	peer_named(live, "c")->preshared_key_file = "/x.psk";
	got = build_set_psks(want, t, diff(&a, live, want));
	assert_string_equal(got, "set=1\n\n");
	free(got);

	/* lost: zeros, the key of no pair */
	peer_named(want, "c")->preshared_key_file = NULL;
	got = build_set_psks(want, t, diff(&a, live, want));
	snprintf(expect, sizeof(expect),
		 "set=1\npublic_key=%s\nupdate_only=true\npreshared_key="
		 "0000000000000000000000000000000000000000000000000000000000000000"
		 "\n\n",
		 hex);
	assert_string_equal(got, expect);
	free(got);

	/* a new peer: its key before the rest */
	want = copy_plan(&a, live);
	b.p = want;
	b.cap_peers = want->n_peers;
	add_peer(&b, "e", 9, NULL, 0, ips)->preshared_key_file = "/x.psk";
	plan_sort(want);
	t = psks_for(&a, want, (const char *const[]){ "c", "e", NULL }, 0x22);
	got = build_set_psks(want, t, diff(&a, live, want));
	snprintf(expect, sizeof(expect),
		 "set=1\npublic_key=%s\npreshared_key="
		 "2222222222222222222222222222222222222222222222222222222222222222"
		 "\npersistent_keepalive_interval=0\n"
		 "replace_allowed_ips=true\nallowed_ip=100.64.0.9/32\n\n",
		 key_hex(peer_named(want, "e")->public_key, he));
	assert_string_equal(got, expect);
	free(got);

	/* no key at hand for a peer that wants one: refused */
	t = psks_for(&a, want, c_only, 0x22);
	assert_int_equal(wg_set_ops_build(&a, want, t, diff(&a, live, want),
					  &ops),
			 -ENOKEY);
	assert_int_equal(wg_set_ops_build(&a, want, NULL, NULL, &ops),
			 -ENOKEY);
	arena_free(&a);
}

static void test_build_set_listen_port_and_fwmark(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *live, *want;
	char *got;

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	want = copy_plan(&a, live);
	want->iface.listen_port = 51999;
	got = build_set(NULL, want, diff(&a, live, want));
	assert_string_equal(got, "set=1\nlisten_port=51999\n\n");
	free(got);
	want->iface.listen_port = live->iface.listen_port;
	want->iface.fwmark = 0;	/* fwmark=0 removes the mark */
	got = build_set(NULL, want, diff(&a, live, want));
	assert_string_equal(got, "set=1\nfwmark=0\n\n");
	free(got);
	arena_free(&a);
}

static void test_build_set_sends_nothing_for_cosmetic_changes(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *live, *want;
	char *got;

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	want = copy_plan(&a, live);
	peer_named(want, "b")->name = "b2";	/* a rename */
	/* WireGuard cannot forget an endpoint: "none" sends nothing */
	peer_named(want, "c")->endpoint = NULL;
	want->iface.private_key_file = "/other/path";
	got = build_set(NULL, want, diff(&a, live, want));
	assert_string_equal(got, "set=1\n\n");
	free(got);
	arena_free(&a);
}

static void test_build_set_key_rotation_removes_first(void **state)
{
	struct builder b, b2;
	struct arena a;
	struct plan *live, *want;
	char *got, *rm, *add;
	char hold[65], hnew[65];

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	want = new_plan(&b2, &a, "meshx");
	want->iface.fwmark = MESHC_FWMARK;
	add_peer(&b2, "b", 1, "192.0.2.1:51820", 25, IPS_B);
	add_peer(&b2, "c", 2, "[2001:db8::5]:4500", 0, IPS_C);
	add_peer(&b2, "d", 0x7fff, NULL, 0, IPS_D);	/* d's new key */
	plan_sort(want);
	got = build_set(NULL, want, diff(&a, live, want));
	rm = strstr(got, key_hex(peer_named(live, "d")->public_key, hold));
	add = strstr(got, key_hex(peer_named(want, "d")->public_key, hnew));
	assert_non_null(rm);
	assert_non_null(add);
	assert_true(rm < add);
	assert_non_null(strstr(rm, "remove=true\n"));
	assert_null(strstr(got, "update_only"));
	free(got);
	arena_free(&a);
}

static void test_build_set_interface_added(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *want;
	struct changeset *cs;
	char *got;

	(void)state;
	arena_init(&a);
	want = three_peer_plan(&b, &a, "meshx");
	cs = diff(&a, NULL, want);	/* a node that appears */
	got = build_set(NULL, want, cs);
	assert_memory_equal(got, "set=1\nlisten_port=51820\nfwmark=19779\n"
				 "public_key=",
			    strlen("set=1\nlisten_port=51820\nfwmark=19779\n"
				   "public_key="));
	assert_null(strstr(got, "replace_peers"));
	assert_null(strstr(got, "update_only"));
	free(got);
	arena_free(&a);
}

/* ---- generic netlink: parsing ------------------------------------------ */

#define FAKE_FAMILY 0x1d

static struct nlmsghdr *dump_msg(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = FAKE_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = WG_GENL_VERSION;
	return nlh;
}

static void put_aip(struct nlmsghdr *nlh, const char *prefix)
{
	struct ip_prefix p = pfx(prefix);
	struct nlattr *n = mnl_attr_nest_start(nlh, 0);
	bool v4 = p.addr.family == IP_V4;

	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, v4 ? AF_INET : AF_INET6);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, v4 ? 4 : 16, p.addr.b);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, p.len);
	mnl_attr_nest_end(nlh, n);
}

static void key_bytes(unsigned n, uint8_t out[WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN + 1];

	test_key(n, b64);
	assert_true(key_from_base64(b64, out));
}

/* A peer as the kernel's get_peer() writes it; ips NULL-terminated. */
static void put_dump_peer(struct nlmsghdr *nlh, unsigned key,
			  const struct sockaddr *ep, size_t eplen,
			  const char *const *ips, bool full)
{
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0), *aips;
	uint8_t k[WG_KEY_LEN], psk[WG_KEY_LEN];
	struct __kernel_timespec ts = { 1700000000, 5 };

	key_bytes(key, k);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, k);
	if (full) {
		memset(psk, key == 2 ? 0xbb : 0, sizeof(psk));
		mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, psk);
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts),
			     &ts);
		mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				 (uint16_t)(key == 1 ? 25 : 0));
		mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 1000 * key);
		mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 2000 * key);
		mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
		if (ep)
			mnl_attr_put(nlh, WGPEER_A_ENDPOINT, eplen, ep);
	}
	aips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	for (; ips && *ips; ips++)
		put_aip(nlh, *ips);
	mnl_attr_nest_end(nlh, aips);
	mnl_attr_nest_end(nlh, peer);
}

static void put_dump_device(struct nlmsghdr *nlh, bool with_key)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];

	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "meshx");
	if (with_key) {
		for (int i = 0; i < WG_KEY_LEN; i++)
			priv[i] = (uint8_t)(i + 1);
		assert_int_equal(wg_public_from_private(priv, pub), 0);
		mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, priv);
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, pub);
	}
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0x4d43);
}

static void endpoints(struct sockaddr_in *sin, struct sockaddr_in6 *sin6)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(51820);
	inet_pton(AF_INET, "192.0.2.1", &sin->sin_addr);
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(4500);
	inet_pton(AF_INET6, "2001:db8::5", &sin6->sin6_addr);
}

static void test_genl_parse_device_dump(void **state)
{
	static char buf[8192];
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct nlmsghdr *nlh = dump_msg(buf, WG_CMD_GET_DEVICE);
	struct nlattr *peers;
	struct wg_device_state st = { 0 };
	struct arena a;
	struct plan p;
	char b64[WG_KEY_B64_LEN + 1], ip[IP_STRLEN];

	(void)state;
	arena_init(&a);
	endpoints(&sin, &sin6);
	put_dump_device(nlh, true);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	put_dump_peer(nlh, 1, (void *)&sin, sizeof(sin), IPS_B, true);
	put_dump_peer(nlh, 2, (void *)&sin6, sizeof(sin6), IPS_C, true);
	put_dump_peer(nlh, 3, NULL, 0, IPS_D, true);
	mnl_attr_nest_end(nlh, peers);

	assert_int_equal(wg_genl_parse(nlh, &a, &st), 0);
	assert_true(st.has_private_key);
	key_to_base64(st.public_key, b64);
	assert_string_equal(b64, "B6N8vBQgk8i3VdwbEOhstCY3StFqqFPtC9/AsrhtHHw=");
	assert_int_equal(st.listen_port, 51820);
	assert_int_equal(st.fwmark, 0x4d43);
	assert_int_equal(st.n_peers, 3);
	assert_string_equal(st.peers[0].endpoint, "192.0.2.1:51820");
	assert_int_equal(st.peers[0].keepalive, 25);
	assert_false(st.peers[0].has_psk);
	assert_int_equal(st.peers[0].tx_bytes, 1000);
	assert_int_equal(st.peers[0].rx_bytes, 2000);
	assert_int_equal(st.peers[0].last_handshake_sec, 1700000000);
	assert_string_equal(st.peers[1].endpoint, "[2001:db8::5]:4500");
	assert_true(st.peers[1].has_psk);
	assert_string_equal(st.peers[2].endpoint, "");
	assert_int_equal(st.peers[1].n_allowed_ips, 2);
	assert_string_equal(ip_prefix_str(&st.peers[0].allowed_ips[1], ip),
			    "fd00:64::2/128");

	/* asked for, the key itself: peer 2's, no other */
	{
		struct wg_device_state st2 = { 0 };
		struct wg_psks t;
		uint8_t bb[WG_KEY_LEN];
		char k2[WG_KEY_B64_LEN + 1];

		wg_psks_init(&t, &a);
		st2.psk_out = &t;
		assert_int_equal(wg_genl_parse(nlh, &a, &st2), 0);
		memset(bb, 0xbb, sizeof(bb));
		key_to_base64(st2.peers[1].public_key, k2);
		assert_int_equal(t.keys.n, 1);
		assert_memory_equal(wg_psks_get(&t, k2), bb, WG_KEY_LEN);
		wg_psks_free(&t);
	}

	/* the same plan the UAPI backend gives */
	memset(&p, 0, sizeof(p));
	wg_state_to_plan(&a, &st, &p);
	test_key(1, b64);
	assert_int_equal(p.n_peers, 3);
	for (size_t i = 1; i < p.n_peers; i++)
		assert_true(strcmp(p.peers[i - 1].public_key,
				   p.peers[i].public_key) < 0);
	arena_free(&a);
}

static void test_genl_parse_peer_continued_across_messages(void **state)
{
	static const char *const first[] = { "10.0.0.0/24", "10.0.1.0/24",
					     NULL };
	static const char *const rest[] = { "10.0.2.0/24", "10.0.3.0/24",
					    NULL };
	static char buf1[8192], buf2[8192];
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct nlmsghdr *m1 = dump_msg(buf1, WG_CMD_GET_DEVICE);
	struct nlmsghdr *m2 = dump_msg(buf2, WG_CMD_GET_DEVICE);
	struct wg_device_state st = { 0 };
	struct nlattr *peers;
	struct arena a;
	char ip[IP_STRLEN];

	(void)state;
	arena_init(&a);
	endpoints(&sin, &sin6);
	put_dump_device(m1, true);
	peers = mnl_attr_nest_start(m1, WGDEVICE_A_PEERS);
	put_dump_peer(m1, 1, (void *)&sin, sizeof(sin), first, true);
	mnl_attr_nest_end(m1, peers);
	/* the next message: only the name and the peers; peer 1 again
	 * with only its key and the rest of its allowed IPs */
	mnl_attr_put_strz(m2, WGDEVICE_A_IFNAME, "meshx");
	peers = mnl_attr_nest_start(m2, WGDEVICE_A_PEERS);
	put_dump_peer(m2, 1, NULL, 0, rest, false);
	put_dump_peer(m2, 2, (void *)&sin6, sizeof(sin6), IPS_C, true);
	mnl_attr_nest_end(m2, peers);

	assert_int_equal(wg_genl_parse(m1, &a, &st), 0);
	assert_int_equal(wg_genl_parse(m2, &a, &st), 0);
	assert_int_equal(st.n_peers, 2);
	assert_int_equal(st.peers[0].n_allowed_ips, 4);
	assert_string_equal(ip_prefix_str(&st.peers[0].allowed_ips[3], ip),
			    "10.0.3.0/24");
	/* the continuation did not wipe what the first part said */
	assert_string_equal(st.peers[0].endpoint, "192.0.2.1:51820");
	assert_int_equal(st.peers[0].keepalive, 25);
	assert_int_equal(st.peers[0].tx_bytes, 1000);
	/* nor the device attributes */
	assert_true(st.has_private_key);
	assert_int_equal(st.listen_port, 51820);
	assert_int_equal(st.peers[1].n_allowed_ips, 2);
	arena_free(&a);
}

static void test_genl_parse_device_without_key(void **state)
{
	static char buf[1024];
	struct nlmsghdr *nlh = dump_msg(buf, WG_CMD_GET_DEVICE);
	struct wg_device_state st = { 0 };
	struct arena a;

	(void)state;
	arena_init(&a);
	put_dump_device(nlh, false);
	assert_int_equal(wg_genl_parse(nlh, &a, &st), 0);
	assert_false(st.has_private_key);
	assert_int_equal(st.n_peers, 0);
	arena_free(&a);
}

enum genl_corruption {
	BAD_KEY_LEN,
	BAD_FAMILY,
	BAD_CIDR,
	BAD_ADDR_LEN,
	BAD_ENDPOINT_LEN,
	BAD_ENDPOINT_FAMILY,
	BAD_PORT_LEN,
	NO_PEER_KEY,
	NO_CIDR,
	BAD_CMD,
	TRUNCATED,
	CORRUPTION_COUNT,
};

static struct nlmsghdr *corrupt_msg(char *buf, enum genl_corruption c)
{
	struct nlmsghdr *nlh = dump_msg(buf, c == BAD_CMD ? WG_CMD_SET_DEVICE
							  : WG_CMD_GET_DEVICE);
	struct nlattr *peers, *peer, *aips, *aip;
	uint8_t k[WG_KEY_LEN] = { 1 }, addr[16] = { 10 };
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	endpoints(&sin, &sin6);
	if (c == BAD_PORT_LEN)
		mnl_attr_put_u32(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	if (c != NO_PEER_KEY)
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY,
			     c == BAD_KEY_LEN ? 31 : WG_KEY_LEN, k);
	if (c == BAD_ENDPOINT_LEN)
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin) - 2, &sin);
	if (c == BAD_ENDPOINT_FAMILY) {
		sin.sin_family = AF_UNIX;
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	}
	aips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	aip = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY,
			 c == BAD_FAMILY ? 99 : AF_INET);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, c == BAD_ADDR_LEN ? 16 : 4,
		     addr);
	if (c != NO_CIDR)
		mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK,
				c == BAD_CIDR ? 33 : 8);
	mnl_attr_nest_end(nlh, aip);
	mnl_attr_nest_end(nlh, aips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	if (c == TRUNCATED)	/* the peers attribute claims more */
		peers->nla_len += 8;
	return nlh;
}

static void test_genl_parse_malformed(void **state)
{
	static char buf[2048];
	struct arena a;

	(void)state;
	arena_init(&a);
	for (int c = 0; c < CORRUPTION_COUNT; c++) {
		struct wg_device_state st = { 0 };
		struct nlmsghdr *nlh = corrupt_msg(buf, c);

		if (wg_genl_parse(nlh, &a, &st) != -EINVAL)
			fail_msg("corruption %d accepted", c);
	}
	/* and the uncorrupted form of the same message is fine */
	{
		struct wg_device_state st = { 0 };
		struct nlmsghdr *nlh = dump_msg(buf, WG_CMD_GET_DEVICE);

		put_dump_device(nlh, false);
		assert_int_equal(wg_genl_parse(nlh, &a, &st), 0);
	}
	arena_free(&a);
}

/* ---- generic netlink: set messages ----------------------------------- */

struct dec_peer {
	uint8_t key[WG_KEY_LEN];
	bool has_flags;
	uint32_t flags;
	size_t eplen;
	struct sockaddr_in6 ep;	/* large enough for both */
	bool has_keepalive;
	uint16_t keepalive;
	bool has_ips;
	struct ip_prefix *ips;
	size_t n_ips, cap_ips;
	bool has_psk;
	uint8_t psk[WG_KEY_LEN];
};

struct dec_msg {
	const char *ifname;
	bool has_flags, has_priv, has_port, has_fwmark;
	uint32_t flags, fwmark;
	uint16_t port;
	uint8_t priv[WG_KEY_LEN];
	struct dec_peer *peers;
	size_t n_peers, cap_peers;
};

static void dec_aip(struct arena *a, const struct nlattr *nest,
		    struct dec_peer *p)
{
	const struct nlattr *attr;
	struct ip_prefix *ip = arena_push(a, &p->ips, &p->n_ips, &p->cap_ips,
					  sizeof(*ip));
	uint16_t family = 0;

	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case WGALLOWEDIP_A_FAMILY:
			family = mnl_attr_get_u16(attr);
			ip->addr.family = family == AF_INET ? IP_V4 : IP_V6;
			break;
		case WGALLOWEDIP_A_IPADDR:
			memcpy(ip->addr.b, mnl_attr_get_payload(attr),
			       mnl_attr_get_payload_len(attr));
			break;
		case WGALLOWEDIP_A_CIDR_MASK:
			ip->len = mnl_attr_get_u8(attr);
			break;
		default:
			fail_msg("unexpected allowed-ip attribute %u",
				 mnl_attr_get_type(attr));
		}
	}
	assert_true(family == AF_INET || family == AF_INET6);
}

static void dec_peer(struct arena *a, const struct nlattr *nest,
		     struct dec_msg *m)
{
	struct dec_peer *p = arena_push(a, &m->peers, &m->n_peers,
					&m->cap_peers, sizeof(*p));
	const struct nlattr *attr, *ip;
	bool has_key = false;

	assert_true(nest->nla_type & NLA_F_NESTED);
	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case WGPEER_A_PUBLIC_KEY:
			assert_int_equal(mnl_attr_get_payload_len(attr),
					 WG_KEY_LEN);
			memcpy(p->key, mnl_attr_get_payload(attr), WG_KEY_LEN);
			has_key = true;
			break;
		case WGPEER_A_FLAGS:
			p->has_flags = true;
			p->flags = mnl_attr_get_u32(attr);
			break;
		case WGPEER_A_ENDPOINT:
			p->eplen = mnl_attr_get_payload_len(attr);
			assert_true(p->eplen <= sizeof(p->ep));
			memcpy(&p->ep, mnl_attr_get_payload(attr), p->eplen);
			break;
		case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
			p->has_keepalive = true;
			p->keepalive = mnl_attr_get_u16(attr);
			break;
		case WGPEER_A_PRESHARED_KEY:
			assert_int_equal(mnl_attr_get_payload_len(attr),
					 WG_KEY_LEN);
			p->has_psk = true;
			memcpy(p->psk, mnl_attr_get_payload(attr), WG_KEY_LEN);
			break;
		case WGPEER_A_ALLOWEDIPS:
			p->has_ips = true;
			mnl_attr_for_each_nested(ip, attr)
				dec_aip(a, ip, p);
			break;
		default:
			fail_msg("unexpected peer attribute %u",
				 mnl_attr_get_type(attr));
		}
	}
	assert_true(has_key);
}

static void dec_msg(struct arena *a, const struct nlmsghdr *nlh,
		    struct dec_msg *m)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr, *peer;

	memset(m, 0, sizeof(*m));
	assert_int_equal(nlh->nlmsg_type, FAKE_FAMILY);
	assert_int_equal(genl->cmd, WG_CMD_SET_DEVICE);
	assert_int_equal(genl->version, WG_GENL_VERSION);
	mnl_attr_for_each(attr, nlh, sizeof(*genl)) {
		switch (mnl_attr_get_type(attr)) {
		case WGDEVICE_A_IFNAME:
			m->ifname = mnl_attr_get_str(attr);
			break;
		case WGDEVICE_A_FLAGS:
			m->has_flags = true;
			m->flags = mnl_attr_get_u32(attr);
			break;
		case WGDEVICE_A_PRIVATE_KEY:
			m->has_priv = true;
			memcpy(m->priv, mnl_attr_get_payload(attr), WG_KEY_LEN);
			break;
		case WGDEVICE_A_LISTEN_PORT:
			m->has_port = true;
			m->port = mnl_attr_get_u16(attr);
			break;
		case WGDEVICE_A_FWMARK:
			m->has_fwmark = true;
			m->fwmark = mnl_attr_get_u32(attr);
			break;
		case WGDEVICE_A_PEERS:
			mnl_attr_for_each_nested(peer, attr)
				dec_peer(a, peer, m);
			break;
		default:
			fail_msg("unexpected device attribute %u",
				 mnl_attr_get_type(attr));
		}
	}
	assert_non_null(m->ifname);
	assert_string_equal(m->ifname, "meshx");
}

static const struct plan_peer *plan_peer_by_key(const struct plan *p,
						const uint8_t *key)
{
	char b64[WG_KEY_B64_LEN + 1];

	key_to_base64(key, b64);
	for (size_t i = 0; i < p->n_peers; i++)
		if (!strcmp(p->peers[i].public_key, b64))
			return &p->peers[i];
	fail_msg("no peer %s in the plan", b64);
	return NULL;
}

static void wipe_msgs(struct wg_genl_msgs *m)
{
	for (size_t i = 0; i < m->count; i++)
		secret_wipe(m->msgs[i], m->msgs[i]->nlmsg_len);
}

static void test_genl_build_fresh_config(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *p;
	struct secret_key k;
	struct wg_genl_msgs msgs;
	struct dec_msg m;
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	arena_init(&a);
	assert_int_equal(secret_key_generate(&k, true), 0);
	p = three_peer_plan(&b, &a, "meshx");
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", &k, NULL, p,
					   NULL, 8192, &msgs),
			 0);
	assert_int_equal(msgs.count, 1);
	dec_msg(&a, msgs.msgs[0], &m);
	assert_true(m.has_flags);
	assert_int_equal(m.flags, WGDEVICE_F_REPLACE_PEERS);
	assert_true(m.has_priv);
	assert_memory_equal(m.priv, k.bytes, WG_KEY_LEN);
	assert_true(m.has_port);
	assert_int_equal(m.port, 51820);
	assert_true(m.has_fwmark);
	assert_int_equal(m.fwmark, MESHC_FWMARK);
	assert_int_equal(m.n_peers, 3);
	for (size_t i = 0; i < m.n_peers; i++) {
		const struct dec_peer *d = &m.peers[i];
		const struct plan_peer *pp = plan_peer_by_key(p, d->key);

		assert_true(d->has_flags);
		assert_int_equal(d->flags, WGPEER_F_REPLACE_ALLOWEDIPS);
		assert_true(d->has_keepalive);
		assert_int_equal(d->keepalive, pp->keepalive);
		assert_int_equal(d->n_ips, pp->n_allowed_ips);
		for (size_t j = 0; j < d->n_ips; j++)
			assert_int_equal(ip_prefix_cmp(&d->ips[j],
						       &pp->allowed_ips[j]
								.prefix),
					 0);
		if (!strcmp(pp->name, "b")) {
			const struct sockaddr_in *sin = (void *)&d->ep;

			assert_int_equal(d->eplen, sizeof(*sin));
			assert_int_equal(sin->sin_family, AF_INET);
			assert_int_equal(ntohs(sin->sin_port), 51820);
			inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
			assert_string_equal(buf, "192.0.2.1");
		} else if (!strcmp(pp->name, "c")) {
			assert_int_equal(d->eplen, sizeof(d->ep));
			assert_int_equal(d->ep.sin6_family, AF_INET6);
			assert_int_equal(ntohs(d->ep.sin6_port), 4500);
			inet_ntop(AF_INET6, &d->ep.sin6_addr, buf,
				  sizeof(buf));
			assert_string_equal(buf, "2001:db8::5");
		} else {
			assert_int_equal(d->eplen, 0);
		}
	}
	wipe_msgs(&msgs);
	/* without a key: no key attribute */
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL, NULL, p,
					   NULL, 8192, &msgs),
			 0);
	dec_msg(&a, msgs.msgs[0], &m);
	assert_false(m.has_priv);
	secret_key_free(&k);
	arena_free(&a);
}

static void test_genl_build_only_changed_peers(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *live, *want;
	struct wg_genl_msgs msgs;
	struct dec_msg m;

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	want = copy_plan(&a, live);
	peer_named(want, "c")->endpoint = "[2001:db8::6]:4500";
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL,
					   NULL, want, diff(&a, live, want), 8192,
					   &msgs),
			 0);
	assert_int_equal(msgs.count, 1);
	dec_msg(&a, msgs.msgs[0], &m);
	assert_false(m.has_flags);
	assert_false(m.has_priv);
	assert_false(m.has_port);
	assert_false(m.has_fwmark);
	assert_int_equal(m.n_peers, 1);
	assert_ptr_equal(plan_peer_by_key(want, m.peers[0].key),
			 peer_named(want, "c"));
	assert_int_equal(m.peers[0].flags, WGPEER_F_UPDATE_ONLY);
	assert_int_equal(m.peers[0].eplen, sizeof(struct sockaddr_in6));
	assert_false(m.peers[0].has_keepalive);
	assert_false(m.peers[0].has_ips);
	arena_free(&a);
}

/* The same over generic netlink: the changed peer alone, update only,
 * with WGPEER_A_PRESHARED_KEY; zeros for one that loses it. */
static void test_genl_build_preshared_key_change(void **state)
{
	static const char *const c_only[] = { "c", NULL };
	struct builder b;
	struct arena a;
	struct plan *live, *want;
	struct wg_genl_msgs msgs;
	struct dec_msg m;
	uint8_t k11[WG_KEY_LEN], zero[WG_KEY_LEN] = { 0 };

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	want = copy_plan(&a, live);
	peer_named(want, "c")->preshared_key_file = "/x.psk";
	peer_named(live, "d")->preshared_key_file = PLAN_PSK_OTHER;
	memset(k11, 0x11, sizeof(k11));
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL,
					   psks_for(&a, want, c_only, 0x11),
					   want, diff(&a, live, want), 8192,
					   &msgs),
			 0);
	dec_msg(&a, msgs.msgs[0], &m);
	assert_int_equal(m.n_peers, 2);
	assert_ptr_equal(plan_peer_by_key(want, m.peers[0].key),
			 peer_named(want, "c"));
	assert_int_equal(m.peers[0].flags, WGPEER_F_UPDATE_ONLY);
	assert_true(m.peers[0].has_psk);
	assert_memory_equal(m.peers[0].psk, k11, WG_KEY_LEN);
	assert_false(m.peers[0].has_ips);
	assert_int_equal(m.peers[0].eplen, 0);
	assert_ptr_equal(plan_peer_by_key(want, m.peers[1].key),
			 peer_named(want, "d"));
	assert_true(m.peers[1].has_psk);
	assert_memory_equal(m.peers[1].psk, zero, WG_KEY_LEN);
	wipe_msgs(&msgs);
	arena_free(&a);
}

static void test_genl_build_removal_and_ip_change(void **state)
{
	static const char *const ips[] = { "100.64.0.3/32", NULL };
	struct builder b, b2;
	struct arena a;
	struct plan *live, *want;
	struct wg_genl_msgs msgs;
	struct dec_msg m;

	(void)state;
	arena_init(&a);
	live = three_peer_plan(&b, &a, "meshx");
	want = new_plan(&b2, &a, "meshx");
	want->iface.fwmark = MESHC_FWMARK;
	add_peer(&b2, "b", 1, "192.0.2.1:51820", 25, IPS_B);
	add_peer(&b2, "c", 2, "[2001:db8::5]:4500", 0, ips);
	plan_sort(want);
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL,
					   NULL, want, diff(&a, live, want), 8192,
					   &msgs),
			 0);
	dec_msg(&a, msgs.msgs[0], &m);
	assert_int_equal(m.n_peers, 2);
	/* d removed first, then c's list replaced */
	assert_int_equal(m.peers[0].flags, WGPEER_F_REMOVE_ME);
	assert_false(m.peers[0].has_ips);
	assert_int_equal(m.peers[1].flags,
			 WGPEER_F_UPDATE_ONLY | WGPEER_F_REPLACE_ALLOWEDIPS);
	assert_int_equal(m.peers[1].n_ips, 1);
	assert_int_equal(m.peers[1].eplen, 0);
	arena_free(&a);
}

/* Fold the fragments of all messages into one list of peers. */
static void check_chunked(struct arena *a, const struct plan *p,
			  const struct wg_genl_msgs *msgs, size_t max)
{
	size_t *seen = arena_calloc(a, p->n_peers, sizeof(*seen));
	const struct plan_peer *last = NULL;

	for (size_t i = 0; i < msgs->count; i++) {
		struct dec_msg m;

		assert_true(msgs->msgs[i]->nlmsg_len <= max);
		dec_msg(a, msgs->msgs[i], &m);
		/* device attributes and REPLACE_PEERS once, first */
		assert_true(m.has_flags == (i == 0));
		assert_true(m.has_port == (i == 0));
		for (size_t j = 0; j < m.n_peers; j++) {
			const struct dec_peer *d = &m.peers[j];
			const struct plan_peer *pp = plan_peer_by_key(p, d->key);
			size_t idx = (size_t)(pp - p->peers);

			if (seen[idx]) {
				/* a continuation: right after its start,
				 * first in its message, only key + IPs */
				assert_ptr_equal(pp, last);
				assert_int_equal(j, 0);
				assert_false(d->has_flags);
				assert_false(d->has_keepalive);
				assert_int_equal(d->eplen, 0);
			} else {
				assert_true(d->has_flags);
				assert_int_equal(d->flags,
						 WGPEER_F_REPLACE_ALLOWEDIPS);
				assert_true(d->has_keepalive);
			}
			for (size_t k = 0; k < d->n_ips; k++)
				assert_int_equal(
					ip_prefix_cmp(&d->ips[k],
						      &pp->allowed_ips[seen[idx] + k]
							       .prefix),
					0);
			seen[idx] += d->n_ips;
			if (!pp->n_allowed_ips)
				seen[idx] = SIZE_MAX;
			last = pp;
		}
	}
	for (size_t i = 0; i < p->n_peers; i++)
		assert_true(seen[i] == p->peers[i].n_allowed_ips ||
			    (seen[i] == SIZE_MAX && !p->peers[i].n_allowed_ips));
}

static void test_genl_build_chunks_many_peers(void **state)
{
	static const char *const ips[] = { "10.0.0.0/8", "fd00::/8",
					   "192.168.0.0/16", NULL };
	struct builder b;
	struct arena a;
	struct plan *p;
	struct secret_key k;
	struct wg_genl_msgs msgs;

	(void)state;
	arena_init(&a);
	assert_int_equal(secret_key_generate(&k, true), 0);
	p = new_plan(&b, &a, "meshx");
	for (unsigned i = 0; i < 300; i++)
		add_peer(&b, NULL, 100 + i, "[2001:db8::1]:51820", 25, ips);
	plan_sort(p);
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", &k, NULL, p,
					   NULL, 1024, &msgs),
			 0);
	assert_true(msgs.count > 10);
	check_chunked(&a, p, &msgs, 1024);
	wipe_msgs(&msgs);
	/* the real size wg_write uses */
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", &k, NULL, p,
					   NULL, MNL_SOCKET_BUFFER_SIZE, &msgs),
			 0);
	assert_true(msgs.count > 1);
	check_chunked(&a, p, &msgs, MNL_SOCKET_BUFFER_SIZE);
	wipe_msgs(&msgs);
	secret_key_free(&k);
	arena_free(&a);
}

static void test_genl_build_chunks_one_peer_many_ips(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *p;
	struct plan_peer *peer;
	struct wg_genl_msgs msgs;
	char **ips;

	(void)state;
	arena_init(&a);
	p = new_plan(&b, &a, "meshx");
	ips = arena_calloc(&a, 501, sizeof(*ips));
	for (int i = 0; i < 500; i++)
		ips[i] = arena_printf(&a, "10.%d.%d.0/24", i / 256, i % 256);
	peer = add_peer(&b, "big", 1, "192.0.2.1:51820", 0,
			(const char *const *)ips);
	add_peer(&b, "small", 2, NULL, 0, IPS_D);
	add_peer(&b, "none", 3, NULL, 0, NULL);
	plan_sort(p);
	assert_int_equal(peer->n_allowed_ips, 500);
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL, NULL, p,
					   NULL, 1024, &msgs),
			 0);
	assert_true(msgs.count > 5);
	check_chunked(&a, p, &msgs, 1024);
	arena_free(&a);
}

static void test_genl_build_refuses_bad_input(void **state)
{
	struct builder b;
	struct arena a;
	struct plan *p;
	struct wg_genl_msgs msgs;

	(void)state;
	arena_init(&a);
	p = three_peer_plan(&b, &a, "meshx");
	/* too small for even one peer */
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL, NULL, p,
					   NULL, 64, &msgs),
			 -E2BIG);
	/* endpoints must be numeric (apply resolves them) */
	peer_named(p, "b")->endpoint = "vpn.example.com:51820";
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL, NULL, p,
					   NULL, 8192, &msgs),
			 -EINVAL);
	peer_named(p, "b")->endpoint = "192.0.2.1:70000";
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL, NULL, p,
					   NULL, 8192, &msgs),
			 -EINVAL);
	peer_named(p, "b")->endpoint = "192.0.2.1:51820";
	strcpy(peer_named(p, "c")->public_key, "not-a-key");
	assert_int_equal(wg_genl_build_set(&a, FAKE_FAMILY, "meshx", NULL, NULL, p,
					   NULL, 8192, &msgs),
			 -EINVAL);
	arena_free(&a);
}

/* ---- the UAPI socket ------------------------------------------------- */

struct server {
	char dir[64];
	char path[128];
	pid_t pid;
};

/* A scripted peer on a temporary socket: reads one request, then answers
 * `reply` in pieces (NULL: never answers), keeping the connection open. */
static void serve_on(struct server *s, const char *reply, size_t len);

static void serve(struct server *s, const char *reply, size_t len)
{
	strcpy(s->dir, "/tmp/meshc-test-wg-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/t.sock", s->dir);
	serve_on(s, reply, len);
}

/* serve() on s->path as it is (s->dir "" : no directory to remove). */
static void serve_on(struct server *s, const char *reply, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int ls;

	strcpy(sun.sun_path, s->path);
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(ls >= 0);
	assert_int_equal(bind(ls, (void *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(ls, 1), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		char buf[256];
		int c = accept(ls, NULL, NULL);

		if (c < 0)
			_exit(1);
		if (read(c, buf, sizeof(buf)) < 0)
			_exit(1);
		for (size_t off = 0; reply && off < len;) {
			size_t n = len - off < 7 ? len - off : 7;
			ssize_t w = send(c, reply + off, n, MSG_NOSIGNAL);

			if (w <= 0)
				break;
			off += (size_t)w;
		}
		sleep(10);	/* the parent kills us */
		_exit(0);
	}
	close(ls);
}

static void serve_end(struct server *s)
{
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	unlink(s->path);
	if (s->dir[0])
		rmdir(s->dir);
}

static void test_uapi_transact_reads_to_blank_line(void **state)
{
	static const char reply[] = "listen_port=7\nerrno=0\n\n";
	struct wg_rbuf r = { NULL, 0, 0 };
	struct wg_device_state st = { 0 };
	struct server s;
	struct arena a;

	(void)state;
	arena_init(&a);
	serve(&s, reply, sizeof(reply) - 1);
	/* the server keeps the connection open: the blank line ends it */
	assert_int_equal(wg_uapi_transact(s.path, "get=1\n\n", 7, 5000,
					  1 << 20, &r),
			 0);
	assert_int_equal(r.len, sizeof(reply) - 1);
	assert_int_equal(wg_uapi_parse(r.buf, r.len, &a, &st), 0);
	assert_int_equal(st.listen_port, 7);
	wg_rbuf_free(&r);
	serve_end(&s);
	arena_free(&a);
}

static void test_uapi_transact_times_out(void **state)
{
	struct wg_rbuf r = { NULL, 0, 0 };
	struct server s;

	(void)state;
	serve(&s, NULL, 0);
	assert_int_equal(wg_uapi_transact(s.path, "get=1\n\n", 7, 200,
					  1 << 20, &r),
			 -ETIMEDOUT);
	wg_rbuf_free(&r);
	serve_end(&s);
}

static void test_uapi_transact_refuses_huge_reply(void **state)
{
	struct wg_rbuf r = { NULL, 0, 0 };
	struct server s;
	size_t len = 64 * 1024;
	char *big = malloc(len);

	(void)state;
	for (size_t i = 0; i < len; i += 4)
		memcpy(big + i, "a=b\n", 4);
	serve(&s, big, len);
	assert_int_equal(wg_uapi_transact(s.path, "get=1\n\n", 7, 5000, 4096,
					  &r),
			 -EMSGSIZE);
	wg_rbuf_free(&r);
	serve_end(&s);
	free(big);
}

/* Leave garbage where the next call's locals will be. */
static __attribute__((noinline)) void dirty_stack(void)
{
	volatile unsigned char junk[8192];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0xa5;
}

static int uapi_write_child(const char *ifname, const struct plan *want)
{
	dirty_stack();
	return wg_uapi_write(ifname, NULL, NULL, want, NULL) == 0 ? 0 : 1;
}

/* The answer to a set is parsed into a device state; one that says
 * private_key=... must not be copied through an uninitialised pointer
 * (wg_uapi_write's state was not initialised: the sanitizer build
 * crashed on this reply). */
static void test_uapi_write_reply_with_private_key(void **state)
{
	char reply[256];
	struct builder b;
	struct server s;
	struct arena a;
	struct plan *p;
	char ifname[16];
	pid_t pid;
	int status;

	(void)state;
	assert_int_equal(geteuid(), 0);	/* WG_UAPI_DIR is root's */
	arena_init(&a);
	snprintf(ifname, sizeof(ifname), "mcuw%d", (int)getpid() % 100000);
	p = three_peer_plan(&b, &a, ifname);
	snprintf(reply, sizeof(reply), "private_key=%s\nerrno=0\n\n",
		 "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a");
	mkdir(WG_UAPI_DIR, 0755);
	s.dir[0] = '\0';
	wg_uapi_path(ifname, s.path, sizeof(s.path));
	unlink(s.path);
	serve_on(&s, reply, strlen(reply));
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		exit(uapi_write_child(ifname, p));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	serve_end(&s);
	arena_free(&a);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_uapi_probe_stale_socket(void **state)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/meshc-test-wg-XXXXXX";
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/x.sock", dir);
	assert_int_equal(wg_uapi_probe(sun.sun_path), -ENOENT);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (void *)&sun, sizeof(sun)), 0);
	close(fd);	/* the file stays, nobody listens */
	assert_int_equal(wg_uapi_probe(sun.sun_path), -ECONNREFUSED);
	unlink(sun.sun_path);
	rmdir(dir);
}

static void test_genl_family_resolution(void **state)
{
	uint16_t id = 0;
	int err;

	(void)state;
	/* the controller itself always answers, with its fixed id */
	assert_int_equal(wg_genl_family_id("nlctrl", &id), 0);
	assert_int_equal(id, GENL_ID_CTRL);
	assert_int_equal(wg_genl_family_id("mcnosuchfam", &id), -ENOENT);
	/* "wireguard" either resolves or is absent, nothing else */
	err = wg_genl_family(&id);
	assert_true(err == 0 || err == -ENOENT);
}

static void test_ifname_checks(void **state)
{
	(void)state;
	assert_true(wg_ifname_ok("meshx"));
	assert_true(wg_ifname_ok("mcwg1234567890a"));
	assert_false(wg_ifname_ok("mcwg1234567890ab"));
	assert_false(wg_ifname_ok(""));
	assert_false(wg_ifname_ok("../x"));
	assert_false(wg_ifname_ok(".."));
	assert_false(wg_ifname_ok("."));
	assert_false(wg_ifname_ok(".hidden"));
	assert_true(wg_ifname_ok("x."));
	assert_false(wg_ifname_ok("a b"));
	assert_false(wg_ifname_ok(NULL));
	assert_int_equal(wg_backend_for("../etc", false), WG_BACKEND_NONE);
	assert_int_equal(wg_backend_for("meshx", true), WG_BACKEND_KERNEL);
}

/* ---- starting the implementation ---------------------------------------- */

static bool kernel_has_wireguard(void)
{
	uint16_t id;

	return wg_genl_family(&id) == 0;
}

/* Run wg_create with stderr captured into err. */
static int create_capturing(const char *ifname, const char *impl,
			    char *err, size_t size)
{
	char path[] = "/tmp/meshc-test-wg-err-XXXXXX";
	int fd = mkstemp(path), saved = dup(2), rc;
	enum wg_backend b = WG_BACKEND_NONE;
	ssize_t n;

	char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "");

	assert_true(fd >= 0 && saved >= 0);
	/* a search path without directories we may not enter, which
	 * would turn "not found" into EACCES */
	setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	setenv("WG_QUICK_USERSPACE_IMPLEMENTATION", impl, 1);
	fflush(stderr);
	dup2(fd, 2);
	rc = wg_create(NULL, ifname, &b);	/* no kernel WireGuard here */
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("WG_QUICK_USERSPACE_IMPLEMENTATION");
	setenv("PATH", old_path, 1);
	free(old_path);
	n = pread(fd, err, size - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return rc;
}

static void test_create_reports_missing_implementation(void **state)
{
	char err[512], ifname[16];

	(void)state;
	if (kernel_has_wireguard()) {
		printf("skipped: the kernel has WireGuard, wg_create would "
		       "not start a userspace implementation\n");
		skip();
	}
	snprintf(ifname, sizeof(ifname), "mcnx%d", (int)getpid() % 100000);
	assert_int_equal(create_capturing(ifname, "meshc-no-such-wg", err,
					  sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "meshc: cannot start meshc-no-such-wg "
				    "for "));
	assert_non_null(strstr(err, ": meshc-no-such-wg not found (install "
				    "it or set "
				    "WG_QUICK_USERSPACE_IMPLEMENTATION)\n"));
	/* a launcher that fails */
	assert_int_equal(create_capturing(ifname, "false", err, sizeof(err)),
			 -EIO);
	assert_non_null(strstr(err, "cannot start false for "));
	assert_non_null(strstr(err, "exited with status 1"));
}

/* What meshc ignores, blocks or has open is not the daemon's: a script
 * standing in for wireguard-go records its signal state and descriptors
 * (then fails, so nothing waits for a socket).  The signal state is read
 * by grep of its own /proc/self/status, inherited through exec: the
 * shell's own (/proc/$$) is not stable, dash blocks every signal in the
 * parent around each fork, and grep could catch it in that window. */
static void test_spawn_gives_the_daemon_a_clean_start(void **state)
{
	char dir[] = "/tmp/meshc-test-spawn-XXXXXX", impl[96], out[96];
	char marker[96], script[512], line[256], ifname[16];
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_hup;
	sigset_t usr1, old_mask;
	bool saw_ign = false, saw_blk = false, leaked = false;
	FILE *f;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(impl, sizeof(impl), "%s/impl", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(marker, sizeof(marker), "%s/marker", dir);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "grep -E '^Sig(Ign|Blk)' /proc/self/status >%s\n"
		 "for f in /proc/$$/fd/*; do readlink $f; done >>%s\n"
		 "exit 1\n",
		 out, out);
	f = fopen(impl, "w");
	assert_non_null(f);
	fputs(script, f);
	fclose(f);
	assert_int_equal(chmod(impl, 0755), 0);
	/* like meshc holding signals and a careless descriptor */
	fd = open(marker, O_WRONLY | O_CREAT, 0600);	/* no O_CLOEXEC */
	assert_true(fd >= 0);
	sigaction(SIGHUP, &ign, &old_hup);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old_mask);

	snprintf(ifname, sizeof(ifname), "mcsp%d", (int)getpid() % 100000);
	setenv("WG_QUICK_USERSPACE_IMPLEMENTATION", impl, 1);
	assert_int_equal(wg_spawn_start(ifname), -EIO);
	unsetenv("WG_QUICK_USERSPACE_IMPLEMENTATION");
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	close(fd);

	f = fopen(out, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long mask;

		if (sscanf(line, "SigIgn: %llx", &mask) == 1)
			saw_ign = !(mask & (1ull << (SIGHUP - 1)));
		else if (sscanf(line, "SigBlk: %llx", &mask) == 1)
			saw_blk = !(mask & (1ull << (SIGUSR1 - 1)));
		else if (strstr(line, marker))
			leaked = true;
	}
	fclose(f);
	unlink(out);
	unlink(impl);
	unlink(marker);
	rmdir(dir);
	assert_true(saw_ign);	/* SIGHUP back to its default */
	assert_true(saw_blk);	/* SIGUSR1 not blocked */
	assert_false(leaked);	/* meshc's descriptor not inherited */
}

/* ---- root: a real device in a throwaway network namespace ---------------- */

static bool have_program(const char *name)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	if (!path)
		return false;
	copy = strdup(path);
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char full[4096];

		snprintf(full, sizeof(full), "%s/%s", dir, name);
		found = access(full, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* pids of wireguard-go processes serving an interface whose name starts
 * with prefix. */
static size_t find_daemons(const char *prefix, pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[300], cmd[512];
		const char *base;
		ssize_t len;
		int fd;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (len <= 0)
			continue;
		cmd[len] = '\0';
		base = strrchr(cmd, '/') ? strrchr(cmd, '/') + 1 : cmd;
		if (strcmp(base, "wireguard-go") ||
		    (size_t)len <= strlen(cmd) + 1 ||
		    strncmp(cmd + strlen(cmd) + 1, prefix, strlen(prefix)))
			continue;
		pids[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return n;
}

/* The daemon keeps none of our descriptors (a lock!) and no pipe of a
 * caller that captures our output: 0-2 are /dev/null. */
static bool daemon_fds_clean(const char *ifname, const char *lock)
{
	pid_t pids[4];
	size_t n = find_daemons(ifname, pids, 4);
	bool clean = n > 0;

	for (size_t i = 0; i < n; i++) {
		char dir[64];
		struct dirent *e;
		DIR *d;

		snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pids[i]);
		d = opendir(dir);
		if (!d)
			return false;
		while ((e = readdir(d))) {
			char link[400], target[4096];
			ssize_t len;
			int fd = atoi(e->d_name);

			if (e->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
			len = readlink(link, target, sizeof(target) - 1);
			if (len < 0)
				continue;
			target[len] = '\0';
			if (!strcmp(target, lock) ||
			    (fd <= 2 && strcmp(target, "/dev/null"))) {
				fprintf(stderr, "daemon %d holds fd %d -> %s\n",
					(int)pids[i], fd, target);
				clean = false;
			}
		}
		closedir(d);
	}
	return clean;
}

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__,       \
				__LINE__, #cond);                           \
			goto out_fail;                                      \
		}                                                           \
	} while (0)

/* Compare the wireguard part of a device with a plan: no change in the
 * interface or peers layers. */
static bool device_matches(struct arena *a, enum wg_backend b,
			   const char *ifname, const struct plan *want,
			   struct plan **live_out)
{
	struct wg_device_state st = { 0 };
	struct plan *live = arena_alloc(a, sizeof(*live));
	struct changeset *cs;
	size_t first;

	if (wg_read(b, ifname, a, &st))
		return false;
	if (!st.has_private_key)
		return false;
	wg_state_to_plan(a, &st, live);
	live->iface.name = want->iface.name;
	live->iface.private_key_file = want->iface.private_key_file;
	plan_sort(live);
	cs = diff(a, live, want);
	*live_out = live;
	if (changeset_layer(cs, LAYER_INTERFACE, &first) ||
	    changeset_layer(cs, LAYER_PEERS, &first)) {
		struct strbuf sb = STRBUF_INIT;
		struct node_diff nd = { "a", live, want, cs };

		diff_render_text(&sb, &nd, false);
		fprintf(stderr, "device differs from the plan:\n%s",
			strbuf_str(&sb));
		strbuf_free(&sb);
		return false;
	}
	return true;
}

static int make_stale_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	mkdir(WG_UAPI_DIR, 0755);
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (fd < 0 || bind(fd, (void *)&sun, sizeof(sun)) < 0)
		return -1;
	close(fd);
	return 0;
}

/* The whole life of a device, in the child, inside its own netns. */
static int root_scenario(void)
{
	char ifname[16], stale[16], path[128], spath[128], expect[256], hex[65];
	enum wg_backend b = WG_BACKEND_NONE, b2 = WG_BACKEND_NONE;
	struct secret_key k = { NULL };
	uint8_t pub[WG_KEY_LEN];
	struct builder bld;
	struct plan *want, *want2, *live;
	struct changeset *cs;
	struct arena a;
	bool created = false, created2 = false;
	char lock[] = "/tmp/meshc-test-wg-lock-XXXXXX";
	char *req = NULL;
	int rc = 1, lockfd = -1;
	struct rtnl *r = NULL;
	unsigned long before;

	arena_init(&a);
	snprintf(ifname, sizeof(ifname), "mcwg%d", (int)getpid() % 1000000);
	snprintf(stale, sizeof(stale), "mcws%d", (int)getpid() % 1000000);
	wg_uapi_path(ifname, path, sizeof(path));
	wg_uapi_path(stale, spath, sizeof(spath));

	CHECK(secret_key_generate(&k, true) == 0);
	secret_key_public(&k, pub);
	want = three_peer_plan(&bld, &a, ifname);
	key_to_base64(pub, want->iface.public_key);

	/* like a careless lock: open without O_CLOEXEC */
	lockfd = mkstemp(lock);
	CHECK(lockfd >= 0);
	CHECK(rtnl_open(&r) == 0);
	before = rtnl_modify_count(r);
	CHECK(wg_create(r, ifname, &b) == 0);
	created = true;
	CHECK(b == WG_BACKEND_UAPI || b == WG_BACKEND_KERNEL);
	/* a kernel link is made through the counted rtnetlink handle; the
	 * userspace implementation makes its tun itself */
	CHECK(rtnl_modify_count(r) == before + (b == WG_BACKEND_KERNEL));
	if (b == WG_BACKEND_UAPI)
		CHECK(daemon_fds_clean(ifname, lock));
	CHECK(if_nametoindex(ifname) != 0);
	CHECK(wg_backend_for(ifname, b == WG_BACKEND_KERNEL) == b);

	/* a fresh configuration, then the device reads back as the plan */
	CHECK(wg_write(b, ifname, &k, NULL, want, NULL) == 0);
	CHECK(device_matches(&a, b, ifname, want, &live));

	/* one peer's endpoint changes: only that peer is in the request */
	want2 = copy_plan(&a, want);
	peer_named(want2, "c")->endpoint = "[2001:db8::77]:4501";
	cs = diff(&a, live, want2);
	req = build_set(NULL, want2, cs);
	snprintf(expect, sizeof(expect),
		 "set=1\npublic_key=%s\nupdate_only=true\n"
		 "endpoint=[2001:db8::77]:4501\n\n",
		 key_hex(peer_named(want2, "c")->public_key, hex));
	if (strcmp(req, expect))
		fprintf(stderr, "request:\n%s", req);
	CHECK(!strcmp(req, expect));
	CHECK(wg_write(b, ifname, NULL, NULL, want2, cs) == 0);
	CHECK(device_matches(&a, b, ifname, want2, &live));

	/* down: the device and its socket go */
	before = rtnl_modify_count(r);
	CHECK(wg_destroy(r, b, ifname) == 0);
	created = false;
	CHECK(rtnl_modify_count(r) == before + 1);
	CHECK(if_nametoindex(ifname) == 0);
	CHECK(wg_uapi_probe(path) != 0);
	CHECK(access(path, F_OK) != 0);
	CHECK(wg_backend_for(ifname, false) == WG_BACKEND_NONE);

	/* a socket file nobody listens on is no device; create replaces it */
	CHECK(make_stale_socket(spath) == 0);
	CHECK(wg_uapi_probe(spath) == -ECONNREFUSED);
	CHECK(wg_backend_for(stale, false) == WG_BACKEND_NONE);
	if (b == WG_BACKEND_UAPI) {
		CHECK(wg_create(r, stale, &b2) == 0);
		created2 = true;
		CHECK(b2 == WG_BACKEND_UAPI);
		CHECK(wg_backend_for(stale, false) == WG_BACKEND_UAPI);
		CHECK(wg_destroy(r, b2, stale) == 0);
		created2 = false;
		CHECK(access(spath, F_OK) != 0);
	}
	rc = 0;
out_fail:
	if (created)
		wg_destroy(r, b, ifname);
	if (created2)
		wg_destroy(r, b2, stale);
	rtnl_close(r);
	unlink(spath);
	if (lockfd >= 0)
		close(lockfd);
	unlink(lock);
	free(req);
	secret_key_free(&k);
	arena_free(&a);
	return rc;
}

static void test_root_device_lifecycle_in_netns(void **state)
{
	pid_t pid, left[16];
	char prefix[16];
	int status;
	size_t n = 0;

	(void)state;
	if (geteuid() != 0) {
		printf("skipped: the device test needs root\n");
		skip();
	}
	if (!kernel_has_wireguard() && !have_program("wireguard-go")) {
		printf("skipped: neither kernel WireGuard nor wireguard-go\n");
		skip();
	}
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0) {
			perror("unshare(CLONE_NEWNET)");
			_exit(1);
		}
		/* exit, not _exit: the sanitizer checks the child for leaks */
		exit(root_scenario());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* no daemon of ours may survive, whatever happened */
	for (int i = 0; i < 2; i++) {
		snprintf(prefix, sizeof(prefix), "%s%d", i ? "mcws" : "mcwg",
			 (int)pid % 1000000);
		for (int tries = 0; tries < 250; tries++) {
			n = find_daemons(prefix, left, 16);
			if (!n)
				break;
			usleep(20000);
		}
		for (size_t j = 0; j < n; j++)
			kill(left[j], SIGKILL);
		assert_int_equal(n, 0);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uapi_parse_recorded_reply),
		cmocka_unit_test(test_uapi_parse_preshared_keys_into_table),
		cmocka_unit_test(test_uapi_parse_fresh_device_has_no_key),
		cmocka_unit_test(test_uapi_parse_counters),
		cmocka_unit_test(test_uapi_parse_errno_either_sign),
		cmocka_unit_test(test_uapi_parse_missing_errno_is_malformed),
		cmocka_unit_test(test_uapi_parse_bad_hex),
		cmocka_unit_test(test_uapi_parse_bad_allowed_ip),
		cmocka_unit_test(test_uapi_parse_huge_values),
		cmocka_unit_test(test_uapi_parse_structure),
		cmocka_unit_test(test_uapi_parse_normalizes_values),
		cmocka_unit_test(test_uapi_parse_many_allowed_ips),
		cmocka_unit_test(test_state_to_plan_sorted_without_names),
		cmocka_unit_test(test_build_set_fresh_config_replaces_peers),
		cmocka_unit_test(test_build_set_private_key_only_when_given),
		cmocka_unit_test(test_build_set_key_is_wiped_with_the_buffer),
		cmocka_unit_test(test_build_set_endpoint_only_change),
		cmocka_unit_test(test_build_set_allowed_ip_change_replaces_list),
		cmocka_unit_test(test_build_set_removal_and_addition),
		cmocka_unit_test(test_build_set_preshared_key_change_only),
		cmocka_unit_test(test_build_set_listen_port_and_fwmark),
		cmocka_unit_test(test_build_set_sends_nothing_for_cosmetic_changes),
		cmocka_unit_test(test_build_set_key_rotation_removes_first),
		cmocka_unit_test(test_build_set_interface_added),
		cmocka_unit_test(test_genl_parse_device_dump),
		cmocka_unit_test(test_genl_parse_peer_continued_across_messages),
		cmocka_unit_test(test_genl_parse_device_without_key),
		cmocka_unit_test(test_genl_parse_malformed),
		cmocka_unit_test(test_genl_build_fresh_config),
		cmocka_unit_test(test_genl_build_only_changed_peers),
		cmocka_unit_test(test_genl_build_preshared_key_change),
		cmocka_unit_test(test_genl_build_removal_and_ip_change),
		cmocka_unit_test(test_genl_build_chunks_many_peers),
		cmocka_unit_test(test_genl_build_chunks_one_peer_many_ips),
		cmocka_unit_test(test_genl_build_refuses_bad_input),
		cmocka_unit_test(test_uapi_transact_reads_to_blank_line),
		cmocka_unit_test(test_uapi_transact_times_out),
		cmocka_unit_test(test_uapi_transact_refuses_huge_reply),
		cmocka_unit_test(test_uapi_probe_stale_socket),
		cmocka_unit_test(test_uapi_write_reply_with_private_key),
		cmocka_unit_test(test_genl_family_resolution),
		cmocka_unit_test(test_ifname_checks),
		cmocka_unit_test(test_create_reports_missing_implementation),
		cmocka_unit_test(test_spawn_gives_the_daemon_a_clean_start),
		cmocka_unit_test(test_root_device_lifecycle_in_netns),
	};

	(void)argc;
	test_argv0 = argv[0];
	if (secret_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
