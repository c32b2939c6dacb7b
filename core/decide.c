/* The decision chain: plugins in priority order, deferred answers, one
 * deadline per decision, [boot] default_action when nobody decides.
 *
 * The async rule (docs/HACKING.md): nothing runs on a plugin's stack.  A
 * hook's return value is taken after the hook returned; a completion
 * (pxh_request_complete, from inside the hook or any time later) only
 * records the verdict and queues the request, and the server's drain, one
 * turn of the loop later, continues the chain: the next plugin's hook, or
 * the caller's DONE.  A chain every hook of which answered by its return
 * value is decided before pxh_decide_start() returns and handed back to the
 * caller directly, so immediate answers cost no turn of the loop. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "conf.h"
#include "counters.h"
#include "decide.h"
#include "events.h"
#include "log.h"
#include "plugins.h"
#include "server.h"
#include "str.h"

struct pxh_decision {
	struct pxh_server *s;
	enum pxh_phase phase;
	pxh_client client;
	uint8_t *raw; /* copy of the request, so deferred hooks may read it */
	struct pxh_decided result; /* answer so far; the verdict once decided */
	struct pxh_hook *cur;
	struct pxh_request *waiting; /* deferred request in flight */
	pxh_decide_done_fn done;
	void *ctx;
	ev_timer deadline;
	double started;
	struct pxh_decision **handle;
	const char *who; /* the caller, named when the async rule breaks */
	bool starting;   /* inside pxh_decide_start(): DONE must not run */
	bool late; /* the deadline passed while an answer in time was queued */
};

struct pxh_request {
	struct pxh_server *s;
	struct pxh_decision *d; /* NULL once the deadline passed or the caller left */
	struct pxh_host *host;  /* referenced while the request lives */
	pxh_client client;      /* stays valid after the deadline */
	uint8_t *raw;
	struct pxh_answer answer;
	double started;
	struct pxh_request *next_ready; /* the server's ready queue */
	enum pxh_verdict verdict; /* what pxh_request_complete said */
	bool in_hook;   /* its hook has not returned yet */
	bool expired;
	bool completed;
};

/* The server's queue of completed requests, continued from the loop. */
struct pxh_decide_queue {
	ev_timer drain; /* zero delay: the next turn of the loop */
	struct pxh_request *head, **tail;
};

long long pxh_decide_deadline_ms(struct pxh_server *s)
{
	/* the key table bounds it (10 ms .. 60 s) and gives the default */
	return pxh_boot_conf(s->conf)->decision_timeout_ms;
}

static void count_decision(struct pxh_server *s, enum pxh_phase phase,
                           enum pxh_verdict v, const char *plugin)
{
	char name[160];
	uint64_t **slot = NULL;

	/* The default's counters are hit per packet: look them up once. */
	if (!strcmp(plugin, "default") && phase < 5 && v < 5) {
		slot = &s->default_decisions[phase][v];
		if (*slot) {
			(**slot)++;
			return;
		}
	}
	snprintf(name, sizeof(name),
	         "pxehub_decisions_total{phase=\"%s\",result=\"%s\",by=\"%s\"}",
	         pxh_phase_name(phase), pxh_verdict_name(v), plugin);
	if (slot) {
		*slot = pxh_counter(s, name, "decisions by phase, result and who decided");
		(**slot)++;
		return;
	}
	(*pxh_counter(s, name, "decisions by phase, result and who decided"))++;
}

static void count_latency(struct pxh_server *s, const char *plugin, double secs)
{
	char name[160];

	snprintf(name, sizeof(name), "pxehub_plugin_decide_microseconds_total{plugin=\"%s\"}", plugin);
	*pxh_counter(s, name, "time plugins spent deciding") += (uint64_t)(secs * 1e6);
	snprintf(name, sizeof(name), "pxehub_plugin_decide_calls_total{plugin=\"%s\"}", plugin);
	(*pxh_counter(s, name, "decision hook calls"))++;
}

static void decision_free(struct pxh_decision *d)
{
	ev_timer_stop(d->s->loop, &d->deadline);
	pxh_answer_clear(&d->result.answer);
	free(d->raw);
	free(d);
}

void pxh_decided_clear(struct pxh_decided *r)
{
	pxh_answer_clear(&r->answer);
}

/* The verdict (or the default) into OUT, whose answer holds what the
 * deciding plugin wrote; counts it and emits the decision event.  Shared
 * by the chain and the no-plugin fast path (no struct pxh_decision). */
static void conclude(struct pxh_server *s, enum pxh_phase phase,
                     const pxh_client *c, double started, enum pxh_verdict v,
                     const char *plugin, const char *why,
                     struct pxh_decided *out)
{
	struct pxh_answer *a = &out->answer;
	char *reason = out->why;
	pxh_event ev;
	size_t o;

	reason[0] = 0;
	pxh_strcat_at(reason, sizeof(out->why), 0, why);
	if (v == PXH_NEXT || v == PXH_DEFERRED) {
		const char *def = pxh_boot_conf(s->conf)->default_action;
		pxh_answer_clear(a);
		a->srv = s;
		a->client = c;
		if (def && !strcmp(def, "local"))
			v = PXH_LOCAL;
		else if (def && !strcmp(def, "ignore"))
			v = PXH_IGNORE;
		else
			v = PXH_BOOT;
		plugin = "default";
		if (!reason[0]) {
			o = pxh_strcat_at(reason, sizeof(out->why), 0,
			                  "no plugin decided: default_action=");
			pxh_strcat_at(reason, sizeof(out->why), o, def ? def : "menu");
		}
	} else if (!reason[0] && a->reason) {
		pxh_strcat_at(reason, sizeof(out->why), 0, a->reason);
	}
	out->v = v;
	pxh_strcpy(out->plugin, sizeof(out->plugin), plugin);
	count_decision(s, phase, v, plugin);
	pxh_event_init(&ev, PXH_EV_DECISION, PXH_LOG_INFO, c);
	pxh_strcpy(ev.action, sizeof(ev.action), pxh_verdict_name(v));
	pxh_strcpy(ev.plugin, sizeof(ev.plugin), plugin);
	/* "<phase> phase: <verdict> by <plugin, 31 max>[: <reason, 200 max>]" */
	{
		char r200[201];
		pxh_strcpy(r200, sizeof(r200), reason);
		o = pxh_strcat_at(ev.message, sizeof(ev.message), 0, pxh_phase_name(phase));
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " phase: ");
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, pxh_verdict_name(v));
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " by ");
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, out->plugin);
		if (reason[0]) {
			o = pxh_strcat_at(ev.message, sizeof(ev.message), o, ": ");
			pxh_strcat_at(ev.message, sizeof(ev.message), o, r200);
		}
	}
	if (a->loader)
		pxh_strcpy(ev.file, sizeof(ev.file), a->loader);
	ev.duration_us = (uint64_t)((ev_now(s->loop) - started) * 1e6);
	pxh_emit(s, &ev);
}

static void finish(struct pxh_decision *d, enum pxh_verdict v,
                   const char *plugin, const char *why)
{
	conclude(d->s, d->phase, &d->client, d->started, v, plugin, why,
	         &d->result);
}

/* DONE was about to run before pxh_decide_start() returned: a bug here
 * (the rule's keeper), not in a plugin.  Stop loudly, naming the caller,
 * rather than let it use the context DONE freed. */
static void __attribute__((noreturn)) decide_broken(const char *who)
{
	pxh_err("%s: a decision's DONE ran before pxh_decide_start() returned: "
	        "the async rule (core/decide.c) is broken; stopping rather than "
	        "using freed memory", who);
	abort();
}

/* A decision that went on the loop is decided: tell its caller (from the
 * loop: the drain or the deadline, never a plugin's call) and free it.
 * Run before pxh_decide_start() returned, DONE would free the context its
 * caller stores or links after the 0: every caller's check of the rule is
 * this one, where DONE is called. */
static void deliver(struct pxh_decision *d)
{
	struct pxh_decided *r = &d->result;

	if (d->starting)
		decide_broken(d->who);
	ev_timer_stop(d->s->loop, &d->deadline);
	if (d->handle)
		*d->handle = NULL;
	d->done(d->ctx, r->v, &r->answer, r->plugin, r->why);
	decision_free(d);
}

static struct pxh_request *request_new(struct pxh_decision *d,
                                       struct pxh_host *h)
{
	struct pxh_request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->s = d->s;
	r->d = d;
	r->host = h;
	r->client = d->client;
	if (d->client.raw_len) {
		r->raw = malloc(d->client.raw_len);
		if (!r->raw) {
			free(r);
			return NULL;
		}
		memcpy(r->raw, d->client.raw, d->client.raw_len);
		r->client.raw = r->raw;
	}
	pxh_answer_init(&r->answer, d->s, &r->client);
	r->started = ev_now(d->s->loop);
	/* the plugin stays loaded while the request lives (a reload
	 * retires its set; fini waits for the last reference) */
	pxh_host_ref(h);
	return r;
}

static void request_free(struct pxh_request *r)
{
	struct pxh_host *h = r->host;

	pxh_answer_clear(&r->answer);
	free(r->raw);
	free(r);
	pxh_host_unref(h); /* a retired set is freed from the loop */
}

/* Take a plugin's verdict; true when the chain is decided. */
static bool take(struct pxh_decision *d, struct pxh_request *r,
                 enum pxh_verdict v)
{
	const char *name = pxh_host_name(r->host);

	count_latency(d->s, name, ev_now(d->s->loop) - r->started);
	if (v == PXH_BOOT || v == PXH_LOCAL || v == PXH_IGNORE) {
		pxh_answer_clear(&d->result.answer);
		d->result.answer = r->answer;
		d->result.answer.client = &d->client;
		memset(&r->answer, 0, sizeof(r->answer));
		finish(d, v, name, NULL);
		return true;
	}
	if (v != PXH_NEXT)
		pxh_logf(PXH_LOG_WARNING, &d->client,
		         "decide: plugin %s returned verdict %d: treated as next", name, v);
	return false;
}

/* ---- the ready queue ------------------------------------------------------ */
static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents);

static struct pxh_decide_queue *queue_of(struct pxh_server *s)
{
	struct pxh_decide_queue *q = s->decide_queue;

	if (q)
		return q;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->tail = &q->head;
	ev_timer_init(&q->drain, drain_cb, 0., 0.);
	q->drain.data = s;
	s->decide_queue = q;
	return q;
}

/* R was completed outside its hook's call: the loop goes on with it. */
static void enqueue(struct pxh_server *s, struct pxh_request *r)
{
	struct pxh_decide_queue *q = queue_of(s);

	if (!q) {
		/* cannot happen after the first decision made the queue:
		 * run_hooks() makes it before calling any hook */
		pxh_logf(PXH_LOG_ERR, &r->client, "decide: no memory to queue %s's answer",
		         pxh_host_name(r->host));
		return;
	}
	r->next_ready = NULL;
	*q->tail = r;
	q->tail = &r->next_ready;
	if (!ev_is_active(&q->drain))
		ev_timer_start(s->loop, &q->drain);
}

/* Walk the hooks from d->cur until one decides (true, d->result holds the
 * verdict) or defers (false, d->waiting is the request).  Called from
 * pxh_decide_start() and from the drain; never from inside a hook. */
static bool run_hooks(struct pxh_decision *d)
{
	if (!queue_of(d->s)) {
		finish(d, PXH_NEXT, "default", "out of memory");
		return true;
	}
	while (d->cur) {
		struct pxh_hook *k = d->cur;
		struct pxh_request *r = request_new(d, k->host);
		enum pxh_verdict v;

		d->cur = k->next;
		if (!r) {
			finish(d, PXH_NEXT, "default", "out of memory");
			return true;
		}
		r->in_hook = true;
		v = k->fn.decide(k->ud, &r->client, &r->answer, r);
		r->in_hook = false;
		if (v == PXH_DEFERRED) {
			d->waiting = r;
			if (r->completed) /* inside the hook: on from the loop */
				enqueue(d->s, r);
			return false;
		}
		if (r->completed)
			pxh_logf(PXH_LOG_WARNING, &d->client,
			         "decide: plugin %s completed its request and returned "
			         "%s: the returned verdict counts", pxh_host_name(r->host),
			         pxh_verdict_name(v));
		if (take(d, r, v)) {
			request_free(r);
			return true;
		}
		request_free(r);
	}
	finish(d, PXH_NEXT, "default", NULL);
	return true;
}

/* The chain goes on after R's completion, from the loop. */
static void proceed(struct pxh_request *r)
{
	struct pxh_decision *d = r->d;
	char why[160];

	if (!d) {
		/* the deadline passed (the default was applied) or the
		 * caller went away (pxh_decide_cancel) */
		if (r->expired)
			pxh_logf(PXH_LOG_NOTICE, &r->client,
			         "decide: plugin %s answered %s after the deadline: dropped",
			         pxh_host_name(r->host), pxh_verdict_name(r->verdict));
		request_free(r);
		return;
	}
	d->waiting = NULL;
	r->d = NULL;
	if (take(d, r, r->verdict)) {
		request_free(r);
		deliver(d);
		return;
	}
	if (d->late) {
		snprintf(why, sizeof(why), "no time left after plugin %s "
		         "(decision_timeout %lld ms)", pxh_host_name(r->host),
		         pxh_decide_deadline_ms(d->s));
		request_free(r);
		finish(d, PXH_NEXT, "default", why);
		deliver(d);
		return;
	}
	request_free(r);
	if (run_hooks(d))
		deliver(d);
}

static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_server *s = w->data;
	struct pxh_decide_queue *q = s->decide_queue;
	struct pxh_request *r = q->head;

	/* what was queued until now; completions made meanwhile (by hooks
	 * run from here) wait for the next turn, after the sockets */
	q->head = NULL;
	q->tail = &q->head;
	while (r) {
		struct pxh_request *next = r->next_ready;

		r->next_ready = NULL;
		proceed(r);
		r = next;
	}
}

void pxh_decide_stop(struct pxh_server *s)
{
	struct pxh_decide_queue *q = s->decide_queue;
	struct pxh_request *r;

	if (!q)
		return;
	ev_timer_stop(s->loop, &q->drain);
	while ((r = q->head)) {
		q->head = r->next_ready;
		if (r->d)
			r->d->waiting = NULL; /* its caller cancels the decision */
		request_free(r);
	}
	free(q);
	s->decide_queue = NULL;
}

/* ---- requests, as plugins see them ------------------------------------------ */
void pxh_request_complete(pxh_request *r, enum pxh_verdict v)
{
	if (!r)
		return;
	if (r->completed) {
		char name[128];

		snprintf(name, sizeof(name),
		         "pxehub_plugin_completed_twice_total{plugin=\"%s\"}", pxh_host_name(r->host));
		(*pxh_counter(r->s, name,
		              "requests a plugin completed more than once (ignored)"))++;
		pxh_logf(PXH_LOG_WARNING, &r->client,
		         "decide: plugin %s completed a request twice (%s, then %s): "
		         "the second is ignored", pxh_host_name(r->host),
		         pxh_verdict_name(r->verdict), pxh_verdict_name(v));
		return;
	}
	r->completed = true;
	r->verdict = v;
	if (r->in_hook)
		return; /* run_hooks() takes it when the hook returns */
	enqueue(r->s, r);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_decision *d = (struct pxh_decision *)((char *)w - offsetof(struct pxh_decision, deadline));
	char why[160];
	struct pxh_request *r = d->waiting;

	if (r && r->completed) {
		/* its answer came in time and waits in the queue: the drain
		 * takes it, and applies the default if it was "next" */
		d->late = true;
		return;
	}
	snprintf(why, sizeof(why), "plugin %s did not answer within %lld ms",
	         r ? pxh_host_name(r->host) : "?", pxh_decide_deadline_ms(d->s));
	if (r) {
		r->d = NULL;
		r->expired = true;
		(*pxh_counter(d->s, "pxehub_decision_timeouts_total",
		              "decisions whose plugin missed the deadline"))++;
	}
	d->waiting = NULL;
	pxh_logf(PXH_LOG_WARNING, &d->client, "decide: %s: default applies", why);
	finish(d, PXH_NEXT, "default", why);
	deliver(d);
}

/* ---- the callers' side ----------------------------------------------------- */
int pxh_decide_start(struct pxh_server *s, enum pxh_phase phase,
                     const pxh_client *c, pxh_decide_done_fn done, void *ctx,
                     struct pxh_decision **handle, struct pxh_decided *now,
                     const char *who)
{
	struct pxh_decision *d;
	enum pxh_hook_kind kind = phase == PXH_PHASE_IPXE ? PXH_HOOK_BOOT_SCRIPT
	                                                  : PXH_HOOK_BOOT_DECISION;

	if (handle)
		*handle = NULL;
	if (!done || !c || !now)
		return -EINVAL;
	if (!pxh_hooks(s, kind)) {
		/* No plugin registered: the default, at once, without
		 * allocating or copying the client (the common case, per
		 * packet). */
		pxh_answer_init(&now->answer, s, c);
		conclude(s, phase, c, ev_now(s->loop), PXH_NEXT, "default", NULL,
		         now);
		return 1;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->s = s;
	d->phase = phase;
	d->client = *c;
	d->client.struct_size = sizeof(d->client);
	if (c->raw && c->raw_len) {
		d->raw = malloc(c->raw_len);
		if (!d->raw) {
			free(d);
			return -ENOMEM;
		}
		memcpy(d->raw, c->raw, c->raw_len);
		d->client.raw = d->raw;
	} else {
		d->client.raw = NULL;
		d->client.raw_len = 0;
	}
	pxh_answer_init(&d->result.answer, s, &d->client);
	d->done = done;
	d->ctx = ctx;
	d->who = who ? who : "decide";
	d->starting = true;
	d->started = ev_now(s->loop);
	d->cur = pxh_hooks(s, kind);
	if (run_hooks(d)) {
		/* every hook answered by its return value: no turn of the
		 * loop, DONE is not called */
		*now = d->result;
		now->answer.client = c;
		memset(&d->result.answer, 0, sizeof(d->result.answer));
		decision_free(d);
		return 1;
	}
	d->handle = handle;
	if (handle)
		*handle = d;
	ev_timer_init(&d->deadline, deadline_cb,
	              (double)pxh_decide_deadline_ms(s) / 1000.0, 0);
	ev_timer_start(s->loop, &d->deadline);
	d->starting = false;
	return 0;
}

int pxh_decide(struct pxh_server *s, enum pxh_phase phase,
               const pxh_client *c, pxh_decide_done_fn done, void *ctx,
               struct pxh_decision **handle)
{
	struct pxh_decided now;
	int rc = pxh_decide_start(s, phase, c, done, ctx, handle, &now,
	                          "pxh_decide");

	if (rc != 1)
		return rc;
	/* on the caller's stack, after every hook returned */
	done(ctx, now.v, &now.answer, now.plugin, now.why);
	pxh_decided_clear(&now);
	return 0;
}

void pxh_decide_cancel(struct pxh_decision *d)
{
	struct pxh_request *r;

	if (!d)
		return;
	r = d->waiting;
	if (r) { /* the plugin completes it later; its answer is dropped */
		r->d = NULL;
		d->waiting = NULL;
	}
	if (d->handle)
		*d->handle = NULL;
	decision_free(d);
}

pxh_answer *pxh_request_answer(pxh_request *req)
{
	return &req->answer;
}

const pxh_client *pxh_request_client(pxh_request *req)
{
	return &req->client;
}

int pxh_request_expired(const pxh_request *req)
{
	return req->d == NULL && !req->completed;
}
