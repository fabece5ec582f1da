/* Unit tests of src/render: every target, on plans built by hand.
 *
 * The plans mirror what the compiler produces (the same sets and fw
 * rules) so that the tool checks (nft -c, ip -batch in a namespace, the
 * JSON schema) exercise realistic output.  `test_render --dump TARGET
 * VARIANT` prints one rendering, for reviewing the expected strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/ip.h"
#include "base/strbuf.h"
#include "plan/plan.h"
#include "render/render.h"

/* plan_policy_mark("meshx"): the exit-node mark and table of meshx */
#define MARK_X 0x4d43ab78u

#define KEY_A "7mgtuDbZ//ar2FSZQNrWG2p57HowsTguEDTNb3uYgQs="
#define KEY_B "F+qmoczhdwdsejzn1s131Ec0rmVdkn25nHQbisLtXwA="
#define KEY_C "2GC87T/SQQOow+1kHm28iGfCzeoLLGmOfkCadp49lSA="
#define KEY_D "uxRHYYupF90AiT195kFoxPSupJ+4XEvKG7zn1Fes+2o="
/* Stands for a private key: it must only ever appear in render_wg's
 * output, and only when passed to it. */
#define SECRET "SMGcj+ebV4nCceFrKow0lo+RIIQiN6/drmCnqI7VCUk="

#define CAP 64	/* room in every hand-built array */

struct variant {
	int n_peers;		/* 1 (tiny), 2 or 3 */
	bool exit;		/* this node uses peer a as exit node */
	bool dual;		/* IPv6 too */
	bool nat;		/* forwards: routing / lan grants, postrouting */
	const char *uplink;
};

static const struct variant V_TINY = { .n_peers = 1 };
static const struct variant V_TWO = { .n_peers = 2, .nat = true,
				      .uplink = "eth0" };
static const struct variant V_THREE = { .n_peers = 3, .nat = true,
					.uplink = "eth0" };
static const struct variant V_EXIT = { .n_peers = 3, .exit = true,
				       .nat = true, .uplink = "eth0" };
static const struct variant V_DUAL = { .n_peers = 3, .dual = true,
				       .nat = true };
static const struct variant V_DUAL_EXIT = { .n_peers = 3, .dual = true,
					    .exit = true, .nat = true };

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;
	const char *why = NULL;

	if (ip_prefix_parse(s, &p, &why) != 0)
		fail_msg("bad test prefix %s: %s", s, why);
	return p;
}

static struct loc at(unsigned line)
{
	return (struct loc){ .file = "mesh.yaml", .line = line, .col = 5 };
}

static void *grow(struct arena *a, void **items, size_t n, size_t size)
{
	if (!*items)
		*items = arena_calloc(a, CAP, size);
	assert_true(n < CAP);
	return (char *)*items + n * size;
}

#define PUSH(a, arr, n) \
	((__typeof__(arr))grow((a), (void **)&(arr), (n)++, sizeof(*(arr))))

static void set_add(struct arena *a, struct plan *p, enum fw_set_id id,
		    const char *prefix, const char *why, unsigned line)
{
	struct ip_prefix x = pfx(prefix);
	struct fw_set *s = &p->fw.sets[id][x.addr.family == IP_V6];
	struct fw_elem *e = PUSH(a, s->elems, s->n_elems);

	e->prefix = x;
	e->why = why;
	e->loc = line ? at(line) : (struct loc){ 0 };
}

static void fw_add(struct arena *a, struct plan *p, struct fw_rule r)
{
	*PUSH(a, p->fw.rules, p->fw.n_rules) = r;
}

static struct plan_peer *peer_add(struct arena *a, struct plan *p,
				  const char *name, const char *key,
				  const char *endpoint, uint16_t keepalive,
				  unsigned line)
{
	struct plan_peer *peer = PUSH(a, p->peers, p->n_peers);

	peer->name = name;
	strcpy(peer->public_key, key);
	peer->endpoint = endpoint;
	peer->keepalive = keepalive;
	peer->loc = at(line);
	return peer;
}

static void allowed_add(struct arena *a, struct plan_peer *peer,
			const char *prefix, enum plan_allowed_why why,
			unsigned line)
{
	struct plan_allowed_ip *x =
		PUSH(a, peer->allowed_ips, peer->n_allowed_ips);

	x->prefix = pfx(prefix);
	x->why = why;
	x->loc = line ? at(line) : (struct loc){ 0 };
}

static void route_add(struct arena *a, struct plan *p, const char *dst,
		      uint32_t table, const char *why, unsigned line)
{
	struct plan_route *r = PUSH(a, p->routes, p->n_routes);

	r->dst = pfx(dst);
	r->table = table;
	r->dev = p->iface.name;
	r->why = why;
	r->loc = line ? at(line) : (struct loc){ 0 };
}

static void exit_rules_add(struct arena *a, struct plan *p, uint8_t family)
{
	struct plan_rule *r = PUSH(a, p->rules, p->n_rules);

	*r = (struct plan_rule){ .family = family,
				 .priority = MESHC_RULE_PRIO_SUPPRESS,
				 .table = MESHC_MAIN_TABLE,
				 .fwmark = MARK_X, .invert = true,
				 .suppress_prefixlen = 0 };
	r = PUSH(a, p->rules, p->n_rules);
	*r = (struct plan_rule){ .family = family,
				 .priority = MESHC_RULE_PRIO_TABLE,
				 .table = MARK_X,
				 .fwmark = MARK_X, .invert = true,
				 .suppress_prefixlen = -1 };
}

static void sysctl_add(struct arena *a, struct plan *p, const char *key,
		       const char *value, const char *why)
{
	struct plan_sysctl *s = PUSH(a, p->sysctls, p->n_sysctls);

	s->key = key;
	s->value = value;
	s->why = why;
}

#define NO_SET .saddr_set = FW_SET_NONE, .daddr_set = FW_SET_NONE

/* The rules compile/firewall.c produces, in its order. */
static void fw_rules_add(struct arena *a, struct plan *p)
{
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_INPUT,
		.iif = FW_IF_MESH, NO_SET, .verdict = FW_JUMP,
		.target = FW_CHAIN_MESH_INPUT, .id = "mesh-input",
		.comment = "traffic from the mesh to this node" });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT,
		.ct_established = true, NO_SET, .verdict = FW_ACCEPT,
		.id = "input-replies",
		.comment = "replies to connections this node opened" });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT,
		.saddr_set = FW_SET_INCOMING, .daddr_set = FW_SET_SELF,
		.verdict = FW_ACCEPT, .spec_rule = 6, .id = "incoming",
		.comment = "peers granted incoming reach this node",
		.loc = at(26) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT,
		.saddr_set = FW_SET_LAN_ACCESS, .daddr_set = FW_SET_LAN,
		.verdict = FW_ACCEPT, .spec_rule = 3,
		.id = "input-lan-access",
		.comment = "peers granted local_network reach this node's lan address",
		.loc = at(24) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT, NO_SET,
		.verdict = FW_DROP, .spec_rule = 6,
		.id = "input-default-drop",
		.comment = "no incoming grant for this peer", .loc = at(26) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FORWARD,
		.iif = FW_IF_MESH, NO_SET, .verdict = FW_JUMP,
		.target = FW_CHAIN_FROM_MESH, .id = "from-mesh",
		.comment = "forwarded traffic from the mesh" });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FORWARD,
		.oif = FW_IF_MESH, NO_SET, .verdict = FW_JUMP,
		.target = FW_CHAIN_TO_MESH, .id = "to-mesh",
		.comment = "forwarded traffic into the mesh" });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
		.saddr_set = FW_SET_NONE, .daddr_set = FW_SET_MESH,
		.verdict = FW_DROP, .spec_rule = 2, .id = "no-mesh-transit",
		.comment = "never forward to a mesh address", .loc = at(4) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
		.oif = FW_IF_MESH, NO_SET, .verdict = FW_DROP,
		.spec_rule = 5, .id = "no-mesh-hairpin",
		.comment = "never forward from the mesh back into it",
		.loc = at(19) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
		.saddr_set = FW_SET_LAN_ACCESS, .daddr_set = FW_SET_LAN,
		.verdict = FW_ACCEPT, .spec_rule = 3, .id = "lan-access",
		.comment = "peers granted local_network reach the lan",
		.loc = at(24) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
		.saddr_set = FW_SET_NONE, .daddr_set = FW_SET_LAN,
		.verdict = FW_DROP, .spec_rule = 3, .id = "lan-default-drop",
		.comment = "the lan only with local_network", .loc = at(24) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
		.saddr_set = FW_SET_NONE, .daddr_set = FW_SET_PRIVATE,
		.verdict = FW_DROP, .spec_rule = 3, .id = "no-private-ranges",
		.comment = "routed traffic never reaches private or local ranges",
		.loc = at(19) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH,
		.oif = FW_IF_UPLINK, .saddr_set = FW_SET_ROUTING,
		.daddr_set = FW_SET_NONE, .verdict = FW_ACCEPT,
		.spec_rule = 4, .id = "routing",
		.comment = "peers granted routing reach the internet",
		.loc = at(26) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_FROM_MESH, NO_SET,
		.verdict = FW_DROP, .spec_rule = 4,
		.id = "forward-default-drop",
		.comment = "no routing grant for this peer", .loc = at(26) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_TO_MESH,
		.ct_established = true, NO_SET, .verdict = FW_ACCEPT,
		.spec_rule = 5, .id = "to-mesh-replies",
		.comment = "only replies are forwarded into the mesh" });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_TO_MESH, NO_SET,
		.verdict = FW_DROP, .spec_rule = 5,
		.id = "to-mesh-default-drop",
		.comment = "nothing else is forwarded into the mesh",
		.loc = at(19) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_OUTPUT,
		.oif = FW_IF_MESH, .tcp_pickup = true, NO_SET,
		.verdict = FW_DROP, .spec_rule = 6, .id = "no-pickup",
		.comment = "a connection this node did not open is not picked up again",
		.loc = at(26) });
	if (!p->fw.nat)
		return;
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_POSTROUTING,
		.oif = FW_IF_NOT_MESH, .saddr_set = FW_SET_LAN_ACCESS,
		.daddr_set = FW_SET_LAN, .verdict = FW_MASQUERADE,
		.spec_rule = 3, .id = "lan-masquerade",
		.comment = "lan hosts see this node, not the peer",
		.loc = at(24) });
	fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_POSTROUTING,
		.oif = FW_IF_UPLINK, .saddr_set = FW_SET_ROUTING,
		.daddr_set = FW_SET_NONE, .verdict = FW_MASQUERADE,
		.spec_rule = 4, .id = "masquerade",
		.comment = "routed peers leave behind this node's address",
		.loc = at(25) });
}

static void fw_sets_add(struct arena *a, struct plan *p,
			const struct variant *v)
{
	static const char *const private4[] = {
		"10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
		"169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
		"224.0.0.0/4",
	};
	static const char *const private6[] = {
		"::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
	};

	for (int id = 0; id < FW_SET_COUNT; id++) {
		p->fw.sets[id][0].name = fw_set_name(id, IP_V4);
		p->fw.sets[id][0].family = IP_V4;
		p->fw.sets[id][1].name = fw_set_name(id, IP_V6);
		p->fw.sets[id][1].family = IP_V6;
	}
	set_add(a, p, FW_SET_MESH, "100.64.0.0/24", "mesh x", 4);
	if (v->n_peers > 1)
		set_add(a, p, FW_SET_MESH, "100.64.1.0/24", "mesh y", 9);
	set_add(a, p, FW_SET_SELF, "100.64.0.2/32", "b", 20);
	set_add(a, p, FW_SET_INCOMING, "100.64.0.1/32", "a", 0);
	if (v->dual) {
		set_add(a, p, FW_SET_MESH, "fd64:0:0:1::/64", "mesh x", 5);
		set_add(a, p, FW_SET_SELF, "fd64:0:0:1::2/128", "b", 21);
		set_add(a, p, FW_SET_INCOMING, "fd64:0:0:1::1/128", "a", 0);
	}
	if (v->n_peers == 1)
		return;
	for (size_t i = 0; i < sizeof(private4) / sizeof(*private4); i++)
		set_add(a, p, FW_SET_PRIVATE, private4[i], "private", 0);
	for (size_t i = 0; i < sizeof(private6) / sizeof(*private6); i++)
		set_add(a, p, FW_SET_PRIVATE, private6[i], "private", 0);
	set_add(a, p, FW_SET_LAN, "192.168.2.0/24", "lan", 24);
	set_add(a, p, FW_SET_INCOMING, "100.64.1.3/32", "c", 0);
	set_add(a, p, FW_SET_ROUTING, "100.64.1.3/32", "c", 27);
	set_add(a, p, FW_SET_LAN_ACCESS, "100.64.0.1/32", "a", 28);
	if (v->dual)
		set_add(a, p, FW_SET_LAN_ACCESS, "fd64:0:0:1::1/128", "a", 28);
	if (v->n_peers > 2) {
		set_add(a, p, FW_SET_INCOMING, "100.64.0.4/32", "d", 0);
		if (v->dual)
			set_add(a, p, FW_SET_INCOMING, "fd64:0:0:1::4/128",
				"d", 0);
	}
}

static void peers_add(struct arena *a, struct plan *p, const struct variant *v)
{
	struct plan_peer *peer;

	peer = peer_add(a, p, "a", KEY_A, "198.51.100.10:51820", 0, 11);
	allowed_add(a, peer, "100.64.0.1/32", ALLOWED_MESH_ADDRESS, 14);
	if (v->dual)
		allowed_add(a, peer, "fd64:0:0:1::1/128",
			    ALLOWED_MESH_ADDRESS, 15);
	if (v->exit) {
		allowed_add(a, peer, "0.0.0.0/0", ALLOWED_EXIT_NODE, 22);
		if (v->dual)
			allowed_add(a, peer, "::/0", ALLOWED_EXIT_NODE, 22);
	}
	if (v->n_peers < 2)
		return;
	peer = peer_add(a, p, "c", KEY_C, NULL, 0, 30);
	allowed_add(a, peer, "100.64.1.3/32", ALLOWED_MESH_ADDRESS, 0);
	if (v->n_peers < 3)
		return;
	peer = peer_add(a, p, "d", KEY_D, "[2001:db8::4]:51820", 25, 35);
	allowed_add(a, peer, "100.64.0.4/32", ALLOWED_MESH_ADDRESS, 0);
	if (v->dual)
		allowed_add(a, peer, "fd64:0:0:1::4/128", ALLOWED_MESH_ADDRESS,
			    0);
	allowed_add(a, peer, "192.168.4.0/24", ALLOWED_LANS_VIA, 23);
}

static struct plan *make_plan(struct arena *a, const struct variant *v)
{
	struct plan *p = arena_alloc(a, sizeof(*p));
	struct plan_address *addr;

	p->document = "mesh.yaml";
	p->node = "b";
	p->mesh = "x";
	p->platform = PLATFORM_LINUX;
	p->node_loc = at(18);
	p->forwards = v->nat;
	p->iface.name = "meshx";
	p->iface.policy_mark = MARK_X;
	strcpy(p->iface.public_key, KEY_B);
	p->iface.listen_port = 51820;
	p->iface.private_key_file = "/etc/meshc/private.key";
	addr = PUSH(a, p->iface.addresses, p->iface.n_addresses);
	addr->addr = pfx("100.64.0.2/32");
	addr->loc = at(20);
	if (v->dual) {
		addr = PUSH(a, p->iface.addresses, p->iface.n_addresses);
		addr->addr = pfx("fd64:0:0:1::2/128");
		addr->loc = at(21);
	}
	peers_add(a, p, v);
	route_add(a, p, "100.64.0.0/24", MESHC_MAIN_TABLE, "mesh x", 4);
	if (v->dual)
		route_add(a, p, "fd64:0:0:1::/64", MESHC_MAIN_TABLE, "mesh x",
			  5);
	if (v->n_peers > 1)
		route_add(a, p, "100.64.1.3/32", MESHC_MAIN_TABLE,
			  "c (link)", 0);
	if (v->n_peers > 2)
		route_add(a, p, "192.168.4.0/24", MESHC_MAIN_TABLE,
			  "lan of d (lans_via)", 23);
	if (v->exit) {
		p->exit_node = "a";
		p->iface.fwmark = MARK_X;
		route_add(a, p, "0.0.0.0/0", MARK_X,
			  "exit node a", 22);
		exit_rules_add(a, p, IP_V4);
		sysctl_add(a, p, "net.ipv4.conf.all.src_valid_mark", "1",
			   "exit node: replies to the tunnel keep their mark");
		if (v->dual) {
			route_add(a, p, "::/0", MARK_X,
				  "exit node a", 22);
			exit_rules_add(a, p, IP_V6);
		}
	}
	if (v->nat) {
		sysctl_add(a, p, "net.ipv4.ip_forward", "1",
			   "c may route through b (spec rule 4)");
		if (v->dual)
			sysctl_add(a, p, "net.ipv6.conf.all.forwarding", "1",
				   "c may route through b (spec rule 4)");
	}
	p->fw.iface = "meshx";
	p->fw.uplink = v->uplink;
	p->fw.nat = v->nat;
	fw_sets_add(a, p, v);
	/* as compiled: the live sets wait for apply; a named uplink is
	 * known now */
	p->fw.live_pending = v->n_peers > 1;
	if (v->uplink) {
		struct fw_elem *e = arena_calloc(a, 1, sizeof(*e));

		e->ifname = v->uplink;
		e->why = "uplink";
		p->fw.sets[FW_SET_UPLINK][0].elems = e;
		p->fw.sets[FW_SET_UPLINK][0].n_elems = 1;
	}
	if (v->n_peers == 1) {
		/* The tiny plan: input rules and the output rule. */
		fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_INPUT,
			.iif = FW_IF_MESH, NO_SET, .verdict = FW_JUMP,
			.target = FW_CHAIN_MESH_INPUT });
		fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT,
			.saddr_set = FW_SET_INCOMING, .daddr_set = FW_SET_SELF,
			.verdict = FW_ACCEPT, .spec_rule = 6,
			.comment = "incoming", .loc = at(26) });
		fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT,
			NO_SET, .verdict = FW_DROP, .spec_rule = 6 });
		fw_add(a, p, (struct fw_rule){ .chain = FW_CHAIN_OUTPUT,
			.oif = FW_IF_MESH, .tcp_pickup = true, NO_SET,
			.verdict = FW_DROP, .spec_rule = 6,
			.comment = "not picked up", .loc = at(26) });
	} else {
		fw_rules_add(a, p);
	}
	plan_sort(p);
	return p;
}

/* --- helpers for the tests --- */

enum target { T_TEXT, T_JSON, T_NFT, T_PF, T_WG, T_ROUTES, T_SYSCTL, T_N };

static const char *const target_names[T_N] = {
	"plan", "json", "nft", "pf", "wg", "routes", "sysctl",
};

static void render(struct strbuf *out, enum target t, const struct plan *p)
{
	switch (t) {
	case T_TEXT:
		render_plan_text(out, p);
		break;
	case T_JSON:
		render_json(out, p);
		break;
	case T_NFT:
		render_nft(out, p);
		break;
	case T_PF:
		render_pf(out, p);
		break;
	case T_WG:
		render_wg(out, p, NULL, NULL);
		break;
	case T_ROUTES:
		render_routes(out, p);
		break;
	case T_SYSCTL:
		render_sysctl(out, p);
		break;
	case T_N:
		break;
	}
}

/* Render one target of one variant into *out (reset first). */
static const char *rendering(struct strbuf *out, enum target t,
			     const struct variant *v)
{
	struct arena a;

	strbuf_reset(out);
	arena_init(&a);
	render(out, t, make_plan(&a, v));
	arena_free(&a);
	return strbuf_str(out);
}

static bool contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

#define assert_contains(hay, needle)                                        \
	do {                                                                 \
		if (!contains((hay), (needle)))                              \
			fail_msg("missing \"%s\" in:\n%s", (needle), (hay)); \
	} while (0)

#define assert_not_contains(hay, needle)                                    \
	do {                                                                 \
		if (contains((hay), (needle)))                               \
			fail_msg("unexpected \"%s\" in:\n%s", (needle),      \
				 (hay));                                     \
	} while (0)

/* Is line a before line b in s?  Both must be present. */
static void assert_before(const char *s, const char *a, const char *b)
{
	const char *pa = strstr(s, a), *pb = strstr(s, b);

	if (!pa || !pb || pa >= pb)
		fail_msg("expected \"%s\" before \"%s\" in:\n%s", a, b, s);
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Write s to a new temporary file; its name goes to path. */
static void write_temp(const char *s, char path[64])
{
	int fd;
	FILE *f;

	strcpy(path, "/tmp/meshc-test-render-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(s, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static bool have_tool(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* --- tests --- */

/* --- expected renderings of small plans (reviewed by hand) --- */

static const char tiny_nft[] =
	"# meshc nftables ruleset for node b (mesh x)\n"
	"# generated by meshc; do not edit\n"
	"# load with: nft -f FILE (replaces the part meshx/ of table inet meshc atomically;\n"
	"# other interfaces' parts stay as they are)\n"
	"table inet meshc {\n"
	"\tcomment \"managed by meshc\"\n"
	"}\n"
	"add chain inet meshc meshx/input\n"
	"add chain inet meshc meshx/mesh_input\n"
	"add chain inet meshc meshx/forward\n"
	"add chain inet meshc meshx/from_mesh\n"
	"add chain inet meshc meshx/to_mesh\n"
	"add chain inet meshc meshx/output\n"
	"add chain inet meshc meshx/postrouting\n"
	"add set inet meshc meshx/mesh4 { type ipv4_addr; flags interval; }\n"
	"add set inet meshc meshx/mesh6 { type ipv6_addr; flags interval; }\n"
	"add set inet meshc meshx/self4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/self6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/lan4 { type ipv4_addr; flags interval; }\n"
	"add set inet meshc meshx/lan6 { type ipv6_addr; flags interval; }\n"
	"add set inet meshc meshx/private4 { type ipv4_addr; flags interval; }\n"
	"add set inet meshc meshx/private6 { type ipv6_addr; flags interval; }\n"
	"add set inet meshc meshx/incoming4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/incoming6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/routing4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/routing6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/lan_access4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/lan_access6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/closed4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/closed6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/relay_users4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/relay_users6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/relay_open4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/relay_open6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/relay4 { type ipv4_addr . ipv4_addr; }\n"
	"add set inet meshc meshx/relay6 { type ipv6_addr . ipv6_addr; }\n"
	"add set inet meshc meshx/local4 { type ipv4_addr; flags interval; }\n"
	"add set inet meshc meshx/local6 { type ipv6_addr; flags interval; }\n"
	"add set inet meshc meshx/uplinks { type ifname; }\n"
	"add set inet meshc meshx/incoming_svc4 { type ipv4_addr . inet_proto . inet_service; flags interval; }\n"
	"add set inet meshc meshx/incoming_svc6 { type ipv6_addr . inet_proto . inet_service; flags interval; }\n"
	"add set inet meshc meshx/incoming_icmp4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/incoming_icmp6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/lan_svc4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags interval; }\n"
	"add set inet meshc meshx/lan_svc6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service; flags interval; }\n"
	"add set inet meshc meshx/lan_icmp4 { type ipv4_addr . ipv4_addr; flags interval; }\n"
	"add set inet meshc meshx/lan_icmp6 { type ipv6_addr . ipv6_addr; flags interval; }\n"
	"add set inet meshc meshx/open_svc4 { type ipv4_addr . inet_proto . inet_service; flags interval; }\n"
	"add set inet meshc meshx/open_svc6 { type ipv6_addr . inet_proto . inet_service; flags interval; }\n"
	"add set inet meshc meshx/open_icmp4 { type ipv4_addr; }\n"
	"add set inet meshc meshx/open_icmp6 { type ipv6_addr; }\n"
	"add set inet meshc meshx/relay_svc4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service; flags interval; }\n"
	"add set inet meshc meshx/relay_svc6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service; flags interval; }\n"
	"add set inet meshc meshx/relay_icmp4 { type ipv4_addr . ipv4_addr; flags interval; }\n"
	"add set inet meshc meshx/relay_icmp6 { type ipv6_addr . ipv6_addr; flags interval; }\n"
	"flush chain inet meshc meshx/input\n"
	"flush chain inet meshc meshx/mesh_input\n"
	"flush chain inet meshc meshx/forward\n"
	"flush chain inet meshc meshx/from_mesh\n"
	"flush chain inet meshc meshx/to_mesh\n"
	"flush chain inet meshc meshx/output\n"
	"flush chain inet meshc meshx/postrouting\n"
	"delete chain inet meshc meshx/input\n"
	"delete chain inet meshc meshx/mesh_input\n"
	"delete chain inet meshc meshx/forward\n"
	"delete chain inet meshc meshx/from_mesh\n"
	"delete chain inet meshc meshx/to_mesh\n"
	"delete chain inet meshc meshx/output\n"
	"delete chain inet meshc meshx/postrouting\n"
	"delete set inet meshc meshx/mesh4\n"
	"delete set inet meshc meshx/mesh6\n"
	"delete set inet meshc meshx/self4\n"
	"delete set inet meshc meshx/self6\n"
	"delete set inet meshc meshx/lan4\n"
	"delete set inet meshc meshx/lan6\n"
	"delete set inet meshc meshx/private4\n"
	"delete set inet meshc meshx/private6\n"
	"delete set inet meshc meshx/incoming4\n"
	"delete set inet meshc meshx/incoming6\n"
	"delete set inet meshc meshx/routing4\n"
	"delete set inet meshc meshx/routing6\n"
	"delete set inet meshc meshx/lan_access4\n"
	"delete set inet meshc meshx/lan_access6\n"
	"delete set inet meshc meshx/closed4\n"
	"delete set inet meshc meshx/closed6\n"
	"delete set inet meshc meshx/relay_users4\n"
	"delete set inet meshc meshx/relay_users6\n"
	"delete set inet meshc meshx/relay_open4\n"
	"delete set inet meshc meshx/relay_open6\n"
	"delete set inet meshc meshx/relay4\n"
	"delete set inet meshc meshx/relay6\n"
	"delete set inet meshc meshx/local4\n"
	"delete set inet meshc meshx/local6\n"
	"delete set inet meshc meshx/uplinks\n"
	"delete set inet meshc meshx/incoming_svc4\n"
	"delete set inet meshc meshx/incoming_svc6\n"
	"delete set inet meshc meshx/incoming_icmp4\n"
	"delete set inet meshc meshx/incoming_icmp6\n"
	"delete set inet meshc meshx/lan_svc4\n"
	"delete set inet meshc meshx/lan_svc6\n"
	"delete set inet meshc meshx/lan_icmp4\n"
	"delete set inet meshc meshx/lan_icmp6\n"
	"delete set inet meshc meshx/open_svc4\n"
	"delete set inet meshc meshx/open_svc6\n"
	"delete set inet meshc meshx/open_icmp4\n"
	"delete set inet meshc meshx/open_icmp6\n"
	"delete set inet meshc meshx/relay_svc4\n"
	"delete set inet meshc meshx/relay_svc6\n"
	"delete set inet meshc meshx/relay_icmp4\n"
	"delete set inet meshc meshx/relay_icmp6\n"
	"table inet meshc {\n"
	"\tset meshx/mesh4 {\n"
	"\t\ttype ipv4_addr; flags interval;\n"
	"\t\telements = {\n"
	"\t\t\t100.64.0.0/24,\t# mesh x (line 4)\n"
	"\t\t}\n"
	"\t}\n"
	"\n"
	"\tset meshx/mesh6 {\n"
	"\t\ttype ipv6_addr; flags interval;\n"
	"\t}\n"
	"\n"
	"\tset meshx/self4 {\n"
	"\t\ttype ipv4_addr;\n"
	"\t\telements = {\n"
	"\t\t\t100.64.0.2,\t# b (line 20)\n"
	"\t\t}\n"
	"\t}\n"
	"\n"
	"\tset meshx/self6 {\n"
	"\t\ttype ipv6_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/lan4 {\n"
	"\t\ttype ipv4_addr; flags interval;\n"
	"\t}\n"
	"\n"
	"\tset meshx/lan6 {\n"
	"\t\ttype ipv6_addr; flags interval;\n"
	"\t}\n"
	"\n"
	"\tset meshx/private4 {\n"
	"\t\ttype ipv4_addr; flags interval;\n"
	"\t}\n"
	"\n"
	"\tset meshx/private6 {\n"
	"\t\ttype ipv6_addr; flags interval;\n"
	"\t}\n"
	"\n"
	"\tset meshx/incoming4 {\n"
	"\t\ttype ipv4_addr;\n"
	"\t\telements = {\n"
	"\t\t\t100.64.0.1,\t# a\n"
	"\t\t}\n"
	"\t}\n"
	"\n"
	"\tset meshx/incoming6 {\n"
	"\t\ttype ipv6_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/routing4 {\n"
	"\t\ttype ipv4_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/routing6 {\n"
	"\t\ttype ipv6_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/lan_access4 {\n"
	"\t\ttype ipv4_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/lan_access6 {\n"
	"\t\ttype ipv6_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/closed4 {\n"
	"\t\ttype ipv4_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/closed6 {\n"
	"\t\ttype ipv6_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/relay_users4 {\n"
	"\t\ttype ipv4_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/relay_users6 {\n"
	"\t\ttype ipv6_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/relay_open4 {\n"
	"\t\ttype ipv4_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/relay_open6 {\n"
	"\t\ttype ipv6_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/relay4 {\n"
	"\t\ttype ipv4_addr . ipv4_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/relay6 {\n"
	"\t\ttype ipv6_addr . ipv6_addr;\n"
	"\t}\n"
	"\n"
	"\tset meshx/local4 {\n"
	"\t\ttype ipv4_addr; flags interval;\n"
	"\t}\n"
	"\n"
	"\tset meshx/local6 {\n"
	"\t\ttype ipv6_addr; flags interval;\n"
	"\t}\n"
	"\n"
	"\tset meshx/uplinks {\n"
	"\t\ttype ifname;\n"
	"\t}\n"
	"\n"
	"\tchain meshx/input {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t\tiifname \"meshx\" jump meshx/mesh_input\n"
	"\t}\n"
	"\n"
	"\tchain meshx/mesh_input {\n"
	"\t\tip saddr @meshx/incoming4 ip daddr @meshx/self4 accept comment \"rule 6: incoming\"\n"
	"\t\tip6 saddr @meshx/incoming6 ip6 daddr @meshx/self6 accept comment \"rule 6: incoming\"\n"
	"\t\tdrop comment \"rule 6\"\n"
	"\t}\n"
	"\n"
	"\tchain meshx/forward {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t}\n"
	"\n"
	"\tchain meshx/from_mesh {\n"
	"\t}\n"
	"\n"
	"\tchain meshx/to_mesh {\n"
	"\t}\n"
	"\n"
	"\tchain meshx/output {\n"
	"\t\ttype filter hook output priority filter; policy accept;\n"
	"\t\toifname \"meshx\" ct state new tcp flags & (fin|syn|rst|ack) != syn drop comment \"rule 6: not picked up\"\n"
	"\t}\n"
	"}\n";

static const char tiny_pf[] =
	"# meshc pf anchor for node b (mesh x)\n"
	"# generated by meshc; do not edit\n"
	"# load with: pfctl -a meshc -f FILE (pf.conf needs nat-anchor \"meshc\" and anchor \"meshc\")\n"
	"\n"
	"# tables\n"
	"table <mesh4> const { 100.64.0.0/24 }\n"
	"table <self4> const { 100.64.0.2 }\n"
	"table <incoming4> const { 100.64.0.1 }\n"
	"\n"
	"# translation\n"
	"\n"
	"# from the mesh to this node\n"
	"# rule 6: incoming\n"
	"pass in quick on meshx inet from <incoming4> to <self4> keep state\n"
	"# rule 6\n"
	"block drop in quick on meshx inet from any to <self4>\n"
	"\n"
	"# from the mesh, forwarded\n"
	"\n"
	"# into the mesh\n";

static const char tiny_wg[] =
	"# meshc WireGuard configuration for node b (mesh x)\n"
	"# generated by meshc; do not edit\n"
	"# load with: wg setconf meshx FILE\n"
	"[Interface]\n"
	"ListenPort = 51820\n"
	"# PrivateKey: read from /etc/meshc/private.key (use --with-secrets)\n"
	"\n"
	"[Peer]\n"
	"# a\n"
	"PublicKey = 7mgtuDbZ//ar2FSZQNrWG2p57HowsTguEDTNb3uYgQs=\n"
	"AllowedIPs = 100.64.0.1/32\n"
	"Endpoint = 198.51.100.10:51820\n";

static const char tiny_routes[] =
	"# meshc addresses, routes and rules for node b (mesh x)\n"
	"# generated by meshc; do not edit\n"
	"# load with: ip -batch FILE\n"
	"address replace 100.64.0.2/32 dev meshx\n"
	"route replace 100.64.0.0/24 dev meshx proto 77 table main\t# mesh x\n";

static const char two_sysctl[] =
	"# meshc kernel settings for node b (mesh x)\n"
	"# generated by meshc; do not edit\n"
	"# install as /etc/sysctl.d/60-meshc.conf, or load with: sysctl -p FILE\n"
	"\n"
	"# c may route through b (spec rule 4)\n"
	"net.ipv4.ip_forward = 1\n";

static const char tiny_text[] =
	"node      b\n"
	"mesh      x\n"
	"platform  linux\n"
	"document  mesh.yaml  line 18\n"
	"exit node none\n"
	"forwards  no\n"
	"\n"
	"interface meshx\n"
	"  public key        F+qmoczhdwdsejzn1s131Ec0rmVdkn25nHQbisLtXwA=\n"
	"  listen port       51820\n"
	"  private key file  /etc/meshc/private.key\n"
	"  fwmark            none\n"
	"  policy mark       0x4d43ab78\n"
	"  addresses         100.64.0.2/32  line 20\n"
	"  mtu               not set (the link's is left as it is)\n"
	"  dns               none\n"
	"\n"
	"peers (1)\n"
	"  a  line 11\n"
	"    public key   7mgtuDbZ//ar2FSZQNrWG2p57HowsTguEDTNb3uYgQs=\n"
	"    endpoint     198.51.100.10:51820\n"
	"    keepalive    off\n"
	"    allowed ips  100.64.0.1/32  mesh address  line 14\n"
	"\n"
	"routes (1)\n"
	"  100.64.0.0/24  dev meshx  table main  mesh x  line 4\n"
	"\n"
	"policy rules (0)\n"
	"\n"
	"sysctls (0)\n"
	"\n"
	"firewall  table inet meshc, interface meshx, uplink the default routes' interfaces, nat no\n"
	"  sets\n"
	"    mesh4        100.64.0.0/24  mesh x  line 4\n"
	"    mesh6        (empty)\n"
	"    self4        100.64.0.2/32  b       line 20\n"
	"    self6        (empty)\n"
	"    lan4         (empty)\n"
	"    lan6         (empty)\n"
	"    private4     (empty)\n"
	"    private6     (empty)\n"
	"    incoming4    100.64.0.1/32  a\n"
	"    incoming6    (empty)\n"
	"    routing4     (empty)\n"
	"    routing6     (empty)\n"
	"    lan_access4  (empty)\n"
	"    lan_access6  (empty)\n"
	"    closed4      (empty)\n"
	"    closed6      (empty)\n"
	"    relay_users4 (empty)\n"
	"    relay_users6 (empty)\n"
	"    relay_open4  (empty)\n"
	"    relay_open6  (empty)\n"
	"    relay4       (empty)\n"
	"    relay6       (empty)\n"
	"    local4       (empty)\n"
	"    local6       (empty)\n"
	"    uplinks      (empty)\n"
	"  chain input (hook input, policy accept)\n"
	"    iifname \"meshx\" jump mesh_input\n"
	"  chain mesh_input\n"
	"    ip saddr @incoming4 ip daddr @self4 accept                              (spec rule 6) incoming  line 26\n"
	"    drop                                                                    (spec rule 6)\n"
	"  chain forward (hook forward, policy accept)\n"
	"    (no rules)\n"
	"  chain from_mesh\n"
	"    (no rules)\n"
	"  chain to_mesh\n"
	"    (no rules)\n"
	"  chain output (hook output, policy accept)\n"
	"    oifname \"meshx\" ct state new tcp flags & (fin|syn|rst|ack) != syn drop  (spec rule 6) not picked up  line 26\n";

static const char tiny_json[] =
	"{\n"
	"  \"format\": \"meshc-plan\",\n"
	"  \"version\": 1,\n"
	"  \"node\": \"b\",\n"
	"  \"mesh\": \"x\",\n"
	"  \"platform\": \"linux\",\n"
	"  \"document\": \"mesh.yaml\",\n"
	"  \"exit_node\": null,\n"
	"  \"forwards\": false,\n"
	"  \"interface\": {\n"
	"    \"name\": \"meshx\",\n"
	"    \"public_key\": \"F+qmoczhdwdsejzn1s131Ec0rmVdkn25nHQbisLtXwA=\",\n"
	"    \"listen_port\": 51820,\n"
	"    \"private_key_file\": \"/etc/meshc/private.key\",\n"
	"    \"fwmark\": 0,\n"
	"    \"policy_mark\": 1296280440,\n"
	"    \"addresses\": [\n"
	"      \"100.64.0.2/32\"\n"
	"    ],\n"
	"    \"mtu\": null,\n"
	"    \"dns\": []\n"
	"  },\n"
	"  \"peers\": [\n"
	"    {\n"
	"      \"name\": \"a\",\n"
	"      \"public_key\": \"7mgtuDbZ//ar2FSZQNrWG2p57HowsTguEDTNb3uYgQs=\",\n"
	"      \"endpoint\": \"198.51.100.10:51820\",\n"
	"      \"keepalive\": 0,\n"
	"      \"preshared_key_file\": null,\n"
	"      \"allowed_ips\": [\n"
	"        {\n"
	"          \"prefix\": \"100.64.0.1/32\",\n"
	"          \"why\": \"mesh address\"\n"
	"        }\n"
	"      ]\n"
	"    }\n"
	"  ],\n"
	"  \"routes\": [\n"
	"    {\n"
	"      \"dst\": \"100.64.0.0/24\",\n"
	"      \"table\": 254,\n"
	"      \"dev\": \"meshx\",\n"
	"      \"why\": \"mesh x\"\n"
	"    }\n"
	"  ],\n"
	"  \"rules\": [],\n"
	"  \"sysctls\": [],\n"
	"  \"firewall\": {\n"
	"    \"table\": \"inet meshc\",\n"
	"    \"iface\": \"meshx\",\n"
	"    \"uplink\": null,\n"
	"    \"nat\": false,\n"
	"    \"live_pending\": false,\n"
	"    \"sets\": {\n"
	"      \"mesh4\": [\n"
	"        {\n"
	"          \"prefix\": \"100.64.0.0/24\",\n"
	"          \"why\": \"mesh x\",\n"
	"          \"line\": 4\n"
	"        }\n"
	"      ],\n"
	"      \"mesh6\": [],\n"
	"      \"self4\": [],\n"
	"      \"self6\": [],\n"
	"      \"lan4\": [],\n"
	"      \"lan6\": [],\n"
	"      \"private4\": [],\n"
	"      \"private6\": [],\n"
	"      \"incoming4\": [],\n"
	"      \"incoming6\": [],\n"
	"      \"routing4\": [],\n"
	"      \"routing6\": [],\n"
	"      \"lan_access4\": [],\n"
	"      \"lan_access6\": [],\n"
	"      \"closed4\": [],\n"
	"      \"closed6\": [],\n"
	"      \"relay_users4\": [],\n"
	"      \"relay_users6\": [],\n"
	"      \"relay_open4\": [],\n"
	"      \"relay_open6\": [],\n"
	"      \"relay4\": [],\n"
	"      \"relay6\": [],\n"
	"      \"local4\": [],\n"
	"      \"local6\": [],\n"
	"      \"uplinks\": []\n"
	"    },\n"
	"    \"rules\": [\n"
	"      {\n"
	"        \"chain\": \"input\",\n"
	"        \"family\": 0,\n"
	"        \"match\": {\n"
	"          \"iif\": \"mesh\",\n"
	"          \"oif\": \"any\",\n"
	"          \"ct_established\": false,\n"
	"          \"tcp_pickup\": false,\n"
	"          \"saddr\": null,\n"
	"          \"daddr\": null\n"
	"        },\n"
	"        \"verdict\": \"jump\",\n"
	"        \"target\": \"mesh_input\",\n"
	"        \"spec_rule\": 0,\n"
	"        \"id\": null,\n"
	"        \"comment\": null,\n"
	"        \"line\": 0\n"
	"      },\n"
	"      {\n"
	"        \"chain\": \"output\",\n"
	"        \"family\": 0,\n"
	"        \"match\": {\n"
	"          \"iif\": \"any\",\n"
	"          \"oif\": \"mesh\",\n"
	"          \"ct_established\": false,\n"
	"          \"tcp_pickup\": true,\n"
	"          \"saddr\": null,\n"
	"          \"daddr\": null\n"
	"        },\n"
	"        \"verdict\": \"drop\",\n"
	"        \"target\": null,\n"
	"        \"spec_rule\": 6,\n"
	"        \"id\": null,\n"
	"        \"comment\": \"not picked up\",\n"
	"        \"line\": 26\n"
	"      }\n"
	"    ]\n"
	"  }\n"
	"}\n";

/* --- exact output of small plans, per target --- */

static void expect_exact(enum target t, const struct variant *v,
			 const char *want)
{
	struct strbuf out = STRBUF_INIT;

	assert_string_equal(rendering(&out, t, v), want);
	strbuf_free(&out);
}

static void test_nft_tiny_plan_exact(void **state)
{
	(void)state;
	expect_exact(T_NFT, &V_TINY, tiny_nft);
}

static void test_pf_tiny_plan_exact(void **state)
{
	(void)state;
	expect_exact(T_PF, &V_TINY, tiny_pf);
}

static void test_wg_tiny_plan_exact(void **state)
{
	(void)state;
	expect_exact(T_WG, &V_TINY, tiny_wg);
}

static void test_routes_tiny_plan_exact(void **state)
{
	(void)state;
	expect_exact(T_ROUTES, &V_TINY, tiny_routes);
}

static void test_sysctl_two_peer_plan_exact(void **state)
{
	(void)state;
	expect_exact(T_SYSCTL, &V_TWO, two_sysctl);
}

static void test_text_tiny_plan_exact(void **state)
{
	(void)state;
	expect_exact(T_TEXT, &V_TINY, tiny_text);
}

static void test_json_tiny_plan_exact(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	struct plan *p;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_TINY);
	p->fw.sets[FW_SET_SELF][0].n_elems = 0;
	p->fw.sets[FW_SET_INCOMING][0].n_elems = 0;
	/* the dispatch rule and the output rule */
	assert_int_equal(p->fw.rules[3].chain, FW_CHAIN_OUTPUT);
	p->fw.rules[1] = p->fw.rules[3];
	p->fw.n_rules = 2;
	render_json(&out, p);
	assert_string_equal(strbuf_str(&out), tiny_json);
	strbuf_free(&out);
	arena_free(&a);
}

/* mtu and dns with the lines they come from; dns in the document's
 * order (the resolvers'), not sorted. */
static void test_text_and_json_mtu_and_dns(void **state)
{
	struct plan_dns dns[] = { { "fd64::53", { "mesh.yaml", 6, 10 } },
				  { "100.64.0.53", { "mesh.yaml", 6, 20 } },
				  { "corp.example", { "mesh.yaml", 6, 33 } } };
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	struct plan *p;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_TINY);
	p->iface.mtu = 1380;
	p->iface.mtu_loc = at(7);
	p->iface.dns = dns;
	p->iface.n_dns = 3;
	render_plan_text(&out, p);
	assert_contains(strbuf_str(&out),
			"  addresses         100.64.0.2/32  line 20\n"
			"  mtu               1380  line 7\n"
			"  dns               fd64::53      line 6\n"
			"                    100.64.0.53   line 6\n"
			"                    corp.example  line 6\n\n");
	strbuf_reset(&out);
	render_json(&out, p);
	assert_contains(strbuf_str(&out),
			"    ],\n"
			"    \"mtu\": 1380,\n"
			"    \"dns\": [\n"
			"      \"fd64::53\",\n"
			"      \"100.64.0.53\",\n"
			"      \"corp.example\"\n"
			"    ]\n"
			"  },\n");
	strbuf_free(&out);
	arena_free(&a);
}

/* --- nft --- */

/* The file replaces only its interface's part: it declares every chain
 * and set name of the part (so deleting them is valid on a fresh system),
 * flushes and deletes them, and defines the part; nothing of the table as
 * a whole, nor of another part, is deleted. */
static void test_nft_replaces_its_own_part_atomically(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_NFT, &V_THREE);

	(void)state;
	assert_contains(s, "\ntable inet meshc {\n\tcomment \"managed by "
			   "meshc\"\n}\nadd chain inet meshc meshx/input\n");
	assert_int_equal(count(s, "table inet meshc {"), 2);
	assert_not_contains(s, "delete table");
	assert_int_equal(count(s, "\nadd chain inet meshc meshx/"),
			 FW_CHAIN_COUNT);
	assert_int_equal(count(s, "\nflush chain inet meshc meshx/"),
			 FW_CHAIN_COUNT);
	assert_int_equal(count(s, "\ndelete chain inet meshc meshx/"),
			 FW_CHAIN_COUNT);
	assert_int_equal(count(s, "\nadd set inet meshc meshx/"),
			 2 * FW_SET_COUNT - 1);	/* uplinks: one set */
	assert_int_equal(count(s, "\ndelete set inet meshc meshx/"),
			 2 * FW_SET_COUNT - 1);	/* uplinks: one set */
	assert_before(s, "delete set inet meshc meshx/lan_access6\n",
		      "\tset meshx/mesh4 {");
	/* no object outside the part is named */
	assert_int_equal(count(s, "\nadd ") + count(s, "\nflush ") +
				 count(s, "\ndelete "),
			 count(s, " inet meshc meshx/"));
	assert_int_equal(count(s, "\tset "), count(s, "\tset meshx/"));
	assert_int_equal(count(s, "\tchain "), count(s, "\tchain meshx/"));
	assert_int_equal(strncmp(s, "# meshc nftables ruleset for node b "
				    "(mesh x)\n# generated by meshc; do not "
				    "edit\n", 73), 0);
	strbuf_free(&out);
}

static void test_nft_base_chains_accept_foreign_traffic(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_NFT, &V_THREE);

	(void)state;
	assert_int_equal(count(s, "policy accept;"), 4);
	assert_contains(s, "\tchain meshx/input {\n\t\ttype filter hook input "
			   "priority filter; policy accept;\n\t\tiifname "
			   "\"meshx\" jump meshx/mesh_input");
	assert_contains(s, "type filter hook forward priority filter; "
			   "policy accept;");
	assert_contains(s, "\tchain meshx/postrouting {\n\t\ttype nat hook "
			   "postrouting priority srcnat; policy accept;\n");
	assert_not_contains(s, "policy drop");
	/* Without nat there is no postrouting chain. */
	s = rendering(&out, T_NFT, &V_TINY);
	assert_int_equal(count(s, "policy accept;"), 3);
	assert_not_contains(s, "chain meshx/postrouting {");
	strbuf_free(&out);
}

static void test_nft_empty_set_has_no_elements_line(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_NFT, &V_THREE);

	(void)state;
	assert_contains(s, "\tset meshx/lan6 {\n\t\ttype ipv6_addr; flags interval;"
			   "\n\t}\n");
	assert_contains(s, "\tset meshx/routing6 {\n\t\ttype ipv6_addr;\n\t}\n");
	assert_contains(s, "\tset meshx/mesh4 {\n\t\ttype ipv4_addr; flags "
			   "interval;\n\t\telements = {\n"
			   "\t\t\t100.64.0.0/24,\t# mesh x (line 4)\n"
			   "\t\t\t100.64.1.0/24,\t# mesh y (line 9)\n\t\t}\n");
	/* Host addresses print bare, in plain (non-interval) sets. */
	assert_contains(s, "\tset meshx/routing4 {\n\t\ttype ipv4_addr;\n"
			   "\t\telements = {\n\t\t\t100.64.1.3,\t# c (line 27)\n");
	assert_not_contains(s, "100.64.1.3/32");
	strbuf_free(&out);
}

/* The way out is the set uplinks: the document's uplink, or (filled by
 * apply) the default routes' interfaces, which the file says. */
static void test_nft_uplink_set_or_default_routes(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_NFT, &V_THREE);

	(void)state;
	assert_contains(s, "		oifname @meshx/uplinks ip saddr @meshx/routing4 "
			   "accept comment \"rule 4: peers granted routing "
			   "reach the internet\"\n");
	assert_contains(s, "		oifname @meshx/uplinks ip saddr @meshx/routing4 "
			   "masquerade comment");
	assert_contains(s, "		oifname != \"meshx\" ip saddr @meshx/lan_access4 "
			   "ip daddr @meshx/lan4 masquerade comment");
	assert_contains(s, "	set meshx/uplinks {\n\t\ttype ifname;\n"
			   "\t\telements = {\n\t\t\t\"eth0\",\t# uplink\n");
	assert_not_contains(s, "the interfaces of the default routes");
	s = rendering(&out, T_NFT, &V_DUAL);
	assert_contains(s, "	set meshx/uplinks {\n\t\ttype ifname;\n"
			   "\t\t# meshc apply fills this: the interfaces of "
			   "the default routes");
	assert_contains(s, "	set meshx/local4 {\n\t\ttype ipv4_addr; flags "
			   "interval;\n\t\t# meshc apply fills this");
	assert_contains(s, "		oifname @meshx/uplinks ip saddr @meshx/routing4 "
			   "accept comment");
	assert_not_contains(s, "oifname != \"meshx\" ip saddr @meshx/routing");
	assert_not_contains(s, "eth0");
	strbuf_free(&out);
}

static void test_nft_dual_stack_rule_once_per_family(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_NFT, &V_DUAL);

	(void)state;
	assert_contains(s, "\t\tip saddr @meshx/incoming4 ip daddr @meshx/self4 accept "
			   "comment \"rule 6: peers granted incoming reach "
			   "this node\"\n\t\tip6 saddr @meshx/incoming6 ip6 daddr "
			   "@meshx/self6 accept comment");
	assert_contains(s, "\t\tip daddr @meshx/mesh4 drop comment \"rule 2: never "
			   "forward to a mesh address\"\n\t\tip6 daddr @meshx/mesh6 "
			   "drop comment");
	/* A rule without an address match is printed once. */
	assert_int_equal(count(s, "ct state established,related accept"), 2);
	assert_int_equal(count(s, "\t\tdrop comment \"rule 4"), 1);
	assert_contains(s, "\t\t\tfd64:0:0:1::2,\t# b (line 21)\n");
	strbuf_free(&out);
}

static void test_nft_rules_keep_plan_order_grouped_by_chain(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	const char *s;

	(void)state;
	s = rendering(&out, T_NFT, &V_THREE);
	assert_before(s, "chain meshx/input {", "chain meshx/mesh_input {");
	assert_before(s, "chain meshx/mesh_input {", "chain meshx/forward {");
	assert_before(s, "chain meshx/forward {", "chain meshx/from_mesh {");
	assert_before(s, "chain meshx/from_mesh {", "chain meshx/to_mesh {");
	assert_before(s, "chain meshx/to_mesh {", "chain meshx/postrouting {");
	assert_before(s, "ip daddr @meshx/mesh4 drop",
		      "oifname \"meshx\" drop");
	assert_before(s, "oifname \"meshx\" drop",
		      "ip saddr @meshx/lan_access4 ip daddr @meshx/lan4 "
		      "accept comment \"rule 3: peers granted local_network "
		      "reach the lan\"");
	assert_before(s, "ip saddr @meshx/lan_access4 ip daddr @meshx/lan4 "
			 "accept comment \"rule 3: peers granted "
			 "local_network reach the lan\"",
		      "ip daddr @meshx/lan4 drop");
	assert_before(s, "ip daddr @meshx/lan4 drop",
		      "ip daddr @meshx/private4 drop");
	assert_before(s, "ip daddr @meshx/private4 drop",
		      "ip saddr @meshx/routing4 accept");
	assert_before(s, "ip saddr @meshx/routing4 accept",
		      "drop comment \"rule 4: no");

	/* Rules of one chain that are not adjacent in the plan still come
	 * out in the plan's order, inside their chain. */
	arena_init(&a);
	p = make_plan(&a, &V_TINY);
	fw_add(&a, p, (struct fw_rule){ .chain = FW_CHAIN_INPUT, NO_SET,
		.iif = FW_IF_MESH, .family = IP_V6, .verdict = FW_DROP,
		.id = "late" });
	strbuf_reset(&out);
	render_nft(&out, p);
	s = strbuf_str(&out);
	assert_contains(s, "\t\tiifname \"meshx\" jump meshx/mesh_input\n\t\t"
			   "iifname \"meshx\" meta nfproto ipv6 drop\n\t}\n");
	arena_free(&a);
	strbuf_free(&out);
}

static void test_nft_comment_cannot_break_out_of_quotes(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	char long_comment[301];
	const char *s, *c, *end;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_TINY);
	p->fw.rules[1].comment = "say \"hi\"\n\taccept; \\ \x7f\xc3\xa9";
	memset(long_comment, 'x', 300);
	long_comment[300] = '\0';
	p->fw.rules[2].comment = long_comment;
	render_nft(&out, p);
	s = strbuf_str(&out);
	assert_contains(s, "accept comment \"rule 6: say 'hi'??accept; \\ "
			   "???\"\n");
	c = strstr(s, "drop comment \"rule 6: xxx");
	assert_non_null(c);
	c += strlen("drop comment \"");
	end = strchr(c, '"');
	assert_non_null(end);
	assert_int_equal(end - c, 127);
	assert_int_equal(end[1], '\n');
	arena_free(&a);
	strbuf_free(&out);
}

static void test_nft_duplicate_elements_printed_once(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	struct plan *p;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_TINY);
	set_add(&a, p, FW_SET_INCOMING, "100.64.0.1/32", "a again", 0);
	plan_sort(p);
	render_nft(&out, p);
	assert_int_equal(count(strbuf_str(&out), "\t\t\t100.64.0.1,"), 1);
	arena_free(&a);
	strbuf_free(&out);
}

static bool can_run_root_tools(const char *tool)
{
	return geteuid() == 0 && have_tool(tool) && have_tool("unshare");
}

static void test_nft_accepts_every_variant(void **state)
{
	static const struct variant *const variants[] = {
		&V_TINY, &V_TWO, &V_THREE, &V_EXIT, &V_DUAL, &V_DUAL_EXIT,
	};
	struct strbuf out = STRBUF_INIT;

	(void)state;
	if (!can_run_root_tools("nft"))
		skip();
	for (size_t i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
		char path[64], cmd[256];

		write_temp(rendering(&out, T_NFT, variants[i]), path);
		snprintf(cmd, sizeof(cmd), "unshare -n nft -c -f %s", path);
		if (system(cmd) != 0)
			fail_msg("nft -c refused variant %zu:\n%s", i,
				 strbuf_str(&out));
		/* Loading twice in a throwaway namespace: the second load
		 * replaces the table, as apply relies on. */
		snprintf(cmd, sizeof(cmd),
			 "unshare -n sh -c 'nft -f %s && nft -f %s && "
			 "nft list table inet meshc | grep -q \"managed by "
			 "meshc\"'", path, path);
		if (system(cmd) != 0)
			fail_msg("nft -f twice failed for variant %zu", i);
		unlink(path);
	}
	strbuf_free(&out);
}

/* --- routes --- */

static void test_routes_exit_node_policy_routing(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_ROUTES, &V_EXIT);

	(void)state;
	assert_contains(s, "address replace 100.64.0.2/32 dev meshx\n");
	assert_contains(s, "route replace 100.64.0.0/24 dev meshx proto 77 "
			   "table main\t# mesh x\n");
	assert_contains(s, "route replace 0.0.0.0/0 dev meshx proto 77 table "
			   "1296280440\t# exit node a\n");
	assert_contains(s, "\nrule add priority 32100 not from all fwmark "
			   "0x4d43ab78 lookup main suppress_prefixlength 0\n"
			   "rule add priority 32101 "
			   "not from all fwmark 0x4d43ab78 lookup 1296280440\n");
	assert_before(s, "route replace", "rule add");
	assert_not_contains(s, "#ip6");
	strbuf_free(&out);
}

static void test_routes_ipv6_rules_go_to_ip6_batch(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_ROUTES, &V_DUAL_EXIT);

	(void)state;
	assert_contains(s, "address replace fd64:0:0:1::2/128 dev meshx\n");
	assert_contains(s, "route replace ::/0 dev meshx proto 77 table 1296280440");
	assert_contains(s, "\n#ip6 rule add priority 32100 not from all "
			   "fwmark 0x4d43ab78 lookup main "
			   "suppress_prefixlength 0\n#ip6 rule add "
			   "priority 32101 not from all fwmark 0x4d43ab78 lookup "
			   "1296280440\n");
	/* iproute2 would add an IPv4 rule for "from ::/0". */
	assert_not_contains(s, "from ::/0");
	assert_int_equal(count(s, "\nrule add"), 2);
	strbuf_free(&out);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void test_routes_accepted_by_ip_batch(void **state)
{
	static const struct variant *const variants[] = {
		&V_TINY, &V_THREE, &V_EXIT, &V_DUAL, &V_DUAL_EXIT,
	};
	struct strbuf out = STRBUF_INIT;
	char ns[64];

	(void)state;
	if (geteuid() != 0 || !have_tool("ip"))
		skip();
	snprintf(ns, sizeof(ns), "meshc-test-render-%ld", (long)getpid());
	for (size_t i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
		char path[64];
		int rc;

		write_temp(rendering(&out, T_ROUTES, variants[i]), path);
		if (sh("ip netns add %s", ns) != 0)
			skip();
		/* dummy if the kernel has it, else one end of a veth pair */
		rc = sh("{ ip -n %s link add meshx type dummy 2>/dev/null || "
			"ip -n %s link add meshx type veth peer name meshxp; } && "
			"ip -n %s link set meshx up", ns, ns, ns);
		if (rc == 0)
			rc = sh("ip -n %s -batch %s", ns, path);
		if (rc == 0)
			rc = sh("sed -n 's/^#ip6 //p' %s | ip -n %s -6 -batch -",
				path, ns);
		if (rc == 0 && variants[i]->exit)
			rc = sh("ip -n %s rule | grep -q '^32101:.*not from all "
				"fwmark 0x4d43ab78 lookup 1296280440' && ip -n %s route "
				"show table 1296280440 proto 77 | grep -q '^default "
				"dev meshx'", ns, ns);
		if (rc == 0 && variants[i]->exit && variants[i]->dual)
			rc = sh("ip -n %s -6 rule | grep -q '^32100:.*"
				"suppress_prefixlength 0'", ns);
		sh("ip netns del %s", ns);
		unlink(path);
		if (rc != 0)
			fail_msg("ip -batch refused variant %zu:\n%s", i,
				 strbuf_str(&out));
	}
	strbuf_free(&out);
}

/* --- wg --- */

static void test_wg_exit_node_fwmark_and_default_route(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_WG, &V_DUAL_EXIT);

	(void)state;
	assert_contains(s, "[Interface]\nListenPort = 51820\nFwMark = 0x4d43ab78\n");
	assert_contains(s, "\n[Peer]\n# a\nPublicKey = " KEY_A "\nAllowedIPs = "
			   "0.0.0.0/0, 100.64.0.1/32, ::/0, fd64:0:0:1::1/128\n"
			   "Endpoint = 198.51.100.10:51820\n\n");
	assert_contains(s, "\n[Peer]\n# d\nPublicKey = " KEY_D "\nAllowedIPs = "
			   "100.64.0.4/32, 192.168.4.0/24, fd64:0:0:1::4/128\n"
			   "Endpoint = [2001:db8::4]:51820\n"
			   "PersistentKeepalive = 25\n");
	assert_not_contains(s, "Address");
	assert_not_contains(s, "DNS");
	s = rendering(&out, T_WG, &V_THREE);
	assert_not_contains(s, "FwMark");
	strbuf_free(&out);
}

static void test_wg_private_key_only_when_passed(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	struct plan *p;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_TWO);
	render_wg(&out, p, NULL, NULL);
	assert_contains(strbuf_str(&out), "\n# PrivateKey: read from "
			"/etc/meshc/private.key (use --with-secrets)\n");
	assert_not_contains(strbuf_str(&out), "PrivateKey =");
	strbuf_reset(&out);
	render_wg(&out, p, SECRET, NULL);
	assert_contains(strbuf_str(&out), "[Interface]\nListenPort = 51820\n"
			"PrivateKey = " SECRET "\n\n[Peer]\n");
	assert_not_contains(strbuf_str(&out), "# PrivateKey");
	arena_free(&a);
	strbuf_free(&out);
}

/* A peer's preshared key: wg and wg-quick print it only when passed
 * (after PublicKey, where wg(8) puts it), else a comment names the file;
 * the text plan and JSON name the file and never hold a key; a peer
 * without one (a linked peer) gets nothing. */
static void test_psk_source_shown_key_only_when_passed(void **state)
{
	static const char *const psks[] = { NULL, SECRET, NULL };
	struct strbuf out = STRBUF_INIT;
	struct wgquick_extra x = { .private_key_b64 = SECRET, .psk_b64 = psks };
	struct arena a;
	struct plan *p;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_THREE);
	p->peers[1].preshared_key_file = "/etc/meshc/x.psk";
	p->peers[1].preshared_key_loc = at(7);
	render_wg(&out, p, NULL, NULL);
	assert_contains(strbuf_str(&out), "\nPublicKey = " KEY_C "\n"
			"# PresharedKey: derived from /etc/meshc/x.psk (use "
			"--with-secrets)\nAllowedIPs = ");
	assert_int_equal(count(strbuf_str(&out), "PresharedKey"), 1);
	strbuf_reset(&out);
	render_wg(&out, p, NULL, psks);
	assert_contains(strbuf_str(&out), "\nPublicKey = " KEY_C "\n"
			"PresharedKey = " SECRET "\nAllowedIPs = ");
	assert_int_equal(count(strbuf_str(&out), "PresharedKey"), 1);
	strbuf_reset(&out);
	render_wgquick(&out, p, &x);
	assert_contains(strbuf_str(&out), "\nPublicKey = " KEY_C "\n"
			"PresharedKey = " SECRET "\nAllowedIPs = ");
	assert_int_equal(count(strbuf_str(&out), "PresharedKey"), 1);
	strbuf_reset(&out);
	render_plan_text(&out, p);
	assert_contains(strbuf_str(&out), "    keepalive    off\n"
			"    psk          derived from /etc/meshc/x.psk  line 7\n");
	assert_int_equal(count(strbuf_str(&out), "    psk "), 1);
	strbuf_reset(&out);
	render_json(&out, p);
	assert_contains(strbuf_str(&out),
			"\"preshared_key_file\": \"/etc/meshc/x.psk\"");
	assert_int_equal(count(strbuf_str(&out),
			       "\"preshared_key_file\": null"), 2);
	assert_not_contains(strbuf_str(&out), SECRET);
	arena_free(&a);
	strbuf_free(&out);
}

/* --- wgquick (meshc export) --- */

/* What the apps import: the key, the node's addresses as host prefixes,
 * DNS/MTU/ListenPort only when given, never FwMark (the exit-node plan has
 * one), and [Peer] sections identical to the wg target's. */
static void test_wgquick_app_file(void **state)
{
	struct strbuf out = STRBUF_INIT, wg = STRBUF_INIT;
	struct wgquick_extra x = { .private_key_b64 = SECRET };
	struct arena a;
	struct plan *p;
	const char *s;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_DUAL_EXIT);
	render_wgquick(&out, p, &x);
	s = strbuf_str(&out);
	assert_contains(s, "[Interface]\nPrivateKey = " SECRET "\nAddress = ");
	assert_contains(s, "/32, ");
	assert_contains(s, "/128\n\n[Peer]\n");
	assert_not_contains(s, "FwMark");
	assert_not_contains(s, "ListenPort");
	assert_not_contains(s, "DNS");
	assert_not_contains(s, "MTU");
	render_wg(&wg, p, NULL, NULL);
	assert_string_equal(strstr(s, "\n[Peer]\n"),
			    strstr(strbuf_str(&wg), "\n[Peer]\n"));
	strbuf_reset(&out);
	x.listen_port = 51821;
	p->iface.dns = (struct plan_dns[]){ { .entry = "100.64.0.1" },
					    { .entry = "fd64::1" },
					    { .entry = "corp.example" } };
	p->iface.n_dns = 3;
	p->iface.mtu = 1380;
	render_wgquick(&out, p, &x);
	assert_contains(strbuf_str(&out), "/128\nDNS = 100.64.0.1, fd64::1, "
			"corp.example\nMTU = 1380\nListenPort = 51821\n\n"
			"[Peer]\n");
	/* wg setconf takes neither: the wg target leaves both out */
	strbuf_reset(&wg);
	render_wg(&wg, p, NULL, NULL);
	assert_not_contains(strbuf_str(&wg), "DNS");
	assert_not_contains(strbuf_str(&wg), "MTU");
	arena_free(&a);
	strbuf_free(&wg);
	strbuf_free(&out);
}

static void test_wg_accepted_by_wg_setconf(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	char path[64], ns[64], ifname[16];
	int rc;

	(void)state;
	if (geteuid() != 0 || !have_tool("wireguard-go") || !have_tool("wg") ||
	    !have_tool("ip") || access("/dev/net/tun", R_OK | W_OK) != 0)
		skip();
	arena_init(&a);
	render_wg(&out, make_plan(&a, &V_DUAL_EXIT), SECRET, NULL);
	arena_free(&a);
	write_temp(strbuf_str(&out), path);
	snprintf(ns, sizeof(ns), "meshc-test-wg-%ld", (long)getpid());
	snprintf(ifname, sizeof(ifname), "mcwg%ld", (long)getpid() % 100000);
	if (sh("ip netns add %s", ns) != 0)
		skip();
	/* Userspace WireGuard in a namespace of our own; deleting its
	 * interface ends it. */
	rc = sh("ip netns exec %s env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 "
		"wireguard-go %s >/dev/null 2>&1", ns, ifname);
	if (rc == 0)
		rc = sh("for i in 1 2 3 4 5 6 7 8 9 10; do ip netns exec %s wg "
			"setconf %s %s 2>/dev/null && exit 0; sleep 0.2; done; "
			"exit 1", ns, ifname, path);
	if (rc == 0)
		rc = sh("ip netns exec %s wg showconf %s | grep -q '^PrivateKey "
			"= " SECRET "$' && ip netns exec %s wg showconf %s | "
			"grep -q '^FwMark = 0x4d43ab78$' && ip netns exec %s wg show "
			"%s peers | grep -c . | grep -qx 3", ns, ifname, ns,
			ifname, ns, ifname);
	sh("ip -n %s link del %s 2>/dev/null", ns, ifname);
	sh("ip netns del %s", ns);
	unlink(path);
	if (rc != 0)
		fail_msg("wg setconf refused:\n%s", strbuf_str(&out));
	strbuf_free(&out);
}

static void test_pf_untranslatable_rule_becomes_comment(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	struct plan *p;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_TINY);
	fw_add(&a, p, (struct fw_rule){ .chain = FW_CHAIN_MESH_INPUT, NO_SET,
		.verdict = FW_JUMP, .target = FW_CHAIN_TO_MESH });
	render_pf(&out, p);
	assert_contains(strbuf_str(&out), "\n# not translated (nested jump): "
			"mesh_input: jump to_mesh\n");
	arena_free(&a);
	strbuf_free(&out);
}

/* --- secrets --- */

static void test_no_private_key_in_any_target(void **state)
{
	static const struct variant *const variants[] = {
		&V_TINY, &V_THREE, &V_DUAL_EXIT,
	};
	struct strbuf out = STRBUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
		for (int t = 0; t < T_N; t++) {
			const char *s = rendering(&out, t, variants[i]);

			assert_not_contains(s, SECRET);
			assert_not_contains(s, "PrivateKey =");
			assert_not_contains(s, "\"private_key\"");
		}
	}
	strbuf_free(&out);
}

/* --- pf --- */

static void test_pf_quick_rules_in_nft_order(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_PF, &V_THREE);
	static const char *const order[] = {
		"table <mesh4> const { 100.64.0.0/24, 100.64.1.0/24 }\n",
		"table <self4> const { 100.64.0.2 }\n",
		"nat on eth0 inet from <lan_access4> to <lan4> -> (eth0)\n",
		"nat on eth0 inet from <routing4> to any -> (eth0)\n",
		"pass in quick on meshx inet from <incoming4> to <self4> keep state\n",
		"block drop in quick on meshx inet from any to <self4>\n",
		"block drop in quick on meshx inet from any to <mesh4>\n",
		"pass in quick on meshx inet from <lan_access4> to <lan4> keep state\n",
		"block drop in quick on meshx inet from any to <lan4>\n",
		"block drop in quick on meshx inet from any to <private4>\n",
		"block drop in quick on meshx inet6 from any to <private6>\n",
		"pass in quick on meshx inet from <routing4> to any keep state\n",
		"block drop in quick on meshx all\n",
		"pass out quick on meshx inet from <self4> to any keep state\n",
		"block drop out quick on meshx all\n",
	};

	(void)state;
	for (size_t i = 0; i + 1 < sizeof(order) / sizeof(*order); i++)
		assert_before(s, order[i], order[i + 1]);
	/* State does the work of the ct rules; pf has no oif on "in". */
	assert_not_contains(s, "established");
	assert_not_contains(s, "oifname");
	assert_not_contains(s, "not translated");
	assert_int_equal(count(s, "quick"), 11);
	strbuf_free(&out);
}

static void test_pf_leaves_out_empty_tables_and_their_rules(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_PF, &V_THREE);

	(void)state;
	assert_not_contains(s, "<self6>");
	assert_not_contains(s, "<lan6>");
	assert_not_contains(s, "<routing6>");
	assert_not_contains(s, "inet6 from <incoming6>");
	s = rendering(&out, T_PF, &V_DUAL);
	assert_contains(s, "table <self6> const { fd64:0:0:1::2 }\n");
	assert_contains(s, "pass in quick on meshx inet6 from <incoming6> to "
			   "<self6> keep state\n");
	assert_contains(s, "pass out quick on meshx inet6 from <self6> to any "
			   "keep state\n");
	strbuf_free(&out);
}

static void test_pf_nat_on_uplink_or_en0(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_PF, &V_DUAL);

	(void)state;
	assert_contains(s, "# no uplink in the document: en0 assumed\n"
			   "nat on en0 inet from <lan_access4> to <lan4> -> (en0)\n"
			   "nat on en0 inet from <routing4> to any -> (en0)\n");
	s = rendering(&out, T_PF, &V_TINY);
	assert_not_contains(s, "nat on");
	strbuf_free(&out);
}

/* --- json --- */

static void test_json_validates_against_schema(void **state)
{
	static const struct variant *const variants[] = {
		&V_TINY, &V_TWO, &V_THREE, &V_EXIT, &V_DUAL, &V_DUAL_EXIT,
	};
	static const char check[] =
		"import json, sys\n"
		"try:\n"
		"    import jsonschema\n"
		"except ImportError:\n"
		"    sys.exit(77)\n"
		"schema = json.load(open(sys.argv[1]))\n"
		"jsonschema.Draft202012Validator.check_schema(schema)\n"
		"text = open(sys.argv[2]).read()\n"
		"doc = json.loads(text)\n"
		"jsonschema.Draft202012Validator(schema).validate(doc)\n"
		"# the layout is exactly json.dumps(indent=2)\n"
		"assert json.dumps(doc, indent=2, ensure_ascii=False) + '\\n' == text\n";
	const char *schema = "schemas/meshc-plan.schema.json";
	struct strbuf out = STRBUF_INIT;
	char script[64];

	(void)state;
	if (access(schema, R_OK) != 0 || !have_tool("python3"))
		skip();
	write_temp(check, script);
	for (size_t i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
		char path[64];
		int rc;

		write_temp(rendering(&out, T_JSON, variants[i]), path);
		rc = sh("python3 %s %s %s", script, schema, path);
		unlink(path);
		if (rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
			unlink(script);
			skip();
		}
		if (rc != 0)
			fail_msg("schema check failed for variant %zu:\n%s", i,
				 strbuf_str(&out));
	}
	unlink(script);
	strbuf_free(&out);
}

static void test_json_nulls_exit_node_and_rules(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_JSON, &V_EXIT);

	(void)state;
	assert_contains(s, "\n  \"exit_node\": \"a\",\n  \"forwards\": true,\n");
	assert_contains(s, "\"fwmark\": 1296280440,\n");
	assert_contains(s, "      \"name\": \"c\",\n      \"public_key\": \""
			   KEY_C "\",\n      \"endpoint\": null,\n");
	assert_contains(s, "{\n      \"family\": 4,\n      \"priority\": 32101,\n"
			   "      \"table\": 1296280440,\n      \"fwmark\": 1296280440,\n"
			   "      \"invert\": true,\n"
			   "      \"suppress_prefixlen\": null\n    }");
	assert_contains(s, "\"suppress_prefixlen\": 0\n");
	assert_contains(s, "\"uplink\": \"eth0\",\n");
	assert_contains(s, "\"verdict\": \"jump\",\n        \"target\": "
			   "\"from_mesh\",\n");
	assert_contains(s, "\"saddr\": \"routing\",\n          \"daddr\": null\n");
	assert_int_equal(s[strlen(s) - 1], '\n');
	assert_int_equal(s[strlen(s) - 2], '}');
	strbuf_free(&out);
}

static void test_json_escapes_strings(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct arena a;
	struct plan *p;

	(void)state;
	arena_init(&a);
	p = make_plan(&a, &V_TINY);
	p->routes[0].why = "say \"hi\"\\\n";
	render_json(&out, p);
	assert_contains(strbuf_str(&out), "\"why\": \"say \\\"hi\\\"\\\\\\n\"\n");
	arena_free(&a);
	strbuf_free(&out);
}

/* --- every target --- */

static void test_render_byte_stable_whatever_the_input_order(void **state)
{
	struct strbuf first = STRBUF_INIT, again = STRBUF_INIT;
	struct arena a;
	struct plan *p;

	(void)state;
	arena_init(&a);
	for (int t = 0; t < T_N; t++) {
		p = make_plan(&a, &V_DUAL_EXIT);
		strbuf_reset(&first);
		render(&first, t, p);
		/* Shuffle what plan_sort orders, sort again: same bytes. */
		for (size_t i = 0; i < p->n_peers / 2; i++) {
			struct plan_peer tmp = p->peers[i];

			p->peers[i] = p->peers[p->n_peers - 1 - i];
			p->peers[p->n_peers - 1 - i] = tmp;
		}
		for (size_t i = 0; i < p->n_routes / 2; i++) {
			struct plan_route tmp = p->routes[i];

			p->routes[i] = p->routes[p->n_routes - 1 - i];
			p->routes[p->n_routes - 1 - i] = tmp;
		}
		plan_sort(p);
		strbuf_reset(&again);
		render(&again, t, p);
		assert_string_equal(strbuf_str(&first), strbuf_str(&again));
	}
	arena_free(&a);
	strbuf_free(&first);
	strbuf_free(&again);
}

static void test_text_exit_node_variant(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_TEXT, &V_EXIT);

	(void)state;
	assert_contains(s, "\nexit node a\nforwards  yes\n");
	assert_contains(s, "  fwmark            0x4d43ab78\n");
	assert_contains(s, "    allowed ips  0.0.0.0/0      exit node     line 22\n"
			   "                 100.64.0.1/32  mesh address  line 14\n");
	assert_contains(s, "  0.0.0.0/0       dev meshx  table 1296280440  exit node a"
			   "  line 22\n");
	assert_contains(s, "  ipv4  priority 32101 not from all fwmark 0x4d43ab78 "
			   "lookup 1296280440\n");
	assert_contains(s, "firewall  table inet meshc, interface meshx, uplink "
			   "eth0, nat yes\n");
	assert_contains(s, "    ip daddr @mesh4 drop");
	assert_contains(s, "(spec rule 2) never forward to a mesh address  line 4\n");
	assert_contains(s, "  chain postrouting (nat hook postrouting, policy "
			   "accept)\n");
	/* Rules on empty v6 sets cannot match and are not shown; the
	 * private ranges are there in both families. */
	assert_not_contains(s, "ip6 saddr");
	assert_not_contains(s, "@mesh6");
	assert_contains(s, "    ip6 daddr @private6 drop");
	strbuf_free(&out);
}

static void test_sysctl_reason_above_each_setting(void **state)
{
	struct strbuf out = STRBUF_INIT;
	const char *s = rendering(&out, T_SYSCTL, &V_DUAL_EXIT);

	(void)state;
	assert_contains(s, "\n\n# exit node: replies to the tunnel keep their "
			   "mark\nnet.ipv4.conf.all.src_valid_mark = 1\n\n"
			   "# c may route through b (spec rule 4)\n"
			   "net.ipv4.ip_forward = 1\n\n"
			   "# c may route through b (spec rule 4)\n"
			   "net.ipv6.conf.all.forwarding = 1\n");
	strbuf_free(&out);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_tiny_plan_exact),
		cmocka_unit_test(test_pf_tiny_plan_exact),
		cmocka_unit_test(test_wg_tiny_plan_exact),
		cmocka_unit_test(test_routes_tiny_plan_exact),
		cmocka_unit_test(test_sysctl_two_peer_plan_exact),
		cmocka_unit_test(test_text_tiny_plan_exact),
		cmocka_unit_test(test_json_tiny_plan_exact),
		cmocka_unit_test(test_text_and_json_mtu_and_dns),
		cmocka_unit_test(test_nft_replaces_its_own_part_atomically),
		cmocka_unit_test(test_nft_base_chains_accept_foreign_traffic),
		cmocka_unit_test(test_nft_empty_set_has_no_elements_line),
		cmocka_unit_test(test_nft_uplink_set_or_default_routes),
		cmocka_unit_test(test_nft_dual_stack_rule_once_per_family),
		cmocka_unit_test(test_nft_rules_keep_plan_order_grouped_by_chain),
		cmocka_unit_test(test_nft_comment_cannot_break_out_of_quotes),
		cmocka_unit_test(test_nft_duplicate_elements_printed_once),
		cmocka_unit_test(test_nft_accepts_every_variant),
		cmocka_unit_test(test_routes_exit_node_policy_routing),
		cmocka_unit_test(test_routes_ipv6_rules_go_to_ip6_batch),
		cmocka_unit_test(test_routes_accepted_by_ip_batch),
		cmocka_unit_test(test_wg_exit_node_fwmark_and_default_route),
		cmocka_unit_test(test_wg_private_key_only_when_passed),
		cmocka_unit_test(test_psk_source_shown_key_only_when_passed),
		cmocka_unit_test(test_wgquick_app_file),
		cmocka_unit_test(test_wg_accepted_by_wg_setconf),
		cmocka_unit_test(test_no_private_key_in_any_target),
		cmocka_unit_test(test_pf_untranslatable_rule_becomes_comment),
		cmocka_unit_test(test_pf_quick_rules_in_nft_order),
		cmocka_unit_test(test_pf_leaves_out_empty_tables_and_their_rules),
		cmocka_unit_test(test_pf_nat_on_uplink_or_en0),
		cmocka_unit_test(test_json_validates_against_schema),
		cmocka_unit_test(test_json_nulls_exit_node_and_rules),
		cmocka_unit_test(test_json_escapes_strings),
		cmocka_unit_test(test_render_byte_stable_whatever_the_input_order),
		cmocka_unit_test(test_text_exit_node_variant),
		cmocka_unit_test(test_sysctl_reason_above_each_setting),
	};

	if (argc == 4 && !strcmp(argv[1], "--dump")) {
		static const struct {
			const char *name;
			const struct variant *v;
		} variants[] = {
			{ "tiny", &V_TINY }, { "two", &V_TWO },
			{ "three", &V_THREE }, { "exit", &V_EXIT },
			{ "dual", &V_DUAL }, { "dual-exit", &V_DUAL_EXIT },
		};
		struct strbuf out = STRBUF_INIT;

		for (int t = 0; t < T_N; t++)
			for (size_t i = 0; i < sizeof(variants) / sizeof(*variants); i++)
				if (!strcmp(argv[2], target_names[t]) &&
				    !strcmp(argv[3], variants[i].name)) {
					fputs(rendering(&out, t, variants[i].v),
					      stdout);
					strbuf_free(&out);
					return 0;
				}
		fprintf(stderr, "unknown target or variant\n");
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
