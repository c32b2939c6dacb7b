/* [server] listen items (core/listen_addr.c): IPv4, IPv6, link-local with
 * its zone, bracketed literals, interface names, and what is refused. */
#include <arpa/inet.h>
#include <errno.h>

#include "core_fixture.h"
#include "listen_addr.h"

static void test_forms(void **st)
{
	struct pxh_listen_item it;
	char why[256], text[80];

	assert_int_equal(pxh_listen_parse("10.0.0.1", true, &it, why, sizeof(why)), 0);
	assert_int_equal(it.kind, PXH_LISTEN_ADDR);
	assert_int_equal(it.a.sa.sa_family, AF_INET);
	assert_int_equal(pxh_listen_parse("2001:db8::1", true, &it, why, sizeof(why)), 0);
	assert_int_equal(it.a.sa.sa_family, AF_INET6);
	assert_int_equal(it.a.in6.sin6_scope_id, 0);
	pxh_sockaddr_text(&it.a, text, sizeof(text));
	assert_string_equal(text, "2001:db8::1");
	assert_int_equal(pxh_listen_parse("[2001:db8::2]", true, &it, why, sizeof(why)), 0);
	pxh_sockaddr_ip(&it.a, text, sizeof(text));
	assert_string_equal(text, "2001:db8::2");
	/* link-local: the zone is the interface, as a scope id */
	assert_int_equal(pxh_listen_parse("fe80::1%lo", true, &it, why, sizeof(why)), 0);
	assert_int_equal(it.a.in6.sin6_scope_id, if_nametoindex("lo"));
	assert_string_equal(it.iface, "lo");
	pxh_sockaddr_text(&it.a, text, sizeof(text));
	assert_string_equal(text, "fe80::1%lo");
	pxh_sockaddr_ip(&it.a, text, sizeof(text));
	assert_string_equal(text, "fe80::1");
	assert_int_equal(pxh_listen_parse("lo", true, &it, why, sizeof(why)), 0);
	assert_int_equal(it.kind, PXH_LISTEN_IFACE);
	assert_string_equal(it.iface, "lo");
	/* not checked against the machine (pxehubd -t) */
	assert_int_equal(pxh_listen_parse("eth9", false, &it, why, sizeof(why)), 0);
	assert_int_equal(pxh_listen_parse("fe80::1%eth9", false, &it, why, sizeof(why)), 0);
}

static void test_refused(void **st)
{
	static const char *const bad[] = {
		"", "fe80::1", "fe80::1%", "2001:db8::1%lo", "2001:db8:::1",
		"[lo]", "a/b", "fe80::1%a/b", "waytoolonginterfacename0",
		"10.0.0.256", "1.2.3", "[2001:db8::1", "2001:db8::1]",
	};
	struct pxh_listen_item it;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pxh_listen_parse(bad[i], false, &it, why, sizeof(why)) == 0)
			fail_msg("'%s' taken", bad[i]);
	assert_int_equal(pxh_listen_parse("fe80::1", false, &it, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "fe80::1%eth0"));
	assert_int_equal(pxh_listen_parse("nosuchif0", true, &it, why, sizeof(why)), -ENODEV);
	assert_int_equal(pxh_listen_parse("fe80::1%nosuchif0", true, &it, why, sizeof(why)), -ENODEV);
}

/* pxehubd -t: FILE:LINE of the listen key */
static void test_conf_check(void **st)
{
	struct pxh_conf_errors e = {0};
	struct pxh_conf *conf = pxh_conf_load("/etc/y.conf",
	                                      "[server]\n\nlisten = lo, fe80::5\n[access]\nallow = all\n", &e);

	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "/etc/y.conf:3"));
	assert_non_null(strstr(e.msg[0], "link-local"));
	pxh_conf_free(conf);
	pxh_conf_errors_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_conf_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
