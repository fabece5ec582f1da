/* prefetch.c - read the WireGuard device while the document compiles.
 *
 * Reading a device back is the longest wait of a run that changes little:
 * wireguard-go formats every peer (45 ms at 10,000 peers) while meshc
 * only waits, and parsing and compiling the document (as long again)
 * needs no answer from it.  So `apply` starts the read of the interface
 * it expects (the one a previous run of the same document recorded, see
 * apply.c) in a thread of its own, before it compiles, and live_read()
 * takes the result if the compiled plan names that interface.
 *
 * The thread also reads the interface's addresses, meshc's routes and
 * rules (rtnl_read_plan), the other read that needs nothing from the
 * plan.  It works on its own arena, rtnetlink socket and secret key and
 * shares nothing with the main thread until wg_prefetch_take() joins it.
 * It only reads; errors it meets are reported as a direct read would
 * report them, and live_read() returns them without reading again.
 */
#include "apply/internal.h"

#include <errno.h>
#include <string.h>

static void *prefetch_run(void *arg)
{
	struct wg_prefetch *pf = arg;
	struct live_link link = { 0 };
	struct rtnl *rtnl = NULL;

	pf->backend = WG_BACKEND_NONE;
	pf->err = rtnl_open(&rtnl);
	if (!pf->err)
		pf->err = rtnl_get_link(rtnl, pf->ifname, &link);
	/* only a device that live_read() would go on to read */
	if (pf->err || !link.exists || link.kind == LINK_OTHER ||
	    !link.meshc_mark)
		goto out;
	pf->backend = wg_backend_for(pf->ifname, link.kind == LINK_WIREGUARD);
	if (pf->backend == WG_BACKEND_NONE)
		goto out;
	pf->st.private_key_out = &pf->key;
	pf->st.psk_out = &pf->psks;
	pf->err = wg_read(pf->backend, pf->ifname, &pf->a, &pf->st);
	if (!pf->err) {
		pf->rt_err = rtnl_read_plan(rtnl, &pf->a, pf->ifname,
					    link.ifindex,
					    plan_policy_mark(pf->ifname),
					    &pf->rt);
		pf->rt_ifindex = link.ifindex;
		pf->rt_read = true;
	}
out:
	if (rtnl)
		rtnl_close(rtnl);
	return NULL;
}

void wg_prefetch_start(struct wg_prefetch *pf, const char *ifname)
{
	memset(pf, 0, sizeof(*pf));
	arena_init(&pf->a);
	wg_psks_init(&pf->psks, &pf->a);
	if (strlen(ifname) >= sizeof(pf->ifname))
		return;
	strcpy(pf->ifname, ifname);
	/* no thread, no prefetch: the run reads the device itself */
	pf->started = pthread_create(&pf->thread, NULL, prefetch_run, pf) == 0;
}

static void prefetch_join(struct wg_prefetch *pf)
{
	if (pf->started)
		pthread_join(pf->thread, NULL);
	pf->started = false;
}

bool wg_prefetch_take(struct wg_prefetch *pf, struct arena *a,
		      const char *ifname, enum wg_backend backend,
		      struct wg_device_state *out, int *err)
{
	struct secret_key *want_key = out->private_key_out;
	struct wg_psks *want_psks = out->psk_out;

	if (!pf || pf->taken)
		return false;
	prefetch_join(pf);
	pf->taken = true;
	if (strcmp(pf->ifname, ifname) != 0 || pf->backend != backend ||
	    backend == WG_BACKEND_NONE) {
		pf->rt_read = false;
		return false;
	}
	*out = pf->st;
	out->private_key_out = want_key;
	if (want_key) {
		*want_key = pf->key;	/* the caller frees it now */
		memset(&pf->key, 0, sizeof(pf->key));
	}
	out->psk_out = want_psks;
	if (want_psks) {
		/* the caller's now, keys and map: the map's memory moves to
		 * `a` with the rest, and so must anything it allocates */
		wg_psks_free(want_psks);
		*want_psks = pf->psks;
		want_psks->a = a;
		want_psks->by_peer.arena = a;
		memset(&pf->psks, 0, sizeof(pf->psks));
	}
	arena_adopt(a, &pf->a);
	*err = pf->err;
	pf->rt_read &= !pf->err;
	return true;
}

bool wg_prefetch_take_rtnl(struct wg_prefetch *pf, int ifindex,
			   struct plan *p, int *err)
{
	if (!pf || !pf->rt_read || pf->rt_ifindex != ifindex)
		return false;
	pf->rt_read = false;
	p->iface.addresses = pf->rt.iface.addresses;
	p->iface.n_addresses = pf->rt.iface.n_addresses;
	p->routes = pf->rt.routes;
	p->n_routes = pf->rt.n_routes;
	p->rules = pf->rt.rules;
	p->n_rules = pf->rt.n_rules;
	*err = pf->rt_err;
	return true;
}

void wg_prefetch_end(struct wg_prefetch *pf)
{
	if (!pf)
		return;
	prefetch_join(pf);
	pf->taken = true;
	secret_key_free(&pf->key);
	wg_psks_free(&pf->psks);
	arena_free(&pf->a);
}
