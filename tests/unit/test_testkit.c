/* The plugin test kit (sdk/testkit): loading, decisions, deadlines,
 * events, reports, and load errors, with the test plugins of
 * tests/plugins. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pxehub/testkit.h"

static char so_buf[512];

static const char *so(const char *name)
{
	const char *b = getenv("B");

	snprintf(so_buf, sizeof(so_buf), "%s/tests/plugins/%s.so", b ? b : "build",
	         name);
	return so_buf;
}

static pxh_tk *loaded(const char *ini, const char *plugin)
{
	pxh_tk *tk = pxh_tk_new(ini);

	assert_non_null(tk);
	if (pxh_tk_load(tk, so(plugin))) {
		print_error("load %s: %s\n", plugin, pxh_tk_error(tk));
		fail();
	}
	return tk;
}

/* A plugin's event with unterminated texts and no severity comes out with
 * every text ending inside its field, at info (tp_raw_event emits it). */
static void test_plugin_event_sanitised(void **state)
{
	pxh_tk *tk = loaded("", "tp_raw_event");
	const pxh_event *ev;

	pxh_tk_run(tk, 0.05);
	ev = pxh_tk_last_event(tk, PXH_EV_PLUGIN);
	assert_non_null(ev);
	assert_int_equal(ev->severity, PXH_LOG_INFO);
	assert_int_equal(strlen(ev->message), sizeof(ev->message) - 1);
	assert_int_equal(strlen(ev->action), sizeof(ev->action) - 1);
	assert_int_equal(strlen(ev->file), sizeof(ev->file) - 1);
	assert_int_equal(strlen(ev->plugin), sizeof(ev->plugin) - 1);
	assert_int_equal(strlen(ev->client->mac), sizeof(ev->client->mac) - 1);
	assert_int_equal(strlen(ev->client->serial), sizeof(ev->client->serial) - 1);
	pxh_tk_free(tk);
}

static void test_boot_answer(void **state)
{
	pxh_tk *tk = loaded("[tp_fixed]\nloader = x64/fixed.efi\n"
	                    "next_server = 192.0.2.7\noption_252 = \\boot\\bcd\n",
	                    "tp_fixed");
	pxh_tk_decision d;
	pxh_client c;
	const uint8_t *o;
	size_t len;

	assert_int_equal(pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:12:34:56", "efi-x64"), 0);
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "tp_fixed");
	assert_string_equal(d.loader, "x64/fixed.efi");
	assert_string_equal(d.next_server, "192.0.2.7");
	assert_string_equal(d.reason, "fixed answer");
	assert_int_equal(d.n_options, 1);
	o = pxh_tk_option(tk, 252, &len);
	assert_non_null(o);
	assert_int_equal(len, strlen("\\boot\\bcd"));
	assert_memory_equal(o, "\\boot\\bcd", len);
	assert_null(pxh_tk_option(tk, 66, &len));
	pxh_tk_free(tk);
}

/* local in the script phase: the script is what pxehubd serves for it */
static void test_local_script(void **state)
{
	pxh_tk *tk = loaded("[tp_fixed]\nverdict = local\n", "tp_fixed");
	pxh_tk_decision d;
	pxh_client c;

	pxh_tk_client(&c, PXH_PHASE_IPXE, "52:54:00:12:34:56", "efi-x64");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_memory_equal(d.script, "#!ipxe\n", 7);
	assert_non_null(strstr(d.script, "\nexit"));
	{
		char *mine = strdup(d.script); /* the next call replaces it */
		assert_string_equal(mine, pxh_tk_served_script(tk, NULL));
		free(mine);
	}
	pxh_tk_free(tk);
}

static void test_next_gives_default(void **state)
{
	pxh_tk *tk = loaded("[boot]\ndefault_action = local\n"
	                    "[tp_fixed]\nmac_prefix = 00:11:22\n", "tp_fixed");
	pxh_tk_decision d;
	pxh_client c;

	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:12:34:56", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_string_equal(d.plugin, "default");
	/* The matching MAC still gets the plugin's answer. */
	pxh_tk_client(&c, PXH_PHASE_DHCP, "00:11:22:33:44:55", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "tp_fixed");
	pxh_tk_free(tk);
}

static void test_ipxe_script(void **state)
{
	pxh_tk *tk = loaded("[tp_fixed]\nscript = #!ipxe\n", "tp_fixed");
	pxh_tk_decision d;
	pxh_client c;

	pxh_tk_client(&c, PXH_PHASE_IPXE, "52:54:00:12:34:56", "efi-x64");
	assert_true(c.is_ipxe);
	assert_string_equal(c.user_class, "iPXE");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.script, "#!ipxe");
	assert_string_equal(d.loader, "");
	pxh_tk_free(tk);
}

/* A GRUB client through script_exec: the JSON kernel answer comes out as
 * GRUB script, and an iPXE script answer is served as the default with
 * the reason (pxh_tk_served_script). */
static void test_grub_client(void **state)
{
	char dir[] = "/tmp/pxh-tk-grub.XXXXXX", sh[600], ini[800], plug[512];
	const char *b = getenv("B"), *why = NULL, *served;
	pxh_tk_decision d;
	pxh_client c;
	pxh_tk *tk;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(sh, sizeof(sh), "%s/answer.sh", dir);
	f = fopen(sh, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nf=$(cat)\ncase $f in\n"
	      "*'\"serial\":\"IPXE\"'*) printf '#!ipxe\\nshell\\n' ;;\n"
	      "*'\"boot_program\":\"grub\"'*) echo '{\"kernel\": {\"kernel\": \"/tftp/linux\", "
	      "\"cmdline\": \"quiet x'\"'\"';reboot\"}}' ;;\n"
	      "*) echo next ;;\nesac\n", f);
	fclose(f);
	chmod(sh, 0755);
	snprintf(ini, sizeof(ini), "[script_exec]\nboot_images = %s\nttl = 0\n", sh);
	snprintf(plug, sizeof(plug), "%s/lib/pxehub/plugins/script_exec.so", b ? b : "build");
	tk = pxh_tk_new(ini);
	assert_non_null(tk);
	if (pxh_tk_load(tk, plug)) {
		print_error("load script_exec: %s\n", pxh_tk_error(tk));
		fail();
	}
	pxh_tk_client(&c, PXH_PHASE_IPXE, "52:54:00:12:34:57", "efi-x64");
	assert_int_equal(pxh_tk_client_boot_program(&c, PXH_BOOT_PROGRAM_GRUB, 0), 0);
	assert_int_equal(pxh_client_boot_program(&c), PXH_BOOT_PROGRAM_GRUB);
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "script_exec");
	assert_non_null(strstr(d.script, "if linux '(tftp,192.0.2.1)/linux' 'quiet' 'x'\\'';reboot'; then\n"));
	served = pxh_tk_served_script(tk, &why);
	assert_non_null(served);
	assert_string_equal(why, "");
	assert_string_equal(served, d.script);

	snprintf(c.serial, sizeof(c.serial), "IPXE");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	served = pxh_tk_served_script(tk, &why);
	assert_non_null(served);
	assert_non_null(strstr(why, "an iPXE script cannot run in GRUB"));
	assert_non_null(strstr(served, "menuentry 'Boot from local disk' --id 'local'"));
	pxh_tk_free(tk);
	unlink(sh);
	rmdir(dir);
}

static void test_decision_event(void **state)
{
	pxh_tk *tk = loaded("[tp_fixed]\nverdict = ignore\n", "tp_fixed");
	pxh_tk_decision d;
	const pxh_event *ev;
	pxh_client c;

	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:aa:bb:cc", "efi-ia32");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_IGNORE);
	ev = pxh_tk_last_event(tk, PXH_EV_DECISION);
	assert_non_null(ev);
	assert_string_equal(ev->action, "ignore");
	assert_string_equal(ev->plugin, "tp_fixed");
	assert_string_equal(ev->client->mac, "52:54:00:aa:bb:cc");
	assert_string_equal(ev->client->arch_name, "efi-ia32");
	pxh_tk_events_clear(tk);
	assert_int_equal(pxh_tk_event_count(tk), 0);
	assert_null(pxh_tk_last_event(tk, PXH_EV_DECISION));
	pxh_tk_free(tk);
}

/* A deferred answer later than [boot] decision_timeout: the default
 * applies at the deadline, the event says why, the late answer is dropped. */
static void test_deadline(void **state)
{
	pxh_tk *tk = loaded("[boot]\ndecision_timeout = 200ms\n"
	                    "[tp_slow_answer]\ndelay = 1s\n", "tp_slow_answer");
	pxh_tk_decision d;
	const pxh_event *ev;
	pxh_client c;

	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:12:34:56", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	assert_int_equal(d.verdict, PXH_BOOT); /* default_action = menu */
	assert_true(d.seconds >= 0.15 && d.seconds < 0.9);
	assert_non_null(strstr(d.reason, "tp_slow_answer"));
	ev = pxh_tk_last_event(tk, PXH_EV_DECISION);
	assert_non_null(ev);
	assert_string_equal(ev->plugin, "default");
	assert_non_null(strstr(ev->message, "did not answer"));
	pxh_tk_run(tk, 1.2); /* the late completion runs and is dropped */
	assert_true(pxh_tk_metric(tk, "pxehub_decision_timeouts_total") == 1);
	pxh_tk_free(tk);
}

static void test_deferred_in_time(void **state)
{
	pxh_tk *tk = loaded("[boot]\ndecision_timeout = 2s\n"
	                    "[tp_slow_answer]\ndelay = 50ms\n", "tp_slow_answer");
	pxh_tk_decision d;
	pxh_client c;

	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:12:34:56", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "tp_slow_answer");
	assert_string_equal(d.loader, "slow.efi");
	assert_true(d.seconds >= 0.04 && d.seconds < 1.5);
	pxh_tk_free(tk);
}

/* Work-pool answers, and freeing the kit while work is pending: fini
 * aborts if the core unloads the plugin before its work is done. */
static void test_work_pool(void **state)
{
	pxh_tk *tk = loaded("[tp_pending_work]\nwork_time = 100ms\n"
	                    "work_at_init = yes\n", "tp_pending_work");
	pxh_tk_decision d;
	pxh_client c;

	pxh_tk_client(&c, PXH_PHASE_IPXE, "52:54:00:12:34:56", "efi-x64");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "tp_pending_work");
	assert_non_null(strstr(d.script, "work-done"));
	pxh_tk_decide(tk, &c, &d);
	pxh_tk_free(tk);
}

static void test_events_and_report(void **state)
{
	pxh_tk *tk = loaded("[tp_slow_events]\nsleep_time = 0\n", "tp_slow_events");
	pxh_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.struct_size = sizeof(ev);
	ev.kind = PXH_EV_PLUGIN;
	ev.severity = PXH_LOG_DEBUG;
	snprintf(ev.message, sizeof(ev.message), "from the test");
	for (int i = 0; i < 3; i++)
		pxh_tk_emit(tk, &ev);
	assert_non_null(pxh_tk_last_event(tk, PXH_EV_PLUGIN));
	assert_string_equal(pxh_tk_last_event(tk, PXH_EV_PLUGIN)->message, "from the test");
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_tp_slow_events_events_seen") >= 3);
	assert_true(pxh_tk_metric(tk, "no_such_metric") < 0);
	pxh_tk_free(tk);
}

static void test_two_plugins_priority(void **state)
{
	pxh_tk *tk = loaded("[tp_fixed]\npriority = 10\nverdict = next\n"
	                    "[tp_slow_answer]\npriority = 20\ndelay = 0\n", "tp_fixed");
	pxh_tk_decision d;
	pxh_client c;

	assert_int_equal(pxh_tk_load(tk, so("tp_slow_answer")), 0);
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:12:34:56", "bios");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "tp_slow_answer");
	pxh_tk_free(tk);
}

static void test_load_errors(void **state)
{
	static const struct {
		const char *plugin, *ini, *expect;
	} cases[] = {
		{"tp_abi_major", NULL, "ABI"},
		{"tp_abi_minor", NULL, "ABI"},
		{"tp_short_struct", NULL, "descriptor"},
		{"tp_prefreeze", NULL, "rebuild it against this pxehub SDK"},
		{"tp_internal_sym", NULL, "undefined symbol pxh_dhcp_arch_normalise (not part of the plugin SDK"},
		{"tp_no_descriptor", NULL, "pxh_plugin_descriptor"},
		{"tp_name_mismatch", NULL, "some_other_name"},
		{"tp_init_fails", NULL, "init failed: back end db.example:1433 unreachable (Host is down)"},
		{"tp_fixed", "[tp_fixed]\nbogus = 1\n", "bogus"},
		{"tp_fixed", "[tp_fixed]\nverdict = maybe\n", "maybe"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		pxh_tk *tk = pxh_tk_new(cases[i].ini);
		assert_non_null(tk);
		assert_true(pxh_tk_load(tk, so(cases[i].plugin)) < 0);
		if (!strstr(pxh_tk_error(tk), cases[i].expect)) {
			print_error("%s: error '%s' lacks '%s'\n", cases[i].plugin,
			            pxh_tk_error(tk), cases[i].expect);
			fail();
		}
		pxh_tk_free(tk);
	}
}

static void test_http_route(void **state)
{
	pxh_tk *tk = loaded("[tp_fixed]\nverdict = local\n", "tp_fixed");
	char *body = NULL;

	assert_int_equal(pxh_tk_http(tk, "tp_fixed", "GET", "/a/b?x=1", NULL, &body), 200);
	assert_string_equal(body, "verdict=local path=/a/b query=x=1 user-agent=-\n");
	free(body);
	assert_int_equal(pxh_tk_http(tk, "nosuch", "GET", "/", NULL, &body), 404);
	assert_null(body);
	pxh_tk_free(tk);
}

static void test_client_synth(void **state)
{
	pxh_client c;

	assert_int_equal(pxh_tk_client(&c, PXH_PHASE_DHCP, "52-54-00-AB-CD-EF", "7"), 0);
	assert_string_equal(c.mac, "52:54:00:ab:cd:ef");
	assert_int_equal(c.arch, PXH_ARCH_EFI_X64);
	assert_string_equal(c.arch_name, "efi-x64");
	assert_int_equal(pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:ab:cd:ef", "efi-x64-http"), 0);
	assert_true(c.is_http_boot);
	assert_int_equal(pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:ab:cd", "bios"), -EINVAL);
	assert_int_equal(pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:ab:cd:ef", "vax"), -EINVAL);
	assert_int_equal(pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:ab:cd:zz", "bios"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_answer),
		cmocka_unit_test(test_next_gives_default),
		cmocka_unit_test(test_local_script),
		cmocka_unit_test(test_ipxe_script),
		cmocka_unit_test(test_grub_client),
		cmocka_unit_test(test_decision_event),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_deferred_in_time),
		cmocka_unit_test(test_work_pool),
		cmocka_unit_test(test_events_and_report),
		cmocka_unit_test(test_two_plugins_priority),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_http_route),
		cmocka_unit_test(test_client_synth),
		cmocka_unit_test(test_plugin_event_sanitised),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
