/* Unit tests: the DHCP side of classic WinPE boot (issue 14): a plugin's
 * "classic boot" answer (Windows boot program as loader, BCD path in
 * option 252) reaches the reply, also for clients running iPXE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp/dhcp.h"
#include "answer.h"

static void boot_file_windows_programs(void **st)
{
	pxh_client c;
	char out[256];

	(void)st;
	memset(&c, 0, sizeof(c));
	/* firmware PXE: the loader as answered */
	assert_int_equal(pxh_dhcp_boot_file(&c, "boot/x64/bootmgfw.efi", "10.0.0.1",
	                                    80, out, sizeof(out)), 0);
	assert_string_equal(out, "boot/x64/bootmgfw.efi");
	/* an iPXE client answered a Windows boot program keeps it (no chain
	 * loop: they never load iPXE), any spelling and separator */
	c.is_ipxe = 1;
	static const char *const keep[] = {
		"boot/x86/pxeboot.n12", "Boot\\x86\\PXEBOOT.N12",
		"boot/x64/bootmgfw.efi", "bootmgfw.efi", "Boot/x64/pxeboot.com",
		"boot/x86/bootmgr.exe",
	};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		assert_int_equal(pxh_dhcp_boot_file(&c, keep[i], "10.0.0.1", 80, out,
		                                    sizeof(out)), 0);
		assert_string_equal(out, keep[i]);
	}
	/* anything else still sends iPXE to its script */
	static const char *const script[] = {
		"undionly.kpxe", "ipxe.efi", "boot/x64/bootmgfw.efi.bak",
		"bootmgfw.efi/x", "notbootmgfw.efi",
	};
	for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		assert_int_equal(pxh_dhcp_boot_file(&c, script[i], "10.0.0.1", 80, out,
		                                    sizeof(out)), 0);
		assert_string_equal(out, "http://10.0.0.1/boot.ipxe");
	}
}

/* script_exec's classic-boot JSON through the shared answer parser: the
 * loader and option 252 come out as the DHCP reply's pieces */
static void classic_answer_parse(void **st)
{
	static const char json[] =
		"{\"action\":\"boot\",\"loader\":\"boot/x64/bootmgfw.efi\","
		"\"options\":[{\"code\":252,\"text\":\"boot\\\\x64\\\\bcd\"}]}";
	pxh_answer a;
	char why[200];
	long ttl;
	int v;

	(void)st;
	pxh_answer_init(&a, NULL, NULL);
	v = pxh_answer_parse(PXH_PHASE_DHCP, json, sizeof(json) - 1, &a, &ttl, why,
	                     sizeof(why));
	assert_int_equal(v, PXH_BOOT);
	assert_string_equal(a.loader, "boot/x64/bootmgfw.efi");
	assert_int_equal(a.n_opts, 1);
	assert_int_equal(a.opts[0].code, 252);
	assert_int_equal(a.opts[0].len, strlen("boot\\x64\\bcd"));
	assert_memory_equal(a.opts[0].data, "boot\\x64\\bcd", a.opts[0].len);
	pxh_answer_clear(&a);
	/* a NUL-terminated path, for boot programs that want one: "hex" */
	static const char hex[] =
		"{\"action\":\"boot\",\"loader\":\"boot/x86/pxeboot.n12\","
		"\"options\":[{\"code\":252,\"hex\":\"5c426f6f745c42434400\"}]}";
	pxh_answer_init(&a, NULL, NULL);
	v = pxh_answer_parse(PXH_PHASE_DHCP, hex, sizeof(hex) - 1, &a, &ttl, why,
	                     sizeof(why));
	assert_int_equal(v, PXH_BOOT);
	assert_int_equal(a.opts[0].len, 10);
	assert_memory_equal(a.opts[0].data, "\\Boot\\BCD\0", 10);
	pxh_answer_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(boot_file_windows_programs),
		cmocka_unit_test(classic_answer_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
