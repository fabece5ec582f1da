/* test_signals.c - src/apply/signals.c: SIGINT, SIGTERM and SIGHUP held
 * while the system is between two states, then seen, taken or delivered. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apply/internal.h"

static void test_held_signal_waits_and_is_taken(void **state)
{
	sigset_t old, now;

	(void)state;
	signals_hold(&old);
	assert_int_equal(signals_pending(), 0);
	/* without the hold this would end the test program */
	raise(SIGTERM);
	assert_int_equal(signals_pending(), SIGTERM);
	/* pending stays pending: converge checks it at every step */
	assert_int_equal(signals_pending(), SIGTERM);
	assert_string_equal(signals_name(SIGTERM), "SIGTERM");
	assert_int_equal(signals_take(), SIGTERM);
	assert_int_equal(signals_pending(), 0);
	signals_restore(&old);
	sigprocmask(SIG_SETMASK, NULL, &now);
	assert_false(sigismember(&now, SIGTERM));
	assert_false(sigismember(&now, SIGINT));
	assert_false(sigismember(&now, SIGHUP));
}

/* Under nohup SIGHUP is ignored: held, it must not count as a request to
 * stop (Linux keeps a blocked ignored signal pending). */
static void test_ignored_signal_is_no_request(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, was;
	struct sigaction dfl = { .sa_handler = SIG_DFL }, int_was;
	sigset_t old;

	(void)state;
	sigaction(SIGHUP, &ign, &was);
	/* a shell starts background jobs with SIGINT ignored: the test
	 * needs it at its default, whoever runs it */
	sigaction(SIGINT, &dfl, &int_was);
	signals_hold(&old);
	raise(SIGHUP);
	assert_int_equal(signals_pending(), 0);
	raise(SIGINT);
	assert_int_equal(signals_pending(), SIGINT);
	assert_int_equal(signals_take(), SIGINT);
	signals_restore(&old);
	sigaction(SIGHUP, &was, NULL);
	sigaction(SIGINT, &int_was, NULL);
}

/* A signal left pending when the hold ends takes its default action
 * then: the process ends by it (in a child). */
static void test_restore_delivers_what_was_not_taken(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t old;

		signal(SIGTERM, SIG_DFL);
		signals_hold(&old);
		raise(SIGTERM);
		signals_restore(&old);
		_exit(0);	/* not reached */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_signal_waits_and_is_taken),
		cmocka_unit_test(test_ignored_signal_is_no_request),
		cmocka_unit_test(test_restore_delivers_what_was_not_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
