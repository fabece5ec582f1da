/* wg_state.c - what a WireGuard device holds, as read from either
 * backend, and that state as a plan (what the diff compares).
 */
#include "apply/wg_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/secret.h"

bool wg_key_is_zero(const uint8_t key[WG_KEY_LEN])
{
	uint8_t acc = 0;

	for (size_t i = 0; i < WG_KEY_LEN; i++)
		acc |= key[i];
	return acc == 0;
}

int wg_public_from_private(const uint8_t priv[WG_KEY_LEN],
			   uint8_t pub[WG_KEY_LEN])
{
	/* Reads the scalar where it is: copying it would make one more
	 * place to wipe. */
	return crypto_scalarmult_curve25519_base(pub, priv) ? -EINVAL : 0;
}

struct wg_peer_state *wg_state_add_peer(struct arena *a,
					struct wg_device_state *s,
					const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer_state *p = arena_push(a, &s->peers, &s->n_peers,
					     &s->cap_peers, sizeof(*p));

	memcpy(p->public_key, key, WG_KEY_LEN);
	return p;
}

/* wg_peer_state keeps no capacity: the array grows at 0 and at every
 * power of two from 4 on, which is exactly when it is full. */
void wg_state_add_allowed_ip(struct arena *a, struct wg_peer_state *p,
			     const struct ip_prefix *pfx)
{
	size_t n = p->n_allowed_ips, sz = sizeof(*p->allowed_ips);

	if (n == 0)
		p->allowed_ips = arena_calloc(a, 4, sz);
	else if (n >= 4 && !(n & (n - 1)))
		p->allowed_ips = arena_grow(a, p->allowed_ips, n * sz,
					    2 * n * sz);
	p->allowed_ips[p->n_allowed_ips++] = *pfx;
}

void wg_prefix_mask(struct ip_prefix *p)
{
	unsigned bits = ip_bits(p->addr.family);

	for (unsigned i = p->len; i < bits; i++)
		p->addr.b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	for (unsigned i = bits / 8; i < 16; i++)
		p->addr.b[i] = 0;
}

bool wg_endpoint_format(const struct ip_addr *ip, uint16_t port,
			const char *scope, char *out, size_t size)
{
	char host[IP_STRLEN];
	int n;

	ip_addr_str(ip, host);
	if (ip->family == IP_V4)
		n = snprintf(out, size, "%s:%u", host, port);
	else
		n = snprintf(out, size, "[%s%s%s]:%u", host,
			     scope ? "%" : "", scope ? scope : "", port);
	return n > 0 && (size_t)n < size;
}

/* ---- the live device as a plan ---------------------------------------- */

static int cmp_plan_peer_key(const void *pa, const void *pb)
{
	const struct plan_peer *a = pa, *b = pb;

	return strcmp(a->public_key, b->public_key);
}

static void peer_to_plan(struct arena *a, const struct wg_peer_state *s,
			 struct plan_peer *p)
{
	memset(p, 0, sizeof(*p));
	key_to_base64(s->public_key, p->public_key);
	p->endpoint = s->endpoint[0] ? arena_strdup(a, s->endpoint) : NULL;
	p->keepalive = s->keepalive;
	/* which key it is, live_read tells (it holds the derived ones) */
	p->preshared_key_file = s->has_psk ? PLAN_PSK_OTHER : NULL;
	p->n_allowed_ips = s->n_allowed_ips;
	p->allowed_ips = arena_calloc(a, s->n_allowed_ips ? s->n_allowed_ips
							  : 1,
				      sizeof(*p->allowed_ips));
	for (size_t i = 0; i < s->n_allowed_ips; i++)
		p->allowed_ips[i].prefix = s->allowed_ips[i];
	qsort(p->allowed_ips, p->n_allowed_ips, sizeof(*p->allowed_ips),
	      plan_allowed_ip_cmp);
}

void wg_state_to_plan(struct arena *a, const struct wg_device_state *s,
		      struct plan *p)
{
	if (s->has_private_key)
		key_to_base64(s->public_key, p->iface.public_key);
	else
		p->iface.public_key[0] = '\0';
	p->iface.listen_port = s->listen_port;
	p->iface.fwmark = s->fwmark;
	p->n_peers = s->n_peers;
	p->peers = arena_calloc(a, s->n_peers ? s->n_peers : 1,
				sizeof(*p->peers));
	for (size_t i = 0; i < s->n_peers; i++)
		peer_to_plan(a, &s->peers[i], &p->peers[i]);
	/* No names: key order is plan_sort()'s order and the diff's. */
	qsort(p->peers, p->n_peers, sizeof(*p->peers), cmp_plan_peer_key);
}

