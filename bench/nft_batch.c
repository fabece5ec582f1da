/* nft_batch.c - the libnftnl floor of loading meshc's firewall: what the
 * kernel costs to create `table inet meshc` from one nf_tables batch,
 * with nothing parsed, compiled or read on the way.
 *
 * usage: nft_batch save FILE
 *        nft_batch load FILE
 *
 * save  dumps the table as it is in the current network namespace (the
 *       table, its chains, its sets with every element, its rules) and
 *       writes to FILE the raw bytes of the one batch that creates it
 *       again: batch begin, NEWTABLE, NEWCHAIN for each chain, NEWSET and
 *       NEWSETELEM for each set, NEWRULE for each rule in dump order, batch
 *       end.  Every message asks for an ACK, as meshc's do.
 * load  sends FILE to the kernel in one sendmsg, as a libnftnl batch
 *       sender does, and reads every ACK.  This is the process the
 *       benchmark times: it reads the file, counts the messages that ask
 *       for an ACK, sends, and reads the answers; nothing else.
 *
 * It uses libmnl and libnftnl only, none of meshc's code: it is the
 * yardstick that meshc's own batch (src/apply/nft.c) is measured against.
 * Exit 0 on success, 1 with a message on any error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#define PROG "nft_batch"
#define TABLE "meshc"
#define TABLE_WHAT "table inet " TABLE

/* One netlink datagram: a dump part (at most 32 KiB) or an ACK. */
#define RECV_SIZE (UINT16_MAX + 4096u)
/* No answer from the kernel within this long is an error, never a hang. */
#define IO_TIMEOUT_MS 5000
/* Batch pages as nft makes them; the overrun holds the largest message,
 * an element list (its attribute length is 16 bits) and its headers. */
#define BATCH_PAGE (128u * 1024)
#define BATCH_OVERRUN (UINT16_MAX + 4096u)

static void report(const char *what, int err, const char *detail)
{
	fprintf(stderr, PROG ": %s", what);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	if (detail && detail[0])
		fprintf(stderr, ": %s", detail);
	fputc('\n', stderr);
}

/* ---- the socket ---------------------------------------------------------- */

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char *buf;		/* RECV_SIZE: a request, then each answer */
};

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->buf);
	memset(nl, 0, sizeof(*nl));
}

static int nl_open(struct nl *nl)
{
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(RECV_SIZE);
	if (!nl->buf)
		return -ENOMEM;
	nl->sock = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl->sock || mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		nl_close(nl);
		return err;
	}
	/* The kernel's reason in text, and ACKs without the request copied
	 * back in them; older kernels lack both, which only costs detail. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = 1;
	return 0;
}

/* One datagram into nl->buf, waiting at most timeout_ms: bytes or -errno. */
static int nl_recv(struct nl *nl, int timeout_ms)
{
	struct pollfd p = { .fd = mnl_socket_get_fd(nl->sock),
			    .events = POLLIN };
	ssize_t n;
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = mnl_socket_recvfrom(nl->sock, nl->buf, RECV_SIZE);
	return n < 0 ? -errno : (int)n;
}

/* ---- save: the dump ------------------------------------------------------ */

struct dump {
	struct nftnl_table *table;
	struct nftnl_chain_list *chains;
	struct nftnl_set_list *sets;
	struct nftnl_rule_list *rules;
	struct nftnl_set *elems_of;	/* the set whose elements come in */
};

static bool ours(const char *table, uint32_t family)
{
	return table && !strcmp(table, TABLE) && family == NFPROTO_INET;
}

/* A message libnftnl cannot read is the kernel speaking a newer language:
 * an error, not something to guess around. */
static int unreadable(void)
{
	errno = EPROTO;
	return MNL_CB_ERROR;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0) {
		if (t)
			nftnl_table_free(t);
		return unreadable();
	}
	if (d->table)
		nftnl_table_free(d->table);
	d->table = t;
	return MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		if (c)
			nftnl_chain_free(c);
		return unreadable();
	}
	/* The chain dump is per family, not per table. */
	if (ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
		 nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY)))
		nftnl_chain_list_add_tail(c, d->chains);
	else
		nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s || nftnl_set_nlmsg_parse(nlh, s) < 0) {
		if (s)
			nftnl_set_free(s);
		return unreadable();
	}
	if (ours(nftnl_set_get_str(s, NFTNL_SET_TABLE),
		 nftnl_set_get_u32(s, NFTNL_SET_FAMILY)))
		nftnl_set_list_add_tail(s, d->sets);
	else
		nftnl_set_free(s);
	return MNL_CB_OK;
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;

	if (nftnl_set_elems_nlmsg_parse(nlh, d->elems_of) < 0)
		return unreadable();
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		if (r)
			nftnl_rule_free(r);
		return unreadable();
	}
	if (ours(nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
		 nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY)))
		nftnl_rule_list_add_tail(r, d->rules);
	else
		nftnl_rule_free(r);
	return MNL_CB_OK;
}

static struct nlmsghdr *request_hdr(struct nl *nl, uint16_t type,
				    uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(nl->buf, type, NFPROTO_INET, flags,
				     nl->seq++);
}

/* Send a request and run cb on every answer until the dump is done or
 * the kernel ACKs: 0 or -errno. */
static int talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = nlh->nlmsg_seq;

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		int n = nl_recv(nl, IO_TIMEOUT_MS), r;

		if (n < 0)
			return n;
		errno = 0;
		r = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (r < 0)
			return errno ? -errno : -EPROTO;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static int dump_table(struct nl *nl, struct dump *d)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		return -ENOMEM;
	nlh = request_hdr(nl, NFT_MSG_GETTABLE, NLM_F_ACK);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, TABLE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return talk(nl, nlh, table_cb, d);
}

static int dump_chains(struct nl *nl, struct dump *d)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!c)
		return -ENOMEM;
	nlh = request_hdr(nl, NFT_MSG_GETCHAIN, NLM_F_DUMP);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, TABLE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	return talk(nl, nlh, chain_cb, d);
}

static int dump_sets(struct nl *nl, struct dump *d)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s)
		return -ENOMEM;
	nlh = request_hdr(nl, NFT_MSG_GETSET, NLM_F_DUMP);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, TABLE);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return talk(nl, nlh, set_cb, d);
}

struct elems_dump {
	struct nl *nl;
	struct dump *d;
	int err;
};

static int dump_elems_of(struct nftnl_set *s, void *data)
{
	struct elems_dump *c = data;
	struct nlmsghdr *nlh;

	c->d->elems_of = s;
	nlh = request_hdr(c->nl, NFT_MSG_GETSETELEM, NLM_F_DUMP);
	/* The set has no elements yet: this names the table and the set. */
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	c->err = talk(c->nl, nlh, elem_cb, c->d);
	if (c->err)
		fprintf(stderr, PROG ": elements of set %s: %s\n",
			nftnl_set_get_str(s, NFTNL_SET_NAME),
			strerror(-c->err));
	return c->err ? -1 : 0;
}

static int dump_elems(struct nl *nl, struct dump *d)
{
	struct elems_dump c = { .nl = nl, .d = d };

	nftnl_set_list_foreach(d->sets, dump_elems_of, &c);
	return c.err;
}

static int dump_rules(struct nl *nl, struct dump *d)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r)
		return -ENOMEM;
	nlh = request_hdr(nl, NFT_MSG_GETRULE, NLM_F_DUMP);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, TABLE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return talk(nl, nlh, rule_cb, d);
}

static void dump_free(struct dump *d)
{
	if (d->table)
		nftnl_table_free(d->table);
	if (d->chains)
		nftnl_chain_list_free(d->chains);
	if (d->sets)
		nftnl_set_list_free(d->sets);
	if (d->rules)
		nftnl_rule_list_free(d->rules);
	memset(d, 0, sizeof(*d));
}

static int dump_init(struct dump *d)
{
	memset(d, 0, sizeof(*d));
	d->chains = nftnl_chain_list_alloc();
	d->sets = nftnl_set_list_alloc();
	d->rules = nftnl_rule_list_alloc();
	if (!d->chains || !d->sets || !d->rules) {
		dump_free(d);
		return -ENOMEM;
	}
	return 0;
}

/* The whole table, or -errno (reported). */
static int dump_all(struct dump *d)
{
	struct nl nl;
	int err;

	if ((err = dump_init(d))) {
		report("dump", -err, NULL);
		return err;
	}
	if ((err = nl_open(&nl))) {
		report("netlink socket", -err, NULL);
		return err;
	}
	if ((err = dump_table(&nl, d)))
		report(TABLE_WHAT, -err, err == -ENOENT ? "not there to save"
							: NULL);
	else if ((err = dump_chains(&nl, d)))
		report("chains of " TABLE_WHAT, -err, NULL);
	else if ((err = dump_sets(&nl, d)))
		report("sets of " TABLE_WHAT, -err, NULL);
	else if ((err = dump_elems(&nl, d)))
		;	/* reported with the set's name */
	else if ((err = dump_rules(&nl, d)))
		report("rules of " TABLE_WHAT, -err, NULL);
	nl_close(&nl);
	return err;
}

/* ---- save: the batch ----------------------------------------------------- */

struct batch {
	struct nftnl_batch *nb;
	uint32_t seq;
	int err;		/* the first failure of a foreach callback */
};

/* Every message asks for an ACK, so that the sender can check each one. */
static struct nlmsghdr *msg_start(struct batch *b, uint16_t type,
				  uint32_t family, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(b->nb), type,
				     (uint16_t)family, flags | NLM_F_ACK,
				     b->seq++);
}

static int msg_end(struct batch *b)
{
	return nftnl_batch_update(b->nb) < 0 ? -ENOMEM : 0;
}

static int batch_init(struct batch *b)
{
	memset(b, 0, sizeof(*b));
	b->nb = nftnl_batch_alloc(BATCH_PAGE, BATCH_OVERRUN);
	if (!b->nb)
		return -ENOMEM;
	b->seq = 1;
	nftnl_batch_begin(nftnl_batch_buffer(b->nb), b->seq++);
	return msg_end(b);
}

/* A dumped object carries what the kernel says about the live one: its
 * handle, use count, owner, counters.  None of it belongs in a creation,
 * and a handle sent back names an object of the deleted table: a chain or
 * rule message with one is refused (ENOENT). */
static int put_table(struct batch *b, struct nftnl_table *t)
{
	struct nlmsghdr *nlh;

	nftnl_table_unset(t, NFTNL_TABLE_HANDLE);
	nftnl_table_unset(t, NFTNL_TABLE_USE);
	nftnl_table_unset(t, NFTNL_TABLE_OWNER);
	nlh = msg_start(b, NFT_MSG_NEWTABLE,
			nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY),
			NLM_F_CREATE | NLM_F_EXCL);
	nftnl_table_nlmsg_build_payload(nlh, t);
	return msg_end(b);
}

static int put_chain(struct nftnl_chain *c, void *data)
{
	struct batch *b = data;
	struct nlmsghdr *nlh;

	nftnl_chain_unset(c, NFTNL_CHAIN_HANDLE);
	nftnl_chain_unset(c, NFTNL_CHAIN_USE);
	nftnl_chain_unset(c, NFTNL_CHAIN_BYTES);
	nftnl_chain_unset(c, NFTNL_CHAIN_PACKETS);
	nlh = msg_start(b, NFT_MSG_NEWCHAIN,
			nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY),
			NLM_F_CREATE);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	b->err = msg_end(b);
	return b->err ? -1 : 0;
}

/* A set's elements, as many NEWSETELEM messages as it takes: the element
 * list is one netlink attribute, whose length is 16 bits. */
struct elem_msgs {
	struct batch *b;
	struct nftnl_set *names;	/* the table and the set, no elements */
	uint32_t family;
	struct nlmsghdr *nlh;		/* the message being filled, or NULL */
	struct nlattr *list;
	int i;
};

static void elems_open(struct elem_msgs *m)
{
	m->nlh = msg_start(m->b, NFT_MSG_NEWSETELEM, m->family, NLM_F_CREATE);
	nftnl_set_elems_nlmsg_build_payload(m->nlh, m->names);
	m->list = mnl_attr_nest_start(m->nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	m->i = 0;
}

static int elems_close(struct elem_msgs *m)
{
	mnl_attr_nest_end(m->nlh, m->list);
	m->nlh = NULL;
	return msg_end(m->b);
}

static bool list_full(const struct elem_msgs *m)
{
	const char *tail = mnl_nlmsg_get_payload_tail(m->nlh);

	return tail - (const char *)m->list > UINT16_MAX;
}

static int put_elem(struct nftnl_set_elem *e, void *data)
{
	struct elem_msgs *m = data;
	uint32_t before;

	if (!m->nlh)
		elems_open(m);
	before = m->nlh->nlmsg_len;
	nftnl_set_elem_nlmsg_build(m->nlh, e, ++m->i);
	if (!list_full(m))
		return 0;
	/* This element opens the next message, unless it is too long for
	 * any message. */
	m->nlh->nlmsg_len = before;
	if (m->i == 1)
		m->b->err = -EMSGSIZE;
	else
		m->b->err = elems_close(m);
	if (m->b->err)
		return -1;
	elems_open(m);
	nftnl_set_elem_nlmsg_build(m->nlh, e, ++m->i);
	return 0;
}

static int put_elems(struct batch *b, struct nftnl_set *s)
{
	struct elem_msgs m = { .b = b };

	m.family = nftnl_set_get_u32(s, NFTNL_SET_FAMILY);
	m.names = nftnl_set_alloc();
	if (!m.names)
		return -ENOMEM;
	nftnl_set_set_str(m.names, NFTNL_SET_TABLE,
			  nftnl_set_get_str(s, NFTNL_SET_TABLE));
	nftnl_set_set_str(m.names, NFTNL_SET_NAME,
			  nftnl_set_get_str(s, NFTNL_SET_NAME));
	nftnl_set_elem_foreach(s, put_elem, &m);
	if (!b->err && m.nlh)
		b->err = elems_close(&m);
	nftnl_set_free(m.names);
	return b->err;
}

static int put_set(struct nftnl_set *s, void *data)
{
	struct batch *b = data;
	struct nlmsghdr *nlh;

	nftnl_set_unset(s, NFTNL_SET_HANDLE);
	/* The kernel wants an id, local to the transaction, for each new
	 * set, as nft gives it. */
	nftnl_set_set_u32(s, NFTNL_SET_ID, b->seq);
	nlh = msg_start(b, NFT_MSG_NEWSET,
			nftnl_set_get_u32(s, NFTNL_SET_FAMILY),
			NLM_F_CREATE | NLM_F_EXCL);
	nftnl_set_nlmsg_build_payload(nlh, s);
	if (!(b->err = msg_end(b)))
		b->err = put_elems(b, s);
	if (b->err)
		fprintf(stderr, PROG ": set %s: %s\n",
			nftnl_set_get_str(s, NFTNL_SET_NAME),
			strerror(-b->err));
	return b->err ? -1 : 0;
}

static int put_rule(struct nftnl_rule *r, void *data)
{
	struct batch *b = data;
	struct nlmsghdr *nlh;

	/* The dump gives each rule but a chain's first the handle of the
	 * one before it as its position: sent back, it names a rule of the
	 * old table, found in the new one only when the handles happen to
	 * come out the same.  Appended in dump order, the order is the
	 * same. */
	nftnl_rule_unset(r, NFTNL_RULE_HANDLE);
	nftnl_rule_unset(r, NFTNL_RULE_POSITION);
	nftnl_rule_unset(r, NFTNL_RULE_ID);
	nftnl_rule_unset(r, NFTNL_RULE_POSITION_ID);
	nlh = msg_start(b, NFT_MSG_NEWRULE,
			nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY),
			NLM_F_CREATE | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	b->err = msg_end(b);
	return b->err ? -1 : 0;
}

/* The batch that creates the dumped table: 0 or -errno (reported). */
static int build(struct batch *b, struct dump *d)
{
	int err;

	if ((err = batch_init(b)) || (err = put_table(b, d->table))) {
		report("batch", -err, NULL);
		return err;
	}
	if (nftnl_chain_list_foreach(d->chains, put_chain, b) < 0) {
		report("chains", -b->err, NULL);
		return b->err;
	}
	if (nftnl_set_list_foreach(d->sets, put_set, b) < 0)
		return b->err;	/* reported with the set's name */
	if (nftnl_rule_list_foreach(d->rules, put_rule, b) < 0) {
		report("rules", -b->err, NULL);
		return b->err;
	}
	nftnl_batch_end(nftnl_batch_buffer(b->nb), b->seq++);
	if ((err = msg_end(b)))
		report("batch", -err, NULL);
	return err;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The batch's pages, one after the other: the bytes a sender sends. */
static int write_batch(struct batch *b, const char *path)
{
	int n_iov = nftnl_batch_iovec_len(b->nb), fd, err = 0;
	struct iovec *iov = calloc((size_t)n_iov, sizeof(*iov));

	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(b->nb, iov, (uint32_t)n_iov);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		goto out_free_iov;
	}
	for (int i = 0; i < n_iov && !err; i++)
		err = write_all(fd, iov[i].iov_base, iov[i].iov_len);
	if (close(fd) < 0 && !err)
		err = -errno;
out_free_iov:
	free(iov);
	return err;
}

static int cmd_save(const char *path)
{
	struct dump d;
	struct batch b = { 0 };
	int err;

	if ((err = dump_all(&d)))
		goto out_free_dump;
	if ((err = build(&b, &d)))
		goto out_free_batch;
	if ((err = write_batch(&b, path)))
		report(path, -err, NULL);
out_free_batch:
	if (b.nb)
		nftnl_batch_free(b.nb);
out_free_dump:
	dump_free(&d);
	return err;
}

/* ---- load ---------------------------------------------------------------- */

static int read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;
	int fd, err = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_close;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		err = -ENOMEM;
		goto out_close;
	}
	while (got < *len) {
		ssize_t n = read(fd, *buf + got, *len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n ? -errno : -EIO;
			break;
		}
		got += (size_t)n;
	}
out_close:
	close(fd);
	return err;
}

/* The answers to wait for: the messages that ask for an ACK.  Walking the
 * headers is all load knows of the batch. */
static int count_acks(const char *buf, size_t len, size_t *n)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rest = len > INT_MAX ? -1 : (int)len;

	*n = 0;
	while (mnl_nlmsg_ok(nlh, rest)) {
		*n += !!(nlh->nlmsg_flags & NLM_F_ACK);
		nlh = mnl_nlmsg_next(nlh, &rest);
	}
	return rest == 0 && *n ? 0 : -EBADMSG;
}

/* Room for the whole batch in one datagram and for every ACK: as root,
 * the limits can be raised past the sysctl maxima (SO_*BUFFORCE). */
static void size_buffers(struct nl *nl, size_t out, size_t n_acks)
{
	int fd = mnl_socket_get_fd(nl->sock);
	int snd = out > INT_MAX / 4 ? INT_MAX / 2 : (int)out + 65536;
	int rcv = n_acks > 1000000 ? 1 << 30 : (int)n_acks * 1024 + 65536;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

/* The whole batch in one sendmsg, as nft and meshc send theirs: the
 * kernel takes it as one datagram and one transaction. */
static int send_batch(struct nl *nl, char *buf, size_t len)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &snl,
		.msg_namelen = sizeof(snl),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};

	return sendmsg(mnl_socket_get_fd(nl->sock), &msg, 0) < 0 ? -errno : 0;
}

/* What a refused message was, found in the batch by its sequence number
 * (the ACK carries no copy of it): only ever on the way to exit 1. */
static const char *msg_kind(uint16_t type)
{
	switch (type & 0xff) {
	case NFT_MSG_NEWTABLE:
		return "table";
	case NFT_MSG_NEWCHAIN:
		return "chain";
	case NFT_MSG_NEWSET:
		return "set";
	case NFT_MSG_NEWSETELEM:
		return "elements of set";
	case NFT_MSG_NEWRULE:
		return "rule in chain";
	default:
		return "batch message";
	}
}

/* The attribute that names the object of each kind of message. */
static uint16_t name_attr(uint16_t type)
{
	switch (type & 0xff) {
	case NFT_MSG_NEWTABLE:
		return NFTA_TABLE_NAME;
	case NFT_MSG_NEWCHAIN:
		return NFTA_CHAIN_NAME;
	case NFT_MSG_NEWSET:
		return NFTA_SET_NAME;
	case NFT_MSG_NEWSETELEM:
		return NFTA_SET_ELEM_LIST_SET;
	case NFT_MSG_NEWRULE:
		return NFTA_RULE_CHAIN;
	default:
		return 0;
	}
}

static void describe(const char *buf, size_t len, uint32_t seq, char *out,
		     size_t size)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int rest = (int)len;

	snprintf(out, size, "message %u", seq);
	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		const struct nlattr *attr;
		const char *name = "?";

		if (nlh->nlmsg_seq != seq)
			continue;
		mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(attr) == name_attr(nlh->nlmsg_type) &&
			    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
				name = mnl_attr_get_str(attr);
		}
		snprintf(out, size, "message %u (%s %s)", seq,
			 msg_kind(nlh->nlmsg_type), name);
		return;
	}
}

/* A refusal early in a batch makes later messages fail too (a table that
 * exists makes each of its sets exist): the first few say it all. */
#define MAX_REPORTED 5

struct acks {
	const char *buf;	/* the batch, to name a refused message */
	size_t len;
	size_t acked;
	size_t refused;
	int first_err;		/* -errno of the first refusal */
};

/* The kernel's extended-ACK text, if it sent one. */
static const char *ext_ack_text(const struct nlmsghdr *nlh,
				const struct nlmsgerr *e)
{
	size_t hlen = sizeof(*e);
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hlen += mnl_nlmsg_get_payload_len(&e->msg);
	mnl_attr_for_each(attr, nlh, hlen) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct acks *a = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	char what[128];

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	a->acked++;
	if (!e->error)
		return MNL_CB_OK;
	if (a->refused++ < MAX_REPORTED) {
		describe(a->buf, a->len, nlh->nlmsg_seq, what, sizeof(what));
		report(what, abs(e->error), ext_ack_text(nlh, e));
	}
	if (!a->first_err)
		a->first_err = e->error < 0 ? e->error : -e->error;
	return MNL_CB_OK;
}

/* The kernel handles the batch inside sendmsg, so every ACK is queued by
 * the time it returns; after a refusal, read what is left and stop. */
static int read_acks(struct nl *nl, struct acks *a, size_t n)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = ack_cb };

	while (a->acked < n) {
		int got = nl_recv(nl, a->first_err ? 0 : IO_TIMEOUT_MS);

		if (got == -ETIMEDOUT && a->first_err)
			break;
		if (got < 0) {
			report("reading the ACKs", -got, NULL);
			return got;
		}
		errno = 0;
		if (mnl_cb_run2(nl->buf, (size_t)got, 0, nl->portid, NULL, a,
				ctl, MNL_ARRAY_SIZE(ctl)) < 0) {
			int err = errno ? errno : EPROTO;

			report("reading the ACKs", err, NULL);
			return -err;
		}
	}
	if (a->refused > MAX_REPORTED)
		fprintf(stderr, PROG ": %zu more refusals in the same batch\n",
			a->refused - MAX_REPORTED);
	if (a->first_err)
		report("the kernel refused the batch", 0,
		       "nothing was changed");
	return a->first_err;
}

static int cmd_load(const char *path)
{
	struct acks a = { 0 };
	struct nl nl;
	char *buf;
	size_t len, n;
	int err;

	if ((err = read_file(path, &buf, &len))) {
		report(path, -err, NULL);
		goto out_free;
	}
	if ((err = count_acks(buf, len, &n))) {
		report(path, 0, "not a batch of netlink messages");
		goto out_free;
	}
	if ((err = nl_open(&nl))) {
		report("netlink socket", -err, NULL);
		goto out_free;
	}
	size_buffers(&nl, len, n);
	a.buf = buf;
	a.len = len;
	if ((err = send_batch(&nl, buf, len)))
		report("sending the batch", -err, NULL);
	else
		err = read_acks(&nl, &a, n);
	nl_close(&nl);
out_free:
	free(buf);
	return err;
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(const char *path);
} commands[] = {
	{ "save", cmd_save },
	{ "load", cmd_load },
};

int main(int argc, char **argv)
{
	if (argc == 3) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]);
		     i++)
			if (!strcmp(argv[1], commands[i].name))
				return commands[i].fn(argv[2]) ? 1 : 0;
	}
	fprintf(stderr, "usage: " PROG " save FILE   dump table inet " TABLE
			" into a batch that re-creates it\n"
			"       " PROG " load FILE   send that batch, read "
			"every ACK\n");
	return 1;
}
