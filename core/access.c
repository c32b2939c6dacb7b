/* [access] allow / deny: who is answered at all, before any plugin. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pxehub.h"

/* "a.b.c.d/n" or "a.b.c.d" against ADDR. */
static bool in_subnet(const char *rule, const char *addr)
{
	char net[64];
	char *slash;
	struct in_addr n, a;
	long bits = 32;
	uint32_t mask;

	if (!addr || !*addr)
		return false;
	snprintf(net, sizeof(net), "%s", rule);
	slash = strchr(net, '/');
	if (slash) {
		char *end;
		*slash = 0;
		bits = strtol(slash + 1, &end, 10);
		if (*end || bits < 0 || bits > 32)
			return false;
	}
	if (inet_pton(AF_INET, net, &n) != 1 || inet_pton(AF_INET, addr, &a) != 1)
		return false;
	mask = bits ? htonl(~0u << (32 - bits)) : 0;
	return (n.s_addr & mask) == (a.s_addr & mask);
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
	if (isdigit((unsigned char)r[0]) && (strchr(r, '.') || strchr(r, '/')))
		return in_subnet(r, c->relay) || in_subnet(r, c->ip) ||
		       (!c->relay[0] && !c->ip[0] && c->phase == PXH_PHASE_DHCP &&
		        in_subnet(r, c->server_ip));
	if (looks_like_mac(r))
		return mac_prefix(r, c->mac);
	return c->arch_name[0] && !strcasecmp(r, c->arch_name);
}

int pxh_client_match(const pxh_client *c, const char *rule)
{
	return c && rule && rule_matches(rule, c);
}

bool pxh_access_allowed(const struct pxh_conf *conf, const pxh_client *c,
                        char *why, size_t why_len)
{
	size_t n = pxh_cfg_list_len(conf, "access", NULL, "deny");

	for (size_t i = 0; i < n; i++) {
		const char *r = pxh_cfg_list_item(conf, "access", NULL, "deny", i);
		if (rule_matches(r, c)) {
			snprintf(why, why_len, "denied by [access] deny rule '%s'", r);
			return false;
		}
	}
	n = pxh_cfg_list_len(conf, "access", NULL, "allow");
	if (!n) {
		snprintf(why, why_len, "[access] allow is empty: pxehub answers nobody until it is set");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const char *r = pxh_cfg_list_item(conf, "access", NULL, "allow", i);
		if (rule_matches(r, c)) {
			snprintf(why, why_len, "allowed by [access] allow rule '%s'", r);
			return true;
		}
	}
	snprintf(why, why_len, "no [access] allow rule matches");
	return false;
}
