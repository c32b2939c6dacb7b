/* Work pool: threads for blocking back ends; results return to the loop
 * thread through an ev_async. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "plugins.h"
#include "server.h"
#include "workpool.h"

#define POOL_MAX_QUEUED 10000

struct job {
	struct job *next;
	struct pxh_host *host;
	void (*work)(void *);
	void (*done)(void *);
	void *ud;
};

struct pxh_workpool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t *threads;
	unsigned nthreads;
	struct job *todo, **todo_tail; /* FIFO */
	struct job *finished;          /* LIFO, reversed on delivery */
	size_t queued, pending;        /* pending = queued + running + finished */
	bool stop;
	ev_async wake;
	struct pxh_server *srv;
};

static bool may_run(const struct job *j)
{
	return !j->host || pxh_host_thread_safe(j->host) ||
	       pxh_host_running(j->host) == 0;
}

static void *worker(void *arg)
{
	struct pxh_workpool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct job **pp, *j = NULL;
		for (pp = &p->todo; *pp; pp = &(*pp)->next) {
			if (may_run(*pp)) {
				j = *pp;
				break;
			}
		}
		if (!j) {
			if (p->stop)
				break;
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		*pp = j->next;
		if (p->todo_tail == &j->next)
			p->todo_tail = pp;
		p->queued--;
		if (j->host)
			pxh_host_running_add(j->host, 1);
		pthread_mutex_unlock(&p->lock);
		j->work(j->ud);
		pthread_mutex_lock(&p->lock);
		if (j->host)
			pxh_host_running_add(j->host, -1);
		j->next = p->finished;
		p->finished = j;
		ev_async_send(p->srv->loop, &p->wake);
		/* A serial plugin's next item may run now. */
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void deliver(struct ev_loop *loop, ev_async *w, int revents)
{
	struct pxh_workpool *p = (struct pxh_workpool *)((char *)w - offsetof(struct pxh_workpool, wake));
	struct job *list, *rev = NULL;

	pthread_mutex_lock(&p->lock);
	list = p->finished;
	p->finished = NULL;
	pthread_mutex_unlock(&p->lock);
	while (list) { /* oldest first */
		struct job *n = list->next;
		list->next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		struct job *j = rev;
		rev = j->next;
		if (j->done)
			j->done(j->ud);
		pthread_mutex_lock(&p->lock);
		p->pending--;
		pthread_mutex_unlock(&p->lock);
		pxh_host_unref(j->host);
		free(j);
	}
}

int pxh_pool_start(struct pxh_server *s, unsigned threads)
{
	struct pxh_workpool *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	if (threads < 1)
		threads = 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->todo_tail = &p->todo;
	p->srv = s;
	p->threads = calloc(threads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return -ENOMEM;
	}
	ev_async_init(&p->wake, deliver);
	ev_async_start(s->loop, &p->wake);
	ev_unref(s->loop); /* the pool alone does not keep the loop alive */
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p))
			break;
		p->nthreads++;
	}
	s->pool = p;
	return p->nthreads ? 0 : -EAGAIN;
}

int pxh_pool_submit(struct pxh_server *s, struct pxh_host *host,
                    void (*work)(void *), void (*done)(void *), void *ud)
{
	struct pxh_workpool *p = s->pool;
	struct job *j;

	if (!p || p->stop)
		return -ESHUTDOWN;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->host = host;
	j->work = work;
	j->done = done;
	j->ud = ud;
	pthread_mutex_lock(&p->lock);
	if (p->queued >= POOL_MAX_QUEUED) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return -EAGAIN;
	}
	*p->todo_tail = j;
	p->todo_tail = &j->next;
	p->queued++;
	p->pending++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pxh_host_ref(host);
	return 0;
}

size_t pxh_pool_pending(struct pxh_server *s)
{
	size_t n;

	if (!s->pool)
		return 0;
	pthread_mutex_lock(&s->pool->lock);
	n = s->pool->pending;
	pthread_mutex_unlock(&s->pool->lock);
	return n;
}

/* Finish queued work, deliver results, join the threads. */
void pxh_pool_stop(struct pxh_server *s)
{
	struct pxh_workpool *p = s->pool;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	deliver(s->loop, &p->wake, 0);
	ev_ref(s->loop);
	ev_async_stop(s->loop, &p->wake);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->threads);
	free(p);
	s->pool = NULL;
}
