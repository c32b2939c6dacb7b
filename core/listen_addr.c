/* What a [server] listen item names: an IPv4 or IPv6 address (a link-local
 * one with its zone) or an interface, for the TFTP and HTTP listeners. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "listen_addr.h"
#include "conf.h"

socklen_t pxh_sockaddr_len(const union pxh_sockaddr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

void pxh_sockaddr_ip(const union pxh_sockaddr *a, char *out, size_t len)
{
	if (a->sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &a->in6.sin6_addr, out, (socklen_t)len);
	else if (a->sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &a->in.sin_addr, out, (socklen_t)len);
	else
		snprintf(out, len, "?");
}

void pxh_sockaddr_text(const union pxh_sockaddr *a, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN], zone[IF_NAMESIZE];

	if (a->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &a->in.sin_addr, out, (socklen_t)len);
		return;
	}
	if (a->sa.sa_family != AF_INET6) {
		snprintf(out, len, "?");
		return;
	}
	inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
	if (a->in6.sin6_scope_id && if_indextoname(a->in6.sin6_scope_id, zone))
		snprintf(out, len, "%s%%%s", ip, zone);
	else if (a->in6.sin6_scope_id)
		snprintf(out, len, "%s%%%u", ip, a->in6.sin6_scope_id);
	else
		snprintf(out, len, "%s", ip);
}

/* An interface name as the kernel takes it: 1-15 bytes, no '/', ':',
 * '%' or white space (dev_valid_name also refuses "." and ".."). */
static bool iface_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IF_NAMESIZE || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == '%' || (unsigned char)*s <= ' ')
			return false;
	return true;
}

int pxh_listen_parse(const char *item, bool check_iface,
                     struct pxh_listen_item *out, char *why, size_t why_len)
{
	char buf[96], *zone;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!item || !*item) {
		snprintf(why, why_len, "an empty item");
		return -EINVAL;
	}
	if (inet_pton(AF_INET, item, &out->a.in.sin_addr) == 1) {
		out->kind = PXH_LISTEN_ADDR;
		out->a.in.sin_family = AF_INET;
		return 0;
	}
	n = strlen(item);
	if (n >= sizeof(buf)) {
		snprintf(why, why_len, "'%.40s...' is too long for an address or interface", item);
		return -EINVAL;
	}
	/* "[2001:db8::1]" as in a URL is taken too */
	if (item[0] == '[' && item[n - 1] == ']' && n > 2) {
		memcpy(buf, item + 1, n - 2);
		buf[n - 2] = 0;
	} else {
		memcpy(buf, item, n + 1);
	}
	if (!strchr(buf, ':')) {
		/* "10.0.0.256" is a mistyped address, not an interface */
		if (strspn(buf, "0123456789.") == n && strchr(buf, '.')) {
			snprintf(why, why_len, "'%s' is not an IPv4 address", item);
			return -EINVAL;
		}
		if (!iface_name_ok(buf) || item[0] == '[') {
			snprintf(why, why_len, "'%s' is neither an IPv4 or IPv6 address "
			         "nor an interface name", item);
			return -EINVAL;
		}
		if (check_iface && !if_nametoindex(buf)) {
			snprintf(why, why_len, "interface '%s' does not exist", buf);
			return -ENODEV;
		}
		out->kind = PXH_LISTEN_IFACE;
		snprintf(out->iface, sizeof(out->iface), "%s", buf);
		return 0;
	}
	zone = strchr(buf, '%');
	if (zone)
		*zone++ = 0;
	if (inet_pton(AF_INET6, buf, &out->a.in6.sin6_addr) != 1) {
		snprintf(why, why_len, "'%s' is not an IPv6 address", item);
		return -EINVAL;
	}
	out->kind = PXH_LISTEN_ADDR;
	out->a.in6.sin6_family = AF_INET6;
	if (IN6_IS_ADDR_LINKLOCAL(&out->a.in6.sin6_addr)) {
		if (!zone || !*zone) {
			snprintf(why, why_len, "'%s' is link-local: name its interface "
			         "too (%s%%eth0)", item, buf);
			return -EINVAL;
		}
		if (!iface_name_ok(zone)) {
			snprintf(why, why_len, "'%s': '%s' cannot be an interface name",
			         item, zone);
			return -EINVAL;
		}
		snprintf(out->iface, sizeof(out->iface), "%s", zone);
		if (check_iface) {
			out->a.in6.sin6_scope_id = if_nametoindex(zone);
			if (!out->a.in6.sin6_scope_id) {
				snprintf(why, why_len, "'%s': interface '%s' does not exist",
				         item, zone);
				return -ENODEV;
			}
		}
	} else if (zone) {
		snprintf(why, why_len, "'%s': a zone (%%%s) belongs to link-local "
		         "addresses (fe80::/10) only", item, zone);
		return -EINVAL;
	}
	return 0;
}

/* Interfaces need not exist at -t (a machine checks a config written for
 * another); the daemon says so when it binds. */
void pxh_listen_conf_check(const struct pxh_conf *conf,
                           struct pxh_conf_errors *errs)
{
	size_t n = pxh_server_conf(conf)->listen.n;

	for (size_t i = 0; i < n; i++) {
		struct pxh_listen_item it;
		char why[256];

		if (pxh_listen_parse(pxh_server_conf(conf)->listen.v[i],
		                     false, &it, why, sizeof(why)) < 0)
			pxh_conf_errors_add(errs, "%s: [server] listen: %s",
			                    pxh_cfg_where(conf, "server", NULL, "listen"), why);
	}
}
