/* service.c - parse, print and compare services (base/service.h). */
#include "base/service.h"

#include <stdio.h>
#include <string.h>

const char *svc_proto_name(uint8_t proto)
{
	switch (proto) {
	case SVC_ANY:
		return "any";
	case SVC_ICMP:
		return "icmp";
	case SVC_TCP:
		return "tcp";
	case SVC_UDP:
		return "udp";
	}
	return "?";
}

/* A port: decimal digits, no sign, no leading zero; -1 when not one,
 * 65536 saturates (out of range). */
static long parse_port(const char *s, size_t len)
{
	long n = 0;

	if (!len || (len > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		n = n * 10 + (s[i] - '0');
		if (n > 65535)
			n = 65536;
	}
	return n;
}

static int proto_of(const char *s, size_t len, uint8_t *out)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} names[] = { { "tcp", SVC_TCP }, { "udp", SVC_UDP },
		      { "icmp", SVC_ICMP } };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i].name) == len &&
		    !strncmp(names[i].name, s, len)) {
			*out = names[i].proto;
			return 0;
		}
	return -1;
}

int svc_parse(const char *s, struct fw_service *out, const char **why,
	      const char **hint, char *buf, size_t size)
{
	const char *slash = strchr(s, '/'), *sep = strpbrk(s, ":. ");
	size_t plen = slash ? (size_t)(slash - s) : strlen(s);
	const char *ports = slash ? slash + 1 : NULL;
	const char *dash;
	long lo, hi;

	*hint = NULL;
	if (!slash && sep && proto_of(s, (size_t)(sep - s), &out->proto) == 0) {
		*why = "a service is written PROTOCOL/PORT";
		snprintf(buf, size, "%.*s/%s", (int)(sep - s), s, sep + 1);
		*hint = buf;
		return -1;
	}
	if (proto_of(s, plen, &out->proto)) {
		*why = "a service is tcp/PORT, udp/PORT, tcp/PORT-PORT, tcp, "
		       "udp or icmp";
		return -1;
	}
	if (!ports) {
		out->port_lo = 0;
		out->port_hi = out->proto == SVC_ICMP ? 0 : 65535;
		return 0;
	}
	if (out->proto == SVC_ICMP) {
		*why = "icmp has no ports (it means ICMP and ICMPv6 echo)";
		*hint = "icmp";
		return -1;
	}
	dash = strchr(ports, '-');
	lo = parse_port(ports, dash ? (size_t)(dash - ports) : strlen(ports));
	hi = dash ? parse_port(dash + 1, strlen(dash + 1)) : lo;
	if (lo < 0 || hi < 0) {
		*why = "a port is a decimal number 1-65535";
		return -1;
	}
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535) {
		*why = "a port is out of range 1-65535";
		return -1;
	}
	if (lo > hi) {
		*why = "a port range runs from the lower port to the higher";
		snprintf(buf, size, "%s/%ld-%ld", svc_proto_name(out->proto),
			 hi, lo);
		*hint = buf;
		return -1;
	}
	out->port_lo = (uint16_t)lo;
	out->port_hi = (uint16_t)hi;
	return 0;
}

int svc_parse_single(const char *s, struct fw_service *out, const char **why,
		     const char **hint, char *buf, size_t size)
{
	if (svc_parse(s, out, why, hint, buf, size))
		return -1;
	if (out->proto != SVC_ICMP && out->port_lo != out->port_hi) {
		*why = "a test's port is one service: tcp/N, udp/N or icmp";
		/* a range: its first port; a whole protocol: no guess */
		if (strchr(s, '/')) {
			snprintf(buf, size, "%s/%u",
				 svc_proto_name(out->proto), out->port_lo);
			*hint = buf;
		}
		return -1;
	}
	return 0;
}

const char *svc_str(const struct fw_service *s, char buf[SVC_STRLEN])
{
	const char *name = svc_proto_name(s->proto);

	if (!strcmp(name, "?"))
		snprintf(buf, SVC_STRLEN, "protocol %u", s->proto);
	else if (s->proto == SVC_ANY || s->proto == SVC_ICMP ||
	    (s->port_lo == 0 && s->port_hi == 65535))
		snprintf(buf, SVC_STRLEN, "%s", name);
	else if (s->port_lo == s->port_hi)
		snprintf(buf, SVC_STRLEN, "%s/%u", name, s->port_lo);
	else
		snprintf(buf, SVC_STRLEN, "%s/%u-%u", name, s->port_lo,
			 s->port_hi);
	return buf;
}

bool svc_contains(const struct fw_service *s, const struct fw_service *p)
{
	if (s->proto == SVC_ANY)
		return true;
	if (s->proto != p->proto)
		return false;
	return p->port_lo >= s->port_lo && p->port_hi <= s->port_hi;
}

int svc_cmp(const struct fw_service *a, const struct fw_service *b)
{
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port_lo != b->port_lo)
		return a->port_lo < b->port_lo ? -1 : 1;
	if (a->port_hi != b->port_hi)
		return a->port_hi < b->port_hi ? -1 : 1;
	return 0;
}
