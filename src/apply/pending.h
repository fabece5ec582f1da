/* pending.h - a pending `apply --confirm`: NSDIR/IFACE/pending
 * ("PID DEADLINE NODE"), created and flock-held for its whole life by the
 * process that reverts unless `meshc confirm` reaches it first.  The held
 * lock is that process's identity: a file nobody holds is stale whatever
 * pid it names, and the pid is signalled only through a pidfd opened
 * while the lock was held (never a reused pid).
 *
 * The holder appends how it ended, a line each: "confirmed"; or
 * "expired" (deadline passed, SIGTERM or SIGINT), then "reverted", "revert
 * failed" or "cancelled" (by `meshc down`).  The record stays as
 * confirm.last once the holder is done. */
#ifndef MESHC_APPLY_PENDING_H
#define MESHC_APPLY_PENDING_H

#include <stdbool.h>
#include <sys/types.h>

#include "apply/state.h"

#define PENDING_FILE "pending"
#define PENDING_LAST_FILE "confirm.last"

struct pending {
	int fd;			/* the held file, open; -1: none */
	pid_t pid;
	long deadline;
	const char *node;
};

/* The reverting process: create and hold `pending` for itself.  fd or
 * -errno. */
int pending_create(struct arena *a, const struct run_state *st,
		   long deadline, const char *node);
void pending_note(int fd, const char *what);
/* Does `pending` still name the held file (down takes the name away)? */
bool pending_is_current(struct arena *a, const struct run_state *st, int fd);
/* Done: the record to confirm.last, `pending` removed if still this
 * one, the lock released. */
void pending_finish(struct arena *a, const struct run_state *st, int fd);

/* Anyone: 1 and *p (to pending_close) when a live process holds
 * `pending`; 0 when none.  remove_stale (only under the interface lock,
 * when no new holder can appear): a file nobody holds goes. */
int pending_find(struct arena *a, const struct run_state *st,
		 bool remove_stale, struct pending *p);
void pending_close(struct pending *p);
/* Is the holder still there? */
bool pending_held(const struct pending *p);
/* Send sig to the holder, verified; -ESRCH when it is gone. */
int pending_signal(const struct pending *p, int sig);
/* The last line the holder noted, or NULL. */
const char *pending_outcome(struct arena *a, const struct pending *p);
/* Under the interface lock: does a live timer wait (a stale file goes)? */
bool pending_waiting(struct arena *a, const struct run_state *st);
/* `meshc down`, under the interface lock: cancel a waiting timer (the
 * name goes, the holder is woken, finds itself cancelled and reverts
 * nothing), saying so. */
void pending_cancel(struct arena *a, const struct run_state *st);

#endif
