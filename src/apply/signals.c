/* signals.c - SIGINT, SIGTERM and SIGHUP wait while the system is between
 * two states.
 *
 * From the first change of a run until the system is in the new state or
 * back in the old one, these signals are blocked, not caught: a blocked
 * signal stays pending in the kernel, so no flag (no global state) is
 * needed to remember it; no system call of the converge is cut short by
 * EINTR half-way through a netlink exchange or a wait; and nothing runs
 * asynchronously.  converge() looks at the pending set between steps and
 * stops; the run then rolls back, still holding, takes the signal and
 * exits 1 saying it was interrupted.  A signal that arrives during the
 * rollback waits for it to finish.  The blocked mask is inherited by
 * children: wireguard-go's start resets it before exec (wg.c).
 */
#include "apply/internal.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>

static const struct {
	int sig;
	const char *name;
} held[] = {
	{ SIGINT, "SIGINT" },
	{ SIGTERM, "SIGTERM" },
	{ SIGHUP, "SIGHUP" },
};

#define N_HELD (sizeof(held) / sizeof(held[0]))

void signals_hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < N_HELD; i++)
		sigaddset(&set, held[i].sig);
	sigprocmask(SIG_BLOCK, &set, old);
}

void signals_restore(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* Linux keeps a blocked signal pending even when its action is to ignore
 * it (the action could change before it is unblocked): a SIGHUP sent to
 * a run under nohup is no request to stop. */
static bool ignored(int sig)
{
	struct sigaction sa;

	return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

/* Take sig off the pending set, without waiting. */
static void take(int sig)
{
	const struct timespec now = { 0, 0 };
	sigset_t one;

	sigemptyset(&one);
	sigaddset(&one, sig);
	while (sigtimedwait(&one, NULL, &now) < 0 && errno == EINTR)
		;
}

int signals_pending(void)
{
	sigset_t pending;

	if (sigpending(&pending))
		return 0;
	for (size_t i = 0; i < N_HELD; i++) {
		if (!sigismember(&pending, held[i].sig))
			continue;
		if (!ignored(held[i].sig))
			return held[i].sig;
		take(held[i].sig);
	}
	return 0;
}

int signals_take(void)
{
	int sig = signals_pending();

	if (sig)
		take(sig);
	return sig;
}

const char *signals_name(int sig)
{
	for (size_t i = 0; i < N_HELD; i++)
		if (held[i].sig == sig)
			return held[i].name;
	return "a signal";
}
