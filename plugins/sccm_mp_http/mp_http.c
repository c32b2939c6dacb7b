/* sccm_mp_http: HTTP(S) calls to management points on pxehub's loop
 * (libcurl's multi interface fed by the SDK's fd watches and one timer),
 * with per-call TLS settings (CA file, client certificate). */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sccm_mp_http.h"

struct mp_http {
	pxh_host *h;
	CURLM *multi;
	pxh_timer *timer;
	size_t max_body;
	struct mp_call *calls;
};

struct mp_call {
	struct mp_http *c;
	CURL *easy;
	struct curl_slist *hdrs;
	uint8_t *body, *req_body;
	size_t len, cap;
	int overflow;
	mp_http_done done;
	void *ud;
	char err[CURL_ERROR_SIZE];
	struct mp_call *next;
};

struct mp_sock {
	struct mp_http *c;
	pxh_io *io;
};

static void drain(struct mp_http *c);

static void call_free(struct mp_call *k)
{
	struct mp_http *c = k->c;

	for (struct mp_call **pp = &c->calls; *pp; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	curl_multi_remove_handle(c->multi, k->easy);
	curl_easy_cleanup(k->easy);
	curl_slist_free_all(k->hdrs);
	free(k->body);
	free(k->req_body);
	free(k);
}

static void sock_ready(void *ud, int fd, int revents)
{
	struct mp_sock *s = ud;
	struct mp_http *c = s->c;
	int running;

	curl_multi_socket_action(c->multi, fd,
	                         (revents & PXH_IO_READ ? CURL_CSELECT_IN : 0) |
	                                 (revents & PXH_IO_WRITE ? CURL_CSELECT_OUT : 0),
	                         &running);
	drain(c);
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *cbp, void *sockp)
{
	struct mp_http *c = cbp;
	struct mp_sock *s = sockp;
	int want = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(c->multi, fd, NULL);
			pxh_io_stop(s->io);
			free(s);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		want |= PXH_IO_READ;
	if (what & CURL_POLL_OUT)
		want |= PXH_IO_WRITE;
	if (s)
		return pxh_io_modify(s->io, want) ? -1 : 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->c = c;
	if (!(s->io = pxh_io_watch(c->h, fd, want, sock_ready, s))) {
		free(s);
		return -1;
	}
	curl_multi_assign(c->multi, fd, s);
	return 0;
}

static void timer_fired(void *ud)
{
	struct mp_http *c = ud;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(c);
}

static int on_timer(CURLM *m, long ms, void *ud)
{
	struct mp_http *c = ud;

	(void)m;
	pxh_timer_stop(c->timer); /* a fired one-shot stays until stopped */
	c->timer = NULL;
	if (ms < 0)
		return 0;
	c->timer = pxh_timer_start(c->h, (double)ms / 1000.0, 0, timer_fired, c);
	return c->timer ? 0 : -1;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct mp_call *k = ud;
	size_t add = size * n;

	if (add > k->c->max_body - k->len) {
		k->overflow = 1;
		return 0;
	}
	if (k->len + add + 1 > k->cap) {
		size_t cap = 2 * (k->len + add) + 1;
		uint8_t *nb = realloc(k->body, cap);
		if (!nb)
			return 0;
		k->body = nb;
		k->cap = cap;
	}
	memcpy(k->body + k->len, p, add);
	k->len += add;
	k->body[k->len] = 0;
	return add;
}

static void finish(struct mp_call *k, CURLcode cc)
{
	struct mp_http_res r;
	char *ct = NULL;

	memset(&r, 0, sizeof(r));
	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(k->easy, CURLINFO_CONTENT_TYPE, &ct);
	r.content_type = ct ? ct : "";
	r.body = k->body ? k->body : (const uint8_t *)"";
	r.body_len = k->len;
	if (cc != CURLE_OK) {
		r.status = 0;
		r.timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		r.error = k->overflow ? "answer too large" : k->err[0] ? k->err
		                                                       : curl_easy_strerror(cc);
	}
	k->done(k->ud, &r);
	call_free(k);
}

static void drain(struct mp_http *c)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct mp_call *k = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&k);
		if (k)
			finish(k, m->data.result);
	}
}

struct mp_http *mp_http_new(pxh_host *h, size_t max_body)
{
	struct mp_http *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->h = h;
	c->max_body = max_body;
	if (!(c->multi = curl_multi_init())) {
		free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return c;
}

void mp_http_free(struct mp_http *c)
{
	if (!c)
		return;
	while (c->calls)
		call_free(c->calls);
	curl_multi_cleanup(c->multi); /* may still call on_socket */
	pxh_timer_stop(c->timer);
	free(c);
}

static int configure(struct mp_call *k, const struct mp_http_req *rq)
{
	CURL *e = k->easy;
	const struct mp_tls *t = rq->tls;
	int bad = 0;

#define OPT(o, v) (bad |= curl_easy_setopt(e, o, v) != CURLE_OK)
	OPT(CURLOPT_URL, rq->url);
	OPT(CURLOPT_PRIVATE, k);
	OPT(CURLOPT_WRITEFUNCTION, on_data);
	OPT(CURLOPT_WRITEDATA, k);
	OPT(CURLOPT_ERRORBUFFER, k->err);
	OPT(CURLOPT_NOSIGNAL, 1L);
	OPT(CURLOPT_TIMEOUT_MS, rq->timeout_ms);
	OPT(CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
	OPT(CURLOPT_PROTOCOLS_STR, "http,https");
	OPT(CURLOPT_ACCEPT_ENCODING, ""); /* gzip / deflate when the MP offers */
	OPT(CURLOPT_USERAGENT, "ConfigMgr Messaging HTTP Sender");
	if (t && t->ca_file && *t->ca_file)
		OPT(CURLOPT_CAINFO, t->ca_file);
	if (t && t->client_cert && *t->client_cert) {
		OPT(CURLOPT_SSLCERT, t->client_cert);
		OPT(CURLOPT_SSLKEY, t->client_key && *t->client_key ? t->client_key
		                                                    : t->client_cert);
	}
	if (t && !t->verify) {
		OPT(CURLOPT_SSL_VERIFYPEER, 0L);
		OPT(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (strcmp(rq->method, "GET"))
		OPT(CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->body) {
		if (!(k->req_body = malloc(rq->body_len ? rq->body_len : 1)))
			return -ENOMEM;
		memcpy(k->req_body, rq->body, rq->body_len);
		OPT(CURLOPT_POSTFIELDS, k->req_body);
		OPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		if (strcmp(rq->method, "POST"))
			OPT(CURLOPT_CUSTOMREQUEST, rq->method);
	}
	if (rq->content_type) {
		char line[256];
		snprintf(line, sizeof(line), "Content-Type: %s", rq->content_type);
		k->hdrs = curl_slist_append(k->hdrs, line);
	}
	k->hdrs = curl_slist_append(k->hdrs, "Expect:");
	if (!k->hdrs)
		return -ENOMEM;
	OPT(CURLOPT_HTTPHEADER, k->hdrs);
#undef OPT
	return bad ? -EINVAL : 0;
}

int mp_http_call(struct mp_http *c, const struct mp_http_req *rq, mp_http_done done,
                 void *ud)
{
	struct mp_call *k = calloc(1, sizeof(*k));
	int rc;

	if (!k)
		return -ENOMEM;
	k->c = c;
	k->done = done;
	k->ud = ud;
	k->next = c->calls;
	c->calls = k;
	if (!(k->easy = curl_easy_init())) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = configure(k, rq)))
		goto fail;
	if (curl_multi_add_handle(c->multi, k->easy) != CURLM_OK) {
		rc = -EIO;
		goto fail;
	}
	return 0;
fail:
	call_free(k);
	return rc;
}
