/* The DHCPv6 module as the server sees it: lifecycle, key table, checks. */
#ifndef PXEHUB_DHCP6_MODULE_H
#define PXEHUB_DHCP6_MODULE_H

#include <stdbool.h>

#include "pxehub/plugin.h"
#include "conf.h"

struct pxh_server;
struct pxh_conf;
struct pxh_conf_errors;

/* Same contract as the DHCP module (dhcp/dhcp_module.h): open binds
 * [::]:547 and [::]:4011 as root; start joins ff02::1:2 and serves; reload
 * re-reads the settings; stop closes.  Nothing happens with [dhcp6]
 * enabled = no (s->dhcp6 stays NULL). */
int pxh_dhcp6_open(struct pxh_server *s);
int pxh_dhcp6_start(struct pxh_server *s);
void pxh_dhcp6_reload(struct pxh_server *s, const struct pxh_conf *old);
void pxh_dhcp6_stop(struct pxh_server *s);

extern const pxh_conf_key pxh_dhcp6_keys[];

/* [dhcp6], filled once per load from pxh_dhcp6_keys (dhcp6_keys.c). */
struct pxh_dhcp6_conf {
	bool enabled;
	unsigned port, pxe_port;
	const char *server_ip; /* "" = from the request or the interface */
};
static inline const struct pxh_dhcp6_conf *pxh_dhcp6_conf(const struct pxh_conf *c)
{
	return pxh_conf_core(c, PXH_SEC_DHCP6);
}
/* -t: [dhcp6] server_ip is an IPv6 address (core/dhcp6/dhcp6_keys.c). */
void pxh_dhcp6_conf_check(const struct pxh_conf *c, struct pxh_conf_errors *errs);

#endif /* PXEHUB_DHCP6_MODULE_H */
