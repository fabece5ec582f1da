/* sysctl.h - the kernel settings of a plan, read from and written to
 * /proc/sys (per network namespace for net.*). */
#ifndef MESHC_APPLY_SYSCTL_H
#define MESHC_APPLY_SYSCTL_H

#include "base/arena.h"
#include "plan/plan.h"

/* For each sysctl key of `want`, read the live value into p->sysctls
 * (same keys, live values; a missing key is left out). 0 or -errno. */
int sysctl_read_plan(struct arena *a, const struct plan *want,
		     struct plan *p);
/* Write one value.  0 or -errno (reported). */
int sysctl_write(const char *key, const char *value);
/* The same on an open file: the whole value in one write, else -EIO (a
 * short write is a failure, not a success).  Reported. */
int sysctl_write_fd(int fd, const char *key, const char *value);
/* Read one value into buf (trailing newline removed).  0 or -errno. */
int sysctl_read(const char *key, char *buf, size_t size);

#endif
