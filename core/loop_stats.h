/* Event loop turn lengths (how long one turn's callbacks hold the loop). */
#ifndef PXEHUB_LOOP_STATS_H
#define PXEHUB_LOOP_STATS_H

#include <stdint.h>

struct ev_loop;
struct pxh_server;
struct pxh_loop_stats;

/* Measure LOOP's turns: from poll's return to the next poll, i.e. the time
 * a ready client may wait for its callback.  NAME labels the figures
 * (pxehub_loop_turn_seconds{loop="NAME",...}); at most a few loops. */
struct pxh_loop_stats *pxh_loop_stats_start(struct pxh_server *s,
                                            struct ev_loop *loop,
                                            const char *name);
/* After the server's counters are gone (its gauges read ST). */
void pxh_loop_stats_stop(struct pxh_loop_stats *st);

/* The Q-quantile (0..1) of the turns so far, in seconds (the upper edge of
 * its histogram bucket: at most 19% high); the longest turn. */
double pxh_loop_stats_quantile(const struct pxh_loop_stats *st, double q);
double pxh_loop_stats_max(const struct pxh_loop_stats *st);
uint64_t pxh_loop_stats_turns(const struct pxh_loop_stats *st);

#endif
