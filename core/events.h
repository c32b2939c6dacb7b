/* Events (core/events.c): emitted by the modules, recorded, counted and
 * queued for the plugins' event hooks. */
#ifndef PXEHUB_EVENTS_H
#define PXEHUB_EVENTS_H

#include "pxehub/plugin.h"

struct pxh_server;

/* EV's client is C itself (not a copy: C must outlive the emit) or, with
 * C NULL, pxh_no_client. */
void pxh_event_init(pxh_event *ev, enum pxh_event_kind kind, int severity,
                    const pxh_client *c);
/* The empty client of events not about a client. */
extern const pxh_client pxh_no_client;
/* Every text field of pxh_client (X(field) per field). */
#define PXH_CLIENT_TEXTS(X)                                                    \
	X(mac) X(uuid) X(arch_name) X(vendor_class) X(user_class) X(undi)      \
	X(ip) X(relay) X(iface) X(server_ip) X(manufacturer) X(product)       \
	X(serial) X(asset) X(platform) X(buildarch) X(duid) X(link_addr)
/* C (from a plugin: only its struct_size bytes are read) into the whole
 * struct OUT, texts NUL-ended, raw dropped; C NULL gives an empty client. */
void pxh_client_import(pxh_client *out, const pxh_client *c);
/* An event from a plugin (EV, read as far as its struct_size) into COPY
 * and its client into CLIENT: texts NUL-ended, severity and kind
 * defaulted. */
void pxh_event_import(pxh_event *copy, pxh_client *client, const pxh_event *ev);
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
