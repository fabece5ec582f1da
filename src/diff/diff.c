/* diff.c - the diff engine: two plans -> the changes between them.
 *
 * Every layer of a plan is a sorted array (plan_sort), so each layer is
 * one merge walk that pairs items with the same identity: an item only in
 * old is a REMOVE, only in new an ADD, in both but different a MODIFY.
 * Peers are sorted by name for people, but their identity is the public
 * key (a live plan has no names), so they are merged through arrays of
 * pointers sorted by key.  Firewall rules are an ordered list per chain:
 * a chain differs as a whole.
 */
#include "diff/internal.h"

#include <stdlib.h>
#include <string.h>

struct diff_ctx {
	struct arena *a;
	/* never NULL: an absent side is an empty plan */
	const struct plan *old, *new;
	struct changeset *out;
	/* the set whose elements are being merged */
	enum fw_set_id set_id;
	uint8_t set_family;
};

/* One pairing step of a merge: old or new is NULL when only one side has
 * the item. */
typedef void (*pair_fn)(struct diff_ctx *c, const void *old,
			const void *new);
typedef int (*cmp_fn)(const void *a, const void *b);

static int cmp_str(const char *a, const char *b)
{
	if (!a || !b)
		return a ? 1 : b ? -1 : 0;
	return strcmp(a, b);
}

/* Names and paths a live plan cannot know count only when both sides
 * have them. */
static bool known_differ(const char *a, const char *b)
{
	return a && b && strcmp(a, b);
}

static void merge_sorted(struct diff_ctx *c, const void *old, size_t n_old,
			 const void *new, size_t n_new, size_t size,
			 cmp_fn cmp, pair_fn pair)
{
	const char *o = old, *n = new;
	size_t i = 0, j = 0;

	while (i < n_old || j < n_new) {
		int d;

		if (i == n_old)
			d = 1;
		else if (j == n_new)
			d = -1;
		else
			d = cmp(o + i * size, n + j * size);
		if (d < 0) {
			pair(c, o + i++ * size, NULL);
		} else if (d > 0) {
			pair(c, NULL, n + j++ * size);
		} else {
			pair(c, o + i * size, n + j * size);
			i++;
			j++;
		}
	}
}

/* old/new: the item on each side, NULL where it is absent. */
static struct change *push_change(struct diff_ctx *c, enum change_layer l,
				  const void *old, const void *new,
				  unsigned what)
{
	struct changeset *cs = c->out;
	struct change *ch = arena_push(c->a, &cs->items, &cs->count, &cs->cap,
				       sizeof(*ch));

	ch->layer = l;
	ch->op = old && new ? CHANGE_MODIFY : old ? CHANGE_REMOVE : CHANGE_ADD;
	ch->what = what;
	ch->set_id = FW_SET_NONE;
	return ch;
}

/* ---- interface ---------------------------------------------------- */

/* The order is the resolvers' order: it counts. */
static bool dns_equal(const struct plan_interface *o,
		      const struct plan_interface *n)
{
	if (o->n_dns != n->n_dns)
		return false;
	for (size_t i = 0; i < o->n_dns; i++)
		if (cmp_str(o->dns[i].entry, n->dns[i].entry))
			return false;
	return true;
}

static unsigned iface_what(const struct plan_interface *o,
			   const struct plan_interface *n)
{
	unsigned w = 0;

	if (cmp_str(o->name, n->name))
		w |= CHG_IFACE_NAME;
	if (strcmp(o->public_key, n->public_key))
		w |= CHG_IFACE_PRIVATE_KEY;
	if (o->listen_port != n->listen_port)
		w |= CHG_IFACE_LISTEN_PORT;
	if (o->fwmark != n->fwmark)
		w |= CHG_IFACE_FWMARK;
	if (known_differ(o->private_key_file, n->private_key_file))
		w |= CHG_IFACE_KEY_FILE;
	if (n->mtu && o->mtu != n->mtu)
		w |= CHG_IFACE_MTU;
	if (o->dns && n->dns && !dns_equal(o, n))
		w |= CHG_IFACE_DNS;
	return w;
}

static void diff_interface(struct diff_ctx *c, const struct plan *old,
			   const struct plan *new)
{
	const struct plan_interface *o = old ? &old->iface : NULL;
	const struct plan_interface *n = new ? &new->iface : NULL;
	unsigned what = 0;
	struct change *ch;

	if (!o && !n)
		return;
	if (o && n) {
		what = iface_what(o, n);
		if (!what)
			return;
	}
	ch = push_change(c, LAYER_INTERFACE, o, n, what);
	ch->old.iface = o;
	ch->new.iface = n;
}

/* ---- addresses ---------------------------------------------------- */

static void pair_address(struct diff_ctx *c, const void *po, const void *pn)
{
	struct change *ch;

	if (po && pn)
		return;
	ch = push_change(c, LAYER_ADDRESSES, po, pn, 0);
	ch->old.addr = po;
	ch->new.addr = pn;
}

/* ---- peers -------------------------------------------------------- */

static bool allowed_ips_equal(const struct plan_peer *o,
			      const struct plan_peer *n)
{
	if (o->n_allowed_ips != n->n_allowed_ips)
		return false;
	for (size_t i = 0; i < o->n_allowed_ips; i++)
		if (ip_prefix_cmp(&o->allowed_ips[i].prefix,
				  &n->allowed_ips[i].prefix))
			return false;
	return true;
}

/* Both lists are sorted by prefix: one merge finds what each side lacks. */
static void diff_allowed_ips(struct arena *a, struct change *ch)
{
	const struct plan_peer *o = ch->old.peer, *n = ch->new.peer;
	size_t i = 0, j = 0, cap_add = 0, cap_rm = 0;

	while (i < o->n_allowed_ips || j < n->n_allowed_ips) {
		const struct plan_allowed_ip **slot;
		int d;

		if (i == o->n_allowed_ips)
			d = 1;
		else if (j == n->n_allowed_ips)
			d = -1;
		else
			d = ip_prefix_cmp(&o->allowed_ips[i].prefix,
					  &n->allowed_ips[j].prefix);
		if (d < 0) {
			slot = arena_push(a, &ch->ips_removed,
					  &ch->n_ips_removed, &cap_rm,
					  sizeof(*slot));
			*slot = &o->allowed_ips[i++];
		} else if (d > 0) {
			slot = arena_push(a, &ch->ips_added, &ch->n_ips_added,
					  &cap_add, sizeof(*slot));
			*slot = &n->allowed_ips[j++];
		} else {
			i++;
			j++;
		}
	}
}

static unsigned peer_what(const struct plan_peer *o,
			  const struct plan_peer *n)
{
	unsigned w = 0;

	if (known_differ(o->name, n->name))
		w |= CHG_PEER_NAME;
	if (cmp_str(o->endpoint, n->endpoint))
		w |= CHG_PEER_ENDPOINT;
	if (o->keepalive != n->keepalive)
		w |= CHG_PEER_KEEPALIVE;
	/* The source stands for the key (a live plan maps the device's key
	 * onto the wanted file when they agree, see live.c). */
	if (cmp_str(o->preshared_key_file, n->preshared_key_file))
		w |= CHG_PEER_PSK;
	if (!allowed_ips_equal(o, n))
		w |= CHG_PEER_ALLOWED_IPS;
	return w;
}

static void pair_peer(struct diff_ctx *c, const void *po, const void *pn)
{
	const struct plan_peer *o = po ? *(const struct plan_peer *const *)po
				       : NULL;
	const struct plan_peer *n = pn ? *(const struct plan_peer *const *)pn
				       : NULL;
	unsigned what = 0;
	struct change *ch;

	if (o && n) {
		what = peer_what(o, n);
		if (!what)
			return;
	}
	ch = push_change(c, LAYER_PEERS, o, n, what);
	ch->old.peer = o;
	ch->new.peer = n;
	if (what & CHG_PEER_ALLOWED_IPS)
		diff_allowed_ips(c->a, ch);
}

static int cmp_peer_ptr_key(const void *pa, const void *pb)
{
	const struct plan_peer *const *a = pa, *const *b = pb;

	return strcmp((*a)->public_key, (*b)->public_key);
}

/* Pointers to the peers in key order; a live plan (no names) already is. */
static const struct plan_peer **peers_by_key(struct arena *a,
					     const struct plan_peer *peers,
					     size_t n)
{
	const struct plan_peer **v = arena_calloc(a, n ? n : 1, sizeof(*v));
	bool sorted = true;

	for (size_t i = 0; i < n; i++) {
		v[i] = &peers[i];
		if (i && strcmp(v[i - 1]->public_key, v[i]->public_key) > 0)
			sorted = false;
	}
	if (!sorted)
		qsort(v, n, sizeof(*v), cmp_peer_ptr_key);
	return v;
}

static const struct plan_peer *change_peer(const struct change *ch)
{
	return ch->new.peer ? ch->new.peer : ch->old.peer;
}

static const char *peer_sort_name(const struct change *ch)
{
	const struct plan_peer *p = change_peer(ch);

	if (p->name)
		return p->name;
	if (ch->old.peer && ch->old.peer->name)
		return ch->old.peer->name;
	return p->public_key;
}

/* People read peers by name; a rotated key shows its REMOVE first. */
static int cmp_peer_change(const void *pa, const void *pb)
{
	static const int rank[] = {
		[CHANGE_REMOVE] = 0, [CHANGE_ADD] = 1, [CHANGE_MODIFY] = 2,
	};
	const struct change *a = pa, *b = pb;
	int d = strcmp(peer_sort_name(a), peer_sort_name(b));

	if (d)
		return d;
	if (a->op != b->op)
		return rank[a->op] - rank[b->op];
	return strcmp(change_peer(a)->public_key, change_peer(b)->public_key);
}

static void diff_peers(struct diff_ctx *c)
{
	const struct plan_peer **o, **n;
	size_t first = c->out->count;

	o = peers_by_key(c->a, c->old->peers, c->old->n_peers);
	n = peers_by_key(c->a, c->new->peers, c->new->n_peers);
	merge_sorted(c, o, c->old->n_peers, n, c->new->n_peers, sizeof(*o),
		     cmp_peer_ptr_key, pair_peer);
	if (c->out->count - first > 1)
		qsort(c->out->items + first, c->out->count - first,
		      sizeof(*c->out->items), cmp_peer_change);
}

/* ---- routes, rules, sysctls ----------------------------------------- */

static void pair_route(struct diff_ctx *c, const void *po, const void *pn)
{
	const struct plan_route *o = po, *n = pn;
	unsigned what = 0;
	struct change *ch;

	if (o && n) {
		if (!cmp_str(o->dev, n->dev))
			return;
		what = CHG_ROUTE_DEV;
	}
	ch = push_change(c, LAYER_ROUTES, o, n, what);
	ch->old.route = o;
	ch->new.route = n;
}

static void pair_rule(struct diff_ctx *c, const void *po, const void *pn)
{
	const struct plan_rule *o = po, *n = pn;
	unsigned what = 0;
	struct change *ch;

	if (o && n) {
		if (o->table != n->table)
			what |= CHG_RULE_TABLE;
		if (o->fwmark != n->fwmark || o->invert != n->invert)
			what |= CHG_RULE_FWMARK;
		if (o->suppress_prefixlen != n->suppress_prefixlen)
			what |= CHG_RULE_SUPPRESS;
		if (!what)
			return;
	}
	ch = push_change(c, LAYER_RULES, o, n, what);
	ch->old.rule = o;
	ch->new.rule = n;
}

static void pair_sysctl(struct diff_ctx *c, const void *po, const void *pn)
{
	const struct plan_sysctl *o = po, *n = pn;
	unsigned what = 0;
	struct change *ch;

	if (o && n) {
		if (!cmp_str(o->value, n->value))
			return;
		what = CHG_SYSCTL_VALUE;
	}
	ch = push_change(c, LAYER_SYSCTLS, o, n, what);
	ch->old.sysctl = o;
	ch->new.sysctl = n;
}

/* ---- firewall ----------------------------------------------------- */

static void pair_elem(struct diff_ctx *c, const void *po, const void *pn)
{
	struct change *ch;

	if (po && pn)
		return;
	ch = push_change(c, LAYER_FIREWALL_SETS, po, pn, 0);
	ch->old.elem = po;
	ch->new.elem = pn;
	ch->set_id = c->set_id;
	ch->set_family = c->set_family;
}

static void diff_sets(struct diff_ctx *c)
{
	for (int id = 0; id < FW_SET_COUNT; id++) {
		for (int f = 0; f < fw_set_slots(id); f++) {
			const struct fw_set *o = &c->old->fw.sets[id][f];
			const struct fw_set *n = &c->new->fw.sets[id][f];

			c->set_id = id;
			c->set_family = fw_set_family(id, f);
			merge_sorted(c, o->elems, o->n_elems, n->elems,
				     n->n_elems, sizeof(*o->elems), fw_elem_cmp,
				     pair_elem);
		}
	}
}

/* A rule's interface match means an interface name, so a renamed mesh
 * interface or another uplink changes the rules that mention it. */
static bool fw_iface_same(enum fw_iface a, const struct plan_firewall *fa,
			  enum fw_iface b, const struct plan_firewall *fb)
{
	struct fw_iface_ref ra = fw_iface_resolve(a, fa);
	struct fw_iface_ref rb = fw_iface_resolve(b, fb);

	return ra.negate == rb.negate && !cmp_str(ra.name, rb.name);
}

bool fw_rule_same(const struct fw_rule *a, const struct plan_firewall *fa,
		  const struct fw_rule *b, const struct plan_firewall *fb)
{
	return a->family == b->family &&
	       fw_iface_same(a->iif, fa, b->iif, fb) &&
	       fw_iface_same(a->oif, fa, b->oif, fb) &&
	       a->ct_established == b->ct_established &&
	       a->tcp_pickup == b->tcp_pickup &&
	       a->icmp_echo == b->icmp_echo &&
	       a->saddr_set == b->saddr_set && a->daddr_set == b->daddr_set &&
	       a->verdict == b->verdict &&
	       (a->verdict != FW_JUMP || a->target == b->target) &&
	       !cmp_str(a->id, b->id);
}

/* plan.h keeps a chain's rules together, in evaluation order. */
static const struct fw_rule *chain_rules(const struct plan_firewall *fw,
					 enum fw_chain chain, size_t *n)
{
	size_t i = 0, first;

	while (i < fw->n_rules && fw->rules[i].chain != chain)
		i++;
	first = i;
	while (i < fw->n_rules && fw->rules[i].chain == chain)
		i++;
	*n = i - first;
	return *n ? &fw->rules[first] : NULL;
}

static void diff_chain(struct diff_ctx *c, enum fw_chain chain)
{
	const struct plan_firewall *fo = &c->old->fw, *fn = &c->new->fw;
	const struct fw_rule *o, *n;
	size_t n_o, n_n;
	struct change *ch;

	o = chain_rules(fo, chain, &n_o);
	n = chain_rules(fn, chain, &n_n);
	if (n_o && n_n && n_o == n_n) {
		size_t i = 0;

		while (i < n_o && fw_rule_same(&o[i], fo, &n[i], fn))
			i++;
		if (i == n_o)
			return;
	}
	if (!n_o && !n_n)
		return;
	ch = push_change(c, LAYER_FIREWALL_RULES, o, n,
			 n_o && n_n ? CHG_CHAIN_RULES : 0);
	ch->chain = chain;
	ch->old.fw_rules = o;
	ch->new.fw_rules = n;
	ch->n_old_rules = n_o;
	ch->n_new_rules = n_n;
}

/* ---- the change set ----------------------------------------------- */

void diff_plans(struct arena *a, const struct plan *old,
		const struct plan *new, struct changeset *out)
{
	static const struct plan none;
	struct diff_ctx c = {
		.a = a,
		.old = old ? old : &none,
		.new = new ? new : &none,
		.out = out,
	};
	size_t first = out->count;

	diff_interface(&c, old, new);
	merge_sorted(&c, c.old->iface.addresses, c.old->iface.n_addresses,
		     c.new->iface.addresses, c.new->iface.n_addresses,
		     sizeof(struct plan_address), plan_address_cmp, pair_address);
	diff_peers(&c);
	merge_sorted(&c, c.old->routes, c.old->n_routes, c.new->routes,
		     c.new->n_routes, sizeof(struct plan_route), plan_route_cmp,
		     pair_route);
	merge_sorted(&c, c.old->rules, c.old->n_rules, c.new->rules,
		     c.new->n_rules, sizeof(struct plan_rule), plan_rule_cmp,
		     pair_rule);
	merge_sorted(&c, c.old->sysctls, c.old->n_sysctls, c.new->sysctls,
		     c.new->n_sysctls, sizeof(struct plan_sysctl), plan_sysctl_cmp,
		     pair_sysctl);
	diff_sets(&c);
	for (int chain = 0; chain < FW_CHAIN_COUNT; chain++)
		diff_chain(&c, chain);
	for (size_t i = first; i < out->count; i++)
		describe_change(a, &out->items[i]);
}

bool changeset_empty(const struct changeset *cs)
{
	return cs->count == 0;
}

bool change_is_cosmetic(const struct change *ch)
{
	return ch->op == CHANGE_MODIFY && !(ch->what & ~CHG_COSMETIC);
}

bool changeset_affects_system(const struct changeset *cs)
{
	for (size_t i = 0; i < cs->count; i++)
		if (!change_is_cosmetic(&cs->items[i]))
			return true;
	return false;
}

size_t changeset_layer(const struct changeset *cs, enum change_layer layer,
		       size_t *first)
{
	size_t i = 0, n = 0;

	while (i < cs->count && cs->items[i].layer < layer)
		i++;
	*first = i;
	while (i + n < cs->count && cs->items[i + n].layer == layer)
		n++;
	return n;
}

const char *change_layer_name(enum change_layer l)
{
	static const char *const names[LAYER_COUNT] = {
		[LAYER_INTERFACE] = "interface",
		[LAYER_ADDRESSES] = "addresses",
		[LAYER_PEERS] = "peers",
		[LAYER_ROUTES] = "routes",
		[LAYER_RULES] = "rules",
		[LAYER_SYSCTLS] = "sysctls",
		[LAYER_FIREWALL_SETS] = "firewall_sets",
		[LAYER_FIREWALL_RULES] = "firewall_rules",
	};

	return (unsigned)l < LAYER_COUNT ? names[l] : "?";
}

const char *change_layer_title(enum change_layer l)
{
	static const char *const titles[LAYER_COUNT] = {
		[LAYER_INTERFACE] = "interface",
		[LAYER_ADDRESSES] = "addresses",
		[LAYER_PEERS] = "peers",
		[LAYER_ROUTES] = "routes",
		[LAYER_RULES] = "policy rules",
		[LAYER_SYSCTLS] = "sysctls",
		[LAYER_FIREWALL_SETS] = "firewall sets",
		[LAYER_FIREWALL_RULES] = "firewall rules",
	};

	return (unsigned)l < LAYER_COUNT ? titles[l] : "?";
}

const char *change_op_name(enum change_op op)
{
	switch (op) {
	case CHANGE_ADD:
		return "add";
	case CHANGE_REMOVE:
		return "remove";
	case CHANGE_MODIFY:
		return "modify";
	}
	return "?";
}
