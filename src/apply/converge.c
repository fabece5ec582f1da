/* converge.c - send a change set to the system.
 *
 * Order matters for safety, not only for dependencies:
 *   up:   firewall first (so forwarding never runs without meshc's rules,
 *         and revocations take effect before anything else), then the
 *         interface and WireGuard, addresses, routes, rules, and the
 *         sysctls last (forwarding is switched on once everything that
 *         restricts it is in place);
 *   down: the reverse: sysctls back first, the firewall table last.
 */
#include "apply/internal.h"

#include "apply/conntrack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MESHC_FAULT_INJECTION
/* MESHC_FAULT_DELAY=<step>[:seconds] (default 2): sleep at that step, so
 * a test can kill meshc, or start a second run, while it is half-way. */
static void apply_delay(const char *step)
{
	const char *d = getenv("MESHC_FAULT_DELAY");
	size_t n = strlen(step);

	if (!d || strncmp(d, step, n) || (d[n] && d[n] != ':'))
		return;
	fprintf(stderr, "meshc: injected delay at step '%s'\n", step);
	sleep(d[n] ? (unsigned)atoi(d + n + 1) : 2);
}
#endif

int apply_fault(const char *step)
{
#ifdef MESHC_FAULT_INJECTION
	const char *f = getenv("MESHC_FAULT");

	apply_delay(step);
	if (f && !strcmp(f, step)) {
		/* once: the rollback that follows must not fail as well */
		unsetenv("MESHC_FAULT");
		fprintf(stderr, "meshc: injected fault at step '%s'\n", step);
		return -EIO;
	}
#else
	(void)step;
#endif
	return 0;
}

static bool layer_changes(const struct changeset *cs, enum change_layer l)
{
	size_t first, n = changeset_layer(cs, l, &first);

	for (size_t i = first; i < first + n; i++)
		if (!change_is_cosmetic(&cs->items[i]))
			return true;
	return false;
}

static bool wants_private_key(const struct apply_ctx *c, const struct live *lv,
			      const struct changeset *cs)
{
	size_t first, n = changeset_layer(cs, LAYER_INTERFACE, &first);

	if (c->created || !lv->has_private_key)
		return true;
	for (size_t i = first; i < first + n; i++)
		if (cs->items[i].what & CHG_IFACE_PRIVATE_KEY)
			return true;
	return false;
}

/* Does WireGuard need telling: an interface change beyond the link's
 * own settings and cosmetic ones? */
static bool iface_needs_wg(const struct changeset *cs)
{
	size_t first, n = changeset_layer(cs, LAYER_INTERFACE, &first);

	for (size_t i = first; i < first + n; i++) {
		const struct change *ch = &cs->items[i];

		if (ch->op != CHANGE_MODIFY ||
		    (ch->what & ~(CHG_COSMETIC | CHG_IFACE_LINK)))
			return true;
	}
	return false;
}

/* The target's MTU, when it sets one the link does not have (the diff
 * compared the same two numbers: the live plan's is the link's; a link
 * this run created has the kernel's default).  One RTM_NEWLINK, for
 * kernel WireGuard and wireguard-go alike; a rollback converges back to
 * the MTU read before the run. */
static int converge_mtu(struct apply_ctx *c, struct live *lv,
			const struct plan *target)
{
	uint32_t mtu = target->iface.mtu;
	int err;

	if (!mtu || lv->link.mtu == mtu)
		return 0;
	if ((err = apply_fault("mtu")))
		return err;
	err = rtnl_link_set_mtu(c->rtnl, lv->link.ifindex, mtu);
	if (!err)
		lv->link.mtu = mtu;
	return err;
}

static int converge_interface(struct apply_ctx *c, struct live *lv,
			      const struct plan *target,
			      const struct changeset *cs)
{
	const char *ifname = target->iface.name;
	int err;

	if (!lv->link.exists) {
		if ((err = apply_fault("create")))
			return err;
		/* Between creating the interface and marking it, meshc could
		 * be killed: the marker file lets the next run recognise the
		 * unmarked interface as its own (live_read). */
		err = state_mark_creating(c->a, &c->st, true);
		if (err)
			return err;
		err = wg_create(c->rtnl, ifname, &lv->wg);
		if (err) {
			state_mark_creating(c->a, &c->st, false);
			return err;
		}
		c->created = true;
		if ((err = apply_fault("mark")))
			return err;
		err = rtnl_get_link(c->rtnl, ifname, &lv->link);
		if (!err && !lv->link.exists)
			err = -ENODEV;
		if (!err)
			err = rtnl_link_set_alias(c->rtnl, lv->link.ifindex,
						  MESHC_LINK_MARK);
		if (err)
			return err;
		state_mark_creating(c->a, &c->st, false);
	}
	if ((err = converge_mtu(c, lv, target)))
		return err;
	if (!c->created && !iface_needs_wg(cs) &&
	    !layer_changes(cs, LAYER_PEERS) && lv->has_private_key)
		return 0;
	if ((err = apply_fault("wireguard")))
		return err;
	/* converging back, the keys are the ones read before the run */
	return wg_write(lv->wg, ifname,
			wants_private_key(c, lv, cs) ? &c->priv : NULL,
			c->rollback ? &c->rollback->psks : &c->want_psks,
			target, c->created ? NULL : cs);
}

/* Is the address of removal ch added again (with another prefix length)
 * by the same change set? */
static bool addr_readded(const struct changeset *cs, size_t first, size_t n,
			 const struct change *ch)
{
	for (size_t i = first; i < first + n; i++)
		if (cs->items[i].op != CHANGE_REMOVE &&
		    ip_addr_eq(&cs->items[i].new.addr->addr.addr,
			       &ch->old.addr->addr.addr))
			return true;
	return false;
}

/* Which pass (0, 1, 2) runs change ch.  Removals go first, so that a
 * re-add of the same key (e.g. another prefix length) does not collide.
 * Addresses are the exception: the kernel flushes every IPv4 route of an
 * interface when its last IPv4 address goes, so a new address goes in
 * before an old one is removed (unless it is the same address). */
static int change_pass(const struct changeset *cs, size_t first, size_t n,
		       const struct change *ch)
{
	if (ch->op != CHANGE_REMOVE)
		return 1;
	if (ch->layer != LAYER_ADDRESSES || addr_readded(cs, first, n, ch))
		return 0;
	return 2;
}

/* Run the changes of one layer (see change_pass for the order). */
static int converge_layer(struct apply_ctx *c, struct live *lv,
			  const struct changeset *cs, enum change_layer layer)
{
	size_t first, n = changeset_layer(cs, layer, &first);
	int err = 0;

	for (int pass = 0; pass < 3 && !err; pass++) {
		for (size_t i = first; i < first + n && !err; i++) {
			const struct change *ch = &cs->items[i];
			bool removal = ch->op == CHANGE_REMOVE;

			if (change_pass(cs, first, n, ch) != pass ||
			    change_is_cosmetic(ch))
				continue;
			switch (layer) {
			case LAYER_ADDRESSES:
				err = rtnl_addr(c->rtnl,
						removal ? RTNL_DEL : RTNL_ADD,
						lv->link.ifindex,
						removal ? ch->old.addr
							: ch->new.addr);
				break;
			case LAYER_ROUTES:
				err = rtnl_route(c->rtnl,
						 removal ? RTNL_DEL
						 : ch->op == CHANGE_ADD
							 ? RTNL_ADD
							 : RTNL_REPLACE,
						 lv->link.ifindex,
						 removal ? ch->old.route
							 : ch->new.route);
				break;
			case LAYER_RULES:
				if (ch->op == CHANGE_MODIFY)
					err = rtnl_rule(c->rtnl, RTNL_DEL,
							ch->old.rule);
				if (!err)
					err = rtnl_rule(c->rtnl,
							removal ? RTNL_DEL
								: RTNL_ADD,
							removal ? ch->old.rule
								: ch->new.rule);
				break;
			default:
				break;
			}
		}
	}
	if (!err)
		err = apply_fault(change_layer_name(layer));
	return err;
}

static bool listed(const char *const *keys, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return true;
	return false;
}

/* The keys the interface needs once converged, each with its live value
 * now (the ledger keeps it as the original if no interface needed the
 * key yet; NULL: unreadable): the target's; for a rollback only those
 * the state before needed; none for a teardown. */
static size_t sysctl_needs(struct apply_ctx *c, const struct plan *target,
			   const struct changeset *cs,
			   struct plan_sysctl **out)
{
	size_t first, nch = changeset_layer(cs, LAYER_SYSCTLS, &first);
	size_t n = 0, cap = 0;

	*out = NULL;
	for (size_t i = 0; target && i < target->n_sysctls; i++) {
		const struct plan_sysctl *s = &target->sysctls[i];
		struct plan_sysctl *need;

		if (c->rollback && !listed(c->rollback->sysctl_needs,
					   c->rollback->n_sysctl_needs, s->key))
			continue;
		need = arena_push(c->a, out, &n, &cap, sizeof(*need));
		need->key = s->key;
		need->value = s->value;	/* unchanged: live is target */
		for (size_t j = first; j < first + nch; j++) {
			const struct change *ch = &cs->items[j];

			if (ch->new.sysctl && !strcmp(ch->new.sysctl->key, s->key))
				need->value = ch->old.sysctl
						      ? ch->old.sysctl->value
						      : NULL;
		}
	}
	return n;
}

/* Sysctls are shared by the interfaces of a network namespace: the
 * ledger records which need what; a value the target needs is written,
 * and a key nobody needs any more gets the value it had before meshc. */
static int converge_sysctls(struct apply_ctx *c, const struct plan *target,
			    const struct changeset *cs)
{
	size_t first, n = changeset_layer(cs, LAYER_SYSCTLS, &first);
	struct plan_sysctl *needs, *restore;
	size_t n_needs = sysctl_needs(c, target, cs, &needs), n_restore;
	int err = sysctl_ledger_set(c->a, &c->st, needs, n_needs, &restore,
				    &n_restore);

	for (size_t i = first; i < first + n && !err; i++) {
		const struct change *ch = &cs->items[i];
		bool needed = false;

		for (size_t j = 0; ch->op != CHANGE_REMOVE && j < n_needs; j++)
			needed |= !strcmp(needs[j].key, ch->new.sysctl->key);
		if (needed)
			err = sysctl_write(ch->new.sysctl->key,
					   ch->new.sysctl->value);
	}
	for (size_t i = 0; i < n_restore && !err; i++) {
		char now[128];

		if (sysctl_read(restore[i].key, now, sizeof(now)) ||
		    strcmp(now, restore[i].value))
			err = sysctl_write(restore[i].key, restore[i].value);
	}
	if (!err)
		err = apply_fault("sysctls");
	return err;
}

static int converge_firewall(struct apply_ctx *c, const struct live *lv,
			     const struct plan *target,
			     const struct changeset *cs)
{
	int err;

	if (!layer_changes(cs, LAYER_FIREWALL_SETS) &&
	    !layer_changes(cs, LAYER_FIREWALL_RULES) &&
	    (target || lv->nft == NFT_TABLE_ABSENT))
		return 0;
	if ((err = apply_fault("firewall")))
		return err;
	err = nft_sync(lv->nft, &lv->nft_seen, target ? &target->fw : NULL,
		       cs, &c->nft_batches);
	if (err || !target)
		return err;
	/* Now that the revoked grants admit no new packet, end the
	 * connections they let in.  A failure leaves the revocation in
	 * place (rolling back would grant again) and says what lives on. */
	if (conntrack_cut_revoked(c->a, target, cs) < 0)
		fprintf(stderr, "meshc: warning: established connections of "
				"revoked grants may live on until they end\n");
	return 0;
}

/* An apply told to stop (a held SIGINT, SIGTERM or SIGHUP) stops at the
 * next step; its caller rolls back what is done so far. */
static int stop_requested(const struct apply_ctx *c)
{
	int sig = c->stop_on_signal ? signals_pending() : 0;

	if (!sig)
		return 0;
	fprintf(stderr, "meshc: %s received; stopping the apply\n",
		signals_name(sig));
	return -EINTR;
}

static int converge_up(struct apply_ctx *c, struct live *lv,
		       const struct plan *target, const struct changeset *cs)
{
	int err;

	if ((err = converge_firewall(c, lv, target, cs)) ||
	    (err = stop_requested(c)) ||
	    (err = converge_interface(c, lv, target, cs)) ||
	    (err = stop_requested(c)) ||
	    (err = converge_layer(c, lv, cs, LAYER_ADDRESSES)))
		return err;
	if (!lv->link.up) {
		err = rtnl_link_set_up(c->rtnl, lv->link.ifindex);
		if (err)
			return err;
		lv->link.up = true;
	}
	if ((err = stop_requested(c)) ||
	    (err = converge_layer(c, lv, cs, LAYER_ROUTES)) ||
	    (err = stop_requested(c)) ||
	    (err = converge_layer(c, lv, cs, LAYER_RULES)) ||
	    (err = stop_requested(c)) ||
	    (err = converge_sysctls(c, target, cs)))
		return err;
	return stop_requested(c);
}

/* Tear down keeps going after an error, so that as much as possible goes;
 * the first error is returned. */
static int converge_down(struct apply_ctx *c, struct live *lv,
			 const struct changeset *cs)
{
	int err, first_err = 0;

	err = converge_sysctls(c, NULL, cs);
	first_err = first_err ? first_err : err;
	err = converge_layer(c, lv, cs, LAYER_RULES);
	first_err = first_err ? first_err : err;
	err = converge_layer(c, lv, cs, LAYER_ROUTES);
	first_err = first_err ? first_err : err;
	if (lv->link.exists) {
		err = wg_destroy(c->rtnl, lv->wg, lv->plan.iface.name);
		first_err = first_err ? first_err : err;
	}
	err = converge_firewall(c, lv, NULL, cs);
	first_err = first_err ? first_err : err;
	return first_err;
}

int converge_shared(struct apply_ctx *c, struct live *lv,
		    const struct plan *target, const struct changeset *cs)
{
	int err;

	if ((err = converge_firewall(c, lv, target, cs)) ||
	    (err = converge_layer(c, lv, cs, LAYER_ROUTES)) ||
	    (err = converge_layer(c, lv, cs, LAYER_RULES)) ||
	    (err = converge_sysctls(c, target, cs)))
		return err;
	return 0;
}

int converge(struct apply_ctx *c, struct live *lv, const struct plan *target,
	     const struct changeset *cs)
{
	return target ? converge_up(c, lv, target, cs)
		      : converge_down(c, lv, cs);
}
