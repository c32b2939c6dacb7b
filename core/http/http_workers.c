/* Worker loops ([server] workers > 1): threads that accept, handshake, read
 * and send HTTP(S) on their own SO_REUSEPORT listeners, and the inboxes
 * through which connections, events and settings cross between them and
 * the main loop (docs/http.md, "Worker loops"). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "conf.h"
#include "counters.h"
#include "events.h"
#include "http.h"
#include "log.h"
#include "loop_stats.h"

enum msg_type {
	M_EVENT,     /* to the main loop: emit EV */
	M_SETTINGS,  /* to a worker: SET and TLS replace its own (a reload) */
	M_LISTENERS, /* to a worker: close its listeners (a stop) */
	M_IDLE,      /* to a worker: close its idle connections (a stop) */
	M_ALL,       /* to a worker: close every connection (grace is over) */
	M_EXIT,      /* to a worker: close everything, end the thread */
};

struct pxh_http_msg {
	struct pxh_http_msg *next;
	enum msg_type type;
	struct pxh_http_settings *set;
	struct pxh_http_tls *tls;
	pxh_event ev;
	pxh_client client; /* what ev.client points to: the sender's is gone */
};

unsigned pxh_http_workers_wanted(const struct pxh_conf *conf)
{
	long long n = pxh_server_conf(conf)->workers;

	if (n <= 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		n = cpus > 0 ? cpus : 1;
	}
	if (n > PXH_HTTP_MAX_WORKERS)
		n = PXH_HTTP_MAX_WORKERS;
	return (unsigned)n;
}

static void push_msg(struct pxh_http_loop *lp, struct pxh_http_msg *m)
{
	m->next = NULL;
	pxh_http_loop_lock(lp);
	if (lp->in_msgs_tail)
		lp->in_msgs_tail->next = m;
	else
		lp->in_msgs = m;
	lp->in_msgs_tail = m;
	pxh_http_loop_unlock(lp);
	ev_async_send(lp->loop, &lp->wake);
}

static int send_msg(struct pxh_http_loop *lp, enum msg_type type)
{
	struct pxh_http_msg *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->type = type;
	push_msg(lp, m);
	return 0;
}

void pxh_http_emit(struct pxh_http_loop *lp, const pxh_event *ev)
{
	struct pxh_http *h = lp->h;
	struct pxh_http_msg *m;

	if (lp == &h->main_lp) {
		pxh_emit(h->srv, ev);
		return;
	}
	/* history, counters, hooks and streams live on the main loop: the
	 * event goes there, in order with this worker's other events */
	m = malloc(sizeof(*m));
	if (!m) {
		pxh_warn("http: out of memory: event %s lost",
		         pxh_event_kind_name(ev->kind));
		return;
	}
	m->type = M_EVENT;
	m->set = NULL;
	m->tls = NULL;
	m->ev = *ev;
	/* the event names its client by pointer (ABI 1.0): copy that too */
	pxh_client_import(&m->client, ev->client);
	m->ev.client = &m->client;
	push_msg(&h->main_lp, m);
}

static void set_settings(struct pxh_http_loop *lp, struct pxh_http_settings *set,
                         struct pxh_http_tls *tls)
{
	if (set) {
		if (lp->own_set) {
			pxh_http_settings_free(lp->own_set);
			free(lp->own_set);
		}
		lp->own_set = set;
		lp->set = set;
	}
	/* new connections get the new credentials; open ones keep theirs */
	pxh_http_tls_free(lp->tls);
	lp->tls = tls;
}

static void handle(struct pxh_http_loop *lp, struct pxh_http_msg *m)
{
	switch (m->type) {
	case M_EVENT:
		pxh_emit(lp->h->srv, &m->ev);
		break;
	case M_SETTINGS:
		set_settings(lp, m->set, m->tls);
		break;
	case M_LISTENERS:
		lp->stopping = true;
		pxh_http_loop_close_listeners(lp);
		break;
	case M_IDLE:
		pxh_http_loop_conns_close(lp, true);
		break;
	case M_ALL:
		pxh_http_loop_conns_close(lp, false);
		break;
	case M_EXIT:
		lp->stopping = true;
		pxh_http_loop_close_listeners(lp);
		pxh_http_loop_conns_close(lp, false);
		pxh_http_loop_inbox_close(lp);
		ev_break(lp->loop, EVBREAK_ALL);
		break;
	}
}

/* The inbox: messages first (a worker's download_end before the request
 * that came after it), then the connections handed over. */
static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	struct pxh_http_loop *lp = w->data;
	struct pxh_http_msg *m, *next;

	(void)loop;
	(void)revents;
	pxh_http_loop_lock(lp);
	m = lp->in_msgs;
	lp->in_msgs = lp->in_msgs_tail = NULL;
	pxh_http_loop_unlock(lp);
	for (; m; m = next) {
		next = m->next;
		handle(lp, m);
		free(m);
	}
	pxh_http_loop_deliver(lp);
}

static void loop_init(struct pxh_http *h, struct pxh_http_loop *lp,
                      struct ev_loop *loop, unsigned index)
{
	lp->h = h;
	lp->loop = loop;
	lp->index = index;
	pthread_mutex_init(&lp->lock, NULL);
	ev_async_init(&lp->wake, on_wake);
	lp->wake.data = lp;
}

int pxh_http_loops_init(struct pxh_http *h, unsigned n)
{
	struct pxh_server *s = h->srv;

	loop_init(h, &h->main_lp, s->loop, 0);
	h->main_lp.set = &h->set;
	if (n <= 1)
		return 0;
	h->workers = calloc(n, sizeof(*h->workers));
	if (!h->workers)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		struct pxh_http_loop *w = &h->workers[i];
		struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
		char name[96];

		if (!loop)
			return -ENOMEM;
		loop_init(h, w, loop, i + 1);
		h->n_workers = i + 1;
		w->own_set = calloc(1, sizeof(*w->own_set));
		if (!w->own_set)
			return -ENOMEM;
		pxh_http_settings_load(s->conf, w->own_set);
		w->set = w->own_set;
		snprintf(name, sizeof(name),
		         "pxehub_http_worker_requests_total{worker=\"%u\"}", i + 1);
		w->requests = pxh_counter(s, name,
		                          "HTTP requests read by each worker loop");
		ev_async_start(loop, &w->wake);
		/* turn lengths per worker: pxehub_loop_turn_seconds{loop="http-N"} */
		snprintf(name, sizeof(name), "http-%u", i + 1);
		w->stats = pxh_loop_stats_start(s, loop, name);
	}
	ev_async_start(s->loop, &h->main_lp.wake);
	return 0;
}

static void *worker_main(void *arg)
{
	struct pxh_http_loop *lp = arg;

	ev_run(lp->loop, 0);
	return NULL;
}

int pxh_http_workers_start(struct pxh_http *h)
{
	sigset_t all, old;
	int rc = 0;

	if (!h->n_workers)
		return 0;
	/* signals are the main loop's (SIGHUP, SIGTERM) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (unsigned i = 0; i < h->n_workers && !rc; i++) {
		struct pxh_http_loop *w = &h->workers[i];
		char name[16];

		w->tls = pxh_http_tls_ref(h->tls);
		rc = -pthread_create(&w->thread, NULL, worker_main, w);
		if (rc)
			break;
		w->running = true;
		snprintf(name, sizeof(name), "pxh-http-%u", w->index);
		pthread_setname_np(w->thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		pxh_err("http: cannot start worker threads: %s", strerror(-rc));
	else
		pxh_info("http: %u worker loops serve HTTP(S); decisions, plugins and "
		         "the API stay on the main loop", h->n_workers);
	return rc;
}

void pxh_http_workers_reload(struct pxh_http *h)
{
	for (unsigned i = 0; i < h->n_workers; i++) {
		struct pxh_http_msg *m = calloc(1, sizeof(*m));

		if (m)
			m->set = calloc(1, sizeof(*m->set));
		if (!m || !m->set) {
			free(m);
			pxh_warn("http: out of memory: worker %u keeps its old settings", i + 1);
			continue;
		}
		m->type = M_SETTINGS;
		pxh_http_settings_load(h->srv->conf, m->set);
		m->tls = pxh_http_tls_ref(h->tls);
		push_msg(&h->workers[i], m);
	}
}

void pxh_http_workers_close(struct pxh_http *h, bool listeners, bool idle_only)
{
	for (unsigned i = 0; i < h->n_workers; i++) {
		if (listeners)
			send_msg(&h->workers[i], M_LISTENERS);
		send_msg(&h->workers[i], idle_only ? M_IDLE : M_ALL);
	}
}

void pxh_http_loops_free(struct pxh_http *h)
{
	struct pxh_http_msg *m, *next;

	for (unsigned i = 0; i < h->n_workers; i++) {
		struct pxh_http_loop *w = &h->workers[i];

		if (!w->running)
			continue;
		if (send_msg(w, M_EXIT) == 0)
			pthread_join(w->thread, NULL);
		w->running = false;
	}
	/* what the workers handed over last: events are emitted, the
	 * connections closed */
	m = h->main_lp.in_msgs;
	h->main_lp.in_msgs = h->main_lp.in_msgs_tail = NULL;
	for (; m; m = next) {
		next = m->next;
		if (m->type == M_EVENT)
			pxh_emit(h->srv, &m->ev);
		free(m);
	}
	pxh_http_loop_inbox_close(&h->main_lp);
	if (h->n_workers)
		ev_async_stop(h->srv->loop, &h->main_lp.wake);
	for (unsigned i = 0; i < h->n_workers; i++) {
		struct pxh_http_loop *w = &h->workers[i];

		for (m = w->in_msgs; m; m = next) {
			next = m->next;
			if (m->type == M_SETTINGS) {
				pxh_http_settings_free(m->set);
				free(m->set);
				pxh_http_tls_free(m->tls);
			}
			free(m);
		}
		pxh_http_loop_inbox_close(w);
		set_settings(w, NULL, NULL);
		pxh_http_bulk_free(w->bulk);
		w->bulk = NULL;
		if (w->own_set) {
			pxh_http_settings_free(w->own_set);
			free(w->own_set);
		}
		ev_async_stop(w->loop, &w->wake);
		/* its gauges are not read after this: HTTP is stopped */
		pxh_loop_stats_stop(w->stats);
		w->stats = NULL;
		ev_loop_destroy(w->loop);
		pthread_mutex_destroy(&w->lock);
	}
	free(h->workers);
	h->workers = NULL;
	h->n_workers = 0;
}
