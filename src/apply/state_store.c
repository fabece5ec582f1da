/* state_store.c - the small files of the state directories: read whole
 * without following a symlink, replaced whole by renaming a fresh
 * temporary over the name (rename replaces a planted symlink itself,
 * never its target). */
#include "apply/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Small records: the biggest (nft.fw) has its own, larger, limit. */
#define STATE_TEXT_MAX (64 * 1024)

int state_file_read(struct arena *a, const char *path, size_t max,
		    const uint8_t **data, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	int err = 0;

	*data = NULL;
	*len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (sb.st_size < 0 || (size_t)sb.st_size > max) {
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
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return err;
}

int state_file_temp(struct arena *a, const char *path, int flags,
		    const char **tmp)
{
	for (int tries = 0; tries < 16; tries++) {
		uint64_t r = 0;
		int fd;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r ^= (uint64_t)getpid() << 32 | (uint64_t)tries;
		*tmp = arena_printf(a, "%s.tmp.%016llx", path,
				    (unsigned long long)r);
		fd = open(*tmp, flags | O_CREAT | O_EXCL | O_NOFOLLOW |
					O_CLOEXEC,
			  0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

int state_file_write(struct arena *a, const char *path, const void *data,
		     size_t len)
{
	const char *tmp, *p = data;
	int fd = state_file_temp(a, path, O_WRONLY, &tmp), err = 0;

	if (fd < 0)
		return fd;
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

int state_write_blob(struct arena *a, const struct run_state *st,
		     const char *name, const void *data, size_t len)
{
	if (!st->dir)
		return -ENOENT;
	return state_file_write(a, state_path(a, st, name), data, len);
}

int state_read_blob(struct arena *a, const struct run_state *st,
		    const char *name, size_t max, const uint8_t **data,
		    size_t *len)
{
	if (!st->dir)
		return -ENOENT;
	return state_file_read(a, state_path(a, st, name), max, data, len);
}

const char *state_read(struct arena *a, const struct run_state *st,
		       const char *name)
{
	const uint8_t *data;
	size_t len;

	if (state_read_blob(a, st, name, STATE_TEXT_MAX, &data, &len))
		return NULL;
	return (const char *)data;
}

int state_write(struct arena *a, const struct run_state *st,
		const char *name, const char *text)
{
	return state_write_blob(a, st, name, text, strlen(text));
}

void state_remove(struct arena *a, const struct run_state *st,
		  const char *name)
{
	if (st->dir)
		(void)unlink(state_path(a, st, name));
}

int state_mark_creating(struct arena *a, const struct run_state *st, bool on)
{
	const char *path = state_path(a, st, "creating");
	const char *pid = arena_printf(a, "%ld\n", (long)getpid());

	if (!on)
		return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
	return state_file_write(a, path, pid, strlen(pid));
}

bool state_was_creating(struct arena *a, const struct run_state *st)
{
	struct stat sb;

	return st->dir && lstat(state_path(a, st, "creating"), &sb) == 0 &&
	       S_ISREG(sb.st_mode);
}

int state_open_log(struct arena *a, const struct run_state *st,
		   const char *name)
{
	const char *path = state_path(a, st, name);
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(path, flags, 0600);
	struct stat sb;

	/* no meshc process makes a symlink there: whoever did loses it */
	if (fd < 0 && errno == ELOOP && unlink(path) == 0)
		fd = open(path, flags | O_EXCL, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}
