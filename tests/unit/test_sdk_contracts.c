/* The SDK contracts plugin.h writes down: pxh_answer_add_option's
 * distinct refusals, errno from pxh_timer_start and pxh_io_watch,
 * pxh_client_option's ring. */
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

/* pxh_client_option: one piece points into the request; a concatenated
 * option (RFC 3396) lives in a 4-slot per-thread ring. */
static void test_client_option_ring(void **state)
{
	static uint8_t pkt[300];
	const uint8_t *p[5];
	size_t len = 0, n = 240;
	pxh_client c = {.struct_size = sizeof(c)};

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 1;  /* BOOTREQUEST */
	pkt[236] = 0x63, pkt[237] = 0x82, pkt[238] = 0x53, pkt[239] = 0x63;
	pkt[n++] = 53, pkt[n++] = 1, pkt[n++] = 1;
	pkt[n++] = 60, pkt[n++] = 3, pkt[n++] = 'P', pkt[n++] = 'X', pkt[n++] = 'E';
	pkt[n++] = 43, pkt[n++] = 2, pkt[n++] = 'a', pkt[n++] = 'b';
	pkt[n++] = 43, pkt[n++] = 2, pkt[n++] = 'c', pkt[n++] = 'd';
	pkt[n++] = 255;
	c.raw = pkt;
	c.raw_len = n;
	p[0] = pxh_client_option(&c, 60, &len);
	assert_int_equal(len, 3);
	assert_ptr_equal(p[0], pkt + 245); /* in the request itself */
	for (int i = 0; i < 5; i++) {
		p[i] = pxh_client_option(&c, 43, &len);
		assert_int_equal(len, 4);
		assert_memory_equal(p[i], "abcd", 4);
	}
	/* four results stay valid together; the fifth reuses the first slot */
	for (int i = 1; i < 4; i++)
		assert_ptr_not_equal(p[i], p[0]);
	assert_ptr_equal(p[4], p[0]);
	assert_null(pxh_client_option(&c, 77, &len));
	c.raw = NULL; /* not the DHCP phase */
	assert_null(pxh_client_option(&c, 60, &len));
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
		cmocka_unit_test(test_client_option_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
