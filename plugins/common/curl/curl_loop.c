/* libcurl's multi interface on pxehub's loop (curl_loop.h): a socket
 * callback that keeps one SDK fd watch per socket libcurl names, a timer
 * callback that keeps the SDK's one-shot timer at libcurl's timeout, and
 * after every action the finished transfers handed to the owner. */
#include <stdlib.h>
#include <string.h>

#include "curl_loop.h"

struct curl_loop {
	pxh_host *h;
	CURLM *multi;
	pxh_timer *timer; /* libcurl's one timeout; stale once it fired */
	curl_loop_done_fn done;
	curl_loop_after_fn after;
	void *ud;
};

/* One socket libcurl asked us to watch. */
struct curl_sock {
	pxh_io *io;
	struct curl_loop *l;
};

static void finished(struct curl_loop *l)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(l->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			l->done(l->ud, m->easy_handle, m->data.result);
	if (l->after)
		l->after(l->ud);
}

static void on_io(void *ud, int fd, int revents)
{
	struct curl_sock *s = ud;
	struct curl_loop *l = s->l; /* S may be freed inside socket_action */
	int running, flags = 0;

	if (revents & PXH_IO_READ)
		flags |= CURL_CSELECT_IN;
	if (revents & PXH_IO_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(l->multi, fd, flags, &running);
	finished(l);
}

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *cbp, void *sockp)
{
	struct curl_loop *l = cbp;
	struct curl_sock *s = sockp;
	int ev = (what & CURL_POLL_IN ? PXH_IO_READ : 0) |
	         (what & CURL_POLL_OUT ? PXH_IO_WRITE : 0);

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			pxh_io_stop(s->io);
			free(s);
			curl_multi_assign(l->multi, fd, NULL);
		}
		return 0;
	}
	if (s)
		return pxh_io_modify(s->io, ev) ? -1 : 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -1;
	s->l = l;
	s->io = pxh_io_watch(l->h, fd, ev, on_io, s);
	if (!s->io) {
		free(s);
		return -1;
	}
	curl_multi_assign(l->multi, fd, s);
	return 0;
}

static void on_timer(void *ud)
{
	struct curl_loop *l = ud;
	int running;

	/* The SDK keeps a fired one-shot timer until it is stopped: timer_cb
	 * (or curl_loop_free) stops it. */
	curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	finished(l);
}

static int timer_cb(CURLM *m, long ms, void *ud)
{
	struct curl_loop *l = ud;

	(void)m;
	pxh_timer_stop(l->timer);
	l->timer = NULL;
	if (ms < 0)
		return 0;
	l->timer = pxh_timer_start(l->h, (double)ms / 1000.0, 0, on_timer, l);
	return l->timer ? 0 : -1;
}

struct curl_loop *curl_loop_new(pxh_host *h, curl_loop_done_fn done,
                                curl_loop_after_fn after, void *ud)
{
	struct curl_loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->h = h;
	l->done = done;
	l->after = after;
	l->ud = ud;
	if (!(l->multi = curl_multi_init())) {
		free(l);
		return NULL;
	}
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
	return l;
}

CURLM *curl_loop_multi(const struct curl_loop *l)
{
	return l->multi;
}

void curl_loop_free(struct curl_loop *l)
{
	if (!l)
		return;
	curl_multi_cleanup(l->multi); /* may still call sock_cb: before the timer */
	pxh_timer_stop(l->timer);
	free(l);
}

size_t curl_body_write(char *p, size_t size, size_t n, void *ud)
{
	struct curl_body *b = ud;
	size_t add = size * n;

	if (add > b->max - b->len) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (b->len + add + 1 > b->cap) {
		size_t cap = 2 * (b->len + add) + 1;
		char *nb = realloc(b->p, cap);

		if (!nb)
			return 0;
		b->p = nb;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, add);
	b->len += add;
	b->p[b->len] = 0;
	return add;
}
