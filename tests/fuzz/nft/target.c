/* nft - fuzz the reader of nf_tables dump replies: nft_live_feed (the
 * bytes of one reply, via libnftnl) and nft_decode (libnftnl objects ->
 * firewall plan).
 *
 * The input is a sequence of replies, each as nft_read() receives it:
 *   u8 kind (enum nft_dump, mod 5), u16 length (little endian), then for
 *   NFT_DUMP_ELEMS the set's name NUL-terminated, then the reply's bytes.
 * An ELEMS reply for a set no earlier SETS reply listed is skipped (the
 * reader only asks for the elements of sets it has).  tests/fuzz/seeds.py
 * writes the recorded replies of tests/unit/data/nft in this form.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "apply/nft_internal.h"
#include "base/arena.h"
#include "plan/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Would libmnl's message walk (mnl_cb_run) stay inside the buffer?  It
 * compares (int)nlmsg_len, so a length of 2^31 or more passes as negative
 * and the walk leaves the buffer.  Only the kernel writes the replies
 * meshc reads, so that is no bug of meshc's: such replies are skipped
 * (see tests/fuzz/netlink/crashes/harness-nlmsg-len-over-int-max). */
static bool libmnl_walk_safe(const void *buf, size_t len)
{
	const char *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		if (nlh->nlmsg_len > INT32_MAX)
			return false;
		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
			return true;
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			return true;
		p += step;
		len -= step;
	}
	return true;
}

/* libnftnl 1.2.4 dereferences a missing NFTA_EXPR_NAME (strcmp on NULL
 * in nftnl_expr_alloc) when it parses a rule: a bug of the library's on
 * input only the kernel can send (crashes/libnftnl-expr-without-name).
 * Rule replies with such an expression are skipped. */
static bool exprs_named(const struct nlattr *exprs)
{
	const struct nlattr *elem, *attr;

	mnl_attr_for_each_nested(elem, exprs) {
		bool named = false;

		mnl_attr_for_each_nested(attr, elem) {
			if (mnl_attr_get_type(attr) == NFTA_EXPR_NAME &&
			    mnl_attr_get_payload_len(attr) > 0)
				named = true;
		}
		if (!named)
			return false;
	}
	return true;
}

static bool rules_parsable(const void *buf, size_t len)
{
	const char *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		const struct nlattr *attr;
		size_t step;

		if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len)
			return true;
		if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN +
		    MNL_ALIGN(sizeof(struct nfgenmsg))) {
			mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
				if (mnl_attr_get_type(attr) ==
				    NFTA_RULE_EXPRESSIONS &&
				    !exprs_named(attr))
					return false;
			}
		}
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			return true;
		p += step;
		len -= step;
	}
	return true;
}

static struct nftnl_set *find_set(const struct nft_live *l, const char *name,
				  size_t name_len)
{
	for (size_t i = 0; i < l->n_sets; i++) {
		const char *n = nftnl_set_get_str(l->sets[i], NFTNL_SET_NAME);

		if (n && strlen(n) == name_len && !memcmp(n, name, name_len))
			return l->sets[i];
	}
	return NULL;
}

static void feed_one(struct arena *a, struct nft_live *l, unsigned kind,
		     const uint8_t *p, size_t len)
{
	struct nftnl_set *set = NULL;
	void *buf;

	if (kind == NFT_DUMP_ELEMS) {
		const uint8_t *nul = memchr(p, 0, len);

		if (!nul)
			return;
		set = find_set(l, (const char *)p, (size_t)(nul - p));
		if (!set)
			return;
		len -= (size_t)(nul - p) + 1;
		p = nul + 1;
	}
	/* A malloc'd copy (aligned), with one NUL after the reply: libnftnl
	 * strdup()s string attributes without checking for their NUL (the
	 * kernel always sends one), and meshc's receive buffer is larger
	 * than any reply, so the read stops inside it
	 * (crashes/libnftnl-string-without-nul). */
	buf = calloc(1, len + 1);
	if (!buf)
		return;
	memcpy(buf, p, len);
	if (libmnl_walk_safe(buf, len) &&
	    (kind != NFT_DUMP_RULES || rules_parsable(buf, len)))
		nft_live_feed(a, l, (enum nft_dump)kind, set, buf, len);
	free(buf);
}

static void feed_all(struct arena *a, struct nft_live *l, const uint8_t *data,
		     size_t size)
{
	while (size >= 3) {
		unsigned kind = data[0] % 5;
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		feed_one(a, l, kind, data, len);
		data += len;
		size -= len;
	}
}

/* libnftnl 1.2.4 trusts the kernel: on a reply the kernel would never
 * send it calls exit() ("nf_tables kernel ABI is broken", on an attribute
 * of the wrong size), dereferences NULL (an expression without a name or
 * without an attribute its parser needs) or reads past a string without
 * NUL (crashes/libnftnl-*).  None of that is meshc's code, so each input
 * is first fed in a child process; an input that kills the child is
 * skipped, any other is run again here for real, where the sanitizers
 * and the coverage see it.  (Faults inside nft_live_feed's callbacks are
 * thereby skipped too; nft_decode, meshc's decoding, runs only here.) */
static void child_exit(void)
{
	_exit(3);
}

static bool libnftnl_stays(const uint8_t *data, size_t size)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		struct nft_live l = { 0 };
		struct arena a;
		int fd = open("/dev/null", O_WRONLY);

		/* Quietly, and before libFuzzer's handlers could write a
		 * crash artifact for the child. */
		if (fd >= 0)
			dup2(fd, 2);
		__sanitizer_set_death_callback(child_exit);
		atexit(child_exit);
		arena_init(&a);
		feed_all(&a, &l, data, size);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nft_live l = { 0 };
	struct plan_firewall fw;
	enum nft_table_state st;
	struct arena a;

	if (!libnftnl_stays(data, size))
		return 0;
	arena_init(&a);
	feed_all(&a, &l, data, size);
	memset(&fw, 0, sizeof(fw));
	nft_decode(&a, &l, "meshx", &st, &fw, NULL);
	nft_live_free(&l);
	arena_free(&a);
	return 0;
}
