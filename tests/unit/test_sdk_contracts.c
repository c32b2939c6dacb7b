/* The SDK contracts plugin.h writes down: pxh_answer_add_option's
 * distinct refusals, errno from pxh_timer_start and pxh_io_watch. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "answer.h"

static void test_add_option_refusals(void **state)
{
	struct pxh_answer a;
	pxh_client c = {.struct_size = sizeof(c), .mac = "52:54:00:00:00:01"};
	static uint8_t big[PXH_ANSWER_OPTION_MAX + 1];
	const uint8_t url[] = "http://10.0.0.1/wpad.dat";

	pxh_answer_init(&a, NULL, &c);
	assert_int_equal(pxh_answer_add_option(&a, 0, url, 1), -EINVAL);
	assert_int_equal(pxh_answer_add_option(&a, 255, url, 1), -EINVAL);
	assert_int_equal(pxh_answer_add_option(&a, 252, NULL, 4), -EINVAL);
	assert_int_equal(pxh_answer_add_option(&a, 53, url, 1), -EPERM);
	assert_int_equal(pxh_answer_add_option(&a, 54, url, 4), -EPERM);
	assert_int_equal(pxh_answer_add_option(&a, 82, url, 4), -EPERM);
	assert_int_equal(pxh_answer_add_option(&a, 43, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(a.n_opts, 0);
	/* what is allowed: up to the maximum, and an empty option */
	assert_int_equal(pxh_answer_add_option(&a, 252, url, sizeof(url) - 1), 0);
	assert_int_equal(pxh_answer_add_option(&a, 43, big, PXH_ANSWER_OPTION_MAX), 0);
	assert_int_equal(pxh_answer_add_option(&a, 80, NULL, 0), 0);
	assert_int_equal(a.n_opts, 3);
	assert_int_equal(a.opts[0].code, 252);
	assert_memory_equal(a.opts[0].data, url, sizeof(url) - 1);
	pxh_answer_clear(&a);
}

static void cb_timer(void *ud)
{
}

static void cb_io(void *ud, int fd, int revents)
{
}

static void test_watch_errno(void **state)
{
	errno = 0;
	assert_null(pxh_timer_start(NULL, 1, 0, cb_timer, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(pxh_io_watch(NULL, -1, PXH_IO_READ, cb_io, NULL));
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_null(pxh_io_watch(NULL, 0, PXH_IO_READ, cb_io, NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(pxh_child_watch(NULL, 0, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_option_refusals),
		cmocka_unit_test(test_watch_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
