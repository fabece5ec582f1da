/* services.c - reachability for every protocol and port at once.
 *
 * A test without a port asks about every service.  The firewall's answer
 * can change only where some list of the document starts or ends a port
 * range, or between protocols, so one probe per stretch between those
 * boundaries answers for the whole stretch: tcp and udp at each
 * boundary, icmp, and one protocol no list can name (GRE), which only a
 * full grant lets through.  A document without lists needs one probe.
 */
#include "eval/eval.h"

#include <stdlib.h>
#include <string.h>

#define OTHER_PROTO 47		/* GRE: stands for every unnamed protocol */

struct bounds {
	struct arena *a;
	uint16_t *ports[2];	/* [0] tcp, [1] udp: stretch starts */
	size_t n[2], cap[2];
	bool lists;
};

static void add_port(struct bounds *b, int k, uint32_t port)
{
	uint16_t *slot;

	if (port < 1 || port > 65535)
		return;
	slot = arena_push(b->a, &b->ports[k], &b->n[k], &b->cap[k],
			  sizeof(*slot));
	*slot = (uint16_t)port;
}

static void add_service(struct bounds *b, const struct fw_service *s)
{
	int k = s->proto == SVC_UDP ? 1 : 0;

	b->lists = true;
	if (s->proto != SVC_TCP && s->proto != SVC_UDP)
		return;
	add_port(b, k, s->port_lo);
	add_port(b, k, (uint32_t)s->port_hi + 1);
}

static void add_list(struct bounds *b, const struct m_service_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		add_service(b, &l->items[i].v);
}

static void add_flags(struct bounds *b, const struct m_flags *f)
{
	if (f->incoming.limited)
		add_list(b, &f->incoming.services);
	if (!f->local_network.limited)
		return;
	b->lists = true;
	for (size_t i = 0; i < f->local_network.n_lan; i++)
		add_list(b, &f->local_network.lan[i].ports);
}

static int port_cmp(const void *pa, const void *pb)
{
	uint16_t a = *(const uint16_t *)pa, b = *(const uint16_t *)pb;

	return a < b ? -1 : a > b;
}

static size_t uniq(uint16_t *v, size_t n)
{
	size_t k = 0;

	qsort(v, n, sizeof(*v), port_cmp);
	for (size_t i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	return k;
}

struct probe {
	struct fw_service svc;	/* the probe; svc.port_hi: stretch end */
	bool allow;
};

static size_t make_probes(struct arena *a, const struct model *m,
			  struct probe **out)
{
	struct bounds b = { .a = a };
	struct probe *p;
	size_t n = 0;

	for (size_t i = 0; i < m->n_meshes; i++)
		add_flags(&b, &m->meshes[i].defaults);
	for (size_t i = 0; i < m->n_nodes; i++) {
		const struct m_permissions *pm = &m->nodes[i].permissions;

		add_flags(&b, &pm->def);
		for (size_t j = 0; pm->grants && j < pm->n_grants; j++)
			add_flags(&b, &pm->grants[j].flags);
	}
	for (int k = 0; k < 2; k++) {
		add_port(&b, k, 1);
		b.n[k] = uniq(b.ports[k], b.n[k]);
	}
	p = arena_calloc(a, b.n[0] + b.n[1] + 2, sizeof(*p));
	for (int k = 0; b.lists && k < 2; k++)
		for (size_t i = 0; i < b.n[k]; i++) {
			p[n].svc.proto = k ? SVC_UDP : SVC_TCP;
			p[n].svc.port_lo = b.ports[k][i];
			p[n].svc.port_hi = i + 1 < b.n[k]
						   ? (uint16_t)(b.ports[k][i + 1] - 1)
						   : 65535;
			n++;
		}
	if (b.lists) {
		p[n++].svc = (struct fw_service){ SVC_ICMP, 0, 0 };
		p[n++].svc = (struct fw_service){ OTHER_PROTO, 0, 0 };
	} else {
		/* No list anywhere: nothing depends on the service. */
		p[n++].svc = (struct fw_service){ SVC_TCP, 1, 65535 };
	}
	*out = p;
	return n;
}

/* "tcp/22, tcp/8000-8100, icmp" from the allowed probes. */
static const char *open_text(struct arena *a, const struct probe *p, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	const char *text;
	char buf[SVC_STRLEN];

	for (size_t i = 0; i < n; i++) {
		struct fw_service s = p[i].svc;

		if (!p[i].allow)
			continue;
		/* adjacent allowed stretches of one protocol are one range */
		while (i + 1 < n && p[i + 1].allow &&
		       p[i + 1].svc.proto == s.proto &&
		       (s.proto == SVC_TCP || s.proto == SVC_UDP)) {
			s.port_hi = p[i + 1].svc.port_hi;
			i++;
		}
		/* port 0 is no one's: every probed port is every port */
		if (s.port_lo == 1 && s.port_hi == 65535)
			s.port_lo = 0;
		if (s.proto == OTHER_PROTO)
			strbuf_printf(&sb, "%sother protocols", sb.len ? ", " : "");
		else
			strbuf_printf(&sb, "%s%s", sb.len ? ", " : "",
				      svc_str(&s, buf));
	}
	text = arena_strdup(a, strbuf_str(&sb));
	strbuf_free(&sb);
	return text;
}

int eval_reach(struct arena *a, const struct model *m, size_t from,
	       const struct eval_target *target, eval_get_plan_fn get_plan,
	       void *ctx, struct eval_result *res)
{
	struct probe *p;
	size_t n = make_probes(a, m, &p), n_allow = 0, first_deny = n;
	struct eval_result r;
	char buf[SVC_STRLEN];
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct fw_service one = p[i].svc;

		one.port_hi = one.port_lo;
		rc = eval_reach_service(a, m, from, target, &one, get_plan,
					ctx, i ? &r : res);
		if (rc) {
			if (i)
				*res = r;
			return rc;
		}
		p[i].allow = i ? r.allow : res->allow;
		n_allow += p[i].allow;
		if (!p[i].allow && first_deny == n) {
			first_deny = i;
			if (i)
				*res = r;	/* explain the first drop */
		}
	}
	if (n_allow == 0 || n_allow == n)
		return 0;
	res->allow = false;
	res->partial = true;
	res->open = open_text(a, p, n);
	res->reason = arena_printf(a, "partly open: only %s %s allowed "
				      "(%s: %s)",
				   res->open,
				   strchr(res->open, ',') ? "are" : "is",
				   svc_str(&res->svc, buf),
				   res->reason ? res->reason : "");
	res->summary = arena_printf(a, "partial: %s reaches %s only for %s "
				       "(a test without port fails both "
				       "allow and deny)",
				    m->nodes[from].name.v, res->target,
				    res->open);
	return 0;
}
