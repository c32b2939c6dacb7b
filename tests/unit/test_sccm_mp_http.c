/* sccm_mp_http (unit): request templates, UTF-16LE, multipart and zlib
 * payloads, the reply XML (UTF-16 with and without BOM, UTF-8, malformed
 * attributes, entities left alone) directly; then the plugin through the
 * test kit against the management point stand-in (tests/mp/mp_server.py):
 * DHCP and iPXE phase for a known machine, no deployment, an unknown
 * computer, failover from a dead MP, all MPs down (fail policy). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "pxehub/testkit.h"
#include "../../plugins/common/sccm/sccm_ids.c"
#include "../../plugins/sccm_mp_http/mp_msg.c"
#include "../../plugins/sccm_mp_http/mp_xml.c"
#include "../../plugins/sccm_mp_http/mp_sign.c"

extern char **environ;

static char top[256], so_path[320], dir[64];

/* ---- client authentication ------------------------------------------------ */
/* The public key blob and a byte-reversed RSA-SHA256 signature that
 * GnuTLS verifies once the bytes are turned around again (sccmwtf's
 * CryptoTools.sign / buildMSPublicKeyBlob). */
static void test_signer(void **st)
{
	static const uint8_t data[] = "payload";
	char key[128], cmd[300], why[200] = "", hex[1100];
	struct mp_signer *s;
	uint8_t sig[512];
	size_t n;
	gnutls_pubkey_t pub;
	gnutls_datum_t d = {(unsigned char *)data, sizeof(data)}, sd;

	(void)st;
	snprintf(key, sizeof(key), "%s/sign.key", dir);
	snprintf(cmd, sizeof(cmd), "openssl genrsa -out %s 2048 2>/dev/null", key);
	if (system(cmd))
		skip();
	s = mp_signer_load(key, why, sizeof(why));
	assert_non_null(s);
	/* PUBLICKEYBLOB, CALG_RSA_KEYX, "RSA1", 2048 bits, exponent 65537 */
	assert_memory_equal(mp_signer_public_blob(s), "0602000000A40000525341310008000001000100", 40);
	assert_int_equal(strlen(mp_signer_public_blob(s)), 2 * (20 + 256));
	assert_int_equal(mp_sign_rev(s, data, sizeof(data), hex, sizeof(hex)), 0);
	n = strlen(hex) / 2;
	assert_int_equal(n, 256);
	for (size_t i = 0; i < n; i++) { /* back to the usual byte order */
		unsigned v;
		sscanf(hex + 2 * i, "%2X", &v);
		sig[n - 1 - i] = (uint8_t)v;
	}
	sd.data = sig;
	sd.size = (unsigned)n;
	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_privkey(pub, s->key, 0, 0), 0);
	assert_true(gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256, 0, &d, &sd) >= 0);
	sig[0] ^= 1;
	assert_true(gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_RSA_SHA256, 0, &d, &sd) < 0);
	gnutls_pubkey_deinit(pub);
	assert_int_equal(mp_sign_rev(s, data, sizeof(data), hex, 100), -E2BIG);
	mp_signer_free(s);
	/* not a key */
	assert_null(mp_signer_load("/etc/hostname", why, sizeof(why)));
	assert_non_null(strstr(why, "signing_key"));
}

/* ---- templates and encodings ---------------------------------------------- */
static void test_template(void **state)
{
	struct mp_var v[] = {{"mac", "52:54:00:AA:BB:CC"}, {"name", "<a&'\">"}, {"empty", NULL}};
	char why[120];
	char *s;

	(void)state;
	s = mp_template_expand("<M m=\"{{mac}}\">{{name}}{{empty}}</M>", v, 3, why, sizeof(why));
	assert_non_null(s);
	assert_string_equal(s, "<M m=\"52:54:00:AA:BB:CC\">&lt;a&amp;&apos;&quot;&gt;</M>");
	free(s);
	assert_null(mp_template_expand("{{nope}}", v, 3, why, sizeof(why)));
	assert_string_equal(why, "unknown placeholder {{nope}}");
	assert_null(mp_template_expand("x {{mac", v, 3, why, sizeof(why)));
	s = mp_template_expand("", v, 3, why, sizeof(why));
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void test_utf16(void **state)
{
	size_t n;
	uint8_t *u;

	(void)state;
	u = mp_utf16le("A\xc3\xa9\xf0\x9f\x98\x80", &n); /* A, e-acute, U+1F600 */
	assert_non_null(u);
	assert_int_equal(n, 8);
	assert_memory_equal(u, "A\0\xe9\0\x3d\xd8\x00\xde", 8);
	free(u);
	assert_null(mp_utf16le("\xc3", &n));         /* truncated */
	assert_null(mp_utf16le("\xed\xa0\x80", &n)); /* a surrogate in UTF-8 */
	assert_null(mp_utf16le("\xff", &n));
}

static void test_multipart_zlib(void **state)
{
	const char *xml = "<ClientIDReply/>";
	uint8_t *z, *body, *free_me;
	const uint8_t *out;
	size_t zl, bl, ol;
	const char *ct;

	(void)state;
	z = mp_zlib((const uint8_t *)xml, strlen(xml), &zl);
	assert_non_null(z);
	body = mp_multipart((const uint8_t *)"H\0", 2, z, zl, &ct, &bl);
	assert_non_null(body);
	assert_non_null(strstr(ct, "boundary="));
	assert_int_equal(mp_reply_payload(body, bl, ct, &out, &ol, &free_me), 0);
	assert_int_equal(ol, strlen(xml));
	assert_memory_equal(out, xml, ol);
	free(free_me);
	/* not multipart, not compressed: the body as it is */
	assert_int_equal(mp_reply_payload((const uint8_t *)xml, strlen(xml), "text/xml", &out,
	                                  &ol, &free_me), 0);
	assert_ptr_equal(out, xml);
	assert_null(free_me);
	/* a multipart body without its boundary, a broken zlib stream */
	assert_int_equal(mp_reply_payload(body, bl, "multipart/mixed; boundary=zzz", &out, &ol,
	                                  &free_me), -EBADMSG);
	z[zl - 1] ^= 0xff;
	assert_int_equal(mp_reply_payload(z, zl, "", &out, &ol, &free_me), -EBADMSG);
	free(z);
	free(body);
}

/* ---- reply XML ---------------------------------------------------------------- */
#define REPLY                                                                           \
	"<ClientIDReply><Identification Unknown=\"0\" ItemKey=\"16777220\" "              \
	"DuplicateSMBIOS=\"0\" DuplicateMACAddress=\"1\"><Machine><ClientID>GUID:1</ClientID>" \
	"<NetbiosName>PC01</NetbiosName></Machine></Identification><PXEBootAction "       \
	"LastPXEAdvertisementID=\"\" OfferID=\"PS120001\" PkgID=\"PS100005\" "            \
	"PackagePath=\"http://dp/SMS_DP_SMSPKG$/PS100004\" BootImageID=\"PS100004\" "     \
	"Mandatory=\"1\"/></ClientIDReply>"

static void check_reply(const uint8_t *p, size_t len)
{
	struct mp_reply r;
	char why[200];

	assert_int_equal(mp_parse_reply(p, len, &r, why, sizeof(why)), 0);
	assert_true(r.has_ident);
	assert_int_equal(r.ident.item_key, 16777220);
	assert_false(r.ident.unknown);
	assert_true(r.ident.dup_mac);
	assert_false(r.ident.dup_smbios);
	assert_string_equal(r.ident.name, "PC01");
	assert_string_equal(r.ident.client_id, "GUID:1");
	assert_true(r.action.present);
	assert_string_equal(r.action.offer_id, "PS120001");
	assert_string_equal(r.action.boot_image, "PS100004");
	assert_true(r.action.mandatory);
}

static void test_reply_encodings(void **state)
{
	size_t n;
	uint8_t *u = mp_utf16le(REPLY, &n), *bom = malloc(n + 2);

	(void)state;
	assert_non_null(u);
	check_reply((const uint8_t *)REPLY, strlen(REPLY)); /* UTF-8 */
	check_reply(u, n);                                   /* UTF-16LE, no BOM */
	bom[0] = 0xff;
	bom[1] = 0xfe;
	memcpy(bom + 2, u, n);
	check_reply(bom, n + 2); /* with BOM */
	free(u);
	free(bom);
}

static void test_reply_malformed(void **state)
{
	struct mp_reply r;
	char why[200];
	const char *bad[] = {
		"<ClientIDReply><Identification ItemKey=\"-1\"/></ClientIDReply>",
		"<ClientIDReply><Identification ItemKey=\"12x\"/></ClientIDReply>",
		"<ClientIDReply><Identification Unknown=\"maybe\"/></ClientIDReply>",
		"<ClientIDReply><PXEBootAction OfferID=\"PS1'; DROP\"/></ClientIDReply>",
		"<ClientIDReply><PXEBootAction OfferID=\"PS1\" Mandatory=\"2\"/></ClientIDReply>",
		"<Other/>",
		"<ClientIDReply>",
		"",
	};
	const char *none, *xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY e SYSTEM "
	                  "\"file:///etc/hostname\">]><ClientIDReply><Identification "
	                  "ItemKey=\"1\"><Machine><NetbiosName>&e;</NetbiosName></Machine>"
	                  "</Identification></ClientIDReply>";

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mp_parse_reply((const uint8_t *)bad[i], strlen(bad[i]), &r, why,
		                                sizeof(why)), -EBADMSG);
	/* an empty PXEBootAction is "no deployment", not an error */
	none = "<ClientIDReply><PXEBootAction OfferID=\"\" Mandatory=\"\"/></ClientIDReply>";
	assert_int_equal(mp_parse_reply((const uint8_t *)none, strlen(none), &r, why,
	                                sizeof(why)), 0);
	assert_false(r.action.present);
	/* external entities are never read */
	assert_int_equal(mp_parse_reply((const uint8_t *)xxe, strlen(xxe), &r, why, sizeof(why)), 0);
	assert_string_equal(r.ident.name, "");
}

static void test_site(void **state)
{
	const char *a = "<MPKEYINFORMATIONMEDIA><SITECODE>PS1</SITECODE><UNKNOWNMACHINES "
	                "x86UnknownMachineGUID=\"g86\" x64UnknownMachineGUID=\"g64\"/>"
	                "</MPKEYINFORMATIONMEDIA>";
	const char *b = "<KeyInfo><SiteCode> XY9 </SiteCode><x64UnknownMachineGUID>g64"
	                "</x64UnknownMachineGUID></KeyInfo>";
	const char *c = "<KeyInfo><SITECODE>P S1</SITECODE></KeyInfo>";
	struct mp_site s;
	char why[200];

	(void)state;
	assert_int_equal(mp_parse_site((const uint8_t *)a, strlen(a), &s, why, sizeof(why)), 0);
	assert_string_equal(s.site_code, "PS1");
	assert_string_equal(s.unknown_x86, "g86");
	assert_string_equal(s.unknown_x64, "g64");
	assert_int_equal(mp_parse_site((const uint8_t *)b, strlen(b), &s, why, sizeof(why)), 0);
	assert_string_equal(s.site_code, "XY9");
	assert_string_equal(s.unknown_x86, "");
	assert_string_equal(s.unknown_x64, "g64");
	assert_int_equal(mp_parse_site((const uint8_t *)c, strlen(c), &s, why, sizeof(why)),
	                 -EBADMSG);
}

/* ---- the plugin against the stand-in ---------------------------------------------- */
static pid_t standin;
static int standin_port;

static int start_standin(void)
{
	char srv[320], pf[128], log[128];
	char *argv[] = {"/usr/bin/python3", srv, "--port-file", pf, "--log", log, NULL};

	snprintf(srv, sizeof(srv), "%s/tests/mp/mp_server.py", top);
	snprintf(pf, sizeof(pf), "%s/port", dir);
	snprintf(log, sizeof(log), "%s/mp.log", dir);
	if (posix_spawn(&standin, argv[0], NULL, NULL, argv, environ))
		return -1;
	for (int i = 0; i < 200; i++) {
		FILE *f = fopen(pf, "r");
		if (f) {
			int ok = fscanf(f, "%d", &standin_port) == 1;
			fclose(f);
			if (ok)
				return 0;
		}
		usleep(25000);
	}
	return -1;
}

static pxh_tk *kit(const char *mps)
{
	char ini[4096];
	pxh_tk *tk;

	snprintf(ini, sizeof(ini),
	         "[log]\nlevel = warning\n[boot]\ndecision_timeout = 5s\ndefault_action = menu\n"
	         "[sccm_mp_http]\ndeadline = 2s\nfail_policy = local\nno_deployment = ignore\n"
	         "retries = 0\ndown_time = 0s\n"
	         "header_template = %s/etc/sccm_mp/header.xml\n"
	         "lookup_template = %s/etc/sccm_mp/lookup.xml\n"
	         "boot_action_template = %s/etc/sccm_mp/boot_action.xml\n%s",
	         top, top, top, mps);
	tk = pxh_tk_new(ini);
	assert_non_null(tk);
	if (pxh_tk_load(tk, so_path))
		fail_msg("load: %s", pxh_tk_error(tk));
	return tk;
}

static void decide(pxh_tk *tk, enum pxh_phase ph, const char *mac, const char *arch,
                   pxh_tk_decision *d)
{
	pxh_client c;

	assert_int_equal(pxh_tk_client(&c, ph, mac, arch), 0);
	assert_int_equal(pxh_tk_decide(tk, &c, d), 0);
}

static void test_plugin(void **state)
{
	char mps[512];
	pxh_tk *tk;
	pxh_tk_decision d;

	(void)state;
	/* the first MP refuses connections: everything comes from the second */
	snprintf(mps, sizeof(mps), "[sccm_mp_http.dead]\nurl = http://127.0.0.1:9\n"
	         "[sccm_mp_http.standin]\nurl = http://127.0.0.1:%d\n", standin_port);
	tk = kit(mps);
	decide(tk, PXH_PHASE_DHCP, "52:54:00:00:00:01", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_string_equal(d.plugin, "sccm_mp_http");
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:01", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_non_null(strstr(d.script, "item d0 PS120001 - PS100005 (required)"));
	assert_non_null(strstr(d.script, "/files/sccm/PS100004/boot.wim"));
	assert_true(d.seconds < 0.1); /* the DHCP phase's lookup, cached */
	/* no deployment: no_deployment = ignore */
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:02", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_IGNORE);
	assert_non_null(strstr(d.reason, "no deployment"));
	/* unknown computer, x64 object */
	decide(tk, PXH_PHASE_IPXE, "02:00:00:00:00:99", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_BOOT);
	assert_non_null(strstr(d.script, "unknown computer"));
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_sccm_mp_http_mp_failovers") >= 1);
	assert_true(pxh_tk_metric(tk, "pxehub_plugin_sccm_mp_http_unknown_computers") >= 1);
	pxh_tk_free(tk);

	/* every MP down: the fail policy (local) answers, an event says why */
	tk = kit("[sccm_mp_http.dead]\nurl = http://127.0.0.1:9\n");
	decide(tk, PXH_PHASE_IPXE, "52:54:00:00:00:01", "efi-x64", &d);
	assert_int_equal(d.verdict, PXH_LOCAL);
	assert_non_null(strstr(d.reason, "management point"));
	assert_non_null(pxh_tk_last_event(tk, PXH_EV_PLUGIN));
	pxh_tk_free(tk);
}

static void test_bad_config(void **state)
{
	pxh_tk *tk;

	(void)state;
	tk = pxh_tk_new("[sccm_mp_http]\n"); /* no [sccm_mp_http.NAME] */
	assert_int_not_equal(pxh_tk_load(tk, so_path), 0);
	pxh_tk_free(tk);
	tk = pxh_tk_new("[sccm_mp_http.a]\nurl = ftp://x\n");
	assert_int_not_equal(pxh_tk_load(tk, so_path), 0);
	pxh_tk_free(tk);
}

static int group_setup(void **state)
{
	(void)state;
	return start_standin();
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	if (standin > 0) {
		kill(standin, SIGTERM);
		waitpid(standin, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_multipart_zlib),
		cmocka_unit_test(test_reply_encodings),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_site),
		cmocka_unit_test(test_plugin),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_signer),
	};
	const char *b = getenv("B");

	if (!getcwd(top, sizeof(top)))
		return 1;
	snprintf(so_path, sizeof(so_path), "%s/%s/lib/pxehub/plugins/sccm_mp_http.so", top,
	         b ? b : "build");
	snprintf(dir, sizeof(dir), "/tmp/pxh-mp-unit.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
