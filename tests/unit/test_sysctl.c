/* Unit tests of src/apply/sysctl.c: a value is written whole or the write
 * is a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apply/sysctl.h"

/* A pipe with room for one page takes a longer value only in part: the
 * old sysctl_write took that for success (errno was left at 0). */
static void test_short_write_is_an_error(void **state)
{
	size_t len = 3 * 4096;
	char *value = malloc(len + 1);
	int p[2];

	(void)state;
	memset(value, '1', len);
	value[len] = '\0';
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	errno = 0;
	assert_int_equal(sysctl_write_fd(p[1], "net.test.key", value), -EIO);
	close(p[0]);
	close(p[1]);
	free(value);
}

static void test_whole_write_succeeds(void **state)
{
	char buf[8];
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(sysctl_write_fd(p[1], "net.ipv4.ip_forward", "1"), 0);
	assert_int_equal(read(p[0], buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], '1');
	close(p[0]);
	close(p[1]);
}

static void test_write_error_is_reported(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	/* a descriptor not open for writing */
	assert_int_equal(sysctl_write_fd(p[0], "net.ipv4.ip_forward", "1"),
			 -EBADF);
	close(p[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_write_is_an_error),
		cmocka_unit_test(test_whole_write_succeeds),
		cmocka_unit_test(test_write_error_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
