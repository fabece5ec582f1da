/* confirm.c - try mode, the `netplan try` safety net for remote hosts.
 *
 * `apply --confirm S` leaves behind a detached process (own session, no
 * terminal, SIGHUP ignored: it survives the SSH session that started it)
 * holding the pre-apply state in memory and the file NSDIR/IFACE/pending
 * (pending.h).  After S seconds it takes the interface lock, as long as
 * that takes, and converges back to that state, unless `meshc confirm`
 * reached it first, or `meshc down` cancelled it (down removes what the
 * revert would bring back).  What it does goes to NSDIR/IFACE/confirm.log.
 */
#include "apply/internal.h"

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

#include "apply/pending.h"

#define CONFIRM_LOG "confirm.log"
/* How long `meshc confirm` waits for the timer's answer. */
#define CONFIRM_ANSWER_SECONDS 10

static void detach_stdio(struct apply_ctx *c)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = state_open_log(c->a, &c->st, CONFIRM_LOG);

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

/* Past the deadline: take the lock however long that takes (a revert
 * that gave up would leave the unconfirmed state in place), then revert
 * unless down took the pending file away meanwhile. */
static void __attribute__((noreturn))
revert(struct apply_ctx *c, const struct plan *want, const struct live *before,
       int pending)
{
	const char *iface = want->iface.name;

	for (;;) {
		if (!c->rtnl && rtnl_open(&c->rtnl) < 0)
			log_line("no netlink socket; trying again in 10 s",
				 iface);
		else if (state_lock_wait(c->a, iface, &c->st, 0) == 0)
			break;
		else
			log_line("cannot take the interface lock; trying "
				 "again in 10 s", iface);
		sleep(10);
	}
	if (!pending_is_current(c->a, &c->st, pending)) {
		pending_note(pending, "cancelled");
		log_line("cancelled by meshc down; nothing to revert", iface);
	} else if (apply_rollback(c, want, before) == 0) {
		pending_note(pending, "reverted");
		log_line("reverted to the state before the apply", iface);
	} else {
		pending_note(pending, "revert failed");
		log_line("REVERT FAILED; run meshc apply or meshc down", iface);
	}
	pending_finish(c->a, &c->st, pending);
	state_unlock(&c->st);
	_exit(0);
}

/* The detached process: wait, then revert unless confirmed. */
static void __attribute__((noreturn))
revert_daemon(struct apply_ctx *c, const struct plan *want,
	      const struct live *before, long seconds, int ready_fd)
{
	struct timespec timeout = { seconds, 0 };
	sigset_t set;
	char ok = 1;
	int sig, pending;

	signal(SIGHUP, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* exactly these, waited for below: the mask the apply held its
	 * signals with is not inherited as such */
	sigprocmask(SIG_SETMASK, &set, NULL);
	/* The parent's lock and netlink socket are the parent's (it keeps
	 * the lock: its own descriptor stays open). */
	state_unlock(&c->st);
	rtnl_close(c->rtnl);
	c->rtnl = NULL;
	detach_stdio(c);
	pending = pending_create(c->a, &c->st, (long)time(NULL) + seconds,
				 want->node);
	if (pending < 0) {
		fprintf(stderr, "meshc: %s: %s\n",
			state_path(c->a, &c->st, PENDING_FILE),
			strerror(-pending));
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
		/* the answer `meshc confirm` waits for */
		pending_note(pending, "confirmed");
		log_line("confirmed; keeping the new configuration",
			 want->iface.name);
		pending_finish(c->a, &c->st, pending);
		_exit(0);
	}
	/* from here on a confirmation is too late, and told so */
	pending_note(pending, "expired");
	log_line(sig == SIGTERM	  ? "SIGTERM; reverting unless cancelled"
		 : sig == SIGINT ? "SIGINT; reverting unless cancelled"
				 : "not confirmed in time; reverting",
		 want->iface.name);
	revert(c, want, before, pending);
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
	/* with --format json, stdout is the report alone */
	if (!c->o->quiet)
		fprintf(c->o->json ? stderr : stdout,
			"waiting %ld s for 'meshc confirm'; without it %s "
			"reverts to the previous state\n",
			seconds, want->iface.name);
	return 0;
}

struct waiting {
	const char *iface;
	struct run_state st;
	struct pending p;
};

static size_t find_waiting(struct arena *a, const char *iface,
			   const char *node, struct waiting *out, size_t max)
{
	const char **names;
	size_t n = 0, count = state_interfaces(a, &names);

	for (size_t i = 0; i < count && n < max; i++) {
		struct waiting *w = &out[n];

		if (iface && strcmp(iface, names[i]))
			continue;
		if (state_open_dirs(a, names[i], false, true, &w->st) ||
		    pending_find(a, &w->st, false, &w->p) <= 0)
			continue;
		if (node && strcmp(node, w->p.node)) {
			pending_close(&w->p);
			continue;
		}
		w->iface = names[i];
		n++;
	}
	return n;
}

/* How the last try on iface ended ("reverted", ...), or NULL. */
static const char *last_outcome(struct arena *a, const char *iface,
				struct run_state *st)
{
	const char *text, *nl;
	size_t len;

	if (state_open_dirs(a, iface, false, true, st) ||
	    !(text = state_read(a, st, PENDING_LAST_FILE)) ||
	    (len = strlen(text)) < 2 || text[len - 1] != '\n')
		return NULL;
	text = arena_strndup(a, text, len - 1);
	nl = strrchr(text, '\n');
	return nl ? nl + 1 : NULL;
}

/* Nothing waits: say so, and how the last try ended where it was not
 * confirmed (a `meshc confirm` that came too late learns it here). */
static int nothing_waiting(struct arena *a, const char *iface)
{
	const char **names = &iface, *outcome;
	size_t n = iface ? 1 : state_interfaces(a, &names);
	struct run_state st;

	fprintf(stderr, "meshc confirm: nothing is waiting for "
			"confirmation%s%s\n",
		iface ? " on " : "", iface ? iface : "");
	for (size_t i = 0; i < n; i++) {
		outcome = last_outcome(a, names[i], &st);
		if (outcome && strcmp(outcome, "confirmed"))
			fprintf(stderr, "meshc confirm: the last apply "
					"--confirm on %s was not confirmed in "
					"time: %s (see %s)\n",
				names[i], outcome,
				state_path(a, &st, CONFIRM_LOG));
	}
	return 1;
}

/* Signal the one waiting timer and wait for its answer. */
static int confirm_one(struct arena *a, struct waiting *w)
{
	const char *outcome = NULL;
	int err = pending_signal(&w->p, SIGUSR1);

	for (int i = 0; !err && i < CONFIRM_ANSWER_SECONDS * 20; i++) {
		outcome = pending_outcome(a, &w->p);
		if (outcome || !pending_held(&w->p))
			break;
		nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
	}
	if (!outcome)
		outcome = pending_outcome(a, &w->p);
	if (outcome && !strcmp(outcome, "confirmed")) {
		printf("confirmed: %s keeps the applied configuration\n",
		       w->iface);
		return 0;
	}
	if (outcome)
		fprintf(stderr, "meshc confirm: too late: the deadline of the "
				"apply --confirm on %s passed; it %s (see "
				"%s)\n",
			w->iface,
			!strcmp(outcome, "reverted") ? "was reverted to the "
						       "state before"
			: !strcmp(outcome, "cancelled") ? "was cancelled by "
							  "meshc down"
			: !strcmp(outcome, "revert failed")
				? "could not be reverted"
				: "is being reverted to the state before",
			state_path(a, &w->st, CONFIRM_LOG));
	else
		fprintf(stderr, "meshc confirm: the confirm timer of %s did "
				"not answer%s (see %s)\n",
			w->iface, err ? "; it is gone" : "",
			state_path(a, &w->st, CONFIRM_LOG));
	return 1;
}

int apply_confirm(struct arena *a, const char *iface, const char *node)
{
	struct waiting w[16];
	size_t n = find_waiting(a, iface, node, w, 16);
	int rc;

	if (n == 0)
		return nothing_waiting(a, iface);
	if (n > 1) {
		fprintf(stderr, "meshc confirm: several applies are waiting; "
				"pick one with --interface:");
		for (size_t i = 0; i < n; i++) {
			fprintf(stderr, " %s (node %s)", w[i].iface,
				w[i].p.node);
			pending_close(&w[i].p);
		}
		fputc('\n', stderr);
		return 1;
	}
	rc = confirm_one(a, &w[0]);
	pending_close(&w[0].p);
	return rc;
}
