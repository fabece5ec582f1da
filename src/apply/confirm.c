/* confirm.c - try mode, the `netplan try` safety net for remote hosts.
 *
 * `apply --confirm S` leaves behind a detached process (own session, no
 * terminal, SIGHUP ignored: it survives the SSH session that started it)
 * holding the pre-apply state in memory.  After S seconds it takes the
 * lock and converges back to that state, unless `meshc confirm` sends it
 * SIGUSR1 first.  Its pid is in $MESHC_RUN_DIR/IFACE/pending.
 */
#include "apply/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void detach_stdio(struct apply_ctx *c)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = open(state_path(c->a, &c->st, "confirm.log"),
		       O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	if (null >= 0)
		dup2(null, STDIN_FILENO);
	if (log < 0)
		log = null;
	if (log >= 0) {
		dup2(log, STDOUT_FILENO);
		dup2(log, STDERR_FILENO);
	}
}

static void log_line(const char *what, const char *iface)
{
	char when[32];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
		 localtime(&now));
	fprintf(stderr, "%s meshc confirm %s: %s\n", when, iface, what);
	fflush(stderr);
}

/* The detached process: wait, then revert unless confirmed. */
static void __attribute__((noreturn))
revert_daemon(struct apply_ctx *c, const struct plan *want,
	      const struct live *before, long seconds, int ready_fd)
{
	struct timespec timeout = { seconds, 0 };
	sigset_t set;
	char ok = 1;
	int sig;

	signal(SIGHUP, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* The parent's lock and netlink socket are the parent's. */
	close(c->st.lock_fd);
	c->st.lock_fd = -1;
	rtnl_close(c->rtnl);
	c->rtnl = NULL;
	detach_stdio(c);
	if (state_write_pending(c->a, &c->st, getpid(), seconds, want->node)) {
		ok = 0;
		(void)!write(ready_fd, &ok, 1);
		_exit(1);
	}
	(void)!write(ready_fd, &ok, 1);
	close(ready_fd);
	log_line("waiting for meshc confirm", want->iface.name);
	do {
		sig = sigtimedwait(&set, NULL, &timeout);
	} while (sig < 0 && errno == EINTR);
	if (sig == SIGUSR1) {
		state_clear_pending(c->a, &c->st);
		log_line("confirmed; keeping the new configuration",
			 want->iface.name);
		_exit(0);
	}
	log_line("not confirmed in time; reverting", want->iface.name);
	if (rtnl_open(&c->rtnl) == 0 &&
	    state_lock(c->a, want->iface.name, &c->st) == 0)
		apply_rollback(c, want, before);
	state_clear_pending(c->a, &c->st);
	_exit(0);
}

int confirm_spawn(struct apply_ctx *c, const struct plan *want,
		  const struct live *before, long seconds)
{
	int fds[2];
	pid_t pid;
	char ok = 0;
	int status;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		/* Double fork: the daemon is no session leader and no child
		 * of the shell that ran meshc. */
		close(fds[0]);
		setsid();
		pid = fork();
		if (pid != 0)
			_exit(pid < 0);
		revert_daemon(c, want, before, seconds, fds[1]);
	}
	close(fds[1]);
	waitpid(pid, &status, 0);
	if (read(fds[0], &ok, 1) != 1)
		ok = 0;
	close(fds[0]);
	if (!ok) {
		fprintf(stderr, "meshc: cannot start the confirm timer\n");
		return -ECHILD;
	}
	if (!c->o->quiet)
		printf("waiting %ld s for 'meshc confirm'; without it %s "
		       "reverts to the previous state\n",
		       seconds, want->iface.name);
	return 0;
}

struct pending {
	const char *iface;
	const char *node;
	pid_t pid;
};

static size_t find_pending(struct arena *a, const char *iface,
			   const char *node, struct pending *out, size_t max)
{
	const char *root = state_run_root();
	DIR *d = opendir(root);
	struct dirent *e;
	size_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		struct run_state st = { arena_printf(a, "%s/%s", root,
						     e->d_name), -1 };
		char buf[256] = "", name[128] = "";
		long ignored_pid, ignored_deadline;
		pid_t pid;
		FILE *f;

		if (e->d_name[0] == '.' || (iface && strcmp(iface, e->d_name)))
			continue;
		pid = state_pending_pid(a, &st);
		if (!pid)
			continue;
		f = fopen(state_path(a, &st, "pending"), "re");
		if (f && fgets(buf, sizeof(buf), f))
			sscanf(buf, "%ld %ld %127s", &ignored_pid,
			       &ignored_deadline, name);
		if (f)
			fclose(f);
		if (node && strcmp(node, name))
			continue;
		out[n].iface = arena_strdup(a, e->d_name);
		out[n].node = arena_strdup(a, name);
		out[n].pid = pid;
		n++;
	}
	closedir(d);
	return n;
}

int apply_confirm(struct arena *a, const char *iface, const char *node)
{
	struct pending p[16];
	size_t n = find_pending(a, iface, node, p, 16);
	struct run_state st;

	if (n == 0) {
		fprintf(stderr, "meshc confirm: nothing is waiting for "
				"confirmation%s%s\n",
			iface ? " on " : "", iface ? iface : "");
		return 1;
	}
	if (n > 1) {
		fprintf(stderr, "meshc confirm: several applies are waiting; "
				"pick one with --interface:");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, " %s (node %s)", p[i].iface, p[i].node);
		fputc('\n', stderr);
		return 1;
	}
	if (kill(p[0].pid, SIGUSR1) < 0) {
		fprintf(stderr, "meshc confirm: %s: %s\n", p[0].iface,
			strerror(errno));
		return 1;
	}
	st.dir = arena_printf(a, "%s/%s", state_run_root(), p[0].iface);
	st.lock_fd = -1;
	for (int i = 0; i < 100 && state_pending_pid(a, &st); i++)
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	printf("confirmed: %s keeps the applied configuration\n", p[0].iface);
	return 0;
}
