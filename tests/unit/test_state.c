/* Unit tests of the state directory (src/apply/state_*.c), the sysctl
 * ledger and the pending confirmation.  Run as root (they also make
 * network namespaces). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "apply/pending.h"
#include "apply/state.h"
#include "apply/sysctl_ledger.h"

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

/* Run fn in a child process; its exit code. */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
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
	assert_true(!strncmp(st.ns, root, strlen(root)));
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

static int try_lock_file(void *path)
{
	int fd = open(path, O_RDONLY);

	/* non-blocking attempt: must fail while the parent holds it */
	return fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 ? 0 : 1;
}

/* A second holder cannot take the lock while the first has it. */
static void test_lock_is_exclusive_across_processes(void **state)
{
	struct arena a;
	struct run_state st;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshy", &st), 0);
	assert_int_equal(in_child(try_lock_file,
				  (void *)state_path(&a, &st, "lock")),
			 0);
	state_unlock(&st);
	arena_free(&a);
}

/* Two interfaces of one network namespace need ip_forward: the first to
 * let go leaves it on, the last puts back the value from before meshc.
 * (Per-interface saved values, as before, restored it at the first.) */
static void test_sysctl_ledger_restores_after_the_last_interface(void **state)
{
	struct arena a;
	struct run_state x, y;
	struct plan_sysctl need = { .key = "net.ipv4.ip_forward" };
	struct plan_sysctl *restore;
	const char **keys;
	size_t n, nk;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshx", &x), 0);
	state_unlock(&x);
	assert_int_equal(state_lock(&a, "meshw", &y), 0);
	state_unlock(&y);

	need.value = "0";	/* what meshx finds */
	assert_int_equal(sysctl_ledger_set(&a, &x, &need, 1, &restore, &n), 0);
	assert_int_equal(n, 0);
	need.value = "1";	/* meshw finds meshx's value */
	assert_int_equal(sysctl_ledger_set(&a, &y, &need, 1, &restore, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sysctl_ledger_needs(&a, &x, &keys, &nk), 0);
	assert_int_equal(nk, 1);
	assert_string_equal(keys[0], "net.ipv4.ip_forward");

	/* down of meshx: meshw still needs it */
	assert_int_equal(sysctl_ledger_set(&a, &x, NULL, 0, &restore, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sysctl_ledger_needs(&a, &x, &keys, &nk), 0);
	assert_int_equal(nk, 0);
	/* a second down of meshx changes nothing */
	assert_int_equal(sysctl_ledger_set(&a, &x, NULL, 0, &restore, &n), 0);
	assert_int_equal(n, 0);
	/* down of meshw: the value from before any meshc interface */
	assert_int_equal(sysctl_ledger_set(&a, &y, NULL, 0, &restore, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(restore[0].key, "net.ipv4.ip_forward");
	assert_string_equal(restore[0].value, "0");
	/* nobody needs anything: no ledger left */
	assert_int_equal(access(arena_printf(&a, "%s/:sysctl", x.ns), F_OK),
			 -1);
	arena_free(&a);
}

/* A ledger larger than any fixed read buffer (meshc 0.1 read 4 KiB and
 * silently lost the keys past it) is read whole. */
static void test_large_sysctl_ledger_is_read_whole(void **state)
{
	struct arena a;
	struct run_state x;
	struct plan_sysctl *needs, *restore;
	size_t n;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshbig", &x), 0);
	state_unlock(&x);
	needs = arena_alloc(&a, 200 * sizeof(*needs));
	for (int i = 0; i < 200; i++) {
		needs[i].key = arena_printf(&a, "net.ipv4.conf.mesh%03d.forwarding", i);
		needs[i].value = "0";
	}
	assert_int_equal(sysctl_ledger_set(&a, &x, needs, 200, &restore, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sysctl_ledger_set(&a, &x, NULL, 0, &restore, &n), 0);
	assert_int_equal(n, 200);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(restore[i].value, "0");
	arena_free(&a);
}

/* The values meshc 0.1 saved per interface are the originals. */
static void test_sysctl_ledger_takes_over_saved_values(void **state)
{
	struct arena a;
	struct run_state x;
	struct plan_sysctl need = { .key = "net.ipv4.ip_forward", .value = "1" };
	struct plan_sysctl *restore;
	size_t n;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshl", &x), 0);
	state_unlock(&x);
	assert_int_equal(state_write(&a, &x, "sysctl.saved",
				     "net.ipv4.ip_forward=0\n"), 0);
	assert_int_equal(sysctl_ledger_set(&a, &x, &need, 1, &restore, &n), 0);
	assert_null(state_read(&a, &x, "sysctl.saved"));
	assert_int_equal(sysctl_ledger_set(&a, &x, NULL, 0, &restore, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(restore[0].value, "0");
	arena_free(&a);
}

struct holder {
	const char *iface;
	int ready;	/* pipe: the child wrote pending */
};

/* A confirm timer: holds `pending` until killed. */
static int hold_pending(void *arg)
{
	struct holder *h = arg;
	struct arena a;
	struct run_state st;
	int fd;

	arena_init(&a);
	if (state_open_dirs(&a, h->iface, false, false, &st))
		return 1;
	fd = pending_create(&a, &st, time(NULL) + 30, "b");
	if (fd < 0)
		return 2;
	(void)!write(h->ready, "x", 1);
	pause();
	return 0;
}

static pid_t start_holder(struct holder *h)
{
	int fds[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	h->ready = fds[1];
	pid = fork();
	if (pid == 0)
		_exit(hold_pending(h));
	close(fds[1]);
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

/* A pending file counts only while its process holds it: a file naming a
 * live pid that holds nothing (a reused pid) is stale and never
 * signalled. */
static void test_pending_identity_is_the_held_lock(void **state)
{
	struct arena a;
	struct run_state st;
	struct pending p;
	struct holder h = { .iface = "meshp" };
	pid_t bystander, timer;
	int status;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshp", &st), 0);
	assert_int_equal(pending_find(&a, &st, true, &p), 0);

	bystander = fork();
	if (bystander == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(state_write(&a, &st, PENDING_FILE,
				     arena_printf(&a, "%ld %ld b\n",
						  (long)bystander,
						  (long)time(NULL) + 30)),
			 0);
	assert_int_equal(pending_find(&a, &st, false, &p), 0);
	assert_int_equal(access(state_path(&a, &st, PENDING_FILE), F_OK), 0);
	assert_false(pending_waiting(&a, &st));	/* removes it */
	assert_int_equal(access(state_path(&a, &st, PENDING_FILE), F_OK), -1);
	assert_int_equal(waitpid(bystander, &status, WNOHANG), 0);
	kill(bystander, SIGKILL);
	waitpid(bystander, NULL, 0);

	timer = start_holder(&h);
	assert_int_equal(pending_find(&a, &st, true, &p), 1);
	assert_int_equal(p.pid, timer);
	assert_string_equal(p.node, "b");
	assert_null(pending_outcome(&a, &p));
	assert_true(pending_waiting(&a, &st));
	assert_int_equal(pending_signal(&p, SIGUSR1), 0);
	waitpid(timer, &status, 0);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
	/* gone: nothing to signal, and the next apply is not blocked */
	assert_int_equal(pending_signal(&p, SIGUSR1), -ESRCH);
	pending_close(&p);
	assert_false(pending_waiting(&a, &st));
	state_unlock(&st);
	arena_free(&a);
}

/* down cancels: the name goes, so the timer, once it has the interface
 * lock, finds it is no longer current. */
static void test_pending_cancel_takes_the_name(void **state)
{
	struct arena a;
	struct run_state st;
	struct holder h = { .iface = "meshq" };
	pid_t timer;
	int status, fd;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshq", &st), 0);
	timer = start_holder(&h);
	pending_cancel(&a, &st);	/* SIGTERM: the holder dies */
	waitpid(timer, &status, 0);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	assert_int_equal(access(state_path(&a, &st, PENDING_FILE), F_OK), -1);

	/* the timer's own view */
	fd = pending_create(&a, &st, time(NULL) + 30, "b");
	assert_true(fd >= 0);
	assert_true(pending_is_current(&a, &st, fd));
	unlink(state_path(&a, &st, PENDING_FILE));
	assert_false(pending_is_current(&a, &st, fd));
	pending_note(fd, "cancelled");
	pending_finish(&a, &st, fd);
	assert_string_equal(state_read(&a, &st, PENDING_LAST_FILE) +
				    strlen(state_read(&a, &st,
						      PENDING_LAST_FILE)) -
				    strlen("cancelled\n"),
			    "cancelled\n");
	state_unlock(&st);
	arena_free(&a);
}

/* In another network namespace, with the same run directory and the same
 * interface name: another lock, no pending, no ledger. */
static int other_netns(void *arg)
{
	const char *parent_dir = arg;
	struct arena a;
	struct run_state st;
	struct pending p;
	const char **keys;
	size_t n;
	int rc = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return 10;
	arena_init(&a);
	/* the parent holds meshn's lock: here it is free at once */
	if (state_lock_existing(&a, "meshn", &st) != -ENOENT)
		rc = 11;
	else if (state_lock_wait(&a, "meshn", &st, 1))
		rc = 12;
	else if (!strcmp(st.dir, parent_dir) || !strstr(st.ns, "/netns:"))
		rc = 13;
	else if (pending_find(&a, &st, false, &p) != 0)
		rc = 14;
	else if (sysctl_ledger_needs(&a, &st, &keys, &n) || n)
		rc = 15;
	else if (state_find_document(&a, "/doc.yaml"))
		rc = 16;
	arena_free(&a);
	return rc;
}

static void test_state_is_per_network_namespace(void **state)
{
	struct arena a;
	struct run_state st;
	struct holder h = { .iface = "meshn" };
	struct plan_sysctl need = { "net.ipv4.ip_forward", "0", NULL, { 0 } };
	struct plan_sysctl *restore;
	size_t n;
	pid_t timer;
	struct stat self, init;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshn", &st), 0);
	/* In the host's namespace the state is where the manual says:
	 * MESHC_RUN_DIR/IFACE, no netns: level.  The host's is pid 1's, or,
	 * where pid 1 is hidden (this very sandbox), the one with the fixed
	 * inode of the initial namespace (Linux 6.18). */
	if (stat("/proc/self/ns/net", &self) == 0 &&
	    (stat("/proc/1/ns/net", &init) == 0
		     ? self.st_ino == init.st_ino
		     : self.st_ino == 0xEFFFFFF9U))
		assert_string_equal(st.dir, arena_printf(&a, "%s/meshn", root));
	else
		print_message("not in the host's network namespace: the host "
			      "case is not checked here\n");
	assert_int_equal(state_write(&a, &st, STATE_DOCUMENT_FILE,
				     "/doc.yaml\n"), 0);
	assert_int_equal(sysctl_ledger_set(&a, &st, &need, 1, &restore, &n), 0);
	timer = start_holder(&h);
	assert_int_equal(in_child(other_netns, (void *)st.dir), 0);
	kill(timer, SIGKILL);
	waitpid(timer, NULL, 0);
	assert_int_equal(sysctl_ledger_set(&a, &st, NULL, 0, &restore, &n), 0);
	state_unlock(&st);
	arena_free(&a);
}

/* A symlink planted in the state directory for every file meshc writes
 * there: its target is never written, the symlink is refused or replaced
 * by a file of meshc's own. */
static void test_planted_symlinks_are_never_followed(void **state)
{
	static const char *const written[] = {
		STATE_DOCUMENT_FILE, PENDING_FILE, PENDING_LAST_FILE,
		"nft.mark", "nft.fw", "creating",
	};
	struct arena a;
	struct run_state st;
	struct plan_sysctl need = { "net.ipv4.ip_forward", "0", NULL, { 0 } };
	struct plan_sysctl *restore;
	const char *target, *link;
	const uint8_t *data;
	struct stat sb;
	size_t n;
	int fd;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "meshs", &st), 0);
	state_unlock(&st);
	target = arena_printf(&a, "%s/target", root);
	assert_int_equal(state_file_write(&a, target, "precious\n", 9), 0);

	for (size_t i = 0; i < sizeof(written) / sizeof(*written); i++) {
		link = state_path(&a, &st, written[i]);
		assert_int_equal(symlink(target, link), 0);
		assert_null(state_read(&a, &st, written[i]));
		if (!strcmp(written[i], "creating")) {
			assert_false(state_was_creating(&a, &st));
			assert_int_equal(state_mark_creating(&a, &st, true), 0);
		} else if (!strcmp(written[i], PENDING_FILE)) {
			fd = pending_create(&a, &st, 0, "b");
			assert_true(fd >= 0);
			close(fd);
		} else {
			assert_int_equal(state_write(&a, &st, written[i], "x"), 0);
		}
		assert_int_equal(lstat(link, &sb), 0);
		assert_true(S_ISREG(sb.st_mode));
		unlink(link);
	}
	/* the log: the symlink goes, a file of meshc's comes */
	link = state_path(&a, &st, "confirm.log");
	assert_int_equal(symlink(target, link), 0);
	fd = state_open_log(&a, &st, "confirm.log");
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "log\n", 4), 4);
	close(fd);
	assert_int_equal(lstat(link, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));

	/* the ledger: refused, not taken as empty */
	link = arena_printf(&a, "%s/:sysctl", st.ns);
	assert_int_equal(symlink(target, link), 0);
	assert_int_not_equal(sysctl_ledger_set(&a, &st, &need, 1, &restore, &n),
			     0);
	unlink(link);
	/* the locks: refused */
	link = arena_printf(&a, "%s/:lock", st.ns);
	unlink(link);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(state_ns_lock(&a, st.ns), -ELOOP);
	unlink(link);
	link = state_path(&a, &st, "lock");
	unlink(link);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(state_lock(&a, "meshs", &st), -ELOOP);
	unlink(link);
	/* temporaries are never reused: a planted one is left alone */
	assert_int_equal(state_file_read(&a, target, 100, &data, &n), 0);
	assert_int_equal(n, 9);
	assert_memory_equal(data, "precious\n", 9);
	arena_free(&a);
}

/* Directories meshc refuses: writable by others, another owner, a
 * symlink, not a directory; for the run directory (MESHC_RUN_DIR), the
 * namespace's and the interface's. */
static void test_unsafe_directories_are_refused(void **state)
{
	struct arena a;
	struct run_state st;
	const char *dir, *other;

	(void)state;
	arena_init(&a);
	assert_int_equal(state_lock(&a, "mesht", &st), 0);
	state_unlock(&st);

	dir = st.dir;
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(state_lock(&a, "mesht", &st), -EPERM);
	assert_int_equal(state_open(&a, "mesht", &st), -EPERM);
	assert_int_not_equal(state_lock_existing(&a, "mesht", &st), 0);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(state_lock(&a, "mesht", &st), -EPERM);
	assert_int_equal(chown(dir, 0, 0), 0);
	assert_int_equal(state_lock(&a, "mesht", &st), 0);
	state_unlock(&st);

	assert_int_equal(chmod(root, 0757), 0);
	assert_int_equal(state_lock(&a, "mesht", &st), -EPERM);
	assert_int_equal(chmod(root, 0700), 0);
	assert_int_equal(chown(root, 65534, 0), 0);
	assert_int_equal(state_lock(&a, "mesht", &st), -EPERM);
	assert_null(state_find_document(&a, "/doc.yaml"));
	assert_int_equal(chown(root, 0, 0), 0);

	/* MESHC_RUN_DIR: a symlink to a good directory, a file */
	other = arena_printf(&a, "%s/link", root);
	assert_int_equal(symlink(root, other), 0);
	setenv("MESHC_RUN_DIR", other, 1);
	assert_int_equal(state_lock(&a, "mesht", &st), -ELOOP);
	other = arena_printf(&a, "%s/target", root);
	assert_int_equal(state_file_write(&a, other, "x", 1), 0);
	setenv("MESHC_RUN_DIR", other, 1);
	assert_true(state_lock(&a, "mesht", &st) < 0);
	setenv("MESHC_RUN_DIR", root, 1);
	arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock_creates_private_directory_per_interface),
		cmocka_unit_test(test_lock_is_exclusive_across_processes),
		cmocka_unit_test(test_document_record_finds_its_interface),
		cmocka_unit_test(test_sysctl_ledger_restores_after_the_last_interface),
		cmocka_unit_test(test_large_sysctl_ledger_is_read_whole),
		cmocka_unit_test(test_sysctl_ledger_takes_over_saved_values),
		cmocka_unit_test(test_pending_identity_is_the_held_lock),
		cmocka_unit_test(test_pending_cancel_takes_the_name),
		cmocka_unit_test(test_state_is_per_network_namespace),
		cmocka_unit_test(test_planted_symlinks_are_never_followed),
		cmocka_unit_test(test_unsafe_directories_are_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
