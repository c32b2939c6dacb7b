/* proxyDHCP (67) and PXE boot server (4011): sockets, checks, decisions,
 * replies through the interface each request came in on. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dhcp.h"
#include "access.h"
#include "addr_limit.h"
#include "answer.h"
#include "conf.h"
#include "counters.h"
#include "decide.h"
#include "dhcp_module.h"
#include "events.h"
#include "log.h"
#include "server.h"
#include "str.h"

#define RECV_ROUNDS 2 /* recvmmsg calls per wake-up, so other sockets get a turn */
#define REPLY_MAX 1500

union pktinfo_ctl {
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct cmsghdr align;
};

/* A reply waiting for the end of its batch. */
struct pxh_dhcp_tx {
	struct sockaddr_in dst;
	union pktinfo_ctl ctl;
	struct iovec iov;
	uint8_t msg_type;
	char mac[18];
	uint8_t out[REPLY_MAX];
};

struct pxh_dhcp_pending {
	struct pxh_dhcp_pending *next, *prev;
	struct pxh_dhcp *d;
	struct pxh_decision *handle;
	int sock;                /* index in d->sock */
	struct sockaddr_in src;
	unsigned ifindex;
	struct in_addr local;    /* our address as the client reached it */
	struct in_addr advertised; /* server id and next server */
	char server_ip[INET_ADDRSTRLEN];
	pxh_client client;
	struct pxh_dhcp_grant grant; /* server mode: the address part */
	size_t len;
	struct pxh_dhcp_msg msg;
	uint8_t pkt[DHCP_MAX_PKT + 1];
};

static const char *const drop_names[PXH_DHCP_DROP__MAX] = {
	[PXH_DHCP_DROP_MALFORMED] = "malformed",
	[PXH_DHCP_DROP_NOT_PXE] = "not_pxe",
	[PXH_DHCP_DROP_TYPE] = "type",
	[PXH_DHCP_DROP_IFACE] = "interface",
	[PXH_DHCP_DROP_RATE] = "rate",
	[PXH_DHCP_DROP_DUPLICATE] = "duplicate",
	[PXH_DHCP_DROP_ACCESS] = "access",
	[PXH_DHCP_DROP_BUSY] = "busy",
	[PXH_DHCP_DROP_NO_LOADER] = "no_loader",
	[PXH_DHCP_DROP_SEND] = "send",
	[PXH_DHCP_DROP_REFLECT] = "reflection",
	[PXH_DHCP_DROP_DEST_RATE] = "destination_rate",
	[PXH_DHCP_DROP_RELAY] = "relay",
};

static void drop(struct pxh_dhcp *d, int reason)
{
	if (d->c_drop[reason])
		(*d->c_drop[reason])++;
}

/* ---- settings ------------------------------------------------------------ */
static void read_listen(struct pxh_dhcp *d, const struct pxh_conf *conf)
{
	free(d->ifindex);
	pxh_dhcp_listen_read(conf, false, &d->ifindex, &d->n_ifindex);
}

static void read_settings(struct pxh_dhcp *d, const struct pxh_conf *conf)
{
	d->discovery_control =
		pxh_dhcp_conf(conf)->discovery_control;
	d->max_pending = pxh_dhcp_conf(conf)->max_pending;
	if (d->max_pending <= 0)
		d->max_pending = 1024;
	pxh_dhcp_limit_read(&d->limit, &d->dest_rate, conf);
	read_listen(d, conf);
	d->http_port = pxh_cfg_int(conf, "http", NULL, "port");
	const char *fixed = pxh_server_conf(conf)->server_ip;
	d->has_server_ip = fixed && fixed[0] &&
	                   inet_pton(AF_INET, fixed, &d->server_ip) == 1;
	for (unsigned a = 0; a <= 20; a++) {
		const char *l = pxh_dhcp_default_loader(
			conf, a == 20 ? PXH_ARCH_UNKNOWN : (uint16_t)a);
		snprintf(d->loader[a], sizeof(d->loader[a]), "%s", l ? l : "");
	}
}

/* The default loader from the copy made at (re)load: no lookups per packet */
static const char *default_loader(const struct pxh_dhcp *d, uint16_t arch)
{
	const char *l = d->loader[arch <= 19 ? arch : 20];
	return l[0] ? l : NULL;
}

static bool iface_allowed(const struct pxh_dhcp *d, unsigned ifindex)
{
	return pxh_dhcp_listen_has(d->ifindex, d->n_ifindex, ifindex);
}

/* if_indextoname() is an ioctl: remember the few interfaces we see. */
static const char *iface_name(unsigned ifindex)
{
	static struct {
		unsigned idx;
		double t;
		char name[IF_NAMESIZE];
	} cache[16];
	static unsigned next;
	double now = pxh_the_server ? pxh_server_now(pxh_the_server) : 0;

	for (unsigned i = 0; i < 16; i++)
		if (cache[i].idx == ifindex && now - cache[i].t < 5.0)
			return cache[i].name;
	unsigned i = next++ % 16;
	if (!if_indextoname(ifindex, cache[i].name))
		snprintf(cache[i].name, sizeof(cache[i].name), "if%u", ifindex);
	cache[i].idx = ifindex;
	cache[i].t = now;
	return cache[i].name;
}

/* ---- replies ------------------------------------------------------------- */
static void send_failed(struct pxh_dhcp *d, const struct sockaddr_in *dst,
                        const char *mac, int e)
{
	char ip[INET_ADDRSTRLEN];

	drop(d, PXH_DHCP_DROP_SEND);
	pxh_dhcp_fmt_ip(dst->sin_addr.s_addr, ip);
	pxh_logf(PXH_LOG_WARNING, NULL,
	         "dhcp: cannot send reply to %s:%u: %s mac=%s", ip,
	         ntohs(dst->sin_port), strerror(e), mac);
}

static void sent(struct pxh_dhcp *d, uint8_t msg_type)
{
	if (msg_type == DHCPACK)
		(*d->c_acks)++;
	else if (msg_type == DHCPOFFER)
		(*d->c_offers)++;
}

static void tx_msghdr(struct pxh_dhcp_tx *t, struct msghdr *mh)
{
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &t->dst;
	mh->msg_namelen = sizeof(t->dst);
	mh->msg_iov = &t->iov;
	mh->msg_iovlen = 1;
	mh->msg_control = t->ctl.buf;
	mh->msg_controllen = sizeof(t->ctl.buf);
}

/* Send the batch's replies, one sendmmsg for all (retried past a failed
 * one, which is counted and logged). */
static void flush_replies(struct pxh_dhcp *d)
{
	struct mmsghdr mm[PXH_DHCP_BATCH];
	size_t n = d->n_tx, i = 0;
	unsigned tries = 0;

	for (size_t k = 0; k < n; k++) {
		tx_msghdr(&d->tx[k], &mm[k].msg_hdr);
		mm[k].msg_len = 0;
	}
	while (i < n && tries++ < 2 * PXH_DHCP_BATCH) {
		int r = sendmmsg(d->tx_fd, mm + i, (unsigned)(n - i), MSG_DONTWAIT);
		if (r > 0) {
			for (int k = 0; k < r; k++)
				sent(d, d->tx[i + (size_t)k].msg_type);
			i += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		send_failed(d, &d->tx[i].dst, d->tx[i].mac, r < 0 ? errno : EIO);
		i++;
	}
	d->n_tx = 0;
}

/* Queue (inside a receive batch) or send the reply BUF to P's client. */
static int send_reply(struct pxh_dhcp_pending *p, const uint8_t *buf,
                      size_t len, uint8_t msg_type)
{
	struct pxh_dhcp *d = p->d;
	const struct pxh_dhcp_msg *m = &p->msg;
	struct pxh_dhcp_tx one, *t = &one;
	struct in_pktinfo pi;
	bool broadcast = false;
	int fd = d->sock[p->sock].fd;

	if (len > REPLY_MAX)
		return -EMSGSIZE;
	if (d->batching && d->tx) {
		if (d->n_tx && (d->n_tx == PXH_DHCP_BATCH || d->tx_fd != fd))
			flush_replies(d);
		t = &d->tx[d->n_tx];
	}
	if (pxh_dhcp_dest(m, &p->src, d->sock[p->sock].pxe, &t->dst, &broadcast) < 0)
		return -EADDRNOTAVAIL; /* handle() dropped such requests */
	if (msg_type == DHCPNAK && !m->giaddr && !broadcast) {
		/* server mode: a NAK is broadcast (RFC 2131 4.3.2) */
		t->dst.sin_addr.s_addr = htonl(INADDR_BROADCAST);
		t->dst.sin_port = htons(DHCP_CLIENT_PORT);
		broadcast = true;
	}
	memset(&t->ctl, 0, sizeof(t->ctl));
	memset(&pi, 0, sizeof(pi));
	/* Leave through the receiving interface (a broadcast has no route to
	 * choose one), from our address on it. */
	pi.ipi_ifindex = broadcast ? (int)p->ifindex : 0;
	pi.ipi_spec_dst = p->local;
	t->ctl.align.cmsg_level = IPPROTO_IP;
	t->ctl.align.cmsg_type = IP_PKTINFO;
	t->ctl.align.cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(&t->ctl.align), &pi, sizeof(pi));
	memcpy(t->out, buf, len);
	t->iov.iov_base = t->out;
	t->iov.iov_len = len;
	t->msg_type = msg_type;
	memcpy(t->mac, p->client.mac, sizeof(t->mac));
	if (t != &one) {
		d->tx_fd = fd;
		d->n_tx++;
		return 0;
	}
	struct msghdr mh;
	tx_msghdr(t, &mh);
	if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0) {
		int e = errno;
		send_failed(d, &t->dst, t->mac, e);
		return -e;
	}
	sent(d, msg_type);
	return 0;
}

static void pending_unlink(struct pxh_dhcp_pending *p)
{
	struct pxh_dhcp *d = p->d;

	if (p->prev)
		p->prev->next = p->next;
	else if (d->pending == p)
		d->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->next = p->prev = NULL;
	d->n_pending--;
}

static void emit_decision(struct pxh_dhcp *d, const pxh_client *c,
                          const char *action, const char *plugin,
                          const char *file, const char *msg)
{
	pxh_dhcp_emit_decision(d->s, c, action, plugin, file, msg);
}

/* Server mode: the address part alone (a client that is not PXE, a NAK,
 * or a PXE client not sent to a loader).  WHY says why no boot file. */
static void send_grant(struct pxh_dhcp_pending *p, const char *why)
{
	uint8_t out[REPLY_MAX], addr_opts[128];
	struct pxh_dhcp_reply r = {
		.msg_type = p->grant.reply,
		.server_id = p->advertised.s_addr,
		.yiaddr = p->grant.yiaddr,
		.discovery_control = -1,
		.address_only = true,
		.addr_opts = addr_opts,
	};
	char ip[16];
	int n;

	r.addr_opts_len = pxh_dhcp_grant_options(&p->grant, addr_opts,
	                                         sizeof(addr_opts));
	n = pxh_dhcp_build(&p->msg, &r, out, pxh_dhcp_reply_limit(&p->msg));
	if (n < 0 || send_reply(p, out, (size_t)n, r.msg_type) < 0)
		return;
	pxh_dhcp_fmt_ip(p->grant.yiaddr, ip);
	if (r.msg_type != DHCPNAK)
		pxh_logf(PXH_LOG_INFO, &p->client, "dhcp: %s mac=%s address=%s "
		         "pool=%s (%s)", r.msg_type == DHCPOFFER ? "offer" : "ack",
		         p->client.mac, ip, p->grant.pool ? p->grant.pool->name : "",
		         why);
}

static void answer(struct pxh_dhcp_pending *p, const struct pxh_answer *a,
                   const char *plugin)
{
	struct pxh_dhcp *d = p->d;
	pxh_client *c = &p->client;
	char file[512], msg[256];
	uint8_t out[1500];
	const char *loader = a && a->loader ? a->loader
	                     : default_loader(d, c->arch);
	struct pxh_dhcp_reply r = {
		.msg_type = d->sock[p->sock].pxe ? DHCPACK : DHCPOFFER,
		.server_id = p->advertised.s_addr,
		.siaddr = p->advertised.s_addr,
		.file = file,
		.http_client = c->is_http_boot,
		.discovery_control = d->sock[p->sock].pxe ? -1
		                                          : d->discovery_control,
		.extra = a ? a->opts : NULL,
		.n_extra = a ? a->n_opts : 0,
	};
	struct in_addr ns;
	uint8_t addr_opts[128];
	int n;

	if (p->grant.reply) {
		/* server mode: the address and the boot answer in one reply */
		r.msg_type = p->grant.reply;
		r.yiaddr = p->grant.yiaddr;
		r.addr_opts = addr_opts;
		r.addr_opts_len = pxh_dhcp_grant_options(&p->grant, addr_opts,
		                                         sizeof(addr_opts));
	}
	if (pxh_dhcp_boot_file(c, loader, p->server_ip, d->http_port, file,
	                       sizeof(file)) < 0) {
		if (p->grant.reply) {
			send_grant(p, "no loader for this arch");
			return;
		}
		drop(d, PXH_DHCP_DROP_NO_LOADER);
		snprintf(msg, sizeof(msg), "ignored: no loader for arch %s (%u)",
		         c->arch_name, c->arch_raw);
		pxh_logf(PXH_LOG_INFO, c, "dhcp: %s", msg);
		emit_decision(d, c, "ignore", plugin, "", msg);
		return;
	}
	if (a && a->next_server && inet_pton(AF_INET, a->next_server, &ns) == 1)
		r.siaddr = ns.s_addr;
	n = pxh_dhcp_build(&p->msg, &r, out, pxh_dhcp_reply_limit(&p->msg));
	if (n < 0) {
		drop(d, PXH_DHCP_DROP_SEND);
		pxh_logf(PXH_LOG_WARNING, c,
		         "dhcp: no reply: it does not fit the %zu bytes this client takes "
		         "(option 57, else RFC 2131's 576-byte datagrams): fewer plugin "
		         "options or a shorter boot file name (%s)",
		         pxh_dhcp_reply_limit(&p->msg), strerror(-n));
		emit_decision(d, c, "ignore", plugin, file, "reply too large for the client");
		return;
	}
	/* inside a batch the reply is queued: a send error is counted and
	 * logged when the batch goes out */
	if (send_reply(p, out, (size_t)n, r.msg_type) < 0)
		return;
	pxh_logf(PXH_LOG_INFO, c, "dhcp: %s mac=%s arch=%s file=%s by=%s%s%s",
	         r.msg_type == DHCPACK ? "ack" : "offer", c->mac, c->arch_name,
	         file, plugin, p->grant.yiaddr ? " address=" : "",
	         p->grant.yiaddr ? c->ip : "");
	size_t o = pxh_strcat_at(msg, sizeof(msg), 0, r.msg_type == DHCPACK
	                         ? "ack on " : p->grant.reply ? "offer on "
	                         : "proxy offer on ");
	pxh_strcat_at(msg, sizeof(msg), o, c->iface);
	emit_decision(d, c, "boot", plugin, file, msg);
}

/* The verdict for P's client: the reply (or none), its event. */
static void reply(struct pxh_dhcp_pending *p, enum pxh_verdict v,
                  const struct pxh_answer *a, const char *plugin,
                  const char *why)
{
	struct pxh_dhcp *d = p->d;
	char msg[256];

	if (v >= PXH_BOOT && v <= PXH_IGNORE && d->c_verdict[v])
		(*d->c_verdict[v])++;
	if (v == PXH_BOOT) {
		answer(p, a, plugin);
	} else if (p->grant.reply) {
		/* server mode: the address still, without a boot file (the
		 * firmware goes on to its next device) */
		snprintf(msg, sizeof(msg), "%s by %s", pxh_verdict_name(v), plugin);
		send_grant(p, msg);
		emit_decision(d, &p->client, pxh_verdict_name(v), plugin, "",
		              "address only");
	} else {
		/* local: no offer, the firmware goes on to its next device */
		snprintf(msg, sizeof(msg), "%s: no reply (%s%s%s)",
		         v == PXH_LOCAL ? "local" : "ignored", plugin,
		         why && why[0] ? ": " : "", why ? why : "");
		pxh_logf(PXH_LOG_INFO, &p->client, "dhcp: mac=%s %s",
		         p->client.mac, msg);
		emit_decision(d, &p->client, pxh_verdict_name(v), plugin, "",
		              msg);
	}
}

/* A deferred decision's end (from the loop): P was held for it. */
static void decided(void *ctx, enum pxh_verdict v, const struct pxh_answer *a,
                    const char *plugin, const char *why)
{
	struct pxh_dhcp_pending *p = ctx;

	reply(p, v, a, plugin, why);
	pending_unlink(p);
	free(p);
}

/* ---- requests ------------------------------------------------------------ */
/* A PXE client's broadcast DHCPREQUEST to the site's server names the
 * address it takes (option 50, or ciaddr when renewing): remember MAC <->
 * address, so its TFTP and HTTP downloads (which only show an address) land
 * in its history even when it never talks to port 4011. */
static void learn_address(struct pxh_dhcp *d, struct pxh_dhcp_pending *p,
                          const struct pxh_dhcp_msg *m)
{
	struct in_addr a = {.s_addr = m->ciaddr};
	size_t len = 0;
	const uint8_t *v = pxh_dhcp_opt(m, 50, &len);
	pxh_event ev;

	if (v && len == 4)
		memcpy(&a.s_addr, v, 4);
	if (!a.s_addr)
		return;
	pxh_dhcp_fill_client(&p->client, m, iface_name(p->ifindex), NULL);
	inet_ntop(AF_INET, &a, p->client.ip, sizeof(p->client.ip));
	pxh_event_init(&ev, PXH_EV_DHCP_REQUEST, PXH_LOG_DEBUG, &p->client);
	snprintf(ev.action, sizeof(ev.action), "request");
	snprintf(ev.message, sizeof(ev.message), "address %s from the site's DHCP server",
	         p->client.ip);
	pxh_emit(d->s, &ev);
}

/* A relayed request (giaddr set) counts only when a relay sent it: its
 * source is the giaddr itself, or an address in [dhcp] relays (a router
 * whose relay sends from its upstream interface).  Anything else is a
 * client writing a giaddr to pass as another subnet, or to have the
 * answer sent elsewhere. */
static bool relay_trusted(const struct pxh_server *s, const struct pxh_dhcp_msg *m,
                          const struct sockaddr_in *src)
{
	char from[INET_ADDRSTRLEN];
	size_t n;

	if (src->sin_addr.s_addr == m->giaddr)
		return true;
	n = pxh_dhcp_conf(s->conf)->relays.n;
	if (!n)
		return false;
	pxh_dhcp_fmt_ip(src->sin_addr.s_addr, from);
	for (size_t i = 0; i < n; i++)
		if (pxh_addr_in_subnet(pxh_dhcp_conf(s->conf)->relays.v[i],
		                       from))
			return true;
	return false;
}

/* Checks in order of cost; true when P waits in the decision chain (and is
 * no longer the caller's). */
static bool handle(struct pxh_dhcp *d, struct pxh_dhcp_pending *p)
{
	struct pxh_dhcp_msg *m = &p->msg;
	struct pxh_server *s = d->s;
	bool pxe = d->sock[p->sock].pxe;
	const char *why = "";
	char src[INET_ADDRSTRLEN];
	char denied[160] = "";

	if (!iface_allowed(d, p->ifindex)) {
		drop(d, PXH_DHCP_DROP_IFACE);
		return false;
	}
	if (p->len > DHCP_MAX_PKT || pxh_dhcp_parse(p->pkt, p->len, m, &why) < 0 ||
	    m->op != BOOTREQUEST || m->htype != DHCP_HTYPE_ETHER ||
	    m->hlen != 6) {
		if (p->len > DHCP_MAX_PKT)
			why = "longer than the receive buffer";
		else if (!why[0])
			why = "not an Ethernet BOOTREQUEST";
		drop(d, PXH_DHCP_DROP_MALFORMED);
		inet_ntop(AF_INET, &p->src.sin_addr, src, sizeof(src));
		pxh_debug("dhcp: dropped malformed packet from %s:%u (%zu "
		          "bytes): %s", src, ntohs(p->src.sin_port), p->len, why);
		return false;
	}
	if (m->giaddr && !relay_trusted(s, m, &p->src)) {
		drop(d, PXH_DHCP_DROP_RELAY);
		inet_ntop(AF_INET, &p->src.sin_addr, src, sizeof(src));
		pxh_debug("dhcp: dropped a request from %s with a giaddr that is "
		          "not its source nor in [dhcp] relays", src);
		return false;
	}
	p->grant.reply = 0;
	/* server mode: every client on a network with a pool, PXE or not */
	bool serve = !pxe && d->srv &&
	             pxh_dhcp_pool_for(d->srv->pools, d->srv->n_pools, m->giaddr,
	                               iface_name(p->ifindex), p->local.s_addr);
	if (serve) {
		if (m->msg_type < DHCPDISCOVER || m->msg_type > DHCPINFORM ||
		    m->msg_type == DHCPOFFER || m->msg_type == DHCPACK ||
		    m->msg_type == DHCPNAK) {
			drop(d, PXH_DHCP_DROP_TYPE);
			return false;
		}
	} else if (!pxe && m->msg_type == DHCPREQUEST && pxh_dhcp_is_pxe(m)) {
		learn_address(d, p, m);
		drop(d, PXH_DHCP_DROP_TYPE);
		return false;
	} else if (pxe ? (m->msg_type != DHCPREQUEST && m->msg_type != DHCPINFORM)
	               : m->msg_type != DHCPDISCOVER) {
		drop(d, PXH_DHCP_DROP_TYPE);
		return false;
	} else if (!pxh_dhcp_is_pxe(m)) {
		drop(d, PXH_DHCP_DROP_NOT_PXE);
		return false;
	}
	switch (pxh_dhcp_limit_check(&d->limit, m->chaddr, m->xid, m->msg_type,
	                             d->sock[p->sock].port,
	                             pxh_server_now(s))) {
	case PXH_LIMIT_RATE:
		drop(d, PXH_DHCP_DROP_RATE);
		pxh_debug("dhcp: rate limit: dropped request of "
		          "%02x:%02x:%02x:%02x:%02x:%02x", m->chaddr[0],
		          m->chaddr[1], m->chaddr[2], m->chaddr[3], m->chaddr[4],
		          m->chaddr[5]);
		return false;
	case PXH_LIMIT_DUPLICATE:
		drop(d, PXH_DHCP_DROP_DUPLICATE);
		return false;
	case PXH_LIMIT_PASS:
		break;
	}
	{
		/* no reply where no client or relay can be, and a bounded
		 * rate to any one address (reflection, docs/hardening.md) */
		struct sockaddr_in dst;
		bool bc;

		if (pxh_dhcp_dest(m, &p->src, pxe, &dst, &bc) < 0) {
			drop(d, PXH_DHCP_DROP_REFLECT);
			inet_ntop(AF_INET, pxe ? &p->src.sin_addr : (const void *)&m->giaddr,
			          src, sizeof(src));
			pxh_debug("dhcp: dropped: a reply would go to %s, where no %s can be",
			          src, pxe ? "client" : "relay");
			return false;
		}
		if (!bc && !pxh_addr_rate_take(&d->dest_rate, pxh_addr_key_v4(dst.sin_addr.s_addr),
		                               pxh_server_now(s))) {
			drop(d, PXH_DHCP_DROP_DEST_RATE);
			return false;
		}
	}
	(*d->c_requests[pxe ? 1 : 0])++;

	const char *ifname = iface_name(p->ifindex);
	/* [server] server_ip overrides what we advertise, not the source
	 * address (which must stay one of ours) */
	p->advertised = d->has_server_ip ? d->server_ip : p->local;
	if (p->advertised.s_addr != d->adv_cached.s_addr || !d->adv_text[0]) {
		pxh_dhcp_fmt_ip(p->advertised.s_addr, d->adv_text);
		d->adv_cached = p->advertised;
	}
	memcpy(p->server_ip, d->adv_text, sizeof(p->server_ip));
	pxh_dhcp_fill_client(&p->client, m, ifname, p->server_ip);
	/* The client's address is where the packet came from (a 4011
	 * request, a unicast DISCOVER), never the ciaddr it wrote itself:
	 * [access] subnet rules and the history go by it. */
	p->client.ip[0] = 0;
	if (!m->giaddr && p->src.sin_addr.s_addr != htonl(INADDR_ANY))
		pxh_dhcp_fmt_ip(p->src.sin_addr.s_addr, p->client.ip);

	/* Access first: a refused request is counted and (rate-limited)
	 * logged, never recorded nor queued as an event, so random MACs
	 * from a refused range evict no machine from the history and crowd
	 * out no event of the audit trail. */
	if (!pxh_access_allowed(s->conf, &p->client, denied, sizeof(denied))) {
		drop(d, PXH_DHCP_DROP_ACCESS);
		pxh_access_log_refusal(s, &p->client, "dhcp", denied);
		return false;
	}

	/* "discover on eth0 port 67[ via relay 10.0.0.1]" */
	pxh_event ev;
	size_t o;
	pxh_event_init(&ev, PXH_EV_DHCP_REQUEST, PXH_LOG_INFO, &p->client);
	pxh_strcpy(ev.action, sizeof(ev.action),
	           m->msg_type == DHCPDISCOVER ? "discover"
	           : m->msg_type == DHCPREQUEST ? "request"
	           : m->msg_type == DHCPDECLINE ? "decline"
	           : m->msg_type == DHCPRELEASE ? "release" : "inform");
	o = pxh_strcat_at(ev.message, sizeof(ev.message), 0, ev.action);
	o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " on ");
	o = pxh_strcat_at(ev.message, sizeof(ev.message), o, ifname);
	o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " port ");
	o = pxh_strcat_at(ev.message, sizeof(ev.message), o,
	                  d->sock[p->sock].port_text);
	if (p->client.relay[0]) {
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o,
		                  " via relay ");
		pxh_strcat_at(ev.message, sizeof(ev.message), o, p->client.relay);
	}
	pxh_emit(s, &ev);

	if (serve) {
		if (pxh_dhcp_srv_request(d, m, ifname, p->local.s_addr,
		                         p->advertised.s_addr, &p->grant) !=
		    PXH_SRV_REPLY)
			return false;
		if (p->grant.yiaddr)
			pxh_dhcp_fmt_ip(p->grant.yiaddr, p->client.ip);
		/* the boot answer only to PXE clients getting an address */
		if (!p->grant.yiaddr || !pxh_dhcp_is_pxe(m)) {
			send_grant(p, pxh_dhcp_is_pxe(m) ? "inform"
			                                 : "not a PXE client");
			return false;
		}
	}
	if ((long long)d->n_pending >= d->max_pending) {
		drop(d, PXH_DHCP_DROP_BUSY);
		pxh_dhcp_limit_forget(&d->limit, p->msg.chaddr);
		return false;
	}

	/* Answered at once, the reply joins this batch's and the buffer
	 * serves the next packet; a plugin that deferred holds P until
	 * decided() runs from the loop (never before pxh_decide_start
	 * returns). */
	struct pxh_decided now;
	int r = pxh_decide_start(s, PXH_PHASE_DHCP, &p->client, decided, p,
	                         &p->handle, &now, "dhcp");
	if (r < 0) {
		drop(d, PXH_DHCP_DROP_BUSY);
		pxh_dhcp_limit_forget(&d->limit, p->msg.chaddr);
		pxh_logf(PXH_LOG_WARNING, &p->client,
		         "dhcp: decision failed: %s", strerror(-r));
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

/* Receive up to PXH_DHCP_BATCH datagrams with one recvmmsg into the
 * reusable buffers; answer them; send the replies with one sendmmsg. */
static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pxh_dhcp_sock *sk = w->data;
	struct pxh_dhcp *d = sk->d;
	struct mmsghdr mm[PXH_DHCP_BATCH];
	struct iovec iov[PXH_DHCP_BATCH];
	union pktinfo_ctl ctl[PXH_DHCP_BATCH];

	for (int round = 0; round < RECV_ROUNDS; round++) {
		unsigned nb = 0;

		while (nb < PXH_DHCP_BATCH) {
			if (!d->rx[nb] && !(d->rx[nb] = malloc(sizeof(*d->rx[nb]))))
				break;
			struct pxh_dhcp_pending *p = d->rx[nb];
			iov[nb].iov_base = p->pkt;
			iov[nb].iov_len = sizeof(p->pkt);
			memset(&mm[nb], 0, sizeof(mm[nb]));
			mm[nb].msg_hdr.msg_name = &p->src;
			mm[nb].msg_hdr.msg_namelen = sizeof(p->src);
			mm[nb].msg_hdr.msg_iov = &iov[nb];
			mm[nb].msg_hdr.msg_iovlen = 1;
			mm[nb].msg_hdr.msg_control = ctl[nb].buf;
			mm[nb].msg_hdr.msg_controllen = sizeof(ctl[nb].buf);
			nb++;
		}
		if (!nb)
			return;
		int n = recvmmsg(sk->fd, mm, nb, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return; /* EAGAIN, or an ICMP error reported late */
		d->batching = true;
		pxh_log_hold();
		for (int i = 0; i < n; i++) {
			struct pxh_dhcp_pending *p = d->rx[i];
			struct msghdr *mh = &mm[i].msg_hdr;
			p->len = mm[i].msg_len;
			p->sock = (int)(sk - d->sock);
			p->ifindex = 0;
			p->local.s_addr = 0;
			p->handle = NULL;
			p->d = d;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c;
			     c = CMSG_NXTHDR(mh, c)) {
				if (c->cmsg_level == IPPROTO_IP &&
				    c->cmsg_type == IP_PKTINFO) {
					struct in_pktinfo pi;
					memcpy(&pi, CMSG_DATA(c), sizeof(pi));
					p->ifindex = (unsigned)pi.ipi_ifindex;
					p->local = pi.ipi_spec_dst;
				}
			}
			if (mh->msg_flags & MSG_TRUNC)
				p->len = DHCP_MAX_PKT + 1;
			if (handle(d, p))
				d->rx[i] = NULL; /* a decision holds it */
		}
		d->batching = false;
		if (d->n_tx)
			flush_replies(d);
		pxh_log_release();
		if ((unsigned)n < nb)
			return;
	}
}

/* ---- module interface ---------------------------------------------------- */
static int open_socket(uint16_t port, int *out)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, rcvbuf = 4 << 20;
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(port),
	                        .sin_addr.s_addr = htonl(INADDR_ANY)};
	int r = 0;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		r = -errno;
		goto out;
	}
	/* best effort: floods should queue, not drop, while we catch up */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		/* bound alone; a DHCP server started later may still share
		 * the port (it finds SO_REUSEADDR set on ours) */
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		*out = fd;
		return 0;
	}
	if (errno != EADDRINUSE) {
		r = -errno;
		goto out;
	}
	/* Another program holds the port: a DHCP server on this host, most
	 * likely.  If it allows sharing (SO_REUSEADDR, as dnsmasq and ISC
	 * dhcpd do), broadcasts reach both of us, but a unicast (relayed)
	 * request reaches only one of the two sockets. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		goto out;
	}
	pxh_warn("dhcp: UDP port %u is shared with another program on this host "
	         "(a DHCP server?): relayed requests may reach it instead of "
	         "pxehub; with a DHCP server here, set [dhcp] port = 0 and let "
	         "clients come to pxe_port", port);
	*out = fd;
	return 0;
out:
	close(fd);
	return r;
}

int pxh_dhcp_open(struct pxh_server *s)
{
	struct pxh_dhcp *d = calloc(1, sizeof(*d));
	long long ports[2];
	int r;

	if (!d)
		return -ENOMEM;
	d->s = s;
	s->dhcp = d;
	d->probe_fd = -1;
	/* server mode's conflict probe: the ICMP socket needs the privileges
	 * held now (pxh_dhcp_srv_open takes it) */
	const char *mode = pxh_dhcp_conf(s->conf)->mode;
	if (mode && !strcmp(mode, "server") &&
	    pxh_dhcp_conf(s->conf)->conflict_probe) {
		r = pxh_dhcp_probe_socket(&d->probe_raw);
		d->probe_fd = r < 0 ? -1 : r;
	}
	/* without it, replies go out one sendmsg each */
	d->tx = calloc(PXH_DHCP_BATCH, sizeof(*d->tx));
	if (!pxh_dhcp_conf(s->conf)->enabled)
		return 0;
	ports[0] = d->port = pxh_dhcp_conf(s->conf)->port;
	ports[1] = d->pxe_port = pxh_dhcp_conf(s->conf)->pxe_port;
	for (int i = 0; i < 2; i++) {
		struct pxh_dhcp_sock *sk = &d->sock[d->n_sock];
		if (ports[i] <= 0)
			continue;
		r = open_socket((uint16_t)ports[i], &sk->fd);
		if (r < 0) {
			pxh_err("dhcp: cannot bind UDP port %lld: %s%s", ports[i],
			        strerror(-r),
			        r == -EADDRINUSE && i == 0
			                ? " (a DHCP server on this host? set [dhcp]"
			                  " port = 0 to answer on pxe_port only)"
			                : r == -EADDRINUSE
			                ? " (another PXE server on this host?)" : "");
			return r;
		}
		sk->port = (uint16_t)ports[i];
		snprintf(sk->port_text, sizeof(sk->port_text), "%u", sk->port);
		sk->pxe = i == 1;
		sk->d = d;
		d->n_sock++;
	}
	return 0;
}

static void register_counters(struct pxh_dhcp *d)
{
	struct pxh_server *s = d->s;

	d->c_requests[0] = pxh_counter(s, "pxehub_dhcp_requests_total{port=\"dhcp\"}",
	                               "PXE requests accepted, by listener");
	d->c_requests[1] = pxh_counter(s, "pxehub_dhcp_requests_total{port=\"pxe\"}",
	                               "PXE requests accepted, by listener");
	d->c_offers = pxh_counter(s, "pxehub_dhcp_offers_total",
	                          "proxy DHCPOFFERs sent");
	d->c_acks = pxh_counter(s, "pxehub_dhcp_acks_total",
	                        "PXE boot server DHCPACKs sent");
	pxh_dhcp_register_outcomes(s, "pxehub_dhcp", "DHCP packets not answered, by reason",
	                           "DHCP phase decisions by verdict", drop_names,
	                           PXH_DHCP_DROP__MAX, d->c_drop, d->c_verdict);
}

int pxh_dhcp_start(struct pxh_server *s)
{
	struct pxh_dhcp *d = s->dhcp;

	if (!d)
		return 0;
	register_counters(d);
	read_settings(d, s->conf);
	if (d->n_sock) {
		int r = pxh_dhcp_srv_open(d, s->conf);
		if (r < 0) {
			pxh_err("dhcp: server mode: cannot set up the pools: %s",
			        strerror(-r));
			return r;
		}
	}
	for (size_t i = 0; i < d->n_sock; i++) {
		struct pxh_dhcp_sock *sk = &d->sock[i];
		ev_io_init(&sk->io, on_readable, sk->fd, EV_READ);
		sk->io.data = sk;
		ev_io_start(s->loop, &sk->io);
		pxh_info("dhcp: listening on UDP port %u (%s)", sk->port,
		         sk->pxe ? "PXE boot server" : "proxyDHCP");
	}
	return 0;
}

void pxh_dhcp_reload(struct pxh_server *s, const struct pxh_conf *old)
{
	struct pxh_dhcp *d = s->dhcp;

	/* enabled, port and pxe_port wait for a restart: server.c says so */
	(void)old;
	if (!d)
		return;
	read_settings(d, s->conf);
	pxh_dhcp_srv_reload(d, s->conf);
}

void pxh_dhcp_stop(struct pxh_server *s)
{
	struct pxh_dhcp *d = s->dhcp;

	if (!d)
		return;
	while (d->pending) {
		struct pxh_dhcp_pending *p = d->pending;
		pending_unlink(p);
		if (p->handle)
			pxh_decide_cancel(p->handle);
		free(p);
	}
	for (size_t i = 0; i < d->n_sock; i++) {
		ev_io_stop(s->loop, &d->sock[i].io);
		close(d->sock[i].fd);
	}
	pxh_dhcp_srv_close(d);
	if (d->probe_fd >= 0)
		close(d->probe_fd);
	free(d->ifindex);
	for (size_t i = 0; i < PXH_DHCP_BATCH; i++)
		free(d->rx[i]);
	free(d->tx);
	free(d);
	s->dhcp = NULL;
}
