/* The event loop's turn lengths (core/loop_stats.c): a loop whose callbacks
 * take known times reports them in its quantiles, max and gauges. */
#include "core_fixture.h"
#include "counters.h"
#include "loop_stats.h"

#include <ev.h>
#include <jansson.h>
#include <pthread.h>
#include <time.h>

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void spin(double seconds)
{
	double until = mono() + seconds;

	while (mono() < until)
		;
}

struct ticker {
	ev_timer t;
	int left;
	double busy; /* seconds each callback holds the loop */
};

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ticker *k = w->data;

	(void)revents;
	spin(k->busy);
	if (--k->left <= 0)
		ev_timer_stop(loop, w);
}

/* N turns of about BUSY seconds each on LOOP. */
static void run_turns(struct ev_loop *loop, int n, double busy)
{
	struct ticker k = {.left = n, .busy = busy};

	ev_timer_init(&k.t, on_tick, 0.001, 0.001);
	k.t.data = &k;
	ev_timer_start(loop, &k.t);
	ev_run(loop, 0); /* ends when the ticker stops: the stats hold no ref */
}

static void test_turns_measured(void **state)
{
	struct pxh_server srv;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct pxh_loop_stats *st;
	json_t *o;
	double p50, p99, mx;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	assert_non_null(loop);
	st = pxh_loop_stats_start(&srv, loop, "t");
	assert_non_null(st);
	/* 40 short turns, then 4 long ones (6 ms; the last turn of a run
	 * ends the loop before it is counted): the median is short, the
	 * max and p99 are the long ones (a bucket's upper edge is at most
	 * 19 % above the value, never below) */
	run_turns(loop, 40, 0.0002);
	run_turns(loop, 4, 0.006);
	p50 = pxh_loop_stats_quantile(st, 0.5);
	p99 = pxh_loop_stats_quantile(st, 0.99);
	mx = pxh_loop_stats_max(st);
	assert_true(pxh_loop_stats_turns(st) >= 40);
	assert_true(mx >= 0.006);
	assert_true(p99 >= 0.006 * 0.99 && p99 <= mx);
	assert_true(p50 >= 0.0002 && p50 < 0.003);
	/* the figures are gauges: the status API's counters carry them */
	o = pxh_counters_json(&srv);
	assert_non_null(json_object_get(o, "pxehub_loop_turn_max_seconds{loop=\"t\"}"));
	assert_true(json_real_value(json_object_get(
		o, "pxehub_loop_turn_seconds{loop=\"t\",quantile=\"0.99\"}")) >= 0.006 * 0.99);
	json_decref(o);
	pxh_counters_free(&srv);
	pxh_loop_stats_stop(st);
	ev_loop_destroy(loop);
}

struct loop_thread {
	struct ev_loop *loop;
	int turns;
	int done; /* atomic: the loop has run its turns */
};

static void *loop_main(void *arg)
{
	struct loop_thread *lt = arg;

	run_turns(lt->loop, lt->turns, 0.00002);
	__atomic_store_n(&lt->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* A worker loop's figures are read by the main loop's /metrics while the
 * worker writes them: each read is whole and the figures only grow.  (A
 * -fsanitize=thread build of this test reports a data race if the figures
 * are not read and written atomically: see docs/HACKING.md.) */
static void test_read_from_another_thread(void **state)
{
	struct pxh_server srv;
	struct loop_thread lt = {.turns = 3000};
	struct pxh_loop_stats *st;
	pthread_t th;
	uint64_t last = 0, n;
	double p50, p99, mx;
	int reads = 0;

	(void)state;
	memset(&srv, 0, sizeof(srv));
	lt.loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(lt.loop);
	st = pxh_loop_stats_start(&srv, lt.loop, "w");
	assert_non_null(st);
	assert_int_equal(pthread_create(&th, NULL, loop_main, &lt), 0);
	while (!__atomic_load_n(&lt.done, __ATOMIC_ACQUIRE)) {
		n = pxh_loop_stats_turns(st);
		assert_true(n >= last);
		last = n;
		mx = pxh_loop_stats_max(st);
		p50 = pxh_loop_stats_quantile(st, 0.5);
		p99 = pxh_loop_stats_quantile(st, 0.99);
		/* max read last: it only grows, so it bounds what was read before */
		assert_true(p50 <= p99);
		assert_true(p99 <= pxh_loop_stats_max(st));
		assert_true(mx <= pxh_loop_stats_max(st));
		reads++;
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(reads > 0);
	/* most ticks are a turn of their own (two late ones may share one) */
	assert_true(pxh_loop_stats_turns(st) >= (uint64_t)lt.turns / 2);
	pxh_counters_free(&srv);
	pxh_loop_stats_stop(st);
	ev_loop_destroy(lt.loop);
}

static void test_empty(void **state)
{
	(void)state;
	assert_true(pxh_loop_stats_quantile(NULL, 0.5) == 0);
	assert_true(pxh_loop_stats_max(NULL) == 0);
	assert_int_equal(pxh_loop_stats_turns(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_turns_measured),
		cmocka_unit_test(test_read_from_another_thread),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
