/* service.h - a protocol and a port range: what a limited grant opens.
 *
 * The document writes tcp/22, udp/53, tcp/8000-8100, tcp, udp or icmp.
 * The same value is carried by the model (grant lists, a test's port),
 * the plan's firewall sets (struct fw_elem) and the evaluator's packets,
 * so one parser and one printer serve them all.
 */
#ifndef MESHC_BASE_SERVICE_H
#define MESHC_BASE_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* IANA protocol numbers (netinet/in.h's IPPROTO_*), spelled here so the
 * plan does not depend on a system header. */
#define SVC_ANY 0		/* every protocol and port (a full grant) */
#define SVC_ICMP 1		/* ICMP echo request, and ICMPv6's for IPv6 */
#define SVC_TCP 6
#define SVC_UDP 17
#define SVC_ICMPV6 58		/* only as the kernel sees it: fw_service
				 * says SVC_ICMP for both families */

struct fw_service {
	uint8_t proto;		/* SVC_ANY, SVC_ICMP, SVC_TCP, SVC_UDP */
	/* tcp/udp: the destination port range, 0-65535 for the whole
	 * protocol; 0-0 for icmp; 0-65535 for SVC_ANY */
	uint16_t port_lo, port_hi;
};

/* Longest text form ("tcp/65535-65535"), NUL included. */
#define SVC_STRLEN 24

/* Parse a service as the document writes it.  0, or -1 with *why a
 * message and *hint (may stay NULL) a "did you mean" text, both static or
 * in buf (size SVC_STRLEN * 2). */
int svc_parse(const char *s, struct fw_service *out, const char **why,
	      const char **hint, char *buf, size_t size);
/* A test's port: one port, or icmp.  Same contract as svc_parse. */
int svc_parse_single(const char *s, struct fw_service *out, const char **why,
		     const char **hint, char *buf, size_t size);
/* "tcp/22", "tcp/8000-8100", "tcp", "icmp", "any". */
const char *svc_str(const struct fw_service *s, char buf[SVC_STRLEN]);
/* Does service s (a grant) hold the single service p (a packet's)? */
bool svc_contains(const struct fw_service *s, const struct fw_service *p);
int svc_cmp(const struct fw_service *a, const struct fw_service *b);
/* The protocol's name: "tcp", "udp", "icmp", "any". */
const char *svc_proto_name(uint8_t proto);

#endif
