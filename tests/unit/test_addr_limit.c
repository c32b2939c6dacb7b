/* Per-address bounds (core/addr_limit.c): exact counts that no other
 * address can disturb, and token buckets per address. */
#include <arpa/inet.h>

#include "core_fixture.h"
#include "addr_limit.h"

static pxh_addr_key ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return pxh_addr_key_v4(a.s_addr);
}

/* An IPv6 peer as accept()/recvmsg() give it (SCOPE: its interface). */
static pxh_addr_key ip6(const char *s, unsigned scope)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_scope_id = scope};

	assert_int_equal(inet_pton(AF_INET6, s, &a.sin6_addr), 1);
	return pxh_addr_key_of((struct sockaddr *)&a);
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
		assert_int_equal(pxh_addr_count_add(&c, pxh_addr_key_v4(htonl(0x0b000000u + i))), 0);
	assert_int_equal(pxh_addr_count_get(&c, ip("10.0.0.1")), 3);
	assert_int_equal(pxh_addr_count_get(&c, ip("11.0.0.7")), 1);
	for (uint32_t i = 0; i < 5000; i++)
		pxh_addr_count_del(&c, pxh_addr_key_v4(htonl(0x0b000000u + i)));
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

/* IPv6: counted per whole address (a boot LAN is one /64: its machines
 * do not share one share), v4-mapped as IPv4, link-local per interface. */
static void test_v6_keys(void **st)
{
	struct pxh_addr_count c;
	static struct pxh_addr_rate r;
	struct sockaddr_in v4 = {.sin_family = AF_INET};

	memset(&c, 0, sizeof(c));
	assert_int_equal(pxh_addr_count_add(&c, ip6("2001:db8::5", 0)), 0);
	assert_int_equal(pxh_addr_count_add(&c, ip6("2001:db8::5", 0)), 0);
	assert_int_equal(pxh_addr_count_get(&c, ip6("2001:db8::5", 0)), 2);
	assert_int_equal(pxh_addr_count_get(&c, ip6("2001:db8::6", 0)), 0);
	assert_int_equal(pxh_addr_count_get(&c, ip6("2001:db8:0:1::5", 0)), 0);
	/* the IPv4 client 10.0.0.5 and ::ffff:10.0.0.5 are one */
	assert_int_equal(pxh_addr_count_add(&c, ip("10.0.0.5")), 0);
	assert_int_equal(pxh_addr_count_get(&c, ip6("::ffff:10.0.0.5", 0)), 1);
	inet_pton(AF_INET, "10.0.0.5", &v4.sin_addr);
	assert_int_equal(pxh_addr_count_get(&c, pxh_addr_key_of((struct sockaddr *)&v4)), 1);
	/* but not the IPv6 address ::a00:5 (same low bits) */
	assert_int_equal(pxh_addr_count_get(&c, ip6("::a00:5", 0)), 0);
	/* fe80::1 on two links: two machines */
	assert_int_equal(pxh_addr_count_add(&c, ip6("fe80::1", 2)), 0);
	assert_int_equal(pxh_addr_count_get(&c, ip6("fe80::1", 2)), 1);
	assert_int_equal(pxh_addr_count_get(&c, ip6("fe80::1", 3)), 0);
	pxh_addr_count_del(&c, ip6("2001:db8::5", 0));
	assert_int_equal(pxh_addr_count_get(&c, ip6("2001:db8::5", 0)), 1);
	pxh_addr_count_free(&c);

	pxh_addr_rate_set(&r, 1, 2);
	assert_true(pxh_addr_rate_take(&r, ip6("2001:db8::5", 0), 10.0));
	assert_true(pxh_addr_rate_take(&r, ip6("2001:db8::5", 0), 10.0));
	assert_false(pxh_addr_rate_take(&r, ip6("2001:db8::5", 0), 10.0));
	assert_true(pxh_addr_rate_take(&r, ip6("2001:db8::7", 0), 10.0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_v6_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
