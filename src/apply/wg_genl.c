/* wg_genl.c - the kernel module over generic netlink (libmnl).
 *
 * linux/wireguard.h documents the protocol: WG_CMD_GET_DEVICE is a dump
 * whose peers (and one peer's allowed IPs) may continue over several
 * messages; WG_CMD_SET_DEVICE takes the same tree and, for a large
 * configuration, several messages that each fill in what the previous
 * ones did not.  The parser and the message builder are pure so they are
 * tested on constructed messages (this project's CI kernels may have no
 * WireGuard at all).
 */
#include "apply/wg_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "apply/nl.h"
#include "base/secret.h"

/* ---- attribute walking -------------------------------------------------- */

typedef int (*attr_fn)(const struct nlattr *attr, void *data);

/* Every attribute in [p, p + len); bytes that do not divide into whole
 * attributes make the message malformed. */
static int walk_attrs(const void *p, size_t len, attr_fn fn, void *data)
{
	const struct nlattr *attr = p;
	size_t rem = len;

	while (rem >= sizeof(*attr)) {
		size_t adv;
		int err;

		if (attr->nla_len < sizeof(*attr) || attr->nla_len > rem)
			return -EINVAL;
		err = fn(attr, data);
		if (err)
			return err;
		adv = MNL_ALIGN(attr->nla_len);
		if (adv >= rem)
			return 0;
		rem -= adv;
		attr = (const void *)((const char *)attr + adv);
	}
	return rem ? -EINVAL : 0;
}

static int walk_nested(const struct nlattr *nest, attr_fn fn, void *data)
{
	return walk_attrs(mnl_attr_get_payload(nest),
			  mnl_attr_get_payload_len(nest), fn, data);
}

/* Collect attributes by type (max: the highest known) for checking. */
struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int table_attr(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;
	unsigned type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return 0;
}

static bool attr_len_is(const struct nlattr *attr, size_t len)
{
	return !attr || mnl_attr_get_payload_len(attr) == len;
}

/* ---- parsing a device dump ---------------------------------------------- */

struct genl_parse {
	struct arena *a;
	struct wg_device_state *out;
	struct wg_peer_state *peer;
};

static int parse_allowed_ip(const struct nlattr *nest, void *data)
{
	struct genl_parse *p = data;
	const struct nlattr *tb[WGALLOWEDIP_A_MAX + 1] = { NULL };
	struct attr_table t = { tb, WGALLOWEDIP_A_MAX };
	struct ip_prefix pfx = { { 0 }, 0 };
	size_t alen;
	uint16_t family;
	int err;

	err = walk_nested(nest, table_attr, &t);
	if (err)
		return err;
	if (!tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] ||
	    !tb[WGALLOWEDIP_A_CIDR_MASK] ||
	    !attr_len_is(tb[WGALLOWEDIP_A_FAMILY], 2) ||
	    !attr_len_is(tb[WGALLOWEDIP_A_CIDR_MASK], 1))
		return -EINVAL;
	family = mnl_attr_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
	if (family == AF_INET)
		pfx.addr.family = IP_V4;
	else if (family == AF_INET6)
		pfx.addr.family = IP_V6;
	else
		return -EINVAL;
	alen = pfx.addr.family == IP_V4 ? 4 : 16;
	if (!attr_len_is(tb[WGALLOWEDIP_A_IPADDR], alen))
		return -EINVAL;
	memcpy(pfx.addr.b, mnl_attr_get_payload(tb[WGALLOWEDIP_A_IPADDR]),
	       alen);
	pfx.len = mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK]);
	if (pfx.len > ip_bits(pfx.addr.family))
		return -EINVAL;
	wg_prefix_mask(&pfx);
	wg_state_add_allowed_ip(p->a, p->peer, &pfx);
	return 0;
}

/* struct sockaddr_in / sockaddr_in6 -> "1.2.3.4:5" / "[v6]:5". */
static int parse_endpoint(const struct nlattr *attr, char *out, size_t size)
{
	const void *sa = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);
	struct ip_addr ip = { 0, { 0 } };
	char scope[16];
	sa_family_t family;
	uint16_t port;

	if (len < sizeof(family))
		return -EINVAL;
	memcpy(&family, sa, sizeof(family));
	if (family == AF_INET && len == sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, sa, sizeof(sin));
		ip.family = IP_V4;
		memcpy(ip.b, &sin.sin_addr, 4);
		port = ntohs(sin.sin_port);
		if (!wg_endpoint_format(&ip, port, NULL, out, size))
			return -EINVAL;
		return 0;
	}
	if (family == AF_INET6 && len == sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, sa, sizeof(sin6));
		ip.family = IP_V6;
		memcpy(ip.b, &sin6.sin6_addr, 16);
		port = ntohs(sin6.sin6_port);
		/* A numeric scope keeps the parser pure (no if_indextoname). */
		snprintf(scope, sizeof(scope), "%u", sin6.sin6_scope_id);
		return wg_endpoint_format(&ip, port,
					  sin6.sin6_scope_id ? scope : NULL,
					  out, size)
			       ? 0
			       : -EINVAL;
	}
	return -EINVAL;
}

static bool peer_attrs_ok(const struct nlattr **tb)
{
	return tb[WGPEER_A_PUBLIC_KEY] &&
	       attr_len_is(tb[WGPEER_A_PUBLIC_KEY], WG_KEY_LEN) &&
	       attr_len_is(tb[WGPEER_A_PRESHARED_KEY], WG_KEY_LEN) &&
	       attr_len_is(tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL], 2) &&
	       attr_len_is(tb[WGPEER_A_LAST_HANDSHAKE_TIME],
			   sizeof(struct __kernel_timespec)) &&
	       attr_len_is(tb[WGPEER_A_RX_BYTES], 8) &&
	       attr_len_is(tb[WGPEER_A_TX_BYTES], 8) &&
	       attr_len_is(tb[WGPEER_A_PROTOCOL_VERSION], 4);
}

/* The kernel repeats a peer whose allowed IPs did not fit at the start of
 * the next message, with only its key and the rest of its allowed IPs:
 * the same key as the last peer continues that peer. */
static struct wg_peer_state *find_or_add_peer(struct genl_parse *p,
					      const uint8_t *key)
{
	struct wg_device_state *d = p->out;

	if (d->n_peers &&
	    !memcmp(d->peers[d->n_peers - 1].public_key, key, WG_KEY_LEN))
		return &d->peers[d->n_peers - 1];
	return wg_state_add_peer(p->a, d, key);
}

static int parse_peer(const struct nlattr *nest, void *data)
{
	struct genl_parse *p = data;
	const struct nlattr *tb[WGPEER_A_MAX + 1] = { NULL };
	struct attr_table t = { tb, WGPEER_A_MAX };
	struct wg_peer_state *peer;
	int err;

	err = walk_nested(nest, table_attr, &t);
	if (err)
		return err;
	if (!peer_attrs_ok(tb))
		return -EINVAL;
	peer = find_or_add_peer(p,
				mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]));
	if (tb[WGPEER_A_PRESHARED_KEY]) {
		const uint8_t *psk =
			mnl_attr_get_payload(tb[WGPEER_A_PRESHARED_KEY]);
		struct wg_psks *out = p->out->psk_out;
		uint8_t *slot;

		peer->has_psk = !wg_key_is_zero(psk);
		if (peer->has_psk && out) {
			slot = wg_psks_slot(out, peer->public_key);
			if (!slot)
				return -ENOMEM;
			memcpy(slot, psk, WG_KEY_LEN);
		}
	}
	if (tb[WGPEER_A_ENDPOINT] &&
	    parse_endpoint(tb[WGPEER_A_ENDPOINT], peer->endpoint,
			   sizeof(peer->endpoint)))
		return -EINVAL;
	if (tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL])
		peer->keepalive = mnl_attr_get_u16(
			tb[WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL]);
	if (tb[WGPEER_A_LAST_HANDSHAKE_TIME]) {
		const struct nlattr *hs = tb[WGPEER_A_LAST_HANDSHAKE_TIME];
		struct __kernel_timespec ts;

		memcpy(&ts, mnl_attr_get_payload(hs), sizeof(ts));
		peer->last_handshake_sec = ts.tv_sec;
	}
	if (tb[WGPEER_A_RX_BYTES])
		peer->rx_bytes = mnl_attr_get_u64(tb[WGPEER_A_RX_BYTES]);
	if (tb[WGPEER_A_TX_BYTES])
		peer->tx_bytes = mnl_attr_get_u64(tb[WGPEER_A_TX_BYTES]);
	if (tb[WGPEER_A_ALLOWEDIPS]) {
		p->peer = peer;
		err = walk_nested(tb[WGPEER_A_ALLOWEDIPS], parse_allowed_ip, p);
		p->peer = NULL;
	}
	return err;
}

static int parse_device(struct genl_parse *p, const struct nlattr **tb)
{
	struct wg_device_state *d = p->out;

	if (!attr_len_is(tb[WGDEVICE_A_PRIVATE_KEY], WG_KEY_LEN) ||
	    !attr_len_is(tb[WGDEVICE_A_PUBLIC_KEY], WG_KEY_LEN) ||
	    !attr_len_is(tb[WGDEVICE_A_LISTEN_PORT], 2) ||
	    !attr_len_is(tb[WGDEVICE_A_FWMARK], 4) ||
	    !attr_len_is(tb[WGDEVICE_A_IFINDEX], 4))
		return -EINVAL;
	if (tb[WGDEVICE_A_PRIVATE_KEY]) {
		const uint8_t *priv =
			mnl_attr_get_payload(tb[WGDEVICE_A_PRIVATE_KEY]);

		d->has_private_key = !wg_key_is_zero(priv);
		if (d->has_private_key &&
		    wg_public_from_private(priv, d->public_key))
			return -EINVAL;
		if (d->has_private_key && d->private_key_out &&
		    !d->private_key_out->bytes &&
		    secret_key_from_bytes(priv, d->private_key_out))
			return -ENOMEM;
	}
	if (tb[WGDEVICE_A_LISTEN_PORT])
		d->listen_port = mnl_attr_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
	if (tb[WGDEVICE_A_FWMARK])
		d->fwmark = mnl_attr_get_u32(tb[WGDEVICE_A_FWMARK]);
	if (tb[WGDEVICE_A_PEERS])
		return walk_nested(tb[WGDEVICE_A_PEERS], parse_peer, p);
	return 0;
}

int wg_genl_parse(const struct nlmsghdr *nlh, struct arena *a,
		  struct wg_device_state *out)
{
	const struct nlattr *tb[WGDEVICE_A_MAX + 1] = { NULL };
	struct attr_table t = { tb, WGDEVICE_A_MAX };
	struct genl_parse p = { a, out, NULL };
	const struct genlmsghdr *genl;
	int err;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + GENL_HDRLEN)
		return -EINVAL;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != WG_CMD_GET_DEVICE)
		return -EINVAL;
	err = walk_attrs(mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN),
			 nlh->nlmsg_len - MNL_NLMSG_HDRLEN - GENL_HDRLEN,
			 table_attr, &t);
	if (err)
		return err;
	return parse_device(&p, tb);
}

/* ---- building set messages ---------------------------------------------- */

struct genl_build {
	struct arena *a;
	uint16_t family;
	const char *ifname;
	size_t max;
	struct wg_genl_msgs *out;
	struct nlmsghdr *nlh;		/* the message being filled */
	struct nlattr *peers;		/* its WGDEVICE_A_PEERS, or NULL */
	bool has_peer;			/* something of a peer is in it */
};

enum put_result { PUT_DONE, PUT_PARTIAL, PUT_NOTHING };

static int msg_new(struct genl_build *g)
{
	struct nlmsghdr **slot;
	struct genlmsghdr *genl;

	g->nlh = mnl_nlmsg_put_header(arena_alloc(g->a, g->max));
	g->nlh->nlmsg_type = g->family;
	g->nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	genl = mnl_nlmsg_put_extra_header(g->nlh, sizeof(*genl));
	genl->cmd = WG_CMD_SET_DEVICE;
	genl->version = WG_GENL_VERSION;
	g->peers = NULL;
	g->has_peer = false;
	slot = arena_push(g->a, &g->out->msgs, &g->out->count, &g->out->cap,
			  sizeof(*slot));
	*slot = g->nlh;
	if (!mnl_attr_put_strz_check(g->nlh, g->max, WGDEVICE_A_IFNAME,
				     g->ifname))
		return -E2BIG;
	return 0;
}

static void msg_close_peers(struct genl_build *g)
{
	if (!g->peers)
		return;
	if (g->has_peer)
		mnl_attr_nest_end(g->nlh, g->peers);
	else
		mnl_attr_nest_cancel(g->nlh, g->peers);
	g->peers = NULL;
}

static int put_device(struct genl_build *g, const struct secret_key *priv,
		      const struct wg_set_ops *ops)
{
	struct nlmsghdr *nlh = g->nlh;
	bool ok = true;

	if (ops->replace_peers)
		ok &= mnl_attr_put_u32_check(nlh, g->max, WGDEVICE_A_FLAGS,
					     WGDEVICE_F_REPLACE_PEERS);
	if (priv)
		ok &= mnl_attr_put_check(nlh, g->max, WGDEVICE_A_PRIVATE_KEY,
					 WG_KEY_LEN, priv->bytes);
	if (ops->set_listen_port)
		ok &= mnl_attr_put_u16_check(nlh, g->max,
					     WGDEVICE_A_LISTEN_PORT,
					     ops->listen_port);
	if (ops->set_fwmark)
		ok &= mnl_attr_put_u32_check(nlh, g->max, WGDEVICE_A_FWMARK,
					     ops->fwmark);
	return ok ? 0 : -E2BIG;
}

/* "1.2.3.4:5" / "[v6]:5" -> a sockaddr; the caller resolved names. */
static int endpoint_sockaddr(const char *s, struct sockaddr_in6 *sin6,
			     struct sockaddr_in *sin, size_t *len)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN];
	size_t hlen;
	char *end;
	unsigned long port;

	if (!colon || !colon[1])
		return -EINVAL;
	port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535 || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	hlen = (size_t)(colon - s);
	if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
		if (hlen - 2 >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen - 2);
		host[hlen - 2] = '\0';
		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1
			       ? 0
			       : -EINVAL;
	}
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	*len = sizeof(*sin);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -EINVAL;
}

static bool put_allowed_ip(struct genl_build *g, const struct ip_prefix *p)
{
	struct nlattr *nest = mnl_attr_nest_start_check(g->nlh, g->max, 0);
	bool v4 = p->addr.family == IP_V4;

	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(g->nlh, g->max, WGALLOWEDIP_A_FAMILY,
				    v4 ? AF_INET : AF_INET6) ||
	    !mnl_attr_put_check(g->nlh, g->max, WGALLOWEDIP_A_IPADDR,
				v4 ? 4 : 16, p->addr.b) ||
	    !mnl_attr_put_u8_check(g->nlh, g->max, WGALLOWEDIP_A_CIDR_MASK,
				   p->len)) {
		mnl_attr_nest_cancel(g->nlh, nest);
		return false;
	}
	mnl_attr_nest_end(g->nlh, nest);
	return true;
}

/* The key, or all zeros (none), written straight into the message. */
static bool put_psk(struct genl_build *g, const uint8_t *psk)
{
	static const uint8_t none[WG_KEY_LEN];

	return mnl_attr_put_check(g->nlh, g->max, WGPEER_A_PRESHARED_KEY,
				  WG_KEY_LEN, psk ? psk : none);
}

/* The head of a peer: flags, endpoint, keepalive, preshared key (first
 * fragment only). */
static bool put_peer_head(struct genl_build *g, const struct wg_peer_op *op)
{
	uint32_t flags = 0;
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	size_t salen = 0;

	if (op->remove)
		flags |= WGPEER_F_REMOVE_ME;
	if (op->update_only)
		flags |= WGPEER_F_UPDATE_ONLY;
	if (op->set_allowed_ips)
		flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	if (!mnl_attr_put_u32_check(g->nlh, g->max, WGPEER_A_FLAGS, flags))
		return false;
	if (op->remove)
		return true;
	/* checked by wg_genl_build_set before anything is built */
	if (op->set_endpoint &&
	    !endpoint_sockaddr(op->peer->endpoint, &sin6, &sin, &salen) &&
	    !mnl_attr_put_check(g->nlh, g->max, WGPEER_A_ENDPOINT, salen,
				salen == sizeof(sin) ? (void *)&sin
						     : (void *)&sin6))
		return false;
	if (op->set_keepalive &&
	    !mnl_attr_put_u16_check(g->nlh, g->max,
				    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				    op->peer->keepalive))
		return false;
	return !op->set_psk || put_psk(g, op->psk);
}

/* As much of one peer as fits, from allowed IP *next on (*next > 0: a
 * continuation, which carries only the key and allowed IPs). */
static enum put_result put_peer(struct genl_build *g,
				const struct wg_peer_op *op, size_t *next)
{
	const struct plan_peer *p = op->peer;
	size_t start = *next, n = op->set_allowed_ips ? p->n_allowed_ips : 0;
	struct nlattr *peer, *ips;

	peer = mnl_attr_nest_start_check(g->nlh, g->max, 0);
	if (!peer)
		return PUT_NOTHING;
	if (!mnl_attr_put_check(g->nlh, g->max, WGPEER_A_PUBLIC_KEY,
				WG_KEY_LEN, op->public_key) ||
	    (start == 0 && !put_peer_head(g, op)))
		goto out_cancel;
	if (start < n) {
		ips = mnl_attr_nest_start_check(g->nlh, g->max,
						WGPEER_A_ALLOWEDIPS);
		if (!ips)
			goto out_cancel;
		while (*next < n &&
		       put_allowed_ip(g, &p->allowed_ips[*next].prefix))
			++*next;
		if (*next == start) {
			mnl_attr_nest_cancel(g->nlh, ips);
			goto out_cancel;
		}
		mnl_attr_nest_end(g->nlh, ips);
	}
	mnl_attr_nest_end(g->nlh, peer);
	g->has_peer = true;
	return *next < n ? PUT_PARTIAL : PUT_DONE;
out_cancel:
	/* what is cut off lies beyond nlmsg_len, where the caller's wipe
	 * does not reach: a preshared key may be in it */
	secret_wipe(peer, (size_t)((char *)mnl_nlmsg_get_payload_tail(g->nlh) -
				   (char *)peer));
	mnl_attr_nest_cancel(g->nlh, peer);
	*next = start;
	return PUT_NOTHING;
}

static int put_peers(struct genl_build *g, const struct wg_set_ops *ops)
{
	size_t i = 0, next = 0;
	int err;

	while (i < ops->n_peers) {
		enum put_result r = PUT_NOTHING;

		if (!g->peers)
			g->peers = mnl_attr_nest_start_check(g->nlh, g->max,
							     WGDEVICE_A_PEERS);
		if (g->peers)
			r = put_peer(g, &ops->peers[i], &next);
		if (r == PUT_DONE) {
			i++;
			next = 0;
			continue;
		}
		if (r == PUT_NOTHING && !g->has_peer &&
		    g->out->count > 1)
			return -E2BIG;	/* a fresh message holds none */
		msg_close_peers(g);
		err = msg_new(g);
		if (err)
			return err;
	}
	msg_close_peers(g);
	return 0;
}

static int check_endpoints(const struct wg_set_ops *ops)
{
	for (size_t i = 0; i < ops->n_peers; i++) {
		const struct wg_peer_op *op = &ops->peers[i];
		struct sockaddr_in6 sin6;
		struct sockaddr_in sin;
		size_t len;

		if (op->set_endpoint &&
		    endpoint_sockaddr(op->peer->endpoint, &sin6, &sin, &len)) {
			fprintf(stderr, "meshc: endpoint '%s' of peer %s is "
					"not a numeric address:port\n",
				op->peer->endpoint, op->peer->public_key);
			return -EINVAL;
		}
	}
	return 0;
}

int wg_genl_build_set(struct arena *a, uint16_t family, const char *ifname,
		      const struct secret_key *priv,
		      const struct wg_psks *psks, const struct plan *want,
		      const struct changeset *cs, size_t max,
		      struct wg_genl_msgs *out)
{
	struct genl_build g = { a, family, ifname, max, out, NULL, NULL,
				false };
	struct wg_set_ops ops;
	int err;

	memset(out, 0, sizeof(*out));
	err = wg_set_ops_build(a, want, psks, cs, &ops);
	if (err) {
		wg_set_ops_report(ifname, err);
		return err;
	}
	err = check_endpoints(&ops);
	if (err)
		return err;
	err = max < MNL_NLMSG_HDRLEN + GENL_HDRLEN ? -E2BIG : msg_new(&g);
	if (!err)
		err = put_device(&g, priv, &ops);
	if (!err)
		err = put_peers(&g, &ops);
	if (err == -E2BIG)
		fprintf(stderr, "meshc: a WireGuard message of %zu bytes "
				"cannot hold one peer of %s\n",
			max, ifname);
	return err;
}

/* ---- the socket ---------------------------------------------------------- */

static int family_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
	    mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
		*(uint16_t *)data = mnl_attr_get_u16(attr);
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, GENL_HDRLEN, family_attr, data);
}

static int resolve_family(struct nl *nl, const char *name, uint16_t *id)
{
	char buf[256];	/* a header and a family name */
	struct nl_answer ans = { .cb = family_cb, .data = id };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	int err;

	nlh->nlmsg_type = GENL_ID_CTRL;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	if (!mnl_attr_put_strz_check(nlh, sizeof(buf), CTRL_ATTR_FAMILY_NAME,
				     name))
		return -ENAMETOOLONG;
	*id = 0;
	err = nl_talk(nl, nlh, &ans);
	strbuf_free(&ans.ext);
	if (err)
		return err;
	return *id ? 0 : -ENOENT;
}

static int genl_open(struct nl **nl, uint16_t *family, bool report)
{
	int err;

	err = nl_open(NETLINK_GENERIC, NL_TIMEOUT_MS, nl);
	if (err) {
		if (report)
			fprintf(stderr, "meshc: generic netlink: %s\n",
				strerror(-err));
		return err;
	}
	err = resolve_family(*nl, WG_GENL_NAME, family);
	if (err) {
		if (report)
			fprintf(stderr, "meshc: the kernel has no WireGuard "
					"(generic netlink family \"%s\": %s)\n",
				WG_GENL_NAME, strerror(-err));
		nl_close(*nl);
		*nl = NULL;
	}
	return err;
}

int wg_genl_family_id(const char *name, uint16_t *id)
{
	struct nl *nl;
	int err = nl_open(NETLINK_GENERIC, NL_TIMEOUT_MS, &nl);

	if (err)
		return err;
	err = resolve_family(nl, name, id);
	nl_close(nl);
	return err;
}

int wg_genl_family(uint16_t *id)
{
	return wg_genl_family_id(WG_GENL_NAME, id);
}

struct dump_ctx {
	struct arena *a;
	struct wg_device_state *out;
	int err;		/* the first malformed message */
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;

	c->err = wg_genl_parse(nlh, c->a, c->out);
	if (c->err) {
		errno = -c->err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static void wg_genl_dump_restart(void *data)
{
	struct dump_ctx *c = data;
	struct secret_key *keep = c->out->private_key_out;
	struct wg_psks *keep_psks = c->out->psk_out;

	/* the torn dump's peers stay in the arena, unused; a key it
	 * delivered is read again (it may have changed meanwhile) */
	if (keep)
		secret_key_free(keep);
	if (keep_psks)
		wg_psks_free(keep_psks);
	memset(c->out, 0, sizeof(*c->out));
	c->out->private_key_out = keep;
	c->out->psk_out = keep_psks;
	c->err = 0;
}

int wg_genl_read(const char *ifname, struct arena *a,
		 struct wg_device_state *out)
{
	char buf[256];	/* a header and an interface name */
	struct dump_ctx c = { a, out, 0 };
	struct nl_answer ans = { .cb = dump_cb, .data = &c, .secret = true };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;
	uint16_t family;
	struct nl *nl;
	int err;

	err = genl_open(&nl, &family, true);
	if (err)
		return err;
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_DUMP;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WG_CMD_GET_DEVICE;
	genl->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	/* A dump the kernel interrupted (peers changed meanwhile) is read
	 * again from the start, as wg(8) does. */
	err = nl_dump(nl, nlh, &ans, wg_genl_dump_restart);
	if (err && c.err == -EINVAL)
		fprintf(stderr, "meshc: malformed WireGuard netlink message "
				"for %s\n",
			ifname);
	else if (err)
		fprintf(stderr, "meshc: cannot read WireGuard interface %s: "
				"%s%s%s\n",
			ifname, strerror(-err), ans.ext.len ? ": " : "",
			strbuf_str(&ans.ext));
	strbuf_free(&ans.ext);
	nl_close(nl);
	return err;
}

int wg_genl_write(const char *ifname, const struct secret_key *priv,
		  const struct wg_psks *psks, const struct plan *want,
		  const struct changeset *cs)
{
	struct nl_answer ans = { 0 };
	struct wg_genl_msgs msgs;
	uint16_t family;
	struct nl *nl;
	struct arena a;
	int err;

	err = genl_open(&nl, &family, true);
	if (err)
		return err;
	arena_init(&a);
	err = wg_genl_build_set(&a, family, ifname, priv, psks, want, cs,
				MNL_SOCKET_BUFFER_SIZE, &msgs);
	for (size_t i = 0; !err && i < msgs.count; i++) {
		err = nl_talk(nl, msgs.msgs[i], &ans);
		if (err)
			fprintf(stderr, "meshc: cannot configure WireGuard "
					"interface %s: %s%s%s\n",
				ifname, strerror(-err), ans.ext.len ? ": " : "",
				strbuf_str(&ans.ext));
	}
	for (size_t i = 0; i < msgs.count; i++)
		secret_wipe(msgs.msgs[i], msgs.msgs[i]->nlmsg_len);
	strbuf_free(&ans.ext);
	arena_free(&a);
	nl_close(nl);
	return err;
}
