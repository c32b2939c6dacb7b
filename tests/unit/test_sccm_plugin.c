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
	/* the key/count shape of "MP_LookupDevice succeeded: 16777299 1 16777299 1 0" */
	static const char *const found[] = {"16777299", "1", "16777299", "1", "0"};
	static const char *const dupmac[] = {"16777223", "1", "16777222", "2", "0"};
	static const char *const clone[] = {"16777224", "2", "16777225", "1", "0"};
	static const char *const none[] = {"0", "0", "0", "0", "0"};
	static const char *const junk[] = {"16777299", "1", "abc", "1", "0"};
	static const char *const half[] = {"16777299", "0", "0", "0", "0"};
	static const char *const neg[] = {"-5", "1", "0", "0", "0"};
	/* named columns: an admin's own SELECT */
	static const char *const named[] = {
		"16777222", "A", G1, "52:54:00:00:00:AA", "0", "1",
		"16777223", "B", G2, "52:54:00:00:00:AA", "0", "1",
	};
	static const char *const named_junk[] = {
		"12", "badflag\x01", G1, NULL, "maybe", "0",
	};

	(void)state;
	table(&t, ",,,,", found, 1);
	ss_pick_device(&t, "00:15:5D:00:19:CA", "32E5B71A-B626-4A4B-902E-7F94AD38B5B3", 0, 0, &d);
	assert_true(d.found);
	assert_int_equal(d.item_key, 16777299);
	assert_true(d.by_guid);
	ss_table_free(&t);

	table(&t, ",,,,", dupmac, 1);
	ss_pick_device(&t, "52:54:00:00:00:AA", G2, 0, 0, &d);
	assert_true(d.found);
	assert_int_equal(d.item_key, 16777223);
	assert_true(d.dup_mac);
	/* on the site's duplicate list, the GUID is not used: nothing left */
	ss_pick_device(&t, "52:54:00:00:00:AA", G2, 1, 0, &d);
	assert_false(d.found);
	assert_false(d.unreadable);
	ss_table_free(&t);

	table(&t, ",,,,", clone, 1);
	ss_pick_device(&t, "52:54:00:00:00:0D", G1, 0, 0, &d);
	assert_true(d.found);
	assert_int_equal(d.item_key, 16777225);
	assert_false(d.by_guid);
	/* the MAC on the duplicate list: the cloned GUID cannot decide */
	ss_pick_device(&t, "52:54:00:00:00:0D", G1, 0, 1, &d);
	assert_false(d.found);
	assert_string_equal(d.why, "SMBIOS GUID shared by several machines, MAC unknown");
	ss_table_free(&t);

	table(&t, ",,,,", none, 1);
	ss_pick_device(&t, "52:54:00:00:00:99", G1, 0, 0, &d);
	assert_false(d.found);
	assert_false(d.unreadable);
	ss_table_free(&t);

	/* anything unreadable is an error with the row, never "not found" */
	table(&t, ",,,,", junk, 1);
	ss_pick_device(&t, "52:54:00:00:00:99", G1, 0, 0, &d);
	assert_false(d.found);
	assert_true(d.unreadable);
	assert_non_null(strstr(d.why, "?=abc"));
	ss_table_free(&t);
	table(&t, ",,,,", half, 1);
	ss_pick_device(&t, "52:54:00:00:00:99", G1, 0, 0, &d);
	assert_true(d.unreadable);
	ss_table_free(&t);
	table(&t, ",,,,", neg, 1);
	ss_pick_device(&t, "52:54:00:00:00:99", G1, 0, 0, &d);
	assert_true(d.unreadable);
	ss_table_free(&t);
	table(&t, "a,b", none, 2); /* two rows of two columns */
	ss_pick_device(&t, "52:54:00:00:00:99", G1, 0, 0, &d);
	assert_true(d.unreadable);
	ss_table_free(&t);

	table(&t, LOOKUP_COLS, named, 2);
	ss_pick_device(&t, "52:54:00:00:00:AA", G2, 0, 0, &d);
	assert_true(d.found);
	assert_int_equal(d.item_key, 16777223);
	assert_string_equal(d.name, "B");
	assert_true(d.dup_mac);
	ss_pick_device(&t, "52:54:00:00:00:AA", "", 0, 0, &d);
	assert_false(d.found);
	assert_string_equal(d.why, "MAC shared by several machines, GUID unknown");
	ss_table_free(&t);
	table(&t, LOOKUP_COLS, named_junk, 1);
	ss_pick_device(&t, "52:54:00:00:00:01", G1, 0, 0, &d);
	assert_true(d.unreadable);
	assert_non_null(strstr(d.why, "Name=badflag\\x01"));
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
	/* PackagePath as the site reports it, in both DP layouts */
	assert_int_equal(sccm_package_path("http://server.ourdomain.com/SMS_DP_SMSPKG$/SB1000D2",
	                                   "SB1000D2", pth, sizeof(pth)), 0);
	assert_string_equal(pth, "SB1000D2/boot.SB1000D2.wim");
	assert_int_equal(sccm_package_path("\\\\dp02\\REMINST\\SMSImages\\PS100004\\boot.PS100004.wim",
	                                   "PS100004", pth, sizeof(pth)), 0);
	assert_string_equal(pth, "SMSImages/PS100004/boot.PS100004.wim");
	assert_int_equal(sccm_package_path("SMSImages\\PS100004", "PS100004", pth, sizeof(pth)), 0);
	assert_string_equal(pth, "SMSImages/PS100004/boot.PS100004.wim");
	assert_int_equal(sccm_package_path("http://dp/SMS_DP_SMSPKG$/../../etc", "PS100007", pth,
	                                   sizeof(pth)), -EINVAL);
	assert_int_equal(sccm_package_path("http://dp", "PS100007", pth, sizeof(pth)), -EINVAL);
	assert_int_equal(sccm_package_path("\\\\dp", "PS100007", pth, sizeof(pth)), -EINVAL);
	assert_true(sccm_valid_id("PS100004"));
	assert_false(sccm_valid_id("PS1'; DROP"));
	assert_false(sccm_valid_id(""));
}

/* ---- deployment selection ------------------------------------------------- */
#define ACTION_COLS "OfferID,OfferIDTime,PkgID,PackageVersion,PackagePath,BootImageID," \
                    "Mandatory,LastPXEAdvertisementID,LastPXEAdvertisementTime"
#define URL4 "http://dp01/SMS_DP_SMSPKG$/PS100004"
#define URL6 "http://dp01/SMS_DP_SMSPKG$/PS100006"

static void test_select(void **state)
{
	static const char *const rows[] = {
		"PS120001", "2024-03-01", "PS100020", "3", URL4, "PS100004", "1", NULL, NULL,
		"PS12000B", "2024-01-05", "PS100024", "2", URL6, "PS100006", "0", NULL, NULL,
		"PS120003", "2024-04-01", "PS100020", "3", URL4, "PS100004", "0", NULL, NULL,
		"PS120002", "2024-05-01", "PS100021", "1", URL4, "PS100004", "0", NULL, NULL,
		"PS120004", "2024-05-01", "PS100022", "1", "", "", "0", NULL, NULL,
		"PS120007", "2024-06-01", "PS100020", "1", URL4, "PS100004", "1", "PS120007", NULL,
		"PS120008", NULL, "PS100020", "1", "http://dp/SMS_DP_SMSPKG$/../x", "PS100004", "1", NULL, NULL,
		"PS120009", NULL, "PS100020", "1", URL4, "PS100004", "maybe", NULL, NULL,
		"PS12000C", NULL, "PS100020", "1", URL4, "PS100099", "0", NULL, NULL,
		"bad id!", NULL, "PS100020", "1", URL4, "PS100004", "1", NULL, NULL,
		"PS120003", NULL, "PS100020", "3", URL4, "PS100004", "0", NULL, NULL,
		"", "", "", "", "", "", "", "", "",
	};
	static const char *const imgs[] = {"PS100004", "9", "PS100006", "0"};
	struct ss_table t, im;
	struct sccm_deploy d[8];
	struct ss_select_stats st;
	size_t n;

	(void)state;
	table(&t, ACTION_COLS, rows, 12);
	table(&im, "PackageID,Architecture", imgs, 2);
	/* UEFI x64: x64 images only; required first, then highest ID (not newest) */
	n = ss_select_deployments(&t, &im, SS_EFI_X64, d, 8, &st);
	assert_int_equal(n, 3);
	assert_string_equal(d[0].offer_id, "PS120001");
	assert_true(d[0].mandatory);
	assert_string_equal(d[1].offer_id, "PS120003");
	assert_string_equal(d[2].offer_id, "PS120002");
	assert_string_equal(d[0].image_path, "PS100004/boot.PS100004.wim");
	assert_string_equal(d[0].arch, "x64");
	assert_int_equal(st.rows, 12);
	assert_int_equal(st.no_boot_image, 1);
	assert_int_equal(st.already_run, 1);
	assert_int_equal(st.wrong_arch, 1);
	assert_int_equal(st.no_arch, 1);
	assert_int_equal(st.malformed, 3);
	assert_int_equal(st.duplicate, 1);
	assert_int_equal(st.empty, 1);
	assert_non_null(strstr(st.bad_row, "OfferID=PS120008"));
	/* 32-bit BIOS (and UEFI IA32): x86 images only */
	n = ss_select_deployments(&t, &im, SS_BIOS_X86, d, 8, &st);
	assert_int_equal(n, 1);
	assert_string_equal(d[0].offer_id, "PS12000B");
	/* 64-bit BIOS: exact (x64) first, the x86 one after, even before required */
	n = ss_select_deployments(&t, &im, SS_BIOS_X64, d, 8, &st);
	assert_int_equal(n, 4);
	assert_string_equal(d[0].offer_id, "PS120001");
	assert_string_equal(d[3].offer_id, "PS12000B");
	assert_int_equal(d[3].arch_rank, 1);
	/* ARM gets nothing */
	assert_int_equal(ss_select_deployments(&t, &im, SS_OTHER, d, 8, &st), 0);
	/* bounded */
	assert_int_equal(ss_select_deployments(&t, &im, SS_BIOS_X64, d, 2, &st), 2);
	ss_table_free(&t);
	/* no OfferID column at all: unreadable, not "nothing deployed" */
	table(&t, "Foo,Bar", imgs, 1);
	assert_int_equal(ss_select_deployments(&t, &im, SS_EFI_X64, d, 8, &st), 0);
	assert_true(st.unreadable);
	ss_table_free(&t);
	ss_table_free(&im);
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

/* "KEY = TOP/etc/sql/FILE\n" unless MORE sets KEY itself */
static void sql_key(char *out, size_t len, const char *more, const char *key, const char *file)
{
	char probe[64];

	snprintf(probe, sizeof(probe), "%s =", key);
	out[0] = '\0';
	if (!more || !strstr(more, probe))
		snprintf(out, len, "%s = %s/etc/sql/%s\n", key, top, file);
}

static pxh_tk *kit(const char *servers, const char *more)
{
	char ini[4096], srv[64], k[4][400];
	pxh_tk *tk;

	snprintf(srv, sizeof(srv), "127.0.0.1:%d", main_srv.port);
	sql_key(k[0], sizeof(k[0]), more, "lookup_sql", "sccm_lookup_device.sql");
	sql_key(k[1], sizeof(k[1]), more, "unknown_sql", "sccm_unknown_computers.sql");
	sql_key(k[2], sizeof(k[2]), more, "boot_action_sql", "sccm_boot_action.sql");
	sql_key(k[3], sizeof(k[3]), more, "boot_images_sql", "sccm_boot_images.sql");
	snprintf(ini, sizeof(ini),
	         "[log]\nlevel = %s\n"
	         "[boot]\ndecision_timeout = 5s\ndefault_action = menu\n"
	         "[sccm_sql]\nservers = %s\nuser = pxehub\npassword = S3cret!\n"
	         "dp_name = dp01.corp.example\n%s%s%s%s%s%s",
	         getenv("SCCM_UT_LOG") ? getenv("SCCM_UT_LOG") : "warning",
	         servers ? servers : srv, more && strstr(more, "site_code =") ? "" : "site_code = PS1\n",
	         k[0], k[1], k[2], k[3], more ? more : "");
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
	assert_non_null(strstr(d.reason, "machine 16777220"));
	assert_non_null(strstr(d.reason, "default PS120001 (required)"));
	/* the iPXE phase reads the cache: still one lookup */
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	s = d.script;
	assert_true(at(s, "#!ipxe") == 0);
	/* required default with a countdown; required first, then the highest
	 * deployment ID (PS120003 before the newer PS120002); the x86 PS12000B
	 * is not for a UEFI x64 client */
	assert_true(at(s, "set pxh_timeout 10000") > 0);
	assert_true(at(s, "set pxh_defopt d0") > 0);
	assert_true(at(s, "item d0 PS120001 - PS100020 (required)") > 0);
	assert_true(at(s, "item d1 PS120003") > at(s, "item d0"));
	assert_true(at(s, "item d2 PS120002") > at(s, "item d1"));
	assert_int_equal(at(s, "PS120004"), -1);
	assert_int_equal(at(s, "PS120005"), -1);
	assert_int_equal(at(s, "PS12000B"), -1);
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
	/* the site dropped the required one already run (LastPXEAdvertisement) */
	assert_null(strstr(d.script, "(required)"));
	assert_null(strstr(d.script, "PS120001"));
	/* only available ones: a key prompt, then a menu without countdown */
	assert_true(at(d.script, "prompt --timeout 5000") > 0);
	assert_true(at(d.script, "set pxh_timeout 0") > 0);
	assert_true(at(d.script, "item d0 PS120003") > 0);
	assert_true(at(d.script, "item d1 PS120002") > 0);
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
	assert_non_null(strstr(d.reason, "machine 16777223"));
	assert_non_null(strstr(d.reason, "MAC is shared"));
	assert_non_null(strstr(d.script, "PS120006"));
	/* shared MAC and no GUID: this site's (PS1) unknown computer */
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:aa", "", "efi-x64", &d);
	assert_non_null(strstr(d.reason, "unknown computer 2046820353"));
	assert_non_null(strstr(d.script, "PS120007"));
	/* cloned GUID: the MAC decides */
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:0d", "00000000-0000-0000-0000-00000000000C",
	       "efi-x64", &d);
	assert_non_null(strstr(d.reason, "machine 16777225"));
	assert_non_null(strstr(d.reason, "by MAC"));
	pxh_tk_free(tk);
	/* the cloned GUID's MAC on the site's duplicate list: no machine left,
	 * so the unknown object answers */
	tk = kit(NULL, "duplicate_ids = 52-54-00-00-00-0d 11111111-0000-0000-0000-000000000000\n");
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:0d", "00000000-0000-0000-0000-00000000000C",
	       "efi-x64", &d);
	assert_non_null(strstr(d.reason, "unknown computer 2046820353"));
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
	assert_non_null(strstr(d.script, "PS120007"));
	assert_null(strstr(d.script, "PS120008"));
	assert_null(strstr(d.script, "CAS20001")); /* the other site's object's */
	/* BIOS: the x86 object (default unknown_bios_arch) */
	decide(tk, PXH_PHASE_IPXE, "02:00:00:00:12:35", "", "bios", &d);
	assert_non_null(strstr(d.reason, "x86 unknown computer 2046820352"));
	assert_non_null(strstr(d.script, "PS120008"));
	assert_null(strstr(d.script, "PS120007")); /* x64 image: not for 32-bit BIOS */
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
	assert_non_null(strstr(d.script, "PS12000A"));
	assert_null(strstr(d.script, "PS120009"));
	assert_null(strstr(d.script, "etc"));
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

/* A file in the test's directory with TEXT; its path in OUT. */
static void sql_file(char *out, size_t len, const char *name, const char *text)
{
	FILE *f;

	snprintf(out, len, "%s/%s", dir, name);
	f = fopen(out, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_site_code(void **state)
{
	char path[320], more[400];
	pxh_tk *tk;
	pxh_tk_decision d;

	(void)state;
	/* a query without the site code sees two sites' pairs: an error, not
	 * whichever row comes first (that would be CAS's 2046820369) */
	sql_file(path, sizeof(path), "unk_all.sql",
	         "SELECT ItemKey, CPUType0 AS Architecture FROM UnknownSystem_DISC "
	         "WHERE Decommissioned0 = 0\n");
	snprintf(more, sizeof(more), "unknown_sql = %s\nfail_policy = local\n", path);
	tk = kit(NULL, more);
	decide(tk, PXH_PHASE_IPXE, "02:00:00:00:12:40", "", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_non_null(strstr(d.reason, "several per architecture"));
	assert_null(strstr(d.reason, "2046820369"));
	pxh_tk_free(tk);
	/* the other site's code picks the other pair */
	tk = kit(NULL, "site_code = CAS\n");
	decide(tk, PXH_PHASE_IPXE, "02:00:00:00:12:41", "", "efi-x64", &d);
	assert_non_null(strstr(d.reason, "unknown computer 2046820369"));
	assert_non_null(strstr(d.script, "CAS20001"));
	pxh_tk_free(tk);
}

static void test_unreadable_lookup(void **state)
{
	char path[320], more[400];
	pxh_tk *tk;
	pxh_tk_decision d;
	const pxh_event *ev;

	(void)state;
	/* a result of another shape than expected: an error with the raw row
	 * (escaped), never the unknown-computer deployments */
	sql_file(path, sizeof(path), "look_odd.sql",
	         "SELECT N'16777220' AS A, N'one' AS B, 0 AS C, 0 AS D\n");
	snprintf(more, sizeof(more), "lookup_sql = %s\nfail_policy = local\n", path);
	tk = kit(NULL, more);
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_non_null(strstr(d.reason, "unreadable lookup result"));
	assert_non_null(strstr(d.reason, "B=one"));
	assert_null(strstr(d.reason, "unknown computer"));
	ev = pxh_tk_last_event(tk, PXH_EV_PLUGIN);
	assert_non_null(ev);
	assert_non_null(strstr(ev->message, "unreadable"));
	pxh_tk_free(tk);
}

static void test_bios_arch(void **state)
{
	pxh_tk *tk = kit(NULL, NULL);
	pxh_tk_decision d;

	(void)state;
	/* 32-bit BIOS (the default): x86 images only, so not the required x64 one */
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "bios", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_non_null(strstr(d.script, "item d0 PS12000B"));
	assert_null(strstr(d.script, "PS120001"));
	pxh_tk_free(tk);
	/* 64-bit BIOS: exact architecture first, the compatible x86 image last */
	tk = kit(NULL, "bios_arch = x64\n");
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "bios", &d);
	assert_true(at(d.script, "item d0 PS120001") > 0);
	assert_true(at(d.script, "item d3 PS12000B") > at(d.script, "item d2 PS120002"));
	pxh_tk_free(tk);
}

/* A boot image whose bytes do not match the hash a query returns is never
 * served (an admin's own statement may add BootImageHash). */
static void test_content_hash(void **state)
{
	char path[320], more[1200], cmd[700], h4[80] = "";
	pxh_tk *tk;
	pxh_tk_decision d;
	FILE *f;

	(void)state;
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/dp/PS100004 %s/dp/PS100006 && "
	         "head -c 70000 /dev/urandom >%s/dp/PS100004/boot.PS100004.wim && "
	         "head -c 50000 /dev/urandom >%s/dp/PS100006/boot.PS100006.wim && "
	         "sha256sum %s/dp/PS100004/boot.PS100004.wim", dir, dir, dir, dir, dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_non_null(fgets(h4, sizeof(h4), f));
	pclose(f);
	h4[64] = '\0';
	snprintf(cmd, sizeof(cmd),
	         "SELECT N'PS12000D' AS OfferID, N'PS100004' AS BootImageID, N'PS100004' AS "
	         "PackagePath, 0 AS Mandatory, N'%s' AS BootImageHash\n"
	         "UNION ALL SELECT N'PS12000E', N'PS100006', N'PS100006', 0, N'%064d'\n", h4, 0);
	sql_file(path, sizeof(path), "action_hash.sql", cmd);
	snprintf(more, sizeof(more), "boot_action_sql = %s\nbios_arch = x64\ncontent_dir = %s/dp\n"
	         "boot_sdi_path =\nbcd_path_x64 =\nbcd_path_x86 =\n", path, dir);
	tk = kit(NULL, more);
	decide(tk, PXH_PHASE_DHCP, KNOWN_MAC, KNOWN_GUID, "bios", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	for (int i = 0; i < 50 && pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_content_fetched") +
	                                  pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_content_failed") < 2; i++)
		pxh_tk_run(tk, 0.1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_content_fetched"), 1);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_content_failed"), 1);
	pxh_tk_free(tk);
}


/* The boot media hand-over (media_bootstrap_ini, media_variables,
 * media_helper_dir): the WinPE answer injects exactly the media's
 * TsmBootstrap.ini and Variables.dat and the helper files, each
 * under its own name from /files/sccm/media/, before boot.wim; a missing or
 * foreign file is a load error; without it nothing changes. */
static void test_media_handover(void **state)
{
	char md[96], more[800], cmd[1000];
	const char *s;
	const char *names[] = {"TsmBootstrap.ini", "Variables.dat", "winpeshl.ini",
	                       "pxehub-media.js"};
	pxh_tk *tk;
	pxh_tk_decision d;
	long prev = 0;

	(void)state;
	snprintf(md, sizeof(md), "%s/media", dir);
	/* the export as the console writes it, names in any case */
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && printf '[MediaInfo]\\r\\nMediaType=BootMedia\\r\\n"
	         "PasswordRequired=false\\r\\nUnattended=false\\r\\n' >%s/TSMBOOTSTRAP.INI && "
	         "head -c 3000 /dev/urandom >%s/variables.dat",
	         md, md, md);
	assert_int_equal(system(cmd), 0);
	snprintf(more, sizeof(more), "media_bootstrap_ini = %s/TSMBOOTSTRAP.INI\n"
	         "media_variables = %s/variables.dat\nmedia_helper_dir = %s/etc/sccm_media\n", md, md,
	         top);
	tk = kit(NULL, more);
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	s = d.script;
	/* d0's section: the four files in order, after the BCD and boot.sdi,
	 * before boot.wim, each named as injected */
	s = strstr(s, ":sccm_boot_0");
	assert_non_null(s);
	assert_true(at(s, "initrd -n boot.sdi ") > 0);
	prev = at(s, "initrd -n boot.sdi ");
	for (size_t i = 0; i < 4; i++) {
		char want[160];
		long here;
		snprintf(want, sizeof(want), "initrd -n %s ", names[i]);
		here = at(s, want);
		assert_true(here > prev);
		snprintf(want, sizeof(want), "/files/sccm/media/%s %s || goto pxh_fail\n", names[i],
		         names[i]);
		assert_true(at(s + here, want) > 0);
		assert_true(at(s + here, want) < at(s + here, "\n"));
		prev = here;
	}
	assert_true(at(s, "initrd -n boot.wim ") > prev);
	/* exactly those: seven initrds in d0's section */
	{
		const char *end = strstr(s, "\nboot || goto pxh_fail");
		int n = 0;
		assert_non_null(end);
		for (const char *p = s; (p = strstr(p, "initrd ")) && p < end; p++)
			n++;
		assert_int_equal(n, 7);
	}
	pxh_tk_free(tk);

	/* without the keys: nothing of it */
	tk = kit(NULL, NULL);
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_int_equal(at(d.script, "/files/sccm/media/"), -1);
	assert_int_equal(at(d.script, "Variables.dat"), -1);
	pxh_tk_free(tk);

	/* only one of the two, or a TsmBootstrap.ini that is no boot media's:
	 * a load error (the log names the key's FILE:LINE; a path that does not
	 * exist is pxehubd -t's error: test_sccm_sql media_missing_t) */
	snprintf(more, sizeof(more), "media_bootstrap_ini = %s/TSMBOOTSTRAP.INI\n", md);
	{
		char ini[3000], srv[64];
		snprintf(srv, sizeof(srv), "127.0.0.1:%d", main_srv.port);
		for (int k = 0; k < 2; k++) {
			snprintf(ini, sizeof(ini), "[sccm_sql]\nservers = %s\nuser = u\nsite_code = PS1\n"
			         "lookup_sql = %s/etc/sql/sccm_lookup_device.sql\n"
			         "unknown_sql = %s/etc/sql/sccm_unknown_computers.sql\n"
			         "boot_action_sql = %s/etc/sql/sccm_boot_action.sql\n"
			         "boot_images_sql = %s/etc/sql/sccm_boot_images.sql\n%s%s%s%s", srv, top,
			         top, top, top, more, k ? "media_variables = " : "", k ? md : "",
			         k ? "/variables.dat\n" : "");
			if (k) {
				snprintf(cmd, sizeof(cmd), "echo '[Other]' >%s/TSMBOOTSTRAP.INI", md);
				assert_int_equal(system(cmd), 0);
			}
			tk = pxh_tk_new(ini);
			assert_int_not_equal(pxh_tk_load(tk, so_path), 0);
			assert_non_null(strstr(pxh_tk_error(tk), "init failed"));
			pxh_tk_free(tk);
		}
	}
}

/* The validation kit's route, in-process (what pxehubctl sccm check calls) */
static void test_check_route(void **state)
{
	pxh_tk *tk = kit(NULL, NULL);
	char *body = NULL;

	(void)state;
	assert_int_equal(pxh_tk_http(tk, "sccm_sql", "GET",
	                             "/check?mac=52-54-00-00-00-01&uuid=" KNOWN_GUID "&arch=efi-x64",
	                             NULL, &body), 200);
	assert_non_null(strstr(body, "\"ok\": true"));
	assert_non_null(strstr(body, "\"offer_id\": \"PS120001\""));
	assert_non_null(strstr(body, "02:00:5E:00:00:01")); /* the fixture */
	free(body);
	assert_int_equal(pxh_tk_http(tk, "sccm_sql", "GET", "/check?mac=nonsense", NULL, &body),
	                 400);
	free(body);
	pxh_tk_free(tk);
}

static void test_reimage_guard(void **state)
{
	pxh_tk *tk = kit(NULL, "cache_ttl = 0\n");
	pxh_tk_decision d;

	(void)state;
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_true(at(d.script, "set pxh_defopt d0") > 0);
	assert_true(at(d.script, "(required)") > 0);
	/* the next boot (nobody recorded the PXE deployment on the site): the
	 * same required deployment is offered without the countdown */
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_non_null(strstr(d.reason, "reimage_guard"));
	assert_null(strstr(d.script, "(required)"));
	assert_true(at(d.script, "set pxh_timeout 0") > 0);
	assert_int_equal(pxh_tk_metric(tk, "pxehub_plugin_sccm_sql_reimage_guarded"), 1);
	/* another machine is not affected */
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:AA", "00000000-0000-0000-0000-00000000000B",
	       "efi-x64", &d);
	assert_null(strstr(d.reason, "reimage_guard"));
	pxh_tk_free(tk);
	/* switched off */
	tk = kit(NULL, "cache_ttl = 0\nreimage_guard = 0\n");
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	decide(tk, PXH_PHASE_IPXE, KNOWN_MAC, KNOWN_GUID, "efi-x64", &d);
	assert_true(at(d.script, "(required)") > 0);
	pxh_tk_free(tk);
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
	assert_string_equal(ev->client->mac, "52:54:00:00:00:01");
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
		         "site_code = PS1\nlookup_sql = %s/etc/sql/sccm_lookup_device.sql\n"
		         "unknown_sql = %s/etc/sql/sccm_unknown_computers.sql\n"
		         "boot_action_sql = %s/etc/sql/sccm_boot_action.sql\n"
		         "boot_images_sql = %s/etc/sql/sccm_boot_images.sql\n",
		         srv, top, top, top, top);
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
	assert_int_equal(start_standin(&slow, "--delay", "1.0"), 0);
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
	/* the lookup (four statements) finishes in the background and fills the cache */
	pxh_tk_run(tk, 6.0);
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
		cmocka_unit_test(test_site_code),
		cmocka_unit_test(test_unreadable_lookup),
		cmocka_unit_test(test_bios_arch),
		cmocka_unit_test(test_reimage_guard),
		cmocka_unit_test(test_check_route),
		cmocka_unit_test(test_content_hash),
		cmocka_unit_test(test_media_handover),
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
