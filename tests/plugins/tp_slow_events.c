/*
 * Test plugin: a slow logging back end.  Its event hook (every kind) sleeps
 * [tp_slow_events] sleep_time (default 20ms) per event and counts what it
 * saw; its report hook exports that as counter "events_seen"
 * (pxehub_plugin_tp_slow_events_events_seen).  A burst of events larger than
 * the core's event queue must then be dropped and counted (events_dropped),
 * never make the emitting hot path wait: the emitter returns at once while
 * this hook is slow.
 *
 *   [tp_slow_events]
 *   enabled = yes
 *   sleep_time = 50ms
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "tp.h"

struct se {
	pxh_host *h;
	long long sleep_ms;
	uint64_t seen;
};

static void se_event(void *ud, const pxh_event *ev)
{
	struct se *se = ud;
	struct timespec ts = {
		.tv_sec = se->sleep_ms / 1000,
		.tv_nsec = (se->sleep_ms % 1000) * 1000000L,
	};

	se->seen++;
	nanosleep(&ts, NULL);
}

static void se_report(void *ud, pxh_report *r)
{
	struct se *se = ud;

	pxh_report_counter(r, "events_seen", se->seen);
}

static int se_init(pxh_host *h, void **state)
{
	struct se *se = calloc(1, sizeof(*se));
	int rc;

	if (!se)
		return -ENOMEM;
	se->h = h;
	se->sleep_ms = pxh_conf_int(h, NULL, "sleep_time");
	rc = pxh_register_event(h, PXH_EV_ALL, se_event, se, NULL);
	if (rc == 0)
		rc = pxh_register_report(h, se_report, se, NULL);
	if (rc < 0) {
		free(se);
		return rc;
	}
	*state = se;
	return 0;
}

static void se_fini(void *state)
{
	free(state);
}

static const pxh_conf_key se_keys[] = {
	{.name = "sleep_time", .type = PXH_CONF_DURATION, .def = "20ms",
	 .max = 10000, .help = "time spent in the hook per event", PXH_CONF_UNBOUND},
	{.name = NULL, PXH_CONF_UNBOUND},
};

TP_DESCRIPTOR = {
	TP_VALID_HEAD,
	.name = "tp_slow_events",
	.version = "1",
	.keys = se_keys,
	.init = se_init,
	.fini = se_fini,
};
