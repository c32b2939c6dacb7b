/* proxyDHCP parser, client facts, builder (replies decoded by tshark), rate
 * limit; fixtures are DISCOVERs captured from QEMU's real firmware. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcp/dhcp.h"
#include "answer.h"
#include "conf.h"

#define ASYM_UUID "01234567-89AB-CDEF-0123-456789ABCDEF"

static const char *fixture_dir(void)
{
	const char *d = getenv("PXH_DHCP_FIXTURES");
	return d ? d : "tests/fixtures/dhcp";
}

/* Read a hex fixture (one packet, the UDP payload) into BUF. */
static size_t load_hex(const char *name, uint8_t *buf, size_t cap)
{
	char path[512], line[8192];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	for (char *p = line; p[0] && p[1] && n < cap; p += 2) {
		unsigned v;
		if (sscanf(p, "%2x", &v) != 1)
			break;
		buf[n++] = (uint8_t)v;
	}
	return n;
}

static struct pxh_dhcp_msg *msg_new(void)
{
	struct pxh_dhcp_msg *m = calloc(1, sizeof(*m));
	assert_non_null(m);
	return m;
}

/* A minimal DHCP request with the given options (already encoded). */
static size_t craft(uint8_t *p, size_t cap, uint8_t type, const void *opts,
                    size_t olen)
{
	memset(p, 0, cap);
	p[0] = BOOTREQUEST;
	p[1] = 1;
	p[2] = 6;
	p[4] = 0xde, p[5] = 0xad, p[6] = 0xbe, p[7] = 0xef;
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
	memcpy(p + DHCP_OFF_CHADDR, mac, 6);
	p[236] = 0x63, p[237] = 0x82, p[238] = 0x53, p[239] = 0x63;
	size_t i = 240;
	p[i++] = 53, p[i++] = 1, p[i++] = type;
	memcpy(p + i, opts, olen);
	i += olen;
	p[i++] = 255;
	return i;
}

/* ---- captured fixtures -------------------------------------------------- */
static void check_fixture(const char *name, const char *mac, uint16_t arch,
                          const char *arch_name, const char *undi,
                          const char *user_class, int ipxe, int http)
{
	uint8_t pkt[DHCP_MAX_PKT];
	struct pxh_dhcp_msg *m = msg_new();
	pxh_client c;
	const char *why = NULL;
	size_t n = load_hex(name, pkt, sizeof(pkt));

	if (n == 0) {
		print_message("fixture %s missing\n", name);
		fail();
	}
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), 0);
	assert_int_equal(m->msg_type, DHCPDISCOVER);
	assert_true(pxh_dhcp_is_pxe(m));
	pxh_dhcp_fill_client(&c, m, "eth0", "10.0.0.1");
	assert_string_equal(c.mac, mac);
	assert_int_equal(c.arch, arch);
	assert_string_equal(c.arch_name, arch_name);
	assert_string_equal(c.undi, undi);
	assert_string_equal(c.user_class, user_class);
	assert_int_equal(!!c.is_ipxe, ipxe);
	assert_int_equal(!!c.is_http_boot, http);
	assert_string_equal(c.uuid, ASYM_UUID);
	assert_int_equal(c.phase, PXH_PHASE_DHCP);
	assert_string_equal(c.iface, "eth0");
	/* pxh_client_option reads the raw packet */
	size_t l = 0;
	const uint8_t *v = pxh_client_option(&c, DHCP_OPT_VENDOR_CLASS, &l);
	assert_non_null(v);
	assert_int_equal(l, strlen(c.vendor_class));
	assert_memory_equal(v, c.vendor_class, l);
	assert_null(pxh_client_option(&c, 250, &l));
	/* every truncation of a real packet is refused or parsed, never
	 * read past (ASan builds check the "never") */
	for (size_t k = 0; k < n; k++)
		(void)pxh_dhcp_parse(pkt, k, m, &why);
	free(m);
}

static void test_fixture_bios_ipxe_rom(void **st)
{
	check_fixture("bios-ipxe-rom-discover.hex", "52:54:00:78:00:01",
	              PXH_ARCH_BIOS, "bios", "002001", "iPXE", 1, 0);
}

static void test_fixture_edk2_pxe(void **st)
{
	check_fixture("edk2-pxe-discover.hex", "52:54:00:78:00:03",
	              PXH_ARCH_EFI_X64, "efi-x64", "003000", "", 0, 0);
}

static void test_fixture_edk2_http(void **st)
{
	check_fixture("edk2-http-discover.hex", "52:54:00:78:00:03",
	              PXH_ARCH_EFI_X64_HTTP, "efi-x64-http", "003000", "", 0, 1);
}

/* Debian's ipxe.efi after EDK2 chained it */
static void test_fixture_ipxe_efi(void **st)
{
	check_fixture("ipxe-efi-discover.hex", "52:54:00:78:00:03",
	              PXH_ARCH_EFI_X64, "efi-x64", "003010", "iPXE", 1, 0);
}

/* iPXE's own ${uuid}, printed on the serial console during the capture
 * (BIOS iPXE ROM and ipxe.efi), has the same text form as option 97
 * decoded here from the iPXE ROM, ipxe.efi and EDK2. */
static void test_uuid_matches_ipxe_setting(void **st)
{
	const char *files[] = {"bios.ipxe-uuid.txt", "uefi.ipxe-uuid.txt"};
	int seen = 0;
	for (size_t i = 0; i < 2; i++) {
		char path[512], line[128] = "";
		snprintf(path, sizeof(path), "%s/%s", fixture_dir(), files[i]);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "PXH-UUID=", 9) != 0)
			continue;
		assert_int_equal(strcasecmp(line + 9, ASYM_UUID), 0);
		seen++;
	}
	if (!seen)
		skip();
}

/* ---- crafted requests --------------------------------------------------- */
static void test_uuid_text(void **st)
{
	/* PROTOCOLS.md's example from the field */
	static const uint8_t v[17] = {0,    0x44, 0x45, 0x4c, 0x4c, 0x57,
	                              0x00, 0x10, 0x58, 0x80, 0x4a, 0xc3,
	                              0xc0, 0x4f, 0x46, 0x37, 0x32};
	char out[37];
	assert_int_equal(pxh_dhcp_uuid_text(v, 17, out), 0);
	assert_string_equal(out, "4C4C4544-0057-5810-804A-C3C04F463732");
	assert_int_equal(pxh_dhcp_uuid_text(v, 16, out), -1);
	assert_string_equal(out, "");
	uint8_t w[17];
	memcpy(w, v, 17);
	w[0] = 1; /* only type 0 is a GUID */
	assert_int_equal(pxh_dhcp_uuid_text(w, 17, out), -1);
}

static void test_user_class_forms(void **st)
{
	char out[64];
	pxh_dhcp_user_class((const uint8_t *)"iPXE", 4, out, sizeof(out));
	assert_string_equal(out, "iPXE");
	pxh_dhcp_user_class((const uint8_t *)"\x04iPXE", 5, out, sizeof(out));
	assert_string_equal(out, "iPXE");
	pxh_dhcp_user_class((const uint8_t *)"\x03" "abc\x04iPXE", 9, out,
	                    sizeof(out));
	assert_string_equal(out, "abc,iPXE");
	/* a length that overruns: raw text */
	pxh_dhcp_user_class((const uint8_t *)"\x09xy", 3, out, sizeof(out));
	assert_string_equal(out, "?xy");
	pxh_dhcp_user_class((const uint8_t *)"", 0, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_rfc3004_user_class_is_ipxe(void **st)
{
	uint8_t pkt[600];
	static const uint8_t o[] = {60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't',
	                            77, 5, 4, 'i', 'P', 'X', 'E'};
	size_t n = craft(pkt, sizeof(pkt), DHCPDISCOVER, o, sizeof(o));
	struct pxh_dhcp_msg *m = msg_new();
	pxh_client c;
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, NULL), 0);
	pxh_dhcp_fill_client(&c, m, NULL, NULL);
	assert_string_equal(c.user_class, "iPXE");
	assert_true(c.is_ipxe);
	assert_int_equal(c.arch, PXH_ARCH_UNKNOWN);
	assert_int_equal(c.arch_raw, 0xffff);
	assert_string_equal(c.arch_name, "unknown");
	free(m);
}

static void test_arch_from_vendor_class_and_9(void **st)
{
	uint8_t pkt[600];
	const char *vc = "PXEClient:Arch:00006:UNDI:003016";
	uint8_t o[64];
	o[0] = 60, o[1] = (uint8_t)strlen(vc);
	memcpy(o + 2, vc, strlen(vc));
	size_t n = craft(pkt, sizeof(pkt), DHCPDISCOVER, o, 2 + strlen(vc));
	struct pxh_dhcp_msg *m = msg_new();
	pxh_client c;
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, NULL), 0);
	pxh_dhcp_fill_client(&c, m, NULL, NULL);
	assert_int_equal(c.arch, PXH_ARCH_EFI_IA32);
	assert_string_equal(c.undi, "003016");
	/* option 93 = 9 (EBC per RFC 4578, x64 in the field) */
	size_t k = 2 + strlen(vc);
	o[k++] = 93, o[k++] = 2, o[k++] = 0, o[k++] = 9;
	n = craft(pkt, sizeof(pkt), DHCPDISCOVER, o, k);
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, NULL), 0);
	pxh_dhcp_fill_client(&c, m, NULL, NULL);
	assert_int_equal(c.arch, PXH_ARCH_EFI_X64);
	assert_int_equal(c.arch_raw, 9);
	assert_string_equal(pxh_arch_name(11), "efi-arm64");
	assert_string_equal(pxh_arch_name(1234), "unknown");
	free(m);
}

/* Option overload (52) puts options in file and sname; RFC 3396 splits
 * option 60 across the options field and file, in that order. */
static void test_overload_and_split(void **st)
{
	uint8_t pkt[600];
	static const uint8_t o[] = {52, 1, 3, 60, 4, 'P', 'X', 'E', 'C'};
	size_t n = craft(pkt, sizeof(pkt), DHCPDISCOVER, o, sizeof(o));
	static const uint8_t file[] = {60, 5, 'l', 'i', 'e', 'n', 't',
	                               97, 17, 0, 0x67, 0x45, 0x23, 0x01, 0xab,
	                               0x89, 0xef, 0xcd, 0x01, 0x23, 0x45, 0x67,
	                               0x89, 0xab, 0xcd, 0xef, 255};
	static const uint8_t sname[] = {0, 0, 77, 4, 'i', 'P', 'X', 'E', 255};
	memcpy(pkt + DHCP_OFF_FILE, file, sizeof(file));
	memcpy(pkt + DHCP_OFF_SNAME, sname, sizeof(sname));
	struct pxh_dhcp_msg *m = msg_new();
	pxh_client c;
	size_t l;
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, NULL), 0);
	assert_int_equal(m->overload, 3);
	const uint8_t *v = pxh_dhcp_opt(m, 60, &l);
	assert_int_equal(l, 9);
	assert_memory_equal(v, "PXEClient", 9);
	pxh_dhcp_fill_client(&c, m, NULL, NULL);
	assert_string_equal(c.uuid, ASYM_UUID);
	assert_string_equal(c.user_class, "iPXE");
	assert_string_equal(c.vendor_class, "PXEClient");
	/* the raw-packet reader agrees */
	v = pxh_client_option(&c, 60, &l);
	assert_int_equal(l, 9);
	assert_memory_equal(v, "PXEClient", 9);
	v = pxh_client_option(&c, 77, &l);
	assert_int_equal(l, 4);
	/* without 52 the file field is a file name, not options */
	pkt[245] = 0; /* turn option 52's value into 0: invalid */
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, NULL), -EBADMSG);
	free(m);
}

static void test_malformed(void **st)
{
	uint8_t pkt[600];
	struct pxh_dhcp_msg *m = msg_new();
	const char *why = NULL;
	static const uint8_t ok[] = {60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't'};
	size_t n = craft(pkt, sizeof(pkt), DHCPDISCOVER, ok, sizeof(ok));

	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), 0);
	assert_int_equal(pxh_dhcp_parse(pkt, 239, m, &why), -EBADMSG);
	assert_non_null(strstr(why, "BOOTP header"));
	pkt[236] = 0;
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), -EBADMSG);
	assert_non_null(strstr(why, "cookie"));
	pkt[236] = 0x63;
	/* option 60 claims more than the packet holds */
	pkt[244] = 200;
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), -EBADMSG);
	assert_non_null(strstr(why, "past"));
	pkt[244] = 9;
	/* header of an option cut off at the end */
	pkt[n - 1] = 93;
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), -EBADMSG);
	pkt[n - 1] = 255;
	/* message type of two bytes */
	static const uint8_t bad53[] = {53, 2, 1, 1};
	n = craft(pkt, sizeof(pkt), DHCPDISCOVER, bad53, sizeof(bad53));
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), -EBADMSG);
	/* hlen > 16 */
	n = craft(pkt, sizeof(pkt), DHCPDISCOVER, ok, sizeof(ok));
	pkt[2] = 17;
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), -EBADMSG);
	/* option 52 twice / in the file area */
	static const uint8_t twice[] = {52, 1, 1, 52, 1, 1};
	n = craft(pkt, sizeof(pkt), DHCPDISCOVER, twice, sizeof(twice));
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), -EBADMSG);
	static const uint8_t once[] = {52, 1, 1};
	n = craft(pkt, sizeof(pkt), DHCPDISCOVER, once, sizeof(once));
	pkt[DHCP_OFF_FILE] = 52, pkt[DHCP_OFF_FILE + 1] = 1;
	pkt[DHCP_OFF_FILE + 2] = 2;
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, &why), -EBADMSG);
	/* no END is tolerated */
	n = craft(pkt, sizeof(pkt), DHCPDISCOVER, ok, sizeof(ok));
	assert_int_equal(pxh_dhcp_parse(pkt, n - 1, m, &why), 0);
	assert_null(pxh_dhcp_find(pkt, 100, 60, NULL, 0, NULL));
	free(m);
}

/* ---- rate limit ---------------------------------------------------------- */
static void test_limit(void **st)
{
	struct pxh_dhcp_limit *l = calloc(1, sizeof(*l));
	static const uint8_t mac[6] = {1, 2, 3, 4, 5, 6};
	static const uint8_t mac2[6] = {1, 2, 3, 4, 5, 7};
	l->rate = 2, l->burst = 3, l->dup_window = 1.0;

	assert_int_equal(pxh_dhcp_limit_check(l, mac, 1, 1, 67, 100.0),
	                 PXH_LIMIT_PASS);
	/* same xid within the window: duplicate; after it: answered */
	assert_int_equal(pxh_dhcp_limit_check(l, mac, 1, 1, 67, 100.5),
	                 PXH_LIMIT_DUPLICATE);
	assert_int_equal(pxh_dhcp_limit_check(l, mac, 1, 3, 4011, 100.0),
	                 PXH_LIMIT_PASS);
	assert_int_equal(pxh_dhcp_limit_check(l, mac, 2, 1, 67, 100.0),
	                 PXH_LIMIT_PASS);
	/* burst of 3 spent: the 4th is limited, another MAC is not */
	assert_int_equal(pxh_dhcp_limit_check(l, mac, 3, 1, 67, 100.0),
	                 PXH_LIMIT_RATE);
	assert_int_equal(pxh_dhcp_limit_check(l, mac2, 3, 1, 67, 100.0),
	                 PXH_LIMIT_PASS);
	/* tokens come back at 2 per second */
	assert_int_equal(pxh_dhcp_limit_check(l, mac, 4, 1, 67, 101.1),
	                 PXH_LIMIT_PASS);
	assert_int_equal(pxh_dhcp_limit_check(l, mac, 1, 1, 67, 103.0),
	                 PXH_LIMIT_PASS);
	/* dropped as busy: its retransmission is a new try */
	pxh_dhcp_limit_forget(l, mac);
	assert_int_equal(pxh_dhcp_limit_check(l, mac, 1, 1, 67, 103.2),
	                 PXH_LIMIT_PASS);
	assert_int_equal(pxh_dhcp_limit_check(l, mac, 1, 1, 67, 103.3),
	                 PXH_LIMIT_DUPLICATE);
	free(l);
}

/* ---- boot file ----------------------------------------------------------- */
static void test_boot_file(void **st)
{
	pxh_client c;
	char out[256];
	memset(&c, 0, sizeof(c));

	assert_int_equal(pxh_dhcp_boot_file(&c, "undionly.kpxe", "10.0.0.1", 80,
	                                    out, sizeof(out)), 0);
	assert_string_equal(out, "undionly.kpxe");
	assert_int_equal(pxh_dhcp_boot_file(&c, NULL, "10.0.0.1", 80, out,
	                                    sizeof(out)), -ENOENT);
	c.is_http_boot = 1;
	assert_int_equal(pxh_dhcp_boot_file(&c, "/snponly.efi", "10.0.0.1", 8080,
	                                    out, sizeof(out)), 0);
	assert_string_equal(out, "http://10.0.0.1:8080/tftp/snponly.efi");
	c.is_http_boot = 0;
	c.is_ipxe = 1;
	/* iPXE never gets a loader again (chain loop), only the script */
	assert_int_equal(pxh_dhcp_boot_file(&c, "undionly.kpxe", "10.0.0.1", 80,
	                                    out, sizeof(out)), 0);
	assert_string_equal(out, "http://10.0.0.1/boot.ipxe");
	assert_int_equal(pxh_dhcp_boot_file(&c, NULL, "10.0.0.1", 80, out,
	                                    sizeof(out)), 0);
	assert_int_equal(pxh_dhcp_boot_file(&c, "http://other/x.ipxe", "10.0.0.1",
	                                    80, out, sizeof(out)), 0);
	assert_string_equal(out, "http://other/x.ipxe");
	assert_int_equal(pxh_dhcp_boot_file(&c, NULL, "10.0.0.1", 80, out, 10),
	                 -ENAMETOOLONG);
}

static void test_default_loader(void **st)
{
	struct pxh_conf_errors errs = {0};
	struct pxh_conf *conf = pxh_conf_load(
		"test.conf",
		"[boot]\nloader_bios = b.kpxe\nloader_efi_x64 = x.efi\n"
		"unknown_arch = bios\n",
		&errs);
	assert_non_null(conf);
	assert_int_equal(errs.n, 0);
	assert_string_equal(pxh_dhcp_default_loader(conf, PXH_ARCH_BIOS), "b.kpxe");
	assert_string_equal(pxh_dhcp_default_loader(conf, PXH_ARCH_EFI_X64), "x.efi");
	assert_string_equal(pxh_dhcp_default_loader(conf, PXH_ARCH_EFI_X64_HTTP),
	                    "x.efi");
	assert_string_equal(pxh_dhcp_default_loader(conf, PXH_ARCH_UNKNOWN),
	                    "b.kpxe");
	assert_null(pxh_dhcp_default_loader(conf, PXH_ARCH_EFI_ARM32));
	pxh_conf_free(conf);
	pxh_conf_errors_free(&errs);
}

/* ---- replies, decoded by tshark ----------------------------------------- */
static int have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

static void put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }
static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }

/* Wrap PKT in Ethernet/IPv4/UDP 67->68 in a pcap and return tshark's
 * fields (tab separated, repeated values joined by ','). */
static char *tshark_fields(const uint8_t *pkt, size_t len, const char *fields)
{
	char path[] = "/tmp/pxh-dhcp-unit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	put32(f, 0xa1b2c3d4), put16(f, 2), put16(f, 4), put32(f, 0),
		put32(f, 0), put32(f, 65535), put32(f, 1);
	uint32_t total = (uint32_t)(14 + 20 + 8 + len);
	put32(f, 0), put32(f, 0), put32(f, total), put32(f, total);
	uint8_t h[42] = {0};
	memset(h, 0xff, 6);
	h[6] = 2, h[11] = 1;
	h[12] = 0x08, h[13] = 0x00;
	uint8_t *ip = h + 14;
	ip[0] = 0x45, ip[8] = 64, ip[9] = 17;
	ip[2] = (uint8_t)((20 + 8 + len) >> 8), ip[3] = (uint8_t)(20 + 8 + len);
	ip[12] = 10, ip[15] = 1;
	memset(ip + 16, 0xff, 4);
	uint8_t *udp = h + 34;
	udp[1] = 67, udp[3] = 68;
	udp[4] = (uint8_t)((8 + len) >> 8), udp[5] = (uint8_t)(8 + len);
	fwrite(h, 1, sizeof(h), f);
	fwrite(pkt, 1, len, f);
	fclose(f);

	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	         "tshark -r %s -T fields -E separator=/t -E occurrence=a "
	         "-E aggregator=, %s 2>/dev/null", path, fields);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char *out = calloc(1, 8192);
	size_t n = fread(out, 1, 8191, p);
	out[n] = '\0';
	pclose(p);
	if (!getenv("PXH_KEEP_PCAP"))
		unlink(path);
	else
		print_message("pcap kept: %s\n", path);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* RFC 2131 / 2132 9.10: replies fit 576-byte datagrams unless option 57
 * allows more; never past one Ethernet frame. */
static void test_reply_limit_option57(void **st)
{
	static const struct {
		int opt57; /* -1: absent */
		size_t want;
	} cases[] = {{-1, 548}, {1472, 1444}, {100, 548}, {9000, 1472}, {576, 548}};
	uint8_t pkt[600], out[1500], big[400];
	struct pxh_dhcp_opt extra = {.code = 224, .len = 300, .data = big};

	memset(big, 'x', sizeof(big));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t o[] = {60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't',
		               57, 2, (uint8_t)(cases[i].opt57 >> 8), (uint8_t)cases[i].opt57, 255};
		size_t olen = cases[i].opt57 < 0 ? 12 : sizeof(o);
		size_t len;
		struct pxh_dhcp_msg *m = msg_new();
		struct pxh_dhcp_reply r = {
			.msg_type = DHCPOFFER,
			.server_id = htonl(0x0a000001),
			.siaddr = htonl(0x0a000001),
			.file = "undionly.kpxe",
			.discovery_control = 8,
			.extra = &extra,
			.n_extra = 1,
		};
		int n;

		if (cases[i].opt57 < 0)
			o[11] = 255;
		len = craft(pkt, sizeof(pkt), DHCPDISCOVER, o, olen);
		assert_int_equal(pxh_dhcp_parse(pkt, len, m, NULL), 0);
		assert_int_equal(pxh_dhcp_reply_limit(m), cases[i].want);
		/* 300 bytes of plugin option: too much for 548, fine for 1444 */
		n = pxh_dhcp_build(m, &r, out, pxh_dhcp_reply_limit(m));
		if (cases[i].want == 548)
			assert_int_equal(n, -EMSGSIZE);
		else
			assert_true(n > 548 && (size_t)n <= cases[i].want);
		free(m);
	}
}

static struct pxh_dhcp_msg *parse_fixture(const char *name, uint8_t *pkt)
{
	struct pxh_dhcp_msg *m = msg_new();
	size_t n = load_hex(name, pkt, DHCP_MAX_PKT);
	assert_true(n > 0);
	assert_int_equal(pxh_dhcp_parse(pkt, n, m, NULL), 0);
	return m;
}

static void test_offer_bios_tshark(void **st)
{
	if (!have_tshark())
		skip();
	uint8_t pkt[DHCP_MAX_PKT], out[1500];
	struct pxh_dhcp_msg *m = parse_fixture("edk2-pxe-discover.hex", pkt);
	struct pxh_dhcp_reply r = {
		.msg_type = DHCPOFFER,
		.server_id = htonl(0x0a000001),
		.siaddr = htonl(0x0a000002),
		.file = "snponly.efi",
		.discovery_control = 8,
	};
	int n = pxh_dhcp_build(m, &r, out, sizeof(out));
	assert_true(n >= DHCP_MIN_REPLY);
	char *t = tshark_fields(out, (size_t)n,
		"-e dhcp.type -e dhcp.option.dhcp -e dhcp.option.dhcp_server_id "
		"-e dhcp.option.vendor_class_id -e dhcp.client_id.uuid "
		"-e dhcp.option.vendor.pxeclient.discovery_control "
		"-e dhcp.ip.your -e dhcp.ip.server -e dhcp.file "
		"-e dhcp.hw.mac_addr -e dhcp.id -e dhcp.option.type");
	/* tshark lists END as option type 0 in this field */
	print_message("tshark: %s\n", t);
	char want[400];
	snprintf(want, sizeof(want),
	         "2\t2\t10.0.0.1\tPXEClient\t"
	         "01234567-89ab-cdef-0123-456789abcdef\t0x08\t0.0.0.0\t"
	         "10.0.0.2\tsnponly.efi\t52:54:00:78:00:03\t0x%08x\t"
	         "53,54,60,97,43,0", ntohl(m->xid));
	assert_string_equal(t, want);
	free(t);
	free(m);
}

static void test_ack_boot_item_tshark(void **st)
{
	if (!have_tshark())
		skip();
	uint8_t pkt[600], out[1500];
	/* a 4011 REQUEST with PXE boot item 71 (type 0, layer 0) */
	static const uint8_t o[] = {60, 9, 'P', 'X', 'E', 'C', 'l', 'i', 'e', 'n', 't',
	                            43, 7, 71, 4, 0x80, 0x00, 0x00, 0x00, 255};
	size_t len = craft(pkt, sizeof(pkt), DHCPREQUEST, o, sizeof(o));
	struct pxh_dhcp_msg *m = msg_new();
	assert_int_equal(pxh_dhcp_parse(pkt, len, m, NULL), 0);
	struct pxh_dhcp_reply r = {
		.msg_type = DHCPACK,
		.server_id = htonl(0x0a000001),
		.siaddr = htonl(0x0a000001),
		.file = "undionly.kpxe",
		.discovery_control = -1,
	};
	int n = pxh_dhcp_build(m, &r, out, sizeof(out));
	assert_true(n > 0);
	char *t = tshark_fields(out, (size_t)n,
		"-e dhcp.option.dhcp -e dhcp.option.vendor.pxeclient.boot_item.type "
		"-e dhcp.option.vendor.pxeclient.boot_item.layer -e dhcp.file "
		"-e dhcp.option.type");
	print_message("tshark: %s\n", t);
	assert_string_equal(t, "5\t32768\t0000\tundionly.kpxe\t53,54,60,43,0");
	free(t);
	free(m);
}

static void test_offer_http_relay_tshark(void **st)
{
	if (!have_tshark())
		skip();
	uint8_t pkt[DHCP_MAX_PKT], out[1500];
	size_t len = load_hex("edk2-http-discover.hex", pkt, sizeof(pkt));
	assert_true(len > 0);
	/* as a relay would forward it: giaddr and option 82 appended */
	pkt[DHCP_OFF_GIADDR] = 10, pkt[DHCP_OFF_GIADDR + 1] = 9;
	pkt[DHCP_OFF_GIADDR + 3] = 1;
	assert_int_equal(pkt[len - 1], 255);
	static const uint8_t o82[] = {82, 6, 1, 4, 'p', 'o', 'r', 't', 255};
	memcpy(pkt + len - 1, o82, sizeof(o82));
	len += sizeof(o82) - 1;
	struct pxh_dhcp_msg *m = msg_new();
	assert_int_equal(pxh_dhcp_parse(pkt, len, m, NULL), 0);
	char url[200];
	snprintf(url, sizeof(url), "http://10.0.0.1/tftp/%0120d.efi", 7);
	/* a plugin's extra option longer than 255: split (RFC 3396) */
	uint8_t big[300];
	memset(big, 'x', sizeof(big));
	struct pxh_dhcp_opt extra = {.code = 252, .len = sizeof(big), .data = big};
	struct pxh_dhcp_reply r = {
		.msg_type = DHCPOFFER,
		.server_id = htonl(0x0a000001),
		.siaddr = htonl(0x0a000001),
		.file = url,
		.http_client = true,
		.discovery_control = 8,
		.extra = &extra,
		.n_extra = 1,
	};
	int n = pxh_dhcp_build(m, &r, out, sizeof(out));
	assert_true(n > 0);
	char *t = tshark_fields(out, (size_t)n,
		"-e dhcp.option.vendor_class_id -e dhcp.ip.relay "
		"-e dhcp.option.bootfile_name -e dhcp.file "
		"-e dhcp.option.agent_information_option.agent_circuit_id "
		"-e dhcp.option.type");
	print_message("tshark: %s\n", t);
	char want[600];
	snprintf(want, sizeof(want),
	         "HTTPClient\t10.9.0.1\t%s\t\t706f7274\t53,54,60,97,67,252,252,82,0",
	         url);
	assert_string_equal(t, want);
	free(t);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_bios_ipxe_rom),
		cmocka_unit_test(test_fixture_edk2_pxe),
		cmocka_unit_test(test_fixture_edk2_http),
		cmocka_unit_test(test_fixture_ipxe_efi),
		cmocka_unit_test(test_uuid_matches_ipxe_setting),
		cmocka_unit_test(test_uuid_text),
		cmocka_unit_test(test_user_class_forms),
		cmocka_unit_test(test_rfc3004_user_class_is_ipxe),
		cmocka_unit_test(test_arch_from_vendor_class_and_9),
		cmocka_unit_test(test_overload_and_split),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_reply_limit_option57),
		cmocka_unit_test(test_boot_file),
		cmocka_unit_test(test_default_loader),
		cmocka_unit_test(test_offer_bios_tshark),
		cmocka_unit_test(test_ack_boot_item_tshark),
		cmocka_unit_test(test_offer_http_relay_tshark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
