/* [access] allow / deny: who is answered at all, before any plugin. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pxehub/plugin.h"
#include "access.h"
#include "clients.h"
#include "conf.h"
#include "log.h"
#include "server.h"
#include "str.h"

/* "a.b.c.d/n" or "a.b.c.d" against ADDR. */
bool pxh_addr_in_subnet(const char *rule, const char *addr)
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
		return pxh_addr_in_subnet(r, c->relay) || pxh_addr_in_subnet(r, c->ip) ||
		       (!c->relay[0] && !c->ip[0] && c->phase == PXH_PHASE_DHCP &&
		        pxh_addr_in_subnet(r, c->server_ip));
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

/* [access] tftp / files = any: that protocol serves every sender. */
static bool proto_open(const struct pxh_conf *conf, const char *proto)
{
	const char *v = pxh_cfg_str(conf, "access", NULL, proto);

	return v && !strcmp(v, "any");
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
