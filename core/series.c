/* The last hour of the main counters, sampled on a timer and kept in a
 * fixed ring, for the console's charts (/api/v1/series). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "counters.h"
#include "series.h"
#include "server.h"

#define SERIES_LEN 360 /* samples: an hour at the default 10 s */
#define SERIES_MAX 64  /* counters followed; more are left out */

/* Counter families worth a chart: traffic, decisions, errors. */
static const char *const families[] = {
	"pxehub_dhcp_requests_total", "pxehub_dhcp_offers_total",
	"pxehub_dhcp_acks_total", "pxehub_dhcp_decisions_total",
	"pxehub_decisions_total", "pxehub_decision_timeouts_total",
	"pxehub_tftp_bytes_total", "pxehub_tftp_retransmits_total",
	"pxehub_http_sent_bytes_total", "pxehub_http_downloads_total",
	"pxehub_http_scripts_total", "pxehub_http_rejected_total",
	"pxehub_events_total", "pxehub_events_dropped_total",
	"pxehub_event_stream_dropped_total",
};

struct pxh_series {
	ev_timer timer;
	double interval;
	size_t n;                      /* counters followed */
	char *names[SERIES_MAX];
	uint64_t vals[SERIES_MAX][SERIES_LEN];
	time_t times[SERIES_LEN];
	size_t head, count;            /* ring over both */
	size_t slot;                   /* index being written */
};

static bool wanted(const char *name)
{
	size_t fl = strcspn(name, "{");

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strlen(families[i]) == fl && !strncmp(families[i], name, fl))
			return true;
	return false;
}

static void take(void *ud, const char *name, uint64_t v)
{
	struct pxh_series *r = ud;
	size_t i;

	if (!wanted(name))
		return;
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->names[i], name))
			break;
	if (i == r->n) {
		if (r->n == SERIES_MAX || !(r->names[i] = strdup(name)))
			return;
		r->n++;
		/* a counter born now was zero before */
		memset(r->vals[i], 0, sizeof(r->vals[i]));
	}
	r->vals[i][r->slot] = v;
}

void pxh_series_sample(struct pxh_server *s)
{
	struct pxh_series *r = s->series;

	if (!r)
		return;
	r->slot = (r->head + r->count) % SERIES_LEN;
	if (r->count == SERIES_LEN)
		r->head = (r->head + 1) % SERIES_LEN;
	else
		r->count++;
	r->times[r->slot] = time(NULL);
	pxh_counters_each(s, take, r);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	pxh_series_sample(w->data);
}

int pxh_series_start(struct pxh_server *s)
{
	struct pxh_series *r = calloc(1, sizeof(*r));
	long long secs = pxh_log_conf(s->conf)->series_interval;

	if (!r)
		return -ENOMEM;
	r->interval = secs > 0 ? (double)secs : 10.0;
	s->series = r;
	pxh_series_sample(s);
	ev_timer_init(&r->timer, on_tick, r->interval, r->interval);
	r->timer.data = s;
	ev_timer_start(s->loop, &r->timer);
	return 0;
}

void pxh_series_stop(struct pxh_server *s)
{
	struct pxh_series *r = s->series;

	if (!r)
		return;
	ev_timer_stop(s->loop, &r->timer);
	for (size_t i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r);
	s->series = NULL;
}

/* Cumulative values, oldest first; the charts take differences. */
char *pxh_series_json(struct pxh_server *s)
{
	struct pxh_series *r = s->series;
	json_t *o = json_object(), *times = json_array(), *all = json_object();
	char *txt;

	for (size_t k = 0; r && k < r->count; k++)
		json_array_append_new(times, json_integer(
			(json_int_t)r->times[(r->head + k) % SERIES_LEN]));
	for (size_t i = 0; r && i < r->n; i++) {
		json_t *a = json_array();

		for (size_t k = 0; k < r->count; k++)
			json_array_append_new(a, json_integer(
				(json_int_t)r->vals[i][(r->head + k) % SERIES_LEN]));
		json_object_set_new(all, r->names[i], a);
	}
	json_object_set_new(o, "interval", json_real(r ? r->interval : 0));
	json_object_set_new(o, "capacity", json_integer(SERIES_LEN));
	json_object_set_new(o, "times", times);
	json_object_set_new(o, "series", all);
	json_object_set_new(o, "now", json_integer((json_int_t)time(NULL)));
	txt = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return txt;
}

void pxh_series_reload(struct pxh_server *s)
{
	struct pxh_series *r = s->series;
	long long secs = pxh_log_conf(s->conf)->series_interval;

	if (!r || secs <= 0 || (double)secs == r->interval)
		return;
	r->interval = (double)secs;
	ev_timer_stop(s->loop, &r->timer);
	ev_timer_set(&r->timer, r->interval, r->interval);
	ev_timer_start(s->loop, &r->timer);
}
