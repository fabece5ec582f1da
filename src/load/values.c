/* values.c - single values: each read strictly, so a document means one
 * thing, and each refusal says what to write instead. */
#include "load/loader.h"

#include <stdint.h>
#include <string.h>

#include "base/ip.h"
#include "base/secret.h"
#include "base/service.h"
#include "base/strmap.h"

const char *what_str(struct loader *L, struct what w)
{
	if (!w.kind)
		return arena_printf(L->a, "'%s'", w.name);
	if (!w.name)
		return w.kind;
	return arena_printf(L->a, "%s '%s'", w.kind, w.name);
}

static const char *kind_noun(const struct ynode *v)
{
	switch (v->kind) {
	case Y_MAP:
		return "a mapping";
	case Y_SEQ:
		return "a list";
	default:
		return "a string";
	}
}

bool expect_collection(struct loader *L, const struct ynode *v,
		       enum ynode_kind kind, struct what w)
{
	if (v->bad)
		return false;
	if (v->kind == kind)
		return true;
	if (ynode_is_null(v))
		diag_error(L->d, loader_loc(L, v), "missing value for %s",
			   what_str(L, w));
	else
		diag_error(L->d, loader_loc(L, v), "%s must be %s, not %s",
			   what_str(L, w), kind == Y_MAP ? "a mapping" : "a list",
			   kind_noun(v));
	return false;
}

/* v as a non-empty scalar; `expected` completes "X must be ...". */
static bool expect_scalar(struct loader *L, const struct ynode *v,
			  struct what w, const char *expected)
{
	if (v->bad)
		return false;
	if (v->kind != Y_SCALAR) {
		diag_error(L->d, loader_loc(L, v), "%s must be %s, not %s",
			   what_str(L, w), expected, kind_noun(v));
		return false;
	}
	if (ynode_is_null(v) || !v->s.len) {
		diag_error(L->d, loader_loc(L, v), "missing value for %s",
			   what_str(L, w));
		return false;
	}
	return true;
}

bool has_control_char(const struct ynode *v)
{
	for (size_t i = 0; i < v->s.len; i++) {
		unsigned char c = (unsigned char)v->s.text[i];

		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

bool load_string(struct loader *L, const struct ynode *v, struct what w,
		 struct m_str *out)
{
	if (!expect_scalar(L, v, w, "a string"))
		return false;
	/* Names and paths end up in configs, commands and terminals. */
	if (has_control_char(v)) {
		diag_error(L->d, loader_loc(L, v),
			   "%s contains a control character", what_str(L, w));
		return false;
	}
	out->v = v->s.text;
	out->set = true;
	out->loc = loader_loc(L, v);
	return true;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool check_name(struct loader *L, const char *name, struct loc l,
		const char *kind)
{
	size_t len = strlen(name), i;
	struct ip_addr ip;
	const char *why;

	for (i = 0; i < len; i++) {
		if (!is_name_char(name[i])) {
			diag_error(L->d, l,
				   "invalid %s name '%s': use letters, digits, "
				   "'_', '.' and '-'",
				   kind, name);
			return false;
		}
	}
	if (!len || len > MESHC_NAME_MAX) {
		diag_error(L->d, l, "invalid %s name '%s': must be 1-%d bytes",
			   kind, name, MESHC_NAME_MAX);
		return false;
	}
	if (!is_alnum(name[0])) {
		diag_error(L->d, l,
			   "invalid %s name '%s': must start with a letter or "
			   "digit",
			   kind, name);
		return false;
	}
	/* tests' `to` takes a name or an address: they must not collide. */
	if (!ip_addr_parse(name, &ip, &why)) {
		diag_error(L->d, l,
			   "invalid %s name '%s': an IP address cannot be a "
			   "name",
			   kind, name);
		return false;
	}
	if (!strcmp(name, "internet")) {
		diag_error(L->d, l,
			   "invalid %s name 'internet': 'internet' is reserved "
			   "for tests",
			   kind);
		return false;
	}
	return true;
}

/* Plain decimal digits, no sign, no leading zero.  Saturates, so a huge
 * number is reported as out of range, not wrapped. */
static bool all_digits(const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (t[i] < '0' || t[i] > '9')
			return false;
	return len > 0;
}

/* range: "0-65535", said for a negative number (a number, only not one
 * of these); NULL where none applies. */
static bool parse_decimal(struct loader *L, const struct ynode *v,
			  struct what w, const char *range, uint64_t *out)
{
	const char *t = v->s.text;
	uint64_t n = 0;
	size_t i;

	if (!expect_scalar(L, v, w, "a decimal integer"))
		return false;
	if (range && v->plain && t[0] == '-' && all_digits(t + 1, v->s.len - 1)) {
		diag_error(L->d, loader_loc(L, v), "%s %s is out of range %s",
			   w.name, t, range);
		return false;
	}
	if (!all_digits(t, v->s.len)) {
		diag_error(L->d, loader_loc(L, v),
			   "'%s' is not a decimal integer", t);
		return false;
	}
	if (!v->plain) {
		diag_error(L->d, loader_loc(L, v),
			   "\"%s\" is a quoted string; write %s without quotes",
			   t, t);
		return false;
	}
	if (v->s.len > 1 && t[0] == '0') {
		diag_error(L->d, loader_loc(L, v),
			   "'%s' is not a decimal integer (leading zeros are "
			   "not allowed)",
			   t);
		return false;
	}
	for (i = 0; i < v->s.len; i++) {
		n = n * 10 + (uint64_t)(t[i] - '0');
		if (n > UINT32_MAX) {
			n = (uint64_t)UINT32_MAX + 1;
			break;
		}
	}
	*out = n;
	return true;
}

static void load_version(struct loader *L, const struct key_info *k,
			 struct m_uint *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	uint64_t n;

	if (!parse_decimal(L, v, w, NULL, &n))
		return;
	if (n != 1) {
		diag_error(L->d, loader_loc(L, v),
			   "unsupported version %s; this meshc reads version 1",
			   v->s.text);
		return;
	}
	f->v = 1;
	f->set = true;
	f->loc = loader_loc(L, v);
}

static void load_uint(struct loader *L, const struct key_info *k,
		      struct m_uint *f, const struct ynode *v, uint32_t min,
		      uint32_t max)
{
	struct what w = { NULL, k->name };
	char range[32];
	uint64_t n;

	snprintf(range, sizeof(range), "%u-%u", (unsigned)min, (unsigned)max);
	if (!parse_decimal(L, v, w, range, &n))
		return;
	if (n < min || n > max) {
		diag_error(L->d, loader_loc(L, v),
			   "%s %s is out of range %u-%u", k->name, v->s.text,
			   (unsigned)min, (unsigned)max);
		return;
	}
	f->v = (uint32_t)n;
	f->set = true;
	f->loc = loader_loc(L, v);
}

static bool is_yaml11_bool(const char *t)
{
	static const char *const words[] = {
		"y",	 "Y",	  "yes",   "Yes", "YES",   "n",	    "N",
		"no",	 "No",	  "NO",	   "True", "TRUE", "False", "FALSE",
		"on",	 "On",	  "ON",	   "off", "Off",   "OFF",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(t, words[i]))
			return true;
	return false;
}

static void load_bool(struct loader *L, const struct key_info *k,
		      struct m_bool *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	const char *t;

	if (!expect_scalar(L, v, w, "true or false"))
		return;
	t = v->s.text;
	if (v->plain && (!strcmp(t, "true") || !strcmp(t, "false"))) {
		f->v = t[0] == 't';
		f->set = true;
		f->loc = loader_loc(L, v);
		return;
	}
	if (!v->plain && (!strcmp(t, "true") || !strcmp(t, "false")))
		diag_error(L->d, loader_loc(L, v),
			   "\"%s\" is a quoted string; write true or false "
			   "without quotes",
			   t);
	else if (v->plain && is_yaml11_bool(t))
		diag_error(L->d, loader_loc(L, v),
			   "'%s' is not a boolean; write true or false (YAML "
			   "1.1 booleans are not accepted)",
			   t);
	else
		diag_error(L->d, loader_loc(L, v),
			   "'%s' is not a boolean; write true or false", t);
}

static void load_ifname(struct loader *L, const struct key_info *k,
			struct m_str *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	struct m_str s = { 0 };

	if (!load_string(L, v, w, &s))
		return;
	/* The kernel's dev_valid_name(). */
	if (strlen(s.v) > MESHC_IFNAME_MAX) {
		diag_error(L->d, s.loc,
			   "interface name '%s' is longer than %d bytes", s.v,
			   MESHC_IFNAME_MAX);
		return;
	}
	if (strpbrk(s.v, "/: \t")) {
		diag_error(L->d, s.loc,
			   "interface name '%s' must not contain '/', ':' or "
			   "whitespace",
			   s.v);
		return;
	}
	/* The kernel's isspace() counts byte 0xa0 (Latin-1 NBSP), so a name
	 * with U+00A0, or any character encoded with that byte, would pass
	 * here and fail at apply. */
	if (strchr(s.v, '\xa0')) {
		diag_error(L->d, s.loc,
			   "interface name '%s' contains byte 0xa0, which the "
			   "kernel reads as a space",
			   s.v);
		return;
	}
	if (!strcmp(s.v, ".") || !strcmp(s.v, "..")) {
		diag_error(L->d, s.loc, "interface name '%s' is not allowed",
			   s.v);
		return;
	}
	/* meshc's own interface names its state directory (and its UAPI
	 * socket): a leading '.' would make that a hidden file.  An uplink
	 * is the host's interface and only named, never made. */
	if (s.v[0] == '.' && !strcmp(k->name, "interface")) {
		diag_error(L->d, s.loc,
			   "interface name '%s' must not start with '.' "
			   "(meshc names its state directory after it)",
			   s.v);
		return;
	}
	*f = s;
}

static void load_pubkey(struct loader *L, const struct key_info *k,
			struct m_key *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	struct m_str s = { 0 };

	if (!load_string(L, v, w, &s))
		return;
	if (!key_from_base64(s.v, f->v)) {
		char why[160];

		memset(f->v, 0, sizeof(f->v));
		diag_error(L->d, s.loc,
			   "%s is not a base64 WireGuard key: %s", k->name,
			   key_base64_problem(s.v, why, sizeof(why))
				   ? why
				   : "it does not decode to 32 bytes");
		return;
	}
	f->b64 = s.v;
	f->set = true;
	f->loc = s.loc;
}

/* ::ffff:0:0/96 hides IPv4 inside IPv6; rules for one family would not
 * see it. */
static bool prefix_is_v4_mapped(const struct ip_prefix *p)
{
	return p->addr.family == IP_V6 && p->len >= 96 &&
	       ip_addr_is_v4_mapped(&p->addr);
}

/* family 0: either. */
static bool parse_cidr(struct loader *L, const struct ynode *v,
		       struct what w, const char *key, int family,
		       struct m_prefix *out)
{
	struct m_str s = { 0 };
	struct ip_prefix p;
	const char *why = "";

	if (!load_string(L, v, w, &s))
		return false;
	if (ip_prefix_parse(s.v, &p, &why)) {
		char net[IP_STRLEN];

		if (!strcmp(why, "host bits set")) {
			struct ip_prefix n = ip_prefix_network(&p);

			diag_error(L->d, s.loc,
				   "'%s' is not a valid network: host bits "
				   "set; did you mean %s?",
				   s.v, ip_prefix_str(&n, net));
		} else {
			diag_error(L->d, s.loc,
				   "'%s' is not a valid network: %s", s.v,
				   why);
		}
		return false;
	}
	if (family && p.addr.family != family) {
		diag_error(L->d, s.loc, "%s must be an IPv%d CIDR", key,
			   family);
		return false;
	}
	if (prefix_is_v4_mapped(&p)) {
		diag_error(L->d, s.loc,
			   "IPv4-mapped IPv6 networks are not allowed");
		return false;
	}
	out->v = p;
	out->set = true;
	out->loc = s.loc;
	return true;
}

static void load_cidr_list(struct loader *L, const struct key_info *k,
			   struct m_prefix_list *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	struct what item = { "an item of", k->name };
	bool ok = true;
	size_t i;

	if (!expect_collection(L, v, Y_SEQ, w))
		return;
	f->items = arena_calloc(L->a, v->c.n, sizeof(*f->items));
	for (i = 0; i < v->c.n; i++) {
		if (parse_cidr(L, v->c.kids[i], item, k->name, 0,
			       &f->items[f->count]))
			f->count++;
		else
			ok = false;
	}
	f->set = ok;
	f->loc = loader_loc(L, v);
}

static void load_name_list(struct loader *L, const struct key_info *k,
			   struct m_name_list *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	struct what item = { "an item of", k->name };
	bool ok = true;
	size_t i;

	if (!expect_collection(L, v, Y_SEQ, w))
		return;
	f->items = arena_calloc(L->a, v->c.n, sizeof(*f->items));
	f->idx = arena_calloc(L->a, v->c.n, sizeof(*f->idx));
	for (i = 0; i < v->c.n; i++) {
		if (load_string(L, v->c.kids[i], item, &f->items[f->count]))
			f->idx[f->count++] = MODEL_NONE;
		else
			ok = false;
	}
	f->set = ok;
	f->loc = loader_loc(L, v);
}

static void load_addr(struct loader *L, const struct key_info *k,
		      struct m_addr *f, const struct ynode *v, int family)
{
	struct what w = { NULL, k->name };
	struct m_str s = { 0 };
	struct ip_addr ip;
	const char *why = "";

	if (!load_string(L, v, w, &s))
		return;
	if (strchr(s.v, '/')) {
		diag_error(L->d, s.loc,
			   "%s takes a plain address, not a CIDR", k->name);
		return;
	}
	if (ip_addr_parse(s.v, &ip, &why)) {
		diag_error(L->d, s.loc, "'%s' is not a valid address: %s", s.v,
			   why);
		return;
	}
	if (ip.family != family) {
		diag_error(L->d, s.loc, "%s must be an IPv%d address", k->name,
			   family);
		return;
	}
	if (ip_addr_is_v4_mapped(&ip)) {
		diag_error(L->d, s.loc,
			   "IPv4-mapped IPv6 addresses are not allowed");
		return;
	}
	f->v = ip;
	f->set = true;
	f->loc = s.loc;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and '-',
 * no label empty, longer than 63 or starting/ending with '-'. */
static bool is_dns_name(const char *h, size_t len)
{
	size_t i, label = 0;

	if (!len || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		char c = i < len ? h[i] : '.';

		if (c == '.') {
			if (!label || label > 63 || h[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_alnum(c) || c == '-') {
			if (!label && c == '-')
				return false;
			label++;
		} else {
			return false;
		}
	}
	return true;
}

static bool only_digits_and_dots(const char *h, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (h[i] != '.' && (h[i] < '0' || h[i] > '9'))
			return false;
	return true;
}

/* "1" to "65535", no leading zero. */
static bool parse_port(const char *p, uint16_t *out)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; p[i]; i++) {
		if (p[i] < '0' || p[i] > '9' || i >= 5 || (i && p[0] == '0'))
			return false;
		n = n * 10 + (uint32_t)(p[i] - '0');
	}
	if (!i || n < 1 || n > 65535)
		return false;
	*out = (uint16_t)n;
	return true;
}

/* Split host:port or [v6]:port; fills host/port text or reports. */
static bool split_endpoint(struct loader *L, const struct m_str *s,
			   struct m_endpoint *e, const char **port)
{
	const char *t = s->v, *colon, *why;

	if (t[0] == '[') {
		const char *rb = strchr(t, ']');

		if (!rb) {
			diag_error(L->d, s->loc,
				   "endpoint '%s' has '[' without ']'", t);
			return false;
		}
		if (rb[1] != ':') {
			diag_error(L->d, s->loc,
				   "endpoint '%s' must be written [addr]:port",
				   t);
			return false;
		}
		e->host = arena_strndup(L->a, t + 1, (size_t)(rb - t - 1));
		if (ip_addr_parse(e->host, &e->ip, &why) ||
		    e->ip.family != IP_V6) {
			diag_error(L->d, s->loc,
				   "'%s' in brackets is not an IPv6 address",
				   e->host);
			return false;
		}
		e->host_is_ip = true;
		*port = rb + 2;
		return true;
	}
	colon = strrchr(t, ':');
	if (!colon) {
		diag_error(L->d, s->loc,
			   "endpoint '%s' has no port; write host:port", t);
		return false;
	}
	if (strchr(t, ':') != colon) {
		diag_error(L->d, s->loc,
			   "IPv6 endpoint must be written [addr]:port");
		return false;
	}
	if (strchr(t, ']')) {
		diag_error(L->d, s->loc, "endpoint '%s' has ']' without '['",
			   t);
		return false;
	}
	e->host = arena_strndup(L->a, t, (size_t)(colon - t));
	*port = colon + 1;
	return true;
}

static void load_endpoint(struct loader *L, const struct key_info *k,
			  struct m_endpoint *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	struct m_endpoint e = { 0 };
	struct m_str s = { 0 };
	const char *port = "", *why;
	size_t hlen;

	if (!load_string(L, v, w, &s))
		return;
	if (!split_endpoint(L, &s, &e, &port))
		return;
	hlen = strlen(e.host);
	if (!e.host_is_ip) {
		bool ok;

		/* All digits and dots can only mean an IPv4 address. */
		if (hlen && only_digits_and_dots(e.host, hlen))
			ok = e.host_is_ip =
				!ip_addr_parse(e.host, &e.ip, &why);
		else
			ok = is_dns_name(e.host, hlen);
		if (!ok) {
			diag_error(L->d, s.loc,
				   "endpoint host '%s' is not a valid DNS "
				   "name or IPv4 address",
				   e.host);
			return;
		}
	}
	if (e.host_is_ip && ip_addr_is_v4_mapped(&e.ip)) {
		diag_error(L->d, s.loc,
			   "IPv4-mapped IPv6 addresses are not allowed");
		return;
	}
	if (!parse_port(port, &e.port)) {
		diag_error(L->d, s.loc,
			   "endpoint port '%s' must be a decimal number "
			   "1-65535",
			   port);
		return;
	}
	e.text = s.v;
	e.set = true;
	e.loc = s.loc;
	*f = e;
}

/* The form two entries share when they mean the same: an address's
 * canonical text, a domain in lower case. */
static const char *dns_entry_key(struct loader *L, const struct m_dns *e)
{
	char buf[IP_STRLEN], *k;

	if (e->is_ip)
		return arena_strdup(L->a, ip_addr_str(&e->ip, buf));
	k = arena_strdup(L->a, e->v);
	for (char *c = k; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return k;
}

/* An address as wg-quick tells one from a search domain (digits and
 * dots, or a ':'), else a host name. */
static bool load_dns_entry(struct loader *L, const struct ynode *v,
			   struct what w, struct m_dns *out)
{
	struct m_str s = { 0 };
	const char *why = "";
	size_t len;

	if (!load_string(L, v, w, &s))
		return false;
	len = strlen(s.v);
	out->v = s.v;
	out->loc = s.loc;
	out->is_ip = strchr(s.v, ':') || only_digits_and_dots(s.v, len);
	if (!out->is_ip) {
		if (is_dns_name(s.v, len))
			return true;
		diag_error(L->d, s.loc,
			   "dns entry '%s' is neither an IP address nor a "
			   "search domain (labels of letters, digits and '-', "
			   "1-63 bytes each, not starting or ending with '-', "
			   "253 bytes in all)",
			   s.v);
		return false;
	}
	if (ip_addr_parse(s.v, &out->ip, &why)) {
		diag_error(L->d, s.loc, "'%s' is not a valid address: %s", s.v,
			   why);
		return false;
	}
	if (ip_addr_is_v4_mapped(&out->ip)) {
		diag_error(L->d, s.loc,
			   "IPv4-mapped IPv6 addresses are not allowed");
		return false;
	}
	return true;
}

/* dns: what `export` writes as DNS =, so an empty list (nothing to
 * write) and the same entry twice are mistakes, not meanings. */
static void load_dns_list(struct loader *L, const struct key_info *k,
			  struct m_dns_list *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	struct what item = { "an item of", k->name };
	struct strmap seen;
	bool ok = true;

	if (!expect_collection(L, v, Y_SEQ, w))
		return;
	if (!v->c.n) {
		diag_error(L->d, loader_loc(L, v),
			   "%s is an empty list; leave the key out for none",
			   k->name);
		return;
	}
	strmap_init(&seen, L->a);
	strmap_reserve(&seen, v->c.n);
	f->items = arena_calloc(L->a, v->c.n, sizeof(*f->items));
	for (size_t i = 0; i < v->c.n; i++) {
		struct m_dns *e = &f->items[f->count];
		const char *key;
		struct loc l;
		size_t first;

		if (!load_dns_entry(L, v->c.kids[i], item, e)) {
			ok = false;
			continue;
		}
		key = dns_entry_key(L, e);
		if (strmap_put(&seen, key, f->count)) {
			f->count++;
			continue;
		}
		strmap_get(&seen, key, &first);
		l = f->items[first].loc;
		/* a flow list puts both on one line */
		if (l.line == e->loc.line)
			diag_error(L->d, e->loc,
				   "duplicate %s entry '%s' (first at line %u, "
				   "column %u)",
				   k->name, e->v, l.line, l.col);
		else
			diag_error(L->d, e->loc,
				   "duplicate %s entry '%s' (first at line %u)",
				   k->name, e->v, l.line);
		ok = false;
	}
	f->set = ok;
	f->loc = loader_loc(L, v);
}

static void load_platform(struct loader *L, const struct key_info *k,
			  struct m_platform *f, const struct ynode *v)
{
	static const struct {
		const char *name;
		enum platform p;
	} platforms[] = {
		{ "linux", PLATFORM_LINUX },	 { "macos", PLATFORM_MACOS },
		{ "windows", PLATFORM_WINDOWS }, { "ios", PLATFORM_IOS },
		{ "android", PLATFORM_ANDROID },
	};
	struct what w = { NULL, k->name };
	struct m_str s = { 0 };

	if (!load_string(L, v, w, &s))
		return;
	for (size_t i = 0; i < sizeof(platforms) / sizeof(platforms[0]); i++) {
		if (!strcmp(s.v, platforms[i].name)) {
			f->v = platforms[i].p;
			f->set = true;
			f->loc = s.loc;
			return;
		}
	}
	diag_error(L->d, s.loc,
		   "unknown platform '%s'; expected linux, macos, windows, ios "
		   "or android",
		   s.v);
}

/* ---- services: limited grants and a test's port ---------------------- */

/* One service; single: a test's port (one port or icmp). */
static bool load_service(struct loader *L, const struct ynode *v,
			 struct what w, bool single, struct m_service *out)
{
	struct m_str s = { 0 };
	const char *why, *hint;
	char buf[2 * SVC_STRLEN];
	int rc;

	if (!load_string(L, v, w, &s))
		return false;
	if (!single && v->plain &&
	    (!strcmp(s.v, "true") || !strcmp(s.v, "false"))) {
		diag_error(L->d, s.loc,
			   "'%s' in %s is not a service: write %s without "
			   "brackets, or list services (tcp/22, icmp...)",
			   s.v, what_str(L, w), s.v);
		return false;
	}
	rc = single ? svc_parse_single(s.v, &out->v, &why, &hint, buf,
				       sizeof(buf))
		    : svc_parse(s.v, &out->v, &why, &hint, buf, sizeof(buf));
	if (rc) {
		if (hint)
			diag_error(L->d, s.loc,
				   "'%s' in %s is not a service: %s; did you "
				   "mean %s?",
				   s.v, what_str(L, w), why, hint);
		else
			diag_error(L->d, s.loc,
				   "'%s' in %s is not a service: %s", s.v,
				   what_str(L, w), why);
		return false;
	}
	out->set = true;
	out->loc = s.loc;
	return true;
}

/* A list of services: not empty (an empty list would read as "nothing",
 * which is written false). */
bool load_service_list(struct loader *L, const struct ynode *v,
		       struct what w, const char *empty_hint,
		       struct m_service_list *f)
{
	bool ok = true;

	if (!expect_collection(L, v, Y_SEQ, w))
		return false;
	if (!v->c.n) {
		diag_error(L->d, loader_loc(L, v),
			   "%s is an empty list: %s", what_str(L, w),
			   empty_hint);
		return false;
	}
	f->items = arena_calloc(L->a, v->c.n, sizeof(*f->items));
	for (size_t i = 0; i < v->c.n; i++) {
		if (load_service(L, v->c.kids[i], w, false,
				 &f->items[f->count]))
			f->count++;
		else
			ok = false;
	}
	f->set = ok;
	f->loc = loader_loc(L, v);
	return ok;
}

/* true or false into g->b; a list is the caller's.  false: v is not a
 * scalar (and nothing was reported). */
bool load_grant_bool(struct loader *L, const struct key_info *k,
		     struct m_grant_flag *g, const struct ynode *v)
{
	if (v->kind != Y_SCALAR || ynode_is_null(v))
		return false;
	load_bool(L, k, &g->b, v);
	return true;
}

static void load_grant_in(struct loader *L, const struct key_info *k,
			  struct m_grant_flag *g, const struct ynode *v)
{
	struct what w = { NULL, k->name };

	if (v->bad || load_grant_bool(L, k, g, v))
		return;
	if (v->kind == Y_MAP) {
		diag_error(L->d, loader_loc(L, v),
			   "'%s' must be true, false or a list of services "
			   "(tcp/22, udp/53, tcp/8000-8100, tcp, udp, icmp), "
			   "not a mapping",
			   k->name);
		return;
	}
	if (!load_service_list(L, v, w,
			       "write false to grant nothing, true to grant "
			       "everything",
			       &g->services))
		return;
	g->b.v = true;
	g->b.set = true;
	g->b.loc = g->services.loc;
	g->limited = true;
}

static void load_lan_to(struct loader *L, const struct key_info *k,
			struct m_prefix *f, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	struct ip_addr a;
	const char *why;

	/* A bare address is the host itself. */
	if (v->kind == Y_SCALAR && !v->bad && !ynode_is_null(v) &&
	    !strchr(v->s.text, '/') && !ip_addr_parse(v->s.text, &a, &why)) {
		struct m_str s = { 0 };

		if (!load_string(L, v, w, &s))
			return;
		f->v = ip_host_prefix(&a);
		f->set = true;
		f->loc = s.loc;
		return;
	}
	parse_cidr(L, v, w, k->name, 0, f);
}

static void load_verdict(struct loader *L, const struct key_info *k,
			 struct m_test *t, const struct ynode *v)
{
	struct what w = { NULL, k->name };
	struct m_str s = { 0 };

	if (!load_string(L, v, w, &s))
		return;
	if (strcmp(s.v, "allow") && strcmp(s.v, "deny")) {
		diag_error(L->d, s.loc, "%s must be allow or deny, not '%s'",
			   k->name, s.v);
		return;
	}
	t->expect = s;
	t->expect_allow = !strcmp(s.v, "allow");
}

void load_leaf(struct loader *L, const struct key_info *k, void *base,
	       const struct ynode *v)
{
	void *field = (char *)base + k->offset;
	struct what w = { NULL, k->name };

	switch (k->type) {
	case KT_VERSION:
		load_version(L, k, field, v);
		break;
	case KT_PORT:
		load_uint(L, k, field, v, 1, 65535);
		break;
	case KT_KEEPALIVE:
		load_uint(L, k, field, v, 0, 65535);
		break;
	case KT_MTU:
		load_uint(L, k, field, v, MESHC_MTU_MIN, MESHC_MTU_MAX);
		break;
	case KT_DNS_LIST:
		load_dns_list(L, k, field, v);
		break;
	case KT_CIDR4:
		parse_cidr(L, v, w, k->name, IP_V4, field);
		break;
	case KT_CIDR6:
		parse_cidr(L, v, w, k->name, IP_V6, field);
		break;
	case KT_CIDR_LIST:
		load_cidr_list(L, k, field, v);
		break;
	case KT_ADDR4:
		load_addr(L, k, field, v, IP_V4);
		break;
	case KT_ADDR6:
		load_addr(L, k, field, v, IP_V6);
		break;
	case KT_IFNAME:
		load_ifname(L, k, field, v);
		break;
	case KT_NAME:
	case KT_PATH:
	case KT_TARGET:
		load_string(L, v, w, field);
		break;
	case KT_NAME_LIST:
		load_name_list(L, k, field, v);
		break;
	case KT_PUBKEY:
		load_pubkey(L, k, field, v);
		break;
	case KT_ENDPOINT:
		load_endpoint(L, k, field, v);
		break;
	case KT_PLATFORM:
		load_platform(L, k, field, v);
		break;
	case KT_BOOL:
		load_bool(L, k, field, v);
		break;
	case KT_VERDICT:
		load_verdict(L, k, base, v);
		break;
	case KT_GRANT_IN:
		load_grant_in(L, k, field, v);
		break;
	case KT_LAN_TO:
		load_lan_to(L, k, field, v);
		break;
	case KT_SERVICES:
		load_service_list(L, v, w,
				  "leave ports out to grant every service",
				  field);
		break;
	case KT_SERVICE:
		load_service(L, v, w, true, field);
		break;
	default:
		/* Structural types are load.c's; a new type lands here
		 * until someone teaches the loader to read it. */
		diag_error(L->d, loader_loc(L, v),
			   "internal error: no reader for key '%s' (%s)",
			   k->name, key_type_name(k->type));
		break;
	}
}
