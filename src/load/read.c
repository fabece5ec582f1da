/* read.c - a document's bytes, whole, from a file or standard input. */
#include "load/load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

/* Read at most LOAD_MAX_FILE_SIZE + 1 bytes: one byte more than allowed
 * is enough to know the input is too big, and a pipe that never ends is
 * never read further.  0 or -errno; *buf is malloc'd. */
static int read_bounded(int fd, char **buf, size_t *len)
{
	const size_t limit = (size_t)LOAD_MAX_FILE_SIZE + 1;
	size_t cap = 0, n = 0;
	char *p = NULL;

	for (;;) {
		ssize_t r;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : READ_CHUNK;
			char *q;

			if (ncap > limit)
				ncap = limit;
			if (ncap == cap)
				break;	/* limit + 1 bytes read */
			q = realloc(p, ncap);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap = ncap;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(p);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = p;
	*len = n;
	return 0;
}

/* A regular file of the size fstat gave, read straight into the arena:
 * at 10,000 nodes (1.4 MB) the growing malloc buffer and the copy out of
 * it were 2% of a compile.  0 when exactly that much was read (src set);
 * 1 when the file is not that size any more (it changed meanwhile, or is
 * a /proc file that says 0): it is rewound, for read_bounded; or -errno. */
static int read_sized(struct arena *a, int fd, size_t size,
		      struct source *src)
{
	char *text = arena_alloc(a, size + 1);
	size_t n = 0;
	ssize_t r;
	char extra;

	while (n < size) {
		r = read(fd, text + n, size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			goto out_rewind;
		n += (size_t)r;
	}
	do {
		r = read(fd, &extra, 1);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r > 0)
		goto out_rewind;
	src->text = text;
	src->len = size;
	return 0;

out_rewind:
	return lseek(fd, 0, SEEK_SET) == 0 ? 1 : -errno;
}

int load_read_source(struct arena *a, const char *path, struct source *src,
		     struct diags *d)
{
	bool is_stdin = !strcmp(path, "-"), is_reg;
	struct loc where = { is_stdin ? "<stdin>" : path, 0, 0 };
	char *buf = NULL, *text;
	struct stat st;
	size_t len = 0;
	int fd, err;

	memset(src, 0, sizeof(*src));
	src->name = where.file;
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out_error;
	}
	/* A regular file says its size: no need to read 64 MiB to refuse. */
	is_reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (is_reg && (uintmax_t)st.st_size > LOAD_MAX_FILE_SIZE) {
		err = -EFBIG;
		goto out_close;
	}
	/* (not standard input: it may not start at the file's start) */
	if (is_reg && !is_stdin) {
		err = read_sized(a, fd, (size_t)st.st_size, src);
		if (err < 0)
			goto out_close;
		if (err == 0)
			goto out_done;
	}
	err = read_bounded(fd, &buf, &len);
	if (err)
		goto out_close;
	if (len > LOAD_MAX_FILE_SIZE) {
		err = -EFBIG;
		goto out_free;
	}
	text = arena_alloc(a, len + 1);
	if (len)
		memcpy(text, buf, len);
	src->text = text;
	src->len = len;
	free(buf);
out_done:
	if (!is_stdin)
		close(fd);
	return 0;

out_free:
	free(buf);
out_close:
	if (!is_stdin)
		close(fd);
out_error:
	if (err == -EFBIG) {
		/* Point at the file's start: tools that jump to FILE:1:1 show
		 * the file that was refused. */
		where.line = where.col = 1;
		diag_error(d, where, "file is larger than %u MiB",
			   LOAD_MAX_FILE_SIZE / (1024 * 1024));
	} else {
		diag_error(d, where, "cannot read: %s", strerror(-err));
	}
	return -1;
}
