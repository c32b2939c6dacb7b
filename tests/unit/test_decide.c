/* The decision chain's one async rule (core/decide.c): a completion never
 * runs the next plugin's hook nor the caller's DONE on the completing
 * plugin's stack; answers made at once come back from pxh_decide_start
 * without a turn of the loop; double and late completions are refused.
 * Driven by tests/plugins/tp_slow_answer.c ("A": its modes and frame
 * counter) and tp_stack_probe.c ("B": answers "nested" on A's stack). */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "plugin_fixture.h"

/* A symbol of a test plugin the core loaded. */
static void *plugin_sym(const char *plugin, const char *name)
{
	char path[600];
	void *dl, *p;

	snprintf(path, sizeof(path), "%s/%s.so", fx_plugin_dir(), plugin);
	dl = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(dl);
	p = dlsym(dl, name);
	dlclose(dl);
	assert_non_null(p);
	return p;
}

/* tp_slow_answer's frame counter in the copy the running fixture loaded */
static const int *a_depth;

/* Start with A (MODE, VERDICT, DELAY) and, when WITH_B, B after it. */
static void start(struct fx *f, const char *extra, const char *mode,
                  const char *verdict, const char *delay, bool with_b)
{
	static char a[256], b[700];
	const char *pc[] = {"tp_slow_answer", a, with_b ? "tp_stack_probe" : NULL, b, NULL};

	snprintf(a, sizeof(a), "[tp_slow_answer]\nenabled = yes\npriority = 10\nmode = %s\n"
	         "verdict = %s\ndelay = %s\n", mode, verdict, delay);
	snprintf(b, sizeof(b), "[tp_stack_probe]\nenabled = yes\npriority = 20\n"
	         "watch = %s/tp_slow_answer.so\n", fx_plugin_dir());
	assert_int_equal(fx_start(f, extra, pc), 0);
	/* this start's copy of A: the last test's was unloaded with it */
	a_depth = plugin_sym("tp_slow_answer", "tp_slow_answer_depth");
}

/* A DONE that also notes how deep A was on the stack. */
struct seen {
	struct result r;
	int depth;
};


static void seen_done(void *ctx, enum pxh_verdict v, const struct pxh_answer *a,
                      const char *plugin, const char *why)
{
	struct seen *s = ctx;

	s->depth = a_depth ? *a_depth : -1;
	on_done(&s->r, v, a, plugin, why);
}

/* Start a decision that must go on the loop; run it to its end. */
static void decide_on_loop(struct fx *f, enum pxh_phase phase, struct seen *s)
{
	pxh_client c = client("52:54:00:aa:00:01");
	struct pxh_decision *h = NULL;
	struct pxh_decided now;

	c.phase = phase;
	memset(s, 0, sizeof(*s));
	assert_int_equal(pxh_decide_start(&f->srv, phase, &c, seen_done, s, &h, &now, "test"), 0);
	assert_false(s->r.done); /* never before pxh_decide_start returns */
	assert_non_null(h);
	fx_run_until(f->srv.loop, &s->r.done, 3.0);
	assert_true(s->r.done);
	assert_null(h);
	assert_int_equal(s->depth, 0); /* DONE ran on no plugin's stack */
}

static void wait_idle(struct fx *f, double secs)
{
	bool never = false;

	fx_run_until(f->srv.loop, &never, secs);
	assert_int_equal(pxh_plugins_busy(f->srv.plugins), 0);
}

static void test_complete_inside_hook_goes_on_from_loop(void **st)
{
	struct fx f;
	struct seen s;

	start(&f, NULL, "inside", "boot", "10ms", false);
	decide_on_loop(&f, PXH_PHASE_DHCP, &s);
	assert_int_equal(s.r.v, PXH_BOOT);
	assert_string_equal(s.r.plugin, "tp_slow_answer");
	assert_string_equal(s.r.loader, "slow.efi");
	decide_on_loop(&f, PXH_PHASE_IPXE, &s);
	assert_string_equal(s.r.script, "#!ipxe\necho slow-answer\nexit\n");
	wait_idle(&f, 0.05);
	fx_stop(&f);
}

static void test_next_inside_hook_runs_next_plugin_from_loop(void **st)
{
	struct fx f;
	struct seen s;

	start(&f, NULL, "inside", "next", "10ms", true);
	decide_on_loop(&f, PXH_PHASE_DHCP, &s);
	assert_string_equal(s.r.plugin, "tp_stack_probe");
	assert_string_equal(s.r.loader, "probe.efi");
	assert_int_equal(*(unsigned *)plugin_sym("tp_stack_probe", "tp_stack_probe_nested"), 0);
	fx_stop(&f);
}

/* The old chain ran B's hook inside A's pxh_request_complete: B answered
 * "nested.efi". */
static void test_next_from_timer_runs_next_plugin_from_loop(void **st)
{
	struct fx f;
	struct seen s;
	unsigned *calls, *nested;

	start(&f, NULL, "timer", "next", "10ms", true);
	calls = plugin_sym("tp_stack_probe", "tp_stack_probe_calls");
	nested = plugin_sym("tp_stack_probe", "tp_stack_probe_nested");
	decide_on_loop(&f, PXH_PHASE_DHCP, &s);
	assert_string_equal(s.r.plugin, "tp_stack_probe");
	assert_string_equal(s.r.loader, "probe.efi");
	decide_on_loop(&f, PXH_PHASE_IPXE, &s);
	assert_string_equal(s.r.script, "#!ipxe\necho probe\n");
	assert_int_equal(*calls, 2);
	assert_int_equal(*nested, 0);
	wait_idle(&f, 0.05);
	fx_stop(&f);
}

/* The old chain called DONE inside A's pxh_request_complete (depth 1). */
static void test_done_from_timer_runs_on_no_plugin_stack(void **st)
{
	struct fx f;
	struct seen s;

	start(&f, NULL, "timer", "local", "10ms", false);
	decide_on_loop(&f, PXH_PHASE_DHCP, &s);
	assert_int_equal(s.r.v, PXH_LOCAL);
	assert_string_equal(s.r.plugin, "tp_slow_answer");
	fx_stop(&f);
}

/* Hooks that answer by their return value: decided before
 * pxh_decide_start returns, handed back, DONE never called. */
static void test_answer_at_once_comes_back_directly(void **st)
{
	struct fx f;
	const char *pc[] = {"tp_stack_probe", "[tp_stack_probe]\nenabled = yes\n", NULL};
	pxh_client c = client("52:54:00:aa:00:02");
	struct pxh_decision *h = (struct pxh_decision *)&c; /* must be cleared */
	struct pxh_decided now;
	struct result r = {0};
	bool never = false;

	assert_int_equal(fx_start(&f, NULL, pc), 0);
	assert_int_equal(pxh_decide_start(&f.srv, PXH_PHASE_DHCP, &c, on_done, &r, &h, &now, "test"), 1);
	assert_null(h);
	assert_int_equal(now.v, PXH_BOOT);
	assert_string_equal(now.plugin, "tp_stack_probe");
	assert_string_equal(now.answer.loader, "probe.efi");
	assert_ptr_equal(now.answer.client, &c);
	pxh_decided_clear(&now);
	fx_run_until(f.srv.loop, &never, 0.05);
	assert_false(r.done);
	fx_stop(&f);

	/* no plugin at all: the default, at once */
	assert_int_equal(fx_start(&f, "[boot]\ndefault_action = local\n", NULL), 0);
	assert_int_equal(pxh_decide_start(&f.srv, PXH_PHASE_IPXE, &c, on_done, &r, NULL, &now, "test"), 1);
	assert_int_equal(now.v, PXH_LOCAL);
	assert_string_equal(now.plugin, "default");
	assert_non_null(strstr(now.why, "default_action=local"));
	pxh_decided_clear(&now);
	assert_false(r.done);
	fx_stop(&f);
}

static void test_complete_twice_is_refused(void **st)
{
	struct fx f;
	struct seen s;

	start(&f, NULL, "twice", "boot", "10ms", false);
	decide_on_loop(&f, PXH_PHASE_DHCP, &s);
	assert_int_equal(s.r.v, PXH_BOOT); /* the first, not the second's local */
	assert_string_equal(s.r.loader, "slow.efi");
	assert_int_equal(*pxh_counter(&f.srv,
	                 "pxehub_plugin_completed_twice_total{plugin=\"tp_slow_answer\"}", ""), 1);
	wait_idle(&f, 0.05);
	fx_stop(&f);
}

static void test_completion_after_deadline_is_dropped(void **st)
{
	struct fx f;
	struct seen s;

	start(&f, "[boot]\ndecision_timeout = 100ms\n", "timer", "boot", "300ms", false);
	decide_on_loop(&f, PXH_PHASE_DHCP, &s);
	assert_string_equal(s.r.plugin, "default");
	assert_non_null(strstr(s.r.why, "plugin tp_slow_answer did not answer within 100 ms"));
	assert_int_equal(*pxh_counter(&f.srv, "pxehub_decision_timeouts_total", ""), 1);
	/* the answer at ~300 ms is taken from the plugin and dropped: no
	 * reference left, fini (which aborts with one pending) may run */
	wait_idle(&f, 0.4);
	fx_stop(&f);
}

/* A's timer and the deadline both expired while the loop was busy: A's
 * (earlier) completion is queued when the deadline fires; the answer
 * counts, and a "next" ends the chain with the default. */
static void test_answer_queued_at_deadline(void **st)
{
	struct fx f;
	struct seen s;
	pxh_client c = client("52:54:00:aa:00:03");
	struct pxh_decided now;

	for (int next = 0; next < 2; next++) {
		start(&f, "[boot]\ndecision_timeout = 60ms\n", "timer",
		      next ? "next" : "boot", "20ms", next);
		memset(&s, 0, sizeof(s));
		assert_int_equal(pxh_decide_start(&f.srv, PXH_PHASE_DHCP, &c, seen_done,
		                                  &s, NULL, &now, "test"), 0);
		usleep(150 * 1000); /* the loop is busy elsewhere */
		fx_run_until(f.srv.loop, &s.r.done, 3.0);
		assert_true(s.r.done);
		if (next) {
			assert_string_equal(s.r.plugin, "default");
			assert_non_null(strstr(s.r.why, "no time left after plugin tp_slow_answer"));
			assert_int_equal(*(unsigned *)plugin_sym("tp_stack_probe",
			                                         "tp_stack_probe_calls"), 0);
		} else {
			assert_string_equal(s.r.plugin, "tp_slow_answer");
			assert_string_equal(s.r.loader, "slow.efi");
		}
		assert_int_equal(*pxh_counter(&f.srv, "pxehub_decision_timeouts_total", ""), 0);
		wait_idle(&f, 0.02);
		fx_stop(&f);
	}
}

static void test_returned_verdict_wins_over_completion(void **st)
{
	struct fx f;
	pxh_client c = client("52:54:00:aa:00:04");
	struct pxh_decided now;
	struct result r = {0};

	start(&f, NULL, "returned", "local", "10ms", false);
	assert_int_equal(pxh_decide_start(&f.srv, PXH_PHASE_DHCP, &c, on_done, &r, NULL, &now, "test"), 1);
	assert_int_equal(now.v, PXH_BOOT);
	assert_string_equal(now.plugin, "tp_slow_answer");
	pxh_decided_clear(&now);
	wait_idle(&f, 0.02);
	assert_false(r.done);
	fx_stop(&f);
}

/* The caller goes away while the completion waits in the queue. */
static void test_cancel_with_completion_queued(void **st)
{
	struct fx f;
	pxh_client c = client("52:54:00:aa:00:05");
	struct pxh_decision *h = NULL;
	struct pxh_decided now;
	struct result r = {0};

	start(&f, NULL, "inside", "boot", "10ms", false);
	assert_int_equal(pxh_decide_start(&f.srv, PXH_PHASE_IPXE, &c, on_done, &r, &h, &now, "test"), 0);
	assert_non_null(h);
	pxh_decide_cancel(h);
	wait_idle(&f, 0.05);
	assert_false(r.done);
	/* and a stop with one still queued drops it */
	assert_int_equal(pxh_decide_start(&f.srv, PXH_PHASE_IPXE, &c, on_done, &r, &h, &now, "test"), 0);
	pxh_decide_cancel(h);
	fx_stop(&f);
	assert_false(r.done);
}

/* The fault core/decide.c guards against: completions going on on the
 * stack of pxh_decide_start(), as the old chain did.  While armed, the
 * first timer started (the drain a completion inside the hook queues)
 * runs at once, so DONE would run before the start returned.  This
 * program's ev_timer_start is the one the core linked into it calls;
 * libev's is found with RTLD_NEXT. */
static bool fire_at_once;

void ev_timer_start(struct ev_loop *loop, ev_timer *w)
{
	static void (*real)(struct ev_loop *, ev_timer *);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "ev_timer_start");
	real(loop, w);
	if (fire_at_once) {
		fire_at_once = false;
		ev_invoke(loop, w, EV_TIMER);
	}
}

static void early_done(void *ctx, enum pxh_verdict v, const struct pxh_answer *a,
                       const char *plugin, const char *why)
{
	static const char mark[] = "early_done called\n";

	(void)!write(2, mark, sizeof(mark) - 1);
}

/* A DONE about to run before pxh_decide_start() returned stops the
 * process, naming the caller, and DONE (which would free what the caller
 * stores after the 0) never runs; the line is not lost in a held batch
 * of log lines (the DHCP server holds them while it answers). */
static void test_done_before_start_returned_aborts(void **st)
{
	struct fx f;
	pxh_client c = client("52:54:00:aa:00:06");
	struct pxh_decided now;
	char path[600], out[4096] = "";
	int status, fd;
	ssize_t n;
	pid_t pid;

	start(&f, NULL, "inside", "boot", "10ms", false);
	snprintf(path, sizeof(path), "%s/child.err", f.dir);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 2) < 0)
			_exit(3);
		signal(SIGABRT, SIG_DFL);
		pxh_log_hold();
		fire_at_once = true;
		pxh_decide_start(&f.srv, PXH_PHASE_DHCP, &c, early_done, NULL,
		                 NULL, &now, "test: early DONE");
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, out, sizeof(out) - 1);
	close(fd);
	out[n > 0 ? n : 0] = 0;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fprintf(stderr, "child status 0x%x, stderr:\n%s", status, out);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	assert_non_null(strstr(out, "test: early DONE: a decision's DONE ran "
	                            "before pxh_decide_start() returned"));
	assert_null(strstr(out, "early_done called"));
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete_inside_hook_goes_on_from_loop),
		cmocka_unit_test(test_next_inside_hook_runs_next_plugin_from_loop),
		cmocka_unit_test(test_next_from_timer_runs_next_plugin_from_loop),
		cmocka_unit_test(test_done_from_timer_runs_on_no_plugin_stack),
		cmocka_unit_test(test_answer_at_once_comes_back_directly),
		cmocka_unit_test(test_complete_twice_is_refused),
		cmocka_unit_test(test_completion_after_deadline_is_dropped),
		cmocka_unit_test(test_answer_queued_at_deadline),
		cmocka_unit_test(test_returned_verdict_wins_over_completion),
		cmocka_unit_test(test_cancel_with_completion_queued),
		cmocka_unit_test(test_done_before_start_returned_aborts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
