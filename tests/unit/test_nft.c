/* test_nft.c - meshc's nftables table: batch, decoder, kernel round trip.
 *
 * Pure tests (no root): the messages a sync sends, the decoder on objects
 * built as the kernel returns them (by hand, or parsed back from the
 * batch itself), the reader on recorded kernel replies (data/nft/
 * fixtures.inc, made by data/nft/record.sh), prefix <-> range conversion.
 *
 * Root tests run each in a fresh network namespace (this process calls
 * unshare(CLONE_NEWNET), so nothing outside the namespace is touched) and
 * are skipped with a message without root: the compiled seed document
 * goes into the kernel, is read back and must diff equal; `nft list` of
 * meshc's batch must equal `nft list` after `nft -f` of the renderer's
 * file; element-only updates, replacement, refusal of a foreign table,
 * down, and a refused batch that leaves the old table intact.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/udata.h>

#include "apply/internal.h"
#include "apply/nft_internal.h"
#include "apply/nl.h"
#include "base/strbuf.h"
#include "compile/compile.h"
#include "diff/diff.h"
#include "load/load.h"
#include "render/render.h"
#include "validate/validate.h"

#define SEED "examples/seed.yaml"
/* The seed document's mesh interface: the part the tests read. */
#define IFACE "meshx"

static const char *own(char buf[NFT_NAME_MAX], const char *name)
{
	return nft_part_name(buf, IFACE, name);
}

/* One recorded reply: the datagrams the kernel sent for one request. */
struct nft_fx {
	enum nft_dump kind;
	const char *set;	/* NFT_DUMP_ELEMS: whose */
	const unsigned char *bytes;
	size_t len;
};

#include "data/nft/fixtures.inc"
#include "data/nft/fixtures-legacy.inc"

/* ---- plans ----------------------------------------------------------- */

/* Compile a node of a document; tweak (if any) edits the loaded model
 * before validation, e.g. to give a node an endpoint. */
static struct plan *compile_doc(struct arena *a, const char *file,
				const char *node,
				void (*tweak)(struct model *m))
{
	struct source src;
	struct diags d;
	struct model *m;
	size_t idx;

	diags_init(&d, a);
	if (load_read_source(a, file, &src, &d))
		fail_msg("cannot read %s (run the test from the repo root)",
			 file);
	m = load_model(a, &src, &d);
	assert_non_null(m);
	if (tweak)
		tweak(m);
	validate_model(a, m, &d);
	assert_int_equal(d.errors, 0);
	idx = model_node_find(m, node);
	assert_int_not_equal(idx, MODEL_NONE);
	return compile_node(a, m, idx);
}

static struct plan *compile_seed(struct arena *a, const char *node)
{
	return compile_doc(a, SEED, node, NULL);
}

#define HUB "examples/hub.yaml"

/* hub.yaml's mesh on the tests' interface, so the kernel tests' part is
 * IFACE's. */
static void hub_on_meshx(struct model *m)
{
	m->meshes[model_mesh_find(m, "home")].interface.v = IFACE;
}

/* ... and desk has an endpoint: its pairs are no longer relayed. */
static void hub_desk_direct(struct model *m)
{
	struct m_endpoint *e = &m->nodes[model_node_find(m, "desk")].endpoint;

	hub_on_meshx(m);
	e->text = "192.0.2.11:51820";
	e->host = "192.0.2.11";
	e->port = 51820;
	e->set = true;
}

/* Limited grants of every kind (tests/unit/data/services.yaml). */
#define SERVICES "tests/unit/data/services.yaml"

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;
	const char *why;

	if (ip_prefix_parse(s, &p, &why))
		fail_msg("bad prefix %s: %s", s, why);
	return p;
}

/* A copy of fw whose arrays may be changed. */
static struct plan_firewall copy_fw(struct arena *a,
				    const struct plan_firewall *fw)
{
	struct plan_firewall c = *fw;

	c.rules = arena_calloc(a, fw->n_rules + 1, sizeof(*c.rules));
	if (fw->n_rules)
		memcpy(c.rules, fw->rules, fw->n_rules * sizeof(*c.rules));
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < 2; f++) {
			struct fw_set *s = &c.sets[id][f];
			struct fw_elem *e = arena_calloc(a, s->n_elems + 1,
							 sizeof(*e));

			if (s->n_elems)
				memcpy(e, s->elems, s->n_elems * sizeof(*e));
			s->elems = e;
		}
	return c;
}

/* How many kernel sets a part has: two per address set, one per ifname
 * set. */
static int set_objects(void)
{
	int n = 0;

	for (int id = 0; id < FW_SET_COUNT && !fw_set_id_is_service(id); id++)
		n += fw_set_slots(id);
	return n;
}

/* The i-th of them, in the builder's order. */
static const char *set_object_name(int i)
{
	for (int id = 0; id < FW_SET_COUNT && !fw_set_id_is_service(id); id++)
		for (int f = 0; f < fw_set_slots(id); f++)
			if (!i--)
				return fw_set_name(id, fw_set_family(id, f));
	return "?";
}

/* The ifname set FW_SET_UPLINK holds exactly these names (sorted). */
static void fw_set_uplinks(struct arena *a, struct plan_firewall *fw,
			   const char *const *names, size_t n)
{
	struct fw_set *s = &fw->sets[FW_SET_UPLINK][0];

	s->elems = arena_calloc(a, n + 1, sizeof(*s->elems));
	s->n_elems = n;
	for (size_t i = 0; i < n; i++)
		s->elems[i].ifname = names[i];
	qsort(s->elems, s->n_elems, sizeof(*s->elems), fw_elem_cmp);
}

static void fw_add_elem(struct arena *a, struct plan_firewall *fw, int id,
			const char *prefix)
{
	struct ip_prefix p = pfx(prefix);
	struct fw_set *s = &fw->sets[id][p.addr.family == IP_V6];
	struct fw_elem *e = arena_calloc(a, s->n_elems + 1, sizeof(*e));

	if (s->n_elems)
		memcpy(e, s->elems, s->n_elems * sizeof(*e));
	e[s->n_elems].prefix = p;
	s->elems = e;
	s->n_elems++;
	qsort(s->elems, s->n_elems, sizeof(*s->elems), fw_elem_cmp);
}

static void fw_del_elem(struct plan_firewall *fw, int id, const char *prefix)
{
	struct ip_prefix p = pfx(prefix);
	struct fw_set *s = &fw->sets[id][p.addr.family == IP_V6];

	for (size_t i = 0; i < s->n_elems; i++) {
		if (ip_prefix_cmp(&s->elems[i].prefix, &p))
			continue;
		memmove(&s->elems[i], &s->elems[i + 1],
			(s->n_elems - i - 1) * sizeof(*s->elems));
		s->n_elems--;
		return;
	}
	fail_msg("%s is not in set %d", prefix, id);
}

static struct plan *with_fw(struct arena *a, const struct plan *base,
			    const struct plan_firewall *fw)
{
	struct plan *p = arena_alloc(a, sizeof(*p));

	*p = *base;
	p->fw = *fw;
	return p;
}

static void diff_fw(struct arena *a, const struct plan *base,
		    const struct plan_firewall *live, const struct plan *want,
		    struct changeset *cs)
{
	memset(cs, 0, sizeof(*cs));
	diff_plans(a, with_fw(a, base, live), want, cs);
}

/* The central property: live fw diffs equal to the plan it came from. */
static void assert_fw_matches(struct arena *a, const struct plan_firewall *live,
			      const struct plan *want)
{
	struct changeset cs;

	diff_fw(a, want, live, want, &cs);
	if (!changeset_empty(&cs)) {
		struct strbuf sb = STRBUF_INIT;
		struct node_diff nd = { "b", with_fw(a, want, live), want,
					&cs };

		diff_render_text(&sb, &nd, false);
		fprintf(stderr, "%s", strbuf_str(&sb));
		strbuf_free(&sb);
		fail_msg("live firewall differs from the plan (%zu changes)",
			 cs.count);
	}
}

static size_t count_unknown(const struct plan_firewall *fw)
{
	size_t n = 0;

	for (size_t i = 0; i < fw->n_rules; i++)
		n += fw->rules[i].id &&
		     !strcmp(fw->rules[i].id, NFT_UNKNOWN_ID);
	return n;
}

/* Kernel rules a firewall becomes: family-0 set rules are two. */
static size_t kernel_rules(const struct plan_firewall *fw)
{
	size_t n = 0;

	for (size_t i = 0; i < fw->n_rules; i++) {
		const struct fw_rule *r = &fw->rules[i];

		n += r->family == 0 && (r->saddr_set != FW_SET_NONE ||
					r->daddr_set != FW_SET_NONE) ? 2 : 1;
	}
	return n;
}

/* ---- the batch parsed back, as the kernel would store it ------------ */

static struct nftnl_set *live_set(struct nft_live *l, const char *name)
{
	for (size_t i = 0; i < l->n_sets; i++)
		if (!strcmp(nftnl_set_get_str(l->sets[i], NFTNL_SET_NAME),
			    name))
			return l->sets[i];
	return NULL;
}

/* libnftnl numbers the elements of a message it builds 1, 2, 3 ... (the
 * kernel takes any number) but parses only NFTA_LIST_ELEM, which is what
 * the kernel's dumps use: renumber a copy as the kernel would send it. */
static const struct nlmsghdr *as_dumped(struct arena *a,
					const struct nlmsghdr *orig)
{
	struct nlmsghdr *nlh = arena_alloc(a, orig->nlmsg_len);
	struct nlattr *attr, *elem;

	memcpy(nlh, orig, orig->nlmsg_len);
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(elem, attr)
			elem->nla_type = (elem->nla_type & ~NLA_TYPE_MASK) |
					 NFTA_LIST_ELEM;
	}
	return nlh;
}

static void replay_msg(struct arena *a, struct nft_live *l,
		       const struct nlmsghdr *nlh)
{
	struct nftnl_set *tmp, *s;

	switch (nlh->nlmsg_type & 0xff) {
	case NFT_MSG_DELTABLE:
		nft_live_free(l);
		break;
	case NFT_MSG_NEWTABLE:
		if (l->table)	/* declared again: the table stays */
			break;
		l->table = nftnl_table_alloc();
		assert_int_equal(nftnl_table_nlmsg_parse(nlh, l->table), 0);
		break;
	case NFT_MSG_NEWSET:
		s = nftnl_set_alloc();
		assert_int_equal(nftnl_set_nlmsg_parse(nlh, s), 0);
		nft_live_add_set(a, l, s);
		break;
	case NFT_MSG_NEWSETELEM:
		nlh = as_dumped(a, nlh);
		tmp = nftnl_set_alloc();
		assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, tmp), 0);
		s = live_set(l, nftnl_set_get_str(tmp, NFTNL_SET_NAME));
		nftnl_set_free(tmp);
		assert_non_null(s);
		assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
		break;
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
		nft_live_add_chain(a, l, c);
		break;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();

		assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
		nft_live_add_rule(a, l, r);
		break;
	}
	default:
		fail_msg("unexpected message type %u", nlh->nlmsg_type & 0xff);
	}
}

/* Every message of a (closed) batch, in order, into l. */
static void replay_batch(struct arena *a, struct nft_batch *b,
			 struct nft_live *l)
{
	int n = nftnl_batch_iovec_len(b->nb);
	struct iovec *iov = calloc((size_t)n, sizeof(*iov));
	size_t seen = 0;

	nft_batch_close(b);
	nftnl_batch_iovec(b->nb, iov, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int len = (int)iov[i].iov_len;

		for (; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
				continue;	/* batch begin/end */
			assert_true(nlh->nlmsg_flags & NLM_F_ACK);
			replay_msg(a, l, nlh);
			seen++;
		}
	}
	free(iov);
	assert_int_equal(seen, b->n_msgs);
}

/* What nft_read says of a namespace without the table. */
#define NO_TABLE (&(struct nft_seen){ .iface = IFACE })

/* What nft_read says of a table holding exactly fw's part: fw's create
 * batch replayed, laid out (generation 0: no check). */
static const struct nft_seen *seen_of(struct arena *a,
				      const struct plan_firewall *fw)
{
	struct nft_seen *seen = arena_calloc(a, 1, sizeof(*seen));
	struct nft_live l = { 0 };
	struct nft_batch b;

	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_ABSENT, NO_TABLE, fw,
					NULL), 0);
	replay_batch(a, &b, &l);
	nft_layout(a, &l, IFACE, seen);
	nft_live_free(&l);
	nft_batch_free(&b);
	return seen;
}

/* ---- pure: ranges ----------------------------------------------------- */

static void check_range(const char *start, const char *end,
			const char *const *want)
{
	struct ip_prefix out[NFT_RANGE_MAX_PREFIXES];
	struct ip_addr s, e;
	const char *why;
	size_t n, k = 0;

	assert_int_equal(ip_addr_parse(start, &s, &why), 0);
	if (end)
		assert_int_equal(ip_addr_parse(end, &e, &why), 0);
	n = nft_range_prefixes(s.family, s.b, end ? e.b : NULL, out);
	for (; want[k]; k++) {
		char buf[IP_STRLEN];

		assert_true(k < n);
		assert_string_equal(ip_prefix_str(&out[k], buf), want[k]);
	}
	assert_int_equal(n, k);
}

static void test_range_to_prefixes_edge_cases(void **state)
{
	(void)state;
	check_range("0.0.0.0", NULL,
		    (const char *const[]){ "0.0.0.0/0", NULL });
	check_range("::", NULL, (const char *const[]){ "::/0", NULL });
	check_range("10.0.0.1", "10.0.0.2",
		    (const char *const[]){ "10.0.0.1/32", NULL });
	check_range("255.255.255.255", NULL,
		    (const char *const[]){ "255.255.255.255/32", NULL });
	check_range("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL,
		    (const char *const[]){
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
			    NULL });
	check_range("fd00::1", "fd00::2",
		    (const char *const[]){ "fd00::1/128", NULL });
	/* odd ends on both sides */
	check_range("10.0.0.1", "10.0.0.7",
		    (const char *const[]){ "10.0.0.1/32", "10.0.0.2/31",
					   "10.0.0.4/31", "10.0.0.6/32",
					   NULL });
	/* two adjacent prefixes merged (nft's auto-merge) read back */
	check_range("100.64.0.0", "100.64.2.0",
		    (const char *const[]){ "100.64.0.0/23", NULL });
	check_range("224.0.0.0", NULL,
		    (const char *const[]){ "224.0.0.0/3", NULL });
	check_range("10.0.0.0", "10.3.0.0",
		    (const char *const[]){ "10.0.0.0/15", "10.2.0.0/16",
					   NULL });
	/* empty and inverted ranges hold nothing */
	check_range("10.0.0.5", "10.0.0.5", (const char *const[]){ NULL });
	check_range("10.0.0.6", "10.0.0.5", (const char *const[]){ NULL });
}

static void test_range_worst_cases_fit(void **state)
{
	struct ip_prefix out[NFT_RANGE_MAX_PREFIXES];
	struct ip_addr s;
	const char *why;

	(void)state;
	assert_int_equal(ip_addr_parse("0.0.0.1", &s, &why), 0);
	assert_int_equal(nft_range_prefixes(IP_V4, s.b, NULL, out), 32);
	assert_int_equal(out[31].len, 1);
	assert_int_equal(ip_addr_parse("::1", &s, &why), 0);
	assert_int_equal(nft_range_prefixes(IP_V6, s.b, NULL, out), 128);
	/* [::1, ffff..fffe]: the most one range can need */
	{
		struct ip_addr e;

		assert_int_equal(ip_addr_parse("ffff:ffff:ffff:ffff:ffff:"
					       "ffff:ffff:ffff", &e, &why), 0);
		assert_int_equal(nft_range_prefixes(IP_V6, s.b, e.b, out),
				 254);
	}
}

static void check_bounds(const char *prefix, const char *start,
			 const char *end)
{
	struct ip_prefix p = pfx(prefix), back[NFT_RANGE_MAX_PREFIXES];
	uint8_t s[16], e[16];
	struct ip_addr a = { .family = p.addr.family };
	char buf[IP_STRLEN];
	bool open = nft_prefix_bounds(&p, s, e);

	memcpy(a.b, s, 16);
	assert_string_equal(ip_addr_str(&a, buf), start);
	assert_int_equal(open, end == NULL);
	if (end) {
		memcpy(a.b, e, 16);
		assert_string_equal(ip_addr_str(&a, buf), end);
	}
	/* and back: one range is the one prefix */
	assert_int_equal(nft_range_prefixes(p.addr.family, s, open ? NULL : e,
					    back), 1);
	assert_int_equal(ip_prefix_cmp(&back[0], &p), 0);
}

static void test_prefix_bounds_round_trip(void **state)
{
	(void)state;
	check_bounds("0.0.0.0/0", "0.0.0.0", NULL);
	check_bounds("::/0", "::", NULL);
	check_bounds("0.0.0.0/8", "0.0.0.0", "1.0.0.0");
	check_bounds("100.64.0.0/24", "100.64.0.0", "100.64.1.0");
	check_bounds("224.0.0.0/4", "224.0.0.0", "240.0.0.0");
	check_bounds("240.0.0.0/4", "240.0.0.0", NULL);
	check_bounds("10.1.2.3/32", "10.1.2.3", "10.1.2.4");
	check_bounds("255.255.255.255/32", "255.255.255.255", NULL);
	check_bounds("::1/128", "::1", "::2");
	check_bounds("fe80::/10", "fe80::", "fec0::");
	check_bounds("ff00::/8", "ff00::", NULL);
	check_bounds("fd64:0:0:1::/64", "fd64:0:0:1::", "fd64:0:0:2::");
	check_bounds("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
		     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL);
}

/* ---- pure: the batch ----------------------------------------------------- */

static void test_create_batch_message_sequence(void **state)
{
	struct arena a;
	struct plan *p;
	struct nft_batch b;
	size_t i = 0;

	(void)state;
	arena_init(&a);
	p = compile_seed(&a, "b");
	assert_int_equal(nft_batch_init(&b, 100, 0), 0);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL),
		0);
	assert_int_equal(b.msgs[i++].type, NFT_MSG_NEWTABLE);
	for (int id = 0; id < FW_SET_COUNT && !fw_set_id_is_service(id); id++)
		for (int f = 0; f < fw_set_slots(id); f++) {
			assert_int_equal(b.msgs[i++].type, NFT_MSG_NEWSET);
			if (p->fw.sets[id][f].n_elems)
				assert_int_equal(b.msgs[i++].type,
						 NFT_MSG_NEWSETELEM);
		}
	for (int c = 0; c < FW_CHAIN_COUNT; c++)
		assert_int_equal(b.msgs[i++].type, NFT_MSG_NEWCHAIN);
	assert_int_equal(b.n_msgs - i, kernel_rules(&p->fw));
	assert_int_equal(nft_batch_count(&b, NFT_MSG_NEWRULE), 34);
	for (; i < b.n_msgs; i++)
		assert_int_equal(b.msgs[i].type, NFT_MSG_NEWRULE);
	/* every message numbered after BATCH_BEGIN, and named */
	assert_int_equal(b.msgs[0].seq, 101);
	assert_ptr_equal(nft_batch_msg(&b, 101), &b.msgs[0]);
	assert_null(nft_batch_msg(&b, 100));
	assert_null(nft_batch_msg(&b, 101 + (uint32_t)b.n_msgs));
	assert_string_equal(b.msgs[0].what, "table inet meshc");
	assert_string_equal(b.msgs[1].what, "set meshx/mesh4");
	assert_string_equal(b.msgs[2].what, "elements of set meshx/mesh4");
	assert_string_equal(b.msgs[b.n_msgs - 1].what,
			    "rule 'masquerade' in chain meshx/postrouting");
	nft_batch_free(&b);
	arena_free(&a);
}

static void test_rule_count_does_not_grow_with_peers(void **state)
{
	struct arena a;
	struct plan *p;
	struct plan_firewall big;
	struct nft_batch small_b, big_b;

	(void)state;
	arena_init(&a);
	p = compile_seed(&a, "b");
	big = copy_fw(&a, &p->fw);
	for (int i = 0; i < 2000; i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "100.65.%d.%d/32", i / 250,
			 i % 250 + 1);
		fw_add_elem(&a, &big, FW_SET_INCOMING, buf);
		snprintf(buf, sizeof(buf), "fd65::%x/128", i + 1);
		fw_add_elem(&a, &big, FW_SET_ROUTING, buf);
	}
	assert_int_equal(nft_batch_init(&small_b, 1, 0), 0);
	assert_int_equal(nft_batch_init(&big_b, 1, 0), 0);
	assert_int_equal(nft_batch_sync(&small_b, NFT_TABLE_ABSENT, NO_TABLE,
					&p->fw, NULL),
			 0);
	assert_int_equal(
		nft_batch_sync(&big_b, NFT_TABLE_ABSENT, NO_TABLE, &big, NULL),
		0);
	assert_int_equal(nft_batch_count(&big_b, NFT_MSG_NEWRULE),
			 nft_batch_count(&small_b, NFT_MSG_NEWRULE));
	assert_int_equal(nft_batch_count(&big_b, NFT_MSG_NEWSET),
			 nft_batch_count(&small_b, NFT_MSG_NEWSET));
	assert_int_equal(nft_batch_count(&big_b, NFT_MSG_NEWCHAIN),
			 nft_batch_count(&small_b, NFT_MSG_NEWCHAIN));
	/* 2002 and 2000 elements: 8 + 8 messages instead of 1 + 0 */
	assert_int_equal(nft_batch_count(&big_b, NFT_MSG_NEWSETELEM),
			 nft_batch_count(&small_b, NFT_MSG_NEWSETELEM) + 15);
	nft_batch_free(&small_b);
	nft_batch_free(&big_b);
	arena_free(&a);
}

static void test_batch_down_and_foreign(void **state)
{
	struct arena a;
	struct plan *p;
	struct nft_batch b;

	(void)state;
	arena_init(&a);
	p = compile_seed(&a, "b");
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, seen_of(&a, &p->fw),
					NULL, NULL),
			 0);
	assert_int_equal(b.n_msgs, 1);
	assert_int_equal(b.msgs[0].type, NFT_MSG_DELTABLE);
	nft_batch_free(&b);
	/* back to a system that had no table: its plan has no rules */
	{
		struct plan_firewall none = { 0 };

		assert_int_equal(nft_batch_init(&b, 1, 0), 0);
		assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS,
						seen_of(&a, &p->fw), &none,
						NULL),
				 0);
		assert_int_equal(b.n_msgs, 1);
		assert_int_equal(b.msgs[0].type, NFT_MSG_DELTABLE);
		nft_batch_free(&b);
	}
	/* down with another interface's part in the table: only this
	 * part's chains (flushed first) and sets go, the table stays */
	{
		struct nft_seen shared = *seen_of(&a, &p->fw);

		shared.others = true;
		assert_int_equal(nft_batch_init(&b, 1, 0), 0);
		assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, &shared,
						NULL, NULL),
				 0);
		assert_int_equal(nft_batch_count(&b, NFT_MSG_DELTABLE), 0);
		assert_int_equal(nft_batch_count(&b, NFT_MSG_DELRULE),
				 FW_CHAIN_COUNT);
		assert_int_equal(nft_batch_count(&b, NFT_MSG_DELCHAIN),
				 FW_CHAIN_COUNT);
		assert_int_equal(nft_batch_count(&b, NFT_MSG_DELSET),
				 set_objects());
		assert_int_equal(b.n_msgs,
				 2 * FW_CHAIN_COUNT + set_objects());
		assert_int_equal(b.msgs[0].type, NFT_MSG_DELRULE);
		nft_batch_free(&b);
	}
	/* down with no table: nothing to send */
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_ABSENT, NO_TABLE, NULL, NULL), 0);
	assert_int_equal(b.n_msgs, 0);
	nft_batch_free(&b);
	/* a foreign table is never touched, up or down */
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_FOREIGN, NO_TABLE, &p->fw, NULL),
		-EEXIST);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_FOREIGN, NO_TABLE, NULL, NULL),
		-EEXIST);
	assert_int_equal(b.n_msgs, 0);
	nft_batch_free(&b);
	arena_free(&a);
}

static void test_element_change_sends_only_elements(void **state)
{
	struct arena a;
	struct plan *p, *want;
	struct plan_firewall fw;
	struct changeset cs;
	struct nft_batch b;

	(void)state;
	arena_init(&a);
	p = compile_seed(&a, "b");
	fw = copy_fw(&a, &p->fw);
	fw_add_elem(&a, &fw, FW_SET_ROUTING, "100.64.0.1/32");
	fw_del_elem(&fw, FW_SET_INCOMING, "100.64.1.2/32");
	fw_del_elem(&fw, FW_SET_MESH, "100.64.1.0/24");
	fw_add_elem(&a, &fw, FW_SET_MESH, "10.99.0.0/16");
	want = with_fw(&a, p, &fw);
	diff_fw(&a, p, &p->fw, want, &cs);
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, seen_of(&a, &p->fw),
					&fw, &cs),
			 0);
	/* removals first (incoming4, mesh4), then additions */
	assert_int_equal(b.n_msgs, 4);
	assert_int_equal(b.msgs[0].type, NFT_MSG_DELSETELEM);
	assert_string_equal(b.msgs[0].what, "elements of set meshx/mesh4");
	assert_int_equal(b.msgs[1].type, NFT_MSG_DELSETELEM);
	assert_string_equal(b.msgs[1].what,
			    "elements of set meshx/incoming4");
	assert_int_equal(b.msgs[2].type, NFT_MSG_NEWSETELEM);
	assert_string_equal(b.msgs[2].what, "elements of set meshx/mesh4");
	assert_int_equal(b.msgs[3].type, NFT_MSG_NEWSETELEM);
	assert_string_equal(b.msgs[3].what, "elements of set meshx/routing4");
	nft_batch_free(&b);
	/* no firewall change at all: nothing to send */
	diff_fw(&a, p, &p->fw, p, &cs);
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, seen_of(&a, &p->fw),
					&p->fw, &cs),
			 0);
	assert_int_equal(b.n_msgs, 0);
	nft_batch_free(&b);
	arena_free(&a);
}

/* The table stays (re-declared, which keeps it and clears flags); the
 * part's chains are flushed, its chains and sets deleted and made anew,
 * all in the one batch, and nothing of the table as a whole goes. */
static void assert_part_replaced(const struct nft_batch *b,
				 const struct plan_firewall *fw)
{
	size_t i = 0;

	assert_int_equal(b->msgs[i++].type, NFT_MSG_NEWTABLE);
	for (int c = 0; c < FW_CHAIN_COUNT; c++)
		assert_int_equal(b->msgs[i++].type, NFT_MSG_DELRULE);
	for (int c = 0; c < FW_CHAIN_COUNT; c++)
		assert_int_equal(b->msgs[i++].type, NFT_MSG_DELCHAIN);
	for (int k = 0; k < set_objects(); k++)
		assert_int_equal(b->msgs[i++].type, NFT_MSG_DELSET);
	assert_int_equal(b->msgs[i].type, NFT_MSG_NEWSET);
	assert_string_equal(b->msgs[1].what, "rules of chain meshx/input");
	assert_string_equal(b->msgs[1 + FW_CHAIN_COUNT].what,
			    "chain meshx/input");
	assert_int_equal(nft_batch_count(b, NFT_MSG_DELTABLE), 0);
	assert_int_equal(nft_batch_count(b, NFT_MSG_NEWSET), set_objects());
	assert_int_equal(nft_batch_count(b, NFT_MSG_NEWRULE),
			 kernel_rules(fw));
}

static void test_rule_change_replaces_table(void **state)
{
	struct arena a;
	struct plan *p, *want;
	struct plan_firewall fw;
	struct changeset cs;
	struct nft_batch b;

	(void)state;
	arena_init(&a);
	p = compile_seed(&a, "b");
	fw = copy_fw(&a, &p->fw);
	/* a rule's verdict changes (another uplink is no rule change: it
	 * is an element of the set uplinks) */
	for (size_t i = 0; i < fw.n_rules; i++)
		if (fw.rules[i].id && !strcmp(fw.rules[i].id, "routing"))
			fw.rules[i].verdict = FW_DROP;
	fw_add_elem(&a, &fw, FW_SET_ROUTING, "100.64.0.1/32");
	want = with_fw(&a, p, &fw);
	diff_fw(&a, p, &p->fw, want, &cs);
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, seen_of(&a, &p->fw),
					&fw, &cs),
			 0);
	assert_part_replaced(&b, &fw);
	nft_batch_free(&b);
	/* no change set: everything differs */
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS,
					seen_of(&a, &p->fw), &p->fw, NULL),
			 0);
	assert_part_replaced(&b, &p->fw);
	nft_batch_free(&b);
	arena_free(&a);
}

/* A network for a plain host set cannot be an element change. */
static void test_network_in_host_set_replaces_table(void **state)
{
	struct arena a;
	struct plan *p, *want;
	struct plan_firewall fw;
	struct changeset cs;
	struct nft_batch b;

	(void)state;
	arena_init(&a);
	p = compile_seed(&a, "b");
	fw = copy_fw(&a, &p->fw);
	fw_add_elem(&a, &fw, FW_SET_INCOMING, "10.7.0.0/16");
	want = with_fw(&a, p, &fw);
	diff_fw(&a, p, &p->fw, want, &cs);
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, seen_of(&a, &p->fw),
					&fw, &cs),
			 0);
	assert_part_replaced(&b, &fw);
	nft_batch_free(&b);
	arena_free(&a);
}

/* A firewall read back (rollback restores one) may hold rules the reader
 * did not understand: they are left out, never made an unconditional
 * drop. */
static void test_unknown_rules_are_not_recreated(void **state)
{
	struct arena a;
	struct plan *p;
	struct plan_firewall fw;
	struct nft_batch b;
	size_t before;

	(void)state;
	arena_init(&a);
	p = compile_seed(&a, "b");
	fw = copy_fw(&a, &p->fw);
	memmove(&fw.rules[1], &fw.rules[0], fw.n_rules * sizeof(*fw.rules));
	fw.rules[0] = (struct fw_rule){ .chain = FW_CHAIN_INPUT,
					.saddr_set = FW_SET_NONE,
					.daddr_set = FW_SET_NONE,
					.verdict = FW_DROP,
					.id = NFT_UNKNOWN_ID };
	fw.n_rules++;
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL),
		0);
	before = nft_batch_count(&b, NFT_MSG_NEWRULE);
	nft_batch_free(&b);
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_ABSENT, NO_TABLE, &fw, NULL), 0);
	assert_int_equal(nft_batch_count(&b, NFT_MSG_NEWRULE), before);
	nft_batch_free(&b);
	/* no interface name: nothing can be matched, nothing is sent */
	fw.iface = NULL;
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_ABSENT, NO_TABLE, &fw, NULL),
		-EINVAL);
	nft_batch_free(&b);
	fw.iface = "a-very-long-interface-name";
	assert_int_equal(nft_batch_init(&b, 1, 0), 0);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_ABSENT, NO_TABLE, &fw, NULL),
		-EINVAL);
	nft_batch_free(&b);
	arena_free(&a);
}

static void test_comment_as_renderer_prints_it(void **state)
{
	char c[NFT_COMMENT_MAX + 1], longc[400];
	struct fw_rule r = { .spec_rule = 6, .comment = "say \"hi\"\tnow" };

	(void)state;
	nft_rule_comment(&r, c);
	assert_string_equal(c, "rule 6: say 'hi'?now");
	r.comment = NULL;
	nft_rule_comment(&r, c);
	assert_string_equal(c, "rule 6");
	r.spec_rule = 0;
	r.comment = "plumbing";
	nft_rule_comment(&r, c);
	assert_string_equal(c, "plumbing");
	r.comment = NULL;
	nft_rule_comment(&r, c);
	assert_string_equal(c, "");
	memset(longc, 'x', sizeof(longc) - 1);
	longc[sizeof(longc) - 1] = '\0';
	r.spec_rule = 4;
	r.comment = longc;
	nft_rule_comment(&r, c);
	assert_int_equal(strlen(c), NFT_COMMENT_MAX);
	assert_memory_equal(c, "rule 4: xxx", 11);
}

/* An NLMSG_ERROR as the kernel sends it for message seq of a batch. */
static struct nlmsghdr *kernel_ack(char *buf, uint32_t seq, int error,
				   bool capped, const char *text)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;
	size_t orig_payload = capped ? 0 : 20;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = capped ? NLM_F_CAPPED : 0;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e) + orig_payload);
	e->error = error;
	e->msg.nlmsg_len = (uint32_t)(sizeof(struct nlmsghdr) + 20);
	e->msg.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE;
	e->msg.nlmsg_seq = seq;
	if (text) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	}
	return nlh;
}

static void test_ack_names_object_and_kernel_text(void **state)
{
	char buf[512];
	struct arena a;
	struct plan *p;
	struct nft_batch b;
	const struct nft_msg *m;
	const char *what, *msg;

	(void)state;
	arena_init(&a);
	p = compile_seed(&a, "b");
	assert_int_equal(nft_batch_init(&b, 1000, 0), 0);
	assert_int_equal(
		nft_batch_sync(&b, NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL),
		0);
	m = &b.msgs[b.n_msgs - 3];
	assert_int_equal(nft_ack_parse(&b, kernel_ack(buf, m->seq, 0, true,
						      NULL), &what, &msg), 0);
	assert_int_equal(nft_ack_parse(&b, kernel_ack(buf, m->seq, -ENOENT,
						      true, "Chain not found"),
				       &what, &msg), ENOENT);
	assert_string_equal(what,
			    "rule 'lan-masquerade' in chain meshx/postrouting");
	assert_string_equal(msg, "Chain not found");
	/* not capped: the text follows the echoed request */
	assert_int_equal(nft_ack_parse(&b, kernel_ack(buf, m->seq, -EINVAL,
						      false, "bad set"),
				       &what, &msg), EINVAL);
	assert_string_equal(msg, "bad set");
	/* no text; an answer to no message of the batch */
	assert_int_equal(nft_ack_parse(&b, kernel_ack(buf, 5, -EPERM, true,
						      NULL), &what, &msg),
			 EPERM);
	assert_string_equal(what, "batch");
	assert_null(msg);
	nft_batch_free(&b);
	arena_free(&a);
}

/* ---- pure: answers to a read request ---------------------------------- */

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(int *)data)++;
	return MNL_CB_OK;
}

/* One message of a dump reply (or NLMSG_DONE) appended to buf at *len. */
static void put_msg(char *buf, size_t *len, uint16_t type, uint16_t flags,
		    uint32_t seq, uint32_t pid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	if (type == NLMSG_DONE)
		*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = 0;
	else
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	*len += nlh->nlmsg_len;
}

#define NFT_CHAIN_MSG (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN)

/* nftables requests go through the one request/answer path (nl.c):
 * nftables answers, constructed and recorded, are matched to the request
 * sent: a message with another sequence number (0 included) or another
 * port id is not this request's and is never handed on. */
static void test_reply_checks_seq_and_portid(void **state)
{
	static const struct {
		uint32_t seq, pid;
	} wrong[] = { { 6, 4242 }, { 0, 4242 }, { 7, 4243 } };
	char buf[512];
	size_t len = 0;
	int calls = 0;
	struct nl_answer ans = { .cb = count_cb, .data = &calls };

	(void)state;
	put_msg(buf, &len, NFT_CHAIN_MSG, NLM_F_MULTI, 7, 4242);
	put_msg(buf, &len, NLMSG_DONE, NLM_F_MULTI, 7, 4242);
	assert_int_equal(nl_answer_feed(&ans, buf, len, 7, 4242), 0);
	assert_true(ans.done);
	assert_int_equal(calls, 1);
	assert_int_equal(ans.error, 0);
	for (size_t i = 0; i < sizeof(wrong) / sizeof(*wrong); i++) {
		struct nl_answer q = { .cb = count_cb, .data = &calls };

		len = 0;
		calls = 0;
		put_msg(buf, &len, NFT_CHAIN_MSG, NLM_F_MULTI, 7, 4242);
		put_msg(buf, &len, NFT_CHAIN_MSG, NLM_F_MULTI, wrong[i].seq,
			wrong[i].pid);
		put_msg(buf, &len, NLMSG_DONE, NLM_F_MULTI, wrong[i].seq,
			wrong[i].pid);
		assert_int_equal(nl_answer_feed(&q, buf, len, 7, 4242), 1);
		assert_false(q.done);
		assert_int_equal(calls, 1);
	}
	/* a datagram cut inside a message */
	len = 0;
	put_msg(buf, &len, NFT_CHAIN_MSG, NLM_F_MULTI, 7, 4242);
	ans = (struct nl_answer){ .cb = count_cb, .data = &calls };
	assert_int_equal(nl_answer_feed(&ans, buf, len - 4, 7, 4242),
			 -EBADMSG);
	/* a recorded dump, fed as a request this socket did not send */
	{
		const struct nlmsghdr *h = (const void *)nft_fx_ours_chains;

		ans = (struct nl_answer){ .cb = count_cb, .data = &calls };
		calls = 0;
		assert_int_equal(nl_answer_feed(&ans, nft_fx_ours_chains,
						sizeof(nft_fx_ours_chains),
						h->nlmsg_seq + 1, h->nlmsg_pid),
				 1);
		assert_int_equal(calls, 0);
		ans = (struct nl_answer){ .cb = count_cb, .data = &calls };
		assert_int_equal(nl_answer_feed(&ans, nft_fx_ours_chains,
						sizeof(nft_fx_ours_chains),
						h->nlmsg_seq, h->nlmsg_pid),
				 0);
		assert_int_equal(calls, FW_CHAIN_COUNT);
		assert_true(ans.done);
	}
}

/* A dump the kernel flags as interrupted (NLM_F_DUMP_INTR) is read to
 * its NLMSG_DONE, none of it used after the flag, and reads as -EINTR:
 * the socket is clean for the retry (libmnl alone stops at the flag and
 * leaves the rest of the dump for the next request to trip over). */
static void test_interrupted_dump_is_drained(void **state)
{
	char d1[256], d2[256], d3[256];
	size_t n1 = 0, n2 = 0, n3 = 0;
	int calls = 0;
	struct nl_answer r = { .cb = count_cb, .data = &calls };
	struct arena a;
	unsigned char *rec;
	struct nlmsghdr *h;

	(void)state;
	put_msg(d1, &n1, NFT_CHAIN_MSG, NLM_F_MULTI, 3, 99);
	put_msg(d1, &n1, NFT_CHAIN_MSG, NLM_F_MULTI, 3, 99);
	put_msg(d2, &n2, NFT_CHAIN_MSG, NLM_F_MULTI | NLM_F_DUMP_INTR, 3, 99);
	put_msg(d3, &n3, NFT_CHAIN_MSG, NLM_F_MULTI | NLM_F_DUMP_INTR, 3, 99);
	put_msg(d3, &n3, NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, 3, 99);
	assert_int_equal(nl_answer_feed(&r, d1, n1, 3, 99), 1);
	assert_int_equal(calls, 2);
	assert_int_equal(nl_answer_feed(&r, d2, n2, 3, 99), 1);
	assert_true(r.interrupted);
	assert_int_equal(nl_answer_feed(&r, d3, n3, 3, 99), 0);
	assert_true(r.done);
	assert_int_equal(calls, 2);
	assert_int_equal(r.error, -EINTR);

	/* the recorded chain dump with the kernel's flag on its first
	 * message: read to the end, nothing used */
	arena_init(&a);
	rec = arena_alloc(&a, sizeof(nft_fx_ours_chains));
	memcpy(rec, nft_fx_ours_chains, sizeof(nft_fx_ours_chains));
	h = (struct nlmsghdr *)rec;
	h->nlmsg_flags |= NLM_F_DUMP_INTR;
	r = (struct nl_answer){ .cb = count_cb, .data = &calls };
	calls = 0;
	assert_int_equal(nl_answer_feed(&r, rec, sizeof(nft_fx_ours_chains),
					h->nlmsg_seq, h->nlmsg_pid), 0);
	assert_true(r.done);
	assert_int_equal(calls, 0);
	assert_int_equal(r.error, -EINTR);
	arena_free(&a);
}

/* ---- pure: decoding ---------------------------------------------------- */

/* The central property without a kernel: compile, build the batch, parse
 * its messages back (what the kernel stores), decode: equal. */
static void test_decode_of_batch_equals_plan(void **state)
{
	const char *nodes[] = { "a", "b", "c" };

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct arena a;
		struct plan *p;
		struct nft_batch b;
		struct nft_live l = { 0 };
		struct plan_firewall fw;
		enum nft_table_state st;

		arena_init(&a);
		p = compile_seed(&a, nodes[i]);
		assert_int_equal(nft_batch_init(&b, 1, 0), 0);
		assert_int_equal(nft_batch_sync(&b, NFT_TABLE_ABSENT,
						&(struct nft_seen){
							.iface = p->fw.iface },
						&p->fw, NULL), 0);
		replay_batch(&a, &b, &l);
		nft_decode(&a, &l, p->fw.iface, &st, &fw, NULL);
		assert_int_equal(st, NFT_TABLE_OURS);
		assert_int_equal(count_unknown(&fw), 0);
		assert_string_equal(fw.iface, p->fw.iface);
		assert_int_equal(fw.n_rules, p->fw.n_rules);
		assert_fw_matches(&a, &fw, p);
		nft_live_free(&l);
		nft_batch_free(&b);
		arena_free(&a);
	}
}

/* Hand-built kernel objects: what a dump of meshc's table returns. */

static struct nftnl_rule *kr_new(const char *chain, uint64_t handle)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char buf[NFT_NAME_MAX];

	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MESHC_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, own(buf, chain));
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	return r;
}

static struct nftnl_expr *kr_expr(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	nftnl_rule_add_expr(r, e);
	return e;
}

static void kr_cmp(struct nftnl_rule *r, uint32_t op, const void *d,
		   uint32_t len)
{
	struct nftnl_expr *e = kr_expr(r, "cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, d, len);
}

static void kr_meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = kr_expr(r, "meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void kr_iface(struct nftnl_rule *r, uint32_t key, const char *name,
		     bool neq)
{
	char buf[16] = { 0 };

	memcpy(buf, name, strlen(name));
	kr_meta(r, key);
	kr_cmp(r, neq ? NFT_CMP_NEQ : NFT_CMP_EQ, buf, sizeof(buf));
}

/* oifname @uplinks */
static void kr_uplinks(struct nftnl_rule *r)
{
	char buf[NFT_NAME_MAX];
	struct nftnl_expr *e;

	kr_meta(r, NFT_META_OIFNAME);
	e = kr_expr(r, "lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, own(buf, "uplinks"));
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, 0);
}

static void kr_ct_state(struct nftnl_rule *r, uint32_t mask)
{
	uint32_t zero = 0;
	struct nftnl_expr *e = kr_expr(r, "ct");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	e = kr_expr(r, "bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	kr_cmp(r, NFT_CMP_NEQ, &zero, 4);
}

static void kr_ct_established(struct nftnl_rule *r)
{
	kr_ct_state(r, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
			       NF_CT_STATE_BIT(IP_CT_RELATED));
}

/* meta l4proto PROTO, then the TCP flags byte (offset off) & mask
 * compared with op to value: `tcp flags & (fin|syn|rst|ack) != syn` is
 * (IPPROTO_TCP, 13, 0x17, NEQ, 0x02), as nft 1.0.6 lists it. */
static void kr_tcp_flags(struct nftnl_rule *r, uint8_t proto, uint32_t off,
			 uint8_t mask, uint32_t op, uint8_t value)
{
	uint8_t zero = 0;
	struct nftnl_expr *e;

	kr_meta(r, NFT_META_L4PROTO);
	kr_cmp(r, NFT_CMP_EQ, &proto, 1);
	e = kr_expr(r, "payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 1);
	e = kr_expr(r, "bitwise");
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_OP, NFT_BITWISE_BOOL);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 1);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 1);
	kr_cmp(r, op, &value, 1);
}

static void kr_tcp_not_syn(struct nftnl_rule *r)
{
	kr_tcp_flags(r, IPPROTO_TCP, 13, 0x17, NFT_CMP_NEQ, 0x02);
}

static void kr_nfproto(struct nftnl_rule *r, uint8_t proto)
{
	kr_meta(r, NFT_META_NFPROTO);
	kr_cmp(r, NFT_CMP_EQ, &proto, 1);
}

static void kr_lookup(struct nftnl_rule *r, uint32_t off, uint32_t len,
		      const char *set)
{
	struct nftnl_expr *e = kr_expr(r, "payload");
	char buf[NFT_NAME_MAX];

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	e = kr_expr(r, "lookup");
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, own(buf, set));
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, 0);
}

static void kr_verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = kr_expr(r, "immediate");
	char buf[NFT_NAME_MAX];

	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, own(buf, chain));
}

/* family < 0: no meshc userdata (a rule nft or a person made) */
static void kr_udata(struct nftnl_rule *r, const char *comment,
		     const char *id, int family)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(256);

	if (comment)
		nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment);
	if (id)
		nftnl_udata_put_strz(ud, NFT_UDATA_MESHC_ID, id);
	if (family >= 0) {
		uint8_t f = (uint8_t)family;

		nftnl_udata_put(ud, NFT_UDATA_MESHC_FAMILY, 1, &f);
	}
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
			    nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
}

static void kr_table(struct nft_live *l, const char *comment)
{
	l->table = nftnl_table_alloc();
	nftnl_table_set_str(l->table, NFTNL_TABLE_NAME, MESHC_NFT_TABLE);
	nftnl_table_set_u32(l->table, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_u32(l->table, NFTNL_TABLE_FLAGS, 0);
	if (comment) {
		struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(256);

		nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, comment);
		nftnl_table_set_data(l->table, NFTNL_TABLE_USERDATA,
				     nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
		nftnl_udata_buf_free(ud);
	}
}

static struct nftnl_set *kr_set(const char *name, bool v6, bool interval)
{
	struct nftnl_set *s = nftnl_set_alloc();
	char buf[NFT_NAME_MAX];

	nftnl_set_set_str(s, NFTNL_SET_TABLE, MESHC_NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, own(buf, name));
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v6 ? 8 : 7);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v6 ? 16 : 4);
	if (!strcmp(name, "relay4") || !strcmp(name, "relay6")) {
		/* a pair: addr . addr */
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE,
				  v6 ? 8 << 6 | 8 : 7 << 6 | 7);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v6 ? 32 : 8);
	}
	if (!strcmp(name, fw_set_name(FW_SET_UPLINK, 0))) {
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 41);	/* ifname */
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 16);
	}
	if (interval)
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
	return s;
}

static void kr_elem(struct nftnl_set *s, const char *addr, bool end)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct ip_addr a;
	const char *why;

	assert_int_equal(ip_addr_parse(addr, &a, &why), 0);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, a.b,
			   a.family == IP_V6 ? 16 : 4);
	if (end)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS,
				       NFT_SET_ELEM_INTERVAL_END);
	nftnl_set_elem_add(s, e);
}

static struct nftnl_chain *kr_chain(enum fw_chain c)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nft_chain_hook h;
	char buf[NFT_NAME_MAX];

	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, MESHC_NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME,
			    own(buf, fw_chain_name(c)));
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_u64(ch, NFTNL_CHAIN_HANDLE, (uint64_t)c + 1);
	if (nft_chain_hook(c, &h)) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, h.hooknum);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, h.prio);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, h.type);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_FLAGS, NFT_CHAIN_BASE);
	}
	return ch;
}

/* Table, every set (empty) and chain as meshc declares them, and the
 * input chain's dispatch rule (where the reader learns the interface). */
static void kr_skeleton(struct arena *a, struct nft_live *l)
{
	struct nftnl_rule *r;

	kr_table(l, MESHC_NFT_MARK);
	for (int id = 0; id < FW_SET_COUNT && !fw_set_id_is_service(id); id++)
		for (int f = 0; f < fw_set_slots(id); f++)
			nft_live_add_set(a, l,
					 kr_set(fw_set_name(id,
							    fw_set_family(id, f)),
						f, fw_set_id_is_interval(id)));
	for (int c = 0; c < FW_CHAIN_COUNT; c++)
		nft_live_add_chain(a, l, kr_chain(c));
	r = kr_new("input", 10);
	kr_iface(r, NFT_META_IIFNAME, "meshx", false);
	kr_verdict(r, NFT_JUMP, "mesh_input");
	kr_udata(r, "traffic from the mesh to this node", "mesh-input", 0);
	nft_live_add_rule(a, l, r);
}

static const struct fw_rule *rule_at(const struct plan_firewall *fw,
				     enum fw_chain c, size_t k)
{
	for (size_t i = 0; i < fw->n_rules; i++)
		if (fw->rules[i].chain == c && k-- == 0)
			return &fw->rules[i];
	return NULL;
}

static void test_decode_hand_built_rules(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;
	const struct fw_rule *r;
	struct nftnl_rule *kr;

	(void)state;
	arena_init(&a);
	kr_skeleton(&a, &l);
	/* oifname @uplinks ip saddr @routing4 accept, then the v6 half */
	kr = kr_new("from_mesh", 20);
	kr_uplinks(kr);
	kr_nfproto(kr, NFPROTO_IPV4);
	kr_lookup(kr, 12, 4, "routing4");
	kr_verdict(kr, NF_ACCEPT, NULL);
	kr_udata(kr, "rule 4: peers granted routing reach the internet",
		 "routing", 0);
	nft_live_add_rule(&a, &l, kr);
	kr = kr_new("from_mesh", 21);
	kr_uplinks(kr);
	kr_nfproto(kr, NFPROTO_IPV6);
	kr_lookup(kr, 8, 16, "routing6");
	kr_verdict(kr, NF_ACCEPT, NULL);
	kr_udata(kr, "rule 4: peers granted routing reach the internet",
		 "routing", 0);
	nft_live_add_rule(&a, &l, kr);
	/* ct state established,related accept */
	kr = kr_new("to_mesh", 30);
	kr_ct_established(kr);
	kr_verdict(kr, NF_ACCEPT, NULL);
	kr_udata(kr, "rule 5: only replies are forwarded into the mesh",
		 "to-mesh-replies", 0);
	nft_live_add_rule(&a, &l, kr);
	/* oifname != "meshx" meta nfproto ipv6 drop (a family-6 rule) */
	kr = kr_new("to_mesh", 31);
	kr_iface(kr, NFT_META_OIFNAME, "meshx", true);
	kr_nfproto(kr, NFPROTO_IPV6);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "v6-only", IP_V6);
	nft_live_add_rule(&a, &l, kr);
	/* ip daddr @lan4 masquerade, a family-4 rule */
	kr = kr_new("postrouting", 40);
	kr_nfproto(kr, NFPROTO_IPV4);
	kr_lookup(kr, 16, 4, "lan4");
	kr_expr(kr, "masq");
	kr_udata(kr, "rule 3", "masq4", IP_V4);
	nft_live_add_rule(&a, &l, kr);
	/* oifname "meshx" ct state new tcp flags & (fin|syn|rst|ack) != syn
	 * drop: a connection picked up mid-stream */
	kr = kr_new("output", 50);
	kr_iface(kr, NFT_META_OIFNAME, "meshx", false);
	kr_ct_state(kr, NF_CT_STATE_BIT(IP_CT_NEW));
	kr_tcp_not_syn(kr);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, "rule 6: not picked up", "no-pickup", 0);
	nft_live_add_rule(&a, &l, kr);

	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(count_unknown(&fw), 0);
	assert_string_equal(fw.iface, "meshx");
	assert_null(fw.uplink);	/* the rule names the set, not a name */
	assert_true(fw.nat);
	assert_int_equal(fw.n_rules, 6);

	r = rule_at(&fw, FW_CHAIN_INPUT, 0);
	assert_non_null(r);
	assert_int_equal(r->iif, FW_IF_MESH);
	assert_int_equal(r->oif, FW_IF_ANY);
	assert_int_equal(r->verdict, FW_JUMP);
	assert_int_equal(r->target, FW_CHAIN_MESH_INPUT);
	assert_int_equal(r->family, 0);
	assert_string_equal(r->id, "mesh-input");
	assert_int_equal(r->spec_rule, 0);
	assert_string_equal(r->comment, "traffic from the mesh to this node");

	/* the two halves, joined */
	r = rule_at(&fw, FW_CHAIN_FROM_MESH, 0);
	assert_non_null(r);
	assert_null(rule_at(&fw, FW_CHAIN_FROM_MESH, 1));
	assert_int_equal(r->family, 0);
	assert_int_equal(r->oif, FW_IF_UPLINK);
	assert_int_equal(r->iif, FW_IF_ANY);
	assert_int_equal(r->saddr_set, FW_SET_ROUTING);
	assert_int_equal(r->daddr_set, FW_SET_NONE);
	assert_int_equal(r->verdict, FW_ACCEPT);
	assert_false(r->ct_established);
	assert_string_equal(r->id, "routing");
	assert_int_equal(r->spec_rule, 4);
	assert_string_equal(r->comment,
			    "peers granted routing reach the internet");

	r = rule_at(&fw, FW_CHAIN_TO_MESH, 0);
	assert_true(r->ct_established);
	assert_int_equal(r->verdict, FW_ACCEPT);
	assert_int_equal(r->spec_rule, 5);
	r = rule_at(&fw, FW_CHAIN_TO_MESH, 1);
	assert_int_equal(r->oif, FW_IF_NOT_MESH);
	assert_int_equal(r->family, IP_V6);
	assert_int_equal(r->verdict, FW_DROP);
	assert_null(r->comment);

	r = rule_at(&fw, FW_CHAIN_POSTROUTING, 0);
	assert_int_equal(r->family, IP_V4);
	assert_int_equal(r->daddr_set, FW_SET_LAN);
	assert_int_equal(r->verdict, FW_MASQUERADE);
	assert_int_equal(r->spec_rule, 3);
	assert_null(r->comment);

	r = rule_at(&fw, FW_CHAIN_OUTPUT, 0);
	assert_non_null(r);
	assert_true(r->tcp_pickup);
	assert_false(r->ct_established);
	assert_int_equal(r->oif, FW_IF_MESH);
	assert_int_equal(r->iif, FW_IF_ANY);
	assert_int_equal(r->family, 0);
	assert_int_equal(r->saddr_set, FW_SET_NONE);
	assert_int_equal(r->daddr_set, FW_SET_NONE);
	assert_int_equal(r->verdict, FW_DROP);
	assert_string_equal(r->id, "no-pickup");
	assert_int_equal(r->spec_rule, 6);
	/* no other rule reads as one */
	for (size_t i = 0; i < fw.n_rules; i++)
		assert_true(fw.rules[i].tcp_pickup ==
			    (fw.rules[i].chain == FW_CHAIN_OUTPUT));
	nft_live_free(&l);
	arena_free(&a);
}

static void test_decode_interval_and_host_elements(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;
	const struct fw_set *s;
	char buf[IP_STRLEN];

	(void)state;
	arena_init(&a);
	kr_skeleton(&a, &l);
	/* private4, in the kernel's dump order (descending), with nft's
	 * leading zero end element and an open range at the top */
	s = NULL;
	{
		struct nftnl_set *ks = live_set(&l, "meshx/private4");

		kr_elem(ks, "240.0.0.0", false);
		kr_elem(ks, "240.0.0.0", true);
		kr_elem(ks, "224.0.0.0", false);
		kr_elem(ks, "10.0.0.7", true);
		kr_elem(ks, "10.0.0.1", false);
		kr_elem(ks, "0.0.0.0", true);
		ks = live_set(&l, "meshx/self6");
		kr_elem(ks, "fd64::2", false);
		kr_elem(ks, "fd64::1", false);
	}
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(count_unknown(&fw), 0);
	s = &fw.sets[FW_SET_PRIVATE][0];
	assert_int_equal(s->n_elems, 6);
	assert_string_equal(ip_prefix_str(&s->elems[0].prefix, buf),
			    "10.0.0.1/32");
	assert_string_equal(ip_prefix_str(&s->elems[3].prefix, buf),
			    "10.0.0.6/32");
	assert_string_equal(ip_prefix_str(&s->elems[4].prefix, buf),
			    "224.0.0.0/4");
	assert_string_equal(ip_prefix_str(&s->elems[5].prefix, buf),
			    "240.0.0.0/4");
	s = &fw.sets[FW_SET_SELF][1];
	assert_int_equal(s->n_elems, 2);
	assert_string_equal(ip_prefix_str(&s->elems[0].prefix, buf),
			    "fd64::1/128");
	assert_string_equal(s->name, "self6");
	nft_live_free(&l);
	arena_free(&a);
}

/* Decode a skeleton plus one rule; the rule must come out "unknown". */
static void expect_unknown_rule(struct nftnl_rule *kr)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;
	const struct fw_rule *r;

	arena_init(&a);
	kr_skeleton(&a, &l);
	nft_live_add_rule(&a, &l, kr);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(count_unknown(&fw), 1);
	r = rule_at(&fw, FW_CHAIN_FROM_MESH, 0);
	assert_non_null(r);
	assert_string_equal(r->id, NFT_UNKNOWN_ID);
	assert_int_equal(r->verdict, FW_DROP);
	nft_live_free(&l);
	arena_free(&a);
}

static void test_decode_unknown_expressions(void **state)
{
	struct nftnl_rule *kr;
	struct nftnl_expr *e;

	(void)state;
	/* a counter meshc never adds */
	kr = kr_new("from_mesh", 50);
	kr_expr(kr, "counter");
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "forward-default-drop", 0);
	expect_unknown_rule(kr);
	/* tcp dport 22: a transport header payload */
	kr = kr_new("from_mesh", 51);
	e = kr_expr(kr, "payload");
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
			   NFT_PAYLOAD_TRANSPORT_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 2);
	kr_cmp(kr, NFT_CMP_EQ, "\0\x16", 2);
	kr_verdict(kr, NF_ACCEPT, NULL);
	kr_udata(kr, NULL, "ssh", 0);
	expect_unknown_rule(kr);
	/* a rule without meshc's userdata (nft -f of the renderer's file) */
	kr = kr_new("from_mesh", 52);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, "rule 4: no routing grant for this peer", NULL, -1);
	expect_unknown_rule(kr);
	/* an inverted lookup (ip daddr != @mesh4) */
	kr = kr_new("from_mesh", 53);
	kr_nfproto(kr, NFPROTO_IPV4);
	kr_lookup(kr, 16, 4, "mesh4");
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "no-mesh-transit", IP_V4);
	{
		struct nftnl_expr_iter *it = nftnl_expr_iter_create(kr);
		struct nftnl_expr *x, *last = NULL;

		while ((x = nftnl_expr_iter_next(it)))
			if (!strcmp(nftnl_expr_get_str(x, NFTNL_EXPR_NAME),
				    "lookup"))
				last = x;
		nftnl_expr_iter_destroy(it);
		nftnl_expr_set_u32(last, NFTNL_EXPR_LOOKUP_FLAGS,
				   NFT_LOOKUP_F_INV);
	}
	expect_unknown_rule(kr);
	/* the v4 half of a family-0 rule without its v6 half */
	kr = kr_new("from_mesh", 54);
	kr_nfproto(kr, NFPROTO_IPV4);
	kr_lookup(kr, 16, 4, "mesh4");
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "no-mesh-transit", 0);
	expect_unknown_rule(kr);
	/* a set match before the interface match: not meshc's order */
	kr = kr_new("from_mesh", 55);
	kr_nfproto(kr, NFPROTO_IPV4);
	kr_lookup(kr, 16, 4, "mesh4");
	kr_iface(kr, NFT_META_OIFNAME, "meshx", false);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "x", IP_V4);
	expect_unknown_rule(kr);
	/* an interface wildcard ("eth*": a 3-byte compare) */
	kr = kr_new("from_mesh", 56);
	kr_meta(kr, NFT_META_OIFNAME);
	kr_cmp(kr, NFT_CMP_EQ, "eth", 3);
	kr_verdict(kr, NF_ACCEPT, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	/* a second uplink name */
	kr = kr_new("from_mesh", 57);
	kr_iface(kr, NFT_META_OIFNAME, "eth0", false);
	kr_iface(kr, NFT_META_IIFNAME, "eth1", false);
	kr_verdict(kr, NF_ACCEPT, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	/* the pickup match in parts, or with other values: each is a rule
	 * meshc does not make */
	kr = kr_new("from_mesh", 60);	/* ct state new alone */
	kr_ct_state(kr, NF_CT_STATE_BIT(IP_CT_NEW));
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	kr = kr_new("from_mesh", 61);	/* the flags without ct state new */
	kr_tcp_not_syn(kr);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	kr = kr_new("from_mesh", 62);	/* ct state new,untracked */
	kr_ct_state(kr, NF_CT_STATE_BIT(IP_CT_NEW) | NF_CT_STATE_UNTRACKED_BIT);
	kr_tcp_not_syn(kr);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	kr = kr_new("from_mesh", 63);	/* & (syn|ack): another mask */
	kr_ct_state(kr, NF_CT_STATE_BIT(IP_CT_NEW));
	kr_tcp_flags(kr, IPPROTO_TCP, 13, 0x12, NFT_CMP_NEQ, 0x02);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	kr = kr_new("from_mesh", 64);	/* == syn: the opposite test */
	kr_ct_state(kr, NF_CT_STATE_BIT(IP_CT_NEW));
	kr_tcp_flags(kr, IPPROTO_TCP, 13, 0x17, NFT_CMP_EQ, 0x02);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	kr = kr_new("from_mesh", 65);	/* udp: another protocol */
	kr_ct_state(kr, NF_CT_STATE_BIT(IP_CT_NEW));
	kr_tcp_flags(kr, IPPROTO_UDP, 13, 0x17, NFT_CMP_NEQ, 0x02);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	kr = kr_new("from_mesh", 66);	/* another byte of the header */
	kr_ct_state(kr, NF_CT_STATE_BIT(IP_CT_NEW));
	kr_tcp_flags(kr, IPPROTO_TCP, 12, 0x17, NFT_CMP_NEQ, 0x02);
	kr_verdict(kr, NF_DROP, NULL);
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
	/* a verdict that is not the last expression */
	kr = kr_new("from_mesh", 58);
	kr_verdict(kr, NF_ACCEPT, NULL);
	kr_expr(kr, "counter");
	kr_udata(kr, NULL, "x", 0);
	expect_unknown_rule(kr);
}

/* Userdata is whatever someone stored: a TLV longer than the buffer ends
 * the walk instead of being read past its end. */
static void test_decode_truncated_userdata(void **state)
{
	static const uint8_t ud[] = { NFT_UDATA_MESHC_FAMILY, 1, 0,
				      NFT_UDATA_MESHC_ID, 80, 'x' };
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;
	struct nftnl_rule *kr;
	const struct fw_rule *r;

	(void)state;
	arena_init(&a);
	kr_skeleton(&a, &l);
	kr = kr_new("to_mesh", 60);
	kr_verdict(kr, NF_DROP, NULL);
	nftnl_rule_set_data(kr, NFTNL_RULE_USERDATA, ud, sizeof(ud));
	nft_live_add_rule(&a, &l, kr);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	r = rule_at(&fw, FW_CHAIN_TO_MESH, 0);
	assert_non_null(r);
	assert_null(r->id);
	assert_null(r->comment);
	nft_live_free(&l);
	arena_free(&a);
}

static void test_decode_foreign_objects_force_replace(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;

	(void)state;
	arena_init(&a);
	kr_skeleton(&a, &l);
	nft_live_add_set(&a, &l, kr_set("blocklist", false, false));
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(count_unknown(&fw), 1);
	nft_live_free(&l);

	/* a base chain with policy drop */
	kr_skeleton(&a, &l);
	nftnl_chain_set_u32(l.chains[FW_CHAIN_FORWARD], NFTNL_CHAIN_POLICY,
			    NF_DROP);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(count_unknown(&fw), 1);
	assert_string_equal(rule_at(&fw, FW_CHAIN_FORWARD, 0)->id,
			    NFT_UNKNOWN_ID);
	nft_live_free(&l);

	/* a missing set, a plain set where meshc makes an interval set */
	kr_skeleton(&a, &l);
	nftnl_set_free(l.sets[--l.n_sets]);
	nftnl_set_unset(l.sets[0], NFTNL_SET_FLAGS);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(count_unknown(&fw), 2);
	nft_live_free(&l);
	arena_free(&a);
}

static void test_decode_table_ownership(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw = { .iface = "untouched" };
	enum nft_table_state st;
	struct nft_seen seen;
	struct nftnl_chain *ch;

	(void)state;
	arena_init(&a);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_ABSENT);
	kr_table(&l, NULL);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_FOREIGN);
	assert_string_equal(fw.iface, "untouched");
	nft_live_free(&l);
	kr_table(&l, "managed by someone else");
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_FOREIGN);
	nft_live_free(&l);
	/* meshc's table with nothing of this interface's: nothing to
	 * remove, a table to keep */
	kr_table(&l, MESHC_NFT_MARK);
	nft_decode(&a, &l, IFACE, &st, &fw, &seen);
	assert_int_equal(st, NFT_TABLE_ABSENT);
	assert_true(seen.table);
	assert_false(seen.others);
	ch = nftnl_chain_alloc();
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, MESHC_NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, "meshy/input");
	nft_live_add_chain(&a, &l, ch);
	nft_decode(&a, &l, IFACE, &st, &fw, &seen);
	assert_int_equal(st, NFT_TABLE_ABSENT);
	assert_true(seen.others);
	assert_int_equal(seen.n_chains, 0);
	assert_string_equal(fw.iface, "untouched");
	/* a name that merely starts like ours is another interface's */
	ch = nftnl_chain_alloc();
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, MESHC_NFT_TABLE);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, "meshx0/input");
	nft_live_add_chain(&a, &l, ch);
	nft_decode(&a, &l, IFACE, &st, &fw, &seen);
	assert_int_equal(st, NFT_TABLE_ABSENT);
	nft_live_add_chain(&a, &l, kr_chain(FW_CHAIN_INPUT));
	nft_decode(&a, &l, IFACE, &st, &fw, &seen);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(seen.n_chains, 1);
	assert_string_equal(seen.chains[0], "meshx/input");
	nft_live_free(&l);
	assert_int_equal(nft_owner_of("meshx/a/b", "meshx"), NFT_OWNER_SELF);
	assert_int_equal(nft_owner_of("input", "meshx"), NFT_OWNER_LEGACY);
	assert_int_equal(nft_owner_of("/input", "meshx"), NFT_OWNER_OTHER);
	assert_int_equal(nft_owner_of(NULL, "meshx"), NFT_OWNER_OTHER);
	arena_free(&a);
}

/* ---- pure: recorded kernel replies ------------------------------------ */

static void feed(struct arena *a, struct nft_live *l, const struct nft_fx *fx,
		 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct nftnl_set *set = NULL;

		if (fx[i].kind == NFT_DUMP_ELEMS) {
			set = live_set(l, fx[i].set);
			assert_non_null(set);
		}
		assert_int_equal(nft_live_feed(a, l, fx[i].kind, set,
					       fx[i].bytes, fx[i].len), 0);
	}
}

#define FEED(a, l, fx) feed((a), (l), (fx), sizeof(fx) / sizeof(*(fx)))

static void assert_set(const struct plan_firewall *fw, int id, uint8_t family,
		       const char *const *want)
{
	const struct fw_set *s = &fw->sets[id][family == IP_V6];
	size_t k = 0;

	for (; want[k]; k++) {
		char buf[IP_STRLEN];

		assert_true(k < s->n_elems);
		assert_string_equal(ip_prefix_str(&s->elems[k].prefix, buf),
				    want[k]);
	}
	assert_int_equal(s->n_elems, k);
}

/* meshc's own table, as the kernel dumps it: the compiled plan again.
 * (Made from examples/seed.yaml: when the compiler's firewall changes,
 * re-record with data/nft/record.sh.) */
static void test_recorded_meshc_table_reads_as_plan(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;
	struct plan *p;

	(void)state;
	arena_init(&a);
	FEED(&a, &l, nft_fx_ours);
	assert_non_null(l.table);
	assert_int_equal(l.n_chains, 7);
	assert_int_equal(l.n_sets, set_objects());
	assert_int_equal(l.n_rules, 34);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(count_unknown(&fw), 0);
	assert_string_equal(fw.iface, "meshx");
	assert_null(fw.uplink);	/* a document's word, not the table's */
	assert_true(fw.nat);
	assert_int_equal(fw.n_rules, 23);
	/* the ifname set, read back as names */
	assert_int_equal(fw.sets[FW_SET_UPLINK][0].n_elems, 1);
	assert_string_equal(fw.sets[FW_SET_UPLINK][0].elems[0].ifname, "eth0");
	assert_int_equal(fw.sets[FW_SET_UPLINK][1].n_elems, 0);
	assert_set(&fw, FW_SET_MESH, IP_V4, (const char *const[]){
			   "100.64.0.0/24", "100.64.1.0/24", NULL });
	assert_set(&fw, FW_SET_PRIVATE, IP_V4, (const char *const[]){
			   "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10",
			   "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
			   "192.0.0.0/24", "192.0.2.0/24", "192.88.99.2/32",
			   "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
			   "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
			   NULL });
	assert_set(&fw, FW_SET_ROUTING, IP_V4,
		   (const char *const[]){ "100.64.1.2/32", NULL });
	assert_set(&fw, FW_SET_LAN, IP_V6, (const char *const[]){ NULL });
	p = compile_seed(&a, "b");
	assert_fw_matches(&a, &fw, p);
	nft_live_free(&l);
	arena_free(&a);
}

/* The renderer's file loaded with nft -f: the mark is there, so the part
 * is meshc's, but no rule has meshc's id (every one reads as unknown, so
 * apply replaces them); the sets read back as compiled. */
static void test_recorded_rendered_table_reads_as_changed(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;

	(void)state;
	arena_init(&a);
	FEED(&a, &l, nft_fx_rendered);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(fw.n_rules, 34);
	assert_int_equal(count_unknown(&fw), 34);
	assert_set(&fw, FW_SET_MESH, IP_V4, (const char *const[]){
			   "100.64.0.0/24", "100.64.1.0/24", NULL });
	assert_int_equal(fw.sets[FW_SET_PRIVATE][0].n_elems, 15);
	assert_set(&fw, FW_SET_SELF, IP_V4,
		   (const char *const[]){ "100.64.0.2/32", NULL });
	nft_live_free(&l);
	arena_free(&a);
}

/* A relay's part, loaded by meshc's batch and recorded: its pair sets
 * and the pair rule read back as the compiled plan. */
static void test_recorded_relay_table_reads_as_plan(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;
	struct plan *p;
	char s[IP_STRLEN], d[IP_STRLEN];

	(void)state;
	arena_init(&a);
	FEED(&a, &l, nft_fx_relay);
	nft_decode(&a, &l, "wghub", &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(count_unknown(&fw), 0);
	assert_int_equal(fw.sets[FW_SET_RELAY_USERS][0].n_elems, 3);
	assert_int_equal(fw.sets[FW_SET_RELAY_OPEN][0].n_elems, 1);
	assert_int_equal(fw.sets[FW_SET_RELAY][0].n_elems, 2);
	assert_int_equal(fw.sets[FW_SET_RELAY][1].n_elems, 2);
	assert_string_equal(ip_prefix_str(&fw.sets[FW_SET_RELAY][0].elems[0]
						   .prefix, s),
			    "100.72.0.10/32");
	assert_string_equal(ip_prefix_str(&fw.sets[FW_SET_RELAY][0].elems[0]
						   .dst, d),
			    "100.72.0.20/32");
	p = compile_doc(&a, HUB, "hub", NULL);
	assert_fw_matches(&a, &fw, p);
	nft_live_free(&l);
	arena_free(&a);
}

/* nft's own encoding of the rendered pair sets (nft -f of the file)
 * decodes to the same pairs: the builder and nft agree on the key. */
static void test_recorded_relay_rendered_sets_read_back(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;
	struct plan *p;
	struct changeset cs;

	(void)state;
	arena_init(&a);
	FEED(&a, &l, nft_fx_relay_rendered);
	nft_decode(&a, &l, "wghub", &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_OURS);
	p = compile_doc(&a, HUB, "hub", NULL);
	diff_fw(&a, p, &fw, p, &cs);
	/* the rules carry no meshc userdata (nft -f), the sets are equal */
	assert_int_equal(changeset_layer(&cs, LAYER_FIREWALL_SETS,
					 &(size_t){ 0 }),
			 0);
	nft_live_free(&l);
	arena_free(&a);
}

/* Two interfaces' parts in one table, recorded: each interface reads
 * exactly its own compiled firewall, sees the other part as "others"
 * and lists only its own objects for deletion. */
static void test_recorded_two_parts_each_reads_its_own(void **state)
{
	static const char *const nodes[] = { "b", "c" };
	struct arena a;

	(void)state;
	arena_init(&a);
	for (size_t i = 0; i < 2; i++) {
		struct nft_live l = { 0 };
		struct plan_firewall fw;
		enum nft_table_state st;
		struct nft_seen seen;
		struct plan *p = compile_seed(&a, nodes[i]);
		char prefix[NFT_NAME_MAX];

		nft_part_name(prefix, p->fw.iface, "");
		FEED(&a, &l, nft_fx_two);
		nft_decode(&a, &l, p->fw.iface, &st, &fw, &seen);
		assert_int_equal(st, NFT_TABLE_OURS);
		assert_int_equal(count_unknown(&fw), 0);
		assert_string_equal(fw.iface, p->fw.iface);
		assert_fw_matches(&a, &fw, p);
		assert_true(seen.table);
		assert_true(seen.others);
		assert_int_equal(seen.n_legacy, 0);
		assert_int_equal(seen.n_sets, set_objects());
		assert_true(seen.n_chains >= FW_CHAIN_COUNT - 1);
		for (size_t k = 0; k < seen.n_chains; k++)
			assert_memory_equal(seen.chains[k], prefix,
					    strlen(prefix));
		for (size_t k = 0; k < seen.n_sets; k++)
			assert_memory_equal(seen.sets[k], prefix,
					    strlen(prefix));
		nft_live_free(&l);
	}
	arena_free(&a);
}

/* meshc 0.1's table (recorded): for the interface it dispatches on it
 * reads as that interface's firewall plus one "unknown" rule, so the
 * next apply rewrites it; the batch deletes every legacy chain and set
 * and makes the part.  For another interface nothing of it is its
 * firewall, but the legacy objects go all the same (and the table
 * stays only because the part is made in the same batch). */
static void test_recorded_legacy_table_is_replaced(void **state)
{
	static const char *const nodes[] = { "b", "c" };
	struct arena a;

	(void)state;
	arena_init(&a);
	for (size_t i = 0; i < 2; i++) {
		struct nft_live l = { 0 };
		struct plan_firewall fw;
		enum nft_table_state st;
		struct nft_seen seen;
		struct plan *p = compile_seed(&a, nodes[i]);
		struct changeset cs;
		struct nft_batch b;

		FEED(&a, &l, nft_fx_legacy);
		nft_decode(&a, &l, p->fw.iface, &st, &fw, &seen);
		assert_int_equal(st, NFT_TABLE_OURS);
		/* the mark; and for meshx, the eleven sets 0.1 did not have
		 * (local4/6, uplinks, closed4/6, relay_users4/6,
		 * relay_open4/6, relay4/6) and 0.1's uplink matches (oifname
		 * "eth0" per rule: now a set lookup, unknown to the reader) */
		assert_int_equal(count_unknown(&fw), i == 0 ? 16 : 1);
		/* meshc 0.1 had six chains (no output) and seven sets,
		 * each of both families */
		assert_int_equal(seen.n_legacy, 6 + 2 * 7);
		assert_false(seen.others);
		if (i == 0) {
			/* meshx's own old firewall: only the mark differs */
			assert_string_equal(fw.iface, "meshx");
		} else {
			assert_int_equal(fw.n_rules, 1);
		}
		diff_fw(&a, p, &fw, p, &cs);
		{
			size_t first;

			assert_true(changeset_layer(&cs, LAYER_FIREWALL_RULES,
						    &first) > 0);
		}
		assert_int_equal(nft_batch_init(&b, 1, 0), 0);
		assert_int_equal(nft_batch_sync(&b, st, &seen, &p->fw, &cs), 0);
		assert_int_equal(nft_batch_count(&b, NFT_MSG_DELTABLE), 0);
		assert_int_equal(nft_batch_count(&b, NFT_MSG_DELCHAIN), 6);
		assert_int_equal(nft_batch_count(&b, NFT_MSG_DELSET), 2 * 7);
		assert_string_equal(b.msgs[1].what, "rules of chain input");
		assert_int_equal(nft_batch_count(&b, NFT_MSG_NEWRULE),
				 kernel_rules(&p->fw));
		nft_batch_free(&b);
		/* down: the last part (legacy counts as none) takes the
		 * table */
		assert_int_equal(nft_batch_init(&b, 1, 0), 0);
		assert_int_equal(nft_batch_sync(&b, st, &seen, NULL, NULL), 0);
		assert_int_equal(b.n_msgs, 1);
		assert_int_equal(b.msgs[0].type, NFT_MSG_DELTABLE);
		nft_batch_free(&b);
		nft_live_free(&l);
	}
	arena_free(&a);
}

static void test_recorded_foreign_table(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	struct plan_firewall fw = { .iface = "untouched" };
	enum nft_table_state st;

	(void)state;
	arena_init(&a);
	FEED(&a, &l, nft_fx_foreign);
	assert_int_equal(l.n_chains, 1);
	assert_int_equal(l.n_rules, 1);
	nft_decode(&a, &l, IFACE, &st, &fw, NULL);
	assert_int_equal(st, NFT_TABLE_FOREIGN);
	assert_string_equal(fw.iface, "untouched");
	nft_live_free(&l);
	arena_free(&a);
}

/* A reply libnftnl cannot read is an error, never a guess. */
static void test_feed_refuses_garbage(void **state)
{
	struct arena a;
	struct nft_live l = { 0 };
	unsigned char buf[256];
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	(void)state;
	arena_init(&a);
	/* the kernel's "no such table" */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -ENOENT;
	assert_int_equal(nft_live_feed(&a, &l, NFT_DUMP_TABLE, NULL, buf,
				       nlh->nlmsg_len), -ENOENT);
	assert_null(l.table);
	/* a rule with an expression libnftnl does not know */
	{
		struct nlattr *list, *elem;

		nlh = nftnl_nlmsg_build_hdr((char *)buf, NFT_MSG_NEWRULE,
					    NFPROTO_INET, NLM_F_MULTI, 1);
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, MESHC_NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
		list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
		elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "no-such-expression");
		mnl_attr_nest_end(nlh, elem);
		mnl_attr_nest_end(nlh, list);
	}
	assert_int_equal(nft_live_feed(&a, &l, NFT_DUMP_RULES, NULL, buf,
				       nlh->nlmsg_len), -EPROTO);
	assert_int_equal(l.n_rules, 0);
	nft_live_free(&l);
	arena_free(&a);
}

/* ---- root: the kernel --------------------------------------------------- */

static bool have_nft(void)
{
	return system("command -v nft >/dev/null 2>&1") == 0;
}

/* A fresh, empty network namespace for this process; skips (with the
 * reason) where that is impossible. */
static void enter_netns(void)
{
	if (geteuid() != 0) {
		print_message("skipped: needs root (nftables in a network "
			      "namespace)\n");
		skip();
	}
	if (unshare(CLONE_NEWNET) != 0) {
		print_message("skipped: unshare(CLONE_NEWNET): %s\n",
			      strerror(errno));
		skip();
	}
	if (!have_nft()) {
		print_message("skipped: the nft tool is missing\n");
		skip();
	}
}

static void sh_out(struct strbuf *out, const char *cmd)
{
	char buf[4096];
	size_t n;
	FILE *f = popen(cmd, "r");

	assert_non_null(f);
	strbuf_reset(out);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(out, buf, n);
	pclose(f);
}

static void nft_load(const char *text)
{
	FILE *f = popen("nft -f -", "w");

	assert_non_null(f);
	fputs(text, f);
	if (pclose(f) != 0)
		fail_msg("nft -f refused:\n%s", text);
}

static void list_table(struct strbuf *out, const char *table)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "nft list table inet %s 2>&1", table);
	sh_out(out, cmd);
}

static void read_ours(struct arena *a, struct plan_firewall *fw)
{
	enum nft_table_state st = NFT_TABLE_ABSENT;
	struct nft_seen seen;

	assert_int_equal(nft_read(a, IFACE, fw, &st, NULL, &seen), 0);
	assert_int_equal(st, NFT_TABLE_OURS);
}

/* Read the part as apply does, then sync it to want. */
static int sync_live(struct arena *a, const struct plan_firewall *want,
		     const struct changeset *cs)
{
	struct plan_firewall live;
	enum nft_table_state st;
	struct nft_seen seen;

	assert_int_equal(nft_read(a, IFACE, &live, &st, NULL, &seen), 0);
	return nft_sync(st, &seen, want, cs, NULL);
}

/* Run fn with stderr going into out. */
struct captured {
	int saved, fd;
	FILE *tmp;
};

static void capture_start(struct captured *c)
{
	fflush(stderr);
	c->tmp = tmpfile();
	assert_non_null(c->tmp);
	c->saved = dup(2);
	dup2(fileno(c->tmp), 2);
}

static void capture_end(struct captured *c, struct strbuf *out)
{
	char buf[1024];
	size_t n;

	fflush(stderr);
	dup2(c->saved, 2);
	close(c->saved);
	rewind(c->tmp);
	strbuf_reset(out);
	while ((n = fread(buf, 1, sizeof(buf), c->tmp)) > 0)
		strbuf_add(out, buf, n);
	fclose(c->tmp);
}

static void test_kernel_round_trip_equals_plan(void **state)
{
	struct arena a;
	struct plan *p;
	struct plan_firewall fw;
	enum nft_table_state st;
	struct nft_seen seen;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_seed(&a, "b");
	assert_int_equal(nft_read(&a, IFACE, &fw, &st, NULL, &seen), 0);
	assert_int_equal(st, NFT_TABLE_ABSENT);
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	read_ours(&a, &fw);
	assert_int_equal(count_unknown(&fw), 0);
	assert_fw_matches(&a, &fw, p);
	/* the output chain's rule came back as itself, from the kernel */
	{
		const struct fw_rule *out = rule_at(&fw, FW_CHAIN_OUTPUT, 0);

		assert_non_null(out);
		assert_true(out->tcp_pickup);
		assert_int_equal(out->oif, FW_IF_MESH);
		assert_int_equal(out->verdict, FW_DROP);
	}
	/* creating again over an existing table is refused, not merged */
	assert_int_not_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	arena_free(&a);
}

static bool fw_has_elem(const struct plan_firewall *fw, int id,
			const char *prefix)
{
	char buf[IP_STRLEN];

	for (size_t i = 0; i < fw->sets[id][0].n_elems; i++)
		if (!strcmp(ip_prefix_str(&fw->sets[id][0].elems[i].prefix,
					  buf),
			    prefix))
			return true;
	return false;
}

/* A trust record that still holds spares the dump; a change committed by
 * another program (one element added) or another table handle makes
 * nft_read dump the table again, and see the change. */
static void test_trusted_read_only_while_generation_holds(void **state)
{
	struct arena a;
	struct plan *p;
	struct plan_firewall fw;
	enum nft_table_state st;
	struct nft_seen seen;
	struct nft_trust t;
	unsigned batches = 0;
	char cmd[128];

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_seed(&a, "b");
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, &batches),
		0);
	assert_int_equal(batches, 1);
	t.fw = &p->fw;
	assert_int_equal(nft_ident(&t.gen, &t.handle), 0);
	assert_true(t.handle != 0);

	assert_int_equal(nft_read(&a, IFACE, &fw, &st, &t, &seen), 0);
	assert_true(seen.trusted);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(seen.gen, t.gen);
	assert_ptr_equal(fw.rules, p->fw.rules);

	t.handle++;
	assert_int_equal(nft_read(&a, IFACE, &fw, &st, &t, &seen), 0);
	assert_false(seen.trusted);
	t.handle--;

	snprintf(cmd, sizeof(cmd),
		 "add element inet meshc %s/%s { 10.99.0.1 }\n", IFACE,
		 fw_set_name(FW_SET_ROUTING, IP_V4));
	nft_load(cmd);
	assert_int_equal(nft_read(&a, IFACE, &fw, &st, &t, &seen), 0);
	assert_false(seen.trusted);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_true(fw_has_elem(&fw, FW_SET_ROUTING, "10.99.0.1/32"));
	assert_false(fw_has_elem(&p->fw, FW_SET_ROUTING, "10.99.0.1/32"));
	arena_free(&a);
}

static bool same_fw(const struct plan_firewall *x,
		    const struct plan_firewall *y)
{
	if (x->n_rules != y->n_rules || x->nat != y->nat ||
	    strcmp(x->iface, y->iface))
		return false;
	for (int id = 0; id < FW_SET_COUNT; id++)
		for (int f = 0; f < 2; f++) {
			const struct fw_set *a = &x->sets[id][f];
			const struct fw_set *b = &y->sets[id][f];

			if (a->n_elems != b->n_elems)
				return false;
			for (size_t i = 0; i < a->n_elems; i++)
				if (fw_elem_cmp(&a->elems[i], &b->elems[i]))
					return false;
		}
	for (size_t i = 0; i < x->n_rules; i++)
		if (strcmp(x->rules[i].id, y->rules[i].id) ||
		    x->rules[i].verdict != y->rules[i].verdict ||
		    x->rules[i].saddr_set != y->rules[i].saddr_set)
			return false;
	return true;
}

/* The state directory's record: the document's own firewall when it is
 * unchanged; the saved one (nft.fw) when the document changed; nothing
 * from a damaged file or after forgetting. */
static void test_mark_record_and_trust(void **state)
{
	struct arena a;
	struct plan *p, *q;
	struct run_state st = { .lock_fd = -1 };
	struct nft_trust t;
	unsigned batches = 0;
	uint32_t gen;
	uint64_t handle;
	char dir[] = "/tmp/meshc-mark-test-XXXXXX", cmd[128];

	(void)state;
	enter_netns();
	arena_init(&a);
	assert_non_null(mkdtemp(dir));
	st.dir = dir;
	p = compile_seed(&a, "b");
	q = compile_seed(&a, "a");
	assert_false(same_fw(&p->fw, &q->fw));
	assert_int_equal(nft_ident(&gen, &handle), 0);
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, &batches),
		0);
	nft_record_save(&a, &st, &p->fw, gen, batches);

	assert_true(nft_record_trust(&a, &st, &p->fw, &t));
	assert_ptr_equal(t.fw, &p->fw);
	assert_true(nft_record_trust(&a, &st, &q->fw, &t));
	assert_true(t.fw != &q->fw && t.fw != &p->fw);
	assert_true(same_fw(t.fw, &p->fw));

	snprintf(cmd, sizeof(cmd), "truncate -s -1 %s/nft.fw", dir);
	assert_int_equal(system(cmd), 0);
	assert_false(nft_record_trust(&a, &st, &q->fw, &t));
	assert_true(nft_record_trust(&a, &st, &p->fw, &t));

	/* another commit between the read and the record: no record */
	nft_record_save(&a, &st, &p->fw, gen, 0);
	assert_false(nft_record_trust(&a, &st, &p->fw, &t));

	nft_record_save(&a, &st, &p->fw, gen, batches);
	assert_true(nft_record_trust(&a, &st, &p->fw, &t));
	nft_record_forget(&a, &st);
	assert_false(nft_record_trust(&a, &st, &p->fw, &t));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	arena_free(&a);
}

/* nft's own view of meshc's batch is the renderer's file.  The renderer
 * declares interval sets `auto-merge`, which makes nft -f merge adjacent
 * prefixes (100.64.0.0/24 + 100.64.1.0/24 -> /23) into ranges that cannot
 * be read back into the plan's prefixes; meshc keeps one range per
 * prefix, so the comparison loads the file without that word. */
static void test_listing_equals_rendered_file(void **state)
{
	struct strbuf text = STRBUF_INIT, ours = STRBUF_INIT,
		      theirs = STRBUF_INIT, file = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	const char *s, *hit;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_seed(&a, "b");
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	list_table(&ours, "meshc");
	assert_non_null(strstr(strbuf_str(&ours),
			       "comment \"managed by meshc\""));
	/* the output hook, and nft reads meshc's expressions as the
	 * renderer's match (nft 1.0 lists it as "tcp flags != syn /
	 * fin,syn,rst,ack") */
	assert_non_null(strstr(strbuf_str(&ours),
			       "\tchain meshx/output {\n\t\ttype filter hook "
			       "output priority filter; policy accept;\n\t\t"
			       "oifname \"meshx\" ct state new tcp flags "));
	assert_non_null(strstr(strbuf_str(&ours),
			       " drop comment \"rule 6: a connection this "
			       "node did not open is not picked up again\""));
	assert_int_equal(system("nft delete table inet meshc"), 0);
	render_nft(&text, p);
	for (s = strbuf_str(&text); (hit = strstr(s, " auto-merge;"));
	     s = hit + strlen(" auto-merge;"))
		strbuf_add(&file, s, (size_t)(hit - s));
	strbuf_puts(&file, s);
	nft_load(strbuf_str(&file));
	list_table(&theirs, "meshc");
	assert_string_equal(strbuf_str(&ours), strbuf_str(&theirs));
	strbuf_free(&text);
	strbuf_free(&ours);
	strbuf_free(&theirs);
	strbuf_free(&file);
	arena_free(&a);
}

/* The relay's part as nft lists it after meshc's batch is the listing
 * of the renderer's file: pair sets, elements and the concatenated
 * lookup are encoded exactly as nft encodes its own text. */
static void test_relay_listing_equals_rendered_file(void **state)
{
	struct strbuf text = STRBUF_INIT, ours = STRBUF_INIT,
		      theirs = STRBUF_INIT;
	struct arena a;
	struct plan *p;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_doc(&a, HUB, "hub", hub_on_meshx);
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	list_table(&ours, "meshc");
	assert_non_null(strstr(strbuf_str(&ours),
			       "oifname \"meshx\" ip saddr . ip daddr "
			       "@meshx/relay4 accept"));
	assert_non_null(strstr(strbuf_str(&ours),
			       "100.72.0.20 . 100.72.0.11"));
	assert_non_null(strstr(strbuf_str(&ours),
			       "ip saddr @meshx/relay_users4 ip daddr "
			       "@meshx/relay_open4 accept"));
	assert_int_equal(system("nft delete table inet meshc"), 0);
	render_nft(&text, p);
	nft_load(strbuf_str(&text));
	list_table(&theirs, "meshc");
	assert_string_equal(strbuf_str(&ours), strbuf_str(&theirs));
	strbuf_free(&text);
	strbuf_free(&ours);
	strbuf_free(&theirs);
	arena_free(&a);
}

/* A spoke gains an endpoint: its pairs leave the relay's pair sets by
 * element messages alone (no rule, no set replaced), and come back the
 * same way when it loses it. */
static void test_relay_pairs_move_by_elements(void **state)
{
	struct arena a;
	struct plan *relayed, *direct;
	const struct plan *from, *to;
	struct plan_firewall live;
	struct changeset cs;
	struct nft_batch b;

	(void)state;
	enter_netns();
	arena_init(&a);
	relayed = compile_doc(&a, HUB, "hub", hub_on_meshx);
	direct = compile_doc(&a, HUB, "hub", hub_desk_direct);
	/* desk leaves relay_users; its one pair (phone -> desk) goes, and
	 * laptop -> phone stays */
	assert_int_equal(direct->fw.sets[FW_SET_RELAY][0].n_elems, 1);
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &relayed->fw, NULL, NULL),
		0);
	from = relayed;
	to = direct;
	for (int round = 0; round < 2; round++) {
		read_ours(&a, &live);
		diff_fw(&a, from, &live, to, &cs);
		/* desk's endpoint; per family its relay_users element and
		 * its pair */
		assert_int_equal(cs.count, 5);
		assert_int_equal(changeset_layer(&cs, LAYER_FIREWALL_SETS,
						 &(size_t){ 0 }),
				 4);
		assert_int_equal(nft_batch_init(&b, 11 + round, 0), 0);
		assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS,
						seen_of(&a, &from->fw),
						&to->fw, &cs),
				 0);
		assert_int_equal(nft_batch_count(&b, round ? NFT_MSG_NEWSETELEM
							  : NFT_MSG_DELSETELEM),
				 b.n_msgs);
		assert_int_equal(nft_batch_send(&b), 0);
		nft_batch_free(&b);
		read_ours(&a, &live);
		assert_fw_matches(&a, &live, to);
		from = direct;
		to = relayed;
	}
	arena_free(&a);
}

static const char *other_table =
	"table inet other {\n"
	"\tset s { type ipv4_addr; flags interval;\n"
	"\t\telements = { 10.0.0.0/8 } }\n"
	"\tchain c { type filter hook input priority -5; policy accept;\n"
	"\t\tip saddr @s counter accept comment \"not meshc's\"\n"
	"\t}\n"
	"}\n";

/* Limited grants: meshc's batch loads the concatenated interval sets and
 * their rules, reads back as the plan, and nft lists it as the
 * renderer's file. */
/* A relay whose users' grants are lists: its relay_svc and relay_icmp
 * sets and rules load with meshc's batch, read back exactly (the decoder
 * knows them), and list as nft's own reading of the rendered file. */
#define RELAY_SVC "tests/unit/data/relay-services.yaml"

static void test_relay_services_round_trip_and_listing(void **state)
{
	struct strbuf text = STRBUF_INIT, ours = STRBUF_INIT,
		      theirs = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	struct plan_firewall fw;
	const char *l;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_doc(&a, RELAY_SVC, "hub", NULL);
	assert_true(p->fw.services);
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	read_ours(&a, &fw);
	assert_int_equal(count_unknown(&fw), 0);
	assert_fw_matches(&a, &fw, p);
	list_table(&ours, "meshc");
	l = strbuf_str(&ours);
	assert_non_null(strstr(l, "oifname \"meshx\" ip saddr . ip daddr . "
				  "meta l4proto . th dport "
				  "@meshx/relay_svc4 accept"));
	assert_non_null(strstr(l, "oifname \"meshx\" ip saddr . ip daddr "
				  "@meshx/relay_icmp4 icmp type echo-request "
				  "accept"));
	assert_non_null(strstr(l, "100.64.0.2 . 100.64.0.3 . tcp . 22"));
	assert_non_null(strstr(l, "100.64.0.2 . 100.64.0.4 . udp . "
				  "8000-8100"));
	/* no pair (all of incoming) for a limited destination */
	assert_null(strstr(l, "100.64.0.2 . 100.64.0.3,"));
	assert_int_equal(system("nft delete table inet meshc"), 0);
	render_nft(&text, p);
	nft_load(strbuf_str(&text));
	list_table(&theirs, "meshc");
	assert_string_equal(strbuf_str(&ours), strbuf_str(&theirs));
	strbuf_free(&text);
	strbuf_free(&ours);
	strbuf_free(&theirs);
	arena_free(&a);
}

static void test_services_round_trip_and_listing(void **state)
{
	struct strbuf text = STRBUF_INIT, ours = STRBUF_INIT,
		      theirs = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	struct plan_firewall fw;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_doc(&a, SERVICES, "b", NULL);
	assert_true(p->fw.services);
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	read_ours(&a, &fw);
	assert_int_equal(count_unknown(&fw), 0);
	assert_true(fw.services);
	assert_fw_matches(&a, &fw, p);
	list_table(&ours, "meshc");
	assert_non_null(strstr(strbuf_str(&ours),
			       "100.64.0.1 . 192.168.1.128/25 . 0-255 . "
			       "0-65535"));
	assert_int_equal(system("nft delete table inet meshc"), 0);
	render_nft(&text, p);
	nft_load(strbuf_str(&text));
	list_table(&theirs, "meshc");
	assert_string_equal(strbuf_str(&ours), strbuf_str(&theirs));
	strbuf_free(&text);
	strbuf_free(&ours);
	strbuf_free(&theirs);
	arena_free(&a);
}

/* Changing one peer's services is one element batch: the old element
 * out, the new one in, no rule and no set touched. */
static void test_services_change_is_element_batch(void **state)
{
	struct arena a;
	struct plan *p, *want;
	struct plan_firewall live, fw;
	struct changeset cs;
	struct nft_batch b;
	struct fw_set *s;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_doc(&a, SERVICES, "b", NULL);
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	fw = copy_fw(&a, &p->fw);
	/* a's tcp/22 becomes tcp/2222 (IPv4 and IPv6) */
	for (int f = 0; f < 2; f++) {
		s = &fw.sets[FW_SET_INCOMING_SVC][f];
		for (size_t i = 0; i < s->n_elems; i++)
			if (s->elems[i].svc.port_lo == 22)
				s->elems[i].svc.port_lo =
					s->elems[i].svc.port_hi = 2222;
		qsort(s->elems, s->n_elems, sizeof(*s->elems), fw_elem_cmp);
	}
	want = with_fw(&a, p, &fw);
	read_ours(&a, &live);
	diff_fw(&a, p, &live, want, &cs);
	assert_int_equal(nft_batch_init(&b, 7, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, seen_of(&a, &p->fw),
					&fw, &cs),
			 0);
	/* one removal and one addition per family */
	assert_int_equal(nft_batch_count(&b, NFT_MSG_DELSETELEM), 2);
	assert_int_equal(nft_batch_count(&b, NFT_MSG_NEWSETELEM), 2);
	assert_int_equal(b.n_msgs, 4);
	assert_int_equal(nft_batch_send(&b), 0);
	nft_batch_free(&b);
	read_ours(&a, &live);
	assert_fw_matches(&a, &live, want);
	arena_free(&a);
}

static void test_element_update_and_replace_in_kernel(void **state)
{
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
	struct arena a;
	struct plan *p, *want;
	struct plan_firewall live, fw;
	struct changeset cs;
	struct nft_batch b;

	(void)state;
	enter_netns();
	arena_init(&a);
	nft_load(other_table);
	list_table(&before, "other");
	p = compile_seed(&a, "b");
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);

	/* a grant changes: only element messages go out */
	fw = copy_fw(&a, &p->fw);
	fw_add_elem(&a, &fw, FW_SET_ROUTING, "100.64.0.1/32");
	fw_add_elem(&a, &fw, FW_SET_ROUTING, "fd64::1:36cc:9c98:12a6:67a9/128");
	fw_del_elem(&fw, FW_SET_INCOMING, "100.64.1.2/32");
	/* and intervals: drop one of two adjacent ranges, add another */
	fw_del_elem(&fw, FW_SET_MESH, "100.64.1.0/24");
	fw_add_elem(&a, &fw, FW_SET_MESH, "100.64.2.0/24");
	fw_del_elem(&fw, FW_SET_PRIVATE, "240.0.0.0/4");
	want = with_fw(&a, p, &fw);
	read_ours(&a, &live);
	diff_fw(&a, p, &live, want, &cs);
	assert_int_equal(nft_batch_init(&b, 7, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, seen_of(&a, &p->fw),
					&fw, &cs),
			 0);
	assert_true(b.n_msgs > 0);
	assert_int_equal(nft_batch_count(&b, NFT_MSG_NEWSETELEM) +
				 nft_batch_count(&b, NFT_MSG_DELSETELEM),
			 b.n_msgs);
	assert_int_equal(nft_batch_send(&b), 0);
	nft_batch_free(&b);
	read_ours(&a, &live);
	assert_fw_matches(&a, &live, want);

	/* the way out moves (another default route or uplink): elements
	 * of the ifname set, no rule; names read back as names */
	{
		static const char *const ways[] = { "wlan0", "eth1" };

		fw.uplink = "eth1";
		fw_set_uplinks(&a, &fw, ways, 2);
	}
	want = with_fw(&a, p, &fw);
	read_ours(&a, &live);
	diff_fw(&a, p, &live, want, &cs);
	assert_int_equal(nft_batch_init(&b, 9, 0), 0);
	assert_int_equal(nft_batch_sync(&b, NFT_TABLE_OURS, seen_of(&a, &p->fw),
					&fw, &cs),
			 0);
	assert_true(b.n_msgs > 0);
	assert_int_equal(nft_batch_count(&b, NFT_MSG_NEWSETELEM) +
				 nft_batch_count(&b, NFT_MSG_DELSETELEM),
			 b.n_msgs);
	assert_int_equal(nft_batch_send(&b), 0);
	nft_batch_free(&b);
	read_ours(&a, &live);
	assert_fw_matches(&a, &live, want);
	assert_int_equal(live.sets[FW_SET_UPLINK][0].n_elems, 2);
	assert_string_equal(live.sets[FW_SET_UPLINK][0].elems[0].ifname,
			    "eth1");
	assert_string_equal(live.sets[FW_SET_UPLINK][0].elems[1].ifname,
			    "wlan0");

	/* a rule changes: the table is replaced, in one transaction */
	for (size_t i = 0; i < fw.n_rules; i++)
		if (fw.rules[i].id && !strcmp(fw.rules[i].id, "routing"))
			fw.rules[i].verdict = FW_DROP;
	want = with_fw(&a, p, &fw);
	read_ours(&a, &live);
	diff_fw(&a, p, &live, want, &cs);
	assert_int_equal(sync_live(&a, &fw, &cs), 0);
	read_ours(&a, &live);
	assert_fw_matches(&a, &live, want);

	/* back to the document, with no change set: replaced whole */
	assert_int_equal(sync_live(&a, &p->fw, NULL), 0);
	read_ours(&a, &live);
	assert_fw_matches(&a, &live, p);

	list_table(&after, "other");
	assert_string_equal(strbuf_str(&before), strbuf_str(&after));
	strbuf_free(&before);
	strbuf_free(&after);
	arena_free(&a);
}

static void test_foreign_table_refused_and_untouched(void **state)
{
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT,
		      err = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	struct plan_firewall fw = { 0 };
	enum nft_table_state st;
	struct nft_seen seen;
	struct captured cap;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_seed(&a, "b");
	nft_load("table inet meshc {\n"
		 "\tchain input { type filter hook input priority 0; "
		 "policy accept;\n\t\tcounter\n\t}\n}\n");
	list_table(&before, "meshc");
	assert_int_equal(nft_read(&a, IFACE, &fw, &st, NULL, &seen), 0);
	assert_int_equal(st, NFT_TABLE_FOREIGN);
	assert_int_equal(fw.n_rules, 0);
	capture_start(&cap);
	assert_int_equal(nft_sync(st, &seen, &p->fw, NULL, NULL), -EEXIST);
	assert_int_equal(nft_sync(st, &seen, NULL, NULL, NULL), -EEXIST);
	capture_end(&cap, &err);
	assert_non_null(strstr(strbuf_str(&err),
			       "meshc: nftables: table inet meshc exists and "
			       "is not managed by meshc; refusing to change "
			       "it\n"));
	list_table(&after, "meshc");
	assert_string_equal(strbuf_str(&before), strbuf_str(&after));
	strbuf_free(&before);
	strbuf_free(&after);
	strbuf_free(&err);
	arena_free(&a);
}

static void test_down_deletes_only_meshc_table(void **state)
{
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	struct plan_firewall fw;
	enum nft_table_state st;
	struct nft_seen seen;

	(void)state;
	enter_netns();
	arena_init(&a);
	nft_load(other_table);
	list_table(&before, "other");
	p = compile_seed(&a, "b");
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	read_ours(&a, &fw);
	assert_int_equal(sync_live(&a, NULL, NULL), 0);
	assert_int_equal(nft_read(&a, IFACE, &fw, &st, NULL, &seen), 0);
	assert_int_equal(st, NFT_TABLE_ABSENT);
	list_table(&after, "other");
	assert_string_equal(strbuf_str(&before), strbuf_str(&after));
	strbuf_free(&before);
	strbuf_free(&after);
	arena_free(&a);
}

/* The last message of the batch is refused (a jump to a chain the batch
 * never makes): the error names the rule and the old table is intact. */
static void test_refused_batch_changes_nothing(void **state)
{
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT,
		      err = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	struct plan_firewall fw, live;
	struct fw_rule *bad;
	struct captured cap;
	size_t n = 0;
	int rc;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_seed(&a, "b");
	assert_int_equal(
		nft_sync(NFT_TABLE_ABSENT, NO_TABLE, &p->fw, NULL, NULL), 0);
	list_table(&before, "meshc");

	fw = copy_fw(&a, &p->fw);
	while (n < fw.n_rules && fw.rules[n].chain != FW_CHAIN_POSTROUTING)
		n++;
	fw.n_rules = n;		/* no postrouting rules ... */
	fw.nat = false;		/* ... and no postrouting chain */
	fw_add_elem(&a, &fw, FW_SET_ROUTING, "100.64.0.1/32");
	bad = &fw.rules[fw.n_rules++];
	*bad = (struct fw_rule){ .chain = FW_CHAIN_TO_MESH,
				 .saddr_set = FW_SET_NONE,
				 .daddr_set = FW_SET_NONE,
				 .verdict = FW_JUMP,
				 .target = FW_CHAIN_POSTROUTING,
				 .id = "bad-jump" };
	capture_start(&cap);
	rc = sync_live(&a, &fw, NULL);
	capture_end(&cap, &err);
	assert_true(rc < 0);
	if (!strstr(strbuf_str(&err), "meshc: nftables: rule 'bad-jump' in "
				      "chain meshx/to_mesh: "))
		fail_msg("unexpected error report: %s", strbuf_str(&err));
	assert_non_null(strstr(strbuf_str(&err), strerror(-rc)));
	list_table(&after, "meshc");
	assert_string_equal(strbuf_str(&before), strbuf_str(&after));
	read_ours(&a, &live);
	assert_fw_matches(&a, &live, p);
	strbuf_free(&before);
	strbuf_free(&after);
	strbuf_free(&err);
	arena_free(&a);
}

/* A table loaded with `nft -f` from the renderer's file is meshc's (it
 * carries the mark) but its rules have no ids: it reads as changed, and
 * one sync makes it meshc's own. */
static void test_table_from_rendered_file_is_replaced(void **state)
{
	struct strbuf text = STRBUF_INIT;
	struct arena a;
	struct plan *p;
	struct plan_firewall live;
	struct changeset cs;

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_seed(&a, "b");
	render_nft(&text, p);
	nft_load(strbuf_str(&text));
	read_ours(&a, &live);
	assert_true(count_unknown(&live) > 0);
	diff_fw(&a, p, &live, p, &cs);
	assert_false(changeset_empty(&cs));
	assert_int_equal(sync_live(&a, &p->fw, &cs), 0);
	read_ours(&a, &live);
	assert_fw_matches(&a, &live, p);
	strbuf_free(&text);
	arena_free(&a);
}

/* Apply (read, then sync) a plan's firewall to its own part. */
static void apply_part(struct arena *a, const struct plan_firewall *want,
		       const char *iface)
{
	struct plan_firewall live;
	enum nft_table_state st;
	struct nft_seen seen;

	assert_int_equal(nft_read(a, iface, &live, &st, NULL, &seen), 0);
	assert_int_not_equal(st, NFT_TABLE_FOREIGN);
	assert_int_equal(nft_sync(st, &seen, want, NULL, NULL), 0);
}

/* The part of iface as nft lists it: every chain and set of its name. */
static void list_part(struct strbuf *out, const char *iface)
{
	static const char *const kinds[] = { "chain", "set" };
	struct strbuf one = STRBUF_INIT;
	char cmd[160];

	strbuf_reset(out);
	for (int k = 0; k < 2; k++) {
		int n = k ? set_objects() : FW_CHAIN_COUNT;

		for (int i = 0; i < n; i++) {
			const char *name = k ? set_object_name(i)
					     : fw_chain_name(i);

			snprintf(cmd, sizeof(cmd),
				 "nft list %s inet meshc %s/%s 2>&1", kinds[k],
				 iface, name);
			sh_out(&one, cmd);
			strbuf_add(out, one.buf, one.len);
		}
	}
	strbuf_free(&one);
}

static void assert_part_reads_as(struct arena *a, const char *iface,
				 const struct plan *p)
{
	struct plan_firewall live;
	enum nft_table_state st;
	struct nft_seen seen;

	assert_int_equal(nft_read(a, iface, &live, &st, NULL, &seen), 0);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_int_equal(count_unknown(&live), 0);
	assert_fw_matches(a, &live, p);
}

/* The seed bug: two interfaces in one namespace (seed nodes b on meshx
 * and c on meshy).  Applying, re-applying (with a rule change) or taking
 * down one never changes the other's part; the table goes with the last
 * part.  Before parts, the second apply replaced the whole table and the
 * first interface's firewall was gone. */
static void test_two_interfaces_keep_their_parts(void **state)
{
	struct strbuf x0 = STRBUF_INIT, y0 = STRBUF_INIT, now = STRBUF_INIT;
	struct arena a;
	struct plan *b, *c, *b2;
	struct plan_firewall fw;
	enum nft_table_state st;
	struct nft_seen seen;

	(void)state;
	enter_netns();
	arena_init(&a);
	b = compile_seed(&a, "b");
	c = compile_seed(&a, "c");
	assert_string_equal(b->fw.iface, "meshx");
	assert_string_equal(c->fw.iface, "meshy");
	fw = copy_fw(&a, &b->fw);
	fw.uplink = "eth1";		/* a rule change for meshx */
	fw_add_elem(&a, &fw, FW_SET_ROUTING, "100.64.0.1/32");
	b2 = with_fw(&a, b, &fw);

	apply_part(&a, &b->fw, "meshx");
	list_part(&x0, "meshx");
	apply_part(&a, &c->fw, "meshy");
	list_part(&y0, "meshy");
	list_part(&now, "meshx");
	assert_string_equal(strbuf_str(&now), strbuf_str(&x0));
	assert_part_reads_as(&a, "meshx", b);
	assert_part_reads_as(&a, "meshy", c);

	/* re-apply meshx, changed and back: meshy stays as it was */
	apply_part(&a, &b2->fw, "meshx");
	assert_part_reads_as(&a, "meshx", b2);
	list_part(&now, "meshy");
	assert_string_equal(strbuf_str(&now), strbuf_str(&y0));
	apply_part(&a, &b->fw, "meshx");
	list_part(&now, "meshx");
	assert_string_equal(strbuf_str(&now), strbuf_str(&x0));

	/* re-apply meshy unchanged, then down meshy: meshx stays */
	apply_part(&a, &c->fw, "meshy");
	list_part(&now, "meshx");
	assert_string_equal(strbuf_str(&now), strbuf_str(&x0));
	assert_int_equal(nft_read(&a, "meshy", &fw, &st, NULL, &seen), 0);
	assert_true(seen.others);
	assert_int_equal(nft_sync(st, &seen, NULL, NULL, NULL), 0);
	assert_int_equal(nft_read(&a, "meshy", &fw, &st, NULL, &seen), 0);
	assert_int_equal(st, NFT_TABLE_ABSENT);
	assert_true(seen.table);
	list_part(&now, "meshx");
	assert_string_equal(strbuf_str(&now), strbuf_str(&x0));
	assert_part_reads_as(&a, "meshx", b);

	/* meshy again, then down meshx: meshy stays; down meshy, the
	 * last part: the table goes */
	apply_part(&a, &c->fw, "meshy");
	assert_int_equal(nft_read(&a, "meshx", &fw, &st, NULL, &seen), 0);
	assert_int_equal(nft_sync(st, &seen, NULL, NULL, NULL), 0);
	list_part(&now, "meshy");
	assert_string_equal(strbuf_str(&now), strbuf_str(&y0));
	assert_int_equal(nft_read(&a, "meshy", &fw, &st, NULL, &seen), 0);
	assert_false(seen.others);
	assert_int_equal(nft_sync(st, &seen, NULL, NULL, NULL), 0);
	sh_out(&now, "nft list tables");
	assert_string_equal(strbuf_str(&now), "");
	strbuf_free(&x0);
	strbuf_free(&y0);
	strbuf_free(&now);
	arena_free(&a);
}

/* A record of meshx's part is trusted while nothing committed; another
 * interface's apply bumps the generation and meshx's next read dumps
 * its part, which is still exactly meshx's firewall. */
static void test_trust_after_another_interface_applies(void **state)
{
	struct arena a;
	struct plan *b, *c;
	struct plan_firewall fw;
	enum nft_table_state st;
	struct nft_seen seen;
	struct nft_trust t;

	(void)state;
	enter_netns();
	arena_init(&a);
	b = compile_seed(&a, "b");
	c = compile_seed(&a, "c");
	apply_part(&a, &b->fw, "meshx");
	t.fw = &b->fw;
	assert_int_equal(nft_ident(&t.gen, &t.handle), 0);
	assert_int_equal(nft_read(&a, "meshx", &fw, &st, &t, &seen), 0);
	assert_true(seen.trusted);
	assert_int_equal(seen.n_chains, FW_CHAIN_COUNT);
	assert_false(seen.others);

	apply_part(&a, &c->fw, "meshy");
	assert_int_equal(nft_read(&a, "meshx", &fw, &st, &t, &seen), 0);
	assert_false(seen.trusted);
	assert_true(seen.others);
	assert_int_equal(st, NFT_TABLE_OURS);
	assert_fw_matches(&a, &fw, b);
	arena_free(&a);
}

/* meshc 0.1's table (its renderer's file) is cleaned up by the next
 * apply of any interface, in the same batch that makes the part. */
static void test_legacy_table_cleaned_up_by_next_apply(void **state)
{
	struct strbuf text = STRBUF_INIT, list = STRBUF_INIT;
	struct arena a;
	struct plan *b, *c;
	FILE *f;
	char buf[4096];
	size_t n;

	(void)state;
	enter_netns();
	arena_init(&a);
	f = fopen("tests/unit/data/nft/legacy-b.nft", "r");
	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&text, buf, n);
	fclose(f);
	b = compile_seed(&a, "b");
	c = compile_seed(&a, "c");
	for (int i = 0; i < 2; i++) {
		struct plan *p = i ? b : c;

		nft_load(strbuf_str(&text));
		apply_part(&a, &p->fw, p->fw.iface);
		/* nothing without an interface prefix is left */
		sh_out(&list, "nft -a list table inet meshc | "
			      "grep -E '^\t(chain|set) ' | grep -v /");
		assert_string_equal(strbuf_str(&list), "");
		assert_part_reads_as(&a, p->fw.iface, p);
		assert_int_equal(system("nft delete table inet meshc"), 0);
	}
	strbuf_free(&text);
	strbuf_free(&list);
	arena_free(&a);
}

/* The batch carries the generation the part was read at.  Another
 * program commits in between (an element added by hand): the kernel
 * refuses the stale batch as a whole (ERESTART, nothing changed), and
 * nft_sync reads again and retries, so the hand-added element is gone
 * afterwards.  Before, the element-only diff computed from the stale
 * read went in and the hand-added element stayed. */
static void test_stale_batch_refused_and_retried(void **state)
{
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT;
	struct arena a;
	struct plan *p, *want;
	struct plan_firewall fw, live;
	enum nft_table_state st;
	struct nft_seen seen;
	struct changeset cs;
	struct nft_batch b;
	unsigned batches = 0;
	char cmd[128];

	(void)state;
	enter_netns();
	arena_init(&a);
	p = compile_seed(&a, "b");
	apply_part(&a, &p->fw, IFACE);
	fw = copy_fw(&a, &p->fw);
	fw_add_elem(&a, &fw, FW_SET_ROUTING, "100.64.0.1/32");
	want = with_fw(&a, p, &fw);
	assert_int_equal(nft_read(&a, IFACE, &live, &st, NULL, &seen), 0);
	assert_true(seen.gen != 0);
	diff_fw(&a, p, &live, want, &cs);

	snprintf(cmd, sizeof(cmd),
		 "add element inet meshc %s/%s { 10.99.0.1 }\n", IFACE,
		 fw_set_name(FW_SET_ROUTING, IP_V4));
	nft_load(cmd);
	list_part(&before, IFACE);

	/* the stale batch alone: refused, nothing changed */
	assert_int_equal(nft_batch_init(&b, 1, seen.gen), 0);
	assert_int_equal(nft_batch_sync(&b, st, &seen, &fw, &cs), 0);
	assert_int_equal(b.n_msgs, 1);	/* element-only, from the stale read */
	assert_int_equal(nft_batch_send(&b), -ERESTART);
	nft_batch_free(&b);
	list_part(&after, IFACE);
	assert_string_equal(strbuf_str(&before), strbuf_str(&after));

	/* nft_sync: refused, read again, retried whole */
	assert_int_equal(nft_sync(st, &seen, &fw, &cs, &batches), 0);
	assert_int_equal(batches, 1);
	assert_int_equal(nft_read(&a, IFACE, &live, &st, NULL, &seen), 0);
	assert_fw_matches(&a, &live, want);
	assert_false(fw_has_elem(&live, FW_SET_ROUTING, "10.99.0.1/32"));
	strbuf_free(&before);
	strbuf_free(&after);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_to_prefixes_edge_cases),
		cmocka_unit_test(test_range_worst_cases_fit),
		cmocka_unit_test(test_prefix_bounds_round_trip),
		cmocka_unit_test(test_create_batch_message_sequence),
		cmocka_unit_test(test_rule_count_does_not_grow_with_peers),
		cmocka_unit_test(test_batch_down_and_foreign),
		cmocka_unit_test(test_element_change_sends_only_elements),
		cmocka_unit_test(test_rule_change_replaces_table),
		cmocka_unit_test(test_network_in_host_set_replaces_table),
		cmocka_unit_test(test_unknown_rules_are_not_recreated),
		cmocka_unit_test(test_comment_as_renderer_prints_it),
		cmocka_unit_test(test_ack_names_object_and_kernel_text),
		cmocka_unit_test(test_reply_checks_seq_and_portid),
		cmocka_unit_test(test_interrupted_dump_is_drained),
		cmocka_unit_test(test_decode_of_batch_equals_plan),
		cmocka_unit_test(test_decode_hand_built_rules),
		cmocka_unit_test(test_decode_interval_and_host_elements),
		cmocka_unit_test(test_decode_unknown_expressions),
		cmocka_unit_test(test_decode_truncated_userdata),
		cmocka_unit_test(test_decode_foreign_objects_force_replace),
		cmocka_unit_test(test_decode_table_ownership),
		cmocka_unit_test(test_recorded_meshc_table_reads_as_plan),
		cmocka_unit_test(test_recorded_rendered_table_reads_as_changed),
		cmocka_unit_test(test_recorded_relay_table_reads_as_plan),
		cmocka_unit_test(test_recorded_relay_rendered_sets_read_back),
		cmocka_unit_test(test_recorded_two_parts_each_reads_its_own),
		cmocka_unit_test(test_recorded_legacy_table_is_replaced),
		cmocka_unit_test(test_recorded_foreign_table),
		cmocka_unit_test(test_feed_refuses_garbage),
		cmocka_unit_test(test_kernel_round_trip_equals_plan),
		cmocka_unit_test(test_trusted_read_only_while_generation_holds),
		cmocka_unit_test(test_mark_record_and_trust),
		cmocka_unit_test(test_listing_equals_rendered_file),
		cmocka_unit_test(test_services_round_trip_and_listing),
		cmocka_unit_test(test_relay_services_round_trip_and_listing),
		cmocka_unit_test(test_services_change_is_element_batch),
		cmocka_unit_test(test_relay_listing_equals_rendered_file),
		cmocka_unit_test(test_relay_pairs_move_by_elements),
		cmocka_unit_test(test_element_update_and_replace_in_kernel),
		cmocka_unit_test(test_foreign_table_refused_and_untouched),
		cmocka_unit_test(test_down_deletes_only_meshc_table),
		cmocka_unit_test(test_refused_batch_changes_nothing),
		cmocka_unit_test(test_table_from_rendered_file_is_replaced),
		cmocka_unit_test(test_two_interfaces_keep_their_parts),
		cmocka_unit_test(test_trust_after_another_interface_applies),
		cmocka_unit_test(test_legacy_table_cleaned_up_by_next_apply),
		cmocka_unit_test(test_stale_batch_refused_and_retried),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
