/* record.c - record rtnetlink replies as C arrays for test_rtnl.c.
 *
 * Run inside the namespace record.sh prepares; writes fixtures.inc to
 * stdout.  Every array holds the raw bytes of every datagram the kernel
 * sent for one request, NLMSG_DONE included, so the test walks them
 * exactly as a dump callback would.
 *
 *   cc -o record record.c $(pkg-config --cflags --libs libmnl)
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#define BUF_SIZE 32768

static void emit(const char *name, const unsigned char *b, size_t n)
{
	printf("static const unsigned char rtnl_fx_%s[%zu] = {", name, n);
	for (size_t i = 0; i < n; i++)
		printf("%s0x%02x,", i % 12 ? " " : "\n\t", b[i]);
	printf("\n};\n\n");
}

/* Send one request and collect every reply datagram until DONE/ERROR. */
static int record(struct mnl_socket *nl, struct nlmsghdr *req,
		  const char *name)
{
	unsigned char *all = NULL, buf[BUF_SIZE];
	size_t n_all = 0;
	int done = 0;

	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
		return -errno;
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *h = (const void *)buf;
		int len = (int)n;

		if (n < 0)
			return -errno;
		all = realloc(all, n_all + (size_t)n);
		if (!all)
			return -ENOMEM;
		memcpy(all + n_all, buf, (size_t)n);
		n_all += (size_t)n;
		for (; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len))
			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR ||
			    !(h->nlmsg_flags & NLM_F_MULTI))
				done = 1;
	}
	emit(name, all, n_all);
	free(all);
	return 0;
}

static struct nlmsghdr *put(char *buf, uint16_t type, uint16_t flags,
			    uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

static int get_link(struct mnl_socket *nl, const char *ifname,
		    const char *name, uint32_t seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put(buf, RTM_GETLINK, 0, seq);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	/* what rtnl_get_link asks for: no statistics */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return record(nl, nlh, name);
}

static int dump(struct mnl_socket *nl, uint16_t type, size_t hdr,
		uint8_t family, const char *name, uint32_t seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = put(buf, type, NLM_F_DUMP, seq);
	/* the family is the first byte of every rtnetlink family header */
	uint8_t *fam = mnl_nlmsg_put_extra_header(nlh, hdr);

	*fam = family;
	return record(nl, nlh, name);
}

int main(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	uint32_t seq = (uint32_t)time(NULL);
	int err = 0;

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	printf("/* Recorded by tests/unit/data/rtnl/record.sh: rtnetlink "
	       "replies of a\n * throwaway namespace (see record.sh for "
	       "its contents).  Do not edit. */\n\n");
	printf("#define RTNL_FX_MESHX_IFINDEX %u\n", if_nametoindex("meshx"));
	printf("#define RTNL_FX_P_IFINDEX %u\n", if_nametoindex("p"));
	printf("#define RTNL_FX_MESHTUN_IFINDEX %u\n\n",
	       if_nametoindex("meshtun"));
	err |= get_link(nl, "meshx", "link_meshx", seq++);
	err |= get_link(nl, "meshtun", "link_meshtun", seq++);
	err |= dump(nl, RTM_GETADDR, sizeof(struct ifaddrmsg), AF_UNSPEC,
		    "addr", seq++);
	err |= dump(nl, RTM_GETROUTE, sizeof(struct rtmsg), AF_INET,
		    "route4", seq++);
	err |= dump(nl, RTM_GETROUTE, sizeof(struct rtmsg), AF_INET6,
		    "route6", seq++);
	err |= dump(nl, RTM_GETRULE, sizeof(struct fib_rule_hdr), AF_INET,
		    "rule4", seq++);
	err |= dump(nl, RTM_GETRULE, sizeof(struct fib_rule_hdr), AF_INET6,
		    "rule6", seq++);
	mnl_socket_close(nl);
	if (err) {
		fprintf(stderr, "record: a request failed\n");
		return 1;
	}
	return 0;
}
