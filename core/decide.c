/* The decision chain: plugins in priority order, deferred answers, one
 * deadline per decision, [boot] default_action when nobody decides. */
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
	struct pxh_answer answer;
	struct pxh_hook *cur;
	struct pxh_request *waiting; /* deferred request in flight */
	pxh_decide_done_fn done;
	void *ctx;
	ev_timer deadline;
	double started;
	struct pxh_decision **handle;
	bool running; /* inside run(): completion must not free */
	bool finished;
};

struct pxh_request {
	struct pxh_decision *d; /* NULL once the deadline passed */
	struct pxh_host *host;
	pxh_client client; /* stays valid after the deadline */
	uint8_t *raw;
	struct pxh_answer answer;
	double started;
	enum pxh_verdict sync_verdict; /* completed inside the hook call */
	bool expired;
	bool completed;
};

long long pxh_decide_deadline_ms(struct pxh_server *s)
{
	/* the key table bounds it (10 ms .. 60 s) and gives the default */
	return pxh_boot_conf(s->conf)->decision_timeout_ms;
}

static const char *phase_name(enum pxh_phase p)
{
	switch (p) {
	case PXH_PHASE_DHCP: return "dhcp";
	case PXH_PHASE_IPXE: return "ipxe";
	case PXH_PHASE_TFTP: return "tftp";
	case PXH_PHASE_HTTP: return "http";
	}
	return "?";
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
	         phase_name(phase), pxh_verdict_name(v), plugin);
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
	pxh_answer_clear(&d->answer);
	free(d->raw);
	free(d);
}

/* The verdict's event and the caller's callback; shared by the chain and
 * the no-plugin fast path (which has no struct pxh_decision). */
static void conclude(struct pxh_server *s, enum pxh_phase phase,
                     const pxh_client *c, struct pxh_answer *a,
                     double started, enum pxh_verdict v, const char *plugin,
                     const char *why, pxh_decide_done_fn done, void *ctx)
{
	pxh_event ev;
	char reason[256];
	size_t o;

	reason[0] = 0;
	pxh_strcat_at(reason, sizeof(reason), 0, why);
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
			o = pxh_strcat_at(reason, sizeof(reason), 0,
			                  "no plugin decided: default_action=");
			pxh_strcat_at(reason, sizeof(reason), o, def ? def : "menu");
		}
	} else if (!reason[0] && a->reason) {
		pxh_strcat_at(reason, sizeof(reason), 0, a->reason);
	}
	count_decision(s, phase, v, plugin);
	pxh_event_init(&ev, PXH_EV_DECISION, PXH_LOG_INFO, c);
	pxh_strcpy(ev.action, sizeof(ev.action), pxh_verdict_name(v));
	pxh_strcpy(ev.plugin, sizeof(ev.plugin), plugin);
	/* "<phase> phase: <verdict> by <plugin, 31 max>[: <reason, 200 max>]" */
	{
		char by[32], r200[201];
		pxh_strcpy(by, sizeof(by), plugin);
		pxh_strcpy(r200, sizeof(r200), reason);
		o = pxh_strcat_at(ev.message, sizeof(ev.message), 0, phase_name(phase));
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " phase: ");
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, pxh_verdict_name(v));
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, " by ");
		o = pxh_strcat_at(ev.message, sizeof(ev.message), o, by);
		if (reason[0]) {
			o = pxh_strcat_at(ev.message, sizeof(ev.message), o, ": ");
			pxh_strcat_at(ev.message, sizeof(ev.message), o, r200);
		}
	}
	if (a->loader)
		pxh_strcpy(ev.file, sizeof(ev.file), a->loader);
	ev.duration_us = (uint64_t)((ev_now(s->loop) - started) * 1e6);
	pxh_emit(s, &ev);
	done(ctx, v, a, plugin, reason);
}

/* Apply the verdict (or the default), tell the caller, emit the event. */
static void finish(struct pxh_decision *d, enum pxh_verdict v,
                   const char *plugin, const char *why)
{
	struct pxh_server *s = d->s;

	if (d->finished)
		return;
	d->finished = true;
	ev_timer_stop(s->loop, &d->deadline);
	if (d->handle)
		*d->handle = NULL;
	conclude(s, d->phase, &d->client, &d->answer, d->started, v, plugin,
	         why, d->done, d->ctx);
}

static struct pxh_request *request_new(struct pxh_decision *d,
                                       struct pxh_host *h)
{
	struct pxh_request *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
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
	return r;
}

static void request_free(struct pxh_request *r)
{
	pxh_answer_clear(&r->answer);
	free(r->raw);
	free(r);
}

/* Take a plugin's verdict; true when the chain is done. */
static bool take(struct pxh_decision *d, struct pxh_request *r,
                 enum pxh_verdict v)
{
	const char *name = pxh_host_name(r->host);

	count_latency(d->s, name, ev_now(d->s->loop) - r->started);
	if (v == PXH_BOOT || v == PXH_LOCAL || v == PXH_IGNORE) {
		pxh_answer_clear(&d->answer);
		d->answer = r->answer;
		d->answer.client = &d->client;
		memset(&r->answer, 0, sizeof(r->answer));
		finish(d, v, name, NULL);
		return true;
	}
	if (v != PXH_NEXT)
		pxh_logf(PXH_LOG_WARNING, &d->client,
		         "decide: plugin %s returned verdict %d: treated as next", name, v);
	return false;
}

/* Walk the hooks from d->cur until one decides or defers. */
static void run(struct pxh_decision *d)
{
	d->running = true;
	while (!d->finished && d->cur) {
		struct pxh_hook *k = d->cur;
		struct pxh_request *r = request_new(d, k->host);
		enum pxh_verdict v;

		d->cur = k->next;
		if (!r) {
			finish(d, PXH_NEXT, "default", "out of memory");
			break;
		}
		v = k->fn.decide(k->ud, &r->client, &r->answer, r);
		if (v == PXH_DEFERRED && !r->completed) {
			pxh_host_ref(k->host);
			d->waiting = r;
			d->running = false;
			return;
		}
		if (v == PXH_DEFERRED) /* completed inside the hook */
			v = r->sync_verdict;
		take(d, r, v);
		request_free(r);
	}
	if (!d->finished)
		finish(d, PXH_NEXT, "default", NULL);
	d->running = false;
	decision_free(d);
}

void pxh_request_complete(pxh_request *r, enum pxh_verdict v)
{
	struct pxh_decision *d;
	struct pxh_host *h;

	if (!r || r->completed)
		return;
	r->completed = true;
	d = r->d;
	h = r->host;
	if (!d) {
		/* Deadline passed: the default was applied already. */
		pxh_logf(PXH_LOG_NOTICE, &r->client,
		         "decide: plugin %s answered %s after the deadline: dropped",
		         pxh_host_name(h), pxh_verdict_name(v));
		request_free(r);
		pxh_host_unref(h);
		return;
	}
	if (d->waiting != r) {
		/* Completed inside the hook call: run() picks it up. */
		r->sync_verdict = v;
		return;
	}
	d->waiting = NULL;
	if (!take(d, r, v))
		run(d); /* frees d */
	else
		decision_free(d);
	request_free(r);
	pxh_host_unref(h);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_decision *d = (struct pxh_decision *)((char *)w - offsetof(struct pxh_decision, deadline));
	char why[160];
	struct pxh_request *r = d->waiting;

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
	decision_free(d);
}

int pxh_decide(struct pxh_server *s, enum pxh_phase phase,
               const pxh_client *c, pxh_decide_done_fn done, void *ctx,
               struct pxh_decision **handle)
{
	struct pxh_decision *d;
	enum pxh_hook_kind kind = phase == PXH_PHASE_IPXE ? PXH_HOOK_BOOT_SCRIPT
	                                                  : PXH_HOOK_BOOT_DECISION;

	if (!done || !c)
		return -EINVAL;
	if (!pxh_hooks(s, kind)) {
		/* No plugin registered: the default, at once, without
		 * allocating or copying the client (the common case, per
		 * packet). */
		struct pxh_answer a;

		pxh_answer_init(&a, s, c);
		if (handle)
			*handle = NULL;
		conclude(s, phase, c, &a, ev_now(s->loop), PXH_NEXT, "default",
		         NULL, done, ctx);
		pxh_answer_clear(&a);
		return 0;
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
	pxh_answer_init(&d->answer, s, &d->client);
	d->done = done;
	d->ctx = ctx;
	d->started = ev_now(s->loop);
	d->cur = pxh_hooks(s, kind);
	d->handle = handle;
	if (handle)
		*handle = d;
	ev_timer_init(&d->deadline, deadline_cb,
	              (double)pxh_decide_deadline_ms(s) / 1000.0, 0);
	ev_timer_start(s->loop, &d->deadline);
	run(d);
	return 0;
}

void pxh_decide_cancel(struct pxh_decision *d)
{
	struct pxh_request *r;

	if (!d || d->finished)
		return;
	r = d->waiting;
	if (r) { /* the plugin completes it later; its answer is dropped */
		r->d = NULL;
		d->waiting = NULL;
	}
	d->finished = true;
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
