/* Client facts from a DHCPv6 message: MAC, UUID, arch, classes, addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6.h"
#include "dhcp/dhcp.h"
#include "str.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int pxh_dhcp6_duid_mac(const uint8_t *duid, size_t len, uint8_t mac[6])
{
	if (!duid || len < 4 || rd16(duid + 2) != DHCP6_HWTYPE_ETHER)
		return -ENOENT;
	/* DUID-LLT: type, hardware type, time, address (RFC 8415 11.2) */
	if (rd16(duid) == DHCP6_DUID_LLT && len == 14) {
		memcpy(mac, duid + 8, 6);
		return 0;
	}
	/* DUID-LL: type, hardware type, address (RFC 8415 11.4) */
	if (rd16(duid) == DHCP6_DUID_LL && len == 10) {
		memcpy(mac, duid + 4, 6);
		return 0;
	}
	return -ENOENT;
}

int pxh_dhcp6_eui64_mac(const struct in6_addr *a, uint8_t mac[6])
{
	const uint8_t *b = a->s6_addr;

	/* fe80::/64 with an interface id of the form xx:xx:xx:ff:fe:xx:xx:xx */
	if (!IN6_IS_ADDR_LINKLOCAL(a) || b[11] != 0xff || b[12] != 0xfe)
		return -ENOENT;
	mac[0] = b[8] ^ 0x02;
	mac[1] = b[9];
	mac[2] = b[10];
	mac[3] = b[13];
	mac[4] = b[14];
	mac[5] = b[15];
	return 0;
}

/* The first string of a list of (2-byte length, data) items (options 15
 * and 16's data, RFC 8415 21.15/21.16), each joined by ','; false when
 * the items do not cover the list exactly. */
static bool class_list(const uint8_t *v, size_t len, char *out, size_t cap)
{
	size_t i = 0, n = 0;

	out[0] = 0;
	while (i < len) {
		if (len - i < 2 || rd16(v + i) > len - i - 2)
			return false;
		size_t l = rd16(v + i);
		if (n && n + 1 < cap)
			out[n++] = ',';
		if (n < cap)
			n += pxh_dhcp_copy_text(out + n, cap - n, v + i + 2, l);
		i += 2 + l;
	}
	return true;
}

static bool starts(const char *s, const char *pfx)
{
	return strncmp(s, pfx, strlen(pfx)) == 0;
}

/* Option 16: enterprise number, then the class list. */
static void vendor_class(const struct pxh_dhcp6_msg *m, char *out, size_t cap)
{
	size_t len = 0;
	const uint8_t *v = pxh_dhcp6_opt(m, DHCP6_OPT_VENDOR_CLASS, &len);

	out[0] = 0;
	if (v && len >= 4 && !class_list(v + 4, len - 4, out, cap))
		out[0] = 0;
}

bool pxh_dhcp6_is_boot_client(const struct pxh_dhcp6_msg *m)
{
	char vc[64], uc[64];
	size_t len = 0;
	const uint8_t *v;

	vendor_class(m, vc, sizeof(vc));
	if (starts(vc, PXE_VENDOR_PXECLIENT) || starts(vc, PXE_VENDOR_HTTPCLIENT))
		return true;
	if (pxh_dhcp6_opt(m, DHCP6_OPT_CLIENT_ARCH, &len) && len >= 2)
		return true;
	v = pxh_dhcp6_opt(m, DHCP6_OPT_USER_CLASS, &len);
	return v && class_list(v, len, uc, sizeof(uc)) &&
	       pxh_dhcp_user_class_has_ipxe(uc);
}

static void fmt6(const struct in6_addr *a, char *out, size_t cap)
{
	if (!inet_ntop(AF_INET6, a, out, (socklen_t)cap))
		out[0] = 0;
}

int pxh_dhcp6_fill_client(pxh_client *c, const struct pxh_dhcp6_msg *m,
                          const struct in6_addr *src, const char *iface,
                          const char *server_ip)
{
	const struct pxh_dhcp6_relay *inner =
		m->n_relay ? &m->relay[m->n_relay - 1] : NULL;
	/* the client's own address: the innermost relay saw it */
	const struct in6_addr *peer = inner ? &inner->peer : src;
	uint8_t mac[6];
	int from = PXH_DHCP6_MAC_NONE;
	size_t len = 0;
	const uint8_t *v;

	memset(c, 0, sizeof(*c));
	c->struct_size = sizeof(*c);
	c->phase = PXH_PHASE_DHCP;

	/* MAC: what the relay next to the client saw on the wire (RFC 6939),
	 * else the DUID's link-layer address, else the EUI-64 link-local
	 * source (EDK2 and iPXE send DUID-UUID, which holds none). */
	v = inner ? pxh_dhcp6_find(inner->opts, inner->opts_len,
	                           DHCP6_OPT_CLIENT_LINKLAYER, &len)
	          : NULL;
	if (v && len == 8 && rd16(v) == DHCP6_HWTYPE_ETHER) {
		memcpy(mac, v + 2, 6);
		from = PXH_DHCP6_MAC_OPT79;
	}
	const uint8_t *duid = pxh_dhcp6_opt(m, DHCP6_OPT_CLIENTID, &len);
	size_t duid_len = duid ? len : 0;
	if (!from && pxh_dhcp6_duid_mac(duid, duid_len, mac) == 0)
		from = PXH_DHCP6_MAC_DUID;
	if (!from && peer && pxh_dhcp6_eui64_mac(peer, mac) == 0)
		from = PXH_DHCP6_MAC_EUI64;
	if (from)
		pxh_dhcp_fmt_mac(mac, c->mac);

	/* the DUID as hex pairs ("00:04:67:45:..."), at most 130 bytes */
	if (duid) {
		static const char hex[] = "0123456789abcdef";
		size_t o = 0;
		for (size_t i = 0; i < duid_len && o + 3 < sizeof(c->duid); i++) {
			if (i)
				c->duid[o++] = ':';
			c->duid[o++] = hex[duid[i] >> 4];
			c->duid[o++] = hex[duid[i] & 15];
		}
		c->duid[o] = 0;
	}

	/* DUID-UUID (RFC 6355): the 16 bytes as the firmware stores its
	 * SMBIOS UUID, the same form as DHCPv4 option 97 */
	if (duid && duid_len == 18 && rd16(duid) == DHCP6_DUID_UUID) {
		uint8_t u[17] = {0};
		memcpy(u + 1, duid + 2, 16);
		pxh_dhcp_uuid_text(u, sizeof(u), c->uuid);
	}

	vendor_class(m, c->vendor_class, sizeof(c->vendor_class));
	c->is_http_boot = starts(c->vendor_class, PXE_VENDOR_HTTPCLIENT);

	/* option 61: a list of 16-bit types, the first counts (RFC 5970
	 * 3.3); else the "Arch:" field of the vendor class */
	c->arch_raw = 0xffff;
	c->arch = PXH_ARCH_UNKNOWN;
	v = pxh_dhcp6_opt(m, DHCP6_OPT_CLIENT_ARCH, &len);
	if (v && len >= 2) {
		c->arch_raw = rd16(v);
		c->arch = pxh_dhcp_arch_normalise(c->arch_raw);
	} else {
		char digits[8];
		if (pxh_dhcp_vendor_field(c->vendor_class, ":Arch:", digits,
		                          sizeof(digits)))
			c->arch = pxh_dhcp_arch_normalise(
				(uint16_t)strtoul(digits, NULL, 10));
	}
	pxh_strcpy(c->arch_name, sizeof(c->arch_name), pxh_arch_name(c->arch));

	if (!pxh_dhcp_vendor_field(c->vendor_class, ":UNDI:", c->undi,
	                           sizeof(c->undi))) {
		/* option 62 (RFC 5970 3.4): type 1, major, minor */
		v = pxh_dhcp6_opt(m, DHCP6_OPT_NII, &len);
		if (v && len == 3 && v[0] == 1)
			snprintf(c->undi, sizeof(c->undi), "%03u%03u",
			         v[1] % 1000u, v[2] % 1000u);
	}

	v = pxh_dhcp6_opt(m, DHCP6_OPT_USER_CLASS, &len);
	if (v && !class_list(v, len, c->user_class, sizeof(c->user_class)))
		pxh_dhcp_copy_text(c->user_class, sizeof(c->user_class), v, len);
	c->is_ipxe = pxh_dhcp_user_class_has_ipxe(c->user_class);

	/* The client's address is where the packet came from: a direct
	 * request's source.  A relayed one's peer-address is only what the
	 * sender of the Relay-Forward wrote, so (as giaddr for DHCPv4) it
	 * stays out of the facts [access] matches: the relay is the source. */
	if (!m->n_relay && src)
		fmt6(src, c->ip, sizeof(c->ip));
	/* the relay is the one we heard from: the source of the outermost
	 * Relay-Forward (a link-address is only what that relay claims) */
	if (m->n_relay && src)
		fmt6(src, c->relay, sizeof(c->relay));
	/* the link the client is on, as the relay next to it says */
	if (inner && !IN6_IS_ADDR_UNSPECIFIED(&inner->link))
		fmt6(&inner->link, c->link_addr, sizeof(c->link_addr));
	if (iface)
		pxh_strcpy(c->iface, sizeof(c->iface), iface);
	if (server_ip)
		pxh_strcpy(c->server_ip, sizeof(c->server_ip), server_ip);
	/* raw is a DHCPv4 packet for pxh_client_option(): none here */
	c->raw = NULL;
	c->raw_len = 0;
	return from;
}
