/* nl.h - one netlink request and its answer, for rtnetlink and generic
 * netlink alike.
 *
 * A handle is a bound, close-on-exec socket whose reads give up after a
 * timeout, so a kernel (or a module) that never answers cannot hang
 * meshc.  nl_talk sends one request and reads its whole answer before
 * returning: data messages go to the caller's callback, the ACK or the
 * error ends it, and the kernel's extended-ACK text is kept to be
 * reported.  Messages that do not carry this request's sequence number
 * and port id (a late answer to an earlier request) are skipped.  A dump
 * the kernel marks as interrupted (NLM_F_DUMP_INTR: it changed while it
 * was read) is read to its end and answered -EINTR; nl_dump starts it
 * again, as wg(8) does.
 *
 * nl_answer_feed is the pure part (one received datagram in, the state
 * of the answer out): the unit tests give it constructed messages.
 */
#ifndef MESHC_APPLY_NL_H
#define MESHC_APPLY_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "base/strbuf.h"

/* The kernel fills a dump datagram up to the largest receive buffer it
 * has seen, capped at 32 KiB (libmnl >= 1.0.5 calls it
 * MNL_SOCKET_DUMP_SIZE); a smaller buffer would truncate. */
#define NL_RECV_SIZE 32768
/* One read never waits longer than this. */
#define NL_TIMEOUT_MS 5000
/* A dump interrupted this many times in a row is given up (-EINTR). */
#define NL_DUMP_TRIES 10

struct nl;

/* What one request got back.  The caller sets cb, data and secret; the
 * rest is the answer. */
struct nl_answer {
	/* Data messages (dump items, GET replies).  MNL_CB_ERROR (errno
	 * set, else -EPROTO) makes that the answer; the rest of the answer
	 * is still read but not passed on. */
	mnl_cb_t cb;
	void *data;
	bool secret;		/* datagrams hold keys: wiped once parsed */

	int error;		/* 0 or -errno: the kernel's, cb's, -EINTR */
	struct strbuf ext;	/* the kernel's extended-ACK text, if any */
	bool done;		/* the ACK, error or NLMSG_DONE arrived */
	bool interrupted;	/* a message carried NLM_F_DUMP_INTR */
	bool stopped;		/* cb said MNL_CB_STOP: the rest is drained */
};

/* A socket of this netlink bus (NETLINK_ROUTE, NETLINK_GENERIC), bound,
 * close-on-exec, reads limited to timeout_ms, extended and capped ACKs
 * asked for.  0 or -errno (not reported: the caller names the bus). */
int nl_open(int bus, int timeout_ms, struct nl **out);
void nl_close(struct nl *nl);
/* The socket's descriptor and port id: for nftables batches, whose
 * many ACKs nft.c reads itself (and the tests' close-on-exec check). */
int nl_fd(const struct nl *nl);
uint32_t nl_portid(const struct nl *nl);

/* Send req (NLM_F_REQUEST and, for a request that is not a dump,
 * NLM_F_ACK are added; the sequence number is set) and read the whole
 * answer into *ans (ans->ext is reset, not freed: strbuf_free it).
 * 0 or -errno: the answer's error, or the socket's (-ETIMEDOUT when no
 * answer came in time). */
int nl_talk(struct nl *nl, struct nlmsghdr *req, struct nl_answer *ans);

/* The reading half of nl_talk: the answer to the request sent last
 * (exported for the tests: with nothing sent, it times out). */
int nl_await(struct nl *nl, struct nl_answer *ans);

/* nl_talk for a dump, started again while the kernel says it was
 * interrupted (at most NL_DUMP_TRIES times); restart(data) runs before
 * each new try so the caller drops what the torn one delivered. */
int nl_dump(struct nl *nl, struct nlmsghdr *req, struct nl_answer *ans,
	    void (*restart)(void *data));

/* Pure: fold one received datagram into the answer to request (seq,
 * portid).  1: more of the answer is to come; 0: the answer is complete
 * (ans->error holds it); -EBADMSG: the datagram is malformed (a message
 * that overruns it, an error message shorter than struct nlmsgerr). */
int nl_answer_feed(struct nl_answer *ans, const void *buf, size_t len,
		   uint32_t seq, uint32_t portid);

#endif
