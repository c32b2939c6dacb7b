/* Unit tests of the GRUB renderer: quoting with hostile values, the
 * answers of docs/answer-format.md as GRUB script, what GRUB cannot run. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"
#include "../fuzz/grub_lex.h"
#include "answer.h"
#include "conf.h"
#include "server.h"

static struct pxh_server srv;
static pxh_client client;
static struct gl_script lx;

static int setup(void **state)
{
	struct pxh_conf_errors errs = {0};

	memset(&srv, 0, sizeof(srv));
	srv.conf = pxh_conf_load("test.conf", "[http]\nport = 80\n[plugins]\nconf_dir =\n",
	                         &errs);
	assert_non_null(srv.conf);
	assert_int_equal(errs.n, 0);
	pxh_conf_errors_free(&errs);
	memset(&client, 0, sizeof(client));
	client.struct_size = sizeof(client);
	client.phase = PXH_PHASE_IPXE;
	snprintf(client.user_class, sizeof(client.user_class), "GRUB");
	snprintf(client.server_ip, sizeof(client.server_ip), "10.0.0.1");
	client.is_http_boot = 1; /* this GRUB has HTTP */
	return 0;
}

static int teardown(void **state)
{
	pxh_conf_free(srv.conf);
	return 0;
}

/* The script's skeleton as the independent tokenizer reads it. */
static void skeleton_is(const char *script, const char *want)
{
	char sk[4096];

	gl_lex(script, &lx);
	assert_int_equal(lx.error, 0);
	gl_skeleton(&lx, sk, sizeof(sk));
	if (strcmp(sk, want))
		fail_msg("skeleton\n%s\nwanted\n%s\nscript\n%s", sk, want, script);
}

static void test_quote(void **state)
{
	char out[64];

	assert_int_equal(pxh_grub_quote(out, sizeof(out), "plain"), 7);
	assert_string_equal(out, "'plain'");
	assert_true(pxh_grub_quote(out, sizeof(out), "x'; reboot; '") > 0);
	assert_string_equal(out, "'x'\\''; reboot; '\\'''");
	assert_true(pxh_grub_quote(out, sizeof(out), "a\nb\r\t$x{}\\") > 0);
	assert_string_equal(out, "'a b  $x{}\\'");
	assert_true(pxh_grub_quote(out, sizeof(out), "") > 0);
	assert_string_equal(out, "''");
	/* too small: nothing half-quoted */
	assert_int_equal(pxh_grub_quote(out, 6, "abcdef"), -E2BIG);
	assert_string_equal(out, "");
	assert_int_equal(pxh_grub_quote(out, 8, "ab'c"), -E2BIG);
	assert_string_equal(out, "");
	/* read back by the tokenizer: one word, the value unchanged */
	assert_true(pxh_grub_quote(out, sizeof(out), "x'; reboot; '$y") > 0);
	gl_lex(out, &lx);
	assert_int_equal(lx.error, 0);
	assert_int_equal(lx.n, 1);
	assert_string_equal(lx.w[0].shape, "\1");
	assert_string_equal(lx.w[0].value[0], "x'; reboot; '$y");
	gl_free(&lx);
}

static void test_kernel(void **state)
{
	struct pxh_answer a;

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_kernel(&a, "/files/debian/linux", "/files/debian/initrd.gz",
	                                   "auto=true priority=critical"), 0);
	assert_null(a.unrendered);
	assert_string_equal(a.script,
		"#!grub\n"
		"if linux '(http,10.0.0.1)/files/debian/linux' 'auto=true' 'priority=critical'; then\n"
		"  if initrd '(http,10.0.0.1)/files/debian/initrd.gz'; then\n"
		"    boot\n  fi\nfi\n"
		"echo 'pxehub: boot failed, back to the firmware in 10 s'\nsleep 10\nexit\n");
	pxh_answer_clear(&a);

	/* hostile command line: every word stays one quoted word */
	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_kernel(&a, "http://10.0.0.9:8080/k", NULL,
	                                   "serial=x'; reboot; ' $(id) ${x} {a} \\\\ #c\nreboot ; ||"), 0);
	skeleton_is(a.script, "NL if linux \1 \1 \1 \1 \1 \1 \1 \1 \1 \1 \1 \1 ; then NL boot NL fi NL "
	                      "echo \1 NL sleep 10 NL exit NL");
	assert_string_equal(lx.w[3].value[0], "(http,10.0.0.9:8080)/k");
	assert_string_equal(lx.w[4].value[0], "serial=x';");
	assert_string_equal(lx.w[5].value[0], "reboot;");
	assert_string_equal(lx.w[6].value[0], "'");
	assert_string_equal(lx.w[7].value[0], "$(id)");
	assert_string_equal(lx.w[8].value[0], "${x}");
	assert_string_equal(lx.w[10].value[0], "\\\\");
	assert_string_equal(lx.w[11].value[0], "#c");
	gl_free(&lx);
	pxh_answer_clear(&a);

	/* a GRUB without HTTP (Debian's signed images): /tftp/ paths over
	 * TFTP, nothing from the HTTP root */
	{
		pxh_client nohttp = client;

		nohttp.is_http_boot = 0;
		pxh_answer_init(&a, &srv, &nohttp);
		assert_int_equal(pxh_script_kernel(&a, "/tftp/di/linux", "/tftp/di/initrd.gz", "x"), 0);
		assert_null(a.unrendered);
		assert_non_null(strstr(a.script, "if linux '(tftp,10.0.0.1)/di/linux' 'x'; then\n"));
		assert_non_null(strstr(a.script, "  if initrd '(tftp,10.0.0.1)/di/initrd.gz'; then\n"));
		pxh_answer_clear(&a);
		pxh_answer_init(&a, &srv, &nohttp);
		assert_int_equal(pxh_script_kernel(&a, "/files/linux", NULL, NULL), 0);
		assert_non_null(a.unrendered);
		assert_non_null(strstr(a.unrendered, "/tftp/PATH"));
		pxh_answer_clear(&a);
		pxh_answer_init(&a, &srv, &nohttp);
		assert_int_equal(pxh_script_kernel(&a, "http://h/linux", NULL, NULL), 0);
		assert_non_null(a.unrendered);
		pxh_answer_clear(&a);
	}
	/* with HTTP, /tftp/ paths come over HTTP too (pxehub serves them) */
	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_kernel(&a, "/tftp/di/linux", NULL, NULL), 0);
	assert_non_null(strstr(a.script, "if linux '(http,10.0.0.1)/tftp/di/linux'; then\n"));
	pxh_answer_clear(&a);

	/* TFTP when asked for; https is beyond GRUB */
	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_kernel(&a, "tftp://10.0.0.2/vmlinuz", NULL, NULL), 0);
	assert_non_null(strstr(a.script, "if linux '(tftp,10.0.0.2)/vmlinuz'; then\n"));
	pxh_answer_clear(&a);
	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_kernel(&a, "https://x/vmlinuz", NULL, NULL), 0);
	assert_non_null(a.unrendered);
	assert_non_null(strstr(a.unrendered, "https://x/vmlinuz"));
	pxh_answer_clear(&a);
}

static void test_chain_exit_wimboot(void **state)
{
	struct pxh_answer a;
	pxh_wimboot w = {.struct_size = sizeof(w), .boot_wim = "/files/boot.wim"};

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_chain(&a, "/files/shimx64.efi?x=1"), 0);
	assert_null(a.unrendered);
	assert_non_null(strstr(a.script, "if chainloader '(http,10.0.0.1)/files/shimx64.efi?x=1'; then\n  boot\nfi\n"));
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_chain(&a, "http://other/grub/x.cfg"), 0);
	assert_non_null(strstr(a.script, "configfile '(http,other)/grub/x.cfg'\n"));
	pxh_answer_clear(&a);

	/* an iPXE script URL: GRUB cannot follow it */
	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_chain(&a, "http://upstream/boot.ipxe?mac=1"), 0);
	assert_non_null(a.unrendered);
	assert_non_null(strstr(a.unrendered, "GRUB runs only EFI binaries"));
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_exit(&a), 0);
	assert_string_equal(a.script, "#!grub\nexit\n");
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_wimboot(&a, &w), 0);
	assert_non_null(a.unrendered);
	assert_non_null(strstr(a.unrendered, "wimboot"));
	pxh_answer_clear(&a);
}

static void test_menu(void **state)
{
	struct pxh_answer a;

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_menu_begin(&a, "Lab'; reboot; '", 2500, "disk'x"), 0);
	assert_int_equal(pxh_script_menu_item(&a, "disk'x", "Disk }\nreboot\n{", "#!grub\nexit\n"), 0);
	/* an iPXE item has no place in a GRUB menu */
	assert_int_equal(pxh_script_menu_item(&a, "ipxe", "iPXE", "chain http://x/y\n"), 0);
	assert_int_equal(pxh_script_menu_end(&a), 0);
	assert_null(a.unrendered);
	skeleton_is(a.script, "NL set timeout_style=menu NL set timeout=3 NL set default=\1 NL "
	                      "echo \1 NL menuentry \1 --id \1 { NL exit NL } NL");
	assert_string_equal(lx.w[8].value[0], "disk'x");
	assert_string_equal(lx.w[11].value[0], "Lab'; reboot; '");
	assert_string_equal(lx.w[14].value[0], "Disk } reboot {");
	assert_string_equal(lx.w[16].value[0], "disk'x");
	gl_free(&lx);
	pxh_answer_clear(&a);

	/* no item GRUB can run: the answer cannot be served */
	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_menu_begin(&a, NULL, 0, NULL), 0);
	assert_non_null(strstr(a.script, "set timeout=-1\n"));
	assert_int_equal(pxh_script_menu_item(&a, "x", "X", "exit\n"), 0);
	assert_int_equal(pxh_script_menu_end(&a), 0);
	assert_non_null(a.unrendered);
	pxh_answer_clear(&a);
}

/* script_exec's and referral's JSON answers come out as GRUB for a GRUB
 * client, from the same text that gives iPXE script to iPXE. */
static void test_answer_json(void **state)
{
	static const char kernel[] =
		"{\"kernel\": {\"kernel\": \"/files/vmlinuz\", \"initrd\": \"/files/initrd.gz\","
		" \"cmdline\": \"console=ttyS0 pxh_marker=42\"}}";
	static const char menu[] =
		"{\"menu\": {\"title\": \"Lab\", \"timeout\": 5000, \"default\": \"inst\", \"items\": ["
		"{\"id\": \"inst\", \"label\": \"Install\", \"kernel\": {\"kernel\": \"/files/vmlinuz\","
		" \"cmdline\": \"auto\"}},"
		"{\"id\": \"win\", \"label\": \"WinPE\", \"wimboot\": {\"boot_wim\": \"/files/boot.wim\"}},"
		"{\"id\": \"sh\", \"label\": \"Shell\", \"shell\": true},"
		"{\"id\": \"disk\", \"label\": \"Disk\", \"local\": true}]}}";
	struct pxh_answer a;
	pxh_client ipxe = client;
	char why[200];
	long ttl;

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_answer_parse(PXH_PHASE_IPXE, kernel, strlen(kernel), &a, &ttl,
	                                  why, sizeof(why)), PXH_BOOT);
	assert_null(a.unrendered);
	assert_non_null(strstr(a.script, "if linux '(http,10.0.0.1)/files/vmlinuz' 'console=ttyS0' 'pxh_marker=42'; then\n"));
	assert_non_null(strstr(a.script, "  if initrd '(http,10.0.0.1)/files/initrd.gz'; then\n"));
	pxh_answer_clear(&a);

	/* the same text for iPXE */
	ipxe.is_ipxe = 1;
	snprintf(ipxe.user_class, sizeof(ipxe.user_class), "iPXE");
	pxh_answer_init(&a, &srv, &ipxe);
	assert_int_equal(pxh_answer_parse(PXH_PHASE_IPXE, kernel, strlen(kernel), &a, &ttl,
	                                  why, sizeof(why)), PXH_BOOT);
	assert_memory_equal(a.script, "#!ipxe\n", 7);
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_answer_parse(PXH_PHASE_IPXE, menu, strlen(menu), &a, &ttl,
	                                  why, sizeof(why)), PXH_BOOT);
	assert_null(a.unrendered);
	skeleton_is(a.script,
	            "NL set timeout_style=menu NL set timeout=5 NL set default=\1 NL echo \1 NL "
	            "menuentry \1 --id \1 { NL if linux \1 \1 ; then NL boot NL fi NL "
	            "echo \1 NL sleep 5 NL } NL "
	            "menuentry \1 --id \1 { NL exit NL } NL");
	gl_free(&lx);
	/* the items GRUB cannot run are left out, and the reason says so */
	assert_non_null(a.reason);
	pxh_answer_clear(&a);

	/* raw scripts: "#!grub" is GRUB's, kept as it is */
	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_answer_parse(PXH_PHASE_IPXE, "#!grub\necho hi\n", 15, &a, &ttl,
	                                  why, sizeof(why)), PXH_BOOT);
	assert_string_equal(a.script, "#!grub\necho hi\n");
	pxh_answer_clear(&a);
}

static void test_boot_program(void **state)
{
	pxh_client c = client;

	assert_int_equal(pxh_client_boot_program(&c), PXH_BOOT_PROGRAM_GRUB);
	assert_string_equal(pxh_boot_program_name(PXH_BOOT_PROGRAM_GRUB), "grub");
	/* a DHCP option 77 "GRUB" makes nothing GRUB */
	c.phase = PXH_PHASE_DHCP;
	assert_int_equal(pxh_client_boot_program(&c), PXH_BOOT_PROGRAM_NONE);
	c.is_ipxe = 1;
	assert_int_equal(pxh_client_boot_program(&c), PXH_BOOT_PROGRAM_IPXE);
	assert_int_equal(pxh_client_boot_program(NULL), PXH_BOOT_PROGRAM_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_kernel),
		cmocka_unit_test(test_chain_exit_wimboot),
		cmocka_unit_test(test_menu),
		cmocka_unit_test(test_answer_json),
		cmocka_unit_test(test_boot_program),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
