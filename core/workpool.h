/* The work pool (core/workpool.c): threads for blocking plugin work. */
#ifndef PXEHUB_WORKPOOL_H
#define PXEHUB_WORKPOOL_H

#include <stddef.h>

struct pxh_server;
struct pxh_host;

int pxh_pool_start(struct pxh_server *s, unsigned threads);
void pxh_pool_stop(struct pxh_server *s);
/* HOST may be NULL for core work.  SERIAL runs items of one key in order. */
int pxh_pool_submit(struct pxh_server *s, struct pxh_host *host,
                    void (*work)(void *), void (*done)(void *), void *ud);
size_t pxh_pool_pending(struct pxh_server *s);

#endif /* PXEHUB_WORKPOOL_H */
