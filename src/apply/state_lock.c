/* state_lock.c - the locks: NSDIR/IFACE/lock serializes the runs on one
 * interface for their whole length; NSDIR/:lock guards the few
 * read-modify-writes of netns-wide files.  flock(2): a lock dies with its
 * holder, so a killed run never leaves one behind.  A lock file is only
 * ever opened and locked, never written: nothing follows or truncates a
 * name someone else planted. */
#include "apply/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* An existing regular lock file, or (create) a new one.  -errno;
 * reported unless quiet.  Opened for writing (it never is written) so
 * that a state directory meshc cannot write fails here, before any
 * change. */
static int open_lock(const char *path, bool create, bool quiet)
{
	struct stat sb;
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
				    (create ? O_CREAT : 0),
		      0600);
	int err;

	if (fd < 0) {
		err = -errno;
		if (quiet)
			return err;
		if (err == -ELOOP)
			fprintf(stderr, "meshc: %s is a symlink, not meshc's "
					"lock; refusing it\n",
				path);
		else
			fprintf(stderr, "meshc: %s: %s\n", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		if (!quiet)
			fprintf(stderr, "meshc: %s is not a regular file; "
					"refusing it as a lock\n",
				path);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* Wait for the exclusive lock on fd: up to `seconds` (0: for ever,
 * saying so every minute).  0 or -errno; fd closed on failure. */
static int lock_wait(int fd, const char *path, unsigned seconds)
{
	unsigned long waited = 0;
	int err;

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			err = -errno;
			fprintf(stderr, "meshc: %s: %s\n", path, strerror(-err));
			goto out_close;
		}
		if (!waited)
			fprintf(stderr, "meshc: another meshc run holds %s; "
					"waiting for it\n",
				path);
		waited++;
		if (seconds && waited > seconds * 10UL) {
			fprintf(stderr, "meshc: %s still held after %u s; "
					"giving up\n",
				path, seconds);
			err = -ETIMEDOUT;
			goto out_close;
		}
		if (!seconds && waited % 600 == 0)
			fprintf(stderr, "meshc: %s still held after %lu s; "
					"still waiting\n",
				path, waited / 10);
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	return 0;
out_close:
	close(fd);
	return err;
}

int state_lock_wait(struct arena *a, const char *iface, struct run_state *st,
		    unsigned seconds)
{
	const char *lock;
	int fd, err;

	err = state_open_dirs(a, iface, true, false, st);
	if (err)
		return err;
	lock = state_path(a, st, "lock");
	fd = open_lock(lock, true, false);
	if (fd < 0)
		return fd;
	err = lock_wait(fd, lock, seconds);
	if (!err)
		st->lock_fd = fd;
	return err;
}

int state_lock(struct arena *a, const char *iface, struct run_state *st)
{
	return state_lock_wait(a, iface, st, STATE_LOCK_WAIT_SECONDS);
}

int state_lock_existing(struct arena *a, const char *iface,
			struct run_state *st)
{
	int fd, err = state_open_dirs(a, iface, false, true, st);

	if (err)
		return err;
	fd = open_lock(state_path(a, st, "lock"), false, true);
	if (fd < 0)
		return fd;
	/* never waits: a run that finds the lock taken compiles first (a
	 * bad document is reported at once) and waits its turn after */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	st->lock_fd = fd;
	return 0;
}

void state_unlock(struct run_state *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);	/* releases the flock */
	st->lock_fd = -1;
}

int state_ns_lock(struct arena *a, const char *ns)
{
	const char *path = arena_printf(a, "%s/:lock", ns);
	int fd = open_lock(path, true, false);
	int err;

	if (fd < 0)
		return fd;
	err = lock_wait(fd, path, STATE_LOCK_WAIT_SECONDS);
	return err ? err : fd;
}
