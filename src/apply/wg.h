/* wg.h - a WireGuard device, kernel (generic netlink) or userspace (UAPI).
 *
 * Two backends behind one interface, as wireguard-tools' ipc.c: the kernel
 * module over generic netlink ("wireguard" family) when the interface is a
 * kernel WireGuard link, else the userspace implementation's UAPI socket
 * /var/run/wireguard/IFACE.sock (wireguard-go).  The caller never knows
 * which.  Parsers are pure functions of the bytes or messages received
 * (unit-tested on recorded input).
 */
#ifndef MESHC_APPLY_WG_H
#define MESHC_APPLY_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "base/arena.h"
#include "base/secret.h"
#include "base/strbuf.h"
#include "base/strmap.h"
#include "diff/diff.h"
#include "plan/plan.h"

#define WG_UAPI_DIR "/var/run/wireguard"

struct rtnl;

enum wg_backend {
	WG_BACKEND_NONE,	/* no such device */
	WG_BACKEND_KERNEL,
	WG_BACKEND_UAPI,
};

/* Preshared keys by peer public key, in one guarded block (wg_psk.c):
 * those apply derives for the plan it converges to, and those a device
 * holds (read back to compare, and to put back on rollback). */
struct wg_psks {
	struct secret_keys keys;
	struct strmap by_peer;	/* peer public key (base64) -> index */
	struct arena *a;
	const char *file;	/* derived ones: the secret's file */
};

void wg_psks_init(struct wg_psks *t, struct arena *a);
/* The slot for peer's key (zeroed when new, the same one when the peer
 * has one already), to be filled; NULL when out of guarded memory. */
uint8_t *wg_psks_slot(struct wg_psks *t, const uint8_t peer[WG_KEY_LEN]);
/* The key of the peer, or NULL (t may be NULL). */
const uint8_t *wg_psks_get(const struct wg_psks *t, const char *peer_b64);
/* Wipe every key; the table is empty (and usable) after. */
void wg_psks_free(struct wg_psks *t);

struct wg_peer_state {
	uint8_t public_key[WG_KEY_LEN];
	bool has_psk;		/* the key itself only into psk_out */
	char endpoint[64];	/* "1.2.3.4:51820" / "[v6]:port", "" = none */
	uint16_t keepalive;
	struct ip_prefix *allowed_ips;
	size_t n_allowed_ips;
	uint64_t rx_bytes, tx_bytes;
	int64_t last_handshake_sec;
};

struct wg_device_state {
	/* Set by the caller that needs the device's private key back (apply
	 * keeps it to restore on rollback): receives a copy in sodium memory,
	 * which the caller frees.  NULL: the key is only turned into
	 * public_key and wiped. */
	struct secret_key *private_key_out;
	/* Likewise for the peers' preshared keys: set by the caller that
	 * needs them (apply), filled with every peer's non-zero key; NULL:
	 * only has_psk is known. */
	struct wg_psks *psk_out;
	bool has_private_key;
	uint8_t public_key[WG_KEY_LEN];	/* derived from the private key */
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_peer_state *peers;
	size_t n_peers, cap_peers;
};

/* Which backend serves ifname: the kernel if rtnetlink says the link is
 * of kind "wireguard", else UAPI if the socket answers, else NONE. The
 * caller passes what it knows of the link (from rtnl_get_link). */
enum wg_backend wg_backend_for(const char *ifname, bool link_is_kernel_wg);

/* Read the device.  The private key leaves this module only into
 * out->private_key_out when the caller set it, the preshared keys only
 * into out->psk_out (initialise *out, e.g. `= { 0 }`: those fields are
 * kept, everything else is overwritten); else only the public key derived
 * from it and has_psk.  0 or -errno (reported). */
int wg_read(enum wg_backend b, const char *ifname, struct arena *a,
	    struct wg_device_state *out);

/* Change the device to match want->iface and want->peers, sending only
 * what cs (diff_plans(live, want)) lists: the private key when
 * CHG_IFACE_PRIVATE_KEY or the device has none (priv != NULL), listen
 * port, fwmark, removed peers (remove=true), added peers, and for changed
 * peers only their changed fields (replace_allowed_ips only when the
 * allowed IPs changed; the preshared key, from psks, or none, when
 * CHG_PEER_PSK).  A peer of want with a preshared_key_file must have its
 * key in psks (else -ENOKEY, reported).  Unchanged peers are not
 * mentioned, so they keep their sessions.  cs == NULL: configure
 * everything (replace_peers).
 * Endpoints in want must already be numeric (resolved by the caller).
 * WireGuard cannot forget an endpoint: a changed peer whose wanted
 * endpoint is none gets no endpoint line (nothing at all if that was its
 * only change).  Peer order: removals first, then cs order.
 * 0 or -errno (reported). */
int wg_write(enum wg_backend b, const char *ifname,
	     const struct secret_key *priv, const struct wg_psks *psks,
	     const struct plan *want, const struct changeset *cs);

/* Create the device: a kernel WireGuard link (RTM_NEWLINK through r, so
 * rtnl_modify_count counts it) when the module is there,
 * else start the userspace implementation (WG_QUICK_USERSPACE_IMPLEMENTATION,
 * default "wireguard-go") and wait (up to 5 s) for its socket.  *b gets
 * the backend.  0 or -errno (reported: missing binary, timeout).
 * The kernel link is made when the "wireguard" genl family resolves.
 * The implementation runs in its own session with
 * stdio on /dev/null and none of meshc's descriptors; a stale socket
 * file (nobody listening) is removed first, one that answers is another
 * network namespace's device: -EEXIST.  The link is left down and
 * unmarked.  Reports: "meshc: cannot start PROG for IFACE: REASON", with
 * REASON "PROG not found (install it or set
 * WG_QUICK_USERSPACE_IMPLEMENTATION)" for -ENOENT. */
int wg_create(struct rtnl *r, const char *ifname, enum wg_backend *b);

/* Remove the device (kernel: delete the link; userspace: delete the tun
 * link, which ends wireguard-go, and remove a stale socket).  A link
 * that is already gone is no error; b == WG_BACKEND_NONE is treated as
 * userspace (a tun left without its daemon).  The link goes through r.
 * 0 or -errno (reported). */
int wg_destroy(struct rtnl *r, enum wg_backend b, const char *ifname);

/* Fill p->iface (public_key, listen_port, fwmark) and p->peers from a
 * device state (names NULL, locs zero, allowed IPs sorted; a peer with a
 * preshared key has preshared_key_file PLAN_PSK_OTHER). */
void wg_state_to_plan(struct arena *a, const struct wg_device_state *s,
		      struct plan *p);

/* Pure: parse a UAPI "get=1" reply (key=value lines, errno=N last) into
 * *out (reset first).  Unknown keys are skipped (newer implementations);
 * numbers out of range, bad hex, a bad allowed_ip, a peer key before any
 * public_key or no errno line are malformed.  wireguard-go writes errno
 * negated (errno=-22): either sign means that errno.
 * 0, or -EINVAL on malformed input, or -N for errno=N. */
int wg_uapi_parse(const char *buf, size_t len, struct arena *a,
		  struct wg_device_state *out);
/* Pure: the UAPI "set=1" request for wg_write's arguments, appended to
 * out.  With priv or preshared keys, out holds them in hex: its buffer
 * does not move once a key is in it, so secret_wipe(out->buf, out->cap)
 * before strbuf_free() erases the only copy.  A peer whose public key is
 * not valid base64, or whose preshared key psks lacks, is left out
 * (wg_write refuses such a plan). */
void wg_uapi_build_set(struct strbuf *out, const struct secret_key *priv,
		       const struct wg_psks *psks, const struct plan *want,
		       const struct changeset *cs);
/* Pure: fold one WG_CMD_GET_DEVICE reply message into *out (a device
 * dump may span several messages).  0 or -EINVAL. */
int wg_genl_parse(const struct nlmsghdr *nlh, struct arena *a,
		  struct wg_device_state *out);

/* Pure: the WG_CMD_SET_DEVICE messages for wg_write's arguments, none
 * larger than max bytes (family: the "wireguard" genl family id).  What
 * does not fit one message is split as the kernel documents: the device
 * attributes and WGDEVICE_F_REPLACE_PEERS go in the first message only;
 * a peer continued in the next message carries only its public key and
 * the rest of its allowed IPs.  The messages live in a and hold the
 * private and preshared keys: secret_wipe each before freeing the arena
 * (nothing of a key is left beyond a message's nlmsg_len).
 * 0, -EINVAL (reported: an endpoint that is not numeric, a bad key),
 * -ENOKEY (reported: a preshared key psks lacks) or -E2BIG (max cannot
 * hold even one peer). */
struct wg_genl_msgs {
	struct nlmsghdr **msgs;	/* msgs[i]->nlmsg_len bytes each */
	size_t count, cap;
};
int wg_genl_build_set(struct arena *a, uint16_t family, const char *ifname,
		      const struct secret_key *priv,
		      const struct wg_psks *psks, const struct plan *want,
		      const struct changeset *cs, size_t max,
		      struct wg_genl_msgs *out);

#endif
