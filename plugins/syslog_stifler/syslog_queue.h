/* Bounded FIFO of framed syslog messages, one per target. */
#ifndef SYSLOG_QUEUE_H
#define SYSLOG_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

struct sl_msg {
	size_t len;
	char data[]; /* framed as the transport sends it; not NUL terminated */
};

struct sl_queue {
	struct sl_msg **ring;
	size_t cap, head, count;
	bool drop_oldest; /* when full: drop the oldest waiting message, else the new one */
};

int sl_queue_init(struct sl_queue *q, size_t cap, bool drop_oldest);
void sl_queue_fini(struct sl_queue *q);
/*
 * Append M (the queue takes it).  When full, one message is dropped and
 * freed, the new one or the oldest not in flight (KEEP_HEAD: the head is
 * being written and must stay).  Returns 1 when a message was dropped,
 * else 0.
 */
int sl_queue_push(struct sl_queue *q, struct sl_msg *m, bool keep_head);
struct sl_msg *sl_queue_head(const struct sl_queue *q); /* NULL when empty */
void sl_queue_pop(struct sl_queue *q);                  /* frees the head */

#endif /* SYSLOG_QUEUE_H */
