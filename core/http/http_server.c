/* The HTTP module's life: bind as root, serve, reload, stop with grace. */
#include <errno.h>
#include <pwd.h>
#include <strings.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ev.h>

#include "http.h"
#include "addr_limit.h"
#include "conf.h"
#include "counters.h"
#include "http_module.h"
#include "log.h"
#include "server.h"
#include "tftp/tftp_module.h"
#include "listen_addr.h"

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

void pxh_http_settings_load(const struct pxh_conf *conf,
                            struct pxh_http_settings *set)
{
	const struct pxh_http_conf *hc = pxh_http_conf(conf);

	memset(set, 0, sizeof(*set));
	set->root = dup_or_null(hc->root);
	set->tftp_root = dup_or_null(pxh_tftp_conf(conf)->root);
	set->api_token = dup_or_null(hc->api_token);
	set->require_auth = hc->require_auth;
	set->auth_configured = set->api_token || (hc->client_ca && *hc->client_ca);
	set->public_facts = hc->public_facts;
	set->status_page = hc->status_page;
	/* the key table's bounds and defaults are the only ones */
	set->max_streams = hc->max_event_streams;
	set->max_connections = hc->max_connections;
	set->max_per_client = hc->max_per_client;
	set->body_timeout = hc->body_timeout_s;
	set->max_header = hc->max_header_size < PXH_HTTP_HDR_CEILING ? hc->max_header_size
	                                                             : PXH_HTTP_HDR_CEILING;
	set->report_max = hc->report_max_size;
	set->report_rate = hc->report_rate;
	set->stuck_after = hc->stuck_after_s;
	set->header_timeout = hc->header_timeout_s;
	set->idle_timeout = hc->idle_timeout_s;
	set->send_timeout = hc->send_timeout_s;
	set->server_name = strdup("pxehub/" PXH_VERSION);
}

void pxh_http_settings_free(struct pxh_http_settings *set)
{
	free(set->root);
	free(set->tftp_root);
	free(set->api_token);
	free(set->server_name);
	memset(set, 0, sizeof(*set));
}

bool pxh_http_bearer_ok(const char *authz, const char *token)
{
	size_t n, tn;
	unsigned char diff = 0;

	if (!authz || !token || !*token)
		return false;
	if (strncasecmp(authz, "Bearer ", 7) != 0)
		return false;
	authz += 7;
	while (*authz == ' ')
		authz++;
	n = strlen(authz);
	tn = strlen(token);
	/* compare in time that depends on the token length only */
	for (size_t i = 0; i < tn; i++)
		diff |= (unsigned char)(token[i] ^ (i < n ? authz[i] : 0));
	return diff == 0 && n == tn;
}

/* ---- listeners --------------------------------------------------------- */
/* What to listen on: a socket address, and whether a failure to bind it
 * is only noted (the implicit IPv6 wildcard on a host without IPv6). */
struct listen_to {
	union pxh_sockaddr a;
	bool optional;
};

static int add_addr(struct listen_to *v, size_t *n, size_t max,
                    const union pxh_sockaddr *a, bool optional)
{
	for (size_t i = 0; i < *n; i++)
		if (!memcmp(&v[i].a, a, sizeof(*a)))
			return 0;
	if (*n == max)
		return -E2BIG;
	v[*n].a = *a;
	v[(*n)++].optional = optional;
	return 0;
}

/* An interface's IPv4 and IPv6 addresses (a link-local one with its
 * scope): the addresses bound when [server] listen names it. */
static int iface_addrs(struct ifaddrs *ifa, const char *name,
                       struct listen_to *v, size_t *n, size_t max, bool *found)
{
	int rc = 0;

	for (struct ifaddrs *p = ifa; p && !rc; p = p->ifa_next) {
		union pxh_sockaddr a;

		if (!p->ifa_addr || strcmp(p->ifa_name, name) != 0)
			continue;
		memset(&a, 0, sizeof(a));
		if (p->ifa_addr->sa_family == AF_INET) {
			memcpy(&a.in, p->ifa_addr, sizeof(a.in));
		} else if (p->ifa_addr->sa_family == AF_INET6) {
			memcpy(&a.in6, p->ifa_addr, sizeof(a.in6));
			if (!IN6_IS_ADDR_LINKLOCAL(&a.in6.sin6_addr))
				a.in6.sin6_scope_id = 0;
		} else {
			continue;
		}
		rc = add_addr(v, n, max, &a, false);
		*found = true;
	}
	return rc;
}

/* [server] listen: addresses (IPv4, IPv6, link-local with its zone), or
 * interface names standing for their IPv4 and IPv6 addresses; empty: the
 * wildcards of both families, one socket each (IPV6_V6ONLY: an IPv4
 * client is never seen as ::ffff:a.b.c.d). */
static int listen_addrs(const struct pxh_conf *conf, struct listen_to *v,
                        size_t max, size_t *n)
{
	size_t cnt = pxh_server_conf(conf)->listen.n;
	struct ifaddrs *ifa = NULL;
	int rc = 0;

	*n = 0;
	if (cnt == 0) {
		union pxh_sockaddr any4 = {.in = {.sin_family = AF_INET}};
		union pxh_sockaddr any6 = {.in6 = {.sin6_family = AF_INET6}};

		rc = add_addr(v, n, max, &any4, false);
		return rc ? rc : add_addr(v, n, max, &any6, true);
	}
	for (size_t i = 0; i < cnt && !rc; i++) {
		const char *item = pxh_server_conf(conf)->listen.v[i];
		struct pxh_listen_item li;
		char why[256];
		bool found = false;

		rc = pxh_listen_parse(item, true, &li, why, sizeof(why));
		if (rc) {
			pxh_err("http: [server] listen: %s", why);
			break;
		}
		if (li.kind == PXH_LISTEN_ADDR) {
			rc = add_addr(v, n, max, &li.a, false);
			continue;
		}
		if (!ifa && getifaddrs(&ifa) < 0)
			return -errno;
		rc = iface_addrs(ifa, li.iface, v, n, max, &found);
		if (!found && !rc) {
			pxh_err("http: [server] listen: interface %s has no address",
			        item);
			rc = -ENODEV;
		}
	}
	if (ifa)
		freeifaddrs(ifa);
	return rc;
}

static int bind_one(struct pxh_http *h, const struct listen_to *to,
                    unsigned port, bool tls, struct pxh_http_loop *lp)
{
	union pxh_sockaddr sa = to->a;
	char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	int fd, one = 1, fam = sa.sa.sa_family;
	struct pxh_http_listener *l;

	if (h->n_lis == PXH_HTTP_MAX_LISTEN)
		return -E2BIG;
	pxh_sockaddr_text(&sa, text, sizeof(text));
	if (fam == AF_INET6)
		sa.in6.sin6_port = htons((uint16_t)port);
	else
		sa.in.sin_port = htons((uint16_t)port);
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		if (to->optional) {
			pxh_info("http: no IPv6 here (%s): IPv4 only", strerror(errno));
			return 0;
		}
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* worker loops: one listener each on the same port, the kernel
	 * spreads new connections over them */
	if (h->n_workers && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		int e = errno;

		pxh_err("http: SO_REUSEPORT on %s port %u: %s", text, port, strerror(e));
		close(fd);
		return -e;
	}
	if (fam == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		/* an address still in duplicate address detection (just
		 * configured) binds now and works once DAD is done */
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	}
	if (bind(fd, &sa.sa, pxh_sockaddr_len(&sa)) < 0 || listen(fd, 1024) < 0) {
		int e = errno;

		close(fd);
		if (to->optional) {
			pxh_info("http: IPv6 not served on %s port %u: %s", text, port,
			         strerror(e));
			return 0;
		}
		pxh_err("http: cannot listen on %s port %u (%s): %s", text, port,
		        tls ? "https" : "http", strerror(e));
		return -e;
	}
	l = &h->lis[h->n_lis++];
	l->fd = fd;
	l->tls = tls;
	l->h = h;
	l->lp = lp;
	pxh_http_copy(l->addr, sizeof(l->addr), text);
	return 0;
}

static struct pxh_http *http_new(struct pxh_server *s)
{
	struct pxh_http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->srv = s;
	pxh_http_settings_load(s->conf, &h->set);
	for (size_t i = 0; i < PXH_HTTP_MAX_LISTEN; i++)
		h->lis[i].fd = -1;
	return h;
}

int pxh_http_open(struct pxh_server *s)
{
	struct pxh_http *h;
	struct listen_to addrs[PXH_HTTP_MAX_LISTEN];
	size_t n = 0;
	long long port, sport;
	int rc = 0;

	if (s->http)
		return 0;
	h = http_new(s);
	if (!h)
		return -ENOMEM;
	s->http = h;
	port = pxh_http_conf(s->conf)->port;
	sport = pxh_http_conf(s->conf)->https_port;
	if (!pxh_http_conf(s->conf)->enabled || (port <= 0 && sport <= 0))
		return pxh_http_loops_init(h, 1);
	rc = pxh_http_loops_init(h, pxh_http_workers_wanted(s->conf));
	if (rc)
		return rc;
	if (h->set.require_auth && !h->set.auth_configured) {
		pxh_err("http: require_auth = yes needs api_token or client_ca");
		return -EINVAL;
	}
	rc = listen_addrs(s->conf, addrs, PXH_HTTP_MAX_LISTEN, &n);
	/* workers = 1: the main loop listens; else each worker on its own */
	for (unsigned w = 0; w < (h->n_workers ? h->n_workers : 1) && !rc; w++) {
		struct pxh_http_loop *lp = h->n_workers ? &h->workers[w] : &h->main_lp;

		for (size_t i = 0; i < n && !rc; i++) {
			if (port > 0)
				rc = bind_one(h, &addrs[i], (unsigned)port, false, lp);
			if (!rc && sport > 0)
				rc = bind_one(h, &addrs[i], (unsigned)sport, true, lp);
		}
	}
	/* keys are read here, while still root (and a tls module loaded) */
	if (!rc && sport > 0)
		rc = pxh_http_tls_open(s->conf, &h->tls);
	if (!rc && sport > 0)
		pxh_http_ktls_probe();
	return rc;
}

/* ---- serving ----------------------------------------------------------- */
static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pxh_http_listener *l = w->data;

	pxh_http_conn_accept(l->lp, l);
}

static double gauge_conns(struct pxh_server *s, void *ud)
{
	return s->http ? (double)__atomic_load_n(&s->http->n_conns, __ATOMIC_RELAXED) : 0;
}

static void counters_register(struct pxh_server *s, struct pxh_http *h)
{
	struct pxh_http_counters *k = &h->ctr;
	char name[160];

	for (int r = 0; r < PXH_ROUTE__MAX; r++) {
		snprintf(name, sizeof(name),
		         "pxehub_http_requests_total{route=\"%s\"}",
		         pxh_http_route_name((enum pxh_http_route)r));
		k->requests[r] = pxh_counter(s, name, "HTTP requests by endpoint");
	}
	for (int c = 1; c <= 5; c++) {
		snprintf(name, sizeof(name),
		         "pxehub_http_responses_total{code=\"%dxx\"}", c);
		k->status[c] = pxh_counter(s, name, "HTTP responses by status class");
	}
	k->bytes = pxh_counter(s, "pxehub_http_sent_bytes_total",
	                       "bytes sent over HTTP and HTTPS");
	k->conns = pxh_counter(s, "pxehub_http_connections_total",
	                       "connections accepted");
	k->rejected_cap = pxh_counter(s, "pxehub_http_rejected_total{reason=\"max_connections\"}",
	                              "connections or requests refused");
	k->rejected_per_client = pxh_counter(s, "pxehub_http_rejected_total{reason=\"max_per_client\"}",
	                                     "connections or requests refused");
	k->timeouts = pxh_counter(s, "pxehub_http_rejected_total{reason=\"timeout\"}",
	                          "connections or requests refused");
	k->bad_requests = pxh_counter(s, "pxehub_http_rejected_total{reason=\"bad_request\"}",
	                              "connections or requests refused");
	k->tls_failures = pxh_counter(s, "pxehub_http_rejected_total{reason=\"tls_handshake\"}",
	                              "connections or requests refused");
	k->reports = pxh_counter(s, "pxehub_http_reports_total",
	                         "reports accepted on /api/v1/report");
	k->reports_limited = pxh_counter(s, "pxehub_http_rejected_total{reason=\"report_rate\"}",
	                                 "connections or requests refused");
	k->refused_access = pxh_counter(s, "pxehub_http_rejected_total{reason=\"access\"}",
	                                "connections or requests refused");
	k->scripts = pxh_counter(s, "pxehub_http_scripts_total",
	                         "boot scripts served from /boot.ipxe");
	k->downloads = pxh_counter(s, "pxehub_http_downloads_total",
	                           "file downloads started (/files, /tftp)");
	pxh_gauge(s, "pxehub_http_connections", "open HTTP(S) connections",
	          gauge_conns, NULL);
}

int pxh_http_start(struct pxh_server *s)
{
	struct pxh_http *h = s->http;

	if (!h)
		return -EINVAL;
	if (h->started)
		return 0;
	counters_register(s, h);
	pxh_http_menu_load(h, s->conf);
	for (size_t i = 0; i < h->n_lis; i++) {
		ev_io *w = calloc(1, sizeof(*w));

		if (!w)
			return -ENOMEM;
		ev_io_init(w, on_accept, h->lis[i].fd, EV_READ);
		w->data = &h->lis[i];
		h->lis[i].watcher = w;
		/* a worker's loop is not running yet: its thread starts below */
		ev_io_start(h->lis[i].lp->loop, w);
		if (h->lis[i].lp->index <= 1)
			pxh_info("http: serving %s on %s port %lld", h->lis[i].tls ? "https" : "http",
			         h->lis[i].addr,
			         (long long)(h->lis[i].tls ? pxh_http_conf(s->conf)->https_port
			                                   : pxh_http_conf(s->conf)->port));
	}
	h->started = true;
	return pxh_http_workers_start(h);
}

/* Certificate, key, client_ca, require_client_cert and tls_priority are
 * read again on every reload, changed or not: a renewed certificate under
 * the same name is what a reload is for.  New connections get the new set;
 * open ones keep theirs until they close. */
int pxh_http_reload_prepare(struct pxh_server *s, const struct pxh_conf *nc)
{
	struct pxh_http *h = s->http;
	int rc;

	if (!h || !h->tls)
		return 0; /* no HTTPS listener: https_port needs a restart */
	pxh_http_reload_abort(s);
	rc = pxh_http_tls_open(nc, &h->next_tls);
	if (rc < 0) {
		struct passwd *pw = getpwuid(geteuid());

		pxh_err("http: reload: the certificate and TLS settings loaded before stay "
		        "(after start, pxehubd reads them as user %s)",
		        pw ? pw->pw_name : "?");
	}
	return rc;
}

void pxh_http_reload_abort(struct pxh_server *s)
{
	struct pxh_http *h = s->http;

	if (h && h->next_tls) {
		pxh_http_tls_free(h->next_tls);
		h->next_tls = NULL;
	}
}

static void reload_tls(struct pxh_http *h)
{
	if (!h->next_tls)
		return;
	pxh_http_tls_free(h->tls);
	h->tls = h->next_tls;
	h->next_tls = NULL;
	pxh_notice("http: reloaded TLS certificate and settings: new connections use them");
}

void pxh_http_reload(struct pxh_server *s, const struct pxh_conf *old)
{
	struct pxh_http *h = s->http;

	if (!h)
		return;
	pxh_http_settings_free(&h->set);
	pxh_http_settings_load(s->conf, &h->set);
	if (h->set.require_auth && !h->set.auth_configured)
		pxh_warn("http: require_auth = yes without api_token or client_ca: "
		         "the API refuses everyone");
	pxh_http_menu_free(h);
	pxh_http_menu_load(h, s->conf);
	if (old)
		reload_tls(h);
	pxh_http_workers_reload(h);
	pxh_http_events_reload(h);
}

/* LP's listeners stop (LP's thread); their watchers are freed with the
 * module, once no thread runs. */
void pxh_http_loop_close_listeners(struct pxh_http_loop *lp)
{
	struct pxh_http *h = lp->h;

	for (size_t i = 0; i < h->n_lis; i++) {
		struct pxh_http_listener *l = &h->lis[i];

		if (l->lp != lp)
			continue;
		if (l->watcher)
			ev_io_stop(lp->loop, l->watcher);
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
	}
}

static void free_listeners(struct pxh_http *h)
{
	for (size_t i = 0; i < h->n_lis; i++) {
		if (h->lis[i].fd >= 0)
			close(h->lis[i].fd);
		h->lis[i].fd = -1;
		free(h->lis[i].watcher);
		h->lis[i].watcher = NULL;
	}
	h->n_lis = 0;
}

void pxh_http_conns_close(struct pxh_http *h, bool idle_only)
{
	pxh_http_loop_conns_close(&h->main_lp, idle_only);
	pxh_http_workers_close(h, false, idle_only);
}

static void http_free(struct pxh_server *s, struct pxh_http *h)
{
	pxh_http_loop_close_listeners(&h->main_lp);
	pxh_http_loop_conns_close(&h->main_lp, false);
	pxh_http_loops_free(h); /* the workers close theirs and end */
	pxh_http_bulk_free(h->main_lp.bulk);
	h->main_lp.bulk = NULL;
	free_listeners(h);
	if (h->grace_timer) {
		ev_timer_stop(s->loop, h->grace_timer);
		free(h->grace_timer);
	}
	pxh_http_tls_free(h->tls);
	pxh_http_tls_free(h->next_tls);
	pxh_http_menu_free(h);
	pxh_http_events_free(h);
	pxh_addr_count_free(&h->per_addr);
	pxh_http_settings_free(&h->set);
	pthread_mutex_destroy(&h->main_lp.lock);
	free(h);
	s->http = NULL;
}

static void on_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_http *h = w->data;

	/* grace is over: transfers still running are cut */
	if (__atomic_load_n(&h->n_conns, __ATOMIC_RELAXED))
		pxh_notice("http: grace period over, closing %zu connections",
		           __atomic_load_n(&h->n_conns, __ATOMIC_RELAXED));
	pxh_http_conns_close(h, false);
	ev_timer_stop(loop, w);
}

void pxh_http_stop(struct pxh_server *s, double grace)
{
	struct pxh_http *h = s->http;

	if (!h)
		return;
	h->stopping = true;
	h->main_lp.stopping = true;
	pxh_http_loop_close_listeners(&h->main_lp);
	/* idle keep-alive connections go now; transfers get GRACE seconds */
	pxh_http_loop_conns_close(&h->main_lp, true);
	pxh_http_workers_close(h, true, true);
	if (grace > 0 && __atomic_load_n(&h->n_conns, __ATOMIC_RELAXED) > 0 && s->loop) {
		ev_timer *t = h->grace_timer;

		if (!t) {
			t = calloc(1, sizeof(*t));
			if (!t) {
				http_free(s, h);
				return;
			}
			ev_timer_init(t, on_grace, grace, 0.);
			t->data = h;
			h->grace_timer = t;
			ev_timer_start(s->loop, t);
		}
		return;
	}
	http_free(s, h);
}

size_t pxh_http_active(struct pxh_server *s)
{
	return s && s->http ? __atomic_load_n(&s->http->n_busy, __ATOMIC_RELAXED) : 0;
}
