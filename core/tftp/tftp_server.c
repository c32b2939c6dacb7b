/* The TFTP server: request sockets on [tftp] port, lifecycle (open as root,
 * start, reload, stop with grace) and the counters. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tftp_server.h"
#include "addr_limit.h"
#include "clients.h"
#include "conf.h"
#include "counters.h"
#include "log.h"
#include "server.h"
#include "str.h"
#include "tftp_module.h"

static void listener_cb(struct ev_loop *loop, ev_io *w, int revents);

static double gauge_active(struct pxh_server *s, void *ud)
{
	(void)ud;
	return (double)pxh_tftp_active(s);
}

static double gauge_cache(struct pxh_server *s, void *ud)
{
	(void)ud;
	return s->tftp ? (double)tftp_cache_used(s->tftp->cache) : 0.;
}

static void counters_register(struct pxh_tftp *t)
{
	struct pxh_server *s = t->srv;
	struct tftp_counters *c = &t->c;
#define RQ "pxehub_tftp_requests_total"
#define RF "pxehub_tftp_refused_total"
#define TR "pxehub_tftp_transfers_total"
	c->requests = pxh_counter(s, RQ, "TFTP requests received");
	c->wrq = pxh_counter(s, RF "{reason=\"write\"}", "TFTP requests refused, by reason");
	c->busy = pxh_counter(s, RF "{reason=\"busy\"}", "TFTP requests refused, by reason");
	c->malformed = pxh_counter(s, RF "{reason=\"malformed\"}", "TFTP requests refused, by reason");
	c->notfound = pxh_counter(s, RF "{reason=\"not_found\"}", "TFTP requests refused, by reason");
	c->denied = pxh_counter(s, RF "{reason=\"access\"}", "TFTP requests refused, by reason");
	c->dup_rrq = pxh_counter(s, "pxehub_tftp_duplicate_requests_total",
	                         "repeated read requests answered by the running transfer");
	c->ok = pxh_counter(s, TR "{result=\"ok\"}", "TFTP transfers ended, by result");
	c->failed = pxh_counter(s, TR "{result=\"error\"}", "TFTP transfers ended, by result");
	c->timeout = pxh_counter(s, TR "{result=\"timeout\"}", "TFTP transfers ended, by result");
	c->aborted = pxh_counter(s, TR "{result=\"aborted\"}", "TFTP transfers ended, by result");
	c->probe = pxh_counter(s, TR "{result=\"probe\"}", "TFTP transfers ended, by result");
	c->bytes = pxh_counter(s, "pxehub_tftp_bytes_total", "bytes of completed TFTP transfers");
	c->data_packets = pxh_counter(s, "pxehub_tftp_data_packets_total", "TFTP DATA packets sent");
	c->retransmits = pxh_counter(s, "pxehub_tftp_retransmits_total", "TFTP DATA packets sent again");
	c->cache_hits = pxh_counter(s, "pxehub_tftp_cache_total{result=\"hit\"}", "TFTP memory cache lookups");
	c->cache_misses = pxh_counter(s, "pxehub_tftp_cache_total{result=\"miss\"}", "TFTP memory cache lookups");
	c->sends_gso = pxh_counter(s, "pxehub_tftp_sends_total{way=\"gso\"}",
	                           "system calls that sent TFTP DATA, by way (gso: up to 64 blocks each)");
	c->sends_mmsg = pxh_counter(s, "pxehub_tftp_sends_total{way=\"sendmmsg\"}",
	                            "system calls that sent TFTP DATA, by way (gso: up to 64 blocks each)");
	c->gso_fallbacks = pxh_counter(s, "pxehub_tftp_gso_fallbacks_total",
	                               "transfers moved from UDP GSO to sendmmsg (the kernel refused GSO)");
	c->per_client = pxh_counter(s, RF "{reason=\"per_client\"}", "TFTP requests refused, by reason");
	c->rate = pxh_counter(s, "pxehub_tftp_dropped_total{reason=\"rate\"}",
	                      "packets to the TFTP request port dropped unanswered (requests_per_client)");
	c->evicted = pxh_counter(s, "pxehub_tftp_evicted_total",
	                         "transfers no client had answered yet, ended to make room for a new request");
	c->stalled = pxh_counter(s, "pxehub_tftp_stalled_total",
	                         "transfers ended by stall_timeout (no new block acknowledged)");
#undef RQ
#undef RF
#undef TR
	pxh_gauge(s, "pxehub_tftp_active_transfers", "TFTP transfers running",
	          gauge_active, NULL);
	pxh_gauge(s, "pxehub_tftp_cache_bytes", "bytes in the TFTP memory cache",
	          gauge_cache, NULL);
}

/* ---- sockets ----------------------------------------------------------------- */
/* One socket per family (IPv6 ones IPV6_V6ONLY): a request's local
 * address then always comes in its own family's packet info, and an
 * IPv4 client is never shown as ::ffff:a.b.c.d.  OPTIONAL: the implicit
 * IPv6 wildcard, skipped with a note on a host without IPv6. */
static int bind_one(struct pxh_tftp *t, const char *what,
                    const union pxh_sockaddr *addr, const char *iface,
                    bool optional)
{
	struct tftp_listener *l;
	union pxh_sockaddr sa = *addr;
	char ab[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	int fd, one = 1, rc, fam = sa.sa.sa_family;

	if (t->n_ls >= TFTP_MAX_LISTEN) {
		pxh_err("tftp: too many listen addresses (at most %d)", TFTP_MAX_LISTEN);
		return -E2BIG;
	}
	if (fam == AF_INET6)
		sa.in6.sin6_port = htons((uint16_t)t->cfg.port);
	else
		sa.in.sin_port = htons((uint16_t)t->cfg.port);
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		if (optional) {
			pxh_info("tftp: no IPv6 here (%s): IPv4 only", strerror(errno));
			return 0;
		}
		return rc;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fam == AF_INET6) {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	} else {
		(void)setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	}
	if (iface && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface,
	                        (socklen_t)strlen(iface)) < 0) {
		rc = -errno;
		pxh_err("tftp: cannot bind to interface %s: %s", iface, strerror(errno));
		close(fd);
		return rc;
	}
	if (bind(fd, &sa.sa, pxh_sockaddr_len(&sa)) < 0) {
		rc = -errno;
		pxh_sockaddr_text(&sa, ab, sizeof(ab));
		close(fd);
		if (optional) {
			pxh_info("tftp: IPv6 not served: cannot bind UDP [%s]:%d (%s): %s",
			         ab, t->cfg.port, what, strerror(-rc));
			return 0;
		}
		pxh_err("tftp: cannot bind UDP %s%s%s:%d (%s): %s", fam == AF_INET6 ? "[" : "",
		        ab, fam == AF_INET6 ? "]" : "", t->cfg.port, what, strerror(-rc));
		return rc;
	}
	l = &t->ls[t->n_ls++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->t = t;
	l->family = fam;
	if (iface)
		snprintf(l->iface, sizeof(l->iface), "%s", iface);
	return 0;
}

/* Both wildcards; bound to IFACE when one is named.  IPv6 is optional
 * only where nothing asked for it by name. */
static int bind_wildcards(struct pxh_tftp *t, const char *what, const char *iface)
{
	union pxh_sockaddr any4 = {.in = {.sin_family = AF_INET}};
	union pxh_sockaddr any6 = {.in6 = {.sin6_family = AF_INET6}};
	int rc = bind_one(t, what, &any4, iface, false);

	return rc ? rc : bind_one(t, what, &any6, iface, true);
}

static int bind_all(struct pxh_tftp *t)
{
	const struct pxh_conf *conf = t->srv->conf;
	size_t n = pxh_server_conf(conf)->listen.n;
	int rc = 0;

	if (n == 0)
		return bind_wildcards(t, "all addresses", NULL);
	for (size_t i = 0; i < n && !rc; i++) {
		const char *it = pxh_server_conf(conf)->listen.v[i];
		struct pxh_listen_item li;
		char why[256];

		rc = pxh_listen_parse(it, true, &li, why, sizeof(why));
		if (rc) {
			pxh_err("tftp: [server] listen: %s", why);
			break;
		}
		if (li.kind == PXH_LISTEN_IFACE)
			rc = bind_wildcards(t, it, li.iface);
		else
			rc = bind_one(t, it, &li.a, NULL, false);
	}
	return rc;
}

/* The address the client asked, for a datagram that arrived on L. */
static void packet_local(const struct tftp_listener *l, struct msghdr *mh,
                         union pxh_sockaddr *local, int *ifindex)
{
	memset(local, 0, sizeof(*local));
	local->sa.sa_family = (sa_family_t)l->family;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			/* the address the client asked, unless that was a
			 * broadcast: then the one routing picks */
			local->in.sin_addr = pi.ipi_addr;
			if (IN_MULTICAST(ntohl(pi.ipi_addr.s_addr)) ||
			    pi.ipi_addr.s_addr == htonl(INADDR_BROADCAST))
				local->in.sin_addr = pi.ipi_spec_dst;
			*ifindex = pi.ipi_ifindex;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			local->in6.sin6_addr = pi.ipi6_addr;
			*ifindex = (int)pi.ipi6_ifindex;
			/* a link-local address means something on one link */
			if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
				local->in6.sin6_scope_id = pi.ipi6_ifindex;
		}
	}
}

static void listener_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tftp_listener *l = w->data;
	uint8_t buf[TFTP_MAX_REQUEST + 1];
	union {
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		          CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cbuf;
	union pxh_sockaddr peer;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh;
	ssize_t n;

	(void)loop;
	(void)revents;
	/* bounded: a burst of requests is taken in slices, fair to transfers */
	for (int i = 0; i < 32 && !l->t->stopping; i++) {
		union pxh_sockaddr local;
		int ifindex = 0;

		memset(&mh, 0, sizeof(mh));
		memset(&peer, 0, sizeof(peer));
		mh.msg_name = &peer;
		mh.msg_namelen = sizeof(peer);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.b;
		mh.msg_controllen = sizeof(cbuf.b);
		n = recvmsg(l->fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (mh.msg_flags & MSG_TRUNC)
			continue;
		if (l->family == AF_INET6 ? mh.msg_namelen < sizeof(peer.in6) ||
		                            peer.sa.sa_family != AF_INET6 ||
		                            peer.in6.sin6_port == 0
		                          : mh.msg_namelen < sizeof(peer.in) ||
		                            peer.sa.sa_family != AF_INET ||
		                            peer.in.sin_port == 0)
			continue;
		packet_local(l, &mh, &local, &ifindex);
		tftp_handle_request(l->t, l, buf, (size_t)n, &peer, &local, ifindex);
	}
}

/* ---- lifecycle ---------------------------------------------------------------- */
static void tftp_free(struct pxh_tftp *t)
{
	for (size_t i = 0; i < t->n_ls; i++) {
		ev_io_stop(t->srv->loop, &t->ls[i].io);
		close(t->ls[i].fd);
	}
	t->n_ls = 0;
	ev_timer_stop(t->srv->loop, &t->grace);
	ev_timer_stop(t->srv->loop, &t->finish);
	tftp_cache_free(t->cache);
	pxh_addr_count_free(&t->per_addr);
	free(t->scratch);
	if (t->srv->tftp == t)
		t->srv->tftp = NULL;
	free(t);
}

static void finish_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_tftp *t = w->data;

	(void)loop;
	(void)revents;
	if (t->stopping && t->active == 0)
		tftp_free(t);
}

/* The last transfer of a stopping server ended: free T from the loop, not
 * here, since the transfer's own callback still reads T on its way out. */
void tftp_maybe_finish(struct pxh_tftp *t)
{
	if (t->stopping && t->active == 0 && !ev_is_active(&t->finish)) {
		ev_timer_init(&t->finish, finish_cb, 0., 0.);
		t->finish.data = t;
		ev_timer_start(t->srv->loop, &t->finish);
	}
}

int pxh_tftp_open(struct pxh_server *s)
{
	struct pxh_tftp *t;
	int rc;

	if (s->tftp)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->srv = s;
	rc = tftp_cfg_read(s->conf, &t->cfg);
	if (rc)
		goto fail;
	if (!t->cfg.enabled || t->cfg.port == 0) {
		pxh_info("tftp: off (%s)", t->cfg.enabled ? "port = 0" : "enabled = no");
		free(t);
		return 0;
	}
	t->cache = tftp_cache_new();
	t->scratch = malloc((size_t)TFTP_BATCH * TFTP_MAX_BLKSIZE);
	if (!t->cache || !t->scratch) {
		rc = -ENOMEM;
		goto fail;
	}
	tftp_cache_limits(t->cache, t->cfg.cache_bytes, t->cfg.cache_file_max);
	pxh_addr_rate_set(&t->rate, t->cfg.requests_per_client, t->cfg.requests_per_client);
	rc = bind_all(t);
	if (rc)
		goto fail;
	ev_timer_init(&t->grace, NULL, 0., 0.);
	s->tftp = t;
	return 0;
fail:
	s->tftp = t;
	tftp_free(t);
	return rc;
}

int pxh_tftp_start(struct pxh_server *s)
{
	struct pxh_tftp *t = s->tftp;

	if (!t || t->started)
		return 0;
	counters_register(t);
	for (size_t i = 0; i < t->n_ls; i++) {
		ev_io_init(&t->ls[i].io, listener_cb, t->ls[i].fd, EV_READ);
		t->ls[i].io.data = &t->ls[i];
		ev_io_start(s->loop, &t->ls[i].io);
	}
	t->started = true;
	pxh_notice("tftp: serving %s on UDP port %d (%zu socket%s), data ports %s%s%s",
	           t->cfg.root, t->cfg.port, t->n_ls, t->n_ls == 1 ? "" : "s",
	           t->cfg.port_lo ? "" : "ephemeral",
	           t->cfg.port_lo ? pxh_tftp_conf(s->conf)->port_range : "",
	           t->cfg.max_blksize ? "" : ", blksize up to the path MTU");
	return 0;
}

void pxh_tftp_reload(struct pxh_server *s, const struct pxh_conf *old)
{
	struct pxh_tftp *t = s->tftp;
	struct tftp_cfg nc;

	(void)old;
	if (!t || t->stopping)
		return;
	if (tftp_cfg_read(s->conf, &nc) < 0) {
		pxh_err("tftp: reload: keeping the old [tftp] settings");
		return;
	}
	/* sockets stay: port, listen, enabled and port_range need a restart
	 * (server.c says so) */
	nc.port = t->cfg.port;
	nc.enabled = t->cfg.enabled;
	nc.port_lo = t->cfg.port_lo;
	nc.port_hi = t->cfg.port_hi;
	t->cfg = nc;
	tftp_cache_limits(t->cache, nc.cache_bytes, nc.cache_file_max);
	pxh_addr_rate_set(&t->rate, nc.requests_per_client, nc.requests_per_client);
	pxh_info("tftp: reloaded: root %s, max_transfers %u, max_windowsize %u",
	         nc.root, nc.max_transfers, nc.max_windowsize);
}

static void grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_tftp *t = w->data;

	(void)loop;
	(void)revents;
	ev_timer_stop(t->srv->loop, &t->grace);
	pxh_tftp_stop(t->srv, 0);
}

void pxh_tftp_stop(struct pxh_server *s, double grace)
{
	struct pxh_tftp *t = s->tftp;

	if (!t)
		return;
	if (!t->stopping) {
		t->stopping = true;
		for (size_t i = 0; i < t->n_ls; i++) {
			ev_io_stop(s->loop, &t->ls[i].io);
			close(t->ls[i].fd);
		}
		t->n_ls = 0;
	}
	if (t->active == 0) {
		tftp_free(t);
		return;
	}
	if (grace > 0) {
		ev_timer_stop(s->loop, &t->grace);
		ev_timer_init(&t->grace, grace_cb, grace, 0.);
		t->grace.data = t;
		ev_timer_start(s->loop, &t->grace);
		return;
	}
	/* bounded: every abort frees one transfer; the last schedules T's
	 * free (tftp_maybe_finish) */
	for (size_t n = t->active; n > 0 && t->xfers; n--)
		tftp_xfer_abort(t->xfers, TFTP_EUNDEF, "Server shutting down",
		                "aborted");
}

size_t pxh_tftp_active(struct pxh_server *s)
{
	return s && s->tftp ? s->tftp->active : 0;
}

/* Pulled when the console asks, so the send path pays nothing for it. */
size_t pxh_tftp_transfers(struct pxh_server *s, struct pxh_transfer *out,
                          size_t max)
{
	size_t n = 0;

	for (struct tftp_xfer *x = s && s->tftp ? s->tftp->xfers : NULL;
	     x && n < max; x = x->next) {
		struct pxh_transfer *o = &out[n++];
		uint64_t acked = x->w.base > 1 ? (x->w.base - 1) * x->prm.blksize : 0;

		memset(o, 0, sizeof(*o));
		o->proto = "tftp";
		pxh_strcpy(o->mac, sizeof(o->mac), x->client.mac);
		pxh_sockaddr_ip(&x->peer, o->ip, sizeof(o->ip));
		pxh_strcpy(o->file, sizeof(o->file), x->file);
		o->size = x->size;
		o->done = acked > x->size ? x->size : acked;
		o->started = x->t_start;
		o->moved = x->acked_at > 0 ? x->acked_at : x->t_start;
	}
	return n;
}

