/* DHCPv6 parser (nested relays, lengths, truncation), facts (MAC from
 * DUID / option 79 / EUI-64), builder (replies decoded by tshark). */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dhcp6/dhcp6.h"

/* ---- building requests ---------------------------------------------------- */
struct pk {
	uint8_t b[2048];
	size_t n;
};

static void b8(struct pk *p, uint8_t v) { p->b[p->n++] = v; }
static void b16(struct pk *p, uint16_t v) { b8(p, (uint8_t)(v >> 8)); b8(p, (uint8_t)v); }
static void bmem(struct pk *p, const void *v, size_t n)
{
	memcpy(p->b + p->n, v, n);
	p->n += n;
}
static void bopt(struct pk *p, uint16_t code, const void *v, size_t n)
{
	b16(p, code);
	b16(p, (uint16_t)n);
	bmem(p, v, n);
}

/* The DUID-UUID of the asymmetric UUID (iPXE/EDK2 form). */
static const uint8_t duid_uuid[18] = {0, 4, 0x67, 0x45, 0x23, 0x01, 0xab, 0x89,
                                      0xef, 0xcd, 0x01, 0x23, 0x45, 0x67,
                                      0x89, 0xab, 0xcd, 0xef};

/* A Solicit shaped like EDK2's PXEv6 one (PxeBcBuildDhcp6Options): client
 * id, IA_NA, ORO 59/60/23/24/16, vendor class, arch 61, NII 62. */
static void edk2_solicit(struct pk *p, uint8_t type, const char *vc)
{
	static const uint8_t ia[12] = {0xa1, 0xb2, 0xc3, 0xd4};
	static const uint8_t oro[] = {0, 59, 0, 60, 0, 23, 0, 24, 0, 16};
	static const uint8_t arch[] = {0, 7}, nii[] = {1, 3, 16};
	uint8_t vcd[64];
	size_t l = strlen(vc);

	p->n = 0;
	b8(p, type);
	b8(p, 0x12), b8(p, 0x34), b8(p, 0x56);
	bopt(p, DHCP6_OPT_CLIENTID, duid_uuid, sizeof(duid_uuid));
	bopt(p, DHCP6_OPT_IA_NA, ia, sizeof(ia));
	bopt(p, DHCP6_OPT_ORO, oro, sizeof(oro));
	vcd[0] = 0, vcd[1] = 0, vcd[2] = 1, vcd[3] = 0x57; /* 343 */
	vcd[4] = (uint8_t)(l >> 8), vcd[5] = (uint8_t)l;
	memcpy(vcd + 6, vc, l);
	bopt(p, DHCP6_OPT_VENDOR_CLASS, vcd, 6 + l);
	bopt(p, DHCP6_OPT_CLIENT_ARCH, arch, 2);
	bopt(p, DHCP6_OPT_NII, nii, 3);
}

/* Wrap the message in P in a Relay-Forward (hop, link, peer, iface-id,
 * option 79 when MAC). */
static void relay_wrap(struct pk *p, uint8_t hop, const char *link,
                       const char *peer, const char *ifid, const uint8_t *mac)
{
	struct pk in = *p;
	struct in6_addr a;

	p->n = 0;
	b8(p, DHCP6_RELAY_FORW);
	b8(p, hop);
	inet_pton(AF_INET6, link, &a);
	bmem(p, &a, 16);
	inet_pton(AF_INET6, peer, &a);
	bmem(p, &a, 16);
	if (ifid)
		bopt(p, DHCP6_OPT_INTERFACE_ID, ifid, strlen(ifid));
	if (mac) {
		uint8_t ll[8] = {0, 1};
		memcpy(ll + 2, mac, 6);
		bopt(p, DHCP6_OPT_CLIENT_LINKLAYER, ll, 8);
	}
	bopt(p, DHCP6_OPT_RELAY_MSG, in.b, in.n);
}

/* ---- parser ------------------------------------------------------------------ */
static void test_parse_solicit_facts(void **st)
{
	struct pk p;
	struct pxh_dhcp6_msg m;
	const char *why;
	pxh_client c;
	struct in6_addr src;

	(void)st;
	edk2_solicit(&p, DHCP6_SOLICIT, "PXEClient:Arch:00007:UNDI:003016");
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, &why), 0);
	assert_int_equal(m.type, DHCP6_SOLICIT);
	assert_int_equal(m.xid, 0x123456);
	assert_int_equal(m.n_relay, 0);
	assert_true(pxh_dhcp6_is_boot_client(&m));
	/* EUI-64 link-local of 52:54:00:12:34:56 */
	inet_pton(AF_INET6, "fe80::5054:ff:fe12:3456", &src);
	assert_int_equal(pxh_dhcp6_fill_client(&c, &m, &src, "eth0", "2001:db8::5"),
	                 PXH_DHCP6_MAC_EUI64);
	assert_string_equal(c.mac, "52:54:00:12:34:56");
	/* the same text as DHCPv4 option 97 of the same UUID */
	assert_string_equal(c.uuid, "01234567-89AB-CDEF-0123-456789ABCDEF");
	assert_int_equal(c.arch_raw, 7);
	assert_string_equal(c.arch_name, "efi-x64");
	assert_string_equal(c.vendor_class, "PXEClient:Arch:00007:UNDI:003016");
	assert_string_equal(c.undi, "003016");
	assert_false(c.is_http_boot);
	assert_false(c.is_ipxe);
	assert_string_equal(c.ip, "fe80::5054:ff:fe12:3456");
	assert_string_equal(c.relay, "");
	assert_string_equal(c.link_addr, "");
	assert_string_equal(c.duid, "00:04:67:45:23:01:ab:89:ef:cd:01:23:45:67:89:ab:cd:ef");
	assert_string_equal(c.server_ip, "2001:db8::5");
	assert_string_equal(c.iface, "eth0");
	assert_null(c.raw);

	/* a privacy (not EUI-64) link-local and a DUID-UUID: no MAC */
	inet_pton(AF_INET6, "fe80::1234:5678:9abc:def0", &src);
	assert_int_equal(pxh_dhcp6_fill_client(&c, &m, &src, "eth0", NULL),
	                 PXH_DHCP6_MAC_NONE);
	assert_string_equal(c.mac, "");
}

static void test_duid_mac(void **st)
{
	static const uint8_t llt[14] = {0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d,
	                                0x52, 0x54, 0, 0xaa, 0xbb, 0xcc};
	static const uint8_t ll[10] = {0, 3, 0, 1, 0x52, 0x54, 0, 1, 2, 3};
	static const uint8_t ll_ib[10] = {0, 3, 0, 32, 0x52, 0x54, 0, 1, 2, 3};
	static const uint8_t llt_short[13] = {0, 1, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5};
	uint8_t mac[6], out[14];

	(void)st;
	assert_int_equal(pxh_dhcp6_duid_mac(llt, sizeof(llt), mac), 0);
	assert_memory_equal(mac, llt + 8, 6);
	assert_int_equal(pxh_dhcp6_duid_mac(ll, sizeof(ll), mac), 0);
	assert_memory_equal(mac, ll + 4, 6);
	assert_int_equal(pxh_dhcp6_duid_mac(ll_ib, sizeof(ll_ib), mac), -ENOENT);
	assert_int_equal(pxh_dhcp6_duid_mac(llt_short, sizeof(llt_short), mac), -ENOENT);
	assert_int_equal(pxh_dhcp6_duid_mac(duid_uuid, sizeof(duid_uuid), mac), -ENOENT);
	assert_int_equal(pxh_dhcp6_duid_mac(NULL, 0, mac), -ENOENT);
	/* our own DUIDs round-trip */
	assert_int_equal(pxh_dhcp6_make_duid(ll + 4, 0, out), 10);
	assert_memory_equal(out, ll, 10);
	assert_int_equal(pxh_dhcp6_make_duid(llt + 8, 0x2a2b2c2d, out), 14);
	assert_memory_equal(out, llt, 14);
}

static void test_relay_nested_facts(void **st)
{
	static const uint8_t mac79[6] = {0x52, 0x54, 0, 0x79, 0x79, 0x79};
	struct pk p;
	struct pxh_dhcp6_msg m;
	const char *why;
	pxh_client c;
	struct in6_addr src;

	(void)st;
	edk2_solicit(&p, DHCP6_SOLICIT, "HTTPClient:Arch:00016:UNDI:003001");
	/* the relay next to the client (option 79), then a second one */
	relay_wrap(&p, 0, "2001:db8:1::1", "fe80::5054:ff:fe12:3456", "eth1", mac79);
	relay_wrap(&p, 1, "2001:db8:2::1", "2001:db8:1::1", NULL, NULL);
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, &why), 0);
	assert_int_equal(m.n_relay, 2);
	assert_int_equal(m.relay[0].hop_count, 1);
	assert_int_equal(m.relay[1].hop_count, 0);
	assert_null(m.relay[0].iface_id);
	assert_int_equal(m.relay[1].iface_id_len, 4);
	assert_memory_equal(m.relay[1].iface_id, "eth1", 4);
	assert_int_equal(m.type, DHCP6_SOLICIT);
	inet_pton(AF_INET6, "2001:db8:9::9", &src);
	/* option 79 wins over the EUI-64 peer address */
	assert_int_equal(pxh_dhcp6_fill_client(&c, &m, &src, "eth0", NULL),
	                 PXH_DHCP6_MAC_OPT79);
	assert_string_equal(c.mac, "52:54:00:79:79:79");
	/* relayed: the peer-address is the relay's word, not a fact [access]
	 * may match; the relay is the packet's source */
	assert_string_equal(c.ip, "");
	assert_string_equal(c.relay, "2001:db8:9::9");
	/* the link-address of the relay next to the client */
	assert_string_equal(c.link_addr, "2001:db8:1::1");
	assert_true(c.is_http_boot);
	assert_string_equal(c.arch_name, "efi-x64");
}

static void test_user_class_ipxe(void **st)
{
	struct pk p = {0};
	struct pxh_dhcp6_msg m;
	static const uint8_t uc[] = {0, 4, 'i', 'P', 'X', 'E'};
	static const uint8_t uc_bad[] = {0, 9, 'i', 'P', 'X', 'E'};
	pxh_client c;
	struct in6_addr src;

	(void)st;
	inet_pton(AF_INET6, "fe80::5054:ff:fe00:1", &src);
	b8(&p, DHCP6_INFORMATION_REQUEST), b8(&p, 0), b8(&p, 0), b8(&p, 1);
	bopt(&p, DHCP6_OPT_CLIENTID, duid_uuid, sizeof(duid_uuid));
	bopt(&p, DHCP6_OPT_USER_CLASS, uc, sizeof(uc));
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, NULL), 0);
	assert_true(pxh_dhcp6_is_boot_client(&m));
	pxh_dhcp6_fill_client(&c, &m, &src, "eth0", NULL);
	assert_true(c.is_ipxe);
	assert_string_equal(c.user_class, "iPXE");
	assert_string_equal(c.arch_name, "unknown");

	/* an item longer than the option: not a class list, not iPXE */
	p.n = 0;
	b8(&p, DHCP6_INFORMATION_REQUEST), b8(&p, 0), b8(&p, 0), b8(&p, 1);
	bopt(&p, DHCP6_OPT_CLIENTID, duid_uuid, sizeof(duid_uuid));
	bopt(&p, DHCP6_OPT_USER_CLASS, uc_bad, sizeof(uc_bad));
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, NULL), 0);
	assert_false(pxh_dhcp6_is_boot_client(&m));
	pxh_dhcp6_fill_client(&c, &m, &src, "eth0", NULL);
	assert_false(c.is_ipxe);

	/* a plain client (dhclient -6 -S): no vendor class, arch or iPXE */
	p.n = 0;
	b8(&p, DHCP6_INFORMATION_REQUEST), b8(&p, 0), b8(&p, 0), b8(&p, 1);
	bopt(&p, DHCP6_OPT_CLIENTID, duid_uuid, sizeof(duid_uuid));
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, NULL), 0);
	assert_false(pxh_dhcp6_is_boot_client(&m));
}

static int parse_fails(const struct pk *p, const char *want)
{
	struct pxh_dhcp6_msg m;
	const char *why = "";
	int r = pxh_dhcp6_parse(p->b, p->n, &m, &why);

	if (r == 0)
		return 0;
	if (want && !strstr(why, want)) {
		print_message("why: %s (wanted %s)\n", why, want);
		return 0;
	}
	return r == -EBADMSG;
}

static void test_malformed(void **st)
{
	struct pk p, good;
	struct pxh_dhcp6_msg m;

	(void)st;
	edk2_solicit(&good, DHCP6_SOLICIT, "PXEClient");
	relay_wrap(&good, 0, "2001:db8:1::1", "fe80::1", "x", NULL);

	/* every truncation of a valid relayed message fails cleanly */
	for (size_t n = 0; n < good.n; n++) {
		p = good;
		p.n = n;
		assert_true(parse_fails(&p, NULL));
	}
	assert_int_equal(pxh_dhcp6_parse(good.b, good.n, &m, NULL), 0);

	/* an inner option longer than the relay message holding it */
	edk2_solicit(&p, DHCP6_SOLICIT, "PXEClient");
	p.b[6] = 0x40; /* client id length 0x40xx: past the end */
	assert_true(parse_fails(&p, "truncated option"));

	/* the relay message option missing, or twice */
	p.n = 0;
	b8(&p, DHCP6_RELAY_FORW), b8(&p, 0);
	for (int i = 0; i < 32; i++)
		b8(&p, 0);
	assert_true(parse_fails(&p, "relay message option"));
	edk2_solicit(&good, DHCP6_SOLICIT, "PXEClient");
	p = good;
	relay_wrap(&p, 0, "::", "fe80::1", NULL, NULL);
	bopt(&p, DHCP6_OPT_RELAY_MSG, good.b, good.n);
	assert_true(parse_fails(&p, "relay message option"));

	/* nested deeper than HOP_COUNT_LIMIT */
	p = good;
	for (int i = 0; i < DHCP6_HOP_COUNT_LIMIT; i++)
		relay_wrap(&p, (uint8_t)i, "::", "fe80::1", NULL, NULL);
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, NULL), 0);
	assert_int_equal(m.n_relay, DHCP6_HOP_COUNT_LIMIT);
	relay_wrap(&p, 9, "::", "fe80::1", NULL, NULL);
	assert_true(parse_fails(&p, "too deep"));

	/* a relay message holding a server's message, or nothing usable */
	p.n = 0;
	b8(&p, DHCP6_ADVERTISE), b8(&p, 0), b8(&p, 0), b8(&p, 0);
	bopt(&p, DHCP6_OPT_CLIENTID, duid_uuid, sizeof(duid_uuid));
	relay_wrap(&p, 0, "::", "fe80::1", NULL, NULL);
	assert_true(parse_fails(&p, "server"));
	p.n = 0;
	b8(&p, DHCP6_RELAY_REPL), b8(&p, 0), b8(&p, 0), b8(&p, 0);
	assert_true(parse_fails(&p, "server"));
	p.n = 0;
	b8(&p, 200), b8(&p, 0), b8(&p, 0), b8(&p, 0);
	assert_true(parse_fails(&p, "unknown"));

	/* client identifier: absent, twice, too long; server id twice */
	p.n = 0;
	b8(&p, DHCP6_SOLICIT), b8(&p, 0), b8(&p, 0), b8(&p, 0);
	assert_true(parse_fails(&p, "no client identifier"));
	bopt(&p, DHCP6_OPT_CLIENTID, duid_uuid, sizeof(duid_uuid));
	bopt(&p, DHCP6_OPT_CLIENTID, duid_uuid, sizeof(duid_uuid));
	assert_true(parse_fails(&p, "client identifier repeated"));
	p.n = 0;
	b8(&p, DHCP6_SOLICIT), b8(&p, 0), b8(&p, 0), b8(&p, 0);
	uint8_t big[200] = {0, 2};
	bopt(&p, DHCP6_OPT_CLIENTID, big, sizeof(big));
	assert_true(parse_fails(&p, "client identifier length"));
	p.n = 0;
	b8(&p, DHCP6_REQUEST), b8(&p, 0), b8(&p, 0), b8(&p, 0);
	bopt(&p, DHCP6_OPT_CLIENTID, duid_uuid, sizeof(duid_uuid));
	bopt(&p, DHCP6_OPT_SERVERID, duid_uuid, sizeof(duid_uuid));
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, NULL), 0);
	bopt(&p, DHCP6_OPT_SERVERID, duid_uuid, sizeof(duid_uuid));
	assert_true(parse_fails(&p, "server identifier repeated"));

	/* the option reader stops at a truncated option */
	static const uint8_t bad[] = {0, 1, 0, 9, 1, 2};
	assert_null(pxh_dhcp6_find(bad, sizeof(bad), 1, NULL));
	assert_null(pxh_dhcp6_find(bad, 3, 1, NULL));
	assert_int_equal(pxh_dhcp6_count(bad, sizeof(bad), 1), 0);
}

/* ---- builder, decoded by tshark ---------------------------------------------- */
static int have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

static void w16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }
static void w32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }

/* PKT in Ethernet/IPv6/UDP SPORT->DPORT in a pcap; tshark's pdml of it. */
static char *tshark_pdml(const uint8_t *pkt, size_t len, uint16_t sport,
                         uint16_t dport)
{
	char path[] = "/tmp/pxh-dhcp6-unit-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	w32(f, 0xa1b2c3d4), w16(f, 2), w16(f, 4), w32(f, 0), w32(f, 0),
		w32(f, 65535), w32(f, 1);
	uint32_t total = (uint32_t)(14 + 40 + 8 + len);
	w32(f, 0), w32(f, 0), w32(f, total), w32(f, total);
	uint8_t h[62] = {0};
	h[0] = 0x33, h[1] = 0x33, h[5] = 1;
	h[6] = 2, h[11] = 1;
	h[12] = 0x86, h[13] = 0xdd;
	uint8_t *ip = h + 14;
	ip[0] = 0x60;
	ip[4] = (uint8_t)((8 + len) >> 8), ip[5] = (uint8_t)(8 + len);
	ip[6] = 17, ip[7] = 64;
	ip[8] = 0xfe, ip[9] = 0x80, ip[23] = 1;
	ip[24] = 0xfe, ip[25] = 0x80, ip[39] = 2;
	uint8_t *udp = h + 54;
	udp[0] = (uint8_t)(sport >> 8), udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8), udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + len) >> 8), udp[5] = (uint8_t)(8 + len);
	fwrite(h, 1, sizeof(h), f);
	fwrite(pkt, 1, len, f);
	fclose(f);

	char cmd[512];
	snprintf(cmd, sizeof(cmd), "tshark -r %s -T pdml 2>/dev/null", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1 << 18, n = 0, r;
	char *out = calloc(1, cap);
	while ((r = fread(out + n, 1, cap - 1 - n, p)) > 0)
		n += r;
	pclose(p);
	unlink(path);
	return out;
}

/* The show="..." of the Nth (from 0) field NAME in PDML, into OUT. */
static bool pdml_show(const char *pdml, const char *name, int nth, char *out,
                      size_t cap)
{
	char key[128];
	const char *p = pdml;

	snprintf(key, sizeof(key), "name=\"%s\"", name);
	for (int i = 0; (p = strstr(p, key)); i++, p++) {
		if (i < nth)
			continue;
		const char *s = strstr(p, "show=\"");
		if (!s)
			return false;
		s += 6;
		size_t k = strcspn(s, "\"");
		snprintf(out, cap, "%.*s", (int)k, s);
		return true;
	}
	return false;
}

/* Option 59's text: tshark 4.0 names it but shows no field for the URL;
 * take the option's bytes from the pdml value (hex, header first). */
static bool pdml_url(const char *pdml, char *out, size_t cap)
{
	const char *p = strstr(pdml, "show=\"Boot File URL\" value=\"");
	size_t n = 0;

	if (!p)
		return false;
	p += strlen("show=\"Boot File URL\" value=\"") + 8;
	while (p[0] != '"' && p[1] != '"' && n + 1 < cap) {
		unsigned v;
		sscanf(p, "%2x", &v);
		out[n++] = (char)v;
		p += 2;
	}
	out[n] = 0;
	return true;
}

static const uint8_t server_duid[10] = {0, 3, 0, 1, 0x02, 0, 0, 0, 0, 0x05};

static void test_advertise_tshark(void **st)
{
	struct pk p;
	struct pxh_dhcp6_msg m;
	uint8_t out[1500];
	char v[256];
	struct pxh_dhcp6_reply r = {
		.type = DHCP6_ADVERTISE,
		.server_duid = server_duid,
		.server_duid_len = sizeof(server_duid),
		.url = "tftp://[2001:db8::5]/shimx64.efi",
		.params = "console=ttyS0",
	};

	(void)st;
	edk2_solicit(&p, DHCP6_SOLICIT, "PXEClient:Arch:00007:UNDI:003016");
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, NULL), 0);
	int n = pxh_dhcp6_build(&m, &r, out, sizeof(out));
	assert_true(n > 0);
	/* too small a buffer is an error, never a cut reply */
	for (int cap = 0; cap < n; cap += 7)
		assert_int_equal(pxh_dhcp6_build(&m, &r, out, (size_t)cap), -EMSGSIZE);
	n = pxh_dhcp6_build(&m, &r, out, sizeof(out));
	/* our own reader sees one well-formed option list */
	assert_non_null(pxh_dhcp6_find(out + 4, (size_t)n - 4, DHCP6_OPT_BOOTFILE_URL, NULL));
	if (!have_tshark())
		skip();
	char *x = tshark_pdml(out, (size_t)n, 547, 546);
	assert_true(pdml_show(x, "dhcpv6.msgtype", 0, v, sizeof(v)));
	assert_string_equal(v, "2");
	assert_true(pdml_show(x, "dhcpv6.xid", 0, v, sizeof(v)));
	assert_string_equal(v, "0x123456");
	/* the client's DUID-UUID echoed, ours as server id */
	assert_true(pdml_show(x, "dhcpv6.duiduuid.bytes", 0, v, sizeof(v)));
	assert_string_equal(v, "67:45:23:01:ab:89:ef:cd:01:23:45:67:89:ab:cd:ef");
	assert_true(pdml_show(x, "dhcpv6.duidll.link_layer_addr", 0, v, sizeof(v)));
	assert_string_equal(v, "02:00:00:00:00:05");
	assert_true(pdml_show(x, "dhcpv6.vendorclass.enterprise", 0, v, sizeof(v)));
	assert_string_equal(v, "343");
	assert_true(pdml_show(x, "dhcpv6.vendorclass.data", 0, v, sizeof(v)));
	assert_string_equal(v, "PXEClient");
	assert_true(pdml_url(x, v, sizeof(v)));
	assert_string_equal(v, "tftp://[2001:db8::5]/shimx64.efi");
	assert_non_null(strstr(x, "show=\"Boot File Parameters\""));
	/* no IA_NA and no status code: EDK2 drops an Advertise with either
	 * an IA whose status is not success or a top-level failure */
	assert_null(strstr(x, "dhcpv6.iaid\""));
	assert_null(strstr(x, "dhcpv6.status_code\""));
	assert_null(strstr(x, "_ws.malformed"));
	/* (tshark flags the zero UDP checksum of the test frame only) */
	assert_null(strstr(x, "dhcpv6.bad"));
	free(x);
}

static void test_reply_relayed_tshark(void **st)
{
	struct pk p;
	struct pxh_dhcp6_msg m;
	uint8_t out[1500];
	char v[256];
	struct pxh_dhcp6_reply r = {
		.type = DHCP6_REPLY,
		.server_duid = server_duid,
		.server_duid_len = sizeof(server_duid),
		.url = "http://[2001:db8::5]/tftp/snponly.efi",
		.http_client = true,
		.ia_status = DHCP6_STATUS_NO_ADDRS_AVAIL,
	};

	(void)st;
	edk2_solicit(&p, DHCP6_REQUEST, "HTTPClient:Arch:00016:UNDI:003001");
	relay_wrap(&p, 0, "2001:db8:1::1", "fe80::5054:ff:fe12:3456", "eth1", NULL);
	relay_wrap(&p, 1, "2001:db8:2::1", "2001:db8:1::1", "up0", NULL);
	assert_int_equal(pxh_dhcp6_parse(p.b, p.n, &m, NULL), 0);
	int n = pxh_dhcp6_build(&m, &r, out, sizeof(out));
	assert_true(n > 0);
	/* outer Relay-Reply: header, interface-id "up0", relay message
	 * holding the inner Relay-Reply */
	assert_int_equal(out[0], DHCP6_RELAY_REPL);
	assert_int_equal(out[34 + 4 + 3 + 4], DHCP6_RELAY_REPL);
	if (!have_tshark())
		skip();
	char *x = tshark_pdml(out, (size_t)n, 547, 547);
	assert_true(pdml_show(x, "dhcpv6.msgtype", 0, v, sizeof(v)));
	assert_string_equal(v, "13");
	assert_true(pdml_show(x, "dhcpv6.msgtype", 1, v, sizeof(v)));
	assert_string_equal(v, "13");
	assert_true(pdml_show(x, "dhcpv6.msgtype", 2, v, sizeof(v)));
	assert_string_equal(v, "7");
	assert_true(pdml_show(x, "dhcpv6.hopcount", 0, v, sizeof(v)));
	assert_string_equal(v, "1");
	assert_true(pdml_show(x, "dhcpv6.linkaddr", 1, v, sizeof(v)));
	assert_string_equal(v, "2001:db8:1::1");
	assert_true(pdml_show(x, "dhcpv6.peeraddr", 1, v, sizeof(v)));
	assert_string_equal(v, "fe80::5054:ff:fe12:3456");
	assert_true(pdml_show(x, "dhcpv6.interface_id", 0, v, sizeof(v)));
	assert_string_equal(v, "75:70:30"); /* "up0" */
	assert_true(pdml_show(x, "dhcpv6.interface_id", 1, v, sizeof(v)));
	assert_string_equal(v, "65:74:68:31"); /* "eth1" */
	/* the IA_NA comes back, same IAID, with NoAddrsAvail */
	assert_true(pdml_show(x, "dhcpv6.iaid", 0, v, sizeof(v)));
	assert_string_equal(v, "a1b2c3d4");
	assert_true(pdml_show(x, "dhcpv6.status_code", 0, v, sizeof(v)));
	assert_string_equal(v, "2");
	assert_true(pdml_show(x, "dhcpv6.vendorclass.data", 0, v, sizeof(v)));
	assert_string_equal(v, "HTTPClient");
	assert_true(pdml_url(x, v, sizeof(v)));
	assert_string_equal(v, "http://[2001:db8::5]/tftp/snponly.efi");
	assert_null(strstr(x, "_ws.malformed"));
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_solicit_facts),
		cmocka_unit_test(test_duid_mac),
		cmocka_unit_test(test_relay_nested_facts),
		cmocka_unit_test(test_user_class_ipxe),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_advertise_tshark),
		cmocka_unit_test(test_reply_relayed_tshark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
