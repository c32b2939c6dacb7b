/* Events: logged as one key=value line, recorded in the client history,
 * queued (bounded) for the plugins' event hooks. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "abi.h"
#include "clients.h"
#include "conf.h"
#include "counters.h"
#include "events.h"
#include "log.h"
#include "plugins.h"
#include "server.h"
#include "str.h"

/* A queued event owns its client: the emitter's goes away with its call. */
struct ev_slot {
	pxh_event ev;
	pxh_client client;
};

struct pxh_events {
	struct ev_slot *ring;
	size_t cap, head, count;
	ev_prepare drain;
	bool draining;
	uint64_t *dropped, *delivered;
	uint64_t *by_kind[PXH_EV__MAX];
};

static const char *const kind_names[] = {
	[PXH_EV_DHCP_REQUEST] = "dhcp_request",
	[PXH_EV_DHCP_DECISION] = "dhcp_decision",
	[PXH_EV_TFTP_START] = "tftp_start",
	[PXH_EV_TFTP_END] = "tftp_end",
	[PXH_EV_SCRIPT_SERVED] = "script_served",
	[PXH_EV_DOWNLOAD_START] = "download_start",
	[PXH_EV_DOWNLOAD_END] = "download_end",
	[PXH_EV_REPORT] = "report",
	[PXH_EV_DECISION] = "decision",
	[PXH_EV_SERVER] = "server",
	[PXH_EV_PLUGIN] = "plugin",
};

const char *pxh_event_kind_name(enum pxh_event_kind k)
{
	if (k > 0 && k < PXH_EV__MAX && kind_names[k])
		return kind_names[k];
	return "unknown";
}

void pxh_event_init(pxh_event *ev, enum pxh_event_kind kind, int severity,
                    const pxh_client *c)
{
	struct timeval tv;

	memset(ev, 0, sizeof(*ev));
	ev->struct_size = sizeof(*ev);
	ev->kind = kind;
	ev->severity = severity;
	gettimeofday(&tv, NULL);
	ev->time_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	ev->client = c ? c : &pxh_no_client;
}

const pxh_client pxh_no_client = {.struct_size = sizeof(pxh_client)};

/* Copy a client a plugin (or the core) handed over into OUT, a whole
 * struct: only the first struct_size bytes the sender knows are read, the
 * rest is zero; every text ends inside its field; raw is dropped (the
 * packet does not outlive the call). */
void pxh_client_import(pxh_client *out, const pxh_client *c)
{
	memset(out, 0, sizeof(*out));
	if (c)
		memcpy(out, c, pxh_abi_size(c->struct_size, PXH_CLIENT_SIZE_1_0,
		                            sizeof(*out)));
	out->struct_size = sizeof(*out);
	out->raw = NULL;
	out->raw_len = 0;
#define PXH_NUL_END(f) (out->f[sizeof(out->f) - 1] = 0);
	PXH_CLIENT_TEXTS(PXH_NUL_END)
#undef PXH_NUL_END
}

static void log_event(const pxh_event *ev, const char *mac)
{
	char line[900];
	size_t o = 0;
	const pxh_client *c = ev->client;

	/* text fields appended as they are (no printf: several events come
	 * per packet); numbers through snprintf */
#define STR(key, v)                                                            \
	do {                                                                   \
		if ((v)[0]) {                                                  \
			o = pxh_strcat_at(line, sizeof(line), o, key);         \
			o = pxh_strcat_at(line, sizeof(line), o, v);           \
		}                                                              \
	} while (0)
#define NUM(...)                                                               \
	do {                                                                   \
		if (o < sizeof(line) - 1) {                                    \
			int n_ = snprintf(line + o, sizeof(line) - o, __VA_ARGS__); \
			o = n_ < 0 ? o : o + (size_t)n_;                       \
			if (o > sizeof(line) - 1)                              \
				o = sizeof(line) - 1;                          \
		}                                                              \
	} while (0)
	line[0] = 0;
	STR("event=", pxh_event_kind_name(ev->kind));
	STR(" mac=", mac);
	STR(" ip=", c->ip);
	STR(" arch=", c->arch_name);
	STR(" uuid=", c->uuid);
	STR(" relay=", c->relay);
	STR(" action=", ev->action);
	STR(" plugin=", ev->plugin);
	STR(" file=", ev->file);
	if (ev->bytes)
		NUM(" bytes=%llu", (unsigned long long)ev->bytes);
	if (ev->duration_us)
		NUM(" duration_ms=%.1f", (double)ev->duration_us / 1000.0);
	if (ev->blksize)
		NUM(" blksize=%u", ev->blksize);
	if (ev->windowsize)
		NUM(" windowsize=%u", ev->windowsize);
	if (ev->retransmits)
		NUM(" retransmits=%u", ev->retransmits);
	if (ev->message[0]) {
		o = pxh_strcat_at(line, sizeof(line), o, " msg=\"");
		o = pxh_strcat_at(line, sizeof(line), o, ev->message);
		pxh_strcat_at(line, sizeof(line), o, "\"");
	}
#undef STR
#undef NUM
	pxh_logf(ev->severity ? ev->severity : PXH_LOG_INFO, NULL, "%s", line);
}

void pxh_clients_record(struct pxh_server *s, const pxh_event *ev,
                        const char *mac, bool bind);

static void deliver_some(struct pxh_server *s, size_t max)
{
	struct pxh_events *q = s->events;

	while (q->count && max--) {
		struct ev_slot slot = q->ring[q->head];
		pxh_event ev = slot.ev;
		ev.client = &slot.client;
		q->head = (q->head + 1) % q->cap;
		q->count--;
		for (struct pxh_hook *k = pxh_hooks(s, PXH_HOOK_EVENT); k; k = k->next)
			if (k->kinds & PXH_EV_MASK(ev.kind))
				k->fn.event(k->ud, &ev);
		(*q->delivered)++;
	}
}

static void drain_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct pxh_server *s = w->data;

	deliver_some(s, 512);
	if (!s->events->count)
		ev_prepare_stop(loop, w);
}

/* Escape one text field in place (pxh_log_escape). */
static void escape_field(char *f, size_t cap)
{
	char tmp[400]; /* the largest field: duid */

	if (!pxh_log_needs_escape(f))
		return;
	pxh_log_escape(tmp, sizeof(tmp) < cap ? sizeof(tmp) : cap, f);
	pxh_strcpy(f, cap, tmp);
}

/* Every text field of an event (its client's: PXH_CLIENT_TEXTS). */
#define EVENT_TEXTS(X) X(action) X(file) X(plugin) X(message)

/* EV's texts with their control characters escaped into OUT (and its
 * client's into OUT_CLIENT): the same edge as the log line, for the
 * history, the event hooks (syslog, StifleR) and plugins.  False (OUT
 * untouched) when nothing needs it: the common case costs a scan, not a
 * copy. */
static bool event_escape(const pxh_event *ev, pxh_event *out,
                         pxh_client *out_client)
{
	bool any = false;

#define CHECK(f) any = any || pxh_log_needs_escape(ev->f);
	EVENT_TEXTS(CHECK)
#undef CHECK
#define CHECK(f) any = any || pxh_log_needs_escape(ev->client->f);
	PXH_CLIENT_TEXTS(CHECK)
#undef CHECK
	if (!any)
		return false;
	*out = *ev;
	*out_client = *ev->client;
	out->client = out_client;
#define ESC(f) escape_field(out->f, sizeof(out->f));
	EVENT_TEXTS(ESC)
#undef ESC
#define ESC(f) escape_field(out_client->f, sizeof(out_client->f));
	PXH_CLIENT_TEXTS(ESC)
#undef ESC
	return true;
}

/* The event is not copied on the way (it is over a kilobyte, and several
 * come per packet): only the queue for event hooks keeps a copy. */
static void emit(struct pxh_server *s, const pxh_event *ev, bool bind)
{
	struct pxh_events *q = s->events;
	const char *mac;
	char found[18];
	pxh_event esc, tmp;
	pxh_client esc_client;

	if (!ev->client) { /* the core's own events always have one */
		tmp = *ev;
		tmp.client = &pxh_no_client;
		ev = &tmp;
	}
	/* rare (a hostile client): only then is the event copied */
	if (event_escape(ev, &esc, &esc_client))
		ev = &esc;
	mac = ev->client->mac;

	/* an event that names only the client's address gets its MAC */
	if (!mac[0] && ev->client->ip[0] &&
	    pxh_clients_mac_for_ip(s, ev->client->ip, found))
		mac = found;
	pxh_clients_record(s, ev, mac, bind);
	if (q && ev->kind > 0 && ev->kind < PXH_EV__MAX)
		(*q->by_kind[ev->kind])++;
	if ((ev->severity ? ev->severity : PXH_LOG_INFO) <= pxh_log_level())
		log_event(ev, mac);
	if (s->proto.publish)
		s->proto.publish(s, ev, mac);
	if (!q || !pxh_hooks(s, PXH_HOOK_EVENT))
		return;
	if (q->count == q->cap) {
		(*q->dropped)++;
		return;
	}
	struct ev_slot *slot = &q->ring[(q->head + q->count) % q->cap];
	slot->ev = *ev;
	slot->ev.struct_size = sizeof(slot->ev);
	slot->client = *ev->client;
	slot->client.struct_size = sizeof(slot->client);
	slot->client.raw = NULL; /* the packet does not outlive the call */
	slot->client.raw_len = 0;
	slot->ev.client = NULL; /* set to the slot's copy on delivery */
	if (mac != ev->client->mac)
		memcpy(slot->client.mac, mac, sizeof(slot->client.mac));
	q->count++;
	if (!ev_is_active(&q->drain))
		ev_prepare_start(s->loop, &q->drain);
}

void pxh_emit(struct pxh_server *s, const pxh_event *ev)
{
	emit(s, ev, true);
}

void pxh_emit_unbound(struct pxh_server *s, const pxh_event *ev)
{
	emit(s, ev, false);
}

int pxh_events_start(struct pxh_server *s)
{
	struct pxh_events *q = calloc(1, sizeof(*q));
	long long cap = pxh_log_conf(s->conf)->event_queue;

	if (!q)
		return -ENOMEM;
	q->cap = cap > 0 ? (size_t)cap : 4096;
	q->ring = calloc(q->cap, sizeof(*q->ring));
	if (!q->ring) {
		free(q);
		return -ENOMEM;
	}
	ev_prepare_init(&q->drain, drain_cb);
	q->drain.data = s;
	q->dropped = pxh_counter(s, "pxehub_events_dropped_total",
	                         "events the logging hooks never saw: queue full");
	q->delivered = pxh_counter(s, "pxehub_events_delivered_total",
	                           "events handed to logging hooks");
	for (int k = 1; k < PXH_EV__MAX; k++) {
		char name[96];
		snprintf(name, sizeof(name), "pxehub_events_total{kind=\"%s\"}",
		         pxh_event_kind_name((enum pxh_event_kind)k));
		q->by_kind[k] = pxh_counter(s, name, "events by kind");
	}
	s->events = q;
	return 0;
}

void pxh_events_flush(struct pxh_server *s)
{
	if (s->events)
		deliver_some(s, (size_t)-1);
}

void pxh_events_stop(struct pxh_server *s)
{
	struct pxh_events *q = s->events;

	if (!q)
		return;
	deliver_some(s, (size_t)-1);
	ev_prepare_stop(s->loop, &q->drain);
	free(q->ring);
	free(q);
	s->events = NULL;
}
