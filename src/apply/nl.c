/* nl.c - one netlink request and its answer (see nl.h).
 *
 * Every request waits for its whole answer before the next one is sent,
 * so an error is always the answer to the request just made and the
 * caller can name the object it was about.
 */
#include "apply/nl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/secret.h"

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char *buf;		/* NL_RECV_SIZE: the datagram received */
};

int nl_open(int bus, int timeout_ms, struct nl **out)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct nl *nl = calloc(1, sizeof(*nl));
	int one = 1, err;

	*out = NULL;
	if (!nl || !(nl->buf = malloc(NL_RECV_SIZE))) {
		err = -ENOMEM;
		goto out_free;
	}
	nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sock) {
		err = -errno;
		goto out_free;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    (timeout_ms > 0 &&
	     setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO,
			&tv, sizeof(tv)) < 0)) {
		err = -errno;
		goto out_close_socket;
	}
	/* Best effort: without them errors say less, and a refused large
	 * request is echoed back whole. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	*out = nl;
	return 0;

out_close_socket:
	mnl_socket_close(nl->sock);
out_free:
	if (nl)
		free(nl->buf);
	free(nl);
	return err;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl->buf);
	free(nl);
}

int nl_fd(const struct nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

uint32_t nl_portid(const struct nl *nl)
{
	return nl->portid;
}

/* ---- reading an answer (pure) ----------------------------------------- */

static int ext_attr(const struct nlattr *at, void *data)
{
	struct nl_answer *ans = data;

	if (mnl_attr_get_type(at) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(at, MNL_TYPE_NUL_STRING) == 0) {
		strbuf_reset(&ans->ext);
		strbuf_puts(&ans->ext, mnl_attr_get_str(at));
	}
	return MNL_CB_OK;
}

/* The extended-ACK attributes start at off into the payload. */
static void ext_parse(const struct nlmsghdr *nlh, size_t off,
		      struct nl_answer *ans)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= len)
		return;
	mnl_attr_parse_payload((const char *)mnl_nlmsg_get_payload(nlh) + off,
			       len - off, ext_attr, ans);
}

static void set_error(struct nl_answer *ans, int err)
{
	if (!ans->error)
		ans->error = err;
}

/* NLMSG_ERROR: the ACK (error 0) or the kernel's refusal. */
static int on_error(const struct nlmsghdr *nlh, struct nl_answer *ans)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	ans->done = true;
	if (e->error == 0)
		return 0;
	/* the kernel's error wins over what a callback made of the data */
	ans->error = e->error < 0 ? e->error : -e->error;
	/* Without NLM_F_CAPPED the request is echoed before the TLVs. */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(e->msg))
			return 0;
		off += MNL_ALIGN(e->msg.nlmsg_len - sizeof(e->msg));
	}
	ext_parse(nlh, off, ans);
	return 0;
}

/* NLMSG_DONE ends a dump; a dump that failed carries its error there. */
static void on_done(const struct nlmsghdr *nlh, struct nl_answer *ans)
{
	int32_t err;

	ans->done = true;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(err))
		return;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err == 0)
		return;
	ans->error = err < 0 ? err : -err;
	ext_parse(nlh, sizeof(err), ans);
}

static void on_data(const struct nlmsghdr *nlh, struct nl_answer *ans)
{
	int ret;

	/* after a failure or an interruption the rest is only drained */
	if (!ans->cb || ans->error || ans->interrupted || ans->stopped)
		return;
	errno = 0;
	ret = ans->cb(nlh, ans->data);
	if (ret <= MNL_CB_ERROR)
		set_error(ans, errno ? -errno : -EPROTO);
	else if (ret == MNL_CB_STOP)
		ans->stopped = true;	/* the caller has what it wanted */
}

int nl_answer_feed(struct nl_answer *ans, const void *buf, size_t len,
		   uint32_t seq, uint32_t portid)
{
	const struct nlmsghdr *nlh = buf;
	int rem = len > NL_RECV_SIZE ? NL_RECV_SIZE : (int)len;

	for (; !ans->done && mnl_nlmsg_ok(nlh, rem);
	     nlh = mnl_nlmsg_next(nlh, &rem)) {
		/* a late answer to an earlier request, or not for us */
		if (nlh->nlmsg_seq != seq ||
		    (nlh->nlmsg_pid && nlh->nlmsg_pid != portid))
			continue;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			ans->interrupted = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_ERROR:
			if (on_error(nlh, ans))
				return -EBADMSG;
			break;
		case NLMSG_DONE:
			on_done(nlh, ans);
			break;
		case NLMSG_OVERRUN:
			set_error(ans, -ENOBUFS);
			ans->done = true;
			break;
		default:
			on_data(nlh, ans);
		}
	}
	if (!ans->done && rem > 0)
		return -EBADMSG;	/* bytes that are no whole message */
	if (!ans->done)
		return 1;
	if (ans->interrupted)
		set_error(ans, -EINTR);
	return 0;
}

/* ---- the socket ------------------------------------------------------- */

static bool is_dump(const struct nlmsghdr *nlh)
{
	return (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

static int send_request(struct nl *nl, const struct nlmsghdr *req)
{
	for (;;) {
		if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

/* One datagram into nl->buf: its length or -errno. */
static ssize_t receive(struct nl *nl)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf,
						NL_RECV_SIZE);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;	/* a signal, not the kernel */
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return -ETIMEDOUT;
		if (errno == ENOSPC)	/* libmnl: MSG_TRUNC */
			return -EMSGSIZE;
		return -errno;
	}
}

int nl_talk(struct nl *nl, struct nlmsghdr *req, struct nl_answer *ans)
{
	int err;

	ans->error = 0;
	ans->done = ans->interrupted = ans->stopped = false;
	strbuf_reset(&ans->ext);
	/* seq 0 is what unsolicited messages carry */
	if (++nl->seq == 0)
		nl->seq = 1;
	req->nlmsg_seq = nl->seq;
	req->nlmsg_pid = 0;
	req->nlmsg_flags |= NLM_F_REQUEST;
	/* a plain request is answered by an ACK; a dump ends in DONE */
	if (!is_dump(req))
		req->nlmsg_flags |= NLM_F_ACK;
	err = send_request(nl, req);
	if (err)
		return err;
	return nl_await(nl, ans);
}

int nl_await(struct nl *nl, struct nl_answer *ans)
{
	ssize_t n;
	int ret;

	do {
		n = receive(nl);
		if (n < 0)
			return (int)n;
		ret = nl_answer_feed(ans, nl->buf, (size_t)n, nl->seq,
				     nl->portid);
		if (ans->secret)
			secret_wipe(nl->buf, (size_t)n);
	} while (ret > 0);
	return ret < 0 ? ret : ans->error;
}

int nl_dump(struct nl *nl, struct nlmsghdr *req, struct nl_answer *ans,
	    void (*restart)(void *data))
{
	int err;

	for (int tries = 1;; tries++) {
		err = nl_talk(nl, req, ans);
		if (err != -EINTR || tries == NL_DUMP_TRIES)
			return err;
		/* it changed while we read it: what we have may be torn */
		if (restart)
			restart(ans->data);
	}
}
