/* Event loop turn lengths: a histogram per loop for /metrics and the
 * status API, and a debug line for a turn that held the loop long. */
/* Threads: one loop's thread writes its figures, and the main loop reads
 * them for /metrics (a worker loop's too).  Every shared figure is a
 * 64-bit integer written with a relaxed atomic store by its one writer (a
 * plain store on x86-64 and arm64: no lock, no read-modify-write) and read
 * with relaxed atomic loads: a reader sees each figure whole, perhaps a
 * turn old, and the quantile counts the buckets it read, not `turns`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "loop_stats.h"
#include "counters.h"
#include "log.h"

/* bucket I holds turns up to 2^(I/4) microseconds: 4 per octave, from 1 us
 * to 2^24 us (16.8 s); longer ones land in the last */
#define PER_OCTAVE 4
#define N_BUCKETS (24 * PER_OCTAVE + 1)
#define SLOW_TURN 0.25 /* seconds: a turn this long is logged (debug) */

struct pxh_loop_stats {
	struct pxh_server *srv;
	struct ev_loop *loop;
	ev_prepare prep;
	ev_check check;
	double woke; /* when poll returned (monotonic); 0 before the first; loop thread only */
	/* shared with readers on other threads: SET()/GET() only */
	uint64_t turns;
	uint64_t sum_ns, max_ns;
	uint64_t bucket[N_BUCKETS];
	char name[16];
};

/* one writer (the loop's thread), readers anywhere: relaxed is enough,
 * nothing else is published through these figures */
#define SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 2^(k/4), k = 0..4 (no libm for four constants) */
static const double step[PER_OCTAVE + 1] = {1.0, 1.189207115, 1.414213562,
                                            1.681792831, 2.0};

static double bucket_top(unsigned i)
{
	return (double)(1ull << (i / PER_OCTAVE)) * step[i % PER_OCTAVE] * 1e-6;
}

static unsigned bucket_of(double seconds)
{
	double us = seconds * 1e6;
	unsigned oct, k;

	if (us <= 1.0)
		return 0;
	if (us >= (double)(1ull << (N_BUCKETS / PER_OCTAVE)))
		return N_BUCKETS - 1;
	oct = 63u - (unsigned)__builtin_clzll((unsigned long long)us); /* 2^oct <= us */
	for (k = 0; k < PER_OCTAVE; k++)
		if (us <= (double)(1ull << oct) * step[k])
			break;
	/* k == PER_OCTAVE: above 2^oct * step[3], up to 2^(oct+1) */
	return oct * PER_OCTAVE + k < N_BUCKETS ? oct * PER_OCTAVE + k : N_BUCKETS - 1;
}

/* Checked first of the turn's callbacks (highest priority): poll is back. */
static void on_check(struct ev_loop *loop, ev_check *w, int revents)
{
	struct pxh_loop_stats *st = w->data;

	(void)loop;
	(void)revents;
	st->woke = mono();
}

/* Prepared last (lowest priority): the turn's work is done, poll is next. */
static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct pxh_loop_stats *st = w->data;
	unsigned b;
	uint64_t ns;
	double d;

	(void)loop;
	(void)revents;
	if (st->woke == 0)
		return;
	d = mono() - st->woke;
	st->woke = 0;
	ns = (uint64_t)(d * 1e9);
	b = bucket_of(d);
	/* this thread is the only writer: a plain load, then a store others
	 * read whole */
	SET(st->turns, st->turns + 1);
	SET(st->sum_ns, st->sum_ns + ns);
	if (ns > st->max_ns)
		SET(st->max_ns, ns);
	SET(st->bucket[b], st->bucket[b] + 1);
	if (d >= SLOW_TURN)
		pxh_debug("loop %s: one turn held the loop %.0f ms", st->name, d * 1e3);
}

double pxh_loop_stats_quantile(const struct pxh_loop_stats *st, double q)
{
	uint64_t snap[N_BUCKETS], total = 0, need, seen = 0;
	double mx;

	if (!st)
		return 0;
	/* a snapshot of the buckets, counted from itself: the writer may add
	 * a turn between two loads, so `turns` need not match */
	for (unsigned i = 0; i < N_BUCKETS; i++) {
		snap[i] = GET(st->bucket[i]);
		total += snap[i];
	}
	if (!total)
		return 0;
	mx = pxh_loop_stats_max(st);
	need = (uint64_t)(q * (double)total + 0.999999);
	if (need < 1)
		need = 1;
	for (unsigned i = 0; i < N_BUCKETS; i++) {
		seen += snap[i];
		if (seen >= need)
			return bucket_top(i) < mx ? bucket_top(i) : mx;
	}
	return mx;
}

double pxh_loop_stats_max(const struct pxh_loop_stats *st)
{
	return st ? (double)GET(st->max_ns) * 1e-9 : 0;
}

uint64_t pxh_loop_stats_turns(const struct pxh_loop_stats *st)
{
	return st ? GET(st->turns) : 0;
}

static double g_p50(struct pxh_server *s, void *ud)
{
	(void)s;
	return pxh_loop_stats_quantile(ud, 0.50);
}

static double g_p99(struct pxh_server *s, void *ud)
{
	(void)s;
	return pxh_loop_stats_quantile(ud, 0.99);
}

static double g_p999(struct pxh_server *s, void *ud)
{
	(void)s;
	return pxh_loop_stats_quantile(ud, 0.999);
}

static double g_max(struct pxh_server *s, void *ud)
{
	(void)s;
	return pxh_loop_stats_max(ud);
}

static double g_turns(struct pxh_server *s, void *ud)
{
	(void)s;
	return (double)pxh_loop_stats_turns(ud);
}

static double g_busy(struct pxh_server *s, void *ud)
{
	const struct pxh_loop_stats *st = ud;

	(void)s;
	return st ? (double)GET(st->sum_ns) * 1e-9 : 0;
}

static void figure(struct pxh_loop_stats *st, const char *family,
                   const char *label, const char *help, pxh_gauge_fn fn)
{
	char name[128];

	snprintf(name, sizeof(name), "%s{loop=\"%s\"%s%s}", family, st->name,
	         label ? "," : "", label ? label : "");
	pxh_gauge(st->srv, name, help, fn, st);
}

struct pxh_loop_stats *pxh_loop_stats_start(struct pxh_server *s,
                                            struct ev_loop *loop,
                                            const char *name)
{
	static const char q_help[] =
		"event loop turn length (poll return to next poll) since start, "
		"by quantile (upper edge of a 19% bucket)";
	struct pxh_loop_stats *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->srv = s;
	st->loop = loop;
	snprintf(st->name, sizeof(st->name), "%s", name);
	ev_check_init(&st->check, on_check);
	ev_set_priority(&st->check, EV_MAXPRI);
	st->check.data = st;
	ev_prepare_init(&st->prep, on_prepare);
	ev_set_priority(&st->prep, EV_MINPRI);
	st->prep.data = st;
	ev_check_start(loop, &st->check);
	ev_prepare_start(loop, &st->prep);
	/* the watchers alone must not keep the loop running */
	ev_unref(loop);
	ev_unref(loop);
	figure(st, "pxehub_loop_turn_seconds", "quantile=\"0.5\"", q_help, g_p50);
	figure(st, "pxehub_loop_turn_seconds", "quantile=\"0.99\"", q_help, g_p99);
	figure(st, "pxehub_loop_turn_seconds", "quantile=\"0.999\"", q_help, g_p999);
	figure(st, "pxehub_loop_turn_max_seconds", NULL,
	       "the longest event loop turn since start", g_max);
	figure(st, "pxehub_loop_turns", NULL, "event loop turns since start", g_turns);
	figure(st, "pxehub_loop_busy_seconds", NULL,
	       "time the event loop spent in callbacks since start", g_busy);
	return st;
}

void pxh_loop_stats_stop(struct pxh_loop_stats *st)
{
	if (!st)
		return;
	ev_ref(st->loop);
	ev_ref(st->loop);
	ev_check_stop(st->loop, &st->check);
	ev_prepare_stop(st->loop, &st->prep);
	free(st);
}
