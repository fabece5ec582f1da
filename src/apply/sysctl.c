/* sysctl.c - /proc/sys, key by key.  net.* settings are per network
 * namespace, which is what lets the end-to-end tests run nodes side by
 * side. */
#include "apply/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "net.ipv4.ip_forward" -> "/proc/sys/net/ipv4/ip_forward".  Keys come from
 * the compiler, never from the document, but a dot-dot is refused anyway. */
static int sysctl_path(const char *key, char *buf, size_t size)
{
	size_t n = strlen("/proc/sys/");

	if (strstr(key, "..") || strchr(key, '/') ||
	    snprintf(buf, size, "/proc/sys/%s", key) >= (int)size)
		return -EINVAL;
	for (char *p = buf + n; *p; p++)
		if (*p == '.')
			*p = '/';
	return 0;
}

int sysctl_read(const char *key, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd, err;

	if (sysctl_path(key, path, sizeof(path)))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int sysctl_write_fd(int fd, const char *key, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int err = 0;

	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	/* A sysctl takes its value in one write; a part of it is not the
	 * value asked for (and errno says nothing then). */
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	if (err)
		fprintf(stderr, "meshc: sysctl %s=%s: %s\n", key, value,
			n < 0 ? strerror(-err) : "the kernel took only part "
						 "of the value");
	return err;
}

int sysctl_write(const char *key, const char *value)
{
	char path[256];
	int fd, err;

	if (sysctl_path(key, path, sizeof(path)))
		return -EINVAL;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "meshc: sysctl %s=%s: %s\n", key, value,
			strerror(-err));
		return err;
	}
	err = sysctl_write_fd(fd, key, value);
	close(fd);
	return err;
}

int sysctl_read_plan(struct arena *a, const struct plan *want, struct plan *p)
{
	size_t cap = 0;

	for (size_t i = 0; i < want->n_sysctls; i++) {
		char value[128];
		struct plan_sysctl *s;

		if (sysctl_read(want->sysctls[i].key, value, sizeof(value)))
			continue;
		s = arena_push(a, &p->sysctls, &p->n_sysctls, &cap, sizeof(*s));
		s->key = want->sysctls[i].key;
		s->value = arena_strdup(a, value);
	}
	return 0;
}
