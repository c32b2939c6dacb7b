/* The DHCP module as the server sees it: lifecycle, key tables, checks. */
#ifndef PXEHUB_DHCP_MODULE_H
#define PXEHUB_DHCP_MODULE_H

#include <stddef.h>

#include "pxehub/plugin.h"

struct pxh_server;
struct pxh_conf;
struct pxh_conf_errors;

/* open: bind sockets (called as root, before privileges are dropped).
 * start: begin serving on the loop.  reload: apply a new config (sockets
 * stay; return a note when something needs a restart).  stop: close. */
int pxh_dhcp_open(struct pxh_server *s);
int pxh_dhcp_start(struct pxh_server *s);
void pxh_dhcp_reload(struct pxh_server *s, const struct pxh_conf *old);
void pxh_dhcp_stop(struct pxh_server *s);

extern const pxh_conf_key pxh_dhcp_keys[];
/* [pool.NAME]: address pools of [dhcp] mode = server (core/dhcp/dhcp_pool.c) */
extern const pxh_conf_key pxh_dhcp_pool_section_keys[];
extern const pxh_conf_key pxh_dhcp_pool_keys[];
/* Checks across keys of [dhcp] and [pool.NAME] (core/dhcp/dhcp_pool.c),
 * run by pxh_conf_load so -t, start and reload all see them. */
void pxh_dhcp_conf_check(const struct pxh_conf *c, struct pxh_conf_errors *errs);

/* Address the server advertises to a client that came in on IFACE (or the
 * [server] server_ip override); writes dotted quad into OUT. */
int pxh_server_ip_for(struct pxh_server *s, const char *iface,
                      char *out, size_t len);

#endif /* PXEHUB_DHCP_MODULE_H */
