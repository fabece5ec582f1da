/* wg.c - the WireGuard device behind one interface.
 *
 * Which backend serves an interface, what one configuration request does
 * (wg_set_ops_build, rendered by wg_uapi.c or wg_genl.c), the live state
 * as a plan, and the device's life: a kernel link made over rtnetlink, or
 * the userspace implementation started as a daemon and ended by deleting
 * its tun link.
 */
#include "apply/wg_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "base/secret.h"

#define WG_DEFAULT_USERSPACE "wireguard-go"
#define WG_START_TIMEOUT_MS 5000
#define WG_POLL_MS 20

/* ---- names ------------------------------------------------------------ */

bool wg_ifname_ok(const char *ifname)
{
	size_t n = ifname ? strlen(ifname) : 0;

	if (n == 0 || n >= IFNAMSIZ || !strcmp(ifname, ".") ||
	    !strcmp(ifname, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (ifname[i] == '/' || ifname[i] == ':' ||
		    ifname[i] <= ' ' || ifname[i] == 0x7f)
			return false;
	return true;
}

void wg_uapi_path(const char *ifname, char *out, size_t size)
{
	snprintf(out, size, "%s/%s.sock", WG_UAPI_DIR, ifname);
}

static int bad_ifname(const char *ifname)
{
	fprintf(stderr, "meshc: '%s' is not a valid interface name\n",
		ifname ? ifname : "");
	return -EINVAL;
}

/* ---- device state ----------------------------------------------------- */

bool wg_key_is_zero(const uint8_t key[WG_KEY_LEN])
{
	uint8_t acc = 0;

	for (size_t i = 0; i < WG_KEY_LEN; i++)
		acc |= key[i];
	return acc == 0;
}

int wg_public_from_private(const uint8_t priv[WG_KEY_LEN],
			   uint8_t pub[WG_KEY_LEN])
{
	/* Reads the scalar where it is: copying it would make one more
	 * place to wipe. */
	return crypto_scalarmult_curve25519_base(pub, priv) ? -EINVAL : 0;
}

struct wg_peer_state *wg_state_add_peer(struct arena *a,
					struct wg_device_state *s,
					const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer_state *p = arena_push(a, &s->peers, &s->n_peers,
					     &s->cap_peers, sizeof(*p));

	memcpy(p->public_key, key, WG_KEY_LEN);
	return p;
}

/* wg_peer_state keeps no capacity: the array grows at 0 and at every
 * power of two from 4 on, which is exactly when it is full. */
void wg_state_add_allowed_ip(struct arena *a, struct wg_peer_state *p,
			     const struct ip_prefix *pfx)
{
	size_t n = p->n_allowed_ips, sz = sizeof(*p->allowed_ips);

	if (n == 0)
		p->allowed_ips = arena_calloc(a, 4, sz);
	else if (n >= 4 && !(n & (n - 1)))
		p->allowed_ips = arena_grow(a, p->allowed_ips, n * sz,
					    2 * n * sz);
	p->allowed_ips[p->n_allowed_ips++] = *pfx;
}

void wg_prefix_mask(struct ip_prefix *p)
{
	unsigned bits = ip_bits(p->addr.family);

	for (unsigned i = p->len; i < bits; i++)
		p->addr.b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	for (unsigned i = bits / 8; i < 16; i++)
		p->addr.b[i] = 0;
}

bool wg_endpoint_format(const struct ip_addr *ip, uint16_t port,
			const char *scope, char *out, size_t size)
{
	char host[IP_STRLEN];
	int n;

	ip_addr_str(ip, host);
	if (ip->family == IP_V4)
		n = snprintf(out, size, "%s:%u", host, port);
	else
		n = snprintf(out, size, "[%s%s%s]:%u", host,
			     scope ? "%" : "", scope ? scope : "", port);
	return n > 0 && (size_t)n < size;
}

/* ---- what one request does -------------------------------------------- */

static struct wg_peer_op *push_op(struct arena *a, struct wg_set_ops *out,
				  const struct plan_peer *peer, int *err)
{
	uint8_t key[WG_KEY_LEN];
	struct wg_peer_op *op;

	if (!key_from_base64(peer->public_key, key)) {
		*err = -EINVAL;
		return NULL;
	}
	op = arena_push(a, &out->peers, &out->n_peers, &out->cap_peers,
			sizeof(*op));
	op->peer = peer;
	memcpy(op->public_key, key, WG_KEY_LEN);
	return op;
}

/* A peer the device does not have: everything, allowed IPs replaced so
 * that the list is exact even if the peer appeared meanwhile. */
static void add_full_peer(struct arena *a, struct wg_set_ops *out,
			  const struct plan_peer *peer, int *err)
{
	struct wg_peer_op *op = push_op(a, out, peer, err);

	if (!op)
		return;
	op->set_endpoint = peer->endpoint != NULL;
	op->set_keepalive = true;
	op->set_allowed_ips = true;
}

/* A changed peer: update_only and only what changed.  WireGuard cannot
 * forget an endpoint, so a wanted "none" sends nothing (apply clears
 * learned endpoints of such peers before diffing). */
static void modify_peer(struct arena *a, struct wg_set_ops *out,
			const struct change *ch, int *err)
{
	const struct plan_peer *n = ch->new.peer;
	bool endpoint = (ch->what & CHG_PEER_ENDPOINT) && n->endpoint;
	bool keepalive = ch->what & CHG_PEER_KEEPALIVE;
	bool ips = ch->what & CHG_PEER_ALLOWED_IPS;
	struct wg_peer_op *op;

	if (!endpoint && !keepalive && !ips)
		return;
	op = push_op(a, out, n, err);
	if (!op)
		return;
	op->update_only = true;
	op->set_endpoint = endpoint;
	op->set_keepalive = keepalive;
	op->set_allowed_ips = ips;
}

static void iface_ops(const struct plan *want, const struct changeset *cs,
		      struct wg_set_ops *out)
{
	size_t first, n = changeset_layer(cs, LAYER_INTERFACE, &first);

	for (size_t i = first; i < first + n; i++) {
		const struct change *ch = &cs->items[i];

		if (ch->op == CHANGE_ADD) {
			out->set_listen_port = out->set_fwmark = true;
		} else if (ch->op == CHANGE_MODIFY) {
			out->set_listen_port |=
				!!(ch->what & CHG_IFACE_LISTEN_PORT);
			out->set_fwmark |= !!(ch->what & CHG_IFACE_FWMARK);
		}
	}
	out->listen_port = want->iface.listen_port;
	out->fwmark = want->iface.fwmark;
}

int wg_set_ops_build(struct arena *a, const struct plan *want,
		     const struct changeset *cs, struct wg_set_ops *out)
{
	size_t first, n;
	int err = 0;

	memset(out, 0, sizeof(*out));
	if (!cs) {
		out->replace_peers = true;
		out->set_listen_port = out->set_fwmark = true;
		out->listen_port = want->iface.listen_port;
		out->fwmark = want->iface.fwmark;
		for (size_t i = 0; i < want->n_peers; i++)
			add_full_peer(a, out, &want->peers[i], &err);
		return err;
	}
	iface_ops(want, cs, out);
	n = changeset_layer(cs, LAYER_PEERS, &first);
	/* Removals first: a rotated key's old peer goes before the new
	 * one comes, as a person would do it. */
	for (size_t i = first; i < first + n; i++) {
		const struct change *ch = &cs->items[i];
		struct wg_peer_op *op;

		if (ch->op != CHANGE_REMOVE)
			continue;
		op = push_op(a, out, ch->old.peer, &err);
		if (op)
			op->remove = true;
	}
	for (size_t i = first; i < first + n; i++) {
		const struct change *ch = &cs->items[i];

		if (ch->op == CHANGE_ADD)
			add_full_peer(a, out, ch->new.peer, &err);
		else if (ch->op == CHANGE_MODIFY)
			modify_peer(a, out, ch, &err);
	}
	return err;
}

/* ---- the live device as a plan ---------------------------------------- */

static int cmp_plan_peer_key(const void *pa, const void *pb)
{
	const struct plan_peer *a = pa, *b = pb;

	return strcmp(a->public_key, b->public_key);
}

static void peer_to_plan(struct arena *a, const struct wg_peer_state *s,
			 struct plan_peer *p)
{
	memset(p, 0, sizeof(*p));
	key_to_base64(s->public_key, p->public_key);
	p->endpoint = s->endpoint[0] ? arena_strdup(a, s->endpoint) : NULL;
	p->keepalive = s->keepalive;
	p->n_allowed_ips = s->n_allowed_ips;
	p->allowed_ips = arena_calloc(a, s->n_allowed_ips ? s->n_allowed_ips
							  : 1,
				      sizeof(*p->allowed_ips));
	for (size_t i = 0; i < s->n_allowed_ips; i++)
		p->allowed_ips[i].prefix = s->allowed_ips[i];
	qsort(p->allowed_ips, p->n_allowed_ips, sizeof(*p->allowed_ips),
	      plan_allowed_ip_cmp);
}

void wg_state_to_plan(struct arena *a, const struct wg_device_state *s,
		      struct plan *p)
{
	if (s->has_private_key)
		key_to_base64(s->public_key, p->iface.public_key);
	else
		p->iface.public_key[0] = '\0';
	p->iface.listen_port = s->listen_port;
	p->iface.fwmark = s->fwmark;
	p->n_peers = s->n_peers;
	p->peers = arena_calloc(a, s->n_peers ? s->n_peers : 1,
				sizeof(*p->peers));
	for (size_t i = 0; i < s->n_peers; i++)
		peer_to_plan(a, &s->peers[i], &p->peers[i]);
	/* No names: key order is plan_sort()'s order and the diff's. */
	qsort(p->peers, p->n_peers, sizeof(*p->peers), cmp_plan_peer_key);
}

/* ---- dispatch --------------------------------------------------------- */

enum wg_backend wg_backend_for(const char *ifname, bool link_is_kernel_wg)
{
	char path[sizeof(WG_UAPI_DIR) + IFNAMSIZ + 8];

	if (link_is_kernel_wg)
		return WG_BACKEND_KERNEL;
	if (!wg_ifname_ok(ifname))
		return WG_BACKEND_NONE;
	wg_uapi_path(ifname, path, sizeof(path));
	return wg_uapi_probe(path) == 0 ? WG_BACKEND_UAPI : WG_BACKEND_NONE;
}

int wg_read(enum wg_backend b, const char *ifname, struct arena *a,
	    struct wg_device_state *out)
{
	struct secret_key *keep = out->private_key_out;

	memset(out, 0, sizeof(*out));
	out->private_key_out = keep;	/* the caller's request survives */
	if (!wg_ifname_ok(ifname))
		return bad_ifname(ifname);
	switch (b) {
	case WG_BACKEND_KERNEL:
		return wg_genl_read(ifname, a, out);
	case WG_BACKEND_UAPI:
		return wg_uapi_read(ifname, a, out);
	case WG_BACKEND_NONE:
		break;
	}
	fprintf(stderr, "meshc: no WireGuard device %s to read\n", ifname);
	return -ENODEV;
}

int wg_write(enum wg_backend b, const char *ifname,
	     const struct secret_key *priv, const struct plan *want,
	     const struct changeset *cs)
{
	if (!wg_ifname_ok(ifname))
		return bad_ifname(ifname);
	switch (b) {
	case WG_BACKEND_KERNEL:
		return wg_genl_write(ifname, priv, want, cs);
	case WG_BACKEND_UAPI:
		return wg_uapi_write(ifname, priv, want, cs);
	case WG_BACKEND_NONE:
		break;
	}
	fprintf(stderr, "meshc: no WireGuard device %s to configure\n",
		ifname);
	return -ENODEV;
}

/* ---- netlink plumbing -------------------------------------------------- */

struct mnl_socket *wg_nl_open(int bus)
{
	struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	int one = 1, e;

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	/* Best effort: the kernel's reason text, and ACKs that do not echo
	 * a whole large request back. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return nl;
}

static int extack_attr(const struct nlattr *attr, void *data)
{
	struct strbuf *why = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
		strbuf_reset(why);
		strbuf_puts(why, mnl_attr_get_str(attr));
	}
	return MNL_CB_OK;
}

/* The error of an NLMSG_ERROR message, its text in why. */
static int ack_error(const struct nlmsghdr *nlh, struct strbuf *why)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	if (e->error && why && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		if (off < mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse_payload((const char *)e + off,
					       mnl_nlmsg_get_payload_len(nlh) -
						       off,
					       extack_attr, why);
	}
	return e->error > 0 ? -e->error : e->error;
}

int wg_nl_request(struct mnl_socket *nl, struct nlmsghdr *nlh,
		  struct strbuf *why)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	size_t size = WG_NL_RECV_SIZE;
	char *buf;
	int err = -EBADMSG;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (!nlh->nlmsg_seq)
		nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		const struct nlmsghdr *r;
		int len;

		n = mnl_socket_recvfrom(nl, buf, size);
		if (n < 0) {
			err = -errno;
			break;
		}
		len = (int)n;
		for (r = (const void *)buf; mnl_nlmsg_ok(r, len);
		     r = mnl_nlmsg_next(r, &len)) {
			if (r->nlmsg_seq != nlh->nlmsg_seq ||
			    (r->nlmsg_pid && r->nlmsg_pid != portid) ||
			    r->nlmsg_type != NLMSG_ERROR)
				continue;
			err = ack_error(r, why);
			goto out_free;
		}
	}
out_free:
	free(buf);
	return err;
}

/* RTM_NEWLINK / RTM_DELLINK by name; kind NULL for a delete. */
static int link_request(uint16_t type, uint16_t flags, const char *ifname,
			const char *kind, struct strbuf *why)
{
	char buf[512];	/* a name and a kind: fixed, small */
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int err;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	if (kind) {
		struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
		mnl_attr_nest_end(nlh, info);
	}
	nl = wg_nl_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	err = wg_nl_request(nl, nlh, why);
	mnl_socket_close(nl);
	return err;
}

static void report_nl(const char *what, const char *ifname, int err,
		      const struct strbuf *why)
{
	fprintf(stderr, "meshc: cannot %s %s: %s%s%s\n", what, ifname,
		strerror(-err), why->len ? ": " : "", strbuf_str(why));
}

/* ---- create ------------------------------------------------------------ */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The child between fork and exec: quiet stdio, its own session (a
 * terminal's ^C or hangup must not take the tunnel down), nothing of
 * meshc's open files (the lock!), default signal mask. */
static void exec_daemon(const char *prog, const char *ifname, int err_fd)
{
	char *argv[] = { (char *)prog, (char *)ifname, NULL };
	sigset_t none;
	int fd, e;

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Everything from 3 up closes at exec, err_fd included: a success
	 * is seen by the parent as EOF on that pipe. */
	close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
	execvp(prog, argv);
	e = errno;
	if (write(err_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* Wait for the implementation's first process, which exits once the
 * daemon has the device and the socket; never longer than the start
 * timeout. */
static int wait_launcher(pid_t pid, const char *prog, const char *ifname)
{
	int status;

	for (long waited = 0;; waited += WG_POLL_MS) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (waited >= WG_START_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "meshc: cannot start %s for %s: it "
					"did not finish starting within %d s\n",
				prog, ifname, WG_START_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		sleep_ms(WG_POLL_MS);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		fprintf(stderr, "meshc: cannot start %s for %s: it exited "
				"with status %d\n",
			prog, ifname, WEXITSTATUS(status));
	else
		fprintf(stderr, "meshc: cannot start %s for %s: killed by "
				"signal %d\n",
			prog, ifname, WTERMSIG(status));
	return -EIO;
}

static int spawn_userspace(const char *prog, const char *ifname)
{
	int pfd[2], child_errno = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);	/* no buffered output written twice */
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(pfd[0]);
		close(pfd[1]);
		fprintf(stderr, "meshc: cannot start %s for %s: fork: %s\n",
			prog, ifname, strerror(e));
		return -e;
	}
	if (pid == 0)
		exec_daemon(prog, ifname, pfd[1]);
	close(pfd[1]);
	do
		n = read(pfd[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		waitpid(pid, NULL, 0);
		if (child_errno == ENOENT)
			fprintf(stderr, "meshc: cannot start %s for %s: %s "
					"not found (install it or set "
					"WG_QUICK_USERSPACE_IMPLEMENTATION)\n",
				prog, ifname, prog);
		else
			fprintf(stderr, "meshc: cannot start %s for %s: %s\n",
				prog, ifname, strerror(child_errno));
		return -child_errno;
	}
	return wait_launcher(pid, prog, ifname);
}

static int start_userspace(const char *ifname)
{
	const char *prog = getenv("WG_QUICK_USERSPACE_IMPLEMENTATION");
	char path[sizeof(WG_UAPI_DIR) + IFNAMSIZ + 8];
	int err;

	if (!prog || !*prog)
		prog = WG_DEFAULT_USERSPACE;
	wg_uapi_path(ifname, path, sizeof(path));
	err = wg_uapi_probe(path);
	if (err == 0) {
		/* The socket directory is shared by all network namespaces:
		 * this is another namespace's device of the same name. */
		fprintf(stderr, "meshc: cannot start %s for %s: %s already "
				"answers (an interface of that name in another "
				"network namespace?)\n",
			prog, ifname, path);
		return -EEXIST;
	}
	if (err == -ECONNREFUSED && unlink(path) < 0 && errno != ENOENT) {
		err = -errno;
		fprintf(stderr, "meshc: cannot start %s for %s: cannot "
				"remove the stale socket %s: %s\n",
			prog, ifname, path, strerror(-err));
		return err;
	}
	err = spawn_userspace(prog, ifname);
	if (err)
		return err;
	for (long waited = 0; wg_uapi_probe(path);
	     waited += WG_POLL_MS) {
		if (waited >= WG_START_TIMEOUT_MS) {
			fprintf(stderr, "meshc: cannot start %s for %s: its "
					"socket %s did not answer within "
					"%d s\n",
				prog, ifname, path, WG_START_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		sleep_ms(WG_POLL_MS);
	}
	return 0;
}

int wg_create(const char *ifname, enum wg_backend *b)
{
	struct strbuf why = STRBUF_INIT;
	uint16_t family;
	int err;

	if (!wg_ifname_ok(ifname))
		return bad_ifname(ifname);
	if (wg_genl_family(&family) == 0) {
		err = link_request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
				   ifname, "wireguard", &why);
		if (err)
			report_nl("create the WireGuard interface", ifname,
				  err, &why);
		else
			*b = WG_BACKEND_KERNEL;
		strbuf_free(&why);
		return err;
	}
	err = start_userspace(ifname);
	if (!err)
		*b = WG_BACKEND_UAPI;
	return err;
}

/* ---- destroy ----------------------------------------------------------- */

/* After its tun link is gone, wireguard-go shuts down; wait for its
 * socket to stop answering, then remove a file it left behind.  A socket
 * that answers while there was no link here belongs to another network
 * namespace and is left alone. */
/* After the tun link is deleted, wireguard-go shuts down and removes its
 * socket file itself, which can take seconds with thousands of peers.
 * Wait for the file to go: unlinking it early would let the exiting
 * daemon remove the socket of the next device of that name.  A file that
 * is still there and refuses connections after the wait is stale. */
static int remove_uapi_socket(const char *ifname, bool link_deleted)
{
	char path[sizeof(WG_UAPI_DIR) + IFNAMSIZ + 8];
	long limit = link_deleted ? WG_START_TIMEOUT_MS : 0;
	int err;

	wg_uapi_path(ifname, path, sizeof(path));
	for (long waited = 0; access(path, F_OK) == 0 && waited < limit;
	     waited += WG_POLL_MS)
		sleep_ms(WG_POLL_MS);
	if (access(path, F_OK) != 0)
		return 0;
	err = wg_uapi_probe(path);
	if (err == 0) {
		fprintf(stderr, "meshc: %s still answers after interface %s "
				"was deleted\n",
			path, ifname);
		return -EBUSY;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		err = -errno;
		fprintf(stderr, "meshc: cannot remove %s: %s\n", path,
			strerror(-err));
		return err;
	}
	return 0;
}

int wg_destroy(enum wg_backend b, const char *ifname)
{
	struct strbuf why = STRBUF_INIT;
	int err;

	if (!wg_ifname_ok(ifname))
		return bad_ifname(ifname);
	err = link_request(RTM_DELLINK, 0, ifname, NULL, &why);
	if (err && err != -ENODEV) {
		report_nl("delete interface", ifname, err, &why);
		strbuf_free(&why);
		return err;
	}
	strbuf_free(&why);
	if (b == WG_BACKEND_KERNEL)
		return 0;
	return remove_uapi_socket(ifname, err == 0);
}
