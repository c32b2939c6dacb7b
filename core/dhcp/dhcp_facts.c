/* Client facts from a parsed DHCP request: MAC, UUID, arch, classes. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "arch.h"
#include "answer.h"
#include "str.h"

/* Option 97 (RFC 4578 2.3): type 0 then a 16-byte GUID whose first three
 * fields are little endian, as SMBIOS stores them; the text form swaps them
 * back.  "" for anything else. */
int pxh_dhcp_uuid_text(const uint8_t *v, size_t len, char out[37])
{
	/* byte order of the text form; -1 marks a dash */
	static const signed char order[20] = {3, 2, 1, 0, -1, 5, 4, -1, 7, 6,
	                                      -1, 8, 9, -1, 10, 11, 12, 13,
	                                      14, 15};
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	out[0] = '\0';
	if (!v || len != 17 || v[0] != 0)
		return -1;
	const uint8_t *g = v + 1;
	for (size_t i = 0; i < sizeof(order); i++) {
		if (order[i] < 0) {
			out[o++] = '-';
			continue;
		}
		out[o++] = hex[g[order[i]] >> 4];
		out[o++] = hex[g[order[i]] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* Copy printable bytes, '?' for the rest; always NUL terminated. */
size_t pxh_dhcp_copy_text(char *out, size_t cap, const uint8_t *v, size_t len)
{
	size_t n = 0;
	if (cap == 0)
		return 0;
	for (size_t i = 0; i < len && n + 1 < cap; i++)
		out[n++] = (v[i] >= 0x20 && v[i] < 0x7f) ? (char)v[i] : '?';
	out[n] = '\0';
	return n;
}

/* RFC 3004 packs (length, data) pairs; iPXE sends the bare text "iPXE".
 * Accept the RFC form only when the pairs cover the option exactly. */
void pxh_dhcp_user_class(const uint8_t *v, size_t len, char *out, size_t cap)
{
	size_t i = 0;
	bool rfc = len > 0;

	if (cap)
		out[0] = '\0';
	while (rfc && i < len) {
		if (v[i] == 0 || v[i] > len - i - 1)
			rfc = false;
		else
			i += 1 + (size_t)v[i];
	}
	if (!rfc) {
		pxh_dhcp_copy_text(out, cap, v, len);
		return;
	}
	size_t n = 0;
	for (i = 0; i < len && n + 1 < cap; i += 1 + (size_t)v[i]) {
		if (n > 0)
			out[n++] = ',';
		n += pxh_dhcp_copy_text(out + n, cap - n, v + i + 1, v[i]);
	}
}

/* Any of the listed classes ("a,b,c") may be iPXE. */
bool pxh_dhcp_user_class_has_ipxe(const char *u)
{
	while (u && *u) {
		if (strncmp(u, "iPXE", 4) == 0 && (u[4] == '\0' || u[4] == ','))
			return true;
		u = strchr(u, ',');
		if (u)
			u++;
	}
	return false;
}

static bool has_prefix(const uint8_t *v, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);
	return v && len >= n && memcmp(v, pfx, n) == 0;
}

bool pxh_dhcp_is_pxe(const struct pxh_dhcp_msg *m)
{
	size_t len;
	const uint8_t *v = pxh_dhcp_opt(m, DHCP_OPT_VENDOR_CLASS, &len);
	return has_prefix(v, len, PXE_VENDOR_PXECLIENT) ||
	       has_prefix(v, len, PXE_VENDOR_HTTPCLIENT);
}

/* "PXEClient:Arch:00007:UNDI:003000": the field after NAME, digits only. */
bool pxh_dhcp_vendor_field(const char *vc, const char *name, char *out,
                         size_t cap)
{
	const char *p = strstr(vc, name);
	if (!p)
		return false;
	p += strlen(name);
	size_t n = 0;
	while (p[n] >= '0' && p[n] <= '9' && n + 1 < cap) {
		out[n] = p[n];
		n++;
	}
	out[n] = '\0';
	return n > 0;
}

/* Dotted quad of A (network order) into OUT (at least 16 bytes); no
 * inet_ntop, which formats through sprintf. */
size_t pxh_dhcp_fmt_ip(uint32_t a, char *out)
{
	const uint8_t *b = (const uint8_t *)&a;
	size_t o = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = b[i];
		if (i)
			out[o++] = '.';
		if (v >= 100)
			out[o++] = (char)('0' + v / 100);
		if (v >= 10)
			out[o++] = (char)('0' + v / 10 % 10);
		out[o++] = (char)('0' + v % 10);
	}
	out[o] = '\0';
	return o;
}

/* "00:11:22:aa:bb:cc" of MAC into OUT[18]. */
void pxh_dhcp_fmt_mac(const uint8_t *mac, char out[18])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 6; i++) {
		out[3 * i] = hex[mac[i] >> 4];
		out[3 * i + 1] = hex[mac[i] & 15];
		out[3 * i + 2] = i < 5 ? ':' : '\0';
	}
}

void pxh_dhcp_fill_client(pxh_client *c, const struct pxh_dhcp_msg *m,
                          const char *iface, const char *server_ip)
{
	size_t len;
	const uint8_t *v;

	memset(c, 0, sizeof(*c));
	c->struct_size = sizeof(*c);
	c->phase = PXH_PHASE_DHCP;
	pxh_dhcp_fmt_mac(m->chaddr, c->mac);

	v = pxh_dhcp_opt(m, DHCP_OPT_CLIENT_UUID, &len);
	pxh_dhcp_uuid_text(v, len, c->uuid);

	v = pxh_dhcp_opt(m, DHCP_OPT_VENDOR_CLASS, &len);
	if (v)
		pxh_dhcp_copy_text(c->vendor_class, sizeof(c->vendor_class), v, len);
	c->is_http_boot = has_prefix(v, len, PXE_VENDOR_HTTPCLIENT);

	/* Option 93 may list several types (RFC 4578 2.1): the first counts;
	 * without it, the "Arch:" field of option 60. */
	c->arch_raw = 0xffff;
	v = pxh_dhcp_opt(m, DHCP_OPT_CLIENT_ARCH, &len);
	if (v && len >= 2) {
		c->arch_raw = (uint16_t)(v[0] << 8 | v[1]);
		c->arch = pxh_dhcp_arch_normalise(c->arch_raw);
	} else {
		char digits[8];
		c->arch = PXH_ARCH_UNKNOWN;
		if (pxh_dhcp_vendor_field(c->vendor_class, ":Arch:", digits,
		                 sizeof(digits)))
			c->arch = pxh_dhcp_arch_normalise(
				(uint16_t)strtoul(digits, NULL, 10));
	}
	pxh_strcpy(c->arch_name, sizeof(c->arch_name), pxh_arch_name(c->arch));

	if (!pxh_dhcp_vendor_field(c->vendor_class, ":UNDI:", c->undi, sizeof(c->undi))) {
		/* RFC 4578 2.2: type 1, major, minor */
		v = pxh_dhcp_opt(m, DHCP_OPT_CLIENT_NDI, &len);
		if (v && len == 3 && v[0] == 1)
			snprintf(c->undi, sizeof(c->undi), "%03u%03u",
			         v[1] % 1000u, v[2] % 1000u);
	}

	v = pxh_dhcp_opt(m, DHCP_OPT_USER_CLASS, &len);
	if (v)
		pxh_dhcp_user_class(v, len, c->user_class,
		                    sizeof(c->user_class));
	c->is_ipxe = pxh_dhcp_opt(m, DHCP_OPT_IPXE_ENCAP, NULL) != NULL ||
	             pxh_dhcp_user_class_has_ipxe(c->user_class);

	if (m->ciaddr)
		pxh_dhcp_fmt_ip(m->ciaddr, c->ip);
	if (m->giaddr)
		pxh_dhcp_fmt_ip(m->giaddr, c->relay);
	if (iface)
		pxh_strcpy(c->iface, sizeof(c->iface), iface);
	if (server_ip)
		pxh_strcpy(c->server_ip, sizeof(c->server_ip), server_ip);
	c->raw = m->pkt;
	c->raw_len = m->len;
}
