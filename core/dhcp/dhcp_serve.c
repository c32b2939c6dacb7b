/* Server mode (RFC 2131 section 4.3): which address a request gets, lease
 * state changes, and saving the lease file. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dhcp.h"
#include "answer.h"
#include "conf.h"
#include "counters.h"
#include "log.h"
#include "server.h"

#define SAVE_DELAY 1.0 /* seconds: a burst of ACKs is one write */

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static void log_ip(uint32_t host, char out[16])
{
	pxh_dhcp_fmt_ip(htonl(host), out);
}

static void save_now(struct pxh_dhcp_srv *v)
{
	int r = pxh_dhcp_leases_save(&v->leases, v->path, wall_now());
	if (r < 0)
		pxh_warn("dhcp: cannot write the lease file %s: %s (retried on "
		         "the next change)", v->path, strerror(-r));
}

static void on_save(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_dhcp_srv *v = w->data;

	(void)loop;
	(void)revents;
	if (v->leases.dirty)
		save_now(v);
}

static void changed(struct pxh_dhcp_srv *v)
{
	if (v->leases.dirty && v->loop && !ev_is_active(&v->save_timer)) {
		ev_timer_set(&v->save_timer, SAVE_DELAY, 0);
		ev_timer_start(v->loop, &v->save_timer);
	}
}

static double gauge_leases(struct pxh_server *s, void *ud)
{
	struct pxh_dhcp_srv *v = s->dhcp ? s->dhcp->srv : NULL;
	return v ? (double)pxh_dhcp_leases_count(&v->leases, (int)(intptr_t)ud,
	                                         wall_now())
	         : 0;
}

static void read_keys(struct pxh_dhcp_srv *v, const struct pxh_conf *conf)
{
	v->offer_hold = pxh_dhcp_conf(conf)->offer_hold_ms / 1000;
	if (v->offer_hold < 1)
		v->offer_hold = 1;
	v->decline_secs = pxh_dhcp_conf(conf)->decline_time_ms / 1000;
	if (v->decline_secs < 1)
		v->decline_secs = 1;
	v->leases.max = (size_t)pxh_dhcp_conf(conf)->max_leases;
	if (v->leases.max < 1)
		v->leases.max = 1;
	v->leases.max_offers = (size_t)pxh_dhcp_conf(conf)->max_offers;
	v->probe_on = pxh_dhcp_conf(conf)->conflict_probe;
}

int pxh_dhcp_srv_open(struct pxh_dhcp *d, const struct pxh_conf *conf)
{
	struct pxh_server *s = d->s;
	struct pxh_dhcp_srv *v;
	const char *mode = pxh_dhcp_conf(conf)->mode;
	const char *state = pxh_server_conf(conf)->state_dir;
	int r;

	if (!mode || strcmp(mode, "server"))
		return 0;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	r = pxh_dhcp_pools_read(conf, &v->pools, &v->n_pools, NULL);
	if (r < 0 || v->n_pools == 0) {
		free(v);
		return r < 0 ? r : -EINVAL;
	}
	read_keys(v, conf);
	snprintf(v->path, sizeof(v->path), "%s/dhcp-leases",
	         state && state[0] ? state : ".");
	r = pxh_dhcp_leases_load(&v->leases, v->path, wall_now());
	if (r < 0)
		pxh_warn("dhcp: cannot read the lease file %s: %s: starting "
		         "with no leases", v->path, strerror(-r));
	size_t gone = pxh_dhcp_leases_prune(&v->leases, wall_now(), v->pools,
	                                    v->n_pools);
	v->loop = s->loop;
	ev_timer_init(&v->save_timer, on_save, SAVE_DELAY, 0);
	v->save_timer.data = v;
	v->c_exhausted = pxh_counter(s, "pxehub_dhcp_pool_exhausted_total",
	                             "server mode: DISCOVERs left unanswered, no "
	                             "free address");
	v->c_declined = pxh_counter(s, "pxehub_dhcp_leases_declined_total",
	                            "server mode: addresses declined by clients "
	                            "(in use by another host)");
	v->c_naks = pxh_counter(s, "pxehub_dhcp_naks_total",
	                        "server mode: DHCPNAKs sent");
	v->c_released = pxh_counter(s, "pxehub_dhcp_leases_released_total",
	                            "server mode: leases released by clients");
	v->c_refused = pxh_counter(s, "pxehub_dhcp_leases_refused_total",
	                           "server mode: requests for an address that is "
	                           "another client's or outside the pool");
	pxh_gauge(s, "pxehub_dhcp_leases{state=\"active\"}",
	          "server mode: leases by state", gauge_leases,
	          (void *)(intptr_t)PXH_LEASE_BOUND);
	pxh_gauge(s, "pxehub_dhcp_leases{state=\"offered\"}",
	          "server mode: leases by state", gauge_leases,
	          (void *)(intptr_t)PXH_LEASE_OFFERED);
	pxh_gauge(s, "pxehub_dhcp_leases{state=\"declined\"}",
	          "server mode: leases by state", gauge_leases,
	          (void *)(intptr_t)PXH_LEASE_DECLINED);
	v->c_probes = pxh_counter(s, "pxehub_dhcp_probes_total",
	                          "server mode: ICMP echo probes of offered addresses");
	v->c_conflicts = pxh_counter(s, "pxehub_dhcp_conflicts_total",
	                             "server mode: offered addresses that answered a "
	                             "probe (in use by another host)");
	pxh_dhcp_probe_start(v, d->probe_fd, d->probe_raw);
	d->probe_fd = -1; /* v has it now */
	d->srv = v;
	if (pxh_dhcp_conf(conf)->conflict_probe && v->probe_fd < 0)
		pxh_notice("dhcp: conflict_probe: no ICMP socket (neither "
		           "CAP_NET_RAW at start nor net.ipv4.ping_group_range): "
		           "offers go out unprobed, DECLINE still works");
	pxh_info("dhcp: server mode: %zu pool(s), %zu lease(s) from %s%s",
	         v->n_pools, v->leases.n, v->path,
	         gone ? " (expired or outside every pool dropped)" : "");
	for (size_t i = 0; i < v->n_pools; i++) {
		char a[16], b[16];
		log_ip(v->pools[i].first, a);
		log_ip(v->pools[i].last, b);
		pxh_info("dhcp: pool %s: %s - %s%s%s", v->pools[i].name, a, b,
		         v->pools[i].iface[0] ? " on " : "", v->pools[i].iface);
	}
	return 0;
}

void pxh_dhcp_srv_reload(struct pxh_dhcp *d, const struct pxh_conf *conf)
{
	struct pxh_dhcp_srv *v = d->srv;
	struct pxh_dhcp_pool *pools = NULL;
	size_t n = 0;
	const char *mode = pxh_dhcp_conf(conf)->mode;

	if (!v) {
		if (mode && !strcmp(mode, "server"))
			pxh_warn("server: [dhcp] mode changed: takes effect after "
			         "a restart");
		return;
	}
	if (!mode || strcmp(mode, "server"))
		pxh_warn("server: [dhcp] mode changed: takes effect after a "
		         "restart (the pools stay in service)");
	/* the loader checked them: a failure here is out of memory */
	if (pxh_dhcp_pools_read(conf, &pools, &n, NULL) < 0 || n == 0) {
		free(pools);
		pxh_warn("dhcp: pools not reloaded: the old ones stay");
		return;
	}
	free(v->pools);
	v->pools = pools;
	v->n_pools = n;
	read_keys(v, conf);
	size_t gone = pxh_dhcp_leases_prune(&v->leases, wall_now(), v->pools,
	                                    v->n_pools);
	if (gone)
		pxh_notice("dhcp: %zu lease(s) outside every pool's range dropped "
		           "(those clients get a NAK when they renew)", gone);
	if (v->leases.dirty)
		save_now(v);
}

void pxh_dhcp_srv_close(struct pxh_dhcp *d)
{
	struct pxh_dhcp_srv *v = d->srv;

	if (!v)
		return;
	if (v->loop)
		ev_timer_stop(v->loop, &v->save_timer);
	pxh_dhcp_probe_stop(v);
	if (v->leases.dirty)
		save_now(v);
	pxh_dhcp_leases_free(&v->leases);
	free(v->pools);
	free(v);
	d->srv = NULL;
}

static uint32_t opt_ip(const struct pxh_dhcp_msg *m, uint8_t code)
{
	size_t len = 0;
	const uint8_t *p = pxh_dhcp_opt(m, code, &len);
	uint32_t a;

	if (!p || len != 4)
		return 0;
	memcpy(&a, p, 4);
	return a;
}

static void nak(struct pxh_dhcp_srv *v, struct pxh_dhcp_grant *g,
                const struct pxh_dhcp_msg *m, const char *why, uint32_t ip)
{
	char mac[18], a[16];

	pxh_dhcp_fmt_mac(m->chaddr, mac);
	log_ip(ip, a);
	pxh_info("dhcp: nak mac=%s address=%s: %s", mac, a, why);
	(*v->c_naks)++;
	g->reply = DHCPNAK;
	g->yiaddr = 0;
	g->lease_secs = 0;
}

/* A REQUEST for IP (host order) from M's client (RFC 2131 4.3.2). */
static enum pxh_dhcp_srv_verdict request(struct pxh_dhcp_srv *v,
                                         const struct pxh_dhcp_msg *m,
                                         const struct pxh_dhcp_pool *pool,
                                         uint32_t ip, bool selecting,
                                         struct pxh_dhcp_grant *g)
{
	int64_t now = wall_now();
	struct pxh_dhcp_lease *mine = pxh_dhcp_lease_by_mac(&v->leases, pool,
	                                                    m->chaddr);

	if ((ip & pool->mask) != pool->net) {
		nak(v, g, m, "not on this network", ip);
		return PXH_SRV_REPLY;
	}
	if (!pxh_dhcp_pool_in_range(pool, ip)) {
		(*v->c_refused)++;
		nak(v, g, m, "outside the pool's range", ip);
		return PXH_SRV_REPLY;
	}
	if (selecting && (!mine || mine->ip != ip)) {
		/* it answers an offer we did not make (or took back) */
		(*v->c_refused)++;
		nak(v, g, m, "not the address offered", ip);
		return PXH_SRV_REPLY;
	}
	if (mine && mine->ip != ip && mine->state == PXH_LEASE_BOUND &&
	    mine->expires > now) {
		(*v->c_refused)++;
		nak(v, g, m, "the client holds another address", ip);
		return PXH_SRV_REPLY;
	}
	/* INIT-REBOOT and RENEWING without a record (a lost lease file, a
	 * pool just added): pxehub is authoritative for its pools, so a free
	 * address is granted and a taken one refused */
	int r = pxh_dhcp_lease_bind(&v->leases, m->chaddr, ip, now,
	                            pool->lease_secs);
	if (r == -EADDRINUSE) {
		(*v->c_refused)++;
		nak(v, g, m, "in use by another client", ip);
		return PXH_SRV_REPLY;
	}
	if (r < 0) {
		char mac[18];
		pxh_dhcp_fmt_mac(m->chaddr, mac);
		pxh_warn("dhcp: no lease for mac=%s: the lease table is full "
		         "(max_leases)", mac);
		(*v->c_exhausted)++;
		return PXH_SRV_SILENT;
	}
	changed(v);
	g->reply = DHCPACK;
	g->yiaddr = htonl(ip);
	g->lease_secs = pool->lease_secs;
	return PXH_SRV_REPLY;
}

enum pxh_dhcp_srv_verdict pxh_dhcp_srv_request(struct pxh_dhcp *d,
                                               const struct pxh_dhcp_msg *m,
                                               const char *ifname,
                                               uint32_t local,
                                               uint32_t server_id,
                                               struct pxh_dhcp_grant *g)
{
	struct pxh_dhcp_srv *v = d->srv;
	const struct pxh_dhcp_pool *pool;
	uint32_t sid = opt_ip(m, DHCP_OPT_SERVER_ID);
	uint32_t want = ntohl(opt_ip(m, 50)); /* requested address, RFC 2132 9.1 */
	uint32_t ci = ntohl(m->ciaddr);
	int64_t now = wall_now();
	char mac[18], a[16];

	memset(g, 0, sizeof(*g));
	if (!v)
		return PXH_SRV_NOT_OURS;
	pool = pxh_dhcp_pool_for(v->pools, v->n_pools, m->giaddr, ifname, local);
	if (!pool)
		return PXH_SRV_NOT_OURS;
	g->pool = pool;
	pxh_dhcp_fmt_mac(m->chaddr, mac);

	switch (m->msg_type) {
	case DHCPDISCOVER: {
		int err = 0;
		const struct pxh_dhcp_lease *had =
			pxh_dhcp_lease_by_mac(&v->leases, pool, m->chaddr);
		uint32_t had_ip = had && had->state == PXH_LEASE_BOUND &&
		                  had->expires > now ? had->ip : 0;
		uint32_t ip = pxh_dhcp_lease_offer(&v->leases, pool, m->chaddr,
		                                   want, now, v->offer_hold, &err);
		if (!ip) {
			(*v->c_exhausted)++;
			pxh_logf(PXH_LOG_WARNING, NULL, "dhcp: no offer for mac=%s: "
			         "pool %s %s", mac, pool->name,
			         err == PXH_LEASE_TABLE_FULL
			                 ? "cannot grow: max_leases reached"
			                 : "is exhausted (no free address)");
			return PXH_SRV_SILENT;
		}
		/* the client's own live lease answers pings itself: only an
		 * address new to it is probed */
		if (ip != had_ip && v->probe_on)
			pxh_dhcp_probe_send(v, ip);
		g->reply = DHCPOFFER;
		g->yiaddr = htonl(ip);
		g->lease_secs = pool->lease_secs;
		return PXH_SRV_REPLY;
	}
	case DHCPREQUEST:
		if (sid) {
			/* SELECTING: the client chose a server */
			if (sid != server_id) {
				pxh_dhcp_lease_unoffer(&v->leases, m->chaddr);
				return PXH_SRV_SILENT;
			}
			if (!want)
				return PXH_SRV_SILENT; /* RFC 2131: MUST carry 50 */
			return request(v, m, pool, want, true, g);
		}
		if (want)  /* INIT-REBOOT */
			return request(v, m, pool, want, false, g);
		if (ci)    /* RENEWING (unicast) or REBINDING (broadcast) */
			return request(v, m, pool, ci, false, g);
		return PXH_SRV_SILENT;
	case DHCPDECLINE:
		if ((sid && sid != server_id) || !want)
			return PXH_SRV_SILENT;
		log_ip(want, a);
		if (pxh_dhcp_lease_decline(&v->leases, m->chaddr, want, now,
		                           v->decline_secs) == 0) {
			(*v->c_declined)++;
			pxh_warn("dhcp: mac=%s declined %s (another host uses it): "
			         "not handed out for %llds", mac, a,
			         (long long)v->decline_secs);
			changed(v);
		}
		return PXH_SRV_SILENT;
	case DHCPRELEASE:
		if ((sid && sid != server_id) || !ci)
			return PXH_SRV_SILENT;
		log_ip(ci, a);
		if (pxh_dhcp_lease_release(&v->leases, m->chaddr, ci) == 0) {
			(*v->c_released)++;
			pxh_info("dhcp: mac=%s released %s", mac, a);
			changed(v);
		}
		return PXH_SRV_SILENT;
	case DHCPINFORM:
		/* RFC 2131 4.3.5: configuration only, to ciaddr */
		if (!ci || (ci & pool->mask) != pool->net)
			return PXH_SRV_SILENT;
		g->reply = DHCPACK;
		return PXH_SRV_REPLY;
	default:
		return PXH_SRV_SILENT;
	}
}

static size_t put(uint8_t *out, size_t cap, size_t o, uint8_t code,
                  const void *data, size_t len)
{
	if (len > 255 || o + 2 + len > cap)
		return o;
	out[o] = code;
	out[o + 1] = (uint8_t)len;
	memcpy(out + o + 2, data, len);
	return o + 2 + len;
}

static size_t put32(uint8_t *out, size_t cap, size_t o, uint8_t code,
                    uint32_t host)
{
	uint32_t n = htonl(host);
	return put(out, cap, o, code, &n, 4);
}

size_t pxh_dhcp_grant_options(const struct pxh_dhcp_grant *g, uint8_t *out,
                              size_t cap)
{
	const struct pxh_dhcp_pool *p = g->pool;
	size_t o = 0;

	if (!p || g->reply == DHCPNAK)
		return 0;
	/* RFC 2132: 1 subnet mask, 3 router, 6 DNS, 15 domain, 28 broadcast;
	 * 51 lease, 58 T1 (half), 59 T2 (7/8) per RFC 2131 4.4.5 */
	o = put32(out, cap, o, 1, p->mask);
	if (p->router)
		o = put32(out, cap, o, 3, p->router);
	if (p->n_dns) {
		uint32_t dns[PXH_DHCP_DNS_MAX];
		for (size_t i = 0; i < p->n_dns; i++)
			dns[i] = htonl(p->dns[i]);
		o = put(out, cap, o, 6, dns, 4 * p->n_dns);
	}
	if (p->domain[0])
		o = put(out, cap, o, 15, p->domain, strlen(p->domain));
	o = put32(out, cap, o, 28, p->net | ~p->mask);
	if (g->lease_secs) {
		o = put32(out, cap, o, 51, g->lease_secs);
		o = put32(out, cap, o, 58, g->lease_secs / 2);
		o = put32(out, cap, o, 59, (uint32_t)((uint64_t)g->lease_secs * 7 / 8));
	}
	return o;
}
