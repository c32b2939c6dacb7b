/* referral: a small HTTP(S) client on pxehub's loop: libcurl's multi
 * interface driven through the SDK's fd watches and one timer, so no call
 * ever blocks the loop. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referral.h"

struct rh {
	pxh_host *h;
	CURLM *multi;
	pxh_timer *timer; /* libcurl's one timeout; stale once it fired */
	char *ca_file;
	long timeout_ms, connect_timeout_ms;
	size_t max_body;
	struct rh_call *calls; /* in flight and queued */
	size_t n_calls;
	size_t active, max_active;
	/* calls waiting for a free slot, oldest first: libcurl's own limit
	 * (CURLMOPT_MAX_HOST_CONNECTIONS) would count the wait against the
	 * connect timeout */
	struct rh_call *queue_head, **queue_tail;
	size_t n_queued; /* at most RH_QUEUE_MAX */
};

/* Calls waiting for a slot, at most: beyond, a request is refused at once
 * (the caller fails over), so a storm against a slow service cannot grow
 * memory without bound. */
#define RH_QUEUE_MAX 1024

struct rh_call {
	struct rh *c;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	size_t len, cap;
	bool too_big;
	char *post;
	rh_done_fn done;
	void *ud;
	double started;
	bool added;                /* handed to libcurl (else queued) */
	bool not_sent;             /* ended in the queue */
	struct rh_call *queue_next;
	char errbuf[CURL_ERROR_SIZE];
	struct rh_call *next, **pprev;
};

/* One socket libcurl asked us to watch. */
struct sock {
	pxh_io *io;
	struct rh *c;
};

static void check_done(struct rh *c);

static void queue_remove(struct rh *c, struct rh_call *k)
{
	struct rh_call **pp = &c->queue_head;

	while (*pp && *pp != k)
		pp = &(*pp)->queue_next;
	if (!*pp)
		return;
	*pp = k->queue_next;
	if (c->queue_tail == &k->queue_next)
		c->queue_tail = pp;
	c->n_queued--;
}

static void call_unlink_free(struct rh_call *k)
{
	struct rh *c = k->c;

	if (k->added) {
		curl_multi_remove_handle(c->multi, k->easy);
		c->active--;
	} else {
		queue_remove(c, k);
	}
	curl_easy_cleanup(k->easy);
	curl_slist_free_all(k->headers);
	*k->pprev = k->next;
	if (k->next)
		k->next->pprev = k->pprev;
	c->n_calls--;
	free(k->body);
	free(k->post);
	free(k);
}

static void on_io(void *ud, int fd, int revents)
{
	struct sock *s = ud;
	struct rh *c = s->c; /* S may be freed inside socket_action */
	int running, flags = 0;

	if (revents & PXH_IO_READ)
		flags |= CURL_CSELECT_IN;
	if (revents & PXH_IO_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	check_done(c);
}

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *cbp, void *sockp)
{
	struct rh *c = cbp;
	struct sock *s = sockp;
	int ev = (what & CURL_POLL_IN ? PXH_IO_READ : 0) |
	         (what & CURL_POLL_OUT ? PXH_IO_WRITE : 0);

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			pxh_io_stop(s->io);
			free(s);
			curl_multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->c = c;
		s->io = pxh_io_watch(c->h, fd, ev, on_io, s);
		if (!s->io) {
			free(s);
			return -1;
		}
		curl_multi_assign(c->multi, fd, s);
	} else {
		pxh_io_modify(s->io, ev);
	}
	return 0;
}

static void on_timer(void *ud)
{
	struct rh *c = ud;
	int running;

	/* The SDK keeps a fired one-shot timer until it is stopped: timer_cb
	 * (or rh_free) stops it. */
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(c);
}

static int timer_cb(CURLM *m, long ms, void *ud)
{
	struct rh *c = ud;

	(void)m;
	pxh_timer_stop(c->timer);
	c->timer = NULL;
	if (ms >= 0) {
		c->timer = pxh_timer_start(c->h, (double)ms / 1000.0, 0, on_timer, c);
		if (!c->timer)
			return -1;
	}
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
	struct rh_call *k = ud;
	size_t len = size * n;

	if (k->len + len > k->c->max_body) {
		k->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (k->len + len + 1 > k->cap) {
		size_t ncap = (k->len + len + 1) * 2;
		char *nb = realloc(k->body, ncap);

		if (!nb)
			return 0;
		k->body = nb;
		k->cap = ncap;
	}
	memcpy(k->body + k->len, p, len);
	k->len += len;
	k->body[k->len] = 0;
	return len;
}

static void finish_call(struct rh *c, struct rh_call *k, CURLcode res)
{
	struct rh_result r = {0};

	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &r.status);
	r.body = k->body ? k->body : "";
	r.body_len = k->len;
	r.seconds = pxh_now(c->h) - k->started;
	r.not_sent = k->not_sent;
	if (res != CURLE_OK) {
		r.timed_out = res == CURLE_OPERATION_TIMEDOUT;
		r.error = k->too_big ? "answer larger than max_answer"
		          : k->errbuf[0] ? k->errbuf
		          : curl_easy_strerror(res);
		r.status = 0;
	}
	/* The callback may start new calls; R stays valid until it returns. */
	k->done(k->ud, &r);
	call_unlink_free(k);
}

/* Hand queued calls to libcurl while there is room; one that libcurl
 * refuses ends at once with an error. */
static void start_queued(struct rh *c)
{
	while (c->queue_head && c->active < c->max_active) {
		struct rh_call *k = c->queue_head;

		c->queue_head = k->queue_next;
		if (!c->queue_head)
			c->queue_tail = &c->queue_head;
		c->n_queued--;
		k->queue_next = NULL;
		/* waited longer than its whole timeout: whoever asked has had
		 * its answer (a deadline) already, so the service is not asked */
		if (pxh_now(c->h) - k->started > (double)c->timeout_ms / 1000.0) {
			snprintf(k->errbuf, sizeof(k->errbuf),
			         "waited %.0f ms for a free connection, past the timeout",
			         (pxh_now(c->h) - k->started) * 1000);
			k->not_sent = true;
			finish_call(c, k, CURLE_OPERATION_TIMEDOUT);
			continue;
		}
		k->added = true;
		c->active++;
		if (curl_multi_add_handle(c->multi, k->easy) != CURLM_OK) {
			k->added = false;
			c->active--;
			snprintf(k->errbuf, sizeof(k->errbuf), "request not started");
			finish_call(c, k, CURLE_FAILED_INIT);
		}
	}
}

static void check_done(struct rh *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct rh_call *k = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&k);
		if (k)
			finish_call(c, k, m->data.result);
	}
	start_queued(c);
}

struct rh *rh_new(pxh_host *h, const struct rh_opts *o)
{
	struct rh *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->h = h;
	c->multi = curl_multi_init();
	if (!c->multi) {
		free(c);
		return NULL;
	}
	if (o->ca_file && *o->ca_file && !(c->ca_file = strdup(o->ca_file))) {
		rh_free(c);
		return NULL;
	}
	c->timeout_ms = o->timeout_ms;
	c->connect_timeout_ms = o->connect_timeout_ms;
	c->max_body = o->max_body;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* a boot storm queues here instead of opening a connection (and a TLS
	 * handshake) per client at the web service */
	c->max_active = o->max_active > 0 ? o->max_active : 1;
	c->queue_tail = &c->queue_head;
	return c;
}

void rh_free(struct rh *c)
{
	if (!c)
		return;
	while (c->calls)
		call_unlink_free(c->calls);
	curl_multi_cleanup(c->multi); /* may still call sock_cb: before the timer */
	pxh_timer_stop(c->timer);
	free(c->ca_file);
	free(c);
}

static int setup(struct rh *c, struct rh_call *k, const char *url,
                 const char *body)
{
	CURL *e = k->easy;
	int bad = 0;

#define SET(opt, val) (bad |= curl_easy_setopt(e, opt, val) != CURLE_OK)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PRIVATE, k);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, k);
	SET(CURLOPT_ERRORBUFFER, k->errbuf);
	SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_USERAGENT, "pxehub-referral/1");
	if (c->ca_file)
		SET(CURLOPT_CAINFO, c->ca_file);
	k->headers = curl_slist_append(NULL, "Accept: text/plain, application/json");
	if (body) {
		k->post = strdup(body);
		if (!k->post)
			return -ENOMEM;
		k->headers = curl_slist_append(k->headers, "Content-Type: application/json");
		/* no 100-continue round trip for a big facts object */
		k->headers = curl_slist_append(k->headers, "Expect:");
		SET(CURLOPT_POSTFIELDS, k->post);
	}
	if (!k->headers)
		return -ENOMEM;
	SET(CURLOPT_HTTPHEADER, k->headers);
#undef SET
	return bad ? -EINVAL : 0;
}

struct rh_call *rh_request(struct rh *c, const char *url, const char *body,
                           rh_done_fn done, void *ud)
{
	struct rh_call *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->c = c;
	k->done = done;
	k->ud = ud;
	k->started = pxh_now(c->h);
	k->easy = curl_easy_init();
	if (!k->easy) {
		free(k);
		return NULL;
	}
	k->next = c->calls;
	if (k->next)
		k->next->pprev = &k->next;
	k->pprev = &c->calls;
	c->calls = k;
	c->n_calls++;
	if (setup(c, k, url, body)) {
		call_unlink_free(k);
		return NULL;
	}
	if (c->active >= c->max_active) {
		if (c->n_queued >= RH_QUEUE_MAX) {
			call_unlink_free(k); /* not queued yet: nothing to remove */
			return NULL;
		}
		*c->queue_tail = k;
		c->queue_tail = &k->queue_next;
		c->n_queued++;
		return k;
	}
	if (curl_multi_add_handle(c->multi, k->easy) != CURLM_OK) {
		call_unlink_free(k);
		return NULL;
	}
	k->added = true;
	c->active++;
	return k;
}

void rh_cancel(struct rh_call *k)
{
	struct rh *c;

	if (!k)
		return;
	c = k->c;
	call_unlink_free(k);
	start_queued(c);
}

size_t rh_in_flight(const struct rh *c)
{
	return c->n_calls;
}
