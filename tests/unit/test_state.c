/* Unit tests of src/apply/state.c: the per-interface run directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apply/state.h"

static char root[64];

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/meshc-state-test-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	setenv("MESHC_RUN_DIR", root, 1);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_lock_creates_private_directory_per_interface(void **state)
{
	struct arena a;
	struct run_state st;
	struct stat sb;

	(void)state;
	arena_init(&a);
	assert_string_equal(state_run_root(), root);
	assert_int_equal(state_lock(&a, "meshx", &st), 0);
	assert_int_equal(stat(st.dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_non_null(strstr(st.dir, "/meshx"));
	state_unlock(&st);
	arena_free(&a);
}

/* The early lock of apply only takes an existing state directory and
 * never creates one; the document record names its interface. */
static void test_document_record_finds_its_interface(void **state)
{
	struct arena a;
	struct run_state st, early;

	(void)state;
	arena_init(&a);
	assert_int_not_equal(state_lock_existing(&a, "meshd", &early), 0);
	assert_int_equal(early.lock_fd, -1);
	assert_null(state_find_document(&a, "/etc/meshc/mesh.yaml"));

	assert_int_equal(state_lock(&a, "meshd", &st), 0);
	assert_int_equal(state_write(&a, &st, STATE_DOCUMENT_FILE,
				     "/etc/meshc/mesh.yaml\n"),
			 0);
	state_unlock(&st);
	assert_string_equal(state_find_document(&a, "/etc/meshc/mesh.yaml"),
			    "meshd");
	assert_null(state_find_document(&a, "/etc/meshc/mesh"));
	assert_null(state_find_document(&a, "/etc/meshc/mesh.yaml.old"));

	assert_int_equal(state_lock_existing(&a, "meshd", &early), 0);
	assert_true(early.lock_fd >= 0);
	state_unlock(&early);

	/* held by another run: no waiting, no lock */
	assert_int_equal(state_lock(&a, "meshd", &st), 0);
	assert_int_equal(state_lock_existing(&a, "meshd", &early),
			 -EWOULDBLOCK);
	assert_int_equal(early.lock_fd, -1);
	state_unlock(&st);
	arena_free(&a);
}

/* A second holder cannot take the lock while the first has it. */
static void test_lock_is_exclusive_across_processes(void **state)
{
	struct arena a;
	struct run_state st;
	int status;
	pid_t pid;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshy", &st), 0);
	pid = fork();
	if (pid == 0) {
		struct run_state other;
		char path[256];
		int fd;

		snprintf(path, sizeof(path), "%s/meshy/lock", root);
		fd = open(path, O_RDWR);
		/* non-blocking attempt: must fail while the parent holds it */
		_exit(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 ? 0 : 1);
		(void)other;
	}
	assert_true(pid > 0);
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	state_unlock(&st);
	arena_free(&a);
}

static void test_saved_sysctl_keeps_the_first_value(void **state)
{
	struct arena a;
	struct run_state st;
	const char *v;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshz", &st), 0);
	assert_int_equal(state_saved_sysctl(&a, &st, "net.ipv4.ip_forward", &v), 0);
	assert_null(v);
	assert_int_equal(state_save_sysctl(&a, &st, "net.ipv4.ip_forward", "0"), 0);
	/* a later save does not overwrite what was there before meshc */
	assert_int_equal(state_save_sysctl(&a, &st, "net.ipv4.ip_forward", "1"), 0);
	assert_int_equal(state_save_sysctl(&a, &st, "net.ipv6.conf.all.forwarding", "0"), 0);
	state_saved_sysctl(&a, &st, "net.ipv4.ip_forward", &v);
	assert_string_equal(v, "0");
	state_saved_sysctl(&a, &st, "net.ipv6.conf.all.forwarding", &v);
	assert_string_equal(v, "0");
	assert_int_equal(state_forget_sysctls(&a, &st), 0);
	state_saved_sysctl(&a, &st, "net.ipv4.ip_forward", &v);
	assert_null(v);
	state_unlock(&st);
	arena_free(&a);
}

/* A ledger over the old 4 KiB read buffer is read whole: the keys past
 * it were silently lost before (and the next save rewrote the file
 * without them). */
static void test_large_sysctl_ledger_is_read_whole(void **state)
{
	struct arena a;
	struct run_state st;
	const char *v;
	char key[64];

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshbig", &st), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "net.ipv4.conf.mesh%03d.forwarding", i);
		assert_int_equal(state_save_sysctl(&a, &st, key, "0"), 0);
	}
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "net.ipv4.conf.mesh%03d.forwarding", i);
		assert_int_equal(state_saved_sysctl(&a, &st, key, &v), 0);
		assert_non_null(v);
		assert_string_equal(v, "0");
	}
	state_unlock(&st);
	arena_free(&a);
}

static void test_pending_of_a_dead_process_is_stale(void **state)
{
	struct arena a;
	struct run_state st;
	pid_t child;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshp", &st), 0);
	assert_int_equal(state_pending_pid(&a, &st), 0);
	assert_int_equal(state_write_pending(&a, &st, getpid(), 30, "b"), 0);
	assert_int_equal(state_pending_pid(&a, &st), getpid());
	child = fork();
	if (child == 0)
		_exit(0);
	waitpid(child, NULL, 0);
	assert_int_equal(state_write_pending(&a, &st, child, 30, "b"), 0);
	assert_int_equal(state_pending_pid(&a, &st), 0);	/* reaped */
	state_clear_pending(&a, &st);
	state_unlock(&st);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_creates_private_directory_per_interface),
		cmocka_unit_test(test_lock_is_exclusive_across_processes),
		cmocka_unit_test(test_document_record_finds_its_interface),
		cmocka_unit_test(test_saved_sysctl_keeps_the_first_value),
		cmocka_unit_test(test_large_sysctl_ledger_is_read_whole),
		cmocka_unit_test(test_pending_of_a_dead_process_is_stale),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
