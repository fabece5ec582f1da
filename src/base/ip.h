/* ip.h - IPv4/IPv6 addresses and prefixes as plain values.
 *
 * Addresses are stored in network byte order in a 16-byte array (IPv4 uses
 * the first 4 bytes), so comparison and containment are byte operations and
 * the same code serves both families.
 */
#ifndef MESHC_BASE_IP_H
#define MESHC_BASE_IP_H

#include <stdbool.h>
#include <stdint.h>

enum { IP_V4 = 4, IP_V6 = 6 };

struct ip_addr {
	uint8_t family;		/* IP_V4 or IP_V6; 0 = unset */
	uint8_t b[16];
};

struct ip_prefix {
	struct ip_addr addr;
	uint8_t len;
};

/* Longest text form of an address or prefix, NUL included. */
#define IP_STRLEN 64

static inline unsigned ip_bits(uint8_t family) { return family == IP_V4 ? 32 : 128; }

/* Strict parsers: no leading zeros in IPv4 octets, no zone ids, no
 * v4-in-v6 surprises hidden.  Return 0 or -1 with *why set. */
int ip_addr_parse(const char *s, struct ip_addr *out, const char **why);
/* "addr/len".  host bits set is an error (why = "host bits set", and
 * *out holds the address and length as written), a missing "/len" is an
 * error. */
int ip_prefix_parse(const char *s, struct ip_prefix *out, const char **why);
/* The network p lies in: p with its host bits cleared. */
struct ip_prefix ip_prefix_network(const struct ip_prefix *p);

bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b);
int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b);
int ip_prefix_cmp(const struct ip_prefix *a, const struct ip_prefix *b);
bool ip_prefix_contains(const struct ip_prefix *p, const struct ip_addr *a);
/* Does p contain every address of q? */
bool ip_prefix_covers(const struct ip_prefix *p, const struct ip_prefix *q);
bool ip_prefix_overlap(const struct ip_prefix *a, const struct ip_prefix *b);
/* The host route for an address: /32 or /128. */
struct ip_prefix ip_host_prefix(const struct ip_addr *a);
/* Is the address the IPv4-mapped IPv6 form ::ffff:a.b.c.d ? */
bool ip_addr_is_v4_mapped(const struct ip_addr *a);

const char *ip_addr_str(const struct ip_addr *a, char buf[IP_STRLEN]);
const char *ip_prefix_str(const struct ip_prefix *p, char buf[IP_STRLEN]);

#endif
