/* referral: a small HTTP(S) client on pxehub's loop (libcurl's multi
 * interface through plugins/common/curl/curl_loop.c, so no call ever
 * blocks the loop), with a bounded queue of calls waiting for a slot. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "referral.h"
#include "../common/curl/curl_loop.h"

struct rh {
	pxh_host *h;
	struct curl_loop *loop;
	CURLM *multi; /* the loop's */
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
	struct curl_body body;
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
	free(k->body.p);
	free(k->post);
	free(k);
}

static void finish_call(struct rh *c, struct rh_call *k, CURLcode res)
{
	struct rh_result r = {0};

	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &r.status);
	r.body = k->body.p ? k->body.p : "";
	r.body_len = k->body.len;
	r.seconds = pxh_now(c->h) - k->started;
	r.not_sent = k->not_sent;
	if (res != CURLE_OK) {
		r.timed_out = res == CURLE_OPERATION_TIMEDOUT;
		r.error = k->body.too_big ? "answer larger than max_answer"
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

/* A transfer ended (curl_loop). */
static void call_done(void *ud, CURL *easy, CURLcode res)
{
	struct rh_call *k = NULL;

	(void)ud;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&k);
	if (k)
		finish_call(k->c, k, res);
}

static void after_round(void *ud)
{
	start_queued(ud);
}

struct rh *rh_new(pxh_host *h, const struct rh_opts *o)
{
	struct rh *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->h = h;
	c->loop = curl_loop_new(h, call_done, after_round, c);
	if (!c->loop) {
		free(c);
		return NULL;
	}
	c->multi = curl_loop_multi(c->loop);
	if (o->ca_file && *o->ca_file && !(c->ca_file = strdup(o->ca_file))) {
		rh_free(c);
		return NULL;
	}
	c->timeout_ms = o->timeout_ms;
	c->connect_timeout_ms = o->connect_timeout_ms;
	c->max_body = o->max_body;
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
	curl_loop_free(c->loop);
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
	SET(CURLOPT_WRITEFUNCTION, curl_body_write);
	SET(CURLOPT_WRITEDATA, &k->body);
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
	k->body.max = c->max_body;
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
