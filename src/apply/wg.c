/* wg.c - the WireGuard device behind one interface: which backend
 * serves it (wg_genl.c for the kernel module, wg_uapi.c for the userspace
 * implementation's socket), and its life: a kernel link made over
 * rtnetlink, or the userspace implementation started (wg_spawn.c) and
 * ended by deleting its tun link.  What a request contains is wg_set.c's
 * business, what the device holds wg_state.c's.
 */
#include "apply/wg_internal.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "apply/rtnl.h"

/* ---- names ------------------------------------------------------------ */

bool wg_ifname_ok(const char *ifname)
{
	size_t n = ifname ? strlen(ifname) : 0;

	/* '.', '..' and hidden names: the state directory is named so */
	if (n == 0 || n >= IFNAMSIZ || ifname[0] == '.')
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
	struct wg_psks *keep_psks = out->psk_out;

	memset(out, 0, sizeof(*out));
	out->private_key_out = keep;	/* the caller's request survives */
	out->psk_out = keep_psks;
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
	     const struct secret_key *priv, const struct wg_psks *psks,
	     const struct plan *want, const struct changeset *cs)
{
	if (!wg_ifname_ok(ifname))
		return bad_ifname(ifname);
	switch (b) {
	case WG_BACKEND_KERNEL:
		return wg_genl_write(ifname, priv, psks, want, cs);
	case WG_BACKEND_UAPI:
		return wg_uapi_write(ifname, priv, psks, want, cs);
	case WG_BACKEND_NONE:
		break;
	}
	fprintf(stderr, "meshc: no WireGuard device %s to configure\n",
		ifname);
	return -ENODEV;
}

/* ---- the device's life -------------------------------------------------- */

int wg_create(struct rtnl *r, const char *ifname, enum wg_backend *b)
{
	uint16_t family;
	int err;

	if (!wg_ifname_ok(ifname))
		return bad_ifname(ifname);
	if (wg_genl_family(&family) == 0) {
		/* through the one rtnetlink handle, so it is counted and
		 * reported like every other link request */
		err = rtnl_link_add_wireguard(r, ifname);
		if (!err)
			*b = WG_BACKEND_KERNEL;
		return err;
	}
	err = wg_spawn_start(ifname);
	if (!err)
		*b = WG_BACKEND_UAPI;
	return err;
}

int wg_destroy(struct rtnl *r, enum wg_backend b, const char *ifname)
{
	struct live_link link;
	int err;

	if (!wg_ifname_ok(ifname))
		return bad_ifname(ifname);
	err = rtnl_get_link(r, ifname, &link);
	if (!err && link.exists)
		err = rtnl_link_del(r, link.ifindex);
	if (err)
		return err;
	if (b == WG_BACKEND_KERNEL)
		return 0;
	return wg_spawn_cleanup(ifname, link.exists);
}
