/*
 * syslog_stifler: every pxehub event as an RFC 5424 syslog message, to one
 * or more collectors (StifleR, rsyslog, syslog-ng, Graylog, ...) over UDP
 * (RFC 5426), TCP with octet counting (RFC 6587) or TLS (RFC 5425).
 *
 *   [syslog_stifler]
 *   enabled = yes
 *   [syslog_stifler.stifler]
 *   host = stifler.example.org
 *   transport = tls
 *   ca = /etc/pxehub/stifler-ca.pem
 *
 * Each [syslog_stifler.NAME] section is one target with its own event
 * filter, minimum severity, bounded queue and connection; see
 * docs/plugins/syslog_stifler.md for the keys and the field mapping.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pxehub/plugin.h>

#include "syslog_format.h"
#include "syslog_proto.h"
#include "syslog_target.h"

struct stifler {
	pxh_host *h;
	char hostname[SYSLOG_HOSTNAME_MAX + 1];
	long pid;
	size_t n;
	struct sl_target *targets;
	uint64_t events;
};

static void stifler_event(void *ud, const pxh_event *ev)
{
	struct stifler *s = ud;
	char buf[8192];

	s->events++;
	for (size_t i = 0; i < s->n; i++) {
		struct sl_target *t = &s->targets[i];
		struct sl_header hd = {.facility = t->cf.facility,
		                       .hostname = s->hostname, .procid = s->pid};
		size_t len;

		if (!(t->cf.kinds & PXH_EV_MASK(ev->kind)) ||
		    ev->severity > t->cf.min_severity)
			continue;
		len = sl_format(buf, sizeof(buf), ev, &hd);
		if (len)
			sl_target_send(t, buf, len);
	}
}

static void stifler_report(void *ud, pxh_report *r)
{
	struct stifler *s = ud;
	uint64_t sent = 0, dropped = 0, reconnects = 0, queued = 0;
	char name[96];

	for (size_t i = 0; i < s->n; i++) {
		struct sl_target *t = &s->targets[i];
		const char *m = t->cf.metric;

		sent += t->sent;
		dropped += t->dropped;
		reconnects += t->reconnects;
		queued += t->q.count;
#define TARGET(fn, what, v)                                                    \
	do {                                                                   \
		snprintf(name, sizeof(name), "%s_%s", m, what);                \
		fn(r, name, v);                                                \
	} while (0)
		TARGET(pxh_report_counter, "sent", t->sent);
		TARGET(pxh_report_counter, "dropped", t->dropped);
		TARGET(pxh_report_counter, "reconnects", t->reconnects);
		TARGET(pxh_report_counter, "failures", t->failures);
		TARGET(pxh_report_counter, "truncated", t->truncated);
		TARGET(pxh_report_gauge, "queued", (double)t->q.count);
		TARGET(pxh_report_gauge, "up", t->state == SL_UP ? 1.0 : 0.0);
		TARGET(pxh_report_text, "state", sl_target_state_name(t));
		TARGET(pxh_report_text, "last_error", t->err);
#undef TARGET
	}
	pxh_report_counter(r, "events", s->events);
	pxh_report_counter(r, "sent", sent);
	pxh_report_counter(r, "dropped", dropped);
	pxh_report_counter(r, "reconnects", reconnects);
	pxh_report_gauge(r, "queued", (double)queued);
	pxh_report_gauge(r, "targets", (double)s->n);
}

/* ---- configuration ----------------------------------------------------- */
__attribute__((format(printf, 4, 5)))
/* [syslog_stifler] and each [syslog_stifler.NAME], filled by the core */
struct sl_conf {
	const char *hostname, *facility;
};
struct sl_sub_conf {
	const char *host;
	unsigned short port;
	int transport; /* index in "udp|tcp|tls" */
	pxh_conf_list events;
	const char *min_severity, *facility;
	const char *ca, *cert, *key, *tls_name;
	size_t queue_size;
	const char *overflow;
	size_t max_message;
	int send_buffer;
	double reconnect_min_s, reconnect_max_s, connect_timeout_s;
};
static int conf_error(pxh_host *h, const char *sub, const char *key,
                      const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pxh_log(h, PXH_LOG_ERR, NULL, "%s: [syslog_stifler.%s] %s: %s",
	        pxh_conf_where(h, sub, key), sub, key, msg);
	return -EINVAL;
}

static int copy_str(pxh_host *h, const char *sub, const char *key, const char *v,
                    char *out, size_t cap)
{
	if (!v)
		v = "";
	if (strlen(v) >= cap)
		return conf_error(h, sub, key, "longer than %zu characters", cap - 1);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int read_kinds(pxh_host *h, const char *sub, const pxh_conf_list *ev,
                      uint32_t *kinds)
{
	size_t n = ev->n;

	*kinds = 0;
	for (size_t i = 0; i < n; i++) {
		const char *w = ev->v[i];
		int k;

		if (!strcmp(w, "all")) {
			*kinds = PXH_EV_ALL;
			continue;
		}
		k = sl_kind_from_name(w);
		if (!k)
			return conf_error(h, sub, "events",
			                  "unknown event kind '%s' (dhcp_request, "
			                  "dhcp_decision, tftp_start, tftp_end, "
			                  "script_served, download_start, "
			                  "download_end, report, decision, server, "
			                  "plugin or all)", w);
		*kinds |= PXH_EV_MASK(k);
	}
	if (!n)
		*kinds = PXH_EV_ALL;
	return 0;
}

static void metric_name(char *out, size_t cap, const char *name)
{
	size_t o = 0;

	for (; *name && o + 1 < cap; name++)
		out[o++] = isalnum((unsigned char)*name)
		                   ? (char)tolower((unsigned char)*name) : '_';
	out[o] = '\0';
}

static int read_target(pxh_host *h, const char *sub, int def_facility,
                       struct sl_target_conf *cf)
{
	static const enum sl_transport transports[] = {SL_UDP, SL_TCP, SL_TLS};
	const struct sl_sub_conf *sc = pxh_conf_struct(h, sub);
	const char *v;
	long long port;
	int rc;

	snprintf(cf->name, sizeof(cf->name), "%s", sub);
	metric_name(cf->metric, sizeof(cf->metric), sub);
	cf->transport = transports[sc->transport];
	if ((rc = copy_str(h, sub, "host", sc->host, cf->host, sizeof(cf->host))) ||
	    (rc = copy_str(h, sub, "tls_name", sc->tls_name, cf->tls_name, sizeof(cf->tls_name))) ||
	    (rc = copy_str(h, sub, "ca", sc->ca, cf->ca, sizeof(cf->ca))) ||
	    (rc = copy_str(h, sub, "cert", sc->cert, cf->cert, sizeof(cf->cert))) ||
	    (rc = copy_str(h, sub, "key", sc->key, cf->key, sizeof(cf->key))))
		return rc;
	if (!cf->host[0])
		return conf_error(h, sub, "host", "a collector address or name is required");
	if (!cf->tls_name[0])
		snprintf(cf->tls_name, sizeof(cf->tls_name), "%s", cf->host);
	if (cf->key[0] && !cf->cert[0])
		return conf_error(h, sub, "key", "set without cert");
	if (cf->transport != SL_TLS && (cf->ca[0] || cf->cert[0]))
		return conf_error(h, sub, cf->ca[0] ? "ca" : "cert",
		                  "only used with transport = tls");
	port = sc->port;
	if (port <= 0)
		port = cf->transport == SL_TLS ? SYSLOG_PORT_TLS
		       : cf->transport == SL_TCP ? SYSLOG_PORT_TCP : SYSLOG_PORT_UDP;
	snprintf(cf->port, sizeof(cf->port), "%u", (unsigned)(port & 0xffff));
	if ((rc = read_kinds(h, sub, &sc->events, &cf->kinds)))
		return rc;
	cf->min_severity = sl_severity_from_name(sc->min_severity);
	v = sc->facility;
	cf->facility = v && *v ? sl_facility_from_name(v) : def_facility;
	if (cf->facility < 0)
		return conf_error(h, sub, "facility", "unknown facility '%s'", v);
	cf->queue_size = sc->queue_size;
	cf->drop_oldest = !strcmp(sc->overflow, "drop-oldest");
	cf->max_message = sc->max_message;
	if (cf->transport == SL_UDP && cf->max_message > SYSLOG_UDP_MAX)
		cf->max_message = SYSLOG_UDP_MAX;
	cf->sndbuf = sc->send_buffer;
	cf->backoff_min = sc->reconnect_min_s;
	cf->backoff_max = sc->reconnect_max_s;
	if (cf->backoff_max < cf->backoff_min)
		cf->backoff_max = cf->backoff_min;
	cf->connect_timeout = sc->connect_timeout_s;
	return 0;
}

static void stifler_free(struct stifler *s, size_t started)
{
	for (size_t i = 0; i < started; i++)
		sl_target_stop(&s->targets[i]);
	free(s->targets);
	free(s);
}

static int stifler_init(pxh_host *h, void **state)
{
	struct stifler *s = calloc(1, sizeof(*s));
	const struct sl_conf *gc = pxh_conf_struct(h, NULL);
	const char *hn = gc->hostname;
	int facility = sl_facility_from_name(gc->facility);
	size_t started = 0;
	int rc = 0;

	if (!s)
		return -ENOMEM;
	s->h = h;
	s->pid = (long)getpid();
	snprintf(s->hostname, sizeof(s->hostname), "%s",
	         hn && *hn ? hn : pxh_host_fqdn(h));
	s->n = pxh_conf_sub_count(h);
	s->targets = calloc(s->n ? s->n : 1, sizeof(*s->targets));
	if (!s->targets) {
		free(s);
		return -ENOMEM;
	}
	/* every target's keys first: a bad one loads nothing */
	for (size_t i = 0; i < s->n && !rc; i++)
		rc = read_target(h, pxh_conf_sub_name(h, i), facility,
		                 &s->targets[i].cf);
	for (; started < s->n && !rc; started++) {
		struct sl_target *t = &s->targets[started];
		const struct sl_target_conf *cf = &t->cf;

		pxh_log(h, PXH_LOG_INFO, NULL,
		        "target %s: %s://%s:%s, queue %zu, severity <= %d",
		        cf->name,
		        cf->transport == SL_TLS ? "tls"
		        : cf->transport == SL_TCP ? "tcp" : "udp",
		        cf->host, cf->port, cf->queue_size, cf->min_severity);
		rc = sl_target_start(t, h);
		if (rc < 0) {
			pxh_log(h, PXH_LOG_ERR, NULL, "target %s: %s", t->cf.name,
			        t->err);
			break;
		}
	}
	if (!rc)
		rc = pxh_register_event(h, PXH_EV_ALL, stifler_event, s, NULL);
	if (!rc)
		rc = pxh_register_report(h, stifler_report, s, NULL);
	if (rc) {
		stifler_free(s, started);
		return rc < 0 ? rc : -EINVAL;
	}
	if (!s->n)
		pxh_log(h, PXH_LOG_WARNING, NULL,
		        "no [syslog_stifler.NAME] target configured: events go nowhere");
	*state = s;
	return 0;
}

static void stifler_fini(void *state)
{
	struct stifler *s = state;

	stifler_free(s, s->n);
}

#define FACILITIES                                                             \
	"kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|"   \
	"ntp|audit|alert|clock|local0|local1|local2|local3|local4|local5|"     \
	"local6|local7"

#define SL_BIND(m) PXH_CONF_BIND(struct sl_conf, m)
#define SL_SUB_BIND(m) PXH_CONF_BIND(struct sl_sub_conf, m)

static const pxh_conf_key stifler_keys[] = {
	{.name = "hostname", .type = PXH_CONF_STRING, .def = "",
	 .help = "HOSTNAME field of every message; empty = [server] fqdn or the host name", SL_BIND(hostname)},
	{.name = "facility", .type = PXH_CONF_ENUM, .def = "local0",
	 .choices = FACILITIES, .help = "syslog facility of every target unless it sets its own", SL_BIND(facility)},
	PXH_CONF_END,
};

static const pxh_conf_key stifler_sub_keys[] = {
	{.name = "host", .type = PXH_CONF_STRING, .flags = PXH_CONF_REQUIRED,
	 .help = "collector address or DNS name", SL_SUB_BIND(host)},
	{.name = "port", .type = PXH_CONF_INT, .def = "0", .min = 0, .max = 65535,
	 .help = "collector port; 0 = 514 (udp, tcp) or 6514 (tls)", SL_SUB_BIND(port)},
	{.name = "transport", .type = PXH_CONF_ENUM, .def = "udp",
	 .choices = "udp|tcp|tls",
	 .help = "udp (RFC 5426), tcp with octet counting (RFC 6587) or tls (RFC 5425)", SL_SUB_BIND(transport)},
	{.name = "events", .type = PXH_CONF_LIST, .def = "all",
	 .help = "event kinds sent (dhcp_request, dhcp_decision, tftp_start, tftp_end, "
	         "script_served, download_start, download_end, report, decision, "
	         "server, plugin) or all", SL_SUB_BIND(events)},
	{.name = "min_severity", .type = PXH_CONF_ENUM, .def = "debug",
	 .choices = "emerg|alert|crit|err|warning|notice|info|debug",
	 .help = "send events at least this severe", SL_SUB_BIND(min_severity)},
	{.name = "facility", .type = PXH_CONF_STRING, .def = "",
	 .help = "facility for this target; empty = [syslog_stifler] facility", SL_SUB_BIND(facility)},
	{.name = "ca", .type = PXH_CONF_PATH, .def = "",
	 .help = "tls: PEM CA certificates the collector's certificate must chain to; "
	         "empty = the system trust store", SL_SUB_BIND(ca)},
	{.name = "cert", .type = PXH_CONF_PATH, .def = "",
	 .help = "tls: PEM client certificate, when the collector asks for one", SL_SUB_BIND(cert)},
	{.name = "key", .type = PXH_CONF_PATH, .def = "",
	 .help = "tls: PEM private key of cert (readable by the pxehub user); empty = in cert", SL_SUB_BIND(key)},
	{.name = "tls_name", .type = PXH_CONF_STRING, .def = "",
	 .help = "tls: name (DNS or IP) the collector's certificate must carry; empty = host", SL_SUB_BIND(tls_name)},
	{.name = "queue_size", .type = PXH_CONF_INT, .def = "10000", .min = 1,
	 .max = 1000000, .help = "messages kept while the collector is slow or away", SL_SUB_BIND(queue_size)},
	{.name = "overflow", .type = PXH_CONF_ENUM, .def = "drop-oldest",
	 .choices = "drop-oldest|drop-newest",
	 .help = "which message goes when the queue is full", SL_SUB_BIND(overflow)},
	{.name = "max_message", .type = PXH_CONF_INT, .def = "4096", .min = 2048,
	 .max = 65507, .help = "bytes of one message; longer MSG text is cut", SL_SUB_BIND(max_message)},
	{.name = "send_buffer", .type = PXH_CONF_INT, .def = "65536", .min = 0,
	 .max = 16777216,
	 .help = "socket send buffer in bytes (0 = the kernel's); what it holds when "
	         "a connection dies is lost, the queue is kept", SL_SUB_BIND(send_buffer)},
	{.name = "reconnect_min", .type = PXH_CONF_DURATION, .def = "500ms",
	 .min = 10, .max = 3600000, .help = "first wait before reconnecting", SL_SUB_BIND(reconnect_min_s)},
	{.name = "reconnect_max", .type = PXH_CONF_DURATION, .def = "30s",
	 .min = 10, .max = 3600000, .help = "the wait doubles up to this", SL_SUB_BIND(reconnect_max_s)},
	{.name = "connect_timeout", .type = PXH_CONF_DURATION, .def = "5s",
	 .min = 100, .max = 300000, .help = "connect and TLS handshake time limit", SL_SUB_BIND(connect_timeout_s)},
	PXH_CONF_END,
};

PXH_PLUGIN(.name = "syslog_stifler", .version = "1.0", .keys = stifler_keys,
           .sub_keys = stifler_sub_keys, .conf_size = sizeof(struct sl_conf),
           .sub_conf_size = sizeof(struct sl_sub_conf), .init = stifler_init,
           .fini = stifler_fini);
