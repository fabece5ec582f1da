/* special.c - the private set (spec rule 3) from the IANA special-purpose
 * address registries.
 *
 * A routing peer reaches the internet through this node and nothing
 * else, so every destination that is not globally reachable is private:
 * the blocks whose "Globally Reachable" is False in
 *   - the IANA IPv4 Special-Purpose Address Registry, as last updated
 *     2020-09-04 (the 6a44 row, RFC 6751; no row changed since in the
 *     copies checked), and
 *   - the IANA IPv6 Special-Purpose Address Space, as last updated
 *     2025-10-09 (with 3fff::/20 of RFC 9637, 5f00::/16 of RFC 9602 and
 *     100:0:0:1::/64 of RFC 9780),
 * plus multicast and the deprecated site-local and IPv4-compatible
 * blocks, which those registries do not list.
 *
 * Choices, each failing closed or kept to what the registry says:
 *   - a block the registry marks globally reachable inside a False one
 *     is cut out of it (2001::/23 keeps AMT, AS112, ORCHIDv2, DETs), but
 *     the single anycast addresses 192.0.0.9-10 and 2001:1::1-3 (PCP,
 *     TURN, DNS-SD SRP) stay private: a whole block is one set element,
 *     while cutting one /128 out of a /23 takes ~100;
 *   - N/A rows are not private: Teredo (2001::/32) and 6to4 (2002::/16)
 *     carry internet hosts;
 *   - but NAT64 (64:ff9b::/96, RFC 6052) and 6to4 addresses embed an
 *     IPv4 address, and a translator or 6to4 relay on this node would
 *     deliver them to it: the embedded form of every private IPv4 block
 *     is private too, while a public address behind NAT64 stays internet.
 *     (Teredo hides its client address in the low bits, which no prefix
 *     can match: a node that runs a Teredo relay is not covered.)
 */
#include "compile/internal.h"

struct special_range {
	const char *prefix;
	const char *why;	/* the registry's name and the RFC behind it */
};

static const struct special_range not_global[] = {
	{ "0.0.0.0/8", "this network (RFC 791)" },
	{ "10.0.0.0/8", "private-use (RFC 1918)" },
	{ "100.64.0.0/10", "shared address space (RFC 6598)" },
	{ "127.0.0.0/8", "loopback (RFC 1122)" },
	{ "169.254.0.0/16", "link-local (RFC 3927)" },
	{ "172.16.0.0/12", "private-use (RFC 1918)" },
	{ "192.0.0.0/24", "IETF protocol assignments (RFC 6890)" },
	{ "192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)" },
	{ "192.88.99.2/32", "6a44 relay anycast (RFC 6751)" },
	{ "192.168.0.0/16", "private-use (RFC 1918)" },
	{ "198.18.0.0/15", "benchmarking (RFC 2544)" },
	{ "198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)" },
	{ "203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)" },
	{ "224.0.0.0/4", "multicast (RFC 5771)" },
	{ "240.0.0.0/4", "reserved and limited broadcast (RFC 1112)" },
	{ "::/96", "unspecified, loopback, IPv4-compatible (RFC 4291)" },
	{ "::ffff:0:0/96", "IPv4-mapped (RFC 4291)" },
	{ "64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)" },
	{ "100::/64", "discard-only (RFC 6666)" },
	{ "100:0:0:1::/64", "dummy prefix (RFC 9780)" },
	{ "2001::/23", "IETF protocol assignments (RFC 2928)" },
	{ "2001:db8::/32", "documentation (RFC 3849)" },
	{ "3fff::/20", "documentation (RFC 9637)" },
	{ "5f00::/16", "SRv6 SIDs (RFC 9602)" },
	{ "fc00::/7", "unique local (RFC 4193)" },
	{ "fe80::/10", "link-local (RFC 4291)" },
	{ "fec0::/10", "site-local, deprecated (RFC 3879)" },
	{ "ff00::/8", "multicast (RFC 4291)" },
};

/* Inside a block above, yet the internet (see the choices above). */
static const char *const global_inside[] = {
	"2001::/32",		/* Teredo (RFC 4380): N/A */
	"2001:3::/32",		/* AMT (RFC 7450) */
	"2001:4:112::/48",	/* AS112-v6 (RFC 7535) */
	"2001:20::/28",		/* ORCHIDv2 (RFC 7343) */
	"2001:30::/28",		/* drone remote ID DETs (RFC 9374) */
};

/* The IPv6 prefixes that embed an IPv4 address at a bit offset. */
static const struct {
	const char *prefix;
	unsigned bit;
	const char *via;
} embedders[] = {
	{ "64:ff9b::/96", 96, "NAT64" },
	{ "2002::/16", 16, "6to4" },
};

static struct ip_prefix parse(const char *s)
{
	struct ip_prefix p = { 0 };
	const char *why;

	/* The tables are constants; a typo would drop its row, so
	 * test_compile probes an address of every row. */
	if (ip_prefix_parse(s, &p, &why))
		p.addr.family = 0;
	return p;
}

static void set_bit(uint8_t *b, unsigned bit)
{
	b[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
}

/* The IPv4 block v4 as it appears inside an embedding IPv6 prefix. */
static struct ip_prefix embed(const struct ip_prefix *pre, unsigned bit,
			      const struct ip_prefix *v4)
{
	struct ip_prefix p = *pre;

	for (unsigned i = 0; i < v4->len; i++)
		if (v4->addr.b[i / 8] & (0x80u >> (i % 8)))
			set_bit(p.addr.b, bit + i);
	p.len = (uint8_t)(bit + v4->len);
	return p;
}

static void add_private(struct compile_ctx *c, const struct ip_prefix *p,
			const char *why)
{
	compile_fw_elem(c, FW_SET_PRIVATE, p, why, (struct loc){ 0 });
	if (p->addr.family != IP_V4)
		return;
	for (size_t i = 0; i < sizeof(embedders) / sizeof(*embedders); i++) {
		struct ip_prefix pre = parse(embedders[i].prefix);
		struct ip_prefix e = embed(&pre, embedders[i].bit, p);

		compile_fw_elem(c, FW_SET_PRIVATE, &e,
				arena_printf(c->arena, "%s via %s", why,
					     embedders[i].via),
				(struct loc){ 0 });
	}
}

/* p without the globally reachable blocks inside it, as the fewest
 * prefixes: halve p until each half holds none or lies inside one. */
static void add_block(struct compile_ctx *c, const struct ip_prefix *p,
		      const char *why)
{
	bool cut = false;
	struct ip_prefix lo, hi;

	for (size_t i = 0; i < sizeof(global_inside) / sizeof(*global_inside);
	     i++) {
		struct ip_prefix g = parse(global_inside[i]);

		if (ip_prefix_covers(&g, p))
			return;
		cut |= ip_prefix_covers(p, &g);
	}
	if (!cut) {
		add_private(c, p, why);
		return;
	}
	lo = *p;
	lo.len++;
	hi = lo;
	set_bit(hi.addr.b, p->len);
	add_block(c, &lo, why);
	add_block(c, &hi, why);
}

void compile_private_set(struct compile_ctx *c)
{
	for (size_t i = 0; i < sizeof(not_global) / sizeof(*not_global); i++) {
		struct ip_prefix p = parse(not_global[i].prefix);

		if (p.addr.family)
			add_block(c, &p, not_global[i].why);
	}
}
