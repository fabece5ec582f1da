/* live.c - read the live system into a plan (the same type the compiler
 * makes), so that one diff engine compares what is with what should be. */
#include "apply/internal.h"

#include <errno.h>
#include <netdb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Another interface's routes carry meshc's protocol too when a host has
 * several meshes; this plan owns only those through its interface, and
 * every one in its own table M (no other interface uses that table). */
static void keep_own_routes(struct plan *p, const char *ifname)
{
	size_t out = 0;

	for (size_t i = 0; i < p->n_routes; i++)
		if ((p->routes[i].dev && !strcmp(p->routes[i].dev, ifname)) ||
		    p->routes[i].table == p->iface.policy_mark)
			p->routes[out++] = p->routes[i];
	p->n_routes = out;
}

/* Does this run deal with the interface's M at all: rules or table-M
 * routes wanted or found?  Only then can another interface share it. */
static bool uses_policy_mark(const struct plan *want, const struct plan *live)
{
	const struct plan *both[] = { want, live };

	for (size_t k = 0; k < 2; k++) {
		if (both[k]->n_rules)
			return true;
		for (size_t i = 0; i < both[k]->n_routes; i++)
			if (both[k]->routes[i].table == want->iface.policy_mark)
				return true;
	}
	return false;
}

/* Two interface names can give the same M (16 bits of a hash).  Another
 * meshc interface of this netns whose WireGuard fwmark is M has its rules
 * and table where this one's would be: changing them would break it, so
 * the run is refused, naming both.  Read only when M is in use here. */
static int check_policy_mark(struct apply_ctx *c, const struct plan *want,
			     const struct plan *live)
{
	struct live_link *links;
	size_t n;
	int err;

	if (!uses_policy_mark(want, live))
		return 0;
	err = rtnl_meshc_links(c->rtnl, c->a, want->iface.name, &links, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		struct wg_device_state wg = { 0 };
		enum wg_backend b = wg_backend_for(links[i].name,
						   links[i].kind ==
							   LINK_WIREGUARD);

		/* one that answers to nobody sets no mark on packets */
		if (b == WG_BACKEND_NONE || wg_read(b, links[i].name, c->a, &wg))
			continue;
		if (wg.fwmark == want->iface.policy_mark) {
			fprintf(stderr,
				"meshc: interfaces %s and %s both get policy "
				"mark 0x%x (fwmark and routing table; meshc(8)), "
				"and %s uses it; refusing to touch its rules: "
				"rename one of them\n",
				want->iface.name, links[i].name,
				(unsigned)want->iface.policy_mark,
				links[i].name);
			return -EADDRINUSE;
		}
	}
	return 0;
}

/* The sysctls the plan wants, and those the ledger says the interface
 * needed so far (a key it no longer needs is let go, see converge). */
static int read_sysctls(struct apply_ctx *c, const struct plan *want,
			struct live *lv)
{
	struct plan keys = { 0 };
	size_t cap = 0;
	int err = sysctl_ledger_needs(c->a, &c->st, &lv->sysctl_needs,
				      &lv->n_sysctl_needs);

	if (err)
		return err;
	for (size_t i = 0; i < want->n_sysctls; i++)
		*(struct plan_sysctl *)arena_push(c->a, &keys.sysctls,
						  &keys.n_sysctls, &cap,
						  sizeof(struct plan_sysctl)) =
			want->sysctls[i];
	for (size_t i = 0; i < lv->n_sysctl_needs; i++) {
		bool listed = false;

		for (size_t j = 0; j < want->n_sysctls; j++)
			listed |= !strcmp(want->sysctls[j].key,
					  lv->sysctl_needs[i]);
		if (!listed)
			((struct plan_sysctl *)arena_push(
				 c->a, &keys.sysctls, &keys.n_sysctls, &cap,
				 sizeof(struct plan_sysctl)))
				->key = lv->sysctl_needs[i];
	}
	return sysctl_read_plan(c->a, &keys, &lv->plan);
}

void live_free_secrets(struct live *lv)
{
	secret_key_free(&lv->private_key);
	wg_psks_free(&lv->psks);
}

/* A live peer's key is the plan's when it is the very key derived for
 * that peer: then its source is the wanted file, and the diff sees no
 * change.  Any other key stays PLAN_PSK_OTHER (as does every key when
 * nothing was derived: down). */
static void map_psks(const struct apply_ctx *c, struct live *lv)
{
	for (size_t i = 0; i < lv->plan.n_peers; i++) {
		struct plan_peer *peer = &lv->plan.peers[i];
		const uint8_t *have, *want;

		if (!peer->preshared_key_file)
			continue;
		have = wg_psks_get(&lv->psks, peer->public_key);
		want = wg_psks_get(&c->want_psks, peer->public_key);
		if (have && want && sodium_memcmp(have, want, WG_KEY_LEN) == 0)
			peer->preshared_key_file = c->want_psks.file;
	}
}

int live_read(struct apply_ctx *c, const struct plan *want, struct live *lv)
{
	const char *ifname = want->iface.name;
	struct wg_device_state wg = { 0 };
	struct nft_trust trust;
	bool have_trust;
	int err;

	memset(lv, 0, sizeof(*lv));
	wg_psks_init(&lv->psks, c->a);
	lv->plan.node = want->node;
	lv->plan.mesh = want->mesh;
	lv->plan.document = want->document;
	lv->plan.platform = want->platform;
	err = rtnl_get_link(c->rtnl, ifname, &lv->link);
	if (err)
		return err;
	if (lv->link.exists && lv->link.kind != LINK_OTHER &&
	    !lv->link.meshc_mark && state_was_creating(c->a, &c->st)) {
		/* only a run holding the lock marks it; diff just reads */
		if (c->st.lock_fd >= 0) {
			fprintf(stderr, "meshc: %s was created by a run that "
					"did not finish; taking it over\n",
				ifname);
			err = rtnl_link_set_alias(c->rtnl, lv->link.ifindex,
						  MESHC_LINK_MARK);
			if (err)
				return err;
			state_mark_creating(c->a, &c->st, false);
		}
		lv->link.meshc_mark = true;
	}
	if (lv->link.exists) {
		if (lv->link.kind == LINK_OTHER || !lv->link.meshc_mark) {
			fprintf(stderr,
				"meshc: interface %s exists and is not managed "
				"by meshc (kind '%s'%s); refusing to touch it\n",
				ifname, lv->link.kind_name,
				lv->link.meshc_mark ? "" : ", no meshc mark");
			return -EEXIST;
		}
		lv->wg = wg_backend_for(ifname,
					lv->link.kind == LINK_WIREGUARD);
		if (lv->wg == WG_BACKEND_NONE) {
			fprintf(stderr,
				"meshc: interface %s exists but no WireGuard "
				"implementation answers for it (%s/%s.sock); "
				"run meshc down, then apply again\n",
				ifname, WG_UAPI_DIR, ifname);
			return -ENOTCONN;
		}
		wg.private_key_out = &lv->private_key;
		wg.psk_out = &lv->psks;
		if (!wg_prefetch_take(c->prefetch, c->a, ifname, lv->wg, &wg,
				      &err))
			err = wg_read(lv->wg, ifname, c->a, &wg);
		if (err)
			return err;
		wg_state_to_plan(c->a, &wg, &lv->plan);
		map_psks(c, lv);
		lv->has_private_key = wg.has_private_key;
		lv->device = wg;
		lv->device.private_key_out = NULL;	/* lv->private_key */
		lv->device.psk_out = NULL;		/* lv->psks */
	}
	lv->plan.iface.name = ifname;
	lv->plan.iface.mtu = lv->link.exists ? lv->link.mtu : 0;
	lv->plan.iface.private_key_file = want->iface.private_key_file;
	lv->plan.iface.policy_mark = want->iface.policy_mark;
	if (!lv->link.exists ||
	    !wg_prefetch_take_rtnl(c->prefetch, lv->link.ifindex, &lv->plan,
				   &err))
		err = rtnl_read_plan(c->rtnl, c->a, ifname,
				     lv->link.exists ? lv->link.ifindex : 0,
				     want->iface.policy_mark, &lv->plan);
	if (err)
		return err;
	keep_own_routes(&lv->plan, ifname);
	err = check_policy_mark(c, want, &lv->plan);
	if (err)
		return err;
	err = read_sysctls(c, want, lv);
	if (err)
		return err;
	have_trust = c->st.dir && nft_record_trust(c->a, &c->st, &want->fw,
						    &trust);
	err = nft_read(c->a, ifname, &lv->plan.fw, &lv->nft,
		       have_trust ? &trust : NULL, &lv->nft_seen);
	if (err)
		return err;
	if (lv->nft == NFT_TABLE_FOREIGN) {
		fprintf(stderr, "meshc: nftables table inet %s exists and is "
				"not managed by meshc; refusing to touch it\n",
			MESHC_NFT_TABLE);
		return -EEXIST;
	}
	plan_sort(&lv->plan);
	return 0;
}

/* "host:port" -> the numeric form WireGuard reports ("1.2.3.4:51820",
 * "[2001:db8::1]:51820"), so a DNS endpoint compares with the live one. */
static const char *resolve_endpoint(struct arena *a, const char *endpoint)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	const char *colon = strrchr(endpoint, ':'), *written = endpoint;
	char host[256], num[IP_STRLEN];
	const char *out = NULL, *why;
	struct ip_addr ip;
	size_t hlen;
	int rc;

	if (!colon)
		return NULL;
	hlen = (size_t)(colon - endpoint);
	if (endpoint[0] == '[' && hlen >= 2 && endpoint[hlen - 1] == ']')
		endpoint++, hlen -= 2;
	if (hlen >= sizeof(host))
		return NULL;
	memcpy(host, endpoint, hlen);
	host[hlen] = '\0';
	/* A numeric host (nearly every endpoint) needs no resolver: at
	 * 10,000 peers getaddrinfo alone took longer than the whole diff. */
	if (ip_addr_parse(host, &ip, &why) == 0) {
		/* already in the numeric form: the text itself */
		if (!strcmp(ip_addr_str(&ip, num), host))
			return written;
		return arena_printf(a, ip.family == IP_V6 ? "[%s]:%s" : "%s:%s",
				    num, colon + 1);
	}
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc) {
		fprintf(stderr, "meshc: cannot resolve endpoint %s: %s\n",
			host, gai_strerror(rc));
		return NULL;
	}
	if (res->ai_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)res->ai_addr;

		ip = (struct ip_addr){ .family = IP_V6 };
		memcpy(ip.b, &s6->sin6_addr, 16);
		out = arena_printf(a, "[%s]:%s", ip_addr_str(&ip, num),
				   colon + 1);
	} else if (res->ai_family == AF_INET) {
		struct sockaddr_in *s4 = (void *)res->ai_addr;

		ip = (struct ip_addr){ .family = IP_V4 };
		memcpy(ip.b, &s4->sin_addr, 4);
		out = arena_printf(a, "%s:%s", ip_addr_str(&ip, num),
				   colon + 1);
	}
	freeaddrinfo(res);
	return out;
}

int normalize_plans(struct apply_ctx *c, const struct plan *want,
		    struct plan **want_out, struct live *lv)
{
	struct plan *w = arena_alloc(c->a, sizeof(*w));
	struct strmap by_key;

	*w = *want;
	w->peers = arena_calloc(c->a, want->n_peers + 1, sizeof(*w->peers));
	memcpy(w->peers, want->peers, want->n_peers * sizeof(*w->peers));
	strmap_init(&by_key, c->a);
	strmap_reserve(&by_key, w->n_peers);
	for (size_t i = 0; i < w->n_peers; i++) {
		struct plan_peer *peer = &w->peers[i];

		strmap_put(&by_key, peer->public_key, i);
		if (!peer->endpoint)
			continue;
		peer->endpoint = resolve_endpoint(c->a, peer->endpoint);
		if (!peer->endpoint)
			return -EINVAL;
	}
	/* A peer without a documented endpoint roams: whatever endpoint
	 * WireGuard learned for it is not a difference. */
	for (size_t i = 0; i < lv->plan.n_peers; i++) {
		size_t j;

		if (!strmap_get(&by_key, lv->plan.peers[i].public_key, &j) ||
		    !w->peers[j].endpoint)
			lv->plan.peers[i].endpoint = NULL;
	}
	*want_out = w;
	return 0;
}

/* ---- the firewall's live sets ----------------------------------------- */

static bool in_set(const struct fw_set *s, const struct ip_prefix *p)
{
	for (size_t i = 0; i < s->n_elems; i++)
		if (ip_prefix_covers(&s->elems[i].prefix, p))
			return true;
	return false;
}

static void push_elem(struct arena *a, struct fw_set *s, size_t *cap,
		      struct fw_elem e)
{
	*(struct fw_elem *)arena_push(a, &s->elems, &s->n_elems, cap,
				      sizeof(e)) = e;
}

/* Without an uplink: the default routes' devices. */
static void fill_uplinks(struct apply_ctx *c, struct plan_firewall *fw,
			 const struct rtnl_egress *eg)
{
	struct fw_set *s = &fw->sets[FW_SET_UPLINK][0];
	size_t cap = 0;

	s->elems = NULL;
	s->n_elems = 0;
	for (size_t i = 0; i < eg->n_uplinks; i++)
		push_elem(c->a, s, &cap, (struct fw_elem){
			.ifname = eg->uplinks[i], .why = "default route" });
	if (s->n_elems > 1)
		qsort(s->elems, s->n_elems, sizeof(*s->elems), fw_elem_cmp);
	if (!s->n_elems && (fw->sets[FW_SET_ROUTING][0].n_elems ||
			    fw->sets[FW_SET_ROUTING][1].n_elems))
		fprintf(stderr, "meshc: %s: no default route: peers granted "
				"routing reach nothing through this node until "
				"there is one and meshc apply runs again\n",
			fw->iface);
}

/* The networks of the node's other interfaces that no other rule already
 * keeps routed peers from (the private ranges cover link-local, ULA,
 * RFC 1918 ...): a global prefix of the lan, a second uplink's subnet. */
static void fill_local(struct apply_ctx *c, struct plan_firewall *fw,
		       const struct rtnl_egress *eg)
{
	size_t cap[2] = { 0, 0 };

	for (int f = 0; f < 2; f++) {
		fw->sets[FW_SET_LOCAL][f].elems = NULL;
		fw->sets[FW_SET_LOCAL][f].n_elems = 0;
	}
	for (size_t i = 0; i < eg->n_nets; i++) {
		const struct ip_prefix *p = &eg->nets[i];
		int f = p->addr.family == IP_V6;

		if (in_set(&fw->sets[FW_SET_PRIVATE][f], p))
			continue;
		push_elem(c->a, &fw->sets[FW_SET_LOCAL][f], &cap[f],
			  (struct fw_elem){ .prefix = *p,
					    .why = eg->net_dev[i] });
	}
	for (int f = 0; f < 2; f++) {
		struct fw_set *s = &fw->sets[FW_SET_LOCAL][f];
		size_t out = 0;

		if (s->n_elems > 1)
			qsort(s->elems, s->n_elems, sizeof(*s->elems),
			      fw_elem_cmp);
		/* one element per network, though two links may hold it */
		for (size_t i = 0; i < s->n_elems; i++)
			if (!out || fw_elem_cmp(&s->elems[out - 1],
						&s->elems[i]))
				s->elems[out++] = s->elems[i];
		s->n_elems = out;
	}
}

int live_fill_egress(struct apply_ctx *c, const struct plan *want,
		     const struct plan **out)
{
	const char *skip[] = { want->iface.name };
	struct rtnl_egress eg;
	struct plan *w;
	int err;

	*out = want;
	if (!want->fw.live_pending || !want->fw.n_rules)
		return 0;
	err = rtnl_read_egress(c->rtnl, c->a, skip, 1, &eg);
	if (err)
		return err;
	w = arena_alloc(c->a, sizeof(*w));
	*w = *want;
	if (!w->fw.uplink)
		fill_uplinks(c, &w->fw, &eg);
	fill_local(c, &w->fw, &eg);
	w->fw.live_pending = false;
	*out = w;
	return 0;
}
