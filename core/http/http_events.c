/* GET /api/v1/events: the live event stream (Server-Sent Events), one JSON
 * object per event with the log's fields, per subscriber filters and a
 * bounded queue that drops and counts instead of holding the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "http.h"
#include "counters.h"
#include "events.h"
#include "http_module.h"
#include "server.h"

/* Queued bytes one subscriber may hold; past it events are dropped (and
 * counted, and the subscriber told).  A subscriber that takes nothing for
 * send_timeout is cut off by the connection. */
#define STREAM_BUF (256u << 10)
#define HEARTBEAT 15.0 /* seconds between comments on a quiet stream */
#define TICK 1.0       /* the stream's timer: ticks, drop notices */
/* Less room than this left in a queue: full, without formatting the event
 * to find out (a slow subscriber then costs a comparison per event). */
#define ROOM_MIN 1024
#define EV_TEXT 8192 /* one event as SSE text: every text byte escaped fits */

struct sub {
	struct sub *prev, *next;
	struct pxh_http_streams *st;
	struct pxh_http_conn *conn;
	char mac[18]; /* filter, "" = all */
	uint32_t kinds; /* mask of PXH_EV_MASK */
	bool authenticated; /* by token or certificate when it subscribed */
	bool hide_facts;
	bool dirty; /* bytes added since the last flush */
	uint64_t dropped, told; /* events dropped; how many the client knows of */
	double added; /* when bytes were last queued (ticks) */
};

struct pxh_http_streams {
	struct pxh_http *h;
	struct sub *subs;
	size_t n;
	uint64_t seq;
	ev_prepare flush;  /* sends once per loop turn, however many events */
	ev_timer tick; /* each TICK: drop notices, heartbeats */
	uint64_t *opened, *refused, *dropped;
};

static void sub_gone(void *ud)
{
	struct sub *b = ud;
	struct pxh_http_streams *st = b->st;

	if (b->prev)
		b->prev->next = b->next;
	else
		st->subs = b->next;
	if (b->next)
		b->next->prev = b->prev;
	st->n--;
	if (!st->n) {
		ev_prepare_stop(st->h->srv->loop, &st->flush);
		ev_timer_stop(st->h->srv->loop, &st->tick);
	}
	free(b);
}

static void on_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct pxh_http_streams *st = w->data;
	struct sub *b, *next;

	for (b = st->subs; b; b = next) {
		next = b->next; /* a flush may close B (and free it) */
		if (b->dirty) {
			b->dirty = false;
			pxh_http_conn_stream_flush(b->conn);
		}
	}
	ev_prepare_stop(loop, w);
}

/* Queue TEXT for B when it fits; false when B's queue is full. */
static bool sub_add(struct sub *b, const char *text, size_t n)
{
	struct pxh_http_streams *st = b->st;

	if (pxh_http_conn_queued(b->conn) + n > STREAM_BUF ||
	    pxh_http_conn_stream_add(b->conn, text, n) < 0)
		return false;
	b->dirty = true;
	b->added = ev_now(st->h->srv->loop);
	if (!ev_is_active(&st->flush))
		ev_prepare_start(st->h->srv->loop, &st->flush);
	return true;
}

/* Tell B how many events it lost, once there is room again. */
static void tell_dropped(struct sub *b, size_t room_for)
{
	char note[128];
	int n;

	if (b->dropped == b->told ||
	    pxh_http_conn_queued(b->conn) + ROOM_MIN + room_for > STREAM_BUF)
		return;
	n = snprintf(note, sizeof(note), "event: dropped\ndata: {\"dropped\":%llu}\n\n",
	             (unsigned long long)b->dropped);
	if (n > 0 && pxh_http_conn_queued(b->conn) + (size_t)n + room_for <= STREAM_BUF &&
	    sub_add(b, note, (size_t)n))
		b->told = b->dropped;
}

/* Each second: drop notices for subscribers whose queue has room again
 * (no further event may come to carry them), and a comment on streams
 * quiet for HEARTBEAT seconds (proxies close silent connections). */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_http_streams *st = w->data;
	static const char ping[] = ": keep-alive\n\n";
	double now = ev_now(loop);

	for (struct sub *b = st->subs; b; b = b->next) {
		tell_dropped(b, 0);
		if (now - b->added >= HEARTBEAT && !pxh_http_conn_queued(b->conn))
			sub_add(b, ping, sizeof(ping) - 1);
	}
}

static struct pxh_http_streams *streams(struct pxh_http *h)
{
	struct pxh_http_streams *st = h->streams;

	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->h = h;
	ev_prepare_init(&st->flush, on_flush);
	st->flush.data = st;
	ev_timer_init(&st->tick, on_tick, TICK, TICK);
	st->tick.data = st;
	st->opened = pxh_counter(h->srv, "pxehub_event_streams_total",
	                         "event stream subscriptions (GET /api/v1/events)");
	st->refused = pxh_counter(h->srv, "pxehub_http_rejected_total{reason=\"max_event_streams\"}",
	                          "connections refused by reason");
	st->dropped = pxh_counter(h->srv, "pxehub_event_stream_dropped_total",
	                          "events a slow stream subscriber did not get (its queue was full)");
	h->streams = st;
	return st;
}

void pxh_http_events_free(struct pxh_http *h)
{
	struct pxh_http_streams *st = h->streams;

	if (!st)
		return;
	/* the connections are closed first, which unsubscribed them */
	ev_prepare_stop(h->srv->loop, &st->flush);
	ev_timer_stop(h->srv->loop, &st->tick);
	free(st);
	h->streams = NULL;
}

void pxh_http_events_reload(struct pxh_http *h)
{
	struct pxh_http_streams *st = h->streams;
	struct sub *b, *next;

	for (b = st ? st->subs : NULL; b; b = next) {
		next = b->next; /* ending B frees it */
		if (!h->set.max_streams || pxh_http_needs_auth(&h->set, b->authenticated))
			pxh_http_conn_stream_end(b->conn);
		else
			b->hide_facts = pxh_http_hide_facts(&h->set, b->authenticated);
	}
}

static double gauge_streams(struct pxh_server *s, void *ud)
{
	return s->http && s->http->streams ? (double)s->http->streams->n : 0.;
}

/* ---- one event as a JSON object ----------------------------------------- */
struct out {
	char *p;
	size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n >= o->cap)
		n = o->len < o->cap - 1 ? o->cap - 1 - o->len : 0;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A JSON string of client-filled bytes: quotes, backslashes and controls
 * escaped; bytes past ASCII as \u00XX, so the text is valid whatever came
 * in (no UTF-8 checks needed in the browser, no way out of the string). */
static void put_jstr(struct out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char e[7];

		if (ch == '"' || ch == '\\') {
			e[0] = '\\';
			e[1] = (char)ch;
			put(o, e, 2);
		} else if (ch < 0x20 || ch >= 0x7f || ch == '<' || ch == '>' || ch == '&') {
			/* < > & too: the text may end up inside HTML */
			memcpy(e, "\\u00", 4);
			e[4] = hex[ch >> 4];
			e[5] = hex[ch & 15];
			put(o, e, 6);
		} else {
			put(o, (const char *)&ch, 1);
		}
	}
	put(o, "\"", 1);
}

static void field(struct out *o, const char *key, const char *v)
{
	if (!v[0])
		return;
	put(o, ",\"", 2);
	puts_(o, key);
	put(o, "\":", 2);
	put_jstr(o, v);
}

static void num(struct out *o, const char *key, unsigned long long v)
{
	char b[48];

	if (!v)
		return;
	snprintf(b, sizeof(b), ",\"%s\":%llu", key, v);
	puts_(o, b);
}

static const char *level_name(int sev)
{
	static const char *const n[] = {"err", "warning", "notice", "info", "debug"};

	if (sev >= PXH_LOG_ERR && sev <= PXH_LOG_DEBUG)
		return n[sev - PXH_LOG_ERR];
	return "info";
}

size_t pxh_http_event_text(const pxh_event *ev, const char *mac, uint64_t seq,
                         bool hide, char *buf, size_t cap)
{
	struct out o = {buf, 0, cap};
	const pxh_client *c = ev->client;
	char b[96];

	buf[0] = '\0';
	snprintf(b, sizeof(b), "id: %llu\ndata: {\"seq\":%llu,\"time\":%llu.%06llu",
	         (unsigned long long)seq, (unsigned long long)seq,
	         (unsigned long long)(ev->time_us / 1000000u),
	         (unsigned long long)(ev->time_us % 1000000u));
	puts_(&o, b);
	field(&o, "event", pxh_event_kind_name(ev->kind));
	field(&o, "level", level_name(ev->severity));
	field(&o, "mac", mac);
	field(&o, "ip", c->ip);
	field(&o, "arch", c->arch_name);
	if (!hide)
		field(&o, "uuid", c->uuid);
	field(&o, "relay", c->relay);
	field(&o, "action", ev->action);
	field(&o, "plugin", ev->plugin);
	field(&o, "file", ev->file);
	num(&o, "bytes", ev->bytes);
	if (ev->duration_us) {
		snprintf(b, sizeof(b), ",\"duration_ms\":%.1f", (double)ev->duration_us / 1000.0);
		puts_(&o, b);
	}
	num(&o, "blksize", ev->blksize);
	num(&o, "windowsize", ev->windowsize);
	num(&o, "retransmits", ev->retransmits);
	field(&o, "msg", ev->message);
	puts_(&o, "}\n\n");
	return o.len;
}

void pxh_http_events_publish(struct pxh_server *s, const pxh_event *ev,
                             const char *mac)
{
	struct pxh_http_streams *st = s->http ? s->http->streams : NULL;
	char full[EV_TEXT], hidden[EV_TEXT];
	size_t full_len = 0, hidden_len = 0;
	uint64_t seq;

	if (!st || !st->n)
		return;
	seq = ++st->seq;
	for (struct sub *b = st->subs; b; b = b->next) {
		const char *text;
		size_t len;

		if (!(b->kinds & PXH_EV_MASK(ev->kind)) ||
		    (b->mac[0] && strcmp(b->mac, mac)))
			continue;
		if (pxh_http_conn_queued(b->conn) + ROOM_MIN > STREAM_BUF) {
			b->dropped++;
			(*st->dropped)++;
			continue;
		}
		/* made once per event, and only when someone wants it */
		if (b->hide_facts) {
			if (!hidden_len)
				hidden_len = pxh_http_event_text(ev, mac, seq, true, hidden, sizeof(hidden));
			text = hidden;
			len = hidden_len;
		} else {
			if (!full_len)
				full_len = pxh_http_event_text(ev, mac, seq, false, full, sizeof(full));
			text = full;
			len = full_len;
		}
		tell_dropped(b, len);
		if (b->dropped > b->told || !sub_add(b, text, len)) {
			b->dropped++;
			(*st->dropped)++;
		}
	}
}

/* ---- subscribing --------------------------------------------------------- */
/* "kind=a,b" into a mask; 0 when a name is unknown. */
static uint32_t kinds_of(const char *list)
{
	uint32_t m = 0;
	char name[32];

	while (*list) {
		size_t n = strcspn(list, ",");
		int k;

		if (n >= sizeof(name))
			return 0;
		memcpy(name, list, n);
		name[n] = '\0';
		for (k = 1; k < PXH_EV__MAX; k++)
			if (!strcmp(name, pxh_event_kind_name((enum pxh_event_kind)k)))
				break;
		if (k == PXH_EV__MAX)
			return 0;
		m |= PXH_EV_MASK(k);
		list += n;
		if (*list == ',')
			list++;
	}
	return m;
}

int pxh_http_handle_events(struct pxh_http_ctx *x, struct pxh_http_resp *rs)
{
	struct pxh_http *h = x->srv->http;
	const char *q = x->rq->query;
	struct pxh_http_streams *st;
	static const char hello[] = "retry: 3000\n: pxehub events\n\n";
	char mac[64], norm[18] = "", kind[512];
	struct sub *b;
	uint32_t kinds = PXH_EV_ALL;

	if (!h || !x->set->max_streams) {
		pxh_http_resp_error(rs, 404, "event stream off");
		return 0;
	}
	if (pxh_http_form_get(q, strlen(q), "mac", mac, sizeof(mac)) >= 0 &&
	    pxh_http_mac_normalise(mac, norm) < 0) {
		pxh_http_resp_error(rs, 400, "bad mac");
		return 0;
	}
	if (pxh_http_form_get(q, strlen(q), "kind", kind, sizeof(kind)) >= 0 &&
	    !(kinds = kinds_of(kind))) {
		pxh_http_resp_error(rs, 400, "unknown event kind");
		return 0;
	}
	st = streams(h);
	if (!st) {
		pxh_http_resp_error(rs, 503, NULL);
		return 0;
	}
	if (st->n >= x->set->max_streams) {
		(*st->refused)++;
		pxh_http_resp_error(rs, 503, "too many event streams");
		pxh_http_resp_header(rs, "Retry-After: 5\r\n");
		return 0;
	}
	if (x->rq->method == HTTP_HEAD) {
		pxh_http_resp_text(rs, 200, "text/event-stream", "", 0);
		return 0;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		pxh_http_resp_error(rs, 503, NULL);
		return 0;
	}
	if (!st->n) {
		pxh_gauge(x->srv, "pxehub_event_streams", "event stream subscribers now",
		          gauge_streams, NULL);
		ev_timer_again(x->srv->loop, &st->tick);
	}
	b->st = st;
	b->conn = x->conn;
	b->kinds = kinds;
	b->authenticated = x->authenticated;
	b->hide_facts = x->hide_facts;
	b->added = ev_now(x->srv->loop);
	memcpy(b->mac, norm, sizeof(b->mac));
	b->next = st->subs;
	if (st->subs)
		st->subs->prev = b;
	st->subs = b;
	st->n++;
	(*st->opened)++;
	/* the connection's close takes the subscriber with it */
	pxh_http_conn_set_pending(x->conn, b, sub_gone);
	pxh_http_resp_text(rs, 200, "text/event-stream", hello, sizeof(hello) - 1);
	rs->stream = true;
	pxh_http_resp_header(rs, "Cache-Control: no-store\r\n"
	                         "X-Content-Type-Options: nosniff\r\n"
	                         "X-Accel-Buffering: no\r\n");
	return 0;
}
