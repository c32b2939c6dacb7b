/* One HTTP(S) connection: TLS handshake, reads, timeouts, responses. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <ev.h>
#include <gnutls/gnutls.h>

#include "http.h"
#include "addr_limit.h"
#include "clients.h"
#include "decide.h"
#include "events.h"
#include "files.h"
#include "http_module.h"
#include "log.h"
#include "server.h"
#include "str.h"

#define IN_BUF 16384
#define TLS_FILE_CHUNK 65536
/* File bodies longer than a slice are bulk: they go out from the loop's
 * bulk queue (struct pxh_http_bulk), after the turn's other callbacks, so a
 * script, an API answer, a TFTP window or a DHCP reply never waits behind
 * them for more than BULK_TURN.  Each ready connection sends at most
 * BULK_SLICE per turn, round-robin: one that is always writable (a reader
 * as fast as the loop) gets the same share as every other that can take
 * data, never the whole loop.  A slice is also the most one sendfile(2)
 * asks for: the kernel reads the file into a pipe before it knows how much
 * the socket takes, so a call that finds the socket full throws a read
 * away.
 *
 * Within a turn two pickers share the bulk time: round-robin (the queue's
 * order, each connection at most once a turn) and the favourite (the
 * queued connection with the fewest bytes of its response left, a
 * server-side figure), two parts of the time to the favourite for one to
 * round-robin, each connection at most one slice a turn.  When the turn's
 * budget serves every queued connection (the loop has time to spare: the
 * readers or the link limit) this is plain round-robin; when the budget runs
 * out first (the loop limits: TLS in user space) the downloads nearest
 * completion end first, shortest-remaining-first, while round-robin's
 * third keeps every other download at no less than a third of an equal
 * share. */
#define BULK_SLICE (256u << 10)
#define BULK_TURN 0.0005 /* seconds of bulk sending per turn of the loop */
#define BULK_FAVOUR 2.0  /* favourite's time per round-robin time */
/* TCP_NOTSENT_LOWAT of every connection: the kernel takes no more than
 * this beyond what the client's window lets out at once, so what waits
 * for a client sits in the file, not in a socket.  A scheduler can only
 * favour some downloads if the kernel holds no deep backlog for the
 * others; and bytes queued past the window go out later, one window
 * update at a time (on one machine: at the reader's expense).  In the
 * storm (docs/e2e.md) 64 KiB gave the best image stage; 32 KiB and 128
 * KiB, and none, were slower. */
#define BULK_LOWAT (64 << 10)
#define NO_HEAP ((size_t)-1)
/* TLS handshakes (an RSA signature each, a millisecond or more) get this
 * much of a turn; past it they wait for the next turn, in arrival order,
 * so a thousand clients connecting at once cannot hold the loop for
 * seconds while TFTP and DHCP wait.  One always runs per turn. */
#define HANDSHAKE_TURN 0.002
#define PIPELINE_NEST 16       /* pipelined answers per callback, nested */
/* memory bodies up to this size travel in the header's buffer (one send);
 * larger ones go out by writev from where the handler left them */
#define COPY_BODY_MAX 16384

enum conn_phase {
	C_HANDSHAKE, /* TLS handshake */
	C_READ,      /* waiting for (the rest of) a request */
	C_HANDLE,    /* a handler answers later */
	C_WRITE,     /* sending a response */
	C_STREAM,    /* an event stream: the head is out, events follow */
	C_DEAD,
};

struct pxh_http_conn {
	struct pxh_http_conn *prev, *next; /* LP's list */
	struct pxh_http *h;
	struct pxh_http_loop *lp;      /* the loop it is on now */
	struct pxh_http_loop *home;    /* the loop that accepted it */
	struct pxh_http_loop *move_to; /* hand over when the callback ends */
	struct pxh_http_conn *inext;   /* in a loop's inbox */
	int fd;
	gnutls_session_t tls;
	enum conn_phase phase;
	ev_io io;
	ev_timer timer;
	double deadline, timer_at;
	bool busy; /* counted in n_busy */
	bool counted;      /* in h->per_addr under addr_key */
	pxh_addr_key addr_key; /* the peer's address (pxh_addr_key_of) */
	double body_until; /* the request body's whole deadline */
	bool authenticated_cert;
	bool ktls; /* GnuTLS handed the send side to the kernel (kTLS) */
	char peer[64], local[64];
	unsigned local_port;
	/* input */
	char in[IN_BUF];
	size_t in_off, in_len;
	struct pxh_http_req rq;
	/* output: header (and a small memory body) in OBUF, then a larger
	 * memory body straight from RS.BODY, then a file range */
	char *obuf;
	size_t olen, ooff, ocap;
	size_t blen, boff; /* RS.BODY bytes not copied into OBUF */
	struct pxh_http_resp rs;
	uint64_t foff, fleft;
	char *tbuf; /* TLS: file bytes read, not yet sent */
	size_t tlen, toff;
	bool keep_alive;
	bool head;
	unsigned nest; /* pipelined requests answered inside one callback */
	/* events and accounting */
	enum pxh_http_route route;
	bool download;
	double t_start, moved_at; /* a download's start, its last bytes out */
	uint64_t sent_body;
	void *pending;
	void (*pending_cancel)(void *);
	/* callbacks in progress on this connection: conn_close() during one
	 * only marks it dead, the last one frees it */
	unsigned ref;
	/* the bulk queue: ready to send a slice of its file */
	struct pxh_http_bulk *bulk; /* NULL: out of memory, send inline */
	struct pxh_http_conn *qprev, *qnext;
	size_t hidx;   /* place in the queue's heap, NO_HEAP: not in it */
	uint64_t hkey; /* bytes of the response left when it was queued */
	bool queued;
	bool hs_queued; /* in the handshake queue (qprev/qnext) instead */
};

struct pxh_http_bulk {
	struct ev_loop *loop;
	ev_check drain; /* lowest priority: after the turn's other callbacks */
	ev_idle spin;   /* while some are ready: poll must not sleep */
	struct pxh_http_conn *head, *tail; /* round-robin order */
	size_t n;
	/* the same connections by bytes left, fewest at heap[0] (a binary
	 * min-heap); one that found no room in it is served round-robin */
	struct pxh_http_conn **heap;
	size_t hn, hcap;
	double fav_t, rr_t; /* bulk seconds each picker spent, see BULK_FAVOUR */
	/* TLS handshakes waiting for the next turn, and this turn's share */
	struct pxh_http_conn *hs_head, *hs_tail;
	double hs_spent;
};

/* The per-address counts: worker loops accept and close in parallel. */
static pthread_mutex_t per_addr_lock = PTHREAD_MUTEX_INITIALIZER;

static void conn_free(struct pxh_http_conn *c);

static void conn_hold(struct pxh_http_conn *c)
{
	c->ref++;
}

static void conn_move(struct pxh_http_conn *c);

/* The last callback on C ends: free it when it closed meanwhile, or hand
 * it to the loop it must move to (nothing on this thread touches it
 * after that). */
static void conn_release(struct pxh_http_conn *c)
{
	if (--c->ref > 0)
		return;
	if (c->phase == C_DEAD)
		conn_free(c);
	else if (c->move_to)
		conn_move(c);
}

static void conn_close(struct pxh_http_conn *c);
static void conn_process(struct pxh_http_conn *c);
static void conn_write(struct pxh_http_conn *c);

static double now_of(struct pxh_http_conn *c)
{
	return ev_now(c->lp->loop);
}

/* ---- timers: one per connection, pushed forward lazily ---------------- */
static void conn_deadline(struct pxh_http_conn *c, double seconds)
{
	struct ev_loop *loop = c->lp->loop;
	double at = now_of(c) + seconds;

	c->deadline = at;
	if (ev_is_active(&c->timer) && c->timer_at <= at)
		return;
	ev_timer_stop(loop, &c->timer);
	ev_timer_set(&c->timer, seconds, 0.);
	ev_timer_start(loop, &c->timer);
	c->timer_at = at;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pxh_http_conn *c = w->data;
	double now = ev_now(loop);

	if (c->phase == C_DEAD)
		return;
	if (c->deadline > now + 0.001) {
		ev_timer_set(&c->timer, c->deadline - now, 0.);
		ev_timer_start(loop, &c->timer);
		c->timer_at = c->deadline;
		return;
	}
	if (c->phase == C_HANDLE)
		return; /* the decision has its own deadline */
	if (c->phase == C_STREAM && c->ooff == c->olen)
		return; /* a quiet stream is not idle: it waits for events */
	PXH_HTTP_ADD(c->h->ctr.timeouts, 1);
	pxh_debug("http: %s: timeout (%s), closing", c->peer,
	          c->phase == C_HANDSHAKE ? "handshake" :
	          c->phase == C_WRITE || c->phase == C_STREAM ? "send" :
	          c->rq.state == PXH_RQ_IDLE ? "idle" :
	          c->rq.state == PXH_RQ_BODY ? "request body" : "request head");
	if (c->phase == C_READ && c->rq.state != PXH_RQ_IDLE && !c->tls) {
		static const char msg[] = "HTTP/1.1 408 Request Timeout\r\n"
		                          "Connection: close\r\n"
		                          "Content-Length: 0\r\n\r\n";
		ssize_t n = send(c->fd, msg, sizeof(msg) - 1,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)n;
	}
	conn_close(c);
}

/* ---- I/O primitives ---------------------------------------------------- */
static void want(struct pxh_http_conn *c, int events)
{
	struct ev_loop *loop = c->lp->loop;

	if (c->io.events == events && ev_is_active(&c->io))
		return;
	ev_io_stop(loop, &c->io);
	if (!events)
		return;
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(loop, &c->io);
}

static void want_tls(struct pxh_http_conn *c)
{
	want(c, gnutls_record_get_direction(c->tls) ? EV_WRITE : EV_READ);
}

/* Wait until the socket takes more (TLS: whatever GnuTLS waits for). */
static void want_send(struct pxh_http_conn *c)
{
	if (c->tls)
		want_tls(c);
	else
		want(c, EV_WRITE);
}

/* ---- the bulk queue ---------------------------------------------------- */
static void bulk_spin(struct pxh_http_bulk *q);
static void conn_handshake(struct pxh_http_conn *c);

static void heap_set(struct pxh_http_bulk *q, size_t i, struct pxh_http_conn *c)
{
	q->heap[i] = c;
	c->hidx = i;
}

/* Moves heap[I] up or down to its place. */
static void heap_fix(struct pxh_http_bulk *q, size_t i)
{
	struct pxh_http_conn *c = q->heap[i];

	while (i > 0 && q->heap[(i - 1) / 2]->hkey > c->hkey) {
		heap_set(q, i, q->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= q->hn)
			break;
		if (k + 1 < q->hn && q->heap[k + 1]->hkey < q->heap[k]->hkey)
			k++;
		if (q->heap[k]->hkey >= c->hkey)
			break;
		heap_set(q, i, q->heap[k]);
		i = k;
	}
	heap_set(q, i, c);
}

static void heap_push(struct pxh_http_bulk *q, struct pxh_http_conn *c)
{
	c->hkey = c->fleft + (c->tlen - c->toff);
	if (q->hn == q->hcap) {
		size_t cap = q->hcap ? 2 * q->hcap : 64;
		struct pxh_http_conn **h = realloc(q->heap, cap * sizeof(*h));

		if (!h) {
			c->hidx = NO_HEAP; /* round-robin still serves it */
			return;
		}
		q->heap = h;
		q->hcap = cap;
	}
	heap_set(q, q->hn++, c);
	heap_fix(q, q->hn - 1);
}

static void heap_remove(struct pxh_http_bulk *q, struct pxh_http_conn *c)
{
	size_t i = c->hidx;

	if (i == NO_HEAP)
		return;
	c->hidx = NO_HEAP;
	if (i == --q->hn)
		return;
	heap_set(q, i, q->heap[q->hn]);
	heap_fix(q, i);
}

static void bulk_add(struct pxh_http_conn *c)
{
	struct pxh_http_bulk *q = c->bulk;

	if (c->queued)
		return;
	want(c, 0); /* the queue calls it now, not the socket */
	c->queued = true;
	c->qnext = NULL;
	c->qprev = q->tail;
	if (q->tail)
		q->tail->qnext = c;
	else
		q->head = c;
	q->tail = c;
	q->n++;
	heap_push(q, c);
	bulk_spin(q);
}

/* Poll must not sleep while either queue holds a connection. */
static void bulk_spin(struct pxh_http_bulk *q)
{
	if (q->n || q->hs_head)
		ev_idle_start(q->loop, &q->spin);
	else
		ev_idle_stop(q->loop, &q->spin);
}

static void bulk_del(struct pxh_http_conn *c)
{
	struct pxh_http_bulk *q = c->bulk;
	struct pxh_http_conn **head, **tail;

	if (!c->queued && !c->hs_queued)
		return;
	head = c->queued ? &q->head : &q->hs_head;
	tail = c->queued ? &q->tail : &q->hs_tail;
	if (c->queued) {
		q->n--;
		heap_remove(q, c);
	}
	c->queued = c->hs_queued = false;
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		*head = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else
		*tail = c->qprev;
	c->qprev = c->qnext = NULL;
	bulk_spin(q);
}

/* A handshake over this turn's share waits at the end of the line. */
static void hs_defer(struct pxh_http_conn *c)
{
	struct pxh_http_bulk *q = c->bulk;

	want(c, 0);
	c->hs_queued = true;
	c->qnext = NULL;
	c->qprev = q->hs_tail;
	if (q->hs_tail)
		q->hs_tail->qnext = c;
	else
		q->hs_head = c;
	q->hs_tail = c;
	bulk_spin(q);
}

static void on_spin(struct ev_loop *loop, ev_idle *w, int revents)
{
	/* nothing: being active keeps poll's timeout at zero */
}

static void bulk_drain(struct ev_loop *loop, ev_check *w, int revents);

struct pxh_http_bulk *pxh_http_bulk_new(struct ev_loop *loop)
{
	struct pxh_http_bulk *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->loop = loop;
	ev_check_init(&q->drain, bulk_drain);
	ev_set_priority(&q->drain, EV_MINPRI);
	q->drain.data = q;
	ev_idle_init(&q->spin, on_spin);
	ev_set_priority(&q->spin, EV_MINPRI);
	ev_check_start(loop, &q->drain);
	ev_unref(loop); /* the drain alone must not keep the loop running */
	return q;
}

void pxh_http_bulk_free(struct pxh_http_bulk *q)
{
	if (!q)
		return;
	while (q->head)
		bulk_del(q->head);
	while (q->hs_head)
		bulk_del(q->hs_head);
	ev_ref(q->loop);
	ev_check_stop(q->loop, &q->drain);
	free(q->heap);
	free(q);
}

/* Returns bytes read, 0 at EOF, -EAGAIN, or another -errno. */
static ssize_t conn_recv(struct pxh_http_conn *c, char *buf, size_t len)
{
	ssize_t n;

	if (c->tls) {
		do
			n = gnutls_record_recv(c->tls, buf, len);
		while (n == GNUTLS_E_INTERRUPTED);
		if (n >= 0)
			return n;
		if (n == GNUTLS_E_AGAIN)
			return -EAGAIN;
		if (n == GNUTLS_E_REHANDSHAKE)
			return -EAGAIN;
		return -EPROTO;
	}
	do
		n = recv(c->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* Returns bytes sent or -EAGAIN / -errno. */
static ssize_t conn_send(struct pxh_http_conn *c, const char *buf, size_t len,
                         bool more)
{
	ssize_t n;

	if (c->tls) {
		do
			n = gnutls_record_send(c->tls, buf, len);
		while (n == GNUTLS_E_INTERRUPTED);
		if (n >= 0)
			return n;
		return n == GNUTLS_E_AGAIN ? -EAGAIN : -EPIPE;
	}
	do
		n = send(c->fd, buf, len, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* ---- connection list -------------------------------------------------- */
static void set_busy(struct pxh_http_conn *c, bool busy)
{
	if (c->busy == busy)
		return;
	c->busy = busy;
	if (busy)
		PXH_HTTP_ADD(&c->h->n_busy, 1);
	else
		__atomic_fetch_sub(&c->h->n_busy, 1, __ATOMIC_RELAXED);
}

static void emit_download(struct pxh_http_conn *c, enum pxh_event_kind kind,
                          const char *action)
{
	pxh_event ev;
	pxh_client who = {.struct_size = sizeof(who), .phase = PXH_PHASE_HTTP};

	pxh_http_copy(who.ip, sizeof(who.ip), c->peer);
	pxh_http_copy(who.server_ip, sizeof(who.server_ip), c->local);
	pxh_event_init(&ev, kind, PXH_LOG_INFO, &who);
	pxh_http_copy(ev.action, sizeof(ev.action), action);
	pxh_http_copy(ev.file, sizeof(ev.file), c->rq.path);
	ev.bytes = kind == PXH_EV_DOWNLOAD_START ? c->fleft : c->sent_body;
	if (kind == PXH_EV_DOWNLOAD_END)
		ev.duration_us = (uint64_t)((now_of(c) - c->t_start) * 1e6);
	snprintf(ev.message, sizeof(ev.message), "%s %s status %d%s",
	         c->tls ? "https" : "http", c->peer, c->rs.status,
	         c->rs.status == 206 ? " (range)" : "");
	pxh_http_emit(c->lp, &ev);
}

static void resp_reset(struct pxh_http_resp *rs)
{
	free(rs->body);
	if (rs->has_file)
		pxh_file_close(&rs->file);
	pxh_http_resp_init(rs);
}

/* Move SRC into DST (reset first), copying only what is in use; SRC is
 * left empty. */
static void resp_move(struct pxh_http_resp *dst, struct pxh_http_resp *src)
{
	resp_reset(dst);
	dst->status = src->status;
	dst->ctype = src->ctype;
	if (src->ctype == src->ctype_buf) {
		pxh_http_copy(dst->ctype_buf, sizeof(dst->ctype_buf), src->ctype_buf);
		dst->ctype = dst->ctype_buf;
	}
	if (src->extra_len) {
		memcpy(dst->extra, src->extra, src->extra_len + 1);
		dst->extra_len = src->extra_len;
	}
	dst->body = src->body;
	dst->body_len = src->body_len;
	dst->has_file = src->has_file;
	if (src->has_file)
		dst->file = src->file;
	dst->off = src->off;
	dst->len = src->len;
	dst->close = src->close;
	dst->stream = src->stream;
	pxh_http_resp_init(src);
}

/* Link C into LP's list (LP's thread). */
static void conn_link(struct pxh_http_loop *lp, struct pxh_http_conn *c)
{
	c->lp = lp;
	pxh_http_loop_lock(lp);
	c->prev = NULL;
	c->next = lp->conns;
	if (lp->conns)
		lp->conns->prev = c;
	lp->conns = c;
	pxh_http_loop_unlock(lp);
}

static void conn_unlink(struct pxh_http_conn *c)
{
	struct pxh_http_loop *lp = c->lp;

	pxh_http_loop_lock(lp);
	if (c->prev)
		c->prev->next = c->next;
	else
		lp->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
	pxh_http_loop_unlock(lp);
}

/* Hand C over to C->MOVE_TO: off this loop's watchers and list, into the
 * other loop's inbox. */
static void conn_move(struct pxh_http_conn *c)
{
	struct pxh_http_loop *to = c->move_to;

	c->move_to = NULL;
	bulk_del(c);
	ev_io_stop(c->lp->loop, &c->io);
	ev_timer_stop(c->lp->loop, &c->timer);
	conn_unlink(c);
	pxh_http_loop_send_conn(to, c);
}

static void conn_write(struct pxh_http_conn *c);
static void conn_dispatch(struct pxh_http_conn *c);
static void conn_read(struct pxh_http_conn *c);

void pxh_http_conn_arrive(struct pxh_http_loop *lp, struct pxh_http_conn *c)
{
	double left;

	conn_link(lp, c);
	left = c->deadline - ev_now(lp->loop);
	ev_timer_set(&c->timer, left > 0.001 ? left : 0.001, 0.);
	ev_timer_start(lp->loop, &c->timer);
	c->timer_at = c->deadline;
	conn_hold(c);
	if (c->phase == C_HANDLE)
		conn_dispatch(c);
	else if (c->phase == C_WRITE)
		conn_write(c);
	else if (c->phase == C_READ) {
		/* its watcher stayed behind on the other loop */
		want(c, EV_READ);
		conn_read(c);
	}
	conn_release(c);
}

void pxh_http_loop_send_conn(struct pxh_http_loop *to, struct pxh_http_conn *c)
{
	c->inext = NULL;
	pxh_http_loop_lock(to);
	if (to->in_tail)
		to->in_tail->inext = c;
	else
		to->in_conns = c;
	to->in_tail = c;
	pxh_http_loop_unlock(to);
	ev_async_send(to->loop, &to->wake);
}

static struct pxh_http_conn *inbox_take(struct pxh_http_loop *lp)
{
	struct pxh_http_conn *c;

	pxh_http_loop_lock(lp);
	c = lp->in_conns;
	lp->in_conns = lp->in_tail = NULL;
	pxh_http_loop_unlock(lp);
	return c;
}

void pxh_http_loop_deliver(struct pxh_http_loop *lp)
{
	struct pxh_http_conn *c = inbox_take(lp), *next;

	for (; c; c = next) {
		next = c->inext;
		pxh_http_conn_arrive(lp, c);
	}
}

static void conn_close(struct pxh_http_conn *c);

void pxh_http_loop_inbox_close(struct pxh_http_loop *lp)
{
	struct pxh_http_conn *c = inbox_take(lp), *next;

	for (; c; c = next) {
		next = c->inext;
		conn_link(lp, c);
		conn_close(c);
	}
}

static void conn_close(struct pxh_http_conn *c)
{
	struct pxh_http *h = c->h;
	struct ev_loop *loop = c->lp->loop;

	if (c->phase == C_DEAD)
		return;
	if (c->download && c->phase == C_WRITE)
		emit_download(c, PXH_EV_DOWNLOAD_END, "error");
	c->phase = C_DEAD;
	bulk_del(c);
	if (c->pending_cancel)
		c->pending_cancel(c->pending);
	c->pending = NULL;
	c->pending_cancel = NULL;
	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->timer);
	if (c->tls)
		pxh_http_tls_session_end(c->tls);
	c->tls = NULL; /* callers up the stack may still look */
	close(c->fd);
	set_busy(c, false);
	conn_unlink(c);
	c->move_to = NULL;
	__atomic_fetch_sub(&h->n_conns, 1, __ATOMIC_RELAXED);
	if (c->counted) {
		pthread_mutex_lock(&per_addr_lock);
		pxh_addr_count_del(&h->per_addr, c->addr_key);
		pthread_mutex_unlock(&per_addr_lock);
	}
	c->counted = false;
	if (c->ref == 0)
		conn_free(c);
}

static void conn_free(struct pxh_http_conn *c)
{
	resp_reset(&c->rs);
	pxh_http_req_free(&c->rq);
	free(c->obuf);
	free(c->tbuf);
	free(c);
}

void pxh_http_loop_conns_close(struct pxh_http_loop *lp, bool idle_only)
{
	struct pxh_http_conn *c = lp->conns, *n;

	for (; c; c = n) {
		n = c->next;
		if (c->phase == C_DEAD)
			continue;
		/* a stream never ends by itself: it goes with the idle */
		if (!idle_only || (c->phase == C_READ && c->rq.state == PXH_RQ_IDLE) ||
		    c->phase == C_HANDSHAKE || c->phase == C_STREAM)
			conn_close(c);
	}
}

/* ---- responses -------------------------------------------------------- */
static int obuf_add(struct pxh_http_conn *c, const char *p, size_t n)
{
	if (c->olen + n > c->ocap) {
		size_t cap = c->ocap ? c->ocap : 1024;
		char *nb;

		while (cap < c->olen + n)
			cap *= 2;
		nb = realloc(c->obuf, cap);
		if (!nb)
			return -ENOMEM;
		c->obuf = nb;
		c->ocap = cap;
	}
	memcpy(c->obuf + c->olen, p, n);
	c->olen += n;
	return 0;
}

static int obuf_str(struct pxh_http_conn *c, const char *str)
{
	return obuf_add(c, str, strlen(str));
}

/* Decimal digits of V into OUT (at least 21 bytes); returns the length. */
static size_t u64_text(uint64_t v, char *out)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	return n;
}

/* "Server: ...\r\nDate: ...\r\n", made again when the second changes. */
static const char *common_head(struct pxh_http_loop *h, size_t *len)
{
	time_t t = (time_t)ev_now(h->loop);

	if ((double)t != h->date_at || !h->head_len) {
		size_t o = 0;

		pxh_http_date(t, h->date, sizeof(h->date));
		h->date_at = (double)t;
		o = pxh_strcat_at(h->head, sizeof(h->head), o, "Server: ");
		o = pxh_strcat_at(h->head, sizeof(h->head), o, h->set->server_name);
		o = pxh_strcat_at(h->head, sizeof(h->head), o, "\r\nDate: ");
		o = pxh_strcat_at(h->head, sizeof(h->head), o, h->date);
		o = pxh_strcat_at(h->head, sizeof(h->head), o, "\r\n");
		h->head_len = o;
	}
	*len = h->head_len;
	return h->head;
}

static void count_status(struct pxh_http *h, int status)
{
	int k = status / 100;

	if (k >= 1 && k <= 5 && h->ctr.status[k])
		PXH_HTTP_ADD(h->ctr.status[k], 1);
}

/* The status line and headers of RS into OBUF: plain appends, no printf
 * (this runs once per request). */
static int build_head(struct pxh_http_conn *c, const struct pxh_http_resp *rs,
                      uint64_t len, bool no_body)
{
	char num[24];
	size_t n;
	const char *common = common_head(c->lp, &n);
	int rc;

	if (rs->status < 100 || rs->status > 999)
		return -EINVAL;
	num[0] = (char)('0' + rs->status / 100);
	num[1] = (char)('0' + rs->status / 10 % 10);
	num[2] = (char)('0' + rs->status % 10);
	num[3] = ' ';
	rc = obuf_add(c, "HTTP/1.1 ", 9);
	if (!rc)
		rc = obuf_add(c, num, 4);
	if (!rc)
		rc = obuf_str(c, pxh_http_reason(rs->status));
	if (!rc)
		rc = obuf_add(c, "\r\n", 2);
	if (!rc)
		rc = obuf_add(c, common, n);
	if (!rc && !no_body && rs->status != 416) {
		const char *ct = rs->ctype ? rs->ctype : "text/plain; charset=utf-8";

		rc = obuf_add(c, "Content-Type: ", 14);
		if (!rc)
			rc = obuf_str(c, ct);
		if (!rc)
			rc = obuf_add(c, "\r\n", 2);
	}
	if (!rc && !no_body && !rs->stream) {
		n = u64_text(len, num);
		rc = obuf_add(c, "Content-Length: ", 16);
		if (!rc)
			rc = obuf_add(c, num, n);
		if (!rc)
			rc = obuf_add(c, "\r\n", 2);
	}
	if (!rc && rs->extra_len)
		rc = obuf_add(c, rs->extra, rs->extra_len);
	if (!rc) {
		if (!c->keep_alive)
			rc = obuf_add(c, "Connection: close\r\n", 19);
		else if (c->rq.http_minor == 0)
			rc = obuf_add(c, "Connection: keep-alive\r\n", 24);
	}
	if (!rc)
		rc = obuf_add(c, "\r\n", 2);
	return rc;
}

/* Start sending RS (moved into the connection). */
static void conn_start_response(struct pxh_http_conn *c,
                                struct pxh_http_resp *rs)
{
	struct pxh_http *h = c->h;
	uint64_t len;
	bool no_body;
	int rc;

	resp_move(&c->rs, rs);
	rs = &c->rs;
	if (!rs->status)
		rs->status = 200;
	c->keep_alive = c->rq.keep_alive && !rs->close && !c->lp->stopping &&
	                !rs->stream && rs->status != 400 && rs->status < 500;
	/* 1xx, 204, 304 carry no body (RFC 9110 6.4.1) */
	no_body = rs->status == 204 || rs->status == 304;
	len = rs->has_file ? rs->len : rs->body_len;
	c->olen = c->ooff = 0;
	c->blen = c->boff = 0;
	rc = build_head(c, rs, len, no_body);
	if (!rc && !c->head && !no_body && rs->body_len) {
		/* a small body rides in the header's buffer; a large one is
		 * sent from where it is (TLS records take one buffer) */
		if (c->tls || rs->body_len <= COPY_BODY_MAX)
			rc = obuf_add(c, rs->body, rs->body_len);
		else
			c->blen = rs->body_len;
	}
	if (rc) {
		conn_close(c);
		return;
	}
	c->foff = rs->off;
	c->fleft = (rs->has_file && !c->head && !no_body) ? rs->len : 0;
	c->tlen = c->toff = 0;
	c->sent_body = 0;
	count_status(h, rs->status);
	PXH_HTTP_ADD(h->ctr.bytes, (uint64_t)(c->olen + c->blen));
	c->download = rs->has_file && c->fleft > 0 &&
	              (rs->status == 200 || rs->status == 206);
	if (c->download) {
		c->t_start = c->moved_at = now_of(c);
		PXH_HTTP_ADD(h->ctr.downloads, 1);
		emit_download(c, PXH_EV_DOWNLOAD_START, "start");
	}
	pxh_debug("http: %s %s %s -> %d", c->peer,
	          http_method_str((enum http_method)c->rq.method), c->rq.url,
	          rs->status);
	c->phase = C_WRITE;
	set_busy(c, true);
	conn_deadline(c, c->lp->set->send_timeout);
	if (rs->stream)
		c->home = c->lp; /* an event stream stays where the events are */
	if (c->home != c->lp && rs->has_file) {
		/* the worker that accepted it sends the file: the main loop
		 * only decided it.  A script or an API answer goes out from
		 * here at once (one send; no wait for the worker's turn), and
		 * the connection goes home to read the next request */
		c->move_to = c->home;
		return;
	}
	conn_write(c);
}

void pxh_http_conn_respond(struct pxh_http_conn *c, struct pxh_http_resp *rs)
{
	c->pending = NULL;
	c->pending_cancel = NULL;
	if (c->phase != C_HANDLE) {
		resp_reset(rs);
		return;
	}
	conn_hold(c);
	conn_start_response(c, rs);
	conn_release(c);
}

void pxh_http_conn_set_pending(struct pxh_http_conn *c, void *ud,
                               void (*cancel)(void *ud))
{
	c->pending = ud;
	c->pending_cancel = cancel;
}

const struct pxh_http_req *pxh_http_conn_req(struct pxh_http_conn *c)
{
	return &c->rq;
}

/* The response is out: next request, or close. */
static void conn_done(struct pxh_http_conn *c)
{
	if (c->download)
		emit_download(c, PXH_EV_DOWNLOAD_END, "end");
	c->download = false;
	resp_reset(&c->rs);
	set_busy(c, false);
	if (!c->keep_alive) {
		conn_close(c);
		return;
	}
	pxh_http_req_next(&c->rq);
	c->phase = C_READ;
	conn_deadline(c, c->lp->set->idle_timeout);
	if (c->ocap > 65536) {
		free(c->obuf);
		c->obuf = NULL;
		c->ocap = 0;
	}
	c->olen = c->ooff = 0;
	if (c->home != c->lp) {
		/* answered on the main loop: the next request is read at
		 * home (buffered ones included) */
		c->move_to = c->home;
		return;
	}
	/* a pipelined request may wait in the buffer already.  Each one
	 * answered at once nests a call deeper (a 16 KiB buffer holds ~900
	 * tiny requests): past a few, the loop calls back for the rest. */
	if (c->in_off < c->in_len && c->nest >= PIPELINE_NEST) {
		if (c->tls)
			want_tls(c);
		else
			want(c, EV_READ);
		ev_feed_event(c->lp->loop, &c->io, EV_READ);
		return;
	}
	c->nest++;
	conn_process(c);
	c->nest--;
}

/* Plain HTTP: the kernel copies the file (sendfile); TLS: read a chunk and
 * encrypt it.  A short write means the socket is full: wait for EPOLLOUT
 * rather than ask again only to hear EAGAIN (for sendfile that would also
 * read a chunk of the file for nothing).  Sends at most about BUDGET bytes.
 * Returns 1 when all is sent, 0 to wait for the socket, 2 when the budget
 * is spent (the socket may take more), -1 on error. */
static int send_file(struct pxh_http_conn *c, uint64_t budget)
{
	struct pxh_open_file *f = &c->rs.file;

	while (c->fleft > 0 || c->toff < c->tlen) {
		ssize_t n;
		bool full = false;

		if (f->fd < 0) {
			/* resolver content in memory */
			size_t chunk = c->fleft > budget ? (size_t)budget : (size_t)c->fleft;

			n = conn_send(c, (const char *)f->mem + c->foff, chunk, false);
			if (n == -EAGAIN)
				return 0;
			if (n <= 0)
				return -1;
			c->foff += (uint64_t)n;
			c->fleft -= (uint64_t)n;
			full = !c->tls && (size_t)n < chunk;
		} else if (!c->tls) {
			off_t off = (off_t)c->foff;
			size_t chunk = c->fleft > budget ? (size_t)budget
			                                 : (size_t)c->fleft;

			n = sendfile(c->fd, f->fd, &off, chunk);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return 0;
			if (n <= 0) /* 0: the file shrank under us */
				return -1;
			c->foff = (uint64_t)off;
			c->fleft -= (uint64_t)n;
			full = (size_t)n < chunk;
		} else if (c->ktls) {
			/* kernel TLS: the kernel encrypts what sendfile(2)
			 * moves, no copy through this process */
			off_t off = (off_t)c->foff;
			size_t chunk = c->fleft > budget ? (size_t)budget
			                                 : (size_t)c->fleft;

			n = pxh_http_tls_send_file(c->tls, f->fd, &off, chunk);
			if (n == -EAGAIN)
				return 0;
			if (n <= 0)
				return -1;
			c->foff = (uint64_t)off;
			c->fleft -= (uint64_t)n;
			full = (size_t)n < chunk;
		} else {
			if (c->toff == c->tlen) {
				size_t chunk = c->fleft > TLS_FILE_CHUNK ? TLS_FILE_CHUNK
				                                          : (size_t)c->fleft;

				if (!c->tbuf && !(c->tbuf = malloc(TLS_FILE_CHUNK)))
					return -1;
				n = pread(f->fd, c->tbuf, chunk, (off_t)c->foff);
				if (n <= 0)
					return -1;
				c->tlen = (size_t)n;
				c->toff = 0;
				c->foff += (uint64_t)n;
				c->fleft -= (uint64_t)n;
			}
			n = conn_send(c, c->tbuf + c->toff, c->tlen - c->toff, false);
			if (n == -EAGAIN)
				return 0;
			if (n <= 0)
				return -1;
			c->toff += (size_t)n;
		}
		c->sent_body += (uint64_t)n;
		PXH_HTTP_ADD(c->h->ctr.bytes, (uint64_t)n);
		c->moved_at = now_of(c);
		c->deadline = c->moved_at + c->lp->set->send_timeout;
		if (full && (c->fleft > 0 || c->toff < c->tlen))
			return 0;
		/* a reader as fast as this loop (loopback, a VM on this
		 * host) would keep it here for the whole file: the others
		 * get their slices first */
		if ((uint64_t)n >= budget && (c->fleft > 0 || c->toff < c->tlen))
			return 2;
		budget -= (uint64_t)n < budget ? (uint64_t)n : budget;
	}
	return 1;
}

/* Header, then a large memory body, in one writev (plain HTTP).  Returns
 * bytes sent or -EAGAIN / -errno. */
static ssize_t send_head_body(struct pxh_http_conn *c)
{
	struct iovec iov[2];
	struct msghdr mh;
	int k = 0;
	ssize_t n;

	if (c->ooff < c->olen) {
		iov[k].iov_base = c->obuf + c->ooff;
		iov[k++].iov_len = c->olen - c->ooff;
	}
	iov[k].iov_base = c->rs.body + c->boff;
	iov[k++].iov_len = c->blen - c->boff;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)k;
	do
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | (c->fleft > 0 ? MSG_MORE : 0));
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

static void stream_io(struct pxh_http_conn *c, int revents);

static void conn_write(struct pxh_http_conn *c)
{
	while (c->ooff < c->olen || c->boff < c->blen) {
		size_t want_n = c->olen - c->ooff + c->blen - c->boff;
		ssize_t n;

		if (c->boff < c->blen)
			n = send_head_body(c);
		else
			n = conn_send(c, c->obuf + c->ooff, c->olen - c->ooff,
			              c->fleft > 0);
		if (n == -EAGAIN)
			goto wait;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		if ((size_t)n <= c->olen - c->ooff) {
			c->ooff += (size_t)n;
		} else {
			c->boff += (size_t)n - (c->olen - c->ooff);
			c->ooff = c->olen;
		}
		c->deadline = now_of(c) + c->lp->set->send_timeout;
		/* plain socket took less: it is full (TLS sends a record) */
		if (!c->tls && (size_t)n < want_n)
			goto wait;
	}
	if (c->rs.stream && c->phase == C_WRITE) {
		/* the head of an event stream is out: from now on the
		 * stream module writes, and the connection is long-lived */
		c->phase = C_STREAM;
		set_busy(c, false);
		stream_io(c, EV_WRITE);
		return;
	}
	if (c->bulk && c->fleft + (c->tlen - c->toff) > BULK_SLICE) {
		/* bulk: the queue sends it, a slice per turn */
		bulk_add(c);
		return;
	}
	switch (send_file(c, BULK_SLICE)) {
	case 0:
		goto wait;
	case 2: /* no queue (out of memory): the socket calls back */
		want_send(c);
		if (c->bulk)
			bulk_add(c);
		return;
	case -1:
		conn_close(c);
		return;
	default:
		break;
	}
	conn_done(c);
	return;
wait:
	want_send(c);
}

/* Each turn, after every other callback, until the queue is empty (every
 * socket full or every response out) or BULK_TURN is spent: a slice at a
 * time, to the favourite (fewest bytes left) or round-robin (the oldest
 * in the queue, each connection once a turn), so that over the turns the
 * favourite gets BULK_FAVOUR times round-robin's time (see BULK_SLICE).
 * One that finds its socket full waits for it outside the queue; one
 * whose slice is out goes to the back after the turn (and into the heap
 * by its new bytes left). */
static void bulk_drain(struct ev_loop *loop, ev_check *w, int revents)
{
	struct pxh_http_bulk *q = w->data;
	struct pxh_http_conn *served = NULL, **served_end = &served, *s, *next;
	double t, now, until;

	/* the handshakes that waited, in order, with what is left of the
	 * turn's share (one at least); then a new share for the next turn */
	while (q->hs_head) {
		struct pxh_http_conn *c = q->hs_head;
		double t0 = ev_time();

		if (q->hs_spent >= HANDSHAKE_TURN)
			break;
		bulk_del(c);
		conn_hold(c);
		conn_handshake(c);
		conn_release(c);
		q->hs_spent += ev_time() - t0;
	}
	q->hs_spent = 0;
	if (!q->n) {
		q->fav_t = q->rr_t = 0; /* idle: no debt either way */
		return;
	}
	t = ev_time();
	until = t + BULK_TURN;
	while (q->n) {
		bool rr = q->rr_t * BULK_FAVOUR < q->fav_t || !q->hn;
		struct pxh_http_conn *c = rr ? q->head : q->heap[0];

		bulk_del(c);
		conn_hold(c);
		switch (send_file(c, BULK_SLICE)) {
		case 2: /* its slice is out: back in the queue after this turn */
			c->qnext = NULL;
			*served_end = c;
			served_end = &c->qnext;
			conn_hold(c);
			break;
		case 0:
			want_send(c);
			break;
		case -1:
			conn_close(c);
			break;
		default:
			conn_done(c);
			break;
		}
		conn_release(c);
		now = ev_time();
		if (rr)
			q->rr_t += now - t;
		else
			q->fav_t += now - t;
		t = now;
		if (t >= until)
			break;
	}
	/* round-robin reached every connection this turn: what it did not
	 * need is not owed to it later */
	if (!q->n && q->rr_t * BULK_FAVOUR < q->fav_t)
		q->rr_t = q->fav_t / BULK_FAVOUR;
	/* the served go behind those the budget left waiting, in the order
	 * they were served */
	for (s = served; s; s = next) {
		next = s->qnext;
		if (s->phase != C_DEAD)
			bulk_add(s);
		conn_release(s);
	}
}

/* ---- requests ---------------------------------------------------------- */
static void conn_error(struct pxh_http_conn *c, int status, const char *why)
{
	struct pxh_http_resp rs;

	pxh_http_resp_init(&rs);
	pxh_http_resp_error(&rs, status, why);
	rs.close = true;
	c->head = false; /* a HEAD before this one must not strip its body */
	c->rq.keep_alive = false;
	PXH_HTTP_ADD(c->h->ctr.bad_requests, 1);
	conn_start_response(c, &rs);
}

static void conn_dispatch(struct pxh_http_conn *c)
{
	struct pxh_http *h = c->h;
	struct pxh_http_match m;
	struct pxh_http_ctx x;
	struct pxh_http_resp rs;
	int rc;

	if (c->lp != &h->main_lp) {
		/* a worker: handlers (decisions, plugin routes, resolvers,
		 * the API) run on the main loop, so the request crosses there
		 * when this callback ends, and comes back with its answer */
		PXH_HTTP_ADD(c->lp->requests, 1);
		c->phase = C_HANDLE;
		set_busy(c, true);
		want(c, 0);
		c->move_to = &h->main_lp;
		return;
	}
	pxh_http_route_match(c->rq.path, c->rq.method, &m);
	c->route = m.route;
	c->head = c->rq.method == HTTP_HEAD;
	if (h->ctr.requests[m.route])
		PXH_HTTP_ADD(h->ctr.requests[m.route], 1);
	memset(&x, 0, sizeof(x));
	x.srv = h->srv;
	x.conn = c;
	x.rq = &c->rq;
	x.m = &m;
	x.set = &h->set;
	pxh_http_copy(x.peer, sizeof(x.peer), c->peer);
	pxh_http_copy(x.local, sizeof(x.local), c->local);
	x.local_port = c->local_port;
	x.tls = c->tls != NULL;
	x.authenticated = c->authenticated_cert ||
	                  pxh_http_bearer_ok(pxh_http_req_header(&c->rq,
	                                                         "Authorization"),
	                                     h->set.api_token) ||
	                  pxh_http_cookie_ok(&c->rq, h->set.api_token);
	x.hide_facts = pxh_http_hide_facts(&h->set, x.authenticated);
	pxh_http_resp_init(&rs);
	c->phase = C_HANDLE;
	set_busy(c, true);
	rc = pxh_http_handle(&x, &rs);
	if (c->phase == C_DEAD)
		return;
	if (rc == 1) {
		/* the answer comes later; no read timeout meanwhile */
		conn_deadline(c, pxh_decide_deadline_ms(h->srv) / 1000.0 + 30);
		want(c, 0);
		return;
	}
	conn_start_response(c, &rs);
}

/* Feed buffered input to the parser and act on what it finds. */
static void conn_process(struct pxh_http_conn *c)
{
	while (c->phase == C_READ && c->in_off < c->in_len) {
		bool was_idle = c->rq.state == PXH_RQ_IDLE;
		bool was_body = c->rq.state == PXH_RQ_BODY;
		size_t n = pxh_http_req_feed(&c->rq, c->in + c->in_off,
		                             c->in_len - c->in_off);

		c->in_off += n;
		if (was_idle && c->rq.state != PXH_RQ_IDLE)
			/* the head must be complete in header_timeout,
			 * however slowly it trickles in */
			conn_deadline(c, c->lp->set->header_timeout);
		if (c->rq.state == PXH_RQ_BODY && !was_body)
			c->body_until = now_of(c) + c->lp->set->body_timeout;
		if (c->rq.state == PXH_RQ_BODY && n > 0) {
			/* a body (an upload, a report) has idle_timeout
			 * between its pieces and body_timeout in all: one
			 * byte every few seconds does not hold a connection */
			double left = c->body_until - now_of(c);

			conn_deadline(c, left < c->lp->set->idle_timeout ? left
			                                              : c->lp->set->idle_timeout);
		}
		if (c->rq.state == PXH_RQ_ERROR) {
			pxh_debug("http: %s: %d %s", c->peer, c->rq.err_status,
			          c->rq.err_why ? c->rq.err_why : "");
			conn_error(c, c->rq.err_status, c->rq.err_why);
			return;
		}
		if (c->rq.state == PXH_RQ_COMPLETE) {
			conn_dispatch(c);
			return;
		}
		if (c->rq.state == PXH_RQ_BODY && c->rq.expect_continue) {
			static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

			c->rq.expect_continue = false;
			if (conn_send(c, cont, sizeof(cont) - 1, false) !=
			    (ssize_t)(sizeof(cont) - 1)) {
				conn_close(c);
				return;
			}
		}
		if (n == 0)
			break;
	}
	if (c->phase != C_READ)
		return;
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
	if (c->tls)
		want_tls(c);
	else
		want(c, EV_READ);
}

static void conn_read(struct pxh_http_conn *c)
{
	int rounds = 0;

	/* requests left in the buffer by conn_done first */
	if (c->in_off < c->in_len) {
		conn_process(c);
		if (c->phase != C_READ)
			return;
	}

	while (c->phase == C_READ && rounds++ < 16) {
		size_t space;
		ssize_t n;

		if (c->in_off > 0 && c->in_off == c->in_len)
			c->in_off = c->in_len = 0;
		if (c->in_len == sizeof(c->in)) {
			if (c->in_off == 0) {
				conn_error(c, 431, "request too large");
				return;
			}
			memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		space = sizeof(c->in) - c->in_len;
		n = conn_recv(c, c->in + c->in_len, space);
		if (n == -EAGAIN) {
			if (c->tls)
				want_tls(c);
			return;
		}
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->in_len += (size_t)n;
		conn_process(c);
		if (c->phase != C_READ)
			return; /* answering, or closed (the session is gone) */
		/* less than asked for: the socket is empty (and GnuTLS holds
		 * no further record), so the next recv would only say
		 * EAGAIN; the (level-triggered) watcher calls when more
		 * comes */
		if ((size_t)n < space &&
		    (!c->tls || gnutls_record_check_pending(c->tls) == 0))
			return;
	}
	/* still readable: let other connections have a turn */
	if (c->phase == C_READ)
		ev_feed_event(c->lp->loop, &c->io, EV_READ);
}

/* A handshake step now, within the turn's share; else in the queue.
 * Others waiting keep their place. */
static void conn_handshake_shared(struct pxh_http_conn *c)
{
	struct pxh_http_bulk *q = c->bulk;
	double t0;

	if (!q) {
		conn_handshake(c);
		return;
	}
	if (c->hs_queued)
		return;
	if (q->hs_head || q->hs_spent >= HANDSHAKE_TURN) {
		hs_defer(c);
		return;
	}
	t0 = ev_time();
	conn_handshake(c);
	q->hs_spent += ev_time() - t0;
}

static void conn_handshake(struct pxh_http_conn *c)
{
	int rc;

	do
		rc = gnutls_handshake(c->tls);
	while (rc == GNUTLS_E_INTERRUPTED);
	if (rc == GNUTLS_E_AGAIN) {
		want_tls(c);
		return;
	}
	if (rc < 0) {
		PXH_HTTP_ADD(c->h->ctr.tls_failures, 1);
		pxh_info("http: %s: TLS handshake failed: %s", c->peer,
		         gnutls_strerror(rc));
		conn_close(c);
		return;
	}
	c->authenticated_cert = pxh_http_tls_peer_ok(c->tls);
	c->ktls = pxh_http_tls_ktls_send(c->tls);
	c->phase = C_READ;
	conn_deadline(c, c->lp->set->header_timeout);
	conn_read(c);
}

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct pxh_http_conn *c = w->data;

	conn_hold(c);
	switch (c->phase) {
	case C_HANDSHAKE:
		conn_handshake_shared(c);
		break;
	case C_READ:
		conn_read(c);
		break;
	case C_WRITE:
		conn_write(c);
		break;
	case C_HANDLE:
		want(c, 0);
		break;
	case C_STREAM:
		stream_io(c, revents);
		break;
	default:
		break;
	}
	conn_release(c);
}

/* ---- event streams (the events themselves: http_events.c) --------------- */
/* Send what is queued; wait for EPOLLOUT while the client is slow (it then
 * has send_timeout to take something), else only watch for its close. */
static void stream_io(struct pxh_http_conn *c, int revents)
{
	if (revents & EV_READ) {
		char junk[512];
		ssize_t n = conn_recv(c, junk, sizeof(junk));

		if (n == 0 || (n < 0 && n != -EAGAIN)) {
			conn_close(c);
			return;
		}
	}
	while (c->ooff < c->olen) {
		ssize_t n = conn_send(c, c->obuf + c->ooff, c->olen - c->ooff, false);

		if (n == -EAGAIN) {
			if (c->tls)
				want_tls(c);
			else
				want(c, EV_WRITE);
			return;
		}
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->ooff += (size_t)n;
		PXH_HTTP_ADD(c->h->ctr.bytes, (uint64_t)n);
		conn_deadline(c, c->lp->set->send_timeout);
	}
	c->olen = c->ooff = 0;
	/* all sent: only the client's close (or a TLS alert) is of interest;
	 * GnuTLS's last direction would say "write" and spin the loop */
	want(c, EV_READ);
}

size_t pxh_http_conn_queued(const struct pxh_http_conn *c)
{
	return c->olen - c->ooff;
}

int pxh_http_conn_stream_add(struct pxh_http_conn *c, const char *p, size_t n)
{
	if (c->phase == C_DEAD)
		return -EPIPE;
	if (c->phase == C_STREAM && c->ooff == c->olen)
		/* the client has send_timeout to take these */
		conn_deadline(c, c->lp->set->send_timeout);
	if (c->phase == C_STREAM && c->ooff > 0) {
		memmove(c->obuf, c->obuf + c->ooff, c->olen - c->ooff);
		c->olen -= c->ooff;
		c->ooff = 0;
	}
	return obuf_add(c, p, n);
}

void pxh_http_conn_stream_flush(struct pxh_http_conn *c)
{
	if (c->phase != C_STREAM)
		return; /* the head is still going: conn_write goes on */
	conn_hold(c);
	stream_io(c, EV_WRITE);
	conn_release(c);
}

void pxh_http_conn_stream_end(struct pxh_http_conn *c)
{
	conn_hold(c);
	conn_close(c);
	conn_release(c);
}

/* ---- downloads in flight, for the console ------------------------------ */
/* One loop's downloads; its list is locked (a worker loop changes it in
 * parallel), the progress figures are read as they are. */
static size_t loop_transfers(struct pxh_http_loop *lp, struct pxh_transfer *out,
                             size_t max)
{
	size_t n = 0;

	pxh_http_loop_lock(lp);
	for (struct pxh_http_conn *c = lp->conns; c && n < max; c = c->next) {
		struct pxh_transfer *o;

		if (!c->download || c->phase != C_WRITE)
			continue;
		o = &out[n++];
		memset(o, 0, sizeof(*o));
		o->proto = c->tls ? "https" : "http";
		pxh_http_copy(o->ip, sizeof(o->ip), c->peer);
		pxh_http_copy(o->file, sizeof(o->file), c->rq.path);
		o->done = c->sent_body;
		o->size = c->sent_body + c->fleft + (c->tlen - c->toff);
		o->started = c->t_start;
		o->moved = c->moved_at;
	}
	pxh_http_loop_unlock(lp);
	return n;
}

size_t pxh_http_transfers(struct pxh_server *s, struct pxh_transfer *out,
                          size_t max)
{
	struct pxh_http *h = s ? s->http : NULL;
	size_t n;

	if (!h)
		return 0;
	n = loop_transfers(&h->main_lp, out, max);
	for (unsigned i = 0; i < h->n_workers && n < max; i++)
		n += loop_transfers(&h->workers[i], out + n, max - n);
	return n;
}

/* ---- accept ------------------------------------------------------------ */
static void addr_text(const struct sockaddr_storage *ss, char *out, size_t len,
                      unsigned *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)ss;

		inet_ntop(AF_INET, &a->sin_addr, out, (socklen_t)len);
		*port = ntohs(a->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)ss;

		inet_ntop(AF_INET6, &a->sin6_addr, out, (socklen_t)len);
		/* v4-mapped: show the IPv4 form */
		if (strncmp(out, "::ffff:", 7) == 0 && strchr(out + 7, '.'))
			memmove(out, out + 7, strlen(out + 7) + 1);
		*port = ntohs(a->sin6_port);
	} else {
		snprintf(out, len, "?");
		*port = 0;
	}
}

/* 503 and close: the connection cap, or this address's share of it. */
static void refuse_full(int fd, bool tls)
{
	static const char msg[] =
		"HTTP/1.1 503 Service Unavailable\r\n"
		"Retry-After: 2\r\nConnection: close\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Length: 37\r\n\r\n"
		"503 too many connections, try again\n\n";
	ssize_t n;

	/* TLS clients would need a handshake first; they just get a close */
	if (!tls)
		n = send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	close(fd);
}

void pxh_http_conn_accept(struct pxh_http_loop *lp, struct pxh_http_listener *l)
{
	struct pxh_http *h = lp->h;

	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss, ls;
		socklen_t sl = sizeof(ss), lsl = sizeof(ls);
		struct pxh_http_conn *c;
		unsigned port;
		pxh_addr_key key;
		int fd, one = 1, lowat = BULK_LOWAT, rc;

		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				pxh_warn("http: accept: %s", strerror(errno));
			return;
		}
		if (lp->stopping) {
			close(fd);
			continue;
		}
		PXH_HTTP_ADD(h->ctr.conns, 1);
		/* counted first, so loops accepting in parallel never pass
		 * the cap together */
		if (PXH_HTTP_ADD(&h->n_conns, 1) >= lp->set->max_connections) {
			__atomic_fetch_sub(&h->n_conns, 1, __ATOMIC_RELAXED);
			PXH_HTTP_ADD(h->ctr.rejected_cap, 1);
			refuse_full(fd, l->tls);
			continue;
		}
		key = pxh_addr_key_of((struct sockaddr *)&ss);
		pthread_mutex_lock(&per_addr_lock);
		if (lp->set->max_per_client &&
		    pxh_addr_count_get(&h->per_addr, key) >= lp->set->max_per_client)
			rc = -EBUSY;
		else
			rc = pxh_addr_count_add(&h->per_addr, key);
		pthread_mutex_unlock(&per_addr_lock);
		if (rc < 0) {
			__atomic_fetch_sub(&h->n_conns, 1, __ATOMIC_RELAXED);
			if (rc == -EBUSY) {
				PXH_HTTP_ADD(h->ctr.rejected_per_client, 1);
				refuse_full(fd, l->tls);
			} else {
				close(fd);
			}
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			__atomic_fetch_sub(&h->n_conns, 1, __ATOMIC_RELAXED);
			pthread_mutex_lock(&per_addr_lock);
			pxh_addr_count_del(&h->per_addr, key);
			pthread_mutex_unlock(&per_addr_lock);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
		if (!lp->bulk)
			lp->bulk = pxh_http_bulk_new(lp->loop);
		c->bulk = lp->bulk; /* its home loop sends its bodies */
		c->h = h;
		c->home = lp;
		c->fd = fd;
		c->counted = true;
		c->addr_key = key;
		pxh_http_resp_init(&c->rs);
		addr_text(&ss, c->peer, sizeof(c->peer), &port);
		if (getsockname(fd, (struct sockaddr *)&ls, &lsl) == 0)
			addr_text(&ls, c->local, sizeof(c->local), &c->local_port);
		pxh_http_req_init(&c->rq, lp->set->max_header);
		c->rq.report_max = lp->set->report_max;
		ev_io_init(&c->io, on_io, fd, EV_READ);
		c->io.data = c;
		ev_init(&c->timer, on_timer);
		c->timer.data = c;
		conn_link(lp, c);
		conn_hold(c);
		if (l->tls) {
			/* the main loop's credentials are the module's (a
			 * reload swaps them there); a worker holds its own */
			c->tls = pxh_http_tls_session(lp == &h->main_lp ? h->tls : lp->tls, fd);
			if (!c->tls) {
				conn_close(c);
				conn_release(c);
				continue;
			}
			c->phase = C_HANDSHAKE;
			conn_deadline(c, lp->set->header_timeout);
			conn_handshake_shared(c);
		} else {
			c->phase = C_READ;
			conn_deadline(c, lp->set->header_timeout);
			want(c, EV_READ);
		}
		conn_release(c);
	}
}
