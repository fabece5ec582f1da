/* netlink - fuzz the pure readers of kernel netlink messages: the input
 * is a stream of netlink messages (as one recv() of a dump would return),
 * each handed to every rtnetlink parser and to the WireGuard genl parser
 * (which folds the whole stream into one device state, as a multi-part
 * dump does). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include <sodium.h>

#include "apply/rtnl.h"
#include "apply/wg.h"
#include "base/arena.h"
#include "plan/plan.h"

/* The recorded fixtures' interfaces (tests/unit/data/rtnl/fixtures.inc),
 * so their seeds reach the "ours" paths. */
#define FUZZ_IFINDEX 3
#define FUZZ_IFNAME "meshx"
#define FUZZ_TUNNAME "meshtun"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The walk mnl_nlmsg_ok/mnl_nlmsg_next would do, without their signed
 * comparison: libmnl casts nlmsg_len to int, so a length of 2^31 or more
 * passes as negative and the walk leaves the buffer.  Only the kernel
 * writes the buffers meshc walks, so that is no bug of meshc's; the
 * harness must not trip over it (crashes/harness-nlmsg-len-over-int-max). */
static bool msg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
		nlh->nlmsg_len <= len;
}

static const struct nlmsghdr *msg_next(const struct nlmsghdr *nlh,
				       size_t *len)
{
	size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

	if (step > *len)
		step = *len;
	*len -= step;
	return (const struct nlmsghdr *)((const char *)nlh + step);
}

static void parse_rtnl(const struct nlmsghdr *nlh)
{
	struct live_link l;
	struct plan_address addr;
	struct plan_route route;
	struct plan_rule rule;

	memset(&l, 0, sizeof(l));
	rtnl_parse_link(nlh, FUZZ_IFNAME, &l);
	memset(&l, 0, sizeof(l));
	rtnl_parse_link(nlh, FUZZ_TUNNAME, &l);
	memset(&l, 0, sizeof(l));
	rtnl_parse_link(nlh, NULL, &l);
	memset(&addr, 0, sizeof(addr));
	rtnl_parse_addr(nlh, FUZZ_IFINDEX, &addr);
	memset(&route, 0, sizeof(route));
	rtnl_parse_route(nlh, FUZZ_IFINDEX, FUZZ_IFNAME, &route);
	memset(&rule, 0, sizeof(rule));
	/* meshx's policy mark: the recorded rules carry it */
	rtnl_parse_rule(nlh, 0x4d43ab78u, &rule);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device_state st;
	struct wg_psks psks;
	struct arena a;
	struct plan p;
	const struct nlmsghdr *nlh;
	size_t len = size;
	bool wg_ok = true;
	/* malloc'd copy: aligned as a receive buffer is, exact size so an
	 * over-read trips ASan. */
	void *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* Key material lives in sodium_malloc memory: meshc calls
	 * sodium_init() first (idempotent and cheap once done). */
	if (sodium_init() < 0)
		abort();
	arena_init(&a);
	memset(&st, 0, sizeof(st));
	/* as apply reads a device: the preshared keys themselves too */
	wg_psks_init(&psks, &a);
	st.psk_out = &psks;
	for (nlh = buf; msg_ok(nlh, len); nlh = msg_next(nlh, &len)) {
		parse_rtnl(nlh);
		if (wg_ok && wg_genl_parse(nlh, &a, &st))
			wg_ok = false;
	}
	if (wg_ok) {
		memset(&p, 0, sizeof(p));
		wg_state_to_plan(&a, &st, &p);
	}
	wg_psks_free(&psks);
	arena_free(&a);
	free(buf);
	return 0;
}
