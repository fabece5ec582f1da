/* nft.c - an interface's part of `table inet meshc` over nfnetlink: read
 * it, change it.
 *
 * Reading is a handful of dumps (table, chains, sets, the elements of the
 * part's sets, rules) between two ruleset generation ids: if another
 * program changed the ruleset meanwhile, the read starts over, so the
 * plan never mixes two generations.  Every answer must carry the
 * sequence number of its request and this socket's port id; a dump the
 * kernel flags as interrupted is read to its end before the read starts
 * over.  The dumped objects go to nft_decode() (nft_decode.c), a pure
 * function.
 *
 * Writing sends the one batch nft_batch_sync() (nft_build.c) made, in one
 * sendmsg, and reads an ACK for every message (each asks for one).  The
 * kernel applies a batch as one transaction: a refusal anywhere aborts all
 * of it.  Each refusal is reported with the object it concerns (the ACK's
 * sequence number is the message's) and the kernel's extended-ACK text.
 * The batch carries the generation the part was read at; a batch the
 * kernel refuses for a newer generation (ERESTART) is computed again from
 * a fresh read.
 */
#include "apply/nft_internal.h"
#include "apply/internal.h"
#include "apply/nl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/gen.h>

/* No answer from the kernel within this long is an error, never a hang. */
#define NFT_IO_TIMEOUT_MS 5000
/* One netlink message is at most 64 KiB plus headers. */
#define NFT_RECV_SIZE (UINT16_MAX + 4096u)
/* Reads that overlap another program's ruleset change are retried. */
#define NFT_READ_ATTEMPTS 5
/* Batches refused for a ruleset that moved on since the read. */
#define NFT_SYNC_ATTEMPTS 3

/* Requests go through the one netlink request/answer path (nl.c); the
 * batch's ACKs, one per message, are read here from the same socket. */
struct nft_sock {
	struct nl *nl;
	uint32_t seq;
	char *buf;		/* the request being built; the batch's ACKs */
};

static void sock_close(struct nft_sock *s)
{
	nl_close(s->nl);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

static int sock_open(struct nft_sock *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	if ((err = nl_open(NETLINK_NETFILTER, NFT_IO_TIMEOUT_MS, &s->nl))) {
		nft_report("netlink socket", -err, NULL);
		return err;
	}
	s->seq = 1;
	s->buf = malloc(NFT_RECV_SIZE);
	if (!s->buf) {
		sock_close(s);
		return -ENOMEM;
	}
	return 0;
}

/* One datagram, waiting at most timeout_ms.  Bytes or -errno. */
static int sock_recv(struct nft_sock *s, int timeout_ms)
{
	struct pollfd p = { .fd = nl_fd(s->nl), .events = POLLIN };
	ssize_t n;
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	n = recv(nl_fd(s->nl), s->buf, NFT_RECV_SIZE, 0);
	return n < 0 ? -errno : (int)n;
}

/* Send a request and run cb on every answer until the dump is done or
 * the kernel ACKs (nl_talk: answers are matched to the request, an
 * interrupted dump is read to its end).  0 or -errno (not reported: the
 * caller knows what it asked); -EINTR: the dump was interrupted by a
 * change. */
static int request(struct nft_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb,
		   void *data)
{
	struct nl_answer ans = { .cb = cb, .data = data };
	int err = nl_talk(s->nl, nlh, &ans);

	strbuf_free(&ans.ext);
	return err;
}

static struct nlmsghdr *req_hdr(struct nft_sock *s, uint16_t type,
				uint16_t family, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(s->buf, type, family, flags, s->seq++);
}

/* ---- reading ------------------------------------------------------------- */

struct read_ctx {
	struct arena *a;
	struct nft_live *l;
	const char *iface;	/* whose part */
	struct nftnl_set *set;	/* whose elements are being dumped */
	uint32_t gen;
};

/* A parse failure is the kernel speaking a language libnftnl does not
 * know: an error, not something to guess around. */
static int parse_failed(void)
{
	errno = EPROTO;
	return MNL_CB_ERROR;
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;
	struct nftnl_gen *g = nftnl_gen_alloc();

	if (!g || nftnl_gen_nlmsg_parse(nlh, g) < 0) {
		if (g)
			nftnl_gen_free(g);
		return parse_failed();
	}
	c->gen = nftnl_gen_get_u32(g, NFTNL_GEN_ID);
	nftnl_gen_free(g);
	return MNL_CB_OK;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0) {
		if (t)
			nftnl_table_free(t);
		return parse_failed();
	}
	if (c->l->table)
		nftnl_table_free(c->l->table);
	c->l->table = t;
	return MNL_CB_OK;
}

static bool in_our_table(const char *table, uint32_t family)
{
	return table && !strcmp(table, MESHC_NFT_TABLE) &&
	       family == NFPROTO_INET;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;
	struct nftnl_chain *ch = nftnl_chain_alloc();

	if (!ch || nftnl_chain_nlmsg_parse(nlh, ch) < 0) {
		if (ch)
			nftnl_chain_free(ch);
		return parse_failed();
	}
	if (in_our_table(nftnl_chain_get_str(ch, NFTNL_CHAIN_TABLE),
			 nftnl_chain_get_u32(ch, NFTNL_CHAIN_FAMILY)))
		nft_live_add_chain(c->a, c->l, ch);
	else
		nftnl_chain_free(ch);
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s || nftnl_set_nlmsg_parse(nlh, s) < 0) {
		if (s)
			nftnl_set_free(s);
		return parse_failed();
	}
	if (in_our_table(nftnl_set_get_str(s, NFTNL_SET_TABLE),
			 nftnl_set_get_u32(s, NFTNL_SET_FAMILY)))
		nft_live_add_set(c->a, c->l, s);
	else
		nftnl_set_free(s);
	return MNL_CB_OK;
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;

	if (nftnl_set_elems_nlmsg_parse(nlh, c->set) < 0)
		return parse_failed();
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *c = data;
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		if (r)
			nftnl_rule_free(r);
		return parse_failed();
	}
	if (in_our_table(nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
			 nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY)))
		nft_live_add_rule(c->a, c->l, r);
	else
		nftnl_rule_free(r);
	return MNL_CB_OK;
}

static mnl_cb_t dump_cb(enum nft_dump kind)
{
	switch (kind) {
	case NFT_DUMP_TABLE:
		return table_cb;
	case NFT_DUMP_CHAINS:
		return chain_cb;
	case NFT_DUMP_SETS:
		return set_cb;
	case NFT_DUMP_ELEMS:
		return elem_cb;
	default:
		return rule_cb;
	}
}

int nft_live_feed(struct arena *a, struct nft_live *l, enum nft_dump kind,
		  struct nftnl_set *set, const void *buf, size_t len)
{
	struct read_ctx c = { .a = a, .l = l, .set = set };

	errno = 0;
	if (mnl_cb_run(buf, len, 0, 0, dump_cb(kind), &c) < 0)
		return errno ? -errno : -EPROTO;
	return 0;
}

static int read_gen(struct nft_sock *s, struct read_ctx *c, uint32_t *gen)
{
	struct nlmsghdr *nlh = req_hdr(s, NFT_MSG_GETGEN, AF_UNSPEC,
				       NLM_F_ACK);
	int err = request(s, nlh, gen_cb, c);

	*gen = c->gen;
	return err;
}

static int read_table(struct nft_sock *s, struct read_ctx *c)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int err;

	if (!t)
		return -ENOMEM;
	nlh = req_hdr(s, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, MESHC_NFT_TABLE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	err = request(s, nlh, dump_cb(NFT_DUMP_TABLE), c);
	return err == -ENOENT ? 0 : err;
}

static int dump_chains(struct nft_sock *s, struct read_ctx *c)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!ch)
		return -ENOMEM;
	nlh = req_hdr(s, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, MESHC_NFT_TABLE);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return request(s, nlh, dump_cb(NFT_DUMP_CHAINS), c);
}

/* The sets, and with elems the elements of this part's and legacy sets
 * (other parts' elements are never needed: the expensive part of a
 * read). */
static int dump_sets(struct nft_sock *s, struct read_ctx *c, bool elems)
{
	struct nftnl_set *set = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	int err;

	if (!set)
		return -ENOMEM;
	nlh = req_hdr(s, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP);
	nftnl_set_set_str(set, NFTNL_SET_TABLE, MESHC_NFT_TABLE);
	nftnl_set_nlmsg_build_payload(nlh, set);
	nftnl_set_free(set);
	if ((err = request(s, nlh, dump_cb(NFT_DUMP_SETS), c)))
		return err;
	for (size_t i = 0; elems && i < c->l->n_sets; i++) {
		c->set = c->l->sets[i];
		if (nft_owner_of(nftnl_set_get_str(c->set, NFTNL_SET_NAME),
				 c->iface) == NFT_OWNER_OTHER)
			continue;
		nlh = req_hdr(s, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP);
		nftnl_set_elems_nlmsg_build_payload(nlh, c->set);
		if ((err = request(s, nlh, dump_cb(NFT_DUMP_ELEMS), c)))
			return err;
	}
	return 0;
}

static int dump_rules(struct nft_sock *s, struct read_ctx *c)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r)
		return -ENOMEM;
	nlh = req_hdr(s, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, MESHC_NFT_TABLE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return request(s, nlh, dump_cb(NFT_DUMP_RULES), c);
}

static int read_live(struct nft_sock *s, struct read_ctx *c)
{
	int err;

	if ((err = read_table(s, c)) || !c->l->table)
		return err;
	if ((err = dump_chains(s, c)) || (err = dump_sets(s, c, true)) ||
	    (err = dump_rules(s, c)))
		return err;
	return 0;
}

/* The handle of our table as read, or 0 (none, or not ours). */
static uint64_t our_handle(const struct nftnl_table *t)
{
	if (!t || !nft_table_is_ours(t) ||
	    !nftnl_table_is_set(t, NFTNL_TABLE_HANDLE))
		return 0;
	return nftnl_table_get_u64(t, NFTNL_TABLE_HANDLE);
}

/* The trust record holds if, at one generation, our table still has the
 * recorded handle and the generation is the recorded one: then nothing
 * committed since the record, not even another interface's apply (which
 * bumps the generation, and the part is dumped).  The chains and sets
 * (without elements: cheap) are read for the layout nft_sync needs;
 * with legacy objects or without the part the record cannot be right.
 * 1 when it holds (*seen filled), 0 when not (read the table), or
 * -errno. */
static int read_trusted(struct nft_sock *s, struct read_ctx *c,
			const struct nft_trust *trust, struct nft_seen *seen)
{
	uint32_t before, after;
	int err;

	if ((err = read_gen(s, c, &before)) || before != trust->gen)
		return err;
	if ((err = read_table(s, c)))
		return err == -EINTR ? 0 : err;
	if (our_handle(c->l->table) != trust->handle)
		return 0;
	if ((err = dump_chains(s, c)) || (err = dump_sets(s, c, false)))
		return err == -EINTR ? 0 : err;
	if ((err = read_gen(s, c, &after)))
		return err;
	if (after != before)
		return 0;
	nft_layout(c->a, c->l, c->iface, seen);
	if (!seen->n_chains || seen->n_legacy)
		return 0;
	seen->gen = after;
	return 1;
}

int nft_read(struct arena *a, const char *iface, struct plan_firewall *fw,
	     enum nft_table_state *state, const struct nft_trust *trust,
	     struct nft_seen *seen)
{
	const char *what = "reading table inet " MESHC_NFT_TABLE;
	struct nft_sock s;
	int err;

	memset(seen, 0, sizeof(*seen));
	seen->iface = iface;
	if ((err = sock_open(&s)))
		return err;
	if (trust) {
		struct nft_live l = { 0 };
		struct read_ctx c = { .a = a, .l = &l, .iface = iface };

		err = read_trusted(&s, &c, trust, seen);
		nft_live_free(&l);
		if (err > 0) {
			*fw = *trust->fw;
			*state = NFT_TABLE_OURS;
			seen->trusted = true;
			sock_close(&s);
			return 0;
		}
	}
	err = err < 0 ? err : -EAGAIN;
	for (int i = 0; i < NFT_READ_ATTEMPTS && err == -EAGAIN; i++) {
		struct nft_live l = { 0 };
		struct read_ctx c = { .a = a, .l = &l, .iface = iface };
		uint32_t before, after;

		err = read_gen(&s, &c, &before);
		if (!err)
			err = read_live(&s, &c);
		if (!err)
			err = read_gen(&s, &c, &after);
		/* EINTR: the kernel flagged a dump as interrupted by a
		 * change (NLM_F_DUMP_INTR); it has been read to its end. */
		if (err == -EINTR || (!err && before != after))
			err = -EAGAIN;
		if (!err) {
			nft_decode(a, &l, iface, state, fw, seen);
			seen->gen = after;
		}
		nft_live_free(&l);
	}
	sock_close(&s);
	if (err == -EAGAIN)
		nft_report(what, 0, "the ruleset kept changing while it was "
				    "read; try again");
	else if (err)
		nft_report(what, -err, NULL);
	return err;
}

int nft_ident(uint32_t *gen, uint64_t *handle)
{
	struct nft_live l = { 0 };
	struct read_ctx c = { .a = NULL, .l = &l };
	struct nft_sock s;
	int err;

	*handle = 0;
	if ((err = sock_open(&s)))
		return err;
	err = read_gen(&s, &c, gen);
	if (!err)
		err = read_table(&s, &c);
	if (!err)
		*handle = our_handle(l.table);
	nft_live_free(&l);
	sock_close(&s);
	return err;
}

/* ---- writing ------------------------------------------------------------- */

/* A refusal early in a batch makes later messages fail too (a table that
 * exists makes each of its sets exist): the first few say it all. */
#define NFT_MAX_REPORTED 5

struct ack_ctx {
	const struct nft_batch *b;
	uint32_t portid;
	size_t acked;
	size_t refused;
	int first_err;		/* -errno of the first refusal */
};

/* The kernel's extended-ACK text, if it sent one. */
static const char *ext_ack_msg(const struct nlmsghdr *nlh,
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
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(attr);
	}
	return NULL;
}

int nft_ack_parse(const struct nft_batch *b, const struct nlmsghdr *nlh,
		  const char **what, const char **msg)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nft_msg *m;

	if (nlh->nlmsg_type != NLMSG_ERROR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	*what = NULL;
	*msg = NULL;
	if (e->error == 0)
		return 0;
	m = nft_batch_msg(b, nlh->nlmsg_seq);
	*what = m ? m->what : "batch";
	*msg = ext_ack_msg(nlh, e);
	return e->error < 0 ? -e->error : e->error;
}

/* Does the answer come from the kernel for a message of this batch? */
static bool answers_batch(const struct ack_ctx *c, const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_pid == c->portid &&
	       nlh->nlmsg_seq - c->b->seq_begin <
		       c->b->next_seq - c->b->seq_begin;
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ack_ctx *c = data;
	const char *what, *msg;
	int err = answers_batch(c, nlh) ? nft_ack_parse(c->b, nlh, &what, &msg)
					 : -EPROTO;

	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	c->acked++;
	if (!err)
		return MNL_CB_OK;
	/* The generation moved on since the read: the batch was not
	 * looked at; nft_sync reads again, nothing to report. */
	if (err == ERESTART && nlh->nlmsg_seq == c->b->seq_begin) {
		c->first_err = -ERESTART;
		return MNL_CB_OK;
	}
	if (c->refused++ < NFT_MAX_REPORTED)
		nft_report(what, err, msg);
	if (!c->first_err)
		c->first_err = -err;
	return MNL_CB_OK;
}

/* Room for the whole batch in one sendmsg and for every ACK: as root the
 * limits can be raised past the sysctl maxima (SO_*BUFFORCE). */
static void size_buffers(struct nft_sock *s, size_t out, size_t n_acks)
{
	int fd = nl_fd(s->nl);
	int snd = out > INT32_MAX / 2 ? INT32_MAX / 2 : (int)out + 65536;
	int rcv = n_acks > 1000000 ? 1 << 30 : (int)n_acks * 1024 + 65536;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

static int send_iov(struct nft_sock *s, struct nft_batch *b)
{
	int n_iov = nftnl_batch_iovec_len(b->nb);
	struct iovec *iov = calloc((size_t)n_iov, sizeof(*iov));
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct msghdr msg = { 0 };
	size_t total = 0;
	ssize_t r;

	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(b->nb, iov, (uint32_t)n_iov);
	for (int i = 0; i < n_iov; i++)
		total += iov[i].iov_len;
	size_buffers(s, total, b->n_msgs);
	msg.msg_name = &snl;
	msg.msg_namelen = sizeof(snl);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n_iov;
	r = sendmsg(nl_fd(s->nl), &msg, 0);
	free(iov);
	return r < 0 ? -errno : 0;
}

/* The kernel handles the batch inside sendmsg, so its ACKs are queued by
 * the time it returns; after a refusal nothing more is coming. */
static int read_acks(struct nft_sock *s, struct nft_batch *b)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = ack_cb };
	struct ack_ctx c = { .b = b, .portid = nl_portid(s->nl) };

	while (c.acked < b->n_msgs) {
		int n = sock_recv(s, c.first_err ? 0 : NFT_IO_TIMEOUT_MS);

		if (n == -ETIMEDOUT && c.first_err)
			break;
		if (n < 0) {
			nft_report("batch", -n,
				   "the kernel's answers were lost; the "
				   "table may or may not have changed");
			return n;
		}
		errno = 0;
		if (mnl_cb_run2(s->buf, (size_t)n, 0, 0, NULL, &c, ctl,
				MNL_ARRAY_SIZE(ctl)) < 0) {
			int err = errno ? errno : EPROTO;

			nft_report("batch", err, "unreadable answer");
			return -err;
		}
	}
	if (c.refused > NFT_MAX_REPORTED)
		fprintf(stderr, "meshc: nftables: %zu more refusals in the "
				"same batch\n", c.refused - NFT_MAX_REPORTED);
	if (c.refused)
		fprintf(stderr, "meshc: nftables: the kernel refused the "
				"batch; nothing was changed\n");
	return c.first_err;
}

int nft_batch_send(struct nft_batch *b)
{
	struct nft_sock s;
	int err;

	nft_batch_close(b);
	if ((err = sock_open(&s)))
		return err;
	err = send_iov(&s, b);
	if (err)
		nft_report("sending the batch", -err, NULL);
	else
		err = read_acks(&s, b);
	sock_close(&s);
	return err;
}

/* One batch computed from seen.  0 or -errno; -ERESTART: the kernel
 * refused it because the ruleset moved on since seen->gen. */
static int sync_once(enum nft_table_state state, const struct nft_seen *seen,
		     const struct plan_firewall *want,
		     const struct changeset *cs, unsigned *batches)
{
	struct nft_batch b;
	int err;

	if ((err = nft_batch_init(&b, 1, seen->gen))) {
		nft_report("batch", -err, NULL);
		return err;
	}
	err = nft_batch_sync(&b, state, seen, want, cs);
	/* Debug builds: MESHC_FAULT=nftables makes the kernel refuse the
	 * batch (the table is made a second time, exclusively: EEXIST), to
	 * test that a refused transaction leaves nothing behind. */
	if (!err && b.n_msgs && want && want->n_rules &&
	    apply_fault("nftables")) {
		struct nft_seen none = { .iface = seen->iface };

		err = nft_batch_sync(&b, NFT_TABLE_ABSENT, &none, want, NULL);
	}
	if (!err && b.n_msgs) {
		err = nft_batch_send(&b);
		if (!err && batches)
			(*batches)++;
	}
	nft_batch_free(&b);
	return err;
}

int nft_sync(enum nft_table_state state, const struct nft_seen *seen,
	     const struct plan_firewall *want, const struct changeset *cs,
	     unsigned *batches)
{
	int err = sync_once(state, seen, want, cs, batches);
	struct arena a;

	arena_init(&a);
	for (int i = 1; i < NFT_SYNC_ATTEMPTS && err == -ERESTART; i++) {
		struct plan_firewall live;
		struct nft_seen again;

		/* Something committed since the part was read (another
		 * interface's apply, a hand edit): the diff may be stale.
		 * Read the part again and make it whole. */
		err = nft_read(&a, seen->iface, &live, &state, NULL, &again);
		if (!err)
			err = sync_once(state, &again, want, NULL, batches);
	}
	arena_free(&a);
	if (err == -ERESTART)
		nft_report("batch", 0, "the ruleset kept changing while meshc "
				       "changed it; nothing was changed, try "
				       "again");
	return err;
}
