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

const char *ip_addr_str(const struct ip_addr *a, char buf[IP_STRLEN])
{
	if (a->family == IP_V4)
		snprintf(buf, IP_STRLEN, "%u.%u.%u.%u", a->b[0], a->b[1],
			 a->b[2], a->b[3]);
	else if (a->family == IP_V6)
		inet_ntop(AF_INET6, a->b, buf, IP_STRLEN);
	else
		snprintf(buf, IP_STRLEN, "(none)");
	return buf;
}

const char *ip_prefix_str(const struct ip_prefix *p, char buf[IP_STRLEN])
{
	size_t n = strlen(ip_addr_str(&p->addr, buf));

	/* an address is at most 45 bytes, "/128" fits behind it */
	snprintf(buf + n, IP_STRLEN - n, "/%u", p->len);
	return buf;
}
