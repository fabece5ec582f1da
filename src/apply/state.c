#include "apply/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *state_run_root(void)
{
	const char *dir = getenv("MESHC_RUN_DIR");

	return dir && *dir ? dir : MESHC_RUN_DIR_DEFAULT;
}

static int mkdir_private(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

const char *state_path(struct arena *a, const struct run_state *st,
		       const char *name)
{
	return arena_printf(a, "%s/%s", st->dir, name);
}

/* Wait for the exclusive lock on st->lock_fd (the file `lock`). */
static int lock_wait(struct run_state *st, const char *lock)
{
	int err, waited = 0;
	char pid[32];

	while (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			err = -errno;
			goto out_close;
		}
		if (!waited)
			fprintf(stderr, "meshc: another meshc run holds %s; "
					"waiting for it\n",
				lock);
		if (++waited > STATE_LOCK_WAIT_SECONDS * 10) {
			fprintf(stderr, "meshc: %s still held after %d s; "
					"giving up\n",
				lock, STATE_LOCK_WAIT_SECONDS);
			err = -ETIMEDOUT;
			goto out_close;
		}
		nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	}
	/* The holder's pid, for the humans who look; best effort. */
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(st->lock_fd, 0) == 0)
		(void)!pwrite(st->lock_fd, pid, strlen(pid), 0);
	return 0;
out_close:
	close(st->lock_fd);
	st->lock_fd = -1;
	return err;
}

int state_lock(struct arena *a, const char *iface, struct run_state *st)
{
	const char *root = state_run_root();
	const char *lock;
	int err;

	st->lock_fd = -1;
	st->dir = arena_printf(a, "%s/%s", root, iface);
	if ((err = mkdir_private(root)) || (err = mkdir_private(st->dir))) {
		fprintf(stderr, "meshc: cannot create the state directory %s: "
				"%s\n",
			st->dir, strerror(-err));
		return err;
	}
	lock = state_path(a, st, "lock");
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0) {
		err = -errno;
		fprintf(stderr, "meshc: %s: %s\n", lock, strerror(errno));
		return err;
	}
	return lock_wait(st, lock);
}

int state_lock_existing(struct arena *a, const char *iface,
			struct run_state *st)
{
	const char *lock;

	st->lock_fd = -1;
	st->dir = arena_printf(a, "%s/%s", state_run_root(), iface);
	lock = state_path(a, st, "lock");
	st->lock_fd = open(lock, O_RDWR | O_CLOEXEC);
	if (st->lock_fd < 0)
		return -errno;
	/* never waits: a run that finds the lock taken compiles first (a
	 * bad document is reported at once) and waits its turn after */
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		int err = -errno;

		close(st->lock_fd);
		st->lock_fd = -1;
		return err;
	}
	return 0;
}

const char *state_find_document(struct arena *a, const char *id)
{
	const char *root = state_run_root(), *found = NULL;
	struct dirent *de;
	DIR *d = opendir(root);

	if (!d)
		return NULL;
	while (!found && (de = readdir(d))) {
		struct run_state st = { .lock_fd = -1 };
		const char *text;

		if (de->d_name[0] == '.')
			continue;
		st.dir = arena_printf(a, "%s/%s", root, de->d_name);
		text = state_read(a, &st, STATE_DOCUMENT_FILE);
		if (text && !strcmp(text, arena_printf(a, "%s\n", id)))
			found = arena_strdup(a, de->d_name);
	}
	closedir(d);
	return found;
}

void state_unlock(struct run_state *st)
{
	if (st->lock_fd >= 0)
		close(st->lock_fd);	/* releases the flock */
	st->lock_fd = -1;
}

/* The whole file as a string, or NULL with errno set (ENOENT: there is
 * none; EFBIG: over STATE_FILE_MAX, reported).  A file is never cut
 * short: a ledger read in part would be written back without its tail. */
#define STATE_FILE_MAX (1u << 20)
static char *read_small_file(struct arena *a, const char *path)
{
	size_t len = 0, cap = 4096;
	char *buf = arena_alloc(a, cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int e = 0;

	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		if (len + 1 == cap) {
			if (cap > STATE_FILE_MAX) {
				e = EFBIG;
				fprintf(stderr, "meshc: %s: larger than %u "
						"bytes\n",
					path, STATE_FILE_MAX);
				break;
			}
			buf = arena_grow(a, buf, len, cap * 2);
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : 0;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (e) {
		errno = e;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* Replace a file atomically: write a temporary, then rename. */
static int write_file(struct arena *a, const char *path, const void *data,
		      size_t len)
{
	const char *tmp = arena_printf(a, "%s.tmp", path);
	const char *p = data;
	int fd, err = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (len && !err) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno != EINTR)
			err = -errno;
		if (n > 0)
			p += n, len -= (size_t)n;
	}
	if (!err && fsync(fd) < 0)
		err = -errno;
	close(fd);
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static int write_small_file(struct arena *a, const char *path,
			    const char *text)
{
	return write_file(a, path, text, strlen(text));
}

int state_write_blob(struct arena *a, const struct run_state *st,
		     const char *name, const void *data, size_t len)
{
	return write_file(a, state_path(a, st, name), data, len);
}

int state_read_blob(struct arena *a, const struct run_state *st,
		    const char *name, size_t max, const uint8_t **data,
		    size_t *len)
{
	int fd = open(state_path(a, st, name), O_RDONLY | O_CLOEXEC);
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	int err = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || sb.st_size < 0 || (size_t)sb.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	buf = arena_alloc(a, (size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size && !err) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);

		if (n < 0 && errno != EINTR)
			err = -errno;
		else if (n == 0)
			err = -EIO;	/* shrank under us */
		else if (n > 0)
			got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return err;
}

const char *state_read(struct arena *a, const struct run_state *st,
		       const char *name)
{
	return read_small_file(a, state_path(a, st, name));
}

int state_write(struct arena *a, const struct run_state *st,
		const char *name, const char *text)
{
	return write_small_file(a, state_path(a, st, name), text);
}

void state_remove(struct arena *a, const struct run_state *st,
		  const char *name)
{
	(void)unlink(state_path(a, st, name));
}

int state_save_sysctl(struct arena *a, const struct run_state *st,
		      const char *key, const char *old_value)
{
	const char *path = state_path(a, st, "sysctl.saved");
	char *text = read_small_file(a, path);
	const char *have;

	if (!text && errno != ENOENT)
		return -errno;	/* never rewrite a ledger we could not read */

	if (state_saved_sysctl(a, st, key, &have) == 0 && have)
		return 0;	/* the value before meshc's first change */
	return write_small_file(a, path,
				arena_printf(a, "%s%s=%s\n", text ? text : "",
					     key, old_value));
}

int state_saved_sysctl(struct arena *a, const struct run_state *st,
		       const char *key, const char **value)
{
	char *text = read_small_file(a, state_path(a, st, "sysctl.saved"));
	size_t klen = strlen(key);

	*value = NULL;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			*value = line + klen + 1;
			return 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int state_forget_sysctls(struct arena *a, const struct run_state *st)
{
	if (unlink(state_path(a, st, "sysctl.saved")) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int state_write_pending(struct arena *a, const struct run_state *st,
			pid_t pid, long seconds, const char *node)
{
	return write_small_file(a, state_path(a, st, "pending"),
				arena_printf(a, "%ld %ld %s\n", (long)pid,
					     (long)time(NULL) + seconds, node));
}

pid_t state_pending_pid(struct arena *a, const struct run_state *st)
{
	const char *path = state_path(a, st, "pending");
	char *text = read_small_file(a, path);
	long pid;

	if (!text)
		return 0;
	if (sscanf(text, "%ld", &pid) == 1 && pid > 1 &&
	    (kill((pid_t)pid, 0) == 0 || errno == EPERM))
		return (pid_t)pid;
	unlink(path);	/* its process is gone (e.g. a reboot) */
	return 0;
}

void state_clear_pending(struct arena *a, const struct run_state *st)
{
	unlink(state_path(a, st, "pending"));
}

int state_mark_creating(struct arena *a, const struct run_state *st, bool on)
{
	const char *path = state_path(a, st, "creating");

	if (!on)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	return write_small_file(a, path, arena_printf(a, "%ld\n",
						      (long)getpid()));
}

bool state_was_creating(struct arena *a, const struct run_state *st)
{
	return st->dir && access(state_path(a, st, "creating"), F_OK) == 0;
}
