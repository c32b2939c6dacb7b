/* Typed config binding (PXH_CONF_BIND): every member type, bounds, enum,
 * list, duration, defaults, required keys, table checks, undeclared
 * lookups, the core sections' structs. */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core_fixture.h"
#include "decide.h"
#include "plugins.h"
#include "server.h"
#include "workpool.h"
#include "pxehub/testkit.h"

struct bt_conf {
	const char *url;
	const char *mode_word;
	int mode;             /* enum as index */
	long long retries;
	uint16_t port;
	int8_t small;
	unsigned char level; /* enum index into an unsigned member */
	bool tls;
	int verbose; /* a bool into an int */
	long long wait_ms;
	double wait_s;
	double ratio; /* an INT into a double */
	pxh_conf_list hosts;
	const char *unset; /* no default, not set */
};

struct bt_sub {
	const char *host;
	unsigned weight;
};

#define B(m) PXH_CONF_BIND(struct bt_conf, m)
static const pxh_conf_key bt_keys[] = {
	{"url", PXH_CONF_STRING, "http://default/", 0, 0, 0, NULL, "u", B(url)},
	{"mode", PXH_CONF_ENUM, "fast", 0, 0, 0, "slow|fast|off", "m", B(mode_word)},
	{"mode_index", PXH_CONF_ENUM, "off", 0, 0, 0, "slow|fast|off", "m", B(mode)},
	{"retries", PXH_CONF_INT, "3", 0, 0, 1000000000000LL, NULL, "r", B(retries)},
	{"port", PXH_CONF_INT, "8080", 0, 1, 65535, NULL, "p", B(port)},
	{"small", PXH_CONF_INT, "-5", 0, -128, 127, NULL, "s", B(small)},
	{"level", PXH_CONF_ENUM, "b", 0, 0, 0, "a|b|c", "l", B(level)},
	{"tls", PXH_CONF_BOOL, "no", 0, 0, 0, NULL, "t", B(tls)},
	{"verbose", PXH_CONF_BOOL, "yes", 0, 0, 0, NULL, "v", B(verbose)},
	{"wait", PXH_CONF_DURATION, "2s", 0, 0, 60000, NULL, "w", B(wait_ms)},
	{"wait_again", PXH_CONF_DURATION, "1500ms", 0, 0, 60000, NULL, "w", B(wait_s)},
	{"ratio", PXH_CONF_INT, "7", 0, 0, 100, NULL, "r", B(ratio)},
	{"hosts", PXH_CONF_LIST, "a b", 0, 0, 0, NULL, "h", B(hosts)},
	{"unset", PXH_CONF_STRING, NULL, 0, 0, 0, NULL, "x", B(unset)},
	{"loose", PXH_CONF_STRING, "getter only", 0, 0, 0, NULL, "x", PXH_CONF_UNBOUND},
	PXH_CONF_END,
};
#undef B

static const pxh_conf_key bt_sub_keys[] = {
	{"host", PXH_CONF_STRING, NULL, PXH_CONF_REQUIRED, 0, 0, NULL, "h",
	 PXH_CONF_BIND(struct bt_sub, host)},
	{"weight", PXH_CONF_INT, "1", 0, 0, 100, NULL, "w",
	 PXH_CONF_BIND(struct bt_sub, weight)},
	PXH_CONF_END,
};

/* Load a main file naming DIR/plugins.d with bt.conf = TEXT, check the bt
 * section against its tables. */
static struct pxh_conf *load_bt(const char *dir, const char *text,
                                struct pxh_conf_errors *e)
{
	char main_text[700];
	struct pxh_conf *c;

	fx_write(dir, "bt.conf", text);
	snprintf(main_text, sizeof(main_text), "[plugins]\nconf_dir = %s\n", dir);
	c = pxh_conf_load(NULL, main_text, e);
	assert_non_null(c);
	pxh_conf_check_plugin(c, "bt", bt_keys, bt_sub_keys, e);
	return c;
}

static void test_every_type_and_defaults(void **st)
{
	char *d = fx_mkdtemp();
	struct pxh_conf_errors e = {0};
	struct pxh_conf_bound b;
	const struct bt_conf *cf;
	const struct bt_sub *s0, *s1;
	struct pxh_conf *c = load_bt(d,
		"[bt]\nenabled = yes\nurl = http://x/\nmode = SLOW\nmode_index = fast\n"
		"retries = 999999999999\nport = 69\nlevel = c\ntls = on\nwait = 250ms\n"
		"hosts = h1, h2 h3\n"
		"[bt.one]\nhost = one.example\nweight = 40\n[bt.two]\nhost = two\n", &e);

	fx_print_errors(&e);
	assert_int_equal(e.n, 0);
	assert_int_equal(pxh_conf_bind_plugin(c, "bt", bt_keys, bt_sub_keys, sizeof(struct bt_conf),
	                                      sizeof(struct bt_sub), &b, &e), 0);
	cf = pxh_conf_bound_get(c, "bt", &b, NULL);
	assert_non_null(cf);
	assert_string_equal(cf->url, "http://x/");
	assert_string_equal(cf->mode_word, "SLOW"); /* as written */
	assert_int_equal(cf->mode, 1);              /* "fast" in slow|fast|off */
	assert_true(cf->retries == 999999999999LL);
	assert_int_equal(cf->port, 69);
	assert_int_equal(cf->small, -5);            /* default, negative */
	assert_int_equal(cf->level, 2);
	assert_true(cf->tls);
	assert_int_equal(cf->verbose, 1);           /* default yes */
	assert_true(cf->wait_ms == 250);
	assert_true(cf->wait_s > 1.499 && cf->wait_s < 1.501);
	assert_true(cf->ratio > 6.99 && cf->ratio < 7.01);
	assert_int_equal(cf->hosts.n, 3);
	assert_string_equal(cf->hosts.v[0], "h1");
	assert_string_equal(cf->hosts.v[2], "h3");
	assert_null(cf->unset);
	/* sub-sections: one struct each, by name */
	s0 = pxh_conf_bound_get(c, "bt", &b, "one");
	s1 = pxh_conf_bound_get(c, "bt", &b, "two");
	assert_non_null(s0);
	assert_non_null(s1);
	assert_string_equal(s0->host, "one.example");
	assert_int_equal(s0->weight, 40);
	assert_string_equal(s1->host, "two");
	assert_int_equal(s1->weight, 1); /* default from the table */
	assert_null(pxh_conf_bound_get(c, "bt", &b, "three"));
	/* the getters still answer, bound or not */
	assert_string_equal(pxh_cfg_str(c, "bt", NULL, "loose"), "getter only");
	assert_int_equal(pxh_cfg_int(c, "bt", NULL, "port"), 69);
	pxh_conf_bound_free(&b);
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	fx_rmrf(d);
	free(d);
}

/* An empty [bt] gets every default: written once, in the table. */
static void test_defaults_only(void **st)
{
	char *d = fx_mkdtemp();
	struct pxh_conf_errors e = {0};
	struct pxh_conf_bound b;
	const struct bt_conf *cf;
	struct pxh_conf *c = load_bt(d, "[bt]\nenabled = yes\n", &e);

	assert_int_equal(e.n, 0);
	assert_int_equal(pxh_conf_bind_plugin(c, "bt", bt_keys, bt_sub_keys, sizeof(struct bt_conf),
	                                      sizeof(struct bt_sub), &b, &e), 0);
	cf = b.main;
	assert_string_equal(cf->url, "http://default/");
	assert_string_equal(cf->mode_word, "fast");
	assert_int_equal(cf->mode, 2);
	assert_true(cf->retries == 3);
	assert_int_equal(cf->port, 8080);
	assert_int_equal(cf->level, 1);
	assert_false(cf->tls);
	assert_true(cf->wait_ms == 2000);
	assert_int_equal(cf->hosts.n, 2);
	assert_int_equal(b.nsubs, 0);
	pxh_conf_bound_free(&b);
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	fx_rmrf(d);
	free(d);
}

/* Bad values and missing required keys are refused by validation with
 * FILE:LINE; what failed stays zero in the struct. */
static void test_bounds_and_required(void **st)
{
	char *d = fx_mkdtemp();
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c = load_bt(d,
		"[bt]\nenabled = yes\nport = 70000\nsmall = 128\nmode = medium\nwait = 2m\n"
		"[bt.x]\nweight = 5\n", &e);

	assert_true(fx_has_error(&e, "bt.conf:3: [bt] port: 70000 is out of range 1..65535"));
	assert_true(fx_has_error(&e, "bt.conf:4: [bt] small: 128 is out of range -128..127"));
	assert_true(fx_has_error(&e, "bt.conf:5: [bt] mode: 'medium' is not one of slow|fast|off"));
	assert_true(fx_has_error(&e, "bt.conf:6: [bt] wait: 2m is out of range"));
	assert_true(fx_has_error(&e, "bt.conf:7: [bt.x] needs key 'host'"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	fx_rmrf(d);
	free(d);
}

struct narrow {
	int8_t i8;
	uint8_t u8;
	const char *s;
	pxh_conf_list l;
};

/* Table mistakes are found before any value is read, naming the key. */
static void test_table_checks(void **st)
{
	static const pxh_conf_key list_into_int[] = {
		{"a", PXH_CONF_LIST, "", 0, 0, 0, NULL, "", PXH_CONF_BIND(struct narrow, i8)},
		PXH_CONF_END};
	static const pxh_conf_key int_into_str[] = {
		{"a", PXH_CONF_INT, "1", 0, 0, 0, NULL, "", PXH_CONF_BIND(struct narrow, s)},
		PXH_CONF_END};
	static const pxh_conf_key bounds_too_wide[] = {
		{"a", PXH_CONF_INT, "1", 0, 0, 300, NULL, "", PXH_CONF_BIND(struct narrow, u8)},
		PXH_CONF_END};
	static const pxh_conf_key negative_unsigned[] = {
		{"a", PXH_CONF_INT, "1", 0, -1, 10, NULL, "", PXH_CONF_BIND(struct narrow, u8)},
		PXH_CONF_END};
	static const pxh_conf_key str_into_list[] = {
		{"a", PXH_CONF_STRING, "", 0, 0, 0, NULL, "", PXH_CONF_BIND(struct narrow, l)},
		PXH_CONF_END};
	static const pxh_conf_key ok[] = {
		{"a", PXH_CONF_INT, "1", 0, -100, 100, NULL, "", PXH_CONF_BIND(struct narrow, i8)},
		{"b", PXH_CONF_ENUM, "x", 0, 0, 0, "x|y", "", PXH_CONF_BIND(struct narrow, u8)},
		{"c", PXH_CONF_PATH, "/", 0, 0, 0, NULL, "", PXH_CONF_BIND(struct narrow, s)},
		{"d", PXH_CONF_LIST, "", 0, 0, 0, NULL, "", PXH_CONF_BIND(struct narrow, l)},
		{"e", PXH_CONF_STRING, "", 0, 0, 0, NULL, "", PXH_CONF_UNBOUND},
		PXH_CONF_END};
	struct pxh_conf_errors e = {0};

	assert_int_equal(pxh_conf_keys_check("t", ok, sizeof(struct narrow), &e), 0);
	assert_int_equal(e.n, 0);
	assert_int_not_equal(pxh_conf_keys_check("t", list_into_int, sizeof(struct narrow), &e), 0);
	assert_true(fx_has_error(&e, "t: key table: 'a': an integer member takes only"));
	assert_int_not_equal(pxh_conf_keys_check("t", int_into_str, sizeof(struct narrow), &e), 0);
	assert_true(fx_has_error(&e, "a const char * member takes only a text"));
	assert_int_not_equal(pxh_conf_keys_check("t", bounds_too_wide, sizeof(struct narrow), &e), 0);
	assert_int_not_equal(pxh_conf_keys_check("t", negative_unsigned, sizeof(struct narrow), &e), 0);
	assert_true(fx_has_error(&e, "bounds do not fit the member"));
	assert_int_not_equal(pxh_conf_keys_check("t", str_into_list, sizeof(struct narrow), &e), 0);
	assert_true(fx_has_error(&e, "a pxh_conf_list member takes only a list key"));
	pxh_conf_errors_free(&e);
	/* a struct smaller than the table says, or none at all */
	assert_int_not_equal(pxh_conf_keys_check("t", ok, 4, &e), 0);
	assert_true(fx_has_error(&e, "outside the config struct"));
	pxh_conf_errors_free(&e);
	assert_int_not_equal(pxh_conf_keys_check("t", ok, 0, &e), 0);
	assert_true(fx_has_error(&e, "there is no config struct"));
	pxh_conf_errors_free(&e);
}

/* A number without bounds into a member too small for it: refused at
 * bind time with the value's FILE:LINE. */
static void test_value_too_large_for_member(void **st)
{
	static const pxh_conf_key k[] = {
		{"a", PXH_CONF_INT, "1", 0, 0, 0, NULL, "", PXH_CONF_BIND(struct narrow, i8)},
		PXH_CONF_END};
	char *d = fx_mkdtemp();
	char main_text[700];
	struct pxh_conf_errors e = {0};
	struct pxh_conf_bound b;
	struct pxh_conf *c;

	fx_write(d, "nb.conf", "[nb]\nenabled = yes\na = 1000\n");
	snprintf(main_text, sizeof(main_text), "[plugins]\nconf_dir = %s\n", d);
	c = pxh_conf_load(NULL, main_text, &e);
	assert_int_equal(pxh_conf_check_plugin(c, "nb", k, NULL, &e), 0);
	assert_int_not_equal(pxh_conf_bind_plugin(c, "nb", k, NULL, sizeof(struct narrow), 0,
	                                          &b, &e), 0);
	assert_true(fx_has_error(&e, "nb.conf:3: [nb] a: 1000 is too large here"));
	pxh_conf_bound_free(&b);
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	fx_rmrf(d);
	free(d);
}

/* A key no table declares: an error in the log (once) and a harmless
 * value, never a NULL to crash on. */
static void test_undeclared_lookup_is_loud(void **st)
{
	char *d = fx_mkdtemp();
	struct pxh_conf_errors e = {0};
	struct pxh_conf *c = load_bt(d, "[bt]\nenabled = yes\n", &e);

	assert_int_equal(e.n, 0);
	assert_string_equal(pxh_cfg_str(c, "bt", NULL, "ulr"), "");
	assert_int_equal(pxh_cfg_int(c, "bt", NULL, "retires"), 0);
	assert_false(pxh_cfg_bool(c, "bt", "one", "tsl"));
	assert_int_equal(pxh_cfg_list_len(c, "bt", NULL, "hostz"), 0);
	assert_string_equal(pxh_cfg_str(c, "boot", NULL, "no_such_key"), "");
	/* declared but unset without default: NULL, as before */
	assert_null(pxh_cfg_str(c, "bt", NULL, "unset"));
	/* common plugin keys are declared for every plugin */
	assert_true(pxh_cfg_bool(c, "bt", NULL, "enabled"));
	pxh_conf_free(c);
	pxh_conf_errors_free(&e);
	fx_rmrf(d);
	free(d);
}

/* Each core section's key table fits its struct (checked here so a wrong
 * PXH_CONF_BIND in a core table fails the build's tests, not a start). */
static void test_core_tables_fit(void **st)
{
	const struct pxh_section_schema *const s[] = {
		&pxh_server_section, &pxh_dhcp_section,   &pxh_tftp_section,
		&pxh_http_section,   &pxh_boot_section,   &pxh_access_section,
		&pxh_log_section,    &pxh_plugins_section, &pxh_pool_section,
	};
	struct pxh_conf_errors e = {0};

	for (size_t i = 0; i < sizeof(s) / sizeof(*s); i++) {
		pxh_conf_keys_check(s[i]->name, s[i]->keys, s[i]->size, &e);
		pxh_conf_keys_check(s[i]->name, s[i]->sub_keys, s[i]->sub_size, &e);
	}
	fx_print_errors(&e);
	assert_int_equal(e.n, 0);
	pxh_conf_errors_free(&e);
}


static const char *tp_so(const char *name)
{
	static char buf[600];

	snprintf(buf, sizeof(buf), "%s/%s.so", fx_plugin_dir(), name);
	return buf;
}

/* A plugin reads its settings from its structs only: [NAME], one struct per
 * [NAME.SUB], defaults from the table. */
static void test_plugin_gets_its_structs(void **st)
{
	pxh_tk *tk = pxh_tk_new("[tp_bound]\ntag = t1\nwait = 2s\n"
	                        "[tp_bound.lab]\nmacs = 52:54:00:00:00:01\nloader = lab.efi\nweight = 3\n"
	                        "[tp_bound.other]\nmacs = 52:54:00:00:00:02, 52:54:00:00:00:03\n");
	pxh_client c;
	pxh_tk_decision d;

	assert_non_null(tk);
	if (pxh_tk_load(tk, tp_so("tp_bound")))
		fail_msg("%s", pxh_tk_error(tk));
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:00:01", "efi-x64");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.loader, "lab.efi");
	assert_string_equal(d.reason, "section lab weight 3 tag t1 wait 2.0");
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:00:03", "efi-x64");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.loader, "main.efi"); /* the [tp_bound] default */
	assert_string_equal(d.reason, "section other weight 7 tag t1 wait 2.0");
	pxh_tk_client(&c, PXH_PHASE_DHCP, "52:54:00:00:00:09", "efi-x64");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_string_equal(d.plugin, "default");
	pxh_tk_free(tk);
}

/* A table that does not fit its struct: not loaded, the key named. */
static void test_plugin_bad_table_refused(void **st)
{
	pxh_tk *tk = pxh_tk_new(NULL);

	assert_non_null(tk);
	assert_int_not_equal(pxh_tk_load(tk, tp_so("tp_bad_bind")), 0);
	if (!strstr(pxh_tk_error(tk), "plugin tp_bad_bind: key table: 'count': an integer "
	                               "member takes only a number"))
		fail_msg("%s", pxh_tk_error(tk));
	pxh_tk_free(tk);
}

/* Under the test kit, a plugin reading an undeclared key fails the test
 * (the process aborts, saying which key). */
static void test_testkit_fails_on_undeclared_key(void **st)
{
	int fds[2], status;
	char out[2048] = "";
	ssize_t n, got = 0;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pxh_tk *tk;

		dup2(fds[1], 2);
		close(fds[0]);
		tk = pxh_tk_new("[tp_bound]\ntypo = yes\n");
		if (tk)
			pxh_tk_load(tk, tp_so("tp_bound"));
		_exit(0); /* not reached when the kit aborts */
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof(out) - 1 &&
	       (n = read(fds[0], out + got, sizeof(out) - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = 0;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	assert_non_null(strstr(out, "undeclared config key 'loadr' in [tp_bound]"));
}

struct res {
	bool done;
	enum pxh_verdict v;
	char loader[64];
};

static void on_done(void *ctx, enum pxh_verdict v, const struct pxh_answer *a,
                    const char *plugin, const char *why)
{
	struct res *r = ctx;

	r->done = true;
	r->v = v;
	snprintf(r->loader, sizeof(r->loader), "%s", a && a->loader ? a->loader : "");
}

static void decide_loader(struct pxh_server *s, const char *want)
{
	pxh_client c;
	struct res r = {0};

	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	c.phase = PXH_PHASE_DHCP;
	snprintf(c.mac, sizeof(c.mac), "52:54:00:00:00:01");
	snprintf(c.arch_name, sizeof(c.arch_name), "efi-x64");
	c.arch = PXH_ARCH_EFI_X64;
	assert_int_equal(pxh_decide(s, PXH_PHASE_DHCP, &c, on_done, &r, NULL), 0);
	fx_run_until(s->loop, &r.done, 3);
	assert_true(r.done);
	assert_int_equal(r.v, PXH_BOOT);
	assert_string_equal(r.loader, want);
}

/* Reload: a new config with an error keeps the running plugins and their
 * structs; a good one gives the new plugin instance a new struct. */
static void test_reload_keeps_old_struct_on_error(void **st)
{
	char *d = fx_mkdtemp();
	char text[2048], path[1024], pd[512];
	struct pxh_conf_errors e = {0};
	struct pxh_server s;
	struct pxh_plugins *before;
	struct pxh_conf *c;

	memset(&s, 0, sizeof(s));
	snprintf(pd, sizeof(pd), "%s/plugins.d", d);
	assert_int_equal(mkdir(pd, 0700), 0);
	snprintf(text, sizeof(text),
	         "[server]\nstate_dir = %s\nuser =\n[plugins]\ndir = %s\nconf_dir = %s\n"
	         "[access]\nallow = all\n[log]\nlevel = err\n", d, fx_plugin_dir(), pd);
	fx_write(d, "main.conf", text);
	fx_write(pd, "tp_bound.conf", "[tp_bound]\nenabled = yes\n[tp_bound.a]\n"
	                             "macs = 52:54:00:00:00:01\nloader = first.efi\n");
	snprintf(path, sizeof(path), "%s/main.conf", d);
	c = pxh_conf_load(path, NULL, &e);
	fx_print_errors(&e);
	assert_int_equal(e.n, 0);
	s.conf_path = strdup(path);
	ev_now_update(ev_default_loop(0));
	assert_int_equal(pxh_server_init(&s, ev_default_loop(0), c), 0);
	assert_int_equal(pxh_pool_start(&s, 1), 0);
	assert_int_equal(pxh_plugins_load(&s, c, &s.plugins, &e), 0);
	decide_loader(&s, "first.efi");

	/* weight out of range: refused, the old instance answers as before */
	fx_write(pd, "tp_bound.conf", "[tp_bound]\nenabled = yes\n[tp_bound.a]\n"
	                             "macs = 52:54:00:00:00:01\nloader = second.efi\nweight = 500\n");
	before = s.plugins;
	assert_int_not_equal(pxh_server_reload(&s), 0);
	assert_ptr_equal(s.plugins, before);
	decide_loader(&s, "first.efi");

	fx_write(pd, "tp_bound.conf", "[tp_bound]\nenabled = yes\n[tp_bound.a]\n"
	                             "macs = 52:54:00:00:00:01\nloader = second.efi\n");
	assert_int_equal(pxh_server_reload(&s), 0);
	assert_ptr_not_equal(s.plugins, before);
	decide_loader(&s, "second.efi");
	pxh_server_free(&s);
	free(s.conf_path);
	pxh_conf_errors_free(&e);
	fx_rmrf(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_type_and_defaults),
		cmocka_unit_test(test_defaults_only),
		cmocka_unit_test(test_bounds_and_required),
		cmocka_unit_test(test_table_checks),
		cmocka_unit_test(test_value_too_large_for_member),
		cmocka_unit_test(test_undeclared_lookup_is_loud),
		cmocka_unit_test(test_core_tables_fit),
		cmocka_unit_test(test_reload_keeps_old_struct_on_error),
		cmocka_unit_test(test_plugin_gets_its_structs),
		cmocka_unit_test(test_plugin_bad_table_refused),
		cmocka_unit_test(test_testkit_fails_on_undeclared_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
