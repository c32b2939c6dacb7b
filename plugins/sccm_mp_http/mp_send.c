/* sccm_mp_http: one request to "the management point": tried on each
 * configured MP in file order (the admin lists the nearest first; an MP
 * that failed within down_time goes last), then again after a growing
 * pause, a bounded number of rounds.  No answer, a timeout or a 5xx moves
 * on to the next MP; any other answer ends the request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp_plugin.h"

static void attempt(struct mp_send *s);

static void send_unlink(struct mp_send *s)
{
	struct mp_plugin *p = s->p;

	for (struct mp_send **pp = &p->sends; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
}

void mp_send_free(struct mp_send *s)
{
	pxh_timer_stop(s->timer);
	free(s->body);
	free(s);
}

static void finish(struct mp_send *s, int rc, const struct mp_http_res *r)
{
	send_unlink(s);
	s->done(s->ud, rc, r, s->why);
	mp_send_free(s);
}

/* Next MP to try this round, in file order, those not down first;
 * SIZE_MAX when every MP was tried. */
static size_t pick(struct mp_send *s)
{
	struct mp_plugin *p = s->p;
	double now = pxh_now(p->h);

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->npoints; i++) {
			if (s->tried & (1ull << i))
				continue;
			if (pass == 0 && p->points[i].down_until > now)
				continue;
			return i;
		}
	return SIZE_MAX;
}

static void retry_round(void *ud)
{
	struct mp_send *s = ud;

	pxh_timer_stop(s->timer);
	s->timer = NULL;
	s->tried = 0;
	attempt(s);
}

static void answered(void *ud, const struct mp_http_res *r)
{
	struct mp_send *s = ud;
	struct mp_plugin *p = s->p;
	struct mp_point *mp = &p->points[s->idx];
	double backoff;

	s->in_flight = 0;
	if (r->status && r->status < 500) {
		mp->down_until = 0;
		mp->answers++;
		if (r->status != 200) {
			snprintf(s->why, sizeof(s->why), "%s %s: HTTP %ld", s->method, mp->url,
			         r->status);
			finish(s, -EPROTO, r);
			return;
		}
		finish(s, 0, r);
		return;
	}
	mp->failures++;
	mp->down_until = pxh_now(p->h) + p->down_time;
	if (r->status)
		snprintf(s->why, sizeof(s->why), "%s: HTTP %ld", mp->name, r->status);
	else
		snprintf(s->why, sizeof(s->why), "%s: %s%s", mp->name, r->error,
		         r->timed_out ? " (timeout)" : "");
	pxh_log(p->h, PXH_LOG_WARNING, NULL, "sccm_mp_http: %s %s%s: %s", s->method, mp->url,
	        s->path, s->why);
	if (pick(s) != SIZE_MAX) {
		p->failovers++;
		attempt(s);
		return;
	}
	if (s->round >= p->retries) {
		finish(s, r->timed_out ? -ETIMEDOUT : -EHOSTUNREACH, NULL);
		return;
	}
	backoff = p->backoff * (double)(1u << (s->round < 10 ? s->round : 10));
	s->round++;
	p->retries_done++;
	s->timer = pxh_timer_start(p->h, backoff, 0, retry_round, s);
	if (!s->timer)
		finish(s, -ENOMEM, NULL);
}

static void attempt(struct mp_send *s)
{
	struct mp_plugin *p = s->p;
	struct mp_http_req rq;
	struct mp_point *mp;
	char url[512];
	int rc;

	s->idx = pick(s);
	if (s->idx == SIZE_MAX) { /* cannot happen: a round starts with none tried */
		finish(s, -EHOSTUNREACH, NULL);
		return;
	}
	mp = &p->points[s->idx];
	s->tried |= 1ull << s->idx;
	snprintf(url, sizeof(url), "%s%s", mp->url, s->path);
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.method = s->method;
	rq.content_type = s->ctype;
	rq.body = s->body;
	rq.body_len = s->len;
	rq.timeout_ms = mp->timeout_ms;
	rq.connect_timeout_ms = mp->connect_timeout_ms;
	rq.tls = &mp->tls;
	p->requests++;
	rc = mp_http_call(p->http, &rq, answered, s);
	if (rc) {
		snprintf(s->why, sizeof(s->why), "%s: request not started: %s", mp->name,
		         strerror(-rc));
		finish(s, rc, NULL);
		return;
	}
	s->in_flight = 1;
}

int mp_send(struct mp_plugin *p, const char *method, const char *path, uint8_t *body,
            size_t len, const char *ctype, mp_send_done done, void *ud)
{
	struct mp_send *s = calloc(1, sizeof(*s));

	if (!s) {
		free(body);
		return -ENOMEM;
	}
	s->p = p;
	snprintf(s->method, sizeof(s->method), "%s", method);
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->body = body;
	s->len = len;
	s->ctype = ctype;
	s->done = done;
	s->ud = ud;
	s->next = p->sends;
	p->sends = s;
	attempt(s); /* may finish S at once */
	return 0;
}
