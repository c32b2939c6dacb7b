/* sccm_sql (unit): the SQL template expander, device pick and deployment
 * selection directly; then the plugin through the test kit against the TDS
 * stand-in (tests/tds/tds_server.py, FreeTDS on the wire): known device,
 * required and available deployments, already-run, duplicate MAC and
 * GUID, unknown computers, malformed rows, server down, slow (deadline),
 * login failure, failover, TLS required, one lookup per boot. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "pxehub/testkit.h"
/* the pure parts are tested on their own, compiled in */
#include "../../plugins/common/sccm/sccm_ids.c"
#include "../../plugins/sccm_sql/ss_select.c"
#include "../../plugins/sccm_sql/ss_sql.c"
#include "../../plugins/sccm_sql/ss_table.c"

extern char **environ;

static char top[256], so_path[320], dir[64];

/* ---- the template expander ------------------------------------------------ */
static char *expand(const char *t, char *why)
{
	struct ss_param p[] = {
		{.name = "mac", .text = "52:54:00:AA:BB:CC"},
		{.name = "guid", .text = NULL},
		{.name = "name", .text = "O'Brien"},
		{.name = "item_key", .num = 16777220, .is_int = 1},
		{.name = "bad", .text = "a\nb"},
	};
	return ss_sql_expand(t, strlen(t), p, 5, why, 120);
}

static void test_sql_expand(void **state)
{
	char why[120];
	char *s;

	(void)state;
	s = expand("EXEC X @m = :mac, @g = :guid, @k = :item_key, @n=:name", why);
	assert_non_null(s);
	assert_string_equal(s, "EXEC X @m = N'52:54:00:AA:BB:CC', @g = NULL, "
	                       "@k = 16777220, @n=N'O''Brien'");
	free(s);
	/* nothing inside quotes, brackets or comments is a placeholder */
	s = expand("SELECT ':mac', [a:mac], \":mac\" -- :nope\n/* :nope */ ::int, :mac", why);
	assert_non_null(s);
	assert_string_equal(s, "SELECT ':mac', [a:mac], \":mac\" -- :nope\n/* :nope */ "
	                       "::int, N'52:54:00:AA:BB:CC'");
	free(s);
	assert_null(expand("SELECT :nope", why));
	assert_string_equal(why, "unknown placeholder :nope");
	assert_null(expand("SELECT :bad", why));
	assert_null(expand("SELECT 'open", why));
	assert_null(expand("SELECT /* open", why));
}

/* ---- device pick ----------------------------------------------------------- */
static void table(struct ss_table *t, const char *cols, const char *const *cells,
                  size_t rows)
{
	char buf[256], *save, *tok;
	size_t n = 1, i = 0;

	for (const char *c = cols; *c; c++)
		n += *c == ',';
	memset(t, 0, sizeof(*t));
	assert_int_equal(ss_table_set_names(t, n), 0);
	snprintf(buf, sizeof(buf), "%s", cols);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		t->names[i++] = strdup(tok);
	for (size_t r = 0; r < rows; r++) {
		assert_int_equal(ss_table_add_row(t), 0);
		for (size_t k = 0; k < n; k++)
			t->cells[r * n + k] = cells[r * n + k] ? strdup(cells[r * n + k]) : NULL;
	}
}

#define LOOKUP_COLS "ItemKey,Name,SMBIOS_GUID,MACAddress,DuplicateSMBIOS,DuplicateMACAddress"
#define G1 "00000000-0000-0000-0000-00000000000A"
#define G2 "00000000-0000-0000-0000-00000000000B"

static void test_pick_device(void **state)
{
	struct ss_table t;
	struct sccm_device d;
	/* MAC shared by two machines (a USB dongle) */
	static const char *const dupmac[] = {
		"16777222", "A", G1, "52:54:00:00:00:AA", "0", "1",
		"16777223", "B", G2, "52:54:00:00:00:AA", "0", "1",
	};
	/* GUID cloned on two machines */
	static const char *const dupguid[] = {
		"16777224", "A", G1, NULL, "1", "0",
		"16777225", "B", G1, "52:54:00:00:00:0D", "1", "0",
	};
	static const char *const junk[] = {
		NULL, "nokey", G1, NULL, "0", "0",
		"-5", "neg", G1, NULL, "0", "0",
		"12", "badflag", G1, NULL, "maybe", "0",
		"13", "badguid", "not-a-guid", NULL, "0", "0",
		"14", "good\x01name", NULL, "52-54-00-00-00-01", "0", "0",
	};

	(void)state;
	table(&t, LOOKUP_COLS, dupmac, 2);
	ss_pick_device(&t, "52:54:00:00:00:AA", G2, &d);
	assert_true(d.found);
	assert_int_equal(d.item_key, 16777223);
	assert_true(d.by_guid);
	assert_true(d.dup_mac);
	ss_pick_device(&t, "52:54:00:00:00:AA", "", &d);
	assert_false(d.found);
	assert_string_equal(d.why, "MAC shared by several machines, GUID unknown");
	ss_table_free(&t);

	table(&t, LOOKUP_COLS, dupguid, 2);
	ss_pick_device(&t, "52:54:00:00:00:0D", G1, &d);
	assert_true(d.found);
	assert_int_equal(d.item_key, 16777225);
	assert_false(d.by_guid);
	assert_string_equal(d.name, "B");
	ss_pick_device(&t, "52:54:00:00:00:99", G1, &d);
	assert_false(d.found);
	ss_table_free(&t);

	table(&t, LOOKUP_COLS, junk, 5);
	ss_pick_device(&t, "52:54:00:00:00:01", "", &d);
	assert_int_equal(d.malformed, 4);
	assert_true(d.found);
	assert_int_equal(d.item_key, 14);
	assert_string_equal(d.name, "good name");
	ss_table_free(&t);
}

static void test_ids(void **state)
{
	char m[18], g[37], pth[64];

	(void)state;
	assert_int_equal(sccm_mac_upper("52:54:00:ab:cd:ef", m), 0);
	assert_string_equal(m, "52:54:00:AB:CD:EF");
	assert_int_equal(sccm_mac_upper("525400abcdef", m), 0);
	assert_int_equal(sccm_mac_upper("52:54:00:ab:cd", m), -EINVAL);
	assert_int_equal(sccm_mac_upper("52:54:00:ab:cd:ef:00", m), -EINVAL);
	assert_int_equal(sccm_guid_upper("{01234567-89ab-cdef-0123-456789abcdef}", g), 0);
	assert_string_equal(g, "01234567-89AB-CDEF-0123-456789ABCDEF");
	assert_int_equal(sccm_guid_upper("00000000-0000-0000-0000-000000000000", g), 0);
	assert_string_equal(g, "");
	assert_int_equal(sccm_guid_upper("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", g), 0);
	assert_string_equal(g, "");
	assert_int_equal(sccm_guid_upper("01234567x89ab-cdef-0123-456789abcdef", g), -EINVAL);
	assert_int_equal(sccm_clean_path("\\SMSImages\\PS100004\\boot.PS100004.wim", pth, sizeof(pth)), 0);
	assert_string_equal(pth, "SMSImages/PS100004/boot.PS100004.wim");
	assert_int_equal(sccm_clean_path("a/../etc/passwd", pth, sizeof(pth)), -EINVAL);
	assert_int_equal(sccm_clean_path("..", pth, sizeof(pth)), -EINVAL);
	assert_int_equal(sccm_clean_path("a/b/", pth, sizeof(pth)), -EINVAL);
	assert_int_equal(sccm_clean_path("http://x/y", pth, sizeof(pth)), -EINVAL);
	assert_true(sccm_valid_id("PS100004"));
	assert_false(sccm_valid_id("PS1'; DROP"));
	assert_false(sccm_valid_id(""));
}

/* ---- deployment selection ------------------------------------------------- */
#define ACTION_COLS "OfferID,OfferName,PkgID,BootImageID,PackagePath,BootImageArch," \
                    "BootImageHash,BootImageOnDP,Mandatory,OfferTime,LastPXEAdvertisementID"
#define IMG "SMSImages\\PS100004\\boot.PS100004.wim"

static void test_select(void **state)
{
	static const char *const rows[] = {
		"PS120002", "avail old", "PS1", "PS100004", IMG, "x64", NULL, "1", "0", "2024-02-01 08:00:00", NULL,
		"PS120001", "required", "PS1", "PS100004", IMG, "x64", NULL, "1", "1", "2024-03-01 08:00:00", NULL,
		"PS120003", "avail new", "PS1", "PS100004", IMG, "x64", NULL, "1", "0", "2024-04-01 08:00:00", NULL,
		"PS120004", "no image", "PS1", NULL, NULL, NULL, NULL, "0", "0", "2024-05-01 08:00:00", NULL,
		"PS120005", "elsewhere", "PS1", "PS100005", IMG, "x64", NULL, "0", "0", "2024-05-02 08:00:00", NULL,
		"PS120006", "x86 image", "PS1", "PS100006", IMG, "x86", NULL, "1", "0", "2024-05-03 08:00:00", NULL,
		"PS120007", "ran", "PS1", "PS100004", IMG, "x64", NULL, "1", "1", "2024-06-01 08:00:00", "PS120007",
		"PS120008", "traversal", "PS1", "PS100004", "../../etc/passwd", "x64", NULL, "1", "1", NULL, NULL,
		"PS120009", "bad hash", "PS1", "PS100004", IMG, "x64", "abc", "1", "1", NULL, NULL,
		"PS12000A", "bad time", "PS1", "PS100004", IMG, "x64", NULL, "1", "1", "yesterday", NULL,
		"bad id!", "x", "PS1", "PS100004", IMG, "x64", NULL, "1", "1", NULL, NULL,
		"PS120003", "dup", "PS1", "PS100004", IMG, "x64", NULL, "1", "0", "2024-04-01 08:00:00", NULL,
	};
	struct ss_table t;
	struct sccm_deploy d[8];
	struct ss_select_stats st;
	size_t n;

	(void)state;
	table(&t, ACTION_COLS, rows, 12);
	n = ss_select_deployments(&t, PXH_ARCH_EFI_X64, d, 8, &st);
	assert_int_equal(n, 3);
	assert_string_equal(d[0].offer_id, "PS120001");
	assert_true(d[0].mandatory);
	assert_string_equal(d[1].offer_id, "PS120003");
	assert_string_equal(d[2].offer_id, "PS120002");
	assert_string_equal(d[0].image_path, "SMSImages/PS100004/boot.PS100004.wim");
	assert_int_equal(st.rows, 12);
	assert_int_equal(st.no_boot_image, 1);
	assert_int_equal(st.not_on_dp, 1);
	assert_int_equal(st.already_run, 1);
	assert_int_equal(st.wrong_arch, 1);
	assert_int_equal(st.malformed, 4);
	assert_int_equal(st.duplicate, 1);
	/* BIOS machines may run either WinPE */
	n = ss_select_deployments(&t, PXH_ARCH_BIOS, d, 8, &st);
	assert_int_equal(n, 4);
	assert_string_equal(d[1].offer_id, "PS120006");
	/* ARM gets nothing */
	assert_int_equal(ss_select_deployments(&t, PXH_ARCH_EFI_ARM64, d, 8, &st), 0);
	/* bounded */
	assert_int_equal(ss_select_deployments(&t, PXH_ARCH_BIOS, d, 2, &st), 2);
	ss_table_free(&t);
}

/* ---- the plugin against the TDS stand-in ---------------------------------- */
struct standin {
	pid_t pid;
	int port;
};

/* every stand-in started, so a failed assertion leaves none behind */
static pid_t spawned[16];

static int start_standin(struct standin *s, const char *extra1, const char *extra2)
{
	char schema[320], procs[320], srv[320], pf[128], log[128];
	char *argv[24];
	int n = 0;

	snprintf(srv, sizeof(srv), "%s/tests/tds/tds_server.py", top);
	snprintf(schema, sizeof(schema), "%s/tests/tds/schema.sql", top);
	snprintf(procs, sizeof(procs), "%s/tests/tds/procs", top);
	snprintf(pf, sizeof(pf), "%s/port.%d", dir, rand());
	snprintf(log, sizeof(log), "%s/tds.log", dir);
	argv[n++] = "/usr/bin/python3";
	argv[n++] = srv;
	argv[n++] = "--schema";
	argv[n++] = schema;
	argv[n++] = "--procs";
	argv[n++] = procs;
	argv[n++] = "--port-file";
	argv[n++] = pf;
	argv[n++] = "--login";
	argv[n++] = "pxehub:S3cret!";
	argv[n++] = "--log";
	argv[n++] = log;
	if (extra1)
		argv[n++] = (char *)extra1;
	if (extra2)
		argv[n++] = (char *)extra2;
	argv[n] = NULL;
	if (posix_spawn(&s->pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	for (size_t i = 0; i < 16; i++)
		if (!spawned[i]) {
			spawned[i] = s->pid;
			break;
		}
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(pf, "r");
		if (f) {
			int ok = fscanf(f, "%d", &s->port) == 1;
			fclose(f);
			if (ok)
				return 0;
		}
		usleep(25000);
	}
	return -1;
}

static void stop_standin(struct standin *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		for (size_t i = 0; i < 16; i++)
			if (spawned[i] == s->pid)
				spawned[i] = 0;
		s->pid = 0;
	}
}

static struct standin main_srv;

static pxh_tk *kit(const char *servers, const char *more)
{
	char ini[4096], srv[64];
	pxh_tk *tk;

	snprintf(srv, sizeof(srv), "127.0.0.1:%d", main_srv.port);
	snprintf(ini, sizeof(ini),
	         "[log]\nlevel = %s\n"
	         "[boot]\ndecision_timeout = 5s\ndefault_action = menu\n"
	         "[sccm_sql]\nservers = %s\nuser = pxehub\npassword = S3cret!\n"
	         "dp_name = dp01.corp.example\n"
	         "lookup_sql = %s/etc/sql/sccm_lookup_device.sql\n"
	         "unknown_sql = %s/etc/sql/sccm_unknown_computers.sql\n"
	         "boot_action_sql = %s/etc/sql/sccm_boot_action.sql\n%s",
	         getenv("SCCM_UT_LOG") ? getenv("SCCM_UT_LOG") : "warning",
	         servers ? servers : srv, top, top, top, more ? more : "");
	tk = pxh_tk_new(ini);
	assert_non_null(tk);
	if (pxh_tk_load(tk, so_path))
		fail_msg("load: %s", pxh_tk_error(tk));
	return tk;
}

static void decide(pxh_tk *tk, enum pxh_phase ph, const char *mac, const char *uuid,
                   const char *arch, pxh_tk_decision *d)
{
	pxh_client c;

	assert_int_equal(pxh_tk_client(&c, ph, mac, arch), 0);
	snprintf(c.uuid, sizeof(c.uuid), "%s", uuid ? uuid : "");
	assert_int_equal(pxh_tk_decide(tk, &c, d), 0);
	if (getenv("SCCM_UT_SCRIPT"))
		printf("--- %s: %s\n%s---\n", pxh_verdict_name(d->verdict), d->reason, d->script);
}

/* Position of NEEDLE in the script or -1. */
static long at(const char *s, const char *needle)
{
	const char *p = strstr(s, needle);
	return p ? p - s : -1;
}

#define KNOWN_MAC "52:54:00:00:00:01"
#define KNOWN_GUID "01234567-89AB-CDEF-0123-456789ABCDEF"

static void test_known_device(void **state)
{
	pxh_tk *tk = kit(NULL, NULL);
	pxh_tk_decision d;
	const char *s;

	(void)state;
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "sccm_sql");
	assert_non_null(strstr(d.reason, "PC-KNOWN"));
	assert_non_null(strstr(d.reason, "default PS120001 (required)"));
	/* the iPXE phase reads the cache: still one lookup */
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	s = d.script;
	assert_true(at(s, "#!ipxe") == 0);
	/* required default with a countdown; required first, then newest */
	assert_true(at(s, "set pxh_timeout 10000") > 0);
	assert_true(at(s, "set pxh_defopt d0") > 0);
	assert_true(at(s, "item d0 Win11 required - Windows 11 Enterprise (required)") > 0);
	assert_true(at(s, "item d1 Win11 available") > at(s, "item d0"));
	assert_true(at(s, "item d2 Win10 LTSC available") > at(s, "item d1"));
	assert_int_equal(at(s, "No boot image"), -1);
	assert_int_equal(at(s, "elsewhere"), -1);
	assert_int_equal(at(s, "prompt"), -1);
	assert_true(at(s, "item local") > 0);
	/* no content source configured: the admin's files under /files/sccm */
	assert_true(at(s, "/files/sccm/PS100004/boot.wim") > 0);
	assert_true(at(s, "/files/sccm/x64/BCD") > 0);
	assert_true(at(s, "/files/sccm/boot.sdi") > 0);
	assert_true(at(s, "wimboot") > 0);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_lookups"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_cache_hits"), 1);
	/* case of the MAC does not matter */
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:01", "01234567-89ab-cdef-0123-456789abcdef",
	       "efi-x64", &d);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_lookups"), 1);
	pxh_tk_free(tk);
}

static void test_already_run(void **state)
{
	pxh_tk *tk = kit(NULL, NULL);
	pxh_tk_decision d;

	(void)state;
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:02", "00000000-0000-0000-0000-000000000002",
	       "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_non_null(strstr(d.reason, "1 already run"));
	assert_null(strstr(d.script, "(required)"));
	/* only available ones: a key prompt, then a menu without countdown */
	assert_true(at(d.script, "prompt --timeout 5000") > 0);
	assert_true(at(d.script, "set pxh_timeout 0") > 0);
	assert_true(at(d.script, "item d0 Win11 available") > 0);
	assert_true(at(d.script, "item d1 Win10 LTSC available") > 0);
	pxh_tk_free(tk);
}

static void test_duplicates(void **state)
{
	pxh_tk *tk = kit(NULL, NULL);
	pxh_tk_decision d;

	(void)state;
	/* shared MAC: the GUID decides */
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:aa", "00000000-0000-0000-0000-00000000000B",
	       "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_non_null(strstr(d.reason, "PC-DUPMAC-B"));
	assert_non_null(strstr(d.reason, "MAC is shared"));
	assert_non_null(strstr(d.script, "Clone B deployment"));
	/* shared MAC and no GUID: unknown computer */
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:aa", "", "efi-x64", &d);
	assert_non_null(strstr(d.reason, "unknown computer 2046820353"));
	assert_non_null(strstr(d.script, "Unknown x64 build"));
	/* cloned GUID: the MAC decides */
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:0d", "00000000-0000-0000-0000-00000000000C",
	       "efi-x64", &d);
	assert_non_null(strstr(d.reason, "PC-CLONE-B"));
	assert_non_null(strstr(d.reason, "by MAC"));
	pxh_tk_free(tk);
}

static void test_unknown(void **state)
{
	pxh_tk *tk = kit(NULL, NULL);
	pxh_tk_decision d;

	(void)state;
	decide(tk, PXH_PHASE_IPXE, "02:00:00:00:12:34", "11111111-2222-3333-4444-555555555555",
	       "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_non_null(strstr(d.reason, "x64 unknown computer 2046820353"));
	assert_non_null(strstr(d.script, "Unknown x64 build"));
	assert_null(strstr(d.script, "Unknown x86 build"));
	/* BIOS: the x86 object (default unknown_bios_arch) */
	decide(tk, PXH_PHASE_IPXE, "02:00:00:00:12:35", "", "bios", &d);
	assert_non_null(strstr(d.reason, "x86 unknown computer 2046820352"));
	assert_non_null(strstr(d.script, "Unknown x86 build"));
	assert_non_null(strstr(d.script, "/files/sccm/x86/BCD"));
	/* EFI ia32 -> x86 too; ARM has no unknown object here */
	decide(tk, PXH_PHASE_DHCP, "02:00:00:00:12:36", "", "efi-arm64", &d);
	assert_int_equal(d.verdict, PXH_IGNORE);
	assert_non_null(strstr(d.reason, "no unknown-computer object for this architecture"));
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_unknown_computers"), 2);
	pxh_tk_free(tk);
	/* switched off: not found -> no_deployment */
	tk = kit(NULL, "unknown_computers = no\nno_deployment = local\n");
	decide(tk, PXH_PHASE_DHCP, "02:00:00:00:12:34", "", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_non_null(strstr(d.reason, "unknown computers off"));
	pxh_tk_free(tk);
}

static void test_malformed_rows(void **state)
{
	pxh_tk *tk = kit(NULL, NULL);
	pxh_tk_decision d;

	(void)state;
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:0E", "", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_non_null(strstr(d.reason, "1 malformed"));
	assert_non_null(strstr(d.script, "Good row beside broken"));
	assert_null(strstr(d.script, "passwd"));
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_malformed_rows"), 1);
	/* a machine without deployments */
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:0F", "", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_IGNORE);
	assert_non_null(strstr(d.reason, "0 deployment(s)"));
	pxh_tk_free(tk);
}

static const pxh_event *plugin_event(pxh_tk *tk, const char *action)
{
	for (size_t i = pxh_tk_event_count(tk); i-- > 0;) {
		const pxh_event *ev = pxh_tk_event(tk, i);
		if (ev->kind == PXH_EV_PLUGIN && !strcmp(ev->action, action))
			return ev;
	}
	return NULL;
}

static void test_server_down(void **state)
{
	pxh_tk *tk = kit("127.0.0.1:1", "fail_policy = local\nlogin_timeout = 1s\n");
	pxh_tk_decision d;
	const pxh_event *ev;

	(void)state;
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_true(d.seconds < 2.0);
	pxh_tk_run(tk, 0.1);
	ev = plugin_event(tk, "error");
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "127.0.0.1:1"));
	assert_non_null(strstr(ev->message, "fail policy local"));
	assert_string_equal(ev->client.mac, "52:54:00:00:00:01");
	/* the error is remembered briefly: the retransmit does not wait */
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_true(d.seconds < 0.05);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_lookups"), 1);
	pxh_tk_free(tk);
	/* menu: no opinion, the server's default menu answers */
	tk = kit("127.0.0.1:1", "fail_policy = menu\n");
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_string_equal(d.plugin, "default");
	pxh_tk_free(tk);
}

static void test_failover(void **state)
{
	char servers[96];
	pxh_tk *tk;
	pxh_tk_decision d;

	(void)state;
	/* the first address refuses, the second answers */
	snprintf(servers, sizeof(servers), "127.0.0.1:1, 127.0.0.1:%d", main_srv.port);
	tk = kit(servers, NULL);
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	pxh_tk_free(tk);
}

static void test_login_failure(void **state)
{
	char srv[64];
	pxh_tk *tk;
	pxh_tk_decision d;
	const pxh_event *ev;

	(void)state;
	snprintf(srv, sizeof(srv), "127.0.0.1:%d", main_srv.port);
	/* the kit with a wrong password */
	{
		char ini[2048];
		snprintf(ini, sizeof(ini),
		         "[boot]\ndecision_timeout = 5s\n[sccm_sql]\nservers = %s\nuser = pxehub\n"
		         "password = wrong\nfail_policy = ignore\n"
		         "lookup_sql = %s/etc/sql/sccm_lookup_device.sql\n"
		         "unknown_sql = %s/etc/sql/sccm_unknown_computers.sql\n"
		         "boot_action_sql = %s/etc/sql/sccm_boot_action.sql\n",
		         srv, top, top, top);
		tk = pxh_tk_new(ini);
		assert_int_equal(pxh_tk_load(tk, so_path), 0);
	}
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_IGNORE);
	pxh_tk_run(tk, 0.1);
	ev = plugin_event(tk, "error");
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "Login failed for user 'pxehub'"));
	pxh_tk_free(tk);
}

static void test_slow_server(void **state)
{
	struct standin slow = {0};
	char srv[64];
	pxh_tk *tk;
	pxh_tk_decision d;
	struct timespec t0, t1;

	(void)state;
	assert_int_equal(start_standin(&slow, "--delay", "1.5"), 0);
	snprintf(srv, sizeof(srv), "127.0.0.1:%d", slow.port);
	tk = kit(srv, "deadline = 300ms\nfail_policy = ignore\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the fail policy answered at the plugin's deadline, not the core's */
	assert_int_equal(d.verdict, PXH_IGNORE);
	assert_string_equal(d.plugin, "sccm_sql");
	assert_true(d.seconds >= 0.29 && d.seconds < 0.8);
	assert_non_null(strstr(d.reason, "within 300 ms"));
	pxh_tk_run(tk, 0.05);
	assert_non_null(plugin_event(tk, "deadline"));
	/* a retransmit while the lookup runs joins it (no second lookup) */
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_IGNORE);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_lookups"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_lookups_joined"), 1);
	/* the lookup finishes in the background and fills the cache */
	pxh_tk_run(tk, 5.0);
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_true(d.seconds < 0.05);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_deadlines"), 2);
	pxh_tk_free(tk);
	stop_standin(&slow);
}

static void test_tls(void **state)
{
	struct standin tls = {0};
	char srv[64], cert[128], key[128], cmd[512], log[160];
	pxh_tk *tk;
	pxh_tk_decision d;
	FILE *f;
	char line[256];
	int seen = 0;

	(void)state;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
	         "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -days 1 "
	         "-subj /CN=cmsql >/dev/null 2>&1", key, cert);
	if (system(cmd) != 0)
		skip();
	{
		char c1[160], k1[160];
		snprintf(c1, sizeof(c1), "--cert=%s", cert);
		snprintf(k1, sizeof(k1), "--key=%s", key);
		assert_int_equal(start_standin(&tls, c1, k1), 0);
	}
	snprintf(srv, sizeof(srv), "127.0.0.1:%d", tls.port);
	tk = kit(srv, "encryption = require\n");
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	pxh_tk_free(tk);
	stop_standin(&tls);
	/* the stand-in logged the TLS session */
	snprintf(log, sizeof(log), "%s/tds.log", dir);
	f = fopen(log, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		seen |= strstr(line, "TLS up: TLSv1.2") != NULL;
	fclose(f);
	assert_true(seen);
	/* require against a server without TLS: refused, fail policy */
	snprintf(srv, sizeof(srv), "127.0.0.1:%d", main_srv.port);
	tk = kit(srv, "encryption = require\nfail_policy = local\n");
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_LOCAL);
	pxh_tk_free(tk);
}

static void test_bad_config(void **state)
{
	char ini[1024];
	pxh_tk *tk;

	(void)state;
	snprintf(ini, sizeof(ini), "[sccm_sql]\nservers = x\nuser = u\n"
	                           "lookup_sql = /nonexistent/lookup.sql\n");
	tk = pxh_tk_new(ini);
	assert_int_not_equal(pxh_tk_load(tk, so_path), 0);
	pxh_tk_free(tk);
	snprintf(ini, sizeof(ini), "[sccm_sql]\nservers = x\nuser = u\nfail_policy = maybe\n");
	tk = pxh_tk_new(ini);
	assert_int_not_equal(pxh_tk_load(tk, so_path), 0);
	assert_non_null(strstr(pxh_tk_error(tk), "fail_policy"));
	pxh_tk_free(tk);
}

static int group_setup(void **state)
{
	(void)state;
	return start_standin(&main_srv, NULL, NULL);
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	stop_standin(&main_srv);
	for (size_t i = 0; i < 16; i++)
		if (spawned[i] > 0) {
			kill(spawned[i], SIGTERM);
			waitpid(spawned[i], NULL, 0);
		}
	if (getenv("SCCM_UT_KEEP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sql_expand),
		cmocka_unit_test(test_pick_device),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_known_device),
		cmocka_unit_test(test_already_run),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_malformed_rows),
		cmocka_unit_test(test_server_down),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_login_failure),
		cmocka_unit_test(test_slow_server),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_bad_config),
	};
	const char *b = getenv("B");

	if (!getcwd(top, sizeof(top)))
		return 1;
	snprintf(so_path, sizeof(so_path), "%s/%s/lib/pxehub/plugins/sccm_sql.so", top,
	         b ? b : "build");
	snprintf(dir, sizeof(dir), "/tmp/pxh-sccm-unit.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	srand((unsigned)getpid());
	if (getenv("SCCM_UT_FILTER"))
		cmocka_set_test_filter(getenv("SCCM_UT_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
