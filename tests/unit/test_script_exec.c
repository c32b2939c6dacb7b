/* script_exec: the answer parser directly, then the plugin through the
 * test kit with real sh and python3 scripts (answers, garbage, huge output,
 * hang, crash, a setsid grandchild holding stdout, cache, 1000 runs
 * leaving no fd and no zombie). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "pxehub/plugin.h"
#include "pxehub/testkit.h"
/* The parser is tested on its own, compiled in. */
#include "../../plugins/script_exec/script_exec.h"
#include "answer.h"

static char dir[64];

/* ---- the parser ------------------------------------------------------------ */
struct parsed {
	struct pxh_answer a;
	pxh_client c;
	long ttl;
	char why[200];
	int v;
};

static void parse(struct parsed *p, enum se_hook hook, const char *out)
{
	long ttl2;
	char why2[200];
	int dry;

	memset(p, 0, sizeof(*p));
	pxh_answer_init(&p->a, NULL, &p->c);
	/* the check pass and the writing pass agree */
	dry = pxh_answer_parse(se_phase(hook), out, strlen(out), NULL, &ttl2, why2, sizeof(why2));
	p->v = pxh_answer_parse(se_phase(hook), out, strlen(out), &p->a, &p->ttl, p->why,
	                       sizeof(p->why));
	assert_int_equal(dry, p->v);
	if (p->v < 0)
		assert_string_not_equal(p->why, "");
}

static void done(struct parsed *p)
{
	pxh_answer_clear(&p->a);
}

static void test_parse_allow(void **state)
{
	struct parsed p;

	parse(&p, SE_ALLOW_BOOT, "");
	assert_int_equal(p.v, PXH_NEXT);
	parse(&p, SE_ALLOW_BOOT, " \n\t\n");
	assert_int_equal(p.v, PXH_NEXT);
	parse(&p, SE_ALLOW_BOOT, "ignore\n");
	assert_int_equal(p.v, PXH_IGNORE);
	parse(&p, SE_ALLOW_BOOT, "local");
	assert_int_equal(p.v, PXH_LOCAL);
	parse(&p, SE_ALLOW_BOOT, "boot x64/ipxe.efi\n");
	assert_int_equal(p.v, PXH_BOOT);
	assert_string_equal(p.a.loader, "x64/ipxe.efi");
	done(&p);
	parse(&p, SE_ALLOW_BOOT, "{\"action\":\"boot\",\"loader\":\"a.efi\","
	                         "\"next_server\":\"192.0.2.9\",\"ttl\":7,"
	                         "\"reason\":\"lab\",\"_note\":1,\"options\":"
	                         "[{\"code\":252,\"text\":\"\\\\boot\\\\bcd\"},"
	                         "{\"code\":43,\"hex\":\"0601ff\"}]}");
	assert_int_equal(p.v, PXH_BOOT);
	assert_string_equal(p.a.loader, "a.efi");
	assert_string_equal(p.a.next_server, "192.0.2.9");
	assert_string_equal(p.a.reason, "lab");
	assert_int_equal(p.ttl, 7);
	assert_int_equal(p.a.n_opts, 2);
	assert_int_equal(p.a.opts[0].code, 252);
	assert_memory_equal(p.a.opts[0].data, "\\boot\\bcd", 9);
	assert_int_equal(p.a.opts[1].len, 3);
	assert_memory_equal(p.a.opts[1].data, "\x06\x01\xff", 3);
	done(&p);
	parse(&p, SE_ALLOW_BOOT, "{}");
	assert_int_equal(p.v, PXH_BOOT);
	assert_null(p.a.loader);
	assert_int_equal(p.ttl, -1);
	parse(&p, SE_ALLOW_BOOT, "{\"action\":\"ignore\",\"loader\":\"x\"}");
	assert_int_equal(p.v, PXH_IGNORE);
	assert_null(p.a.loader);
}

static void test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"yes", "boot a b", "ignore\nboot", "{\"action\":\"maybe\"}",
		"{\"action\":1}", "{\"loder\":\"x\"}", "{\"ttl\":-1}",
		"{\"ttl\":1e3}", "{\"ttl\":99999999}", "{\"next_server\":\"::1\"}",
		"{\"loader\":\"\"}", "{\"options\":[{\"code\":53,\"hex\":\"01\"}]}",
		"{\"options\":[{\"code\":300,\"hex\":\"01\"}]}",
		"{\"options\":[{\"code\":60,\"hex\":\"0\"}]}",
		"{\"options\":[{\"code\":60,\"hex\":\"zz\"}]}",
		"{\"options\":[{\"code\":60}]}", "{\"options\":{}}",
		"{\"action\":\"boot\"", "{\"a\":1,\"a\":2}", "{} trailing",
		"#!ipxe\nexit\n", "\x01\x02garbage",
	};
	struct parsed p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(&p, SE_ALLOW_BOOT, bad[i]);
		if (p.v >= 0)
			fail_msg("accepted: %s", bad[i]);
		done(&p);
	}
	p.v = pxh_answer_parse(PXH_PHASE_DHCP, "boot\0x", 6, NULL, &p.ttl, p.why,
	                      sizeof(p.why));
	assert_true(p.v < 0);
	assert_non_null(strstr(p.why, "NUL"));
}

static void test_parse_images(void **state)
{
	struct parsed p;

	parse(&p, SE_BOOT_IMAGES, "\n#!ipxe\necho hi\nexit");
	assert_int_equal(p.v, PXH_BOOT);
	assert_string_equal(p.a.script, "#!ipxe\necho hi\nexit\n");
	done(&p);
	parse(&p, SE_BOOT_IMAGES, "#!ipxefoo\n");
	assert_true(p.v < 0);
	parse(&p, SE_BOOT_IMAGES, "boot x.efi");
	assert_true(p.v < 0);
	parse(&p, SE_BOOT_IMAGES, "local");
	assert_int_equal(p.v, PXH_LOCAL);
	parse(&p, SE_BOOT_IMAGES, "{\"kernel\":{\"kernel\":\"http://h/vmlinuz\","
	                          "\"initrd\":\"http://h/initrd.img\","
	                          "\"cmdline\":\"quiet\"}}");
	assert_int_equal(p.v, PXH_BOOT);
	assert_non_null(strstr(p.a.script, "kernel http://h/vmlinuz quiet initrd=initrd.img"));
	done(&p);
	parse(&p, SE_BOOT_IMAGES, "{\"script\":\"echo first\",\"chain\":\"http://up/boot.ipxe\"}");
	assert_int_equal(p.v, PXH_BOOT);
	assert_string_equal(p.a.script, "#!ipxe\necho first\nchain http://up/boot.ipxe\n");
	done(&p);
	parse(&p, SE_BOOT_IMAGES, "{\"wimboot\":{\"bcd\":\"http://h/BCD\","
	                          "\"boot_sdi\":\"http://h/boot.sdi\","
	                          "\"boot_wim\":\"http://h/boot.wim\",\"gui\":true}}");
	assert_int_equal(p.v, PXH_BOOT);
	assert_non_null(strstr(p.a.script, "kernel /files/wimboot gui"));
	assert_non_null(strstr(p.a.script, "initrd -n boot.wim http://h/boot.wim"));
	done(&p);
	parse(&p, SE_BOOT_IMAGES, "{\"shell\":true}");
	assert_string_equal(p.a.script, "#!ipxe\nshell\n");
	done(&p);
	parse(&p, SE_BOOT_IMAGES, "{\"menu\":{\"title\":\"Tech\",\"timeout\":5000,"
	                          "\"default\":\"disk\",\"items\":["
	                          "{\"id\":\"diag\",\"label\":\"Diagnostics\",\"script\":\"echo diag\"},"
	                          "{\"id\":\"mt\",\"label\":\"Memtest\",\"kernel\":\"http://h/memtest\"},"
	                          "{\"id\":\"sh\",\"label\":\"Shell\",\"shell\":true},"
	                          "{\"id\":\"disk\",\"label\":\"Local disk\",\"local\":true}]}}");
	assert_int_equal(p.v, PXH_BOOT);
	assert_non_null(strstr(p.a.script, "menu Tech\n"));
	assert_non_null(strstr(p.a.script, "item diag Diagnostics\n"));
	assert_non_null(strstr(p.a.script, "item mt Memtest\n"));
	assert_non_null(strstr(p.a.script, ":pxh_item_mt\ngoto pxh_part_0\n"));
	assert_non_null(strstr(p.a.script, ":pxh_part_0\nkernel http://h/memtest"));
	assert_non_null(strstr(p.a.script, ":pxh_part_1\nshell\ngoto pxh_menu\n"));
	assert_non_null(strstr(p.a.script, ":pxh_part_2\nexit\ngoto pxh_menu\n"));
	assert_non_null(strstr(p.a.script, "set pxh_defopt disk\n"));
	done(&p);
	/* refusals */
	static const char *const bad[] = {
		"{\"menu\":{\"items\":[]}}", "{\"menu\":{\"items\":[{\"label\":\"x\",\"script\":\"y\"}]}}",
		"{\"menu\":{\"items\":[{\"id\":\"a\",\"script\":\"y\",\"local\":true}]}}",
		"{\"menu\":{\"items\":[{\"id\":\"a\"}]}}", "{\"kernel\":\"\"}",
		"{\"wimboot\":{\"bcd\":\"x\"}}", "{\"chain\":\"a\",\"local\":true}",
		"{\"menu\":{\"items\":[{\"id\":\"a\",\"script\":\"y\"}]},\"chain\":\"u\"}",
		"{\"local\":false}", "{\"loader\":\"x\"}", "{\"wimboot\":{\"boot_wim\":\"w\",\"extra\":[1]}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(&p, SE_BOOT_IMAGES, bad[i]);
		if (p.v >= 0)
			fail_msg("accepted: %s", bad[i]);
		done(&p);
	}
}

/* ---- the plugin, with real scripts -------------------------------------------- */
static char so_buf[512];

static const char *so(void)
{
	return so_buf;
}

static const char *script(const char *name, const char *body)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	chmod(path, 0755);
	return path;
}

static pxh_tk *kit(const char *extra)
{
	char ini[2048];
	pxh_tk *tk;

	snprintf(ini, sizeof(ini),
	         "[boot]\ndecision_timeout = 5s\ndefault_action = menu\n"
	         "[script_exec]\n%s", extra);
	tk = pxh_tk_new(ini);
	assert_non_null(tk);
	if (pxh_tk_load(tk, so())) {
		print_error("load: %s\n", pxh_tk_error(tk));
		fail();
	}
	return tk;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int lines_of(const char *name)
{
	char path[128], buf[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		n++;
	fclose(f);
	return n;
}

static void decide(pxh_tk *tk, enum pxh_phase ph, const char *mac,
                   pxh_tk_decision *d)
{
	pxh_client c;

	assert_int_equal(pxh_tk_client(&c, ph, mac, "efi-x64"), 0);
	snprintf(c.serial, sizeof(c.serial), "SER-%s", mac + 15);
	assert_int_equal(pxh_tk_decide(tk, &c, d), 0);
}

static void test_answers(void **state)
{
	char conf[512];
	pxh_tk_decision d;
	pxh_tk *tk;

	/* python3 reads the facts from stdin; sh reads the environment */
	script("allow.py", "#!/usr/bin/python3\nimport json, os, sys\n"
	                   "f = json.load(sys.stdin)\n"
	                   "assert f['mac'] == os.environ['PXEHUB_MAC']\n"
	                   "print(json.dumps({'action': 'boot', 'loader': 'm-%s-%s.efi' % "
	                   "(f['mac'][-2:], f['arch']), 'reason': f['hook'] + ' ' + f['phase']}))\n");
	script("images.sh", "#!/bin/sh\nread facts\n"
	                    "echo '#!ipxe'\necho \"echo $PXEHUB_MAC $PXEHUB_SERIAL $PXEHUB_IS_IPXE\"\n"
	                    "echo \"$facts\" | grep -q '\"phase\":\"ipxe\"' && echo exit\n");
	snprintf(conf, sizeof(conf), "allow_boot = %s/allow.py\nboot_images = %s/images.sh\n",
	         dir, dir);
	tk = kit(conf);
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:01", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "script_exec");
	assert_string_equal(d.loader, "m-01-efi-x64.efi");
	assert_string_equal(d.reason, "allow_boot dhcp");
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:01", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.script, "#!ipxe\necho 52:54:00:00:00:01 SER-01 1\nexit\n");
	pxh_tk_free(tk);
}

/* Output that is not an answer, a failing exit status, a crash: the
 * on_error policy; no output: next (the default). */
static void test_failures(void **state)
{
	static const struct {
		const char *body;
		enum pxh_verdict v;
		const char *plugin;
		const char *why;
	} cases[] = {
		{"#!/bin/sh\necho 'this is no answer'\n", PXH_LOCAL, "script_exec", "unusable output"},
		{"#!/bin/sh\necho boot\nexit 3\n", PXH_LOCAL, "script_exec", "status 3"},
		{"#!/bin/sh\necho boot\nkill -SEGV $$\n", PXH_LOCAL, "script_exec", "signal 11"},
		{"#!/usr/bin/python3\nimport os\nos.abort()\n", PXH_LOCAL, "script_exec", "signal 6"},
		{"#!/bin/sh\nexit 0\n", PXH_BOOT, "default", ""},
		{"#!/bin/sh\nprintf '{\"action\":'\n", PXH_LOCAL, "script_exec", "bad JSON"},
	};
	char conf[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pxh_tk_decision d;
		pxh_tk *tk;

		script("f.sh", cases[i].body);
		snprintf(conf, sizeof(conf), "allow_boot = %s/f.sh\non_error = local\n", dir);
		tk = kit(conf);
		decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:02", &d);
		if (d.verdict != cases[i].v || strcmp(d.plugin, cases[i].plugin) ||
		    !strstr(d.reason, cases[i].why))
			fail_msg("case %zu: verdict %d by %s (%s)", i, d.verdict,
			         d.plugin, d.reason);
		pxh_tk_free(tk);
	}
	/* not executable at all: the plugin refuses to load */
	{
		pxh_tk *tk = pxh_tk_new(NULL);
		char ini[512];

		script("noexec.sh", "#!/bin/sh\necho boot\n");
		snprintf(conf, sizeof(conf), "%s/noexec.sh", dir);
		chmod(conf, 0644);
		pxh_tk_free(tk);
		snprintf(ini, sizeof(ini), "[script_exec]\nallow_boot = %.200s\n", conf);
		tk = pxh_tk_new(ini);
		assert_int_not_equal(pxh_tk_load(tk, so()), 0);
		pxh_tk_free(tk);
	}
}

static int child_count(void)
{
	char path[64], line[256];
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0, me = (int)getpid();

	assert_non_null(d);
	while ((de = readdir(d))) {
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.40s/status", de->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "PPid:", 5) && atoi(line + 5) == me)
				n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The process in PIDFILE exists and is not a zombie (whoever its parent
 * is now reaps it in its own time). */
static int alive(const char *pidfile)
{
	char path[128], stat[256];
	FILE *f;
	int pid = 0;
	char *rp;

	snprintf(path, sizeof(path), "%s/%s", dir, pidfile);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d", &pid) != 1)
		fail_msg("no pid in %s", pidfile);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	rp = fgets(stat, sizeof(stat), f);
	fclose(f);
	rp = rp ? strrchr(stat, ')') : NULL;
	return rp && rp[1] == ' ' && rp[2] != 'Z' && rp[2] != 'X';
}

/* A hang is killed at the timeout with its whole group, the policy
 * applies, and the next client is answered normally. */
static void test_hang(void **state)
{
	char body[512], conf[512];
	pxh_tk_decision d;
	pxh_tk *tk;
	double t0;

	snprintf(body, sizeof(body),
	         "#!/bin/sh\ncase $PXEHUB_MAC in *:03)\n"
	         "  sleep 60 & echo $! > %s/bg.pid\n  echo $$ > %s/hang.pid\n"
	         "  exec sleep 60 ;;\nesac\necho boot ok.efi\n", dir, dir);
	script("hang.sh", body);
	snprintf(conf, sizeof(conf), "allow_boot = %s/hang.sh\ntimeout = 400ms\n"
	         "on_timeout = ignore\n", dir);
	tk = kit(conf);
	t0 = now();
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:03", &d);
	assert_int_equal(d.verdict, PXH_IGNORE);
	assert_non_null(strstr(d.reason, "did not finish within 400 ms"));
	assert_true(now() - t0 >= 0.39 && now() - t0 < 1.5);
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:04", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.loader, "ok.efi");
	pxh_tk_run(tk, 0.2);
	assert_false(alive("hang.pid"));
	assert_false(alive("bg.pid")); /* the group, not only the script */
	assert_int_equal(child_count(), 0);
	/* the failure is remembered for error_ttl: no second run */
	t0 = now();
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:03", &d);
	assert_int_equal(d.verdict, PXH_IGNORE);
	assert_true(now() - t0 < 0.2);
	pxh_tk_free(tk);
}

/* Huge output is cut off and killed as soon as it passes max_output. */
static void test_huge_output(void **state)
{
	char conf[512];
	pxh_tk_decision d;
	pxh_tk *tk;
	double t0;

	script("huge.py", "#!/usr/bin/python3\nimport sys\n"
	                  "while True:\n    sys.stdout.write('x' * 65536)\n");
	snprintf(conf, sizeof(conf), "allow_boot = %s/huge.py\nmax_output = 100000\n"
	         "timeout = 5s\non_error = local\n", dir);
	tk = kit(conf);
	t0 = now();
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:05", &d);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_non_null(strstr(d.reason, "more than 100000 bytes"));
	assert_true(now() - t0 < 3);
	pxh_tk_run(tk, 0.2);
	assert_int_equal(child_count(), 0);
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_script_exec_oversize") == 1);
	pxh_tk_free(tk);
}

/* The script answers and exits, but a setsid grandchild keeps its stdout
 * open: the answer is taken at the deadline, nothing of ours stays open. */
static void test_setsid_grandchild(void **state)
{
	char body[512], conf[512];
	pxh_tk_decision d;
	pxh_tk *tk;
	int fds;
	double t0, el;

	snprintf(body, sizeof(body),
	         "#!/bin/sh\necho '{\"action\":\"boot\",\"loader\":\"held.efi\"}'\n"
	         "setsid sh -c 'echo $$ > %s/gc.pid; exec sleep 3' &\n"
	         "sleep 0.1\nexit 0\n", dir);
	script("gc.sh", body);
	snprintf(conf, sizeof(conf), "allow_boot = %s/gc.sh\ntimeout = 600ms\n", dir);
	tk = kit(conf);
	fds = fd_count();
	t0 = now();
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:06", &d);
	el = now() - t0;
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.loader, "held.efi");
	if (el < 0.55 || el > 1.5)
		fail_msg("answered after %.3f s, wanted the 0.6 s deadline", el);
	pxh_tk_run(tk, 0.1);
	assert_int_equal(fd_count(), fds);
	assert_int_equal(child_count(), 0);
	/* it left our process group and session: it is not ours to kill */
	if (alive("gc.pid")) {
		char path[128];
		FILE *f;
		int pid = 0;

		snprintf(path, sizeof(path), "%s/gc.pid", dir);
		f = fopen(path, "r");
		if (f && fscanf(f, "%d", &pid) == 1 && pid > 0)
			kill(pid, SIGKILL); /* the test started it */
		if (f)
			fclose(f);
	}
	pxh_tk_free(tk);
}

/* One run per MAC within ttl; "ttl": 0 in the answer keeps nothing. */
static void test_cache(void **state)
{
	char body[512], conf[512];
	pxh_tk_decision d;
	pxh_tk *tk;

	snprintf(body, sizeof(body),
	         "#!/bin/sh\necho $PXEHUB_MAC >> %s/runs\n"
	         "case $PXEHUB_MAC in *:0a) echo '{\"ttl\":0}' ;; *) echo boot c.efi ;; esac\n",
	         dir);
	script("cache.sh", body);
	snprintf(conf, sizeof(conf), "%s/runs", dir);
	unlink(conf);
	snprintf(conf, sizeof(conf), "allow_boot = %s/cache.sh\nboot_images = %s/cache.sh\n"
	         "ttl = 30s\n", dir, dir);
	tk = kit(conf);
	for (int i = 0; i < 5; i++) {
		decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:07", &d);
		assert_int_equal(d.verdict, PXH_BOOT);
		assert_string_equal(d.loader, "c.efi");
	}
	assert_int_equal(lines_of("runs"), 1);
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:08", &d);
	assert_int_equal(lines_of("runs"), 2);
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:0a", &d);
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:0a", &d);
	assert_int_equal(lines_of("runs"), 4);
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_script_exec_cached_answers") == 4);
	pxh_tk_free(tk);
}

/* The cache is keyed by everything the script is told: a first request
 * with forged facts (the victim's MAC, another serial, another address)
 * gets its own run and never decides the real machine's answer; the same
 * facts again come from the cache. */
static void test_cache_keys_on_facts(void **state)
{
	char body[512], conf[512];
	pxh_tk_decision d;
	pxh_client c;
	pxh_tk *tk;

	snprintf(body, sizeof(body),
	         "#!/bin/sh\necho $PXEHUB_SERIAL >> %s/fruns\n"
	         "echo \"{\\\"chain\\\": \\\"http://x/$PXEHUB_SERIAL\\\"}\"\n",
	         dir);
	script("facts.sh", body);
	snprintf(conf, sizeof(conf), "%s/fruns", dir);
	unlink(conf);
	snprintf(conf, sizeof(conf), "boot_images = %s/facts.sh\nttl = 1h\n", dir);
	tk = kit(conf);
	/* the forgery, from another address */
	assert_int_equal(pxh_tk_client(&c, PXH_PHASE_IPXE, "52:54:00:00:00:0b", "efi-x64"), 0);
	snprintf(c.serial, sizeof(c.serial), "FORGED");
	snprintf(c.ip, sizeof(c.ip), "192.0.2.66");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_non_null(strstr(d.script, "http://x/FORGED"));
	/* the real machine: its own run, its own answer */
	snprintf(c.serial, sizeof(c.serial), "REAL");
	snprintf(c.ip, sizeof(c.ip), "192.0.2.10");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_non_null(strstr(d.script, "http://x/REAL"));
	assert_int_equal(lines_of("fruns"), 2);
	/* the same facts again: cached */
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_non_null(strstr(d.script, "http://x/REAL"));
	assert_int_equal(lines_of("fruns"), 2);
	/* the same facts from another address: a question of its own */
	snprintf(c.ip, sizeof(c.ip), "192.0.2.11");
	assert_int_equal(pxh_tk_decide(tk, &c, &d), 0);
	assert_int_equal(lines_of("fruns"), 3);
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_script_exec_cached_answers") == 1);
	pxh_tk_free(tk);
}

/* 1000 runs: every fd closed, every child reaped. */
static void test_thousand_runs(void **state)
{
	char conf[512], mac[18];
	pxh_tk_decision d;
	pxh_tk *tk;
	int fds;
	double t0;

	script("quick.sh", "#!/bin/sh\necho progress >&2\necho boot q.efi\n");
	snprintf(conf, sizeof(conf), "allow_boot = %s/quick.sh\nttl = 0\n", dir);
	tk = kit(conf);
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:ff:ff", &d); /* warm up */
	fds = fd_count();
	t0 = now();
	for (int i = 0; i < 1000; i++) {
		snprintf(mac, sizeof(mac), "52:54:00:01:%02x:%02x", i >> 8, i & 0xff);
		decide(tk, PXH_PHASE_DHCP, mac, &d);
		if (d.verdict != PXH_BOOT || strcmp(d.loader, "q.efi"))
			fail_msg("run %d: %d %s", i, d.verdict, d.reason);
	}
	print_message("1000 runs in %.2f s\n", now() - t0);
	pxh_tk_run(tk, 0.1);
	assert_int_equal(fd_count(), fds);
	assert_int_equal(child_count(), 0);
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_script_exec_spawned") == 1001);
	pxh_tk_free(tk);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_allow),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_images),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_hang),
		cmocka_unit_test(test_huge_output),
		cmocka_unit_test(test_setsid_grandchild),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_cache_keys_on_facts),
		cmocka_unit_test(test_thousand_runs),
	};
	const char *b = getenv("B");
	char top[256];
	int rc;

	/* the runner starts us at the top of the tree */
	if (!getcwd(top, sizeof(top)))
		return 1;
	snprintf(so_buf, sizeof(so_buf), "%s/%s/lib/pxehub/plugins/script_exec.so",
	         top, b ? b : "build");
	snprintf(dir, sizeof(dir), "/tmp/pxh-se-unit.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	chmod(dir, 0755);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	remove_dir();
	return rc;
}
