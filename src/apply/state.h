/* state.h - what meshc keeps between runs.
 *
 *   ROOT         $MESHC_RUN_DIR, default /run/meshc
 *   NSDIR        ROOT in the network namespace of pid 1, otherwise
 *                ROOT/netns:COOKIE (the namespace's SO_NETNS_COOKIE):
 *                two namespaces that share one /run never share state
 *   NSDIR/:lock, NSDIR/:sysctl   netns-wide (':' is in no interface name)
 *   NSDIR/IFACE/ the interface's lock, records and pending confirmation
 *
 * Every directory must be a directory (not a symlink) owned by the
 * effective user with no group or other write, so nobody else can plant
 * a file in it; every file is opened O_NOFOLLOW and replaced by renaming
 * a fresh temporary over it, never written through an existing name.
 *
 * state_dir.c: the paths and checks; state_lock.c: the locks;
 * state_store.c: the small files. */
#ifndef MESHC_APPLY_STATE_H
#define MESHC_APPLY_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/arena.h"

#define MESHC_RUN_DIR_DEFAULT "/run/meshc"
#define STATE_LOCK_WAIT_SECONDS 60

struct run_state {
	const char *iface;
	const char *ns;		/* NSDIR */
	const char *dir;	/* NSDIR/IFACE; NULL: no state to read */
	int lock_fd;		/* -1 when not locked */
};

/* ROOT: $MESHC_RUN_DIR or /run/meshc. */
const char *state_run_root(void);
/* NSDIR of this process's network namespace into *ns, checked when it
 * exists (created when create).  0; -ENOENT (*ns set) when it does not
 * exist; -errno reported unless quiet. */
int state_ns_dir(struct arena *a, bool create, bool quiet, const char **ns);

/* Find and check (not create) iface's state directory, for a run that
 * only reads: st->dir NULL when there is none yet.  0 or -errno
 * (reported: a directory that fails the checks). */
int state_open(struct arena *a, const char *iface, struct run_state *st);

/* The same for every use: create (0700) or only find the directories;
 * quiet: no report (the caller goes another way that reports). */
int state_open_dirs(struct arena *a, const char *iface, bool create,
		    bool quiet, struct run_state *st);
/* The interfaces with a state directory in this network namespace. */
size_t state_interfaces(struct arena *a, const char ***names);

/* Create the directories (0700) and take the interface's exclusive
 * lock, waiting up to STATE_LOCK_WAIT_SECONDS for another run (saying
 * so once).  0 or -errno (reported: not a safe directory, timed out). */
int state_lock(struct arena *a, const char *iface, struct run_state *st);
/* The same, waiting as long as it takes (seconds 0) and saying so every
 * minute; for the confirm timer's revert, which must not give up. */
int state_lock_wait(struct arena *a, const char *iface, struct run_state *st,
		    unsigned seconds);
/* Release the lock (the directories stay known). */
void state_unlock(struct run_state *st);
/* The same lock, taken only if iface's state directory and lock file
 * exist and no other run holds it (no waiting); -errno without a report
 * otherwise (the caller then goes the state_lock way, which waits and
 * reports). */
int state_lock_existing(struct arena *a, const char *iface,
			struct run_state *st);
/* The short netns-wide lock NSDIR/:lock, around a read-modify-write of
 * a netns-wide file.  fd to close, or -errno (reported). */
int state_ns_lock(struct arena *a, const char *ns);

/* Is path a directory meshc may trust (see above)?  0, -ENOENT (quiet),
 * or -errno reported naming the path and why. */
int state_check_dir(const char *path);

/* "document": the document (its real path) that the last successful
 * apply on the interface came from.  state_find_document: the interface
 * of this network namespace whose record names `id`, or NULL. */
#define STATE_DOCUMENT_FILE "document"
const char *state_find_document(struct arena *a, const char *id);
/* The document the last successful apply on iface came from (what
 * state_find_document compares), or NULL when none is recorded. */
const char *state_recorded_document(struct arena *a, const char *iface);

/* Path of a file in the state directory. */
const char *state_path(struct arena *a, const struct run_state *st,
		       const char *name);

/* Files by path: read whole (at most max bytes; -ENOENT when missing,
 * -ELOOP or -EINVAL when not a regular file) and replaced atomically
 * (a unique temporary, O_EXCL, renamed over the name). */
int state_file_read(struct arena *a, const char *path, size_t max,
		    const uint8_t **data, size_t *len);
int state_file_write(struct arena *a, const char *path, const void *data,
		     size_t len);
/* A new file next to path under a unique name (*tmp), opened with
 * flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC: fd or -errno. */
int state_file_temp(struct arena *a, const char *path, int flags,
		    const char **tmp);

/* A small file of the state directory: its text (NULL when missing or
 * not a regular file), replaced atomically, removed (missing is fine). */
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

/* A log of the state directory, opened to append (never through a
 * symlink: one found there is removed).  fd or -errno. */
int state_open_log(struct arena *a, const struct run_state *st,
		   const char *name);

/* "creating": set just before meshc creates its interface, cleared once
 * the interface carries meshc's mark.  An unmarked interface found while
 * the file exists was made by a run that died in between. */
int state_mark_creating(struct arena *a, const struct run_state *st, bool on);
bool state_was_creating(struct arena *a, const struct run_state *st);

#endif
