/* [access] allow/deny and pxh_client_match: every rule form. */
#include "core_fixture.h"
#include "access.h"
#include "conf.h"
#include "str.h"

static pxh_client mk(const char *mac, const char *arch, const char *relay,
                     const char *server_ip, const char *iface)
{
	pxh_client c;

	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	c.phase = PXH_PHASE_DHCP;
	pxh_strcpy(c.mac, sizeof(c.mac), mac);
	pxh_strcpy(c.arch_name, sizeof(c.arch_name), arch);
	pxh_strcpy(c.relay, sizeof(c.relay), relay);
	pxh_strcpy(c.server_ip, sizeof(c.server_ip), server_ip);
	pxh_strcpy(c.iface, sizeof(c.iface), iface);
	return c;
}

static void test_match_forms(void **st)
{
	pxh_client local = mk("52:54:00:12:34:56", "efi-x64", "", "10.1.0.1", "eth1");
	pxh_client relayed = mk("00:1a:2b:3c:4d:5e", "bios", "10.9.8.1", "10.1.0.1", "eth0");

	assert_true(pxh_client_match(&local, "all"));
	assert_true(pxh_client_match(&local, "52:54:00"));
	assert_true(pxh_client_match(&local, "52-54-00-12"));
	assert_true(pxh_client_match(&local, "525400123456"));
	assert_false(pxh_client_match(&local, "52:54:01"));
	assert_true(pxh_client_match(&local, "efi-x64"));   /* dashed arch names */
	assert_true(pxh_client_match(&local, "EFI-X64"));
	assert_false(pxh_client_match(&local, "efi-arm64"));
	assert_true(pxh_client_match(&relayed, "bios"));
	/* subnets: the relay for relayed clients, else the receiving address */
	assert_true(pxh_client_match(&local, "10.1.0.0/16"));
	assert_false(pxh_client_match(&relayed, "10.1.0.0/16"));
	assert_true(pxh_client_match(&relayed, "10.9.0.0/16"));
	assert_true(pxh_client_match(&relayed, "10.9.8.1"));
	assert_true(pxh_client_match(&local, "if:eth1"));
	assert_false(pxh_client_match(&relayed, "if:eth1"));
	assert_false(pxh_client_match(&local, "10.1.0.0/33"));
	/* a client that shows its address (port 4011, TFTP, HTTP) matches by
	 * it, never by the server's address it reached */
	{
		pxh_client a = local;

		pxh_strcpy(a.ip, sizeof(a.ip), "192.168.5.5");
		assert_false(pxh_client_match(&a, "10.1.0.0/16"));
		assert_true(pxh_client_match(&a, "192.168.5.0/24"));
		a.phase = PXH_PHASE_HTTP;
		a.ip[0] = 0;
		assert_false(pxh_client_match(&a, "10.1.0.0/16"));
	}
	assert_false(pxh_client_match(&local, "nonsense"));
}

/* IPv6 prefixes in every place an IPv4 subnet goes: the client's
 * address, the relay's, and for a broadcast the receiving address. */
static void test_v6_prefixes(void **st)
{
	pxh_client c = mk("52:54:00:12:34:56", "efi-x64", "", "2001:db8:1::1", "eth1");
	pxh_client r = mk("00:1a:2b:3c:4d:5e", "efi-x64", "2001:db8:9::1", "2001:db8:1::1", "eth0");

	pxh_strcpy(c.ip, sizeof(c.ip), "2001:db8:1::5");
	c.phase = PXH_PHASE_TFTP;
	assert_true(pxh_client_match(&c, "2001:db8::/32"));
	assert_true(pxh_client_match(&c, "2001:db8:1::/48"));
	assert_true(pxh_client_match(&c, "2001:db8:1::5"));
	assert_true(pxh_client_match(&c, "2001:db8:1::5/128"));
	assert_false(pxh_client_match(&c, "2001:db8:1::6"));
	assert_false(pxh_client_match(&c, "2001:db9::/32"));
	assert_true(pxh_client_match(&c, "::/0"));
	assert_false(pxh_client_match(&c, "0.0.0.0/0")); /* families never mix */
	assert_false(pxh_client_match(&c, "2001:db8::/129"));
	assert_false(pxh_client_match(&c, "2001:db8::/033"));
	/* a prefix length that ends inside a byte */
	assert_true(pxh_client_match(&c, "2001:db8:0::/45"));
	assert_false(pxh_client_match(&c, "2001:db8:8::/45"));
	/* link-local: matched by address; the zone is the interface's fact */
	pxh_strcpy(c.ip, sizeof(c.ip), "fe80::5054:ff:fe12:3456");
	assert_true(pxh_client_match(&c, "fe80::/10"));
	assert_true(pxh_client_match(&c, "fe80::5054:ff:fe12:3456"));
	assert_false(pxh_client_match(&c, "2001:db8::/32"));
	assert_false(pxh_client_match(&c, "fe80::/10%eth1"));
	/* a dual-stack socket's v4-mapped address is the IPv4 client */
	pxh_strcpy(c.ip, sizeof(c.ip), "::ffff:10.1.2.3");
	assert_true(pxh_client_match(&c, "10.1.0.0/16"));
	assert_false(pxh_client_match(&c, "::ffff:0:0/95"));
	/* relayed: the relay's address */
	assert_true(pxh_client_match(&r, "2001:db8:9::/48"));
	assert_false(pxh_client_match(&r, "2001:db8:1::/48"));
	/* the MAC forms still work; an 8-group IPv6 address is not a MAC */
	assert_true(pxh_client_match(&c, "52:54:00"));
	assert_false(pxh_client_match(&c, "5254:0:0:0:0:0:0:1"));
	assert_true(pxh_addr_in_subnet("2001:db8::/32", "2001:db8::1%eth0"));
	assert_false(pxh_addr_in_subnet("2001:db8::/32", ""));
}

static void test_rule_check(void **st)
{
	static const char *const ok[] = {
		"all", "if:eth0", "52:54:00", "52-54-00-12-34-56", "525400123456",
		"efi-x64", "10.0.0.0/8", "10.0.0.5", "2001:db8::/32", "fe80::/10",
		"::/0", "2001:db8::5", "2001:db8::5/128", "::ffff:10.0.0.0/104",
	};
	static const char *const bad[] = {
		"10.0.0.0/33", "2001:db8::/129", "2001:db8::/", "2001:db8:::/32",
		"fe80::1%eth0", "10.0.0.0/08", "10.0.0.256", "52:54:00:12:34:56:78",
		"2001:db8::/3x", "1.2.3/24",
	};
	char why[300];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (pxh_access_rule_check(ok[i], why, sizeof(why)) != 0)
			fail_msg("'%s' refused: %s", ok[i], why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pxh_access_rule_check(bad[i], why, sizeof(why)) == 0)
			fail_msg("'%s' taken", bad[i]);
}

/* pxehubd -t names the file and line of a bad rule */
static void test_conf_check(void **st)
{
	struct pxh_conf_errors e = {0};
	struct pxh_conf *conf = pxh_conf_load("/etc/x.conf",
	                                      "[access]\nallow = all\n\ndeny = 2001:db8::/200\n", &e);

	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "/etc/x.conf:4"));
	assert_non_null(strstr(e.msg[0], "2001:db8::/200"));
	pxh_conf_free(conf);
	pxh_conf_errors_free(&e);
}

static bool allowed(const char *ini, const pxh_client *c, char *why, size_t len)
{
	struct pxh_conf_errors e = {0};
	struct pxh_conf *conf = pxh_conf_load(NULL, ini, &e);
	bool ok;

	assert_int_equal(e.n, 0);
	ok = pxh_access_allowed(conf, c, why, len);
	pxh_conf_free(conf);
	return ok;
}

static void test_allow_deny(void **st)
{
	pxh_client c = mk("52:54:00:12:34:56", "efi-x64", "", "10.1.0.1", "eth1");
	char why[200];

	assert_false(allowed("[plugins]\nconf_dir =\n", &c, why, sizeof(why)));
	assert_non_null(strstr(why, "allow is empty"));
	assert_true(allowed("[access]\nallow = all\n", &c, why, sizeof(why)));
	assert_true(allowed("[access]\nallow = 00:11:22, efi-x64\n", &c, why, sizeof(why)));
	assert_non_null(strstr(why, "'efi-x64'"));
	assert_false(allowed("[access]\nallow = 00:11:22 bios\n", &c, why, sizeof(why)));
	assert_non_null(strstr(why, "no [access] allow rule matches"));
	assert_false(allowed("[access]\nallow = all\ndeny = 52:54:00:12\n", &c, why, sizeof(why)));
	assert_non_null(strstr(why, "denied by [access] deny rule '52:54:00:12'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_forms),
		cmocka_unit_test(test_allow_deny),
		cmocka_unit_test(test_v6_prefixes),
		cmocka_unit_test(test_rule_check),
		cmocka_unit_test(test_conf_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
