/* test_nl.c - the one netlink request/answer implementation (apply/nl.c):
 * constructed answers fed to the pure reader (no root), then the socket
 * against a real kernel in a network namespace of its own (root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "apply/nl.h"
#include "apply/rtnl.h"

#define SEQ 7
#define PORTID 4242

/* ---- constructed answers ------------------------------------------------ */

/* A datagram being built: messages appended one after the other. */
struct dgram {
	_Alignas(4) char buf[4096];
	size_t len;
};

static struct nlmsghdr *put_msg(struct dgram *d, uint16_t type,
				uint16_t flags, uint32_t seq, uint32_t pid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = pid;
	return nlh;
}

static void end_msg(struct dgram *d, struct nlmsghdr *nlh)
{
	d->len += MNL_ALIGN(nlh->nlmsg_len);
}

static void put_data(struct dgram *d, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = put_msg(d, RTM_NEWLINK, flags, seq, PORTID);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_index = 1;
	end_msg(d, nlh);
}

/* NLMSG_ERROR with err; text != NULL: an extended-ACK message. */
static void put_error(struct dgram *d, int err, const char *text,
		      uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = put_msg(d, NLMSG_ERROR, flags, seq, PORTID);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = err;
	e->msg.nlmsg_len = sizeof(e->msg);
	e->msg.nlmsg_seq = seq;
	if (text) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	}
	end_msg(d, nlh);
}

static void put_done(struct dgram *d, int32_t err, uint16_t flags,
		     uint32_t seq)
{
	struct nlmsghdr *nlh = put_msg(d, NLMSG_DONE, flags, seq, PORTID);
	int32_t *p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));

	*p = err;
	end_msg(d, nlh);
}

/* Feed an exact-size heap copy: the sanitizer sees a read past the end. */
static int feed(struct nl_answer *ans, const struct dgram *d)
{
	void *copy = malloc(d->len);
	int ret;

	memcpy(copy, d->buf, d->len);
	ret = nl_answer_feed(ans, copy, d->len, SEQ, PORTID);
	free(copy);
	return ret;
}

struct counter {
	int calls;
	int fail_at;	/* this call returns MNL_CB_ERROR (0: never) */
};

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	struct counter *c = data;

	(void)nlh;
	if (++c->calls == c->fail_at) {
		errno = ENOMSG;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static void test_ack_ends_the_answer(void **state)
{
	struct counter c = { 0 };
	struct nl_answer ans = { .cb = count_cb, .data = &c };
	struct dgram d = { .len = 0 };

	(void)state;
	put_data(&d, 0, SEQ);		/* a GET's reply */
	put_error(&d, 0, NULL, 0, SEQ);	/* then its ACK */
	assert_int_equal(feed(&ans, &d), 0);
	assert_int_equal(ans.error, 0);
	assert_int_equal(c.calls, 1);
	strbuf_free(&ans.ext);
}

/* An NLMSG_ERROR too short to hold struct nlmsgerr is malformed, and
 * nothing beyond it is read (the old wg.c and rtnl.c copies differed). */
static void test_short_error_message_is_malformed(void **state)
{
	struct nl_answer ans = { 0 };
	struct dgram d = { .len = 0 };
	struct nlmsghdr *nlh = put_msg(&d, NLMSG_ERROR, 0, SEQ, PORTID);
	int32_t *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	(void)state;
	*err = -EPERM;	/* an error code and no echoed header */
	end_msg(&d, nlh);
	assert_int_equal(feed(&ans, &d), -EBADMSG);
	assert_false(ans.done);
	strbuf_free(&ans.ext);
}

static void test_error_keeps_the_kernel_text(void **state)
{
	struct nl_answer ans = { 0 };
	struct dgram d = { .len = 0 };

	(void)state;
	put_error(&d, -EOPNOTSUPP, "Unknown device type", NLM_F_CAPPED, SEQ);
	assert_int_equal(feed(&ans, &d), 0);
	assert_int_equal(ans.error, -EOPNOTSUPP);
	assert_string_equal(strbuf_str(&ans.ext), "Unknown device type");
	strbuf_free(&ans.ext);
}

/* Without NLM_F_CAPPED the request is echoed; an echo whose header says
 * less than a header is not trusted to find the TLVs. */
static void test_uncapped_error_with_bogus_echo(void **state)
{
	struct nl_answer ans = { 0 };
	struct dgram d = { .len = 0 };
	struct nlmsghdr *nlh = put_msg(&d, NLMSG_ERROR, NLM_F_ACK_TLVS, SEQ,
				       PORTID);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	(void)state;
	e->error = -EINVAL;
	e->msg.nlmsg_len = 3;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "not to be found");
	end_msg(&d, nlh);
	assert_int_equal(feed(&ans, &d), 0);
	assert_int_equal(ans.error, -EINVAL);
	assert_int_equal(ans.ext.len, 0);
	/* a huge echo length points past the message: no TLVs either */
	memset(&ans, 0, sizeof(ans));
	e->msg.nlmsg_len = 0x7fffffff;
	assert_int_equal(feed(&ans, &d), 0);
	assert_int_equal(ans.error, -EINVAL);
	assert_int_equal(ans.ext.len, 0);
	strbuf_free(&ans.ext);
}

/* A late answer to an earlier request (another sequence number) or a
 * message for another port is skipped, not taken as this answer. */
static void test_other_requests_answers_are_skipped(void **state)
{
	struct counter c = { 0 };
	struct nl_answer ans = { .cb = count_cb, .data = &c };
	struct dgram d = { .len = 0 };
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	(void)state;
	put_data(&d, 0, SEQ - 1);
	put_error(&d, -EEXIST, NULL, 0, SEQ - 1);
	nlh = put_msg(&d, NLMSG_ERROR, 0, SEQ, PORTID + 1);
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EPERM;
	end_msg(&d, nlh);
	assert_int_equal(feed(&ans, &d), 1);	/* still waiting */
	assert_int_equal(c.calls, 0);
	assert_int_equal(ans.error, 0);
	d.len = 0;
	put_error(&d, 0, NULL, 0, SEQ);
	assert_int_equal(feed(&ans, &d), 0);
	assert_int_equal(ans.error, 0);
	strbuf_free(&ans.ext);
}

/* A dump over several datagrams; one marked interrupted is read to its
 * end (the next request must not find its rest) and answers -EINTR. */
static void test_interrupted_dump_is_drained_then_eintr(void **state)
{
	struct counter c = { 0 };
	struct nl_answer ans = { .cb = count_cb, .data = &c };
	struct dgram d = { .len = 0 };

	(void)state;
	put_data(&d, NLM_F_MULTI, SEQ);
	put_data(&d, NLM_F_MULTI, SEQ);
	assert_int_equal(feed(&ans, &d), 1);
	d.len = 0;
	put_data(&d, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ);
	put_data(&d, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ);
	assert_int_equal(feed(&ans, &d), 1);
	d.len = 0;
	put_done(&d, 0, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ);
	assert_int_equal(feed(&ans, &d), 0);
	assert_int_equal(ans.error, -EINTR);
	assert_int_equal(c.calls, 2);	/* nothing torn was passed on */
	strbuf_free(&ans.ext);
}

static void test_dump_error_in_done(void **state)
{
	struct nl_answer ans = { 0 };
	struct dgram d = { .len = 0 };
	struct nlmsghdr *nlh = put_msg(&d, NLMSG_DONE,
				       NLM_F_MULTI | NLM_F_ACK_TLVS, SEQ,
				       PORTID);
	int32_t *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	(void)state;
	*err = -ENODEV;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "no such device");
	end_msg(&d, nlh);
	assert_int_equal(feed(&ans, &d), 0);
	assert_int_equal(ans.error, -ENODEV);
	assert_string_equal(strbuf_str(&ans.ext), "no such device");
	strbuf_free(&ans.ext);
}

/* The callback's failure is the answer; the rest is drained unseen. */
static void test_callback_failure_drains_the_rest(void **state)
{
	struct counter c = { .fail_at = 1 };
	struct nl_answer ans = { .cb = count_cb, .data = &c };
	struct dgram d = { .len = 0 };

	(void)state;
	put_data(&d, NLM_F_MULTI, SEQ);
	put_data(&d, NLM_F_MULTI, SEQ);
	assert_int_equal(feed(&ans, &d), 1);
	d.len = 0;
	put_data(&d, NLM_F_MULTI, SEQ);
	put_done(&d, 0, NLM_F_MULTI, SEQ);
	assert_int_equal(feed(&ans, &d), 0);
	assert_int_equal(ans.error, -ENOMSG);
	assert_int_equal(c.calls, 1);
	strbuf_free(&ans.ext);
}

/* A message whose length runs past the datagram, or bytes that are no
 * whole header, make the datagram malformed. */
static void test_truncated_datagram_is_malformed(void **state)
{
	struct nl_answer ans = { 0 };
	struct dgram d = { .len = 0 };

	(void)state;
	put_data(&d, NLM_F_MULTI, SEQ);
	d.len -= 4;
	assert_int_equal(feed(&ans, &d), -EBADMSG);
	d.len = 0;
	put_data(&d, NLM_F_MULTI, SEQ);
	d.len += 8;
	memset(d.buf + d.len - 8, 0, 8);
	assert_int_equal(feed(&ans, &d), -EBADMSG);
	strbuf_free(&ans.ext);
}

/* ---- against the kernel (root, own network namespace) ------------------ */

#define CHECK(cond)                                                       \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: check failed: %s\n",      \
				__FILE__, __LINE__, #cond);               \
			return 1;                                         \
		}                                                         \
	} while (0)

static void run_in_netns(int (*fn)(void))
{
	pid_t pid;
	int status;

	assert_int_equal(geteuid(), 0);	/* CI runs the units as root */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) != 0) {
			perror("unshare(CLONE_NEWNET)");
			_exit(2);
		}
		exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int lo_index(void)
{
	return (int)if_nametoindex("lo");
}

/* The kernel's extended-ACK text comes back with the error. */
static int error_text_child(void)
{
	char buf[512];
	struct nl_answer ans = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	struct nlattr *info;
	struct nl *nl;
	int err;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "mcbogus0");
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "meshc-no-such-kind");
	mnl_attr_nest_end(nlh, info);
	CHECK(nl_open(NETLINK_ROUTE, NL_TIMEOUT_MS, &nl) == 0);
	err = nl_talk(nl, nlh, &ans);
	CHECK(err == -EOPNOTSUPP);
	CHECK(strstr(strbuf_str(&ans.ext), "Unknown device type"));
	/* the same handle goes on: a plain ACK next */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = lo_index();
	ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	CHECK(nl_talk(nl, nlh, &ans) == 0);
	CHECK(ans.ext.len == 0);
	strbuf_free(&ans.ext);
	nl_close(nl);
	return 0;
}

static void test_kernel_error_carries_its_text(void **state)
{
	(void)state;
	run_in_netns(error_text_child);
}

/* No answer within the timeout is -ETIMEDOUT, not a hang (the generic
 * netlink copy in wg.c had no timeout at all). */
static void test_no_answer_times_out(void **state)
{
	struct nl_answer ans = { 0 };
	struct timespec t0, t1;
	struct nl *nl;
	double secs;

	(void)state;
	assert_int_equal(nl_open(NETLINK_GENERIC, 200, &nl), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(nl_await(nl, &ans), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 0.15 && secs < 3);
	strbuf_free(&ans.ext);
	nl_close(nl);
}

/* Every socket meshc's netlink code opens is close-on-exec: a daemon it
 * starts (wireguard-go) must not inherit them. */
static bool all_sockets_cloexec(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	bool ok = true;

	if (!d)
		return false;
	while ((e = readdir(d))) {
		char link[64], target[64];
		int fd = atoi(e->d_name);
		ssize_t n;

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (!strncmp(target, "socket:", 7) &&
		    !(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
			fprintf(stderr, "fd %d (%s) is not close-on-exec\n",
				fd, target);
			ok = false;
		}
	}
	closedir(d);
	return ok;
}

static void test_sockets_are_cloexec(void **state)
{
	struct rtnl *r;
	struct nl *nl;

	(void)state;
	assert_int_equal(nl_open(NETLINK_GENERIC, NL_TIMEOUT_MS, &nl), 0);
	assert_true(fcntl(nl_fd(nl), F_GETFD) & FD_CLOEXEC);
	assert_int_equal(rtnl_open(&r), 0);
	assert_true(all_sockets_cloexec());
	rtnl_close(r);
	nl_close(nl);
}

/* ---- an interrupted dump, for real ----------------------------------- */

/* A link dump spans several datagrams; a link added while it runs makes
 * the kernel mark the rest NLM_F_DUMP_INTR.  (The same restart serves the
 * WireGuard device dump, whose peers may change while it is read.) */

#define N_PAIRS 150

/* veth pair d<i>/p<i> */
static int add_veth(struct nl *nl, unsigned i)
{
	char buf[256], name[16];
	struct nl_answer ans = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *pifi;
	int err;

	snprintf(name, sizeof(name), "d%u", i);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	snprintf(name, sizeof(name), "p%u", i);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	err = nl_talk(nl, nlh, &ans);
	strbuf_free(&ans.ext);
	return err;
}

struct intr_ctx {
	struct nl *other;	/* changes the links meanwhile */
	int seen, restarts, changes;
};

static int intr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct intr_ctx *c = data;

	(void)nlh;
	/* once, early in the first try: the kernel marks the rest */
	if (++c->seen == 2 && c->changes++ == 0 &&
	    add_veth(c->other, N_PAIRS + 1))
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static void intr_restart(void *data)
{
	struct intr_ctx *c = data;

	c->seen = 0;
	c->restarts++;
}

static int interrupted_dump_child(void)
{
	char buf[256];
	struct intr_ctx c = { 0 };
	struct nl_answer ans = { .cb = intr_cb, .data = &c };
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	struct nl *nl;

	CHECK(nl_open(NETLINK_ROUTE, NL_TIMEOUT_MS, &nl) == 0);
	CHECK(nl_open(NETLINK_ROUTE, NL_TIMEOUT_MS, &c.other) == 0);
	for (unsigned i = 1; i <= N_PAIRS; i++)
		CHECK(add_veth(c.other, i) == 0);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	CHECK(nl_dump(nl, nlh, &ans, intr_restart) == 0);
	/* the change made during the first try restarted it once, and the
	 * second try saw every link (lo and the new pair too) */
	if (c.restarts != 1 || c.seen != 2 * N_PAIRS + 3)
		fprintf(stderr, "restarts %d, seen %d\n", c.restarts, c.seen);
	CHECK(c.restarts == 1);
	CHECK(c.seen == 2 * N_PAIRS + 3);
	strbuf_free(&ans.ext);
	nl_close(c.other);
	nl_close(nl);
	return 0;
}

static void test_interrupted_dump_starts_again(void **state)
{
	(void)state;
	run_in_netns(interrupted_dump_child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_ends_the_answer),
		cmocka_unit_test(test_short_error_message_is_malformed),
		cmocka_unit_test(test_error_keeps_the_kernel_text),
		cmocka_unit_test(test_uncapped_error_with_bogus_echo),
		cmocka_unit_test(test_other_requests_answers_are_skipped),
		cmocka_unit_test(test_interrupted_dump_is_drained_then_eintr),
		cmocka_unit_test(test_dump_error_in_done),
		cmocka_unit_test(test_callback_failure_drains_the_rest),
		cmocka_unit_test(test_truncated_datagram_is_malformed),
		cmocka_unit_test(test_kernel_error_carries_its_text),
		cmocka_unit_test(test_no_answer_times_out),
		cmocka_unit_test(test_sockets_are_cloexec),
		cmocka_unit_test(test_interrupted_dump_starts_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
