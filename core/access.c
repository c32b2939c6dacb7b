/* [access] allow / deny: who is answered at all, before any plugin. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pxehub/plugin.h"
#include "access.h"
#include "clients.h"
#include "conf.h"
#include "log.h"
#include "server.h"
#include "str.h"

/* TEXT as an address: IPv4 in the first 4 bytes of OUT (returns 4), IPv6
 * in all 16 (returns 6), 0 when neither.  A v4-mapped IPv6 address
 * (::ffff:10.0.0.5, what a dual-stack socket shows) is IPv4; a zone
 * ("fe80::1%eth0") is not part of the address: the receiving interface is
 * its own fact (if:NAME). */
static int addr_parse(const char *text, uint8_t out[16])
{
	char buf[64];
	char *pct;

	if (!text || !*text || strlen(text) >= sizeof(buf))
		return 0;
	if (inet_pton(AF_INET, text, out) == 1)
		return 4;
	snprintf(buf, sizeof(buf), "%s", text);
	pct = strchr(buf, '%');
	if (pct)
		*pct = 0;
	if (inet_pton(AF_INET6, buf, out) != 1)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)out)) {
		memmove(out, out + 12, 4);
		return 4;
	}
	return 6;
}

/* RULE as "ADDRESS" or "ADDRESS/BITS" (IPv4 or IPv6) into NET and *BITS;
 * returns 4, 6 or 0 (not an address rule).  BITS is plain decimal: no
 * sign, no leading zeros, at most 32 or 128. */
static int prefix_parse(const char *rule, uint8_t net[16], unsigned *bits)
{
	char buf[64];
	const char *slash = strchr(rule, '/');
	size_t n = slash ? (size_t)(slash - rule) : strlen(rule);
	int fam;

	if (n == 0 || n >= sizeof(buf) || memchr(rule, '%', n))
		return 0;
	memcpy(buf, rule, n);
	buf[n] = 0;
	fam = inet_pton(AF_INET, buf, net) == 1 ? 4 :
	      inet_pton(AF_INET6, buf, net) == 1 ? 6 : 0;
	if (!fam)
		return 0;
	*bits = fam == 4 ? 32 : 128;
	if (slash) {
		const char *b = slash + 1;
		unsigned v = 0;

		if (!*b || strlen(b) > 3 || strspn(b, "0123456789") != strlen(b) ||
		    (b[0] == '0' && b[1]))
			return 0;
		for (; *b; b++)
			v = v * 10 + (unsigned)(*b - '0');
		if (v > *bits)
			return 0;
		*bits = v;
	}
	return fam;
}

/* "a.b.c.d/n", "a.b.c.d", "2001:db8::/32" or "fe80::1" against ADDR:
 * only within one family (a v4-mapped ADDR is IPv4). */
bool pxh_addr_in_subnet(const char *rule, const char *addr)
{
	uint8_t net[16], a[16];
	unsigned bits, full;
	int fam;

	if (!rule || !addr || !*addr)
		return false;
	fam = prefix_parse(rule, net, &bits);
	if (!fam || addr_parse(addr, a) != fam)
		return false;
	full = bits / 8;
	if (memcmp(net, a, full))
		return false;
	if (bits % 8) {
		uint8_t m = (uint8_t)(0xff00u >> (bits % 8));

		return (net[full] & m) == (a[full] & m);
	}
	return true;
}

/* MAC prefix "00:11:22", "00-11-22" or "001122", any case. */
static bool mac_prefix(const char *rule, const char *mac)
{
	char want[13] = "", have[13] = "";
	size_t w = 0, h = 0;

	for (const char *p = rule; *p; p++) {
		if (*p == ':' || *p == '-')
			continue;
		if (!isxdigit((unsigned char)*p) || w >= 12)
			return false;
		want[w++] = (char)tolower((unsigned char)*p);
	}
	for (const char *p = mac; *p && h < 12; p++)
		if (*p != ':')
			have[h++] = (char)tolower((unsigned char)*p);
	return w >= 2 && h == 12 && !strncmp(want, have, w);
}

/* Only hex digits and separators: "52:54:00", "52-54-00", "525400".
 * Architecture names ("efi-x64") have other letters. */
static bool looks_like_mac(const char *r)
{
	size_t digits = 0;

	for (const char *p = r; *p; p++) {
		if (isxdigit((unsigned char)*p))
			digits++;
		else if (*p != ':' && *p != '-')
			return false;
	}
	return digits >= 2 && (strchr(r, ':') || strchr(r, '-') || digits == 12);
}

/* An address rule: IPv4 ("10.1.0.0/16", "10.0.0.5") as before, and IPv6
 * ("2001:db8::/32", "fe80::/10", "2001:db8::5").  IPv6 is tested first:
 * "fe80::1" also looks like a MAC prefix, and no MAC prefix is a valid
 * IPv6 address (at most 6 groups, never "::"). */
static bool is_prefix_rule(const char *r)
{
	uint8_t net[16];
	unsigned bits;

	if (strchr(r, ':'))
		return prefix_parse(r, net, &bits) == 6 ||
		       (strchr(r, '/') && !looks_like_mac(r));
	return isdigit((unsigned char)r[0]) && (strchr(r, '.') || strchr(r, '/'));
}

int pxh_access_rule_check(const char *r, char *why, size_t why_len)
{
	uint8_t net[16];
	unsigned bits;

	if (!r || !*r) {
		snprintf(why, why_len, "an empty rule");
		return -EINVAL;
	}
	if (!strcasecmp(r, "all") || !strncmp(r, "if:", 3))
		return 0;
	if (is_prefix_rule(r)) {
		if (prefix_parse(r, net, &bits))
			return 0;
		snprintf(why, why_len, "'%s' is not an address or prefix (10.1.0.0/16, "
		         "2001:db8::/32, fe80::/10; bits 0-32 for IPv4, 0-128 for IPv6; "
		         "no zone)", r);
		return -EINVAL;
	}
	if (looks_like_mac(r)) {
		size_t digits = 0;

		for (const char *p = r; *p; p++)
			digits += isxdigit((unsigned char)*p) != 0;
		if (digits <= 12)
			return 0;
		snprintf(why, why_len, "'%s': a MAC prefix has at most 12 hex digits", r);
		return -EINVAL;
	}
	if (strchr(r, '/') || strchr(r, '.') || strchr(r, ':') || strchr(r, '%')) {
		snprintf(why, why_len, "'%s' is neither an address, a prefix, a MAC "
		         "prefix, an architecture name, if:NAME nor all", r);
		return -EINVAL;
	}
	return 0;
}

static bool rule_matches(const char *r, const pxh_client *c)
{
	if (!strcasecmp(r, "all"))
		return true;
	if (!strncmp(r, "if:", 3))
		return !strcmp(r + 3, c->iface);
	/* Addresses the server saw, never what a client wrote in a field:
	 * the relay (a giaddr the DHCP module checked against the packet's
	 * source), the client's own source address, and only for a DHCP
	 * broadcast that shows neither, the address of the interface it
	 * arrived on (a broadcast does not cross routers).  A TCP or TFTP
	 * peer always has an address, so the server's own never matches. */
	if (is_prefix_rule(r))
		return pxh_addr_in_subnet(r, c->relay) || pxh_addr_in_subnet(r, c->ip) ||
		       (!c->relay[0] && !c->ip[0] && c->phase == PXH_PHASE_DHCP &&
		        pxh_addr_in_subnet(r, c->server_ip));
	if (looks_like_mac(r))
		return mac_prefix(r, c->mac);
	return c->arch_name[0] && !strcasecmp(r, c->arch_name);
}

/* pxehubd -t: every allow and deny rule in one of the forms, with the
 * FILE:LINE of its key. */
void pxh_access_conf_check(const struct pxh_conf *conf, struct pxh_conf_errors *errs)
{
	static const char *const keys[] = {"allow", "deny"};
	const struct pxh_access_conf *ac = pxh_access_conf(conf);
	const pxh_conf_list *lists[] = {&ac->allow, &ac->deny};

	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < lists[k]->n; i++) {
			const char *r = lists[k]->v[i];
			char why[300];

			if (pxh_access_rule_check(r, why, sizeof(why)) < 0)
				pxh_conf_errors_add(errs, "%s: [access] %s: %s",
				                    pxh_cfg_where(conf, "access", NULL, keys[k]),
				                    keys[k], why);
		}
	}
}

int pxh_client_match(const pxh_client *c, const char *rule)
{
	return c && rule && rule_matches(rule, c);
}

bool pxh_access_allowed(const struct pxh_conf *conf, const pxh_client *c,
                        char *why, size_t why_len)
{
	const struct pxh_access_conf *ac = pxh_access_conf(conf);

	for (size_t i = 0; i < ac->deny.n; i++) {
		const char *r = ac->deny.v[i];
		if (rule_matches(r, c)) {
			snprintf(why, why_len, "denied by [access] deny rule '%s'", r);
			return false;
		}
	}
	if (!ac->allow.n) {
		snprintf(why, why_len, "[access] allow is empty: pxehub answers nobody until it is set");
		return false;
	}
	for (size_t i = 0; i < ac->allow.n; i++) {
		const char *r = ac->allow.v[i];
		if (rule_matches(r, c)) {
			snprintf(why, why_len, "allowed by [access] allow rule '%s'", r);
			return true;
		}
	}
	snprintf(why, why_len, "no [access] allow rule matches");
	return false;
}

/* [access] tftp / files = any: that protocol serves every sender. */
static bool proto_open(const struct pxh_conf *conf, const char *proto)
{
	const struct pxh_access_conf *ac = pxh_access_conf(conf);
	const char *v = !strcmp(proto, "tftp") ? ac->tftp : !strcmp(proto, "files") ? ac->files : NULL;

	return v && !strcasecmp(v, "any");
}

void pxh_access_peer_client(struct pxh_server *s, enum pxh_phase phase,
                            const char *addr, pxh_client *out)
{
	pxh_client known;

	memset(out, 0, sizeof(*out));
	out->struct_size = sizeof(*out);
	out->phase = phase;
	out->arch = PXH_ARCH_UNKNOWN;
	out->arch_raw = 0xffff;
	pxh_strcpy(out->ip, sizeof(out->ip), addr);
	/* MAC, architecture and interface as the DHCP phase saw them for
	 * this address; never what the request itself claims */
	if (pxh_clients_dhcp_facts_for_ip(s, addr, &known)) {
		memcpy(out->mac, known.mac, sizeof(out->mac));
		memcpy(out->arch_name, known.arch_name, sizeof(out->arch_name));
		memcpy(out->iface, known.iface, sizeof(out->iface));
		out->arch = known.arch;
		out->arch_raw = known.arch_raw;
	}
}

/* Refusals are logged at most REFUSED_LOG_MAX a second: a flood from a
 * refused range must not become a flood of log lines. */
#define REFUSED_LOG_MAX 10

void pxh_access_log_refusal(struct pxh_server *s, const pxh_client *c,
                            const char *what, const char *why)
{
	static double window;
	static unsigned logged, skipped;
	double now = pxh_server_now(s);

	if (now - window >= 1.0 || now < window) {
		if (skipped)
			pxh_info("access: %u more refusals in the last second not logged",
			         skipped);
		window = now;
		logged = skipped = 0;
	}
	if (logged >= REFUSED_LOG_MAX) {
		skipped++;
		return;
	}
	logged++;
	pxh_logf(PXH_LOG_INFO, c, "%s refused: ip=%s %s", what,
	         c->ip[0] ? c->ip : "-", why);
}

bool pxh_access_peer_allowed(struct pxh_server *s, const char *proto,
                             const pxh_client *c, char *why, size_t why_len)
{
	if (proto && proto_open(s->conf, proto)) {
		snprintf(why, why_len, "[access] %s = any", proto);
		return true;
	}
	return pxh_access_allowed(s->conf, c, why, why_len);
}
