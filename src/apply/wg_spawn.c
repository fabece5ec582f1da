/* wg_spawn.c - the userspace implementation's life: started as a
 * daemon for an interface (its own session, quiet stdio, default signal
 * state, none of meshc's descriptors), and its socket file cleaned up
 * after its tun link is deleted.
 */
#include "apply/wg_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WG_DEFAULT_USERSPACE "wireguard-go"
#define WG_START_TIMEOUT_MS 5000
#define WG_POLL_MS 20

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Every descriptor from 3 up closes at exec.  close_range is Linux
 * 5.11; before it, each one that may be open is marked. */
static void cloexec_from_3(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (long fd = 3; fd < (max > 0 ? max : 1024); fd++)
		fcntl((int)fd, F_SETFD, FD_CLOEXEC);
}

/* A daemon starts with every signal at its default and none blocked:
 * exec keeps what meshc ignores or holds back (its own handling of
 * SIGINT/SIGTERM/SIGHUP during an apply), and wireguard-go ignoring
 * SIGTERM would outlive every stop. */
static void default_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);	/* KILL/STOP/RT: EINVAL */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The child between fork and exec: quiet stdio, its own session (a
 * terminal's ^C or hangup must not take the tunnel down), nothing of
 * meshc's open files (the lock!), default signals. */
static void exec_daemon(const char *prog, const char *ifname, int err_fd)
{
	char *argv[] = { (char *)prog, (char *)ifname, NULL };
	int fd, e;

	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	setsid();
	default_signals();
	/* err_fd too: a success is seen by the parent as EOF on it. */
	cloexec_from_3();
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

int wg_spawn_start(const char *ifname)
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

/* ---- after the link is gone ------------------------------------------ */

/* After the tun link is deleted, wireguard-go shuts down and removes its
 * socket file itself, which can take seconds with thousands of peers.
 * Wait for the file to go: unlinking it early would let the exiting
 * daemon remove the socket of the next device of that name.  A file that
 * is still there and refuses connections after the wait is stale. */
int wg_spawn_cleanup(const char *ifname, bool link_deleted)
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
