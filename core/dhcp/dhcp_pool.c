/* Server mode address pools: [pool.NAME] keys, their checks, pool choice. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "conf.h"
#include "dhcp_module.h"

/* [pool] itself takes no keys: everything is in [pool.NAME]. */
const pxh_conf_key pxh_dhcp_pool_section_keys[] = {
	PXH_CONF_END,
};

#define PB(m) PXH_CONF_BIND(struct pxh_pool_conf, m)
const pxh_conf_key pxh_dhcp_pool_keys[] = {
	{"subnet", PXH_CONF_STRING, NULL, PXH_CONF_REQUIRED, 0, 0, NULL,
	 "network of the pool as ADDRESS/PREFIX (10.77.0.0/24); a relayed "
	 "request is served by the pool whose subnet holds the relay's "
	 "address (giaddr), a direct one by the pool on its interface", PB(subnet)},
	{"range", PXH_CONF_STRING, NULL, PXH_CONF_REQUIRED, 0, 0, NULL,
	 "addresses handed out, FIRST - LAST inside the subnet (at most "
	 "65536)", PB(range)},
	{"interface", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "serve directly attached clients arriving on this interface; empty = "
	 "the interface that has an address in the subnet", PB(interface)},
	{"router", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "default gateway (option 3); empty = none", PB(router)},
	{"dns", PXH_CONF_LIST, "", 0, 0, 0, NULL,
	 "name servers (option 6), up to 4", PB(dns)},
	{"domain", PXH_CONF_STRING, "", 0, 0, 0, NULL,
	 "domain name (option 15); empty = none", PB(domain)},
	{"lease_time", PXH_CONF_DURATION, "1h", 0, 10000, 2592000000LL, NULL,
	 "lease length (option 51); clients renew at half of it (under a minute only for tests)", PB(lease_time_ms)},
	PXH_CONF_END,
};

const struct pxh_section_schema pxh_pool_section = {
	"pool", pxh_dhcp_pool_section_keys, pxh_dhcp_pool_keys, 0, sizeof(struct pxh_pool_conf)};

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;
	char buf[32];
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

static void fmt(uint32_t host, char out[16])
{
	pxh_dhcp_fmt_ip(htonl(host), out);
}

/* "10.1.0.0/24" */
static int parse_subnet(const char *s, uint32_t *net, uint32_t *mask)
{
	char buf[40];
	char *slash, *end;
	long bits;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	bits = strtol(slash + 1, &end, 10);
	/* a /31 or /32 has no room for clients beside a router */
	if (end == slash + 1 || *end || bits < 8 || bits > 30)
		return -ERANGE;
	if (parse_ip(buf, net))
		return -EINVAL;
	*mask = ~0u << (32 - bits);
	return 0;
}

struct reader {
	const struct pxh_conf *c;
	struct pxh_conf_errors *errs;
	const char *name;
	int bad;
};

static void problem(struct reader *r, const char *key, const char *fmt_, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct reader *r, const char *key, const char *fmt_, ...)
{
	const char *where;
	char msg[400];
	va_list ap;

	/* the arguments may hold pxh_cfg_where's buffer: format them first */
	va_start(ap, fmt_);
	vsnprintf(msg, sizeof(msg), fmt_, ap);
	va_end(ap);
	where = pxh_cfg_where(r->c, "pool", r->name, key);

	/* a key missing or at its default has no line: name the header's */
	if (!strcmp(where, "(unset)") || !strcmp(where, "(default)"))
		where = pxh_cfg_section_where(r->c, "pool", r->name);
	r->bad++;
	pxh_conf_errors_add(r->errs, "%s: [pool.%s] %s: %s", where, r->name,
	                    key, msg);
}

static int read_one(struct reader *r, const struct pxh_pool_conf *pc,
                    struct pxh_dhcp_pool *p)
{
	const char *name = r->name;
	const char *v;
	char a[16];
	int before = r->bad;

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (strlen(name) >= sizeof(p->name))
		problem(r, "subnet", "pool name longer than %zu characters",
		        sizeof(p->name) - 1);
	v = pc->subnet;
	if (!v)
		return -EINVAL; /* the key table reported it */
	int e = parse_subnet(v, &p->net, &p->mask);
	if (e == -ERANGE)
		problem(r, "subnet", "'%s': the prefix must be /8 to /30", v);
	else if (e)
		problem(r, "subnet", "'%s' is not ADDRESS/PREFIX", v);
	else if (p->net & ~p->mask)
		problem(r, "subnet", "'%s' has host bits set (the network is %s)",
		        v, (fmt(p->net & p->mask, a), a));
	p->net &= p->mask;

	v = pc->range;
	if (!v)
		return -EINVAL;
	const char *dash = strchr(v, '-');
	char first[40];
	if (!dash || (size_t)(dash - v) >= sizeof(first)) {
		problem(r, "range", "'%s' is not FIRST - LAST", v);
	} else {
		memcpy(first, v, (size_t)(dash - v));
		first[dash - v] = 0;
		if (parse_ip(first, &p->first) || parse_ip(dash + 1, &p->last))
			problem(r, "range", "'%s' is not FIRST - LAST", v);
		else if (p->first > p->last)
			problem(r, "range", "'%s': the first address is after the "
			        "last", v);
		else if (!e && ((p->first & p->mask) != p->net ||
		                (p->last & p->mask) != p->net))
			problem(r, "range", "'%s' is not inside subnet %s", v,
			        pc->subnet);
		else if (!e && (p->first == p->net ||
		                p->last == (p->net | ~p->mask)))
			problem(r, "range", "'%s' holds the network or broadcast "
			        "address of the subnet", v);
		else if ((uint64_t)p->last - p->first + 1 > PXH_DHCP_POOL_ADDRS)
			problem(r, "range", "'%s' has more than %d addresses", v,
			        PXH_DHCP_POOL_ADDRS);
	}

	v = pc->router;
	if (v && v[0]) {
		if (parse_ip(v, &p->router))
			problem(r, "router", "'%s' is not an IPv4 address", v);
		else if (!e && (p->router & p->mask) != p->net)
			problem(r, "router", "%s is not in subnet %s", v,
			        pc->subnet);
		else if (pxh_dhcp_pool_in_range(p, p->router))
			problem(r, "router", "%s is inside the range (it would be "
			        "handed to a client)", v);
	}
	size_t nd = pc->dns.n;
	if (nd > PXH_DHCP_DNS_MAX)
		problem(r, "dns", "%zu servers: at most %d", nd, PXH_DHCP_DNS_MAX);
	for (size_t i = 0; i < nd && i < PXH_DHCP_DNS_MAX; i++) {
		const char *item = pc->dns.v[i];
		if (!item || parse_ip(item, &p->dns[p->n_dns]))
			problem(r, "dns", "'%s' is not an IPv4 address",
			        item ? item : "");
		else
			p->n_dns++;
	}
	v = pc->domain;
	if (v && strlen(v) >= sizeof(p->domain))
		problem(r, "domain", "longer than %zu characters",
		        sizeof(p->domain) - 1);
	snprintf(p->domain, sizeof(p->domain), "%s", v ? v : "");
	for (const char *q = p->domain; *q; q++)
		if ((unsigned char)*q <= ' ' || (unsigned char)*q >= 0x7f) {
			problem(r, "domain", "'%s' has a blank or control "
			        "character", v);
			break;
		}
	v = pc->interface;
	if (v && strlen(v) >= sizeof(p->iface))
		problem(r, "interface", "'%s' is longer than an interface name", v);
	snprintf(p->iface, sizeof(p->iface), "%s", v ? v : "");
	p->lease_secs = (uint32_t)(pc->lease_time_ms / 1000); /* >= 10 s: the key's bound */
	return r->bad > before ? -EINVAL : 0;
}

int pxh_dhcp_pools_read(const struct pxh_conf *c, struct pxh_dhcp_pool **out,
                        size_t *n, struct pxh_conf_errors *errs)
{
	size_t count = pxh_cfg_sub_count(c, "pool");
	struct pxh_dhcp_pool *v;
	struct reader r = {.c = c, .errs = errs};
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (count == 0)
		return 0;
	if (count > PXH_DHCP_POOL_MAX) {
		pxh_conf_errors_add(errs, "%s: %zu [pool.NAME] sections: at most %d",
		                    pxh_cfg_main_path(c), count, PXH_DHCP_POOL_MAX);
		return -EINVAL;
	}
	v = calloc(count, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		r.name = pxh_cfg_sub_name(c, "pool", i);
		const struct pxh_pool_conf *pc = pxh_conf_core_sub(c, PXH_SEC_POOL, i);

		if (!r.name || !pc || read_one(&r, pc, &v[k]) < 0)
			continue;
		/* two pools for the same clients: which one answers would
		 * depend on the order in the file */
		for (size_t j = 0; j < k; j++) {
			const struct pxh_dhcp_pool *o = &v[j];
			bool ranges = v[k].first <= o->last && o->first <= v[k].last;
			bool nets = (v[k].net & o->mask) == o->net ||
			            (o->net & v[k].mask) == v[k].net;
			if (ranges)
				problem(&r, "range", "overlaps the range of "
				        "[pool.%s] (%s)", o->name,
				        pxh_cfg_where(c, "pool", o->name, "range"));
			else if (nets && !strcmp(v[k].iface, o->iface))
				problem(&r, "subnet", "overlaps the subnet of "
				        "[pool.%s] (%s) on the same interface: "
				        "give each an interface, or make one "
				        "pool", o->name,
				        pxh_cfg_where(c, "pool", o->name, "subnet"));
		}
		k++;
	}
	if (r.bad) {
		free(v);
		return -EINVAL;
	}
	*out = v;
	*n = k;
	return 0;
}

void pxh_dhcp_conf_check(const struct pxh_conf *c, struct pxh_conf_errors *errs)
{
	struct pxh_dhcp_pool *v = NULL;
	size_t n = 0;
	const char *mode = pxh_dhcp_conf(c)->mode;
	bool server = mode && !strcmp(mode, "server");
	const char *where = pxh_cfg_where(c, "dhcp", NULL, "mode");
	char at[600];

	snprintf(at, sizeof(at), "%s", where);
	if (pxh_dhcp_pools_read(c, &v, &n, errs) < 0)
		return;
	free(v);
	if (!server)
		return;
	if (n == 0)
		pxh_conf_errors_add(errs, "%s: [dhcp] mode = server needs at least "
		                    "one [pool.NAME] section (subnet, range)", at);
	if (!pxh_dhcp_conf(c)->enabled)
		pxh_conf_errors_add(errs, "%s: [dhcp] mode = server with enabled = "
		                    "no (%s): nothing would answer", at,
		                    pxh_cfg_where(c, "dhcp", NULL, "enabled"));
	else if (pxh_dhcp_conf(c)->port != DHCP_SERVER_PORT)
		pxh_conf_errors_add(errs, "%s: [dhcp] mode = server needs port = "
		                    "67 (%s): clients and relays send there", at,
		                    pxh_cfg_where(c, "dhcp", NULL, "port"));
}

const struct pxh_dhcp_pool *pxh_dhcp_pool_for(const struct pxh_dhcp_pool *v,
                                              size_t n, uint32_t giaddr,
                                              const char *ifname,
                                              uint32_t local)
{
	uint32_t g = ntohl(giaddr), l = ntohl(local);

	if (g) {
		for (size_t i = 0; i < n; i++)
			if ((g & v[i].mask) == v[i].net)
				return &v[i];
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].iface[0] && ifname && !strcmp(v[i].iface, ifname))
			return &v[i];
	for (size_t i = 0; i < n; i++)
		if (!v[i].iface[0] && l && (l & v[i].mask) == v[i].net)
			return &v[i];
	return NULL;
}
