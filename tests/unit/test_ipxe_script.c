/* Unit tests of the SDK's iPXE script helpers and the built-in menu. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"
#include "answer.h"
#include "conf.h"
#include "http/http_module.h"
#include "server.h"

static struct pxh_server srv;
static pxh_client client;

static int setup(void **state)
{
	struct pxh_conf_errors errs = {0};

	memset(&srv, 0, sizeof(srv));
	srv.conf = pxh_conf_load("test.conf",
	                         "[http]\nport = 8080\n"
	                         "[boot]\nmenu_title = Lab ${x} menu\nmenu_timeout = 5s\n"
	                         "[plugins]\nconf_dir =\n",
	                         &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "conf: %s\n", errs.msg[i]);
	assert_non_null(srv.conf);
	assert_int_equal(errs.n, 0);
	pxh_conf_errors_free(&errs);
	memset(&client, 0, sizeof(client));
	client.struct_size = sizeof(client);
	snprintf(client.server_ip, sizeof(client.server_ip), "10.0.0.1");
	return 0;
}

static int teardown(void **state)
{
	pxh_conf_free(srv.conf);
	return 0;
}

/* LINE must be one whole line of the script. */
static void has_line(const struct pxh_answer *a, const char *line)
{
	const char *p = a->script;
	size_t n = strlen(line);

	while (p && (p = strstr(p, line))) {
		if ((p == a->script || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return;
		p += n;
	}
	fail_msg("line \"%s\" not in script:\n%s", line, a->script ? a->script : "(null)");
}

/* Every "goto X" has its ":X" label (by static name). */
static void labels_resolve(const struct pxh_answer *a)
{
	const char *p = a->script;

	while ((p = strstr(p, "goto "))) {
		char label[80], want[84];
		size_t n = strcspn(p + 5, " \n");

		assert_true(n < sizeof(label));
		memcpy(label, p + 5, n);
		label[n] = '\0';
		p += 5 + n;
		if (strchr(label, '$'))
			continue; /* pxh_item_${pxh_sel}: checked per item */
		snprintf(want, sizeof(want), ":%s", label);
		has_line(a, want);
	}
}

static void test_wimboot(void **state)
{
	struct pxh_answer a;
	pxh_wimboot w = {
		.struct_size = sizeof(w),
		.bcd = "/files/boot/x64/BCD",
		.boot_sdi = "/files/boot/boot.sdi",
		.boot_wim = "http://dp.example/boot.wim",
		.extra = {"/files/winpeshl.ini", "/files/x/startnet.cmd startnet.cmd"},
		.gui = 1, .rawbcd = 1, .index = 2,
	};

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_wimboot(&a, &w), 0);
	assert_memory_equal(a.script, "#!ipxe\n", 7);
	has_line(&a, "kernel http://10.0.0.1:8080/files/wimboot gui rawbcd index=2 || goto pxh_fail");
	has_line(&a, "initrd -n BCD http://10.0.0.1:8080/files/boot/x64/BCD BCD || goto pxh_fail");
	has_line(&a, "initrd -n boot.sdi http://10.0.0.1:8080/files/boot/boot.sdi boot.sdi || goto pxh_fail");
	has_line(&a, "initrd -n winpeshl.ini http://10.0.0.1:8080/files/winpeshl.ini winpeshl.ini || goto pxh_fail");
	has_line(&a, "initrd -n startnet.cmd http://10.0.0.1:8080/files/x/startnet.cmd startnet.cmd || goto pxh_fail");
	has_line(&a, "initrd -n boot.wim http://dp.example/boot.wim boot.wim || goto pxh_fail");
	has_line(&a, "boot || goto pxh_fail");
	/* boot.wim goes last */
	assert_true(strstr(a.script, "boot.wim") > strstr(a.script, "startnet.cmd"));
	labels_resolve(&a);
	pxh_answer_clear(&a);

	/* no boot.wim: refused */
	pxh_answer_init(&a, &srv, &client);
	w.boot_wim = NULL;
	assert_int_equal(pxh_script_wimboot(&a, &w), -EINVAL);
	pxh_answer_clear(&a);
}

static void test_kernel_chain_exit(void **state)
{
	struct pxh_answer a;

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_kernel(&a, "/files/debian/linux", "/files/debian/initrd.gz",
	                                   "auto=true\npriority=critical"),
	                 0);
	has_line(&a, "kernel http://10.0.0.1:8080/files/debian/linux auto=true priority=critical initrd=initrd.gz || goto pxh_fail");
	has_line(&a, "initrd -n initrd.gz http://10.0.0.1:8080/files/debian/initrd.gz || goto pxh_fail");
	labels_resolve(&a);
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_kernel(&a, "http://x/vmlinuz", NULL, "initrd=mine quiet"), 0);
	has_line(&a, "kernel http://x/vmlinuz initrd=mine quiet || goto pxh_fail");
	assert_int_equal(pxh_script_kernel(&a, "", NULL, NULL), -EINVAL);
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_chain(&a, "http://upstream/boot.ipxe?mac=${net0/mac}"), 0);
	has_line(&a, "chain http://upstream/boot.ipxe?mac=$ {net0/mac}");
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_exit(&a), 0);
	assert_string_equal(a.script, "#!ipxe\nexit\n");
	pxh_answer_clear(&a);

	/* no server address known: URLs stay relative (iPXE resolves them
	 * against the script's own URL) */
	pxh_answer_init(&a, NULL, NULL);
	assert_int_equal(pxh_script_chain(&a, "/boot.ipxe"), 0);
	has_line(&a, "chain /boot.ipxe");
	pxh_answer_clear(&a);
}

/* Issue 20: a value cannot end the iPXE command and start another: words
 * "||", "&&", ";" and "#..." (a comment) are defused, the rest is kept. */
static void test_hostile_values(void **state)
{
	struct pxh_answer a;

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_kernel(&a, "http://x/k", NULL,
	                                   "serial=A || shell ; chain http://evil && x #c a|b a&b a;b"), 0);
	has_line(&a, "kernel http://x/k serial=A __ shell _ chain http://evil __ x _c a|b a&b a;b || goto pxh_fail");
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_menu_begin(&a, "T\n#x || reboot", 0, NULL), 0);
	assert_int_equal(pxh_script_menu_item(&a, "id", "L ; reboot\n&& shell", "exit\n"), 0);
	has_line(&a, "menu T _x __ reboot");
	has_line(&a, "item id L _ reboot __ shell");
	pxh_answer_clear(&a);

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_chain(&a, "http://h/a.ipxe?x=1\t||\tshell"), 0);
	has_line(&a, "chain http://h/a.ipxe?x=1 __ shell");
	pxh_answer_clear(&a);
}

/* [boot] local_action = sanboot: BIOS clients boot the first disk, UEFI
 * ones still exit to their boot manager. */
static void test_local_action_sanboot(void **state)
{
	struct pxh_conf_errors errs = {0};
	struct pxh_server s2;
	pxh_client c2 = client;
	struct pxh_answer a;

	memset(&s2, 0, sizeof(s2));
	s2.conf = pxh_conf_load("t.conf", "[boot]\nlocal_action = sanboot\n[plugins]\nconf_dir =\n", &errs);
	assert_int_equal(errs.n, 0);
	snprintf(c2.platform, sizeof(c2.platform), "pcbios");
	pxh_answer_init(&a, &s2, &c2);
	assert_int_equal(pxh_script_exit(&a), 0);
	assert_non_null(strstr(a.script, "sanboot --no-describe --drive 0x80 || exit\n"));
	pxh_answer_clear(&a);
	snprintf(c2.platform, sizeof(c2.platform), "efi");
	pxh_answer_init(&a, &s2, &c2);
	assert_int_equal(pxh_script_exit(&a), 0);
	assert_null(strstr(a.script, "sanboot"));
	assert_non_null(strstr(a.script, "exit\n"));
	pxh_answer_clear(&a);
	pxh_conf_free(s2.conf);
}

static void test_menu(void **state)
{
	struct pxh_answer a;

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_script_menu_item(&a, "x", "X", "exit"), -EINVAL);
	assert_int_equal(pxh_script_menu_end(&a), -EINVAL);
	assert_int_equal(pxh_script_menu_begin(&a, "Deploy\nnow", 30000, "win 11"), 0);
	assert_int_equal(pxh_script_menu_begin(&a, "again", 0, NULL), -EINVAL);
	assert_int_equal(pxh_script_menu_item(&a, "win 11", "Windows 11 ${x}", "#!ipxe\nchain /w11.ipxe"), 0);
	assert_int_equal(pxh_script_menu_item(&a, "local", NULL, "exit\n"), 0);
	assert_int_equal(pxh_script_menu_end(&a), 0);
	has_line(&a, "menu Deploy now");
	has_line(&a, "set pxh_timeout 30000");
	has_line(&a, "set pxh_defopt win_11");
	has_line(&a, "item win_11 Windows 11 $ {x}");
	has_line(&a, ":pxh_item_win_11");
	has_line(&a, "chain /w11.ipxe");
	has_line(&a, "item local local");
	has_line(&a, ":pxh_item_local");
	has_line(&a, "choose --timeout ${pxh_timeout} --default ${pxh_defopt} pxh_sel || goto pxh_cancel");
	has_line(&a, "goto pxh_item_${pxh_sel}");
	/* one signature line only */
	assert_null(strstr(a.script + 1, "#!ipxe"));
	labels_resolve(&a);
	pxh_answer_clear(&a);
}

static void test_default_menu(void **state)
{
	struct pxh_answer a;

	pxh_answer_init(&a, &srv, &client);
	assert_int_equal(pxh_default_menu(&srv, &client, &a), 0);
	has_line(&a, "#!ipxe");
	has_line(&a, "menu Lab $ {x} menu");
	has_line(&a, "set pxh_timeout 5000");
	has_line(&a, "set pxh_defopt local");
	has_line(&a, "item local Boot from local disk");
	has_line(&a, "item shell iPXE shell");
	has_line(&a, "shell");
	labels_resolve(&a);
	pxh_answer_clear(&a);
}

static void test_base_url(void **state)
{
	char b[128];
	pxh_client c6 = client;

	assert_int_equal(pxh_http_base_url(&srv, &client, b, sizeof(b)), 0);
	assert_string_equal(b, "http://10.0.0.1:8080");
	snprintf(c6.server_ip, sizeof(c6.server_ip), "fd00::1");
	assert_int_equal(pxh_http_base_url(&srv, &c6, b, sizeof(b)), 0);
	assert_string_equal(b, "http://[fd00::1]:8080");
	c6.server_ip[0] = '\0';
	assert_int_equal(pxh_http_base_url(&srv, &c6, b, sizeof(b)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wimboot),
		cmocka_unit_test(test_kernel_chain_exit),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_local_action_sanboot),
		cmocka_unit_test(test_menu),
		cmocka_unit_test(test_default_menu),
		cmocka_unit_test(test_base_url),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
