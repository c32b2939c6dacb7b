/* sccm_mp_http: HTTP(S) calls to management points on pxehub's loop
 * (libcurl's multi interface through plugins/common/curl/curl_loop.c),
 * with per-call TLS settings (CA file, client certificate). */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sccm_mp_http.h"
#include "../common/curl/curl_loop.h"

struct mp_http {
	pxh_host *h;
	struct curl_loop *loop;
	CURLM *multi; /* the loop's */
	size_t max_body;
	struct mp_call *calls;
};

struct mp_call {
	struct mp_http *c;
	CURL *easy;
	struct curl_slist *hdrs;
	struct curl_body body;
	uint8_t *req_body;
	mp_http_done done;
	void *ud;
	char err[CURL_ERROR_SIZE];
	struct mp_call *next;
};

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
	free(k->body.p);
	free(k->req_body);
	free(k);
}

static void finish(struct mp_call *k, CURLcode cc)
{
	struct mp_http_res r;
	char *ct = NULL;

	memset(&r, 0, sizeof(r));
	curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(k->easy, CURLINFO_CONTENT_TYPE, &ct);
	r.content_type = ct ? ct : "";
	r.body = k->body.p ? (const uint8_t *)k->body.p : (const uint8_t *)"";
	r.body_len = k->body.len;
	if (cc != CURLE_OK) {
		r.status = 0;
		r.timed_out = cc == CURLE_OPERATION_TIMEDOUT;
		r.error = k->body.too_big ? "answer too large" : k->err[0] ? k->err
		                                                       : curl_easy_strerror(cc);
	}
	k->done(k->ud, &r);
	call_free(k);
}

/* A transfer ended (curl_loop). */
static void call_done(void *ud, CURL *easy, CURLcode res)
{
	struct mp_call *k = NULL;

	(void)ud;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&k);
	if (k)
		finish(k, res);
}

struct mp_http *mp_http_new(pxh_host *h, size_t max_body)
{
	struct mp_http *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->h = h;
	c->max_body = max_body;
	if (!(c->loop = curl_loop_new(h, call_done, NULL, c))) {
		free(c);
		return NULL;
	}
	c->multi = curl_loop_multi(c->loop);
	return c;
}

void mp_http_free(struct mp_http *c)
{
	if (!c)
		return;
	while (c->calls)
		call_free(c->calls);
	curl_loop_free(c->loop);
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
	OPT(CURLOPT_WRITEFUNCTION, curl_body_write);
	OPT(CURLOPT_WRITEDATA, &k->body);
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
	k->body.max = c->max_body;
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
