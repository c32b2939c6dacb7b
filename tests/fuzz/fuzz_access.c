/* libFuzzer: [access] rules (core/access.c) from a config text and a
 * client from the same input.  Lines: allow, deny, mac, ip, relay,
 * server_ip, arch_name, iface, phase digit.  Checked: "all" matches
 * everyone; allow/deny decide as documented (deny wins, empty allow
 * refuses); a canonical subnet rule agrees with an independent
 * computation (IPv4 and IPv6 prefixes); the server's own address never
 * matches a client that shows an address or is not in the DHCP phase. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "access.h"
#include "conf.h"
#include "str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "a.b.c.d" without leading zeros into *OUT (host order). */
static int quad(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;
	int parts = 0;
	size_t i = 0;

	while (parts < 4) {
		unsigned o = 0, digits = 0;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (digits && o == 0)
				return -1; /* leading zero */
			o = o * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3 || o > 255)
				return -1;
			i++;
		}
		if (!digits)
			return -1;
		v = v << 8 | o;
		if (++parts < 4) {
			if (i >= n || s[i] != '.')
				return -1;
			i++;
		}
	}
	if (i != n)
		return -1;
	*out = v;
	return 0;
}

/* IPv6: bit by bit, from inet_pton's bytes; -1 when either side is not
 * plain IPv6 (a zone, a v4-mapped address: the IPv4 oracle's or none). */
static int oracle6(const char *rule, const char *addr)
{
	const char *slash = strchr(rule, '/');
	size_t n = slash ? (size_t)(slash - rule) : strlen(rule);
	unsigned char net[16], a[16];
	char buf[64];
	unsigned bits = 128;

	if (n >= sizeof(buf) || strchr(addr, '%'))
		return -1;
	memcpy(buf, rule, n);
	buf[n] = 0;
	if (inet_pton(AF_INET6, buf, net) != 1 || inet_pton(AF_INET6, addr, a) != 1)
		return -1;
	if (!memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
		return -1;
	if (slash) {
		const char *b = slash + 1;

		if (!*b || strlen(b) > 3 || (b[0] == '0' && b[1]) ||
		    strspn(b, "0123456789") != strlen(b))
			return -1;
		bits = (unsigned)atoi(b);
		if (bits > 128)
			return -1;
	}
	for (unsigned i = 0; i < bits; i++)
		if (((net[i / 8] >> (7 - i % 8)) ^ (a[i / 8] >> (7 - i % 8))) & 1)
			return 0;
	return 1;
}

/* The oracle: 1 match, 0 no match, -1 not a canonical subnet rule. */
static int oracle(const char *rule, const char *addr)
{
	const char *slash = strchr(rule, '/');
	size_t n = slash ? (size_t)(slash - rule) : strlen(rule);
	uint32_t net, a, mask;
	unsigned bits = 32;

	if (strchr(rule, ':'))
		return oracle6(rule, addr);
	if (quad(rule, n, &net) || quad(addr, strlen(addr), &a))
		return -1;
	if (slash) {
		const char *b = slash + 1;

		if (!*b || strlen(b) > 2 || (b[0] == '0' && b[1]) ||
		    strspn(b, "0123456789") != strlen(b))
			return -1;
		bits = (unsigned)atoi(b);
		if (bits > 32)
			return -1;
	}
	mask = bits ? ~0u << (32 - bits) : 0;
	return (net & mask) == (a & mask);
}

static void field(char *dst, size_t cap, const char *src)
{
	pxh_strcpy(dst, cap, src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *line[9] = {0}, *p, *ini = NULL;
	struct pxh_conf_errors errs = {0};
	struct pxh_conf *conf = NULL;
	pxh_client c;
	char why[256];
	size_t n = 0;
	bool ok, any_allow = false, any_deny = false;

	if (size > 4096 || memchr(data, 0, size) || memchr(data, '[', size) ||
	    memchr(data, '\r', size) || memchr(data, '#', size) || memchr(data, ';', size))
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	for (p = text; n < 9; n++) {
		line[n] = p;
		p = strchr(p, '\n');
		if (!p)
			break;
		*p++ = 0;
	}
	for (size_t i = n + 1; i < 9; i++)
		line[i] = "";
	if (n < 8 && line[n] == NULL)
		line[n] = "";
	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	field(c.mac, sizeof(c.mac), line[2]);
	field(c.ip, sizeof(c.ip), line[3]);
	field(c.relay, sizeof(c.relay), line[4]);
	field(c.server_ip, sizeof(c.server_ip), line[5]);
	field(c.arch_name, sizeof(c.arch_name), line[6]);
	field(c.iface, sizeof(c.iface), line[7]);
	c.phase = line[8][0] >= '0' && line[8][0] <= '4' ? line[8][0] - '0' : PXH_PHASE_DHCP;

	if (!pxh_client_match(&c, "all") || !pxh_client_match(&c, "ALL"))
		__builtin_trap();
	if (asprintf(&ini, "[access]\nallow = %s\ndeny = %s\n", line[0], line[1]) < 0)
		goto out;
	conf = pxh_conf_load(NULL, ini, &errs);
	if (!conf || errs.n)
		goto out;
	ok = pxh_access_allowed(conf, &c, why, sizeof(why));
	if (!memchr(why, 0, sizeof(why)))
		__builtin_trap();
	for (size_t i = 0; i < pxh_cfg_list_len(conf, "access", NULL, "deny"); i++)
		any_deny |= pxh_client_match(&c, pxh_cfg_list_item(conf, "access", NULL, "deny", i));
	for (size_t i = 0; i < pxh_cfg_list_len(conf, "access", NULL, "allow"); i++) {
		const char *r = pxh_cfg_list_item(conf, "access", NULL, "allow", i);
		int m = pxh_client_match(&c, r), o;

		any_allow |= m;
		/* subnet rules against the oracle, one address at a time */
		o = oracle(r, c.ip);
		if (o >= 0 && o != pxh_addr_in_subnet(r, c.ip))
			__builtin_trap();
		o = oracle(r, c.server_ip);
		/* the server's address counts only for a DHCP broadcast that
		 * shows neither a relay nor a client address */
		if (o == 1 && m && oracle(r, c.relay) != 1 && oracle(r, c.ip) != 1 &&
		    pxh_addr_in_subnet(r, c.relay) == 0 && pxh_addr_in_subnet(r, c.ip) == 0 &&
		    (c.phase != PXH_PHASE_DHCP || c.ip[0] || c.relay[0]))
			__builtin_trap();
	}
	if (ok != (!any_deny && any_allow))
		__builtin_trap();
out:
	pxh_conf_errors_free(&errs);
	pxh_conf_free(conf);
	free(ini);
	free(text);
	return 0;
}
