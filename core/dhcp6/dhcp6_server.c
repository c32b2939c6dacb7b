/* DHCPv6 boot answers on UDP 547 and 4011: a proxy that gives no address. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stddef.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp6.h"
#include "dhcp/dhcp.h"
#include "access.h"
#include "decide.h"
#include "counters.h"
#include "events.h"
#include "log.h"
#include "str.h"

#define REPLY_MAX 1500
#define URL_MAX 512

enum {
	DROP_MALFORMED,
	DROP_TYPE,       /* not a message a proxy answers, or another server's */
	DROP_NOT_PXE,
	DROP_NO_MAC,
	DROP_IFACE,
	DROP_RATE,
	DROP_DUPLICATE,
	DROP_REFLECT,
	DROP_DEST_RATE,
	DROP_ACCESS,
	DROP_BUSY,
	DROP_NO_LOADER,
	DROP_NO_ADDRESS, /* no global address to put in the URL */
	DROP_SEND,
	DROP__MAX
};

static const char *const drop_names[DROP__MAX] = {
	[DROP_MALFORMED] = "malformed",   [DROP_TYPE] = "type",
	[DROP_NOT_PXE] = "not_pxe",       [DROP_NO_MAC] = "no_mac",
	[DROP_IFACE] = "interface",       [DROP_RATE] = "rate",
	[DROP_DUPLICATE] = "duplicate",   [DROP_REFLECT] = "reflection",
	[DROP_DEST_RATE] = "destination_rate", [DROP_ACCESS] = "access",
	[DROP_BUSY] = "busy",             [DROP_NO_LOADER] = "no_loader",
	[DROP_NO_ADDRESS] = "no_address", [DROP_SEND] = "send",
};

struct pxh_dhcp6;

struct dhcp6_sock {
	int fd;
	uint16_t port;
	bool pxe; /* the 4011 socket */
	ev_io io;
	struct pxh_dhcp6 *d;
};

struct dhcp6_pending {
	struct dhcp6_pending *next, *prev;
	struct pxh_dhcp6 *d;
	struct pxh_decision *handle;
	int sock;
	struct sockaddr_in6 src;
	unsigned ifindex;
	struct in6_addr local;  /* the address the packet was sent to */
	char server_ip[INET6_ADDRSTRLEN]; /* what the URLs name */
	pxh_client client;
	size_t len;
	struct pxh_dhcp6_msg msg;
	uint8_t pkt[PXH_DHCP6_MAX_PKT + 1];
};

/* The MAC a DUID showed at its Solicit (EUI-64 link-local, option 79):
 * EDK2 sends its DUID-UUID from a global address to 4011 later, where
 * nothing else names the MAC.  Direct mapped, so a flood of made-up DUIDs
 * costs no memory. */
#define DUID_MACS 1024
struct duid_mac {
	uint8_t len;
	uint8_t duid[DHCP6_DUID_MAX];
	uint8_t mac[6];
};

struct pxh_dhcp6 {
	struct pxh_server *s;
	struct duid_mac *duid_macs; /* DUID_MACS entries */
	struct dhcp6_sock sock[2];
	size_t n_sock;
	long long port, pxe_port; /* as opened: a change needs a restart */
	/* settings (re-read on reload) */
	bool has_server_ip;
	struct in6_addr server_ip;
	long long http_port, max_pending;
	char loader[21][256];
	unsigned *ifindex;
	size_t n_ifindex;
	struct pxh_dhcp_limit limit;
	struct pxh_addr_rate dest_rate;
	/* our DUID (server identifier) */
	uint8_t duid[14];
	size_t duid_len;
	struct dhcp6_pending *pending;
	size_t n_pending;
	double no_address_logged; /* when the warning last went out */
	uint64_t *c_requests[2], *c_advertise, *c_reply;
	uint64_t *c_drop[DROP__MAX];
	uint64_t *c_verdict[5];
};

static void drop(struct pxh_dhcp6 *d, int reason)
{
	if (d->c_drop[reason])
		(*d->c_drop[reason])++;
}

/* ---- interfaces and addresses ------------------------------------------ */
static bool iface_allowed(const struct pxh_dhcp6 *d, unsigned ifindex)
{
	return pxh_dhcp_listen_has(d->ifindex, d->n_ifindex, ifindex);
}

/* A global (not link-local) unicast address of interface IFINDEX: what a
 * boot URL can name without a zone. */
static int global_addr_of(unsigned ifindex, struct in6_addr *out)
{
	static struct {
		unsigned idx;
		double t;
		struct in6_addr a;
		bool ok;
	} cache[16];
	static unsigned next;
	double now = pxh_the_server ? pxh_server_now(pxh_the_server) : 0;
	char want[IF_NAMESIZE];
	struct ifaddrs *ifa = NULL;
	bool ok = false;

	for (unsigned i = 0; i < 16; i++)
		if (cache[i].idx == ifindex && now - cache[i].t < 2.0) {
			*out = cache[i].a;
			return cache[i].ok ? 0 : -EADDRNOTAVAIL;
		}
	if (!if_indextoname(ifindex, want) || getifaddrs(&ifa) < 0)
		return -EADDRNOTAVAIL;
	for (struct ifaddrs *i = ifa; i && !ok; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 ||
		    strcmp(i->ifa_name, want))
			continue;
		const struct in6_addr *a =
			&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
		if (IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_LOOPBACK(a) ||
		    IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_UNSPECIFIED(a))
			continue;
		*out = *a;
		ok = true;
	}
	freeifaddrs(ifa);
	unsigned k = next++ % 16;
	cache[k].idx = ifindex;
	cache[k].t = now;
	cache[k].ok = ok;
	if (ok)
		cache[k].a = *out;
	return ok ? 0 : -EADDRNOTAVAIL;
}

static const char *iface_name(unsigned ifindex, char buf[IF_NAMESIZE])
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

/* Our server identifier: DUID-LL of the first Ethernet interface's MAC
 * (stable across restarts, no clock involved; RFC 8415 11.4). */
static void make_server_duid(struct pxh_dhcp6 *d)
{
	struct ifaddrs *ifa = NULL;
	uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};

	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
			if (!i->ifa_addr || i->ifa_addr->sa_family != AF_PACKET ||
			    (i->ifa_flags & IFF_LOOPBACK))
				continue;
			const struct sockaddr_ll *ll = (const void *)i->ifa_addr;
			if (ll->sll_halen == 6) {
				memcpy(mac, ll->sll_addr, 6);
				break;
			}
		}
		freeifaddrs(ifa);
	}
	d->duid_len = pxh_dhcp6_make_duid(mac, 0, d->duid);
}

/* Join ff02::1:2 on every IPv6 interface (answering stays limited to
 * [server] listen per packet).  Joining twice is harmless. */
static void join_all(struct pxh_dhcp6 *d, int fd)
{
	struct ifaddrs *ifa = NULL;
	unsigned done[64];
	size_t n = 0;

	if (getifaddrs(&ifa) < 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6 ||
		    (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_MULTICAST))
			continue;
		unsigned x = if_nametoindex(i->ifa_name);
		bool seen = false;
		for (size_t k = 0; k < n; k++)
			seen |= done[k] == x;
		if (!x || seen || n == 64 || !iface_allowed(d, x))
			continue;
		done[n++] = x;
		struct ipv6_mreq mr = {.ipv6mr_interface = x};
		inet_pton(AF_INET6, DHCP6_ALL_AGENTS, &mr.ipv6mr_multiaddr);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
		               sizeof(mr)) < 0 && errno != EADDRINUSE)
			pxh_warn("dhcp6: cannot join %s on %s: %s",
			         DHCP6_ALL_AGENTS, i->ifa_name, strerror(errno));
	}
	freeifaddrs(ifa);
}

static void read_settings(struct pxh_dhcp6 *d, const struct pxh_conf *conf)
{
	const char *fixed = pxh_dhcp6_conf(conf)->server_ip;

	d->has_server_ip = fixed && fixed[0] &&
	                   inet_pton(AF_INET6, fixed, &d->server_ip) == 1;
	d->http_port = pxh_cfg_int(conf, "http", NULL, "port");
	d->max_pending = pxh_dhcp_conf(conf)->max_pending; /* >= 1: the key's bound */
	pxh_dhcp_limit_read(&d->limit, &d->dest_rate, conf);
	free(d->ifindex);
	pxh_dhcp_listen_read(conf, true, &d->ifindex, &d->n_ifindex);
	for (unsigned a = 0; a <= 20; a++) {
		const char *l = pxh_dhcp_default_loader(
			conf, a == 20 ? PXH_ARCH_UNKNOWN : (uint16_t)a);
		snprintf(d->loader[a], sizeof(d->loader[a]), "%s", l ? l : "");
	}
}

/* ---- replies ------------------------------------------------------------- */
static void pending_unlink(struct dhcp6_pending *p)
{
	struct pxh_dhcp6 *d = p->d;

	if (p->prev)
		p->prev->next = p->next;
	else if (d->pending == p)
		d->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->next = p->prev = NULL;
	d->n_pending--;
}

/* Where the reply goes: a relay's source port 547 (RFC 8415 19.3), else
 * the client's source address and port, out of the receiving interface. */
static void reply_dest(const struct dhcp6_pending *p, struct sockaddr_in6 *dst)
{
	*dst = p->src;
	if (p->msg.n_relay)
		dst->sin6_port = htons(DHCP6_SERVER_PORT);
	if (IN6_IS_ADDR_LINKLOCAL(&dst->sin6_addr))
		dst->sin6_scope_id = p->ifindex;
}

static int send_reply(struct dhcp6_pending *p, const uint8_t *buf, size_t len)
{
	struct pxh_dhcp6 *d = p->d;
	struct sockaddr_in6 dst;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct in6_pktinfo pi;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_name = &dst, .msg_namelen = sizeof(dst),
	                    .msg_iov = &iov, .msg_iovlen = 1,
	                    .msg_control = ctl.buf,
	                    .msg_controllen = sizeof(ctl.buf)};
	char to[INET6_ADDRSTRLEN];

	reply_dest(p, &dst);
	memset(&ctl, 0, sizeof(ctl));
	memset(&pi, 0, sizeof(pi));
	/* from the address the request reached, unless that was the
	 * multicast group: then the kernel picks one on the interface */
	pi.ipi6_ifindex = p->ifindex;
	if (!IN6_IS_ADDR_MULTICAST(&p->local))
		pi.ipi6_addr = p->local;
	ctl.align.cmsg_level = IPPROTO_IPV6;
	ctl.align.cmsg_type = IPV6_PKTINFO;
	ctl.align.cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(&ctl.align), &pi, sizeof(pi));
	if (sendmsg(d->sock[p->sock].fd, &mh, MSG_DONTWAIT) < 0) {
		int e = errno;
		drop(d, DROP_SEND);
		inet_ntop(AF_INET6, &dst.sin6_addr, to, sizeof(to));
		pxh_logf(PXH_LOG_WARNING, &p->client,
		         "dhcp6: cannot send reply to [%s]:%u: %s mac=%s", to,
		         ntohs(dst.sin6_port), strerror(e), p->client.mac);
		return -e;
	}
	return 0;
}

static void emit_decision(struct pxh_dhcp6 *d, const pxh_client *c,
                          const char *action, const char *plugin,
                          const char *file, const char *msg)
{
	pxh_dhcp_emit_decision(d->s, c, action, plugin, file, msg);
}

/* The boot file URL for C: iPXE the script, HTTP boot an http URL under
 * /tftp/, PXE a tftp URL; a loader that is a URL already goes as it is.
 * 0, -ENOENT (no loader) or -ENAMETOOLONG. */
static int boot_url(const struct pxh_dhcp6 *d, const pxh_client *c,
                    const char *loader, const char *host, char *out,
                    size_t cap)
{
	char bracketed[INET6_ADDRSTRLEN + 2], file[URL_MAX];
	int r, n;

	snprintf(bracketed, sizeof(bracketed), "[%s]", host);
	r = pxh_dhcp_boot_file(c, loader, bracketed, d->http_port, file,
	                       sizeof(file));
	if (r < 0)
		return r;
	if (strstr(file, "://"))
		n = snprintf(out, cap, "%s", file);
	else
		n = snprintf(out, cap, "tftp://%s/%s", bracketed,
		             file + strspn(file, "/"));
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static void answer(struct dhcp6_pending *p, const struct pxh_answer *a,
                   const char *plugin)
{
	struct pxh_dhcp6 *d = p->d;
	pxh_client *c = &p->client;
	const struct pxh_dhcp6_msg *m = &p->msg;
	const char *loader = a && a->loader ? a->loader
	                     : d->loader[c->arch <= 19 ? c->arch : 20];
	const char *host = p->server_ip;
	char url[URL_MAX], msg[256], ns[INET6_ADDRSTRLEN];
	uint8_t out[REPLY_MAX];
	struct in6_addr na;
	int n;

	if (!loader[0])
		loader = NULL;
	/* a plugin's next_server names the host when it is an IPv6 address */
	if (a && a->next_server && inet_pton(AF_INET6, a->next_server, &na) == 1 &&
	    inet_ntop(AF_INET6, &na, ns, sizeof(ns)))
		host = ns;
	if (boot_url(d, c, loader, host, url, sizeof(url)) < 0) {
		drop(d, DROP_NO_LOADER);
		snprintf(msg, sizeof(msg), "ignored: no loader for arch %s (%u)",
		         c->arch_name, c->arch_raw);
		pxh_logf(PXH_LOG_INFO, c, "dhcp6: %s", msg);
		emit_decision(d, c, "ignore", plugin, "", msg);
		return;
	}
	struct pxh_dhcp6_reply r = {
		.type = m->type == DHCP6_SOLICIT ? DHCP6_ADVERTISE : DHCP6_REPLY,
		.server_duid = d->duid,
		.server_duid_len = d->duid_len,
		.url = url,
		.http_client = c->is_http_boot,
		/* never an IA with an error status in an Advertise: EDK2's
		 * Dhcp6SeekStsOption drops such an Advertise */
		.ia_status = m->type == DHCP6_REQUEST ? DHCP6_STATUS_NO_ADDRS_AVAIL
		             : m->type == DHCP6_RENEW ? DHCP6_STATUS_NO_BINDING : 0,
	};
	if (d->sock[p->sock].pxe)
		r.ia_status = 0;
	n = pxh_dhcp6_build(m, &r, out, sizeof(out));
	if (n < 0) {
		drop(d, DROP_SEND);
		pxh_logf(PXH_LOG_WARNING, c, "dhcp6: no reply: %s (boot URL of "
		         "%zu bytes)", strerror(-n), strlen(url));
		emit_decision(d, c, "ignore", plugin, url, "reply too large");
		return;
	}
	if (send_reply(p, out, (size_t)n) < 0)
		return;
	(*(r.type == DHCP6_ADVERTISE ? d->c_advertise : d->c_reply))++;
	pxh_logf(PXH_LOG_INFO, c, "dhcp6: %s mac=%s arch=%s url=%s by=%s",
	         r.type == DHCP6_ADVERTISE ? "advertise" : "reply", c->mac,
	         c->arch_name, url, plugin);
	size_t o = pxh_strcat_at(msg, sizeof(msg), 0,
	                         r.type == DHCP6_ADVERTISE ? "proxy advertise on "
	                                                   : "reply on ");
	pxh_strcat_at(msg, sizeof(msg), o, c->iface);
	emit_decision(d, c, "boot", plugin, url, msg);
}

/* The verdict for P's client: the reply (or none), its event. */
static void reply(struct dhcp6_pending *p, enum pxh_verdict v,
                  const struct pxh_answer *a, const char *plugin,
                  const char *why)
{
	struct pxh_dhcp6 *d = p->d;
	char msg[256];

	if (v >= PXH_BOOT && v <= PXH_IGNORE && d->c_verdict[v])
		(*d->c_verdict[v])++;
	if (v == PXH_BOOT) {
		answer(p, a, plugin);
	} else {
		snprintf(msg, sizeof(msg), "%s: no reply (%s%s%s)",
		         v == PXH_LOCAL ? "local" : "ignored", plugin,
		         why && why[0] ? ": " : "", why ? why : "");
		pxh_logf(PXH_LOG_INFO, &p->client, "dhcp6: mac=%s %s",
		         p->client.mac, msg);
		emit_decision(d, &p->client, pxh_verdict_name(v), plugin, "", msg);
	}
}

/* A deferred decision's end (from the loop): P was held for it. */
static void decided(void *ctx, enum pxh_verdict v, const struct pxh_answer *a,
                    const char *plugin, const char *why)
{
	struct dhcp6_pending *p = ctx;

	reply(p, v, a, plugin, why);
	pending_unlink(p);
	free(p);
}

/* ---- requests ------------------------------------------------------------ */
static const char *type_name(uint8_t t)
{
	switch (t) {
	case DHCP6_SOLICIT: return "solicit";
	case DHCP6_REQUEST: return "request";
	case DHCP6_RENEW: return "renew";
	case DHCP6_INFORMATION_REQUEST: return "information-request";
	default: return "other";
	}
}

/* Is the Server Identifier of M ours (or absent, when ABSENT_OK)? */
static bool for_us(const struct pxh_dhcp6 *d, const struct pxh_dhcp6_msg *m,
                   bool absent_ok)
{
	size_t len = 0;
	const uint8_t *v = pxh_dhcp6_opt(m, DHCP6_OPT_SERVERID, &len);

	if (!v)
		return absent_ok;
	return len == d->duid_len && !memcmp(v, d->duid, len);
}

/* Which client messages a proxy answers (docs/ipv6.md): on 547 Solicit
 * (Advertise, no address), Request and Renew naming our DUID, and
 * Information-request (Reply); on 4011 the Request EDK2 sends to the boot
 * server it found in our Advertise. */
static bool type_wanted(const struct pxh_dhcp6 *d, const struct pxh_dhcp6_msg *m,
                        bool pxe)
{
	if (pxe)
		return !m->n_relay && (m->type == DHCP6_REQUEST ||
		                       m->type == DHCP6_INFORMATION_REQUEST) &&
		       for_us(d, m, true);
	switch (m->type) {
	case DHCP6_SOLICIT:
		/* RFC 8415 16.2: a Solicit carries no Server Identifier */
		return !pxh_dhcp6_opt(m, DHCP6_OPT_SERVERID, NULL);
	case DHCP6_REQUEST:
	case DHCP6_RENEW:
		return for_us(d, m, false);
	case DHCP6_INFORMATION_REQUEST:
		return for_us(d, m, true);
	default:
		return false;
	}
}

static struct duid_mac *duid_slot(struct pxh_dhcp6 *d, const uint8_t *duid,
                                  size_t len)
{
	uint32_t h = 2166136261u;

	if (!d->duid_macs || !duid || len > DHCP6_DUID_MAX)
		return NULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ duid[i]) * 16777619u;
	return &d->duid_macs[(h ^ (h >> 16)) % DUID_MACS];
}

/* Remember (SET) or recall the MAC of the client's DUID. */
static bool duid_mac(struct pxh_dhcp6 *d, const struct pxh_dhcp6_msg *m,
                     uint8_t mac[6], bool set)
{
	size_t len = 0;
	const uint8_t *duid = pxh_dhcp6_opt(m, DHCP6_OPT_CLIENTID, &len);
	struct duid_mac *e = duid_slot(d, duid, len);

	if (!e)
		return false;
	if (set) {
		e->len = (uint8_t)len;
		memcpy(e->duid, duid, len);
		memcpy(e->mac, mac, 6);
		return true;
	}
	if (e->len != len || memcmp(e->duid, duid, len))
		return false;
	memcpy(mac, e->mac, 6);
	return true;
}

/* Checks in order of cost; true when P waits in the decision chain. */
static bool handle(struct pxh_dhcp6 *d, struct dhcp6_pending *p)
{
	struct pxh_dhcp6_msg *m = &p->msg;
	struct pxh_server *s = d->s;
	bool pxe = d->sock[p->sock].pxe;
	const char *why = "";
	char src[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE], denied[160] = "";
	uint8_t mac[6];
	struct in6_addr adv;

	if (!iface_allowed(d, p->ifindex)) {
		drop(d, DROP_IFACE);
		return false;
	}
	inet_ntop(AF_INET6, &p->src.sin6_addr, src, sizeof(src));
	if (p->len > PXH_DHCP6_MAX_PKT ||
	    pxh_dhcp6_parse(p->pkt, p->len, m, &why) < 0) {
		if (p->len > PXH_DHCP6_MAX_PKT)
			why = "longer than the receive buffer";
		drop(d, DROP_MALFORMED);
		pxh_debug("dhcp6: dropped malformed packet from [%s]:%u (%zu "
		          "bytes): %s", src, ntohs(p->src.sin6_port), p->len, why);
		return false;
	}
	if (!type_wanted(d, m, pxe)) {
		drop(d, DROP_TYPE);
		return false;
	}
	if (!pxh_dhcp6_is_boot_client(m)) {
		drop(d, DROP_NOT_PXE);
		return false;
	}
	/* no reply where no client or relay can be */
	if (IN6_IS_ADDR_MULTICAST(&p->src.sin6_addr) ||
	    IN6_IS_ADDR_UNSPECIFIED(&p->src.sin6_addr) ||
	    IN6_IS_ADDR_LOOPBACK(&p->src.sin6_addr) ||
	    IN6_IS_ADDR_V4MAPPED(&p->src.sin6_addr) || !p->src.sin6_port) {
		drop(d, DROP_REFLECT);
		pxh_debug("dhcp6: dropped: a reply would go to [%s], where no "
		          "client can be", src);
		return false;
	}
	/* the address the URLs name: [dhcp6] server_ip, else the unicast
	 * address the request reached (relayed, 4011), else a global
	 * address of the receiving interface */
	if (d->has_server_ip)
		adv = d->server_ip;
	else if (!IN6_IS_ADDR_MULTICAST(&p->local) &&
	         !IN6_IS_ADDR_LINKLOCAL(&p->local) &&
	         !IN6_IS_ADDR_UNSPECIFIED(&p->local))
		adv = p->local;
	else if (global_addr_of(p->ifindex, &adv) < 0) {
		drop(d, DROP_NO_ADDRESS);
		/* once a minute at most: every boot client on that link
		 * would say it again */
		if (pxh_server_now(s) - d->no_address_logged >= 60.0 ||
		    !d->no_address_logged) {
			d->no_address_logged = pxh_server_now(s);
			pxh_logf(PXH_LOG_WARNING, NULL, "dhcp6: no answer on %s: it "
			         "has no global IPv6 address for the boot URL (set "
			         "[dhcp6] server_ip; counted as reason=no_address)",
			         iface_name(p->ifindex, ifname));
		}
		return false;
	}
	inet_ntop(AF_INET6, &adv, p->server_ip, sizeof(p->server_ip));
	iface_name(p->ifindex, ifname);
	int from = pxh_dhcp6_fill_client(&p->client, m, &p->src.sin6_addr,
	                                 ifname, p->server_ip);
	if (from != PXH_DHCP6_MAC_NONE) {
		/* the MAC parsed back from its text: the limiter keys on bytes */
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)strtoul(p->client.mac + 3 * i, NULL, 16);
		if (from != PXH_DHCP6_MAC_DUID)
			duid_mac(d, m, mac, true);
	} else if (duid_mac(d, m, mac, false)) {
		pxh_dhcp_fmt_mac(mac, p->client.mac);
	} else {
		drop(d, DROP_NO_MAC);
		pxh_debug("dhcp6: dropped a request from [%s]: no MAC in its DUID, "
		          "relay option 79 or link-local address, nor from an "
		          "earlier Solicit of its DUID", src);
		return false;
	}
	switch (pxh_dhcp_limit_check(&d->limit, mac, m->xid, m->type,
	                             d->sock[p->sock].port, pxh_server_now(s))) {
	case PXH_LIMIT_RATE:
		drop(d, DROP_RATE);
		return false;
	case PXH_LIMIT_DUPLICATE:
		drop(d, DROP_DUPLICATE);
		return false;
	case PXH_LIMIT_PASS:
		break;
	}
	if (!pxh_addr_rate_take(&d->dest_rate,
	                        pxh_addr_key_of((const struct sockaddr *)&p->src),
	                        pxh_server_now(s))) {
		drop(d, DROP_DEST_RATE);
		return false;
	}
	(*d->c_requests[pxe ? 1 : 0])++;
	if (!pxh_access_allowed(s->conf, &p->client, denied, sizeof(denied))) {
		drop(d, DROP_ACCESS);
		pxh_access_log_refusal(s, &p->client, "dhcp6", denied);
		return false;
	}

	/* "solicit on eth0 port 547[ via relay 2001:db8::1 link 2001:db8:1::1]" */
	pxh_event ev;
	size_t o;
	char port[8], link[INET6_ADDRSTRLEN];
	pxh_event_init(&ev, PXH_EV_DHCP_REQUEST, PXH_LOG_INFO, &p->client);
	pxh_strcpy(ev.action, sizeof(ev.action), type_name(m->type));
	snprintf(port, sizeof(port), "%u", d->sock[p->sock].port);
	o = pxh_strcat_at(ev.message, sizeof(ev.message), 0, ev.action);
	o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " (dhcpv6) on ");
	o = pxh_strcat_at(ev.message, sizeof(ev.message), o, ifname);
	o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " port ");
	o = pxh_strcat_at(ev.message, sizeof(ev.message), o, port);
	if (m->n_relay) {
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " via relay ");
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, p->client.relay);
		inet_ntop(AF_INET6, &m->relay[m->n_relay - 1].link, link, sizeof(link));
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " link ");
		pxh_strcat_at(ev.message, sizeof(ev.message), o, link);
	}
	pxh_emit(s, &ev);

	if ((long long)d->n_pending >= d->max_pending) {
		drop(d, DROP_BUSY);
		pxh_dhcp_limit_forget(&d->limit, mac);
		return false;
	}
	/* Answered at once, P is the caller's again; a plugin that deferred
	 * holds it until decided() runs from the loop (never before
	 * pxh_decide_start returns). */
	struct pxh_decided now;
	int r = pxh_decide_start(s, PXH_PHASE_DHCP, &p->client, decided, p,
	                         &p->handle, &now, "dhcp6");
	if (r < 0) {
		drop(d, DROP_BUSY);
		pxh_dhcp_limit_forget(&d->limit, mac);
		pxh_logf(PXH_LOG_WARNING, NULL, "dhcp6: decision failed: %s",
		         strerror(-r));
		return false;
	}
	if (r == 1) {
		reply(p, now.v, &now.answer, now.plugin, now.why);
		pxh_decided_clear(&now);
		return false;
	}
	p->prev = NULL;
	p->next = d->pending;
	if (d->pending)
		d->pending->prev = p;
	d->pending = p;
	d->n_pending++;
	return true;
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dhcp6_sock *sk = w->data;
	struct pxh_dhcp6 *d = sk->d;

	(void)loop;
	(void)revents;
	/* a bounded number per wake-up, so the other sockets get a turn */
	for (int i = 0; i < 32; i++) {
		struct dhcp6_pending *p = malloc(sizeof(*p));
		union {
			char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
			struct cmsghdr align;
		} ctl;
		struct iovec iov;
		struct msghdr mh;
		ssize_t n;

		if (!p)
			return;
		memset(p, 0, offsetof(struct dhcp6_pending, pkt));
		iov.iov_base = p->pkt;
		iov.iov_len = sizeof(p->pkt);
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &p->src;
		mh.msg_namelen = sizeof(p->src);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(sk->fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			free(p);
			return;
		}
		p->len = (size_t)n;
		if (mh.msg_flags & MSG_TRUNC)
			p->len = PXH_DHCP6_MAX_PKT + 1;
		p->sock = (int)(sk - d->sock);
		p->d = d;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				p->ifindex = pi.ipi6_ifindex;
				p->local = pi.ipi6_addr;
			}
		}
		if (!handle(d, p))
			free(p);
	}
}

/* ---- module interface ---------------------------------------------------- */
static int open_socket(uint16_t port, int *out)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6,
	                         .sin6_port = htons(port),
	                         .sin6_addr = IN6ADDR_ANY_INIT};
	int r = 0;

	if (fd < 0)
		return -errno;
	/* v6 only: the IPv4 module has its own sockets on the same ports */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	*out = fd;
	return 0;
}

int pxh_dhcp6_open(struct pxh_server *s)
{
	struct pxh_dhcp6 *d;
	long long ports[2];

	if (!pxh_dhcp6_conf(s->conf)->enabled)
		return 0;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->s = s;
	s->dhcp6 = d;
	d->duid_macs = calloc(DUID_MACS, sizeof(*d->duid_macs));
	if (!d->duid_macs)
		return -ENOMEM;
	ports[0] = d->port = pxh_dhcp6_conf(s->conf)->port;
	ports[1] = d->pxe_port = pxh_dhcp6_conf(s->conf)->pxe_port;
	for (int i = 0; i < 2; i++) {
		struct dhcp6_sock *sk = &d->sock[d->n_sock];
		int r;

		if (ports[i] <= 0)
			continue;
		r = open_socket((uint16_t)ports[i], &sk->fd);
		if (r < 0) {
			pxh_err("dhcp6: cannot bind UDP port [::]:%lld: %s%s", ports[i],
			        strerror(-r), r == -EADDRINUSE
			        ? " (a DHCPv6 server on this host? see docs/ipv6.md)"
			        : "");
			return r;
		}
		sk->port = (uint16_t)ports[i];
		sk->pxe = i == 1;
		sk->d = d;
		d->n_sock++;
	}
	return 0;
}

static void register_counters(struct pxh_dhcp6 *d)
{
	struct pxh_server *s = d->s;

	d->c_requests[0] = pxh_counter(s, "pxehub_dhcp6_requests_total{port=\"dhcp6\"}",
	                               "DHCPv6 boot requests accepted, by listener");
	d->c_requests[1] = pxh_counter(s, "pxehub_dhcp6_requests_total{port=\"pxe\"}",
	                               "DHCPv6 boot requests accepted, by listener");
	d->c_advertise = pxh_counter(s, "pxehub_dhcp6_advertises_total",
	                             "DHCPv6 proxy Advertise messages sent");
	d->c_reply = pxh_counter(s, "pxehub_dhcp6_replies_total",
	                         "DHCPv6 Reply messages sent");
	pxh_dhcp_register_outcomes(s, "pxehub_dhcp6", "DHCPv6 messages not answered, by reason",
	                           "DHCPv6 phase decisions by verdict", drop_names,
	                           DROP__MAX, d->c_drop, d->c_verdict);
}

int pxh_dhcp6_start(struct pxh_server *s)
{
	struct pxh_dhcp6 *d = s->dhcp6;

	if (!d)
		return 0;
	register_counters(d);
	read_settings(d, s->conf);
	make_server_duid(d);
	for (size_t i = 0; i < d->n_sock; i++) {
		struct dhcp6_sock *sk = &d->sock[i];
		if (!sk->pxe)
			join_all(d, sk->fd);
		ev_io_init(&sk->io, on_readable, sk->fd, EV_READ);
		sk->io.data = sk;
		ev_io_start(s->loop, &sk->io);
		pxh_info("dhcp6: listening on UDP port [::]:%u (%s)", sk->port,
		         sk->pxe ? "PXE boot server" : "DHCPv6 proxy");
	}
	return 0;
}

void pxh_dhcp6_reload(struct pxh_server *s, const struct pxh_conf *old)
{
	struct pxh_dhcp6 *d = s->dhcp6;

	(void)old;
	if (!d)
		return;
	read_settings(d, s->conf);
	/* interfaces that came up since, or newly listed */
	for (size_t i = 0; i < d->n_sock; i++)
		if (!d->sock[i].pxe)
			join_all(d, d->sock[i].fd);
}

void pxh_dhcp6_stop(struct pxh_server *s)
{
	struct pxh_dhcp6 *d = s->dhcp6;

	if (!d)
		return;
	while (d->pending) {
		struct dhcp6_pending *p = d->pending;
		pending_unlink(p);
		if (p->handle)
			pxh_decide_cancel(p->handle);
		free(p);
	}
	for (size_t i = 0; i < d->n_sock; i++) {
		ev_io_stop(s->loop, &d->sock[i].io);
		close(d->sock[i].fd);
	}
	free(d->ifindex);
	free(d->duid_macs);
	free(d);
	s->dhcp6 = NULL;
}
