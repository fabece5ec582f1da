/* routes.c - addresses, routes and policy rules as `ip -batch` lines.
 *
 * Every route carries meshc's protocol number, so it can be found and
 * removed again without touching anyone else's.  `ip rule` takes its
 * family from the command line only (iproute2 6.1 ignores the family of
 * a `from ::/0` prefix and adds an IPv4 rule), and a batch line cannot
 * carry -6: the IPv6 rules therefore follow as "#ip6 " lines for
 * `ip -6 -batch`, which keeps this file loadable by `ip -batch` as is.
 */
#include "render/render.h"

#include "render/util.h"

#define ROUTES_IP6_PREFIX "#ip6 "

static void routes_addresses(struct strbuf *out, const struct plan *p)
{
	char buf[IP_STRLEN];

	for (size_t i = 0; i < p->iface.n_addresses; i++) {
		strbuf_printf(out, "address replace %s dev ",
			      ip_prefix_str(&p->iface.addresses[i].addr, buf));
		render_clean(out, p->iface.name, 64);
		strbuf_putc(out, '\n');
	}
}

static void routes_routes(struct strbuf *out, const struct plan *p)
{
	char buf[IP_STRLEN], tbl[16];

	for (size_t i = 0; i < p->n_routes; i++) {
		const struct plan_route *r = &p->routes[i];

		strbuf_printf(out, "route replace %s dev ",
			      ip_prefix_str(&r->dst, buf));
		render_clean(out, render_route_dev(p, r), 64);
		strbuf_printf(out, " proto %d table %s", MESHC_ROUTE_PROTO,
			      render_table_name(r->table, tbl));
		if (r->why) {
			strbuf_puts(out, "\t# ");
			render_clean(out, r->why, 200);
		}
		strbuf_putc(out, '\n');
	}
}

static void routes_rules(struct strbuf *out, const struct plan *p,
			 uint8_t family)
{
	bool any = false;

	for (size_t i = 0; i < p->n_rules; i++) {
		const struct plan_rule *r = &p->rules[i];

		if ((r->family == IP_V6) != (family == IP_V6))
			continue;
		if (family == IP_V6 && !any)
			strbuf_puts(out, "# IPv6 policy rules: ip -batch cannot "
					 "select the family per line; run\n"
					 "#   sed -n 's/^" ROUTES_IP6_PREFIX
					 "//p' FILE | ip -6 -batch -\n");
		any = true;
		if (family == IP_V6)
			strbuf_puts(out, ROUTES_IP6_PREFIX);
		strbuf_puts(out, "rule add ");
		render_ip_rule(out, r);
		strbuf_putc(out, '\n');
	}
}

void render_routes(struct strbuf *out, const struct plan *p)
{
	render_header(out, p, "addresses, routes and rules");
	strbuf_puts(out, "# load with: ip -batch FILE\n");
	routes_addresses(out, p);
	routes_routes(out, p);
	routes_rules(out, p, IP_V4);
	routes_rules(out, p, IP_V6);
}
