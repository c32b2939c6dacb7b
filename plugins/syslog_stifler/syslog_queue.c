/* Bounded FIFO of framed syslog messages, one per target. */
#include <errno.h>
#include <stdlib.h>

#include "syslog_queue.h"

int sl_queue_init(struct sl_queue *q, size_t cap, bool drop_oldest)
{
	q->ring = calloc(cap ? cap : 1, sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->cap = cap ? cap : 1;
	q->head = q->count = 0;
	q->drop_oldest = drop_oldest;
	return 0;
}

void sl_queue_fini(struct sl_queue *q)
{
	while (q->count)
		sl_queue_pop(q);
	free(q->ring);
	q->ring = NULL;
}

static struct sl_msg **at(const struct sl_queue *q, size_t i)
{
	return &q->ring[(q->head + i) % q->cap];
}

int sl_queue_push(struct sl_queue *q, struct sl_msg *m, bool keep_head)
{
	if (q->count == q->cap) {
		size_t victim = keep_head ? 1 : 0;

		if (!q->drop_oldest || victim >= q->count) {
			free(m);
			return 1;
		}
		/* O(1) and order kept: a kept head moves into the victim's slot */
		free(*at(q, victim));
		if (victim)
			*at(q, 1) = *at(q, 0);
		*at(q, 0) = NULL;
		q->head = (q->head + 1) % q->cap;
		*at(q, q->count - 1) = m;
		return 1;
	}
	*at(q, q->count) = m;
	q->count++;
	return 0;
}

struct sl_msg *sl_queue_head(const struct sl_queue *q)
{
	return q->count ? *at(q, 0) : NULL;
}

void sl_queue_pop(struct sl_queue *q)
{
	if (!q->count)
		return;
	free(*at(q, 0));
	*at(q, 0) = NULL;
	q->head = (q->head + 1) % q->cap;
	q->count--;
}
