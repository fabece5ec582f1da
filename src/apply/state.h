/* state.h - what meshc keeps between runs, per interface, under
 * $MESHC_RUN_DIR/IFACE (default /run/meshc/IFACE): the lock that
 * serializes runs, the sysctl values meshc replaced (put back by down),
 * and the pid of a pending `apply --confirm`.  Nothing is global to the
 * host, so nodes in several network namespaces can share one /run. */
#ifndef MESHC_APPLY_STATE_H
#define MESHC_APPLY_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/arena.h"

#define MESHC_RUN_DIR_DEFAULT "/run/meshc"
#define STATE_LOCK_WAIT_SECONDS 60

struct run_state {
	const char *dir;	/* $MESHC_RUN_DIR/IFACE */
	int lock_fd;		/* -1 when not locked */
};

/* The run directory of meshc ($MESHC_RUN_DIR or /run/meshc). */
const char *state_run_root(void);

/* Create the directory (0700) and take the exclusive lock, waiting up to
 * STATE_LOCK_WAIT_SECONDS for another run to finish (saying so once).
 * 0 or -errno (reported: not writable, timed out). */
int state_lock(struct arena *a, const char *iface, struct run_state *st);
void state_unlock(struct run_state *st);
/* The same lock, taken only if iface's state directory and lock file
 * exist and no other run holds it (no waiting); -errno without a report
 * otherwise (the caller then goes the state_lock way, which waits and
 * reports). */
int state_lock_existing(struct arena *a, const char *iface,
			struct run_state *st);

/* "document": the document (its real path) that the last successful
 * apply on the interface came from.  state_find_document: the interface
 * whose record names `id`, or NULL. */
#define STATE_DOCUMENT_FILE "document"
const char *state_find_document(struct arena *a, const char *id);

/* Path of a file in the state directory. */
const char *state_path(struct arena *a, const struct run_state *st,
		       const char *name);

/* A small file of the state directory: its text (NULL when missing),
 * replaced atomically, removed (missing is fine). */
const char *state_read(struct arena *a, const struct run_state *st,
		       const char *name);
int state_write(struct arena *a, const struct run_state *st,
		const char *name, const char *text);
void state_remove(struct arena *a, const struct run_state *st,
		  const char *name);
/* The same for binary data: written whole and atomically; read whole
 * into the arena when at most max bytes.  0 or -errno. */
int state_write_blob(struct arena *a, const struct run_state *st,
		     const char *name, const void *data, size_t len);
int state_read_blob(struct arena *a, const struct run_state *st,
		    const char *name, size_t max, const uint8_t **data,
		    size_t *len);

/* The previous value of a sysctl meshc changed: saved once (the value
 * before meshc's first change), read back and removed by down. */
int state_save_sysctl(struct arena *a, const struct run_state *st,
		      const char *key, const char *old_value);
/* *value NULL when meshc never changed the key. */
int state_saved_sysctl(struct arena *a, const struct run_state *st,
		       const char *key, const char **value);
int state_forget_sysctls(struct arena *a, const struct run_state *st);

/* "creating": set just before meshc creates its interface, cleared once
 * the interface carries meshc's mark.  An unmarked interface found while
 * the file exists was made by a run that died in between. */
int state_mark_creating(struct arena *a, const struct run_state *st, bool on);
bool state_was_creating(struct arena *a, const struct run_state *st);

/* A pending `apply --confirm`: "PID DEADLINE NODE", the process that
 * reverts unless `meshc confirm` signals it first. */
int state_write_pending(struct arena *a, const struct run_state *st,
			pid_t pid, long seconds, const char *node);
/* pid of a live pending revert process, or 0 (a stale file is removed). */
pid_t state_pending_pid(struct arena *a, const struct run_state *st);
void state_clear_pending(struct arena *a, const struct run_state *st);

#endif
