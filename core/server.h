/* Server lifecycle, used by main.c, pxehubctl and the test kit. */
#ifndef PXEHUB_SERVER_H
#define PXEHUB_SERVER_H

#include "pxehub.h"

/* Set up logging, events and counters for CONF (the server takes it). */
int pxh_server_init(struct pxh_server *s, struct ev_loop *loop,
                    struct pxh_conf *conf);
int pxh_server_open(struct pxh_server *s);  /* bind (as root) */
int pxh_server_drop_privileges(struct pxh_server *s);
int pxh_server_start(struct pxh_server *s); /* pool, plugins, serving */
int pxh_server_reload(struct pxh_server *s);
void pxh_server_begin_stop(struct pxh_server *s, double grace);
void pxh_server_free(struct pxh_server *s);
void pxh_sd_notify(const char *state);

#endif
