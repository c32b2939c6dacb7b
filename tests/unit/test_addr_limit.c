/* Per-address bounds (core/addr_limit.c): exact counts that no other
 * address can disturb, and token buckets per address. */
#include <arpa/inet.h>

#include "core_fixture.h"
#include "addr_limit.h"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_counts(void **st)
{
	struct pxh_addr_count c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(pxh_addr_count_get(&c, ip("10.0.0.1")), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pxh_addr_count_add(&c, ip("10.0.0.1")), 0);
	/* many others, some in the same buckets: the first keeps its count */
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(pxh_addr_count_add(&c, htonl(0x0b000000u + i)), 0);
	assert_int_equal(pxh_addr_count_get(&c, ip("10.0.0.1")), 3);
	assert_int_equal(pxh_addr_count_get(&c, ip("11.0.0.7")), 1);
	for (uint32_t i = 0; i < 5000; i++)
		pxh_addr_count_del(&c, htonl(0x0b000000u + i));
	assert_int_equal(pxh_addr_count_get(&c, ip("11.0.0.7")), 0);
	pxh_addr_count_del(&c, ip("10.0.0.1"));
	assert_int_equal(pxh_addr_count_get(&c, ip("10.0.0.1")), 2);
	pxh_addr_count_del(&c, ip("10.9.9.9")); /* never added: no effect */
	pxh_addr_count_del(&c, ip("10.0.0.1"));
	pxh_addr_count_del(&c, ip("10.0.0.1"));
	assert_int_equal(pxh_addr_count_get(&c, ip("10.0.0.1")), 0);
	pxh_addr_count_del(&c, ip("10.0.0.1")); /* not below zero */
	assert_int_equal(pxh_addr_count_get(&c, ip("10.0.0.1")), 0);
	pxh_addr_count_free(&c);
}

static void test_rates(void **st)
{
	static struct pxh_addr_rate r;
	int n = 0;

	pxh_addr_rate_set(&r, 5, 10);
	for (int i = 0; i < 20; i++)
		n += pxh_addr_rate_take(&r, ip("10.0.0.1"), 100.0);
	assert_int_equal(n, 10); /* the burst, then nothing at the same instant */
	assert_true(pxh_addr_rate_take(&r, ip("10.0.0.2"), 100.0)); /* its own bucket */
	assert_false(pxh_addr_rate_take(&r, ip("10.0.0.1"), 100.1));
	assert_true(pxh_addr_rate_take(&r, ip("10.0.0.1"), 100.2)); /* 5/s refill */
	pxh_addr_rate_set(&r, 0, 0); /* 0 = no limit */
	for (int i = 0; i < 100; i++)
		assert_true(pxh_addr_rate_take(&r, ip("10.0.0.1"), 100.2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
