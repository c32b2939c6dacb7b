/* One syslog collector: its queue and its UDP, TCP or TLS connection.
 *
 * Everything runs on the loop thread through the SDK's fd watches and
 * timers; sockets are non-blocking, so a collector that stalls only fills
 * this target's bounded queue.  Name lookups (getaddrinfo blocks) run on
 * the work pool. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "syslog_target.h"
#include "syslog_tls.h"

struct sl_resolve {
	struct sl_target *t; /* NULL once the target is gone */
	char host[256], port[8];
	int socktype;
	struct sockaddr_storage addr;
	socklen_t alen;
	int rc;
};

static void connect_now(struct sl_target *t);
static void flush(struct sl_target *t);

const char *sl_target_state_name(const struct sl_target *t)
{
	static const char *const names[] = {
		[SL_DOWN] = "down", [SL_RESOLVING] = "resolving",
		[SL_CONNECTING] = "connecting", [SL_HANDSHAKE] = "handshake",
		[SL_UP] = "up",
	};
	return names[t->state];
}

static const char *proto_name(const struct sl_target *t)
{
	return t->cf.transport == SL_UDP ? "udp"
	       : t->cf.transport == SL_TCP ? "tcp" : "tls";
}

/* ---- connection teardown and retry -------------------------------------- */
static void close_conn(struct sl_target *t)
{
	pxh_timer_stop(t->deadline);
	t->deadline = NULL;
	pxh_timer_stop(t->probe);
	t->probe = NULL;
	pxh_io_stop(t->io);
	t->io = NULL;
	t->io_events = 0;
	sl_tls_free(t->tls);
	t->tls = NULL;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	/* a message cut off mid-way is sent again whole on the next
	 * connection: the collector never saw its end */
	t->off = 0;
	t->tls_pending = false;
}

static void retry_cb(void *ud)
{
	struct sl_target *t = ud;

	pxh_timer_stop(t->retry);
	t->retry = NULL;
	connect_now(t);
}

/* The connection failed or went away: queue from now on, retry later. */
static void fail(struct sl_target *t, const char *why)
{
	double wait;
	char hint[400];

	if (t->state == SL_UP) {
		if (pxh_now(t->h) - t->up_since >= SL_STABLE_SECS) {
			/* a connection that worked for a while: a new story */
			t->failing = t->flapping = false;
			t->backoff = t->cf.backoff_min;
		} else {
			/* accepted, then dropped at once (a collector refusing
			 * us after the handshake): keep backing off */
			t->flapping = true;
			if (t->cf.transport == SL_TLS && !t->cf.cert[0]) {
				snprintf(hint, sizeof(hint), "%s (closed right after "
				         "the handshake: does the collector want a "
				         "client certificate? set cert and key)", why);
				why = hint;
			}
		}
	}
	wait = t->backoff;
	close_conn(t);
	t->state = SL_DOWN;
	t->udp_failed = t->cf.transport == SL_UDP;
	t->failures++;
	snprintf(t->err, sizeof(t->err), "%s", why);
	if (!t->failing)
		t->warned = true; /* up() says when it is back */
	pxh_log(t->h, t->failing ? PXH_LOG_DEBUG : PXH_LOG_WARNING, NULL,
	        "target %s (%s %s:%s): %s; %zu queued, retrying in %.1fs",
	        t->cf.name, proto_name(t), t->cf.host, t->cf.port, why,
	        t->q.count, wait);
	t->failing = true;
	t->backoff = t->backoff * 2 > t->cf.backoff_max ? t->cf.backoff_max
	                                                : t->backoff * 2;
	if (t->stopping)
		return;
	pxh_timer_stop(t->retry);
	t->retry = pxh_timer_start(t->h, wait, 0, retry_cb, t);
}

static void fail_errno(struct sl_target *t, const char *what, int err)
{
	char why[160];

	snprintf(why, sizeof(why), "%s: %s", what, strerror(err));
	fail(t, why);
}

/* ---- watches --------------------------------------------------------------- */
static void io_cb(void *ud, int fd, int revents);

static void want(struct sl_target *t, int events)
{
	if (!t->io) {
		t->io = pxh_io_watch(t->h, t->fd, events, io_cb, t);
		t->io_events = events;
		return;
	}
	if (events != t->io_events) {
		pxh_io_modify(t->io, events);
		t->io_events = events;
	}
}

/* What an established connection waits for: streams always read (to see
 * the collector close), write while something is queued. */
static void want_up(struct sl_target *t)
{
	int ev = t->q.count ? PXH_IO_WRITE : 0;

	if (t->cf.transport != SL_UDP)
		ev |= PXH_IO_READ;
	want(t, ev);
}

static void up(struct sl_target *t)
{
	pxh_timer_stop(t->deadline);
	t->deadline = NULL;
	t->state = SL_UP;
	t->up_since = pxh_now(t->h);
	/* a UDP collector that was away: one datagram first (flush) */
	t->udp_probe = t->cf.transport == SL_UDP && t->udp_failed;
	if (t->ever_up && t->cf.transport != SL_UDP)
		t->reconnects++;
	/* the backoff is reset once the connection proved stable (fail()) */
	if (!t->ever_up || t->warned)
		pxh_log(t->h, t->ever_up ? PXH_LOG_NOTICE : PXH_LOG_INFO, NULL,
		        "target %s: %s to %s:%s%s, %zu queued", t->cf.name,
		        t->cf.transport == SL_UDP ? "sending" : "connected",
		        t->cf.host, t->cf.port, t->ever_up ? " again" : "",
		        t->q.count);
	t->ever_up = true;
	t->warned = false;
	want_up(t);
	flush(t);
}

/* ---- TLS handshake --------------------------------------------------------- */
static void handshake(struct sl_target *t)
{
	char err[256] = "";
	int w = 0;
	int rc = sl_tls_handshake(t->tls, &w, err, sizeof(err));

	if (rc == -EAGAIN) {
		want(t, w);
		return;
	}
	if (rc < 0) {
		fail(t, err);
		return;
	}
	up(t);
}

static void connected(struct sl_target *t)
{
	char err[256] = "";

	if (t->cf.transport != SL_TLS) {
		up(t);
		return;
	}
	if (sl_tls_new(&t->tls, t->creds, t->fd, t->cf.tls_name, err,
	               sizeof(err)) < 0) {
		fail(t, err);
		return;
	}
	t->state = SL_HANDSHAKE;
	handshake(t);
}

static void deadline_cb(void *ud)
{
	struct sl_target *t = ud;

	pxh_timer_stop(t->deadline);
	t->deadline = NULL;
	fail(t, t->state == SL_HANDSHAKE ? "TLS handshake timed out"
	                                 : "connect timed out");
}

/* ---- reading: streams only, to notice the collector going away ----------- */
/* Returns 0, or -EPIPE after fail(). */
static int drain(struct sl_target *t)
{
	char buf[2048], err[256] = "";

	if (t->tls) {
		if (sl_tls_drain(t->tls, err, sizeof(err)) < 0) {
			fail(t, err);
			return -EPIPE;
		}
		return 0;
	}
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(t->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0)
			continue; /* collectors send nothing we need */
		if (n == 0) {
			fail(t, "collector closed the connection");
			return -EPIPE;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		fail_errno(t, "receive", errno);
		return -EPIPE;
	}
	return 0;
}

/* ---- writing ---------------------------------------------------------------- */
#define SL_UDP_PROBE_WAIT 0.25 /* s: an ICMP unreachable is back well before */
/* One UDP datagram per message (RFC 5426 3.1).  Returns 1 to go on, 0 to
 * wait for the socket, -1 after fail(). */
static int send_udp(struct sl_target *t, struct sl_msg *m)
{
	ssize_t n = send(t->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n >= 0) {
		t->sent++;
		sl_queue_pop(&t->q);
		return 1;
	}
	switch (errno) {
	case EAGAIN:
	case ENOBUFS:
	case EINTR:
		return 0;
	case ECONNREFUSED:
		/* an ICMP port unreachable came back for an earlier datagram:
		 * nobody listens now, so keep this one queued for later */
		fail(t, "collector port unreachable (ICMP)");
		return -1;
	case EMSGSIZE:
		t->dropped++;
		sl_queue_pop(&t->q);
		return 1;
	default:
		fail_errno(t, "send", errno);
		return -1;
	}
}

static int send_stream(struct sl_target *t, struct sl_msg *m)
{
	char err[256] = "";
	ssize_t n;
	int w = PXH_IO_WRITE;

	if (t->tls)
		n = sl_tls_send(t->tls, m->data + t->off, m->len - t->off, &w,
		                err, sizeof(err));
	else if ((n = send(t->fd, m->data + t->off, m->len - t->off,
	                   MSG_DONTWAIT | MSG_NOSIGNAL)) < 0)
		n = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR
		            ? -EAGAIN : -errno;
	if (n == -EAGAIN) {
		t->tls_pending = t->tls != NULL;
		want(t, w | PXH_IO_READ);
		return 0;
	}
	if (n < 0) {
		if (t->tls)
			fail(t, err);
		else
			fail_errno(t, "send", (int)-n);
		return -1;
	}
	t->tls_pending = false;
	t->off += (size_t)n;
	if (t->off == m->len) {
		t->off = 0;
		t->sent++;
		sl_queue_pop(&t->q);
	}
	return 1;
}

static void flush(struct sl_target *t);

/* The probe's wait is over: an ICMP port unreachable for the head message
 * shows as a pending socket error.  Then the message stays queued (the
 * collector never got it) and the target fails; else it arrived as far as
 * UDP can tell, and the rest of the queue follows. */
static void probe_cb(void *ud)
{
	struct sl_target *t = ud;
	int err = 0;
	socklen_t len = sizeof(err);

	pxh_timer_stop(t->probe);
	t->probe = NULL;
	t->udp_probe = false;
	if (t->state != SL_UP)
		return;
	if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
	    err == ECONNREFUSED) {
		fail(t, "collector port unreachable (ICMP)");
		return;
	}
	if (sl_queue_head(&t->q)) {
		t->sent++;
		sl_queue_pop(&t->q);
	}
	t->udp_failed = false;
	flush(t);
}

static void flush(struct sl_target *t)
{
	struct sl_msg *m;
	int rc = 1;

	if (t->state != SL_UP || t->probe)
		return;
	if (t->udp_probe) {
		/* The probe is the oldest queued message itself, alone: no
		 * empty datagram, nothing a collector would log twice.  It
		 * stays queued until the pause for an ICMP answer is over
		 * (probe_cb), so a collector still away loses nothing. */
		ssize_t n = -1;

		while ((m = sl_queue_head(&t->q)) &&
		       (n = send(t->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL)) < 0 &&
		       errno == EMSGSIZE) {
			t->dropped++; /* too large for a datagram: never sendable */
			sl_queue_pop(&t->q);
		}
		if (!m)
			return; /* probed when there is something to send */
		if (n < 0) {
			if (errno == ECONNREFUSED)
				fail(t, "collector port unreachable (ICMP)");
			else if (errno != EAGAIN && errno != ENOBUFS && errno != EINTR)
				fail_errno(t, "send", errno);
			else
				want(t, PXH_IO_WRITE);
			return;
		}
		t->probe = pxh_timer_start(t->h, SL_UDP_PROBE_WAIT, 0, probe_cb, t);
		if (!t->probe)
			t->udp_probe = false;
		return;
	}
	/* A collector that closed since we last wrote would swallow what we
	 * write now (its kernel answers with a reset): look first. */
	if (t->cf.transport != SL_UDP && drain(t) < 0)
		return;
	while (rc > 0 && (m = sl_queue_head(&t->q)))
		rc = t->cf.transport == SL_UDP ? send_udp(t, m)
		                               : send_stream(t, m);
	if (rc < 0)
		return;
	if (rc == 0 && t->cf.transport == SL_UDP)
		want(t, PXH_IO_WRITE);
	else if (rc > 0)
		want_up(t);
}

static void io_cb(void *ud, int fd, int revents)
{
	struct sl_target *t = ud;
	int err = 0;
	socklen_t len = sizeof(err);

	switch (t->state) {
	case SL_CONNECTING:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			fail_errno(t, "connect", err);
			return;
		}
		connected(t);
		return;
	case SL_HANDSHAKE:
		handshake(t);
		return;
	case SL_UP:
		if ((revents & PXH_IO_READ) && drain(t) < 0)
			return;
		if (revents & PXH_IO_WRITE || t->q.count)
			flush(t);
		return;
	default:
		return;
	}
}

/* ---- connecting ---------------------------------------------------------- */
static int socktype(const struct sl_target *t)
{
	return t->cf.transport == SL_UDP ? SOCK_DGRAM : SOCK_STREAM;
}

static void connect_addr(struct sl_target *t)
{
	int fd = socket(t->addr.ss_family, socktype(t) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		fail_errno(t, "socket", errno);
		return;
	}
	t->fd = fd;
	/* our queue is the buffer: what sits in the kernel when a connection
	 * dies is lost, so keep that small (autotuning grows it to MBs) */
	if (t->cf.sndbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &t->cf.sndbuf, sizeof(t->cf.sndbuf));
	/* one limit for connect and TLS handshake (up() stops it) */
	if (t->cf.transport != SL_UDP)
		t->deadline = pxh_timer_start(t->h, t->cf.connect_timeout, 0,
		                              deadline_cb, t);
	if (connect(fd, (struct sockaddr *)&t->addr, t->alen) == 0) {
		connected(t);
		return;
	}
	if (errno != EINPROGRESS) {
		fail_errno(t, "connect", errno);
		return;
	}
	t->state = SL_CONNECTING;
	want(t, PXH_IO_WRITE);
}

static int lookup(const char *host, const char *port, int type,
                  struct sockaddr_storage *ss, socklen_t *len, int flags)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = type,
	                         .ai_flags = flags};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc)
		return rc;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void resolve_work(void *ud)
{
	struct sl_resolve *r = ud;

	r->rc = lookup(r->host, r->port, r->socktype, &r->addr, &r->alen, 0);
}

static void resolve_done(void *ud)
{
	struct sl_resolve *r = ud;
	struct sl_target *t = r->t;
	char why[300];

	if (!t || t->stopping || t->state != SL_RESOLVING) {
		if (t)
			t->job = NULL;
		free(r);
		return;
	}
	t->job = NULL;
	t->state = SL_DOWN;
	if (r->rc) {
		snprintf(why, sizeof(why), "cannot resolve %s: %s", t->cf.host,
		         gai_strerror(r->rc));
		free(r);
		fail(t, why);
		return;
	}
	t->addr = r->addr;
	t->alen = r->alen;
	free(r);
	connect_addr(t);
}

static void connect_now(struct sl_target *t)
{
	struct sl_resolve *r;
	int rc;

	if (t->stopping || t->state != SL_DOWN)
		return;
	if (t->numeric) {
		connect_addr(t);
		return;
	}
	/* names are looked up again on every attempt: addresses change */
	r = calloc(1, sizeof(*r));
	if (!r) {
		fail(t, "out of memory");
		return;
	}
	r->t = t;
	snprintf(r->host, sizeof(r->host), "%s", t->cf.host);
	snprintf(r->port, sizeof(r->port), "%s", t->cf.port);
	r->socktype = socktype(t);
	t->state = SL_RESOLVING;
	t->job = r;
	rc = pxh_work_submit(t->h, resolve_work, resolve_done, r);
	if (rc < 0) {
		t->job = NULL;
		t->state = SL_DOWN;
		free(r);
		fail_errno(t, "name lookup", -rc);
	}
}

/* ---- public ---------------------------------------------------------------- */
int sl_target_start(struct sl_target *t, pxh_host *h)
{
	int rc;

	t->h = h;
	t->fd = -1;
	t->state = SL_DOWN;
	t->backoff = t->cf.backoff_min;
	/* UDP: the first datagram is a probe too (a collector absent at start
	 * would lose what went before the ICMP came back) */
	t->udp_failed = t->cf.transport == SL_UDP;
	rc = sl_queue_init(&t->q, t->cf.queue_size, t->cf.drop_oldest);
	if (rc < 0)
		return rc;
	if (t->cf.transport == SL_TLS) {
		rc = sl_tls_creds_new(&t->creds, t->cf.ca, t->cf.cert, t->cf.key,
		                      t->err, sizeof(t->err));
		if (rc < 0) {
			sl_queue_fini(&t->q);
			return rc;
		}
	}
	t->numeric = lookup(t->cf.host, t->cf.port, socktype(t), &t->addr,
	                    &t->alen, AI_NUMERICHOST | AI_NUMERICSERV) == 0;
	connect_now(t);
	return 0;
}

void sl_target_send(struct sl_target *t, const char *msg, size_t len)
{
	struct sl_msg *m;
	char prefix[24] = "";
	size_t plen = 0;

	if (len > t->cf.max_message) {
		/* RFC 5424 6.1: a sender may truncate; cut at a UTF-8 start */
		len = t->cf.max_message;
		while (len && ((unsigned char)msg[len] & 0xc0) == 0x80)
			len--;
		t->truncated++;
	}
	/* RFC 6587 3.4.1 / RFC 5425 4.3: MSG-LEN SP SYSLOG-MSG */
	if (t->cf.transport != SL_UDP)
		plen = (size_t)snprintf(prefix, sizeof(prefix), "%zu ", len);
	m = malloc(sizeof(*m) + plen + len);
	if (!m) {
		t->dropped++;
		return;
	}
	memcpy(m->data, prefix, plen);
	memcpy(m->data + plen, msg, len);
	m->len = plen + len;
	if (sl_queue_push(&t->q, m, t->off > 0 || t->tls_pending))
		t->dropped++;
	if (t->state == SL_UP)
		flush(t);
}

void sl_target_stop(struct sl_target *t)
{
	t->stopping = true;
	if (t->state == SL_UP)
		flush(t);
	if (t->q.count)
		pxh_log(t->h, PXH_LOG_WARNING, NULL,
		        "target %s: %zu messages not sent at stop", t->cf.name,
		        t->q.count);
	if (t->job)
		t->job->t = NULL;
	pxh_timer_stop(t->retry);
	t->retry = NULL;
	close_conn(t);
	sl_queue_fini(&t->q);
	sl_tls_creds_free(t->creds);
	t->creds = NULL;
}
