/* state_dir.c - where meshc's state lives (see state.h) and whether a
 * directory there may be trusted. */
#include "apply/state.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

const char *state_run_root(void)
{
	const char *dir = getenv("MESHC_RUN_DIR");

	return dir && *dir ? dir : MESHC_RUN_DIR_DEFAULT;
}

/* Only root (the effective user) may create or replace anything in a
 * state directory: otherwise a local user could plant a symlink or a
 * forged record (a pending pid, a saved sysctl value). */
int state_check_dir(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		fprintf(stderr, "meshc: state directory %s: %s\n", path,
			strerror(errno));
		return -errno;
	}
	if (S_ISLNK(sb.st_mode)) {
		fprintf(stderr, "meshc: state directory %s is a symlink; "
				"refusing to follow it\n", path);
		return -ELOOP;
	}
	if (!S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "meshc: state directory %s is not a "
				"directory\n", path);
		return -ENOTDIR;
	}
	if (sb.st_uid != geteuid()) {
		fprintf(stderr, "meshc: state directory %s is owned by uid %u, "
				"not by uid %u (meshc); refusing it\n",
			path, (unsigned)sb.st_uid, (unsigned)geteuid());
		return -EPERM;
	}
	if (sb.st_mode & 022) {
		fprintf(stderr, "meshc: state directory %s is writable by "
				"group or others (mode 0%o); refusing it\n",
			path, (unsigned)(sb.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* 0 when path is (now) a checked directory; create: mkdir it first. */
static int ensure_dir(const char *path, bool create, bool quiet)
{
	int err;

	if (create && mkdir(path, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		if (!quiet)
			fprintf(stderr, "meshc: cannot create the state "
					"directory %s: %s\n",
				path, strerror(-err));
		return err;
	}
	if (quiet) {
		struct stat sb;

		/* the checks again, without a word: a caller that goes
		 * on with state_lock reports */
		if (lstat(path, &sb) < 0)
			return -errno;
		if (!S_ISDIR(sb.st_mode) || sb.st_uid != geteuid() ||
		    (sb.st_mode & 022))
			return -EPERM;
		return 0;
	}
	return state_check_dir(path);
}

/* Since Linux 6.18 the initial namespaces have fixed nsfs inode numbers
 * (include/uapi/linux/nsfs.h: NET_NS_INIT_INO); older kernels number
 * them at boot, and pid 1's link is the way to know. */
#define MESHC_NET_NS_INIT_INO 0xEFFFFFF9U

/* Is this process in the host's network namespace?  pid 1's is the
 * host's; where pid 1 cannot be looked at (a sandbox that denies ptrace
 * access to it, even to root) the fixed inode number of the initial
 * namespace says it.  When neither can, the answer is no: a netns:
 * directory of its own is always safe, only not the one the manual
 * names for the host. */
static bool in_init_netns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/net", &self) < 0)
		return false;
	if (stat("/proc/1/ns/net", &init) == 0)
		return self.st_dev == init.st_dev && self.st_ino == init.st_ino;
	return self.st_ino == MESHC_NET_NS_INIT_INO;
}

/* "netns:COOKIE": the cookie is unique per boot, never reused.  Kernels
 * before 5.14 have none; then the namespace's inode number, which a later
 * namespace may get once this one is gone (and find its state). */
static const char *netns_name(struct arena *a)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int got = fd >= 0 &&
		  getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) == 0;
	struct stat sb;

	if (fd >= 0)
		close(fd);
	if (got)
		return arena_printf(a, "netns:%llu", (unsigned long long)cookie);
	if (stat("/proc/self/ns/net", &sb) < 0)
		return NULL;
	return arena_printf(a, "netns:ino%llu", (unsigned long long)sb.st_ino);
}

int state_ns_dir(struct arena *a, bool create, bool quiet, const char **ns)
{
	const char *root = state_run_root(), *name;
	int err = ensure_dir(root, create, quiet);

	*ns = NULL;
	if (err && (err != -ENOENT || create))
		return err;
	if (in_init_netns()) {
		*ns = root;
		return err;
	}
	name = netns_name(a);
	if (!name) {
		err = -errno;
		if (!quiet)
			fprintf(stderr, "meshc: cannot tell this network "
					"namespace apart: %s\n",
				strerror(-err));
		return err;
	}
	*ns = arena_printf(a, "%s/%s", root, name);
	return err ? err : ensure_dir(*ns, create, quiet);
}

int state_open_dirs(struct arena *a, const char *iface, bool create,
		    bool quiet, struct run_state *st)
{
	int err;

	st->iface = iface;
	st->lock_fd = -1;
	st->dir = NULL;
	err = state_ns_dir(a, create, quiet, &st->ns);
	if (err)
		return err;
	st->dir = arena_printf(a, "%s/%s", st->ns, iface);
	err = ensure_dir(st->dir, create, quiet);
	if (err)
		st->dir = NULL;
	return err;
}

int state_open(struct arena *a, const char *iface, struct run_state *st)
{
	int err = state_open_dirs(a, iface, false, false, st);

	return err == -ENOENT ? 0 : err;
}

const char *state_path(struct arena *a, const struct run_state *st,
		       const char *name)
{
	return arena_printf(a, "%s/%s", st->dir, name);
}

/* Interface directories are the names without ':' (netns-wide files,
 * other namespaces' directories) that do not start with '.'. */
size_t state_interfaces(struct arena *a, const char ***names)
{
	const char *ns;
	DIR *d = state_ns_dir(a, false, true, &ns) ? NULL : opendir(ns);
	struct dirent *de;
	size_t n = 0, cap = 0;

	*names = NULL;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strchr(de->d_name, ':') ||
		    ensure_dir(arena_printf(a, "%s/%s", ns, de->d_name), false,
			       true))
			continue;
		*(const char **)arena_push(a, names, &n, &cap,
					   sizeof(**names)) =
			arena_strdup(a, de->d_name);
	}
	closedir(d);
	return n;
}

const char *state_recorded_document(struct arena *a, const char *iface)
{
	struct run_state st;
	const char *text;
	size_t len;

	if (state_open_dirs(a, iface, false, true, &st))
		return NULL;
	text = state_read(a, &st, STATE_DOCUMENT_FILE);
	len = text ? strlen(text) : 0;
	if (len < 2 || text[len - 1] != '\n')
		return NULL;
	return arena_strndup(a, text, len - 1);
}

const char *state_find_document(struct arena *a, const char *id)
{
	const char **names;
	size_t n = state_interfaces(a, &names);

	for (size_t i = 0; i < n; i++) {
		const char *doc = state_recorded_document(a, names[i]);

		if (doc && !strcmp(doc, id))
			return names[i];
	}
	return NULL;
}
