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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
