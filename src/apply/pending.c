/* pending.c - the confirm timer's file and its identity (pending.h). */
#include "apply/pending.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int pending_create(struct arena *a, const struct run_state *st,
		   long deadline, const char *node)
{
	const char *path = state_path(a, st, PENDING_FILE), *tmp;
	const char *line = arena_printf(a, "%ld %ld %s\n", (long)getpid(),
					deadline, node);
	size_t len = strlen(line);
	int fd = state_file_temp(a, path, O_RDWR | O_APPEND, &tmp), err = 0;

	if (fd < 0)
		return fd;
	/* held before the name appears: nobody sees it unheld */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		err = -errno;
	else if (write(fd, line, len) != (ssize_t)len)
		err = -EIO;
	else if (fsync(fd) < 0 || rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		close(fd);
		return err;
	}
	return fd;
}

void pending_note(int fd, const char *what)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%s\n", what);

	/* O_APPEND: one write of one whole line */
	if (n > 0 && (size_t)n < sizeof(line))
		(void)!write(fd, line, (size_t)n);
	(void)fsync(fd);
}

static bool same_file(const char *path, int fd)
{
	struct stat a, b;

	return lstat(path, &a) == 0 && fstat(fd, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool pending_is_current(struct arena *a, const struct run_state *st, int fd)
{
	return same_file(state_path(a, st, PENDING_FILE), fd);
}

static const char *read_all(struct arena *a, int fd)
{
	struct stat sb;
	char *buf;
	ssize_t n;

	if (fstat(fd, &sb) < 0 || sb.st_size <= 0 || sb.st_size > 4096)
		return NULL;
	buf = arena_alloc(a, (size_t)sb.st_size + 1);
	n = pread(fd, buf, (size_t)sb.st_size, 0);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

void pending_finish(struct arena *a, const struct run_state *st, int fd)
{
	const char *text = read_all(a, fd);

	if (text)
		(void)state_write(a, st, PENDING_LAST_FILE, text);
	/* no new `pending` can appear while this one is held: an apply
	 * refuses to start, so the name is still this file or gone */
	if (pending_is_current(a, st, fd))
		unlink(state_path(a, st, PENDING_FILE));
	close(fd);
}

bool pending_held(const struct pending *p)
{
	if (flock(p->fd, LOCK_SH | LOCK_NB) == 0) {
		flock(p->fd, LOCK_UN);
		return false;
	}
	return errno == EWOULDBLOCK;
}

int pending_find(struct arena *a, const struct run_state *st,
		 bool remove_stale, struct pending *p)
{
	const char *path, *text;
	struct stat sb;
	char node[128] = "";
	long pid = 0;

	p->fd = -1;
	if (!st->dir)
		return 0;
	path = state_path(a, st, PENDING_FILE);
	p->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (p->fd < 0) {
		/* a symlink or such under the name is no timer of meshc */
		if (errno != ENOENT && remove_stale)
			unlink(path);
		return 0;
	}
	if (fstat(p->fd, &sb) == 0 && S_ISREG(sb.st_mode) && pending_held(p) &&
	    (text = read_all(a, p->fd)) &&
	    sscanf(text, "%ld %ld %127s", &pid, &p->deadline, node) == 3 &&
	    pid > 1) {
		p->pid = (pid_t)pid;
		p->node = arena_strdup(a, node);
		return 1;
	}
	/* its process is gone (killed, a reboot): whatever pid it names
	 * may be another process's by now */
	if (remove_stale && same_file(path, p->fd))
		unlink(path);
	pending_close(p);
	return 0;
}

void pending_close(struct pending *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

int pending_signal(const struct pending *p, int sig)
{
	int pidfd, err = 0;

	/* Opened first, then the lock checked: if the holder still holds it
	 * now, it lived all along, so the pidfd is its process. */
	pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (pidfd < 0 && errno != ENOSYS)
		return -ESRCH;
	if (!pending_held(p))
		err = -ESRCH;
	else if (pidfd >= 0)
		err = syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0
			      ? -errno
			      : 0;
	else	/* kernels before 5.3: the pid, checked just now */
		err = kill(p->pid, sig) < 0 ? -errno : 0;
	if (pidfd >= 0)
		close(pidfd);
	return err;
}

const char *pending_outcome(struct arena *a, const struct pending *p)
{
	const char *text = read_all(a, p->fd), *nl, *last = NULL;

	if (!text || !(nl = strchr(text, '\n')))
		return NULL;
	for (const char *s = nl + 1; *s; s = nl + 1) {
		if (!(nl = strchr(s, '\n')))
			break;
		last = arena_strndup(a, s, (size_t)(nl - s));
	}
	return last;
}

bool pending_waiting(struct arena *a, const struct run_state *st)
{
	struct pending p;
	int found = pending_find(a, st, true, &p);

	pending_close(&p);
	return found > 0;
}

void pending_cancel(struct arena *a, const struct run_state *st)
{
	struct pending p;

	if (pending_find(a, st, true, &p) <= 0)
		return;
	/* The holder takes the interface lock before it reverts, then
	 * looks at the name: held by this run, the name goes first. */
	if (pending_is_current(a, st, p.fd))
		unlink(state_path(a, st, PENDING_FILE));
	(void)pending_signal(&p, SIGTERM);
	fprintf(stderr, "meshc: cancelled the pending apply --confirm "
			"on %s: its revert will not bring back what down "
			"removes\n",
		st->iface);
	pending_close(&p);
}
