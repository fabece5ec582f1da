/* record.c - record nf_tables replies as C arrays for test_nft.c.
 *
 * Run by record.sh inside a throwaway network namespace; appends one
 * recording to stdout.  Each array holds the raw bytes of every datagram
 * the kernel sent for one of the requests nft_read() makes (NLMSG_DONE or
 * the ACK included), so the test feeds them to the reader exactly as
 * they came.
 *
 *   record NAME               record table inet meshc as it is
 *   record NAME DOC NODE...   first load DOC's firewall for each NODE
 *                             with meshc's own batch (nft_read, then
 *                             nft_sync: each its own part), then record
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "apply/nft.h"
#include "compile/compile.h"
#include "load/load.h"
#include "validate/validate.h"

#define BUF_SIZE 65536

struct reply {
	unsigned char *b;
	size_t n;
};

static void emit(const char *name, const char *part, const struct reply *r)
{
	printf("static const unsigned char nft_fx_%s_%s[%zu] = {", name, part,
	       r->n);
	for (size_t i = 0; i < r->n; i++)
		printf("%s0x%02x,", i % 12 ? " " : "\n\t", r->b[i]);
	printf("\n};\n\n");
}

/* Send one request and collect every reply datagram until DONE/ACK. */
static void record(struct mnl_socket *nl, struct nlmsghdr *req,
		   struct reply *r)
{
	unsigned char buf[BUF_SIZE];
	int done = 0;

	memset(r, 0, sizeof(*r));
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		perror("send");
		exit(1);
	}
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *h = (const void *)buf;
		int len = (int)n;

		if (n < 0) {
			perror("recv");
			exit(1);
		}
		r->b = realloc(r->b, r->n + (size_t)n);
		if (!r->b)
			exit(1);
		memcpy(r->b + r->n, buf, (size_t)n);
		r->n += (size_t)n;
		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len))
			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR)
				done = 1;
	}
}

static void load(const char *doc, const char *node)
{
	struct arena a;
	struct source src;
	struct diags d;
	struct model *m;
	struct plan *p;

	arena_init(&a);
	diags_init(&d, &a);
	if (load_read_source(&a, doc, &src, &d))
		exit(1);
	m = load_model(&a, &src, &d);
	if (!m)
		exit(1);
	validate_model(&a, m, &d);
	if (d.errors || model_node_find(m, node) == MODEL_NONE)
		exit(1);
	p = compile_node(&a, m, model_node_find(m, node));
	{
		struct plan_firewall live;
		enum nft_table_state st;
		struct nft_seen seen;

		if (nft_read(&a, p->fw.iface, &live, &st, NULL, &seen) ||
		    nft_sync(st, &seen, &p->fw, NULL, NULL))
			exit(1);
	}
	arena_free(&a);
}

/* The set names of a set dump, for the element requests. */
static size_t set_names(const struct reply *r, char names[][64], size_t max)
{
	const struct nlmsghdr *h = (const void *)r->b;
	int len = (int)r->n;
	size_t n = 0;

	for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len)) {
		struct nftnl_set *s;

		if (h->nlmsg_type < NLMSG_MIN_TYPE || n == max)
			continue;
		s = nftnl_set_alloc();
		if (nftnl_set_nlmsg_parse(h, s) == 0)
			snprintf(names[n++], 64, "%s",
				 nftnl_set_get_str(s, NFTNL_SET_NAME));
		nftnl_set_free(s);
	}
	return n;
}

/* A set name as part of a C identifier: "meshx/mesh4" -> "meshx_mesh4".
 * Returns a static buffer (this tool prints one name at a time). */
static const char *c_name(const char *set)
{
	static char out[64];
	size_t i = 0;

	for (; set[i] && i < sizeof(out) - 1; i++)
		out[i] = set[i] == '/' ? '_' : set[i];
	out[i] = '\0';
	return out;
}

int main(int argc, char **argv)
{
	static const char *const kinds[] = { "NFT_DUMP_TABLE",
					     "NFT_DUMP_CHAINS",
					     "NFT_DUMP_SETS" };
	char buf[BUF_SIZE], names[64][64], part[80];
	const char *name;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct reply r[3], e;
	uint32_t seq = 1;
	size_t n_sets;

	if (argc == 3)
		return 2;
	name = argv[1];
	for (int i = 3; i < argc; i++)
		load(argv[2], argv[i]);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return 1;

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET,
				    NLM_F_ACK, seq++);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, MESHC_NFT_TABLE);
	record(nl, nlh, &r[0]);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_INET,
				    NLM_F_DUMP, seq++);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, MESHC_NFT_TABLE);
	record(nl, nlh, &r[1]);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, NFPROTO_INET,
				    NLM_F_DUMP, seq++);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, MESHC_NFT_TABLE);
	record(nl, nlh, &r[2]);

	emit(name, "table", &r[0]);
	emit(name, "chains", &r[1]);
	emit(name, "sets", &r[2]);
	n_sets = set_names(&r[2], names, 64);
	for (size_t i = 0; i < n_sets; i++) {
		nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM,
					    NFPROTO_INET, NLM_F_DUMP, seq++);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE,
				  MESHC_NFT_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, names[i]);
		record(nl, nlh, &e);
		snprintf(part, sizeof(part), "elems_%s", c_name(names[i]));
		emit(name, part, &e);
		free(e.b);
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET,
				    NLM_F_DUMP, seq++);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, MESHC_NFT_TABLE);
	record(nl, nlh, &e);
	emit(name, "rules", &e);
	free(e.b);

	printf("static const struct nft_fx nft_fx_%s[] = {\n", name);
	for (int i = 0; i < 3; i++)
		printf("\t{ %s, NULL, nft_fx_%s_%s, sizeof(nft_fx_%s_%s) },\n",
		       kinds[i], name, i == 0 ? "table" : i == 1 ? "chains"
							  : "sets",
		       name, i == 0 ? "table" : i == 1 ? "chains" : "sets");
	for (size_t i = 0; i < n_sets; i++)
		printf("\t{ NFT_DUMP_ELEMS, \"%s\", nft_fx_%s_elems_%s, "
		       "sizeof(nft_fx_%s_elems_%s) },\n",
		       names[i], name, c_name(names[i]), name,
		       c_name(names[i]));
	printf("\t{ NFT_DUMP_RULES, NULL, nft_fx_%s_rules, "
	       "sizeof(nft_fx_%s_rules) },\n};\n\n", name, name);
	for (int i = 0; i < 3; i++)
		free(r[i].b);
	mnl_socket_close(nl);
	return 0;
}
