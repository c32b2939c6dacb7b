/* Interface addresses: the address the server advertises to a client (per
 * receiving interface, or [server] server_ip), and the interfaces [server]
 * listen names for DHCP and DHCPv6, from a short-lived cache of the
 * interface list. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "server.h"
#include "server_addr.h"

/* getifaddrs() is a netlink dump: keep the answer for a moment. */
#define IFADDR_CACHE_SECONDS 2
#define IFADDR_CACHE_MAX 64

struct ifaddr_entry {
	char name[IF_NAMESIZE];
	struct in_addr addr;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ifaddr_entry cache[IFADDR_CACHE_MAX];
static size_t cache_n;
static time_t cache_time;

static void refresh_locked(void)
{
	struct ifaddrs *ifa = NULL;
	time_t now = time(NULL);

	if (cache_n > 0 && now - cache_time < IFADDR_CACHE_SECONDS)
		return;
	cache_n = 0;
	cache_time = now;
	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i && cache_n < IFADDR_CACHE_MAX;
	     i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		struct ifaddr_entry *e = &cache[cache_n++];
		snprintf(e->name, sizeof(e->name), "%s", i->ifa_name);
		e->addr = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
	}
	freeifaddrs(ifa);
}

/* First IPv4 address of IFACE; with IFACE NULL or "", the first address of
 * an interface that is not loopback (else loopback's). */
static int iface_addr(const char *iface, struct in_addr *out)
{
	int r = -ENOENT;

	pthread_mutex_lock(&cache_lock);
	refresh_locked();
	for (size_t i = 0; i < cache_n; i++) {
		bool any = !iface || !iface[0];
		if (any ? (ntohl(cache[i].addr.s_addr) >> 24) == 127
		        : strcmp(cache[i].name, iface) != 0)
			continue;
		*out = cache[i].addr;
		r = 0;
		break;
	}
	if (r < 0 && (!iface || !iface[0]) && cache_n > 0) {
		*out = cache[0].addr;
		r = 0;
	}
	pthread_mutex_unlock(&cache_lock);
	return r;
}

int pxh_iface_of_addr(struct in_addr a, char *name, size_t cap)
{
	int r = -ENOENT;

	pthread_mutex_lock(&cache_lock);
	refresh_locked();
	for (size_t i = 0; i < cache_n; i++) {
		if (cache[i].addr.s_addr != a.s_addr)
			continue;
		snprintf(name, cap, "%s", cache[i].name);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&cache_lock);
	return r;
}

int pxh_server_ip_for(struct pxh_server *s, const char *iface, char *out,
                      size_t len)
{
	const char *fixed = s && s->conf
	                    ? pxh_server_conf(s->conf)->server_ip
	                    : NULL;
	struct in_addr a;

	if (fixed && fixed[0]) {
		int n = snprintf(out, len, "%s", fixed);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	if (iface_addr(iface, &a) < 0 && (!iface || !iface[0] ||
	                                  iface_addr(NULL, &a) < 0))
		return -ENOENT;
	if (!inet_ntop(AF_INET, &a, out, (socklen_t)len))
		return -ENAMETOOLONG;
	return 0;
}

/* The interface holding IPv6 address A: 0 when none. */
static unsigned iface_of_addr6(const struct in6_addr *a)
{
	struct ifaddrs *ifa = NULL;
	unsigned idx = 0;

	if (getifaddrs(&ifa) < 0)
		return 0;
	for (struct ifaddrs *i = ifa; i && !idx; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 &&
		    !memcmp(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr,
		            a, sizeof(*a)))
			idx = if_nametoindex(i->ifa_name);
	freeifaddrs(ifa);
	return idx;
}

void pxh_dhcp_listen_read(const struct pxh_conf *conf, bool v6,
                          unsigned **idx_out, size_t *n_out)
{
	const char *who = v6 ? "dhcp6" : "dhcp";
	size_t n = pxh_server_conf(conf)->listen.n;
	unsigned *idx = n ? calloc(n, sizeof(*idx)) : NULL;
	size_t k = 0;

	for (size_t i = 0; i < n && idx; i++) {
		const char *item = pxh_server_conf(conf)->listen.v[i];
		char name[IF_NAMESIZE] = "", text[64];
		struct in_addr a;
		struct in6_addr a6;
		unsigned x;

		if (!item)
			continue;
		/* IPv6 addresses ("fe80::1%eth0" too) are for TFTP, HTTP and
		 * DHCPv6; IPv4 addresses for TFTP, HTTP and DHCP */
		if (strchr(item, ':')) {
			if (!v6)
				continue;
			snprintf(text, sizeof(text), "%s", item);
			char *pct = strchr(text, '%');
			if (pct)
				*pct = 0;
			if (inet_pton(AF_INET6, text, &a6) != 1 ||
			    !(x = pct ? if_nametoindex(pct + 1) : iface_of_addr6(&a6))) {
				pxh_warn("%s: listen address %s is on no "
				         "interface: ignored", who, item);
				continue;
			}
			idx[k++] = x;
			continue;
		}
		if (inet_pton(AF_INET, item, &a) == 1) {
			if (v6)
				continue;
			if (pxh_iface_of_addr(a, name, sizeof(name)) < 0) {
				pxh_warn("%s: listen address %s is on no "
				         "interface: ignored", who, item);
				continue;
			}
			item = name;
		}
		x = if_nametoindex(item);
		if (!x) {
			pxh_warn("%s: listen interface %s does not exist: "
			         "ignored", who, item);
			continue;
		}
		idx[k++] = x;
	}
	*idx_out = idx;
	*n_out = k;
	/* listen named only things that are not there (or only addresses of
	 * the other family): answer nobody rather than everybody */
	if (n > 0 && k == 0)
		*n_out = (size_t)-1;
}

bool pxh_dhcp_listen_has(const unsigned *idx, size_t n, unsigned ifindex)
{
	if (n == 0)
		return true;
	if (n == (size_t)-1)
		return false;
	for (size_t i = 0; i < n; i++)
		if (idx[i] == ifindex)
			return true;
	return false;
}
