#include "base/ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int parse_v4(const char *s, uint8_t out[4], const char **why)
{
	int octet = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		if (i && *s++ != '.')
			goto bad;
		while (*s >= '0' && *s <= '9') {
			if (digits == 1 && v == 0) {
				*why = "leading zero in an IPv4 octet";
				return -1;
			}
			v = v * 10 + (unsigned)(*s++ - '0');
			if (++digits > 3 || v > 255)
				goto bad;
		}
		if (!digits)
			goto bad;
		out[octet++] = (uint8_t)v;
	}
	if (*s)
		goto bad;
	return 0;
bad:
	*why = "not a valid IPv4 address";
	return -1;
}

int ip_addr_parse(const char *s, struct ip_addr *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (strchr(s, ':')) {
		if (strchr(s, '%')) {
			*why = "zone ids are not allowed";
			return -1;
		}
		if (inet_pton(AF_INET6, s, out->b) != 1) {
			*why = "not a valid IPv6 address";
			return -1;
		}
		out->family = IP_V6;
		return 0;
	}
	if (parse_v4(s, out->b, why))
		return -1;
	out->family = IP_V4;
	return 0;
}

static bool host_bits_clear(const struct ip_addr *a, unsigned len)
{
	unsigned bits = ip_bits(a->family);

	for (unsigned i = len; i < bits; i++)
		if (a->b[i / 8] & (0x80u >> (i % 8)))
			return false;
	return true;
}

struct ip_prefix ip_prefix_network(const struct ip_prefix *p)
{
	struct ip_prefix n = *p;
	unsigned bits = ip_bits(p->addr.family);

	for (unsigned i = p->len; i < bits; i++)
		n.addr.b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return n;
}

int ip_prefix_parse(const char *s, struct ip_prefix *out, const char **why)
{
	const char *slash = strchr(s, '/');
	char addr[IP_STRLEN];
	unsigned len = 0, digits = 0;
	const char *p;

	memset(out, 0, sizeof(*out));
	if (!slash) {
		*why = "missing /prefix-length";
		return -1;
	}
	if ((size_t)(slash - s) >= sizeof(addr)) {
		*why = "not a valid address";
		return -1;
	}
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (ip_addr_parse(addr, &out->addr, why))
		return -1;
	for (p = slash + 1; *p >= '0' && *p <= '9'; p++) {
		if (digits == 1 && len == 0)
			break;	/* "/08" */
		len = len * 10 + (unsigned)(*p - '0');
		if (++digits > 3)
			break;
	}
	if (!digits || *p || len > ip_bits(out->addr.family)) {
		*why = out->addr.family == IP_V4
			       ? "prefix length must be 0-32"
			       : "prefix length must be 0-128";
		return -1;
	}
	out->len = (uint8_t)len;
	if (!host_bits_clear(&out->addr, len)) {
		*why = "host bits set";
		return -1;
	}
	return 0;
}

bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	return a->family == b->family && !memcmp(a->b, b->b, sizeof(a->b));
}

int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->b, b->b, sizeof(a->b));
}

int ip_prefix_cmp(const struct ip_prefix *a, const struct ip_prefix *b)
{
	int c = ip_addr_cmp(&a->addr, &b->addr);

	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned full = len / 8, rem = len % 8;

	if (memcmp(a, b, full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rem));

		return (a[full] & mask) == (b[full] & mask);
	}
	return true;
}

bool ip_prefix_contains(const struct ip_prefix *p, const struct ip_addr *a)
{
	return p->addr.family == a->family &&
	       prefix_match(p->addr.b, a->b, p->len);
}

bool ip_prefix_covers(const struct ip_prefix *p, const struct ip_prefix *q)
{
	return p->addr.family == q->addr.family && p->len <= q->len &&
	       prefix_match(p->addr.b, q->addr.b, p->len);
}

bool ip_prefix_overlap(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return ip_prefix_covers(a, b) || ip_prefix_covers(b, a);
}

struct ip_prefix ip_host_prefix(const struct ip_addr *a)
{
	struct ip_prefix p = { *a, (uint8_t)ip_bits(a->family) };

	return p;
}

bool ip_addr_is_v4_mapped(const struct ip_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0,
					    0, 0, 0, 0, 0xff, 0xff };

	return a->family == IP_V6 && !memcmp(a->b, mapped, sizeof(mapped));
}

/* Decimal digits of v at p; returns the end.  No printf: these formatters
 * run once per address of every rendered set (tens of thousands). */
static char *fmt_dec(char *p, unsigned v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* An octet in decimal, without fmt_dec's loop and reversal. */
static char *fmt_octet(char *p, uint8_t v)
{
	if (v >= 100) {
		*p++ = (char)('0' + v / 100);
		v %= 100;
		*p++ = (char)('0' + v / 10);
	} else if (v >= 10) {
		*p++ = (char)('0' + v / 10);
	}
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *fmt_v4(char *p, const uint8_t *b)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = fmt_octet(p, b[i]);
	}
	return p;
}

static char *fmt_hex16(char *p, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 12;

	while (shift > 0 && !(v >> shift & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		*p++ = digits[v >> shift & 0xf];
	return p;
}

/* RFC 5952 text, written the way glibc's inet_ntop writes it (so output
 * does not change with this function): lowercase, no leading zeros, the
 * first longest run of two or more zero groups as "::", and the
 * IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) forms
 * with a dotted quad. */
static char *fmt_v6(char *p, const uint8_t *b)
{
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)b[2 * i] << 8 | b[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return fmt_v4(p, b + 12);
		p = fmt_hex16(p, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

static char *fmt_addr(char *p, const struct ip_addr *a)
{
	if (a->family == IP_V4)
		return fmt_v4(p, a->b);
	if (a->family == IP_V6)
		return fmt_v6(p, a->b);
	memcpy(p, "(none)", 6);
	return p + 6;
}

const char *ip_addr_str(const struct ip_addr *a, char buf[IP_STRLEN])
{
	*fmt_addr(buf, a) = '\0';
	return buf;
}

const char *ip_prefix_str(const struct ip_prefix *p, char buf[IP_STRLEN])
{
	/* an address is at most 45 bytes, "/128" fits behind it */
	char *end = fmt_addr(buf, &p->addr);

	*end++ = '/';
	*fmt_dec(end, p->len) = '\0';
	return buf;
}
