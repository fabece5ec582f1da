/* wg_internal.h - shared by the files of the WireGuard module (wg.c
 * dispatch, wg_set.c requests, wg_state.c device state, wg_spawn.c the
 * userspace daemon, wg_uapi.c and wg_genl.c the backends) and their unit
 * test; not part of the module's interface (that is wg.h).
 */
#ifndef MESHC_APPLY_WG_INTERNAL_H
#define MESHC_APPLY_WG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


#include "apply/wg.h"

/* Socket I/O never waits longer than this for one read or write, so an
 * implementation that accepts but never answers cannot hang meshc. */
#define WG_IO_TIMEOUT_MS 5000
/* A get=1 reply larger than this is refused (a sane device is far below:
 * 10,000 peers with a few allowed IPs each are about 4 MiB). */
#define WG_UAPI_MAX_REPLY (64u << 20)
/* An operation a signal interrupts is tried again this many times. */
#define WG_EINTR_TRIES 10

/* ---- one configuration request, whatever the backend ---------------- */

/* What a set request does for one peer.  Computed once from (want, cs)
 * and rendered by either backend, so both send the same thing. */
struct wg_peer_op {
	const struct plan_peer *peer;	/* wanted; live one to remove */
	uint8_t public_key[WG_KEY_LEN];
	bool remove;
	bool update_only;		/* a changed peer: never re-create */
	bool set_endpoint;
	bool set_keepalive;
	bool set_allowed_ips;		/* replace with peer's full list */
	bool set_psk;			/* send the preshared key: */
	const uint8_t *psk;		/* in psks' guarded block; NULL:
					 * none (all zero) */
};

struct wg_set_ops {
	bool replace_peers;
	bool set_listen_port, set_fwmark;
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_peer_op *peers;	/* removals first, then cs order */
	size_t n_peers, cap_peers;
};

/* The operations that turn the device into want (see wg_write).  A peer
 * whose public key is not valid base64 is an error: -EINVAL; one with a
 * preshared_key_file whose key psks lacks: -ENOKEY (not reported). */
int wg_set_ops_build(struct arena *a, const struct plan *want,
		     const struct wg_psks *psks, const struct changeset *cs,
		     struct wg_set_ops *out);
/* "a peer of IFNAME has an invalid public key" or "... no preshared key"
 * for an error of wg_set_ops_build. */
void wg_set_ops_report(const char *ifname, int err);

/* ---- device state helpers -------------------------------------------- */

/* Append a zeroed peer with this key. */
struct wg_peer_state *wg_state_add_peer(struct arena *a,
					struct wg_device_state *s,
					const uint8_t key[WG_KEY_LEN]);
void wg_state_add_allowed_ip(struct arena *a, struct wg_peer_state *p,
			     const struct ip_prefix *pfx);
/* Is every byte zero (an unset key)? */
bool wg_key_is_zero(const uint8_t key[WG_KEY_LEN]);
/* The public key of a private key held in buf (copied into sodium memory
 * for the computation; buf itself is the caller's to wipe). */
int wg_public_from_private(const uint8_t priv[WG_KEY_LEN],
			   uint8_t pub[WG_KEY_LEN]);
/* Clear the host bits beyond p->len. */
void wg_prefix_mask(struct ip_prefix *p);
/* "1.2.3.4:51820" / "[2001:db8::1]:51820" into out (WireGuard's and
 * apply's endpoint form); false when it does not fit. */
bool wg_endpoint_format(const struct ip_addr *ip, uint16_t port,
			const char *scope, char *out, size_t size);

/* ---- names and sockets ----------------------------------------------- */

/* A name the kernel accepts for a link and meshc for its state
 * directory: 1..15 bytes, no '/', ':' or space, no leading '.'. */
bool wg_ifname_ok(const char *ifname);
/* WG_UAPI_DIR/IFNAME.sock (ifname must be wg_ifname_ok). */
void wg_uapi_path(const char *ifname, char *out, size_t size);

/* Does something listen on the UAPI socket?  0 when connect() works, else
 * -errno (-ENOENT: no file, -ECONNREFUSED: a stale file). */
int wg_uapi_probe(const char *path);

/* A buffer that may hold key material: growing it wipes the old copy. */
struct wg_rbuf {
	char *buf;
	size_t len, cap;
};
void wg_rbuf_free(struct wg_rbuf *b);	/* wipes, then frees */

/* Send req on the UAPI socket at path and read the reply up to its blank
 * line (or EOF).  Each read/write waits at most timeout_ms; a reply over
 * max_reply bytes is refused.  0 or -errno, reported with the path
 * ("no answer from the WireGuard socket PATH" on a timeout). */
int wg_uapi_transact(const char *path, const char *req, size_t len,
		     int timeout_ms, size_t max_reply, struct wg_rbuf *reply);

/* Backends (wg.c dispatches). 0 or -errno, reported. */
int wg_uapi_read(const char *ifname, struct arena *a,
		 struct wg_device_state *out);
int wg_uapi_write(const char *ifname, const struct secret_key *priv,
		  const struct wg_psks *psks, const struct plan *want,
		  const struct changeset *cs);
int wg_genl_read(const char *ifname, struct arena *a,
		 struct wg_device_state *out);
int wg_genl_write(const char *ifname, const struct secret_key *priv,
		  const struct wg_psks *psks, const struct plan *want,
		  const struct changeset *cs);

/* The generic netlink family id of "wireguard": 0 or -errno (-ENOENT when
 * the kernel has no WireGuard); not reported. */
int wg_genl_family(uint16_t *id);
/* The same for any family name (the tests resolve "nlctrl"). */
int wg_genl_family_id(const char *name, uint16_t *id);

/* ---- the userspace implementation (wg_spawn.c) ----------------------- */

/* Start it for ifname and wait for its socket (see wg_create).  0 or
 * -errno, reported. */
int wg_spawn_start(const char *ifname);
/* After the tun link of ifname is gone (link_deleted: by this run), wait
 * for the daemon to remove its socket, then remove a stale file.  0 or
 * -errno, reported. */
int wg_spawn_cleanup(const char *ifname, bool link_deleted);

#endif
