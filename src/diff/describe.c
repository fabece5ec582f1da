/* describe.c - a change in words: its subject and detail strings.
 *
 * The strings are what both renderers print, so text and JSON say the same
 * thing.  Public keys are shortened for eyes (names identify peers); the
 * interface's private key is never in a plan, so a key change is told by
 * the public keys only.
 */
#include "diff/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* "  " between the parts of a detail. */
static void part(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void part(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	if (sb->len)
		strbuf_puts(sb, "  ");
	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

/* " " between the words of a firewall rule. */
static void word(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void word(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	if (sb->len)
		strbuf_putc(sb, ' ');
	va_start(ap, fmt);
	strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

const char *key_abbrev(const char *key, char buf[KEY_ABBREV_LEN])
{
	if (!key || !*key)
		return "(none)";
	snprintf(buf, KEY_ABBREV_LEN, "%.8s...", key);
	return buf;
}

struct fw_iface_ref fw_iface_resolve(enum fw_iface f,
				     const struct plan_firewall *fw)
{
	if (!fw)
		return (struct fw_iface_ref){ f == FW_IF_NOT_MESH, NULL };
	switch (f) {
	case FW_IF_ANY:
		break;
	case FW_IF_MESH:
		return (struct fw_iface_ref){ false, fw->iface };
	case FW_IF_NOT_MESH:
		return (struct fw_iface_ref){ true, fw->iface };
	case FW_IF_UPLINK:
		/* the names are the set's elements, not the rule's */
		return (struct fw_iface_ref){ false, "@uplinks" };
	}
	return (struct fw_iface_ref){ false, NULL };
}

static void put_iface(struct strbuf *sb, const char *what, enum fw_iface f,
		      const struct plan_firewall *fw)
{
	struct fw_iface_ref r = fw_iface_resolve(f, fw);

	if (f != FW_IF_ANY)
		word(sb, "%s %s%s", what, r.negate ? "!" : "",
		     r.name ? r.name : "?");
}

/* "@routing4"; "@routing" for a rule that matches both families. */
static void put_set(struct strbuf *sb, const char *what, int set_id,
		    uint8_t family)
{
	const char *name;

	if (set_id == FW_SET_NONE)
		return;
	name = fw_set_name(set_id, family ? family : IP_V4);
	if (family)
		word(sb, "%s @%s", what, name);
	else
		word(sb, "%s @%.*s", what, (int)strlen(name) - 1, name);
}

void fw_rule_str(struct strbuf *sb, const struct fw_rule *r,
		 const struct plan_firewall *fw)
{
	struct strbuf w = STRBUF_INIT;

	if (r->family)
		word(&w, "%s", r->family == IP_V6 ? "ipv6" : "ipv4");
	put_iface(&w, "iif", r->iif, fw);
	put_iface(&w, "oif", r->oif, fw);
	if (r->ct_established)
		word(&w, "ct established,related");
	if (r->tcp_pickup)
		word(&w, "ct new");
	put_set(&w, "saddr", r->saddr_set, r->family);
	put_set(&w, "daddr", r->daddr_set, r->family);
	if (r->icmp_echo)
		word(&w, "icmp echo");
	if (r->tcp_pickup)
		word(&w, "tcp not syn");
	word(&w, "%s", fw_verdict_name(r->verdict));
	if (r->verdict == FW_JUMP)
		strbuf_printf(&w, " %s", fw_chain_name(r->target));
	if (r->id)
		part(&w, "[%s]", r->id);
	strbuf_add(sb, w.buf, w.len);
	strbuf_free(&w);
}

static void put_list_prefix(struct strbuf *sb, const char *sign,
			    const struct plan_allowed_ip *const *ips, size_t n,
			    bool *first)
{
	char buf[IP_STRLEN];

	for (size_t i = 0; i < n; i++) {
		strbuf_printf(sb, "%s%s%s", *first ? "" : ", ", sign,
			      ip_prefix_str(&ips[i]->prefix, buf));
		*first = false;
	}
}

static const char *table_str(uint32_t table, char buf[16])
{
	if (table == MESHC_MAIN_TABLE)
		return "main";
	snprintf(buf, 16, "%u", table);
	return buf;
}

/* ---- per layer ---------------------------------------------------- */

/* " 10.0.0.53, corp.example", or " none". */
static void dns_list(struct strbuf *d, const struct plan_interface *i)
{
	for (size_t k = 0; k < i->n_dns; k++)
		strbuf_printf(d, "%s%s", k ? ", " : " ", i->dns[k].entry);
	if (!i->n_dns)
		strbuf_puts(d, " none");
}

static void iface_summary(struct strbuf *d, const struct plan_interface *i)
{
	char kb[KEY_ABBREV_LEN];

	part(d, "public key %s", key_abbrev(i->public_key, kb));
	part(d, "listen-port %u", i->listen_port);
	if (i->fwmark)
		part(d, "fwmark 0x%x", i->fwmark);
	if (i->private_key_file)
		part(d, "key-file %s", i->private_key_file);
	if (i->mtu)
		part(d, "mtu %u", i->mtu);
	if (i->n_dns) {
		part(d, "dns");
		dns_list(d, i);
	}
}

static void describe_iface(struct arena *a, struct change *ch,
			   struct strbuf *d)
{
	const struct plan_interface *o = ch->old.iface, *n = ch->new.iface;
	const struct plan_interface *i = n ? n : o;
	char ka[KEY_ABBREV_LEN], kb[KEY_ABBREV_LEN];

	ch->subject = arena_printf(a, "interface %s", i->name ? i->name : "?");
	if (ch->op != CHANGE_MODIFY) {
		iface_summary(d, i);
		return;
	}
	if (ch->what & CHG_IFACE_NAME)
		part(d, "renamed from %s", o->name ? o->name : "?");
	if (ch->what & CHG_IFACE_PRIVATE_KEY)
		part(d, "private key changed (public key %s -> %s)",
		     key_abbrev(o->public_key, ka),
		     key_abbrev(n->public_key, kb));
	if (ch->what & CHG_IFACE_LISTEN_PORT)
		part(d, "listen-port %u -> %u", o->listen_port,
		     n->listen_port);
	if (ch->what & CHG_IFACE_FWMARK)
		part(d, "fwmark 0x%x -> 0x%x", o->fwmark, n->fwmark);
	if (ch->what & CHG_IFACE_KEY_FILE)
		part(d, "key-file %s -> %s", o->private_key_file,
		     n->private_key_file);
	if ((ch->what & CHG_IFACE_MTU) && o->mtu)
		part(d, "mtu %u -> %u", o->mtu, n->mtu);
	else if (ch->what & CHG_IFACE_MTU)
		part(d, "mtu unset -> %u", n->mtu);
	if (ch->what & CHG_IFACE_DNS) {
		part(d, "dns");
		dns_list(d, o);
		strbuf_puts(d, " ->");
		dns_list(d, n);
	}
}

static void peer_summary(struct strbuf *d, const struct plan_peer *p)
{
	char kb[KEY_ABBREV_LEN], buf[IP_STRLEN];

	if (p->name)
		part(d, "%s", key_abbrev(p->public_key, kb));
	part(d, "allowed-ips");
	for (size_t i = 0; i < p->n_allowed_ips; i++)
		strbuf_printf(d, "%s%s", i ? ", " : " ",
			      ip_prefix_str(&p->allowed_ips[i].prefix, buf));
	if (!p->n_allowed_ips)
		strbuf_puts(d, " (none)");
	if (p->endpoint)
		part(d, "endpoint %s", p->endpoint);
	if (p->keepalive)
		part(d, "keepalive %u", p->keepalive);
	if (p->preshared_key_file)
		part(d, "preshared-key %s", p->preshared_key_file);
}

static void describe_peer(struct arena *a, struct change *ch,
			  struct strbuf *d)
{
	const struct plan_peer *o = ch->old.peer, *n = ch->new.peer;
	const struct plan_peer *p = n ? n : o;
	char kb[KEY_ABBREV_LEN];
	bool first = true;

	if (p->name)
		ch->subject = p->name;
	else if (o && o->name)
		ch->subject = o->name;
	else
		ch->subject = arena_strdup(a, p->public_key);
	if (ch->op == CHANGE_ADD) {
		peer_summary(d, p);
		return;
	}
	if (ch->op == CHANGE_REMOVE) {
		if (p->name)
			part(d, "%s", key_abbrev(p->public_key, kb));
		return;
	}
	if (ch->what & CHG_PEER_NAME)
		part(d, "renamed from %s", o->name);
	if (ch->what & CHG_PEER_ENDPOINT)
		part(d, "endpoint %s -> %s", o->endpoint ? o->endpoint : "none",
		     n->endpoint ? n->endpoint : "none");
	if (ch->what & CHG_PEER_KEEPALIVE)
		part(d, "keepalive %u -> %u", o->keepalive, n->keepalive);
	if (ch->what & CHG_PEER_PSK)
		part(d, "preshared-key %s -> %s",
		     o->preshared_key_file ? o->preshared_key_file : "none",
		     n->preshared_key_file ? n->preshared_key_file : "none");
	if (ch->what & CHG_PEER_ALLOWED_IPS) {
		part(d, "allowed-ips ");
		put_list_prefix(d, "+", ch->ips_added, ch->n_ips_added,
				&first);
		put_list_prefix(d, "-", ch->ips_removed, ch->n_ips_removed,
				&first);
	}
}

static void describe_route(struct arena *a, struct change *ch,
			   struct strbuf *d)
{
	const struct plan_route *o = ch->old.route, *n = ch->new.route;
	const struct plan_route *r = n ? n : o;
	char buf[IP_STRLEN], tb[16];

	if (r->table == MESHC_MAIN_TABLE)
		ch->subject = arena_strdup(a, ip_prefix_str(&r->dst, buf));
	else
		ch->subject = arena_printf(a, "%s table %s",
					   ip_prefix_str(&r->dst, buf),
					   table_str(r->table, tb));
	if (ch->op == CHANGE_MODIFY) {
		part(d, "dev %s -> %s", o->dev ? o->dev : "?",
		     n->dev ? n->dev : "?");
		return;
	}
	part(d, "dev %s", r->dev ? r->dev : "?");
	if (r->why)
		part(d, "(%s)", r->why);
}

static void rule_summary(struct strbuf *d, const struct plan_rule *r)
{
	char tb[16];

	if (r->fwmark)
		strbuf_printf(d, "%sfwmark 0x%x ", r->invert ? "not " : "",
			      r->fwmark);
	strbuf_printf(d, "lookup %s", table_str(r->table, tb));
	if (r->suppress_prefixlen >= 0)
		strbuf_printf(d, " suppress_prefixlength %d",
			      r->suppress_prefixlen);
}

static void describe_rule(struct arena *a, struct change *ch,
			  struct strbuf *d)
{
	const struct plan_rule *o = ch->old.rule, *n = ch->new.rule;
	const struct plan_rule *r = n ? n : o;

	ch->subject = arena_printf(a, "%s priority %u",
				   r->family == IP_V6 ? "ipv6" : "ipv4",
				   r->priority);
	if (ch->op == CHANGE_MODIFY) {
		rule_summary(d, o);
		strbuf_puts(d, " -> ");
		rule_summary(d, n);
	} else {
		rule_summary(d, r);
	}
}

static void describe_sysctl(struct change *ch, struct strbuf *d)
{
	const struct plan_sysctl *o = ch->old.sysctl, *n = ch->new.sysctl;
	const struct plan_sysctl *s = n ? n : o;

	ch->subject = s->key;
	if (ch->op == CHANGE_MODIFY) {
		strbuf_printf(d, "%s -> %s", o->value ? o->value : "?",
			      n->value ? n->value : "?");
		return;
	}
	strbuf_printf(d, "= %s", s->value ? s->value : "?");
	if (s->why)
		part(d, "(%s)", s->why);
}

/* "routing4 100.64.1.1": a host element reads as its address. */
static void describe_elem(struct arena *a, struct change *ch,
			  struct strbuf *d)
{
	const struct fw_elem *e = ch->new.elem ? ch->new.elem : ch->old.elem;
	char buf[IP_STRLEN];
	const char *text;

	if (e->ifname)
		text = e->ifname;
	else if (e->prefix.len == ip_bits(e->prefix.addr.family))
		text = ip_addr_str(&e->prefix.addr, buf);
	else
		text = ip_prefix_str(&e->prefix, buf);
	ch->subject = arena_printf(a, "%s %s",
				   fw_set_name(ch->set_id, ch->set_family),
				   text);
	/* a pair ("relay4 100.64.0.2 . 100.64.0.3"), a service set's
	 * element ("lan_svc4 100.64.0.2 . 192.168.1.0/25 . tcp/443"): the
	 * destination reads as the source does */
	if (!e->ifname && e->dst.addr.family)
		ch->subject = arena_printf(
			a, "%s . %s", ch->subject,
			e->dst.len == ip_bits(e->dst.addr.family)
				? ip_addr_str(&e->dst.addr, buf)
				: ip_prefix_str(&e->dst, buf));
	if (e->svc.proto) {
		char sv[SVC_STRLEN];

		ch->subject = arena_printf(a, "%s . %s", ch->subject,
					   svc_str(&e->svc, sv));
	}
	if (e->why)
		strbuf_printf(d, "(%s)", e->why);
}

static void describe_chain(struct change *ch, struct strbuf *d)
{
	ch->subject = fw_chain_name(ch->chain);
	if (ch->op == CHANGE_MODIFY) {
		strbuf_printf(d, "%zu -> %zu %s", ch->n_old_rules,
			      ch->n_new_rules,
			      plural(ch->n_new_rules, "rule", "rules"));
	} else {
		size_t n = ch->op == CHANGE_ADD ? ch->n_new_rules
						: ch->n_old_rules;

		strbuf_printf(d, "%zu %s", n, plural(n, "rule", "rules"));
	}
}

void describe_change(struct arena *a, struct change *ch)
{
	struct strbuf d = STRBUF_INIT;
	char buf[IP_STRLEN];

	switch (ch->layer) {
	case LAYER_INTERFACE:
		describe_iface(a, ch, &d);
		break;
	case LAYER_ADDRESSES:
		ch->subject = arena_strdup(
			a, ip_prefix_str(ch->new.addr ? &ch->new.addr->addr
						      : &ch->old.addr->addr,
					 buf));
		break;
	case LAYER_PEERS:
		describe_peer(a, ch, &d);
		break;
	case LAYER_ROUTES:
		describe_route(a, ch, &d);
		break;
	case LAYER_RULES:
		describe_rule(a, ch, &d);
		break;
	case LAYER_SYSCTLS:
		describe_sysctl(ch, &d);
		break;
	case LAYER_FIREWALL_SETS:
		describe_elem(a, ch, &d);
		break;
	case LAYER_FIREWALL_RULES:
	case LAYER_COUNT:
		describe_chain(ch, &d);
		break;
	}
	ch->detail = d.len ? arena_strndup(a, d.buf, d.len) : NULL;
	strbuf_free(&d);
}
