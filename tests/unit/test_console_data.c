/* The console's data in the core: a machine's story (bounded ring, boots
 * split at a quiet spell, decision, phases, downloads), the machines
 * booting now (stuck, done, the window) and the series ring's bounds. */
#include "core_fixture.h"
#include "clients.h"
#include "conf.h"
#include "counters.h"
#include "events.h"
#include "series.h"
#include "server.h"
#include "str.h"

#include <jansson.h>
#include <sys/time.h>

struct fx {
	struct pxh_server srv;
	struct pxh_conf_errors errs;
};

static void fx_start(struct fx *f)
{
	struct pxh_conf *conf;

	memset(f, 0, sizeof(*f));
	conf = pxh_conf_load(NULL, "[server]\nuser =\n[log]\nlevel = err\nrecent_clients = 4\n"
	                           "[access]\nallow = all\n", &f->errs);
	assert_non_null(conf);
	assert_int_equal(f->errs.n, 0);
	ev_now_update(ev_default_loop(0));
	assert_int_equal(pxh_server_init(&f->srv, ev_default_loop(0), conf), 0);
}

static void fx_stop(struct fx *f)
{
	pxh_server_free(&f->srv);
	pxh_conf_errors_free(&f->errs);
}

static uint64_t now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* An event of MAC at T (µs since the epoch). */
static void emit_at(struct fx *f, const char *mac, enum pxh_event_kind k,
                    const char *action, const char *file, uint64_t t)
{
	pxh_event ev;
	pxh_client c;

	memset(&c, 0, sizeof(c));
	c.struct_size = sizeof(c);
	pxh_strcpy(c.mac, sizeof(c.mac), mac);
	pxh_event_init(&ev, k, PXH_LOG_INFO, &c);
	ev.time_us = t;
	pxh_strcpy(ev.action, sizeof(ev.action), action);
	pxh_strcpy(ev.file, sizeof(ev.file), file);
	if (k == PXH_EV_DECISION) {
		pxh_strcpy(ev.plugin, sizeof(ev.plugin), "tp_fixed");
		pxh_strcpy(ev.message, sizeof(ev.message), "dhcp phase: boot by tp_fixed: rule 3");
	}
	if (k == PXH_EV_TFTP_END || k == PXH_EV_DOWNLOAD_END) {
		ev.bytes = 1000;
		ev.duration_us = 500000;
	}
	pxh_emit(&f->srv, &ev);
}

static json_t *parse(char *txt)
{
	json_t *j;

	assert_non_null(txt);
	j = json_loads(txt, 0, NULL);
	free(txt);
	assert_non_null(j);
	return j;
}

static void test_story_bounded_and_split(void **st)
{
	struct fx f;
	const char *mac = "52:54:00:aa:00:01";
	uint64_t t = now_us() - 3600 * 1000000ull;
	json_t *j, *boots, *b;
	size_t total = 0, i;

	fx_start(&f);
	/* an old boot of 80 events: only the last 64 events are kept */
	emit_at(&f, mac, PXH_EV_DHCP_REQUEST, "discover", "", t);
	for (int k = 0; k < 79; k++)
		emit_at(&f, mac, PXH_EV_TFTP_START, "start", "old.efi", t += 1000);
	/* ten minutes later, a whole boot */
	t += 600 * 1000000ull;
	emit_at(&f, mac, PXH_EV_DHCP_REQUEST, "discover", "", t);
	emit_at(&f, mac, PXH_EV_DECISION, "boot", "", t += 1000);
	emit_at(&f, mac, PXH_EV_DHCP_DECISION, "boot", "ipxe.efi", t += 1000);
	emit_at(&f, mac, PXH_EV_TFTP_START, "start", "ipxe.efi", t += 100000);
	emit_at(&f, mac, PXH_EV_TFTP_END, "end", "ipxe.efi", t += 500000);
	emit_at(&f, mac, PXH_EV_SCRIPT_SERVED, "boot", "/boot.ipxe", t += 2000000);
	emit_at(&f, mac, PXH_EV_DOWNLOAD_START, "start", "/files/a.wim", t += 1000);
	emit_at(&f, mac, PXH_EV_DOWNLOAD_END, "end", "/files/a.wim", t += 500000);

	assert_null(pxh_client_story_json(&f.srv, "52:54:00:aa:00:99", false));
	j = parse(pxh_client_story_json(&f.srv, mac, false));
	boots = json_object_get(j, "boots");
	assert_int_equal(json_array_size(boots), 2);
	json_array_foreach(boots, i, b)
		total += json_array_size(json_object_get(b, "steps"));
	assert_int_equal(total, 64);
	b = json_array_get(boots, 1);
	assert_int_equal(json_array_size(json_object_get(b, "steps")), 8);
	assert_string_equal(json_string_value(json_object_get(json_object_get(b, "decision"), "plugin")),
	                    "tp_fixed");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(b, "decision"), "reason")),
	                       "rule 3"));
	assert_int_equal(json_array_size(json_object_get(b, "downloads")), 2);
	/* phases in order: dhcp (with its decision), loader, script, image */
	{
		const char *want[] = {"dhcp", "loader", "script", "image"};
		json_t *ph = json_object_get(b, "phases");

		assert_int_equal(json_array_size(ph), 4);
		for (i = 0; i < 4; i++)
			assert_string_equal(json_string_value(json_object_get(json_array_get(ph, i), "phase")),
			                    want[i]);
		/* the loader phase lasts until the script was asked for */
		{
			double d = json_number_value(json_object_get(json_array_get(ph, 1), "ms")) - 2500.0;

			assert_true(d > -1 && d < 1);
		}
	}
	json_decref(j);
	fx_stop(&f);
}

/* The row of MAC in /api/v1/now, or NULL. */
static json_t *now_row(json_t *now, const char *mac)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(now, "machines"), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "mac")), mac))
			return m;
	return NULL;
}

static void test_now_stuck_done_window(void **st)
{
	struct fx f;
	uint64_t t = now_us();
	json_t *j, *r;

	fx_start(&f);
	/* quiet for 40 s after its loader: stuck */
	emit_at(&f, "52:54:00:bb:00:01", PXH_EV_TFTP_END, "end", "ipxe.efi", t - 40 * 1000000ull);
	/* its image came 40 s ago: booted, not stuck */
	emit_at(&f, "52:54:00:bb:00:02", PXH_EV_DOWNLOAD_END, "end", "/files/x", t - 40 * 1000000ull);
	/* just asked: not stuck yet */
	emit_at(&f, "52:54:00:bb:00:03", PXH_EV_DHCP_REQUEST, "discover", "", t);
	/* last seen 10 minutes ago: no longer booting now */
	emit_at(&f, "52:54:00:bb:00:04", PXH_EV_DHCP_REQUEST, "discover", "", t - 600 * 1000000ull);
	j = parse(pxh_now_json(&f.srv, false, 30));
	r = now_row(j, "52:54:00:bb:00:01");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "stuck")));
	assert_string_equal(json_string_value(json_object_get(r, "phase")), "loader");
	r = now_row(j, "52:54:00:bb:00:02");
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "stuck")));
	assert_true(json_is_true(json_object_get(r, "done")));
	assert_string_equal(json_string_value(json_object_get(r, "phase")), "booted");
	r = now_row(j, "52:54:00:bb:00:03");
	assert_non_null(r);
	assert_true(json_is_false(json_object_get(r, "stuck")));
	assert_null(now_row(j, "52:54:00:bb:00:04"));
	json_decref(j);
	/* a longer stuck_after: nobody is stuck */
	j = parse(pxh_now_json(&f.srv, false, 60));
	assert_true(json_is_false(json_object_get(now_row(j, "52:54:00:bb:00:01"), "stuck")));
	json_decref(j);
	fx_stop(&f);
}

static void test_series_ring_bounded(void **st)
{
	struct fx f;
	json_t *j, *s, *v;
	const char *k;

	fx_start(&f);
	/* followed before the cap of 64 counters fills */
	(void)pxh_counter(&f.srv, "pxehub_dhcp_offers_total", "test");
	pxh_series_sample(&f.srv);
	for (int i = 0; i < 70; i++) {
		char name[64];

		snprintf(name, sizeof(name), "pxehub_events_total{kind=\"k%d\"}", i);
		(*pxh_counter(&f.srv, name, "test"))++;
	}
	(*pxh_counter(&f.srv, "pxehub_not_followed_total", "test"))++;
	for (int i = 0; i < 400; i++) {
		(*pxh_counter(&f.srv, "pxehub_dhcp_offers_total", "test")) += 2;
		pxh_series_sample(&f.srv);
	}
	j = parse(pxh_series_json(&f.srv));
	assert_int_equal(json_array_size(json_object_get(j, "times")), 360);
	s = json_object_get(j, "series");
	assert_true(json_object_size(s) <= 64);
	assert_null(json_object_get(s, "pxehub_not_followed_total"));
	json_object_foreach(s, k, v)
		assert_int_equal(json_array_size(v), 360);
	/* the newest sample is the counter's value now, the oldest 359 back */
	v = json_object_get(s, "pxehub_dhcp_offers_total");
	assert_non_null(v);
	assert_int_equal(json_integer_value(json_array_get(v, 359)), 800);
	assert_int_equal(json_integer_value(json_array_get(v, 0)), 800 - 359 * 2);
	json_decref(j);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_story_bounded_and_split),
		cmocka_unit_test(test_now_stuck_done_window),
		cmocka_unit_test(test_series_ring_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
