/* Plugin loader, decision chain deadlines, unloading with pending work,
 * event queue overflow: driven by the plugins in tests/plugins. */
#include <errno.h>
#include <unistd.h>

#include "plugin_fixture.h"

static void expect_load_error(const char *name, const char *conf, const char *needle)
{
	struct fx f;
	const char *pc[] = {name, conf, NULL};

	assert_int_not_equal(fx_start(&f, NULL, pc), 0);
	if (!fx_has_error(&f.errs, needle)) {
		fprintf(stderr, "plugin %s: wanted \"%s\", got:\n", name, needle);
		fx_print_errors(&f.errs);
		fail();
	}
	assert_null(f.srv.plugins);
	fx_stop(&f);
}

static void test_loader_refuses_broken_plugins(void **st)
{
	expect_load_error("tp_abi_major", "[tp_abi_major]\nenabled = yes\n",
	                  "rebuild the plugin against this pxehub SDK");
	expect_load_error("tp_abi_minor", "[tp_abi_minor]\nenabled = yes\n",
	                  "upgrade pxehub");
	expect_load_error("tp_short_struct", "[tp_short_struct]\nenabled = yes\n",
	                  "descriptor is");
	expect_load_error("tp_internal_sym", "[tp_internal_sym]\nenabled = yes\n",
	                  "plugin tp_internal_sym: undefined symbol pxh_dhcp_arch_normalise (not part of the plugin SDK");
	expect_load_error("tp_prefreeze", "[tp_prefreeze]\nenabled = yes\n",
	                  "was built against a pre-release SDK (draft ABI 1.1, before ABI 1.0 was frozen");
	expect_load_error("tp_no_descriptor", "[tp_no_descriptor]\nenabled = yes\n",
	                  "no symbol pxh_plugin_descriptor: not a pxehub plugin");
	expect_load_error("tp_name_mismatch", "[tp_name_mismatch]\nenabled = yes\n",
	                  "its descriptor says 'some_other_name'");
	expect_load_error("tp_init_fails", "[tp_init_fails]\nenabled = yes\n",
	                  "plugin tp_init_fails: init failed: back end db.example:1433 unreachable (Host is down)");
	expect_load_error("nosuchplugin", "[nosuchplugin]\nenabled = yes\n",
	                  "nosuchplugin.so does not exist");
	/* Key tables are checked before init. */
	expect_load_error("tp_fixed", "[tp_fixed]\nenabled = yes\nverdict = maybe\n",
	                  "tp_fixed.conf:3: [tp_fixed] verdict: 'maybe' is not one of");
	expect_load_error("tp_fixed", "[tp_fixed]\nenabled = yes\ncolour = 1\n",
	                  "unknown key 'colour' in [tp_fixed]");
}

static void test_chain_priority_and_answer(void **st)
{
	struct fx f;
	const char *pc[] = {
		"tp_fixed", "[tp_fixed]\nenabled = yes\npriority = 10\nloader = first.efi\nmac_prefix = 52:54:00\n",
		NULL};
	struct result r = {0};
	pxh_client c = client("52:54:00:12:34:56");

	assert_int_equal(fx_start(&f, NULL, pc), 0);
	assert_int_equal(pxh_decide(&f.srv, PXH_PHASE_DHCP, &c, on_done, &r, NULL), 0);
	assert_true(r.done); /* synchronous plugin: answered at once */
	assert_int_equal(r.v, PXH_BOOT);
	assert_string_equal(r.plugin, "tp_fixed");
	assert_string_equal(r.loader, "first.efi");

	/* Another MAC: the plugin says next, the default (menu) applies. */
	memset(&r, 0, sizeof(r));
	c = client("00:11:22:33:44:55");
	assert_int_equal(pxh_decide(&f.srv, PXH_PHASE_DHCP, &c, on_done, &r, NULL), 0);
	assert_true(r.done);
	assert_int_equal(r.v, PXH_BOOT);
	assert_string_equal(r.plugin, "default");
	assert_non_null(strstr(r.why, "default_action=menu"));
	fx_stop(&f);
}

static void test_default_action_local_and_ignore(void **st)
{
	struct fx f;
	struct result r = {0};
	pxh_client c = client("00:11:22:33:44:55");

	assert_int_equal(fx_start(&f, "[boot]\ndefault_action = ignore\n", NULL), 0);
	pxh_decide(&f.srv, PXH_PHASE_DHCP, &c, on_done, &r, NULL);
	assert_int_equal(r.v, PXH_IGNORE);
	fx_stop(&f);
	memset(&r, 0, sizeof(r));
	assert_int_equal(fx_start(&f, "[boot]\ndefault_action = local\n", NULL), 0);
	pxh_decide(&f.srv, PXH_PHASE_IPXE, &c, on_done, &r, NULL);
	assert_int_equal(r.v, PXH_LOCAL);
	fx_stop(&f);
}

static void test_slow_answer_hits_deadline(void **st)
{
	struct fx f;
	const char *pc[] = {"tp_slow_answer", "[tp_slow_answer]\nenabled = yes\ndelay = 500ms\n", NULL};
	struct result r = {0};
	pxh_client c = client("52:54:00:00:00:01");
	double t0;
	struct pxh_decision *h = NULL;
	bool never = false;

	assert_int_equal(fx_start(&f, "[boot]\ndecision_timeout = 200ms\n", pc), 0);
	t0 = ev_time();
	assert_int_equal(pxh_decide(&f.srv, PXH_PHASE_DHCP, &c, on_done, &r, &h), 0);
	assert_false(r.done);
	assert_non_null(h);
	fx_run_until(f.srv.loop, &r.done, 3.0);
	assert_true(r.done);
	assert_string_equal(r.plugin, "default");
	assert_non_null(strstr(r.why, "plugin tp_slow_answer did not answer within 200 ms"));
	assert_true(r.at - t0 >= 0.19 && r.at - t0 < 0.45);
	assert_null(h);
	assert_int_equal(*pxh_counter(&f.srv, "pxehub_decision_timeouts_total", ""), 1);
	/* The late answer arrives at ~500 ms and is dropped; then the plugin
	 * has nothing pending and may be unloaded (its fini aborts if not). */
	fx_run_until(f.srv.loop, &never, 0.6);
	fx_stop(&f);
}

static void test_slow_answer_within_deadline(void **st)
{
	struct fx f;
	const char *pc[] = {"tp_slow_answer",
	                    "[tp_slow_answer]\nenabled = yes\ndelay = 50ms\nverdict = local\n", NULL};
	struct result r = {0};
	pxh_client c = client("52:54:00:00:00:02");

	assert_int_equal(fx_start(&f, "[boot]\ndecision_timeout = 1s\n", pc), 0);
	pxh_decide(&f.srv, PXH_PHASE_DHCP, &c, on_done, &r, NULL);
	fx_run_until(f.srv.loop, &r.done, 3.0);
	assert_true(r.done);
	assert_int_equal(r.v, PXH_LOCAL);
	assert_string_equal(r.plugin, "tp_slow_answer");
	fx_stop(&f);
}

static void test_cancelled_decision_drops_late_answer(void **st)
{
	struct fx f;
	const char *pc[] = {"tp_slow_answer", "[tp_slow_answer]\nenabled = yes\ndelay = 100ms\n", NULL};
	struct result r = {0};
	pxh_client c = client("52:54:00:00:00:03");
	struct pxh_decision *h = NULL;
	bool never = false;

	assert_int_equal(fx_start(&f, NULL, pc), 0);
	pxh_decide(&f.srv, PXH_PHASE_IPXE, &c, on_done, &r, &h);
	pxh_decide_cancel(h); /* e.g. the HTTP client went away */
	fx_run_until(f.srv.loop, &never, 0.3);
	assert_false(r.done);
	fx_stop(&f);
}

/* Retire (as a reload does) a set whose plugin has work on the pool: fini
 * must wait for the work (tp_pending_work's fini aborts otherwise). */
static void test_unload_waits_for_pending_work(void **st)
{
	struct fx f;
	const char *pc[] = {"tp_pending_work",
	                    "[tp_pending_work]\nenabled = yes\nwork_time = 300ms\nwork_at_init = yes\n", NULL};
	struct result r = {0};
	pxh_client c = client("52:54:00:00:00:04");
	struct pxh_plugins *old;
	bool never = false;

	assert_int_equal(fx_start(&f, "[boot]\ndecision_timeout = 2s\n", pc), 0);
	pxh_decide(&f.srv, PXH_PHASE_DHCP, &c, on_done, &r, NULL);
	assert_true(pxh_pool_pending(&f.srv) >= 2);
	old = f.srv.plugins;
	f.srv.plugins = NULL; /* the reload's swap */
	pxh_plugins_unload(old);
	fx_run_until(f.srv.loop, &r.done, 3.0);
	assert_true(r.done);
	assert_int_equal(r.v, PXH_BOOT);
	assert_string_equal(r.loader, "work.efi");
	for (int i = 0; i < 300 && pxh_pool_pending(&f.srv); i++)
		fx_run_until(f.srv.loop, &never, 0.01);
	assert_int_equal(pxh_pool_pending(&f.srv), 0);
	fx_stop(&f);
}

static void test_event_queue_overflow_never_blocks(void **st)
{
	struct fx f;
	const char *pc[] = {"tp_slow_events", "[tp_slow_events]\nenabled = yes\nsleep_time = 20ms\n", NULL};
	pxh_client c = client("52:54:00:00:00:05");
	pxh_event ev;
	double t0, spent;
	char *status;

	assert_int_equal(fx_start(&f, "[log]\nevent_queue = 16\nlevel = err\n", pc), 0);
	t0 = ev_time();
	for (int i = 0; i < 200; i++) {
		pxh_event_init(&ev, PXH_EV_TFTP_START, PXH_LOG_DEBUG, &c);
		pxh_emit(&f.srv, &ev);
	}
	spent = ev_time() - t0;
	/* 200 events through a 20 ms hook would take 4 s if emit waited. */
	assert_true(spent < 0.2);
	assert_int_equal(*pxh_counter(&f.srv, "pxehub_events_dropped_total", ""), 200 - 16);
	pxh_events_flush(&f.srv);
	assert_int_equal(*pxh_counter(&f.srv, "pxehub_events_delivered_total", ""), 16);
	status = pxh_status_json(&f.srv, false);
	assert_non_null(strstr(status, "\"events_seen\": 16"));
	free(status);
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loader_refuses_broken_plugins),
		cmocka_unit_test(test_chain_priority_and_answer),
		cmocka_unit_test(test_default_action_local_and_ignore),
		cmocka_unit_test(test_slow_answer_hits_deadline),
		cmocka_unit_test(test_slow_answer_within_deadline),
		cmocka_unit_test(test_cancelled_decision_drops_late_answer),
		cmocka_unit_test(test_unload_waits_for_pending_work),
		cmocka_unit_test(test_event_queue_overflow_never_blocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
