/* Events (core/events.c): emitted by the modules, recorded, counted and
 * queued for the plugins' event hooks. */
#ifndef PXEHUB_EVENTS_H
#define PXEHUB_EVENTS_H

#include "pxehub/plugin.h"

struct pxh_server;

void pxh_event_init(pxh_event *ev, enum pxh_event_kind kind, int severity,
                    const pxh_client *c);
/* Record in the client history, count, log at debug, and queue for the
 * event hooks.  Never blocks. */
void pxh_emit(struct pxh_server *s, const pxh_event *ev);
/* The same, for a claim nobody vouches for (a report without the token):
 * logged, queued and kept as a step of the MAC's history, but it neither
 * moves the MAC to the sender's address (which TFTP and HTTP downloads are
 * attributed by) nor changes the facts recorded for it. */
void pxh_emit_unbound(struct pxh_server *s, const pxh_event *ev);
const char *pxh_event_kind_name(enum pxh_event_kind k);
int pxh_events_start(struct pxh_server *s);
void pxh_events_stop(struct pxh_server *s); /* delivers what is queued */
/* Deliver queued events now (tests, shutdown). */
void pxh_events_flush(struct pxh_server *s);

#endif /* PXEHUB_EVENTS_H */
