/* Config loading: typed keys, defaults, FILE:LINE errors, plugins.d. */
#include "core_fixture.h"
#include "conf.h"

static const char good[] =
	"[server]\n"
	"listen = eth1, 10.0.0.1\n"
	"fqdn = pxe.example.org\n"
	"[tftp]\n"
	"[boot]\n"
	"decision_timeout = 750ms\n"
	"default_action = local\n"
	"[access]\n"
	"allow = 52:54:00, 10.1.0.0/16 efi-x64\n";

static void test_good_values_and_defaults(void **st)
{
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c = pxh_conf_load(NULL, good, &e);

	fx_print_errors(&e);
	assert_int_equal(e.n, 0);
	assert_string_equal(pxh_cfg_str(c, "server", NULL, "fqdn"), "pxe.example.org");
	assert_int_equal(pxh_cfg_list_len(c, "server", NULL, "listen"), 2);
	assert_string_equal(pxh_cfg_list_item(c, "server", NULL, "listen", 1), "10.0.0.1");
	assert_int_equal(pxh_cfg_int(c, "boot", NULL, "decision_timeout"), 750);
	assert_string_equal(pxh_cfg_str(c, "boot", NULL, "default_action"), "local");
	/* defaults from the key tables */
	assert_string_equal(pxh_cfg_str(c, "boot", NULL, "loader_bios"), "undionly.kpxe");
	assert_string_equal(pxh_cfg_str(c, "server", NULL, "user"), "pxehub");
	assert_string_equal(pxh_cfg_where(c, "boot", NULL, "loader_bios"), "(default)");
	assert_string_equal(pxh_cfg_where(c, "boot", NULL, "decision_timeout"), "(embedded):6");
	assert_int_equal(pxh_cfg_list_len(c, "access", NULL, "allow"), 3);
	assert_string_equal(pxh_cfg_list_item(c, "access", NULL, "allow", 2), "efi-x64");
	/* an undeclared key is logged as a bug and reads as "" (test_conf_bind) */
	assert_string_equal(pxh_cfg_str(c, "boot", NULL, "no_such_key"), "");
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
}

/* A long value continues on indented lines, joined with one space: lists
 * longer than one line (inih reads at most 200 characters a line). */
static void test_continuation_lines(void **st)
{
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c = pxh_conf_load(NULL,
		"[access]\nallow = 10.0.0.0/8,\n  52:54:00\n# a comment between\n\tefi-x64\n"
		"deny = 52:54:00:00:00:01\n[boot]\nmenu_title = Boot\n   menu\n", &e);

	fx_print_errors(&e);
	assert_int_equal(e.n, 0);
	assert_int_equal(pxh_cfg_list_len(c, "access", NULL, "allow"), 3);
	assert_string_equal(pxh_cfg_list_item(c, "access", NULL, "allow", 1), "52:54:00");
	assert_string_equal(pxh_cfg_list_item(c, "access", NULL, "allow", 2), "efi-x64");
	assert_int_equal(pxh_cfg_list_len(c, "access", NULL, "deny"), 1);
	assert_string_equal(pxh_cfg_str(c, "boot", NULL, "menu_title"), "Boot menu");
	assert_string_equal(pxh_cfg_where(c, "access", NULL, "allow"), "(embedded):2");
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	/* the same key again, not indented: still an error */
	c = pxh_conf_load(NULL, "[boot]\nmenu_title = a\nmenu_title = b\n", &e);
	assert_true(fx_has_error(&e, "set twice"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
}

struct bad_case {
	const char *text;
	const char *want;
};

static void test_bad_values_name_file_and_line(void **st)
{
	static const struct bad_case cases[] = {
		{"[tftp]\n\nbogus = 1\n", "(embedded):3: unknown key 'bogus' in [tftp]"},
		{"[boot]\ndecision_timeout = soon\n", "(embedded):2: [boot] decision_timeout: 'soon' is not a duration"},
		{"[boot]\ndecision_timeout = 5m\n", "(embedded):2: [boot] decision_timeout: 5m is out of range"},
		{"[boot]\ndefault_action = reboot\n", "(embedded):2: [boot] default_action: 'reboot' is not one of menu|local|ignore"},
		{"[log]\nevent_queue = many\n", "(embedded):2: [log] event_queue: 'many' is not a whole number"},
		{"[log]\nevent_queue = 1\n", "(embedded):2: [log] event_queue: 1 is out of range 16..1000000"},
		{"[nonsense]\nx = 1\n", "(embedded):2: unknown section [nonsense]"},
		{"[tftp.sub]\nx = 1\n", "unknown section [tftp.sub]"},
		{"[boot]\nmenu_title = a\nmenu_title = b\n", "(embedded):3: key 'menu_title' in [boot] set twice (first at (embedded):2)"},
		{"[boot]\nthis line has no equals sign\n", "(embedded):2: syntax error"},
		{"orphan = 1\n", "(embedded):1: key 'orphan' outside of any section"},
		{"[log]\nlevel = info   # or debug\n",
		 "(embedded):2: [log] level: 'info   # or debug' is not one of err|warning|notice|info|debug (a '#' after a value is part of it"},
		{"[tftp]\ngso = maybe # or no\n", "(embedded):2: [tftp] gso: 'maybe # or no' is not yes or no (a '#'"},
		{"[boot]\n\x01\x7f\xff\xfe binary\n", "(embedded):2: syntax error"},
		{"[boot\nmenu_title = x\n", "(embedded):1: syntax error"},
		{"[boot]\n# xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx = y\nmenu_title = t\n",
		 "(embedded):2: line longer than"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pxh_conf_errors e = {0};
		struct pxh_conf *c = pxh_conf_load(NULL, cases[i].text, &e);
		if (!fx_has_error(&e, cases[i].want)) {
			fprintf(stderr, "case %zu: wanted \"%s\", got:\n", i, cases[i].want);
			fx_print_errors(&e);
			fail();
		}
		pxh_conf_free(c);
		pxh_conf_errors_free(&e);
	}
}

static void test_file_errors_name_the_file(void **st)
{
	char *d = fx_mkdtemp();
	char path[600];
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c;

	fx_write(d, "pxehub.conf", "[server]\nfqdn = x\n[http]\nwhat = 1\n");
	snprintf(path, sizeof(path), "%s/pxehub.conf", d);
	c = pxh_conf_load(path, NULL, &e);
	{
		char want[700];
		snprintf(want, sizeof(want), "%s:4: unknown key 'what' in [http]", path);
		assert_true(fx_has_error(&e, want));
	}
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	c = pxh_conf_load("/nonexistent/pxehub.conf", NULL, &e);
	assert_true(fx_has_error(&e, "/nonexistent/pxehub.conf: cannot open: No such file"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	fx_rmrf(d);
	free(d);
}

static const pxh_conf_key demo_keys[] = {
	{"url", PXH_CONF_STRING, NULL, PXH_CONF_REQUIRED, 0, 0, NULL, "where to ask", PXH_CONF_UNBOUND},
	{"retries", PXH_CONF_INT, "3", 0, 0, 10, NULL, "how often", PXH_CONF_UNBOUND},
	PXH_CONF_END,
};
static const pxh_conf_key demo_sub_keys[] = {
	{"host", PXH_CONF_STRING, NULL, PXH_CONF_REQUIRED, 0, 0, NULL, "target", PXH_CONF_UNBOUND},
	{"tls", PXH_CONF_BOOL, "no", 0, 0, 0, NULL, "use TLS", PXH_CONF_UNBOUND},
	PXH_CONF_END,
};

static void test_plugins_d(void **st)
{
	char *d = fx_mkdtemp();
	char main_text[700];
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c;
	const char **names;
	size_t n;

	fx_write(d, "zeta.conf", "[zeta]\nenabled = yes\npriority = 5\n");
	fx_write(d, "alpha.conf", "[alpha]\nenabled = yes\n"); /* priority 100 */
	fx_write(d, "off.conf", "[off]\nenabled = no\n");
	fx_write(d, "demo.conf",
	         "[demo]\nenabled = yes\npriority = 50\nurl = http://x/\nretries = 11\ncolour = red\n"
	         "[demo.a]\nhost = a.example\ntls = maybe\n"
	         "[demo.b]\ntls = yes\n"
	         "[other]\nx = 1\n");
	snprintf(main_text, sizeof(main_text), "[plugins]\nconf_dir = %s\n", d);
	c = pxh_conf_load(NULL, main_text, &e);
	assert_true(fx_has_error(&e, "demo.conf:13: section [other] does not belong in this file"));
	n = pxh_cfg_enabled_plugins(c, &names);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "zeta");
	assert_string_equal(names[1], "demo");
	assert_string_equal(names[2], "alpha");
	pxh_conf_errors_free(&e);

	assert_int_not_equal(pxh_conf_check_plugin(c, "demo", demo_keys, demo_sub_keys, &e), 0);
	assert_true(fx_has_error(&e, "demo.conf:5: [demo] retries: 11 is out of range 0..10"));
	assert_true(fx_has_error(&e, "demo.conf:6: unknown key 'colour' in [demo]"));
	assert_true(fx_has_error(&e, "demo.conf:9: [demo.a] tls: 'maybe' is not yes or no"));
	assert_true(fx_has_error(&e, "demo.conf:10: [demo.b] needs key 'host'"));
	assert_int_equal(pxh_cfg_sub_count(c, "demo"), 2);
	assert_string_equal(pxh_cfg_sub_name(c, "demo", 0), "a");
	assert_string_equal(pxh_cfg_str(c, "demo", "a", "host"), "a.example");
	pxh_conf_errors_free(&e);

	/* A plugin without sub-section keys takes no sub-sections. */
	assert_int_not_equal(pxh_conf_check_plugin(c, "demo", demo_keys, NULL, &e), 0);
	assert_true(fx_has_error(&e, "plugin demo takes no [demo.NAME] sections"));
	pxh_conf_errors_free(&e);
	pxh_conf_free(c);
	fx_rmrf(d);
	free(d);
}

static void test_parsers(void **st)
{
	long long ms;
	bool b;

	assert_int_equal(pxh_parse_duration_ms("1.5s", &ms), 0);
	assert_int_equal(ms, 1500);
	assert_int_equal(pxh_parse_duration_ms("2", &ms), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(pxh_parse_duration_ms("1h", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_not_equal(pxh_parse_duration_ms("-1s", &ms), 0);
	assert_int_not_equal(pxh_parse_duration_ms("3 weeks", &ms), 0);
	assert_int_equal(pxh_parse_bool("On", &b), 0);
	assert_true(b);
	assert_int_equal(pxh_parse_bool("false", &b), 0);
	assert_false(b);
	assert_int_not_equal(pxh_parse_bool("yep", &b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_values_and_defaults),
		cmocka_unit_test(test_continuation_lines),
		cmocka_unit_test(test_bad_values_name_file_and_line),
		cmocka_unit_test(test_file_errors_name_the_file),
		cmocka_unit_test(test_plugins_d),
		cmocka_unit_test(test_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
